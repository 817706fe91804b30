"""How hard to press one host: an adaptive concurrency limit (``HostPace``, pure: decisions
from values) and the gate that holds requests to it (``HostGate``).

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

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import FailureKind, FetchFailure
from .retries import AsyncSleep

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


class HostGate:
    """The requests in flight to one host, under its adaptive ``HostPace``.

    Waiting requests are served in arrival order, but the next step of a link already under
    way (a redirect hop, a retry) goes before a link's first request: finishing what was
    started is what ends a run sooner. A pause (a 429/503 with Retry-After) holds every
    request of the host that has not started yet, not only the one that was refused, until
    it runs out or an answer disproves it (``HostPace``). A released slot is handed straight
    to the next waiter, so no wake-up is wasted.
    """

    def __init__(self, pace: HostPace, sleep: AsyncSleep, clock: Callable[[], datetime]) -> None:
        self.pace = pace
        self.in_flight = 0
        self.silent = 0
        """Requests in a row that got no answer in time; at ``SILENT_LIMIT`` the host is
        given up on for the run."""
        self._sleep = sleep
        self._clock = clock
        self._waiting: tuple[deque[asyncio.Future[None]], deque[asyncio.Future[None]]] = (
            deque(),
            deque(),
        )
        """Follow-up steps of links under way, then first requests."""
        self._lifted: asyncio.Future[None] | None = None
        """Resolved when an answer ends the current pause early."""

    @contextlib.asynccontextmanager
    async def slot(self, honoured: int = 0, follow_up: bool = False) -> AsyncIterator[int]:
        """Hold one of the host's slots for the duration of a request; yields its ticket.

        ``honoured``: pauses up to this one were already waited out by the caller.
        ``follow_up``: the request continues a link already under way.
        """
        ticket = await self._acquire(honoured, follow_up)
        try:
            yield ticket
        finally:
            self._release()

    async def _acquire(self, honoured: int, follow_up: bool) -> int:
        while True:
            if self.pace.pauses > honoured:
                honoured = self.pace.pauses
                wait = self.pace.pause_left_s(self._clock())
                if wait > 0:
                    await self._wait_out_pause(wait)
                    continue
            if self.in_flight < self.pace.limit and not any(self._waiting):
                self.in_flight += 1
            else:
                queue = self._waiting[0 if follow_up else 1]
                handed = asyncio.get_running_loop().create_future()
                queue.append(handed)
                try:
                    await handed  # a releasing request hands us its slot
                except asyncio.CancelledError:
                    if handed.cancelled():
                        with contextlib.suppress(ValueError):  # _fill may have dropped it
                            queue.remove(handed)
                    else:
                        self._release()  # handed a slot we will not use
                    raise
            if self.pace.pauses > honoured and self.pace.pause_left_s(self._clock()) > 0:
                self._release()  # a pause began while we waited: honour it first
                continue
            return self.pace.started()

    async def _wait_out_pause(self, wait_s: float) -> None:
        """Sleep through the host's pause, or until an answer ends it early (``HostPace``)."""
        if self._lifted is None or self._lifted.done():
            self._lifted = asyncio.get_running_loop().create_future()
        sleeping = asyncio.ensure_future(self._sleep(wait_s))
        try:
            await asyncio.wait((sleeping, self._lifted), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
        if sleeping.done() and not sleeping.cancelled():
            sleeping.result()  # a sleep that failed fails the request, not silently ends a pause

    def _release(self) -> None:
        self.in_flight -= 1
        # Handed out on the next turn of the loop: a link whose hop goes to this same host
        # queues it first, and so goes before the first requests waiting here.
        asyncio.get_running_loop().call_soon(self._fill)

    def _fill(self) -> None:
        """Hand free slots to waiters, follow-ups first (skipping any cancelled meanwhile)."""
        while self.in_flight < self.pace.limit:
            queue = next((q for q in self._waiting if q), None)
            if queue is None:
                return
            handed = queue.popleft()
            if handed.done():
                continue  # cancelled in the same turn the slot came free
            self.in_flight += 1
            handed.set_result(None)

    def silent_failure(self, host: str) -> FetchFailure:
        """The outcome of a request not sent because the host stopped answering."""
        return FetchFailure(
            FailureKind.NO_ANSWER,
            f"not sent: {host} left {self.silent} requests in a row unanswered this run",
        )

    def answered(self, ticket: int, status: int, retry_after_s: float | None) -> int:
        """Adapt the host's limit to an answer; a raised limit lets a waiter in at once.

        Returns the host's pause count: a pause this answer started is the caller's own to
        wait out (its retry does), not one to wait for again at the gate.
        """
        lifted = self.pace.answered(status, retry_after_s, self._clock(), self.in_flight, ticket)
        if lifted and self._lifted is not None and not self._lifted.done():
            self._lifted.set_result(None)  # wakes every request waiting out the pause
        self._fill()
        return self.pace.pauses
