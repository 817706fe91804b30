"""arXiv: papers, answered for by the arXiv API (through the ``arxiv`` package).

Claims ``arxiv.org/abs|pdf|html|format|ps/<id>`` on arXiv's hosts; looks papers up in
``id_list`` batches of 100 at one request every ``--arxiv-delay`` seconds (``api``); its fact
is ``Paper | None`` (None: arXiv says there is no such paper); a link citing a version the
paper does not have is ``broken``; the record gets an ``arxiv`` object.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar
from urllib.parse import SplitResult

from ...config import Settings
from ...errors import Interrupted
from ...models import (
    ArxivTarget,
    InvalidTarget,
    Metadata,
    Observed,
    Paper,
    Status,
    Target,
    Unanswered,
    Verdict,
)
from ..base import Lookup, record_from_payload, record_payload
from .ids import ARXIV_HOSTS, paper_target, parse_arxiv_id
from .paper_links import PAPER_LINKS, PaperLinksTarget, code_link_in, with_paper_links

__all__ = ["ARXIV", "PAPER_LINKS", "ArxivAuthority", "paper_json", "parse_arxiv_id"]

_T = TypeVar("_T")


class ArxivAuthority:
    """Papers on arXiv."""

    name: ClassVar[str] = "arxiv"

    def claim(self, parts: SplitResult, host: str) -> ArxivTarget | InvalidTarget | None:
        """A paper page on an arXiv host; listings and help pages stay web links."""
        return paper_target(parts) if host in ARXIV_HOSTS else None

    def prejudge(self, target: ArxivTarget, settings: Settings) -> Verdict | None:
        return None

    def label(self, target: ArxivTarget) -> str:
        return "export.arxiv.org"

    def companions(self, target: ArxivTarget, settings: Settings) -> tuple[Target, ...]:
        """Where the paper's code is: one question to Hugging Face's papers API, cached on its
        own (``paper_links``); none with ``--no-paper-links``."""
        return (PaperLinksTarget(target.id),) if settings.paper_links else ()

    def complete(
        self, target: ArxivTarget, metadata: Metadata | None, companions: Mapping[str, Observed]
    ) -> Metadata | None:
        """The ``arxiv`` object with ``code_url``, ``project_url`` and ``hf_upvotes``, from
        the companion lookup's observation (this run's, else the last known) in
        ``companions``, by key."""
        return with_paper_links(metadata, companions.get(PaperLinksTarget(target.id).key))

    async def look_up(self, targets: list[ArxivTarget], lookup: Lookup) -> None:
        """All papers in ``id_list`` batches, in a worker thread (the package blocks)."""
        if not targets:
            return
        # The arxiv package and requests under it take 80 ms to import: only a run with papers
        # to look up pays it, before the other authorities start (arXiv's pace makes it the
        # slowest of them, so its first request goes first).
        from .api import ArxivApi

        api = ArxivApi(lookup.context)
        try:
            papers = await _in_daemon_thread(api.fetch_papers, [t.id for t in targets])
        except Interrupted:
            return  # a stop, seen in the thread's pacing sleep: nothing more was learned
        now = lookup.context.clocks.now()
        for target in targets:
            paper = papers.get(target.id, Unanswered("arXiv API gave no answer"))
            lookup.found(target, paper if isinstance(paper, Unanswered) else Observed(paper, now))

    def verdict(self, target: ArxivTarget, observed: Observed) -> Verdict:
        """A paper exists when the arXiv API returned it; a cited version must exist too."""
        paper: Paper | None = observed.fact
        checked_at = observed.observed_at
        if paper is None:
            return Verdict(
                Status.BROKEN, f"arXiv has no paper {target.id}", http_status=200,
                checked_at=checked_at,
            )  # fmt: skip
        latest = paper.latest_version
        if target.version is not None and latest is not None and target.version > latest:
            return Verdict(
                Status.BROKEN,
                f"arXiv {target.id} has no version v{target.version} (latest is v{latest})",
                http_status=200,
                final_url=paper.abs_url,
                checked_at=checked_at,
            )
        return Verdict(
            Status.OK, None, http_status=200, final_url=paper.abs_url, checked_at=checked_at
        )

    def encode(self, fact: Paper | None) -> dict[str, Any]:
        """``{"paper": {...}}``, or ``{"paper": null}`` for an id arXiv says does not exist."""
        return {"paper": record_payload(fact) if fact is not None else None}

    def decode(self, payload: dict[str, Any]) -> Paper | None:
        data = payload["paper"]
        return record_from_payload(Paper, data) if data is not None else None

    def metadata(self, target: ArxivTarget, fact: Paper | None) -> Metadata:
        """The ``arxiv`` object: the paper, with the version the link cites; null when unknown."""
        return ("arxiv", paper_json(fact, target.version) if fact is not None else None)


def paper_json(paper: Paper, cited_version: int | None) -> dict[str, Any]:
    """The ``arxiv`` object of a link; ``version`` is the one the link cites (None: latest).
    ``code_url``, ``project_url`` and ``hf_upvotes`` are Hugging Face's, filled in by
    ``complete``; here the code link is the paper's own (its comment, its abstract)."""
    return {
        "id": paper.id,
        "version": cited_version,
        "latest_version": paper.latest_version,
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "published": paper.published,
        "updated": paper.updated,
        "primary_category": paper.primary_category,
        "categories": list(paper.categories),
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comment": paper.comment,
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        # Completed from Hugging Face by ``complete`` (paper links); until then, the paper's
        # own word on where its code is.
        "code_url": code_link_in(paper.comment, paper.abstract),
        "project_url": None,
        "hf_upvotes": None,
    }


ARXIV = ArxivAuthority()


def _in_daemon_thread(work: Callable[[list[str]], _T], ids: list[str]) -> asyncio.Future[_T]:
    """``asyncio.to_thread``, but in a daemon thread nobody joins.

    The arXiv package blocks in ``requests``; a stop cancels the awaiting side at once, and the
    thread ends at its next (interruptible) pacing sleep or when its request times out, without
    ``asyncio.run`` or the interpreter's exit waiting for it. It writes nothing anywhere.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(result: _T | None, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled by a stop: nobody wants the answer
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = work(ids)
        except BaseException as exc:  # handed to the awaiting side, like to_thread does
            outcome: tuple[_T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop has closed after a stop
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="enricher-arxiv", daemon=True).start()
    return future
