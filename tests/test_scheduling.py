"""The background job in process: its trigger and options, what a run does, failures, stops."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from enricher import pipeline
from enricher.config import Settings
from enricher.errors import ConfigError, Interrupted
from enricher.ops.lock import RunLock, holder_for
from enricher.ops.scheduler import JOB_ID, ScheduledJob, build_scheduler, serve
from enricher.ops.stopping import StopRequest
from enricher.schedules import Schedule
from tests.conftest import START, Apis, FakeClock, WebRecorder
from tests.test_pipeline import records, world  # noqa: F401  (fixture)


def status_of(settings: Settings) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((settings.cache_dir / "status.json").read_text("utf-8"))
    return data


def test_interval_job_runs_once_at_a_time_and_collapses_missed_runs() -> None:
    scheduler, _ = build_scheduler(Settings(), Schedule(every_s=900), now=lambda: START)
    job = scheduler.get_job(JOB_ID)
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(minutes=15)
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 900)
    assert job.next_run_time == START  # a run at start
    assert len(scheduler.get_jobs()) == 1


def test_no_run_now_waits_for_the_first_scheduled_time() -> None:
    scheduler, job = build_scheduler(Settings(), Schedule(run_now=False), now=lambda: START)
    assert job.next_run_at() == START + timedelta(hours=6)
    assert scheduler.get_job(JOB_ID).trigger.interval == timedelta(hours=6)


def test_crontab_weekdays_fire_on_the_days_cron_means() -> None:
    schedule = Schedule(cron="30 6 * * 1-5", every_s=None, timezone="Europe/Paris")
    scheduler, _ = build_scheduler(Settings(), schedule, now=lambda: START)
    trigger = scheduler.get_job(JOB_ID).trigger
    assert isinstance(trigger, CronTrigger)
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
    fire = trigger.get_next_fire_time(None, saturday)
    assert fire.strftime("%A %H:%M") == "Monday 06:30"  # Paris time
    assert fire.utcoffset() == timedelta(hours=1)
    assert scheduler.get_job(JOB_ID).misfire_grace_time == 86_400  # one weekday to the next


def test_day_of_month_and_weekday_together_fire_on_either_as_in_cron() -> None:
    schedule = Schedule(cron="0 9 1 * 1", every_s=None)  # the 1st, and every Monday
    scheduler, _ = build_scheduler(Settings(), schedule, now=lambda: START)
    trigger = scheduler.get_job(JOB_ID).trigger
    fires, moment = [], START
    for _ in range(4):
        moment = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
        fires.append(moment.strftime("%a %d %b"))
    assert fires == ["Mon 23 Nov", "Mon 30 Nov", "Tue 01 Dec", "Mon 07 Dec"]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule(cron="0 0 30 2 *", every_s=None), "never fires"),
        (Schedule(cron="61 * * * *", every_s=None), "--cron '61 \\* \\* \\* \\*'"),
        (Schedule(cron="* * * *", every_s=None), "five fields"),
        (Schedule(timezone="Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_schedules_are_configuration_errors(schedule: Schedule, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_scheduler(Settings(), schedule)


@pytest.fixture
def scheduled(
    world: Apis,  # noqa: F811
    digests: Path,
    settings_for: Any,
    clock: FakeClock,
    web: WebRecorder,
) -> functools.partial[Any]:
    """``pipeline.run`` as the scheduler calls it, against the fakes and the stand-in web."""
    return functools.partial(pipeline.run, clocks=clock.clocks(), web_transport=web.transport())


def test_the_job_runs_the_pipeline_and_reports_the_next_run(
    scheduled: Any, digests: Path, settings_for: Any
) -> None:
    settings = settings_for(digests)
    _, job = build_scheduler(settings, Schedule(every_s=3600), run=scheduled,
                                     now=lambda: START)  # fmt: skip
    job()
    assert len(records(digests)) == 5
    status = status_of(settings)
    assert status["last_run"]["trigger"] == "scheduled"
    assert status["last_run"]["outcome"] == "links-failed"  # the URL-less entry in 002
    assert status["next_run_at"] == "2026-11-22T10:00:00Z"  # an hour after the run at start
    assert status["scheduler"]["schedule"] == "every 1h"
    assert job.runs == 1 and job.failed == 0


def test_a_crashing_run_is_logged_and_the_next_one_happens(
    scheduled: Any,
    digests: Path,
    settings_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_for(digests)
    real_write = pipeline.write_atomic
    calls = {"n": 0}

    def disk_on_fire(path: Path, text: str) -> None:
        if path.name.endswith(".enriched.json") and calls["n"] == 0:
            calls["n"] += 1
            raise RuntimeError("a bug while writing")
        real_write(path, text)

    monkeypatch.setattr(pipeline, "write_atomic", disk_on_fire)
    _, job = build_scheduler(settings, Schedule(every_s=60), run=scheduled, now=lambda: START)
    with caplog.at_level(logging.ERROR, logger="enricher"):
        job()  # must not raise: APScheduler would only log it, and less clearly
    crash = next(r for r in caplog.records if "scheduled run crashed" in r.getMessage())
    assert crash.exc_info is not None and "a bug while writing" in str(crash.exc_info[1])
    assert status_of(settings)["last_run"]["outcome"] == "crashed"
    assert "RuntimeError: a bug while writing" in status_of(settings)["last_run"]["errors"][0]

    job()
    assert status_of(settings)["last_run"]["outcome"] == "links-failed"
    assert len(records(digests)) == 5
    assert (job.runs, job.failed) == (2, 1)


def test_a_run_that_finds_the_lock_taken_is_skipped_not_failed(
    scheduled: Any, digests: Path, settings_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(digests)
    _, job = build_scheduler(settings, Schedule(every_s=60), run=scheduled, now=lambda: START)
    with (
        RunLock(settings.cache_dir).acquire(holder_for("one-shot", START)),
        caplog.at_level(logging.WARNING, logger="enricher"),
    ):
        job()
    assert records(digests) == {}
    assert any("scheduled run skipped" in r.getMessage() for r in caplog.records)
    assert job.failed == 0


def test_a_run_that_fell_due_during_a_slow_one_starts_right_after(
    scheduled: Any, digests: Path, settings_for: Any
) -> None:
    later = START + timedelta(hours=1)
    scheduler, job = build_scheduler(
        settings_for(digests), Schedule(every_s=600, run_now=False), run=scheduled,
        now=lambda: later,
    )  # fmt: skip
    job.fell_due_while_running(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, JOB_ID, "default", []))
    assert job.next_run_at() == later  # what status.json says meanwhile
    job()
    assert scheduler.get_job(JOB_ID).next_run_time == later
    assert job.next_run_at() == later + timedelta(minutes=10)  # back on the trigger's times


def test_a_stopped_scheduler_starts_no_new_run(
    scheduled: Any, digests: Path, settings_for: Any
) -> None:
    stop = StopRequest()
    _, job = build_scheduler(settings_for(digests), Schedule(), stop=stop, run=scheduled)
    stop.request("SIGTERM")
    job()
    assert records(digests) == {}
    assert job.runs == 0


def test_a_stop_mid_run_leaves_records_as_they_were_and_keeps_what_was_learned(
    world: Apis,  # noqa: F811
    digests: Path,
    settings_for: Any,
    clock: FakeClock,
) -> None:
    settings = settings_for(digests)
    first = pipeline.run(settings, clocks=clock.clocks(), web_transport=WebRecorder().transport())
    assert first.exit_code == 1
    before = {p.name: p.read_bytes() for p in digests.glob("*.enriched.json")}

    stop = StopRequest()
    sent: list[str] = []

    async def slow_and_gone(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        stop.request("SIGTERM")  # a signal arrives while pages are being fetched
        await asyncio.sleep(30)  # a slow site: cancelled at once by the stop, never waited for
        return httpx.Response(404)  # every page gone: the records would change

    router = respx.Router(assert_all_called=False)
    pages = router.route().mock(side_effect=slow_and_gone)
    clock.advance(days=2)  # everything stale: re-checked
    second = pipeline.run(
        settings, clocks=clock.clocks(), web_transport=httpx.MockTransport(router.async_handler),
        stop=stop, trigger="scheduled",
    )  # fmt: skip
    assert second.interrupted and second.exit_code == 3
    assert sent  # the stop came while requests were in flight...
    assert not pages.calls  # ...and they were abandoned, not waited for: none was answered
    assert {p.name: p.read_bytes() for p in digests.glob("*.enriched.json")} == before
    assert not list(digests.glob(".*.tmp"))
    assert status_of(settings)["last_run"]["outcome"] == "interrupted"
    assert status_of(settings)["running"] is None


class StopAfter:
    """Progress that asks for a stop once ``n`` targets are done (a signal mid-run)."""

    def __init__(self, request: StopRequest, n: int) -> None:
        self.request, self.n, self.done = request, n, 0

    def start(self, total: int) -> None:
        pass

    def advance(self, label: str, status: object) -> None:
        self.done += 1
        if self.done == self.n:
            self.request.request("SIGINT")

    def stop(self) -> None:
        pass


def test_what_an_interrupted_run_learned_is_not_asked_again(
    world: Apis,  # noqa: F811
    digests: Path,
    settings_for: Any,
    clock: FakeClock,
) -> None:
    settings = settings_for(digests, refresh=False)

    def requests_of_a_stale_run(stop_after: int | None) -> int:
        clock.advance(days=40)  # every fact stale, arXiv's included
        if stop_after is not None:
            stop = StopRequest()
            progress = StopAfter(stop, stop_after)
            interrupted = pipeline.run(settings, clocks=clock.clocks(), progress=progress,
                                       web_transport=WebRecorder().transport(), stop=stop)  # fmt: skip
            assert interrupted.interrupted
        summary = pipeline.run(settings, clocks=clock.clocks(),
                               web_transport=WebRecorder().transport())  # fmt: skip
        assert not summary.interrupted
        return sum(summary.requests.values())

    full = requests_of_a_stale_run(None)
    after_interruption = requests_of_a_stale_run(3)
    assert full >= 18
    assert after_interruption <= full - 3  # the three finished targets came from the cache


def test_a_run_that_crashes_while_the_scheduler_stops_does_not_hang_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stopping = threading.Event()
    real_wait_idle = ScheduledJob.wait_idle

    def wait_idle(self: ScheduledJob) -> None:
        stopping.set()  # the main thread has begun stopping the scheduler
        real_wait_idle(self)

    monkeypatch.setattr(ScheduledJob, "wait_idle", wait_idle)

    def crashing_run(settings: Settings, *, stop: StopRequest, **_: Any) -> None:
        stop.request("SIGTERM")
        assert stopping.wait(10)
        raise RuntimeError("disk full, just as we were asked to stop")

    settings = Settings(cache_dir=tmp_path / "cache")
    result: list[int] = []
    server = threading.Thread(
        target=lambda: result.append(serve(settings, Schedule(), run=crashing_run)), daemon=True
    )
    with caplog.at_level(logging.INFO, logger="enricher"):
        server.start()
        server.join(15)
    assert not server.is_alive(), "the scheduler hung while stopping"
    assert result == [0]
    crash = next(r for r in caplog.records if "scheduled run crashed" in r.getMessage())
    assert crash.exc_info is not None and isinstance(crash.exc_info[1], RuntimeError)
    assert status_of(settings)["scheduler"]["state"] == "stopped"


def test_runs_without_the_cache_take_no_lock_and_write_no_status(
    world: Apis,  # noqa: F811
    digests: Path,
    settings_for: Any,
    clock: FakeClock,
    web: WebRecorder,
) -> None:
    settings = settings_for(digests, use_cache=False)
    with RunLock(settings.cache_dir).acquire(holder_for("scheduled", START)):
        summary = pipeline.run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert summary.exit_code == 1 and len(records(digests)) == 5
    assert not (settings.cache_dir / "status.json").exists()


def test_a_stop_request_wakes_waits_and_interrupts_sleeps() -> None:
    stop = StopRequest()
    notified: list[str] = []
    stop.request("SIGTERM")
    stop.subscribe(lambda: notified.append("late subscriber"))
    assert notified == ["late subscriber"]
    assert stop.wait(3600) is True  # returns at once
    slept: list[float] = []
    with pytest.raises(Interrupted):
        stop.interruptible(slept.append)(3.0)
    assert slept == []
