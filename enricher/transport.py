"""The web checks' transport: a small connection pool per host, each behind the SSRF guard.

httpcore's pool assigns a waiting request by scanning every connection it holds, so one pool
of 128 connections spends most of a big run's CPU in that scan (measured: 17 million
``is_idle`` calls for 2,000 links). A pool per host, sized to ``--per-host``, keeps each scan
to a handful of connections, and connections are still reused within a host.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpcore
import httpx

from .guard import GuardedBackend, Resolver, system_resolver


class PerHostTransport(httpx.AsyncBaseTransport):
    """Routes each request to its origin's own transport, made on first use."""

    def __init__(self, make: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._make = make
        self._pools: dict[tuple[bytes, bytes, int | None], httpx.AsyncBaseTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = self._make()
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


def web_transport(
    per_host: int,
    *,
    allow_private: bool,
    resolve: Resolver = system_resolver,
    inner: httpcore.AsyncNetworkBackend | None = None,
    verify: Any = True,
) -> PerHostTransport:
    """The transport for web checks: per-host pools, guarded unless ``--allow-private``.

    An explicit transport also means no proxy from the environment, which the guard could
    not see through (a proxy would be the only address it checked).
    """
    limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
    # One TLS context for every host: loading the CA bundle costs 25 ms and a megabyte each.
    ssl_context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
    backend: httpcore.AsyncNetworkBackend = (
        (inner or httpcore.AnyIOBackend()) if allow_private else GuardedBackend(inner, resolve)
    )

    def make() -> httpx.AsyncHTTPTransport:
        transport = httpx.AsyncHTTPTransport(limits=limits, verify=ssl_context)
        # httpx has no option for the network backend; its pool is rebuilt with the same
        # settings and ours (httpx 0.28: ``_pool``, checked by tests/test_hostile_web.py).
        pool = transport._pool
        assert isinstance(pool, httpcore.AsyncConnectionPool)
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
        return transport

    return PerHostTransport(make)
