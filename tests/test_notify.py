"""The ``--notify-command`` as a cron job meets it: real ``/bin/sh`` commands that read their
input, fail, are missing, ignore their input, hang, or leave a background child behind."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from enricher.ops import notify as notify_module
from enricher.ops.notify import NOTIFY_TIMEOUT_S, NotifyResult, notify

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell and signals")

LOGGER = "enricher.ops.notify"
PAYLOAD = json.dumps(
    {"changed": [{"label": "Café — 東京 ✓ 🚀", "url": "https://example.org/ü?q=1&r=2"}]},
    ensure_ascii=False,
    indent=2,
) + "\n"  # fmt: skip


def q(path: Path) -> str:
    return shlex.quote(str(path))


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: a zombie nobody reaped (PID 1 in a container may not) is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat.rpartition(")")[2].split()[0] not in {"Z", "X"}


def wait_until_dead(pid: int, within_s: float = 2.0) -> bool:
    until = time.monotonic() + within_s
    while alive(pid):
        if time.monotonic() > until:
            return False
        time.sleep(0.02)
    return True


def read_pid(path: Path) -> int:
    """The pid a command wrote to ``path`` (waiting a moment for the shell to write it)."""
    until = time.monotonic() + 5
    while not path.exists() or not path.read_text().strip():
        assert time.monotonic() < until, f"{path} was never written"
        time.sleep(0.01)
    return int(path.read_text())


@pytest.fixture
def leftovers() -> Iterator[list[int]]:
    """Pids a test leaves running on purpose: killed afterwards, pass or fail."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_the_command_reads_the_payload_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = notify(f"cat > {q(out)}", PAYLOAD)
    assert result.ok, result
    assert result.exit_code == 0
    assert out.read_bytes() == PAYLOAD.encode("utf-8")
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(PAYLOAD)


def test_pipes_and_the_environment_reach_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command is shell text with the run's environment: a token from it can be used."""
    monkeypatch.setenv("NOTIFY_TEST_TOKEN", "s3cret")
    out = tmp_path / "out.txt"
    result = notify(f'wc -c | tr -d " " > {q(out)}; echo "$NOTIFY_TEST_TOKEN" >> {q(out)}', PAYLOAD)
    assert result.ok, result
    assert out.read_text().split() == [str(len(PAYLOAD.encode("utf-8"))), "s3cret"]


def test_success_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    result = notify("cat > /dev/null; echo chatty >&2; echo out", PAYLOAD)
    assert result == NotifyResult(True, result.message, 0)
    assert result.message.startswith("notify command exited 0 in ")
    assert result.message.endswith(" s")
    records = [r for r in caplog.records if r.name == LOGGER]
    assert [(r.levelno, r.getMessage()) for r in records] == [(logging.INFO, result.message)]


def test_a_failing_command_gives_its_last_stderr_line_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    command = "echo to stdout; echo first >&2; printf 'token expired\\n\\n  \\n' >&2; exit 7"
    result = notify(command, PAYLOAD)
    assert result == NotifyResult(False, "notify command exited 7: token expired", 7)
    records = [r for r in caplog.records if r.name == LOGGER]
    assert [(r.levelno, r.getMessage()) for r in records] == [(logging.WARNING, result.message)]


def test_a_failure_without_stderr_says_how_long_it_took() -> None:
    result = notify("exit 3", PAYLOAD)
    assert (result.ok, result.exit_code) == (False, 3)
    assert result.message.startswith("notify command exited 3 in ")


def test_a_missing_command_is_exit_127_not_an_exception() -> None:
    result = notify("no-such-notifier-9f3b --send", PAYLOAD)
    assert (result.ok, result.exit_code) == (False, 127)
    assert result.message.startswith("notify command exited 127: ")
    assert "not found" in result.message


