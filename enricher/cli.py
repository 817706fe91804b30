"""The command line: flags to ``Settings``, a run, a report, an exit code that means something.

Exit codes: 0 passed; 1 links failed the ``--fail-on`` policy; 2 usage or configuration error;
3 the run could not complete (a record or the cache could not be written).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import FORMATS, Settings, build_settings
from .errors import ConfigError, InputError
from .pipeline import EXIT_INCOMPLETE, EXIT_USAGE, Progress, run
from .report import FORMATTERS, format_text

log = logging.getLogger("enricher")

EPILOG = """\
exit codes:
  0  every link passed the --fail-on policy
  1  links failed the --fail-on policy (default: broken,invalid)
  2  usage or configuration error
  3  the run could not complete (a record or the cache could not be written)

statuses: ok, redirected, broken, blocked, unreachable, invalid, skipped.
--fail-on takes a comma list of them, 'any' (anything not ok) or 'never'.

environment: ENRICHER_CACHE_DIR, ENRICHER_ARXIV_API_URL, ENRICHER_GITHUB_API_URL,
ENRICHER_ARXIV_DELAY, GITHUB_TOKEN (sent to the GitHub API only).
Settings may also live in [tool.enricher] of ./pyproject.toml or in ./enricher.toml;
flags win over the environment, which wins over the file.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; options the user did not give are absent from the namespace."""
    parser = argparse.ArgumentParser(
        prog="enricher",
        description="Check every link in AI-news digests and write <digest>.enriched.json "
        "beside each, with arXiv and GitHub metadata.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    add = parser.add_argument
    add("paths", nargs="*", metavar="PATH", help="digest files or folders (default: sources)")
    add("--glob", metavar="PATTERN", help="which files of a folder are digests (default: *.txt)")
    add(
        "--cache-dir", metavar="DIR", help="cache folder (default: ./cache; env ENRICHER_CACHE_DIR)"
    )
    add("--no-cache", action="store_true", help="run without reading or writing the cache")
    add("--offline", action="store_true",
        help="never touch the network; links not in the cache are unreachable")  # fmt: skip
    add("--refresh", action="store_true", help="ignore cache freshness and re-check everything")
    add("--no-write", dest="write", action="store_false", help="check only; write no records")
    add("--check-only", action="store_true", help="verdicts only: leave metadata out of records")
    add("--allow-private", action="store_true",
        help="check loopback and private addresses instead of skipping them")  # fmt: skip
    add("--exclude", metavar="REGEX", action="append",
        help="skip URLs matching REGEX (repeatable)")  # fmt: skip
    add("--concurrency", metavar="N", help="requests in flight in all (default: 16)")
    add("--per-host", metavar="N", help="requests in flight per host (default: 2)")
    add("--timeout", metavar="SECONDS", help="per-request timeout (default: 20)")
    add("--fail-on", metavar="STATUSES",
        help="comma list of statuses that fail the run, 'any' or 'never' (default: broken,invalid)")  # fmt: skip
    add("--format", choices=FORMATS, help="report on stdout: text (default) or json")
    add("--arxiv-api-url", metavar="URL", help="arXiv API endpoint (env ENRICHER_ARXIV_API_URL)")
    add("--github-api-url", metavar="URL", help="GitHub API endpoint (env ENRICHER_GITHUB_API_URL)")
    add("--arxiv-delay", metavar="SECONDS",
        help="seconds between arXiv API requests (default: 3, the API's terms)")  # fmt: skip
    add("-v", "--verbose", dest="verbose", action="count", help="more log lines (-vv for debug)")
    add("-q", "--quiet", dest="quiet", action="store_true", help="only the report and errors")
    add("--version", action="version", version=f"enricher {__version__}")
    return parser


def flags_from(namespace: argparse.Namespace) -> dict[str, Any]:
    """The options the user gave, keyed as in the config file (``cache-dir``)."""
    given = dict(vars(namespace))
    flags: dict[str, Any] = {}
    if given.pop("quiet", False):
        flags["verbosity"] = -1
    elif "verbose" in given:
        flags["verbosity"] = given.pop("verbose")
    given.pop("verbose", None)
    if given.get("paths"):
        flags["paths"] = list(given.pop("paths"))
    given.pop("paths", None)
    for switch in ("no_cache", "offline", "check_only", "allow_private"):
        if switch in given and given[switch] is True:
            flags[switch.replace("_", "-")] = True
        given.pop(switch, None)
    for key, value in given.items():
        flags[key if key in ("refresh", "write") else key.replace("_", "-")] = value
    return flags


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at the moment of writing: under a live progress bar rich
    redirects it, so log lines print above the bar instead of through it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _configure_logging(verbosity: int, live_progress: bool) -> None:
    """Plain, timestamped lines on stderr, for cron logs and CI.

    By default one line per digest and one per run; with a live progress bar on the
    terminal those are left out (the bar and the report say the same), and ``-q`` keeps
    errors only.
    """
    default = logging.WARNING if live_progress else logging.INFO
    level = {-1: logging.ERROR, 0: default, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party libraries log every request at INFO; ours summarise them. With -vv their
    # lines are shown too: every request, as sent.
    for noisy in ("arxiv", "httpx", "httpcore", "urllib3"):
        logging.getLogger(noisy).setLevel(level if verbosity >= 2 else max(level, logging.WARNING))


def _wants_progress(settings: Settings, env: Mapping[str, str]) -> bool:
    """A live bar only for a person at a terminal: never in CI, logs, pipes or under -q."""
    return (
        settings.verbosity >= 0
        and sys.stderr.isatty()
        and not env.get("CI")
        and not env.get("NO_COLOR")
        and env.get("TERM") != "dumb"
    )


class RichProgress:
    """A transient rich progress bar on stderr: links done / total and the current host."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[host]}"),
            console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self._task = self._progress.add_task("links", total=0, host="")

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)
        self._progress.start()

    def advance(self, label: str) -> None:
        self._progress.update(self._task, advance=1, host=label)

    def stop(self) -> None:
        self._progress.stop()


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    env = os.environ if env is None else env
    _tolerate_narrow_consoles()
    parser = build_parser()
    namespace = parser.parse_args(argv)
    try:
        settings = build_settings(flags_from(namespace), env, Path.cwd())
    except ConfigError as exc:
        print(f"enricher: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    live = _wants_progress(settings, env)
    _configure_logging(settings.verbosity, live_progress=live)
    progress: Progress | None = RichProgress() if live else None
    try:
        summary = run(settings, progress=progress)
        if settings.format == "text":
            report = format_text(summary, brief=settings.verbosity < 0)
        else:
            report = FORMATTERS[settings.format](summary)
        _write_report(report)
    except InputError as exc:
        print(f"enricher: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:
        # A bug, or an environment we did not foresee: show everything, and exit 3 ("could
        # not complete") rather than Python's 1, which means "links failed" here.
        log.exception("enricher: internal error; please report it with this traceback")
        return EXIT_INCOMPLETE
    return summary.exit_code


def _write_report(report: str) -> None:
    sys.stdout.write(report)
    sys.stdout.flush()


def _tolerate_narrow_consoles() -> None:
    """CJK labels on an ASCII or cp1252 console come out escaped, in the report and in the
    logs, rather than crashing the run after all the work is done."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def entry_point() -> None:
    """Console-script entry: ``enricher``."""
    sys.exit(main())
