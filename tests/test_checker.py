"""The web edge: what WebChecker observes over HTTP, and the verdict each observation earns.

Real HTTP goes only to pytest-httpserver on loopback. Anything that would leave the machine
(other hosts, private-address guards, a missing network) is played by respx routes given to the
client as its transport, so no packet is sent and each route counts what reached it. Sleeping
is injected and recorded; the clock is fixed.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import respx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from enricher.authorities.web import web_verdict
from enricher.config import Settings
from enricher.models import FailureKind, FetchFailure, FetchOutcome, HttpFacts, Redirect, Status
from enricher.net.checker import WebChecker
from enricher.net.context import Clocks, NetContext, RequestCounter
from enricher.net.http_errors import describe_http_error
from enricher.net.watch import NetworkWatch

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
MB = 1024 * 1024

Handler = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]


@dataclass
class Harness:
    """One WebChecker run: counts requests, records sleeps, watches the network."""

    counter: RequestCounter = field(default_factory=RequestCounter)
    watch: NetworkWatch = field(default_factory=NetworkWatch)
    delays: list[float] = field(default_factory=list)
    """Every delay the checker asked to sleep, in order (nothing really waits)."""
    now: datetime = NOW
    """The checker's clock: it moves only by the delays it sleeps."""

    @property
    def requests(self) -> int:
        """Requests sent through the client, redirect hops and retries included."""
        return self.counter.counts.get("web", 0)

    async def check_all(
        self,
        urls: list[str],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 3,
        per_host: int = 2,
        concurrency: int = 16,
        timeout_s: float = 5.0,
        retry_budget_s: float = 300.0,
        allow_private: bool = True,
        request_deadline_s: float | None = None,
    ) -> list[FetchOutcome]:
        async def sleep(seconds: float) -> None:
            self.delays.append(seconds)
            self.now += timedelta(seconds=seconds)

        async with httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            trust_env=False,  # no proxy from the environment: loopback stays loopback
            timeout=timeout_s,
            event_hooks={"request": [self.counter.hook("web")]},
        ) as client:
            settings = Settings(
                concurrency=concurrency, per_host=per_host, timeout_s=timeout_s,
                attempts=attempts, retry_budget_s=retry_budget_s, allow_private=allow_private,
            )  # fmt: skip
            clocks = Clocks(lambda: self.now, sleep)
            context = NetContext(settings, clocks, self.watch, self.counter)
            checker = WebChecker(client, context, request_deadline_s=request_deadline_s)
            return list(await asyncio.gather(*(checker.check(url) for url in urls)))

    def check(self, url: str, **options: Any) -> FetchOutcome:
        return asyncio.run(self.check_all([url], **options))[0]


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def router() -> respx.Router:
    """Routes standing in for hosts off this machine; a request no route matches fails the test."""
    return respx.Router(assert_all_called=False)


def transport_of(router: respx.Router) -> httpx.MockTransport:
    """respx routes as the client's transport: nothing is patched, nothing leaves the process."""
    return httpx.MockTransport(router.async_handler)


def plain_transport(handler: Handler) -> httpx.MockTransport:
    """A bare handler as the transport, for an exception whose cause must reach the checker
    intact: respx re-raises a side effect's exception ``from`` its own wrapper, replacing the
    ``__cause__`` (an SSLError) the checker reads a TLS failure from."""
    return httpx.MockTransport(handler)  # type: ignore[arg-type]


# --- Final answers from a real local server -----------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "expected", "reason"),
    [
        pytest.param(200, {}, Status.OK, None, id="200-ok"),
        pytest.param(404, {}, Status.BROKEN, "not found (404)", id="404-broken"),
        pytest.param(410, {}, Status.BROKEN, "gone (410)", id="410-broken"),
        pytest.param(403, {}, Status.BLOCKED, "refused (HTTP 403)", id="403-blocked"),
        pytest.param(401, {}, Status.BLOCKED, "refused (HTTP 401)", id="401-blocked"),
        pytest.param(999, {}, Status.BLOCKED, "refused (HTTP 999)", id="999-linkedin-blocked"),
        pytest.param(
            403, {"cf-mitigated": "challenge"}, Status.BLOCKED, "bot challenge",
            id="403-cloudflare-challenge-blocked",
        ),
    ],
)  # fmt: skip
def test_final_status_gives_verdict_after_one_request(
    httpserver: HTTPServer,
    harness: Harness,
    status: int,
    headers: dict[str, str],
    expected: Status,
    reason: str | None,
) -> None:
    """A non-transient answer is judged as served, after exactly one request (no retry)."""
    httpserver.expect_request("/page").respond_with_data("body", status=status, headers=headers)
    url = httpserver.url_for("/page")

    outcome = harness.check(url)

    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == status
    assert outcome.final_url == url
    assert outcome.attempts == 1
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is expected
    if reason is None:
        assert verdict.reason is None
    else:
        assert verdict.reason is not None and reason in verdict.reason
    assert verdict.http_status == status
    assert verdict.checked_at == NOW
    assert harness.requests == 1
    assert len(httpserver.log) == 1
    assert harness.delays == []


