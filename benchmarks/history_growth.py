#!/usr/bin/env python3
"""How much the cache grows when it keeps each target's history (issue 13), and what a save costs.

It creates a fresh cache in a temp folder (``enricher.cache.Cache.open``), stores the facts
of N targets as the previous release would hold them (run 0), then simulates the worst
case: every target is checked on the network in every run (``--refresh`` each time). Each
run calls ``Cache.save(facts, checks, states)`` once, as a real run does: one ``Check`` per
target, the states built with ``enricher.history.advance`` (default ``--fail-on``), the facts
re-observed (not for ``unreachable`` checks, which are never cached), and the clock moves 6
hours per run. The history keeps at most 100 checks per target (and none older than 365 days,
which 150 runs of 6 hours never reach), so the size should flatten after run 100.

The targets are a realistic mix: about 40% web pages (``web:https://host/path...`` keys of
realistic length, the web authority's own payload, some with a redirect), 30% arXiv papers
(``arxiv:2401.12345``, a ``Paper`` payload with a ~1,200-character abstract) and 30% GitHub
repositories (``github:owner/repo``, a ``Repo`` payload and a weak ETag); payloads are encoded
by each authority's ``encode``. Checks are mostly ``ok``; some targets are ``broken`` or
``redirected`` for good, and each run a few web pages are ``unreachable`` for a while.

It prints, after runs 0 (facts only), 1, 10, 50, 100 and ``--runs``: the rows in ``checks``,
the database size (main file plus any ``-wal`` file), bytes per link, growth per link since
run 0, free pages, the median and max ``save`` time of the runs since the previous line, and
the time ``Cache.open`` takes (it runs ``PRAGMA quick_check``, which reads every page; median
of 3). Then the size of the same run-0 facts in a schema-1 cache (the previous release's
layout: the ``facts`` table alone), and the size after ``VACUUM``. Everything runs in this
process on local files; nothing touches the network.

    .venv/bin/python benchmarks/history_growth.py                    # 1,000 links, 150 runs
    .venv/bin/python benchmarks/history_growth.py --links 5000 --runs 120 --keep /tmp/hg

Times depend on the disk and the machine's load; sizes are deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a clone without installing

from enricher.authorities.arxiv import ARXIV  # noqa: E402
from enricher.authorities.github import GITHUB  # noqa: E402
from enricher.authorities.web import WEB  # noqa: E402
from enricher.cache import CACHE_FILE, Cache  # noqa: E402
from enricher.config import DEFAULT_FAIL_ON  # noqa: E402
from enricher.history import HISTORY_MAX_CHECKS, advance  # noqa: E402
from enricher.models import (  # noqa: E402
    CachedFact,
    Check,
    HttpFacts,
    LinkState,
    Paper,
    Redirect,
    Repo,
    Status,
)

START = datetime(2026, 1, 5, 6, 0, tzinfo=timezone.utc)
STEP = timedelta(hours=6)
"""Time between two simulated runs."""

SCHEMA_1 = """CREATE TABLE IF NOT EXISTS facts (
    key         TEXT PRIMARY KEY,   -- e.g. 'arxiv:2401.10774', 'github:owner/repo', 'web:URL'
    observed_at TEXT NOT NULL,      -- ISO 8601 UTC: when the fact was seen on the network
    etag        TEXT,               -- for conditional revalidation (GitHub)
    payload     TEXT NOT NULL       -- JSON facts (see enricher.facts), never a verdict
)"""
"""The previous release's cache (schema 1, enricher at 6e508db): the facts table alone."""

WORDS = (
    "model", "agent", "vision", "speech", "reasoning", "sparse", "mixture", "expert",
    "diffusion", "token", "retrieval", "alignment", "benchmark", "dataset", "inference",
    "quantized", "multimodal", "robust", "efficient", "scaling", "long", "context", "memory",
    "planner", "tool", "video", "audio", "graph", "policy", "reward", "language", "training",
    "learning", "transformer", "attention", "latent", "open", "small", "fast", "safety",
)  # fmt: skip
NAMES = ("Wei", "Li", "Zhang", "Anna", "Kumar", "Garcia", "Smith", "Chen", "Yuki", "Tanaka",
         "Maria", "Rossi", "Olga", "Ivanova", "Ahmed", "Khan", "Lee", "Park", "Novak", "Silva")
CATEGORIES = ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML", "cs.IR", "cs.RO", "eess.AS")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0", None)
LANGUAGES = ("Python", "Jupyter Notebook", "C++", "Rust", "TypeScript", "Go", None)
TLDS = (".com", ".org", ".ai", ".io", ".net", ".co.uk", ".de")


