"""The option table: the names users depend on, each option reaching its setting from every
source it has, in the documented precedence, and the README's table generated from it."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from enricher.cli import build_parser, flags_from
from enricher.config import Settings, build_settings
from enricher.errors import ConfigError
from enricher.models import Status
from enricher.options import OPTIONS, Option, main, markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_START = "<!-- options table:"
TABLE_END = "<!-- end of options table -->"


def ident(option: Option) -> str:
    """How a test names an option: its flag, else its file key, else its variable."""
    return option.flag or option.key or str(option.env)


NAMES = [
    # flag (short), config key, environment variable. These are in scripts, crontabs, CI files
    # and config files: renaming one breaks them, so changing this list is a decision.
    ("paths", None, "paths", None),
    ("--glob", None, "glob", None),
    ("--base-url", None, "base-url", None),
    ("--include-verbatim", None, "include-verbatim", None),
    ("--changed-only", None, "changed-only", None),
    ("--cache-dir", None, "cache-dir", "ENRICHER_CACHE_DIR"),
    ("--no-cache", None, "no-cache", None),
    ("--offline", None, "offline", None),
    ("--refresh", None, None, None),
    (None, None, "ttl-web", None),
    (None, None, "ttl-arxiv", None),
    (None, None, "ttl-github", None),
    (None, None, "ttl-huggingface", None),
    (None, None, "ttl-doi", None),
    (None, None, "ttl-paper-links", None),
    (None, None, "ttl-archive", None),
    ("--no-write", None, None, None),
    ("--check-only", None, "check-only", None),
    ("--allow-private", None, "allow-private", None),
    ("--exclude", None, "exclude", None),
    ("--concurrency", None, "concurrency", None),
    ("--per-host", None, "per-host", None),
    ("--timeout", None, "timeout", None),
    (None, None, "attempts", None),
    ("--deadline", None, "deadline", None),
    ("--max-redirects", None, "max-redirects", None),
    ("--max-links", None, "max-links", None),
    ("--max-digest-size", None, "max-digest-size", None),
    ("--max-url-length", None, "max-url-length", None),
    ("--max-response-size", None, "max-response-size", None),
    ("--max-page-bytes", None, "max-page-bytes", None),
    ("--fail-on", None, "fail-on", None),
    ("--fail-after", None, "fail-after", None),
    ("--notify-command", None, "notify-command", None),
    ("--notify-timeout", None, "notify-timeout", None),
    ("--lock-timeout", None, "lock-timeout", "ENRICHER_LOCK_TIMEOUT"),
    ("--format", None, "format", None),
    ("--output", None, "output", None),
    ("--json-output", None, "json-output", None),
    ("--html-output", None, "html-output", None),
    ("--arxiv-api-url", None, "arxiv-api-url", "ENRICHER_ARXIV_API_URL"),
    ("--github-api-url", None, "github-api-url", "ENRICHER_GITHUB_API_URL"),
    ("--hf-api-url", None, "hf-api-url", "ENRICHER_HF_API_URL"),
    ("--crossref-api-url", None, "crossref-api-url", "ENRICHER_CROSSREF_API_URL"),
    ("--datacite-api-url", None, "datacite-api-url", "ENRICHER_DATACITE_API_URL"),
    ("--mailto", None, "mailto", "ENRICHER_MAILTO"),
    ("--wayback-url", None, "wayback-url", "ENRICHER_WAYBACK_URL"),
    ("--no-paper-links", None, "paper-links", None),
    ("--no-archive", None, "archive", None),
    ("--arxiv-delay", None, "arxiv-delay", "ENRICHER_ARXIV_DELAY"),
    (None, None, None, "GITHUB_TOKEN"),
    (None, None, None, "HF_TOKEN"),
    ("--verbose", "-v", None, None),
    ("--quiet", "-q", None, None),
]


def test_the_names_users_depend_on_are_unchanged() -> None:
    """Every flag, config key and environment variable is still spelled as people wrote it."""
    declared = [(o.flag, o.short, o.key, o.env) for o in OPTIONS]
    assert declared == NAMES


def test_no_name_is_declared_twice() -> None:
    """One flag, key or variable means one option."""
    for names in (
        [s for o in OPTIONS for s in o.spellings],
        [o.key for o in OPTIONS if o.key],
        [o.env for o in OPTIONS if o.env],
    ):
        assert len(names) == len(set(names)), names


def test_every_option_sets_a_settings_field() -> None:
    """Each option names a real field (and a real item of a mapping field)."""
    defaults = Settings()
    known = {f.name for f in fields(Settings)}
    for option in OPTIONS:
        assert option.setting in known, ident(option)
        if option.item is not None:
            assert option.item in getattr(defaults, option.setting), ident(option)


def test_options_sharing_a_name_share_the_setting_and_its_parser() -> None:
    """-v and -q both give ``verbosity``: build_settings reads either the same way."""
    by_name: dict[str, Option] = {}
    for option in OPTIONS:
        first = by_name.setdefault(option.name, option)
        assert (first.setting, first.item, first.parse) == (
            option.setting, option.item, option.parse,
        ), option.name  # fmt: skip


def test_every_option_can_be_given() -> None:
    """An option is reachable somehow: a flag, a config key or a variable."""
    assert all(o.flag or o.key or o.env for o in OPTIONS)


Source = tuple[Any, Any]
"""A value as given (argv for a flag, a TOML value for a file, text for a variable) and the
setting it must produce. Each source's value differs, so the winner can be told apart."""

