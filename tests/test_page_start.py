"""Where a page's head ends, found as its bytes arrive (``enricher.net.page_start``): pure,
no network. The web checker reads a page through its head and 32 KiB of its body."""

from __future__ import annotations

import random

import pytest

from enricher.net.page_start import (
    HEAD_ANY_TAGS,
    HEAD_MARKUP_BYTES,
    HEAD_TAGS,
    HeadScanner,
    has_head,
    head_end,
)

TRAPS = [
    "<script>document.write('</head><body>');</script>",
    "<!-- old </HEAD> <body> -->",
    "<title>The <body> element</title>",
    "<noscript><body>Enable JavaScript</noscript>",
    "<style>body > p { margin: 0 } /* </head> */</style>",
    "<template><body><p>row</p></template>",
    "<textarea></head></textarea>",
    "<SCRIPT type=module>let s = '<body>'</SCRIPT >",
    "<!---->",
    "<!-->",
    "<!--->",
    "<!-- a comment ended as browsers end it --!>",
    "<title>x</titles> </head></title>",  # not the title's end tag
]


@pytest.mark.parametrize("trap", TRAPS)
def test_a_head_end_written_as_text_is_not_the_end(trap: str) -> None:
    page = f"<html><head>{trap}<meta charset=utf-8></head><body>x".encode()
    assert head_end(page) == page.rindex(b"</head>") + len(b"</head>")


@pytest.mark.parametrize(
    ("page", "end_before"),
    [
        ("<html><head><title>t</title></HEAD  ><body>x", b"<body>"),
        ("<html><head><title>t</title><body class=home>x", b"<body class"),
        ("<html><head><title>t</title><BODY>x", b"<BODY>"),
        ("<html><head><title>t</title><body/>x", b"<body/>"),
    ],
)  # fmt: skip
def test_the_head_ends_after_its_end_tag_or_where_the_body_starts(
    page: str, end_before: bytes
) -> None:
    data = page.encode()
    assert head_end(data) == data.index(end_before)


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>t</title><bodyguard>x</bodyguard>",  # not <body>
        "<html><head><script>var s = '</head>'",  # the script has not ended yet
        "<html><head><!-- </head>",  # nor the comment
    ],
)
def test_no_end_yet(page: str) -> None:
    assert head_end(page.encode()) is None


def nth_tag(page: bytes, n: int) -> int:
    """Where the ``n``-th ``<`` of ``page`` is."""
    at = -1
    for _ in range(n):
        at = page.index(b"<", at + 1)
    return at


@pytest.mark.parametrize("tag", ["<ul>", "<script></script>", "<!-- x -->"])
def test_a_head_of_markup_ends_at_its_tag_past_the_count(tag: str) -> None:
    """A head that never ends, full of tags: a page leaving out ``</head>`` and ``<body>``, or
    a hostile one (nested blocks cost the parser time growing with the square of their
    depth). Reading stops at the first tag past ``HEAD_TAGS``, as at a head's end; a script or
    a comment counts as one, whatever it holds."""
    start = b"<html><head><title>t</title>"
    page = start + tag.encode() * (HEAD_TAGS * 2)
    assert head_end(page) == len(start) + len(tag) * (HEAD_TAGS - 3)  # <html>, <head>, <title>


def test_tags_in_text_are_not_counted_but_tags_the_parser_reads_are() -> None:
    """A head is long with script text (YouTube's, 450 KB), not with markup: tags written in
    scripts, styles, titles and comments are text; ``<noscript>`` and ``<template>`` hold
    markup the parser builds."""
    text = "<div>" * (HEAD_TAGS * 2)
    for wrapped in (f"<script>var s = '{text}'</script>", f"<!-- {text} -->",
                    f"<style>/* {text} */</style>", f"<title>{text}</title>"):  # fmt: skip
        page = f"<html><head>{wrapped}<meta charset=utf-8></head><body>x".encode()
        assert head_end(page) == page.index(b"</head>") + len(b"</head>")
    for markup in (f"<noscript>{text}</noscript>", f"<template>{text}</template>"):
        page = f"<html><head>{markup}</head><body>x".encode()
        assert head_end(page) == nth_tag(page, HEAD_TAGS + 1)  # <html>, <head>, <noscript>


