"""What a run knows about each unique target, and where it learned it.

The cache answers first (facts, each target's history state, the facts kept aside when a
thing disappeared); the authorities' lookups add what they find; the records already beside
the digests remember what a lost cache forgot. Every verdict, state and change is derived
here, once, and the pipeline asks for each entry's ``CheckedLink``.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .archive import (
    Snapshot,
    archive_key,
    decode_snapshot,
    encode_snapshot,
    moment_of,
    snapshot_in_records,
    wants_archive,
)
from .authorities import (
    authority_of,
    classify,
    complete,
    describe,
    from_cache,
    judge,
    partition_by_freshness,
    to_cache,
)
from .cache import Cache
from .config import Settings
from .errors import CacheError
from .files import read_text_if_exists
from .history import (
    HISTORY_CELLS,
    advance,
    change,
    needs_confirming,
    recent_statuses,
    state_from_fact,
    state_from_record,
)
from .label_match import label_match
from .models import (
    CachedFact,
    Check,
    CheckedLink,
    InvalidTarget,
    LinkEntry,
    LinkState,
    LookupResult,
    Observed,
    Plan,
    Progress,
    Settled,
    Status,
    Target,
    Unanswered,
    Verdict,
)
from .records import (
    context_of,
    links_by_url,
    parse_record,
    record_name,
    remembered,
    sites_of,
    titles_of,
)

log = logging.getLogger(__name__)


def record_path(digest_path: Path) -> Path:
    """Where a digest's record lives: ``<stem>.enriched.json`` beside it."""
    return digest_path.with_name(record_name(digest_path.name))


def _shows_nothing(target: Target, observed: Observed) -> bool:
    """The observation gives the record no object (``arxiv: null``: no such paper)."""
    metadata = authority_of(target).metadata(target, observed.fact)
    return metadata is not None and metadata[1] is None


class OldRecords:
    """The records already beside the digests, each read and parsed at most once a run, when
    first needed (to remember from, or to see whether a new record says the same)."""

    def __init__(self) -> None:
        self._parsed: dict[str, dict[str, Any] | None] = {}
        self._by_url: dict[str, dict[str, Mapping[str, Any]]] = {}

    def record(self, digest_path: str) -> dict[str, Any] | None:
        if digest_path not in self._parsed:
            text = read_text_if_exists(record_path(Path(digest_path)))
            self._parsed[digest_path] = parse_record(text)
        return self._parsed[digest_path]

    def link(self, digest_path: str, url: str) -> Mapping[str, Any] | None:
        if digest_path not in self._by_url:
            self._by_url[digest_path] = links_by_url(self.record(digest_path))
        return self._by_url[digest_path].get(url)


class Earlier:
    """What the records already beside the digests said of each target, under every URL that
    cites it now (a paper cited as ``/abs/`` in one digest and ``/pdf/`` in another is one
    thing), and under any URL of it in any record of the run's digests (a line moved to
    another digest, a link spelled another way): kept through an outage, and their dates
    through a lost cache. Every record is read once, before any is rewritten."""

    def __init__(self, plan: Plan, old: OldRecords, digest_paths: Iterable[str] = ()):
        self._plan = plan
        self._old = old
        self._paths = tuple(digest_paths)
        for path in self._paths:
            old.record(path)  # read now: the run may rewrite it before it is needed
        self._by_key: dict[str, list[Mapping[str, Any]]] | None = None

    def get(self, key: str, url: str | None = None) -> list[Mapping[str, Any]]:
        """The old records' links to ``key``: those citing it as ``url`` first (their
        per-link fields, an arXiv version, are this link's), then the most recently checked
        first (a record rewritten later knows more)."""
        links: list[Mapping[str, Any]] = []
        seen: set[int] = set()  # by identity: a link found both ways is one
        found = (self._old.link(entry.path, entry.url or "")
                 for entry in self._plan.citations.get(key, ()))  # fmt: skip
        for link in itertools.chain(found, self.anywhere(key)):
            if link is not None and id(link) not in seen:
                seen.add(id(link))
                links.append(link)
        links.sort(key=lambda link: str(link.get("checked_at") or ""), reverse=True)
        links.sort(key=lambda link: link.get("url") != url)
        return links

    def anywhere(self, key: str) -> Sequence[Mapping[str, Any]]:
        """Every old record's links to ``key``, in no order (``get`` orders them)."""
        return self._anywhere().get(key, ())

    def _anywhere(self) -> dict[str, list[Mapping[str, Any]]]:
        """Every record's links by the key of their URL (built when first needed)."""
        if self._by_key is None:
            self._by_key = {}
            for path in self._paths:
                for link_url, link in links_by_url(self._old.record(path)).items():
                    target = classify(link_url)
                    if not isinstance(target, InvalidTarget):
                        self._by_key.setdefault(target.key, []).append(link)
        return self._by_key


