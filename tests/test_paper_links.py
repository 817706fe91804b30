"""Paper to code: for each arXiv paper, where Hugging Face says its code and project page are
(``code_url``, ``project_url``, ``hf_upvotes`` in the ``arxiv`` object), a GitHub link in the
paper's own comment or abstract when the Hub has none, one request per unique paper, cached,
and none at all with ``--no-paper-links``."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from enricher.authorities import AUTHORITIES, classify
from enricher.authorities.arxiv import ARXIV, PAPER_LINKS
from enricher.authorities.arxiv.paper_links import (
    PaperLinks,
    PaperLinksTarget,
    code_link_in,
    links_json,
    with_paper_links,
)
from enricher.authorities.base import Lookup
from enricher.cache import Cache
from enricher.config import Settings
from enricher.digest import decode_digest, parse_digest
from enricher.models import ArxivTarget, CachedFact, LookupResult, Observed, Paper, Unanswered
from enricher.net.context import Clocks, NetContext, RequestCounter
from enricher.pipeline import run
from tests.conftest import Apis, FakeClock, WebRecorder
from tests.fakes_hf import FakeHub, shared_hub

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
CLOSED = "http://127.0.0.1:9"
MEDUSA = "2401.10774"
MEDUSA_CODE = "https://github.com/FasterDecoding/Medusa"

INTEGRATED = PAPER_LINKS in AUTHORITIES
"""Whether the run plans, caches and merges paper links yet (the pipeline side of this
feature is merged separately: /tmp/issue15/hf-integration.md)."""
needs_pipeline = pytest.mark.skipif(
    not INTEGRATED, reason="paper links not wired into plan/knowledge yet (hf-integration.md)"
)


@pytest.fixture(autouse=True)
def no_hf_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)


def paper(comment: str | None = None, abstract: str = "An abstract.") -> Paper:
    return Paper(
        id=MEDUSA, latest_version=2, title="Medusa", authors=("Tianle Cai",), abstract=abstract,
        published=None, updated=None, primary_category="cs.LG", categories=("cs.LG",), doi=None,
        journal_ref=None, comment=comment, abs_url=f"https://arxiv.org/abs/{MEDUSA}", pdf_url=None,
    )  # fmt: skip


# A code link in the paper's own words


@pytest.mark.parametrize(
    ("comment", "abstract", "expected"),
    [
        ("Code: https://github.com/FasterDecoding/Medusa.", "", MEDUSA_CODE),
        ("Code is at github.com/FasterDecoding/Medusa", "", MEDUSA_CODE),
        ("See https://www.github.com/FasterDecoding/Medusa/tree/main/medusa", "", MEDUSA_CODE),
        ("(https://github.com/FasterDecoding/Medusa.git)", "", MEDUSA_CODE),
        ("\\url{https://github.com/FasterDecoding/Medusa}", "", MEDUSA_CODE),
        (None, "We release code at https://github.com/FasterDecoding/Medusa, with weights.", MEDUSA_CODE),
        ("Comment https://github.com/a/first", "Abstract https://github.com/b/second", "https://github.com/a/first"),
        ("https://github.com/features/copilot and https://github.com/x/y", "", "https://github.com/x/y"),
        ("See https://github.com/FasterDecoding", "", None),
        ("Accepted at ICML 2024", "No code here.", None),
        ("https://gist.github.com/someone/abc123", "", None),
        ("https://notgithub.com/a/b", "", None),
        (None, "", None),
    ],
    ids=[
        "trailing-period", "no-scheme", "deep-path", "dot-git-in-parens", "latex-url",
        "abstract", "comment-first", "github-own-pages", "owner-only", "none", "gist",
        "other-host", "empty",
    ],
)  # fmt: skip
def test_a_code_link_in_the_papers_comment_or_abstract(
    comment: str | None, abstract: str, expected: str | None
) -> None:
    """The first github.com/<owner>/<repo> in the comment, then the abstract, as its root."""
    found = paper(comment, abstract)
    assert code_link_in(found.comment, found.abstract) == expected


# What the arxiv object gets


def arxiv_object(comment: str | None = None, **old: Any) -> dict[str, Any]:
    return {"id": MEDUSA, "abstract": "An abstract.", "comment": comment, **old,
            "observed_at": "2026-11-01T00:00:00Z"}  # fmt: skip


def test_the_hubs_links_come_first() -> None:
    links = Observed(PaperLinks(MEDUSA_CODE, "https://sites.google.com/view/medusa-llm", 55), NOW)
    value = arxiv_object("Code: https://github.com/someone/else")
    assert links_json(value, links) == {
        "code_url": MEDUSA_CODE,
        "project_url": "https://sites.google.com/view/medusa-llm",
        "hf_upvotes": 55,
    }


@pytest.mark.parametrize(
    "observed",
    [Observed(None, NOW), Observed(PaperLinks(None, None, 3), NOW)],
    ids=["hub-does-not-know-the-paper", "hub-has-no-code-link"],
)
def test_the_papers_own_code_link_counts_when_the_hub_has_none(observed: Observed) -> None:
    value = arxiv_object("Code: https://github.com/FasterDecoding/Medusa.")
    assert links_json(value, observed)["code_url"] == MEDUSA_CODE


def test_without_an_answer_what_the_record_knew_is_kept() -> None:
    """No lookup this run and none cached (an outage, --no-paper-links): an earlier record's
    links stay; a fresh object gets the paper's own code link, or nulls."""
    old = arxiv_object(code_url=MEDUSA_CODE, project_url="https://p.example", hf_upvotes=9)
    assert links_json(old, None) == {
        "code_url": MEDUSA_CODE, "project_url": "https://p.example", "hf_upvotes": 9,
    }  # fmt: skip
    assert links_json(arxiv_object(), None) == {
        "code_url": None, "project_url": None, "hf_upvotes": None,
    }  # fmt: skip