def test_bot_challenge_flag_is_read_from_cf_mitigated(
    httpserver: HTTPServer, harness: Harness
) -> None:
    """Cloudflare's ``cf-mitigated: challenge`` marks the answer as a bot wall, vendor named:
    the header reaches the verdict (and the cache) with the outcome."""
    httpserver.expect_request("/wall").respond_with_data(
        "", status=403, headers={"cf-mitigated": "Challenge"}
    )
    outcome = harness.check(httpserver.url_for("/wall"))
    assert isinstance(outcome, HttpFacts)
    assert ("cf-mitigated", "Challenge") in outcome.headers
    assert web_verdict(outcome, NOW).reason == "bot challenge (Cloudflare); the page may exist"


def test_a_challenge_header_on_an_empty_202_is_a_wall(
    httpserver: HTTPServer, harness: Harness
) -> None:
    """AWS WAF answers 202 with ``x-amzn-waf-action`` and nothing to read: not ``ok``."""
    httpserver.expect_request("/wall").respond_with_data(
        "", status=202, headers={"x-amzn-waf-action": "challenge"}
    )
    outcome = harness.check(httpserver.url_for("/wall"))
    verdict = web_verdict(outcome, NOW, httpserver.url_for("/wall"))
    assert (verdict.status, verdict.reason) == (
        Status.BLOCKED, "bot challenge (AWS WAF); the page may exist")  # fmt: skip


# --- Redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [302, 303, 307], ids=["302-ok", "303-ok", "307-ok"])
def test_temporary_redirect_is_ok_with_final_url_and_chain(
    httpserver: HTTPServer, harness: Harness, code: int
) -> None:
    """A temporary redirect to a live page is ok; the final URL and the hop are kept."""
    httpserver.expect_request("/old").respond_with_data(
        "",
        status=code,
        headers={"Location": "/new"},  # relative: resolved against /old
    )
    httpserver.expect_request("/new").respond_with_data("fine")
    target = httpserver.url_for("/new")

    outcome = harness.check(httpserver.url_for("/old"))

    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == 200
    assert outcome.final_url == target
    assert outcome.redirects == (Redirect(code, target),)
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.OK
    assert verdict.final_url == target
    assert verdict.suggested_url is None
    assert verdict.redirects == (Redirect(code, target),)
    assert harness.requests == 2


@pytest.mark.parametrize("code", [301, 308], ids=["301-redirected", "308-redirected"])
def test_permanent_redirect_suggests_the_new_url(
    httpserver: HTTPServer, harness: Harness, code: int
) -> None:
    """A permanent move to a live page is ``redirected`` with the target as suggested URL."""
    target = httpserver.url_for("/moved-here")
    httpserver.expect_request("/old").respond_with_data(
        "", status=code, headers={"Location": target}
    )
    httpserver.expect_request("/moved-here").respond_with_data("fine")

    outcome = harness.check(httpserver.url_for("/old"))

    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.REDIRECTED
    assert verdict.suggested_url == target
    assert verdict.final_url == target
    assert verdict.redirects == (Redirect(code, target),)
    assert verdict.reason == f"moved permanently ({code}) to {target}"


@pytest.mark.parametrize(
    ("hops", "status", "suggested"),
    [
        pytest.param((301, 302), Status.REDIRECTED, "/https", id="301-then-302-to-a-login"),
        pytest.param((301, 308), Status.REDIRECTED, "/login", id="301-then-308"),
        pytest.param((302, 301), Status.OK, None, id="302-then-301"),
    ],
)
def test_a_link_moved_as_far_as_its_redirects_are_permanent_from_the_start(
    httpserver: HTTPServer, harness: Harness, hops: tuple[int, int], status: Status,
    suggested: str | None,
) -> None:  # fmt: skip
    """A 301 to https then a 302 to a login page suggests the https URL, not the login
    page; a link whose first hop is temporary works as written."""
    first, second = hops
    httpserver.expect_request("/old").respond_with_data(
        "", status=first, headers={"Location": "/https"}
    )
    httpserver.expect_request("/https").respond_with_data(
        "", status=second, headers={"Location": "/login"}
    )
    httpserver.expect_request("/login").respond_with_data("sign in")

    verdict = web_verdict(harness.check(httpserver.url_for("/old")), NOW)

    assert verdict.status is status
    assert verdict.suggested_url == (suggested and httpserver.url_for(suggested))
    assert verdict.final_url == httpserver.url_for("/login")


