"""What a URL points at: an arXiv paper, a GitHub repository, or a web page. Pure: no I/O."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from .models import ArxivTarget, GithubTarget, InvalidTarget, Kind, Target, WebTarget

ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "browse.arxiv.org", "export.arxiv.org"})
"""Hosts whose paper pages are answered for by the arXiv API instead of being crawled."""

ARXIV_PAPER_PATHS = frozenset({"abs", "pdf", "html", "format", "ps"})
"""First path segments that name a paper: ``/abs/ID``, ``/pdf/ID[.pdf]``, ``/html/ID``..."""

GITHUB_HOSTS = frozenset({"github.com", "www.github.com"})

GITHUB_RESERVED_OWNERS = frozenset(
    {
        "about", "account", "apps", "blog", "collections", "contact", "customer-stories",
        "dashboard", "enterprise", "events", "explore", "features", "git-guides", "github",
        "home", "issues", "join", "login", "logout", "marketplace", "mobile", "new",
        "notifications", "orgs", "organizations", "pricing", "pulls", "readme", "resources",
        "search", "security", "sessions", "settings", "signup", "site", "solutions", "sponsors",
        "team", "topics", "trending", "codespaces", "education", "nonprofit", "premium-support",
        "stars", "watching", "users", "copilot", "models", "discussions",
    }
)  # fmt: skip
"""First path segments of github.com pages that are not ``OWNER/REPO``."""

_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

# arXiv identifiers, per https://info.arxiv.org/help/arxiv_identifier.html
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

SUPPORTED_SCHEMES = frozenset({"http", "https"})


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


def _arxiv_target(parts: SplitResult) -> Target | InvalidTarget | None:
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
        return InvalidTarget(f"malformed arXiv id: {raw!r}", Kind.ARXIV)
    return target


def _github_target(parts: SplitResult) -> GithubTarget | None:
    """The repository a github.com URL points into; None for pages that are not repositories."""
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return None  # github.com itself, or a user/organisation profile
    owner, repo = segments[0], segments[1]
    if owner.lower() in GITHUB_RESERVED_OWNERS:
        return None
    if repo.endswith(".git"):
        repo = repo[: -len(".git")]
    if not _GITHUB_OWNER.match(owner) or not _GITHUB_REPO.match(repo) or repo in (".", ".."):
        return None
    return GithubTarget(owner, repo)


def normalise_web_url(parts: SplitResult) -> str:
    """Lower-case scheme and host, drop the fragment (never sent), keep everything else."""
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


_ASCII_WHITESPACE = frozenset(" \t\n\r\f\v")
"""Whitespace called whitespace; other control characters are named by code point."""


_UNUSABLE_CHARACTER = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
"""Whitespace (Unicode's, as ``str.isspace``) or a control character: never in a URL."""


def is_control_character(char: str) -> bool:
    """C0 controls, DEL and C1 controls: invisible, and never part of a URL (RFC 3986)."""
    return char < " " or "\x7f" <= char <= "\x9f"


def too_long_reason(length: int, limit: int) -> str:
    """Why a URL longer than ``--max-url-length`` is not checked."""
    return f"URL is {length} characters long, over the limit of {limit} (--max-url-length)"


def classify(url: str, max_length: int | None = None) -> Target | InvalidTarget:
    """Decide who answers for a URL: the arXiv API, the GitHub API, or the web server itself.

    A URL over ``max_length`` characters, or holding whitespace or a control character, is
    invalid as written: ``urlsplit`` would silently drop tabs and newlines, and a NUL or ESC in
    a record or a terminal does harm of its own.
    """
    if max_length is not None and len(url) > max_length:
        return InvalidTarget(too_long_reason(len(url), max_length))
    found = _UNUSABLE_CHARACTER.search(url)  # one C-speed scan; most URLs have none
    bad = found.group() if found is not None else None
    if bad is not None:
        if is_control_character(bad) and bad not in _ASCII_WHITESPACE:
            return InvalidTarget(f"not a URL: contains a control character U+{ord(bad):04X}")
        return InvalidTarget("not a URL: contains whitespace")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        return InvalidTarget(f"not a URL: {exc}")
    scheme = parts.scheme.lower()
    if not scheme:
        return InvalidTarget("not a URL: no http(s):// scheme")
    if scheme not in SUPPORTED_SCHEMES:
        return InvalidTarget(f"unsupported scheme {scheme!r}: only http and https are checked")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return InvalidTarget("not a URL: no host")
    if host in ARXIV_HOSTS:
        arxiv = _arxiv_target(parts)
        if arxiv is not None:
            return arxiv
    if host in GITHUB_HOSTS:
        github = _github_target(parts)
        if github is not None:
            return github
    return WebTarget(normalise_web_url(parts), host)


def is_private_host(host: str) -> bool:
    """True for ``localhost`` and literal loopback, private, link-local and reserved addresses.

    Names are not resolved here (that is I/O); this catches what the URL itself gives away.
    """
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = legacy_ipv4(name)
    if address is None:
        return False
    return not is_public_address(address)


_IETF_PROTOCOL = ipaddress.IPv4Network("192.0.0.0/24")
"""IETF protocol assignments: Python 3.11 calls some of them (192.0.0.9, .10) global."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix: its last 32 bits are an IPv4 address a gateway connects to."""


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for a globally routable unicast address: what a web check may connect to.

    Loopback, private, shared (100.64/10), link-local (169.254/16, fe80::/10), multicast,
    unspecified, reserved and documentation ranges are not; neither are IPv6 spellings of
    such IPv4 addresses (mapped ``::ffff:10.0.0.1``, NAT64 ``64:ff9b::a00:1``, 6to4).
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
        if address.is_site_local:
            return False
    elif address in _IETF_PROTOCOL:
        return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def legacy_ipv4(name: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in the spellings resolvers accept (``inet_aton``), or None.

    ``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` all mean 127.0.0.1 to the
    system resolver, so a guard that only knows dotted quads can be walked around.
    """
    parts = name.split(".")
    if not 1 <= len(parts) <= 4 or "" in parts:
        return None
    values: list[int] = []
    for part in parts:
        try:
            if part.startswith("0x"):
                values.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                values.append(int(part, 8))
            else:
                values.append(int(part, 10))
        except ValueError:
            return None
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for value in head:
        number = number * 256 + value
    return ipaddress.IPv4Address(number * 256 ** (4 - len(head)) + last)