@dataclass
class Target:
    """One simulated target: its cache key, its fact and how its checks go."""

    key: str
    kind: str  # web / arxiv / github
    fact: Any  # the authority's fact type
    etag: str | None
    status: Status  # what a check says when nothing transient happens
    http_status: int | None
    reason: str | None
    flaky: bool  # a web page whose server fails now and then


def words(rng: random.Random, low: int, high: int, sep: str = " ") -> str:
    return sep.join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def web_url(rng: random.Random) -> str:
    """A realistic news/blog URL (about 60-130 characters)."""
    site = rng.choice((f"www.{words(rng, 1, 2, '')}", f"blog.{words(rng, 1, 1)}",
                       f"{words(rng, 1, 2, '-')}.substack", f"news.{words(rng, 1, 1)}"))  # fmt: skip
    path = rng.choice((
        f"/{rng.randint(2023, 2026)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/"
        f"{words(rng, 4, 9, '-')}",
        f"/blog/{words(rng, 3, 8, '-')}",
        f"/p/{words(rng, 3, 7, '-')}",
        f"/research/{words(rng, 2, 5, '-')}-{rng.randrange(10**6)}",
    ))  # fmt: skip
    query = f"?utm_source={rng.choice(WORDS)}&utm_medium=email" if rng.random() < 0.15 else ""
    return f"https://{site}{rng.choice(TLDS)}{path}{query}"


def make_web(rng: random.Random) -> Target:
    url = web_url(rng)
    roll = rng.random()
    if roll < 0.06:  # a permanent redirect (http -> https, moved article)
        final = url.replace("/blog/", "/posts/") if "/blog/" in url else url + "/"
        fact = HttpFacts(200, final, (Redirect(301, final),))
        return Target(f"web:{url}", "web", fact, None, Status.REDIRECTED, 200,
                      f"moved permanently (301) to {final}", False)  # fmt: skip
    if roll < 0.11:
        fact = HttpFacts(404, url)
        return Target(f"web:{url}", "web", fact, None, Status.BROKEN, 404, "not found (404)",
                      False)  # fmt: skip
    fact = HttpFacts(200, url)
    return Target(f"web:{url}", "web", fact, None, Status.OK, 200, None, rng.random() < 0.10)


def make_arxiv(rng: random.Random, used: set[str]) -> Target:
    while True:
        ident = f"{rng.randint(23, 26)}{rng.randint(1, 12):02d}.{rng.randrange(10000, 25000):05d}"
        if ident not in used:
            used.add(ident)
            break
    if rng.random() < 0.05:  # arXiv says no such paper: {"paper": null}
        return Target(f"arxiv:{ident}", "arxiv", None, None, Status.BROKEN, 200,
                      f"arXiv has no paper {ident}", False)  # fmt: skip
    abstract = ""
    while len(abstract) < rng.randint(1100, 1300):
        abstract += words(rng, 8, 20).capitalize() + ". "
    cats = tuple(rng.sample(CATEGORIES, rng.randint(1, 3)))
    latest = rng.randint(1, 3)
    paper = Paper(
        id=ident, latest_version=latest, title=words(rng, 6, 14).title(),
        authors=tuple(f"{rng.choice(NAMES)} {rng.choice(NAMES)}" for _ in range(rng.randint(2, 12))),
        abstract=abstract.strip(), published=f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T17:5{rng.randint(0, 9)}:00Z",
        updated=f"2024-1{rng.randint(0, 2)}-0{rng.randint(1, 9)}T09:1{rng.randint(0, 9)}:00Z",
        primary_category=cats[0], categories=cats,
        doi=f"10.48550/arXiv.{ident}" if rng.random() < 0.2 else None,
        journal_ref="NeurIPS 2024" if rng.random() < 0.1 else None,
        comment=f"{rng.randint(8, 40)} pages, {rng.randint(2, 12)} figures" if rng.random() < 0.6 else None,
        abs_url=f"https://arxiv.org/abs/{ident}v{latest}", pdf_url=f"https://arxiv.org/pdf/{ident}v{latest}",
    )  # fmt: skip
    return Target(f"arxiv:{ident}", "arxiv", paper, None, Status.OK, 200, None, False)


