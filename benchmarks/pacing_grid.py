#!/usr/bin/env python3
"""One host's pages through the real checker against simulated limiters, on a virtual clock:
how long each mix takes, the ceiling the pace ends at, and any live page lost.

Each case is one host of ``--pages`` pages checked by ``WebChecker`` (retries, backoffs,
the gate and the pace as a run has them) over ``httpx.MockTransport``, on the tests' virtual
clock, so a case that takes 700 s of its clock takes a second of the machine's. The host is
one of:

- ``cap N``: a concurrency cap, a bare 503 for any request over N in flight (nginx's
  ``limit_conn``);
- ``rate R/s burst B``: a leaky bucket (nginx's ``limit_req``), a bare 503 when over;
- ``window N/Ws``: a fixed window, N requests in each W seconds counted from the first, a
  bare 503 for the rest (not in the default grid: ``--only window``);
- ``none``: no limit at all.

With ``--wire`` the transport fires httpcore's headers-leaving event as a real one does, so a
spaced host's requests are also held where they leave (``HostGate.at_wire``). Without it only
the gate spaces them, and a retry that waited there can leave right behind another request:
a page failing once behind a 5/s limiter was lost so (the limiter refused its first two asks,
the second sent right behind another request, and its third met the page's own failure),
which the hold at the wire prevents. The default stays without, so figures compare with
older runs.

Pages take ``page_s``; a share ``quick`` answer a 404 in 5 ms; a share ``dead`` answer a bare
503 in 10 ms at every ask (a backend route down: the page's own failure, which the pace must
not take for the host's limit); a share ``once`` answer a bare 503 at the first ask the
limiter lets through, then 200 (a passing failure; not in the default grid: ``--once
0.05``). Pages are drawn once per case (``--pick-seed``); the retries' jitter per
``--seeds``. The floor is the limiter's: pages x page_s / cap, (pages - 1 - burst) / rate,
(pages / N - 1) x W, or pages x page_s / 6 (``--per-host``).

    .venv/bin/python benchmarks/pacing_grid.py                      # the full grid, ~3 min
    .venv/bin/python benchmarks/pacing_grid.py --only rate --dead 0.03 --seeds 1
    .venv/bin/python benchmarks/pacing_grid.py --only none,window --dead 0 --once 0,0.05
    .venv/bin/python benchmarks/pacing_grid.py --json /tmp/grid.json

Prints one line per case family (limit, burst, failing pages): the median and worst ratio to
the floor over its cases, and then every case with a live page lost (a false verdict) or a
ratio over ``--flag`` (5). Exit 1 when a live page was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from enricher.config import Settings  # noqa: E402
from enricher.models import HttpFacts  # noqa: E402
from enricher.net.checker import WebChecker  # noqa: E402
from enricher.net.context import Clocks, NetContext  # noqa: E402
from tests.test_rate_pace import NOW, LeakyBucket  # noqa: E402
from tests.virtual_time import VirtualTime  # noqa: E402

HOST = "grid.example.test"


@dataclass(frozen=True)
class Case:
    cap: int | None = None
    rate: int | None = None
    burst: int = 0
    page_s: float = 0.05
    quick: float = 0.0
    dead: float = 0.0
    pages: int = 300
    seed: int = 0
    once: float = 0.0
    window: int | None = None
    """Requests admitted per ``window_s`` (a fixed window), when set."""
    window_s: float = 1.0

    def family(self) -> str:
        limit = (f"cap {self.cap}" if self.cap else
                 f"rate {self.rate}/s burst {self.burst}" if self.rate else
                 f"window {self.window}/{self.window_s:g}s" if self.window else "none")  # fmt: skip
        failing = [f"{name} {share:g}" for name, share in (("dead", self.dead), ("once", self.once))
                   if share]  # fmt: skip
        return f"{limit}, {' + '.join(failing) or 'no failing'} pages"

    def floor_s(self, per_host: int) -> float:
        work = self.pages * self.page_s / (self.cap or per_host)
        if self.rate:
            return max(work, (self.pages - 1 - self.burst) / self.rate)
        if self.window:
            return max(work, (self.pages / self.window - 1) * self.window_s)
        return work


@dataclass
class FixedWindow:
    """``admitted`` requests in each ``window_s`` seconds from ``start``, none after."""

    admitted: int
    window_s: float
    start: datetime
    _window: int = -1
    _count: int = 0

    def admits(self, now: datetime) -> bool:
        window = int((now - self.start).total_seconds() // self.window_s)
        if window != self._window:
            self._window, self._count = window, 0
        if self._count >= self.admitted:
            return False
        self._count += 1
        return True


@dataclass
class Outcome:
    case: Case
    took_s: float
    ratio: float
    ceiling: int
    spacing_s: float
    refused: int
    lost: int
    """Live pages (not dead, not quick 404s; pages failing once are live) that did not come
    out 200."""


def run_case(case: Case, per_host: int, pick_seed: int, wire: bool = False) -> Outcome:
    draw = random.Random(pick_seed)
    kinds = {}
    for page in range(case.pages):
        r = draw.random()
        kinds[page] = ("dead" if r < case.dead else "once" if r < case.dead + case.once else
                       "quick" if r < case.dead + case.once + case.quick else "page")  # fmt: skip
    random.seed(case.seed)  # tenacity's backoff jitter
    time = VirtualTime(NOW)
    bucket: LeakyBucket | FixedWindow | None = (
        LeakyBucket(case.rate, case.burst) if case.rate else
        FixedWindow(case.window, case.window_s, NOW) if case.window else None)  # fmt: skip
    in_flight, refused = 0, 0
    failed_once: set[int] = set()

    async def host(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, refused
        page = int(request.url.path.rsplit("/", 1)[1])
        trace = request.extensions.get("trace")
        if wire and trace is not None:
            # What httpcore tells as the headers leave: the checker holds a spaced host's
            # requests there (``HostGate.at_wire``), and the limiter counts from here.
            await trace("http11.send_request_headers.started", {"request": request})
        await time.sleep(0.0)  # a round trip: answers come in a later turn
        if bucket is not None and not bucket.admits(time.now):
            refused += 1
            return httpx.Response(503)
        if case.cap is not None and in_flight >= case.cap:
            refused += 1
            return httpx.Response(503)
        in_flight += 1
        try:
            if kinds[page] == "dead" or (kinds[page] == "once" and page not in failed_once):
                failed_once.add(page)
                await time.sleep(0.01)
                return httpx.Response(503)
            if kinds[page] == "quick":
                await time.sleep(0.005)
                return httpx.Response(404)
            await time.sleep(case.page_s)
            return httpx.Response(200)
        finally:
            in_flight -= 1

    async def go() -> tuple[list[object], Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(host)) as client:
            settings = Settings(per_host=per_host, retry_budget_s=60, allow_private=True)
            checker = WebChecker(client, NetContext(settings, Clocks(lambda: time.now, time.sleep)))
            urls = [f"https://{HOST}/p/{page}" for page in range(case.pages)]
            outcomes = list(await asyncio.gather(*(checker.check(url) for url in urls)))
            return outcomes, checker.host_gate(HOST).pace

    outcomes, pace = asyncio.run(time.run(go()))
    took_s = (time.now - NOW).total_seconds()
    lost = sum(
        1
        for page, outcome in enumerate(outcomes)
        if kinds[page] in ("page", "once")
        and not (isinstance(outcome, HttpFacts) and outcome.status_code == 200)
    )
    return Outcome(case, took_s, took_s / case.floor_s(per_host), pace.ceiling,
                   pace.rate.interval_s, refused, lost)  # fmt: skip


def grid(args: argparse.Namespace) -> list[Case]:
    limits: list[dict[str, Any]] = []
    if "cap" in args.only:
        limits += [{"cap": cap, "pages": 400} for cap in (2, 3, 4, 5)]
    if "rate" in args.only:
        limits += [{"rate": r, "burst": b} for r, b in ((5, 0), (10, 0), (10, 5), (20, 10))]
    if "window" in args.only:
        limits += [{"window": 10, "window_s": 1.0}, {"window": 20, "window_s": 2.0}]
    if "none" in args.only:
        limits += [{"pages": 400}]
    cases = []
    for limit, page_s, quick, dead, once, seed in itertools.product(
        limits, args.page_s, args.quick, args.dead, args.once, range(args.seeds)
    ):
        cases.append(Case(**limit, page_s=page_s, quick=quick, dead=dead, once=once, seed=seed))
    return cases


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="cap,rate,none",
                        help="limits: cap, rate, none, window")  # fmt: skip
    parser.add_argument("--page-s", type=floats, default=[0.05, 0.25, 0.6])
    parser.add_argument("--quick", type=floats, default=[0.0, 0.3], help="shares of quick 404s")
    parser.add_argument("--dead", type=floats, default=[0.0, 0.03],
                        help="shares of pages answering a bare 503 at every ask")  # fmt: skip
    parser.add_argument("--once", type=floats, default=[0.0],
                        help="shares of pages answering a bare 503 at the first ask let through")  # fmt: skip
    parser.add_argument("--seeds", type=int, default=3, help="draws of the retries' jitter")
    parser.add_argument("--pick-seed", type=int, default=1, help="which pages fail or are quick")
    parser.add_argument("--per-host", type=int, default=6)
    parser.add_argument("--flag", type=float, default=5.0, help="list cases over this ratio")
    parser.add_argument("--json", type=Path, help="also write every case to this JSON file")
    parser.add_argument("--wire", action="store_true",
                        help="fire httpcore's headers-leaving event, so the hold at the wire runs")  # fmt: skip
    args = parser.parse_args()

    outcomes = [run_case(case, args.per_host, args.pick_seed, args.wire) for case in grid(args)]
    families: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        families[outcome.case.family()].append(outcome)
    print(f"{'family':<36} {'cases':>5} {'median':>7} {'worst':>7} {'lost':>5}")
    for name, group in families.items():
        ratios = [o.ratio for o in group]
        lost = sum(o.lost for o in group)
        print(f"{name:<36} {len(group):>5} {statistics.median(ratios):>6.2f}x "
              f"{max(ratios):>6.2f}x {lost:>5}")  # fmt: skip
    flagged = [o for o in outcomes if o.lost or o.ratio > args.flag]
    if flagged:
        print(f"\ncases with a live page lost or over {args.flag}x the floor:")
    for o in flagged:
        c = o.case
        print(f"  {c.family()}: page {c.page_s}s quick {c.quick} seed {c.seed}: "
              f"{o.took_s:.1f}s ({o.ratio:.2f}x), ceiling {o.ceiling}, spacing "
              f"{o.spacing_s * 1000:.0f} ms, refused {o.refused}, lost {o.lost}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1), "utf-8")
    return 1 if any(o.lost for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
