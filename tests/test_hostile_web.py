"""Hostile servers and hostile names: the SSRF guard, deadlines, huge and endless answers, TLS.

Every server here is a real socket on 127.0.0.1. Names that must look public or private are
played by an injected resolver, and the connection itself by a backend that can only ever
reach 127.0.0.1: a "public" address it was told about is rewritten to a local port, and any
other address is recorded and refused, so even a broken guard cannot send a packet elsewhere.
Where only the answer matters, not the socket, respx routes stand in for the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http.server
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
import respx
import trustme

from enricher import pipeline
from enricher.authorities.web import web_verdict
from enricher.config import Settings
from enricher.models import FailureKind, FetchFailure, FetchOutcome, HttpFacts, Status
from enricher.net.backend import AsyncioBackend
from enricher.net.checker import WebChecker
from enricher.net.context import Clocks, NetContext, RequestCounter
from enricher.net.guard import GuardedBackend
from enricher.net.pool import PerHostTransport, web_transport
from tests.conftest import FakeClock, WebRecorder

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)
PUBLIC_IP = "93.184.216.34"
"""A public address the fake backend rewrites to a local server (nothing is sent to it)."""
PER_HOST = 6
MB = 1024 * 1024


# --- the world: a resolver, a loopback-only backend, raw socket servers ------------------


@dataclass
class LoopbackOnly(httpcore.AsyncNetworkBackend):
    """A network backend that can reach only 127.0.0.1, whatever it is asked for."""

    public: dict[str, int] = field(default_factory=dict)
    """Addresses that stand for a local port: ``{"93.184.216.34": 8123}``."""
    attempts: list[str] = field(default_factory=list)
    """Every address a connection was asked for, refused or not."""

    def __post_init__(self) -> None:
        self._real = AsyncioBackend()

    async def connect_tcp(
        self, host: str, port: int, **options: Any
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append(host)
        if host in self.public:
            return await self._real.connect_tcp("127.0.0.1", self.public[host], **options)
        raise httpcore.ConnectError(f"test backend: {host} is off limits")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def resolver(names: dict[str, list[str]]) -> Callable[[str, int], Any]:
    """A resolver answering from ``names`` (an unknown name does not resolve)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host}")
        return names[host]

    return resolve


