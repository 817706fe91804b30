"""The Hugging Face authority: which URLs it claims, what the Hub's answers become (found,
missing, gated, renamed, disabled), its quota and retries, outages, the token, its cache codec."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug import Response

from enricher.authorities import AUTHORITIES, classify
from enricher.authorities.arxiv import PAPER_LINKS
from enricher.authorities.huggingface import HUGGINGFACE, hub_json
from enricher.authorities.huggingface.api import HubApi
from enricher.authorities.huggingface.facts import HubMissing, HubRepo, HubTarget
from enricher.authorities.huggingface.parse import parse_quota, repo_from_json, short
from enricher.authorities.json_fields import UnreadableAnswer
from enricher.cache import CACHE_FILE
from enricher.config import Settings
from enricher.digest import decode_digest, parse_digest
from enricher.models import Observed, Status, Unanswered, WebTarget
from enricher.net.context import Clocks, NetContext
from enricher.net.redact import REDACTED
from enricher.pipeline import run
from tests.conftest import SAMPLES, Apis, FakeClock, enricher
from tests.fakes_hf import API_PATHS, FakeHub, hf_fixture, shared_hub

CANARY = "hf_CANARY_7c1e5d2b4a6f8e0c1d3b5a7f9e2c4d6b8a013f9a"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
BERT = "google-bert/bert-base-uncased"

INTEGRATED = PAPER_LINKS in AUTHORITIES
"""Whether the rest of issue 15 is merged (the CLI blanking HF_TOKEN out of its log lines
among it: /tmp/issue15/hf-integration.md)."""


@pytest.fixture(autouse=True)
def no_hf_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's HF_TOKEN never reaches a test (conftest scrubs ENRICHER_ and GITHUB_ only)."""
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture
def hub(apis: Apis) -> FakeHub:
    """The fake Hub on the shared local server; it knows BERT (the real answer)."""
    fake = shared_hub(apis)
    fake.repos[f"model:{BERT}"] = hf_fixture("model.json")
    return fake


