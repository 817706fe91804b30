"""The command line: flags to ``Settings``, a run, a report, an exit code that means something.

``enricher [PATH ...]`` checks once; ``enricher schedule`` (also ``python scheduler.py``) runs
the same work on a schedule; ``enricher status`` shows how the last run went.

Exit codes: 0 passed; 1 links failed the ``--fail-on`` policy; 2 usage or configuration error;
3 the run could not complete (a record or the cache could not be written, another run holds
the lock); 128+N stopped by signal N (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import FORMATS, Settings, build_schedule, build_settings
from .errors import CacheTooNew, ConfigError, InputError, Interrupted, LockError, WriteError
from .files import check_writable_folder, discover_digests, read_text_if_exists, write_report
from .models import RunSummary
from .net.redact import RedactingFilter
from .ops import status_file as run_status
from .ops.lock import process_alive
from .ops.stopping import StopRequest, exit_code_for, handle_signals
from .options import OPTIONS, Option
from .pipeline import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, Progress, run
from .report import FORMATTERS, format_github, format_markdown, format_text, in_workspace

log = logging.getLogger("enricher")

EPILOG = """\
exit codes:
  0  every link passed the --fail-on policy
  1  links failed the --fail-on policy (default: broken,invalid)
  2  usage or configuration error
  3  the run could not complete (a record or the cache could not be written,
     or another run holds the lock: see --lock-timeout)
  130, 143  stopped by Ctrl-C or SIGTERM (a second signal exits at once)

commands:
  enricher schedule [options]   the same work on a schedule (see enricher schedule -h)
  enricher status               how the last run went (from <cache>/status.json)
  enricher history URL          one link's checks, newest first (from the cache)

statuses: ok, redirected, broken, blocked, unreachable, invalid, skipped.
--fail-on takes a comma list of them, 'any' (anything not ok) or 'never'.

{environment}
Settings may also live in [tool.enricher] of ./pyproject.toml or in ./enricher.toml;
flags win over the environment, which wins over the file.
"""


def _environment_line() -> str:
    """The variables of the options table (and their help, for those without a flag, whose
    help is shown nowhere else), wrapped as the rest of the epilog."""
    names = [
        f"{o.env} ({o.help})" if o.flag is None else o.env for o in OPTIONS if o.env is not None
    ]
    line = f"environment: GITHUB_STEP_SUMMARY (with --format github), {', '.join(names)}."
    return textwrap.fill(line, width=80, break_long_words=False, break_on_hyphens=False)


SCHEDULE_EPILOG = """\
Runs the same work as `enricher` on a schedule, one run at a time, until SIGTERM or SIGINT
(then the current run stops at its next safe point and the process exits 0; a second signal
exits at once). Each run takes the run lock in the cache folder; a run that finds it held by
a one-shot run waits --lock-timeout seconds, then is skipped until the next time.

