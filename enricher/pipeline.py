"""One run, start to finish: the function the CLI, the scheduler and CI all call.

digests -> entries -> targets (deduplicated across digests) -> cached or observed facts ->
verdicts per link -> records written beside each digest -> ``RunSummary``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import sniffio

from . import facts as codec
from .authorities.arxiv.api import ArxivApi, BatchFailed
from .authorities.github.api import GithubApi
from .cache import Cache, CachedFact
from .config import Settings
from .digest import binary_problem, decode_digest, limit_links, oversize_message, parse_digest
from .errors import CacheError, EnricherError, Interrupted, UpstreamError, WriteError
from .files import (
    discover_digests,
    is_status_temp,
    read_bytes,
    read_text_if_exists,
    remove_stale_temps,
    write_atomic,
)
from .models import (
    ArxivTarget,
    CheckedLink,
    DigestResult,
    FetchOutcome,
    GithubTarget,
    InvalidTarget,
    Kind,
    LinkEntry,
    Paper,
    Problem,
    Repo,
    RunSummary,
    Status,
    Target,
    Verdict,
    WebTarget,
)
from .net.checker import WebChecker
from .net.context import Clocks, NetContext, RequestCounter
from .net.lanes import run_in_lanes
from .net.pool import web_transport as per_host_transport
from .net.watch import NetworkWatch
from .ops import status_file as run_status
from .ops.changed import changed_digests
from .ops.lock import RunLock, holder_for
from .ops.status_file import STATUS_NAME, SchedulerInfo
from .ops.stopping import StopRequest
from .records import build_record, iso, record_name, same_content, status_counts, to_json
from .urls import classify, is_private_host
from .verdicts import arxiv_verdict, github_verdict, unreachable, web_verdict

log = logging.getLogger(__name__)
_T = TypeVar("_T")

EXIT_OK = 0
EXIT_LINKS_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class Progress(Protocol):
    """Where the pipeline reports progress (a rich bar on a terminal, nothing otherwise)."""

    def start(self, total: int) -> None: ...
    def advance(self, label: str, status: Status) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, total: int) -> None:
        pass

    def advance(self, label: str, status: Status) -> None:
        pass

    def stop(self) -> None:
        pass


# What was observed about one target: the fact and when it was seen.
Fact = FetchOutcome | Paper | Repo | None


@dataclass(frozen=True, slots=True)
class Observation:
    fact: Fact
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class Settled:
    """An entry judged without asking anyone: invalid, excluded or private."""

    kind: Kind
    verdict: Verdict


@dataclass
class _Plan:
    """Each entry's target (or its settled verdict), and the unique targets to look up."""

    decisions: dict[LinkEntry, Target | Settled] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)


def plan_targets(entries: Iterable[LinkEntry], settings: Settings) -> _Plan:
    """Classify every entry; invalid, excluded and private ones get their verdict right away."""
    excludes = [re.compile(p) for p in settings.exclude]
    plan = _Plan()
    for entry in entries:
        if entry.url is None or entry.note is not None:
            plan.decisions[entry] = Settled(Kind.WEB, Verdict(Status.INVALID, entry.note))
            continue
        target = classify(entry.url, settings.max_url_length)
        if isinstance(target, InvalidTarget):
            plan.decisions[entry] = Settled(target.kind, Verdict(Status.INVALID, target.reason))
            continue
        matched = next((p.pattern for p in excludes if p.search(entry.url)), None)
        if matched is not None:
            reason = f"excluded by --exclude {matched!r}"
            plan.decisions[entry] = Settled(target.kind, Verdict(Status.SKIPPED, reason))
            continue
        if (
            isinstance(target, WebTarget)
            and not settings.allow_private
            and is_private_host(target.host)
        ):
            reason = f"private address ({target.host}); use --allow-private to check it"
            plan.decisions[entry] = Settled(target.kind, Verdict(Status.SKIPPED, reason))
            continue
        plan.decisions[entry] = target
        plan.targets.setdefault(target.key, target)
    return plan


