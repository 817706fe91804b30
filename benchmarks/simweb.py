#!/usr/bin/env python3
"""A simulated web on 127.0.0.x for the side-by-side benchmark (issue 6).

One asyncio process serves every address: web hosts 127.0.0.2 .. 127.0.0.(1+H) on one port
number, each with its own latency and a concurrency cap, plus three servers on 127.0.0.1 with
their own ports: a fake arXiv API (Atom, ``/api/query?id_list=``), a fake GitHub REST API
(``/repos/{owner}/{repo}`` with ETag/304, 301 for renamed repositories) and a control server
(``GET /__stats``, ``POST /__reset``, ``POST /__shutdown``). Nothing else is contacted.

Web paths (the path alone says how a host answers, so the server needs no link list):

    /ok/ID                      200 (small HTML)
    /hop/CODE/HOST/<rest>       CODE (301/302/307/308) to http://127.0.0.HOST:PORT/<rest>
    /loop/ID/a, /loop/ID/b      302 to each other
    /404/ID, /410/ID            that status
    /wall/ID, /wallcf/ID        403 bot wall ("Just a moment..."); wallcf adds cf-mitigated: challenge
    /flaky503/ID                first request 503 + Retry-After: 1, later ones 200 (per URL)
    /flaky429/ID                first request 429 + Retry-After: 1, later ones 200 (scripted)
    /head405/ID                 405 to HEAD, 200 to GET
    /slow/ID                    200 after SLOW_S instead of the host's latency
    /hang/ID                    never answers (until the client hangs up or the server stops)
    /huge/ID                    200 with a HUGE_BYTES body, streamed

Every answer but a cap 429 waits the host's latency first. A request that arrives while the host
already has ``cap`` requests in flight is answered at once with 429 and ``Retry-After: 1`` and
counted as a *cap* 429 (provoked by the client), apart from the scripted ones of /flaky429.

Counters per host (requests, max in flight, cap 429s, scripted 429s and 503s, bytes sent, status
codes) and per API are served as JSON at ``/__stats`` and written to ``--stats-file`` on exit.
The hosts, their latencies and caps, and the arXiv/GitHub worlds come from the ``world`` section
of the ground-truth file written by ``gen_digests.py``.

    python benchmarks/simweb.py --truth DIR/truth.json --port 18080 --ready-file ready.json

The process stops by itself after ``--max-seconds`` (default 3600), when its parent exits
(``--exit-with-parent``), on SIGTERM/SIGINT, or on ``POST /__shutdown``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
"""Real-format arXiv and GitHub answers, shipped in the repository (not in the wheel)."""

SLOW_S = 2.0
"""How long /slow/ takes to answer."""
HUGE_BYTES = 50 * 1024 * 1024
"""Body size of /huge/."""
CHUNK = 256 * 1024
"""Bytes written per step of a streamed body."""
STALL_S = 20.0
"""A streamed body whose reader stops reading for this long is abandoned."""
IDLE_S = 60.0
"""An idle keep-alive connection is closed after this long."""
RETRY_AFTER = "1"
"""Retry-After of every 429 and 503 the simulated web sends."""
MAX_HEADER_BYTES = 64 * 1024

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
           307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone",
           429: "Too Many Requests", 503: "Service Unavailable"}  # fmt: skip


# --- the worlds behind the fake APIs ----------------------------------------------------------


def fixture_text(name: str) -> str:
    path = FIXTURES / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"simweb: missing fixture {path}: run from a full clone ({exc})") from exc


class ArxivWorld:
    """``/api/query?id_list=...``: one Atom entry per known id, like the real API (and like
    ``tests/fakes.py`` FakeArxiv): unknown ids are left out, a malformed id makes it 400."""

    VALID_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
    TEMPLATE_ID = "2405.13786"
    TEMPLATE_TITLE = "Towards Explainable Test Case Prioritisation with Learning-to-Rank Models"

    def __init__(self, known: set[str], latest_version: int) -> None:
        multi = fixture_text("arxiv_idlist_multi.xml")
        self.header = multi[: multi.index("  <entry>")]
        second = multi.index("  <entry>", multi.index("</entry>"))
        self.template = multi[second : multi.rindex("</entry>") + len("</entry>\n")]
        self.malformed = fixture_text("arxiv_error_malformed_id.xml")
        self.known = known
        self.latest_version = latest_version

    def entry(self, arxiv_id: str) -> str:
        text = self.template.replace(f"{self.TEMPLATE_ID}v1", f"{arxiv_id}v{self.latest_version}")
        text = text.replace(self.TEMPLATE_ID, arxiv_id)
        return text.replace(self.TEMPLATE_TITLE, escape(f"Paper {arxiv_id}: a study"))

    def answer(self, query: str) -> tuple[int, dict[str, str], bytes, int]:
        """(status, headers, body, ids asked)."""
        ids = [i for i in parse_qs(query).get("id_list", [""])[0].split(",") if i]
        ctype = {"Content-Type": "application/atom+xml; charset=utf-8"}
        if any(not self.VALID_ID.match(i) for i in ids):
            return 400, ctype, self.malformed.encode(), len(ids)
        found = [re.sub(r"v\d+$", "", i) for i in ids]
        hits = [i for i in found if i in self.known]
        header = re.sub(r"<opensearch:totalResults>\d+<",
                        f"<opensearch:totalResults>{len(hits)}<", self.header)  # fmt: skip
        body = header + "".join(self.entry(i) for i in hits) + "</feed>\n"
        return 200, ctype, body.encode(), len(ids)


class GithubWorld:
    """``GET /repos/{owner}/{repo}``: 200 with an ETag (304 to a matching If-None-Match),
    404 for unknown repositories, 301 to ``/repositories/{new}`` for renamed ones."""

    RATE: ClassVar[dict[str, str]] = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59",
            "X-RateLimit-Reset": "1900000000", "X-RateLimit-Resource": "core"}  # fmt: skip

    def __init__(self, known: list[str], renamed: dict[str, str]) -> None:
        self.template = json.loads(fixture_text("github_repo.json"))
        self.moved = json.loads(fixture_text("github_repo_301_moved.json"))
        self.missing = fixture_text("github_repo_404.json").encode()
        self.known = {name.lower(): self.repo(name) for name in [*known, *renamed.values()]}
        self.renamed = {old.lower(): new for old, new in renamed.items()}

    def repo(self, full_name: str) -> dict[str, Any]:
        data = dict(self.template)
        data.update(full_name=full_name, name=full_name.split("/")[1],
                    html_url=f"https://github.com/{full_name}")  # fmt: skip
        return data

    def answer(self, path: str, headers: dict[str, str], base: str
               ) -> tuple[int, dict[str, str], bytes, str]:  # fmt: skip
        """(status, headers, body, outcome) where outcome is 200/304/301/404 as a word."""
        ctype = {"Content-Type": "application/json; charset=utf-8"}
        if path.startswith("/repositories/"):
            data = self.known.get(path.split("/", 2)[2].lower())
            if data is None:
                return 404, {**self.RATE, **ctype}, self.missing, "404"
            return 200, {**self.RATE, **ctype}, json.dumps(data).encode(), "200"
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)", path)
        if not match:
            return 404, {**self.RATE, **ctype}, self.missing, "404"
        key = f"{match[1]}/{match[2]}".lower()
        if key in self.renamed:
            location = f"{base}/repositories/{quote(self.renamed[key])}"
            body = dict(self.moved, url=location)
            return 301, {**self.RATE, **ctype, "Location": location}, json.dumps(body).encode(), \
                "301"
        data = self.known.get(key)
        if data is None:
            return 404, {**self.RATE, **ctype}, self.missing, "404"
        etag = f'W/"{abs(hash(json.dumps(data, sort_keys=True))):x}"'
        if headers.get("if-none-match") == etag:
            return 304, {**self.RATE, "ETag": etag}, b"", "304"
        return 200, {**self.RATE, **ctype, "ETag": etag}, json.dumps(data).encode(), "200"


# --- counters ---------------------------------------------------------------------------------


@dataclass
class HostStats:
    """What one host (or API) saw since the last reset."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    cap_429: int = 0
    """429s sent because the client exceeded the concurrency cap (provoked)."""
    scripted_429: int = 0
    """429s sent by /flaky429/ on its first request (part of the workload)."""
    scripted_503: int = 0
    bytes_sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    methods: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "max_in_flight": self.max_in_flight,
                "in_flight": self.in_flight, "cap_429": self.cap_429,
                "scripted_429": self.scripted_429, "scripted_503": self.scripted_503,
                "bytes_sent": self.bytes_sent,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "methods": dict(self.methods)}  # fmt: skip

    def reset(self) -> None:
        in_flight = self.in_flight
        self.__init__()  # type: ignore[misc]
        self.in_flight = in_flight


