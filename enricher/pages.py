"""What a web page says about itself: title, description, site, image... from the start of its
HTML (the web checker reads up to the end of ``<head>``). Pure: bytes and headers in,
``PageFacts`` out; the web authority puts them in the record's ``page`` object.

Sources, best first for each field: OpenGraph (``og:``), Twitter cards, the ``citation_*``
tags scholarly pages carry (Highwire/Google Scholar), JSON-LD, then plain HTML (``<title>``,
``<meta name=description>``, ``<link rel=canonical>``, ``<html lang>``). The HTML is parsed
by selectolax's Lexbor engine (a real HTML5 parser in C; measured in
``benchmarks/page_parse.py``), never by regular expressions. The text is decoded by the
charset the server declared, else a byte-order mark, else the page's own ``<meta charset>``
(the HTML spec's prescan of the first 1,024 bytes), else UTF-8
when it is valid, else windows-1252, as browsers do; labels mean what the Encoding Standard
says they mean (``charsets``).
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .charsets import decoder_for
from .models import PAGE_RECORD_FIELDS, PageFacts
from .page_signals import HTML_MARKERS, THIN_TEXT
from .urls import SUPPORTED_SCHEMES

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

MAX_FIELD_CHARS = 1000
"""Longer values are cut: a record holds a description, not an article."""

TEXT_SAMPLE_CHARS = 400
"""How much of a long body's visible text the facts keep; a thin page's (see
``page_signals.THIN_TEXT``) is kept whole: an error page may say so below its site's menu."""

TEXT_COUNTED_CHARS = 16_000
"""Visible text is counted this far (``text_length`` says "at least" beyond): enough to tell
a page with content of its own from a wall, without collapsing a whole article's spaces."""

MAX_RESOURCES = 30
_NOT_TEXT = ["script", "style", "noscript", "template", "svg"]

_WHITESPACE = " \t\n\f\r"
"""ASCII whitespace, as the HTML standard counts it."""

_UNSEEN = frozenset({"noscript", "template"})
"""Elements whose content a browser running scripts does not act on."""

_RUNNING_SCRIPTS = frozenset(
    {"", "module", "text/javascript", "application/javascript", "text/ecmascript",
     "application/ecmascript"}
)  # fmt: skip
"""``<script type>`` values a browser runs (JSON-LD and templates are data)."""

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})

NEVER_S = 365 * 24 * 3600
"""A refresh delay this long (or longer) is one no reader waits for."""

MAX_REFRESH_METAS = 8
"""``<meta http-equiv=refresh>`` tags looked at for the one browsers act on: each walks its
ancestors, and a hostile page of thousands, each nested in the one before, cost seconds."""

_PRESCAN_BYTES = 1024
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
"""The HTML spec's encoding prescan looks for a charset in the first 1,024 bytes' ``<meta>``
tags; this finds the same declaration in the bytes, before there is any text to parse."""


def is_html(content_type: str | None) -> bool:
    """Whether an answer's ``Content-Type`` is HTML (a missing one is not: no sniffing)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def declared_charset(content_type: str | None) -> str | None:
    """The decoder of a ``Content-Type``'s ``charset`` parameter, if browsers know its label."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return decoder_for(value)
    return None


