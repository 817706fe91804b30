"""Pages that only send the reader on: a ``<meta http-equiv=refresh>`` on a page with little
or nothing of its own to read. A browser follows it; the checker does not (it is no HTTP
redirect), so what the link leads to was not seen.

- A page naming the refresh's target as its canonical URL is a redirect page (Jekyll's
  ``redirect_from``, Hugo's aliases, MkDocs' redirects write just that): the link moved, to
  that canonical URL.
- A page with no text at all that sends the reader on at once (``PROMPT_S``):
  - with no script, to a place a link can move to (a deep page, no sign-in, no token in
    its query): a redirect stub (Sphinx's redirects write a bare refresh): moved there;
  - to a sign-in page: login required, as when a redirect sends it there;
  - otherwise it says nothing of the link's page (x.com's shell for a post runs a script
    and sends every reader to ``/x/migrate?tok=...``): it may exist.

Left to the status line: a refresh to the page itself, or deeper into the link's own path
(a site's root to ``/en/``, a project's docs to ``latest/``: the link's own page routing
its readers); a page whose canonical URL is the link's; a refresh on a page with text of
its own ("This post moved", with a link), or one that waits (an app shell's session
timeout). A refresh to the site's home page is a soft 404 (``soft404``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from ..models import HttpFacts, PageFacts, Status
from .text import THIN_TEXT, Signal, comparable, is_home, names_a_page
from .walls import LOGIN_REQUIRED, is_login_path

PROMPT_S = 5
"""A refresh within this many seconds sends the reader on: no time to read the page."""

_TOKEN_KEY = re.compile(
    r"tok|token|sid|session\w*|state|nonce|sig|signature|code|ticket|key|auth\w*", re.I
)
"""Query keys that carry a token, a session or a signature: no place a link can keep."""

OPAQUE_VALUE = 24
"""A query value this long or longer is a token too (x.com's ``tok`` is 140 hex digits)."""


def find_refresh(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page
    if page is None or not page.refresh_url or page.text_length >= THIN_TEXT or _waits(page):
        return None
    target = page.refresh_url
    own = (requested_url, facts.final_url)
    if any(_within(target, url) for url in own):
        return None  # a reload, a bounce back to set a cookie, or the link's own routing
    canonical = page.canonical_url
    if canonical and comparable(canonical) in {comparable(url) for url in own}:
        return None  # the page says it is the link's
    if canonical and comparable(canonical) == comparable(target):
        return _moved(canonical)
    if page.text_length or page.refresh_delay_s is None:
        return None  # text of its own, or cached before its delay was kept
    if is_login_path(urlsplit(target).path):
        return Signal(Status.BLOCKED, LOGIN_REQUIRED)  # sent to sign in, as by a redirect
    if not page.scripted and _a_place_to_move_to(target, requested_url):
        return _moved(target)
    # Named without its query: x.com's carries a token that changes at every ask, and the
    # record's reason would change with it.
    where = urlsplit(target)._replace(query="", fragment="").geturl()
    return Signal(
        Status.BLOCKED,
        f"an empty page sends the reader on (meta refresh to {where}), not followed; "
        "the page may exist",
    )


def _moved(to: str) -> Signal:
    return Signal(Status.REDIRECTED, f"moved (meta refresh) to {to}", to)


def _waits(page: PageFacts) -> bool:
    """Whether the refresh waits longer than ``PROMPT_S`` (not known for facts cached before
    its delay was kept)."""
    return page.refresh_delay_s is not None and page.refresh_delay_s > PROMPT_S


def _within(target: str, url: str) -> bool:
    """Whether ``target`` is ``url``'s page or one under its path, on the same site."""
    here = comparable(url)
    there = comparable(target)
    return there == here or there.startswith(here + "/")


def _a_place_to_move_to(target: str, link: str) -> bool:
    """Whether a link could be moved to ``target``: a deep page (not a site's home, nor a
    section above the link: a dead post sent to ``/blog/``), not a sign-in page, and no
    token, session or signature in its query (``?utm_source=`` is fine)."""
    parts = urlsplit(target)
    home = is_home(parts.path) and not names_a_page(parts.query)
    if home or is_login_path(parts.path) or _within(link, target):
        return False  # a home page, any site's; a sign-in page; a section above the link
    return not any(
        _TOKEN_KEY.fullmatch(key) or len(value) >= OPAQUE_VALUE
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    )
