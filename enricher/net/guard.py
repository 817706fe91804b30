"""The SSRF guard at the socket: web checks connect only to public addresses.

A digest is input anyone may contribute, so its links must not turn the worker against the
network it runs in (``http://169.254.169.254/`` is a cloud's metadata service; ``10.x`` is the
office). Checking the URL's text is not enough: a public-looking name can resolve to a private
address, and a name can resolve differently by the time the connection is made (DNS
rebinding). So the check sits where the connection is made: this httpcore network backend
resolves the host itself, refuses when *any* address is not public, and connects to the very
address it checked. TLS still verifies the certificate against the host name (httpcore passes
it as ``server_hostname``), so nothing is lost by connecting to the number.

The resolver and the backend underneath are injectable, so tests can make a name resolve to
``10.0.0.5`` and prove that no connection is even attempted, without a packet leaving the host.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import httpcore

from ..urls import is_public_address, private_address_reason
from .backend import AsyncioBackend

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> addresses``: what a name resolves to, as text (``"93.184.216.34"``)."""


class PrivateAddressRefused(httpcore.ConnectError):
    """A connection the guard refused: the host is or resolves to a non-public address."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        reason = private_address_reason(address)
        super().__init__(reason if host.strip("[]") == address else f"{host} resolves to a {reason}")


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's answer for ``host`` (``getaddrinfo`` in anyio's worker threads, which
    allow 40 lookups at once where asyncio's default executor has a handful)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        # gaierror: the name does not resolve; UnicodeError: a label IDNA refuses (over 63
        # characters, empty): a name no resolver will answer for either.
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, refuse non-public addresses, then connect to a checked address."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend | None = None,
        resolve: Resolver = system_resolver,
    ) -> None:
        self._inner = inner or AsyncioBackend()
        self._resolve = resolve

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            if not is_public_address(ipaddress.ip_address(address.split("%")[0])):
                # One private answer is enough to refuse: which one a client would use is
                # up to the resolver's order, which whoever controls the name controls.
                raise PrivateAddressRefused(host, address)
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:  # like happy eyeballs, minus the parallelism
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )  # fmt: skip
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # a dead IPv6 route must not hide a working IPv4 address
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used for web checks")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