def test_a_missing_shell_could_not_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(notify_module, "SHELL", "/nonexistent/sh")
    result = notify("true", PAYLOAD)
    assert (result.ok, result.exit_code) == (False, None)
    assert result.message.startswith("notify command could not start: ")
    assert "/nonexistent/sh" in result.message
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.WARNING]


def test_a_command_with_a_nul_byte_could_not_start() -> None:
    result = notify("echo a\0b", PAYLOAD)
    assert (result.ok, result.exit_code) == (False, None)
    assert result.message.startswith("notify command could not start: ")


@pytest.mark.parametrize("command", ["exit 0", "true", "head -c 10 > /dev/null"])
def test_a_command_that_does_not_read_a_large_payload(command: str) -> None:
    """5 MB is far more than a pipe holds: a command that leaves it unread blocks nothing."""
    payload = "x" * (5 * 1024 * 1024)
    started = time.monotonic()
    result = notify(command, payload, timeout_s=20)
    assert result == NotifyResult(True, result.message, 0)
    assert time.monotonic() - started < 10


def test_a_command_that_fails_without_reading_a_large_payload() -> None:
    result = notify("echo 'no thanks' >&2; exit 2", "y" * (5 * 1024 * 1024), timeout_s=20)
    assert result == NotifyResult(False, "notify command exited 2: no thanks", 2)


def test_a_flood_of_output_is_bounded() -> None:
    """Megabytes on stdout and stderr neither deadlock nor reach the message."""
    command = (
        "head -c 10000000 /dev/zero; "
        "i=0; while [ $i -lt 20000 ]; do echo 'noise noise noise noise noise' >&2; "
        "i=$((i+1)); done; echo 'the last word' >&2; exit 1"
    )
    result = notify(command, PAYLOAD, timeout_s=30)
    assert result == NotifyResult(False, "notify command exited 1: the last word", 1)


def test_one_endless_stderr_line_is_cut_to_the_tail() -> None:
    result = notify("head -c 1000000 /dev/zero | tr '\\0' 'e' >&2; exit 4", PAYLOAD)
    assert (result.ok, result.exit_code) == (False, 4)
    assert result.message == "notify command exited 4: " + "e" * notify_module.STDERR_TAIL_BYTES


def test_control_characters_are_escaped_in_the_message() -> None:
    """The message goes to logs and terminals: no ESC sequence or bidi override gets through."""
    result = notify("printf 'bad \\033[31mred\\342\\200\\256 \\r\\n' >&2; exit 5", PAYLOAD)
    assert result.exit_code == 5
    assert "\x1b" not in result.message and "\u202e" not in result.message
    assert result.message == "notify command exited 5: bad \\x1b[31mred\\u202e"


def test_a_command_killed_by_a_signal() -> None:
    result = notify("kill -KILL $$", PAYLOAD)
    assert (result.ok, result.exit_code) == (False, -signal.SIGKILL)
    assert result.message.startswith("notify command was killed by SIGKILL in ")


def test_a_finished_command_is_not_held_up_by_a_child_keeping_stderr_open(
    tmp_path: Path, leftovers: list[int]
) -> None:
    """The shell exited 0; a background child still holds its stderr: we do not wait for it."""
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    result = notify(f"sleep 30 & echo $! > {q(pid_file)}; exit 0", PAYLOAD)
    took = time.monotonic() - started
    leftovers.append(read_pid(pid_file))
    assert result == NotifyResult(True, result.message, 0)
    assert took < 3


