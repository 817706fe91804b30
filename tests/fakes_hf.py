"""A fake Hugging Face Hub API built from real-format answers (tests/fixtures/huggingface/).

It runs behind pytest-httpserver on 127.0.0.1 (``FakeHub.install``), counts requests, and
answers like the Hub: ``/api/models|datasets|spaces/<owner>/<name>`` and
``/api/papers/<arXiv id>``; 401 + ``X-Error-Code: RepoNotFound`` for an unknown repository
(404 for an unknown paper); a 307 to the new name, or the new name in a 200, for a renamed one;
``RateLimit`` and ``RateLimit-Policy`` on every answer, and 429 once the window's quota is
spent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures" / "huggingface"
COLLECTIONS = {"models": "model", "datasets": "dataset", "spaces": "space"}
API_PATHS = re.compile(r"^/api/(models|datasets|spaces|papers)/.+")
"""What the fake answers on a shared server (the arXiv fake has ``/api/query``)."""


def shared_hub(apis: Any) -> FakeHub:
    """The fake Hub of the shared local server (``apis.hub`` once conftest has one; until
    then a new one, installed here)."""
    existing = getattr(apis, "hub", None)
    if isinstance(existing, FakeHub):
        return existing
    fake = FakeHub()
    fake.install(apis.server)
    return fake


def hf_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def hf_fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


_TEMPLATES = {"model": "model.json", "dataset": "dataset.json", "space": "space.json"}


@dataclass
class FakeHub:
    """The Hub API: known repositories and papers, renames, gated and disabled repositories,
    and a quota of ``quota`` requests per ``window_s``-second window."""

    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``type:owner/name`` (lower-cased) -> the JSON the API answers."""
    papers: dict[str, dict[str, Any]] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    """``type:old`` (lower-cased) -> new ``owner/name`` (which must be known)."""
    rename_by_redirect: bool = True
    """Answer an old name with a 307 to the new API path (else: the new repository, 200)."""
    gated_refusals: set[str] = field(default_factory=set)
    """``type:owner/name`` answered 403 + ``X-Error-Code: GatedRepo``."""
    disabled: set[str] = field(default_factory=set)
    """``type:owner/name`` answered 403 + ``X-Error-Message: Access to this resource is
    disabled.``"""
    quota: int = 500
    window_s: int = 300
    reset_in_s: int = 142
    """What ``t=`` says (the fake's clock does not move)."""
    used: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    """Path and Authorization header of every request received."""
    answer: Response | Callable[[Request], Response] | None = None
    """When set, every request gets this instead (a hostile or broken API)."""
    special: dict[str, Callable[[Request], Response]] = field(default_factory=dict)
    """API path -> a handler of its own."""

    def add(self, hub_type: str, repo_id: str, **changes: Any) -> dict[str, Any]:
        """A repository built from the type's fixture, under ``repo_id``."""
        data = hf_fixture(_TEMPLATES[hub_type])
        data.update(id=repo_id, author=repo_id.split("/")[0], **changes)
        if hub_type == "model":
            data["modelId"] = repo_id
        self.repos[f"{hub_type}:{repo_id.lower()}"] = data
        return data

    def add_paper(self, arxiv_id: str, **changes: Any) -> dict[str, Any]:
        data = hf_fixture("paper.json")
        data.update(id=arxiv_id, **changes)
        self.papers[arxiv_id] = data
        return data

    def rename(self, hub_type: str, old: str, new: str) -> None:
        self.add(hub_type, new)
        self.renamed[f"{hub_type}:{old.lower()}"] = new

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def install(self, server: HTTPServer) -> None:
        """Answer the Hub API paths on ``server`` (next to whatever else it answers)."""
        server.expect_request(API_PATHS).respond_with_handler(self.handler)

    def headers(self) -> dict[str, str]:
        remaining = max(self.quota - self.used, 0)
        return {
            "RateLimit": f'"api";r={remaining};t={self.reset_in_s}',
            "RateLimit-Policy": f'"fixed window";"api";q={self.quota};w={self.window_s}',
        }

    def handler(self, request: Request) -> Response:
        self.requests.append(
            {"path": request.path, "authorization": request.headers.get("Authorization", "")}
        )
        if self.answer is not None:
            return self.answer if isinstance(self.answer, Response) else self.answer(request)
        if request.path in self.special:
            return self.special[request.path](request)
        if self.used >= self.quota:
            return Response(
                '{"error":"You have exceeded our rate limit"}', status=429,
                headers=self.headers(), content_type="application/json",
            )  # fmt: skip
        self.used += 1
        rate = self.headers()
        match = re.fullmatch(r"/api/papers/(.+)", request.path)
        if match:
            paper = self.papers.get(match[1])
            if paper is None:
                return Response(hf_fixture_text("paper_not_found.json"), status=404,
                                headers=rate, content_type="application/json")  # fmt: skip
            return self._json(paper, rate)
        match = re.fullmatch(r"/api/(models|datasets|spaces)/([^/]+/[^/]+)", request.path)
        assert match, request.path
        hub_type, repo_id = COLLECTIONS[match[1]], match[2]
        key = f"{hub_type}:{repo_id.lower()}"
        if key in self.renamed:
            new = self.renamed[key]
            if self.rename_by_redirect:
                location = f"/api/{match[1]}/{new}"
                return Response("", status=307, headers={**rate, "Location": location})
            return self._json(self.repos[f"{hub_type}:{new.lower()}"], rate)
        if key in self.gated_refusals:
            return Response('{"error":"Access to this repository is restricted."}', status=403,
                            headers={**rate, "X-Error-Code": "GatedRepo"},
                            content_type="application/json")  # fmt: skip
        if key in self.disabled:
            return Response('{"error":"Access to this resource is disabled."}', status=403,
                            headers={**rate, "X-Error-Message": "Access to this resource is disabled."},
                            content_type="application/json")  # fmt: skip
        if key not in self.repos:
            # Anonymously the Hub answers 401 for a missing repository (a private one too).
            return Response(hf_fixture_text("repo_not_found.json"), status=401,
                            headers={**rate, "X-Error-Code": "RepoNotFound",
                                     "X-Error-Message": "Repository not found"},
                            content_type="application/json")  # fmt: skip
        return self._json(self.repos[key], rate)

    @staticmethod
    def _json(data: dict[str, Any], headers: dict[str, str]) -> Response:
        return Response(json.dumps(data), status=200, headers=headers,
                        content_type="application/json; charset=utf-8")  # fmt: skip
