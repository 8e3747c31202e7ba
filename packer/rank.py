"""Which files matter most, best first.

`rank` fuses signals, each scaled to [0, 1] first, with the weights of `RankWeights`:

- pagerank: personalised PageRank over the def/ref and import graph (`packer.graph`),
  seeded by the focus files, the files the diff changes, the files defining identifiers
  the query names and the files whose paths match the query, walking edges forwards and
  (at half weight) backwards, divided by the same walk from everywhere: closeness to the
  task, not hubness. Without a task it is plain PageRank: the most depended-on modules.
- usage: without a graph (a repository above `pipeline.SYMBOLS_LIMIT` code files) and
  without a task, how many files include or import the file (`packer.usage`, a lexical
  scan), log-scaled; the order is then spread over the directories.
- bm25: the query against a document per file made of its identifiers (split on
  camelCase, snake_case and digits, whole names kept too) and its path terms (x3).
- symbols: the file defines an identifier the query names (longer names count more,
  names defined in many files less).
- cochange: how strongly a file changed with the task's files over the whole history;
  recency, churn: the newest 1,000 commits (`GitSignals`).
- neighbours, tested, companions, names, proximity: what the task's own files say about
  the others (`packer.related`), with focus or changed files.
- prior: what kind of file it is (`classify`): README, manifests and entry points up;
  tests, docs, examples, generated and vendored code down unless the task points at them.

The test file named after one of the best files (`test_nodes.py` for `nodes.py`) is
raised to `RankWeights.tests` of its score. The fused score is the weighted mean of the
signals that apply (a query-less task has no bm25, a repository without history no git
signals; a task of files without a query weighs them with the learned `focus_*` weights),
so it stays in [0, 1]; focus files
and changed files get `RankWeights.focus` on top, which puts them first. `reason` names
the two or three largest contributions in words. `default_order` is the fixed order used
when nothing else is known. numpy, scipy and bm25s load only when `rank` runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packer.records import FileInfo, FileSymbols, GitSignals, RankWeights, Task
from packer.related import GENERIC_SUBJECTS, subject
from packer.symbols import WORD as _WORD
from packer.usage import shared_dirs

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from packer.graph import FileGraph

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    TermArray = npt.NDArray[np.int32]
    _Part = tuple[float, FloatArray, str]  # (weight, values in [0, 1], signal name)

_README = re.compile(r"(?i)^readme(\.[a-z0-9]+)?$")
_DOC_EXT = {".md", ".rst", ".txt", ".adoc", ".markdown", ".org"}
_LEGAL = re.compile(r"(?i)^(license|licence|copying|notice|changelog|changes|history|news|authors)")
_MANIFESTS = {
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "package.json",
    "Cargo.toml",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "composer.json",
    "Makefile",
    "CMakeLists.txt",
    "tsconfig.json",
    "deno.json",
    "mix.exs",
    "Kconfig",
    "Kbuild",
    "meson.build",
    "BUILD.bazel",
    "MODULE.bazel",
    "WORKSPACE",
    "build.zig",
    "Package.swift",
    "build.sbt",
}
_TEST_DIRS = {"test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "fixtures"}
_TEST_FILE = re.compile(
    r"(?i)(^test_.*|.*_test\.[a-z]+$|.*\.(test|spec)\.[a-z]+$|.*_spec\.rb$|^conftest\.py$|.*Tests?\.(java|kt|cs|swift)$)"
)
_DOC_DIRS = {"doc", "docs", "documentation"}
_EXAMPLE_DIRS = {"example", "examples", "samples", "demo", "demos"}
_VENDOR_DIRS = {
    "vendor",
    "vendored",
    "third_party",
    "thirdparty",
    "third-party",
    "external",
    "node_modules",
    "bower_components",
    "_vendor",
    "deps",
}
_GENERATED = re.compile(
    r"(?i)(_pb2(_grpc)?\.pyi?$|\.pb\.(go|cc|h)$|\.g\.dart$|\.generated\.[a-z]+$|_generated\.[a-z]+$"
    r"|\.min\.(js|css)$|\.designer\.cs$)"
)
# Files a program starts in: by name anywhere below the top, or at the top or in src/.
_ENTRY_ANYWHERE = {"__main__.py", "main.go", "manage.py", "cli.py"}
_ENTRY_TOP = {
    "main.py",
    "app.py",
    "index.ts",
    "index.js",
    "index.mjs",
    "main.ts",
    "main.js",
    "main.rs",
    "lib.rs",
    "main.c",
    "main.cpp",
    "Main.java",
    "Program.cs",
    "main.swift",
}
REVERSE = 0.5  # share of each edge walked backwards in task mode
_TEXT_LANGS = {"markdown", "rst", "text", "json", "yaml", "toml"}


@dataclass(frozen=True, slots=True)
class Ranked:
    index: int  # into the FileInfo list
    score: float
    reason: str
    relevant: bool = True  # the task points at it (every file, when there is no task)


def classify(path: str, language: str | None) -> tuple[float, str]:
    """(score, reason) of a file by its place and kind: the prior, in [0, 1]."""
    parts = path.split("/")
    name = parts[-1]
    ext = posixpath.splitext(name)[1].lower()
    if len(parts) == 1:
        top = _top_level_kind(name, ext)
        if top is not None:
            return top
    aside = _kind_set_aside(name, {p.lower() for p in parts[:-1]})
    if aside is not None:
        return aside
    if _is_entry_point(parts):
        return 0.75, "entry point"
    if language is not None and language not in _TEXT_LANGS:
        return 0.5, "source"
    if ext in _DOC_EXT:
        return 0.3, "docs"
    return 0.2, "other"


def _top_level_kind(name: str, ext: str) -> tuple[float, str] | None:
    """The prior of a file at the top that says what the repository is (or only its history)."""
    if _README.match(name):
        return 1.0, "readme"
    if _LEGAL.match(name):
        return 0.35, "license or changelog"
    if ext in _DOC_EXT:
        return 0.9, "top-level doc"
    if name in _MANIFESTS:
        return 0.85, "package manifest"
    return None


def _kind_set_aside(name: str, dirs: set[str]) -> tuple[float, str] | None:
    """The low prior of vendored and generated code, tests, docs and examples (the kinds a
    task can point at)."""
    if dirs & _VENDOR_DIRS:
        return 0.05, "vendored"
    if _GENERATED.search(name):
        return 0.05, "generated"
    if dirs & _TEST_DIRS or _TEST_FILE.match(name):
        return 0.1, "test"
    if dirs & _DOC_DIRS:
        return 0.3, "docs"
    if dirs & _EXAMPLE_DIRS:
        return 0.25, "example"
    return None


def _is_entry_point(parts: Sequence[str]) -> bool:
    """Whether a program starts in this file: by name anywhere, or at the top, in src/ or cmd/."""
    name = parts[-1]
    return (
        name in _ENTRY_ANYWHERE
        or (name in _ENTRY_TOP and (len(parts) == 1 or parts[-2] in ("src", "cmd")))
        or (name == "main.go" and len(parts) == 3 and parts[0] == "cmd")
    )


def default_order(infos: Sequence[FileInfo]) -> list[Ranked]:
    """Files by prior alone, best first; ties broken by path so the order is deterministic."""
    ranked = [Ranked(i, *classify(f.path, f.language)) for i, f in enumerate(infos)]
    ranked.sort(key=lambda r: (-r.score, infos[r.index].path))
    return ranked


# -- text ----------------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_PATHLIKE = re.compile(r"[\w.-]*[\w-](?:/[\w.-]+)+|[\w-]+\.[A-Za-z]{1,5}\b")
# Words of requests and commit messages that say nothing about which file is meant.
_QUERY_NOISE = frozenset(
    {
        "fix",
        "fixed",
        "fixes",
        "fixing",
        "refs",
        "ref",
        "thanks",
        "thank",
        "report",
        "reported",
        "ticket",
        "closes",
        "close",
        "resolve",
        "resolves",
        "co",
        "authored",
        "signed",
        "reviewed",
        "issue",
        "issues",
        "bug",
        "bugs",
        "please",
        "made",
        "make",
        "allow",
        "allowed",
        "allows",
        "added",
        "adds",
        "used",
        "uses",
        "using",
        "instead",
        "also",
        "would",
        "could",
        "should",
        "new",
        "handle",
        "handled",
        "handling",
        "changed",
        "changes",
        "updated",
        "removed",
        "improved",
        "improve",
        "ensure",
        "ensured",
        "correctly",
        "properly",
        "now",
        "like",
        "via",
        "work",
        "works",
        "working",
        "need",
        "needs",
        "want",
        "way",
        "case",
        "cases",
        "e",
        "g",
        "eg",
        "ie",
        "etc",
        "http",
        "https",
        "www",
        "com",
        "github",
        # imperative verbs of commit subjects
        "add",
        "remove",
        "update",
        "replace",
        "move",
        "drop",
        "bump",
        "avoid",
        "support",
        "refactor",
        "clean",
        "cleanup",
        "rename",
        "deprecate",
        "revert",
        "tweak",
        "tweaks",
        "enable",
        "disable",
        "implement",
        "introduce",
        "prevent",
        "simplify",
        "minor",
        "small",
    }
)


def _stem(word: str) -> str:
    """A light, conservative plural folding: lookups -> lookup, queries -> query."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        return word[:-1]
    return word


