#!/usr/bin/env python3
"""How fast digests are parsed in each format: ``enricher.formats.parse_any`` on plain text,
Markdown and HTML digests, in this process, on one core.

It generates ``--digests`` digests per format (seeded), shaped like AI-news digests: a few
paragraphs of prose (English, or Chinese like ``sources/*.txt``; some sentences with a bare URL
or an inline link), then a link list of 20-60 entries.

- ``.txt``: prose, a blank line, ``[label] URL`` lines (some CJK labels, now and then an entry
  with a title and no URL, as in ``sources/``); ``[label](url)`` and bare URLs in the prose.
- ``.md``: inline links, reference links and their definitions, autolinks ``<https://...>``,
  images and badges, an HTML block holding an ``<img>``, a fenced code block and a code span
  with a URL (not checked), relative links (``README.md``, ``#method``) and a ``mailto:``
  autolink (skipped); link-list items in five styles.
- ``.html``: a whole page (head, title, a style sheet importing a font by URL) with
  ``<a href>`` in paragraphs (query strings written ``&amp;``), bare URLs in the text (half of
  them; the rest are anchors showing the URL), ``<img src>``, a ``<pre><code>`` block holding
  an anchor and a bare URL (not checked), relative, ``#top`` and ``mailto:`` links, and a
  ``<base href>`` in a third of them (their relative links become web links there).

Every digest knows how many entries and skipped links a correct reading gives. The script
writes the digests into a temp folder, reads the bytes back and decodes them, then times only
``parse_any`` over all texts of one format (after a warm-up on a few, so that imports and
building markdown-it's parser are not counted), ``--rounds`` times, each format first in turn.
In the first ``--read-rounds`` rounds (1; 0 for none) it also times the whole reading step,
``enricher.files.read_digests`` (read, decode, parse, ``--max-links``) with default
``Settings``. Per format it prints digests, links found and skipped (checked against what was
generated), MB, median wall seconds and their range, median CPU seconds of the process (below
the wall time when it waited for a core), links/s and MB/s at the median wall time, and the
reading step's median.

    .venv/bin/python benchmarks/parse_formats.py [--digests 1000 --rounds 5 --seed 1]
    .venv/bin/python benchmarks/parse_formats.py --json /tmp/parse.json --profile markdown

``--profile FORMAT`` (text, markdown or html) runs one more pass of that format under cProfile
and prints the functions that take the most time. Exit 0 when every format found exactly the
links and skipped links generated, 1 otherwise.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import json
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enricher import __version__  # noqa: E402  (the repo's package, found through ROOT)
from enricher.config import Settings  # noqa: E402
from enricher.files import read_digests  # noqa: E402
from enricher.formats import ReadOptions, parse_any  # noqa: E402

FORMATS = {"text": ".txt", "markdown": ".md", "html": ".html"}
"""Each format and the extension that makes ``parse_any`` read a file as it."""

WORDS = ("model", "agent", "vision", "speech", "reasoning", "sparse", "mixture", "expert",
         "diffusion", "token", "retrieval", "alignment", "benchmark", "dataset", "inference",
         "quantized", "multimodal", "robust", "efficient", "scaling", "long", "context", "memory",
         "planner", "tool", "video", "audio", "graph", "policy", "reward", "kernel",
         "latent")  # fmt: skip
ORGS = ("Google DeepMind", "Meta FAIR", "Microsoft Research", "Alibaba's Qwen team", "Mistral AI",
        "Hugging Face", "NVIDIA", "Tsinghua University", "Stanford", "CMU", "AI2",
        "Apple")  # fmt: skip
VERBS = ("released", "open-sourced", "introduced", "published", "announced", "described")
NOUNS = ("framework", "benchmark", "dataset", "model family", "training recipe", "toolkit")
ORGS_ZH = ("清华大学", "北京大学", "阿里巴巴", "腾讯", "字节跳动", "上海人工智能实验室", "浙江大学",
           "微软亚洲研究院", "香港大学", "南洋理工大学")  # fmt: skip
TOPICS_ZH = ("长文本推理", "视频生成", "多模态理解", "智能体协作", "代码生成", "语音合成", "检索增强",
             "模型压缩", "具身智能", "数学推理")  # fmt: skip
CLAIMS_ZH = ("在多项基准测试中表现优于现有方法", "显著降低了推理成本", "开源了模型权重和训练代码",
             "构建了大规模高质量指令数据集", "支持图像和视频的联合生成", "只需少量样本即可完成微调",
             "有效缓解了幻觉问题")  # fmt: skip
LABELS_ZH = ("项目主页", "论文", "代码", "演示视频", "技术报告", "模型下载")
BLOG_HOSTS = ("openai.com/index", "ai.meta.com/blog", "blog.google/technology/ai",
              "www.anthropic.com/news", "mistral.ai/news", "qwenlm.github.io/blog",
              "deepmind.google/discover/blog", "huggingface.co/blog")  # fmt: skip
BADGES = ("https://img.shields.io/github/stars/{repo}?style=social",
          "https://img.shields.io/badge/arXiv-{id}-b31b1b.svg",
          "https://img.shields.io/badge/license-Apache--2.0-blue.svg")  # fmt: skip


@dataclass
class Digest:
    """One generated digest and what a correct reading of it gives."""

    text: str
    entries: int = 0
    """Link entries ``parse_any`` should return (a text title without URL is one)."""
    skipped: int = 0
    """Links it should skip: relative (without a base), same-document, ``mailto:``."""


@dataclass
class Prose:
    """Paragraphs of sentences; each piece is text, a bare URL or a (label, URL) link."""

    chinese: bool
    paragraphs: list[list[str | tuple[str, str] | tuple[str]]] = field(default_factory=list)

    def links(self) -> int:
        return sum(not isinstance(piece, str) for para in self.paragraphs for piece in para)


class Writer:
    """Seeded pieces of digests: URLs, labels, prose."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def word(self) -> str:
        return self.rng.choice(WORDS)

    def name(self) -> str:
        """A model's or a project's name: ``SparseVision-7B``, ``ReasonKit``."""
        rng = self.rng
        base = self.word().capitalize() + self.word().capitalize()
        return base + (f"-{rng.choice((1, 3, 7, 8, 14, 32, 70))}B" if rng.random() < 0.4 else "")

    def arxiv_id(self) -> str:
        rng = self.rng
        return f"{rng.randint(23, 25)}{rng.randint(1, 12):02d}.{rng.randint(1, 22000):05d}"

    def repo(self) -> str:
        return f"{self.word()}-lab{self.rng.randrange(100)}/{self.name().lower()}"

    def url(self) -> str:
        """A link as AI-news digests cite them: arXiv, GitHub, the Hub, blogs (some with a
        tracking query), YouTube (``&t=``), Wikipedia (parentheses), X."""
        rng = self.rng
        kind = rng.choices(range(8), weights=(30, 20, 12, 14, 4, 3, 4, 3))[0]
        if kind == 0:
            page = rng.choice(("abs", "abs", "pdf"))
            return f"https://arxiv.org/{page}/{self.arxiv_id()}" + (
                "v2" if rng.random() < 0.2 else ""
            )
        if kind == 1:
            return f"https://github.com/{self.repo()}"
        if kind == 2:
            if rng.random() < 0.3:
                return f"https://huggingface.co/papers/{self.arxiv_id()}"
            return f"https://huggingface.co/{self.word()}-ai/{self.name()}"
        if kind == 3:
            slug = "-".join(self.word() for _ in range(rng.randint(2, 5)))
            query = "?utm_source=newsletter&utm_medium=email" if rng.random() < 0.3 else ""
            return f"https://{rng.choice(BLOG_HOSTS)}/{slug}{query}"
        if kind == 4:
            video = "".join(
                rng.choices("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", k=11)
            )
            return f"https://www.youtube.com/watch?v={video}&t={rng.randint(10, 3000)}s"
        if kind == 5:
            return f"https://en.wikipedia.org/wiki/{self.word().capitalize()}_({self.word()})"
        if kind == 6:
            status = rng.randint(10**18, 10**19 - 1)
            return f"https://x.com/{self.word()}_{self.word()}/status/{status}"
        return f"https://www.{self.word()}{self.word()}.ai/"

    def label(self) -> str:
        rng = self.rng
        if rng.random() < 0.2:
            return f"{self.name()}{rng.choice(LABELS_ZH)}"
        return self.name() if rng.random() < 0.6 else f"{self.name()} {self.word()} {self.word()}"

    def prose(self, chinese: bool) -> Prose:
        """3-6 paragraphs of 3-7 sentences; about one sentence in four cites a link, bare or
        inline."""
        rng = self.rng
        prose = Prose(chinese)
        for _ in range(rng.randint(3, 6)):
            pieces: list[str | tuple[str, str] | tuple[str]] = []
            for _ in range(rng.randint(3, 7)):
                pieces.extend(self.sentence(chinese))
            prose.paragraphs.append(pieces)
        return prose

    def sentence(self, chinese: bool) -> list[str | tuple[str, str] | tuple[str]]:
        rng = self.rng
        name = self.name()
        if chinese:
            org, topic, claim = rng.choice(ORGS_ZH), rng.choice(TOPICS_ZH), rng.choice(CLAIMS_ZH)
            said = f"{org}的研究者面向{topic}推出{name}，{claim}"
        else:
            said = (f"{rng.choice(ORGS)} {rng.choice(VERBS)} {name}, a {self.word()} "
                    f"{rng.choice(NOUNS)} for {self.word()} {self.word()} that {rng.choice(VERBS)} "
                    f"{rng.randint(2, 40)}% gains on {self.word()} tasks")  # fmt: skip
        roll = rng.random()
        if roll < 0.12:  # a bare URL
            if chinese:
                return [f"{said}，{rng.choice(LABELS_ZH)}：", (self.url(),), "。"]
            return [f"{said} (see ", (self.url(),), "). "]
        if roll < 0.25:  # an inline link
            if chinese:
                return [f"{said}，详见", (rng.choice(LABELS_ZH), self.url()), "。"]
            return [f"{said}; read ", (f"the {rng.choice(NOUNS)}", self.url()), ". "]
        return [said + ("。" if chinese else ". ")]


