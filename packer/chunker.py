"""Split files into chunks that each fit an exact token budget, along their structure.

The method is cAST's (Zhang et al., 2025): split a syntax node whose exact token count
exceeds the budget into its children, and greedily merge adjacent siblings while the
merged text still fits. Code is split along its tree-sitter tree; text formats along the
blocks of `packer.blocks` (Markdown sections, JSON/YAML/TOML top-level keys and tables,
paragraphs), never parsed as code. A piece with no structure left is split by lines, and
a line by tokens.

Guarantees, for every file:

- **Exact bytes.** Byte offsets are authoritative: a file's chunks are contiguous and in
  order, the first starts at 0 and the last ends at the file's size, so
  `b"".join(data[c.start_byte:c.end_byte] for c in chunks) == data` (tabs, CRLF, a BOM, a
  missing final newline and invalid UTF-8 included). An empty file has no chunks.
- **Exact budget.** `tokens` is the exact count of `text` in the chosen encoding, and is
  never above `max_tokens`, header and overlap included. Every count that decides a
  chunk's extent is exact for the final text: BPE counts are nearly, not exactly,
  additive, so a sum of estimates is only a guess. The file is encoded once; the count
  of a range between two lines where the tokenizer's split cannot differ (see `_Tokens`)
  is read off those tokens, and only the rest is encoded again.
- **Whole definitions.** A node that fits the budget is never split: a function or class
  that fits stays in one chunk (with the comments and decorators right before it, when
  they fit too). "Fits" counts the node with its indentation and the newlines after it,
  and what `context`/`overlap` leave of the budget, so a definition within a token or
  two of the budget can still be split. A definition too large for one chunk starts a
  new chunk (after the header that leads into it: `class A:`, `namespace n {`) and its
  last chunk ends with it (and its closing `}`), so its parts do not mix with its
  neighbours. The one node that fits and is split anyway is the body of a definition or
  statement that does not fit, when the chunk holds only what leads into that body:
  then the body's opening (`{`) and first statements join its header, so a signature
  (`fn parse(&mut self) -> Result<Ast>`) is never cut from the `{` after it.
- **Redacted.** The file is scanned for secrets once (`packer.secrets.scan`); in `text`
  every secret value is replaced by `[REDACTED:<kind>]` plus the newlines it held (a
  secret cut by a chunk boundary is replaced on both sides), and `tokens` counts that
  text. The byte offsets and lines stay the source file's. A secret in a heading or key
  that names `symbol` is replaced there too, and one in `path` is masked; `redacted`
  counts the spans replaced in `text` (overlap included).
- **Deterministic**, thread-safe (one parser per thread), and iterative: a tree 10,000
  levels deep is split without recursion.

`text` is the chunk's bytes decoded as UTF-8 with invalid bytes replaced by U+FFFD (so
it always encodes as JSON); a UTF-8 BOM belongs to the first chunk's bytes but not to its
text. Chunk boundaries never split a UTF-8 character or a CRLF pair, so a file that is
valid UTF-8 decodes chunk by chunk. With `context=True` a one-line header
(`# path: a/b.py · class Parser > def parse`, in the language's comment syntax) opens
`text`; with `overlap=N` the N lines before the chunk follow it. Both are counted in
`tokens`, and neither is part of `start_byte`/`end_byte`, `start_line`/`end_line`, which
describe the chunk's own new bytes only, so joining the own ranges still rebuilds the
file. The overlap is at most N whole lines (a partial line before a chunk that starts
mid-line counts as one) and shrinks, oldest line first, to at most half of what the
header leaves; it is dropped for a chunk where not even one character would fit after
it. The header's scope is shortened from the outside in ("… > def parse") to a quarter
of the budget at most; a budget too small for the path alone is an error.

Where a chunk ends: between two statements (or items, members) where it can; inside a
statement only when that statement does not fit a chunk, and then between two of its
parts (two elements of a table, a block and its `else`). Not between a header and its
body (`if (x)` | `{`, `for x in y:` | body, `@property` | `def f`): the chunk ends before
the header instead, which goes with its body into the next chunk, unless the body is a
whole definition or statement that fits alone but not with its header.

`symbol` is the scope path of the chunk (`class Parser > def parse`, `impl Display for
Parser > fn fmt`, from `packer.symbols.scopes`: the definitions, and the blocks that hold
definitions without naming one, such as Rust's `impl`): the one definition the chunk
holds when that definition is at least half of it, else the innermost definition that
encloses the chunk, else "". `kind` is that definition's kind ("function", "class",
"method", "impl", ...), else "code". Text formats give "section" (inside a heading, key
or table), "paragraph" (within one paragraph) or "text"; code whose grammar is missing
or whose parse is refused (too large, too slow) is split by paragraphs and lines and
gives "text".

`embed_text` is the chunk's text (less its `--context` header) after lines that say where
it is, for an embedding model: `// path: src/parser.rs` (in the language's comment
syntax), `// imports: std::io::{self, Read}, serde::Deserialize, crate::ast` (the file's
imports, those at most `IMPORT_DEPTH` levels deep), then the header of each definition
around the chunk, outermost first, as the file has it up to its body's opening:
`impl<T: Read> Parser<T> {`, `    pub fn parse(&mut self) -> Result<Ast> {` (in a text
format, the headings of the sections around it). A definition the chunk starts with is in
its text already. These lines take at most half of `max_tokens`, within
`EMBED_PREFIX_TOKENS` (32 to 256, counted line by line): the imports are cut first, then
the outer headers (one `…` line stands for them), then the innermost header, then the
path. They are read off the redacted text and the masked path, so they hold no secret;
`tokens` counts `text` only. The same for every chunk of a scope, and deterministic.
"""

from __future__ import annotations

import bisect
import codecs
import collections
import itertools
import os
import posixpath
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Protocol

import xxhash

from packer import blocks, content, discover, languages, output, secrets
from packer.errors import ConfigError, PackerError
from packer.records import KEEP_KINDS, Candidate, Chunk, Definition, Skip, SourceText
from packer.tokens import SAFE_AFTER_NEWLINE, Counter, get_encoding, last_safe_cut, token_sizes

if TYPE_CHECKING:
    import tree_sitter

DEFAULT_MAX_TOKENS = 512
HEADER_SCOPE_CHARS = 120  # a longer scope is cut from the outside in the --context header
# A piece's count is estimated from the whole file's tokens; one estimated within this
# many tokens of the budget is counted exactly before it is split.
ESTIMATE_SLACK = 16
SECRETS_FILE = "secrets-file"  # the keep kind that lets credentials files be chunked (redacted)
# embed_text's lines before the chunk's text take at most half the budget, within these.
EMBED_PREFIX_TOKENS = (32, 256)
EMBED_HEADER_CHARS = 300  # of one enclosing definition's header; longer ones are cut
IMPORT_DEPTH = 3  # embed_text lists the imports at most this deep: top level, `if`, `mod` blocks

Progress = Callable[[str, int, int], None]
PathArg = str | os.PathLike[str]

_BOM = codecs.BOM_UTF8

# Comment syntax of the --context header, by language; anything else gets a plain line.
_HASH = ("# ", "")
_SLASH = ("// ", "")
_COMMENTS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("python", "ruby", "bash", "yaml", "toml", "perl", "r", "make", "dockerfile", "cmake", "kconfig"),
        _HASH,
    ),
    **dict.fromkeys(
        (
            "javascript",
            "typescript",
            "tsx",
            "go",
            "rust",
            "java",
            "c",
            "cpp",
            "csharp",
            "php",
            "kotlin",
            "swift",
            "scala",
            "scss",
        ),
        _SLASH,
    ),
    "css": ("/* ", " */"),
    "sql": ("-- ", ""),
    "lua": ("-- ", ""),
    **dict.fromkeys(("markdown", "html", "xml"), ("<!-- ", " -->")),
    "rst": (".. ", ""),
}

