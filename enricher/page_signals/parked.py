"""Parked and expired domains: a sale or parking lander, a registrar's expiry notice."""

from __future__ import annotations

import re

from ..models import HttpFacts, PageFacts, Status
from .text import (
    THIN_TEXT,
    WRITING_TYPES,
    Signal,
    norm,
    raw_parts,
    says_it_is_content,
    title_parts,
    url_path,
)

PARKING_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sedo", ("sedoparking.com", "sedo.com/")),
    ("Bodis", ("bodis.com", "bodiscdn.com", "window.park =", "window.park=")),
    ("ParkingCrew", ("parkingcrew.net",)),
    ("GoDaddy", ("wsimg.com/parking-lander", "godaddy.com/domainsearch", "courtesy of godaddy")),
    ("Afternic", ("afternic.com",)),
    ("Dan.com", ("//dan.com", "www.dan.com", "undeveloped.com")),
    ("HugeDomains", ("hugedomains.com",)),
    ("Porkbun", ("porkbun.com",)),
    ("NameSilo", ("namesilo.com",)),
    ("Epik", ("epik.com",)),
    ("Namecheap", ("parkingpage.namecheap.com",)),
    ("Above.com", ("above.com/marketplace", "trafficanalysis.above.com")),
    ("Dynadot", ("dynadot.com",)),
)  # fmt: skip
"""Parking and domain-sale services, with what their landers load or link to."""

_PARKED_TITLE = re.compile(
    r"(?:(?:the )?(?:domain (?:name )?)?[\w-]+(?:\.[\w-]+)+ (?:is |may be )?for sale"
    r"|(?:this |the )?domain (?:name )?(?:is |may be )?(?:for sale|parked)"
    r"|this website (?:is |may be )?(?:for sale|parked)"
    r"|buy this domain|parked domain|domain parked)[!.]*"
)
"""A whole title or title part (lower-cased, punctuation kept) that is a sale or parking
notice: "example.com is for sale", "Domain for sale", "This website is for sale!"; a thing for
sale that is not a domain name is a shop's page, a headline that starts so an article's."""

PARKING_SCRIPTS = (
    "sedoparking.com", "parkingcrew.net", "bodis.com", "bodiscdn.com", "wsimg.com/parking-lander",
    "parkingpage.namecheap.com", "above.com",
)  # fmt: skip
"""Hosts (with their subdomains; a path when given) whose scripts or frames only a parking
lander loads."""

LANDER_MARKERS = frozenset({
    "sedoparking.com", "parkingcrew.net", "bodiscdn.com", "window.park =", "window.park=",
    "wsimg.com/parking-lander", "parkingpage.namecheap.com", "trafficanalysis.above.com",
})  # fmt: skip
"""Traces only a parking lander's own code leaves (Bodis's inline ``window.park``, a
service's host named in a script that loads another): on a thin page they are enough."""

PARKED_PHRASES = (
    "this domain is for sale", "this domain may be for sale", "buy this domain",
    "is parked free", "parked free courtesy of", "this domain is parked", "domain is parked",
    "make an offer on this domain", "the domain name is for sale", "this domain name is for sale",
    "this domain is registered at", "this domain has been registered",
    "this domain was recently registered", "domain is available for purchase",
)  # fmt: skip
"""Sentences of landers: they count on a page with little text of its own."""

EXPIRED_PHRASES = (
    "this domain has expired", "domain name has expired", "this domain name expired",
    "this domain expired", "this domain is pending renewal", "is pending renewal or deletion",
    "registration of this domain has expired", "domain registration has expired",
)  # fmt: skip
"""Sentences of registrars' notices for a registration that lapsed."""

EXPIRED_TITLES = frozenset({"domain expired", "this domain has expired", "expired domain"})
"""Whole titles or headings (or parts) of such notices."""


def find_parked(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page
    if page is None:
        return None
    titles = [t for t in (page.html_title, page.title) if t]
    words = " ".join(filter(None, (*map(norm, titles), norm(page.heading), norm(page.text))))
    service = _parking_service(page)
    thin = page.text_length < THIN_TEXT
    # GoDaddy sends a parked domain's every path to /lander; a link to a page called so is
    # not, even through http -> https.
    lander = (
        url_path(facts.final_url).rstrip("/") == "/lander"
        and url_path(requested_url).rstrip("/") != "/lander"
    )
    titled = any(_PARKED_TITLE.fullmatch(part) for t in titles for part in raw_parts(t))
    loads = any(
        _loads(resource, script) for resource in page.resources for script in PARKING_SCRIPTS
    ) or (thin and bool(LANDER_MARKERS.intersection(page.markers)))
    # A post that says it is one (an article's type, a publication date) may quote a
    # lander's or a registrar's sentence: what it says is its subject. Landers say neither.
    content = says_it_is_content(page, WRITING_TYPES)
    said = not content and any(phrase in words for phrase in PARKED_PHRASES)
    if loads or (titled and (thin or service is not None)) or ((lander or said) and thin):
        return Signal(Status.BROKEN, f"domain parked / for sale ({service or 'parking page'})")
    expired = not content and (
        any(phrase in words for phrase in EXPIRED_PHRASES)
        or any(
            part in EXPIRED_TITLES for text in (*titles, page.heading) for part in title_parts(text)
        )
    )
    if expired and thin:
        return Signal(Status.BROKEN, f"domain expired ({service or 'registration notice'})")
    return None


def _loads(resource: str, script: str) -> bool:
    """Whether a ``host/path`` resource comes from ``script`` (a host, its subdomains, and
    the path when one is given): ``cdn.riseabove.com`` is not ``above.com``."""
    host, _, path = resource.partition("/")
    want_host, _, want_path = script.partition("/")
    return (host == want_host or host.endswith("." + want_host)) and path.startswith(want_path)


def _parking_service(page: PageFacts) -> str | None:
    """The service whose trace the page carries, or whose name is a part of its title
    ("example.com is for sale | HugeDomains")."""
    found = set(page.markers)
    for name, markers in PARKING_SERVICES:
        if found.intersection(markers):
            return name
    parts = {part.removesuffix(".com") for part in raw_parts(page.html_title)}
    for name, _ in PARKING_SERVICES:
        if name.casefold().removesuffix(".com") in parts:
            return name
    return None
