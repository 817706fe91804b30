"""The ``--notify-command``: the user's own shell command, run after a run in which links changed,
with the JSON report on its standard input.

It runs unattended (cron), so nothing the command does may crash, hang or outlive the run:

- the payload is handed over as an unlinked temporary file, not a pipe, so a command that never
  reads it cannot block us or make us fail with ``EPIPE``, whatever the payload's size;
- the command gets its own session; when it overstays the time limit its whole process group is
  sent SIGTERM, then SIGKILL after a short grace, so no background child lingers;
- its standard output goes to ``/dev/null`` and only the last ``STDERR_TAIL_BYTES`` of its
  standard error are kept, read with a deadline: a grandchild holding the pipe open cannot
  keep us waiting, and the command cannot fill memory or disk;
- the result is one line for the log, logged here (the command line itself is never logged:
  it may hold a token).

POSIX only: on a system without ``/bin/sh`` the command simply "could not start".
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..config import DEFAULT_NOTIFY_TIMEOUT_S, Settings
from ..models import RunSummary
from ..report import format_json, visible
from ..summary import anything_changed

log = logging.getLogger(__name__)

NOTIFY_TIMEOUT_S = DEFAULT_NOTIFY_TIMEOUT_S
KILL_GRACE_S = 1.0
"""How long the command's process group has to exit after SIGTERM before SIGKILL."""
STDERR_TAIL_BYTES = 2048
"""How much of the end of the command's standard error is kept for the message."""
SHELL = "/bin/sh"
"""The shell the command is given to: it is the user's configuration, pipes and all."""
_POLL_S = 0.05
"""How often the command is checked on while its standard error stays open without output."""
_DRAIN_S = 0.1
"""How long the stderr left in the pipe is read after the command exits (a grandchild may
still be writing to it; it cannot keep us longer than this)."""


@dataclass(frozen=True, slots=True)
class NotifyResult:
    """How the notify command went, for the caller and the log."""

    ok: bool
    """The command ran and exited 0 within the limit."""
    message: str
    """One line for the log, control characters escaped."""
    exit_code: int | None
    """Its exit status (negative: killed by that signal); None when it could not start or was
    stopped at the time limit."""


def notify(
    command: str,
    payload: str,
    timeout_s: float = NOTIFY_TIMEOUT_S,
    stopped: Callable[[], bool] = lambda: False,
) -> NotifyResult:
    """Run ``command`` with ``/bin/sh -c`` (it is the user's own configuration, so pipes and
    redirections work), the UTF-8 ``payload`` (the JSON report) on its standard input, in the
    inherited environment (it may need a token from it). Never raises for anything the command
    does; the result is logged (INFO when ok, WARNING otherwise).

    Raises ``ValueError`` only for a ``timeout_s`` that is not a positive number: a caller's bug.
    """
    if not timeout_s > 0:  # NaN included
        raise ValueError(f"timeout_s must be positive, not {timeout_s!r}")
    result = _run(command, payload.encode("utf-8", errors="replace"), timeout_s, stopped)
    log.log(logging.INFO if result.ok else logging.WARNING, "%s", result.message)
    return result


def _run(
    command: str, payload: bytes, timeout_s: float, stopped: Callable[[], bool]
) -> NotifyResult:
    """Start the command, wait for it with a deadline and describe how it ended."""
    began = time.monotonic()
    try:
        with tempfile.TemporaryFile() as stdin:  # unlinked at once: nothing left on disk
            stdin.write(payload)
            stdin.flush()
            stdin.seek(0)
            process = subprocess.Popen(
                [SHELL, "-c", command],
                stdin=stdin,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,  # its own process group, to stop all of it at once
            )
    except (OSError, ValueError, subprocess.SubprocessError) as exc:  # ValueError: a NUL byte
        return NotifyResult(False, visible(f"notify command could not start: {exc}"), None)
    try:
        finished, tail = _wait(process, began + timeout_s, stopped)
    except BaseException:  # interrupted (Ctrl-C): leave no command running behind us
        _stop(process, grace_s=0.0)
        raise
    finally:
        if process.stderr is not None:
            process.stderr.close()
    if not finished:
        _stop(process, grace_s=KILL_GRACE_S)
        if stopped():
            return NotifyResult(False, "notify command stopped: enricher was asked to stop", None)
        return NotifyResult(
            False, f"notify command did not finish within {timeout_s:g} s; stopped", None
        )
    code, took = process.returncode, f"in {time.monotonic() - began:.1f} s"
    if code == 0:
        return NotifyResult(True, f"notify command exited 0 {took}", 0)
    if code < 0:
        message = f"notify command was killed by {_signal_name(-code)}"
    else:
        message = f"notify command exited {code}"
    last = _last_line(tail)
    message += f": {last}" if last else f" {took}"
    return NotifyResult(False, visible(message), code)


