"""The gate that holds one host's requests to its pace (``host_pace.HostPace``): its slots,
a spaced host's places and the hold at the wire, and stalled requests.

A request running far past the host's usual answer time (``STALL_FACTOR`` times it, at least
``STALL_MIN_S``) stops counting against the adaptive limit and a ceiling learnt below
``--per-host``, though never against ``--per-host`` itself: a hanging page must not hold the
host's other links back (head-of-line blocking) when its limit has come down to one or two,
nor when a few pages refusing on their own taught a ceiling of four and three slow pages and
a hang took all four (mixed.py, seed 3: the host's last link left 2.6 s after the hang's
timeout instead of before it). If a page's first ask sent past that ceiling, stalled ones
left out, is refused, and no later answer shows the refusal its own, they hold places at the
host (a cap counting them) and count against its ceiling again: left out, each one sent past
it was refused (3-10 more refusals a run against a cap of 4 answering 429s).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from ..models import FailureKind, FetchFailure
from .host_pace import PUSHBACK_STATUSES, WALL_STATUS, HostPace
from .rate_pace import RatePace
from .refusing_all import REFUSING_FIRST_ASKS, REFUSING_GAP_S, REFUSING_SPAN_S
from .retries import AsyncSleep

SILENT_LIMIT = 3
"""Requests in a row a host may leave unanswered (timeouts) before the rest of its links are
reported without being sent: a dead host must not cost a timeout per link, which would make
a run's length grow with the number of links it holds."""

STALL_FACTOR = 8.0
"""A request running this many times the host's usual answer time is stalled."""

STALL_MIN_S = 2.0
"""...and at least this long: a slow page is not a stalled one."""

ANSWER_TIME_WEIGHT = 0.2
"""Weight of the newest answer time in the host's usual one (an exponential average)."""

