"""Where a copy of a dead page lives: the Wayback Machine's snapshot closest to when the link
last worked. Pure: which links want one, what to ask, what an answer means; the asking is
``net.wayback``'s.

A link wants a snapshot when it is ``broken``, or ``unreachable`` and failing for more than
``ARCHIVE_AFTER`` (a site down for a week is not coming back soon). The moment asked for is
when it last worked (``last_ok_at``), else when enricher first saw it: the page as the
editor linked it, not the parking page that replaced it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from .config import Settings
from .models import CachedFact, LinkState, Snapshot, Status, Verdict

__all__ = [
    "ARCHIVE_AFTER",
    "Snapshot",
    "archive_key",
    "decode_snapshot",
    "encode_snapshot",
    "fresh_snapshot",
    "moment_of",
    "snapshot_from_answer",
    "snapshot_in_records",
    "wants_archive",
    "wayback_path",
]

ARCHIVE_AFTER = timedelta(days=7)
"""An ``unreachable`` link failing this long gets a snapshot too."""

ARCHIVE_KEY_PREFIX = "archive:"

_SNAPSHOT_PATH = re.compile(r"/web/(\d{14})[a-z_]*/")
"""``/web/20240102030405/https://example.com/``; ``id_``, ``im_``... suffixes allowed."""

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def wants_archive(verdict: Verdict, state: LinkState | None, now: datetime) -> bool:
    """Whether a link's verdict makes it want a copy (see the module's docstring)."""
    if verdict.status is Status.BROKEN:
        return True
    if verdict.status is not Status.UNREACHABLE or state is None or not state.failing_since:
        return False
    return now - state.failing_since > ARCHIVE_AFTER


def moment_of(state: LinkState | None, now: datetime) -> datetime:
    """When the page was as linked: last seen working, else first seen, else now."""
    if state is None:
        return now
    return state.last_ok_at or state.first_seen_at


def archive_key(url: str) -> str:
    """The cache key of a URL's snapshot."""
    return ARCHIVE_KEY_PREFIX + url


def fresh_snapshot(row: CachedFact | None, now: datetime, settings: Settings) -> bool:
    """Whether a cached answer is trusted without asking again (``ttl-archive``; never under
    ``--refresh``)."""
    if row is None or settings.refresh:
        return False
    return (now - row.observed_at).total_seconds() < settings.ttl_s["archive"]


def wayback_path(url: str, moment: datetime) -> str:
    """``/web/<YYYYMMDDhhmmss>/<url>``: the Wayback Machine answers with a redirect to its
    snapshot closest to that moment. The fragment is not part of the page."""
    parts = urlsplit(url)
    # Credentials in a link are nobody else's business (the Wayback Machine logs its asks).
    host = parts.netloc.rpartition("@")[2]
    page = urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
    return f"/web/{moment.astimezone(timezone.utc):%Y%m%d%H%M%S}/{page}"


class UnusableAnswer(ValueError):
    """An answer that says neither "here is a snapshot" nor "there is none"."""


def snapshot_from_answer(status: int, location: str | None, request_url: str) -> Snapshot | None:
    """What the Wayback Machine's answer to ``wayback_path`` says: a redirect to a snapshot
    (its time is in its path), 404 for none, a 200 when the moment asked was the snapshot's
    own. Anything else raises ``UnusableAnswer``."""
    if status == 404:
        return None
    if status in REDIRECTS and location:
        target = urljoin(request_url, location.strip())
    elif status == 200:
        target = request_url
    else:
        raise UnusableAnswer(f"HTTP {status}")
    found = _SNAPSHOT_PATH.search(urlsplit(target).path)
    if found is None:
        raise UnusableAnswer(f"HTTP {status} to {target[:200]}, not a snapshot")
    moment = datetime.strptime(found[1], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
    return Snapshot(target, moment)


def encode_snapshot(snapshot: Snapshot | None) -> dict[str, Any]:
    """The cache payload of an answer (``{"none": true}``: the Wayback Machine has none)."""
    if snapshot is None:
        return {"none": True}
    return {"url": snapshot.url, "timestamp": snapshot.timestamp.isoformat()}


def decode_snapshot(payload: dict[str, Any]) -> Snapshot | None:
    if payload.get("none"):
        return None
    return Snapshot(str(payload["url"]), datetime.fromisoformat(str(payload["timestamp"])))


def snapshot_in_records(links: Iterable[Mapping[str, Any]], url: str) -> Snapshot | None:
    """The copy an earlier record held for ``url`` (its ``archive``), or None: what a link
    still not working keeps when this run asked nothing (an outage, ``--offline``, a link
    unreachable for less than ``ARCHIVE_AFTER``) or got no answer."""
    for link in links:
        old = link.get("archive")
        if link.get("url") != url or not isinstance(old, dict):
            continue
        with contextlib.suppress(KeyError, TypeError, ValueError):  # a hand-edited record
            moment = datetime.fromisoformat(str(old["timestamp"]))
            return Snapshot(str(old["url"]), moment)
    return None
