"""What a page's answer says beyond its status line: a wall, a parked domain, a soft 404, a
page that only sends the reader on.

Pure: ``HttpFacts`` (status, redirects, the few headers that matter, the facts of the HTML's
start: ``enricher.pages``) in, a ``Signal`` (status and reason) or None out. The web
authority asks ``judge_page`` before its status-line rules, so a wall answered 200 is
``blocked`` and an error page answered 200 is ``broken``.

Precision first: a false ``broken`` is worse than a missed soft 404. Strong signals only:
a title or heading that *is* an error message (not one that mentions one: "How to fix a 404
error" is an article), a vendor's challenge fingerprint on a page with no content of its
own, a deep link sent to the site's home page. Weak hints (a title that merely contains
"not found") decide nothing alone: they ask the host once for a random sibling path, as in
Bar-Yossef et al., "Sic Transit Gloria Telae" (WWW 2004), and the link is a soft 404 only
when the host answers that nonsense path with the same page.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from ..models import HttpFacts
from .parked import PARKING_SERVICES, find_parked
from .refresh import find_refresh
from .soft404 import find_soft_404, hints
from .text import THIN_TEXT, Signal, is_home, url_path
from .walls import CONSENT_MARKERS, RETRY_AFTER, WALLS, challenge_named, find_wall

__all__ = [
    "HTML_MARKERS",
    "SIGNAL_HEADERS",
    "THIN_TEXT",
    "Signal",
    "challenge_named",
    "judge_page",
    "probe_path",
    "wants_probe",
]

JUDGED_KEPT = 4096

SIGNAL_HEADERS = frozenset(
    {name for wall in WALLS for name, _ in wall.challenge_headers + wall.present_headers}
    | {RETRY_AFTER}
)
"""Response headers the web checker keeps for these rules (the rest are not facts)."""

HTML_MARKERS: tuple[str, ...] = tuple(
    sorted(
        {m for wall in WALLS for m in wall.challenge_markers + wall.present_markers}
        | {m for _, markers in PARKING_SERVICES for m in markers}
        | set(CONSENT_MARKERS)
    )
)
"""Fingerprints ``enricher.pages`` looks for in the HTML it reads (lower-case)."""


@functools.lru_cache(maxsize=JUDGED_KEPT)
def judge_page(requested_url: str, facts: HttpFacts) -> Signal | None:
    """The verdict the answer's content decides, or None to leave it to the status line.

    Walls first (whatever the status), then, for an answer that claims to be a page (2xx):
    a parked domain, a soft 404, then a page that only sends the reader on (``refresh``).
    Remembered for the last ``JUDGED_KEPT`` answers: the checker (retry or not), the probe,
    the verdict and the record each ask about one answer.
    """
    wall = find_wall(requested_url, facts)
    if wall is not None:
        return wall
    if not 200 <= facts.status_code <= 299:
        return None
    return (
        find_parked(requested_url, facts)
        or find_soft_404(requested_url, facts)
        or find_refresh(requested_url, facts)
    )


def wants_probe(requested_url: str, facts: HttpFacts) -> bool:
    """Whether the answer hints at an error page without saying so plainly (see the module's
    docstring): only then is the host asked for a random sibling path."""
    if not 200 <= facts.status_code <= 299 or facts.page is None:
        return False
    if judge_page(requested_url, facts) is not None:
        return False
    if is_home(url_path(requested_url)):
        return False  # a home page has no sibling to compare with
    return hints(facts.page.html_title) or hints(facts.page.heading)


def probe_path(requested_url: str, token: str) -> str:
    """A random sibling of the link: its directory, then a path nobody links to."""
    parts = urlsplit(requested_url)
    directory = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{directory}/{token}"