HEADERS_LEAVING = "send_request_headers.started"
"""httpcore's trace event just before a request's first bytes are written (HTTP/1.1 and
HTTP/2 alike: ``http11.`` or ``http2.`` before it)."""


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
        self.per_host = pace.ceiling
        """Never more requests in flight than this, stalled ones too (``--per-host``)."""
        self._stalled_hold_places = False
        """A page's first ask sent past the ceiling, stalled ones left out, was refused (and
        not disproved since): they count against it."""
        self._held_since: int | None = None
        """The pause that refusal began: a later answer lifting it disproves it."""
        self._past_ceiling: set[int] = set()
        """First asks in flight sent past the ceiling, stalled ones left out."""
        self.in_flight = 0
        self.silent = 0
        """Requests in a row that got no answer in time; at ``SILENT_LIMIT`` the host is
        given up on for the run."""
        self._sleep = sleep
        self._clock = clock
        self._waiting: tuple[
            deque[asyncio.Future[None]], deque[asyncio.Future[None]], deque[asyncio.Future[None]]
        ] = (deque(), deque(), deque())
        """Follow-up steps of links under way (a redirect hop), pages asked again, then first
        requests."""
        self._lifted: asyncio.Future[None] | None = None
        """Resolved when an answer ends the current pause early."""
        self._respaced: asyncio.Future[None] | None = None
        """Resolved when an answer changes the host's spacing: places are taken again."""
        self._started_at: dict[int, datetime] = {}
        """Per request in flight (by ticket), when it started."""
        self._stalled: set[int] = set()
        """Requests running far past the host's usual answer time (see the module)."""
        self.usual_answer_s: float | None = None
        """The host's usual time to answer (an exponential average; None before any)."""
        self._stall_check: asyncio.TimerHandle | None = None
        self._last_asks_waiting = 0
        """Pages' last asks waiting for their turn: each keeps a longer gap before it."""
        self._first_asks_placing = 0
        """Pages' first asks holding a slot, not started yet (waiting for the run's global slot
        or for their turn)."""
        self._opener: asyncio.Future[None] | None = None
        """Wakes the gate as the host's opening ends (``_watch_the_opening``)."""
        self._left: set[int] = set()
        """Requests under way whose headers have left (httpcore's trace): those the host
        counts as a request arrives, not those still held at the wire."""
        self._wire_line: deque[asyncio.Future[None]] = deque()
        """Requests at the wire, in the order they reached it: the first one's is resolved
        (its turn to leave, its spacing after the last one that left)."""

    @contextlib.asynccontextmanager
    async def slot(
        self,
        honoured: int = 0,
        follow_up: bool = False,
        *,
        then: AbstractAsyncContextManager[object] | None = None,
        retry: int = 0,
        page: str | None = None,
        last_ask: bool = False,
    ) -> AsyncIterator[int]:
        """Hold one of the host's slots for the duration of a request; yields its ticket.

        ``honoured``: pauses up to this one were already waited out by the caller.
        ``follow_up``: the request continues a link already under way.
        ``then``: a further slot, taken once the host's is held (the run's global one): the
        request's start under the host's spacing is taken after it, so the spacing is kept
        between requests really sent, not between requests queued for the global slot.
        ``retry``: how often the request's link asked for its URL before (0: a first ask).
        ``page``: that URL (a page judged to refuse on its own and then served is unjudged).
        """
        while True:
            honoured = await self._acquire(honoured, follow_up, retry > 0)
            # Holding a slot, not started: for the global slot too, which a busy run's
            # first asks wait for most.
            placing = not retry
            self._first_asks_placing += placing
            try:
                if self.given_up:
                    yield 0  # not to be sent: the caller reports the host given up
                    return
                async with then if then is not None else contextlib.nullcontext():
                    turn = await self._wait_for_turn(honoured, retry > 0, last_ask)
                    if self.given_up:  # while it waited: not started, not sent
                        yield 0
                        return
                    # A ceiling learnt while it waited (a connection limit) counts too: its
                    # slot was taken under the old one, and sent now it is refused again.
                    # So does a limit dipped meanwhile on a host not spaced: handed a slot
                    # just before a refusal came in, a request left just after it, into the
                    # same refusal (one or two a run on nginx's 20/s host as its burst ran
                    # out). A spaced host's spacing holds its rate, and its requests wait
                    # for their places holding slots: sent back to queue, they had held a
                    # 10/s host with 500 ms pages to fewer at once than its spacing needs.
                    if turn and self._may_start(retry > 0):
                        self._first_asks_placing -= placing
                        placing = False
                        # Its load: the requests under way with it, not those holding a slot
                        # while they wait for their turn (on a spaced host, most of them).
                        load = len(self._started_at) + 1
                        # Past the ceiling as it stood at its start (a trial's probe, let
                        # to the load refused, brings it down again as it starts).
                        past_ceiling = load > self.pace.ceiling and not retry
                        rate = self.pace.rate
                        ticket = self.pace.started(self._clock(), load, retry, page, last_ask)
                        self._started_at[ticket] = self._clock()
                        if self.pace.rate is not rate:  # a trial of the load ended
                            _resolve(self._respaced)
                        if past_ceiling:
                            self._past_ceiling.add(ticket)
                        self._watch_for_stalls()
                        try:
                            yield ticket
                        finally:
                            self._started_at.pop(ticket, None)
                            self._left.discard(ticket)
                            self._stalled.discard(ticket)
                            self._past_ceiling.discard(ticket)
                            self.pace.forget(ticket)
                        return
            finally:
                self._first_asks_placing -= placing
                self._release()
            # A pause began while this request waited for its turn, or the ceiling (or, on a
            # host not spaced, the limit) came down to the requests under way: it waits it
            # out, then queues again (at the back).

    async def _acquire(self, honoured: int, follow_up: bool, retry: bool = False) -> int:
        """Take a slot of the host, after any pause not yet honoured; returns the pauses
        honoured."""
        while True:
            if self.pace.pauses > honoured:
                honoured = self.pace.pauses
                wait = self.pace.pause_left_s(self._clock())
                if wait > 0:
                    await self._wait_out_pause(wait)
                    continue
            room = self._has_room() and not self._waiting_for_room()
            if room and (not retry or self._room_for_a_retry()):
                self.in_flight += 1
            else:
                queue = self._waiting[1 if retry else 0 if follow_up else 2]
                handed = asyncio.get_running_loop().create_future()
                queue.append(handed)
                self._watch_the_opening()
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
            return honoured

    async def _wait_for_turn(
        self, honoured: int, retry: bool = False, last_ask: bool = False
    ) -> bool:
        """Wait for this request's start under the host's spacing (``RatePace``), holding
        its slots; False when a pause began meanwhile (the request is not sent now)."""
        self._last_asks_waiting += int(last_ask)
        try:
            return await self._wait_for_place(honoured, retry, last_ask)
        finally:
            self._last_asks_waiting -= int(last_ask)

    async def _wait_for_place(self, honoured: int, retry: bool, last_ask: bool) -> bool:
        """``_wait_for_turn``'s loop: take a place, wait for it, take one again if the spacing
        changed meanwhile."""
        placed_again = False
        while True:
            rate = self.pace.rate  # a disproved refusal may put an older one back
            now, changes = self._clock(), rate.changes
            start = rate.start(now, self.pace.last_start, retry, last_ask)
            if start <= now:
                return self._still_on(honoured)
            ahead = self._last_asks_waiting - int(last_ask)
            wait_s = self._bounded((start - now).total_seconds(), rate, retry, last_ask, ahead)
            self._respaced = _unresolved(self._respaced)
            await self._sleep_unless(wait_s, self._respaced)
            if self.given_up:
                return True  # not to be sent (``slot``'s caller reports it): no place to wait
            if rate is self.pace.rate and rate.changes == changes:
                # The request before may have started late (a busy loop fires timers late):
                # the spacing counts from when it really started, not when it was due.
                last, now = self.pace.last_start, self._clock()
                if last is None or not rate.paced:
                    return self._still_on(honoured)
                short = (rate.gap_for(retry, last_ask) - (now - last)).total_seconds()
                if short <= 0:
                    return self._still_on(honoured)
                started = self.pace.started_so_far
                await self._sleep(self._bounded(short, rate, retry, last_ask, ahead))
                overtaken = self.pace.started_so_far != started
                if placed_again or not (
                    overtaken and retry and not last_ask and rate.retries_keep_places
                ):
                    return self._still_on(honoured)
                # A request started while this retry slept out its shortfall: it takes a
                # place again, keeping its gap from that one too. Leaving anyway, one left
                # 337 ms behind a start made meanwhile on a 2/s limiter (553 ms served well),
                # and was refused. (A last ask is held to its gap at the wire too.) Once only:
                # requests leaving the wire late overtook it at every place it took (a retry
                # among 40 first asks left last, 14 places later, and the run took twice as
                # long).
                placed_again = True
            # The spacing changed while this request waited (a refusal, a step of the search):
            # its place was taken at the old spacing, so it takes one at the new, now (a place
            # taken 274 ms apart had kept a host there for seconds after it was found to serve
            # 144 ms).

    def _still_on(self, honoured: int) -> bool:
        """No pause began since the ``honoured`` ones that is still running."""
        return not (self.pace.pauses > honoured and self.pace.pause_left_s(self._clock()) > 0)

    def tracer(
        self,
        ticket: int,
        deadline: asyncio.Timeout | None = None,
        *,
        last_ask: bool = False,
    ) -> Callable[[str, object], Awaitable[None]]:
        """httpcore's ``trace`` extension for request ``ticket``: on a spaced host, holds its
        headers to the spacing at the moment they leave (``at_wire``; a page asked again to
        the spacing served well, its ``last_ask`` to twice that), spaced when it started or
        since (on nginx's req20b10, the requests past the gate as the opening's refusals
        began the spacing left within 20 ms of them, all refused). The request's
        ``deadline`` stands still meanwhile: waiting for its turn is not the host failing to
        answer."""

        async def trace(event: str, info: object) -> None:
            if not event.endswith(HEADERS_LEAVING):
                return
            if self.pace.rate.paced:
                with _suspended(deadline):
                    await self.at_wire(ticket, last_ask=last_ask)
            else:
                self._left.add(ticket)

        return trace

    async def at_wire(self, ticket: int, *, last_ask: bool = False) -> None:
        """Request ``ticket``'s headers are about to leave: hold them until the host's spacing
        after the last ones that left (``HostPace.wire_due``: a page asked again keeps the
        spacing served well there too). A start taken at the gate can reach the wire late (a
        busy event loop, a new connection), and the next one on time, close behind it: the
        limiter counts arrivals, so the spacing is kept where they leave. Requests at the
        wire leave in the order they reached it, each its spacing after the one before it
        really left: timed from promises instead, one held behind a request that left late
        went too soon after it (nginx refused one 97.7 ms behind a request 5 ms late, spaced
        101 ms apart), and re-held, it was overtaken by every first ask behind it. It leaves
        one of the requests under way whose headers have left (``HostPace.sent``)."""
        turn = asyncio.get_running_loop().create_future()
        self._wire_line.append(turn)
        if self._wire_line[0] is turn:
            turn.set_result(None)
        try:
            await turn  # the requests ahead in line have left
            now = self._clock()
            retry = self.pace.asks_again(ticket)
            while (due := self.pace.wire_due(now, last_ask, retry)) > now:
                await self._sleep((due - now).total_seconds())
                now = self._clock()  # the spacing may have changed meanwhile
            # Its load as the host counts it: the requests under way that have left, not
            # those started and still held at the wire (counted as it started, a request
            # served as the fourth at nginx's limit_conn 4 was counted the fifth, and the
            # limit was never learnt).
            self._left.discard(ticket)
            self.pace.sent(ticket, now, 1 + len(self._left))
            self._left.add(ticket)
        finally:
            # Left, or cancelled: the next in line takes its turn.
            self._wire_line.remove(turn)
            if self._wire_line and not self._wire_line[0].done():
                self._wire_line[0].set_result(None)

    def _bounded(
        self,
        wait_s: float,
        rate: RatePace,
        retry: bool = False,
        last_ask: bool = False,
        last_asks_ahead: int = 0,
    ) -> float:
        """A wait for a start, never longer than a full round of the host's places, the longer
        gap the request keeps itself (a retry's, a last ask's: ``RatePace.gap_for``; cut to
        the spacing, the opening's retries left long before the second they keep) and those
        of the ``last_asks_ahead`` (at the spacing, requests behind two last asks left before
        their places); a wall clock stepped back must not hold a request for the hour it
        moved."""
        spacing = rate.interval_s
        own = rate.gap_for(retry, last_ask).total_seconds() - spacing
        longer = rate.gap_for(retry=True, last_ask=True).total_seconds() - spacing
        return min(wait_s, spacing * (self.pace.ceiling + 1) + own + longer * last_asks_ahead)

    def _may_start(self, retry: bool = False) -> bool:
        """Whether a request holding a slot may start now: under ``per_host``, the ceiling
        (a page asked again: ``HostPace.retry_ceiling``) and, on a host not spaced, the
        adaptive limit, counting the requests under way (stalled ones only against
        ``per_host``, and the ceiling once seen to hold places), not those holding a slot
        while they wait for their turn."""
        self.pace.open_up(self._clock())
        under_way = len(self._started_at)
        ceiling = self.pace.retry_ceiling if retry else self.pace.ceiling
        if under_way >= self.per_host or self._held(under_way) >= ceiling:
            return False
        return self.pace.rate.paced or under_way - len(self._stalled) < self.pace.limit

    def _has_room(self) -> bool:
        """Whether one more request may start: under the adaptive limit and the ceiling, not
        counting stalled requests (the ceiling does once they are seen to hold places), and
        under ``per_host``, counting them. The host's opening ends here when due
        (``HostPace.opens_at``): at a request asking for a slot or at one coming free, an
        answer or the stall check's wake-up (no timer of its own to wake)."""
        self.pace.open_up(self._clock())
        return (
            self.in_flight - len(self._stalled) < self.pace.limit
            and self._held(self.in_flight) < self.pace.ceiling
            and self.in_flight < self.per_host
        )

    def _waiting_for_room(self) -> bool:
        """Whether requests wait that a slot coming free would go to: pages asked again kept
        from it (``_room_for_a_retry``) do not, and a page not asked yet goes past them."""
        hops, asked_again, first = self._waiting
        return bool(hops or first or (asked_again and self._room_for_a_retry()))

    def _room_for_a_retry(self) -> bool:
        """Whether a page asked again handed a slot now would be within
        ``HostPace.retry_ceiling``: counting the slots held, but on a spaced host (whose
        places hold the load, not its slots) not those of pages not asked yet waiting for
        their places. The other retries' are counted: four retries handed slots together
        each took a place, one went, and the others gave theirs back at their turn, each
        leaving a gap where nothing started (a page not asked yet behind them left 1.0 s
        in, not 0.4 s, at 0.2 s apart)."""
        held = self.in_flight
        if self.pace.rate.paced:
            held -= self._first_asks_placing
        return self._held(held) < self.pace.retry_ceiling

    def _held(self, count: int) -> int:
        """``count`` requests in flight as the ceiling counts them: stalled ones left out,
        unless seen to hold places at the host."""
        return count if self._stalled_hold_places else count - len(self._stalled)

    def _stall_after_s(self) -> float:
        usual = self.usual_answer_s
        return STALL_MIN_S if usual is None else max(STALL_MIN_S, STALL_FACTOR * usual)

    def _watch_for_stalls(self) -> None:
        """Look for stalled requests when the oldest one still counted could be one."""
        if self._stall_check is not None:
            return
        counted = [when for ticket, when in self._started_at.items() if ticket not in self._stalled]
        if not counted:
            return
        elapsed = (self._clock() - min(counted)).total_seconds()
        delay = max(0.0, self._stall_after_s() - elapsed)
        self._stall_check = asyncio.get_running_loop().call_later(delay, self.check_stalls)

    def check_stalls(self) -> None:
        """Count requests running past the stall time as stalled, letting waiters in."""
        self._stall_check = None
        if self.usual_answer_s is not None:  # without an answer yet, nothing is usual
            now = self._clock()
            limit = self._stall_after_s()
            for ticket, when in self._started_at.items():
                if (now - when).total_seconds() >= limit:
                    self._stalled.add(ticket)
            self._fill()
            self._watch_for_stalls()
        elif self._started_at:
            self._fill()  # no answer yet, but the host's opening may be over (its first start)
            self._stall_check = asyncio.get_running_loop().call_later(
                STALL_MIN_S, self.check_stalls
            )

    async def _wait_out_pause(self, wait_s: float) -> None:
        """Sleep through the host's pause, or until an answer ends it early (``HostPace``)."""
        self._lifted = _unresolved(self._lifted)
        await self._sleep_unless(wait_s, self._lifted)

    async def _sleep_unless(self, wait_s: float, woken: asyncio.Future[None]) -> None:
        """Sleep ``wait_s``, or until ``woken`` is resolved (by an answer), if sooner."""
        sleeping = asyncio.ensure_future(self._sleep(wait_s))
        try:
            await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
        if sleeping.done() and not sleeping.cancelled():
            sleeping.result()  # a sleep that failed fails the request, not silently ends a wait

    def _release(self) -> None:
        self.in_flight -= 1
        # Handed out on the next turn of the loop: a link whose hop goes to this same host
        # queues it first, and so goes before the first requests waiting here.
        asyncio.get_running_loop().call_soon(self._fill)

    def _fill(self) -> None:
        """Hand free slots to waiters, follow-ups first (skipping any cancelled meanwhile); a
        slot that puts more in flight than the host has served well goes to a first request
        before a page asked again: that one probes the host's limit, and a page refused once
        already must not be the one refused (on nginx's limit_conn 4, a page refused at the
        opening was asked again as the fifth at once and needed its last attempt). So does
        every slot while a retry's refusal waits for a first ask to test the spacing it
        slowed (``HostPace.wants_a_first_ask``)."""
        hops, asked_again, first = self._waiting
        while self._has_room():
            # On a spaced host its places hold the load, not its slots.
            served_well = 0 if self.pace.rate.paced else self.pace.load_served_well()
            probe = 0 < served_well <= self.in_flight or self.pace.wants_a_first_ask
            order = (hops, first, asked_again) if probe else self._waiting
            # Not a page asked again, past the load it may leave into: handed the slot, it
            # would give it back at once, and take it again, and so on until an answer.
            queue = next(
                (q for q in order if q and (q is not asked_again or self._room_for_a_retry())),
                None,
            )
            if queue is None:
                return
            handed = queue.popleft()
            if handed.done():
                continue  # cancelled in the same turn the slot came free
            self.in_flight += 1
            handed.set_result(None)

    @property
    def fresh_waiting(self) -> bool:
        """Whether pages not asked yet wait at the host: for a slot, or holding one, not
        started yet."""
        return bool(self._waiting[2]) or self._first_asks_placing > 0

    @property
    def given_up(self) -> bool:
        """Whether the host's links not yet asked are given up: it left ``SILENT_LIMIT``
        requests in a row unanswered, or refuses every request (``HostPace.refuses_all``).
        For the rest of the run, unless a request still in flight is answered (served, for
        a refusing host): then the host is asked again."""
        return self.silent >= SILENT_LIMIT or self.pace.refuses_all

    def given_up_failure(self, host: str) -> FetchFailure:
        """The outcome of a request not sent to a host given up on (``given_up``)."""
        if self.silent >= SILENT_LIMIT:
            return FetchFailure(
                FailureKind.NO_ANSWER,
                f"not sent: {host} left {self.silent} requests in a row unanswered this run",
            )
        return FetchFailure(
            FailureKind.REFUSED,
            f"not sent: {host} refused every request this run ({REFUSING_FIRST_ASKS} pages or more "
            f"in a row for {REFUSING_SPAN_S:g} s, naming no wait, the last ones "
            f"{REFUSING_GAP_S:g} s apart or more)",
        )

    def answered(
        self, ticket: int, status: int, retry_after_s: float | None, wall: bool = False
    ) -> int:
        """Adapt the host's limit to an answer; a raised limit lets a waiter in at once. A
        bot ``wall``'s challenge is read as ``WALL_STATUS``, whatever status it came with.

        Returns the host's pause count: a pause this answer started is the caller's own to
        wait out (its retry does), not one to wait for again at the gate.
        """
        if wall:
            status, retry_after_s = WALL_STATUS, None
        now = self._clock()
        started = self._started_at.get(ticket)
        if started is not None and ticket not in self._stalled:
            took = (now - started).total_seconds()
            usual = self.usual_answer_s
            self.usual_answer_s = (
                took if usual is None else usual + ANSWER_TIME_WEIGHT * (took - usual)
            )
        rate, changes = self.pace.rate, self.pace.rate.changes
        lifted = self.pace.answered(
            status, retry_after_s, now, self.in_flight, ticket, fresh_waiting=self.fresh_waiting
        )
        if ticket in self._past_ceiling and status in PUSHBACK_STATUSES:
            # A page asked again tests the page, not the host: only first asks count here.
            self._stalled_hold_places = True
            self._held_since = self.pace.pauses if retry_after_s else None
        elif lifted and self._held_since == self.pace.pauses:
            # A request sent after it was served: that refusal was the page's own.
            self._stalled_hold_places, self._held_since = False, None
        if lifted:
            _resolve(self._lifted)  # wakes every request waiting out the pause
        if self.pace.rate is not rate or self.pace.rate.changes != changes or self.given_up:
            _resolve(self._respaced)  # wakes every request waiting for its place
        self._watch_the_opening()
        self._fill()
        return self.pace.pauses

    def _watch_the_opening(self) -> None:
        """Wake the gate as the host's opening ends, its first answer served, when requests
        wait for it: no answer may come then to let them in (``_fill_when_opened``). With
        none waiting, the next request to ask finds it over (``_has_room``)."""
        if (
            self._opener is None
            and self.pace.opening
            and self.pace.opening_answered
            and any(self._waiting)
        ):
            self._opener = asyncio.ensure_future(self._fill_when_opened())

    async def _fill_when_opened(self) -> None:
        """Let waiters in when the host's opening ends, its first answer served
        (``HostPace.opens_at``): waiting for the next answer instead, a host whose pages
        take a while lost a second round of them at two at once."""
        when = self.pace.opens_at
        if when is not None:
            await self._sleep(max(0.0, (when - self._clock()).total_seconds()))
        self._fill()  # over unless a refusal ended it first: ``_has_room`` opens it


def _unresolved(future: asyncio.Future[None] | None) -> asyncio.Future[None]:
    """``future`` while still pending, else a new one to wait on."""
    if future is None or future.done():
        return asyncio.get_running_loop().create_future()
    return future


def _resolve(future: asyncio.Future[None] | None) -> None:
    """Wake whatever waits on ``future`` (if any still does)."""
    if future is not None and not future.done():
        future.set_result(None)


@contextlib.contextmanager
def _suspended(deadline: asyncio.Timeout | None) -> Iterator[None]:
    """``deadline`` stands still inside: it runs out as much later as the time spent (one not
    set stays unset)."""
    if deadline is None or (when := deadline.when()) is None:
        yield
        return
    loop = asyncio.get_running_loop()
    left_s = when - loop.time()
    deadline.reschedule(None)
    try:
        yield
    finally:
        deadline.reschedule(loop.time() + left_s)
