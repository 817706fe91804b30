"""GITHUB_TOKEN goes to the GitHub API host and nowhere else: not to other hosts, not on a
redirect off that host, not into logs (even at -vv), records, the cache, status.json or any
report. Every test uses a canary token and looks for it everywhere."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from enricher.authorities.github.api import GithubApi
from enricher.config import Settings
from enricher.models import GithubTarget, Status, Unanswered
from enricher.net.context import Clocks, NetContext
from enricher.net.redact import REDACTED
from enricher.pipeline import run
from tests.conftest import Apis, FakeClock, enricher

CANARY = "ghp_CANARY_3f9a7c1e5d2b4a6f8e0c1d3b5a7f9e2c4d6b8a01"
FORMATS = ("text", "json", "github", "junit", "markdown")


@pytest.fixture
def elsewhere() -> Iterator[HTTPServer]:
    """A second local server (another origin) that records every request it gets."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/", method="GET").respond_with_data("not GitHub")
    server.expect_request("/landing").respond_with_json({"full_name": "evil/repo"})
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def off_host_redirect(status: int, location: str) -> Any:
    def handler(request: Request) -> Response:
        return Response("", status=status, headers={"Location": location})

    return handler


def echo_headers(request: Request) -> Response:
    """A hostile API error page that quotes the request's headers, token included."""
    page = "<html><body><pre>" + "\n".join(f"{k}: {v}" for k, v in request.headers.items())
    return Response(page + "</pre></body></html>", status=200, content_type="text/html")


def authorizations(server: HTTPServer) -> list[str]:
    return [request.headers.get("Authorization", "") for request, _ in server.log]


@pytest.mark.parametrize("status", [301, 307], ids=["301-moved", "307-temporary"])
def test_token_is_not_sent_on_a_redirect_to_another_host(
    apis: Apis,
    elsewhere: HTTPServer,
    tmp_path: Path,
    settings_for: Any,
    clock: FakeClock,
    status: int,
) -> None:
    """The API answering a redirect to another origin: that origin gets no request (so no
    token), and the link says where the redirect went, not the URL it carried."""
    location = elsewhere.url_for("/landing") + f"?stolen={CANARY}"
    apis.github.special["a/moved"] = off_host_redirect(status, location)
    digest = tmp_path / "d.txt"
    digest.write_text("[Moved] https://github.com/a/moved\n", encoding="utf-8")
    run(settings_for(digest, github_token=CANARY), clocks=clock.clocks())
    assert not any(CANARY in a for a in authorizations(elsewhere))
    assert elsewhere.log == []
    assert apis.github.requests[0]["authorization"] == f"Bearer {CANARY}"
    link = json.loads((tmp_path / "d.enriched.json").read_text())["links"][0]
    assert link["status"] == Status.UNREACHABLE
    where = f"127.0.0.1:{elsewhere.port}"
    assert f"redirected to another host ({where}); not followed" in link["reason"]
    assert CANARY not in json.dumps(link)


