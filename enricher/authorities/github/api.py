"""The GitHub edge: repository metadata from the REST API (``GET /repos/{owner}/{repo}``).

The token (``GITHUB_TOKEN``) lives only in this client's headers, whose base URL is the API;
``net.api_client`` follows redirects on that origin only, reads bodies with a cap and blanks
the token out of every message. What is GitHub's own is here: the repository object, ETag
revalidation, and its quotas (the hourly one in ``x-ratelimit-*``, and the secondary limit
that answers 403 with a Retry-After).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx

from ...errors import RateLimited, UpstreamError
from ...models import GithubTarget, Repo, Unanswered
from ...net.api_client import MAX_REDIRECTS, ApiAnswer, ApiClient
from ...net.bodies import ACCEPT_ENCODING
from ...net.context import NetContext
from ...net.quota import QuotaWait
from ...verdicts import MAX_RETRY_AFTER_S, is_transient_status
from ..json_fields import (
    UnreadableAnswer,
    body_json,
    get_count,
    get_flag,
    get_object,
    get_strings,
    get_text,
    shown,
)

SERVICE = "github"
"""The name requests are counted under (``RunSummary.requests``)."""
API_VERSION = "2022-11-28"
MAX_IN_FLIGHT = 4
"""Concurrent API requests; GitHub asks clients not to hammer it in parallel."""


def repo_from_json(data: object) -> Repo:
    """The fields we keep from a repository object; tolerant of nulls and missing keys.

    Raises ``UnreadableAnswer`` naming the first thing that is not what GitHub sends.
    """
    if not isinstance(data, dict):
        raise UnreadableAnswer(f"JSON {type(data).__name__}, not a repository object")
    full_name = data.get("full_name")
    if not isinstance(full_name, str) or full_name.count("/") != 1:
        raise UnreadableAnswer(f"full_name is {shown(full_name)}, not owner/name")
    html_url = data.get("html_url")
    if not isinstance(html_url, str):
        raise UnreadableAnswer(f"html_url is {shown(html_url)}, not a string")
    return Repo(
        full_name=full_name,
        html_url=html_url,
        description=get_text(data, "description"),
        stars=get_count(data, "stargazers_count") or 0,
        forks=get_count(data, "forks_count") or 0,
        open_issues=get_count(data, "open_issues_count") or 0,
        topics=tuple(get_strings(data, "topics")),
        license=get_text(get_object(data, "license"), "spdx_id"),
        language=get_text(data, "language"),
        archived=get_flag(data, "archived"),
        fork=get_flag(data, "fork"),
        created_at=get_text(data, "created_at"),
        pushed_at=get_text(data, "pushed_at"),
        homepage=get_text(data, "homepage"),
        default_branch=get_text(data, "default_branch"),
    )


def repo_from_body(body: bytes, content_type: str) -> Repo:
    """``repo_from_json`` of a raw answer; ``UnreadableAnswer`` says what the body is instead."""
    return repo_from_json(body_json(body, content_type, "repository JSON"))


@dataclass(frozen=True, slots=True)
class RepoAnswer:
    """What the API said about one repository."""

    repo: Repo | None
    """The repository, or None when GitHub says there is none (404)."""
    etag: str | None = None
    not_modified: bool = False
    """304 to our If-None-Match: the cached repository still holds (and cost no quota)."""


def _reset_time(header: str, now: datetime) -> datetime:
    """``x-ratelimit-reset`` (epoch seconds) as a time; ``now`` when it is not a usable one."""
    if not (header.isascii() and header.isdigit()):
        return now
    try:
        return datetime.fromtimestamp(int(header), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):  # year out of range
        return now


def _quota_exhausted(response: ApiAnswer) -> bool:
    return (
        response.status_code in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0"
    )


class GithubApi:
    """Fetches repositories, with retries, ETag revalidation and rate-limit awareness."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        context: NetContext,
        *,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._api = ApiClient(
            client, context, service=SERVICE, name="GitHub API",
            gate=lambda: in_flight, ready=lambda: self._quota.wait(), veto=self._spent,
            max_redirects=max_redirects,
        )  # fmt: skip
        self._clock = context.clocks.now
        self._quota = QuotaWait(
            context.clocks.now, context.clocks.sleep, context.settings.rate_limit_wait_s
        )

    @staticmethod
    def headers(token: str | None) -> dict[str, str]:
        """Headers for the API client; the token only when one is set."""
        headers = {
            "Accept": "application/vnd.github+json",
            "Accept-Encoding": ACCEPT_ENCODING,
            "X-GitHub-Api-Version": API_VERSION,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def fetch(self, target: GithubTarget, etag: str | None = None) -> RepoAnswer | Unanswered:
        """Look up one repository; a failure (after retries, quota waits) is ``Unanswered``."""
        answer = await self._fetch(target, etag)
        if isinstance(answer, UpstreamError):
            asked = not isinstance(answer, RateLimited)  # a spent quota asked nothing
            return Unanswered(str(answer), network_level=answer.status is None, asked=asked)
        return answer

    async def _fetch(self, target: GithubTarget, etag: str | None) -> RepoAnswer | UpstreamError:
        path = f"/repos/{quote(target.owner, safe='')}/{quote(target.repo, safe='')}"
        response = await self._get_with_quota(path, etag)
        if isinstance(response, UpstreamError):
            return response
        status = response.status_code
        if status == 304:
            return RepoAnswer(None, etag, not_modified=True)
        if status == 404:
            return RepoAnswer(None)
        if status == 200:
            try:
                repo = repo_from_body(response.body, response.headers.get("content-type", ""))
            except UnreadableAnswer as exc:
                # Not retried (the same answer would come back) and, being a failure, never
                # cached: the next run asks again.
                return self._api.error(path, status, f"GitHub API sent an unreadable answer: {exc}")
            return RepoAnswer(repo, response.headers.get("etag"))
        return self._api.error(path, status, f"GitHub API answered HTTP {status}")

    async def _get_with_quota(self, path: str, etag: str | None) -> ApiAnswer | UpstreamError:
        for _ in range(2):  # at most one wait for a quota reset per repository
            if self._quota.spent:
                return self._quota_error(path)
            await self._quota.wait()
            response = await self._get_with_retries(path, etag)
            if isinstance(response, UpstreamError) or not _quota_exhausted(response):
                return response
            reset = response.headers.get("x-ratelimit-reset", "")
            if not self._quota.ran_out(_reset_time(reset, self._clock())):
                return self._quota_error(path)
        return self._quota_error(path)

    def _spent(self, path: str) -> RateLimited | None:
        """Checked again once a request has its slot: the quota may have run out while it
        waited."""
        return self._quota_error(path) if self._quota.spent else None

    def _quota_error(self, path: str) -> RateLimited:
        until = self._quota.spent_until
        when = f" until {until:%H:%M} UTC" if until is not None else ""
        return RateLimited(
            SERVICE, path, 403, 1,
            f"GitHub API rate limit exhausted{when}; set GITHUB_TOKEN for a larger quota",
        )  # fmt: skip

    async def _get_with_retries(self, path: str, etag: str | None) -> ApiAnswer | UpstreamError:
        def retry_answer(answer: ApiAnswer) -> bool:
            if _quota_exhausted(answer):
                return False  # handled by waiting for the reset, not by retrying
            secondary = answer.status_code == 403 and self._api.retry_after(answer) is not None
            return secondary or is_transient_status(answer.status_code)

        headers = {"If-None-Match": etag} if etag else None
        result, attempts = await self._api.get(path, headers=headers, retry_answer=retry_answer)
        if isinstance(result, UpstreamError):
            return result
        status = result.status_code
        hint = self._api.retry_after(result)
        if status in (403, 429) and hint is not None and hint > MAX_RETRY_AFTER_S:
            # A secondary rate limit asking for a long pause: GitHub may block clients that
            # keep sending, so every other repository of this run stops asking too.
            self._quota.stop_until(self._clock() + timedelta(seconds=hint))
            return RateLimited(
                SERVICE, path, status, 1,
                f"GitHub API secondary rate limit: asked to wait {hint:.0f} s",
            )  # fmt: skip
        if status >= 500 or (status in (403, 429) and not _quota_exhausted(result)):
            return self._api.error(path, status, f"GitHub API answered HTTP {status}", attempts)
        return result
