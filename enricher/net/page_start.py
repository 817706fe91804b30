"""Where a page's head ends, found as its bytes arrive (the web checker reads an HTML page
through its ``<head>``, where it says what it is, and a little of its body).

The head ends after ``</head>`` or where ``<body`` starts (HTML lets a page leave ``</head>``
out), never at either written inside a comment, an attribute's value, an element whose content
is text (a script that writes ``</head>``, a title about "the <body> element") or a
``<noscript>`` (a browser running scripts reads it as text). It also ends at ``<plaintext>``
(text to the page's end), and where it has held more than a head does: ``HEAD_TAGS`` tags or
``HEAD_MARKUP_BYTES`` of them, or ``HEAD_ANY_TAGS`` ``<`` counted wherever they are. A head
may be long with script text (YouTube's, 450 KB) or with markup (a sprite, hreflang links),
but past those bounds it is a hostile one: the parser's time grows with the square of some
markup. The bounds keep that time short on the thread big pages are parsed on (``aside``);
the event loop is kept free by parsing there. Pure: bytes in, an offset out.

Tags are read as the HTML tokenizer reads them (a quoted ``>`` or ``<script>`` inside an
attribute's value is no tag; a script's text ends where the tokenizer's script states end
it), one at a time, resumed where the scan stopped as more bytes arrive. Where the scan and
the parser might still disagree on what is text, ``HEAD_ANY_TAGS`` bounds the markup the
parser could be handed all the same. (Reviews found such places: a ``</head>`` checked
against everything before it, cost minutes of CPU; a ``<script>`` written in an attribute, a
``\\v`` after a tag's name, a ``</noscript>`` in a comment, each let 1 MiB of nested markup
be parsed.)
"""

from __future__ import annotations

import re

HEADLESS_BYTES = 64 * 1024
"""A page with neither ``<head>`` nor ``<body>`` is read no further than this: its metadata
would be at its start, and its markup (thousands of nested ``<div>``) is parsed in time that
grows faster than its length."""

HEAD_TAGS = 16384
"""Tags, comments and stray ``<`` a head may hold, its scripts, styles, titles and textareas
counting one each whatever they hold; past them reading stops as at its end. Real heads hold
10-331 (the 25 captured in ``../shared/web-samples``), more with a sprite or a ``<template>``
(2,048, at first, cut some). The HTML parser's time grows with the square of some markup
(nested blocks, stray end tags, open formatting tags): 64 KiB of nested ``<ul>`` took it
0.4 s, 1 MiB minutes; pages read past 64 KiB are parsed aside (``aside``), so these bounds
keep a hostile page's thread short, not the event loop free."""

HEAD_ANY_TAGS = 131072
"""``<`` a head may hold anywhere, text included; past them reading stops as at its end: the
bound on what is parsed whatever the scan takes for text. Real heads hold up to 337 (YouTube's
450 KB: 185), but scripts carrying HTML in strings up to 200,000 a MB (table rows; 8,192 and
then 32,768 lost the title of a head with such state before it)."""

HEAD_MARKUP_BYTES = 256 * 1024
"""Bytes of tags a head may hold; past them reading stops as at its end. Real heads hold 30 KB
(Bandcamp's track page) and more: an album's data in one attribute, 800 ``hreflang`` links,
an icon as a data URI (48 KiB, at first, cut them); thousands of distinct attribute names cost
the parser time growing with the square of their number (256 KiB of them in one tag: 5 s, on
a thread of its own; 1 MiB: 29 s)."""

HEAD_START_BYTES = 4096
"""How far into a page its ``<head>`` tag is looked for (after a doctype and comments)."""

TEXT_ELEMENTS = frozenset(
    {b"script", b"style", b"title", b"textarea", b"iframe", b"xmp", b"noembed", b"noframes"}
)  # fmt: skip
"""Elements whose content the parser reads as text, to their end tag: skipped, their tags
not counted (their ``<`` are, toward ``HEAD_ANY_TAGS``)."""

HIDING_ELEMENTS = frozenset({b"noscript", b"template"})
"""Elements whose content is markup for the parser, counted as any, in which ``<body>`` and
``</head>`` do not end the head (a browser running scripts reads ``<noscript>`` as text)."""

FOREIGN_ELEMENTS = frozenset({b"svg", b"math"})
"""Elements of foreign content: inside them ``<style>``, ``<script>`` and ``<title>`` hold
markup, counted as any (an SVG sprite some heads hold: its symbols)."""

LEAVING_ELEMENTS = frozenset({b"plaintext"})
"""Elements after which the parser reads on in a way the scan does not follow (text to the
page's end): the head ends at them."""

_SPACE = rb"\t\n\f\r "
"""HTML's whitespace (Python's ``\\s`` has ``\\v`` too, which HTML reads as a name's)."""

