"""Start-up: importing the CLI leaves out the libraries a run may never need.

Time is not measured here (``benchmarks/startup.py`` does that); what is checked is which
libraries ``import enricher.cli`` loads, in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

LAZY = frozenset(
    {"apscheduler", "arxiv", "jinja2", "rapidfuzz", "requests", "rich", "selectolax", "tomllib"}
)
"""Imported where they are used, not by the CLI's import: the arXiv package (and requests under
it) by the first papers looked up, rapidfuzz by the first fuzzy comparison, selectolax by the
first page read, Jinja2 by the first HTML report, tomllib for a config file, APScheduler by
``enricher schedule``, rich for a person at a terminal."""


def test_cli_import_leaves_out_the_libraries_a_run_may_not_need() -> None:
    """``import enricher.cli`` imports none of the heavy libraries a run loads only on demand."""
    probe = (
        "import sys, enricher.cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(LAZY)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", f"imported by enricher.cli: {done.stdout.strip()}"
