"""Verdicts: from what was observed to one honest status per link."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from enricher.authorities.arxiv import ARXIV
from enricher.authorities.github import GITHUB
from enricher.authorities.web import web_verdict
from enricher.models import (
    ArxivTarget,
    FailureKind,
    FetchFailure,
    FetchOutcome,
    GithubTarget,
    HttpFacts,
    Observed,
    Paper,
    Redirect,
    Repo,
    Status,
    Verdict,
)
from enricher.net.checker import is_transient
from enricher.verdicts import parse_retry_after
from tests import samples

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)


def arxiv_verdict(target: ArxivTarget, paper: Paper | None, when: datetime) -> Verdict:
    return ARXIV.verdict(target, Observed(paper, when))


def github_verdict(target: GithubTarget, repo: Repo | None, when: datetime) -> Verdict:
    return GITHUB.verdict(target, Observed(repo, when))
URL = "https://example.com/page"
NEW_URL = "https://example.com/new-page"


# --- web pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (HttpFacts(200, URL), Status.OK),
        (HttpFacts(204, URL), Status.OK),
        (HttpFacts(200, NEW_URL, (Redirect(302, NEW_URL),)), Status.OK),
        (HttpFacts(200, NEW_URL, (Redirect(307, NEW_URL),)), Status.OK),
        (HttpFacts(404, URL), Status.BROKEN),
        (HttpFacts(410, URL), Status.BROKEN),
        (HttpFacts(404, NEW_URL, (Redirect(301, NEW_URL),)), Status.BROKEN),
        (HttpFacts(401, URL), Status.BLOCKED),
        (HttpFacts(403, URL), Status.BLOCKED),
        (HttpFacts(429, URL, retry_after_s=120.0), Status.BLOCKED),
        (HttpFacts(999, URL), Status.BLOCKED),
        (HttpFacts(403, URL, headers=(("cf-mitigated", "challenge"),)), Status.BLOCKED),
        (HttpFacts(503, URL, headers=(("cf-mitigated", "challenge"),)), Status.BLOCKED),
        (HttpFacts(405, URL), Status.BLOCKED),
        (HttpFacts(500, URL), Status.UNREACHABLE),
        (HttpFacts(503, URL, attempts=3), Status.UNREACHABLE),
    ],
    ids=[
        "200-ok", "204-ok", "302-then-200-ok", "307-then-200-ok", "404-broken", "410-broken",
        "301-then-404-broken", "401-blocked", "403-blocked", "429-blocked", "999-blocked",
        "cf-challenge-403-blocked", "cf-challenge-503-blocked", "405-blocked",
        "500-unreachable", "503-unreachable",
    ],
)  # fmt: skip
def test_web_verdict_from_http_answer(outcome: HttpFacts, status: Status) -> None:
    """Only 404/410 call a page broken; refusals are blocked, server errors unreachable."""
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is status
    assert verdict.http_status == outcome.status_code
    assert verdict.final_url == outcome.final_url
    assert verdict.redirects == outcome.redirects
    assert verdict.checked_at == NOW
    assert verdict.suggested_url is None
    assert verdict.network_level_failure is False
    if status is not Status.OK:
        assert verdict.reason


@pytest.mark.parametrize(
    "hops",
    [
        (Redirect(301, NEW_URL),),
        (Redirect(308, NEW_URL),),
        (Redirect(301, "https://example.com/https"), Redirect(301, NEW_URL)),
    ],
    ids=["301-then-200", "308-then-200", "301-then-301-then-200"],
)
def test_permanent_redirect_to_live_page_suggests_the_new_url(
    hops: tuple[Redirect, ...],
) -> None:
    """A permanent move to a working page is 'redirected' and suggests the final URL (a
    302 first is no move of the link's: ``test_checker``)."""
    verdict = web_verdict(HttpFacts(200, NEW_URL, hops), NOW)
    assert verdict.status is Status.REDIRECTED
    assert verdict.suggested_url == NEW_URL
    assert verdict.final_url == NEW_URL
    assert verdict.redirects == hops
    assert verdict.reason is not None and NEW_URL in verdict.reason


@pytest.mark.parametrize(
    ("kind", "network_level"),
    [
        (FailureKind.TIMEOUT, True),
        (FailureKind.CONNECT, True),
        (FailureKind.TLS, False),
        (FailureKind.PROTOCOL, False),
    ],
    ids=["timeout", "connect", "tls", "protocol"],
)
def test_failures_without_an_answer_are_unreachable(kind: FailureKind, network_level: bool) -> None:
    """Nothing answered: unreachable, no observation time, and network-level when nobody replied."""
    verdict = web_verdict(FetchFailure(kind, "it failed"), NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.checked_at is None
    assert verdict.http_status is None
    assert verdict.network_level_failure is network_level
    assert verdict.reason is not None and "it failed" in verdict.reason


def test_reason_does_not_depend_on_attempts() -> None:
    """Same failure, different attempt counts: same reason, so re-runs write the same record."""
    once = web_verdict(FetchFailure(FailureKind.TIMEOUT, "timed out", attempts=1), NOW)
    thrice = web_verdict(FetchFailure(FailureKind.TIMEOUT, "timed out", attempts=3), NOW)
    assert once == thrice


@pytest.mark.parametrize(
    "kind",
    [FailureKind.REDIRECT_LOOP, FailureKind.TOO_MANY_REDIRECTS],
    ids=["redirect-loop", "too-many-redirects"],
)
def test_redirect_loops_are_broken(kind: FailureKind) -> None:
    """A page that only ever redirects can never be reached: broken, with the chain kept."""
    hops = (Redirect(302, "https://example.com/a"), Redirect(302, "https://example.com/b"))
    verdict = web_verdict(FetchFailure(kind, "redirects forever", hops), NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.redirects == hops
    assert verdict.final_url == "https://example.com/b"
    assert verdict.checked_at == NOW
    assert verdict.reason == "redirects forever"


def test_redirect_to_private_address_is_skipped() -> None:
    """A redirect into a private network is not followed, and the link is skipped, not judged."""
    hops = (Redirect(302, "http://127.0.0.1/admin"),)
    failure = FetchFailure(FailureKind.PRIVATE, "redirect to a private address", hops)
    verdict = web_verdict(failure, NOW)
    assert verdict.status is Status.SKIPPED
    assert verdict.final_url == "http://127.0.0.1/admin"
    assert verdict.network_level_failure is False


# --- arXiv -----------------------------------------------------------------------------------

PAPER = samples.paper(
    latest_version=2,
    title="Medusa: Simple LLM Inference Acceleration Framework with Multiple Decoding Heads",
    abstract="Speculative decoding...",
    abs_url="https://arxiv.org/abs/2401.10774v2",
    pdf_url="https://arxiv.org/pdf/2401.10774v2",
)


@pytest.mark.parametrize("version", [None, 1, 2], ids=["latest", "older-version", "latest-version"])
def test_arxiv_paper_present_is_ok(version: int | None) -> None:
    """A paper the API returned is ok, with its metadata, for any version it has."""
    verdict = arxiv_verdict(ArxivTarget("2401.10774", version), PAPER, NOW)
    assert verdict.status is Status.OK
    assert verdict.final_url == PAPER.abs_url
    assert verdict.checked_at == NOW


def test_arxiv_paper_missing_is_broken() -> None:
    """A paper the API does not know is broken, naming the id."""
    verdict = arxiv_verdict(ArxivTarget("2401.99999"), None, NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.reason is not None and "2401.99999" in verdict.reason
    assert ARXIV.metadata(ArxivTarget("2401.99999"), None) == ("arxiv", None)
    assert verdict.checked_at == NOW


def test_arxiv_cited_version_beyond_latest_is_broken() -> None:
    """Citing v5 of a paper that only has v2 is broken, and the reason names the version."""
    verdict = arxiv_verdict(ArxivTarget("2401.10774", 5), PAPER, NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.reason is not None
    assert "v5" in verdict.reason
    assert "v2" in verdict.reason


# --- GitHub ----------------------------------------------------------------------------------

REPO = samples.repo(
    description="Qwen-VL",
    topics=("llm",),
    pushed_at="2024-01-01T00:00:00Z",
)


@pytest.mark.parametrize(
    ("owner", "repo"),
    [("QwenLM", "Qwen-VL"), ("qwenlm", "qwen-vl"), ("QWENLM", "QWEN-VL")],
    ids=["same-case", "lower-case", "upper-case"],
)
def test_github_repo_with_same_name_in_any_case_is_ok(owner: str, repo: str) -> None:
    """GitHub names are case-insensitive: a differently-cased link is not a move."""
    verdict = github_verdict(GithubTarget(owner, repo), REPO, NOW)
    assert verdict.status is Status.OK
    assert verdict.suggested_url is None
    assert verdict.checked_at == NOW


def test_github_renamed_repo_is_redirected_to_its_new_home() -> None:
    """A repository answering under another full name moved: redirected, suggesting html_url."""
    moved = replace(
        REPO, full_name="crewAIInc/crewAI", html_url="https://github.com/crewAIInc/crewAI"
    )
    verdict = github_verdict(GithubTarget("joaomdmoura", "crewAI"), moved, NOW)
    assert verdict.status is Status.REDIRECTED
    assert verdict.suggested_url == "https://github.com/crewAIInc/crewAI"


def test_github_missing_repo_is_broken() -> None:
    """A repository the API does not return is broken, naming it."""
    verdict = github_verdict(GithubTarget("nobody", "nothing"), None, NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.reason is not None and "nobody/nothing" in verdict.reason
    assert GITHUB.metadata(GithubTarget("nobody", "nothing"), None) == ("github", None)


# --- Retry-After and transience --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
    ids=["delta-seconds", "padded", "http-date-30s-ahead", "http-date-past", "garbage",
         "empty", "absent"],
)  # fmt: skip
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    """Retry-After as seconds or an HTTP date becomes a wait relative to now; junk is ignored."""
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("outcome", "transient"),
    [
        (HttpFacts(404, URL), False),
        (HttpFacts(410, URL), False),
        (HttpFacts(429, URL), True),
        (HttpFacts(503, URL), True),
        (HttpFacts(500, URL), True),
        (HttpFacts(501, URL), False),
        (HttpFacts(408, URL), True),
        (HttpFacts(200, URL), False),
        (HttpFacts(403, URL), False),
        (FetchFailure(FailureKind.TIMEOUT, "t"), True),
        (FetchFailure(FailureKind.CONNECT, "c"), True),
        (FetchFailure(FailureKind.REDIRECT_LOOP, "r"), False),
        (FetchFailure(FailureKind.TLS, "t"), False),
    ],
    ids=[
        "404", "410", "429", "503", "500", "501", "408", "200", "403", "timeout", "connect",
        "redirect-loop", "tls",
    ],
)  # fmt: skip
def test_is_transient(outcome: FetchOutcome, transient: bool) -> None:
    """Only answers that may change a moment later are retried; 'not found' never is."""
    assert is_transient(outcome) is transient
