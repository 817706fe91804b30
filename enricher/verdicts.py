"""What every authority's verdict rules share. Pure: no I/O, no clock.

Each authority judges its own facts (``enricher.authorities.*``: ``verdict``); the rules all
of them follow live here. Reasons depend only on the facts, never on how many attempts it
took, so a re-run that sees the same world writes the same record.

The rule of thumb: ``broken`` only when the authority said the thing does not exist; anything
that merely failed to answer is ``unreachable`` or ``blocked``, because it may exist.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .models import Status, Verdict

MAX_RETRY_AFTER_S = 60.0
"""Longest Retry-After we honour; a server asking for more is treated as refusing us now."""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true too
        return min(float(value), RETRY_AFTER_CEILING_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return min(max(0.0, (when - now).total_seconds()), RETRY_AFTER_CEILING_S)


RETRY_AFTER_CEILING_S = 366 * 86_400.0
"""Longer Retry-After values are read as a year: any such answer is "not now", and clamping
keeps a hostile ``Retry-After: 999...9`` from overflowing a date."""


def is_transient_status(code: int) -> bool:
    """408, 429 and 5xx (but 501 Not Implemented, which will not change) are worth a retry."""
    return code in (408, 429) or (500 <= code <= 599 and code != 501)


def unreachable(reason: str, *, network_level: bool = False) -> Verdict:
    """A verdict for a target nobody could answer for this run (API down, quota gone, offline)."""
    return Verdict(Status.UNREACHABLE, reason, network_level_failure=network_level)
