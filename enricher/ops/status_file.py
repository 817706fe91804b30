"""``<cache>/status.json``: how the worker is doing, for an operator and for monitoring.

Pure: builds the document from a run's outcome and renders it for people. Writing it (atomically,
under the run lock) is the pipeline's and the scheduler's business.

Document (``version`` 1)::

    {
      "version": 1,
      "updated_at": "2026-11-22T09:00:03Z",
      "running": {"pid": 4321, "trigger": "scheduled", "started_at": "..."} | null,
      "last_run": {
        "pid": 4321, "trigger": "scheduled" | "one-shot",
        "started_at": "...", "finished_at": "...", "duration_s": 3.1,
        "outcome": "passed" | "links-failed" | "incomplete" | "interrupted" | "crashed",
        "exit_code": 0 | 1 | 3,
        "counts": {"links": 63, "ok": 40, ...},
        "requests": {"arxiv": 1, "github": 5, "web": 13},
        "refusals": {"example.org": 2},
        "changes": {"newly_failing": 1, "recovered": 0, "still_failing": 2} | null,
        "errors": ["..."]
      } | null,
      "next_run_at": "..." | null,
      "scheduler": {"pid": 4321, "started_at": "...", "schedule": "every 6h",
                    "timezone": "UTC", "state": "running" | "stopped"} | null
    }
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import RunSummary, Status
from ..records import iso
from ..report_words import refusals_words
from ..summary import change_counts

STATUS_NAME = "status.json"
STATUS_VERSION = 1

OUTCOMES = ("passed", "links-failed", "incomplete", "interrupted", "crashed")
_OUTCOME_BY_EXIT = {0: "passed", 1: "links-failed"}


@dataclass(frozen=True)
class SchedulerInfo:
    """The background job, as ``status.json`` reports it."""

    pid: int
    started_at: datetime
    schedule: str
    timezone: str
    next_run_at: datetime | None
    state: str = "running"


def outcome_of(summary: RunSummary) -> str:
    if summary.interrupted:
        return "interrupted"
    return _OUTCOME_BY_EXIT.get(summary.exit_code, "incomplete")


def parse(text: str | None) -> dict[str, Any] | None:
    """A status document read back, or None when absent, damaged or from another version."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != STATUS_VERSION:
        return None
    return data


def _base(previous: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": STATUS_VERSION,
        "updated_at": iso(now),
        "running": None,
        "last_run": None,
        "next_run_at": None,
        "scheduler": None,
    }
    if previous:
        for key in ("last_run", "next_run_at", "scheduler"):
            doc[key] = previous.get(key)
    return doc


def _with_scheduler(doc: dict[str, Any], scheduler: SchedulerInfo | None) -> dict[str, Any]:
    if scheduler is not None:
        doc["scheduler"] = {
            "pid": scheduler.pid,
            "started_at": iso(scheduler.started_at),
            "schedule": scheduler.schedule,
            "timezone": scheduler.timezone,
            "state": scheduler.state,
        }
        doc["next_run_at"] = iso(scheduler.next_run_at) if scheduler.state == "running" else None
    return doc


def run_started(
    previous: Mapping[str, Any] | None,
    *,
    pid: int,
    trigger: str,
    started_at: datetime,
    scheduler: SchedulerInfo | None = None,
) -> dict[str, Any]:
    """The document while a run is going: the last finished run stays as it was."""
    doc = _base(previous, started_at)
    doc["running"] = {"pid": pid, "trigger": trigger, "started_at": iso(started_at)}
    return _with_scheduler(doc, scheduler)


