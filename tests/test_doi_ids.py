"""Which links are DOIs: every form a DOI is linked in, the pages that are not DOIs, and the
sample digests' DOI links."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from enricher.authorities import classify
from enricher.authorities.doi.api import doi_path, polite_user_agent
from enricher.authorities.doi.ids import DoiTarget, doi_in_url, doi_url, parse_doi, trim_doi
from enricher.digest import parse_digest
from enricher.models import InvalidTarget, WebTarget

SAMPLES = Path(__file__).resolve().parent.parent / "sources"

SICI = "10.1002/(SICI)1097-4636(199604)30:4<521::AID-JBM9>3.0.CO;2-0"
"""A real-shaped old Wiley DOI: parentheses, colons, angle brackets and a semicolon."""

CLAIMED = [
    # The resolver.
    ("https://doi.org/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("http://doi.org/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("https://dx.doi.org/10.1038/nature14539", "10.1038/nature14539"),
    ("http://dx.doi.org/10.1038/nature14539", "10.1038/nature14539"),
    ("https://www.doi.org/10.1038/nature14539", "10.1038/nature14539"),
    ("https://DOI.ORG/10.1038/nature14539", "10.1038/nature14539"),
    ("https://doi.org/10.1038/nature14539#main", "10.1038/nature14539"),
    ("https://doi.org/10.1038/nature14539?utm_source=x", "10.1038/nature14539"),
    ("https://doi.org/10.48550/arXiv.2401.10774", "10.48550/arXiv.2401.10774"),
    ("https://doi.org/10.5281/zenodo.7654321", "10.5281/zenodo.7654321"),
    ("https://doi.org/10.1016/S0024-3205(99)00225-8", "10.1016/S0024-3205(99)00225-8"),
    ("https://doi.org/10.1002/%28SICI%291097-4636%28199604%2930%3A4%3C521%3A%3AAID-JBM9%3E3.0.CO%3B2-0", SICI),
    ("https://doi.org/10.1234/a%23b", "10.1234/a#b"),
    ("https://doi.org/10.1093/oxfordhb/9780199.001.0001/oxfordhb-9780199-e-1", "10.1093/oxfordhb/9780199.001.0001/oxfordhb-9780199-e-1"),
    ("https://doi.org/10.1126/science.adj1817.", "10.1126/science.adj1817"),
    ("https://doi.org/10.1234/abc(1)", "10.1234/abc(1)"),
    ("https://doi.org/10.1234/abc)", "10.1234/abc"),
    ("https://doi.org/10.1000.10/123", "10.1000.10/123"),
    # science.org (the sample digests' DOI): every view of the article page.
    ("https://www.science.org/doi/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("https://science.org/doi/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("https://www.science.org/doi/abs/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("https://www.science.org/doi/full/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("https://www.science.org/doi/pdf/10.1126/science.adj1817", "10.1126/science.adj1817"),
    ("https://www.science.org/doi/epdf/10.1126/science.adj1817", "10.1126/science.adj1817"),
    # ACM Digital Library.
    ("https://dl.acm.org/doi/10.1145/3600006.3613165", "10.1145/3600006.3613165"),
    ("https://dl.acm.org/doi/abs/10.1145/3600006.3613165", "10.1145/3600006.3613165"),
    ("https://dl.acm.org/doi/pdf/10.1145/3600006.3613165", "10.1145/3600006.3613165"),
    ("https://dl.acm.org/doi/fullHtml/10.1145/3600006.3613165", "10.1145/3600006.3613165"),
    # Springer.
    ("https://link.springer.com/article/10.1007/s10994-021-06000-x", "10.1007/s10994-021-06000-x"),
    ("https://link.springer.com/chapter/10.1007/978-3-030-58452-8_13", "10.1007/978-3-030-58452-8_13"),
    ("https://link.springer.com/content/pdf/10.1007/s10994-021-06000-x.pdf", "10.1007/s10994-021-06000-x"),
    ("https://link.springer.com/article/10.1007/s10994-021-06000-x/fulltext.html", "10.1007/s10994-021-06000-x"),
    # Wiley.
    ("https://onlinelibrary.wiley.com/doi/10.1002/anie.202300001", "10.1002/anie.202300001"),
    ("https://onlinelibrary.wiley.com/doi/abs/10.1002/anie.202300001", "10.1002/anie.202300001"),
    ("https://onlinelibrary.wiley.com/doi/full/10.1002/anie.202300001", "10.1002/anie.202300001"),
    ("https://onlinelibrary.wiley.com/doi/pdf/10.1002/anie.202300001", "10.1002/anie.202300001"),
    ("https://onlinelibrary.wiley.com/doi/epdf/10.1002/anie.202300001", "10.1002/anie.202300001"),
    ("https://onlinelibrary.wiley.com/doi/10.1002/anie.201100001/abstract", "10.1002/anie.201100001"),
    # Other journals' /doi/ paths.
    ("https://pubs.acs.org/doi/10.1021/acs.jcim.3c00001", "10.1021/acs.jcim.3c00001"),
    ("https://pubs.acs.org/doi/pdf/10.1021/acs.jcim.3c00001", "10.1021/acs.jcim.3c00001"),
    ("https://www.tandfonline.com/doi/full/10.1080/01621459.2023.2200001", "10.1080/01621459.2023.2200001"),
    ("https://journals.sagepub.com/doi/10.1177/09567976231100001", "10.1177/09567976231100001"),
    ("https://www.pnas.org/doi/10.1073/pnas.2300000120", "10.1073/pnas.2300000120"),
    # nature.com articles are 10.1038/<id>.
    ("https://www.nature.com/articles/s41586-021-03819-2", "10.1038/s41586-021-03819-2"),
    ("https://nature.com/articles/s41586-021-03819-2", "10.1038/s41586-021-03819-2"),
    ("https://www.nature.com/articles/s41586-021-03819-2.pdf", "10.1038/s41586-021-03819-2"),
    ("https://www.nature.com/articles/s41586-021-03819-2/figures/1", "10.1038/s41586-021-03819-2"),
    ("https://www.nature.com/articles/nature14539", "10.1038/nature14539"),
    ("https://www.nature.com/articles/d41586-024-00001-1", "10.1038/d41586-024-00001-1"),
]  # fmt: skip

NOT_DOIS = [
    "https://www.science.org/content/article/ai-model-predicts-protein-structures",
    "https://www.science.org/journal/science",
    "https://www.science.org/",
    "https://www.nature.com/news",
    "https://www.nature.com/nature/articles?type=article",
    "https://www.nature.com/articles",
    "https://www.nature.com/articles/",
    "https://www.nature.com/subjects/machine-learning",
    "https://doi.org/",
    "https://doi.org",
    "https://doi.org/10.",
    "https://doi.org/10.1234",
    "https://doi.org/10.1234/",
    "https://doi.org/10.12/abc",
    "https://doi.org/help.html",
    "https://doi.org/10.1234/a%20b",
    "https://dl.acm.org/doi/",
    "https://dl.acm.org/doi/abs/",
    "https://dl.acm.org/doi/10.1145",
    "https://dl.acm.org/profile/81100000000",
    "https://link.springer.com/journal/10994",
    "https://link.springer.com/article/",
    "https://onlinelibrary.wiley.com/journal/15213773",
    "https://example.com/papers/10.1234/abc",
]


@pytest.mark.parametrize(("url", "doi"), CLAIMED, ids=[url for url, _ in CLAIMED])
def test_every_doi_form_names_its_doi(url: str, doi: str) -> None:
    """However a DOI is linked (the resolver, a publisher's page, nature.com), it is that DOI."""
    target = classify(url)
    assert target == DoiTarget(doi)
    assert isinstance(target, DoiTarget)
    assert target.kind == "doi" and target.id == doi


@pytest.mark.parametrize("url", NOT_DOIS)
def test_pages_without_a_doi_stay_web_links(url: str) -> None:
    """News pages, journal home pages and DOI-less resolver paths are checked as pages."""
    target = classify(url)
    assert isinstance(target, WebTarget | InvalidTarget), target


def test_one_doi_is_one_key_whatever_the_case_or_the_page() -> None:
    """DOIs are case-insensitive: the resolver in capitals and the publisher's page are one
    check; each link keeps the form it wrote."""
    targets = [
        classify("https://doi.org/10.1126/SCIENCE.ADJ1817"),
        classify("https://www.science.org/doi/10.1126/science.adj1817"),
        classify("https://www.science.org/doi/epdf/10.1126/Science.Adj1817"),
    ]
    assert all(isinstance(t, DoiTarget) for t in targets)
    assert {t.key for t in targets if isinstance(t, DoiTarget)} == {"doi:10.1126/science.adj1817"}
    assert [t.id for t in targets if isinstance(t, DoiTarget)] == [
        "10.1126/SCIENCE.ADJ1817", "10.1126/science.adj1817", "10.1126/Science.Adj1817",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "trimmed"),
    [
        ("10.1126/science.adj1817.", "10.1126/science.adj1817"),
        ("10.1126/science.adj1817,", "10.1126/science.adj1817"),
        ("10.1126/science.adj1817;", "10.1126/science.adj1817"),
        ("10.1126/science.adj1817).", "10.1126/science.adj1817"),
        ("10.1126/science.adj1817\"", "10.1126/science.adj1817"),
        ("10.1016/S0024-3205(99)00225-8", "10.1016/S0024-3205(99)00225-8"),
        ("10.1234/abc(1)", "10.1234/abc(1)"),
        ("10.1234/abc(1)).", "10.1234/abc(1)"),
        (SICI, SICI),
        ("10.1234/x;y", "10.1234/x;y"),
    ],
    ids=["period", "comma", "semicolon", "paren-period", "quote", "inner-parens",
         "balanced-final-paren", "one-paren-too-many", "sici", "inner-semicolon"],
)  # fmt: skip
def test_trailing_punctuation_that_is_not_the_dois_goes(text: str, trimmed: str) -> None:
    """Sentence punctuation after a DOI is dropped; DOIs' own parentheses and semicolons stay."""
    assert trim_doi(text) == trimmed
    assert parse_doi(text) == trimmed


