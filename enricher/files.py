"""The filesystem edge: finding digests, reading them, writing records atomically."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Settings
from .digest import binary_problem, decode_digest, limit_links, oversize_message
from .errors import EnricherError, InputError, WriteError
from .formats import ReadOptions, parse_any
from .models import LinkEntry, Problem
from .records import RECORD_SUFFIX

log = logging.getLogger(__name__)

STALE_TEMP_AGE_S = 60.0
"""A record's temp file older than this was left by a run killed between creating and renaming
it (a live write takes milliseconds); a younger one may be another run's write in progress."""
_RECORD_TEMP = re.compile(r"^\..+" + re.escape(RECORD_SUFFIX) + r"\.[a-z0-9_]{8}\.tmp$")
"""``write_atomic``'s temp file for a record: ``.<record>.<mkstemp's 8 characters>.tmp``."""
_STATUS_TEMP = re.compile(r"^\.status\.json\.[a-z0-9_]{8}\.tmp$")


def discover_digests(paths: list[str], patterns: str | Sequence[str]) -> list[Path]:
    """Digest files named by the user: files as given, folders as what any of ``patterns``
    matches (``"*.md"``; a bare string is one pattern).

    Records (``*.enriched.json``) are never taken as digests, whatever the pattern. Each file
    appears once, in a stable (sorted) order within a folder. Folders that match the pattern
    are passed over; anything else that matches (a broken symlink, a symlink loop, a FIFO) is
    kept, so that reading it reports why it is not a digest instead of it vanishing silently.
    Symlink loops end nowhere: ``**`` does not follow symlinked folders.
    """
    if isinstance(patterns, str):
        patterns = (patterns,)
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            matched = {p for pattern in patterns for p in path.glob(pattern)}
            candidates = sorted(p for p in matched if not p.is_dir())
        elif path.is_file():
            candidates = [path]
        elif path.is_symlink():
            raise InputError(f"{raw}: {_link_trouble(path)}")
        elif path.exists():
            raise InputError(f"{raw}: not a regular file or folder")
        else:
            raise InputError(f"{raw}: no such file or folder")
        for candidate in candidates:
            if candidate.name.endswith(RECORD_SUFFIX) or is_record_temp(candidate.name):
                continue
            try:
                resolved = candidate.resolve()
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
                resolved = candidate.absolute()
            if resolved not in seen:
                seen.add(resolved)
                found.append(candidate)
    return found


def _link_trouble(path: Path) -> str:
    """Why a symlink leads nowhere: a loop or a missing target."""
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return f"broken symbolic link (to {os.readlink(path)}, which does not exist)"
    return "symbolic link to something that is not a regular file"


def read_bytes(path: Path, limit: int) -> tuple[bytes, int]:
    """A digest's raw bytes (hashed as-is into the record; decoded by ``digest``), at most
    ``limit + 1`` of them, and the file's size.

    More than ``limit`` bytes back means the file is over the limit: the caller reports the
    size instead of checking it, and memory stays bounded whatever the file holds. Only a
    regular file is read: a FIFO or a device named like a digest would block or never end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if path.is_symlink() and exc.errno in (errno.ENOENT, errno.ELOOP):
            raise InputError(f"{path}: cannot read: {_link_trouble(path)}") from exc
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{path}: cannot read: not a regular file")
            # Sized by the file, not the limit: a 1 KB digest never costs a 10 MB buffer.
            data = handle.read(min(limit, info.st_size) + 1)
            if info.st_size < len(data) <= limit:  # it grew since fstat: read up to the limit
                data += handle.read(limit + 1 - len(data))
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return data, max(info.st_size, len(data))


def read_text_if_exists(path: Path) -> str | None:
    """An existing record's text, or None when there is none (or it is unreadable)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` is always either the old file or the new one.

    A temp file in the same folder (same filesystem, so the rename is atomic), fsync, then
    ``os.replace``; a crash at any moment leaves at worst a stray temp file, never a torn record.
    """
    # A file name that is not UTF-8 (kept by Python as surrogates) is written escaped, never
    # allowed to crash the write after all the work is done.
    data = text.encode("utf-8", "backslashreplace")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    _fsync_dir(path.parent)


def is_record_temp(name: str) -> bool:
    """Whether ``name`` is a record's temp file (never a digest, even for ``--glob '*'``)."""
    return _RECORD_TEMP.match(name) is not None


