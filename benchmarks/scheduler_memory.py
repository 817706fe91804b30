#!/usr/bin/env python3
"""Does memory stay flat over many scheduled runs?

Runs the real scheduler (``enricher.ops.scheduler.build_scheduler``) on copies of the sample
digests, every ``--every`` seconds with ``refresh=True``, until ``--runs`` runs have completed,
and prints the process's RSS (and peak RSS) after 1 run and at each quarter, with wall time and
request counts. Nothing leaves 127.0.0.1: the arXiv and GitHub APIs are the fakes from
``tests/fakes.py`` served by a werkzeug server in a background thread, every web link of the
copies is rewritten to ``http://127.0.0.1:PORT/web/<host>/<path>`` on that same server, and
name lookups of any other host are refused (and counted) for the whole process.

    cd /work/main && python benchmarks/scheduler_memory.py [--runs 200] [--every 0.05]

Exit 0 when every run completed and every final check passed, 1 otherwise.
"""

# ruff: noqa: E402  (the imports below need the repo root on sys.path first)
from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Run as a script, Python puts benchmarks/ on sys.path, not the repo root that holds enricher/
# (if not installed) and tests/fakes.py: add it before importing either.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from werkzeug import Request, Response
from werkzeug.serving import make_server

from enricher import pipeline
from enricher.authorities import classify
from enricher.config import Settings
from enricher.digest import decode_digest, parse_digest, split_lines
from enricher.models import ArxivTarget, GithubTarget, RunSummary, WebTarget
from enricher.ops import status_file as run_status
from enricher.ops.scheduler import build_scheduler
from enricher.ops.status_file import STATUS_NAME
from enricher.ops.stopping import StopRequest
from enricher.records import RECORD_SUFFIX
from enricher.schedules import Schedule
from tests.fakes import FakeArxiv, FakeGithub

SAMPLES = ROOT / "sources"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# --- nothing but 127.0.0.1 -------------------------------------------------------------------

blocked_lookups: list[str] = []


def refuse_other_hosts() -> None:
    """Make every name lookup of a host other than 127.0.0.1 fail at once, and remember it.

    httpx (anyio/asyncio) and requests (urllib3) both resolve through ``socket.getaddrinfo``,
    so a link that escaped the rewriting shows up as ``unreachable`` and in the final check
    instead of reaching the real host.
    """
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and name not in LOCAL_HOSTS:
            blocked_lookups.append(str(name))
            raise socket.gaierror(socket.EAI_NONAME, f"benchmark: {name} is not 127.0.0.1")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))


# --- the sample digests and what they cite ---------------------------------------------------


@dataclass
class Corpus:
    folder: Path
    digests: int
    links: int
    arxiv_ids: set[str]
    github_repos: set[str]
    web_urls: dict[str, str]
    """Original web URL -> its local stand-in."""
    broken: set[str]
    """Local paths (below /web/) answering 404."""
    moved: dict[str, str]
    """Local path -> local path it answers 301 to."""


