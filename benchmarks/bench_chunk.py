#!/usr/bin/env python3
"""Measure `packer.chunk` on a corpus: throughput, and how many definitions stay whole.

    python benchmarks/bench_chunk.py /tmp/corpora/medium [--max-tokens 512] [--repeat 3]

Throughput: `packer.chunk(corpus)` end to end (walk, read, parse, split, count) over
every file it chunks, the median wall time of `--repeat` runs after one warm-up run.

Whole definitions: for every code file chunked, the definitions `packer.symbols` finds
(functions, methods, classes, ...) whose own text fits `--max-tokens` exactly; the share
of those that lie inside a single chunk. A definition larger than the budget cannot be
whole and is not counted.

Prints a markdown table. Plain script: standard library plus the installed packer.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import packer
from packer import languages, symbols
from packer.tokens import Counter


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    corpus = args.corpus.resolve()

    packer_chunk = packer.chunk
    list(packer_chunk(corpus, max_tokens=args.max_tokens))  # warm-up: page cache, grammars
    times: list[float] = []
    chunks: list[packer.Chunk] = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        chunks = list(packer_chunk(corpus, max_tokens=args.max_tokens))
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)

    by_path: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    sizes: dict[str, int] = {}
    kinds: collections.Counter[str] = collections.Counter()
    for c in chunks:
        by_path[c.path].append((c.start_byte, c.end_byte))
        sizes[c.path] = c.end_byte
        kinds[c.kind] += 1
    total_bytes = sum(sizes.values())

    counter = Counter()
    fitting = whole = too_big = 0
    split_examples: list[str] = []
    for path, spans in by_path.items():
        language = languages.detect(path)
        if not languages.is_code(language):
            continue
        data = (corpus / path).read_bytes()
        found = symbols.extract(data, language, path=path)
        starts = [s for s, _ in spans]
        for d in found.definitions:
            text = data[d.start_byte : d.end_byte].decode("utf-8", "replace")
            if counter.count(text) > args.max_tokens:
                too_big += 1
                continue
            fitting += 1
            i = max(0, _bisect(starts, d.start_byte))
            if spans[i][0] <= d.start_byte and d.end_byte <= spans[i][1]:
                whole += 1
            elif len(split_examples) < 5:
                split_examples.append(f"{path}:{d.start_line} {d.label}")

    share = 100.0 * whole / fitting if fitting else 100.0
    print(
        f"corpus: {corpus} ({len(sizes):,} files chunked, {total_bytes / 1e6:.1f} MB); "
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, packer "
        f"{packer.__version__}\n"
    )
    print(
        "| max tokens | files | MB | chunks | seconds | MB/s | definitions that fit | kept whole | whole % |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {args.max_tokens} | {len(sizes):,} | {total_bytes / 1e6:.1f} | {len(chunks):,} | "
        f"{seconds:.2f} | {total_bytes / 1e6 / seconds:.2f} | {fitting:,} | {whole:,} | "
        f"{share:.2f} |"
    )
    print(
        f"\nruns: {', '.join(f'{t:.2f}s' for t in times)}; definitions over the budget: "
        f"{too_big:,}; chunk kinds: " + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common())
    )
    if split_examples:
        print("split although they fit (first few): " + "; ".join(split_examples))
    return 0


def _bisect(starts: list[int], pos: int) -> int:
    """The index of the last chunk starting at or before pos."""
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


if __name__ == "__main__":
    sys.exit(main())
