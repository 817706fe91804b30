"""Which targets the cache answers and which are checked again: TTLs per kind and the flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from enricher.authorities import partition_by_freshness
from enricher.authorities.arxiv import ARXIV
from enricher.authorities.web import WEB as WEB_PAGES
from enricher.cache import CachedFact
from enricher.config import Settings
from enricher.models import ArxivTarget, HttpFacts, Target, Unanswered, WebTarget
from tests import samples

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)
WEB = WebTarget("https://example.org/", "example.org")
PAPER = ArxivTarget("2401.10774")
TARGETS: dict[str, Target] = {WEB.key: WEB, PAPER.key: PAPER}


def cached(age: timedelta) -> dict[str, CachedFact]:
    when = NOW - age
    return {
        WEB.key: CachedFact(WEB.key, when, WEB_PAGES.encode(HttpFacts(200, WEB.url))),
        PAPER.key: CachedFact(PAPER.key, when, ARXIV.encode(samples.PAPER)),
    }


@pytest.mark.parametrize(
    ("age", "changes", "from_cache", "checked"),
    [
        (timedelta(hours=2), {}, {WEB.key, PAPER.key}, set()),
        (timedelta(days=2), {}, {PAPER.key}, {WEB.key}),
        (timedelta(days=40), {}, set(), {WEB.key, PAPER.key}),
        (timedelta(hours=2), {"refresh": True}, set(), {WEB.key, PAPER.key}),
        (timedelta(days=40), {"offline": True}, {WEB.key, PAPER.key}, set()),
    ],
    ids=["all-fresh", "web-past-1-day", "arxiv-past-30-days", "refresh", "offline-takes-stale"],
)
def test_ttl_per_kind_and_flags(
    age: timedelta, changes: dict[str, bool], from_cache: set[str], checked: set[str]
) -> None:
    """web facts live a day, arXiv facts 30 days; --refresh ignores them, --offline takes any."""
    settings = replace(Settings(), **changes)
    known, to_check, stale = partition_by_freshness(TARGETS, cached(age), settings, NOW)
    assert set(known) == from_cache
    assert {t.key for t in to_check} == checked
    assert set(stale) == checked


def test_offline_without_cache_is_unreachable() -> None:
    """--offline and nothing cached: unreachable with reason "offline", nothing to check."""
    known, to_check, _ = partition_by_freshness(
        TARGETS, {}, replace(Settings(), offline=True), NOW
    )
    assert to_check == []
    assert all(isinstance(v, Unanswered) and "offline" in v.reason for v in known.values())
    assert set(known) == set(TARGETS)


def test_unreadable_row_is_a_miss_without_etag() -> None:
    """A damaged cache row is checked again, and its ETag is not trusted."""
    rows = {WEB.key: CachedFact(WEB.key, NOW, {"garbage": True}, etag='"x"')}
    known, to_check, stale = partition_by_freshness({WEB.key: WEB}, rows, Settings(), NOW)
    assert to_check == [WEB] and stale == {} and known == {}
