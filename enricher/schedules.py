"""When the background job runs: an interval or a five-field crontab, in a time zone.

Pure: the schedule as given, how to describe it, and the one translation APScheduler 3 needs.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EVERY_S = 6 * 3600.0

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAY_NUMBERS = {name: number for number, name in enumerate(_DAY_NAMES)}


@dataclass(frozen=True)
class Schedule:
    """``cron`` (as the user wrote it) or ``every_s``; exactly one is set."""

    cron: str | None = None
    every_s: float | None = DEFAULT_EVERY_S
    timezone: str = "UTC"
    run_now: bool = True
    """Run once at start, before the first scheduled time."""

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron '{self.cron}'"
        return f"every {format_duration(self.every_s or 0)}"


def format_duration(seconds: float) -> str:
    """``21600`` -> ``6h``, ``90`` -> ``1m30s``, ``0.5`` -> ``0.5s``."""
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"
    whole = round(seconds)
    parts = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def apscheduler_crontab(expr: str) -> str:
    """A standard crontab expression, rewritten so that APScheduler 3 reads it as cron does.

    APScheduler 3 numbers weekdays from Monday = 0, crontab from Sunday = 0 (and 7), so the
    weekday field is spelled out as day names, which both read alike: ``1-5`` -> ``mon,...,fri``.
    Raises ``ValueError`` naming the field when it is not five fields or the weekday is wrong.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected five fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    weekday = fields[4]
    if weekday in ("*", "?"):
        return " ".join([*fields[:4], "*"])
    days: set[int] = set()
    for part in weekday.lower().split(","):
        days |= _weekday_part(part, weekday)
    ordered = sorted(days)
    if ordered == list(range(7)):
        return " ".join([*fields[:4], "*"])
    return " ".join([*fields[:4], ",".join(_DAY_NAMES[d] for d in ordered)])


def _weekday_part(part: str, whole: str) -> set[int]:
    """One comma item of a crontab weekday field, as Sunday = 0 day numbers."""
    base, slash, step_text = part.partition("/")
    try:
        step = int(step_text) if slash else 1
    except ValueError:
        raise ValueError(f"day-of-week {whole!r}: bad step {step_text!r}") from None
    if step < 1:
        raise ValueError(f"day-of-week {whole!r}: step must be at least 1")
    if base == "*":
        low, high = 0, 6
    elif "-" in base:
        first, _, last = base.partition("-")
        low, high = _day(first, whole), _day(last, whole)
        if high == 0 and low > 0:
            high = 7  # sat-sun, 5-0: Sunday closes the week
        if high < low:
            raise ValueError(f"day-of-week {whole!r}: range {base!r} runs backwards")
    else:
        low = _day(base, whole)
        high = 7 if slash else low  # "1/2": from Monday on, every second day
    return {day % 7 for day in range(low, high + 1, step)}


def _day(text: str, whole: str) -> int:
    if text in _DAY_NUMBERS:
        return _DAY_NUMBERS[text]
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    raise ValueError(f"day-of-week {whole!r}: {text!r} is not 0-7 or a day name (sun, mon, ...)")
