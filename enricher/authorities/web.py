"""The web: any other http(s) page, answered for by its own server.

Claims every checkable URL no other authority claimed (it comes last in ``AUTHORITIES``);
checks pages with the network layer's ``WebChecker`` (streaming GET, manual redirects,
retries, per-host pacing and lanes, the SSRF guard); its fact is a ``FetchOutcome`` (what the
server answered, with what its HTML says about itself, or why nothing usable came back); the
record gets a ``page`` object.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import SplitResult, urlsplit

import httpx

from ..config import Settings
from ..models import (
    FailureKind,
    FetchFailure,
    FetchOutcome,
    HttpFacts,
    Metadata,
    Observed,
    PageFacts,
    ProbeFacts,
    Redirect,
    Status,
    Target,
    Verdict,
    WebTarget,
)
from ..net.checker import WebChecker
from ..net.lanes import run_in_lanes
from ..net.pool import web_transport
from ..page_signals import judge_page, probe_path, wants_probe
from ..pages import facts_json
from ..urls import is_private_host, normalise_web_url, private_address_reason
from .base import Lookup, record_from_payload, record_payload

__all__ = ["WEB", "WebAuthority", "web_verdict"]

log = logging.getLogger(__name__)

BLOCKING_STATUSES = frozenset({401, 403, 407, 429, 451, 999})
"""Answers that mean "not for you": the page may exist. 999 is LinkedIn's bot wall."""

GONE_STATUSES = frozenset({404, 410})
"""The only HTTP answers that say the page does not exist."""


