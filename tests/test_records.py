"""The ``<digest>.enriched.json`` record: its name, its content, and byte-stable output."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from enricher.authorities import describe
from enricher.models import (
    ArxivTarget,
    CheckedLink,
    GithubTarget,
    LinkEntry,
    Metadata,
    Observed,
    Problem,
    Redirect,
    Status,
    Verdict,
)
from enricher.records import build_record, record_name, same_content, to_json
from tests import samples

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "enricher" / "record.schema.json"
GENERATED = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)
OBSERVED = datetime(2026, 11, 21, 17, 30, 5, 123456, tzinfo=timezone.utc)
DIGEST = "002_1ba732e38f5cb936.txt"
DIGEST_BYTES = "大家好\n\n[MEDUSA] https://arxiv.org/abs/2401.10774v2\n".encode()

PAPER = samples.paper(
    abstract="Speculative decoding...",
    comment="code: https://github.com/FasterDecoding/Medusa",
    abs_url="https://arxiv.org/abs/2401.10774v3",
)
REPO = samples.repo(
    pushed_at="2024-01-01T00:00:00Z",
)


def link(
    line: int,
    label: str | None,
    url: str | None,
    kind: str | None,
    verdict: Verdict,
    link_id: str | None = None,
    metadata: Metadata | None = None,
) -> CheckedLink:
    return CheckedLink(LinkEntry(DIGEST, line, label, url), kind, link_id, verdict, metadata)


LINKS = (
    link(
        3, "MEDUSA", "https://arxiv.org/abs/2401.10774v2", "arxiv",
        Verdict(Status.OK, http_status=200, final_url=PAPER.abs_url, checked_at=OBSERVED),
        "2401.10774", describe(ArxivTarget("2401.10774", 2), Observed(PAPER, OBSERVED)),
    ),
    link(
        4, "Qwen-VL", "https://github.com/QwenLM/Qwen-VL", "github",
        Verdict(Status.OK, http_status=200, final_url=REPO.html_url, checked_at=OBSERVED),
        "QwenLM/Qwen-VL", describe(GithubTarget("QwenLM", "Qwen-VL"), Observed(REPO, OBSERVED)),
    ),
    link(
        5, "通义灵码", "https://tongyi.aliyun.com/lingma", "web",
        Verdict(Status.REDIRECTED, "moved permanently (301) to https://lingma.aliyun.com/",
                http_status=200, final_url="https://lingma.aliyun.com/",
                suggested_url="https://lingma.aliyun.com/", checked_at=OBSERVED,
                redirects=(Redirect(301, "https://lingma.aliyun.com/"),)),
    ),
    link(
        6, "Lumiere专题介绍", None, None,
        Verdict(Status.INVALID, "URL is missing: the entry has a title but no URL"),
    ),
    link(
        7, "Ghost", "https://github.com/nobody/nothing", "github",
        Verdict(Status.BROKEN, "no GitHub repository nobody/nothing", http_status=404,
                checked_at=OBSERVED),
        "nobody/nothing", ("github", None),
    ),
    link(
        8, None, "https://arxiv.org/abs/2401.99999", "arxiv",
        Verdict(Status.UNREACHABLE, "arXiv API cannot connect", network_level_failure=True),
        "2401.99999", ("arxiv", None),
    ),
)  # fmt: skip
PROBLEMS = (Problem(DIGEST, 9, "not valid UTF-8 (byte 120); bad bytes replaced"),)


def record(
    links: tuple[CheckedLink, ...] = LINKS,
    generated_at: datetime = GENERATED,
    with_metadata: bool = True,
) -> dict[str, Any]:
    return build_record(DIGEST, DIGEST_BYTES, links, PROBLEMS, generated_at, with_metadata)


@pytest.mark.parametrize(
    ("digest", "expected"),
    [
        ("002_x.txt", "002_x.enriched.json"),
        ("002_1ba732e38f5cb936.txt", "002_1ba732e38f5cb936.enriched.json"),
        ("weekly.2024.01.md", "weekly.2024.01.enriched.json"),
        ("README", "README.enriched.json"),
    ],
    ids=["simple", "sample-name", "inner-dots", "no-extension"],
)
def test_record_name(digest: str, expected: str) -> None:
    """The record sits beside its digest, named after the digest's stem."""
    assert record_name(digest) == expected


def test_to_json_is_readable_utf8_with_two_space_indent_and_final_newline() -> None:
    """CJK stays readable in the file, nesting is two spaces, and the file ends with a newline."""
    text = to_json(record())
    assert "通义灵码" in text
    assert "\\u" not in text
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert '\n  "schema_version": 1,' in text
    assert '\n    "file": "002_1ba732e38f5cb936.txt",' in text
    assert json.loads(text) == record()


def test_output_is_deterministic() -> None:
    """The same facts always give the same bytes, so re-runs leave git quiet."""
    first = to_json(record()).encode("utf-8")
    second = to_json(record(links=tuple(copy.deepcopy(list(LINKS))))).encode("utf-8")
    assert first == second


def test_record_top_level_and_source() -> None:
    """The record names its digest, its hash and size, and when it was generated (UTC, Z)."""
    data = record()
    assert list(data) == [
        "schema_version",
        "source",
        "generated_at",
        "summary",
        "problems",
        "links",
    ]
    assert data["schema_version"] == 1
    assert data["source"]["file"] == DIGEST
    assert data["source"]["bytes"] == len(DIGEST_BYTES)
    assert len(data["source"]["sha256"]) == 64
    assert data["generated_at"] == "2026-11-22T09:00:00Z"
    assert data["problems"] == [{"line": 9, "message": PROBLEMS[0].message}]


