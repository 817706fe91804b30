"""Fake arXiv and GitHub APIs built from real-format responses (tests/fixtures/).

They run behind pytest-httpserver on 127.0.0.1, count requests, and answer like the real
services: arXiv leaves unknown ids out of the feed and answers 400 for a malformed id; GitHub
answers 404 for unknown repositories, 301 for renamed ones, 304 to a matching If-None-Match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_text(name))
    return data


_MULTI = fixture_text("arxiv_idlist_multi.xml")
_HEADER = _MULTI[: _MULTI.index("  <entry>")]
_ENTRY_TEMPLATE = _MULTI[
    _MULTI.index("  <entry>", _MULTI.index("</entry>")) : _MULTI.rindex("</entry>")
    + len("</entry>\n")
]
"""The real 2405.13786 entry (non-ASCII authors, DOI, two categories), used as a template."""
_TEMPLATE_ID = "2405.13786"
_TEMPLATE_TITLE = "Towards Explainable Test Case Prioritisation with Learning-to-Rank Models"
_VALID_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def hostile(answer: Response | Callable[[], Response]) -> Response:
    """The answer a hostile fake was given, made fresh when it is a function."""
    return answer if isinstance(answer, Response) else answer()


def paper_title(arxiv_id: str) -> str:
    """The title the fake gives a paper: predictable, with whitespace to normalise."""
    return f"Paper {arxiv_id}:\n   a   study"


@dataclass
class FakeArxiv:
    """``/api/query?id_list=...``: one entry per known id, in the real Atom format."""

    known: set[str] = field(default_factory=set)
    latest_version: int = 2
    requests: list[list[str]] = field(default_factory=list)
    """The id_list of every request received."""
    fail_first: int = 0
    """Answer this many requests with 503 before behaving (to exercise retries)."""
    answer: Response | Callable[[], Response] | None = None
    """When set, every request gets this (a hostile or broken API) instead of a feed; a
    function makes a fresh one each time (for streamed bodies)."""

    def entry(self, arxiv_id: str) -> str:
        text = _ENTRY_TEMPLATE.replace(f"{_TEMPLATE_ID}v1", f"{arxiv_id}v{self.latest_version}")
        text = text.replace(_TEMPLATE_ID, arxiv_id)
        return text.replace(_TEMPLATE_TITLE, escape(paper_title(arxiv_id)))

    def handler(self, request: Request) -> Response:
        ids = [i for i in request.args.get("id_list", "").split(",") if i]
        self.requests.append(ids)
        if self.answer is not None:
            return hostile(self.answer)
        if self.fail_first > 0:
            self.fail_first -= 1
            return Response("busy", status=503)
        if any(not _VALID_ID.match(i) for i in ids):
            return Response(fixture_text("arxiv_error_malformed_id.xml"), status=400,
                            content_type="application/atom+xml")  # fmt: skip
        found = [re.sub(r"v\d+$", "", i) for i in ids]
        entries = "".join(self.entry(i) for i in found if i in self.known)
        count = sum(1 for i in found if i in self.known)
        header = re.sub(
            r"<opensearch:totalResults>\d+<", f"<opensearch:totalResults>{count}<", _HEADER
        )
        body = header + entries + "</feed>\n"
        return Response(body, status=200, content_type="application/atom+xml; charset=utf-8")


@dataclass
class FakeGithub:
    """``/repos/{owner}/{repo}``: known repositories, renames (301), 404s, ETags."""

    known: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Lower-cased ``owner/repo`` -> repository JSON."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Lower-cased old ``owner/repo`` -> new ``owner/repo`` (which must be in ``known``)."""
    requests: list[dict[str, str]] = field(default_factory=list)
    """Path and relevant headers of every request received."""
    answer: Response | Callable[[], Response] | None = None
    """When set, every request gets this (a hostile or broken API) instead of a repository;
    a function makes a fresh one each time (for streamed bodies)."""
    special: dict[str, Callable[[Request], Response]] = field(default_factory=dict)
    """Lower-cased ``owner/repo`` -> a handler of its own (hostile answers for one repo)."""

    def add(self, full_name: str, **changes: Any) -> None:
        data = fixture_json("github_repo.json")
        data.update(full_name=full_name, name=full_name.split("/")[1],
                    html_url=f"https://github.com/{full_name}", **changes)  # fmt: skip
        self.known[full_name.lower()] = data

    def rename(self, old: str, new: str) -> None:
        self.add(new)
        self.renamed[old.lower()] = new

    @staticmethod
    def etag(data: dict[str, Any]) -> str:
        return f'W/"{abs(hash(json.dumps(data, sort_keys=True))):x}"'

    def handler(self, request: Request) -> Response:
        self.requests.append({
            "path": request.path,
            "authorization": request.headers.get("Authorization", ""),
            "if-none-match": request.headers.get("If-None-Match", ""),
        })  # fmt: skip
        if self.answer is not None:
            return hostile(self.answer)
        rate = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59",
                "X-RateLimit-Reset": "1900000000", "X-RateLimit-Resource": "core"}  # fmt: skip
        if request.path.startswith("/repositories/"):
            name = request.path.split("/", 2)[2]
            data = self.known[name.lower()]
            return Response(
                json.dumps(data), status=200, headers=rate, content_type="application/json"
            )
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)", request.path)
        assert match, request.path
        key = f"{match[1]}/{match[2]}".lower()
        if key in self.special:
            return self.special[key](request)
        if key in self.renamed:
            body = fixture_json("github_repo_301_moved.json")
            location = f"{request.host_url.rstrip('/')}/repositories/{self.renamed[key]}"
            body["url"] = location
            return Response(json.dumps(body), status=301, headers={**rate, "Location": location},
                            content_type="application/json")  # fmt: skip
        if key not in self.known:
            return Response(fixture_text("github_repo_404.json"), status=404, headers=rate,
                            content_type="application/json")  # fmt: skip
        data = self.known[key]
        etag = self.etag(data)
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={**rate, "ETag": etag})
        return Response(json.dumps(data), status=200, headers={**rate, "ETag": etag},
                        content_type="application/json; charset=utf-8")  # fmt: skip