class WebAuthority:
    """Pages on the web, judged by what their server answers."""

    name: ClassVar[str] = "web"

    def claim(self, parts: SplitResult, host: str) -> WebTarget:
        """Every checkable URL: the web is the authority of last resort."""
        return WebTarget(normalise_web_url(parts), host)

    def prejudge(self, target: WebTarget, settings: Settings) -> Verdict | None:
        """A link to a loopback, private or link-local address is skipped, not fetched, unless
        ``--allow-private`` (names are checked again when they resolve: see ``net.guard``)."""
        if settings.allow_private or not is_private_host(target.host):
            return None
        return Verdict(Status.SKIPPED, private_address_reason(target.host))

    def label(self, target: WebTarget) -> str:
        return target.host

    def companions(self, target: WebTarget, settings: Settings) -> tuple[Target, ...]:
        return ()

    def complete(
        self, target: WebTarget, metadata: Metadata | None, companions: Mapping[str, Observed]
    ) -> Metadata | None:
        return metadata

    async def look_up(self, targets: list[WebTarget], lookup: Lookup) -> None:
        """Every page, host by host in lanes (a host's links start as earlier ones' first
        requests end, not all at once), under the global and per-host limits."""
        if not targets:
            return
        context = lookup.context
        settings = context.settings
        # Per-host pools; unless --allow-private, every connection goes through the SSRF
        # guard, to an address checked at connect time.
        transport = lookup.web_transport or web_transport(
            settings.per_host, allow_private=settings.allow_private, verify=context.tls
        )
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_s), transport=transport,
            limits=httpx.Limits(
                max_connections=settings.concurrency,
                max_keepalive_connections=settings.concurrency,
            ),
            follow_redirects=False, headers={"User-Agent": settings.user_agent},
            event_hooks={"request": [context.counter.hook("web")]},
        )  # fmt: skip
        async with client:
            checker = WebChecker(client, context)
            probes: dict[str, asyncio.Task[ProbeFacts]] = {}

            async def probe(url: str) -> ProbeFacts:
                """One random sibling path per host and run, shared by the host's links."""
                host = urlsplit(url).netloc.lower()
                if host not in probes:
                    probe_url = probe_path(url, f"enricher-{secrets.token_hex(8)}")
                    probes[host] = asyncio.ensure_future(_probe(checker, probe_url))
                return await asyncio.shield(probes[host])

            async def check(target: WebTarget, let_go: Callable[[], None]) -> None:
                outcome = await checker.check(target.url, let_go)
                if isinstance(outcome, HttpFacts) and wants_probe(target.url, outcome):
                    outcome = replace(outcome, probe=await probe(target.url))
                log.debug("%s: %s after %d attempt(s)", target.url,
                          getattr(outcome, "status_code", None) or getattr(outcome, "kind", "?"),
                          outcome.attempts)  # fmt: skip
                lookup.found(target, Observed(outcome, context.clocks.now()))

            try:
                await run_in_lanes(targets, lambda t: t.host, settings.per_host, check)
            finally:  # a stopped run leaves no probe running against a closed client
                for task in probes.values():
                    task.cancel()
                await asyncio.gather(*probes.values(), return_exceptions=True)

    def verdict(self, target: WebTarget, observed: Observed) -> Verdict:
        return web_verdict(observed.fact, observed.observed_at, target.url)

    def encode(self, fact: FetchOutcome) -> dict[str, Any]:
        """Status, final URL and redirect chain (or the failure, for a redirect loop); retry
        hints and attempt counts are not facts."""
        redirects = [[hop.status, hop.url] for hop in fact.redirects]
        if isinstance(fact, FetchFailure):
            return {"failure": fact.kind.value, "message": fact.message, "redirects": redirects}
        return {
            "status_code": fact.status_code,
            "final_url": fact.final_url,
            "redirects": redirects,
            "page": record_payload(fact.page) if fact.page is not None else None,
            "headers": dict(fact.headers),
            "probe": record_payload(fact.probe) if fact.probe is not None else None,
        }

    def decode(self, payload: dict[str, Any]) -> FetchOutcome:
        redirects = tuple(Redirect(int(s), str(u)) for s, u in payload["redirects"])
        if "failure" in payload:
            return FetchFailure(FailureKind(payload["failure"]), str(payload["message"]), redirects)
        return HttpFacts(
            status_code=int(payload["status_code"]),
            final_url=str(payload["final_url"]),
            redirects=redirects,
            page=record_from_payload(PageFacts, page) if (page := payload.get("page")) else None,
            headers=_headers(payload),
            probe=record_from_payload(ProbeFacts, probe)
            if (probe := payload.get("probe"))
            else None,
        )

    def metadata(self, target: WebTarget, fact: FetchOutcome | None) -> Metadata:
        """The ``page`` object: what the page's HTML says about itself; null when the answer
        was not HTML, or not the page (a wall, an error page, a parking lander: what was
        known of the page before is kept), or nothing answered."""
        if not isinstance(fact, HttpFacts) or fact.page is None:
            return ("page", None)
        if not 200 <= fact.status_code <= 299 or judge_page(target.url, fact) is not None:
            return ("page", None)
        return ("page", facts_json(fact.page))


def _failure_verdict(failure: FetchFailure, checked_at: datetime | None) -> Verdict:
    final = failure.redirects[-1].url if failure.redirects else None
    if failure.kind is FailureKind.PRIVATE:
        return Verdict(
            Status.SKIPPED, failure.message, final_url=final, checked_at=checked_at,
            redirects=failure.redirects,
        )  # fmt: skip
    if failure.kind in (
        FailureKind.REDIRECT_LOOP,
        FailureKind.TOO_MANY_REDIRECTS,
        FailureKind.BAD_REDIRECT,
    ):
        return Verdict(
            Status.BROKEN, failure.message, final_url=final, checked_at=checked_at,
            redirects=failure.redirects,
        )  # fmt: skip
    # Nothing answered, so nothing was observed: no checked_at. This also keeps re-runs
    # without a network from rewriting records just to change a timestamp.
    return Verdict(
        Status.UNREACHABLE,
        failure.message,
        final_url=final,
        redirects=failure.redirects,
        network_level_failure=failure.kind.is_network_level,
    )