def test_summary_counts_every_status_and_the_total() -> None:
    """The summary has the link total and a count for every status, zeros included."""
    summary = record()["summary"]
    assert set(summary) == {"links", *(status.value for status in Status)}
    assert summary == {
        "links": 6, "ok": 2, "redirected": 1, "broken": 1, "blocked": 0, "unreachable": 1,
        "invalid": 1, "skipped": 0,
    }  # fmt: skip


def test_empty_digest_summary_is_all_zero() -> None:
    """A digest without links still gets a complete summary."""
    summary = record(links=())["summary"]
    assert summary["links"] == 0
    assert set(summary) == {"links", *(status.value for status in Status)}
    assert all(count == 0 for count in summary.values())


def test_links_keep_digest_order_and_what_was_written() -> None:
    """Links appear in the given order with line, label and URL as written."""
    links = record()["links"]
    assert [(item["line"], item["label"], item["url"]) for item in links] == [
        (3, "MEDUSA", "https://arxiv.org/abs/2401.10774v2"),
        (4, "Qwen-VL", "https://github.com/QwenLM/Qwen-VL"),
        (5, "通义灵码", "https://tongyi.aliyun.com/lingma"),
        (6, "Lumiere专题介绍", None),
        (7, "Ghost", "https://github.com/nobody/nothing"),
        (8, None, "https://arxiv.org/abs/2401.99999"),
    ]
    reversed_links = record(links=tuple(reversed(LINKS)))["links"]
    assert [item["line"] for item in reversed_links] == [8, 7, 6, 5, 4, 3]


def test_link_fields() -> None:
    """Each link carries its verdict: status, reason, redirects, suggestion, observation time."""
    moved = record()["links"][2]
    assert moved["kind"] == "web"
    assert moved["id"] is None
    assert moved["status"] == "redirected"
    assert moved["suggested_url"] == "https://lingma.aliyun.com/"
    assert moved["redirects"] == [{"status": 301, "url": "https://lingma.aliyun.com/"}]
    assert moved["checked_at"] == "2026-11-21T17:30:05Z"
    unreachable = record()["links"][5]
    assert unreachable["checked_at"] is None


def test_metadata_keys_only_on_their_kind() -> None:
    """``arxiv`` appears only on arXiv links and ``github`` only on GitHub links."""
    for item in record()["links"]:
        assert ("arxiv" in item) == (item["kind"] == "arxiv")
        assert ("github" in item) == (item["kind"] == "github")


def test_arxiv_metadata_cites_the_linked_version() -> None:
    """The arxiv object carries the paper and the version the link cites, next to the latest."""
    paper, missing = record()["links"][0]["arxiv"], record()["links"][5]["arxiv"]
    assert paper["id"] == "2401.10774"
    assert paper["version"] == 2
    assert paper["latest_version"] == 3
    assert paper["authors"] == ["Tianle Cai", "Yuhong Li"]
    assert paper["categories"] == ["cs.LG", "cs.CL"]
    assert missing is None


def test_github_metadata() -> None:
    """The github object carries the repository's metadata; a missing repository gives null."""
    repo, missing = record()["links"][1]["github"], record()["links"][4]["github"]
    assert repo["full_name"] == "QwenLM/Qwen-VL"
    assert repo["stars"] == 5000
    assert repo["topics"] == ["llm", "vision"]
    assert missing is None


def test_check_only_records_have_no_metadata() -> None:
    """Without metadata, no link has an ``arxiv`` or ``github`` key."""
    for item in record(with_metadata=False)["links"]:
        assert "arxiv" not in item and "github" not in item


def test_same_content_ignores_generated_at() -> None:
    """A record differing only in generation time is the same, so the file is not rewritten."""
    old = to_json(record(generated_at=GENERATED - timedelta(days=3)))
    assert same_content(old, record())


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["links"][0].update(status="broken"),
        lambda r: r["links"][2].update(checked_at="2026-11-22T08:00:00Z"),
        lambda r: r["summary"].update(ok=1),
        lambda r: r["source"].update(sha256="0" * 64),
        lambda r: r["problems"].clear(),
        lambda r: r["links"].pop(),
        lambda r: r["links"][1]["github"].update(stars=5001),
        lambda r: r.update(schema_version=2),
    ],
    ids=[
        "status", "checked-at", "summary", "source-hash", "problems", "fewer-links",
        "metadata", "schema-version",
    ],
)  # fmt: skip
def test_same_content_detects_any_other_change(change: Any) -> None:
    """Any change but generated_at means the record must be rewritten."""
    old = record()
    change(old)
    assert not same_content(to_json(old), record())


@pytest.mark.parametrize(
    "old_text",
    ["", "not json", "[1, 2]", "null"],
    ids=["empty", "garbage", "json-list", "json-null"],
)
def test_same_content_with_unusable_old_file_is_different(old_text: str) -> None:
    """An unreadable existing record is replaced, never trusted."""
    assert not same_content(old_text, record())


def test_changed_verdict_changes_the_bytes() -> None:
    """A different verdict for one link is visible in the output."""
    changed = list(LINKS)
    changed[1] = replace(changed[1], verdict=replace(changed[1].verdict, status=Status.BLOCKED))
    assert to_json(record(links=tuple(changed))) != to_json(record())


def test_record_validates_against_json_schema() -> None:
    """Records match the published JSON Schema, with and without metadata."""
    if not SCHEMA_PATH.is_file():
        pytest.skip("enricher/record.schema.json is not written yet")
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    for data in (record(), record(with_metadata=False), record(links=())):
        errors = sorted(validator.iter_errors(json.loads(to_json(data))), key=str)
        assert errors == []
