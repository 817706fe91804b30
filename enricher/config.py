"""One frozen ``Settings``, built once from defaults, a config file, the environment and flags.

Precedence, lowest first: built-in defaults, ``[tool.enricher]`` in ``pyproject.toml`` (or an
``enricher.toml``, which wins if both exist) in the working folder, environment variables,
command-line flags. Nothing else in enricher reads ``os.environ``.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .models import Status
from .schedules import Schedule

DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_ARXIV_DELAY_S = 3.0
"""arXiv's API terms: no more than one request every three seconds."""
DEFAULT_TIMEOUT_S = 20.0
"""Per-request timeout (connect, read, write, pool) for web pages and APIs."""
DEFAULT_CONCURRENCY = 128
"""Requests in flight in all (lychee's default): enough to keep 20 hosts busy at --per-host 6."""
DEFAULT_PER_HOST = 6
"""Most requests in flight to one host, as browsers allow per host; the limit adapts below it
when the host answers 429 or 503 (see ``pacing``)."""
DEFAULT_ATTEMPTS = 3
"""Attempts per request for transient failures (timeouts, resets, 408, 429, 5xx)."""
DEFAULT_RETRY_BUDGET_S = 120.0
"""Total time one link may spend in retries, waits included (room for one or two
Retry-After waits of up to a minute)."""
DEFAULT_RATE_LIMIT_WAIT_S = 60.0
"""Longest wait for a GitHub quota reset; beyond it the remaining links are ``unreachable``."""
DEFAULT_FAIL_ON = frozenset({Status.BROKEN, Status.INVALID})
DAY_S = 86_400.0
DEFAULT_TTL_S = {"web": DAY_S, "arxiv": 30 * DAY_S, "github": DAY_S}
"""How long an observed fact is trusted, per kind."""
DEFAULT_DEADLINE_S = 150.0
"""Wall-clock limit for one link, every attempt, redirect hop and retry wait included: a
server that drips bytes or headers can hold a link no longer than this."""
DEFAULT_MAX_REDIRECTS = 10
"""Hops followed before a chain is judged broken (browsers allow about 20; lychee 10)."""
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Bytes read from one answer body, after decompression (so a gzip bomb costs at most this).
Web pages are checked from their headers; this bounds the API answers, which are read."""
DEFAULT_MAX_URL_LENGTH = 8192
"""Longer URLs are ``invalid``: most servers refuse them (414) and they are never real links."""
DEFAULT_MAX_DIGEST_BYTES = 10 * 1024 * 1024
"""Larger digest files are not read (a digest is a few kilobytes; this is 1,000 times that)."""
DEFAULT_MAX_LINKS = 10_000
"""Links checked per digest; the rest are reported as one problem at the first one left out."""
FORMATS = ("text", "json", "github", "junit", "markdown")
USER_AGENT = "enricher/0.1 (link checker for AI-news digests)"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, fixed before it starts."""

    paths: tuple[str, ...] = ("sources",)
    """Digest files or folders to check."""
    glob: str = "*.txt"
    """Which files of a folder are digests."""
    cache_dir: Path = Path("cache")
    use_cache: bool = True
    offline: bool = False
    """Never touch the network: uncached links are ``unreachable`` with reason "offline"."""
    refresh: bool = False
    """Ignore freshness: re-check everything (GitHub still revalidates with its ETag)."""
    write: bool = True
    """Write ``<digest>.enriched.json`` records (``--no-write`` checks only)."""
    metadata: bool = True
    """Put arXiv/GitHub metadata in records (``--check-only`` leaves it out)."""
    allow_private: bool = False
    exclude: tuple[str, ...] = ()
    """Regular expressions; a URL matching any is ``skipped``."""
    concurrency: int = DEFAULT_CONCURRENCY
    per_host: int = DEFAULT_PER_HOST
    timeout_s: float = DEFAULT_TIMEOUT_S
    attempts: int = DEFAULT_ATTEMPTS
    retry_budget_s: float = DEFAULT_RETRY_BUDGET_S
    rate_limit_wait_s: float = DEFAULT_RATE_LIMIT_WAIT_S
    fail_on: frozenset[Status] = DEFAULT_FAIL_ON
    format: str = "text"
    verbosity: int = 0
    """-1 quiet, 0 normal, 1+ verbose."""
    arxiv_api_url: str = DEFAULT_ARXIV_API_URL
    github_api_url: str = DEFAULT_GITHUB_API_URL
    arxiv_delay_s: float = DEFAULT_ARXIV_DELAY_S
    github_token: str | None = field(default=None, repr=False)
    """From ``GITHUB_TOKEN``; sent to the GitHub API host only. Never printed."""
    ttl_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTL_S))
    user_agent: str = USER_AGENT
    changed_since: str | None = None
    """Check only digests changed since this git ref (``--changed-only REF``)."""
    output: Path | None = None
    """Write the ``format`` report to this file; the terminal gets the text summary."""
    json_output: Path | None = None
    """Also write the JSON report to this file, whatever ``format`` is."""
    lock_timeout_s: float = 0.0
    """How long a run waits for another to release the run lock before giving up (exit 3)."""
    deadline_s: float = DEFAULT_DEADLINE_S
    """Wall-clock limit for one link, retries and redirects included (``--deadline``)."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_url_length: int = DEFAULT_MAX_URL_LENGTH
    max_digest_bytes: int = DEFAULT_MAX_DIGEST_BYTES
    max_links: int = DEFAULT_MAX_LINKS


# Keys accepted in a config file, with the parser for each. Flag spellings (dashes) and
# Python spellings (underscores) are both accepted.
def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{name}: expected a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {value!r}") from None
    if number < 1:
        raise ConfigError(f"{name}: must be at least 1, got {number}")
    return number


def _non_negative_float(value: Any, name: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ConfigError(f"{name}: must be a finite number, zero or more, got {value!r}")
    return number


def _positive_float(value: Any, name: str) -> float:
    number = _non_negative_float(value, name)
    if number == 0:
        raise ConfigError(f"{name}: must be more than zero")
    return number


_SIZE = re.compile(r"^\s*(\d+)\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: Any, name: str) -> int:
    """``1048576``, ``"512k"``, ``"10MB"``, ``"1GiB"`` -> bytes (units are powers of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        match = _SIZE.match(str(value))
        if match is None:
            raise ConfigError(f"{name}: expected a size like 65536, 512k or 10M, got {value!r}")
        number = int(match[1]) * _SIZE_UNITS[match[2][:1].lower()]
    if number < 1:
        raise ConfigError(f"{name}: must be at least 1 byte, got {value!r}")
    return number


def format_size(size: int) -> str:
    """``8388608`` -> ``"8 MiB"``, ``1536`` -> ``"1.5 KiB"``: sizes as messages show them."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.4g} {unit}"
    return f"{size} bytes"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": DAY_S}


def parse_duration(value: Any, name: str) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"6h"``, ``"30d"`` -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _non_negative_float(value, name)
    match = _DURATION.match(str(value))
    if match is None:
        raise ConfigError(f"{name}: expected a duration like 90s, 15m, 6h or 30d, got {value!r}")
    return float(match[1]) * _UNIT_S[match[2]]


def parse_fail_on(value: Any, name: str = "fail-on") -> frozenset[Status]:
    """``"broken,invalid"`` (or a list) -> statuses; ``never`` -> none; ``any`` -> all but ok."""
    items = value if isinstance(value, list) else str(value).split(",")
    words = [str(item).strip().lower() for item in items if str(item).strip()]
    if words == ["never"]:
        return frozenset()
    if words == ["any"]:
        return frozenset(s for s in Status if s is not Status.OK)
    known = {s.value: s for s in Status}
    unknown = [w for w in words if w not in known]
    if unknown or not words:
        raise ConfigError(
            f"{name}: unknown status {', '.join(unknown) or '(empty)'}; choose from "
            f"{', '.join(known)}, or 'any' or 'never'"
        )
    return frozenset(known[w] for w in words)


def _url(value: Any, name: str) -> str:
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return text.rstrip("/")


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _str_list(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{name}: expected a string or a list of strings, got {value!r}")


def _format(value: Any, name: str) -> str:
    if value not in FORMATS:
        raise ConfigError(f"{name}: expected one of {', '.join(FORMATS)}, got {value!r}")
    return str(value)


def _path(value: Any, name: str) -> Path:
    if not isinstance(value, str | Path) or not str(value):
        raise ConfigError(f"{name}: expected a path, got {value!r}")
    return Path(value)


def _regexes(value: Any, name: str) -> tuple[str, ...]:
    patterns = _str_list(value, name)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{name}: bad regular expression {pattern!r}: {exc}") from None
    return patterns


_FILE_KEYS: dict[str, tuple[str, Any]] = {
    # file key: (Settings field, parser)
    "paths": ("paths", _str_list),
    "glob": ("glob", lambda v, n: str(v)),
    "cache-dir": ("cache_dir", _path),
    "no-cache": ("use_cache", lambda v, n: not _bool(v, n)),
    "offline": ("offline", _bool),
    "allow-private": ("allow_private", _bool),
    "check-only": ("metadata", lambda v, n: not _bool(v, n)),
    "exclude": ("exclude", _regexes),
    "concurrency": ("concurrency", _positive_int),
    "per-host": ("per_host", _positive_int),
    "timeout": ("timeout_s", _positive_float),
    "attempts": ("attempts", _positive_int),
    "fail-on": ("fail_on", parse_fail_on),
    "format": ("format", _format),
    "output": ("output", _path),
    "json-output": ("json_output", _path),
    "changed-only": ("changed_since", lambda v, n: str(v)),
    "arxiv-api-url": ("arxiv_api_url", _url),
    "github-api-url": ("github_api_url", _url),
    "arxiv-delay": ("arxiv_delay_s", _non_negative_float),
    "lock-timeout": ("lock_timeout_s", _non_negative_float),
    "deadline": ("deadline_s", _positive_float),
    "max-redirects": ("max_redirects", _positive_int),
    "max-response-size": ("max_response_bytes", parse_size),
    "max-url-length": ("max_url_length", _positive_int),
    "max-digest-size": ("max_digest_bytes", parse_size),
    "max-links": ("max_links", _positive_int),
}
_TTL_KEYS = {"ttl-web": "web", "ttl-arxiv": "arxiv", "ttl-github": "github"}

_ENV_KEYS = {
    "ENRICHER_CACHE_DIR": "cache-dir",
    "ENRICHER_ARXIV_API_URL": "arxiv-api-url",
    "ENRICHER_GITHUB_API_URL": "github-api-url",
    "ENRICHER_ARXIV_DELAY": "arxiv-delay",
    "ENRICHER_LOCK_TIMEOUT": "lock-timeout",
}


def find_config_file(cwd: Path) -> tuple[Path, dict[str, Any]] | None:
    """The settings table from ``enricher.toml`` or ``pyproject.toml``'s ``[tool.enricher]``."""
    for name in ("enricher.toml", "pyproject.toml"):
        path = cwd / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read settings: {exc}") from None
        if name == "pyproject.toml":
            table = data.get("tool", {}).get("enricher")
            if table is None:
                continue
        else:
            table = data.get("tool", {}).get("enricher", data)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.enricher] must be a table")
        return path, table
    return None