def split_identifier(name: str) -> list[str]:
    """Search terms of one identifier: its lowercased parts, and the whole name if it has several.

    `parseConfig` -> ["parse", "config", "parseconfig"]; `HTTPServer_v2` -> ["http",
    "server", "httpserver_v2"]. Parts are folded to singular (`lookups` -> "lookup");
    numbers and one-letter parts are left out.
    """
    parts = [_stem(p.lower()) for p in _CAMEL.findall(name)]
    parts = [p for p in parts if len(p) > 1 and not p.isdigit()]
    if len(parts) > 1:
        whole = name.strip("_").lower()
        if whole and not whole.isdigit():
            parts.append(whole)
    return parts


_CAMEL_LINES = re.compile(_CAMEL.pattern + r"|\n")


def split_identifiers(names: Sequence[str]) -> list[list[str]]:
    """`split_identifier` of each name, in one regex pass over all of them (several times
    faster for the millions of identifiers of a large repository)."""
    if not names:
        return []
    stems: dict[str, str] = {}
    out: list[list[str]] = []
    parts: list[str] = []
    for tok in _CAMEL_LINES.findall("\n".join(names)):
        if tok == "\n":
            out.append(parts)
            parts = []
            continue
        st = stems.get(tok)
        if st is None:
            low = tok.lower()
            st = stems[tok] = _stem(low) if len(low) > 1 and not low.isdigit() else ""
        if st and (len(st) > 1 and not st.isdigit()):
            parts.append(st)
    out.append(parts)
    for name, got in zip(names, out, strict=True):
        if len(got) > 1:
            whole = name.strip("_").lower()
            if whole and not whole.isdigit():
                got.append(whole)
    return out


_PATH_SEP = re.compile(r"[/.\-\s]+")


def path_terms(path: str, cache: dict[str, list[str]] | None = None) -> list[str]:
    """Search terms of a path: every directory and the file name without its extension."""
    cache = {} if cache is None else cache
    out: list[str] = []
    for part in _PATH_SEP.split(posixpath.splitext(path)[0]):
        got = cache.get(part)
        if got is None:
            got = cache[part] = split_identifier(part) or ([part.lower()] if len(part) > 1 else [])
        out.extend(got)
    return out


@dataclass(frozen=True)
class _Query:
    terms: tuple[str, ...]  # BM25 terms, deduplicated, in order
    keys: dict[str, float]  # normalised identifier candidates -> how strongly they are named
    shown: dict[str, str]  # normalised key -> as written, for reasons
    paths: tuple[str, ...]  # path-like mentions ("query.py", "src/a/b.ts")
    pointed_kinds: frozenset[str]  # prior kinds the query asks for ("test", "docs", ...)


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


def _parse_query(text: str, stopwords: frozenset[str]) -> _Query:
    """The query as BM25 terms, identifier candidates, path mentions and the kinds of file it asks for."""
    words = _query_words(text)
    keys, shown = _identifier_keys(words, stopwords)
    paths = tuple(
        dict.fromkeys(
            m.group().strip("./") for m in _PATHLIKE.finditer(text) if not m.group().startswith("http")
        )
    )
    return _Query(_query_terms(words, stopwords), keys, shown, paths, _pointed_kinds(words))


