"""Secrets out of every message: a token is blanked wherever a server or a library echoes it."""

from __future__ import annotations

import logging

REDACTED = "[redacted]"
"""What the token becomes in any message."""


def secret_forms(secret: str) -> list[str]:
    """The forms a message may hold a secret in: as given, without its scheme ("Bearer "),
    and as ``repr`` quotes it (libraries quote bad header values as bytes). Longest first."""
    bare = secret.partition(" ")[2]
    forms = {secret, bare, repr(secret)[1:-1], repr(bare)[1:-1]}
    return sorted((form for form in forms if form), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every form in ``secrets`` replaced by ``REDACTED``."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A log handler filter that blanks the token out of every line, tracebacks included.

    At ``-vv`` httpcore logs response headers as received, so a server that echoes the
    token in a header would otherwise print it.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self._secrets = secret_forms(f"Bearer {token}")

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback text) without the token."""
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            record.msg, record.args = redact(message, self._secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        return True
