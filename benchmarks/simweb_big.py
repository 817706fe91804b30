#!/usr/bin/env python3
"""simweb with real-size pages: ``simweb.py`` unchanged, imported; only its 200 ``text/html``
answers get a real-size body, one of a pool of 200 pages from ``page_parse.make_page``
(20-400 KB, seed 14), chosen by path. Same flags as ``simweb.py``.

    .venv/bin/python benchmarks/simweb_big.py --truth CORPUS/truth.json --ready-file R.json
"""

from __future__ import annotations

import random
import sys
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simweb
from page_parse import make_page

_rng = random.Random(14)
POOL = [make_page(_rng, _rng.randint(20_000, 400_000)) for _ in range(200)]


class BigSimWeb(simweb.SimWeb):
    async def send(self, writer: Any, stats: Any, request: Any, status: int,
                   headers: dict[str, str], body: bytes) -> Any:  # fmt: skip
        if status == 200 and headers.get("Content-Type", "").startswith("text/html"):
            body = POOL[zlib.crc32(request.path.encode()) % len(POOL)]
        return await super().send(writer, stats, request, status, headers, body)


simweb.SimWeb = BigSimWeb  # type: ignore[misc]  # the subclass, where main() looks

if __name__ == "__main__":
    sys.exit(simweb.main())
