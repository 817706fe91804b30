#!/usr/bin/env python3
"""Seeded digests for the benchmark, with a ground-truth file.

Writes D digest files holding N link entries in all, in the real digest format (a prose
paragraph, a blank line, then a link list of ``[Title] URL`` lines), and ``truth.json``:

- ``world``: the simulated hosts 127.0.0.2.. (latency, seeded uniform in 30-120 ms, and
  concurrency cap), the arXiv ids that exist (latest version 2) and the GitHub repositories
  that exist or were renamed; ``simweb.py`` serves exactly this world.
- ``links``: every unique URL -> ``kind`` (web/arxiv/github), ``case`` (ok, chain301, 404,
  hang, ...), ``expected`` (the enricher status a correct checker gives: ok, redirected,
  broken, blocked, unreachable), ``hops`` (the hosts a minimal client must ask, in order) and
  ``occurrences``.

Web links cover every case of ``simweb.py``; arXiv links are ``https://arxiv.org/abs/ID`` or
``/pdf/ID`` (some with ``vN``, some missing papers, some with a version that does not exist);
GitHub links ``https://github.com/OWNER/REPO`` (some missing, some renamed). A share of the
entries repeats a URL already cited by an earlier digest.

    python benchmarks/gen_digests.py --out /tmp/bench --port 18080 [--links 2000 --digests 20]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FIRST_HOST = 2
"""Hosts are 127.0.0.2, 127.0.0.3, ...: 127.0.0.1 is left to the APIs and the control port."""
LATENCY_RANGE_S = (0.030, 0.120)
DEFAULT_CAP = 6
ARXIV_LATEST_VERSION = 2

WEB_WEIGHTS: dict[str, float] = {
    "ok": 0.50, "chain301": 0.06, "chain302": 0.06, "chainmix": 0.03, "404": 0.05,
    "410": 0.02, "loop": 0.02, "wall": 0.03, "wallcf": 0.02, "flaky503": 0.03,
    "flaky429": 0.03, "head405": 0.03,
}  # fmt: skip
"""Relative frequency of each web case (slow, huge and hang come in exact counts instead)."""

CACHEABLE = ("ok", "chain301", "chain302", "chainmix", "404", "410", "loop", "flaky503",
             "flaky429", "head405")  # fmt: skip
"""Cases whose verdict is cached (enricher never caches blocked or unreachable outcomes)."""

EXPECTED = {
    "ok": "ok", "chain301": "redirected", "chain302": "ok", "chainmix": "redirected",
    "404": "broken", "410": "broken", "loop": "broken", "wall": "blocked", "wallcf": "blocked",
    "flaky503": "ok", "flaky429": "ok", "head405": "ok", "slow": "ok", "hang": "unreachable",
    "huge": "ok",
    "arxiv_ok": "ok", "arxiv_version_ok": "ok", "arxiv_missing": "broken",
    "arxiv_bad_version": "broken",
    "github_ok": "ok", "github_missing": "broken", "github_renamed": "redirected",
}  # fmt: skip
"""What a correct checker says for each case, in enricher's vocabulary."""

WORDS = ("model", "agent", "vision", "speech", "reasoning", "sparse", "mixture", "expert",
         "diffusion", "token", "retrieval", "alignment", "benchmark", "dataset", "inference",
         "quantized", "multimodal", "robust", "efficient", "scaling", "long", "context", "memory",
         "planner", "tool", "video", "audio", "graph", "policy", "reward")
CJK = ("大模型", "多模态", "推理加速", "智能体", "视频生成", "数据集", "对齐", "检索增强")
PROSE = ("This week researchers released {a} work on {b} {c}, with results that beat earlier "
         "{d} baselines on several benchmarks.", "本周{x}方面的进展很多,{y}也有新的开源项目。",
         "A team introduced a {a} {b} method; the code and a {c} {d} dataset are public.",
         "The authors report that {a} {b} scales to long inputs while keeping {c} costs low.")


@dataclass
class Link:
    """One unique URL of the corpus and what a correct checker says about it."""

    url: str
    kind: str
    case: str
    expected: str
    hops: list[int] = field(default_factory=list)
    """Web: the host of every request a minimal client sends, in order (redirect hops
    included; /flaky*/ URLs are asked twice). Empty for arXiv and GitHub links."""
    occurrences: int = 0


@dataclass(frozen=True)
class Params:
    """Everything that determines the corpus."""

    port: int
    digests: int = 20
    links: int = 2000
    hosts: int = 40
    seed: int = 1
    cap: int = DEFAULT_CAP
    hanging: int = 2
    slow: int = 10
    huge: int = 5
    dup_rate: float = 0.10
    arxiv_share: float = 0.15
    github_share: float = 0.08
    cacheable_only: bool = False
    """Only cases whose verdict enricher caches (for the warm-run benchmark)."""