def test_redirect_loop_is_broken(httpserver: HTTPServer, harness: Harness) -> None:
    """a -> b -> a is a loop: broken, without retrying and without going round again."""
    a, b = httpserver.url_for("/a"), httpserver.url_for("/b")
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": b})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": a})

    outcome = harness.check(a)

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.REDIRECT_LOOP
    assert outcome.redirects == (Redirect(302, b), Redirect(302, a))
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.reason == f"redirect loop at {a}"
    assert harness.requests == 2


def test_cookie_bounce_to_the_same_url_is_followed(harness: Harness, router: respx.Router) -> None:
    """A page that redirects to itself to set a cookie, then answers 200, is ok, not a loop."""
    url = "https://bounce.example.test/page"
    with_cookie = router.get(url, cookies={"seen": "1"}).respond(200)
    bounce = router.get(url).respond(302, headers={"Location": url, "Set-Cookie": "seen=1; Path=/"})

    outcome = harness.check(url, transport=transport_of(router))

    assert isinstance(outcome, HttpFacts) and outcome.status_code == 200
    assert (bounce.call_count, with_cookie.call_count) == (1, 1)
    assert harness.requests == 2


def test_cookie_check_through_another_url_is_followed(
    harness: Harness, router: respx.Router
) -> None:
    """/a sets a cookie and sends the reader to /cookie-check, which sends it back to /a: the
    cookie came a hop before the return, and the page is ok, not a loop."""
    url, check = "https://shop.example.test/a", "https://shop.example.test/cookie-check"
    with_cookie = router.get(url, cookies={"cc": "1"}).respond(200)
    first = router.get(url).respond(302, headers={"Location": check, "Set-Cookie": "cc=1"})
    router.get(check).respond(302, headers={"Location": url})

    outcome = harness.check(url, transport=transport_of(router))

    assert isinstance(outcome, HttpFacts) and outcome.status_code == 200
    assert (first.call_count, with_cookie.call_count) == (1, 1)


def test_cookies_let_a_reader_back_once_only(harness: Harness, router: respx.Router) -> None:
    """A server setting a cookie at every turn of /a -> /b -> /a is a loop at the third
    visit; one setting none, at the first return."""
    a, b = "https://shop.example.test/a", "https://shop.example.test/b"
    router.get(a).respond(302, headers={"Location": b})
    router.get(b).respond(302, headers={"Location": a, "Set-Cookie": "cc=1"})
    c, d = "https://plain.example.test/c", "https://plain.example.test/d"
    router.get(c).respond(302, headers={"Location": d})
    router.get(d).respond(302, headers={"Location": c})

    setting, plain = asyncio.run(harness.check_all([a, c], transport=transport_of(router)))

    assert isinstance(setting, FetchFailure) and setting.kind is FailureKind.REDIRECT_LOOP
    assert [hop.url for hop in setting.redirects] == [b, a, b, a]
    assert isinstance(plain, FetchFailure) and plain.kind is FailureKind.REDIRECT_LOOP
    assert [hop.url for hop in plain.redirects] == [d, c]


def test_a_location_sent_twice_alike_is_followed(harness: Harness, router: respx.Router) -> None:
    """Two identical Location headers are one: the page behind them is reached."""
    url, target = "https://example.test/old", "https://example.test/new"
    router.get(url).respond(301, headers=[("Location", target), ("Location", target)])
    router.get(target).respond(200)

    outcome = harness.check(url, transport=transport_of(router))

    assert isinstance(outcome, HttpFacts) and outcome.status_code == 200
    assert outcome.redirects == (Redirect(301, target),)


def test_two_different_locations_are_a_bad_redirect(harness: Harness, router: respx.Router) -> None:
    """Two Location headers that differ leave nowhere to go (browsers refuse them too)."""
    url = "https://example.test/old"
    router.get(url).respond(
        301, headers=[("Location", "https://example.test/a"), ("Location", "/b")]
    )

    outcome = harness.check(url, transport=transport_of(router))

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.BAD_REDIRECT
    assert outcome.message == "redirect with 2 different Location headers"


def test_a_location_with_spaces_is_kept_as_the_url_asked_for(
    harness: Harness, router: respx.Router
) -> None:
    """A Location of "/a b" is asked for as "/a%20b", and the chain (and a suggested URL)
    holds that URL, which the editor can paste back."""
    url, target = "https://example.test/old", "https://example.test/new%20place/page%20one"
    router.get(url).respond(301, headers={"Location": "/new place/page one"})
    router.get(target).respond(200)

    outcome = harness.check(url, transport=transport_of(router))

    assert isinstance(outcome, HttpFacts) and outcome.status_code == 200
    assert outcome.redirects == (Redirect(301, target),)


@pytest.mark.parametrize("location", ["http://xn--zz.example.test/", "http://a..b/"])
def test_a_redirect_to_a_host_no_request_can_reach_is_broken_not_a_crash(
    harness: Harness, router: respx.Router, location: str
) -> None:
    """A Location naming a host IDNA refuses (httpx reads Location even when not following,
    and its codec's error escaped it) or an empty label is the server's bad answer."""
    url = "https://example.test/old"
    route = router.get(url).respond(301, headers={"Location": location})

    outcome = harness.check(url, transport=transport_of(router), attempts=3)

    assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.BAD_REDIRECT
    assert web_verdict(outcome, NOW).status is Status.BROKEN
    assert route.call_count == 1


