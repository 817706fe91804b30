"""Translating httpx's exceptions into our values.

This is the one place httpx exceptions become our values (``FailureKind`` and a message).
"""

from __future__ import annotations

import socket
import ssl

import httpx

from ..models import FailureKind
from .guard import PrivateAddressRefused

CLIENT_ERRORS = (httpx.HTTPError, UnicodeError)
"""What a request through httpx raises for the network or the server's answer: its own
errors, and the IDNA codec's, which escape it when a Location header names a host IDNA
refuses (``xn--zz``: httpx reads Location even when not following it)."""


def describe_http_error(exc: httpx.HTTPError | UnicodeError) -> tuple[FailureKind, str]:
    """Translate an httpx exception into our vocabulary (the one place this happens)."""
    if isinstance(exc, UnicodeError):
        return FailureKind.BAD_REDIRECT, f"redirect to a host IDNA refuses ({exc})"
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return FailureKind.NO_ANSWER, f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.TimeoutException):
        return FailureKind.TIMEOUT, f"timed out ({type(exc).__name__})"
    text = str(exc) or type(exc).__name__  # httpx often raises with an empty message
    no_such_host = False
    cause: BaseException | None = exc
    seen: set[int] = set()  # a chain can loop (an exception re-raised from its own handler)
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror) and cause.errno == socket.EAI_NONAME:
            no_such_host = True  # the resolver's "no such name"
        if isinstance(cause, PrivateAddressRefused):
            return FailureKind.PRIVATE, str(cause)
        if isinstance(cause, ssl.SSLError):
            # Only OpenSSL's own errors carry .reason; ssl.py raises some without it.
            detail = getattr(cause, "reason", None) or (cause.args[-1] if cause.args else cause)
            # Certificate failures say why in verify_message ("Hostname mismatch...",
            # "certificate has expired", "self-signed certificate"): the part a user can act on.
            why = getattr(cause, "verify_message", None)
            if why:
                detail = f"{detail} ({why})"
            return FailureKind.TLS, f"TLS error: {detail}"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError) and no_such_host:
        # Not retried: a dead domain is the commonest rot, and each retry would cost a
        # backoff. Still network-level: without a network, resolvers say the same.
        return FailureKind.NO_SUCH_HOST, f"cannot connect: {exc}"
    if isinstance(exc, httpx.ConnectError):
        return FailureKind.CONNECT, f"cannot connect: {exc}" if str(exc) else "cannot connect"
    if isinstance(exc, httpx.RemoteProtocolError) and "location header" in text.lower():
        # httpx parses Location even when not following: the server answered, badly.
        return FailureKind.BAD_REDIRECT, f"redirect to an unusable URL ({text})"
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return FailureKind.PROTOCOL, f"connection failed mid-request: {text}"
    return FailureKind.PROTOCOL, f"HTTP error: {text}"
