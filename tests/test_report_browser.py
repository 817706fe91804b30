"""The HTML report in a real browser (issue 17): headless Chromium loads a report written for a
run over local fakes, and its DOM after the page's script ran (``--dump-dom``) is read back.

What only a browser can say: the rendered page holds the titles and badges, a hostile page
title stays text once a browser has parsed it and run the page's script, the page's
Content-Security-Policy lets its own script run and nothing else, and the filters hide the
cards and digests they should.

Marked ``browser``; skipped when no Chromium is found (``chromium``, ``chromium-browser`` or
``google-chrome`` on the PATH, or the binary ``ENRICHER_CHROMIUM`` names). ``.ci/run``
installs Debian's ``chromium``.

``--dump-dom`` shows the page once loaded, so the filters are driven by a test copy of the
report with one more inline script (and its hash added to the copy's CSP) that sets the
controls and sends ``input`` as a person's typing would. The report's own script is the
product's, unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from enricher.pipeline import run
from enricher.report_html import format_html
from tests.conftest import Apis, FakeClock
from tests.fakes import paper_title
from tests.test_report_html import Page, assert_inert

pytestmark = pytest.mark.browser

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
"""Where a browser is looked for on the PATH, in order, unless ENRICHER_CHROMIUM names one."""

CHROMIUM_TIMEOUT_S = 60
"""The most one Chromium run may take; it takes about a second."""

PWNING_TITLE = (
    "\"'><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
)
"""A page title that closes an attribute, then would retitle the report from a script and from
an image's error handler: if either ran, the browser's title says so."""

_CHROMIUM_SETTING = os.environ.get("ENRICHER_CHROMIUM")
"""Read when the module is imported: the suite scrubs ENRICHER_* before each test (conftest)."""


def find_chromium() -> str | None:
    """The browser to drive: ENRICHER_CHROMIUM's, else the first of ``CHROMIUM_NAMES`` on the
    PATH."""
    if _CHROMIUM_SETTING:
        return shutil.which(_CHROMIUM_SETTING)
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = find_chromium()
    if found is None and _CHROMIUM_SETTING:
        pytest.fail(f"ENRICHER_CHROMIUM={_CHROMIUM_SETTING}: no such executable")
    if found is None:
        pytest.skip(
            f"no Chromium: none of {', '.join(CHROMIUM_NAMES)} is on the PATH and "
            "ENRICHER_CHROMIUM is not set (Debian: apt-get install chromium)"
        )
    return found


def rendered_dom(chromium: str, page: Path, tmp_path: Path, *flags: str) -> str:
    """The DOM of ``page`` as headless Chromium serialises it once loaded and its scripts
    ran (``--virtual-time-budget`` lets them finish before the dump), in a fresh profile."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path)
    command = [
        chromium, "--headless=new",
        "--no-sandbox",  # as root (CI) Chromium refuses its sandbox; the page is our own file
        "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update",
        f"--user-data-dir={profile}", "--virtual-time-budget=2000", *flags,
        "--dump-dom", page.as_uri(),
    ]  # fmt: skip
    # Its own process group: a timeout ends the browser and every helper process it started.
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    ) as process:  # fmt: skip
        try:
            out, err = process.communicate(timeout=CHROMIUM_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"Chromium took over {CHROMIUM_TIMEOUT_S} s on {page}")
    assert process.returncode == 0 and "<html" in out, (process.returncode, err[-3000:])
    return out


# A run over local fakes ---------------------------------------------------------------------


