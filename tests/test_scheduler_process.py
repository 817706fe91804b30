"""The background job and the run lock as an operator meets them: real processes, real signals,
a local server standing in for the web and the APIs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Request, Response

from tests.conftest import ROOT, Apis, enricher

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.slow,  # real processes, polled every 50 ms until they reach a moment
]


def start(args: list[str], site: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("w", encoding="utf-8") as handle:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, *args], cwd=cwd, env={**os.environ, **site}, text=True,
            stdout=subprocess.DEVNULL, stderr=handle,
        )  # fmt: skip


def wait_for(condition: Callable[[], bool], within_s: float = 20.0) -> None:
    """Poll a real process's visible state; fails the test rather than hanging it."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the process")
        time.sleep(0.05)


def signalled(
    proc: subprocess.Popen[str], sig: int, when: Callable[[], bool], within_s: float = 5
) -> int:
    """Send ``sig`` once ``when`` holds; the exit code, which must come within ``within_s``."""
    try:
        wait_for(when)
        proc.send_signal(sig)
        return proc.wait(timeout=within_s)
    finally:
        proc.kill()


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def slow_page(
    apis: Apis, site: dict[str, str]
) -> Iterator[tuple[threading.Event, threading.Event]]:
    """A page that answers only when released, linked from the digest: a run in progress."""
    entered, release = threading.Event(), threading.Event()

    def handler(request: Request) -> Response:
        entered.set()
        release.wait(30)
        return Response("late but fine")

    apis.server.expect_request("/slow").respond_with_handler(handler)
    digest = Path(site["FOLDER"]) / "week.txt"
    with digest.open("a", encoding="utf-8") as handle:
        handle.write(f"[Slow page] {apis.server.url_for('/slow')}\n")
    yield entered, release
    release.set()


