"""Dead links' snapshots, asked for while the rest of the run is still looking links up.

The pipeline hands over each URL that wants a snapshot as soon as its verdict is known
(``want``); the cache answers while its snapshot is fresh, and one task (``serve``) asks the
Wayback Machine about the others, one by one, at its pace, while the other lookups run. When
they are over (``close``), it asks about whatever is left. Each URL is decided once a run,
however often it is handed over.

Early asks wait for this run's first answer from anyone: until then an outage is not ruled
out, and the Wayback Machine is asked only at the end, when the run knows whether the
network looks down (``Wayback.ask``), as it would have been anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime

from ..archive import archive_key, fresh_snapshot
from ..models import CachedFact, Snapshot, Unanswered
from .context import NetContext
from .wayback import Wayback

__all__ = ["SnapshotFeed"]

log = logging.getLogger(__name__)

ReadCache = Callable[[list[str]], Mapping[str, CachedFact]]
"""The cache's rows under some keys (``Cache.get_many``)."""


class SnapshotFeed:
    """The run's snapshots of dead links: each wanted URL's cached row, and the Wayback
    Machine's answers about those the cache does not know afresh."""

    def __init__(self, context: NetContext, read_cache: ReadCache, *, asking: bool) -> None:
        self._context = context
        self._read_cache = read_cache
        self._asking = asking
        """False under ``--offline``: the cache answers alone, however old its answer."""
        self.rows: dict[str, CachedFact] = {}
        """The cached snapshot rows of the wanted URLs, fresh or not, by URL."""
        self.answers: dict[str, Snapshot | Unanswered | None] = {}
        """This run's answers, by URL."""
        self._wanted: set[str] = set()
        self._waiting: deque[tuple[str, datetime]] = deque()
        self._wake = asyncio.Event()
        self._closed = False

    @property
    def waiting(self) -> bool:
        """Some URL is still to be asked about."""
        return bool(self._waiting)

    def want(self, asks: Mapping[str, datetime]) -> None:
        """URLs that want a snapshot, with the moment to ask about; each is decided at its
        first call, the cache first. Call it after each lookup, even with none: it also
        tells ``serve`` that someone may have answered."""
        new = [url for url in asks if url not in self._wanted]
        if new:
            self._wanted.update(new)
            rows = self._read_cache([archive_key(url) for url in new])
            settings, now = self._context.settings, self._context.clocks.now()
            for url in new:
                row = rows.get(archive_key(url))
                if row is not None:
                    self.rows[url] = row
                if self._asking and not fresh_snapshot(row, now, settings):
                    self._waiting.append((url, asks[url]))
        self._wake.set()

    def close(self) -> None:
        """The lookups are over: ``serve`` asks about what is left, then returns."""
        if self._waiting:
            log.info("looking up %d Wayback Machine snapshots of dead links", len(self._waiting))
        self._closed = True
        self._wake.set()

    async def serve(self) -> None:
        """Ask about the waiting URLs as they come, until ``close`` and all are asked."""
        async with Wayback(self._context) as wayback:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._waiting and (self._closed or self._context.watch.answers):
                    url, moment = self._waiting.popleft()
                    self.answers[url] = await wayback.ask(url, moment)
                if self._closed and not self._waiting:
                    return
