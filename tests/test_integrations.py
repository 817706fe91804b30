"""The ecosystem's ways in (issue 17): the GitHub Action (``action.yml``), the pre-commit hooks
(``.pre-commit-hooks.yaml``) and the Kubernetes example (``examples/kubernetes/``).

None of them can run here (no GitHub runner, no pre-commit, no cluster), so each is held to
what enricher itself accepts: the command line it would run goes through enricher's own parser
and settings, in-process; the action's shell script runs under bash with a stand-in for Python
that records its arguments; the hooks' and the CronJob's command lines run for real, offline.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from enricher.cli import build_parser, flags_from
from enricher.config import Settings, build_settings
from enricher.errors import ConfigError
from tests.conftest import ROOT, SAMPLES, enricher

ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
KUBERNETES = ROOT / "examples" / "kubernetes"
DOCKERFILE = KUBERNETES / "Dockerfile"
YAML_FILES = [
    ACTION,
    HOOKS,
    ROOT / "examples" / "github-actions.yml",
    *sorted(KUBERNETES.glob("*.yaml")),
]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def accepted(argv: list[str], cwd: Path) -> Settings:
    """What enricher makes of a command line (without the program name): its parser, then its
    settings, every value checked as a run checks it. Fails the test when either refuses."""
    try:
        namespace = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"enricher's parser refuses {argv!r} (its message is in stderr)")
    try:
        return build_settings(flags_from(namespace), {}, cwd)
    except ConfigError as exc:
        pytest.fail(f"enricher refuses {argv!r}: {exc}")


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_yaml_files_parse(path: Path) -> None:
    documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert documents and all(isinstance(d, dict | list) for d in documents)
    if path.parent == KUBERNETES:
        for document in documents:
            assert {"apiVersion", "kind", "metadata"} <= document.keys(), path.name


# The GitHub Action.

REQUIRED_INPUTS = {"paths", "fail-on", "fail-after", "args", "github-token"}


def action_steps() -> list[dict[str, Any]]:
    return list(load(ACTION)["runs"]["steps"])


def step_using(prefix: str) -> tuple[int, dict[str, Any]]:
    found = [(i, s) for i, s in enumerate(action_steps()) if s.get("uses", "").startswith(prefix)]
    assert len(found) == 1, f"one step uses {prefix}: {found}"
    return found[0]


def step_with_id(step_id: str) -> tuple[int, dict[str, Any]]:
    found = [(i, s) for i, s in enumerate(action_steps()) if s.get("id") == step_id]
    assert len(found) == 1, f"one step has id {step_id}"
    return found[0]


def test_action_declares_its_inputs() -> None:
    """A composite action with the documented inputs, each described; the token defaults to
    the workflow's own."""
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs.keys() >= REQUIRED_INPUTS
    for name, spec in inputs.items():
        assert spec.get("description"), f"input {name} has no description"
        assert spec.get("required") is not True, f"input {name}: every input has a default"
    assert inputs["github-token"]["default"] == "${{ github.token }}"


def test_action_scripts_never_interpolate_expressions() -> None:
    """No ``${{ ... }}`` inside a ``run:`` script, inputs least of all: GitHub pastes an
    expression's value into the script's text before bash reads it, so an input such as
    ``$(curl evil | sh)`` would run. Values reach scripts through ``env:`` only."""
    scripts = [s for s in action_steps() if "run" in s]
    assert scripts
    for step in scripts:
        assert "${{" not in step["run"], f"step {step.get('name')!r} interpolates into its script"
        assert step.get("shell") == "bash", "a composite action's run step must name its shell"