def decode_html(body: bytes, content_type: str | None) -> str:
    """The page's text, decoded as a browser would (see the module's docstring)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):  # fmt: skip
        if body.startswith(bom):  # a BOM outranks everything, header included (HTML spec)
            return body[len(bom) :].decode(encoding, errors="replace")
    declared = declared_charset(content_type) or _prescan(body)
    if declared is not None:
        return body.decode(declared, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(body) - 3:  # a character cut by the read limit: still UTF-8
            return body.decode("utf-8", errors="replace")
        return body.decode("cp1252", errors="replace")


def page_facts(body: bytes, content_type: str | None, base_url: str) -> PageFacts | None:
    """What an HTML answer says about itself; None for an answer that is not HTML. Relative
    URLs (``og:image``, the canonical link) are resolved against ``base_url``."""
    if not is_html(content_type):
        return None
    from selectolax.lexbor import LexborHTMLParser  # imported by the first page read, not at start

    html_text = decode_html(body, content_type)
    tree = LexborHTMLParser(html_text)
    base_url = _document_base(tree, base_url)
    meta = _meta(tree)
    linked = _json_ld(tree)
    html = tree.css_first("html")
    title_node = _document_title(tree)

    def first(*values: Any) -> str | None:
        for value in values:
            text = _clean(value)
            if text:
                return text
        return None

    def url(*values: Any) -> str | None:
        found = first(*values)
        return _absolute(base_url, found) if found else None

    canonical = tree.css_first('link[rel="canonical"]')
    heading = tree.css_first("h1")
    refresh = _refresh(tree, base_url)  # before _evidence strips <noscript>: skipped there
    evidence = _evidence(tree, html_text, base_url)  # strips scripts: after everything else
    return PageFacts(
        title=first(meta.get("og:title"), meta.get("twitter:title"), meta.get("citation_title"),
                    linked.get("headline"), linked.get("name"),
                    title_node.text() if title_node else None),
        description=first(meta.get("og:description"), meta.get("twitter:description"),
                          meta.get("description"), linked.get("description"),
                          meta.get("citation_abstract")),
        site_name=first(meta.get("og:site_name"), _name_of(linked.get("publisher")),
                        meta.get("application-name"), meta.get("citation_journal_title")),
        image=url(meta.get("og:image"), meta.get("og:image:url"), meta.get("twitter:image"),
                  _image_of(linked.get("image"))),
        canonical_url=url(canonical.attributes.get("href") if canonical else None,
                          meta.get("og:url")),
        lang=first(html.attributes.get("lang") if html else None, meta.get("og:locale"),
                   meta.get("citation_language")),
        type=first(meta.get("og:type"), linked.get("@type")),
        published_at=first(meta.get("article:published_time"),
                           meta.get("citation_publication_date"), meta.get("citation_date"),
                           linked.get("datePublished"), meta.get("date")),
        author=first(meta.get("author"), meta.get("citation_author"),
                     meta.get("article:author"), _name_of(linked.get("author"))),
        doi=first(meta.get("citation_doi"), meta.get("dc.identifier.doi")),
        arxiv_id=first(meta.get("citation_arxiv_id")),
        html_title=first(title_node.text() if title_node else None),
        heading=first(heading.text(separator=" ") if heading else None),
        refresh_url=refresh[1] if refresh else None,
        refresh_delay_s=refresh[0] if refresh else None,
        **evidence,
    )  # fmt: skip


def _evidence(tree: LexborHTMLParser, html_text: str, base_url: str) -> dict[str, Any]:
    """What ``page_signals`` judges besides titles: the body's text, where scripts and frames
    come from, a password field, and known fingerprints."""
    resources: list[str] = []
    for node in tree.css("script[src], iframe[src], frame[src], form[action]"):
        source = node.attributes.get("src") or node.attributes.get("action")
        if not source or len(resources) >= MAX_RESOURCES:
            continue
        resolved = _absolute(base_url, source)
        parts = urlsplit(resolved) if resolved else None
        if parts is not None and parts.scheme in SUPPORTED_SCHEMES:
            resource = f"{(parts.hostname or '')}{parts.path}"[:200]
            if resource not in resources:
                resources.append(resource)
    password = any(
        (node.attributes.get("type") or "").strip().lower() == "password"
        for node in tree.css("input[type]")
    )
    scripted = any(
        (node.attributes.get("type") or "").strip().lower() in _RUNNING_SCRIPTS
        for node in tree.css("script")
    )
    tree.strip_tags(_NOT_TEXT)
    raw = tree.body.text(separator=" ") if tree.body else ""
    text = " ".join(raw[:TEXT_COUNTED_CHARS].split())
    # Walls and landers are thin pages; on a page with content of its own only where its
    # scripts come from can matter. Searching every page's whole HTML for the fingerprints
    # cost a third of the parse (1 ms a page).
    searched = html_text if len(text) < THIN_TEXT else " ".join(resources)
    lowered = searched.lower()
    markers = tuple(marker for marker in HTML_MARKERS if marker in lowered)
    return {
        "text": (text if len(text) < THIN_TEXT else text[:TEXT_SAMPLE_CHARS]) or None,
        "text_length": len(text),
        "resources": tuple(resources),
        "password_field": password,
        "scripted": scripted,
        "markers": markers,
    }


def _refresh(tree: LexborHTMLParser, base_url: str) -> tuple[int, str | None] | None:
    """The delay and the absolute URL (None for a reload) of the page's refresh: the first
    ``<meta http-equiv=refresh>`` browsers act on. Skipped, as browsers skip them: one whose
    content is no refresh (no delay) or whose URL is unusable; and, on purpose, one inside
    ``<noscript>`` or ``<template>``: with scripts on, browsers do not see it (a script page's
    fallback for readers without them, read as the page's own, had a thin app shell whose
    fallback goes home taken for a dead link), and one sending the reader to no web page
    (``javascript:``, ``mailto:``)."""
    refreshes = (
        node
        for node in tree.css("meta[http-equiv][content]")
        if (node.attributes.get("http-equiv") or "").strip().lower() == "refresh"
    )
    for node in itertools.islice(refreshes, MAX_REFRESH_METAS):
        if any(parent.tag in _UNSEEN for parent in _ancestors(node)):
            continue
        parsed = _parse_refresh(node.attributes.get("content") or "")
        if parsed is None:
            continue
        delay, reference = parsed
        if not reference:
            return delay, None  # a reload
        if (target := _web_url(base_url, reference)) is not None:
            return delay, target
    return None


def _ancestors(node: LexborNode) -> Iterator[LexborNode]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _parse_refresh(content: str) -> tuple[int, str] | None:
    """A refresh's ``content`` read as browsers read it (the HTML standard's shared
    declarative refresh steps): a delay, then ``;`` or ``,``, then the URL, ``url=`` and
    quotes optional (``0; https://example.org/``, ``5,URL='/new'``): the delay and the URL
    ("" for a reload); None when browsers ignore it (no delay, or one that is no number:
    they go on to the next refresh)."""
    rest = content.lstrip(_WHITESPACE)
    digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
    after = rest.lstrip("0123456789.")
    if after == rest:
        return None
    rest = after.lstrip(_WHITESPACE)
    if rest[:1] in (";", ","):
        rest = rest[1:].lstrip(_WHITESPACE)
    elif rest and after[:1] not in _WHITESPACE:
        return None  # "5x": not a delay
    if rest[:3].lower() == "url":
        named = rest[3:].lstrip(_WHITESPACE)
        if named.startswith("="):
            rest = named[1:].lstrip(_WHITESPACE)
    if rest[:1] in ("'", '"'):
        rest = rest[1:].split(rest[0], 1)[0]
    # Python refuses to read over 4,300 digits; a delay of more than a year is never anyway.
    return min(int(digits[:12] or 0), NEVER_S), rest.strip(_WHITESPACE)


def _web_url(base_url: str, reference: str) -> str | None:
    """``reference`` resolved against the page's URL when it is a web page's (http or https):
    a refresh to ``javascript:`` or ``mailto:`` sends no reader to a page."""
    resolved = _absolute(base_url, reference)
    if resolved is None or urlsplit(resolved).scheme.lower() not in SUPPORTED_SCHEMES:
        return None
    return resolved


def _meta(tree: LexborHTMLParser) -> dict[str, str]:
    """``<meta>`` contents by lower-cased ``property`` or ``name`` (the first one wins, as
    readers of OpenGraph and ``citation_*`` take it)."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attributes = node.attributes
        key = attributes.get("property") or attributes.get("name") or attributes.get("itemprop")
        content = attributes.get("content")
        if key and content is not None:
            found.setdefault(key.strip().lower(), content)
    return found


def _json_ld(tree: LexborHTMLParser) -> Mapping[str, Any]:
    """The first JSON-LD object that describes the page (in a list or an ``@graph`` too);
    unreadable scripts are skipped."""
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text() or "")
        except (ValueError, RecursionError):  # RecursionError: brackets nested 2,000 deep
            continue
        for item in _ld_items(data):
            if item.get("headline") or item.get("name") or item.get("description"):
                return item
    return {}