def render_prose(prose: Prose, fmt: str, rng: random.Random | None = None) -> list[str]:
    """The prose's paragraphs in ``fmt``: a bare URL is written as is (HTML: as text, or with
    ``rng`` half the time as an anchor showing the URL, as a newsletter tool writes it), a link
    as ``[label](url)`` (HTML: an anchor)."""
    paragraphs = []
    for para in prose.paragraphs:
        parts = []
        for piece in para:
            if isinstance(piece, str):
                parts.append(html.escape(piece, quote=False) if fmt == "html" else piece)
                continue
            url = piece[-1]
            label = html.escape(url) if len(piece) == 1 else piece[0]
            if fmt == "html" and len(piece) == 1 and (rng is None or rng.random() < 0.5):
                parts.append(html.escape(url, quote=False))
            elif fmt == "html":
                parts.append(f'<a href="{html.escape(url)}">{label}</a>')
            else:
                parts.append(url if len(piece) == 1 else f"[{label}]({url})")
        paragraphs.append("".join(parts).rstrip())
    return paragraphs


def text_digest(w: Writer) -> Digest:
    """Like ``sources/*.txt``: prose (one long line when Chinese), a blank line, the list."""
    rng = w.rng
    prose = w.prose(chinese=rng.random() < 0.4)
    paragraphs = render_prose(prose, "text")
    head = "".join(paragraphs) if prose.chinese else "\n\n".join(paragraphs)
    digest = Digest("", entries=prose.links())
    lines = [head, ""]
    count = rng.randint(20, 60)
    untitled = rng.randrange(count) if rng.random() < 0.25 else -1
    for index in range(count):
        if index == untitled:  # a title and no URL: an entry with url None, as in sources/
            lines.append(
                f"[{w.name()}专题介绍] {rng.choice(TOPICS_ZH)}：{w.name()}_视频介绍_哔哩哔哩"
            )
        else:
            lines.append(f"[{w.label()}] {w.url()}" + (" " if rng.random() < 0.05 else ""))
        digest.entries += 1
    digest.text = "\n".join(lines) + "\n"
    return digest


