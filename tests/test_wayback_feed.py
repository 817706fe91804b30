"""Dead links' snapshots are asked for while the other lookups still run (``net.wayback_feed``):
a slow page no longer holds the Wayback Machine's asks back, and every rule of asking holds
as before: once per URL, the cache first, nothing offline, nothing while the network looks
down, nothing more after a stop."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from enricher.config import DAY_S, Settings
from enricher.models import RunSummary, Snapshot
from enricher.ops.stopping import StopRequest
from enricher.pipeline import run
from tests.conftest import Apis, FakeClock

GUARD_S = 10.0
"""How long the slow page waits for the Wayback Machine's first request before answering
anyway (a deadlock guard: the code under test releases it at once when it works)."""

GONE = "https://gone.example/page"
SLOW = "https://slow.example/page"


@dataclass
class Web:
    """Web pages by URL: their status (404 for any other URL), or no connection at all
    (``down``). ``SLOW`` answers 200 only once ``release`` is set, or after ``GUARD_S``."""

    statuses: dict[str, int]
    release: threading.Event | None = None
    down: frozenset[str] = frozenset()
    slow_page: list[str] = field(default_factory=list)
    """How the slow page ended its wait: ``released``, or ``gave up`` after ``GUARD_S``."""

    async def answer(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if url == SLOW and self.release is not None:
            # Off the event loop: the run's other tasks go on while this page is held.
            released = await asyncio.to_thread(self.release.wait, GUARD_S)
            self.slow_page.append("released" if released else "gave up")
            return httpx.Response(200, headers={"Content-Type": "text/html"})
        return httpx.Response(self.statuses.get(url, 404), headers={"Content-Type": "text/html"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.answer)


def digest_of(tmp_path: Path, *urls: str, name: str = "week.txt") -> Path:
    digest = tmp_path / name
    digest.write_text("".join(f"[Link {n}] {url}\n" for n, url in enumerate(urls)), "utf-8")
    return digest


def archives(summary: RunSummary) -> dict[str, Snapshot | None]:
    """Each link's ``archive`` object as the records show it, by URL."""
    return {link.entry.url or "": link.archive for d in summary.digests for link in d.links}


def check(settings: Settings, clock: FakeClock, web: Web, **kwargs: Any) -> RunSummary:
    return run(settings, clocks=clock.clocks(), web_transport=web.transport(), **kwargs)


