"""The DOI authority: Crossref then DataCite, their pace and refusals, the ``doi`` object, the
cache codec, and a run over DOI links against local fakes of both registries."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from enricher.authorities import judge
from enricher.authorities.base import Lookup
from enricher.authorities.doi import DOI, DoiTarget, Work
from enricher.authorities.doi.api import (
    CROSSREF_POLITE,
    CROSSREF_PUBLIC,
    DoiApi,
)
from enricher.authorities.doi.pace import Limits, advertised_limits, parse_interval
from enricher.authorities.doi.works import work_from_crossref, work_from_datacite
from enricher.authorities.json_fields import UnreadableAnswer
from enricher.config import Settings
from enricher.models import LookupResult, Observed, Status, Unanswered
from enricher.net.context import NetContext, RequestCounter
from enricher.net.watch import NetworkWatch
from enricher.pipeline import run
from tests.conftest import START, Apis, FakeClock, WebRecorder
from tests.fakes_doi import (
    ARXIV_DOI,
    CROSSREF_FIXTURE_DOI,
    ZENODO_DOI,
    FakeCrossref,
    FakeDatacite,
    MovingClock,
    crossref_headers,
    crossref_work,
    fixture_bytes,
    fixture_json,
)

SICI = "10.1002/(SICI)1097-4636(199604)30:4<521::AID-JBM9>3.0.CO;2-0"
MISSING = "10.1126/science.notarealdoi"
FOUND_REASON = "checked by its DOI with Crossref; the publisher's page is not fetched"


# --- fakes and helpers -----------------------------------------------------------------------


@dataclass
class Registries:
    """Fake Crossref and DataCite APIs on one local server."""

    server: HTTPServer
    crossref: FakeCrossref
    datacite: FakeDatacite

    def settings(self, **changes: Any) -> Settings:
        base = Settings(
            crossref_api_url=self.server.url_for("/crossref"),
            datacite_api_url=self.server.url_for("/datacite"),
        )
        return replace(base, **changes)


@pytest.fixture
def registries(httpserver: HTTPServer) -> Iterator[Registries]:
    crossref, datacite = FakeCrossref(), FakeDatacite()
    crossref.add(CROSSREF_FIXTURE_DOI)
    datacite.add(ARXIV_DOI, "datacite_doi_arxiv.json")
    datacite.add(ZENODO_DOI, "datacite_doi_zenodo.json")
    httpserver.expect_request(re.compile(r"^/crossref/works/.+")).respond_with_handler(
        crossref.handler
    )
    httpserver.expect_request(re.compile(r"^/datacite/dois/.+")).respond_with_handler(
        datacite.handler
    )
    yield Registries(httpserver, crossref, datacite)


@dataclass
class Looked:
    """What one lookup of DOIs gave: results by DOI as written, requests per service."""

    results: dict[str, LookupResult]
    requests: dict[str, int]
    clock: MovingClock


def look_up(settings: Settings, *dois: str) -> Looked:
    """Run the authority's lookup on ``dois``, as the pipeline does, with a moving fake clock."""
    clock = MovingClock()
    context = NetContext(settings, clock.clocks(), NetworkWatch(), RequestCounter())
    results: dict[str, LookupResult] = {}

    def found(target: Any, result: LookupResult) -> None:
        results[target.doi] = result

    lookup = Lookup(context, {}, found)
    asyncio.run(DOI.look_up([DoiTarget(doi) for doi in dois], lookup))
    return Looked(results, context.counter.counts, clock)


def observed_work(result: LookupResult) -> Work:
    assert isinstance(result, Observed), result
    work = result.fact
    assert isinstance(work, Work)
    return work


def metadata_of(doi: str, result: LookupResult) -> dict[str, Any] | None:
    fact = result.fact if isinstance(result, Observed) else None
    key, value = DOI.metadata(DoiTarget(doi), fact)
    assert key == "doi"
    return value


def closed_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- found, missing ----------------------------------------------------------------------------


