"""Which of a host's pages fail on their own (``OwnFailures``; pure): pages refused again,
naming no wait, when asked a second time while the host served well at that gap and load
(``HostPace._refused_on_its_own`` judges each), counted over the host's latest first asks.
Such pages refuse at any pace: read as the host's limit, they would slow it for nothing, so
they raise the count of refusals that moves the host's spacing instead
(``refusals_needed``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

OWN_WINDOW = 200
"""First asks over which a host's pages refusing on their own are counted: a few of them
early in a run do not change how the host is read for the rest of it."""

OWN_ODDS = 0.001
"""How rarely a host's own failing pages may move its spacing by themselves, per window."""


@dataclass
class OwnFailures:
    """One host's recent first asks and the pages among them judged to fail on their own."""

    _marks: deque[str | None] = field(default_factory=lambda: deque(maxlen=OWN_WINDOW))
    """The host's recent first asks (None) and pages refusing on their own (the page's URL,
    "" when not told)."""

    def first_ask(self) -> None:
        """A page's first ask was answered."""
        self._marks.append(None)

    def failed(self, page: str | None) -> None:
        """``page``, asked a second time, was judged to refuse on its own."""
        self._marks.append(page or "")

    def served_again(self, page: str) -> None:
        """``page``, if still counted as refusing on its own, was served when asked again:
        what refused it was the host's limit (a burst's slack had let a too-fast spacing
        look served well, and its refusals, now and then, look like pages' own). Its mark
        is taken back: left, such marks raised the refusals needed to move the spacing from
        2 to 8, and a 5/s limiter with a burst of 5 went unheard for a minute (89 refusals
        against 15, three live pages refused at every ask). A mark already out of the
        window is not there to take back (another page's would have been)."""
        for index in reversed(range(len(self._marks))):
            if self._marks[index] == page:
                self._marks[index] = None
                return

    @property
    def count(self) -> int:
        """Pages among the host's recent asks judged to refuse on their own."""
        return sum(mark is not None for mark in self._marks)

    def refusals_needed(self, least: int, window: int) -> int:
        """Bare refusals among ``window`` answers that tell of the host's limit: ``least``,
        or more where its pages refuse on their own, as many as those pages would give by
        themselves in fewer than one window in ``OWN_ODDS`` (windows slide one answer at a
        time, so a run sees hundreds of them); half the window at most."""
        own = self.count
        share = min(1.0, own / max(len(self._marks) - own, 1))
        needed = least
        while needed < window // 2 and _at_least(needed, window, share) > OWN_ODDS:
            needed += 1
        return needed


def _at_least(k: int, n: int, p: float) -> float:
    """The chance of ``k`` or more successes in ``n`` trials of chance ``p`` (binomial)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