def write_report(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> Path:
    """Two digests checked against the fakes, the report written as ``--html-output`` would:
    a paper, a repository, a page with ``PWNING_TITLE``, a dead page and a moved one; then an
    unknown repository and a fine page."""
    httpserver.expect_request("/evil").respond_with_data(
        f"<!doctype html><html><head><title>{PWNING_TITLE.replace('<', '&lt;')}</title></head>"
        "<body><p>Words enough to be a page.</p></body></html>",
        content_type="text/html; charset=utf-8",
    )
    httpserver.expect_request("/ok").respond_with_data("fine")
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/ok")}
    )
    apis.arxiv.known = {"2401.10774"}
    apis.github.add("QwenLM/Qwen-VL")
    week, later = tmp_path / "week.txt", tmp_path / "later.txt"
    week.write_text(
        "[MEDUSA] https://arxiv.org/abs/2401.10774\n"
        "[Qwen-VL] https://github.com/QwenLM/Qwen-VL\n"
        f"[Evil page] {httpserver.url_for('/evil')}\n"
        f"[Gone page] {httpserver.url_for('/gone')}\n"
        f"[Moved page] {httpserver.url_for('/old')}\n",
        "utf-8",
    )
    later.write_text(
        f"[Lost repo] https://github.com/nobody/lost\n[Fine page] {httpserver.url_for('/ok')}\n",
        "utf-8",
    )
    summary = run(settings_for(week, later, allow_private=True), clocks=clock.clocks())
    report = tmp_path / "report.html"
    report.write_text(format_html(summary), "utf-8")
    return report


LABELS = ("MEDUSA", "Qwen-VL", "Evil page", "Gone page", "Moved page", "Lost repo", "Fine page")
"""The cards, in page order."""


