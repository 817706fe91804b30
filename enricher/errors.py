"""One hierarchy for enricher's own failures.

::

    EnricherError
    ├── ConfigError        bad flags, environment or config file (exit 2)
    ├── InputError         a path to check does not exist or is not readable (exit 2)
    ├── CacheError         the cache cannot be opened or rebuilt (exit 3)
    │   └── CacheTooNew    a newer enricher wrote the cache: the run stops (exit 3)
    ├── WriteError         a record could not be written (exit 3)
    ├── LockError          the run lock cannot be used at all (exit 3)
    │   └── LockHeld       another run holds the lock (exit 3, naming it)
    ├── Interrupted        a stop was asked for (a signal); raised inside sleeps to end them
    └── UpstreamError      an API could not answer (error status, no connection), retries done
        └── RateLimited    the API quota is spent for longer than we wait

A link that fails is never an exception: it is a ``Verdict``. These are for failures of the
run itself, and for the API edges to report to the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class _Describable(Protocol):
    def describe(self) -> str: ...


class EnricherError(Exception):
    """Base of every error enricher raises on purpose."""


class ConfigError(EnricherError):
    """A flag, environment variable or config file value is wrong; the message says which."""


class InputError(EnricherError):
    """A path given to check does not exist or cannot be read."""


class CacheError(EnricherError):
    """The cache file cannot be opened, even after moving a corrupt one aside."""


class CacheTooNew(CacheError):
    """The cache was written by a newer enricher: refused (exit 3), never changed."""


class WriteError(EnricherError):
    """A record file could not be written; the original digest is untouched."""


class LockError(EnricherError):
    """The run lock file cannot be opened or locked (a read-only folder, no lock support)."""


class LockHeld(LockError):
    """Another run holds the lock: ``holder`` says who, when the lock file says so."""

    def __init__(self, path: Path, holder: _Describable | None, waited_s: float) -> None:
        self.path = path
        self.holder = holder
        self.waited_s = waited_s
        who = holder.describe() if holder is not None else "another process (not yet named)"
        waited = f" after waiting {waited_s:g} s" if waited_s else ""
        super().__init__(
            f"{path}: another enricher run holds the lock{waited}: {who}; "
            "use --lock-timeout SECONDS to wait for it"
        )


class Interrupted(EnricherError):
    """A stop was requested: raised out of a wait so the run can end at its next safe point."""


class UpstreamError(EnricherError):
    """An API (arXiv, GitHub) gave no usable answer, after whatever retries were due.

    ``status`` is the HTTP status, or None when nothing answered (DNS, connection, timeout).
    """

    def __init__(self, service: str, url: str, status: int | None, attempts: int, message: str):
        super().__init__(message)
        self.service = service
        self.url = url
        self.status = status
        self.attempts = attempts


class RateLimited(UpstreamError):
    """The API's quota is spent until a reset too far off to wait for."""
