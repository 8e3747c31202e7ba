"""Typed records passed between pipeline stages.

Every stage is a function of these records, never of CLI options, so a test can
build the input of any stage by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from packer.errors import ConfigError

Mode = Literal["full", "skeleton", "listed"]

# packer's version: the manifest records it (`packer.__version__` is this).
PACKER_VERSION = "0.1.0"

# A pack's stages in the order they run; `progress(stage, done, total)` is called for each
# (`done == total` when one ends). A stage a pack does not need (verify, for a pack that is
# not written to a file) is not reported; `fit` and `render` repeat for `--target auto` and
# split packs.
Stage = Literal["walk", "read", "count", "rank", "dedup", "fit", "render", "verify"]
STAGES: tuple[Stage, ...] = ("walk", "read", "count", "rank", "dedup", "fit", "render", "verify")

# Kinds of content skipped by default; each can be kept with `keep=`. "secrets-file":
# files made to hold credentials (`.env`, `*.pem`, ...), kept still redacted.
KEEP_KINDS = ("binary", "undecodable", "generated", "vendored", "lockfile", "minified", "secrets-file")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A regular file the walker found and the ignore rules let through."""

    path: str  # relative to the root, "/" separators
    abspath: str
    size: int
    stamp: tuple[int, int, int] | None = None  # lstat (mtime_ns, ctime_ns, inode): the cache's stat key


SkipKind = Literal[
    # by name or by content (each kept with `keep=`, see `KEEP_KINDS`)
    "lockfile",
    "minified",
    "binary",
    "undecodable",
    "generated",  # detail: "marker", or the .gitattributes attribute
    "vendored",  # detail: how many files a vendored directory holds, or the attribute
    "secrets-file",
    "secret-in-name",  # detail: how many files, for a directory whose name holds one
    # by the rules
    "packer-output",
    "packerignore",
    "excluded",  # detail: the --exclude pattern
    "not-included",
    "nested-repository",
    "submodule",
    # by what the file system says
    "too-large",  # detail: "<size> bytes > <limit>"
    "unreadable",  # detail: the OS error
    "vanished-before-read",
    "vanished-during-walk",
    "not-regular",  # detail: "fifo", "socket", "device", "symlink", ...
    "symlink",  # to a file inside root; detail: its target
    "symlink-loop",
    "broken-symlink",
    "symlink-outside-root",
    "symlink-to-directory",
    "symlink-to-special",  # detail: what it points at ("fifo", ...)
]

# Each kind's summary label (`stats`, the pack's last line) and its text: "{}" stands for
# the detail, which otherwise follows in parentheses when there is one.
_SKIP_TEXTS: dict[SkipKind, tuple[str, str]] = {
    "lockfile": ("lockfile", "lockfile"),
    "minified": ("minified", "minified"),
    "binary": ("binary", "binary"),
    "undecodable": ("undecodable", "undecodable (not UTF-8)"),
    "generated": ("generated", "generated"),
    "vendored": ("vendored", "vendored"),
    "secrets-file": ("secrets file", "secrets file"),
    "secret-in-name": ("secret in file name", "secret in file name"),
    "packer-output": ("packer output", "packer output"),
    "packerignore": (".packerignore", ".packerignore"),
    "excluded": ("excluded by", "excluded by --exclude {}"),
    "not-included": ("not matched by", "not matched by --include"),
    "nested-repository": ("nested git repository", "nested git repository"),
    "submodule": ("git submodule", "git submodule"),
    "too-large": ("too large", "too large"),
    "unreadable": ("unreadable", "unreadable: {}"),
    "vanished-before-read": ("vanished before it was read", "vanished before it was read"),
    "vanished-during-walk": ("vanished during walk", "vanished during walk"),
    "not-regular": ("not a regular file", "not a regular file"),
    "symlink": ("symlink", "symlink to {}"),
    "symlink-loop": ("symlink", "symlink loop"),
    "broken-symlink": ("broken symlink", "broken symlink"),
    "symlink-outside-root": ("symlink", "symlink outside root"),
    "symlink-to-directory": ("symlink", "symlink to directory"),
    "symlink-to-special": ("symlink", "symlink to a special file"),
}