class RawServer:
    """A TCP server on 127.0.0.1 whose every connection is handed to ``serve(socket)``."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with contextlib.suppress(OSError):  # the client hung up: what deadlines do
                    serve(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    started: list[RawServer] = []

    def start(serve: Callable[[socket.socket], None]) -> RawServer:
        server = RawServer(serve)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def check(
    urls: list[str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_private: bool = False,
    timeout_s: float = 2.0,
    link_deadline_s: float = 10.0,
    attempts: int = 1,
    max_redirects: int = 10,
    per_host: int = 2,
) -> list[FetchOutcome]:
    """Check ``urls`` with a real WebChecker; sleeps between retries are skipped."""

    async def no_sleep(_: float) -> None:
        return None

    async def go() -> list[FetchOutcome]:
        counter = RequestCounter()
        async with httpx.AsyncClient(
            transport=transport, follow_redirects=False, timeout=timeout_s,
            event_hooks={"request": [counter.hook("web")]},
        ) as client:  # fmt: skip
            settings = Settings(
                concurrency=8, per_host=per_host, timeout_s=timeout_s, attempts=attempts,
                retry_budget_s=60, allow_private=allow_private, deadline_s=link_deadline_s,
                max_redirects=max_redirects,
            )  # fmt: skip
            checker = WebChecker(client, NetContext(settings, Clocks(lambda: NOW, no_sleep)))
            return list(await asyncio.gather(*(checker.check(u) for u in urls)))

    return asyncio.run(go())


def guarded(names: dict[str, list[str]], backend: LoopbackOnly) -> PerHostTransport:
    return web_transport(PER_HOST, allow_private=False, resolve=resolver(names), inner=backend)


def ok_server(raw_server: Any, status: bytes = b"200 OK", headers: bytes = b"") -> RawServer:
    def serve(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n" + headers + b"\r\nok")

    return raw_server(serve)  # type: ignore[no-any-return]


# --- SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "127.0.0.1", "0.0.0.0",
     "224.0.0.251", "240.0.0.1", "100.64.0.1", "::1", "fe80::1", "ff02::1", "::ffff:10.0.0.5",
     "64:ff9b::a9fe:a9fe"],
    ids=["10/8", "172.16/12", "192.168/16", "metadata", "loopback", "unspecified", "multicast",
         "reserved", "cgnat", "v6-loopback", "v6-link-local", "v6-multicast", "v4-mapped",
         "nat64-metadata"],
)  # fmt: skip
def test_name_resolving_to_non_public_address_is_skipped_without_connecting(
    address: str,
) -> None:
    """A public-looking name that resolves to a private address is skipped; no connection."""
    backend = LoopbackOnly()
    transport = guarded({"intranet.example.com": [address]}, backend)

    [outcome] = check(["http://intranet.example.com/admin"], transport=transport)

    assert backend.attempts == []
    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.PRIVATE
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.SKIPPED
    assert verdict.reason == (
        f"intranet.example.com resolves to a private address ({address}); not checked "
        "(--allow-private to check it)"
    )


def test_name_with_one_private_address_among_public_ones_is_refused() -> None:
    """DNS answers mixing public and private addresses are refused whole (rebinding)."""
    backend = LoopbackOnly(public={PUBLIC_IP: 9})
    transport = guarded({"rebind.example.com": [PUBLIC_IP, "10.1.2.3"]}, backend)

    [outcome] = check(["https://rebind.example.com/"], transport=transport)

    assert backend.attempts == []
    assert web_verdict(outcome, NOW).status is Status.SKIPPED
    assert "10.1.2.3" in str(web_verdict(outcome, NOW).reason)


def test_public_name_is_checked_at_the_address_the_guard_checked(raw_server: Any) -> None:
    """A public address passes the guard, and the connection goes to exactly that address."""
    server = ok_server(raw_server)
    backend = LoopbackOnly(public={PUBLIC_IP: server.port})
    transport = guarded({"news.example.com": [PUBLIC_IP]}, backend)

    [outcome] = check(["http://news.example.com/story"], transport=transport)

    assert backend.attempts == [PUBLIC_IP]
    assert isinstance(outcome, HttpFacts) and outcome.status_code == 200
    assert web_verdict(outcome, NOW).status is Status.OK


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://metadata.example.com/latest/"],
    ids=["literal-address", "name-resolving-to-metadata"],
)
def test_public_url_redirecting_to_metadata_service_is_not_followed(
    raw_server: Any, location: str
) -> None:
    """A redirect to the cloud metadata service is refused at the hop, literal or by name."""
    server = ok_server(raw_server, b"302 Found", f"Location: {location}\r\n".encode())
    backend = LoopbackOnly(public={PUBLIC_IP: server.port})
    names = {"news.example.com": [PUBLIC_IP], "metadata.example.com": ["169.254.169.254"]}

    [outcome] = check(["http://news.example.com/"], transport=guarded(names, backend))

    assert backend.attempts == [PUBLIC_IP]  # the metadata address was never dialled
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.SKIPPED
    assert "169.254.169.254" in str(verdict.reason) and "--allow-private" in str(verdict.reason)
    assert [hop.url for hop in verdict.redirects] == [location]


def test_run_skips_a_digest_link_whose_name_resolves_to_a_private_address(
    tmp_path: Path,
) -> None:
    """End to end: the record says skipped with the reason, and no connection was tried."""
    digest = tmp_path / "week.txt"
    digest.write_text("Links\n[Internal] http://wiki.example.com/secret\n", encoding="utf-8")
    backend = LoopbackOnly()
    settings = Settings(paths=(str(digest),), use_cache=False, arxiv_delay_s=0)

    summary = pipeline.run(
        settings, web_transport=guarded({"wiki.example.com": ["10.20.30.40"]}, backend)
    )

    assert backend.attempts == []
    [link] = summary.digests[0].links
    assert link.verdict.status is Status.SKIPPED
    assert "10.20.30.40" in str(link.verdict.reason)
    assert summary.exit_code == 0


def test_guard_is_on_by_default_in_a_run() -> None:
    """Without --allow-private every per-host pool connects through the guard."""

    def backend_of(transport: PerHostTransport) -> object:
        pool = transport._make()
        assert isinstance(pool, httpx.AsyncHTTPTransport)
        assert isinstance(pool._pool, httpcore.AsyncConnectionPool)
        return pool._pool._network_backend

    assert isinstance(backend_of(web_transport(PER_HOST, allow_private=False)), GuardedBackend)
    assert not isinstance(backend_of(web_transport(PER_HOST, allow_private=True)), GuardedBackend)


def test_each_host_gets_its_own_small_pool(raw_server: Any) -> None:
    """Two hosts, two pools of --per-host connections: no pool scans another host's sockets."""
    server = ok_server(raw_server)
    backend = LoopbackOnly(public={PUBLIC_IP: server.port, "93.184.216.35": server.port})
    names = {"a.example.com": [PUBLIC_IP], "b.example.com": ["93.184.216.35"]}
    transport = guarded(names, backend)
    made: list[httpx.AsyncBaseTransport] = []
    make = transport._make
    transport._make = lambda: made.append(make()) or made[-1]  # type: ignore[method-assign]

    urls = ["http://a.example.com/1", "http://b.example.com/1", "http://a.example.com/2"]
    outcomes = check(urls, transport=transport)

    assert all(web_verdict(o, NOW).status is Status.OK for o in outcomes)
    assert len(made) == 2
    for pool in made:
        assert isinstance(pool, httpx.AsyncHTTPTransport)
        assert pool._pool._max_connections == PER_HOST  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "data:text/html,<script>alert(1)</script>", "javascript:alert(1)",
     "ftp://ftp.example.com/pub/model.bin", "gopher://example.com/"],
    ids=["file", "data", "javascript", "ftp", "gopher"],
)  # fmt: skip
def test_non_http_schemes_are_invalid_and_never_fetched(tmp_path: Path, url: str) -> None:
    """Only http and https are checked; anything else is invalid, with the scheme named."""
    digest = tmp_path / "week.txt"
    digest.write_text(f"Links\n[Thing] {url}\n[Other] https://example.com/\n", encoding="utf-8")
    web = WebRecorder()  # answers 200 to any URL, whatever its scheme, and records it
    settings = Settings(paths=(str(digest),), use_cache=False, arxiv_delay_s=0)

    summary = pipeline.run(settings, clocks=FakeClock().clocks(), web_transport=web.transport())

    # A web that answers everything saw only the http link: the other was never handed to it.
    assert web.urls == ["https://example.com/"]
    first, other = summary.digests[0].links
    assert first.verdict.status is Status.INVALID
    assert url.split(":")[0] in str(first.verdict.reason)
    assert other.verdict.status is Status.OK


