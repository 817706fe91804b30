"""Reading a digest's text: the links it cites and the lines they are on. Pure: no I/O.

A digest is prose that usually ends with a link list, one ``[label] URL`` entry a line. We also
take Markdown links ``[label](url)`` and bare ``http(s)://`` URLs anywhere in the text, each once.
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Iterator

from .config import format_size
from .models import LinkEntry, ParsedDigest, Problem

MISSING_URL_REASON = "URL is missing: the entry has a title but no URL"
"""Reason given for a link-list entry with a label and nothing linkable after it."""

NO_SCHEME_REASON = "not a URL: no http(s):// scheme"

_LIST_ENTRY = re.compile(r"^\s*(?:[-*+]\s+)?\[(?P<label>[^\[\]]+)\][ \t\u3000]*(?P<rest>(?!\().*)$")
"""``[label] rest``; not ``[label](url)``, which is a Markdown link. An optional list bullet."""

_MARKDOWN_LINK = re.compile(
    r"\[(?P<label>[^\[\]\n]*)\]\((?P<url>(?:[^()\s]|\([^()\s]*\))+)(?:\s+\"[^\"]*\")?\)"
)
"""``[label](url)`` or ``[label](url "title")``; one level of balanced parentheses in the URL,
as in Wikipedia links."""

_STOP_CHARS = '\\s<>"`\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65'
"""Characters that end a bare URL: whitespace, quotes, angle brackets, and CJK punctuation
(、。「」（）， and friends), which Chinese prose puts right after a URL without a space."""

_STOP = re.compile(f"[{_STOP_CHARS}]")

_URL_CHAR = rf"[^{_STOP_CHARS}\[\]]"
_BARE_URL = re.compile(
    rf"(?<![A-Za-z0-9+.\-])https?://(?:{_URL_CHAR}|\[{_URL_CHAR}*\])+", re.IGNORECASE
)
"""Not ``\\b``: CJK letters are word characters, and Chinese prose runs straight into URLs.

