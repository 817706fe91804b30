#!/usr/bin/env python3
"""Start-up: how soon a run's first request leaves, and what ``import enricher.cli`` costs.

1. Spawn to first request: runs ``python -m enricher`` ``--runs`` times on copies of the
   bundled ``sources/`` plus one digest whose first link is a page on a local server
   (127.0.0.1), with every API endpoint (arXiv, GitHub, Hugging Face, Crossref, DataCite,
   Wayback) pointed at that same server and a fresh cache each time (``--allow-private
   --no-archive --no-paper-links``). The times are from just before the process is spawned
   to the arrival at the server of the first request, whichever authority sends it (the
   arXiv API's, usually), and of the local page's request (the first web check), with the
   CPU time the run had used by then (user + system, from /proc: unlike wall time, hardly
   moved by other work on the machine); the run is then stopped with SIGTERM (the rest of it
   is not measured). ``--page-only`` leaves ``sources/`` out: a run with no arXiv papers to
   look up. Nothing leaves the machine.
2. Import: ``python -X importtime -c "import enricher.cli"``, the cumulative time of
   ``enricher.cli`` as Python reports it; and the bare interpreter (``python -c pass``,
   wall time) for comparison.

Medians over ``--runs`` (after one unmeasured warm-up of each). A user's ``pip install``
writes bytecode; when measuring from a checkout with PYTHONDONTWRITEBYTECODE set, first run
``python -m compileall -q enricher .venv/lib`` or the figures include compiling.

    .venv/bin/python benchmarks/startup.py [--runs 7]

Exit 0 when every run asked for the local page, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"

API_FLAGS = ("--arxiv-api-url", "--github-api-url", "--hf-api-url", "--crossref-api-url",
             "--datacite-api-url", "--wayback-url")  # fmt: skip
"""Every endpoint option: all of them point at the local server."""

PAGE_PATH = "/first"
"""The local page the extra digest links to first."""

FIRST_REQUEST_TIMEOUT_S = 30.0
"""How long a run may take to send its first request before it counts as failed."""


class Timing(NamedTuple):
    """One run's start-up, in seconds from its spawn."""

    first_s: float
    """The first request to arrive, whoever sent it."""
    page_s: float
    """The local page's request."""
    page_cpu_s: float | None
    """CPU time the run had used when its request for the local page arrived."""


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux's /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Arrivals(http.server.ThreadingHTTPServer):
    """A local server that notes when each request arrives (``time.monotonic``, the clock of
    the spawn time too) and answers every one with an empty 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.arrivals: list[tuple[float, str]] = []
        """When each request arrived, and its path."""
        self.page_arrived = threading.Event()
        self.pid = 0
        """The run being measured."""
        self.page_cpu_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self, pid: int) -> None:
        """Ready for the run of process ``pid``."""
        self.arrivals.clear()
        self.page_arrived.clear()
        self.pid = pid
        self.page_cpu_s = None


class _Handler(http.server.BaseHTTPRequestHandler):
    """Notes the arrival (and, for the local page, the run's CPU time), answers 200."""

    server: Arrivals

    def do_GET(self) -> None:
        self.server.arrivals.append((time.monotonic(), self.path))
        if self.path == PAGE_PATH and not self.server.page_arrived.is_set():
            self.server.page_cpu_s = cpu_seconds(self.server.pid)
            self.server.page_arrived.set()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


def child_env() -> dict[str, str]:
    """This environment without proxies, tokens or enricher settings: the flags say it all."""
    dropped = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "GITHUB_TOKEN", "HF_TOKEN"}
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in dropped and not name.startswith("ENRICHER_")
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    return env


def spawn_to_first_request(
    python: str, work: Path, server: Arrivals, env: dict[str, str], *, sources: bool = True
) -> Timing | None:
    """One run's start-up (None if it never asked for the local page); the run is stopped
    afterwards. ``sources``: check copies of ``sources/`` too, not only the page's digest."""
    digests = work / "digests"
    cache = work / "cache"
    shutil.rmtree(digests, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    if sources:
        shutil.copytree(SOURCES, digests, ignore=shutil.ignore_patterns("*.enriched.json"))
    else:
        digests.mkdir()
    (digests / "000_startup.txt").write_text(
        f"A digest whose first link is the local server.\n\n[Local] {server.url}{PAGE_PATH}\n",
        encoding="utf-8",
    )
    command = [python, "-m", "enricher", str(digests), "--cache-dir", str(cache),
               "--allow-private", "--no-archive", "--no-paper-links", "--timeout", "5"]  # fmt: skip
    for flag in API_FLAGS:
        command += [flag, server.url]
    spawned = time.monotonic()
    process = subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server.reset(process.pid)  # long before its first request: imports alone take 0.1 s
    arrived = server.page_arrived.wait(FIRST_REQUEST_TIMEOUT_S)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    if not arrived:
        print(f"the local page was not asked for; the run said:\n"
              f"{stderr.decode(errors='replace')}", file=sys.stderr)  # fmt: skip
        return None
    first = min(moment for moment, _ in server.arrivals)
    page = min(moment for moment, path in server.arrivals if path == PAGE_PATH)
    return Timing(first - spawned, page - spawned, server.page_cpu_s)


def import_time_s(python: str, env: dict[str, str]) -> float:
    """The cumulative time of ``import enricher.cli`` as ``-X importtime`` reports it."""
    done = subprocess.run(
        [python, "-X", "importtime", "-c", "import enricher.cli"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in done.stderr.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) == 3 and fields[2] == "enricher.cli":
            return int(fields[1]) / 1e6
    raise RuntimeError(f"no enricher.cli line in -X importtime's output:\n{done.stderr}")


def bare_interpreter_s(python: str, env: dict[str, str]) -> float:
    """Wall time of ``python -c pass``: the floor under every figure above."""
    began = time.monotonic()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return time.monotonic() - began


def _ms(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:6.0f} ms  "
            f"(min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f}, n={len(values)})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Measure, print the figures; 0 when every run asked for the local page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each (default 7)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter with enricher installed (default: this one)")  # fmt: skip
    parser.add_argument("--page-only", action="store_true",
                        help="check only the local page's digest, not sources/ (a run with no "
                        "arXiv papers to look up)")  # fmt: skip
    args = parser.parse_args(argv)
    env = child_env()
    server = Arrivals()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    timings: list[Timing] = []
    failed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="enricher-startup-") as folder:
            work = Path(folder)
            for attempt in range(args.runs + 1):  # the first is a warm-up
                took = spawn_to_first_request(
                    args.python, work, server, env, sources=not args.page_only
                )
                if took is None:
                    failed += 1
                elif attempt > 0:
                    timings.append(took)
    finally:
        server.shutdown()
        server.server_close()
    imports = [import_time_s(args.python, env) for _ in range(args.runs + 1)][1:]
    bare = [bare_interpreter_s(args.python, env) for _ in range(args.runs + 1)][1:]
    if timings:
        cpu = [t.page_cpu_s for t in timings if t.page_cpu_s is not None]
        print(f"spawn to first request:  {_ms([t.first_s for t in timings])}")
        print(f"spawn to the local page: {_ms([t.page_s for t in timings])}  (first web check)")
        if cpu:
            print(f"CPU by the local page:   {_ms(cpu)}  (user + system, 10 ms ticks)")
    print(f"import enricher.cli:     {_ms(imports)}  (-X importtime, cumulative)")
    print(f"bare interpreter:        {_ms(bare)}  (python -c pass, wall)")
    if failed:
        print(f"{failed} run(s) did not ask for the local page within "
              f"{FIRST_REQUEST_TIMEOUT_S:.0f} s")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
