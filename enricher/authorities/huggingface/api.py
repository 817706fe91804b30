"""The Hugging Face edge: ``GET /api/models|datasets|spaces/<repo id>`` and
``GET /api/papers/<arXiv id>`` on the Hub (``--hf-api-url``).

The token (``HF_TOKEN``) lives only in this client's headers, whose base URL is the Hub API.
Redirects (the Hub sends one for a renamed repository) are followed here, not by httpx, and only
while they stay on the API's origin: the token never goes anywhere else. Every message this
module writes has the token blanked out, whatever a server or a library put in it.

Pacing: at most ``MAX_IN_FLIGHT`` requests at once, and the Hub's own quota, read from the
``RateLimit`` header of every answer (``parse.parse_quota``): when the window's requests are
spent, requests wait for its end if that is near (``--rate-limit-wait``), and otherwise every
later lookup of the run is ``Unanswered`` at once, without a request. Answers are read (only a
200's body, the one we parse) up to ``max_response_bytes`` after decompression.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from ...config import Settings, format_size
from ...errors import RateLimited, UpstreamError
from ...models import Unanswered

# The bounded, decompress-as-you-count reader is GitHub's (a gzip bomb costs the cap, not the
# body); it belongs in ``net/`` once both edges use it.
from ...net.bodies import ACCEPT_ENCODING, TooLarge, read_capped
from ...net.context import NetContext, RequestCounter
from ...net.http_errors import describe_http_error
from ...net.redact import redact, secret_forms
from ...net.retries import async_retrying
from ...verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after
from .facts import HubFact, HubMissing, HubRepo, HubTarget, api_path
from .parse import Quota, UnreadableAnswer, from_body, parse_quota

SERVICE = "huggingface"
"""The name requests are counted under (``RunSummary.requests``)."""
MAX_IN_FLIGHT = 3
"""Concurrent API requests. The Hub publishes no concurrency limit, only a per-window quota;
a few at a time keeps a run from spending it in one burst."""
MAX_REDIRECTS = 5
"""Redirects followed per lookup; the Hub sends one, for a renamed repository."""
RESET_MARGIN_S = 1.0
"""Added to a quota reset before asking again, for the clocks to agree."""
GATED = "GatedRepo"
NOT_FOUND = "RepoNotFound"
DISABLED_MESSAGE = "Access to this resource is disabled."
"""The Hub's ``X-Error-Message`` for a repository it has disabled (huggingface_hub's
``DisabledRepoError``)."""


def hub_client(
    settings: Settings, counter: RequestCounter, service: str = SERVICE
) -> httpx.AsyncClient:
    """The one client of a lookup: the Hub API as base URL, the token in its headers only, no
    automatic redirects, every request counted under ``service``."""
    return httpx.AsyncClient(
        base_url=settings.hf_api_url, timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,  # HubApi follows them, on the API's origin only
        headers={"User-Agent": settings.user_agent, **HubApi.headers(settings.hf_token)},
        event_hooks={"request": [counter.hook(service)]},
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Answer:
    """One HTTP answer as read: status, headers and (for a 200 only) the decoded body."""

    status_code: int
    headers: httpx.Headers
    body: bytes = b""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _host_port(url: httpx.URL) -> str:
    """Where a URL points, without its path or query (which may carry anything)."""
    return f"{url.host}:{url.port}" if url.port is not None else url.host


NOT_ASKED_DOWN = "not asked: the network looks down"


class HubApi:
    """Looks up repositories and papers, with retries and the Hub's quota."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        context: NetContext,
        *,
        max_redirects: int = MAX_REDIRECTS,
        extras: bool = False,
    ) -> None:
        settings = context.settings
        self._client = client
        self._extras = extras
        """Lookups that only add to a record (a paper's code links): not sent at all once
        the network looks down, so an offline run does not wait on them."""
        self._max_response_bytes = settings.max_response_bytes
        self._max_redirects = max_redirects
        self._has_token = bool(client.headers.get("authorization"))
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
        self._policy = ""
        """The quota as the Hub last described it (``500 requests per 300 s``), for reasons."""
        self._exhausted_until: datetime | None = None
        """The quota is spent until then, too far off to wait: fail fast."""
        self._resume_at: datetime | None = None
        """The quota comes back soon: requests wait until then."""

    @staticmethod
    def headers(token: str | None) -> dict[str, str]:
        """Headers for the API client; the token only when one is set."""
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def fetch(self, target: HubTarget) -> HubFact | Unanswered:
        """What the Hub says about ``target``: the repository or paper, ``HubMissing``, or
        ``Unanswered`` (after retries and quota waits) when it said nothing usable."""
        answer = await self._fetch(target)
        if isinstance(answer, UpstreamError):
            asked = not isinstance(answer, RateLimited)  # a spent quota asked nothing
            return Unanswered(str(answer), network_level=answer.status is None, asked=asked)
        return answer

    async def _fetch(self, target: HubTarget) -> HubFact | UpstreamError:
        path = api_path(target.type, quote(target.id, safe="/"))
        response = await self._get_with_quota(path)
        if isinstance(response, UpstreamError):
            return response
        status = response.status_code
        code = response.headers.get("x-error-code")
        if status == 200:
            try:
                return from_body(
                    target.type, response.body, response.headers.get("content-type", "")
                )
            except UnreadableAnswer as exc:
                # Not retried (the same answer would come back) and, being a failure, never
                # cached: the next run asks again.
                message = self._redact(f"Hugging Face API sent an unreadable answer: {exc}")
                return UpstreamError(SERVICE, path, status, 1, message)
        if code == GATED:
            # The repository is there; its files wait for the owner's approval.
            return HubRepo(target.type, target.id, gated=True)
        if response.headers.get("x-error-message") == DISABLED_MESSAGE:
            return HubRepo(target.type, target.id, disabled=True)
        if code == NOT_FOUND or (status == 404 and code is None):
            return HubMissing(status, code)
        if status == 401:
            # Not RepoNotFound: the Hub refused the request itself (an invalid or expired
            # token does this to every repository). Nothing was learned about this one.
            fix = "; check HF_TOKEN" if self._has_token else ""
            message = f"Hugging Face API refused the request (HTTP 401){fix}"
            return UpstreamError(SERVICE, path, status, 1, message)
        return UpstreamError(SERVICE, path, status, 1, f"Hugging Face API answered HTTP {status}")

    def _redact(self, text: str) -> str:
        """``text`` with the token blanked out: servers and libraries may echo headers."""
        return redact(text, self._secrets)

    # The quota

    def _spent_for(self, response: _Answer, quota: Quota | None) -> float | None:
        """Seconds until the quota comes back, when this answer says it is spent (a 429, or
        ``r=0``); None when it is not spent, or nobody says for how long."""
        refused = response.status_code == 429
        if not refused and not (quota is not None and quota.is_spent):
            return None
        if quota is not None and quota.reset_s is not None:
            return quota.reset_s
        return parse_retry_after(response.headers.get("retry-after"), self._clock())

    async def _get_with_quota(self, path: str) -> _Answer | UpstreamError:
        for _ in range(2):  # at most one wait for the window's end per lookup
            if self._exhausted_until is not None and self._exhausted_until > self._clock():
                return self._quota_error(path)
            await self._wait_for_reset()
            response = await self._get_with_retries(path)
            if isinstance(response, UpstreamError):
                return response
            quota = parse_quota(response.headers)
            if quota is not None and quota.describe():
                self._policy = quota.describe()
            wait = self._spent_for(response, quota)
            refused = response.status_code == 429
            if wait is None:
                if refused:  # 429 and no word on when: retried already, so report it
                    return UpstreamError(SERVICE, path, 429, self._attempts,
                                         "Hugging Face API answered HTTP 429 (too many requests)")  # fmt: skip
                return response
            until = self._clock() + timedelta(seconds=wait)
            if wait > self._rate_limit_wait_s:
                # Too long to wait: nothing more is asked this run (a client that keeps asking
                # past its quota only prolongs the refusal).
                self._exhausted_until = until
                return self._quota_error(path) if refused else response
            # One shared resume time: however many lookups see the quota spent, the run waits
            # for the window's end once.
            resume = until + timedelta(seconds=RESET_MARGIN_S)
            self._resume_at = max(self._resume_at, resume) if self._resume_at else resume
            if not refused:
                return response  # the last request of the window was answered: keep it
        return self._quota_error(path)

    async def _wait_for_reset(self) -> None:
        """Hold every request until the quota comes back, when a short wait was decided."""
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
        policy = f" ({self._policy})" if self._policy else ""
        fix = "" if self._has_token else "; set HF_TOKEN for a larger quota"
        return RateLimited(
            SERVICE, path, 429, 1, f"Hugging Face API rate limit spent{policy}{when}{fix}"
        )

    # One request, retried

    async def _get_with_retries(self, path: str) -> _Answer | UpstreamError:
        def should_retry(outcome: _Answer | UpstreamError) -> bool:
            if isinstance(outcome, UpstreamError):
                return outcome.status is None and not self._watch.looks_down
            if outcome.status_code == 429 and parse_quota(outcome.headers) is not None:
                return False  # the quota's reset is known: waited for, not retried
            hint = retry_after_of(outcome)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                return False  # asked to stay away longer than we wait: report it
            return is_transient_status(outcome.status_code)

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
        result: _Answer | UpstreamError = await retrying(self._get_once, path)
        if isinstance(result, _Answer) and result.status_code >= 500:
            attempts = int(retrying.statistics.get("attempt_number", 1))
            return UpstreamError(
                SERVICE, path, result.status_code, attempts,
                f"Hugging Face API answered HTTP {result.status_code}",
            )  # fmt: skip
        return result

    async def _get_once(self, path: str) -> _Answer | UpstreamError:
        async with self._in_flight:
            if self._extras and self._watch.looks_down:
                return UpstreamError(SERVICE, path, None, 1, NOT_ASKED_DOWN)
            try:
                answer = await self._follow(path)
            except httpx.HTTPError as exc:
                kind, message = describe_http_error(exc)
                if kind.is_network_level:
                    self._watch.failed(self._client.base_url.host)
                text = self._redact(f"Hugging Face API {message}")
                return UpstreamError(SERVICE, path, None, 1, text)
        if isinstance(answer, _Answer):
            self._watch.answered()
        return answer

    async def _follow(self, path: str) -> _Answer | UpstreamError:
        """GET ``path``, following redirects that stay on the API's origin (and no others)."""
        origin = self._client.base_url
        request = self._client.build_request("GET", path)
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
                    SERVICE, path, status, 1,
                    f"Hugging Face API redirected to another host ({_host_port(target)}); "
                    "not followed",
                )  # fmt: skip
            request = self._client.build_request("GET", target)
        message = f"Hugging Face API redirected more than {self._max_redirects} times"
        return UpstreamError(SERVICE, path, status, 1, message)

    async def _read(self, path: str, response: httpx.Response) -> _Answer | UpstreamError:
        """The answer; the body is read (capped) only for a 200, the one we parse."""
        if response.status_code != 200:
            return _Answer(response.status_code, response.headers)
        try:
            body = await read_capped(response, self._max_response_bytes)
        except TooLarge:
            size = format_size(self._max_response_bytes)
            return UpstreamError(
                SERVICE, path, 200, 1, f"Hugging Face API answer larger than {size}; not read"
            )
        return _Answer(200, response.headers, body)
