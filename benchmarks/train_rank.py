#!/usr/bin/env python3
"""Learn focus-mode fusion weights from commits of the tuning repositories.

Two steps:

    # 1. per repository: the signals packer's ranking computes for each focus case
    python benchmarks/train_rank.py dump /work/.mirror/pallets+flask/repo --name pallets/flask \
        --commits 30 --seed 7 --out out/feat-flask.npz
    # 2. over the dumps: logistic regression, and recall of hand and learned weights
    python benchmarks/train_rank.py fit out/feat-*.npz

A case is what `bench_rank.py --mode focus` evaluates (the same commit filter and focus
halves; use a different `--seed` from the evaluation's so training and evaluation
commits differ): packed at the commit's parent with half of its modified source files as
focus. While packer ranks, the signals it fuses (`packer.rank._fuse`'s parts, each in
[0, 1]) are recorded per file, with whether the file is one to find.

`fit` trains a class-balanced L2 logistic regression (Newton's method, numpy) on every
non-focus file of every case, coefficients clipped at 0 (a weight is a share of a
weighted mean), and reports, per repository and macro, an offline recall: files in
order, each costing its estimated tokens, taken while they fit in 85% of 10% of the
repository (the fitter's full-text pass; focus files first). It is a quick proxy for
choosing weights; bench_rank.py measures the real fit.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rank as br

import packer
from packer import (
    Options,
    pipeline,
)
from packer import rank as rank_mod
from packer.config import resolve
from packer.records import RankWeights
from packer.tokens import Counter

PARTS = {
    "focus": (
        "pagerank",
        "cochange",
        "neighbours",
        "tested",
        "companions",
        "names",
        "proximity",
        "recency",
        "churn",
        "prior",
    ),
    "query": ("pagerank", "bm25", "symbols", "recency", "churn", "prior"),
}


FULL_SHARE = 1.0  # of the budget for full text: the fill sweep upgrades skeletons while it can
_COUNTER = Counter("o200k_base")
_COUNTS: dict[str, int] = {}


def record_case(wt: Path, case: br.Case, cache_dir: Path, mode: str) -> dict[str, Any] | None:
    """The signals of one focus case, per file: {paths, tokens, names, X, y, focus}."""
    got: dict[str, Any] = {}
    real_fuse = rank_mod._fuse
    real_rank = rank_mod.rank

    def fuse(parts: Any, n: int) -> Any:
        got["parts"] = [(name, np.asarray(values, dtype=np.float64).copy()) for _w, values, name in parts]
        return real_fuse(parts, n)

    def spy_rank(infos: Any, **kw: Any) -> Any:
        got["infos"] = list(infos)
        return real_rank(infos, **kw)

    rank_mod._fuse = fuse  # type: ignore[assignment]
    rank_mod.rank = spy_rank  # type: ignore[assignment]
    try:
        options = dataclasses.replace(br.task_options(case, 200_000), cache_dir=cache_dir)
        packer.pack(wt, options, output=None)
    finally:
        rank_mod._fuse = real_fuse  # type: ignore[assignment]
        rank_mod.rank = real_rank  # type: ignore[assignment]
    if "parts" not in got or "infos" not in got:
        return None
    infos = got["infos"]
    paths = [f.path for f in infos]
    exact = []
    for f in infos:  # the text's tokens plus the block's frame, as the estimate has it
        if f.digest not in _COUNTS:
            text = (wt / f.path).read_text(encoding="utf-8", errors="replace")
            _COUNTS[f.digest] = _COUNTER.count(text) + len(f.path) // 3 + 12
        exact.append(_COUNTS[f.digest])
    parts = dict(got["parts"])
    X = np.stack([parts.get(name, np.zeros(len(paths))) for name in PARTS[mode]], axis=1)
    targets = set(case.targets)
    focus = set(case.focus)
    return {
        "paths": paths,
        "tokens": np.array(exact, dtype=np.float64),
        "X": X,
        "y": np.array([p in targets for p in paths], dtype=bool),
        "focus": np.array([p in focus for p in paths], dtype=bool),
    }


def dump(args: argparse.Namespace) -> int:
    git_dir = Path(br.git("rev-parse", "--absolute-git-dir", cwd=args.repo).strip())
    head = br.git("rev-parse", "HEAD", git_dir=git_dir).strip()
    commits, _why = br.eligible_commits(
        git_dir, head, 6, min_files=2 if args.mode == "focus" else 1, with_message=args.mode == "query"
    )
    random.Random(args.seed).shuffle(commits)
    cases: list[dict[str, Any]] = []
    with br.scratch_clone(git_dir, None) as wt:
        cache_dir = wt.parent / "cache"
        for c in commits:
            if len(cases) >= args.commits:
                break
            try:
                br.checkout(wt, c.parent)
                walked = pipeline.walk(wt, resolve(wt, Options(cache_dir=cache_dir)))
                packable = {f.path for f in walked.files}
            except Exception as e:
                br.log(f"{c.sha[:8]}: {e}")
                continue
            case = br.make_case(c, args.mode, packable, args.seed)
            if case is None:
                continue
            rec = record_case(wt, case, cache_dir, args.mode)
            if rec is None or not rec["y"].any():
                continue
            rec["sha"] = c.sha
            cases.append(rec)
            br.log(f"{args.name} [{len(cases)}] {c.sha[:8]} {len(rec['paths'])} files")
    out = {"name": args.name, "parts": PARTS[args.mode], "cases": cases}
    np.save(args.out, np.array(out, dtype=object), allow_pickle=True)
    return 0


def load(paths: Sequence[Path]) -> list[dict[str, Any]]:
    return [np.load(p, allow_pickle=True).item() for p in paths]


def offline_recall(case: dict[str, Any], score: np.ndarray, share: float = 0.10) -> float:
    """Targets taken in `score` order while they fit in the full-text pass of `share` of the repository."""
    tokens = case["tokens"]
    budget = FULL_SHARE * share * float(tokens.sum())
    used = float(tokens[case["focus"]].sum())
    order = np.lexsort((np.arange(len(score)), -score))
    found = 0
    for i in order:
        if case["focus"][i]:
            continue
        if used + tokens[i] <= budget:
            used += tokens[i]
            found += bool(case["y"][i])
    return found / max(int(case["y"].sum()), 1)


def mrr(case: dict[str, Any], score: np.ndarray) -> float:
    order = [i for i in np.lexsort((np.arange(len(score)), -score)) if not case["focus"][i]]
    for r, i in enumerate(order, 1):
        if case["y"][i]:
            return 1 / r
    return 0.0


def train(cases: Sequence[dict[str, Any]], l2: float = 1.0, iters: int = 30) -> np.ndarray:
    """Class-balanced, L2-regularised logistic regression by Newton's method; weights >= 0."""
    X = np.concatenate([c["X"][~c["focus"]] for c in cases])
    y = np.concatenate([c["y"][~c["focus"]] for c in cases]).astype(np.float64)
    # every case counts the same, and within it positives as much as negatives
    sw = np.concatenate(
        [
            np.where(
                c["y"][~c["focus"]],
                0.5 / max(c["y"][~c["focus"]].sum(), 1),
                0.5 / max((~c["y"][~c["focus"]]).sum(), 1),
            )
            for c in cases
        ]
    )
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    reg = l2 * np.eye(Xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(Xb @ w)))
        grad = Xb.T @ (sw * (p - y)) + reg @ w
        hess = (Xb * (sw * p * (1 - p))[:, None]).T @ Xb + reg
        w -= np.linalg.solve(hess, grad)
    return np.clip(w[:-1], 0.0, None)


