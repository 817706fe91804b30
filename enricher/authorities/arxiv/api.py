"""The arXiv edge: paper metadata through the ``arxiv`` package, in ``id_list`` batches.

The API's pace (one request every ``--arxiv-delay`` seconds) is kept in one place: our
session paces every request it sends, failed ones and retries included; the package's own
pacing is off (``delay_seconds=0``), and so is its retry loop (``num_retries=0``): tenacity owns
retries here, so neither waits nor retries multiply. The package is synchronous (requests); the
authority calls it from a worker thread.

Every answer is streamed and read (decompressed) up to ``max_response_bytes``, then checked to
be a whole, well-formed Atom feed before the package may parse it: a maintenance page, a cut-off
body or an error entry is a failure of that batch, never "these papers do not exist".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit
from xml.parsers import expat
from xml.sax.saxutils import unescape

import arxiv
import requests

from ...config import DEFAULT_MAX_RESPONSE_BYTES, format_size
from ...errors import UpstreamError
from ...models import Paper, Unanswered
from ...net.context import NetContext
from ...net.retries import SyncSleep, sync_retrying
from ...verdicts import MAX_RETRY_AFTER_S, is_transient_status, parse_retry_after
from .ids import parse_arxiv_id

BATCH_SIZE = 100
"""Ids per ``id_list`` request: the package's page size, so one batch is one request.
K ids cost ceil(K/100) requests, plus one to confirm any ids the answer left out."""
READ_CHUNK_BYTES = 64 * 1024
"""Decoded bytes read at a time while streaming an answer (urllib3 bounds each decompression
to what was asked, so a gzip bomb never gets further than the cap plus one chunk)."""
_ERROR_ENTRY = re.compile(rb"<id>\s*https?://arxiv\.org/api/errors[^<]*</id>")
"""The id of the entry arXiv sends instead of results when it rejects a query. The package
skips that entry (it has no <published>), which would make the batch's papers look absent."""
_SUMMARY = re.compile(rb"<summary[^>]*>([^<]*)</summary>")
MAX_SHOWN_ERROR_CHARS = 200
"""How much of arXiv's own error text a reason quotes."""


def describe_requests_error(exc: requests.RequestException) -> str:
    """A short cause for a failed request; urllib3's own messages repeat the whole URL."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, BadAnswer):
        return str(exc).removeprefix("arXiv API ")
    chain: list[str] = []
    cause: BaseException | None = exc
    while cause is not None:
        chain.append(type(cause).__name__)
        reason = getattr(cause, "reason", None)
        cause = (
            reason if isinstance(reason, BaseException) else cause.__cause__ or cause.__context__
        )
    if "NameResolutionError" in chain or "gaierror" in chain:
        return "cannot connect: name resolution failed"
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect: connection failed"
    return f"request failed ({type(exc).__name__})"


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    return str(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def paper_from_result(result: Any) -> Paper | None:
    """Our ``Paper`` from an ``arxiv.Result``; None for an entry whose id we cannot read."""
    target = parse_arxiv_id(result.get_short_id())
    if target is None:
        return None
    return Paper(
        id=target.id,
        latest_version=target.version,
        title=_squash(result.title),
        authors=tuple(_squash(author.name) for author in result.authors),
        abstract=_squash(result.summary),
        published=_iso(result.published),
        updated=_iso(result.updated),
        primary_category=result.primary_category or None,
        categories=tuple(result.categories),
        doi=result.doi or None,
        journal_ref=_squash(result.journal_ref) or None,
        comment=_squash(result.comment) or None,
        abs_url=f"https://arxiv.org/abs/{target.id}",
        pdf_url=result.pdf_url,
    )


class BadAnswer(requests.RequestException):
    """An answer we refuse to read as paper metadata; the message says what it was."""


class NotAFeed(BadAnswer):
    """A 200 answer that is not a complete Atom feed: a maintenance page, a cut-off body.

    The arxiv package would parse it leniently into "no results", which would make every
    paper of the batch look nonexistent; this turns it into a (retried) failure instead.
    """


class AnswerTooLarge(BadAnswer):
    """An answer past ``max_response_bytes`` (decompressed): not read further, not retried."""


class ErrorEntry(BadAnswer):
    """A feed whose only entry is arXiv's error report (its legacy way of rejecting a query)."""


def is_complete_feed(body: bytes) -> bool:
    """An Atom feed from its root element to its closing tag."""
    text = body.strip()
    return text.endswith(b"</feed>") and b"<feed" in text[:2048]


