"""Measure: read, classify and size every candidate; cost the blocks the fitter asks about.

A pack under a budget does not need the exact count of every file: the fitter touches
the best-ranked files and those small enough to fill the last gaps. So a budgeted pack
measures each file with a byte estimate (`estimate`), and `Costs` counts a file's block
exactly, once, when the fitter asks for it. Whatever is packed has been counted exactly,
so the budget guarantee does not depend on the estimate; the estimate only decides
which files are worth counting (`Costs.floor`) and what the tree says of files that are
not packed (marked "~"). A small tree is counted whole all the same (`Work.count`, see
`pipeline.COUNT_AT_READ_BYTES`): its counts then serve every later query from the cache.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeGuard, TypeVar

from packer import cache as cachelib
from packer import content, languages, secrets, symbols
from packer import graph as graphs
from packer.errors import ConcurrentChangeError
from packer.records import (
    Candidate,
    FileInfo,
    Mode,
    Secret,
    Skip,
    SourceText,
)
from packer.render import Renderer, check_block, make_renderer, neutral
from packer.secrets import Span
from packer.skeleton import skeletonize
from packer.sketch import Fingerprint, fingerprint
from packer.symbols import comment_words
from packer.tokens import Counter

T = TypeVar("T")

Progress = Callable[[str, int, int], None]

# o200k/cl100k on code and prose: 3-4 bytes a token at the median, 1.3-7 at the extremes
# (measured on Django+SymPy and Linux). The floor must stay below the true count for
# nearly every file: a file whose count is under its floor is only ever passed over.
EST_BYTES_PER_TOKEN = 3.5
FLOOR_BYTES_PER_TOKEN = 8


def estimate(size: int, path: str) -> int:
    """A guess at a file's full block: its bytes at a typical rate plus the block's frame."""
    return round(size / EST_BYTES_PER_TOKEN) + len(path) // 3 + 12


@dataclass(frozen=True)
class Work:
    """What measuring computes for every file. Picklable: worker processes get a copy."""

    keep: frozenset[str]
    max_file_size: int | None
    encoding: str = "o200k_base"
    format: str | None = "xml"  # count each file's block in this format; None: its text alone
    count: bool = False  # exact counts (else `estimate`)
    skeleton: bool = False  # exact skeleton-block counts too
    redact: bool = False  # count the text as written: secrets redacted
    symbols: bool = False
    terms: bool = False
    fingerprints: bool = True
    sketches: bool = True
    cache_dir: str | None = None  # where worker processes read cached values (None: no cache)
    jobs: int | None = None  # worker processes; None: as many as cores when the work is large


@dataclass(frozen=True)
class Values:
    """What was computed of one text file, each value only when `Work` asks for it."""

    count: int | None = None  # its full block's exact cost
    skeleton: int | None = None  # its skeleton block's cost (None too when it has none)
    secrets: tuple[Span, ...] | None = None  # the secret scan; None: not scanned
    symbols: tuple[Any, ...] | None = None  # as `graph.names_to_plain`; None: not parsed, or deferred
    terms: tuple[str, ...] | None = None  # comment words; None: not asked, or deferred
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True)
class Text:
    """A file read as text: what `FileInfo` is made of."""

    path: str
    size: int
    digest: str
    encoding: str
    lines: int
    language: str | None
    values: Values


Outcome = Skip | Text  # what measuring makes of one file


@dataclass(frozen=True)
class Keys:
    """The cache keys of the values `Work` asks of one file; None: not asked."""

    count: bytes | None = None
    skeleton: bytes | None = None
    secrets: bytes | None = None
    symbols: bytes | None = None
    terms: bytes | None = None
    fp: bytes | None = None

    def all(self) -> list[bytes]:
        keys = (self.count, self.skeleton, self.secrets, self.symbols, self.terms, self.fp)
        return [k for k in keys if k is not None]

    def values(self, found: Mapping[bytes, Any]) -> Values:
        """The values these keys name, as far as `found` (cached values, by key) holds them."""

        def get(k: bytes | None) -> Any:
            return None if k is None else found.get(k)

        terms, fp = get(self.terms), get(self.fp)
        return Values(
            count=get(self.count),
            skeleton=get(self.skeleton),
            secrets=get(self.secrets),
            symbols=get(self.symbols),
            terms=None if terms is None else tuple(terms),
            fingerprint=None if fp is None else Fingerprint(*fp),
        )


@dataclass(frozen=True)
class Measured:
    infos: list[FileInfo]
    candidates: list[Candidate]  # parallel to infos, to re-read at write time
    skipped: list[Skip]
    prints: list[Fingerprint]  # parallel to infos, for deduplication (empty if not asked)
    symbols: list[graphs.Names | None]  # parallel to infos when asked, for the graph
    terms: list[tuple[str, ...]]  # parallel to infos when asked: comment words, for BM25
    clean: frozenset[int] = frozenset()  # infos scanned for secrets while counted: none found
    read: int = 0  # files read (the others came whole from the cache)
    processes: int = 0  # worker processes used (0: this process only)
    # Symbols and comment words a warm run left in the cache (keys by info index): ranking
    # needs them only when its memo misses, so they are loaded then (`complete`).
    deferred: dict[int, Keys] = field(default_factory=dict)
    from_snapshot: bool = False  # taken whole from the last run's (`packer.snapshot`)

    def complete(self, cache: cachelib.Cache | None, work: Work) -> None:
        """Fill in the deferred symbols and comment words (parsing again what is gone)."""
        if not self.deferred:
            return
        found = cache.get_many([k for ks in self.deferred.values() for k in ks.all()]) if cache else {}
        for i, ks in sorted(self.deferred.items()):
            info = self.infos[i]
            if any(k not in found for k in ks.all()):  # dropped from the cache since: made again
                made = _remake(self.candidates[i], info, ks, work, found)
                found.update(made)
                if cache is not None:
                    cache.put_many(made.items())
            if ks.symbols is not None:
                self.symbols[i] = graphs.names_from_plain(found[ks.symbols])
            if ks.terms is not None:
                self.terms[i] = tuple(found[ks.terms])
        self.deferred.clear()


def measured_to_plain(m: Measured, walked: Sequence[Candidate]) -> tuple[Any, ...]:
    """`m` (measured from `walked`) as values `marshal` takes, by column, for `snapshot`.
    Symbols and comment words are left out, as the stat index leaves them:
    `measured_from_plain` defers them."""
    where = {c.path: i for i, c in enumerate(walked)}
    infos = m.infos
    return (
        tuple(where[c.path] for c in m.candidates),  # each info's candidate, by its place in `walked`
        tuple(f.size for f in infos),
        tuple(f.digest for f in infos),
        tuple(f.encoding for f in infos),
        tuple(f.language for f in infos),
        tuple(f.tokens for f in infos),
        tuple(f.lines for f in infos),
        tuple(f.skeleton_tokens for f in infos),
        tuple(f.estimated for f in infos),
        tuple((s.path, s.kind, s.detail) for s in m.skipped),
        tuple(astuple_fp(p) for p in m.prints),
        tuple(sorted(m.clean)),
    )


def measured_from_plain(t: tuple[Any, ...], walked: Sequence[Candidate], work: Work) -> Measured:
    """What `measured_to_plain` made, for the same walk's `walked` candidates."""
    picks, sizes, digests, encodings, langs, tokens, lines, skels, estimated, skipped, prints, clean = t
    candidates = [walked[i] for i in picks]
    paths = (c.path for c in candidates)
    abspaths = (c.abspath for c in candidates)
    columns = (sizes, digests, encodings, langs, tokens, lines, skels, estimated)
    infos = list(map(FileInfo, paths, abspaths, *columns))
    m = Measured(
        infos,
        candidates,
        [Skip(*s) for s in skipped],
        [Fingerprint(*p) for p in prints],
        [None] * len(infos) if work.symbols else [],
        [()] * len(infos) if work.terms else [],
        clean=frozenset(clean),
        from_snapshot=True,
    )
    if work.symbols or work.terms:
        for i, f in enumerate(infos):
            big = _big_keys(work, f.digest, f.size, f.language)
            if big.all():
                m.deferred[i] = big
    return m


