"""What an authority is: the one shape every kind of link's knowledge takes.

An authority owns everything about its kind: which URLs it claims and the target it makes of
them, how it looks a batch of targets up (its own client, pace and budget), its fact type and
the cache codec of that fact, its verdict rules, and the object it adds to a record. The
pipeline iterates over the fixed tuple ``enricher.authorities.AUTHORITIES`` and never asks
"which kind is this?": it asks the target's authority.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from urllib.parse import SplitResult

import httpx

from ..config import Settings
from ..models import InvalidTarget, LookupResult, Metadata, Observed, Target, Verdict
from ..net.context import NetContext

T = TypeVar("T", contravariant=True)
F = TypeVar("F")

Found = Callable[[Any, LookupResult], None]
"""Where a lookup hands each target's result, as soon as it has it: a run stopped midway
keeps (and caches) what was learned before the stop."""


@dataclass(frozen=True)
class Lookup:
    """What one authority's lookup gets from the run: the shared context, the targets' last
    known facts (stale, but an ETag may revalidate them), and where results go."""

    context: NetContext
    previous: Mapping[str, Observed]
    """Stale cache entries of the targets being looked up, by key."""
    found: Found
    web_transport: httpx.AsyncBaseTransport | None = None
    """Replaces the network for web pages only (tests); the APIs have configurable endpoints."""


class Authority(Protocol, Generic[T, F]):
    """One kind of link, from URL to record. ``T`` is its target type, ``F`` its fact type."""

    name: ClassVar[str]
    """The kind it answers for: records' ``kind``, cache keys' prefix, the TTL's name."""

    def claim(self, parts: SplitResult, host: str) -> Any | InvalidTarget | None:
        """The target this URL names, an ``InvalidTarget`` for a URL of this kind that cannot
        be right (a malformed arXiv id), or None when the URL is not this authority's."""
        ...

    def prejudge(self, target: T, settings: Settings) -> Verdict | None:
        """A verdict decided without asking anyone (a private address), or None to look up."""
        ...

    def label(self, target: T) -> str:
        """What the progress display names while this target is checked."""
        ...

    def companions(self, target: T, settings: Settings) -> tuple[Target, ...]:
        """Other things to look up for this target's record, each under its own key, cache
        row and TTL (an arXiv paper's code links on Hugging Face); () for most kinds. They
        are never links: no verdict of theirs is shown and they have no history."""
        ...

    def complete(
        self, target: T, metadata: Metadata | None, companions: Mapping[str, Observed]
    ) -> Metadata | None:
        """The record object with what the companions' observations (by key: this run's,
        else the last known) add to it; ``metadata`` itself for most kinds."""
        ...

    async def look_up(self, targets: list[Any], lookup: Lookup) -> None:
        """Look every target up and hand each result to ``lookup.found``; never raises for a
        target that fails: that is an ``Unanswered`` value."""
        ...

    def verdict(self, target: T, observed: Observed) -> Verdict:
        """Judge the fact observed for ``target`` under the current rules. Pure."""
        ...

    def encode(self, fact: F) -> dict[str, Any]:
        """The fact as a JSON-ready payload for the cache."""
        ...

    def decode(self, payload: dict[str, Any]) -> F:
        """The fact from a cache payload; ``KeyError``, ``TypeError`` or ``ValueError`` for a
        payload from another version (the caller treats it as a miss)."""
        ...

    def metadata(self, target: T, fact: F | None) -> Metadata | None:
        """The object this kind adds to a link's record (None: this kind adds none), made
        afresh on each call: the caller may complete it."""
        ...


D = TypeVar("D")


def record_payload(fact: Any) -> dict[str, Any]:
    """A dataclass fact as a JSON-ready cache payload (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(fact).items()}


def record_from_payload(cls: type[D], data: dict[str, Any]) -> D:
    """A dataclass fact from its cache payload; keys it does not know are left out, a missing
    one is a ``TypeError`` (a row from another version: the caller's cache miss)."""
    names = _field_names(cls)  # type: ignore[arg-type]  # classes hash; mypy says type[D] may not
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names})


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    """A fact class's field names, worked out once (every cached fact of a warm run asks)."""
    return frozenset(f.name for f in fields(cls))
