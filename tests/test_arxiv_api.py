"""The arXiv edge against a local server serving real-format Atom feeds."""

from __future__ import annotations

from datetime import datetime, timezone
from itertools import pairwise
from typing import Any

import arxiv
import pytest
import requests
from pytest_httpserver import HTTPServer

from enricher.authorities.arxiv.api import ArxivApi
from enricher.config import Settings
from enricher.models import Unanswered
from enricher.net.context import Clocks, NetContext, RequestCounter
from tests.fakes import FakeArxiv, fixture_text

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


class SendTimes(RequestCounter):
    """Counts requests as the run does, and notes the (fake) time each was sent."""

    def __init__(self, now: list[float]) -> None:
        super().__init__()
        self.now = now
        self.times: list[float] = []

    def add(self, service: str, n: int = 1) -> None:
        super().add(service, n)
        self.times.append(self.now[0])


def make_api(url: str, **overrides: Any) -> tuple[ArxivApi, list[float], list[float]]:
    """An ArxivApi on a fake clock: sleeping moves it, nothing waits. Returns the API, the
    sleeps it asked for, and the (fake) time of every request it sent."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    options: dict[str, Any] = {
        "arxiv_api_url": url, "arxiv_delay_s": 0.0, "timeout_s": 5.0, "attempts": 3,
        "retry_budget_s": 60.0,
    }  # fmt: skip
    options.update(overrides)
    sent = SendTimes(now)
    context = NetContext(Settings(**options), Clocks(lambda: NOW, sync_sleep=sleep), counter=sent)
    return ArxivApi(context, monotonic=lambda: now[0]), slept, sent.times


def serve(httpserver: HTTPServer, body: str, status: int = 200) -> str:
    httpserver.expect_request("/api/query").respond_with_data(
        body, status=status, content_type="application/atom+xml"
    )
    return httpserver.url_for("/api/query")


def test_real_feed_gives_full_metadata(httpserver: HTTPServer) -> None:
    """Both entries of a real two-entry feed: old and new ids, DOI, non-ASCII authors."""
    api, _, sent = make_api(serve(httpserver, fixture_text("arxiv_idlist_multi.xml")))
    papers = api.fetch_papers(["astro-ph/0601001", "2405.13786"])
    old, new = papers["astro-ph/0601001"], papers["2405.13786"]
    assert old is not None and new is not None
    assert old.latest_version == 1 and old.journal_ref and old.doi is None
    assert new.doi and new.primary_category and len(new.categories) == 2
    assert any(not a.isascii() for a in new.authors)
    assert "  " not in new.title and "\n" not in new.abstract
    assert new.abs_url == "https://arxiv.org/abs/2405.13786"
    assert new.pdf_url and new.pdf_url.startswith("https://arxiv.org/pdf/2405.13786")
    assert len(sent) == 1


def test_absent_id_is_none(httpserver: HTTPServer) -> None:
    """The current API leaves a nonexistent id out of the feed: that id maps to None."""
    api, _, _ = make_api(serve(httpserver, fixture_text("arxiv_idlist_one_missing.xml")))
    papers = api.fetch_papers(["0808.05394", "1707.08567"])
    assert papers["0808.05394"] is None
    assert papers["1707.08567"] is not None


def test_legacy_empty_entries_are_absent_papers(httpserver: HTTPServer) -> None:
    """The legacy API sent empty <entry>s for missing ids and counted them: still None."""
    body = fixture_text("arxiv_idlist_missing_ids_legacy.xml")
    api, _, _ = make_api(serve(httpserver, body))
    ids = ["2201.13455", "2201.13452", "2201.13453", "2201.13454"]
    papers = api.fetch_papers(ids)
    assert papers["2201.13455"] is None
    assert papers["2201.13452"] is not None


def test_rejected_batch_is_an_upstream_failure(httpserver: HTTPServer) -> None:
    """A 400 (the malformed-id error feed) is not retried and fails only that batch."""
    url = serve(httpserver, fixture_text("arxiv_error_malformed_id.xml"), status=400)
    api, slept, sent = make_api(url)
    failure = api.fetch_papers(["2401.10774"])["2401.10774"]
    assert isinstance(failure, Unanswered) and "HTTP 400" in failure.reason
    assert len(sent) == 1 and slept == []


def test_empty_feed_means_no_papers(httpserver: HTTPServer) -> None:
    """totalResults 0: every asked id is absent."""
    api, _, _ = make_api(serve(httpserver, fixture_text("arxiv_empty.xml")))
    assert api.fetch_papers(["0000.0000"]) == {"0000.0000": None}


def test_session_has_a_timeout(httpserver: HTTPServer) -> None:
    """The arxiv package sets no timeout; ours is passed on every request."""
    seen: list[Any] = []

    class Recorder(requests.adapters.HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            seen.append(kwargs.get("timeout"))
            return super().send(request, **kwargs)

    url = serve(httpserver, fixture_text("arxiv_empty.xml"))
    api, _, _ = make_api(url, timeout_s=7.5)
    api._client._session.mount("http://", Recorder())
    api.fetch_papers(["0000.0000"])
    assert seen and set(seen) == {7.5}


@pytest.mark.parametrize(
    "body",
    [
        "<html><body>arXiv is down for maintenance</body></html>",
        fixture_text("arxiv_idlist_multi.xml")[:1500],
    ],
    ids=["maintenance-page", "cut-off-feed"],
)
def test_a_200_that_is_not_a_whole_feed_is_a_failure(httpserver: HTTPServer, body: str) -> None:
    """A maintenance page or a truncated feed must not make every paper look nonexistent."""
    api, slept, sent = make_api(serve(httpserver, body))
    papers = api.fetch_papers(["astro-ph/0601001", "2405.13786"])
    assert all(isinstance(p, Unanswered) for p in papers.values())
    assert all("not a complete Atom feed" in p.reason for p in papers.values())  # type: ignore[union-attr]
    assert len(sent) == 3 and len(slept) == 2


def test_retry_after_is_honoured_and_pacing_kept(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 503 with Retry-After waits that long, and every request, retries and failures
    included, comes at least the API's delay after the one before: paced once, by us."""
    httpserver.expect_ordered_request("/api/query").respond_with_data(
        "busy", status=503, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/api/query").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/api/query").respond_with_data(
        fixture_text("arxiv_idlist_one_missing.xml"), content_type="application/atom+xml"
    )
    api, slept, sent = make_api(httpserver.url_for("/api/query"), arxiv_delay_s=3.0)
    package_slept: list[float] = []
    monkeypatch.setattr(arxiv.time, "sleep", package_slept.append)
    papers = api.fetch_papers(["1707.08567"])
    assert package_slept == [], "paced twice: the arxiv package slept as well as our session"
    assert papers["1707.08567"] is not None
    assert len(sent) == 3
    assert slept[0] == 7.0
    gaps = [later - earlier for earlier, later in pairwise(sent)]
    assert gaps[0] == 7.0 and all(gap >= 3.0 for gap in gaps)


