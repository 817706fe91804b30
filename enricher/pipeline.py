"""One run, start to finish: the function the CLI, the scheduler and CI all call.

read -> plan -> look up -> judge -> write -> summarise: digests are read and parsed; each URL
is claimed by the first authority that knows it, as a target checked once per run however
many digests cite it; the cache answers what it still knows, the authorities look up the
rest (each with its own client, pace and budget); each target's verdict is derived once; a
record is written beside each digest; the run ends as a ``RunSummary``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sniffio

from .authorities import (
    AUTHORITIES,
    authority_of,
    describe,
    from_cache,
    judge,
    partition_by_freshness,
    plan_targets,
    to_cache,
)
from .authorities.base import Lookup
from .cache import Cache
from .config import Settings
from .errors import CacheError, WriteError
from .files import (
    ReadDigest,
    changed_since_read,
    discover_digests,
    read_digests,
    read_text_if_exists,
    write_atomic,
)
from .history import advance, change, needs_confirming, state_from_fact, state_from_record
from .models import (
    CachedFact,
    Check,
    CheckedLink,
    DigestResult,
    LinkEntry,
    LinkState,
    LookupResult,
    NoProgress,
    Observed,
    Plan,
    Progress,
    RunSummary,
    Settled,
    Target,
    Unanswered,
    Verdict,
)
from .net.context import Clocks, NetContext, RequestCounter
from .net.tuning import fewer_collections
from .net.watch import NetworkWatch
from .ops.changed import changed_digests
from .ops.status_file import SchedulerInfo
from .ops.stopping import StopRequest
from .ops.supervise import supervised
from .records import (
    build_record,
    iso,
    links_by_url,
    parse_record,
    record_name,
    remembered,
    same_content,
    to_json,
)
from .summary import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, changes_line, summarise, tally

__all__ = ["EXIT_INCOMPLETE", "EXIT_OK", "EXIT_USAGE", "Clocks", "Progress", "run"]

log = logging.getLogger(__name__)


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
    stay as they were. ``trigger`` and ``scheduler`` are what ``status.json`` reports.

    Runs that use the cache hold the run lock and keep ``<cache>/status.json`` up to date
    (``ops.supervise``); ``--no-cache`` runs touch neither.

    Raises ``InputError`` for a path that does not exist (exit 2); everything else, a cache
    that cannot be used or a record that cannot be written included, ends in the summary's
    ``errors`` and ``exit_code`` (3) while the rest of the work is done.
    """
    clocks = clocks or Clocks()
    progress = progress or NoProgress()
    stop = stop or StopRequest()
    paths = discover_digests(list(settings.paths), settings.glob)
    if settings.changed_since is not None:
        kept = changed_digests(paths, settings.changed_since)
        log.info("%d of %d digests changed since %s", len(kept), len(paths),
                 settings.changed_since)  # fmt: skip
        paths = kept

    def work() -> RunSummary:
        with fewer_collections():  # a run allocates fast and briefly, warm or cold
            return _run(settings, paths, clocks, progress, web_transport, stop, trigger)

    if not settings.use_cache:
        summary = work()
    else:
        summary = supervised(
            work, settings, paths, clocks=clocks, stop=stop, trigger=trigger, scheduler=scheduler
        )
    if settings.notify_command:  # after the lock is released: a slow hook blocks no run
        from .ops.notify import notify_changes  # subprocess & co. only when asked for

        notify_changes(summary, settings, stopped=lambda: stop.requested)
    return summary


