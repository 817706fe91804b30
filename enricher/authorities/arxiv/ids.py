"""arXiv identifiers and the URLs that name a paper. Pure: no I/O.

See https://info.arxiv.org/help/arxiv_identifier.html for both id schemes.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, unquote

from ...models import ArxivTarget, InvalidTarget

ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "browse.arxiv.org", "export.arxiv.org"})
"""Hosts whose paper pages are answered for by the arXiv API instead of being crawled."""

ARXIV_PAPER_PATHS = frozenset({"abs", "pdf", "html", "format", "ps"})
"""First path segments that name a paper: ``/abs/ID``, ``/pdf/ID[.pdf]``, ``/html/ID``..."""

_NEW_ID = re.compile(r"^(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<version>\d+))?$")
_OLD_ID = re.compile(
    r"^(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Z]{2})?/(?P<yymm>\d{4})(?P<num>\d{3})"
    r"(?:v(?P<version>\d+))?$"
)
OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip
"""Archives that used old-style ``archive/YYMMNNN`` ids (until March 2007)."""


def parse_arxiv_id(text: str) -> ArxivTarget | None:
    """An arXiv id (``2401.10774v2``, ``hep-th/9901001``) as a target, or None if malformed.

    The YYMM part must be a real month, and new-style numbers have 4 digits until 2014 and 5
    from 2015 on: arXiv answers HTTP 400 for a whole ``id_list`` batch if one id is malformed.
    """
    match = _NEW_ID.match(text)
    if match is not None:
        yymm, num = match["yymm"], match["num"]
        year, month = int(yymm[:2]), int(yymm[2:])
        if not 1 <= month <= 12 or (year, month) < (7, 4):
            return None
        if (len(num) == 5) != (year >= 15):
            return None
        version = int(match["version"]) if match["version"] else None
        if version == 0:
            return None
        return ArxivTarget(f"{yymm}.{num}", version)
    match = _OLD_ID.match(text)
    if match is not None and match["archive"] in OLD_ARCHIVES:
        month = int(match["yymm"][2:])
        if not 1 <= month <= 12:
            return None
        version = int(match["version"]) if match["version"] else None
        if version == 0:
            return None
        # The subject class (math.GT/0309136) is not part of the identifier: arXiv answers
        # for math/0309136.
        return ArxivTarget(f"{match['archive']}/{match['yymm']}{match['num']}", version)
    return None


def paper_target(parts: SplitResult) -> ArxivTarget | InvalidTarget | None:
    """The paper an arxiv.org URL names; None when the page is not a paper (listings, help)."""
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0] not in ARXIV_PAPER_PATHS:
        return None
    raw = "/".join(segments[1:])
    raw = unquote(raw)
    if raw.endswith(".pdf"):
        raw = raw[: -len(".pdf")]
    target = parse_arxiv_id(raw)
    if target is None:
        return InvalidTarget(f"malformed arXiv id: {raw!r}", "arxiv")
    return target