# --- bounded time ---------------------------------------------------------------------------


@pytest.mark.slow  # a real 0.5 s deadline against a server dripping a byte every 20 ms
def test_slowloris_headers_are_cut_off_by_the_deadline(raw_server: Any) -> None:
    """A server sending its headers a byte at a time cannot hold a link past the deadline."""
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        read_request(conn)
        for byte in b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 10_000:
            if stop.wait(0.02):
                return
            conn.sendall(bytes([byte]))

    server = raw_server(serve)
    began = time.monotonic()
    [outcome] = check(
        [f"http://127.0.0.1:{server.port}/"], allow_private=True, timeout_s=5.0,
        link_deadline_s=0.5, attempts=3,
    )  # fmt: skip
    took = time.monotonic() - began
    stop.set()

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.TIMEOUT
    assert web_verdict(outcome, NOW).status is Status.UNREACHABLE
    assert took < 2.0, f"the link took {took:.2f} s against a 0.5 s deadline"


@pytest.mark.slow  # real 0.2 s timeouts under a 0.6 s deadline
def test_hanging_server_is_unreachable_within_the_deadline(raw_server: Any) -> None:
    """A server that accepts and never answers costs at most the deadline, retries included."""
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        read_request(conn)
        stop.wait(30)

    server = raw_server(serve)
    began = time.monotonic()
    [outcome] = check(
        [f"http://127.0.0.1:{server.port}/"], allow_private=True, timeout_s=0.2,
        link_deadline_s=0.6, attempts=10,
    )  # fmt: skip
    took = time.monotonic() - began
    stop.set()

    assert web_verdict(outcome, NOW).status is Status.UNREACHABLE
    assert took < 2.0, f"the link took {took:.2f} s against a 0.6 s deadline"


