#!/usr/bin/env python3
"""What the Hugging Face, DOI, paper-links and Wayback authorities cost a run.

One command generates seeded digests (the real format: prose, a blank line, ``[Title] URL``
lines) whose links mix arXiv papers, Hugging Face models, datasets, Spaces and paper pages,
DOIs (``doi.org`` and publisher pages: science.org, nature.com, dl.acm.org, Wiley,
Springer...; some known to DataCite only, some to neither), GitHub repositories and web pages
on 127.0.0.x (some broken, so that the Wayback Machine is asked). It serves every API enricher
asks on 127.0.0.1, in this process (an asyncio loop in a thread; real HTTP/1.1 with
keep-alive), each with a small random latency and counting what it is asked:

    arXiv      /api/query?id_list=...        (simweb.py's fake, Atom from tests/fixtures/)
    GitHub     /repos/{owner}/{repo}         (simweb.py's fake: ETag, 404, 301 for renames)
    Hub        /api/models|datasets|spaces/{id}, /api/papers/{arXiv id}
               (401 + X-Error-Code: RepoNotFound, 403 GatedRepo, 307 for a renamed repository,
               RateLimit / RateLimit-Policy headers on every answer, 429 once spent)
    Crossref   /works/{doi}   (x-rate-limit-limit 5, x-rate-limit-interval 1s,
               x-concurrency-limit 1: the public pool; a second request in flight gets 429)
    DataCite   /dois/{doi}    (JSON:API documents, JSON:API 404)
    Wayback    /web/{14-digit timestamp}/{url}  (302 to a snapshot, or 404)

Then, ``--rounds`` times: enricher cold (fresh cache), warm (the same cache), and the same cold
run with ``--no-paper-links --no-archive`` (the A/B: what those extras cost; ``--ab-arg``
picks one of them). It prints the
command lines, wall time and peak RSS (``ru_maxrss`` from ``wait4``), the requests each fake
received beside the counts in enricher's JSON report, and checks, PASS/FAIL: one request per
unique id (arXiv ``id_list`` batches; paper-links one per arXiv paper; Hub one per repository
or paper page, plus the redirect of a renamed one; Crossref one per DOI, however it was
linked; DataCite only for the DOIs Crossref does not know; Wayback one per broken link),
enricher's counts equal to the fakes', verdicts as the generated truth says, Crossref's
concurrency limit and the Hub's quota kept (Crossref's arrivals per second are reported), no
request leaving 127.0.0.0/8, and 0 requests in the warm runs.

    .venv/bin/python benchmarks/authorities.py                        # 2,000 links, 3 rounds
    .venv/bin/python benchmarks/authorities.py --links 300 --digests 3 --rounds 1

Nothing leaves the machine: the HF/DOI links name huggingface.co, doi.org, science.org...,
but enricher asks the APIs about them (pointed at the fakes), never their pages. To prove it,
each enricher run gets a ``sitecustomize`` (``--no-guard``: none) that refuses and logs every
name lookup of a host other than localhost and every connection outside 127.0.0.0/8 (the
check fails on any logged line); and enricher's per-service counts must equal the fakes'.

Exit 0 when every run finished and every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import itertools
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (siblings, found through HERE)
import gen_digests  # noqa: E402
import simweb  # noqa: E402

FIXTURES = HERE.parent / "tests" / "fixtures"
HF_FIXTURES = FIXTURES / "huggingface"
DOI_FIXTURES = FIXTURES / "doi"

FIRST_HOST = 2
"""Web hosts are 127.0.0.2, 127.0.0.3...; 127.0.0.1 serves the APIs."""
ARXIV_LATEST_VERSION = 2
ARXIV_BATCH = 100
"""Ids per arXiv ``id_list`` request."""
SNAPSHOT_STAMP = "20240315120000"
"""The timestamp of every snapshot the fake Wayback Machine has."""

SHARES = {"arxiv": 0.15, "hf_repo": 0.12, "hf_paper": 0.04, "doi": 0.12, "github": 0.07}
"""Share of new URLs of each kind; the rest are web pages on 127.0.0.x."""
ALT_FORM = {"hf_repo": 0.25, "doi": 0.35, "github": 0.15}
"""Share of a kind's new URLs that name a target already cited, another way (a deeper path,
another host, another case, a publisher page instead of doi.org): one request all the same."""
PAPER_OVERLAP = 0.30
"""Share of huggingface.co/papers/<id> links citing a paper the digests also cite on arXiv."""
PACE_WINDOW_S = 0.98
"""Crossref's pace is judged on windows of 1 s less 20 ms of slack: six requests spaced exactly
1/5 s apart span 1.0 s, and timer jitter alone would put a sixth in a full second."""
SERVICES = ("web", "arxiv", "github", "hub-repos", "hub-papers", "crossref", "datacite",
            "wayback")  # fmt: skip
"""What the fakes count (the Hub's two kinds of path apart)."""
REPORTED = ("web", "web-probe", "arxiv", "github", "huggingface", "paper-links", "crossref",
            "datacite", "wayback")  # fmt: skip
"""enricher's request counters (its JSON report's ``requests``)."""
MATCH = {"web": ("web", "web-probe"), "arxiv": ("arxiv",), "github": ("github",),
         "hub-repos+hub-papers": ("huggingface", "paper-links"), "crossref": ("crossref",),
         "datacite": ("datacite",), "wayback": ("wayback",)}  # fmt: skip
"""Fake counters (``+``: summed) -> the enricher counters that must add up to them."""
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

T = TypeVar("T")


# --- the corpus -------------------------------------------------------------------------------


@dataclass
class Link:
    """One unique URL and what a correct checker says about it."""

    url: str
    kind: str
    """web, arxiv, github, huggingface, doi (enricher's kinds)."""
    case: str
    expected: str
    key: str
    """The target it names (``doi:10.1126/science.x``, ``hub:model:owner/name``...): URLs
    with one key cost one request."""
    hops: int = 1
    """Web: requests a minimal client sends (a 301 is two)."""
    snapshot: bool = False
    """The fake Wayback Machine has a copy (asked only when the link is broken)."""
    occurrences: int = 0


@dataclass
class World:
    """What the fakes know."""

    arxiv_known: set[str] = field(default_factory=set)
    github_known: set[str] = field(default_factory=set)
    github_renamed: dict[str, str] = field(default_factory=dict)
    hub_repos: dict[str, str] = field(default_factory=dict)
    """``type:owner/name`` lower-cased -> the id as the Hub spells it."""
    hub_renamed: dict[str, str] = field(default_factory=dict)
    """``type:old`` lower-cased -> new ``owner/name`` (known too)."""
    hub_gated_refused: set[str] = field(default_factory=set)
    """403 + ``X-Error-Code: GatedRepo``."""
    hub_gated_auto: set[str] = field(default_factory=set)
    """200 with ``"gated": "auto"``."""
    hub_disabled: set[str] = field(default_factory=set)
    hub_papers: dict[str, bool] = field(default_factory=dict)
    """arXiv id -> the Hub has a page for it."""
    crossref: set[str] = field(default_factory=set)
    """Lower-cased DOIs Crossref knows."""
    datacite: dict[str, str] = field(default_factory=dict)
    """Lower-cased DOI -> fixture kind (``zenodo``, ``arxiv``) DataCite knows."""
    snapshots: set[str] = field(default_factory=set)
    web_latency_s: dict[int, float] = field(default_factory=dict)


DOI_PUBLISHERS: dict[str, float] = {"nature": 0.18, "science": 0.14, "acm": 0.16,
                                    "springer": 0.12, "wiley": 0.10, "elsevier": 0.12,
                                    "zenodo": 0.10, "arxivdoi": 0.08}  # fmt: skip
"""Where the corpus's DOIs come from; zenodo and arxivdoi are DataCite's."""


class Generator:
    def __init__(self, links: int, digests: int, hosts: int, port: int, seed: int,
                 dup_rate: float) -> None:  # fmt: skip
        self.rng = random.Random(seed)
        self.n_links, self.n_digests, self.port, self.dup_rate = links, digests, port, dup_rate
        self.hosts = [FIRST_HOST + i for i in range(hosts)]
        self.world = World(web_latency_s={h: round(self.rng.uniform(0.02, 0.08), 4)
                                          for h in self.hosts})  # fmt: skip
        self.links: dict[str, Link] = {}
        self.targets: dict[str, list[str]] = {}
        """kind -> keys of the targets cited so far (for alternate forms)."""
        self.forms: dict[str, list[str]] = {}
        """key -> the URLs (forms) still unused for it."""
        self.arxiv_ids: list[str] = []
        self.paper_page_ids: set[str] = set()
        self.forms_owner: dict[str, str] = {}
        """key -> the first URL cited for it (whose case the other forms share)."""
        self.serial = 0

    def ident(self) -> str:
        self.serial += 1
        return f"{self.serial:05d}{self.rng.randrange(16**3):03x}"

    def word(self) -> str:
        return self.rng.choice(gen_digests.WORDS)

    # -- one new URL per kind --

    def add(self, link: Link, kind_pool: str, forms: list[str]) -> Link | None:
        """Record a new target and its other forms; None if the URL exists already."""
        if link.url in self.links:
            return None
        self.targets.setdefault(kind_pool, []).append(link.key)
        self.forms[link.key] = [f for f in forms if f != link.url]
        return link

    def alternate(self, kind_pool: str, make: Callable[[str, str], Link]) -> Link | None:
        """A new URL for a target already cited (another form), if one is left."""
        keys = [k for k in self.targets.get(kind_pool, []) if self.forms.get(k)]
        if not keys:
            return None
        key = self.rng.choice(keys)
        url = self.forms[key].pop(self.rng.randrange(len(self.forms[key])))
        return make(key, url) if url not in self.links else None

    def web(self) -> Link:
        host = self.rng.choice(self.hosts)
        ident = self.ident()
        roll = self.rng.random()
        base = f"http://127.0.0.{host}:{self.port}"
        if roll < 0.012:
            case, url, expected, hops = "web_404", f"{base}/404/{ident}", "broken", 1
        elif roll < 0.018:
            case, url, expected, hops = "web_410", f"{base}/410/{ident}", "broken", 1
        elif roll < 0.068:
            other = self.rng.choice(self.hosts)
            case, url, expected, hops = ("web_301", f"{base}/moved/{other}/{ident}",
                                         "redirected", 2)  # fmt: skip
        else:
            case, url, expected, hops = "web_ok", f"{base}/ok/{ident}", "ok", 1
        return Link(url, "web", case, expected, f"web:{url}", hops)

    def new_arxiv_id(self) -> str:
        while True:
            ident = f"{self.rng.randrange(22, 26)}{self.rng.randrange(1, 13):02d}." \
                    f"{self.rng.randrange(10000, 30000):05d}"  # fmt: skip
            if ident not in self.world.hub_papers and ident not in self.world.arxiv_known:
                return ident

    def arxiv(self) -> Link:
        ident = self.new_arxiv_id()
        missing = self.rng.random() < 0.04
        if not missing:
            self.world.arxiv_known.add(ident)
        # The Hub has a page for most papers arXiv has (paper-links answers 200), not all (404).
        self.world.hub_papers[ident] = not missing and self.rng.random() < 0.7
        self.arxiv_ids.append(ident)
        form = self.rng.choice(("abs", "abs", "abs", "pdf"))
        version = f"v{self.rng.randint(1, ARXIV_LATEST_VERSION)}" if self.rng.random() < 0.2 \
            else ""  # fmt: skip
        case = "arxiv_missing" if missing else "arxiv_ok"
        return Link(f"https://arxiv.org/{form}/{ident}{version}", "arxiv", case,
                    "broken" if missing else "ok", f"arxiv:{ident}")  # fmt: skip

    def hf_forms(self, hub_type: str, repo_id: str) -> list[str]:
        prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[hub_type]
        page = f"https://huggingface.co/{prefix}{repo_id}"
        owner, name = repo_id.split("/")
        forms = [page, f"https://hf.co/{prefix}{repo_id}",
                 f"https://huggingface.co/{prefix}{owner.upper()}/{name}",
                 f"{page}/discussions/{self.rng.randrange(1, 40)}"]  # fmt: skip
        if hub_type == "space":
            forms.append(f"{page}/blob/main/app.py")
        else:
            forms += [f"{page}/tree/main", f"{page}/blob/main/README.md",
                      f"{page}/resolve/main/config.json"]  # fmt: skip
        return forms

    def hf_repo(self) -> Link | None:
        def again(key: str, url: str) -> Link:
            first = self.links[self.forms_owner[key]]
            return Link(url, "huggingface", first.case, first.expected, key)

        if self.rng.random() < ALT_FORM["hf_repo"]:
            link = self.alternate("hf_repo", again)
            if link is not None:
                return link
        hub_type = self.rng.choices(("model", "dataset", "space"), (0.6, 0.25, 0.15))[0]
        owner = f"{self.word()}-{self.rng.choice(('ai', 'lab', 'research', 'org'))}" \
                f"{self.rng.randrange(60)}"  # fmt: skip
        repo_id = f"{owner}/{self.word().capitalize()}-{self.word()}-{self.ident()[:6]}"
        key = f"hub:{hub_type}:{repo_id.lower()}"
        world_key = f"{hub_type}:{repo_id.lower()}"
        roll = self.rng.random()
        w = self.world
        if roll < 0.03:
            case, expected = "hf_missing", "broken"
        elif roll < 0.04:
            case, expected = "hf_disabled", "broken"
            w.hub_repos[world_key] = repo_id
            w.hub_disabled.add(world_key)
        elif roll < 0.08:
            case, expected = "hf_gated_403", "ok"
            w.hub_repos[world_key] = repo_id
            w.hub_gated_refused.add(world_key)
        elif roll < 0.12:
            case, expected = "hf_gated_auto", "ok"
            w.hub_repos[world_key] = repo_id
            w.hub_gated_auto.add(world_key)
        elif roll < 0.15:
            case, expected = "hf_renamed", "redirected"
            new = f"{owner}-org/{repo_id.split('/')[1]}"
            w.hub_repos[f"{hub_type}:{new.lower()}"] = new
            w.hub_renamed[world_key] = new
        else:
            case, expected = "hf_ok", "ok"
            w.hub_repos[world_key] = repo_id
        forms = self.hf_forms(hub_type, repo_id)
        link = Link(forms[0], "huggingface", f"{case}_{hub_type}", expected, key)
        self.forms_owner[key] = link.url
        return self.add(link, "hf_repo", forms)

    def hf_paper(self) -> Link | None:
        overlap = [i for i in self.arxiv_ids if i not in self.paper_page_ids]
        if overlap and self.rng.random() < PAPER_OVERLAP:
            ident = self.rng.choice(overlap)
        else:
            ident = self.new_arxiv_id()
            self.world.hub_papers[ident] = self.rng.random() < 0.9
        self.paper_page_ids.add(ident)
        known = self.world.hub_papers[ident]
        case = ("hf_paper_ok" if known else "hf_paper_missing") + \
            ("_also_arxiv" if ident in self.arxiv_ids else "")  # fmt: skip
        url = f"https://huggingface.co/papers/{ident}"
        if url in self.links:
            return None
        return Link(url, "huggingface", case, "ok" if known else "broken", f"hub:paper:{ident}")

    def new_doi(self) -> tuple[str, list[str], str]:
        """(DOI, the URLs naming it, publisher)."""
        publisher = self.rng.choices(list(DOI_PUBLISHERS), list(DOI_PUBLISHERS.values()))[0]
        r = self.rng.randrange
        if publisher == "nature":
            article = f"s{r(41467, 41600)}-0{r(21, 26)}-{r(10000, 99999)}-{r(0, 10)}"
            doi = f"10.1038/{article}"
            forms = [
                f"https://www.nature.com/articles/{article}",
                f"https://www.nature.com/articles/{article}.pdf",
                f"https://doi.org/{doi}",
            ]
        elif publisher == "science":
            doi = f"10.1126/science.a{chr(97 + r(26))}{chr(97 + r(26))}{r(1000, 9999)}"
            forms = [f"https://www.science.org/doi/{doi}",
                     f"https://www.science.org/doi/full/{doi}",
                     f"https://www.science.org/doi/pdf/{doi}", f"https://doi.org/{doi}",
                     f"https://doi.org/{doi.upper()}"]  # fmt: skip
        elif publisher == "acm":
            doi = f"10.1145/{r(3500000, 3700000)}.{r(3500000, 3700000)}"
            forms = [f"https://dl.acm.org/doi/{doi}", f"https://dl.acm.org/doi/abs/{doi}",
                     f"https://dl.acm.org/doi/fullHtml/{doi}", f"https://dl.acm.org/doi/pdf/{doi}",
                     f"https://doi.org/{doi}"]  # fmt: skip
        elif publisher == "springer":
            doi = f"10.1007/s{r(10994, 11263)}-0{r(21, 26)}-0{r(1000, 9999)}-{r(0, 10)}"
            forms = [f"https://link.springer.com/article/{doi}",
                     f"https://link.springer.com/content/pdf/{doi}.pdf",
                     f"https://doi.org/{doi}"]  # fmt: skip
        elif publisher == "wiley":
            doi = f"10.1002/adma.20{r(22, 26)}{r(10000, 99999)}"
            forms = [f"https://onlinelibrary.wiley.com/doi/{doi}",
                     f"https://onlinelibrary.wiley.com/doi/abs/{doi}",
                     f"https://onlinelibrary.wiley.com/doi/epdf/{doi}",
                     f"https://dx.doi.org/{doi}"]  # fmt: skip
        elif publisher == "elsevier":
            # Parentheses and a semicolon-free SICI-like suffix: encoded in the request path.
            doi = f"10.1016/S0024-3205({r(90, 100)}){r(10000, 99999)}-{r(0, 10)}"
            forms = [f"https://doi.org/{doi}", f"https://dx.doi.org/{doi}"]
        elif publisher == "zenodo":
            doi = f"10.5281/zenodo.{r(1000000, 9999999)}"
            forms = [f"https://doi.org/{doi}", f"https://zenodo.org/doi/{doi}"]
        else:  # arXiv's own DOIs, registered with DataCite
            doi = f"10.48550/arXiv.{self.new_arxiv_id()}"
            forms = [f"https://doi.org/{doi}", f"https://doi.org/{doi.lower()}"]
        return doi, forms, publisher

    def doi(self) -> Link | None:
        def again(key: str, url: str) -> Link:
            first = self.links[self.forms_owner[key]]
            return Link(url, "doi", first.case, first.expected, key)

        if self.rng.random() < ALT_FORM["doi"]:
            link = self.alternate("doi", again)
            if link is not None:
                return link
        doi, forms, publisher = self.new_doi()
        lower = doi.lower()
        if lower in self.world.crossref or lower in self.world.datacite:
            return None
        datacite = publisher in ("zenodo", "arxivdoi")
        dead = self.rng.random() < (0.10 if datacite else 0.04)
        if dead:
            case, expected = "doi_neither", "broken"
        elif datacite:
            case, expected = "doi_datacite", "ok"
            self.world.datacite[lower] = "arxiv" if publisher == "arxivdoi" else "zenodo"
        else:
            case, expected = "doi_crossref", "ok"
            self.world.crossref.add(lower)
        key = f"doi:{lower}"
        link = Link(forms[0], "doi", case, expected, key)
        self.forms_owner[key] = link.url
        return self.add(link, "doi", forms)

    def github(self) -> Link | None:
        def again(key: str, url: str) -> Link:
            first = self.links[self.forms_owner[key]]
            return Link(url, "github", first.case, first.expected, key)

        if self.rng.random() < ALT_FORM["github"]:
            link = self.alternate("github", again)
            if link is not None:
                return link
        owner = f"{self.word()}-lab{self.rng.randrange(100)}"
        name = f"{owner}/{self.word()}-{self.word()}-{self.ident()[:6]}"
        roll = self.rng.random()
        if roll < 0.05:
            case, expected = "github_missing", "broken"
        elif roll < 0.10:
            case, expected = "github_renamed", "redirected"
            self.world.github_renamed[name] = f"{owner}-org/{name.split('/')[1]}"
        else:
            case, expected = "github_ok", "ok"
            self.world.github_known.add(name)
        page = f"https://github.com/{name}"
        forms = [page, f"{page}/tree/main", f"{page}/issues", f"{page}.git",
                 f"{page}/blob/main/README.md"]  # fmt: skip
        key = f"github:{name.lower()}"
        link = Link(page, "github", case, expected, key)
        self.forms_owner[key] = link.url
        return self.add(link, "github", forms)

    def new_link(self) -> Link:
        kinds = [*SHARES, "web"]
        weights = [*SHARES.values(), 1 - sum(SHARES.values())]
        while True:
            kind = self.rng.choices(kinds, weights)[0]
            link = getattr(self, kind)()
            if link is not None and link.url not in self.links:
                if link.expected == "broken":
                    link.snapshot = self.rng.random() < 2 / 3
                    if link.snapshot:
                        self.world.snapshots.add(link.url)
                self.links[link.url] = link
                return link

    # -- the digests --

    def label(self) -> str:
        if self.rng.random() < 0.2:
            return f"{self.rng.choice(gen_digests.CJK)}{self.rng.randrange(100)}"
        return " ".join(self.word().capitalize() for _ in range(self.rng.randint(1, 3)))

    def prose(self) -> str:
        out = []
        for _ in range(self.rng.randint(3, 6)):
            w = [self.word() for _ in range(4)]
            out.append(self.rng.choice(gen_digests.PROSE).format(
                a=w[0], b=w[1], c=w[2], d=w[3], x=self.rng.choice(gen_digests.CJK),
                y=self.rng.choice(gen_digests.CJK)))  # fmt: skip
        return " ".join(out)

    def generate(self, out: Path) -> Corpus:
        out.mkdir(parents=True, exist_ok=True)
        per_digest = [self.n_links // self.n_digests + (i < self.n_links % self.n_digests)
                      for i in range(self.n_digests)]  # fmt: skip
        names: list[str] = []
        earlier: list[str] = []
        for d, count in enumerate(per_digest):
            urls: list[str] = []
            for _ in range(count):
                choices = ([u for u in earlier[-500:] if u not in urls]
                           if d and self.rng.random() < self.dup_rate else [])  # fmt: skip
                url = self.rng.choice(choices) if choices else self.new_link().url
                self.links[url].occurrences += 1
                urls.append(url)
            earlier += urls
            name = f"digest_{d:04d}.txt"
            names.append(name)
            lines = [self.prose(), ""] + [f"[{self.label()}] {u}" for u in urls]
            (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return Corpus(names, sum(per_digest), self.links, self.world)


@dataclass
class Corpus:
    digests: list[str]
    entries: int
    links: dict[str, Link]
    world: World

    def keys(self, kind: str, case_prefix: str = "") -> set[str]:
        return {link.key for link in self.links.values()
                if link.kind == kind and link.case.startswith(case_prefix)}  # fmt: skip

    @property
    def arxiv_ids(self) -> set[str]:
        return {k.removeprefix("arxiv:") for k in self.keys("arxiv")}

    @property
    def paper_page_ids(self) -> set[str]:
        return {k.removeprefix("hub:paper:") for k in self.keys("huggingface", "hf_paper")}

    @property
    def hub_repo_keys(self) -> set[str]:
        return {k.removeprefix("hub:") for k in self.keys("huggingface", "hf_")
                if not k.startswith("hub:paper:")}  # fmt: skip

    @property
    def dois(self) -> set[str]:
        return {k.removeprefix("doi:") for k in self.keys("doi")}

    @property
    def broken_urls(self) -> set[str]:
        return {u for u, link in self.links.items() if link.expected == "broken"}

    def arxiv_requests(self) -> int:
        """id_list batches, plus one more ask of a batch whose feed comes back empty."""
        ids = sorted(self.arxiv_ids)
        batches = [ids[i : i + ARXIV_BATCH] for i in range(0, len(ids), ARXIV_BATCH)]
        return len(batches) + sum(1 for b in batches if not set(b) & self.world.arxiv_known)

    def expected(self, paper_links: bool = True, archive: bool = True) -> dict[str, int]:
        """Requests a minimal client sends, at the fakes and in enricher's counters."""
        w = self.world
        repos = self.hub_repo_keys
        renamed_hub = sum(1 for k in repos if k in w.hub_renamed)
        github = self.keys("github")
        renamed_gh = sum(1 for k in github
                         if k.removeprefix("github:") in {n.lower() for n in w.github_renamed})  # fmt: skip
        papers = len(self.paper_page_ids)
        k_arxiv = len(self.arxiv_ids) if paper_links else 0
        dois = self.dois
        web = sum(link.hops for link in self.links.values() if link.kind == "web")
        return {
            "web": web, "arxiv": self.arxiv_requests(), "github": len(github) + renamed_gh,
            "hub-repos": len(repos) + renamed_hub, "hub-papers": papers + k_arxiv,
            "crossref": len(dois), "datacite": len(dois - w.crossref),
            "wayback": len(self.broken_urls) if archive else 0,
            # enricher's counters
            "huggingface": len(repos) + renamed_hub + papers, "paper-links": k_arxiv,
            "web-probe": 0,
        }  # fmt: skip


# --- the fake APIs ----------------------------------------------------------------------------


def fixture_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Service:
    """What one fake saw since the last reset."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    refused_429: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    asked: Counter[str] = field(default_factory=Counter)
    """What was asked (a DOI, a URL, a Hub key, an arXiv id...) -> times."""
    starts: list[float] = field(default_factory=list)
    """Arrival times (monotonic)."""

    def snapshot(self) -> dict[str, Any]:
        return {"requests": self.requests, "max_in_flight": self.max_in_flight,
                "refused_429": self.refused_429,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "asked": dict(self.asked), "max_per_1s": max_per_window(self.starts, PACE_WINDOW_S),
                "min_gap_ms": min_gap_ms(self.starts)}  # fmt: skip


def max_per_window(starts: list[float], window: float) -> int:
    """Most arrivals within any ``window`` seconds."""
    best, first = 0, 0
    ordered = sorted(starts)
    for last, t in enumerate(ordered):
        while t - ordered[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def min_gap_ms(starts: list[float]) -> float | None:
    """The shortest time between two consecutive arrivals, ms (None: fewer than two)."""
    ordered = sorted(starts)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    return round(min(gaps) * 1000, 1) if gaps else None


Answer = tuple[int, dict[str, str], bytes]


class Fakes:
    """Every fake, on one event loop (run in a thread by ``start``)."""

    def __init__(self, world: World, web_port: int, latency: tuple[float, float], seed: int,
                 hub_quota: int, hub_window_s: int) -> None:  # fmt: skip
        self.world = world
        self.web_port = web_port
        self.latency = latency
        self.rng = random.Random(seed ^ 0x5EED)
        self.hub_quota, self.hub_window_s = hub_quota, hub_window_s
        self.hub_used = 0
        self.hub_window_start: float | None = None
        self.hub_max_used = 0
        self.stats = {name: Service() for name in SERVICES}
        self.arxiv = simweb.ArxivWorld(world.arxiv_known, ARXIV_LATEST_VERSION)
        self.github = simweb.GithubWorld(sorted(world.github_known), world.github_renamed)
        self.templates = {t: fixture_json(HF_FIXTURES / f"{t}.json")
                          for t in ("model", "dataset", "space", "paper")}  # fmt: skip
        self.repo_not_found = (HF_FIXTURES / "repo_not_found.json").read_bytes()
        self.paper_not_found = (HF_FIXTURES / "paper_not_found.json").read_bytes()
        self.crossref_work = fixture_json(DOI_FIXTURES / "crossref_work.json")
        self.crossref_404 = (DOI_FIXTURES / "crossref_work_404.txt").read_bytes()
        meta = fixture_json(DOI_FIXTURES / "responses_meta.json")["crossref_work.json"]["headers"]
        wanted = {"x-api-pool", "x-concurrency-limit", "x-rate-limit-interval",
                  "x-rate-limit-limit"}  # fmt: skip
        self.crossref_headers = {k: v for k, v in meta if k in wanted}
        self.datacite_docs = {kind: fixture_json(DOI_FIXTURES / f"datacite_doi_{kind}.json")
                              for kind in ("zenodo", "arxiv")}  # fmt: skip
        self.datacite_404 = (DOI_FIXTURES / "datacite_404.json").read_bytes()
        self.ports: dict[str, int] = {"web": web_port}
        self.servers: list[asyncio.Server] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None

    # -- life cycle (called from the main thread) --

    def start(self) -> None:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:  # reported to the main thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self.thread = threading.Thread(target=run, name="fakes", daemon=True)
        self.thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self.thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    async def _start(self) -> None:
        for host in self.world.web_latency_s:
            self.servers.append(await asyncio.start_server(
                lambda r, w, h=host: self.serve(r, w, "web", self.web_handler(h)),
                f"127.0.0.{host}", self.web_port, limit=simweb.MAX_HEADER_BYTES,
                backlog=512))  # fmt: skip
        for name, handler in (("arxiv", self.arxiv_answer), ("github", self.github_answer),
                              ("hub", self.hub_answer), ("crossref", self.crossref_answer),
                              ("datacite", self.datacite_answer),
                              ("wayback", self.wayback_answer)):  # fmt: skip
            server = await asyncio.start_server(
                lambda r, w, n=name, h=handler: self.serve(r, w, n, h), "127.0.0.1", 0,
                limit=simweb.MAX_HEADER_BYTES, backlog=512)  # fmt: skip
            self.ports[name] = server.sockets[0].getsockname()[1]
            self.servers.append(server)

    async def _close(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2.0)

    async def snapshot_and_reset(self) -> dict[str, Any]:
        """The counters since the last reset; then zero them (the Hub's window too)."""
        snap = {name: s.snapshot() for name, s in self.stats.items()}
        snap["hub_quota_used_max"] = self.hub_max_used
        for name, s in self.stats.items():
            in_flight = s.in_flight
            self.stats[name] = Service(in_flight=in_flight)
        self.hub_used, self.hub_window_start, self.hub_max_used = 0, None, 0
        return snap

    async def in_flight(self) -> int:
        return sum(s.in_flight for s in self.stats.values())

    def quiesce(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.call(self.in_flight()) > 0:
            time.sleep(0.05)

    # -- HTTP --

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    name: str, handler: Callable[[simweb.Request], Any]) -> None:  # fmt: skip
        try:
            while True:
                request = await simweb.read_request(reader)
                if request is None:
                    break
                status, headers, body = await handler(request)
                keep_alive = request.headers.get("connection", "").lower() != "close"
                payload = simweb.response_head(status, headers, len(body), keep_alive)
                writer.write(payload + (b"" if request.method == "HEAD" else body))
                await writer.drain()
                if not keep_alive:
                    break
        except (ConnectionError, asyncio.CancelledError, TimeoutError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def answered(self, service: str, key: str, work: Callable[[], Answer],
                       latency: float | None = None, limit_in_flight: int = 0) -> Answer:  # fmt: skip
        """Count, wait the latency, answer. ``limit_in_flight``: a request arriving while that
        many are in flight gets an immediate 429 (Crossref's ``x-concurrency-limit``)."""
        stats = self.stats[service]
        stats.requests += 1
        stats.asked[key] += 1
        stats.starts.append(time.monotonic())
        if limit_in_flight and stats.in_flight >= limit_in_flight:
            stats.refused_429 += 1
            stats.statuses[429] += 1
            return 429, {"Retry-After": "1", **self.crossref_headers}, b"Too many requests\n"
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            await asyncio.sleep(self.rng.uniform(*self.latency) if latency is None else latency)
            status, headers, body = work()
        finally:
            stats.in_flight -= 1
        stats.statuses[status] += 1
        return status, headers, body

    def web_handler(self, host: int) -> Callable[[simweb.Request], Any]:
        latency = self.world.web_latency_s[host]
        html = {"Content-Type": "text/html; charset=utf-8"}

        def work(request: simweb.Request) -> Answer:
            parts = request.path.strip("/").split("/")
            if parts[0] == "ok" and len(parts) == 2:
                title = f"Notes on {parts[1]}: results and code"
                body = (f"<!doctype html><html><head><title>{title}</title></head><body>"
                        f"<h1>{title}</h1><p>An article about models, data and evaluation."
                        f"</p></body></html>\n").encode()  # fmt: skip
                return 200, html, body
            if parts[0] == "moved" and len(parts) == 3:
                location = f"http://127.0.0.{parts[1]}:{self.web_port}/ok/{parts[2]}"
                return 301, {**html, "Location": location}, b"moved\n"
            if parts[0] in ("404", "410"):
                return int(parts[0]), html, b"<h1>gone</h1>\n"
            return 404, html, b"<h1>no such path</h1>\n"

        async def handle(request: simweb.Request) -> Answer:
            url = f"http://127.0.0.{host}:{self.web_port}{request.path}"
            return await self.answered("web", url, lambda: work(request), latency)

        return handle

    async def arxiv_answer(self, request: simweb.Request) -> Answer:
        ids = [i for i in parse_qs(request.query).get("id_list", [""])[0].split(",") if i]

        def work() -> Answer:
            if request.path != "/api/query":
                return 404, {}, b"not here\n"
            for ident in ids:
                self.stats["arxiv"].asked["id:" + re.sub(r"v\d+$", "", ident)] += 1
            status, headers, body, _ = self.arxiv.answer(request.query)
            return status, headers, body

        return await self.answered("arxiv", f"batch of {len(ids)}", work)

    async def github_answer(self, request: simweb.Request) -> Answer:
        base = f"http://127.0.0.1:{self.ports['github']}"

        def work() -> Answer:
            status, headers, body, _ = self.github.answer(request.path, request.headers, base)
            return status, headers, body

        return await self.answered("github", request.path.lower(), work)

    def hub_rate(self) -> dict[str, str]:
        now = time.monotonic()
        start = self.hub_window_start or now
        left = max(1, math.ceil(start + self.hub_window_s - now))
        return {"RateLimit": f'"api";r={max(self.hub_quota - self.hub_used, 0)};t={left}',
                "RateLimit-Policy": f'"fixed window";"api";q={self.hub_quota};'
                                    f'w={self.hub_window_s}'}  # fmt: skip

    async def hub_answer(self, request: simweb.Request) -> Answer:
        path = unquote(request.path)
        paper = re.fullmatch(r"/api/papers/(.+)", path)
        repo = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)", path)
        service = "hub-papers" if paper else "hub-repos"
        if paper:
            key = f"paper:{paper[1]}"
        elif repo:
            key = f"{repo[1].removesuffix('s')}:{repo[2].lower()}"
        else:
            key = f"other:{path}"
        json_type = "application/json; charset=utf-8"

        def work() -> Answer:
            now = time.monotonic()
            if self.hub_window_start is None or now >= self.hub_window_start + self.hub_window_s:
                self.hub_window_start, self.hub_used = now, 0
            if self.hub_used >= self.hub_quota:
                return 429, {**self.hub_rate(), "Content-Type": json_type}, \
                    b'{"error":"You have exceeded our rate limit"}'  # fmt: skip
            self.hub_used += 1
            self.hub_max_used = max(self.hub_max_used, self.hub_used)
            rate = self.hub_rate()
            if paper:
                if not self.world.hub_papers.get(paper[1]):
                    return 404, {**rate, "Content-Type": json_type}, self.paper_not_found
                data = dict(self.templates["paper"], id=paper[1],
                            title=f"Paper {paper[1]}: a study of models")  # fmt: skip
                return 200, {**rate, "Content-Type": json_type}, json.dumps(data).encode()
            if not repo:
                return 404, {**rate, "Content-Type": json_type}, b'{"error":"not here"}'
            w = self.world
            if key in w.hub_renamed:
                location = f"/api/{repo[1]}/{w.hub_renamed[key]}"
                return 307, {**rate, "Location": location}, b""
            if key in w.hub_gated_refused:
                return 403, {**rate, "X-Error-Code": "GatedRepo", "Content-Type": json_type}, \
                    b'{"error":"Access to this repository is restricted."}'  # fmt: skip
            if key in w.hub_disabled:
                message = "Access to this resource is disabled."
                return 403, {**rate, "X-Error-Message": message, "Content-Type": json_type}, \
                    json.dumps({"error": message}).encode()  # fmt: skip
            if key not in w.hub_repos:
                return 401, {**rate, "X-Error-Code": "RepoNotFound",
                             "X-Error-Message": "Repository not found",
                             "Content-Type": json_type}, self.repo_not_found  # fmt: skip
            hub_type = key.split(":", 1)[0]
            repo_id = w.hub_repos[key]
            data = dict(self.templates[hub_type], id=repo_id, author=repo_id.split("/")[0])
            if hub_type == "model":
                data["modelId"] = repo_id
            if key in w.hub_gated_auto:
                data["gated"] = "auto"
            return 200, {**rate, "Content-Type": json_type}, json.dumps(data).encode()

        return await self.answered(service, key, work)

    async def crossref_answer(self, request: simweb.Request) -> Answer:
        doi = unquote(request.path.removeprefix("/works/"))

        def work() -> Answer:
            if doi.lower() not in self.world.crossref:
                return 404, {**self.crossref_headers, "Content-Type": "text/plain"}, \
                    self.crossref_404  # fmt: skip
            data = copy.deepcopy(self.crossref_work)
            data["message"].update(DOI=doi, title=[f"A study registered as {doi}"])
            return 200, {**self.crossref_headers, "Content-Type": "application/json"}, \
                json.dumps(data).encode()  # fmt: skip

        limit = int(self.crossref_headers.get("x-concurrency-limit", "1"))
        return await self.answered("crossref", doi.lower(), work, limit_in_flight=limit)

    async def datacite_answer(self, request: simweb.Request) -> Answer:
        doi = unquote(request.path.removeprefix("/dois/"))
        json_api = {"Content-Type": "application/vnd.api+json"}

        def work() -> Answer:
            kind = self.world.datacite.get(doi.lower())
            if kind is None:
                return 404, json_api, self.datacite_404
            data = copy.deepcopy(self.datacite_docs[kind])
            data["data"]["id"] = data["data"]["attributes"]["doi"] = doi.lower()
            return 200, json_api, json.dumps(data).encode()

        return await self.answered("datacite", doi.lower(), work)

    async def wayback_answer(self, request: simweb.Request) -> Answer:
        match = re.fullmatch(r"/web/(\d{14})/(.+)", request.target, re.DOTALL)
        url = match[2] if match else request.target

        def work() -> Answer:
            if match is None:
                return 400, {}, b"bad request\n"
            if url in self.world.snapshots or unquote(url) in self.world.snapshots:
                location = f"http://127.0.0.1:{self.ports['wayback']}/web/{SNAPSHOT_STAMP}/{url}"
                return 302, {"Location": location, "Content-Type": "text/html"}, b""
            return (
                404,
                {"Content-Type": "text/html"},
                b"<p>Wayback Machine has not archived that URL.</p>\n",
            )

        return await self.answered("wayback", unquote(url), work)


# --- the network guard ------------------------------------------------------------------------

GUARD = '''"""Benchmark network guard (benchmarks/authorities.py): refuse and log every name lookup
of a host other than localhost and every connection outside 127.0.0.0/8 and ::1."""
import errno, ipaddress, os, socket

_LOG = os.environ.get("BENCH_NET_GUARD_LOG")


def _local(host):
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _note(line):
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(line + "\\n")


if _LOG:
    _getaddrinfo = socket.getaddrinfo
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _local(host):
            _note(f"getaddrinfo {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, "refused by the benchmark's network guard")
        return _getaddrinfo(host, *args, **kwargs)

    def _check(address):
        if isinstance(address, tuple) and address and not _local(address[0]):
            _note(f"connect {address!r}")
            raise OSError(errno.ENETUNREACH, "refused by the benchmark's network guard")

    def connect(self, address):
        _check(address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return _connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
'''


def install_guard(work: Path) -> Path:
    folder = work / "netguard"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    return folder


def guard_self_test(env: dict[str, str], work: Path) -> bool:
    """The guard refuses and logs a connection to TEST-NET-1 (192.0.2.1) and a name lookup."""
    log = work / "netguard-selftest.log"
    code = ("import socket\nfor f in (lambda: socket.socket().connect(('192.0.2.1', 80)),"
            " lambda: socket.getaddrinfo('example.org', 443)):\n"
            "    try: f()\n    except OSError: pass\n")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], env={**env, "BENCH_NET_GUARD_LOG": str(log)},
                   timeout=30, check=False)  # fmt: skip
    lines = log.read_text("utf-8").splitlines() if log.exists() else []
    return len(lines) == 2


# --- runs -------------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    """cold, warm, ab."""
    round: int
    measured: compare.Measured
    fakes: dict[str, Any]
    reported: dict[str, int]
    report: dict[str, Any]
    verdicts: dict[str, str]
    conflicts: int
    guard: list[str]

    def fake(self, name: str) -> int:
        return sum(int(self.fakes[n]["requests"]) for n in name.split("+"))

    def enricher(self, *names: str) -> int:
        return sum(int(self.reported.get(n, 0)) for n in names)


def child_env(guard: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in PROXY_VARS and not k.startswith("ENRICHER_")}  # fmt: skip
    for token in ("GITHUB_TOKEN", "HF_TOKEN"):
        env.pop(token, None)  # the fakes need none; nothing else may be told one
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    if guard is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(guard), env.get("PYTHONPATH")) if p)
    return env


