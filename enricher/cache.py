"""The on-disk cache: observed facts with the time they were observed, in SQLite.

Freshness is decided by the caller (TTL per kind, under the current settings); this module
only stores and returns facts. Every write happens in one transaction.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from .config import Settings
from .errors import CacheError
from .models import CachedFact

log = logging.getLogger(__name__)

CACHE_FILE = "enricher.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS facts (
    key         TEXT PRIMARY KEY,   -- e.g. 'arxiv:2401.10774', 'github:owner/repo', 'web:URL'
    observed_at TEXT NOT NULL,      -- ISO 8601 UTC: when the fact was seen on the network
    etag        TEXT,               -- for conditional revalidation (GitHub)
    payload     TEXT NOT NULL       -- JSON facts (see enricher.facts), never a verdict
)
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
        except CacheError as exc:
            log.warning("%s; running without the cache", exc)
            errors.append(str(exc))
            return cls.disabled()

    def get_many(self, keys: list[str]) -> dict[str, CachedFact]:
        """Stored facts for those keys that have one (undecodable rows count as missing)."""
        if self._db is None or not keys:
            return {}
        found: dict[str, CachedFact] = {}
        chunk = 500  # stay under SQLite's host-parameter limit
        for start in range(0, len(keys), chunk):
            part = keys[start : start + chunk]
            marks = ",".join("?" * len(part))
            try:
                rows = self._db.execute(
                    f"SELECT key, observed_at, etag, payload FROM facts WHERE key IN ({marks})",
                    part,
                ).fetchall()
            except sqlite3.Error as exc:
                raise CacheError(f"{self.path}: cannot read the cache: {exc}") from exc
            for key, observed_at, etag, payload in rows:
                try:
                    moment = datetime.fromisoformat(observed_at)
                    data = json.loads(payload)
                except ValueError:
                    continue
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=timezone.utc)
                found[key] = CachedFact(key, moment, data, etag)
        return found

    def put_many(self, facts: list[CachedFact]) -> None:
        """Store observations in one transaction (all or nothing)."""
        if self._db is None or not facts:
            return
        rows = [
            (f.key, f.observed_at.astimezone(timezone.utc).isoformat(), f.etag,
             json.dumps(f.payload, ensure_ascii=False, sort_keys=True))
            for f in facts
        ]  # fmt: skip
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO facts (key, observed_at, etag, payload) VALUES (?,?,?,?)",
                    rows,
                )
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path}: cannot write the cache: {exc}") from exc

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
        if version not in (0, SCHEMA_VERSION):
            # Written by another enricher version: not ours to throw away.
            raise sqlite3.OperationalError(
                f"cache schema version {version} is not {SCHEMA_VERSION} (another enricher "
                "version wrote it); use another --cache-dir or delete it"
            )
        with db:
            db.execute(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
