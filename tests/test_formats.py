"""Markdown and HTML digests are read as their formats define them; plain text as before."""

from __future__ import annotations

import pytest

from enricher.formats import DigestFormat, ReadOptions, format_of, parse_any
from enricher.formats.targets import RELATIVE_REASON, SAME_DOCUMENT_REASON
from enricher.models import ParsedDigest

BASE = ReadOptions(base_url="https://site.example/news/")
VERBATIM = ReadOptions(include_verbatim=True)


def links(parsed: ParsedDigest) -> list[tuple[int, str | None, str | None]]:
    return [(entry.line, entry.label, entry.url) for entry in parsed.entries]


def urls(parsed: ParsedDigest) -> list[str | None]:
    return [entry.url for entry in parsed.entries]


def skipped(parsed: ParsedDigest) -> list[tuple[int, str, str]]:
    return [(item.line, item.target, item.reason) for item in parsed.skipped]


# The file's extension picks the reader.


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("week.md", DigestFormat.MARKDOWN),
        ("WEEK.MARKDOWN", DigestFormat.MARKDOWN),
        ("site/week.html", DigestFormat.HTML),
        ("week.HTM", DigestFormat.HTML),
        ("week.txt", DigestFormat.TEXT),
        ("week", DigestFormat.TEXT),
        ("week.md.txt", DigestFormat.TEXT),
    ],
)
def test_the_extension_picks_the_format(name: str, expected: DigestFormat) -> None:
    assert format_of(name) is expected


def test_the_same_text_is_read_by_its_format() -> None:
    """A relative Markdown link is an `invalid` entry in plain text (as before) and skipped in
    Markdown, where CommonMark calls it a relative reference."""
    text = "[docs](example.com/README.md) and [paper](https://arxiv.org/abs/2401.10774)\n"
    as_text = parse_any(text, "week.txt")
    as_markdown = parse_any(text, "week.md")
    assert [e.note is not None for e in as_text.entries] == [True, False]
    assert urls(as_markdown) == ["https://arxiv.org/abs/2401.10774"]
    assert skipped(as_markdown) == [(1, "example.com/README.md", RELATIVE_REASON)]


# The five ways the old reader disagreed with CommonMark (found on lychee's fixtures).


def test_a_linked_image_keeps_its_outer_link_labelled_by_the_alt_text() -> None:
    text = (
        "[![CC0](https://licensebuttons.net/p/zero/1.0/88x31.png)]"
        "(https://creativecommons.org/publicdomain/zero/1.0/)\n"
    )
    assert links(parse_any(text, "a.md")) == [
        (1, "CC0", "https://creativecommons.org/publicdomain/zero/1.0/"),
        (1, None, "https://licensebuttons.net/p/zero/1.0/88x31.png"),
    ]


@pytest.mark.parametrize("name", ["a.md", "a.txt"])
def test_two_bracketed_urls_are_two_links(name: str) -> None:
    text = "[[https://example.com/destination]][[https://example.com/source]]\n"
    assert urls(parse_any(text, name)) == [
        "https://example.com/destination",
        "https://example.com/source",
    ]


def test_a_bracketed_ipv6_host_stays_whole() -> None:
    assert urls(parse_any("see http://[2001:db8::1]:8080/x]. ok\n", "a.md")) == [
        "http://[2001:db8::1]:8080/x"
    ]


@pytest.mark.parametrize("name", ["a.md", "a.txt", "a.html"])
def test_bracket_pairs_in_a_query_are_not_stray(name: str) -> None:
    """Built to fool the stray-bracket rule: PHP-style ``filter[state]=open`` keeps its pair."""
    text = "Issues at https://tracker.example/list?filter[state]=open&sort[by]=date now\n"
    assert urls(parse_any(text, name)) == [
        "https://tracker.example/list?filter[state]=open&sort[by]=date"
    ]


def test_backslash_escapes_are_decoded_in_links_and_in_prose() -> None:
    text = (
        "[IE](http://msdn.microsoft.com/library/ie/ms535874\\(v=vs.85\\).aspx)\n\n"
        "or http://msdn.microsoft.com/library/ie/ms535874\\(v=vs.85\\).aspx\n"
    )
    expected = "http://msdn.microsoft.com/library/ie/ms535874(v=vs.85).aspx"
    assert links(parse_any(text, "a.md")) == [(1, "IE", expected), (3, None, expected)]


