"""The file graph: which file uses what another defines, and which file imports which.

Nodes are files (their index in `paths`). An edge i -> j means "i depends on j": i
references identifiers that j defines, or i imports j. Edge weights follow Aider's
repository map, per identifier: `sqrt(references in i)`, divided by the number of files
that define the name, x10 for a long distinctive name (8+ characters, snake_case or
camelCase), x0.1 for a `_private` name and x0.1 for a name found in more than 5% of the
files (`get`, `name`, `run`: they say nothing about which file is meant). A reference to
a name that its own file defines stays local and makes no edge. Names defined in more than
`MAX_DEFINERS` files make no edges at all: each would weigh nearly nothing and their
pairs would grow quadratically. An import resolved to a file adds `IMPORT_WEIGHT`,
split across its targets when it names a whole package (Go, Java wildcards).

Every edge keeps why it exists: the identifier that weighs most on it, and whether it is
an import, so the ranker can say "uses parse_config from x.py" or "imports x.py".

`pagerank` is personalised PageRank over the weighted graph, computed as the sparse linear
system it is (scipy's BiCGSTAB) instead of networkx's power iteration over a Python graph
object, which is the same result (tests check it against `networkx.pagerank`) about a
hundred times faster on a large repository. Dangling files teleport like the
personalisation, as in networkx.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import posixpath
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import scipy.sparse as sp

from packer.records import FileSymbols, Import

MAX_DEFINERS = 32  # names defined in more files than this make no edges
COMMON_SHARE = 0.05  # a name in more than this share of the files is common...
COMMON_MIN_FILES = 20  # ...once that is more than this many files
DISTINCTIVE_LEN = 8
DISTINCTIVE_MUL = 10.0
PRIVATE_MUL = 0.1
COMMON_MUL = 0.1
IMPORT_WEIGHT = 10.0  # one import; as much as one distinctive name used once
ALPHA = 0.85

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Names(NamedTuple):
    """What the graph needs of one file's symbols, in a few tuples: a `FileSymbols` holds
    two objects per definition and reference (7K C files: 1.3M of them, 190 MB; this, 20 MB).

    `build_graph` takes either. `names_to_plain` and `names_from_plain` carry it through
    the cache and between processes."""

    language: str | None
    defined: tuple[str, ...]  # its definitions' names, in source order
    used: tuple[str, ...]  # the distinct names it references, in order of first use
    uses: tuple[int, ...]  # how often it references each
    imports: tuple[Import, ...]


def names_of(fs: FileSymbols | Names) -> Names:
    """The `Names` of a file's symbols (names interned: a repository's records share them)."""
    if isinstance(fs, Names):
        return fs
    used = Counter(sys.intern(r.name) for r in fs.references)
    return Names(
        fs.language,
        tuple(sys.intern(d.name) for d in fs.definitions),
        tuple(used),
        tuple(used.values()),
        fs.imports,
    )


def names_to_plain(n: Names) -> tuple[Any, ...]:
    """`n` as values `marshal` and `pickle` take."""
    return (n.language, n.defined, n.used, n.uses, tuple((i.module, i.names, i.line) for i in n.imports))


def names_from_plain(t: tuple[Any, ...]) -> Names:
    """What `names_to_plain` made; names interned again (unpickled strings are copies)."""
    language, defined, used, uses, imports = t
    intern = sys.intern
    return Names(
        language,
        tuple(map(intern, defined)),
        tuple(map(intern, used)),
        tuple(uses),
        tuple(Import(m, tuple(names), line) for m, names, line in imports),
    )


@dataclass(frozen=True)
class Edge:
    """Why file `src` depends on file `dst`."""

    src: int
    dst: int
    weight: float
    name: str  # the identifier that weighs most on the edge, "" if none
    imports: bool  # src imports dst


@dataclass(frozen=True, eq=False)
class NameTable:
    """Every identifier of the repository and which files define and use it, as arrays.

    Definitions are unique (file, name) pairs grouped by name: the files defining name k
    are `def_file[def_ptr[k]:def_ptr[k + 1]]`. References are unique (file, name) pairs
    sorted by file then name, with how often the file uses the name (a file's uses of a
    name it defines itself included).
    """

    names: list[str]
    def_file: IntArray
    def_name: IntArray
    def_ptr: IntArray
    ref_file: IntArray
    ref_name: IntArray
    ref_count: IntArray
    files_with_symbols: int

    def defined_in(self, k: int) -> tuple[int, ...]:
        """The files defining name `k` (an index into `names`)."""
        return tuple(int(f) for f in self.def_file[self.def_ptr[k] : self.def_ptr[k + 1]])

    @property
    def definers(self) -> IntArray:
        """Number of files defining each name."""
        return np.diff(self.def_ptr)


def name_table(n: int, symbols: Sequence[FileSymbols | Names | None]) -> NameTable:
    """The identifiers of `symbols` (one record or None per file, `n` files) as arrays.

    One pass over the records with C-level iteration per file: on a 78K-file repository
    (2.8M definitions, 7.6M references) this is where most of the graph's time goes.
    """
    got = _gather_names(n, [None if fs is None else names_of(fs) for fs in symbols])
    ids, names = _intern(got.names)
    v = max(len(names), 1)
    files = np.arange(n, dtype=np.int64)
    dkey = np.sort(np.repeat(files, got.def_len) * v + ids[: got.n_def])
    if len(dkey):
        dkey = dkey[np.concatenate(([True], dkey[1:] != dkey[:-1]))]
    dfile, dname = dkey // v, dkey % v
    order = np.lexsort((dfile, dname))
    dfile, dname = dfile[order], dname[order]
    def_ptr = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum(np.bincount(dname, minlength=len(names)), out=def_ptr[1:])
    rkey = np.repeat(files, got.ref_len) * v + ids[got.n_def :]  # unique per file already
    return NameTable(
        names=names,
        def_file=dfile,
        def_name=dname,
        def_ptr=def_ptr,
        ref_file=rkey // v,
        ref_name=rkey % v,
        ref_count=np.asarray(got.counts, dtype=np.int64),
        files_with_symbols=got.with_symbols,
    )


@dataclass(frozen=True, eq=False)
class _Gathered:
    """Every name occurrence of the records: definitions first, then each file's distinct
    references, with how many each file has."""

    names: list[str]
    n_def: int  # the first n_def names are definitions
    def_len: IntArray  # per file: its definitions
    ref_len: IntArray  # per file: its distinct referenced names
    counts: list[int]  # per reference: how often the file uses the name
    with_symbols: int  # files that define or use anything


def _gather_names(n: int, symbols: Sequence[Names | None]) -> _Gathered:
    all_names: list[str] = []
    def_len = np.zeros(n, dtype=np.int64)
    ref_len = np.zeros(n, dtype=np.int64)
    counts: list[int] = []
    with_symbols = 0
    for i, fs in enumerate(symbols):
        if fs is None or not (fs.defined or fs.used):
            continue
        with_symbols += 1
        all_names.extend(fs.defined)
        def_len[i] = len(fs.defined)
    n_def = len(all_names)
    for i, fs in enumerate(symbols):
        if fs is None or not fs.used:
            continue
        all_names.extend(fs.used)
        counts.extend(fs.uses)
        ref_len[i] = len(fs.used)
    return _Gathered(all_names, n_def, def_len, ref_len, counts, with_symbols)


def _intern(all_names: list[str]) -> tuple[IntArray, list[str]]:
    """An id per occurrence, and the distinct names in order of first occurrence.

    Names are grouped by their 64-bit hash, in numpy: a dict of millions of distinct
    strings costs cache misses per lookup and is several times slower. Ids follow first
    occurrence, so they do not depend on the process's hash seed. (Two names sharing a
    hash would merge; among 2M names the chance is about 1e-7.)
    """
    hashes = np.fromiter(map(hash, all_names), dtype=np.int64, count=len(all_names))
    order = np.argsort(hashes, kind="stable")
    new = np.ones(len(order), dtype=bool)
    new[1:] = hashes[order[1:]] != hashes[order[:-1]]
    group = np.cumsum(new) - 1  # per sorted position: its distinct hash, in hash order
    first = order[new]  # first occurrence of each distinct hash (the sort is stable)
    by_first = np.argsort(first, kind="stable")
    id_of = np.empty_like(by_first)
    id_of[by_first] = np.arange(len(by_first))
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = id_of[group]
    return ids, list(map(all_names.__getitem__, first[by_first].tolist()))


@dataclass(frozen=True, eq=False)
class FileGraph:
    """Files and their weighted dependency edges (CSR: row i lists what i depends on)."""

    paths: tuple[str, ...]
    matrix: sp.csr_array  # float64 n x n; [i, j] > 0 when i depends on j
    label: IntArray  # per stored entry of `matrix`: index into `table.names`, -1 for none
    imports: npt.NDArray[np.bool_]  # per stored entry: the edge comes (also) from an import
    table: NameTable

    @property
    def size(self) -> int:
        return len(self.paths)

    @functools.cached_property
    def incoming(self) -> sp.csr_array:
        """The edges reversed (row i lists the files depending on i), made once per graph."""
        return self.matrix.T.tocsr()

    @property
    def edge_count(self) -> int:
        return int(self.matrix.nnz)

    def _edge(self, src: int, k: int) -> Edge:
        m = self.matrix
        lab = int(self.label[k])
        return Edge(
            src,
            int(m.indices[k]),
            float(m.data[k]),
            self.table.names[lab] if lab >= 0 else "",
            bool(self.imports[k]),
        )

    def out_edges(self, i: int) -> list[Edge]:
        """What file i depends on, by target index."""
        return [self._edge(i, k) for k in range(int(self.matrix.indptr[i]), int(self.matrix.indptr[i + 1]))]

    def edge(self, src: int, dst: int) -> Edge | None:
        m = self.matrix
        lo, hi = int(m.indptr[src]), int(m.indptr[src + 1])
        k = lo + int(np.searchsorted(m.indices[lo:hi], dst))
        if k < hi and int(m.indices[k]) == dst:
            return self._edge(src, k)
        return None


def identifier_weight(name: str, definers: int, files: int, total_files: int) -> float:
    """How much one reference to `name` says about the file defining it (Aider's weighting).

    `definers`: files that define the name; `files`: files that define or use it;
    `total_files`: files with symbols.
    """
    mul = 1.0
    core = name.strip("_")
    if len(name) >= DISTINCTIVE_LEN and ("_" in core or (not core.islower() and not core.isupper())):
        mul *= DISTINCTIVE_MUL
    if name.startswith("_"):
        mul *= PRIVATE_MUL
    if files > max(COMMON_SHARE * total_files, COMMON_MIN_FILES):
        mul *= COMMON_MUL
    return mul / max(definers, 1)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while millions of small objects are made.

    The records of a large repository are tens of millions of live objects; every full
    collection walks them all, and building the graph's tables would trigger dozens
    (half the time on a 78K-file repository). Nothing made here forms cycles.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def build_graph(paths: Sequence[str], symbols: Sequence[FileSymbols | Names | None]) -> FileGraph:
    """The dependency graph of `paths` from their symbols (None: a file without symbols)."""
    with gc_paused():
        return _build_graph(paths, symbols)


def _build_graph(paths: Sequence[str], symbols: Sequence[FileSymbols | Names | None]) -> FileGraph:
    n = len(paths)
    if len(symbols) != n:
        raise ValueError(f"{len(symbols)} symbol records for {n} paths")
    names = [None if fs is None else names_of(fs) for fs in symbols]
    t = name_table(n, names)
    entries = _Entries.join(_reference_entries(t), _import_entries(paths, names))
    return _merged(paths, t, entries)


@dataclass(frozen=True, eq=False)
class _Entries:
    """Edge entries before merging: one per (referencing file, defining file, name), and
    one per (importing file, imported file)."""

    src: IntArray
    dst: IntArray
    val: FloatArray
    lab: IntArray  # the name, -1 for an import
    is_import: npt.NDArray[np.bool_]

    @staticmethod
    def join(refs: _Entries, imports: _Entries) -> _Entries:
        return _Entries(
            np.concatenate([refs.src, imports.src]),
            np.concatenate([refs.dst, imports.dst]),
            np.concatenate([refs.val, imports.val]),
            np.concatenate([refs.lab, imports.lab]),
            np.concatenate([refs.is_import, imports.is_import]),
        )


def _reference_entries(t: NameTable) -> _Entries:
    """The identifier entries: each file's uses of a name another file defines, weighted
    by `identifier_weight` (names that weigh nothing or have too many definers left out)."""
    names = t.names
    ndef = t.definers
    v = max(len(names), 1)
    # a file's uses of a name it defines itself stay local
    own = _member(t.ref_file * v + t.ref_name, np.sort(t.def_file * v + t.def_name))
    rfile, rname, rcount = t.ref_file[~own], t.ref_name[~own], t.ref_count[~own]
    nfiles = ndef + np.bincount(rname, minlength=len(names))  # files defining or using
    wanted = np.zeros(len(names), dtype=bool)
    wanted[rname] = True
    wanted &= (ndef > 0) & (ndef <= MAX_DEFINERS)
    mul = np.zeros(len(names), dtype=np.float64)
    total = t.files_with_symbols
    for k in np.flatnonzero(wanted).tolist():
        mul[k] = identifier_weight(names[k], int(ndef[k]), int(nfiles[k]), total)
    keep = mul[rname] > 0
    rfile, rname, rcount = rfile[keep], rname[keep], rcount[keep]
    # one entry per (referencing file, defining file, name)
    reps = ndef[rname]
    src = np.repeat(rfile, reps)
    lab = np.repeat(rname, reps)
    starts = np.repeat(t.def_ptr[rname], reps)
    within = np.arange(len(src), dtype=np.int64) - np.repeat(np.cumsum(reps) - reps, reps)
    dst = t.def_file[starts + within]
    val = np.repeat(np.sqrt(rcount.astype(np.float64)) * mul[rname], reps)
    return _Entries(src, dst, val, lab, np.zeros(len(val), dtype=bool))


def _import_entries(paths: Sequence[str], symbols: Sequence[Names | None]) -> _Entries:
    isrc, idst, ival = _import_edges(paths, symbols)
    lab = np.full(len(isrc), -1, dtype=np.int64)
    return _Entries(isrc, idst, ival, lab, np.ones(len(isrc), dtype=bool))


def _merged(paths: Sequence[str], t: NameTable, e: _Entries) -> FileGraph:
    """The graph with one edge per (src, dst): the entries' summed weight, labelled with
    the heaviest identifier (-1 for none) and marked when an import makes it."""
    n = len(paths)
    nn = max(n, 1)
    key = e.src * nn + e.dst
    order = np.argsort(key, kind="stable")
    key, val, lab, is_import = key[order], e.val[order], e.lab[order], e.is_import[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts_k = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    if len(key):
        data = np.add.reduceat(val, starts_k)
        any_import = np.logical_or.reduceat(is_import, starts_k)
        # the label: the first identifier entry with the group's largest identifier weight
        ident_val = np.where(lab >= 0, val, -1.0)
        best = np.maximum.reduceat(ident_val, starts_k)
        is_best = (ident_val == best[group]) & (lab >= 0)
        label = np.full(len(starts_k), -1, dtype=np.int64)
        pos = np.flatnonzero(is_best)[::-1]  # reversed: the first one of each group wins
        label[group[pos]] = lab[pos]
    else:
        data, any_import, label = np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
    ukey = key[starts_k]
    rows, cols = ukey // nn, ukey % nn
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    import scipy.sparse as sp  # 0.2 s to import: only when a graph is built

    matrix = sp.csr_array((data.astype(np.float64), cols, indptr), shape=(n, n))
    return FileGraph(paths=tuple(paths), matrix=matrix, label=label, imports=any_import, table=t)


def pagerank(
    graph: FileGraph,
    personalization: Mapping[int, float] | None = None,
    *,
    alpha: float = ALPHA,
    reverse: float = 0.0,
    tol: float = 1e-8,
) -> FloatArray:
    """PageRank of every file (sums to 1), teleporting to `personalization` (file -> weight).

    None or an empty/zero personalisation: uniform teleport (global rank). `reverse` > 0
    adds every edge backwards with that share of its weight, so rank also flows from a
    file to its users (callers, tests): closeness to a task rather than importance. Matches
    `networkx.pagerank(G, alpha, personalization)` with dangling files teleporting like
    the personalisation: x = alpha * (x P + (x . dangling) v) + (1 - alpha) v, so
    x (I - alpha P) = c v for a scalar c, and x is the solution y of
    (I - alpha P^T) y = v, scaled to sum 1.
    """
    n = graph.size
    if n == 0:
        return np.zeros(0)
    v = np.zeros(n)
    if personalization:
        for i, w in personalization.items():
            if w > 0:
                v[i] += w
    if v.sum() <= 0:
        v[:] = 1.0
    v /= v.sum()
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    m = graph.matrix
    if reverse > 0:  # also walk from a file to the files that depend on it
        m = (m + reverse * m.T).tocsr()
    out = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
    p = sp.diags_array(inv) @ m  # row-stochastic, dangling rows zero
    system = (sp.eye_array(n, format="csr") - alpha * p.T).tocsr()
    with np.errstate(all="ignore"):  # a breakdown is caught below, not warned about
        y, info = spla.bicgstab(system, v, x0=v.copy(), rtol=tol, atol=0.0, maxiter=1000)
    if info != 0 or not np.all(np.isfinite(y)):
        # BiCGSTAB can break down (a zero or overflowing inner product) and still report
        # success with NaNs, which would read as "every file equal": solve directly.
        y = spla.spsolve(system.tocsc(), v)
    y = np.maximum(np.asarray(y, dtype=np.float64), 0.0)
    total = y.sum()
    return y / total if total > 0 else np.full(n, 1.0 / n)


# -- imports resolved to files -----------------------------------------------------------

_JS_EXTS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts", ".vue", ".svelte")
_JS_LANGS = frozenset({"javascript", "typescript", "tsx"})
_JVM_EXTS = {"java": (".java", ".kt", ".scala"), "kotlin": (".kt", ".java"), "scala": (".scala", ".java")}
_CODE_EXTS = {
    "python": (".py", ".pyi"),
    "c": (".h", ".c"),
    "cpp": (".h", ".hpp", ".hh", ".hxx", ".cpp", ".cc"),
    "ruby": (".rb",),
    "php": (".php",),
    "bash": (".sh", ".bash"),
    "rust": (".rs",),
    "go": (".go",),
}


class _Resolver:
    """Maps an import, as written in one file, to files of the repository."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.index = {p: i for i, p in enumerate(paths)}
        self.paths = paths
        # files by their last one and last two path components; dirs by their last one
        self.by_tail: dict[str, list[int]] = defaultdict(list)
        self.dirs: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(paths):
            parts = p.rsplit("/", 2)
            self.by_tail[parts[-1]].append(i)
            if len(parts) > 1:
                self.by_tail[parts[-2] + "/" + parts[-1]].append(i)
            self.dirs[p.rpartition("/")[0]].append(i)
        self.memo: dict[tuple[str, bool], list[int]] = {}
        self.memo_closest: dict[tuple[str, bool, str], list[int]] = {}
        self.dirs_by_name: dict[str, list[str]] = defaultdict(list)
        for d in self.dirs:
            self.dirs_by_name[d.rpartition("/")[2]].append(d)

    def ending(self, suffix: str) -> list[int]:
        """Files whose path is `suffix` or ends with "/" + `suffix`."""
        parts = suffix.rsplit("/", 2)
        found = self.by_tail.get(parts[-1] if len(parts) == 1 else parts[-2] + "/" + parts[-1], [])
        if len(parts) <= 2:
            return found
        tail = "/" + suffix
        return [i for i in found if self.paths[i] == suffix or self.paths[i].endswith(tail)]

    def closest(self, candidates: Iterable[int], importer: str) -> list[int]:
        """Of several files, the one sharing the longest leading directories with `importer`."""
        cands = sorted(set(candidates))
        if len(cands) <= 1:
            return cands
        me = importer.split("/")[:-1]

        def shared(i: int) -> tuple[int, int, str]:
            parts = self.paths[i].split("/")[:-1]
            k = 0
            while k < min(len(me), len(parts)) and me[k] == parts[k]:
                k += 1
            return (-k, len(parts), self.paths[i])

        return [min(cands, key=shared)]

    def exact(self, *candidates: str) -> list[int]:
        for c in candidates:
            i = self.index.get(posixpath.normpath(c) if c else c)
            if i is not None:
                return [i]
        return []

    def suffix(self, suffix: str, importer: str, *, python: bool = False) -> list[int]:
        found = self.memo.get((suffix, python))
        if found is None:
            found = self.ending(suffix)
            if python:  # what precedes the module must be a sys.path root, not a package
                found = [i for i in found if self.paths[i][: -len(suffix)] + "__init__.py" not in self.index]
            self.memo[suffix, python] = found
        if len(found) <= 1:
            return found
        key = (suffix, python, importer.rpartition("/")[0])
        best = self.memo_closest.get(key)
        if best is None:
            best = self.memo_closest[key] = self.closest(found, importer)
        return best

    def unique_basename(self, name: str) -> list[int]:
        found = self.by_tail.get(name, [])
        return found if len(found) == 1 else []

    def package(self, dir_suffix: str, importer: str, exts: tuple[str, ...]) -> list[int]:
        """All files of a directory (a Go package, a Java wildcard import)."""
        tail = "/" + dir_suffix
        ds = sorted(
            d
            for d in self.dirs_by_name.get(dir_suffix.rpartition("/")[2], ())
            if d == dir_suffix or d.endswith(tail)
        )
        if not ds:
            return []
        if len(ds) > 1:
            me = importer.split("/")
            ds = [max(ds, key=lambda d: (_shared(d.split("/"), me), -len(d)))]
        return [
            i
            for i in self.dirs[ds[0]]
            if self.paths[i].endswith(exts) and not self.paths[i].endswith("_test.go")
        ]

    # -- per language -------------------------------------------------------------------

    def resolve(self, imp: Import, importer: str, language: str) -> list[int]:
        mod = imp.module
        if not mod:
            return []
        here = posixpath.dirname(importer)
        if language == "python":
            return self.python(imp, importer, here)
        if language in _JS_LANGS:
            return self.javascript(mod, here)
        if language in ("c", "cpp"):
            return (
                self.exact(posixpath.join(here, mod))
                or self.suffix(mod, importer)
                or self.unique_basename(posixpath.basename(mod))
            )
        if language == "go":
            return self.go(mod, importer)
        if language in _JVM_EXTS:
            return self.jvm(imp, importer, _JVM_EXTS[language])
        if language == "rust":
            return self.rust(imp, importer)
        if language in ("ruby", "php", "bash"):
            return self.script(imp, importer, here, language)
        return []

    def python(self, imp: Import, importer: str, here: str) -> list[int]:
        mod = imp.module
        level = len(mod) - len(mod.lstrip("."))
        rest = mod[level:].replace(".", "/")
        names = [n for n in imp.names if n and n != "*"]
        if level:  # relative: `from . import x`, `from ..a.b import c`
            base = here
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            target = posixpath.join(base, rest) if rest else base
            rel = [
                i
                for n in names
                for i in self.exact(
                    posixpath.join(target, n) + ".py", posixpath.join(target, n, "__init__.py")
                )
            ]
            if not rest:
                return rel or self.exact(posixpath.join(base, "__init__.py"))
            return self.exact(target + ".py", posixpath.join(target, "__init__.py")) + rel
        found = (
            self.suffix(rest + ".py", importer, python=True)
            or self.suffix(rest + ".pyi", importer, python=True)
            or self.suffix(rest + "/__init__.py", importer, python=True)
        )
        subs: list[int] = []
        all_modules = bool(names)
        for n in names:  # `from a import b` where b is a module
            sub = rest + "/" + n
            hit = self.suffix(sub + ".py", importer, python=True) or self.suffix(
                sub + "/__init__.py", importer, python=True
            )
            all_modules = all_modules and bool(hit)
            subs += hit
        return subs if all_modules else found + subs  # b defined in a: a itself is imported

    def javascript(self, mod: str, here: str) -> list[int]:
        if not mod.startswith("."):
            return []  # a package, or an alias the build resolves
        target = posixpath.normpath(posixpath.join(here, mod))
        stem = target
        for ext in (".js", ".jsx", ".mjs", ".cjs"):  # TypeScript imports "./x.js" for x.ts
            if target.endswith(ext):
                stem = target[: -len(ext)]
        return self.exact(target, *(stem + e for e in _JS_EXTS), *(target + "/index" + e for e in _JS_EXTS))

    def go(self, mod: str, importer: str) -> list[int]:
        parts = mod.split("/")
        external = "." in parts[0]  # github.com/...; without a dot: the standard library
        for k in range(len(parts)):
            if not external and k == 0 and len(parts) == 1:
                break
            suffix = "/".join(parts[k:])
            if not external and len(parts) - k < 2:
                break
            found = self.package(suffix, importer, (".go",))
            if found:
                return found
        return []

    def jvm(self, imp: Import, importer: str, exts: tuple[str, ...]) -> list[int]:
        base = imp.module.replace(".", "/")
        found: list[int] = []
        for n in imp.names or ("",):
            if n in ("*", "_"):
                found += self.package(base, importer, exts)
                continue
            for ext in exts:
                hit = self.suffix(posixpath.join(base, n) + ext if n else base + ext, importer)
                if hit:
                    found += hit
                    break
            else:  # `import static a.b.C.m`: module `a.b.C`
                for ext in exts:
                    hit = self.suffix(base + ext, importer)
                    if hit:
                        found += hit
                        break
        return found

    def rust(self, imp: Import, importer: str) -> list[int]:
        segs = [s for s in imp.module.split("::") if s]
        if not segs:
            return []
        stem = posixpath.splitext(importer)[0]
        module_dir = (
            posixpath.dirname(importer) if posixpath.basename(stem) in ("mod", "lib", "main") else stem
        )
        if segs[0] == "crate":
            parts = importer.split("/")
            root = (
                "/".join(parts[: len(parts) - 1 - parts[::-1].index("src")]) + "/src"
                if "src" in parts[:-1]
                else posixpath.dirname(importer)
            )
            base, segs = root.lstrip("/"), segs[1:]
        elif segs[0] in ("self", "super"):
            base = module_dir
            while segs and segs[0] in ("self", "super"):
                if segs[0] == "super":
                    base = posixpath.dirname(base)
                segs = segs[1:]
        else:  # another crate of the workspace: `name/src/lib.rs`
            lib = self.suffix(f"{segs[0].replace('_', '-')}/src/lib.rs", importer) or self.suffix(
                f"{segs[0]}/src/lib.rs", importer
            )
            if not lib:
                return []
            base, segs = posixpath.dirname(self.paths[lib[0]]), segs[1:]

        def module(path: str) -> list[int]:
            if not path or (path == base and not segs):
                return self.exact(
                    posixpath.join(base, "lib.rs"),
                    posixpath.join(base, "main.rs"),
                    posixpath.join(base, "mod.rs"),
                )
            return self.exact(path + ".rs", posixpath.join(path, "mod.rs"))

        target = posixpath.join(base, *segs) if segs else base
        found: list[int] = []
        for n in imp.names:
            n = n.split("::")[0]
            if n and n not in ("*", "self"):
                found += self.exact(posixpath.join(target, n) + ".rs", posixpath.join(target, n, "mod.rs"))
        return found or module(target)

    def script(self, imp: Import, importer: str, here: str, language: str) -> list[int]:
        mod = imp.module
        exts = _CODE_EXTS[language]
        if (language == "php" and "\\" in mod) or (imp.names and language == "php"):
            found: list[int] = []
            for n in imp.names or ("",):
                parts = [p for p in (mod + "\\" + n).split("\\") if p]
                for k in range(len(parts) - 1):
                    hit = self.suffix("/".join(parts[k:]) + ".php", importer)
                    if hit:
                        found += hit
                        break
            return found
        if mod.startswith("$") or "{" in mod:
            return []
        names = [mod] if mod.endswith(exts) else [mod + e for e in exts] + [mod]
        for m in names:
            hit = (
                self.exact(posixpath.join(here, m)) or self.exact(m) or self.suffix(m.lstrip("./"), importer)
            )
            if hit:
                return hit
        return self.unique_basename(posixpath.basename(names[0]))


def _member(keys: IntArray, sorted_keys: IntArray) -> npt.NDArray[np.bool_]:
    """keys in sorted_keys (np.isin without its hash table, several times faster here)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[pos] == keys)


def _shared(a: Sequence[str], b: Sequence[str]) -> int:
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k


def _import_edges(
    paths: Sequence[str], symbols: Sequence[Names | None]
) -> tuple[IntArray, IntArray, FloatArray]:
    resolver: _Resolver | None = None
    src: list[int] = []
    dst: list[int] = []
    val: list[float] = []
    for i, fs in enumerate(symbols):
        if fs is None or not fs.imports or fs.language is None:
            continue
        if resolver is None:
            resolver = _Resolver(paths)
        for imp in fs.imports:
            targets = sorted(set(resolver.resolve(imp, paths[i], fs.language)) - {i})
            for t in targets:
                src.append(i)
                dst.append(t)
                val.append(IMPORT_WEIGHT / len(targets))
    return (
        np.asarray(src, dtype=np.int64),
        np.asarray(dst, dtype=np.int64),
        np.asarray(val, dtype=np.float64),
    )
