"""Pages that only send the reader on: a ``<meta http-equiv=refresh>`` on a page with little
or nothing of its own to read. A browser follows it; the checker does not (it is no HTTP
redirect), so what the link leads to was not seen.

- A page naming the refresh's target as its canonical URL is a redirect page (Jekyll's
  ``redirect_from``, Hugo's aliases, MkDocs' redirects write just that): the link moved, to
  that canonical URL.
- A page with no text at all that sends the reader on at once (``PROMPT_S``):
  - to a plain URL (no query), with no script: a redirect stub (Sphinx's redirects write a
    bare refresh): the link moved there;
  - otherwise it says nothing of the link's page (x.com's shell for a post runs a script
    and sends every reader to ``/x/migrate?tok=...``, a token no link can keep): it may
    exist.

Left to the status line: a refresh to the page itself, or deeper into the link's own path
(a site's root to ``/en/``, a project's docs to ``latest/``: the link's own page routing
its readers); a page whose canonical URL is the link's; a refresh on a page with text of
its own ("This post moved", with a link), or one that waits (an app shell's session
timeout). A refresh to the site's home page is a soft 404 (``soft404``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..models import HttpFacts, PageFacts, Status
from .text import THIN_TEXT, Signal, comparable

PROMPT_S = 5
"""A refresh within this many seconds sends the reader on: no time to read the page."""


def find_refresh(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page
    if page is None or not page.refresh_url or page.text_length >= THIN_TEXT:
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
    if page.text_length or not _prompt(page):
        return None
    if not urlsplit(target).query and not page.scripted:
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


def _prompt(page: PageFacts) -> bool:
    """Whether the refresh sends the reader on at once (unknown for facts cached before its
    delay was kept: not taken to)."""
    return page.refresh_delay_s is not None and page.refresh_delay_s <= PROMPT_S


def _within(target: str, url: str) -> bool:
    """Whether ``target`` is ``url``'s page or one under its path, on the same site."""
    here = comparable(url)
    there = comparable(target)
    return there == here or there.startswith(here + "/")