def _serve_hops(httpserver: HTTPServer) -> None:
    """/hop/N redirects to /hop/N+1 until /hop/STOP; /hop/STOP answers 200."""

    def handler(request: Request) -> Response:
        n = request.path.rsplit("/", 1)[1]
        if n == "stop":
            return Response("end")
        following = request.args.get("until", "0")
        nxt = "stop" if int(n) + 1 >= int(following) else str(int(n) + 1)
        return Response("", status=302, headers={"Location": f"/hop/{nxt}?until={following}"})

    httpserver.expect_request(re.compile(r"^/hop/")).respond_with_handler(handler)


def test_eleven_redirects_are_broken(httpserver: HTTPServer, harness: Harness) -> None:
    """A chain of 11 redirects is judged broken: "more than 10 redirects"."""
    _serve_hops(httpserver)

    outcome = harness.check(httpserver.url_for("/hop/0") + "?until=11")

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.TOO_MANY_REDIRECTS
    assert len(outcome.redirects) == 11
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.BROKEN
    assert verdict.reason == "more than 10 redirects"
    assert harness.requests == 11  # the 11th hop is never requested
    assert harness.delays == []


def test_ten_redirects_are_followed(httpserver: HTTPServer, harness: Harness) -> None:
    """Exactly 10 redirects is still within the limit: the page is ok."""
    _serve_hops(httpserver)

    outcome = harness.check(httpserver.url_for("/hop/0") + "?until=10")

    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == 200
    assert len(outcome.redirects) == 10
    assert outcome.final_url.endswith("/hop/stop?until=10")
    assert web_verdict(outcome, NOW).status is Status.OK
    assert harness.requests == 11


# --- Retries ------------------------------------------------------------------------------


def test_429_honours_retry_after_then_is_blocked(httpserver: HTTPServer, harness: Harness) -> None:
    """429 with Retry-After: 7 every time: waits 7 s between attempts, then blocked."""
    httpserver.expect_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": "7"}
    )

    outcome = harness.check(httpserver.url_for("/limited"), attempts=3)

    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == 429
    assert outcome.retry_after_s == 7.0
    assert outcome.attempts == 3
    assert harness.requests == 3
    assert len(httpserver.log) == 3
    assert harness.delays == [7.0, 7.0]
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.BLOCKED
    assert verdict.reason == "rate limited (429); the page may exist"


def test_429_with_retry_after_over_the_cap_is_not_retried(
    httpserver: HTTPServer, harness: Harness
) -> None:
    """A server asking for an hour is refusing us for now: one request, blocked, no wait."""
    httpserver.expect_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )

    outcome = harness.check(httpserver.url_for("/limited"), attempts=3)

    assert isinstance(outcome, HttpFacts)
    assert outcome.retry_after_s == 3600.0
    assert harness.requests == 1
    assert harness.delays == []
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.BLOCKED
    assert verdict.reason == "rate limited (429); the page may exist"


def test_retry_after_http_date_is_measured_from_the_injected_clock(
    httpserver: HTTPServer, harness: Harness
) -> None:
    """Retry-After as an HTTP date five seconds after "now" means a five-second wait."""
    when = format_datetime(NOW + timedelta(seconds=5), usegmt=True)
    httpserver.expect_ordered_request("/busy").respond_with_data(
        "", status=503, headers={"Retry-After": when}
    )
    httpserver.expect_ordered_request("/busy").respond_with_data("back")

    outcome = harness.check(httpserver.url_for("/busy"))

    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == 200
    assert harness.delays == [5.0]


def test_retry_budget_bounds_the_time_waited(httpserver: HTTPServer, harness: Harness) -> None:
    """The retry budget counts waits: Retry-After 30 under a 10 s budget is not waited out."""
    httpserver.expect_request("/limited").respond_with_data(
        "", status=429, headers={"Retry-After": "30"}
    )

    outcome = harness.check(httpserver.url_for("/limited"), attempts=3, retry_budget_s=10.0)

    assert web_verdict(outcome, NOW).status is Status.BLOCKED
    assert sum(harness.delays) <= 10.0, f"waited {harness.delays} under a 10 s budget"


def test_503_then_200_is_ok_after_two_requests(httpserver: HTTPServer, harness: Harness) -> None:
    """A passing server error is retried, and the page is ok on the second request."""
    httpserver.expect_ordered_request("/flaky").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_data("fine")

    outcome = harness.check(httpserver.url_for("/flaky"), attempts=3)

    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == 200
    assert outcome.attempts == 2
    assert web_verdict(outcome, NOW).status is Status.OK
    assert harness.requests == 2
    assert len(harness.delays) == 1
    httpserver.check_assertions()