def hand(parts: Sequence[str]) -> np.ndarray:
    """packer's weights for these parts (the focus-mode ones where a part has one)."""
    w = RankWeights()
    focus_mode = "cochange" in parts
    return np.array(
        [getattr(w, f"focus_{p}" if focus_mode and hasattr(w, f"focus_{p}") else p) for p in parts]
    )


def report(groups: dict[str, list[dict[str, Any]]], weights: dict[str, np.ndarray | None]) -> None:
    print("| repository | cases | " + " | ".join(f"{k} R@10% | {k} MRR" for k in weights) + " |")
    macro: dict[str, list[tuple[float, float]]] = {k: [] for k in weights}
    for name, cases in groups.items():
        cells = []
        for k, w in weights.items():
            scores = [c["y"].astype(float) if w is None else c["X"] @ w for c in cases]
            r = statistics.fmean(offline_recall(c, s) for c, s in zip(cases, scores, strict=True))
            m = statistics.fmean(mrr(c, s) for c, s in zip(cases, scores, strict=True))
            macro[k].append((r, m))
            cells.append(f"{r:.3f} | {m:.3f}")
        print(f"| {name} | {len(cases)} | " + " | ".join(cells) + " |")
    print(
        "| macro | | "
        + " | ".join(
            f"{statistics.fmean(r for r, _ in v):.3f} | {statistics.fmean(m for _, m in v):.3f}"
            for v in macro.values()
        )
        + " |"
    )


def fit(args: argparse.Namespace) -> int:
    dumps = load(args.dumps)
    parts = tuple(dumps[0]["parts"])
    groups = {d["name"]: d["cases"] for d in dumps}
    every = [c for d in dumps for c in d["cases"]]
    learned = train(every, l2=args.l2)
    # leave one repository out: how the learned weights do on a repository not trained on
    loo = {}
    for name in groups if len(groups) > 1 else ():
        loo[name] = train([c for n, cs in groups.items() if n != name for c in cs], l2=args.l2)
    print("learned weights (scaled to sum 2):")
    scaled = learned * (2.0 / learned.sum()) if learned.sum() > 0 else learned
    for p, v in zip(parts, scaled, strict=True):
        print(f"  {p} = {v:.3f}")
    weights = {"hand": hand(parts), "learned": learned, "oracle": None}
    for k in ("pagerank", "cochange", "names", "neighbours"):
        only = np.array([1.0 if p == k else 0.0 for p in parts]) + 0.01 * np.array(
            [p == "prior" for p in parts]
        )
        weights[k] = only
    report(groups, weights)
    if not loo:
        return 0
    print("\nleave-one-repository-out (each repository scored with weights trained on the others):")
    r = [statistics.fmean(offline_recall(c, c["X"] @ loo[n]) for c in cs) for n, cs in groups.items()]
    print(f"macro offline R@10%: {statistics.fmean(r):.3f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("repo", type=Path)
    d.add_argument("--name", required=True)
    d.add_argument("--commits", type=int, default=30)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--mode", choices=sorted(PARTS), default="focus")
    d.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("fit")
    f.add_argument("dumps", type=Path, nargs="+")
    f.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args(argv)
    return dump(args) if args.cmd == "dump" else fit(args)


if __name__ == "__main__":
    raise SystemExit(main())
