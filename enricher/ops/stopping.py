"""Stopping a run at its next safe point when asked (SIGTERM, SIGINT), and at once if asked twice.

A safe point is between files: the network phase is abandoned (what it learned is still
cached), and no record is half-written because every write is atomic anyway.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from ..errors import Interrupted

log = logging.getLogger(__name__)

HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set once, from a signal handler or any thread; runs poll it and subscribe to it.

    Deliberately lock-free: a signal handler runs on the main thread between two bytecodes,
    possibly while that thread holds some lock (a ``threading.Event``'s included), so
    ``request`` only sets a flag and calls subscribers, and waiting is polling.
    """

    POLL_S = 0.05

    def __init__(self) -> None:
        self._requested = False
        self._subscribers: list[Callable[[], None]] = []
        self.reason: str | None = None

    @property
    def requested(self) -> bool:
        return self._requested

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self._requested = True
        for notify in list(self._subscribers):
            notify()

    def subscribe(self, notify: Callable[[], None]) -> Callable[[], None]:
        """Call ``notify`` on a request (at once if already requested); returns unsubscribe."""
        self._subscribers.append(notify)
        if self.requested:
            notify()
        return lambda: self._subscribers.remove(notify) if notify in self._subscribers else None

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, less if a stop is requested; True if one was."""
        deadline = time.monotonic() + seconds
        while not self._requested:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.POLL_S, left))
        return True

    def interruptible(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        """``sleep`` that raises ``Interrupted`` instead of sleeping through a stop request.

        The real ``time.sleep`` is replaced by ``wait``; an injected test sleep is called as
        is, and the request checked before and after.
        """

        def wrapped(seconds: float) -> None:
            if self.requested:
                raise Interrupted(self.reason or "stop requested")
            if sleep is time.sleep:
                self.wait(seconds)
            else:
                sleep(seconds)
            if self.requested:
                raise Interrupted(self.reason or "stop requested")

        return wrapped


def exit_code_for(signal_name: str | None) -> int:
    """The shell convention for a process ended by a signal: 128 + its number."""
    if signal_name is None:
        return 1
    try:
        return 128 + int(signal.Signals[signal_name])
    except KeyError:
        return 1


def handle_signals(stop: StopRequest, what: str) -> Callable[[], None]:
    """First SIGINT/SIGTERM: request a stop. Second: exit at once. Returns a restorer.

    Exiting at once is ``os._exit``: no cleanup runs, but the kernel releases the run lock
    and every record write is atomic, so no file is left half-written.
    """

    def on_signal(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.requested:
            log.warning("%s again: exiting now", name)
            os._exit(128 + signum)
        log.warning("%s: %s (send it again to exit at once)", name, what)
        stop.request(name)

    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # only the main thread may set handlers (tests call from others)
    previous = {sig: signal.signal(sig, on_signal) for sig in HANDLED_SIGNALS}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
