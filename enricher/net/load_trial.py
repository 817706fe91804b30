"""A spaced host tried at fewer requests at once, unspaced (``LoadTrial``; pure: the trial
follows the host's starts and answers, and tells ``HostPace`` what to do, ``TrialMove``).

A connection limit's first refusals space a host like a rate limiter's, and the spacing then
holds the load under the limit, so the evidence that would teach the limit never comes
(nginx's limit_conn 2, 3 and 5 with pages held 250 ms and quick 404s among them: 1.6-1.9
times their floor for the run). ``HostPace._try_the_load`` decides when to try; the trial
holds the host to one fewer than the load refused, unspaced, and the host's answers settle
it. Two first asks refused within the ceiling tried end it (a rate's refusals). After
``TRIAL_SERVED`` answers served, one request at a time is let to the load refused, at a
spacing that just reaches it: refused there, the ceiling stays; served there twice, the
host gets its ceiling back, spaced at the pace the trial was served at (a rate limiter with
pages slower than its spacing refuses at many at once too). A load not reached at that pace
keeps the ceiling too (nginx's delayed burst answers its queue one by one: the probes left
behind answers, at a lower load).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from .load_ledger import LOAD_ANSWERS
from .rate_pace import SLOWEST_S, WIRE_JITTER_S, RatePace

TRIAL_SERVED = LOAD_ANSWERS
"""Answers served at a tried ceiling before its probe is sent..."""

TRIAL_REFUSALS = 2
"""Refusals naming no wait within the ceiling tried that end a trial: one may be a page
failing on its own (a limit of two with 5% of its pages dead lost its trial to one, and was
spaced up to 613 ms apart, 3x as long); a rate limiter refuses many once unspaced..."""

TRIAL_PROBE_STARTS = 4
"""...the starts per request of the ceiling it tries, spaced for the probe, within which one
must reach the load refused..."""

TRIAL_PROBES = 3
"""...and the probes that may tell nothing (left at a lower load than that, held at the wire
while the ones they started with ended; a server error; no answer); past either, the load
refused is not reached at the pace that reaches it, and the ceiling tried, served
throughout, is kept."""

TRIAL_SERVED_PROBES = 2
"""Probes served at the load refused that end a trial: a connection limit seems to serve a
request at its load now and then (an answer come and not read yet counts as under way)."""

TRIAL_GAPS = 64
"""Gaps between a trial's starts kept for its pace..."""

TRIAL_PACE_GAPS = 4
"""...and the fewest that tell a pace a trial ended by refusals within it was served at."""

TRIAL_GAP_SPREAD = 4
"""A gap counts at most this many times the median one in a trial's pace: an idle host (links
arriving 30 s apart) or a pause is no pace it was served at."""


class TrialMove(enum.Enum):
    """What a trial tells its host's pace to do."""

    HOLD_UNDER = enum.auto()
    """The probe left: no other request reaches the load refused before its answer."""
    REARM = enum.auto()
    """Let one request reach the load refused, for a probe."""
    SPACE_FOR_PROBE = enum.auto()
    """Space the host at ``LoadTrial.probe_spacing_s``, so its pages just reach that load."""
    END_HELD = enum.auto()
    """The ceiling tried held: kept, the host unspaced."""
    END_SERVED = enum.auto()
    """The probes were served at the load refused: the host gets its ceiling back, spaced
    at the pace the trial was served at."""
    END_REFUSED_WITHIN = enum.auto()
    """First asks were refused within the ceiling tried: a rate's refusals. The host gets
    its ceiling back, spaced at twice the trial's pace."""

    @property
    def ends(self) -> bool:
        return self in (TrialMove.END_HELD, TrialMove.END_SERVED, TrialMove.END_REFUSED_WITHIN)


