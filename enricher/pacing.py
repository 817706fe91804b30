"""How hard to press one host: an adaptive concurrency limit. Pure: decisions from values.

Each host gets a limit on requests in flight that starts at the ceiling (``--per-host``,
default 6 as browsers use per host) and adapts like TCP's congestion window: a 429 or 503
halves it (multiplicative decrease) and pauses the whole host for its Retry-After, since
every other request to that host would get the same answer; answers that are not refusals
raise it by one per window of successes (additive increase) back to the ceiling, which a
burst of several 429s lowers to the load that got through. Starting at
the ceiling rather than probing above it means a polite host is never pushed past what a
browser would ask of it, which keeps provoked 429s near zero.

The pause rests on that "would get the same answer", so the host can disprove it: when a
*lone* refusal is followed by an ordinary answer (below 500) to a request sent after the
refused one, the refusal was that page's own (one route's backend failing, one URL's quota),
not the host's. The pause then ends; the refused page's own retry still waits its
Retry-After, and the limit stays halved. A second refusal in the same burst makes the pause
firm: a host that is really rate limiting or overloaded refuses more than one page, and then
nothing ends its pause early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PUSHBACK_STATUSES = frozenset({429, 503})
"""Answers that mean "too much, slow down": the host's limit is halved and it is paused."""

DEFAULT_PAUSE_S = 1.0
"""Pause for a 429/503 that names no Retry-After."""

FIRM = 1 << 62
"""``_paused_for`` of a pause no answer can end early (several pages refused)."""

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
    _sent: int = 0
    """Requests started so far; each one's number is its ticket."""
    _burst_edge: int = 0
    """The last ticket sent before the current burst of refusals began."""
    _burst_load: int = 1
    """Requests in flight when the current burst of refusals began."""
    _burst_refused: int = 0
    """429s counted in the current burst."""
    _served: int = 0
    """The highest ticket answered normally (not a refusal)."""
    _paused_for: int = 0
    """The highest refused ticket the current pause is for: an ordinary answer to a later
    ticket shows the host serving, and ends the pause (``FIRM``: nothing does)."""
    _burst_pushbacks: int = 0
    """429s and 503s counted in the current burst."""

    def __post_init__(self) -> None:
        self.ceiling = max(1, self.ceiling)
        if self.limit <= 0:
            self.limit = self.ceiling

    def started(self) -> int:
        """A request to the host is starting: its ticket (tells which burst it belongs to)."""
        self._sent += 1
        return self._sent

    def answered(
        self,
        status: int,
        retry_after_s: float | None,
        now: datetime,
        in_flight: int = 1,
        ticket: int | None = None,
    ) -> bool:
        """Adapt to the answer to request ``ticket``, given while ``in_flight`` were out.

        Refusals of requests sent before the first refusal of a burst arrived belong to
        that burst: only the first halves the limit (TCP reduces once per window). Several
        429s in one burst show a limit on load, not on one page: the ceiling comes down to
        the load that got through (in flight less refused), so recovery stops short of the
        same refusal. A lone 429 (one page's quota) or a 503 (a passing failure) only dips
        the limit and pauses the host.

        Returns True when this answer ended a pause still running (the host served a
        request sent after a lone refusal).
        """
        if status in PUSHBACK_STATUSES:
            self.successes = 0
            if ticket is None or ticket > self._burst_edge:
                self.limit = max(1, self.limit // 2)
                self._burst_edge, self._burst_load, self._burst_refused = self._sent, in_flight, 0
                self._burst_pushbacks = 0
            self._burst_pushbacks += 1
            if status == 429:
                self._burst_refused += 1
                if self._burst_refused >= 2:
                    got_through = self._burst_load - self._burst_refused
                    self.ceiling = max(1, min(self.ceiling, got_through))
                    self.limit = min(self.limit, self.ceiling)
            firm = self._burst_pushbacks >= 2 or ticket is None
            if ticket is not None and not firm and ticket < self._served:
                return False  # a lone refusal already disproved: a later request was served
            wait = DEFAULT_PAUSE_S if retry_after_s is None else retry_after_s
            if 0 < wait <= MAX_PAUSE_S:
                if self.pause_left_s(now) == 0.0:
                    self._paused_for = 0  # a new pause: what disproved an old one is past
                until = now + timedelta(seconds=wait)
                if self.paused_until is None or until > self.paused_until:
                    self.paused_until = until
                    self.pauses += 1
                self._paused_for = FIRM if firm else max(self._paused_for, ticket or 0)
            return False
        if self.limit < self.ceiling:
            self.successes += 1
            if self.successes >= self.limit:
                self.limit += 1
                self.successes = 0
        if ticket is None or status >= 500:
            return False  # a server error shows nothing about the host serving
        self._served = max(self._served, ticket)
        if ticket > self._paused_for and self.pause_left_s(now) > 0:
            self.paused_until = None
            return True
        return False

    def pause_left_s(self, now: datetime) -> float:
        """Seconds until requests may start again (0 when the host is not paused)."""
        if self.paused_until is None:
            return 0.0
        return max(0.0, (self.paused_until - now).total_seconds())
