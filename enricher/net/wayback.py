"""The Wayback Machine edge: one snapshot lookup per dead link, politely.

``GET /web/<YYYYMMDDhhmmss>/<url>`` without following the redirect (its ``Location`` is the
snapshot; 404: none), one request a second at most, a 429's ``Retry-After`` honoured (up to
``MAX_RETRY_AFTER_S``; beyond it the rest are left unanswered for this run). Whatever goes
wrong is an ``Unanswered`` value: a missing snapshot is only ever a 404.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from ..archive import UnusableAnswer, snapshot_from_answer, wayback_path
from ..models import Snapshot, Unanswered
from ..verdicts import MAX_RETRY_AFTER_S, parse_retry_after
from .context import NetContext
from .http_errors import describe_http_error

__all__ = ["PACE_S", "Wayback"]

PACE_S = 1.0
"""At most one request a second: the Wayback Machine is a shared public service."""

SERVICE = "wayback"


class Wayback:
    """One run's asks of the Wayback Machine: one client, one pace, and one "it stopped
    answering" state, shared by every ask of the run however far apart they come."""

    def __init__(self, context: NetContext) -> None:
        self._context = context
        self._client: httpx.AsyncClient | None = None
        self._last_sent: datetime | None = None
        """When the last request (a retry included) left: the pace counts from sends."""
        self._given_up: Unanswered | None = None
        """Why nothing more is asked this run (unreachable, or told to wait too long)."""

    @property
    def endpoint(self) -> str:
        """The Wayback Machine asked (``wayback-url``)."""
        return self._context.settings.wayback_url

    async def __aenter__(self) -> Wayback:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def ask(self, url: str, moment: datetime) -> Snapshot | Unanswered | None:
        """``url``'s snapshot closest to ``moment``, None for none, or why nothing usable
        came back (without asking, once the Wayback Machine or the network failed)."""
        context = self._context
        if self._given_up is not None:
            return self._given_up
        if context.watch.looks_down:  # nothing answers anyone: the next run asks
            return Unanswered("Wayback Machine: not asked, the network looks down",
                              network_level=True, asked=False)  # fmt: skip
        await self._pace()
        answer = await _ask(self._open(), url, moment, context)
        if isinstance(answer, Unanswered) and answer.network_level:
            # Unreachable: each further ask would wait out a timeout. The next run asks.
            context.watch.failed(urlsplit(self.endpoint).hostname or "wayback")
            self._given_up = Unanswered(answer.reason, network_level=True, asked=False)
        elif isinstance(answer, Unanswered) and not answer.asked:
            self._given_up = answer  # told to wait longer than we will: another run asks
        return answer

    async def _pace(self) -> None:
        if self._last_sent is None:
            return
        elapsed = (self._context.clocks.now() - self._last_sent).total_seconds()
        wait = min(PACE_S, PACE_S - elapsed)  # a clock set back waits one pace, no more
        if wait > 0:
            await self._context.clocks.sleep(wait)

    def _open(self) -> httpx.AsyncClient:
        """The client, made at the first ask: a run with no dead link to ask about has none."""
        if self._client is None:
            context, settings = self._context, self._context.settings
            self._client = httpx.AsyncClient(
                base_url=self.endpoint, timeout=httpx.Timeout(settings.timeout_s),
                follow_redirects=False, headers={"User-Agent": settings.user_agent},
                event_hooks={"request": [context.counter.hook(SERVICE), self._sent]},
                verify=context.tls,
            )  # fmt: skip
        return self._client

    async def _sent(self, request: httpx.Request) -> None:
        self._last_sent = self._context.clocks.now()


async def _ask(
    client: httpx.AsyncClient, url: str, moment: datetime, context: NetContext
) -> Snapshot | Unanswered | None:
    try:
        request = client.build_request("GET", wayback_path(url, moment))
    except (httpx.InvalidURL, ValueError) as exc:  # not HTTPErrors: they would end the run
        return Unanswered(f"Wayback Machine: not asked, the URL is unusable ({exc})", asked=False)
    for attempt in (1, 2):  # one retry, after a 429's wait or a server error
        try:
            response = await client.send(request)
        except httpx.HTTPError as exc:
            kind, message = describe_http_error(exc)
            return Unanswered(f"Wayback Machine: {message}", network_level=kind.is_network_level)
        if response.status_code == 429 or response.status_code >= 500:
            wait = parse_retry_after(response.headers.get("retry-after"), context.clocks.now())
            if response.status_code == 429 and (wait is None or wait > MAX_RETRY_AFTER_S):
                return Unanswered("Wayback Machine: rate limited (429)", asked=False)
            if attempt == 1:
                await context.clocks.sleep(max(wait or 0.0, PACE_S))
                continue
            return Unanswered(f"Wayback Machine: HTTP {response.status_code}")
        try:
            return snapshot_from_answer(
                response.status_code, response.headers.get("location"), str(response.url)
            )
        except UnusableAnswer as exc:
            return Unanswered(f"Wayback Machine: unusable answer ({exc})")
    raise AssertionError("unreachable")  # pragma: no cover