def local_web_path(url: str) -> str:
    """``https://huggingface.co/blog/x?y=1`` -> ``/web/huggingface.co/blog/x?y=1``."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"/web/{parts.netloc.lower()}{parts.path or '/'}{query}"


def copy_samples(samples: Path, folder: Path, base_url: str) -> Corpus:
    """Copy the digests with every web link pointed at ``base_url``; arXiv and GitHub links
    stay as written (they are answered by the API fakes)."""
    folder.mkdir(parents=True)
    arxiv_ids: set[str] = set()
    repos: set[str] = set()
    web: dict[str, str] = {}
    digests = links = 0
    for sample in sorted(samples.glob("*.txt")):
        text, _ = decode_digest(sample.read_bytes(), str(sample))
        entries = parse_digest(text, str(sample)).entries
        digests += 1
        links += len(entries)
        # split_lines numbers lines as the parser does; the samples use LF only.
        assert "\r" not in text, f"{sample}: CR line endings: rewrite by line would misnumber"
        lines = split_lines(text)
        for entry in entries:
            target = classify(entry.url) if entry.url and entry.note is None else None
            if isinstance(target, ArxivTarget):
                arxiv_ids.add(target.id)
            elif isinstance(target, GithubTarget):
                repos.add(target.id)
            elif isinstance(target, WebTarget):
                assert entry.url is not None
                local = base_url + local_web_path(entry.url)
                web[entry.url] = local
                line = lines[entry.line - 1]
                assert entry.url in line, (sample, entry)
                lines[entry.line - 1] = line.replace(entry.url, local, 1)
        (folder / sample.name).write_text("\n".join(lines), encoding="utf-8")
    # A few web pages are gone or moved, so those verdicts (and record fields) are exercised.
    ordered = sorted(web.values())
    broken = {urlsplit(u).path for i, u in enumerate(ordered) if i % 6 == 1}
    moved = {
        urlsplit(u).path: urlsplit(u).path.rstrip("/") + "/moved-here"
        for i, u in enumerate(ordered)
        if i % 6 == 3
    }
    corpus = Corpus(folder, digests, links, arxiv_ids, repos, web, broken, moved)
    check_rewrite(corpus)
    return corpus


def check_rewrite(corpus: Corpus) -> None:
    """The copies cite the same papers and repositories, and no web host but 127.0.0.1."""
    arxiv_ids: set[str] = set()
    repos: set[str] = set()
    for copy in sorted(corpus.folder.glob("*.txt")):
        text, _ = decode_digest(copy.read_bytes(), str(copy))
        for entry in parse_digest(text, str(copy)).entries:
            target = classify(entry.url) if entry.url and entry.note is None else None
            if isinstance(target, ArxivTarget):
                arxiv_ids.add(target.id)
            elif isinstance(target, GithubTarget):
                repos.add(target.id)
            elif isinstance(target, WebTarget):
                assert target.host == "127.0.0.1", f"{copy}: {entry.url} escaped the rewrite"
    assert arxiv_ids == corpus.arxiv_ids and repos == corpus.github_repos


# --- the local server: fake arXiv, fake GitHub, fake web -------------------------------------

_GITHUB_PATH = re.compile(r"^/(repos|repositories)/.+")


class LocalServer:
    """One WSGI app on 127.0.0.1 answering for arXiv, GitHub and the web pages."""

    def __init__(self) -> None:
        self.arxiv = FakeArxiv()
        self.github = FakeGithub()
        self.broken: set[str] = set()
        self.moved: dict[str, str] = {}
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        kind, response = self._dispatch(request)
        with self._lock:
            self.requests[kind] += 1
            self.statuses[response.status_code] += 1
            # The fakes log every request; drop those logs so the benchmark's own bookkeeping
            # does not grow with the number of runs.
            self.arxiv.requests.clear()
            self.github.requests.clear()
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> tuple[str, Response]:
        path = request.path
        if path == "/api/query":
            return "arxiv", self.arxiv.handler(request)
        if _GITHUB_PATH.match(path):
            return "github", self.github.handler(request)
        if path.startswith("/web/"):
            if path in self.broken:
                return "web", Response("<h1>Not Found</h1>", status=404, content_type="text/html")
            if path in self.moved:
                location = self.base_url + self.moved[path]
                return "web", Response(status=301, headers={"Location": location})
            body = f"<!doctype html><title>{path}</title><p>a page</p>"
            return "web", Response(body, status=200, content_type="text/html; charset=utf-8")
        return "other", Response("no such fake", status=404)


# --- measuring -------------------------------------------------------------------------------


def proc_status_kib(*fields: str) -> dict[str, int]:
    """``VmRSS``, ``VmHWM``... of this process from /proc/self/status, in KiB."""
    values: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in fields:
                values[name] = int(rest.split()[0])  # "  123456 kB"
    return values


@dataclass(frozen=True)
class Sample:
    runs: int
    elapsed_s: float
    rss_kib: int
    peak_kib: int
    objects: int
    threads: int
    fds: int
    cache_kib: int


def take_sample(runs: int, elapsed_s: float, cache_dir: Path) -> Sample:
    gc.collect()
    mem = proc_status_kib("VmRSS", "VmHWM")
    cache_bytes = sum(p.stat().st_size for p in cache_dir.glob("*") if p.is_file())
    return Sample(
        runs=runs,
        elapsed_s=elapsed_s,
        rss_kib=mem["VmRSS"],
        peak_kib=mem["VmHWM"],
        objects=len(gc.get_objects()),
        threads=threading.active_count(),
        fds=len(os.listdir("/proc/self/fd")),
        cache_kib=cache_bytes // 1024,
    )


class Runs:
    """Wraps ``pipeline.run`` for the scheduled job: counts completed runs, keeps their
    outcomes, samples memory right after the checkpoint runs (between runs, so no run's
    working set is half-built), and asks the scheduler to stop after the last one."""

    def __init__(self, target: int, checkpoints: Iterable[int], stop: StopRequest, cache: Path):
        self.target = target
        self.checkpoints = set(checkpoints)
        self.stop = stop
        self.cache = cache
        self.completed = 0
        self.raised: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.records_written = 0
        self.run_time_s = 0.0
        self.slowest_s = 0.0
        self.last: RunSummary | None = None
        self.samples: list[Sample] = []
        self.started = time.monotonic()
        self.done = threading.Event()

    def __call__(self, settings: Settings, **kwargs: Any) -> RunSummary:
        try:
            summary = pipeline.run(settings, **kwargs)
        except BaseException as exc:
            self.raised[type(exc).__name__] += 1
            raise
        self.completed += 1
        self.last = summary
        self.outcomes[run_status.outcome_of(summary)] += 1
        self.requests.update(summary.requests)
        self.records_written += sum(d.written for d in summary.digests)
        self.run_time_s += summary.duration_s
        self.slowest_s = max(self.slowest_s, summary.duration_s)
        if self.completed in self.checkpoints:
            elapsed = time.monotonic() - self.started
            self.samples.append(take_sample(self.completed, elapsed, self.cache))
        if self.completed >= self.target:
            # Stop before returning: the job starts no run once a stop is requested, so the
            # last run is this one and status.json must describe it.
            self.stop.request("benchmark")
            self.done.set()
        return summary


class LogTally(logging.Handler):
    """Counts WARNING+ records by logger and message template; prints each template once."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        key = (record.levelname, record.name, str(record.msg))
        self.counts[key] += 1
        if self.counts[key] == 1:
            print(f"  log (first of its kind): {record.levelname} {record.name}: "
                  f"{record.getMessage()}", file=sys.stderr)  # fmt: skip