def test_503_always_is_unreachable_after_backoff(httpserver: HTTPServer, harness: Harness) -> None:
    """503 every time: `attempts` requests with growing jittered backoff, then unreachable."""
    httpserver.expect_request("/down").respond_with_data("", status=503)

    outcome = harness.check(httpserver.url_for("/down"), attempts=3)

    assert isinstance(outcome, HttpFacts)
    assert outcome.attempts == 3
    assert harness.requests == 3
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.reason == "server error (HTTP 503)"
    first, second = harness.delays
    assert all(1.0 <= delay <= 11.0 for delay in harness.delays), harness.delays
    assert second >= first - 1.0  # doubles each attempt; up to a second of jitter


def test_only_get_is_sent(httpserver: HTTPServer, harness: Harness) -> None:
    """Every request is a GET (never HEAD), through redirects and retries alike."""
    httpserver.expect_ordered_request("/start").respond_with_data("", status=503)
    httpserver.expect_ordered_request("/start").respond_with_data(
        "", status=301, headers={"Location": "/end"}
    )
    httpserver.expect_ordered_request("/end").respond_with_data("fine")

    outcome = harness.check(httpserver.url_for("/start"))

    assert web_verdict(outcome, NOW).status is Status.REDIRECTED
    methods = [request.method for request, _ in httpserver.log]
    assert methods == ["GET", "GET", "GET"]
    assert all("text/html" in request.headers.get("Accept", "") for request, _ in httpserver.log)


def test_big_body_is_not_downloaded(httpserver: HTTPServer, harness: Harness) -> None:
    """A 50 MB page is judged on its headers; the body is never read."""
    chunks_sent: list[int] = []

    def body() -> Any:
        for i in range(50):
            chunks_sent.append(i)
            yield b"\0" * MB

    httpserver.expect_request("/huge").respond_with_response(
        Response(body(), headers={"Content-Length": str(50 * MB)}, mimetype="video/mp4")
    )
    started = time.monotonic()

    outcome = harness.check(httpserver.url_for("/huge"))

    assert time.monotonic() - started < 3.0
    assert isinstance(outcome, HttpFacts)
    assert outcome.status_code == 200
    # The server can only push what the socket buffers hold before we hang up.
    assert len(chunks_sent) < 50


class RecordingStream(httpx.AsyncByteStream):
    """A response body that notes whether anyone read it."""

    def __init__(self) -> None:
        self.read = False
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield b"x" * MB

    async def aclose(self) -> None:
        self.closed = True


def test_body_stream_is_closed_unread(harness: Harness, router: respx.Router) -> None:
    """The checker closes the response without iterating its body."""
    stream = RecordingStream()
    page = router.get("https://example.test/page").respond(200, stream=stream)

    outcome = harness.check("https://example.test/page", transport=transport_of(router))

    assert isinstance(outcome, HttpFacts)
    assert page.call_count == 1
    assert stream.read is False
    assert stream.closed is True


# --- Private addresses (respx routes: nothing leaves the process) --------------------------


class RedirectingWeb:
    """``/start`` on any host answers 301 to ``location``; every other URL answers 200."""

    def __init__(self, location: str) -> None:
        self.router = respx.Router(assert_all_called=False)
        self.start = self.router.get(path="/start").respond(301, headers={"Location": location})
        self.elsewhere = self.router.route().respond(200)
        """Whatever a redirect led to: a call here is a hop that was followed."""

    @property
    def seen(self) -> list[str]:
        """Every URL requested, in order."""
        return [str(call.request.url) for call in self.router.calls]

    def transport(self) -> httpx.MockTransport:
        return transport_of(self.router)