def test_action_installs_from_its_own_checkout_and_keeps_the_cache() -> None:
    """Python set up without touching the job's PATH, enricher installed from the action's own
    checkout, the cache restored before the check and saved after it even when links fail
    (``if: always()``), with one key, and the report uploaded whatever happened."""
    setup_at, setup = step_using("actions/setup-python@")
    install_at, install = step_with_id("install")
    restore_at, restore = step_using("actions/cache/restore@")
    check_at, _ = step_with_id("check")
    save_at, save = step_using("actions/cache/save@")
    upload_at, upload = step_using("actions/upload-artifact@")
    assert setup_at < install_at < check_at and restore_at < check_at < save_at < upload_at
    assert str(setup["with"]["update-environment"]).lower() == "false"
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    assert "pip install" in install["run"]
    assert save.get("if") == "always()" and upload.get("if") == "always()"
    assert restore["with"]["path"] == save["with"]["path"] == "${{ inputs.cache-dir }}"
    assert restore["with"]["key"] == save["with"]["key"]
    # The example workflow's key and prefix: switching to the action keeps the cache.
    assert restore["with"]["key"].startswith("enricher-${{ runner.os }}-${{ github.run_id }}")
    assert restore["with"]["restore-keys"] == "enricher-${{ runner.os }}-"
    assert upload["with"]["path"].rstrip("/") == "${{ runner.temp }}/enricher-report"


FAKE_PYTHON = """#!/bin/sh
printf '%s\\0' "$@" > "$FAKE_ARGV"
printf '%s' "${GITHUB_TOKEN-(unset)}" > "$FAKE_TOKEN"
exit "${FAKE_EXIT:-0}"
"""
"""Stands in for the action's Python: records its arguments and the token it was given."""

EXPRESSION = re.compile(r"^\$\{\{\s*([\w.-]+)\s*\}\}$")


class CheckStep:
    """The action's check step, run as the runner runs it (``bash --noprofile --norc -eo
    pipefail``), its ``env:`` resolved from given inputs (else the inputs' defaults)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.workspace = tmp_path / "workspace"
        self.workspace.mkdir()
        self.runner_temp = tmp_path / "runner-temp"
        self.runner_temp.mkdir()
        self.python = tmp_path / "python"
        self.python.write_text(FAKE_PYTHON, encoding="utf-8")
        self.python.chmod(0o755)
        self.output = tmp_path / "github-output"
        self.argv: list[str] = []
        self.token = ""

    def run(self, inputs: dict[str, str], exit_code: int = 0) -> int:
        spec = load(ACTION)["inputs"]
        context = {"github.token": "token-of-the-workflow", "steps.install.outputs.python":
                   str(self.python)}  # fmt: skip
        for name, item in spec.items():
            context[f"inputs.{name}"] = inputs.get(name, str(item.get("default", "")))
        for name, value in list(context.items()):  # a default may itself be an expression
            match = EXPRESSION.match(value)
            if match is not None:
                context[name] = context[match[1]]
        _, step = step_with_id("check")
        env = {"PATH": os.environ["PATH"], "HOME": str(self.tmp)}
        for name, value in step["env"].items():
            match = EXPRESSION.match(str(value))
            env[name] = context[match[1]] if match else str(value)
        script = self.tmp / "check.sh"
        script.write_text(step["run"], encoding="utf-8")
        env |= {
            "RUNNER_TEMP": str(self.runner_temp),
            "GITHUB_OUTPUT": str(self.output),
            "FAKE_ARGV": str(self.tmp / "argv"),
            "FAKE_TOKEN": str(self.tmp / "token"),
            "FAKE_EXIT": str(exit_code),
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace, env=env, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert result.stderr == "", result.stderr
        words = (self.tmp / "argv").read_bytes().decode().split("\0")
        assert words.pop() == ""  # each word ends with a NUL
        self.argv = words
        self.token = (self.tmp / "token").read_text(encoding="utf-8")
        return result.returncode

    @property
    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines)

    def enricher_args(self) -> list[str]:
        assert self.argv[:2] == ["-m", "enricher"], self.argv
        return self.argv[2:]


@pytest.fixture
def check_step(tmp_path: Path) -> CheckStep:
    return CheckStep(tmp_path)


def test_action_runs_a_command_enricher_accepts(check_step: CheckStep) -> None:
    """Every input reaches enricher as the flag it stands for, the report goes where the
    artifact step uploads it from, and the command line passes enricher's own parser."""
    code = check_step.run({
        "paths": "sources\n  digests/2026 ",
        "fail-on": "broken,invalid,mismatch",
        "fail-after": "2",
        "args": "--changed-only origin/main\n--exclude linkedin\\.com  -v",
        "github-token": "ghp_given",
        "cache-dir": ".enricher-cache",
    })  # fmt: skip
    assert code == 0
    settings = accepted(check_step.enricher_args(), check_step.workspace)
    report_dir = check_step.runner_temp / "enricher-report"
    assert settings.format == "github"
    assert settings.html_output == report_dir / "report.html"
    assert settings.json_output == report_dir / "report.json"
    assert report_dir.is_dir()  # enricher refuses a report whose folder is missing
    assert settings.paths == ("sources", "digests/2026")
    assert settings.cache_dir == Path(".enricher-cache")
    assert settings.fail_after == 2 and settings.changed_since == "origin/main"
    assert {s.value for s in settings.fail_on} == {"broken", "invalid", "mismatch"}
    assert settings.exclude == ("linkedin\\.com",) and settings.verbosity == 1
    assert settings.write is False  # check only, as the example workflow
    assert check_step.token == "ghp_given"
    assert check_step.outputs == {"report-dir": str(report_dir), "exit-code": "0"}


