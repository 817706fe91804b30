"""One frozen ``Settings``, built once from defaults, a config file, the environment and flags.

Precedence, lowest first: built-in defaults, ``[tool.enricher]`` in ``pyproject.toml`` (or an
``enricher.toml``, which wins if both exist) in the working folder, environment variables,
command-line flags. Which key, variable and flag set which field, and how their values are read,
is declared once in ``options.OPTIONS``. Nothing else in enricher reads ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .models import FailOn, Status
from .options import FILE_KEYS, OPTIONS, Option
from .options import FORMATS as FORMATS  # re-exported: they lived here before options.py
from .options import parse_duration as parse_duration
from .options import parse_fail_on as parse_fail_on
from .options import parse_size as parse_size
from .schedules import Schedule

DEFAULT_ARXIV_API_URL = "https://export.arxiv.org/api/query"
DEFAULT_GITHUB_API_URL = "https://api.github.com"
DEFAULT_HF_API_URL = "https://huggingface.co"
DEFAULT_CROSSREF_API_URL = "https://api.crossref.org"
DEFAULT_DATACITE_API_URL = "https://api.datacite.org"
DEFAULT_WAYBACK_URL = "https://web.archive.org"
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
DEFAULT_NOTIFY_TIMEOUT_S = 60.0
"""A notification (a webhook, a mail) that takes longer than this is stuck: it is stopped."""
DEFAULT_FAIL_ON = frozenset({Status.BROKEN, Status.INVALID})
DAY_S = 86_400.0
DEFAULT_TTL_S = {
    "web": DAY_S, "arxiv": 30 * DAY_S, "github": DAY_S, "huggingface": DAY_S,
    "doi": 30 * DAY_S, "paper-links": 7 * DAY_S, "archive": 7 * DAY_S,
}  # fmt: skip
"""How long an observed fact is trusted, per kind."""
DEFAULT_DEADLINE_S = 150.0
"""Wall-clock limit for one link, every attempt, redirect hop and retry wait included: a
server that drips bytes or headers can hold a link no longer than this."""
DEFAULT_MAX_REDIRECTS = 10
"""Hops followed before a chain is judged broken (browsers allow about 20; lychee 10)."""
DEFAULT_MAX_PAGE_BYTES = 1024 * 1024
"""An HTML page's head is almost always within its first MiB (Facebook's crawler asks for
the first 512 KiB, so sites put their OpenGraph tags there). Not 256 KiB: YouTube's watch
pages and Google's consent pages put 300-450 KB of scripts before their ``<title>``."""
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
"""Bytes read from one answer body, after decompression (so a gzip bomb costs at most this).
Web pages are checked from their headers; this bounds the API answers, which are read."""
DEFAULT_MAX_URL_LENGTH = 8192
"""Longer URLs are ``invalid``: most servers refuse them (414) and they are never real links."""
DEFAULT_MAX_DIGEST_BYTES = 10 * 1024 * 1024
"""Larger digest files are not read (a digest is a few kilobytes; this is 1,000 times that)."""
DEFAULT_MAX_LINKS = 10_000
"""Links checked per digest; the rest are reported as one problem at the first one left out."""
USER_AGENT = "enricher/0.1 (link checker for AI-news digests)"


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, fixed before it starts."""

    paths: tuple[str, ...] = ("sources",)
    """Digest files or folders to check."""
    glob: tuple[str, ...] = ("*.txt",)
    """Which files of a folder are digests: the files matching any of these patterns."""
    base_url: str | None = None
    """Where Markdown/HTML digests are published; their relative links resolve against it."""
    include_verbatim: bool = False
    """Check links in Markdown/HTML code spans and blocks too."""
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
    fail_on: FailOn = DEFAULT_FAIL_ON
    fail_after: int = 1
    """A link fails the run only after this many failing checks in a row (``--fail-after``)."""
    notify_command: str | None = None
    """Run with ``sh -c`` after a run in which links changed, the JSON report on its stdin."""
    notify_timeout_s: float = DEFAULT_NOTIFY_TIMEOUT_S
    format: str = "text"
    verbosity: int = 0
    """-1 quiet, 0 normal, 1+ verbose."""
    arxiv_api_url: str = DEFAULT_ARXIV_API_URL
    github_api_url: str = DEFAULT_GITHUB_API_URL
    arxiv_delay_s: float = DEFAULT_ARXIV_DELAY_S
    github_token: str | None = field(default=None, repr=False)
    """From ``GITHUB_TOKEN``; sent to the GitHub API host only. Never printed."""
    hf_api_url: str = DEFAULT_HF_API_URL
    hf_token: str | None = field(default=None, repr=False)
    """From ``HF_TOKEN``; sent to the Hugging Face API host only. Never printed."""
    crossref_api_url: str = DEFAULT_CROSSREF_API_URL
    datacite_api_url: str = DEFAULT_DATACITE_API_URL
    mailto: str | None = None
    """Sent to Crossref (``mailto=``): its polite pool, with higher limits."""
    wayback_url: str = DEFAULT_WAYBACK_URL
    paper_links: bool = True
    """Ask Hugging Face where each arXiv paper's code is (``--no-paper-links``: don't)."""
    archive: bool = True
    """Look up a Wayback Machine snapshot for dead links (``--no-archive``: don't)."""
    ttl_s: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TTL_S))
    user_agent: str = USER_AGENT
    changed_since: str | None = None
    """Check only digests changed since this git ref (``--changed-only REF``)."""
    output: Path | None = None
    """Write the ``format`` report to this file; the terminal gets the text summary."""
    json_output: Path | None = None
    """Also write the JSON report to this file, whatever ``format`` is."""
    html_output: Path | None = None
    """Also write the HTML report to this file, whatever ``format`` is."""
    lock_timeout_s: float = 0.0
    """How long a run waits for another to release the run lock before giving up (exit 3)."""
    deadline_s: float = DEFAULT_DEADLINE_S
    """Wall-clock limit for one link, retries and redirects included (``--deadline``)."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
    """How much of an HTML page is read for its metadata (``--max-page-bytes``)."""
    max_url_length: int = DEFAULT_MAX_URL_LENGTH
    max_digest_bytes: int = DEFAULT_MAX_DIGEST_BYTES
    max_links: int = DEFAULT_MAX_LINKS


def format_size(size: int) -> str:
    """``8388608`` -> ``"8 MiB"``, ``1536`` -> ``"1.5 KiB"``: sizes as messages show them."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor:
            return f"{size / factor:.4g} {unit}"
    return f"{size} bytes"