SAMPLES: dict[str, dict[str, Source]] = {
    "paths": {"flag": (["a", "b"], ("a", "b")), "file": (["f"], ("f",))},
    "--glob": {"flag": (["--glob", "*.md", "--glob", "*.html"], ("*.md", "*.html")),
               "file": (["*.rst", "*.adoc"], ("*.rst", "*.adoc"))},
    "--base-url": {"flag": (["--base-url", "https://a.example/news/"], "https://a.example/news/"),
                   "file": ("https://b.example/", "https://b.example/")},
    "--include-verbatim": {"flag": (["--include-verbatim"], True), "file": (True, True)},
    "--changed-only": {"flag": (["--changed-only", "HEAD"], "HEAD"),
                       "file": ("main", "main")},
    "--cache-dir": {"flag": (["--cache-dir", "c1"], Path("c1")), "file": ("c2", Path("c2")),
                    "env": ("c3", Path("c3"))},
    "--no-cache": {"flag": (["--no-cache"], False), "file": (False, True)},
    "--offline": {"flag": (["--offline"], True), "file": (False, False)},
    "--refresh": {"flag": (["--refresh"], True)},
    "ttl-web": {"file": ("6h", 6 * 3600.0)},
    "ttl-arxiv": {"file": ("2d", 2 * 86_400.0)},
    "ttl-github": {"file": (90, 90.0)},
    "ttl-huggingface": {"file": ("2h", 7200.0)},
    "ttl-doi": {"file": ("60d", 60 * 86_400.0)},
    "ttl-paper-links": {"file": ("1d", 86_400.0)},
    "ttl-archive": {"file": ("3d", 3 * 86_400.0)},
    "--no-write": {"flag": (["--no-write"], False)},
    "--check-only": {"flag": (["--check-only"], False), "file": (False, True)},
    "--allow-private": {"flag": (["--allow-private"], True), "file": (False, False)},
    "--exclude": {"flag": (["--exclude", "a", "--exclude", "b"], ("a", "b")),
                  "file": ("c", ("c",))},
    "--concurrency": {"flag": (["--concurrency", "3"], 3), "file": (4, 4)},
    "--per-host": {"flag": (["--per-host", "2"], 2), "file": (5, 5)},
    "--timeout": {"flag": (["--timeout", "1.5"], 1.5), "file": (7, 7.0)},
    "attempts": {"file": (5, 5)},
    "--deadline": {"flag": (["--deadline", "9"], 9.0), "file": (8.5, 8.5)},
    "--max-redirects": {"flag": (["--max-redirects", "2"], 2), "file": (4, 4)},
    "--max-links": {"flag": (["--max-links", "5"], 5), "file": (6, 6)},
    "--max-digest-size": {"flag": (["--max-digest-size", "1k"], 1024), "file": ("2M", 2 << 20)},
    "--max-url-length": {"flag": (["--max-url-length", "99"], 99), "file": (98, 98)},
    "--max-response-size": {"flag": (["--max-response-size", "3k"], 3072),
                            "file": (100, 100)},
    "--max-page-bytes": {"flag": (["--max-page-bytes", "64k"], 65536), "file": (1000, 1000)},
    "--fail-on": {"flag": (["--fail-on", "any"], frozenset(Status) - {Status.OK}),
                  "file": (["broken"], frozenset({Status.BROKEN}))},
    "--fail-after": {"flag": (["--fail-after", "3"], 3), "file": (2, 2)},
    "--notify-command": {"flag": (["--notify-command", "mail -s x ed"], "mail -s x ed"),
                         "file": ("cat >> /tmp/n", "cat >> /tmp/n")},
    "--notify-timeout": {"flag": (["--notify-timeout", "5"], 5.0), "file": (7, 7.0)},
    "--lock-timeout": {"flag": (["--lock-timeout", "2"], 2.0), "file": (3, 3.0),
                       "env": ("4", 4.0)},
    "--format": {"flag": (["--format", "junit"], "junit"), "file": ("json", "json")},
    "--output": {"flag": (["--output", "o1"], Path("o1")), "file": ("o2", Path("o2"))},
    "--json-output": {"flag": (["--json-output", "j1"], Path("j1")),
                      "file": ("j2", Path("j2"))},
    "--html-output": {"flag": (["--html-output", "h1"], Path("h1")),
                      "file": ("h2", Path("h2"))},
    "--arxiv-api-url": {"flag": (["--arxiv-api-url", "http://a1/"], "http://a1"),
                        "file": ("http://a2", "http://a2"), "env": ("http://a3", "http://a3")},
    "--github-api-url": {"flag": (["--github-api-url", "http://g1"], "http://g1"),
                         "file": ("http://g2", "http://g2"), "env": ("https://g3", "https://g3")},
    "--hf-api-url": {"flag": (["--hf-api-url", "http://h1"], "http://h1"),
                     "file": ("http://h2", "http://h2"), "env": ("http://h3/", "http://h3")},
    "--crossref-api-url": {"flag": (["--crossref-api-url", "http://c1"], "http://c1"),
                           "file": ("http://c2", "http://c2"), "env": ("http://c3", "http://c3")},
    "--datacite-api-url": {"flag": (["--datacite-api-url", "http://d1"], "http://d1"),
                           "file": ("http://d2", "http://d2"), "env": ("http://d3", "http://d3")},
    "--mailto": {"flag": (["--mailto", "ed@example.org"], "ed@example.org"),
                 "file": ("a@example.org", "a@example.org"), "env": (" b@example.org ", "b@example.org")},
    "--wayback-url": {"flag": (["--wayback-url", "http://w1"], "http://w1"),
                      "file": ("http://w2", "http://w2"), "env": ("http://w3", "http://w3")},
    "--no-paper-links": {"flag": (["--no-paper-links"], False), "file": (True, True)},
    "--no-archive": {"flag": (["--no-archive"], False), "file": (True, True)},
    "--arxiv-delay": {"flag": (["--arxiv-delay", "0"], 0.0), "file": (1, 1.0),
                      "env": ("0.5", 0.5)},
    "GITHUB_TOKEN": {"env": (" ghp_abc\n", "ghp_abc")},
    "HF_TOKEN": {"env": ("hf_abc", "hf_abc")},
    "--verbose": {"flag": (["-vv"], 2)},
    "--quiet": {"flag": (["-q"], -1)},
}  # fmt: skip
"""Two or three values per option, one per source it has."""

