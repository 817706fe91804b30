"""Paper to code: where an arXiv paper's code and project page are, as Hugging Face knows them.

For every arXiv paper a run cites (``--no-paper-links``: none), one ``GET /api/papers/<id>`` on
the Hub (``--hf-api-url``), looked up as a target of its own (``PaperLinksTarget``, key
``paper-links:<id>``) so its answer is cached under its own TTL (``ttl-paper-links``, 7 days)
whatever the paper's. Its fact is ``PaperLinks`` (what the Hub links to), or None when the Hub
does not know the paper (404): both are answers, cached; only a failure is asked again.

It adds no object of its own to a record: ``complete`` puts ``code_url`` (the Hub's
``githubRepo``), ``project_url`` (``projectPage``) and ``hf_upvotes`` into the paper's
``arxiv`` object. When the Hub has no code link, a ``github.com/<owner>/<repo>`` link in the
paper's own comment or abstract is the code link (``code_link_in``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import SplitResult

from ...config import Settings
from ...models import Metadata, Observed, Status, Target, Unanswered, Verdict
from ..base import Lookup, record_from_payload, record_payload
from ..github import GITHUB_RESERVED_OWNERS
from ..huggingface.api import HubApi, hub_client
from ..huggingface.facts import HubMissing, HubTarget

__all__ = [
    "PAPER_LINKS",
    "PAPER_LINK_FIELDS",
    "PaperLinks",
    "PaperLinksAuthority",
    "PaperLinksTarget",
    "code_link_in",
    "links_json",
    "with_paper_links",
]

PAPER_LINK_FIELDS = ("code_url", "project_url", "hf_upvotes")
"""The ``arxiv`` object's fields from this lookup, in their order (before ``observed_at``)."""

_GITHUB_LINK = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?github\.com/"
    r"([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})",
    re.IGNORECASE,
)
"""``github.com/<owner>/<repo>``, with or without a scheme, anywhere in a text."""


@dataclass(frozen=True, slots=True)
class PaperLinksTarget:
    """An arXiv paper, as Hugging Face's papers API is asked about it."""

    id: str
    """The arXiv id, without version."""

    kind = "paper-links"

    @property
    def key(self) -> str:
        return f"paper-links:{self.id}"


@dataclass(frozen=True, slots=True)
class PaperLinks:
    """What Hugging Face's page for a paper links to."""

    code_url: str | None = None
    """The paper's code repository (``githubRepo``)."""
    project_url: str | None = None
    """Its project page (``projectPage``)."""
    upvotes: int | None = None
    """Upvotes of the paper on Hugging Face."""


def code_link_in(*texts: str | None) -> str | None:
    """The first GitHub repository linked in ``texts`` (a paper's comment, then its
    abstract), as ``https://github.com/<owner>/<repo>``; None when there is none.

    Pure. Sentence punctuation after the link (``.../Medusa.``), a ``.git`` suffix and any
    path below the repository are dropped; GitHub's own pages (``github.com/features/...``)
    are not repositories.
    """
    for text in texts:
        for match in _GITHUB_LINK.finditer(text or ""):
            owner, repo = match[1], match[2].rstrip(".")
            repo = repo.removesuffix(".git")
            if owner.lower() in GITHUB_RESERVED_OWNERS or repo in ("", ".", ".."):
                continue
            return f"https://github.com/{owner}/{repo}"
    return None


def links_json(value: Mapping[str, Any], observed: Observed | None) -> dict[str, str | int | None]:
    """``code_url``, ``project_url`` and ``hf_upvotes`` for an ``arxiv`` object ``value``.

    ``observed`` is the paper's lookup on Hugging Face (its fact None: the Hub does not know
    the paper), or None when none was ever made or answered (``--no-paper-links``, an outage,
    ``--offline``): then what ``value`` already holds (an earlier record's) is kept. Either
    way, a GitHub link in the paper's comment or abstract stands in for a missing code link.
    """
    own = code_link_in(value.get("comment"), value.get("abstract"))
    if observed is None:
        code, project, upvotes = (value.get(name) for name in PAPER_LINK_FIELDS)
    else:
        links: PaperLinks | None = observed.fact
        code = links.code_url if links else None
        project = links.project_url if links else None
        upvotes = links.upvotes if links else None
    return {"code_url": code or own, "project_url": project, "hf_upvotes": upvotes}


