"""The run lock: one run per cache folder, holders named, stale locks taken over."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from enricher.errors import LockError, LockHeld
from enricher.ops.lock import LOCK_NAME, Holder, RunLock, holder_for, read_holder

STARTED = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def test_second_run_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    first = RunLock(tmp_path).acquire(holder_for("scheduled", STARTED))
    try:
        with pytest.raises(LockHeld) as refused:
            RunLock(tmp_path).acquire(holder_for("one-shot", STARTED))
    finally:
        first.release()
    message = str(refused.value)
    assert f"pid {os.getpid()}" in message
    assert "scheduled run, started 2026-11-22T09:00:00Z" in message
    assert "--lock-timeout" in message


def test_a_released_lock_is_free_and_leaves_no_holder(tmp_path: Path) -> None:
    with RunLock(tmp_path).acquire(holder_for("one-shot", STARTED)):
        assert read_holder(tmp_path) == holder_for("one-shot", STARTED)
    assert read_holder(tmp_path) is None
    again = RunLock(tmp_path).acquire(holder_for("one-shot", STARTED))
    assert again.took_over is None  # a clean release is not a stale lock
    again.release()


def test_waits_for_the_holder_to_finish(tmp_path: Path) -> None:
    holder = RunLock(tmp_path).acquire(holder_for("scheduled", STARTED))
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the holder finishes while we wait
        waits.append(seconds)
        holder.release()

    waiting = RunLock(tmp_path, sleep=sleep, monotonic=lambda: 0.0)
    waiting.acquire(holder_for("one-shot", STARTED), timeout_s=30)
    assert len(waits) == 1
    assert read_holder(tmp_path) == holder_for("one-shot", STARTED)
    waiting.release()


def test_gives_up_after_the_timeout(tmp_path: Path) -> None:
    holder = RunLock(tmp_path).acquire(holder_for("scheduled", STARTED))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    try:
        with pytest.raises(LockHeld, match=r"after waiting 2 s: pid \d+"):
            RunLock(tmp_path, sleep=sleep, monotonic=lambda: now[0]).acquire(
                holder_for("one-shot", STARTED), timeout_s=2
            )
    finally:
        holder.release()
    assert 2.0 <= now[0] < 2.5


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    # What a killed holder leaves: its text in the file, no OS lock (the kernel dropped it).
    dead = Holder(999_999, "2026-11-21T03:00:00Z", "scheduled", "elsewhere")
    (tmp_path / LOCK_NAME).write_text(dead.to_json(), encoding="utf-8")
    lock = RunLock(tmp_path).acquire(holder_for("one-shot", STARTED))
    assert lock.took_over == dead
    assert read_holder(tmp_path) == holder_for("one-shot", STARTED)
    lock.release()


def test_a_folder_that_cannot_hold_a_lock_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    with pytest.raises(LockError, match="cannot open the run lock"):
        RunLock(blocker).acquire(holder_for("one-shot", STARTED))


def test_a_refused_run_names_the_new_holder_not_a_dead_predecessor(tmp_path: Path) -> None:
    winner = RunLock(tmp_path).acquire(holder_for("scheduled", STARTED))
    lock_file = tmp_path / LOCK_NAME
    # The instant between the winner taking the lock and writing its name over the text a
    # killed run left behind.
    lock_file.write_text(Holder(999_999, "2026-11-21T03:00:00Z", "scheduled").to_json())

    def sleep(seconds: float) -> None:
        lock_file.write_text(holder_for("scheduled", STARTED).to_json())  # the winner writes

    try:
        with pytest.raises(LockHeld) as refused:
            RunLock(tmp_path, sleep=sleep, monotonic=lambda: 0.0).acquire(
                holder_for("one-shot", STARTED)
            )
    finally:
        winner.release()
    assert refused.value.holder == holder_for("scheduled", STARTED)


def test_a_lock_released_while_naming_its_holder_is_taken(tmp_path: Path) -> None:
    winner = RunLock(tmp_path).acquire(holder_for("scheduled", STARTED))
    (tmp_path / LOCK_NAME).write_text("")  # the winner has not written its name yet...

    def sleep(seconds: float) -> None:
        winner.release()  # ...and finishes a short run before we look again

    late = RunLock(tmp_path, sleep=sleep, monotonic=lambda: 0.0)
    late.acquire(holder_for("one-shot", STARTED))  # timeout 0, yet not refused
    assert read_holder(tmp_path) == holder_for("one-shot", STARTED)
    late.release()
