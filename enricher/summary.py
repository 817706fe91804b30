"""A finished run in numbers: its counts, its exit code and the fail policy. Pure: no I/O.

Exit codes are a contract with scripts and CI: 0 every link passed the ``--fail-on`` policy;
1 links failed it; 2 usage or configuration error; 3 the run could not complete (a record or
the cache could not be written, another run holds the lock, a stop). Signals give 128+N
(``ops.stopping``).
"""

from __future__ import annotations

from datetime import datetime

from .config import Settings
from .history import counts_against
from .models import Change, CheckedLink, DigestResult, RunSummary, Status
from .records import status_counts

EXIT_OK = 0
"""Every link passed the ``--fail-on`` policy."""
EXIT_LINKS_FAILED = 1
"""Links failed the ``--fail-on`` policy (default: broken, invalid)."""
EXIT_USAGE = 2
"""A usage or configuration error: nothing was checked."""
EXIT_INCOMPLETE = 3
"""The run could not complete: a record or the cache could not be written, or it stopped."""


def exit_code(links_failing: int, incomplete: bool) -> int:
    """The fail policy: an incomplete run is 3 whatever its links; else 1 when any link fails
    the run (``history.counts_against``); else 0."""
    if incomplete:
        return EXIT_INCOMPLETE
    if links_failing:
        return EXIT_LINKS_FAILED
    return EXIT_OK


def summarise(
    results: list[DigestResult],
    settings: Settings,
    errors: list[str],
    *,
    network_looked_down: bool,
    requests: dict[str, int],
    refusals: dict[str, int] | None = None,
    started_at: datetime,
    duration_s: float,
    interrupted: bool = False,
    history_known: bool = True,
) -> RunSummary:
    """Counts, the exit code and the network diagnosis for a finished run.

    The network is called unavailable only when the watch saw it down and some link failed
    for want of any answer at all.
    """
    counts = {status: 0 for status in Status}
    for result in results:
        for link in result.links:
            counts[link.verdict.status] += 1
    unreachable_by_network = any(
        link.verdict.network_level_failure for r in results for link in r.links
    )
    failing = sum(
        counts_against(link, settings.fail_on, settings.fail_after)
        for r in results
        for link in r.links
    )
    return RunSummary(
        digests=tuple(results),
        counts=counts,
        problems=tuple(p for r in results for p in r.problems),
        exit_code=exit_code(failing, bool(errors) or interrupted),
        network_unavailable=network_looked_down and unreachable_by_network,
        requests=dict(requests),
        refusals=dict(refusals or {}),
        started_at=started_at,
        duration_s=duration_s,
        errors=tuple(errors),
        interrupted=interrupted,
        fail_on=settings.fail_on,
        fail_after=settings.fail_after,
        history_known=history_known,
    )


def tally(links: tuple[CheckedLink, ...]) -> str:
    """``ok 17, unreachable 2``: the statuses present, in vocabulary order."""
    counts = status_counts([link.verdict.status for link in links])
    present = [f"{name} {n}" for name, n in counts.items() if name != "links" and n]
    return ", ".join(present) or "no links"


def changed(summary: RunSummary) -> dict[Change, list[tuple[DigestResult, CheckedLink]]]:
    """The links whose standing under ``--fail-on`` moved since the previous run (and those
    still failing), by change, in digest and line order; every change has its list."""
    lists: dict[Change, list[tuple[DigestResult, CheckedLink]]] = {change: [] for change in Change}
    for digest in summary.digests:
        for link in digest.links:
            if link.change is not None:
                lists[link.change].append((digest, link))
    return lists


def change_counts(summary: RunSummary) -> dict[str, int]:
    """``{"newly_failing": 2, "recovered": 1, "still_failing": 4}``."""
    return {change.value: len(links) for change, links in changed(summary).items()}


def anything_changed(summary: RunSummary) -> bool:
    """A link newly failed or recovered: what a notification is for."""
    counts = change_counts(summary)
    return bool(counts[Change.NEWLY_FAILING] or counts[Change.RECOVERED])


def changes_line(summary: RunSummary) -> str:
    """``changes since last run: 2 newly broken, 1 recovered`` (plus those still failing)."""
    if not summary.history_known:
        return "changes since last run: not known (no cache, so no history)"
    counts = change_counts(summary)
    line = (
        f"changes since last run: {counts[Change.NEWLY_FAILING]} newly broken, "
        f"{counts[Change.RECOVERED]} recovered"
    )
    if counts[Change.STILL_FAILING]:
        line += f" ({counts[Change.STILL_FAILING]} still failing)"
    return line


def fails_run(summary: RunSummary, link: CheckedLink) -> bool:
    """Whether ``link`` counted against the run's policy (``--fail-on``, ``--fail-after``)."""
    return counts_against(link, summary.fail_on, summary.fail_after)