def with_paper_links(metadata: Metadata | None, observed: Observed | None) -> Metadata | None:
    """An ``arxiv`` object with the paper-links fields, placed before its ``observed_at``
    (records keep a stable key order); unchanged when it is null."""
    if metadata is None:
        return None
    key, value = metadata
    if value is None:
        return metadata
    links = links_json(value, observed)
    completed = {
        k: v for k, v in value.items() if k not in PAPER_LINK_FIELDS and k != "observed_at"
    }
    completed.update(links)
    if "observed_at" in value:
        completed["observed_at"] = value["observed_at"]
    return key, completed


class PaperLinksAuthority:
    """Hugging Face's papers API, asked about arXiv papers (not a kind of link: it claims no
    URL; its targets come from the arXiv authority's ``companions``)."""

    name: ClassVar[str] = "paper-links"

    def claim(self, parts: SplitResult, host: str) -> None:
        """No URL: ``huggingface.co/papers/<id>`` links are the Hugging Face authority's."""
        return None

    def prejudge(self, target: PaperLinksTarget, settings: Settings) -> Verdict | None:
        return None

    def label(self, target: PaperLinksTarget) -> str:
        return "huggingface.co"

    def companions(self, target: PaperLinksTarget, settings: Settings) -> tuple[Target, ...]:
        return ()

    def complete(
        self,
        target: PaperLinksTarget,
        metadata: Metadata | None,
        companions: Mapping[str, Observed],
    ) -> Metadata | None:
        return metadata

    async def look_up(self, targets: list[PaperLinksTarget], lookup: Lookup) -> None:
        """One request per paper, through the Hub client (its in-flight limit and quota)."""
        if not targets:
            return
        context = lookup.context
        async with hub_client(context, self.name) as client:
            # Extras for a record, not links: with nothing answering anyone, they wait for
            # a run with a network (the last known links stay).
            api = HubApi(client, context, extras=True)

            async def one(target: PaperLinksTarget) -> None:
                answer = await api.fetch(HubTarget("paper", target.id))
                if isinstance(answer, Unanswered):
                    lookup.found(target, answer)
                    return
                links = None
                if not isinstance(answer, HubMissing):
                    links = PaperLinks(answer.code_url, answer.project_url, answer.likes)
                lookup.found(target, Observed(links, context.clocks.now()))

            await asyncio.gather(*(one(target) for target in targets))

    def verdict(self, target: PaperLinksTarget, observed: Observed) -> Verdict:
        """Always ``ok``: that the Hub knows a paper or not says nothing about the arXiv link
        (only the cache and the progress display see this verdict)."""
        reason = None if observed.fact is not None else "not on Hugging Face"
        return Verdict(Status.OK, reason, checked_at=observed.observed_at)

    def encode(self, fact: PaperLinks | None) -> dict[str, Any]:
        """``{"links": {...}}``, or ``{"links": null}`` for a paper the Hub does not know."""
        return {"links": record_payload(fact) if fact is not None else None}

    def decode(self, payload: dict[str, Any]) -> PaperLinks | None:
        data = payload["links"]
        return record_from_payload(PaperLinks, data) if data is not None else None

    def metadata(self, target: PaperLinksTarget, fact: PaperLinks | None) -> Metadata | None:
        """None: no object of its own (``with_paper_links`` completes the ``arxiv`` one)."""
        return None


PAPER_LINKS = PaperLinksAuthority()