@pytest.mark.slow  # the hanging page holds its slot for the real 0.4 s deadline
def test_time_queued_behind_a_hanging_page_does_not_count_against_the_deadline(
    raw_server: Any,
) -> None:
    """A fast page waiting for the slot a hanging page of its host holds still ends ok."""
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        request = read_request(conn)
        if b"/hang" in request:
            stop.wait(30)
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    server = raw_server(serve)
    base = f"http://127.0.0.1:{server.port}"
    hang, fast = check(
        [f"{base}/hang", f"{base}/fast"], allow_private=True, timeout_s=5.0,
        link_deadline_s=0.4, per_host=1,
    )  # fmt: skip
    stop.set()

    assert web_verdict(hang, NOW).status is Status.UNREACHABLE
    assert web_verdict(fast, NOW).status is Status.OK


@pytest.mark.slow  # the server drips a byte every 50 ms of real time
def test_slow_drip_body_does_not_hold_the_check(raw_server: Any) -> None:
    """A page whose body drips forever is judged on its headers, at once."""
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.wait(0.05):
            conn.sendall(b"x")

    server = raw_server(serve)
    began = time.monotonic()
    [outcome] = check([f"http://127.0.0.1:{server.port}/"], allow_private=True, link_deadline_s=5)
    took = time.monotonic() - began
    stop.set()

    assert web_verdict(outcome, NOW).status is Status.OK
    assert took < 1.0


# --- bounded bytes --------------------------------------------------------------------------


def test_200_mb_body_costs_at_most_a_few_megabytes(raw_server: Any) -> None:
    """A 200 MB page is not downloaded: the server manages to push only socket buffers."""
    sent = [0]
    done = threading.Event()

    def serve(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (200 * MB))
        chunk = b"\0" * 65536
        try:
            while sent[0] < 200 * MB:
                conn.sendall(chunk)
                sent[0] += len(chunk)
        finally:
            done.set()

    server = raw_server(serve)
    [outcome] = check([f"http://127.0.0.1:{server.port}/video.mp4"], allow_private=True)
    assert done.wait(5), "the server was still sending: the client kept reading"

    assert web_verdict(outcome, NOW).status is Status.OK
    assert sent[0] < 16 * MB, f"{sent[0] / MB:.1f} MB left the server"


def test_gzip_bomb_page_is_judged_without_inflating_it(raw_server: Any) -> None:
    """A page that would inflate to 1 GB is judged on its headers; nothing is decompressed."""
    bomb = gzip.compress(b"\0" * (64 * MB), compresslevel=9)

    def serve(conn: socket.socket) -> None:
        read_request(conn)
        head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
        conn.sendall(head % (len(bomb) * 16))
        for _ in range(16):  # 16 bombs back to back: 1 GB once inflated
            conn.sendall(bomb)

    server = raw_server(serve)
    [outcome] = check([f"http://127.0.0.1:{server.port}/"], allow_private=True)

    assert web_verdict(outcome, NOW).status is Status.OK