def make_github(rng: random.Random, used: set[str]) -> Target:
    while True:
        name = f"{words(rng, 1, 2, '-')}-lab{rng.randrange(1000)}/{words(rng, 1, 3, '-')}"
        if name.lower() not in used:
            used.add(name.lower())
            break
    etag = f'W/"{rng.getrandbits(256):064x}"'
    if rng.random() < 0.05:
        return Target(f"github:{name.lower()}", "github", None, None, Status.BROKEN, 404,
                      f"no GitHub repository {name} (404; private repositories look the same)",
                      False)  # fmt: skip
    renamed = rng.random() < 0.05
    full = f"{name.split('/')[0]}-org/{name.split('/')[1]}" if renamed else name
    repo = Repo(
        full_name=full, html_url=f"https://github.com/{full}",
        description=words(rng, 5, 20).capitalize() if rng.random() < 0.9 else None,
        stars=rng.randint(0, 60000), forks=rng.randint(0, 8000), open_issues=rng.randint(0, 900),
        topics=tuple(rng.sample(WORDS, rng.randint(0, 8))),
        license=rng.choice(LICENSES), language=rng.choice(LANGUAGES),
        archived=rng.random() < 0.03, fork=rng.random() < 0.05,
        created_at=f"20{rng.randint(15, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z",
        pushed_at=f"2026-01-0{rng.randint(1, 4)}T1{rng.randint(0, 9)}:2{rng.randint(0, 9)}:00Z",
        homepage=f"https://{words(rng, 1, 1)}.github.io" if rng.random() < 0.3 else None,
        default_branch=rng.choice(("main", "main", "master")),
    )  # fmt: skip
    if renamed:
        return Target(f"github:{name.lower()}", "github", repo, etag, Status.REDIRECTED, 200,
                      f"repository moved to {full}", False)  # fmt: skip
    return Target(f"github:{name.lower()}", "github", repo, etag, Status.OK, 200, None, False)


def make_targets(count: int, rng: random.Random) -> list[Target]:
    used: set[str] = set()
    targets = []
    for i in range(count):
        slot = i % 10  # 4 web, 3 arXiv, 3 GitHub in every 10
        if slot < 4:
            targets.append(make_web(rng))
        elif slot < 7:
            targets.append(make_arxiv(rng, used))
        else:
            targets.append(make_github(rng, used))
    rng.shuffle(targets)
    return targets


ENCODE: dict[str, Callable[[Any], dict[str, Any]]] = {"web": WEB.encode, "arxiv": ARXIV.encode, "github": GITHUB.encode}


def fact_of(target: Target, at: datetime) -> CachedFact:
    return CachedFact(target.key, at, ENCODE[target.kind](target.fact), target.etag)


def run_once(targets: list[Target], at: datetime, rng: random.Random,
             outage: dict[str, int]) -> tuple[list[CachedFact], list[Check]]:  # fmt: skip
    """One refresh run: every target checked, its fact re-observed unless it failed to answer."""
    facts: list[CachedFact] = []
    checks: list[Check] = []
    for i, t in enumerate(targets):
        moment = at + timedelta(milliseconds=5 * i + rng.randrange(5))  # each seen in turn
        if t.flaky and (outage.get(t.key, 0) > 0 or rng.random() < 0.05):
            # A server error or a timeout, lasting 1-4 runs: unreachable, never cached.
            outage[t.key] = outage.get(t.key) or rng.randint(1, 4)
            outage[t.key] -= 1
            if rng.random() < 0.5:
                checks.append(Check(t.key, moment, Status.UNREACHABLE, 503,
                                    "server error (HTTP 503)"))  # fmt: skip
            else:
                checks.append(Check(t.key, moment, Status.UNREACHABLE, None,
                                    "no answer within 20 s (read timeout)"))  # fmt: skip
            continue
        if t.kind == "github" and isinstance(t.fact, Repo) and rng.random() < 0.3:
            t.fact = replace(t.fact, stars=t.fact.stars + rng.randint(1, 20))
        facts.append(fact_of(t, moment))
        checks.append(Check(t.key, moment, t.status, t.http_status, t.reason))
    return facts, checks


def db_bytes(path: Path) -> int:
    """The main file plus its -wal file, if any (a rollback journal is gone after a commit)."""
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def pragma(path: Path, name: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])


