"""httpcore's network backend on asyncio's transports and protocols, for the web checks.

httpcore reaches the network through anyio by default, which wraps every read and write in
a cancel scope, connects through a task group, and rebuilds a dict of socket attributes each
time a pooled connection is asked whether the server closed it. A 2,000-link run is CPU-bound
for its first seconds, and that overhead is the difference (measured on
``benchmarks/compare.py``: about 0.7 s less CPU, 0.6 s less wall time). This is the same
backend contract (``httpcore.AsyncNetworkBackend``) on ``loop.create_connection`` and a small
protocol of our own (asyncio's streams hide what they read ahead, which httpcore must be able
to see); the SSRF guard (``guard.GuardedBackend``) sits in front of it exactly as it sat in
front of anyio's.

Errors are httpcore's (``ConnectError``, ``ReadTimeout``...) raised *from* the original
``OSError``/``ssl.SSLError``, so ``net.describe_http_error`` still finds the cause
(no such host, a certificate's verify message).
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

from ..urls import is_ip_literal

HAPPY_EYEBALLS_DELAY_S = 0.25
"""RFC 8305's connection attempt delay, when this backend is handed a name (``--allow-private``
runs): a name with IPv6 and IPv4 addresses tries the next address after this long instead of
waiting out a dead route. Under the SSRF guard it is handed one checked address at a time."""

READ_LIMIT = 256 * 1024
"""Reading stops once twice this much waits unread (asyncio's streams stop at the same
point), so a 50 MB page that is never read is not downloaded: what arrives is that plus the
kernel's socket buffers (a few MB on loopback; over TLS a little more, as asyncio's TLS layer
reads ahead too, up to 256 KiB)."""


class _Connection(asyncio.Protocol):
    """What one connection received and not yet read, and whether it may be written to.

    asyncio's streams (``open_connection``) hold the same things, but a ``StreamReader``
    keeps what it read ahead in a private attribute, and httpcore's ``is_readable`` needs to
    see it: asyncio reads eagerly, so bytes a server sends unasked on an idle connection sit
    in the reader, not on the socket. ``open_connection``'s own source says to copy its code
    to customise the reader; this is that, on the documented protocol interface
    (``data_received``, ``pause_reading``, ``pause_writing``...), cut to what httpcore uses.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        """The transport it reads from: the TCP one, then the TLS one over it."""
        self.buffer = bytearray()
        """Bytes received and not yet read."""
        self.ended = False
        """The peer's end was seen (it closed, or closed its sending side)."""
        self.lost = False
        """The connection is gone; ``error`` says why if it was not a clean end."""
        self.error: Exception | None = None
        """What broke the connection, raised by a read once the bytes before it are read."""
        self.writing_paused = False
        """The transport has too much unsent: a write waits until it has sent some."""
        self._tls = False
        self._reading_paused = False
        self._data_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def tls_started(self, transport: asyncio.Transport) -> None:
        """From now on it reads from ``transport`` (asyncio's TLS one on top of the TCP one)."""
        self.transport = transport
        self._tls = True
        self._reading_paused = False  # pausing is per transport; this one reads

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._wake(self._data_waiter)
        if not self._reading_paused and len(self.buffer) > 2 * READ_LIMIT:
            assert self.transport is not None
            self.transport.pause_reading()
            self._reading_paused = True

    def eof_received(self) -> bool:
        self.ended = True
        self._wake(self._data_waiter)
        # True keeps our sending side open, as asyncio's streams do: a server may close its
        # side before it read the whole request. Over TLS the answer is not asked for.
        return not self._tls

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if exc is None:
            self.ended = True
        else:
            self.error = exc
        self._wake(self._data_waiter)
        self._wake(self._drain_waiter)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._wake(self._drain_waiter)

    async def data_arrived(self) -> None:
        """Wait until something new was received, or the connection ended."""
        assert self._data_waiter is None, "one read at a time"
        if self._reading_paused:  # nothing is buffered when a read waits
            self._resume_reading()
        waiter = self._data_waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._data_waiter = None

    async def drained(self) -> None:
        """Wait until the transport takes writes again, or the connection is lost."""
        assert self._drain_waiter is None, "one write at a time"
        waiter = self._drain_waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._drain_waiter = None

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what was received, oldest first."""
        buffer = self.buffer
        if len(buffer) <= max_bytes:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:max_bytes])
            del buffer[:max_bytes]
        if self._reading_paused and len(buffer) <= READ_LIMIT:
            self._resume_reading()
        return data

    def _resume_reading(self) -> None:
        assert self.transport is not None
        self._reading_paused = False
        self.transport.resume_reading()

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: an asyncio transport and what it received, with httpcore's timeouts
    and errors."""

    def __init__(self, transport: asyncio.Transport, connection: _Connection) -> None:
        self._transport = transport
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        connection = self._connection
        if not connection.buffer and not connection.ended and not connection.lost:
            try:
                async with asyncio.timeout(timeout):
                    await connection.data_arrived()
            except TimeoutError as exc:
                raise httpcore.ReadTimeout(str(exc)) from exc
        if connection.buffer:
            return connection.take(max_bytes)
        error = connection.error
        if error is None:
            return b""  # the end, as httpcore expects
        if isinstance(error, OSError):  # ssl.SSLError included
            raise httpcore.ReadError(str(error)) from error
        raise error

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        connection = self._connection
        # Checked first: asyncio's transports drop a write to a lost connection silently.
        if connection.lost or self._transport.is_closing():
            raise _closed(connection) from connection.error
        try:
            self._transport.write(buffer)
            if connection.writing_paused:
                async with asyncio.timeout(timeout):
                    await connection.drained()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc
        if connection.lost:
            raise _closed(connection) from connection.error

    async def aclose(self) -> None:
        # Dropped at once, as anyio does for TLS without close_notify: a connection closes
        # when its page was judged on its headers, with the body still coming. A polite TLS
        # close would wait for the server's close_notify behind that body, which asyncio
        # cannot read once it paused the socket (python/cpython#114921), holding the socket
        # open for 30 s.
        self._transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                if self._connection.writing_paused:  # what was written goes out in the clear
                    await self._connection.drained()
                transport = await loop.start_tls(
                    self._transport, self._connection, ssl_context,
                    server_hostname=server_hostname,
                )  # fmt: skip
        except TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:  # SSLError is an OSError; named for the reader
            self._transport.abort()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:  # only when the loop was closing underneath
            self._transport.abort()
            raise httpcore.ConnectError("TLS could not be started")
        self._transport = transport
        self._connection.tls_started(transport)
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of an idle kept-alive connection: "has the server closed it
            # or sent something unasked?" (then it must not carry the next page). Reading
            # is eager, so the answer is mostly here: an end already seen, or bytes already
            # received; else bytes still on the socket.
            connection = self._connection
            if connection.buffer or connection.ended or connection.lost:
                return True
            if self._transport.is_closing():
                return True
            return _has_bytes_waiting(self._transport.get_extra_info("socket"))
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


def _closed(connection: _Connection) -> httpcore.WriteError:
    return httpcore.WriteError(str(connection.error or "the connection is closed"))


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
    """Connections made by asyncio's ``create_connection`` (TCP_NODELAY on, as anyio's are)."""

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
        race = None if is_ip_literal(host) else HAPPY_EYEBALLS_DELAY_S
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(
                    lambda: _Connection(loop), host, port,
                    local_addr=(local_address, 0) if local_address else None,
                    happy_eyeballs_delay=race,
                )  # fmt: skip
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA refuses
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for option in socket_options or ():
                    sock.setsockopt(*option)
            except OSError as exc:
                transport.abort()
                raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(transport, connection)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_unix_connection(
                    lambda: _Connection(loop), path
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return AsyncioStream(transport, connection)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
