"""Where a page's head ends, found as its bytes arrive (the web checker reads an HTML page
through its ``<head>``, where it says what it is, and a little of its body).

The head ends after ``</head>`` or where ``<body`` starts (HTML lets a page leave ``</head>``
out), never at either written inside a comment, an attribute's value or an element whose
content is text: a script that writes ``</head>``, a title about "the <body> element". It
also ends where the HTML parser would leave a state the scan does not follow (``<svg>``,
``<iframe>``...), and where it has held ``HEAD_TAGS`` tags or ``HEAD_MARKUP_BYTES`` of them,
not counting what its scripts, styles, titles and comments hold: a head may be long with script text
(YouTube's, 450 KB), but one with that much markup is a page leaving out both ``</head>`` and
``<body>``, or a hostile one, and the parser's time grows with the square of some markup.
Pure: bytes in, an offset out.

Tags are read as the HTML tokenizer reads them (a quoted ``>`` or ``<script>`` inside an
attribute's value is no tag), one at a time, resumed where the scan stopped as more bytes
arrive: a page costs time in proportion to what is scanned, whatever it holds. (Checking each
``</head>`` or ``<body`` found against everything before it, as a first version did, cost
minutes of CPU for a page of 40,000 ``<body>`` inside an unclosed script; a text element
entered where the parser sees none, from an attribute or inside ``<svg>``, let 1 MiB of
nested markup be parsed.)
"""

from __future__ import annotations

import re

HEADLESS_BYTES = 64 * 1024
"""A page with neither ``<head>`` nor ``<body>`` is read no further than this: its metadata
would be at its start, and its markup (thousands of nested ``<div>``) is parsed in time that
grows faster than its length."""

HEAD_TAGS = 2048
"""Tags, comments and stray ``<`` a head may hold, its scripts, styles, titles and textareas
counting one each whatever they hold; past them reading stops as at its end. Real heads hold
10-331 (the 25 captured in ``../shared/web-samples``). The HTML parser's time grows with the
square of some markup (nested blocks, stray end tags, open formatting tags): 64 KiB of nested
``<ul>`` took it 0.4 s, 1 MiB minutes."""

HEAD_MARKUP_BYTES = 64 * 1024
"""Bytes of tags (and all of ``<noscript>`` and ``<template>``) a head may hold; past them
reading stops as at its end. Real heads hold up to 21 KB; thousands of distinct attribute
names cost the parser time growing with the square of their number (1 MiB of them: 29 s)."""

HEAD_START_BYTES = 4096
"""How far into a page its ``<head>`` tag is looked for (after a doctype and comments)."""

TEXT_ELEMENTS = frozenset({b"script", b"style", b"title", b"textarea"})
"""Elements whose content the parser reads as text, to their end tag: skipped, not counted."""

SKIPPED_ELEMENTS = frozenset({b"noscript", b"template"})
"""Elements skipped to their end tag (a ``</head>`` inside is not the head's end, for a
browser running scripts) whose content is counted all the same: the parser reads it as
markup."""

LEAVING_ELEMENTS = frozenset(
    {b"svg", b"math", b"iframe", b"xmp", b"noembed", b"noframes", b"plaintext"}
)  # fmt: skip
"""Elements after which the parser reads on in a way the scan does not follow (foreign
content, where ``<style>`` holds markup; text to an end tag the scan does not know): the head
is taken to end at them."""

_VALUE = rb"""(?:"[^"]*+(?:"|\Z)|'[^']*+(?:'|\Z)|[^\s>"'][^\s>]*+)"""
"""An attribute's value, as the tokenizer reads it; a quote not closed yet runs to the end of
the bytes so far (so the tag is not complete)."""

_TAG = re.compile(
    rb"<(/?)([A-Za-z][^\s/>]*+)(?:[\s/]++|[^\s/>][^\s/>=]*+(?:\s*+=\s*+" + _VALUE + rb")?+)*+>"
)
"""A start or end tag, whole: its name, then its attributes (a quoted value may hold ``>``)."""

_COMMENT_END = re.compile(rb"--!?>")

_CLOSERS = {
    name: re.compile(rb"</" + name + rb"[\s>/]", re.IGNORECASE)
    for name in TEXT_ELEMENTS | SKIPPED_ELEMENTS
}  # fmt: skip

_CARRY = 64
"""Bytes kept back when a closer was not found: one (``</textarea``) cut by the chunk
boundary is found whole once the next chunk arrives."""

_HEAD_START = re.compile(rb"<head[\s>]", re.IGNORECASE)