def _read_again(c: Candidate, info: FileInfo, work: Work) -> SourceText:
    """The file as measured, read again; an error if its bytes changed since."""
    got = content.read_again(c, info.digest, keep=work.keep, max_file_size=work.max_file_size)
    if got is None:
        raise ConcurrentChangeError(info.path)
    return got


def _remake(
    c: Candidate, info: FileInfo, keys: Keys, work: Work, found: Mapping[bytes, Any]
) -> dict[bytes, Any]:
    """The symbols and comment words `keys` name that `found` lacks, from the file read again."""
    text = secrets.redact(_read_again(c, info, work).text, info.path)[0]  # as `_one` made them
    made: dict[bytes, Any] = {}
    if keys.symbols is not None and keys.symbols not in found:
        made[keys.symbols] = _parse(text, info.language, info.path)
    if keys.terms is not None and keys.terms not in found:
        made[keys.terms] = comment_words(text)
    return made


def workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


# -- cache keys: a file's digest and size, what was computed, and everything it depends on


def frame(renderer: Renderer | None, path: str, mode: Mode, language: str | None) -> str:
    """A file's block around empty text: what a count depends on besides the text. With
    the placeholder token: a pack's token never changes a count (see `packer.render`), so
    a changed file elsewhere (a new token) leaves every other count cached."""
    return "" if renderer is None else neutral(renderer).file_block(path, "", mode, language)


def _count_key(
    work: Work, renderer: Renderer | None, path: str, digest: str, size: int, mode: Mode, language: str | None
) -> bytes:
    return cachelib.count_key(digest, size, work.encoding, frame(renderer, path, mode, language), work.redact)


