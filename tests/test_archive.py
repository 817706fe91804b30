"""Where a copy of a dead page lives (issue 15): which links want a Wayback Machine snapshot,
what is asked, what the answers mean, end to end against a local fake Wayback Machine."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from enricher.archive import (
    ARCHIVE_AFTER,
    UnusableAnswer,
    moment_of,
    snapshot_from_answer,
    wants_archive,
    wayback_path,
)
from enricher.config import Settings
from enricher.models import LinkState, Snapshot, Status, Unanswered, Verdict
from enricher.net.context import Clocks, NetContext
from enricher.net.wayback import _ask
from enricher.pipeline import run
from tests.conftest import Apis, FakeClock

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
FIRST = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
LAST_OK = datetime(2026, 1, 15, 8, 30, 5, tzinfo=timezone.utc)


def state(failing_since: datetime | None = None, last_ok: datetime | None = LAST_OK) -> LinkState:
    return LinkState(FIRST, NOW, Status.BROKEN, last_ok, failing_since, 1, True)


@pytest.mark.parametrize(
    ("status", "failing_for", "wanted"),
    [
        (Status.BROKEN, None, True),
        (Status.UNREACHABLE, ARCHIVE_AFTER + timedelta(hours=1), True),
        (Status.UNREACHABLE, ARCHIVE_AFTER - timedelta(hours=1), False),
        (Status.UNREACHABLE, None, False),
        (Status.BLOCKED, ARCHIVE_AFTER * 10, False),
        (Status.OK, None, False),
        (Status.REDIRECTED, None, False),
    ],
    ids=["broken", "down-for-8-days", "down-for-6-days", "unreachable-new", "blocked", "ok",
         "redirected"],
)  # fmt: skip
def test_which_links_want_a_copy(
    status: Status, failing_for: timedelta | None, wanted: bool
) -> None:
    since = NOW - failing_for if failing_for else None
    assert wants_archive(Verdict(status), state(since), NOW) is wanted


def test_the_copy_asked_for_is_of_the_page_as_it_last_worked() -> None:
    assert moment_of(state(), NOW) == LAST_OK
    assert moment_of(state(last_ok=None), NOW) == FIRST  # never worked: as first seen
    assert moment_of(None, NOW) == NOW
    assert wayback_path("https://example.com/a?b=1#frag", LAST_OK) == (
        "/web/20260115083005/https://example.com/a?b=1"
    )


@pytest.mark.parametrize(
    ("status", "location", "expected"),
    [
        (302, "https://web.archive.org/web/20260110000000/https://example.com/a",
         Snapshot("https://web.archive.org/web/20260110000000/https://example.com/a",
                  datetime(2026, 1, 10, tzinfo=timezone.utc))),
        (302, "/web/20251231235959id_/https://example.com/a",
         Snapshot("https://web.archive.org/web/20251231235959id_/https://example.com/a",
                  datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc))),
        (404, None, None),
    ],
    ids=["absolute-location", "relative-location-with-flag", "none"],
)  # fmt: skip
def test_the_answer_is_a_snapshot_or_none(
    status: int, location: str | None, expected: Snapshot | None
) -> None:
    asked = "https://web.archive.org/web/20260115083005/https://example.com/a"
    assert snapshot_from_answer(status, location, asked) == expected


@pytest.mark.parametrize(
    ("status", "location"), [(503, None), (302, "https://web.archive.org/"), (403, None)]
)
def test_an_answer_that_is_neither_is_not_taken_for_none(status: int, location: str | None) -> None:
    """A maintenance page or a redirect elsewhere says nothing about the snapshot."""
    with pytest.raises(UnusableAnswer):
        snapshot_from_answer(status, location, "https://web.archive.org/web/20260115083005/x")


# --- End to end -------------------------------------------------------------------------------


def run_on(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock, **changes: Any
) -> tuple[dict[str, Any], dict[str, int]]:
    digest = tmp_path / "week.txt"
    digest.write_text(
        f"[Gone] {httpserver.url_for('/gone')}\n[Fine] {httpserver.url_for('/fine')}\n", "utf-8"
    )
    changes.setdefault("archive", True)
    summary = run(settings_for(digest, allow_private=True, **changes), clocks=clock.clocks())
    record = json.loads(digest.with_name("week.enriched.json").read_text("utf-8"))
    return {link["label"]: link for link in record["links"]}, dict(summary.requests)


def test_a_broken_link_gets_its_copy_once_and_the_cache_answers_after(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A 404 gets the snapshot the fake Wayback Machine has, with its time; the working link
    is not asked about; the next run asks nothing; the report suggests the copy."""
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/fine").respond_with_data("fine")
    gone = httpserver.url_for("/gone")
    apis.wayback.snapshots[gone] = "20251101120000"
    links, requests = run_on(httpserver, tmp_path, settings_for, clock)
    assert links["Gone"]["archive"] == {
        "url": f"{apis.wayback_url}/web/20251101120000/{gone}",
        "timestamp": "2025-11-01T12:00:00Z",
    }
    assert links["Fine"]["archive"] is None
    assert apis.wayback.asked == [gone] and requests["wayback"] == 1
    links, requests = run_on(httpserver, tmp_path, settings_for, clock)
    assert links["Gone"]["archive"]["timestamp"] == "2025-11-01T12:00:00Z"
    assert apis.wayback.asked == [gone] and requests.get("wayback", 0) == 0


