"""httpcore's network backend on asyncio's own streams, for the web checks.

httpcore reaches the network through anyio by default, which wraps every read and write in
a cancel scope, connects through a task group, and rebuilds a dict of socket attributes each
time a pooled connection is asked whether the server closed it. A 2,000-link run is CPU-bound
for its first seconds, and that overhead is the difference (measured on
``benchmarks/compare.py``: about 0.7 s less CPU, 0.6 s less wall time). This is the same
backend contract (``httpcore.AsyncNetworkBackend``) on ``asyncio.open_connection``; the SSRF
guard (``guard.GuardedBackend``) sits in front of it exactly as it sat in front of anyio's.

Errors are httpcore's (``ConnectError``, ``ReadTimeout``...) raised *from* the original
``OSError``/``ssl.SSLError``, so ``net.describe_http_error`` still finds the cause
(no such host, a certificate's verify message).
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

HAPPY_EYEBALLS_DELAY_S = 0.25
"""RFC 8305's connection attempt delay, when this backend is handed a name (``--allow-private``
runs): a name with IPv6 and IPv4 addresses tries the next address after this long instead of
waiting out a dead route. Under the SSRF guard it is handed one checked address at a time."""

READ_LIMIT = 256 * 1024
"""asyncio stops reading a socket once twice this much waits unread, so a 50 MB page that is
never read is not downloaded: what arrives is that plus the kernel's socket buffers (a few
MB on loopback; over TLS a little more, as the TLS layer reads ahead too)."""


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: asyncio's reader and writer, with httpcore's timeouts and errors."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)  # b"" at the end, as httpcore expects
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        # Dropped at once, as anyio does for TLS without close_notify: a connection closes
        # when its page was judged on its headers, with the body still coming. A polite TLS
        # close would wait for the server's close_notify behind that body, which asyncio
        # cannot read once it paused the socket (python/cpython#114921), holding the socket
        # open for 30 s.
        self._writer.transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:  # SSLError is an OSError; named for the reader
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of an idle kept-alive connection: "has the server closed it
            # or sent something unasked?" (then it must not carry the next page). asyncio
            # reads eagerly, so the answer is mostly in the reader: an end already seen, or
            # bytes already buffered (StreamReader has no public way to tell; its buffer is
            # checked by tests/test_netio.py), else bytes still on the socket.
            if self._reader.at_eof() or self._writer.transport.is_closing():
                return True
            if getattr(self._reader, "_buffer", None):
                return True
            return _has_bytes_waiting(self._writer.get_extra_info("socket"))
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        return None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def _has_bytes_waiting(sock: Any) -> bool:
    """Whether the socket has something to read right now (a closed one counts)."""
    if sock is None or sock.fileno() == -1:
        return True
    if hasattr(select, "poll"):  # select() fails on descriptors above 1023
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    ready, _, _ = select.select([sock], [], [], 0)
    return bool(ready)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections made by ``asyncio.open_connection`` (TCP_NODELAY on, as anyio's are)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # Racing addresses only makes sense for a name; an address needs no race (and
        # asyncio's racing code has had cancellation leaks, so it is not used for nothing).
        race = None if _is_address(host) else HAPPY_EYEBALLS_DELAY_S
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, limit=READ_LIMIT,
                    local_addr=(local_address, 0) if local_address else None,
                    happy_eyeballs_delay=race,
                )  # fmt: skip
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA refuses
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for option in socket_options or ():
                    sock.setsockopt(*option)
            except OSError as exc:
                writer.transport.abort()
                raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path, limit=READ_LIMIT)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
