"""The DOI registries' REST APIs: Crossref ``GET /works/<doi>``, then DataCite
``GET /dois/<doi>`` for the DOIs Crossref does not know (Zenodo's, arXiv's own 10.48550).

Each registry has its own client, pace and retries. Crossref's pace is its pool's (public: 5
requests/s, 1 at a time; polite, with ``--mailto``: 10/s, 3 at a time, as of 2026), lowered
further when its answers advertise less. A 429 pauses every request to that registry for
its Retry-After; one asking for longer than we wait stops this run's questions to it.

The ``mailto`` address goes to Crossref only (``mailto=`` and the User-Agent), as its option
says. Redirects are followed only while they stay on the API's origin. Answers are read as
they arrive, at most ``max_response_bytes`` of them after decompression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from ...config import format_size
from ...errors import RateLimited, UpstreamError
from ...models import Unanswered

# The bounded reader is GitHub's: one implementation of "decompress at most N bytes".
from ...net.bodies import ACCEPT_ENCODING, TooLarge, read_capped
from ...net.context import NetContext
from ...net.http_errors import describe_http_error
from ...net.retries import async_retrying
from ...verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after
from .pace import Limits, Pace
from .works import (
    AGENCY_NAMES,
    CROSSREF,
    DATACITE,
    UnreadableWork,
    Work,
    body_json,
    work_from_crossref,
    work_from_datacite,
)

CROSSREF_PUBLIC = Limits(per_second=5.0, in_flight=1)
"""Crossref's public pool, as of 2026: 5 requests a second, one at a time."""
CROSSREF_POLITE = Limits(per_second=10.0, in_flight=3)
"""Crossref's polite pool (a ``mailto`` is sent), as of 2026: 10 requests a second, 3 at a
time."""
DATACITE_LIMITS = Limits(per_second=1.0, in_flight=2)
"""DataCite limits requests per IP over 5 minutes (1,000 for clients that identify
themselves, fewer for anonymous ones); one a second stays within the anonymous tier. Only the
DOIs Crossref does not know are asked there."""
MAX_REDIRECTS = 3
"""Redirects followed per lookup, on the API's origin only."""
DEFAULT_PAUSE_S = 1.0
"""Pause of a registry after a 429 or 503 that names no Retry-After."""

Answer = Work | None | UpstreamError
"""One registry's answer about a DOI: the work, None (it does not know the DOI), or why it
could not say."""


def doi_path(doi: str) -> str:
    """The DOI as request path segments: ``/`` kept, everything else that is not unreserved
    percent-encoded (``(``, ``;``, ``#``, ``?``, ``%``, spaces...), and ``.``/``..`` segments
    encoded too, so that no URL normalisation takes them for directories."""
    segments = []
    for segment in doi.split("/"):
        encoded = quote(segment, safe="")
        segments.append(encoded.replace(".", "%2E") if segment in (".", "..") else encoded)
    return "/".join(segments)


def polite_user_agent(user_agent: str, mailto: str | None) -> str:
    """The User-Agent with ``mailto:`` inside its comment, as Crossref's etiquette asks:
    ``enricher/0.1 (link checker for AI-news digests; mailto:ed@example.org)``."""
    if not mailto:
        return user_agent
    if user_agent.endswith(")"):
        return f"{user_agent[:-1]}; mailto:{mailto})"
    return f"{user_agent} (mailto:{mailto})"


@dataclass(frozen=True)
class Registry:
    """What differs between the two registries: their names, paths, answers and limits."""

    service: str
    """``crossref`` or ``datacite``: the request counter's and the records' name."""
    path: Callable[[str], str]
    read: Callable[[object], Work]
    accept: str
    """The media type asked for."""

    @property
    def name(self) -> str:
        """As people read it: ``Crossref``, ``DataCite``."""
        return AGENCY_NAMES[self.service]


CROSSREF_REGISTRY = Registry(
    CROSSREF, lambda doi: f"/works/{doi_path(doi)}", work_from_crossref, "application/json"
)
DATACITE_REGISTRY = Registry(
    DATACITE, lambda doi: f"/dois/{doi_path(doi)}", work_from_datacite,
    "application/vnd.api+json",
)  # fmt: skip