def test_redirect_limit_is_configurable(raw_server: Any) -> None:
    """--max-redirects N: a chain longer than N is broken, with the hops kept."""

    def serve(conn: socket.socket) -> None:
        request = read_request(conn)
        n = int(request.split(b" ")[1].strip(b"/") or b"0")
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /%d\r\nContent-Length: 0\r\n\r\n" % (n + 1))

    server = raw_server(serve)
    [outcome] = check([f"http://127.0.0.1:{server.port}/0"], allow_private=True, max_redirects=3)

    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.reason == "more than 3 redirects"
    assert len(verdict.redirects) == 4


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[trustme.CA, int]]:
    """An HTTPS server on 127.0.0.1 with a certificate for ``secure.example.com``."""
    ca = trustme.CA()
    cert = ca.issue_cert("secure.example.com", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)

    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield ca, server.server_address[1]
    server.shutdown()
    server.server_close()


def test_invalid_certificate_is_unreachable_naming_the_tls_error(
    tls_server: tuple[trustme.CA, int],
) -> None:
    """A certificate nobody trusts is unreachable, the reason naming the TLS error."""
    _, port = tls_server
    backend = LoopbackOnly(public={PUBLIC_IP: port})
    transport = guarded({"secure.example.com": [PUBLIC_IP]}, backend)

    [outcome] = check([f"https://secure.example.com:{port}/"], transport=transport, attempts=3)

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.TLS
    assert outcome.attempts == 1  # not retried: it will not fix itself in a second
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.reason is not None and verdict.reason.startswith("TLS error: ")
    assert "CERTIFICATE_VERIFY_FAILED" in verdict.reason
    assert "unable to get local issuer certificate" in verdict.reason


def test_certificate_for_another_name_is_refused_though_connected_by_address(
    tls_server: tuple[trustme.CA, int],
) -> None:
    """The guard connects to an address, yet the certificate is still checked against the name."""
    ca, port = tls_server
    backend = LoopbackOnly(public={PUBLIC_IP: port})
    names = {"secure.example.com": [PUBLIC_IP], "impostor.example.com": [PUBLIC_IP]}
    context = ssl.create_default_context()
    ca.configure_trust(context)
    transport = web_transport(
        PER_HOST, allow_private=False, resolve=resolver(names), inner=backend, verify=context
    )

    good, bad = check(
        [f"https://secure.example.com:{port}/", f"https://impostor.example.com:{port}/"],
        transport=transport,
    )

    assert web_verdict(good, NOW).status is Status.OK
    assert isinstance(bad, FetchFailure) and bad.kind is FailureKind.TLS
    assert "Hostname mismatch" in bad.message and "impostor.example.com" in bad.message


# --- answers that once crashed a whole run ---------------------------------------------------


def routes() -> respx.Router:
    """A host played by respx routes; a request no route matches fails the test."""
    return respx.Router(assert_all_called=False)


@pytest.mark.parametrize("location", ["http://a]/", "http://a[b/", "http://[::1/x"])
def test_unparseable_redirect_location_is_broken_not_a_crash(location: str) -> None:
    """A Location no URL parser accepts is the server's answer: broken, with what it said."""
    router = routes()
    page = router.get("https://example.org/").respond(302, headers={"Location": location})

    [outcome] = check(["https://example.org/"], transport=httpx.MockTransport(router.async_handler))

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.BAD_REDIRECT
    assert web_verdict(outcome, NOW).status is Status.BROKEN
    assert page.call_count == 1 and len(router.calls) == 1  # nothing else was asked for


@pytest.mark.parametrize(
    ("value", "requests"),
    [
        pytest.param("\u00b2", 2, id="\u00b2"),  # not a number: ignored, so retried
        pytest.param("9" * 40, 1, id="9" * 40),  # "not now": over the cap, not waited for
        pytest.param("Fri, 31 Dec 99999 23:59:59 GMT", 2, id="Fri, 31 Dec 99999 23:59:59 GMT"),
    ],
)
def test_hostile_retry_after_is_not_a_crash(value: str, requests: int) -> None:
    """Retry-After "²", forty nines or an impossible date: read as "not now" or ignored."""
    router = routes()
    limited = router.get("https://example.org/").respond(
        429, headers=[(b"Retry-After", value.encode("utf-8"))]
    )

    [outcome] = check(
        ["https://example.org/"], transport=httpx.MockTransport(router.async_handler), attempts=2
    )

    assert isinstance(outcome, HttpFacts) and outcome.status_code == 429
    assert web_verdict(outcome, NOW).status is Status.BLOCKED
    assert limited.call_count == requests


