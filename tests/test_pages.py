"""What a page says about itself (issue 14, part 1): fields, their precedence, charsets, and
what must not be taken for metadata. Every page here is a small one made for its test."""

from __future__ import annotations

import pytest

from enricher.pages import (
    MAX_FIELD_CHARS,
    MAX_REFRESH_METAS,
    NEVER_S,
    PageFacts,
    decode_html,
    facts_json,
    page_facts,
)

HTML = "text/html; charset=utf-8"
BASE = "https://example.org/blog/post"


def page(head: str, body: str = "<p>text</p>", lang: str = "") -> bytes:
    attribute = f' lang="{lang}"' if lang else ""
    return f"<!doctype html><html{attribute}><head>{head}</head><body>{body}</body></html>".encode()


def test_opengraph_wins_and_relative_urls_are_resolved() -> None:
    facts = page_facts(page(
        '<title>Post | Example Blog</title>'
        '<meta property="og:title" content="A post">'
        '<meta name="twitter:title" content="Twitter title">'
        '<meta name="description" content="Plain description">'
        '<meta property="og:description" content="OG description">'
        '<meta property="og:site_name" content="Example Blog">'
        '<meta property="og:image" content="/img/cover.png">'
        '<meta property="og:type" content="article">'
        '<link rel="canonical" href="../post">',
        lang="en-GB"), HTML, BASE)  # fmt: skip
    assert facts is not None
    assert facts_json(facts) == facts_json(PageFacts(
        title="A post", description="OG description", site_name="Example Blog",
        image="https://example.org/img/cover.png", canonical_url="https://example.org/post",
        lang="en-GB", type="article",
    ))  # fmt: skip


def test_plain_html_when_there_is_nothing_else() -> None:
    facts = page_facts(page('<title>\n  Just a   title &amp; more\n</title>'
                            '<meta name="description" content="  About   it ">'
                            '<meta name="author" content="Ada">'), HTML, BASE)  # fmt: skip
    assert facts is not None
    assert (facts.title, facts.description, facts.author) == ("Just a title & more", "About it",
                                                              "Ada")  # fmt: skip
    assert facts.image is None and facts.canonical_url is None and facts.lang is None


def test_a_paper_page_keeps_its_doi_and_arxiv_id() -> None:
    facts = page_facts(page(
        '<title>Some journal - Medusa</title>'
        '<meta name="citation_title" content="Medusa: Simple LLM Inference Acceleration">'
        '<meta name="citation_author" content="Cai, Tianle">'
        '<meta name="citation_author" content="Li, Yuhong">'
        '<meta name="citation_publication_date" content="2024/01/19">'
        '<meta name="citation_doi" content="10.48550/arXiv.2401.10774">'
        '<meta name="citation_arxiv_id" content="2401.10774">'), HTML, BASE)  # fmt: skip
    assert facts is not None
    assert facts.title == "Medusa: Simple LLM Inference Acceleration"
    assert facts.author == "Cai, Tianle"  # the first author
    assert facts.published_at == "2024/01/19"
    assert (facts.doi, facts.arxiv_id) == ("10.48550/arXiv.2401.10774", "2401.10774")


def test_json_ld_in_a_graph() -> None:
    ld = ('{"@context": "https://schema.org", "@graph": ['
          '{"@type": "WebSite", "url": "https://example.org/"},'
          '{"@type": "NewsArticle", "headline": "Headline", "datePublished": "2024-05-01",'
          ' "author": [{"@type": "Person", "name": "Grace"}],'
          ' "publisher": {"@type": "Organization", "name": "Example News"},'
          ' "image": {"@type": "ImageObject", "url": "https://cdn.example.org/a.jpg"}}]}')  # fmt: skip
    facts = page_facts(page(f'<script type="application/ld+json">{ld}</script>'), HTML, BASE)
    assert facts is not None
    assert (facts.title, facts.type, facts.published_at) == ("Headline", "NewsArticle",
                                                             "2024-05-01")  # fmt: skip
    assert (facts.author, facts.site_name) == ("Grace", "Example News")
    assert facts.image == "https://cdn.example.org/a.jpg"


def test_broken_json_ld_is_skipped_not_fatal() -> None:
    facts = page_facts(page('<script type="application/ld+json">{"headline": oops</script>'
                            '<title>Still here</title>'), HTML, BASE)  # fmt: skip
    assert facts is not None and facts.title == "Still here"