_VALUE = rb"(?:\"[^\"]*+(?:\"|\Z)|'[^']*+(?:'|\Z)|[^" + _SPACE + rb">\"'][^" + _SPACE + rb">]*+)"
"""An attribute's value, as the tokenizer reads it; a quote not closed yet runs to the end of
the bytes so far (so the tag is not whole)."""

_TAG = re.compile(
    rb"<(/?)([A-Za-z][^" + _SPACE + rb"/>]*+)"
    rb"(?:[" + _SPACE + rb"/]++|[^" + _SPACE + rb"/>][^" + _SPACE + rb"/>=]*+"
    rb"(?:[" + _SPACE + rb"]*+=[" + _SPACE + rb"]*+" + _VALUE + rb")?+)*+>"
)
"""A start or end tag, whole: its name, then its attributes (a quoted value may hold ``>``)."""

_COMMENT_END = re.compile(rb"--!?>")

_EMPTY_COMMENT = (b">", b"->")
"""What follows ``<!--`` in a comment that ends there (``<!-->``, ``<!--->``)."""

_CLOSERS = {
    name: re.compile(rb"</" + name + rb"[" + _SPACE + rb"/>]", re.IGNORECASE)
    for name in TEXT_ELEMENTS
}  # fmt: skip

_SCRIPT_MARKS = re.compile(rb"<!(?=--)|-->|<(/?)script[" + _SPACE + rb"/>]", re.IGNORECASE)
"""What moves the tokenizer between a script's states: ``<!--`` escapes its text, in which
``<script`` escapes it twice, where ``</script`` does not end it; ``-->`` ends escaping, also
the one ``<!-->`` ends with (hence ``<!`` matched alone)."""

_CARRY = 16
"""Bytes kept back when a closer was not found: one (``</textarea ``) cut by the chunk
boundary is found whole once the next chunk arrives."""

_HEAD_START = re.compile(rb"<head[" + _SPACE + rb">]", re.IGNORECASE)


