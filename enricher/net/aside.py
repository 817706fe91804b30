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
import weakref
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")

AT_ONCE = 2
"""Threads at work at once (this machine's cores); more wait for one, within their bound."""

_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def run_aside(work: Callable[[], _T], within_s: float) -> _T | None:
    """``work()``'s result, computed on a daemon thread; None when it raised or took longer
    than ``within_s`` (it then finishes unwatched, still holding its slot)."""
    loop = asyncio.get_running_loop()
    slots = _slots.setdefault(loop, asyncio.Semaphore(AT_ONCE))
    done: asyncio.Future[_T | None] = loop.create_future()

    def finish(result: _T | None) -> None:
        slots.release()
        if not done.done():
            done.set_result(result)

    def run() -> None:
        result: _T | None = None
        with contextlib.suppress(Exception):  # anyone's input, third-party code
            result = work()
        with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
            loop.call_soon_threadsafe(finish, result)

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within_s):
            await slots.acquire()
            threading.Thread(target=run, name="enricher-aside", daemon=True).start()
            return await done
    return None