def test_action_defaults_leave_the_choices_to_enricher(check_step: CheckStep) -> None:
    """Empty inputs add no flag, so a [tool.enricher] table (or enricher's defaults) decides;
    the token is the workflow's own; write-records puts the records back."""
    assert check_step.run({"write-records": "true"}) == 0
    args = check_step.enricher_args()
    assert not {"--fail-on", "--fail-after", "--no-write"} & set(args)
    settings = accepted(args, check_step.workspace)
    assert settings.paths == ("sources",) and settings.write is True
    assert settings.cache_dir == Path("cache")
    assert check_step.token == "token-of-the-workflow"


@pytest.mark.parametrize("code", [1, 2, 3])
def test_action_exits_with_enricher_exit_code(check_step: CheckStep, code: int) -> None:
    """Links that fail the policy fail the step (and so the job), with the code as an output."""
    assert check_step.run({}, exit_code=code) == code
    assert check_step.outputs["exit-code"] == str(code)


def test_action_inputs_are_words_not_shell(check_step: CheckStep) -> None:
    """Whatever an input holds, bash only splits it on whitespace: no command substitution, no
    variable expansion, no globbing, no second command."""
    (check_step.workspace / "a-file-a-glob-would-find.txt").write_text("", encoding="utf-8")
    hostile = "$(touch pwned1) `touch pwned2` ; touch pwned3 && $HOME * '--quoted arg'"
    check_step.run({"args": hostile, "paths": "$(touch pwned4) *.txt"})
    args = check_step.enricher_args()
    separator = args.index("--")
    assert args[separator - len(hostile.split()) : separator] == hostile.split()
    assert args[separator + 1 :] == ["$(touch", "pwned4)", "*.txt"]
    assert not list(check_step.tmp.rglob("pwned*"))


# The pre-commit hooks.


def hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in load(HOOKS)}


def hook_argv(hook: dict[str, Any], files: list[str]) -> list[str]:
    """The command line pre-commit runs: entry, args, then the staged files that match."""
    return [*shlex.split(hook["entry"]), *hook.get("args", []), *files]


