"""Starting links per host in lanes, so a run does not park a task per link up front.

Every link waits for its host's slot anyway (``checker.HostGate``); starting a task for each
of thousands of links at once only parks them there, and building those parked tasks (retry
state, deadlines, futures) is CPU spent while the first answers are waiting to be read. A lane
starts its host's links one after another: the next one when the previous link lets go, which
it does once its first request is over (answered or failed), not when the whole link is done.
So a link that goes on to wait elsewhere (a redirect to another host that is paused, a retry's
backoff) never holds its host's next links back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

_T = TypeVar("_T")

SPARE_LANES = 2
"""Lanes per host beyond its slots: a link whose answer is being read still holds its lane
while the slot it freed could already serve the next one."""


def lanes_by_key(
    items: Iterable[_T], key: Callable[[_T], Hashable], width: int
) -> list[tuple[deque[_T], int]]:
    """Group ``items`` by ``key`` (input order kept within a group) and size each group's lanes:
    ``width`` plus the spare lanes, never more than the group has items. Pure."""
    groups: dict[Hashable, deque[_T]] = {}
    for item in items:
        groups.setdefault(key(item), deque()).append(item)
    return [(queue, min(len(queue), width + SPARE_LANES)) for queue in groups.values()]


async def run_in_lanes(
    items: Iterable[_T],
    key: Callable[[_T], Hashable],
    width: int,
    work: Callable[[_T, Callable[[], None]], Awaitable[None]],
) -> None:
    """Await ``work(item, let_go)`` for every item; a group's lanes start its items in turn.

    ``work`` calls ``let_go()`` when its item no longer needs its group's turn (and it is
    called for it when ``work`` ends). Groups are started round-robin (the first lane of every
    group, then the second...), so the first requests reach every host before any host gets
    its second. An exception from ``work`` is raised once every item has been started and
    the rest have finished; cancelling this cancels every item under way.
    """
    groups = lanes_by_key(items, key, width)
    loop = asyncio.get_running_loop()
    running: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    def finished(task: asyncio.Task[None]) -> None:
        running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]

    async def lane(queue: deque[_T]) -> None:
        while queue:
            item = queue.popleft()
            turn_over: asyncio.Future[None] = loop.create_future()

            def let_go(turn_over: asyncio.Future[None] = turn_over) -> None:
                if not turn_over.done():
                    turn_over.set_result(None)

            async def run(item: _T = item, let_go: Callable[[], None] = let_go) -> None:
                try:
                    await work(item, let_go)
                finally:
                    let_go()

            task = loop.create_task(run())
            running.add(task)
            task.add_done_callback(finished)
            await turn_over

    widest = max((lanes for _, lanes in groups), default=0)
    try:
        await asyncio.gather(
            *(lane(queue) for rank in range(widest) for queue, lanes in groups if rank < lanes)
        )
        while running:  # links past their first request, still on hops or retries
            await asyncio.wait(set(running))
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(set(running))
    if failures:
        raise failures[0]
