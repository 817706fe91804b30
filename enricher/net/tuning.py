"""Runtime settings for a run: fewer garbage-collector passes while it works."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

GC_THRESHOLD0 = 20_000
"""Allocations between young-generation collections during a run (Python's default is 700).
Thousands of requests in flight, and a warm run's thousands of cached facts, states and
record objects, allocate fast and live briefly; collecting every 700 allocations rescans
them over and over (measured: 10-20% of a 2,000-link run's CPU). Memory is still reclaimed
by reference counting; this only spaces out cycle hunts."""


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cycles less often during a run; what exists before (modules, settings) is
    frozen out of the scans, and everything is as before afterwards.

    Nothing is collected first: a fresh process has no garbage to find (a full collection
    here scanned every object of the modules just imported, 10 ms before the first request,
    and found none). A long-lived process collects after each run (``ops.scheduler``), so a
    run's garbage is not frozen through the next one."""
    threshold = gc.get_threshold()
    ours = gc.get_freeze_count() == 0  # an embedding process may have frozen its own
    if ours:
        gc.freeze()
    gc.set_threshold(GC_THRESHOLD0, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if ours:
            gc.unfreeze()
