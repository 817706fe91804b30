"""How hard to press one host: an adaptive concurrency limit and the host's spacing, decided
from its answers (``HostPace``; pure: decisions from values, time is the caller's).
HostGate (``host_gate``) holds the host's requests to them.

Each host gets a limit on requests in flight. It is opened with ``OPENING`` (two) requests
at once, since a rate limiter with no burst to spare refuses all but one of those sent
together, and goes to the ceiling (``--per-host``, default 6 as browsers use per host) just
after its first answer that is no refusal, unless a refusal came with it (a bare one right
behind that answer spaces the host at once, as a limiter's: see ``RATE_REFUSALS``). It then
adapts like TCP's congestion window: a 429 or 503 halves it (multiplicative decrease) and pauses
the whole host for its Retry-After, since every other request to that host would get the
same answer; answers that are not refusals raise it by one per window of successes
(additive increase) back to the ceiling, which a burst of several 429s naming a wait lowers
to what got through (of the requests in flight with the refused ones and sent after them,
those served, before the refusals or after).
Never probing above the ceiling means a polite host is never pushed past what a browser
would ask of it, which keeps provoked 429s near zero.

The pause rests on that "would get the same answer", so the host can disprove it: when a
*lone* refusal is followed by an ordinary answer (below 500) to a request sent after the
refused one, the refusal was that page's own (one route's backend failing, one URL's quota),
not the host's. The pause then ends and the limit goes back to where it was: pages that
fail on their own never collapse their host's concurrency. A spacing the refusal began goes
too, unless the request served went at that spacing: that shows the spacing working, not
the refusal wrong. The refused page's own retry still waits its Retry-After. A second
refusal in the same burst makes the pause firm: a host that is really rate limiting or
overloaded refuses more than one page, and then nothing ends its pause early. Unless every
refusal of the burst named a wait and was sent at a load the host has served well: pages
with their own quota can refuse two at once, and a request sent after them and served
disproves them as it does a lone one (a cap or an exhausted bucket refuses that one too).

A refusal that names no wait is a rate limiter's (nginx's ``limit_req``): fewer requests in
flight do not meet a rate, so the host's starts are spaced instead (``rate_pace``). The
spacing is kept where the limiter sees it: a spaced host's requests are held at the wire
(httpcore's trace hook, ``HostGate.at_wire``) until the spacing after the last ones that
left, since a request given its turn at the gate may leave late (a new connection, a busy
event loop) and the next one close behind it; requests at the wire leave in the order they
reached it, each its spacing after the one before really left. A page asked again after a
refusal keeps the spacing served well, at the gate and at the wire, while the search tries a
faster one, and its answer tests no spacing. Its last ask waits twice that spacing (once,
while it is the opening's guess and no page has been read as failing on its own at it; twice
the spacing in force while none is served well) after the request before it, at the gate and
at the wire, since a burst's slack can make one look served well that is too fast; and at
the wire, no sooner than half again the host's mean gap between the latest requests served
after the last request that left, since a limiter serving one a second refuses whatever page
comes right behind one it let through, however fast the spacing its burst confirmed. A last
ask's refusal moves no spacing. A retry's refusal that slowed the spacing is the last a
retry moves until a page's first ask is refused at the new one or two answers in a row are
served there, and pages not asked yet are sent first meanwhile: a limiter refuses them too,
a page failing at every ask only itself. A page asked again and refused right behind answers
served at its gap is taken to refuse on its own and moves no spacing; served at a later ask,
it is no longer counted so (a bursty limiter's sparse refusals pass the same test). On a
host backing off (no spacing served well since one was refused) the answers must be two in a
row served at the spacing in force, and near the opening's guess (every step up to half of
it refused) two in a row at all, a page's last ask's refusal between them aside: a limiter
slower than the spacing serves one request after a refused one, and refuses the next.

A refusal sent at more requests at once than the host serves well is the load's (nginx's
``limit_conn``): it dips the limit and moves no spacing; such refusals, counted over the
load and every higher one, set the ceiling below that load for the run (the highest load so
refused, from the refusal's own up, and refused more often than below it: pages refusing on
their own do so at any load), and so does a load refused three times while spaced, never
below it, at least as often as served there with many answers served below it; or three live
pages (served when asked again) refused there while spaced, none below, with so few of the
answers at gaps as short at that load or above that all three falling there by chance is
rarer than ``EDGE_ODDS`` (an edge: a spaced host seldom reaches the load; its search's steps
count there too, for a connection limit refuses them by the load alone; a page asked again
counts nowhere, as it tests the page). These counts are ``load_ledger``'s. A spacing begun
only by refusals over that ceiling (the fifth and sixth of six sent at once, which a bucket
with a burst of four would refuse too) was the load's, and goes. A refusal counts at its
load only once a lower load was served at a gap as short: a rate limiter's come at whatever
loads its too-fast gaps put in flight, and are the spacing's. A request of three or more at
once started before the host was spaced, held at the wire to the new spacing and refused,
moves no spacing: the burst that began it sent that request, whatever spacing it left at.

A spaced host whose refusals naming no wait all came at three or more at once and above
(first asks; three or more, one leaving spaced, the load refused at least as often as served
by those leaving spaced, one fewer served, before the refusals or after) is tried once at
one fewer at once, unspaced (``_try_the_load``): a connection limit's first refusals space
the host like a rate limiter's, and the spacing then holds the load under the limit, so the
evidence above never comes (nginx's limit_conn 2, 3 and 5 with pages held 250 ms and quick
404s among them: 1.6-1.9 times their floor for the run). The host's answers settle the
trial (``load_trial``): refusals within the ceiling tried end it, and probes at the load
refused decide whether the ceiling tried stays. A page asked again leaves only at a load a
first ask has tested (``retry_ceiling``): refused again, it has one ask left.

A request held at the wire counts at the load it leaves into (those under way whose headers
have left), not at the one it started at: requests started and still held there behind it
are not at the host. Counted, a request nginx's limit_conn 4 served as the fourth was
counted the fifth, and the limit was never learnt (1.5-1.9 times its floor in 1 run in 2-6).
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .load_ledger import LOAD_REFUSALS, LoadLedger
from .load_trial import TRIAL_PACE_GAPS, LoadTrial, TrialMove
from .own_failures import OwnFailures
from .rate_pace import JITTER, LATE, MARGIN, SLOWEST_S, RatePace
from .refusing_all import RefusingAll

PUSHBACK_STATUSES = frozenset({429, 503})
"""Answers that mean "too much, slow down": the host's limit is halved and it is paused."""

