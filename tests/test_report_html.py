"""The HTML report (issue 17): what it shows per digest and per link, that anyone's text and
URLs stay inert in it, and how ``--format html`` and ``--html-output`` deliver it.

Pages are read back with selectolax's Lexbor engine, an HTML5 parser that builds the tree a
browser builds, so "no element or attribute came from the data" is checked as a browser would
see the page, not by searching the text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from selectolax.lexbor import LexborHTMLParser, LexborNode

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
from enricher.pipeline import run
from enricher.report import FORMATTERS
from enricher.report_html import HISTORY_CELLS, build_view, format_html, safe_href
from tests.conftest import Apis, FakeClock, WebRecorder, enricher
from tests.test_report_formats import fixed_summary

HOSTILE_TITLE = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
"""A page title that closes an attribute, adds an image with a handler, and a script."""


@dataclass
class Page:
    """A report as a browser's parser builds it."""

    tree: LexborHTMLParser

    @classmethod
    def of(cls, html: str) -> Page:
        return cls(LexborHTMLParser(html))

    def all(self, selector: str) -> list[LexborNode]:
        return list(self.tree.css(selector))

    def texts(self, selector: str) -> list[str]:
        """The text of each match, whitespace collapsed."""
        return [" ".join(node.text(deep=True).split()) for node in self.all(selector)]

    def elements(self) -> list[LexborNode]:
        return [node for node in self.tree.root.traverse() if node.tag and node.tag[0] != "-"]