@dataclass
class _Findings:
    """What the run knows about each unique target; every verdict is derived here, once."""

    progress: Progress
    now: Callable[[], datetime]
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    facts: dict[str, Observed] = field(default_factory=dict)
    last_known: dict[str, Observed] = field(default_factory=dict)
    """Older observations from the cache, however stale: what a record keeps showing (with
    its ``observed_at``) when this run's lookup found nothing."""
    kept: dict[str, Observed] = field(default_factory=dict)
    """The last observation with something to show (a paper, a repository) of targets whose
    latest says there is nothing (``broken``): kept aside by the cache, never overwritten."""
    to_keep: list[CachedFact] = field(default_factory=list)
    """Observations about to be replaced by one with nothing to show: for ``kept``."""
    states: dict[str, LinkState] = field(default_factory=dict)
    """Each target's history state before this run."""
    to_store: list[CachedFact] = field(default_factory=list)
    """New observations whose verdict may be reused (``Status.is_cacheable``)."""
    checks: list[Check] = field(default_factory=list)
    """This run's checks on the network, for the history."""
    history_known: bool = True
    """False without a usable cache: no history, so no changes can be told."""

    def known(self, target: Target, result: LookupResult) -> Verdict:
        """Take a result (from the cache, or ``found`` below) and judge it."""
        verdict = self.verdicts[target.key] = judge(target, result)
        if isinstance(result, Observed):
            self.facts[target.key] = result
        return verdict

    def seed(self, target: Target, observed: Observed, settings: Settings) -> None:
        """A state from a cached fact, for a target with no history yet (a cache written
        before history): its dates start at that observation, not today, and a link already
        failing then is no news now."""
        status = judge(target, observed).status
        self.states[target.key] = state_from_fact(
            observed.observed_at, status, settings.fail_on, settings.fail_after
        )

    def forget(self, key: str) -> None:
        """Undo ``known``: the target is to be looked up after all."""
        self.verdicts.pop(key, None)
        self.facts.pop(key, None)

    def found(self, target: Target, result: LookupResult) -> None:
        """A lookup's result, as it arrives: judged, queued for the cache and the history,
        shown."""
        verdict = self.known(target, result)
        if isinstance(result, Observed) and verdict.status.is_cacheable:
            self.to_store.append(to_cache(target, result))
            before = self.last_known.get(target.key)
            if (
                before is not None
                and _shows_nothing(target, result)
                and not _shows_nothing(target, before)
            ):
                self.to_keep.append(to_cache(target, before))  # a paper gone: keep what it was
        if isinstance(result, Observed) or result.asked:  # a spent quota asked nothing
            self.checks.append(
                Check(target.key, verdict.checked_at or self.now(), verdict.status,
                      verdict.http_status, verdict.reason)
            )  # fmt: skip
        self.progress.advance(authority_of(target).label(target), verdict.status)

    def new_states(self, settings: Settings, interrupted: bool) -> dict[str, LinkState]:
        """Each checked target's state after this run's check. A stopped run keeps each
        standing as it was: it reports and announces no change, so the next complete run
        still sees (and tells) what changed."""
        states: dict[str, LinkState] = {}
        for check in self.checks:
            before = states.get(check.key, self.states.get(check.key))
            states[check.key] = advance(before, check, settings.fail_on, settings.fail_after)
        if interrupted:
            for key, state in states.items():
                before = self.states.get(key)
                states[key] = replace(state, failing=before.failing if before else False)
        return states


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
    digests, errors = read_digests(paths, settings)
    plan = plan_targets((e for digest in digests for e in digest.entries), settings)
    old_records = _OldRecords()
    earlier = _Earlier(plan, old_records)

    findings = _Findings(progress, clocks.now)
    # The arXiv edge runs in a thread: its pacing sleep ends at once on a stop.
    clocks = replace(clocks, sync_sleep=stop.interruptible(clocks.sync_sleep))
    context = NetContext(settings, clocks, NetworkWatch(), RequestCounter())
    interrupted = stop.requested
    cache = Cache.open_or_none(settings, started_at, errors)
    try:
        to_check, previous = _answer_from_cache(
            plan, cache, settings, started_at, findings, errors, earlier
        )
        if to_check and not interrupted:
            log.log(detail, "checking %d of %d unique targets (%d from cache)", len(to_check),
                    len(plan.targets), len(plan.targets) - len(to_check))  # fmt: skip
            progress.start(len(to_check))
            try:
                lookup = Lookup(context, previous, findings.found, web_transport)
                interrupted = asyncio.run(_look_up(to_check, lookup, stop))
            finally:
                progress.stop()
        new_states = findings.new_states(settings, interrupted or stop.requested)
        try:
            # Even an interrupted run keeps what it learned: the next one starts there.
            cache.save(findings.to_store, findings.checks, new_states, findings.to_keep)
        except CacheError as exc:
            # The verdicts are good; only the next run's savings are lost. Still an
            # error (exit 3): a cache that cannot be written will not fix itself.
            errors.append(str(exc))
    finally:
        cache.close()

    results: list[DigestResult] = []
    for digest in digests:
        links = tuple(
            _checked(entry, plan, findings, settings, new_states, earlier, interrupted)
            for entry in digest.entries
        )
        # The safe point: between files. After a stop, the rest keep their old records.
        interrupted = interrupted or stop.requested
        record_path = _record_path(digest.path)
        written = False
        if not interrupted:
            failed_before = len(errors)
            written = _write_record(
                digest, links, settings, started_at, errors, record_path, old_records
            )
            refused = len(errors) > failed_before or not digest.checked
            log.log(detail, "%s: %s; record %s", digest.path, tally(links),
                    _record_state(settings, written, refused))  # fmt: skip
        results.append(
            DigestResult(str(digest.path), str(record_path), links, digest.problems, written)
        )

    summary = summarise(
        results, settings, errors, network_looked_down=context.watch.looked_down,
        requests=context.counter.counts, started_at=started_at,
        duration_s=time.monotonic() - began, interrupted=interrupted,
        history_known=findings.history_known,
    )  # fmt: skip
    _log_end(summary, results, stop, clocks.now())
    return summary


