"""The DOI registries' REST APIs: Crossref ``GET /works/<doi>``, then DataCite
``GET /dois/<doi>`` for the DOIs Crossref does not know (Zenodo's, arXiv's own 10.48550).

Each registry has its own client, pace and retries. Crossref's pace is its pool's (public: 5
requests/s, 1 at a time; polite, with ``--mailto``: 10/s, 3 at a time, as of 2026), lowered
further when its answers advertise less. A 429 pauses every request to that registry for
its Retry-After; one asking for longer than we wait stops this run's questions to it.

The ``mailto`` address goes to Crossref only (``mailto=`` and the User-Agent), as its option
says. ``net.api_client`` follows redirects on the API's origin only and reads answers with a
cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from ...errors import RateLimited, UpstreamError
from ...models import Unanswered
from ...net.api_client import ApiAnswer, ApiClient
from ...net.bodies import ACCEPT_ENCODING
from ...net.context import NetContext
from ...verdicts import MAX_RETRY_AFTER_S
from ..json_fields import UnreadableAnswer, body_json
from .pace import Limits, Pace
from .works import (
    AGENCY_NAMES,
    CROSSREF,
    DATACITE,
    Work,
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
        verify=context.tls,
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
        verify=context.tls,
    )


class RegistryApi:
    """Asks one registry about DOIs, with its pace, retries and rate-limit awareness."""

    def __init__(
        self, registry: Registry, client: httpx.AsyncClient, context: NetContext, limits: Limits
    ) -> None:
        self.registry = registry
        self._clock = context.clocks.now
        self.pace = Pace(limits, context.clocks.now, context.clocks.sleep)
        self._refused_until: datetime | None = None
        """The registry asked us to stay away until then, longer than we wait: fail fast."""
        self._api = ApiClient(
            client, context, service=registry.service, name=f"{registry.name} API",
            gate=self.pace.slot, veto=self._refused, on_answer=self._learn,
            max_redirects=MAX_REDIRECTS,
        )  # fmt: skip

    async def fetch(self, doi: str) -> Answer:
        """What the registry says about ``doi``: its work, None (404: it does not know it),
        or the failure (after retries) that kept it from saying."""
        path = self.registry.path(doi)
        name = self.registry.name
        response, _ = await self._api.get(path)
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
            except UnreadableAnswer as exc:
                # Not retried (the same answer would come back) and, being a failure, never
                # cached: the next run asks again.
                return self._api.error(path, 200, f"{name} API sent an unreadable answer: {exc}")
        hint = self._api.retry_after(response)
        if status == 429 and hint is not None and hint > MAX_RETRY_AFTER_S:
            return RateLimited(
                self.registry.service, path, 429, 1,
                f"{name} API rate limit: asked to wait {hint:.0f} s",
            )  # fmt: skip
        return self._api.error(path, status, f"{name} API answered HTTP {status}")

    def _refused(self, path: str) -> RateLimited | None:
        """The registry asked us to stay away for longer than we wait: nothing is sent."""
        if self._refused_until is None or self._refused_until <= self._clock():
            return None
        until = f"{self._refused_until:%H:%M:%S} UTC"
        return RateLimited(
            self.registry.service, path, 429, 0,
            f"{self.registry.name} API asked us to wait until {until}; not asked this run",
        )  # fmt: skip

    def _learn(self, answer: ApiAnswer) -> None:
        """Follow the limits an answer advertises, and pause after a refusal."""
        self.pace.adopt(answer.headers)
        if answer.status_code in (429, 503):
            hint = self._api.retry_after(answer)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                # Longer than we wait: the rest of this run's DOIs do not ask at all.
                self._refused_until = self._clock() + timedelta(seconds=hint)
            else:
                # Every other request would get the same answer: they all wait.
                self.pace.pause(hint if hint is not None else DEFAULT_PAUSE_S)


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
