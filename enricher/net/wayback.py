"""The Wayback Machine edge: one snapshot lookup per dead link, politely.

``GET /web/<YYYYMMDDhhmmss>/<url>`` without following the redirect (its ``Location`` is the
snapshot; 404: none), one request a second at most, a 429's ``Retry-After`` honoured (up to
``MAX_RETRY_AFTER_S``; beyond it the rest are left unanswered for this run). Whatever goes
wrong is an ``Unanswered`` value: a missing snapshot is only ever a 404.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import httpx

from ..archive import UnusableAnswer, snapshot_from_answer, wayback_path
from ..models import Snapshot, Unanswered
from ..verdicts import MAX_RETRY_AFTER_S, parse_retry_after
from .context import NetContext
from .http_errors import describe_http_error

__all__ = ["PACE_S", "look_up_snapshots"]

PACE_S = 1.0
"""At most one request a second: the Wayback Machine is a shared public service."""

SERVICE = "wayback"


async def look_up_snapshots(
    asks: dict[str, datetime], context: NetContext
) -> dict[str, Snapshot | Unanswered | None]:
    """For each URL (with the moment to ask about), its snapshot, None for
    none, or why nothing usable came back."""
    settings = context.settings
    found: dict[str, Snapshot | Unanswered | None] = {}
    client = httpx.AsyncClient(
        base_url=settings.wayback_url, timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False, headers={"User-Agent": settings.user_agent},
        event_hooks={"request": [context.counter.hook(SERVICE)]}, verify=context.tls,
    )  # fmt: skip
    async with client:
        first = True
        for url, moment in asks.items():
            if context.watch.looks_down:  # nothing answers anyone: the next run asks
                found[url] = Unanswered("Wayback Machine: not asked, the network looks down",
                                        network_level=True, asked=False)  # fmt: skip
                continue
            if not first:
                await context.clocks.sleep(PACE_S)
            first = False
            answer = await _ask(client, url, moment, context)
            found[url] = answer
            if isinstance(answer, Unanswered) and answer.network_level:
                # Unreachable: each further ask would wait out a timeout. The next run asks.
                context.watch.failed(urlsplit(settings.wayback_url).hostname or "wayback")
                for rest in asks:
                    found.setdefault(rest, Unanswered(answer.reason, network_level=True,
                                                      asked=False))  # fmt: skip
                break
            if isinstance(answer, Unanswered) and not answer.asked:
                # Told to wait longer than we will: the rest wait for another run.
                for rest in asks:
                    found.setdefault(rest, Unanswered(answer.reason, asked=False))
                break
    return found


async def _ask(
    client: httpx.AsyncClient, url: str, moment: datetime, context: NetContext
) -> Snapshot | Unanswered | None:
    path = wayback_path(url, moment)
    for attempt in (1, 2):  # one retry, after a 429's wait or a server error
        try:
            response = await client.get(path)
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
