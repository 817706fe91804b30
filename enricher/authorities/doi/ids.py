"""DOIs and the URLs that carry one. Pure: no I/O.

A DOI is ``10.<registrant>/<suffix>``: the prefix is digits and dots, the suffix any printable
characters, ``/``, ``;``, ``(``, ``)``, ``<``, ``>`` and ``#`` included (DOI Handbook §2.2;
Crossref's own pattern for modern DOIs is ``^10.\\d{4,9}/[-._;()/:A-Z0-9]+$``, but older
ones hold much more). DOI names are case-insensitive for ASCII letters (Handbook §2.4), so a
target's key is lower-cased and its ``doi`` keeps the form the link wrote.

The URLs claimed: the resolver (``doi.org``, ``dx.doi.org``), publisher pages whose path holds
the DOI (``/doi/[abs|full|pdf|epdf|...]/10.x/y`` on any host: science.org, dl.acm.org,
onlinelibrary.wiley.com, pubs.acs.org, tandfonline.com, journals.sagepub.com, pnas.org...;
``link.springer.com/article|chapter|.../10.x/y``) and ``nature.com/articles/<id>``, whose
DOI is ``10.1038/<id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote

RESOLVER_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
"""The DOI resolver: the whole path is the DOI."""

NATURE_HOSTS = frozenset({"nature.com", "www.nature.com"})
NATURE_PREFIX = "10.1038"
"""Springer Nature's prefix: ``nature.com/articles/<id>`` is ``10.1038/<id>``."""

SPRINGER_HOSTS = frozenset({"link.springer.com"})
SPRINGER_PAGES = frozenset({"article", "chapter", "book", "referenceworkentry", "protocol"})
"""First path segments of link.springer.com pages named by their DOI (``/article/10.1007/...``);
``/content/pdf/10.1007/....pdf`` is the PDF of one."""

DOI_PAGE_VIEWS = frozenset(
    {"abs", "full", "pdf", "epdf", "pdfdirect", "pdfplus", "fullhtml", "epub", "reader", "book",
     "proceedings", "suppl"}
)  # fmt: skip
"""Views of a ``/doi/<view>/10.x/y`` publisher page (lower-cased: ACM writes ``fullHtml``)."""

SUB_PAGES = frozenset(
    {"suppl_file", "suppl", "supplinfo", "supplementary", "references", "citedby", "cited-by",
     "figures", "figure", "tables", "table", "metrics", "media", "related", "comments",
     "downloadsupplement", "asset", "assets"}
)  # fmt: skip
"""Pages below an article's on publisher paths (supplements, references, figures): where
the DOI ends."""

TRAILING_VIEWS = frozenset({"abstract", "full", "pdf", "epdf", "fulltext", "fulltext.html"})
"""A last path segment naming a view of the page, not part of its DOI (Wiley's old
``/doi/10.1002/x/abstract``, Springer's old ``/article/10.1007/x/fulltext.html``). Only taken
off publisher paths: behind ``doi.org`` every character belongs to the DOI."""

_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+")
"""A whole DOI: a prefix (registrant codes are 4 to 9 digits, maybe subdivided) and a suffix."""

_NATURE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""The article part of a nature.com URL (``s41586-021-03819-2``, ``nature14539``)."""

_SENTENCE_PUNCT = frozenset(".,;:!?'\"")
"""Trailing characters that end the sentence around a DOI rather than the DOI itself."""

_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
"""A closing bracket at the end is the DOI's only when the DOI opened it too."""


@dataclass(frozen=True, slots=True)
class DoiTarget:
    """A DOI, however it was linked (the resolver, a publisher's page, nature.com)."""

    doi: str
    """As the link wrote it (percent-decoded, trimmed): what the record's ``id`` shows."""

    kind = "doi"

    @property
    def id(self) -> str:
        """The DOI as written."""
        return self.doi

    @property
    def key(self) -> str:
        """DOIs are case-insensitive: one check per DOI, whatever the case or the page."""
        return f"doi:{normalise_doi(self.doi)}"


