"""The HTML report (``--format html``, ``--html-output``): one self-contained page a person
reads, from a disk or as a CI artifact. Pure: a ``RunSummary`` in, a string out.

Two steps, each tested on its own: ``build_view`` turns the summary into plain view objects
(every decision: what a kind of link shows, which URLs may become links, what the history
strip says), and ``render`` fills the Jinja2 template ``templates/report.html.j2`` with them.

Everything in a report comes from a digest or a remote answer, so anyone's text: the template
is rendered with autoescaping on, only ``http(s)`` URLs ever become an ``href``
(``safe_href``), and the page's Content-Security-Policy allows no fetch at all and only the
report's own script and style (by their hashes), so even a mistake in escaping could not run
a script or load an image. Remote images are shown as a link, never embedded: a report must
not fetch.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from .history import HISTORY_CELLS
from .models import (
    Change,
    CheckedLink,
    DigestResult,
    LabelMatch,
    LinkState,
    RunSummary,
    Status,
)
from .records import iso
from .report_words import NETWORK_DOWN_NOTE, mismatch_note, policy_words, streak
from .summary import changes_line, fails_run

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"
"""The page's template, in ``enricher/templates`` (package data)."""

ASSETS = ("report.css", "report.js")
"""The page's inline style and script, in ``enricher/templates``, hashed into its CSP."""

ABSTRACT_CHARS = 3000
"""An abstract longer than this is cut (arXiv caps them near 1,920; a remote answer may not)."""

STATUS_ORDER = tuple(status.value for status in Status)
"""The statuses in vocabulary order: the filter's options and the badges' order."""


def safe_href(url: Any) -> str | None:
    """``url`` when it may be a link target: text starting ``http://`` or ``https://`` with a
    host and no whitespace or control characters; else None, and the page shows it as text.

    Browsers drop tabs and newlines inside a URL and run ``javascript:`` ones, so anything a
    remote answer says (a homepage, an image, a canonical URL) is checked, not trusted."""
    if not isinstance(url, str) or not _HTTP_URL.match(url) or _NOT_IN_URL.search(url):
        return None
    return url


_HTTP_URL = re.compile(r"https?://[^/\\?#]", re.IGNORECASE)
"""A scheme browsers fetch rather than run, and a host after it."""
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
"""Whitespace and control characters: browsers drop some of them, so nothing may hold them."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of what a link's target says about itself: ``stars 1,234``."""

    name: str
    value: str
    href: str | None = None
    """When the value is a URL that may be followed (``safe_href``)."""


@dataclass(frozen=True, slots=True)
class Cell:
    """One square of the history strip."""

    state: str
    """``ok`` or ``failing``: its colour."""
    title: str
    """What a hover says about it; the strip's note says it all in words."""


@dataclass(frozen=True, slots=True)
class LinkView:
    """One link as the page shows it: a card."""

    line: int
    label: str
    url: str | None
    href: str | None
    status: str
    kind: str
    reason: str | None
    fails_run: bool
    """Its status counted against the run (``--fail-on``, ``--fail-after``): marked so."""
    change: str | None
    """``newly failing``, ``recovered`` or ``still failing`` since the previous run."""
    title: str | None
    """The thing it leads to: a paper's, a page's or a work's title, a repo's name."""
    title_href: str | None
    byline: str | None
    """A paper's or work's authors."""
    description: str | None
    abstract: str | None
    """A paper's abstract, shown folded (``<details>``)."""
    facts: tuple[Fact, ...]
    mismatch: str | None
    """The ``label_match`` warning: the label does not name what the link leads to."""
    suggestion: Fact | None
    """Where to point it instead: its new URL, or a dead page's Wayback Machine copy."""
    history: tuple[Cell, ...]
    history_note: str | None
    """The strip in words (for screen readers too): first seen, last ok, failing since."""


@dataclass(frozen=True, slots=True)
class DigestView:
    """One digest: a section of the page."""

    path: str
    anchor: str
    record_path: str | None
    tally: tuple[tuple[str, int], ...]
    """``(status, count)`` for the statuses present, in vocabulary order."""
    problems: tuple[str, ...]
    links: tuple[LinkView, ...]


@dataclass(frozen=True, slots=True)
class ReportView:
    """The whole page."""

    total: int
    verdict: str
    """``passed`` or ``failed`` under the run's policy."""
    policy: str
    counts: tuple[tuple[str, int], ...]
    started_at: str | None
    duration: str
    changes: str
    warnings: tuple[str, ...]
    errors: tuple[str, ...]
    kinds: tuple[str, ...]
    """The kinds of link present, for the kind filter."""
    digests: tuple[DigestView, ...]


