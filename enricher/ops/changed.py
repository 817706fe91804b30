"""Which digests changed since a git ref (``--changed-only REF``), asked of git itself.

Changed means: differs between REF and the working tree (committed since, staged or not),
or is new and not ignored. Deleted files are not digests to check.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import ConfigError

GIT_TIMEOUT_S = 60.0


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
            check=False,
        )  # fmt: skip
    except FileNotFoundError:
        raise ConfigError("--changed-only needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"--changed-only: git {args[0]} took over {GIT_TIMEOUT_S:g} s") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise _GitFailed(lines[-1] if lines else f"git {args[0]} failed")
    return done.stdout


class _GitFailed(Exception):
    """git said no; the message is git's own last line."""


def _repository_root(folder: Path) -> Path:
    try:
        return Path(_git(["rev-parse", "--show-toplevel"], folder).strip()).resolve()
    except _GitFailed as exc:
        raise ConfigError(
            f"--changed-only: {folder} is not in a git repository ({exc}); run it in a clone, "
            "or name the digests to check instead"
        ) from None


def _changed_in(root: Path, ref: str) -> set[Path]:
    try:
        _git(["rev-parse", "--verify", f"{ref}^{{commit}}"], root)
    except _GitFailed as exc:
        raise ConfigError(
            f"--changed-only: {root} has no commit {ref!r} ({exc}); in CI, fetch the history "
            "(actions/checkout with fetch-depth: 0)"
        ) from None
    try:
        listed = _git(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", ref, "--"],
                      root)  # fmt: skip
        untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)
    except _GitFailed as exc:
        raise ConfigError(f"--changed-only: {root}: {exc}") from None
    names = [name for name in (listed + untracked).split("\0") if name]
    return {(root / name).resolve() for name in names}


def changed_digests(paths: list[Path], ref: str) -> list[Path]:
    """The digests among ``paths`` that changed since ``ref`` in the repository each lives in.

    A digest in no repository is an error (exit 2), never silently left out.
    """
    if ref.startswith("-"):
        raise ConfigError(f"--changed-only: {ref!r} is not a git ref")
    roots: dict[Path, Path] = {}
    changed: dict[Path, set[Path]] = {}
    kept: list[Path] = []
    for path in paths:
        folder = path.resolve().parent
        if folder not in roots:
            roots[folder] = _repository_root(folder)
        root = roots[folder]
        if root not in changed:
            changed[root] = _changed_in(root, ref)
        if path.resolve() in changed[root]:
            kept.append(path)
    return kept
