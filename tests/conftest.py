"""Shared fixtures: copies of the sample digests, fake APIs on 127.0.0.1, injected time, a
stand-in web of respx routes, and an environment scrubbed of the caller's settings."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import respx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from enricher.authorities import doi as doi_authority
from enricher.config import Settings
from enricher.net.context import Clocks
from enricher.net.wayback import Wayback
from tests.fakes import FakeArxiv, FakeGithub
from tests.fakes_doi import FakeCrossref, FakeDatacite
from tests.fakes_hf import FakeHub

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sources"
START = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)

SCRUBBED_PREFIXES = ("ENRICHER_", "GITHUB_", "HF_")
"""Variables enricher reads (its settings, GITHUB_TOKEN, HF_TOKEN, the Actions runner's
files)."""
KEPT_VARIABLES = frozenset({"ENRICHER_UPDATE_GOLDEN", "ENRICHER_CHROMIUM"})
"""Switches of the test suite itself (rewrite the golden reports, the browser the browser tests
drive), not settings of enricher."""


def _scrubbed(name: str) -> bool:
    """Whether a variable from the caller's shell or CI must not reach a test."""
    if name in KEPT_VARIABLES:
        return False
    # http_proxy, HTTPS_PROXY, all_proxy, no_proxy...: a proxy would take loopback elsewhere.
    return name.startswith(SCRUBBED_PREFIXES) or name.lower().endswith("_proxy")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the caller's ENRICHER_*, GITHUB_* and proxy variables, so
    neither an in-process ``main()`` nor a CLI subprocess (which inherits ``os.environ``) sees
    a developer's token, cache folder or proxy. Tests set what they need on top."""
    for name in [name for name in os.environ if _scrubbed(name)]:
        monkeypatch.delenv(name)


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@pytest.fixture(autouse=True)
def no_real_wayback(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that would ask the real Wayback Machine (a broken link, the default
    ``wayback_url``) fails its test: a test that reaches a real host is a bug. Tests about
    snapshots point ``wayback_url`` at a local fake; the others run with ``archive=False``."""
    real = Wayback.ask

    async def guarded(self: Wayback, url: str, moment: datetime) -> Any:
        host = urlsplit(self.endpoint).hostname
        if host not in LOOPBACK:
            pytest.fail(f"a test would ask the real Wayback Machine ({host}) about {url}")
        return await real(self, url, moment)

    monkeypatch.setattr(Wayback, "ask", guarded)


@pytest.fixture(autouse=True)
def no_real_doi_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that would ask the real Crossref or DataCite (a DOI link, the default
    endpoints) fails: every test points them at the fakes (``settings_for``, ``site``)."""
    for name, setting in (("crossref_client", "crossref_api_url"),
                          ("datacite_client", "datacite_api_url")):  # fmt: skip
        real = getattr(doi_authority, name)

        def guarded(context: Any, real: Any = real, setting: str = setting) -> Any:
            host = urlsplit(getattr(context.settings, setting)).hostname
            if host not in LOOPBACK:
                pytest.fail(f"a test would ask the real DOI registry at {host}")
            return real(context)

        monkeypatch.setattr(doi_authority, name, guarded)


class FakeWayback:
    """The Wayback Machine's ``/web/<timestamp>/<url>``: a redirect to a snapshot for the
    URLs in ``snapshots`` (URL -> its 14-digit timestamp), 404 for the others."""

    def __init__(self) -> None:
        self.snapshots: dict[str, str] = {}
        self.asked: list[str] = []
        self.moments: dict[str, str] = {}
        """The timestamp each URL was last asked about."""
        self.first_ask = threading.Event()
        """Set when the first request arrives (it runs on the server's thread)."""
        self.on_ask: Callable[[], None] = lambda: None
        """Called with each request, before it is answered."""

    def handler(self, request: Request) -> Response:
        _, _, stamp, url = request.full_path.rstrip("?").split("/", 3)
        self.asked.append(url)
        self.moments[url] = stamp
        self.first_ask.set()
        self.on_ask()
        if url not in self.snapshots:
            return Response("", status=404)
        location = f"/web/{self.snapshots[url]}/{url}"
        return Response("", status=302, headers={"Location": location})


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    """A folder holding byte-for-byte copies of the five sample digests."""
    folder = tmp_path / "digests"
    folder.mkdir()
    for sample in sorted(SAMPLES.glob("*.txt")):
        shutil.copyfile(sample, folder / sample.name)
    return folder


@dataclass
class FakeClock:
    """A clock that only moves when told to, and a sleep that records instead of waiting."""

    now: datetime = START
    slept: list[float] = field(default_factory=list)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def clocks(self) -> Clocks:
        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)

        def sync_sleep(seconds: float) -> None:
            self.slept.append(seconds)

        return Clocks(now=lambda: self.now, sleep=sleep, sync_sleep=sync_sleep)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class Apis:
    """Fake arXiv and GitHub APIs on one local server."""

    server: HTTPServer
    arxiv: FakeArxiv
    github: FakeGithub
    hub: FakeHub
    wayback: FakeWayback
    crossref: FakeCrossref
    datacite: FakeDatacite

    @property
    def arxiv_url(self) -> str:
        return self.server.url_for("/api/query")

    @property
    def github_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    @property
    def hf_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    @property
    def wayback_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    @property
    def crossref_url(self) -> str:
        return self.server.url_for("/crossref")

    @property
    def datacite_url(self) -> str:
        return self.server.url_for("/datacite")


