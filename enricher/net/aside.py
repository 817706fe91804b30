"""Work run on a thread of its own and waited for with a bound, off the event loop every
request's timers run on.

For big pages' parsing: Lexbor lets go of the GIL while it builds its tree, so a page the
parser is slow on (hostile markup, whatever the read rules in ``page_start`` missed) holds up
its own link, which is judged without its page facts after the bound, not the whole run. The
thread is a daemon: one still parsing when the run ends does not hold the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")

AT_ONCE = 2
"""Threads at work at once (this machine's cores); more wait for one, within their bound."""


class Aside:
    """Runs work on daemon threads, ``at_once`` at a time; one per run (its slots belong to
    the run's event loop)."""

    def __init__(self, at_once: int = AT_ONCE) -> None:
        self._slots = asyncio.Semaphore(at_once)

    async def run(self, work: Callable[[], _T], within_s: float) -> _T | None:
        """``work()``'s result, computed on a daemon thread; None when it raised or took
        longer than ``within_s`` (it then finishes unwatched, still holding its slot)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[_T | None] = loop.create_future()

        def finish(result: _T | None) -> None:
            self._slots.release()
            if not done.done():
                done.set_result(result)

        def run() -> None:
            result: _T | None = None
            try:
                with contextlib.suppress(Exception):  # anyone's input, third-party code
                    result = work()
            finally:  # whatever ends the work, its slot is given back
                with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                    loop.call_soon_threadsafe(finish, result)

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                await self._slots.acquire()
                try:
                    threading.Thread(target=run, name="enricher-aside", daemon=True).start()
                except RuntimeError:  # no thread to be had (a limit, the interpreter ending)
                    self._slots.release()
                    return None
                return await done
        return None
