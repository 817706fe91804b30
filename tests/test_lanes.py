"""Lanes: web links start per host as earlier ones finish, never all at once."""

from __future__ import annotations

import asyncio
from collections import Counter

from enricher.lanes import SPARE_LANES, lanes_by_key, run_in_lanes


def test_links_are_grouped_by_host_in_input_order() -> None:
    items = ["a/1", "b/1", "a/2", "c/1", "a/3"]
    groups = lanes_by_key(items, lambda i: i.split("/")[0], width=1)
    assert [list(queue) for queue, _ in groups] == [["a/1", "a/2", "a/3"], ["b/1"], ["c/1"]]


def test_a_host_gets_its_slots_plus_spares_and_never_more_lanes_than_links() -> None:
    items = [f"a/{i}" for i in range(50)] + ["b/0"]
    groups = lanes_by_key(items, lambda i: i.split("/")[0], width=6)
    assert [lanes for _, lanes in groups] == [6 + SPARE_LANES, 1]


def test_every_link_is_worked_once_with_a_bounded_number_at_once() -> None:
    """200 links over 3 hosts, width 2: each is checked once; never more than the host's
    lanes in progress for one host, so the run never holds a task per link."""
    items = [(host, n) for n in range(200) for host in "xyz" if (n + ord(host)) % 3]
    in_progress: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    done: list[tuple[str, int]] = []

    async def work(item: tuple[str, int]) -> None:
        in_progress[item[0]] += 1
        peak[item[0]] = max(peak[item[0]], in_progress[item[0]])
        await asyncio.sleep(0)
        done.append(item)
        in_progress[item[0]] -= 1

    asyncio.run(run_in_lanes(items, lambda i: i[0], 2, work))

    assert sorted(done) == sorted(items)
    assert set(peak.values()) == {2 + SPARE_LANES}


def test_every_host_gets_its_first_link_started_before_any_gets_a_second() -> None:
    items = [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("c", 1), ("c", 2)]
    started: list[tuple[str, int]] = []

    async def work(item: tuple[str, int]) -> None:
        started.append(item)
        await asyncio.sleep(0)

    asyncio.run(run_in_lanes(items, lambda i: i[0], 0, work))  # width 0: spares only

    assert started[:3] == [("a", 1), ("b", 1), ("c", 1)]
