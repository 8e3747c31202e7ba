#!/usr/bin/env python3
"""Parse throughput: `packer.symbols.extract` over a corpus, on one core.

    python benchmarks/bench_symbols.py /tmp/corpora/medium
    python benchmarks/bench_symbols.py /tmp/corpora/linux --sample 40 --language c

Reads every file git tracks under CORPUS (or every file, outside git), keeps those whose
detected language has a grammar, loads them into memory, then times parse + symbol
extraction file by file in this one process, pinned to one core. Prints wall and CPU
seconds, MB/s per core (MB over CPU seconds), the parse-only share (`--parse-only`),
fallbacks by reason and the slowest files. Nothing is written.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from packer import languages, symbols


def corpus_files(root: Path) -> list[str]:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"], check=True, capture_output=True
        ).stdout.decode("utf-8", "surrogateescape")
        return sorted(p for p in out.split("\0") if p)
    except (OSError, subprocess.CalledProcessError):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--language", action="append", help="only these languages (repeatable)")
    ap.add_argument("--sample", type=int, default=1, metavar="K", help="every K-th file only")
    ap.add_argument("--parse-only", action="store_true", help="time symbols.parse alone too")
    ap.add_argument("--top", type=int, default=5, help="slowest files to list")
    ap.add_argument("--cpu", type=int, help="the core to run on (default: the first allowed)")
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):  # one core
        os.sched_setaffinity(0, {args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))})

    files: list[tuple[str, str, bytes]] = []
    for path in corpus_files(args.corpus)[:: args.sample]:
        full = args.corpus / path
        if not full.is_file() or full.is_symlink():
            continue
        data = full.read_bytes()
        lang = languages.detect(path, data[:256].decode("utf-8", "replace"))
        if not languages.is_code(lang) or (args.language and lang not in args.language):
            continue
        assert lang is not None
        files.append((path, lang, data))
    total = sum(len(d) for _, _, d in files)
    by_lang = collections.Counter(lang for _, lang, _ in files)
    for lang in by_lang:  # load grammars and queries outside the timing
        languages.load_query(lang, "tags", "imports")
        symbols.extract(b"", lang)

    parse_s = parse_cpu = None
    if args.parse_only:
        t0, c0 = time.perf_counter(), time.process_time()
        for _path, lang, data in files:
            symbols.parse(data, lang)
        parse_s, parse_cpu = time.perf_counter() - t0, time.process_time() - c0

    timings: list[tuple[float, str]] = []
    fallbacks: collections.Counter[str] = collections.Counter()
    defs = refs = imps = errors = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for path, lang, data in files:
        t = time.perf_counter()
        fs = symbols.extract(data, lang, path=path)
        timings.append((time.perf_counter() - t, path))
        defs += len(fs.definitions)
        refs += len(fs.references)
        imps += len(fs.imports)
        errors += fs.has_errors
        if fs.fallback:
            fallbacks[fs.fallback.split(" (")[0]] += 1
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0

    mb = total / 1e6
    print(f"corpus: {args.corpus}" + (f" (every {args.sample}th file)" if args.sample > 1 else ""))
    print(f"files: {len(files):,} ({', '.join(f'{k} {v:,}' for k, v in by_lang.most_common())}), {mb:.1f} MB")
    # MB/s per core is over CPU seconds: other processes sharing the core do not count
    if parse_s is not None and parse_cpu is not None:
        print(
            f"parse only:       {parse_s:7.2f} s wall {parse_cpu:7.2f} s CPU  "
            f"{mb / parse_cpu:6.2f} MB/s per core"
        )
    print(f"parse + symbols:  {seconds:7.2f} s wall {cpu:7.2f} s CPU  {mb / cpu:6.2f} MB/s per core")
    print(
        f"symbols: {defs:,} definitions, {refs:,} references, {imps:,} imports; "
        f"{errors:,} files with syntax errors"
    )
    if fallbacks:
        print("fallbacks: " + ", ".join(f"{k}: {v}" for k, v in fallbacks.most_common()))
    print("slowest:")
    for s, path in sorted(timings, reverse=True)[: args.top]:
        print(f"  {s:6.3f} s  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