def _query_words(text: str) -> list[tuple[str, bool]]:
    """The query's words, each with whether it is written like an identifier: snake_case,
    camelCase, called, or after a backtick or a dot."""
    words: list[tuple[str, bool]] = []
    for m in _WORD.finditer(text):
        w = m.group()
        ident = (
            "_" in w.strip("_")
            or any(c.isupper() for c in w[1:])
            or text[m.end() : m.end() + 1] == "("
            or (text[max(m.start() - 1, 0) : m.start()] in "`." and m.start() > 0)
        )
        words.append((w, ident))
    return words


def _query_terms(words: Sequence[tuple[str, bool]], stopwords: frozenset[str]) -> tuple[str, ...]:
    """BM25 terms: the parts of each word, deduplicated in order, stopwords left out (a
    stopword written as an identifier still gives its parts)."""
    terms: dict[str, None] = {}
    for w, ident in words:
        low = w.lower()
        if low in stopwords and not ident:
            continue
        for t in split_identifier(w) or ([low] if len(low) > 1 else []):
            if t not in stopwords:
                terms.setdefault(t, None)
    return tuple(terms)


def _identifier_keys(
    words: Sequence[tuple[str, bool]], stopwords: frozenset[str]
) -> tuple[dict[str, float], dict[str, str]]:
    """Normalised identifier candidates -> how strongly the query names them, and -> as written."""
    keys: dict[str, float] = {}
    shown: dict[str, str] = {}
    for i in range(len(words)):
        for key, raw, strength in _spellings(words, i, stopwords):
            if strength > keys.get(key, 0.0):
                keys[key] = strength
                shown[key] = raw
    return keys, shown


def _spellings(
    words: Sequence[tuple[str, bool]], i: int, stopwords: frozenset[str]
) -> Iterator[tuple[str, str, float]]:
    """(key, as written, strength) of the identifiers starting at word i: the word itself,
    and 2-3 words that may spell one (`parse config` -> parse_config)."""
    w, ident = words[i]
    for span in (1, 2, 3):
        group = words[i : i + span]
        if len(group) < span:
            break
        if span > 1 and any(g[0].lower() in stopwords for g in group):
            break
        raw = "_".join(g[0] for g in group) if span > 1 else w
        key = _norm(raw)
        if len(key) < 3 or (span == 1 and w.lower() in stopwords and not ident):
            continue
        if span == 1 and not ident and len(key) < 4:
            continue
        # as written like an identifier > words that spell one > a plain word
        yield key, raw, (3.0 if ident else 0.5) if span == 1 else 1.0


# Words of a query that point at a kind of file `classify` sets aside.
_KIND_WORDS = (
    (
        "test",
        frozenset({"test", "tests", "testing", "pytest", "unittest", "spec", "specs", "fixture", "fixtures"}),
    ),
    ("docs", frozenset({"doc", "docs", "documentation", "readme", "docstring", "docstrings"})),
    ("example", frozenset({"example", "examples", "sample", "samples", "demo"})),
)


def _pointed_kinds(words: Sequence[tuple[str, bool]]) -> frozenset[str]:
    """The kinds of file the query asks for by name ("the tests of ...", "docs for ...")."""
    lowered = {w.lower() for w, _ in words}
    return frozenset(kind for kind, said in _KIND_WORDS if lowered & said)


# -- ranking -----------------------------------------------------------------------------


def rank(
    infos: Sequence[FileInfo],
    *,
    symbols: Sequence[FileSymbols | None],
    task: Task = Task(),  # noqa: B008 - frozen, empty
    signals: GitSignals | None = None,
    weights: RankWeights = RankWeights(),  # noqa: B008 - frozen
    terms: Sequence[Sequence[str]] | None = None,
    graph: FileGraph | None = None,
    uses: Sequence[float] | None = None,
    docs: Documents | None = None,
    kinds: Priors | None = None,
) -> list[Ranked]:
    """Files best first (ties by path), each with a score and a reason a person can read.

    `symbols[i]` is the tree-sitter layer's record of `infos[i]` (None for files without
    one); `terms[i]`, if given, are extra words of file i (from its text) for the query to
    match; `graph` is `build_graph` of the same files, and `docs` their `documents`, if
    the caller has them already (then `symbols` and `terms` are not looked at), and
    `kinds` their `kinds`.
    `uses[i]`, if given, is how many files include or import file i (`packer.usage`):
    without a graph and without a task it stands in for PageRank, and the order is
    spread over the directories (see `_spread_order`).
    """
    from packer import graph as graphs

    n = len(infos)
    if len(symbols) != n or (terms is not None and len(terms) != n) or (uses is not None and len(uses) != n):
        raise ValueError("symbols (and terms and uses) must have one entry per file")
    if n == 0:
        return []
    paths = [f.path for f in infos]
    index = {p: i for i, p in enumerate(paths)}
    scope = _task_scope(task, paths, index)
    if graph is None and any(s is not None for s in symbols):
        graph = graphs.build_graph(paths, symbols)
    named = _named_by_query(graph, scope.query, paths)
    text = _text_relevance(paths, graph, terms, scope.query, docs)
    evidence = _Evidence(
        scope,
        named,
        text,
        closeness=_graph_closeness(graph, len(paths), scope, named, text),
        history=_history(signals, paths, index, scope),
        priors=_priors(infos, scope, kinds),
        uses=_uses(uses, graph, scope),
        tokens=[f.tokens for f in infos],
    )
    evidence = dataclasses.replace(evidence, related=_related(graph, paths, scope, evidence.priors))
    return _order(paths, graph, evidence, weights)


def _uses(uses: Sequence[float] | None, graph: FileGraph | None, scope: _Scope) -> FloatArray | None:
    """How many files use each file, when it stands in for the graph: no graph, no task."""
    import numpy as np

    if uses is None or not scope.global_mode or (graph is not None and graph.edge_count):
        return None
    return np.asarray(uses, dtype=np.float64)


@dataclass(frozen=True)
class _Scope:
    """What the task points at, as file indices and a parsed query."""

    focus: set[int]
    changed: set[int]  # changed by the diff, focus files left out
    query: _Query
    has_query: bool
    global_mode: bool  # no task at all: plain PageRank and the global prior
    diff_names: tuple[str, ...] = ()  # identifiers on the lines the diff adds or removes


