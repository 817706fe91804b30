"""Links of an HTML digest: ``a[href]`` and ``img[src]``, against the page's ``<base href>``,
and bare ``http(s)://`` URLs in its text. Pure: text in, links out.

The page is read by Lexbor (selectolax), the HTML5 parser the page-metadata work uses, so what
counts as an element, an attribute or an entity is what a browser decides. Lexbor keeps no
source positions, so each element's line comes from the standard library's tokenizer, which
reads the same start tags in the same order with their line; the two are paired by tag and
attribute value.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from ..digest import bare_urls
from ..models import LinkEntry, ParsedDigest, SkippedLink
from .targets import label_of, read_link, web_base

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from . import ReadOptions

LINKING = {"a": "href", "img": "src", "base": "href"}
"""The elements read, and the attribute of each that holds its URL."""

VERBATIM = frozenset(
    {"code", "kbd", "listing", "noscript", "plaintext", "pre", "samp", "script", "textarea",
     "var", "xmp"}
)  # fmt: skip
"""Elements whose content is shown as written, not followed: lychee's list. Links inside them
are checked only with ``--include-verbatim``."""

_NOT_PROSE = frozenset({"a", "style", "title", "iframe", "noembed", "noframes", "template"})
"""Elements whose text is never a bare link in the page: a link's own text, a style sheet, the
title, what only browsers without frames or plug-ins show, a template's inert content."""

RAW_TEXT = frozenset({"title", "textarea", "iframe", "noembed", "noframes", "xmp"})
"""Elements whose content HTML5 reads as text, not markup (besides ``script`` and ``style``,
which the standard tokenizer already knows): an ``<a>`` inside ``<title>`` is no tag."""

FOREIGN = frozenset({"svg", "math"})
"""Inside SVG and MathML a ``<title>`` is an ordinary element, not raw text."""

_SELECTOR = ", ".join(f"{tag}[{attribute}]" for tag, attribute in LINKING.items())
_CODE = ", ".join(sorted(VERBATIM))


def parse_html(text: str, path: str, options: ReadOptions) -> ParsedDigest:
    """Every link of an HTML digest, in document order, with what was skipped and why."""
    found = sorted(html_links(text, path, 0, options, own_base=True), key=lambda i: i.line)
    entries = tuple(item for item in found if isinstance(item, LinkEntry))
    skipped = tuple(item for item in found if isinstance(item, SkippedLink))
    return ParsedDigest(path=path, entries=entries, skipped=skipped)