@dataclass(frozen=True)
class Skip:
    """A file (or a pruned directory, path ending in "/") left out, and why."""

    path: str
    kind: SkipKind
    detail: str = ""  # what varies within the kind: a size, an OS error, a pattern, ...

    @property
    def reason(self) -> str:
        """The reason as manifests and messages give it ("too large (5 bytes > 4)")."""
        text = _SKIP_TEXTS[self.kind][1]
        if "{}" in text:
            return text.format(self.detail)
        return f"{text} ({self.detail})" if self.detail else text

    @property
    def label(self) -> str:
        """The kind as summaries count it: symlinks of every sort are "symlink"."""
        return _SKIP_TEXTS[self.kind][0]

    def with_reason(self, reason: str) -> Skip:
        """This skip with the detail that makes its reason read `reason`: a copy of the
        reason with a secret masked, where only the detail can hold one."""
        if reason == self.reason:
            return self
        text = _SKIP_TEXTS[self.kind][1]
        head, tail = text.split("{}") if "{}" in text else (f"{text} (", ")")
        if reason.startswith(head) and reason.endswith(tail) and len(reason) >= len(head) + len(tail):
            return replace(self, detail=reason[len(head) : len(reason) - len(tail)])
        return replace(self, detail=reason)  # not of this kind's shape: kept whole, never lost


@dataclass(frozen=True)
class WalkResult:
    files: tuple[Candidate, ...]  # sorted by path
    skipped: tuple[Skip, ...]
    warnings: tuple[str, ...] = ()
    git_root: str | None = None  # the enclosing git work tree, if the walk used git
    secrets: tuple[Secret, ...] = ()  # secrets in paths (line 0): those files are skipped, masked


@dataclass(frozen=True)
class SourceText:
    """A decoded text file. Transient: held only while one file is processed."""

    path: str
    abspath: str
    text: str
    size: int
    digest: str  # xxh3_64 hex of the raw bytes, to detect changes before writing
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", ...


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What the pipeline keeps of each packable file: no content, only measures."""

    path: str
    abspath: str
    size: int
    digest: str
    encoding: str
    language: str | None
    tokens: int  # cost of the file's full block in the chosen format: exact unless `estimated`
    lines: int
    skeleton_tokens: int | None = None  # exact cost of its skeleton block, when measured
    estimated: bool = False  # `tokens` is a byte estimate; the exact count is made on demand

    def cost(self, mode: Mode) -> int:
        if mode == "skeleton" and self.skeleton_tokens is not None:
            return self.skeleton_tokens
        return self.tokens


class _Reason:
    """`Decision.reason`: given as a string, or as a function that makes it on first read.

    A large repository lists tens of thousands of files and a run reads few of their
    reasons (the manifest reads them all): the words cost more than the whole fit."""

    def __get__(self, obj: object | None, owner: type | None = None) -> str:
        if obj is None:
            raise AttributeError("reason")  # the dataclass field has no default
        value: str | Callable[[], str] = obj.__dict__["_reason"]
        if not isinstance(value, str):
            value = obj.__dict__["_reason"] = value()
        return value

    def __set__(self, obj: object, value: str | Callable[[], str]) -> None:
        obj.__dict__["_reason"] = value


@dataclass(frozen=True)
class Decision:
    """The fitter's verdict for one file."""

    path: str
    mode: Mode
    tokens: int  # the file's cost in the pack (its block, or its tree line, or 0)
    score: float
    reason: _Reason = _Reason()  # a str when read; made lazily when given as a function
    part: int | None = None  # in a split pack, the part (1-based) that holds it
    # A listed file's own size in tokens (its full block; a byte estimate for a budgeted
    # pack's file never counted exactly): what leaving it out saved. None for packed files.
    size: int | None = None

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_reason": self.reason}  # a copy or pickle holds the words