@pytest.fixture
def report(
    httpserver: HTTPServer, apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> Path:
    return write_report(httpserver, apis, tmp_path, settings_for, clock)


_SCRIPT_SRC = re.compile(r"script-src ('|&#39;|&#x27;)(sha256-[A-Za-z0-9+/]+=*)\1")
"""The report's CSP allowing its own script by hash; the quotes may be escaped in the meta."""


def _script_src(html: str, sources: str) -> str:
    """``html`` whose CSP's ``script-src`` says ``sources`` (``{q}`` a quote as the meta writes
    it, ``{own}`` the report's own script's hash)."""

    def new(match: re.Match[str]) -> str:
        return "script-src " + sources.format(q=match[1], own=match[2])

    html, count = _SCRIPT_SRC.subn(new, html)
    assert count == 1, "the report's CSP no longer allows its script by one hash"
    return html


def copy_of(report: Path, name: str, html: str) -> Path:
    """A test copy beside ``report``; the report itself is left as written."""
    copy = report.with_name(f"{report.stem}.{name}.html")
    copy.write_text(html, "utf-8")
    return copy


def add_script(html: str, script: str, *, allowed: bool = True) -> str:
    """``html`` with ``script`` run after the report's own, its hash added to the CSP unless
    ``allowed`` is false."""
    if allowed:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        html = _script_src(html, f"{{q}}{{own}}{{q}} {{q}}sha256-{digest}{{q}}")
    assert html.count("</body>") == 1
    return html.replace("</body>", f"<script>{script}</script>\n</body>")


def card_labels(page: Page, *, hidden: bool) -> list[str]:
    """The labels of the cards with (or without) the ``hidden`` attribute."""
    return [
        " ".join(card.css_first(".label").text().split())
        for card in page.all("article.link")
        if ("hidden" in card.attributes) is hidden
    ]


def tag_counts(page: Page) -> Counter[str]:
    return Counter(node.tag for node in page.elements())


# The tests ----------------------------------------------------------------------------------


def test_the_rendered_page_shows_titles_and_badges_and_a_hostile_title_stays_text(
    chromium: str, report: Path, tmp_path: Path
) -> None:
    """Once Chromium has parsed the page and run its script: every card with its badge and
    title, the filters shown, the hostile title as text, no element the file did not hold,
    and the document's title the report's own."""
    written = Page.of(report.read_text("utf-8"))
    dom = rendered_dom(chromium, report, tmp_path)
    page = Page.of(dom)
    assert card_labels(page, hidden=False) == list(LABELS)
    assert page.texts("article.link .badge") == [
        "ok", "ok", "ok", "broken", "redirected", "broken", "ok",
    ]  # fmt: skip
    assert page.texts("h2") == [str(tmp_path / "week.txt"), str(tmp_path / "later.txt")]
    assert page.texts("header .counts .badge")[:3] == ["ok 4", "redirected 1", "broken 2"]
    assert page.texts(".title") == [" ".join(paper_title("2401.10774").split()), "QwenLM/Qwen-VL", PWNING_TITLE]  # fmt: skip
    # The script ran: the filters are shown and count the cards.
    assert "hidden" not in page.all("form#filters")[0].attributes
    assert page.texts("#shown") == ["7 of 7 links shown"]
    # The hostile title is text: nothing ran, nothing was added.
    assert (
        page.texts("title") == written.texts("title") == ["enricher link report: 7 links, failed"]
    )
    assert "pwned" not in dom.split("</title>", 1)[0]
    assert tag_counts(page) == tag_counts(written)
    assert_inert(dom)  # one script (the report's), no img, no handler, only http(s) hrefs


def test_the_pages_policy_runs_its_own_script_and_nothing_else(
    chromium: str, report: Path, tmp_path: Path
) -> None:
    """The second line of defence, as a browser enforces it: in a copy of the report, an
    inline script not in the CSP and an image's error handler do not run (the document keeps
    its title) while the report's own script does."""
    planted = "document.title = 'pwned by a script'; document.body.dataset.pwned = '1';"
    html = add_script(report.read_text("utf-8"), planted, allowed=False).replace(
        "</main>", "<img src=x onerror=\"document.title='pwned by a handler'\"></main>"
    )
    page = Page.of(rendered_dom(chromium, copy_of(report, "planted", html), tmp_path))
    assert page.texts("title") == ["enricher link report: 7 links, failed"]
    assert "data-pwned" not in page.all("body")[0].attributes
    assert "hidden" not in page.all("form#filters")[0].attributes
    assert page.texts("#shown") == ["7 of 7 links shown"]


def test_without_javascript_every_card_shows_and_the_filters_stay_hidden(
    chromium: str, report: Path, tmp_path: Path
) -> None:
    """A copy whose CSP allows no script (a browser with JavaScript off; Chromium's own switch
    for it also stops ``--dump-dom``): all of it readable, no dead controls."""
    html = _script_src(report.read_text("utf-8"), "{q}none{q}")
    page = Page.of(rendered_dom(chromium, copy_of(report, "no-js", html), tmp_path))
    assert card_labels(page, hidden=False) == list(LABELS)
    assert "hidden" in page.all("form#filters")[0].attributes
    assert page.texts("#shown") == [""]


FILTERS = [
    pytest.param({"status": "broken"}, ["Gone page", "Lost repo"], [], id="status"),
    pytest.param(
        {"status": "not-ok"}, ["Gone page", "Moved page", "Lost repo"], [], id="anything-but-ok"
    ),
    pytest.param({"kind": "github"}, ["Qwen-VL", "Lost repo"], [], id="kind"),
    pytest.param({"status": "ok", "kind": "web"}, ["Evil page", "Fine page"], [], id="both"),
    # The search reads the hostile title as the text it is; the second digest has no match.
    pytest.param({"q": "  PWNED "}, ["Evil page"], [1], id="search"),
    pytest.param({"q": "no such words"}, [], [0, 1], id="nothing"),
]


@pytest.mark.parametrize(("controls", "shown", "hidden_digests"), FILTERS)
def test_filtering_hides_the_cards_and_digests_that_do_not_match(
    chromium: str,
    report: Path,
    tmp_path: Path,
    controls: dict[str, str],
    shown: list[str],
    hidden_digests: list[int],
) -> None:
    """Set the controls as a person would (a value, then an ``input`` event from the
    control), then read which cards and digests carry ``hidden`` and what the counter says."""
    script = (
        "(function () { var set = " + json.dumps(controls) + ";"
        " Object.keys(set).forEach(function (name) {"
        "  var control = document.getElementById('f-' + name); control.value = set[name];"
        "  control.dispatchEvent(new Event('input', {bubbles: true})); }); })();"
    )
    html = add_script(report.read_text("utf-8"), script)
    page = Page.of(rendered_dom(chromium, copy_of(report, "filtered", html), tmp_path))
    assert card_labels(page, hidden=False) == shown
    assert card_labels(page, hidden=True) == [label for label in LABELS if label not in shown]
    assert page.texts("#shown") == [f"{len(shown)} of {len(LABELS)} links shown"]
    sections = page.all("section.digest")
    assert [n for n, s in enumerate(sections) if "hidden" in s.attributes] == hidden_digests
