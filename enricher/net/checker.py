"""The web edge: checking pages over HTTP with httpx.

Whatever happens, a check returns a ``FetchOutcome`` (``HttpFacts`` or ``FetchFailure``); it
never raises for a bad link.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

import httpx

from ..models import (
    FailureKind,
    FetchFailure,
    FetchOutcome,
    HttpFacts,
    InvalidTarget,
    PageFacts,
    Redirect,
    Status,
)
from ..page_signals import SIGNAL_HEADERS, challenge_named, judge_page
from ..pages import is_html, page_facts
from ..urls import (
    SUPPORTED_SCHEMES,
    escape_unusable,
    is_private_host,
    parse_url,
    private_address_reason,
)
from ..verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after
from .aside import Aside
from .bodies import Inflater
from .context import SERVICE_EXTENSION, NetContext
from .host_gate import HostGate
from .host_pace import PUSHBACK_STATUSES, HostPace
from .http_errors import CLIENT_ERRORS, describe_http_error
from .page_start import HEADLESS_BYTES, HeadScanner, has_head
from .retries import async_retrying

MAX_VISITS_PER_URL = 2
"""Visits to one URL within a chain before it is a loop (2 allows a set-cookie bounce)."""

Answer = tuple[int, httpx.Headers, float | None, PageFacts | None]
"""What one request got: status, headers, the parsed Retry-After, and what its HTML says."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

UNREAD_STATUSES = REDIRECT_STATUSES | {404, 410}
"""Answers whose page is not read: a redirect's, and a not-found that already says it all."""

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

ACCEPT_ENCODING = "gzip, deflate"
"""The encodings ``_read_page`` decompresses with a bound (a page is never inflated past
``--max-page-bytes``, whatever its compression ratio); asked for explicitly, so that an
installed brotli or zstd module does not change what servers send."""


def is_wall(facts: HttpFacts) -> bool:
    """Whether the answer is a wall (``page_signals``): asking again soon gets the same."""
    signal = judge_page(facts.final_url, facts)
    return signal is not None and signal.status is Status.BLOCKED


def _not_sent_to_a_refusing_host(outcome: FetchOutcome) -> bool:
    """Whether ``outcome`` is a request not sent, its host refusing every request."""
    return isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.REFUSED


