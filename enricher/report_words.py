"""The phrases every report format shares (text, JSON, CI annotations, Markdown, HTML): one
source for each, so the formats cannot drift apart in what they say. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from .models import CheckedLink, LabelMatch, RunSummary, Status
from .records import titles_of
from .summary import fails_run

NETWORK_DOWN_NOTE = (
    "the network looks unavailable: no host answered during this run, so links that could "
    "not be reached are marked unreachable, not broken"
)


REFUSING_HOSTS_NAMED = 3
"""Hosts named in the line about refusals, most refusing first."""


def refusals_words(refusals: Mapping[str, int]) -> str | None:
    """``14 refused (429/503) by 3 hosts: a.org 6, b.org 5, c.org 3``: the answers that
    refused requests (a limit's or a failing page's), as the run's text report and its last
    log line tell them; None when no host refused."""
    total = sum(refusals.values())
    if not total:
        return None
    ranked = sorted(refusals.items(), key=lambda item: (-item[1], item[0]))
    named = ", ".join(f"{host} {n}" for host, n in ranked[:REFUSING_HOSTS_NAMED])
    more = len(ranked) - REFUSING_HOSTS_NAMED
    hosts = f"{len(ranked)} host{'s' if len(ranked) != 1 else ''}"
    return f"{total} refused (429/503) by {hosts}: {named}" + (f", {more} more" if more > 0 else "")


def mismatch_note(link: CheckedLink) -> str:
    """``the label does not match “Attention Is All You Need”``: the warning's one reason."""
    titles = titles_of(link.metadata)
    shown = f" “{' '.join(titles[0].split())[:120]}”" if titles else " the title"
    return f"the label does not match{shown}; likely the wrong link"


def policy_words(summary: RunSummary) -> list[str]:
    """The ``--fail-on`` policy as words, statuses in vocabulary order, then ``mismatch``."""
    words = [status.value for status in Status if status in summary.fail_on]
    if LabelMatch.MISMATCH in summary.fail_on:
        words.append(LabelMatch.MISMATCH.value)
    return words


def streak(link: CheckedLink, summary: RunSummary) -> str | None:
    """``3 failing checks in a row``, and when ``--fail-after`` still spares the link, when it
    will fail the run; None for a link whose latest check did not fail."""
    count = link.consecutive_failures
    if not count:
        return None
    text = f"{count} failing check{'s' if count != 1 else ''} in a row"
    if link.verdict.status in summary.fail_on and not fails_run(summary, link):
        text += f"; fails the run at {summary.fail_after}"
    return text
