"""The web checks' transport: a small connection pool per host, each behind the SSRF guard.

httpcore's pool assigns a waiting request by scanning every connection it holds, so one pool
of 128 connections spends most of a big run's CPU in that scan (measured: 17 million
``is_idle`` calls for 2,000 links). A pool per host, sized to ``--per-host``, keeps each scan
to a handful of connections, and connections are still reused within a host.
"""

from __future__ import annotations

import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpcore
import httpx

from .backend import AsyncioBackend
from .guard import GuardedBackend, Resolver, system_resolver

MAX_IDLE_POOLS = 64
"""Pools kept open with nothing in flight; past it the least recently used idle ones close.
A pool keeps its sockets open until used again, so a run over thousands of hosts would
otherwise hold a descriptor per host (and hit ``ulimit -n``)."""

Origin = tuple[bytes, bytes, int | None]


class PerHostTransport(httpx.AsyncBaseTransport):
    """Routes each request to its origin's own transport, made on first use; idle pools
    beyond ``max_idle`` are closed, least recently used first."""

    def __init__(
        self, make: Callable[[], httpx.AsyncBaseTransport], max_idle: int = MAX_IDLE_POOLS
    ) -> None:
        self._make = make
        self._max_idle = max_idle
        self._pools: OrderedDict[Origin, httpx.AsyncBaseTransport] = OrderedDict()
        """Least recently used first."""
        self._busy: dict[Origin, int] = {}
        """Responses still open per origin (their connection is in use)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(origin)
        if pool is None:
            await self._close_idle(keep=self._max_idle - 1)
            pool = self._pools[origin] = self._make()
        self._pools.move_to_end(origin)
        self._busy[origin] = self._busy.get(origin, 0) + 1
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            self._done(origin)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Tracked(response.stream, lambda: self._done(origin))
        return response

    def _done(self, origin: Origin) -> None:
        self._busy[origin] -= 1
        if not self._busy[origin]:
            del self._busy[origin]

    async def _close_idle(self, keep: int) -> None:
        idle = [origin for origin in self._pools if origin not in self._busy]
        for origin in idle[: max(0, len(idle) - keep)]:
            await self._pools.pop(origin).aclose()

    @property
    def open_pools(self) -> int:
        """Pools currently open (for tests and benchmarks)."""
        return len(self._pools)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()


class _Tracked(httpx.AsyncByteStream):
    """A response body that says when it is closed: its connection is free again."""

    def __init__(self, inner: httpx.AsyncByteStream, on_close: Callable[[], None]) -> None:
        self._inner = inner
        self._on_close: Callable[[], None] | None = on_close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            on_close, self._on_close = self._on_close, None
            if on_close is not None:  # once, however often the body is closed
                on_close()


def web_transport(
    per_host: int,
    *,
    allow_private: bool,
    resolve: Resolver = system_resolver,
    inner: httpcore.AsyncNetworkBackend | None = None,
    verify: Any = True,
    max_idle: int = MAX_IDLE_POOLS,
) -> PerHostTransport:
    """The transport for web checks: per-host pools, guarded unless ``--allow-private``.

    An explicit transport also means no proxy from the environment, which the guard could
    not see through (a proxy would be the only address it checked).
    """
    limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
    # One TLS context for every host: loading the CA bundle costs 25 ms and a megabyte each.
    ssl_context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
    backend: httpcore.AsyncNetworkBackend = (
        (inner or AsyncioBackend()) if allow_private else GuardedBackend(inner, resolve)
    )

    def make() -> httpx.AsyncHTTPTransport:
        transport = httpx.AsyncHTTPTransport(limits=limits, verify=ssl_context)
        # httpx has no option for the network backend; its pool is rebuilt with the same
        # settings and ours. ``_pool`` is private: pyproject.toml pins httpx to the minor
        # version tested (0.29), and tests/test_hostile_web.py checks the swap took.
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

    return PerHostTransport(make, max_idle)
