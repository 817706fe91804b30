#!/usr/bin/env python3
"""Warm runs and parsing speed (issue 6's second set of targets).

1. Generates 1,000 digests with 20,000 link entries (``gen_digests.py``, only cases whose
   verdict enricher caches: no bot walls, hangs, slow or huge pages, which are never cached or
   would only add waiting), starts the simulated web (``simweb.py``), and runs enricher once
   cold to fill a fresh cache, then again warm (everything fresh). It reports the warm run's
   wall time, peak RSS, the requests the servers received during it (the target is 0) and
   whether any record file was rewritten.
2. Parse-and-classify throughput on one core, in this process: ``enricher.digest.parse_digest``
   on every digest text and ``enricher.urls.classify`` on every entry's URL, best of
   ``--repeat`` passes, in links per second.

    .venv/bin/python benchmarks/warm.py [--digests 1000 --links 20000]

Exit 0 when both runs finished and the warm run sent no request, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (siblings, found through HERE)
import gen_digests  # noqa: E402


def throughput(digest_dir: Path, names: list[str], repeat: int) -> tuple[int, float]:
    """(links per pass, best seconds per pass) for parse_digest + classify over all texts."""
    from enricher.digest import parse_digest
    from enricher.urls import classify

    texts = [((digest_dir / n).read_text("utf-8"), str(digest_dir / n)) for n in names]
    best = float("inf")
    links = 0
    for _ in range(repeat):
        start = time.perf_counter()
        links = 0
        for text, path in texts:
            for entry in parse_digest(text, path).entries:
                if entry.url:
                    classify(entry.url)
                links += 1
        best = min(best, time.perf_counter() - start)
    return links, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digests", type=int, default=1000)
    parser.add_argument("--links", type=int, default=20000)
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--dup-rate", type=float, default=0.5,
                        help="share of entries repeating an earlier URL (default 0.5)")
    parser.add_argument("--timeout", type=float, default=5.0, help="enricher --timeout")
    parser.add_argument("--repeat", type=int, default=5, help="throughput passes (best counts)")
    parser.add_argument("--run-timeout", type=float, default=900.0)
    parser.add_argument("--enricher-arg", action="append", default=[],
                        help="extra argument for both enricher runs (repeatable)")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    env = compare.child_env()
    ok = True
    with compare.work_folder(args.work, args.keep) as work:
        digest_dir = work / "digests"
        hosts = [gen_digests.FIRST_HOST + i for i in range(args.hosts)]
        web: compare.SimWeb | None = None
        try:
            for _attempt in range(3):
                port = compare.free_port(hosts)
                shutil.rmtree(digest_dir, ignore_errors=True)
                params = gen_digests.Params(
                    port=port, digests=args.digests, links=args.links, hosts=args.hosts,
                    seed=args.seed, dup_rate=args.dup_rate, hanging=0, slow=0, huge=0,
                    cacheable_only=True)  # fmt: skip
                truth = gen_digests.generate(digest_dir, params)
                web = compare.SimWeb(digest_dir / "truth.json", port, work,
                                     2 * args.run_timeout + 300, (0.2, 0.05))  # fmt: skip
                if web.wait_ready():
                    break
                web.stop()
                web = None
            if web is None:
                print(f"simweb did not start; see {work / 'simweb.log'}", file=sys.stderr)
                return 1
            names = truth["digests"]
            links = truth["links"]
            kinds = {k: sum(1 for v in links.values() if v["kind"] == k)
                     for k in ("web", "arxiv", "github")}  # fmt: skip
            cmd = [sys.executable, "-m", "enricher", str(digest_dir), "--format", "json",
                   "--cache-dir", str(work / "cache"), "--allow-private",
                   "--timeout", f"{args.timeout:g}",
                   "--arxiv-api-url", f"http://127.0.0.1:{web.ports['arxiv']}/api/query",
                   "--github-api-url", f"http://127.0.0.1:{web.ports['github']}",
                   "--arxiv-delay", "0", *args.enricher_arg]  # fmt: skip
            print("enricher warm-run benchmark")
            print(f"  machine: nproc {len(os.sched_getaffinity(0))}; python "
                  f"{platform.python_version()}; "
                  f"{compare.version_of([sys.executable, '-m', 'enricher', '--version'])}")
            print(f"  corpus: {len(names)} digests, {truth['entries']} entries, {len(links)} "
                  f"unique URLs ({kinds}), seed {args.seed}, cacheable cases only")
            print(f"  command (both runs, cwd {work}): {' '.join(cmd)}")
            results = {}
            for label in ("cold", "warm"):
                web.quiesce()
                web.call("/__reset", "POST")
                records = sorted(digest_dir.glob("*.enriched.json"))
                before = {p: p.stat().st_mtime_ns for p in records}
                m = compare.run_measured(cmd, work, work / f"{label}.out", work / f"{label}.err",
                                         args.run_timeout, env)  # fmt: skip
                web.quiesce()
                stats = compare.server_numbers(web.call("/__stats"), {
                    f"127.0.0.{h}": 6 for h in hosts})  # fmt: skip
                rewritten = sum(1 for p, t in before.items()
                                if not p.exists() or p.stat().st_mtime_ns != t)  # fmt: skip
                try:
                    report = json.loads((work / f"{label}.out").read_text("utf-8"))
                    totals, reported = report["totals"], report["requests"]
                    written = sum(1 for f in report.get("files", []) if f.get("written"))
                except (OSError, ValueError, KeyError) as exc:
                    totals, reported, written = {}, f"unreadable report ({exc})", -1
                    ok = False
                sent = stats["web"] + stats["arxiv"] + stats["github"]
                results[label] = sent
                ok = ok and not m.timed_out
                print(f"  {label}: {m.wall_s:.2f} s wall, exit {m.returncode}"
                      f"{' (KILLED: run timeout)' if m.timed_out else ''}, peak RSS "
                      f"{m.peak_rss_mb:.0f} MB; requests at the servers {sent} (web "
                      f"{stats['web']}, arXiv {stats['arxiv']}, GitHub {stats['github']}); "
                      f"enricher counted {reported}; records written {written} "
                      f"(files whose mtime changed: {rewritten} of {len(before)}); {totals}")
            if results.get("warm", 1) != 0:
                ok = False
            print(f"  warm run network requests: {results.get('warm')} (target 0)")
        finally:
            if web is not None:
                web.stop()
        count, best = throughput(digest_dir, names, args.repeat)
        print(f"  parse + classify: {count} links in {best * 1000:.0f} ms (best of "
              f"{args.repeat}) = {count / best:,.0f} links/s on one core (target 50,000)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
