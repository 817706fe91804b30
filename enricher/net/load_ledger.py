"""What one host's answers have shown at each load (``LoadLedger``; pure: counts in,
answers out). A request's load is how many requests to the host were under way as it left.

``HostPace`` asks of these counts which load the host serves well, and which load it
refuses for being that load (a connection limit's refusals, nginx's ``limit_conn``) rather
than for a rate limiter's too-fast gaps or a page's own failure: the refusals counted over a
load and every higher one, refused often and more often than below it, or an edge a spaced
host seldom reaches, refused there and never below, more than chance explains.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field

from .rate_pace import JITTER, WIRE_JITTER_S

LOAD_REFUSALS = 3
"""Refusals at a load and above before the load itself is taken for the host's limit..."""

LOAD_ANSWERS = 8
"""...among at least this many answers at that load and above: a few refusals in a host's first
moments (a connection the server has not closed yet) are not its limit."""

LOAD_CONTRAST = 2
"""...and only when refused at least this many times as often at that load and above as
below it (``LoadLedger._refused_more_often_from``)."""

EDGE_ODDS = 0.01
"""How rarely a host whose refusals do not depend on its load (a rate limiter's: they come
at its too-fast gaps) would have refused its live pages only at a load and above, among the
answers at gaps as short (``LoadLedger._refused_beyond_chance``)."""

SPACED_ANSWERS = 256
"""Spaced first asks' answers kept for ``LoadLedger._refused_beyond_chance``."""