@pytest.fixture
def apis(httpserver: HTTPServer) -> Iterator[Apis]:
    arxiv, github, hub = FakeArxiv(), FakeGithub(), FakeHub()
    httpserver.expect_request("/api/query").respond_with_handler(arxiv.handler)
    httpserver.expect_request(re.compile(r"^/(repos|repositories)/.+")).respond_with_handler(
        github.handler
    )
    wayback = FakeWayback()
    httpserver.expect_request(re.compile(r"^/web/\d{14}/.+")).respond_with_handler(wayback.handler)
    crossref, datacite = FakeCrossref(), FakeDatacite()
    httpserver.expect_request(re.compile(r"^/crossref/works/.+")).respond_with_handler(
        crossref.handler
    )
    httpserver.expect_request(re.compile(r"^/datacite/dois/.+")).respond_with_handler(
        datacite.handler
    )
    hub.install(httpserver)
    yield Apis(httpserver, arxiv, github, hub, wayback, crossref, datacite)


@pytest.fixture
def settings_for(tmp_path: Path, apis: Apis) -> Any:
    """Settings pointing at the fakes, a private cache, no arXiv pacing, no Wayback
    Machine lookups unless a test asks (``archive=True``: the fake answers)."""

    def make(*paths: Path, **changes: Any) -> Settings:
        base = Settings(
            paths=tuple(str(p) for p in paths),
            cache_dir=tmp_path / "cache",
            arxiv_api_url=apis.arxiv_url,
            github_api_url=apis.github_url,
            hf_api_url=apis.hf_url,
            wayback_url=apis.wayback_url,
            archive=False,
            crossref_api_url=apis.crossref_url,
            datacite_api_url=apis.datacite_url,
            arxiv_delay_s=0.0,
        )
        return replace(base, **changes)

    return make


class WebRecorder:
    """The whole web as one respx route: every page answers 200 (text/html), or the status
    ``statuses`` gives its URL. ``urls`` lists every URL requested, in order."""

    def __init__(self) -> None:
        self.statuses: dict[str, int] = {}
        self.router = respx.Router(assert_all_called=False)
        self.page = self.router.route(name="any page").mock(side_effect=self.answer)
        """The one route: its ``calls`` are every request the run sent to the web."""

    @property
    def urls(self) -> list[str]:
        """Every URL requested, in order, read from the route's calls."""
        return [str(call.request.url) for call in self.page.calls]

    def answer(self, request: httpx.Request) -> httpx.Response:
        """The route's side effect: 200 unless ``statuses`` says otherwise for this URL."""
        status = self.statuses.get(str(request.url), 200)
        return httpx.Response(status, headers={"Content-Type": "text/html"})

    def transport(self) -> httpx.MockTransport:
        """The routes as a client's transport (respx's own ``MockTransport`` is deprecated)."""
        return httpx.MockTransport(self.router.async_handler)


@pytest.fixture
def web() -> WebRecorder:
    return WebRecorder()


def enricher(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m enricher`` the way a user would, stdout/stderr captured (not a TTY).
    The child inherits the environment ``clean_environment`` scrubbed, plus ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "enricher", *args],
        cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def site(apis: Apis, tmp_path: Path) -> dict[str, str]:
    """A digest folder whose links all point at 127.0.0.1, plus the environment to reach it."""
    server: HTTPServer = apis.server
    server.expect_request("/ok").respond_with_data("fine")
    server.expect_request("/gone").respond_with_data("", status=404)
    server.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": server.url_for("/ok")}
    )
    apis.arxiv.known = {"2401.10774"}
    apis.github.add("QwenLM/Qwen-VL")
    folder = tmp_path / "digests"
    folder.mkdir()
    (folder / "week.txt").write_text(
        "大家好, prose about models.\n\n"
        f"[MEDUSA] https://arxiv.org/abs/2401.10774\n"
        f"[Qwen-VL] https://github.com/QwenLM/Qwen-VL\n"
        f"[Fine page] {server.url_for('/ok')}\n"
        f"[Moved page] {server.url_for('/old')}\n",
        encoding="utf-8",
    )
    return {
        "ENRICHER_ARXIV_API_URL": apis.arxiv_url,
        "ENRICHER_GITHUB_API_URL": apis.github_url,
        "ENRICHER_HF_API_URL": apis.hf_url,
        "ENRICHER_WAYBACK_URL": apis.wayback_url,
        "ENRICHER_CROSSREF_API_URL": apis.crossref_url,
        "ENRICHER_DATACITE_API_URL": apis.datacite_url,
        "ENRICHER_ARXIV_DELAY": "0",
        "ENRICHER_CACHE_DIR": str(tmp_path / "cache"),
        "FOLDER": str(folder),
    }