def _shows_nothing(target: Target, observed: Observed) -> bool:
    """The observation gives the record no object (``arxiv: null``: no such paper)."""
    metadata = authority_of(target).metadata(target, observed.fact)
    return metadata is not None and metadata[1] is None


class _OldRecords:
    """The records already beside the digests, each read and parsed at most once a run, when
    first needed (to remember from, or to see whether a new record says the same)."""

    def __init__(self) -> None:
        self._parsed: dict[str, dict[str, Any] | None] = {}
        self._by_url: dict[str, dict[str, Mapping[str, Any]]] = {}

    def record(self, digest_path: str) -> dict[str, Any] | None:
        if digest_path not in self._parsed:
            text = read_text_if_exists(_record_path(Path(digest_path)))
            self._parsed[digest_path] = parse_record(text)
        return self._parsed[digest_path]

    def link(self, digest_path: str, url: str) -> Mapping[str, Any] | None:
        if digest_path not in self._by_url:
            self._by_url[digest_path] = links_by_url(self.record(digest_path))
        return self._by_url[digest_path].get(url)


class _Earlier:
    """What the records already beside the digests said of each target, under every URL that
    cites it now (a paper cited as ``/abs/`` in one digest and ``/pdf/`` in another is one
    thing): kept through an outage, and their dates through a lost cache. Only the records of
    the digests citing a target are read, when it needs them."""

    def __init__(self, plan: Plan, old: _OldRecords):
        self._plan = plan
        self._old = old

    def get(self, key: str) -> list[Mapping[str, Any]]:
        links: list[Mapping[str, Any]] = []
        for entry in self._citations.get(key, ()):
            link = self._old.link(entry.path, entry.url or "")
            if link is not None and not any(seen is link for seen in links):
                links.append(link)
        return links

    @functools.cached_property
    def _citations(self) -> dict[str, list[LinkEntry]]:
        cited: dict[str, list[LinkEntry]] = {}
        for entry, decision in self._plan.decisions.items():
            if not isinstance(decision, Settled):
                cited.setdefault(decision.key, []).append(entry)
        return cited


def _record_path(digest_path: Path) -> Path:
    return digest_path.with_name(record_name(digest_path.name))


def _answer_from_cache(
    plan: Plan,
    cache: Cache,
    settings: Settings,
    now: datetime,
    findings: _Findings,
    errors: list[str],
    earlier: _Earlier,
) -> tuple[list[Target], dict[str, Observed]]:
    """Let the cache answer what it knows; returns the targets to look up and their stale
    observations (whose ETags may save a request). Also loads each target's history state
    (seeded from an earlier record when the cache has none)."""
    keys = list(plan.targets)
    findings.history_known = cache.path is not None
    try:
        cached = cache.get_many(keys)
        findings.states = cache.get_states(keys)
        kept = cache.get_last_known(keys)
    except CacheError as exc:
        log.warning("%s; checking everything afresh", exc)
        errors.append(str(exc))
        cached, kept = {}, {}
        findings.history_known = False
    for key, row in kept.items():
        observed = from_cache(plan.targets[key], row)
        if observed is not None:
            findings.kept[key] = observed
    for key in keys:
        if key in findings.states:
            continue
        for link in earlier.get(key):
            seeded = state_from_record(link, settings.fail_on, settings.fail_after)
            if seeded is not None:
                findings.states[key] = seeded
                break
    known, to_check, previous = partition_by_freshness(plan.targets, cached, settings, now)
    for key, stale in previous.items():
        if key not in findings.states:  # a cache from before history: its fact dates it
            findings.seed(plan.targets[key], stale, settings)
    confirm = settings.fail_after > 1 and not settings.offline
    for key, result in known.items():
        target = plan.targets[key]
        verdict = findings.known(target, result)
        if key not in findings.states and isinstance(result, Observed):
            findings.seed(target, result, settings)
        if confirm and needs_confirming(
            findings.states.get(key), verdict.status, settings.fail_on, settings.fail_after
        ):
            findings.forget(key)
            to_check.append(target)  # --fail-after wants this failure seen again
            if isinstance(result, Observed):
                previous[key] = result
    findings.last_known = dict(previous)
    return to_check, previous


