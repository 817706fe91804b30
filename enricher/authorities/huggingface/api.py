"""The Hugging Face edge: ``GET /api/models|datasets|spaces/<repo id>`` and
``GET /api/papers/<arXiv id>`` on the Hub (``--hf-api-url``).

The token (``HF_TOKEN``) lives only in this client's headers, whose base URL is the Hub API;
``net.api_client`` follows redirects (the Hub sends one for a renamed repository) on that
origin only, reads bodies with a cap and blanks the token out of every message.

Pacing, shared by every lookup of a run that asks the Hub (``HubShare``): at most
``MAX_IN_FLIGHT`` requests at once, and the Hub's own quota, read from the
``RateLimit`` header of every answer (``parse.parse_quota``): when the window's requests are
spent, requests wait for its end if that is near (``--rate-limit-wait``), and otherwise every
later lookup of the run is ``Unanswered`` at once, without a request (``net.quota``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import httpx

from ...errors import RateLimited, UpstreamError
from ...models import Unanswered
from ...net.api_client import MAX_REDIRECTS, ApiAnswer, ApiClient
from ...net.bodies import ACCEPT_ENCODING
from ...net.context import NetContext
from ...net.quota import QuotaWait
from ...verdicts import is_transient_status
from ..json_fields import UnreadableAnswer
from .facts import HubFact, HubMissing, HubRepo, HubTarget, api_path
from .parse import Quota, from_body, parse_quota

SERVICE = "huggingface"
"""The name requests are counted under (``RunSummary.requests``)."""
MAX_IN_FLIGHT = 3
"""Concurrent API requests. The Hub publishes no concurrency limit, only a per-window quota;
a few at a time keeps a run from spending it in one burst."""
GATED = "GatedRepo"
NOT_FOUND = "RepoNotFound"
DISABLED_MESSAGE = "Access to this resource is disabled."
"""The Hub's ``X-Error-Message`` for a repository it has disabled (huggingface_hub's
``DisabledRepoError``)."""


def hub_client(context: NetContext, service: str = SERVICE) -> httpx.AsyncClient:
    """The one client of a lookup: the Hub API as base URL, the token in its headers only, no
    automatic redirects, every request counted under ``service``."""
    settings = context.settings
    return httpx.AsyncClient(
        base_url=settings.hf_api_url, timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,  # HubApi follows them, on the API's origin only
        headers={"User-Agent": settings.user_agent, **HubApi.headers(settings.hf_token)},
        event_hooks={"request": [context.counter.hook(service)]}, verify=context.tls,
    )  # fmt: skip


NOT_ASKED_DOWN = "not asked: the network looks down"


@dataclass
class HubShare:
    """What every lookup of a run asking the Hub shares (a Hugging Face link's and a paper's
    code links'): one quota, one limit on requests in flight."""

    quota: QuotaWait
    in_flight: asyncio.Semaphore
    policy: str = ""
    """The quota as the Hub last described it (``500 requests per 300 s``), for reasons."""

    @classmethod
    def for_run(cls, context: NetContext) -> HubShare:
        settings, clocks = context.settings, context.clocks
        quota = QuotaWait(clocks.now, clocks.sleep, settings.rate_limit_wait_s)
        return cls(quota, asyncio.Semaphore(MAX_IN_FLIGHT))


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
        self._extras = extras
        """Lookups that only add to a record (a paper's code links): not sent at all once
        the network looks down, so an offline run does not wait on them."""
        self._watch = context.watch
        self._hub = context.shared(SERVICE, lambda: HubShare.for_run(context))
        self._api = ApiClient(
            client, context, service=SERVICE, name="Hugging Face API",
            gate=lambda: self._hub.in_flight, ready=lambda: self._quota.wait(),
            veto=self._not_now, max_redirects=max_redirects,
        )  # fmt: skip
        self._has_token = bool(client.headers.get("authorization"))
        self._attempts = context.settings.attempts
        self._clock = context.clocks.now
        self._quota = self._hub.quota

    @staticmethod
    def headers(token: str | None) -> dict[str, str]:
        """Headers for the API client; the token only when one is set."""
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _not_now(self, path: str) -> UpstreamError | None:
        """Checked again once a request has its slot: the quota may have run out, or the
        network gone, while it waited."""
        if self._quota.spent:
            return self._quota_error(path)
        if self._extras and self._watch.looks_down:
            return UpstreamError(SERVICE, path, None, 1, NOT_ASKED_DOWN)
        return None

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
                message = f"Hugging Face API sent an unreadable answer: {exc}"
                return self._api.error(path, status, message)
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
            return self._api.error(path, status, message)
        return self._api.error(path, status, f"Hugging Face API answered HTTP {status}")

    # The quota

    def _spent_for(self, response: ApiAnswer, quota: Quota | None) -> float | None:
        """Seconds until the quota comes back, when this answer says it is spent (a 429, or
        ``r=0``); None when it is not spent, or nobody says for how long."""
        refused = response.status_code == 429
        if not refused and not (quota is not None and quota.is_spent):
            return None
        if quota is not None and quota.reset_s is not None:
            return quota.reset_s
        return self._api.retry_after(response)

    async def _get_with_quota(self, path: str) -> ApiAnswer | UpstreamError:
        for _ in range(2):  # at most one wait for the window's end per lookup
            if self._quota.spent:
                return self._quota_error(path)
            await self._quota.wait()
            response = await self._get_with_retries(path)
            if isinstance(response, UpstreamError):
                return response
            quota = parse_quota(response.headers)
            if quota is not None and quota.describe():
                self._hub.policy = quota.describe()
            wait = self._spent_for(response, quota)
            refused = response.status_code == 429
            if wait is None:
                if refused:  # 429 and no word on when: retried already, so report it
                    message = "Hugging Face API answered HTTP 429 (too many requests)"
                    return self._api.error(path, 429, message, self._attempts)
                return response
            if not self._quota.ran_out(self._clock() + timedelta(seconds=wait)):
                return self._quota_error(path) if refused else response
            if not refused:
                return response  # the last request of the window was answered: keep it
        return self._quota_error(path)

    def _quota_error(self, path: str) -> RateLimited:
        until = self._quota.spent_until
        when = f" until {until:%H:%M} UTC" if until is not None else ""
        policy = f" ({self._hub.policy})" if self._hub.policy else ""
        fix = "" if self._has_token else "; set HF_TOKEN for a larger quota"
        return RateLimited(
            SERVICE, path, 429, 1, f"Hugging Face API rate limit spent{policy}{when}{fix}"
        )

    async def _get_with_retries(self, path: str) -> ApiAnswer | UpstreamError:
        def retry_answer(answer: ApiAnswer) -> bool:
            if answer.status_code == 429 and parse_quota(answer.headers) is not None:
                return False  # the quota's reset is known: waited for, not retried
            return is_transient_status(answer.status_code)

        result, attempts = await self._api.get(path, retry_answer=retry_answer)
        if isinstance(result, ApiAnswer) and result.status_code >= 500:
            message = f"Hugging Face API answered HTTP {result.status_code}"
            return self._api.error(path, result.status_code, message, attempts)
        return result
