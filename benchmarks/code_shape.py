"""Function length and cyclomatic complexity of packer/, for issue 14's before/after figures.

Usage: python benchmarks/code_shape.py [SRC=packer] [--top N]
Complexity is ruff's C901 (McCabe), read from `ruff check --select C901` with a threshold of 0
so every function is reported; length is the def's line span (decorators excluded).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path


def lengths(src: Path) -> dict[tuple[str, str, int], int]:
    out: dict[tuple[str, str, int], int] = {}
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                end = node.end_lineno or node.lineno
                out[(str(path), node.name, node.lineno)] = end - node.lineno + 1
    return out


def complexities(src: Path) -> dict[tuple[str, int], int]:
    proc = subprocess.run(
        [
            "ruff",
            "check",
            "--isolated",
            "--select",
            "C901",
            "--config",
            "lint.mccabe.max-complexity=0",
            "--output-format",
            "concise",
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    out: dict[tuple[str, int], int] = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"(.+?):(\d+):\d+: C901 .* is too complex \((\d+) > 0\)", line)
        if m:
            out[(m.group(1), int(m.group(2)))] = int(m.group(3))
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 15
    src = Path(args[0] if args else "packer")
    lens = lengths(src)
    cx = complexities(src)
    rows = []
    for (path, name, line), n in lens.items():
        # ruff reports at the def line; a decorated def is reported at the def too
        rows.append((path, name, line, n, cx.get((path, line), 1)))
    print(f"functions: {len(rows)}   modules: {len({r[0] for r in rows})}")
    for limit in (50, 60):
        print(f"longer than {limit} lines: {sum(r[3] > limit for r in rows)}")
    for limit in (15, 20):
        print(f"complexity above {limit}: {sum(r[4] > limit for r in rows)}")
    print(f"\nlongest {top}:")
    for r in sorted(rows, key=lambda r: -r[3])[:top]:
        print(f"  {r[3]:4d} lines  cx {r[4]:3d}  {r[0]}:{r[2]} {r[1]}")
    print(f"\nmost complex {top}:")
    for r in sorted(rows, key=lambda r: -r[4])[:top]:
        print(f"  cx {r[4]:3d}  {r[3]:4d} lines  {r[0]}:{r[2]} {r[1]}")


if __name__ == "__main__":
    main()
