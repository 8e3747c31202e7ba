#!/usr/bin/env python3
"""Does a budgeted pack use its budget? Fill = pack tokens / budget, at many budgets.

For each repository (work trees, or bare git dirs checked out at HEAD into a scratch
folder), packs at each budget with no task, and with a query (the subject of HEAD's
commit), and reports the fill. A pack below 99.5% is a failure when a file left out of
full text had a next rung (skeleton, or full) whose block, separator and tree growth
fitted in the room left (`bench_rank.could_fit`, which replays the recorded fit to price
the growth exactly); otherwise nothing more could go in and the fill is what it is.

    python benchmarks/bench_fill.py --set all
    python benchmarks/bench_fill.py /path/to/repo --budgets 1k,5k,20k,200k
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_rank as br

from packer import Options
from packer.config import parse_budget

FULL_ENOUGH = 0.995


def checkout(source: Path, scratch: Path) -> Path:
    """A work tree of `source` at HEAD (a bare git dir is cloned; a work tree is used as is)."""
    if (source / ".git").exists():
        return source
    wt = scratch / source.parent.name
    subprocess.run(["git", "clone", "--quiet", str(source), str(wt)], check=True, capture_output=True)
    return wt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", type=Path, nargs="*")
    ap.add_argument("--set", dest="repo_set", choices=("tuning", "heldout", "all"))
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--budgets", default="1k,2k,5k,10k,20k,50k,100k,200k")
    args = ap.parse_args(argv)
    repos = [(p.name, p) for p in args.repo]
    if args.repo_set:
        repos += br.repo_list(br.REPOS_FILE, args.repo_set, args.mirrors)
    budgets = [parse_budget(b) for b in args.budgets.split(",")]
    scratch = Path(tempfile.mkdtemp(prefix="bench_fill-"))
    packs = failures = 0
    lowest = 1.0
    print("| repository | task | budget | tokens | fill | a left-out file fitted the room |")
    print("|---|---|---:|---:|---:|---|")
    try:
        for name, source in repos:
            wt = checkout(source, scratch)
            subject = br.git("log", "-1", "--format=%s", cwd=wt).strip()
            for query in (None, subject):
                for budget in budgets:
                    assert budget is not None
                    task = "query" if query else "none"
                    options = Options(budget=budget, query=query)
                    try:
                        got, call = br.recorded_pack(wt, options)
                    except Exception as e:  # a budget below the header and tree: said, not a fill
                        print(f"| {name} | {task} | {budget:,} | - | - | {type(e).__name__} |")
                        continue
                    fill = got.total_tokens / budget
                    more = br.could_fit(got, call, budget)
                    packs += 1
                    if more:
                        lowest = min(lowest, fill)
                        failures += fill < FULL_ENOUGH
                    print(
                        f"| {name} | {task} | {budget:,} | {got.total_tokens:,} "
                        f"| {fill:.2%} | {'yes' if more else 'no'} |"
                    )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"\n{packs} packs; {failures} below {FULL_ENOUGH:.1%} while a left-out file fitted the room; "
        f"lowest fill among packs with such a file: {lowest:.2%}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
