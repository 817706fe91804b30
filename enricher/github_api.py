"""The GitHub edge: repository metadata from the REST API (``GET /repos/{owner}/{repo}``).

The token (``GITHUB_TOKEN``) lives only in this client's headers, whose base URL is the API;
httpx drops ``Authorization`` on a redirect to another origin, so it cannot leak elsewhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx

from .errors import RateLimited, UpstreamError
from .models import GithubTarget, Repo
from .net import describe_http_error
from .netwatch import NetworkWatch
from .retries import AsyncSleep, async_retrying
from .verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after

API_VERSION = "2022-11-28"
MAX_IN_FLIGHT = 4
"""Concurrent API requests; GitHub asks clients not to hammer it in parallel."""


def repo_from_json(data: dict[str, Any]) -> Repo:
    """The fields we keep from a repository object; tolerant of nulls and missing keys."""
    license_info = data.get("license") or {}
    return Repo(
        full_name=str(data["full_name"]),
        html_url=str(data["html_url"]),
        description=data.get("description") or None,
        stars=int(data.get("stargazers_count") or 0),
        forks=int(data.get("forks_count") or 0),
        open_issues=int(data.get("open_issues_count") or 0),
        topics=tuple(data.get("topics") or ()),
        license=license_info.get("spdx_id") or None,
        language=data.get("language") or None,
        archived=bool(data.get("archived", False)),
        fork=bool(data.get("fork", False)),
        created_at=data.get("created_at"),
        pushed_at=data.get("pushed_at"),
        homepage=data.get("homepage") or None,
        default_branch=data.get("default_branch"),
    )


@dataclass(frozen=True, slots=True)
class RepoAnswer:
    """What the API said about one repository."""

    repo: Repo | None
    """The repository, or None when GitHub says there is none (404)."""
    etag: str | None = None
    not_modified: bool = False
    """304 to our If-None-Match: the cached repository still holds (and cost no quota)."""


def _quota_exhausted(response: httpx.Response) -> bool:
    return (
        response.status_code in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0"
    )


class GithubApi:
    """Fetches repositories, with retries, ETag revalidation and rate-limit awareness."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        attempts: int,
        retry_budget_s: float,
        rate_limit_wait_s: float,
        watch: NetworkWatch,
        sleep: AsyncSleep,
        clock: Callable[[], datetime],
    ) -> None:
        self._client = client
        self._attempts = attempts
        self._retry_budget_s = retry_budget_s
        self._rate_limit_wait_s = rate_limit_wait_s
        self._watch = watch
        self._sleep = sleep
        self._clock = clock
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._quota_lock = asyncio.Lock()
        self._exhausted_until: datetime | None = None
        """The quota is spent until then, too far off to wait: fail fast."""
        self._resume_at: datetime | None = None
        """The quota resets soon: requests wait until then."""

    @staticmethod
    def headers(token: str | None) -> dict[str, str]:
        """Headers for the API client; the token only when one is set."""
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def fetch(self, target: GithubTarget, etag: str | None = None) -> RepoAnswer:
        """Look up one repository; raises ``UpstreamError`` (or ``RateLimited``) on failure."""
        path = f"/repos/{quote(target.owner, safe='')}/{quote(target.repo, safe='')}"
        response = await self._get_with_quota(path, etag)
        if isinstance(response, Exception):
            raise response
        status = response.status_code
        if status == 304:
            return RepoAnswer(None, etag, not_modified=True)
        if status == 404:
            return RepoAnswer(None)
        if status == 200:
            try:
                repo = repo_from_json(response.json())
            except (ValueError, KeyError, TypeError) as exc:
                raise UpstreamError(
                    "github", path, status, 1, f"GitHub API sent an unreadable repository: {exc}"
                ) from exc
            return RepoAnswer(repo, response.headers.get("etag"))
        raise UpstreamError("github", path, status, 1, f"GitHub API answered HTTP {status}")

    async def _get_with_quota(self, path: str, etag: str | None) -> httpx.Response | UpstreamError:
        for _ in range(2):  # at most one wait for a quota reset per repository
            if self._exhausted_until is not None and self._exhausted_until > self._clock():
                return self._quota_error(path)
            await self._wait_for_reset()
            response = await self._get_with_retries(path, etag)
            if isinstance(response, UpstreamError) or not _quota_exhausted(response):
                return response
            reset = response.headers.get("x-ratelimit-reset", "")
            now = self._clock()
            until = datetime.fromtimestamp(int(reset), tz=timezone.utc) if reset.isdigit() else now
            if (until - now).total_seconds() > self._rate_limit_wait_s:
                self._exhausted_until = until
                return self._quota_error(path)
            # One shared resume time: however many requests hit the limit, the run waits for
            # the reset once (plus a second for the clocks to agree).
            resume = until + timedelta(seconds=1)
            self._resume_at = max(self._resume_at, resume) if self._resume_at else resume
        return self._quota_error(path)

    async def _wait_for_reset(self) -> None:
        """Hold every request until the quota resets, when a short wait was decided."""
        async with self._quota_lock:
            if self._resume_at is None:
                return
            remaining = (self._resume_at - self._clock()).total_seconds()
            if remaining > 0:
                await self._sleep(remaining)
            self._resume_at = None

    def _quota_error(self, path: str) -> RateLimited:
        until = self._exhausted_until
        when = f" until {until:%H:%M} UTC" if until is not None else ""
        return RateLimited(
            "github", path, 403, 1,
            f"GitHub API rate limit exhausted{when}; set GITHUB_TOKEN for a larger quota",
        )  # fmt: skip

    async def _get_with_retries(
        self, path: str, etag: str | None
    ) -> httpx.Response | UpstreamError:
        def should_retry(outcome: httpx.Response | UpstreamError) -> bool:
            if isinstance(outcome, UpstreamError):
                return outcome.status is None and not self._watch.looks_down
            if _quota_exhausted(outcome):
                return False  # handled by waiting for the reset, not by retrying
            hint = retry_after_of(outcome)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                return False  # asked to stay away longer than we wait: report it
            secondary = outcome.status_code == 403 and hint is not None
            return secondary or is_transient_status(outcome.status_code)

        def retry_after_of(outcome: httpx.Response | UpstreamError) -> float | None:
            if isinstance(outcome, httpx.Response):
                return parse_retry_after(outcome.headers.get("retry-after"), self._clock())
            return None

        retrying = async_retrying(
            attempts=self._attempts,
            budget_s=self._retry_budget_s,
            should_retry=should_retry,
            retry_after_of=retry_after_of,
            sleep=self._sleep,
        )
        result: httpx.Response | UpstreamError = await retrying(self._get_once, path, etag)
        hint = retry_after_of(result)
        if (
            isinstance(result, httpx.Response)
            and result.status_code in (403, 429)
            and hint is not None
            and hint > MAX_RETRY_AFTER_S
        ):
            # A secondary rate limit asking for a long pause: GitHub may block clients that
            # keep sending, so every other repository of this run stops asking too.
            self._exhausted_until = self._clock() + timedelta(seconds=hint)
            return RateLimited(
                "github", path, result.status_code, 1,
                f"GitHub API secondary rate limit: asked to wait {hint:.0f} s",
            )  # fmt: skip
        if isinstance(result, httpx.Response) and (
            result.status_code >= 500
            or (result.status_code in (403, 429) and not _quota_exhausted(result))
        ):
            attempts = int(retrying.statistics.get("attempt_number", 1))
            return UpstreamError(
                "github", path, result.status_code, attempts,
                f"GitHub API answered HTTP {result.status_code}",
            )  # fmt: skip
        return result

    async def _get_once(self, path: str, etag: str | None) -> httpx.Response | UpstreamError:
        headers = {"If-None-Match": etag} if etag else {}
        async with self._in_flight:
            try:
                response = await self._client.get(path, headers=headers)
            except httpx.HTTPError as exc:
                kind, message = describe_http_error(exc)
                if kind.is_network_level:
                    self._watch.failed(self._client.base_url.host)
                return UpstreamError("github", path, None, 1, f"GitHub API {message}")
        self._watch.answered()
        return response