@dataclass
class LoadTrial:
    """A host spaced by refusals that all came at ``over`` requests at once or more, tried at
    one fewer, unspaced."""

    over: int
    """The lowest load of those refusals: the host is held to one fewer."""
    ceiling_before: int
    rate_before: RatePace
    burst_ceiling_before: int
    """The ceiling, spacing and ceiling before the current burst that the trial replaced,
    put back if it fails."""
    after_ticket: int
    """Requests sent after this one are the trial's."""
    served: int = 0
    """Answers served to the trial's requests while it holds the host."""
    last_start: datetime | None = None
    gaps: list[float] = field(default_factory=list)
    """The gaps between the trial's starts while it holds the host (``TRIAL_GAPS`` at most):
    the pace it was served at (``pace``)."""
    pace_s: float = 0.0
    """That pace, once the probe's spacing began (seconds between starts)."""
    probing: bool = False
    """The host is spaced for the probe: its next request at ``over`` at once is the probe."""
    since_probe: int = 0
    probing_starts: int = 0
    """Starts since the probe's spacing began or the last probe's answer, and in all."""
    probe: int = 0
    """The ticket of the probe under way (0: none)."""
    probes: int = 0
    """Probes that told nothing (``TRIAL_PROBES``): left at a lower load than the one
    refused, answered with a server error, or not answered."""
    served_probes: int = 0
    """Probes served at the load refused (``TRIAL_SERVED_PROBES``)."""
    refused_within: int = 0
    """First asks refused naming no wait at fewer at once than ``over``
    (``TRIAL_REFUSALS``; a dead page's retries are refused as its first ask was)."""

    def started(self, ticket: int, now: datetime, load: int, retry: bool) -> TrialMove | None:
        """Request ``ticket`` of the host started at ``now``, one of ``load`` in flight (a
        ``retry``: a page asked again): timed while the trial holds the host; while it
        probes, the first ask sent at the load refused is the probe, and no other goes that
        high before its answer."""
        if not self.probing:
            last, self.last_start = self.last_start, now
            if last is not None and now >= last and len(self.gaps) < TRIAL_GAPS:
                self.gaps.append((now - last).total_seconds())  # a clock stepped back: none
            return None
        self.probing_starts += 1
        if self.probing_starts > TRIAL_PROBE_STARTS * self.over * TRIAL_PROBES:
            return TrialMove.END_HELD  # a probe hanging, or probes telling nothing
        if self.probe:
            return None
        self.since_probe += 1
        if load >= self.over and not retry:
            self.probe = ticket
            return TrialMove.HOLD_UNDER
        if self.since_probe > TRIAL_PROBE_STARTS * self.over:
            # The load refused is not reached even spaced to reach it: nothing was refused
            # within the ceiling tried, and it holds nothing back.
            return TrialMove.END_HELD
        return None

    def answered(
        self,
        ticket: int,
        status: int,
        load: int,
        retry: bool,
        ceiling: int,
        *,
        refused: bool,
        bare: bool,
    ) -> list[TrialMove]:
        """``status``, the answer to request ``ticket`` sent at ``load`` (a ``retry``: a page
        asked again; the host's ``ceiling`` now), ``refused`` (a 429 or 503), ``bare`` if it
        named no wait.
        The probe, sent at the load refused once the trial's own requests were served
        ``TRIAL_SERVED`` times, spaced so that the host's pages would just reach that load
        (the trial's pace, times ``over - 1`` over ``over``: a rate limiter that served the
        trial serves that spacing too, unless its rate lies between the two), decides:
        refused there, it was the load (the ceiling stays, unspaced); served there
        ``TRIAL_SERVED_PROBES`` times, it was not (the host gets back its ceiling, spaced at
        the trial's pace). A probe that left at a lower load (the ones it started with had
        ended) or got a server error is followed by another, up to ``TRIAL_PROBES``. First
        asks refused naming no wait within the ceiling tried end the trial too
        (``TRIAL_REFUSALS``): a rate's refusals."""
        moves: list[TrialMove] = []
        if ticket == self.probe:
            self.probe = 0
            if load >= self.over and refused:
                return [TrialMove.END_HELD]
            if load >= self.over and status < 500:
                self.served_probes += 1
                if self.served_probes >= TRIAL_SERVED_PROBES:
                    return [TrialMove.END_SERVED]
            else:
                self.probes += 1
                if self.probes >= TRIAL_PROBES:
                    # Each left behind answers that came while it was held at the wire
                    # (nginx's delayed burst answers its queue one by one at its rate): the
                    # load refused is not reached, and the ceiling tried was served.
                    return [TrialMove.END_HELD]
            moves.append(self._rearm(ceiling))
            if moves[-1].ends:
                return moves
        if bare and load < self.over and not retry:
            self.refused_within += 1
            if self.refused_within >= TRIAL_REFUSALS:
                moves.append(TrialMove.END_REFUSED_WITHIN)
        elif not self.probing and ticket > self.after_ticket and not refused and status < 500:
            self.served += 1
            if self.served >= TRIAL_SERVED and self.gaps:
                self.probing, self.pace_s = True, self.pace()
                moves += [TrialMove.SPACE_FOR_PROBE, self._rearm(ceiling)]
        return moves

    def lost(self, ticket: int, ceiling: int) -> TrialMove | None:
        """Request ``ticket`` ended with no answer (a timeout): if it was the probe, it told
        nothing, and another is sent (``TRIAL_PROBES``)."""
        if ticket != self.probe:
            return None
        self.probe, self.probes = 0, self.probes + 1
        if self.probes >= TRIAL_PROBES:
            return TrialMove.END_HELD
        return self._rearm(ceiling)

    def _rearm(self, ceiling: int) -> TrialMove:
        """One more request may reach the load refused for another probe; but a lower
        ``ceiling`` learnt meanwhile ends the trial, that ceiling kept."""
        if ceiling < self.over - 1:
            return TrialMove.END_HELD
        self.since_probe = 0
        return TrialMove.REARM

    @property
    def probe_spacing_s(self) -> float:
        """The spacing at which the host's pages just reach the load refused."""
        return max(self.pace_s * (self.over - 1) / self.over, WIRE_JITTER_S)

    def pace(self) -> float:
        """The mean gap between the trial's starts while it held the host, each counted at
        most ``TRIAL_GAP_SPREAD`` times the median (0 when none)."""
        if not self.gaps:
            return 0.0
        # The middle gap (the upper one of two): ``statistics`` costs start-up 6 ms.
        most = sorted(self.gaps)[len(self.gaps) // 2] * TRIAL_GAP_SPREAD
        return min(sum(min(gap, most) for gap in self.gaps) / len(self.gaps), SLOWEST_S)