def test_a_doi_crossref_knows_is_ok_with_its_work(registries: Registries) -> None:
    """Crossref's work is the record's ``doi`` object; DataCite is not asked."""
    looked = look_up(registries.settings(), CROSSREF_FIXTURE_DOI)
    result = looked.results[CROSSREF_FIXTURE_DOI]
    verdict = judge(DoiTarget(CROSSREF_FIXTURE_DOI), result)
    assert verdict.status is Status.OK
    assert verdict.reason == FOUND_REASON
    assert verdict.final_url == f"https://doi.org/{CROSSREF_FIXTURE_DOI}"
    assert metadata_of(CROSSREF_FIXTURE_DOI, result) == {
        "doi": "10.1371/journal.pone.0033693",
        "title": "Methylphenidate Exposure Induces Dopamine Neuron Loss and Activation of "
        "Microglia in the Basal Ganglia of Mice",
        "authors": ["Shankar Sadasivan", "Brooks B. Pond", "Amar K. Pani", "Chunxu Qu",
                    "Yun Jiao", "Richard J. Smeyne"],
        "container": "PLoS ONE",
        "publisher": "Public Library of Science (PLoS)",
        "published": "2012-03-21",
        "type": "journal-article",
        "agency": "crossref",
    }  # fmt: skip
    assert looked.requests == {"crossref": 1, "datacite": 0}


def test_the_doi_object_keeps_its_field_order_and_nulls() -> None:
    """Records diff cleanly: fixed keys in a fixed order, null for what nobody knows."""
    work = Work("10.1234/x", "crossref", None, (), None, None, None, None)
    value = DOI.metadata(DoiTarget("10.1234/x"), work)[1]
    assert value is not None
    assert list(value) == [
        "doi", "title", "authors", "container", "publisher", "published", "type", "agency",
    ]  # fmt: skip
    assert value == {"doi": "10.1234/x", "title": None, "authors": [], "container": None,
                     "publisher": None, "published": None, "type": None,
                     "agency": "crossref"}  # fmt: skip
    assert DOI.metadata(DoiTarget("10.1234/x"), None) == ("doi", None)


@pytest.mark.parametrize(
    ("doi", "expected"),
    [
        (ARXIV_DOI, {
            "doi": "10.48550/arxiv.2401.10774",
            "title": "Medusa: Simple LLM Inference Acceleration Framework with Multiple "
            "Decoding Heads",
            "authors": ["Tianle Cai", "Yuhong Li", "Zhengyang Geng", "Hongwu Peng",
                        "Jason D. Lee", "Deming Chen", "Tri Dao"],
            "container": None, "publisher": "arXiv", "published": "2024", "type": "Preprint",
            "agency": "datacite",
        }),
        (ZENODO_DOI, {
            "doi": "10.5281/zenodo.7654321", "title": "example-toolkit: v1.2.0",
            "authors": ["Jane Doe", "Example Consortium", "Richard Roe"],
            "container": None, "publisher": "Zenodo", "published": "2023-05-02",
            "type": "Software", "agency": "datacite",
        }),
    ],
    ids=["arxiv-10.48550", "zenodo-10.5281"],
)  # fmt: skip
def test_dois_only_datacite_knows_are_ok(
    registries: Registries, doi: str, expected: dict[str, Any]
) -> None:
    """Crossref's 404 is not the end: DataCite holds Zenodo's and arXiv's own DOIs."""
    looked = look_up(registries.settings(), doi)
    result = looked.results[doi]
    verdict = judge(DoiTarget(doi), result)
    assert verdict.status is Status.OK
    assert verdict.reason == FOUND_REASON.replace("Crossref", "DataCite")
    assert metadata_of(doi, result) == expected
    assert looked.requests == {"crossref": 1, "datacite": 1}


