"""Settings: defaults, config files, environment and flags, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from enricher.config import (
    DEFAULT_ARXIV_API_URL,
    DEFAULT_CONCURRENCY,
    DEFAULT_GITHUB_API_URL,
    build_settings,
    parse_duration,
    parse_fail_on,
)
from enricher.errors import ConfigError
from enricher.models import LabelMatch, Status

HOUR = 3600.0
DAY = 86_400.0


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    """With no file, environment or flags, a run checks ``sources`` against the real services."""
    settings = build_settings({}, {}, tmp_path)
    assert settings.paths == ("sources",)
    assert settings.fail_on == frozenset({Status.BROKEN, Status.INVALID})
    assert settings.arxiv_delay_s == 3.0
    assert settings.arxiv_api_url == DEFAULT_ARXIV_API_URL == "https://export.arxiv.org/api/query"
    assert settings.github_api_url == DEFAULT_GITHUB_API_URL == "https://api.github.com"
    assert settings.github_token is None
    assert settings.cache_dir == Path("cache")
    assert settings.use_cache and settings.write and settings.metadata
    assert not settings.offline and not settings.refresh
    assert settings.ttl_s == {"web": DAY, "arxiv": 30 * DAY, "github": DAY, "huggingface": DAY,
                              "doi": 30 * DAY, "paper-links": 7 * DAY, "archive": 7 * DAY}  # fmt: skip


def test_environment_variables_apply(tmp_path: Path) -> None:
    """ENRICHER_* variables set the cache folder, API endpoints and arXiv pacing."""
    env = {
        "ENRICHER_CACHE_DIR": str(tmp_path / "elsewhere"),
        "ENRICHER_ARXIV_API_URL": "http://127.0.0.1:8001/api/query",
        "ENRICHER_GITHUB_API_URL": "http://127.0.0.1:8002/",
        "ENRICHER_ARXIV_DELAY": "0.5",
    }
    settings = build_settings({}, env, tmp_path)
    assert settings.cache_dir == tmp_path / "elsewhere"
    assert settings.arxiv_api_url == "http://127.0.0.1:8001/api/query"
    assert settings.github_api_url == "http://127.0.0.1:8002"
    assert settings.arxiv_delay_s == 0.5


def test_empty_environment_variable_is_ignored(tmp_path: Path) -> None:
    """An empty ENRICHER_* variable leaves the default in place."""
    settings = build_settings({}, {"ENRICHER_ARXIV_DELAY": ""}, tmp_path)
    assert settings.arxiv_delay_s == 3.0


def test_bad_environment_value_is_a_config_error(tmp_path: Path) -> None:
    """A malformed environment value is reported, naming the setting."""
    with pytest.raises(ConfigError, match="arxiv-delay"):
        build_settings({}, {"ENRICHER_ARXIV_DELAY": "soon"}, tmp_path)


def test_github_token_is_stored_but_never_shown(tmp_path: Path) -> None:
    """GITHUB_TOKEN is used, but printing the settings does not leak it."""
    settings = build_settings({}, {"GITHUB_TOKEN": "ghp_secret123\n"}, tmp_path)
    assert settings.github_token == "ghp_secret123"
    assert "ghp_secret123" not in repr(settings)
    assert "ghp_secret123" not in str(settings)


def test_pyproject_tool_enricher_is_read(tmp_path: Path) -> None:
    """``[tool.enricher]`` in pyproject.toml configures the run (dashes or underscores)."""
    write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "digests"\n\n'
        "[tool.enricher]\n"
        'paths = ["news"]\n'
        "concurrency = 4\n"
        'fail_on = "broken"\n'
        'cache-dir = ".cache/enricher"\n',
    )
    settings = build_settings({}, {}, tmp_path)
    assert settings.paths == ("news",)
    assert settings.concurrency == 4
    assert settings.fail_on == frozenset({Status.BROKEN})
    assert settings.cache_dir == Path(".cache/enricher")


def test_pyproject_without_enricher_table_is_ignored(tmp_path: Path) -> None:
    """A pyproject.toml for something else does not affect the run."""
    write(tmp_path, "pyproject.toml", '[project]\nname = "other"\n[tool.ruff]\nline-length = 99\n')
    assert build_settings({}, {}, tmp_path).concurrency == DEFAULT_CONCURRENCY


@pytest.mark.parametrize(
    "enricher_toml",
    ["concurrency = 7\n", "[tool.enricher]\nconcurrency = 7\n"],
    ids=["top-level-keys", "tool-table"],
)
def test_enricher_toml_wins_over_pyproject(tmp_path: Path, enricher_toml: str) -> None:
    """When both files exist, enricher.toml is the one read."""
    write(tmp_path, "pyproject.toml", "[tool.enricher]\nconcurrency = 4\nattempts = 5\n")
    write(tmp_path, "enricher.toml", enricher_toml)
    settings = build_settings({}, {}, tmp_path)
    assert settings.concurrency == 7
    assert settings.attempts == 3


def test_precedence_flags_over_environment_over_file(tmp_path: Path) -> None:
    """Flags beat the environment, which beats the config file, which beats defaults."""
    write(
        tmp_path,
        "enricher.toml",
        'arxiv-delay = 1\ngithub-api-url = "http://127.0.0.1:1"\nconcurrency = 8\n',
    )
    env = {"ENRICHER_ARXIV_DELAY": "5", "ENRICHER_GITHUB_API_URL": "http://127.0.0.1:2"}
    from_env = build_settings({}, env, tmp_path)
    assert (from_env.arxiv_delay_s, from_env.github_api_url, from_env.concurrency) == (
        5.0, "http://127.0.0.1:2", 8,
    )  # fmt: skip
    flags = {"arxiv-delay": 0, "github-api-url": "http://127.0.0.1:3", "concurrency": 2}
    from_flags = build_settings(flags, env, tmp_path)
    assert (from_flags.arxiv_delay_s, from_flags.github_api_url, from_flags.concurrency) == (
        0.0, "http://127.0.0.1:3", 2,
    )  # fmt: skip


def test_flag_only_settings(tmp_path: Path) -> None:
    """refresh, write and verbosity come from flags."""
    settings = build_settings({"refresh": True, "write": False, "verbosity": 2}, {}, tmp_path)
    assert settings.refresh is True
    assert settings.write is False
    assert settings.verbosity == 2


@pytest.mark.parametrize(
    "name",
    ["enricher.toml", "pyproject.toml"],
    ids=["enricher-toml", "pyproject"],
)
def test_unknown_key_in_file_names_file_and_key(tmp_path: Path, name: str) -> None:
    """A typo in a config file is an error naming the file and the key, never silently ignored."""
    text = "colour = true\n" if name == "enricher.toml" else "[tool.enricher]\ncolour = true\n"
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        build_settings({}, {}, tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "colour" in message
    assert "unknown setting" in message


def test_unreadable_toml_is_a_config_error(tmp_path: Path) -> None:
    """A config file that is not valid TOML is reported with its path."""
    path = write(tmp_path, "enricher.toml", "concurrency = = 3\n")
    with pytest.raises(ConfigError, match=r"enricher\.toml") as caught:
        build_settings({}, {}, tmp_path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"concurrency": "many"}, "concurrency"),
        ({"attempts": True}, "attempts"),
        ({"per-host": 1.5}, "per-host"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": "nan"}, "timeout"),
        ({"format": "xml"}, "format"),
        ({"arxiv-api-url": "ftp://mirror.example/api"}, "arxiv-api-url"),
        ({"github-api-url": "api.github.com"}, "github-api-url"),
        ({"offline": "yes"}, "offline"),
        ({"exclude": "("}, "exclude"),
        ({"exclude": [1, 2]}, "exclude"),
        ({"ttl-web": "soon"}, "ttl-web"),
        ({"cache-dir": ""}, "cache-dir"),
    ],
    ids=[
        "concurrency-zero", "concurrency-word", "attempts-bool", "per-host-fraction",
        "negative-timeout", "nan-timeout", "unknown-format", "ftp-api-url", "url-without-scheme",
        "bool-as-string", "bad-regex", "non-string-exclude", "bad-duration", "empty-path",
    ],
)  # fmt: skip
def test_bad_values_are_config_errors(tmp_path: Path, flags: dict[str, Any], message: str) -> None:
    """A wrong value is a ConfigError naming the setting, never a crash or a silent default."""
    with pytest.raises(ConfigError, match=message):
        build_settings(flags, {}, tmp_path)


def test_bad_value_in_file_names_the_file(tmp_path: Path) -> None:
    """A bad value in a config file points at the file and the key."""
    path = write(tmp_path, "enricher.toml", "concurrency = 0\n")
    with pytest.raises(ConfigError) as caught:
        build_settings({}, {}, tmp_path)
    assert str(path) in str(caught.value)
    assert "concurrency" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("broken,invalid", {Status.BROKEN, Status.INVALID}),
        ("broken, INVALID ", {Status.BROKEN, Status.INVALID}),
        ("unreachable", {Status.UNREACHABLE}),
        (["blocked", "broken"], {Status.BLOCKED, Status.BROKEN}),
        ("never", set()),
        ("any", {s for s in Status if s is not Status.OK}),
        ("broken,mismatch", {Status.BROKEN, LabelMatch.MISMATCH}),
        (["mismatch"], {LabelMatch.MISMATCH}),
        ("any,mismatch", {*(s for s in Status if s is not Status.OK), LabelMatch.MISMATCH}),
    ],
    ids=["two", "spaces-and-case", "one", "list", "never", "any", "mismatch", "mismatch-list",
         "any-and-mismatch"],
)  # fmt: skip
def test_parse_fail_on(value: Any, expected: set[Status | LabelMatch]) -> None:
    """--fail-on takes statuses and ``mismatch`` (a label that does not name its link's
    target), or 'never' (always exit 0), or 'any' (anything not ok; with ``mismatch`` too)."""
    assert parse_fail_on(value) == frozenset(expected)


@pytest.mark.parametrize("value", ["bogus", "broken,bogus", ""], ids=["bogus", "one-bad", "empty"])
def test_parse_fail_on_rejects_unknown_statuses_listing_valid_ones(value: str) -> None:
    """An unknown status is an error that lists every valid choice."""
    with pytest.raises(ConfigError) as caught:
        parse_fail_on(value)
    message = str(caught.value)
    for status in Status:
        assert status.value in message
    assert "never" in message and "any" in message


def test_fail_on_flag_reaches_settings(tmp_path: Path) -> None:
    """--fail-on from the command line ends up in the settings."""
    assert build_settings({"fail-on": "never"}, {}, tmp_path).fail_on == frozenset()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("6h", 6 * HOUR), ("30d", 30 * DAY), ("15m", 900.0), ("90s", 90.0), ("90", 90.0), (45, 45.0)],
    ids=["hours", "days", "minutes", "seconds", "bare-string", "number"],
)
def test_parse_duration(value: Any, seconds: float) -> None:
    """TTLs are written as 90s, 15m, 6h or 30d."""
    assert parse_duration(value, "ttl-web") == seconds


def test_ttl_settings_per_kind(tmp_path: Path) -> None:
    """ttl-web/ttl-arxiv/ttl-github set how long each kind of fact is trusted."""
    write(tmp_path, "enricher.toml", 'ttl-web = "6h"\nttl_arxiv = "30d"\n')
    settings = build_settings({"ttl-github": "2h"}, {}, tmp_path)
    assert {k: settings.ttl_s[k] for k in ("web", "arxiv", "github")} == {
        "web": 6 * HOUR, "arxiv": 30 * DAY, "github": 2 * HOUR}  # fmt: skip
    assert settings.ttl_s["doi"] == 30 * DAY  # the others keep their defaults


def test_offline_with_refresh_is_contradictory(tmp_path: Path) -> None:
    """--offline and --refresh together are refused rather than one silently winning."""
    with pytest.raises(ConfigError, match="offline"):
        build_settings({"offline": True, "refresh": True}, {}, tmp_path)
