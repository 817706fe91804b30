"""What the DOI registries say about a work, read from their JSON. Pure: no I/O.

Crossref answers ``GET /works/<doi>`` with ``{"status": "ok", "message-type": "work",
"message": {...}}`` (citeproc-like fields: ``title`` and ``container-title`` are lists, dates
are ``{"date-parts": [[y, m, d]]}``); DataCite answers ``GET /dois/<doi>`` in JSON:API, ``{"data":
{"id", "type": "dois", "attributes": {...}}}`` (``titles``, ``creators``, ``publisher`` as a
string or, on newer records, an object, ``publicationYear``, ``dates``, ``types``, ``container``,
``relatedItems``). Both become one ``Work``.

The readers are tolerant of nulls and missing keys and strict about types: a value of the wrong
type is never coerced; ``UnreadableAnswer`` names the first thing that is not what the registry
sends, and the lookup reports it (``unreachable``), never a verdict on the DOI.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from ..json_fields import UnreadableAnswer, get_list, get_object, get_text, shown

CROSSREF = "crossref"
DATACITE = "datacite"
AGENCY_NAMES = {CROSSREF: "Crossref", DATACITE: "DataCite"}
"""The registration agencies asked, as records (``agency``) and reasons name them."""

CROSSREF_DATES = ("published", "issued", "published-online", "published-print")
"""Crossref's dates, best first: ``published`` is the earliest of print and online; ``issued``
the earliest date Crossref knows of (it falls back on others)."""

DATACITE_DATES = ("Issued", "Available")
"""DataCite ``dates`` types that say when a work came out, best first; without them,
``publicationYear``."""

_INLINE_MARKUP = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
"""Inline tags in titles (JATS ``<i>``, ``<sub>``, ``<scp>``, MathML ``<mml:mi>``): text
formatting, not words. ``x < y`` has no tag shape and stays."""

_ISO_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


@dataclass(frozen=True, slots=True)
class Work:
    """A DOI's work, as its registration agency describes it; any field may be unknown."""

    doi: str
    """The DOI as the agency spells it (Crossref keeps the registered case; DataCite
    lower-cases)."""
    agency: str
    """``crossref`` or ``datacite``: who answered for the DOI."""
    title: str | None
    authors: tuple[str, ...]
    """``Given Family`` for people, the name for organisations, in the agency's order."""
    container: str | None
    """The journal, proceedings, book or series the work is part of."""
    publisher: str | None
    published: str | None
    """ISO date, as precise as the agency knows it: ``2012-03-21``, ``2012-03`` or ``2012``."""
    type: str | None
    """Crossref's ``type`` (``journal-article``...) or DataCite's ``resourceTypeGeneral``
    (``Preprint``, ``Software``, ``Dataset``...)."""


def clean_text(text: str) -> str | None:
    """Inline markup and entities out, whitespace collapsed; None when nothing is left."""
    cleaned = " ".join(html.unescape(_INLINE_MARKUP.sub("", text)).split())
    return cleaned or None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = get_text(data, key)
    return clean_text(value) if value else None


def _first_text(data: dict[str, Any], key: str) -> str | None:
    """The first non-empty string of a list of strings (Crossref's ``title``)."""
    for item in get_list(data, key):
        if not isinstance(item, str):
            raise UnreadableAnswer(f"{key} holds {shown(item)}, not a string")
        cleaned = clean_text(item)
        if cleaned:
            return cleaned
    return None


def _name(given: str | None, family: str | None, name: str | None) -> str | None:
    if given and family:
        return f"{given} {family}"
    return family or name or given


# --- Crossref ----------------------------------------------------------------------------------


def _date_parts(value: object, key: str) -> str | None:
    """``{"date-parts": [[2012, 3, 21]]}`` as ``2012-03-21`` (or ``2012-03``, ``2012``);
    None for ``[[null]]``, the form Crossref gives an unknown date."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise UnreadableAnswer(f"{key} is {shown(value)}, not a date")
    parts = value.get("date-parts")
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
        raise UnreadableAnswer(f"{key} has date-parts {shown(parts)}, not [[y, m, d]]")
    numbers: list[int] = []
    for part in parts[0][:3]:
        if part is None:
            break
        if isinstance(part, str) and part.isascii() and part.isdigit():
            part = int(part)  # old records wrote some as strings
        if isinstance(part, bool) or not isinstance(part, int):
            raise UnreadableAnswer(f"{key} has date-parts {shown(parts)}, not numbers")
        numbers.append(part)
    if not numbers or not 0 < numbers[0] < 10_000:
        return None
    # A month or day out of range (some deposits say month 0, or 21 for "spring") ends the
    # date there: the year (and month) are still right.
    for i, limit in ((1, 12), (2, 31)):
        if len(numbers) > i and not 1 <= numbers[i] <= limit:
            numbers = numbers[:i]
            break
    return "-".join(f"{n:04d}" if i == 0 else f"{n:02d}" for i, n in enumerate(numbers))


def _crossref_author(item: object) -> str | None:
    if not isinstance(item, dict):
        raise UnreadableAnswer(f"author holds {shown(item)}, not an object")
    return _name(_text(item, "given"), _text(item, "family"), _text(item, "name"))


def work_from_crossref(data: object) -> Work:
    """A ``Work`` from Crossref's ``/works/<doi>`` answer."""
    if not isinstance(data, dict):
        raise UnreadableAnswer(f"JSON {type(data).__name__}, not a Crossref message")
    if data.get("status") != "ok" or data.get("message-type", "work") != "work":
        status, kind = data.get("status"), data.get("message-type")
        raise UnreadableAnswer(f"status {shown(status)}, message-type {shown(kind)}, not a work")
    message = data.get("message")
    if not isinstance(message, dict):
        raise UnreadableAnswer(f"message is {shown(message)}, not a work")
    doi = message.get("DOI")
    if not isinstance(doi, str) or not doi.startswith("10."):
        raise UnreadableAnswer(f"DOI is {shown(doi)}, not a DOI")
    published = None
    for key in CROSSREF_DATES:
        published = _date_parts(message.get(key), key)
        if published is not None:
            break
    authors = (_crossref_author(item) for item in get_list(message, "author"))
    return Work(
        doi=doi,
        agency=CROSSREF,
        title=_first_text(message, "title"),
        authors=tuple(a for a in authors if a),
        container=_first_text(message, "container-title"),
        publisher=_text(message, "publisher"),
        published=published,
        type=_text(message, "type"),
    )


