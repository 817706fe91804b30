"""Which digests changed since a git ref (``--changed-only REF``), asked of git itself.

Changed means: differs between REF and the working tree (committed since, staged or not),
or is new and not ignored. Deleted files are not digests to check.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import ConfigError

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
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise ConfigError(f"--changed-only: git {args[0]}: {message}")
    return done.stdout


def changed_files(ref: str, cwd: Path) -> set[Path]:
    """Absolute paths of files changed since ``ref`` in the repository around ``cwd``."""
    if ref.startswith("-"):
        raise ConfigError(f"--changed-only: {ref!r} is not a git ref")
    try:
        root = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except ConfigError:
        raise ConfigError(
            f"--changed-only: {cwd} is not inside a git repository; run it from a clone, "
            "or name the digests to check instead"
        ) from None
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    listed = _git(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", ref, "--"], root)
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)
    names = [name for name in (listed + untracked).split("\0") if name]
    return {(root / name).resolve() for name in names}
