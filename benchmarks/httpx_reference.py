#!/usr/bin/env python3
"""A reference client for ``mixed.py``: what httpx alone costs on this machine.

It checks the digests' links the plainest way httpx allows, with none of enricher's work:
one ``httpx.AsyncClient`` per host holding at most ``--per-host`` connections, redirects
followed by httpx, every body read, a 429 or 503 asked again up to ``--attempts`` times
after its Retry-After (1 s when none is named), the client's ``--timeout``. No pacing, no
page judging, no cache, no records: its wall time is a floor for any httpx-based client of
the same concurrency on the same machine, not a link checker's result. Its verdicts are
written only so the runner can count them; bot walls and parking pages come out as what
their status says.

    python benchmarks/httpx_reference.py DIGEST... --timeout 10 --output verdicts.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

LINK = re.compile(r"^\s*\[[^\]]*\]\s+(https?://\S+)\s*$")
"""A digest's link-list line: ``[TITLE] URL``."""

PUSHBACK = frozenset({429, 503})
LONGEST_WAIT_S = 10.0
MAX_REDIRECTS = 10
"""enricher's default ``--max-redirects`` (httpx's own is 20): a loop costs as many requests."""


def links_of(paths: list[Path]) -> list[str]:
    """The unique URLs of the digests' link lists, in order."""
    urls: dict[str, None] = {}
    for path in paths:
        for line in path.read_text("utf-8").splitlines():
            if match := LINK.match(line):
                urls.setdefault(match.group(1))
    return list(urls)


def verdict_of(response: httpx.Response) -> str:
    """The answer in enricher's verdict words, by status alone."""
    if response.is_success:
        moved = any(hop.status_code in (301, 308) for hop in response.history)
        return "redirected" if moved else "ok"
    if response.status_code in (401, 403, 429, 503):
        return "blocked"
    return "broken"


def retry_after_s(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", "1")), LONGEST_WAIT_S)
    except ValueError:
        return 1.0


async def check_all(urls: list[str], per_host: int, timeout_s: float, attempts: int) -> dict:
    limits = httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
    clients: dict[str, httpx.AsyncClient] = {}
    slots: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))

    def client_for(host: str) -> httpx.AsyncClient:
        if host not in clients:
            clients[host] = httpx.AsyncClient(
                timeout=timeout_s,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                limits=limits,
                trust_env=False,
            )
        return clients[host]

    async def check(url: str) -> str:
        host = urlsplit(url).netloc
        for attempt in range(1, attempts + 1):
            async with slots[host]:
                try:
                    response = await client_for(host).get(url)
                except httpx.TooManyRedirects:
                    return "broken"
                except httpx.HTTPError:
                    return "unreachable"
            if response.status_code not in PUSHBACK or attempt == attempts:
                return verdict_of(response)
            await asyncio.sleep(retry_after_s(response))
        return "unreachable"  # not reached: the last attempt returns above

    try:
        verdicts = await asyncio.gather(*(check(url) for url in urls))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))
    return dict(zip(urls, verdicts, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("digests", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, required=True, help="verdicts (JSON) here")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--per-host", type=int, default=6)
    parser.add_argument("--attempts", type=int, default=3)
    args = parser.parse_args(argv)
    urls = links_of(args.digests)
    verdicts = asyncio.run(check_all(urls, args.per_host, args.timeout, args.attempts))
    args.output.write_text(json.dumps(verdicts, indent=1, sort_keys=True), "utf-8")
    print(f"{len(verdicts)} URLs checked", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