def test_the_fields_go_before_observed_at_and_a_null_object_stays_null() -> None:
    completed = with_paper_links(("arxiv", arxiv_object()), Observed(PaperLinks(MEDUSA_CODE), NOW))
    assert completed is not None and completed[1] is not None
    assert list(completed[1])[-4:] == ["code_url", "project_url", "hf_upvotes", "observed_at"]
    assert with_paper_links(("arxiv", None), Observed(PaperLinks(MEDUSA_CODE), NOW)) == (
        "arxiv", None,
    )  # fmt: skip
    again = with_paper_links(completed, Observed(PaperLinks(MEDUSA_CODE), NOW))
    assert again == completed  # idempotent: a remembered object is completed the same way


def test_a_fresh_arxiv_object_has_the_fields_with_the_papers_own_link() -> None:
    """Before (or without) Hugging Face, the object already has the three fields: the code
    link from the paper's comment, the rest null, in their place before observed_at."""
    target = ArxivTarget(MEDUSA)
    described = ARXIV.metadata(target, paper("Code: https://github.com/FasterDecoding/Medusa."))
    value = described[1]
    assert value is not None
    assert list(value)[-3:] == ["code_url", "project_url", "hf_upvotes"]
    assert (value["code_url"], value["project_url"], value["hf_upvotes"]) == (
        MEDUSA_CODE,
        None,
        None,
    )
    assert ARXIV.complete(target, described, {}) == described


def test_companions_follow_the_switch() -> None:
    """One paper-links lookup per paper; --no-paper-links: none at all."""
    target = ArxivTarget(MEDUSA, 2)
    assert ARXIV.companions(target, Settings()) == (PaperLinksTarget(MEDUSA),)
    assert ARXIV.companions(target, Settings(paper_links=False)) == ()
    assert PaperLinksTarget(MEDUSA).key == f"paper-links:{MEDUSA}"


# The lookup, against the fake Hub


@pytest.fixture
def hub(apis: Apis) -> FakeHub:
    fake = shared_hub(apis)
    fake.add_paper(MEDUSA)
    fake.add_paper("2402.00001", githubRepo=None, projectPage=None, upvotes=0)
    return fake


def look_up(
    targets: list[PaperLinksTarget], settings: Settings
) -> tuple[dict[str, LookupResult], dict[str, int]]:
    found: dict[str, LookupResult] = {}
    counter = RequestCounter()

    async def sleep(seconds: float) -> None:
        pass

    context = NetContext(settings, Clocks(lambda: NOW, sleep), counter=counter)
    lookup = Lookup(context, {}, lambda target, result: found.__setitem__(target.key, result))
    asyncio.run(PAPER_LINKS.look_up(targets, lookup))
    return found, counter.counts


