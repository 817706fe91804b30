"""Hostile input and paths: odd encodings, binary files, huge digests, bad URLs, symlink loops,
unreadable files, digests changing under the run and records that cannot be written.

Every run here is offline: web links go to respx routes (``WebRecorder``) or to 127.0.0.1
(``skipped`` as private, so nothing is sent), and no test needs the arXiv or GitHub fakes.
"""

from __future__ import annotations

import codecs
import errno
import hashlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from enricher.authorities import classify
from enricher.config import DEFAULT_MAX_DIGEST_BYTES, DEFAULT_MAX_LINKS, Settings
from enricher.digest import decode_digest, parse_digest
from enricher.formats import parse_any
from enricher.models import RunSummary, Status, WebTarget
from enricher.pipeline import run
from tests.conftest import FakeClock, WebRecorder
from tests.conftest import enricher as enricher_cli

MIB = 1024 * 1024

LOCAL_LINK = "http://127.0.0.1:9/page"
"""A link that is `skipped` as private: a run over it sends nothing."""

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)
"""A real 1x1 PNG: what a stray image matched by ``--glob '*'`` looks like."""


def settings(*paths: Path, **changes: Any) -> Settings:
    """A run over ``paths`` without cache or API endpoints (nothing here asks an API)."""
    return replace(Settings(paths=tuple(str(p) for p in paths), use_cache=False), **changes)


def check(*paths: Path, web: WebRecorder | None = None, **changes: Any) -> RunSummary:
    """Run in process with a fixed clock and a stand-in web."""
    transport = (web or WebRecorder()).transport()
    return run(settings(*paths, **changes), clocks=FakeClock().clocks(), web_transport=transport)


def record_of(digest: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        digest.with_name(digest.stem + ".enriched.json").read_text(encoding="utf-8")
    )
    return data


def record_path(digest: Path) -> Path:
    return digest.with_name(digest.stem + ".enriched.json")


def problems_of(summary: RunSummary) -> list[str]:
    return [str(problem) for problem in summary.problems]


# --- encodings -------------------------------------------------------------------------------

DIGEST_TEXT = "周报 prose\r\n\r\n[A] https://a.example/1\r\nmore prose\r\n[B] https://b.example/2\r\n"


@pytest.mark.parametrize(
    "encoding", ["utf-16-le", "utf-16-be", "utf-32-le"], ids=["le", "be", "utf-32"]
)
def test_utf16_digest_with_bom_gives_correct_lines(encoding: str) -> None:
    """UTF-16/32 with a byte-order mark decodes to the same links on the same (CRLF) lines."""
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(
        encoding, codecs.BOM_UTF32_LE
    )
    text, problems = decode_digest(bom + DIGEST_TEXT.encode(encoding), "d.txt")
    assert problems == ()
    entries = parse_digest(text, "d.txt").entries
    assert [(e.line, e.label, e.url) for e in entries] == [
        (3, "A", "https://a.example/1"),
        (5, "B", "https://b.example/2"),
    ]


