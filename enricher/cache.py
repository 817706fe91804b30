"""The on-disk cache: observed facts with the time they were observed, and each target's
history of checks, in SQLite.

Freshness is decided by the caller (TTL per kind, under the current settings), and the
history's rules live in ``enricher.history``; this module only stores and returns. A run's
facts, checks and states are written in one transaction: a kill leaves all or none of them.

Schema versions (``PRAGMA user_version``): 1 facts only; 2 adds ``checks`` and
``link_states``. An older cache is migrated in place on first use, its facts kept; a newer
one is refused (``CacheTooNew``), never changed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import CacheError, CacheTooNew
from .history import HISTORY_MAX_AGE, HISTORY_MAX_CHECKS
from .models import CachedFact, Check, LinkState, Status

log = logging.getLogger(__name__)

CACHE_FILE = "enricher.sqlite3"
SCHEMA_VERSION = 2

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS facts (
    key         TEXT PRIMARY KEY,   -- e.g. 'arxiv:2401.10774', 'github:owner/repo', 'web:URL'
    observed_at TEXT NOT NULL,      -- ISO 8601 UTC: when the fact was seen on the network
    etag        TEXT,               -- for conditional revalidation (GitHub)
    payload     TEXT NOT NULL       -- JSON facts (each authority's codec), never a verdict
)""",
    # Schema 2: the history. One row per check of a target on the network (a verdict from
    # the cache is no check), bounded per target (enricher.history).
    """CREATE TABLE IF NOT EXISTS checks (
    key         TEXT NOT NULL,
    checked_at  TEXT NOT NULL,      -- ISO 8601 UTC with microseconds: sorts as text
    status      TEXT NOT NULL,
    http_status INTEGER,
    reason      TEXT
)""",
    "CREATE INDEX IF NOT EXISTS checks_by_key ON checks (key, checked_at)",
    """CREATE TABLE IF NOT EXISTS link_states (
    key                  TEXT PRIMARY KEY,
    first_seen_at        TEXT NOT NULL,
    last_checked_at      TEXT NOT NULL,
    last_status          TEXT NOT NULL,
    last_ok_at           TEXT,
    failing_since        TEXT,
    consecutive_failures INTEGER NOT NULL,
    failing              INTEGER NOT NULL   -- standing under --fail-on (what changes compare)
) WITHOUT ROWID""",
)

_PRUNE = f"""
DELETE FROM checks WHERE key = ?1 AND (checked_at < ?2 OR checked_at < (
    SELECT checked_at FROM checks WHERE key = ?1
    ORDER BY checked_at DESC LIMIT 1 OFFSET {HISTORY_MAX_CHECKS - 1}))
"""