class Generator:
    def __init__(self, params: Params) -> None:
        self.p = params
        self.rng = random.Random(params.seed)
        self.hosts = [
            {"index": FIRST_HOST + i, "latency_s": round(self.rng.uniform(*LATENCY_RANGE_S), 4),
             "cap": params.cap}
            for i in range(params.hosts)
        ]  # fmt: skip
        self.serial = 0
        self.arxiv_known: set[str] = set()
        self.github_known: set[str] = set()
        self.github_renamed: dict[str, str] = {}
        self.used_ids: set[str] = set()

    def next_id(self) -> str:
        self.serial += 1
        return f"{self.serial:05d}{self.rng.randrange(16**4):04x}"

    def host(self) -> int:
        return self.rng.choice(self.hosts)["index"]

    def url(self, host: int, path: str) -> str:
        return f"http://127.0.0.{host}:{self.p.port}/{path}"

    # -- one new link per case --

    def web(self, case: str) -> Link:
        ident = self.next_id()
        first = self.host()
        if case.startswith("chain"):
            count = self.rng.choice((2, 3))
            hosts = [first]
            for _ in range(count):  # same host or another one, half and half
                hosts.append(hosts[-1] if self.rng.random() < 0.5 else self.host())
            if case == "chain301":
                codes = [self.rng.choice((301, 301, 308)) for _ in range(count)]
            else:
                codes = [self.rng.choice((302, 302, 307)) for _ in range(count)]
                if case == "chainmix":
                    codes[self.rng.randrange(count)] = 301
            rest = f"ok/{ident}"
            for code, target in reversed(list(zip(codes, hosts[1:], strict=True))):
                rest = f"hop/{code}/{target}/{rest}"
            # A link moved only when its own redirect is permanent (RFC 9110 15.4.3: after a
            # 302 "the client ought to continue to use the target URI"): a 301 further down
            # a chain that starts temporary moves an address the link never named.
            expected = EXPECTED[case] if codes[0] in (301, 308) or case != "chainmix" else "ok"
            return Link(self.url(first, rest), "web", case, expected, hosts)
        if case == "loop":
            return Link(self.url(first, f"loop/{ident}/a"), "web", case, "broken", [first] * 2)
        hops = [first] * (2 if case.startswith("flaky") else 1)
        return Link(self.url(first, f"{case}/{ident}"), "web", case, EXPECTED[case], hops)

    def arxiv(self) -> Link:
        while True:
            ident = f"{self.rng.randrange(23, 25)}{self.rng.randrange(1, 13):02d}." \
                    f"{self.rng.randrange(10000, 20000):05d}"  # fmt: skip
            if ident not in self.used_ids:
                break
        self.used_ids.add(ident)
        roll = self.rng.random()
        if roll < 0.10:
            case, version = "arxiv_missing", ""
        elif roll < 0.13:
            case, version = "arxiv_bad_version", f"v{ARXIV_LATEST_VERSION + 3}"
        elif roll < 0.33:
            case, version = "arxiv_version_ok", f"v{self.rng.randint(1, ARXIV_LATEST_VERSION)}"
        else:
            case, version = "arxiv_ok", ""
        if case != "arxiv_missing":
            self.arxiv_known.add(ident)
        form = self.rng.choice(("abs", "abs", "abs", "pdf"))
        return Link(f"https://arxiv.org/{form}/{ident}{version}", "arxiv", case, EXPECTED[case])

    def github(self) -> Link:
        owner = f"{self.rng.choice(WORDS)}-lab{self.rng.randrange(100)}"
        repo = f"{self.rng.choice(WORDS)}-{self.rng.choice(WORDS)}-{self.next_id()[:5]}"
        name = f"{owner}/{repo}"
        roll = self.rng.random()
        if roll < 0.10:
            case = "github_missing"
        elif roll < 0.15:
            case = "github_renamed"
            self.github_renamed[name] = f"{owner}-org/{repo}"
        else:
            case = "github_ok"
            self.github_known.add(name)
        return Link(f"https://github.com/{name}", "github", case, EXPECTED[case])

    # -- the corpus --

    def new_links(self, count: int) -> list[Link]:
        p = self.p
        rare = [] if p.cacheable_only else (
            ["hang"] * p.hanging + ["slow"] * p.slow + ["huge"] * p.huge)  # fmt: skip
        n_arxiv = round(count * p.arxiv_share)
        n_github = round(count * p.github_share)
        n_web = max(count - n_arxiv - n_github - len(rare), 0)
        weights = {c: w for c, w in WEB_WEIGHTS.items() if not p.cacheable_only or c in CACHEABLE}
        cases = self.rng.choices(list(weights), list(weights.values()), k=n_web) + rare
        links = [self.web(c) for c in cases]
        links += [self.arxiv() for _ in range(n_arxiv)] + [self.github() for _ in range(n_github)]
        self.rng.shuffle(links)
        return links

    def label(self) -> str:
        if self.rng.random() < 0.2:
            return f"{self.rng.choice(CJK)}{self.rng.randrange(100)}"
        return " ".join(self.rng.choice(WORDS).capitalize() for _ in range(self.rng.randint(1, 3)))

    def prose(self) -> str:
        sentences = []
        for _ in range(self.rng.randint(3, 6)):
            w = [self.rng.choice(WORDS) for _ in range(4)]
            sentences.append(self.rng.choice(PROSE).format(
                a=w[0], b=w[1], c=w[2], d=w[3], x=self.rng.choice(CJK), y=self.rng.choice(CJK)))
        return " ".join(sentences)

    def generate(self, out: Path) -> dict[str, Any]:
        p = self.p
        per_digest = [p.links // p.digests + (1 if i < p.links % p.digests else 0)
                      for i in range(p.digests)]  # fmt: skip
        dup = [[d > 0 and self.rng.random() < p.dup_rate for _ in range(n)]
               for d, n in enumerate(per_digest)]  # fmt: skip
        fresh = iter(self.new_links(sum(not x for row in dup for x in row)))
        links: dict[str, Link] = {}
        out.mkdir(parents=True, exist_ok=True)
        names = []
        earlier: list[str] = []
        for d, row in enumerate(dup):
            urls: list[str] = []
            for is_dup in row:
                choices = [u for u in earlier[-500:] if u not in urls] if is_dup else []
                if choices:
                    url = self.rng.choice(choices)
                else:
                    link = next(fresh, None) or self.new_links(1)[0]
                    links[link.url] = link
                    url = link.url
                links[url].occurrences += 1
                urls.append(url)
            earlier += urls
            name = f"digest_{d:04d}.txt"
            names.append(name)
            lines = [self.prose(), ""] + [f"[{self.label()}] {u}" for u in urls]
            (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        truth = {
            "params": asdict(p),
            "world": {
                "hosts": self.hosts,
                "arxiv_known": sorted(self.arxiv_known),
                "arxiv_latest_version": ARXIV_LATEST_VERSION,
                "github_known": sorted(self.github_known),
                "github_renamed": dict(sorted(self.github_renamed.items())),
            },
            "digests": names,
            "entries": sum(per_digest),
            "links": {u: asdict(link) for u, link in links.items()},
        }
        (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
        return truth


def generate(out: Path, params: Params) -> dict[str, Any]:
    """Write the digests and ``truth.json`` into ``out``; return the truth."""
    return Generator(params).generate(out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The corpus options, shared with compare.py."""
    d = Params(port=0)
    parser.add_argument("--digests", type=int, default=d.digests, help="digest files")
    parser.add_argument("--links", type=int, default=d.links, help="link entries in all")
    parser.add_argument("--hosts", type=int, default=d.hosts, help="simulated web hosts (<=250)")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--cap", type=int, default=d.cap, help="concurrency cap per host")
    parser.add_argument("--hanging", type=int, default=d.hanging,
                        help="links that never answer (each costs a client timeout)")
    parser.add_argument("--slow", type=int, default=d.slow, help="links answering after 2 s")
    parser.add_argument("--huge", type=int, default=d.huge, help="links with a 50 MB body")
    parser.add_argument("--dup-rate", type=float, default=d.dup_rate,
                        help="share of entries repeating an earlier digest's URL")


def params_from(args: argparse.Namespace, port: int, **extra: Any) -> Params:
    return Params(port=port, digests=args.digests, links=args.links, hosts=args.hosts,
                  seed=args.seed, cap=args.cap, hanging=args.hanging, slow=args.slow,
                  huge=args.huge, dup_rate=args.dup_rate, **extra)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder for digests and truth")
    parser.add_argument("--port", type=int, required=True, help="port of the simulated hosts")
    parser.add_argument("--cacheable-only", action="store_true",
                        help="only cases whose verdict is cached (warm-run corpus)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 250 or args.digests < 1 or args.links < args.digests:
        parser.error("need 1..250 hosts, at least one digest and one link per digest")
    truth = generate(args.out, params_from(args, args.port, cacheable_only=args.cacheable_only))
    kinds: dict[str, int] = {}
    for link in truth["links"].values():
        kinds[link["case"]] = kinds.get(link["case"], 0) + 1
    print(f"{len(truth['digests'])} digests, {truth['entries']} entries, "
          f"{len(truth['links'])} unique URLs in {args.out}: {dict(sorted(kinds.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