RELATIVE = (
    "[docs](README.md) [paper](paper.pdf) [x](file2.md#top)\n"
    "[here](./README.md) [there](docs/README.md) [up](../index.html) [root](/about)\n"
)


def test_relative_targets_are_skipped_not_invalid() -> None:
    parsed = parse_any(RELATIVE, "a.md")
    assert parsed.entries == ()
    assert [(line, target) for line, target, _ in skipped(parsed)] == [
        (1, "README.md"),
        (1, "paper.pdf"),
        (1, "file2.md#top"),
        (2, "./README.md"),
        (2, "docs/README.md"),
        (2, "../index.html"),
        (2, "/about"),
    ]
    assert {reason for _, _, reason in skipped(parsed)} == {RELATIVE_REASON}


def test_a_base_url_makes_relative_targets_web_links() -> None:
    assert links(parse_any(RELATIVE, "a.md", BASE)) == [
        (1, "docs", "https://site.example/news/README.md"),
        (1, "paper", "https://site.example/news/paper.pdf"),
        (1, "x", "https://site.example/news/file2.md#top"),
        (2, "here", "https://site.example/news/README.md"),
        (2, "there", "https://site.example/news/docs/README.md"),
        (2, "up", "https://site.example/index.html"),
        (2, "root", "https://site.example/about"),
    ]


def test_a_base_url_without_a_trailing_slash_is_a_page_as_in_a_browser() -> None:
    options = ReadOptions(base_url="https://site.example/news/week-12")
    assert urls(parse_any("[p](paper.pdf)\n", "a.md", options)) == [
        "https://site.example/news/paper.pdf"
    ]


def test_non_web_schemes_and_sections_are_skipped_even_with_a_base() -> None:
    text = (
        "[Contact us](mailto:someone@example.org) [call](tel:+15551234) [top](#top)\n"
        "[js](javascript:alert(1)) [ftp](ftp://ftp.example/file) [x](HTTPS://CAPS.example/)\n"
    )
    parsed = parse_any(text, "a.md", BASE)
    assert urls(parsed) == ["HTTPS://CAPS.example/"]
    assert skipped(parsed) == [
        (1, "mailto:someone@example.org", "not a web link (mailto:); not checked"),
        (1, "tel:+15551234", "not a web link (tel:); not checked"),
        (1, "#top", SAME_DOCUMENT_REASON),
        (2, "javascript:alert(1)", "not a web link (javascript:); not checked"),
        (2, "ftp://ftp.example/file", "not a web link (ftp:); not checked"),
    ]


def test_a_network_path_reference_is_checked_over_https() -> None:
    assert urls(parse_any("[cdn](//cdn.example/lib.js)\n", "a.md")) == [
        "https://cdn.example/lib.js"
    ]


# The rest of CommonMark's link syntax.


def test_reference_links_are_reported_at_their_definition_labelled_by_first_use() -> None:
    text = (
        "We read [the MEDUSA paper][medusa] twice: [again][MEDUSA], and [Qwen] and [Qwen][].\n"
        "\n"
        "[medusa]: https://arxiv.org/abs/2401.10774 'Medusa'\n"
        "[Qwen]:\n"
        "   <https://github.com/QwenLM/Qwen-VL>\n"
        "[Unused one]: https://example.org/unused\n"
        "[1]: https://example.org/numbered\n"
    )
    assert links(parse_any(text, "a.md")) == [
        (3, "the MEDUSA paper", "https://arxiv.org/abs/2401.10774"),
        (5, "Qwen", "https://github.com/QwenLM/Qwen-VL"),
        (6, "Unused one", "https://example.org/unused"),
        (7, "1", "https://example.org/numbered"),
    ]


def test_a_bracketed_word_without_a_definition_is_text() -> None:
    assert parse_any("[not a link] and [another][ref]\n", "a.md").entries == ()


def test_autolinks_titles_and_angle_destinations() -> None:
    text = (
        "<https://auto.example/a?b=c> and <mailto:x@example.org>\n"
        "[t1](https://t.example/1 \"Title\") [t2](https://t.example/2 'T') "
        "[t3](https://t.example/3 (T))\n"
        "[sp](<https://t.example/with space>) [amp](https://t.example/?a=1&amp;b=2)\n"
    )
    parsed = parse_any(text, "a.md")
    assert links(parsed) == [
        (1, None, "https://auto.example/a?b=c"),
        (2, "t1", "https://t.example/1"),
        (2, "t2", "https://t.example/2"),
        (2, "t3", "https://t.example/3"),
        (3, "sp", "https://t.example/with%20space"),
        (3, "amp", "https://t.example/?a=1&b=2"),
    ]
    assert [target for _, target, _ in skipped(parsed)] == ["mailto:x@example.org"]


