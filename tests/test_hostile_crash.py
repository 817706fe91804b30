"""kill -9 at random moments of real runs: every record is the old or the new version, never torn;
the digests and the cache survive; the next run completes and takes over the stale lock.

One threaded server on 127.0.0.1 stands in for the web (pages answer after a short random delay)
and for the arXiv and GitHub APIs (``tests/fakes.py``). The digests are the samples, with their
web links pointed at that server, plus digests full of slow links. A first complete run writes
the "old" records; then the world changes (pages start to 404, a repository disappears, papers
get a new version) and every killed run starts again from the old records.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug import Request, Response
from werkzeug.serving import WSGIRequestHandler, make_server

from enricher.authorities import classify
from enricher.authorities.huggingface import HubTarget
from enricher.cache import CACHE_FILE
from enricher.models import ArxivTarget, GithubTarget, WebTarget
from enricher.ops.lock import LOCK_NAME
from enricher.records import RECORD_SUFFIX, record_name
from tests.conftest import SAMPLES, enricher
from tests.fakes import FakeArxiv, FakeGithub
from tests.fakes_hf import API_PATHS, FakeHub

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SEED = 20261122
"""Fixed, so a failure can be replayed: the kill moments and the pages' delays derive from it."""
KILLS = 24
"""Runs killed with SIGKILL (the issue asks for at least 20)."""
SLOW_DIGESTS = 12
SLOW_LINKS = 12
"""Slow pages per extra digest: enough work that a run lasts about a second."""
PAGE_DELAY_S = (0.002, 0.05)
"""Each page answers after a random delay in this range."""
URL = re.compile(r"https?://[^\s<>\"']+")
RUN_FLAGS = ("--allow-private", "--refresh", "--concurrency", "16", "--per-host", "16",
             "--arxiv-delay", "0", "--format", "json", "--no-archive")  # fmt: skip
"""``--refresh``: every run asks the (changed) world again instead of trusting its cache;
``--no-archive``: no Wayback Machine (this world serves its pages under ``/web/`` too)."""


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass  # a request per link and run: no log line each


@dataclass
class SlowWorld:
    """The web and both APIs on one threaded 127.0.0.1 server."""

    arxiv: FakeArxiv = field(default_factory=FakeArxiv)
    github: FakeGithub = field(default_factory=FakeGithub)
    hub: FakeHub = field(default_factory=lambda: FakeHub(quota=1_000_000))
    broken: set[str] = field(default_factory=set)
    """Paths below ``/web/`` that answer 404."""
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    base: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == "/api/query":
            response = self.arxiv.handler(request)
        elif request.path.startswith(("/repos/", "/repositories/")):
            response = self.github.handler(request)
        elif API_PATHS.match(request.path):
            with self._lock:
                response = self.hub.handler(request)
        else:
            with self._lock:
                delay = self.rng.uniform(*PAGE_DELAY_S)
            time.sleep(delay)
            gone = request.path in self.broken
            response = Response("gone" if gone else "fine", status=404 if gone else 200)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def local(self, url: str) -> str:
        """``https://huggingface.co/blog/x`` -> ``http://127.0.0.1:PORT/web/huggingface.co/blog/x``."""
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.base}/web/{parts.netloc.lower()}{parts.path or '/'}{query}"


@pytest.fixture
def world() -> Iterator[SlowWorld]:
    world = SlowWorld()
    server = make_server("127.0.0.1", 0, world, threaded=True, request_handler=_Quiet)
    world.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="slow-world", daemon=True)
    thread.start()
    yield world
    server.shutdown()
    server.server_close()