def markdown_digest(w: Writer, number: int) -> Digest:
    rng = w.rng
    prose = w.prose(chinese=rng.random() < 0.3)
    digest = Digest("", entries=prose.links())
    out = [f"# AI Weekly #{number}: {w.name()} and {w.word()} {w.word()}", ""]
    out += [f"_Issue {number}, {rng.randint(20, 60)} links this week_", ""]
    if rng.random() < 0.5:  # badges: an image inside a link is two entries
        repo = w.repo()
        badges = [f"[![{w.word()}]({b.format(repo=repo, id=w.arxiv_id())})]"
                  f"(https://github.com/{repo})"
                  for b in rng.sample(BADGES, rng.randint(1, 3))]  # fmt: skip
        out += [" ".join(badges), ""]
        digest.entries += 2 * len(badges)
    references: list[str] = []

    def reference(url: str) -> str:
        references.append(url)
        return f"r{len(references)}"

    paragraphs = render_prose(prose, "markdown")
    for index, paragraph in enumerate(paragraphs):
        if index == 1 and rng.random() < 0.7:  # a reference link and an autolink in the prose
            paragraph += (f" The [{w.word()} write-up][{reference(w.url())}] has details, and "
                          f"<{w.url()}> the code.")  # fmt: skip
            digest.entries += 2
        out += [paragraph, ""]
        if index == 0:
            src = f"https://{rng.choice(BLOG_HOSTS)}/fig{rng.randrange(99)}.png"
            out += [f"![{w.word()} figure]({src})", ""]
            digest.entries += 1
    if rng.random() < 0.3:  # an HTML block: its <img> is read by the HTML reader
        src = f"https://raw.githubusercontent.com/{w.repo()}/main/assets/teaser.png"
        out += ['<p align="center">', f'  <img src="{src}" width="600">', "</p>", ""]
        digest.entries += 1
    api = f"https://api.{w.word()}.ai/v1"
    out += [f"Install with `pip install {w.word()}-{w.word()}`, or try the API at `{api}`:", ""]
    out += ["```bash", f"pip install {w.word()}", f"curl -s {api}/models | jq .", "```", ""]
    out += ["Past issues are in [the archive](archive/README.md); see [how we pick](#method), "
            f"[the guide](docs/guide.md) or write to <team@{w.word()}news.org>.", ""]  # fmt: skip
    digest.skipped += 4
    out += ["## Links", ""]
    for _ in range(rng.randint(20, 60)):
        style = rng.random()
        if style < 0.55:
            item = f"- [{w.label()}]({w.url()}): {w.word()} {w.word()}"
        elif style < 0.70:
            item = f"- [{w.label()}][{reference(w.url())}]"
        elif style < 0.80:
            item = f"- <{w.url()}>"
        elif style < 0.92:
            item = f"- {w.label()}: {w.url()}"
        else:
            item = f"- [{w.label()}] {w.url()}"  # the plain-text link list, kept in Markdown
        out.append(item)
        digest.entries += 1
    out.append("")
    for index, url in enumerate(references, start=1):
        title = f' "{w.name()}"' if rng.random() < 0.3 else ""
        out.append(f"[r{index}]: {url}{title}")
    digest.text = "\n".join(out) + "\n"
    return digest