def run_finished(
    previous: Mapping[str, Any] | None,
    *,
    pid: int,
    trigger: str,
    started_at: datetime,
    finished_at: datetime,
    duration_s: float,
    summary: RunSummary | None,
    error: str | None = None,
    scheduler: SchedulerInfo | None = None,
    refused: bool = False,
) -> dict[str, Any]:
    """The document after a run; ``summary`` None means it crashed (``error`` says how), or
    with ``refused`` that it stopped on an error of ours before any work (a cache written by
    a newer enricher): ``incomplete``, exit 3, not a crash."""
    doc = _base(previous, finished_at)
    counts: dict[str, int] = {"links": 0, **{status.value: 0 for status in Status}}
    if summary is not None:
        counts = {"links": summary.total_links}
        counts.update({status.value: summary.counts.get(status, 0) for status in Status})
    doc["last_run"] = {
        "pid": pid,
        "trigger": trigger,
        "started_at": iso(started_at),
        "finished_at": iso(finished_at),
        "duration_s": round(duration_s, 3),
        "outcome": outcome_of(summary) if summary else "incomplete" if refused else "crashed",
        "exit_code": summary.exit_code if summary is not None else 3,
        "counts": counts,
        "requests": dict(sorted(summary.requests.items())) if summary is not None else {},
        "refusals": dict(sorted(summary.refusals.items())) if summary is not None else {},
        "changes": change_counts(summary) if summary is not None and summary.history_known else None,
        "errors": list(summary.errors) if summary is not None else [error or "crashed"],
    }
    return _with_scheduler(doc, scheduler)


def scheduler_changed(
    previous: Mapping[str, Any] | None, scheduler: SchedulerInfo, now: datetime
) -> dict[str, Any]:
    """The document when the scheduler starts, stops or moves its next run."""
    doc = _base(previous, now)
    if previous:
        doc["running"] = previous.get("running")
    return _with_scheduler(doc, scheduler)


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def format_status(
    doc: Mapping[str, Any], *, is_alive: Callable[[int], bool], where: str = ""
) -> str:
    """The document for a person at a terminal; ``is_alive`` tells live pids from dead ones."""
    lines: list[str] = []
    last = doc.get("last_run")
    if last:
        lines.append(
            f"last run: {last['outcome']} (exit {last['exit_code']}), {last['trigger']}, "
            f"pid {last['pid']}"
        )
        lines.append(
            f"  started {last['started_at']}, finished {last['finished_at']} "
            f"({last['duration_s']:.1f} s)"
        )
        counts = last.get("counts", {})
        present = [f"{k} {v}" for k, v in counts.items() if k != "links" and v]
        lines.append(
            f"  {counts.get('links', 0)} links" + (f": {', '.join(present)}" if present else "")
        )
        changes = last.get("changes")
        if isinstance(changes, dict):
            lines.append(
                f"  changes: {changes.get('newly_failing', 0)} newly broken, "
                f"{changes.get('recovered', 0)} recovered, "
                f"{changes.get('still_failing', 0)} still failing"
            )
        requests = last.get("requests") or {}
        if requests:
            lines.append("  requests: " + ", ".join(f"{k} {v}" for k, v in requests.items()))
        if refused := refusals_words(last.get("refusals") or {}):
            lines.append(f"  {refused}")
        lines.extend(f"  error: {error}" for error in last.get("errors") or [])
    else:
        lines.append("last run: none finished yet")
    running = doc.get("running")
    if running:
        if is_alive(int(running["pid"])):
            lines.append(
                f"running now: pid {running['pid']} ({running['trigger']} run, "
                f"started {running['started_at']})"
            )
        else:
            lines.append(
                f"a {running['trigger']} run by pid {running['pid']} started "
                f"{running['started_at']} did not finish (the process is gone)"
            )
    scheduler = doc.get("scheduler")
    if scheduler:
        state = scheduler["state"]
        if state == "running" and not is_alive(int(scheduler["pid"])):
            state = "gone (the process ended without stopping cleanly)"
        line = (
            f"scheduler: {scheduler['schedule']} ({scheduler['timezone']}), "
            f"pid {scheduler['pid']}, {state}"
        )
        if state == "running" and doc.get("next_run_at"):
            line += f"; next run {doc['next_run_at']}"
        lines.append(line)
    else:
        lines.append("scheduler: never started with this cache")
    if where:
        lines.append(f"(from {where}, updated {doc.get('updated_at')})")
    return "\n".join(lines) + "\n"
