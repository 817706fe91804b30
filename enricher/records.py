"""The ``<digest>.enriched.json`` record: building it and serialising it. Pure: no I/O.

The bytes are deterministic for the same facts (fixed key order, digest order, ``checked_at``
is when a fact was observed), so a re-run from the cache produces an identical file and git
diffs stay quiet.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .models import CheckedLink, Metadata, Problem, Status

SCHEMA_VERSION = 1
"""Bumped only on an incompatible change. A new field comes with an update of
``record.schema.json`` (which is strict, so tests catch a field added by mistake)."""

RECORD_SUFFIX = ".enriched.json"


def record_name(digest_name: str) -> str:
    """``002_x.txt`` -> ``002_x.enriched.json`` (the stem keeps any inner dots)."""
    stem = digest_name.rsplit(".", 1)[0] if "." in digest_name.lstrip(".") else digest_name
    return stem + RECORD_SUFFIX


@functools.lru_cache(maxsize=4096)  # the same few moments recur on every link of a record
def iso(moment: datetime | None) -> str | None:
    """UTC, whole seconds, ``Z`` suffix: ``2026-11-22T10:00:00Z``."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_counts(statuses: list[Status]) -> dict[str, int]:
    """``links`` total then one count per status, every status present, in vocabulary order."""
    counts: dict[str, int] = {"links": len(statuses)}
    for status in Status:
        counts[status.value] = sum(1 for s in statuses if s is status)
    return counts


def link_json(link: CheckedLink, with_metadata: bool = True) -> dict[str, Any]:
    """One entry of ``links``; the link's authority adds its object last (``arxiv``,
    ``github``), unless ``with_metadata`` is off (``--check-only``)."""
    verdict = link.verdict
    history = link.history
    item: dict[str, Any] = {
        "line": link.entry.line,
        "label": link.entry.label,
        "url": link.entry.url,
        "kind": link.kind,
        "id": link.id,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "http_status": verdict.http_status,
        "final_url": verdict.final_url,
        "suggested_url": verdict.suggested_url,
        "redirects": [{"status": hop.status, "url": hop.url} for hop in verdict.redirects],
        "checked_at": iso(verdict.checked_at),
        "first_seen_at": iso(history.first_seen_at) if history else None,
        "last_ok_at": iso(history.last_ok_at) if history else None,
        "failing_since": iso(history.failing_since) if history else None,
        "label_match": link.label_match.value,
        "archive": archive_json(link),
    }
    if with_metadata and link.metadata is not None:
        key, value = link.metadata
        item[key] = fresh(value) if value is not None else None  # the caller's to change
    return item


TITLE_KEYS = ("title", "full_name")
"""What a metadata object calls the thing a label should name: a paper's or a page's title,
a repository's ``owner/name``."""

CONTEXT_KEYS = ("abstract", "description", "topics")
"""What more it says about the thing: a label mentioned there is no mismatch."""

SITE_KEYS = ("site_name",)
"""Where a page is: a title headed by it names the site, not the thing."""


def titles_of(metadata: Metadata | None) -> list[str]:
    """The titles a link's label is compared with (``label_match``)."""
    return _texts(metadata, TITLE_KEYS)


def context_of(metadata: Metadata | None) -> list[str]:
    """The abstract, description and topics of what a link leads to (``label_match``)."""
    return _texts(metadata, CONTEXT_KEYS)


def sites_of(metadata: Metadata | None, url: str | None) -> list[str]:
    """A page's site name and its host (``label_match``)."""
    host = (urlsplit(url).hostname or "") if url else ""
    return [*_texts(metadata, SITE_KEYS), *([host] if host else [])]


def _texts(metadata: Metadata | None, keys: tuple[str, ...]) -> list[str]:
    value = metadata[1] if metadata is not None else None
    if value is None:
        return []
    found: list[str] = []
    for key in keys:
        item = value.get(key)
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            found.append(" ".join(str(part) for part in item))
    return found


def archive_json(link: CheckedLink) -> dict[str, Any] | None:
    """A dead link's Wayback Machine snapshot as the record and the JSON report show it."""
    if link.archive is None:
        return None
    return {"url": link.archive.url, "timestamp": iso(link.archive.timestamp)}


def parse_record(record_text: str | None) -> dict[str, Any] | None:
    """An earlier record as data, or None for no record or one that is not JSON."""
    if record_text is None:
        return None
    try:
        record = json.loads(record_text)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def fresh(value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a record's metadata object that shares nothing changeable with it: its
    values are scalars and lists of scalars (a deep copy, at a fraction of ``copy``'s cost)."""
    return {k: list(v) if isinstance(v, list) else v for k, v in value.items()}


def links_by_url(record: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The links of an earlier record by URL (what it knew, to keep through an outage); empty
    for no record or one that is not ours."""
    links = record.get("links") if record is not None else None
    if not isinstance(links, list):
        return {}
    return {
        link["url"]: link
        for link in links
        if isinstance(link, dict) and isinstance(link.get("url"), str)
    }


def remembered(metadata: Metadata | None, earlier: Sequence[Mapping[str, Any]]) -> Metadata | None:
    """``metadata``, or when it knows nothing (``(key, None)``) the object an earlier record
    held for the same thing (under any of the URLs that cite it): records never forget. An
    object from before ``observed_at`` existed is dated by that link's ``checked_at``."""
    if metadata is None or metadata[1] is not None:
        return metadata
    key = metadata[0]
    for link in earlier:
        old = link.get(key)
        if isinstance(old, dict):
            value = fresh(old)
            value.setdefault("observed_at", link.get("checked_at"))
            return key, value
    return metadata


def build_record(
    digest_name: str,
    digest_bytes: bytes,
    links: tuple[CheckedLink, ...],
    problems: tuple[Problem, ...],
    generated_at: datetime,
    with_metadata: bool = True,
) -> dict[str, Any]:
    """The whole record for one digest, keys in their documented order."""
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {
            "file": digest_name,
            "sha256": hashlib.sha256(digest_bytes).hexdigest(),
            "bytes": len(digest_bytes),
        },
        "generated_at": iso(generated_at),
        "summary": status_counts([link.verdict.status for link in links]),
        "problems": [{"line": p.line, "message": p.message} for p in problems],
        "links": [link_json(link, with_metadata) for link in links],
    }


def to_json(record: dict[str, Any]) -> str:
    """UTF-8 friendly (``ensure_ascii=False``), 2-space indent, trailing newline."""
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def same_content(old: str | Mapping[str, Any] | None, new_record: dict[str, Any]) -> bool:
    """True when an existing record (its text, or as ``parse_record`` read it) says the same
    as the new one but for ``generated_at``.

    Such a record is left alone, so a re-run changes no file and git stays quiet.
    """
    if old is None or isinstance(old, str):
        old = parse_record(old)
    if old is None:
        return False
    strip = {k: v for k, v in new_record.items() if k != "generated_at"}
    return {k: v for k, v in old.items() if k != "generated_at"} == strip
