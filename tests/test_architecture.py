"""The layering rules: a pure core without I/O, and one place that reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "enricher"

EDGES = frozenset({"cache", "files", "cli", "pipeline", "knowledge", "terminal", "__main__"})
"""The top-level modules that own a dependency on disk, people or the whole run. Every other
top-level module is the pure core: a new one is held to its rules without editing a list."""

LAYERS = ("net", "ops", "authorities")
"""The folders: the HTTP machinery, the operations code, one authority per kind of link."""

CORE_FOLDERS = ("page_signals", "formats")
"""Folders of the pure core (one job split in modules), held to its rules like its modules."""

MAY_NOT_IMPORT: dict[str, frozenset[str]] = {
    "core": frozenset({*EDGES, *LAYERS}),
    "net": frozenset({*EDGES, "ops", "authorities"}),
    "authorities": frozenset({*EDGES, "ops"}),
    # The scheduler runs the pipeline; nothing else of ops reaches above it.
    "ops": frozenset({"cli", "terminal", "authorities"}),
}
"""What each layer must not import (first component below ``enricher``)."""

FORBIDDEN = frozenset(
    {"httpx", "httpcore", "arxiv", "requests", "sqlite3", "rich", "tenacity", "apscheduler",
     "time", "os", "socket", "asyncio"}
)  # fmt: skip
"""Libraries that do I/O or read the clock or environment: never in the pure core."""

ENV_READERS = frozenset({"cli.py", "config.py"})
"""The only modules allowed to mention the process environment."""


def modules() -> list[Path]:
    """Every module of the package, in every folder."""
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(path: Path) -> str:
    """``core``, ``edge`` or the folder a module lives in."""
    parts = path.relative_to(PACKAGE).parts
    if len(parts) > 1:
        return "core" if parts[0] in CORE_FOLDERS else parts[0]
    return "edge" if path.stem in EDGES else "core"


def dotted(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


PURE_CORE = [dotted(p) for p in modules() if layer_of(p) == "core" and dotted(p) != "__init__"]
IN_LAYERS = [dotted(p) for p in modules() if layer_of(p) in MAY_NOT_IMPORT]


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
    path = PACKAGE.joinpath(*name.split(".")).with_suffix(".py")
    offending = imported_top_level(tree(path)) & FORBIDDEN
    assert offending == set(), f"enricher/{name}.py imports {sorted(offending)}"


def test_only_cli_and_config_touch_the_environment() -> None:
    """Nothing but config (and cli, which hands os.environ to config) reads the environment."""
    everything = modules()
    assert len(everything) > len(PURE_CORE)
    readers = {path.name for path in everything if environment_reads(tree(path))}
    assert readers <= ENV_READERS, (
        f"unexpected environment reads in {sorted(readers - ENV_READERS)}"
    )
    mentions = {
        path.name
        for path in everything
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


def package_imports(path: Path) -> set[str]:
    """First components below ``enricher`` of every package import of the module at ``path``
    (relative ones resolved from its folder; absolute ``enricher.x`` ones too)."""
    here = list(path.relative_to(PACKAGE).parent.parts)
    names: set[str] = set()
    for node in ast.walk(tree(path)):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            parts = (node.module or "").split(".")
            if parts[0] != "enricher":
                continue
            base = parts[1:]
        else:
            up = node.level - 1
            base = here[: len(here) - up] if up else list(here)
            base = base + (node.module.split(".") if node.module else [])
        if base:
            names.add(base[0])
        else:
            names.update(alias.name for alias in node.names)
    return names


def test_layers_are_found_in_the_folders() -> None:
    """The package's folders and pure core are where the rules expect them, so none is vacuous."""
    assert {"models", "urls", "verdicts", "records", "report", "digest"} <= set(PURE_CORE)
    assert {"page_signals.__init__", "page_signals.walls", "page_signals.soft404"} <= set(PURE_CORE)
    assert {"formats.markdown", "formats.html", "formats.targets"} <= set(PURE_CORE)
    found = {layer_of(path) for path in modules()}
    assert found == {"core", "edge", *LAYERS}, found
    assert all((PACKAGE / name).is_dir() for name in LAYERS)


@pytest.mark.parametrize("name", IN_LAYERS, ids=IN_LAYERS)
def test_layers_import_only_below_themselves(name: str) -> None:
    """The pure core imports no folder or edge; net, ops and authorities stay in their lane."""
    path = PACKAGE / (name.replace(".", "/") + ".py")
    layer = layer_of(path)
    offending = package_imports(path) & MAY_NOT_IMPORT[layer]
    if layer == "ops" and path.stem == "scheduler":
        offending -= {"pipeline"}  # the background job's whole point is to run the pipeline
    assert offending == set(), f"enricher/{name} ({layer}) imports {sorted(offending)}"


def test_import_resolver_sees_relative_imports_from_folders() -> None:
    """``from ..pipeline import x`` in a folder counts as importing ``pipeline``."""
    assert "pipeline" in package_imports(PACKAGE / "ops" / "scheduler.py")
    assert "net" in package_imports(PACKAGE / "pipeline.py")
