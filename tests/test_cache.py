"""The fact cache: what is stored comes back unchanged, and a broken cache never stops a run."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from enricher.authorities.arxiv import ARXIV
from enricher.authorities.github import GITHUB
from enricher.authorities.web import WEB, web_verdict
from enricher.cache import CACHE_FILE, Cache, CachedFact
from enricher.errors import CacheError
from enricher.models import (
    Check,
    FailureKind,
    FetchFailure,
    FetchOutcome,
    HttpFacts,
    Paper,
    Redirect,
    Repo,
    Status,
)
from tests import samples

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)

PAPER = samples.paper(
    abs_url="https://arxiv.org/abs/2401.10774v3",
)
REPO = samples.repo(
    license=None,
    archived=True,
    pushed_at=None,
)


def open_cache(folder: Path) -> Cache:
    return Cache.open(folder, NOW)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = open_cache(tmp_path / "cache")
    yield opened
    opened.close()


def test_open_creates_the_cache_folder_and_file(tmp_path: Path) -> None:
    """Opening a cache in a missing folder creates it."""
    folder = tmp_path / "deep" / "cache"
    opened = open_cache(folder)
    try:
        assert opened.path == folder / CACHE_FILE
        assert (folder / CACHE_FILE).is_file()
    finally:
        opened.close()


def test_put_many_get_many_round_trip(cache: Cache) -> None:
    """Stored facts come back with payload, observation time and ETag; unknown keys are absent."""
    observed = datetime(2026, 11, 21, 18, 30, 0, tzinfo=timezone(timedelta(hours=8)))
    stored = [
        CachedFact("github:qwenlm/qwen-vl", observed, {"repo": {"description": "通义"}}, 'W/"abc"'),
        CachedFact("arxiv:2401.10774", NOW, {"paper": None}),
        CachedFact("web:https://example.com/", NOW - timedelta(days=2), {"status_code": 200}),
    ]
    cache.put_many(stored)
    found = cache.get_many([fact.key for fact in stored] + ["web:https://missing.example/"])
    assert set(found) == {fact.key for fact in stored}
    for fact in stored:
        got = found[fact.key]
        assert got.payload == fact.payload
        assert got.etag == fact.etag
        assert got.observed_at == fact.observed_at
        assert got.observed_at.tzinfo is not None


def test_facts_survive_reopening(tmp_path: Path) -> None:
    """A later run finds what an earlier run stored."""
    first = open_cache(tmp_path)
    first.put_many([CachedFact("arxiv:2401.10774", NOW, {"paper": None}, "etag-1")])
    first.close()
    second = open_cache(tmp_path)
    try:
        found = second.get_many(["arxiv:2401.10774"])
        assert found["arxiv:2401.10774"] == CachedFact(
            "arxiv:2401.10774", NOW, {"paper": None}, "etag-1"
        )
    finally:
        second.close()


def test_put_replaces_an_older_observation(cache: Cache) -> None:
    """Storing a key again keeps only the newest observation."""
    cache.put_many([CachedFact("k", NOW - timedelta(days=1), {"v": 1}, "old")])
    cache.put_many([CachedFact("k", NOW, {"v": 2}, None)])
    assert cache.get_many(["k"])["k"] == CachedFact("k", NOW, {"v": 2}, None)


def test_many_keys_at_once(cache: Cache) -> None:
    """Lookups of more keys than SQLite allows in one query still find them all."""
    stored = [CachedFact(f"web:https://example.com/{i}", NOW, {"i": i}) for i in range(1200)]
    cache.put_many(stored)
    found = cache.get_many([fact.key for fact in stored])
    assert len(found) == 1200
    assert found["web:https://example.com/1199"].payload == {"i": 1199}


@pytest.mark.parametrize("paper", [PAPER, None], ids=["paper", "no-such-paper"])
def test_paper_payload_round_trip(cache: Cache, paper: Paper | None) -> None:
    """arXiv metadata (or its absence) comes back from the cache exactly as observed."""
    cache.put_many([CachedFact("arxiv:x", NOW, ARXIV.encode(paper))])
    assert ARXIV.decode(cache.get_many(["arxiv:x"])["arxiv:x"].payload) == paper


@pytest.mark.parametrize("repo", [REPO, None], ids=["repo", "no-such-repo"])
def test_repo_payload_round_trip(cache: Cache, repo: Repo | None) -> None:
    """GitHub metadata (or its absence) comes back from the cache exactly as observed."""
    cache.put_many([CachedFact("github:x", NOW, GITHUB.encode(repo))])
    assert GITHUB.decode(cache.get_many(["github:x"])["github:x"].payload) == repo


@pytest.mark.parametrize(
    "outcome",
    [
        HttpFacts(200, "https://example.com/"),
        HttpFacts(
            200,
            "https://example.com/new",
            (Redirect(302, "https://example.com/tmp"), Redirect(301, "https://example.com/new")),
        ),
        HttpFacts(403, "https://example.com/", headers=(("cf-mitigated", "challenge"),)),
        HttpFacts(404, "https://example.com/gone"),
        FetchFailure(
            FailureKind.REDIRECT_LOOP,
            "redirect loop",
            (Redirect(302, "https://example.com/a"), Redirect(302, "https://example.com/b")),
        ),
    ],
    ids=["200", "redirect-chain", "bot-challenge", "404", "redirect-loop"],
)
def test_http_payload_round_trip(cache: Cache, outcome: FetchOutcome) -> None:
    """Status, final URL, redirect chain and bot-wall flag come back from the cache."""
    cache.put_many([CachedFact("web:x", NOW, WEB.encode(outcome))])
    assert WEB.decode(cache.get_many(["web:x"])["web:x"].payload) == outcome


def test_a_bot_wall_cached_before_headers_were_kept_is_still_one() -> None:
    """A fact from an older cache says ``bot_challenge``: it reads as the header it stood for,
    and is judged as the wall it was."""
    old = {"status_code": 403, "final_url": "https://example.com/", "redirects": [],
           "bot_challenge": True, "page": None}  # fmt: skip
    outcome = WEB.decode(old)
    assert outcome == HttpFacts(
        403, "https://example.com/", headers=(("cf-mitigated", "challenge"),)
    )
    assert web_verdict(outcome, NOW).reason == "bot challenge (Cloudflare); the page may exist"


def test_http_payload_leaves_out_retry_hints() -> None:
    """Retry-After and attempt counts are about one run, not facts about the page."""
    outcome = HttpFacts(200, "https://example.com/", retry_after_s=30.0, attempts=3)
    assert WEB.decode(WEB.encode(outcome)) == HttpFacts(200, "https://example.com/")


def test_corrupt_cache_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A corrupt cache file costs requests, never the run: it is set aside and a new one used."""
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / CACHE_FILE).write_bytes(b"not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="enricher.cache"):
        opened = open_cache(folder)
    try:
        aside = list(folder.glob(f"{CACHE_FILE}.corrupt-*"))
        assert len(aside) == 1
        assert aside[0].read_bytes() == b"not a database" * 100
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert aside[0].name in warnings[0].getMessage()
        opened.put_many([CachedFact("k", NOW, {"ok": True})])
        assert opened.get_many(["k"])["k"].payload == {"ok": True}
    finally:
        opened.close()


def test_disabled_cache_stores_nothing() -> None:
    """With --no-cache nothing is remembered and nothing is written to disk."""
    disabled = Cache.disabled()
    disabled.put_many([CachedFact("k", NOW, {"ok": True})])
    assert disabled.get_many(["k"]) == {}
    assert disabled.path is None
    disabled.close()


def test_a_locked_cache_is_reported_not_moved_aside(tmp_path: Path) -> None:
    """Another process holding the cache is not corruption: the file stays, the error says so."""
    good = open_cache(tmp_path)
    good.put_many([CachedFact("web:https://a.example/", NOW, {"x": 1})])
    good.close()
    holder = sqlite3.connect(tmp_path / "enricher.sqlite3")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(CacheError, match="locked"):
            Cache.open(tmp_path, NOW, busy_timeout_s=0.05)
    finally:
        holder.rollback()
        holder.close()
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert open_cache(tmp_path).get_many(["web:https://a.example/"])


def test_recent_checks_are_each_targets_newest_oldest_first(cache: Cache) -> None:
    """One batched read: at most ``limit`` checks per target, the newest, oldest first; a
    target without checks is absent, and a disabled cache knows none."""
    statuses = [Status.OK, Status.BROKEN, Status.UNREACHABLE]
    checks = [Check("web:a", NOW + timedelta(hours=n), statuses[n % 3]) for n in range(12)]
    checks.append(Check("web:b", NOW, Status.BLOCKED))
    cache.save([], checks, {})
    recent = cache.recent_checks(["web:a", "web:b", "web:never"], 10)
    assert sorted(recent) == ["web:a", "web:b"]
    assert [c.checked_at for c in recent["web:a"]] == [c.checked_at for c in checks[2:12]]
    assert [c.status for c in recent["web:a"]] == [statuses[n % 3] for n in range(2, 12)]
    assert [(c.key, c.status) for c in recent["web:b"]] == [("web:b", Status.BLOCKED)]
    assert Cache.disabled().recent_checks(["web:a"], 10) == {}