def verdict_for(target: Target, observation: Observation) -> Verdict:
    """Re-derive a verdict from a fact, under the current rules."""
    fact, when = observation.fact, observation.observed_at
    if isinstance(target, ArxivTarget):
        assert fact is None or isinstance(fact, Paper)
        return arxiv_verdict(target, fact, when)
    if isinstance(target, GithubTarget):
        assert fact is None or isinstance(fact, Repo)
        return github_verdict(target, fact, when)
    assert fact is not None and not isinstance(fact, Paper | Repo)
    return web_verdict(fact, when)


def _payload(target: Target, fact: Fact) -> dict[str, object]:
    if isinstance(target, ArxivTarget):
        assert fact is None or isinstance(fact, Paper)
        return codec.paper_payload(fact)
    if isinstance(target, GithubTarget):
        assert fact is None or isinstance(fact, Repo)
        return codec.repo_payload(fact)
    assert fact is not None and not isinstance(fact, Paper | Repo)
    return codec.http_payload(fact)


def _from_cache(target: Target, cached: CachedFact) -> Observation | None:
    try:
        if isinstance(target, ArxivTarget):
            fact: Fact = codec.paper_from_payload(cached.payload)
        elif isinstance(target, GithubTarget):
            fact = codec.repo_from_payload(cached.payload)
        else:
            fact = codec.http_from_payload(cached.payload)
    except (KeyError, TypeError, ValueError):
        return None  # a row from another version or damaged: treat as a miss
    return Observation(fact, cached.observed_at)


@dataclass
class _Lookups:
    """Results of the network phase."""

    observations: dict[str, Observation] = field(default_factory=dict)
    failures: dict[str, Verdict] = field(default_factory=dict)
    to_store: list[CachedFact] = field(default_factory=list)
    interrupted: bool = False

    def status_of(self, target: Target) -> Status:
        """The status a looked-up target has now (for the progress display)."""
        observation = self.observations.get(target.key)
        if observation is not None:
            return verdict_for(target, observation).status
        failure = self.failures.get(target.key)
        return failure.status if failure is not None else Status.UNREACHABLE

    def observe(self, target: Target, fact: Fact, when: datetime, etag: str | None = None) -> None:
        observation = Observation(fact, when)
        self.observations[target.key] = observation
        if verdict_for(target, observation).status.is_cacheable:
            self.to_store.append(CachedFact(target.key, when, _payload(target, fact), etag))


