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
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

WEB_SCHEMES = frozenset({"http", "https"})

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_STRIPPED = "\t\n\f\r "
"""ASCII whitespace, which a browser strips from both ends of an ``href`` (and removes tabs
and newlines from inside it)."""

RELATIVE_REASON = "relative reference; give --base-url to check it"
SAME_DOCUMENT_REASON = "same-document reference; never checked"


@dataclass(frozen=True, slots=True)
class Target:
    """A link target once read: the URL to check, or why there is none."""

    url: str | None
    skip_reason: str | None = None


def cleaned(raw: str) -> str:
    """An ``href`` as a browser takes it: outer whitespace stripped, tabs and newlines
    removed, spaces inside percent-encoded (``<https://a.example/b c>`` in Markdown)."""
    inner = raw.strip(_STRIPPED)
    return inner.replace("\t", "").replace("\n", "").replace("\r", "").replace(" ", "%20")


def web_base(raw: str | None, outer: str | None = None) -> str | None:
    """A usable base URL: ``raw`` resolved against ``outer``, when it ends up http(s)."""
    if raw is None:
        return outer
    value = cleaned(raw).replace("\\", "/")
    scheme = _SCHEME.match(value)
    if scheme is None:
        if outer is None:
            # Only a network-path base ("//mirror.example/d/") says where, as for links.
            return (
                "https:" + value if value.startswith("//") and _is_web("https:" + value) else None
            )
        value = urljoin(outer, value)
    elif scheme[1].lower() not in WEB_SCHEMES:
        return outer
    return value if _is_web(value) else outer


def read_target(raw: str, base: str | None) -> Target:
    """The URL to check for a link written ``raw`` in a page whose base is ``base``."""
    value = cleaned(raw)
    if value == "" or value.startswith("#"):
        return Target(None, SAME_DOCUMENT_REASON)
    scheme = _SCHEME.match(value)
    if scheme is not None:
        name = scheme[1].lower()
        if name in WEB_SCHEMES:
            return Target(value)
        return Target(None, f"not a web link ({name}:); not checked")
    # A browser reads "\\" as "/" in an http(s) URL; urljoin would keep it as a character.
    value = value.replace("\\", "/")
    if base is not None:
        return Target(urljoin(base, value))
    if value.startswith("//"):
        # A network-path reference names its host; only the scheme is the page's. A digest
        # is published over https today.
        return Target("https:" + value)
    return Target(None, RELATIVE_REASON)


def _is_web(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)