def test_one_request_per_paper_and_what_each_answer_means(apis: Apis, hub: FakeHub) -> None:
    """Known with a repository, known without one, unknown (404): all answers, all ok."""
    targets = [PaperLinksTarget(i) for i in (MEDUSA, "2402.00001", "2403.99999")]
    found, counts = look_up(targets, Settings(hf_api_url=apis.github_url))
    assert counts == {"paper-links": 3}
    assert sorted(hub.paths()) == [
        f"/api/papers/{i}" for i in ("2401.10774", "2402.00001", "2403.99999")
    ]
    medusa = found[f"paper-links:{MEDUSA}"]
    assert isinstance(medusa, Observed)
    assert medusa.fact == PaperLinks(MEDUSA_CODE, "https://sites.google.com/view/medusa-llm", 55)
    plain = found["paper-links:2402.00001"]
    assert isinstance(plain, Observed) and plain.fact == PaperLinks(None, None, 0)
    unknown = found["paper-links:2403.99999"]
    assert isinstance(unknown, Observed) and unknown.fact is None
    for target in targets:
        result = found[target.key]
        assert isinstance(result, Observed)
        assert PAPER_LINKS.verdict(target, result).status.is_cacheable


def test_an_outage_is_unanswered_not_a_paper_without_code() -> None:
    found, _ = look_up([PaperLinksTarget(MEDUSA)], Settings(hf_api_url=CLOSED, attempts=1))
    result = found[f"paper-links:{MEDUSA}"]
    assert isinstance(result, Unanswered) and result.network_level


def test_the_codec_round_trips_through_the_cache(tmp_path: Path) -> None:
    """Stored and read back by the real cache, each fact decodes to itself."""
    facts = {
        "paper-links:2401.10774": PaperLinks(MEDUSA_CODE, None, 55),
        "paper-links:2403.99999": None,
    }
    cache = Cache.open(tmp_path, NOW)
    try:
        cache.put_many(
            [CachedFact(key, NOW, PAPER_LINKS.encode(fact)) for key, fact in facts.items()]
        )
        rows = cache.get_many(list(facts))
    finally:
        cache.close()
    assert {key: PAPER_LINKS.decode(row.payload) for key, row in rows.items()} == facts


# End to end, once the pipeline plans, caches and merges them


@pytest.fixture
def papers(apis: Apis, hub: FakeHub, tmp_path: Path) -> Path:
    apis.arxiv.known = {MEDUSA, "2403.99999"}
    digest = tmp_path / "week.txt"
    digest.write_text(
        f"[MEDUSA] https://arxiv.org/abs/{MEDUSA}\n[MEDUSA pdf] https://arxiv.org/pdf/{MEDUSA}v1\n"
        "[Unknown to HF] https://arxiv.org/abs/2403.99999\n",
        encoding="utf-8",
    )
    return digest


def arxiv_objects(digest: Path) -> list[dict[str, Any]]:
    record = json.loads(digest.with_name("week.enriched.json").read_text(encoding="utf-8"))
    return [link["arxiv"] for link in record["links"]]


@needs_pipeline
def test_a_cold_run_adds_code_links_with_one_request_per_paper(
    apis: Apis, hub: FakeHub, papers: Path, settings_for: Any, clock: FakeClock, tmp_path: Path
) -> None:
    """Each unique paper asked once (however many links cite it); the answers land in the
    ``arxiv`` objects; the 404 paper gets nulls."""
    summary = run(settings_for(papers, hf_api_url=apis.github_url), clocks=clock.clocks())
    medusa, medusa_pdf, unknown = arxiv_objects(papers)
    assert medusa["code_url"] == medusa_pdf["code_url"] == MEDUSA_CODE
    assert medusa["project_url"] == "https://sites.google.com/view/medusa-llm"
    assert medusa["hf_upvotes"] == 55
    assert (unknown["code_url"], unknown["project_url"], unknown["hf_upvotes"]) == (
        None,
        None,
        None,
    )
    assert list(medusa)[-1] == "observed_at"
    assert sorted(hub.paths()) == ["/api/papers/2401.10774", "/api/papers/2403.99999"]
    assert summary.requests.get("paper-links") == 2
    cache = Cache.open_read_only(tmp_path / "cache")
    try:  # cached (the 404 too), but no link: no check in any history
        keys = [f"paper-links:{MEDUSA}", "paper-links:2403.99999"]
        assert sorted(cache.get_many(keys)) == keys
        assert [cache.checks(key) for key in keys] == [[], []]
    finally:
        cache.close()


