"""What a person at a terminal sees: a live progress bar, then a coloured summary table.

Only used when stdout and stderr are terminals and neither ``-q``, ``CI``, ``NO_COLOR`` nor
``TERM=dumb`` says otherwise (``cli`` decides); logs and CI get plain text.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from .models import LabelMatch, RunSummary, Status
from .report import mismatches
from .summary import fails_run

STYLES = {
    Status.OK: "green",
    Status.REDIRECTED: "cyan",
    Status.BROKEN: "bold red",
    Status.BLOCKED: "yellow",
    Status.UNREACHABLE: "magenta",
    Status.INVALID: "red",
    Status.SKIPPED: "dim",
}


class RichProgress:
    """A transient bar on stderr: links done / total, a count per status so far, the host."""

    def __init__(self) -> None:
        self._counts = {status: 0 for status in Status}
        self._progress = Progress(
            TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), TextColumn("[dim]{task.fields[host]}"),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("links", total=0, host="", counts="")

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)
        self._progress.start()

    def advance(self, label: str, status: Status) -> None:
        self._counts[status] += 1
        counts = " ".join(f"[{STYLES[s]}]{s.value} {n}[/]" for s, n in self._counts.items() if n)
        self._progress.update(self._task, advance=1, host=label, counts=counts)

    def stop(self) -> None:
        self._progress.stop()


def print_summary_table(summary: RunSummary) -> None:
    """Counts per status, coloured, failing statuses marked, on stdout."""
    table = Table(title=f"{summary.total_links} links in {len(summary.digests)} digests",
                  title_justify="left")  # fmt: skip
    table.add_column("status")
    table.add_column("links", justify="right")
    failing = {link.verdict.status for d in summary.digests for link in d.links
               if fails_run(summary, link) and link.verdict.status in summary.fail_on}  # fmt: skip
    for status in Status:
        count = summary.counts.get(status, 0)
        mark = " (fails the run)" if status in failing else ""
        style = STYLES[status] if count else "dim"
        table.add_row(f"[{style}]{status.value}{mark}[/]", f"[{style}]{count}[/]")
    mismatched = len(mismatches(summary))
    if mismatched:  # a warning beside the statuses, not one of them
        mark = " (fails the run)" if LabelMatch.MISMATCH in summary.fail_on else ""
        table.add_row(f"[yellow]label mismatch{mark}[/]", f"[yellow]{mismatched}[/]")
    Console(file=sys.stdout).print(table)