async def _look_up(targets: list[Target], lookup: Lookup, stop: StopRequest) -> bool:
    """Every authority looks up its targets, side by side. Returns True when a stop request
    cancelled what was in flight (what was found before it is kept)."""
    # httpcore asks sniffio which event loop runs several times per request; sniffio's
    # documented override answers at once instead of sniffing the current task each time.
    sniffio.current_async_library_cvar.set("asyncio")
    gathered = asyncio.gather(*(
        authority.look_up([t for t in targets if t.kind == authority.name], lookup)
        for authority in AUTHORITIES
    ))  # fmt: skip
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
        return True
    finally:
        unsubscribe()
    return False


def _checked(
    entry: LinkEntry,
    plan: Plan,
    findings: _Findings,
    settings: Settings,
    new_states: Mapping[str, LinkState],
    earlier: _Earlier,
    interrupted: bool = False,
) -> CheckedLink:
    """One entry's line of the record: its target's verdict, history and change, and its
    authority's object (the last one known, when this run learned nothing)."""
    decision = plan.decisions[entry]
    if isinstance(decision, Settled):
        return CheckedLink(entry, decision.kind, None, decision.verdict)
    target = decision
    key = target.key  # a property that builds the string: once here
    verdict = findings.verdicts.get(key)
    if verdict is None:
        not_checked = "stopped before it was checked" if interrupted else "not checked"
        verdict = judge(target, Unanswered(not_checked))
    observed = findings.facts.get(key)
    metadata = describe(target, observed)
    if metadata is not None and metadata[1] is None:
        # Nothing known this run: the last thing ever known, wherever it is kept.
        for older in (findings.last_known.get(key), findings.kept.get(key)):
            described = describe(target, older) if older is not None else None
            if described is not None and described[1] is not None:
                metadata = described
                break
        metadata = remembered(metadata, earlier.get(key))
    before = findings.states.get(key)
    after = new_states.get(key, before)
    return CheckedLink(
        entry, target.kind, target.id, verdict, metadata, history=after,
        change=change(before, after) if findings.history_known else None,
    )  # fmt: skip


def _write_record(
    digest: ReadDigest,
    links: tuple[CheckedLink, ...],
    settings: Settings,
    generated_at: datetime,
    errors: list[str],
    record_path: Path,
    old_records: _OldRecords,
) -> bool:
    """Write ``<stem>.enriched.json`` unless it would say the same as the one already there."""
    if not settings.write or not digest.checked:
        return False
    changed = changed_since_read(digest)
    if changed is not None:
        errors.append(changed)
        return False
    record = build_record(
        digest.path.name, digest.data, links, digest.problems, generated_at, settings.metadata
    )
    if same_content(old_records.record(str(digest.path)), record):
        return False
    try:
        write_atomic(record_path, to_json(record))
    except WriteError as exc:
        errors.append(str(exc))
        return False
    return True


def _record_state(settings: Settings, written: bool, refused: bool = False) -> str:
    if not settings.write:
        return "not written (--no-write)"
    if refused:
        return "not written (see the error or problem above)"
    return "written" if written else "unchanged"


def _log_end(
    summary: RunSummary, results: list[DigestResult], stop: StopRequest, ended_at: datetime
) -> None:
    """The run's last log line: how it ended, in numbers."""
    requests = sum(summary.requests.values())
    if summary.interrupted:
        log.warning(
            "run stopped (%s) after %.1f s: %d of %d records written, the rest left as they "
            "were; %d requests",
            stop.reason or "stop requested", summary.duration_s,
            sum(r.written for r in results), len(results), requests,
        )  # fmt: skip
        return
    from .ops.status_file import outcome_of

    log.info(
        "run done: %s to %s (%.1f s): %d links, %s; %d requests; %s; %s (exit %d)",
        iso(summary.started_at), iso(ended_at), summary.duration_s, summary.total_links,
        tally(tuple(link for r in results for link in r.links)), requests,
        changes_line(summary), outcome_of(summary), summary.exit_code,
    )  # fmt: skip
