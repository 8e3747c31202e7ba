"""Measure: read, classify and size every candidate; cost the blocks the fitter asks about.

A pack under a budget does not need the exact count of every file: the fitter touches
the best-ranked files and those small enough to fill the last gaps. So a budgeted pack
measures each file with a byte estimate (`estimate`), and `Costs` counts a file's block
exactly, once, when the fitter asks for it. Whatever is packed has been counted exactly,
so the budget guarantee does not depend on the estimate; the estimate only decides
which files are worth counting (`Costs.floor`) and what the tree says of files that are
not packed (marked "~").
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from packer import cache as cachelib
from packer import content, languages, secrets, symbols
from packer.errors import ConcurrentChangeError
from packer.records import (
    Candidate,
    Definition,
    FileInfo,
    FileSymbols,
    Import,
    Mode,
    Reference,
    Secret,
    Skip,
    SourceText,
)
from packer.render import Renderer, check_block, make_renderer, neutral
from packer.skeleton import skeletonize
from packer.sketch import Fingerprint, fingerprint
from packer.symbols import comment_words
from packer.tokens import Counter

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
class Measured:
    infos: list[FileInfo]
    candidates: list[Candidate]  # parallel to infos, to re-read at write time
    skipped: list[Skip]
    prints: list[Fingerprint]  # parallel to infos, for deduplication (empty if not asked)
    symbols: list[FileSymbols | None]  # parallel to infos when asked, for ranking
    terms: list[tuple[str, ...]]  # parallel to infos when asked: comment words, for BM25
    clean: frozenset[int] = frozenset()  # infos scanned for secrets while counted: none found
    read: int = 0  # files read (the others came whole from the cache)
    processes: int = 0  # worker processes used (0: this process only)
    # Symbols and comment words a warm run left in the cache (keys by info index): ranking
    # needs them only when its memo misses, so they are loaded then (`complete`).
    deferred: dict[int, dict[str, bytes]] = field(default_factory=dict)

    def complete(self, cache: cachelib.Cache | None, work: Work) -> None:
        """Fill in the deferred symbols and comment words (parsing again what is gone)."""
        if not self.deferred:
            return
        found = cache.get_many([k for ks in self.deferred.values() for k in ks.values()]) if cache else {}
        for i, ks in sorted(self.deferred.items()):
            info = self.infos[i]
            text: str | None = None
            for name, k in ks.items():
                if k in found:
                    value = found[k]
                else:  # dropped from the cache since: made again
                    if text is None:
                        got = content.read_again(
                            self.candidates[i], info.digest, keep=work.keep, max_file_size=work.max_file_size
                        )
                        if got is None:
                            raise ConcurrentChangeError(
                                f"{info.path} changed while packing; nothing was written, run packer again"
                            )
                        text = secrets.redact(got.text, info.path)[0]  # as `_one` made them
                    value = (
                        symbols_to_tuple(
                            symbols.extract(
                                text.encode("utf-8", "surrogatepass"), info.language, path=info.path
                            )
                        )
                        if name == "symbols"
                        else comment_words(text)
                    )
                    if cache is not None:
                        cache.put(k, value)
                if name == "symbols":
                    self.symbols[i] = symbols_from_tuple(info.path, value)
                else:
                    self.terms[i] = tuple(value)
        self.deferred.clear()


def workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


# -- cache keys: a file's digest and size, what was computed, and everything it depends on


def frame(renderer: Renderer | None, path: str, mode: Mode, language: str | None) -> str:
    """A file's block around empty text: what a count depends on besides the text. With
    the placeholder token: a pack's token never changes a count (see `packer.render`), so
    a changed file elsewhere (a new token) leaves every other count cached."""
    return "" if renderer is None else neutral(renderer).file_block(path, "", mode, language)


def count_key(
    work: Work, renderer: Renderer | None, path: str, digest: str, size: int, mode: Mode, language: str | None
) -> bytes:
    return cachelib.key(
        digest, size, "count", work.encoding, frame(renderer, path, mode, language), work.redact
    )


def secrets_key(path: str, digest: str, size: int) -> bytes:
    # detect-secrets' keyword patterns depend on the file's extension.
    return cachelib.key(digest, size, "secrets", os.path.splitext(path)[1])


def fp_key(digest: str, size: int, sketch: bool, redacted: bool) -> bytes:
    return cachelib.key(digest, size, "fp", sketch, redacted)


def read_key(work: Work, digest: str, size: int) -> bytes:
    return cachelib.key(digest, size, "read", sorted(work.keep))


def _keys(
    work: Work, renderer: Renderer | None, path: str, digest: str, size: int, lang: str | None
) -> dict[str, bytes]:
    """The cache keys of the values `work` needs for one file."""
    keys: dict[str, bytes] = {}
    with_symbols = work.symbols and languages.is_code(lang)
    if work.count:
        keys["count"] = count_key(work, renderer, path, digest, size, "full", lang)
        if work.skeleton and languages.is_code(lang):
            keys["skeleton"] = count_key(work, renderer, path, digest, size, "skeleton", lang)
    # Symbols and comment words are text kept at rest: made from the redacted text always.
    if (work.count and work.redact) or with_symbols or work.terms:
        keys["secrets"] = secrets_key(path, digest, size)
    if with_symbols:
        keys["symbols"] = cachelib.key(digest, size, "symbols", lang)
    if work.terms:
        keys["terms"] = cachelib.key(digest, size, "terms")
    if work.fingerprints:
        keys["fp"] = fp_key(digest, size, work.sketches, work.redact and work.count)
    return keys


# -- one file, in whatever process ---------------------------------------------------

# A file's outcome: a Skip, or (path, size, digest, encoding, lines, language, values).
_Out = tuple[str, int, str, str, int, str | None, dict[str, Any]]
_Done = tuple[Skip | _Out, list[tuple[bytes, Any]]]


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
        return got, []
    text = got.text
    sniff = _sniff(text)
    lang = languages.detect(c.path, sniff)
    keys = _keys(work, tools.renderer, c.path, got.digest, got.size, lang)
    have = tools.cache.get_many(list(keys.values())) if tools.cache else {}
    values = {name: have[k] for name, k in keys.items() if k in have}
    lines = _lines(text)
    verdict = ("text", got.encoding, lines, sniff)
    new: list[tuple[bytes, Any]] = [(read_key(work, got.digest, got.size), verdict)]

    def put(name: str, value: Any) -> None:
        values[name] = value
        new.append((keys[name], value))

    redacted = text
    if "secrets" in keys:
        if "secrets" not in values:
            put("secrets", tuple(secrets.scan(text, c.path)))
        if values["secrets"]:
            redacted = secrets.apply(text, values["secrets"], c.path)[0]
    if work.count and work.redact:  # counted as written
        text = redacted
    if "count" in keys and "count" not in values:
        put("count", tools.counter.count(_block(tools.renderer, c.path, text, "full", lang)))
    if "skeleton" in keys and "skeleton" not in values:
        skel = skeletonize(text, lang)
        put(
            "skeleton",
            None
            if skel is None
            else tools.counter.count(_block(tools.renderer, c.path, skel, "skeleton", lang)),
        )
    if "symbols" in keys and "symbols" not in values:
        put(
            "symbols",
            symbols_to_tuple(symbols.extract(redacted.encode("utf-8", "surrogatepass"), lang, path=c.path)),
        )
    if "terms" in keys and "terms" not in values:
        put("terms", comment_words(redacted))
    if "fp" in keys and "fp" not in values:
        put("fp", astuple_fp(fingerprint(text, sketch=work.sketches)))
    return (c.path, got.size, got.digest, got.encoding, lines, lang, values), new


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


def symbols_to_tuple(fs: FileSymbols) -> tuple[Any, ...]:
    """A `FileSymbols` as plain tuples (for the cache and for pickling), without its path."""
    return (
        fs.language,
        tuple(
            (
                d.name,
                d.kind,
                d.keyword,
                d.start_line,
                d.end_line,
                d.start_byte,
                d.end_byte,
                d.signature,
                d.doc,
                d.scope,
            )
            for d in fs.definitions
        ),
        tuple((r.name, r.line, r.kind) for r in fs.references),
        tuple((i.module, i.names, i.line) for i in fs.imports),
        fs.has_errors,
        fs.fallback,
    )


def symbols_from_tuple(path: str, t: tuple[Any, ...]) -> FileSymbols:
    lang, defs, refs, imps, has_errors, fallback = t
    return FileSymbols(
        path,
        lang,
        tuple(Definition(*d) for d in defs),
        tuple(Reference(*r) for r in refs),
        tuple(Import(*i) for i in imps),
        has_errors,
        fallback,
    )


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
    renderer = make_renderer(work.format) if work.format else None
    done: list[_Done | None] = [None] * len(candidates)
    index_key = _index_key(work, candidates)
    index: dict[str, Any] = {}
    deferred: dict[int, dict[str, bytes]] = {}
    hits = 0
    if cache is not None:
        index = _from_index(cache.get(index_key) or {}, candidates, done, work, deferred)
        hits = sum(d is not None for d in done)
        _from_cache(work, renderer, candidates, cache, done)
    todo = [i for i, d in enumerate(done) if d is None]
    total = len(candidates)
    finished = total - len(todo)
    if progress:
        progress("count", finished, total)
    stamps: list[tuple[bytes, str]] = []
    batches = _batches(candidates, todo)
    processes = _processes(work, sum(candidates[i].size for i in todo))
    work = replace(work, jobs=None)
    fn: Callable[[Sequence[Candidate]], tuple[list[_Done], list[str]]] = (
        partial(_batch, work) if processes else partial(_local_batch, _Tools(work, cache), work)
    )
    with _executor(processes) as pool:
        for idx, (outs, problems) in zip(
            batches, pool.map(fn, [[candidates[i] for i in b] for b in batches]), strict=True
        ):
            if cache is not None and problems:
                cache.warnings.extend(w for w in problems if w not in cache.warnings)
            for i, (out, new) in zip(idx, outs, strict=True):
                done[i] = (out, [])  # its new cache entries are handed over below, not kept
                if cache is not None:
                    cache.put_many(new)
                    if not isinstance(out, Skip):
                        st = _stat_entry(candidates[i], out[2])
                        if st is not None:
                            stamps.append(st)
            finished += len(idx)
            if progress:
                progress("count", finished, total)
    if cache is not None:
        cache.put_many(stamps)
        if todo or len(index) != hits:  # something was measured or is gone: a new index
            cache.put(index_key, _index(candidates, done))
    return _assemble(work, candidates, done, deferred, read=len(todo), processes=processes)


# One entry per repository and `Work` maps each settled file's path and stat to its whole
# outcome, as git's index does: a warm run of 78K files makes one lookup, not 78K.


def _index_key(work: Work, candidates: Sequence[Candidate]) -> bytes:
    c = candidates[0] if candidates else None
    root = c.abspath[: len(c.abspath) - len(c.path)] if c else ""
    # repr of a frozenset depends on the process's hash seed: the keep kinds go sorted.
    sig = replace(work, keep=frozenset(), cache_dir=None, jobs=None)
    return cachelib.key("index", 0, "measure-index", root, sorted(work.keep), repr(sig))


def _settled(c: Candidate, now: int) -> bool:
    # ctime too: `tar x`, `cp -p` and `rsync -t` restore an old mtime on new bytes.
    return c.stamp is not None and now - max(c.stamp[0], c.stamp[1]) >= cachelib.SETTLED_NS


def _from_index(
    index: dict[str, Any],
    candidates: Sequence[Candidate],
    done: list[_Done | None],
    work: Work,
    deferred: dict[int, dict[str, bytes]],
) -> dict[str, Any]:
    """Fill `done` from the index for files whose stat is what it recorded; the index.

    The index leaves out symbols and comment words (most of a parsed file's size): their
    keys go to `deferred` (by candidate), to be read only if ranking needs them.
    """
    if not isinstance(index, dict):
        return {}
    now = time.time_ns()
    later: dict[int, dict[str, bytes]] = {}
    for i, c in enumerate(candidates):
        e = index.get(c.path)
        if e is not None and e[0] == c.stamp and e[1] == c.size and _settled(c, now):
            out = e[2]
            if out[0] == "skip":
                done[i] = (Skip(c.path, out[1]), [])
                continue
            got = tuple(out[1:])
            done[i] = (got, [])
            _, size, digest, _, _, lang, _ = got
            big: dict[str, bytes] = {}
            if work.symbols and languages.is_code(lang):
                big["symbols"] = cachelib.key(digest, size, "symbols", lang)
            if work.terms:
                big["terms"] = cachelib.key(digest, size, "terms")
            if big:
                later[i] = big
    deferred.update(later)
    return index


def _index(candidates: Sequence[Candidate], done: Sequence[_Done | None]) -> dict[str, Any]:
    now = time.time_ns()
    out: dict[str, Any] = {}
    for c, d in zip(candidates, done, strict=True):
        if d is None or not _settled(c, now):
            continue
        got = d[0]
        if isinstance(got, Skip):
            out[c.path] = (c.stamp, c.size, ("skip", got.reason))
        else:
            values = {k: v for k, v in got[6].items() if k not in _NOT_INDEXED}
            out[c.path] = (c.stamp, c.size, ("ok", *got[:6], values))
    return out


_NOT_INDEXED = frozenset({"symbols", "terms"})  # large: kept in their own entries


def _stat_entry(c: Candidate, digest: str) -> tuple[bytes, str] | None:
    """The stat -> digest entry of a file just read, if its stat is settled."""
    if c.stamp is None or not _settled(c, time.time_ns()):
        return None
    return cachelib.stat_key(c.abspath, c.size, c.stamp), digest


def _from_cache(
    work: Work,
    renderer: Renderer | None,
    candidates: Sequence[Candidate],
    cache: cachelib.Cache,
    done: list[_Done | None],
) -> None:
    """Fill `done` for the files the cache knows whole (stat, read verdict and values)."""
    limit = work.max_file_size
    known = {
        i: cachelib.stat_key(c.abspath, c.size, c.stamp)
        for i, c in enumerate(candidates)
        if done[i] is None
        and c.stamp is not None
        and (limit is None or c.size <= limit)
        and not content.skipped_by_name(c.path, work.keep)
    }
    if not known:
        return
    digests = cache.get_many(list(known.values()))
    rkeys = {i: read_key(work, digests[k], candidates[i].size) for i, k in known.items() if k in digests}
    reads = cache.get_many(list(rkeys.values()))
    wanted: dict[int, tuple[Any, str | None, dict[str, bytes]]] = {}  # verdict, language, keys
    for i, rk in rkeys.items():
        c = candidates[i]
        verdict = reads.get(rk)
        if verdict is None or verdict[0] != "text":
            continue
        lang = languages.detect(c.path, verdict[3])
        wanted[i] = (verdict, lang, _keys(work, renderer, c.path, digests[known[i]], c.size, lang))
    values = cache.get_many([k for _, _, ks in wanted.values() for k in ks.values()])
    for i, ((_, encoding, lines, _), lang, ks) in wanted.items():
        if all(k in values for k in ks.values()):
            c = candidates[i]
            got = {name: values[k] for name, k in ks.items()}
            done[i] = ((c.path, c.size, digests[known[i]], encoding, lines, lang, got), [])


def _batches(candidates: Sequence[Candidate], todo: Sequence[int]) -> list[list[int]]:
    out: list[list[int]] = []
    cur: list[int] = []
    size = 0
    for i in todo:
        cur.append(i)
        size += candidates[i].size
        if len(cur) >= BATCH_FILES or size >= BATCH_BYTES:
            out.append(cur)
            cur, size = [], 0
    if cur:
        out.append(cur)
    return out


def _processes(work: Work, size: int) -> int:
    """How many worker processes to use: 0 measures in this process."""
    if work.jobs is not None:
        return work.jobs if work.jobs > 1 and _can_fork() else 0
    if size < PROCESS_MIN_BYTES or workers() < 2 or not _can_fork():
        return 0
    return workers()


def _can_fork() -> bool:
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
    if processes:
        # Workers parse with tree-sitter, whose objects may form cycles: collect there.
        return ProcessPoolExecutor(processes, mp_context=mp.get_context("fork"), initializer=gc.enable)
    return _InProcess()


def _assemble(
    work: Work,
    candidates: Sequence[Candidate],
    done: list[_Done | None],
    deferred: dict[int, dict[str, bytes]],
    *,
    read: int,
    processes: int,
) -> Measured:
    infos: list[FileInfo] = []
    kept: list[Candidate] = []
    skipped: list[Skip] = []
    prints: list[Fingerprint] = []
    syms: list[FileSymbols | None] = []
    terms: list[tuple[str, ...]] = []
    clean: set[int] = set()
    later: dict[int, dict[str, bytes]] = {}
    for k, c in enumerate(candidates):
        d = done[k]
        assert d is not None
        done[k] = None  # the records below replace it: one copy at a time
        out = d[0]
        if isinstance(out, Skip):
            skipped.append(out)
            continue
        path, size, digest, encoding, lines, lang, values = out
        tokens = values["count"] if work.count else estimate(size, path)
        skel = values.get("skeleton")
        infos.append(
            FileInfo(
                path=path,
                abspath=c.abspath,
                size=size,
                digest=digest,
                encoding=encoding,
                language=lang,
                tokens=tokens,
                lines=lines,
                # A skeleton that costs as much as the file is no rung at all.
                skeleton_tokens=skel if skel is not None and skel < tokens else None,
                estimated=not work.count,
            )
        )
        kept.append(c)
        if work.fingerprints:
            prints.append(Fingerprint(*values["fp"]))
        if k in deferred:
            later[len(infos) - 1] = deferred[k]
        if work.symbols:
            sym = values.get("symbols")
            syms.append(None if sym is None else symbols_from_tuple(path, sym))
        if work.terms:
            terms.append(tuple(values.get("terms", ())))
        if "secrets" in values and not values["secrets"]:
            clean.add(len(infos) - 1)
    return Measured(infos, kept, skipped, prints, syms, terms, frozenset(clean), read, processes, later)


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

    @property
    def infos(self) -> list[FileInfo]:
        return self._m.infos

    def raw(self, i: int) -> SourceText:
        """File i's text as read, after checking it is the file that was measured."""
        info = self._m.infos[i]
        got = content.read_again(
            self._m.candidates[i], info.digest, keep=self._work.keep, max_file_size=self._work.max_file_size
        )
        if got is None:
            raise ConcurrentChangeError(
                f"{info.path} changed while packing; nothing was written, run packer again"
            )
        return got

    def source(self, i: int) -> SourceText:
        """File i's text as it will be written: secrets redacted (unless allowed)."""
        got = self.raw(i)
        if i in self._m.clean:  # scanned when measured, same bytes (checked): nothing to redact
            return got
        spans = self._cached(
            secrets_key(got.path, got.digest, got.size), lambda: tuple(secrets.scan(got.text, got.path))
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
            keys.append(fp_key(info.digest, info.size, True, False))
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
        return count_key(self._work, self._renderer, info.path, info.digest, info.size, mode, info.language)

    def _count_full(self, i: int) -> int:
        def make() -> int:
            self.counted += 1
            src = self.source(i)
            lang = self._m.infos[i].language
            return self.block(self._renderer.file_block(src.path, src.text, "full", lang))

        return int(self._cached(self._key(i, "full"), make))

    def skeleton_text(self, i: int) -> str | None:
        """File i's skeleton as written (from redacted text unless secrets are allowed)."""
        info = self._m.infos[i]
        if not self._redact:  # text with secrets in it is never kept at rest
            return skeletonize(self.source(i).text, info.language)
        k = cachelib.key(info.digest, info.size, "skeleton-text", info.language)
        got: str | None = self._cached(k, lambda: skeletonize(self.source(i).text, info.language))
        return got

    def skeleton(self, i: int) -> int | None:
        """The skeleton block's cost, made on demand; None when it saves nothing."""
        info = self._m.infos[i]
        if info.skeleton_tokens is not None:
            return info.skeleton_tokens
        if not languages.is_code(info.language) or info.size > 4 * symbols.MAX_BYTES:
            return None  # far too large to parse: not worth reading and scanning to find out
        if i not in self._skel:

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
                fp_key(info.digest, info.size, True, False), lambda: astuple_fp(fingerprint(self.raw(i).text))
            )
        )

    def __call__(self, i: int, mode: Mode) -> int | None:
        """The fitter's cost callback."""
        return self.full(i) if mode == "full" else self.skeleton(i) if mode == "skeleton" else 0

    def floor(self, i: int) -> int:
        """A lower bound (for nearly every file) of `full(i)`, known without counting."""
        info = self._m.infos[i]
        if not info.estimated or i in self._full:
            return self.full(i)
        return info.size // FLOOR_BYTES_PER_TOKEN