def _wait(
    process: subprocess.Popen[bytes], deadline: float, stopped: Callable[[], bool]
) -> tuple[bool, bytes]:
    """Wait until the command exits, ``deadline`` (monotonic) passes or ``stopped()`` says the
    process is asked to stop, keeping the end of its standard error. Whether it exited in
    time, and that end."""
    assert process.stderr is not None
    fd = process.stderr.fileno()
    tail = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        open_ = True
        while process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stopped():
                return False, bytes(tail)
            if not open_:  # nothing more to read: just wait for the exit, a tick at a time
                try:
                    process.wait(min(remaining, _POLL_S))
                except subprocess.TimeoutExpired:
                    continue
            elif selector.select(min(remaining, _POLL_S)):
                open_ = _read(fd, tail)
                if not open_:
                    selector.unregister(fd)
        drain_until = time.monotonic() + _DRAIN_S
        while open_ and time.monotonic() < drain_until and selector.select(0):
            open_ = _read(fd, tail)
    return True, bytes(tail)


def _read(fd: int, tail: bytearray) -> bool:
    """Add what ``fd`` holds to ``tail``, keeping its last ``STDERR_TAIL_BYTES``. False at the end
    of the stream."""
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        return False
    tail += chunk
    del tail[:-STDERR_TAIL_BYTES]
    return bool(chunk)


def _stop(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the command's whole process group, then SIGKILL what is left after ``grace_s``:
    a background child of the shell would otherwise outlive the run."""
    group = process.pid  # start_new_session: the shell leads its own group
    _signal_group(group, signal.SIGTERM)
    until = time.monotonic() + grace_s
    while time.monotonic() < until:
        process.poll()  # reap the shell, or its zombie keeps the group alive
        if not _group_running(group):
            break
        time.sleep(_POLL_S)
    else:
        _signal_group(group, signal.SIGKILL)
    try:
        process.wait(KILL_GRACE_S)
    except subprocess.TimeoutExpired:  # unkillable (a stuck disk): give up on it, not on us
        log.debug("notify command (pid %d) did not exit after SIGKILL", process.pid)


def _signal_group(group: int, signum: int) -> bool:
    """Send ``signum`` to process group ``group``; False when the group no longer exists."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: a member changed its user; the rest were still signalled
        return True
    return True


def _group_running(group: int) -> bool:
    """Whether a process of ``group`` still runs. Its orphaned zombies do not count: a PID 1
    that does not reap them (Python or cron as PID 1 of a container) would otherwise make every
    stop wait out the whole grace. Without ``/proc`` a zombie counts, and the grace ends it."""
    if not _signal_group(group, 0):
        return False
    try:
        names = os.listdir("/proc")
    except OSError:
        return True
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as file:
                stat = file.read()
        except OSError:  # it ended meanwhile, or is not ours to see
            continue
        fields = stat.rpartition(b")")[2].split()  # state, ppid, pgrp...: after "(comm)"
        if len(fields) > 2 and fields[2] == str(group).encode() and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _last_line(tail: bytes) -> str:
    """The last non-empty line of the command's standard error, or ``""``."""
    lines = [line.strip() for line in tail.decode("utf-8", errors="replace").splitlines()]
    return next((line for line in reversed(lines) if line), "")


def notify_changes(
    summary: RunSummary, settings: Settings, stopped: Callable[[], bool] = lambda: False
) -> NotifyResult | None:
    """After a run in which a link newly failed or recovered, the ``--notify-command`` with
    the JSON report; None when there is no command or nothing changed (or the run stopped).
    A stop asked for while it runs (SIGTERM) stops it too: the process exits in seconds."""
    if not settings.notify_command or summary.interrupted or not anything_changed(summary):
        return None
    return notify(
        settings.notify_command, format_json(summary), settings.notify_timeout_s, stopped
    )