def test_absent_ids_are_asked_again_before_they_are_broken(httpserver: HTTPServer) -> None:
    """An empty (but valid) feed is confirmed with a second request before "no such paper"."""
    httpserver.expect_ordered_request("/api/query").respond_with_data(
        fixture_text("arxiv_empty.xml"), content_type="application/atom+xml"
    )
    httpserver.expect_ordered_request("/api/query").respond_with_data(
        fixture_text("arxiv_idlist_one_missing.xml"), content_type="application/atom+xml"
    )
    api, _, sent = make_api(httpserver.url_for("/api/query"))
    papers = api.fetch_papers(["0808.05394", "1707.08567"])
    assert papers["1707.08567"] is not None
    assert papers["0808.05394"] is None
    assert len(sent) == 2


def test_ids_missing_from_a_partial_answer_cost_no_extra_request(httpserver: HTTPServer) -> None:
    """A feed holding some of the ids is believed for the rest: ceil(K/100) requests, no more."""
    fake = FakeArxiv(known={f"2401.{n:05d}" for n in range(10000, 10250) if n % 5})
    httpserver.expect_request("/api/query").respond_with_handler(fake.handler)
    api, _, sent = make_api(httpserver.url_for("/api/query"))
    ids = [f"2401.{n:05d}" for n in range(10000, 10250)]  # one in five does not exist

    papers = api.fetch_papers(ids)

    assert sum(p is not None for p in papers.values()) == 200
    assert sum(p is None for p in papers.values()) == 50
    assert len(sent) == len(fake.requests) == 3
    assert [len(batch) for batch in fake.requests] == [100, 100, 50]


def test_a_batch_answered_with_an_empty_feed_is_asked_once_more(httpserver: HTTPServer) -> None:
    """arXiv's known empty answer for ids that exist: asked again before "no such paper"."""
    fake = FakeArxiv(known={"2401.10774"})
    empty = [True]

    def flaky(request: Any) -> Any:
        if empty[0]:
            empty[0] = False
            fake.requests.append(["(empty)"])
            return type(fake.handler(request))(
                fixture_text("arxiv_empty.xml"), status=200, content_type="application/atom+xml"
            )
        return fake.handler(request)

    httpserver.expect_request("/api/query").respond_with_handler(flaky)
    api, _, sent = make_api(httpserver.url_for("/api/query"))

    papers = api.fetch_papers(["2401.10774", "2401.99999"])

    assert papers["2401.10774"] is not None
    assert papers["2401.99999"] is None
    assert len(sent) == 2
