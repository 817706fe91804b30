"""What makes a URL checkable at all, and which addresses are private. Pure: no I/O.

Who answers for a checkable URL (arXiv, GitHub, the web server itself) is each authority's
own claim: see ``enricher.authorities``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import idna

from .models import InvalidTarget

SUPPORTED_SCHEMES = frozenset({"http", "https"})


def normalise_web_url(parts: SplitResult) -> str:
    """Lower-case scheme and host, drop the fragment (never sent), keep everything else."""
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


_ASCII_WHITESPACE = frozenset(" \t\n\r\f\v")
"""Whitespace called whitespace; other control characters are named by code point."""


_UNUSABLE_CHARACTER = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
"""Whitespace (Unicode's, as ``str.isspace``) or a control character: never in a URL."""


def escape_unusable(url: str) -> str:
    """``url`` with whitespace and control characters percent-encoded, as an HTTP client
    sends them (for a Location header's ``/a b``: ``/a%20b``)."""
    return _UNUSABLE_CHARACTER.sub(lambda found: quote(found.group(), safe=""), url)


def is_control_character(char: str) -> bool:
    """C0 controls, DEL and C1 controls: invisible, and never part of a URL (RFC 3986)."""
    return char < " " or "\x7f" <= char <= "\x9f"


def too_long_reason(length: int, limit: int) -> str:
    """Why a URL longer than ``--max-url-length`` is not checked."""
    return f"URL is {length} characters long, over the limit of {limit} (--max-url-length)"


def parse_url(url: str, max_length: int | None = None) -> tuple[SplitResult, str] | InvalidTarget:
    """A URL's parts and host (lower-case, no trailing dot), or why it cannot be checked.

    A URL over ``max_length`` characters, or holding whitespace or a control character, is
    invalid as written: ``urlsplit`` would silently drop tabs and newlines, and a NUL or ESC in
    a record or a terminal does harm of its own. Only http and https are checked.
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
    problem = _host_problem(host)
    if problem is not None:
        return InvalidTarget(f"not a URL: {problem}")
    return parts, host


MAX_LABEL = 63
MAX_NAME = 253
"""DNS's limits on a label and a whole name (RFC 1035): a longer one never resolves."""


def _host_problem(host: str) -> str | None:
    """Why no request can reach ``host`` whatever the network does, or None: a name
    DNS cannot hold, or one the HTTP client refuses (an ``xn--`` label that is no valid
    punycode, a character IDNA forbids). Refused only at the request, such a name had come
    out ``unreachable`` after every retry, or stopped the whole run with a traceback."""
    if host.startswith("[") or is_ip_literal(host):
        return None
    labels = host.split(".")
    if "" in labels:
        return f"host {host!r} has an empty label"
    if len(host) > MAX_NAME or any(len(label) > MAX_LABEL for label in labels):
        return f"host {host[:80]!r} is longer than DNS allows"
    return _name_problem(host)


@functools.lru_cache(maxsize=4096)
def _name_problem(host: str) -> str | None:
    """What the HTTP client refuses of a name: httpx IDNA-encodes one that is not ASCII and
    decodes one that starts with ``xn--`` (raising for one IDNA refuses); another ``xn--``
    label must be punycode at least (``my_bucket.xn--p1ai`` is reached: its other labels are
    not held to IDNA's rules). Cached: a run asks of the same hosts again and again."""
    try:  # the host is lower-case already (urlsplit's hostname)
        if not host.isascii():
            idna.encode(host)
        elif host.startswith("xn--"):
            idna.decode(host)
        else:
            for label in host.split("."):
                if label.startswith("xn--"):
                    label[4:].encode("ascii").decode("punycode")
    except (idna.IDNAError, UnicodeError) as exc:
        return f"host {host[:80]!r} is not a valid internationalised name ({exc})"
    return None


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (a zone ``%eth0`` allowed), not a name."""
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True


def private_address_reason(address: str) -> str:
    """Why a loopback, private or link-local address is not checked: one wording, wherever it
    is found (in the link, by the resolver, in a redirect)."""
    return f"private address ({address}); not checked (--allow-private to check it)"


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