def _http_verdict(
    status: Status,
    reason: str | None,
    facts: HttpFacts,
    checked_at: datetime | None,
    suggested_url: str | None = None,
) -> Verdict:
    return Verdict(
        status,
        reason,
        http_status=facts.status_code,
        final_url=facts.final_url,
        suggested_url=suggested_url,
        checked_at=checked_at,
        redirects=facts.redirects,
    )


def web_verdict(
    outcome: FetchOutcome, checked_at: datetime | None, requested_url: str | None = None
) -> Verdict:
    """Judge a web page from what its server answered (after redirects and retries) and
    what its page says it is (``page_signals``; the link's ``requested_url`` tells a deep
    link sent to the home page)."""
    if isinstance(outcome, FetchFailure):
        return _failure_verdict(outcome, checked_at)
    code = outcome.status_code
    if code not in GONE_STATUSES:
        signal = judge_page(requested_url or outcome.final_url, outcome)
        if signal is not None:
            return _http_verdict(
                signal.status, signal.reason, outcome, checked_at, signal.suggested_url
            )
    if 200 <= code <= 299:
        # The link moved as far as its redirects are permanent from the start: past a
        # temporary one (a locale, a login, a session), the URL reached is no new address.
        # Suggested whole, a 301 to https and a 302 to a login page had sent the editor to
        # the login page; a link whose first hop is temporary works as written.
        moved = list(itertools.takewhile(lambda hop: hop.is_permanent, outcome.redirects))
        if moved:
            new_url = moved[-1].url
            reason = f"moved permanently ({moved[0].status}) to {new_url}"
            return _http_verdict(
                Status.REDIRECTED, reason, outcome, checked_at, suggested_url=new_url
            )
        return _http_verdict(Status.OK, None, outcome, checked_at)
    if code in GONE_STATUSES:
        reason = "not found (404)" if code == 404 else "gone (410)"
        return _http_verdict(Status.BROKEN, reason, outcome, checked_at)
    if code in BLOCKING_STATUSES:
        what = "rate limited (429)" if code == 429 else f"refused (HTTP {code})"
        return _http_verdict(Status.BLOCKED, f"{what}; the page may exist", outcome, checked_at)
    if 500 <= code <= 599:
        reason = f"server error (HTTP {code})"
        return _http_verdict(Status.UNREACHABLE, reason, outcome, checked_at)
    if 300 <= code <= 399:
        reason = f"redirect (HTTP {code}) without a usable Location"
        return _http_verdict(Status.UNREACHABLE, reason, outcome, checked_at)
    # Other 4xx (400, 405, 406...): the server refused this request, which says nothing
    # about whether the page exists.
    reason = f"refused (HTTP {code}); the page may exist"
    return _http_verdict(Status.BLOCKED, reason, outcome, checked_at)


WEB = WebAuthority()


def _headers(payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The wall headers of a cached answer; a fact cached before they were kept says only
    whether Cloudflare's ``cf-mitigated: challenge`` came with it."""
    headers = dict(payload.get("headers", {}))
    if payload.get("bot_challenge") and "cf-mitigated" not in headers:
        headers["cf-mitigated"] = "challenge"
    return tuple(sorted(headers.items()))


PROBE_SERVICE = "web-probe"
"""What soft-404 probes count as in a run's requests (apart from the links' own)."""


async def _probe(checker: WebChecker, url: str) -> ProbeFacts:
    """How the host answers a path nobody links to."""
    # One request: "at most one probe per host" is a promise to the host, retries included.
    outcome = await checker.check(url, service=PROBE_SERVICE, attempts=1)
    if isinstance(outcome, FetchFailure):
        return ProbeFacts(url, None)
    page = outcome.page
    return ProbeFacts(
        url, outcome.status_code, outcome.final_url,
        title=page.html_title if page else None, heading=page.heading if page else None,
        text=page.text if page else None, text_length=page.text_length if page else 0,
    )  # fmt: skip
