"""The GitHub edge: repository metadata from the REST API (``GET /repos/{owner}/{repo}``).

The token (``GITHUB_TOKEN``) lives only in this client's headers, whose base URL is the API.
Redirects are followed here, not by httpx, and only while they stay on the API's origin: the
token never goes anywhere else, and no redirect body is read at all. Every message this module
writes has the token blanked out, whatever a server or a library put in it.

Answers are read as they arrive and decompressed here, at most ``max_response_bytes`` of them
(after decompression): a huge body or a gzip bomb costs the cap, not the body.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx

from ...config import format_size
from ...errors import RateLimited, UpstreamError
from ...models import GithubTarget, Repo, Unanswered
from ...net.bodies import ACCEPT_ENCODING, TooLarge, read_capped
from ...net.context import NetContext
from ...net.http_errors import describe_http_error
from ...net.redact import redact, secret_forms
from ...net.retries import async_retrying
from ...verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after

API_VERSION = "2022-11-28"
MAX_IN_FLIGHT = 4
"""Concurrent API requests; GitHub asks clients not to hammer it in parallel."""
MAX_REDIRECTS = 5
"""Redirects followed per lookup; GitHub sends one, for a renamed repository."""
_SHOWN_VALUE_CHARS = 40
"""How much of a bad value a reason quotes: enough to recognise, never a page."""
class UnreadableRepo(ValueError):
    """A 200 answer that is not a repository object; the message says what is wrong."""


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[: _SHOWN_VALUE_CHARS - 3] + "..."


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise UnreadableRepo(f"{key} is {_shown(value)}, not a string")


def _count(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnreadableRepo(f"{key} is {_shown(value)}, not a number")
    return value


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise UnreadableRepo(f"{key} is {_shown(value)}, not true or false")
    return value


def repo_from_json(data: object) -> Repo:
    """The fields we keep from a repository object; tolerant of nulls and missing keys.

    Raises ``UnreadableRepo`` naming the first thing that is not what GitHub sends: a value
    of the wrong type is never coerced (``str(123)`` as a name, ``tuple("ml")`` as topics).
    """
    if not isinstance(data, dict):
        raise UnreadableRepo(f"JSON {type(data).__name__}, not a repository object")
    full_name = data.get("full_name")
    if not isinstance(full_name, str) or full_name.count("/") != 1:
        raise UnreadableRepo(f"full_name is {_shown(full_name)}, not owner/name")
    html_url = data.get("html_url")
    if not isinstance(html_url, str):
        raise UnreadableRepo(f"html_url is {_shown(html_url)}, not a string")
    topics = data.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise UnreadableRepo(f"topics is {_shown(topics)}, not a list of strings")
    license_info = data.get("license") or {}
    if not isinstance(license_info, dict):
        raise UnreadableRepo(f"license is {_shown(license_info)}, not an object")
    return Repo(
        full_name=full_name,
        html_url=html_url,
        description=_optional_text(data, "description"),
        stars=_count(data, "stargazers_count"),
        forks=_count(data, "forks_count"),
        open_issues=_count(data, "open_issues_count"),
        topics=tuple(topics),
        license=_optional_text(license_info, "spdx_id"),
        language=_optional_text(data, "language"),
        archived=_flag(data, "archived"),
        fork=_flag(data, "fork"),
        created_at=_optional_text(data, "created_at"),
        pushed_at=_optional_text(data, "pushed_at"),
        homepage=_optional_text(data, "homepage"),
        default_branch=_optional_text(data, "default_branch"),
    )


def repo_from_body(body: bytes, content_type: str) -> Repo:
    """``repo_from_json`` of a raw answer; ``UnreadableRepo`` says what the body is instead."""
    if not body.strip():
        raise UnreadableRepo("an empty answer, not repository JSON")
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise UnreadableRepo("JSON nested too deeply to be a repository") from exc
    except ValueError as exc:  # UnicodeDecodeError included
        html = "html" in content_type.lower() or body.lstrip()[:1] == b"<"
        what = "an HTML page" if html else "something that is not JSON"
        raise UnreadableRepo(f"{what}, not repository JSON") from exc
    return repo_from_json(data)


@dataclass(frozen=True, slots=True)
class _Answer:
    """One HTTP answer as read: status, headers and (for a 200 only) the decoded body."""

    status_code: int
    headers: httpx.Headers
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class RepoAnswer:
    """What the API said about one repository."""

    repo: Repo | None
    """The repository, or None when GitHub says there is none (404)."""
    etag: str | None = None
    not_modified: bool = False
    """304 to our If-None-Match: the cached repository still holds (and cost no quota)."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _host_port(url: httpx.URL) -> str:
    """Where a URL points, without its path or query (which may carry anything)."""
    return f"{url.host}:{url.port}" if url.port is not None else url.host


def _reset_time(header: str, now: datetime) -> datetime:
    """``x-ratelimit-reset`` (epoch seconds) as a time; ``now`` when it is not a usable one."""
    if not (header.isascii() and header.isdigit()):
        return now
    try:
        return datetime.fromtimestamp(int(header), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):  # year out of range
        return now