PRECEDENCE = ("flag", "env", "file")
"""Highest first: flags win over the environment, which wins over the config file."""


def test_every_option_has_samples_for_exactly_its_sources() -> None:
    """A new option needs samples here, one per way it can be given."""
    assert set(SAMPLES) == {ident(o) for o in OPTIONS}
    for option in OPTIONS:
        sources = {"flag"} if option.flag else set()
        sources |= {"file"} if option.key else set()
        sources |= {"env"} if option.env else set()
        assert set(SAMPLES[ident(option)]) == sources, ident(option)


def settle(option: Option, given: dict[str, Source], cwd: Path) -> Any:
    """The setting the option ends up with when given from these sources, as a user gives it:
    flags through the real parser, a file on disk, variables in the environment."""
    argv: list[str] = []
    env: dict[str, str] = {}
    (cwd / "enricher.toml").unlink(missing_ok=True)
    if "flag" in given:
        argv = given["flag"][0]
    if "file" in given:
        (cwd / "enricher.toml").write_text(f"{option.key} = {json.dumps(given['file'][0])}\n")
    if "env" in given:
        env = {str(option.env): given["env"][0]}
    return value_of(build_settings(flags_from(build_parser().parse_args(argv)), env, cwd), option)


def value_of(settings: Settings, option: Option) -> Any:
    value = getattr(settings, option.setting)
    return value if option.item is None else value[option.item]


@pytest.mark.parametrize("option", OPTIONS, ids=ident)
def test_each_source_reaches_the_setting_and_the_highest_wins(
    option: Option, tmp_path: Path
) -> None:
    """Alone, each source sets the field; together, flag > environment > file; none, default."""
    samples = SAMPLES[ident(option)]
    assert settle(option, {}, tmp_path) == value_of(Settings(), option)
    for source, (_, expected) in samples.items():
        assert settle(option, {source: samples[source]}, tmp_path) == expected, source
    ranked = [source for source in PRECEDENCE if source in samples]
    while ranked:
        together = {source: samples[source] for source in ranked}
        assert settle(option, together, tmp_path) == samples[ranked[0]][1], ranked
        ranked.pop(0)