@pytest.mark.parametrize(
    "start",
    [
        '<meta content="<script>">',  # a script's start inside an attribute's value
        "<meta content='<!--'>",  # a comment's
        "<!x <textarea>>",  # inside a bogus comment
        "<?php <title> ?>",
        "<link title=a<style>",  # an unquoted value
    ],
)  # fmt: skip
def test_text_written_in_a_tag_is_not_text_the_head_holds(start: str) -> None:
    """Taken for a script or a comment, what follows would not be counted: 1 MiB of nested
    markup would be parsed (minutes, on the event loop)."""
    page = f"<html><head>{start}".encode() + b"<ul>" * (HEAD_TAGS * 2)
    end = head_end(page)
    assert end is not None and end < len(start) + 4 * HEAD_TAGS + 100


def test_the_head_ends_where_the_parser_reads_on_in_a_way_the_scan_does_not() -> None:
    """After ``<plaintext>`` everything is text, to the page's end."""
    page = b"<html><head><title>t</title><plaintext>" + b"<ul>" * 1000
    assert head_end(page) == page.index(b"<plaintext>")


@pytest.mark.parametrize("foreign", ["svg", "math"])
def test_foreign_content_is_markup_counted_and_read_past(foreign: str) -> None:
    """Inside ``<svg>`` or ``<math>`` a ``<style>`` or a ``<title>`` holds markup: counted as
    any. A sprite in a head (70 KB, 400 symbols) does not end it: the metadata after it is
    read."""
    sprite = "<symbol id=i><path d='M0 0L10 10'/></symbol>" * 400
    page = (f"<html><head><title>T</title><{foreign} style=display:none>{sprite}</{foreign}>"
            "<meta property='og:title' content='OG'></head><body>")  # fmt: skip
    assert head_end(page.encode()) == page.index("<body>")
    hostile = f"<html><head><{foreign}><style>".encode() + b"<ul>" * (HEAD_TAGS * 2)
    end = head_end(hostile)
    assert end is not None and end < 4 * HEAD_TAGS + 100


@pytest.mark.parametrize("element", ["iframe", "xmp", "noembed", "noframes", "textarea"])
def test_elements_of_text_are_skipped_whole(element: str) -> None:
    """As the parser reads them: text to their end tag (Google Tag Manager's ``<iframe>`` in
    a ``<noscript>`` is in many heads)."""
    inner = "</head><body>" + "<ul>" * (HEAD_TAGS * 2)
    page = f"<html><head><noscript><{element}>{inner}</{element}></noscript>".encode()
    page += b"<title>t</title></head><body>"
    assert head_end(page) == page.rindex(b"</head>") + len(b"</head>")


@pytest.mark.parametrize(
    "start",
    [
        "<script\v>",  # \v is no whitespace in HTML: an unknown element, not a script
        '<a \v="> <script>">',
        '<noscript><a b="</noscript><script>">',  # a closer inside an attribute's value
        "<noscript><!--</noscript><script>-->",  # ... inside a comment
        "<noscript><style></noscript><script></style>",  # ... inside a style
        "<template><a b='</template><style>'>",
        '<script><!--<script></script><a b="--></script><i c="><script>">',  # escaped twice
    ],
)  # fmt: skip
def test_markup_the_parser_reads_is_counted(start: str) -> None:
    """Where a scan could take markup for text (three reviews' finds): 1 MiB of nested markup
    after it would cost the parser minutes."""
    page = f"<html><head>{start}".encode() + b"<ul>" * (HEAD_TAGS * 2)
    end = head_end(page)
    assert end is not None and end < len(start) + 4 * HEAD_TAGS + 100


def test_a_script_escaped_then_closed_is_followed_to_its_end() -> None:
    page = b"<html><head><script>if (a<!--b) x = '<script>'; </script>--></script>"
    page += b"<title>t</title></head><body>"
    assert head_end(page) == page.rindex(b"</head>") + len(b"</head>")


def test_lt_signs_in_text_count_toward_a_bound_of_their_own() -> None:
    """The bound that holds whatever a scan takes for text: real heads hold up to 337 ``<``
    (YouTube's 450 KB: 185)."""
    page = b"<html><head><script>" + b"if (a < b) {}" * (HEAD_ANY_TAGS * 2) + b"</script>"
    assert head_end(page) == nth_tag(page, HEAD_ANY_TAGS + 1)


def test_a_quoted_greater_than_does_not_end_a_tag() -> None:
    page = b"<html><head><meta content='a > b </head> <body>'><title>t</title></head><body>"
    assert head_end(page) == page.rindex(b"</head>") + len(b"</head>")