def read_report(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        report = json.loads(path.read_text("utf-8"))
        return report, {k: int(v) for k, v in report["requests"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {"error": f"unreadable report: {exc}"}, {}


def fmt_pair(fake: list[int], mine: list[int]) -> str:
    """``fake / enricher`` per run, one value when the runs agree."""

    def one(values: list[int]) -> str:
        return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))

    return f"{one(fake)} / {one(mine)}"


# --- checks -----------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    failures: list[str] = field(default_factory=list)
    ran: int = 0

    def expect(self, ok: bool, where: str, detail: str) -> None:
        self.ran += 1
        if not ok:
            self.failures.append(f"{where}: {detail}")

    @property
    def passed(self) -> bool:
        return self.ran > 0 and not self.failures


def repeats(asked: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in asked.items() if v > 1}


def short(items: Any, n: int = 4) -> str:
    items = list(items)
    text = ", ".join(map(str, items[:n]))
    return f"{text}{f' (+{len(items) - n} more)' if len(items) > n else ''}"


def check_cold(checks: dict[str, Check], corpus: Corpus, run: Run, paper_links: bool = True,
               archive: bool = True) -> None:  # fmt: skip
    """The checks of one cold run (the A/B's: without paper-links and/or the archive)."""
    ab = not (paper_links and archive)
    where = f"round {run.round} {'A/B' if ab else 'cold'}"
    exp = corpus.expected(paper_links=paper_links, archive=archive)
    w = corpus.world
    f = run.fakes

    def check(name: str) -> Check:
        return checks.setdefault(name, Check(name))

    # arXiv: ceil(K/100) id_list requests, each id once.
    ids = {k.removeprefix("id:"): v for k, v in f["arxiv"]["asked"].items() if k.startswith("id:")}
    c = check("arXiv: ceil(K/100) id_list requests, each paper asked once")
    c.expect(run.fake("arxiv") == exp["arxiv"] and set(ids) == corpus.arxiv_ids
             and not repeats(ids), where,
             f"{run.fake('arxiv')} requests (expected {exp['arxiv']}), {len(ids)} ids "
             f"(expected {len(corpus.arxiv_ids)}), asked twice: {short(repeats(ids))}")  # fmt: skip

    # paper-links and paper pages: /api/papers/<id> once per arXiv paper, once per page link.
    papers = {k.removeprefix("paper:"): v for k, v in f["hub-papers"]["asked"].items()}
    want = Counter({i: 1 for i in corpus.paper_page_ids})
    if paper_links:
        want.update({i: 1 for i in corpus.arxiv_ids})
    wrong = {i: (papers.get(i, 0), want.get(i, 0)) for i in set(papers) | set(want)
             if papers.get(i, 0) != want.get(i, 0)}  # fmt: skip
    c = check("paper-links: one Hub request per unique arXiv paper (and per paper-page link)")
    c.expect(run.enricher("paper-links") == exp["paper-links"] and not wrong, where,
             f"paper-links counted {run.enricher('paper-links')} (expected "
             f"{exp['paper-links']}); /api/papers ids asked (got, expected) off: "
             f"{short(wrong.items())}")  # fmt: skip

    # Hub repositories: one request per repository (+ the 307's hop of a renamed one).
    repos = f["hub-repos"]["asked"]
    renamed_new = {f"{k.split(':')[0]}:{v.lower()}" for k, v in w.hub_renamed.items()}
    want_repos = Counter({k: 1 for k in corpus.hub_repo_keys})
    want_repos.update({f"{k.split(':')[0]}:{w.hub_renamed[k].lower()}": 1
                       for k in corpus.hub_repo_keys if k in w.hub_renamed})  # fmt: skip
    wrong = {k: (repos.get(k, 0), want_repos.get(k, 0)) for k in set(repos) | set(want_repos)
             if repos.get(k, 0) != want_repos.get(k, 0)}  # fmt: skip
    c = check("Hugging Face: one request per unique repository (+1 redirect hop per rename)")
    c.expect(not wrong and run.enricher("huggingface") == exp["huggingface"], where,
             f"huggingface counted {run.enricher('huggingface')} (expected "
             f"{exp['huggingface']}); repositories asked (got, expected) off: "
             f"{short(wrong.items())}; renamed targets {len(renamed_new)}")  # fmt: skip

    # Crossref: every DOI once, whatever the form or the case.
    asked = f["crossref"]["asked"]
    c = check("Crossref: one request per unique DOI (case-insensitive, any URL form)")
    c.expect(set(asked) == corpus.dois and not repeats(asked), where,
             f"{sum(asked.values())} requests for {len(asked)} DOIs (expected "
             f"{len(corpus.dois)}); missing {short(corpus.dois - set(asked))}; not in the corpus "
             f"{short(set(asked) - corpus.dois)}; twice {short(repeats(asked))}")  # fmt: skip

    # DataCite: only the DOIs Crossref does not know, once each.
    asked = f["datacite"]["asked"]
    want_dc = corpus.dois - w.crossref
    c = check("DataCite: only the DOIs Crossref does not know, once each")
    c.expect(set(asked) == want_dc and not repeats(asked), where,
             f"{sum(asked.values())} requests for {len(asked)} DOIs (expected {len(want_dc)}); "
             f"known to Crossref yet asked: {short(set(asked) & w.crossref)}; missing "
             f"{short(want_dc - set(asked))}; twice {short(repeats(asked))}")  # fmt: skip

    # Wayback: one request per broken link (per unique URL enricher judged broken).
    asked = f["wayback"]["asked"]
    broken = {u for u, s in run.verdicts.items() if s == "broken"}
    c = check("Wayback: one request per broken link (none with --no-archive)")
    want_wb = broken if archive else set()
    c.expect(set(asked) == want_wb and not repeats(asked)
             and broken == corpus.broken_urls, where,
             f"{sum(asked.values())} requests for {len(asked)} URLs; enricher judged "
             f"{len(broken)} URLs broken (truth {len(corpus.broken_urls)}); broken but not "
             f"asked: {short(want_wb - set(asked))}; asked but not broken: "
             f"{short(set(asked) - want_wb)}; twice {short(repeats(asked))}")  # fmt: skip

    # The archive objects: a broken link whose URL the fake has a snapshot of shows it.
    if archive:
        archived = {link["url"] for link in run.report.get("links", []) if link.get("archive")}
        want_arch = {u for u in corpus.broken_urls if corpus.links[u].snapshot}
        c = check("Wayback: every broken link with a snapshot gets its archive, no other")
        c.expect(archived == want_arch, where,
                 f"{len(archived)} links with an archive (expected {len(want_arch)}); missing "
                 f"{short(want_arch - archived)}; unexpected {short(archived - want_arch)}")  # fmt: skip

    # GitHub and web: one request per repository (+ a rename's hop) and per page (+ a 301's).
    c = check("GitHub: one request per repository (+1 per rename); web: one per page and hop")
    c.expect(run.fake("github") == exp["github"] and run.fake("web") == exp["web"]
             and not repeats(f["github"]["asked"]) and not repeats(f["web"]["asked"]), where,
             f"github {run.fake('github')} (expected {exp['github']}), web {run.fake('web')} "
             f"(expected {exp['web']}); web URLs asked twice "
             f"{short(repeats(f['web']['asked']))}")  # fmt: skip

    # enricher's own counts against the fakes'.
    off = {name: (run.fake(name), run.enricher(*mine)) for name, mine in MATCH.items()
           if run.fake(name) != run.enricher(*mine)}  # fmt: skip
    unknown = set(run.reported) - set(REPORTED)
    c = check("enricher's request counts equal the fakes' (per service)")
    c.expect(
        not off and not unknown and bool(run.reported),
        where,
        f"(fake, enricher) off: {off}; services not expected: {sorted(unknown)}",
    )

    # Verdicts against the truth.
    wrong_v = {u: (run.verdicts.get(u), link.expected) for u, link in corpus.links.items()
               if run.verdicts.get(u) != link.expected}  # fmt: skip
    c = check("verdicts: every unique URL as the generated truth says (one per URL)")
    c.expect(
        not wrong_v and run.conflicts == 0,
        where,
        f"{len(wrong_v)} of {len(corpus.links)} off (got, expected): "
        f"{short(f'{u} {v}' for u, v in wrong_v.items())}; conflicts {run.conflicts}",
    )

    # Pace and quotas.
    cr = f["crossref"]
    c = check("Crossref: at most 1 request in flight (x-concurrency-limit 1), no 429 provoked")
    c.expect(
        cr["max_in_flight"] <= 1 and cr["refused_429"] == 0,
        where,
        f"max in flight {cr['max_in_flight']}, 429s {cr['refused_429']}",
    )
    hub429 = f["hub-repos"]["statuses"].get("429", 0) + f["hub-papers"]["statuses"].get("429", 0)
    c = check("Hub: within its RateLimit quota (no 429)")
    c.expect(hub429 == 0, where, f"{hub429} 429s; quota used {f['hub_quota_used_max']}")


def check_every(checks: dict[str, Check], run: Run, guard: bool) -> None:
    where = f"round {run.round} {run.label}"
    c = checks.setdefault("finished", Check("every run finished and wrote its JSON report"))
    c.expect(not run.measured.timed_out and "error" not in run.report, where,
             f"exit {run.measured.returncode}, timed out {run.measured.timed_out}, "
             f"report {run.report.get('error', 'read')}")  # fmt: skip
    if guard:
        c = checks.setdefault(
            "guard",
            Check("nothing left 127.0.0.0/8 (network guard: no lookup or connection refused)"),
        )
        c.expect(not run.guard, where, f"{len(run.guard)} refused: {short(run.guard)}")


def check_warm(checks: dict[str, Check], run: Run) -> None:
    c = checks.setdefault(
        "warm", Check("warm run: 0 requests at the fakes and in enricher's counts")
    )
    at_fakes = sum(run.fake(n) for n in SERVICES)
    mine = sum(run.reported.values())
    c.expect(
        at_fakes == 0 and mine == 0 and "error" not in run.report,
        f"round {run.round} warm",
        f"{at_fakes} at the fakes ({ {n: run.fake(n) for n in SERVICES if run.fake(n)} }), "
        f"{mine} counted ({ {k: v for k, v in run.reported.items() if v} })",
    )


def check_ab(checks: dict[str, Check], cold: Run, ab: Run, paper_links: bool,
             archive: bool) -> None:  # fmt: skip
    same = ("web", "arxiv", "github", "hub-repos", "crossref", "datacite")
    off = {n: (cold.fake(n), ab.fake(n)) for n in same if cold.fake(n) != ab.fake(n)}
    c = checks.setdefault(
        "ab",
        Check(
            "A/B: no paper-links or Wayback request (as switched off), every other service as in "
            "the cold run"
        ),
    )
    c.expect(not off and (paper_links or ab.enricher("paper-links") == 0)
             and (archive or ab.fake("wayback") == 0),
             f"round {ab.round}", f"(cold, A/B) off: {off}; paper-links "
             f"{ab.enricher('paper-links')}, wayback {ab.fake('wayback')}")  # fmt: skip


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=2000, help="link entries in all (2000)")
    parser.add_argument("--digests", type=int, default=20, help="digest files (20)")
    parser.add_argument("--hosts", type=int, default=10, help="web hosts, 127.0.0.2.. (10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dup-rate",
        type=float,
        default=0.10,
        help="share of entries repeating an earlier digest's URL (0.10)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="cold, warm, A/B each round (3)")
    parser.add_argument(
        "--latency",
        type=float,
        nargs=2,
        default=(0.02, 0.08),
        metavar=("MIN", "MAX"),
        help="API latency range, s (0.02 0.08)",
    )
    parser.add_argument(
        "--hub-quota",
        type=int,
        default=1000,
        help="the fake Hub's RateLimit quota per window (1000: a free account's; anonymous is 500)",
    )
    parser.add_argument("--hub-window", type=int, default=300, help="its window, s (300)")
    parser.add_argument(
        "--arxiv-delay",
        type=float,
        default=0.0,
        help="enricher --arxiv-delay (0: the fake needs no pause)",
    )
    parser.add_argument(
        "--run-timeout",
        type=float,
        default=900.0,
        help="kill an enricher run after this many seconds (900)",
    )
    parser.add_argument("--no-ab", action="store_true", help="skip the A/B runs")
    parser.add_argument(
        "--ab-arg",
        action="append",
        choices=("--no-paper-links", "--no-archive"),
        help="what the A/B run switches off (repeatable; default both)",
    )
    parser.add_argument(
        "--no-guard",
        action="store_true",
        help="run enricher without the network guard (sitecustomize)",
    )
    parser.add_argument(
        "--enricher-arg",
        action="append",
        default=[],
        help="extra argument for every enricher run (repeatable)",
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temp work folder")
    parser.add_argument("--json", type=Path, help="also write all numbers to this JSON file")
    args = parser.parse_args(argv)
    if args.rounds < 1 or not 1 <= args.hosts <= 250 or not 1 <= args.digests <= args.links:
        parser.error("need --rounds >= 1, --hosts 1..250, --links >= --digests >= 1")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    with compare.work_folder(args.work, args.keep) as work:
        hosts = [FIRST_HOST + i for i in range(args.hosts)]
        fakes: Fakes | None = None
        try:
            for _attempt in range(3):  # the probed port may be taken before the fakes bind it
                port = compare.free_port(hosts)
                digest_dir = work / "digests"
                shutil.rmtree(digest_dir, ignore_errors=True)
                corpus = Generator(args.links, args.digests, args.hosts, port, args.seed,
                                   args.dup_rate).generate(digest_dir)  # fmt: skip
                fakes = Fakes(corpus.world, port, tuple(args.latency), args.seed, args.hub_quota,
                              args.hub_window)  # fmt: skip
                try:
                    fakes.start()
                    break
                except OSError as exc:
                    print(f"  fakes could not bind port {port} ({exc}); again", file=sys.stderr)
                    fakes.stop()
                    fakes = None
            if fakes is None:
                print("the fakes did not start", file=sys.stderr)
                return 1
            (work / "truth.json").write_text(json.dumps(
                {"links": {u: asdict(link) for u, link in corpus.links.items()}}, indent=1),
                "utf-8")  # fmt: skip
            return session(args, work, digest_dir, corpus, fakes)
        finally:
            if fakes is not None:
                fakes.stop()


def session(args: argparse.Namespace, work: Path, digest_dir: Path, corpus: Corpus,
            fakes: Fakes) -> int:  # fmt: skip
    guard = None if args.no_guard else install_guard(work)
    env = child_env(guard)
    p = fakes.ports
    urls = {"--arxiv-api-url": f"http://127.0.0.1:{p['arxiv']}/api/query",
            "--github-api-url": f"http://127.0.0.1:{p['github']}",
            "--hf-api-url": f"http://127.0.0.1:{p['hub']}",
            "--crossref-api-url": f"http://127.0.0.1:{p['crossref']}",
            "--datacite-api-url": f"http://127.0.0.1:{p['datacite']}",
            "--wayback-url": f"http://127.0.0.1:{p['wayback']}"}  # fmt: skip

    def cmd(cache: Path, output: Path, extra: tuple[str, ...] = ()) -> list[str]:
        return [sys.executable, "-m", "enricher", str(digest_dir), "--format", "json",
                "--output", str(output), "--cache-dir", str(cache), "--allow-private",
                *[x for kv in urls.items() for x in kv], "--arxiv-delay", f"{args.arxiv_delay:g}",
                *extra, *args.enricher_arg]  # fmt: skip

    ab_extra = tuple(args.ab_arg or ("--no-paper-links", "--no-archive"))
    ab_on = {
        "paper_links": "--no-paper-links" not in ab_extra,
        "archive": "--no-archive" not in ab_extra,
    }
    links = corpus.links
    by_kind = Counter(link.kind for link in links.values())
    cases = Counter(link.case for link in links.values())
    exp = corpus.expected()
    print("What the Hugging Face, DOI, paper-links and Wayback authorities cost a run")
    print(
        f"  machine: nproc {len(os.sched_getaffinity(0))}, {platform.system()} "
        f"{platform.release()}; python {platform.python_version()}; "
        f"{compare.version_of([sys.executable, '-m', 'enricher', '--version'])} "
        f"({compare.git_state()})"
    )
    print(
        f"  corpus: {len(corpus.digests)} digests, {corpus.entries} entries, {len(links)} "
        f"unique URLs ({', '.join(f'{k} {v}' for k, v in by_kind.most_common())}); seed "
        f"{args.seed}; dup rate {args.dup_rate:g}"
    )
    print(
        f"  unique targets: arXiv papers {len(corpus.arxiv_ids)}, Hub repositories "
        f"{len(corpus.hub_repo_keys)} (renamed {sum(k in corpus.world.hub_renamed for k in corpus.hub_repo_keys)}), "
        f"paper pages {len(corpus.paper_page_ids)} (also cited on arXiv "
        f"{len(corpus.paper_page_ids & corpus.arxiv_ids)}), DOIs {len(corpus.dois)} (Crossref "
        f"{len(corpus.dois & corpus.world.crossref)}, DataCite only "
        f"{len(corpus.dois & set(corpus.world.datacite))}, neither "
        f"{len(corpus.dois - corpus.world.crossref - set(corpus.world.datacite))}), GitHub "
        f"repositories {len(corpus.keys('github'))}; broken URLs {len(corpus.broken_urls)} "
        f"(with a snapshot {sum(links[u].snapshot for u in corpus.broken_urls)})"
    )
    print(f"  cases: {', '.join(f'{k} {v}' for k, v in sorted(cases.items()))}")
    print(
        f"  fakes (one process, 127.0.0.1): {', '.join(f'{k} :{v}' for k, v in p.items() if k != 'web')}; "
        f"web hosts 127.0.0.{FIRST_HOST}-{FIRST_HOST + args.hosts - 1}:{p['web']} (latency "
        f"20-80 ms per host); API latency {args.latency[0] * 1000:.0f}-"
        f"{args.latency[1] * 1000:.0f} ms per request; Hub quota {args.hub_quota} per "
        f"{args.hub_window} s (fresh each run)"
    )
    guard_ok = True
    if guard is not None:
        guard_ok = guard_self_test(env, work)
        print(
            f"  network guard: {guard}/sitecustomize.py (PYTHONPATH), self-test "
            f"{'refused and logged a connection and a lookup' if guard_ok else 'FAILED'}"
        )
    print(
        f"  cold:  {shlex.join(cmd(work / 'r1-cold' / 'cache', work / 'r1-cold' / 'report.json'))}"
    )
    print("  warm:  the same command, the same --cache-dir, right after")
    if not args.no_ab:
        print(
            f"  A/B:   {shlex.join(cmd(work / 'r1-ab' / 'cache', work / 'r1-ab' / 'report.json', ab_extra))}"
        )
    print(
        "  cwd: an empty folder per run; records beside the digests are removed before each "
        "cold run; no proxy variables, no GITHUB_TOKEN/HF_TOKEN, no ENRICHER_* variables"
    )
    print()

    runs: list[Run] = []
    checks: dict[str, Check] = {}
    plan = [("cold", ()), ("warm", ())] + ([] if args.no_ab else [("ab", ab_extra)])
    for round_no in range(1, args.rounds + 1):
        cold_cache = work / f"r{round_no}-cold" / "cache"
        for label, extra in plan:
            run_dir = work / f"r{round_no}-{label}"
            run_dir.mkdir(exist_ok=True)
            cache = cold_cache if label in ("cold", "warm") else run_dir / "cache"
            if label != "warm":
                for stale in digest_dir.glob("*.enriched.json"):
                    stale.unlink()
            guard_log = run_dir / "netguard.log"
            run_env = dict(env, BENCH_NET_GUARD_LOG=str(guard_log)) if guard else env
            fakes.quiesce()
            fakes.call(fakes.snapshot_and_reset())
            output = run_dir / "report.json"
            cwd = run_dir / "cwd"
            cwd.mkdir(exist_ok=True)
            measured = compare.run_measured(cmd(cache, output, extra), cwd, run_dir / "stdout",
                                            run_dir / "stderr", args.run_timeout, run_env)  # fmt: skip
            fakes.quiesce()
            snap = fakes.call(fakes.snapshot_and_reset())
            report, reported = read_report(output)
            try:
                verdicts, conflicts = compare.enricher_verdicts(digest_dir, corpus.digests)
            except (OSError, ValueError, KeyError) as exc:
                print(f"  cannot read the records ({exc})", file=sys.stderr)
                verdicts, conflicts = {}, -1
            lines = guard_log.read_text("utf-8").splitlines() if guard_log.exists() else []
            run = Run(label, round_no, measured, snap, reported, report, verdicts, conflicts,
                      lines)  # fmt: skip
            runs.append(run)
            check_every(checks, run, guard is not None)
            if label == "cold":
                check_cold(checks, corpus, run)
            elif label == "warm":
                check_warm(checks, run)
            else:
                check_cold(checks, corpus, run, **ab_on)
                cold = next(r for r in runs if r.round == round_no and r.label == "cold")
                check_ab(checks, cold, run, **ab_on)
            at_fakes = {n: run.fake(n) for n in SERVICES if run.fake(n)}
            print(
                f"  round {round_no} {label:4}: {measured.wall_s:7.2f} s, exit "
                f"{measured.returncode}{' (KILLED: run timeout)' if measured.timed_out else ''}"
                f", peak RSS {measured.peak_rss_mb:.0f} MB; at the fakes {at_fakes or 0}; "
                f"enricher counted { {k: v for k, v in reported.items() if v} or 0 }"
                f"{f'; GUARD REFUSED {len(lines)}' if lines else ''}"
            )

    table(args, corpus, runs, exp, ab_extra)
    print()
    print("Checks:")
    if guard is not None:
        c = Check("the network guard refuses and logs (self-test)")
        c.expect(guard_ok, "self-test", "the guard did not log both refusals")
        checks = {"selftest": c, **checks}
    for c in checks.values():
        print(f"  {'PASS' if c.passed else 'FAIL'}  {c.name}")
        for failure in c.failures[:6]:
            print(f"          {failure}")
    ok = all(c.passed for c in checks.values())
    overlap = corpus.paper_page_ids & corpus.arxiv_ids
    print()
    if overlap:
        print(
            f"Note: {len(overlap)} paper(s) cited both on arXiv and as huggingface.co/papers "
            f"pages; the paper-links lookup and the Hugging Face link each ask "
            f"/api/papers/<id> (separate targets, separate TTLs): {len(overlap)} requests a "
            f"cold run could share."
        )
    bunched = [
        r
        for r in runs
        if r.fakes["crossref"]["max_per_1s"] > 5
        and (r.fakes["crossref"]["min_gap_ms"] or 200) < 160
    ]  # 20% under 1/5 s
    if bunched:
        worst = max(bunched, key=lambda r: r.fakes["crossref"]["max_per_1s"])
        print(
            f"Note: Crossref saw 6 requests arrive within {PACE_WINDOW_S:g} s in "
            f"{len(bunched)} of {sum(r.fake('crossref') > 0 for r in runs)} runs (worst: "
            f"{worst.fakes['crossref']['max_per_1s']} in round {worst.round} {worst.label}, "
            f"shortest gap {worst.fakes['crossref']['min_gap_ms']} ms). Arrival times are taken "
            f"by the fakes' event loop, busy too while the web checks run, so part of this may "
            f"be ours; enricher's pace spaces its scheduled starts 1/5 s apart, so a late send "
            f"is followed by a shorter gap. The fake refuses only a second request in flight."
        )
    hub_cold = [r.fake("hub-repos+hub-papers") for r in runs if r.label == "cold"]
    if hub_cold:
        print(
            f"Note: a cold run asks the Hub {max(hub_cold)} times (the fake grants "
            f"{args.hub_quota} per window, fresh each run; the Hub's anonymous quota is 500 per "
            f"5 minutes{', which this run would exceed' if max(hub_cold) > 500 else ''})."
        )
    print(
        "Timings are noisy: 2 cores shared with the fakes (and whatever else runs); the "
        "per-run lines show the spread."
    )
    print("PASS" if ok else "FAIL")
    if args.json:
        args.json.write_text(json.dumps({
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "corpus": {"digests": len(corpus.digests), "entries": corpus.entries,
                       "unique_urls": len(links), "kinds": dict(by_kind), "cases": dict(cases),
                       "arxiv_ids": len(corpus.arxiv_ids), "hub_repos": len(corpus.hub_repo_keys),
                       "paper_pages": len(corpus.paper_page_ids), "dois": len(corpus.dois),
                       "broken_urls": len(corpus.broken_urls)},
            "expected_cold": exp, "expected_ab": corpus.expected(**ab_on),
            "runs": [{"label": r.label, "round": r.round, "wall_s": r.measured.wall_s,
                      "peak_rss_mb": r.measured.peak_rss_mb, "exit": r.measured.returncode,
                      "timed_out": r.measured.timed_out,
                      "fakes": {n: {k: v for k, v in r.fakes[n].items() if k != "asked"}
                                for n in SERVICES},
                      "reported_requests": r.reported, "guard_refused": r.guard,
                      "duration_s": r.report.get("duration_s"), "totals": r.report.get("totals")}
                     for r in runs],
            "checks": {c.name: {"passed": c.passed, "failures": c.failures}
                       for c in checks.values()},
            "passed": ok}, indent=1), "utf-8")  # fmt: skip
    return 0 if ok else 1


def table(args: argparse.Namespace, corpus: Corpus, runs: list[Run], exp: dict[str, int],
          ab_extra: tuple[str, ...]) -> None:  # fmt: skip
    labels = ["cold", "warm"] + ([] if args.no_ab else ["ab"])
    heads = {"cold": "cold", "warm": "warm (same cache)", "ab": f"cold {' '.join(ab_extra)}"}
    exp_ab = corpus.expected(paper_links="--no-paper-links" not in ab_extra,
                             archive="--no-archive" not in ab_extra)  # fmt: skip
    groups = {label: [r for r in runs if r.label == label] for label in labels}
    rows: list[tuple[str, list[str], str]] = []

    def row(name: str, cell: Callable[[list[Run]], str], expected: str = "") -> None:
        rows.append((name, [cell(groups[label]) for label in labels], expected))

    row("wall median (s)", lambda rs: f"{statistics.median(r.measured.wall_s for r in rs):.2f}")
    row("wall each run (s)", lambda rs: ", ".join(f"{r.measured.wall_s:.2f}" for r in rs))
    row(
        "  enricher's duration_s",
        lambda rs: ", ".join(f"{r.report.get('duration_s', float('nan')):.2f}" for r in rs),
    )
    row(
        "peak RSS median (MB)",
        lambda rs: (
            f"{statistics.median(r.measured.peak_rss_mb for r in rs):.0f}"
            f" (max {max(r.measured.peak_rss_mb for r in rs):.0f})"
        ),
    )
    row("exit codes", lambda rs: ", ".join(str(r.measured.returncode) for r in rs))
    rows.append(
        (
            "requests: at the fakes / in enricher's report",
            ["", "", ""][: len(labels)],
            "expected cold / A/B",
        )
    )
    pairs = [("web", "web", ("web", "web-probe")), ("arXiv API", "arxiv", ("arxiv",)),
             ("GitHub API", "github", ("github",)),
             ("Hub repos (fakes) / huggingface", "hub-repos", ("huggingface",)),
             ("Hub papers (fakes) / paper-links", "hub-papers", ("paper-links",)),
             ("Crossref", "crossref", ("crossref",)), ("DataCite", "datacite", ("datacite",)),
             ("Wayback", "wayback", ("wayback",))]  # fmt: skip
    for name, fake, mine in pairs:
        if fake == "hub-repos":
            e = f"{exp['hub-repos']} / {exp['huggingface']}"
            ea = f"{exp_ab['hub-repos']} / {exp_ab['huggingface']}"
        elif fake == "hub-papers":
            e = f"{exp['hub-papers']} / {exp['paper-links']}"
            ea = f"{exp_ab['hub-papers']} / {exp_ab['paper-links']}"
        else:
            e, ea = str(exp[fake]), str(exp_ab[fake])
        row(f"  {name}", lambda rs, f=fake, m=mine: fmt_pair([r.fake(f) for r in rs],
                                                            [r.enricher(*m) for r in rs]),
            f"{e}  |  {ea}")  # fmt: skip
    row("  total", lambda rs: fmt_pair([sum(r.fake(n) for n in SERVICES) for r in rs],
                                        [sum(r.reported.values()) for r in rs]),
        f"{sum(exp[n] for n in SERVICES)}  |  {sum(exp_ab[n] for n in SERVICES)}")  # fmt: skip
    row(
        "Crossref: max in flight",
        lambda rs: ", ".join(str(r.fakes["crossref"]["max_in_flight"]) for r in rs),
        "limit 1",
    )
    row(
        "  most arrivals within 0.98 s",
        lambda rs: ", ".join(str(r.fakes["crossref"]["max_per_1s"]) for r in rs),
        "limit 5",
    )
    row(
        "  shortest gap between two (ms)",
        lambda rs: ", ".join(str(r.fakes["crossref"]["min_gap_ms"]) for r in rs),
        "200 at 5/s",
    )
    row(
        "Hub quota used (of the window's)",
        lambda rs: ", ".join(str(r.fakes["hub_quota_used_max"]) for r in rs),
        f"quota {args.hub_quota}",
    )
    row("links judged broken (unique URLs)",
        lambda rs: ", ".join(str(sum(1 for s in r.verdicts.values() if s == "broken"))
                             for r in rs), str(len(corpus.broken_urls)))  # fmt: skip
    print()
    width = max(len(r[0]) for r in rows)
    cols = [
        max([len(heads[label])] + [len(r[1][i]) for r in rows]) for i, label in enumerate(labels)
    ]
    print(
        f"{'':{width}}  "
        + "  ".join(f"{heads[label]:{c}}" for label, c in zip(labels, cols, strict=True))
        + "  expected"
    )
    for name, cells, expected in rows:
        print(
            (
                f"{name:{width}}  "
                + "  ".join(f"{cell:{c}}" for cell, c in zip(cells, cols, strict=True))
                + f"  {expected}"
            ).rstrip()
        )
    cold, ab = groups["cold"], groups.get("ab", [])
    if ab:
        d_wall = statistics.median(r.measured.wall_s for r in cold) - statistics.median(
            r.measured.wall_s for r in ab
        )
        d_req = statistics.median(sum(r.fake(n) for n in SERVICES) for r in cold) - \
            statistics.median(sum(r.fake(n) for n in SERVICES) for r in ab)  # fmt: skip
        print()
        print(
            f"A/B: what {' '.join(ab_extra)} saves: {d_req:.0f} requests and "
            f"{d_wall:.2f} s of wall time (median cold - median A/B)."
        )
    n_cr, n_dc, n_wb = exp["crossref"], exp["datacite"], exp["wayback"]
    print(
        f"Pacing floors of a cold run: Crossref {n_cr} DOIs at 5/s >= {max(n_cr - 1, 0) / 5:.1f} s;"
        f" DataCite {n_dc} at 1/s >= {max(n_dc - 1, 0):.0f} s (beside Crossref); Wayback "
        f"{n_wb} broken URLs at 1/s >= {max(n_wb - 1, 0):.0f} s, after every other lookup."
    )


if __name__ == "__main__":
    sys.exit(main())
