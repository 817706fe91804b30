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

import contextlib
import json
import logging
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
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
    # the cache is no check), bounded per target (enricher.history). Checks name their target
    # by a small integer and their time in microseconds: most of the history's bytes would
    # otherwise be the same key and ISO text again in every row and its index.
    """CREATE TABLE IF NOT EXISTS targets (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
)""",
    """CREATE TABLE IF NOT EXISTS checks (
    target      INTEGER NOT NULL,   -- targets.id
    checked_at  INTEGER NOT NULL,   -- microseconds since 1970-01-01T00:00:00Z
    status      TEXT NOT NULL,
    http_status INTEGER,
    reason      TEXT,
    PRIMARY KEY (target, checked_at)
) WITHOUT ROWID""",
    # The last fact with something to show (a paper, a repository) of a target whose newer
    # fact has nothing (no such paper any more): written only on that change, so small.
    """CREATE TABLE IF NOT EXISTS last_known (
    key         TEXT PRIMARY KEY,
    observed_at TEXT NOT NULL,
    etag        TEXT,
    payload     TEXT NOT NULL
) WITHOUT ROWID""",
    # When the whole file was last checked (``_verify``).
    "CREATE TABLE IF NOT EXISTS upkeep (name TEXT PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID",
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

_TARGET = "(SELECT id FROM targets WHERE key = ?)"

FULL_CHECK_EVERY = timedelta(days=1)
"""How often opening the cache checks every page of it (the rest of the time, all but the
history's: the history is most of the file and only ever appended to and trimmed)."""

_SCAN_FROM = 1000
"""Asked for this many keys or more (and half a table's rows), the cache reads the table
through instead of key by key."""

_PRUNE = f"""
DELETE FROM checks WHERE target = (SELECT id FROM targets WHERE key = ?1) AND checked_at <= (
    SELECT checked_at FROM checks WHERE target = (SELECT id FROM targets WHERE key = ?1)
    ORDER BY checked_at DESC LIMIT 1 OFFSET {HISTORY_MAX_CHECKS})
"""
"""A checked target's history beyond its newest ``HISTORY_MAX_CHECKS`` checks."""

_RECENT = """
SELECT key, checked_at, status, http_status, reason FROM (
    SELECT key, checked_at, status, http_status, reason,
           row_number() OVER (PARTITION BY target ORDER BY checked_at DESC) AS n
    FROM targets JOIN checks ON checks.target = targets.id WHERE key IN ({{}})
) WHERE n <= {limit} ORDER BY key, checked_at
"""
"""The newest checks of some targets (at most ``limit`` each), oldest first within one."""


