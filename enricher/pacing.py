"""How hard to press one host: an adaptive concurrency limit. Pure: decisions from values.

Each host gets a limit on requests in flight that starts at the ceiling (``--per-host``,
default 6 as browsers use per host) and adapts like TCP's congestion window: a 429 or 503
halves it (multiplicative decrease) and pauses the whole host for its Retry-After, since
every other request to that host would get the same answer; answers that are not refusals
raise it by one per window of successes (additive increase) back to the ceiling, which a
second 429 during that recovery lowers below the load it refused. Starting at
the ceiling rather than probing above it means a polite host is never pushed past what a
browser would ask of it, which keeps provoked 429s near zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PUSHBACK_STATUSES = frozenset({429, 503})
"""Answers that mean "too much, slow down": the host's limit is halved and it is paused."""

DEFAULT_PAUSE_S = 1.0
"""Pause for a 429/503 that names no Retry-After."""

MAX_PAUSE_S = 60.0
"""The longest host-wide pause honoured; a longer Retry-After is reported, not waited for."""


@dataclass
class HostPace:
    """The adaptive limit and pause of one host."""

    ceiling: int
    """Never more than this many requests in flight (``--per-host``)."""
    limit: int = 0
    """Requests allowed in flight now; 0 means "not set yet" and becomes the ceiling."""
    paused_until: datetime | None = None
    """No new request starts before this moment (a 429/503 asked us to wait)."""
    pauses: int = 0
    """How many times the host pushed back: a new pause is a new epoch for waiters."""
    successes: int = 0
    """Answers since the limit last changed; a full window of them raises it by one."""

    def __post_init__(self) -> None:
        self.ceiling = max(1, self.ceiling)
        if self.limit <= 0:
            self.limit = self.ceiling

    def answered(
        self, status: int, retry_after_s: float | None, now: datetime, in_flight: int = 1
    ) -> None:
        """Adapt to one answer from the host, given while ``in_flight`` requests were out.

        The refusals of one burst arrive together: only the first, outside a pause, lowers
        the limit (TCP reduces once per window). A host that sends a 429 again before the
        limit has climbed back has shown where its real limit is: the ceiling comes down
        below the load it refused, so recovery stops short of the same refusal. A single
        429 or any 503 may be about one page or a passing failure, and leaves it alone.
        """
        if status in PUSHBACK_STATUSES:
            self.successes = 0
            if self.pause_left_s(now) == 0:
                recovering = self.limit < self.ceiling
                self.limit = max(1, self.limit // 2)
                if status == 429 and recovering:
                    self.ceiling = max(1, min(self.ceiling, in_flight - 1))
                    self.limit = min(self.limit, self.ceiling)
            wait = DEFAULT_PAUSE_S if retry_after_s is None else retry_after_s
            if 0 < wait <= MAX_PAUSE_S:
                until = now + timedelta(seconds=wait)
                if self.paused_until is None or until > self.paused_until:
                    self.paused_until = until
                    self.pauses += 1
            return
        if self.limit < self.ceiling:
            self.successes += 1
            if self.successes >= self.limit:
                self.limit += 1
                self.successes = 0

    def pause_left_s(self, now: datetime) -> float:
        """Seconds until requests may start again (0 when the host is not paused)."""
        if self.paused_until is None:
            return 0.0
        return max(0.0, (self.paused_until - now).total_seconds())