# From a summary to the view -------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A metadata value that is a non-empty string; anything else (a remote answer may hold
    anything under a key) is left out."""
    return (" ".join(value.split()) or None) if isinstance(value, str) else None


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return f"{value:,}"


def _names(value: Any, limit: int = 12) -> str | None:
    """``A, B, C and 9 more``: a list of authors or topics."""
    if not isinstance(value, list):
        return _text(value)
    names = [n for n in (_text(v) for v in value) if n]
    if not names:
        return None
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _facts(data: dict[str, Any], fields: tuple[tuple[str, str], ...]) -> tuple[Fact, ...]:
    """``(name, key)`` pairs as facts; numbers grouped, lists joined, URLs made safe links."""
    facts = []
    for name, key in fields:
        value = data.get(key)
        if key.endswith(("url", "image", "homepage")):
            text = _text(value)
            if text:
                facts.append(Fact(name, text, safe_href(text)))
            continue
        if isinstance(value, bool):
            if value:
                facts.append(Fact(name, "yes"))
            continue
        shown = _number(value) if isinstance(value, int | float) else _names(value)
        if shown:
            facts.append(Fact(name, shown))
    return tuple(facts)


@dataclass(frozen=True, slots=True)
class _About:
    title: str | None = None
    title_href: str | None = None
    byline: str | None = None
    description: str | None = None
    abstract: str | None = None
    facts: tuple[Fact, ...] = ()


def _about(key: str, data: dict[str, Any]) -> _About:
    """What the metadata of each kind shows: the fields that tell a reader what it is."""
    if key == "arxiv":
        abstract = _text(data.get("abstract"))
        if abstract and len(abstract) > ABSTRACT_CHARS:
            abstract = abstract[:ABSTRACT_CHARS] + "…"
        return _About(
            _text(data.get("title")), safe_href(data.get("abs_url")), _names(data.get("authors")),
            None, abstract,
            _facts(data, (("published", "published"), ("category", "primary_category"),
                          ("upvotes on Hugging Face", "hf_upvotes"), ("code", "code_url"),
                          ("project page", "project_url"), ("PDF", "pdf_url"))),
        )  # fmt: skip
    if key == "github":
        return _About(
            _text(data.get("full_name")), safe_href(data.get("html_url")), None,
            _text(data.get("description")), None,
            _facts(data, (("stars", "stars"), ("language", "language"), ("forks", "forks"),
                          ("license", "license"), ("topics", "topics"), ("archived", "archived"),
                          ("last push", "pushed_at"), ("homepage", "homepage"))),
        )  # fmt: skip
    if key == "huggingface":
        return _About(
            _text(data.get("title")) or _text(data.get("id")), None, _text(data.get("author")),
            _text(data.get("description")), None,
            _facts(data, (("type", "type"), ("downloads", "downloads"), ("likes", "likes"),
                          ("task", "pipeline_tag"), ("library", "library_name"),
                          ("license", "license"), ("gated", "gated"),
                          ("last modified", "last_modified"))),
        )  # fmt: skip
    if key == "doi":
        return _About(
            _text(data.get("title")), None, _names(data.get("authors")), None, None,
            _facts(data, (("in", "container"), ("publisher", "publisher"),
                          ("published", "published"), ("type", "type"), ("registry", "agency"))),
        )  # fmt: skip
    # page, and any kind added later: a page-like object
    return _About(
        _text(data.get("title")), None, _text(data.get("author")), _text(data.get("description")),
        None,
        _facts(data, (("site", "site_name"), ("published", "published_at"),
                      ("canonical URL", "canonical_url"), ("image", "image"))),
    )  # fmt: skip


def _recent_cells(recent: tuple[Status, ...]) -> tuple[tuple[Cell, ...], str]:
    """One square per recent check, oldest first: ``ok`` when the link worked, else
    ``failing``, its title naming the check's status; and the same in words."""
    shown = recent[-HISTORY_CELLS:]
    cells = tuple(
        Cell("ok" if status.works else "failing",
             f"check {number} of the last {len(shown)}: {status.value}")
        for number, status in enumerate(shown, 1)
    )  # fmt: skip
    return cells, f"last {len(shown)} checks, oldest first: " + ", ".join(shown)


def _history(link: CheckedLink) -> tuple[tuple[Cell, ...], str | None]:
    """The strip: the link's last checks (``recent``, at most ``HISTORY_CELLS``, oldest
    first) when the run read them. Else what the summary knows of past checks, the current
    streak (its start, its length) and the last check that worked: one ``ok`` square for the
    last good check, then one ``failing`` square per failing check in a row."""
    state = link.history
    note = _state_note(state)
    if link.recent:
        cells, words = _recent_cells(link.recent)
        return cells, f"{note}; {words}" if note else words
    if state is None:
        return (), None
    streak: list[Cell] = []
    if state.last_ok_at is not None:
        streak.append(Cell("ok", f"ok at {iso(state.last_ok_at)}"))
    failures = state.consecutive_failures
    for number in range(min(failures, HISTORY_CELLS)):
        streak.append(Cell("failing", f"failing check {number + 1} of {failures} in a row"))
    return tuple(streak), note