def test_utf16_digest_gets_a_record_with_its_lines(tmp_path: Path) -> None:
    """A UTF-16 digest is checked end to end; the record hashes its original bytes."""
    digest = tmp_path / "utf16.txt"
    data = codecs.BOM_UTF16_LE + DIGEST_TEXT.encode("utf-16-le")
    digest.write_bytes(data)
    summary = check(digest)
    record = record_of(digest)
    assert [(link["line"], link["status"]) for link in record["links"]] == [(3, "ok"), (5, "ok")]
    assert record["source"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert summary.problems == () and summary.exit_code == 0


@pytest.mark.parametrize(
    "data",
    [PNG, random.Random(5).randbytes(4096), b"[A] https://a.example/\x00\n" * 3],
    ids=["png", "random-bytes", "text-with-nul"],
)
def test_binary_file_is_one_problem_and_no_links(tmp_path: Path, data: bytes) -> None:
    """A binary file gives one clear per-file problem, no links and no record; others go on."""
    (tmp_path / "image.txt").write_bytes(data)
    (tmp_path / "good.txt").write_text("[A] https://a.example/\n", encoding="utf-8")
    summary = check(tmp_path)
    assert problems_of(summary) == [
        f"{tmp_path / 'image.txt'}:1: binary file (NUL bytes), not a digest; not checked"
    ]
    assert not record_path(tmp_path / "image.txt").exists()
    assert record_of(tmp_path / "good.txt")["summary"]["ok"] == 1
    assert summary.total_links == 1
    assert summary.exit_code == 0  # not a digest: nothing failed, nothing left undone


def test_utf16_without_bom_is_binary_with_a_hint() -> None:
    """UTF-16 without a byte-order mark cannot be told apart safely: it says so and how to fix it."""
    _, problems = decode_digest(DIGEST_TEXT.encode("utf-16-le"), "d.txt")
    assert [p.message for p in problems] == [
        "binary file (NUL bytes; UTF-16 without a byte-order mark? save it as UTF-8), "
        "not a digest; not checked"
    ]


def test_latin1_digest_is_reported_at_its_line_and_still_checked(tmp_path: Path) -> None:
    """Latin-1 bytes give one problem at their line; every link is still checked."""
    digest = tmp_path / "latin1.txt"
    digest.write_bytes("Café news\n\n[A] https://a.example/\nDéjà vu\n".encode("latin-1"))
    summary = check(digest)
    assert problems_of(summary) == [
        f"{digest}:1: not valid UTF-8 (byte 3); bad bytes replaced"
    ]
    assert [link["status"] for link in record_of(digest)["links"]] == ["ok"]


def test_truncated_utf16_is_reported_at_its_line() -> None:
    """A UTF-16 file cut in the middle of a character: one problem at that line, links kept."""
    data = codecs.BOM_UTF16_LE + DIGEST_TEXT.encode("utf-16-le") + "x".encode("utf-16-le")[:1]
    text, problems = decode_digest(data, "d.txt")
    assert [(p.line, p.message) for p in problems] == [
        (6, f"not valid UTF-16 (byte {len(data) - 1}); bad bytes replaced")
    ]
    assert len(parse_digest(text, "d.txt").entries) == 2


def test_empty_digest_gives_an_empty_record(tmp_path: Path) -> None:
    """An empty file is a digest without links: a record with none, no problem, exit 0."""
    digest = tmp_path / "empty.txt"
    digest.write_bytes(b"")
    summary = check(digest)
    assert summary.exit_code == 0 and summary.problems == ()
    assert record_of(digest)["links"] == []


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x9b"])
def test_control_character_in_url_is_invalid_naming_it(char: str) -> None:
    """A control character makes a URL invalid, and the reason names the code point."""
    target = classify(f"https://a.example/x{char}y")
    assert getattr(target, "reason", None) == (
        f"not a URL: contains a control character U+{ord(char):04X}"
    )


def test_control_character_in_digest_url_gives_invalid_link(tmp_path: Path) -> None:
    """In a digest, the link is `invalid` with that reason; the run fails the policy (exit 1)."""
    digest = tmp_path / "bell.txt"
    digest.write_bytes(b"[Bell] https://a.example/x\x07y\n[Fine] https://a.example/ok\n")
    web = WebRecorder()
    summary = check(digest, web=web)
    links = record_of(digest)["links"]
    assert [(link["status"], link["reason"]) for link in links] == [
        ("invalid", "not a URL: contains a control character U+0007"),
        ("ok", None),
    ]
    assert web.urls == ["https://a.example/ok"]
    assert summary.exit_code == 1


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u3000"], ids=["space", "nbsp", "ideographic"])
def test_url_with_space_is_invalid(space: str) -> None:
    """Whitespace inside a URL makes it `invalid` (a digest's bare URL ends at whitespace)."""
    target = classify(f"https://a.example/x{space}y")
    assert getattr(target, "reason", None) == "not a URL: contains whitespace"


def test_idn_hosts_are_web_links_requested_in_punycode(tmp_path: Path) -> None:
    """IDN hosts keep their URL as written in the record and reach the server in punycode."""
    digest = tmp_path / "idn.txt"
    digest.write_text(
        "[Bücher] https://bücher.example/straße\n[例子] https://例子.测试/路径?q=1\n",
        encoding="utf-8",
    )
    web = WebRecorder()
    summary = check(digest, web=web)
    links = record_of(digest)["links"]
    assert [(link["url"], link["kind"], link["status"]) for link in links] == [
        ("https://bücher.example/straße", "web", "ok"),
        ("https://例子.测试/路径?q=1", "web", "ok"),
    ]
    assert sorted(web.urls) == [
        "https://xn--bcher-kva.example/stra%C3%9Fe",
        "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=1",
    ]
    assert summary.exit_code == 0


def test_idn_host_classifies_as_web_target() -> None:
    """The classifier keeps the Unicode host (lower-cased) and leaves the path alone."""
    assert classify("https://BÜCHER.example/Straße") == WebTarget(
        "https://bücher.example/Straße", "bücher.example"
    )


def test_percent_escapes_are_kept_as_written(tmp_path: Path) -> None:
    """``%20``, ``%2F`` and ``%E4%BD%A0`` reach the server and the record unchanged."""
    url = "https://a.example/a%20b/c%2Fd?q=%E4%BD%A0&r=%25"
    digest = tmp_path / "pct.txt"
    digest.write_text(f"[Pct] {url}\n", encoding="utf-8")
    web = WebRecorder()
    check(digest, web=web)
    assert web.urls == [url]
    assert record_of(digest)["links"][0]["url"] == url


def test_long_query_up_to_the_limit_is_checked(tmp_path: Path) -> None:
    """A URL of exactly --max-url-length characters is checked with its whole query."""
    base = "https://a.example/search?q="
    url = base + "x" * (8192 - len(base))
    digest = tmp_path / "long.txt"
    digest.write_text(f"[Long] {url}\n", encoding="utf-8")
    web = WebRecorder()
    check(digest, web=web)
    assert web.urls == [url]
    assert record_of(digest)["links"][0]["status"] == "ok"


def test_url_over_the_length_limit_is_invalid(tmp_path: Path) -> None:
    """One character over --max-url-length: `invalid`, the reason gives length and limit."""
    url = "https://a.example/search?q=" + "x" * 9000
    digest = tmp_path / "long.txt"
    digest.write_text(f"[Long] {url}\n[Short] https://a.example/\n", encoding="utf-8")
    web = WebRecorder()
    check(digest, web=web)
    link = record_of(digest)["links"][0]
    assert (link["status"], link["reason"]) == (
        "invalid",
        f"URL is {len(url)} characters long, over the limit of 8192 (--max-url-length)",
    )
    assert web.urls == ["https://a.example/"]


def test_max_url_length_setting_is_used(tmp_path: Path) -> None:
    """--max-url-length 30 makes a 31-character URL invalid."""
    digest = tmp_path / "d.txt"
    url = "https://a.example/1234567890123"
    assert len(url) == 31
    digest.write_text(f"[A] {url}\n", encoding="utf-8")
    check(digest, max_url_length=30)
    assert record_of(digest)["links"][0]["reason"] == (
        "URL is 31 characters long, over the limit of 30 (--max-url-length)"
    )


# --- limits ----------------------------------------------------------------------------------


def test_digest_over_size_limit_is_a_problem_and_keeps_its_record(tmp_path: Path) -> None:
    """A 20 MB digest is not checked: one problem at line 1, its old record kept, exit 3."""
    huge = tmp_path / "huge.txt"
    line = f"[Local] {LOCAL_LINK}\n".encode()
    huge.write_bytes(line * (20 * MIB // len(line) + 1))
    old_record = b'{"old": "record"}\n'
    record_path(huge).write_bytes(old_record)
    small = tmp_path / "small.txt"
    small.write_text("[A] https://a.example/\n", encoding="utf-8")

    tracemalloc.start()
    try:
        summary = check(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert problems_of(summary) == [
        f"{huge}:1: file is 20 MiB, over the 10 MiB limit (--max-digest-size); not checked"
    ]
    assert record_path(huge).read_bytes() == old_record
    assert record_of(small)["summary"]["ok"] == 1
    assert summary.exit_code == 3
    assert [error for error in summary.errors if str(huge) in error]
    assert peak < DEFAULT_MAX_DIGEST_BYTES + 4 * MIB  # read up to the limit, never all 20 MB


def test_digest_size_limit_setting_is_used(tmp_path: Path) -> None:
    """--max-digest-size 1k stops a 2 KB digest; the message gives both sizes."""
    digest = tmp_path / "d.txt"
    digest.write_bytes(b"x" * 2048)
    summary = check(digest, max_digest_bytes=1024)
    assert problems_of(summary) == [
        f"{digest}:1: file is 2 KiB, over the 1 KiB limit (--max-digest-size); not checked"
    ]


def test_one_byte_over_the_size_limit_gives_exact_sizes(tmp_path: Path) -> None:
    """When rounding would show the same size twice, the message gives exact bytes."""
    digest = tmp_path / "d.txt"
    digest.write_bytes(b"x" * (MIB + 1))
    summary = check(digest, max_digest_bytes=MIB)
    assert problems_of(summary) == [
        f"{digest}:1: file is {MIB + 1} bytes, over the {MIB}-byte limit (--max-digest-size); "
        "not checked"
    ]


def test_digest_of_exactly_the_size_limit_is_checked(tmp_path: Path) -> None:
    """The limit is inclusive: a digest of exactly --max-digest-size bytes is checked."""
    digest = tmp_path / "d.txt"
    body = b"[A] https://a.example/\n"
    digest.write_bytes(body + b"x" * (1024 - len(body)))
    summary = check(digest, max_digest_bytes=1024)
    assert summary.problems == () and summary.counts[Status.OK] == 1


def test_100000_links_check_the_first_10000_with_one_problem(tmp_path: Path) -> None:
    """Past --max-links the rest are left out, with one problem at the first left out; fast."""
    digest = tmp_path / "many.txt"
    digest.write_text(
        "".join(f"[L{n}] http://127.0.0.1:9/{n}\n" for n in range(100_000)), encoding="utf-8"
    )
    began = time.monotonic()
    summary = check(digest)
    elapsed = time.monotonic() - began
    assert summary.total_links == DEFAULT_MAX_LINKS
    assert summary.counts[Status.SKIPPED] == DEFAULT_MAX_LINKS
    assert problems_of(summary) == [
        f"{digest}:10001: 100000 links in this digest; only the first 10000 are checked "
        "(--max-links)"
    ]
    record = record_of(digest)
    assert len(record["links"]) == DEFAULT_MAX_LINKS and record["problems"][0]["line"] == 10001
    assert summary.exit_code == 0
    assert elapsed < 10, f"100,000-link digest took {elapsed:.1f} s"


PATHOLOGICAL_LINES = {
    "url-then-a-million-closing-parens": "see https://a.example/" + ")" * 1_000_000,
    "url-then-a-million-dots": "see https://a.example/" + "." * 1_000_000,
    "forty-thousand-markdown-links-on-one-line": "[a](https://a.example/x) " * 40_000,
    "a-million-open-brackets": "[" * 1_000_000,
    "unclosed-markdown-title": "[a](" + "x" * 500_000 + ' "' + "y" * 500_000,
}
"""One-line digests of about a megabyte that made the parser quadratic (hours) or could."""


@pytest.mark.parametrize("text", PATHOLOGICAL_LINES.values(), ids=PATHOLOGICAL_LINES.keys())
def test_pathological_lines_parse_in_linear_time(text: str) -> None:
    """A megabyte-long hostile line parses in well under a second, not in hours."""
    began = time.monotonic()
    parse_digest(text, "d.txt")
    assert time.monotonic() - began < 3.0


PATHOLOGICAL_BY_FORMAT = {
    "urls-glued-by-stray-brackets.md": "https://a.example/]" * 40_000,
    "urls-glued-by-stray-brackets.html": "https://a.example/]" * 40_000,
    "url-then-underscores.md": "see https://a.example/" + "_" * 150_000,
    "non-web-schemes-on-one-line.md": "a://" * 60_000,
    "one-line-list-item-of-urls.md": "- [x] " + "word https://p.example/ " * 40_000,
    "links-deep-in-spans.html": "<span>" * 100_000 + "<a href=https://a.example/>x</a>\n" * 6_000,
    "links-in-nested-code.html": "<code>" * 50_000 + "<a href=https://a.example/>x</a>\n" * 5_000,
}
"""Markdown and HTML digests of about a megabyte that made a reader quadratic (minutes to
hours before the fix; about a second now)."""


@pytest.mark.parametrize("name", PATHOLOGICAL_BY_FORMAT)
def test_pathological_markdown_and_html_parse_in_linear_time(name: str) -> None:
    began = time.monotonic()
    parse_any(PATHOLOGICAL_BY_FORMAT[name], name)
    assert time.monotonic() - began < 20.0


def test_url_duplicated_thousands_of_times_costs_one_request(tmp_path: Path) -> None:
    """5,000 copies of one URL (and its fragment variants) are one request, 5,000 verdicts."""
    digest = tmp_path / "dup.txt"
    digest.write_text(
        "".join(f"[Copy {n}] https://dup.example/page#s{n % 3}\n" for n in range(5000)),
        encoding="utf-8",
    )
    web = WebRecorder()
    summary = check(digest, web=web)
    assert web.urls == ["https://dup.example/page"]
    assert summary.counts[Status.OK] == 5000


# --- paths -----------------------------------------------------------------------------------


def test_symlink_loops_finish_with_recursive_glob(tmp_path: Path) -> None:
    """Folder loops are not followed for ever; a looping `*.txt` link is an error naming it."""
    folder = tmp_path / "digests"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "d.txt").write_text("[A] https://a.example/\n", encoding="utf-8")
    (folder / "a" / "up").symlink_to("..")  # a/up/a/up/a/... for ever, if followed
    (folder / "self").symlink_to("self")
    (folder / "loop.txt").symlink_to("loop.txt")
    summary = check(folder, glob="**/*.txt")
    assert record_of(folder / "a" / "d.txt")["summary"]["ok"] == 1
    assert summary.errors == (f"{folder / 'loop.txt'}: cannot read: symbolic link loop",)
    assert summary.exit_code == 3


def test_symlink_loop_cli_run_has_no_traceback(tmp_path: Path) -> None:
    """The same loops through the command line: a clear error line, exit 3, no traceback."""
    folder = tmp_path / "digests"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "d.txt").write_text(f"[L] {LOCAL_LINK}\n", encoding="utf-8")
    (folder / "a" / "up").symlink_to("..")
    (folder / "loop.txt").symlink_to("loop.txt")
    done = cli(folder, "--glob", "**/*.txt", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "loop.txt: cannot read: symbolic link loop" in done.stderr + done.stdout
    assert record_path(folder / "a" / "d.txt").is_file()


def test_unreadable_files_are_errors_naming_them_and_the_rest_go_on(tmp_path: Path) -> None:
    """A dangling symlink and a FIFO named like digests: one error each, exit 3, no hang."""
    (tmp_path / "gone.txt").symlink_to("nowhere.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "folder.txt").mkdir()  # a folder matching the glob is not a digest: passed over
    (tmp_path / "good.txt").write_text("[A] https://a.example/\n", encoding="utf-8")
    summary = check(tmp_path)
    assert sorted(summary.errors) == [
        f"{tmp_path / 'gone.txt'}: cannot read: broken symbolic link "
        "(to nowhere.txt, which does not exist)",
        f"{tmp_path / 'pipe.txt'}: cannot read: not a regular file",
    ]
    assert record_of(tmp_path / "good.txt")["summary"]["ok"] == 1
    assert summary.exit_code == 3


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_permission_denied_file_is_an_error_naming_it(tmp_path: Path) -> None:
    """A digest without read permission is an error naming it; the others are checked."""
    secret = tmp_path / "secret.txt"
    secret.write_text("[A] https://a.example/\n", encoding="utf-8")
    secret.chmod(0)
    (tmp_path / "good.txt").write_text("[A] https://a.example/\n", encoding="utf-8")
    summary = check(tmp_path)
    assert summary.errors == (f"{secret}: cannot read: Permission denied",)
    assert record_path(tmp_path / "good.txt").is_file()


def test_dangling_symlink_named_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    """A broken symlink given as PATH: exit 2 with what is wrong, no traceback, nothing written."""
    (tmp_path / "gone.txt").symlink_to("nowhere.txt")
    done = cli("gone.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert "gone.txt: broken symbolic link (to nowhere.txt, which does not exist)" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "gone.txt"]


def changing_web(action: Callable[[], None]) -> WebRecorder:
    """A stand-in web that does ``action`` at its first request: between reading and writing."""
    web = WebRecorder()

    def first_changes_the_disk(request: httpx.Request) -> httpx.Response:
        if not web.page.called:
            action()
        return web.answer(request)

    web.page.side_effect = first_changes_the_disk
    return web


def test_digest_changed_during_the_run_gets_no_record(tmp_path: Path) -> None:
    """A digest edited mid-run: no record claims its old sha256; an error says run again."""
    digest = tmp_path / "d.txt"
    digest.write_text("[A] https://a.example/\n", encoding="utf-8")
    old_record = b'{"old": "record"}\n'
    record_path(digest).write_bytes(old_record)

    def edit() -> None:
        with digest.open("a", encoding="utf-8") as handle:
            handle.write("[B] https://b.example/\n")

    summary = check(digest, web=changing_web(edit))
    assert summary.errors == (f"{digest}: changed during the run; record not written, run again",)
    assert summary.exit_code == 3
    assert record_path(digest).read_bytes() == old_record


def test_digest_deleted_during_the_run_gets_no_record(tmp_path: Path) -> None:
    """A digest deleted mid-run gets no record; an error names it; the others are written."""
    doomed = tmp_path / "a.txt"
    doomed.write_text("[A] https://a.example/\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("[B] https://b.example/\n", encoding="utf-8")
    summary = check(tmp_path, web=changing_web(doomed.unlink))
    assert summary.errors == (
        f"{doomed}: deleted or unreadable since the run read it; record not written",
    )
    assert not record_path(doomed).exists()
    assert record_path(tmp_path / "b.txt").is_file()
    assert summary.exit_code == 3


def test_read_only_record_folder_keeps_the_old_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder refusing new files (EROFS): error names the record, exit 3, old bytes kept."""
    digest = tmp_path / "d.txt"
    digest.write_text("[A] https://a.example/\n", encoding="utf-8")
    old_record = b'{"old": "record"}\n'
    record_path(digest).write_bytes(old_record)
    real_mkstemp = tempfile.mkstemp

    def read_only(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs["dir"]) == tmp_path:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    summary = check(digest)
    assert summary.errors == (
        f"{record_path(digest)}: cannot write: {os.strerror(errno.EROFS)}",
    )
    assert summary.exit_code == 3
    assert record_path(digest).read_bytes() == old_record


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_really_read_only_record_folder_keeps_the_old_record(tmp_path: Path) -> None:
    """chmod 555 on the folder: the error names the record, exit 3, the old record is kept."""
    folder = tmp_path / "ro"
    folder.mkdir()
    digest = folder / "d.txt"
    digest.write_text("[A] https://a.example/\n", encoding="utf-8")
    old_record = b'{"old": "record"}\n'
    record_path(digest).write_bytes(old_record)
    folder.chmod(0o555)
    try:
        summary = check(digest)
    finally:
        folder.chmod(0o755)
    assert summary.exit_code == 3
    assert [error for error in summary.errors if str(record_path(digest)) in error]
    assert record_path(digest).read_bytes() == old_record


# --- a failed write: the file-size limit makes every write fail with EFBIG, even as root ---


def cli(*args: Any, cwd: Path, fsize: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m enricher --no-cache``; with ``fsize``, writes past that many bytes fail."""

    def limit_writes() -> None:
        # Ignore SIGXFSZ so the write fails with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        assert fsize is not None
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "enricher", "--no-cache", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        preexec_fn=limit_writes if fsize is not None else None,
    )  # fmt: skip


def test_failed_record_write_keeps_the_old_record_and_exits_3(tmp_path: Path) -> None:
    """Disk full while saving a record (EFBIG): old record byte-identical, error names it, 3."""
    digest = tmp_path / "d.txt"
    digest.write_text(f"[L] {LOCAL_LINK}\n", encoding="utf-8")
    first = cli(digest, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    old_record = record_path(digest).read_bytes()
    digest.write_text(f"[L] {LOCAL_LINK}\n[M] {LOCAL_LINK}2\n", encoding="utf-8")

    done = cli(digest, cwd=tmp_path, fsize=64)

    output = done.stdout + done.stderr
    assert done.returncode == 3, output
    assert f"{record_path(digest)}: cannot write: File too large" in output
    assert "Traceback" not in output
    assert record_path(digest).read_bytes() == old_record
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_terminal_escape_sequences_in_a_digest_never_reach_the_terminal(
    tmp_path: Path, fmt: str
) -> None:
    """A label or URL holding ESC/BEL sequences is printed escaped (\\x1b), never raw."""
    digest = tmp_path / "week.txt"
    digest.write_text(
        "Links\n[Title\x1b]0;pwned\x07] https://example.com/a\x1b[2Jb\n", encoding="utf-8"
    )
    result = enricher_cli(
        str(digest), "--no-cache", "--offline", "--no-write", "--format", fmt, cwd=tmp_path
    )

    assert result.returncode == 1  # the URL is invalid (a control character)
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
    assert "\\x1b" in result.stdout
