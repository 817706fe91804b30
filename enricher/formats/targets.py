"""What a link target in Markdown or HTML points at, and the URL to check for it. Pure.

In a Markdown or HTML digest a link's target is a URL reference as a browser reads it: an
absolute ``http(s)`` URL is a web link; ``README.md``, ``../paper.pdf`` or ``/about`` are
relative to where the digest is published, and only a base URL (``--base-url``, or an HTML
``<base href>``) makes them web links; ``#section`` is a place in the digest itself; ``mailto:``,
``tel:``, ``javascript:`` and other schemes are not web links at all. Only web links are checked;
the rest are skipped, with a reason shown under ``--verbose``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from ..models import LinkEntry, SkippedLink

WEB_SCHEMES = frozenset({"http", "https"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_STRIPPED = "\t\n\f\r "
"""ASCII whitespace, which a browser strips from both ends of an ``href`` (and removes tabs
and newlines from inside it)."""

_WHITESPACE = re.compile(r"\s+")

RELATIVE_REASON = "relative reference; give --base-url to check it"
SAME_DOCUMENT_REASON = "same-document reference; never checked"


def cleaned(raw: str) -> str:
    """An ``href`` as a browser takes it: outer whitespace stripped, tabs and newlines
    removed, spaces inside percent-encoded (``<https://a.example/b c>`` in Markdown)."""
    inner = raw.strip(_STRIPPED)
    return inner.replace("\t", "").replace("\n", "").replace("\r", "").replace(" ", "%20")


def label_of(text: str | None) -> str | None:
    """A label as a reader sees it: each run of whitespace one space; None when empty."""
    return _WHITESPACE.sub(" ", text or "").strip() or None


def read_link(
    path: str, line: int, label: str | None, raw: str, base: str | None
) -> LinkEntry | SkippedLink:
    """The link written ``raw`` at ``path:line`` of a page whose base is ``base``: a web link
    to check, or what was skipped and why."""
    url, reason = _url_for(raw, base)
    if url is None:
        return SkippedLink(path, line, raw, reason)
    return LinkEntry(path, line, label, url)


def web_base(raw: str | None, outer: str | None = None) -> str | None:
    """A usable base URL: ``raw`` (a ``<base href>``) resolved as a link is against
    ``outer``, when it ends up an http(s) URL with a host; else ``outer``."""
    url = _url_for(raw, outer)[0] if raw is not None else None
    return url if url is not None and _is_web(url) else outer


def _url_for(raw: str, base: str | None) -> tuple[str | None, str]:
    """The URL to check for a link written ``raw`` against ``base``, or None and why not."""
    value = cleaned(raw)
    if value == "" or value.startswith("#"):
        return None, SAME_DOCUMENT_REASON
    scheme = _SCHEME.match(value)
    if scheme is not None:
        name = scheme[1].lower()
        if name in WEB_SCHEMES:
            return value, ""
        return None, f"not a web link ({name}:); not checked"
    # A browser reads "\\" as "/" in an http(s) URL; urljoin would keep it as a character.
    value = value.replace("\\", "/")
    if base is not None:
        return urljoin(base, value), ""
    if value.startswith("//"):
        # A network-path reference names its host; only the scheme is the page's. A digest
        # is published over https today.
        return "https:" + value, ""
    return None, RELATIVE_REASON


def _is_web(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)
