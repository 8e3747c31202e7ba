#!/usr/bin/env python3
"""How far a folder's token estimate from its files' bytes is from the exact count.

For every folder of 3 or more files in the `--test` trees, compares the exact o200k_base
tokens of its files' text with three estimates: bytes / 3.5 (packer's byte rate), and two
least-squares models of a file's tokens fitted on a sample of the `--train` trees (bytes
and newlines; bytes, punctuation, spaces, newlines, non-ASCII bytes and tabs). Prints, per
test tree and macro, the share of folders within 10% of the exact count.

    python benchmarks/tree_estimates.py --train /tmp/corpora/medium /tmp/corpora/linux \\
        --test /tmp/ho/*
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from packer.tokens import Counter

ALNUM = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123))
HIGH = bytes(range(128, 256))
COUNTER = Counter("o200k_base")


def features(b: bytes) -> list[float]:
    n = len(b)
    return [
        n,
        len(b.translate(None, ALNUM)),
        b.count(b" "),
        b.count(b"\n"),
        n - len(b.translate(None, HIGH)),
        b.count(b"\t"),
    ]


def text_files(root: Path) -> list[tuple[str, bytes]]:
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != ".git"]
        for f in files:
            p = os.path.join(d, f)
            try:
                b = Path(p).read_bytes()
            except OSError:
                continue
            if b and b"\0" not in b[:8000] and len(b) <= 1_000_000:
                out.append((os.path.relpath(p, root), b))
    return out


def fit(roots: list[Path], per_root: int, seed: int) -> dict[str, np.ndarray]:
    rng = random.Random(seed)
    X, y = [], []
    for root in roots:
        files = text_files(root)
        rng.shuffle(files)
        for _, b in files[:per_root]:
            X.append(features(b))
            y.append(COUNTER.count(b.decode("utf-8", "replace")))
    A, t = np.array(X, dtype=float), np.array(y, dtype=float)
    w = 1 / np.maximum(t, 1)  # relative error: large files must not dominate
    models = {}
    for name, cols in (("bytes+newlines", [0, 3]), ("six counts", [0, 1, 2, 3, 4, 5])):
        coef, *_ = np.linalg.lstsq(A[:, cols] * w[:, None], t * w, rcond=None)
        models[name] = np.zeros(6)
        models[name][cols] = coef
    return models


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=Path, nargs="+", required=True)
    ap.add_argument("--test", type=Path, nargs="+", required=True)
    ap.add_argument("--per-root", type=int, default=12_000)
    args = ap.parse_args()
    models = fit(args.train, args.per_root, seed=1)
    shares: dict[str, list[float]] = defaultdict(list)
    for root in args.test:
        files = []
        for rel, b in text_files(root):
            f = np.array(features(b))
            guesses = {"bytes / 3.5": len(b) / 3.5} | {k: max(1.0, float(f @ m)) for k, m in models.items()}
            files.append((rel, COUNTER.count(b.decode("utf-8", "replace")), guesses))
        folders = defaultdict(list)
        for item in files:
            parts = item[0].split("/")[:-1]
            for k in range(1, len(parts) + 1):
                folders["/".join(parts[:k])].append(item)
        line = [root.name]
        for name in ("bytes / 3.5", *models):
            errors = [
                abs(sum(g[name] for _, _, g in fl) - sum(t for _, t, _ in fl))
                / max(sum(t for _, t, _ in fl), 1)
                for fl in folders.values()
                if len(fl) >= 3
            ]
            share = sum(e <= 0.10 for e in errors) / max(len(errors), 1)
            shares[name].append(share)
            line.append(f"{name}: {share:.0%} of {len(errors)} folders within 10%")
        print("; ".join(line))
    print("macro: " + "; ".join(f"{k} {statistics.fmean(v):.1%}" for k, v in shares.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