def assert_inert(html: str) -> None:
    """Nothing from the data became markup: one script (the report's own), no element a
    remote answer could make fetch or run (``img``, ``iframe``, ...), no event handler
    attribute, every ``href`` an http(s) URL."""
    from enricher.report_html import _assets

    page = Page.of(html)
    scripts = page.all("script")
    assert len(scripts) == 1 and scripts[0].text(deep=True) == _assets()["js"]
    for tag in ("img", "iframe", "object", "embed", "base", "link", "form[action]", "svg"):
        assert page.all(tag) == [], tag
    for node in page.elements():
        for name, value in node.attributes.items():
            assert not name.lower().startswith("on"), (node.tag, name, value)
            if name in ("href", "src", "action", "formaction"):
                assert (value or "").startswith(("http://", "https://")), (node.tag, value)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://arxiv.org/abs/2401.10774", True),
        ("HTTP://Example.org/a?b=<c>", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("https://example.org/\nx", False),
        ("https:///example.org", False),
        ("https:javascript:alert(1)", False),
        ("//example.org/x", False),
        ("/relative", False),
        (None, False),
        (42, False),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_only_http_urls_become_links(url: Any, allowed: bool) -> None:
    """``safe_href``: what may be an ``href``; anything else is shown as text."""
    assert safe_href(url) == (url if allowed else None)


def test_the_fixed_run_shows_every_digest_link_badge_and_note() -> None:
    """Per digest a section with its counts, per link a card with its status badge, label,
    reason, suggestion or Wayback copy, label warning and history strip."""
    page = Page.of(format_html(fixed_summary()))
    assert page.texts("h2") == ["digests/第12周, notes:v2.txt", "digests/quiet.txt"]
    assert page.texts(".counts .badge") == [
        "ok 3", "redirected 1", "broken 2", "blocked 1", "unreachable 1", "invalid 1", "skipped 1",
    ]  # fmt: skip
    cards = page.all("article.link")
    assert [c.attributes["data-status"] for c in cards][:3] == ["ok", "broken", "redirected"]
    assert page.texts("article.link .badge")[:3] == ["ok", "broken", "redirected"]
    assert "Vec<T> & <think>" in page.texts(".label")  # shown as written, not as markup
    assert page.texts(".suggest")[:2] == [
        "archived copy (2025-11-01): https://web.archive.org/web/20251101120000/https://example.org/a%20b,c:d?q=1,2",
        "now at: https://example.org/new",
    ]
    assert page.texts(".mismatch") == [
        "⚠ the label does not match “Attention Is All You Need”; likely the wrong link"
    ]
    strips = [[li.attributes["class"] for li in c.css(".strip li")] for c in cards]
    assert strips[0] == ["c-ok"] and strips[7] == ["c-failing"] * 3
    assert "error" in page.texts(".alert")[0].lower()  # the run's error is shown
    assert "hidden" in page.all("form#filters")[0].attributes  # without JS, no dead controls
    assert_inert(format_html(fixed_summary()))


def test_metadata_shows_what_fits_each_kind() -> None:
    """A paper's title, authors and folded abstract; a repo's stars and language; a model's
    downloads and likes; a page's title and description, its image as a link only."""
    base = CheckedLink(
        LinkEntry("d.txt", 1, "x", "https://x.org/"), "web", None, Verdict(Status.OK)
    )
    metadata = [
        ("arxiv", {"title": "Attention Is All You Need", "authors": ["A. Vaswani", "N. Shazeer"],
                   "abstract": "The dominant sequence transduction models.",
                   "abs_url": "https://arxiv.org/abs/1706.03762"}),
        ("github", {"full_name": "QwenLM/Qwen-VL", "stars": 5123, "language": "Python",
                    "description": "A vision-language model", "html_url": "https://github.com/QwenLM/Qwen-VL"}),
        ("huggingface", {"id": "Qwen/Qwen2-7B", "downloads": 1234567, "likes": 890}),
        ("page", {"title": "A page", "description": "About it",
                  "image": "https://cdn.example/i.png"}),
    ]  # fmt: skip
    links = tuple(
        replace(base, kind=key, metadata=(key, data), entry=replace(base.entry, line=n))
        for n, (key, data) in enumerate(metadata, 1)
    )
    summary = RunSummary((DigestResult("d.txt", None, links),), {Status.OK: 4}, (), 0)
    html = format_html(summary)
    page = Page.of(html)
    assert page.texts(".title") == [
        "Attention Is All You Need", "QwenLM/Qwen-VL", "Qwen/Qwen2-7B", "A page",
    ]  # fmt: skip
    assert page.texts("details summary") == ["Abstract"]
    assert page.texts("details p") == ["The dominant sequence transduction models."]
    facts = page.texts("dl.facts div")
    assert {"stars5,123", "languagePython", "downloads1,234,567", "likes890"} <= set(facts)
    assert "imagehttps://cdn.example/i.png" in facts and page.all("img") == []
    assert [o.attributes["value"] for o in page.all("#f-kind option")] == [
        "", "arxiv", "github", "huggingface", "page",
    ]  # fmt: skip


def test_hostile_text_and_javascript_urls_in_a_summary_stay_inert() -> None:
    """A hostile label, title, description and reason are text; a ``javascript:`` URL as the
    link, its suggestion, its Wayback copy or a metadata URL never becomes an ``href``."""
    evil = "javascript:alert(document.domain)"
    link = CheckedLink(
        LinkEntry("d.txt", 3, HOSTILE_TITLE, evil), "github", None,
        Verdict(Status.REDIRECTED, f"moved to {HOSTILE_TITLE}", suggested_url=evil),
        metadata=("github", {"full_name": HOSTILE_TITLE, "html_url": evil, "homepage": evil,
                             "description": "</p><iframe src=//x></iframe>"}),
        label_match=LabelMatch.MISMATCH,
    )  # fmt: skip
    dead = CheckedLink(
        LinkEntry("<script>alert(2)</script>.txt", 4, "x", "https://x.org/"), "page", None,
        Verdict(Status.BROKEN), metadata=("page", {"title": "t", "image": evil, "canonical_url": evil}),
        archive=Snapshot(evil, datetime(2025, 1, 1, tzinfo=timezone.utc)),
        history=LinkState(datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 1, tzinfo=timezone.utc), Status.BROKEN),
    )  # fmt: skip
    summary = RunSummary(
        (DigestResult("d.txt", None, (link, dead)),), {Status.REDIRECTED: 1, Status.BROKEN: 1},
        (), 1, errors=(HOSTILE_TITLE,),
    )  # fmt: skip
    html = format_html(summary)
    assert_inert(html)
    page = Page.of(html)
    assert HOSTILE_TITLE in page.texts(".label") and HOSTILE_TITLE in page.texts(".title")
    assert evil in page.texts(".url")  # shown, as text
    assert page.all(f'a[href="{evil}"]') == []