async def _look_up(
    targets: list[Target],
    stale: dict[str, CachedFact],
    settings: Settings,
    clocks: Clocks,
    counter: RequestCounter,
    watch: NetworkWatch,
    progress: Progress,
    web_transport: httpx.AsyncBaseTransport | None,
    stop: StopRequest,
) -> _Lookups:
    """Ask the network about every target: web pages, GitHub and arXiv side by side.

    A stop request cancels what is in flight; what was learned so far is returned, marked
    ``interrupted``.
    """
    found = _Lookups()
    # httpcore asks sniffio which event loop runs several times per request; sniffio's
    # documented override answers at once instead of sniffing the current task each time.
    sniffio.current_async_library_cvar.set("asyncio")
    timeout = httpx.Timeout(settings.timeout_s)
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    if web_transport is None:
        # Per-host pools; unless --allow-private, every connection goes through the SSRF
        # guard, to an address checked at connect time.
        web_transport = per_host_transport(settings.per_host, allow_private=settings.allow_private)
    web_client = httpx.AsyncClient(
        timeout=timeout, limits=limits, transport=web_transport, follow_redirects=False,
        headers={"User-Agent": settings.user_agent}, event_hooks={"request": [counter.hook("web")]},
    )  # fmt: skip
    github_client = httpx.AsyncClient(
        base_url=settings.github_api_url, timeout=timeout,
        follow_redirects=False,  # GithubApi follows them, on the API host only
        headers={"User-Agent": settings.user_agent, **GithubApi.headers(settings.github_token)},
        event_hooks={"request": [counter.hook("github")]},
    )  # fmt: skip
    async with web_client, github_client:
        checker = WebChecker(web_client, NetContext(settings, clocks, watch, counter))
        github = GithubApi(
            github_client, attempts=settings.attempts, retry_budget_s=settings.retry_budget_s,
            rate_limit_wait_s=settings.rate_limit_wait_s, watch=watch, sleep=clocks.sleep,
            clock=clocks.now, max_response_bytes=settings.max_response_bytes,
        )  # fmt: skip

        async def check_web(target: WebTarget, let_go: Callable[[], None]) -> None:
            outcome = await checker.check(target.url, let_go)
            log.debug("%s: %s after %d attempt(s)", target.url,
                      getattr(outcome, "status_code", None) or getattr(outcome, "kind", "?"),
                      outcome.attempts)  # fmt: skip
            found.observe(target, outcome, clocks.now())
            progress.advance(target.host, found.status_of(target))

        async def check_github(target: GithubTarget) -> None:
            cached = stale.get(target.key)
            try:
                answer = await github.fetch(target, cached.etag if cached else None)
            except UpstreamError as exc:
                found.failures[target.key] = unreachable(str(exc), network_level=exc.status is None)
            else:
                previous = _from_cache(target, cached) if cached is not None else None
                if answer.not_modified and previous is not None:
                    found.observe(target, previous.fact, clocks.now(), answer.etag)
                else:
                    found.observe(target, answer.repo, clocks.now(), answer.etag)
            progress.advance("api.github.com", found.status_of(target))

        async def check_arxiv(batch: list[ArxivTarget]) -> None:
            if not batch:
                return
            api = ArxivApi(
                settings.arxiv_api_url, delay_s=settings.arxiv_delay_s,
                timeout_s=settings.timeout_s, attempts=settings.attempts,
                retry_budget_s=settings.retry_budget_s, watch=watch,
                sleep=stop.interruptible(clocks.sync_sleep),
                count_request=lambda: counter.add("arxiv"),
                clock=clocks.now, max_response_bytes=settings.max_response_bytes,
            )  # fmt: skip
            error: BatchFailed | None = None
            try:
                papers = await _in_daemon_thread(api.fetch_papers, [t.id for t in batch])
            except BatchFailed as exc:
                papers, error = exc.found, exc
            except Interrupted:
                return
            now = clocks.now()
            for target in batch:
                if target.id in papers:
                    found.observe(target, papers[target.id], now)
                else:
                    assert error is not None
                    found.failures[target.key] = unreachable(
                        str(error), network_level=error.status is None
                    )
                progress.advance("export.arxiv.org", found.status_of(target))

        arxiv_targets = [t for t in targets if isinstance(t, ArxivTarget)]
        jobs: list[Awaitable[None]] = [check_arxiv(arxiv_targets)]
        jobs += [check_github(t) for t in targets if isinstance(t, GithubTarget)]
        web = [t for t in targets if isinstance(t, WebTarget)]
        # Web links start per host as earlier ones' first requests end, not all at once.
        jobs.append(run_in_lanes(web, lambda t: t.host, settings.per_host, check_web))
        gathered = asyncio.gather(*jobs)
        loop = asyncio.get_running_loop()

        def cancel() -> None:
            with contextlib.suppress(RuntimeError):  # the loop already closed: nothing to stop
                loop.call_soon_threadsafe(gathered.cancel)

        unsubscribe = stop.subscribe(cancel)
        try:
            await gathered
        except asyncio.CancelledError:
            if not stop.requested:
                raise
            found.interrupted = True
        finally:
            unsubscribe()
    return found


