"""Markdown and HTML digests through the command line: --glob, --base-url, --include-verbatim,
--verbose, records and exit codes, against a real local server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Apis, enricher


def record(folder: Path, stem: str) -> list[dict[str, Any]]:
    path = folder / f"{stem}.enriched.json"
    links: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["links"]
    return links


@pytest.fixture
def formats_site(site: dict[str, str], apis: Apis) -> dict[str, str]:
    """The site's folder (week.txt) plus a Markdown and an HTML digest citing its pages."""
    folder = Path(site["FOLDER"])
    site = {**site, "SERVER": apis.server.url_for("/").rstrip("/")}
    gone = site["SERVER"] + "/gone"
    (folder / "notes.md").write_text(
        "# Week 12\n"  # 1
        "\n"
        "We read [MEDUSA][m] and the [Fine page](ok).\n"  # 3
        f"Write to [us](mailto:editor@example.org); `curl {gone}` is code.\n"  # 4
        "\n"
        "[m]: https://arxiv.org/abs/2401.10774\n",  # 6
        encoding="utf-8",
    )
    (folder / "page.html").write_text(
        "<!doctype html><html><body>\n"  # 1
        '<p>The <a href="old">Moved\n page</a> and <a href="#top">top</a>.</p>\n'  # 2
        f'<pre><a href="{gone}">gone</a></pre>\n'  # 4
        "</body></html>\n",
        encoding="utf-8",
    )
    return site


