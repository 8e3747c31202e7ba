"""Imports only go down: each module of packer imports only the modules before it in
`LAYERS` (the order README's "Architecture" section gives), lazy imports included."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
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
    "images",
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
    "usage",
    "related",
    "sketch",
    "measure",
    "snapshot",
    "rank",
    "dedup",
    "tree",
    "fit",
    # the task's inputs, the pack shapes and their writer, and the orchestrator
    "history",
    "task",
    "prepared",
    "write",
    "split",
    "single",
    "pipeline",
    # commands
    "stats",
    "report",
    "chunker",
    "corpus",
    "batch",
    "review",
    "mcp_server",
    "cli",
    "__init__",
    "__main__",
]
PACKAGE = Path(packer.__file__).parent
# This directory, not the package's neighbour: CI tests an installed (non-editable) packer.
TESTS = Path(__file__).parent


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
    for path in [*PACKAGE.glob("*.py"), *TESTS.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.asname and a.name.split(".")[-1] in shadowed]
                assert not bad, f"{path}: import {bad[0]} as ... binds the function; use from-import"


MAX_LINES = 60
MAX_COMPLEXITY = 20


def test_functions_are_short_and_simple() -> None:
    """No function in packer/ is above MAX_LINES lines or radon complexity MAX_COMPLEXITY,
    unless the comment line just above its def (or its decorators) starts with `# long:`
    or `# complex:` and says why."""
    from radon.complexity import cc_visit
    from radon.visitors import Function

    over = []
    for path in sorted(PACKAGE.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        decorated = {
            node.lineno: min([node.lineno, *(d.lineno for d in node.decorator_list)])
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        for b in cc_visit(source):
            if not isinstance(b, Function):
                continue
            length = b.endline - b.lineno + 1
            above = lines[decorated.get(b.lineno, b.lineno) - 2].strip()
            if length > MAX_LINES and not above.startswith("# long:"):
                over.append(f"{path.name}:{b.lineno} {b.name}: {length} lines")
            if b.complexity > MAX_COMPLEXITY and not above.startswith("# complex:"):
                over.append(f"{path.name}:{b.lineno} {b.name}: complexity {b.complexity}")
    assert not over, "split these into named phases, or say why above the def:\n" + "\n".join(over)


# Private names tests may still replace: lower-case flags and constants, not functions.
PATCHABLE = {
    "packer.ignore._re2": "the optional google-re2 module; None stands for it not installed",
}


def _packer_names(tree: ast.AST) -> dict[str, str]:
    """Local name -> what it names in packer ("packer.cache", "packer.output.Sink")."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "packer":
                    names[a.asname or "packer"] = a.name if a.asname else "packer"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "packer":
            names.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    return names


def _dotted(node: ast.expr, names: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, names)
        return None if base is None else f"{base}.{node.attr}"
    return None