def _keys(work: Work, renderer: Renderer | None, path: str, digest: str, size: int, lang: str | None) -> Keys:
    """The cache keys of the values `work` needs for one file."""
    big = _big_keys(work, digest, size, lang)
    skeleton = work.count and work.skeleton and languages.is_code(lang)
    # Symbols and comment words are text kept at rest: made from the redacted text always.
    scan = (work.count and work.redact) or bool(big.all())
    fp = None
    if work.fingerprints:
        fp = cachelib.fp_key(digest, size, work.sketches, work.redact and work.count)
    return Keys(
        count=_count_key(work, renderer, path, digest, size, "full", lang) if work.count else None,
        skeleton=_count_key(work, renderer, path, digest, size, "skeleton", lang) if skeleton else None,
        secrets=cachelib.secrets_key(path, digest, size) if scan else None,
        symbols=big.symbols,
        terms=big.terms,
        fp=fp,
    )


def _big_keys(work: Work, digest: str, size: int, lang: str | None) -> Keys:
    """The keys of the symbols and comment words `work` asks for: large values, which the
    stat index leaves out."""
    with_symbols = work.symbols and languages.is_code(lang)
    return Keys(
        symbols=cachelib.symbols_key(digest, size, lang) if with_symbols else None,
        terms=cachelib.terms_key(digest, size) if work.terms else None,
    )


# -- one file, in whatever process ---------------------------------------------------


@dataclass(frozen=True)
class _Done:
    """One file's outcome, and the cache entries made measuring it (the cache's owner
    writes them)."""

    outcome: Outcome
    entries: tuple[tuple[bytes, Any], ...] = ()
    sniff: str = ""  # a text file's `#!` line, redacted: its stat entry keeps it


class _Tools:
    """What one process needs to measure files: a counter, a renderer, a cache reader."""

    def __init__(self, work: Work, cache: cachelib.Cache | None) -> None:
        self.counter = Counter(work.encoding)
        self.renderer = make_renderer(work.format) if work.format else None
        self.cache = cache


_tools: dict[tuple[int, Work], _Tools] = {}
_tools_lock = threading.Lock()


def _worker_tools(work: Work) -> _Tools:
    """A worker process's tools, made once: its own read-only view of the cache."""
    with _tools_lock:
        got = _tools.get((os.getpid(), work))
        if got is None:
            reader = cachelib.Cache(work.cache_dir, readonly=True) if work.cache_dir else None
            got = _tools[(os.getpid(), work)] = _Tools(work, reader)
        return got


def _sniff(text: str) -> str:
    """What language detection needs of a file's start: its `#!` line, if any (redacted:
    it is kept in the cache)."""
    return secrets.redact(text[: text.find("\n") % 257])[0] if text.startswith("#!") else ""


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _one(work: Work, tools: _Tools, c: Candidate) -> _Done:
    """Read one file and compute what `work` asks that the cache does not hold."""
    got = content.read_source(c, keep=work.keep, max_file_size=work.max_file_size)
    if isinstance(got, Skip):
        return _Done(got)
    sniff = _sniff(got.text)
    lang = languages.detect(c.path, sniff)
    keys = _keys(work, tools.renderer, c.path, got.digest, got.size, lang)
    found = tools.cache.get_many(keys.all()) if tools.cache else {}
    made = _make(work, tools, got, lang, keys, found)
    lines = _lines(got.text)
    text = Text(c.path, got.size, got.digest, got.encoding, lines, lang, keys.values({**found, **made}))
    return _Done(text, tuple(made.items()), sniff)


def _make(
    work: Work, tools: _Tools, got: SourceText, lang: str | None, keys: Keys, found: Mapping[bytes, Any]
) -> dict[bytes, Any]:
    """The values `keys` name that `found` lacks, made from the file's text, by key."""
    made: dict[bytes, Any] = {}

    def missing(k: bytes | None) -> TypeGuard[bytes]:
        return k is not None and k not in found

    text = redacted = got.text
    if keys.secrets is not None:
        spans = found.get(keys.secrets)
        if spans is None:
            spans = made[keys.secrets] = tuple(secrets.scan(text, got.path))
        if spans:
            redacted = secrets.apply(text, spans, got.path)[0]
    if work.count and work.redact:  # counted as written
        text = redacted
    if missing(keys.count):
        made[keys.count] = tools.counter.count(_block(tools.renderer, got.path, text, "full", lang))
    if missing(keys.skeleton):
        skel = skeletonize(text, lang)
        made[keys.skeleton] = (
            None
            if skel is None
            else tools.counter.count(_block(tools.renderer, got.path, skel, "skeleton", lang))
        )
    if missing(keys.symbols):
        made[keys.symbols] = _parse(redacted, lang, got.path)
    if missing(keys.terms):
        made[keys.terms] = comment_words(redacted)
    if missing(keys.fp):
        made[keys.fp] = astuple_fp(fingerprint(text, sketch=work.sketches))
    return made


def _parse(text: str, lang: str | None, path: str) -> tuple[Any, ...]:
    # The graph needs names only: no signatures, docs or scopes (half the time), and its
    # compact `graph.Names` (a tenth of the memory of `FileSymbols`).
    found = symbols.extract(text.encode("utf-8", "surrogatepass"), lang, path=path, detail=False)
    return graphs.names_to_plain(graphs.names_of(found))


def _block(renderer: Renderer | None, path: str, text: str, mode: Mode, lang: str | None) -> str:
    return text if renderer is None else renderer.file_block(path, text, mode, lang)