def test_balanced_parentheses_stay_in_the_url() -> None:
    text = (
        "[Foo](https://en.wikipedia.org/wiki/Foo_(bar)) and "
        "(see https://en.wikipedia.org/wiki/Transformer_(machine_learning)).\n"
    )
    assert urls(parse_any(text, "a.md")) == [
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://en.wikipedia.org/wiki/Transformer_(machine_learning)",
    ]


def test_a_label_in_emphasis_and_code_reads_as_words() -> None:
    text = "[**Mixtral** `8x7B`\n model](https://mistral.ai/news/mixtral-of-experts/)\n"
    assert links(parse_any(text, "a.md")) == [
        (1, "Mixtral 8x7B model", "https://mistral.ai/news/mixtral-of-experts/")
    ]


def test_the_plain_text_link_list_keeps_its_labels_in_markdown() -> None:
    text = "# Links\n\n- [MEDUSA] https://arxiv.org/abs/2401.10774\n- see https://b.example/\n"
    assert links(parse_any(text, "a.md")) == [
        (3, "MEDUSA", "https://arxiv.org/abs/2401.10774"),
        (4, None, "https://b.example/"),
    ]


def test_bare_urls_inside_a_link_text_are_not_links_of_their_own() -> None:
    text = "[https://shown.example/](https://real.example/)\n"
    assert urls(parse_any(text, "a.md")) == ["https://real.example/"]


# Code is not followed unless asked.

CODE = (
    "Use `curl https://span.example/api` here.\n"  # 1
    "\n"
    "```sh\n"  # 3
    "pip install x  # https://fence.example/\n"  # 4
    "```\n"
    "\n"
    "    https://indented.example/\n"  # 7
    "\n"
    "After https://prose.example/\n"  # 9
)


def test_code_spans_and_blocks_are_not_checked_by_default() -> None:
    assert links(parse_any(CODE, "a.md")) == [(9, None, "https://prose.example/")]


def test_include_verbatim_checks_code_at_its_lines() -> None:
    assert links(parse_any(CODE, "a.md", VERBATIM)) == [
        (1, None, "https://span.example/api"),
        (4, None, "https://fence.example/"),
        (7, None, "https://indented.example/"),
        (9, None, "https://prose.example/"),
    ]


# Line numbers are the editor's, in every construct.


def test_markdown_lines_in_lists_quotes_and_multi_line_paragraphs() -> None:
    text = (
        "# Title with https://h.example/\n"  # 1
        "\n"
        "> quoted\n"  # 3
        "> [q](https://q.example/)\n"  # 4
        "\n"
        "1. item\n"  # 6
        "   continued https://l.example/\n"  # 7
        "\n"
        "A `code\n"  # 9
        "span` then [c](https://c.example/\n"  # 10
        ' "multi\n'  # 11
        ' line title") and [d](https://d.example/)\n'  # 12
        "Hard break \\\n"  # 13
        "[e](https://e.example/)\r\n"  # 14
        "<span\n"  # 15
        'title="x"> https://f.example/\r'  # 16
        "https://g.example/\n"  # 17
    )
    assert [(line, url) for line, _, url in links(parse_any(text, "a.md"))] == [
        (1, "https://h.example/"),
        (4, "https://q.example/"),
        (7, "https://l.example/"),
        (10, "https://c.example/"),
        (12, "https://d.example/"),
        (14, "https://e.example/"),
        (16, "https://f.example/"),
        (17, "https://g.example/"),
    ]


def test_html_blocks_in_markdown_are_read_as_html() -> None:
    text = (
        "Intro\n"
        "\n"
        "<div>\n"  # 3
        '<a href="https://x.example/?a=1&amp;b=2">Anchor\n'  # 4
        " text</a> <a href=notes.html>n</a>\n"  # 5
        "</div>\n"
        "\n"
        'Inline <a href="https://inline.example/">html</a>.\n'  # 8
    )
    parsed = parse_any(text, "a.md")
    assert links(parsed) == [
        (4, "Anchor text", "https://x.example/?a=1&b=2"),
        (8, "html", "https://inline.example/"),
    ]
    assert skipped(parsed) == [(5, "notes.html", RELATIVE_REASON)]