@dataclass
class Knowledge:
    """What the run knows about each unique target; every verdict, state and change is
    derived here, once."""

    settings: Settings
    progress: Progress
    now: Callable[[], datetime]
    old_records: OldRecords = field(default_factory=OldRecords)
    earlier: Earlier | None = None
    """What the old records said, by target (set by ``load``, which knows the plan)."""
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
    after: dict[str, LinkState] = field(default_factory=dict)
    """The states this run's checks have given so far (``new_states`` once they are over)."""
    to_store: list[CachedFact] = field(default_factory=list)
    """New observations whose verdict may be reused (``Status.is_cacheable``)."""
    checks: list[Check] = field(default_factory=list)
    """This run's checks on the network, for the history."""
    history_known: bool = True
    """False without a usable cache: no history, so no changes can be told."""
    companions: frozenset[str] = frozenset()
    """Keys of companion targets (``Plan.companions``): looked up and cached, never checks."""
    archives: dict[str, Snapshot | None] = field(default_factory=dict)
    """Dead links' Wayback Machine snapshots by URL (None: it has none)."""
    recent: dict[str, tuple[Status, ...]] = field(default_factory=dict)
    """Each target's last checks' statuses, oldest first (``recall_recent``: HTML reports)."""

    def known(self, target: Target, result: LookupResult) -> Verdict:
        """Take a result (from the cache, or ``found`` below) and judge it."""
        verdict = self.verdicts[target.key] = judge(target, result)
        if isinstance(result, Observed):
            self.facts[target.key] = result
        return verdict

    def seed(self, key: str, observed: Observed, status: Status) -> None:
        """A state from a cached fact judged ``status``, for a target with no history yet (a
        cache written before history): its dates start at that observation, not today, and a
        link already failing then is no news now."""
        self.states[key] = state_from_fact(observed.observed_at, status, self.settings.fail_on)

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
        # No check: a spent quota asked nothing; a redirect or address found to be private
        # (``skipped``) was not looked at; a companion (a paper's code links) is no link.
        if (
            (isinstance(result, Observed) or result.asked)
            and verdict.status is not Status.SKIPPED
            and target.key not in self.companions
        ):
            check = Check(target.key, verdict.checked_at or self.now(), verdict.status,
                          verdict.http_status, verdict.reason)  # fmt: skip
            self.checks.append(check)
            state = self.after.get(check.key, self.states.get(check.key))
            self.after[check.key] = advance(
                state, check, self.settings.fail_on, self.settings.fail_after
            )
        self.progress.advance(authority_of(target).label(target), verdict.status)

    def recall_recent(self, plan: Plan, cache: Cache) -> None:
        """Each cited target's last ``HISTORY_CELLS`` checks (``recent``): those the cache
        kept, read in one batch, and this run's, which it has not stored yet. Only what the
        HTML report's strip shows: a cache that cannot be read leaves this run's alone."""
        try:
            kept = cache.recent_checks(list(plan.citations), HISTORY_CELLS)
        except CacheError as exc:
            log.warning("%s; the report shows this run's checks only", exc)
            kept = {}
        self.recent = recent_statuses(kept, self.checks, HISTORY_CELLS)

    def archive_asks(
        self, plan: Plan, new_states: Mapping[str, LinkState], keys: Iterable[str] | None = None
    ) -> dict[str, datetime]:
        """The URLs that want a snapshot (``archive.wants_archive``), with the moment to ask
        about: those of every target the digests cite, or of ``keys`` only (a target just
        looked up: ``new_states`` is then ``after``, the state its check gave it)."""
        now = self.now()
        asks: dict[str, datetime] = {}
        for key in plan.citations if keys is None else keys:
            verdict = self.verdicts.get(key)
            state = new_states.get(key, self.states.get(key))
            if verdict is None or not wants_archive(verdict, state, now):
                continue
            for entry in plan.citations.get(key, ()):
                if entry.url is not None:
                    asks.setdefault(entry.url, moment_of(state, now))
        return asks

    def archived(
        self,
        cached: Mapping[str, CachedFact],
        looked_up: Mapping[str, Snapshot | Unanswered | None],
    ) -> None:
        """Each wanted URL's snapshot: this run's answer, else the cached one (``cached``, by
        URL) however old (an unanswered lookup loses nothing); new answers are queued for
        the cache."""
        now = self.now()
        for url, row in cached.items():
            with contextlib.suppress(KeyError, TypeError, ValueError):
                self.archives[url] = decode_snapshot(row.payload)
        for url, answer in looked_up.items():
            if isinstance(answer, Unanswered):
                continue
            self.archives[url] = answer
            self.to_store.append(CachedFact(archive_key(url), now, encode_snapshot(answer)))

    def _known(self, key: str) -> Observed | None:
        """What the run knows under ``key``: this run's observation, else the last known."""
        return self.facts.get(key) or self.last_known.get(key)

    def new_states(self, interrupted: bool) -> dict[str, LinkState]:
        """Each checked target's state after this run's check. A stopped run keeps each
        standing as it was: it reports and announces no change, so the next complete run
        still sees (and tells) what changed."""
        states = dict(self.after)
        if interrupted:
            for key, state in states.items():
                before = self.states.get(key)
                states[key] = replace(state, failing=before.failing if before else False)
        return states

    def load(
        self,
        plan: Plan,
        cache: Cache,
        now: datetime,
        errors: list[str],
        digest_paths: Iterable[str] = (),
    ) -> tuple[list[Target], dict[str, Observed]]:
        """Let the cache answer what it knows; returns the targets to look up and their stale
        observations (whose ETags may save a request). Also loads each target's history state
        (seeded from an earlier record when the cache has none)."""
        keys = list(plan.targets)
        earlier = self.earlier = Earlier(plan, self.old_records, digest_paths)
        self.companions = frozenset(plan.companions)
        self.history_known = cache.path is not None
        try:
            cached = cache.get_many(keys)
            self.states = cache.get_states(keys)
            kept = cache.get_last_known(keys)
        except CacheError as exc:
            log.warning("%s; checking everything afresh", exc)
            errors.append(str(exc))
            cached, kept = {}, {}
            self.history_known = False
        for key, row in kept.items():
            observed = from_cache(plan.targets[key], row)
            if observed is not None:
                self.kept[key] = observed
        for key in keys:
            if key in self.states:
                continue
            for link in earlier.get(key):
                seeded = state_from_record(link, self.settings.fail_on)
                if seeded is not None:
                    self.states[key] = seeded
                    break
        known, to_check, previous = partition_by_freshness(plan.targets, cached, self.settings, now)
        for key, stale in previous.items():
            if key not in self.states:  # a cache from before history: its fact dates it
                self.seed(key, stale, judge(plan.targets[key], stale).status)
        confirm = self.settings.fail_after > 1 and not self.settings.offline
        for key, result in known.items():
            target = plan.targets[key]
            verdict = self.known(target, result)
            if key not in self.states and isinstance(result, Observed):
                self.seed(key, result, verdict.status)
            if confirm and needs_confirming(
                self.states.get(key),
                verdict.status,
                self.settings.fail_on,
                self.settings.fail_after,
            ):
                self.forget(key)
                to_check.append(target)  # --fail-after wants this failure seen again
                if isinstance(result, Observed):
                    previous[key] = result
        self.last_known = dict(previous)
        return to_check, previous

    def checked(
        self,
        entry: LinkEntry,
        plan: Plan,
        new_states: Mapping[str, LinkState],
        interrupted: bool = False,
    ) -> CheckedLink:
        """One entry's line of the record: its target's verdict, history and change, and its
        authority's object (the last one known, when this run learned nothing)."""
        decision = plan.decisions[entry]
        if isinstance(decision, Settled):
            return CheckedLink(entry, decision.kind, None, decision.verdict)
        target = decision
        key = target.key  # a property that builds the string: once here
        verdict = self.verdicts.get(key)
        if verdict is None:
            not_checked = "stopped before it was checked" if interrupted else "not checked"
            verdict = judge(target, Unanswered(not_checked))
        observed = self.facts.get(key)
        metadata = describe(target, observed)
        if metadata is not None and metadata[1] is None:
            # Nothing known this run: the last thing ever known, wherever it is kept.
            for older in (self.last_known.get(key), self.kept.get(key)):
                described = describe(target, older) if older is not None else None
                if described is not None and described[1] is not None:
                    metadata = described
                    break
            if self.earlier is not None:
                metadata = remembered(metadata, self.earlier.get(key, entry.url))
        metadata = complete(target, metadata, self.settings, self._known)
        archive = self.archives.get(entry.url) if entry.url else None
        if (
            entry.url is not None
            and entry.url not in self.archives  # nothing asked, or no answer
            and not verdict.status.works
            and self.earlier is not None
        ):
            # A copy found before stays while the link does not work: an outage, --offline
            # or a lost cache had erased the archives of links still dead.
            archive = snapshot_in_records(self.earlier.anywhere(key), entry.url)
        before = self.states.get(key)
        after = new_states.get(key, before)
        return CheckedLink(
            entry, target.kind, target.id, verdict, metadata, history=after,
            change=change(before, after) if self.history_known else None,
            archive=archive,
            recent=self.recent.get(key, ()),
            label_match=label_match(
                entry.label, titles_of(metadata), context=context_of(metadata),
                sites=sites_of(metadata, entry.url) if target.kind == "web" else (),
            ),
        )  # fmt: skip