def _batch(work: Work, batch: Sequence[Candidate]) -> tuple[list[_Done], list[str]]:
    """In a worker process: the batch's outcomes, and what its cache reader ran into."""
    tools = _worker_tools(work)
    done = [_one(work, tools, c) for c in batch]
    warnings = tools.cache.take_warnings() if tools.cache is not None else []
    return done, warnings


def _local_batch(tools: _Tools, work: Work, batch: Sequence[Candidate]) -> tuple[list[_Done], list[str]]:
    """In this process (threads): the caller's own cache, which collects its warnings."""
    return [_one(work, tools, c) for c in batch], []


def astuple_fp(fp: Fingerprint) -> tuple[str, str, int, bytes | None]:
    return (fp.exact, fp.normalized, fp.size, fp.minhash)


# -- every file ----------------------------------------------------------------------

PROCESS_MIN_BYTES = 16 << 20  # below this much to read, worker processes cost more than they save
BATCH_FILES = 64
BATCH_BYTES = 2 << 20


def measure(
    candidates: Sequence[Candidate],
    *,
    work: Work,
    cache: cachelib.Cache | None = None,
    progress: Progress | None = None,
) -> Measured:
    """Read, classify and size every candidate, in input order whatever runs where.

    Files whose stat the cache knows, with every value `work` needs cached, are not read
    at all. The rest are read in batches by worker processes (tree-sitter and the
    secret scan hold the GIL) when there is enough to read, else by threads here
    (tiktoken releases the GIL). Each worker holds one file's text at a time. The
    result does not depend on where a file was measured: a test packs both ways.
    """
    done: list[Outcome | None] = [None] * len(candidates)
    deferred: dict[int, Keys] = {}
    if cache is not None:
        index_key = _index_key(work, candidates)
        index = _from_index(cache.get(index_key) or {}, candidates, done, work, deferred)
        hits = sum(d is not None for d in done)
        renderer = make_renderer(work.format) if work.format else None
        _from_cache(work, renderer, candidates, cache, done)
    todo = [i for i, d in enumerate(done) if d is None]
    processes = _processes(work, sum(candidates[i].size for i in todo))
    _read_all(replace(work, jobs=None), candidates, todo, done, cache, processes=processes, progress=progress)
    if cache is not None and (todo or len(index) != hits):  # something was measured or is gone: a new index
        cache.put(index_key, _index(candidates, done))
    return _assemble(work, candidates, done, deferred, read=len(todo), processes=processes)


def _read_all(
    work: Work,
    candidates: Sequence[Candidate],
    todo: Sequence[int],
    done: list[Outcome | None],
    cache: cachelib.Cache | None,
    *,
    processes: int,
    progress: Progress | None,
) -> None:
    """Measure the files at `todo` into `done`, in batches, and cache what was made."""
    total = len(candidates)
    finished = total - len(todo)
    if progress:
        progress("count", finished, total)
    stamps: list[tuple[bytes, tuple[Any, ...]]] = []
    tasks = batches(todo, lambda i: candidates[i].size, files=BATCH_FILES, nbytes=BATCH_BYTES)
    fn: Callable[[Sequence[Candidate]], tuple[list[_Done], list[str]]] = (
        partial(_batch, work) if processes else partial(_local_batch, _Tools(work, cache), work)
    )
    with _executor(processes) as pool:
        for idx, (outs, problems) in zip(
            tasks, pool.map(fn, [[candidates[i] for i in b] for b in tasks]), strict=True
        ):
            if cache is not None and problems:
                cache.warnings.extend(w for w in problems if w not in cache.warnings)
            for i, d in zip(idx, outs, strict=True):
                done[i] = d.outcome  # its new cache entries are handed over here, not kept
                if cache is not None:
                    cache.put_many(d.entries)
                    st = _stat_entry(candidates[i], d, work.keep)
                    if st is not None:
                        stamps.append(st)
            finished += len(idx)
            if progress:
                progress("count", finished, total)
    if cache is not None:
        cache.put_many(stamps)


# One entry per repository and `Work` maps each settled file's path and stat to its whole
# outcome, as git's index does: a warm run of 78K files makes one lookup, not 78K.


def _index_key(work: Work, candidates: Sequence[Candidate]) -> bytes:
    c = candidates[0] if candidates else None
    root = c.abspath[: len(c.abspath) - len(c.path)] if c else ""
    # repr of a frozenset depends on the process's hash seed: the keep kinds go sorted.
    sig = replace(work, keep=frozenset(), cache_dir=None, jobs=None)
    return cachelib.index_key(root, work.keep, repr(sig))


def _settled(c: Candidate, now: int) -> bool:
    # ctime too: `tar x`, `cp -p` and `rsync -t` restore an old mtime on new bytes.
    return c.stamp is not None and now - max(c.stamp[0], c.stamp[1]) >= cachelib.SETTLED_NS


