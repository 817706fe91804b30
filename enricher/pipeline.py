"""One run, start to finish: the function the CLI, the scheduler and CI all call.

read -> plan -> look up -> judge -> write -> summarise: digests are read and parsed; each URL
is claimed by the first authority that knows it, as a target checked once per run however
many digests cite it; the cache answers what it still knows, the authorities look up the
rest (each with its own client, pace and budget); each target's verdict, history and change
is derived once (``knowledge``); a record is written beside each digest; the run ends as a
``RunSummary``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sniffio

from .authorities import (
    AUTHORITIES,
    plan_targets,
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
    write_atomic,
)
from .knowledge import Knowledge, OldRecords
from .knowledge import record_path as path_of_record
from .models import (
    CheckedLink,
    DigestResult,
    LookupResult,
    NoProgress,
    Plan,
    Progress,
    RunSummary,
    Target,
)
from .net.context import Clocks, NetContext, RequestCounter
from .net.tuning import fewer_collections
from .net.watch import NetworkWatch
from .net.wayback_feed import SnapshotFeed
from .ops.changed import changed_digests
from .ops.status_file import SchedulerInfo
from .ops.stopping import StopRequest
from .ops.supervise import supervised
from .page_signals import judge_page
from .records import (
    build_record,
    iso,
    same_content,
    to_json,
)
from .report_words import refusals_words
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
    if not paths:
        # Said, not failed: a folder of digests yet to come is fine; a wrong path or glob in
        # CI should not pass unnoticed.
        log.warning("no digests found in %s (--glob %s)", ", ".join(settings.paths),
                    ",".join(settings.glob))  # fmt: skip
    if settings.changed_since is not None:
        kept = changed_digests(paths, settings.changed_since)
        log.info("%d of %d digests changed since %s", len(kept), len(paths),
                 settings.changed_since)  # fmt: skip
        paths = kept

    def work() -> RunSummary:
        try:
            with fewer_collections():  # a run allocates fast and briefly, warm or cold
                return _run(settings, paths, clocks, progress, web_transport, stop, trigger)
        finally:  # a scheduler's process keeps no run's pages past the run
            judge_page.cache_clear()

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
    knowledge = Knowledge(settings, progress, clocks.now)
    # The arXiv edge runs in a thread: its pacing sleep ends at once on a stop.
    clocks = replace(clocks, sync_sleep=stop.interruptible(clocks.sync_sleep))
    context = NetContext(settings, clocks, NetworkWatch(), RequestCounter())
    interrupted = stop.requested
    cache = Cache.open_or_none(settings, started_at, errors)
    try:
        to_check, previous = knowledge.load(
            plan, cache, started_at, errors, [str(digest.path) for digest in digests]
        )
        snapshots = _snapshot_feed(knowledge, plan, cache, context)
        if (to_check or (snapshots and snapshots.waiting)) and not interrupted:
            if to_check:
                log.log(detail, "checking %d of %d unique targets (%d from cache)",
                        len(to_check), len(plan.targets),
                        len(plan.targets) - len(to_check))  # fmt: skip
                progress.start(len(to_check))
            try:
                lookup = Lookup(context, previous, _found(knowledge, plan, snapshots),
                                web_transport)  # fmt: skip
                interrupted = asyncio.run(_look_up(
                    to_check, lookup, stop, snapshots,
                    lambda: knowledge.archive_asks(plan, knowledge.after),
                ))  # fmt: skip
            finally:
                if to_check:
                    progress.stop()
        new_states = knowledge.new_states(interrupted or stop.requested)
        if snapshots is not None:
            # After a stop, what was not asked keeps its cached snapshot, however old.
            snapshots.want(knowledge.archive_asks(plan, new_states))
            knowledge.archived(snapshots.rows, snapshots.answers)
        if settings.format == "html" or settings.html_output is not None:
            knowledge.recall_recent(plan, cache)  # the strip's checks: before this run's land
        try:
            # Even an interrupted run keeps what it learned: the next one starts there.
            cache.save(knowledge.to_store, knowledge.checks, new_states, knowledge.to_keep)
        except CacheError as exc:
            # The verdicts are good; only the next run's savings are lost. Still an
            # error (exit 3): a cache that cannot be written will not fix itself. Its history
            # did not move either: telling (and notifying) changes would repeat every run.
            errors.append(str(exc))
            knowledge.history_known = False
    finally:
        cache.close()

    results: list[DigestResult] = []
    record_owners = _record_owners(digests, knowledge.old_records) if settings.write else {}
    for digest in digests:
        links = tuple(
            knowledge.checked(entry, plan, new_states, interrupted) for entry in digest.entries
        )
        # The safe point: between files. After a stop, the rest keep their old records.
        interrupted = interrupted or stop.requested
        record_path = path_of_record(digest.path)
        owner = record_owners.get(record_path.absolute(), digest.path)
        written = False
        if owner != digest.path:
            # week.md and week.html (or week.txt) name one record: the first keeps it.
            errors.append(
                f"{digest.path}: its record {record_path} is also {owner}'s; not written "
                "(rename one of the two digests)"
            )
        elif not interrupted:
            failed_before = len(errors)
            written = _write_record(
                digest, links, settings, started_at, errors, record_path, knowledge.old_records
            )
            refused = len(errors) > failed_before or not digest.checked
            log.log(detail, "%s: %s; record %s", digest.path, tally(links),
                    _record_state(settings, written, refused))  # fmt: skip
        results.append(
            DigestResult(str(digest.path), str(record_path), links, digest.problems, written)
        )

    summary = summarise(
        results, settings, errors, network_looked_down=context.watch.looked_down,
        requests=context.counter.counts, refusals=context.counter.refusals,
        started_at=started_at,
        duration_s=time.monotonic() - began, interrupted=interrupted,
        history_known=knowledge.history_known,
    )  # fmt: skip
    _log_end(summary, results, stop, clocks.now())
    return summary


def _snapshot_feed(
    knowledge: Knowledge, plan: Plan, cache: Cache, context: NetContext
) -> SnapshotFeed | None:
    """Dead links' snapshots (unless ``--no-archive``): from the cache while fresh
    (``ttl-archive``), else asked for (not ``--offline``) as soon as a verdict wants one,
    while the other lookups run. Those the cache judged are wanted at once."""
    if not context.settings.archive:
        return None
    feed = SnapshotFeed(context, cache.get_many, asking=not context.settings.offline)
    feed.want(knowledge.archive_asks(plan, {}))
    return feed


def _found(
    knowledge: Knowledge, plan: Plan, snapshots: SnapshotFeed | None
) -> Callable[[Target, LookupResult], None]:
    """Where lookups hand their results: to ``knowledge``, and the URLs the verdict makes
    want a snapshot on to ``snapshots``, at once."""
    if snapshots is None:
        return knowledge.found

    def found(target: Target, result: LookupResult) -> None:
        knowledge.found(target, result)
        snapshots.want(knowledge.archive_asks(plan, knowledge.after, (target.key,)))

    return found


async def _look_up(
    targets: list[Target],
    lookup: Lookup,
    stop: StopRequest,
    snapshots: SnapshotFeed | None,
    last_asks: Callable[[], Mapping[str, datetime]],
) -> bool:
    """Every authority looks up its targets, side by side, while ``snapshots`` asks about
    the dead links found so far. Returns True when a stop request cancelled what was in
    flight (what was found before it is kept)."""
    # httpcore asks sniffio which event loop runs several times per request; sniffio's
    # documented override answers at once instead of sniffing the current task each time.
    sniffio.current_async_library_cvar.set("asyncio")
    # One gather: a stop cancels the Wayback asks in the same breath as the lookups.
    gathered = asyncio.gather(
        _look_up_targets(targets, lookup, snapshots, last_asks),
        *([snapshots.serve()] if snapshots is not None else []),
    )
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


async def _look_up_targets(
    targets: list[Target],
    lookup: Lookup,
    snapshots: SnapshotFeed | None,
    last_asks: Callable[[], Mapping[str, datetime]],
) -> None:
    """The authorities' lookups; then ``snapshots`` gets the dead links only the whole run
    tells of (``last_asks``: an ``unreachable`` link's week may end during it), and its end."""
    if targets:
        await asyncio.gather(*(
            authority.look_up([t for t in targets if t.kind == authority.name], lookup)
            for authority in AUTHORITIES
        ))  # fmt: skip
    if snapshots is not None:
        snapshots.want(last_asks())
        snapshots.close()


def _write_record(
    digest: ReadDigest,
    links: tuple[CheckedLink, ...],
    settings: Settings,
    generated_at: datetime,
    errors: list[str],
    record_path: Path,
    old_records: OldRecords,
) -> bool:
    """Write ``<stem>.enriched.json`` unless it would say the same as the one already there."""
    if not settings.write or not digest.checked:
        return False
    changed = changed_since_read(digest)
    if changed is not None:
        errors.append(changed)
        return False
    old = old_records.record(str(digest.path))
    other = _other_owner(digest.path, old)
    if other is not None:
        errors.append(
            f"{digest.path}: its record {record_path} is {other}'s; not written "
            "(rename one of the two digests)"
        )
        return False
    record = build_record(
        digest.path.name, digest.data, links, digest.problems, generated_at, settings.metadata
    )
    if same_content(old, record):
        return False
    try:
        write_atomic(record_path, to_json(record))
    except WriteError as exc:
        errors.append(str(exc))
        return False
    return True


def _record_owners(digests: list[ReadDigest], old_records: OldRecords) -> dict[Path, Path]:
    """For each record two digests of this run would share (``week.md`` and ``week.txt``):
    the one that keeps it. The digest the record on disk was written for, if it is one of
    them, else the first in reading order; the others are not written."""
    sharing: dict[Path, list[Path]] = {}
    for digest in digests:
        sharing.setdefault(path_of_record(digest.path).absolute(), []).append(digest.path)
    owners: dict[Path, Path] = {}
    for record, paths in sharing.items():
        if len(paths) > 1:
            written_for = _written_for(old_records.record(str(paths[0])))
            owners[record] = next((p for p in paths if p.name == written_for), paths[0])
    return owners


def _written_for(record: dict[str, Any] | None) -> str | None:
    """The digest file name a record says it was written for."""
    source = record.get("source") if record else None
    name = source.get("file") if isinstance(source, dict) else None
    return name if isinstance(name, str) else None


def _other_owner(digest_path: Path, old_record: dict[str, Any] | None) -> Path | None:
    """The other digest, still beside this one, whose record this digest's would replace
    (``week.md`` checked today, ``week.txt`` alone yesterday), or None."""
    written_for = _written_for(old_record)
    if (
        not written_for
        or written_for in (".", "..", digest_path.name)
        or "/" in written_for
        or "\\" in written_for
    ):
        return None
    other = digest_path.with_name(written_for)
    try:
        if not other.is_file() or other.samefile(digest_path):
            return None  # gone (renamed), or this file under another case
    except OSError:
        return None
    return other


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
    requests = f"{sum(summary.requests.values())} requests"
    if refused := refusals_words(summary.refusals):
        requests += f" ({refused})"
    if summary.interrupted:
        log.warning(
            "run stopped (%s) after %.1f s: %d of %d records written, the rest left as they "
            "were; %s",
            stop.reason or "stop requested", summary.duration_s,
            sum(r.written for r in results), len(results), requests,
        )  # fmt: skip
        return
    from .ops.status_file import outcome_of

    log.info(
        "run done: %s to %s (%.1f s): %d links, %s; %s; %s; %s (exit %d)",
        iso(summary.started_at), iso(ended_at), summary.duration_s, summary.total_links,
        tally(tuple(link for r in results for link in r.links)), requests,
        changes_line(summary), outcome_of(summary), summary.exit_code,
    )  # fmt: skip