def test_hooks_check_the_digests_being_committed() -> None:
    """Both hooks run the installed console script, once (require_serial: parallel processes
    would fight over the cache's run lock), on the staged files that look like digests."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert hooks().keys() == {"enricher", "enricher-offline"}
    for hook in hooks().values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True and hook["require_serial"] is True
        assert scripts[shlex.split(hook["entry"])[0]] == "enricher.cli:entry_point"
        files = re.compile(hook["files"])
        assert files.search("sources/000_f5b1d167f60aa678.txt")
        assert files.search("digests/2026/week 12.txt")
        assert not files.search("sources/000_f5b1d167f60aa678.enriched.json")
        assert not files.search("README.md")


@pytest.mark.parametrize("hook_id", ["enricher", "enricher-offline"])
def test_hook_command_lines_are_accepted_and_write_nothing(hook_id: str, tmp_path: Path) -> None:
    """Accepted with the files pre-commit appends; --no-write in the entry itself (a config's
    own ``args`` replace the hook's, never its entry); the offline one never asks the network."""
    hook = hooks()[hook_id]
    files = ["sources/000_f5b1d167f60aa678.txt", "sources/002_1ba732e38f5cb936.txt"]
    settings = accepted(hook_argv(hook, files)[1:], tmp_path)
    assert settings.paths == tuple(files)
    assert "--no-write" in shlex.split(hook["entry"]) and settings.write is False
    assert settings.offline is (hook_id == "enricher-offline")


@pytest.fixture
def digest_repo(tmp_path: Path) -> Path:
    """A digest repository: the five samples under sources/, no cache yet."""
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLES, repo / "sources", ignore=shutil.ignore_patterns("*.enriched.json"))
    return repo


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_offline_hook_passes_without_a_network_and_changes_no_file(digest_repo: Path) -> None:
    """As pre-commit runs it, on a fresh clone with no cache: every link is unreachable (never
    broken), which fails nothing; the entry with a title and no URL (digest 002) still fails.
    Not one file of the repository's digests changes: pre-commit would fail the hook."""
    hook = hooks()["enricher-offline"]
    before = snapshot(digest_repo / "sources")
    clean = ["sources/000_f5b1d167f60aa678.txt", "sources/001_baa3e750f67ac8e1.txt"]
    passed = enricher(*hook_argv(hook, clean)[1:], cwd=digest_repo)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "broken 0" in passed.stdout and "unreachable" in passed.stdout
    failed = enricher(*hook_argv(hook, ["sources/002_1ba732e38f5cb936.txt"])[1:], cwd=digest_repo)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "sources/002_1ba732e38f5cb936.txt:" in failed.stdout and ": invalid: " in failed.stdout
    assert snapshot(digest_repo / "sources") == before


# Kubernetes.


def manifests() -> dict[str, dict[str, Any]]:
    """Every manifest of examples/kubernetes by kind (one of each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert document["kind"] not in found, f"two {document['kind']}s"
            found[document["kind"]] = document
    return found


def pod_spec() -> dict[str, Any]:
    cronjob = manifests()["CronJob"]
    assert cronjob["apiVersion"] == "batch/v1"
    return dict(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"])


def container() -> dict[str, Any]:
    containers = pod_spec()["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def volume_of(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The mount that holds ``path`` (the deepest one) and its volume."""
    mounts = [
        m for m in container()["volumeMounts"]
        if PurePosixPath(path).is_relative_to(m["mountPath"])
    ]  # fmt: skip
    assert mounts, f"{path} is on no volume: the container's root filesystem is read-only"
    mount = max(mounts, key=lambda m: len(m["mountPath"]))
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    return mount, volumes[mount["name"]]


def cronjob_settings(tmp_path: Path) -> Settings:
    spec = container()
    assert spec.get("command", ["python", "-m", "enricher"]) == ["python", "-m", "enricher"]
    return accepted([str(a) for a in spec["args"]], tmp_path)


