#!/usr/bin/env python3
"""How fast page metadata is read (issue 14): ``enricher.pages.page_facts`` on 1,000 pages of
real size, against the parsers it could have used.

The pages are generated (seeded), shaped like the captures in ``../shared/web-samples`` (read,
not copied): 20-400 KB, a head of 10-60 ``<meta>`` tags, OpenGraph, a JSON-LD block, inline
scripts and styles, then a body of nested ``div``/``p``/``a``/``img`` markup. Each is cut at
``--max-page-bytes`` (1 MiB, what enricher reads at most), as the web authority will. It
prints pages/s and MB/s for:

- ``page_facts`` (selectolax Lexbor: decode + parse + every field),
- Lexbor's parse alone, and lxml's (``lxml.html.document_fromstring``) when lxml is installed,
- the standard library's ``html.parser`` fed the same bytes (a tokenizer only, no tree),

best of ``--repeat`` passes on one core, and the peak RSS of the process. Then hostile
markup: each of ``HOSTILE`` repeated to the read limit after each of ``STARTS`` (the parser's
worst cases: nested block elements, stray end tags, formatting elements, tables, foreign
content), timed as the checker reads them, and 1 MiB of ``<body>`` inside an unclosed script
for the head scan, with the slowest times.

    .venv/bin/python benchmarks/page_parse.py [--pages 1000 --repeat 3]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enricher.config import DEFAULT_MAX_PAGE_BYTES
from enricher.net.checker import BODY_PEEK_BYTES
from enricher.net.page_start import HEADLESS_BYTES, has_head, head_end
from enricher.pages import page_facts

WORDS = ("model", "inference", "token", "layer", "decoding", "attention", "benchmark", "数据",
         "模型", "推理", "données", "prüfung", "résumé", "the", "of", "and", "a", "to")  # fmt: skip


def make_page(rng: random.Random, size: int) -> bytes:
    """One page of about ``size`` bytes."""
    metas = "".join(
        f'<meta name="x-{n}" content="{" ".join(rng.choices(WORDS, k=8))}">'
        for n in range(rng.randint(10, 60))
    )
    head = (
        f"<title>{' '.join(rng.choices(WORDS, k=9))} | Example</title>{metas}"
        '<meta property="og:title" content="A page about models">'
        '<meta property="og:description" content="What it says">'
        '<meta property="og:image" content="/img/cover.jpg">'
        '<link rel="canonical" href="https://example.org/page">'
        '<script type="application/ld+json">{"@type": "Article", "headline": "Headline", '
        '"author": {"name": "Ada"}, "datePublished": "2024-05-01"}</script>'
        f"<style>{'.c{color:red;margin:0 auto} ' * rng.randint(50, 400)}</style>"
        f"<script>{'var x = function(a){return a+1}; ' * rng.randint(50, 800)}</script>"
    )
    parts = [f"<!doctype html><html lang='en'><head>{head}</head><body>"]
    length = len(parts[0])
    while length < size:
        block = (
            f"<div class='c{rng.randint(0, 99)}'><p>{' '.join(rng.choices(WORDS, k=40))}</p>"
            f"<a href='/p/{rng.randint(0, 9999)}'>{rng.choice(WORDS)}</a>"
            f"<img src='/i/{rng.randint(0, 9999)}.png' alt='{rng.choice(WORDS)}'></div>"
        )
        parts.append(block)
        length += len(block.encode())
    parts.append("</body></html>")
    return "".join(parts).encode()


def best(passes: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(passes):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-page-bytes", type=int, default=DEFAULT_MAX_PAGE_BYTES)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    pages = [make_page(rng, rng.randint(20_000, 400_000))[: args.max_page_bytes]
             for _ in range(args.pages)]  # fmt: skip
    total_mb = sum(map(len, pages)) / 1e6
    print(f"{len(pages)} pages, {total_mb:.1f} MB read (each cut at {args.max_page_bytes} bytes),"
          f" best of {args.repeat} passes, one core")  # fmt: skip

    def facts() -> None:
        for body in pages:
            assert page_facts(body, "text/html; charset=utf-8", "https://example.org/p")

    # What the web checker actually reads: the head and BODY_PEEK_BYTES of the body.
    read = [as_read(body) for body in pages]
    read_mb = sum(map(len, read)) / 1e6

    def facts_as_read() -> None:
        for body in read:
            assert page_facts(body, "text/html; charset=utf-8", "https://example.org/p")

    def lexbor() -> None:
        from selectolax.lexbor import LexborHTMLParser

        for body in pages:
            LexborHTMLParser(body.decode("utf-8", errors="replace"))

    def stdlib() -> None:
        for body in pages:
            tokenizer = HTMLParser()
            tokenizer.feed(body.decode("utf-8", errors="replace"))
            tokenizer.close()

    seconds = best(args.repeat, facts_as_read)
    print(f"  {'page_facts on what is read':36} {len(read) / seconds:8.0f} pages/s "
          f"{read_mb / seconds:7.1f} MB/s ({seconds * 1000 / len(read):.2f} ms a page; head + "
          f"{BODY_PEEK_BYTES // 1024} KiB of body: {read_mb:.1f} MB in all)")  # fmt: skip
    contenders: list[tuple[str, Callable[[], None]]] = [
        ("page_facts (Lexbor, all fields)", facts), ("Lexbor parse only", lexbor)]  # fmt: skip
    try:
        import lxml.html

        def lxml_parse() -> None:
            for body in pages:
                lxml.html.document_fromstring(body)

        contenders.append(("lxml parse only", lxml_parse))
    except ImportError:
        print("(lxml is not installed: pip install lxml to compare it)")
    contenders.append(("stdlib html.parser (tokenize only)", stdlib))
    for name, work in contenders:
        seconds = best(args.repeat, work)
        print(f"  {name:36} {len(pages) / seconds:8.0f} pages/s {total_mb / seconds:7.1f} MB/s"
              f" ({seconds * 1000 / len(pages):.2f} ms a page)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB (pages held in memory included)")
    hostile(args.max_page_bytes)
    return 0


HOSTILE = (
    "<div>", "<ul>", "<dl>", "<section>", "<i><div>", "<template><div>", "<noscript><div>",
    "<li>", "<b>", "<a>", "<span>", "<p>", "</p>", "<table>", "<table><tr><td>", "<h1>",
    "<button>", "<svg><g>", "<font>", "<b><i><u><s>", "<a><div>", "<object>", "<frameset>",
    "<dd>", "<ruby><rb>", "<x>", "<math><mi>", "<li><ul>", "<select><option>", "<div></ul>",
    "<div></section>", "<pre>", "<listing>", "<span><h1>", "<h2><i>", "<x></y>", "<span></x>",
    "<a><b>", "<b><i><u><s><em>", "<select><optgroup><option>", "<span></p>", "<span></li>",
    "<span></body>", "<span><meta http-equiv=refresh content=x>", "<iframe src=x>",
    "<script src=x></script>", "<noscript><ul>", "<template><ul>", "<!---->",
)  # fmt: skip
"""Markup repeated to the read limit: what costs an HTML tree builder (or the head scan) most
per byte, gathered with a review's finds."""