def test_a_hostile_page_and_api_answer_stay_inert_end_to_end(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A run over local fakes: a page whose title is hostile and whose image is a
    ``javascript:`` URL, a repository whose homepage is one and whose description holds a
    script, a real paper; the report shows their text and runs nothing."""
    httpserver.expect_request("/evil").respond_with_data(
        f"<!doctype html><html><head><title>{HOSTILE_TITLE.replace('<', '&lt;')}</title>"
        '<meta property="og:image" content="javascript:alert(2)">'
        '<meta name="description" content="&lt;script&gt;alert(3)&lt;/script&gt;"></head>'
        "<body><p>Words enough to be a page.</p></body></html>",
        content_type="text/html; charset=utf-8",
    )
    apis.arxiv.known = {"2401.10774"}
    apis.github.add("QwenLM/Qwen-VL", homepage="javascript:alert(4)",
                    description="<script>alert(5)</script>")  # fmt: skip
    digest = tmp_path / "week.txt"
    digest.write_text(
        "[MEDUSA] https://arxiv.org/abs/2401.10774\n[Qwen-VL] https://github.com/QwenLM/Qwen-VL\n"
        f"[Evil page] {httpserver.url_for('/evil')}\n",
        "utf-8",
    )
    summary = run(settings_for(digest, allow_private=True), clocks=clock.clocks())
    html = FORMATTERS["html"](summary)
    assert_inert(html)
    page = Page.of(html)
    assert page.texts("h2") == [str(digest)]
    assert [c.attributes["data-kind"] for c in page.all("article.link")] == [
        "arxiv", "github", "web",
    ]  # fmt: skip
    titles = page.texts(".title")
    assert titles[1] == "QwenLM/Qwen-VL" and HOSTILE_TITLE in titles
    assert "<script>alert(5)</script>" in page.texts(".about")
    assert "<script>alert(3)</script>" in page.texts(".about")
    assert "homepagejavascript:alert(4)" in page.texts("dl.facts div")  # text, not a link
    assert page.texts("article.link .badge") == ["ok", "ok", "ok"]


def test_a_view_is_plain_data() -> None:
    """``build_view`` decides everything; its numbers match the summary's."""
    view = build_view(fixed_summary())
    assert view.total == 10 and view.verdict == "failed" and view.policy == "broken, invalid"
    assert [d.path for d in view.digests] == ["digests/第12周, notes:v2.txt", "digests/quiet.txt"]
    assert view.digests[1].tally == (("ok", 2),)


def test_format_html_prints_the_page_on_stdout(site: dict[str, str], tmp_path: Path) -> None:
    """``--format html``: the page on stdout, the run's exit code unchanged."""
    result = enricher(site["FOLDER"], "--allow-private", "--format", "html", cwd=tmp_path,
                      env=site)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!doctype html>")
    page = Page.of(result.stdout)
    assert len(page.all("article.link")) == 4
    assert "redirected" in page.texts("article.link .badge")


def test_html_output_is_written_beside_the_other_reports(
    site: dict[str, str], tmp_path: Path
) -> None:
    """``--html-output`` with ``--format github`` and ``--json-output``: annotations on stdout,
    both files whole, written atomically (no temporary file left beside them)."""
    out = tmp_path / "out"
    out.mkdir()
    result = enricher(
        site["FOLDER"], "--allow-private", "--format", "github", "--json-output", "out/r.json",
        "--html-output", "out/r.html", cwd=tmp_path, env=site,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::warning file=")
    assert sorted(os.listdir(out)) == ["r.html", "r.json"]
    html = (out / "r.html").read_text("utf-8")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert len(Page.of(html).all("article.link")) == 4


def test_html_output_in_a_missing_folder_is_refused_before_any_work(
    site: dict[str, str], tmp_path: Path
) -> None:
    result = enricher(site["FOLDER"], "--html-output", "no/such/r.html", cwd=tmp_path, env=site)
    assert result.returncode == 2
    assert "--html-output no/such/r.html: folder no/such does not exist" in result.stderr
    assert not (Path(site["FOLDER"]) / "week.enriched.json").exists()


def strip_of(html: str) -> list[tuple[str, str]]:
    """Each square of the (only) link's history strip: its class and its title."""
    return [(cell.attributes["class"] or "", cell.attributes["title"] or "")
            for cell in Page.of(html).all("ol.strip li")]  # fmt: skip


def test_the_strip_shows_the_links_real_checks_oldest_first(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """ok, then broken, then ok across three runs: the third run's strip is its three checks
    in order (not "last ok, then the failing streak"), each square naming its status."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    settings = settings_for(digest, refresh=True, format="html")
    for status in (200, 404, 200):
        web.statuses["https://example.org/page"] = status
        summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
        clock.advance(hours=6)
    assert summary.digests[0].links[0].recent == (Status.OK, Status.BROKEN, Status.OK)
    html = FORMATTERS["html"](summary)
    assert strip_of(html) == [
        ("c-ok", "check 1 of the last 3: ok"),
        ("c-failing", "check 2 of the last 3: broken"),
        ("c-ok", "check 3 of the last 3: ok"),
    ]
    assert "last 3 checks, oldest first: ok, broken, ok" in Page.of(html).texts(".note")[0]


def test_the_strip_shows_at_most_history_cells_checks(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    settings = settings_for(digest, refresh=True, html_output=tmp_path / "r.html")
    statuses = [200, 404] * 6
    for status in statuses:
        web.statuses["https://example.org/page"] = status
        summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
        clock.advance(hours=1)
    states = [cls for cls, _ in strip_of(FORMATTERS["html"](summary))]
    assert len(states) == HISTORY_CELLS
    assert states == ["c-ok" if s == 200 else "c-failing" for s in statuses[-HISTORY_CELLS:]]


def test_without_the_cache_the_strip_is_this_runs_check(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    settings = settings_for(digest, use_cache=False, format="html")
    for _ in range(2):
        summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
        clock.advance(hours=6)
    assert summary.digests[0].links[0].recent == (Status.OK,)
    assert strip_of(FORMATTERS["html"](summary)) == [("c-ok", "check 1 of the last 1: ok")]


def test_other_reports_read_no_checks_and_the_record_is_unchanged(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """The same two runs asked for an HTML report and for JSON: the links' ``recent`` is
    filled only for HTML, and the records beside the digests are byte for byte the same (it is
    never recorded), as is the JSON report's shape."""
    records, reports = [], []
    for name, format in (("html", "html"), ("json", "json")):
        folder = tmp_path / name
        folder.mkdir()
        digest = folder / "week.txt"
        digest.write_text("[Page] https://example.org/page\n", "utf-8")
        settings = settings_for(digest, refresh=True, format=format,
                                cache_dir=folder / "cache")  # fmt: skip
        now = clock.now
        for status in (200, 404):
            web.statuses["https://example.org/page"] = status
            summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
            clock.advance(hours=6)
        clock.now = now
        expected = (Status.OK, Status.BROKEN) if format == "html" else ()
        assert summary.digests[0].links[0].recent == expected
        records.append((folder / "week.enriched.json").read_bytes())
        report = FORMATTERS["json"](replace(summary, duration_s=0.0))
        reports.append(report.replace(str(folder), "FOLDER"))
    assert records[0] == records[1]
    assert b"recent" not in records[0]
    assert reports[0] == reports[1]
