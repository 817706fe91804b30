"""The Hugging Face authority's target and fact types: frozen values, no behaviour beyond
naming themselves. (The other kinds keep theirs in ``enricher.models``; these can move there
unchanged.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HubType = Literal["model", "dataset", "space", "paper"]
"""What a Hugging Face link names: a repository of one of three kinds, or a paper page."""

CANONICAL_ORIGIN = "https://huggingface.co"
"""Where suggested and final URLs point, whatever endpoint the API was asked at (a mirror
answers for the Hub; readers follow links to the Hub)."""

_PAGE_PREFIX: dict[HubType, str] = {"model": "", "dataset": "datasets/", "space": "spaces/",
                                    "paper": "papers/"}  # fmt: skip
_API_COLLECTION: dict[HubType, str] = {"model": "models", "dataset": "datasets",
                                       "space": "spaces", "paper": "papers"}  # fmt: skip


def page_url(hub_type: HubType, hub_id: str) -> str:
    """The Hub page of a repository or paper: ``https://huggingface.co/datasets/owner/name``."""
    return f"{CANONICAL_ORIGIN}/{_PAGE_PREFIX[hub_type]}{hub_id}"


def api_path(hub_type: HubType, hub_id: str) -> str:
    """The API path that describes it: ``/api/models/owner/name``, ``/api/papers/2401.10774``."""
    return f"/api/{_API_COLLECTION[hub_type]}/{hub_id}"


@dataclass(frozen=True, slots=True)
class HubTarget:
    """A model, dataset or Space on the Hub (however deep the link pointed into it), or a
    paper page (``/papers/<arXiv id>``)."""

    type: HubType
    id: str
    """``owner/name`` as written in the link; the arXiv id (no version) of a paper."""

    kind = "huggingface"

    @property
    def key(self) -> str:
        """The Hub resolves names whatever their case, so the key is lower-cased: one check
        for ``Owner/Name`` and ``owner/name``."""
        return f"huggingface:{self.type}:{self.id.lower()}"

    @property
    def url(self) -> str:
        """The thing's page on the Hub."""
        return page_url(self.type, self.id)


@dataclass(frozen=True, slots=True)
class HubRepo:
    """What the Hub API says about a repository or a paper; ``None`` where it says nothing."""

    type: HubType
    id: str
    """The name the Hub answered with: a moved repository answers with its new one."""
    author: str | None = None
    downloads: int | None = None
    """Downloads over the last 30 days (models and datasets)."""
    likes: int | None = None
    """Likes; a paper's upvotes."""
    pipeline_tag: str | None = None
    library_name: str | None = None
    license: str | None = None
    """From the card's ``license`` (or ``license_name`` for ``other``), else a ``license:``
    tag."""
    gated: bool | str | None = None
    """False, ``"auto"`` or ``"manual"`` as the API says it; True when the Hub refused the
    repository as gated without saying how."""
    last_modified: str | None = None
    description: str | None = None
    """A short description when the API has one (a dataset's, a Space's card
    ``short_description``, a paper's summary), cut to ``DESCRIPTION_MAX_CHARS``."""
    title: str | None = None
    """A paper's title, a Space's card title, a dataset's ``pretty_name``."""
    disabled: bool = False
    """The Hub has disabled the repository (a takedown): it is there but cannot be used."""
    code_url: str | None = None
    """A paper's code repository, as the Hub links it (``githubRepo``)."""
    project_url: str | None = None
    """A paper's project page (``projectPage``)."""

    @property
    def url(self) -> str:
        """Its page on the Hub, under the name the Hub answered with."""
        return page_url(self.type, self.id)


@dataclass(frozen=True, slots=True)
class HubMissing:
    """The Hub says there is no such repository or paper (or none this client may see: the
    Hub answers a private repository the same way)."""

    status: int
    """401 (anonymous) or 404."""
    error_code: str | None = None
    """``X-Error-Code``, e.g. ``RepoNotFound``."""


HubFact = HubRepo | HubMissing
"""The Hugging Face authority's fact."""