Square brackets are legal in a URL only around an IPv6 host (RFC 3986); a URL keeps a pair
(``http://[::1]:8080/``, ``?filter[state]=open``) and ends at a stray one, so
``[[https://a.example/x]][[https://b.example/y]]`` is two URLs, not one."""

_URL_LIKE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://|(?:mailto|javascript|data|file|tel):)", re.I
)
"""What counts as "a URL was written here", whatever the scheme; the classifier judges it."""
_DOMAIN_LIKE = re.compile(r"^(?:[\w\-]+\.)+[A-Za-z]{2,}\.?(?:[/?#:]\S*)?$")
"""``example.com/page``: a URL missing its scheme (``v2.0`` or ``Qwen2.5`` are not)."""

_TRAILING_PUNCT = ".,;:!?*'\"…"
_BRACKETS = {")": "(", "]": "[", "}": "{", ">": "<"}


BINARY_SNIFF_BYTES = 8000
"""How much of a file's start is looked at for NUL bytes, as git does to call a file binary."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF8, "utf-8"),
)
"""Byte-order marks and the encoding each announces; UTF-32 LE first, as its BOM starts with
UTF-16 LE's."""


def binary_problem(data: bytes, path: str) -> Problem | None:
    """A Problem when ``data`` is not text at all (an image, an archive), else None.

    Git's rule: a NUL byte near the start means binary. Text saved as UTF-16 or UTF-32 with a
    byte-order mark is full of NULs and is text; without a BOM it is reported as binary, with a
    hint, because nothing in it says which half of each pair comes first.
    """
    if any(data.startswith(bom) for bom, name in _BOMS if name != "utf-8"):
        return None
    head = data[:BINARY_SNIFF_BYTES]
    if b"\0" not in head:
        return None
    hint = "; UTF-16 without a byte-order mark? save it as UTF-8" if _looks_like_utf16(head) else ""
    return Problem(path, 1, f"binary file (NUL bytes{hint}), not a digest; not checked")


def _looks_like_utf16(head: bytes) -> bool:
    """Mostly NULs at every other byte and hardly any between, as Latin text in UTF-16."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 2:
        return False
    even_nuls, odd_nuls = even.count(0) / len(even), odd.count(0) / len(odd)
    return min(even_nuls, odd_nuls) < 0.1 <= 0.5 <= max(even_nuls, odd_nuls)


def decode_digest(data: bytes, path: str) -> tuple[str, tuple[Problem, ...]]:
    """Decode a digest's bytes: UTF-8, or UTF-16/UTF-32 when a byte-order mark says so.

    The BOM is dropped. Undecodable bytes become U+FFFD and are reported once, at their line,
    so the rest of the digest is still checked. A binary file (see ``binary_problem``) gives
    no text and one Problem.
    """
    binary = binary_problem(data, path)
    if binary is not None:
        return "", (binary,)
    bom, encoding = next(
        ((bom, name) for bom, name in _BOMS if data.startswith(bom)), (b"", "utf-8")
    )
    body = data[len(bom) :]
    try:
        return body.decode(encoding), ()
    except UnicodeDecodeError as exc:
        # Offsets are counted in the body, after the BOM; report them in the file's bytes.
        line = len(split_lines(body[: exc.start].decode(encoding, errors="replace")))
        name = encoding.upper().removesuffix("-LE").removesuffix("-BE")
        problem = Problem(
            path, line, f"not valid {name} (byte {exc.start + len(bom)}); bad bytes replaced"
        )
        return body.decode(encoding, errors="replace"), (problem,)


def oversize_message(size: int, limit: int) -> str:
    """Why a digest over ``--max-digest-size`` is not checked (exact bytes when rounding would
    make the two sizes look equal)."""
    shown, limit_shown = format_size(size), format_size(limit)
    if shown == limit_shown:
        shown, limit_shown = f"{size} bytes", f"{limit}-byte"
    return f"file is {shown}, over the {limit_shown} limit (--max-digest-size); not checked"


def limit_links(
    entries: tuple[LinkEntry, ...], max_links: int
) -> tuple[tuple[LinkEntry, ...], tuple[Problem, ...]]:
    """The first ``max_links`` entries, and a Problem at the first one left out, if any."""
    if len(entries) <= max_links:
        return entries, ()
    first_left_out = entries[max_links]
    message = (
        f"{len(entries)} links in this digest; only the first {max_links} are checked (--max-links)"
    )
    return entries[:max_links], (Problem(first_left_out.path, first_left_out.line, message),)


def trim_url(url: str, also: str = "") -> str:
    """Drop trailing punctuation that belongs to the sentence, not the URL (and any of the
    characters ``also`` names: Markdown's emphasis marks).

    A closing bracket stays when the URL opened it, as in
    ``https://en.wikipedia.org/wiki/Transformer_(machine_learning)``.
    """
    # Counted once and kept up to date: counting (or slicing) per character trimmed made a
    # URL followed by a million ")" take hours.
    opened = {opening: url.count(opening) for opening in _BRACKETS.values()}
    closed = {closing: url.count(closing) for closing in _BRACKETS}
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING_PUNCT or last in also:
            end -= 1
        elif last in _BRACKETS and opened[_BRACKETS[last]] < closed[last]:
            closed[last] -= 1
            end -= 1
        else:
            break
    return url[:end]


def bare_urls(text: str) -> Iterator[tuple[int, str]]:
    """Each bare ``http(s)://`` URL in ``text``: where it starts, and the URL trimmed of the
    sentence's punctuation."""
    position = 0
    while (found := _BARE_URL.search(text, position)) is not None:
        url = trim_url(found.group())
        # Resume right after what was kept: trimmed punctuation may start another URL.
        position = found.start() + max(len(url), 1)
        yield found.start(), url


def bare_url_at(text: str, start: int, end: int, also: str = "") -> str | None:
    """The bare URL starting exactly at ``text[start]`` (read no further than ``end``),
    trimmed as ``bare_urls`` trims it (and of ``also``); None when none starts there."""
    found = _BARE_URL.match(text, start, end)
    return None if found is None else trim_url(found.group(), also)


def _list_entry(path: str, number: int, line: str) -> LinkEntry | None:
    """A ``[label] URL`` line of the link list, or None when the line is not one."""
    match = _LIST_ENTRY.match(line)
    if match is None:
        return None
    label = match["label"].strip()
    if not label:
        return None  # "- [ ] todo" is a checkbox, not a title
    rest = match["rest"].strip()
    first = _STOP.split(rest, maxsplit=1)[0] if rest else ""
    if first and _URL_LIKE.match(first):
        # Any scheme is kept as written: the classifier calls ftp:, file: or javascript:
        # invalid with the scheme named, which tells the editor more than "no URL". An
        # http(s) URL ends where a bare one does (at a stray bracket).
        web = bare_url_at(first, 0, len(first))
        return LinkEntry(path, number, label, web if web else trim_url(first))
    if first and _DOMAIN_LIKE.match(first):
        return LinkEntry(path, number, label, trim_url(first), note=NO_SCHEME_REASON)
    bare = next(bare_urls(rest), None)
    if bare is not None:
        return LinkEntry(path, number, label, bare[1])
    return LinkEntry(path, number, label, None, note=MISSING_URL_REASON)


_LIST_START = re.compile(r"\s*(?:[-*+]\s+)?\[")


def link_list_entry(line: str) -> tuple[str, str] | None:
    """``(label, URL)`` when ``line`` is a ``[label] URL`` link-list entry with a URL: a
    Markdown digest may keep the plain-text link list."""
    if _LIST_START.match(line) is None:  # most lines, however long, are decided here
        return None
    entry = _list_entry("", 0, line)
    if entry is None or entry.url is None or entry.label is None or entry.label.startswith("^"):
        return None  # "[^1]: https://..." is a footnote, not a titled link
    return entry.label, entry.url


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: breaks at LF, CRLF and CR only.

    ``str.splitlines`` also breaks at form feeds, U+2028 and friends, which would make the
    reported line numbers drift from what the editor shows.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _link_list_entries(path: str, lines: list[str]) -> dict[int, LinkEntry]:
    """The ``[label] ...`` lines that belong to a link list, by line number.

    An entry with a URL always counts. One without (a title only, or a scheme-less
    ``example.com``) counts only inside a link list: a run of consecutive ``[label]`` lines in
    which at least one entry has a URL. Elsewhere ``[Update] v2 is out`` or ``[Bug] train.py
    crashes`` is just prose.
    """
    shaped: dict[int, LinkEntry] = {}
    for number, line in enumerate(lines, start=1):
        if "[" in line and not _MARKDOWN_LINK.search(line):
            entry = _list_entry(path, number, line)
            if entry is not None:
                shaped[number] = entry
    accepted: dict[int, LinkEntry] = {}
    run: list[int] = []
    for number in range(1, len(lines) + 2):
        if number in shaped:
            run.append(number)
            continue
        if any(_has_url(shaped[n]) for n in run):
            accepted.update((n, shaped[n]) for n in run)
        else:
            accepted.update((n, shaped[n]) for n in run if _has_url(shaped[n]))
        run = []
    return accepted


def _has_url(entry: LinkEntry) -> bool:
    """Written with a scheme: a link whatever surrounds it."""
    return entry.url is not None and entry.note is None


def _markdown_entry(path: str, number: int, label: str, target: str) -> LinkEntry | None:
    """A Markdown link worth checking; None for ``#anchors`` and relative paths."""
    label_or_none = label.strip() or None
    if _URL_LIKE.match(target):
        return LinkEntry(path, number, label_or_none, target)
    if _DOMAIN_LIKE.match(target) and not target.startswith((".", "/", "#")):
        return LinkEntry(path, number, label_or_none, target, note=NO_SCHEME_REASON)
    return None


def parse_digest(text: str, path: str) -> ParsedDigest:
    """Find every link in a digest, in order, with its 1-based line.

    A link-list line yields its one entry; any other line yields its Markdown links with a
    scheme (anchors and relative paths are not links to check) and then its bare URLs outside
    those Markdown links, in the order they appear.
    """
    lines = split_lines(text)
    listed = _link_list_entries(path, lines)
    entries: list[LinkEntry] = []
    for number, line in enumerate(lines, start=1):
        if number in listed:
            entries.append(listed[number])
            continue
        if "[" not in line and "://" not in line:
            continue  # most prose lines: skip the regexes
        found: list[tuple[int, LinkEntry]] = []
        covered: list[tuple[int, int]] = []
        for md in _MARKDOWN_LINK.finditer(line):
            covered.append(md.span())
            entry = _markdown_entry(path, number, md["label"], md["url"])
            if entry is not None:
                found.append((md.start(), entry))
        for start, url in bare_urls(line):
            # Spans are in order and disjoint: the one to look at is the last starting before.
            inside = bisect.bisect_right(covered, start, key=lambda span: span[0]) - 1
            if inside >= 0 and start < covered[inside][1]:
                continue
            found.append((start, LinkEntry(path, number, None, url)))
        entries.extend(entry for _, entry in sorted(found, key=lambda item: item[0]))
    return ParsedDigest(path=path, entries=tuple(entries))