class HeadScanner:
    """Finds where a page's head ends as the page grows: ``feed`` it the bytes so far after
    each chunk."""

    def __init__(self) -> None:
        self._pos = 0
        self._closing: re.Pattern[bytes] | None = None
        """What ends the comment or element the scan is in, if it is in one."""
        self._counted = False
        """Whether what is skipped to ``_closing`` counts as markup (its every ``<`` a tag)."""
        self._tags = 0
        """Tags counted so far (see ``HEAD_TAGS``)."""
        self._markup = 0
        """Bytes of markup counted so far (see ``HEAD_MARKUP_BYTES``)."""
        self._end: int | None = None

    def feed(self, page: bytes | bytearray) -> int | None:
        """Where the head ends in ``page`` (the page's bytes so far, the ones fed before
        unchanged): after its ``</head>``, at its ``<body``, or where it holds more than a
        head does; None when none is there yet."""
        while self._end is None and self._step(page):
            pass
        return self._end

    def _step(self, page: bytes | bytearray) -> bool:
        """Reads the text up to the next token and the token, or skips to a closer; False
        when more bytes are needed, or the end is found."""
        if self._closing is not None:
            return self._skip(page)
        at = page.find(b"<", self._pos)  # text up to it costs the parser little
        self._pos = len(page) if at < 0 else at
        if at < 0 or len(page) < at + 2:
            return False
        second = page[at + 1 : at + 2]
        if page.startswith(b"<!--", at):
            return self._comment(page, at)
        if second in (b"!", b"?") or (second == b"/" and not page[at + 2 : at + 3].isalpha()):
            return self._bogus_comment(page, at)  # a doctype, "<?xml ...>", "</ x>"...
        if not second.isalpha() and second != b"/":
            return self._token(at, at + 1)  # a "<" in text
        tag = _TAG.match(page, at)
        if tag is None:  # not whole yet
            return self._wait(page, at)
        name = tag[2].lower()
        if tag[1]:
            if name == b"head":
                self._end = tag.end()
                return False
            return self._token(at, tag.end())
        if name == b"body" or name in LEAVING_ELEMENTS:
            self._end = at
            return False
        if not self._token(at, tag.end()):
            return False
        if name in TEXT_ELEMENTS or name in SKIPPED_ELEMENTS:
            self._closing, self._counted = _CLOSERS[name], name in SKIPPED_ELEMENTS
        return True

    def _comment(self, page: bytes | bytearray, at: int) -> bool:
        if len(page) < at + 6:
            return False
        if page[at + 4 : at + 5] == b">" or page[at + 4 : at + 6] == b"->":
            # "<!-->" and "<!--->" are whole (empty) comments.
            return self._token(at, at + (5 if page[at + 4 : at + 5] == b">" else 6))
        if not self._token(at, at + 4):
            return False
        self._closing, self._counted = _COMMENT_END, False
        return True

    def _bogus_comment(self, page: bytes | bytearray, at: int) -> bool:
        close = page.find(b">", at)
        return self._wait(page, at) if close < 0 else self._token(at, close + 1)

    def _token(self, at: int, end: int) -> bool:
        """Counts the token ``page[at:end]`` (one tag); False (the head ending at it) when it
        runs past a head's budgets."""
        if self._tags + 1 > HEAD_TAGS or self._markup + end - at > HEAD_MARKUP_BYTES:
            self._end = at
            return False
        self._tags += 1
        self._markup += end - at
        self._pos = end
        return True

    def _wait(self, page: bytes | bytearray, at: int) -> bool:
        """A token not whole yet: the head ends at it if its bytes so far are already too
        many for a head, else the scan waits for more."""
        if self._markup + len(page) - at > HEAD_MARKUP_BYTES:
            self._end = at
        return False

    def _skip(self, page: bytes | bytearray) -> bool:
        """Skips to the end of the comment or element the scan is in."""
        assert self._closing is not None
        closed = self._closing.search(page, self._pos)
        upto = closed.start() if closed else max(self._pos, len(page) - _CARRY)
        if self._counted and not self._spend(page, self._pos, upto, tags=True):
            return False
        if closed is None:
            self._pos = upto
            return False
        self._pos, self._closing = closed.end(), None
        return True

    def _spend(self, page: bytes | bytearray, start: int, upto: int, tags: bool = False) -> bool:
        """Counts ``page[start:upto]`` as markup (with ``tags``, its every ``<`` a tag); False
        once past a head's budgets, the head ending at the byte or the tag past them."""
        found = page.count(b"<", start, upto) if tags else 0
        if self._markup + upto - start <= HEAD_MARKUP_BYTES and self._tags + found <= HEAD_TAGS:
            self._markup += upto - start
            self._tags += found
            return True
        end = min(upto, start + HEAD_MARKUP_BYTES - self._markup)  # where the bytes run out
        if tags:
            past = start - 1
            for _ in range(HEAD_TAGS - self._tags + 1):  # where the tags run out, if before
                past = page.find(b"<", past + 1, end)
                if past < 0:
                    break
            else:
                end = past
        self._end = end
        return False


def head_end(page: bytes | bytearray) -> int | None:
    """Where the head of a page read whole ends (see ``HeadScanner.feed``)."""
    return HeadScanner().feed(page)


def has_head(page: bytes | bytearray) -> bool:
    """Whether the page starts with a ``<head>`` (within ``HEAD_START_BYTES``)."""
    return _HEAD_START.search(page, 0, HEAD_START_BYTES) is not None
