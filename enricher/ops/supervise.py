"""The bookkeeping around a run that uses the cache: the run lock, stray temp files, and
``status.json`` saying a run is going, then how it ended (a crash included)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import CacheTooNew, WriteError
from ..files import is_status_temp, read_text_if_exists, remove_stale_temps, write_atomic
from ..models import RunSummary
from ..net.context import Clocks
from . import status_file
from .lock import RunLock, holder_for
from .status_file import STATUS_NAME, SchedulerInfo
from .stopping import StopRequest

log = logging.getLogger(__name__)


def supervised(
    work: Callable[[], RunSummary],
    settings: Settings,
    paths: Iterable[Path],
    *,
    clocks: Clocks,
    stop: StopRequest,
    trigger: str,
    scheduler: Callable[[], SchedulerInfo] | None = None,
) -> RunSummary:
    """Run ``work`` holding the run lock in the cache folder, waiting up to
    ``settings.lock_timeout_s`` (``LockHeld``, exit 3, if it stays taken), with
    ``<cache>/status.json`` kept up to date. ``scheduler`` is asked at start and at the end."""
    started_at = clocks.now()
    lock = RunLock(settings.cache_dir, sleep=stop.interruptible(time.sleep))
    with lock.acquire(holder_for(trigger, started_at), settings.lock_timeout_s):
        if lock.took_over is not None:
            log.warning(
                "took over a stale run lock left by %s, which ended without releasing it",
                lock.took_over.describe(),
            )
        if settings.write:  # a temp file that old is no write in progress, whoever made it
            for stray in remove_stale_temps({path.parent for path in paths}, time.time()):
                log.info("removed %s, left by a run killed while writing a record", stray)
        for stray in remove_stale_temps([settings.cache_dir], time.time(), is_temp=is_status_temp):
            log.info("removed %s, left by a run killed while writing it", stray)
        began = time.monotonic()
        pid = os.getpid()

        def note(change: Callable[..., dict[str, Any]], **facts: Any) -> None:
            info = scheduler() if scheduler else None
            update_status(settings.cache_dir, lambda previous: change(
                previous, pid=pid, trigger=trigger, started_at=started_at, scheduler=info, **facts
            ))  # fmt: skip

        def note_finished(
            summary: RunSummary | None, error: str | None = None, refused: bool = False
        ) -> None:
            note(status_file.run_finished, finished_at=clocks.now(),
                 duration_s=time.monotonic() - began, summary=summary, error=error,
                 refused=refused)  # fmt: skip

        note(status_file.run_started)
        try:
            summary = work()
        except CacheTooNew as exc:
            note_finished(None, str(exc), refused=True)
            raise
        except BaseException as exc:
            note_finished(None, f"{type(exc).__name__}: {exc}")
            raise
        note_finished(summary)
    return summary


def update_status(
    cache_dir: Path, change: Callable[[dict[str, Any] | None], dict[str, Any]]
) -> None:
    """Rewrite ``status.json`` atomically from its previous content; a failure is only logged
    (the cache beside it will fail loudly if the folder is really unusable)."""
    path = cache_dir / STATUS_NAME
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, status_file.to_json(change(status_file.parse(read_text_if_exists(path)))))
    except (OSError, WriteError) as exc:
        log.warning("%s: cannot update the status file: %s", path, exc)