def test_a_doi_neither_registry_knows_is_broken(registries: Registries) -> None:
    """Both agencies' 404s make a broken link, whatever the publisher's page would say."""
    looked = look_up(registries.settings(), MISSING)
    result = looked.results[MISSING]
    assert isinstance(result, Observed) and result.fact is None
    verdict = judge(DoiTarget(MISSING), result)
    assert verdict.status is Status.BROKEN
    assert verdict.reason == (
        "DOI 10.1126/science.notarealdoi is registered with neither Crossref nor DataCite"
    )
    assert verdict.http_status == 404
    assert metadata_of(MISSING, result) is None
    assert looked.requests == {"crossref": 1, "datacite": 1}


# --- what the registries are sent ---------------------------------------------------------------


def test_mailto_is_sent_to_crossref_only_when_set(registries: Registries) -> None:
    """With ``--mailto``, Crossref gets it as ``mailto=`` and in the User-Agent (its polite
    pool); without, neither; DataCite never gets it."""
    look_up(registries.settings(mailto="ed@example.org"), MISSING)
    polite, datacite = registries.crossref.asked[-1], registries.datacite.asked[-1]
    assert polite.query == {"mailto": "ed@example.org"}
    assert polite.user_agent.endswith("; mailto:ed@example.org)")
    assert "ed@example.org" not in datacite.raw_path + datacite.user_agent

    look_up(registries.settings(), MISSING)
    public = registries.crossref.asked[-1]
    assert public.query == {}
    assert "mailto" not in public.raw_path + public.user_agent


@pytest.mark.parametrize(
    ("doi", "raw_path"),
    [
        (SICI, "/crossref/works/10.1002/%28SICI%291097-4636%28199604%2930%3A4%3C521%3A%3AAID-"
               "JBM9%3E3.0.CO%3B2-0"),
        ("10.1234/a#b?c", "/crossref/works/10.1234/a%23b%3Fc"),
        ("10.1234/50%off", "/crossref/works/10.1234/50%25off"),
    ],
    ids=["sici-parens-semicolon-angles", "hash-and-question-mark", "percent"],
)  # fmt: skip
def test_special_characters_reach_the_registry_intact(
    registries: Registries, doi: str, raw_path: str
) -> None:
    """A DOI with ``(``, ``;``, ``<``, ``#``, ``?`` or ``%`` is percent-encoded in the request
    path, so the registry reads the whole DOI (and finds it)."""
    registries.crossref.add(doi)
    looked = look_up(registries.settings(), doi)
    assert observed_work(looked.results[doi]).doi == doi
    asked = registries.crossref.asked[-1]
    assert asked.raw_path == raw_path
    assert asked.path == f"/crossref/works/{doi}"


# --- refusals, failures ---------------------------------------------------------------------


def test_rate_limited_crossref_is_waited_for_then_answers(registries: Registries) -> None:
    """A 429 with Retry-After is honoured (the wait is taken, on the injected clock), then
    the DOI is asked again."""
    registries.crossref.script = [
        Response("Too Many Requests", status=429, headers={"Retry-After": "3"})
    ]
    looked = look_up(registries.settings(), CROSSREF_FIXTURE_DOI)
    assert observed_work(looked.results[CROSSREF_FIXTURE_DOI]).agency == "crossref"
    assert 3.0 in looked.clock.slept
    assert looked.requests == {"crossref": 2, "datacite": 0}


def test_a_long_rate_limit_stops_asking_crossref(registries: Registries) -> None:
    """Asked to wait an hour, the run does not wait and does not ask Crossref again; DOIs it
    could not ask are unreachable (DataCite not knowing them proves nothing), never broken."""
    registries.crossref.script = [
        Response("Too Many Requests", status=429, headers={"Retry-After": "3600"})
    ]
    dois = (CROSSREF_FIXTURE_DOI, "10.1038/nature14539", "10.1145/3600006.3613165")
    looked = look_up(registries.settings(), *dois)
    assert len(registries.crossref.asked) == 1
    reasons = []
    for doi in dois:
        result = looked.results[doi]
        assert isinstance(result, Unanswered), result
        reasons.append(result.reason)
        assert judge(DoiTarget(doi), result).status is Status.UNREACHABLE
    assert (
        reasons
        == ["Crossref API rate limit: asked to wait 3600 s"]
        + ["Crossref API asked us to wait until 10:00:00 UTC; not asked this run"] * 2
    )
    assert max(looked.clock.slept, default=0.0) < 60


