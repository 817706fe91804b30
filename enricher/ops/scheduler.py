"""The background job: ``pipeline.run()`` on a schedule, under APScheduler 3.

One job, one run at a time (``max_instances=1``); runs that fall due while one is still going,
or while the machine slept, collapse into one (``coalesce``) that starts as soon as it can.
A run that raises is logged with its traceback and the next one happens on time. SIGTERM or
SIGINT: no new run starts, the current one stops at its next safe point, the process exits 0;
a second signal exits at once (every write is atomic, so no file is left half-written).
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .. import pipeline
from ..config import Settings
from ..errors import ConfigError, EnricherError, Interrupted, LockError, LockHeld
from ..net.context import utc_now
from ..records import iso
from ..schedules import Schedule, apscheduler_crontab
from ..summary import EXIT_INCOMPLETE
from . import status_file as run_status
from .lock import RunLock, holder_for
from .status_file import SchedulerInfo
from .stopping import StopRequest, handle_signals
from .supervise import update_status

log = logging.getLogger(__name__)

JOB_ID = "enrich"
STATUS_LOCK_WAIT_S = 5.0
"""How long the scheduler waits for a one-shot run to let it note its start or stop."""

RunFunction = Callable[..., Any]


def resolve_timezone(name: str) -> tzinfo:
    """``UTC`` (no tz database needed) or an IANA name such as ``Europe/Paris``."""
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"--timezone: unknown time zone {name!r} (an IANA name such as Europe/Paris, or UTC)"
        ) from None


def make_trigger(schedule: Schedule, zone: tzinfo, now: datetime | None = None) -> BaseTrigger:
    """The APScheduler trigger for ``schedule``; a bad crontab, or one that never fires, is a
    ``ConfigError``. An interval counts from ``now``."""
    now = now or utc_now()
    if schedule.cron is None:
        assert schedule.every_s is not None
        every = timedelta(seconds=schedule.every_s)
        return IntervalTrigger(seconds=schedule.every_s, timezone=zone, start_date=now + every)
    try:
        fields = apscheduler_crontab(schedule.cron).split()
        if fields[2] != "*" and fields[4] != "*":
            # cron fires when the day of the month OR the weekday matches; APScheduler
            # wants both, so the two halves become two triggers.
            by_date = " ".join([*fields[:4], "*"])
            by_weekday = " ".join([*fields[:2], "*", fields[3], fields[4]])
            trigger: BaseTrigger = OrTrigger([
                CronTrigger.from_crontab(by_date, timezone=zone),
                CronTrigger.from_crontab(by_weekday, timezone=zone),
            ])  # fmt: skip
        else:
            trigger = CronTrigger.from_crontab(" ".join(fields), timezone=zone)
    except ValueError as exc:
        raise ConfigError(f"--cron {schedule.cron!r}: {exc}") from None
    if trigger.get_next_fire_time(None, now) is None:
        raise ConfigError(f"--cron {schedule.cron!r}: never fires (no such date)")
    return trigger


def misfire_grace_s(trigger: BaseTrigger, now: datetime) -> int:
    """A run may start late by up to one period (the gap between two fire times); a run later
    than that is dropped, since the next regular one is due about as soon."""
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
    if first is None or second is None:
        return 60
    return max(1, int((second - first).total_seconds()))


class ScheduledJob:
    """What the scheduler calls: one guarded run, whose failure never reaches APScheduler.

    It never calls into the scheduler while a stop is under way: APScheduler 3's
    ``shutdown(wait=True)`` holds the job-store lock while it waits for this thread, so the
    next run time is worked out from the trigger, not asked of the scheduler.
    """

    def __init__(
        self,
        settings: Settings,
        schedule: Schedule,
        trigger: BaseTrigger,
        stop: StopRequest,
        *,
        run: RunFunction = pipeline.run,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.schedule = schedule
        self.trigger = trigger
        self.stop = stop
        self._run = run
        self._now = now
        self.started_at = now()
        self.scheduler: BackgroundScheduler | None = None
        self.runs = 0
        self.failed = 0
        self.busy = False
        self._fell_due_while_running = False

    def next_run_at(self) -> datetime | None:
        """When the next run starts: now if one fell due during this one, else the trigger's."""
        now = self._now()
        if self._fell_due_while_running:
            return now
        fire: datetime | None = self.trigger.get_next_fire_time(None, now)
        return fire

    def info(self, state: str = "running") -> SchedulerInfo:
        return SchedulerInfo(
            pid=os.getpid(),
            started_at=self.started_at,
            schedule=self.schedule.describe(),
            timezone=self.schedule.timezone,
            next_run_at=self.next_run_at() if state == "running" else None,
            state=state,
        )

    def __call__(self) -> None:
        if self.stop.requested:
            return
        self.busy = True
        self.runs += 1
        try:
            summary = self._run(
                self.settings, stop=self.stop, trigger="scheduled", scheduler=self.info
            )
        except Interrupted:
            return
        except LockHeld as exc:
            log.warning("scheduled run skipped: %s; next run %s", exc, iso(self.next_run_at()))
        except EnricherError as exc:  # a lock that cannot be used at all, a missing folder
            self.failed += 1
            log.error("scheduled run failed: %s; next run %s", exc, iso(self.next_run_at()))
        except Exception:
            self.failed += 1
            log.exception(
                "scheduled run crashed; the scheduler goes on, next run %s",
                iso(self.next_run_at()),
            )
        else:
            if summary.exit_code == EXIT_INCOMPLETE and not summary.interrupted:
                self.failed += 1
        finally:
            gc.collect()  # the run's garbage, before the next run freezes it (net.tuning)
            self._catch_up()
            self.busy = False

    def fell_due_while_running(self, event: JobSubmissionEvent) -> None:
        """APScheduler refused a run because this one was still going: run it right after."""
        if event.job_id == JOB_ID and not self._fell_due_while_running:
            self._fell_due_while_running = True
            log.info("a run fell due while the previous one was still going; it starts next")

    def _catch_up(self) -> None:
        if self._fell_due_while_running and not self.stop.requested and self.scheduler:
            self._fell_due_while_running = False
            self.scheduler.modify_job(JOB_ID, next_run_time=self._now())

    def wait_idle(self) -> None:
        """Until the run in progress (if any) has returned; it stops at its safe point."""
        while self.busy:
            time.sleep(0.05)


