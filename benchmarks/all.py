#!/usr/bin/env python3
"""The one-command runner: enricher beside lychee on every workload, each with its floor.

    .venv/bin/python benchmarks/all.py                      # all three, 3 rounds each (~25 min)
    .venv/bin/python benchmarks/all.py --only nginx,mixed --rounds 1 --skip-lychee

Runs, one after the other (never side by side: each measures wall time on shared cores):

- ``compare.py``: the simulated web (40 hosts, 2,000 links, bot walls, redirects, hangs);
- ``mixed.py``: page-level 503/429s, slow pages and hangs placed anywhere in a host's
  queue, at 10 s and 5 s timeouts;
- ``nginx_limits.py``: Debian's nginx on loopback (``limit_req`` with and without
  ``nodelay``, 429 and 503, ``limit_conn``, ``limit_rate``, ``keepalive_requests``).

Each prints its own table (exact command lines, versions, per-run figures, its floor or lower
bound, and lychee's figures beside enricher's); ``--json DIR`` keeps each one's numbers as
``DIR/<workload>.json``. Exit status: the worst of the three.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare
import mixed
import nginx_limits

WORKLOADS: dict[str, Callable[[list[str] | None], int]] = {
    "compare": compare.main,
    "mixed": mixed.main,
    "nginx": nginx_limits.main,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma list of workloads (default: {','.join(WORKLOADS)})",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tool per workload")
    parser.add_argument("--skip-lychee", action="store_true", help="run enricher only")
    parser.add_argument("--json", type=Path, help="folder for each workload's JSON numbers")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {sorted(WORKLOADS)}")
    if args.json is not None:
        args.json.mkdir(parents=True, exist_ok=True)
    worst = 0
    for name in chosen:
        print(f"\n===== {name} =====\n", flush=True)
        child = ["--rounds", str(args.rounds)]
        if args.skip_lychee:
            child.append("--skip-lychee")
        if args.json is not None:
            child += ["--json", str(args.json / f"{name}.json")]
        worst = max(worst, WORKLOADS[name](child))
    return worst


if __name__ == "__main__":
    sys.exit(main())