def test_a_dead_link_is_asked_about_while_a_slow_page_is_still_loading(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """The slow page answers only once the Wayback Machine was asked: the dead link's
    snapshot no longer waits for every other lookup. One request, the same ``archive``."""
    apis.wayback.snapshots[GONE] = "20251101120000"
    web = Web({GONE: 404}, release=apis.wayback.first_ask)
    digest = digest_of(tmp_path, SLOW, GONE)
    summary = check(settings_for(digest, archive=True), clock, web)
    assert web.slow_page == ["released"]
    assert apis.wayback.asked == [GONE] and summary.requests["wayback"] == 1
    record = json.loads(digest.with_name("week.enriched.json").read_text("utf-8"))
    assert [link["archive"] for link in record["links"]] == [
        None,
        {"url": f"{apis.wayback_url}/web/20251101120000/{GONE}",
         "timestamp": "2025-11-01T12:00:00Z"},
    ]  # fmt: skip


def test_each_dead_link_is_asked_once_about_the_page_as_it_last_worked(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Broken early or late, cited by two digests, or unreachable for over a week: each URL
    is asked about once, at the moment its history gives (last worked, else first seen)."""
    was_fine, down = "https://was-fine.example/page", "https://down.example/page"
    first = digest_of(tmp_path, was_fine, down)
    settings = settings_for(first, archive=True)
    check(settings, clock, Web({was_fine: 200}, down=frozenset({down})))
    assert apis.wayback.asked == []  # unreachable for less than a week: not yet

    clock.advance(days=8)
    digest_of(tmp_path, was_fine, down, SLOW, GONE)
    second = digest_of(tmp_path, GONE, name="other.txt")
    web = Web({}, release=apis.wayback.first_ask, down=frozenset({down}))
    summary = check(settings_for(first, second, archive=True), clock, web)
    assert web.slow_page == ["released"]
    assert sorted(apis.wayback.asked) == sorted([was_fine, down, GONE])
    assert summary.requests["wayback"] == 3
    assert apis.wayback.moments == {
        was_fine: "20261122090000",  # when it last worked: the first run
        down: "20261122090000",  # never worked: when first seen
        GONE: "20261130090000",  # first seen (and broken) in this run
    }


def test_a_fresh_snapshot_is_not_asked_for_again_when_the_link_is_checked_again(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """The page is looked up again (its fact is a day old), but the snapshot found two days
    ago is trusted for a week (``ttl-archive``): the record keeps it, nothing is asked."""
    apis.wayback.snapshots[GONE] = "20251101120000"
    settings = settings_for(digest_of(tmp_path, GONE), archive=True)
    web = Web({GONE: 404})
    found = archives(check(settings, clock, web))[GONE]
    clock.advance(days=2)
    summary = check(settings, clock, web)
    assert summary.requests["web"] >= 1 and summary.requests.get("wayback", 0) == 0
    assert apis.wayback.asked == [GONE] and archives(summary)[GONE] == found is not None


def test_offline_asks_the_wayback_machine_nothing(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """--offline: a stale snapshot is still what the record shows; nothing is asked."""
    apis.wayback.snapshots[GONE] = "20251101120000"
    digest = digest_of(tmp_path, GONE)
    found = archives(check(settings_for(digest, archive=True), clock, Web({GONE: 404})))[GONE]
    clock.advance(days=30)
    summary = check(settings_for(digest, archive=True, offline=True), clock, Web({GONE: 404}))
    assert apis.wayback.asked == [GONE] and summary.requests.get("wayback", 0) == 0
    assert archives(summary)[GONE] == found is not None


def test_links_known_dead_from_the_cache_are_not_asked_about_during_an_outage(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """The cache still knows the link is broken, its snapshot is stale, and no host answers
    this run: the network looks down, so the Wayback Machine is not asked (it would be
    asked first thing, before any host had failed, if asks did not wait for an answer)."""
    ttl = {**Settings().ttl_s, "web": 30 * DAY_S}
    apis.wayback.snapshots[GONE] = "20251101120000"
    digest = digest_of(tmp_path, GONE)
    check(settings_for(digest, archive=True, ttl_s=ttl), clock, Web({GONE: 404}))
    clock.advance(days=8)
    down = [f"https://down{n}.example/page" for n in range(3)]
    digest_of(tmp_path, GONE, *down)
    outage = Web({}, down=frozenset(down))
    summary = check(settings_for(digest, archive=True, ttl_s=ttl), clock, outage)
    assert summary.network_unavailable
    assert apis.wayback.asked == [GONE] and summary.requests.get("wayback", 0) == 0
    assert archives(summary)[GONE] is not None  # the stale snapshot is kept


def test_a_stop_ends_the_wayback_lookups_too(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A stop arriving with the first Wayback request: the other dead link is not asked
    about, and the run ends stopped, its record not written."""
    stop = StopRequest()
    apis.wayback.on_ask = lambda: stop.request("test")
    other = "https://gone-too.example/page"
    digest = digest_of(tmp_path, SLOW, GONE, other)
    web = Web({GONE: 404, other: 404}, release=apis.wayback.first_ask)
    summary = check(settings_for(digest, archive=True), clock, web, stop=stop)
    assert summary.interrupted and not any(d.written for d in summary.digests)
    assert len(apis.wayback.asked) == 1 and summary.requests["wayback"] == 1
    assert not digest.with_name("week.enriched.json").exists()


@pytest.mark.parametrize(
    ("answer_takes_s", "paced_s"), [(0.0, [1.0]), (0.25, [0.75]), (2.0, [])],
    ids=["instant-answer", "quarter-second-answer", "slow-answer"],
)  # fmt: skip
def test_the_pace_counts_from_the_last_request_sent(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock,
    answer_takes_s: float, paced_s: list[float],
) -> None:  # fmt: skip
    """One request a second, counted from when the last one left: an ask that comes later
    than that (a verdict that took its time) does not wait a second more."""
    apis.wayback.on_ask = lambda: clock.advance(seconds=answer_takes_s)
    digest = digest_of(tmp_path, GONE, "https://gone-too.example/page")
    summary = check(settings_for(digest, archive=True), clock, Web({}))
    assert summary.requests["wayback"] == 2 and clock.slept == paced_s
