"""The authorities: who answers for each kind of link, in the order they claim URLs.

``AUTHORITIES`` is the one fixed tuple the run iterates over; nothing else in the package asks
"which kind is this?". Adding a kind of link is one module (or a small folder) with the shape
of ``base.Authority``, one line in that tuple (before ``WEB``, which claims whatever is left),
its tests and its README row. No plugin framework: an ordinary tuple.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ..config import Settings
from ..models import (
    CachedFact,
    InvalidTarget,
    LinkEntry,
    LookupResult,
    Metadata,
    Observed,
    Plan,
    Settled,
    Status,
    Target,
    Unanswered,
    Verdict,
)
from ..records import iso
from ..urls import parse_url
from ..verdicts import unreachable
from .arxiv import ARXIV, PAPER_LINKS
from .base import Authority
from .doi import DOI
from .github import GITHUB
from .huggingface import HUGGINGFACE
from .web import WEB

AUTHORITIES: tuple[Authority[Any, Any], ...] = (
    ARXIV, GITHUB, HUGGINGFACE, DOI, PAPER_LINKS, WEB,
)  # fmt: skip
"""Asked in this order; the first to claim a URL answers for it. The web claims the rest.
``PAPER_LINKS`` claims none: its targets are the arXiv papers' companions."""

_BY_KIND: dict[str, Authority[Any, Any]] = {authority.name: authority for authority in AUTHORITIES}


def authority_of(target: Target) -> Authority[Any, Any]:
    """The authority that made ``target`` (by its kind's name)."""
    return _BY_KIND[target.kind]


def classify(url: str, max_length: int | None = None) -> Target | InvalidTarget:
    """Who answers for a URL: the first authority that claims it, or why it is not checkable."""
    parsed = parse_url(url, max_length)
    if isinstance(parsed, InvalidTarget):
        return parsed
    parts, host = parsed
    for authority in AUTHORITIES:
        claimed = authority.claim(parts, host)
        if claimed is not None:
            return claimed
    raise AssertionError(f"no authority claimed {url!r}; the web claims every checkable URL")


def plan_targets(entries: Iterable[LinkEntry], settings: Settings) -> Plan:
    """Classify every entry; invalid, excluded and prejudged ones get their verdict at once."""
    excludes = [re.compile(p) for p in settings.exclude]
    plan = Plan()
    for entry in entries:
        if entry.url is None or entry.note is not None:
            kind = None if entry.url is None else "web"
            plan.decisions[entry] = Settled(kind, Verdict(Status.INVALID, entry.note))
            continue
        target = classify(entry.url, settings.max_url_length)
        if isinstance(target, InvalidTarget):
            plan.decisions[entry] = Settled(target.kind, Verdict(Status.INVALID, target.reason))
            continue
        matched = next((p.pattern for p in excludes if p.search(entry.url)), None)
        if matched is not None:
            reason = f"excluded by --exclude {matched!r}"
            plan.decisions[entry] = Settled(target.kind, Verdict(Status.SKIPPED, reason))
            continue
        prejudged = authority_of(target).prejudge(target, settings)
        if prejudged is not None:
            plan.decisions[entry] = Settled(target.kind, prejudged)
            continue
        plan.decisions[entry] = target
        if target.key not in plan.targets:
            plan.targets[target.key] = target
            for companion in authority_of(target).companions(target, settings):
                plan.targets.setdefault(companion.key, companion)
                plan.companions.add(companion.key)
    return plan


def from_cache(target: Target, row: CachedFact) -> Observed | None:
    """A cached fact as an observation, or None for a row this version cannot read."""
    try:
        fact = authority_of(target).decode(row.payload)
    except (KeyError, TypeError, ValueError):
        return None  # a row from another version or damaged: treat as a miss
    return Observed(fact, row.observed_at, row.etag)


def judge(target: Target, result: LookupResult) -> Verdict:
    """The verdict on a looked-up target: its authority's rules on what was observed, or
    ``unreachable`` when nobody answered."""
    if isinstance(result, Observed):
        return authority_of(target).verdict(target, result)
    return unreachable(result.reason, network_level=result.network_level)


def describe(target: Target, observed: Observed | None) -> Metadata | None:
    """The authority's object for a link's record, with ``observed_at`` inside it saying when
    its facts were seen (they may be older than the verdict: see ``last_known``)."""
    metadata = authority_of(target).metadata(target, observed.fact if observed else None)
    if metadata is None:
        return None
    key, value = metadata
    if value is not None and observed is not None:
        value["observed_at"] = iso(observed.observed_at)  # a fresh object, ours to complete
    return key, value


def complete(
    target: Target,
    metadata: Metadata | None,
    settings: Settings,
    known: Callable[[str], Observed | None],
) -> Metadata | None:
    """The authority's object completed with its companions' observations (``known``: what
    the run knows under a key, this run's or the last known)."""
    authority = authority_of(target)
    found: dict[str, Observed] = {}
    for companion in authority.companions(target, settings):
        observed = known(companion.key)
        if observed is not None:
            found[companion.key] = observed
    return authority.complete(target, metadata, found)


def to_cache(target: Target, observed: Observed) -> CachedFact:
    """The cache row of an observation."""
    payload = authority_of(target).encode(observed.fact)
    return CachedFact(target.key, observed.observed_at, payload, observed.etag)


def partition_by_freshness(
    targets: dict[str, Target],
    cached: dict[str, CachedFact],
    settings: Settings,
    now: datetime,
) -> tuple[dict[str, LookupResult], list[Target], dict[str, Observed]]:
    """Split targets into answered-from-cache and to-check, under the TTLs and flags.

    Returns what the cache answers (``--offline`` takes stale facts too, and calls the rest
    unanswered), the targets to look up, and their stale (readable) cached observations.
    """
    known: dict[str, LookupResult] = {}
    to_check: list[Target] = []
    previous: dict[str, Observed] = {}
    for key, target in targets.items():
        row = cached.get(key)
        observed = from_cache(target, row) if row is not None else None
        fresh = (
            observed is not None
            and not settings.refresh
            and (now - observed.observed_at).total_seconds() < settings.ttl_s[target.kind]
        )
        if observed is not None and (fresh or settings.offline):
            known[key] = observed
        elif settings.offline:
            known[key] = Unanswered("offline: not in the cache")
        else:
            to_check.append(target)
            if observed is not None:
                previous[key] = observed
    return known, to_check, previous