class Cache:
    """SQLite-backed fact store. ``Cache.open`` never fails on a corrupt file: it moves it aside."""

    def __init__(
        self, connection: sqlite3.Connection | None, path: Path | None, version: int = 0
    ) -> None:
        self._db = connection
        self.path = path
        """The database file, or None for a cache that stores nothing (``--no-cache``)."""
        self.schema_version = version or SCHEMA_VERSION
        """The file's schema: older only when opened read-only (``open_read_only``)."""

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
            return cls(_connect(path, busy_timeout_s, now), path)
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
                return cls(_connect(path, busy_timeout_s, now), path)
            except (OSError, sqlite3.Error) as again:
                raise CacheError(f"{path}: cannot rebuild the cache: {again}") from again

    @classmethod
    def open_read_only(cls, cache_dir: Path) -> Cache:
        """The cache for a command that only reads it (``enricher history``): never created,
        migrated or moved aside, so an older enricher sharing the folder can still use it
        (``open_read_only`` writes nothing but a rollback of a killed run's journal).
        ``CacheError`` when it cannot be read, ``CacheTooNew`` for a newer schema."""
        path = cache_dir / CACHE_FILE
        try:
            # Read-write but never created (mode=rw): reading may have to roll back the journal
            # a killed run left, which is repair, not change.
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=10)
        except sqlite3.Error as exc:
            raise CacheError(f"{path}: cannot read the cache: {exc}") from exc
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            db.close()
            raise CacheError(f"{path}: cannot read the cache: {exc}") from exc
        if version > SCHEMA_VERSION:
            db.close()
            raise _too_new(path, version)
        return cls(db, path, version)

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
        return self._facts_from(
            "SELECT key, observed_at, etag, payload FROM facts WHERE key IN ({})", keys
        )

    def _facts_from(self, query: str, keys: list[str]) -> dict[str, CachedFact]:
        found: dict[str, CachedFact] = {}
        for key, observed_at, etag, payload in self._select_in(query, keys):
            moment = _moment(observed_at)
            try:
                data = json.loads(payload)
            except ValueError:
                continue
            if moment is not None:
                found[key] = CachedFact(key, moment, data, etag)
        return found

    def get_last_known(self, keys: list[str]) -> dict[str, CachedFact]:
        """The facts kept aside for those keys (see the ``last_known`` table)."""
        return self._facts_from(
            "SELECT key, observed_at, etag, payload FROM last_known WHERE key IN ({})", keys
        )

    def get_states(self, keys: list[str]) -> dict[str, LinkState]:
        """The history state of those keys that have one (unreadable rows count as missing)."""
        states: dict[str, LinkState] = {}
        parse = datetime.fromisoformat  # every run reads one row per target: kept lean
        for key, first, last, status, ok, since, failures, failing in self._select_in(
            "SELECT key, first_seen_at, last_checked_at, last_status, last_ok_at, failing_since,"
            " consecutive_failures, failing FROM link_states WHERE key IN ({})",
            keys,
        ):
            try:
                states[key] = LinkState(
                    parse(first), parse(last), _STATUS_BY_VALUE[status],
                    parse(ok) if ok else None, parse(since) if since else None,
                    int(failures), bool(failing),
                )  # fmt: skip
            except (KeyError, TypeError, ValueError):
                continue  # a damaged row: the target starts its history again
        return states

    def checks(self, key: str) -> list[Check]:
        """Every kept check of one target, newest first."""
        if self._db is None:
            return []
        try:
            rows = self._db.execute(
                "SELECT checked_at, status, http_status, reason FROM checks"
                f" WHERE target = {_TARGET} ORDER BY checked_at DESC",
                (key,),
            ).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path}: cannot read the cache: {exc}") from exc
        return [check for row in rows if (check := _check(key, *row)) is not None]

    def recent_checks(self, keys: list[str], limit: int) -> dict[str, list[Check]]:
        """The last ``limit`` kept checks of each of ``keys`` that has any, oldest first."""
        found: dict[str, list[Check]] = {}
        if limit <= 0:
            return found
        for key, *row in self._select_in(_RECENT.format(limit=int(limit)), keys):
            check = _check(key, *row)
            if check is not None:
                found.setdefault(key, []).append(check)
        return found

    def put_many(self, facts: list[CachedFact]) -> None:
        """Store observations in one transaction (all or nothing)."""
        self.save(facts, [], {})

    def save(
        self,
        facts: list[CachedFact],
        checks: list[Check],
        states: dict[str, LinkState],
        kept: Sequence[CachedFact] = (),
    ) -> None:
        """A run's observations, checks, the states they led to and the facts to keep aside
        (``last_known``), in one transaction (all or nothing); each checked target's history
        is then trimmed to its bounds."""
        if self._db is None or not (facts or checks or states or kept):
            return
        fact_rows, kept_rows = _fact_rows(facts), _fact_rows(kept)
        check_rows = [
            (c.key, _micros(c.checked_at), c.status.value, c.http_status, c.reason) for c in checks
        ]
        state_rows = [
            (key, _text(s.first_seen_at), _text(s.last_checked_at), s.last_status.value,
             _text(s.last_ok_at), _text(s.failing_since), s.consecutive_failures, int(s.failing))
            for key, s in states.items()
        ]  # fmt: skip
        checked = list(dict.fromkeys(c.key for c in checks))
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO facts (key, observed_at, etag, payload) VALUES (?,?,?,?)",
                    fact_rows,
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO last_known VALUES (?,?,?,?)", kept_rows
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO targets (key) VALUES (?)",
                    [(key,) for key in dict.fromkeys([*(c.key for c in checks), *states])],
                )
                self._db.executemany(
                    f"INSERT OR REPLACE INTO checks VALUES ({_TARGET},?,?,?,?)", check_rows
                )
                self._db.executemany(
                    "INSERT OR REPLACE INTO link_states VALUES (?,?,?,?,?,?,?,?)", state_rows
                )
                if checks:
                    self._db.executemany(_PRUNE, [(key,) for key in checked])
                    # Every target's checks older than a year, cited any more or not.
                    cutoff = _micros(max(c.checked_at for c in checks) - HISTORY_MAX_AGE)
                    self._db.execute("DELETE FROM checks WHERE checked_at < ?", (cutoff,))
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path}: cannot write the cache: {exc}") from exc

    def _select_in(self, query: str, keys: list[str]) -> list[tuple[Any, ...]]:
        """``query`` (with one ``key IN ({})``) over ``keys``, in chunks under SQLite's limit
        on host parameters; past ``_SCAN_FROM`` keys one scan of the table, filtered here, is
        cheaper than that many lookups when they are at least half of its rows (a warm run asks
        for every target it has; a table full of links no digest cites any more is not
        scanned)."""
        if self._db is None or not keys:
            return []
        rows: list[tuple[Any, ...]] = []
        try:
            scan = query.replace(" WHERE key IN ({})", "")
            if len(keys) >= _SCAN_FROM and 2 * len(keys) >= self._rows(scan):
                wanted = set(keys)
                return [row for row in self._db.execute(scan) if row[0] in wanted]
            chunk = 500
            for start in range(0, len(keys), chunk):
                part = keys[start : start + chunk]
                marks = ",".join("?" * len(part))
                rows += self._db.execute(query.format(marks), part).fetchall()
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path}: cannot read the cache: {exc}") from exc
        return rows

    def _rows(self, scan: str) -> int:
        """How many rows the table of ``scan`` (``SELECT ... FROM table``) holds."""
        assert self._db is not None
        table = scan.rsplit(" FROM ", 1)[1].split()[0]
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _connect(path: Path, busy_timeout_s: float, now: datetime) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=busy_timeout_s)
    try:
        checked_in_full = _verify(db, now)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _too_new(path, version)  # not ours to change or throw away
        if version < SCHEMA_VERSION:
            _migrate(db, version)
        if checked_in_full:
            with contextlib.suppress(sqlite3.OperationalError), db:  # best effort: read-only
                db.execute("INSERT OR REPLACE INTO upkeep VALUES ('quick_check', ?)",
                           (_text(now),))  # fmt: skip
    except (sqlite3.DatabaseError, CacheTooNew):
        db.close()
        raise
    return db