def crossref_client(context: NetContext) -> httpx.AsyncClient:
    """The run's Crossref client: its endpoint, the polite User-Agent and ``mailto=`` (only
    when an address is set: the public pool otherwise), counted as ``crossref``."""
    settings = context.settings
    return httpx.AsyncClient(
        base_url=settings.crossref_api_url,
        headers={
            "User-Agent": polite_user_agent(settings.user_agent, settings.mailto),
            "Accept": CROSSREF_REGISTRY.accept,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        params={"mailto": settings.mailto} if settings.mailto else None,
        timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,  # RegistryApi follows them, on the API's origin only
        event_hooks={"request": [context.counter.hook(CROSSREF)]},
    )


def datacite_client(context: NetContext) -> httpx.AsyncClient:
    """The run's DataCite client: its endpoint and the plain User-Agent, counted as
    ``datacite``."""
    settings = context.settings
    return httpx.AsyncClient(
        base_url=settings.datacite_api_url,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": DATACITE_REGISTRY.accept,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,
        event_hooks={"request": [context.counter.hook(DATACITE)]},
    )


@dataclass(frozen=True, slots=True)
class _Answer:
    """One HTTP answer as read: status, headers and (for a 200 only) the decoded body."""

    status_code: int
    headers: httpx.Headers
    body: bytes = b""


class _NoAnswer(UpstreamError):
    """Nothing answered (DNS, connection, timeout); ``transient`` when another try may help."""

    transient: bool = False


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class RegistryApi:
    """Asks one registry about DOIs, with its pace, retries and rate-limit awareness."""

    def __init__(
        self, registry: Registry, client: httpx.AsyncClient, context: NetContext, limits: Limits
    ) -> None:
        settings = context.settings
        self.registry = registry
        self._client = client
        self._max_response_bytes = settings.max_response_bytes
        self._attempts = settings.attempts
        self._retry_budget_s = settings.retry_budget_s
        self._watch = context.watch
        self._sleep = context.clocks.sleep
        self._clock = context.clocks.now
        self.pace = Pace(limits, context.clocks.now, context.clocks.sleep)
        self._refused_until: datetime | None = None
        """The registry asked us to stay away until then, longer than we wait: fail fast."""

    def _error(self, path: str, status: int | None, message: str) -> UpstreamError:
        return UpstreamError(self.registry.service, path, status, 1, message)

    async def fetch(self, doi: str) -> Answer:
        """What the registry says about ``doi``: its work, None (404: it does not know it),
        or the failure (after retries) that kept it from saying."""
        path = self.registry.path(doi)
        name = self.registry.name
        response = await self._get_with_retries(path)
        if isinstance(response, UpstreamError):
            return response
        status = response.status_code
        if status == 404:
            return None
        if status == 200:
            try:
                data = body_json(response.body, response.headers.get("content-type", ""),
                                 f"{name} JSON")  # fmt: skip
                return self.registry.read(data)
            except UnreadableWork as exc:
                # Not retried (the same answer would come back) and, being a failure, never
                # cached: the next run asks again.
                return self._error(path, 200, f"{name} API sent an unreadable answer: {exc}")
        hint = parse_retry_after(response.headers.get("retry-after"), self._clock())
        if status == 429 and hint is not None and hint > MAX_RETRY_AFTER_S:
            return RateLimited(
                self.registry.service, path, 429, 1,
                f"{name} API rate limit: asked to wait {hint:.0f} s",
            )  # fmt: skip
        return self._error(path, status, f"{name} API answered HTTP {status}")

    def _refused(self, path: str) -> RateLimited | None:
        """The registry asked us to stay away for longer than we wait: nothing is sent."""
        if self._refused_until is None or self._refused_until <= self._clock():
            return None
        until = f"{self._refused_until:%H:%M:%S} UTC"
        return RateLimited(
            self.registry.service, path, 429, 0,
            f"{self.registry.name} API asked us to wait until {until}; not asked this run",
        )  # fmt: skip

    async def _get_with_retries(self, path: str) -> _Answer | UpstreamError:
        def retry_after_of(outcome: _Answer | UpstreamError) -> float | None:
            if isinstance(outcome, _Answer):
                return parse_retry_after(outcome.headers.get("retry-after"), self._clock())
            return None

        def should_retry(outcome: _Answer | UpstreamError) -> bool:
            if isinstance(outcome, _NoAnswer):
                return outcome.transient and not self._watch.looks_down
            if isinstance(outcome, UpstreamError):
                return False  # an answer we refused (a redirect elsewhere, too large)
            hint = retry_after_of(outcome)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                return False  # asked to stay away longer than we wait: report it
            return is_transient_status(outcome.status_code)

        retrying = async_retrying(
            attempts=self._attempts,
            budget_s=self._retry_budget_s,
            should_retry=should_retry,
            retry_after_of=retry_after_of,
            sleep=self._sleep,
        )
        result: _Answer | UpstreamError = await retrying(self._get_once, path)
        return result

    async def _get_once(self, path: str) -> _Answer | UpstreamError:
        refused = self._refused(path)
        if refused is not None:
            return refused
        async with self.pace.slot():
            refused = self._refused(path)  # decided while this request waited its turn?
            if refused is not None:
                return refused
            try:
                answer = await self._follow(path)
            except httpx.HTTPError as exc:
                kind, message = describe_http_error(exc)
                if kind.is_network_level:
                    self._watch.failed(self._client.base_url.host)
                failure = _NoAnswer(
                    self.registry.service, path, None, 1, f"{self.registry.name} API {message}"
                )
                failure.transient = kind.is_transient
                return failure
        if isinstance(answer, _Answer):
            self._watch.answered()
            self.pace.adopt(answer.headers)
            if answer.status_code in (429, 503):
                hint = parse_retry_after(answer.headers.get("retry-after"), self._clock())
                if hint is not None and hint > MAX_RETRY_AFTER_S:
                    # Longer than we wait: the rest of this run's DOIs do not ask at all.
                    self._refused_until = self._clock() + timedelta(seconds=hint)
                else:
                    # Every other request would get the same answer: they all wait.
                    self.pace.pause(hint if hint is not None else DEFAULT_PAUSE_S)
        return answer

    async def _follow(self, path: str) -> _Answer | UpstreamError:
        """GET ``path``, following redirects that stay on the API's origin (and no others)."""
        origin = self._client.base_url
        request = self._client.build_request("GET", path)
        status = None
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._client.send(request, stream=True, follow_redirects=False)
            status = response.status_code
            try:
                if not response.has_redirect_location:
                    return await self._read(path, response)
                target = request.url.join(response.headers["location"])
            finally:
                await response.aclose()
            if _origin(target) != _origin(origin):
                host = f"{target.host}:{target.port}" if target.port else target.host
                message = (
                    f"{self.registry.name} API redirected to another host ({host}); not followed"
                )
                return self._error(path, status, message)
            request = self._client.build_request("GET", target)
        message = f"{self.registry.name} API redirected more than {MAX_REDIRECTS} times"
        return self._error(path, status, message)

    async def _read(self, path: str, response: httpx.Response) -> _Answer | UpstreamError:
        """The answer; the body is read (capped) only for a 200, the one we parse."""
        if response.status_code != 200:
            return _Answer(response.status_code, response.headers)
        try:
            body = await read_capped(response, self._max_response_bytes)
        except TooLarge:
            size = format_size(self._max_response_bytes)
            return self._error(
                path, 200, f"{self.registry.name} API answer larger than {size}; not read"
            )
        return _Answer(200, response.headers, body)


class DoiApi:
    """Asks Crossref about a DOI, and DataCite when Crossref does not know it (or cannot say)."""

    def __init__(
        self, crossref: httpx.AsyncClient, datacite: httpx.AsyncClient, context: NetContext
    ) -> None:
        polite = bool(context.settings.mailto)
        self.crossref = RegistryApi(
            CROSSREF_REGISTRY, crossref, context, CROSSREF_POLITE if polite else CROSSREF_PUBLIC
        )
        self.datacite = RegistryApi(DATACITE_REGISTRY, datacite, context, DATACITE_LIMITS)

    async def fetch(self, doi: str) -> Work | Unanswered | None:
        """The DOI's work; None when both registries say they do not know it; ``Unanswered``
        when either could not say (a DOI is never called missing on a failure)."""
        first = await self.crossref.fetch(doi)
        if isinstance(first, Work):
            return first
        # Crossref does not know it (404), or could not answer: DataCite may know it.
        second = await self.datacite.fetch(doi)
        if isinstance(second, Work):
            return second
        failures = [answer for answer in (first, second) if isinstance(answer, UpstreamError)]
        if not failures:
            return None
        return Unanswered(
            "; ".join(str(f) for f in failures),
            network_level=all(f.status is None for f in failures),
            asked=any(not isinstance(a, RateLimited) for a in (first, second)),
        )