def test_a_head_of_too_many_bytes_of_markup_ends_at_the_tag_past_them() -> None:
    """Thousands of distinct attribute names cost the parser time growing with the square of
    their number; real heads hold up to 21 KB of markup."""
    names = "".join(f" a{n}" for n in range(HEAD_MARKUP_BYTES // 4))
    one_tag = f"<html><head><title>t</title><meta{names}><title>u</title>".encode()
    assert head_end(one_tag) == one_tag.index(b"<meta")
    cut = HeadScanner()  # the same when the tag is not whole yet
    assert cut.feed(one_tag[: one_tag.index(b"<meta") + HEAD_MARKUP_BYTES]) == one_tag.index(
        b"<meta"
    )
    many = b"<html><head>" + (b'<meta name="x" content="' + b"y" * 1000 + b'">') * 400
    tag = len(b'<meta name="x" content="') + 1000 + 2
    assert head_end(many) == len(b"<html><head>") + tag * ((HEAD_MARKUP_BYTES - 12) // tag)


def test_a_head_end_tag_spread_over_chunks_is_found() -> None:
    page = b"<html><head><title>t</title></head" + b" " * 70 + b"><body>x"
    scanner = HeadScanner()
    assert scanner.feed(page[:45]) is None
    assert scanner.feed(page) == page.index(b"><body>") + 1


HOSTILE = "<html><head><title>t</title>" + "<ul>" * (HEAD_TAGS + 50)
QUOTED = '<html><head><meta content="<script>">' + "<dl>" * (HEAD_TAGS + 50)
HIDDEN = '<html><head><noscript><a b="</noscript><script>">' + "<dl>" * (HEAD_TAGS + 50)
ESCAPED = "<html><head><script><!--<script></script>--></script>" + "<p>" * (HEAD_ANY_TAGS + 9)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize(
    "tail", ["<meta a='1'></head><body>x", HOSTILE[12:], QUOTED[12:], HIDDEN[12:], ESCAPED[12:]]
)
def test_bytes_arriving_in_any_chunks_give_the_same_end(seed: int, tail: str) -> None:
    """Tokens cut by chunk boundaries ("</he" + "ad>", "<scr" + "ipt>") are found whole, and
    tags counted once."""
    rng = random.Random(seed)
    traps = rng.sample(TRAPS, 4)
    page = ("<html><head>" + "".join(traps) + tail).encode()
    expected = head_end(page)
    assert expected is not None
    scanner, arrived, found = HeadScanner(), bytearray(), None
    while found is None and len(arrived) < len(page):
        arrived += page[len(arrived) : len(arrived) + rng.choice((1, 9, 200, 5000))]
        found = scanner.feed(arrived)
    assert found == expected
    assert scanner.feed(arrived + b"</head>") == expected  # found once, kept


def test_a_head_is_looked_for_at_the_page_start_only() -> None:
    assert has_head(b"<!doctype html><!-- hi --><html lang=en><HEAD>")
    assert not has_head(b"<div>" + b" " * 5000 + b"<head>")
    assert not has_head(b"<header>menu</header>")


@pytest.mark.parametrize("ending", ["<!-->", "<!--->"])
def test_an_escape_ended_at_once_inside_an_escaped_script_is_followed(ending: str) -> None:
    """``<!-->`` ends the escape it is in: the first ``</script>`` then ends the script."""
    page = f"<html><head><script><!--{ending}<script></script><title>T</title></head><body>"
    assert head_end(page.encode()) == page.index("</head>") + len("</head>")


def test_a_head_with_html_in_its_scripts_is_read_to_its_title() -> None:
    """Inline state carrying article HTML holds thousands of ``<``: no markup the parser
    builds, and no reason to stop before the title (8,192 ``<`` at first did)."""
    state = '{"html": "<p>hello <a href=\\"/x\\">x</a></p>"}, ' * 2800
    page = f"<html><head><script>var s = [{state}];</script><title>T</title></head><body>"
    assert head_end(page.encode()) == page.index("</head>") + len("</head>")


def test_a_quoted_value_cut_by_the_chunks_is_waited_for() -> None:
    """A ``>`` inside a quote that has not closed yet does not end the tag: ``<script>``
    after it is the value's, not a script (the tag ends where the quote does)."""
    page = b'<html><head><meta content="a>b <script>"><title>t</title></head><body>'
    scanner = HeadScanner()
    assert scanner.feed(page[: page.index(b" <script>")]) is None
    assert scanner.feed(page) == page.index(b"<body>")
