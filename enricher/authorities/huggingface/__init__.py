"""Hugging Face: models, datasets, Spaces and paper pages, answered for by the Hub API.

Claims ``huggingface.co/<owner>/<name>`` (models), ``/datasets/<owner>/<name>``,
``/spaces/<owner>/<name>`` and anything below them, and ``/papers/<arXiv id>``, on
``huggingface.co`` and ``hf.co`` (``ids``); the Hub's own pages stay web links. Looks each one
up with ``GET /api/models|datasets|spaces|papers/<id>`` at most ``api.MAX_IN_FLIGHT`` at a
time, within the Hub's ``RateLimit`` quota (``api``). Its fact is a ``HubRepo`` or a
``HubMissing`` (``facts``): missing is ``broken``, a repository under a new name
``redirected``, a gated one ``ok`` with ``gated`` set; the record gets a ``huggingface``
object. ``HF_TOKEN`` goes to the API host only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import SplitResult

from ...config import Settings
from ...models import Metadata, Observed, Status, Target, Unanswered, Verdict
from ..base import Lookup, record_from_payload, record_payload
from .api import HubApi, hub_client
from .facts import HubFact, HubMissing, HubRepo, HubTarget, HubType
from .ids import HF_HOSTS, hub_target

__all__ = ["HUGGINGFACE", "HubTarget", "HuggingFaceAuthority", "hub_json"]

HUB_TYPES: frozenset[HubType] = frozenset({"model", "dataset", "space", "paper"})

_WHAT: dict[HubType, str] = {"model": "model", "dataset": "dataset", "space": "Space",
                             "paper": "paper page"}  # fmt: skip
"""How a reason names each type."""


class HuggingFaceAuthority:
    """Repositories and paper pages on the Hugging Face Hub."""

    name: ClassVar[str] = "huggingface"

    def claim(self, parts: SplitResult, host: str) -> HubTarget | None:
        """A repository (or a page inside one) or a paper page on the Hub; the Hub's other
        pages (blog, docs, listings, profiles) are web links."""
        return hub_target(parts) if host in HF_HOSTS else None

    def prejudge(self, target: HubTarget, settings: Settings) -> Verdict | None:
        return None

    def label(self, target: HubTarget) -> str:
        return "huggingface.co"

    def companions(self, target: HubTarget, settings: Settings) -> tuple[Target, ...]:
        """Nothing else to look up for a Hub link."""
        return ()

    def complete(
        self, target: HubTarget, metadata: Metadata | None, companions: Mapping[str, Observed]
    ) -> Metadata | None:
        """Nothing to add: no companions."""
        return metadata

    async def look_up(self, targets: list[HubTarget], lookup: Lookup) -> None:
        """Every target, side by side (``HubApi`` keeps its own in-flight limit and quota)."""
        if not targets:
            return
        context = lookup.context
        async with hub_client(context) as client:
            api = HubApi(client, context)

            async def one(target: HubTarget) -> None:
                answer = await api.fetch(target)
                if isinstance(answer, Unanswered):
                    lookup.found(target, answer)
                else:
                    lookup.found(target, Observed(answer, context.clocks.now()))

            await asyncio.gather(*(one(target) for target in targets))

    def verdict(self, target: HubTarget, observed: Observed) -> Verdict:
        """A repository exists when the Hub describes it; under another name it has moved
        (the Hub answers an old name with the new one, or redirects to it). Names are
        case-insensitive, so only a real change of name counts as a move."""
        fact: HubFact = observed.fact
        checked_at = observed.observed_at
        what = _WHAT[target.type]
        if isinstance(fact, HubMissing):
            why = fact.error_code or f"HTTP {fact.status}"
            if target.type == "paper":
                reason = f"Hugging Face has no {what} for arXiv {target.id} ({why})"
            else:
                reason = (
                    f"no Hugging Face {what} {target.id} ({why}; private repositories look "
                    "the same)"
                )
            return Verdict(Status.BROKEN, reason, http_status=fact.status, checked_at=checked_at)
        if fact.disabled:
            return Verdict(
                Status.BROKEN, f"Hugging Face has disabled this {what}", final_url=fact.url,
                checked_at=checked_at,
            )  # fmt: skip
        if fact.id.lower() != target.id.lower():
            return Verdict(
                Status.REDIRECTED,
                f"{what} moved to {fact.id}",
                http_status=200,
                final_url=fact.url,
                suggested_url=fact.url,
                checked_at=checked_at,
            )
        http_status = None if fact.gated is True else 200  # gated: refused, but there
        return Verdict(
            Status.OK, gated_reason(fact.gated), http_status=http_status, final_url=fact.url,
            checked_at=checked_at,
        )  # fmt: skip

    def encode(self, fact: HubFact) -> dict[str, Any]:
        """``{"repo": {...}}``, or ``{"missing": {"status", "error_code"}}``."""
        if isinstance(fact, HubMissing):
            return {"missing": record_payload(fact)}
        return {"repo": record_payload(fact)}

    def decode(self, payload: dict[str, Any]) -> HubFact:
        if "missing" in payload:
            return record_from_payload(HubMissing, payload["missing"])
        repo = record_from_payload(HubRepo, payload["repo"])
        if repo.type not in HUB_TYPES or not isinstance(repo.id, str):
            raise ValueError(f"not a Hub fact: {repo.type!r}")
        return repo

    def metadata(self, target: HubTarget, fact: HubFact | None) -> Metadata:
        """The ``huggingface`` object; null when the Hub has no such thing or nobody answered."""
        return ("huggingface", hub_json(fact) if isinstance(fact, HubRepo) else None)


def gated_reason(gated: bool | str | None) -> str | None:
    """What an ``ok`` verdict says about a gated repository (None: not gated)."""
    if not gated:
        return None
    how = f" ({gated} approval)" if isinstance(gated, str) else ""
    return f"gated{how}: its files need access granted on Hugging Face"


def hub_json(repo: HubRepo) -> dict[str, Any]:
    """The ``huggingface`` object of a link, keys in their documented order."""
    return {
        "type": repo.type,
        "id": repo.id,
        "author": repo.author,
        "downloads": repo.downloads,
        "likes": repo.likes,
        "pipeline_tag": repo.pipeline_tag,
        "library_name": repo.library_name,
        "license": repo.license,
        "gated": repo.gated,
        "last_modified": repo.last_modified,
        "description": repo.description,
        "title": repo.title,
    }


HUGGINGFACE = HuggingFaceAuthority()