def test_markup_that_is_not_in_the_document_is_not_metadata() -> None:
    """A commented-out tag, a tag written by a script, a meta in a code sample: not the
    page's own (a regular expression would take all three)."""
    facts = page_facts(page(
        '<!-- <meta property="og:title" content="Commented out"> -->'
        "<script>document.write('<meta name=\"description\" content=\"From a script\">')</script>"
        '<title>Real title</title>',
        body='<pre>&lt;meta property="og:title" content="In a code sample"&gt;</pre>'),
        HTML, BASE)  # fmt: skip
    assert facts is not None
    assert facts.title == "Real title" and facts.description is None


def test_long_values_are_cut() -> None:
    facts = page_facts(page(f'<meta name="description" content="{"word " * 1000}">'), HTML, BASE)
    assert facts is not None and facts.description is not None
    assert len(facts.description) == MAX_FIELD_CHARS


@pytest.mark.parametrize("content_type", ["application/pdf", "text/plain", "", None,
                                          "application/json; charset=utf-8"])  # fmt: skip
def test_an_answer_that_is_not_html_has_no_page(content_type: str | None) -> None:
    assert page_facts(page("<title>x</title>"), content_type, BASE) is None


@pytest.mark.parametrize("content_type", ["text/html", "TEXT/HTML; Charset=UTF-8",
                                          "application/xhtml+xml"])  # fmt: skip
def test_html_is_recognised_however_written(content_type: str) -> None:
    facts = page_facts(page("<title>x</title>"), content_type, BASE)
    assert facts is not None and facts.title == "x"


# Charsets: mojibake is a bug.


def test_the_declared_charset_is_used() -> None:
    body = page("<title>東京の天気</title>").decode().encode("shift_jis")
    facts = page_facts(body, "text/html; charset=Shift_JIS", BASE)
    assert facts is not None and (facts.title, facts.html_title) == ("東京の天気", "東京の天気")


def test_a_meta_charset_is_used_when_the_header_says_nothing() -> None:
    body = ('<html><head><meta charset="gbk"><title>大模型综述</title></head></html>').encode("gbk")
    facts = page_facts(body, "text/html", BASE)
    assert facts is not None and facts.title == "大模型综述"
    old_style = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
                 'charset=euc-kr"><title>안녕하세요</title></head></html>').encode("euc-kr")  # fmt: skip
    facts = page_facts(old_style, "text/html", BASE)
    assert facts is not None and facts.title == "안녕하세요"


def test_a_byte_order_mark_outranks_the_header() -> None:
    body = "\ufeff<title>Café</title>".encode()
    assert decode_html(body, "text/html; charset=iso-8859-1") == "<title>Café</title>"


def test_latin1_is_read_as_windows_1252_as_browsers_do() -> None:
    body = "<title>“Quoted” café</title>".encode("cp1252")
    assert decode_html(body, "text/html; charset=ISO-8859-1") == "<title>“Quoted” café</title>"


def test_undeclared_bytes_are_utf8_when_valid_else_windows_1252() -> None:
    assert decode_html("<title>Zürich</title>".encode(), "text/html") == "<title>Zürich</title>"
    assert decode_html("<title>Zürich</title>".encode("cp1252"), None) == "<title>Zürich</title>"


def test_a_character_cut_by_the_read_limit_stays_utf8() -> None:
    body = "<title>東京</title><p>東".encode()[:-1]  # the last character's bytes cut short
    assert decode_html(body, "text/html").startswith("<title>東京</title>")


def test_an_unknown_charset_falls_back_instead_of_failing() -> None:
    facts = page_facts(page("<title>ok</title>"), "text/html; charset=x-no-such", BASE)
    assert facts is not None and facts.title == "ok"


def test_the_record_object_has_every_field() -> None:
    assert facts_json(PageFacts(title="t")) == {
        "title": "t", "description": None, "site_name": None, "image": None,
        "canonical_url": None, "lang": None, "type": None, "published_at": None,
        "author": None, "doi": None, "arxiv_id": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "markup"),
    [
        (HTML, '<script src="https://[CDN_HOST]/app.js"></script>'),
        (HTML, '<link rel="canonical" href="http://[::1"><meta property="og:image" '
               'content="https://[x">'),
        (HTML, '<meta http-equiv="refresh" content="0; url=http://[bad/">'),
        ("text/html; charset=base64", "<title>x</title>"),
        ("text/html; charset=rot13", "<title>x</title>"),
        ("text/html; charset=idna", "<title>x</title>"),
        (HTML, '<meta charset="hex"><title>x</title>'),
    ],
)  # fmt: skip
def test_hostile_markup_gives_facts_not_an_exception(content_type: str, markup: str) -> None:
    """A malformed URL or a charset that is not a text encoding is what a page says, not a
    reason to stop the run: the rest of the page is still read."""
    facts = page_facts(page(markup, '<form action="http://[x/"></form>'), content_type, BASE)
    assert facts is not None and facts.refresh_url is None and facts.image is None


