"""Which huggingface.co URLs name a repository or a paper. Pure: no I/O.

``huggingface.co/<owner>/<name>`` is a model, ``/datasets/<owner>/<name>`` a dataset,
``/spaces/<owner>/<name>`` a Space, each with anything below it (``/tree/main/...``,
``/blob/...``, ``/resolve/...``, ``/discussions/...``); ``/papers/<arXiv id>`` is a paper page.
The Hub's own pages (``/blog/...``, ``/docs/...``, listings, settings) and single-segment paths
(a user or an organisation) are not repositories: they stay web links.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult

from ..arxiv.ids import parse_arxiv_id
from .facts import HubTarget

HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co", "www.hf.co"})
"""The Hub's hosts; ``hf.co`` is its short form and redirects to the same pages."""

RESERVED_FIRST_SEGMENTS = frozenset(
    {
        "api", "blog", "docs", "collections", "models", "organizations", "settings", "login",
        "logout", "join", "pricing", "enterprise", "learn", "tasks", "chat", "posts", "new",
        "new-dataset", "new-space", "new-collection", "search", "notifications",
        "inference-endpoints", "inference", "inference-api", "terms-of-service", "privacy",
        "changelog", "welcome", "oauth", "code-of-conduct", "content-guidelines", "support",
        "hardware", "billing", "subscribe", "security", "storage", "sql-console", "front",
        "static", "mcp", "upgrade", "sso", "academia", "autotrain",
        # Old documentation and course pages, still widely cited (they redirect to /docs,
        # /learn): "huggingface.co/transformers/model_doc/bert.html" is no model.
        "transformers", "course", "hub", "inference-providers", "terms", "spaces-docs",
        "datasets-docs", "tokenizers", "diffusers-docs", "about", "brand", "jobs", "careers",
    }
)  # fmt: skip
"""First path segments of huggingface.co pages that are not ``<owner>/<name>``: the Hub does not
let anyone take these names. (``huggingface`` is not one: it is the company's own organisation,
with real repositories.) ``datasets``, ``spaces`` and ``papers`` are prefixes, handled apart."""

TYPE_PREFIXES = {"datasets": "dataset", "spaces": "space"}
"""First segments that say the repository's type (a model has none)."""

_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,96}$")
"""The Hub's own rule (huggingface_hub ``validate_repo_id``): letters, digits, ``-``, ``_``,
``.``; at most 96 characters; no ``--`` or ``..`` anywhere."""


def _valid_repo_id(owner: str, name: str) -> bool:
    if not _OWNER.match(owner) or not _NAME.match(name) or name in (".", ".."):
        return False
    return not any(bad in part for part in (owner, name) for bad in ("--", ".."))


def hub_target(parts: SplitResult) -> HubTarget | None:
    """The repository or paper a Hub URL points into; None for the Hub's other pages (blog,
    docs, listings, user and organisation pages), which stay web links."""
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None  # the Hub's front page, a listing, a user or an organisation
    first = segments[0].lower()
    if first == "papers":
        paper = parse_arxiv_id(segments[1])
        # /papers/trending, /papers/date/2024-01-01, /papers/month/...: listings, not papers.
        return HubTarget("paper", paper.id) if paper is not None else None
    if first in TYPE_PREFIXES:
        if len(segments) < 3:
            return None  # /datasets/<owner>: a listing (old canonical names moved long ago)
        owner, name = segments[1], segments[2]
        if not _valid_repo_id(owner, name):
            return None
        return HubTarget("dataset" if first == "datasets" else "space", f"{owner}/{name}")
    if first in RESERVED_FIRST_SEGMENTS:
        return None
    owner, name = segments[0], segments[1]
    return HubTarget("model", f"{owner}/{name}") if _valid_repo_id(owner, name) else None