def test_inline_html_in_a_paragraph_hides_code_and_labels_its_anchor() -> None:
    text = (
        "See <code>https://in-code.example/</code> and <kbd>https://key.example/</kbd>,\n"
        "<code><a href=https://code-anchor.example/>x</a></code>\n"
        '<a href="https://anchor.example/">the https://anchor-text.example/ page</a>,\n'
        'and <a href="https://badge.example/"><img src="https://img.example/b.svg"></a>.\n'
    )
    assert links(parse_any(text, "a.md")) == [
        (3, "the https://anchor-text.example/ page", "https://anchor.example/"),
        (4, None, "https://badge.example/"),
        (4, None, "https://img.example/b.svg"),
    ]
    assert [url for _, _, url in links(parse_any(text, "a.md", VERBATIM))][:3] == [
        "https://in-code.example/",
        "https://key.example/",
        "https://code-anchor.example/",
    ]


def test_bare_urls_are_read_whole_before_emphasis_can_split_them() -> None:
    text = (
        "Dunder https://github.com/python/cpython/blob/main/Lib/__init__.py here,\n"
        "stars https://example.com/a*b*c, _https://em.example/x_ and\n"
        "**https://strong.example/y**, ~~https://struck.example/z~~, "
        "https://esc.example/a\\_b&amp;c.\n"
    )
    assert urls(parse_any(text, "a.md")) == [
        "https://github.com/python/cpython/blob/main/Lib/__init__.py",
        "https://example.com/a*b*c",
        "https://em.example/x",
        "https://strong.example/y",
        "https://struck.example/z",
        "https://esc.example/a_b&c",
    ]


def test_footnotes_are_not_links_and_a_quoted_definition_keeps_its_label() -> None:
    text = (
        "A claim[^src] and [Quoted].\n"
        "\n"
        "[^src]: https://footnote-source.example/ is where it comes from\n"
        "\n"
        "> [Quoted]: https://quoted.example/\n"
        "\n"
        "[Entity]:\n"
        "  https://example.com/?a=1&amp;b=2\n"
        "\n"
        "[^note]: footnote\n"
    )
    assert links(parse_any(text, "a.md", BASE)) == [
        (3, None, "https://footnote-source.example/"),
        (5, "Quoted", "https://quoted.example/"),
        (8, "Entity", "https://example.com/?a=1&b=2"),
    ]


def test_backslashes_in_a_relative_reference_are_slashes_as_in_a_browser() -> None:
    assert urls(parse_any("[w](docs\\\\page.html)\n", "a.md", BASE)) == [
        "https://site.example/news/docs/page.html"
    ]


# HTML digests.

PAGE = (
    "<!doctype html>\n"  # 1
    "<html><head><title>Week 12 <a href='https://fake.example/'></title>\n"  # 2
    '<base href="/news/2024/">\n'  # 3
    "</head><body>\n"  # 4
    '<p>Read <a href="https://a.example/?q=1&amp;r=2&copy=3&#x41;">the\n'  # 5
    "   paper</a> and <A HREF='notes.html'>notes</A>.</p>\n"  # 6
    '<p><a href="#top">top</a> <a href="mailto:x@example.org">mail</a></p>\n'  # 7
    '<pre><a href="https://pre.example/">pre</a></pre>\n'  # 8
    "<p><code><a href=https://code.example/>code</a></code></p>\n"  # 9
    '<img src="https://img.example/i.png" alt="chart">\n'  # 10
    '<a href="https://badge.example/"><img src="b.png" alt="Badge"></a>\n'  # 11
    '<a\n href="  https://spaced.example/x  ">spaced</a>\n'  # 12-13
    "</body></html>\n"
)


def test_html_anchors_and_images_with_entities_lines_and_labels() -> None:
    parsed = parse_any(PAGE, "week.html")
    assert links(parsed) == [
        (5, "the paper", "https://a.example/?q=1&r=2&copy=3A"),
        (10, None, "https://img.example/i.png"),
        (11, "Badge", "https://badge.example/"),
        (12, "spaced", "https://spaced.example/x"),
    ]
    # <base href="/news/2024/"> is itself relative: without --base-url nothing resolves.
    assert [(line, target) for line, target, _ in skipped(parsed)] == [
        (6, "notes.html"),
        (7, "#top"),
        (7, "mailto:x@example.org"),
        (11, "b.png"),
    ]