class Cache:
    """SQLite-backed fact store. ``Cache.open`` never fails on a corrupt file: it moves it aside."""

    def __init__(self, connection: sqlite3.Connection | None, path: Path | None) -> None:
        self._db = connection
        self.path = path
        """The database file, or None for a cache that stores nothing (``--no-cache``)."""

    @classmethod
    def disabled(cls) -> Cache:
        """A cache that remembers nothing: every lookup misses, every store is dropped."""
        return cls(None, None)

    @classmethod
    def open(cls, cache_dir: Path, now: datetime, busy_timeout_s: float = 10.0) -> Cache:
        """Open (or create) the cache in ``cache_dir``.

        An unreadable or corrupt file is renamed ``enricher.sqlite3.corrupt-<time>`` with a
        warning and a fresh cache is built: losing a cache costs requests, never a run.
        """
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"{cache_dir}: cannot create cache folder: {exc.strerror}") from exc
        path = cache_dir / CACHE_FILE
        try:
            return cls(_connect(path, busy_timeout_s), path)
        except sqlite3.OperationalError as exc:
            # Locked, read-only, out of disk: the file may be perfectly good. Never move a
            # live cache aside; report it instead.
            raise CacheError(f"{path}: cannot open the cache: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{CACHE_FILE}.corrupt-{now:%Y%m%dT%H%M%S}")
            log.warning(
                "cache %s is unreadable (%s); moved aside to %s, starting cold",
                path,
                exc,
                aside.name,
            )
            try:
                path.replace(aside)
                for suffix in ("-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                return cls(_connect(path, busy_timeout_s), path)
            except (OSError, sqlite3.Error) as again:
                raise CacheError(f"{path}: cannot rebuild the cache: {again}") from again

    @classmethod
    def open_or_none(cls, settings: Settings, now: datetime, errors: list[str]) -> Cache:
        """The cache, or one that stores nothing when ``--no-cache`` or when it cannot be
        opened: the run goes on without it (and exits 3, the error noted in ``errors``)."""
        if not settings.use_cache:
            return cls.disabled()
        try:
            return cls.open(settings.cache_dir, now)
        except CacheTooNew:
            raise  # a run without it would restart every link's history: stop instead
        except CacheError as exc:
            log.warning("%s; running without the cache", exc)
            errors.append(str(exc))
            return cls.disabled()

    def get_many(self, keys: list[str]) -> dict[str, CachedFact]:
        """Stored facts for those keys that have one (undecodable rows count as missing)."""
        found: dict[str, CachedFact] = {}
        for key, observed_at, etag, payload in self._select_in(
            "SELECT key, observed_at, etag, payload FROM facts WHERE key IN ({})", keys
        ):
            moment = _moment(observed_at)
            try:
                data = json.loads(payload)
            except ValueError:
                continue
            if moment is not None:
                found[key] = CachedFact(key, moment, data, etag)
        return found

    def get_states(self, keys: list[str]) -> dict[str, LinkState]:
        """The history state of those keys that have one (unreadable rows count as missing)."""
        states: dict[str, LinkState] = {}
        for row in self._select_in(
            "SELECT key, first_seen_at, last_checked_at, last_status, last_ok_at, failing_since,"
            " consecutive_failures, failing FROM link_states WHERE key IN ({})",
            keys,
        ):
            state = _state(row[1:])
            if state is not None:
                states[row[0]] = state
        return states

    def checks(self, key: str) -> list[Check]:
        """Every kept check of one target, newest first."""
        rows = self._select_in(
            "SELECT key, checked_at, status, http_status, reason FROM checks WHERE key IN ({})"
            " ORDER BY checked_at DESC",
            [key],
        )
        found = []
        for key_, checked_at, status, http_status, reason in rows:
            moment = _moment(checked_at)
            if moment is not None and status in _STATUSES:
                found.append(Check(key_, moment, Status(status), http_status, reason))
        return found

    def put_many(self, facts: list[CachedFact]) -> None:
        """Store observations in one transaction (all or nothing)."""
        self.save(facts, [], {})

    def save(
        self, facts: list[CachedFact], checks: list[Check], states: dict[str, LinkState]
    ) -> None:
        """A run's observations, checks and the states they led to, in one transaction (all
        or nothing); each checked target's history is then trimmed to its bounds."""
        if self._db is None or not (facts or checks or states):
            return
        fact_rows = [
            (f.key, f.observed_at.astimezone(timezone.utc).isoformat(), f.etag,
             json.dumps(f.payload, ensure_ascii=False, sort_keys=True))
            for f in facts
        ]  # fmt: skip
        check_rows = [
            (c.key, _text(c.checked_at), c.status.value, c.http_status, c.reason) for c in checks
        ]
        state_rows = [
            (key, _text(s.first_seen_at), _text(s.last_checked_at), s.last_status.value,
             _text(s.last_ok_at), _text(s.failing_since), s.consecutive_failures, int(s.failing))
            for key, s in states.items()
        ]  # fmt: skip
        checked = sorted({c.key for c in checks})
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO facts (key, observed_at, etag, payload) VALUES (?,?,?,?)",
                    fact_rows,
                )
                self._db.executemany("INSERT INTO checks VALUES (?,?,?,?,?)", check_rows)
                self._db.executemany(
                    "INSERT OR REPLACE INTO link_states VALUES (?,?,?,?,?,?,?,?)", state_rows
                )
                if checks:
                    cutoff = _text(max(c.checked_at for c in checks) - HISTORY_MAX_AGE)
                    self._db.executemany(_PRUNE, [(key, cutoff) for key in checked])
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path}: cannot write the cache: {exc}") from exc

    def _select_in(self, query: str, keys: list[str]) -> list[tuple[Any, ...]]:
        """``query`` (with one ``IN ({})``) over ``keys``, in chunks under SQLite's limit on
        host parameters."""
        if self._db is None or not keys:
            return []
        rows: list[tuple[Any, ...]] = []
        chunk = 500
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            try:
                rows += self._db.execute(query.format(",".join("?" * len(part))), part).fetchall()
            except sqlite3.Error as exc:
                raise CacheError(f"{self.path}: cannot read the cache: {exc}") from exc
        return rows

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=busy_timeout_s)
    try:
        # quick_check reads every page: it turns a half-corrupt file into an error now rather
        # than a crash mid-run.
        (result,) = db.execute("PRAGMA quick_check").fetchone()
        if result != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {result}")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            # Written by a newer enricher: not ours to change or throw away.
            raise CacheTooNew(
                f"{path}: the cache was written by a newer enricher (cache schema {version}; "
                f"this version reads up to {SCHEMA_VERSION}); upgrade enricher, or use another "
                "--cache-dir"
            )
        if version < SCHEMA_VERSION:
            _migrate(db, version)
    except (sqlite3.DatabaseError, CacheTooNew):
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring a cache from schema ``version`` (0: new) to ``SCHEMA_VERSION`` in one transaction:
    a kill midway leaves the old schema, to be migrated next time. Facts are kept as they are."""
    db.execute("BEGIN IMMEDIATE")  # DDL too: sqlite3 would otherwise autocommit each statement
    try:
        for statement in _SCHEMA:
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.rollback()
        raise
    db.commit()
    if version:
        log.info("cache migrated from schema %d to %d (facts kept)", version, SCHEMA_VERSION)


_STATUSES = frozenset(status.value for status in Status)


def _text(moment: datetime | None) -> str | None:
    """A time as the history stores it: UTC, always with microseconds, so text order is time
    order."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _state(row: tuple[Any, ...]) -> LinkState | None:
    first_seen, last_checked, status, last_ok, failing_since, failures, failing = row
    first, last = _moment(first_seen), _moment(last_checked)
    if first is None or last is None or status not in _STATUSES:
        return None
    return LinkState(
        first_seen_at=first, last_checked_at=last, last_status=Status(status),
        last_ok_at=_moment(last_ok), failing_since=_moment(failing_since),
        consecutive_failures=int(failures), failing=bool(failing),
    )  # fmt: skip