def _task_scope(task: Task, paths: Sequence[str], index: Mapping[str, int]) -> _Scope:
    """The task's focus and changed files and its parsed query; without any, global mode."""
    focus = _resolve_paths(task.focus, paths, index)
    changed = _resolve_paths(task.changed, paths, index) - focus
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    stopwords = frozenset(STOPWORDS_EN_PLUS) | _QUERY_NOISE
    query = _parse_query(task.query, stopwords)
    has_query = bool(query.terms or query.keys)
    from packer import related

    global_mode = not (focus or changed or has_query)
    return _Scope(
        focus, changed, query, has_query, global_mode, tuple(related.diff_names(task.diff_sections))
    )


@dataclass(frozen=True)
class _Named:
    """Files the query names, by the identifiers they define or by their path."""

    sym_score: FloatArray
    sym_names: dict[int, list[str]]  # file -> the query's identifiers it defines
    mentioned: dict[int, str]  # file -> the path mention that names it


def _named_by_query(graph: FileGraph | None, query: _Query, paths: Sequence[str]) -> _Named:
    """The symbols signal (files defining what the query names) and the files it mentions by path."""
    import numpy as np

    sym_score = np.zeros(len(paths))
    sym_names: dict[int, list[str]] = {}
    if graph is not None and query.keys:
        sym_score, sym_names = _query_symbols(graph, query)
    return _Named(sym_score, sym_names, _mentioned_paths(query.paths, paths))


@dataclass(frozen=True)
class _Text:
    """The bm25 signal, the terms each file matched, and how well each path matches."""

    bm25: FloatArray
    matched_terms: dict[int, list[str]]
    path_score: FloatArray


def _text_relevance(
    paths: Sequence[str],
    graph: FileGraph | None,
    terms: Sequence[Sequence[str]] | None,
    query: _Query,
    given: Documents | None = None,
) -> _Text:
    """The query's words against each file's identifiers, path and extra terms (BM25)."""
    import numpy as np

    from packer import graph as graphs

    n = len(paths)
    bm25 = np.zeros(n)
    matched_terms: dict[int, list[str]] = {}
    path_score = np.zeros(n)
    if query.terms:
        with graphs.gc_paused():
            docs = given if given is not None else documents(paths, graph, terms)
            bm25, matched_terms = _bm25(docs.terms, docs.lengths, docs.ids, query.terms)
            path_score = _path_match(paths, docs.path_docs, query.terms)
            del docs
    return _Text(bm25, matched_terms, path_score)


@dataclass(frozen=True)
class _Closeness:
    """The pagerank signal: PageRank as walked (for reasons), scaled to [0, 1], and its seeds."""

    raw: FloatArray
    scaled: FloatArray
    seeds: dict[int, float]


def _graph_closeness(
    graph: FileGraph | None, n: int, scope: _Scope, named: _Named, text: _Text
) -> _Closeness:
    """PageRank seeded by the task's files, relative to a walk from everywhere; without a
    task, plain PageRank (the most depended-on files)."""
    import numpy as np

    from packer import graph as graphs

    pr = np.zeros(n)
    seeds: dict[int, float] = {}
    if graph is not None and graph.edge_count:
        seeds = _seeds(n, scope.focus, scope.changed, named.sym_score, text.path_score, named.mentioned)
        pr = graphs.pagerank(graph, seeds or None, reverse=0.0 if scope.global_mode else REVERSE)
    if seeds and graph is not None:
        # Closeness to the task, not importance: how much more often a walk from the
        # task's files visits a file than a walk from anywhere does. Hubs (builtins stubs,
        # utilities every file uses) get high PageRank from any seed and no lift.
        base = graphs.pagerank(graph, None, reverse=REVERSE)
        scaled = _scale_pagerank(pr / (base + float(np.median(base))), set(seeds))
    else:
        scaled = _scale_pagerank(pr, set(seeds) if not scope.global_mode else set())
    return _Closeness(pr, scaled, seeds)


@dataclass(frozen=True)
class _History:
    """The git signals: co-change with the task's files (and with which), recency, churn."""

    cochange: FloatArray
    co_with: dict[int, int]  # file -> the task file it co-changes with most
    recency: FloatArray
    churn: FloatArray


def _history(
    signals: GitSignals | None, paths: Sequence[str], index: Mapping[str, int], scope: _Scope
) -> _History | None:
    """Recent git history per file; None for a repository without history."""
    import numpy as np

    if signals is None:
        return None
    n = len(paths)
    co = np.zeros(n)
    co_with: dict[int, int] = {}
    rec = np.zeros(n)
    churn = np.zeros(n)
    for i, p in enumerate(paths):
        rec[i] = signals.recency.get(p, 0.0)
        churn[i] = signals.churn.get(p, 0.0)
    for s in sorted(scope.focus | scope.changed):
        for other, share in signals.cochange.get(paths[s], {}).items():
            j = index.get(other)
            if j is not None and j != s and share > co[j]:
                co[j] = share
                co_with[j] = s
    return _History(co, co_with, rec, churn)


@dataclass(frozen=True)
class _Related:
    """What the task's files say about the others (`packer.related`)."""

    neighbours: FloatArray
    tested: FloatArray  # what the task files that are tests use: the code under test
    companion_of: dict[int, int]  # test <-> tested file -> the task file it goes with
    names: FloatArray
    proximity: FloatArray


def _related(graph: FileGraph | None, paths: Sequence[str], scope: _Scope, priors: Priors) -> _Related | None:
    """The focus-mode signals; None without focus or changed files."""
    from packer import related

    task = sorted(scope.focus | scope.changed)
    if not task:
        return None
    n = len(paths)
    pairs = related.companions(paths, priors.reason, task)
    return _Related(
        neighbours=related.neighbours(graph, n, task),
        tested=related.neighbours(graph, n, [s for s in task if priors.reason[s] == "test"], "uses"),
        companion_of=pairs,
        names=related.names(graph, n, task, scope.diff_names),
        proximity=related.proximity(paths, task),
    )


@dataclass(frozen=True)
class Priors:
    """The prior signal: each file's kind score, and the kind in words."""

    score: FloatArray
    reason: list[str]


def kinds(infos: Sequence[FileInfo]) -> Priors:
    """`classify` of every file: the prior before a task points at a kind, the same for
    every task on the same files (kept across runs with the graph, `rank(kinds=...)`)."""
    import numpy as np

    got = [classify(f.path, f.language) for f in infos]
    return Priors(np.array([score for score, _ in got], dtype=np.float64), [why for _, why in got])


