#!/usr/bin/env python3
"""Measure skeletons: how many tokens a file's skeleton keeps, per language.

Usage: python benchmarks/bench_skeleton.py CORPUS [CORPUS ...] [--encoding o200k_base]

Walks each corpus with `packer.discover.walk` (git's file set, the default skips), reads
files with `packer.content.read_source`, and for every file in a language with a
grammar counts the exact tokens of the file and of `skeletonize(file)`. A file with no
skeleton (None: not parsed, or not smaller) counts as its full size, as the packer would
keep it whole. Prints one markdown table per corpus:

- files: non-empty files in the language; none: how many had no skeleton (not parsed,
  or nothing to elide: imports and declarations only)
- full / skeleton: total tokens (o200k_base)
- mean: mean over files of skeleton/full tokens, a file with no skeleton counting 100%;
  mean (skel.): the same over the files that have a skeleton;
  aggregate: total skeleton tokens / total full tokens
- p90: 90th percentile of the per-file ratio (no skeleton = 100%)
- seconds: time spent in `skeletonize` (parse included), one thread
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from packer import content, discover, languages
from packer.records import SourceText
from packer.skeleton import skeletonize
from packer.tokens import Counter


def measure(root: str, counter: Counter) -> dict[str, list[tuple[int, int, float, bool]]]:
    rows: dict[str, list[tuple[int, int, float, bool]]] = defaultdict(list)
    for cand in discover.walk(root).files:
        src = content.read_source(cand)
        if not isinstance(src, SourceText):
            continue
        lang = languages.detect(src.path, src.text[:256])
        if not languages.is_code(lang):
            continue
        full = counter.count(src.text)
        if full == 0:
            continue
        t0 = time.perf_counter()
        skel = skeletonize(src.text, lang)
        dt = time.perf_counter() - t0
        kept = counter.count(skel) if skel is not None else full
        rows[lang or ""].append((full, kept, dt, skel is None))
    return rows


def table(rows: dict[str, list[tuple[int, int, float, bool]]]) -> str:
    out = [
        "| language | files | none | full tokens | skeleton tokens | mean | mean (skel.) "
        "| aggregate | p90 | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lang in sorted(rows, key=lambda k: -sum(r[0] for r in rows[k])):
        rs = rows[lang]
        full = sum(r[0] for r in rs)
        kept = sum(r[1] for r in rs)
        ratios = sorted(r[1] / r[0] for r in rs)
        with_skeleton = [r[1] / r[0] for r in rs if not r[3]]
        mean_skel = f"{statistics.mean(with_skeleton):.1%}" if with_skeleton else "-"
        p90 = ratios[min(len(ratios) - 1, int(0.9 * len(ratios)))]
        out.append(
            f"| {lang} | {len(rs)} | {sum(r[3] for r in rs)} | {full:,} | {kept:,} "
            f"| {statistics.mean(ratios):.1%} | {mean_skel} | {kept / full:.1%} | {p90:.1%} "
            f"| {sum(r[2] for r in rs):.2f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="+", help="directories to measure")
    parser.add_argument("--encoding", default="o200k_base")
    args = parser.parse_args(argv)
    counter = Counter(args.encoding)
    for root in args.corpora:
        t0 = time.perf_counter()
        rows = measure(root, counter)
        print(f"### {Path(root).resolve()}\n")
        print(table(rows))
        print(f"\nwall time {time.perf_counter() - t0:.1f} s (walk, read, count and skeletonize)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