def is_status_temp(name: str) -> bool:
    """Whether ``name`` is ``status.json``'s temp file, left in the cache folder by a kill."""
    return _STATUS_TEMP.match(name) is not None


def remove_stale_temps(
    folders: Iterable[Path],
    now_s: float,
    older_than_s: float = STALE_TEMP_AGE_S,
    is_temp: Callable[[str], bool] = is_record_temp,
) -> list[Path]:
    """Delete record temp files that a killed run left in ``folders``; the ones removed.

    Only files named like ``write_atomic``'s temp files and last modified ``older_than_s``
    before ``now_s`` (epoch seconds); anything unreadable or already gone is passed over.
    """
    removed: list[Path] = []
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if not is_temp(name):
                continue
            path = folder / name
            try:
                info = path.lstat()
                if stat.S_ISREG(info.st_mode) and now_s - info.st_mtime > older_than_s:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue
    return removed


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_report(path: Path, text: str) -> None:
    """A report for ``--output``: atomically into a regular file (or a new one); straight into
    anything else, so ``/dev/stdout``, a FIFO or a symlink is written through, not replaced."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        try:
            with open(path, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
        except OSError as exc:
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        return
    write_atomic(path, text)


def check_writable_folder(path: Path) -> str | None:
    """Why a file cannot be created at ``path`` (its folder is missing or read-only), or None."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"{path}: folder {folder} does not exist"
    if not os.access(folder, os.W_OK) and not (path.exists() and os.access(path, os.W_OK)):
        return f"{path}: folder {folder} is not writable"
    return None


@dataclass(frozen=True, slots=True)
class ReadDigest:
    """A digest as read: its bytes (hashed into the record), links and input problems."""

    path: Path
    data: bytes
    entries: tuple[LinkEntry, ...]
    problems: tuple[Problem, ...]
    checked: bool = True
    """False for a file not checked at all (binary, over ``--max-digest-size``): no record is
    written for it, so an old record is never replaced by an empty one."""


def read_digests(paths: list[Path], settings: Settings) -> tuple[list[ReadDigest], list[str]]:
    """Read and parse each digest; a file that cannot be read is an error and the rest go on.

    A file over ``--max-digest-size`` is read no further than the limit: one Problem at its
    line 1 and a run error (exit 3), since none of its links were checked. A binary file is one
    Problem and no error: it is not a digest. Past ``--max-links`` links, the rest are left
    out, with one Problem at the first of them.
    """
    digests: list[ReadDigest] = []
    errors: list[str] = []
    options = ReadOptions(settings.base_url, settings.include_verbatim)
    for path in paths:
        name = str(path)
        try:
            data, size = read_bytes(path, settings.max_digest_bytes)
        except EnricherError as exc:
            errors.append(str(exc))
            continue
        if size > settings.max_digest_bytes:
            too_big = Problem(name, 1, oversize_message(size, settings.max_digest_bytes))
            digests.append(ReadDigest(path, b"", (), (too_big,), checked=False))
            errors.append(f"{path}: not checked (over --max-digest-size); its record is kept")
            continue
        binary = binary_problem(data, name)
        if binary is not None:
            digests.append(ReadDigest(path, data, (), (binary,), checked=False))
            continue
        text, problems = decode_digest(data, name)
        parsed = parse_any(text, name, options)
        if settings.verbosity >= 1:
            for skipped in parsed.skipped:
                log.info("%s (skipped)", skipped)
        entries, left_out = limit_links(parsed.entries, settings.max_links)
        digests.append(ReadDigest(path, data, entries, problems + parsed.problems + left_out))
    return digests, errors


def changed_since_read(digest: ReadDigest) -> str | None:
    """Why the digest on disk is no longer the one checked (deleted, changed), or None.

    Asked right before its record is written: a record must never claim the sha256 of bytes
    that are no longer the file, nor stand beside a digest that is gone.
    """
    try:
        now, _ = read_bytes(digest.path, len(digest.data))
    except EnricherError:
        return f"{digest.path}: deleted or unreadable since the run read it; record not written"
    if now != digest.data:
        return f"{digest.path}: changed during the run; record not written, run again"
    return None