def _priors(infos: Sequence[FileInfo], scope: _Scope, base: Priors | None) -> Priors:
    """`kinds` of every file, raised to 0.5 for the kinds the task points at (a query
    about tests, a focus file that is a doc)."""
    import numpy as np

    base = kinds(infos) if base is None else base
    pointed = set(scope.query.pointed_kinds)
    for s in scope.focus | scope.changed:
        kind = base.reason[s]
        if kind in ("test", "docs", "example", "generated", "vendored"):
            pointed.add(kind)
    prior = base.score.copy()
    if pointed:
        raised = np.fromiter((why in pointed for why in base.reason), dtype=bool, count=len(infos))
        prior[raised] = np.maximum(prior[raised], 0.5)
    return Priors(prior, base.reason)


@dataclass(frozen=True)
class _Evidence:
    """Every signal's values for one task, as the phases of `rank` found them."""

    scope: _Scope
    named: _Named
    text: _Text
    closeness: _Closeness
    history: _History | None  # None without git history
    priors: Priors
    uses: FloatArray | None = None  # how many files use each (`packer.usage`); None with a graph
    related: _Related | None = None  # None without focus or changed files
    tokens: Sequence[int] = ()  # each file's (estimated) cost in full


def _signal_parts(graph: FileGraph | None, ev: _Evidence, w: RankWeights) -> list[_Part]:
    """The signals that apply to this task, each with its weight: a query-less task has no
    bm25, a repository without history no git signals. A task of files without a query
    weighs the shared signals with the focus-mode weights (`RankWeights.focus_*`)."""
    import numpy as np

    n = len(ev.priors.reason)
    files_only = bool(ev.scope.focus or ev.scope.changed) and not ev.scope.has_query
    parts: list[_Part] = []
    if graph is not None and graph.edge_count:
        parts.append((w.focus_pagerank if files_only else w.pagerank, ev.closeness.scaled, "pagerank"))
    elif ev.uses is not None:
        parts.append((w.pagerank, _unit(np.log1p(ev.uses)), "usage"))
    if ev.scope.has_query:
        parts.append((w.bm25, _unit(ev.text.bm25), "bm25"))
        symbols = np.maximum(_unit(ev.named.sym_score), _mentioned_vec(n, ev.named.mentioned))
        parts.append((w.symbols, symbols, "symbols"))
    if ev.related is not None:
        from packer import related

        parts.append((w.neighbours, ev.related.neighbours, "neighbours"))
        parts.append((w.tested, ev.related.tested, "tested"))
        parts.append((w.companions, related.companion_vec(n, ev.related.companion_of), "companions"))
        parts.append((w.names, ev.related.names, "names"))
        parts.append((w.proximity, ev.related.proximity, "proximity"))
    if ev.history is not None:
        if ev.scope.focus or ev.scope.changed:
            parts.append((w.focus_cochange if files_only else w.cochange, ev.history.cochange, "cochange"))
        recency = w.focus_recency if files_only else w.global_recency if ev.scope.global_mode else w.recency
        parts.append((recency, ev.history.recency, "recency"))
        parts.append((w.focus_churn if files_only else w.churn, ev.history.churn, "churn"))
    prior = w.global_prior if ev.scope.global_mode else w.focus_prior if files_only else w.prior
    parts.append((prior, ev.priors.score, "prior"))
    return parts


def _fuse(parts: Sequence[_Part], n: int) -> tuple[FloatArray, list[_Part]]:
    """The weighted mean of the signals, and each signal with its share of the total weight."""
    import numpy as np

    total_w = sum(p[0] for p in parts) or 1.0
    fused = np.zeros(n)
    for weight, values, _name in parts:
        fused += (weight / total_w) * values
    return fused, [(weight / total_w, values, name) for weight, values, name in parts]


def _order(paths: Sequence[str], graph: FileGraph | None, ev: _Evidence, w: RankWeights) -> list[Ranked]:
    """Fuse the signals, lift the tests of the best files, put the task's files first, and
    give every file its score, reason and relevance, best first (ties by path)."""
    import numpy as np

    n = len(paths)
    scope = ev.scope
    parts = _signal_parts(graph, ev, w)
    fused, shares = _fuse(parts, n)
    companion_of: dict[int, int] = {}
    if not scope.global_mode and w.tests > 0:
        companion_of = _lift_tests(paths, ev.priors.reason, fused, w.tests)
    focus_bonus = np.zeros(n)
    for k in scope.focus | scope.changed:
        focus_bonus[k] = w.focus
    final = fused + focus_bonus
    explain = _Explainer(
        focus=scope.focus,
        changed=scope.changed,
        near=_neighbours(graph, paths, scope.focus, scope.changed, ev.closeness.seeds),
        sym_names=ev.named.sym_names,
        matched_terms=ev.text.matched_terms,
        mentioned=ev.named.mentioned,
        co_with={j: paths[k] for j, k in ev.history.co_with.items()} if ev.history is not None else {},
        pr_raw=ev.closeness.raw,
        prior_reason=ev.priors.reason,
        global_mode=scope.global_mode,
        tested={t: paths[f] for t, f in companion_of.items()},
        companion_of={t: paths[f] for t, f in ev.related.companion_of.items()} if ev.related else {},
        seeds=ev.closeness.seeds,
        parts=shares,
        uses=ev.uses,
    )
    named = scope.focus | scope.changed | set(companion_of) | set(ev.named.mentioned)
    relevant = _relevant(n, scope.global_mode, parts, named)
    if ev.uses is not None:
        final, order = _spread_order(paths, final, ev.priors.reason, ev.tokens)
    else:
        order = sorted(range(n), key=lambda i: (-round(float(final[i]), 12), paths[i]))
    scores, relevance = final.tolist(), relevant.tolist()
    return [Ranked(i, round(scores[i], 6), explain.reason(i), bool(relevance[i])) for i in order]


# A file is relevant to a task when the task's own signals (graph closeness, text,
# symbols, co-change) give it at least this share of the best file's task score.
RELEVANT_SHARE = 0.25
_TASK_PARTS = ("pagerank", "bm25", "symbols", "cochange", "neighbours", "tested", "companions", "names")


_LEADS = frozenset({"readme", "top-level doc", "package manifest"})
LEAD_TOKENS = 4_000  # a top-level doc or build file larger than this is no introduction
OVERVIEW_TOKENS = 2_000  # an overview's files above this size lose score by sqrt(this / size)