def test_json_ld_nested_deeper_than_python_recurses_is_skipped() -> None:
    """Brackets nested 3,000 deep in a JSON-LD block (a few KB of anyone's page) make the
    JSON reader give up: the block is skipped, the rest of the page is read."""
    hostile = '<script type="application/ld+json">' + "[" * 3000 + "]" * 3000 + "</script>"
    facts = page_facts(page("<title>Still read</title>" + hostile), HTML, BASE)
    assert facts is not None and facts.title == "Still read"


@pytest.mark.parametrize(
    ("content", "target"),
    [
        ("0; url=/new", "https://example.org/new"),
        ("0;URL='https://example.com/moved'", "https://example.com/moved"),
        ('0; url = "/quoted" trailing', "https://example.org/quoted"),
        ("0; https://example.com/bare", "https://example.com/bare"),
        ("5,/comma", "https://example.org/comma"),
        ("  3  url=/spaces  ", "https://example.org/spaces"),
        (".5; url=/half", "https://example.org/half"),
        ("0", None),
        ("300", None),
        ("0; url=", None),
        ("url=/no-delay", None),
        ("5x; url=/not-a-delay", None),
    ],
)  # fmt: skip
def test_a_meta_refresh_is_read_as_browsers_read_it(content: str, target: str | None) -> None:
    """The HTML standard's refresh: a delay, a separator, then the URL, ``url=`` and quotes
    optional; no URL is a reload, and no delay makes browsers ignore it."""
    markup = f'<meta http-equiv="Refresh" content="{content.replace(chr(34), "&quot;")}">'
    facts = page_facts(page(markup), HTML, BASE)
    assert facts is not None and facts.refresh_url == target


@pytest.mark.parametrize(
    ("markup", "target", "delay"),
    [
        pytest.param('<meta http-equiv="refresh" content="1.5; url=/a">', "https://example.org/a",
                     1, id="delay-in-whole-seconds"),
        pytest.param('<meta http-equiv="refresh" content="">'
                     '<meta http-equiv="refresh" content="7; url=/second">',
                     "https://example.org/second", 7, id="one-browsers-ignore-is-skipped"),
        pytest.param('<meta http-equiv="refresh" content="30">'
                     '<meta http-equiv="refresh" content="0; url=/second">', None, 30,
                     id="a-reload-is-the-refresh"),
        pytest.param('<noscript><meta http-equiv="refresh" content="0; url=/no-js"></noscript>',
                     None, None, id="inside-noscript-unseen-with-scripts-on"),
        pytest.param('<meta http-equiv="refresh" content="0; url=javascript:alert(1)">', None,
                     None, id="a-script-url-is-no-page"),
        pytest.param('<meta http-equiv="refresh" content="0; url=mailto:a@example.org">', None,
                     None, id="a-mail-url-is-no-page"),
        pytest.param('<meta http-equiv="refresh" content="0; url=http://[::1">'
                     '<meta http-equiv="refresh" content="2; url=/usable">',
                     "https://example.org/usable", 2, id="an-unusable-url-is-skipped"),
        pytest.param(f'<meta http-equiv="refresh" content="{"9" * 5000}; url=/later">',
                     "https://example.org/later", NEVER_S, id="a-delay-of-5000-digits-is-never"),
    ],
)  # fmt: skip
def test_which_refresh_counts_and_when_it_sends_the_reader_on(
    markup: str, target: str | None, delay: int | None
) -> None:
    facts = page_facts(page(markup), HTML, BASE)
    assert facts is not None and (facts.refresh_url, facts.refresh_delay_s) == (target, delay)


@pytest.mark.parametrize(
    ("body", "scripted"),
    [
        ("<script>go()</script>", True),
        ('<script type="module" src="/app.js"></script>', True),
        ('<script type="application/ld+json">{"@type": "Article"}</script>', False),
        ('<script type="text/template"><p>{{ name }}</p></script>', False),
        ("<p>no script</p>", False),
    ],
)
def test_a_page_running_a_script_says_so(body: str, scripted: bool) -> None:
    facts = page_facts(page("<title>x</title>", body), HTML, BASE)
    assert facts is not None and facts.scripted is scripted