# --- DataCite ----------------------------------------------------------------------------------


def _datacite_title(titles: list[Any], key: str) -> str | None:
    """The main title: the first without a ``titleType`` (the others are subtitles,
    translations, alternatives), else the first."""
    found: list[tuple[bool, str]] = []
    for item in titles:
        if not isinstance(item, dict):
            raise UnreadableAnswer(f"{key} holds {shown(item)}, not an object")
        title = _text(item, "title")
        if title:
            found.append((item.get("titleType") is None, title))
    main = [title for untyped, title in found if untyped]
    return main[0] if main else (found[0][1] if found else None)


def _datacite_creator(item: object) -> str | None:
    if not isinstance(item, dict):
        raise UnreadableAnswer(f"creators holds {shown(item)}, not an object")
    given, family, name = _text(item, "givenName"), _text(item, "familyName"), _text(item, "name")
    if not (given and family) and name and item.get("nameType") == "Personal":
        family_part, comma, given_part = name.partition(", ")
        if comma and family_part and given_part:  # "Hu, Edward J." is Edward J. Hu
            return f"{given_part} {family_part}"
    return _name(given, family, name)


def _datacite_publisher(attributes: dict[str, Any]) -> str | None:
    """A string on older records, ``{"name": ...}`` on newer ones (schema 4.5)."""
    value = attributes.get("publisher")
    if isinstance(value, dict):
        return _text(value, "name")
    return _text(attributes, "publisher")


def _datacite_container(attributes: dict[str, Any]) -> str | None:
    """``container.title``, else the title of a related item the work ``IsPublishedIn``."""
    title = _text(get_object(attributes, "container"), "title")
    if title:
        return title
    for item in get_list(attributes, "relatedItems"):
        if isinstance(item, dict) and item.get("relationType") == "IsPublishedIn":
            title = _datacite_title(get_list(item, "titles"), "relatedItems titles")
            if title:
                return title
    return None


def _datacite_published(attributes: dict[str, Any]) -> str | None:
    dates: dict[str, str] = {}
    for item in get_list(attributes, "dates"):
        if not isinstance(item, dict):
            raise UnreadableAnswer(f"dates holds {shown(item)}, not an object")
        kind, value = item.get("dateType"), item.get("date")
        if isinstance(kind, str) and isinstance(value, str):
            match = _ISO_DATE.match(value.strip())
            if match is not None:
                dates.setdefault(kind, match.group())
    for kind in DATACITE_DATES:
        if kind in dates:
            return dates[kind]
    year = attributes.get("publicationYear")
    if isinstance(year, str) and year.isascii() and year.isdigit():
        year = int(year)  # a string on older records
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int):
        raise UnreadableAnswer(f"publicationYear is {shown(year)}, not a year")
    return f"{year:04d}" if 0 < year < 10_000 else None


def work_from_datacite(data: object) -> Work:
    """A ``Work`` from DataCite's ``/dois/<doi>`` answer (a JSON:API document)."""
    if not isinstance(data, dict):
        raise UnreadableAnswer(f"JSON {type(data).__name__}, not a DataCite document")
    record = data.get("data")
    if not isinstance(record, dict):
        raise UnreadableAnswer(f"data is {shown(record)}, not a DOI record")
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        raise UnreadableAnswer(f"attributes is {shown(attributes)}, not an object")
    doi = attributes.get("doi", record.get("id"))
    if not isinstance(doi, str) or not doi.startswith("10."):
        raise UnreadableAnswer(f"doi is {shown(doi)}, not a DOI")
    creators = (_datacite_creator(item) for item in get_list(attributes, "creators"))
    return Work(
        doi=doi,
        agency=DATACITE,
        title=_datacite_title(get_list(attributes, "titles"), "titles"),
        authors=tuple(c for c in creators if c),
        container=_datacite_container(attributes),
        publisher=_datacite_publisher(attributes),
        published=_datacite_published(attributes),
        type=_text(get_object(attributes, "types"), "resourceTypeGeneral"),
    )


def work_json(work: Work) -> dict[str, Any]:
    """The ``doi`` object of a link, in its documented key order."""
    return {
        "doi": work.doi,
        "title": work.title,
        "authors": list(work.authors),
        "container": work.container,
        "publisher": work.publisher,
        "published": work.published,
        "type": work.type,
        "agency": work.agency,
    }