def test_cronjob_runs_one_at_a_time_and_stops_gracefully() -> None:
    """Forbid: a run still going when the next is due keeps the next from starting; no retry
    of a run whose links failed; a grace period longer than Kubernetes' 30 s default, which
    enricher's stop at its next safe point (a second or two, then the cache written) fits in."""
    cronjob = manifests()["CronJob"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    assert pod_spec()["restartPolicy"] == "Never"
    assert pod_spec()["terminationGracePeriodSeconds"] >= 60


def test_cronjob_keeps_its_cache_on_the_claim(tmp_path: Path) -> None:
    """--cache-dir is on a volume backed by the example's PersistentVolumeClaim (ReadWriteOnce:
    the run lock is an flock), writable, and the reports sit at the volume's top, a folder that
    exists even on a fresh claim (enricher refuses a report whose folder is missing)."""
    settings = cronjob_settings(tmp_path)
    assert settings.use_cache
    mount, volume = volume_of(str(settings.cache_dir))
    claim = manifests()["PersistentVolumeClaim"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert not mount.get("readOnly", False)
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    for report in (settings.html_output, settings.json_output):
        assert report is not None and str(report.parent) == mount["mountPath"]


def test_cronjob_reads_digests_from_a_read_only_configmap_without_writing(tmp_path: Path) -> None:
    """The digests come from a ConfigMap, mounted read-only: the run must not try to write
    records beside them (every write would fail: exit 3)."""
    settings = cronjob_settings(tmp_path)
    assert len(settings.paths) == 1
    mount, volume = volume_of(settings.paths[0])
    assert mount["mountPath"] == settings.paths[0]
    assert "configMap" in volume and mount["readOnly"] is True
    assert settings.write is False


def test_cronjob_takes_the_token_from_the_secret(tmp_path: Path) -> None:
    """GITHUB_TOKEN from the example Secret by secretKeyRef; no token written in the
    manifest; the Secret's placeholder is empty, which enricher takes as no token, so the
    example applied as it is sends nothing rather than a fake token GitHub would refuse."""
    secret = manifests()["Secret"]
    env = {item["name"]: item for item in container()["env"]}
    reference = env["GITHUB_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert reference["name"] == secret["metadata"]["name"]
    assert reference["key"] in secret["stringData"] and not reference.get("optional", False)
    assert not [name for name, item in env.items() if "value" in item and "TOKEN" in name]
    for value in secret["stringData"].values():
        assert build_settings({}, {"GITHUB_TOKEN": value}, tmp_path).github_token is None


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined: (INSTRUCTION, rest)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_image_runs_enricher_as_the_non_root_user_of_the_cronjob() -> None:
    """python:3.11-slim, enricher as the entry point (so the CronJob's args are enricher's),
    and a numeric non-root user, the one the CronJob runs as (runAsNonRoot can only check a
    numeric one)."""
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [i for i, (name, _) in enumerate(instructions) if name == "USER"]
    assert users, "no USER: the image would run as root"
    entry = next(i for i, (name, _) in enumerate(instructions) if name == "ENTRYPOINT")
    assert users[-1] < entry
    uid, _, gid = instructions[users[-1]][1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and (not gid or int(gid) != 0)
    assert yaml.safe_load(instructions[entry][1]) == ["python", "-m", "enricher"]
    security = pod_spec()["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == int(uid)


def test_image_copies_what_pip_install_needs() -> None:
    """`pip install .` in the image builds from what was copied: pyproject.toml, the README it
    names and the package folders it finds."""
    copied = {
        source
        for name, rest in dockerfile()
        if name == "COPY"
        for source in rest.split()[:-1]
        if not source.startswith("--")
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {"pyproject.toml", project["project"]["readme"]}
    needed |= {
        p.split(".")[0] for p in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert needed <= copied
    assert any(name == "RUN" and "pip install ." in rest for name, rest in dockerfile())


@pytest.fixture
def configmap_mount(tmp_path: Path) -> Iterator[Path]:
    """The samples laid out as the kubelet mounts a ConfigMap: each key a symlink into
    ``..data``, itself a symlink to a timestamped folder."""
    mount = tmp_path / "digests"
    stamped = mount / "..2026_11_22_09_00_00.000000001"
    stamped.mkdir(parents=True)
    (mount / "..data").symlink_to(stamped.name)
    for sample in sorted(SAMPLES.glob("*.txt")):
        shutil.copyfile(sample, stamped / sample.name)
        (mount / sample.name).symlink_to(f"..data/{sample.name}")
    yield mount


def test_cronjob_command_runs_on_a_fresh_claim(tmp_path: Path, configmap_mount: Path) -> None:
    """The CronJob's own arguments, its paths moved into a temporary folder, offline: on an
    empty claim the run creates its cache, writes both reports, reads each digest of the
    ConfigMap once and writes nothing beside them; the invalid entry of digest 002 fails it
    (exit 1: a Failed Job) rather than a usage error (2) or an incomplete run (3)."""
    claim = tmp_path / "claim"
    claim.mkdir()
    mounts = {"/var/lib/enricher": str(claim), "/digests": str(configmap_mount)}
    assert {m["mountPath"] for m in container()["volumeMounts"]} >= mounts.keys()
    args = []
    for arg in map(str, container()["args"]):
        for inside, here in mounts.items():
            if arg == inside or arg.startswith(inside + "/"):
                arg = here + arg[len(inside) :]
        args.append(arg)
    before = snapshot(configmap_mount)
    result = enricher(*args, "--offline", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "63 links in 5 digests" in result.stdout
    assert (claim / "cache" / "status.json").is_file()
    assert (claim / "report.html").is_file() and (claim / "report.json").is_file()
    assert snapshot(configmap_mount) == before