# Node types that are definitions (a big one gets chunks of its own) ...
_DEF_TYPE = re.compile(
    r"function|method|class|struct|impl|trait|interface|enum|module|namespace|object_|"
    r"protocol|constructor|decorated_definition|singleton|union|record|extension|"
    r"type_declaration|type_alias|macro_definition|section"
)
# ... unless they are a part of one.
_NOT_DEF_TYPE = re.compile(
    r"body|block|list|expression|call|invocation|reference|parameter|argument|literal|"
    r"pattern|clause|declarator|identifier|modifier"
)
# Nodes whose named children are statements (a big definition among them starts a chunk
# after them); elsewhere named children are parts of a header (`template <T>`, a name).
_BODY_TYPE = re.compile(
    r"body|block|_list$|program|translation_unit|source_file|compilation_unit|document|"
    r"section|statements|suite"
)
# Nodes whose children are statements, items or members: a chunk boundary between two of
# them is between whole statements (`_BODY_TYPE` also takes in argument and parameter lists).
_SEQUENCE_TYPE = re.compile(
    r"body|block|compound_statement|statements$|statement_list|program|translation_unit|source_file|"
    r"compilation_unit|suite|declaration_list|variant_list|enumerator_list|^case_statement$|"
    r"^switch_section$|^preproc_(?:if|ifdef|else|elif|elifdef)$|^module$"
)
# How clean a boundary before a piece is (`_Piece.cut`): between two statements (or two
# blocks of text); between two parts of a statement too big for one chunk; or in a
# header, before the body it leads into (`fn parse(..)` | `{`, `@property` | `def f`).
_CLEAN, _FORCED, _HEADER = 2, 1, 0
# Siblings that belong to the node after them: doc comments, decorators, attributes.
_ATTACHED_TYPES = frozenset({"decorator", "attribute_item", "attribute", "annotation", "marker_annotation"})
# How an import's module and names join in embed_text ("serde::Deserialize"), by language;
# elsewhere they read "react (React, useState)".
_IMPORT_JOINS = {
    "rust": "::",
    "cpp": "::",
    "php": "\\",
    **dict.fromkeys(("python", "java", "kotlin", "scala", "csharp", "swift"), "."),
}
_BLANK_LINE = re.compile(rb"\n[ \t\r\f\v]*\n")
_LEAD_IN = re.compile(rb"[ \t]*(?:#|//|/\*|\*|--|@)[^\n]*\n|[ \t\r]*\n")
_DATA_FORMATS = frozenset({"json", "yaml", "toml"})


def _skip_lead_in(data: bytes, start: int, end: int) -> int:
    """Where the lines of comments, decorators and attributes opening data[start:end] end
    (start if there are none, or if nothing else follows them)."""
    pos = start
    while pos < end:
        m = _LEAD_IN.match(data, pos, end)
        if not m:
            return pos
        pos = m.end()
    return start


def chunk_file(
    data: bytes,
    *,
    path: str,
    language: str | None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    encoding: str = "o200k_base",
    context: bool = False,
    overlap: int = 0,
    embed_text: bool = True,
) -> Iterator[Chunk]:
    """The chunks of one file's bytes, in order; see the module docstring for guarantees.

    `language` is a name from `packer.languages` (code with a grammar is split along its
    syntax tree; text formats and unknown languages along blocks and paragraphs) or None.
    `embed_text=False` leaves each chunk's `embed_text` empty (and saves making it).
    Raises `PackerError` if `max_tokens` or `overlap` is out of range, or if a chunk cannot
    fit even one character after its `--context` header.
    """
    _check_options(max_tokens, overlap)
    return iter(
        _Chunker(
            data,
            path=path,
            language=language,
            max_tokens=max_tokens,
            counter=Counter(encoding),
            context=context,
            overlap=overlap,
            embed=embed_text,
        ).run()
    )


def chunk(
    paths: PathArg | Iterable[PathArg],
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    encoding: str = "o200k_base",
    context: bool = False,
    overlap: int = 0,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    gitignore: bool = True,
    keep: Sequence[str] = (),
    progress: Progress | None = None,
    also_written: Sequence[PathArg] = (),
    jobs: int | None = None,
    embed_text: bool = True,
) -> Iterator[Chunk]:
    """Chunk files and directories; yields every file's chunks in order, file by file.

    A directory is walked as `packer pack` walks it (`gitignore`, `include`, `exclude`,
    vendored and generated files, lockfiles, binaries, files over 1 MB; `keep` names
    kinds of `KEEP_KINDS` to chunk anyway) and its files come in the walker's order,
    named by the directory as given joined with their path inside it. A file named
    directly is chunked whatever the ignore rules say, unless it is binary. Wherever it
    comes from, a file made to hold credentials (`.env`, `*.pem`, ...) is chunked only
    with `keep=["secrets-file"]`, and a file whose path holds a secret never is. Skipped
    files are simply not chunked; so are UTF-16/32 files, whose bytes are not UTF-8.
    Secrets are redacted in every chunk's text. `embed_text=False` leaves each chunk's
    `embed_text` empty (and saves making it: ~8% of the chunking time). Files are chunked in `jobs` forked
    processes (None: one per core for `PROCESS_MIN_BYTES` or more, if this process has one
    thread; 1: none), else threads; the output is the same. `progress(stage, done, total)` is
    called as files finish. Packs, manifests and the files in `also_written` (where the
    caller writes the chunks) are never chunked. Raises `PackerError` for a missing path
    or a bad option, before anything is yielded.
    """
    _check_options(max_tokens, overlap, jobs)
    _check_keep(keep)
    counter = Counter(encoding)  # an unknown encoding fails here, not at the first file
    token_sizes(encoding)  # made once, before worker processes fork
    targets = _targets(
        paths,
        include=include,
        exclude=exclude,
        gitignore=gitignore,
        keep=keep,
        written=output.canonical_paths(also_written),
    )

    work = partial(
        _chunk_target,
        keep=keep,
        max_tokens=max_tokens,
        counter=counter,
        context=context,
        overlap=overlap,
        embed=embed_text,
    )
    return _generate(targets, work, progress, jobs)


def _chunk_target(
    target: _Target,
    *,
    keep: Sequence[str],
    max_tokens: int,
    counter: Counter,
    context: bool,
    overlap: int,
    embed: bool = True,
) -> list[Chunk]:
    got = _read(target, keep)
    if got is None:
        return []
    data, language = got
    return _Chunker(
        data,
        path=target.candidate.path,
        language=language,
        max_tokens=max_tokens,
        counter=counter,
        context=context,
        overlap=overlap,
        masked=True,
        embed=embed,
    ).run()


def check_options(max_tokens: int, overlap: int, *, keep: Sequence[str] = ()) -> None:
    """Raise ConfigError for options `chunk` would refuse."""
    _check_options(max_tokens, overlap)
    _check_keep(keep)


def walk_files(
    root: PathArg,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    gitignore: bool = True,
    keep: Sequence[str] = (),
) -> list[tuple[str, str, int]]:
    """The files `chunk(root)` chunks, in its order, as (path inside `root`, absolute path,
    size): what `packer.corpus` hands to its workers, one batch at a time."""
    _check_keep(keep)
    found = _targets(os.fspath(root), include=include, exclude=exclude, gitignore=gitignore, keep=keep)
    prefix = mask_path(posixpath.normpath(os.fspath(root).replace(os.sep, "/")))
    cut = 0 if prefix == "." else len(prefix) + 1
    return [(t.candidate.path[cut:], t.candidate.abspath, t.candidate.size) for t in found]


def chunk_walked(
    path: str,
    abspath: str,
    size: int,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    encoding: str = "o200k_base",
    context: bool = False,
    overlap: int = 0,
    keep: Sequence[str] = (),
    embed_text: bool = True,
) -> list[Chunk]:
    """The chunks of one file `walk_files` found, named `path`: exactly what `chunk` gives
    for it when it walks the directory from inside (`chunk(".")`)."""
    target = _Target(Candidate(path, abspath, size), explicit=False)
    counter = Counter(encoding)
    return _chunk_target(
        target,
        keep=keep,
        max_tokens=max_tokens,
        counter=counter,
        context=context,
        overlap=overlap,
        embed=embed_text,
    )


def _check_keep(keep: Sequence[str]) -> None:
    kinds = sorted(KEEP_KINDS)
    for kind in keep:
        if kind not in kinds:
            raise ConfigError(f"unknown keep kind {kind!r}; use one of {', '.join(kinds)}")


