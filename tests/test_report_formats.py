"""Every report format from one fixed run: golden files, XML parsed back, GitHub escaping.

Regenerate the golden files after a deliberate change with ``ENRICHER_UPDATE_GOLDEN=1 pytest``
and review the diff.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path, PurePath

import pytest

from enricher.models import (
    Change,
    CheckedLink,
    DigestResult,
    LabelMatch,
    LinkEntry,
    LinkState,
    Problem,
    RunSummary,
    Snapshot,
    Status,
    Verdict,
)
from enricher.report import (
    FORMATTERS,
    escape_data,
    escape_property,
    format_github,
    format_json,
    format_junit,
    format_markdown,
    in_workspace,
)

GOLDEN = Path(__file__).parent / "golden"
WEEK = "digests/第12周, notes:v2.txt"  # a path with CJK, a comma and a colon
OTHER = "digests/quiet.txt"


def link(path: str, line: int, label: str | None, url: str | None, status: Status,
         reason: str | None = None, **verdict: object) -> CheckedLink:  # fmt: skip
    return CheckedLink(
        LinkEntry(path, line, label, url), "web", None,
        Verdict(status, reason, **verdict),  # type: ignore[arg-type]
    )  # fmt: skip


SEEN = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def failing(times: int, status: Status, since: datetime = SEEN) -> LinkState:
    """A history with ``times`` failing checks in a row since ``since``."""
    return LinkState(SEEN, since, status, None, since, times, True)


def fixed_summary() -> RunSummary:
    """One run of everything: every status, ``--fail-after 2``, a link newly broken (its first
    failing check: spared), one still failing (its third), one recovered."""
    week = (
        link(WEEK, 3, "MEDUSA", "https://arxiv.org/abs/2401.10774", Status.OK),
        link(WEEK, 4, "大模型综述", "https://example.org/a%20b,c:d?q=1,2", Status.BROKEN,
             "not found (404)", http_status=404),
        link(WEEK, 5, "Moved | page", "http://example.org/old", Status.REDIRECTED,
             "moved permanently (301)", http_status=301,
             suggested_url="https://example.org/new"),
        link(WEEK, 6, "Bot wall", "https://blocked.example/", Status.BLOCKED, "forbidden (403)"),
        link(WEEK, 7, "Lumiere专题介绍", None, Status.INVALID, "URL is missing\nafter the title"),
        link(WEEK, 8, None, "http://127.0.0.1:8080/x", Status.SKIPPED, "private address"),
        link(WEEK, 9, "Flaky", "https://down.example/", Status.UNREACHABLE, "timed out"),
        link(WEEK, 10, "Vec<T> & <think>", "https://example.org/b|c", Status.BROKEN, "gone (410)"),
    )  # fmt: skip
    week = (
        replace(week[0], history=LinkState(SEEN, SEEN, Status.OK, SEEN), change=Change.RECOVERED),
        replace(
            week[1],
            history=failing(1, Status.BROKEN),
            change=Change.NEWLY_FAILING,
            archive=Snapshot(
                "https://web.archive.org/web/20251101120000/https://example.org/a%20b,c:d?q=1,2",
                datetime(2025, 11, 1, 12, 0, tzinfo=timezone.utc),
            ),
        ),
        *week[2:6],
        replace(week[6], history=failing(2, Status.UNREACHABLE)),
        replace(week[7], history=failing(3, Status.BROKEN), change=Change.STILL_FAILING),
    )
    other = (
        link(OTHER, 2, "Fine", "https://example.com/", Status.OK),
        # A label that names another paper than the one linked: a warning, whatever its status.
        replace(link(OTHER, 3, "MEDUSA", "https://arxiv.org/abs/1706.03762", Status.OK),
                metadata=("arxiv", {"title": "Attention Is All You Need"}),
                label_match=LabelMatch.MISMATCH),
    )  # fmt: skip
    counts = {status: 0 for status in Status}
    for item in week + other:
        counts[item.verdict.status] += 1
    return RunSummary(
        digests=(
            DigestResult(WEEK, WEEK.replace(".txt", ".enriched.json"), week,
                         (Problem(WEEK, 2, "line 2: undecodable bytes replaced"),), True),
            DigestResult(OTHER, "digests/quiet.enriched.json", other, (), False),
        ),
        counts=counts,
        problems=(Problem(WEEK, 2, "line 2: undecodable bytes replaced"),),
        exit_code=1,
        requests={"web": 6, "arxiv": 1},
        refusals={"slow.example.org": 2},
        errors=("cache/enricher.sqlite3: cannot write: disk full",),
        started_at=datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc),
        duration_s=1.25,
        fail_after=2,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(FORMATTERS))
def test_every_format_matches_its_golden_file(name: str) -> None:
    output = FORMATTERS[name](fixed_summary())
    golden = GOLDEN / f"report.{name}"
    if os.environ.get("ENRICHER_UPDATE_GOLDEN"):
        golden.write_text(output, encoding="utf-8")
    assert output == golden.read_text(encoding="utf-8")


def test_github_escapes_what_the_runner_would_misread() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    lines = FORMATTERS["github"](fixed_summary()).splitlines()
    broken = next(line for line in lines if "line=10," in line)
    assert broken.startswith(
        "::error file=digests/第12周%2C notes%3Av2.txt,line=10,title=broken link::"
    )
    assert broken.endswith("https://example.org/b|c: gone (410) (3 failing checks in a row)")
    # Newly broken comes first, and as a warning: --fail-after 2 spares its first failure.
    newly = next(line for line in lines if "title=" in line and "link" in line)
    assert newly.startswith(
        "::warning file=digests/第12周%2C notes%3Av2.txt,line=4,title=newly broken link::"
    )
    assert newly.endswith("https://example.org/a%2520b,c:d?q=1,2: not found (404); archived "
                          "copy at https://web.archive.org/web/20251101120000/https://example.org"
                          "/a%2520b,c:d?q=1,2 (1 failing check in a row; fails the run at 2)")  # fmt: skip
    assert "URL is missing%0Aafter the title" in next(x for x in lines if "line=7," in x)
    kinds = [line.split(" ", 1)[0] for line in lines if "title=" in line and "link" in line]
    assert kinds == ["::warning", "::warning", "::warning", "::error", "::warning", "::error",
                     "::warning"]  # the last: the label mismatch  # fmt: skip
    assert lines[0] == "::error::enricher: cache/enricher.sqlite3: cannot write: disk full"
    assert not any("line=8," in line for line in lines)  # skipped: no annotation


def test_junit_parses_back_with_the_right_counts() -> None:
    root = ET.fromstring(FORMATTERS["junit"](fixed_summary()).encode("utf-8"))
    assert root.tag == "testsuites"
    totals = [root.get(k) for k in ("tests", "failures", "skipped", "errors")]
    # 9 links and the run error; line 4 is broken but spared by --fail-after 2: no failure
    assert totals == ["11", "2", "1", "1"]
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [WEEK, OTHER, "enricher run"]
    for key in ("tests", "failures", "skipped", "errors"):  # the suites add up to the total
        assert sum(int(s.get(key) or 0) for s in suites) == int(root.get(key) or 0)
    assert all(case.get("time") == "0.000" for case in root.iter("testcase"))
    failing = [c.get("line") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failing == ["7", "10"]  # line 4 is spared by --fail-after 2
    spared = next(c for c in root.iter("testcase") if c.get("line") == "4")
    assert spared.get("name") == "line 4: 大模型综述"
    assert "fails the run at 2" in (spared.findtext("system-out") or "")
    broken = next(c for c in root.iter("testcase") if c.get("line") == "10")
    assert broken.find("failure").get("type") == "broken"  # type: ignore[union-attr]


def test_json_report_has_per_file_totals_and_timing() -> None:
    report = json.loads(FORMATTERS["json"](fixed_summary()))
    assert report["duration_s"] == 1.25 and report["started_at"] == "2026-11-22T09:00:00Z"
    assert [f["totals"]["links"] for f in report["files"]] == [8, 2]
    assert len(report["links"]) == 8  # every link that is not ok, and the mismatched one


def test_markdown_tables_survive_pipes_and_newlines() -> None:
    text = FORMATTERS["markdown"](fixed_summary())
    assert "| 5 | Moved \\| page | <http://example.org/old> | redirected |" in text
    assert "URL is missing after the title" in text
    table_rows = [line for line in text.splitlines() if line.startswith("| 4 ")]
    assert table_rows[0].count(" | ") == 6  # seven cells, none split by the URL's commas
    assert "| 10 | Vec&lt;T&gt; &amp; &lt;think&gt; | <https://example.org/b%7Cc> |" in text


def test_junit_stays_valid_xml_with_control_characters_in_labels() -> None:
    bad = link(OTHER, 3, "ESC\x1b[31m red\x01", "https://gone.example/", Status.BROKEN, "gone")
    summary = fixed_summary()
    digest = summary.digests[1]
    summary = replace(
        summary, digests=(summary.digests[0], replace(digest, links=(*digest.links, bad)))
    )
    root = ET.fromstring(FORMATTERS["junit"](summary).encode("utf-8"))
    names = [case.get("name") for case in root.iter("testcase")]
    assert "line 3: ESC\ufffd[31m red\ufffd" in names


def test_a_label_mismatch_fails_the_run_only_under_fail_on_mismatch() -> None:
    """``--fail-on broken,mismatch``: the mismatched link becomes an error annotation and a
    junit failure of type ``mismatch``; the policy names it."""
    summary = replace(fixed_summary(), fail_on=frozenset({Status.BROKEN, LabelMatch.MISMATCH}))
    github = format_github(summary)
    assert "::error file=digests/quiet.txt,line=3,title=label mismatch::MEDUSA" in github
    suites = ET.fromstring(format_junit(summary))
    failure = suites.find(".//testcase[@line='3'][@classname='digests/quiet.txt']/failure")
    assert failure is not None and failure.get("type") == "mismatch"
    assert json.loads(format_json(summary))["fail_on"] == ["broken", "mismatch"]
    assert "(fail on: broken, mismatch)" in format_markdown(summary)


def test_a_page_title_quoted_in_markdown_stays_text() -> None:
    """A reason quotes a page's title: anyone's text. In a PR comment it must not become a
    link, an image, emphasis or a team mention, nor carry terminal escapes."""
    hostile = "soft 404: the page's title says “[click](https://evil.example) ![x](y) *hi* @org/team \x1b[31m”"
    summary = fixed_summary()
    week = summary.digests[0]
    bad = replace(week.links[1], verdict=replace(week.links[1].verdict, reason=hostile))
    summary = replace(summary, digests=(replace(week, links=(bad, *week.links[2:])),
                                        *summary.digests[1:]))  # fmt: skip
    text = format_markdown(summary)
    assert "[click](" not in text and "![x](" not in text and "*hi*" not in text
    assert "\\[click\\](https://evil.example)" in text and "\\*hi\\*" in text
    assert "@org/team" not in text and "@&#8203;org/team" in text
    assert "\x1b" not in text and "\\\\x1b" in text


def test_a_url_quoted_in_a_markdown_reason_stays_a_working_link() -> None:
    """Escaping a title's Markdown must not break a URL in a reason: Medium's ``/@user/`` and
    ``_`` in paths are everywhere in AI digests."""
    moved = "moved permanently (301) to https://medium.com/@user_x/new_post~2"
    summary = fixed_summary()
    week = summary.digests[0]
    link = replace(week.links[2], verdict=replace(week.links[2].verdict, reason=moved))
    summary = replace(summary, digests=(replace(week, links=(*week.links[:2], link,
                                                             *week.links[3:])),
                                        *summary.digests[1:]))  # fmt: skip
    assert "to https://medium.com/@user_x/new_post~2 |" in format_markdown(summary)


@pytest.mark.parametrize(
    ("path", "cwd", "expected"),
    [
        pytest.param(
            "../digests/week.txt", "/repo/tools", "digests/week.txt", id="from-a-subfolder"
        ),
        pytest.param("/repo/digests/week.txt", "/elsewhere", "digests/week.txt", id="absolute"),
        pytest.param("week.txt", "/repo/digests", "digests/week.txt", id="inside"),
        pytest.param("/tmp/week.txt", "/repo", "/tmp/week.txt", id="outside-the-workspace"),
    ],
)
def test_annotations_name_files_from_the_repository_root(
    path: str, cwd: str, expected: str
) -> None:
    """GitHub reads an annotation's ``file=`` from the repository's root
    (``GITHUB_WORKSPACE``): a run from a subfolder, or given absolute paths, still lands its
    annotations on the digest's lines."""
    assert in_workspace(path, PurePath(cwd), PurePath("/repo")) == expected
    assert in_workspace(path, PurePath(cwd), None) == path