def _spread_order(
    paths: Sequence[str], fused: FloatArray, kinds: Sequence[str], tokens: Sequence[int]
) -> tuple[FloatArray, list[int]]:
    """An overview's order without a graph: the top-level README, docs and build files
    first, then every other file by its score lowered by diminishing returns per
    directory (`usage.spread`), so the pack covers the tree rather than one directory.

    An overview is worth its tokens: a 20K-token header used by 50 files tells less per
    token than five 2K-token headers used by 40 each, so large files lose score (and a
    large top-level Makefile is not an introduction)."""
    import numpy as np

    from packer import usage

    n = len(paths)
    size = np.asarray(tokens if len(tokens) == n else [0] * n, dtype=np.float64)
    value = fused * np.minimum(1.0, np.sqrt(OVERVIEW_TOKENS / np.maximum(size, 1.0)))
    lead = [kinds[i] in _LEADS and "/" not in paths[i] and size[i] <= LEAD_TOKENS for i in range(n)]
    final = np.asarray(usage.spread(zip(value.tolist(), paths, strict=True)))
    order = sorted(range(n), key=lambda i: (not lead[i], -round(float(final[i]), 12), paths[i]))
    return final, order


def _relevant(n: int, global_mode: bool, parts: Sequence[_Part], named: set[int]) -> FloatArray:
    """What `--target auto` and `--split` must cover: everything without a task, else
    the files the task names and those its signals score near the best."""
    import numpy as np

    out = np.ones(n)
    if global_mode:
        return out
    score = np.zeros(n)
    for weight, values, name in parts:
        if name in _TASK_PARTS:
            score += weight * values
    best = float(score.max()) if n else 0.0
    out[:] = (score >= RELEVANT_SHARE * best) & (score > 0) if best > 0 else 0.0
    for i in named:
        out[i] = 1.0
    return out


def _mentioned_vec(n: int, mentioned: Mapping[int, str]) -> FloatArray:
    import numpy as np

    out = np.zeros(n)
    for i in mentioned:
        out[i] = 1.0
    return out


def _lift_tests(
    paths: Sequence[str], kinds: Sequence[str], fused: FloatArray, share: float, top: int = 30
) -> dict[int, int]:
    """Raise the tests named after the best files to `share` of their score, in place.

    A change to `nodes.py` usually changes `test_nodes.py` too, and the graph links them
    only one way (the test uses the module). Returns test file -> the file it tests.
    """
    tests: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        if kinds[i] == "test":
            named = subject(p)
            if len(named) >= 3 and named not in GENERIC_SUBJECTS:
                tests.setdefault(named, []).append(i)
    out: dict[int, int] = {}
    if not tests:
        return out
    best = sorted(range(len(paths)), key=lambda i: (-fused[i], paths[i]))[:top]
    for f in best:
        if kinds[f] == "test" or fused[f] <= 0:
            continue
        found = tests.get(subject(paths[f]), [])
        if len(found) > 3:  # a generic name many tests share
            continue
        if len(found) > 1 or "/" in paths[f]:  # the tests nearest the file, in its project
            near = [shared_dirs(paths[t], paths[f]) for t in found]
            found = [
                t
                for t, k in zip(found, near, strict=True)
                if k == max(near) and (k > 0 or "/" not in paths[f] or "/" not in paths[t])
            ]
        for t in found:
            if share * fused[f] > fused[t]:
                fused[t] = share * fused[f]
                out[t] = f
    return out


def _unit(values: FloatArray) -> FloatArray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values * 0.0


def _scale_pagerank(pr: FloatArray, seeds: set[int]) -> FloatArray:
    """PageRank scaled to [0, 1]: above the floor every file gets (a file nothing depends on
    scores 0), by the largest value among non-seed files, on a square-root scale (PageRank
    is heavy-tailed: a linear scale would leave all but a few files near 0). Seeds, which
    get the teleport mass, are capped at 1."""
    import numpy as np

    if not len(pr):
        return pr
    mask = np.ones(len(pr), dtype=bool)
    for s in seeds:
        mask[s] = False
    floor = float(pr.min())
    top = (float(pr[mask].max()) if mask.any() else float(pr.max())) - floor
    if top <= 0:
        return pr * 0.0
    return np.asarray(np.sqrt(np.clip((pr - floor) / top, 0.0, 1.0)))


def _resolve_paths(entries: Iterable[str], paths: Sequence[str], index: Mapping[str, int]) -> set[int]:
    """Indices of `entries`: exact paths, and directories ("dir/") meaning every file under them."""
    out: set[int] = set()
    dirs = []
    for e in entries:
        e = e.replace("\\", "/").removeprefix("./")
        if e in index and not e.endswith("/"):
            out.add(index[e])
        else:
            dirs.append(e.rstrip("/") + "/")
    if dirs:
        prefixes = tuple(d for d in dirs if d != "/")
        for i, p in enumerate(paths):
            if p.startswith(prefixes):
                out.add(i)
    return out


def _mentioned_paths(mentions: Sequence[str], paths: Sequence[str]) -> dict[int, str]:
    """Files whose path ends with a path the query mentions ("models/query.py", "README.md")."""
    out: dict[int, str] = {}
    if not mentions:
        return out
    for mention in mentions:
        tail = "/" + mention
        hits = [i for i, p in enumerate(paths) if p == mention or p.endswith(tail)]
        if 0 < len(hits) <= 5:
            for i in hits:
                out.setdefault(i, mention)
    return out


def _query_symbols(graph: FileGraph, query: _Query) -> tuple[FloatArray, dict[int, list[str]]]:
    """Files defining identifiers the query names: sum over names of strength x length / definers."""
    import numpy as np

    table = graph.table
    n = graph.size
    score = np.zeros(n)
    keys = query.keys
    if not keys or not table.names:
        return score, {}
    normalised = "\n".join(table.names).lower().replace("_", "").split("\n")
    ndef = table.definers
    hits = [k for k, key in enumerate(normalised) if key in keys and ndef[k] > 0]
    found: dict[int, list[tuple[float, str]]] = {}
    for k in hits:
        name = table.names[k]
        key = normalised[k]
        strength = keys[key]
        if name == query.shown.get(key):
            strength *= 1.5  # written exactly as defined
        if strength < 1.0 and ndef[k] > 3:
            continue  # a plain word that many files define: says nothing
        weight = strength * min(len(key), 24) ** 1.5 / float(ndef[k])
        for f in table.defined_in(k):
            score[f] += weight
            found.setdefault(f, []).append((weight, name))
    names_of = {
        f: list(dict.fromkeys(nm for _, nm in sorted(got, key=lambda x: (-x[0], x[1]))))
        for f, got in found.items()
    }
    return score, names_of


