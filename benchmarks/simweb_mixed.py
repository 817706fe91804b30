#!/usr/bin/env python3
"""simweb for the mixed workload (``mixed.py``): ``simweb.py`` unchanged, imported and
subclassed. Three differences, read from or kept beside the usual counters:

- ``/slow/`` answers after ``world.slow_s`` seconds of the truth file (``mixed.py`` writes 3.0)
  instead of ``simweb.SLOW_S`` (2.0); without that key it is simweb's 2 s.
- with ``world.bare_503`` true, ``/flaky503/`` answers its first request 503 with no
  Retry-After (a page failing once the way most servers fail: nothing tells it from a rate
  limiter's refusal but what the host's other answers show);
- every request a web host receives is timed: host, path, method, when it arrived and when
  its handling ended (``time.monotonic()``, CLOCK_MONOTONIC, the same clock in every process
  of the machine, so a runner can subtract the moment it spawned a client). ``GET /__timeline``
  on the control port returns the list (since the last ``/__reset``); ``/__stats`` gains a
  ``mixed`` section with the hanging requests alone and the server's clock.

Same flags as ``simweb.py``:

    .venv/bin/python benchmarks/simweb_mixed.py --truth CORPUS/truth.json --port 39361 \\
        --ready-file R.json
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simweb  # a sibling script, found through the path above


class MixedSimWeb(simweb.SimWeb):
    def __init__(self, truth: dict[str, Any], port: int, api_latency_s: dict[str, float]) -> None:
        super().__init__(truth, port, api_latency_s)
        self.slow_s = float(truth["world"].get("slow_s", simweb.SLOW_S))
        self.bare_503 = bool(truth["world"].get("bare_503", False))
        self.timeline: list[list[Any]] = []
        """[host index, path, method, arrived, ended or None] per web request since reset."""

    def web_handler(self, index: int) -> Any:
        inner = super().web_handler(index)

        async def handle(request: simweb.Request, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> bool:  # fmt: skip
            entry: list[Any] = [index, request.path, request.method, time.monotonic(), None]
            self.timeline.append(entry)
            try:
                return bool(await inner(request, reader, writer))
            finally:
                entry[4] = time.monotonic()

        return handle

    async def web_answer(self, host: simweb.Host, request: simweb.Request,
                         reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:  # fmt: skip
        path = request.path
        if path.startswith("/slow/") and self.slow_s != simweb.SLOW_S:
            await asyncio.sleep(self.slow_s)
            page = f"<!doctype html><title>{escape(path)}</title><p>a page</p>\n".encode()
            return await self.send(writer, host.stats, request, 200,
                                   {"Content-Type": "text/html; charset=utf-8"}, page)  # fmt: skip
        key = (host.index, path)
        if self.bare_503 and path.startswith("/flaky503/") and key not in self.seen:
            self.seen.add(key)
            await asyncio.sleep(host.latency_s)
            host.stats.scripted_503 += 1
            return await self.send(writer, host.stats, request, 503,
                                   {"Content-Type": "text/html; charset=utf-8"},
                                   b"try later\n")  # fmt: skip
        return await super().web_answer(host, request, reader, writer)

    def stats(self) -> dict[str, Any]:
        data = super().stats()
        hangs = [e for e in self.timeline if e[1].startswith("/hang/")]
        data["mixed"] = {"slow_s": self.slow_s, "clock": time.monotonic(),
                         "timed_requests": len(self.timeline),
                         "hangs": [{"host": f"127.0.0.{h}", "path": p, "method": m,
                                    "arrived": a, "ended": e} for h, p, m, a, e in hangs]}  # fmt: skip
        return data

    def reset(self) -> None:
        super().reset()
        self.timeline = []

    async def control(self, request: simweb.Request, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:  # fmt: skip
        if request.path == "/__timeline":
            body = json.dumps({"clock": time.monotonic(), "requests": self.timeline}).encode()
            return await self.send(writer, simweb.HostStats(), request, 200,
                                   {"Content-Type": "application/json"}, body)  # fmt: skip
        return await super().control(request, reader, writer)


simweb.SimWeb = MixedSimWeb  # type: ignore[misc]  # the subclass, where simweb.run() looks

if __name__ == "__main__":
    sys.exit(simweb.main())
