"""Git signals for ranking, read from a bounded window of recent history.

One `git log` over the newest `max_commits` non-merge commits that touch `root`
(paths relative to root, renames detected), parsed into three signals, each in [0, 1]:

- **recency**: 1.0 for a file changed in the newest commit, halving every
  `window / 10` commits further back (at least every commit), where `window` is the
  number of commits counted. It follows the commit index, not the clock, so a
  burst of work or a dormant year does not distort it.
- **churn**: commits touching the file divided by the largest such count.
- **cochange**: for each focus file (root-relative; a "dir/" entry stands for the
  files under it), the share of the focus file's commits that also touched each
  other file, keeping the `COCHANGE_LIMIT` strongest.

Rules:
- Huge commits, touching more than `HUGE_COMMIT_FILES` files under root (mass
  reformatting, licence headers, vendoring, the initial import, moving a tree),
  say nothing about where work happens: they count in `commits` but add nothing
  to any signal. Their renames still link a file's older names to its current one.
- Renames: a file's commits under older names count for its current name.
- A file whose newest change is its deletion is dropped: it cannot be packed.
- Outside git, without git on PATH, or with no commit touching root: `None`.

Paths are decoded like the walker's (`os.fsdecode`), so they match its `Candidate.path`.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from packer.discover import run_git
from packer.records import GitSignals

HUGE_COMMIT_FILES = 200
COCHANGE_LIMIT = 50

_HEADER = b"\x01"


def git_signals(root: Path, *, max_commits: int = 1000, focus: Sequence[str] = ()) -> GitSignals | None:
    """Recency, churn and co-change with `focus` from the newest `max_commits` commits.

    `focus`: root-relative "/" paths (files, or directories ending in "/") whose
    co-changing files are wanted; the task's focus and changed files.
    Returns None when there is no history to read (see the module docstring).
    """
    if max_commits <= 0 or shutil.which("git") is None:
        return None
    log = [
        "log",
        f"--max-count={max_commits}",
        "--no-merges",
        "--no-color",
        "--relative",
        "-z",
        "--no-show-signature",  # `log.showSignature` would run `gpg.program`
        "--no-ext-diff",
        "--no-textconv",
        "--name-status",
        "--format=%x01",
    ]
    try:
        proc = run_git(os.path.abspath(root), *log, "--find-renames", "--", ".")
        if proc.returncode != 0:
            # A partial clone lacks old blobs, which finding renames would fetch (packer
            # fetches nothing): without renames there is history still.
            proc = run_git(os.path.abspath(root), *log, "--no-renames", "--", ".")
    except OSError:
        return None
    if proc.returncode != 0:
        return None  # not a repository, or no commits yet
    commits = _parse_log(proc.stdout)
    if not commits:
        return None
    return _signals(commits, focus)


# One commit: its entries newest-first as (status letter, path, old path for a rename).
_Entry = tuple[str, str, str | None]


def _parse_log(out: bytes) -> list[list[_Entry]]:
    commits: list[list[_Entry]] = []
    tokens = out.split(b"\0")
    i, n = 0, len(tokens)
    while i < n:
        token = tokens[i]
        i += 1
        if token == _HEADER:
            commits.append([])
            continue
        status = token.lstrip(b"\n")
        if not status or not commits:
            continue  # the empty token after the last NUL
        letter = chr(status[0])
        if letter in "RC":
            if i + 1 >= n:
                break
            old, new = os.fsdecode(tokens[i]), os.fsdecode(tokens[i + 1])
            i += 2
            commits[-1].append((letter, new, old if letter == "R" else None))
        else:
            if i >= n:
                break
            commits[-1].append((letter, os.fsdecode(tokens[i]), None))
            i += 1
    return commits


def _signals(commits: list[list[_Entry]], focus: Sequence[str]) -> GitSignals:
    names = _Names()
    newest: dict[str, int] = {}  # file -> index (among counted commits) of its newest change
    churn: Counter[str] = Counter()
    focus_files = {f for f in focus if f and not f.endswith("/")}
    focus_dirs = tuple(f for f in focus if f.endswith("/"))
    together: dict[str, Counter[str]] = {}
    focus_commits: Counter[str] = Counter()
    counted = 0
    for entries in commits:  # newest first
        touched = names.touched(entries)
        if len(entries) > HUGE_COMMIT_FILES or not touched:
            continue
        for path in touched:
            newest.setdefault(path, counted)
        churn.update(touched.keys())
        counted += 1
        if focus_files or focus_dirs:
            _count_together(touched, focus_files, focus_dirs, focus_commits, together)
    half_life = max(1.0, counted / 10)
    recency = {path: 0.5 ** (index / half_life) for path, index in newest.items()}
    top = max(churn.values(), default=0)
    churn_share = {path: count / top for path, count in churn.items()}
    cochange = _cochange(together, focus_commits)
    return GitSignals(recency=recency, churn=churn_share, cochange=cochange, commits=len(commits))


class _Names:
    """Files by their current name, as history is read newest first."""

    def __init__(self) -> None:
        self.alias: dict[str, str] = {}  # an older name -> the file's current name
        self.seen: set[str] = set()
        self.dead: set[str] = set()  # files whose newest change deletes them

    def touched(self, entries: list[_Entry]) -> dict[str, None]:
        """The files one commit touches, by current name, deleted files left out; ordered,
        so the dicts built from it are deterministic."""
        touched: dict[str, None] = {}
        for letter, path, old in entries:
            current = self.alias.get(path, path)
            if current not in self.seen:
                self.seen.add(current)
                if letter == "D":
                    self.dead.add(current)
            if old is not None and old != path:
                self.alias[old] = current
            if current not in self.dead:
                touched[current] = None
        return touched


def _cochange(together: dict[str, Counter[str]], focus_commits: Counter[str]) -> dict[str, dict[str, float]]:
    """Per focus entry, the share of its commits each other file was in, strongest first."""
    cochange: dict[str, dict[str, float]] = {}
    for f in sorted(together):
        shares = sorted(together[f].items(), key=lambda kv: (-kv[1], kv[0]))[:COCHANGE_LIMIT]
        if shares:
            cochange[f] = {other: count / focus_commits[f] for other, count in shares}
    return cochange


def _count_together(
    touched: dict[str, None],
    focus_files: set[str],
    focus_dirs: tuple[str, ...],
    focus_commits: Counter[str],
    together: dict[str, Counter[str]],
) -> None:
    hits = [f for f in sorted(focus_files) if f in touched]
    hits += [d for d in focus_dirs if any(p.startswith(d) for p in touched)]
    for f in hits:
        focus_commits[f] += 1
        counter = together.setdefault(f, Counter())
        inside = f if f.endswith("/") else None
        counter.update(p for p in touched if p != f and not (inside and p.startswith(inside)))
