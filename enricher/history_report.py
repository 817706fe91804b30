"""``enricher history URL``: one link's checks, newest first, for people or as JSON. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .models import Check, LinkState
from .records import iso
from .report import visible


def history_json(url: str, key: str, state: LinkState | None, checks: Sequence[Check]) -> str:
    """The link's state and its kept checks, newest first."""
    doc: dict[str, Any] = {
        "url": url,
        "key": key,
        "first_seen_at": iso(state.first_seen_at) if state else None,
        "last_ok_at": iso(state.last_ok_at) if state else None,
        "failing_since": iso(state.failing_since) if state else None,
        "consecutive_failures": state.consecutive_failures if state else 0,
        "checks": [
            {
                "checked_at": iso(check.checked_at),
                "status": check.status.value,
                "http_status": check.http_status,
                "reason": check.reason,
            }
            for check in checks
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def history_text(url: str, key: str, state: LinkState | None, checks: Sequence[Check]) -> str:
    """A heading with the dates that matter, then one line per check, newest first."""
    lines = [visible(f"{url} ({key})")]
    if state is not None:
        failing = (
            f"failing since {iso(state.failing_since)} ({state.consecutive_failures} failing "
            f"check{'s' if state.consecutive_failures != 1 else ''} in a row)"
            if state.failing_since
            else "working at the latest check"
        )
        lines.append(
            f"first seen {iso(state.first_seen_at)}, last ok {iso(state.last_ok_at) or 'never'}, "
            + failing
        )
    lines.append(f"{len(checks)} check{'s' if len(checks) != 1 else ''} kept, newest first:")
    for check in checks:
        http = str(check.http_status) if check.http_status is not None else "-"
        reason = f"  {check.reason}" if check.reason else ""
        lines.append(
            visible(f"  {iso(check.checked_at)}  {check.status.value:<11}  {http:>3}{reason}")
        )
    return "\n".join(lines) + "\n"
