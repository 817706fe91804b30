#!/usr/bin/env python3
"""The HTML report's size and build time for a big run (issue 17): 1,000 digests, 20,000 links.

It builds a synthetic ``RunSummary`` in memory (no network, no cache, no files read): per
digest 20 links, a realistic mix of 30% arXiv papers (title, 6 authors, a ~1,200-character
abstract), 25% GitHub repositories (description, stars, language, topics), 10% Hugging Face
models, 35% web pages (title, description, site, image URL); about 5% broken (half with a
Wayback copy), 3% redirected with a suggested URL, 2% blocked, 2% unreachable, 1% with a label
mismatch, and a history for every checked link (failing ones with a streak of 1 to 12).

It then times ``report_html.build_view`` and ``report_html.render`` separately and
``format_html`` as a whole (the first call, which loads Jinja2 and compiles the template, is
reported apart; then the median of ``--repeat`` runs), and prints the page's size in bytes,
raw and gzip-compressed (what a CI artifact costs).

    .venv/bin/python benchmarks/html_report.py                      # 1,000 digests x 20 links
    .venv/bin/python benchmarks/html_report.py --digests 100 --keep /tmp/report.html
"""

from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enricher.models import (
    CheckedLink,
    DigestResult,
    LabelMatch,
    LinkEntry,
    LinkState,
    RunSummary,
    Snapshot,
    Status,
    Verdict,
)
from enricher.report_html import build_view, format_html, render

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
WORDS = (
    "model", "attention", "sparse", "decoding", "speculative", "inference", "training",
    "agents", "benchmark", "retrieval", "vision", "language", "multimodal", "reasoning",
    "efficient", "scaling", "alignment", "data", "evaluation", "tokens", "transformer",
    "mixture", "experts", "quantization", "kernel", "memory",
)  # fmt: skip


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def metadata(rng: random.Random, kind: str, n: int) -> tuple[str, dict[str, object]] | None:
    if kind == "arxiv":
        return "arxiv", {
            "id": f"2401.{n:05d}", "title": words(rng, 9).title(),
            "authors": [f"Author {rng.randint(1, 999)}" for _ in range(6)],
            "abstract": words(rng, 170), "published": "2024-01-20T00:00:00Z",
            "primary_category": "cs.CL", "abs_url": f"https://arxiv.org/abs/2401.{n:05d}",
            "pdf_url": f"https://arxiv.org/pdf/2401.{n:05d}", "hf_upvotes": rng.randint(0, 300),
        }  # fmt: skip
    if kind == "github":
        return "github", {
            "full_name": f"org{n % 97}/repo-{n}", "html_url": f"https://github.com/org{n % 97}/repo-{n}",
            "description": words(rng, 14), "stars": rng.randint(0, 90_000), "forks": rng.randint(0, 9_000),
            "language": rng.choice(["Python", "C++", "Rust", "TypeScript"]),
            "topics": [rng.choice(WORDS) for _ in range(4)], "license": "MIT",
            "pushed_at": "2026-11-01T00:00:00Z", "homepage": f"https://repo-{n}.example.org",
        }  # fmt: skip
    if kind == "huggingface":
        return "huggingface", {
            "type": "model", "id": f"org{n % 53}/model-{n}", "author": f"org{n % 53}",
            "downloads": rng.randint(0, 5_000_000), "likes": rng.randint(0, 4_000),
            "pipeline_tag": "text-generation", "library_name": "transformers", "license": "apache-2.0",
        }  # fmt: skip
    return "page", {
        "title": words(rng, 8).title(), "description": words(rng, 25), "site_name": f"site{n % 300}",
        "image": f"https://cdn.site{n % 300}.example/img/{n}.png",
    }  # fmt: skip


def synthetic(digests: int, per_digest: int, seed: int = 17) -> RunSummary:
    rng = random.Random(seed)
    results = []
    counts = {status: 0 for status in Status}
    n = 0
    for d in range(digests):
        path = f"sources/{d:04d}_{rng.getrandbits(64):016x}.txt"
        links = []
        for line in range(1, per_digest + 1):
            n += 1
            kind = rng.choices(["arxiv", "github", "huggingface", "web"], [30, 25, 10, 35])[0]
            url = {"arxiv": f"https://arxiv.org/abs/2401.{n:05d}",
                   "github": f"https://github.com/org{n % 97}/repo-{n}",
                   "huggingface": f"https://huggingface.co/org{n % 53}/model-{n}",
                   "web": f"https://site{n % 300}.example/posts/{n}/{words(rng, 3).replace(' ', '-')}"}[kind]  # fmt: skip
            roll = rng.random()
            status = (Status.BROKEN if roll < 0.05 else Status.REDIRECTED if roll < 0.08
                      else Status.BLOCKED if roll < 0.10 else Status.UNREACHABLE if roll < 0.12
                      else Status.OK)  # fmt: skip
            failing = status in (Status.BROKEN, Status.BLOCKED, Status.UNREACHABLE)
            streak = rng.randint(1, 12) if failing else 0
            link = CheckedLink(
                LinkEntry(path, line, words(rng, 2).title(), url),
                kind, None,
                Verdict(status, "not found (404)" if status is Status.BROKEN else None,
                        suggested_url=url + "-new" if status is Status.REDIRECTED else None,
                        checked_at=NOW),
                metadata=None if status is Status.BROKEN else metadata(rng, kind, n),
                history=LinkState(NOW - timedelta(days=90), NOW, status,
                                  None if streak else NOW, NOW - timedelta(hours=6 * streak) if streak else None,
                                  streak, failing),
                label_match=LabelMatch.MISMATCH if rng.random() < 0.01 else LabelMatch.MATCH,
                archive=Snapshot(f"https://web.archive.org/web/20250101000000/{url}", NOW)
                if status is Status.BROKEN and rng.random() < 0.5 else None,
            )  # fmt: skip
            counts[status] += 1
            links.append(link)
        results.append(DigestResult(path, path.replace(".txt", ".enriched.json"), tuple(links)))
    return RunSummary(tuple(results), counts, (), 1, started_at=NOW, duration_s=312.4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digests", type=int, default=1000)
    parser.add_argument("--links-per-digest", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the page here")
    args = parser.parse_args()

    summary = synthetic(args.digests, args.links_per_digest)
    print(f"{len(summary.digests):,} digests, {summary.total_links:,} links")
    start = time.perf_counter()
    html = format_html(summary)
    print(
        f"first format_html (loads Jinja2, compiles the template): {time.perf_counter() - start:.2f} s"
    )
    views, renders, totals = [], [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        view = build_view(summary)
        middle = time.perf_counter()
        html = render(view)
        end = time.perf_counter()
        views.append(middle - start)
        renders.append(end - middle)
        totals.append(end - start)
    print(f"build_view: {statistics.median(views):.2f} s, render: {statistics.median(renders):.2f} s, "
          f"format_html: {statistics.median(totals):.2f} s (median of {args.repeat})")  # fmt: skip
    raw = html.encode("utf-8")
    print(f"size: {len(raw):,} bytes ({len(raw) / 2**20:.1f} MiB), "
          f"{len(raw) / summary.total_links:,.0f} bytes per link; "
          f"gzip -6: {len(gzip.compress(raw, 6)):,} bytes")  # fmt: skip
    if args.keep:
        args.keep.write_text(html, encoding="utf-8")
        print(f"written to {args.keep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