def _from_index(
    index: dict[str, Any],
    candidates: Sequence[Candidate],
    done: list[Outcome | None],
    work: Work,
    deferred: dict[int, Keys],
) -> dict[str, Any]:
    """Fill `done` from the index for files whose stat is what it recorded; the index.

    The index leaves out symbols and comment words (most of a parsed file's size): their
    keys go to `deferred` (by candidate), to be read only if ranking needs them.
    """
    if not isinstance(index, dict):
        return {}
    now = time.time_ns()
    for i, c in enumerate(candidates):
        e = index.get(c.path)
        if e is None or e[0] != c.stamp or e[1] != c.size or not _settled(c, now):
            continue
        out = done[i] = _from_plain(c.path, e[2])
        if isinstance(out, Text):
            big = _big_keys(work, out.digest, out.size, out.language)
            if big.all():
                deferred[i] = big
    return index


def _index(candidates: Sequence[Candidate], done: Sequence[Outcome | None]) -> dict[str, Any]:
    now = time.time_ns()
    return {
        c.path: (c.stamp, c.size, _plain(d))
        for c, d in zip(candidates, done, strict=True)
        if d is not None and _settled(c, now)
    }


def _plain(out: Outcome) -> tuple[Any, ...]:
    """An outcome as the index holds it (values `marshal` takes), less its symbols and
    comment words: large, they are kept in their own entries."""
    if isinstance(out, Skip):
        return ("skip", out.kind, out.detail)
    v = out.values
    fp = None if v.fingerprint is None else astuple_fp(v.fingerprint)
    return (
        "text",
        out.size,
        out.digest,
        out.encoding,
        out.lines,
        out.language,
        v.count,
        v.skeleton,
        v.secrets,
        fp,
    )


def _from_plain(path: str, plain: tuple[Any, ...]) -> Outcome:
    if plain[0] == "skip":
        return Skip(path, plain[1], plain[2])
    _, size, digest, encoding, lines, lang, count, skeleton, spans, fp = plain
    values = Values(count, skeleton, spans, fingerprint=None if fp is None else Fingerprint(*fp))
    return Text(path, size, digest, encoding, lines, lang, values)


def _stat_entry(c: Candidate, d: _Done, keep: frozenset[str]) -> tuple[bytes, tuple[Any, ...]] | None:
    """The stat entry of a text file just read, if its stat is settled: its digest and what
    reading it found (encoding, lines, `#!` line), for another `Work` of this file. One
    entry, not a stat -> digest entry and a digest -> read verdict entry: on LARGE's 78K
    files, a third of what a cold pack writes."""
    out = d.outcome
    if isinstance(out, Skip) or c.stamp is None or not _settled(c, time.time_ns()):
        return None
    return cachelib.stat_key(c.abspath, c.size, c.stamp, keep), (out.digest, out.encoding, out.lines, d.sniff)


def _from_cache(
    work: Work,
    renderer: Renderer | None,
    candidates: Sequence[Candidate],
    cache: cachelib.Cache,
    done: list[Outcome | None],
) -> None:
    """Fill `done` for the files the cache knows whole (their stat entry and values)."""
    limit = work.max_file_size
    known = {
        i: cachelib.stat_key(c.abspath, c.size, c.stamp, work.keep)
        for i, c in enumerate(candidates)
        if done[i] is None
        and c.stamp is not None
        and (limit is None or c.size <= limit)
        and not content.skipped_by_name(c.path, work.keep)
    }
    if not known:
        return
    stats = cache.get_many(list(known.values()))
    texts: dict[int, Text] = {}  # what the stat entry says, values to come
    keys: dict[int, Keys] = {}
    for i, k in known.items():
        c = candidates[i]
        got = stats.get(k)
        if not (isinstance(got, tuple) and len(got) == 4):  # none, or of another shape: a miss
            continue
        digest, encoding, lines, sniff = got
        lang = languages.detect(c.path, sniff)
        texts[i] = Text(c.path, c.size, digest, encoding, lines, lang, Values())
        keys[i] = _keys(work, renderer, c.path, digest, c.size, lang)
    values = cache.get_many([k for ks in keys.values() for k in ks.all()])
    for i, ks in keys.items():
        if all(k in values for k in ks.all()):
            done[i] = replace(texts[i], values=ks.values(values))


def batches(items: Iterable[T], size: Callable[[T], int], *, files: int, nbytes: int) -> list[list[T]]:
    """Consecutive items in batches of at most `files` items, a batch ending at the item
    that brings it to `nbytes` (by `size`): the tasks of a worker pool, in order."""
    out: list[list[T]] = []
    cur: list[T] = []
    total = 0
    for item in items:
        cur.append(item)
        total += size(item)
        if len(cur) >= files or total >= nbytes:
            out.append(cur)
            cur, total = [], 0
    if cur:
        out.append(cur)
    return out


def _processes(work: Work, size: int) -> int:
    """How many worker processes to use: 0 measures in this process."""
    if work.jobs is not None:
        return work.jobs if work.jobs > 1 and can_fork() else 0
    if size < PROCESS_MIN_BYTES or workers() < 2 or not can_fork():
        return 0
    return workers()


def can_fork() -> bool:
    """Whether worker processes can be forked here."""
    # fork is safe only before other threads exist (a library caller may have some);
    # spawn would re-run an unguarded __main__ of the caller. Without fork: threads.
    return "fork" in mp.get_all_start_methods() and sys.platform == "linux" and threading.active_count() == 1


