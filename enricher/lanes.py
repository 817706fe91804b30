"""Starting work per host in lanes, so a run holds a few hundred tasks rather than one per link.

Every link waits for its host's slot anyway (``checker.HostGate``); starting a task for each
of thousands of links up front only parks them there, and building those parked tasks (retry
state, deadlines, futures) is CPU spent while the first answers are waiting to be read. A lane
is one task that takes its host's links one after another; a host gets a few more lanes than
it has slots, so a link that waits on another host (a cross-host redirect) does not leave its
own host's slots idle.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

_T = TypeVar("_T")

SPARE_LANES = 2
"""Lanes per host beyond its slots: links held up elsewhere (a redirect to another host)."""


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
    work: Callable[[_T], Awaitable[None]],
) -> None:
    """Await ``work(item)`` for every item, at most a group's lane count at once per group.

    Groups are started round-robin (the first lane of every group, then the second...), so
    the first requests reach every host before any host gets its second.
    """
    groups = lanes_by_key(items, key, width)

    async def lane(queue: deque[_T]) -> None:
        while queue:
            await work(queue.popleft())

    widest = max((lanes for _, lanes in groups), default=0)
    await asyncio.gather(
        *(lane(queue) for rank in range(widest) for queue, lanes in groups if rank < lanes)
    )