def write_digests(world: SlowWorld, folder: Path) -> None:
    """The samples (web links made local) and digests of slow links; the world knows them all."""
    folder.mkdir()
    for sample in sorted(SAMPLES.glob("*.txt")):
        text = sample.read_text(encoding="utf-8")
        for url in set(URL.findall(text)):
            target = classify(url)
            if isinstance(target, WebTarget):
                text = text.replace(url, world.local(url))
            elif isinstance(target, ArxivTarget):
                world.arxiv.known.add(target.id)
            elif isinstance(target, GithubTarget):
                world.github.add(f"{target.owner}/{target.repo}")
            elif isinstance(target, HubTarget) and target.type != "paper":
                world.hub.add(target.type, target.id)
        (folder / sample.name).write_bytes(text.encode("utf-8"))
    for n in range(SLOW_DIGESTS):
        lines = [f"第{n}期 周报: slow pages, a paper and a repository.", ""]
        lines += [f"[Page {n}.{i}] {world.base}/web/slow/{n}/{i}" for i in range(SLOW_LINKS)]
        paper, repo = f"2402.{10000 + n}", f"lab{n}/model-{n}"
        world.arxiv.known.add(paper)
        world.github.add(repo)
        lines += [f"[Paper {n}] https://arxiv.org/abs/{paper}",
                  f"[Repo {n}] https://github.com/{repo}"]  # fmt: skip
        (folder / f"slow_{n:02}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def change_the_world(world: SlowWorld) -> None:
    """What makes the new records differ from the old: 404s, a vanished repo, new versions."""
    world.broken |= {f"/web/slow/{n}/{i}" for n in range(SLOW_DIGESTS) for i in range(0, 12, 4)}
    world.broken |= {"/web/huggingface.co/blog/codegemma", "/web/www.coze.cn/"}
    world.github.known.pop("lab3/model-3")
    world.arxiv.latest_version = 3


def env_for(cache: Path) -> dict[str, str]:
    return {**os.environ, "ENRICHER_CACHE_DIR": str(cache), "ENRICHER_ARXIV_DELAY": "0"}


def start(world: SlowWorld, folder: Path, cache: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**env_for(cache), "ENRICHER_ARXIV_API_URL": f"{world.base}/api/query",
           "ENRICHER_GITHUB_API_URL": world.base, "ENRICHER_HF_API_URL": world.base}  # fmt: skip
    with log.open("wb") as errors, log.with_suffix(".json").open("wb") as report:
        return subprocess.Popen(
            [sys.executable, "-m", "enricher", str(folder), *RUN_FLAGS],
            cwd=folder.parent, env=env, stdout=report, stderr=errors,
        )  # fmt: skip


def complete_run(world: SlowWorld, folder: Path, cache: Path, log: Path) -> tuple[int, float]:
    """A run left alone: its exit code and how long it took."""
    began = time.monotonic()
    proc = start(world, folder, cache, log)
    code = proc.wait(timeout=60)
    return code, time.monotonic() - began


def sha256s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.txt")}


def records(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob(f"*{RECORD_SUFFIX}")}


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.tmp"))


def timeless(data: bytes) -> dict[str, Any]:
    """A record with the moments it was made and its facts observed left out."""
    record: dict[str, Any] = json.loads(data)
    record["generated_at"] = None
    for link in record["links"]:
        for moment in ("checked_at", "first_seen_at", "last_ok_at", "failing_since"):
            link[moment] = None
        for value in link.values():
            if isinstance(value, dict):
                value.pop("observed_at", None)
    return record


def is_complete_json(data: bytes) -> bool:
    """Parses, and is byte for byte what the writer serialises (no torn or padded file)."""
    text = data.decode("utf-8")
    return text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def integrity(cache: Path) -> str:
    db = sqlite3.connect(cache / CACHE_FILE)
    try:
        (result,) = db.execute("PRAGMA integrity_check").fetchone()
    finally:
        db.close()
    return str(result)


def wait_until(proc: subprocess.Popen[bytes], condition: Callable[[], bool]) -> bool:
    """Poll until ``condition`` holds (True) or the process ends first (False)."""
    deadline = time.monotonic() + 30
    while proc.poll() is None:
        if condition():
            return True
        if time.monotonic() > deadline:
            raise AssertionError("the run neither ended nor reached the awaited moment")
        time.sleep(0.0005)
    return False


@dataclass
class Scene:
    """The folders of the killed runs and what their records may hold."""

    world: SlowWorld
    folder: Path
    cache: Path
    old: dict[str, bytes]
    """Every record as the first complete run wrote it."""
    new: dict[str, dict[str, Any]]
    """Every record as a complete run in the changed world writes it, timestamps left out."""
    changing: set[str]
    """The records whose content the change reaches."""
    full_s: float
    """How long a complete run takes, start-up included."""
    writing_s: float
    """How long writing the records takes (one fsync each)."""


@dataclass
class Tally:
    kills: int = 0
    by_moment: dict[str, int] = field(default_factory=dict)
    phases: dict[str, int] = field(default_factory=dict)
    """Where the kills landed, judged afterwards from what each run left behind."""
    mixed: int = 0
    """Kills after which some records were already new and others still old: mid-writing."""
    finished_first: int = 0
    """Runs that ended before their kill came (not counted as kills)."""
    stray_temps: set[str] = field(default_factory=set)
    """Temp files left by runs killed between creating a record's temp file and renaming it."""

    def add(self, counts: dict[str, int], key: str) -> None:
        counts[key] = counts.get(key, 0) + 1


@dataclass(frozen=True)
class Killed:
    pid: int
    began_writing: bool
    """Whether it had created anything in the digest folder (a record's temp file) by then."""


def kill_at(moment: str, scene: Scene, rng: random.Random, log: Path) -> Killed | None:
    """Start a run from the old records and SIGKILL it at a ``moment`` of that kind; None if it
    finished before that moment came."""
    for name, data in scene.old.items():
        (scene.folder / name).write_bytes(data)
    stamp = scene.folder.stat().st_mtime_ns
    lock = scene.cache / LOCK_NAME
    began = time.monotonic()
    proc = start(scene.world, scene.folder, scene.cache, log)
    try:
        if moment == "anywhere":  # from start-up to the last write, uniformly
            at = began + rng.uniform(0, scene.full_s)
            reached = wait_until(proc, lambda: time.monotonic() >= at)
        elif moment == "writing":  # a temp file appeared: writing records has begun
            pause = rng.uniform(0, 1.2 * scene.writing_s)
            reached = wait_until(proc, lambda: scene.folder.stat().st_mtime_ns != stamp)
            time.sleep(pause)
        else:  # holding the lock, somewhere in the network phase
            reached = wait_until(
                proc, lambda: f'"pid": {proc.pid}' in lock.read_text(encoding="utf-8")
            )
            time.sleep(rng.uniform(0.05, 0.3))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=10)
    finally:
        proc.kill()
    if reached and code == -signal.SIGKILL:
        return Killed(proc.pid, scene.folder.stat().st_mtime_ns != stamp)
    assert code in (0, 1), log.read_text(encoding="utf-8")
    return None