def test_scheduler_runs_on_time_and_stops_cleanly(site: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "scheduler.log"
    proc = start([str(ROOT / "scheduler.py"), site["FOLDER"], "--allow-private", "--every", "1s"],
                 site, tmp_path, log)  # fmt: skip
    code = signalled(
        proc, signal.SIGTERM, lambda: log.read_text(encoding="utf-8").count("run done") >= 2
    )
    lines = log.read_text(encoding="utf-8")
    assert code == 0, lines
    assert "scheduler started: every 1s (UTC)" in lines
    assert "scheduler stopped (SIGTERM)" in lines
    assert "Traceback" not in lines
    # Each run's one line names what changed: nothing, here.
    assert "; changes since last run: 0 newly broken, 0 recovered; passed (exit 0)" in lines
    record = read_json(Path(site["FOLDER"]) / "week.enriched.json")
    assert [link["status"] for link in record["links"]] == ["ok", "ok", "ok", "redirected"]
    status = read_json(Path(site["ENRICHER_CACHE_DIR"]) / "status.json")
    last = status["last_run"]
    assert (last["trigger"], last["outcome"], last["exit_code"], last["pid"]) == (
        "scheduled", "passed", 0, proc.pid,
    )  # fmt: skip
    assert last["counts"]["links"] == 4 and last["counts"]["redirected"] == 1
    assert last["changes"] == {"newly_failing": 0, "recovered": 0, "still_failing": 0}
    assert status["running"] is None
    assert status["scheduler"]["state"] == "stopped" and status["next_run_at"] is None

    shown = enricher("status", cwd=tmp_path, env=site)
    assert shown.returncode == 0
    assert "last run: passed (exit 0), scheduled" in shown.stdout
    assert f"scheduler: every 1s (UTC), pid {proc.pid}, stopped" in shown.stdout


def test_sigterm_stops_a_run_in_progress_within_seconds(
    site: dict[str, str], tmp_path: Path, slow_page: tuple[threading.Event, threading.Event]
) -> None:
    entered, _ = slow_page
    log = tmp_path / "scheduler.log"
    proc = start([str(ROOT / "scheduler.py"), site["FOLDER"], "--allow-private"], site, tmp_path,
                 log)  # fmt: skip
    code = signalled(proc, signal.SIGTERM, entered.is_set)
    assert code == 0, log.read_text(encoding="utf-8")
    folder = Path(site["FOLDER"])
    assert not list(folder.glob("*.enriched.json"))  # no record from a run cut short
    assert not list(folder.glob(".*.tmp"))
    status = read_json(Path(site["ENRICHER_CACHE_DIR"]) / "status.json")
    assert status["last_run"]["outcome"] == "interrupted"
    assert status["running"] is None


def test_two_one_shot_runs_at_once_one_works_the_other_names_it(
    site: dict[str, str], tmp_path: Path, slow_page: tuple[threading.Event, threading.Event]
) -> None:
    entered, release = slow_page
    args = ["-m", "enricher", site["FOLDER"], "--allow-private"]
    runs = [start(args, site, tmp_path, tmp_path / f"run{i}.log") for i in (0, 1)]
    try:
        wait_for(lambda: any(run.poll() is not None for run in runs))
        loser = next(run for run in runs if run.returncode is not None)
        winner = next(run for run in runs if run is not loser)
        assert loser.returncode == 3
        wait_for(entered.is_set)
        release.set()
        assert winner.wait(timeout=20) == 0
    finally:
        for run in runs:
            run.kill()
    message = (tmp_path / f"run{runs.index(loser)}.log").read_text(encoding="utf-8")
    assert "another enricher run holds the lock" in message
    assert f"pid {winner.pid} (one-shot run, started " in message
    record = read_json(Path(site["FOLDER"]) / "week.enriched.json")
    assert len(record["links"]) == 5 and record["links"][-1]["status"] == "ok"


def test_a_killed_run_leaves_a_stale_lock_the_next_run_takes_over(
    site: dict[str, str], tmp_path: Path, slow_page: tuple[threading.Event, threading.Event]
) -> None:
    entered, release = slow_page
    cache = Path(site["ENRICHER_CACHE_DIR"])
    victim = start(["-m", "enricher", site["FOLDER"], "--allow-private"], site, tmp_path,
                   tmp_path / "victim.log")  # fmt: skip
    try:
        wait_for(entered.is_set)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=5)
    finally:
        victim.kill()
    release.set()
    assert f'"pid": {victim.pid}' in (cache / "enricher.lock").read_text(encoding="utf-8")
    assert not list(Path(site["FOLDER"]).glob("*.enriched.json"))

    after = enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site)
    assert after.returncode == 0, after.stderr
    assert f"took over a stale run lock left by pid {victim.pid}" in after.stderr
    assert (cache / "enricher.lock").read_text(encoding="utf-8") == ""
    status = read_json(cache / "status.json")
    assert status["last_run"]["outcome"] == "passed" and status["running"] is None


def test_ctrl_c_on_a_one_shot_run_exits_130_and_writes_nothing_half_done(
    site: dict[str, str], tmp_path: Path, slow_page: tuple[threading.Event, threading.Event]
) -> None:
    entered, _ = slow_page
    log = tmp_path / "run.log"
    proc = start(["-m", "enricher", site["FOLDER"], "--allow-private"], site, tmp_path, log)
    code = signalled(proc, signal.SIGINT, entered.is_set)
    text = log.read_text(encoding="utf-8")
    assert code == 130, text
    assert "SIGINT: stopping at the next safe point" in text
    assert "Traceback" not in text
    assert not list(Path(site["FOLDER"]).glob("*.enriched.json"))


def test_sigterm_does_not_wait_for_a_hanging_arxiv_request(
    apis: Apis, site: dict[str, str], tmp_path: Path
) -> None:
    entered, release = threading.Event(), threading.Event()

    def hanging_api(request: Request) -> Response:
        entered.set()
        release.wait(30)
        return Response("", status=503)

    apis.server.expect_request("/hanging/api/query").respond_with_handler(hanging_api)
    env = {**site, "ENRICHER_ARXIV_API_URL": apis.server.url_for("/hanging/api/query")}
    log = tmp_path / "scheduler.log"
    proc = start([str(ROOT / "scheduler.py"), site["FOLDER"], "--allow-private"], env, tmp_path,
                 log)  # fmt: skip
    try:
        wait_for(entered.is_set)
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        took = time.monotonic() - began
    finally:
        proc.kill()
        release.set()
    assert code == 0, log.read_text(encoding="utf-8")
    assert took < 5  # the request's own timeout is 20 s
