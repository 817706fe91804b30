"""A clock for tests that moves only when every task waits (see ``VirtualTime``)."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TypeVar

_T = TypeVar("_T")


class VirtualTime:
    """A clock that moves only when every task waits: a sleep ends when the clock reaches its
    end, and the clock jumps to the earliest end once nothing else can run. (A clock moved by
    each sleep as it is taken would add up sleeps that overlap, and make requests in flight
    look as if they ran for seconds.)"""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = 0

    async def sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + timedelta(seconds=seconds), self._seq, done))
        await done

    async def run(self, work: Awaitable[_T]) -> _T:
        task = asyncio.ensure_future(work)
        while not task.done():
            for _ in range(50):  # everything that can run, runs
                await asyncio.sleep(0)
            while self._sleepers and not task.done():
                when, _, done = heapq.heappop(self._sleepers)
                if not done.done():
                    self.now = max(self.now, when)
                    done.set_result(None)
                    break
        return task.result()
