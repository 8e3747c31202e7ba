"""Does packer's walk without `.git` list what git lists? For each directory given: copy
it without `.git`, `git init` the copy and take `git ls-files --cached --others
--exclude-standard`; remove `.git` again and walk the copy with `packer.discover.walk`
(every kind kept, no size limit); print the files only one of them has.

The user's global excludes file counts on both sides: run it with HOME pointing at a
directory whose `.gitconfig` sets `core.excludesFile` (and GIT_CONFIG_NOSYSTEM=1) to test
that rule. Usage: python benchmarks/walk_vs_git.py DIR...
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from packer import discover


def compare(src: str) -> tuple[int, set[str], set[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "w")
        shutil.copytree(src, work, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        subprocess.run(["git", "init", "-q", work], check=True, stdin=subprocess.DEVNULL)
        listing = ["git", "-C", work, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        out = subprocess.run(listing, capture_output=True, check=True, stdin=subprocess.DEVNULL).stdout
        git = set(os.fsdecode(out).split("\0")) - {""}
        shutil.rmtree(os.path.join(work, ".git"))
        walked = discover.walk(work, keep=("vendored", "generated", "secrets-file"), max_file_size=None)
        mine = {c.path for c in walked.files} | {s.path for s in walked.skipped if not s.path.endswith("/")}
        pruned = tuple(s.path for s in walked.skipped if s.path.endswith("/"))  # one skip per directory
        return len(git), {p for p in git if not p.startswith(pruned)} - mine, mine - git


def main() -> None:
    for src in sys.argv[1:]:
        n, only_git, only_packer = compare(src)
        print(
            f"{src}: git lists {n:,}; only git {len(only_git):,} {sorted(only_git)[:3]}; "
            f"only packer {len(only_packer):,} {sorted(only_packer)[:3]}"
        )


if __name__ == "__main__":
    main()