def test_a_refresh_is_looked_for_among_the_first_refresh_tags_only() -> None:
    """Each refresh tag walks its ancestors (is it inside ``<noscript>``?): a hostile page of
    thousands, each nested in the one before, cost seconds. Browsers act on the first."""
    hidden = '<noscript><meta http-equiv="refresh" content="0; url=/fallback"></noscript>'
    seen = '<meta http-equiv="refresh" content="0; url=/moved">'
    within = page_facts(page(hidden * (MAX_REFRESH_METAS - 1) + seen), HTML, BASE)
    assert within is not None and within.refresh_url == "https://example.org/moved"
    beyond = page_facts(page(hidden * MAX_REFRESH_METAS + seen), HTML, BASE)
    assert beyond is not None and beyond.refresh_url is None


@pytest.mark.parametrize(
    ("label", "codec", "title"),
    [
        ("Shift_JIS", "cp932", "①機械学習ニュース 第２回 ㈱サンプル 髙橋"),
        ("x-sjis", "cp932", "東京の天気"),
        ("windows-31j", "cp932", "①東京"),
        ("gb2312", "gbk", "王喆的人工智能博客"),
        ("x-gbk", "gbk", "大模型综述"),
        ("euc-kr", "cp949", "똠얌꿍 레시피"),
        ("windows-874", "cp874", "ข่าวปัญญาประดิษฐ์"),
        ("iso-8859-8-i", "iso8859-8", "חדשות"),
        ("x-cp1251", "cp1251", "Последние новости"),
        ("latin5", "cp1254", "Yapay zekâ “haberleri”"),
        ("big5", "big5hkscs", "人工智慧新聞"),
    ],
)
@pytest.mark.parametrize("where", ["header", "meta"])
def test_charset_labels_are_read_as_browsers_read_them(
    label: str, codec: str, title: str, where: str
) -> None:
    """A label means the Encoding Standard's decoder: Shift_JIS is Windows-31J (①, ㈱, 髙),
    gb2312 is GBK, euc-kr is Windows-949; labels Python does not know are still read."""
    meta = f'<meta charset="{label}">' if where == "meta" else ""
    body = f"<html><head>{meta}<title>{title}</title></head></html>".encode(codec)
    content_type = "text/html" if where == "meta" else f"text/html; charset={label}"
    facts = page_facts(body, content_type, BASE)
    assert facts is not None and facts.title == title


def test_a_meta_naming_utf16_on_an_ascii_compatible_page_means_utf8() -> None:
    """The bytes that said UTF-16 were ASCII: the page is not UTF-16 (HTML's prescan)."""
    body = '<html><head><meta charset="utf-16"><title>Café ☕</title></head></html>'.encode()
    facts = page_facts(body, "text/html", BASE)
    assert facts is not None and facts.title == "Café ☕"


def test_charset_in_text_past_the_prescan_is_no_declaration() -> None:
    """Only the first 1,024 bytes are scanned for a ``<meta charset>`` (HTML's prescan): a
    description mentioning "charset=latin1" further on does not turn a UTF-8 page into
    mojibake, and a long run of unclosed ``<meta`` costs no time."""
    filler = '<meta name="x" content="' + "y" * 1100 + '">'
    said = '<meta name="description" content="Convert charset=latin1 files">'
    body = f"<html><head>{filler}{said}<title>Café – naïve</title></head></html>".encode()
    facts = page_facts(body, "text/html", BASE)
    assert facts is not None and facts.title == "Café – naïve"


def test_relative_urls_resolve_against_the_pages_base_href() -> None:
    """Angular's ``<base href="/">``: a canonical link ``blog/x`` on ``/app/page`` is
    ``/blog/x``, as a browser reads it; a base that is no http(s) URL is passed over."""
    head = '<link rel="canonical" href="blog/x"><meta property="og:image" content="img/a.png">'
    facts = page_facts(page(f'<base href="/">{head}'), "text/html", "https://e.test/app/page")
    assert facts is not None
    assert (facts.canonical_url, facts.image) == (
        "https://e.test/blog/x",
        "https://e.test/img/a.png",
    )
    odd = page_facts(page(f'<base href="javascript:x">{head}'), "text/html", "https://e.test/app/p")
    assert odd is not None and odd.canonical_url == "https://e.test/app/blog/x"


def test_an_icons_svg_title_is_not_the_pages() -> None:
    """``<svg><title>Icon</title></svg>`` names the icon; the document's title is the first
    one outside an SVG, as ``document.title`` reads it."""
    only_icon = b"<html><body><svg><title>Icon</title></svg><p>text</p></body></html>"
    facts = page_facts(only_icon, "text/html", BASE)
    assert facts is not None and facts.html_title is None
    both = b"<html><body><svg><title>Icon</title></svg><title>The page</title></body></html>"
    facts = page_facts(both, "text/html", BASE)
    assert facts is not None and facts.html_title == "The page"
