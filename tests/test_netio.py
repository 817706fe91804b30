"""The asyncio network backend under httpx, against real servers on 127.0.0.1.

Each test runs a small asyncio server in the test's own loop, so what the server saw
(connections, bytes written) can be checked next to what the checker reported.
"""

from __future__ import annotations

import asyncio
import errno
import select
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpcore
import httpx
import pytest
import trustme

from enricher.models import FailureKind
from enricher.net.backend import AsyncioBackend
from enricher.net.http_errors import describe_http_error
from enricher.net.pool import web_transport

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Server:
    """What a test server saw."""

    port: int = 0
    connections: int = 0
    requests: int = 0
    written: int = 0
    ended: int = 0
    """Connections whose handler has finished (the peer hung up, or the handler did)."""
    go_on: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by a test when the server may take its next step."""
    writers: list[asyncio.StreamWriter] = field(default_factory=list)


Handler = Callable[[Server, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run_against(
    handler: Handler,
    client: Callable[[Server], Awaitable[object]],
    tls: ssl.SSLContext | None = None,
) -> object:
    """Serve ``handler`` on 127.0.0.1 and run ``client`` against it in the same loop."""

    async def go() -> object:
        seen = Server()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.connections += 1
            seen.writers.append(writer)
            try:
                await handler(seen, reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
                seen.ended += 1

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=tls)
        seen.port = server.sockets[0].getsockname()[1]
        try:
            return await client(seen)
        finally:
            server.close()
            for writer in seen.writers:
                writer.close()

    return asyncio.run(go())


async def answer_ok_forever(
    seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while True:
        await reader.readuntil(b"\r\n\r\n")
        seen.requests += 1
        writer.write(OK)
        await writer.drain()


async def turns(n: int) -> None:
    """Let the loop run ``n`` times (socket I/O included) without waiting on the clock."""
    for _ in range(n):
        await asyncio.sleep(0)


async def until(condition: Callable[[], bool], most: int = 100_000) -> bool:
    """Run the loop until ``condition`` holds (True) or ``most`` turns have passed (False)."""
    for _ in range(most):
        if condition():
            return True
        await asyncio.sleep(0)
    return condition()


async def until_still(value: Callable[[], int], turns_still: int = 500) -> int:
    """Run the loop until ``value`` has not changed for ``turns_still`` turns; returns it."""
    last, still = value(), 0
    for _ in range(200_000):
        await asyncio.sleep(0)
        current = value()
        still = still + 1 if current == last else 0
        last = current
        if still >= turns_still:
            break
    return last


def client_for(timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=web_transport(2, allow_private=True), timeout=httpx.Timeout(timeout)
    )


def test_a_kept_alive_connection_is_reused() -> None:
    async def client(seen: Server) -> object:
        async with client_for() as http:
            for _ in range(3):
                response = await http.get(f"http://127.0.0.1:{seen.port}/")
                assert response.status_code == 200 and response.text == "ok"
        return seen

    seen = run_against(answer_ok_forever, client)
    assert isinstance(seen, Server) and (seen.connections, seen.requests) == (1, 3)


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """The server answers once per connection and hangs up: the next page goes on a new
    connection, with no error (the idle one is seen closed before it is used)."""

    async def answer_once(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.requests += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        await writer.drain()

    async def client(seen: Server) -> object:
        async with client_for() as http:
            first = await http.get(f"http://127.0.0.1:{seen.port}/a")
            assert await until(lambda: seen.ended == 1)
            await turns(50)  # the hang-up reaches the client's side
            second = await http.get(f"http://127.0.0.1:{seen.port}/b")
        return first.status_code, second.status_code

    assert run_against(answer_once, client) == (200, 200)


@pytest.mark.slow  # a real 0.2 s read timeout
def test_silence_after_the_request_is_a_read_timeout() -> None:
    async def say_nothing(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(30)

    async def client(seen: Server) -> object:
        async with client_for(timeout=0.2) as http:
            with pytest.raises(httpx.ReadTimeout) as caught:
                await http.get(f"http://127.0.0.1:{seen.port}/")
        return describe_http_error(caught.value)[0]

    assert run_against(say_nothing, client) is FailureKind.NO_ANSWER


def test_a_refused_connection_is_a_connect_error_with_its_cause() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once it is closed

    async def go() -> BaseException:
        async with client_for() as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(f"http://127.0.0.1:{port}/")
        return caught.value

    error = asyncio.run(go())
    assert describe_http_error(error)[0] is FailureKind.CONNECT  # type: ignore[arg-type]
    cause = error.__cause__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    assert isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED


def test_a_huge_body_left_unread_is_not_downloaded() -> None:
    """A 64 MB page judged on its headers: the client stops reading, so the server can push
    only what the buffers hold before it is cut off, not the whole body."""
    size = 64 * 1024 * 1024

    async def send_huge(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        chunk = b"x" * 65536
        for _ in range(size // len(chunk)):
            writer.write(chunk)
            await writer.drain()
            seen.written += len(chunk)

    async def client(seen: Server) -> object:
        url = f"http://127.0.0.1:{seen.port}/"
        async with client_for() as http, http.stream("GET", url) as response:
            status = response.status_code
            await until_still(lambda: seen.written)  # every buffer the server can fill
        await until_still(lambda: seen.written)
        return status, seen.written

    status, written = run_against(send_huge, client)  # type: ignore[misc]
    assert status == 200
    assert written < size // 4


def test_the_backend_connects_to_what_it_is_asked() -> None:
    """Used under the SSRF guard, the backend is handed an address and connects to that."""

    async def client(seen: Server) -> object:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", seen.port, timeout=1.0)
        try:
            return stream.get_extra_info("server_addr")
        finally:
            await stream.aclose()

    async def idle(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()

    address = run_against(idle, client)
    assert isinstance(address, tuple) and address[0] == "127.0.0.1"


def test_bytes_sent_unasked_on_an_idle_connection_retire_it() -> None:
    """After its answer the server sends a stray response on the kept-alive connection: the
    next page must not take it for its own answer, so it goes on a new connection."""
    stray = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n"

    async def answer_then_stray(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        seen.requests += 1
        writer.write(OK)
        await writer.drain()
        if seen.connections == 1:
            await seen.go_on.wait()
            writer.write(stray)
            await writer.drain()
            seen.written += len(stray)
        await answer_ok_forever(seen, reader, writer)

    async def client(seen: Server) -> object:
        async with client_for() as http:
            first = await http.get(f"http://127.0.0.1:{seen.port}/a")
            seen.go_on.set()
            assert await until(lambda: seen.written > 0)
            await turns(50)  # the stray bytes reach the client's side
            second = await http.get(f"http://127.0.0.1:{seen.port}/b")
        return first.status_code, second.status_code, seen.connections

    assert run_against(answer_then_stray, client) == (200, 200, 2)


def test_an_https_page_closed_unread_lets_go_of_its_connection() -> None:
    """A 4 MB page over TLS judged on its headers: closing it closes the client's socket at
    once (a polite TLS close would wait 30 s for a close_notify stuck behind the body)."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    size = 4 * 1024 * 1024

    async def send_big(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        for _ in range(size // 65536):
            writer.write(b"x" * 65536)
            await writer.drain()
            seen.written += 65536

    async def client(seen: Server) -> object:
        transport = web_transport(2, allow_private=True, verify=client_context)
        url = f"https://127.0.0.1:{seen.port}/"
        async with httpx.AsyncClient(transport=transport) as http:
            async with http.stream("GET", url) as response:
                status = response.status_code
                stream = response.extensions["network_stream"]
                sock = stream.get_extra_info("socket")
                await until_still(lambda: seen.written)  # the body backs up unread
            let_go = await until(lambda: sock.fileno() == -1, most=20_000)
        return status, let_go

    assert run_against(send_big, client, tls=server_context) == (200, True)


@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
def test_bytes_already_read_off_the_socket_make_an_idle_connection_readable(tls: bool) -> None:
    """httpcore reuses an idle connection only while ``is_readable`` is False. Stray bytes are
    read off the socket at once (over TLS, decrypted), so the socket alone shows nothing: the
    backend's own buffer must say so, until they are read; the server's end says so too."""
    server_context: ssl.SSLContext | None = None
    client_context: ssl.SSLContext | None = None
    if tls:
        ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_context)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)

    async def stray_then_hang_up(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await seen.go_on.wait()
        seen.go_on.clear()
        writer.write(b"stray")
        await writer.drain()
        seen.written += 5
        await seen.go_on.wait()  # then the connection is closed

    async def client(seen: Server) -> object:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", seen.port, timeout=5.0)
        if client_context is not None:
            stream = await stream.start_tls(client_context, "127.0.0.1", timeout=5.0)
        sock = stream.get_extra_info("socket")
        try:
            await turns(50)  # TLS 1.3 session tickets arrive after the handshake
            idle = stream.get_extra_info("is_readable")
            seen.go_on.set()
            assert await until(lambda: seen.written > 0)
            await turns(50)  # the stray bytes reach the client and are read off the socket
            on_socket = bool(select.select([sock], [], [], 0)[0])
            stray = stream.get_extra_info("is_readable")
            data = await stream.read(100, timeout=5.0)
            after_read = stream.get_extra_info("is_readable")
            seen.go_on.set()
            assert await until(lambda: seen.ended == 1)
            ended = await until(lambda: stream.get_extra_info("is_readable"))
            last = await stream.read(100, timeout=5.0)
        finally:
            await stream.aclose()
        return idle, on_socket, stray, data, after_read, ended, last

    result = run_against(stray_then_hang_up, client, tls=server_context)
    assert result == (False, False, True, b"stray", False, True, b"")


def test_bytes_received_before_a_reset_are_read_before_the_error() -> None:
    """A server that answers and then resets the connection: the answer that arrived is
    still read, and only the read after it is a ReadError, caused by the reset."""

    async def answer_then_reset(
        seen: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(b"answer")
        await writer.drain()
        await seen.go_on.wait()
        linger_0 = struct.pack("ii", 1, 0)  # close() sends a reset, not a FIN
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_0)
        writer.transport.abort()

    async def client(seen: Server) -> object:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", seen.port, timeout=5.0)
        try:
            assert await until(lambda: stream.get_extra_info("is_readable"))
            seen.go_on.set()
            assert await until(lambda: seen.ended == 1)
            await turns(50)  # the reset reaches the client
            answer = await stream.read(100, timeout=5.0)
            with pytest.raises(httpcore.ReadError) as caught:
                await stream.read(100, timeout=5.0)
        finally:
            await stream.aclose()
        return answer, caught.value.__cause__

    answer, cause = run_against(answer_then_reset, client)  # type: ignore[misc]
    assert answer == b"answer"
    assert isinstance(cause, ConnectionResetError)
