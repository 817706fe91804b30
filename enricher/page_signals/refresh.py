"""Pages that only send the reader on: a ``<meta http-equiv=refresh>`` on a page with nothing
of its own to read. A browser follows it at once; the checker does not (it is no HTTP
redirect), so what the link leads to was not seen.

- A page naming the refresh's target as its canonical URL is a redirect page (Jekyll's
  ``redirect_from``, Hugo's aliases, MkDocs' redirects write just that): the link moved.
- A page with no text at all whose refresh goes elsewhere (x.com's shell for a post sends
  every reader to ``/x/migrate?tok=...``) says nothing of the link's page: it may exist.

A refresh to the site's home page is a soft 404 (``soft404``); one to the page itself is a
reload; one on a page with text of its own is left to the status line ("This post moved"
with a link is a page a reader can follow).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..models import HttpFacts, Status
from .text import THIN_TEXT, Signal, comparable


def find_refresh(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page
    if page is None or not page.refresh_url or page.text_length >= THIN_TEXT:
        return None
    target = page.refresh_url
    if comparable(target) in (comparable(requested_url), comparable(facts.final_url)):
        return None  # a reload, or a bounce back to set a cookie
    if page.canonical_url and comparable(page.canonical_url) == comparable(target):
        return Signal(Status.REDIRECTED, f"moved (meta refresh) to {target}", target)
    if page.text_length == 0:
        # Named without its query: x.com's carries a token that changes at every ask, and
        # the record's reason would change with it.
        where = urlsplit(target)._replace(query="", fragment="").geturl()
        return Signal(
            Status.BLOCKED,
            f"an empty page sends the reader on (meta refresh to {where}), not followed; "
            "the page may exist",
        )
    return None
