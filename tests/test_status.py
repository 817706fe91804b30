"""status.json: what an operator reads about the last run, the one going on, the scheduler."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from enricher.models import RunSummary, Status
from enricher.ops.status_file import (
    SchedulerInfo,
    format_status,
    parse,
    run_finished,
    run_started,
    scheduler_changed,
    to_json,
)

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
SCHEDULER = SchedulerInfo(4321, T0, "every 6h", "UTC", T0 + timedelta(hours=6))


def summary(exit_code: int = 1, **changes: object) -> RunSummary:
    counts = {status: 0 for status in Status}
    counts[Status.OK], counts[Status.BROKEN] = 5, 1
    base = RunSummary((), counts, (), exit_code, requests={"web": 4, "arxiv": 1})
    return replace(base, **changes)  # type: ignore[arg-type]


def finished(previous: dict[str, object] | None = None, **changes: object) -> dict[str, object]:
    arguments: dict[str, object] = dict(
        pid=77, trigger="one-shot", started_at=T0, finished_at=T0 + timedelta(seconds=3),
        duration_s=3.14159, summary=summary(),
    )  # fmt: skip
    arguments.update(changes)
    return run_finished(previous, **arguments)  # type: ignore[arg-type]


def test_a_finished_run_reports_outcome_counts_and_times() -> None:
    doc = parse(to_json(finished()))
    assert doc is not None
    last = doc["last_run"]
    assert last["outcome"] == "links-failed" and last["exit_code"] == 1
    assert last["counts"]["links"] == 6 and last["counts"]["broken"] == 1
    assert last["counts"]["unreachable"] == 0  # every status present, for dashboards
    assert (last["started_at"], last["finished_at"], last["duration_s"]) == (
        "2026-11-22T09:00:00Z", "2026-11-22T09:00:03Z", 3.142,
    )  # fmt: skip
    assert last["pid"] == 77 and doc["running"] is None


def test_outcomes_follow_exit_codes_and_interruptions() -> None:
    outcome = lambda **c: finished(summary=summary(**c))["last_run"]["outcome"]  # type: ignore[index]  # noqa: E731
    assert outcome(exit_code=0) == "passed"
    assert outcome(exit_code=3) == "incomplete"
    assert outcome(exit_code=3, interrupted=True) == "interrupted"
    crashed = finished(summary=None, error="RuntimeError: disk on fire")["last_run"]
    assert crashed["outcome"] == "crashed"  # type: ignore[index]
    assert crashed["errors"] == ["RuntimeError: disk on fire"]  # type: ignore[index]


def test_a_run_in_progress_keeps_the_last_one_visible() -> None:
    before = finished()
    during = run_started(before, pid=88, trigger="scheduled", started_at=T0 + timedelta(hours=1))
    assert during["running"] == {
        "pid": 88, "trigger": "scheduled", "started_at": "2026-11-22T10:00:00Z"
    }  # fmt: skip
    assert during["last_run"] == before["last_run"]


def test_a_one_shot_run_keeps_what_the_scheduler_said() -> None:
    scheduled = finished(trigger="scheduled", scheduler=SCHEDULER)
    assert scheduled["next_run_at"] == "2026-11-22T15:00:00Z"
    one_shot = finished(scheduled, pid=99)
    assert one_shot["scheduler"] == scheduled["scheduler"]
    assert one_shot["next_run_at"] == "2026-11-22T15:00:00Z"
    assert one_shot["last_run"]["pid"] == 99  # type: ignore[index]


def test_a_stopped_scheduler_has_no_next_run() -> None:
    stopped = SchedulerInfo(4321, T0, "every 6h", "UTC", None, state="stopped")
    doc = scheduler_changed(finished(scheduler=SCHEDULER), stopped, T0 + timedelta(hours=2))
    assert doc["next_run_at"] is None
    assert doc["scheduler"]["state"] == "stopped"  # type: ignore[index]


def test_damaged_or_foreign_files_read_as_no_status() -> None:
    assert parse(None) is None
    assert parse("{half") is None
    assert parse('{"version": 99}') is None
    assert parse("[1, 2]") is None


def test_people_see_dead_processes_for_what_they_are() -> None:
    doc = run_started(finished(scheduler=SCHEDULER), pid=88, trigger="scheduled", started_at=T0)
    alive = format_status(doc, is_alive=lambda pid: True)
    assert "last run: links-failed (exit 1), one-shot, pid 77" in alive
    assert "6 links: ok 5, broken 1" in alive
    assert "running now: pid 88 (scheduled run, started 2026-11-22T09:00:00Z)" in alive
    assert "scheduler: every 6h (UTC), pid 4321, running; next run 2026-11-22T15:00:00Z" in alive
    dead = format_status(doc, is_alive=lambda pid: False)
    assert "did not finish (the process is gone)" in dead
    assert "pid 4321, gone" in dead and "next run" not in dead


def test_the_last_run_says_what_changed() -> None:
    """Counts of newly failing, recovered and still failing links, for monitoring and people."""
    from enricher.models import Change, CheckedLink, DigestResult, LinkEntry, Verdict

    def link(line: int, status: Status, change: Change | None) -> CheckedLink:
        entry = LinkEntry("d.txt", line, None, f"https://example.org/{line}")
        return CheckedLink(entry, "web", None, Verdict(status), change=change)

    links = (
        link(1, Status.BROKEN, Change.NEWLY_FAILING),
        link(2, Status.BROKEN, Change.NEWLY_FAILING),
        link(3, Status.OK, Change.RECOVERED),
        link(4, Status.OK, None),
    )
    run = summary(digests=(DigestResult("d.txt", "d.enriched.json", links, (), True),))
    doc = parse(to_json(finished(summary=run)))
    assert doc is not None
    assert doc["last_run"]["changes"] == {"newly_failing": 2, "recovered": 1, "still_failing": 0}
    text = format_status(doc, is_alive=lambda pid: True)
    assert "  changes: 2 newly broken, 1 recovered, 0 still failing" in text
    crashed = parse(to_json(finished(summary=None, error="boom")))
    assert crashed is not None and crashed["last_run"]["changes"] is None


def test_the_last_run_says_which_hosts_refused_our_pace() -> None:
    """An operator sees how polite the last run was without its logs: refusals per host in
    the document, and the report's phrase for people; nothing said when none refused."""
    run = summary(refusals={"b.example.org": 1, "a.example.org": 3})
    doc = parse(to_json(finished(summary=run)))
    assert doc is not None
    assert doc["last_run"]["refusals"] == {"a.example.org": 3, "b.example.org": 1}
    text = format_status(doc, is_alive=lambda pid: True)
    assert "  4 refused (429/503) by 2 hosts: a.example.org 3, b.example.org 1" in text
    quiet = format_status(parse(to_json(finished())) or {}, is_alive=lambda pid: True)
    assert "refused" not in quiet
