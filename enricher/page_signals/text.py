"""What the page rules share: the ``Signal`` they give, how titles and URLs are compared."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..models import PageFacts, Status


@dataclass(frozen=True, slots=True)
class Signal:
    """A verdict the page's content decides, whatever its status line said."""

    status: Status
    reason: str
    suggested_url: str | None = None
    """Where the link should point now (a page that says it moved)."""


THIN_TEXT = 1500
"""Visible text below this many characters: a page with no content of its own to speak of
(challenges, landers and error pages are a few sentences; articles are thousands)."""

CONTENT_TYPES = (
    "article", "posting", "product", "music", "video", "book", "movie", "recipe", "episode",
    "podcast", "event", "creativework", "report", "dataset", "software",
)  # fmt: skip
"""Fragments of ``og:type`` or JSON-LD ``@type`` values that say the page is a thing of its
own (a song called "404", a list called "500", a post quoting a lander's "this domain is for
sale"): what it says is its subject, not its state."""


def says_it_is_content(page: PageFacts, types: tuple[str, ...] = CONTENT_TYPES) -> bool:
    """Whether the page says it is a thing of its own: one of ``types`` as its type, or a
    publication date (error pages, walls and landers have neither)."""
    kind = (page.type or "").casefold()
    return any(fragment in kind for fragment in types) or page.published_at is not None


WRITING_TYPES = ("article", "posting", "report")
"""Types of a page that is writing, which may quote a lander's sentence: not a product, which
a domain marketplace's lander says it is (JSON-LD ``Product`` with an ``Offer``)."""


_SEPARATORS = re.compile(r"\s+[|\-–—•·:»‹›/]+\s+|\s*[|•·»]\s*")
"""Between a page's name and its site's: "Page not found – My Blog", "404 | Shop"."""

_PUNCTUATION = re.compile(r"[^\w\s]+")


def norm(text: str | None) -> str | None:
    """Case-, accent-width- and punctuation-insensitive form (apostrophes become spaces)."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split()) or None


def raw_parts(text: str | None) -> list[str]:
    """A title, then its parts where sites join page name and site name ("Page not found –
    My Blog", "ページが見つかりません｜サイト"), lower-cased, punctuation kept."""
    if not text:
        return []
    whole = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    parts = [part for part in _SEPARATORS.split(whole) if part]
    return [whole, *(part for part in parts if part != whole)]


def title_parts(text: str | None) -> list[str]:
    """The title and its parts (see ``raw_parts``), normalised (see ``norm``)."""
    parts: list[str] = []
    for part in map(norm, raw_parts(text)):
        if part and part not in parts:
            parts.append(part)
    return parts


def starts_with(text: str, start: str) -> bool:
    return text == start or text.startswith(start + " ")


def has_header(headers: dict[str, str], wanted: tuple[tuple[str, str], ...]) -> bool:
    return any(name in headers and fragment in headers[name] for name, fragment in wanted)


def url_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def url_path(url: str) -> str:
    return urlsplit(url).path or "/"


def site_of(host: str | None) -> str:
    host = (host or "").lower()
    return host.removeprefix("www.")


def comparable(url: str) -> str:
    parts = urlsplit(url)
    return f"{site_of(parts.hostname)}{parts.path.rstrip('/')}"


def quote(text: str | None) -> str:
    return f"“{' '.join((text or '').split())[:80]}”"


_LANGUAGES = (
    "ar|bg|bn|ca|cs|da|de|el|en|es|et|fa|fi|fr|he|hi|hr|hu|id|it|ja|ko|lt|lv|ms|nb|nl|no|pl|pt|"
    "ro|ru|sk|sl|sr|sv|th|tr|uk|vi|zh"
)
_LOCALE_ROOT = re.compile(rf"/(?:{_LANGUAGES})(?:[-_][a-z]{{2,4}})?", re.I)
"""``/en``, ``/de-de``: a localised home page (known language codes only: ``/ok`` is not)."""

_INDEX = re.compile(r"/(?:index|default|home)(?:\.[a-z]{2,6})?$", re.I)
"""What a site's home page is also called: ``/index.html``, ``/index.php``, ``/home``."""


_PAGE_QUERY = re.compile(r"(?:^|&)(?:p|page_id|post|id|article|story|item|node)=[^&]", re.I)


def names_a_page(query: str) -> bool:
    """Whether a URL's query names a page (WordPress's ``/?p=42``, ``/index.php?page_id=7``):
    the home path with it is that page, not the home page."""
    return _PAGE_QUERY.search(query) is not None


def is_home(path: str) -> bool:
    """A site's home page under any of its names: ``/``, ``/index.html``, ``/Index.shtml``,
    ``/home/``, a localised root (``/en/``, ``/en/index.html``)."""
    path = _INDEX.sub("", path.rstrip("/")).rstrip("/")
    return path == "" or bool(_LOCALE_ROOT.fullmatch(path))
