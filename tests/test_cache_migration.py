"""The cache across releases and runs: an older cache is migrated with its facts kept, a newer
one is refused untouched, a run's writes are all or nothing, and each target's history stays
within its bounds. Real SQLite files under tmp_path."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import enricher.cache
from enricher.authorities.arxiv import ARXIV
from enricher.authorities.github import GITHUB
from enricher.authorities.web import WEB
from enricher.cache import CACHE_FILE, Cache
from enricher.config import Settings
from enricher.errors import CacheError, CacheTooNew
from enricher.history import HISTORY_MAX_AGE, HISTORY_MAX_CHECKS
from enricher.models import CachedFact, Check, HttpFacts, LinkState, Status

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "caches" / "v1" / CACHE_FILE
NOW = datetime(2026, 12, 5, 9, 0, 0, tzinfo=timezone.utc)
V1_OBSERVED = datetime(2026, 11, 30, 8, 0, 0, tzinfo=timezone.utc)
V1_KEYS = [
    "arxiv:2401.10774",
    "github:fasterdecoding/medusa",
    "web:https://example.org/post-old",
    "arxiv:2401.99999",
]
KEY = "web:https://example.org/post"
OTHER = "github:fasterdecoding/medusa"


def raw(path: Path) -> sqlite3.Connection:
    """The file as SQLite sees it, read-only, bypassing enricher."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def user_version(path: Path) -> int:
    db = raw(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def tables(path: Path) -> set[str]:
    db = raw(path)
    try:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()


@pytest.fixture
def v1_folder(tmp_path: Path) -> Path:
    """A folder holding a copy of the cache the previous release wrote (schema 1)."""
    folder = tmp_path / "cache"
    folder.mkdir()
    shutil.copyfile(FIXTURE, folder / CACHE_FILE)
    return folder


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    opened = Cache.open(tmp_path / "fresh", NOW)
    yield opened
    opened.close()


def assert_v1_facts_intact(opened: Cache) -> None:
    found = opened.get_many([*V1_KEYS, "arxiv:never-stored"])
    assert sorted(found) == sorted(V1_KEYS)
    for key in V1_KEYS:
        assert found[key].observed_at == V1_OBSERVED
    assert found["github:fasterdecoding/medusa"].etag == 'W/"abc123"'
    assert found["arxiv:2401.10774"].etag is None
    paper = ARXIV.decode(found["arxiv:2401.10774"].payload)
    assert paper is not None
    assert paper.title.startswith("Medusa")
    assert ARXIV.decode(found["arxiv:2401.99999"].payload) is None
    repo = GITHUB.decode(found["github:fasterdecoding/medusa"].payload)
    assert repo is not None
    assert repo.full_name == "FasterDecoding/Medusa"
    page = WEB.decode(found["web:https://example.org/post-old"].payload)
    assert isinstance(page, HttpFacts)
    assert page.status_code == 200


# Migration from schema 1


def test_the_fixture_is_a_schema_1_cache() -> None:
    """Guard: the fixture still stands for what users have (facts only, schema 1)."""
    assert user_version(FIXTURE) == 1
    assert tables(FIXTURE) == {"facts"}


def test_a_v1_cache_keeps_its_facts_and_gains_the_history(v1_folder: Path) -> None:
    fixture_bytes = FIXTURE.read_bytes()
    path = v1_folder / CACHE_FILE

    opened = Cache.open(v1_folder, NOW)
    try:
        assert opened.path == path
        assert_v1_facts_intact(opened)
        # The new tables work straight away.
        opened.save([], [Check(KEY, NOW, Status.OK, 200)], {})
        assert opened.checks(KEY) == [Check(KEY, NOW, Status.OK, 200)]
    finally:
        opened.close()

    assert user_version(path) == 2
    assert {"facts", "checks", "link_states"} <= tables(path)
    assert not list(v1_folder.glob("*.corrupt-*")), "a good old cache is not set aside"
    assert FIXTURE.read_bytes() == fixture_bytes


def test_opening_a_migrated_cache_again_changes_nothing(v1_folder: Path) -> None:
    path = v1_folder / CACHE_FILE
    first = Cache.open(v1_folder, NOW)
    state = LinkState(NOW, NOW, Status.OK, last_ok_at=NOW)
    first.save([], [Check(KEY, NOW, Status.OK, 200)], {KEY: state})
    first.close()
    migrated = path.read_bytes()

    again = Cache.open(v1_folder, NOW + timedelta(hours=1))  # within a day: no full check
    try:
        assert_v1_facts_intact(again)
        assert again.checks(KEY) == [Check(KEY, NOW, Status.OK, 200)]
        assert again.get_states([KEY]) == {KEY: state}
    finally:
        again.close()
    assert user_version(path) == 2
    assert path.read_bytes() == migrated


def test_an_interrupted_migration_leaves_the_old_schema(
    v1_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration failing at its last step undoes its first steps: the cache is still a
    schema 1 cache with its facts, and the next open migrates it."""
    path = v1_folder / CACHE_FILE
    with monkeypatch.context() as patched:
        patched.setattr(
            enricher.cache, "_SCHEMA", (*enricher.cache._SCHEMA, "CREATE TABLE broken (")
        )
        with pytest.raises((CacheError, sqlite3.Error)):
            Cache.open(v1_folder, NOW)

    assert user_version(path) == 1
    assert tables(path) == {"facts"}, "no table of the half-done migration is left"
    assert not list(v1_folder.glob("*.corrupt-*")), "a failed migration is no corruption"

    opened = Cache.open(v1_folder, NOW)
    try:
        assert_v1_facts_intact(opened)
    finally:
        opened.close()
    assert user_version(path) == 2
    assert {"facts", "checks", "link_states"} <= tables(path)


# A cache from a newer release


@pytest.fixture
def v3_folder(v1_folder: Path) -> Path:
    """A cache a future enricher (schema 3) wrote."""
    db = sqlite3.connect(v1_folder / CACHE_FILE)
    db.execute("PRAGMA user_version = 3")
    db.execute("CREATE TABLE future (x)")
    db.commit()
    db.close()
    return v1_folder


def test_a_newer_cache_is_refused_and_left_as_it_is(v3_folder: Path) -> None:
    path = v3_folder / CACHE_FILE
    before = path.read_bytes()
    with pytest.raises(CacheTooNew) as raised:
        Cache.open(v3_folder, NOW)
    message = str(raised.value)
    assert str(path) in message
    assert "newer" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in v3_folder.iterdir()) == [CACHE_FILE]


def test_a_newer_cache_stops_the_run_rather_than_running_without_it(v3_folder: Path) -> None:
    """Running without it would restart every link's history: the error goes up."""
    path = v3_folder / CACHE_FILE
    before = path.read_bytes()
    settings = dataclasses.replace(Settings(), cache_dir=v3_folder, use_cache=True)
    errors: list[str] = []
    with pytest.raises(CacheTooNew):
        Cache.open_or_none(settings, NOW, errors)
    assert path.read_bytes() == before


# The history's bounds


def daily_checks(key: str, count: int, last: datetime) -> list[Check]:
    """``count`` checks of ``key``, one a day, oldest first, the last at ``last``."""
    return [
        Check(key, last - timedelta(days=count - 1 - n), Status.OK, 200, None) for n in range(count)
    ]


def test_the_history_keeps_the_newest_100_checks(cache: Cache) -> None:
    assert HISTORY_MAX_CHECKS == 100
    stored = daily_checks(KEY, 150, NOW)
    cache.save([], stored, {})

    kept = cache.checks(KEY)
    assert len(kept) == 100
    assert kept[0] == stored[-1], "newest first"
    assert kept == list(reversed(stored[50:]))

    # A later run's check pushes the oldest kept one out.
    later = Check(KEY, NOW + timedelta(days=1), Status.BROKEN, 404, "HTTP 404")
    cache.save([], [later], {})
    kept = cache.checks(KEY)
    assert len(kept) == 100
    assert kept[0] == later
    assert kept[-1] == stored[51]


def test_the_history_drops_checks_older_than_a_year(cache: Cache) -> None:
    """Even with fewer than 100 checks, one older than 365 days before the newest goes."""
    assert timedelta(days=365) == HISTORY_MAX_AGE
    at_the_limit = Check(KEY, NOW - timedelta(days=365), Status.OK, 200)
    just_older = Check(KEY, NOW - timedelta(days=365, seconds=1), Status.BROKEN, 404)
    much_older = Check(KEY, NOW - timedelta(days=400), Status.OK, 200)
    recent = [Check(KEY, NOW - timedelta(days=d), Status.OK, 200) for d in (200, 30, 0)]
    cache.save([], [much_older, just_older, at_the_limit], {})
    assert len(cache.checks(KEY)) == 3, "no newer check yet: nothing is too old"

    cache.save([], recent, {})
    assert cache.checks(KEY) == [*reversed(recent), at_the_limit]


def test_the_count_bound_of_one_target_leaves_the_others_alone(cache: Cache) -> None:
    others = daily_checks(OTHER, 5, NOW - timedelta(days=100))
    cache.save([], others, {})
    cache.save([], daily_checks(KEY, 150, NOW), {})
    assert cache.checks(OTHER) == list(reversed(others))
    assert len(cache.checks(KEY)) == 100


def test_checks_older_than_a_year_go_for_links_no_longer_checked_too(cache: Cache) -> None:
    """A link dropped from every digest is never checked again: its old checks still age out
    (its state, with the dates that matter, stays)."""
    state = LinkState(NOW - timedelta(days=500), NOW - timedelta(days=496), Status.OK)
    cache.save([], daily_checks(OTHER, 5, NOW - timedelta(days=496)), {OTHER: state})
    cache.save([], daily_checks(KEY, 3, NOW), {})
    assert cache.checks(OTHER) == []
    assert cache.get_states([OTHER]) == {OTHER: state}


# One transaction per run


def test_a_failed_save_writes_none_of_its_facts_checks_or_states(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    opened = Cache.open(folder, NOW)
    before = CachedFact(KEY, NOW - timedelta(days=1), {"status_code": 200}, None)
    opened.put_many([before])

    state = LinkState(NOW, NOW, Status.BROKEN, failing_since=NOW, consecutive_failures=1,
                      failing=True)  # fmt: skip
    bad_states = {KEY: state, None: state}  # a state row without a key cannot be stored
    with pytest.raises(CacheError):
        opened.save(
            [CachedFact(KEY, NOW, {"status_code": 404}), CachedFact(OTHER, NOW, {"repo": None})],
            [Check(KEY, NOW, Status.BROKEN, 404), Check(OTHER, NOW, Status.OK, 200)],
            bad_states,  # type: ignore[arg-type]
        )
    assert opened.get_many([KEY, OTHER]) == {KEY: before}
    assert opened.checks(KEY) == []
    assert opened.checks(OTHER) == []
    assert opened.get_states([KEY]) == {}

    # The next run's save commits only its own writes, none left over from the failed one.
    opened.put_many([CachedFact("arxiv:2401.10774", NOW, {"paper": None})])
    opened.close()
    reopened = Cache.open(folder, NOW)
    try:
        assert set(reopened.get_many([KEY, OTHER, "arxiv:2401.10774"])) == {
            KEY,
            "arxiv:2401.10774",
        }
        assert reopened.get_many([KEY])[KEY] == before
        assert reopened.checks(KEY) == []
        assert reopened.get_states([KEY]) == {}
    finally:
        reopened.close()


# States


@pytest.mark.parametrize(
    "state",
    [
        LinkState(
            first_seen_at=datetime(2026, 11, 1, 9, 0, 0, 123456, tzinfo=timezone.utc),
            last_checked_at=datetime(2026, 12, 4, 22, 15, 30, 7, tzinfo=timezone.utc),
            last_status=Status.BROKEN,
            last_ok_at=None,
            failing_since=datetime(2026, 11, 1, 9, 0, 0, 123456, tzinfo=timezone.utc),
            consecutive_failures=12,
            failing=True,
        ),
        LinkState(
            first_seen_at=datetime(2026, 11, 1, 9, 0, 0, tzinfo=timezone.utc),
            last_checked_at=datetime(2026, 12, 4, 9, 0, 0, tzinfo=timezone.utc),
            last_status=Status.SKIPPED,
            last_ok_at=None,
            failing_since=None,
            consecutive_failures=0,
            failing=True,
        ),
    ],
    ids=["never-worked", "all-dates-none"],
)
def test_a_state_comes_back_as_stored_on_the_next_run(tmp_path: Path, state: LinkState) -> None:
    first = Cache.open(tmp_path, NOW)
    first.save([], [], {KEY: state})
    first.close()
    second = Cache.open(tmp_path, NOW)
    try:
        assert second.get_states([KEY, OTHER]) == {KEY: state}
    finally:
        second.close()


def test_the_whole_file_is_checked_once_a_day(tmp_path: Path) -> None:
    """Every open checks the tables a run reads; the whole file (the history is most of it)
    only when the last full check is a day old, which it records."""

    def last_full_check(folder: Path) -> str:
        db = sqlite3.connect(folder / CACHE_FILE)
        try:
            return str(db.execute("SELECT at FROM upkeep").fetchone()[0])
        finally:
            db.close()

    folder = tmp_path / "cache"
    for moment in (NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=25)):
        Cache.open(folder, moment).close()
        if moment == NOW:
            assert last_full_check(folder).startswith("2026-")
            first = last_full_check(folder)
        elif moment == NOW + timedelta(hours=1):
            assert last_full_check(folder) == first
        else:
            assert last_full_check(folder) > first