def _state_note(state: LinkState | None) -> str | None:
    """The dates that matter, in words: first seen, last ok, failing since."""
    if state is None:
        return None
    failures = state.consecutive_failures
    parts = [f"checks: first seen {iso(state.first_seen_at)}"]
    if state.last_ok_at is not None:
        parts.append(f"last ok {iso(state.last_ok_at)}")
    if state.failing_since is not None:
        parts.append(f"failing since {iso(state.failing_since)}")
    if failures:
        parts.append(f"{failures} failing in a row")
    return "; ".join(parts)


CHANGE_WORDS = {
    Change.NEWLY_FAILING: "newly failing",
    Change.RECOVERED: "recovered",
    Change.STILL_FAILING: "still failing",
}


def _link_view(link: CheckedLink, summary: RunSummary) -> LinkView:
    verdict = link.verdict
    about = _About()
    if link.metadata is not None and isinstance(link.metadata[1], dict):
        about = _about(link.metadata[0], link.metadata[1])
    suggestion = None
    if verdict.suggested_url:
        suggestion = Fact("now at", verdict.suggested_url, safe_href(verdict.suggested_url))
    elif link.archive is not None:
        when = iso(link.archive.timestamp) or ""
        suggestion = Fact(f"archived copy ({when[:10]})", link.archive.url,
                          safe_href(link.archive.url))  # fmt: skip
    reason = verdict.reason
    count = streak(link, summary)
    if count:
        reason = f"{reason}; {count}" if reason else count
    cells, note = _history(link)
    return LinkView(
        line=link.entry.line,
        label=link.entry.label or "",
        url=link.entry.url,
        href=safe_href(link.entry.url),
        status=verdict.status.value,
        kind=link.kind or "none",
        reason=reason,
        fails_run=fails_run(summary, link),
        change=CHANGE_WORDS.get(link.change) if link.change else None,
        title=about.title,
        title_href=about.title_href,
        byline=about.byline,
        description=about.description,
        abstract=about.abstract,
        facts=about.facts,
        mismatch=mismatch_note(link) if link.label_match is LabelMatch.MISMATCH else None,
        suggestion=suggestion,
        history=cells,
        history_note=note,
    )


def _tally(statuses: list[str]) -> tuple[tuple[str, int], ...]:
    return tuple((s, statuses.count(s)) for s in STATUS_ORDER if s in statuses)


def _digest_view(number: int, digest: DigestResult, summary: RunSummary) -> DigestView:
    links = tuple(_link_view(link, summary) for link in digest.links)
    return DigestView(
        path=digest.path,
        anchor=f"digest-{number}",
        record_path=digest.record_path,
        tally=_tally([link.status for link in links]),
        problems=tuple(f"line {p.line}: {p.message}" for p in digest.problems),
        links=links,
    )


def build_view(summary: RunSummary) -> ReportView:
    """Everything the page shows, decided: the template only lays it out."""
    digests = tuple(_digest_view(n, d, summary) for n, d in enumerate(summary.digests, 1))
    fails = any(link.fails_run for d in digests for link in d.links)
    kinds = sorted({link.kind for d in digests for link in d.links})
    return ReportView(
        total=summary.total_links,
        verdict="failed" if fails else "passed",
        policy=", ".join(policy_words(summary)) or "never",
        counts=tuple((s.value, summary.counts.get(s, 0)) for s in Status),
        started_at=iso(summary.started_at),
        duration=f"{summary.duration_s:.1f} s",
        changes=changes_line(summary),
        warnings=(NETWORK_DOWN_NOTE,) if summary.network_unavailable else (),
        errors=summary.errors,
        kinds=tuple(kinds),
        digests=digests,
    )


# From the view to HTML -------------------------------------------------------------------


@functools.cache
def _assets() -> dict[str, str]:
    """The inline style and script, and the CSP that allows exactly them."""
    folder = resources.files("enricher") / "templates"
    css, js = (folder.joinpath(name).read_text(encoding="utf-8") for name in ASSETS)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    csp = (
        f"default-src 'none'; style-src {digest(css)}; script-src {digest(js)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )
    return {"css": css, "js": js, "csp": csp}


@functools.cache
def _template() -> jinja2.Template:
    import jinja2  # imported by the first HTML report, not by every run's start

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("enricher", "templates"),
        autoescape=True,  # everything shown is anyone's text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE)


def render(view: ReportView) -> str:
    """The page for ``view``: one HTML document with its style and script inline."""
    assets = _assets()
    return _template().render(
        view=view, css=assets["css"], js=assets["js"], csp=assets["csp"], statuses=STATUS_ORDER
    )


def format_html(summary: RunSummary) -> str:
    """The HTML report of a run (``--format html``)."""
    return render(build_view(summary))