def html_digest(w: Writer, number: int) -> Digest:
    rng = w.rng
    prose = w.prose(chinese=rng.random() < 0.3)
    digest = Digest("", entries=prose.links())
    based = rng.random() < 1 / 3
    title = f"AI Weekly #{number}: {w.name()}"
    out = ["<!DOCTYPE html>", f'<html lang="{"zh" if prose.chinese else "en"}">', "<head>",
           '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{title}</title>",
           '<link rel="stylesheet" href="/assets/style.css">',
           '<style>@import url("https://fonts.googleapis.com/css2?family=Inter&display=swap");'
           " body { font-family: Inter, sans-serif; }</style>"]  # fmt: skip
    if based:
        out.append(f'<base href="https://news.{w.word()}.org/issues/{number}/">')
    out += ["</head>", '<body id="top">', f"<header><h1>{title}</h1></header>", "<main>"]
    for index, paragraph in enumerate(render_prose(prose, "html", rng)):
        out.append(f"<p>{paragraph}</p>")
        if index == 0:
            src = f"https://{rng.choice(BLOG_HOSTS)}/fig{rng.randrange(99)}.png"
            out.append(f'<figure><img src="{src}" alt="{w.word()} figure">'
                       f"<figcaption>{w.name()}</figcaption></figure>")  # fmt: skip
            digest.entries += 1
    repo = w.repo()
    out += [f"<pre><code>pip install {w.word()}", f"curl -s https://api.{w.word()}.ai/v1/models",
            f'git clone <a href="https://github.com/{repo}">https://github.com/{repo}</a>'
            "</code></pre>",
            '<p>Past issues are in <a href="archive/index.html">the archive</a>; '
            '<a href="README.md">how we pick</a>. Write to '
            f'<a href="mailto:team@{w.word()}news.org">us</a>.</p>',
            "<h2>Links</h2>", "<ul>"]  # fmt: skip
    if based:  # resolved against <base href>: web links
        digest.entries += 2
        digest.skipped += 1
    else:
        digest.skipped += 3
    for _ in range(rng.randint(20, 60)):
        if rng.random() < 0.1:  # a repository's badge inside its link: two entries
            repo = w.repo()
            badge = html.escape(BADGES[0].format(repo=repo, id=""))
            out.append(f'<li><a href="https://github.com/{repo}"><img src="{badge}" '
                       f'alt="{w.word()} stars"></a></li>')  # fmt: skip
            digest.entries += 2
        else:
            url, label = html.escape(w.url()), html.escape(w.label())
            out.append(f'<li><a href="{url}">{label}</a> &mdash; {w.word()} {w.word()}</li>')
            digest.entries += 1
    out += ["</ul>", "</main>", '<footer><a href="#top">Back to top</a></footer>', "</body>",
            "</html>"]  # fmt: skip
    digest.skipped += 1
    digest.text = "\n".join(out) + "\n"
    return digest


