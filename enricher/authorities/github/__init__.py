"""GitHub: repositories, answered for by the REST API (``GET /repos/{owner}/{repo}``).

Claims ``github.com/<owner>/<repo>`` and anything below it; looks repositories up at most
``MAX_IN_FLIGHT`` at a time with ETag revalidation and rate-limit awareness (``api``); its fact
is ``Repo | None`` (None: GitHub says 404); a renamed repository is ``redirected``; the record
gets a ``github`` object. ``GITHUB_TOKEN`` goes to the API host only.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import SplitResult

import httpx

from ...config import Settings
from ...models import (
    GithubTarget,
    Metadata,
    Observed,
    Repo,
    Status,
    Target,
    Unanswered,
    Verdict,
)
from ..base import Lookup, record_from_payload, record_payload
from .api import SERVICE, GithubApi

__all__ = ["GITHUB", "GithubAuthority", "repo_json"]

GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})

GITHUB_RESERVED_OWNERS = frozenset(
    {
        "about", "account", "apps", "blog", "collections", "contact", "customer-stories",
        "dashboard", "enterprise", "events", "explore", "features", "git-guides", "github",
        "home", "issues", "join", "login", "logout", "marketplace", "mobile", "new",
        "notifications", "orgs", "organizations", "pricing", "pulls", "readme", "resources",
        "search", "security", "sessions", "settings", "signup", "site", "solutions", "sponsors",
        "team", "topics", "trending", "codespaces", "education", "nonprofit", "premium-support",
        "stars", "watching", "users", "copilot", "models", "discussions",
    }
)  # fmt: skip
"""First path segments of github.com pages that are not ``OWNER/REPO``."""

_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def repository_target(parts: SplitResult) -> GithubTarget | None:
    """The repository a github.com URL points into; None for pages that are not repositories."""
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None  # github.com itself, or a user/organisation profile
    owner, repo = segments[0], segments[1]
    if owner.lower() in GITHUB_RESERVED_OWNERS:
        return None
    if repo.endswith(".git"):
        repo = repo[: -len(".git")]
    if not _GITHUB_OWNER.match(owner) or not _GITHUB_REPO.match(repo) or repo in (".", ".."):
        return None
    return GithubTarget(owner, repo)


class GithubAuthority:
    """Repositories on GitHub."""

    name: ClassVar[str] = "github"

    def claim(self, parts: SplitResult, host: str) -> GithubTarget | None:
        """A repository (or a page inside one) on github.com; profiles and site pages are
        web links."""
        return repository_target(parts) if host in GITHUB_HOSTS else None

    def prejudge(self, target: GithubTarget, settings: Settings) -> Verdict | None:
        return None

    def label(self, target: GithubTarget) -> str:
        return "api.github.com"

    def companions(self, target: GithubTarget, settings: Settings) -> tuple[Target, ...]:
        return ()

    def complete(
        self, target: GithubTarget, metadata: Metadata | None, companions: Mapping[str, Observed]
    ) -> Metadata | None:
        return metadata

    async def look_up(self, targets: list[GithubTarget], lookup: Lookup) -> None:
        """Every repository, side by side (``GithubApi`` keeps its own in-flight limit); a
        stale fact whose ETag the API confirms (304, no quota spent) is observed again."""
        if not targets:
            return
        context = lookup.context
        settings = context.settings
        client = httpx.AsyncClient(
            base_url=settings.github_api_url, timeout=httpx.Timeout(settings.timeout_s),
            follow_redirects=False,  # GithubApi follows them, on the API host only
            headers={"User-Agent": settings.user_agent, **GithubApi.headers(settings.github_token)},
            event_hooks={"request": [context.counter.hook(SERVICE)]}, verify=context.tls,
        )  # fmt: skip
        async with client:
            api = GithubApi(client, context)

            async def one(target: GithubTarget) -> None:
                previous = lookup.previous.get(target.key)
                answer = await api.fetch(target, previous.etag if previous else None)
                if isinstance(answer, Unanswered):
                    lookup.found(target, answer)
                    return
                fact = previous.fact if answer.not_modified and previous else answer.repo
                lookup.found(target, Observed(fact, context.clocks.now(), answer.etag))

            await asyncio.gather(*(one(target) for target in targets))

    def verdict(self, target: GithubTarget, observed: Observed) -> Verdict:
        """A repository exists when the API returned it; a different ``full_name`` means it
        moved. GitHub answers a renamed or transferred repository with a 301 to its new home;
        names are case-insensitive, so only a real change of name counts as a move."""
        repo: Repo | None = observed.fact
        checked_at = observed.observed_at
        if repo is None:
            return Verdict(
                Status.BROKEN,
                f"no GitHub repository {target.id} (404; private repositories look the same)",
                http_status=404,
                checked_at=checked_at,
            )
        if repo.full_name.lower() != target.id.lower():
            return Verdict(
                Status.REDIRECTED,
                f"repository moved to {repo.full_name}",
                http_status=200,
                final_url=repo.html_url,
                suggested_url=repo.html_url,
                checked_at=checked_at,
            )
        reason = "repository is archived (read-only)" if repo.archived else None
        return Verdict(
            Status.OK, reason, http_status=200, final_url=repo.html_url, checked_at=checked_at
        )

    def encode(self, fact: Repo | None) -> dict[str, Any]:
        """``{"repo": {...}}``, or ``{"repo": null}`` for a repository GitHub says is not there."""
        return {"repo": record_payload(fact) if fact is not None else None}

    def decode(self, payload: dict[str, Any]) -> Repo | None:
        data = payload["repo"]
        return record_from_payload(Repo, data) if data is not None else None

    def metadata(self, target: GithubTarget, fact: Repo | None) -> Metadata:
        """The ``github`` object: the repository as the API described it; null when unknown."""
        return ("github", repo_json(fact) if fact is not None else None)


def repo_json(repo: Repo) -> dict[str, Any]:
    """The ``github`` object of a link."""
    return {
        "full_name": repo.full_name,
        "html_url": repo.html_url,
        "description": repo.description,
        "stars": repo.stars,
        "forks": repo.forks,
        "open_issues": repo.open_issues,
        "topics": list(repo.topics),
        "license": repo.license,
        "language": repo.language,
        "archived": repo.archived,
        "fork": repo.fork,
        "created_at": repo.created_at,
        "pushed_at": repo.pushed_at,
        "homepage": repo.homepage,
        "default_branch": repo.default_branch,
    }


GITHUB = GithubAuthority()
