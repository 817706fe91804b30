"""The layering rules: a pure core without I/O, and one place that reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "enricher"

PURE_CORE = (
    "digest", "urls", "verdicts", "records", "report", "facts", "netwatch", "models", "status",
    "schedules", "pacing",
)  # fmt: skip
"""Modules that decide things from values and never touch the network, disk, clock or env."""

FORBIDDEN = frozenset(
    {"httpx", "arxiv", "requests", "sqlite3", "rich", "tenacity", "time", "os", "socket"}
)
"""Libraries that do I/O or read the clock or environment."""

ENV_READERS = frozenset({"cli.py", "config.py"})
"""The only modules allowed to mention the process environment."""


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_top_level(module: ast.Module) -> set[str]:
    """Top-level names of every absolute import, wherever it appears (functions included)."""
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) in {
                "__import__", "import_module",
            }
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):  # fmt: skip
            names.add(node.args[0].value.split(".")[0])
    return names


def environment_reads(module: ast.Module) -> list[ast.AST]:
    """Nodes that read the process environment: ``os.environ``, ``getenv``, ``from os import``."""
    names = {"environ", "environb", "getenv"}
    found: list[ast.AST] = []
    for node in ast.walk(module):
        attribute = isinstance(node, ast.Attribute) and node.attr in names
        name = isinstance(node, ast.Name) and node.id in names
        from_os = (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and bool({alias.name for alias in node.names} & names)
        )
        if attribute or name or from_os:
            found.append(node)
    return found


def test_checker_helpers_see_what_they_look_for() -> None:
    """The import and environment scanners catch the forms they are meant to catch."""
    sample = ast.parse(
        "import os.path\nfrom httpx import Client\n"
        "def f():\n    import socket\n    return os.environ.get('X'), os.getenv('Y')\n"
        "from . import urls\n"
    )
    assert imported_top_level(sample) == {"os", "httpx", "socket"}
    assert len(environment_reads(sample)) == 2


@pytest.mark.parametrize("name", PURE_CORE, ids=list(PURE_CORE))
def test_pure_core_does_no_io(name: str) -> None:
    """Pure-core modules import no network, database, terminal, retry, clock or OS library."""
    path = PACKAGE / f"{name}.py"
    assert path.is_file(), f"{path} is missing"
    offending = imported_top_level(tree(path)) & FORBIDDEN
    assert offending == set(), f"enricher/{name}.py imports {sorted(offending)}"


def test_only_cli_and_config_touch_the_environment() -> None:
    """Nothing but config (and cli, which hands os.environ to config) reads the environment."""
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > len(PURE_CORE)
    readers = {path.name for path in modules if environment_reads(tree(path))}
    assert readers <= ENV_READERS, (
        f"unexpected environment reads in {sorted(readers - ENV_READERS)}"
    )
    mentions = {
        path.name
        for path in modules
        if any(word in path.read_text(encoding="utf-8") for word in ("os.environ", "getenv"))
    }
    assert mentions <= ENV_READERS, f"os.environ or getenv in {sorted(mentions - ENV_READERS)}"


def test_cli_reads_the_environment_only_in_main() -> None:
    """cli.py touches os.environ only in ``main``, to pass it to config."""
    module = tree(PACKAGE / "cli.py")
    mains = [
        node for node in module.body if isinstance(node, ast.FunctionDef) and node.name == "main"
    ]
    assert len(mains) == 1
    inside_main = {id(node) for node in ast.walk(mains[0])}
    outside = [node for node in environment_reads(module) if id(node) not in inside_main]
    assert outside == [], [ast.unparse(node) for node in outside]


EDGES = frozenset(
    {"checker", "net", "arxiv_api", "github_api", "cache", "files", "cli", "pipeline", "retries"}
)
"""Modules that own a dependency or orchestrate; the pure core must not reach them."""


def relative_imports(module: ast.Module) -> set[str]:
    """Sibling modules imported with ``from .x import`` or ``from . import x``."""
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("name", PURE_CORE, ids=list(PURE_CORE))
def test_pure_core_does_not_import_edges(name: str) -> None:
    """A pure module cannot do I/O second-hand by importing an edge module of the package."""
    offending = relative_imports(tree(PACKAGE / f"{name}.py")) & EDGES
    assert offending == set(), f"enricher/{name}.py imports {sorted(offending)}"
