"""Links of a Markdown digest, read the way CommonMark defines them. Pure: text in, links out.

markdown-it-py (a CommonMark parser) finds inline links and images, reference links and their
definitions, autolinks, escapes, entities, angle-bracket destinations, balanced parentheses and
HTML blocks; we add what an editor needs from it: the line each link is on, its label, and
bare ``http(s)://`` URLs in the prose (autolinked by GitHub, written by every newsletter).

* A link's line is where it starts in the file. A reference link's URL is written at its
  definition, so that is where it is reported, once, labelled by its first use.
* Links in code spans and code blocks, and inside inline HTML ``<code>`` and the like, are
  left alone unless ``include_verbatim``.
* GitHub footnotes (``[^1]: ...``) are not reference definitions.
* Targets go through ``targets.read_link``: relative ones need a base URL.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference, unescapeAll

from ..digest import bare_url_at, bare_urls, link_list_entry, split_lines, trim_url
from ..models import LinkEntry, ParsedDigest, SkippedLink
from .html import VERBATIM, html_links
from .targets import label_of, read_link

if TYPE_CHECKING:
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

    from . import ReadOptions

_LINE = "line"
_END_LINE = "end_line"
_REFERENCE = "reference"
_BARE_URL = "bare_url"
_NEWLINES = "enricher_newlines"
"""Keys we add to tokens' ``meta`` (and to the parser's ``env``)."""

_DEFINITION_LABEL = re.compile(r"^(?:\s*>)*\s*\[((?:[^\[\]\\]|\\.)+)\]:")


@cache
def _parser() -> MarkdownIt:
    """One CommonMark parser, built on first use, that keeps link targets as written, reads
    bare URLs whole and tells where each inline token starts. (This module is imported only
    for a Markdown digest: plain-text runs never load markdown-it.)"""
    md = MarkdownIt("commonmark")
    # Targets as the author wrote them (escapes and entities decoded): the default
    # percent-encodes them and drops javascript:, data: and the like, which read_link
    # judges itself.
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    ruler = md.inline.ruler
    ruler.after("text", _BARE_URL, _bare_url)
    for rule in list(ruler.__rules__):
        if rule.name in _LINED_RULES:
            ruler.at(rule.name, _with_lines(rule.fn, rule.name), {"alt": list(rule.alt)})
    return md


_LINED_RULES = frozenset(
    {"newline", "escape", "backticks", "link", "image", "autolink", "html_inline", _BARE_URL}
)
"""The inline rules whose tokens we place, and those that can read past a line break (a
backslash before one is a hard break; a code span may hold one). Text, emphasis and entity
tokens lie on the line the last of these left off: wrapping them too costs a tenth of the
parse."""


_SCHEME_BEFORE = re.compile(r"(?:^|(?<=[^A-Za-z0-9+.\-]))(https?)$", re.IGNORECASE)
_MARKDOWN_TRAILING = "_~*"
"""Emphasis and strike-through marks that end a bare URL in Markdown (``_see https://x_``),
on top of the sentence punctuation every format trims; GitHub trims them too."""


def _bare_url(state: StateInline, silent: bool) -> bool:
    """A bare ``http(s)://`` URL in prose, read whole before emphasis can split it: GitHub
    links ``https://github.com/o/r/blob/main/pkg/__init__.py`` whole, while CommonMark alone
    would make ``__init__`` bold. Modelled on markdown-it's own linkify rule: it fires at the
    ``:`` after a scheme the text rule left pending."""
    position = state.pos
    if not state.src.startswith("://", position) or state.linkLevel > 0:
        return False
    # Only the pending text's tail: "a://a://..." would make a whole search quadratic.
    scheme = _SCHEME_BEFORE.search(state.pending[-7:])
    if scheme is None:
        return False
    start = position - len(scheme[1])
    written = bare_url_at(state.src, start, state.posMax, also=_MARKDOWN_TRAILING) or ""
    if len(written) <= len(scheme[1]) + 3:
        return False
    if not silent:
        state.pending = state.pending[: -len(scheme[1])]
        token = state.push(_BARE_URL, "", 0)
        token.content = unescapeAll(written)  # "\_" and "&amp;" as the reader sees them
    state.pos = start + len(written)
    return True


def _with_lines(rule: Callable[[StateInline, bool], bool], name: str) -> Any:
    """``rule``, also writing into each token it pushes the line (counted from its inline
    block's first) where the token starts and where the rule stopped reading."""

    def rule_with_lines(state: StateInline, silent: bool) -> bool:
        start, before = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if silent or len(state.tokens) == before:
            return True
        first, last = _line_in(state, start), _line_in(state, state.pos)
        for token in state.tokens[before:]:
            token.meta.setdefault(_LINE, first)
            token.meta.setdefault(_END_LINE, last)
        if name in ("link", "image") and state.src[state.pos - 1 : state.pos] == "]":
            # "[text][ref]", "[text][]" and "[text]" end at "]"; inline links end at ")".
            # (Pending text before the link may have been pushed first.)
            opened = next(t for t in state.tokens[before:] if t.type in ("link_open", "image"))
            opened.meta[_REFERENCE] = _reference_key(state.src[start : state.pos])
        return True

    return rule_with_lines


_FULL_REFERENCE = re.compile(r"\]\[((?:[^\[\]\\]|\\.)+)\]$")


def _reference_key(written: str) -> str:
    """The definition a reference link uses, as markdown-it keys it: ``[text][ref]`` names
    ``ref``; ``[text][]`` and ``[text]`` name ``text`` (after ``!`` for an image)."""
    text = written[2:] if written.startswith("!") else written[1:]
    full = _FULL_REFERENCE.search(written)
    if full is not None:
        label = full[1]
    elif text.endswith("][]"):
        label = text[:-3]
    else:
        label = text[:-1]
    return normalizeReference(label)


def _line_in(state: StateInline, position: int) -> int:
    """How many line breaks of the inline text come before ``position``."""
    cached = state.env.get(_NEWLINES)
    if cached is None or cached[0] is not state.src:
        breaks = [index for index, char in enumerate(state.src) if char == "\n"]
        cached = state.env[_NEWLINES] = (state.src, breaks)
    return bisect.bisect_left(cached[1], position)


def parse_markdown(text: str, path: str, options: ReadOptions) -> ParsedDigest:
    """Every link of a Markdown digest, in order of line, with what was skipped and why."""
    env: dict[str, Any] = {}
    tokens = _parser().parse(text, env)
    reader = _Reader(path, split_lines(text), options)
    for token in tokens:
        start = token.map[0] if token.map else 0
        if token.type == "inline":
            reader.inline(token.children or [], start, token.map[1] if token.map else start + 1)
        elif token.type in ("fence", "code_block"):
            # A fence's first line is its ``` opener; an indented block starts with its code.
            first = start + (1 if token.type == "fence" else 0)
            reader.verbatim_lines(token.content, first)
        elif token.type == "html_block":
            reader.html(token.content, start)
    reader.definitions(env.get("references", {}))
    return reader.parsed()


class _Reader:
    """Gathers one digest's links as its tokens are walked."""

    def __init__(self, path: str, lines: Sequence[str], options: ReadOptions) -> None:
        self.path, self.lines, self.options = path, lines, options
        self.found: list[tuple[int, LinkEntry | SkippedLink]] = []
        self.reference_labels: dict[str, str | None] = {}
        """A reference definition's key (``MEDUSA``) -> the text of its first use."""
        self.list_entries: dict[int, tuple[str, str] | None] = {}

    def add(self, line: int, label: str | None, raw: str) -> None:
        self.found.append((line, read_link(self.path, line, label, raw, self.options.base_url)))

    def inline(self, children: Sequence[Token], block_start: int, block_end: int) -> None:
        """An inline block's links: lines ``block_start`` to ``block_end``, 0-based."""
        running = 0
        depth = 0  # inside how many links: their text holds no bare URLs of its own
        html = _InlineHtml(self.options.include_verbatim)
        for index, token in enumerate(children):
            offset = token.meta.get(_LINE, running)
            running = token.meta.get(_END_LINE, running)
            line = block_start + offset + 1
            kind = token.type
            if kind == "link_open" or kind == "image":
                target = str(token.attrGet("href" if kind == "link_open" else "src") or "")
                label = _link_text(children, index) if kind == "link_open" else None
                depth += kind == "link_open"
                if html.hides_code():
                    continue  # a link inside <code>: as in an HTML digest
                if _REFERENCE in token.meta:
                    key = token.meta[_REFERENCE]
                    if self.reference_labels.get(key) is None:  # a link's text beats an image's
                        self.reference_labels[key] = label
                elif token.markup == "autolink":
                    self.add(line, None, target)
                else:
                    self.add(line, label, target)
            elif kind == "link_close":
                depth -= 1
            elif kind == _BARE_URL:
                html.anchor_text.append(token.content)
                if depth == 0 and html.shows_links():
                    self.add(line, self._list_label(line, token.content), token.content)
            elif kind == "code_inline" and self.options.include_verbatim:
                # A code span's line breaks became spaces: find each URL's own line, reading
                # on from the last one found (code is not unescaped).
                found_at = line - 1
                for _, url in bare_urls(token.content):
                    found_at = self._line_holding(url, found_at, block_end, decode=False) - 1
                    self.add(found_at + 1, None, url)
            elif kind == "html_inline":
                self._inline_html(token.content, line, html)
            elif kind == "text":
                html.anchor_text.append(token.content)
        html.close_anchor(self.found)

    def _list_label(self, line: int, url: str) -> str | None:
        """The label when ``line`` is a ``[label] URL`` link-list entry for ``url``; each line
        is read once, however many URLs it holds."""
        if line not in self.list_entries:
            entry = link_list_entry(self.lines[line - 1])
            # The URL as the bare-URL rule reads it: escapes decoded, emphasis marks trimmed.
            self.list_entries[line] = entry and (
                entry[0],
                trim_url(unescapeAll(entry[1]), also=_MARKDOWN_TRAILING),
            )
        entry = self.list_entries[line]
        return entry[0] if entry is not None and entry[1] == url else None

    def _inline_html(self, content: str, line: int, html: _InlineHtml) -> None:
        """A tag inside a paragraph: ``<a href>`` opens a link whose text follows, up to its
        ``</a>``; ``<code>`` and the like hide the URLs up to their end tag."""
        tag = _TAG.match(content)
        if tag is None:
            return
        name = tag[2].lower()
        if tag[1]:  # an end tag
            if name == "a":
                html.close_anchor(self.found)
            elif html.verbatim[name]:
                html.verbatim[name] -= 1
            return
        if name in VERBATIM:
            html.verbatim[name] += 1
            return
        if html.hides_code():
            return  # a tag inside code
        found = list(html_links(content, self.path, line - 1, self.options))
        if name == "a":
            html.close_anchor(self.found)  # an <a> left open ends at the next one
            if found:
                html.anchor_at, html.anchor_text = len(self.found), []
        self._add_all(found)

    def verbatim_lines(self, content: str, first: int) -> None:
        """A code block's bare URLs, when verbatim text is checked."""
        if not self.options.include_verbatim:
            return
        for offset, code_line in enumerate(split_lines(content)):
            for _, url in bare_urls(code_line):
                self.add(first + offset + 1, None, url)

    def html(self, content: str, start: int) -> None:
        self._add_all(html_links(content, self.path, start, self.options))

    def _add_all(self, found: Iterable[LinkEntry | SkippedLink]) -> None:
        self.found.extend((item.line, item) for item in found)

    def definitions(self, references: dict[str, dict[str, Any]]) -> None:
        """Each reference definition once, at the line its URL is written on."""
        for key, definition in references.items():
            if key.startswith("^"):
                continue  # "[^1]: note" is a footnote (GitHub's), not a link
            target = str(definition.get("href", ""))
            start, end = definition.get("map") or (0, 1)
            line = self._line_holding(target, start, end)
            if key in self.reference_labels:
                label = self.reference_labels[key]
            else:  # defined, never used: the definition's own label names it
                written = (
                    _DEFINITION_LABEL.match(self.lines[start]) if start < len(self.lines) else None
                )
                label = label_of(written[1]) if written else None
            self.add(line, label, target)

    def _line_holding(self, target: str, start: int, end: int, *, decode: bool = True) -> int:
        """The 1-based line among ``start``..``end`` (0-based) that holds ``target``, as the
        reader sees it when ``decode`` (escapes and entities decoded), else the first: a
        definition may put its URL on the line after its label, a code span may break one."""
        for index in range(start, min(end, len(self.lines))):
            line = self.lines[index]
            if target and target in (unescapeAll(line) if decode else line):
                return index + 1
        return start + 1

    def parsed(self) -> ParsedDigest:
        ordered = [item for _, item in sorted(self.found, key=lambda pair: pair[0])]
        entries = tuple(item for item in ordered if isinstance(item, LinkEntry))
        skipped = tuple(item for item in ordered if isinstance(item, SkippedLink))
        return ParsedDigest(path=self.path, entries=entries, skipped=skipped)


_TAG = re.compile(r"^<(/?)([A-Za-z][A-Za-z0-9-]*)")


class _InlineHtml:
    """What the raw HTML tags of one paragraph have open: code-like elements, an anchor."""

    def __init__(self, include_verbatim: bool) -> None:
        self.include_verbatim = include_verbatim
        self.verbatim: Counter[str] = Counter()
        self.anchor_at: int | None = None
        """Where the open ``<a href>``'s link is in the reader's list, to label it."""
        self.anchor_text: list[str] = []

    def hides_code(self) -> bool:
        """Whether a code-like element is open and its links are not to be checked."""
        return not self.include_verbatim and any(self.verbatim.values())

    def shows_links(self) -> bool:
        """Whether a URL here is prose: not an anchor's own text, not hidden code."""
        return self.anchor_at is None and not self.hides_code()

    def close_anchor(self, found: list[tuple[int, LinkEntry | SkippedLink]]) -> None:
        """The open anchor ends: its text becomes its link's label."""
        if self.anchor_at is None:
            return
        if self.anchor_at < len(found):
            line, item = found[self.anchor_at]
            label = label_of("".join(self.anchor_text))
            if isinstance(item, LinkEntry) and item.label is None:
                found[self.anchor_at] = (line, replace(item, label=label))
        self.anchor_at, self.anchor_text = None, []


def _link_text(children: Sequence[Token], open_index: int) -> str | None:
    """A link's text as a reader sees it: its words, and an image's alt text in its place
    (``[![CC0](badge.png)](https://creativecommons.org/...)`` is labelled "CC0")."""
    parts: list[str] = []
    depth = 0
    for index in range(open_index, len(children)):  # not a slice: one link costs its length
        token = children[index]
        if token.type == "link_open":
            depth += 1
        elif token.type == "link_close":
            depth -= 1
            if depth == 0:
                break
        elif token.type in ("text", "code_inline", "image", _BARE_URL):  # image: alt text
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return label_of("".join(parts))