def test_a_name_idna_refuses_is_unreachable_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64-character DNS label makes IDNA raise UnicodeError: a connect failure, not a crash."""
    import anyio

    from enricher.net import guard

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UnicodeError("label too long")

    monkeypatch.setattr(anyio, "getaddrinfo", refuse)
    transport = web_transport(PER_HOST, allow_private=False, resolve=guard.system_resolver,
                              inner=LoopbackOnly())  # fmt: skip

    [outcome] = check(["http://" + "a" * 64 + ".example/"], transport=transport)

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.CONNECT
    assert web_verdict(outcome, NOW).status is Status.UNREACHABLE


def test_idle_pools_are_closed_past_the_cap(raw_server: Any) -> None:
    """Hundreds of hosts do not keep a socket each open: idle pools beyond the cap close."""
    server = ok_server_keepalive(raw_server)
    addresses = {f"93.184.{n // 250}.{n % 250 + 1}": server.port for n in range(40)}
    names = {f"h{n}.example.com": [address] for n, address in enumerate(addresses)}
    transport = web_transport(
        PER_HOST, allow_private=False, resolve=resolver(names),
        inner=LoopbackOnly(public=addresses), max_idle=5,
    )  # fmt: skip
    seen: list[int] = []

    async def go() -> None:
        async with httpx.AsyncClient(transport=transport) as client:
            for name in names:
                response = await client.get(f"http://{name}/")
                assert response.status_code == 200
                seen.append(transport.open_pools)

    asyncio.run(go())

    assert max(seen) <= 6  # five idle, plus the one just made


def ok_server_keepalive(raw_server: Any) -> RawServer:
    """A server that keeps connections open, answering every request on them."""

    def serve(conn: socket.socket) -> None:
        while read_request(conn):
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    return raw_server(serve)  # type: ignore[no-any-return]


@pytest.mark.slow  # real 0.2 s read timeouts
def test_a_host_that_stopped_answering_costs_a_few_timeouts_not_one_per_link(
    raw_server: Any,
) -> None:
    """Twenty pages of a dead host: after 3 unanswered requests in a row the rest are reported
    unreachable without being sent, so the run's length does not grow with the link count."""
    stop = threading.Event()
    received: list[bytes] = []

    def serve(conn: socket.socket) -> None:
        received.append(read_request(conn))
        stop.wait(30)

    server = raw_server(serve)
    urls = [f"http://127.0.0.1:{server.port}/p/{n}" for n in range(20)]
    began = time.monotonic()
    outcomes = check(urls, allow_private=True, timeout_s=0.2, link_deadline_s=10, per_host=2)
    took = time.monotonic() - began
    stop.set()

    assert all(web_verdict(o, NOW).status is Status.UNREACHABLE for o in outcomes)
    assert len(received) <= 4
    skipped = [o for o in outcomes if isinstance(o, FetchFailure) and "not sent" in o.message]
    assert len(skipped) >= 16
    assert "unanswered this run" in skipped[0].message
    assert took < 2.0


def test_a_name_that_does_not_exist_is_unreachable_after_one_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NXDOMAIN (EAI_NONAME) is not asked again: a dead domain costs no backoff."""
    import anyio

    from enricher.net import guard

    asked: list[str] = []

    async def no_such_name(host: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(anyio, "getaddrinfo", no_such_name)
    transport = web_transport(PER_HOST, allow_private=False, resolve=guard.system_resolver,
                              inner=LoopbackOnly())  # fmt: skip

    [outcome] = check(["https://rotted-startup.example/"], transport=transport, attempts=3)

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.NO_SUCH_HOST
    assert asked == ["rotted-startup.example"]
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE and verdict.network_level_failure
    assert "Name or service not known" in str(verdict.reason)
