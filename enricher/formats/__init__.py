"""Reading a digest by its format: plain text, Markdown or HTML, told by the file's extension.

Every format gives the same thing, a ``ParsedDigest``: the links to check with the line each is
written on, and the link targets that are not web links (skipped, shown under ``--verbose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from ..digest import parse_digest
from ..models import ParsedDigest


class DigestFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"


EXTENSIONS = {
    ".md": DigestFormat.MARKDOWN,
    ".markdown": DigestFormat.MARKDOWN,
    ".html": DigestFormat.HTML,
    ".htm": DigestFormat.HTML,
}
"""Any other extension (``.txt``, none at all) is plain text."""


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How Markdown and HTML digests are read (plain text has no options)."""

    base_url: str | None = None
    """Where the digest is published (``--base-url``): relative links resolve against it."""
    include_verbatim: bool = False
    """Check links in code spans and code blocks too (``--include-verbatim``)."""


def format_of(path: str) -> DigestFormat:
    return EXTENSIONS.get(PurePath(path).suffix.lower(), DigestFormat.TEXT)


def parse_any(text: str, path: str, options: ReadOptions = ReadOptions()) -> ParsedDigest:
    """The links of a digest, read as its extension says."""
    match format_of(path):
        case DigestFormat.MARKDOWN:
            from .markdown import parse_markdown

            return parse_markdown(text, path, options)
        case DigestFormat.HTML:
            from .html import parse_html

            return parse_html(text, path, options)
        case _:
            return parse_digest(text, path)
