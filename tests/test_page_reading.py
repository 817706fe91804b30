"""Reading what web pages say (issue 14, part 2), end to end against a real local server: the
``page`` object in records, compression with a bound, the read limit, what is never read."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import enricher.net.checker as checker
from enricher.net.checker import BODY_PEEK_BYTES
from enricher.net.page_start import HEAD_TAGS, HEADLESS_BYTES
from enricher.pipeline import run
from tests.conftest import FakeClock

PAGE = (
    "<!doctype html><html lang='ja'><head><title>東京 | Example</title>"
    '<meta property="og:title" content="東京の天気">'
    '<meta property="og:description" content="Weather &amp; more">'
    '<meta property="og:image" content="/cover.png">'
    "</head><body><p>text</p></body></html>"
)


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every body the checker hands to the page parser, in order."""
    seen: list[bytes] = []
    real = checker.page_facts

    def spy(body: bytes, content_type: str | None, base_url: str) -> Any:
        seen.append(body)
        return real(body, content_type, base_url)

    monkeypatch.setattr(checker, "page_facts", spy)
    return seen


def link_of(digest: Path) -> dict[str, Any]:
    record = json.loads(digest.with_name(digest.stem + ".enriched.json").read_text("utf-8"))
    links: list[dict[str, Any]] = record["links"]
    return links[0]


def check(httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
          path: str = "/page", **changes: Any) -> dict[str, Any]:  # fmt: skip
    digest = tmp_path / "week.txt"
    digest.write_text(f"[Page] {httpserver.url_for(path)}\n", encoding="utf-8")
    run(settings_for(digest, allow_private=True, **changes), clocks=clock.clocks())
    return link_of(digest)