def generate(folder: Path, count: int, seed: int) -> dict[str, list[tuple[Path, Digest]]]:
    """``count`` digests per format written into ``folder``; per format, each file and what
    reading it should give."""
    w = Writer(seed)
    made: dict[str, list[tuple[Path, Digest]]] = {fmt: [] for fmt in FORMATS}
    for number in range(count):
        for fmt, suffix in FORMATS.items():
            if fmt == "text":
                digest = text_digest(w)
            elif fmt == "markdown":
                digest = markdown_digest(w, number)
            else:
                digest = html_digest(w, number)
            path = folder / f"{number:04d}_{fmt}{suffix}"
            path.write_text(digest.text, encoding="utf-8")
            made[fmt].append((path, digest))
    return made


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result) of ``work()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def parse_all(texts: list[tuple[str, str]], options: ReadOptions) -> tuple[int, int]:
    """(entries, skipped) of ``parse_any`` over every text."""
    entries = skipped = 0
    for text, path in texts:
        parsed = parse_any(text, path, options)
        entries += len(parsed.entries)
        skipped += len(parsed.skipped)
    return entries, skipped


def commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=10)  # fmt: skip
    except OSError:
        return "?"
    return done.stdout.strip() or "?"


def measure(
    made: dict[str, list[tuple[Path, Digest]]], rounds: int, read_rounds: int
) -> dict[str, dict[str, Any]]:
    """Per format: sizes, what was generated, what ``parse_any`` found, and the seconds of each
    round (and of ``read_digests`` in the first ``read_rounds``)."""
    options = ReadOptions()
    texts = {fmt: [(path.read_bytes().decode("utf-8"), str(path)) for path, _ in items]
             for fmt, items in made.items()}  # fmt: skip
    for fmt in FORMATS:  # warm-up: imports, markdown-it's parser
        parse_all(texts[fmt][:10], options)
    rows: dict[str, dict[str, Any]] = {}
    for fmt, items in made.items():
        rows[fmt] = {
            "digests": len(items),
            "bytes": sum(len(text.encode("utf-8")) for text, _ in texts[fmt]),
            "expected_links": sum(d.entries for _, d in items),
            "expected_skipped": sum(d.skipped for _, d in items),
            "seconds": [], "cpu_seconds": [], "read_step_seconds": [],
        }  # fmt: skip
    order = list(FORMATS)
    for round_ in range(rounds):
        for fmt in order[round_ % 3 :] + order[: round_ % 3]:  # each format first in turn
            seconds, cpu, (links, skipped) = timed(partial(parse_all, texts[fmt], options))
            rows[fmt].update(links=links, skipped=skipped)
            rows[fmt]["seconds"].append(seconds)
            rows[fmt]["cpu_seconds"].append(cpu)
            if round_ < read_rounds:
                paths = [path for path, _ in made[fmt]]
                seconds, _, (read, _) = timed(partial(read_digests, paths, Settings()))
                rows[fmt]["read_step_seconds"].append(seconds)
                rows[fmt]["read_step_links"] = sum(len(d.entries) for d in read)
    for row in rows.values():
        median = statistics.median(row["seconds"])
        row.update(median_s=median, cpu_median_s=statistics.median(row["cpu_seconds"]),
                   links_per_s=row["links"] / median,
                   mb_per_s=row["bytes"] / 1e6 / median)  # fmt: skip
        if row["read_step_seconds"]:
            row["read_step_median_s"] = statistics.median(row["read_step_seconds"])
    return rows