def html_links(
    text: str, path: str, first_line: int, options: ReadOptions, *, own_base: bool = False
) -> Iterator[LinkEntry | SkippedLink]:
    """The links of HTML ``text`` that starts on line ``first_line + 1`` of ``path``.

    ``own_base``: a whole page, whose first ``<base href>`` sets the base of its relative
    links (resolved against ``--base-url`` when itself relative); HTML inside a Markdown
    digest has no base of its own.
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    elements = tree.css(_SELECTOR)
    in_code = set() if options.include_verbatim else _links_in_code(tree.css(_CODE))
    lines = _LineFinder(text, options.include_verbatim)
    base = options.base_url
    if own_base:
        first_base = next((e for e in elements if e.tag == "base"), None)
        if first_base is not None:
            base = web_base(first_base.attributes.get("href"), options.base_url)
    for element in elements:
        tag = element.tag or ""
        raw = element.attributes.get(LINKING[tag]) or ""
        source_line = lines.line_of(tag, raw)  # asked for every element: it pairs them
        if tag == "base" or source_line is None:
            continue
        line = first_line + source_line
        if element.mem_id in in_code:
            continue
        yield read_link(path, line, _anchor_text(element) if tag == "a" else None, raw, base)
    for line, url in lines.text_urls:
        yield LinkEntry(path, first_line + line, None, url)


def _links_in_code(code_elements: list[LexborNode]) -> set[int]:
    """The ``mem_id`` of each link element inside one of ``code_elements`` (in document
    order): each subtree is walked once, nested code included (a CSS descendant query checks
    every link's ancestors, quadratic in the nesting depth)."""
    walked: set[int] = set()
    hidden: set[int] = set()
    for code in code_elements:
        if code.mem_id in walked:
            continue  # inside code already walked
        pending = [code]
        while pending:
            node = pending.pop()
            walked.add(node.mem_id)
            if node.tag in LINKING:
                hidden.add(node.mem_id)
            pending.extend(node.iter())
    return hidden


def _anchor_text(element: LexborNode) -> str | None:
    """An anchor's text, or the alt text of an image it holds, whitespace collapsed."""
    text = label_of(element.text(deep=True, separator=" "))
    if text is None:
        image = element.css_first("img[alt]")
        text = label_of(image.attributes.get("alt") if image is not None else None)
    return text


class _LineFinder(HTMLParser):
    """The line of each ``a``/``img``/``base`` start tag, in source order, with its URL
    attribute as the tokenizer decoded it; and the bare URLs of the page's text, outside
    links, styles and (unless ``include_verbatim``) code, each with its line."""

    def __init__(self, text: str, include_verbatim: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: dict[tuple[str, str], deque[int]] = defaultdict(deque)
        """(tag, URL attribute) -> the lines of those start tags not yet paired, in order."""
        self.paired: set[tuple[str, str]] = set()
        self.last_line = 1
        self.text_urls: list[tuple[int, str]] = []
        self.open: Counter[str] = Counter()
        """How many of each element that hides URLs in its text are open."""
        self.hiding = _NOT_PROSE if include_verbatim else _NOT_PROSE | VERBATIM
        self.raw_text: str | None = None
        """The raw-text element open (``title``...), whose text is one string."""
        self.foreign = 0
        """How many ``<svg>``/``<math>`` are open."""
        self.feed(_html5_comment_ends(text.replace("\r\n", "\n").replace("\r", "\n")))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in LINKING and not self.open["template"]:  # a template's content is inert
            value = next((v for k, v in attrs if k == LINKING[tag]), None)
            if value is not None:  # <a name=...> is no link: never asked for
                self.lines[tag, value].append(self.getpos()[0])
        if tag in self.hiding:
            self.open[tag] += 1
        if tag in FOREIGN:
            self.foreign += 1
        elif tag in RAW_TEXT and not self.foreign:
            self.set_cdata_mode(tag)
            self.raw_text = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<title/>" opens a title all the same in HTML5: its text runs to "</title>".
        self.handle_starttag(tag, attrs)
        if self.raw_text != tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open[tag]:
            self.open[tag] -= 1
        if tag in FOREIGN and self.foreign:
            self.foreign -= 1
        if tag == self.raw_text:
            self.raw_text = None

    def handle_data(self, data: str) -> None:
        if "://" not in data or any(self.open[tag] for tag in self.hiding):
            return
        if self.raw_text in ("title", "textarea"):  # RCDATA: entities are decoded
            data = html.unescape(data)
        line, counted = self.getpos()[0], 0  # where this text starts
        for start, url in bare_urls(data):
            line += data.count("\n", counted, start)
            counted = start
            self.text_urls.append((line, url))

    def line_of(self, tag: str, value: str) -> int | None:
        """The line of the first ``tag`` start tag with this ``value`` not yet paired; None
        for an element the source has no more of: a copy the HTML5 parser made (an ``<a>``
        left open is reopened in the next paragraph), not a link of its own."""
        # The tokenizer decodes "&copy=3" in an attribute; an HTML5 parser leaves it.
        for key in ((tag, value), (tag, html.unescape(value))):
            if self.lines.get(key):
                self.paired.add(key)
                self.last_line = self.lines[key].popleft()
                return self.last_line
        if (tag, value) in self.paired:
            return None
        return self.last_line  # the two parsers disagree: as near as we know


def _html5_comment_ends(text: str) -> str:
    """``text`` with each comment ending as HTML5 reads it written as ``-->``, the one the
    standard tokenizer (Python 3.11) knows: ``<!-->`` and ``<!--->`` are empty comments, and
    ``--!>`` ends one. Only inside comments; lines are unchanged."""
    if "<!--" not in text:
        return text
    parts: list[str] = []
    position = 0
    while (start := text.find("<!--", position)) != -1:
        body = start + 4
        if text.startswith(">", body) or text.startswith("->", body):
            parts += [text[position:start], "<!---->"]
            position = text.index(">", body) + 1
            continue
        close, bang = text.find("-->", body), text.find("--!>", body)
        if bang != -1 and (close == -1 or bang < close):
            parts += [text[position:bang], "-->"]
            position = bang + 4
        else:
            end = len(text) if close == -1 else close + 3
            parts.append(text[position:end])
            position = end
    parts.append(text[position:])
    return "".join(parts)
