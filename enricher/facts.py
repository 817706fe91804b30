"""Facts as the cache stores them: plain JSON payloads, and back. Pure: no I/O.

The cache keeps what was observed (HTTP status, redirect chain, metadata), never a verdict, so
verdict rules can change without invalidating the cache.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from .models import FailureKind, FetchFailure, FetchOutcome, HttpFacts, Paper, Redirect, Repo


def _tuples_to_lists(data: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def paper_payload(paper: Paper | None) -> dict[str, Any]:
    """``{"paper": {...}}``, or ``{"paper": null}`` for an id arXiv says does not exist."""
    return {"paper": _tuples_to_lists(asdict(paper)) if paper is not None else None}


def paper_from_payload(payload: dict[str, Any]) -> Paper | None:
    data = payload["paper"]
    if data is None:
        return None
    names = {f.name for f in fields(Paper)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names
    }
    return Paper(**values)


def repo_payload(repo: Repo | None) -> dict[str, Any]:
    """``{"repo": {...}}``, or ``{"repo": null}`` for a repository GitHub says does not exist."""
    return {"repo": _tuples_to_lists(asdict(repo)) if repo is not None else None}


def repo_from_payload(payload: dict[str, Any]) -> Repo | None:
    data = payload["repo"]
    if data is None:
        return None
    names = {f.name for f in fields(Repo)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names
    }
    return Repo(**values)


def http_payload(outcome: FetchOutcome) -> dict[str, Any]:
    """Status, final URL and redirect chain (or the failure, for a redirect loop); retry hints
    and attempt counts are not facts."""
    redirects = [[hop.status, hop.url] for hop in outcome.redirects]
    if isinstance(outcome, FetchFailure):
        return {"failure": outcome.kind.value, "message": outcome.message, "redirects": redirects}
    return {
        "status_code": outcome.status_code,
        "final_url": outcome.final_url,
        "redirects": redirects,
        "bot_challenge": outcome.bot_challenge,
    }


def http_from_payload(payload: dict[str, Any]) -> FetchOutcome:
    redirects = tuple(Redirect(int(s), str(u)) for s, u in payload["redirects"])
    if "failure" in payload:
        return FetchFailure(FailureKind(payload["failure"]), str(payload["message"]), redirects)
    return HttpFacts(
        status_code=int(payload["status_code"]),
        final_url=str(payload["final_url"]),
        redirects=redirects,
        bot_challenge=bool(payload.get("bot_challenge", False)),
    )
