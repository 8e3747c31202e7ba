#!/usr/bin/env python3
"""How long the git signals take on a long history: cold, cached, and after new commits.

Builds a repository with `--commits` commits (default 100,000) over `--files` files with
`git fast-import` in a temporary folder (each commit changes 1-6 files; every 7th also a
pair of files, whose co-change is printed), then times
`packer.history.git_signals` with a focus file:

- cold: no cache (one `git log --name-status --find-renames` over everything);
- cached: the same HEAD again (the parsed log from the cache);
- moved: after 10 more commits (the 10 read, the rest from the cache).

And, as the floor to compare with, `git log --name-status` alone over the same history.

    python benchmarks/bench_history.py [--commits 100000] [--files 5000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packer.cache import Cache
from packer.history import git_signals


def fast_import(
    repo: Path, commits: int, files: int, seed: int, start: int = 0, parent: bool = False
) -> None:
    """`commits` commits on main, made by one `git fast-import` stream."""
    rng = random.Random(seed)
    lines: list[str] = []
    names = [f"src/d{i % 97}/f{i}.py" for i in range(files)]
    for k in range(start, start + commits):
        lines += [
            "commit refs/heads/main",
            f"committer A <a@example.com> {1_600_000_000 + k} +0000",
            "data 2",
            "c\n",
        ]
        if k == start and parent:
            lines.append("from refs/heads/main^0")
        touched = {rng.randrange(files) for _ in range(rng.randint(1, 6))}
        if k % 7 == 0:
            touched |= {0, 1}  # a pair that always changes together
        for i in sorted(touched):
            body = f"{k}\n"
            lines += [f"M 100644 inline {names[i]}", f"data {len(body)}", body]
    subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=repo, input="\n".join(lines) + "\n", text=True, check=True
    )


def timed(label: str, fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    took = time.perf_counter() - t0
    print(f"{label:<44} {took:8.2f} s")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=5_000)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_history-"))
    try:
        repo = tmp / "repo"
        repo.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
        t0 = time.perf_counter()
        fast_import(repo, args.commits, args.files, seed=1)
        subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
        print(f"built {args.commits:,} commits over {args.files:,} files in {time.perf_counter() - t0:.1f} s")
        known = [p.relative_to(repo).as_posix() for p in repo.rglob("*.py")]
        focus = ["src/d0/f0.py"]
        store = Cache(tmp / "cache")
        got: dict[str, object] = {}
        timed(
            "git log --name-status --find-renames (floor)",
            lambda: subprocess.run(
                ["git", "log", "--no-merges", "--name-status", "--find-renames", "-z"],
                cwd=repo,
                capture_output=True,
                check=True,
            ),
        )
        timed("git_signals, cold (no cache)", lambda: git_signals(repo, focus=focus, known=known))
        timed(
            "git_signals, first run with a cache",
            lambda: got.setdefault("first", git_signals(repo, focus=focus, cache=store, known=known)),
        )
        store.flush()
        timed(
            "git_signals, same HEAD, cached",
            lambda: got.setdefault("again", git_signals(repo, focus=focus, cache=store, known=known)),
        )
        fast_import(repo, 10, args.files, seed=2, start=args.commits, parent=True)
        subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)
        timed(
            "git_signals, 10 new commits, cached",
            lambda: got.setdefault("moved", git_signals(repo, focus=focus, cache=store, known=known)),
        )
        fresh = git_signals(repo, focus=focus, known=known)
        same = got["moved"] == fresh and got["first"] == got["again"]
        first = got["first"]
        commits = getattr(first, "commits", 0)
        partner = getattr(first, "cochange", {}).get(focus[0], {}).get("src/d1/f1.py")
        print(f"commits read: {commits:,}; co-change of the pair: {partner}; cached = uncached: {same}")
        return 0 if same else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
