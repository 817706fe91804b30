"""What every network edge needs, as one object: the run's settings, clocks, watch, counter.

A web checker, an API client or a test builds an edge from one ``NetContext`` instead of a
dozen keyword arguments; tests replace the clocks (nothing waits on real time) and the
settings (``Settings(per_host=1, attempts=1)``), and keep the defaults for the rest.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

import httpx

from ..config import Settings
from .watch import NetworkWatch

_T = TypeVar("_T")


def utc_now() -> datetime:
    """The current time, in UTC: what records and the cache store."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Clocks:
    """The run's sense of time, injectable so tests never wait on the real clock."""

    now: Callable[[], datetime] = utc_now
    """Wall-clock time: when facts are observed, Retry-After dates, quota resets."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    """Waits of the asyncio edges (retries, host pauses, quota resets)."""
    sync_sleep: Callable[[float], None] = time.sleep
    """Waits of the arXiv edge, which runs in a thread (its pace, its retries)."""


SERVICE_EXTENSION = "enricher.service"
"""The httpx request extension that counts a request for another service than its client's."""


class RequestCounter:
    """Counts requests sent per service, through httpx event hooks (redirect hops included),
    and the web answers refusing a request (429/503), per host."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.refusals: dict[str, int] = {}
        """Per host, web answers 429 or 503 but a bot wall's named by its headers: a limit
        pushing back, or a page failing on its own (retries' and probes' included). A polite
        client keeps the first kind low."""

    def hook(self, service: str) -> Callable[[httpx.Request], Awaitable[None]]:
        """An httpx ``request`` event hook that counts for ``service``, or for the service a
        request names in its ``SERVICE_EXTENSION`` (the web checker's soft-404 probes)."""
        self.counts.setdefault(service, 0)

        async def count(request: httpx.Request) -> None:
            self.add(request.extensions.get(SERVICE_EXTENSION, service))

        return count

    def add(self, service: str, n: int = 1) -> None:
        """For clients that are not httpx (the arxiv package's requests session)."""
        self.counts[service] = self.counts.get(service, 0) + n

    def refused(self, host: str) -> None:
        """``host`` answered a web request with a refusal (``refusals``)."""
        self.refusals[host] = self.refusals.get(host, 0) + 1


@dataclass(frozen=True)
class NetContext:
    """The run's settings, clocks, network watch and request counter, shared by every edge."""

    settings: Settings = field(default_factory=Settings)
    """Timeouts, attempts, budgets, limits and endpoints, as the user set them."""
    clocks: Clocks = field(default_factory=Clocks)
    watch: NetworkWatch = field(default_factory=NetworkWatch)
    """Tells "the network is down" from "this host is down", across all edges."""
    counter: RequestCounter = field(default_factory=RequestCounter)
    """Requests sent per service, for the run's summary."""

    _shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def shared(self, name: str, make: Callable[[], _T]) -> _T:
        """The run's one ``name`` object, made on first use: what every lookup asking one API
        shares (its quota, its requests in flight), however many lookups ask it."""
        if name not in self._shared:
            self._shared[name] = make()
        value: _T = self._shared[name]
        return value

    @functools.cached_property
    def tls(self) -> ssl.SSLContext:
        """The run's one TLS context, given to every client (``verify=``). Loading the CA
        bundle takes 25-45 ms of CPU before a client's first request can leave: once a run,
        not once a client."""
        return httpx.create_ssl_context()