def test_a_huge_run_of_closing_brackets_is_trimmed_quickly() -> None:
    """Trimming is linear: a million unopened ')' do not take minutes."""
    assert parse_doi("10.1234/x" + ")" * 1_000_000) == "10.1234/x"


@pytest.mark.parametrize(
    ("doi", "path"),
    [
        ("10.1371/journal.pone.0033693", "10.1371/journal.pone.0033693"),
        (SICI, "10.1002/%28SICI%291097-4636%28199604%2930%3A4%3C521%3A%3AAID-JBM9%3E3.0.CO%3B2-0"),
        ("10.1234/a#b?c%d e", "10.1234/a%23b%3Fc%25d%20e"),
        ("10.1234/../x/.", "10.1234/%2E%2E/x/%2E"),
        ("10.1234/ü", "10.1234/%C3%BC"),
    ],
    ids=["plain", "sici", "hash-query-percent-space", "dot-segments", "non-ascii"],
)  # fmt: skip
def test_doi_request_paths_are_percent_encoded(doi: str, path: str) -> None:
    """A DOI's special characters never cut the request short or climb out of its path."""
    assert doi_path(doi) == path


def test_the_canonical_address_of_a_doi() -> None:
    """``final_url`` of a registered DOI: the resolver, encoded for a URL."""
    assert doi_url("10.1126/science.adj1817") == "https://doi.org/10.1126/science.adj1817"
    assert doi_url("10.1234/a b<c>") == "https://doi.org/10.1234/a%20b%3Cc%3E"