# --- the benchmark ---------------------------------------------------------------------------


def checkpoints_for(runs: int) -> list[int]:
    return sorted({n for n in (1, runs // 4, runs // 2, 3 * runs // 4, runs) if n >= 1})


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def print_table(samples: list[Sample]) -> None:
    print(f"{'runs':>6} {'elapsed_s':>10} {'rss_MiB':>8} {'peak_MiB':>9} {'py_objects':>11} "
          f"{'threads':>8} {'fds':>5} {'cache_KiB':>10}")  # fmt: skip
    for s in samples:
        print(f"{s.runs:>6} {s.elapsed_s:>10.2f} {mib(s.rss_kib):>8} {mib(s.peak_kib):>9} "
              f"{s.objects:>11} {s.threads:>8} {s.fds:>5} {s.cache_kib:>10}")  # fmt: skip


def final_checks(corpus: Corpus, cache_dir: Path, runs: Runs, job_failed: int) -> list[bool]:
    """Records are valid JSON (and match the schema), status.json names the last run."""
    results: list[bool] = []

    def check(ok: bool, text: str) -> None:
        results.append(ok)
        print(f"  [{'ok' if ok else 'FAIL'}] {text}")

    validator: Any = None
    try:
        import jsonschema  # type: ignore[import-untyped]

        schema = json.loads((ROOT / "enricher" / "record.schema.json").read_text("utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
    except ImportError:
        pass
    records = sorted(corpus.folder.glob(f"*{RECORD_SUFFIX}"))
    bad: list[str] = []
    for record in records:
        try:
            data = json.loads(record.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            bad.append(f"{record.name}: {exc}")
            continue
        if validator is not None:
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
            bad += [f"{record.name}: {e.message}" for e in errors[:3]]
    schema_note = " and match record.schema.json" if validator is not None else ""
    check(
        len(records) == corpus.digests and not bad,
        f"{len(records)} of {corpus.digests} record files are valid JSON{schema_note}"
        + "".join(f"\n         {b}" for b in bad),
    )

    status_path = cache_dir / STATUS_NAME
    try:
        status = json.loads(status_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        check(False, f"{STATUS_NAME}: unreadable: {exc}")
        status = {}
    last_run = status.get("last_run") or {}
    expected = run_status.outcome_of(runs.last) if runs.last else None
    expected_exit = runs.last.exit_code if runs.last else None
    check(
        last_run.get("outcome") == expected
        and last_run.get("exit_code") == expected_exit
        and last_run.get("trigger") == "scheduled"
        and status.get("running") is None,
        f"{STATUS_NAME} last_run: outcome {last_run.get('outcome')!r} (last run: {expected!r}), "
        f"exit_code {last_run.get('exit_code')!r} (last run: {expected_exit!r}), "
        f"trigger {last_run.get('trigger')!r}, running {status.get('running')!r}",
    )
    if runs.last is not None:
        want = {"links": runs.last.total_links, **{s.value: n for s, n in runs.last.counts.items()}}
        got = last_run.get("counts") or {}
        check(
            all(got.get(k) == v for k, v in want.items()),
            f"{STATUS_NAME} last_run counts match the last run's summary: {got}",
        )
    check(
        not blocked_lookups,
        "no lookup of a host other than 127.0.0.1"
        + (f": {sorted(set(blocked_lookups))}" if blocked_lookups else ""),
    )
    check(
        runs.completed >= runs.target and not runs.raised and job_failed == 0,
        f"{runs.completed} runs completed, none raised ({dict(runs.raised) or 0}), "
        f"none counted as failed by the job ({job_failed})",
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="scheduled runs to complete")
    parser.add_argument("--every", type=float, default=0.05, help="schedule interval, seconds")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="give up after this many seconds (default 900)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.runs < 1 or args.every <= 0:
        parser.error("--runs must be at least 1 and --every more than 0")

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # keep order with stderr
    tally = LogTally()
    logging.basicConfig(level=logging.WARNING, handlers=[tally], force=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # else it logs every request
    refuse_other_hosts()

    server = LocalServer()
    work = Path(tempfile.mkdtemp(prefix="enricher-bench-"))
    try:
        corpus = copy_samples(SAMPLES, work / "digests", server.base_url)
        server.arxiv.known = set(corpus.arxiv_ids)
        repos = sorted(corpus.github_repos)
        for repo in repos[1:]:
            server.github.add(repo)
        if repos:  # one renamed repository: a 301 from the API, then /repositories/...
            owner, name = repos[0].split("/")
            server.github.rename(repos[0], f"{owner}-moved/{name}")
        server.broken = set(corpus.broken)
        server.moved = dict(corpus.moved)
        server.start()

        cache_dir = work / "cache"
        settings = Settings(
            paths=(str(corpus.folder),),
            cache_dir=cache_dir,
            refresh=True,
            allow_private=True,
            arxiv_api_url=f"{server.base_url}/api/query",
            github_api_url=server.base_url,
            arxiv_delay_s=0.0,
        )
        schedule = Schedule(every_s=args.every, cron=None, run_now=True)
        stop = StopRequest()
        runs = Runs(args.runs, checkpoints_for(args.runs), stop, cache_dir)
        scheduler, job = build_scheduler(settings, schedule, stop=stop, run=runs)
        refused: Counter[str] = Counter()

        def on_event(event: JobEvent) -> None:
            refused["still running" if event.code == EVENT_JOB_MAX_INSTANCES else "missed"] += 1

        scheduler.add_listener(on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)

        print("enricher scheduler memory benchmark")
        print(f"  python {sys.version.split()[0]}, pid {os.getpid()}, work folder {work}")
        print(f"  digests: {corpus.digests} copies of {SAMPLES.relative_to(ROOT)}/*.txt, "
              f"{corpus.links} links: {len(corpus.arxiv_ids)} arXiv ids, "
              f"{len(corpus.github_repos)} GitHub repos (1 renamed), {len(corpus.web_urls)} "
              f"web pages ({len(corpus.broken)} answer 404, {len(corpus.moved)} answer 301)")  # fmt: skip
        print(f"  fake arXiv, GitHub and web server: {server.base_url}")
        print(f"  schedule: {schedule.describe()}, run now; refresh, arxiv_delay_s=0, "
              f"allow_private; target {args.runs} runs")  # fmt: skip
        print()

        runs.samples.append(take_sample(0, 0.0, cache_dir))  # before the scheduler starts
        runs.started = time.monotonic()
        scheduler.start()
        finished = runs.done.wait(args.timeout)
        wall_s = time.monotonic() - runs.started
        if finished:
            wall_s = runs.samples[-1].elapsed_s  # when the last run completed
        stop.request("benchmark" if finished else "benchmark timeout")
        scheduler.shutdown(wait=True)
        server.stop()

        print_table(runs.samples)
        print()
        by_runs = {s.runs: s for s in runs.samples}
        first, last = by_runs.get(1), runs.samples[-1]
        done = runs.completed
        print(f"wall time: {wall_s:.2f} s for {done} runs ({done / wall_s:.1f} runs/s); "
              f"run time {runs.run_time_s / max(done, 1) * 1000:.0f} ms mean, "
              f"{runs.slowest_s * 1000:.0f} ms slowest")  # fmt: skip
        if first is not None and last.runs > 1:
            quarter = by_runs.get(args.runs // 4) or first
            span = max(last.runs - quarter.runs, 1)
            print(f"RSS: {mib(first.rss_kib)} MiB after 1 run, {mib(last.rss_kib)} MiB after "
                  f"{last.runs} ({(last.rss_kib - first.rss_kib) / 1024:+.1f} MiB); from run "
                  f"{quarter.runs} on {(last.rss_kib - quarter.rss_kib) / span:+.1f} KiB/run; "
                  f"peak {mib(last.peak_kib)} MiB")  # fmt: skip
        server_total = sum(server.requests.values())
        print(f"requests received by the fake server: {server_total} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(server.requests.items()))}); "
              f"answers {dict(sorted(server.statuses.items()))}")  # fmt: skip
        print(f"requests counted by enricher: {sum(runs.requests.values())} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(runs.requests.items()))})")  # fmt: skip
        print(f"scheduler: job.runs {job.runs}, completed {done}, job.failed {job.failed}, "
              f"raised {dict(runs.raised) or 0}; submissions refused while a run was going "
              f"{refused['still running']}, missed {refused['missed']}")  # fmt: skip
        print(f"outcomes: {dict(runs.outcomes)}; records written {runs.records_written} "
              f"({runs.records_written / max(done, 1):.1f} per run)")  # fmt: skip
        if runs.last is not None:
            counts = {s.value: n for s, n in runs.last.counts.items() if n}
            print(f"last run: {runs.last.total_links} links {counts}, exit {runs.last.exit_code}")
        if tally.counts:
            print("log records at WARNING or above:")
            for (level, name, msg), n in tally.counts.most_common():
                print(f"  {n:>6} x {level} {name}: {msg}")
        else:
            print("log records at WARNING or above: none")
        print()
        print("checks:")
        results = final_checks(corpus, cache_dir, runs, job.failed)
        ok = finished and all(results)
        print(f"\n{'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
