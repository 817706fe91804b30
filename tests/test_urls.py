"""Classifying URLs: which authority answers for a link, and which links cannot be checked."""

from __future__ import annotations

import pytest

from enricher.authorities import classify
from enricher.authorities.arxiv import parse_arxiv_id
from enricher.models import ArxivTarget, GithubTarget, InvalidTarget, WebTarget
from enricher.urls import is_private_host

# --- arXiv -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "version"),
    [
        ("https://arxiv.org/abs/2401.10774", None),
        ("https://arxiv.org/abs/2401.10774v2", 2),
        ("https://arxiv.org/pdf/2401.10774", None),
        ("https://arxiv.org/pdf/2401.10774.pdf", None),
        ("https://arxiv.org/pdf/2401.10774v1.pdf", 1),
        ("https://arxiv.org/html/2401.10774v1", 1),
        ("https://browse.arxiv.org/abs/2401.10774", None),
        ("https://export.arxiv.org/abs/2401.10774", None),
        ("https://www.arxiv.org/abs/2401.10774", None),
        ("http://arxiv.org/abs/2401.10774", None),
        ("https://arxiv.org/abs/2401.10774#section", None),
    ],
    ids=[
        "abs", "abs-v2", "pdf", "pdf-dot-pdf", "pdf-v1-dot-pdf", "html-v1", "browse-host",
        "export-host", "www-host", "http-scheme", "fragment",
    ],
)  # fmt: skip
def test_every_arxiv_form_names_the_same_paper(url: str, version: int | None) -> None:
    """However an arXiv paper is linked, it is one paper with one key; the cited version is kept."""
    target = classify(url)
    assert target == ArxivTarget("2401.10774", version)
    assert isinstance(target, ArxivTarget)
    assert target.kind == "arxiv"
    assert target.key == "arxiv:2401.10774"


@pytest.mark.parametrize(
    ("url", "paper_id", "version"),
    [
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("https://arxiv.org/abs/hep-th/9901001v3", "hep-th/9901001", 3),
        ("https://arxiv.org/abs/math.GT/0309136", "math/0309136", None),
        ("https://arxiv.org/pdf/math.GT/0309136v2.pdf", "math/0309136", 2),
        ("https://arxiv.org/abs/0704.0001", "0704.0001", None),
        ("https://arxiv.org/abs/1412.1234", "1412.1234", None),
        ("https://arxiv.org/abs/1501.00001", "1501.00001", None),
    ],
    ids=[
        "old-style", "old-style-v3", "old-style-subject-class", "old-style-pdf-v2",
        "first-new-style-0704", "four-digits-2014", "five-digits-2015",
    ],
)  # fmt: skip
def test_valid_arxiv_identifiers(url: str, paper_id: str, version: int | None) -> None:
    """Old-style and new-style ids are accepted where arXiv issued them."""
    assert classify(url) == ArxivTarget(paper_id, version)


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/1412.12345",
        "https://arxiv.org/abs/2401.1077",
        "https://arxiv.org/abs/2413.10774",
        "https://arxiv.org/abs/2400.10774",
        "https://arxiv.org/abs/0703.0001",
        "https://arxiv.org/abs/2401.10774v0",
        "https://arxiv.org/abs/not-an-id",
        "https://arxiv.org/abs/nosuch-archive/9901001",
        "https://arxiv.org/pdf/hep-th/9913001",
    ],
    ids=[
        "five-digits-before-2015", "four-digits-after-2015", "month-13", "month-00",
        "before-april-2007", "version-0", "words", "unknown-old-archive", "old-style-month-13",
    ],
)  # fmt: skip
def test_malformed_arxiv_ids_are_invalid(url: str) -> None:
    """An arXiv paper link with an impossible id is invalid (it would fail the whole API batch)."""
    target = classify(url)
    assert isinstance(target, InvalidTarget)
    assert target.kind == "arxiv"
    assert "malformed arXiv id" in target.reason