def check_after_kill(scene: Scene, digests: dict[str, str], killed: Killed, tally: Tally) -> None:
    """Every record whole and old or new, the digests untouched, the cache sound."""
    after = records(scene.folder)
    assert set(after) == set(scene.old)
    fresh = 0
    for name, data in after.items():
        assert is_complete_json(data), f"kill {tally.kills}: {name} is not a whole record"
        if data != scene.old[name]:
            assert timeless(data) == scene.new[name], f"kill {tally.kills}: {name} is neither"
            fresh += 1
    assert sha256s(scene.folder) == digests, f"kill {tally.kills}: a digest changed"
    assert integrity(scene.cache) == "ok", f"kill {tally.kills}"
    tally.stray_temps |= set(temp_files(scene.folder))
    if 0 < fresh < len(scene.changing):
        tally.mixed += 1
    if f'"pid": {killed.pid}' not in (scene.cache / LOCK_NAME).read_text(encoding="utf-8"):
        phase = "start-up"  # before it took the lock
    elif not killed.began_writing:
        phase = "checking"
    else:
        phase = "writing" if fresh < len(scene.changing) else "after writing"
    tally.add(tally.phases, phase)


@pytest.mark.slow  # 24 real runs killed at moments of real time (~20 s)
def test_sigkill_at_random_moments_leaves_every_record_old_or_new(
    world: SlowWorld, tmp_path: Path
) -> None:
    """24 runs killed with SIGKILL anywhere from start-up to the last write never tear a record,
    touch a digest or corrupt the cache, and the next run completes over the stale lock."""
    rng = random.Random(SEED)
    folder, cache, reference = tmp_path / "digests", tmp_path / "cache", tmp_path / "reference"
    write_digests(world, folder)
    digests = sha256s(folder)

    code, _ = complete_run(world, folder, cache, tmp_path / "old.log")
    assert code in (0, 1), (tmp_path / "old.log").read_text(encoding="utf-8")
    old = records(folder)
    assert set(old) == {record_name(name) for name in digests}
    # The reference run starts where the killed ones do: records keep what they knew.
    shutil.copytree(folder, reference)
    shutil.copytree(cache, tmp_path / "ref-cache")

    change_the_world(world)
    code, full_s = complete_run(world, reference, tmp_path / "ref-cache", tmp_path / "new.log")
    assert code == 1, (tmp_path / "new.log").read_text(encoding="utf-8")  # some links broke
    new = {name: timeless(data) for name, data in records(reference).items()}
    changing = {name for name in old if timeless(old[name]) != new[name]}
    stamps = [(reference / name).stat().st_mtime for name in changing]  # those it rewrote
    assert len(changing) >= SLOW_DIGESTS + 4, "the change must reach most records"
    scene = Scene(world, folder, cache, old, new, changing, full_s, max(stamps) - min(stamps))

    tally = Tally()
    killed = None
    while tally.kills < KILLS:
        assert tally.finished_first < KILLS, f"most runs ended before their kill: {tally}"
        moment = ("anywhere", "anywhere", "writing")[tally.kills % 3]
        if tally.kills == KILLS - 1:
            moment = "lock-held"  # the last one leaves a stale lock behind
        killed = kill_at(moment, scene, rng, tmp_path / f"kill{tally.kills}.log")
        if killed is None:
            tally.finished_first += 1
            continue
        tally.kills += 1
        tally.add(tally.by_moment, moment)
        check_after_kill(scene, digests, killed, tally)
    print(f"\n{tally}, full run {full_s:.2f} s, writing {scene.writing_s:.3f} s")
    assert tally.mixed >= 2, f"too few kills landed while records were being written: {tally}"
    assert {"start-up", "checking", "writing"} <= set(tally.phases), tally

    assert killed is not None
    assert f'"pid": {killed.pid}' in (cache / LOCK_NAME).read_text(encoding="utf-8")
    for name in temp_files(folder):  # as if the kills were a while ago
        os.utime(folder / name, (time.time() - 120, time.time() - 120))
    code, _ = complete_run(world, folder, cache, tmp_path / "final.log")
    output = (tmp_path / "final.log").read_text(encoding="utf-8")
    assert code == 1, output  # some links are broken now; the run itself completed
    assert f"took over a stale run lock left by pid {killed.pid}" in output
    report = json.loads((tmp_path / "final.json").read_text(encoding="utf-8"))
    assert report["errors"] == []
    assert sorted(Path(f["file"]).name for f in report["files"]) == sorted(digests)
    final = records(folder)
    assert set(final) == set(old)
    assert all(timeless(data) == new[name] for name, data in final.items())
    assert sha256s(folder) == digests
    assert integrity(cache) == "ok"
    assert (cache / LOCK_NAME).read_text(encoding="utf-8") == ""
    assert temp_files(folder) == []  # what the killed runs left is cleaned up


