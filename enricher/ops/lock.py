"""The run lock: one run at a time works on a cache folder and the records beside the digests.

An OS file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on ``<cache>/enricher.lock``.
The kernel drops it when its holder dies, however it dies, so a lock can never outlive a
killed process; the file itself stays, holding the holder's pid and start time while it runs.
A clean release empties the file. Finding the file non-empty when the lock is free therefore
means the last holder was killed: that stale lock is taken over, and said so.

The file is never deleted: deleting a lock file while another process waits on it would let
two processes hold "the" lock at once (each on its own inode).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from ..errors import LockError, LockHeld
from ..records import iso

LOCK_NAME = "enricher.lock"
POLL_S = 0.2
"""How often a waiting run tries the lock again."""
NAMING_WAIT_S = 1.0
"""How long a refused run waits for a holder that has just taken the lock to write its name."""

try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # Windows: lock one byte far past the holder's text, which stays readable
    import msvcrt

    _FAR = 1 << 30

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _FAR, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _FAR, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock: enough for a person to find the process."""

    pid: int
    started_at: str
    trigger: str
    host: str = ""

    def describe(self) -> str:
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"pid {self.pid}{where} ({self.trigger} run, started {self.started_at})"

    def to_json(self) -> str:
        return json.dumps(
            {"pid": self.pid, "started_at": self.started_at, "trigger": self.trigger,
             "host": self.host}, sort_keys=True,
        ) + "\n"  # fmt: skip

    @classmethod
    def from_text(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data["started_at"]), str(data["trigger"]),
                       str(data.get("host", "")))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            return None


_FREED = Holder(0, "", "released")
"""Marks a lock that was released while a refused run was finding out who held it."""


def holder_for(trigger: str, started_at: datetime) -> Holder:
    """This process, about to start a run."""
    return Holder(os.getpid(), iso(started_at) or "", trigger, socket.gethostname())


class RunLock:
    """``with RunLock(cache_dir).acquire(holder, timeout_s):`` around a run."""

    def __init__(
        self,
        folder: Path,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = folder / LOCK_NAME
        self._sleep = sleep
        self._monotonic = monotonic
        self._fd: int | None = None
        self.took_over: Holder | None = None
        """The holder of a stale lock this one replaced, if any."""

    def acquire(self, holder: Holder, timeout_s: float = 0.0) -> RunLock:
        """Take the lock, waiting up to ``timeout_s``; ``LockHeld`` names the holder if not."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockError(
                f"{self.path}: cannot open the run lock: {exc.strerror or exc}"
            ) from exc
        deadline = self._monotonic() + timeout_s
        try:
            while not _try_lock(fd):
                if self._monotonic() >= deadline:
                    current = self._named_holder(fd)
                    if current is _FREED:
                        break  # its holder finished while we looked: it is ours now
                    raise LockHeld(self.path, current, timeout_s)
                self._sleep(min(POLL_S, max(0.0, deadline - self._monotonic())))
        except LockHeld:
            os.close(fd)
            raise
        except OSError as exc:  # e.g. a filesystem without locks (ENOLCK)
            os.close(fd)
            raise LockError(f"{self.path}: cannot lock: {exc.strerror or exc}") from exc
        self._fd = fd
        self.took_over = _read_holder(fd)
        _write(fd, holder.to_json())
        return self

    def _named_holder(self, fd: int) -> Holder | None:
        """Who holds the lock, or ``_FREED`` if it was released (and taken by us) meanwhile.

        A holder writes its name just after taking the lock, so for a moment the file may be
        empty or still name a killed predecessor; and a short run may be over before we read.
        """
        give_up = self._monotonic() + NAMING_WAIT_S
        while True:
            holder = _read_holder(fd)
            live = holder is not None and (
                holder.host not in ("", socket.gethostname()) or process_alive(holder.pid)
            )
            if live or self._monotonic() >= give_up:
                return holder
            if _try_lock(fd):
                return _FREED
            self._sleep(0.02)

    def release(self) -> None:
        """Empty the file (a clean exit leaves no trace of a holder) and unlock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _write(fd, "")
            _unlock(fd)
        except OSError:
            pass  # closing the descriptor below drops the lock anyway
        finally:
            os.close(fd)

    def __enter__(self) -> RunLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def read_holder(folder: Path) -> Holder | None:
    """Who the lock file names, without touching the lock (for ``enricher status``)."""
    try:
        text = (folder / LOCK_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return Holder.from_text(text) if text.strip() else None


def _read_holder(fd: int) -> Holder | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace")
    except OSError:
        return None
    return Holder.from_text(text) if text.strip() else None


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8"))


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine (it may not be ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else (or we cannot tell: assume alive)
    return True