def test_markdown_and_html_digests_are_checked_with_lines_and_labels(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(formats_site["FOLDER"])
    base = formats_site["SERVER"] + "/"
    args = ["--allow-private", "--glob", "*.md", "--glob", "*.html", "--base-url", base]
    result = enricher(str(folder), *args, cwd=tmp_path, env=formats_site)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (folder / "week.enriched.json").exists()  # week.txt was not globbed
    markdown = record(folder, "notes")
    by_line = {(link["line"], link["label"], link["status"]) for link in markdown}
    assert by_line == {(3, "Fine page", "ok"), (6, "MEDUSA", "ok")}
    html = record(folder, "page")
    assert [(link["line"], link["label"], link["status"]) for link in html] == [
        (2, "Moved page", "redirected")
    ]


def test_without_a_base_url_relative_links_are_skipped_and_shown_with_verbose(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(formats_site["FOLDER"])
    result = enricher(
        str(folder / "notes.md"), "--allow-private", "-v", cwd=tmp_path, env=formats_site
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{folder / 'notes.md'}:3: ok: relative reference; give --base-url" in result.stderr
    assert "mailto:editor@example.org: not a web link (mailto:)" in result.stderr
    assert [link["url"] for link in record(folder, "notes")] == ["https://arxiv.org/abs/2401.10774"]
    quiet = enricher(str(folder / "notes.md"), "--allow-private", cwd=tmp_path, env=formats_site)
    assert "relative reference" not in quiet.stdout + quiet.stderr


def test_include_verbatim_checks_code_and_fails_on_what_it_finds(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(formats_site["FOLDER"])
    digests = [str(folder / "notes.md"), str(folder / "page.html")]
    result = enricher(
        *digests, "--allow-private", "--include-verbatim", cwd=tmp_path, env=formats_site
    )
    assert result.returncode == 1
    assert f"{folder / 'notes.md'}:4: broken:" in result.stdout
    assert f"{folder / 'page.html'}:4: broken: gone " in result.stdout


def test_glob_from_a_config_file_takes_a_list(formats_site: dict[str, str], tmp_path: Path) -> None:
    folder = Path(formats_site["FOLDER"])
    (tmp_path / "enricher.toml").write_text(
        f'paths = ["{folder}"]\nglob = ["*.md", "*.txt"]\nallow-private = true\nformat = "json"\n',
        encoding="utf-8",
    )
    report = json.loads(enricher(cwd=tmp_path, env=formats_site).stdout)
    assert sorted(Path(f["file"]).name for f in report["files"]) == ["notes.md", "week.txt"]


def test_two_digests_that_name_one_record_do_not_overwrite_each_other(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    """week.md beside week.txt: both would write week.enriched.json; the first (in the order
    the folder is read) keeps it and the run says why the other has none (exit 3)."""
    folder = Path(formats_site["FOLDER"])
    (folder / "notes.md").rename(folder / "week.md")
    result = enricher(
        str(folder), "--allow-private", "--glob", "*.txt", "--glob", "*.md",
        cwd=tmp_path, env=formats_site,
    )  # fmt: skip
    assert result.returncode == 3
    assert (
        f"{folder / 'week.txt'}: its record {folder / 'week.enriched.json'} is also "
        f"{folder / 'week.md'}'s; not written" in result.stdout
    )
    written = json.loads((folder / "week.enriched.json").read_text(encoding="utf-8"))
    assert written["source"]["file"] == "week.md"


def test_markdown_and_html_labels_are_matched_against_the_title(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    """A Markdown link's text and an anchor's text are labels: a copy-pasted wrong repository
    is a mismatch, the right one a match, as for link-list labels."""
    folder = Path(formats_site["FOLDER"])
    repo = "https://github.com/QwenLM/Qwen-VL"
    (folder / "labels.md").write_text(f"[Qwen-VL]({repo}) and [Mixtral]({repo})\n")
    (folder / "anchors.html").write_text(f'<a href="{repo}">Mixtral</a>\n')
    args = ["--allow-private", "--glob", "labels.md", "--glob", "anchors.html"]
    result = enricher(str(folder), *args, "--fail-on", "never", cwd=tmp_path, env=formats_site)
    assert result.returncode == 0, result.stdout + result.stderr
    markdown = [(link["label"], link["label_match"]) for link in record(folder, "labels")]
    assert sorted(markdown) == [("Mixtral", "mismatch"), ("Qwen-VL", "match")]
    assert [link["label_match"] for link in record(folder, "anchors")] == ["mismatch"]


def test_no_write_checks_both_digests_of_one_stem_without_complaint(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(formats_site["FOLDER"])
    (folder / "notes.md").rename(folder / "week.md")
    result = enricher(
        str(folder), "--allow-private", "--no-write", "--glob", "*.txt", "--glob", "*.md",
        cwd=tmp_path, env=formats_site,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_a_record_another_digest_beside_it_owns_is_not_overwritten_by_a_later_run(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    """week.md checked one day, week.txt alone the next (pre-commit, --changed-only): the
    second run does not replace week.md's record with week.txt's."""
    folder = Path(formats_site["FOLDER"])
    (folder / "notes.md").rename(folder / "week.md")
    first = enricher(str(folder / "week.md"), "--allow-private", cwd=tmp_path, env=formats_site)
    assert first.returncode == 0, first.stdout
    second = enricher(str(folder / "week.txt"), "--allow-private", cwd=tmp_path, env=formats_site)
    assert second.returncode == 3
    assert f"its record {folder / 'week.enriched.json'} is {folder / 'week.md'}'s" in second.stdout
    written = json.loads((folder / "week.enriched.json").read_text(encoding="utf-8"))
    assert written["source"]["file"] == "week.md"


def test_in_one_run_the_digest_a_record_was_written_for_keeps_it(
    formats_site: dict[str, str], tmp_path: Path
) -> None:
    """week.txt's record exists; week.md joins it in one run: week.txt (its owner) updates it
    and week.md, though first in reading order, is the one not written."""
    folder = Path(formats_site["FOLDER"])
    assert enricher(str(folder), "--allow-private", cwd=tmp_path, env=formats_site).returncode == 0
    (folder / "notes.md").rename(folder / "week.md")
    both = enricher(
        str(folder / "week.md"), str(folder / "week.txt"), "--allow-private",
        cwd=tmp_path, env=formats_site,
    )  # fmt: skip
    assert both.returncode == 3
    assert f"{folder / 'week.md'}: its record" in both.stdout
    assert f"{folder / 'week.txt'}: its record" not in both.stdout
    written = json.loads((folder / "week.enriched.json").read_text(encoding="utf-8"))
    assert written["source"]["file"] == "week.txt"


@pytest.mark.parametrize("written_for", ["", ".", "sub/week.md", "Week.txt"])
def test_a_record_naming_no_other_digest_beside_it_is_replaced(
    formats_site: dict[str, str], tmp_path: Path, written_for: str
) -> None:
    """A record written for nothing usable, or for this very file under another name (a
    symbolic link, or another case on a case-insensitive disk), is this digest's to write."""
    folder = Path(formats_site["FOLDER"])
    (folder / "Week.txt").symlink_to("week.txt")
    (folder / "week.enriched.json").write_text(
        json.dumps({"schema_version": 1, "source": {"file": written_for}, "links": []}),
        encoding="utf-8",
    )
    result = enricher(str(folder / "week.txt"), "--allow-private", cwd=tmp_path, env=formats_site)
    assert result.returncode == 0, result.stdout + result.stderr
    written = json.loads((folder / "week.enriched.json").read_text(encoding="utf-8"))
    assert written["source"]["file"] == "week.txt"
