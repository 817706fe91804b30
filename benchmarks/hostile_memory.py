#!/usr/bin/env python3
"""Time and memory of a run over hostile digests against a hostile web server.

Builds, in a temp folder: a 20 MB digest, a digest of 100,000 links (unique and duplicated URLs,
control characters, IDN hosts, ``%``-escapes, long queries, arXiv and GitHub links), a binary
file, UTF-16 digests with and without a BOM, and a digest of links to a hostile server:

    /drip        200, then the body one byte every 0.5 s
    /slowloris   the status line and headers one byte per second, never finished
    /big         a 200 MB body
    /bomb        a gzip bomb (256 MB of zeros in about 250 KB)
    /deep        a head that never ends, then 1 MiB of nested ``<ul>`` (the HTML parser's
                 time grows with the square of the nesting)
    /headtrap    1 MiB of ``<body>`` inside a script that never ends (the head's end is
                 looked for in text that is not markup)
    /hang        reads the request, never answers
    /metadata    302 to http://169.254.169.254/latest/meta-data/ (must not be followed)
    /ok          a plain 200

Then it runs ``python -m enricher`` over the folder once (``--deadline``, ``--timeout``), and
each hostile link alone (the JSON report has no per-link timing: a link's time is its lone
run's wall time less that of a run with no link), and prints wall time, peak RSS (the child's
``ru_maxrss``), exit code, counts per status, problems, errors, and the slowest single link.

Nothing leaves the machine. On Linux with user namespaces the script re-runs itself inside
``unshare -rn`` (a network namespace holding only loopback), gives loopback a public address
(93.184.216.34) and serves the hostile pages there, so enricher checks them as it would any
public site, SSRF guard on, without ``--allow-private``. Elsewhere everything is on 127.0.0.1,
checked with ``--allow-private`` (which turns the guard off: ``/metadata`` is then left out),
and links to other hosts are excluded.

    cd /work/main && .venv/bin/python benchmarks/hostile_memory.py [--deadline 5] [--timeout 2]
    add --no-netns to stay in the current network namespace

Exit 0 when the main run finished (exit code 0, 1 or 3) within the time limit and under
``--max-rss`` MB, 1 otherwise.
"""

# ruff: noqa: E402  (the imports below need the repo root on sys.path first)
from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from werkzeug.serving import WSGIRequestHandler, make_server

from tests.fakes import FakeArxiv, FakeGithub

PUBLIC_ADDRESS = "93.184.216.34"
"""Given to loopback inside the private network namespace: a public address that is ours."""
MB = 1024 * 1024
HUGE_BYTES = 20 * MB
LINKS = 100_000
BIG_BYTES = 200 * MB
BOMB_BYTES = 256 * MB
DRIP_S = 60.0


# --- the hostile server ----------------------------------------------------------------------