def _forbid_doctype(*_: object) -> None:
    raise ValueError("a DOCTYPE, which an Atom feed never has")


def xml_error(body: bytes) -> str | None:
    """Why ``body`` is not well-formed XML, or None when it is.

    The package parses with ``recover=True``, which quietly drops whatever is broken; a
    strict parse first keeps a damaged feed from reading as a shorter one. A DOCTYPE is
    refused, so no entity can expand.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _forbid_doctype
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        return f"line {exc.lineno}: {expat.ErrorString(exc.code)}"
    except ValueError as exc:
        return str(exc)
    return None


def error_entry(body: bytes) -> str | None:
    """arXiv's error text when the feed is its error report (e.g. "incorrect id format for
    abc"), else None."""
    found = _ERROR_ENTRY.search(body)
    if found is None:
        return None
    summary = _SUMMARY.search(body, found.end())
    text = unescape(summary[1].decode("utf-8", "replace")) if summary else ""
    return _squash(text)[:MAX_SHOWN_ERROR_CHARS] or "no details given"


def describe_non_feed(body: bytes, content_type: str) -> str | None:
    """What a 200 answer is when it is not a whole, well-formed Atom feed; None when it is."""
    text = body.strip()
    head = text[:2048].lower()
    if not text:
        what = "an empty answer"
    elif "html" in content_type.lower() or b"<html" in head or b"<!doctype html" in head:
        what = "an HTML page"
    elif b"<feed" in head and not text.endswith(b"</feed>"):
        what = "a feed cut off before its end"
    elif not is_complete_feed(body):
        what = "something else"
    else:
        error = xml_error(body)
        if error is None:
            return None
        what = f"malformed XML ({error})"
    return f"arXiv API sent {what}, not a complete Atom feed"