@pytest.mark.parametrize(
    "url",
    ["https://arxiv.org/list/cs.AI/recent", "https://arxiv.org/", "https://arxiv.org/abs"],
    ids=["listing", "home", "abs-without-id"],
)
def test_arxiv_pages_that_are_not_papers_are_web_pages(url: str) -> None:
    """Listings and other arxiv.org pages are checked like any web page."""
    target = classify(url)
    assert isinstance(target, WebTarget)
    assert target.host == "arxiv.org"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2401.10774", ArxivTarget("2401.10774")),
        ("2401.10774v12", ArxivTarget("2401.10774", 12)),
        ("hep-th/9901001v3", ArxivTarget("hep-th/9901001", 3)),
        ("math.GT/0309136", ArxivTarget("math/0309136")),
        ("1412.12345", None),
        ("2401.1077", None),
        ("2413.10774", None),
        ("", None),
    ],
    ids=[
        "new", "new-v12", "old-v3", "old-subject-class", "five-digits-2014", "four-digits-2024",
        "month-13", "empty",
    ],
)  # fmt: skip
def test_parse_arxiv_id(text: str, expected: ArxivTarget | None) -> None:
    """Bare ids parse to id and version, or None when arXiv could never have issued them."""
    assert parse_arxiv_id(text) == expected


# --- GitHub ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/QwenLM/Qwen-VL",
        "https://github.com/QwenLM/Qwen-VL/",
        "https://github.com/QwenLM/Qwen-VL/tree/main/eval",
        "https://github.com/QwenLM/Qwen-VL/blob/main/README.md",
        "https://github.com/QwenLM/Qwen-VL/issues/1",
        "https://github.com/QwenLM/Qwen-VL.git",
        "https://www.github.com/QwenLM/Qwen-VL",
        "http://github.com/QwenLM/Qwen-VL#readme",
    ],
    ids=["repo", "slash", "tree", "blob", "issue", "dot-git", "www-host", "http-fragment"],
)
def test_github_links_name_their_repository(url: str) -> None:
    """Any link into a repository is that repository, with a case-insensitive key."""
    target = classify(url)
    assert target == GithubTarget("QwenLM", "Qwen-VL")
    assert isinstance(target, GithubTarget)
    assert target.kind == "github"
    assert target.id == "QwenLM/Qwen-VL"
    assert target.key == "github:qwenlm/qwen-vl"


def test_github_key_ignores_case() -> None:
    """Two spellings of one repository share a key, so it is checked once."""
    upper = classify("https://github.com/OWNER/REPO")
    lower = classify("https://github.com/owner/repo")
    assert isinstance(upper, GithubTarget) and isinstance(lower, GithubTarget)
    assert upper.id == "OWNER/REPO"
    assert upper.key == lower.key == "github:owner/repo"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/features",
        "https://github.com/features/copilot",
        "https://github.com/topics/llm",
        "https://github.com/torvalds",
        "https://github.com",
        "https://github.com/",
        "https://github.com/orgs/openai",
    ],
    ids=["features", "features-page", "topics", "profile", "bare-host", "root", "orgs"],
)
def test_github_pages_that_are_not_repositories_are_web_pages(url: str) -> None:
    """github.com pages outside any repository are checked like any web page."""
    target = classify(url)
    assert isinstance(target, WebTarget)
    assert target.host == "github.com"


# --- web and invalid --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalised", "host"),
    [
        ("https://Example.COM/Path?q=1#frag", "https://example.com/Path?q=1", "example.com"),
        ("HTTPS://example.com/a#b", "https://example.com/a", "example.com"),
        ("https://example.com", "https://example.com/", "example.com"),
        ("http://Example.com:8080/A", "http://example.com:8080/A", "example.com"),
    ],
    ids=["host-and-fragment", "scheme-case", "empty-path", "port-kept-path-case-kept"],
)
def test_web_urls_are_normalised(url: str, normalised: str, host: str) -> None:
    """Scheme and host are lower-cased and the fragment (never sent) is dropped from url and key."""
    target = classify(url)
    assert target == WebTarget(normalised, host)
    assert isinstance(target, WebTarget)
    assert target.key == f"web:{normalised}"
    assert "#" not in target.key


