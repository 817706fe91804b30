"""A spent API quota stops every lookup of the run, including those already waiting for a slot
when the answer that spent it came back (GitHub and the Hub; the DOI registries' own veto is
tested in test_doi.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

import httpx

from enricher.authorities.github.api import MAX_IN_FLIGHT as GITHUB_IN_FLIGHT
from enricher.authorities.github.api import GithubApi, RepoAnswer
from enricher.authorities.huggingface.api import MAX_IN_FLIGHT as HUB_IN_FLIGHT
from enricher.authorities.huggingface.api import HubApi
from enricher.authorities.huggingface.facts import HubTarget
from enricher.config import Settings
from enricher.models import GithubTarget, Unanswered
from enricher.net.context import Clocks, NetContext
from tests.virtual_time import VirtualTime

NOW = datetime(2026, 12, 5, tzinfo=timezone.utc)
HOUR_AWAY = str(int(NOW.timestamp()) + 3600)


def overlapping(
    response: httpx.Response, sent: list[str]
) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    """A handler that lets every other task run before answering, so requests overlap as they
    do on a network, and notes what was sent."""

    async def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        for _ in range(10):
            await asyncio.sleep(0)
        return response

    return answer


def context() -> NetContext:
    async def sleep(_: float) -> None:
        return None

    return NetContext(Settings(), Clocks(lambda: NOW, sleep))


def test_a_spent_hub_quota_stops_the_lookups_waiting_for_a_slot() -> None:
    """20 lookups, the Hub answering 429 with its window's end 250 s away: only the requests
    already in flight went out; the rest are not sent, and every one says why."""
    sent: list[str] = []
    spent = httpx.Response(
        429,
        json={"error": "rate limited"},
        headers={
            "RateLimit": '"api";r=0;t=250',
            "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
        },
    )

    async def go() -> list[object]:
        transport = httpx.MockTransport(overlapping(spent, sent))
        async with httpx.AsyncClient(base_url="https://hub.test", transport=transport) as client:
            api = HubApi(client, context())
            targets = [HubTarget("model", f"owner/model-{n}") for n in range(20)]
            return list(await asyncio.gather(*(api.fetch(t) for t in targets)))

    results = asyncio.run(go())

    assert len(sent) == HUB_IN_FLIGHT
    assert all(isinstance(r, Unanswered) and "rate limit spent" in r.reason for r in results)


def test_a_spent_github_quota_stops_the_lookups_waiting_for_a_slot() -> None:
    """The same for GitHub: 403 with no requests left until an hour from now."""
    sent: list[str] = []
    spent = httpx.Response(
        403, json={"message": "API rate limit exceeded"},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": HOUR_AWAY},
    )  # fmt: skip

    async def go() -> list[object]:
        transport = httpx.MockTransport(overlapping(spent, sent))
        async with httpx.AsyncClient(base_url="https://api.test", transport=transport) as client:
            api = GithubApi(client, context())
            targets = [GithubTarget("owner", f"repo-{n}") for n in range(20)]
            return list(await asyncio.gather(*(api.fetch(t) for t in targets)))

    results = asyncio.run(go())

    assert len(sent) == GITHUB_IN_FLIGHT
    assert all(isinstance(r, Unanswered) and "rate limit exhausted" in r.reason for r in results)


def test_the_hub_lookups_of_one_run_share_one_quota_and_one_in_flight_limit() -> None:
    """A run asks the Hub for its Hugging Face links and for its papers' code links: both
    count against one quota and one limit on requests in flight. Once one of them learns the
    quota is spent, the other sends nothing more either."""
    sent: list[str] = []
    in_flight = peak = 0
    spent = httpx.Response(
        429,
        json={"error": "rate limited"},
        headers={
            "RateLimit": '"api";r=0;t=250',
            "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
        },
    )

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        sent.append(request.url.path)
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            for _ in range(10):
                await asyncio.sleep(0)
            return spent
        finally:
            in_flight -= 1

    async def go() -> None:
        run = context()
        transport = httpx.MockTransport(answer)
        async with (
            httpx.AsyncClient(base_url="https://hub.test", transport=transport) as repos,
            httpx.AsyncClient(base_url="https://hub.test", transport=transport) as papers,
        ):
            hub, paper_links = HubApi(repos, run), HubApi(papers, run, extras=True)
            await asyncio.gather(
                *(hub.fetch(HubTarget("model", f"owner/model-{n}")) for n in range(10)),
                *(paper_links.fetch(HubTarget("paper", f"2401.{n:05d}")) for n in range(10)),
            )

    asyncio.run(go())

    assert peak <= HUB_IN_FLIGHT
    assert len(sent) == HUB_IN_FLIGHT


def test_lookups_queued_behind_a_quota_that_comes_back_soon_wait_for_it() -> None:
    """GitHub's quota is spent and comes back in 30 s (within --rate-limit-wait): the
    requests already in flight get the 403, every other lookup waits for the reset, and all
    twenty repositories are found, none asked into the spent quota."""
    time = VirtualTime(NOW)
    reset = NOW + timedelta(seconds=30)
    refused: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        await time.sleep(0.05)
        if time.now < reset:
            refused.append(request.url.path)
            return httpx.Response(
                403, json={"message": "API rate limit exceeded"},
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset.timestamp()))},
            )  # fmt: skip
        return httpx.Response(200, json={"full_name": "o/r", "html_url": "https://github.com/o/r"})

    async def go() -> list[object]:
        run = NetContext(Settings(), Clocks(lambda: time.now, time.sleep))
        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(base_url="https://api.test", transport=transport) as client:
            api = GithubApi(client, run)
            targets = [GithubTarget("o", f"r{n}") for n in range(20)]
            return list(await asyncio.gather(*(api.fetch(t) for t in targets)))

    results = asyncio.run(time.run(go()))

    assert len(refused) == GITHUB_IN_FLIGHT
    assert all(isinstance(r, RepoAnswer) and r.repo is not None for r in results)