def test_a_rate_limited_doi_found_in_datacite_is_still_found(registries: Registries) -> None:
    """When Crossref cannot answer, DataCite's answer still counts."""
    registries.crossref.script = [
        Response("Too Many Requests", status=429, headers={"Retry-After": "3600"})
    ]
    looked = look_up(registries.settings(), ARXIV_DOI)
    assert observed_work(looked.results[ARXIV_DOI]).agency == "datacite"


def test_server_errors_are_retried_then_unreachable(registries: Registries) -> None:
    """503s are retried (``--attempts``), then reported: the DOI may well exist."""
    registries.crossref.script = [Response("busy", status=503)] * 3
    looked = look_up(registries.settings(attempts=3), CROSSREF_FIXTURE_DOI)
    result = looked.results[CROSSREF_FIXTURE_DOI]
    assert isinstance(result, Unanswered) and "Crossref API answered HTTP 503" in result.reason
    assert not result.network_level
    assert len(registries.crossref.asked) == 3
    assert judge(DoiTarget(CROSSREF_FIXTURE_DOI), result).status is Status.UNREACHABLE


def test_an_outage_is_unreachable_never_broken() -> None:
    """Nothing listening at either registry: unreachable, marked as a network-level failure."""
    settings = Settings(
        crossref_api_url=closed_port_url(), datacite_api_url=closed_port_url(), attempts=2
    )
    looked = look_up(settings, CROSSREF_FIXTURE_DOI)
    result = looked.results[CROSSREF_FIXTURE_DOI]
    assert isinstance(result, Unanswered) and result.network_level
    assert "Crossref API cannot connect" in result.reason
    assert "DataCite API cannot connect" in result.reason
    verdict = judge(DoiTarget(CROSSREF_FIXTURE_DOI), result)
    assert verdict.status is Status.UNREACHABLE and verdict.network_level_failure
    assert looked.requests == {"crossref": 2, "datacite": 2}


def _truncated() -> bytes:
    return fixture_bytes("crossref_work.json")[:700]


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        (b"<!DOCTYPE html><html><title>Just a moment...</title></html>", "text/html",
         "an HTML page, not Crossref JSON"),
        (_truncated(), "application/json", "something that is not JSON, not Crossref JSON"),
        (b"", "application/json", "an empty answer"),
        (json.dumps({"status": "ok", "message-type": "work-list", "message": {}}).encode(),
         "application/json", "message-type 'work-list', not a work"),
        (json.dumps(crossref_work(CROSSREF_FIXTURE_DOI, title="A title")).encode(),
         "application/json", "title is 'A title', not a list"),
        (json.dumps({"status": "ok", "message-type": "work", "message": {"DOI": 7}}).encode(),
         "application/json", "DOI is 7, not a DOI"),
        (b"[[[[" * 100_000, "application/json", "JSON nested too deeply to be Crossref JSON"),
    ],
    ids=["html-wall", "truncated-json", "empty", "not-a-work", "title-not-a-list",
         "doi-not-a-string", "deeply-nested"],
)  # fmt: skip
def test_malformed_answers_are_unreachable_never_broken(
    registries: Registries, body: bytes, content_type: str, said: str
) -> None:
    """An answer that is not a work says nothing about the DOI: unreachable, with what the
    answer was instead, asked once (the same answer would come back)."""
    registries.crossref.script = [Response(body, status=200, content_type=content_type)]
    looked = look_up(registries.settings(), CROSSREF_FIXTURE_DOI)
    result = looked.results[CROSSREF_FIXTURE_DOI]
    assert isinstance(result, Unanswered), result
    assert "Crossref API sent an unreadable answer" in result.reason
    assert said in result.reason
    assert judge(DoiTarget(CROSSREF_FIXTURE_DOI), result).status is Status.UNREACHABLE
    assert len(registries.crossref.asked) == 1