@needs_pipeline
def test_a_warm_run_asks_hugging_face_nothing(
    apis: Apis, hub: FakeHub, papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Within the 7-day TTL (answers and 404s alike): zero requests, the same record."""
    settings = settings_for(papers, hf_api_url=apis.github_url)
    run(settings, clocks=clock.clocks())
    first = papers.with_name("week.enriched.json").read_bytes()
    clock.advance(days=6)
    summary = run(settings, clocks=clock.clocks())
    assert len(hub.requests) == 2
    assert summary.requests.get("paper-links", 0) == 0
    assert papers.with_name("week.enriched.json").read_bytes() == first


@needs_pipeline
def test_no_paper_links_asks_nothing(
    apis: Apis, hub: FakeHub, papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    settings = settings_for(papers, hf_api_url=apis.github_url, paper_links=False)
    run(settings, clocks=clock.clocks())
    assert hub.requests == []
    assert all(
        obj["code_url"] is None and obj["hf_upvotes"] is None for obj in arxiv_objects(papers)
    )


@needs_pipeline
def test_an_outage_keeps_the_last_known_links(
    apis: Apis, hub: FakeHub, papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Past the TTL with the Hub down: the paper's links stay; the arXiv verdicts are as before."""
    run(settings_for(papers, hf_api_url=apis.github_url), clocks=clock.clocks())
    clock.advance(days=8)  # past the paper links' 7 days, within the papers' 30
    summary = run(settings_for(papers, hf_api_url=CLOSED), clocks=clock.clocks())
    medusa = arxiv_objects(papers)[0]
    assert medusa["code_url"] == MEDUSA_CODE and medusa["hf_upvotes"] == 55
    assert summary.requests.get("paper-links", 0) >= 2  # asked (and refused), not skipped
    record = json.loads(papers.with_name("week.enriched.json").read_text(encoding="utf-8"))
    assert [link["status"] for link in record["links"]] == ["ok", "ok", "ok"]


@needs_pipeline
def test_the_samples_cost_one_request_per_unique_paper_cold_and_none_warm(
    apis: Apis, hub: FakeHub, digests: Path, settings_for: Any, clock: FakeClock
) -> None:
    """The five sample digests: one papers-API request per unique arXiv paper (however many
    links cite it, /abs/ or /pdf/), one per Hugging Face repository; a warm run sends none."""
    ids = sample_ids(digests)
    apis.arxiv.known = ids
    apis.github.add("Portkey-AI/gateway")
    hub.add("model", "mistral-community/Mixtral-8x22B-v0.1-4bit")
    hub.add_paper(MEDUSA)
    web = WebRecorder()
    settings = settings_for(digests, hf_api_url=apis.github_url)
    cold = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert cold.requests["paper-links"] == len(ids) == len(hub.paths()) - 1
    assert cold.requests["huggingface"] == 1
    assert sorted(p for p in hub.paths() if p.startswith("/api/papers/")) == sorted(
        f"/api/papers/{i}" for i in ids
    )
    clock.advance(hours=2)
    warm = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert (warm.requests.get("paper-links", 0), warm.requests.get("huggingface", 0)) == (0, 0)


def sample_ids(folder: Path) -> set[str]:
    """The arXiv papers the digests in ``folder`` cite."""
    ids: set[str] = set()
    for path in folder.glob("*.txt"):
        text, _ = decode_digest(path.read_bytes(), str(path))
        for entry in parse_digest(text, str(path)).entries:
            target = classify(entry.url) if entry.url else None
            if isinstance(target, ArxivTarget):
                ids.add(target.id)
    return ids