crontab fields: minute hour day-of-month month day-of-week (0 or 7 = Sunday, or sun..sat).
environment: ENRICHER_CRON, ENRICHER_EVERY (flags win), plus those of `enricher -h`.
"""

SCHEDULE_KEYS = ("cron", "every", "run-now", "timezone")
"""Flags of ``enricher schedule`` that are not run settings."""


def build_parser(*, schedule: bool = False) -> argparse.ArgumentParser:
    """The argument parser; options the user did not give are absent from the namespace.

    ``schedule``: the parser of ``enricher schedule``: the same run options (no report
    format: a scheduled run logs one line and updates ``status.json``) plus when to run.
    """
    parser = argparse.ArgumentParser(
        prog="enricher schedule" if schedule else "enricher",
        description="Check every link in AI-news digests and write <digest>.enriched.json "
        "beside each, with arXiv and GitHub metadata" + (", on a schedule." if schedule else "."),
        epilog=SCHEDULE_EPILOG if schedule else EPILOG.format(environment=_environment_line()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    for option in OPTIONS:
        if option.flag is not None and not (schedule and option.one_shot):
            _add_option(parser, option)
    parser.add_argument("--version", action="version", version=f"enricher {__version__}")
    if schedule:
        when = parser.add_argument_group("when to run (default: every 6h, first run at start)")
        when.add_argument("--cron", metavar="EXPR",
                          help="five-field crontab, e.g. '0 */6 * * *' (env ENRICHER_CRON)")  # fmt: skip
        when.add_argument("--every", metavar="DURATION",
                          help="interval: 30s, 15m, 6h, 1d (env ENRICHER_EVERY)")  # fmt: skip
        when.add_argument("--no-run-now", dest="run_now", action="store_false",
                          help="wait for the first scheduled time instead of running at start")  # fmt: skip
        when.add_argument("--timezone", metavar="TZ",
                          help="time zone of --cron, e.g. Europe/Paris (default: UTC)")  # fmt: skip
    return parser


def build_status_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enricher status",
        description="Show how the last run went, whether one is running, and when the "
        "scheduler runs next (from <cache>/status.json). Exit 0 when there is a status to "
        "show, 2 when there is none.",
        argument_default=argparse.SUPPRESS,
    )
    _add_option(parser, next(o for o in OPTIONS if o.flag == "--cache-dir"))
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default) or json (the file as it is)")  # fmt: skip
    return parser


def build_history_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="enricher history",
        description="Show one link's checks, newest first, from the cache's history. Exit 0 "
        "when it has been checked, 2 when it never was (or is not a checkable URL), 3 when the "
        "cache cannot be read.",
        argument_default=argparse.SUPPRESS,
    )
    parser.add_argument("url", metavar="URL", help="the link, as a digest cites it")
    _add_option(parser, next(o for o in OPTIONS if o.flag == "--cache-dir"))
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json")  # fmt: skip
    return parser


def _add_option(parser: argparse.ArgumentParser, option: Option) -> None:
    """One option of the table as argparse wants it."""
    details: dict[str, Any] = {
        "metavar": option.metavar,
        "action": option.action,
        "const": option.const,
        "choices": option.choices,
        "nargs": option.nargs,
        "dest": None if option.is_positional else option.dest,
    }
    parser.add_argument(
        *option.spellings,
        help=option.help,
        **{name: value for name, value in details.items() if value is not None},
    )


def flags_from(namespace: argparse.Namespace) -> dict[str, Any]:
    """The options the user gave, keyed as ``config.build_settings`` takes them: by file key
    (``cache-dir``), else by setting (``refresh``, ``write``, ``verbosity``). Other arguments
    (those of ``enricher schedule``) are kept with their flag spelling (``run-now``)."""
    given = dict(vars(namespace))
    flags: dict[str, Any] = {}
    for option in OPTIONS:  # in table order: -q comes after -v, so quiet wins
        if option.flag is None or option.dest not in given:
            continue
        value = given.pop(option.dest)
        if not (option.is_positional and value == []):  # no PATH: the file's or the default
            flags[option.name] = value
    flags.update({dest.replace("_", "-"): value for dest, value in given.items()})
    return flags


class _CurrentStderr:
    """Whatever ``sys.stderr`` is at the moment of writing: under a live progress bar rich
    redirects it, so log lines print above the bar instead of through it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _configure_logging(
    verbosity: int, live_progress: bool, tokens: tuple[str | None, ...] = ()
) -> None:
    """Plain, timestamped lines on stderr, for cron logs and CI.

    By default one line per digest and one per run; with a live progress bar on the
    terminal those are left out (the bar and the report say the same), and ``-q`` keeps
    errors only. The tokens (GitHub's, Hugging Face's) are blanked out of every line, whoever
    logs them.
    """
    default = logging.WARNING if live_progress else logging.INFO
    level = {-1: logging.ERROR, 0: default, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    for token in tokens:
        if token:
            handler.addFilter(RedactingFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party libraries log every request at INFO; ours summarise them. With -vv their
    # lines are shown too: every request, as sent.
    for noisy in ("arxiv", "httpx", "httpcore", "urllib3"):
        logging.getLogger(noisy).setLevel(level if verbosity >= 2 else max(level, logging.WARNING))


def _wants_progress(settings: Settings, env: Mapping[str, str]) -> bool:
    """A live bar and colours only for a person at a terminal: never in CI, logs, pipes (of
    stdout or stderr), under -q, NO_COLOR or TERM=dumb."""
    return (
        settings.verbosity >= 0
        and sys.stderr.isatty()
        and sys.stdout.isatty()
        and not env.get("CI")
        and not env.get("NO_COLOR")
        and env.get("TERM") != "dumb"
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``).

    ``schedule`` and ``status`` as the first argument pick those commands; a digest folder
    with one of those names can be given as ``./schedule``.
    """
    env = os.environ if env is None else env
    args = list(sys.argv[1:] if argv is None else argv)
    _tolerate_narrow_consoles()
    if args[:1] == ["schedule"]:
        return _schedule(args[1:], env)
    if args[:1] == ["status"]:
        return _status(args[1:], env)
    if args[:1] == ["history"]:
        return _history(args[1:], env)
    return _check(args, env)


def _check(args: list[str], env: Mapping[str, str]) -> int:
    """One run: check, write records, report, exit code."""
    namespace = build_parser().parse_args(args)
    try:
        settings = build_settings(flags_from(namespace), env, Path.cwd())
    except ConfigError as exc:
        print(f"enricher: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for flag, target in (
        ("--output", settings.output),
        ("--json-output", settings.json_output),
        ("--html-output", settings.html_output),
    ):
        problem = check_writable_folder(target) if target is not None else None
        if problem is not None:  # found now, not after every link has been checked
            return _failed(f"configuration error: {flag} {problem}", EXIT_USAGE)
    live = _wants_progress(settings, env)
    _configure_logging(
        settings.verbosity, live_progress=live, tokens=(settings.github_token, settings.hf_token)
    )
    progress: Progress | None = None
    if live:
        from .terminal import RichProgress  # rich is only imported for a person at a terminal

        progress = RichProgress()
    stop = StopRequest()
    restore = handle_signals(stop, "stopping at the next safe point")
    try:
        summary = run(settings, progress=progress, stop=stop)
        if summary.interrupted:
            return exit_code_for(stop.reason)
        _deliver_reports(summary, settings, env, live)
        if stop.requested:  # during the notify command: the work is done, the exit says stop
            return exit_code_for(stop.reason)
    except InputError as exc:
        return _failed(exc, EXIT_USAGE)
    except ConfigError as exc:  # found only when the run starts: --changed-only outside git
        return _failed(f"configuration error: {exc}", EXIT_USAGE)
    except (LockError, WriteError, CacheTooNew) as exc:
        return _failed(exc, EXIT_INCOMPLETE)
    except Interrupted:
        return exit_code_for(stop.reason)
    except Exception:
        # A bug, or an environment we did not foresee: show everything, and exit 3 ("could
        # not complete") rather than Python's 1, which means "links failed" here.
        log.exception("enricher: internal error; please report it with this traceback")
        return EXIT_INCOMPLETE
    finally:
        restore()
    return summary.exit_code


def _deliver_reports(
    summary: RunSummary, settings: Settings, env: Mapping[str, str], live: bool
) -> None:
    """The chosen report on stdout, or in ``--output`` with the text summary on stdout; the
    JSON and HTML reports also in ``--json-output`` and ``--html-output``; for
    ``github`` in Actions, a Markdown summary appended to the job's step summary too. At a
    terminal, a coloured table of the counts comes first."""
    brief = settings.verbosity < 0
    if live and (settings.format == "text" or settings.output is not None):
        from .terminal import print_summary_table

        print_summary_table(summary)
    if settings.format == "text":
        report = format_text(summary, brief=brief)
    elif settings.format == "github":
        workspace = env.get("GITHUB_WORKSPACE") or None
        root = Path(workspace).resolve() if workspace else None
        cwd = Path.cwd()
        report = format_github(summary, lambda path: in_workspace(path, cwd, root))
    else:
        report = FORMATTERS[settings.format](summary)
    if settings.json_output is not None:
        write_report(settings.json_output, FORMATTERS["json"](summary))
    if settings.html_output is not None:
        html = report if settings.format == "html" else FORMATTERS["html"](summary)
        write_report(settings.html_output, html)
    machine = settings.format != "text"
    if settings.output is not None:
        write_report(settings.output, report)
        report, machine = format_text(summary, brief=brief), False
    _write_report(report, machine)
    step_summary = env.get("GITHUB_STEP_SUMMARY")
    if settings.format == "github" and step_summary:
        try:
            with open(step_summary, "a", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(format_markdown(summary))
        except OSError as exc:
            log.warning("GITHUB_STEP_SUMMARY %s: cannot append: %s", step_summary, exc)


def _schedule(args: list[str], env: Mapping[str, str]) -> int:
    """``enricher schedule``: validate everything up front (exit 2), then serve until stopped."""
    from .ops import scheduler as scheduling  # APScheduler is only needed here

    flags = flags_from(build_parser(schedule=True).parse_args(args))
    schedule_flags = {key: flags.pop(key) for key in SCHEDULE_KEYS if key in flags}
    try:
        settings = build_settings(flags, env, Path.cwd())
        schedule = build_schedule(schedule_flags, env)
        scheduling.make_trigger(schedule, scheduling.resolve_timezone(schedule.timezone))
        discover_digests(list(settings.paths), settings.glob)
    except ConfigError as exc:
        return _failed(f"configuration error: {exc}", EXIT_USAGE)
    except InputError as exc:
        return _failed(exc, EXIT_USAGE)
    _configure_logging(
        settings.verbosity, live_progress=False, tokens=(settings.github_token, settings.hf_token)
    )
    if settings.verbosity < 2:
        # APScheduler logs each job start and end; our one line per run says it better. Its
        # "skipped: maximum number of running instances" is replaced by our catch-up line.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    return scheduling.serve(settings, schedule)


def _status(args: list[str], env: Mapping[str, str]) -> int:
    """``enricher status``: print ``<cache>/status.json`` for people, or as it is."""
    namespace = build_status_parser().parse_args(args)
    try:
        settings = _cache_settings(namespace, env)
    except ConfigError as exc:
        return _failed(f"configuration error: {exc}", EXIT_USAGE)
    path = settings.cache_dir / run_status.STATUS_NAME
    text = read_text_if_exists(path)
    doc = run_status.parse(text)
    if doc is None:
        why = "no run has recorded its status there yet" if text is None else "unreadable"
        print(f"enricher: {path}: {why}", file=sys.stderr)
        return EXIT_USAGE
    if namespace.format == "json":
        _write_report(run_status.to_json(doc))
    else:
        _write_report(run_status.format_status(doc, is_alive=process_alive, where=str(path)))
    return EXIT_OK


def _history(args: list[str], env: Mapping[str, str]) -> int:
    """``enricher history URL``: one link's checks from the cache, newest first."""
    from .authorities import classify
    from .cache import CACHE_FILE, SCHEMA_VERSION, Cache
    from .errors import CacheError
    from .history_report import history_json, history_text
    from .models import InvalidTarget

    namespace = build_history_parser().parse_args(args)
    try:
        settings = _cache_settings(namespace, env)
    except ConfigError as exc:
        return _failed(f"configuration error: {exc}", EXIT_USAGE)
    url = namespace.url
    target = classify(url, settings.max_url_length)
    if isinstance(target, InvalidTarget):
        return _failed(f"{url}: not a link enricher checks ({target.reason})", EXIT_USAGE)
    if not (settings.cache_dir / CACHE_FILE).is_file():
        return _failed(f"{url}: never checked (no cache in {settings.cache_dir})", EXIT_USAGE)
    try:
        cache = Cache.open_read_only(settings.cache_dir)
        try:
            if cache.schema_version < SCHEMA_VERSION:
                return _failed(f"{url}: never checked (the cache predates the history; the "
                               "next run starts it)", EXIT_USAGE)  # fmt: skip
            state = cache.get_states([target.key]).get(target.key)
            checks = cache.checks(target.key)
        finally:
            cache.close()
    except CacheError as exc:
        return _failed(exc, EXIT_INCOMPLETE)
    if state is None and not checks:
        return _failed(f"{url}: never checked (no history of {target.key})", EXIT_USAGE)
    render = history_json if namespace.format == "json" else history_text
    _write_report(render(url, target.key, state, checks))
    return EXIT_OK


def _cache_settings(namespace: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    """The settings of a command that only reads the cache (``status``, ``history``): its
    ``--cache-dir``, else the environment's or the config file's."""
    flags = {"cache-dir": namespace.cache_dir} if "cache_dir" in namespace else {}
    return build_settings(flags, env, Path.cwd())


def _failed(error: object, exit_code: int) -> int:
    print(f"enricher: {error}", file=sys.stderr)
    return exit_code


def _write_report(report: str, machine: bool = False) -> None:
    """The report on stdout. A ``machine`` one (JSON, JUnit, HTML, Markdown, GitHub's
    commands) goes out as UTF-8 whatever the console's encoding: escaped for an ASCII
    console (``\\U0001f916``), JSON was no longer JSON. A stdout that cannot be written (a
    full disk, a closed pipe) is an error that names it, not a traceback."""
    if sys.stdout is None:  # started with stdout closed
        raise WriteError("cannot write the report: stdout is closed")
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if machine and buffer is not None:
            sys.stdout.flush()
            buffer.write(report.encode("utf-8"))
            buffer.flush()
        else:
            sys.stdout.write(report)
            sys.stdout.flush()
    except OSError as exc:
        raise WriteError(f"cannot write the report to stdout: {exc.strerror or exc}") from exc


def _tolerate_narrow_consoles() -> None:
    """CJK labels on an ASCII or cp1252 console come out escaped, in the report and in the
    logs, rather than crashing the run after all the work is done."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def entry_point() -> None:
    """Console-script entry: ``enricher``."""
    sys.exit(main())


def scheduler_entry_point() -> None:
    """Console-script entry: ``enricher-scheduler`` (= ``enricher schedule``)."""
    sys.exit(main(["schedule", *sys.argv[1:]]))