def test_redirect_to_cloud_metadata_is_not_followed(harness: Harness) -> None:
    """A redirect to 169.254.169.254 is skipped as private and never requested."""
    web = RedirectingWeb(METADATA_URL)

    outcome = harness.check(
        "https://example.test/start", transport=web.transport(), allow_private=False
    )

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.PRIVATE
    assert outcome.redirects == (Redirect(301, METADATA_URL),)
    assert web.seen == ["https://example.test/start"]
    assert not web.elsewhere.called
    assert harness.requests == 1
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.SKIPPED
    assert verdict.reason is not None and "private address (169.254.169.254)" in verdict.reason


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://127.0.0.1:8080/admin", id="ipv4-loopback"),
        pytest.param("http://localhost/", id="localhost"),
        pytest.param("http://[::1]/", id="ipv6-loopback"),
        pytest.param("http://10.0.0.5/", id="rfc1918-10"),
        pytest.param("http://192.168.1.1/", id="rfc1918-192"),
        pytest.param("http://[::ffff:169.254.169.254]/", id="ipv4-mapped-metadata"),
        pytest.param("http://169.254.169.254./latest/", id="metadata-trailing-dot"),
    ],
)
def test_redirect_to_private_address_is_not_followed(harness: Harness, location: str) -> None:
    """Loopback, private and link-local redirect targets are skipped, never requested."""
    web = RedirectingWeb(location)

    outcome = harness.check(
        "https://example.test/start", transport=web.transport(), allow_private=False
    )

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.PRIVATE
    assert web.seen == ["https://example.test/start"]
    assert not web.elsewhere.called
    assert web_verdict(outcome, NOW).status is Status.SKIPPED


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://2130706433/", id="decimal-127.0.0.1"),
        pytest.param("http://0x7f000001/", id="hex-127.0.0.1"),
        pytest.param("http://127.1/", id="short-127.0.0.1"),
        pytest.param("http://2852039166/latest/meta-data/", id="decimal-169.254.169.254"),
    ],
)
def test_redirect_to_numeric_loopback_spellings_is_not_followed(
    harness: Harness, location: str
) -> None:
    """Spellings the resolver reads as a private IPv4 address (inet_aton) are private too."""
    web = RedirectingWeb(location)

    outcome = harness.check(
        "https://example.test/start", transport=web.transport(), allow_private=False
    )

    assert not web.elsewhere.called, f"followed to {web.seen[1:]}"
    assert web.start.call_count == 1
    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.PRIVATE


def test_allow_private_follows_a_private_redirect(harness: Harness) -> None:
    """With allow_private, the same redirect is followed (to a mock: nothing is sent)."""
    web = RedirectingWeb("http://10.0.0.5/page")

    outcome = harness.check(
        "https://example.test/start", transport=web.transport(), allow_private=True
    )

    assert isinstance(outcome, HttpFacts)
    assert web.seen == ["https://example.test/start", "http://10.0.0.5/page"]
    assert web.elsewhere.call_count == 1


def test_redirect_to_unsupported_scheme_is_one_request(harness: Harness) -> None:
    """A redirect to file:// will never change: no retry, and nothing fetched."""
    web = RedirectingWeb("file:///etc/passwd")

    outcome = harness.check("https://example.test/start", transport=web.transport(), attempts=3)

    assert isinstance(outcome, FetchFailure)
    assert outcome.message == "redirects to an unsupported scheme: file:///etc/passwd"
    assert web.seen == ["https://example.test/start"]
    assert harness.delays == []


def test_malformed_location_is_one_request(harness: Harness) -> None:
    """A Location header that is not a URL will not get better on retry."""
    web = RedirectingWeb("http://[oops]/")

    outcome = harness.check("https://example.test/start", transport=web.transport(), attempts=3)

    assert isinstance(outcome, FetchFailure)
    assert web.seen == ["https://example.test/start"]
    assert harness.delays == []


# --- Limits -------------------------------------------------------------------------------


@dataclass
class InFlight:
    """An async handler that tracks how many requests overlap, per host and overall."""

    now: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    total_now: int = 0
    total_peak: int = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.now[host] = self.now.get(host, 0) + 1
        self.total_now += 1
        self.peak[host] = max(self.peak.get(host, 0), self.now[host])
        self.total_peak = max(self.total_peak, self.total_now)
        for _ in range(5):
            await asyncio.sleep(0)  # let every other task run while this one is "in flight"
        self.now[host] -= 1
        self.total_now -= 1
        return httpx.Response(200)


def test_per_host_limit_caps_concurrent_requests(harness: Harness, router: respx.Router) -> None:
    """Ten pages on one host, checked at once with per_host=2: never more than 2 in flight."""
    web = InFlight()
    pages = router.get(host="one.example.test").mock(side_effect=web)
    urls = [f"https://one.example.test/page/{i}" for i in range(10)]

    outcomes = asyncio.run(
        harness.check_all(urls, transport=transport_of(router), per_host=2, concurrency=16)
    )

    assert all(isinstance(o, HttpFacts) and o.status_code == 200 for o in outcomes)
    assert web.peak == {"one.example.test": 2}  # reached, never exceeded
    assert sorted(str(call.request.url) for call in pages.calls) == sorted(urls)  # once each
    assert harness.requests == 10


def test_global_limit_caps_concurrent_requests(harness: Harness, router: respx.Router) -> None:
    """Ten hosts at once with concurrency=3: never more than 3 requests in flight overall."""
    web = InFlight()
    hosts = router.get(host__regex=r"^h\d\.example\.test$").mock(side_effect=web)
    urls = [f"https://h{i}.example.test/" for i in range(10)]

    asyncio.run(harness.check_all(urls, transport=transport_of(router), per_host=2, concurrency=3))

    assert web.total_peak == 3
    assert hosts.call_count == 10


# --- Network-level failures (respx side effects) ------------------------------------------
# An exception *instance* as the side effect keeps its message (an exception class would say
# "Mock Error"); a function raising one would chain it to respx's wrapper both ways.