def count_checks(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM checks").fetchone()[0])


def timed_open(folder: Path, now: datetime, times: int = 3) -> tuple[Cache, float]:
    """Open the cache ``times`` times (each runs quick_check); the last stays open."""
    spent = []
    cache = Cache.open(folder, now)
    for _ in range(times):
        cache.close()
        start = time.perf_counter()
        cache = Cache.open(folder, now)
        spent.append(time.perf_counter() - start)
    return cache, statistics.median(spent)


def schema1_size(folder: Path, facts: list[CachedFact]) -> int:
    """The same facts in the previous release's cache (schema 1), written as it wrote them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CACHE_FILE
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute(SCHEMA_1)
            db.execute("PRAGMA user_version = 1")
        rows = [(f.key, f.observed_at.astimezone(timezone.utc).isoformat(), f.etag,
                 json.dumps(f.payload, ensure_ascii=False, sort_keys=True))
                for f in facts]  # fmt: skip
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO facts (key, observed_at, etag, payload) VALUES (?,?,?,?)",
                rows,
            )
    finally:
        db.close()
    return db_bytes(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=1000, help="targets (unique links)")
    parser.add_argument("--runs", type=int, default=150, help="refresh runs after run 0")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the caches in this (new) folder and keep them")
    args = parser.parse_args(argv)
    if args.links < 1 or args.runs < 1:
        parser.error("need at least one link and one run")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    rng = random.Random(args.seed)
    targets = make_targets(args.links, rng)
    kinds = {k: sum(1 for t in targets if t.kind == k) for k in ("web", "arxiv", "github")}
    marks = sorted({m for m in (0, 1, 10, 50, 100, args.runs) if m <= args.runs})

    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=False)
        work = args.keep
    else:
        work = Path(tempfile.mkdtemp(prefix="history_growth-"))
    try:
        folder = work / "schema2"
        cache = Cache.open(folder, START)
        path = folder / CACHE_FILE
        print("cache growth with history (issue 13)")
        print(f"  sqlite {sqlite3.sqlite_version}; python {sys.version.split()[0]}; page size "
              f"{pragma(path, 'page_size')}; journal mode "
              f"{sqlite3.connect(path).execute('PRAGMA journal_mode').fetchone()[0]}")
        print(f"  {args.links} targets ({kinds}), {args.runs} runs {STEP} apart, every target "
              f"checked every run; history bound {HISTORY_MAX_CHECKS} checks per target; {work}")
        facts0 = [fact_of(t, START - STEP) for t in targets]
        payload = sum(len(f.key) + len(json.dumps(f.payload, ensure_ascii=False))
                      for f in facts0)  # fmt: skip
        print(f"  key + payload JSON: {payload / args.links:.0f} bytes per target on average")
        head = (f"{'runs':>5} {'checks rows':>11} {'db bytes':>11} {'bytes/link':>10} "
                f"{'+/link vs 0':>11} {'free pages':>10} {'save ms med':>11} "
                f"{'save ms max':>11} {'open ms':>8}")  # fmt: skip
        print(head)
        states: dict[str, LinkState] = {}
        outage: dict[str, int] = {}
        spent: list[float] = []
        sizes: dict[int, int] = {}
        checks: list[Check]
        new: dict[str, LinkState]
        base = 0
        for run in range(args.runs + 1):
            at = START + run * STEP
            if run == 0:  # what the previous release leaves: facts only
                facts, checks, new = facts0, [], {}
            else:
                facts, checks = run_once(targets, at, rng, outage)
                new = {}
                for check in checks:
                    new[check.key] = advance(states.get(check.key), check, DEFAULT_FAIL_ON)
                states.update(new)
            start = time.perf_counter()
            cache.save(facts, checks, new)
            spent.append(time.perf_counter() - start)
            if run in marks:
                cache, open_s = timed_open(folder, at)
                size = db_bytes(path)
                sizes[run] = size
                base = sizes[0]
                print(f"{run:>5} {count_checks(path):>11,} {size:>11,} {size / args.links:>10,.0f} "
                      f"{(size - base) / args.links:>11,.0f} {pragma(path, 'freelist_count'):>10,} "
                      f"{statistics.median(spent) * 1000:>11.1f} {max(spent) * 1000:>11.1f} "
                      f"{open_s * 1000:>8.1f}")  # fmt: skip
                spent = []
        cache.close()
        final = db_bytes(path)
        old = schema1_size(work / "schema1", facts0)
        print("  save ms: median and max of the runs since the previous line; open ms: "
              "Cache.open with its quick_check, median of 3")
        print(f"  schema 1 (previous release), the same {args.links} facts: {old:,} bytes "
              f"({old / args.links:,.0f} per link); schema 2 after {args.runs} runs: "
              f"{final / old:.1f}x that")
        if 100 in sizes:
            growth = (sizes[100] - sizes[0]) * 1000 / args.links
            print(f"  growth per 1,000 links per 100 runs (run 0 to run 100): {growth:,.0f} bytes "
                  f"({growth / 2**20:.2f} MiB); run 100 to run {args.runs}: "
                  f"{(final - sizes[100]) * 1000 / args.links:+,.0f} bytes per 1,000 links")
        db = sqlite3.connect(path)
        db.execute("VACUUM")
        db.close()
        vacuumed = db_bytes(path)
        reopened, open_s = timed_open(folder, START + args.runs * STEP)
        reopened.close()
        print(f"  after VACUUM: {vacuumed:,} bytes ({vacuumed / args.links:,.0f} per link; "
              f"{final - vacuumed:,} bytes freed); open {open_s * 1000:.1f} ms")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