def build_scheduler(
    settings: Settings,
    schedule: Schedule,
    *,
    stop: StopRequest | None = None,
    run: RunFunction = pipeline.run,
    now: Callable[[], datetime] = utc_now,
) -> tuple[BackgroundScheduler, ScheduledJob]:
    """A scheduler (not started) holding the one job, and that job's callable."""
    zone = resolve_timezone(schedule.timezone)
    trigger = make_trigger(schedule, zone, now())
    job = ScheduledJob(settings, schedule, trigger, stop or StopRequest(), run=run, now=now)
    scheduler = BackgroundScheduler(
        timezone=zone, executors={"default": ThreadPoolExecutor(max_workers=1)}
    )
    options: dict[str, Any] = {}
    if schedule.run_now:
        options["next_run_time"] = now()
    scheduler.add_job(
        job, trigger, id=JOB_ID, name="enrich digests",
        max_instances=1, coalesce=True, misfire_grace_time=misfire_grace_s(trigger, now()),
        **options,
    )  # fmt: skip
    scheduler.add_listener(job.fell_due_while_running, EVENT_JOB_MAX_INSTANCES)
    job.scheduler = scheduler
    return scheduler, job


def serve(settings: Settings, schedule: Schedule, *, run: RunFunction = pipeline.run) -> int:
    """Run the schedule until SIGTERM or SIGINT; 0 after a clean stop."""
    stop = StopRequest()
    scheduler, job = build_scheduler(settings, schedule, stop=stop, run=run)
    restore = handle_signals(stop, "no new runs; the current one stops at its next safe point")
    try:
        first = utc_now() if schedule.run_now else job.next_run_at()
        _note_scheduler(settings, job, "running", first)
        log.info(
            "scheduler started: %s (%s), pid %d; first run %s",
            schedule.describe(), schedule.timezone, os.getpid(), iso(first),
        )  # fmt: skip
        scheduler.start()
        while not stop.requested:
            time.sleep(0.25)  # a flag set by the signal handler; see StopRequest
        scheduler.pause()  # no new submissions
        job.wait_idle()  # before shutdown(), which holds the job store lock while it waits
        scheduler.shutdown(wait=True)
        _note_scheduler(settings, job, "stopped", None)
    finally:
        restore()
    log.info("scheduler stopped (%s) after %d runs, %d failed", stop.reason, job.runs, job.failed)
    return 0


def _note_scheduler(
    settings: Settings, job: ScheduledJob, state: str, next_run_at: datetime | None
) -> None:
    """Put the scheduler's state in ``status.json``, under the run lock so that a run's
    read-modify-write and this one never interleave; skipped if a run keeps the lock."""
    if not settings.use_cache:
        return
    info = replace(job.info(state), next_run_at=next_run_at)
    now = utc_now()
    try:
        with RunLock(settings.cache_dir).acquire(holder_for("scheduler", now), STATUS_LOCK_WAIT_S):
            update_status(
                settings.cache_dir,
                lambda previous: run_status.scheduler_changed(previous, info, now),
            )
    except LockError as exc:
        log.warning("status not updated: %s", exc)