STARTS = {
    "head": "<html><head><title>t</title>", "no head": "", "noscript": "<html><head><noscript>",
    "quoted": '<html><head><meta content="<script>">', "svg": "<html><head><svg><style>",
    "bogus": "<html><head><!x <textarea>>", "iframe": "<html><head><iframe><script></iframe>",
    "vt": "<html><head><script\v>", "hidden": '<html><head><noscript><a b="</noscript><script>">',
    "escaped": '<html><head><script><!--<script></script><a b="--></script><i c="><script>">',
}  # fmt: skip
"""Where the markup goes: a head that never ends, no head at all, an unclosed noscript, and
places where a scan could take markup for a script's text (reviews' finds)."""


def as_read(body: bytes) -> bytes:
    """What the web checker keeps of a page read whole (``checker._read_page``'s rule)."""
    end = head_end(body)
    if end is not None:
        return body[: end + BODY_PEEK_BYTES]
    return body if has_head(body) else body[:HEADLESS_BYTES]


def hostile(limit: int) -> None:
    """The slowest hostile pages, as the checker reads them (the head scan and the parse of
    what it keeps, every field), and the head scan's worst case."""
    times = []
    for where, start in STARTS.items():
        for unit in HOSTILE:
            body = (start + unit * (limit // len(unit) + 1)).encode()[:limit]
            began = time.perf_counter()
            page_facts(as_read(body), "text/html", "https://example.org/p")
            times.append((time.perf_counter() - began, f"{where} {unit}"))
    names = "".join(f" a{n}" for n in range(limit // 6))  # distinct attribute names
    near = names[: 48 * 1024 - 20]  # one tag just within what a head's tags may hold
    for where, body in (
        ("one tag", f"<html><head><meta{names}>"),
        ("tags", f"<html><head><b{names.replace(' a', '><b a')}>"),
        ("one tag of 48 KiB", f"<html><head><meta{near}><body><div{names}>"),
    ):
        began = time.perf_counter()
        page_facts(as_read(body.encode()[:limit]), "text/html", "https://example.org/p")
        times.append((time.perf_counter() - began, f"{where} of distinct attribute names"))
    times.sort(reverse=True)
    slowest = ", ".join(f"{shape} {seconds * 1000:.0f} ms" for seconds, shape in times[:3])
    print(f"hostile markup, {len(times)} pages of {limit // 1024} KiB as read: slowest {slowest}; "
          f"all {sum(seconds for seconds, _ in times):.2f} s")  # fmt: skip
    trap = b"<html><head><script>" + b"<body>" * (limit // 6)
    began = time.perf_counter()
    end = head_end(trap)
    print(f"head scan of {len(trap) // 1024} KiB of <body> in an unclosed script: "
          f"{(time.perf_counter() - began) * 1000:.1f} ms, ends at {end}")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
