"""The command line as users and CI run it: a real subprocess, real local servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from werkzeug import Request, Response

from tests.conftest import Apis, enricher

ANSI = "\x1b["


def test_all_good_exits_zero_with_a_summary(site: dict[str, str], tmp_path: Path) -> None:
    """Exit 0, a plain summary with counts, the redirected link with its new URL, no ANSI."""
    result = enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site)
    assert result.returncode == 0, result.stderr
    assert ANSI not in result.stdout and ANSI not in result.stderr
    assert "Summary: ok 3, redirected 1, broken 0" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{site['FOLDER']}/week.txt:6: redirected: Moved page ")
    assert "-> http://localhost:" in last and last.endswith("/ok")
    record = json.loads((Path(site["FOLDER"]) / "week.enriched.json").read_text(encoding="utf-8"))
    assert [link["line"] for link in record["links"]] == [3, 4, 5, 6]


def test_broken_link_fails_with_file_and_line(
    site: dict[str, str], tmp_path: Path, apis: Apis
) -> None:
    """Exit 1 and a `path:line: broken:` line an editor can jump to; `--fail-on never` passes."""
    digest = Path(site["FOLDER"]) / "week.txt"
    digest.write_text(
        digest.read_text(encoding="utf-8") + f"[Gone] {apis.server.url_for('/gone')}\n",
        encoding="utf-8",
    )
    result = enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site)
    assert result.returncode == 1
    assert f"{digest}:7: broken: Gone " in result.stdout
    assert "(not found (404))" in result.stdout
    relaxed = enricher(
        site["FOLDER"], "--allow-private", "--fail-on", "never", cwd=tmp_path, env=site
    )
    assert relaxed.returncode == 0


def test_json_report_is_machine_readable(site: dict[str, str], tmp_path: Path) -> None:
    """--format json prints totals, per-file totals and each non-ok link, nothing else."""
    result = enricher(site["FOLDER"], "--allow-private", "--format", "json", cwd=tmp_path, env=site)
    report = json.loads(result.stdout)
    assert report["totals"] == {
        "links": 4,
        "ok": 3,
        "redirected": 1,
        "broken": 0,
        "blocked": 0,
        "unreachable": 0,
        "invalid": 0,
        "skipped": 0,
    }
    assert report["files"][0]["totals"]["links"] == 4
    assert [(link["line"], link["status"]) for link in report["links"]] == [(6, "redirected")]
    assert report["exit_code"] == 0 and report["requests"]["arxiv"] == 1


def test_a_machine_report_is_utf8_whatever_the_console_encoding(
    site: dict[str, str], tmp_path: Path
) -> None:
    """On an ASCII console a CJK label escaped as ``\\U0001f916`` made the JSON invalid: a
    machine-readable report goes out as UTF-8; the text report stays readable, escaped."""
    digest = Path(site["FOLDER"]) / "week.txt"
    digest.write_text(digest.read_text("utf-8") + "[扣子🤖] http://x..y/\n", encoding="utf-8")
    ascii_console = {**site, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "enricher", site["FOLDER"], "--allow-private", "--format", "json"],
        cwd=tmp_path, env={**os.environ, **ascii_console}, capture_output=True, timeout=60,
    )  # fmt: skip
    report = json.loads(result.stdout.decode("utf-8"))
    assert "扣子🤖" in [link["label"] for link in report["links"]]
    text = enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=ascii_console)
    assert "\\u6263\\u5b50\\U0001f916" in text.stdout


def test_a_report_that_cannot_be_written_is_an_error_naming_stdout(
    site: dict[str, str], tmp_path: Path
) -> None:
    """A full disk behind stdout: exit 3 and one line saying so, not a traceback."""
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "enricher", site["FOLDER"], "--allow-private"],
            cwd=tmp_path, env={**os.environ, **site}, stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 3
    assert "cannot write the report to stdout: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr


def test_refusals_of_our_pace_are_counted_per_host(
    site: dict[str, str], tmp_path: Path, apis: Apis
) -> None:
    """A page refused twice (a 503, a 429, then served) counts twice as the host refusing our
    pace, in the JSON report, the text summary and the last log line; a bot wall's 503 (its
    challenge named by a header) refuses whoever asks, at any pace, and does not."""
    server = apis.server
    asked: list[int] = []

    def busy_twice(request: Request) -> Response:
        asked.append(1)
        refusal = {1: 503, 2: 429}.get(len(asked) % 3)  # each run: 503, 429, then served
        if refusal:
            return Response("", status=refusal, headers={"Retry-After": "0"})  # asked again now
        return Response("<title>Busy page</title>", content_type="text/html")

    server.expect_request("/busy").respond_with_handler(busy_twice)
    server.expect_request("/walled").respond_with_data(
        "<title>Just a moment...</title>", status=503,
        headers={"cf-mitigated": "challenge", "Content-Type": "text/html"},
    )  # fmt: skip
    digest = Path(site["FOLDER"]) / "week.txt"
    with digest.open("a", encoding="utf-8") as out:
        out.write(f"[Busy] {server.url_for('/busy')}\n[Walled] {server.url_for('/walled')}\n")
    as_json = enricher(site["FOLDER"], "--allow-private", "--format", "json", "--no-cache",
                       cwd=tmp_path, env=site)  # fmt: skip
    report = json.loads(as_json.stdout)
    assert report["refusals"] == {"localhost": 2}
    assert "(2 refused (429/503) by 1 host: localhost 2)" in as_json.stderr
    as_text = enricher(site["FOLDER"], "--allow-private", "--no-cache", cwd=tmp_path, env=site)
    assert "; 2 refused (429/503) by 1 host: localhost 2;" in as_text.stdout.splitlines()[0]


def test_loopback_is_skipped_without_allow_private(site: dict[str, str], tmp_path: Path) -> None:
    """Local addresses are not checked unless asked: `skipped`, and the run passes."""
    result = enricher(site["FOLDER"], cwd=tmp_path, env=site)
    assert result.returncode == 0
    assert "skipped 2" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "borken"], "unknown status borken"),
        (["--concurrency", "0"], "must be at least 1"),
        (["--exclude", "("], "bad regular expression"),
        (["no/such/folder"], "no such file or folder"),
        (["--timeout", "inf"], "must be a finite number"),
    ],
    ids=["bad-status", "zero-concurrency", "bad-regex", "missing-path", "infinite-timeout"],
)
def test_usage_errors_exit_two(
    args: list[str], message: str, site: dict[str, str], tmp_path: Path
) -> None:
    """Bad flags and paths give exit 2 and a message naming the problem."""
    result = enricher(*args, cwd=tmp_path, env=site)
    assert result.returncode == 2
    assert message in result.stderr


def test_config_file_is_read_and_flags_win(site: dict[str, str], tmp_path: Path) -> None:
    """[tool.enricher] in ./pyproject.toml sets options; a flag overrides it."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.enricher]\npaths = ["{site["FOLDER"]}"]\nallow-private = true\nformat = "json"\n',
        encoding="utf-8",
    )
    from_file = enricher(cwd=tmp_path, env=site)
    assert json.loads(from_file.stdout)["totals"]["ok"] == 3
    overridden = enricher("--format", "text", cwd=tmp_path, env=site)
    assert overridden.stdout.startswith("Checked 4 links")


