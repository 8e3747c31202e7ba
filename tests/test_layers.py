"""Imports only go down: each module of packer imports only the modules before it in
`LAYERS` (the order README's "Architecture" section gives), lazy imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import packer

# Lowest first. Shared records and utilities, then the stages in the order they run,
# then the orchestrator and its task inputs, then the commands built on it.
LAYERS = [
    # shared: errors and records, then utilities that know nothing of the stages
    "errors",
    "records",
    "tokens",
    "languages",
    "output",
    "secrets",
    "ignore",
    "blocks",
    "prices",
    "cache",
    "config",
    "render",
    "parts",
    # stages: walk, read, parse, measure, rank, dedup, fit
    "discover",
    "content",
    "symbols",
    "skeleton",
    "graph",
    "sketch",
    "measure",
    "rank",
    "dedup",
    "tree",
    "fit",
    # the task's inputs and the orchestrator
    "history",
    "task",
    "pipeline",
    # commands
    "stats",
    "chunker",
    "review",
    "cli",
    "__init__",
    "__main__",
]
PACKAGE = Path(packer.__file__).parent


def _imports(tree: ast.AST) -> set[str]:
    """The packer modules a module names, wherever the import statement sits."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("packer.")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "packer":
                found |= {a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists()}
            elif node.module.startswith("packer."):
                found.add(node.module.split(".")[1])
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("packer.")
            and node.value.count(".") == 1
        ):
            found.add(node.value.split(".")[1])  # importlib by name (packer/__init__'s lazy table)
    return found


def test_every_module_has_a_place_in_the_layers():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(LAYERS), (
        f"add to LAYERS: {sorted(modules - set(LAYERS))}; remove: {sorted(set(LAYERS) - modules)}"
    )


def test_imports_only_go_down():
    rank = {name: k for k, name in enumerate(LAYERS)}
    wrong = []
    for path in sorted(PACKAGE.glob("*.py")):
        me = path.stem
        for other in sorted(_imports(ast.parse(path.read_text(encoding="utf-8")))):
            if other in rank and other != me and rank[other] >= rank[me]:
                wrong.append(f"{me} imports {other}")
    assert wrong == []


def test_the_check_sees_lazy_imports():
    """A function-level import going up is caught (the check is not vacuous)."""
    code = "def f():\n    from packer.pipeline import pack\n    import packer.cli\n"
    assert _imports(ast.parse(code)) == {"pipeline", "cli"}
    assert _imports(ast.parse("from packer import rank, records\n")) == {"rank", "records"}


def test_public_functions_survive_their_modules_import() -> None:
    """`packer.review` and `packer.stats` stay the functions after their modules load."""
    import importlib

    for name in ("review", "stats"):
        module = importlib.import_module(f"packer.{name}")
        assert getattr(packer, name) is getattr(module, name)
        assert callable(getattr(packer, name))
    from packer import review, stats

    assert review.__module__ == "packer.review" and stats.__module__ == "packer.stats"


def test_no_module_import_shadowed_by_a_function() -> None:
    """`import packer.review as m` would bind the function (the package keeps it): forbidden."""
    shadowed = set(packer._LAZY) & {p.stem for p in PACKAGE.glob("*.py")}
    assert shadowed == {"review", "stats"}
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.parent.joinpath("tests").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.asname and a.name.split(".")[-1] in shadowed]
                assert not bad, f"{path}: import {bad[0]} as ... binds the function; use from-import"
