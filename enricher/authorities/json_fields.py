"""Reading an API's JSON answer strictly, for every authority that gets one (GitHub, the Hub,
the DOI registries). Pure: no I/O.

Tolerant of nulls and missing keys (an API leaves out what it does not know), strict about
types: a value of the wrong type is never coerced (``str(123)`` as a name, ``tuple("ml")`` as
topics). ``UnreadableAnswer`` names the first thing that is not what the API sends, quoting at
most ``SHOWN_VALUE_CHARS`` of it; the lookup reports it (``unreachable``), never a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SHOWN_VALUE_CHARS = 40
"""How much of a bad value a reason quotes: enough to recognise, never a page."""

Fields = Mapping[str, Any]


class UnreadableAnswer(ValueError):
    """A 200 answer that is not what the API sends; the message says what is wrong."""


def shown(value: object) -> str:
    """``value`` as a reason quotes it: its repr, cut to ``SHOWN_VALUE_CHARS``."""
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 3] + "..."


def body_json(body: bytes, content_type: str, what: str) -> object:
    """The JSON of a raw answer; ``UnreadableAnswer`` says what the body is instead of
    ``what`` (``repository JSON``, ``Crossref JSON``)."""
    if not body.strip():
        raise UnreadableAnswer(f"an empty answer, not {what}")
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise UnreadableAnswer(f"JSON nested too deeply to be {what}") from exc
    except ValueError as exc:  # UnicodeDecodeError included; truncated JSON too
        page = "html" in content_type.lower() or body.lstrip()[:1] == b"<"
        kind = "an HTML page" if page else "something that is not JSON"
        raise UnreadableAnswer(f"{kind}, not {what}") from exc


def get_text(data: Fields, key: str) -> str | None:
    """A string field; None when absent, null or empty."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise UnreadableAnswer(f"{key} is {shown(value)}, not a string")


def get_count(data: Fields, key: str) -> int | None:
    """A count (a whole number, not negative); None when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnreadableAnswer(f"{key} is {shown(value)}, not a count")
    return value


def get_flag(data: Fields, key: str) -> bool:
    """A true/false field; False when absent or null."""
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise UnreadableAnswer(f"{key} is {shown(value)}, not true or false")
    return value


def get_object(data: Fields, key: str) -> dict[str, Any]:
    """An object field; empty when absent or null."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnreadableAnswer(f"{key} is {shown(value)}, not an object")
    return value


def get_list(data: Fields, key: str) -> list[Any]:
    """A list field; empty when absent or null."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnreadableAnswer(f"{key} is {shown(value)}, not a list")
    return value


def get_strings(data: Fields, key: str) -> list[str]:
    """A list of strings; empty when absent or null."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise UnreadableAnswer(f"{key} is {shown(value)}, not a list of strings")
    return value
