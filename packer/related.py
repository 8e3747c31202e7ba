"""What a task's own files say about the rest: the focus-mode signals of `packer.rank`.

A focus file or a file the diff changes ("task file") points at other files five ways,
each a vector in [0, 1] over all files:

- **neighbours**: the file imports or uses a task file, or a task file imports or uses it
  (one step in the reference graph, either direction; the edge's weight against the
  task file's strongest edge). **tested**: the same, one way, from the task files that
  are tests: what a test uses is the code under test.
- **companions**: the test named after a task file (`test_nodes.py` for `nodes.py`, in the
  nearest directory), or, for a task file that is a test, the file it is named after.
- **names**: the identifiers the task files define and use, and (with a diff) the ones
  the diff adds or removes at triple weight, scored against each file's own identifiers
  by BM25 (whole names, so `parse_args` does not match every `args`).
- **proximity**: how much of its directory path a file shares with the nearest task file
  (1 in the same directory, 0 with nothing in common).

`packer.rank` weighs them with `RankWeights` (learned on the tuning repositories, see
benchmarks/RANKING.md). numpy and bm25s load only when these run.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from packer.records import DiffSection
from packer.symbols import WORD
from packer.usage import shared_dirs

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from packer.graph import FileGraph

    FloatArray = npt.NDArray[np.float64]

NAMES_LIMIT = 400  # at most this many of the task files' identifiers (rarest first) in the query
DIFF_WEIGHT = 3  # a name on a line the diff adds or removes counts this many times


_TEST_AFFIX = re.compile(r"(?i)^tests?_|_tests?$|[._](test|spec)$|(?<=[a-z0-9])Tests?$|^Test(?=[A-Z])")
GENERIC_SUBJECTS = frozenset(
    {
        "init",
        "__init__",
        "conftest",
        "util",
        "utils",
        "index",
        "main",
        "helper",
        "helpers",
        "common",
        "mod",
        "lib",
        "tests",
        "test",
    }
)


def subject(path: str) -> str:
    """What a file is named for: `src/pkg/nodes.py` and `tests/test_nodes.py` -> "nodes";
    `a_test.go` -> "a"; `Foo.test.ts`, `FooTest.java` -> "foo"."""
    base = posixpath.basename(path)
    stem = base.split(".")[0]
    for ext in (".test.", ".spec."):
        i = base.find(ext)
        if i > 0:
            stem = base[:i]
    return _TEST_AFFIX.sub("", stem).lower()


def neighbours(graph: FileGraph | None, n: int, task: Iterable[int], way: str = "both") -> FloatArray:
    """1 step from a task file in the graph by edge weight (strongest = 1): `way` "uses"
    (what the task files use) or "both" (and what uses them)."""
    import numpy as np

    out = np.zeros(n)
    if graph is None or not graph.edge_count:
        return out
    m = graph.matrix
    mats = [m] if way == "uses" else [m, graph.incoming]
    for s in task:
        for mat in mats:
            lo, hi = int(mat.indptr[s]), int(mat.indptr[s + 1])
            if hi <= lo:
                continue
            cols = mat.indices[lo:hi]
            w = np.asarray(mat.data[lo:hi], dtype=np.float64)
            # sqrt: a file using one name of the task file is still a neighbour
            share = np.sqrt(w / float(w.max()))
            out[cols] = np.maximum(out[cols], share)
    for s in task:
        out[s] = 0.0
    return out


def companions(paths: Sequence[str], kinds: Sequence[str], task: Iterable[int]) -> dict[int, int]:
    """Test file <-> the file it tests, for each task file: companion -> task file."""
    by_subject: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        named = subject(p)
        if len(named) >= 3 and named not in GENERIC_SUBJECTS:
            by_subject.setdefault(named, []).append(i)
    out: dict[int, int] = {}
    task_set = set(task)
    for s in sorted(task_set):
        found = by_subject.get(subject(paths[s]), [])
        is_test = kinds[s] == "test"
        # a test's companion is a non-test file, a file's companion a test
        other = [t for t in found if t not in task_set and (kinds[t] == "test") != is_test]
        if not other or len(other) > 6:  # none, or a generic name many files share
            continue
        near = [shared_dirs(paths[t], paths[s]) for t in other]
        best = max(near)
        for t, k in zip(other, near, strict=True):
            if k == best:
                out.setdefault(t, s)
    return out


def diff_names(sections: Sequence[DiffSection]) -> list[str]:
    """The identifiers on the lines a diff adds or removes, in order, repeated as found."""
    out: list[str] = []
    for section in sections:
        for line in section.text.splitlines():
            if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")):
                out.extend(WORD.findall(line[1:]))
    return out


_IDENT = re.compile(r"^[A-Za-z_]\w{2,}$")


def names(
    graph: FileGraph | None, n: int, task: Sequence[int], changed_names: Sequence[str] = ()
) -> FloatArray:
    """BM25 of the task files' identifiers (and the diff's, weighted up) against every
    file's defined and used identifiers, scaled to [0, 1]; task files score 0."""
    import numpy as np

    out = np.zeros(n)
    if graph is None or not task:
        return out
    docs = _name_docs(graph, n)
    query = _query_names(graph.table.names, docs, set(task), changed_names)
    if not query:
        return out
    scores = _bm25_names(docs, query)
    for s in task:
        scores[s] = 0.0
    top = float(scores.max())
    return scores / top if top > 0 else out