def _ld_items(data: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_items(item)
    elif isinstance(data, dict):
        if isinstance(data.get("@graph"), list):
            yield from _ld_items(data["@graph"])
        yield data


def _name_of(value: Any) -> Any:
    """A JSON-LD person or organisation's name (a list's first)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value.get("name") if isinstance(value, dict) else value


def _image_of(value: Any) -> Any:
    if isinstance(value, list):
        value = value[0] if value else None
    return value.get("url") if isinstance(value, dict) else value


def _clean(value: Any) -> str | None:
    """One line of text, whitespace collapsed, cut at ``MAX_FIELD_CHARS``; None for nothing."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:MAX_FIELD_CHARS] or None


def _prescan(body: bytes) -> str | None:
    """The charset the page's ``<meta>`` declares in its first 1,024 bytes (HTML's prescan;
    scanned further, a description or a script mentioning ``charset=`` was taken for one)."""
    match = _META_CHARSET.search(body, 0, _PRESCAN_BYTES)
    return decoder_for(match[1].decode("ascii"), in_meta=True) if match else None


MAX_TITLES = 8
"""``<title>`` elements looked at for the document's: an SVG's own come first in some pages."""


def _document_title(tree: Any) -> Any:
    """The document's ``<title>``: the first not inside an ``<svg>`` (an icon's
    ``<title>Icon</title>`` is the icon's), as ``document.title`` reads it."""
    for node in tree.css("title")[:MAX_TITLES]:
        parent = node.parent
        while parent is not None and parent.tag not in ("svg", "html"):
            parent = parent.parent
        if parent is None or parent.tag != "svg":
            return node
    return None


def _document_base(tree: Any, page_url: str) -> str:
    """What the page's relative URLs resolve against: its first ``<base href>`` (Angular's
    ``<base href="/">``), resolved against the page's URL, when it is an http(s) URL."""
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    if not href:
        return page_url
    resolved = _absolute(page_url, href)
    if resolved is None or urlsplit(resolved).scheme.lower() not in SUPPORTED_SCHEMES:
        return page_url
    return resolved


def _absolute(base_url: str, reference: str) -> str | None:
    """``reference`` resolved against the page's URL; None for one that is not a URL at all
    (``https://[cdn/``): a page's markup is anyone's input."""
    try:
        resolved = urljoin(base_url, reference.strip())
        urlsplit(resolved).hostname  # noqa: B018 - raises for a malformed host
    except ValueError:
        return None
    return resolved


def facts_json(page: PageFacts) -> dict[str, Any]:
    """The ``page`` object of a record (every field, null when the page does not say)."""
    return {name: getattr(page, name) for name in PAGE_RECORD_FIELDS}


__all__ = ["PageFacts", "decode_html", "facts_json", "is_html", "page_facts"]