def test_no_copy_is_null_and_no_archive_asks_nothing(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/fine").respond_with_data("fine")
    links, _ = run_on(httpserver, tmp_path, settings_for, clock)
    assert links["Gone"]["archive"] is None and len(apis.wayback.asked) == 1
    links, requests = run_on(httpserver, tmp_path, settings_for, clock, archive=False,
                             refresh=True)  # fmt: skip
    assert len(apis.wayback.asked) == 1 and requests.get("wayback", 0) == 0


def test_a_wayback_machine_that_refuses_loses_nothing(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A copy found once stays in the record when a later lookup is refused (429 asking for
    an hour): nothing known is lost, nothing is waited for."""
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/fine").respond_with_data("fine")
    gone = httpserver.url_for("/gone")
    apis.wayback.snapshots[gone] = "20251101120000"
    run_on(httpserver, tmp_path, settings_for, clock)
    clock.advance(days=30)  # the cached answer is stale: asked again
    httpserver.clear_all_handlers()
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/fine").respond_with_data("fine")
    httpserver.expect_request(re.compile("^/web/.+")).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    links, requests = run_on(httpserver, tmp_path, settings_for, clock, refresh=True)
    assert links["Gone"]["archive"]["timestamp"] == "2025-11-01T12:00:00Z"
    assert requests["wayback"] == 1 and 3600 not in clock.slept


def _serve(httpserver: HTTPServer, gone_status: int, wayback_status: int | None = None) -> None:
    """The two pages; the fake Wayback Machine (on the same server) answers until a status
    replaces it."""
    if wayback_status is not None:
        httpserver.clear_all_handlers()
    httpserver.expect_request("/gone").respond_with_data("", status=gone_status)
    httpserver.expect_request("/fine").respond_with_data("fine")
    if wayback_status is not None:
        httpserver.expect_request(re.compile("^/web/.+")).respond_with_data(
            "down", status=wayback_status
        )


@pytest.mark.parametrize(
    "then",
    [
        pytest.param({"refresh": True}, id="an-outage"),
        pytest.param({"offline": True}, id="offline"),
    ],
)
def test_a_copy_found_before_stays_while_the_link_does_not_work(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock,
    then: dict[str, Any],
) -> None:  # fmt: skip
    """A dead link's copy is not erased by a run that learns nothing of it: the site down
    (the link unreachable for less than a week, so no copy is wanted) or ``--offline``. The
    link working again drops it."""
    _serve(httpserver, 404)
    gone = httpserver.url_for("/gone")
    apis.wayback.snapshots[gone] = "20251101120000"
    run_on(httpserver, tmp_path, settings_for, clock)
    clock.advance(days=1)
    httpserver.clear_all_handlers()
    _serve(httpserver, 503)  # down: every page answers 503 until the end of the run
    links, _ = run_on(httpserver, tmp_path, settings_for, clock, retry_budget_s=0, **then)
    assert links["Gone"]["archive"]["timestamp"] == "2025-11-01T12:00:00Z"
    httpserver.clear_all_handlers()
    _serve(httpserver, 200)
    links, _ = run_on(httpserver, tmp_path, settings_for, clock, refresh=True)
    assert (links["Gone"]["status"], links["Gone"]["archive"]) == ("ok", None)


def test_a_lost_cache_and_a_silent_wayback_machine_keep_the_copy_of_the_record(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """With the cache gone, the record beside the digest still has the copy: a Wayback
    Machine answering 503 this time loses nothing."""
    _serve(httpserver, 404)
    gone = httpserver.url_for("/gone")
    apis.wayback.snapshots[gone] = "20251101120000"
    run_on(httpserver, tmp_path, settings_for, clock)
    for path in (tmp_path / "cache").iterdir():
        path.unlink()
    _serve(httpserver, 404, wayback_status=503)
    links, requests = run_on(httpserver, tmp_path, settings_for, clock)
    assert links["Gone"]["status"] == "broken" and requests["wayback"] >= 1
    assert links["Gone"]["archive"]["timestamp"] == "2025-11-01T12:00:00Z"


def test_credentials_in_a_link_are_not_sent_to_the_wayback_machine() -> None:
    assert wayback_path("https://user:secret@example.com/a", LAST_OK) == (
        "/web/20260115083005/https://example.com/a"
    )


def test_an_unreachable_wayback_machine_is_asked_once_not_once_per_dead_link(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Every further ask would wait out a timeout: the first network failure leaves the rest
    for the next run (their records keep what they had)."""
    for path in ("/gone", "/gone2", "/gone3"):
        httpserver.expect_request(path).respond_with_data("", status=404)
    digest = tmp_path / "week.txt"
    digest.write_text("".join(f"[G{n}] {httpserver.url_for(p)}\n"
                              for n, p in enumerate(("/gone", "/gone2", "/gone3"))), "utf-8")  # fmt: skip
    settings = settings_for(digest, allow_private=True, archive=True,
                            wayback_url="http://127.0.0.1:9")  # fmt: skip
    summary = run(settings, clocks=clock.clocks())
    assert summary.requests["wayback"] == 1


def test_a_url_the_http_client_refuses_is_not_asked_and_ends_nothing() -> None:
    """A dead link whose URL httpx will not send (a control character) gets no snapshot, and
    no exception: the Wayback lookups share the run's event loop with every other lookup."""
    sent: list[httpx.Request] = []

    async def go() -> object:
        transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(404))
        async with httpx.AsyncClient(base_url="https://web.test", transport=transport) as client:
            context = NetContext(Settings(), Clocks())
            return await _ask(
                client,
                "http://dead.test/\x00page",
                datetime(2026, 1, 1, tzinfo=timezone.utc),
                context,
            )

    answer = asyncio.run(go())

    assert isinstance(answer, Unanswered) and "unusable" in answer.reason
    assert sent == []