def test_network_down_is_unreachable_and_stops_retrying(
    harness: Harness, router: respx.Router
) -> None:
    """DNS failing for five hosts: all unreachable (never broken), and retries stop early."""
    no_dns = httpx.ConnectError("[Errno -2] Name or service not known")
    sites = router.get(host__regex=r"^site\d\.example\.test$").mock(side_effect=no_dns)
    urls = [f"https://site{i}.example.test/" for i in range(5)]

    outcomes = asyncio.run(harness.check_all(urls, transport=transport_of(router), attempts=3))

    for outcome in outcomes:
        assert isinstance(outcome, FetchFailure)
        assert outcome.kind is FailureKind.CONNECT
        verdict = web_verdict(outcome, NOW)
        assert verdict.status is Status.UNREACHABLE
        assert verdict.network_level_failure is True
        assert verdict.checked_at is None  # nothing was observed
        assert verdict.reason is not None
        assert verdict.reason.startswith("cannot connect: [Errno -2] Name or service not known")
    assert harness.watch.looked_down is True
    assert harness.watch.looks_down is True
    assert harness.requests == sites.call_count
    assert sites.call_count < 5 * 3


def test_connect_timeout_is_retried_then_unreachable(
    harness: Harness, router: respx.Router
) -> None:
    """A connect timeout is transient: retried `attempts` times, then unreachable."""
    slow = router.get("https://slow.example.test/").mock(side_effect=httpx.ConnectTimeout)

    outcome = harness.check(
        "https://slow.example.test/", transport=transport_of(router), attempts=3
    )

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.TIMEOUT
    assert slow.call_count == 3
    assert len(harness.delays) == 2
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.reason == "timed out (ConnectTimeout)"
    assert verdict.network_level_failure is True


def test_read_timeout_is_unreachable_after_one_attempt(
    harness: Harness, router: respx.Router
) -> None:
    """A server that took the request and stayed silent is not asked again: each retry of a
    hang would cost another whole timeout."""
    hang = router.get("https://hang.example.test/").mock(side_effect=httpx.ReadTimeout)

    outcome = harness.check(
        "https://hang.example.test/", transport=transport_of(router), attempts=3
    )

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.NO_ANSWER
    assert hang.call_count == 1
    assert harness.delays == []
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.reason == "timed out (ReadTimeout)"
    assert verdict.network_level_failure is False


@pytest.mark.slow  # the deadline is real time: 0.05 s
def test_whole_request_deadline_gives_timeout(harness: Harness, router: respx.Router) -> None:
    """A server that never finishes answering is cut off by the whole-request deadline."""

    async def never_answers(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable: nothing sets the event")

    drip = router.get("https://drip.example.test/").mock(side_effect=never_answers)

    outcome = harness.check(
        "https://drip.example.test/", transport=transport_of(router), attempts=1,
        request_deadline_s=0.05,
    )  # fmt: skip

    assert drip.call_count == 0  # cut off mid-request: no answer was ever recorded
    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.NO_ANSWER
    assert outcome.message == "no answer within 0.05 s"
    assert web_verdict(outcome, NOW).status is Status.UNREACHABLE


def test_connection_reset_is_retried_then_unreachable(
    harness: Harness, router: respx.Router
) -> None:
    """A reset mid-request is transient: retried, then unreachable (not network-level)."""
    reset = router.get("https://reset.example.test/").mock(
        side_effect=httpx.ReadError("[Errno 104] Connection reset by peer")
    )

    outcome = harness.check(
        "https://reset.example.test/", transport=transport_of(router), attempts=3
    )

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.PROTOCOL
    assert reset.call_count == 3
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.reason == ("connection failed mid-request: [Errno 104] Connection reset by peer")
    assert verdict.network_level_failure is False
    assert harness.watch.failed_hosts == set()


def test_one_answer_means_the_network_is_up(harness: Harness, router: respx.Router) -> None:
    """Failing hosts alongside one that answers: the network is not presumed down."""
    up = router.get(host="up.example.test").respond(200)
    refused = httpx.ConnectError("[Errno 111] Connection refused")
    down = router.get(host__regex=r"^d\d\.example\.test$").mock(side_effect=refused)

    urls = ["https://up.example.test/"] + [f"https://d{i}.example.test/" for i in range(4)]
    outcomes = asyncio.run(harness.check_all(urls, transport=transport_of(router), attempts=2))

    assert isinstance(outcomes[0], HttpFacts)
    assert harness.watch.looked_down is False
    assert all(isinstance(o, FetchFailure) and o.attempts == 2 for o in outcomes[1:])
    assert (up.call_count, down.call_count) == (1, 4 * 2)  # every refused host asked again


def openssl_error() -> ssl.SSLError:
    """An SSL error as _ssl.c raises it, with the ``reason`` and ``library`` it always adds."""
    error = ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)"
    )
    error.reason = "CERTIFICATE_VERIFY_FAILED"
    error.library = "SSL"
    return error