def test_html_base_href_resolves_against_the_base_url() -> None:
    options = ReadOptions(base_url="https://site.example/", include_verbatim=True)
    assert links(parse_any(PAGE, "week.html", options)) == [
        (5, "the paper", "https://a.example/?q=1&r=2&copy=3A"),
        (6, "notes", "https://site.example/news/2024/notes.html"),
        (8, "pre", "https://pre.example/"),
        (9, "code", "https://code.example/"),
        (10, None, "https://img.example/i.png"),
        (11, "Badge", "https://badge.example/"),
        (11, None, "https://site.example/news/2024/b.png"),
        (12, "spaced", "https://spaced.example/x"),
    ]


def test_an_absolute_base_href_needs_no_base_url_and_only_the_first_counts() -> None:
    page = (
        '<base href="https://mirror.example/d/"><base href="https://second.example/">\n'
        '<a href="p.html">p</a>\n'
    )
    assert links(parse_any(page, "a.htm")) == [(2, "p", "https://mirror.example/d/p.html")]


def test_html_lines_count_crlf_and_cr_as_the_editor_does() -> None:
    page = '<p>a</p>\r\n<p>b</p>\r<a href="https://x.example/">x</a>\n'
    assert links(parse_any(page, "a.html")) == [(3, "x", "https://x.example/")]


def test_bare_urls_in_the_text_of_a_page_are_links_outside_anchors_styles_and_code() -> None:
    page = (
        "<p>Prose https://prose.example/a, then\n"  # 1
        "more: https://prose.example/b&amp;c.</p>\n"  # 2
        '<a href="https://anchor.example/">https://anchor-text.example/</a>\n'  # 3
        "<style>body { background: url(https://css.example/bg.png) }</style>\n"  # 4
        "<pre>$ curl https://pre.example/</pre>\n"  # 5
        "<script>fetch('https://script.example/')</script>\n"  # 6
        "https://after.example/\n"  # 7
    )
    assert links(parse_any(page, "a.html")) == [
        (1, None, "https://prose.example/a"),
        (2, None, "https://prose.example/b&c"),
        (3, "https://anchor-text.example/", "https://anchor.example/"),
        (7, None, "https://after.example/"),
    ]
    with_code = [(line, url) for line, _, url in links(parse_any(page, "a.html", VERBATIM))]
    assert (5, "https://pre.example/") in with_code
    assert (6, "https://script.example/')") not in with_code  # a URL ends at the quote
    assert (6, "https://script.example/") in with_code
    assert all("css.example" not in url for _, url in with_code)


def test_html_lines_survive_reordering_clones_and_anchors_without_href() -> None:
    page = (
        "<p>start</p>\n"  # 1
        '<table><tr><td><a href="https://one.example/">one</a></td></tr>\n'  # 2
        '<a href="https://two.example/">stray: moved before the table</a>\n'  # 3
        "</table>\n"  # 4
        + "".join(f'<a name="n{i}"></a>\n' for i in range(70))  # 5-74
        + '<div><a href="https://self-closed.example/" /></div>\n'  # 75
        '<p><a href="https://unclosed.example/">unclosed\n'  # 76
        "<p>second paragraph\n"  # 77
        '<p><a href="https://last.example/">last</a>\n'  # 78
        '<a href="">this page</a>\n'  # 79
    )
    assert skipped(parse_any(page, "a.html")) == [(79, "", SAME_DOCUMENT_REASON)]
    assert [(line, url) for line, _, url in links(parse_any(page, "a.html"))] == [
        (2, "https://one.example/"),
        (3, "https://two.example/"),
        (75, "https://self-closed.example/"),
        (76, "https://unclosed.example/"),
        (78, "https://last.example/"),
    ]


def test_two_definitions_of_one_url_keep_their_own_labels() -> None:
    text = (
        "[Medusa][m] and [the paper][p]\n\n[p]: https://arxiv.org/abs/2401.10774\n"
        "[m]: https://arxiv.org/abs/2401.10774\n"
    )
    assert links(parse_any(text, "a.md")) == [
        (3, "the paper", "https://arxiv.org/abs/2401.10774"),
        (4, "Medusa", "https://arxiv.org/abs/2401.10774"),
    ]


def test_an_image_reference_and_an_angle_bracket_definition_on_the_next_line() -> None:
    text = "![logo][l] [x]\n\n[l]: https://img.example/l.png\n[x]:\n  <https://x.example/a b>\n"
    assert links(parse_any(text, "a.md")) == [
        (3, None, "https://img.example/l.png"),
        (5, "x", "https://x.example/a%20b"),
    ]