def find_config_file(cwd: Path) -> tuple[Path, dict[str, Any]] | None:
    """The settings table from ``enricher.toml`` or ``pyproject.toml``'s ``[tool.enricher]``."""
    for name in ("enricher.toml", "pyproject.toml"):
        path = cwd / name
        if not path.is_file():
            continue
        import tomllib  # 8 ms to import: only for a folder that has a config file

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


FLAG_NAMES: dict[str, Option] = {o.name: o for o in OPTIONS if o.flag or o.key}
"""What ``build_settings`` accepts from the command line: every file key, plus ``refresh``,
``write`` and ``verbosity``, which only a flag can give."""

Given = tuple[str, Option, Any]
"""A value as given for an option, and where it was given (for error messages)."""


def _named(values: Mapping[str, Any], known: Mapping[str, Option], origin: str) -> Iterator[Given]:
    """The options of a config file or of the flags, by key (dashes or underscores)."""
    for key, value in values.items():
        where = f"{origin}: {key}"
        option = known.get(key.replace("_", "-"))
        if option is None:
            raise ConfigError(f"{where}: unknown setting (known: {', '.join(sorted(FILE_KEYS))})")
        yield where, option, value


def _environment(env: Mapping[str, str]) -> Iterator[Given]:
    """The options set in the environment; an empty variable is unset. Messages name the
    setting (``environment: arxiv-delay``), or the variable when no file can set it."""
    for option in OPTIONS:
        if option.env is not None and env.get(option.env):
            where = f"environment: {option.key}" if option.key else option.env
            yield where, option, env[option.env]


def _apply(given: Iterable[Given], defaults: Settings, changes: dict[str, Any]) -> None:
    """Parse each value into ``changes``; a later value for the same setting wins."""
    for where, option, value in given:
        parsed = option.parse(value, where)
        if option.item is None:
            changes[option.setting] = parsed
        else:  # one item of a mapping (ttl-web): the other items keep their values
            items = changes.get(option.setting, getattr(defaults, option.setting))
            changes[option.setting] = {**items, option.item: parsed}


def build_settings(flags: Mapping[str, Any], env: Mapping[str, str], cwd: Path) -> Settings:
    """Merge defaults, config file, environment and flags (flags win).

    ``flags`` holds only options the user actually gave, keyed by file-key spelling
    (``cache-dir``), plus ``refresh``, ``write``, ``verbosity`` which exist only as flags
    (``cli.flags_from`` makes it from the parsed command line).
    """
    defaults = Settings()
    changes: dict[str, Any] = {}
    found = find_config_file(cwd)
    if found is not None:
        path, table = found
        _apply(_named(table, FILE_KEYS, str(path)), defaults, changes)
    _apply(_environment(env), defaults, changes)
    _apply(_named(flags, FLAG_NAMES, "option"), defaults, changes)
    settings = replace(defaults, **changes)
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