class _ApiSession(requests.Session):
    """The session the arxiv package uses: a timeout (it sets none), pacing that also counts
    failed requests, request counting, Retry-After capture, and a check that a 200 really
    carries a whole feed."""

    def __init__(
        self,
        timeout_s: float,
        delay_s: float,
        sleep: SyncSleep,
        monotonic: Callable[[], float],
        on_send: Callable[[], None],
        on_answer: Callable[[], None],
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        super().__init__()
        self._max_response_bytes = max_response_bytes
        self._monotonic = monotonic
        self._timeout_s = timeout_s
        self._delay_s = delay_s
        self._sleep = sleep
        self._last_send: float | None = None
        self._on_send = on_send
        self._on_answer = on_answer
        self.retry_after: str | None = None
        """Retry-After of the last answer (the package's HTTPError does not carry headers)."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout_s)
        kwargs["stream"] = True  # read below, up to the cap
        # The package paces from its last *answered* request; a timeout or a rejected answer
        # would let the next request (a retry, the next batch) go out at once. Pace sends.
        if self._last_send is not None:
            gap = self._delay_s - (self._monotonic() - self._last_send)
            if gap > 0:
                self._sleep(gap)
        self._last_send = self._monotonic()
        self._on_send()
        response = super().request(*args, **kwargs)
        self._on_answer()
        self.retry_after = response.headers.get("Retry-After")
        try:
            # Only a 200's body is parsed; any other status is the whole story.
            body = self._read_capped(response) if response.status_code == 200 else b""
        finally:
            response.close()
        # What ``response.content`` would have done, bounded: the package reads .content.
        response._content = body
        if response.status_code == 200:
            problem = describe_non_feed(body, response.headers.get("Content-Type", ""))
            if problem is not None:
                raise NotAFeed(problem)
            error = error_entry(body)
            if error is not None:
                raise ErrorEntry(f"arXiv API answered with an error: {error}")
        return response

    def _read_capped(self, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > self._max_response_bytes:
                chunks.clear()  # the traceback keeps this frame alive: let the bytes go now
                limit = format_size(self._max_response_bytes)
                raise AnswerTooLarge(f"arXiv API answer larger than {limit}; not read")
            chunks.append(chunk)
        return b"".join(chunks)


class ArxivApi:
    """Looks up papers by id, ``BATCH_SIZE`` at a time, with tenacity retries."""

    def __init__(self, context: NetContext, *, monotonic: Callable[[], float] = time.monotonic):
        settings = context.settings
        self._client = arxiv.Client(page_size=BATCH_SIZE, delay_seconds=0, num_retries=0)
        # The package has no endpoint option; its query URL is a documented class attribute.
        self._client.query_url_format = f"{settings.arxiv_api_url}?{{}}"
        # ...and no timeout option: give it our session (a private attribute, checked by tests).
        self._session = _ApiSession(
            settings.timeout_s, settings.arxiv_delay_s, context.clocks.sync_sleep, monotonic,
            lambda: context.counter.add("arxiv"), context.watch.answered,
            settings.max_response_bytes,
        )  # fmt: skip
        self._client._session = self._session
        self._clock = context.clocks.now
        self._host = urlsplit(settings.arxiv_api_url).hostname or settings.arxiv_api_url
        self._attempts = settings.attempts
        self._retry_budget_s = settings.retry_budget_s
        self._watch = context.watch
        self._sleep = context.clocks.sync_sleep

    def fetch_papers(self, ids: list[str]) -> dict[str, Paper | Unanswered | None]:
        """Every id's paper, None where arXiv has none, or ``Unanswered`` (with the reason)
        for the ids of a batch that failed after retries. Ids must be valid (see ``ids``)."""
        found: dict[str, Paper | Unanswered | None] = {}
        unanswered: list[str] = []
        self._fetch_into(list(dict.fromkeys(ids)), found, unanswered)
        # arXiv has been seen to answer a whole, valid, *empty* feed for ids that exist.
        # "No such paper" is a verdict that sticks (broken, cached), so the ids of a batch
        # answered with no entry at all are asked about once more before we believe it. A
        # feed that holds some of the ids is taken at its word for the others, which keeps
        # the cold cost at ceil(K/100) requests.
        if unanswered:
            self._fetch_into(unanswered, found, [])
        return found

    def _fetch_into(
        self, ids: list[str], found: dict[str, Paper | Unanswered | None], unanswered: list[str]
    ) -> None:
        """Fetch ``ids`` in batches into ``found``; ids of batches answered with an empty
        feed are also listed in ``unanswered``."""
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            try:
                papers = self._fetch_batch_with_retries(batch)
            except UpstreamError as exc:
                failed = Unanswered(str(exc), network_level=exc.status is None)
                found.update(dict.fromkeys(batch, failed))
                continue
            if not papers:
                unanswered.extend(batch)
            for paper_id in batch:
                found[paper_id] = papers.get(paper_id)

    def _fetch_batch_with_retries(self, batch: list[str]) -> dict[str, Paper]:
        retrying = sync_retrying(
            attempts=self._attempts,
            budget_s=self._retry_budget_s,
            should_retry=self._should_retry,
            retry_after_of=self._retry_after,
            sleep=self._sleep,
        )
        try:
            return retrying(self._fetch_batch, batch)
        except arxiv.HTTPError as exc:
            attempts = int(retrying.statistics.get("attempt_number", 1))
            raise UpstreamError(
                "arxiv", exc.url, exc.status, attempts,
                f"arXiv API answered HTTP {exc.status}",
            ) from exc  # fmt: skip
        except requests.RequestException as exc:
            attempts = int(retrying.statistics.get("attempt_number", 1))
            # A bad answer is still an answer: the network is there (status 200, as sent).
            status = 200 if isinstance(exc, BadAnswer) else None
            raise UpstreamError(
                "arxiv", self._host, status, attempts,
                f"arXiv API ({self._host}) {describe_requests_error(exc)}",
            ) from exc  # fmt: skip

    def _retry_after(self, exc: BaseException) -> float | None:
        if isinstance(exc, arxiv.HTTPError):
            return parse_retry_after(self._session.retry_after, self._clock())
        return None

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, NotAFeed):
            return True
        if isinstance(exc, arxiv.HTTPError):
            hint = self._retry_after(exc)
            if hint is not None and hint > MAX_RETRY_AFTER_S:
                return False
            return is_transient_status(exc.status)
        if isinstance(exc, requests.ConnectionError | requests.Timeout):
            self._watch.failed(self._host)
            return not self._watch.looks_down
        # A body cut off mid-transfer, or badly compressed: the next try may be whole.
        return isinstance(
            exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
        )

    def _fetch_batch(self, batch: list[str]) -> dict[str, Paper]:
        search = arxiv.Search(id_list=batch, max_results=len(batch))
        papers: dict[str, Paper] = {}
        results = self._client.results(search)
        while True:
            try:
                result = next(results)
            except StopIteration:
                break
            except arxiv.UnexpectedEmptyPageError:
                # The legacy API counted missing ids in totalResults, so the package asks
                # for a second page that is empty: everything there was is already here.
                break
            paper = paper_from_result(result)
            if paper is not None:
                papers[paper.id] = paper
        return papers
