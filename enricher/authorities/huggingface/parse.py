"""What the Hub API's answers say: repository and paper JSON as facts, ``RateLimit`` headers as
a quota. Pure: plain values in, plain values out.

Parsing is tolerant of what the Hub leaves out (a Space has no downloads, a model no
description) and strict about what it sends: a value of the wrong type is never coerced, it
makes the answer unreadable (``UnreadableAnswer``), which the client reports as a failure of
this run, never as "no such repository".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..json_fields import (
    UnreadableAnswer,
    body_json,
    get_count,
    get_flag,
    get_object,
    get_strings,
    get_text,
    shown,
)
from .facts import HubRepo, HubType

DESCRIPTION_MAX_CHARS = 300
"""A record's ``description`` is a summary line, not a README: longer texts are cut at a word
boundary and end with an ellipsis."""


def short(text: str | None, limit: int = DESCRIPTION_MAX_CHARS) -> str | None:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    if text is None:
        return None
    squashed = " ".join(text.split())
    if len(squashed) <= limit:
        return squashed or None
    cut = squashed[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def _license(card: Mapping[str, Any], tags: list[str]) -> str | None:
    """The card's license (a list becomes ``a, b``; ``other`` names its ``license_name``), else
    the Hub's ``license:`` tag."""
    value = card.get("license")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        value = ", ".join(value) or None
    if value is not None and not isinstance(value, str):
        raise UnreadableAnswer(f"cardData.license is {shown(value)}, not a string")
    if value == "other":
        value = get_text(card, "license_name") or value
    if value:
        return value
    return next((tag.removeprefix("license:") for tag in tags if tag.startswith("license:")), None)


def _gated(data: Mapping[str, Any]) -> bool | str | None:
    value = data.get("gated")
    if value is None or isinstance(value, bool | str):
        return value
    raise UnreadableAnswer(f"gated is {shown(value)}, not true, false, 'auto' or 'manual'")


def _document(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise UnreadableAnswer(f"JSON {type(data).__name__}, not a {what} object")
    return data


def repo_from_json(hub_type: HubType, data: object) -> HubRepo:
    """The fields we keep from ``/api/models|datasets|spaces/<id>``."""
    if hub_type == "paper":
        return paper_from_json(data)
    document = _document(data, hub_type)
    repo_id = document.get("id")
    if not isinstance(repo_id, str) or not repo_id.strip("/"):
        raise UnreadableAnswer(f"id is {shown(repo_id)}, not a repository name")
    card = get_object(document, "cardData")
    tags = get_strings(document, "tags")
    description = get_text(document, "description") or get_text(card, "short_description")
    title = get_text(card, "title") or get_text(card, "pretty_name")
    return HubRepo(
        type=hub_type,
        id=repo_id,
        author=get_text(document, "author"),
        downloads=get_count(document, "downloads"),
        likes=get_count(document, "likes"),
        pipeline_tag=get_text(document, "pipeline_tag"),
        library_name=get_text(document, "library_name"),
        license=_license(card, tags),
        gated=_gated(document),
        last_modified=get_text(document, "lastModified"),
        description=short(description),
        title=short(title),
        disabled=get_flag(document, "disabled"),
    )


def paper_from_json(data: object) -> HubRepo:
    """The fields we keep from ``/api/papers/<arXiv id>``: title, summary, upvotes, and the
    code and project links the Hub shows on the paper's page."""
    document = _document(data, "paper")
    paper_id = document.get("id")
    if not isinstance(paper_id, str) or not paper_id:
        raise UnreadableAnswer(f"id is {shown(paper_id)}, not a paper id")
    return HubRepo(
        type="paper",
        id=paper_id,
        likes=get_count(document, "upvotes"),
        description=short(get_text(document, "summary")),
        title=short(get_text(document, "title")),
        code_url=_web_url(document, "githubRepo"),
        project_url=_web_url(document, "projectPage"),
    )


def _web_url(data: Mapping[str, Any], key: str) -> str | None:
    """An http(s) URL the Hub links to; anything else (``javascript:``, a bare word) is left
    out rather than repeated into a record."""
    value = get_text(data, key)
    if value is None:
        return None
    value = value.strip()
    return value if re.match(r"https?://[^\s/]+", value, re.IGNORECASE) else None


def from_body(hub_type: HubType, body: bytes, content_type: str) -> HubRepo:
    """``repo_from_json`` of a raw answer; ``UnreadableAnswer`` says what the body is instead."""
    return repo_from_json(hub_type, body_json(body, content_type, "Hub JSON"))


# The quota: draft-ietf-httpapi-ratelimit-headers, as the Hub sends it on every answer:
#   RateLimit: "api";r=487;t=142                     (remaining, seconds to the window's end)
#   RateLimit-Policy: "fixed window";"api";q=500;w=300 (quota per window of w seconds)
# (huggingface.co/docs/hub/rate-limits: 500 API requests per 5 minutes anonymously, 1,000 for
# a free account, more with PRO.) A 429 comes with r=0 and the time to the reset.

QUOTA_BUCKET = "api"
"""The Hub's bucket for API calls (the others are ``resolvers`` and ``pages``)."""


@dataclass(frozen=True, slots=True)
class Quota:
    """One answer's ``RateLimit`` and ``RateLimit-Policy`` for the ``api`` bucket."""

    remaining: int | None = None
    reset_s: float | None = None
    """Seconds until the window ends and the quota is whole again."""
    limit: int | None = None
    window_s: float | None = None

    @property
    def is_spent(self) -> bool:
        """No request is left in this window."""
        return self.remaining is not None and self.remaining <= 0

    def describe(self) -> str:
        """``500 requests per 300 s``, or ``""`` when the policy was not given."""
        if self.limit is None or self.window_s is None:
            return ""
        return f"{self.limit} requests per {self.window_s:g} s"


def _members(value: str) -> list[tuple[set[str], dict[str, str]]]:
    """A structured-field list, leniently: each member's names (quoted strings or tokens) and
    parameters (``k=v``)."""
    members: list[tuple[set[str], dict[str, str]]] = []
    for member in value.split(","):
        names: set[str] = set()
        params: dict[str, str] = {}
        for item in member.split(";"):
            item = item.strip()
            if not item:
                continue
            key, equals, raw = item.partition("=")
            if equals:
                params[key.strip().lower()] = raw.strip().strip('"')
            else:
                names.add(item.strip('"').lower())
        members.append((names, params))
    return members


def _bucket(value: str | None) -> dict[str, str]:
    """The parameters of the ``api`` bucket's member, else of the only member."""
    if not value:
        return {}
    members = _members(value)
    for names, params in members:
        if QUOTA_BUCKET in names:
            return params
    return members[0][1] if len(members) == 1 else {}


def _number(params: Mapping[str, str], key: str) -> float | None:
    text = params.get(key, "")
    if not re.fullmatch(r"\d{1,12}(?:\.\d{1,6})?", text):
        return None
    return float(text)


def parse_quota(headers: Mapping[str, str]) -> Quota | None:
    """The ``api`` bucket's quota from an answer's headers; None when it sent none.

    ``headers`` must look names up case-insensitively (``httpx.Headers`` does).
    """
    current = _bucket(headers.get("ratelimit"))
    policy = _bucket(headers.get("ratelimit-policy"))
    remaining, reset = _number(current, "r"), _number(current, "t")
    limit, window = _number(policy, "q"), _number(policy, "w")
    if remaining is None and reset is None and limit is None:
        return None
    return Quota(
        remaining=int(remaining) if remaining is not None else None,
        reset_s=reset,
        limit=int(limit) if limit is not None else None,
        window_s=window,
    )
