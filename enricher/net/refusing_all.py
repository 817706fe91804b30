"""Whether a host refuses every request (``RefusingAll``; pure: decisions from values, time is
the caller's): down for maintenance, or refusing us. No spacing meets such a host, so the
links of it not asked yet are given up for the run (``HostGate.given_up``), told apart from a
slow limiter (one that refuses everything for the rest of a minute) and from runs of pages
failing on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .rate_pace import SLOWEST_S

REFUSING_FIRST_ASKS = 8
"""Pages refused at their first ask in a row, naming no wait, nothing served between, after
which a host that still refused when asked slowly is given up for the run
(``RefusingAll.refuses_all``); retries refused among them count for nothing, as they may all
be pages failing on their own. On an unlimited host with 8% of its pages dead, their retries
(which had spaced it 10 s apart and held its other pages back) had it given up, 120 live
pages never asked; with four first asks among eight, four dead pages close together in a
host's queue, refused at their first and second asks, had a host behind a 1/s limiter given
up, 23 of its 80 live pages never asked, and another, nine of its first fifteen pages dead
and their retries filling its queue, with 40 never asked. A host refusing every request
refuses every page; eight pages failing on their own in a row, nothing served between, is
rare even where one in six does..."""

REFUSING_HISTORY = 10
"""First asks answered before a run of refusals from which the share of the host's pages
refused on their first ask is known (``RefusingAll._first_asks_to_give_up``)..."""

REFUSING_MOST = 32
"""...and the most first asks in a row refused that a host so known needs to be given up."""

REFUSING_SPAN_S = 60.0
"""...and refusals going on this long after the first of them: a limiter counting requests
over a minute (18 a minute) refuses every page until its window ends, and given up sooner,
98 live pages of 120 behind one were never asked..."""

REFUSING_AFTER_SPAN = 4
"""...and at least this many of them answered after that minute: the first requests as a
window opens again may be pages failing on their own, whose retries fill the queue (given
up at the first, a dead page's last ask, a host behind 18 a minute lost 106 live pages of
120; at the third, one behind 25 a minute lost 10), and then the pages refused while the
window was shut are served. A host refusing everything is given up 99 s in. Counting the
minute to a first ask instead held it until a page not asked yet came, behind the retries
of those asked at the opening (197-303 s); to different pages, behind each page's own three
asks..."""

REFUSING_GAP_S = SLOWEST_S / 2
"""...twice in a row at this gap or longer: a limiter refusing two requests in a row 5 s apart
serves fewer than one every 10 s, which no spacing meets (``SLOWEST_S``)."""

GIVE_UP_ODDS = 0.001
"""How rarely a host's own failing pages may give it up by themselves, per run of refusals
begun (``RefusingAll._first_asks_to_give_up``)."""


@dataclass
class RefusingAll:
    """One host's runs of refusals naming no wait, and whether they give it up."""

    _first_asks_refused: int = 0
    """First asks refused naming no wait since the last answer served (``refuses_all``)."""
    _first_asks_seen: int = 0
    _first_asks_refused_ever: int = 0
    """First asks answered, and refused (naming no wait), over the run."""
    _first_refused_at: datetime | None = None
    """When the first of those refusals was answered..."""
    _refused_late: int = 0
    """...and how many were answered ``REFUSING_SPAN_S`` or more after it."""
    _refused_slowly: int = 0
    """Of those, the latest in a row sent ``REFUSING_GAP_S`` or more after the request
    before them (``refuses_all``)."""

    def answered(
        self,
        now: datetime,
        spacing: float,
        *,
        first_ask: bool,
        bare_refusal: bool,
        served: bool,
    ) -> None:
        """An answer at ``now`` to a request sent ``spacing`` after the one before it (a
        page's ``first_ask``): a refusal naming no wait, ``served`` (a server error serves no
        page: a host going down behind a proxy answers 502s and 504s among its 503s, and
        counted as served, they kept such a host from being given up: 20 links, 503 twice
        for each 502, 395 s and 60 requests), or neither."""
        if first_ask:
            self._first_asks_seen += 1
            self._first_asks_refused_ever += int(bare_refusal)
        if served:
            self._refused_slowly = self._first_asks_refused = 0
            self._first_refused_at, self._refused_late = None, 0
        elif bare_refusal:
            self._first_asks_refused += int(first_ask)
            if self._first_refused_at is None:
                self._first_refused_at = now
            late = (now - self._first_refused_at).total_seconds() >= REFUSING_SPAN_S
            self._refused_late += int(late)
            self._refused_slowly = self._refused_slowly + 1 if spacing >= REFUSING_GAP_S else 0

    @property
    def refuses_all(self) -> bool:
        """The host refused ``REFUSING_FIRST_ASKS`` pages at their first ask in a row naming
        no wait, nothing served between (a server error serves nothing; more pages on a host
        that refused many first asks before, ``_first_asks_to_give_up``), going on
        ``REFUSING_SPAN_S`` or longer with ``REFUSING_AFTER_SPAN`` refused after that, the
        last two sent ``REFUSING_GAP_S`` or more after the request before them: down for
        maintenance, or refusing us. No spacing meets it, and spaced up to ``SLOWEST_S``
        apart, 20 links of a host answering a bare 503 to every request took 329 s (44
        requests); its links not yet asked are given up for the run."""
        return (
            self._first_asks_refused >= self._first_asks_to_give_up()
            and self._refused_late >= REFUSING_AFTER_SPAN
            and self._refused_slowly >= 2
        )

    def _first_asks_to_give_up(self) -> int:
        """First asks refused in a row that give a host up: ``REFUSING_FIRST_ASKS``, or more
        on a host whose pages were often refused on their first ask before this run of
        refusals began (``REFUSING_HISTORY`` first asks or more known), as many as such pages
        would rarely give in a row by themselves (``GIVE_UP_ODDS`` per run begun;
        ``REFUSING_MOST`` at most). Eight dead pages in a row are common on a host with 60% of
        its pages dead: given up so, such hosts' live pages further on were never asked.
        Pages refused and then served when asked again count too (a limiter's refusals, pages
        failing once): left out, hosts with many pages failing once and many dead were given
        up again (2,022 more live pages lost over 1,500 review draws), for a host behind a
        limiter that later went down given up a minute sooner."""
        streak = self._first_asks_refused
        before = self._first_asks_seen - streak
        if before < REFUSING_HISTORY:
            return REFUSING_FIRST_ASKS
        share = (self._first_asks_refused_ever - streak) / before
        needed = REFUSING_FIRST_ASKS
        while needed < REFUSING_MOST and share**needed > GIVE_UP_ODDS:
            needed += 1
        return needed
