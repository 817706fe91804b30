"""How far apart to start a host's requests, learnt from the refusals that name no wait.

A rate limiter (nginx's ``limit_req``, a token bucket) refuses whatever arrives faster than
its rate once its burst is spent, and says so with a bare 429 or 503: no Retry-After. Fewer
requests in flight do not help against it (a fast host answers in a millisecond, so even one
at a time overruns 10 requests a second); only spacing the starts does. So after such a
refusal the host's requests start ``interval_s`` apart, and the spacing is searched for
between two bounds:

- ``too_fast_s``: a refusal at spacing ``s`` proves ``s`` too fast. Before any, the first
  refusal proves at least ``FASTEST_S`` too fast (a host that refuses at all refuses that).
  A spacing is counted where the limiter counts it: between requests' headers leaving (the
  caller's ``HostPace`` and ``HostGate.at_wire``);
- ``fast_enough_s``: ``CONFIRM`` requests served in a row over ``CONFIRM_S`` at a spacing
  prove it slow enough (a single success proves little: a bucket's burst serves a few
  requests at any speed); on a host where a spacing so proved was refused later (a burst
  outlasted the second), twice as long each time, up to ``CONFIRM_MAX_S``.
  Before any, ``ENGAGE_S`` (one request a second) is taken as slow enough;
- the requests served between two refusals measure the limiter's rate: a bucket empty at
  both refusals served exactly its refill in between (less, if it overflowed meanwhile,
  so the spacing measured is never too fast). When it is faster than the one confirmed the
  search settles on it at once;
- the requests served since the last refusal handed over bound a bucket's refill: empty at
  that refusal, it served no more than one request beyond what it refilled, so
  ``n`` served, the last of them leaving ``t`` after it, prove it refills one every
  ``t / (n - 1)`` or faster (``CONFIRM`` served at least; only requests that left held to
  the spacing, one at a time and in order, are told). A first ask refused at a gap longer
  than that (kept clear of it as of a spacing refused: ``_clear_of``) is no such bucket's:
  a page failing on its own, on a host whose queue ran dry, or that last refusal was not
  the bucket's. It moves nothing, and the bound starts again from it;
- the search tries the geometric middle of the bounds (a limiter's rate may be anything from
  one to hundreds a second: the middle of its logarithm halves the uncertainty at each
  step), each step too fast costing one refusal, and settles on the slower bound once the
  two are within ``TOLERANCE``: at most that much slower than the limiter, with no refusal
  in steady state. It never tries a spacing closer to a refused one than ``MARGIN`` and
  ``WIRE_JITTER_S`` (arrivals jitter by a millisecond or two);
- after ``RECOVER_AFTER_S`` without a refusal the too-fast bound is relaxed a step and the
  step is tried at once, so a limit that was lifted is found again, a step at a time, never
  all at once; a step refused puts the spacing straight back (one refusal per step); once
  the bound is below ``FASTEST_S`` the host is not paced any more.

A refusal of a request sent more than twice the spacing after the one before it (a retry
after its backoff, on a quiet host) tests no spacing and moves nothing; the host's pace
(``HostPace``) hands over only refusals that look like a limit's (a step of the search
refused, or the second first-ask refusal among its last answers, more on a host some of
whose pages refuse on their own), never a retry refused right behind answers served at its
gap, at a spacing and a load served well (taken for its page's own failure).

Pure: decisions from values. Time is the caller's (``datetime``, the run's injected clock).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

ENGAGE_S = 1.0
"""The slowest spacing the search starts from: one request a second."""
SLOWEST_S = 10.0
"""The slowest spacing ever used: a host refusing one request every 10 s is not met by
spacing (its refusals are reported; retries still honour the backoff)."""
FASTEST_S = 0.005
"""The fastest: 200 requests a second, taken as too fast for a host that refused us."""
CONFIRM = 5
"""Requests served in a row at one spacing before it counts as slow enough..."""
CONFIRM_S = 1.0
"""...over at least this long: a bucket's burst would confirm a too-fast spacing for a
moment (10 spare requests last a third of a second at three times the rate)..."""
CONFIRM_MAX_S = 8.0
"""...and on a host where a spacing so confirmed was then refused (a burst outlasted the
second), twice as long each time, up to this: the closer a spacing is to the limiter's, the
longer its burst lasts (10 spare requests, at 35 ms against 50 ms, for over a second)."""
TOLERANCE = 0.1
"""The search stops when its bounds are this close: at most 10% slower than the limiter."""
BACK_OFF = 2.0
"""After a refusal at a spacing once proved slow enough, slow down by this factor."""
JITTER = 0.05
"""A request started this much sooner than its spacing (after a late one) still tests it."""
LATE = 1.5
"""A request served this much later than its spacing (a late timer) still tests it; one
served twice as late tests twice the spacing, not this one."""
MARGIN = 0.05
"""Added to a spacing measured between refusals, and kept from one refused, for the jitter
of timers and networks."""
WIRE_JITTER_S = 0.002
"""Also kept from a spacing refused: arrivals move by a millisecond or two either way (timers,
the network, a server's cached clock), whatever the spacing, and 1% of 100 ms is not that."""
RECOVER_AFTER_S = 30.0
"""Time without a refusal before the too-fast bound is relaxed by a step (each step may
cost a refusal: at most one per this long, however fast the host is)."""
RELAX = 0.8
"""How much a step of recovery relaxes the too-fast bound."""
LAST_ASK_SLACK = 2.0
"""A page's last ask leaves this many times the spacing served well after the host's last
request: a burst's slack can confirm a spacing too fast (5 a second with a burst of 2 served
176 ms for seconds), and a spacing measured between refusals can be (a burst of 20 refilling
made a 2/s limiter's 459 ms); held to that one, live pages were refused at all three asks.
Twice it refills a bucket whose rate is anything up to twice as slow."""


@dataclass
class RatePace:
    """The spacing of one host's request starts (0: not paced)."""

    interval_s: float = 0.0
    too_fast_s: float | None = None
    """The longest spacing a refusal has proved too fast."""
    fast_enough_s: float | None = None
    """The shortest spacing ``CONFIRM`` requests in a row have been served at."""
    next_start: datetime | None = None
    """No request starts before this moment."""
    changes: int = 0
    """Refusals and changes of spacing so far: a place taken before one is taken again
    after it."""
    _served_here: int = 0
    """Requests served in a row at the current spacing."""
    confirm_s: float = CONFIRM_S
    """How long requests are served in a row at a spacing before it counts as slow enough."""
    _confirmed: bool = False
    """``fast_enough_s`` was proved by answers served in a row (not the opening's guess, nor
    a spacing measured between refusals): refused there, a burst had covered it."""
    _guessed: bool = False
    """``fast_enough_s`` is the opening's guess (``ENGAGE_S``), neither proved nor measured."""
    guess_doubted: bool = False
    """A page was refused right behind an answer served at the guess (``HostPace`` read it
    as the page's own failure): a limiter letting one request through every one to two
    seconds (0.5-1/s) refuses just those, every other request at the guess."""
    _here_since: datetime | None = None
    """When the current spacing was set."""
    _quiet_since: datetime | None = None
    """The last refusal or recovery step: a step of recovery is due ``RECOVER_AFTER_S``
    later."""
    _refused_at: datetime | None = None
    """The last refusal, and the requests served since: the rate measured between two."""
    _served_since_refusal: int = 0
    _refusal_left: datetime | None = None
    """When the last refusal handed over (``refused``) left: a bucket that refused it was
    empty then, so what it served since bounds its refill (``_count_left``)."""
    _served_left: int = 0
    """Requests served since that left after it..."""
    _latest_left: datetime | None = None
    """...the last of them to leave..."""
    _refill_bound_s: float | None = None
    """...and the slowest spacing a bucket empty at that refusal can have, from them."""
    _probing: bool = False
    """A step of recovery is being tried: its refusal puts the spacing straight back."""
    _settled: bool = False
    """A recovery step was refused: the spacing stays put until the next one is due."""

    @classmethod
    def held_at(cls, interval_s: float) -> RatePace:
        """A spacing held where it is, with no search and no step of recovery (the probe of
        a host's load, ``load_trial.TrialMove.SPACE_FOR_PROBE``)."""
        return cls(interval_s=min(interval_s, SLOWEST_S), _settled=True)

    @classmethod
    def served_at(cls, interval_s: float, too_fast_s: float | None) -> RatePace:
        """A host seen to serve requests ``interval_s`` apart (measured, not a guess), and
        to refuse ``too_fast_s`` apart (when known): spaced at the first, the search goes on
        between the two (the end of ``HostPace``'s trial of its load)."""
        interval_s = min(interval_s, SLOWEST_S)
        fastest = interval_s / (1 + TOLERANCE)
        too_fast = fastest if too_fast_s is None else min(too_fast_s, fastest)
        return cls(interval_s=interval_s, too_fast_s=too_fast, fast_enough_s=interval_s)

    @property
    def paced(self) -> bool:
        return self.interval_s > 0

    @property
    def retries_keep_places(self) -> bool:
        """A retry keeps its gap (the spacing served well) from the places taken before it,
        not only from the last start: once that spacing is proved or measured. While it is
        the opening's guess of a second, a second from each place would hold the opening's
        retries a second apart each (req10's wall 1.12-1.16x -> 1.16-1.31x its floor)."""
        return self.fast_enough_s is not None and not self._guessed

    @property
    def near_the_guess(self) -> bool:
        """The spacing served well is the opening's guess, neither proved nor measured, and
        every step of the search up to half of it was refused: the limiter, if it is one,
        serves fewer than two requests a second."""
        slow, fast = self.fast_enough_s, self.too_fast_s
        return self._guessed and slow is not None and fast is not None and fast * 2 >= slow

    @property
    def probing(self) -> bool:
        """A step of recovery is being tried (``served``): refused, it goes straight back."""
        return self._probing

    @property
    def served_here(self) -> int:
        """Requests served in a row at the spacing in force (see ``served``)."""
        return self._served_here

    def start(
        self,
        now: datetime,
        last_start: datetime | None = None,
        retry: bool = False,
        last_ask: bool = False,
    ) -> datetime:
        """When a request asking now may start, the last request having really started at
        ``last_start``; its place is taken (the next one waits its spacing after it). A
        refusal or a new spacing since (``changes``) voids the places taken before it. A
        ``retry`` (a page asked again after a refusal) keeps the spacing served well from the
        last start while a faster one is tried: a step of the search is tried on first asks,
        not on a page that has already used up an attempt. A page's ``last_ask`` keeps its
        gap (``LAST_ASK_SLACK``) from the last place taken too, not only from the last start,
        and so does a retry once the spacing served well is proved (``retries_keep_places``):
        held from the start alone, they left right behind a request whose place came first
        (on nginx at 2 r/s, a retry placed 412 ms behind another where 553 ms was served
        well)."""
        if not self.paced:
            return now
        spacing = timedelta(seconds=self.interval_s)
        least = self.gap_for(retry, last_ask)
        place = self.next_start
        if place is not None and (last_ask or (retry and self.retries_keep_places)):
            place += least - spacing  # the last place taken is a spacing before next_start
        after = [t for t in (place, last_start and last_start + least) if t]
        start = max([now, *after])
        self.next_start = start + spacing
        return start

    def gap_for(self, retry: bool, last_ask: bool = False) -> timedelta:
        """The least gap from the last start for a request (a retry: see ``start``; a page's
        ``last_ask``: ``LAST_ASK_SLACK`` times the spacing served well, or, while none is since
        it was refused, times the spacing in force but at most ``ENGAGE_S`` more: held to
        that one, 39 ms after a 20/s limiter's burst had fooled the search, a live page's
        last ask was refused; doubled in full, pages failing at every ask that had spaced a
        host 8.4 s apart held its other requests 16.9 s behind each last ask). The opening's
        guess is waited once, until a page is read as failing on its own at it
        (``guess_doubted``): a limiter slower than the guess refuses every other request,
        those right behind one served, and held to the guess alone, live pages behind a
        0.7/s limiter were refused at all three asks."""
        safe = self.fast_enough_s
        gap = self.interval_s
        if (retry or last_ask) and safe is not None:
            gap = max(gap, safe)
            if last_ask and (not self._guessed or self.guess_doubted):
                gap = max(gap, safe * LAST_ASK_SLACK)
        elif last_ask:
            gap = min(gap * LAST_ASK_SLACK, gap + ENGAGE_S)
        return timedelta(seconds=gap)

    def refused(
        self, gap_s: float, now: datetime, left: datetime | None = None, retry: bool = False
    ) -> None:
        """A refusal naming no wait, of a request started ``gap_s`` after the one before it
        (its headers leaving at ``left``, when known; a ``retry``: its page asked again)."""
        if self.paced and gap_s > self.interval_s * 2 and gap_s >= (self.fast_enough_s or 0.0):
            # Not a test of the spacing (a lone retry after its backoff, on a quiet host): a
            # page that refuses whatever the pace says nothing about the host's rate. A gap
            # shorter than any served well still proves itself too fast: a host held to one
            # request at a time, 185 ms apart, was refused by a 5/s limiter for the whole
            # run while a 71 ms spacing, never reached, was kept.
            return
        bound = self._refill_bound_s
        if bound is not None and self.paced and not retry and gap_s >= self._clear_of(bound):
            # Refused at a gap the host's refill since the last refusal disproves
            # (``_count_left``): not a bucket's, or that refusal was not. Nothing moves, and
            # the bound starts again from this one (if it was the bucket's, its next refusal
            # comes from empty and moves the spacing: one refusal more). Moved, a page's own
            # bare 503 on a host whose queue had run dry, 368 ms after the request before
            # where ten had been served 71 ms apart, sent the search up the geometric way to
            # the guess of a second (mixed.py --bare-503). Not a retry: its gap is its
            # backoff's, and on a host whose one route is limited (every fourth page, 1/s)
            # a retry so held tipped the search into 120 refusals and 25 live pages lost.
            self._bound_from(left)
            return
        self._slow_down(gap_s, self._take_refusal(now, left), now)

    def _slow_down(self, gap_s: float, measured: float | None, now: datetime) -> None:
        """The spacing after a refusal at ``gap_s`` that moves the pace."""
        if not self.paced:
            self.too_fast_s, self.fast_enough_s, self._guessed = FASTEST_S, ENGAGE_S, True
            self.guess_doubted = False
            self._set(self._between(), now)
            return
        if gap_s <= (self.too_fast_s or 0.0):
            # No slower than a spacing already proved too fast (the rest of a burst, a place
            # taken before the last slow-down): nothing new; the next start still waits.
            self.next_start = now + timedelta(seconds=self.interval_s)
            return
        self.too_fast_s = gap_s
        probing, self._probing, self._settled = self._probing, False, False
        if probing and self.fast_enough_s is not None and self.fast_enough_s > gap_s:
            # A step of recovery refused: the limit is still there, and the spacing served
            # before it still holds. Searching again would cost more refusals.
            self._settled = True
            self._set(self.fast_enough_s, now)
            return
        if self.fast_enough_s is not None and self.fast_enough_s * (1 - JITTER) <= gap_s:
            # Refused at (or within a timer's jitter of) the spacing served well: its
            # confirmation was a burst's slack. (Compared exactly, a gap measured 0.2 us short
            # of it had kept a spacing 4% too fast for a whole run.)
            self.fast_enough_s, self._guessed = None, False
            self._burst_covered()
        better = measured is not None and measured <= (self.fast_enough_s or measured)
        if measured is not None and better and measured > self.too_fast_s:
            # A measure, not a guess: a bucket saturated between two refusals served exactly
            # its rate. Probing faster than it would only be refused.
            self.fast_enough_s, self._confirmed, self._guessed = measured, False, False
            self.too_fast_s = max(self.too_fast_s, measured / (1 + TOLERANCE))
        if self.fast_enough_s is None:
            self._set(self.too_fast_s * BACK_OFF, now)
        else:
            self._set(self._between(), now)

    def leaked(self, measured_s: float, gap_s: float, now: datetime) -> None:
        """First asks refused evenly apart at the spacing in force, ``gap_s``, measured the
        limiter's spacing as ``measured_s`` (``HostPace._evenly_refused``): the spacing
        served well was a burst's slack; the search goes on from the measure, as from one
        between two refusals that moved the spacing."""
        self._take_refusal(now, None)
        self._probing = self._settled = False
        self._burst_covered()
        # The refused gap is too fast, but never slower than the period measured (one sent
        # a little late, into a bucket a token short).
        self.too_fast_s = max(self.too_fast_s or 0.0, min(gap_s, measured_s / (1 + MARGIN)))
        self.fast_enough_s, self._confirmed, self._guessed = measured_s, False, False
        self._set(self._between(), now)

    def _burst_covered(self) -> None:
        """The spacing served well was refused after all: if answers served in a row had
        confirmed it, a burst covered them, and confirming takes twice as long from now."""
        if self._confirmed:
            self.confirm_s = min(self.confirm_s * 2, CONFIRM_MAX_S)
        self._confirmed = False

    def _take_refusal(self, now: datetime, left: datetime | None) -> float | None:
        """Count a refusal that moves the pace (its request left at ``left``, when known):
        the answers served in a row start again, and the rate they measured since the last
        such refusal (``_measured_spacing``) is returned as measuring starts again from this
        one."""
        self.changes += 1
        self._served_here, self._quiet_since = 0, now
        measured = self._measured_spacing(now)
        self._refused_at, self._served_since_refusal = now, 0
        self._bound_from(left)
        return measured

    def _bound_from(self, left: datetime | None) -> None:
        """The refill bound starts again from a refusal whose request left at ``left``."""
        self._refusal_left, self._served_left = left, 0
        self._latest_left = self._refill_bound_s = None

    def _count_left(self, left: datetime | None) -> None:
        """A request that left at ``left`` was served: if it left after the last refusal
        handed over, it narrows the refill bound (``_refill_bound_s``)."""
        since = self._refusal_left
        if left is None or since is None or left <= since:
            return
        self._served_left += 1
        self._latest_left = max(self._latest_left or left, left)
        if self._served_left >= CONFIRM:
            # All n counted left by the latest: a bucket empty at the refusal refilled more
            # than n - 1 tokens by then (out of order answers count no sooner than that).
            elapsed = (self._latest_left - since).total_seconds()
            bound = elapsed / (self._served_left - 1)
            self._refill_bound_s = min(self._refill_bound_s or bound, bound)

    def served(
        self, gap_s: float, now: datetime, retry: bool = False, left: datetime | None = None
    ) -> None:
        """A request started ``gap_s`` after the one before it was answered (not refused). A
        ``retry`` (a page asked again) may be held to the spacing served well, or twice it, on
        purpose: it tests the spacing in force only when it left at it (within ``JITTER``),
        not within ``LATE`` of it as a first ask whose timer fired late does. Taken for tests
        of 191 ms, four retries held to 266 ms confirmed it against a 5/s limiter, which
        refused every other request from then on."""
        self._served_since_refusal += 1
        self._count_left(left)
        if self.paced and gap_s > self.interval_s * 2:
            self._refused_at = None  # the host idled: what it served measures no rate
        late = 1 + JITTER if retry else LATE
        if not self.paced or not self.interval_s * (1 - JITTER) <= gap_s <= self.interval_s * late:
            return  # not sent at the spacing in force: says nothing about it
        quiet_since = self._quiet_since or now
        if (now - quiet_since).total_seconds() >= RECOVER_AFTER_S and self.too_fast_s:
            self._quiet_since = now
            self.too_fast_s *= RELAX
            if self.too_fast_s < FASTEST_S:
                self._set(0.0, now)  # the limit is gone: not paced any more
                return
            # One step faster, now: served, the search goes on from it; refused, the
            # spacing goes straight back (``refused``), so a step costs one refusal at most.
            self._probing, self._settled = True, False
            if self.fast_enough_s:
                faster = self._between()
            else:
                # Kept clear of the bound too: at it (a host backed off to the slowest
                # spacing has its bound there, and both relax alike), its refusals were
                # "no slower than a spacing proved too fast" and moved nothing; a limiter
                # tightened to 3.3 s refused half of a host held 3.28 s apart for 130 s.
                faster = max(self.interval_s * RELAX, self._clear_of(self.too_fast_s))
            self._set(faster, now)
            return
        self._served_here += 1
        since = self._here_since or now
        if self._served_here < CONFIRM or (now - since).total_seconds() < self.confirm_s:
            return
        if not self._settled:  # held after a refused step of recovery: no search
            self._probing = False
            self.fast_enough_s, self._confirmed, self._guessed = self.interval_s, True, False
            self._set(self._between(), None)
        self._served_here, self._here_since = 0, now

    def interrupted(self, now: datetime) -> None:
        """A first ask was refused (one that moved nothing): the requests served in a row at
        the current spacing start again, so no spacing is confirmed across a refusal."""
        self._served_here, self._here_since = 0, now

    def _measured_spacing(self, now: datetime) -> float | None:
        """The limiter's spacing as the requests served since the last refusal measure it
        (with ``MARGIN``), when enough were served over long enough to tell, none of them
        after an idle gap (a host left idle refills its bucket: nothing measured)."""
        if self._refused_at is None or self._served_since_refusal < CONFIRM:
            return None
        elapsed = (now - self._refused_at).total_seconds()
        if elapsed < CONFIRM_S:
            return None
        return elapsed / self._served_since_refusal * (1 + MARGIN)

    def _between(self) -> float:
        """The next spacing to try between the bounds, or the slow-enough one once they meet;
        never closer to a spacing refused than MARGIN and WIRE_JITTER_S (a gap 2% short is
        refused like any other, and arrivals jitter), within the search's TOLERANCE."""
        slow, fast = self.fast_enough_s, self.too_fast_s
        assert slow is not None and fast is not None
        kept = self._clear_of(fast)
        if slow <= fast * (1 + TOLERANCE):
            return max(slow, kept)  # settled
        return max(math.sqrt(slow * fast), kept)

    @staticmethod
    def _clear_of(refused_s: float) -> float:
        """The fastest spacing tried after ``refused_s`` was refused: MARGIN and WIRE_JITTER_S
        slower, within TOLERANCE."""
        return min(refused_s * (1 + MARGIN) + WIRE_JITTER_S, refused_s * (1 + TOLERANCE))

    def _set(self, interval_s: float, now: datetime | None) -> None:
        """Space starts ``interval_s`` apart: from ``now`` (a refusal, a step of recovery),
        or from the last start (a spacing confirmed: the places taken at the old one are
        taken again)."""
        interval_s = min(interval_s, SLOWEST_S)
        if interval_s != self.interval_s:
            self._served_here, self._here_since = 0, now
            self.changes += 1
            if now is None:
                self.next_start = None
        self.interval_s = interval_s
        if interval_s == 0.0:
            self.too_fast_s = self.fast_enough_s = self.next_start = None
            self.confirm_s, self._confirmed = CONFIRM_S, False  # a new limit starts afresh
            self._guessed = False
        elif now is not None:
            self.next_start = now + timedelta(seconds=interval_s)
