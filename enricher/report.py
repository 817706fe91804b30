"""Run reports: pure functions from a ``RunSummary`` to text. No I/O, no colour."""

from __future__ import annotations

import json
from typing import Any

from .models import CheckedLink, DigestResult, RunSummary, Status
from .records import iso, status_counts

REPORT_SCHEMA_VERSION = 1

NETWORK_DOWN_NOTE = (
    "the network looks unavailable: no host answered during this run, so links that could "
    "not be reached are marked unreachable, not broken"
)


def non_ok(summary: RunSummary) -> list[tuple[DigestResult, CheckedLink]]:
    """Every link that is not ``ok``, in digest and line order."""
    return [
        (digest, link)
        for digest in summary.digests
        for link in digest.links
        if link.verdict.status is not Status.OK
    ]


def link_line(path: str, link: CheckedLink) -> str:
    """``path:line: status: label url (reason) -> suggested``: what an editor jumps to."""
    verdict = link.verdict
    parts = [f"{path}:{link.entry.line}: {verdict.status.value}:"]
    if link.entry.label:
        parts.append(link.entry.label)
    if link.entry.url is not None:
        parts.append(link.entry.url)
    if verdict.reason:
        parts.append(f"({verdict.reason})")
    if verdict.suggested_url and verdict.status is Status.REDIRECTED:
        parts.append(f"-> {verdict.suggested_url}")
    return " ".join(parts)


def _counts_line(summary: RunSummary) -> str:
    return ", ".join(f"{status.value} {summary.counts.get(status, 0)}" for status in Status)


def _requests_line(summary: RunSummary) -> str:
    sent = sum(summary.requests.values())
    if not sent:
        return "no network requests"
    detail = ", ".join(f"{service} {n}" for service, n in sorted(summary.requests.items()) if n)
    return f"{sent} network requests ({detail})"


def format_text(summary: RunSummary, *, brief: bool = False) -> str:
    """The human report: errors, input problems, counts, then every link that is not ok.

    ``brief`` (``-q``) leaves out the opening line about time, requests and records.
    """
    lines: list[str] = [f"error: {error}" for error in summary.errors]
    lines += [str(problem) for problem in summary.problems]
    if not brief:
        written = sum(1 for d in summary.digests if d.written)
        lines.append(
            f"Checked {summary.total_links} links in {len(summary.digests)} digests in "
            f"{summary.duration_s:.1f} s; {_requests_line(summary)}; "
            f"{written} record{'s' if written != 1 else ''} written."
        )
    lines.append(f"Summary: {_counts_line(summary)}")
    if summary.network_unavailable:
        lines.append(f"warning: {NETWORK_DOWN_NOTE}")
    lines += [link_line(digest.path, link) for digest, link in non_ok(summary)]
    return "\n".join(lines) + "\n"


def _link_json(path: str, link: CheckedLink) -> dict[str, Any]:
    verdict = link.verdict
    return {
        "file": path,
        "line": link.entry.line,
        "label": link.entry.label,
        "url": link.entry.url,
        "kind": link.kind.value,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "http_status": verdict.http_status,
        "suggested_url": verdict.suggested_url,
    }


def format_json(summary: RunSummary) -> str:
    """The machine report: totals, per-file totals, timing, and each link that is not ok."""
    report = {
        "report_version": REPORT_SCHEMA_VERSION,
        "started_at": iso(summary.started_at),
        "duration_s": round(summary.duration_s, 3),
        "exit_code": summary.exit_code,
        "network_unavailable": summary.network_unavailable,
        "requests": dict(sorted(summary.requests.items())),
        "totals": status_counts(
            [link.verdict.status for digest in summary.digests for link in digest.links]
        ),
        "files": [
            {
                "file": digest.path,
                "record": digest.record_path,
                "written": digest.written,
                "totals": status_counts([link.verdict.status for link in digest.links]),
            }
            for digest in summary.digests
        ],
        "problems": [
            {"file": p.path, "line": p.line, "message": p.message} for p in summary.problems
        ],
        "errors": list(summary.errors),
        "links": [_link_json(digest.path, link) for digest, link in non_ok(summary)],
    }
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


FORMATTERS = {"text": format_text, "json": format_json}