class _Vocab:
    """Term -> id, in first-seen order."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, words: Iterable[str]) -> list[int]:
        ids = self.ids
        return [ids.setdefault(t, len(ids)) for t in words]


@dataclass(frozen=True)
class Documents:
    """What the query is matched against, the same for every query on the same files: per
    file its BM25 document as term ids and its path terms, and the vocabulary. A caller
    that keeps it (`packer.pipeline`, across runs) ranks a new query without rebuilding it."""

    terms: TermArray  # every document's term ids, one after another
    lengths: IntArray  # each document's number of terms
    path_docs: list[list[str]]
    ids: dict[str, int]


def documents(
    paths: Sequence[str], graph: FileGraph | None, terms: Sequence[Sequence[str]] | None
) -> Documents:
    """The `Documents` of these files (`graph` and `terms` as `rank` takes them)."""
    from packer import graph as graphs

    with graphs.gc_paused():
        docs, path_docs, vocab = _documents(paths, graph, terms)
        flat, lengths = _flatten(docs)
    return Documents(flat, lengths, path_docs, vocab.ids)


def _flatten(docs: Sequence[Sequence[int]]) -> tuple[TermArray, IntArray]:
    import numpy as np

    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    # int32 ids: half the memory and the kept index (9M terms on the C sample); a
    # vocabulary of 2**31 words would not fit in memory first.
    flat = np.fromiter(itertools.chain.from_iterable(docs), dtype=np.int32, count=int(lengths.sum()))
    return flat, lengths


def _documents(
    paths: Sequence[str], graph: FileGraph | None, terms: Sequence[Sequence[str]] | None
) -> tuple[list[list[int]], list[list[str]], _Vocab]:
    """Per file: its BM25 document as term ids (identifier terms, path terms x3, extra terms),
    and its path terms."""
    vocab = _Vocab()
    cache: dict[str, list[str]] = {}
    path_docs = [path_terms(p, cache) for p in paths]
    docs = [vocab(pt) * 3 for pt in path_docs]
    if graph is not None:
        table = graph.table
        by_name = [
            vocab(got or [nm.lower()])
            for nm, got in zip(table.names, split_identifiers(table.names), strict=True)
        ]
        # definitions twice, references once (twice if used often): how much a file is "about" a name
        for f, k in zip(table.def_file.tolist(), table.def_name.tolist(), strict=True):
            docs[f].extend(by_name[k] * 2)
        for f, k, c in zip(
            table.ref_file.tolist(), table.ref_name.tolist(), table.ref_count.tolist(), strict=True
        ):
            docs[f].extend(by_name[k] * (2 if c >= 4 else 1))
    if terms is not None:
        # Comment words repeat across files (1.3M words, a few thousand distinct, on MEDIUM):
        # each is split and given its term ids once. Ids are handed out at first sight, as
        # without the memo, so the documents are the same.
        ids_of: dict[str, list[int]] = {}
        for i, extra in enumerate(terms):
            doc = docs[i]
            for word in extra:
                got = ids_of.get(word)
                if got is None:
                    got = ids_of[word] = vocab(
                        split_identifier(word) or ([word.lower()] if len(word) > 1 else [])
                    )
                doc.extend(got)
    return docs, path_docs, vocab


def _bm25(
    flat: TermArray, lengths: IntArray, ids: Mapping[str, int], query_terms: Sequence[str]
) -> tuple[FloatArray, dict[int, list[str]]]:
    """BM25 (bm25s' Lucene variant, k1 1.5, b 0.75) of the query over the documents (`flat`
    term ids, `lengths` per document), and each file's matched terms.

    bm25s would index every document for every query (2 s on 78K files); only the query's
    terms matter, so their counts come from one vectorised pass. The arithmetic is bm25s'
    own, in its order and dtypes (float32 idf and scores, the length norm in float64, terms
    summed in query order), so the scores are the same bit for bit: a test compares them.
    """
    import numpy as np

    n = len(lengths)
    q = [t for t in dict.fromkeys(query_terms) if t in ids]
    if not q or not n:
        return np.zeros(n), {}
    k1, b = 1.5, 0.75
    qids = np.array([ids[t] for t in q], dtype=np.int64)
    order = np.argsort(qids, kind="stable")
    pos = np.flatnonzero(np.isin(flat, qids))
    k = order[np.searchsorted(qids[order], flat[pos])]  # the query term at each hit
    doc = np.repeat(np.arange(n, dtype=np.int64), lengths)[pos]
    pairs, tf = np.unique(doc * len(q) + k, return_counts=True)
    doc, k = pairs // len(q), pairs % len(q)
    df = np.bincount(k, minlength=len(q))
    idf = np.array([math.log(1 + (n - f + 0.5) / (f + 0.5)) for f in df.tolist()], dtype=np.float32)
    l_avg = lengths.mean()
    # bm25s adds a float64 scalar to a float32 array: NumPy 2 computes in float64, 1.x in float32.
    wide = (np.float64(l_avg) + np.ones(1, np.float32)).dtype
    tf32 = tf.astype(np.float32).astype(wide)
    norm = (k1 * ((1 - b) + b * lengths[doc] / l_avg)).astype(wide)
    part = (idf[k].astype(wide) * (tf32 / (norm + tf32))).astype(np.float32)
    scores = np.zeros(n, dtype=np.float32)
    matched: dict[int, list[str]] = {}
    for t in range(len(q)):
        mine = k == t
        np.add.at(scores, doc[mine], part[mine])
        for i in doc[mine][part[mine] > 0].tolist():  # which terms each file matched, for its reason
            matched.setdefault(i, []).append(q[t])
    return scores.astype(np.float64), matched


def _path_match(
    paths: Sequence[str], path_docs: Sequence[Sequence[str]], query_terms: Sequence[str]
) -> FloatArray:
    """How well each path matches the query: idf of the query terms in it, the file name's twice."""
    import numpy as np

    n = len(path_docs)
    qset = set(query_terms)
    hits = [set(doc) & qset for doc in path_docs]
    df: dict[str, int] = {}
    for hit in hits:
        for t in hit:
            df[t] = df.get(t, 0) + 1
    score = np.zeros(n)
    for i, hit in enumerate(hits):
        if hit:
            base = set(path_terms(posixpath.basename(paths[i])))
            score[i] = sum(math.log(1 + n / df[t]) * (2.0 if t in base else 1.0) for t in hit)
    return score


