"""An API quota shared by every request of a run (GitHub's hourly one, the Hub's window).

When the quota is spent and comes back soon (within ``--rate-limit-wait``), every request
waits for it once, together; when it comes back later than that, nothing more is asked this
run: a client that keeps asking past its quota only prolongs the refusal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from .retries import AsyncSleep

RESET_MARGIN_S = 1.0
"""Added to a quota's return before asking again, for the clocks to agree."""


class QuotaWait:
    """Where one API's quota stands for this run, and the one shared wait for its return."""

    def __init__(
        self, now: Callable[[], datetime], sleep: AsyncSleep, longest_wait_s: float
    ) -> None:
        self._now = now
        self._sleep = sleep
        self._longest_wait_s = longest_wait_s
        self._lock = asyncio.Lock()
        self.spent_until: datetime | None = None
        """The quota is spent until then, too far off to wait: nothing more is asked."""
        self._resume_at: datetime | None = None
        """The quota comes back soon: requests wait until then."""

    @property
    def spent(self) -> bool:
        """Spent for longer than we wait: a request fails at once, without being sent."""
        return self.spent_until is not None and self.spent_until > self._now()

    def stop_until(self, until: datetime) -> None:
        """Ask nothing more until ``until`` (this run, in practice)."""
        self.spent_until = until

    def ran_out(self, until: datetime) -> bool:
        """The quota is spent until ``until``: True when that is near enough to wait for
        (every request then waits in ``wait``), False when nothing more is asked."""
        if (until - self._now()).total_seconds() > self._longest_wait_s:
            self.spent_until = until
            return False
        # One shared resume time: however many requests see the quota spent, the run waits
        # for its return once.
        resume = until + timedelta(seconds=RESET_MARGIN_S)
        self._resume_at = max(self._resume_at, resume) if self._resume_at else resume
        return True

    async def wait(self) -> None:
        """Hold this request until the quota comes back, when a short wait was decided."""
        async with self._lock:
            if self._resume_at is None:
                return
            remaining = (self._resume_at - self._now()).total_seconds()
            if remaining > 0:
                await self._sleep(remaining)
            self._resume_at = None