class _InProcess:
    """An executor-shaped wrapper measuring with threads in this process."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(workers())

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
        return self._pool.map(fn, items)

    def __enter__(self) -> _InProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown()


def _executor(processes: int) -> Any:
    return fork_pool(processes) if processes else _InProcess()


def fork_pool(processes: int) -> ProcessPoolExecutor:
    """`processes` workers forked from this process (see `can_fork`)."""
    return ProcessPoolExecutor(processes, mp_context=mp.get_context("fork"), initializer=_worker_start)


def _worker_start() -> None:
    # What the worker inherited is frozen out of its garbage collector first: a collection
    # writes to every object it visits, and each page written becomes a private copy of the
    # parent's (a few of the ~45 MB each of MEDIUM's workers held). Then collect what the
    # worker makes: tree-sitter's objects may form cycles.
    gc.freeze()
    gc.enable()


def _assemble(
    work: Work,
    candidates: Sequence[Candidate],
    done: list[Outcome | None],
    deferred: dict[int, Keys],
    *,
    read: int,
    processes: int,
) -> Measured:
    m = Measured([], [], [], [], [], [], read=read, processes=processes)
    clean: set[int] = set()
    for k, c in enumerate(candidates):
        out = done[k]
        assert out is not None
        done[k] = None  # the records below replace it: one copy at a time
        if isinstance(out, Skip):
            m.skipped.append(out)
            continue
        v = out.values
        n = len(m.infos)
        m.infos.append(_info(out, c.abspath))
        m.candidates.append(c)
        if work.fingerprints:
            assert v.fingerprint is not None
            m.prints.append(v.fingerprint)
        if k in deferred:
            m.deferred[n] = deferred[k]
        if work.symbols:
            m.symbols.append(None if v.symbols is None else graphs.names_from_plain(v.symbols))
        if work.terms:
            m.terms.append(v.terms or ())
        if v.secrets is not None and not v.secrets:
            clean.add(n)
    return replace(m, clean=frozenset(clean))


def _info(out: Text, abspath: str) -> FileInfo:
    """What the pipeline keeps of a text file: counted exactly if `Work.count` asked."""
    tokens = estimate(out.size, out.path) if out.values.count is None else out.values.count
    skel = out.values.skeleton
    return FileInfo(
        path=out.path,
        abspath=abspath,
        size=out.size,
        digest=out.digest,
        encoding=out.encoding,
        language=out.language,
        tokens=tokens,
        lines=out.lines,
        # A skeleton that costs as much as the file is no rung at all.
        skeleton_tokens=skel if skel is not None and skel < tokens else None,
        estimated=out.values.count is None,
    )


def _parsable(info: FileInfo) -> bool:
    """Code small enough that its skeleton is worth making."""
    return languages.is_code(info.language) and info.size <= 4 * symbols.MAX_BYTES


AHEAD_BATCH = 32  # skeletons a batch of `Costs.ahead` makes: 16 per worker, ~0.15 s each

_ahead: Costs | None = None  # the `Costs` whose `ahead` forked the running workers


def _make_one_ahead(i: int) -> tuple[tuple[Span, ...] | None, str | None, int | None] | None:
    """In a forked worker: `Costs._make` of the parent's costs; None if the file changed
    (the fitter then reads it itself, and stops the pack)."""
    assert _ahead is not None
    try:
        return _ahead._make(i)
    except ConcurrentChangeError:
        return None


class Costs:
    """Exact block costs of measured files, counted once each, on demand.

    A file is re-read for its count; if its bytes changed since it was measured the
    pack stops (`ConcurrentChangeError`) rather than count one text and write another.
    Counts, secret scans, skeletons and sketches come from the cache when it has them.
    """

    def __init__(
        self,
        measured: Measured,
        *,
        counter: Counter,
        renderer: Renderer,
        work: Work,
        redact: bool = True,
        cache: cachelib.Cache | None = None,
    ) -> None:
        self._m = measured
        self._counter = counter
        self._renderer = renderer
        self._work = replace(work, redact=redact)  # the text as written decides the counts
        self._cache = cache
        self._full: dict[int, int] = {}
        self._skel: dict[int, int | None] = {}
        self._lines: dict[str, int] = {}
        self._lines_key = b""
        self._lines_loaded = 0
        self._memo: dict[bytes, Any] = {}  # cached values read ahead (`preload`)
        self._redact = redact
        self.secrets: dict[int, list[Secret]] = {}  # files read here that hold secrets
        self.counted = 0  # files whose full block was counted here (not at measure time)
        self._frame: int | None = None  # an empty block's tokens, less a margin (`floor`)
        self._pool: Any = None  # worker processes, inside `ahead`
        self._order: list[int] = []
        self._place: dict[int, int] = {}
        self._tried_ahead: set[int] = set()  # files a batch made a skeleton of (or failed to)

    @property
    def infos(self) -> list[FileInfo]:
        return self._m.infos

    def raw(self, i: int) -> SourceText:
        """File i's text as read, after checking it is the file that was measured."""
        return _read_again(self._m.candidates[i], self._m.infos[i], self._work)

    def source(self, i: int) -> SourceText:
        """File i's text as it will be written: secrets redacted (unless allowed)."""
        got = self.raw(i)
        if i in self._m.clean:  # scanned when measured, same bytes (checked): nothing to redact
            return got
        spans = self._cached(
            cachelib.secrets_key(got.path, got.digest, got.size),
            lambda: tuple(secrets.scan(got.text, got.path)),
        )
        text, found = secrets.apply(got.text, spans, got.path)
        if found:
            self.secrets[i] = [replace(x, redacted=self._redact) for x in found]
            if self._redact:
                got = replace(got, text=text)
        return got

    def preload(self, indices: Iterable[int]) -> None:
        """Read these files' cached counts, skeletons and sketches in one query: the fitter
        then asks for them one at a time without a database round trip each."""
        if self._cache is None:
            return
        keys: list[bytes] = []
        for i in indices:
            info = self._m.infos[i]
            keys.append(cachelib.fp_key(info.digest, info.size, True, False))
            if info.estimated:
                keys.append(self._key(i, "full"))
            if languages.is_code(info.language):
                keys.append(self._key(i, "skeleton"))
        self._memo.update(self._cache.get_many([k for k in keys if k not in self._memo]))

    def _cached(self, key: bytes, make: Callable[[], Any]) -> Any:
        if key in self._memo:
            return self._memo[key]
        if self._cache is None:
            return make()
        found = self._cache.get_many([key])
        if key in found:  # None is a value too ("no skeleton")
            return found[key]
        got = make()
        self._cache.put(key, got)
        return got

    def found(self, packed: Iterable[int]) -> list[Secret]:
        """The secrets of these files, by path and line."""
        return sorted((x for i in packed for x in self.secrets.get(i, ())), key=lambda x: (x.path, x.line))

    def count(self, text: str) -> int:
        return self._counter.count(text)

    def count_long(self, text: str) -> int:
        """`count` of a whole pack, its pieces counted at once on every core."""
        return self._counter.count_long(text, workers())

    @contextlib.contextmanager
    def ahead(self, order: Sequence[int], budget: int | None) -> Iterator[None]:
        """While inside, a skeleton the fitter asks for that this run and the cache lack is
        made in worker processes together with those of the next files of `order` (the
        fitter's order; none larger than `budget`), `AHEAD_BATCH` at a time. Tree-sitter
        holds the GIL, so threads would only take turns, and a new query on a warm tree
        makes ~900 skeletons of files it never packed (9 ms each for C, parsed twice;
        exact counts, a few ms, stay on demand: the fitter passes over most files by a
        floor). Batches are made as the fitter asks, not for a guessed set up front: at
        most one per pass is made for nothing. Only with secrets redacted (the values are
        the ones `_cached` would keep) and more than one worker."""
        n = self._work.jobs if self._work.jobs is not None else workers()  # `-j 1`: none
        if budget is None or not order or not self._redact or n < 2 or not can_fork():
            yield
            return
        global _ahead
        _ahead = self
        try:
            with _executor(n) as pool:
                self._pool = pool
                self._order = [i for i in order if self.floor(i) <= budget]  # never asked: no room
                self._place = {i: k for k, i in enumerate(self._order)}
                yield
        finally:
            self._pool, _ahead = None, None

    def _make_batch(self, i: int) -> None:
        """File i's skeleton, and those of the next files in order that lack one, made by
        the workers."""
        k = self._place.get(i)
        if self._pool is None or k is None or i in self._tried_ahead:
            return
        batch = [i]
        for j in itertools.islice(self._order, k + 1, None):  # no copy of the rest of the order
            if len(batch) >= AHEAD_BATCH:
                break
            if j not in self._tried_ahead and self._lacks_skeleton(j):
                batch.append(j)
        self._tried_ahead.update(batch)
        for j, got in zip(batch, self._pool.map(_make_one_ahead, batch), strict=True):
            if got is not None:
                self._adopt(j, *got)

    def _lacks_skeleton(self, i: int) -> bool:
        info = self._m.infos[i]
        return (
            info.skeleton_tokens is None
            and _parsable(info)
            and i not in self._skel
            and self._key(i, "skeleton") not in self._memo
        )

    def _adopt(
        self, i: int, spans: tuple[Span, ...] | None, skeleton: str | None, tokens: int | None
    ) -> None:
        """What a worker made of file i, kept as `_cached` keeps what it makes."""
        info = self._m.infos[i]
        made: list[tuple[bytes, Any]] = [
            (cachelib.skeleton_text_key(info.digest, info.size, info.language), skeleton),
            (self._key(i, "skeleton"), tokens),
        ]
        if spans is not None:
            made.append((cachelib.secrets_key(info.path, info.digest, info.size), spans))
        self._memo.update(made)
        if self._cache is not None:
            self._cache.put_many(made)

    def _make(self, i: int) -> tuple[tuple[Span, ...] | None, str | None, int | None]:
        """In a worker: file i's secret scan, its skeleton (of the redacted text) and the
        skeleton block's count. Nothing here touches the cache."""
        info = self._m.infos[i]
        got = self.raw(i)
        spans = None if i in self._m.clean else tuple(secrets.scan(got.text, got.path))
        text = secrets.apply(got.text, spans, got.path)[0] if spans else got.text
        made = skeletonize(text, info.language)
        if made is None:
            return spans, None, None
        return spans, made, self.block(self._renderer.file_block(info.path, made, "skeleton", info.language))

    def prefetch(self, indices: Sequence[int]) -> None:
        """Count these files' full blocks now, in parallel (a split packs them all)."""
        todo = [i for i in indices if self._m.infos[i].estimated and i not in self._full]
        with ThreadPoolExecutor(workers()) as pool:
            for i, got in zip(todo, pool.map(self._count_full, todo), strict=True):
                self._full[i] = got

    def block(self, text: str) -> int:
        return self._counter.count(check_block(text)) if text else 0

    def line(self, line: str) -> int:
        """A tree line's block cost (lines repeat across trees and runs: cached)."""
        got = self._lines.get(line)
        if got is None:
            got = self._lines[line] = self.block(self._renderer.tree_line(line))
        return got

    def load_lines(self, key: bytes) -> None:
        """Tree-line costs of an earlier run (a 78K-file tree is 78K lines to count)."""
        self._lines_key = key
        got = self._cache.get(key) if self._cache is not None else None
        if isinstance(got, dict):
            self._lines.update(got)
        self._lines_loaded = len(self._lines)

    def save_lines(self) -> None:
        if self._cache is not None and self._lines_key and len(self._lines) != self._lines_loaded:
            self._cache.put(self._lines_key, self._lines)

    def full(self, i: int) -> int:
        info = self._m.infos[i]
        if not info.estimated:
            return info.tokens
        got = self._full.get(i)
        if got is None:
            got = self._full[i] = self._count_full(i)
        return got

    def _key(self, i: int, mode: Mode) -> bytes:
        info = self._m.infos[i]
        return _count_key(self._work, self._renderer, info.path, info.digest, info.size, mode, info.language)

    def _count_full(self, i: int) -> int:
        def make() -> int:
            self.counted += 1
            src = self.source(i)
            lang = self._m.infos[i].language
            return self.block(self._renderer.file_block(src.path, src.text, "full", lang))

        return int(self._cached(self._key(i, "full"), make))

    def written_text(self, i: int, mode: Mode) -> str:
        """File i's text as the pack writes it in `mode` ("full" or "skeleton").

        The file is read again in either mode: it must be the file that was measured (a
        skeleton from the cache is the measured file's), and its secrets are listed in
        `found` whether its skeleton was made now or taken from the cache.
        """
        text = self.source(i).text
        if mode == "full":
            return text
        skeleton = self.skeleton_text(i)
        if skeleton is None:  # pragma: no cover - skeletonize is deterministic
            raise AssertionError(f"{self._m.infos[i].path}: skeleton vanished between measure and write")
        return skeleton

    def skeleton_text(self, i: int) -> str | None:
        """File i's skeleton as written (from redacted text unless secrets are allowed)."""
        info = self._m.infos[i]
        if not self._redact:  # text with secrets in it is never kept at rest
            return skeletonize(self.source(i).text, info.language)
        k = cachelib.skeleton_text_key(info.digest, info.size, info.language)
        got: str | None = self._cached(k, lambda: skeletonize(self.source(i).text, info.language))
        return got

    def skeleton(self, i: int) -> int | None:
        """The skeleton block's cost, made on demand; None when it saves nothing."""
        info = self._m.infos[i]
        if info.skeleton_tokens is not None:
            return info.skeleton_tokens
        if not _parsable(info):
            return None  # far too large to parse: not worth reading and scanning to find out
        if i not in self._skel:
            if self._pool is not None and self._lacks_skeleton(i):
                self._make_batch(i)

            def make() -> int | None:
                skel = self.skeleton_text(i)
                return (
                    None
                    if skel is None
                    else self.block(self._renderer.file_block(info.path, skel, "skeleton", info.language))
                )

            got = self._cached(self._key(i, "skeleton"), make)
            # Below the file's floor it is surely smaller; only near it is the file counted.
            smaller = got is not None and (got < self.floor(i) or got < self.full(i))
            self._skel[i] = got if smaller else None
        return self._skel[i]

    def fingerprint(self, i: int) -> Fingerprint:
        """File i's fingerprint with its MinHash sketch (of the text as read)."""
        info = self._m.infos[i]
        return Fingerprint(
            *self._cached(
                cachelib.fp_key(info.digest, info.size, True, False),
                lambda: astuple_fp(fingerprint(self.raw(i).text)),
            )
        )

    def __call__(self, i: int, mode: Mode) -> int | None:
        """The fitter's cost callback."""
        return self.full(i) if mode == "full" else self.skeleton(i) if mode == "skeleton" else 0

    def floor(self, i: int) -> int:
        """A lower bound (for nearly every file) of `full(i)`, known without counting: its
        bytes at a generous rate, plus the frame every block has (less a few tokens, for
        merges across the frame's edges)."""
        info = self._m.infos[i]
        if not info.estimated or i in self._full:
            return self.full(i)
        if self._frame is None:
            self._frame = max(self.block(self._renderer.file_block("", "", "full", None)) - 4, 0)
        return info.size // FLOOR_BYTES_PER_TOKEN + self._frame
