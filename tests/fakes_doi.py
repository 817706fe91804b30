"""Fake Crossref and DataCite APIs built from real-format answers (tests/fixtures/doi/).

They run behind pytest-httpserver on 127.0.0.1 and answer like the real registries: Crossref
``/works/<doi>`` with the ``{"status": "ok", "message-type": "work", "message": ...}`` envelope
and its rate-limit headers, or 404 ``Resource not found.`` as plain text; DataCite
``/dois/<doi>`` with a JSON:API document, or its JSON:API 404. DOIs are matched
case-insensitively, as the registries do. Each fake records what it was asked (the raw,
still-encoded path included).
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from werkzeug import Request, Response

from enricher.net.context import Clocks

FIXTURES = Path(__file__).parent / "fixtures" / "doi"

START = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)
"""The tests' first moment (``conftest.START``), repeated so conftest may import this module."""

CROSSREF_FIXTURE_DOI = "10.1371/journal.pone.0033693"
ARXIV_DOI = "10.48550/arXiv.2401.10774"
"""arXiv's own DOI for MEDUSA: registered with DataCite, unknown to Crossref."""
ZENODO_DOI = "10.5281/zenodo.7654321"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(name))
    return data


def crossref_headers() -> dict[str, str]:
    """Crossref's rate-limit and pool headers, as recorded with the fixture."""
    meta = fixture_json("responses_meta.json")["crossref_work.json"]["headers"]
    wanted = {"x-api-pool", "x-concurrency-limit", "x-rate-limit-interval", "x-rate-limit-limit"}
    return {name: value for name, value in meta if name in wanted}


def crossref_work(doi: str, **changes: Any) -> dict[str, Any]:
    """The real work envelope with its DOI (and any message fields) replaced."""
    data = fixture_json("crossref_work.json")
    data["message"].update(DOI=doi, **changes)
    return data


@dataclass
class Asked:
    """One request a fake received."""

    raw_path: str
    """The path as sent, still percent-encoded (and its query)."""
    path: str
    """The decoded path."""
    query: dict[str, str]
    user_agent: str


def _asked(request: Request) -> Asked:
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    return Asked(raw, request.path, dict(request.args), request.headers.get("User-Agent", ""))


Handler = Callable[[Request], Response]


@dataclass
class FakeCrossref:
    """``{prefix}/works/<doi>``: known works, 404 for the rest; scripted answers first."""

    prefix: str = "/crossref"
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Lower-cased DOI -> the whole answer (envelope included)."""
    script: list[Response | Handler] = field(default_factory=list)
    """Answers given, in order, before the fake behaves (429s, 503s, hostile bodies)."""
    asked: list[Asked] = field(default_factory=list)

    def add(self, doi: str, **changes: Any) -> None:
        self.known[doi.lower()] = crossref_work(doi, **changes)

    def handler(self, request: Request) -> Response:
        self.asked.append(_asked(request))
        if self.script:
            answer = self.script.pop(0)
            return answer if isinstance(answer, Response) else answer(request)
        doi = request.path.removeprefix(f"{self.prefix}/works/")
        data = self.known.get(doi.lower())
        if data is None:
            return Response(fixture_bytes("crossref_work_404.txt"), status=404,
                            headers=crossref_headers(), content_type="text/plain")  # fmt: skip
        return Response(json.dumps(data), status=200, headers=crossref_headers(),
                        content_type="application/json")  # fmt: skip


@dataclass
class FakeDatacite:
    """``{prefix}/dois/<doi>``: known DOIs as JSON:API documents, the JSON:API 404 for the rest."""

    prefix: str = "/datacite"
    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    script: list[Response | Handler] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)

    def add(self, doi: str, fixture: str) -> None:
        """A document from ``fixture``, re-labelled with ``doi`` (DataCite lower-cases it)."""
        data = copy.deepcopy(fixture_json(fixture))
        data["data"]["id"] = data["data"]["attributes"]["doi"] = doi.lower()
        self.known[doi.lower()] = data

    def handler(self, request: Request) -> Response:
        self.asked.append(_asked(request))
        if self.script:
            answer = self.script.pop(0)
            return answer if isinstance(answer, Response) else answer(request)
        doi = request.path.removeprefix(f"{self.prefix}/dois/")
        data = self.known.get(doi.lower())
        if data is None:
            return Response(fixture_bytes("datacite_404.json"), status=404,
                            content_type="application/vnd.api+json")  # fmt: skip
        return Response(json.dumps(data), status=200, content_type="application/vnd.api+json")


@dataclass
class MovingClock:
    """A clock whose sleep moves it forward (and records the wait): paced requests get
    distinct, predictable start times, and nothing waits on real time."""

    now: datetime = START
    slept: list[float] = field(default_factory=list)

    def clocks(self) -> Clocks:
        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            self.now += timedelta(seconds=seconds)
            await asyncio.sleep(0)  # a real wait lets the other tasks run: so does this one

        def sync_sleep(seconds: float) -> None:
            self.slept.append(seconds)
            self.now += timedelta(seconds=seconds)

        return Clocks(now=lambda: self.now, sleep=sleep, sync_sleep=sync_sleep)