def _quota_exhausted(response: _Answer) -> bool:
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
        settings = context.settings
        self._client = client
        self._max_response_bytes = settings.max_response_bytes
        self._max_redirects = max_redirects
        self._secrets = secret_forms(client.headers.get("authorization", ""))
        """The token in every form a message might hold it: blanked out of every message."""
        self._attempts = settings.attempts
        self._retry_budget_s = settings.retry_budget_s
        self._rate_limit_wait_s = settings.rate_limit_wait_s
        self._watch = context.watch
        self._sleep = context.clocks.sleep
        self._clock = context.clocks.now
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._quota_lock = asyncio.Lock()
        self._exhausted_until: datetime | None = None
        """The quota is spent until then, too far off to wait: fail fast."""
        self._resume_at: datetime | None = None
        """The quota resets soon: requests wait until then."""

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
            except UnreadableRepo as exc:
                # Not retried (the same answer would come back) and, being a failure, never
                # cached: the next run asks again.
                message = self._redact(f"GitHub API sent an unreadable answer: {exc}")
                return UpstreamError("github", path, status, 1, message)
            return RepoAnswer(repo, response.headers.get("etag"))
        return UpstreamError("github", path, status, 1, f"GitHub API answered HTTP {status}")

    def _redact(self, text: str) -> str:
        """``text`` with the token blanked out: servers and libraries may echo headers."""
        return redact(text, self._secrets)

    async def _get_with_quota(self, path: str, etag: str | None) -> _Answer | UpstreamError:
        for _ in range(2):  # at most one wait for a quota reset per repository
            if self._exhausted_until is not None and self._exhausted_until > self._clock():
                return self._quota_error(path)
            await self._wait_for_reset()
            response = await self._get_with_retries(path, etag)
            if isinstance(response, UpstreamError) or not _quota_exhausted(response):
                return response
            reset = response.headers.get("x-ratelimit-reset", "")
            now = self._clock()
            until = _reset_time(reset, now)
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

    async def _get_with_retries(self, path: str, etag: str | None) -> _Answer | UpstreamError:
        def should_retry(outcome: _Answer | UpstreamError) -> bool:
            if isinstance(outcome, UpstreamError):
                return outcome.status is None and not self._watch.looks_down
            if _quota_exhausted(outcome):
                return False  # handled by waiting for the reset, not by retrying
            hint = retry_after_of(outcome)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                return False  # asked to stay away longer than we wait: report it
            secondary = outcome.status_code == 403 and hint is not None
            return secondary or is_transient_status(outcome.status_code)

        def retry_after_of(outcome: _Answer | UpstreamError) -> float | None:
            if isinstance(outcome, _Answer):
                return parse_retry_after(outcome.headers.get("retry-after"), self._clock())
            return None

        retrying = async_retrying(
            attempts=self._attempts,
            budget_s=self._retry_budget_s,
            should_retry=should_retry,
            retry_after_of=retry_after_of,
            sleep=self._sleep,
        )
        result: _Answer | UpstreamError = await retrying(self._get_once, path, etag)
        hint = retry_after_of(result)
        if (
            isinstance(result, _Answer)
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
        if isinstance(result, _Answer) and (
            result.status_code >= 500
            or (result.status_code in (403, 429) and not _quota_exhausted(result))
        ):
            attempts = int(retrying.statistics.get("attempt_number", 1))
            return UpstreamError(
                "github", path, result.status_code, attempts,
                f"GitHub API answered HTTP {result.status_code}",
            )  # fmt: skip
        return result

    async def _get_once(self, path: str, etag: str | None) -> _Answer | UpstreamError:
        headers = {"If-None-Match": etag} if etag else {}
        async with self._in_flight:
            try:
                answer = await self._follow(path, headers)
            except httpx.HTTPError as exc:
                kind, message = describe_http_error(exc)
                if kind.is_network_level:
                    self._watch.failed(self._client.base_url.host)
                return UpstreamError("github", path, None, 1, self._redact(f"GitHub API {message}"))
        if isinstance(answer, _Answer):
            self._watch.answered()
        return answer

    async def _follow(self, path: str, headers: dict[str, str]) -> _Answer | UpstreamError:
        """GET ``path``, following redirects that stay on the API's origin (and no others)."""
        origin = self._client.base_url
        request = self._client.build_request("GET", path, headers=headers)
        status = None
        for _ in range(self._max_redirects + 1):
            response = await self._client.send(request, stream=True, follow_redirects=False)
            status = response.status_code
            try:
                if not response.has_redirect_location:
                    return await self._read(path, response)
                target = request.url.join(response.headers["location"])
            finally:
                await response.aclose()
            if _origin(target) != _origin(origin):
                # Only the API host is trusted with the token and with repository facts.
                return UpstreamError(
                    "github", path, response.status_code, 1,
                    f"GitHub API redirected to another host ({_host_port(target)}); not followed",
                )  # fmt: skip
            request = self._client.build_request("GET", target, headers=headers)
        message = f"GitHub API redirected more than {self._max_redirects} times"
        return UpstreamError("github", path, status, 1, message)

    async def _read(self, path: str, response: httpx.Response) -> _Answer | UpstreamError:
        """The answer; the body is read (capped) only for a 200, the one we parse."""
        if response.status_code != 200:
            return _Answer(response.status_code, response.headers)
        try:
            body = await read_capped(response, self._max_response_bytes)
        except TooLarge:
            size = format_size(self._max_response_bytes)
            return UpstreamError(
                "github", path, 200, 1, f"GitHub API answer larger than {size}; not read"
            )
        return _Answer(200, response.headers, body)
