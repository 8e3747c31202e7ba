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

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from packer import content, languages, secrets, symbols
from packer.dedup import Fingerprint, fingerprint
from packer.errors import ConcurrentChangeError
from packer.rank import comment_words
from packer.records import Candidate, FileInfo, FileSymbols, Mode, Secret, Skip, SourceText
from packer.render import Renderer, check_block
from packer.skeleton import skeletonize
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
class Measured:
    infos: list[FileInfo]
    candidates: list[Candidate]  # parallel to infos, to re-read at write time
    skipped: list[Skip]
    prints: list[Fingerprint]  # parallel to infos, for deduplication (empty if not asked)
    symbols: list[FileSymbols | None]  # parallel to infos when asked, for ranking
    terms: list[tuple[str, ...]]  # parallel to infos when asked: comment words, for BM25
    clean: frozenset[int] = frozenset()  # infos scanned for secrets while counted: none found


def workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def measure(
    candidates: Sequence[Candidate],
    *,
    cost: Callable[[SourceText, str | None], int] | None,
    skeleton_cost: Callable[[SourceText, str | None], int | None] | None = None,
    keep: frozenset[str],
    max_file_size: int | None,
    progress: Progress | None = None,
    fingerprints: bool = True,
    sketches: bool = True,
    with_symbols: bool = False,
    with_terms: bool = False,
    redact: bool = False,
) -> Measured:
    """Read, classify and size every candidate. Holds one file's text per worker at a time.

    `cost` counts a file's block exactly; None sizes it with `estimate` instead (and
    marks it so). tiktoken releases the GIL while encoding, so threads count in
    parallel; map keeps the input order, so the result is the same as a serial run.
    """

    def one(c: Candidate) -> tuple[FileInfo, Fingerprint | None, FileSymbols | None,
                                   tuple[str, ...], bool] | Skip:
        got = content.read_source(c, keep=keep, max_file_size=max_file_size)
        if isinstance(got, Skip):
            return got
        lang = languages.detect(c.path, got.text[:256])
        scanned_clean = False
        if redact and cost:  # counted as it will be written
            text, found = secrets.redact(got.text, c.path)
            got = replace(got, text=text)
            scanned_clean = not found
        tokens = cost(got, lang) if cost else estimate(got.size, c.path)
        skel = skeleton_cost(got, lang) if skeleton_cost else None
        info = FileInfo(
            path=c.path,
            abspath=c.abspath,
            size=got.size,
            digest=got.digest,
            encoding=got.encoding,
            language=lang,
            tokens=tokens,
            lines=got.text.count("\n") + (0 if got.text.endswith("\n") or not got.text else 1),
            # A skeleton that costs as much as the file is no rung at all.
            skeleton_tokens=skel if skel is not None and skel < tokens else None,
            estimated=cost is None,
        )
        syms = None
        if with_symbols and languages.is_code(lang):
            syms = symbols.extract(got.text.encode("utf-8", "surrogatepass"), lang, path=c.path)
        fp = fingerprint(got.text, sketch=sketches) if fingerprints else None
        return info, fp, syms, comment_words(got.text) if with_terms else (), scanned_clean

    infos: list[FileInfo] = []
    kept: list[Candidate] = []
    skipped: list[Skip] = []
    prints: list[Fingerprint] = []
    syms: list[FileSymbols | None] = []
    terms: list[tuple[str, ...]] = []
    clean: set[int] = set()
    total = len(candidates)
    with ThreadPoolExecutor(workers()) as pool:
        for n, (c, got) in enumerate(zip(candidates, pool.map(one, candidates), strict=False), 1):
            if isinstance(got, Skip):
                skipped.append(got)
            else:
                infos.append(got[0])
                if got[1] is not None:
                    prints.append(got[1])
                if with_symbols:
                    syms.append(got[2])
                if with_terms:
                    terms.append(got[3])
                if got[4]:
                    clean.add(len(infos) - 1)
                kept.append(c)
            if progress and (n % 256 == 0 or n == total):
                progress("count", n, total)
    return Measured(infos, kept, skipped, prints, syms, terms, frozenset(clean))