@pytest.fixture
def check(
    apis: Apis, hub: FakeHub, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> Callable[..., list[dict[str, Any]]]:
    """Run one digest of ``lines`` against the fakes; its record's links."""

    def check_lines(*lines: str, **changes: Any) -> list[dict[str, Any]]:
        digest = tmp_path / "week.txt"
        digest.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        changes.setdefault("hf_api_url", apis.github_url)
        run(settings_for(digest, **changes), clocks=clock.clocks())
        record = json.loads((tmp_path / "week.enriched.json").read_text(encoding="utf-8"))
        links: list[dict[str, Any]] = record["links"]
        return links

    return check_lines


def hub_answer(status: int, headers: dict[str, str], body: bytes = b"{}") -> Response:
    """A scripted answer of the fake Hub (a werkzeug response)."""
    return Response(body, status=status, headers=headers, content_type="application/json")


# Which URLs are Hugging Face's

CLAIMED = [
    ("https://huggingface.co/google-bert/bert-base-uncased", "model", BERT),
    ("https://huggingface.co/google-bert/bert-base-uncased/", "model", BERT),
    ("https://huggingface.co/google-bert/bert-base-uncased/tree/main/onnx", "model", BERT),
    ("https://huggingface.co/google-bert/bert-base-uncased/blob/main/config.json", "model", BERT),
    ("https://huggingface.co/google-bert/bert-base-uncased/resolve/main/model.safetensors?download=true", "model", BERT),
    ("https://huggingface.co/google-bert/bert-base-uncased/discussions/12#comment-3", "model", BERT),
    ("http://huggingface.co/google-bert/bert-base-uncased", "model", BERT),
    ("https://www.huggingface.co/google-bert/bert-base-uncased", "model", BERT),
    ("https://HuggingFace.CO/Google-BERT/BERT-base-uncased", "model", "Google-BERT/BERT-base-uncased"),
    ("https://hf.co/mistral-community/Mixtral-8x22B-v0.1-4bit", "model", "mistral-community/Mixtral-8x22B-v0.1-4bit"),
    ("https://huggingface.co/huggingface/CodeBERTa-small-v1", "model", "huggingface/CodeBERTa-small-v1"),
    ("https://huggingface.co/datasets/rajpurkar/squad", "dataset", "rajpurkar/squad"),
    ("https://huggingface.co/datasets/rajpurkar/squad/viewer/plain_text/train?row=3", "dataset", "rajpurkar/squad"),
    ("https://hf.co/datasets/rajpurkar/squad/", "dataset", "rajpurkar/squad"),
    ("https://huggingface.co/Datasets/rajpurkar/squad", "dataset", "rajpurkar/squad"),
    ("https://huggingface.co/spaces/gradio/hello_world", "space", "gradio/hello_world"),
    ("https://huggingface.co/spaces/gradio/hello_world/blob/main/run.py", "space", "gradio/hello_world"),
    ("https://huggingface.co/papers/2401.10774", "paper", "2401.10774"),
    ("https://huggingface.co/papers/2401.10774v2", "paper", "2401.10774"),
    ("https://hf.co/papers/2401.10774#community", "paper", "2401.10774"),
]  # fmt: skip

NOT_CLAIMED = [
    "https://huggingface.co/",
    "https://huggingface.co/google-bert",
    "https://huggingface.co/google-bert/",
    "https://huggingface.co/blog/codegemma",
    "https://huggingface.co/Blog/codegemma",
    "https://huggingface.co/docs/hub/rate-limits",
    "https://huggingface.co/docs/transformers/index",
    "https://huggingface.co/collections/google/gemma-release-65d5efbccdbb8c4202ec078b",
    "https://huggingface.co/models",
    "https://huggingface.co/models?search=bert",
    "https://huggingface.co/models/google-bert",
    "https://huggingface.co/datasets",
    "https://huggingface.co/datasets/rajpurkar",
    "https://huggingface.co/spaces",
    "https://huggingface.co/spaces/gradio/",
    "https://huggingface.co/organizations/google/settings",
    "https://huggingface.co/settings/tokens",
    "https://huggingface.co/login?next=%2Fsettings",
    "https://huggingface.co/join/discord",
    "https://huggingface.co/pricing#pro",
    "https://huggingface.co/enterprise/contact",
    "https://huggingface.co/learn/nlp-course/chapter1/1",
    "https://huggingface.co/tasks/text-classification",
    "https://huggingface.co/chat/conversation/65f",
    "https://huggingface.co/posts/julien-c/123456",
    "https://huggingface.co/api/models/google-bert/bert-base-uncased",
    "https://huggingface.co/new/space",
    "https://huggingface.co/search/full-text?q=bert",
    "https://huggingface.co/notifications/all",
    "https://huggingface.co/inference-endpoints/dedicated",
    "https://huggingface.co/terms-of-service/2024",
    "https://huggingface.co/privacy/policy",
    "https://huggingface.co/front/assets/huggingface_logo.svg",
    "https://huggingface.co/papers",
    "https://huggingface.co/papers/trending",
    "https://huggingface.co/papers/date/2024-01-19",
    "https://huggingface.co/papers/month/2025-01",
    "https://huggingface.co/a--b/model",
    "https://huggingface.co/owner/..",
    "https://huggingface.co/owner/na%20me",
    "https://cdn-lfs.huggingface.co/repos/ab/cd/file",
    "https://gradio-hello-world.hf.space/",
    "https://huggingface.com/google-bert/bert-base-uncased",
]


@pytest.mark.parametrize(("url", "hub_type", "hub_id"), CLAIMED, ids=[c[0] for c in CLAIMED])
def test_repository_and_paper_urls_are_claimed(url: str, hub_type: str, hub_id: str) -> None:
    """Models, datasets, Spaces (anything below them) and paper pages, on both hosts."""
    assert classify(url) == HubTarget(hub_type, hub_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("url", NOT_CLAIMED, ids=NOT_CLAIMED)
def test_the_hubs_own_pages_stay_web_links(url: str) -> None:
    """Blog, docs, listings, profiles, settings, reserved names and bad names are web pages."""
    assert isinstance(classify(url), WebTarget)


def test_the_sample_digests_hugging_face_links_are_classified() -> None:
    """Over sources/: the model link is a Hugging Face model, the blog post stays a web page."""
    found: dict[str, object] = {}
    for path in sorted(SAMPLES.glob("*.txt")):
        text, _ = decode_digest(path.read_bytes(), str(path))
        for entry in parse_digest(text, str(path)).entries:
            if entry.url and ("huggingface.co" in entry.url or "hf.co/" in entry.url):
                found[entry.url] = classify(entry.url)
    assert found == {
        "https://huggingface.co/blog/codegemma": WebTarget(
            "https://huggingface.co/blog/codegemma", "huggingface.co"
        ),
        "https://huggingface.co/mistral-community/Mixtral-8x22B-v0.1-4bit": HubTarget(
            "model", "mistral-community/Mixtral-8x22B-v0.1-4bit"
        ),
    }


def test_a_name_in_any_case_is_one_target() -> None:
    """The Hub resolves names whatever their case: one check (one key) for both spellings."""
    first = classify("https://huggingface.co/Google-BERT/BERT-base-uncased")
    second = classify(f"https://hf.co/{BERT}/tree/main")
    assert isinstance(first, HubTarget) and isinstance(second, HubTarget)
    assert first.key == second.key == f"huggingface:model:{BERT}"


# What the Hub's answers become


def test_a_model_is_ok_with_its_metadata_in_the_record(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """The real BERT answer: who made it, how much it is used, its license, in a fixed order."""
    [link] = check(f"[BERT] https://huggingface.co/{BERT}/tree/main")
    assert (link["status"], link["kind"], link["id"]) == ("ok", "huggingface", BERT)
    assert link["final_url"] == f"https://huggingface.co/{BERT}"
    assert link["reason"] is None and link["http_status"] == 200
    assert link["huggingface"] == {
        "type": "model",
        "id": BERT,
        "author": "google-bert",
        "downloads": 60478923,
        "likes": 2498,
        "pipeline_tag": "fill-mask",
        "library_name": "transformers",
        "license": "apache-2.0",
        "gated": False,
        "last_modified": "2024-02-19T11:06:12.000Z",
        "description": None,
        "title": None,
        "observed_at": "2026-11-22T09:00:00Z",
    }
    assert hub.paths() == [f"/api/models/{BERT}"]


def test_datasets_spaces_and_paper_pages_have_their_own_api_and_description(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """Each type is asked at its own endpoint; the short description is one line, cut."""
    hub.add("dataset", "rajpurkar/squad")
    hub.add("space", "gradio/hello_world")
    hub.add_paper("2401.10774")
    dataset, space, paper = check(
        "[SQuAD] https://huggingface.co/datasets/rajpurkar/squad",
        "[Hello] https://huggingface.co/spaces/gradio/hello_world",
        "[Medusa] https://huggingface.co/papers/2401.10774",
    )
    assert [link["status"] for link in (dataset, space, paper)] == ["ok", "ok", "ok"]
    assert sorted(hub.paths()) == [
        "/api/datasets/rajpurkar/squad", "/api/papers/2401.10774", "/api/spaces/gradio/hello_world",
    ]  # fmt: skip
    data = dataset["huggingface"]
    assert (data["type"], data["title"], data["license"]) == ("dataset", "SQuAD", "cc-by-sa-4.0")
    assert data["description"].startswith("Dataset Card for SQuAD Stanford Question Answering")
    assert "\n" not in data["description"] and "\t" not in data["description"]
    assert len(data["description"]) <= 300 and data["description"].endswith("…")
    assert data["pipeline_tag"] is None and data["downloads"] == 93000
    assert space["huggingface"]["description"] == "The simplest Gradio demo: a greeting."
    assert space["huggingface"]["title"] == "Hello World"
    assert space["huggingface"]["downloads"] is None
    assert space["final_url"] == "https://huggingface.co/spaces/gradio/hello_world"
    about = paper["huggingface"]
    assert about["type"] == "paper" and about["likes"] == 55
    assert about["title"].startswith("Medusa: Simple LLM Inference Acceleration")
    assert paper["final_url"] == "https://huggingface.co/papers/2401.10774"
    assert paper["label_match"] == "match"


@pytest.mark.parametrize("status", [401, 404], ids=["401-anonymous", "404"])
def test_a_missing_repository_is_broken(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub, status: int
) -> None:
    """RepoNotFound (401 anonymously, 404 with a token) is the Hub saying "not here": broken,
    asked once, never retried."""
    hub.special["/api/models/nobody/nothing"] = lambda request: hub_answer(
        status, {"X-Error-Code": "RepoNotFound"}
    )
    [link] = check("[Gone] https://huggingface.co/nobody/nothing")
    assert link["status"] == "broken" and link["http_status"] == status
    assert link["reason"].startswith("no Hugging Face model nobody/nothing (RepoNotFound")
    assert link["huggingface"] is None
    assert hub.paths() == ["/api/models/nobody/nothing"]


def test_a_missing_paper_page_is_broken(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """A paper the Hub has no page for (404) is a broken paper link."""
    [link] = check("[Unknown] https://huggingface.co/papers/2401.99999")
    assert link["status"] == "broken" and link["http_status"] == 404
    assert "no paper page for arXiv 2401.99999" in link["reason"]


def test_a_refused_token_is_not_a_missing_repository(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """A 401 without RepoNotFound (an expired token) says nothing about the repository:
    unreachable, with the fix, never broken."""
    hub.answer = lambda request: hub_answer(401, {})
    [link] = check(f"[BERT] https://huggingface.co/{BERT}", hf_token=CANARY)
    assert link["status"] == "unreachable"
    assert "refused the request (HTTP 401); check HF_TOKEN" in link["reason"]


@pytest.mark.parametrize("mode", ["manual", "auto"])
def test_a_gated_repository_is_ok_with_gated_set(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub, mode: str
) -> None:
    """The Hub describes a gated repository; its files need approval: ok, and it says so."""
    hub.add("model", "meta-llama/Llama-2-7b-hf", gated=mode)
    [link] = check("[Llama 2] https://huggingface.co/meta-llama/Llama-2-7b-hf")
    assert link["status"] == "ok"
    assert link["huggingface"]["gated"] == mode
    assert (
        link["reason"] == f"gated ({mode} approval): its files need access granted on Hugging Face"
    )


def test_a_gated_refusal_is_ok_too(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """X-Error-Code: GatedRepo is a refusal of a repository that exists: ok, gated true."""
    hub.gated_refusals.add("model:meta-llama/llama-3.1-8b")
    [link] = check("[Llama] https://huggingface.co/meta-llama/Llama-3.1-8B")
    assert link["status"] == "ok"
    assert link["huggingface"]["gated"] is True
    assert link["huggingface"]["id"] == "meta-llama/Llama-3.1-8B"


def test_a_disabled_repository_is_broken(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """A repository the Hub has disabled is there but unusable: broken, saying why."""
    hub.disabled.add("model:someone/taken-down")
    [link] = check("[X] https://huggingface.co/someone/taken-down")
    assert link["status"] == "broken" and link["reason"] == "Hugging Face has disabled this model"


@pytest.mark.parametrize("by_redirect", [True, False], ids=["307-to-new-name", "200-new-id"])
def test_a_renamed_repository_is_redirected_to_its_new_page(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub, by_redirect: bool
) -> None:
    """The old name answers with the new one (a redirect on the API host, or the new id):
    redirected, with the new huggingface.co page as the suggestion."""
    hub.rename("model", "KB/bert-base-swedish-cased", "KBLab/bert-base-swedish-cased")
    hub.rename_by_redirect = by_redirect
    [link] = check("[Swedish BERT] https://hf.co/KB/bert-base-swedish-cased/tree/main")
    assert link["status"] == "redirected"
    assert link["suggested_url"] == "https://huggingface.co/KBLab/bert-base-swedish-cased"
    assert link["reason"] == "model moved to KBLab/bert-base-swedish-cased"
    assert link["huggingface"]["id"] == "KBLab/bert-base-swedish-cased"


def test_a_change_of_case_only_is_not_a_move(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """The Hub answers ``Google-BERT/...`` with its own spelling: the same repository, ok."""
    [link] = check("[BERT] https://huggingface.co/Google-BERT/BERT-Base-Uncased")
    assert link["status"] == "ok" and link["suggested_url"] is None


def test_a_redirect_off_the_api_host_is_not_followed(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """Only the API's own origin is trusted with the token and with repository facts."""
    hub.answer = lambda request: hub_answer(
        307, {"Location": "http://127.0.0.2:9/api/models/evil/repo"}
    )
    [link] = check(f"[BERT] https://huggingface.co/{BERT}", hf_token=CANARY)
    assert link["status"] == "unreachable"
    assert "redirected to another host (127.0.0.2:9); not followed" in link["reason"]


# Quota, retries, malformed answers, outages


def test_a_spent_quota_makes_the_rest_unreachable_without_asking(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub, clock: FakeClock
) -> None:
    """429 with the window's end 250 s away (past --rate-limit-wait): unreachable with the
    reason, never broken, one request, and no check in the link's history."""
    hub.quota, hub.used, hub.reset_in_s = 500, 500, 250
    links = check(
        f"[BERT] https://huggingface.co/{BERT}",
        f"[BERT again] https://hf.co/{BERT}/blob/main/config.json",
    )
    assert [link["status"] for link in links] == ["unreachable", "unreachable"]
    assert links[0]["reason"] == (
        "Hugging Face API rate limit spent (500 requests per 300 s) until 09:04 UTC; "
        "set HF_TOKEN for a larger quota"
    )
    assert len(hub.requests) == 1
    assert links[0]["first_seen_at"] is None and links[0]["failing_since"] is None
    assert clock.slept == []


def fetch_all(
    answers: list[httpx.Response | Callable[[httpx.Request], httpx.Response]],
    targets: list[HubTarget],
    token: str | None = None,
    **settings: Any,
) -> tuple[list[Any], list[httpx.Request], list[float]]:
    """HubApi.fetch for each target in turn against scripted answers (the last one repeats);
    the results, the requests sent and the sleeps taken."""
    sent: list[httpx.Request] = []
    slept: list[float] = []
    now = [NOW]

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer

    async def sleep(seconds: float) -> None:
        slept.append(seconds)  # recorded, not waited: the clock stays where it is

    async def main() -> list[Any]:
        async with httpx.AsyncClient(
            base_url="https://hub.test", transport=httpx.MockTransport(handler),
            headers=HubApi.headers(token),
        ) as client:  # fmt: skip
            values = {"attempts": 3, "retry_budget_s": 60.0, "rate_limit_wait_s": 60.0, **settings}
            api = HubApi(client, NetContext(Settings(**values), Clocks(lambda: now[0], sleep)))
            return [await api.fetch(target) for target in targets]

    return asyncio.run(main()), sent, slept


def quota_headers(remaining: int, reset_s: int) -> dict[str, str]:
    return {
        "RateLimit": f'"api";r={remaining};t={reset_s}',
        "RateLimit-Policy": '"fixed window";"api";q=500;w=300',
    }


def bert(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=hf_fixture("model.json"), headers=quota_headers(400, 100))


MODELS = [HubTarget("model", f"owner/model-{n}") for n in range(4)]


def test_the_last_request_of_a_window_is_kept_and_no_more_are_sent() -> None:
    """An answer saying r=0 with a far reset is used; the lookups after it send nothing."""
    last = httpx.Response(200, json=hf_fixture("model.json"), headers=quota_headers(0, 250))
    results, sent, slept = fetch_all([last], MODELS)
    assert isinstance(results[0], HubRepo) and results[0].id == BERT
    assert all(isinstance(r, Unanswered) and not r.asked for r in results[1:])
    assert "rate limit spent (500 requests per 300 s)" in results[1].reason
    assert len(sent) == 1 and slept == []


def test_a_window_that_ends_soon_is_waited_for_once() -> None:
    """429 with the window ending in 10 s: one wait (injected), then the lookups go on."""
    refused = httpx.Response(429, headers=quota_headers(0, 10))
    results, sent, slept = fetch_all([refused, bert], MODELS)
    assert all(isinstance(r, HubRepo) for r in results)
    assert slept == [pytest.approx(11.0)]
    assert len(sent) == 1 + len(MODELS)


def test_a_429_without_quota_headers_is_retried_then_reported() -> None:
    """No RateLimit header and no Retry-After: retried with backoff, then unreachable."""
    results, sent, slept = fetch_all([httpx.Response(429)], [MODELS[0]])
    failure = results[0]
    assert isinstance(failure, Unanswered) and "HTTP 429" in failure.reason
    assert len(sent) == 3 and len(slept) == 2


def test_server_errors_are_retried_then_reported() -> None:
    """Persistent 503s end as Unanswered after the allowed attempts, not as a verdict."""
    results, sent, slept = fetch_all([httpx.Response(503)], [MODELS[0]])
    failure = results[0]
    assert (
        isinstance(failure, Unanswered) and failure.reason == "Hugging Face API answered HTTP 503"
    )
    assert not failure.network_level and len(sent) == 3 and len(slept) == 2


def test_a_server_error_then_an_answer_is_an_answer() -> None:
    results, sent, _ = fetch_all([httpx.Response(502), bert], [MODELS[0]])
    assert isinstance(results[0], HubRepo) and len(sent) == 2


MALFORMED = {
    "html": (b"<!doctype html><html><body>Maintenance</body></html>", "an HTML page, not Hub JSON"),
    "empty": (b"", "an empty answer, not Hub JSON"),
    "list": (b"[]", "JSON list, not a model object"),
    "no-id": (b'{"likes": 3}', "id is None, not a repository name"),
    "bad-count": (b'{"id": "a/b", "downloads": "many"}', "downloads is 'many', not a count"),
    "bad-gated": (b'{"id": "a/b", "gated": 1}', "gated is 1, not true, false"),
    "bad-card": (b'{"id": "a/b", "cardData": "x"}', "cardData is 'x', not an object"),
    "cut-off": (b'{"id": "a/b", "likes": 3', "not JSON"),
}


@pytest.mark.parametrize(("body", "why"), MALFORMED.values(), ids=list(MALFORMED))
def test_a_malformed_answer_is_unreachable_never_broken(body: bytes, why: str) -> None:
    """A 200 that is not a repository object is a failure of this run, with what it was."""
    results, sent, _ = fetch_all([httpx.Response(200, content=body)], [MODELS[0]])
    failure = results[0]
    assert isinstance(failure, Unanswered)
    assert failure.reason.startswith("Hugging Face API sent an unreadable answer: ")
    assert why in failure.reason
    assert len(sent) == 1  # the same answer would come back


def test_a_malformed_answer_is_not_cached(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    """Being a failure, it is asked about again by the next run."""
    hub.answer = lambda request: hub_answer(200, {}, b"<html>busy</html>")
    check(f"[BERT] https://huggingface.co/{BERT}")
    hub.answer = None
    [link] = check(f"[BERT] https://huggingface.co/{BERT}")
    assert link["status"] == "ok" and len(hub.requests) == 2


def test_an_answer_past_the_size_cap_is_not_read() -> None:
    big = httpx.Response(200, content=b'{"id": "a/b", "x": "' + b"y" * 4096 + b'"}')
    results, _, _ = fetch_all([big], [MODELS[0]], max_response_bytes=1024)
    assert isinstance(results[0], Unanswered) and "larger than" in results[0].reason


def test_an_outage_keeps_the_last_known_metadata(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub, clock: FakeClock
) -> None:
    """Past the TTL, with the Hub refusing connections: unreachable (network level), and the
    record keeps the model's object from the last answer, dated by its observed_at."""
    [before] = check(f"[BERT] https://huggingface.co/{BERT}")
    assert before["huggingface"]["likes"] == 2498
    clock.advance(days=2)  # past the 1-day TTL
    [after] = check(f"[BERT] https://huggingface.co/{BERT}", hf_api_url=CLOSED)
    assert after["status"] == "unreachable" and "cannot connect" in after["reason"]
    assert after["huggingface"] == before["huggingface"]
    assert after["huggingface"]["observed_at"] == "2026-11-22T09:00:00Z"


def test_a_warm_run_asks_nothing(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub, clock: FakeClock
) -> None:
    """Within the TTL the cache answers: the same record, no request."""
    first = check(f"[BERT] https://huggingface.co/{BERT}", "[Gone] https://hf.co/nobody/nothing")
    clock.advance(hours=12)
    second = check(f"[BERT] https://huggingface.co/{BERT}", "[Gone] https://hf.co/nobody/nothing")
    assert second == first
    assert len(hub.requests) == 2


# The token


def test_the_token_goes_to_the_hub_api_only_and_into_no_output(
    apis: Apis,
    hub: FakeHub,
    tmp_path: Path,
    settings_for: Any,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HF_TOKEN is sent with every Hub API request and with no other request (GitHub, arXiv),
    and appears in no log line (debug included), record or cache byte."""
    apis.arxiv.known = {"2401.10774"}
    apis.github.add("QwenLM/Qwen-VL")
    digest = tmp_path / "week.txt"
    digest.write_text(
        f"[BERT] https://huggingface.co/{BERT}\n[Qwen] https://github.com/QwenLM/Qwen-VL\n"
        "[MEDUSA] https://arxiv.org/abs/2401.10774\n[Gone] https://hf.co/nobody/nothing\n",
        encoding="utf-8",
    )
    caplog.set_level(logging.DEBUG)
    settings = settings_for(digest, hf_api_url=apis.github_url, hf_token=CANARY)
    assert CANARY not in repr(settings)
    run(settings, clocks=clock.clocks())
    assert {r["authorization"] for r in hub.requests} == {f"Bearer {CANARY}"}
    others = [request for request, _ in apis.server.log if not API_PATHS.match(request.path)]
    assert others and all(CANARY not in str(request.headers) for request in others)
    assert CANARY not in caplog.text
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"week.enriched.json", CACHE_FILE} <= {p.name for p in written}
    assert [str(p) for p in written if CANARY.encode() in p.read_bytes()] == []


@pytest.mark.skipif(not INTEGRATED, reason="cli does not blank HF_TOKEN yet (hf-integration.md)")
def test_the_token_is_in_no_output_at_minus_vv(
    apis: Apis, hub: FakeHub, site: dict[str, str], tmp_path: Path
) -> None:
    """A -vv CLI run (httpcore's lines include response headers) against a Hub answer that
    echoes the token in a header and its body: the token is in no output and no file."""

    def echo(request: Any) -> Response:
        auth = request.headers.get("Authorization", "")
        return Response(f"<html>{auth}</html>", status=200, headers={"X-Echo": auth},
                        content_type="text/html")  # fmt: skip

    hub.special["/api/models/hostile/echo"] = echo
    folder = Path(site["FOLDER"])
    with (folder / "week.txt").open("a", encoding="utf-8") as digest:
        digest.write(f"[Echo] https://huggingface.co/hostile/echo\n[BERT] https://hf.co/{BERT}\n")
    result = enricher(
        str(folder), "-vv", "--allow-private", "--format", "json", cwd=tmp_path,
        env={**site, "ENRICHER_HF_API_URL": apis.github_url, "HF_TOKEN": CANARY},
    )  # fmt: skip
    assert "receive_response_headers" in result.stderr, "httpcore debug logging was not on"
    assert CANARY not in result.stdout and CANARY not in result.stderr
    assert REDACTED in result.stderr, "the echoed header was logged, blanked"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [str(p) for p in written if CANARY.encode() in p.read_bytes()] == []
    record = json.loads((folder / "week.enriched.json").read_text(encoding="utf-8"))
    reasons = {link["label"]: link["reason"] for link in record["links"]}
    assert "an HTML page, not Hub JSON" in reasons["Echo"]
    assert {r["authorization"] for r in hub.requests} == {f"Bearer {CANARY}"}


def test_no_token_no_authorization_header(
    check: Callable[..., list[dict[str, Any]]], hub: FakeHub
) -> None:
    check(f"[BERT] https://huggingface.co/{BERT}")
    assert [r["authorization"] for r in hub.requests] == [""]


def test_an_error_quoting_the_token_is_blanked() -> None:
    """Whatever the HTTP library's error quotes, the token is blanked out of the reason."""

    def echo(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(
            f"proxy refused {request.headers['authorization']}", request=request
        )

    results, _, _ = fetch_all([echo], [MODELS[0]], token=CANARY)
    failure = results[0]
    assert isinstance(failure, Unanswered) and failure.network_level
    assert CANARY not in failure.reason and REDACTED in failure.reason


# The pure parts


def test_license_comes_from_the_card_then_the_tags() -> None:
    """``license_name`` names an ``other`` license; a ``license:`` tag stands in for no card."""
    assert repo_from_json("model", {"id": "a/b", "tags": ["license:mit"]}).license == "mit"
    other = {"id": "a/b", "cardData": {"license": "other", "license_name": "llama3"}}
    assert repo_from_json("model", other).license == "llama3"
    both = {"id": "a/b", "cardData": {"license": ["mit", "apache-2.0"]}}
    assert repo_from_json("model", both).license == "mit, apache-2.0"
    with pytest.raises(UnreadableAnswer, match="license"):
        repo_from_json("model", {"id": "a/b", "cardData": {"license": 3}})


def test_a_paper_answer_keeps_its_code_and_project_links() -> None:
    paper = repo_from_json("paper", hf_fixture("paper.json"))
    assert paper.code_url == "https://github.com/FasterDecoding/Medusa"
    assert paper.project_url == "https://sites.google.com/view/medusa-llm"
    unsafe = repo_from_json("paper", {"id": "2401.10774", "githubRepo": "javascript:alert(1)"})
    assert unsafe.code_url is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("  two\n\tlines  ", "two lines"),
        ("word " * 100, ("word " * 59).strip() + "…"),
        ("", None),
        (None, None),
    ],
    ids=["short", "whitespace", "long", "empty", "none"],
)
def test_short_descriptions(text: str | None, expected: str | None) -> None:
    result = short(text)
    assert result == expected
    assert result is None or len(result) <= 300


@pytest.mark.parametrize(
    ("headers", "remaining", "reset", "policy"),
    [
        ({"RateLimit": '"api";r=487;t=142', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'},
         487, 142.0, "500 requests per 300 s"),
        ({"ratelimit": '"api";r=0;t=17'}, 0, 17.0, ""),
        ({"RateLimit": '"pages";r=9;t=1, "api";r=3;t=40'}, 3, 40.0, ""),
        ({"RateLimit": "r=5;t=9"}, 5, 9.0, ""),
    ],
    ids=["hub-form", "lower-case", "several-buckets", "unnamed"],
)  # fmt: skip
def test_rate_limit_headers_are_read(
    headers: dict[str, str], remaining: int, reset: float, policy: str
) -> None:
    quota = parse_quota(httpx.Headers(headers))
    assert quota is not None
    assert (quota.remaining, quota.reset_s, quota.describe()) == (remaining, reset, policy)
    assert quota.is_spent == (remaining == 0)


@pytest.mark.parametrize(
    "value",
    [None, "", "garbage", '"api";r=-1;t=x', '"api";r=99999999999999999'],
)
def test_unusable_rate_limit_headers_are_no_quota(value: str | None) -> None:
    headers = httpx.Headers({} if value is None else {"RateLimit": value})
    assert parse_quota(headers) is None


# The cache codec

FACTS = {
    "model": (HubTarget("model", BERT), repo_from_json("model", hf_fixture("model.json"))),
    "gated": (HubTarget("model", "m/l"), HubRepo("model", "m/l", gated=True)),
    "moved": (HubTarget("model", "KB/x"), HubRepo("model", "KBLab/x", likes=3)),
    "missing": (HubTarget("space", "a/b"), HubMissing(401, "RepoNotFound")),
    "paper": (HubTarget("paper", "2401.10774"), repo_from_json("paper", hf_fixture("paper.json"))),
}


@pytest.mark.parametrize(("target", "fact"), FACTS.values(), ids=list(FACTS))
def test_a_fact_from_the_cache_gives_the_same_verdict_and_record(
    target: HubTarget, fact: HubRepo | HubMissing
) -> None:
    """encode -> JSON -> decode is the identity, so a warm run judges and writes alike."""
    payload = json.loads(json.dumps(HUGGINGFACE.encode(fact)))
    decoded = HUGGINGFACE.decode(payload)
    assert decoded == fact
    fresh, cached = Observed(fact, NOW), Observed(decoded, NOW)
    assert HUGGINGFACE.verdict(target, cached) == HUGGINGFACE.verdict(target, fresh)
    assert HUGGINGFACE.metadata(target, decoded) == HUGGINGFACE.metadata(target, fact)


def test_a_payload_from_another_version_is_a_miss() -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        HUGGINGFACE.decode({"repo": {"type": "collection", "id": "x"}})
    with pytest.raises((KeyError, TypeError, ValueError)):
        HUGGINGFACE.decode({"something": {}})


def test_record_object_keys_are_in_their_documented_order() -> None:
    assert list(hub_json(HubRepo("model", "a/b"))) == [
        "type", "id", "author", "downloads", "likes", "pipeline_tag", "library_name", "license",
        "gated", "last_modified", "description", "title",
    ]  # fmt: skip


def test_a_moved_repository_verdict() -> None:
    verdict = HUGGINGFACE.verdict(
        HubTarget("dataset", "old/x"), Observed(HubRepo("dataset", "new/x"), NOW)
    )
    assert verdict.status is Status.REDIRECTED
    assert verdict.suggested_url == "https://huggingface.co/datasets/new/x"


@pytest.mark.parametrize(
    "url",
    ["https://huggingface.co/transformers/model_doc/bert.html",
     "https://huggingface.co/course/chapter1/1", "https://huggingface.co/hub/models-uploading"],
)  # fmt: skip
def test_old_documentation_and_course_pages_stay_web_links(url: str) -> None:
    """Widely cited pages that now redirect to /docs and /learn: no repository to look up."""
    from enricher.authorities import classify

    assert classify(url).kind == "web"
