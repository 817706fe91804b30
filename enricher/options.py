"""Every option of a run, declared once: flag, config-file key, environment variable, the
``Settings`` field it sets, the parser of its values, and its help.

Everything else is derived from ``OPTIONS``: ``config.build_settings`` reads config files and
the environment by it, ``cli.build_parser`` makes the flags from it, and the README's option
table is generated from it (``python -m enricher.options --markdown``; a test keeps the two
equal). Adding an option is a ``Settings`` field, one ``Option`` here, and that command.

The names are a contract: people have them in scripts, crontabs, CI files and config files.
Renaming one breaks those silently, so ``tests/test_options.py`` lists them all once more.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .label_match import LabelMatch
from .models import FailOn, Status

FORMATS = ("text", "json", "github", "junit", "markdown", "html")
"""The report formats of ``--format``."""

Parser = Callable[[Any, str], Any]
"""Turns a value as given (flag text, TOML value or environment text) into a setting; the
second argument says where the value came from, and starts every ``ConfigError`` message."""


# Parsers: each takes a value from any source and says what is wrong with it, naming where.


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


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}


def parse_duration(value: Any, name: str) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"6h"``, ``"30d"`` -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _non_negative_float(value, name)
    match = _DURATION.match(str(value))
    if match is None:
        raise ConfigError(f"{name}: expected a duration like 90s, 15m, 6h or 30d, got {value!r}")
    return float(match[1]) * _UNIT_S[match[2]]


def parse_fail_on(value: Any, name: str = "fail-on") -> FailOn:
    """``"broken,invalid"`` (or a list) -> statuses, and ``mismatch`` (a label that does not
    name its link's target); ``never`` -> none; ``any`` -> every status but ok."""
    items = value if isinstance(value, list) else str(value).split(",")
    words = [str(item).strip().lower() for item in items if str(item).strip()]
    if words == ["never"]:
        return frozenset()
    known: dict[str, Status | LabelMatch] = {s.value: s for s in Status}
    known[LabelMatch.MISMATCH.value] = LabelMatch.MISMATCH
    unknown = [w for w in words if w not in known and w != "any"]
    if unknown or not words:
        raise ConfigError(
            f"{name}: unknown status {', '.join(unknown) or '(empty)'}; choose from "
            f"{', '.join(known)}, or 'any' or 'never'"
        )
    chosen = {known[w] for w in words if w != "any"}
    if "any" in words:  # "any,mismatch": every status but ok, and mismatches too
        chosen |= {s for s in Status if s is not Status.OK}
    return frozenset(chosen)


def _url(value: Any, name: str) -> str:
    text = str(value).strip()
    if not _is_web_url(text):
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return text.rstrip("/")


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:  # "https://[x": an unclosed IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(value: Any, name: str) -> str:
    text = str(value).strip()
    if not _EMAIL.fullmatch(text):
        raise ConfigError(f"{name}: expected an e-mail address, got {value!r}")
    return text


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{name}: expected true or false, got {value!r}")


def _negated(value: Any, name: str) -> bool:
    """``no-cache = true`` sets ``use_cache`` to false."""
    return not _bool(value, name)


def _text(value: Any, name: str) -> str:
    return str(value)


def _base_url(value: Any, name: str) -> str:
    """An absolute http(s) URL, kept as written: its trailing ``/`` says it is a folder."""
    text = str(value).strip()
    if not _is_web_url(text):
        raise ConfigError(f"{name}: expected an absolute http(s) URL, got {value!r}")
    return text


def _globs(value: Any, name: str) -> tuple[str, ...]:
    patterns = _str_list(value, name)
    if not patterns or not all(pattern.strip() for pattern in patterns):
        raise ConfigError(f"{name}: expected a file pattern such as *.md, got {value!r}")
    return patterns


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


def _verbosity(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name}: expected a whole number, got {value!r}")
    return value


_TOKEN = re.compile(r"[\x21-\x7e]+")
"""What a token may hold: visible ASCII, which is all an HTTP header value can carry safely."""


def _token(value: Any, name: str) -> str:
    token = str(value).strip()
    if not _TOKEN.fullmatch(token):
        # Never echoed: an HTTP library would quote the bad header, token and all.
        raise ConfigError(
            f"{name}: holds spaces, control or non-ASCII characters; a token has none"
        )
    return token


@dataclass(frozen=True, kw_only=True)
class Option:
    """One setting a person can choose, and every way to choose it."""

    flag: str | None
    """The command-line spelling (``--per-host``), or a positional argument's name
    (``paths``: no dashes); None for settings only a file or the environment can give."""
    short: str | None = None
    """A one-letter alias (``-v``)."""
    key: str | None
    """The config-file key (``per-host``; ``per_host`` is accepted too); None for flags that
    only make sense for one run (``--refresh``, ``--no-write``, ``-v``), and for the token,
    which belongs in no file."""
    env: str | None = None
    """The environment variable that sets it (empty counts as unset)."""
    setting: str
    """The ``Settings`` field it sets."""
    item: str | None = None
    """For a mapping field (``ttl_s``), the item this option sets; the others keep theirs."""
    parse: Parser
    """Checks and converts a value from any source. For a flag-only option argparse's action
    already gives the setting's value (``--no-write``: False) and this only checks it."""
    help: str
    """The ``--help`` line. An option without a flag has none: this describes it in the README
    (Markdown then) and, if it is read from the environment, in ``--help``'s epilog."""
    doc: str | None = None
    """The README's description (Markdown), when it says more than ``help``."""
    metavar: str | None = None
    action: str | None = None
    """argparse's action: ``store_true``, ``store_false``, ``store_const``, ``append``,
    ``count``; None stores the value as given, for ``parse`` to read."""
    const: Any = None
    """The value of a ``store_const`` flag."""
    choices: tuple[str, ...] | None = None
    nargs: str | None = None
    one_shot: bool = False
    """Only for a one-shot run: the report options. ``enricher schedule`` logs a line per run
    and updates ``status.json`` instead, so it has no such flags."""

    @property
    def name(self) -> str:
        """How ``config.build_settings`` receives it from the command line: the file key, else
        the ``Settings`` field (``refresh``, ``write``, ``verbosity``)."""
        return self.key or self.setting

    @property
    def dest(self) -> str:
        """The attribute argparse stores the flag in (``per_host``; ``paths``)."""
        assert self.flag is not None, f"{self.name} has no flag"
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def is_positional(self) -> bool:
        """Given without a flag in front (the digest paths)."""
        return self.flag is not None and not self.flag.startswith("-")

    @property
    def spellings(self) -> tuple[str, ...]:
        """What argparse is given: ``("-v", "--verbose")``, ``("--per-host",)``, ``("paths",)``."""
        if self.flag is None:
            return ()
        return (self.short, self.flag) if self.short else (self.flag,)

    @property
    def usage(self) -> str:
        """How it is written on a command line: ``--per-host N``, ``PATH ...``, ``-v``."""
        if self.is_positional:
            return f"{self.metavar} ..." if self.nargs == "*" else str(self.metavar)
        argument = self.metavar or (self.dest.upper() if self.choices else None)
        spelled = ", ".join(self.spellings)
        return f"{spelled} {argument}" if argument else spelled


# fmt: off
# (a table: ruff format would give every argument its own line.)
OPTIONS: tuple[Option, ...] = (
    # What to check.
    Option(
        flag="paths", key="paths", setting="paths", parse=_str_list, metavar="PATH", nargs="*",
        help="digest files or folders (default: sources)",
        doc="digest files or folders (default `sources`)",
    ),
    Option(
        flag="--glob", key="glob", setting="glob", parse=_globs, metavar="PATTERN",
        action="append",
        help="which files of a folder are digests (repeatable; default: *.txt)",
        doc="which files of a folder are digests (repeatable, a list in a file: "
        "`--glob '*.md' --glob '*.html'`; default `*.txt`; records are never taken)",
    ),
    Option(
        flag="--base-url", key="base-url", setting="base_url", parse=_base_url, metavar="URL",
        help="where the Markdown/HTML digests are published: their relative links are "
        "resolved against it and checked (without it they are skipped)",
        doc="where Markdown and HTML digests are published: relative links resolve against "
        "it, as a browser does, and are checked (without it they are skipped; see "
        "[Markdown and HTML digests](#markdown-and-html-digests))",
    ),
    Option(
        flag="--include-verbatim", key="include-verbatim", setting="include_verbatim",
        parse=_bool, action="store_true",
        help="also check links in code spans and code blocks of Markdown/HTML digests",
        doc="also check links in Markdown code spans and code blocks, and in HTML "
        "`<code>`, `<pre>` and the like (plain text has no code to skip)",
    ),
    Option(
        flag="--changed-only", key="changed-only", setting="changed_since", parse=_text,
        metavar="REF",
        help="check only digests changed since git REF (committed, staged, unstaged or new), "
        "e.g. origin/main in a pull request",
        doc="check only digests changed since git REF (see In CI)",
    ),
    # The cache.
    Option(
        flag="--cache-dir", key="cache-dir", env="ENRICHER_CACHE_DIR", setting="cache_dir",
        parse=_path, metavar="DIR",
        help="cache folder (default: ./cache; env ENRICHER_CACHE_DIR)",
        doc="cache folder (default `./cache`)",
    ),
    Option(
        flag="--no-cache", key="no-cache", setting="use_cache", parse=_negated,
        action="store_true",
        help="run without reading or writing the cache",
        doc="neither read nor write the cache",
    ),
    Option(
        flag="--offline", key="offline", setting="offline", parse=_bool, action="store_true",
        help="never touch the network; links not in the cache are unreachable",
        doc="never touch the network: cached facts (even stale) are used, other links are "
        '`unreachable` with reason "offline"',
    ),
    Option(
        flag="--refresh", key=None, setting="refresh", parse=_bool, action="store_true",
        help="ignore cache freshness and re-check everything",
        doc="ignore freshness and re-check everything (GitHub still revalidates by ETag)",
    ),
    Option(
        flag=None, key="ttl-web", setting="ttl_s", item="web", parse=parse_duration,
        help='how long a fact about a web page is trusted (default 1 day; a duration: `"90s"`, '
        '`"15m"`, `"6h"`, `"30d"`)',
    ),
    Option(
        flag=None, key="ttl-arxiv", setting="ttl_s", item="arxiv", parse=parse_duration,
        help="the same for arXiv papers (default 30 days)",
    ),
    Option(
        flag=None, key="ttl-github", setting="ttl_s", item="github", parse=parse_duration,
        help="the same for GitHub repositories (default 1 day; then revalidated by ETag)",
    ),
    Option(
        flag=None, key="ttl-huggingface", setting="ttl_s", item="huggingface",
        parse=parse_duration, help="the same for Hugging Face repositories (default 1 day)",
    ),
    Option(
        flag=None, key="ttl-doi", setting="ttl_s", item="doi", parse=parse_duration,
        help="the same for DOIs (default 30 days)",
    ),
    Option(
        flag=None, key="ttl-paper-links", setting="ttl_s", item="paper-links",
        parse=parse_duration,
        help="the same for where an arXiv paper's code is, from Hugging Face (default 7 days)",
    ),
    Option(
        flag=None, key="ttl-archive", setting="ttl_s", item="archive", parse=parse_duration,
        help="the same for a dead link's Wayback Machine snapshot (default 7 days)",
    ),
    # What a run does with what it finds.
    Option(
        flag="--no-write", key=None, setting="write", parse=_bool, action="store_false",
        help="check only; write no records",
        doc="check and report, write no records",
    ),
    Option(
        flag="--check-only", key="check-only", setting="metadata", parse=_negated,
        action="store_true",
        help="verdicts only: leave metadata out of records",
        doc="verdicts only: records leave out the `arxiv`/`github` metadata objects",
    ),
    Option(
        flag="--allow-private", key="allow-private", setting="allow_private", parse=_bool,
        action="store_true",
        help="check loopback and private addresses instead of skipping them",
    ),
    Option(
        flag="--exclude", key="exclude", setting="exclude", parse=_regexes, metavar="REGEX",
        action="append",
        help="skip URLs matching REGEX (repeatable)",
        doc="skip URLs matching REGEX (repeatable; a list in a file)",
    ),
    # The network.
    Option(
        flag="--concurrency", key="concurrency", setting="concurrency", parse=_positive_int,
        metavar="N",
        help="requests in flight in all (default: 128)",
        doc="requests in flight in all (default 128, as lychee)",
    ),
    Option(
        flag="--per-host", key="per-host", setting="per_host", parse=_positive_int, metavar="N",
        help="most requests in flight per host; lowered while a host answers 429/503 "
        "(default: 6)",
        doc="most requests in flight per host (default 6, as browsers; a host is opened with 2 "
        "until its first answer served); halved while a host "
        "answers 429/503, which also pauses the "
        "whole host for its `Retry-After` or, naming none, spaces its requests to the rate "
        "it allows; raised again step by step",
    ),
    Option(
        flag="--timeout", key="timeout", setting="timeout_s", parse=_positive_float,
        metavar="SECONDS",
        help="per-request timeout (default: 20)",
        doc="per-request timeout (default 20)",
    ),
    Option(
        flag=None, key="attempts", setting="attempts", parse=_positive_int,
        help="attempts per request for transient failures: timeouts, resets, 408, 429, 5xx "
        "(default 3)",
    ),
    Option(
        flag="--deadline", key="deadline", setting="deadline_s", parse=_positive_float,
        metavar="SECONDS",
        help="wall-clock limit for one link, retries and redirects included (default: 150)",
        doc="wall-clock limit for one link: its attempts, redirect hops and retry waits, not the "
        "time it queues for a busy host (default 150)",
    ),
    # Limits on what is read.
    Option(
        flag="--max-redirects", key="max-redirects", setting="max_redirects",
        parse=_positive_int, metavar="N",
        help="redirect hops followed per link (default: 10)",
        doc="redirect hops followed per link; more is `broken` (default 10)",
    ),
    Option(
        flag="--max-links", key="max-links", setting="max_links", parse=_positive_int,
        metavar="N",
        help="links checked per digest; the rest are reported as a problem (default: 10000)",
        doc="links checked per digest; past it, one problem at the first left out "
        "(default 10000)",
    ),
    Option(
        flag="--max-digest-size", key="max-digest-size", setting="max_digest_bytes",
        parse=parse_size, metavar="SIZE",
        help="larger digest files are not read, e.g. 10M (default: 10M)",
        doc="digests bigger than this are not checked: a problem, the old record kept, exit 3 "
        "(default `10M`; `512k`, `1G`: powers of 1024)",
    ),
    Option(
        flag="--max-url-length", key="max-url-length", setting="max_url_length",
        parse=_positive_int, metavar="N",
        help="longer URLs are invalid (default: 8192 characters)",
        doc="longer URLs are `invalid` (default 8192 characters)",
    ),
    Option(
        flag="--max-response-size", key="max-response-size", setting="max_response_bytes",
        parse=parse_size, metavar="SIZE",
        help="bytes read from one API answer, decompressed (default: 8M)",
        doc="bytes read from one arXiv/GitHub API answer, after decompression (default `8M`)",
    ),
    Option(
        flag="--max-page-bytes", key="max-page-bytes", setting="max_page_bytes",
        parse=parse_size, metavar="SIZE",
        help="bytes of an HTML page read for its metadata, decompressed (default: 1M)",
        doc="bytes of an HTML page read for its title, description and the rest, after "
        "decompression (default `1M`: the head is almost always within it)",
    ),
    # The outcome.
    Option(
        flag="--fail-on", key="fail-on", setting="fail_on", parse=parse_fail_on,
        metavar="STATUSES",
        help="comma list of statuses (and 'mismatch': a label that does not name its link's "
        "page) that fail the run, 'any' or 'never' (default: broken,invalid)",
        doc="statuses that make the run fail: comma list, `any` (anything not ok) or `never` "
        "(default `broken,invalid`); `mismatch` in the list also fails a link whose label "
        "does not name what it leads to (`label_match`)",
    ),
    Option(
        flag="--fail-after", key="fail-after", setting="fail_after", parse=_positive_int,
        metavar="N",
        help="a link fails the run only once it has failed N checks in a row (default: 1)",
        doc="a link fails the run only after N failing checks in a row; one still under N is "
        "reported as failing with its count (default 1; see History and changes)",
    ),
    Option(
        flag="--notify-command", key="notify-command", setting="notify_command", parse=_text,
        metavar="CMD",
        help="after a run in which links changed, run CMD (sh -c) with the JSON report on "
        "its stdin",
        doc="after a run in which a link newly failed or recovered, run CMD with `sh -c`, the "
        "JSON report on its standard input; its failure is logged, never fails the run",
    ),
    Option(
        flag="--notify-timeout", key="notify-timeout", setting="notify_timeout_s",
        parse=_positive_float, metavar="SECONDS",
        help="stop the notify command after this long (default: 60)",
        doc="the notify command is stopped (its whole process group) after this long "
        "(default 60)",
    ),
    Option(
        flag="--lock-timeout", key="lock-timeout", env="ENRICHER_LOCK_TIMEOUT",
        setting="lock_timeout_s", parse=_non_negative_float, metavar="SECONDS",
        help="wait this long for another run to release the cache (default: 0, exit 3 at once)",
        doc="wait this long for another run to release the cache folder (default 0: exit 3 at "
        "once)",
    ),
    Option(
        flag="--format", key="format", setting="format", parse=_format, choices=FORMATS,
        one_shot=True,
        help="report: text (default), json, github (annotations; with GITHUB_STEP_SUMMARY "
        "set, a Markdown summary is appended there), junit, markdown or html (one "
        "self-contained page)",
        doc="the report: `text` (default), `json`, `github`, `junit`, `markdown`, `html` (see "
        "Reports)",
    ),
    Option(
        flag="--output", key="output", setting="output", parse=_path, metavar="FILE",
        one_shot=True,
        help="write the --format report to FILE; the terminal gets the text summary",
        doc="write the report to FILE (checked before any work; exit 2 if its folder is "
        "missing); the terminal gets the text summary",
    ),
    Option(
        flag="--json-output", key="json-output", setting="json_output", parse=_path,
        metavar="FILE", one_shot=True,
        help="also write the JSON report to FILE, whatever --format is "
        "(e.g. annotations on stdout and a JSON artifact from one run)",
        doc="also write the JSON report to FILE, whatever `--format` is",
    ),
    Option(
        flag="--html-output", key="html-output", setting="html_output", parse=_path,
        metavar="FILE", one_shot=True,
        help="also write the HTML report to FILE, whatever --format is (e.g. annotations on "
        "stdout and a page to read as a CI artifact)",
        doc="also write the HTML report (one self-contained page) to FILE, whatever `--format` "
        "is",
    ),
    # The APIs.
    Option(
        flag="--arxiv-api-url", key="arxiv-api-url", env="ENRICHER_ARXIV_API_URL",
        setting="arxiv_api_url", parse=_url, metavar="URL",
        help="arXiv API endpoint (env ENRICHER_ARXIV_API_URL)",
        doc="arXiv API endpoint (default `https://export.arxiv.org/api/query`)",
    ),
    Option(
        flag="--github-api-url", key="github-api-url", env="ENRICHER_GITHUB_API_URL",
        setting="github_api_url", parse=_url, metavar="URL",
        help="GitHub API endpoint (env ENRICHER_GITHUB_API_URL)",
        doc="GitHub API endpoint (default `https://api.github.com`)",
    ),
    Option(
        flag="--hf-api-url", key="hf-api-url", env="ENRICHER_HF_API_URL",
        setting="hf_api_url", parse=_url, metavar="URL",
        help="Hugging Face Hub API endpoint (env ENRICHER_HF_API_URL)",
        doc="Hugging Face Hub endpoint (default `https://huggingface.co`)",
    ),
    Option(
        flag="--crossref-api-url", key="crossref-api-url", env="ENRICHER_CROSSREF_API_URL",
        setting="crossref_api_url", parse=_url, metavar="URL",
        help="Crossref API endpoint (env ENRICHER_CROSSREF_API_URL)",
        doc="Crossref REST API endpoint (default `https://api.crossref.org`)",
    ),
    Option(
        flag="--datacite-api-url", key="datacite-api-url", env="ENRICHER_DATACITE_API_URL",
        setting="datacite_api_url", parse=_url, metavar="URL",
        help="DataCite API endpoint (env ENRICHER_DATACITE_API_URL)",
        doc="DataCite REST API endpoint, asked about DOIs Crossref does not know (default "
        "`https://api.datacite.org`)",
    ),
    Option(
        flag="--mailto", key="mailto", env="ENRICHER_MAILTO", setting="mailto", parse=_email,
        metavar="ADDRESS",
        help="contact address sent to Crossref, for its polite pool (env ENRICHER_MAILTO)",
        doc="a contact address sent to Crossref (`mailto=`): its polite pool allows 10 "
        "requests/s and 3 at a time instead of 5 and 1",
    ),
    Option(
        flag="--wayback-url", key="wayback-url", env="ENRICHER_WAYBACK_URL",
        setting="wayback_url", parse=_url, metavar="URL",
        help="Wayback Machine endpoint (env ENRICHER_WAYBACK_URL)",
        doc="Wayback Machine endpoint (default `https://web.archive.org`)",
    ),
    Option(
        flag="--no-paper-links", key="paper-links", setting="paper_links", parse=_bool,
        action="store_false",
        help="do not ask Hugging Face where each arXiv paper's code is",
        doc="do not ask Hugging Face's papers API where each arXiv paper's code and project "
        "page are (`paper-links = false`)",
    ),
    Option(
        flag="--no-archive", key="archive", setting="archive", parse=_bool,
        action="store_false",
        help="do not look up Wayback Machine snapshots for dead links",
        doc="do not look up a Wayback Machine snapshot for broken links (`archive = false`)",
    ),
    Option(
        flag="--arxiv-delay", key="arxiv-delay", env="ENRICHER_ARXIV_DELAY",
        setting="arxiv_delay_s", parse=_non_negative_float, metavar="SECONDS",
        help="seconds between arXiv API requests (default: 3, the API's terms)",
        doc="seconds between arXiv API requests (default 3, the API's terms)",
    ),
    # A secret: from the environment only, so it is not in shell history or a committed file.
    Option(
        flag=None, key=None, env="GITHUB_TOKEN", setting="github_token", parse=_token,
        help="sent to the GitHub API only",
        doc="raises the GitHub quota from 60 to 5,000 requests an hour; sent to the GitHub API "
        "host only, never printed",
    ),
    Option(
        flag=None, key=None, env="HF_TOKEN", setting="hf_token", parse=_token,
        help="sent to the Hugging Face API only",
        doc="a Hugging Face access token (gated and private repositories, higher limits); "
        "sent to the Hugging Face API host only, never printed",
    ),
    # What is said. -q comes after -v: given both, quiet wins.
    Option(
        flag="--verbose", short="-v", key=None, setting="verbosity", parse=_verbosity,
        action="count",
        help="more log lines (-vv for debug)",
        doc="log lines even beside the progress bar; `-vv`: debug lines too",
    ),
    Option(
        flag="--quiet", short="-q", key=None, setting="verbosity", parse=_verbosity,
        action="store_const", const=-1,
        help="only the report and errors",
        doc="no log lines, and a report without its opening line",
    ),
)
"""Every option, in the order ``--help`` and the README show them."""
# fmt: on

FILE_KEYS: dict[str, Option] = {o.key: o for o in OPTIONS if o.key is not None}
"""The options a config file may set, by key."""


def markdown_table(options: Sequence[Option] = OPTIONS) -> str:
    """The README's option table: one row per option, its flag, file key, variable, meaning."""

    def code(text: str | None) -> str:
        return f"`{text}`" if text else ""

    rows = ["| option | config key | environment | meaning |", "|---|---|---|---|"]
    for option in options:
        meaning = option.doc or option.help
        if option.one_shot:
            meaning += "; not in `enricher schedule`"
        usage = code(option.usage) if option.flag else ""
        rows.append(f"| {usage} | {code(option.key)} | {code(option.env)} | {meaning} |")
    return "\n".join(rows) + "\n"


def main(argv: Sequence[str]) -> int:
    """``python -m enricher.options --markdown``: print the README's option table."""
    if list(argv) != ["--markdown"]:
        print("usage: python -m enricher.options --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