def test_a_killed_writers_temp_file_is_no_digest_and_goes_once_stale(
    site: dict[str, str], tmp_path: Path
) -> None:
    """A record's temp file left by a kill is never read as a digest (not even with --glob '*');
    the next run removes it once it is over a minute old and leaves a younger one alone."""
    folder = Path(site["FOLDER"])
    stale = folder / ".week.enriched.json.k3j9x_2a.tmp"
    young = folder / ".week.enriched.json.q8w7e6r5.tmp"
    for temp in (stale, young):
        temp.write_text('{"schema_version": 1, "sou', encoding="utf-8")  # a torn half record
    os.utime(stale, (time.time() - 120, time.time() - 120))

    ran = enricher(folder.as_posix(), "--allow-private", "--glob", "*", "--format", "json",
                   cwd=tmp_path, env=site)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert [Path(f["file"]).name for f in json.loads(ran.stdout)["files"]] == ["week.txt"]
    assert f"removed {stale}, left by a run killed while writing a record" in ran.stderr
    assert not stale.exists() and young.exists()
    assert sorted(p.name for p in folder.iterdir()) == [
        young.name,
        "week.enriched.json",
        "week.txt",
    ]


def test_a_killed_runs_status_temp_file_goes_once_stale(
    site: dict[str, str], tmp_path: Path
) -> None:
    """status.json's temp file, left in the cache folder by a kill, is removed by a later run."""
    cache = Path(site["ENRICHER_CACHE_DIR"])
    cache.mkdir(parents=True, exist_ok=True)
    stale = cache / ".status.json.a1b2c3d4.tmp"
    stale.write_text('{"running": ', encoding="utf-8")
    os.utime(stale, (time.time() - 120, time.time() - 120))

    ran = enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site)

    assert ran.returncode == 0, ran.stderr
    assert not stale.exists()
    assert json.loads((cache / "status.json").read_text(encoding="utf-8"))["last_run"]