def test_an_html_page_gives_its_page_object(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    httpserver.expect_request("/page").respond_with_data(
        PAGE.encode("shift_jis"),
        content_type="text/html; charset=Shift_JIS",
    )
    link = check(httpserver, tmp_path, settings_for, clock)
    assert link["status"] == "ok"
    page = link["page"]
    assert (page["title"], page["description"], page["lang"]) == ("東京の天気", "Weather & more",
                                                                 "ja")  # fmt: skip
    assert page["image"] == httpserver.url_for("/cover.png")
    assert page["observed_at"] == "2026-11-22T09:00:00Z"


def test_a_gzip_page_is_read_decompressed(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    httpserver.expect_request("/page").respond_with_data(
        gzip.compress(PAGE.encode()), content_type="text/html; charset=utf-8",
        headers={"Content-Encoding": "gzip"},
    )  # fmt: skip
    assert check(httpserver, tmp_path, settings_for, clock)["page"]["title"] == "東京の天気"


@pytest.mark.parametrize("wbits", [15, -15], ids=["zlib-deflate", "raw-deflate"])
def test_a_deflate_page_is_read_with_or_without_its_zlib_header(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock, wbits: int
) -> None:
    """ "deflate" is zlib's format by the spec, and raw deflate from some servers: browsers
    read both, and so does the checker."""
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = packer.compress(PAGE.encode()) + packer.flush()
    httpserver.expect_request("/page").respond_with_data(
        body, content_type="text/html; charset=utf-8", headers={"Content-Encoding": "deflate"}
    )
    assert check(httpserver, tmp_path, settings_for, clock)["page"]["title"] == "東京の天気"


def test_a_compression_bomb_is_inflated_no_further_than_the_limit(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    parsed: list[bytes],
) -> None:  # fmt: skip
    """100 MB of padding compressed to ~100 KB: at most --max-page-bytes is ever inflated."""
    head, tail = PAGE.encode().split(b"</head>")
    bomb = gzip.compress(head + b" " * 100_000_000 + b"</head>" + tail, 9)  # a bloated head
    httpserver.expect_request("/page").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"}
    )
    link = check(httpserver, tmp_path, settings_for, clock, max_page_bytes=64 * 1024)
    assert [len(body) for body in parsed] == [64 * 1024]
    assert link["status"] == "ok" and link["page"]["title"] == "東京の天気"


def test_nothing_past_the_limit_is_read(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    late = "<html><head>" + "<!-- padding -->" * 200 + "<title>Too late</title></head></html>"
    httpserver.expect_request("/page").respond_with_data(late, content_type="text/html")
    link = check(httpserver, tmp_path, settings_for, clock, max_page_bytes=1024)
    assert link["page"]["title"] is None


@pytest.mark.parametrize(
    ("status", "content_type"),
    [(200, "application/pdf"), (200, "text/plain"), (404, "text/html"), (503, "text/html")],
)
def test_only_html_that_worked_is_read(
    status: int, content_type: str,
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
) -> None:  # fmt: skip
    httpserver.expect_request("/page").respond_with_data(
        PAGE, status=status, content_type=content_type
    )
    assert check(httpserver, tmp_path, settings_for, clock, attempts=1)["page"] is None


def test_an_unknown_compression_gives_no_page_not_garbage(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    httpserver.expect_request("/page").respond_with_data(
        b"\x8b\x00not brotli really", content_type="text/html", headers={"Content-Encoding": "br"}
    )
    link = check(httpserver, tmp_path, settings_for, clock)
    assert link["status"] == "ok" and link["page"] is None


def test_inflating_a_chunk_never_gives_more_than_the_room_left() -> None:
    """What bounds memory: a ~100 KB chunk that inflates to 100 MB gives only the room left
    (the whole bomb is one network chunk or a few)."""
    inflate = checker._inflater("gzip")
    assert inflate is not None
    bomb = gzip.compress(b"\0" * 100_000_000, 9)
    assert len(inflate(bomb, 4096)) == 4096
    assert checker._inflater("br") is None and checker._inflater("zstd") is None


def test_reading_stops_at_the_end_of_the_head(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    parsed: list[bytes],
) -> None:  # fmt: skip
    """The head says what the page is, the body's start what kind of page it is; the rest of
    a big body is neither downloaded nor parsed."""
    body = PAGE.replace("</head>", "</HEAD>").replace("<p>text</p>", "<p>filler</p>" * 20_000)
    httpserver.expect_request("/page").respond_with_data(body, content_type="text/html")
    link = check(httpserver, tmp_path, settings_for, clock)
    assert link["page"]["title"] == "東京の天気"
    head_end = body.encode().index(b"</HEAD>") + len(b"</HEAD>")
    assert len(parsed) == 1 and len(parsed[0]) == head_end + BODY_PEEK_BYTES


def script_heavy_head(title: str) -> str:
    """A head shaped like YouTube's watch pages and Google's consent pages: 450 KB of inline
    scripts (configuration, player data) before the ``<title>`` and the OpenGraph tags."""
    config = '{"key": "value", "list": [1, 2, 3], "text": "a < b && c > d"}, ' * 7_000
    return (
        f"<!doctype html><html><head><script>var ytcfg = [{config}];</script>"
        f"<title>{title}</title>"
        f'<meta property="og:title" content="{title}"></head><body><p>player</p></body></html>'
    )


def test_a_head_of_big_scripts_is_read_to_its_title(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    parsed: list[bytes],
) -> None:  # fmt: skip
    page = script_heavy_head("Noisy kittens waiting for dinner!")
    assert len(page.encode()) > 400_000
    httpserver.expect_request("/page").respond_with_data(page, content_type="text/html")
    link = check(httpserver, tmp_path, settings_for, clock)
    assert (link["status"], link["page"]["title"]) == ("ok", "Noisy kittens waiting for dinner!")
    assert [len(body) for body in parsed] == [len(page.encode())]  # the whole page: it is small


def test_a_consent_interstitial_titled_after_its_scripts_is_blocked(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Google's consent page, answered 200 where the linked page should be: only its title,
    after its scripts, says what it is."""
    page = script_heavy_head("Antes de ir a Google Maps").replace(
        "<p>player</p>", '<form action="https://consent.google.es/save"></form>'
    )
    httpserver.expect_request("/page").respond_with_data(page, content_type="text/html")
    link = check(httpserver, tmp_path, settings_for, clock, attempts=1)
    assert (link["status"], link["reason"]) == ("blocked", "consent page; the page may exist")


@pytest.mark.parametrize(
    "trap",
    [
        "<script>document.write('</head><body>');</script>", "<!-- old </HEAD> -->",
        "<title>The <body> element</title>", "<noscript><body>Enable JavaScript</noscript>",
    ],
)  # fmt: skip
def test_a_head_end_in_a_script_or_a_comment_is_not_the_end_of_the_head(
    trap: str, httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Traps for the stop at ``</head>`` (or ``<body``): text in a script, a comment, a title
    or a noscript is not markup. A big style sheet after the trap puts the metadata beyond
    what a wrong stop would read."""
    head = (
        f"<html><head>{trap}<style>{'.c{color:red} ' * 4000}</style>"
        '<meta property="og:title" content="After the script"></head><body>x</body></html>'
    )
    httpserver.expect_request("/page").respond_with_data(head, content_type="text/html")
    assert check(httpserver, tmp_path, settings_for, clock)["page"]["title"] == "After the script"


def test_a_page_without_its_head_end_tag_is_read_from_its_body_start(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    parsed: list[bytes],
) -> None:  # fmt: skip
    """HTML lets a page leave ``</head>`` out: its ``<body>`` ends the head, and the same
    32 KiB of body are read as from any page, not the whole read limit."""
    body = PAGE.replace("</head>", "").replace("<p>text</p>", "<p>filler</p>" * 20_000)
    httpserver.expect_request("/page").respond_with_data(body, content_type="text/html")
    assert check(httpserver, tmp_path, settings_for, clock)["page"]["title"] == "東京の天気"
    body_start = body.encode().index(b"<body>")
    assert len(parsed) == 1 and len(parsed[0]) == body_start + BODY_PEEK_BYTES


def test_a_head_of_markup_is_read_no_further_than_its_tags_allow(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    parsed: list[bytes],
) -> None:  # fmt: skip
    """A head that never ends, of 1 MB of nested ``<ul>``: parsed whole, it cost seconds on
    the event loop (every other request waited). Read to its tag past ``HEAD_TAGS`` and the
    same 32 KiB as any page's body, it is still judged and its title read."""
    body = "<html><head><title>Deep</title>" + "<ul>" * 250_000
    httpserver.expect_request("/page").respond_with_data(body, content_type="text/html")
    link = check(httpserver, tmp_path, settings_for, clock)
    assert (link["status"], link["page"]["title"]) == ("ok", "Deep")
    past = body.index("<ul>") + 4 * (HEAD_TAGS - 3)  # <html>, <head> and <title> counted
    assert len(parsed) == 1 and len(parsed[0]) == past + BODY_PEEK_BYTES


@pytest.mark.parametrize(
    ("body", "read"),
    [
        ("<div>" * 60_000, HEADLESS_BYTES),
        ("<script>" + "var x = 1; " * 20_000, HEADLESS_BYTES),
        ("<p>" + "Words without markup. " * 10_000, HEADLESS_BYTES),
    ],
)
def test_a_page_without_a_head_is_read_no_further_than_its_start(
    body: str, read: int,
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    parsed: list[bytes],
) -> None:  # fmt: skip
    """No ``<head>``, no ``<body>``: its metadata would be at its start, and thousands of
    nested ``<div>`` would cost the parser seconds. At most 64 KiB are read and parsed."""
    httpserver.expect_request("/page").respond_with_data(body, content_type="text/html")
    assert check(httpserver, tmp_path, settings_for, clock)["status"] == "ok"
    assert len(parsed) == 1 and len(parsed[0]) == read


@pytest.mark.parametrize("chunk", [1024, 16 * 1024, 68 * 1024, 1 << 20])
def test_a_page_without_a_head_keeps_the_same_bytes_however_it_comes(chunk: int) -> None:
    """A tag not whole yet where the read of a page with no head stops (64 KiB): the bytes
    past it, there when the page comes in one chunk, must not decide what is kept."""
    page = b"<!doctype html><p>" + b"x" * 20480 + b'<div a="' + b"y" * 200_000
    limit, kept, head = 1 << 20, bytearray(), checker.HeadScanner()
    stop = limit
    for start in range(0, len(page), chunk):
        kept += page[start : start + chunk][: stop - len(kept)]
        stop = checker._kept(kept, head, stop, limit)
        if len(kept) >= stop:
            break
    assert stop == HEADLESS_BYTES