def normalise_doi(doi: str) -> str:
    """The DOI with its ASCII letters lower-cased, as DOI names compare (Handbook §2.4)."""
    return "".join(c.lower() if c.isascii() else c for c in doi)


def trim_doi(text: str) -> str:
    """``text`` without the sentence punctuation and unopened closing brackets at its end.

    DOIs hold parentheses and semicolons (``10.1016/S0024-3205(99)00225-8``,
    ``...3.0.CO;2-0``), so only what cannot be the DOI's goes: a final ``.``, ``,``, ``;``
    and the like, and a ``)`` (or ``]``, ``}``, ``>``) that the DOI never opened.
    """
    # Counted once and kept up to date: recounting per character trimmed is quadratic.
    opened = {opening: text.count(opening) for opening in _CLOSERS.values()}
    closed = {closing: text.count(closing) for closing in _CLOSERS}
    end = len(text)
    while end:
        last = text[end - 1]
        if last in _CLOSERS and opened[_CLOSERS[last]] < closed[last]:
            closed[last] -= 1
        elif last not in _SENTENCE_PUNCT:
            break
        end -= 1
    return text[:end]


def parse_doi(text: str) -> str | None:
    """A DOI from ``text`` (already percent-decoded), trimmed; None when it is not one."""
    doi = trim_doi(text)
    if not _DOI.fullmatch(doi) or any(not c.isprintable() for c in doi):
        return None
    return doi


def doi_url(doi: str) -> str:
    """The DOI's canonical address, ``https://doi.org/<doi>``, encoded for a URL."""
    return "https://doi.org/" + quote(doi, safe="/:;()")


def _segments(parts: SplitResult) -> list[str]:
    """The path's segments, still percent-encoded (an encoded ``/`` splits nothing)."""
    return [s for s in parts.path.split("/") if s]


def _publisher_doi(raw_segments: list[str]) -> str | None:
    """The DOI in the rest of a publisher's path: ``10.x/y[/view]``, percent-decoded."""
    if len(raw_segments) < 2:
        return None
    segments = [unquote(s) for s in raw_segments]
    # A page below the article's (its supplement, its references) is not part of the DOI:
    # "/doi/suppl/10.1021/jacs.1c01234/suppl_file/x.pdf" is 10.1021/jacs.1c01234.
    for index in range(2, len(segments)):
        if segments[index].lower() in TRAILING_VIEWS | SUB_PAGES:
            segments = segments[:index]
            break
    return parse_doi("/".join(segments))


def doi_in_url(parts: SplitResult, host: str) -> str | None:
    """The DOI a URL names, or None when it names none (or not one we read)."""
    if host in RESOLVER_HOSTS:
        return parse_doi(unquote(parts.path.lstrip("/")))
    segments = _segments(parts)
    if len(segments) < 2:
        return None
    first = segments[0].lower()
    if host in NATURE_HOSTS:
        if first != "articles":
            return None  # news, subjects, journal home pages: web links
        article = unquote(segments[1]).removesuffix(".pdf")
        if not _NATURE_ID.fullmatch(article):
            return None
        return f"{NATURE_PREFIX}/{article}"
    if host in SPRINGER_HOSTS:
        if first in SPRINGER_PAGES:
            return _publisher_doi(segments[1:])
        if first == "content" and segments[1].lower() == "pdf":
            rest = segments[2:]
            if rest:
                rest = [*rest[:-1], rest[-1].removesuffix(".pdf")]
            return _publisher_doi(rest)
        return None
    if first == "doi":
        rest = segments[1:]
        if rest and rest[0].lower() in DOI_PAGE_VIEWS:
            rest = rest[1:]
        return _publisher_doi(rest)
    return None


def doi_target(parts: SplitResult, host: str) -> DoiTarget | None:
    """The DOI target of a URL; None for URLs that carry no DOI (they stay web links)."""
    doi = doi_in_url(parts, host)
    return DoiTarget(doi) if doi is not None else None