@dataclass(frozen=True)
class Secret:
    """A secret found in packed content; `redacted` unless secrets were allowed."""

    path: str
    line: int  # 1-based, in the file as read
    kind: str
    redacted: bool = True


@dataclass(frozen=True)
class Part:
    """One file of a split pack."""

    index: int  # 1-based
    path: str | None  # where it was written; None when nothing was written
    total_tokens: int
    files_full: int
    files_skeleton: int


@dataclass(frozen=True)
class PackStats:
    files_seen: int
    files_packed: int
    files_listed: int
    files_skipped: int
    seconds: dict[str, float] = field(default_factory=dict)
    counted_at_fit: int = 0  # files a budgeted pack estimated, then counted exactly when fitting


@dataclass(frozen=True)
class PackResult:
    """What `packer.pack` returns: the manifest as data plus timings."""

    root: str
    encoding: str
    target: str
    budget: int | None
    total_tokens: int
    files: tuple[Decision, ...]
    skipped: tuple[Skip, ...]
    warnings: tuple[str, ...]
    stats: PackStats
    output_path: str | None = None
    duplicates: tuple[Duplicate, ...] = ()
    parts: tuple[Part, ...] = ()  # a split pack's parts; empty for one pack
    secrets: tuple[Secret, ...] = ()  # found in what was packed, by path and line
    # The task it answered, as the manifest records it: the query as packed (redacted),
    # the focus paths (root-relative), the diff's REF (None without a diff), --staged.
    query: str = ""
    focus: tuple[str, ...] = ()
    diff: str | None = None
    staged: bool = False
    # The diff's files shown in it; the others (a secrets file, an ignored or generated
    # one) are one line each saying they were omitted and why.
    diff_shown: int = 0
    version: str = PACKER_VERSION  # the packer that made it
    # Why `--target auto` chose this target or a split (empty for a target or budget given).
    route: str = ""
    # The pack's text when `packer.pack` was given no output (and it is one pack); else None.
    text: str | None = field(default=None, repr=False, compare=False)

    def manifest(self) -> dict[str, object]:
        """The manifest in its documented JSON shape (version 1): exactly what `--manifest` writes."""
        return {
            "version": 1,
            "root": self.root,
            "encoding": self.encoding,
            "target": self.target,
            **({"route": self.route} if self.route else {}),
            "budget": self.budget,
            "total_tokens": self.total_tokens,
            "packer_version": self.version,
            "task": {
                "query": self.query,
                "focus": list(self.focus),
                "diff": self.diff,
                "staged": self.staged,
            },
            "files": [
                {
                    "path": d.path,
                    "mode": d.mode,
                    "tokens": d.tokens,
                    "score": d.score,
                    "reason": d.reason,
                    **({"part": d.part} if self.parts else {}),
                }
                for d in self.files
            ],
            **(
                {
                    "parts": [
                        {
                            "part": p.index,
                            "path": p.path,
                            "total_tokens": p.total_tokens,
                            "files_full": p.files_full,
                            "files_skeleton": p.files_skeleton,
                        }
                        for p in self.parts
                    ]
                }
                if self.parts
                else {}
            ),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "duplicates": [
                {"path": d.path, "same_as": d.same_as, "similarity": d.similarity} for d in self.duplicates
            ],
            "secrets": [
                {"path": x.path, "line": x.line, "kind": x.kind, "redacted": x.redacted} for x in self.secrets
            ],
        }


# -- the tree-sitter layer -----------------------------------------------------------


