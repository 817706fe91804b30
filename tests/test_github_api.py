"""The GitHub edge: quota, retries, conditional requests and tolerant parsing."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from enricher.authorities.github.api import GithubApi, RepoAnswer, repo_from_json
from enricher.config import Settings
from enricher.models import GithubTarget, Status, Unanswered
from enricher.net.context import Clocks, NetContext
from enricher.pipeline import run
from tests.conftest import Apis, FakeClock
from tests.fakes import fixture_json, fixture_text

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
API = "https://api.github.test"
TARGET = GithubTarget("twbs", "bootstrap")


def rate_limited(reset_in_s: float) -> httpx.Response:
    reset = int((NOW + timedelta(seconds=reset_in_s)).timestamp())
    return httpx.Response(
        403,
        text=fixture_text("github_rate_limit_exceeded.json"),
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )


def repo_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=fixture_json("github_repo.json"), headers={"ETag": 'W/"abc"'})


def fetch_all(
    answers: list[Any], targets: list[GithubTarget], etag: str | None = None
) -> tuple[list[RepoAnswer | Unanswered], list[httpx.Request], list[float]]:
    """Run GithubApi.fetch for each target against scripted answers; record requests and sleeps."""
    sent: list[httpx.Request] = []
    slept: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request) if callable(answer) else answer

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main() -> list[RepoAnswer | Unanswered]:
        async with httpx.AsyncClient(
            base_url=API, transport=httpx.MockTransport(handler), headers=GithubApi.headers(None)
        ) as client:
            settings = Settings(attempts=3, retry_budget_s=60, rate_limit_wait_s=60)
            api = GithubApi(client, NetContext(settings, Clocks(lambda: NOW, sleep)))
            return [await api.fetch(target, etag) for target in targets]

    return asyncio.run(main()), sent, slept


def test_exhausted_quota_with_a_far_reset_gives_up_at_once() -> None:
    """A quota that resets in an hour is not waited for; later repositories send nothing."""
    results, sent, slept = fetch_all([rate_limited(3600)], [TARGET, GithubTarget("a", "b")])
    assert all(isinstance(r, Unanswered) and "rate limit" in r.reason for r in results)
    assert "rate limit exhausted" in str(results[0]) and "GITHUB_TOKEN" in str(results[0])
    assert len(sent) == 1
    assert slept == []


def test_exhausted_quota_with_a_near_reset_waits_and_retries() -> None:
    """A quota that resets in 10 s is waited for (injected sleep), then the request succeeds."""
    results, sent, slept = fetch_all([rate_limited(10), repo_ok], [TARGET])
    assert isinstance(results[0], RepoAnswer) and results[0].repo is not None
    assert len(sent) == 2
    assert slept == [pytest.approx(11.0)]


def test_secondary_rate_limit_honours_retry_after() -> None:
    """GitHub's secondary limit (403 + Retry-After) is retried after the time it asks."""
    secondary = httpx.Response(
        403, text=fixture_text("github_secondary_rate_limit.json"), headers={"retry-after": "5"}
    )
    results, sent, slept = fetch_all([secondary, repo_ok], [TARGET])
    assert isinstance(results[0], RepoAnswer) and results[0].repo is not None
    assert slept == [5.0]
    assert len(sent) == 2


def test_server_errors_are_retried_then_reported() -> None:
    """Persistent 502s end as Unanswered after the allowed attempts, not as a verdict."""
    results, sent, _ = fetch_all([httpx.Response(502)], [TARGET])
    failure = results[0]
    assert isinstance(failure, Unanswered) and "HTTP 502" in failure.reason
    assert not failure.network_level
    assert len(sent) == 3


def test_not_found_is_an_answer_not_an_error() -> None:
    """404 means no such repository: a value, sent once, never retried."""
    results, sent, _ = fetch_all(
        [httpx.Response(404, text=fixture_text("github_repo_404.json"))], [TARGET]
    )
    assert results == [RepoAnswer(None)]
    assert len(sent) == 1


