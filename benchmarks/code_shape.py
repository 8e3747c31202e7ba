"""Function length and cyclomatic complexity of packer/, for issue 14's before/after figures.

Usage: python benchmarks/code_shape.py [SRC=packer] [--top N]
Complexity is radon's (McCabe, counting boolean operators and comprehension clauses);
length is a def's line span, decorators excluded. tests/test_layers.py holds packer to
at most MAX_LINES lines and MAX_COMPLEXITY, except where a `# long:` or `# complex:`
comment above the def says why.
"""

from __future__ import annotations

import sys
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Function


def functions(src: Path) -> list[tuple[str, str, int, int, int]]:
    """(file, name, line, lines, complexity) of every function and method under src."""
    rows = []
    for path in sorted(src.rglob("*.py")):
        for b in cc_visit(path.read_text(encoding="utf-8")):  # functions, classes, methods
            if isinstance(b, Function):
                name = f"{b.classname}.{b.name}" if b.classname else b.name
                rows.append((str(path), name, b.lineno, b.endline - b.lineno + 1, b.complexity))
    return rows


def main() -> None:
    args = sys.argv[1:]
    top = 15
    if "--top" in args:
        at = args.index("--top")
        top = int(args[at + 1])
        del args[at : at + 2]
    src = Path(args[0] if args else "packer")
    rows = functions(src)
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