class ExitedPopen(subprocess.Popen[bytes]):
    """A ``Popen`` that returns only once its process has exited (left unreaped): the command
    is first looked at after it ended, as on a busy machine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)


def test_stderr_left_in_the_pipe_by_an_exited_command_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(subprocess, "Popen", ExitedPopen)
    result = notify("echo 'quota exceeded' >&2; exit 6", PAYLOAD)
    assert result == NotifyResult(False, "notify command exited 6: quota exceeded", 6)


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_a_time_limit_that_is_not_positive_is_a_bug(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        notify("true", PAYLOAD, timeout_s=timeout)


def test_the_default_time_limit() -> None:
    assert NOTIFY_TIMEOUT_S == 60.0
    assert notify.__defaults__ is not None and notify.__defaults__[0] == NOTIFY_TIMEOUT_S


@pytest.mark.slow
def test_a_hanging_command_is_stopped(caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    result = notify("sleep 30", PAYLOAD, timeout_s=0.3)
    took = time.monotonic() - started
    assert result == NotifyResult(
        False, "notify command did not finish within 0.3 s; stopped", None
    )
    assert 0.3 <= took < 3
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.WARNING]


@pytest.mark.slow
def test_a_background_grandchild_is_stopped_with_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leftovers: list[int]
) -> None:
    """Both sleeps obey SIGTERM: the stop does not wait out the grace, even when nobody reaps
    the orphaned grandchild's zombie (PID 1 of a container often does not)."""
    monkeypatch.setattr(notify_module, "KILL_GRACE_S", 10.0)
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    result = notify(f"sleep 30 & echo $! > {q(pid_file)}; sleep 30", PAYLOAD, timeout_s=0.5)
    took = time.monotonic() - started
    pid = read_pid(pid_file)
    leftovers.append(pid)
    assert (result.ok, result.exit_code) == (False, None)
    assert result.message.endswith("stopped")
    assert took < 1.5
    assert wait_until_dead(pid), f"the background sleep {pid} outlived the command"


@pytest.mark.slow
def test_a_grandchild_holding_stderr_does_not_delay_the_stop(tmp_path: Path) -> None:
    """A grandchild that would write a file later is gone, and never wrote it."""
    late = tmp_path / "late"
    command = f"(sleep 1; echo late > {q(late)}) & echo busy >&2; sleep 30"
    started = time.monotonic()
    result = notify(command, PAYLOAD, timeout_s=0.3)
    assert time.monotonic() - started < 3
    assert result.exit_code is None
    time.sleep(1.5)
    assert not late.exists()


@pytest.mark.slow
def test_a_command_ignoring_sigterm_is_killed_after_the_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leftovers: list[int]
) -> None:
    """``trap '' TERM`` is inherited by the shell's children: only SIGKILL stops them."""
    monkeypatch.setattr(notify_module, "KILL_GRACE_S", 0.3)
    pid_file = tmp_path / "pid"
    command = f"trap '' TERM; sleep 30 & echo $! > {q(pid_file)}; sleep 30"
    started = time.monotonic()
    result = notify(command, PAYLOAD, timeout_s=0.3)
    took = time.monotonic() - started
    pid = read_pid(pid_file)
    leftovers.append(pid)
    assert (result.ok, result.exit_code) == (False, None)
    assert 0.6 <= took < 3, took  # the limit, then the grace, then SIGKILL
    assert wait_until_dead(pid), f"the sleep {pid} ignoring SIGTERM outlived the command"


def test_a_stop_request_stops_a_running_command_at_once(tmp_path: Path) -> None:
    """SIGTERM to enricher while its notify command runs: the command's group is stopped
    within a tick, not at the (here 60 s) time limit, and the message says why."""
    pid_file = tmp_path / "pid"
    asked = {"stop": False}

    def stopped() -> bool:
        if pid_file.exists() and pid_file.read_text().strip():
            asked["stop"] = True  # the command is running: now the stop arrives
        return asked["stop"]

    started = time.monotonic()
    result = notify(f"echo $$ > {q(pid_file)}; sleep 30", PAYLOAD, 60, stopped)
    assert time.monotonic() - started < 5
    assert result.ok is False and result.exit_code is None
    assert result.message == "notify command stopped: enricher was asked to stop"
    pid = read_pid(pid_file)
    with pytest.raises(ProcessLookupError):  # the shell, and its sleep with it, are gone
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.02)