def test_token_follows_a_rename_on_the_api_host(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A renamed repository (301 on the API host itself) is followed, token and all."""
    apis.github.rename("old/name", "new/name")
    digest = tmp_path / "d.txt"
    digest.write_text("[Renamed] https://github.com/old/name\n", encoding="utf-8")
    run(settings_for(digest, github_token=CANARY), clocks=clock.clocks())
    paths = [r["path"] for r in apis.github.requests]
    assert paths == ["/repos/old/name", "/repositories/new/name"]
    assert {r["authorization"] for r in apis.github.requests} == {f"Bearer {CANARY}"}
    link = json.loads((tmp_path / "d.enriched.json").read_text())["links"][0]
    assert link["status"] == Status.REDIRECTED and link["github"]["full_name"] == "new/name"


def test_token_is_never_sent_to_web_pages_or_arxiv(apis: Apis, site: dict[str, str]) -> None:
    """End to end: of every request the run makes, only GitHub API ones carry the token."""
    folder = site["FOLDER"]
    result = enricher(folder, "--allow-private", cwd=Path(folder),
                      env={**site, "GITHUB_TOKEN": CANARY})  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    seen = {request.path: request.headers.get("Authorization") for request, _ in apis.server.log}
    assert seen["/repos/QwenLM/Qwen-VL"] == f"Bearer {CANARY}"
    others = {path: auth for path, auth in seen.items() if not path.startswith("/repos/")}
    assert {"/api/query", "/ok", "/old"} <= others.keys()
    assert set(others.values()) == {None}


@pytest.mark.parametrize("report_format", FORMATS)
def test_canary_is_in_no_output_and_no_file_at_minus_vv(
    apis: Apis,
    site: dict[str, str],
    elsewhere: HTTPServer,
    tmp_path: Path,
    report_format: str,
) -> None:
    """A -vv run (httpx and httpcore debug lines included) whose GitHub answers include an
    error page echoing the token and a redirect carrying it: the token appears in no output,
    no report, record, cache byte or status file."""
    apis.github.special["hostile/echo"] = echo_headers
    apis.github.special["hostile/redirect"] = off_host_redirect(
        302, elsewhere.url_for("/landing") + f"?t={CANARY}"
    )
    folder = Path(site["FOLDER"])
    with (folder / "week.txt").open("a", encoding="utf-8") as digest:
        digest.write(
            "[Echo] https://github.com/hostile/echo\n"
            "[Redirect] https://github.com/hostile/redirect\n"
            "[Missing] https://github.com/nobody/nothing\n"
        )
    summary = tmp_path / "step-summary.md"
    report = tmp_path / f"report.{report_format}"
    result = enricher(
        str(folder), "-vv", "--allow-private", "--format", report_format, "--output", str(report),
        "--json-output", str(tmp_path / "report.json"),
        cwd=tmp_path, env={**site, "GITHUB_TOKEN": CANARY, "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "HTTP Request: GET" in result.stderr, "httpx debug logging was not on"
    assert "send_request_headers" in result.stderr, "httpcore debug logging was not on"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"week.enriched.json", "status.json", "enricher.sqlite3", report.name} <= names
    assert CANARY not in result.stdout and CANARY not in result.stderr
    assert f"t={REDACTED}" in result.stderr, "the echoed Location header was logged, blanked"
    leaking = [str(p) for p in written if CANARY.encode() in p.read_bytes()]
    assert leaking == []
    record = json.loads((folder / "week.enriched.json").read_text(encoding="utf-8"))
    reasons = {link["label"]: link["reason"] for link in record["links"]}
    assert "an HTML page, not repository JSON" in reasons["Echo"]
    assert "redirected to another host" in reasons["Redirect"]


@pytest.mark.parametrize(
    "library_error",
    [
        httpx.LocalProtocolError(f"Illegal header value {b'Bearer ' + CANARY.encode()!r}"),
        httpx.ConnectError(f"cannot send Authorization: Bearer {CANARY}"),
        httpx.RemoteProtocolError(f"server said: {CANARY}"),
    ],
    ids=["header-quoted-as-bytes", "header-in-connect-error", "bare-token-in-protocol-error"],
)
def test_error_messages_from_the_http_library_cannot_carry_the_token(
    library_error: httpx.HTTPError,
) -> None:
    """Whatever an httpx error quotes (a header, a server's words), the token is blanked."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise library_error

    async def sleep(seconds: float) -> None:
        pass

    async def fetch() -> Unanswered:
        async with httpx.AsyncClient(
            base_url="https://api.github.test",
            transport=httpx.MockTransport(handler),
            headers=GithubApi.headers(CANARY),
        ) as client:
            settings = Settings(attempts=2, retry_budget_s=60, rate_limit_wait_s=60)
            api = GithubApi(client, NetContext(settings, Clocks(lambda: clock_now, sleep)))
            failure = await api.fetch(GithubTarget("a", "b"))
            assert isinstance(failure, Unanswered)
            return failure

    clock_now = FakeClock().now
    error = asyncio.run(fetch())
    assert CANARY not in str(error) and REDACTED in str(error)


@pytest.mark.parametrize(
    "token",
    [f"{CANARY}\nX-Injected: 1", f"{CANARY} extra", f"{CANARY}é", f"{CANARY}\x01"],
    ids=["newline", "space", "non-ascii", "control"],
)
def test_token_a_header_cannot_carry_is_refused_without_echoing_it(
    site: dict[str, str], token: str
) -> None:
    """A token with a newline, space, control or non-ASCII character is a usage error
    (exit 2) naming GITHUB_TOKEN, never a traceback or a library message quoting it."""
    result = enricher(site["FOLDER"], cwd=Path(site["FOLDER"]), env={**site, "GITHUB_TOKEN": token})
    assert result.returncode == 2
    assert "GITHUB_TOKEN" in result.stderr and "Traceback" not in result.stderr
    assert CANARY not in result.stdout + result.stderr