def test_a_malformed_datacite_answer_is_unreachable(registries: Registries) -> None:
    """After Crossref's 404, an unreadable DataCite answer leaves the DOI undecided."""
    registries.datacite.script = [
        Response(json.dumps({"data": []}), status=200, content_type="application/vnd.api+json")
    ]
    looked = look_up(registries.settings(), MISSING)
    result = looked.results[MISSING]
    assert isinstance(result, Unanswered)
    assert "DataCite API sent an unreadable answer: data is []" in result.reason


def test_answers_over_the_size_cap_are_not_read(registries: Registries) -> None:
    """``max_response_bytes`` bounds what a registry may make us hold."""
    looked = look_up(registries.settings(max_response_bytes=1000), CROSSREF_FIXTURE_DOI)
    result = looked.results[CROSSREF_FIXTURE_DOI]
    assert isinstance(result, Unanswered) and "larger than" in result.reason


def test_redirects_to_another_host_are_not_followed(registries: Registries) -> None:
    """Only the configured registry answers for DOIs."""
    registries.crossref.script = [
        Response("", status=301, headers={"Location": "http://elsewhere.invalid/works/x"})
    ]
    looked = look_up(registries.settings(), CROSSREF_FIXTURE_DOI)
    result = looked.results[CROSSREF_FIXTURE_DOI]
    assert isinstance(result, Unanswered)
    assert "redirected to another host (elsewhere.invalid); not followed" in result.reason


# --- pace ------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """Start times (on the fake clock) and the most requests ever in flight at once."""

    starts: list[float]
    most_in_flight: int