def _signal_headers(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    """The headers a page's signals read (``page_signals``), their values cut short."""
    return tuple((name, headers[name][:200]) for name in sorted(SIGNAL_HEADERS) if name in headers)


def is_transient(outcome: FetchOutcome) -> bool:
    """Whether another attempt could give a different answer. 404/410 never are."""
    if isinstance(outcome, FetchFailure):
        return outcome.kind.is_transient
    return is_transient_status(outcome.status_code)


class WebChecker:
    """Checks web pages: streaming GET, manual redirects, retries, global and per-host limits."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        context: NetContext,
        *,
        request_deadline_s: float | None = None,
    ) -> None:
        settings = context.settings
        self._client = client
        self._global = asyncio.Semaphore(settings.concurrency)
        self._aside = Aside()
        """Where big pages are parsed, off the event loop."""
        self._per_host = settings.per_host
        self._hosts: dict[str, HostGate] = {}
        self._request_deadline_s = (
            request_deadline_s if request_deadline_s is not None else settings.timeout_s * 2 + 1
        )
        """Whole-request deadline (default twice the timeout plus a second): httpx's timeouts
        are per operation, so a server dripping header bytes could otherwise hold a request
        for ever."""
        self._link_deadline_s = settings.deadline_s
        """Everything one link may cost: attempts, redirect hops and retry waits."""
        self._max_redirects = settings.max_redirects
        self._attempts = settings.attempts
        self._retry_budget_s = settings.retry_budget_s
        self._allow_private = settings.allow_private
        self._max_page_bytes = settings.max_page_bytes
        self._watch = context.watch
        self._counter = context.counter
        self._sleep = context.clocks.sleep
        self._clock = context.clocks.now

    async def check(
        self,
        url: str,
        let_go: Callable[[], None] | None = None,
        *,
        service: str | None = None,
        attempts: int | None = None,
    ) -> FetchOutcome:
        """Fetch ``url`` with retries on transient outcomes only; the last outcome is returned.

        ``let_go`` is called once the link's first request is over (see ``lanes``): what the
        link does next (a hop to another host, a retry's wait) no longer holds up its host.
        ``service``: what its requests count as in the run's summary, when not the client's;
        ``attempts``: at most this many (default ``--attempts``).
        """
        retrying = async_retrying(
            attempts=attempts or self._attempts,
            budget_s=min(self._retry_budget_s, self._link_deadline_s),
            should_retry=self._should_retry,
            retry_after_of=lambda o: o.retry_after_s if isinstance(o, HttpFacts) else None,
            sleep=self._sleep,
        )
        try:
            # The deadline counts only while the link holds a slot (see _LinkState): a page
            # queued behind a slow neighbour of its host must not be timed out.
            async with asyncio.timeout(None) as deadline:
                link = _LinkState(deadline, self._link_deadline_s, let_go)
                link.service = service
                link.attempts = attempts or self._attempts
                outcome: FetchOutcome = await retrying(self._follow, url, link)
        except TimeoutError:
            return FetchFailure(
                FailureKind.TIMEOUT,
                f"no verdict within the {self._link_deadline_s:g} s deadline for one link "
                "(--deadline)",
                attempts=int(retrying.statistics.get("attempt_number", 1)),
            )
        attempts = int(retrying.statistics.get("attempt_number", 1))
        if _not_sent_to_a_refusing_host(outcome) and link.answer is not None:
            # Asked before its host was given up: that answer, and the attempts really sent.
            outcome, attempts = link.answer, attempts - 1
        return replace(outcome, attempts=attempts)

    def _should_retry(self, outcome: FetchOutcome) -> bool:
        if not is_transient(outcome):
            return False
        if isinstance(outcome, HttpFacts) and is_wall(outcome):
            return False  # a challenge (Cloudflare's 503, Vercel's 429) stays for a bot
        if isinstance(outcome, HttpFacts) and self._host_given_up(outcome.final_url):
            return False  # its refusal is the answer: the host refuses every request
        if isinstance(outcome, FetchFailure) and outcome.kind.is_network_level:
            return not self._watch.looks_down
        if isinstance(outcome, HttpFacts) and outcome.retry_after_s is not None:
            # A server asking us to come back later than we are willing to wait is refusing
            # us for now: report it rather than hold the run.
            return outcome.retry_after_s <= MAX_RETRY_AFTER_S
        return True

    async def _follow(self, url: str, link: _LinkState) -> FetchOutcome:
        """One attempt: GET and follow redirects by hand, keeping the chain."""
        link.attempt += 1
        chain: list[Redirect] = []
        cookies_set = 0  # answers in the chain so far that set a cookie
        visits = {url: (1, cookies_set)}  # each URL's visits, and cookies set before the last
        current = url
        for _ in range(self._max_redirects + 1):
            answer = await self._get(current, link)
            if isinstance(answer, FetchFailure):
                message = answer.message
                if chain and answer.kind is FailureKind.PRIVATE:
                    message = f"redirects to {current}, not followed: {message}"
                return FetchFailure(answer.kind, message, tuple(chain))
            status, headers, retry_after, page = answer
            cookies_set += "set-cookie" in headers
            # Sent twice alike (some proxies repeat headers), it is one Location; two that
            # differ leave nowhere to go (browsers refuse them). Joined by httpx into one
            # "a, a", a live page's repeated Location had been asked for as a URL and 404ed.
            locations = {value.strip() for value in headers.get_list("location")} - {""}
            location = next(iter(locations)) if len(locations) == 1 else None
            if len(locations) > 1 and status in REDIRECT_STATUSES:
                return FetchFailure(
                    FailureKind.BAD_REDIRECT,
                    f"redirect with {len(locations)} different Location headers",
                    tuple(chain),
                )
            if status not in REDIRECT_STATUSES or not location:
                link.answer = HttpFacts(
                    status_code=status,
                    final_url=current,
                    redirects=tuple(chain),
                    retry_after_s=retry_after,
                    page=page,
                    headers=_signal_headers(headers),
                )
                return link.answer
            try:
                # Spaces and controls escaped as the request sends them, so the chain and a
                # suggested URL are URLs (a Location "/a b" is asked for as "/a%20b").
                target = escape_unusable(urljoin(current, location))
                parts = urlsplit(target)
            except ValueError as exc:  # "http://a]/": the server answered, unusably
                return FetchFailure(
                    FailureKind.BAD_REDIRECT,
                    f"redirect to an unusable URL ({location[:200]!r}: {exc})",
                    tuple(chain),
                )
            chain.append(Redirect(status, target))
            if parts.scheme.lower() not in SUPPORTED_SCHEMES:
                return FetchFailure(
                    FailureKind.BAD_REDIRECT,
                    f"redirects to an unsupported scheme: {target}",
                    tuple(chain),
                )
            if isinstance(usable := parse_url(target), InvalidTarget):
                return FetchFailure(
                    FailureKind.BAD_REDIRECT,
                    f"redirect to an unusable URL ({target[:200]}: {usable.reason})",
                    tuple(chain),
                )
            if not self._allow_private and is_private_host(parts.hostname or ""):
                return FetchFailure(
                    FailureKind.PRIVATE,
                    f"redirects to a {private_address_reason(parts.hostname or '')}",
                    tuple(chain),
                )
            # A page may send the reader back to a URL once to set a cookie (the client keeps
            # cookies), itself or through a cookie check of its own (/a -> /cookie-check ->
            # /a); with no cookie set since the last visit, or on a third, it is a loop.
            seen, cookies_then = visits.get(target, (0, cookies_set))
            new_cookie = seen > 0 and cookies_set > cookies_then
            if seen >= (MAX_VISITS_PER_URL if new_cookie else 1):
                return FetchFailure(
                    FailureKind.REDIRECT_LOOP, f"redirect loop at {target}", tuple(chain)
                )
            visits[target] = (seen + 1, cookies_set)
            current = target
        return FetchFailure(
            FailureKind.TOO_MANY_REDIRECTS,
            f"more than {self._max_redirects} redirects",
            tuple(chain),
        )

    def _host_given_up(self, url: str) -> bool:
        """Whether ``url``'s host is given up for the run (``HostGate.given_up``)."""
        gate = self._hosts.get((urlsplit(url).hostname or "").lower())
        return gate is not None and gate.given_up

    def host_gate(self, host: str) -> HostGate:
        """The gate of ``host``: its adaptive limit and pause (made on first use)."""
        if host not in self._hosts:
            self._hosts[host] = HostGate(HostPace(self._per_host), self._sleep, self._clock)
        return self._hosts[host]

    async def _get(self, url: str, link: _LinkState) -> Answer | FetchFailure:
        """One request, judged on its headers (only a small body is read, for reuse).

        ``link``: the link's deadline, which runs only while it holds a slot here, and the
        host pauses it has already waited out itself (its retry honours the Retry-After it
        was given), so it does not wait for them twice.
        """
        try:
            return await self._get_once(url, link)
        finally:
            if link.let_go is not None:
                let_go, link.let_go = link.let_go, None
                let_go()

    async def _get_once(self, url: str, link: _LinkState) -> Answer | FetchFailure:
        host = (urlsplit(url).hostname or "").lower()
        # Host slot first, then a global slot: a task waiting for a busy host must not hold
        # a global slot that a task for another host could use.
        gate = self.host_gate(host)
        if gate.given_up:
            return gate.given_up_failure(host)
        link.queued()
        asked_before = link.asked.get(url, 0)
        link.asked[url] = asked_before + 1
        last_ask = link.asks_last(url)
        async with gate.slot(
            link.waited.get(host, 0),
            link.under_way,
            then=self._global,
            retry=asked_before,
            page=url,
            last_ask=last_ask,
        ) as ticket:
            link.running()
            if gate.given_up:  # it went silent, or refused all, while this link queued
                return gate.given_up_failure(host)
            try:
                async with asyncio.timeout(self._request_deadline_s) as deadline:
                    try:
                        return await self._send(url, host, gate, ticket, link, deadline)
                    except httpx.RemoteProtocolError as exc:
                        if STALE_CONNECTION not in str(exc):
                            raise
                        # A kept-alive connection the server had already closed: browsers
                        # resend at once on a new one, and so do we (once).
                        return await self._send(url, host, gate, ticket, link, deadline)
            except TimeoutError:
                gate.silent += 1
                return FetchFailure(
                    FailureKind.NO_ANSWER, f"no answer within {self._request_deadline_s:g} s"
                )
            except httpx.InvalidURL as exc:
                return FetchFailure(FailureKind.PROTOCOL, f"invalid URL: {exc}")
            except CLIENT_ERRORS as exc:
                kind, message = describe_http_error(exc)
                if kind in (FailureKind.NO_ANSWER, FailureKind.TIMEOUT):
                    gate.silent += 1
                if kind.is_network_level:
                    self._watch.failed(host)
                elif kind is FailureKind.BAD_REDIRECT:
                    self._watch.answered()
                return FetchFailure(kind, message)

    async def _send(
        self,
        url: str,
        host: str,
        gate: HostGate,
        ticket: int,
        link: _LinkState,
        deadline: asyncio.Timeout | None = None,
    ) -> Answer:
        """The GET itself: adapt the host's pace to the answer; read the start of an HTML page
        (what it says it is), else drain a small body for reuse."""
        headers = {"Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        extensions: dict[str, object] = {}
        # Every request is watched at the wire, and held there only while its host is spaced
        # (``HostGate.tracer``): a request past the gate as a spacing begins leaves at it.
        # Returning at once when not spaced, the hook costs no CPU that mixed.py shows (3
        # pairs in turn); held and timed at the wire whether spaced or not, nginx's
        # limit_conn host had taken 1.84-1.86x its floor (cause not found).
        extensions["trace"] = gate.tracer(ticket, deadline, last_ask=link.asks_last(url))
        if link.service:
            extensions[SERVICE_EXTENSION] = link.service
        async with self._client.stream("GET", url, headers=headers, extensions=extensions) as resp:
            self._watch.answered()
            gate.silent = 0
            status = resp.status_code
            retry_after = parse_retry_after(resp.headers.get("retry-after"), self._clock())
            # A bot wall's challenge (Cloudflare's 503, Vercel's 429) refuses whoever asks, at
            # any pace: named by its headers, the pace does not read it as a limit (read as
            # one, half of a host's pages behind a challenge had spaced it 10 s apart).
            # Told by its page alone it is not: a vendor's own rate limiting looks as thin
            # (Cloudflare's 1015), and the pace hears of a refusal before its page is read.
            wall = status in PUSHBACK_STATUSES and challenge_named(_signal_headers(resp.headers))
            epoch = gate.answered(ticket, status, retry_after, wall=wall)
            if status in PUSHBACK_STATUSES:
                link.waited[host] = epoch  # this link's own retry waits it out
                if not wall:
                    self._counter.refused(host)
            return status, resp.headers, retry_after, await self._read(resp, url)

    async def _read(self, resp: httpx.Response, url: str) -> PageFacts | None:
        """What an answer's page says of itself (None: not HTML, not read, or unreadable).
        Any page but a redirect's or a plain 404's is read: a wall or an error page says
        what it is in its HTML, whatever status it came with; other bodies are drained."""
        content_type = resp.headers.get("content-type")
        if resp.status_code in UNREAD_STATUSES or not is_html(content_type):
            await _drain_small_body(resp)
            return None
        body = await _read_page(resp, self._max_page_bytes)
        if body is None:
            return None
        if len(body) > PARSE_ASIDE_BYTES and body.count(b"<") > PARSE_ASIDE_MARKUP:
            return await self._aside.run(lambda: page_facts(body, content_type, url), PARSE_S)
        # A page is anyone's input, parsed by third-party code: whatever it makes that code
        # raise costs the page its facts, never the run.
        with contextlib.suppress(Exception):
            return page_facts(body, content_type, url)
        return None


class _LinkState:
    """What one link carries across its hops and attempts: its deadline and host pauses.

    The deadline counts the link's own time (requests, retry waits), not the time it waits
    for a slot of a busy host: a page queued behind a slow neighbour is not timed out.
    """

    def __init__(
        self,
        deadline: asyncio.Timeout,
        deadline_s: float,
        let_go: Callable[[], None] | None = None,
    ) -> None:
        self._deadline = deadline
        self.let_go = let_go
        """Called (once) when the first request is over; see ``WebChecker.check``."""
        self._left_s = deadline_s
        self._running_since: float | None = None
        self.under_way = False
        """The link has sent its first request: what it asks for now is a follow-up."""
        self.asked: dict[str, int] = {}
        """The URLs this link has asked for, and how often: asking again is a retry."""
        self.waited: dict[str, int] = {}
        """Per host, the pauses this link has already waited out itself."""
        self.service: str | None = None
        """What its requests count as, when not the client's service (a probe)."""
        self.attempts = 1
        """How many times it may ask for a URL: the last ask must not be a test of the pace."""
        self.attempt = 0
        """The attempt under way (1 for the first): every hop of the last one is a last ask."""
        self.answer: HttpFacts | None = None
        """Its last attempt's answer, if any: what it reports when a later attempt is not
        sent, its host given up (``HostGate.given_up``)."""

    def asks_last(self, url: str) -> bool:
        """Whether the ask for ``url`` under way is its last one (held longer at the host):
        asked as often as the link may ask, or any hop of the link's last attempt. A redirect
        whose source was refused twice is followed on the third attempt to a URL asked for the
        first time, and refused there, the link has no attempt left: sent as a first ask (a
        test of a faster spacing), such a target was refused on nginx's 20 r/s host and a
        live redirect came out ``blocked``."""
        if self.attempts <= 1:
            return False
        return self.asked.get(url, 0) >= self.attempts or self.attempt >= self.attempts

    def queued(self) -> None:
        """The link waits for a slot: its clock stops."""
        if self._running_since is not None:
            self._left_s -= asyncio.get_running_loop().time() - self._running_since
            self._running_since = None
            self._deadline.reschedule(None)

    def running(self) -> None:
        """The link has its slot: its clock runs (and keeps running through retry waits)."""
        now = asyncio.get_running_loop().time()
        self._running_since = now
        self.under_way = True
        self._deadline.reschedule(now + max(0.0, self._left_s))


STALE_CONNECTION = "Server disconnected without sending a response"
"""httpcore's words for a reused connection that the server had closed meanwhile."""

SMALL_BODY_BYTES = 64 * 1024
"""A body this small (by Content-Length) is read so the connection can be reused; a larger
one is never downloaded and its connection is closed instead."""

DRAIN_S = 0.5
"""The longest time spent reading a small body; a server that drips it loses the reuse."""


BODY_PEEK_BYTES = 32 * 1024
"""How much of the body is read past the end of ``<head>``: enough for an error page's
heading and first sentences, a wall's scripts, a parking lander's frames."""

PAGE_READ_S = 5.0
"""The longest time spent reading a page's start: a server that drips it is judged on its
headers alone (its page facts are what arrived by then)."""

PARSE_ASIDE_BYTES = 32 * 1024
PARSE_ASIDE_MARKUP = 8192
"""Pages read longer than ``PARSE_ASIDE_BYTES`` holding more ``<`` than this are parsed on a
thread of their own (``aside``): the parser's time grows with the square of some markup, and
on the event loop it would hold up every other request (64 KiB of nested ``<dl>``: 0.8 s).
The rest parse on the loop: error pages, walls, and real pages, whose heads are mostly
scripts (YouTube's 452 KB: 11 ms; 200 generated pages of 20-400 KB: at most 5 ms), at most
about 0.1 s for hostile markup of that many ``<`` (0.2 s within 32 KiB). Parsed aside as
well, real pages cost a run 25-40% more CPU and 90 MB more memory
(``benchmarks/simweb_big.py``: a thread started for each page, and its malloc arena)."""

PARSE_S = 5.0
"""The longest wait for a page parsed aside: past it, the page is judged without its facts."""


async def _read_page(response: httpx.Response, limit: int) -> bytes | None:
    """The page's start: its ``<head>`` (where it says what it is) and the first
    ``BODY_PEEK_BYTES`` of its body (where an error page or a wall says what it is), at most
    ``limit`` bytes, decompressed with a bound; None for an encoding we cannot decompress that
    way (``br``, ``zstd``: not asked for, sent anyway). A read that fails or drips keeps what
    arrived. Metadata placed deep in the body (JSON-LD some sites put there) is not seen:
    reading and parsing whole pages cost a run 1.85x its CPU."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflate = _inflater(encoding)
    if inflate is None:
        return None
    page = bytearray()
    stop = limit
    head = HeadScanner()
    with contextlib.suppress(httpx.HTTPError, TimeoutError, zlib.error):
        async with asyncio.timeout(PAGE_READ_S):
            try:
                async for chunk in response.aiter_raw():
                    page += inflate(chunk, stop - len(page))
                    stop = _kept(page, head, stop, limit)
                    if len(page) >= stop:
                        break
            except httpx.StreamConsumed:  # an answer already in memory (a mock transport)
                content = response.content[:limit]
                return content[: _kept(content, HeadScanner(), limit, limit)]
    return bytes(page[:stop])


def _kept(page: bytes | bytearray, head: HeadScanner, stop: int, limit: int) -> int:
    """How much of a page is read, given its bytes so far (``stop``: as decided before): its
    head and ``BODY_PEEK_BYTES`` of its body, at most ``limit``; a page with no ``<head>``,
    at most ``HEADLESS_BYTES`` (whatever the chunks the bytes came in)."""
    headless = len(page) >= HEADLESS_BYTES and not has_head(page)
    # A page with no head is scanned no further than it is read, however it came: in one
    # chunk, the bytes past that limit would decide where a tag not whole yet ends.
    seen = page[:HEADLESS_BYTES] if headless else page
    if stop == limit and (end := head.feed(seen)) is not None:
        stop = min(limit, end + BODY_PEEK_BYTES)
    elif headless and stop == limit:
        stop = HEADLESS_BYTES  # no head to end: markup from the start
    return stop


def _inflater(encoding: str) -> Callable[[bytes, int], bytes] | None:
    """A function giving at most ``room`` decompressed bytes of the next raw chunk."""
    if encoding in ("identity", ""):
        return lambda chunk, room: chunk[:room]
    if encoding in ("gzip", "x-gzip", "deflate"):
        state = Inflater(encoding)
        return lambda chunk, room: state.decompress(chunk, max(room, 1))
    return None


async def _drain_small_body(response: httpx.Response) -> None:
    """Read a small body to its end, so HTTP/1.1 can reuse the connection for the next page.

    Only for a declared ``Content-Length`` up to ``SMALL_BODY_BYTES``: bytes are counted raw
    (never decompressed), and failing to drain costs only the reuse, never the verdict.
    """
    length = response.headers.get("content-length", "")
    if not length.isdigit() or int(length) > SMALL_BODY_BYTES:
        return
    budget = int(length)
    with contextlib.suppress(httpx.HTTPError, TimeoutError):
        async with asyncio.timeout(DRAIN_S):
            async for chunk in response.aiter_raw():
                budget -= len(chunk)
                if budget < 0:
                    return