@dataclass(frozen=True, slots=True)  # millions of them on a large repository
class Definition:
    """A named definition (class, function, method, type, constant, ...)."""

    name: str
    kind: str  # tags kind: "class", "function", "method", "interface", "module", "constant", ...
    keyword: str  # as written in the source: "def", "class", "func", "fn", "struct", ...
    start_line: int  # 1-based, inclusive
    end_line: int
    start_byte: int  # offsets into the file's bytes; authoritative
    end_byte: int
    signature: str  # the header up to the body, whitespace-collapsed to one line
    doc: str  # docstring or leading doc comment, "" if none
    scope: tuple[str, ...]  # enclosing definitions as "keyword name", outermost first

    @property
    def label(self) -> str:
        return f"{self.keyword} {self.name}" if self.keyword else self.name


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    line: int
    kind: str = "call"  # tags kind: "call", "class", "type", "implementation", ...


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # what is imported from, as written ("os.path", "./util", "fmt")
    names: tuple[str, ...]  # the names bound, if the syntax says ("join",), else ()
    line: int


@dataclass(frozen=True)
class FileSymbols:
    path: str
    language: str | None
    definitions: tuple[Definition, ...]  # in source order
    references: tuple[Reference, ...]
    imports: tuple[Import, ...]
    has_errors: bool = False  # tree-sitter recovered from syntax errors
    fallback: str | None = None  # why the file was not parsed (no grammar, too deep, ...)


@dataclass(frozen=True)
class Chunk:
    """A contiguous byte range of one file; a file's chunks join back to its exact bytes."""

    path: str
    language: str | None
    start_byte: int
    end_byte: int
    start_line: int  # 1-based, inclusive
    end_line: int
    tokens: int  # exact count of `text` (header and overlap included)
    symbol: str  # scope path, e.g. "class Parser > def parse"; "" at top level
    kind: str  # "function", "class", "method", "code", "text", "section", ...
    text: str  # secrets redacted
    redacted: int = 0  # secret spans (or parts of one) replaced in `text`
    # `text` (less its --context header) after the path, the file's imports and the headers
    # of the definitions around it, for embedding; redacted too; not counted in `tokens`
    embed_text: str = ""

    def row(self) -> dict[str, Any]:
        """The chunk as `packer chunk` writes it, one JSON object a line (and as the
        `chunk --repos` shards hold it, after `repo` and `commit`)."""
        return {
            "path": self.path,
            "language": self.language,
            "start_byte": self.start_byte,
            "end_byte": self.end_byte,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "tokens": self.tokens,
            "symbol": self.symbol,
            "kind": self.kind,
            "text": self.text,
            "redacted": self.redacted,
            "embed_text": self.embed_text,
        }


# -- ranking, deduplication, task ---------------------------------------------------


@dataclass(frozen=True)
class DiffSection:
    """One file's part of a diff (`diff --git ...` to the next), as git wrote it."""

    path: str | None  # root-relative: the new path, the old one for a deletion; None if unknown
    text: str


@dataclass(frozen=True)
class Task:
    """What the pack is for. Empty means a whole-repository pack (global ranking)."""

    query: str = ""  # redacted: a secret in it is `[REDACTED:<kind>]` and in `query_secrets`
    focus: tuple[str, ...] = ()  # root-relative "/" paths of files that must be in full
    diff_ref: str | None = None  # the REF of --diff, None without --diff
    staged: bool = False
    # The diff as git wrote it, unfiltered and unredacted: never rendered as is; the
    # pipeline applies the file rules and redaction to each section (`task.gate_diff`).
    diff_sections: tuple[DiffSection, ...] = ()
    diff_cap: int = 2_000_000  # bytes of diff text at most; more is cut and the cut is marked
    diff_cut: bool = False  # git's output went past `diff_cap` and was cut
    changed: tuple[str, ...] = ()  # root-relative paths the diff touches (untracked included)
    query_secrets: tuple[Secret, ...] = ()  # found in the query (path "<query>")

    @property
    def raw_diff(self) -> str:
        """The sections joined, unredacted: for tests and debugging, never for output."""
        return "".join(s.text for s in self.diff_sections)

    @property
    def empty(self) -> bool:
        return not (self.query or self.focus or self.changed or self.diff_sections)