def test_mailto_goes_inside_the_user_agent_comment() -> None:
    """Crossref's etiquette: ``mailto:`` in the User-Agent, only when an address is set."""
    agent = "enricher/0.1 (link checker for AI-news digests)"
    assert polite_user_agent(agent, None) == agent
    assert polite_user_agent(agent, "ed@example.org") == (
        "enricher/0.1 (link checker for AI-news digests; mailto:ed@example.org)"
    )
    assert polite_user_agent("tool/1", "ed@example.org") == "tool/1 (mailto:ed@example.org)"


def test_the_sample_digests_doi_links() -> None:
    """In the five sample digests, the science.org article is the one DOI link (the stub
    Hugging Face authority claims nothing yet; its links stay web links meanwhile)."""
    found = []
    for path in sorted(SAMPLES.glob("*.txt")):
        digest = parse_digest(path.read_text(encoding="utf-8"), str(path))
        for entry in digest.entries:
            if entry.url is None:
                continue
            target = classify(entry.url)
            if isinstance(target, DoiTarget):
                found.append((path.name, entry.line, entry.url, target.doi))
    assert found == [
        ("002_1ba732e38f5cb936.txt", 11, "https://www.science.org/doi/10.1126/science.adj1817",
         "10.1126/science.adj1817"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "doi"),
    [
        ("https://pubs.acs.org/doi/suppl/10.1021/jacs.1c01234/suppl_file/ja1c01234_si_001.pdf",
         "10.1021/jacs.1c01234"),
        ("https://www.science.org/doi/suppl/10.1126/science.abq1841/suppl_file/x.pdf",
         "10.1126/science.abq1841"),
        ("https://onlinelibrary.wiley.com/doi/10.1002/anie.202100001/references",
         "10.1002/anie.202100001"),
        ("https://academic.oup.com/doi/10.1093/ajae/aaq063", "10.1093/ajae/aaq063"),
    ],
)  # fmt: skip
def test_a_page_below_an_article_is_the_articles_doi(url: str, doi: str) -> None:
    """A supplement or the references of an article: its DOI, not a made-up longer one that
    both agencies would deny (a working page called broken)."""
    parts = urlsplit(url)
    assert doi_in_url(parts, parts.hostname or "") == doi