def _in_daemon_thread(work: Callable[[list[str]], _T], ids: list[str]) -> asyncio.Future[_T]:
    """``asyncio.to_thread``, but in a daemon thread nobody joins.

    The arXiv package blocks in ``requests``; a stop cancels the awaiting side at once, and the
    thread ends at its next (interruptible) pacing sleep or when its request times out, without
    ``asyncio.run`` or the interpreter's exit waiting for it. It writes nothing anywhere.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: _T | None, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled by a stop: nobody wants the answer
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = work(ids)
        except BaseException as exc:  # handed to the awaiting side, like to_thread does
            outcome: tuple[_T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop has closed after a stop
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="enricher-arxiv", daemon=True).start()
    return future


@dataclass(frozen=True, slots=True)
class _Digest:
    """A digest as read: its bytes (hashed into the record), links and input problems."""

    path: Path
    data: bytes
    entries: tuple[LinkEntry, ...]
    problems: tuple[Problem, ...]
    checked: bool = True
    """False for a file not checked at all (binary, over ``--max-digest-size``): no record is
    written for it, so an old record is never replaced by an empty one."""


def _read_digests(paths: list[Path], settings: Settings) -> tuple[list[_Digest], list[str]]:
    """Read and parse each digest; a file that cannot be read is an error and the rest go on.

    A file over ``--max-digest-size`` is read no further than the limit: one Problem at its
    line 1 and a run error (exit 3), since none of its links were checked. A binary file is one
    Problem and no error: it is not a digest. Past ``--max-links`` links, the rest are left
    out, with one Problem at the first of them.
    """
    digests: list[_Digest] = []
    errors: list[str] = []
    for path in paths:
        name = str(path)
        try:
            data, size = read_bytes(path, settings.max_digest_bytes)
        except EnricherError as exc:
            errors.append(str(exc))
            continue
        if size > settings.max_digest_bytes:
            too_big = Problem(name, 1, oversize_message(size, settings.max_digest_bytes))
            digests.append(_Digest(path, b"", (), (too_big,), checked=False))
            errors.append(f"{path}: not checked (over --max-digest-size); its record is kept")
            continue
        binary = binary_problem(data, name)
        if binary is not None:
            digests.append(_Digest(path, data, (), (binary,), checked=False))
            continue
        text, problems = decode_digest(data, name)
        parsed = parse_digest(text, name)
        entries, left_out = limit_links(parsed.entries, settings.max_links)
        digests.append(_Digest(path, data, entries, problems + parsed.problems + left_out))
    return digests, errors


def _changed_since_read(digest: _Digest) -> str | None:
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


def partition_by_freshness(
    targets: dict[str, Target],
    cached: dict[str, CachedFact],
    settings: Settings,
    now: datetime,
) -> tuple[_Lookups, list[Target], dict[str, CachedFact]]:
    """Split targets into answered-from-cache and to-check, under the TTLs and flags.

    Returns what the cache answers (``--offline`` takes stale facts too, and calls the rest
    unreachable), the targets to look up, and their stale cache rows (for ETags).
    """
    lookups = _Lookups()
    to_check: list[Target] = []
    stale: dict[str, CachedFact] = {}
    for key, target in targets.items():
        hit = cached.get(key)
        observation = _from_cache(target, hit) if hit is not None else None
        fresh = (
            observation is not None
            and not settings.refresh
            and (now - observation.observed_at).total_seconds() < settings.ttl_s[target.kind.value]
        )
        if observation is not None and (fresh or settings.offline):
            lookups.observations[key] = observation
        elif settings.offline:
            lookups.failures[key] = unreachable("offline: not in the cache")
        else:
            to_check.append(target)
            if hit is not None and observation is not None:
                stale[key] = hit  # readable: its ETag may save a GitHub request
    return lookups, to_check, stale


def run(
    settings: Settings,
    *,
    clocks: Clocks | None = None,
    progress: Progress | None = None,
    web_transport: httpx.AsyncBaseTransport | None = None,
    stop: StopRequest | None = None,
    trigger: str = "one-shot",
    scheduler: Callable[[], SchedulerInfo] | None = None,
) -> RunSummary:
    """Check every digest named by ``settings`` and write its record; never raises for links.

    ``web_transport`` replaces the network for web pages only (tests); the APIs are reached
    through their configurable endpoints. ``stop`` ends the run at its next safe point: the
    network phase is abandoned (facts learned so far are cached) and records not yet written
    stay as they were. ``trigger`` and ``scheduler`` (asked at start and at the end) are what
    ``status.json`` reports.

    Runs that use the cache hold the run lock in the cache folder, waiting up to
    ``settings.lock_timeout_s`` (``LockHeld``, exit 3, if it stays taken), and keep
    ``<cache>/status.json`` up to date. ``--no-cache`` runs touch neither.

    Raises ``InputError`` for a path that does not exist (exit 2); everything else, a cache
    that cannot be used or a record that cannot be written included, ends in the summary's
    ``errors`` and ``exit_code`` (3) while the rest of the work is done.
    """
    clocks = clocks or Clocks()
    progress = progress or _NoProgress()
    stop = stop or StopRequest()
    paths = discover_digests(list(settings.paths), settings.glob)
    if settings.changed_since is not None:
        kept = changed_digests(paths, settings.changed_since)
        log.info("%d of %d digests changed since %s", len(kept), len(paths),
                 settings.changed_since)  # fmt: skip
        paths = kept
    if not settings.use_cache:
        return _run(settings, paths, clocks, progress, web_transport, stop, trigger)
    started_at = clocks.now()
    lock = RunLock(settings.cache_dir, sleep=stop.interruptible(time.sleep))
    with lock.acquire(holder_for(trigger, started_at), settings.lock_timeout_s):
        if lock.took_over is not None:
            log.warning(
                "took over a stale run lock left by %s, which ended without releasing it",
                lock.took_over.describe(),
            )
        if settings.write:  # a temp file that old is no write in progress, whoever made it
            for stray in remove_stale_temps({path.parent for path in paths}, time.time()):
                log.info("removed %s, left by a run killed while writing a record", stray)
        for stray in remove_stale_temps([settings.cache_dir], time.time(), is_temp=is_status_temp):
            log.info("removed %s, left by a run killed while writing it", stray)
        began = time.monotonic()
        pid = os.getpid()

        def note(change: Callable[..., dict[str, Any]], **facts: Any) -> None:
            info = scheduler() if scheduler else None
            update_status(settings.cache_dir, lambda previous: change(
                previous, pid=pid, trigger=trigger, started_at=started_at, scheduler=info, **facts
            ))  # fmt: skip

        def note_finished(summary: RunSummary | None, error: str | None = None) -> None:
            note(run_status.run_finished, finished_at=clocks.now(),
                 duration_s=time.monotonic() - began, summary=summary, error=error)  # fmt: skip

        # status.json says a run is going, then how it ended, crash included.
        note(run_status.run_started)
        try:
            summary = _run(settings, paths, clocks, progress, web_transport, stop, trigger)
        except BaseException as exc:
            note_finished(None, f"{type(exc).__name__}: {exc}")
            raise
        note_finished(summary)
    return summary


def update_status(
    cache_dir: Path, change: Callable[[dict[str, Any] | None], dict[str, Any]]
) -> None:
    """Rewrite ``status.json`` atomically from its previous content; a failure is only logged
    (the cache beside it will fail loudly if the folder is really unusable)."""
    path = cache_dir / STATUS_NAME
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, run_status.to_json(change(run_status.parse(read_text_if_exists(path)))))
    except (OSError, WriteError) as exc:
        log.warning("%s: cannot update the status file: %s", path, exc)


def _run(
    settings: Settings,
    paths: list[Path],
    clocks: Clocks,
    progress: Progress,
    web_transport: httpx.AsyncBaseTransport | None,
    stop: StopRequest,
    trigger: str,
) -> RunSummary:
    started_at = clocks.now()
    began = time.monotonic()
    # A scheduled run logs one line; the per-digest lines are for people and CI logs.
    detail = logging.DEBUG if trigger == "scheduled" else logging.INFO
    digests, errors = _read_digests(paths, settings)
    plan = plan_targets((e for digest in digests for e in digest.entries), settings)

    cache = _open_cache(settings, started_at, errors)
    counter = RequestCounter()
    watch = NetworkWatch()
    interrupted = stop.requested
    try:
        try:
            cached = cache.get_many(list(plan.targets))
        except CacheError as exc:
            log.warning("%s; checking everything afresh", exc)
            errors.append(str(exc))
            cached = {}
        lookups, to_check, stale = partition_by_freshness(
            plan.targets, cached, settings, started_at
        )
        if to_check and not interrupted:
            log.log(
                detail,
                "checking %d of %d unique targets (%d from cache)",
                len(to_check),
                len(plan.targets),
                len(plan.targets) - len(to_check),
            )
            progress.start(len(to_check))
            try:
                with _fewer_collections():
                    found = asyncio.run(
                        _look_up(
                            to_check, stale, settings, clocks, counter, watch, progress,
                            web_transport, stop,
                        )
                    )  # fmt: skip
            finally:
                progress.stop()
            interrupted = found.interrupted
            lookups.observations.update(found.observations)
            lookups.failures.update(found.failures)
            try:
                # Even an interrupted run keeps what it learned: the next one starts there.
                cache.put_many(found.to_store)
            except CacheError as exc:
                # The verdicts are good; only the next run's savings are lost. Still an
                # error (exit 3): a cache that cannot be written will not fix itself.
                errors.append(str(exc))
    finally:
        cache.close()

    results: list[DigestResult] = []
    for digest in digests:
        links = tuple(_checked(entry, plan, lookups, interrupted) for entry in digest.entries)
        # The safe point: between files. After a stop, the rest keep their old records.
        interrupted = interrupted or stop.requested
        record_path = digest.path.with_name(record_name(digest.path.name))
        written = False
        if not interrupted:
            failed_before = len(errors)
            written = _write_record(digest, links, settings, started_at, errors, record_path)
            refused = len(errors) > failed_before or not digest.checked
            log.log(detail, "%s: %s; record %s", digest.path, _tally(links),
                    _record_state(settings, written, refused))  # fmt: skip
        results.append(
            DigestResult(str(digest.path), str(record_path), links, digest.problems, written)
        )

    summary = summarise(
        results, settings, errors, watch, counter.counts, started_at, time.monotonic() - began,
        interrupted=interrupted,
    )  # fmt: skip
    if interrupted:
        log.warning(
            "run stopped (%s) after %.1f s: %d of %d records written, the rest left as they "
            "were; %d requests",
            stop.reason or "stop requested", summary.duration_s,
            sum(r.written for r in results), len(results), sum(summary.requests.values()),
        )  # fmt: skip
    else:
        log.info(
            "run done: %s to %s (%.1f s): %d links, %s; %d requests; %s (exit %d)",
            iso(started_at), iso(clocks.now()), summary.duration_s, summary.total_links,
            _tally(tuple(link for r in results for link in r.links)),
            sum(summary.requests.values()), run_status.outcome_of(summary), summary.exit_code,
        )  # fmt: skip
    return summary


GC_THRESHOLD0 = 20_000
"""Allocations between young-generation collections during the network phase (Python's
default is 700). Thousands of requests in flight allocate fast and live briefly; collecting
every 700 allocations rescans them over and over (measured: 10-20% of a 2,000-link run's
CPU). Memory is still reclaimed by reference counting; this only spaces out cycle hunts."""


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect cycles less often while checking; what exists before (modules, the parsed
    digests) is frozen out of the scans, and everything is as before afterwards."""
    threshold = gc.get_threshold()
    ours = gc.get_freeze_count() == 0  # an embedding process may have frozen its own
    if ours:
        gc.collect()
        gc.freeze()
    gc.set_threshold(GC_THRESHOLD0, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if ours:
            gc.unfreeze()


def _open_cache(settings: Settings, now: datetime, errors: list[str]) -> Cache:
    """The cache, or none at all when it cannot be opened: the run goes on (and exits 3)."""
    if not settings.use_cache:
        return Cache.disabled()
    try:
        return Cache.open(settings.cache_dir, now)
    except CacheError as exc:
        log.warning("%s; running without the cache", exc)
        errors.append(str(exc))
        return Cache.disabled()


def _write_record(
    digest: _Digest,
    links: tuple[CheckedLink, ...],
    settings: Settings,
    generated_at: datetime,
    errors: list[str],
    record_path: Path,
) -> bool:
    """Write ``<stem>.enriched.json`` unless it would say the same as the one already there."""
    if not settings.write or not digest.checked:
        return False
    changed = _changed_since_read(digest)
    if changed is not None:
        errors.append(changed)
        return False
    record = build_record(
        digest.path.name, digest.data, links, digest.problems, generated_at, settings.metadata
    )
    old = read_text_if_exists(record_path)
    if old is not None and same_content(old, record):
        return False
    try:
        write_atomic(record_path, to_json(record))
    except WriteError as exc:
        errors.append(str(exc))
        return False
    return True


def _tally(links: tuple[CheckedLink, ...]) -> str:
    """``ok 17, unreachable 2``: the statuses present, in vocabulary order."""
    counts = status_counts([link.verdict.status for link in links])
    present = [f"{name} {n}" for name, n in counts.items() if name != "links" and n]
    return ", ".join(present) or "no links"


def _record_state(settings: Settings, written: bool, refused: bool = False) -> str:
    if not settings.write:
        return "not written (--no-write)"
    if refused:
        return "not written (see the error or problem above)"
    return "written" if written else "unchanged"


def _checked(
    entry: LinkEntry, plan: _Plan, lookups: _Lookups, interrupted: bool = False
) -> CheckedLink:
    decision = plan.decisions[entry]
    if isinstance(decision, Settled):
        return CheckedLink(entry, decision.kind, None, None, decision.verdict)
    target = decision
    observation = lookups.observations.get(target.key)
    if observation is not None:
        verdict = verdict_for(target, observation)
    else:
        not_checked = "stopped before it was checked" if interrupted else "not checked"
        verdict = lookups.failures.get(target.key) or unreachable(not_checked)
    version = target.version if isinstance(target, ArxivTarget) else None
    return CheckedLink(entry, target.kind, target.id, version, verdict)


def summarise(
    results: list[DigestResult],
    settings: Settings,
    errors: list[str],
    watch: NetworkWatch,
    requests: dict[str, int],
    started_at: datetime,
    duration_s: float,
    *,
    interrupted: bool = False,
) -> RunSummary:
    """Counts, the exit code and the network diagnosis for a finished run."""
    counts = {status: 0 for status in Status}
    for result in results:
        for link in result.links:
            counts[link.verdict.status] += 1
    problems = tuple(p for r in results for p in r.problems)
    unreachable_by_network = any(
        link.verdict.network_level_failure for r in results for link in r.links
    )
    if errors or interrupted:
        exit_code = EXIT_INCOMPLETE
    elif any(counts[status] for status in settings.fail_on):
        exit_code = EXIT_LINKS_FAILED
    else:
        exit_code = EXIT_OK
    return RunSummary(
        digests=tuple(results),
        counts=counts,
        problems=problems,
        exit_code=exit_code,
        network_unavailable=watch.looked_down and unreachable_by_network,
        requests=dict(requests),
        started_at=started_at,
        duration_s=duration_s,
        errors=tuple(errors),
        interrupted=interrupted,
        fail_on=settings.fail_on,
    )