@dataclass(frozen=True)
class GitSignals:
    """Bounded recent history: each value in [0, 1]."""

    recency: dict[str, float]  # 1.0 = changed in the newest commit looked at
    churn: dict[str, float]  # commits touching the file, normalised by the maximum
    cochange: dict[str, dict[str, float]]  # path -> {other path: share of commits together}
    commits: int = 0  # how many commits were read
    # What they were computed from, when known (their cache key): the same source, the
    # same signals. Lets a key that depends on them skip their repr (78K paths on Linux).
    source: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class Duplicate:
    path: str
    same_as: str  # the canonical copy that is packed
    similarity: float  # 1.0 for exact (or whitespace-normalised) copies


@dataclass(frozen=True)
class RankWeights:
    """How much each signal counts. Each signal is scaled to [0, 1]; the score is their
    weighted mean over the signals that apply, plus `focus` for focus and changed files.

    Defaults, and why: text relevance (`bm25`) and closeness in the code graph
    (`pagerank`) carry a query; an identifier the query names (`symbols`) is the most
    precise evidence but is often absent; files that changed together with the focus files
    (`cochange`) are the best git evidence, recency and churn are weak hints; the kind of
    file (`prior`) only breaks near-ties when there is a task, and leads when there is none
    (`global_prior`: README, manifests and entry points, then the most depended-on code).
    Measured on the recall of commits' files (RANKING.md) over eight repositories: pagerank
    0.15 or 0.5 both did worse than 0.3; symbols and prior were flat around these. Once
    documents hold comment words as well as identifiers, bm25 0.7 beat 0.35 and 0.5 (mean
    Recall@10% over rich, caddy, ripgrep and zod 0.816 vs 0.778 and 0.799); 1.0 was flat.

    `recency` 0.30 (was 0.05): on the tuning repositories' commits (seed 7, not the
    evaluation's), query-mode offline recall@10% 0.699 -> 0.729 and MRR 0.586 -> 0.601;
    the logistic regression gave it 0.32 of a 1.45 total. A pack without a task keeps 0.05.

    A task of files and no query (`--focus`, a diff) uses the `focus_*` weights for the
    shared signals, and the five signals of `packer.related`. These were learned, not
    chosen: a class-balanced logistic regression (benchmarks/train_rank.py) over every
    file of 225 focus cases from the nine tuning repositories (commits sampled with seed 7,
    apart from the evaluation's seed 15), coefficients clipped at 0 and scaled to sum 2.
    Co-change with the focus files carries most of it; the graph's one-step neighbours and
    path proximity add little once PageRank closeness and names are in.
    """

    pagerank: float = 0.30
    bm25: float = 0.70
    symbols: float = 0.25
    cochange: float = 0.30
    recency: float = 0.30
    churn: float = 0.05
    prior: float = 0.10
    global_prior: float = 0.70
    global_recency: float = 0.05  # no task: recent changes are no reason to show a file
    # A task of files without a query (focus files, a diff): learned, see above.
    focus_pagerank: float = 0.19
    focus_cochange: float = 0.90
    neighbours: float = 0.02  # one step from a task file in the graph, either way
    tested: float = 0.08  # what a task file that is a test uses: the code under test
    companions: float = 0.23  # a task file's test, or the file a task test is named after
    names: float = 0.23  # shares the task files' identifiers (BM25)
    proximity: float = 0.02  # in or near a task file's directory
    focus_recency: float = 0.26
    focus_churn: float = 0.08
    focus_prior: float = 0.01
    tests: float = 0.8  # the test file named after one of the best files gets this share of its score
    focus: float = 1.0  # added for focus and changed files: >= 1 puts them before all others

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(f"rank weight {f.name} = {value!r}: use a number >= 0")

    @classmethod
    def from_config(cls, mapping: Mapping[str, object], *, source: str = "rank weights") -> RankWeights:
        """Weights from a config table (`[tool.packer.weights]`); missing keys keep their default."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")
        values: dict[str, float] = {}
        for key, value in mapping.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ConfigError(f"{source}: {key} = {value!r}: use a number >= 0")
            values[key] = float(value)
        return cls(**values)