def print_table(rows: dict[str, dict[str, Any]]) -> bool:
    """The table; whether every format found exactly the links and skipped links generated."""
    print(f"{'format':9} {'digests':>7} {'links':>7} {'skipped':>7} {'MB':>6} {'median s':>8} "
          f"{'range s':>13} {'cpu s':>6} {'links/s':>8} {'MB/s':>5} "
          f"{'read step s':>11}")  # fmt: skip
    ok = True
    for fmt, row in rows.items():
        spread = f"{min(row['seconds']):.3f}-{max(row['seconds']):.3f}"
        read_step = f"{row['read_step_median_s']:.3f}" if "read_step_median_s" in row else "-"
        print(f"{fmt:9} {row['digests']:>7,} {row['links']:>7,} {row['skipped']:>7,} "
              f"{row['bytes'] / 1e6:>6.2f} {row['median_s']:>8.3f} {spread:>13} "
              f"{row['cpu_median_s']:>6.3f} {row['links_per_s']:>8,.0f} {row['mb_per_s']:>5.1f} "
              f"{read_step:>11}")  # fmt: skip
        found = (row["links"], row["skipped"])
        if found != (row["expected_links"], row["expected_skipped"]):
            ok = False
            print(f"  MISMATCH: {fmt} found {found[0]} links and {found[1]} skipped, "
                  f"generated {row['expected_links']} and {row['expected_skipped']}")  # fmt: skip
    if ok:
        print("links and skipped links found = generated, in every format")
    return ok


def profile_pass(made: dict[str, list[tuple[Path, Digest]]], fmt: str) -> None:
    """One pass of ``fmt`` under cProfile: the functions with the most cumulative time."""
    texts = [(path.read_text(encoding="utf-8"), str(path)) for path, _ in made[fmt]]
    profile = cProfile.Profile()
    profile.runcall(parse_all, texts, ReadOptions())
    print(f"\ncProfile, one pass of {fmt} (top 20 by cumulative time; the profiler slows it):")
    pstats.Stats(profile, stream=sys.stdout).sort_stats(pstats.SortKey.CUMULATIVE).print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digests", type=int, default=1000, help="digests per format")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--read-rounds", type=int, default=1,
                        help="rounds that also time read_digests (0: none)")  # fmt: skip
    parser.add_argument("--profile", choices=list(FORMATS), help="one more pass under cProfile")
    parser.add_argument("--json", type=Path, help="also write all numbers to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the generated digests")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="parse-formats-"))
    try:
        made = generate(folder, args.digests, args.seed)
        rows = measure(made, args.rounds, args.read_rounds)
        print(f"enricher {__version__} at {commit()}, python {platform.python_version()}, "
              f"{platform.machine()}; seed {args.seed}, {args.digests} digests a format, "
              f"median of {args.rounds} rounds, one core")  # fmt: skip
        ok = print_table(rows)
        if args.profile:
            profile_pass(made, args.profile)
        if args.json:
            summary = {"seed": args.seed, "digests": args.digests, "rounds": args.rounds,
                       "enricher": __version__, "commit": commit(),
                       "python": platform.python_version(), "formats": rows}  # fmt: skip
            args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        if args.keep:
            print(f"digests kept in {folder}")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
