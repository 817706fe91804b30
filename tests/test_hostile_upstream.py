"""Hostile and broken APIs on 127.0.0.1: every bad answer is a named failure for its links.

Each case runs the whole pipeline twice against the fake arXiv and GitHub APIs: first with the
bad answer (the link is ``unreachable``, the reason says what was wrong, nothing is cached),
then with a good one (the link is ``ok`` with its metadata: nothing was poisoned).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug import Response

from enricher.authorities.github.api import GithubApi
from enricher.cache import CACHE_FILE
from enricher.config import DEFAULT_ATTEMPTS, DEFAULT_MAX_RESPONSE_BYTES, Settings
from enricher.models import GithubTarget, Status, Unanswered
from enricher.net.context import Clocks, NetContext
from enricher.pipeline import run
from tests.conftest import START, Apis, FakeClock
from tests.fakes import fixture_json, fixture_text

PAPER, REPO = "2401.10774", "QwenLM/Qwen-VL"
ARXIV_KEY, GITHUB_KEY = f"arxiv:{PAPER}", f"github:{REPO.lower()}"
MiB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)
ZEROS = bytes(MiB)
HTML_PAGE = "<!DOCTYPE html><html><body><h1>Unicorn!</h1>No server is available.</body></html>"


@pytest.fixture
def digest(apis: Apis, tmp_path: Path) -> Path:
    """A digest with one arXiv paper and one repository, both known to the fakes."""
    apis.arxiv.known = {PAPER}
    apis.github.add(REPO, topics=["vision", "llm"])
    path = tmp_path / "week.txt"
    path.write_text(
        f"[MEDUSA] https://arxiv.org/abs/{PAPER}\n[Qwen-VL] https://github.com/{REPO}\n",
        encoding="utf-8",
    )
    return path


Check = Callable[..., dict[str, dict[str, Any]]]


@pytest.fixture
def check(digest: Path, settings_for: Any, clock: FakeClock) -> Check:
    """Run the pipeline over the digest; its record's links by label."""

    def run_once(**changes: Any) -> dict[str, dict[str, Any]]:
        run(settings_for(digest, **changes), clocks=clock.clocks())
        record = json.loads(digest.with_name("week.enriched.json").read_text(encoding="utf-8"))
        return {link["label"]: link for link in record["links"]}

    return run_once


def cached_keys(tmp_path: Path) -> set[str]:
    with sqlite3.connect(tmp_path / "cache" / CACHE_FILE) as db:
        return {key for (key,) in db.execute("SELECT key FROM facts")}


def refused_then_recovered(
    check: Check, tmp_path: Path, fake: Any, answer: Any, label: str, key: str
) -> str:
    """Run with ``answer`` (the link must be unreachable and uncached), then with the fake
    behaving (the link must be ok, with metadata, and cached). Returns the first reason."""
    fake.answer = answer
    bad = check()[label]
    assert bad["status"] == Status.UNREACHABLE
    assert key not in cached_keys(tmp_path)
    fake.answer = None
    good = check()[label]
    assert good["status"] == Status.OK
    metadata = good["arxiv"]["title"] if key == ARXIV_KEY else good["github"]["full_name"]
    assert metadata
    assert key in cached_keys(tmp_path)
    return str(bad["reason"])


def atom(body: str | bytes, status: int = 200) -> Response:
    return Response(body, status=status, content_type="application/atom+xml; charset=utf-8")


def as_json(data: Any) -> Response:
    return Response(json.dumps(data), status=200, content_type="application/json")


def repo_with(**changes: Any) -> dict[str, Any]:
    data = fixture_json("github_repo.json")
    data.update(full_name=REPO, html_url=f"https://github.com/{REPO}")
    data.update(changes)
    return data


def repo_without(key: str) -> dict[str, Any]:
    data = repo_with()
    del data[key]
    return data