def _name_docs(graph: FileGraph, n: int) -> list[list[int]]:
    """Per file, the names (indices into `table.names`) it defines and uses."""
    table = graph.table
    docs: list[list[int]] = [[] for _ in range(n)]
    for f, k in zip(table.def_file.tolist(), table.def_name.tolist(), strict=True):
        docs[f].append(k)
    for f, k in zip(table.ref_file.tolist(), table.ref_name.tolist(), strict=True):
        docs[f].append(k)
    return docs


def _query_names(
    all_names: Sequence[str], docs: Sequence[Sequence[int]], task: set[int], changed_names: Sequence[str]
) -> dict[int, int]:
    """The query: name -> how many times it counts. The task files' names once, the
    diff's `DIFF_WEIGHT` times; names no other file holds left out, the rarest kept."""
    df: dict[int, int] = {}
    for doc in docs:
        for k in set(doc):
            df[k] = df.get(k, 0) + 1
    wanted: dict[int, int] = {}
    in_task: dict[int, int] = {}
    for s in task:
        for k in set(docs[s]):
            in_task[k] = in_task.get(k, 0) + 1
            if _IDENT.match(all_names[k]):
                wanted[k] = 1
    index = {nm: k for k, nm in enumerate(all_names)}
    for word in changed_names:
        found = index.get(word)
        if found is not None and _IDENT.match(word):
            wanted[found] = DIFF_WEIGHT
    shared = sorted(
        (k for k in wanted if df.get(k, 0) > in_task.get(k, 0)), key=lambda k: (df[k], all_names[k])
    )
    return {k: wanted[k] for k in shared[:NAMES_LIMIT]}


def _bm25_names(docs: Sequence[Sequence[int]], query: Mapping[int, int]) -> FloatArray:
    """bm25s scores of `query` over `docs`, every name outside the query one stand-in term
    (the documents keep their lengths, the index stays small)."""
    import bm25s
    import numpy as np

    keep = {k: q for q, k in enumerate(query)}
    other = len(keep)
    vocab = {str(q): q for q in range(other)}
    vocab["\x00other"] = other
    vocab[""] = other + 1  # bm25s gives empty documents this token
    small = [[keep.get(k, other) for k in doc] for doc in docs]
    retriever = bm25s.BM25()
    retriever.index((small, vocab), show_progress=False)
    ids = [keep[k] for k, times in query.items() for _ in range(times)]
    return np.asarray(retriever.get_scores(ids), dtype=np.float64)


def proximity(paths: Sequence[str], task: Iterable[int]) -> FloatArray:
    """The share of directories a file shares with its nearest task file (same directory: 1)."""
    import numpy as np

    task_dirs = sorted({posixpath.dirname(paths[s]) for s in task})
    out = np.zeros(len(paths))
    if not task_dirs:
        return out
    split = [d.split("/") if d else [] for d in task_dirs]
    memo: dict[str, float] = {}
    for i, p in enumerate(paths):
        d = posixpath.dirname(p)
        got = memo.get(d)
        if got is None:
            parts = d.split("/") if d else []
            got = max(_closeness(parts, t) for t in split)
            memo[d] = got
        out[i] = got
    for s in task:
        out[s] = 0.0
    return out


def _closeness(a: list[str], b: list[str]) -> float:
    if a == b:
        return 1.0
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    return k / (max(len(a), len(b)) + 1)


def companion_vec(n: int, pairs: Mapping[int, int]) -> FloatArray:
    import numpy as np

    out = np.zeros(n)
    for t in pairs:
        out[t] = 1.0
    return out
