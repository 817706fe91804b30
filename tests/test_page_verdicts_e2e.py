"""Pages judged by what they say (issue 14, part 3), end to end against a real local server:
a wall answered 200 is ``blocked``, an error page answered 200 is ``broken``, a weak hint
asks the host once for a random sibling path, and what a page said before a wall stood in
front of it is kept. The rules themselves are tested in ``test_page_signals``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from enricher.models import LabelMatch
from enricher.pipeline import run
from tests.conftest import FakeClock

HTML = "text/html; charset=utf-8"


def page(title: str, body: str = "<p>Some text.</p>", head: str = "") -> str:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )


def run_links(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock, *paths: str,
    **changes: Any,
) -> tuple[list[dict[str, Any]], dict[str, int]]:  # fmt: skip
    digest = tmp_path / "week.txt"
    digest.write_text(
        "".join(f"[Link {n}] {httpserver.url_for(p)}\n" for n, p in enumerate(paths)), "utf-8"
    )
    summary = run(settings_for(digest, allow_private=True, **changes), clocks=clock.clocks())
    record = json.loads(digest.with_name("week.enriched.json").read_text("utf-8"))
    return record["links"], dict(summary.requests)


def probes_sent(httpserver: HTTPServer) -> list[str]:
    return [req.path for req, _ in httpserver.log if "/enricher-" in req.path]


def test_weak_hints_ask_the_host_once_and_a_site_that_answers_everything_is_a_soft_404(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Two links whose titles hint at an error on a site that answers any path with that
    page: one probe for the host, both ``broken``, the probe counted apart, no ``page``."""
    oops = page("Oops! Nothing here | Blog", "<h1>Sorry</h1><p>Try the search.</p>")
    httpserver.expect_request(re.compile("/blog/.*")).respond_with_data(oops, content_type=HTML)
    links, requests = run_links(
        httpserver, tmp_path, settings_for, clock, "/blog/old-post", "/blog/other-post"
    )
    assert [link["status"] for link in links] == ["broken", "broken"]
    assert links[0]["reason"].startswith("soft 404: the site answers a random path")
    assert [link["page"] for link in links] == [None, None]
    assert len(probes_sent(httpserver)) == 1 and probes_sent(httpserver)[0].startswith("/blog/")
    assert requests["web-probe"] == 1 and requests["web"] == 2