def test_matching_etag_gives_not_modified() -> None:
    """The stored ETag is sent; a 304 says the cached repository still holds."""
    results, sent, _ = fetch_all([httpx.Response(304)], [TARGET], etag='W/"abc"')
    assert sent[0].headers["if-none-match"] == 'W/"abc"'
    assert isinstance(results[0], RepoAnswer) and results[0].not_modified


def test_repository_with_nulls_parses() -> None:
    """description, homepage, license and language may all be null."""
    repo = repo_from_json(fixture_json("github_repo_nulls.json"))
    assert repo.full_name == "octokit-fixture-org/hello-world"
    assert (repo.description, repo.homepage, repo.license, repo.language) == (
        None,
        None,
        None,
        None,
    )


def test_repository_fields_come_from_the_api() -> None:
    """Stars, forks, SPDX license and topics are taken from the real response format."""
    data = fixture_json("github_repo.json")
    repo = repo_from_json(data)
    assert repo.stars == data["stargazers_count"] and repo.forks == data["forks_count"]
    assert repo.license == "MIT" and "css" in repo.topics


def test_quota_exhausted_run_marks_github_links_unreachable(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """With the quota gone for an hour, GitHub links are unreachable with the reason, not broken."""
    reset = int((clock.now + timedelta(hours=1)).timestamp())
    apis.server.clear()
    apis.server.expect_request("/repos/QwenLM/Qwen-VL").respond_with_data(
        fixture_text("github_rate_limit_exceeded.json"),
        status=403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    digest = tmp_path / "d.txt"
    digest.write_text(
        "[Qwen] https://github.com/QwenLM/Qwen-VL\n[Again] https://github.com/QwenLM/Qwen-VL/issues/1\n",
        encoding="utf-8",
    )
    summary = run(settings_for(digest), clocks=clock.clocks())
    assert summary.counts[Status.UNREACHABLE] == 2 and summary.counts[Status.BROKEN] == 0
    links = json.loads((tmp_path / "d.enriched.json").read_text())["links"]
    assert "rate limit exhausted" in links[0]["reason"]
    assert len(apis.server.log) == 1
    # A spent quota asked GitHub nothing about the repository: no check in its history.
    assert links[0]["first_seen_at"] is None and links[0]["failing_since"] is None
    assert summary.digests[0].links[0].consecutive_failures == 0


def test_many_repositories_wait_for_one_reset_once() -> None:
    """Eight repositories hitting the same short quota reset wait for it once, not eight times."""
    sent: list[httpx.Request] = []
    slept: list[float] = []
    now = [NOW]
    reset_at = NOW + timedelta(seconds=30)

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return rate_limited(30) if now[0] < reset_at else repo_ok(request)

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += timedelta(seconds=seconds)  # the injected clock moves; nothing waits

    async def main() -> list[RepoAnswer | Unanswered]:
        async with httpx.AsyncClient(
            base_url=API, transport=httpx.MockTransport(handler)
        ) as client:
            settings = Settings(attempts=3, retry_budget_s=60, rate_limit_wait_s=60)
            api = GithubApi(client, NetContext(settings, Clocks(lambda: now[0], sleep)))
            targets = [GithubTarget("owner", f"repo{n}") for n in range(8)]
            return list(await asyncio.gather(*(api.fetch(t) for t in targets)))

    answers = asyncio.run(main())
    assert all(isinstance(a, RepoAnswer) and a.repo is not None for a in answers)
    assert slept == [pytest.approx(31.0)]
    assert len(sent) <= 16


def test_long_secondary_limit_stops_every_repository() -> None:
    """A secondary limit asking for 2 minutes is reported as such, and nobody keeps asking."""
    secondary = httpx.Response(
        403, text=fixture_text("github_secondary_rate_limit.json"), headers={"retry-after": "120"}
    )
    targets = [TARGET, GithubTarget("a", "b"), GithubTarget("c", "d")]
    results, sent, slept = fetch_all([secondary], targets)
    assert all(isinstance(r, Unanswered) and "rate limit" in r.reason for r in results)
    assert "secondary rate limit" in str(results[0]) and "120 s" in str(results[0])
    assert len(sent) == 1 and slept == []