PATCHERS = ("setattr", "delattr", "patch", "object")  # monkeypatch.setattr, mock.patch.object, ...


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _replaced(tree: ast.AST, names: dict[str, str]) -> Iterator[str]:
    """What the source replaces ("packer.x.name") where it says so literally: with a
    `PATCHERS` call (an object and a name, or a dotted name) or an assignment."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Attribute) and (base := _dotted(t.value, names)):
                    yield f"{base}.{t.attr}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first, *rest = node.args
            if called not in PATCHERS:
                continue
            if (dotted := _literal(first)) is not None:
                yield dotted
            elif rest and (name := _literal(rest[0])) and (base := _dotted(first, names)):
                yield f"{base}.{name}"


def _scripts(tree: ast.AST) -> Iterator[ast.AST]:
    """Python in string literals (a subprocess's `-c` script), f-string fields as `0`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "0" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if "packer" in text and "\n" in text:
            try:
                yield ast.parse(text)
            except SyntaxError:
                continue


def _owner(dotted: str) -> object | None:
    """The packer module (imported by its name) or class that `dotted` names."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part, None)
        return obj
    return None


def _private_patches(source: str) -> list[str]:
    """The private functions of packer (`_name` in a packer module or class, neither a
    dunder, an UPPER_CASE constant nor in `PATCHABLE`) that `source` replaces."""
    tree = ast.parse(source)
    found = []
    for code in [tree, *_scripts(tree)]:
        names = _packer_names(code)
        for dotted in _replaced(code, names):
            owner_name, _, name = dotted.rpartition(".")
            if not name.startswith("_") or name.endswith("__") or name.lstrip("_").isupper():
                continue
            owner = _owner(owner_name)
            in_packer = getattr(owner, "__name__" if inspect.ismodule(owner) else "__module__", "")
            if str(in_packer).split(".")[0] == "packer" and dotted not in PATCHABLE:
                found.append(dotted)
    return found


def test_tests_inject_faults_through_public_seams() -> None:
    """No test replaces a private function of packer: a fault goes in through a public seam
    (`pipeline.Stages`, a public function, or the system call the code makes)."""
    found = [
        f"{path.name}: {dotted}"
        for path in sorted(TESTS.glob("*.py"))
        if path.name != Path(__file__).name  # its sample below is of what is forbidden
        for dotted in _private_patches(path.read_text(encoding="utf-8"))
    ]
    assert found == [], "inject the fault through a public seam instead:\n" + "\n".join(found)


def test_the_seam_check_sees_private_patches() -> None:
    """The patches the tests used to make are caught (the check is not vacuous)."""
    old = (
        "import packer.content, packer.discover\n"
        "import packer.measure as measurelib\n"
        "from packer import cache as cachelib\n"
        "from packer import ignore\n"
        "def test(monkeypatch):\n"
        "    monkeypatch.setattr(packer.content, '_read', None)\n"
        "    monkeypatch.setattr(packer.discover, '_plain_list', None)\n"
        "    monkeypatch.setattr(measurelib, '_processes', None)\n"
        "    monkeypatch.setattr(cachelib, '_code_files', None)\n"
        "    monkeypatch.setattr('packer.discover._git_list', None)\n"
        "    monkeypatch.setattr(cachelib.Cache, '_get', None)\n"
        "    monkeypatch.setattr(cachelib, '_POSIX', False)\n"  # constants and flags may be set
        "    monkeypatch.setattr(cachelib, 'SETTLED_NS', 0)\n"
        "    monkeypatch.setattr(ignore, '_re2', None)\n"
        "    monkeypatch.setattr(cachelib.Cache, '__init__', None)\n"
        "    monkeypatch.setattr(os, '_exit', None)\n"  # not packer's
        "    script = (\n"
        "        'import packer, packer.pipeline as p\\n'\n"
        "        'p._write = dying\\n'\n"
        "        f'packer.pack({root!r})\\n'\n"
        "    )\n"
    )
    assert _private_patches(old) == [
        "packer.content._read",
        "packer.discover._plain_list",
        "packer.measure._processes",
        "packer.cache._code_files",
        "packer.discover._git_list",
        "packer.cache.Cache._get",
        "packer.pipeline._write",
    ]


# Tests mirror modules: tests/test_<module>.py holds the tests of packer/<module>.py.
# These modules are tested elsewhere, where it says:
TESTED_ELSEWHERE = {
    "__init__": "test_layers: the public functions the package loads lazily",
    "__main__": "test_output: its subprocess runs run `python -m packer`",
    "errors": "test_cli (a user error is one line and exit 1) and test_review (exit 3 and 0)",
}
# and these suites are scenarios that cut across modules:
SCENARIO_SUITES = {
    "test_layers": "the architecture: import layers, function size, test seams, this layout",
    "test_torture": "hostile trees and files through every command",
    "test_cache_trust": "another user who can write the cache changes nothing a pack or stats says",
    "test_leaks": "planted secrets of every kind, in every channel, leave in no output",
    "test_secret_files": "secret-bearing files and secrets in names, from the walk to the manifest",
    "test_secret_at_rest": "secrets never reach a chunk or the cache",
    "test_diff_gate": "the diff, query and @file inputs gated like the files, in packs and reviews",
    "test_properties": "random repositories through the walker, fitter, renderers, chunker and packs",
    "test_fuzz": "untrusted bytes through renderers, decoding, skeletons, symbols and chunks",
    "test_subprocess": "no program a repository configures runs when any stage runs git",
    "test_hooks": "the pre-commit hooks, installed by the pre-commit framework itself",
    "test_fake_openai": "the local OpenAI-compatible server (files, batches, images) the review tests use",
}


def test_tests_mirror_modules() -> None:
    """Every module has tests/test_<module>.py, unless `TESTED_ELSEWHERE` says where its
    tests are; every other test file is one of the `SCENARIO_SUITES`."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    suites = {p.stem for p in TESTS.glob("test_*.py")}
    mirrors = {f"test_{m}" for m in modules}
    missing = sorted(m for m in modules - TESTED_ELSEWHERE.keys() if f"test_{m}" not in suites)
    assert missing == [], f"add tests/test_<module>.py for: {missing}"
    stray = sorted(suites - mirrors - SCENARIO_SUITES.keys())
    assert stray == [], f"move these tests to test_<module>.py, or list the scenario suite: {stray}"
    stale = sorted(
        {m for m in TESTED_ELSEWHERE if m not in modules or f"test_{m}" in suites}
        | (SCENARIO_SUITES.keys() - suites)
        | (SCENARIO_SUITES.keys() & mirrors)
    )
    assert stale == [], f"remove from TESTED_ELSEWHERE or SCENARIO_SUITES: {stale}"