def test_a_site_that_tells_missing_pages_apart_keeps_its_hinting_page_ok(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A product called "Not Found" on a shop that answers unknown paths 404: ``ok``, with its
    page object; a re-run from the cache asks nothing (the probe is part of the cached fact)."""
    httpserver.expect_request("/shop/not-found-lp").respond_with_data(
        page("Not Found – Vinyl LP | Records", "<h1>Not Found</h1><p>12-inch LP, 1999.</p>"),
        content_type=HTML,
    )
    httpserver.expect_request(re.compile("/shop/enricher-.*")).respond_with_data(
        page("404 Not Found"), status=404, content_type=HTML
    )
    links, _ = run_links(httpserver, tmp_path, settings_for, clock, "/shop/not-found-lp")
    assert (
        links[0]["status"] == "ok" and links[0]["page"]["title"] == "Not Found – Vinyl LP | Records"
    )
    assert len(probes_sent(httpserver)) == 1
    sent = len(httpserver.log)
    links, requests = run_links(httpserver, tmp_path, settings_for, clock, "/shop/not-found-lp")
    assert links[0]["status"] == "ok" and len(httpserver.log) == sent
    assert requests.get("web-probe", 0) == 0


def test_an_ordinary_page_sends_no_probe(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    httpserver.expect_request("/post").respond_with_data(
        page("Medusa, explained"), content_type=HTML
    )
    links, requests = run_links(httpserver, tmp_path, settings_for, clock, "/post")
    assert links[0]["status"] == "ok" and probes_sent(httpserver) == []
    assert requests.get("web-probe", 0) == 0


def test_a_wall_answered_200_is_blocked_and_the_page_known_before_is_kept(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """First the real page, then (re-checked) an AWS WAF challenge answered 202: ``blocked``
    with the vendor named, and the record keeps the page object seen before."""
    answers = iter([
        Response(page("Medusa", head='<meta name="description" content="Heads">'),
                 content_type=HTML),
        Response(page("", "<script>window.gokuProps = {key: 'x'};</script>"), status=202,
                 content_type=HTML, headers={"x-amzn-waf-action": "challenge"}),
    ])  # fmt: skip

    def handler(_: Request) -> Response:
        return next(answers)

    httpserver.expect_request("/paper").respond_with_handler(handler)
    links, _ = run_links(httpserver, tmp_path, settings_for, clock, "/paper")
    assert links[0]["status"] == "ok" and links[0]["page"]["description"] == "Heads"
    links, _ = run_links(httpserver, tmp_path, settings_for, clock, "/paper", refresh=True)
    assert links[0]["status"] == "blocked"
    assert links[0]["reason"] == "bot challenge (AWS WAF); the page may exist"
    assert links[0]["page"]["title"] == "Medusa" and links[0]["page"]["description"] == "Heads"


def test_a_deep_link_sent_home_is_a_soft_404_and_an_error_title_is_one_without_a_probe(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    httpserver.expect_request("/2023/05/gone").respond_with_data(
        "", status=301, headers={"Location": "/"}
    )
    httpserver.expect_request("/").respond_with_data(page("Home"), content_type=HTML)
    httpserver.expect_request("/wp/missing").respond_with_data(
        page("Page not found – My Blog"), content_type=HTML
    )
    links, _ = run_links(httpserver, tmp_path, settings_for, clock, "/2023/05/gone", "/wp/missing")
    assert [(link["status"], link["reason"]) for link in links] == [
        ("broken", "soft 404: redirected to the site's home page"),
        ("broken", "soft 404: the page's title says “Page not found – My Blog”"),
    ]
    assert links[0]["suggested_url"] is None
    assert probes_sent(httpserver) == []


def test_a_label_that_names_another_page_is_a_mismatch_that_fails_only_when_asked(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """``[Link 0]``-style labels say nothing (``unknown``); a name against a title that names
    something else is ``mismatch``: in the record, and failing the run under ``--fail-on
    mismatch`` only."""
    httpserver.expect_request("/medusa").respond_with_data(
        page("Medusa: Simple LLM Inference Acceleration Framework"), content_type=HTML
    )
    httpserver.expect_request("/lookahead").respond_with_data(
        page("Lookahead: An Inference Acceleration Framework"), content_type=HTML
    )
    digest = tmp_path / "week.txt"
    digest.write_text(
        f"[MEDUSA] {httpserver.url_for('/medusa')}\n[MEDUSA] {httpserver.url_for('/lookahead')}\n"
        f"[Paper] {httpserver.url_for('/lookahead')}\n",
        "utf-8",
    )
    summary = run(settings_for(digest, allow_private=True), clocks=clock.clocks())
    links = json.loads(digest.with_name("week.enriched.json").read_text("utf-8"))["links"]
    assert [link["label_match"] for link in links] == ["match", "mismatch", "unknown"]
    assert summary.exit_code == 0
    policy = frozenset({*summary.fail_on, LabelMatch.MISMATCH})
    strict = run(settings_for(digest, allow_private=True, fail_on=policy), clocks=clock.clocks())
    assert strict.exit_code == 1


def test_a_challenge_answered_503_is_blocked_and_not_asked_again(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Cloudflare's "under attack" page comes with 503, which is worth retries when it is a
    server's trouble; a challenge does not go away for a bot: one request, ``blocked``."""
    httpserver.expect_request("/article").respond_with_data(
        page("Just a moment...", "<script>window._cf_chl_opt = {cType: 'managed'};</script>"),
        status=503, content_type=HTML, headers={"Server": "cloudflare"},
    )  # fmt: skip
    links, requests = run_links(httpserver, tmp_path, settings_for, clock, "/article")
    assert (links[0]["status"], links[0]["reason"]) == (
        "blocked", "bot challenge (Cloudflare); the page may exist")  # fmt: skip
    assert requests["web"] == 1 and len(httpserver.log) == 1


def test_a_probe_is_one_request_even_when_its_answer_is_worth_a_retry(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """ "At most one probe per host" is a promise to the host: a probe answered 503 is not
    retried, and settles nothing (the hinting page stays ``ok``)."""
    httpserver.expect_request("/blog/old-post").respond_with_data(
        page("Oops! Nothing here | Blog"), content_type=HTML
    )
    httpserver.expect_request(re.compile("/blog/enricher-.*")).respond_with_data("busy", status=503)
    links, requests = run_links(httpserver, tmp_path, settings_for, clock, "/blog/old-post")
    assert links[0]["status"] == "ok" and requests["web-probe"] == 1
    assert len(probes_sent(httpserver)) == 1
