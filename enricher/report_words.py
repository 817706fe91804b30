"""The phrases every report format shares (text, JSON, CI annotations, Markdown, HTML): one
source for each, so the formats cannot drift apart in what they say. Pure: no I/O."""

from __future__ import annotations

from .models import CheckedLink, LabelMatch, RunSummary, Status
from .records import titles_of
from .summary import fails_run

NETWORK_DOWN_NOTE = (
    "the network looks unavailable: no host answered during this run, so links that could "
    "not be reached are marked unreachable, not broken"
)


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