@dataclass
class Host:
    """One simulated web host."""

    index: int
    """Last octet of its address: 127.0.0.<index>."""
    latency_s: float
    cap: int
    stats: HostStats = field(default_factory=HostStats)


# --- the HTTP/1.1 server ----------------------------------------------------------------------


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a keep-alive connection, or None at EOF or on garbage."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_S)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
            ConnectionError):  # fmt: skip
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readexactly(min(length, 1 << 20))
    return Request(parts[0].upper(), parts[1], headers)


def response_head(status: int, headers: dict[str, str], length: int, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
             "Server: simweb", f"Content-Length: {length}",
             f"Connection: {'keep-alive' if keep_alive else 'close'}"]  # fmt: skip
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class SimWeb:
    """Every server of the simulated web, in one event loop."""

    def __init__(self, truth: dict[str, Any], port: int, api_latency_s: dict[str, float]) -> None:
        world = truth["world"]
        self.port = port
        self.hosts = {h["index"]: Host(h["index"], h["latency_s"], h["cap"])
                      for h in world["hosts"]}  # fmt: skip
        self.arxiv = ArxivWorld(set(world["arxiv_known"]), world["arxiv_latest_version"])
        self.github = GithubWorld(world["github_known"], world["github_renamed"])
        self.api_latency_s = api_latency_s
        self.api_stats = {"arxiv": HostStats(), "github": HostStats()}
        self.arxiv_ids_asked: list[int] = []
        self.github_outcomes: Counter[str] = Counter()
        self.seen: set[tuple[int, str]] = set()
        """(host, path) of /flaky*/ URLs already answered once."""
        self.servers: list[asyncio.base_events.Server] = []
        self.ports: dict[str, int] = {"web": port}
        self.started = time.monotonic()
        self.resets = 0
        self.stopping = asyncio.Event()

    # -- bookkeeping --

    def stats(self) -> dict[str, Any]:
        hosts = {f"127.0.0.{i}": h.stats.as_json() for i, h in sorted(self.hosts.items())}
        web = [h.stats for h in self.hosts.values()]
        totals = {"requests": sum(s.requests for s in web),
                  "cap_429": sum(s.cap_429 for s in web),
                  "scripted_429": sum(s.scripted_429 for s in web),
                  "scripted_503": sum(s.scripted_503 for s in web),
                  "bytes_sent": sum(s.bytes_sent for s in web),
                  "in_flight": sum(s.in_flight for s in web),
                  "max_in_flight_over_cap": sum(1 for h in self.hosts.values()
                                                if h.stats.max_in_flight > h.cap)}  # fmt: skip
        return {"uptime_s": round(time.monotonic() - self.started, 3), "resets": self.resets,
                "ports": self.ports, "web": totals, "hosts": hosts,
                "arxiv": {**self.api_stats["arxiv"].as_json(),
                          "ids_per_request": self.arxiv_ids_asked},
                "github": {**self.api_stats["github"].as_json(),
                           "outcomes": dict(self.github_outcomes)}}  # fmt: skip

    def reset(self) -> None:
        for host in self.hosts.values():
            host.stats.reset()
        for stats in self.api_stats.values():
            stats.reset()
        self.arxiv_ids_asked = []
        self.github_outcomes = Counter()
        self.seen.clear()
        self.resets += 1

    # -- serving --

    async def start(self, control_port: int, arxiv_port: int, github_port: int) -> None:
        for index in self.hosts:
            self.servers.append(await asyncio.start_server(
                lambda r, w, i=index: self.serve(r, w, self.web_handler(i)),
                f"127.0.0.{index}", self.port, limit=MAX_HEADER_BYTES, backlog=512))  # fmt: skip
        for name, want, handler in (("control", control_port, self.control),
                                    ("arxiv", arxiv_port, self.arxiv_handler),
                                    ("github", github_port, self.github_handler)):  # fmt: skip
            server = await asyncio.start_server(
                lambda r, w, h=handler: self.serve(r, w, h), "127.0.0.1", want,
                limit=MAX_HEADER_BYTES, backlog=512)  # fmt: skip
            self.ports[name] = server.sockets[0].getsockname()[1]
            self.servers.append(server)

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    handler: Any) -> None:  # fmt: skip
        """One connection: requests in sequence (keep-alive) until EOF, close or error."""
        try:
            while not self.stopping.is_set():
                request = await read_request(reader)
                if request is None:
                    break
                keep_alive = await handler(request, reader, writer)
                if not keep_alive or request.headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.CancelledError, TimeoutError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def send(self, writer: asyncio.StreamWriter, stats: HostStats, request: Request,
                   status: int, headers: dict[str, str], body: bytes) -> bool:  # fmt: skip
        keep_alive = request.headers.get("connection", "").lower() != "close"
        payload = response_head(status, headers, len(body), keep_alive)
        if request.method != "HEAD":
            payload += body
        writer.write(payload)
        await writer.drain()
        stats.bytes_sent += len(payload)
        stats.statuses[status] += 1
        return keep_alive

    def web_handler(self, index: int) -> Any:
        host = self.hosts[index]

        async def handle(request: Request, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> bool:  # fmt: skip
            stats = host.stats
            stats.requests += 1
            stats.methods[request.method] += 1
            if stats.in_flight >= host.cap:
                stats.cap_429 += 1
                return await self.send(writer, stats, request, 429,
                                       {"Retry-After": RETRY_AFTER}, b"too many requests\n")
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            try:
                return await self.web_answer(host, request, reader, writer)
            finally:
                stats.in_flight -= 1

        return handle

    async def web_answer(self, host: Host, request: Request, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> bool:  # fmt: skip
        stats = host.stats
        path = request.path
        parts = path.strip("/").split("/")
        kind = parts[0] if parts else ""
        html = {"Content-Type": "text/html; charset=utf-8"}
        page = f"<!doctype html><title>{escape(path)}</title><p>a page</p>\n".encode()

        if kind == "hang":
            # Never answer; free the slot when the client gives up (EOF) or the server stops.
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while not self.stopping.is_set():
                    data = await reader.read(65536)
                    if not data:
                        break
            return False
        await asyncio.sleep(SLOW_S if kind == "slow" else host.latency_s)

        if kind == "hop" and len(parts) >= 4:
            code, target = int(parts[1]), int(parts[2])
            rest = "/".join(parts[3:])
            location = f"http://127.0.0.{target}:{self.port}/{rest}"
            return await self.send(writer, stats, request, code, {**html, "Location": location},
                                   b"moved\n")
        if kind == "loop" and len(parts) == 3:
            other = "b" if parts[2] == "a" else "a"
            location = f"http://127.0.0.{host.index}:{self.port}/loop/{parts[1]}/{other}"
            return await self.send(writer, stats, request, 302, {**html, "Location": location},
                                   b"moved\n")
        if kind in ("404", "410"):
            return await self.send(writer, stats, request, int(kind), html, b"<h1>gone</h1>\n")
        if kind in ("wall", "wallcf"):
            headers = dict(html)
            if kind == "wallcf":
                headers["cf-mitigated"] = "challenge"
            body = b"<!doctype html><title>Just a moment...</title><p>Checking your browser</p>\n"
            return await self.send(writer, stats, request, 403, headers, body)
        if kind in ("flaky503", "flaky429"):
            key = (host.index, path)
            if key not in self.seen:
                self.seen.add(key)
                status = 503 if kind == "flaky503" else 429
                if status == 503:
                    stats.scripted_503 += 1
                else:
                    stats.scripted_429 += 1
                return await self.send(writer, stats, request, status,
                                       {**html, "Retry-After": RETRY_AFTER}, b"try later\n")
            return await self.send(writer, stats, request, 200, html, page)
        if kind == "head405" and request.method == "HEAD":
            return await self.send(writer, stats, request, 405, {**html, "Allow": "GET"}, b"")
        if kind == "huge":
            return await self.stream_huge(writer, stats, request)
        if kind in ("ok", "slow", "head405"):
            return await self.send(writer, stats, request, 200, html, page)
        return await self.send(writer, stats, request, 404, html, b"<h1>no such path</h1>\n")

    async def stream_huge(self, writer: asyncio.StreamWriter, stats: HostStats,
                          request: Request) -> bool:  # fmt: skip
        keep_alive = request.headers.get("connection", "").lower() != "close"
        head = response_head(200, {"Content-Type": "application/octet-stream"}, HUGE_BYTES,
                             keep_alive)  # fmt: skip
        writer.write(head)
        await writer.drain()
        stats.bytes_sent += len(head)
        stats.statuses[200] += 1
        if request.method == "HEAD":
            return keep_alive
        chunk = b"\0" * CHUNK
        left = HUGE_BYTES
        while left > 0 and not self.stopping.is_set():
            piece = chunk if left >= CHUNK else chunk[:left]
            writer.write(piece)
            try:
                await asyncio.wait_for(writer.drain(), STALL_S)
            except (TimeoutError, ConnectionError):
                return False
            stats.bytes_sent += len(piece)
            left -= len(piece)
        return keep_alive and left == 0

    async def api(self, name: str, request: Request, writer: asyncio.StreamWriter,
                  answer: Any) -> bool:  # fmt: skip
        stats = self.api_stats[name]
        stats.requests += 1
        stats.methods[request.method] += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            await asyncio.sleep(self.api_latency_s[name])
            status, headers, body = answer()
            return await self.send(writer, stats, request, status, headers, body)
        finally:
            stats.in_flight -= 1

    async def arxiv_handler(self, request: Request, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> bool:  # fmt: skip
        def answer() -> tuple[int, dict[str, str], bytes]:
            if request.path != "/api/query":
                return 404, {}, b"not here\n"
            status, headers, body, asked = self.arxiv.answer(request.query)
            self.arxiv_ids_asked.append(asked)
            return status, headers, body

        return await self.api("arxiv", request, writer, answer)

    async def github_handler(self, request: Request, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> bool:  # fmt: skip
        base = f"http://127.0.0.1:{self.ports['github']}"

        def answer() -> tuple[int, dict[str, str], bytes]:
            status, headers, body, outcome = self.github.answer(request.path, request.headers,
                                                                base)  # fmt: skip
            self.github_outcomes[outcome] += 1
            return status, headers, body

        return await self.api("github", request, writer, answer)

    async def control(self, request: Request, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:  # fmt: skip
        quiet = HostStats()  # control traffic is not counted anywhere
        json_type = {"Content-Type": "application/json"}
        if request.path == "/__stats":
            body = json.dumps(self.stats()).encode()
            return await self.send(writer, quiet, request, 200, json_type, body)
        if request.path == "/__reset" and request.method == "POST":
            self.reset()
            return await self.send(writer, quiet, request, 200, json_type, b'{"reset": true}')
        if request.path == "/__shutdown" and request.method == "POST":
            self.stopping.set()
            await self.send(writer, quiet, request, 200, json_type, b'{"stopping": true}')
            return False
        return await self.send(writer, quiet, request, 404, {}, b"unknown control path\n")


# --- main -------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> int:
    truth = json.loads(Path(args.truth).read_text(encoding="utf-8"))
    web = SimWeb(truth, args.port,
                 {"arxiv": args.arxiv_latency, "github": args.github_latency})  # fmt: skip
    try:
        await web.start(args.control_port, args.arxiv_port, args.github_port)
    except OSError as exc:
        print(f"simweb: cannot bind: {exc}", file=sys.stderr)
        await web.close()
        return 3
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, web.stopping.set)
    ready = {"pid": os.getpid(), **web.ports,
             "hosts": [f"127.0.0.{i}" for i in sorted(web.hosts)]}  # fmt: skip
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(json.dumps(ready), encoding="utf-8")
        os.replace(tmp, args.ready_file)
    print(f"simweb ready: {json.dumps(ready)}", file=sys.stderr, flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds
    try:
        while not web.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(web.stopping.wait(), 1.0)
            if time.monotonic() > deadline:
                print("simweb: --max-seconds reached, stopping", file=sys.stderr)
                break
            if args.exit_with_parent and os.getppid() != parent:
                print("simweb: parent exited, stopping", file=sys.stderr)
                break
    finally:
        web.stopping.set()
        if args.stats_file:
            Path(args.stats_file).write_text(json.dumps(web.stats(), indent=1), "utf-8")
        await web.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", required=True, help="truth.json written by gen_digests.py")
    parser.add_argument("--port", type=int, required=True,
                        help="port of every web host (the digests' URLs carry it)")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--arxiv-port", type=int, default=0)
    parser.add_argument("--github-port", type=int, default=0)
    parser.add_argument("--arxiv-latency", type=float, default=0.2,
                        help="seconds per arXiv API answer (default 0.2)")
    parser.add_argument("--github-latency", type=float, default=0.05,
                        help="seconds per GitHub API answer (default 0.05)")
    parser.add_argument("--ready-file", help="write the ports here (JSON) once listening")
    parser.add_argument("--stats-file", help="write the counters here (JSON) on exit")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop by itself after this long (default 3600)")
    parser.add_argument("--exit-with-parent", action="store_true",
                        help="stop when the process that started it exits")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