def paced_traffic(mailto: str | None, count: int, headers: dict[str, str] | None = None) -> Traffic:
    """``count`` DOIs through ``DoiApi`` against a local handler that holds each request a
    little (so concurrency shows) and answers with ``headers``."""
    clock = MovingClock()
    starts: list[float] = []
    in_flight = [0, 0]

    async def crossref(request: httpx.Request) -> httpx.Response:
        starts.append((clock.now - START).total_seconds())
        in_flight[0] += 1
        in_flight[1] = max(in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight[0] -= 1
        doi = request.url.path.removeprefix("/works/")
        return httpx.Response(200, json=crossref_work(doi), headers=headers or {})

    async def main() -> None:
        settings = Settings(mailto=mailto)
        context = NetContext(settings, clock.clocks(), NetworkWatch(), RequestCounter())
        async with (
            httpx.AsyncClient(base_url="http://crossref.test",
                              transport=httpx.MockTransport(crossref)) as c,
            httpx.AsyncClient(base_url="http://datacite.test",
                              transport=httpx.MockTransport(lambda r: httpx.Response(404))) as d,
        ):  # fmt: skip
            api = DoiApi(c, d, context)
            results = await asyncio.gather(*(api.fetch(f"10.1234/{n}") for n in range(count)))
        assert all(isinstance(r, Work) for r in results)

    asyncio.run(main())
    return Traffic(starts, in_flight[1])


def _gaps(starts: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in itertools.pairwise(starts)]


def test_the_public_pool_is_asked_five_times_a_second_one_at_a_time() -> None:
    """Without ``--mailto``: requests start 0.2 s apart, never two in flight."""
    traffic = paced_traffic(None, 6)
    assert Limits(5.0, 1) == CROSSREF_PUBLIC
    assert traffic.most_in_flight == 1
    assert min(_gaps(traffic.starts)) >= 0.2


def test_the_polite_pool_is_asked_ten_times_a_second_three_at_a_time() -> None:
    """With ``--mailto``: 0.1 s apart, up to three in flight."""
    traffic = paced_traffic("ed@example.org", 9)
    assert Limits(10.0, 3) == CROSSREF_POLITE
    assert traffic.most_in_flight == 3
    assert min(_gaps(traffic.starts)) >= 0.1


def test_crossrefs_advertised_limits_slow_us_down_never_up() -> None:
    """``x-rate-limit-limit: 2`` per second spaces requests 0.5 s apart and
    ``x-concurrency-limit: 1`` holds the polite pool to one at a time; 50 per second does not
    speed the public pool past its five."""
    slower = paced_traffic("ed@example.org", 6, {"x-rate-limit-limit": "2",
                                                  "x-rate-limit-interval": "1s",
                                                  "x-concurrency-limit": "1"})  # fmt: skip
    # The requests already on their way when the first answer came keep their turns.
    assert min(_gaps(slower.starts[-3:])) >= 0.5
    faster = paced_traffic(None, 6, {"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s",
                                     "x-concurrency-limit": "10"})  # fmt: skip
    assert min(_gaps(faster.starts)) >= 0.2 and faster.most_in_flight == 1


def test_the_recorded_crossref_headers_are_read() -> None:
    """The fixture's real headers say 5 per 1 s, one at a time."""
    assert advertised_limits(crossref_headers()) == (5.0, 1)
    assert parse_interval("1s") == 1.0 and parse_interval("60s") == 60.0
    assert parse_interval("1m") == 60.0 and parse_interval("500ms") == 0.5
    assert parse_interval("soon") is None and parse_interval("0s") is None
    assert advertised_limits({"x-rate-limit-limit": "0", "x-concurrency-limit": "-1"}) == (
        None, None,
    )  # fmt: skip


def test_a_refusal_pauses_every_request_to_the_registry() -> None:
    """After a 429 asking for 2 s, the next request, for another DOI, starts no sooner: every
    request would get the same answer meanwhile."""
    clock = MovingClock()
    starts: list[float] = []

    def crossref(request: httpx.Request) -> httpx.Response:
        starts.append((clock.now - START).total_seconds())
        if len(starts) == 1:
            return httpx.Response(429, headers={"Retry-After": "2"})
        return httpx.Response(200, json=crossref_work(request.url.path.removeprefix("/works/")))

    async def main() -> list[Work | Unanswered | None]:
        context = NetContext(Settings(attempts=1), clock.clocks(), NetworkWatch(), RequestCounter())
        async with (
            httpx.AsyncClient(base_url="http://crossref.test",
                              transport=httpx.MockTransport(crossref)) as c,
            httpx.AsyncClient(base_url="http://datacite.test",
                              transport=httpx.MockTransport(lambda r: httpx.Response(404))) as d,
        ):  # fmt: skip
            api = DoiApi(c, d, context)
            return [await api.fetch("10.1234/a"), await api.fetch("10.1234/b")]

    first, second = asyncio.run(main())
    assert isinstance(first, Unanswered) and isinstance(second, Work)
    assert starts == [0.0, 2.0]


# --- cache -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "work",
    [
        work_from_crossref(fixture_json("crossref_work.json")),
        work_from_datacite(fixture_json("datacite_doi_arxiv.json")),
        None,
    ],
    ids=["crossref-work", "datacite-work", "registered-nowhere"],
)
def test_a_cached_fact_gives_the_same_verdict_and_object(work: Work | None) -> None:
    """The codec round-trips through JSON; a fact from the cache is judged and described as
    the fresh one was."""
    target = DoiTarget("10.1371/JOURNAL.pone.0033693")
    payload = json.loads(json.dumps(DOI.encode(work)))
    decoded = DOI.decode(payload)
    assert decoded == work
    fresh = Observed(work, START)
    cached = Observed(decoded, START)
    assert DOI.verdict(target, cached) == DOI.verdict(target, fresh)
    assert DOI.metadata(target, decoded) == DOI.metadata(target, work)


def test_a_cache_row_from_another_version_is_a_miss() -> None:
    """A payload without ``work`` or with other fields is refused (the caller re-asks)."""
    with pytest.raises(KeyError):
        DOI.decode({"paper": None})
    with pytest.raises(TypeError):
        DOI.decode({"work": {"doi": "10.1234/x"}})