def streamed(total: int, content_type: str) -> Callable[[], Response]:
    """A fresh answer of ``total`` bytes, generated as it is sent (nothing held in memory)."""

    def make() -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(total // len(CHUNK)):
                yield CHUNK

        return Response(body(), status=200, content_type=content_type)

    return make


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """100 MB of zeros, gzip'd to about 100 KB, built a megabyte at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(ZEROS) for _ in range(100)]
    parts.append(packer.flush())
    bomb = b"".join(parts)
    assert len(bomb) < 200 * 1024
    return bomb


def bomb_answer(bomb: bytes, content_type: str) -> Response:
    return Response(
        bomb, status=200, content_type=content_type, headers={"Content-Encoding": "gzip"}
    )


# arXiv ----------------------------------------------------------------------------------------


def test_arxiv_html_page_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 maintenance page from the arXiv API says so, instead of "no such paper"."""
    answer = Response(HTML_PAGE, status=200, content_type="text/html")
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "arXiv API" in reason and "an HTML page, not a complete Atom feed" in reason


def test_arxiv_truncated_feed_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A feed cut off mid-entry is not read as a shorter feed with the paper missing."""
    answer = atom(fixture_text("arxiv_idlist_multi.xml")[:1800])
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "a feed cut off before its end" in reason


def test_arxiv_malformed_feed_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A feed that ends properly but is broken inside is refused, not parsed leniently."""
    good = fixture_text("arxiv_idlist_one_missing.xml")
    answer = atom(good.replace("</entry>", "", 1))
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "malformed XML (line" in reason and "mismatched tag" in reason


def test_arxiv_error_entry_with_200_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """arXiv's error report served as a 200 feed gives its message, not "no such paper"."""
    answer = atom(fixture_text("arxiv_error_malformed_id.xml"))
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "answered with an error: incorrect id format for abc" in reason


def test_arxiv_empty_page_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 with zero bytes is an empty answer, not an empty result set."""
    answer = atom(b"")
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "an empty answer, not a complete Atom feed" in reason


def test_arxiv_feed_with_a_doctype_is_refused(apis: Apis, check: Check, tmp_path: Path) -> None:
    """A DOCTYPE (the door to entity expansion) is refused before the package parses it."""
    feed = fixture_text("arxiv_idlist_one_missing.xml")
    laughs = '<!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
    answer = atom(feed.replace("\n", "\n" + laughs, 1).replace("<title>", "<title>&b;", 1))
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "DOCTYPE" in reason


def test_arxiv_bad_answers_are_retried_a_bounded_number_of_times_without_waiting(
    apis: Apis, check: Check, clock: FakeClock
) -> None:
    """A page that is not a feed is asked for again, at most --attempts times in all, and the
    backoff goes to the injected sleep: the test waits on no real time."""
    apis.arxiv.answer = Response(HTML_PAGE, status=200, content_type="text/html")
    links = check()
    assert links["MEDUSA"]["status"] == Status.UNREACHABLE
    assert len(apis.arxiv.requests) == DEFAULT_ATTEMPTS
    assert len(clock.slept) == DEFAULT_ATTEMPTS - 1 and all(s <= 10 for s in clock.slept)


def test_arxiv_answer_over_the_size_cap_is_refused_unread(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 MB arXiv answer is read up to the cap, refused once (no retry), not cached."""
    answer = streamed(200 * MiB, "application/atom+xml")
    reason = refused_then_recovered(check, tmp_path, apis.arxiv, answer, "MEDUSA", ARXIV_KEY)
    assert "arXiv API" in reason and "answer larger than 8 MiB; not read" in reason
    assert len(apis.arxiv.requests) == 2  # the refused one, then the good one


def test_arxiv_gzip_bomb_costs_at_most_the_cap(
    apis: Apis, check: Check, tmp_path: Path, gzip_bomb: bytes
) -> None:
    """100 MB of gzip'd zeros is decompressed no further than the cap: the run's peak
    Python memory stays near the cap, and the reason names the limit."""
    apis.arxiv.answer = bomb_answer(gzip_bomb, "application/atom+xml")
    tracemalloc.start()
    try:
        links = check()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert links["MEDUSA"]["status"] == Status.UNREACHABLE
    assert "answer larger than 8 MiB; not read" in links["MEDUSA"]["reason"]
    assert peak < DEFAULT_MAX_RESPONSE_BYTES * 2.5, f"peak {peak / MiB:.1f} MiB"
    assert ARXIV_KEY not in cached_keys(tmp_path)


def test_arxiv_size_cap_follows_the_setting(apis: Apis, check: Check) -> None:
    """--max-response-size is the arXiv limit: a whole feed over 1 KiB is refused at 1 KiB."""
    links = check(max_response_bytes=1024)
    assert "answer larger than 1 KiB; not read" in links["MEDUSA"]["reason"]


# GitHub ---------------------------------------------------------------------------------------


def test_github_non_json_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 whose body is not JSON is named as such."""
    answer = Response("full_name: QwenLM/Qwen-VL", status=200, content_type="text/plain")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "GitHub API sent an unreadable answer: something that is not JSON" in reason


def test_github_html_error_page_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 HTML error page (a proxy, the unicorn) is an HTML page, not a repository."""
    answer = Response(HTML_PAGE, status=200, content_type="text/html; charset=utf-8")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "an HTML page, not repository JSON" in reason


def test_github_empty_body_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 with no body at all is an empty answer."""
    answer = Response(b"", status=200, content_type="application/json")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "an empty answer" in reason


def test_github_json_list_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A JSON array where a repository object belongs is named."""
    answer = as_json([repo_with()])
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "JSON list, not a repository object" in reason


def test_github_json_string_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A bare JSON string is not a repository."""
    answer = as_json("QwenLM/Qwen-VL")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "JSON str, not a repository object" in reason


def test_github_object_lacking_full_name_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """An object without full_name cannot say which repository it is."""
    answer = as_json(repo_without("full_name"))
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "full_name is None, not owner/name" in reason


def test_github_full_name_not_a_string_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A numeric full_name is refused, not turned into the text "123"."""
    answer = as_json(repo_with(full_name=123))
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "full_name is 123, not owner/name" in reason


def test_github_stars_as_text_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """stargazers_count "lots" is named, with the value, not a crash."""
    answer = as_json(repo_with(stargazers_count="lots"))
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "stargazers_count is 'lots', not a count" in reason


def test_github_topics_not_a_list_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """topics "ml" is refused rather than read as the topics "m" and "l"."""
    answer = as_json(repo_with(topics="ml"))
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "topics is 'ml', not a list of strings" in reason


def test_github_license_not_an_object_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A license given as a bare string is named, not an AttributeError."""
    answer = as_json(repo_with(license="MIT"))
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "license is 'MIT', not an object" in reason


def test_github_deeply_nested_json_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """JSON nested 100,000 deep (a RecursionError in json) is a reason, not a crash."""
    answer = Response("[" * 100_000 + "]" * 100_000, status=200, content_type="application/json")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "JSON nested too deeply" in reason


def test_github_long_bad_value_is_quoted_short(apis: Apis, check: Check) -> None:
    """A reason quotes at most a few dozen characters of a bad value, never a page of it."""
    apis.github.answer = as_json(repo_with(stargazers_count="lots" * 10_000))
    reason = check()["Qwen-VL"]["reason"]
    assert "stargazers_count is 'lotslots" in reason and len(reason) < 200


def test_github_bad_answer_is_asked_once(apis: Apis, check: Check, clock: FakeClock) -> None:
    """A wrong-shape answer is not retried (the same answer would come back): one request."""
    apis.github.answer = as_json([])
    check()
    assert len(apis.github.requests) == 1 and clock.slept == []


def test_github_answer_over_the_size_cap_is_refused_unread(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A 200 MB GitHub answer is read up to the cap, refused once, not cached."""
    answer = streamed(200 * MiB, "application/json")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "GitHub API answer larger than 8 MiB; not read" in reason
    assert len(apis.github.requests) == 2  # the refused one, then the good one


def test_github_gzip_bomb_costs_at_most_the_cap(
    apis: Apis, check: Check, tmp_path: Path, gzip_bomb: bytes
) -> None:
    """100 MB of gzip'd zeros is decompressed no further than the cap (zlib's max_length),
    so the run's peak Python memory stays near the cap."""
    apis.github.answer = bomb_answer(gzip_bomb, "application/json")
    tracemalloc.start()
    try:
        links = check()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert links["Qwen-VL"]["status"] == Status.UNREACHABLE
    assert "GitHub API answer larger than 8 MiB; not read" in links["Qwen-VL"]["reason"]
    assert peak < DEFAULT_MAX_RESPONSE_BYTES * 2.5, f"peak {peak / MiB:.1f} MiB"
    assert GITHUB_KEY not in cached_keys(tmp_path)


def test_github_gzip_answer_within_the_cap_is_read(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A normal gzip'd repository answer is decoded and used (the bound does not break it)."""
    body = gzip.compress(json.dumps(repo_with()).encode())
    answer = bomb_answer(body, "application/json")
    apis.github.answer = answer
    links = check()
    assert links["Qwen-VL"]["status"] == Status.OK
    assert links["Qwen-VL"]["github"]["full_name"] == REPO


def test_github_corrupt_gzip_is_unreachable_and_not_cached(
    apis: Apis, check: Check, tmp_path: Path
) -> None:
    """A body that claims gzip but is not is a failure naming the compression."""
    answer = bomb_answer(b"\x1f\x8b\x08\x00garbage" * 10, "application/json")
    reason = refused_then_recovered(check, tmp_path, apis.github, answer, "Qwen-VL", GITHUB_KEY)
    assert "badly compressed answer" in reason


def test_github_size_cap_follows_the_setting(apis: Apis, check: Check) -> None:
    """--max-response-size is the GitHub limit: a repository over 1 KiB is refused at 1 KiB."""
    links = check(max_response_bytes=1024)
    assert "GitHub API answer larger than 1 KiB; not read" in links["Qwen-VL"]["reason"]


def test_github_redirect_loop_on_the_api_host_is_bounded(
    apis: Apis, check: Check, tmp_path: Path, clock: FakeClock
) -> None:
    """An API redirecting to itself forever is followed 5 times, once, then named."""

    def loop(request: Any) -> Response:
        return Response("", status=301, headers={"Location": request.path})

    apis.github.special[REPO.lower()] = loop
    link = check()["Qwen-VL"]
    assert link["status"] == Status.UNREACHABLE
    assert "GitHub API redirected more than 5 times" in link["reason"]
    assert len(apis.github.requests) == 6 and clock.slept == []
    assert GITHUB_KEY not in cached_keys(tmp_path)


def test_github_redirect_to_an_unusable_url_is_a_failure_not_a_crash() -> None:
    """A Location httpx cannot parse (werkzeug will not even send one) is a reason, not an
    exception escaping the edge."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "http://h:abc/"})

    async def sleep(seconds: float) -> None:
        pass

    async def fetch() -> Unanswered:
        async with httpx.AsyncClient(
            base_url="https://api.github.test", transport=httpx.MockTransport(handler)
        ) as client:
            settings = Settings(attempts=3, retry_budget_s=60, rate_limit_wait_s=60)
            api = GithubApi(client, NetContext(settings, Clocks(lambda: START, sleep)))
            failure = await api.fetch(GithubTarget("QwenLM", "Qwen-VL"))
            assert isinstance(failure, Unanswered)
            return failure

    assert "GitHub API redirect to an unusable URL" in str(asyncio.run(fetch()))