def _verify(db: sqlite3.Connection, now: datetime) -> bool:
    """``quick_check`` turns a half-corrupt file into an error now (the file is moved aside)
    rather than a crash mid-run; it reads every page it checks. The tables every run reads are
    checked every time; the whole file, the history included (most of its pages), when the
    last full check is ``FULL_CHECK_EVERY`` old. Returns whether the check was full."""
    last = None
    with contextlib.suppress(sqlite3.OperationalError):  # no upkeep table yet: check in full
        row = db.execute("SELECT at FROM upkeep WHERE name = 'quick_check'").fetchone()
        last = _moment(row[0]) if row else None
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    checks = [f"PRAGMA quick_check({name})" for name in tables if name != "checks"]
    full = last is None or not timedelta(0) <= now - last < FULL_CHECK_EVERY
    try:
        results = [db.execute(check).fetchone()[0] for check in checks] if not full else []
    except sqlite3.OperationalError:  # an SQLite before 3.33 checks whole files only
        full = True
    if full:
        results = [db.execute("PRAGMA quick_check").fetchone()[0]]
    failed = [result for result in results if result != "ok"]
    if failed:
        raise sqlite3.DatabaseError(f"integrity check failed: {failed[0]}")
    return full


def _fact_rows(facts: Sequence[CachedFact]) -> list[tuple[str, str, str | None, str]]:
    return [
        (f.key, f.observed_at.astimezone(timezone.utc).isoformat(), f.etag,
         json.dumps(f.payload, ensure_ascii=False, sort_keys=True))
        for f in facts
    ]  # fmt: skip


def _too_new(path: Path, version: int) -> CacheTooNew:
    return CacheTooNew(
        f"{path}: the cache was written by a newer enricher (cache schema {version}; this "
        f"version reads up to {SCHEMA_VERSION}); upgrade enricher, or use another --cache-dir"
    )


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


_STATUS_BY_VALUE = {status.value: status for status in Status}
_STATUSES = frozenset(_STATUS_BY_VALUE)


def _check(key: str, at: Any, status: Any, http_status: Any, reason: Any) -> Check | None:
    """A ``checks`` row as a ``Check``; None for a damaged one (skipped, never fatal)."""
    if not isinstance(at, int) or status not in _STATUSES:
        return None
    return Check(key, _from_micros(at), _STATUS_BY_VALUE[status], http_status, reason)


def _text(moment: datetime | None) -> str | None:
    """A state's time as stored: UTC ISO 8601, always with microseconds."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """A check's time as stored: exact integer microseconds since the epoch."""
    return (moment - _EPOCH) // _MICROSECOND


def _from_micros(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