# --- reading the registries' JSON ---------------------------------------------------------------


def test_crossref_markup_and_missing_dates_are_read() -> None:
    """Inline JATS markup leaves titles; organisations are authors by name; ``[[null]]`` dates
    are unknown and the next date is taken."""
    data = crossref_work(
        "10.1234/x",
        title=["The <i>E. coli</i> &amp; <sub>2</sub>  genome"],
        author=[{"given": "Ada", "family": "Lovelace"}, {"name": "The Consortium"},
                {"family": "Curie"}],
        published={"date-parts": [[None]]},
        issued={"date-parts": [[2019, 7]]},
    )  # fmt: skip
    data["message"].pop("container-title")
    work = work_from_crossref(data)
    assert work.title == "The E. coli & 2 genome"
    seasons = crossref_work("10.1234/y", published={"date-parts": [[2020, 21, 5]]})
    assert work_from_crossref(seasons).published == "2020"  # "month 21": spring
    assert work.authors == ("Ada Lovelace", "The Consortium", "Curie")
    assert work.published == "2019-07"
    assert work.container is None


def test_datacite_publisher_objects_containers_and_subtitles_are_read() -> None:
    """Schema 4.5's publisher object, a related item the work is published in, and a
    subtitle listed first are all understood."""
    data = fixture_json("datacite_doi_zenodo.json")
    attributes = data["data"]["attributes"]
    attributes["publisher"] = {"name": "Zenodo", "publisherIdentifier": "https://ror.org/x"}
    attributes["titles"] = [{"title": "A subtitle", "titleType": "Subtitle"},
                            {"title": "The title"}]  # fmt: skip
    attributes["relatedItems"] = [
        {"relationType": "IsPublishedIn", "relatedItemType": "Journal",
         "titles": [{"title": "Journal of Examples"}]},
    ]  # fmt: skip
    attributes["dates"] = []
    attributes["publicationYear"] = "2021"
    work = work_from_datacite(data)
    assert (work.publisher, work.title, work.container, work.published) == (
        "Zenodo", "The title", "Journal of Examples", "2021",
    )  # fmt: skip
    attributes["container"] = {"type": "Series", "title": "Example Series"}
    assert work_from_datacite(data).container == "Example Series"


@pytest.mark.parametrize(
    "data",
    [[], {"data": None}, {"data": {"attributes": {"doi": None}}},
     {"data": {"attributes": {"doi": "10.1/x", "creators": "nobody"}}},
     {"data": {"attributes": {"doi": "10.1/x", "publicationYear": 20.5}}}],
    ids=["list", "no-data", "no-doi", "creators-not-a-list", "year-not-a-year"],
)  # fmt: skip
def test_datacite_documents_of_the_wrong_shape_are_refused(data: object) -> None:
    """Nothing is coerced: a document that is not a DOI record is unreadable."""
    with pytest.raises(UnreadableAnswer):
        work_from_datacite(data)


# --- a run -----------------------------------------------------------------------------------


ROBOCHEM = "Automated self-optimization, intensification, and scale-up of photocatalysis in flow"
"""The title of the sample digests' one DOI, 10.1126/science.adj1817 (RoboChem, Science 2024)."""

DIGEST = """\
AI papers this week.

[RoboChem] https://www.science.org/doi/10.1126/science.adj1817
[Same DOI, resolver, capitals] https://doi.org/10.1126/SCIENCE.ADJ1817
[MEDUSA] https://doi.org/10.48550/arXiv.2401.10774
[Methylphenidate] https://journals.plos.org/doi/10.1371/journal.pone.0033693
[Gone] https://doi.org/10.1126/science.notarealdoi
"""