def _check_options(max_tokens: int, overlap: int, jobs: int | None = None) -> None:
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ConfigError(
            f"--max-tokens must be a positive number of tokens, not {max_tokens!r}; "
            f"the default is {DEFAULT_MAX_TOKENS}"
        )
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise ConfigError(f"--overlap is a number of lines, 0 or more, not {overlap!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError(f"--jobs is a number of worker processes, 1 or more (1: none), not {jobs!r}")


# -- files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    candidate: Candidate
    explicit: bool  # named on the command line, not found by the walker


# Kinds a file named directly is chunked despite (binary stays out: its text is noise; a
# secrets file only with an explicit `keep`).
_EXPLICIT_KEEP = frozenset(KEEP_KINDS) - {"binary", SECRETS_FILE}


def _secret_bearing(path: str, keep: Sequence[str]) -> bool:
    """Whether a file is left out for what its path says: a credentials file (unless
    kept), or a path that holds a secret itself."""
    return (SECRETS_FILE not in keep and secrets.is_secrets_file(path)) or bool(_path_spans(path))


def _path_spans(path: str) -> list[tuple[int, int, str]]:
    return secrets.scan(path)


def mask_path(path: str) -> str:
    """`path` with each secret in it replaced by its `[REDACTED:kind]` marker."""
    spans = _path_spans(path)
    return secrets.apply(path, spans)[0] if spans else path


def _targets(
    paths: PathArg | Iterable[PathArg],
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    gitignore: bool,
    keep: Sequence[str] = (),
    written: frozenset[str] = frozenset(),
) -> list[_Target]:
    args = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out: list[_Target] = []
    seen: set[str] = set()
    for arg in args:
        given = os.fspath(arg)
        if not os.path.exists(given):
            raise PackerError(f"{given} does not exist; pass files or directories to chunk")
        display = given.replace(os.sep, "/")
        if os.path.isdir(given):
            # The walk leaves out credentials files (unless kept) and secret-bearing names.
            walked = discover.walk(
                given, use_gitignore=gitignore, include=include, exclude=exclude, keep=keep, outputs=written
            )
            prefix = mask_path(posixpath.normpath(display))
            for c in walked.files:
                if c.abspath in seen:
                    continue
                seen.add(c.abspath)
                name = c.path if prefix == "." else posixpath.join(prefix, c.path)
                out.append(_Target(Candidate(name, c.abspath, c.size), explicit=False))
        else:
            abspath = os.path.abspath(given)
            name = posixpath.normpath(display)
            if abspath in seen or _secret_bearing(name, keep) or output.canonical_paths([given]) <= written:
                continue
            seen.add(abspath)
            out.append(_Target(Candidate(name, abspath, os.path.getsize(given)), explicit=True))
    return out


def _read(target: _Target, keep: Sequence[str]) -> tuple[bytes, str | None] | None:
    """The file's exact bytes and language, or None if it is not chunked."""
    c = target.candidate
    got = content.read_source(
        c,
        keep=_EXPLICIT_KEEP | set(keep) if target.explicit else keep,
        max_file_size=None if target.explicit else 1_000_000,
    )
    if isinstance(got, Skip) or got.encoding not in ("utf-8", "utf-8-sig"):
        return None
    data = _original_bytes(got)
    if data is None:
        return None
    return data, languages.detect(c.path, got.text[:256])


def _original_bytes(src: SourceText) -> bytes | None:
    """The bytes `src` was decoded from: rebuilt, else read again (None if they changed)."""
    try:
        data = (_BOM if src.encoding == "utf-8-sig" else b"") + src.text.encode("utf-8")
        if xxhash.xxh3_64_hexdigest(data) == src.digest:
            return data
    except UnicodeEncodeError:
        pass
    # Read as the reader reads: a FIFO swapped in since is refused, never waited on.
    got = content.read_bytes(Candidate(src.path, src.abspath, src.size), max_file_size=src.size)
    if isinstance(got, Skip):
        return None
    return got if xxhash.xxh3_64_hexdigest(got) == src.digest else None


PROCESS_MIN_BYTES = 4 << 20  # less than this to chunk: forking costs more than it saves
_BATCH_FILES = 16  # files a worker process chunks per task: fewer round trips
_BATCH_BYTES = 1 << 20

# What forked workers run: set before the fork, so each worker has its own copy.
_work: Callable[[_Target], list[Chunk]] | None = None


def _work_batch(batch: list[_Target]) -> list[list[Chunk]]:
    assert _work is not None
    return _each(_work, batch)


def _generate(
    targets: list[_Target],
    work: Callable[[_Target], list[Chunk]],
    progress: Progress | None,
    jobs: int | None,
) -> Iterator[Chunk]:
    global _work
    from packer import measure

    total = len(targets)
    workers = measure.workers() if jobs is None else jobs
    size = sum(t.candidate.size for t in targets)
    # Decided at the first chunk asked for: fork is safe only while this is the one thread.
    if workers > 1 and measure.can_fork() and (jobs is not None or size >= PROCESS_MIN_BYTES):
        pool: Executor = measure.fork_pool(workers)
        _work = work
        tasks = measure.batches(targets, lambda t: t.candidate.size, files=_BATCH_FILES, nbytes=_BATCH_BYTES)
        run: Callable[[list[_Target]], list[list[Chunk]]] = _work_batch
    else:
        pool = ThreadPoolExecutor(measure.workers())
        tasks = [[t] for t in targets]
        run = partial(_each, work)
    ahead = workers * 4  # tasks in flight: bounds memory, keeps the output order
    pending: collections.deque[Future[list[list[Chunk]]]] = collections.deque()
    try:
        done = 0
        next_index = 0
        while next_index < len(tasks) or pending:
            while next_index < len(tasks) and len(pending) < ahead:
                pending.append(pool.submit(run, tasks[next_index]))
                next_index += 1
            for chunks in pending.popleft().result():
                done += 1
                if progress is not None and (done % 64 == 0 or done == total):
                    progress("chunk", done, total)
                yield from chunks
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        _work = None


def _each(work: Callable[[_Target], list[Chunk]], batch: list[_Target]) -> list[list[Chunk]]:
    return [work(t) for t in batch]


# -- the whole file's tokens -------------------------------------------------------------

_WINDOW = 1 << 16  # characters of text encoded at once for the estimates
_replaced = threading.local()


def _record_replacement(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    _replaced.spans.append((exc.start, exc.end))
    return "\ufffd", exc.end


codecs.register_error("packer.chunker.record", _record_replacement)


@dataclass(frozen=True)
class _Tokens:
    """The whole file's tokens: where each starts (then len(data)), and whether a count of
    a range can be read off them.

    o200k_base and cl100k_base split text into pieces with a regular expression before
    BPE, and BPE never crosses a piece. A piece never spans a "safe" position (right
    after a newline, before [ \t]* and a printable ASCII character, not a "/" right
    after the newline): only whitespace and `[\r\n/]*` tails hold a newline, and the
    whitespace pieces end at the run's last newline. The pieces before such a position
    do not look past it, nor those after it before it, so the text between two safe
    positions splits into the same pieces, and tokens, as it does inside the file. Its
    exact count is then the number of the file's tokens that start in it, provided the
    file was encoded as one text (`unsafe` lists the window cuts that were not safe) and
    the chunk's text is the file's (no invalid bytes, no redaction).
    """

    starts: Sequence[int]
    unsafe: tuple[int, ...]  # byte offsets of window cuts a count must not span
    replaced: bool  # invalid UTF-8 was replaced: counts are not read off the starts


def _token_starts(data: bytes, bom: int, encoding: str) -> _Tokens:
    """The file's tokens: the byte offset where each starts, then len(data) (`_Tokens`).

    Counts of pieces are estimated from these: one encoding of the file instead of one
    per piece at every level of the tree. Invalid bytes decode to U+FFFD (3 bytes in the
    text); offsets inside one map back to the start of the bytes it replaced.
    """
    _replaced.spans = []
    text = data[bom:].decode("utf-8", "packer.chunker.record")
    spans: list[tuple[int, int]] = _replaced.spans
    _replaced.spans = []
    sizes = token_sizes(encoding)
    enc = get_encoding(encoding)
    tokens: list[int] = []
    cuts: list[int] = []  # indexes in `tokens` of the first token after an unsafe cut
    pos = 0
    while pos < len(text):  # in windows: BPE is slow on one huge run without spaces
        stop = min(len(text), pos + _WINDOW)
        unsafe = False
        if stop < len(text):
            safe = last_safe_cut(text, pos + _WINDOW // 2, stop)
            if safe < 0:
                cut = text.rfind("\n", pos + _WINDOW // 2, stop)
                if cut < 0:
                    cut = text.rfind(" ", pos + _WINDOW // 2, stop)
                stop = cut + 1 if cut >= 0 else stop
                unsafe = True
            else:
                stop = safe
        tokens += enc.encode_ordinary(text[pos:stop])
        if unsafe:
            cuts.append(len(tokens))
        pos = stop
    starts = array("q", itertools.accumulate(map(sizes.__getitem__, tokens), initial=bom))
    if spans:  # text offsets -> data offsets
        shift = 0  # text bytes minus data bytes so far
        k = 0
        for n, t in enumerate(starts):
            while k < len(spans) and spans[k][0] + bom + shift + 3 <= t:
                shift += 3 - (spans[k][1] - spans[k][0])
                k += 1
            if k < len(spans) and spans[k][0] + bom + shift <= t:
                starts[n] = spans[k][0] + bom  # inside a U+FFFD
            else:
                starts[n] = t - shift
    starts[-1] = len(data)
    return _Tokens(starts, tuple(starts[i] for i in cuts), bool(spans))


# -- secrets ----------------------------------------------------------------------------


def _secret_spans(data: bytes, bom: int, path: str) -> list[tuple[int, int, str]]:
    """The file's secrets as byte spans of `data` (sorted, not overlapping).

    The text is scanned once. An undecodable byte is one character there (a lone
    surrogate), so character offsets map back to bytes one character at a time.
    """
    text = data[bom:].decode("utf-8", "surrogateescape")
    found = secrets.scan(text, path)
    if not found or text.isascii():
        return [(a + bom, b + bom, kind) for a, b, kind in found]
    out: list[tuple[int, int, str]] = []
    char, nbytes = 0, bom  # a character offset in `text` and its byte offset in `data`
    for a, b, kind in found:
        nbytes += len(text[char:a].encode("utf-8", "surrogateescape"))
        start = nbytes
        nbytes += len(text[a:b].encode("utf-8", "surrogateescape"))
        char = b
        out.append((start, nbytes, kind))
    return out


# -- the chunker ------------------------------------------------------------------------


class _Node(Protocol):
    """What the chunker reads of a tree-sitter node or a text block."""

    @property
    def start_byte(self) -> int: ...
    @property
    def end_byte(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def is_named(self) -> bool: ...
    @property
    def children(self) -> Sequence[_Node]: ...


_NODES, _LINES, _TOKENS = 0, 1, 2  # how a piece splits next


class _Piece:
    """A contiguous byte range, the nodes it holds, and how it splits if too big."""

    __slots__ = (
        "anchor",
        "cut",
        "depth",
        "end",
        "exact",
        "force",
        "level",
        "nodes",
        "start",
        "statement",
        "tokens",
    )

    def __init__(
        self, start: int, end: int, nodes: tuple[_Node, ...], level: int, depth: int, anchor: int
    ) -> None:
        self.start = start
        self.end = end
        self.nodes = nodes
        self.level = level
        self.depth = depth  # 0 for the whole file, 1 for its top-level statements, ...
        self.anchor = anchor  # where its group starts: a comment glued to it starts there
        self.tokens = -1  # the count of its own text; -1 until estimated
        self.exact = False  # `tokens` is the exact count, not the estimate
        self.force = False  # split even though the count alone fits (the final text did not)
        self.statement = True  # a named node in a body (or text): not part of a header
        self.cut = _CLEAN  # how clean a chunk boundary at `start` is: _CLEAN, _FORCED or _HEADER


class _Scopes:
    """The file's definitions as sorted ranges, to name the scope of a byte range."""

    def __init__(self, defs: list[tuple[int, int, str, str, str]]) -> None:
        """`defs`: (start byte, end byte, scope path, kind, own label) of each definition."""
        defs = sorted(defs, key=lambda d: (d[0], -d[1]))
        self.starts = [d[0] for d in defs]
        self.ends = [d[1] for d in defs]
        self.paths = [d[2] for d in defs]
        self.kinds = [d[3] for d in defs]
        self.labels = [d[4] for d in defs]
        self.parent: list[int] = []
        stack: list[int] = []
        for i, (start, end, *_) in enumerate(defs):
            while stack and not (self.starts[stack[-1]] <= start and end <= self.ends[stack[-1]]):
                stack.pop()
            self.parent.append(stack[-1] if stack else -1)
            stack.append(i)

    def find(self, a: int, b: int, lead_end: int, outer: tuple[int, int]) -> int:
        """The definition naming the text [a, b) of a chunk spanning `outer`: the one
        definition the chunk holds if it is at least half of the text, else the innermost
        around [lead_end, b) (comments and decorators before a definition belong to it)."""
        starts, ends, parent = self.starts, self.ends, self.parent
        enclosing = bisect.bisect_right(starts, lead_end) - 1
        while enclosing >= 0 and not (starts[enclosing] <= lead_end and b <= ends[enclosing]):
            enclosing = parent[enclosing]
        single, count = -1, 0
        lo, hi = outer
        j = bisect.bisect_left(starts, lo)
        while j < len(starts) and starts[j] < hi and count < 2:
            if ends[j] <= hi:
                count += 1
                single = j
                j = bisect.bisect_left(starts, ends[j], j + 1)  # skip what it contains
            else:
                j += 1
        if count == 1 and 2 * (min(ends[single], b) - max(starts[single], a)) >= b - a:
            return single
        return enclosing

    def around(self, a: int, b: int) -> tuple[int, ...]:
        """The definitions that start before `a` and end at or after `b`, outermost first:
        those whose headers lead into the text [a, b) without being part of it."""
        starts, ends, parent = self.starts, self.ends, self.parent
        i = bisect.bisect_left(starts, a) - 1
        while i >= 0 and ends[i] < b:
            i = parent[i]
        out: list[int] = []
        while i >= 0:
            out.append(i)
            i = parent[i]
        return tuple(reversed(out))


class _Chunker:
    """Chunks one file. Not shared between threads; `run` is called once."""

    def __init__(
        self,
        data: bytes,
        *,
        path: str,
        language: str | None,
        max_tokens: int,
        counter: Counter,
        context: bool,
        overlap: int,
        masked: bool = False,
        embed: bool = True,
    ) -> None:
        self.data = data
        self.embed = embed  # make `embed_text` (off: "", and the file's imports are not read)
        # A secret in the name is masked (`masked`: the caller checked the name already).
        self.path = path if masked else mask_path(path)
        self.language = language
        self.max_tokens = max_tokens
        self.counter = counter
        self.encoding = get_encoding(counter.name)
        self.context = context
        self.overlap = overlap
        self.bom = len(_BOM) if data.startswith(_BOM) else 0
        self.spans = _secret_spans(data, self.bom, path) if data else []
        self._span_ends = [e for _, e, _ in self.spans]
        self.text_format = not languages.is_code(language)
        self.parsed = False
        self.scopes = _Scopes([])
        self.acc: list[_Piece] = []
        self.acc_tokens = 0
        self.sealed = False  # `acc` ends a big definition: only closing tokens may join it
        self.stack: list[_Piece | None] = []  # None marks the end of a definition
        self.starts: Sequence[int] = ()  # where the file's tokens start, then its size
        self.unsafe: tuple[int, ...] = ()  # window cuts a count read off `starts` must not span
        self.derive = False  # counts of ranges between safe positions are read off `starts`
        self.out: list[Chunk] = []
        self.newlines = 0  # newlines in data[:newlines_at]
        self.newlines_at = 0
        self._limits: dict[int, int] = {}
        self._overlaps: dict[int, int] = {}
        self._headers: dict[str, tuple[str, int]] = {}
        # (a, b) -> fits, count, and (text, symbol, kind) unless the count was read off `starts`
        self._fits: dict[tuple[int, int], tuple[bool, int, tuple[str, str, str] | None]] = {}
        self._def_types: dict[str, bool] = {}
        self._sequence_types: dict[str, bool] = {}
        self.tree: tree_sitter.Tree | None = None  # the syntax tree, if the file was parsed
        self._imports: list[str] | None = None  # the import summary's items, made once
        self._prefixes: dict[tuple[int, ...], str] = {}  # embed_text's prefix by enclosing scopes
        self._line_tokens: dict[str, int] = {}  # counts of the prefix's lines
        safe_path = self.path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        self._comment = _COMMENTS.get(language or "", ("", ""))
        self._path_text = safe_path.replace("\n", " ").replace("\r", " ")

    # -- the whole file ----------------------------------------------------------------

    def run(self) -> list[Chunk]:
        if not self.data:
            return []
        if self.context:
            tokens = self.header("")[1]
            if tokens >= self.max_tokens:
                raise self.too_small(tokens)
        root = self.structure()
        got = _token_starts(self.data, self.bom, self.counter.name)
        self.starts, self.unsafe = got.starts, got.unsafe
        # A chunk's text is the file's, unless bytes were replaced or secrets redacted.
        self.derive = not got.replaced and not self.spans
        if self.spans:
            self.starts = self.redacted_starts(self.starts)
        self.stack = [_Piece(0, len(self.data), (root,), _NODES, 0, 0)]
        self.split()
        while self.acc:
            self.flush()
            self.split()  # a flush that could not fit everything pushed the rest back
        self.check()
        return self.out

    def structure(self) -> _Node:
        """The tree to split along, and the definitions that name scopes."""
        language = self.language
        if language is not None and languages.is_code(language):
            from packer import symbols

            # The tree holds its text (a second parse) only if the queries test node text.
            tree = symbols.parse(self.data, language, text=symbols.needs_text(language))
            if tree is not None:
                self.parsed = True
                found = symbols.scopes(self.data, language, tree=tree)
                self.scopes = _Scopes(
                    [
                        (d.start_byte, d.end_byte, self.scope_name(d), d.kind, self.mask(d.label))
                        for d in found
                    ]
                )
                self.tree = tree
                return tree.root_node
            self.text_format = True
            language = None  # the grammar is missing or refused the file: paragraphs
        root = blocks.outline(self.data, language)
        self.scopes = _Scopes(
            [
                (
                    b.start_byte,
                    b.end_byte,
                    self.mask(" > ".join((*scope, b.label))),
                    "section",
                    self.mask(b.label),
                )
                for b, scope in blocks.labelled(root)
            ]
        )
        return root

    def scope_name(self, d: Definition) -> str:
        return self.mask(" > ".join((*d.scope, d.label)))

    def check(self) -> None:
        """The guarantees, checked on every file: a failure is a bug, never bad input."""
        pos = 0
        for c in self.out:
            if c.start_byte != pos or c.end_byte <= c.start_byte or c.tokens > self.max_tokens:
                raise AssertionError(f"chunking {self.path} broke at byte {pos}: {c!r:.200}")
            pos = c.end_byte
        if pos != len(self.data):
            raise AssertionError(f"chunking {self.path} stopped at byte {pos} of {len(self.data)}")

    # -- the split-then-merge loop ----------------------------------------------------

    def split(self) -> None:
        stack = self.stack
        while stack:
            p = stack.pop()
            if p is None:  # the end of a definition split into several chunks
                self.sealed = bool(self.acc)
                continue
            if self.sealed and not self.closing(p):
                stack.append(p)
                self.flush()
                continue
            if not p.force:
                t = self.tokens(p)
                a = self.acc[0].start if self.acc else p.start
                if self.acc_tokens + t <= self.limit(a):
                    self.acc.append(p)
                    self.acc_tokens += t
                    continue
                alone = self.limit(p.start)
                if alone < t <= alone + ESTIMATE_SLACK and not p.exact:
                    t = self.exact(p)  # never split a piece that fits on an estimate
                if t <= alone:
                    if not self.acc:
                        self.acc.append(p)
                        self.acc_tokens = t
                        continue
                    if self.end_before(p, t):
                        continue
                    # `acc` only leads into the body p: p is split, its first part joins `acc`
            if self.acc and (p.level == _TOKENS or (self.is_definition(p) and not self.leads(p))):
                stack.append(p)  # a big definition (or a line cut by tokens) starts a chunk
                self.flush()
                continue
            if p.level == _TOKENS:
                self.cut(p)
                continue
            children = self.expand(p)
            if self.is_definition(p):
                stack.append(None)
            stack.extend(reversed(children))

    def end_before(self, p: _Piece, t: int) -> bool:
        """End the merged chunk before p, which fits alone (`t` tokens) but not after `acc`:
        at p, or, if a header in `acc` leads into p (`if (x)`, `fn parse(..) -> R`), before
        that header, so that it goes with p: when p is a body, or when both fit together.
        False if `acc` only leads into a body p (`fn parse(..) -> R {`, `class A:`): then p
        is split, for its opening and first statements to join `acc`."""
        acc = self.acc
        body = self.is_body(p)
        if body and not self.sealed and not any(q.statement for q in acc):
            return False
        if p.cut == _HEADER and not self.sealed:
            j = len(acc) - 1  # where the header starts
            while j > 0 and acc[j].cut == _HEADER:
                j -= 1
            lead = not any(q.statement for q in acc[:j])  # what comes before leads into it too
            if not lead and (body or t + sum(map(self.tokens, acc[j:])) <= self.limit(acc[j].start)):
                self.stack.append(p)
                self.stack.extend(reversed(acc[j:]))
                self.acc = acc[:j]
                self.flush()
                return True
        self.stack.append(p)  # the merged chunk ends before it
        self.flush()
        return True

    def flush(self) -> None:
        """Emit the longest run of `acc` that fits exactly, ending it before a header
        rather than after (as `end_before`); push the rest back."""
        acc = self.acc
        self.acc = []
        self.acc_tokens = 0
        self.sealed = False
        a = acc[0].start
        best = len(acc) - 1
        if not self.fits(a, acc[best].end):
            lo, hi = -1, best
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if self.fits(a, acc[mid].end):
                    lo = mid
                else:
                    hi = mid
            best = lo
            k = best + 1
            while k > 1 and acc[k].cut == _HEADER:
                k -= 1
            if acc[k].cut != _HEADER:
                best = k - 1
        if best < 0:  # even the first piece does not fit once counted with the rest
            acc[0].force = True
            self.stack.extend(reversed(acc))
            return
        self.emit(a, acc[best].end)
        self.stack.extend(reversed(acc[best + 1 :]))

    def expand(self, p: _Piece) -> list[_Piece]:
        """The pieces `p` splits into, one level down."""
        data = self.data
        if p.level == _NODES and p.nodes:
            parent: _Node | None = None  # the node whose children the pieces hold
            kids: Sequence[_Node] = p.nodes
            if len(p.nodes) > 1:  # a glued group: its members, still together if they fit
                groups: list[tuple[_Node, ...]] = [(n,) for n in p.nodes]
                depth, anchor, body = p.depth, p.start, p.statement
            else:
                parent = p.nodes[0]
                kids = parent.children
                groups = self.groups(kids) if kids else []
                depth, anchor = p.depth + 1, -1
                body = depth == 1 or bool(_BODY_TYPE.search(parent.type)) or self.sequence(parent.type)
            if groups:
                pieces = self.partition(p, groups, depth, anchor)
                for q in pieces:
                    q.statement = body and any(n.is_named for n in q.nodes)
                if len(pieces) == 1:
                    pieces[0].tokens, pieces[0].exact, pieces[0].force = p.tokens, p.exact, p.force
                if self.parsed:
                    self.grade(p, parent, kids, pieces)
                return pieces
        if p.level <= _LINES:
            lines: list[_Piece] = []
            pos = p.start
            while pos < p.end:
                nl = data.find(b"\n", pos, p.end)
                stop = p.end if nl < 0 else nl + 1
                line = _Piece(pos, stop, (), _LINES, p.depth + 1, pos)
                line.cut = _FORCED if pos > p.start else p.cut
                lines.append(line)
                pos = stop
            if len(lines) > 1:
                return lines
        q = _Piece(p.start, p.end, (), _TOKENS, p.depth + 1, p.start)
        q.tokens, q.exact, q.force, q.cut = p.tokens, p.exact, p.force, p.cut
        return [q]

    def grade(self, p: _Piece, parent: _Node | None, kids: Sequence[_Node], pieces: list[_Piece]) -> None:
        """How clean a chunk boundary before each of `pieces` (p's parts) is (`_Piece.cut`):
        the first keeps p's; between two statements of a body it is clean; in the header of
        `parent` (before its body starts) or between a decorator or attribute and what it
        annotates it is a header cut; elsewhere inside a statement too big for one chunk
        (two elements of a huge table, a block and its `else`) it is forced."""
        pieces[0].cut = p.cut
        if len(pieces) == 1:
            return
        if parent is None:  # the members of a glued group
            for before, q in itertools.pairwise(pieces):
                q.cut = _HEADER if before.nodes and before.nodes[-1].type in _ATTACHED_TYPES else _FORCED
            return
        if p.depth == 0 or self.sequence(parent.type):
            for q in pieces[1:]:
                q.cut = _CLEAN
            return
        body = self.body_start(kids)
        for q in pieces[1:]:
            q.cut = _HEADER if q.start <= body else _FORCED

    def is_body(self, p: _Piece) -> bool:
        """Whether p is one node that holds a sequence of statements (a block, a body)."""
        return p.level == _NODES and len(p.nodes) == 1 and self.sequence(p.nodes[0].type)

    def sequence(self, node_type: str) -> bool:
        """Whether nodes of this type hold a sequence of statements, items or members."""
        got = self._sequence_types.get(node_type)
        if got is None:
            got = bool(_SEQUENCE_TYPE.search(node_type)) and "comment" not in node_type
            self._sequence_types[node_type] = got
        return got

    def body_start(self, kids: Sequence[_Node]) -> int:
        """Where the body of the node with children `kids` starts: its first child that is
        a sequence of statements, else that of its last named child, or of that one's
        (through a wrapper: a decorated definition, an `export`, Go's `type_spec`); -1 if
        it has none."""
        types = self._sequence_types
        for _ in range(3):
            last = None
            for child in kids:
                t = child.type
                if types.get(t) if t in types else self.sequence(t):
                    return child.start_byte
                if child.is_named:
                    last = child
            if last is None:
                break
            kids = last.children
        return -1

    def groups(self, kids: Sequence[_Node]) -> list[tuple[_Node, ...]]:
        """Children grouped so comments and decorators stay with what they annotate."""
        data = self.data
        out: list[list[_Node]] = []
        pending: list[_Node] = []  # comments and decorators waiting for their node
        prev_end = -1
        for k in kids:
            start = k.start_byte
            if pending and data.count(b"\n", prev_end, start) >= 2:  # a blank line between
                out.extend([n] for n in pending)
                pending = []
            ktype = k.type
            comment = "comment" in ktype
            if comment and not pending and out and data.find(b"\n", prev_end, start) < 0:
                out[-1].append(k)  # a comment at the end of the line before
            elif comment or ktype in _ATTACHED_TYPES:
                pending.append(k)
            else:
                pending.append(k)
                out.append(pending)
                pending = []
            prev_end = k.end_byte
        out.extend([n] for n in pending)
        return [tuple(g) for g in out]

    def partition(self, p: _Piece, groups: list[tuple[_Node, ...]], depth: int, anchor: int) -> list[_Piece]:
        """Pieces that tile p exactly, one per group; a gap goes to the piece before it up
        to its last newline, the rest (indentation) to the piece after it."""
        data = self.data
        bounds = [p.start]
        for i in range(1, len(groups)):
            lo = bounds[-1]
            prev_end = min(max(groups[i - 1][-1].end_byte, lo), p.end)
            next_start = min(max(groups[i][0].start_byte, prev_end), p.end)
            nl = data.rfind(b"\n", prev_end, next_start)
            cut = self.align(nl + 1 if nl >= 0 else prev_end)
            bounds.append(max(cut, lo))
        bounds.append(p.end)
        pieces: list[_Piece] = []
        for i, group in enumerate(groups):
            s, e = bounds[i], bounds[i + 1]
            if s < e:
                pieces.append(_Piece(s, e, group, _NODES, depth, s if anchor < 0 else anchor))
            elif pieces:  # a zero-width node (a missing token): nothing to keep
                continue
        return pieces

    def cut(self, p: _Piece) -> None:
        """Emit the longest prefix of p that fits (p is one line, or part of one).

        The whole file's tokens give the guess; exact counts confirm it, stepping back a
        token at a time, then bisecting: a few counts of one chunk's text per chunk.
        """
        a, end = p.start, p.end
        starts = self.starts
        first = bisect.bisect_left(starts, a)
        last = first + max(self.limit(a), 1) - (starts[first] != a)
        c = end
        step = 1
        while True:
            if last < len(starts) and starts[last] < c:
                c = self.align(starts[last])
            if c <= a:
                c = self.next_char(a)
            if self.fits(a, c) or c <= self.next_char(a):
                break
            if step > 8:  # the guess is far off: bisect what is left
                break
            last -= step
            step *= 2
        if not self.fits(a, c):
            lo, hi = a, c  # lo fits (as nothing), hi does not
            while True:
                mid = self.align((lo + hi) // 2)
                if mid <= lo:
                    mid = self.next_char(lo)
                if mid >= hi:
                    break
                if self.fits(a, mid):
                    lo = mid
                else:
                    hi = mid
            if lo == a:
                if self.overlap and self.overlap_start(a) < a:
                    self._overlaps[a] = a  # no room for the overlap here: drop it, once
                    self._limits.pop(a, None)
                    self._fits.clear()
                    self.cut(p)
                    return
                i = bisect.bisect_right(self._span_ends, a)
                if i < len(self.spans) and self.spans[i][0] <= a:
                    line = self.data.count(b"\n", 0, a) + 1
                    raise ConfigError(
                        f"--max-tokens {self.max_tokens} cannot hold the marker that replaces a "
                        f"secret in {self.path} at line {line} "
                        f"({self.text(a, self.next_char(a)).strip()}); raise --max-tokens"
                    )
                raise self.too_small(self.header(self.symbol(a, c)[0])[1] if self.context else 0)
            c = lo
        self.emit(a, c)
        if c < end:
            self.stack.append(_Piece(c, end, (), _TOKENS, p.depth, c))

    # -- measures ---------------------------------------------------------------------

    def text(self, a: int, b: int) -> str:
        """The text of data[a:b] as emitted: decoded, its secrets (or their parts) redacted."""
        a = max(a, self.bom)
        data = self.data
        spans = self.spans
        i = bisect.bisect_right(self._span_ends, a) if spans else 0
        if i == len(spans) or spans[i][0] >= b:
            return data[a:b].decode("utf-8", "replace")
        parts: list[str] = []
        local: list[tuple[int, int, str]] = []  # the spans' parts, in the decoded text
        size = 0
        pos = a
        while i < len(spans) and spans[i][0] < b:
            s, e, kind = spans[i]
            s, e = max(s, a), min(e, b)
            before = data[pos:s].decode("utf-8", "replace")
            secret = data[s:e].decode("utf-8", "replace")
            parts += (before, secret)
            size += len(before)
            local.append((size, size + len(secret), kind))
            size += len(secret)
            pos = e
            i += 1
        parts.append(data[pos:b].decode("utf-8", "replace"))
        return secrets.apply("".join(parts), local, self.path)[0]

    def redacted_in(self, a: int, b: int) -> int:
        """How many secret spans (or parts of one) data[a:b] holds."""
        if not self.spans:
            return 0
        return bisect.bisect_left(self.spans, (b,)) - bisect.bisect_right(self._span_ends, a)

    def mask(self, label: str) -> str:
        """A scope label with the file's secret values in it redacted."""
        for s, e, kind in self.spans:
            value = self.data[s:e].decode("utf-8", "replace")
            if value in label:
                label = label.replace(value, secrets.apply(value, [(0, len(value), kind)])[0])
        return label

    def redacted_starts(self, starts: Sequence[int]) -> array[int]:
        """Token starts with each secret's tokens swapped for its marker's, so that the
        estimates count what is emitted: the marker's tokens all start where it does."""
        out = array("q")
        k = 0
        for s, e, _ in self.spans:
            j = bisect.bisect_left(starts, s, k)
            out.extend(starts[k:j])
            out.extend([s] * self.counter.count(self.text(s, e)))
            k = max(j, bisect.bisect_left(starts, e, j))
        out.extend(starts[k:])
        return out

    def tokens(self, p: _Piece) -> int:
        """p's count, estimated: the whole file's tokens that start inside it."""
        if p.tokens < 0:
            starts = self.starts
            i = bisect.bisect_left(starts, p.start)
            j = bisect.bisect_left(starts, p.end, i)
            p.tokens = j - i + (starts[i] != p.start)  # a token cut at p's start counts once
        return p.tokens

    def exact(self, p: _Piece) -> int:
        if not p.exact:
            p.tokens = self.count(p.start, p.end)
            p.exact = True
        return p.tokens

    def count(self, a: int, b: int) -> int:
        """The exact count of text(a, b). Between its first and last safe positions (see
        `_Tokens`) it is read off the file's tokens; only the ends are encoded."""
        if self.derive:
            lo = a if self.safe(a) else self.safe_after(a, b)
            hi = b if self.safe(b) else self.safe_before(lo, b)
            unsafe = self.unsafe
            i = bisect.bisect_right(unsafe, lo) if unsafe else 0
            if lo < hi and (i == len(unsafe) or unsafe[i] >= hi):
                starts = self.starts
                n = bisect.bisect_left(starts, hi) - bisect.bisect_left(starts, lo)
                if a < lo:
                    n += self.counter.count(self.text(a, lo))
                if hi < b:
                    n += self.counter.count(self.text(hi, b))
                return n
        return self.counter.count(self.text(a, b))

    def safe(self, pos: int) -> bool:
        """Whether no piece of the tokenizer's split of the file spans `pos`."""
        data = self.data
        if pos <= self.bom or pos >= len(data):
            return True
        return data[pos - 1] == 0x0A and SAFE_AFTER_NEWLINE.match(data, pos) is not None

    # A position safe inside data[a:b] has its newline and its printable character there.
    # Only the first few lines from each end are tried: a chunk's ends are near them.

    def safe_after(self, a: int, b: int) -> int:
        """The first safe position in data[a:b] (after a), else b."""
        data = self.data
        pos = a
        for _ in range(4):
            nl = data.find(b"\n", pos, b)
            if nl < 0:
                break
            pos = nl + 1
            if SAFE_AFTER_NEWLINE.match(data, pos, b):
                return pos
        return b

    def safe_before(self, a: int, b: int) -> int:
        """The last safe position in data[a:b] (after a), else a."""
        data = self.data
        end = b - 1
        for _ in range(4):
            nl = data.rfind(b"\n", a, end)
            if nl < 0:
                break
            if SAFE_AFTER_NEWLINE.match(data, nl + 1, b):
                return nl + 1
            end = nl
        return a

    def limit(self, a: int) -> int:
        """The body's budget for a chunk starting at a: what header and overlap leave."""
        if not self.context and not self.overlap:
            return self.max_tokens
        got = self._limits.get(a)
        if got is None:
            got = self.max_tokens
            if self.context:
                got -= self.header(self.symbol(a, min(a + 1, len(self.data)))[0])[1]
            if self.overlap:
                o = self.overlap_start(a)
                got -= self.counter.count(self.text(o, a)) if o < a else 0
            self._limits[a] = got
        return got

    def overlap_start(self, a: int) -> int:
        """Where the overlap before a chunk starting at `a` starts (`a` for none)."""
        got = self._overlaps.get(a)
        if got is not None:
            return got
        data = self.data
        o = a
        for _ in range(self.overlap):
            if o <= 0:
                break
            o = data.rfind(b"\n", 0, o - 1) + 1
        if o < a:
            room = self.max_tokens
            if self.context:
                room -= self.header(self.symbol(a, min(a + 1, len(data)))[0])[1]
            while o < a and self.counter.count(self.text(o, a)) > room // 2:
                nl = data.find(b"\n", o, a)
                o = a if nl < 0 else nl + 1
        self._overlaps[a] = o
        return o

    def fits(self, a: int, b: int) -> bool:
        got = self._fits.get((a, b))
        if got is None:
            if self.derive and not self.context and not self.overlap:
                n = self.count(a, b)  # text and symbol wait for `emit`: few candidates are emitted
                got = (n <= self.max_tokens, n, None)
            else:
                symbol, kind = self.symbol(a, b)
                text = self.text(self.overlap_start(a) if self.overlap else a, b)
                if self.context:
                    text = self.header(symbol)[0] + text
                n = self.counter.count(text)
                got = (n <= self.max_tokens, n, (text, symbol, kind))
            self._fits[(a, b)] = got
        return got[0]

    def header(self, symbol: str) -> tuple[str, int]:
        """The --context line for a chunk with this symbol, and its count.

        The scope is shortened from the outside in ("… > class A > def f"), then cut, so
        the header never takes more than `HEADER_SCOPE_CHARS` characters of scope nor
        more than a quarter of the budget (unless the path alone does).
        """
        got = self._headers.get(symbol)
        if got is None:
            opener, closer = self._comment
            base = f"{opener}path: {self._path_text}"

            def make(scope: str) -> tuple[str, int]:
                text = f"{base} · {scope}{closer}\n" if scope else f"{base}{closer}\n"
                return text, self.counter.count(text)

            cap = self.max_tokens // 4
            labels = symbol.split(" > ") if symbol else []
            scope = symbol
            got = make(scope)
            while labels and (got[1] > cap or len(scope) > HEADER_SCOPE_CHARS):
                if len(labels) > 1:
                    labels.pop(0)
                    scope = "… > " + " > ".join(labels)
                elif len(labels[0]) > 8:
                    labels[0] = labels[0][: len(labels[0]) // 2] + "…"
                    scope = "… > " + labels[0] if scope.startswith("…") else labels[0]
                else:
                    labels, scope = [], ""
                got = make(scope)
            self._headers[symbol] = got
        return got

    def too_small(self, header_tokens: int) -> PackerError:
        if self.context:
            return ConfigError(
                f"--max-tokens {self.max_tokens} leaves no room for text after the --context "
                f"header of {self.path} ({header_tokens} tokens); raise --max-tokens or drop "
                "--context"
            )
        return ConfigError(
            f"--max-tokens {self.max_tokens} cannot hold even one character of "
            f"{self.path}; raise --max-tokens"
        )

    # -- structure --------------------------------------------------------------------

    def is_definition(self, p: _Piece) -> bool:
        """Whether p, once split, gets chunks of its own: a definition or top-level node."""
        if p.level != _NODES or not p.nodes:
            return False
        if p.depth == 1:
            return True
        for n in p.nodes:
            t = n.type
            got = self._def_types.get(t)
            if got is None:
                got = bool(_DEF_TYPE.search(t)) and not _NOT_DEF_TYPE.search(t)
                self._def_types[t] = got
            if got:
                return True
        return False

    def leads(self, p: _Piece) -> bool:
        """Whether `acc` is only the lead-in of p: its glued comments, or the headers of
        the nodes p is the first big part of (`class A:`, `namespace n {`, `template <T>`)."""
        acc = self.acc
        return acc[0].start == p.anchor or not any(q.statement for q in acc)

    @staticmethod
    def closing(p: _Piece) -> bool:
        """Whether p only closes what came before it: `}`, `end`, `;`, a trailing comment."""
        return (
            p.level == _NODES
            and bool(p.nodes)
            and all(not n.is_named or "comment" in n.type for n in p.nodes)
        )

    def stripped(self, a: int, b: int) -> tuple[int, int]:
        """data[a:b] without the whitespace around it (all of it if that is all there is)."""
        data = self.data
        s, e = a, b
        while s < e and data[s] in b" \t\r\n\f\v":
            s += 1
        while e > s and data[e - 1] in b" \t\r\n\f\v":
            e -= 1
        return (a, b) if s == e else (s, e)

    def symbol(self, a: int, b: int) -> tuple[str, str]:
        """The chunk's scope path and kind."""
        data = self.data
        s, e = self.stripped(a, b)
        i = self.scopes.find(s, e, _skip_lead_in(data, s, e), (a, b))
        if i >= 0:
            return self.scopes.paths[i], self.scopes.kinds[i]
        if not self.text_format:
            return "", "code"
        if (
            self.language in _DATA_FORMATS
            or languages.is_code(self.language)
            or _BLANK_LINE.search(data, s, e)
        ):
            return "", "text"  # several paragraphs, data, or code that was not parsed
        return "", "paragraph"

    # -- byte positions ---------------------------------------------------------------

    def align(self, c: int) -> int:
        """c, or the nearest boundary before it that does not split a character or CRLF."""
        data = self.data
        if c <= 0 or c >= len(data):
            return c
        byte = data[c]
        if byte == 0x0A and data[c - 1] == 0x0D:
            return c - 1
        if byte & 0xC0 == 0x80:  # a continuation byte: back to its lead byte, if it has one
            for q in range(c - 1, max(c - 4, -1), -1):
                if data[q] & 0xC0 != 0x80:
                    return q if data[q] >= 0xC0 else c
        return c

    def next_char(self, c: int) -> int:
        """The first boundary after c."""
        data = self.data
        n = len(data)
        if c == 0 and self.bom:
            c = self.bom
        if c >= n:
            return n
        stop = c + 1
        if data[c] == 0x0D and stop < n and data[stop] == 0x0A:
            return stop + 1
        if data[c] >= 0xC0:
            while stop < n and stop < c + 4 and data[stop] & 0xC0 == 0x80:
                stop += 1
        return min(stop, n)

    # -- output -----------------------------------------------------------------------

    def emit(self, a: int, b: int) -> None:
        self.fits(a, b)
        ok, tokens, made = self._fits[(a, b)]
        if made is None:  # a plain chunk whose count was read off the file's tokens
            symbol, kind = self.symbol(a, b)
            text = self.text(a, b)
        else:
            text, symbol, kind = made
        own = text[len(self.header(symbol)[0]) :] if self.context else text
        embed_text = self.embed_text(a, b, own) if self.embed else ""
        if not ok:  # pragma: no cover - every caller checked
            raise AssertionError(f"chunk {a}:{b} of {self.path} has {tokens} tokens")
        data = self.data
        self.newlines += data.count(b"\n", self.newlines_at, a)
        start_line = self.newlines + 1
        end_line = start_line + data.count(b"\n", a, b - 1)
        self.newlines_at = a
        self.out.append(
            Chunk(
                path=self.path,
                language=self.language,
                start_byte=a,
                end_byte=b,
                start_line=start_line,
                end_line=end_line,
                tokens=tokens,
                symbol=symbol,
                kind=kind,
                text=text,
                redacted=self.redacted_in(self.overlap_start(a) if self.overlap else a, b),
                embed_text=embed_text,
            )
        )
        self._fits.clear()
        self._limits.clear()
        self._overlaps.clear()

    # -- embedding text ---------------------------------------------------------------

    def embed_text(self, a: int, b: int, text: str) -> str:
        """`text` (the chunk's own, with its overlap) after the lines that say where it is:
        the path, the file's imports, and the headers of the definitions around it."""
        s, e = self.stripped(a, b)
        chain = self.scopes.around(s, e)
        prefix = self._prefixes.get(chain)
        if prefix is None:
            prefix = self._prefixes[chain] = self.embed_prefix(chain)
        return prefix + text

    def embed_prefix(self, chain: tuple[int, ...]) -> str:
        """The path, import and header lines before a chunk inside the definitions `chain`
        (outermost first), within `EMBED_PREFIX_TOKENS` (counted line by line): the imports
        are cut first, then the outer headers, then the innermost header, then the path."""
        low, high = EMBED_PREFIX_TOKENS
        cap = min(high, max(low, self.max_tokens // 2))
        opener, closer = self._comment
        path = f"{opener}path: {self._path_text}{closer}"
        items = self.import_items()
        heads = [self.scope_header(i) for i in chain]
        lines = [path, self.imports_line(len(items)), *heads] if items else [path, *heads]
        prefix = "".join(line + "\n" for line in lines)
        if len(prefix) <= cap and (prefix.isascii() or len(prefix.encode()) <= cap):
            return prefix  # a token is one byte at least
        count = self.line_tokens
        room = cap - count(path)
        sizes = [count(h) for h in heads]
        rest = sum(sizes)
        shown = len(items)
        while shown and count(self.imports_line(shown)) + rest > room:
            shown //= 2
        if shown:
            lines = [path, self.imports_line(shown), *heads]
        else:
            dropped = 0
            while dropped < len(heads) - 1 and rest + (count("…") if dropped else 0) > room:
                rest -= sizes[dropped]
                dropped += 1
            lines = [path, *(["…"] if dropped else []), *heads[dropped:]]
            text = self._path_text
            while sum(map(count, lines)) > cap:  # the innermost header is cut, then the path
                if len(lines) > 1 and len(lines[-1]) > 16:
                    lines[-1] = lines[-1][: len(lines[-1]) // 2].rstrip() + " …"
                elif len(text) > 16:
                    text = "…" + text[len(text) // 2 :]
                    lines[0] = f"{opener}path: {text}{closer}"
                else:
                    break
        return "".join(line + "\n" for line in lines)

    def imports_line(self, shown: int) -> str:
        """The line that lists the first `shown` of the file's imports."""
        items = self.import_items()
        opener, closer = self._comment
        more = ", …" if shown < len(items) else ""
        return f"{opener}imports: {', '.join(items[:shown])}{more}{closer}"

    def line_tokens(self, line: str) -> int:
        """The count of one line of embed_text's prefix (with its newline), once per file."""
        got = self._line_tokens.get(line)
        if got is None:
            got = self._line_tokens[line] = self.counter.count(line + "\n")
        return got

    def import_items(self) -> list[str]:
        """The file's imports, one item each ("std::io", "serde::Deserialize"), redacted:
        read off the redacted text of the import statements."""
        if self._imports is None:
            self._imports = []
            if self.tree is not None and self.language is not None:
                from packer import symbols

                text = self.text if self.spans or self.bom else None  # else the bytes as they are
                found = symbols.imports(
                    self.data, self.language, tree=self.tree, text=text, max_depth=IMPORT_DEPTH
                )
                join = _IMPORT_JOINS.get(self.language)
                items = (_import_item(i.module, i.names, join) for i in found)
                self._imports = list(dict.fromkeys(i for i in items if i))
        return self._imports

    def scope_header(self, i: int) -> str:
        """The header of scope `i`, as the file has it (indented, redacted) up to its
        body's opening; a section's label in a text format."""
        if self.tree is None:
            return self.scopes.labels[i]
        from packer import symbols

        data = self.data
        start, end = self.scopes.starts[i], self.scopes.ends[i]
        node = self.tree.root_node.descendant_for_byte_range(start, end)
        stop = symbols.header_end(node, data) if node is not None else end
        head = self.text(start, min(stop, end)).rstrip()
        if len(head) > EMBED_HEADER_CHARS:
            head = head[:EMBED_HEADER_CHARS].rstrip() + " …"
        line_start = data.rfind(b"\n", 0, start) + 1
        indent = data[line_start:start]
        return (indent.decode("ascii") if indent.isspace() and indent.isascii() else "") + head


def _import_item(module: str, names: tuple[str, ...], join: str | None) -> str:
    """One import as embed_text lists it: `a::b`, `a::{b, c}`, `a.b`, `react (React, useState)`."""
    module = " ".join(module.split())
    names = tuple(" ".join(n.split()) for n in names if n.strip())
    if not names:
        return module
    if not module:
        return ", ".join(names)
    if join is None:
        return f"{module} ({', '.join(names)})"
    sep = "" if module.endswith(join) else join
    if len(names) == 1:
        return module if names[0] == "self" else f"{module}{sep}{names[0]}"
    return f"{module}{sep}{{{', '.join(names)}}}"
