"""Where a page's head ends, found as its bytes arrive (the web checker reads an HTML page
through its ``<head>``, where it says what it is, and a little of its body).

The head ends after ``</head>`` or where ``<body`` starts (HTML lets a page leave ``</head>``
out), never at either written inside a comment or an element whose content is text, not
markup: a script that writes ``</head>``, a title about "the <body> element". It also ends
where it has held ``HEAD_TAGS`` tags, not counting those written in its scripts, styles,
titles and comments: a head may be long with script text (YouTube's, 450 KB), but a head of that much markup is a page
leaving out both ``</head>`` and ``<body>``, or a hostile one. Pure: bytes in, an offset out.

The scan is one pass, resumed where it stopped as more bytes arrive: a page costs time in
proportion to its length whatever it holds. (Checking each ``</head>`` or ``<body`` found
against everything before it, as the first version did, cost minutes of CPU for a hostile
page of 40,000 ``<body>`` inside an unclosed script.)
"""

from __future__ import annotations

import re

HEADLESS_BYTES = 64 * 1024
"""A page with neither ``<head>`` nor ``<body>`` is read no further than this: its metadata
would be at its start, and its markup (thousands of nested ``<div>``) is parsed in time that
grows faster than its length."""

HEAD_TAGS = 2048
"""Tags (counted as ``<``) a head may hold outside its scripts, styles, titles, textareas and
comments, each of those counting as one; past them reading stops as at its end. Real heads hold 10-330 (the 25 captured in
``../shared/web-samples``). The HTML parser's time grows with the square of some markup
(nested blocks, stray end tags, open formatting tags): 64 KiB of nested ``<ul>`` took it
0.4 s on the event loop, 1 MiB minutes."""

HEAD_START_BYTES = 4096
"""How far into a page its ``<head>`` tag is looked for (after a doctype and comments)."""

RAW_TEXT = (b"script", b"title", b"noscript", b"template", b"style", b"textarea")
"""Elements whose content is text, not markup, for finding the head's end."""

TEXT_ONLY = frozenset({b"script", b"title", b"style", b"textarea"})
"""Of those, the ones the parser also reads as text, whose tags are not counted (it parses
``<noscript>`` and ``<template>`` content as markup)."""

_TOKEN = re.compile(
    rb"<!--|</head\s*>|<body[\s>/]|<(" + b"|".join(RAW_TEXT) + rb")[\s>/]", re.IGNORECASE
)
"""What the scan stops at: a comment's start, the head's end, the body's start, or the start
of an element whose content is text."""

_COMMENT_END = re.compile(rb"--!?>")

_CLOSERS = {
    name: re.compile(rb"</" + name + rb"[\s>/]", re.IGNORECASE) for name in RAW_TEXT
}  # fmt: skip

_CARRY = 64
"""Bytes kept back when nothing was found: a token (``</textarea``, ``</head  >``) cut by the
chunk boundary is found whole once the next chunk arrives."""

_HEAD_START = re.compile(rb"<head[\s>]", re.IGNORECASE)


class HeadScanner:
    """Finds where a page's head ends as the page grows: ``feed`` it the bytes so far after
    each chunk; each byte is scanned once (but for a few carried across chunks)."""

    def __init__(self) -> None:
        self._pos = 0
        self._closing: re.Pattern[bytes] | None = None
        """What ends the comment or element the scan is in, if it is in one."""
        self._text = False
        """Whether the scan is in a comment or an element the parser reads as text."""
        self._tags = 0
        """Tags counted so far (see ``HEAD_TAGS``)."""
        self._end: int | None = None

    def feed(self, page: bytes | bytearray) -> int | None:
        """Where the head ends in ``page`` (the page's bytes so far, the ones fed before
        unchanged): after its ``</head>``, at its ``<body``, or at its tag past ``HEAD_TAGS``;
        None when none is there yet."""
        while self._end is None:
            if self._closing is not None:
                closed = self._closing.search(page, self._pos)
                upto = closed.start() if closed else max(self._pos, len(page) - _CARRY)
                if not self._text and self._too_many_tags(page, upto):
                    break
                if closed is None:
                    self._pos = upto
                    return None
                self._pos, self._closing = closed.end(), None
            found = _TOKEN.search(page, self._pos)
            upto = found.start() if found else max(self._pos, len(page) - _CARRY)
            if self._too_many_tags(page, upto):
                break
            if found is None:
                self._pos = upto
                return None
            token = found[0]
            if token[:2] == b"</":
                self._end = found.end()
            elif token[:5].lower() == b"<body":
                self._end = found.start()
            elif self._tags == HEAD_TAGS:  # a comment, a script or the like, past the count
                self._end = found.start()
            elif token == b"<!--":
                # "<!-->" and "<!--->" are whole (empty) comments: their "-->" overlaps "<!--".
                self._pos, self._closing, self._text = found.end() - 2, _COMMENT_END, True
            else:
                name = found[1].lower()
                self._pos, self._closing = found.end(), _CLOSERS[name]
                self._text = name in TEXT_ONLY
            self._tags += 1
        return self._end

    def _too_many_tags(self, page: bytes | bytearray, upto: int) -> bool:
        """Counts the tags from the scan's place to ``upto``; past ``HEAD_TAGS``, the head
        ends at the first tag over them."""
        found = page.count(b"<", self._pos, upto)
        if self._tags + found <= HEAD_TAGS:
            self._tags += found
            return False
        at = self._pos
        for _ in range(HEAD_TAGS - self._tags + 1):
            at = page.index(b"<", at) + 1
        self._end = at - 1
        return True


def head_end(page: bytes | bytearray) -> int | None:
    """Where the head of a page read whole ends (see ``HeadScanner.feed``)."""
    return HeadScanner().feed(page)


def has_head(page: bytes | bytearray) -> bool:
    """Whether the page starts with a ``<head>`` (within ``HEAD_START_BYTES``)."""
    return _HEAD_START.search(page, 0, HEAD_START_BYTES) is not None
