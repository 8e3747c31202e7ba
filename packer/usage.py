"""How often each file is used: a lexical scan of includes and imports.

Above `pipeline.SYMBOLS_LIMIT` code files the reference graph is left out (a cold parse
costs minutes); this is the cheap global structure that replaces it when there is no
task. Each code file's first `HEAD` bytes are matched with one regular expression per
language family (`#include "x.h"` / `<x.h>`, Python `import` / `from ... import`,
JavaScript `import ... from` / `require(...)`, Go import paths, Rust `mod x;`, Java and
Kotlin `import`), each name is resolved to repository paths (relative to the file first,
then by path suffix), and `count_uses` gives each file the number of other files that
use it; a name several files match gives each a share. A C/C++ source file gets half the
count of the header named like it in its directory tree (`mm/slab.c` for `mm/slab.h`):
it implements what the includers use.

It reads the files itself rather than through `measure`: the text it needs is a few KB
per file, the pipeline only asks for it when the ranking is not in the cache (a warm run
never scans), and a budgeted measure of a large tree does not keep each file's text.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HEAD = 8_192  # bytes of each file scanned: includes and imports come first
COMPANION = 0.5  # share of a header's count its same-named C/C++ source gets

_C_SRC = {".c", ".cc", ".cpp", ".cxx", ".m", ".mm"}
_C_HDR = {".h", ".hh", ".hpp", ".hxx", ".inc"}
_C_LIKE = _C_SRC | _C_HDR | {".s", ".dts", ".dtsi"}
_JS = {".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte"}
_JS_TRY = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", "/index.ts", "/index.tsx", "/index.js", "/index.jsx")

# Unanchored: a pattern that starts with a literal is searched several times faster.
_C_INCLUDE = re.compile(rb'#[ \t]*include[ \t]*([<"])([^>"\r\n]+)[>"]')
_PY_IMPORT = re.compile(
    rb"(?m)^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*\(?([\w \t,]*)"
    rb"|import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*))"
)
_JS_IMPORT = re.compile(
    rb"""(?:\bfrom[ \t]*|\brequire\(\s*|\bimport\(\s*|^[ \t]*import[ \t]+)['"]([^'"\r\n]+)['"]""", re.M
)
_GO_IMPORT = re.compile(rb'(?m)^[ \t]*(?:import[ \t]+)?(?:[\w.]+[ \t]+)?"([\w./-]+)"[ \t]*(?://.*)?$')
_RS_MOD = re.compile(rb"(?m)^[ \t]*(?:pub(?:\([^)]*\))?[ \t]+)?mod[ \t]+(\w+)[ \t]*;")
_JAVA_IMPORT = re.compile(rb"(?m)^[ \t]*import[ \t]+(?:static[ \t]+)?([\w.]+)")


def family(path: str) -> str | None:
    """Which scan applies to `path` (by extension), or None for a file that uses nothing."""
    ext = posixpath.splitext(path)[1].lower()
    if ext in _C_LIKE:
        return "c"
    if ext in (".py", ".pyi"):
        return "py"
    if ext in _JS:
        return "js"
    if ext == ".go":
        return "go"
    if ext == ".rs":
        return "rs"
    if ext in (".java", ".kt", ".scala"):
        return "java"
    return None


def references(kind: str, head: bytes) -> list[tuple[str, str]]:
    """What a file of scan `kind` names in its first bytes, as (how, name) pairs: how is
    "local" (a path relative to the file first), "global" (a path suffix anywhere), "py",
    "js", "go", "rs" or "java" (resolved by that language's rules)."""
    out: list[tuple[str, str]] = []
    if kind == "c":
        for m in _C_INCLUDE.finditer(head):
            out.append(
                ("local" if m.group(1) == b'"' else "global", m.group(2).decode("utf-8", "replace").strip())
            )
    elif kind == "py":
        for m in _PY_IMPORT.finditer(head):
            if m.group(1) is None:
                out.extend(
                    ("py", n.strip().decode("ascii", "replace")) for n in m.group(3).split(b",") if n.strip()
                )
                continue
            base = m.group(1).decode("ascii", "replace")
            out.append(("py", base))
            for n in m.group(2).split(b","):  # `from pkg import mod`: mod may be a module
                n = n.strip().split()[0] if n.strip() else b""
                if n and n != b"*":
                    out.append(
                        ("py?", base + ("" if base.endswith(".") else ".") + n.decode("ascii", "replace"))
                    )
    else:
        pattern = {"js": _JS_IMPORT, "go": _GO_IMPORT, "rs": _RS_MOD, "java": _JAVA_IMPORT}[kind]
        if kind == "go":
            head = head.split(b"\nfunc ", 1)[0]  # imports come before the first function
        out.extend((kind, m.group(1).decode("utf-8", "replace")) for m in pattern.finditer(head))
    return out


class _Resolver:
    """Names to repository paths: exact paths, path suffixes and Go package directories."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.index = {p: i for i, p in enumerate(paths)}
        self.by_name: dict[str, list[int]] = {}
        self.go_dirs: dict[str, list[int]] = {}
        for i, p in enumerate(paths):
            self.by_name.setdefault(posixpath.basename(p), []).append(i)
            if p.endswith(".go") and not p.endswith("_test.go"):
                parts = p.split("/")[:-1]
                for k in range(len(parts)):  # by every tail of its directory
                    self.go_dirs.setdefault("/".join(parts[k:]), []).append(i)
        self.paths = paths
        self.memo: dict[tuple[str, str], tuple[int, ...]] = {}

    def suffix(self, spec: str) -> tuple[int, ...]:
        """Files whose path is `spec` or ends with "/spec"."""
        spec = posixpath.normpath(spec).lstrip("/")
        if spec.startswith("../") or spec in (".", ".."):
            return ()
        got = self.memo.get(("\0", spec))
        if got is None:
            tail = "/" + spec
            cands = self.by_name.get(posixpath.basename(spec), ())
            got = tuple(i for i in cands if self.paths[i] == spec or self.paths[i].endswith(tail))
            self.memo["\0", spec] = got
        return got

    def exact(self, *candidates: str) -> tuple[int, ...]:
        for c in candidates:
            i = self.index.get(posixpath.normpath(c))
            if i is not None:
                return (i,)
        return ()

    def nearest(self, src: str, found: tuple[int, ...]) -> tuple[int, ...]:
        """Of the files a suffix matches, those nearest `src`: most leading directories
        shared, then fewest directories (`include/linux/x.h`, not `tools/include/linux/x.h`)."""
        if len(found) < 2:
            return found
        rank = {t: (shared_dirs(self.paths[t], src), -self.paths[t].count("/")) for t in found}
        best = max(rank.values())
        return tuple(t for t in found if rank[t] == best)

    def resolve(self, src: str, how: str, name: str) -> tuple[int, ...]:
        """The files `name` (as `references` gives it, in file `src`) refers to."""
        key = (src if how == "rs" else posixpath.dirname(src), how + "\0" + name)
        got = self.memo.get(key)
        if got is None:
            got = self.memo[key] = self._resolve(src, how, name)
        return got

    def _resolve(self, src: str, how: str, name: str) -> tuple[int, ...]:
        here = posixpath.dirname(src)
        if how == "local":
            return self.exact(posixpath.join(here, name)) or self.nearest(src, self.suffix(name))
        if how == "global":
            return self.nearest(src, self.suffix(name))
        if how == "py":
            return self._python(here, name)
        if how == "py?":  # a name imported from a module: a module itself, or not
            return self._python(here, name)
        if how == "js":
            if not name.startswith("."):
                return ()  # a package from the registry
            base = posixpath.join(here, name)
            return self.exact(*(base + t for t in _JS_TRY))
        if how == "go":
            return self._go(name)
        if how == "rs":
            stem = posixpath.splitext(posixpath.basename(src))[0]
            mod_dir = here if stem in ("mod", "lib", "main") else posixpath.join(here, stem)
            return self.exact(posixpath.join(mod_dir, name + ".rs"), posixpath.join(mod_dir, name, "mod.rs"))
        base = name.replace(".", "/")  # java: a.b.C
        return self.suffix(base + ".java") or self.suffix(base + ".kt")

    def _python(self, here: str, name: str) -> tuple[int, ...]:
        dots = len(name) - len(name.lstrip("."))
        rest = name[dots:].replace(".", "/")
        if dots:
            base = here
            for _ in range(dots - 1):
                base = posixpath.dirname(base)
            target = posixpath.join(base, rest) if rest else base
            return self.exact(target + ".py", posixpath.join(target, "__init__.py"))
        if not rest:
            return ()
        return self.suffix(rest + ".py") or self.suffix(rest + "/__init__.py")

    def _go(self, name: str) -> tuple[int, ...]:
        """The files of the package directory whose path ends the import path the most."""
        parts = name.split("/")
        for k in range(max(1, len(parts) - 1)):  # the module path's prefix is not in the tree
            got = self.go_dirs.get("/".join(parts[k:]))
            if got:
                return tuple(got)
        return ()


def _heads(root: Path, paths: Sequence[str], jobs: int) -> Iterator[bytes]:
    def read(path: str) -> bytes:
        try:
            with open(root / path, "rb") as f:
                return f.read(HEAD)
        except OSError:
            return b""

    with ThreadPoolExecutor(jobs) as pool:
        yield from pool.map(read, paths, chunksize=256)


def count_uses(root: Path, paths: Sequence[str], *, jobs: int | None = None) -> list[float]:
    """For each of `paths` (relative to `root`), how many other files include or import it."""
    counts = [0.0] * len(paths)
    scanned = [(i, kind) for i, p in enumerate(paths) if (kind := family(p)) is not None]
    resolver = _Resolver(paths)
    heads = _heads(root, [paths[i] for i, _ in scanned], jobs or min(8, 2 * (os.cpu_count() or 1)))
    for (i, kind), head in zip(scanned, heads, strict=True):
        src = paths[i]
        used: dict[int, float] = {}
        for how, name in references(kind, head):
            targets = [t for t in resolver.resolve(src, how, name) if t != i]
            for t in targets:
                used[t] = max(used.get(t, 0.0), 1.0 / len(targets))
        for t, share in used.items():
            counts[t] += share
    _credit_companions(paths, counts)
    return counts


def _credit_companions(paths: Sequence[str], counts: list[float]) -> None:
    """Give each C/C++ source `COMPANION` of the count of the nearest header named like it."""
    headers: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        stem, ext = posixpath.splitext(posixpath.basename(p))
        if ext.lower() in _C_HDR and counts[i] > 0:
            headers.setdefault(stem, []).append(i)
    credit: list[tuple[int, float]] = []
    for i, p in enumerate(paths):
        stem, ext = posixpath.splitext(posixpath.basename(p))
        if ext.lower() not in _C_SRC or stem not in headers:
            continue
        best = max(headers[stem], key=lambda h: (shared_dirs(paths[h], p), -len(paths[h])))
        if shared_dirs(paths[best], p) > 0:
            credit.append((i, COMPANION * counts[best]))
    for i, c in credit:
        counts[i] += c


def shared_dirs(a: str, b: str) -> int:
    """How many leading directories two paths share."""
    n = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        n += 1
    return n


def top_dir(path: str) -> str:
    """The top-level directory of `path` ("" for a file at the top)."""
    return path.split("/", 1)[0] if "/" in path else ""


def spread(keys: Iterable[tuple[float, str]]) -> list[float]:
    """Scores lowered by diminishing returns per directory, so that no directory takes
    the whole pack: a file's score is halved for every `half_life(n)` better files before
    it in its top-level directory (n: that directory's file count), and again for every
    `half_life` better files in its second-level directory."""
    items = list(keys)
    sizes: dict[str, int] = {}
    for _, p in items:
        for d in _dirs(p):
            sizes[d] = sizes.get(d, 0) + 1
    seen: dict[str, int] = {}
    out = [0.0] * len(items)
    for k in sorted(range(len(items)), key=lambda k: (-items[k][0], items[k][1])):
        score, path = items[k]
        factor = 1.0
        for d in _dirs(path):
            before = seen.get(d, 0)
            factor *= 0.5 ** (before / half_life(sizes[d]))
            seen[d] = before + 1
        out[k] = score * factor
    return out


def _dirs(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: k + 1]) for k in range(min(2, len(parts)))]


def half_life(files: int) -> float:
    """How many files of a directory of `files` files halve the next one's score: more for
    larger directories (the square root), so a large tree keeps more of the pack."""
    return 1.0 + math.sqrt(files) / 4.0
