"""How fast one registry is asked: requests per second and requests in flight, as its terms
say, lowered (never raised) by what its answers say, and paused when it refuses us.

Crossref counts both (``x-rate-limit-limit`` per ``x-rate-limit-interval``, and
``x-concurrency-limit``) and answers 429 past either; the limits depend on the pool (public, or
polite with a ``mailto``). Requests start evenly spaced rather than in bursts: a limiter that
counts requests per second refuses a burst even when the average is within the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...net.retries import AsyncSleep

SLOWEST_PER_SECOND = 1 / 60
"""The slowest pace a registry's headers can set: one request a minute. Slower than that
is a refusal, which Retry-After and the retries handle."""

_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class Limits:
    """What a registry allows one client."""

    per_second: float
    """Requests started per second, at most."""
    in_flight: int
    """Requests waiting for an answer at once, at most."""


def parse_interval(value: str) -> float | None:
    """``1s``, ``60s``, ``1m``, ``500ms`` (Crossref's ``x-rate-limit-interval``) in seconds."""
    match = _INTERVAL.fullmatch(value.strip().lower())
    if match is None:
        return None
    seconds = float(match[1]) * _UNIT_S[match[2] or "s"]
    return seconds if seconds > 0 else None


def _positive_int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    number = int(value)
    return number if number > 0 else None


def advertised_limits(headers: Mapping[str, str]) -> tuple[float | None, int | None]:
    """The rate (requests per second) and concurrency an answer's headers advertise, each
    None when absent or unreadable (``x-rate-limit-limit``/``-interval``,
    ``x-concurrency-limit``)."""
    limit = _positive_int(headers.get("x-rate-limit-limit"))
    interval = parse_interval(headers.get("x-rate-limit-interval", "1s"))
    per_second = limit / interval if limit is not None and interval is not None else None
    return per_second, _positive_int(headers.get("x-concurrency-limit"))


class Pace:
    """The pace of one registry for one run: evenly spaced starts, bounded requests in
    flight, a shared pause after a refusal. Time comes from the run's injected clock and
    sleep, so tests record the waits instead of taking them."""

    def __init__(self, limits: Limits, now: Callable[[], datetime], sleep: AsyncSleep) -> None:
        self.ceiling = limits
        """Our own limits (the registry's terms): headers may lower the pace, never raise it."""
        self.per_second = limits.per_second
        self.in_flight_limit = max(1, limits.in_flight)
        self._now = now
        self._sleep = sleep
        self._in_flight = 0
        self._slots = asyncio.Condition()
        self._turns = asyncio.Lock()
        self._next_start: datetime | None = None
        self._paused_until: datetime | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request's place: wait for room in flight, then for its turn to start."""
        async with self._slots:
            await self._slots.wait_for(lambda: self._in_flight < self.in_flight_limit)
            self._in_flight += 1
        try:
            await self._turn()
            yield
        finally:
            async with self._slots:
                self._in_flight -= 1
                self._slots.notify_all()

    async def _turn(self) -> None:
        """Wait until this request may start: spaced ``1/per_second`` after the last one, and
        not before a pause ends."""
        async with self._turns:
            now = self._now()
            start = max(
                (t for t in (self._next_start, self._paused_until) if t is not None),
                default=now,
            )
            if start > now:
                await self._sleep((start - now).total_seconds())
            else:
                start = now
            self._next_start = start + timedelta(seconds=1 / self.per_second)

    def adopt(self, headers: Mapping[str, str]) -> None:
        """Follow the limits an answer advertises, within our own."""
        per_second, in_flight = advertised_limits(headers)
        if per_second is not None:
            self.per_second = min(self.ceiling.per_second, max(per_second, SLOWEST_PER_SECOND))
        if in_flight is not None:
            self.in_flight_limit = max(1, min(self.ceiling.in_flight, in_flight))

    def pause(self, seconds: float) -> None:
        """Start nothing for ``seconds``: every other request would be refused too."""
        until = self._now() + timedelta(seconds=seconds)
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