def test_a_run_checks_each_doi_once_and_a_warm_run_asks_nothing(
    registries: Registries, tmp_path: Path
) -> None:
    """Cold: one question per unique DOI (Crossref, then DataCite for what it does not know);
    records carry the ``doi`` object. Warm: nothing asked, the same bytes. Outage after the
    facts expire: unreachable, the last-known object kept."""
    registries.crossref.add("10.1126/science.adj1817", title=[ROBOCHEM])
    digest = tmp_path / "week.txt"
    digest.write_text(DIGEST, encoding="utf-8")
    record_path = tmp_path / "week.enriched.json"
    settings = registries.settings(
        paths=(str(digest),), cache_dir=tmp_path / "cache", archive=False
    )
    clock = MovingClock()

    def registry_requests(summary: Any) -> dict[str, int]:
        return {k: v for k, v in summary.requests.items() if k in ("crossref", "datacite")}

    cold = run(settings, clocks=clock.clocks())
    assert registry_requests(cold) == {"crossref": 4, "datacite": 2}
    text = record_path.read_text(encoding="utf-8")
    links = json.loads(text)["links"]
    assert [(link["kind"], link["id"], link["status"]) for link in links] == [
        ("doi", "10.1126/science.adj1817", "ok"),
        ("doi", "10.1126/SCIENCE.ADJ1817", "ok"),
        ("doi", "10.48550/arXiv.2401.10774", "ok"),
        ("doi", "10.1371/journal.pone.0033693", "ok"),
        ("doi", "10.1126/science.notarealdoi", "broken"),
    ]
    assert links[0]["reason"] == FOUND_REASON
    assert links[0]["doi"]["title"] == ROBOCHEM
    assert links[2]["doi"]["agency"] == "datacite"
    assert links[0]["doi"]["observed_at"] == "2026-11-22T09:00:00Z"
    assert links[4]["doi"] is None
    assert links[4]["reason"] == (
        "DOI 10.1126/science.notarealdoi is registered with neither Crossref nor DataCite"
    )

    warm = run(settings, clocks=clock.clocks())
    assert sum(warm.requests.values()) == 0  # no registry, and nothing else, was asked
    assert record_path.read_text(encoding="utf-8") == text

    clock.now += timedelta(days=31)  # past the DOI facts' 30 days
    dead = replace(settings, crossref_api_url=closed_port_url(),
                   datacite_api_url=closed_port_url(), attempts=1)  # fmt: skip
    outage = run(dead, clocks=clock.clocks())
    assert outage.counts[Status.BROKEN] == 0
    links = json.loads(record_path.read_text(encoding="utf-8"))["links"]
    assert [link["status"] for link in links] == ["unreachable"] * 5
    assert links[0]["doi"]["title"] == ROBOCHEM
    assert links[0]["doi"]["observed_at"] == "2026-11-22T09:00:00Z"


def test_the_sample_digests_ask_crossref_once_cold_and_never_warm(
    apis: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """The five sample digests hold one DOI (RoboChem on science.org): a cold run asks Crossref
    once and DataCite never, the link is ``ok`` by its DOI with the ``doi`` object (the
    publisher's page, behind a bot wall, is not fetched); a warm run asks neither."""
    apis.crossref.add("10.1126/science.adj1817", title=[ROBOCHEM])
    settings = settings_for(digests, paper_links=False, archive=False)

    def doi_requests(summary: Any) -> tuple[int, int]:
        return summary.requests.get("crossref", 0), summary.requests.get("datacite", 0)

    cold = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert doi_requests(cold) == (1, 0)
    assert not any("science.org" in url for url in web.urls)
    record = json.loads((digests / "002_1ba732e38f5cb936.enriched.json").read_text("utf-8"))
    (link,) = [link for link in record["links"] if link["kind"] == "doi"]
    assert (link["line"], link["label"], link["id"], link["status"], link["reason"]) == (
        11, "RoboChem", "10.1126/science.adj1817", "ok", FOUND_REASON,
    )  # fmt: skip
    assert link["doi"]["title"] == ROBOCHEM and link["doi"]["agency"] == "crossref"

    clock.advance(hours=2)
    warm = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert doi_requests(warm) == (0, 0)