class Costs:
    """Exact block costs of measured files, counted once each, on demand.

    A file is re-read for its count; if its bytes changed since it was measured the
    pack stops (`ConcurrentChangeError`) rather than count one text and write another.
    """

    def __init__(self, measured: Measured, *, counter: Counter, renderer: Renderer,
                 keep: frozenset[str], max_file_size: int | None, redact: bool = True) -> None:
        self._m = measured
        self._counter = counter
        self._renderer = renderer
        self._keep = keep
        self._max = max_file_size
        self._full: dict[int, int] = {}
        self._skel: dict[int, int | None] = {}
        self._lines: dict[str, int] = {}
        self._redact = redact
        self.secrets: dict[int, list[Secret]] = {}  # files read here that hold secrets
        self.counted = 0  # files whose full block was counted here (not at measure time)

    @property
    def infos(self) -> list[FileInfo]:
        return self._m.infos

    def raw(self, i: int) -> SourceText:
        """File i's text as read, after checking it is the file that was measured."""
        info = self._m.infos[i]
        got = content.read_source(self._m.candidates[i], keep=self._keep, max_file_size=self._max)
        if isinstance(got, Skip) or got.digest != info.digest:
            raise ConcurrentChangeError(
                f"{info.path} changed while packing; nothing was written, run packer again"
            )
        return got

    def source(self, i: int) -> SourceText:
        """File i's text as it will be written: secrets redacted (unless allowed)."""
        got = self.raw(i)
        if i in self._m.clean:  # scanned when measured, same bytes (checked): nothing to redact
            return got
        text, found = secrets.redact(got.text, got.path)
        if found:
            self.secrets[i] = [replace(x, redacted=self._redact) for x in found]
            if self._redact:
                got = replace(got, text=text)
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
        self.counted += len(todo)

    def block(self, text: str) -> int:
        return self._counter.count(check_block(text)) if text else 0

    def line(self, line: str) -> int:
        """A tree line's block cost (lines repeat across trees: cached)."""
        got = self._lines.get(line)
        if got is None:
            got = self._lines[line] = self.block(self._renderer.tree_line(line))
        return got

    def full(self, i: int) -> int:
        info = self._m.infos[i]
        if not info.estimated:
            return info.tokens
        got = self._full.get(i)
        if got is None:
            got = self._full[i] = self._count_full(i)
            self.counted += 1
        return got

    def _count_full(self, i: int) -> int:
        src = self.source(i)
        return self.block(self._renderer.file_block(src.path, src.text, "full", self._m.infos[i].language))

    def skeleton(self, i: int) -> int | None:
        """The skeleton block's cost, made on demand; None when it saves nothing."""
        info = self._m.infos[i]
        if info.skeleton_tokens is not None:
            return info.skeleton_tokens
        if not languages.is_code(info.language):
            return None
        if i not in self._skel:
            src = self.source(i)
            skel = skeletonize(src.text, info.language)
            got = None if skel is None else self.block(
                self._renderer.file_block(src.path, skel, "skeleton", info.language))
            # Below the file's floor it is surely smaller; only near it is the file counted.
            smaller = got is not None and (got < self.floor(i) or got < self.full(i))
            self._skel[i] = got if smaller else None
        return self._skel[i]

    def __call__(self, i: int, mode: Mode) -> int | None:
        """The fitter's cost callback."""
        return self.full(i) if mode == "full" else self.skeleton(i) if mode == "skeleton" else 0

    def floor(self, i: int) -> int:
        """A lower bound (for nearly every file) of `full(i)`, known without counting."""
        info = self._m.infos[i]
        if not info.estimated or i in self._full:
            return self.full(i)
        return info.size // FLOOR_BYTES_PER_TOKEN

