"""One GET on a REST API's origin, with its retries: the part the authorities' API clients
(GitHub, Hugging Face, the DOI registries) share.

Redirects are followed here, not by httpx, and only while they stay on the API's origin: a
token in the client's headers never goes anywhere else, and no redirect body is read. Only a
200's body is read (the one a client parses), as it arrives and decompressed, at most
``max_response_bytes`` of it: a huge body or a gzip bomb costs the cap, not the body. Every
failure is an ``UpstreamError`` naming the service, and every message has the client's
``Authorization`` blanked out, whatever a server or a library put in it.

What differs per API stays with its client: how fast it is asked (``gate``), what a request
holding its place waits for (``ready``: a quota's return), when it is not asked at all
(``veto``), what an answer teaches about its limits (``on_answer``), and which answers are
worth another try (``retry_answer``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import httpx

from ..config import format_size
from ..errors import UpstreamError
from ..verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after
from .bodies import TooLarge, read_capped
from .context import NetContext
from .http_errors import CLIENT_ERRORS, describe_http_error
from .redact import redact, secret_forms
from .retries import async_retrying

MAX_REDIRECTS = 5
"""Redirects followed per lookup, on the API's origin only (a renamed repository is one)."""


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """One HTTP answer as read: status, headers and (for a 200 only) the decoded body."""

    status_code: int
    headers: httpx.Headers
    body: bytes = b""


class NoAnswer(UpstreamError):
    """Nothing answered (DNS, connection, timeout); ``transient`` when another try may help."""

    transient: bool = False


Outcome = ApiAnswer | UpstreamError
Gate = Callable[[], AbstractAsyncContextManager[object]]
Veto = Callable[[str], UpstreamError | None]
"""A reason not to send a request for ``path`` (a quota spent, the network down), or None."""


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _host_port(url: httpx.URL) -> str:
    """Where a URL points, without its path or query (which may carry anything)."""
    return f"{url.host}:{url.port}" if url.port is not None else url.host


def _transient_status(answer: ApiAnswer) -> bool:
    return is_transient_status(answer.status_code)


def _no_gate() -> AbstractAsyncContextManager[object]:
    return contextlib.nullcontext()


class ApiClient:
    """GETs on one API's origin for one service, as one attempt (``get_once``) or retried
    (``get``)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        context: NetContext,
        *,
        service: str,
        name: str,
        gate: Gate = _no_gate,
        veto: Veto | None = None,
        ready: Callable[[], Awaitable[None]] | None = None,
        on_answer: Callable[[ApiAnswer], None] | None = None,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        settings = context.settings
        self.service = service
        """The name requests and errors are counted under (``github``, ``crossref``...)."""
        self.name = name
        """The API as people read it, first word of its messages: ``GitHub API``."""
        self.clock = context.clocks.now
        self._client = client
        self._gate = gate
        self._veto = veto
        self._ready = ready
        """Awaited once a request holds its slot, before the veto: a quota coming back soon
        is waited for there, by every request already queued too."""
        self._on_answer = on_answer
        self._max_redirects = max_redirects
        self._max_response_bytes = settings.max_response_bytes
        self._attempts = settings.attempts
        self._retry_budget_s = settings.retry_budget_s
        self._watch = context.watch
        self._sleep = context.clocks.sleep
        self._secrets = secret_forms(client.headers.get("authorization", ""))
        """The token in every form a message might hold it: blanked out of every message."""

    def error(
        self, path: str, status: int | None, message: str, attempts: int = 1
    ) -> UpstreamError:
        """A failure of this API, its message cleared of the token."""
        return UpstreamError(self.service, path, status, attempts, self.redact(message))

    def redact(self, text: str) -> str:
        """``text`` with the token blanked out: servers and libraries may echo headers."""
        return redact(text, self._secrets)

    def retry_after(self, outcome: Outcome) -> float | None:
        """Seconds an answer's ``Retry-After`` asks for, or None."""
        if isinstance(outcome, ApiAnswer):
            return parse_retry_after(outcome.headers.get("retry-after"), self.clock())
        return None

    async def get(
        self,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        retry_answer: Callable[[ApiAnswer], bool] = _transient_status,
    ) -> tuple[Outcome, int]:
        """GET ``path``, retried while the outcome is worth it; the last outcome and the
        attempts made.

        Retried: a transient network failure (while the network does not look down), and an
        answer ``retry_answer`` accepts (by default a transient status), unless its
        Retry-After asks for longer than we ever wait.
        """

        def should_retry(outcome: Outcome) -> bool:
            if isinstance(outcome, NoAnswer):
                return outcome.transient and not self._watch.looks_down
            if isinstance(outcome, UpstreamError):
                return False  # refused before sending, or an answer we refused to take
            hint = self.retry_after(outcome)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                return False  # asked to stay away longer than we wait: report it
            return retry_answer(outcome)

        retrying = async_retrying(
            attempts=self._attempts,
            budget_s=self._retry_budget_s,
            should_retry=should_retry,
            retry_after_of=self.retry_after,
            sleep=self._sleep,
        )
        result: Outcome = await retrying(self.get_once, path, headers)
        return result, int(retrying.statistics.get("attempt_number", 1))

    def _vetoed(self, path: str) -> UpstreamError | None:
        return self._veto(path) if self._veto is not None else None

    async def get_once(self, path: str, headers: dict[str, str] | None = None) -> Outcome:
        """One attempt: wait for the gate, then GET, following redirects on the origin."""
        vetoed = self._vetoed(path)
        if vetoed is not None:
            return vetoed
        async with self._gate():
            if self._ready is not None:
                await self._ready()
            vetoed = self._vetoed(path)  # decided while this request waited its turn?
            if vetoed is not None:
                return vetoed
            try:
                answer = await self._follow(path, headers or {})
            except CLIENT_ERRORS as exc:
                kind, message = describe_http_error(exc)
                if kind.is_network_level:
                    self._watch.failed(self._client.base_url.host)
                failure = NoAnswer(
                    self.service, path, None, 1, self.redact(f"{self.name} {message}")
                )
                failure.transient = kind.is_transient
                return failure
        if isinstance(answer, ApiAnswer):
            self._watch.answered()
            if self._on_answer is not None:
                self._on_answer(answer)
        return answer

    async def _follow(self, path: str, headers: dict[str, str]) -> Outcome:
        """GET ``path``, following redirects that stay on the API's origin (and no others)."""
        origin = self._client.base_url
        request = self._client.build_request("GET", path, headers=headers)
        status = None
        for _ in range(self._max_redirects + 1):
            response = await self._client.send(request, stream=True, follow_redirects=False)
            status = response.status_code
            try:
                if not response.has_redirect_location:
                    return await self._read(path, response)
                target = request.url.join(response.headers["location"])
            finally:
                await response.aclose()
            if _origin(target) != _origin(origin):
                # Only the API host is trusted with the token and with its facts.
                message = (
                    f"{self.name} redirected to another host ({_host_port(target)}); not followed"
                )
                return self.error(path, status, message)
            request = self._client.build_request("GET", target, headers=headers)
        message = f"{self.name} redirected more than {self._max_redirects} times"
        return self.error(path, status, message)

    async def _read(self, path: str, response: httpx.Response) -> Outcome:
        """The answer; the body is read (capped) only for a 200, the one a client parses."""
        if response.status_code != 200:
            return ApiAnswer(response.status_code, response.headers)
        try:
            body = await read_capped(response, self._max_response_bytes)
        except TooLarge:
            size = format_size(self._max_response_bytes)
            return self.error(path, 200, f"{self.name} answer larger than {size}; not read")
        return ApiAnswer(200, response.headers, body)
