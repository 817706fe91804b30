"""Lanes: web links start per host as earlier ones let go, never all at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from enricher.config import Settings
from enricher.net.context import Clocks, NetContext
from enricher.net.lanes import SPARE_LANES, lanes_by_key, run_in_lanes

Item = tuple[str, int]


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
    done: list[Item] = []

    async def work(item: Item, let_go: Callable[[], None]) -> None:
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
    started: list[Item] = []

    async def work(item: Item, let_go: Callable[[], None]) -> None:
        started.append(item)
        await asyncio.sleep(0)

    asyncio.run(run_in_lanes(items, lambda i: i[0], 0, work))  # width 0: spares only

    assert started[:3] == [("a", 1), ("b", 1), ("c", 1)]


def test_links_waiting_elsewhere_do_not_hold_their_host_back() -> None:
    """Host a's first four links redirect to a paused host and wait there; having let go
    after their first request, they leave a's lanes to its plain pages, which all finish
    while the four still wait."""
    items = [("a", n) for n in range(12)]
    finished: list[int] = []

    async def go() -> list[int]:
        paused_host = asyncio.Event()

        async def work(item: Item, let_go: Callable[[], None]) -> None:
            await asyncio.sleep(0)  # the first request, on a
            let_go()
            if item[1] < 4:
                await paused_host.wait()  # the hop to the paused host
            finished.append(item[1])

        runs = asyncio.ensure_future(run_in_lanes(items, lambda i: i[0], 0, work))
        for _ in range(200):
            await asyncio.sleep(0)
        plain_done = sorted(finished)
        paused_host.set()
        await runs
        return plain_done

    assert asyncio.run(go()) == list(range(4, 12))
    assert sorted(finished) == list(range(12))


def test_a_failure_is_raised_after_the_rest_finish() -> None:
    done: list[int] = []

    async def work(item: Item, let_go: Callable[[], None]) -> None:
        await asyncio.sleep(0)
        if item[1] == 1:
            raise RuntimeError("boom")
        done.append(item[1])

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(run_in_lanes([("a", n) for n in range(5)], lambda i: i[0], 1, work))
    assert sorted(done) == [0, 2, 3, 4]


def test_cancelling_the_lanes_cancels_every_link_under_way() -> None:
    async def go() -> list[str]:
        ended: list[str] = []

        async def work(item: Item, let_go: Callable[[], None]) -> None:
            let_go()
            try:
                await asyncio.get_running_loop().create_future()
            except asyncio.CancelledError:
                ended.append("cancelled")
                raise

        runs = asyncio.ensure_future(
            run_in_lanes([("a", n) for n in range(5)], lambda i: i[0], 1, work)
        )
        for _ in range(50):
            await asyncio.sleep(0)
        runs.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runs
        return ended

    assert asyncio.run(go()) == ["cancelled"] * 5


def test_a_link_lets_go_of_its_lane_once_its_first_request_is_answered() -> None:
    """The checker's side: a page that redirects to a host still busy lets go after the
    redirect answer, before its hop is even sent."""
    from datetime import datetime, timezone

    import httpx
    import respx

    from enricher.net.checker import WebChecker

    events: list[str] = []
    router = respx.Router(assert_all_called=False)
    router.get("https://a.example.test/").respond(
        302, headers={"Location": "https://b.example.test/x"}
    )

    async def go() -> None:
        hop_may_answer = asyncio.Event()

        async def busy_host(request: httpx.Request) -> httpx.Response:
            events.append("hop sent")
            await hop_may_answer.wait()
            return httpx.Response(200)

        router.get("https://b.example.test/x").mock(side_effect=busy_host)

        async def no_sleep(_: float) -> None:
            return None

        async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as client:
            settings = Settings(per_host=1, attempts=1, retry_budget_s=1, allow_private=True)
            when = datetime(2026, 11, 23, tzinfo=timezone.utc)
            checker = WebChecker(client, NetContext(settings, Clocks(lambda: when, no_sleep)))

            def let_go() -> None:
                events.append("let go")
                hop_may_answer.set()

            await checker.check("https://a.example.test/", let_go)

    asyncio.run(go())
    assert events == ["let go", "hop sent"]
    assert [str(call.request.url) for call in router.calls] == [
        "https://a.example.test/", "https://b.example.test/x",
    ]  # fmt: skip
