"""DOIs, answered for by their registration agencies: Crossref, then DataCite.

Claims ``doi.org/10.*`` and ``dx.doi.org/10.*``, publisher pages whose path carries a DOI
(``/doi/...`` paths, ``link.springer.com/article/...``) and ``nature.com/articles/<id>``
(``ids``); looks each DOI up with Crossref ``GET /works/<doi>`` and, when Crossref does not
know it, DataCite ``GET /dois/<doi>`` (``api``); its fact is ``Work | None`` (None: neither
agency knows the DOI, which is ``broken``); the record gets a ``doi`` object (``works``).

The DOI is the authority: a publisher's page is never fetched, so its bot wall or consent page
no longer decides anything. A registered DOI is ``ok``, and the reason says where it was
checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import SplitResult

from ...config import Settings
from ...models import Metadata, Observed, Status, Target, Unanswered, Verdict
from ..base import Lookup, record_from_payload, record_payload
from .api import DoiApi, crossref_client, datacite_client
from .ids import DoiTarget, doi_target, doi_url, normalise_doi, parse_doi
from .works import AGENCY_NAMES, Work, work_json

__all__ = ["DOI", "DoiAuthority", "DoiTarget", "Work", "normalise_doi", "parse_doi", "work_json"]


class DoiAuthority:
    """DOIs, wherever they are linked."""

    name: ClassVar[str] = "doi"

    def claim(self, parts: SplitResult, host: str) -> DoiTarget | None:
        """A DOI on the resolver or in a publisher's path; other pages of those hosts (a
        science.org news article, nature.com's news index) stay web links."""
        return doi_target(parts, host)

    def prejudge(self, target: DoiTarget, settings: Settings) -> Verdict | None:
        return None

    def label(self, target: DoiTarget) -> str:
        return "api.crossref.org"

    def companions(self, target: DoiTarget, settings: Settings) -> tuple[Target, ...]:
        return ()

    def complete(
        self, target: DoiTarget, metadata: Metadata | None, companions: Mapping[str, Observed]
    ) -> Metadata | None:
        return metadata

    async def look_up(self, targets: list[DoiTarget], lookup: Lookup) -> None:
        """Every DOI, side by side (each registry keeps its own pace and in-flight limit)."""
        if not targets:
            return
        context = lookup.context
        async with crossref_client(context) as crossref, datacite_client(context) as datacite:
            api = DoiApi(crossref, datacite, context)

            async def one(target: DoiTarget) -> None:
                answer = await api.fetch(target.doi)
                if isinstance(answer, Unanswered):
                    lookup.found(target, answer)
                else:
                    lookup.found(target, Observed(answer, context.clocks.now()))

            await asyncio.gather(*(one(target) for target in targets))

    def verdict(self, target: DoiTarget, observed: Observed) -> Verdict:
        """A DOI exists when a registration agency describes it; one both agencies deny is
        broken. Whatever the publisher's page would say (a bot wall, a paywall) does not
        count: the DOI is the authority."""
        work: Work | None = observed.fact
        checked_at = observed.observed_at
        if work is None:
            return Verdict(
                Status.BROKEN,
                f"DOI {target.doi} is registered with neither Crossref nor DataCite",
                http_status=404,
                checked_at=checked_at,
            )
        agency = AGENCY_NAMES.get(work.agency, work.agency)
        return Verdict(
            Status.OK,
            f"checked by its DOI with {agency}; the publisher's page is not fetched",
            http_status=200,
            final_url=doi_url(work.doi),
            checked_at=checked_at,
        )

    def encode(self, fact: Work | None) -> dict[str, Any]:
        """``{"work": {...}}``, or ``{"work": null}`` for a DOI neither agency knows."""
        return {"work": record_payload(fact) if fact is not None else None}

    def decode(self, payload: dict[str, Any]) -> Work | None:
        data = payload["work"]
        return record_from_payload(Work, data) if data is not None else None

    def metadata(self, target: DoiTarget, fact: Work | None) -> Metadata:
        """The ``doi`` object: the work as its agency describes it; null when unknown."""
        return ("doi", work_json(fact) if fact is not None else None)


DOI = DoiAuthority()