def test_bad_config_file_names_file_and_key(tmp_path: Path) -> None:
    """An unknown key in the config file is a configuration error (exit 2) naming it."""
    (tmp_path / "enricher.toml").write_text("concurency = 4\n", encoding="utf-8")
    result = enricher(cwd=tmp_path)
    assert result.returncode == 2
    assert "enricher.toml: concurency: unknown setting" in result.stderr


def test_console_script_is_installed() -> None:
    """`enricher --version` works as well as `python -m enricher`."""
    script = Path(sys.executable).parent / "enricher"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.startswith("enricher ")


def test_ascii_console_gets_the_report_not_a_crash(tmp_path: Path) -> None:
    """A CJK label on a console that cannot print it is escaped; the exit code keeps its meaning."""
    digest = tmp_path / "d.txt"
    digest.write_text(
        "[通义灵码] https://tongyi.example/lingma\n[标题] 只有标题\n", encoding="utf-8"
    )
    result = enricher(str(digest), "--offline", "--no-cache", cwd=tmp_path,
                      env={"PYTHONIOENCODING": "ascii"})  # fmt: skip
    assert result.returncode == 1  # the title-only entry is invalid; nothing crashed
    assert "\\u901a\\u4e49" in result.stdout


def test_status_without_a_run_says_so_and_exits_two(tmp_path: Path) -> None:
    result = enricher("status", "--cache-dir", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "no run has recorded its status there yet" in result.stderr


def test_status_follows_a_one_shot_run(site: dict[str, str], tmp_path: Path) -> None:
    enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site)
    text = enricher("status", cwd=tmp_path, env=site)
    assert text.returncode == 0
    assert "last run: passed (exit 0), one-shot" in text.stdout
    assert "4 links: ok 3, redirected 1" in text.stdout
    assert "scheduler: never started with this cache" in text.stdout
    as_json = json.loads(enricher("status", "--format", "json", cwd=tmp_path, env=site).stdout)
    assert as_json["last_run"]["counts"]["ok"] == 3 and as_json["running"] is None


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--cron", "0 6 * * 9"], {}, "--cron '0 6 * * 9': day-of-week"),
        (["--cron", "0 6 * * *", "--every", "1h"], {}, "--cron and --every"),
        ([], {"ENRICHER_EVERY": "often"}, "ENRICHER_EVERY: expected a duration"),
        (["--timezone", "Nowhere/Land"], {}, "unknown time zone"),
        (["missing-folder"], {}, "missing-folder: no such file or folder"),
    ],
)
def test_scheduler_refuses_bad_options_before_starting(
    args: list[str], env: dict[str, str], message: str, tmp_path: Path
) -> None:
    (tmp_path / "sources").mkdir()
    result = enricher("schedule", *args, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert message in result.stderr


def test_scheduler_console_script_and_help() -> None:
    script = Path(sys.executable).with_name("enricher-scheduler")
    assert script.exists()
    shown = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    assert "--every DURATION" in shown.stdout and "--lock-timeout SECONDS" in shown.stdout


def test_github_format_annotates_lines_and_fills_the_job_summary(
    site: dict[str, str], tmp_path: Path, apis: Apis
) -> None:
    apis.server.expect_request("/gone").respond_with_data("", status=404)
    digest = Path(site["FOLDER"]) / "week.txt"
    digest.write_text(
        digest.read_text(encoding="utf-8") + f"[Gone] {apis.server.url_for('/gone')}\n",
        encoding="utf-8",
    )
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    result = enricher(
        site["FOLDER"], "--allow-private", "--format", "github", cwd=tmp_path,
        env={**site, "GITHUB_STEP_SUMMARY": str(step_summary), "GITHUB_WORKSPACE": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    # The newly broken link comes first, named so, whatever its line; files are named from
    # the repository's root (GITHUB_WORKSPACE), as GitHub reads them.
    named = digest.relative_to(tmp_path).as_posix()
    assert lines[0].startswith(f"::error file={named},line=7,title=newly broken link::Gone http")
    assert lines[1].startswith(f"::warning file={named},line=6,title=redirected link::")
    assert lines[-1] == "enricher: changes since last run: 1 newly broken, 0 recovered"
    summary = step_summary.read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n## enricher link report")  # appended, not replaced
    assert "| 7 | Gone |" in summary


def test_output_file_gets_the_report_and_the_terminal_the_summary(
    site: dict[str, str], tmp_path: Path
) -> None:
    report = tmp_path / "reports" / "links.xml"
    report.parent.mkdir()
    result = enricher(
        site["FOLDER"], "--allow-private", "--format", "junit", "--output", str(report),
        cwd=tmp_path, env=site,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("Checked 4 links in 1 digests")
    root = ET.fromstring(report.read_bytes())
    assert root.get("tests") == "4" and root.get("failures") == "0"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def test_changed_only_checks_the_digests_changed_since_a_ref(
    site: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(site["FOLDER"])
    (folder / "old.txt").write_text("[Fine page] http://127.0.0.1:1/never-asked\n", "utf-8")
    git("init", "-q", "-b", "main", cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@t", "add", "digests", cwd=tmp_path)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "digests", cwd=tmp_path)
    (folder / "week.txt").write_text(
        (folder / "week.txt").read_text("utf-8") + "more prose\n", "utf-8"
    )
    (folder / "new.txt").write_text("no links yet\n", "utf-8")

    result = enricher(str(folder), "--allow-private", "--changed-only", "HEAD", "-v",
                      cwd=tmp_path, env=site)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2 of 3 digests changed since HEAD" in result.stderr
    assert (folder / "week.enriched.json").exists() and (folder / "new.enriched.json").exists()
    assert not (folder / "old.enriched.json").exists()

    unknown = enricher(str(folder), "--changed-only", "no-such-ref", cwd=tmp_path, env=site)
    assert unknown.returncode == 2
    assert "has no commit 'no-such-ref'" in unknown.stderr and "fetch-depth: 0" in unknown.stderr


def test_changed_only_outside_a_repository_is_a_clear_error(
    site: dict[str, str], tmp_path: Path
) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    result = enricher(site["FOLDER"], "--changed-only", "HEAD", cwd=outside,
                      env={**site, "GIT_CEILING_DIRECTORIES": str(tmp_path)})  # fmt: skip
    assert result.returncode == 2
    assert f"{site['FOLDER']} is not in a git repository" in result.stderr


def run_on_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """The CLI with stdout and stderr on a pseudo-terminal, as a person at a shell runs it."""
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "enricher", *args], cwd=cwd, stdin=subprocess.DEVNULL,
        stdout=terminal, stderr=terminal,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", **env},
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")
def test_a_terminal_gets_colour_and_a_summary_table_but_no_colour_wins(
    site: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CI", "NO_COLOR"):  # either would turn colour off on the terminal too
        monkeypatch.delenv(name, raising=False)
    code, shown = run_on_a_terminal([site["FOLDER"], "--allow-private"], tmp_path, site)
    assert code == 0
    assert ANSI in shown
    assert "┏" in shown and "redirected" in shown  # the summary table

    code, plain = run_on_a_terminal([site["FOLDER"], "--allow-private"], tmp_path,
                                    {**site, "NO_COLOR": "1"})  # fmt: skip
    assert code == 0
    assert ANSI not in plain
    assert "┏" not in plain


def test_the_example_workflow_runs_commands_the_cli_accepts() -> None:
    import shlex

    from enricher.cli import build_parser

    root = Path(__file__).resolve().parent.parent
    workflow = (root / "examples" / "github-actions.yml").read_text(encoding="utf-8")
    commands = [line.split("run: ", 1)[1] for line in workflow.splitlines()
                if "run: python -m enricher" in line]  # fmt: skip
    assert len(commands) == 1
    for command in commands:
        args = [a for a in shlex.split(command)[3:] if not a.startswith("$")]
        namespace = build_parser().parse_args(args)  # exits (fails the test) on a bad flag
        assert namespace.paths == ["sources"]
    assert "--format github --json-output enricher-report.json" in commands[0]
    assert "if: always()\n        uses: actions/cache/save@v4" in workflow
    # The scheduled run's tolerance, given through $FAIL_AFTER, is a flag the CLI knows.
    assert "$FAIL_AFTER" in commands[0]
    assert (
        "FAIL_AFTER: ${{ github.event_name == 'schedule' && '--fail-after 2' || '' }}" in workflow
    )
    assert build_parser().parse_args(["sources", "--fail-after", "2"]).fail_after == "2"


def test_output_problems_are_found_before_any_work(site: dict[str, str], tmp_path: Path) -> None:
    result = enricher(site["FOLDER"], "--output", "no/such/folder/r.json", cwd=tmp_path, env=site)
    assert result.returncode == 2
    assert "--output no/such/folder/r.json: folder no/such/folder does not exist" in result.stderr
    assert not (Path(site["FOLDER"]) / "week.enriched.json").exists()  # nothing was checked


def test_annotations_and_a_json_artifact_from_one_run_through_a_symlink(
    site: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "report.json").symlink_to(tmp_path / "real" / "report.json")
    result = enricher(
        site["FOLDER"], "--allow-private", "--format", "github", "--json-output", "report.json",
        cwd=tmp_path, env=site,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.startswith("::warning file=")
    assert (tmp_path / "report.json").is_symlink()  # written through, not replaced
    report = json.loads((tmp_path / "real" / "report.json").read_text(encoding="utf-8"))
    assert report["totals"]["links"] == 4 and report["totals"]["redirected"] == 1


@pytest.mark.skipif(sys.platform != "linux", reason="file names as raw bytes")
def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(
    site: dict[str, str], tmp_path: Path
) -> None:
    folder = Path(site["FOLDER"])
    odd = folder / os.fsdecode(b"caf\xe9.txt")
    odd.write_text((folder / "week.txt").read_text("utf-8"), "utf-8")
    result = enricher(
        site["FOLDER"], "--allow-private", "--format", "junit", "--output", "r.xml",
        cwd=tmp_path, env={**site, "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    root = ET.fromstring((tmp_path / "r.xml").read_bytes())
    assert root.get("tests") == "8"


def test_a_folder_with_no_digests_passes_with_a_warning(tmp_path: Path) -> None:
    """A wrong glob or path in CI is said, not silent; an empty folder is no failure."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "week.md").write_text("[A] https://example.org/\n", encoding="utf-8")
    result = enricher(str(folder), "--no-cache", cwd=tmp_path)
    assert result.returncode == 0
    assert f"no digests found in {folder} (--glob *.txt)" in result.stderr