def _seeds(
    n: int,
    focus: set[int],
    changed: set[int],
    sym_score: FloatArray,
    path_score: FloatArray,
    mentioned: Mapping[int, str],
) -> dict[int, float]:
    """The personalisation of PageRank: task files first, then what the query names."""
    shares: list[tuple[float, dict[int, float]]] = []
    if focus:
        shares.append((0.4, {i: 1.0 for i in focus}))
    if changed:
        shares.append((0.3, {i: 1.0 for i in changed}))
    if mentioned:
        shares.append((0.2, {i: 1.0 for i in mentioned}))
    if sym_score.any():
        shares.append((0.3, {int(i): float(sym_score[i]) for i in sym_score.nonzero()[0]}))
    if path_score.any():
        top = float(path_score.max())
        keep = path_score >= 0.5 * top
        shares.append((0.2, {int(i): float(path_score[i]) for i in keep.nonzero()[0]}))
    seeds: dict[int, float] = {}
    total_share = sum(s for s, _ in shares)
    for share, weights in shares:
        total = sum(weights.values())
        for i, v in weights.items():
            seeds[i] = seeds.get(i, 0.0) + share / total_share * v / total
    return seeds


def _neighbours(
    graph: FileGraph | None,
    paths: Sequence[str],
    focus: set[int],
    changed: set[int],
    seeds: Mapping[int, float],
    limit: int = 64,
) -> dict[int, str]:
    """For files next to a task file in the graph, how: "imports focus file x.py", ...

    Task files in order of priority (focus, changed, then the strongest query seeds), at
    most `limit` of them; a file keeps the first description it gets.
    """
    out: dict[int, str] = {}
    if graph is None or not graph.edge_count:
        return out
    order = [(s, "focus file ") for s in sorted(focus, key=lambda s: paths[s])]
    order += [(s, "changed file ") for s in sorted(changed, key=lambda s: paths[s])]
    task = focus | changed
    order += [
        (s, "") for s in sorted((s for s in seeds if s not in task), key=lambda s: (-seeds[s], paths[s]))
    ]
    incoming = graph.incoming  # row s: the files depending on s
    for s, label in order[:limit]:
        target = f"{label}{paths[s]}"
        for e in sorted(graph.out_edges(s), key=lambda e: (-e.weight, e.dst)):
            if e.dst not in out and e.dst not in task:
                out[e.dst] = f"used by {target} ({e.name})" if e.name else f"imported by {target}"
        lo, hi = int(incoming.indptr[s]), int(incoming.indptr[s + 1])
        for j in incoming.indices[lo:hi].tolist():
            if j not in out and j not in task:
                back = graph.edge(j, s)
                if back is not None:
                    out[j] = f"imports {target}" if back.imports else f"uses {back.name} from {target}"
    return out


_PLAIN_REASONS = {
    "recency": "changed recently",
    "churn": "changes often",
    "names": "shares identifiers with the task's files",
    "proximity": "near the task's files",
}


@dataclass
class _Explainer:
    focus: set[int]
    changed: set[int]
    near: Mapping[int, str]
    sym_names: Mapping[int, list[str]]
    matched_terms: Mapping[int, list[str]]
    mentioned: Mapping[int, str]
    co_with: Mapping[int, str]
    pr_raw: FloatArray
    prior_reason: Sequence[str]
    global_mode: bool
    tested: Mapping[int, str]  # test file -> the top file it is named after
    companion_of: Mapping[int, str]  # test or tested file -> the task file it goes with
    seeds: Mapping[int, float]
    parts: Sequence[_Part]
    uses: FloatArray | None = None

    def __post_init__(self) -> None:
        import numpy as np

        # Every file's contributions and their order, largest first (ties in part order, as
        # a stable sort of one file's would give), in two C passes instead of 78K sorts.
        self._contributions: list[list[float]] = []
        self._largest: list[list[int]] = []
        if self.parts:
            by_part = np.stack([w * np.asarray(values, dtype=np.float64) for w, values, _ in self.parts])
            self._contributions = by_part.T.tolist()
            self._largest = np.argsort(-by_part, axis=0, kind="stable").T.tolist()

    def reason(self, i: int) -> str:
        """The largest contributions to file i's score, in words (at most two)."""
        if i in self.focus:
            return "focus"
        if i in self.changed:
            return "changed in diff"
        out: list[str] = []
        contributions = self._contributions[i] if self._contributions else []
        largest = self._largest[i] if self._largest else []
        top = contributions[largest[0]] if largest else 0.0
        for k in largest:
            value, name = contributions[k], self.parts[k][2]
            if value <= 0 or (out and value < 0.25 * top) or len(out) >= 2:
                break
            text = self.describe(i, name)
            if text and text not in out:
                out.append(text)
        if i in self.tested:
            out = [f"tests {self.tested[i]}", *out][:2]
        if not out:
            out.append(self.prior_reason[i])
        return "; ".join(out)

    def describe(self, i: int, name: str) -> str:
        if name == "pagerank":
            if i in self.near:
                return self.near[i]
            if i in self.seeds:
                return ""  # a seed of the query: its other parts say why
            return f"{'global' if self.global_mode else 'graph'} rank {float(self.pr_raw[i]):.3g}"
        if name == "bm25":
            got = self.matched_terms.get(i)
            return "query: " + ", ".join(got[:3]) if got else ""
        if name == "symbols":
            if i in self.mentioned:
                return f"query names {self.mentioned[i]}"
            got = self.sym_names.get(i)
            return "defines " + ", ".join(got[:3]) if got else ""
        if name == "cochange":
            other = self.co_with.get(i)
            return f"co-changes with {other}" if other else ""
        if name in _PLAIN_REASONS:
            return _PLAIN_REASONS[name]
        if name in ("neighbours", "tested"):
            return self.near.get(i, "")
        if name == "companions":
            other = self.companion_of.get(i)
            return f"goes with {other} (test and tested)" if other else ""
        if name == "usage" and self.uses is not None:
            return f"used by {float(self.uses[i]):.0f} files"
        return self.prior_reason[i]