def _apply(
    values: dict[str, Any], origin: str, changes: dict[str, Any], ttl: dict[str, float]
) -> None:
    for raw_key, value in values.items():
        key = raw_key.replace("_", "-")
        where = f"{origin}: {raw_key}"
        if key in _TTL_KEYS:
            ttl[_TTL_KEYS[key]] = parse_duration(value, where)
            continue
        if key not in _FILE_KEYS:
            known = ", ".join(sorted([*_FILE_KEYS, *_TTL_KEYS]))
            raise ConfigError(f"{where}: unknown setting (known: {known})")
        field_name, parser = _FILE_KEYS[key]
        changes[field_name] = parser(value, where)


_TOKEN = re.compile(r"[\x21-\x7e]+")
"""What a token may hold: visible ASCII, which is all an HTTP header value can carry safely."""


def build_settings(flags: Mapping[str, Any], env: Mapping[str, str], cwd: Path) -> Settings:
    """Merge defaults, config file, environment and flags (flags win).

    ``flags`` holds only options the user actually gave, keyed by file-key spelling
    (``cache-dir``), plus ``refresh``, ``write``, ``verbosity`` which exist only as flags.
    """
    changes: dict[str, Any] = {}
    ttl = dict(DEFAULT_TTL_S)
    found = find_config_file(cwd)
    if found is not None:
        path, table = found
        _apply(table, str(path), changes, ttl)
    env_values = {key: env[name] for name, key in _ENV_KEYS.items() if env.get(name)}
    _apply(env_values, "environment", changes, ttl)
    flag_only = {"refresh", "write", "verbosity"}
    _apply({k: v for k, v in flags.items() if k not in flag_only}, "option", changes, ttl)
    for name in flag_only & flags.keys():
        changes[name] = flags[name]
    if env.get("GITHUB_TOKEN"):
        token = env["GITHUB_TOKEN"].strip()
        if not _TOKEN.fullmatch(token):
            # Never echoed: an HTTP library would quote the bad header, token and all.
            raise ConfigError(
                "GITHUB_TOKEN: holds spaces, control or non-ASCII characters; a token has none"
            )
        changes["github_token"] = token
    changes["ttl_s"] = ttl
    valid = {f.name for f in fields(Settings)}
    assert set(changes) <= valid, set(changes) - valid
    settings = replace(Settings(), **changes)
    if settings.offline and settings.refresh:
        raise ConfigError("--offline and --refresh contradict each other: choose one")
    return settings


_SCHEDULE_ENV = {"cron": "ENRICHER_CRON", "every": "ENRICHER_EVERY"}


def build_schedule(flags: Mapping[str, Any], env: Mapping[str, str]) -> Schedule:
    """When the background job runs: ``--cron``/``--every`` flags, else ``ENRICHER_CRON`` /
    ``ENRICHER_EVERY``, else every 6 hours. Both at the same level contradict each other."""
    given = {f"--{key}": (key, flags[key]) for key in ("cron", "every") if flags.get(key)}
    if not given:
        given = {name: (key, env[name]) for key, name in _SCHEDULE_ENV.items() if env.get(name)}
    if len(given) > 1:
        raise ConfigError(f"{' and '.join(given)}: give a cron expression or an interval, not both")
    schedule = Schedule(
        timezone=str(flags.get("timezone") or "UTC").strip() or "UTC",
        run_now=bool(flags.get("run-now", True)),
    )
    for name, (key, value) in given.items():
        if key == "every":
            every_s = parse_duration(value, name)
            if every_s <= 0:
                raise ConfigError(f"{name}: must be more than zero, got {value!r}")
            return replace(schedule, every_s=every_s)
        return replace(schedule, cron=" ".join(str(value).split()), every_s=None)
    return schedule
