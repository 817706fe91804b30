"""Answer bodies read with a bound on their decoded size: what the API clients (GitHub,
Hugging Face, Crossref and DataCite) read whole, never past ``--max-response-size``."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx

__all__ = ["ACCEPT_ENCODING", "BoundedDecoder", "TooLarge", "read_capped"]

ACCEPT_ENCODING = "gzip, deflate"
"""The encodings we decode ourselves, with a bound on the decompressed size."""
DECODE_STEP_BYTES = 64 * 1024
"""Decompressed bytes produced at a time, so the pieces held never pass the cap by more."""


class TooLarge(Exception):
    """The decoded body went past the cap."""


class Inflater:
    """zlib's decompressor for a ``Content-Encoding`` of gzip or deflate: a gzip or a zlib
    header, whichever comes (servers send either for "deflate"), or for "deflate" none at
    all: raw deflate, which some servers send and browsers read (decided by the first
    bytes, kept until the first decoded one to be read again so)."""

    def __init__(self, coding: str) -> None:
        self._state = zlib.decompressobj(zlib.MAX_WBITS | 32)
        self._raw_allowed = coding == "deflate"
        self._before_output = b""

    @property
    def eof(self) -> bool:
        return self._state.eof

    @property
    def unconsumed_tail(self) -> bytes:
        return self._state.unconsumed_tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        """Like ``zlib.Decompress.decompress``; ``zlib.error`` for bytes no format reads."""
        try:
            piece = self._state.decompress(data, max_length)
        except zlib.error:
            if not self._raw_allowed:
                raise
            again, self._before_output = self._before_output + data, b""
            self._state, self._raw_allowed = zlib.decompressobj(-zlib.MAX_WBITS), False
            return self._state.decompress(again, max_length)
        if self._raw_allowed:
            if piece:
                self._raw_allowed, self._before_output = False, b""
            else:
                self._before_output += data[: len(data) - len(self._state.unconsumed_tail)]
        return piece


class BoundedDecoder:
    """gzip/deflate decoding that never produces more than ``limit`` bytes in all.

    httpx decodes a whole network chunk at once: 64 KiB of gzip'd zeros is 64 MiB in
    memory before anyone can count it. zlib's ``max_length`` stops at the cap instead.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._limit = limit
        self._size = 0
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise httpx.DecodingError(f"unsupported content encoding {encoding!r}")
        self._zlib = Inflater(codings[0]) if codings else None

    def feed(self, data: bytes) -> bytes:
        """Decoded bytes for the next raw chunk; ``TooLarge`` past the cap."""
        if self._zlib is None:
            return self._count(data)
        out: list[bytes] = []
        pending = data
        try:
            while pending and not self._zlib.eof:
                step = min(DECODE_STEP_BYTES, self._limit - self._size + 1)
                piece = self._zlib.decompress(pending, step)
                out.append(self._count(piece))
                pending = self._zlib.unconsumed_tail
        except zlib.error as exc:
            raise httpx.DecodingError(f"badly compressed answer ({exc})") from exc
        return b"".join(out)

    def _count(self, piece: bytes) -> bytes:
        self._size += len(piece)
        if self._size > self._limit:
            raise TooLarge
        return piece


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, or ``TooLarge`` as soon as it passes ``limit`` bytes."""
    try:
        body = response.content  # built in memory (httpx.MockTransport): already read
    except httpx.ResponseNotRead:
        pass
    else:
        if len(body) > limit:
            raise TooLarge
        return body
    decoder = BoundedDecoder(response.headers.get("content-encoding", ""), limit)
    chunks: AsyncIterator[bytes] = response.aiter_raw()
    return b"".join([decoder.feed(chunk) async for chunk in chunks])