def plain_ssl_error() -> ssl.SSLError:
    """An SSL error raised from Python code (ssl.py itself does this), without ``reason``."""
    return ssl.SSLError("ALPN protocols must be 1 to 255 in length")


@pytest.mark.parametrize(
    "make_cause",
    [
        pytest.param(openssl_error, id="openssl-error"),
        pytest.param(plain_ssl_error, id="python-raised-ssl-error"),
    ],
)
def test_tls_error_is_unreachable_without_retry(
    harness: Harness, make_cause: Callable[[], ssl.SSLError]
) -> None:
    """A ConnectError caused by an SSLError is a TLS failure: unreachable, not retried."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("handshake failed", request=request) from make_cause()

    outcome = harness.check("https://badcert.example.test/", transport=plain_transport(handler))

    assert isinstance(outcome, FetchFailure)
    assert outcome.kind is FailureKind.TLS
    assert outcome.message.startswith("TLS error: ")
    assert harness.requests == 1
    verdict = web_verdict(outcome, NOW)
    assert verdict.status is Status.UNREACHABLE
    assert verdict.network_level_failure is False


# --- describe_http_error ------------------------------------------------------------------


def _caused_by(exc: httpx.HTTPError, cause: BaseException) -> httpx.HTTPError:
    exc.__cause__ = cause
    return exc


def _in_context_of(exc: httpx.HTTPError, context: BaseException) -> httpx.HTTPError:
    exc.__context__ = context
    return exc


@pytest.mark.parametrize(
    ("exc", "kind", "message"),
    [
        pytest.param(
            httpx.ConnectTimeout(""), FailureKind.TIMEOUT, "timed out (ConnectTimeout)",
            id="connect-timeout",
        ),
        pytest.param(
            httpx.ReadTimeout("x"), FailureKind.NO_ANSWER, "timed out (ReadTimeout)",
            id="read-timeout",
        ),
        pytest.param(
            httpx.PoolTimeout("x"), FailureKind.TIMEOUT, "timed out (PoolTimeout)",
            id="pool-timeout",
        ),
        pytest.param(
            httpx.ConnectError("[Errno -2] Name or service not known"), FailureKind.CONNECT,
            "cannot connect: [Errno -2] Name or service not known", id="dns-failure",
        ),
        pytest.param(
            httpx.ConnectError(""), FailureKind.CONNECT, "cannot connect",
            id="connect-error-without-message",
        ),
        pytest.param(
            _caused_by(httpx.ConnectError("x"), openssl_error()), FailureKind.TLS,
            "TLS error: CERTIFICATE_VERIFY_FAILED", id="tls-as-cause",
        ),
        pytest.param(
            _in_context_of(httpx.ConnectError("x"), openssl_error()), FailureKind.TLS,
            "TLS error: CERTIFICATE_VERIFY_FAILED", id="tls-as-context",
        ),
        pytest.param(
            _caused_by(httpx.ConnectError("x"), _caused_by(httpx.ConnectError("y"),
                                                             openssl_error())),
            FailureKind.TLS, "TLS error: CERTIFICATE_VERIFY_FAILED", id="tls-two-levels-deep",
        ),
        pytest.param(
            _caused_by(httpx.ConnectError("x"), plain_ssl_error()), FailureKind.TLS,
            "TLS error: ALPN protocols must be 1 to 255 in length",
            id="tls-python-raised-ssl-error",
        ),
        pytest.param(
            httpx.ReadError("[Errno 104] Connection reset by peer"), FailureKind.PROTOCOL,
            "connection failed mid-request: [Errno 104] Connection reset by peer",
            id="connection-reset",
        ),
        pytest.param(
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            FailureKind.PROTOCOL,
            "connection failed mid-request: Server disconnected without sending a response.",
            id="server-disconnected",
        ),
        pytest.param(
            httpx.ReadError(""), FailureKind.PROTOCOL,
            "connection failed mid-request: ReadError", id="read-error-without-message",
        ),
        pytest.param(
            httpx.DecodingError("bad gzip"), FailureKind.PROTOCOL, "HTTP error: bad gzip",
            id="other-http-error",
        ),
    ],
)  # fmt: skip
def test_describe_http_error(exc: httpx.HTTPError, kind: FailureKind, message: str) -> None:
    """Each httpx exception maps to one failure kind and a readable message."""
    assert describe_http_error(exc) == (kind, message)


def test_an_exception_chain_that_loops_is_described_not_followed_for_ever() -> None:
    """A cause chain that comes back to itself ends the walk: a message, not a hang."""
    error = httpx.ConnectError("cannot connect")
    inner = OSError("reset")
    inner.__context__ = error
    error.__cause__ = inner
    kind, message = describe_http_error(error)
    assert kind is FailureKind.CONNECT and "cannot connect" in message