def test_a_markdown_link_inside_inline_code_html_is_code() -> None:
    text = "<code>[x](https://in-code.example/)</code> [y](https://out.example/)\n"
    assert urls(parse_any(text, "a.md")) == ["https://out.example/"]
    assert urls(parse_any(text, "a.md", VERBATIM)) == [
        "https://in-code.example/",
        "https://out.example/",
    ]


def test_a_url_in_a_code_span_across_lines_is_on_its_own_line() -> None:
    text = "A `x\nhttps://span.example/` b\n"
    assert links(parse_any(text, "a.md", VERBATIM)) == [(2, None, "https://span.example/")]


def test_html_raw_text_elements_and_html5_comment_endings_keep_lines() -> None:
    page = (
        "<!-->\n"  # 1: an empty comment in HTML5
        "<a href='https://one.example/'>1</a>\n"  # 2
        "https://text.example/ <!-- a --!>\n"  # 3
        "<title><a href='https://x.example/'>not a tag</a></title>\n"  # 4
        "<a href='https://x.example/'>real</a>\n"  # 5
        "<iframe>https://iframe-fallback.example/</iframe>\n"  # 6
        "https://after.example/\n"  # 7
    )
    assert [(line, url) for line, _, url in links(parse_any(page, "a.html"))] == [
        (2, "https://one.example/"),
        (3, "https://text.example/"),
        (5, "https://x.example/"),
        (7, "https://after.example/"),
    ]


def test_a_network_path_base_href_is_https() -> None:
    page = '<base href="//mirror.example/d/"><a href="p.html">p</a>\n'
    assert urls(parse_any(page, "a.html")) == ["https://mirror.example/d/p.html"]


@pytest.mark.parametrize("value", ["https://[x", "ftp://a.example/", "news/", "//a.example/"])
def test_a_base_url_that_is_not_an_absolute_web_url_is_a_configuration_error(value: str) -> None:
    from enricher.errors import ConfigError
    from enricher.options import OPTIONS

    option = next(o for o in OPTIONS if o.key == "base-url")
    with pytest.raises(ConfigError, match="expected an absolute http"):
        option.parse(value, "base-url")


def test_html_raw_text_in_svg_self_closed_titles_entities_and_comment_look_alikes() -> None:
    page = (
        "<svg><title>\n"  # 1: in SVG, <title> is an element: the <a> is a tag
        "<a href='https://svg.example/'>1</a></title></svg>\n"  # 2
        "<title/>https://title.example/</title>\n"  # 3: a title all the same
        "<a href='https://x.example/a--!>b'>odd</a>\n"  # 4: no comment here
        "<textarea>https://t.example/?a=1&amp;b=2</textarea>\n"  # 5
    )
    assert [(line, url) for line, _, url in links(parse_any(page, "a.html"))] == [
        (2, "https://svg.example/"),
        (4, "https://x.example/a--!>b"),
    ]
    with_code = [(line, url) for line, _, url in links(parse_any(page, "a.html", VERBATIM))]
    assert (5, "https://t.example/?a=1&b=2") in with_code


def test_a_markdown_link_list_label_survives_escapes_and_emphasis_marks() -> None:
    text = "- [P4] https://a.example/x_\n- [P5] https://a.example/a\\_b\n"
    assert links(parse_any(text, "a.md")) == [
        (1, "P4", "https://a.example/x"),
        (2, "P5", "https://a.example/a_b"),
    ]


def test_urls_of_a_multi_line_code_span_each_get_their_line() -> None:
    text = "`https://x.example/issues/1\nhttps://x.example/issues/2\nhttps://x.example/a&amp;b`\n"
    assert [(line, url) for line, _, url in links(parse_any(text, "a.md", VERBATIM))] == [
        (1, "https://x.example/issues/1"),
        (2, "https://x.example/issues/2"),
        (3, "https://x.example/a&amp;b"),
    ]


def test_an_image_first_use_leaves_the_label_to_a_later_link() -> None:
    text = "![logo][home] then [Home page][home]\n\n[home]: https://home.example/\n"
    assert links(parse_any(text, "a.md")) == [(3, "Home page", "https://home.example/")]


def test_a_templates_inert_content_is_no_link_and_takes_no_line() -> None:
    page = (
        "<template><a href='https://x.example/'>t</a> https://t.example/</template>\n"  # 1
        "<p>text</p>\n"  # 2
        "<a href='https://x.example/'>real</a>\n"  # 3
    )
    assert links(parse_any(page, "a.html")) == [(3, "real", "https://x.example/")]