WALL_STATUS = 403
"""How the pace reads a bot wall's challenge, whatever status it came with (Cloudflare's
503, Vercel's 429): as the 403 most walls answer, the host answering, not refusing a load
or a rate. A challenge refuses whoever asks at any pace; read as a bare refusal, a host
with every other page behind one was spaced up to 10 s apart (40 links, 187 s)."""

FIRM = 1 << 62
"""``_paused_for`` of a pause no answer can end early (several pages refused)."""

RATE_REFUSALS = 2
RATE_WINDOW = 20
"""A refusal naming no wait moves the host's spacing only as the second of its last 20
answers (first asks of their URLs, not retries): a page's own failure, once in a while, is
not a rate limit, and a retry of a page that always fails tests nothing. Three exceptions: a
step of the search (a spacing faster than one served well) refused moves it alone, so does
the opening's second request refused right behind its first one served (what a limiter with
no burst does to two sent together: ``_refused_behind_the_opening_served``), and a
host whose pages refuse on their own (asked a second time as the host serves well, refused
again) needs more: as many as those pages would rarely give by themselves
(``OwnFailures.refusals_needed``)."""

EVEN_REFUSALS = 4
EVEN_LEAST = 10
EVEN_SLACK = 1
"""First asks refused at the spacing in force, moving nothing: four in a row with as many
answers let through between each two (within ``EVEN_SLACK``), each time ``EVEN_LEAST`` or
more, are a bucket's a little slower than the spacing, once a host
(``HostPace._evenly_refused``)."""

SERVED_GAPS = 5
"""Gaps between the latest requests served whose mean is the pace a host has been serving
at (``HostPace._served_pace_due``)..."""

SERVED_PACE_SLACK = 1.5
"""...and how many times that mean a page's last ask waits: five gaps tell a limiter's
period only roughly (a burst's leftover tokens shorten some). Held to the mean itself, 10
live pages were still refused at all three asks over 938 draws of slow bursty limiters
with many dead pages; 6 at half again, 7 at twice (which cost 4% more time)."""

OPENING = 2
"""Requests a host is opened with, before an answer shows it serving: a limiter with no
burst to spare refuses all but one of those sent together (nginx's 10 r/s ``limit_req``
refused five of the six a host had been opened with), and its first refusal must come back
before more are sent..."""

OPENING_GRACE_S = 0.02
"""...so the host takes its ceiling this long after its first answer served, a refusal of the
others sent with it not come meanwhile (a limiter answers them together)..."""

OPENING_MAX_S = 2.0
"""...or this long after its first request started, with no answer yet: a limiter's refusal
comes back at once, and slow first pages must not hold a host's other links to two. As long
as a request runs before it may be taken for stalled (``host_gate.STALL_MIN_S``), whose
check, on a host that has not answered, is when the gate looks again."""

MAX_PAUSE_S = 60.0
"""The longest host-wide pause honoured; a longer Retry-After is reported, not waited for."""