class HeadScanner:
    """Finds where a page's head ends as the page grows: ``feed`` it the bytes so far after
    each chunk."""

    def __init__(self) -> None:
        self._pos = 0
        self._in: bytes | None = None
        """The text element (or ``b"--"``: the comment) the scan is in, if any."""
        self._escaped = 0
        """In a script: 1 escaped (``<!--``), 2 escaped twice (then ``<script``)."""
        self._hidden = 0
        """How many ``<noscript>`` and ``<template>`` are open."""
        self._foreign = 0
        """How many ``<svg>`` and ``<math>`` are open."""
        self._tags = 0
        """Tags counted so far (see ``HEAD_TAGS``)."""
        self._any = 0
        """``<`` counted so far, wherever they are (see ``HEAD_ANY_TAGS``)."""
        self._markup = 0
        """Bytes of tags counted so far (see ``HEAD_MARKUP_BYTES``)."""
        self._matched = 0
        """How far a tag not whole yet was matched: it cannot be whole before another ``>``
        comes (a tag of 48 KiB arriving 64 bytes at a time is not matched 800 times)."""
        self._end: int | None = None

    def feed(self, page: bytes | bytearray) -> int | None:
        """Where the head ends in ``page`` (the page's bytes so far, the ones fed before
        unchanged): after its ``</head>``, at its ``<body``, or where it holds more than a
        head does; None when none is there yet."""
        while self._end is None and self._step(page):
            pass
        return self._end

    def _step(self, page: bytes | bytearray) -> bool:
        """Reads the text up to the next token and the token, or skips text to its end;
        False when more bytes are needed, or the end is found."""
        if self._in is not None:
            return self._skip(page)
        at = page.find(b"<", self._pos)  # text up to it costs the parser little
        self._pos = len(page) if at < 0 else at
        if at < 0 or len(page) < at + 2:
            return False
        second = page[at + 1 : at + 2]
        if page.startswith(b"<!--", at):
            return self._comment(page, at)
        if second in (b"!", b"?") or (second == b"/" and not page[at + 2 : at + 3].isalpha()):
            close = page.find(b">", at)  # a doctype, "<?xml ...>", "</ x>": bogus comments
            return self._wait(page, at) if close < 0 else self._token(at, close + 1)
        if not second.isalpha() and second != b"/":
            return self._token(at, at + 1)  # a "<" in text
        return self._tag(page, at)

    def _tag(self, page: bytes | bytearray, at: int) -> bool:
        # Matched no further than a tag may reach: one not whole yet, matched again at each
        # chunk, costs at most that much each time.
        room = HEAD_MARKUP_BYTES - self._markup
        if self._matched > at and page.find(b">", self._matched) < 0:
            return self._wait(page, at)
        tag = _TAG.match(page, at, min(len(page), at + room + 1))
        if tag is None:
            self._matched = len(page)
            return self._wait(page, at)
        end_tag, name = bool(tag[1]), tag[2].lower()
        hidden = self._hidden or self._foreign
        if not end_tag and (name in LEAVING_ELEMENTS or (name == b"body" and not hidden)):
            self._end = at
            return False
        if not self._token(at, tag.end()):
            return False
        if end_tag:
            if name in FOREIGN_ELEMENTS:
                self._foreign = max(0, self._foreign - 1)
            elif name in HIDING_ELEMENTS:
                self._hidden = max(0, self._hidden - 1)
            elif name == b"head" and not hidden:
                self._end = tag.end()
                return False
        elif name in FOREIGN_ELEMENTS:
            self._foreign += not tag[0].endswith(b"/>")
        elif self._foreign:
            pass  # foreign content: no element of text, no <noscript>
        elif name in HIDING_ELEMENTS:
            self._hidden += 1
        elif name in TEXT_ELEMENTS:
            self._in, self._escaped = name, 0
        return True

    def _comment(self, page: bytes | bytearray, at: int) -> bool:
        following = page[at + 4 : at + 6]
        if len(following) < 2:
            return False
        if following.startswith(_EMPTY_COMMENT):  # "<!-->", "<!--->": whole comments
            return self._token(at, at + 5 + following.startswith(b"-"))
        if not self._token(at, at + 4):
            return False
        self._in = b"--"
        return True

    def _token(self, at: int, end: int) -> bool:
        """Counts the token ``page[at:end]``; False (the head ending at it) when it runs past
        a head's budgets."""
        if (
            self._tags >= HEAD_TAGS
            or self._any >= HEAD_ANY_TAGS
            or self._markup + end - at > HEAD_MARKUP_BYTES
        ):
            self._end = at
            return False
        self._tags += 1
        self._any += 1
        self._markup += end - at
        self._pos = end
        return True

    def _wait(self, page: bytes | bytearray, at: int) -> bool:
        """A token not whole yet: the head ends at it if its bytes so far already fill what
        a head's tags may hold, else the scan waits for more."""
        if self._markup + len(page) - at >= HEAD_MARKUP_BYTES:
            self._end = at
        return False

    def _skip(self, page: bytes | bytearray) -> bool:
        """Skips text to the end of the comment or element the scan is in, counting its
        ``<`` toward ``HEAD_ANY_TAGS``."""
        start = self._pos
        if self._in == b"script":
            end, upto = self._script_end(page)
        else:
            assert self._in is not None
            closer = _COMMENT_END if self._in == b"--" else _CLOSERS[self._in]
            closed = closer.search(page, start)
            end = closed.end() if closed else None
            upto = end if end is not None else max(start, len(page) - _CARRY)
        found = page.count(b"<", start, upto)
        if self._any + found > HEAD_ANY_TAGS:
            past = start - 1
            for _ in range(HEAD_ANY_TAGS - self._any + 1):
                past = page.find(b"<", past + 1, upto)
            self._end = past
            return False
        self._any += found
        self._pos = upto
        if end is None:
            return False
        self._in = None
        return True

    def _script_end(self, page: bytes | bytearray) -> tuple[int | None, int]:
        """Where the script the scan is in ends (after its ``</script>``), following the
        tokenizer's escaped states, or None; and where its scan goes on from (the states
        are kept up to there)."""
        resume = max(self._pos, len(page) - _CARRY)
        for mark in _SCRIPT_MARKS.finditer(page, self._pos):
            token = mark[0]
            if token == b"<!":
                following = page[mark.start() + 4 : mark.start() + 6]
                if self._escaped == 0 and len(following) < 2 and following != b">":
                    return None, mark.start()  # "<!-->" or "<!--->" perhaps: wait
                if self._escaped == 0 and not following.startswith(_EMPTY_COMMENT):
                    self._escaped = 1
            elif token == b"-->":
                self._escaped = 0
            elif mark[1]:  # </script
                if self._escaped < 2:
                    close = page.find(b">", mark.end() - 1)
                    if close < 0:
                        return None, mark.start()
                    return close + 1, close + 1
                self._escaped = 1
            elif self._escaped == 1:  # <script, escaped
                self._escaped = 2
            resume = max(resume, mark.end())
        return None, resume


def head_end(page: bytes | bytearray) -> int | None:
    """Where the head of a page read whole ends (see ``HeadScanner.feed``)."""
    return HeadScanner().feed(page)


def has_head(page: bytes | bytearray) -> bool:
    """Whether the page starts with a ``<head>`` (within ``HEAD_START_BYTES``)."""
    return _HEAD_START.search(page, 0, HEAD_START_BYTES) is not None