def test_fragment_variants_share_one_key() -> None:
    """Links differing only by fragment are one page, checked once."""
    first = classify("https://example.com/page#intro")
    second = classify("https://example.com/page#usage")
    assert isinstance(first, WebTarget) and isinstance(second, WebTarget)
    assert first.key == second.key


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("ftp://x.org/file", "ftp"),
        ("file:///etc/passwd", "file"),
        ("javascript:alert(1)", "javascript"),
        ("mailto:someone@example.com", "mailto"),
    ],
    ids=["ftp", "file", "javascript", "mailto"],
)
def test_unsupported_schemes_are_invalid_and_named(url: str, scheme: str) -> None:
    """Only http(s) is checked; the reason names the scheme the editor wrote."""
    target = classify(url)
    assert isinstance(target, InvalidTarget)
    assert scheme in target.reason


@pytest.mark.parametrize(
    ("url", "reason_has"),
    [
        ("https://exa mple.com/", "whitespace"),
        ("https://example.com/a\tb", "whitespace"),
        ("https://example.com:abc/", "not a URL"),
        ("https://example.com:99999/", "not a URL"),
        ("www.example.com", "scheme"),
        ("https://", "host"),
        ("https://xn--zz.example.com/", "internationalised"),
        ("http://xn--a/", "internationalised"),
        ("http://a\u200bb.example/", "internationalised"),
        ("http://a..b/", "empty label"),
        ("http://" + "a" * 64 + ".example/", "longer than DNS allows"),
        ("http://" + "a." * 127 + "example/", "longer than DNS allows"),
    ],
    ids=[
        "space", "tab", "non-numeric-port", "port-out-of-range", "no-scheme", "no-host",
        "bad-punycode", "punycode-of-a-control", "zero-width-space", "empty-label",
        "label-over-63", "name-over-253",
    ],
)  # fmt: skip
def test_malformed_urls_are_invalid(url: str, reason_has: str) -> None:
    """A URL that cannot be requested is invalid with a reason, never an exception."""
    target = classify(url)
    assert isinstance(target, InvalidTarget)
    assert reason_has in target.reason


# --- private hosts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "10.1.2.3", "192.168.0.1",
        "172.16.0.1", "169.254.169.254", "[::1]", "::1", "fe80::1", "fc00::1", "0.0.0.0",
        "224.0.0.1",
    ],
    ids=[
        "localhost", "localhost-upper", "sub-localhost", "loopback-v4", "private-10",
        "private-192-168", "private-172-16", "cloud-metadata", "loopback-v6-bracketed",
        "loopback-v6", "link-local-v6", "unique-local-v6", "unspecified", "multicast",
    ],
)  # fmt: skip
def test_private_hosts(host: str) -> None:
    """Loopback, private, link-local, reserved and multicast addresses are never fetched."""
    assert is_private_host(host) is True


@pytest.mark.parametrize(
    "host",
    ["example.com", "8.8.8.8", "2001:4860:4860::8888", "[2001:4860:4860::8888]", "arxiv.org"],
    ids=["name", "public-v4", "public-v6", "public-v6-bracketed", "arxiv"],
)
def test_public_hosts(host: str) -> None:
    """Public names and addresses are checked normally (names are not resolved here)."""
    assert is_private_host(host) is False


@pytest.mark.parametrize(
    "url",
    [
        "http://bücher.example/",
        "http://xn--bcher-kva.example/",
        "http://" + "a" * 63 + ".example/",
        "http://example.com./",
        "http://[2001:db8::1]/",
        "http://203.0.113.9/",
        "http://ex_ample.com/",
        "https://my_bucket.xn--p1ai/",
        "https://ab--cd.xn--p1ai/",
    ],
)
def test_hosts_a_request_can_reach_are_web_targets(url: str) -> None:
    """Internationalised names, a 63-character label, a trailing dot, IP literals and an
    underscore (seen on real sites) are checked, not refused."""
    assert isinstance(classify(url), WebTarget)