@dataclass
class _UnderWay:
    """What a request in flight was sent as."""

    gap: float | None = None
    """How long after the request before it it started (its headers left, when known)."""
    load: int = 0
    """How many requests were in flight when it started, or, held at the wire, under way at
    the host when its headers left (0: not told)."""
    asked_before: int = 0
    """How often its URL was asked before (a retry tests the page, not the pace)."""
    page: str | None = None
    """The page (URL) it asks for, when told."""
    spaced: bool = False
    """Sent while the host was spaced."""
    last_ask: bool = False
    """Its page's last ask (``RatePace.gap_for``)."""
    concurrent: tuple[int, ...] = ()
    """The tickets in flight when it started."""
    left: datetime | None = None
    """When its headers left (its start, until told)."""
    held: bool = False
    """It left held at the wire to the host's spacing (``HostPace.sent``)."""


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
    _wave: frozenset[int] = frozenset()
    """The tickets of the wave the current burst's first refusal went out in."""
    _ceiling_before_burst: int = 0
    """The ceiling before the current burst's 429s lowered it (lowered with it by the load
    counts, so a ceiling under it is the 429s' doing)."""
    _recent_served: deque[int] = field(default_factory=lambda: deque(maxlen=64))
    """The tickets of the latest answers served (a wave is at most the ceiling's width)."""
    _burst_bare: bool = False
    """A refusal of the current burst named no wait (a rate limiter's, ``rate_pace``)."""
    _burst_at_loads_served: bool = True
    """Every refusal of the current burst named a wait and was sent at a load the host has
    served well (``LoadLedger.served_well``): pages' own, disproved as a lone one is."""
    _burst_in_opening: bool = False
    """The current burst began in the host's opening (``OPENING`` at once): what got through
    then is no ceiling (two pages' own 429s had set one of 1 for the run, 2.9 times as long)."""
    rate: RatePace = field(default_factory=RatePace)
    """How far apart the host's requests start (after refusals naming no wait)."""
    last_start: datetime | None = None
    """When the last request to the host really started (its headers left, when known)."""
    _last_sent: datetime | None = None
    """When the last request's headers left for the host: what its limiter sees."""
    _dip_to: int = 1
    """The limit the current burst's refusals lowered it to."""
    _limit_before: int = 0
    """The limit before the current burst's dip: restored when its lone refusal is
    disproved."""
    _rate_before: RatePace = field(default_factory=RatePace)
    """The pace before the current burst: restored likewise, when the refusal started it."""
    _lone_refusal: int = 0
    """The ticket of a lone refusal not yet disproved (0: none); of a burst's refusals at
    loads served well, the latest sent."""
    own: OwnFailures = field(default_factory=OwnFailures)
    """Pages refused again when asked a second time as the host serves well (``own_pages``)."""
    _last_served_gap: float | None = None
    """The spacing of the last answer served."""
    _refused_since_served: int = 0
    """Bare refusals since the last answer served."""
    refusing: RefusingAll = field(default_factory=RefusingAll)
    """Whether the host refuses every request (``refuses_all``)."""
    _admitted: int = 0
    """Answers that were no refusal: what a token bucket let through, in order."""
    _sparse: list[tuple[datetime, int]] = field(default_factory=list)
    """First asks refused at the spacing in force that moved nothing, since it was set: when
    each came, and ``_admitted`` then (``_evenly_refused``)."""
    _sparse_at: int = -1
    """``rate.changes`` when ``_sparse`` was begun: a new spacing begins it again."""
    _evenly_slowed: bool = False
    """``_evenly_refused`` slowed the host once: a bucket so met refuses no more, and pages
    failing at every k-th ask, which refuse on alike, must not slow it again and again."""
    _served_in_a_row: int = 0
    """Answers served in a row, with no refusal between, up to the last one served. A page's
    last ask refused (bare) between two neither breaks the run nor adds the next one to it:
    it waited long, so it tells little of the limiter, and the two served around it may be
    seconds apart, which a slow limiter serves anyway."""
    _run_broken: bool = False
    """A refusal (not a last ask's bare one) since the last answer served."""
    _run_held: bool = False
    """A last ask's bare refusal since the last answer served."""
    _recent_refusals: deque[bool] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))
    """Of the host's last answers, which were first refusals naming no wait."""
    _spaced_by_load: int = 0
    """The fewest in flight of the refusals that spaced the host (0: not known)."""
    loads: LoadLedger = field(default_factory=LoadLedger)
    """The host's answers by the load their requests were sent at."""
    _under_way: dict[int, _UnderWay] = field(default_factory=dict)
    """What each request in flight (by ticket) was sent as."""
    _served_left: deque[datetime] = field(default_factory=lambda: deque(maxlen=SERVED_GAPS + 1))
    """When the latest requests served left (``_served_pace_due``)."""
    opening: bool = True
    """No answer has shown the host serving, or refusing, yet: it is asked ``OPENING``
    requests at once (``open_up``)."""
    opens_at: datetime | None = None
    """When the opening ends, the host serving: ``OPENING_GRACE_S`` after its first answer
    that is no refusal, or ``OPENING_MAX_S`` after its first start (None: not started)."""
    opening_answered: bool = False
    """An answer that is no refusal came in the opening: it ends ``OPENING_GRACE_S`` later."""
    _retry_moved: bool = False
    """A page asked again, refused, slowed the spacing, and since then no page's first ask has
    been refused at the new spacing, nor two answers served in a row there
    (``wants_a_first_ask``)."""

    _trial: LoadTrial | None = None
    """The connection limit being tried (``_try_the_load``)."""
    _tried: bool = False
    """A trial was made on this host (once a host)."""
    _trial_tickets: tuple[int, int] = (0, 0)
    """The tickets sent during the last trial (after the first, up to the second): sent
    unspaced, their refusals test no spacing."""

    def __post_init__(self) -> None:
        self.ceiling = max(1, self.ceiling)
        if self.limit <= 0:
            self.limit = min(self.ceiling, OPENING) if self.opening else self.ceiling
        self.opening = self.opening and self.limit < self.ceiling

    def open_up(self, now: datetime) -> bool:
        """Whether the opening ended by ``now`` (``opens_at``), this call: the host's limit
        goes up to its ceiling."""
        if not self.opening or self.opens_at is None:
            return False
        stepped_back = now < self.opens_at - timedelta(seconds=OPENING_MAX_S)
        if now < self.opens_at and not stepped_back:  # a clock stepped back holds it no longer
            return False
        self._open()
        return True

    def _open(self) -> None:
        self.opening, self.opens_at = False, None
        self.limit = max(self.limit, self.ceiling)

    @property
    def refuses_all(self) -> bool:
        """The host refuses every request: its links not yet asked are given up for the run
        (``RefusingAll``)."""
        return self.refusing.refuses_all

    @property
    def wants_a_first_ask(self) -> bool:
        """Whether a page asked again, refused, slowed the spacing, and since then no page's
        first ask has been refused at the new one (a limiter's doing: such refusals move the
        spacing as first asks' do), nor two answers served in a row there (and a page
        refused right behind them fails on its own, ``_refused_on_its_own``). Until then,
        while pages not asked yet wait, other retries' refusals move no spacing, and
        ``HostGate`` hands those pages its next slot (retries go first otherwise: with
        several pages failing at every ask, only their retries were sent for seconds, each
        refusal a step slower, none testing anything but its page). One first ask served
        does not end it: ended so, the retry refused next slowed the host again, and so on to
        10 s. Not on a host no longer spaced (its spacing undone or relaxed away)."""
        return self._retry_moved and self.rate.paced

    @property
    def retry_ceiling(self) -> int:
        """The most requests at once a page asked again may leave among (``HostGate``): the
        ceiling, but under the load a trial's probe tests (``LoadTrial.answered``), and under
        ``over`` when every first ask the host refused naming no wait was sent at ``over``
        at once or more (three or more, as for a trial: a limiter with no burst refuses the
        second of two sent together) and it served no more requests there than it refused.
        A page refused once is not the one to find out whether the host takes that load:
        refused again, it has one ask left. On nginx's limit_conn 4 a page refused at the
        opening was asked again as the trial's fifth at once, and needed its last attempt;
        on a limit of 2 with pages of 500 ms, one refused at three at once was asked again
        at three."""
        ceiling = self.ceiling
        if self._trial is not None and self._trial.probing:
            ceiling = min(ceiling, self._trial.over - 1)
        over, refused = self.loads.first_asks_refused_from()
        if 3 <= over <= ceiling and refused >= self.loads.served_from(over):
            return over - 1
        return ceiling

    def asks_again(self, ticket: int) -> bool:
        """Whether request ``ticket``, under way, asks again for a page refused before."""
        sent = self._under_way.get(ticket)
        return sent is not None and sent.asked_before > 0

    @property
    def started_so_far(self) -> int:
        """Requests started so far (the last one's ticket)."""
        return self._sent

    def started(
        self,
        now: datetime | None = None,
        load: int = 0,
        retry: int = 0,
        page: str | None = None,
        last_ask: bool = False,
    ) -> int:
        """A request to the host is starting (at ``now``, one of ``load`` in flight; asking
        again for ``page``, a URL asked for ``retry`` times before; its ``last_ask``, held
        longer): its ticket (tells which burst it belongs to)."""
        self._sent += 1
        gap = None
        if self.opening and self.opens_at is None and now is not None:
            self.opens_at = now + timedelta(seconds=OPENING_MAX_S)
        if now is not None:
            last, self.last_start = self.last_start, now
            gap = (now - last).total_seconds() if last is not None else float("inf")
        self._under_way[self._sent] = _UnderWay(
            gap,
            load,
            int(retry),
            page,
            spaced=self.rate.paced,
            last_ask=last_ask,
            concurrent=tuple(self._under_way),
            left=now,
        )
        if self._trial is not None and now is not None:
            move = self._trial.started(self._sent, now, load, bool(retry))
            if move is not None:
                self._trial_moves(self._trial, [move])
        return self._sent

    def wire_due(self, now: datetime, last_ask: bool = False, retry: bool = False) -> datetime:
        """When a request whose headers are about to leave now, the first in line at the wire
        (``HostGate.at_wire``), may let them go: the host's spacing after the last one that
        left, as the limiter counts it, however late that one left. A page asked again
        (``retry``) keeps the spacing served well once it is proved or measured
        (``RatePace.retries_keep_places``), as at the gate: let go at the spacing in force
        behind requests that reached the wire first, second asks on nginx's 20/s host left at
        steps of the search (45 ms where 52 ms was served well), were refused, and their
        pages needed their last attempts. Not while it is the opening's guess of a second:
        held to it, every retry held the first asks behind it at the wire a second (40 first
        asks and 4 retries at 50 ms: 3.8 s -> 6.8 s), a dead page's retry held to exactly
        the guess and refused voided it (1.8x on a 5/s host with late connections), and the
        opening's retries had held 10/s back (1.19-1.21x its floor). Its ``last_ask`` keeps
        twice the spacing served well (``RatePace.gap_for``): let go at a step of the search
        (a first ask leaving late just ahead of it), a live page was refused at all three
        asks on that host."""
        if not self.rate.paced or self._last_sent is None:
            return now
        if self._last_sent > now:
            # A clock stepped back: the last departure is taken as now, so the request is
            # held one spacing, not for the hour the clock moved, nor not at all.
            self._last_sent = now
            self._served_left.clear()  # likewise: held from them, a last ask waited the hour
        held = last_ask or (retry and self.rate.retries_keep_places)
        spacing = self.rate.gap_for(retry=held, last_ask=last_ask)
        due = self._last_sent + spacing
        served_pace = self._served_pace_due() if last_ask else None
        if served_pace is not None:
            due = max(due, served_pace)
        return max(now, due)

    def _served_pace_due(self) -> datetime | None:
        """When a page's last ask may leave, by the pace the host has been serving at: the mean
        gap between the latest requests served (``SLOWEST_S`` at most), half again
        (``SERVED_PACE_SLACK``), after the last request that left, served or not. A limiter
        serving one request a second has a token a second after the last it let through,
        however fast the spacing in force (a burst confirmed it), and refuses whatever page
        comes right behind: held twice a 266 ms spacing, the last asks of 12 live pages of
        80 were refused (1/s, a burst of 30). From the last request that left: a dead page's
        request let through spent a token too, and last asks one after another, nothing
        served between, had left 0.19 s apart (five live pages refused by a limiter counting
        refused requests). The mean, not the median: a spacing's steps cut the gaps unevenly
        (0.8 s and 1.33 s at 266 ms behind 1/s), and their median fell short of the
        limiter's period. On a host serving what it is asked, the gaps are the spacing,
        which the last ask waits twice anyway."""
        left = sorted(self._served_left)
        if len(left) <= SERVED_GAPS // 2 or self._last_sent is None:
            return None  # too few to tell a pace from a moment
        usual = min((left[-1] - left[0]).total_seconds() / (len(left) - 1), SLOWEST_S)
        return max(left[-1], self._last_sent) + timedelta(seconds=usual * SERVED_PACE_SLACK)

    def sent(self, ticket: int, now: datetime, load: int = 0) -> None:
        """Request ``ticket``'s headers left at ``now``, one of ``load`` under way at the host
        (0: not told; its load stays the one it started at). Its spacing is measured from
        the last one's headers leaving, as the host's limiter measures it: a request may
        leave well after its start (a busy event loop, a new connection), and then close to
        the next."""
        under_way = self._under_way.get(ticket)
        if self._last_sent is not None and under_way is not None and under_way.gap is not None:
            under_way.gap = (now - self._last_sent).total_seconds()
        if under_way is not None:
            under_way.left, under_way.held = now, True
            if load:
                under_way.load = load
        # Calls come in time order; a clock stepped back moves these back with it.
        self._last_sent = self.last_start = now

    def forget(self, ticket: int) -> None:
        """The request is over, answered or not (a timeout leaves nothing to adapt to; in the
        opening, a host not answering refuses nothing, and its other links are not held to
        two meanwhile)."""
        if self._under_way.pop(ticket, None) is not None:
            if self.opening:
                self._open()
            trial = self._trial
            if trial is not None and (move := trial.lost(ticket, self.ceiling)) is not None:
                self._trial_moves(trial, [move])

    def answered(
        self,
        status: int,
        retry_after_s: float | None,
        now: datetime,
        in_flight: int = 1,
        ticket: int | None = None,
        fresh_waiting: bool = False,
    ) -> bool:
        """Adapt to the answer to request ``ticket``, given while ``in_flight`` were out
        (``fresh_waiting``: pages not asked yet wait for their turn at the host).

        Refusals of requests sent before the first refusal of a burst arrived belong to
        that burst: only the first halves the limit (TCP reduces once per window). Several
        429s naming a wait in one burst show a limit on load, not on one page: the ceiling
        comes down to the load that got through (in flight less refused), so recovery stops
        short of the same refusal. A lone refusal (one page's quota, a passing failure) dips
        the limit and pauses the host only until a later request is served: that disproves
        it, and the limit goes back to where it was. A refusal naming no wait also spaces the
        host's request starts (``RatePace``).

        Returns True when this answer ended a pause still running (the host served a
        request sent after a lone refusal).
        """
        sent = self._under_way.pop(ticket or 0, None) or _UnderWay()
        spacing, load, asked_before, page = sent.gap or 0.0, sent.load, sent.asked_before, sent.page
        sent_spaced, last_ask = sent.spaced, sent.last_ask
        retry = asked_before > 0
        pushback = status in PUSHBACK_STATUSES
        bare_refusal = pushback and retry_after_s is None
        served = not pushback and status < 500  # a server error serves no page
        self.refusing.answered(
            now, spacing, first_ask=not retry, bare_refusal=bare_refusal, served=served
        )
        if not retry:
            self.own.first_ask()
        elif asked_before == 1 and bare_refusal and self._refused_on_its_own(spacing, load):
            self.own.failed(page)
            self.rate.guess_doubted = True
        elif page and served:
            self.own.served_again(page)
        if status not in PUSHBACK_STATUSES:
            self._admitted += 1
            # A last ask's gap was held long on purpose: served, it shows that gap working,
            # not the host's spacing (a page refused next at the spacing was then not taken
            # to refuse on its own, and moved it).
            if not last_ask:
                self._last_served_gap = spacing
            if self._run_broken:
                self._served_in_a_row = 1
            elif not self._run_held:
                self._served_in_a_row += 1
            self._refused_since_served, self._run_broken, self._run_held = 0, False, False
        else:
            self._refused_since_served += int(bare_refusal)
            if bare_refusal and last_ask:
                self._run_held = True
            else:
                self._run_broken = True
        if bare_refusal and not retry:
            if spacing >= self.rate.interval_s * (1 - JITTER):
                self._retry_moved = False  # a page not asked before refused at the spacing
            self._recent_refusals.append(True)
            self.rate.interrupted(now)  # a spacing is not confirmed across a refusal
        elif status not in PUSHBACK_STATUSES:
            self._recent_refusals.append(False)
        if load and not retry:
            # Left spaced: started so, or held at the wire to a spacing begun meanwhile.
            left_spaced = sent_spaced or sent.held
            self.loads.first_ask_answered(
                load, bare_refusal=bare_refusal, served=served, left_spaced=left_spaced
            )
        if self._trial is not None and ticket is not None and load:
            moves = self._trial.answered(
                ticket, status, load, retry, self.ceiling, refused=pushback, bare=bare_refusal
            )
            self._trial_moves(self._trial, moves)
        if status in PUSHBACK_STATUSES:
            if load and sent_spaced and not retry:  # not one sent at once before spacing
                self.loads.refused_spaced(load, spacing, page)
            tells_of_load = bool(load) and self._tells_of_load(spacing, load)
            self.loads.refused(load, spacing, tells_of_load)
            if tells_of_load:
                self._learn_ceiling(load)
            elif load:
                self._learn_ceiling(load, edge_only=True)
            self._refused(
                status,
                retry_after_s,
                now,
                in_flight,
                ticket,
                spacing,
                load,
                retry,
                last_ask,
                sent.concurrent,
                fresh_waiting,
                burst_straggler=not sent_spaced and sent.held and load > 2,
                left=sent.left,
                sent_in_trial=self._trial_tickets[0] < (ticket or 0) <= self._trial_tickets[1],
            )
            if bare_refusal and not retry:
                self._try_the_load()
            return False
        if self.limit < self.ceiling:
            self.successes += 1
            if self.successes >= self.limit:
                self.limit += 1
                self.successes = 0
        if self.opening:
            grace = now + timedelta(seconds=OPENING_GRACE_S)
            self.opens_at, self.opening_answered = min(self.opens_at or grace, grace), True
        if ticket is None or status >= 500:
            return False  # a server error shows nothing about the host serving
        if sent.left is not None:
            self._served_left.append(sent.left)
        if retry and page and status < 500:  # answered, not refused: 404s too
            self._refused_live(page)
        if load:
            self.loads.served(load, spacing, spaced_first_ask=sent_spaced and not retry)
        # Only requests held at the wire to the spacing bound a bucket's refill: they leave
        # one at a time, in order. Sent together before the host was spaced, five that
        # reached it before a refused one (a warm connection against a new one) had made
        # the bound a few microseconds, and the next refusal at the spacing was held.
        self.rate.served(spacing, now, retry, sent.left if sent.held else None)
        if self.rate.served_here >= 2 and self._served_in_a_row >= 2:
            self._retry_moved = False  # served at the spacing: a retry refused is its page's
        self._served = max(self._served, ticket)
        self._recent_served.append(ticket)
        if self.ceiling < self._ceiling_before_burst and ticket in self._wave:
            # Served in the wave the burst's 429s came in: more got through than it had seemed
            # (one page refused, another served, a third refused as the others came back had
            # brought a host to one at a time for the run).
            got_through = max(self.ceiling, self._served_in_wave())
            self.ceiling = min(self._ceiling_before_burst, got_through)
        if self._lone_refusal and ticket > self._lone_refusal:
            at_spacing = self.rate.paced and spacing >= self.rate.interval_s * (1 - JITTER)
            self._disproved(served_spaced=sent_spaced and at_spacing, by_a_later_answer=True)
        if load and not retry:
            # One fewer at once served after the refusals, not only before: a limit of 2
            # with pages of 100 ms refused at three and more while the pages sent before
            # were under way, served two at once only after its last refusal, and stayed
            # spaced for the run (1.7-2.7x its floor).
            self._try_the_load()
        if ticket > self._paused_for and self.pause_left_s(now) > 0:
            self.paused_until = None
            return True
        return False

    def _refused(
        self,
        status: int,
        retry_after_s: float | None,
        now: datetime,
        in_flight: int,
        ticket: int | None,
        spacing: float,
        load: int = 0,
        retry: bool = False,
        last_ask: bool = False,
        concurrent: tuple[int, ...] = (),
        fresh_waiting: bool = False,
        burst_straggler: bool = False,
        left: datetime | None = None,
        sent_in_trial: bool = False,
    ) -> None:
        self.successes = 0
        if ticket is None or ticket > self._burst_edge:
            # Refused in the opening: a disproved refusal gives the host its ceiling, and the
            # burst tells nothing of loads over the opening's.
            self._limit_before = self.ceiling if self.opening else self.limit
            self._burst_in_opening, self.opening, self.opens_at = self.opening, False, None
            self._rate_before = replace(self.rate)
            # Halved, but never below a load the host has served well: a connection limit
            # refusing the fifth request leaves the host at four, not two.
            self._dip_to = max(
                1, self.limit // 2, min(self.loads.served_well(load), self.limit - 1)
            )
            self.limit = self._dip_to
            self._burst_edge, self._burst_load, self._burst_refused = self._sent, in_flight, 0
            # The wave the refused request went out in: those in flight when it was sent and
            # those sent after it, up to the burst's edge.
            first = ticket or self._sent
            self._wave = frozenset(concurrent) | frozenset(range(first, self._sent + 1))
            self._ceiling_before_burst = self.ceiling
            self._burst_pushbacks, self._burst_at_loads_served, self._burst_bare = 0, True, False
        self._burst_pushbacks += 1
        self._burst_bare |= retry_after_s is None
        self._burst_at_loads_served &= (
            retry_after_s is not None and load > 0 and self.loads.at_a_load_served_well(load)
        )
        if status == 429 and retry_after_s is not None:
            # Only 429s naming a wait: bare ones at once are as much a bucket's burst spent
            # (nginx's limit_req) as a cap on load, and read as load here they had brought a
            # 20/s limiter's ceiling to one for the run and held back the refusals that
            # space it (``_load_explains``); ``_learn_ceiling`` weighs bare ones by load.
            self._burst_refused += 1
            if self._burst_refused >= 2 and not self._burst_in_opening:
                # What got through: the wave's answers served count, answered before the
                # burst's first refusal too (in flight when it came, quick pages had gone).
                got_through = max(self._burst_load - self._burst_refused, self._served_in_wave())
                self.ceiling = max(1, min(self.ceiling, got_through))
                self.limit = min(self.limit, self.ceiling)
        # Several refusals naming a wait, each sent at a load the host has served well, are
        # pages' own as much as one is (a per-page quota): a later request served disproves
        # them too. Firm, two such 429s among six at once had paused a host serving well
        # for their whole Retry-After.
        firm = (self._burst_pushbacks >= 2 and not self._burst_at_loads_served) or ticket is None
        if firm:
            self._lone_refusal = 0
            # A dip undone by a disproved first refusal is taken again: this one confirms it.
            self.limit = min(self.limit, self._dip_to)
        elif ticket is not None and ticket < self._served:
            self._lone_refusal = ticket
            self._disproved()  # a lone refusal already disproved: a later request was served
            return
        else:
            self._lone_refusal = max(self._lone_refusal, ticket or 0)
        if retry_after_s is None:
            # A request started before the host was spaced, one of three or more at once, held
            # at the wire to the spacing its burst began and refused (``burst_straggler``):
            # the burst sent it, and it left into what the burst left (a full count of
            # connections as much as an empty bucket). One that left unheld, before the
            # spacing began, is the burst's own evidence of a rate (read so, a bucket counting
            # refused requests behind a 150 ms round trip, 1.72x). Taken as a test of the
            # spacing, one such on nginx's limit_conn 4 bounded the search at the opening's
            # guess: spaced 80 ms apart, five at once never sent again, nothing refused, and
            # the limit was never learnt (1.9-2.2x its floor in 7 runs of 21).
            straggler = burst_straggler and self.rate.paced
            # Sent unspaced in a trial of the load (``_try_the_load``), it tests no spacing:
            # its trial's end answers it.
            if self._load_explains(spacing, load) or last_ask or straggler or sent_in_trial:
                # The limit's dip is the answer; the spacing is not in question (a last ask
                # was held long: refused, its page's own, or a limit far slower that the
                # first asks show).
                return
            if retry and self.wants_a_first_ask and fresh_waiting:
                # A page asked again slowed the spacing already: the pages not asked yet test
                # it first (``wants_a_first_ask``). A limiter refuses them too; pages failing
                # at every ask refuse only themselves. Dead pages' retries, lined up one after
                # another with nothing served between, each doubled the spacing: an unlimited
                # host of 400 pages, 8% dead, was 10 s apart within 19 s (200 pages so: 803 s,
                # 125 s now).
                return
            # A page asked again and refused right behind answers served at its gap is taken
            # to refuse on its own and moves no spacing: moved by such retries, a 10/s host
            # with 17 of 300 pages always failing reached the slowest spacing (24x). A bursty
            # limiter's sparse refusals can pass that test too (``OwnFailures.served_again``).
            if (
                self._tests_a_step(spacing, retry)
                or self._refused_behind_the_opening_served(ticket, concurrent)
                or (
                    sum(self._recent_refusals)
                    >= self.own.refusals_needed(RATE_REFUSALS, RATE_WINDOW)
                    and not (retry and self._refused_on_its_own(spacing, load))
                )
            ):
                was_paced, was_s = self.rate.paced, self.rate.interval_s
                self.rate.refused(spacing, now, left, retry)
                self._retry_moved |= retry and self.rate.interval_s > was_s
                if self.rate.paced:
                    self._spaced_by_load = min(self._spaced_by_load or load, load)
                if self.rate.paced and not was_paced:
                    # Requests sent unspaced were not timed at the wire: the latest start
                    # stands for the last departure, so the first request held at the wire as
                    # the spacing begins waits it too instead of leaving at once.
                    self._last_sent = self.last_start
                return
            if not retry and (leak := self._evenly_refused(spacing, now)) is not None:
                self.rate.leaked(leak, spacing, now)
            return
        if 0 < retry_after_s <= MAX_PAUSE_S:
            if self.pause_left_s(now) == 0.0:
                self._paused_for = 0  # a new pause: what disproved an old one is past
            until = now + timedelta(seconds=retry_after_s)
            if self.paused_until is None or until > self.paused_until:
                self.paused_until = until
                self.pauses += 1
            self._paused_for = FIRM if firm else max(self._paused_for, ticket or 0)

    def _served_in_wave(self) -> int:
        """Answers served to requests of the current burst's wave (``_wave``)."""
        return sum(ticket in self._wave for ticket in self._recent_served)

    @property
    def own_pages(self) -> int:
        """Pages among the host's recent asks judged to refuse on their own."""
        return self.own.count

    def _at_a_spacing_served_well(self, spacing: float) -> bool:
        """Whether a request sent ``spacing`` after the one before it on a spaced host was
        sent no faster (within ``JITTER``) than a spacing the host has served well."""
        fast_enough = self.rate.fast_enough_s
        return self.rate.paced and fast_enough is not None and spacing >= fast_enough * (1 - JITTER)

    def _refused_on_its_own(self, spacing: float, load: int) -> bool:
        """Whether a page asked a second time and refused again (a bare refusal), sent
        ``spacing`` after the request before it, one of ``load`` in flight, refused on its
        own: the host's last answer served was at a gap no longer, with at most one refusal
        since (the page's own first: a limiter admitting that one would have admitted this
        one), at a spacing served well (any, on a host not spaced) and one at a time or at a
        load served well (a connection limit refuses the request over it, whatever the
        page); near the guess, right behind two answers served in a row: a limiter slower
        than two a second, met at the guess, serves one after each refused request and
        refuses the next (at 0.4/s, read as pages' own, 2-8 live pages of 100 were lost)."""
        served = self._last_served_gap
        if served is None or self._refused_since_served > 1 or spacing < served * (1 - JITTER):
            return False
        if self.rate.paced and not (
            self._at_a_spacing_served_well(spacing) or self._at_a_spacing_served_since(spacing)
        ):
            return False
        if self.rate.near_the_guess and self._served_in_a_row < 2:
            return False
        return self.loads.at_a_load_served_well(load)

    def _at_a_spacing_served_since(self, spacing: float) -> bool:
        """Whether a request sent ``spacing`` after the one before it, on a host backing off
        (no spacing served well since one was refused), was sent no faster than the spacing
        in force right behind two answers served in a row at it: a limiter with no burst
        slower than it refuses every other one. Without it, pages failing at every ask
        doubled a 1/s host's spacing at each of their asks, up to 10 s. Counted since the
        last bare refusal too (``_served_in_a_row``), not only since the spacing was set: a
        page read as failing on its own does not reset the requests served at a spacing,
        and retries refused behind one answer served each were read so, for ever."""
        rate = self.rate
        return (
            rate.fast_enough_s is None
            and rate.served_here >= 2
            and self._served_in_a_row >= 2
            and spacing >= rate.interval_s * (1 - JITTER)
        )

    def _tells_of_load(self, spacing: float, load: int) -> bool:
        """Whether a refusal of a request sent ``spacing`` after the one before, one of
        ``load`` in flight, counts as a refusal at that load (``_learn_ceiling``): not on a
        spaced host when sent faster than a spacing served well (a step of the search, the
        spacing's) at a load the host has served. Counted at their load, steps refused at
        two at once (pages slower than the spacing) had brought a 10/s host down to one
        at a time (1.55-2.0 times its floor)."""
        if not self.rate.paced or self._at_a_spacing_served_well(spacing):
            return True
        return not self.loads.served_from(load)

    def _load_explains(self, spacing: float, load: int) -> bool:
        """Whether a refusal of a request sent ``spacing`` after the one before, one of
        ``load`` in flight, is the load's: sent no faster than a spacing served well, but at
        more at once than the host has served well (nginx's ``limit_conn`` refuses the
        request over its count, whatever the spacing). It then moves no spacing: doubling
        the spacing for it had held a limit_conn host at 143 ms between requests, its quick
        404s and redirects included, for seconds."""
        if load > self.ceiling:
            return True  # sent before the ceiling came down to below its load
        return self._at_a_spacing_served_well(spacing) and not self.loads.at_a_load_served_well(
            load
        )

    def _tests_a_step(self, spacing: float, retry: bool) -> bool:
        """Whether one refusal, of a request sent ``spacing`` after the one before, is a step
        of the search refused: a first ask sent faster than a spacing served well, on a
        host none of whose pages is known to refuse on its own, or at a step of recovery on
        any host (refused, it goes straight back to the spacing served well: on a host with
        such pages, a 5/s limiter refused seven in a row at a step 1.5% too fast). It moves
        the spacing alone (waiting for a second refusal would cost a second request)."""
        return (
            self.rate.paced
            and self.rate.fast_enough_s is not None
            and not self._at_a_spacing_served_well(spacing)
            and not retry
            and (not self.own_pages or self.rate.probing)
        )

    def _refused_behind_the_opening_served(
        self, ticket: int | None, concurrent: tuple[int, ...]
    ) -> bool:
        """Whether a bare refusal is what a rate limiter with no burst does to the opening
        (``OPENING`` sent together): the first refusal of the host, of one of the opening's
        own requests started while another was under way, that one already served when the
        refusal came. Such a limiter lets the first through and refuses the next; waiting
        for a second refusal to space the host cost one more on nginx's 10 r/s
        ``limit_req`` in every run. A cap on load refuses the second while the first is
        still running, so its refusal comes first and does not count here. Only the
        opening's own: a bucket whose burst ran out while the host was still held to two
        (its pages answered in a millisecond, a dozen went in the opening's 20 ms) is the
        2-in-20 rule's, and read here it was refused in clusters (3-6 at once, every other
        request) in 7 of 14 runs on nginx's 20 r/s host, against 2 in 26 before."""
        return (
            ticket is not None
            and ticket <= OPENING  # the opening's own two, first asks both
            and self._burst_in_opening
            and not self.rate.paced
            and self._served in concurrent  # the other of the two, served before this came
        )

    def _evenly_refused(self, spacing: float, now: datetime) -> float | None:
        """The spacing a limiter's rate needs, when a first ask refused at the spacing in
        force (one that moved nothing) is the ``EVEN_REFUSALS``-th such, as many answers
        let through between each two (within ``EVEN_SLACK``), at least ``EVEN_LEAST``: a
        bucket a little slower than the spacing, its burst spent, refuses one request in
        every n, n set by the two rates, too seldom for two among 20 answers (nginx's 20 r/s
        host, settled 47 ms apart by a search its burst fooled, was refused once a second
        until its links ran out, in 2 runs of 18). Its refusals find it empty, so the answers
        let through between them measure its rate (with ``MARGIN``). Once a host: pages
        failing at every k-th ask refuse as evenly at any spacing, and read so each time
        they slowed an unlimited host of 1,500 pages up to 5.5x (a review's 478 cases;
        once, and no slower than such a bucket can measure, 1.47x at worst)."""
        rate = self.rate
        if (
            self._evenly_slowed
            or not rate.paced
            or not rate.interval_s * (1 - JITTER) <= spacing <= rate.interval_s * LATE
        ):
            return None  # not at the spacing in force: a step's, a burst's, one sent late
        if self._sparse_at != rate.changes:
            self._sparse, self._sparse_at = [], rate.changes
        self._sparse.append((now, self._admitted))
        del self._sparse[:-EVEN_REFUSALS]
        if len(self._sparse) < EVEN_REFUSALS:
            return None
        let_through = [b - a for (_, a), (_, b) in itertools.pairwise(self._sparse)]
        if min(let_through) < EVEN_LEAST or max(let_through) - min(let_through) > EVEN_SLACK:
            return None
        (first, a), (last, c) = self._sparse[0], self._sparse[-1]
        self._sparse = []
        measured = (last - first).total_seconds() / (c - a) * (1 + MARGIN)
        # A bucket refusing one in n at the spacing serves n in n + 2 of its places (the
        # refused request's, and its retry's): a slower measure is no such bucket's (pages
        # failing at every ask, their retries taking places too, measured 1.3-2.2x slower).
        fewest = min(let_through)
        if not rate.interval_s < measured <= rate.interval_s * (fewest + 2) / fewest * (1 + MARGIN):
            return None
        self._evenly_slowed = True
        return measured

    def load_served_well(self) -> int:
        """The highest load (requests at once) the host has served well; 0 when none is
        known."""
        return self.loads.served_well(self.ceiling + 1)

    def _learn_ceiling(self, load: int, edge_only: bool = False) -> None:
        """A refusal sent while ``load`` were in flight was counted: if that load or a higher
        one is refused often (``LoadLedger.load_refused_often``), or ``load`` is an edge
        (``LoadLedger.is_edge``), the host takes fewer at once (nginx's ``limit_conn``), and
        the ceiling comes down below it for the run (a refusal tells of its load and those
        above, not of those below). Page-own refusals at a load the host serves well (a few
        among many answers) never lower it. ``edge_only``: a refusal that tells nothing of
        load by itself (a step of the search at a load once served) may still complete an
        edge. An edge by chance is also looked for as a refused page is served when asked
        again (``_refused_live``)."""
        edge = self.loads.is_edge(load)
        if edge_only and not edge:
            return
        over = load if edge else self.loads.load_refused_often(load, self.ceiling)
        if over is not None:
            self._take_ceiling_below(over)

    def _take_ceiling_below(self, over: int) -> None:
        """The host takes fewer than ``over`` at once for the run."""
        self.ceiling = min(self.ceiling, over - 1)
        # A wave's answers served never raise it back above what the loads taught.
        self._ceiling_before_burst = min(self._ceiling_before_burst, self.ceiling)
        self.limit = min(self.limit, self.ceiling)
        refused_within = self.loads.refused_under(self.ceiling + 1)
        if self.rate.paced and self._spaced_by_load > self.ceiling and not refused_within:
            # Every refusal that spaced the host came over its count, and none within it
            # (nginx's limit_conn refuses the fifth and sixth of six sent at once, like a
            # bucket with a burst of four would): the load's, not a rate's. Kept, the
            # spacing held such a host 61-78 ms apart, its quick pages too, all run long.
            self.rate, self._spaced_by_load, self._retry_moved = RatePace(), 0, False

    def _refused_live(self, page: str) -> None:
        """``page`` was served when asked again: its first ask's refusal on a spaced host, if
        any, was the host's doing (a limit's), and may show an edge by chance."""
        edge = self.loads.refused_live(page)
        if edge is not None:
            self._take_ceiling_below(edge)

    def _try_the_load(self) -> None:
        """Try a spaced host at fewer at once, unspaced (``LoadTrial``), when every first ask
        it refused naming no wait was sent at ``over`` at once or more (three or more such,
        over three), one of them leaving spaced (held at the wire to a spacing begun after
        it started, too), the host has served one fewer at once, of first asks leaving
        spaced it refused the load at least as often as it served it, and none of its pages
        is known to refuse on its own (``own_pages``). A connection limit (nginx's
        ``limit_conn``) refuses that load whatever the spacing, but the spacing its refusals
        began holds the load under it, so its refusals stop coming and the limit is never
        learnt: nginx's limit_conn 2, 3 and 5 with pages held 250 ms were spaced for the run
        at 1.6-1.9 times their floor. A rate limiter with pages slower
        than its spacing refuses the same way (refused at many at once, since its too-fast
        gaps put many in flight), so the trial is an experiment the host's answers settle
        (``LoadTrial.answered``). Once a host."""
        over, refused = self.loads.first_asks_refused_from()
        if self._tried or self._trial is not None or not self.rate.paced or not refused:
            return
        spaced_refused, spaced_served = self.loads.first_asks_left_spaced_from(over)
        if (
            over < 3  # a limiter with no burst refuses the second of two sent together
            or refused < LOAD_REFUSALS
            or self.ceiling < over
            or not self.loads.served_exactly(over - 1)
            or not spaced_refused
            or spaced_refused < spaced_served
            or self.own_pages  # counted last: checked at every first ask served
        ):
            return
        self._trial = LoadTrial(
            over, self.ceiling, self.rate, self._ceiling_before_burst, self._sent
        )
        self._trial_tickets = (self._sent, FIRM)
        self.ceiling = self.limit = over - 1
        self._ceiling_before_burst = min(self._ceiling_before_burst, self.ceiling)
        self.rate, self._retry_moved = RatePace(), False

    def _trial_moves(self, trial: LoadTrial, moves: list[TrialMove]) -> None:
        """Do what ``trial`` tells, in order (``TrialMove``)."""
        for move in moves:
            if move is TrialMove.HOLD_UNDER:
                self.ceiling = trial.over - 1
                self.limit = min(self.limit, self.ceiling)
            elif move is TrialMove.REARM:
                self.ceiling = self.limit = trial.over
            elif move is TrialMove.SPACE_FOR_PROBE:
                self.rate = RatePace.held_at(trial.probe_spacing_s)
                self._last_sent = self.last_start
            else:
                self._end_trial(
                    trial, held=move is TrialMove.END_HELD, served=move is TrialMove.END_SERVED
                )

    def _end_trial(self, trial: LoadTrial, held: bool, served: bool = False) -> None:
        """End ``trial``: the ceiling it tried ``held`` (kept, the host unspaced), or not: the
        host gets back the ceiling it had, spaced at the pace the trial was ``served`` at
        (its probes served) or, refused within it, at twice that, the search going on from
        there. Put back as it was before the trial (the search's first steps from the
        opening's guess), the spacing began its search again, and among pages failing on
        their own it had gone to 1.4 s apart (10/s, 500 ms pages, 5% dead: 68 s -> 586 s)."""
        self._trial, self._tried = None, True
        self._trial_tickets = (trial.after_ticket, self._sent)
        if held:
            self.ceiling = min(self.ceiling, trial.over - 1)
            self.rate, self._spaced_by_load, self._retry_moved = RatePace(), 0, False
        else:
            if self.ceiling >= trial.over - 1:  # not lowered further meanwhile
                self.ceiling = trial.ceiling_before
                self._ceiling_before_burst = trial.burst_ceiling_before
            rate, pace = trial.rate_before, trial.pace_s or trial.pace()
            if pace and served:
                rate = RatePace.served_at(pace, rate.too_fast_s)
            elif pace and len(trial.gaps) >= TRIAL_PACE_GAPS:
                rate = RatePace.served_at(min(pace * 2, SLOWEST_S), pace)
            self.rate, self._last_sent = rate, self.last_start
        self.limit = min(self.limit, self.ceiling)

    def _disproved(self, served_spaced: bool = False, by_a_later_answer: bool = False) -> None:
        """The lone refusal was that page's own: the host's limit goes back to where it was
        before it (answers since then may only have raised it), and so does its pace, unless
        the request served was sent at the spacing the refusal began (``served_spaced``):
        that shows the spacing working, not the refusal wrong. Undone all the same, a 20/s
        limiter was refused every other request, spaced and unspaced in turn (161 refusals
        in 300), and a 5/s one held to one request at a time alike (1.7 times its floor)."""
        self._lone_refusal = 0
        if by_a_later_answer and not self._burst_bare:
            # Pages' own, the burst's refusals so far (each naming a wait) count toward
            # neither a firm pause nor a lower ceiling: one disproved, then another page's in
            # the same burst, had held a host to four at once for the run. Refusals all
            # answered after the request that disproves them still add up (the host served
            # it, then pushed back), and so do a rate limiter's bare ones (``rate_pace``).
            self._burst_pushbacks = self._burst_refused = 0
            self._burst_at_loads_served = True
        self.limit = min(self.ceiling, max(self.limit, self._limit_before))
        if not self._rate_before.paced and not served_spaced and self._trial is None:
            # (A trial's spacing is the trial's to set: put back unspaced, a probe left at
            # once, into an answer not read yet, and was served by a limit of two at three.)
            self.rate, self._retry_moved = self._rate_before, False

    def pause_left_s(self, now: datetime) -> float:
        """Seconds until requests may start again (0 when the host is not paused)."""
        if self.paused_until is None:
            return 0.0
        return max(0.0, (self.paused_until - now).total_seconds())