def make_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (built in pieces: never ``size`` bytes in memory)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        chunk = bytes(MB)
        for _ in range(size // MB):
            handle.write(chunk)
    return out.getvalue()


class Hostile(BaseHTTPRequestHandler):
    """Each path misbehaves in its own way; writes to a client that left end quietly."""

    protocol_version = "HTTP/1.1"
    bomb = b""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        with contextlib.suppress(TimeoutError, BrokenPipeError, ConnectionResetError):
            super().handle()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        action: Callable[[], None] = {
            "/drip": self.drip, "/slowloris": self.slowloris, "/big": self.big,
            "/bomb": self.bomb_page, "/hang": self.hang, "/metadata": self.metadata,
            "/deep": self.deep, "/headtrap": self.headtrap,
        }.get(path, self.ok)  # fmt: skip
        with contextlib.suppress(TimeoutError, BrokenPipeError, ConnectionResetError):
            action()

    do_HEAD = do_GET

    def ok(self) -> None:
        self.answer(200, b"fine\n")

    def answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(int(DRIP_S * 2)))
        self.end_headers()
        for _ in range(int(DRIP_S * 2)):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.5)

    def slowloris(self) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 200:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(1.0)

    def big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(BIG_BYTES))
        self.end_headers()
        chunk = bytes(64 * 1024)
        for _ in range(BIG_BYTES // len(chunk)):
            self.wfile.write(chunk)

    def bomb_page(self) -> None:
        self.answer(200, self.bomb, Content_Encoding="gzip")

    def hang(self) -> None:
        time.sleep(120)

    def deep(self) -> None:
        self.answer(200, b"<html><head><title>deep</title>" + b"<ul>" * (256 * 1024))

    def headtrap(self) -> None:
        self.answer(200, b"<html><head><script>" + b"<body>" * (1024 * 1024 // 6))

    def metadata(self) -> None:
        self.answer(302, b"", Location="http://169.254.169.254/latest/meta-data/")


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


def serve(server: Any) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


class ApiApp:
    """The fake arXiv and GitHub APIs (``tests/fakes.py``) as one WSGI app."""

    def __init__(self) -> None:
        self.arxiv, self.github = FakeArxiv(), FakeGithub()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        from werkzeug import Request

        request = Request(environ)
        handler = self.arxiv.handler if request.path == "/api/query" else self.github.handler
        return handler(request)(environ, start_response)


# --- the hostile digests ---------------------------------------------------------------------

HOSTILE_PATHS = (
    "/drip", "/slowloris", "/big", "/bomb", "/deep", "/headtrap", "/hang", "/metadata", "/ok"
)  # fmt: skip


def build_inputs(folder: Path, web: str, api: ApiApp, with_metadata_link: bool) -> None:
    """Write the hostile digests into ``folder``; the API fakes learn the ids they cite."""
    rng = random.Random(5)
    folder.mkdir(parents=True)
    ids = [f"2401.{n:05}" for n in range(1, 301)]
    repos = [f"owner{n}/repo{n}" for n in range(1, 201)]
    api.arxiv.known = set(ids[::2])  # half of them exist
    for repo in repos[::2]:
        api.github.add(repo)

    prose = "大家好, this week in models: 模型, agents and benchmarks. " * 20 + "\n"
    with (folder / "huge.txt").open("w", encoding="utf-8") as handle:
        written, n = 0, 0
        while written < HUGE_BYTES:
            line = prose if n % 50 else f"[Huge {n}] {web}/ok?huge={n}\n"
            handle.write(line)
            written += len(line.encode("utf-8"))
            n += 1

    def odd(n: int) -> str:
        kind = n % 12
        if kind == 0:
            return f"{web}/ok?unique={n}"
        if kind == 1:
            return f"{web}/ok?dup={n % 50}"
        if kind == 2:
            return f"https://arxiv.org/abs/{ids[n % len(ids)]}"
        if kind == 3:
            return f"https://github.com/{repos[n % len(repos)]}"
        if kind == 4:
            return f"{web}/ok/\x07bell\x1b[31m{n}"  # control characters
        if kind == 5:
            return f"http://bücher-{n % 7}.example/straße"  # IDN host
        if kind == 6:
            return f"http://例え{n % 5}.テスト/パス?q=値"
        if kind == 7:
            return f"{web}/ok/%E4%BD%A0%E5%A5%BD/%zz%2F%00?n={n % 100}"  # %-escapes, bad ones
        if kind == 8 and n % 1000 == 8:
            return f"{web}/ok?long={'a' * 3000}&n={n % 20}"  # long query
        if kind == 9 and n % 1000 == 9:
            return f"{web}/ok?longer={'b' * 20000}"  # over --max-url-length
        if kind == 10:
            return f"{web}/ok?rand={rng.randrange(10**9)}"  # unique
        return f"{web}/ok"  # one URL, thousands of times

    lines = ["100,000 links, some of them hostile.", ""]
    lines += [f"[Link {n}] {odd(n)}" for n in range(LINKS)]
    (folder / "links100k.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    (folder / "binary.txt").write_bytes(bytes(rng.randrange(256) for _ in range(64 * 1024)))
    utf16 = (
        f"UTF-16 digest 周报\n\n[Fine] {web}/ok?utf16=1\n[Paper] https://arxiv.org/abs/{ids[0]}\n"
    )
    (folder / "utf16.txt").write_text(utf16, encoding="utf-16")  # with a BOM
    (folder / "utf16-nobom.txt").write_bytes(utf16.encode("utf-16-le"))
    hostile = [f"[{path.strip('/')}] {web}{path}" for path in HOSTILE_PATHS]
    if not with_metadata_link:
        hostile = [line for line in hostile if "/metadata" not in line]
    (folder / "hostile.txt").write_text("Hostile pages\n\n" + "\n".join(hostile) + "\n",
                                        encoding="utf-8")  # fmt: skip


# --- running enricher ------------------------------------------------------------------------


def run_enricher(
    paths: list[Path], flags: list[str], env: dict[str, str], cwd: Path, limit_s: float
) -> tuple[int, float, float, dict[str, Any] | None, str]:
    """Exit code, wall seconds, peak RSS (MB), the JSON report, stderr of one run."""
    out, err, peak = cwd / "report.json", cwd / "stderr.txt", cwd / "maxrss.txt"
    command = [sys.executable, "-m", "enricher", *map(str, paths), "--format", "json", *flags]
    # The child's own ru_maxrss would include this (big) process's at fork: GNU time forks
    # from a small process, and its %M is the peak RSS of enricher alone.
    timed = Path("/usr/bin/time").exists()
    if timed:
        command = ["/usr/bin/time", "-f", "%M", "-o", str(peak), *command]
    began = time.monotonic()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr)
    hwm_kb = 0
    deadline = began + limit_s
    while proc.poll() is None:  # without GNU time: VmHWM from /proc, sampled
        if not timed:
            hwm_kb = max(hwm_kb, _vm_hwm_kb(proc.pid))
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.05)
    wall = time.monotonic() - began
    if timed:
        with contextlib.suppress(OSError, ValueError):
            hwm_kb = int(peak.read_text(encoding="utf-8").split()[-1])
    try:
        report = json.loads(out.read_text(encoding="utf-8"))
    except ValueError:
        report = None
    return proc.returncode, wall, hwm_kb / 1024, report, err.read_text("utf-8", "replace")


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def enter_private_network(argv: list[str]) -> None:
    """Re-run this script in a network namespace of its own (loopback only), if possible."""
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        print("(unshare -rn is not permitted here: staying in this network namespace)")
        return
    script = f'ip link set lo up && ip addr add {PUBLIC_ADDRESS}/32 dev lo && exec "$0" "$@"'
    os.execvp("unshare", ["unshare", "-rn", "sh", "-c", script, sys.executable,
                          str(Path(__file__).resolve()), "--inside", *argv])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadline", default="5", help="enricher --deadline (default 5)")
    parser.add_argument("--timeout", default="2", help="enricher --timeout (default 2)")
    parser.add_argument("--limit", type=float, default=300, help="kill a run after this (s)")
    parser.add_argument("--max-rss", type=float, default=200, help="peak RSS to pass (MB)")
    parser.add_argument("--no-netns", action="store_true", help="do not unshare the network")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    raw = sys.argv[1:] if argv is None else argv
    if not args.inside and not args.no_netns:
        enter_private_network(raw)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    private_net = args.inside
    host = PUBLIC_ADDRESS if private_net else "127.0.0.1"
    Hostile.bomb = make_bomb(BOMB_BYTES)
    hostile = ThreadingHTTPServer(("0.0.0.0" if private_net else host, 0), Hostile)
    hostile.daemon_threads = True
    api = ApiApp()
    api_server = make_server("127.0.0.1", 0, api, threaded=True, request_handler=_Quiet)
    serve(hostile)
    serve(api_server)
    web = f"http://{host}:{hostile.server_port}"
    api_base = f"http://127.0.0.1:{api_server.server_port}"

    work = Path(tempfile.mkdtemp(prefix="enricher-hostile-"))
    try:
        folder = work / "digests"
        build_inputs(folder, web, api, with_metadata_link=private_net)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ENRICHER_", "GITHUB_"))}
        env.update(ENRICHER_ARXIV_API_URL=f"{api_base}/api/query", ENRICHER_GITHUB_API_URL=api_base,
                   ENRICHER_ARXIV_DELAY="0", ENRICHER_CACHE_DIR=str(work / "cache"),
                   NO_PROXY="*")  # fmt: skip
        flags = ["--deadline", args.deadline, "--timeout", args.timeout, "--no-cache"]
        if not private_net:  # loopback needs --allow-private; nothing may go elsewhere
            flags += ["--allow-private",
                      "--exclude", r"^https?://(?!(127\.0\.0\.1|arxiv\.org|github\.com)[:/])"]  # fmt: skip
        sizes = {p.name: p.stat().st_size for p in sorted(folder.iterdir())}
        print(
            f"network: {'private namespace, hostile server on ' + host if private_net else 'this host, 127.0.0.1 with --allow-private'}"
        )
        print("inputs: " + ", ".join(f"{name} {size / MB:.1f} MB" for name, size in sizes.items()))
        print(f"flags: {' '.join(f for f in flags if not f.startswith('^'))}")

        code, wall, rss, report, stderr = run_enricher([folder], flags, env, work, args.limit)
        print("\n== all digests, one run ==")
        print(f"wall time      {wall:.1f} s")
        print(f"peak RSS       {rss:.0f} MB")
        print(f"exit code      {code}")
        if report is None:
            print("no JSON report; stderr tail:\n" + stderr[-2000:])
        else:
            totals = report["totals"]
            print("counts         " + ", ".join(f"{k} {v}" for k, v in totals.items() if v))
            for entry in report["files"]:
                counts = ", ".join(f"{k} {v}" for k, v in entry["totals"].items() if v)
                print(f"  {Path(entry['file']).name:<16} {counts or 'no links'}"
                      f"{'' if entry['written'] else '  (no record written)'}")  # fmt: skip
            problems = report["problems"]
            print(f"problems       {len(problems)}")
            for problem in problems[:8]:
                print(
                    f"  {Path(problem['file']).name}:{problem['line']}: {problem['message'][:110]}"
                )
            print(f"errors         {len(report['errors'])}")
            for error in report["errors"][:5]:
                print(f"  {error[:140]}")
            reasons = Counter(
                f"{link['status']}: {re.sub(r'[0-9]+', 'N', (link['reason'] or '')[:80])}"
                for link in report["links"]
            )
            print("commonest reasons (not ok)")
            for reason, count in reasons.most_common(8):
                print(f"  {count:6}  {reason}")
            for link in report["links"]:
                if Path(link["file"]).name == "hostile.txt":
                    print(
                        f"  hostile {link['label']:<10} {link['status']:<12} {(link['reason'] or '')[:90]}"
                    )
        if "Traceback" in stderr:
            print("TRACEBACK in stderr:\n" + stderr[-3000:])

        print("\n== each hostile link alone ==")
        lone = work / "lone"
        lone.mkdir()
        base_digest = lone / "empty.txt"
        base_digest.write_text("no links\n", encoding="utf-8")
        _, base_wall, _, _, _ = run_enricher([base_digest], flags, env, lone, args.limit)
        slowest = ("", 0.0)
        paths = [p for p in HOSTILE_PATHS if private_net or p != "/metadata"]
        for path in paths:
            digest = lone / f"{path.strip('/')}.txt"
            digest.write_text(f"[{path}] {web}{path}\n", encoding="utf-8")
            code_1, wall_1, rss_1, report_1, _ = run_enricher(
                [digest], flags, env, lone, args.limit
            )
            status = report_1["totals"] if report_1 else {}
            state = next((k for k, v in status.items() if k != "links" and v), "?")
            reason = next((li["reason"] for li in (report_1 or {}).get("links", [])), "") or ""
            link_s = max(0.0, wall_1 - base_wall)
            if link_s > slowest[1]:
                slowest = (path, link_s)
            print(
                f"  {path:<11} {link_s:5.1f} s  {state:<12} rss {rss_1:4.0f} MB  exit {code_1}  {reason[:70]}"
            )
        print(f"  (start-up and a run with no link: {base_wall:.1f} s, subtracted)")
        print(f"slowest link   {slowest[0]} {slowest[1]:.1f} s (--deadline {args.deadline})")
        ok = code in (0, 1, 3) and rss < args.max_rss and report is not None
        print("\nPASS" if ok else "\nFAIL")
        return 0 if ok else 1
    finally:
        hostile.shutdown()
        api_server.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