def test_quiet_wins_over_verbose(tmp_path: Path) -> None:
    """-q with -v, in either order, is quiet."""
    for argv in (["-v", "-q"], ["-q", "-vv"]):
        flags = flags_from(build_parser().parse_args(argv))
        assert build_settings(flags, {}, tmp_path).verbosity == -1, argv


def test_no_paths_given_leaves_the_config_file_paths(tmp_path: Path) -> None:
    """Giving no PATH is not an empty list of paths: the file's (or default) paths apply."""
    assert "paths" not in flags_from(build_parser().parse_args([]))
    (tmp_path / "enricher.toml").write_text('paths = ["news"]\n')
    assert build_settings(flags_from(build_parser().parse_args([])), {}, tmp_path).paths == (
        "news",
    )


def test_flag_only_options_are_unknown_in_a_config_file(tmp_path: Path) -> None:
    """``refresh = true`` in a file is a typo-like error, not silently a setting."""
    path = tmp_path / "enricher.toml"
    for key in ("refresh", "write", "verbosity", "no-write", "github-token"):
        path.write_text(f"{key} = true\n")
        with pytest.raises(ConfigError, match=f"{key}: unknown setting"):
            build_settings({}, {}, tmp_path)


def test_schedule_has_every_option_but_the_report_ones() -> None:
    """``enricher schedule`` logs instead of reporting: no --format, --output, --json-output,
    --html-output."""
    one_shot = {o.flag for o in OPTIONS if o.one_shot}
    assert one_shot == {"--format", "--output", "--json-output", "--html-output"}
    for option in OPTIONS:
        if option.flag is None:
            continue
        argv = SAMPLES[ident(option)]["flag"][0]
        if option.one_shot:
            with pytest.raises(SystemExit):
                build_parser(schedule=True).parse_args(argv)
        else:
            assert option.name in flags_from(build_parser(schedule=True).parse_args(argv))


def test_schedule_flags_pass_through_flags_from() -> None:
    """The scheduler's own flags come out under their flag spelling, beside the run options."""
    argv = ["--every", "1h", "--no-run-now", "--timezone", "UTC", "--per-host", "2"]
    flags = flags_from(build_parser(schedule=True).parse_args(argv))
    assert flags == {"every": "1h", "run-now": False, "timezone": "UTC", "per-host": "2"}


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def test_help_lists_every_flag_and_variable() -> None:
    """``enricher -h`` shows each flag and each variable; ``schedule -h`` all but report flags."""
    shown = build_parser().format_help()
    scheduled = build_parser(schedule=True).format_help()
    for option in OPTIONS:
        for spelling in option.spellings if not option.is_positional else ():
            assert mentions(shown, spelling), spelling
            assert mentions(scheduled, spelling) != option.one_shot, spelling
        if option.env:
            assert mentions(shown, option.env), option.env
    assert "PATH ..." in shown and "PATH ..." in scheduled


@pytest.mark.parametrize("option", [o for o in OPTIONS if "(default: " in o.help], ids=ident)
def test_defaults_in_help_are_the_real_defaults(option: Option) -> None:
    """``(default: 128)`` in --help is what a run uses when not told otherwise."""
    match = re.search(r"\(default: ([^;)]+)", option.help)
    assert match is not None
    stated = re.split(r",? ", match[1])[0]  # "3, the API's terms" -> "3"; "broken,invalid"
    assert option.parse(stated, "help") == getattr(Settings(), option.setting)


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert text.count(TABLE_START) == 1 and text.count(TABLE_END) == 1, (
        f"README.md should hold one option table, between {TABLE_START!r} and {TABLE_END!r}"
    )
    block = text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    return block.split("-->", 1)[1].strip() + "\n"


def test_readme_option_table_is_generated_from_the_options() -> None:
    """README.md's option table is exactly what enricher/options.py declares: no option left
    out, none that does not exist, no name or meaning drifted. To fix: run
    ``python -m enricher.options --markdown`` and paste its output between the markers."""
    assert readme_table() == markdown_table(), (
        "README.md's option table differs from enricher/options.py: run "
        "`python -m enricher.options --markdown` and paste it between the markers"
    )


def test_markdown_table_has_a_row_per_option() -> None:
    """One row per option, naming its flag, key and variable."""
    rows = markdown_table().splitlines()[2:]
    assert len(rows) == len(OPTIONS)
    for row, option in zip(rows, OPTIONS, strict=True):
        cells = [cell.strip().strip("`") for cell in row.strip("|").split("|")]
        assert cells[:3] == [option.usage if option.flag else "", option.key or "",
                             option.env or ""], row  # fmt: skip


def test_markdown_command(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m enricher.options --markdown`` prints the table; anything else is usage."""
    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == markdown_table()
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