@dataclass
class LoadLedger:
    """One host's answers by the load their requests were sent at."""

    _served_at: Counter[int] = field(default_factory=Counter)
    _refused_at: Counter[int] = field(default_factory=Counter)
    """Answers served and refused, by the load their request was sent at."""
    _fastest_served_at: dict[int, float] = field(default_factory=dict)
    """Per load, the shortest gap after the request before that a request sent at it was
    served at."""
    _refused_by_spacing: deque[tuple[int, float]] = field(
        default_factory=lambda: deque(maxlen=LOAD_ANSWERS * 4)
    )
    """The latest refusals (load, gap) not counted at their load yet: no lower load was
    served at a gap as short (``_count_refusals_at_load``; a host refusing everything keeps
    a few, not thousands to go through at each refusal)."""
    _refused_spaced_at: Counter[int] = field(default_factory=Counter)
    """Refusals by load, of requests sent while the host was spaced."""
    _spaced_answers: deque[tuple[int, float, bool]] = field(
        default_factory=lambda: deque(maxlen=SPACED_ANSWERS)
    )
    """The latest answers to first asks sent while the host was spaced, (load, gap, refused):
    served, or refused and their page served since (``refused_live``)."""
    _refused_unconfirmed: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Pages whose first ask, sent while the host was spaced, was refused, and not served
    since: (load, gap)."""
    _bare_first_refused_at: Counter[int] = field(default_factory=Counter)
    """First asks refused naming no wait, by the load they were sent at..."""
    _refused_left_spaced_at: Counter[int] = field(default_factory=Counter)
    _served_left_spaced_at: Counter[int] = field(default_factory=Counter)
    """...and first asks that left spaced (started so, or held at the wire to a spacing
    begun meanwhile), refused naming no wait and served, by load."""

    # What the host answered.

    def first_ask_answered(
        self, load: int, *, bare_refusal: bool, served: bool, left_spaced: bool
    ) -> None:
        """A page's first ask sent at ``load`` was refused naming no wait (``bare_refusal``)
        or ``served``; ``left_spaced``: started spaced, or held at the wire to a spacing."""
        if bare_refusal:
            self._bare_first_refused_at[load] += 1
            self._refused_left_spaced_at[load] += left_spaced
        elif left_spaced and served:
            self._served_left_spaced_at[load] += 1

    def refused_spaced(self, load: int, spacing: float, page: str | None) -> None:
        """A first ask sent ``spacing`` after the one before it, on a spaced host, at
        ``load``, was refused: counted there, and its page remembered until it is served
        (``refused_live``)."""
        self._refused_spaced_at[load] += 1
        if page:
            self._refused_unconfirmed[page] = (load, spacing)
            while len(self._refused_unconfirmed) > SPACED_ANSWERS:
                del self._refused_unconfirmed[next(iter(self._refused_unconfirmed))]

    def refused(self, load: int, spacing: float, tells_of_load: bool) -> None:
        """A request sent ``spacing`` after the one before, at ``load``, was refused.
        ``tells_of_load``: it counts at its load (at one at a time at once; else once a
        lower load was served at a gap as short, ``_count_refusals_at_load``)."""
        if tells_of_load and load == 1:
            self._refused_at[load] += 1  # no lower load to tell it from its gap
        elif tells_of_load:
            self._refused_by_spacing.append((load, spacing))
        self._count_refusals_at_load()

    def served(self, load: int, spacing: float, *, spaced_first_ask: bool) -> None:
        """A request sent ``spacing`` after the one before, at ``load``, was served
        (``spaced_first_ask``: a page's first ask, sent while the host was spaced)."""
        if spaced_first_ask:
            self._spaced_answers.append((load, spacing, False))
        self._served_at[load] += 1
        fastest = self._fastest_served_at.get(load, spacing)
        self._fastest_served_at[load] = min(fastest, spacing)

    def refused_live(self, page: str) -> int | None:
        """``page`` was served when asked again: its first ask's refusal on a spaced host,
        if any, was the host's doing (a limit's), not the page's, and is evidence for
        ``_refused_beyond_chance``. The load it was refused at, when that makes it an edge
        (``an_edge_by_chance``)."""
        refused = self._refused_unconfirmed.pop(page, None)
        if refused is None:
            return None
        self._spaced_answers.append((*refused, True))
        return refused[0] if self.an_edge_by_chance(refused[0]) else None

    # What the answers show.

    def served_from(self, load: int) -> int:
        """Answers served at ``load`` at once or more."""
        return at_or_above(self._served_at, load)

    def served_exactly(self, load: int) -> int:
        """Answers served at ``load`` at once."""
        return self._served_at[load]

    def refused_exactly(self, load: int) -> int:
        """Refusals counted at ``load`` at once."""
        return self._refused_at[load]

    def served_well(self, below: int) -> int:
        """The highest load under ``below`` the host has served well (``LOAD_ANSWERS``
        answers or more, under a quarter of them refused); 0 when none is known."""
        return max(
            (
                level
                for level in range(1, below)
                if self._served_at[level] >= LOAD_ANSWERS
                and not refused_often(self._refused_at[level], self._served_at[level])
            ),
            default=0,
        )

    def at_a_load_served_well(self, load: int) -> bool:
        """Whether a request sent one of ``load`` in flight was sent one at a time or at a
        load the host has served well."""
        return load <= 1 or self.served_well(load + 1) == load

    def refused_under(self, load: int) -> bool:
        """Whether a refusal was counted at a load under ``load``."""
        return self._refused_at.total() > at_or_above(self._refused_at, load)

    def first_asks_refused_from(self) -> tuple[int, int]:
        """The lowest load a first ask was refused at naming no wait (0: none), and how many
        first asks were so refused in all."""
        refused = self._bare_first_refused_at
        return min(refused, default=0), refused.total()

    def first_asks_left_spaced_from(self, load: int) -> tuple[int, int]:
        """First asks that left spaced at ``load`` at once or more: refused naming no wait,
        and served."""
        return (
            at_or_above(self._refused_left_spaced_at, load),
            at_or_above(self._served_left_spaced_at, load),
        )

    def is_edge(self, load: int) -> bool:
        """Whether ``load`` is an edge: refused there while spaced, steps of the search too,
        at least as often as served (a quick page leaving lets a fifth in now and then),
        never below it, and served many times below it (a spaced host seldom reaches the
        load, so answers there add up slowly: limit_conn 4 was learnt 7.6 s into a run;
        refusals of requests sent at once, unspaced, are a bucket's as much). A rate
        limiter refuses at the lower loads too. Not at two at once: a limiter with no burst
        refuses the second of two sent together, so only answers at two tell it from a
        limit of one connection. Or an edge by chance (``an_edge_by_chance``)."""
        served = at_or_above(self._served_at, load)
        served_below = self._served_at.total() - served
        refused_spaced = at_or_above(self._refused_spaced_at, load)
        return (
            self._refused_spaced_only_from(load)
            and refused_spaced >= max(LOAD_REFUSALS, served)
            and served_below >= LOAD_ANSWERS
        ) or self.an_edge_by_chance(load)

    def an_edge_by_chance(self, load: int) -> bool:
        """Whether ``load`` is an edge by ``_refused_beyond_chance`` (no refusal sent spaced
        below it)."""
        return self._refused_spaced_only_from(load) and self._refused_beyond_chance(load)

    def load_refused_often(self, lowest: int, ceiling: int) -> int | None:
        """The highest load, ``lowest`` or above (and at most one over the ``ceiling``), that
        the host refuses often: a quarter or more of at least ``LOAD_ANSWERS`` answers at it
        and above refused, ``LOAD_REFUSALS`` or more, more often than below it (counted over
        the load and every higher one: a limit of 4 refuses a fifth and a sixth at once
        alike, and split between them its refusals took long to add up). The highest,
        not the load of the refusal that asked: a ceiling too high is taught lower by the
        refusals it lets come, one too low never hears of it again (refusals all at six at
        once, asked at two, had set a host to one at a time). And a quarter or more of the
        answers at the load itself refused, or none there: a load its own answers serve well
        is not the limit because refusals above it count at it (a cap of two behind a slow
        limiter: its refusals at three, too few answers to decide three, and the limiter's
        two at two made two "refused often", and 42 of 240 such simulated hosts were held to
        one at a time). None when there is none."""
        top = min(max(self._refused_at, default=0), ceiling + 1)
        for level in range(top, max(lowest, 2) - 1, -1):
            refused = at_or_above(self._refused_at, level)
            served = at_or_above(self._served_at, level)
            if (
                refused >= LOAD_REFUSALS
                and refused + served >= LOAD_ANSWERS
                and refused_often(refused, served)
                and refused_often(self._refused_at[level], self._served_at[level])
                and self._refused_more_often_from(level, refused, served)
            ):
                return level
        return None

    def _count_refusals_at_load(self) -> None:
        """Count at their load the refusals a lower load was served at a gap as short as:
        those the spacing does not explain. A rate limiter's refusals come at the loads its
        too-fast gaps put in flight (six sent at once open a host: loads 2-6 refused; steps
        of the search with pages slower than them: load 2 refused, load 1 served at slower
        gaps), and counted at those loads they set 5/s and 10/s limiters' ceilings to one
        (1.26-6.4x their floor). A connection limit's are counted once the loads under it
        are served at the same gaps, whichever answer comes first."""
        still: list[tuple[int, float]] = []
        for load, spacing in self._refused_by_spacing:
            short_enough = spacing * (1 + JITTER) + WIRE_JITTER_S
            if any(gap <= short_enough for at, gap in self._fastest_served_at.items() if at < load):
                self._refused_at[load] += 1
            else:
                still.append((load, spacing))
        self._refused_by_spacing.clear()
        self._refused_by_spacing.extend(still)

    def _refused_spaced_only_from(self, load: int) -> bool:
        """Whether ``load`` is over two at once and every refusal sent spaced came at it or
        above."""
        spaced = self._refused_spaced_at
        return load > 2 and spaced.total() == at_or_above(spaced, load)

    def _refused_beyond_chance(self, load: int) -> bool:
        """Whether the host's refusals of live pages sent spaced (first asks, their pages
        served since), ``LOAD_REFUSALS`` or more at ``load`` or above, none below (the
        caller's), depend on the load: among the answers to spaced first asks sent at gaps
        no longer than the median of those refusals', so few were at the load or above that
        every one of those refusals falling there by chance is rarer than ``EDGE_ODDS``
        (drawn without replacement). Compared at gaps as short: a rate limiter's refusals
        come at its too-fast gaps, which put more in flight, while its slower gaps, fewer
        in flight, are served. Live pages only: a page failing on its own is refused at any
        load, and three dead pages' refusals at three at once or more, by chance, had set a
        host with no limit to two at once (6x as long). A connection limit also seems to
        serve a request at its load now and then (a quick page's answer come and not read
        yet counts as under way), so "refused as often as served there" alone had kept
        nginx's limit_conn 4 spaced 60-79 ms apart for the run (1.4-1.5 times its floor)."""
        refused_gaps = sorted(
            gap for at, gap, was_refused in self._spaced_answers if was_refused and at >= load
        )
        refused = len(refused_gaps)
        if refused < LOAD_REFUSALS:
            return False
        as_short = refused_gaps[refused // 2] * (1 + JITTER) + WIRE_JITTER_S
        served = [
            at
            for at, gap, was_refused in self._spaced_answers
            if not was_refused and gap <= as_short
        ]
        there = sum(at >= load for at in served) + refused
        everywhere = len(served) + refused
        return math.comb(there, refused) / math.comb(everywhere, refused) <= EDGE_ODDS

    def _refused_more_often_from(self, load: int, refused: int, served: int) -> bool:
        """Whether the answers at ``load`` and above (``refused`` of them refusals, ``served``
        served) were refused at least ``LOAD_CONTRAST`` times as often as those below it. A
        limit on load refuses the requests over it and not those under it; pages refusing
        on their own do so at whatever load they are sent (a host runs at its ceiling most
        of the time, so most of theirs come there). Counted over this load and every higher
        one alone, four pages' own 429s, three of them at five and six at once and one at
        two, set a host capped at six (never reached) to one at a time for the run, and a
        hang then held its one slot. The refusals below it not yet counted at their load
        (``_count_refusals_at_load``) count here: refused at a lower load, whatever the
        reason, the load did not do it."""
        refused_below = self._refused_at.total() - refused
        refused_below += sum(at < load for at, _ in self._refused_by_spacing)
        answers_below = refused_below + self._served_at.total() - served
        return refused_below * (refused + served) * LOAD_CONTRAST <= refused * answers_below


def refused_often(refused: int, served: int) -> bool:
    """A quarter or more of the answers were refusals."""
    return refused * 3 >= served


def at_or_above(counts: Counter[int], load: int) -> int:
    """Answers counted at ``load`` in flight or more."""
    return sum(n for at, n in counts.items() if at >= load)
