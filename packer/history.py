"""Git signals for ranking, read from the whole history (up to `HISTORY_LIMIT` commits).

One `git log` over the non-merge commits that touch `root` (paths relative to root,
renames detected), cached by HEAD (a moved HEAD reads only the new commits), parsed
into three signals, each in [0, 1]:

- **recency**: 1.0 for a file changed in the newest commit, halving every
  `window / 10` commits further back (at least every commit), where `window` is the
  number of commits counted among the newest `RECENT_COMMITS`. It follows the commit
  index, not the clock, so a burst of work or a dormant year does not distort it.
- **churn**: commits touching the file (among the newest `RECENT_COMMITS`) divided by
  the largest such count.
- **cochange**: for each focus file (root-relative; a "dir/" entry stands for the
  files under it), how strongly each other file changed with it in all of history
  (`_Together`: small commits count more, files that change in every commit less),
  keeping the `COCHANGE_LIMIT` strongest. A file that changed with a focus file three
  years ago is still its companion.

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

import math
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import xxhash

from packer.cache import Cache, history_key, signals_key
from packer.discover import run_git
from packer.records import GitSignals

HUGE_COMMIT_FILES = 200
COCHANGE_LIMIT = 100
RECENT_COMMITS = 1000  # recency and churn look this far back; co-change at all of history
HISTORY_LIMIT = 200_000  # commits read at most (Linux has 1.2M: its newest 200K are years)

_HEADER = b"\x01"


def git_signals(
    root: Path,
    *,
    max_commits: int | None = None,
    focus: Sequence[str] = (),
    cache: Cache | None = None,
    known: Sequence[str] | None = None,
) -> GitSignals | None:
    """Recency and churn from the newest commits, co-change with `focus` from all of them.

    `focus`: root-relative "/" paths (files, or directories ending in "/") whose
    co-changing files are wanted; the task's focus and changed files.
    `max_commits`: read only the newest this many (None: up to `HISTORY_LIMIT`).
    `known`: the paths that matter (the walked files); the signals name only these (and
    `focus`). With it, `cache` keeps the parsed log by HEAD, so the next run reads only
    the new commits; the cache holds path hashes, never names (a file's name can hold a
    secret), which `known` turns back into paths.
    Returns None when there is no history to read (see the module docstring).
    """
    if (max_commits is not None and max_commits <= 0) or shutil.which("git") is None:
        return None
    root_abs = os.path.abspath(root)
    try:
        got = _commits(root_abs, max_commits, cache if known is not None else None)
    except OSError:
        return None
    if got is None or not got[0]:
        return None
    coded, read, head = got
    if known is None:
        return _named(_signals(_decode(coded, read), focus))
    names = (*known, *focus)

    def worked_out() -> GitSignals:
        return _named(_signals(_decode(coded, {_key(p): p for p in names}), focus))

    if cache is None or max_commits is not None:
        return worked_out()
    # The signals follow from the log at HEAD and the names asked for: kept by both, as
    # places in `names` (never the names), they are not worked out again.
    digest = xxhash.xxh3_128_hexdigest("\0".join(names).encode("utf-8", "surrogateescape"))
    k = signals_key(root_abs, head, digest, len(known))
    kept = _from_places(cache.get(k), names, k)
    if kept is not None:
        return kept
    signals = worked_out()
    cache.put(k, _to_places(signals, names))
    return replace(signals, source=k)


def _to_places(signals: GitSignals, names: Sequence[str]) -> tuple[object, ...]:
    """`signals` with each path as its place in `names` (in their own order)."""
    place = {p: i for i, p in reversed(list(enumerate(names)))}  # a name twice: its first place
    return (
        signals.commits,
        [(place[p], v) for p, v in signals.recency.items()],
        [(place[p], v) for p, v in signals.churn.items()],
        [(place[f], [(place[p], v) for p, v in m.items()]) for f, m in signals.cochange.items()],
    )


def _from_places(got: Any, names: Sequence[str], source: bytes) -> GitSignals | None:
    """What `_to_places` made, or None if `got` is not that."""
    try:
        commits, recency, churn, cochange = got
        return GitSignals(
            recency={names[i]: v for i, v in recency},
            churn={names[i]: v for i, v in churn},
            cochange={names[f]: {names[i]: v for i, v in m} for f, m in cochange},
            commits=int(commits),
            source=source,
        )
    except (TypeError, ValueError, IndexError):
        return None


# One commit: its entries newest-first as (status letter, path, old path for a rename).
_Entry = tuple[str, str, str | None]
# The same with each path as its `_key`: what the cache holds.
_Coded = tuple[str, int, int | None]
_UNNAMED = "\0"  # starts the stand-in name of a path `known` does not hold


def _key(path: str) -> int:
    return xxhash.xxh3_64_intdigest(path.encode("utf-8", "surrogateescape"))


def _encode(commits: list[list[_Entry]]) -> tuple[list[list[_Coded]], dict[int, str]]:
    labels: dict[int, str] = {}
    coded: list[list[_Coded]] = []
    for entries in commits:
        out: list[_Coded] = []
        for letter, path, old in entries:
            k = _key(path)
            labels[k] = path
            ok = None
            if old is not None:
                ok = _key(old)
                labels[ok] = old
            out.append((letter, k, ok))
        coded.append(out)
    return coded, labels


def _decode(coded: list[list[_Coded]], labels: dict[int, str]) -> list[list[_Entry]]:
    def name(k: int) -> str:
        return labels.get(k) or f"{_UNNAMED}{k:x}"

    return [[(letter, name(k), None if ok is None else name(ok)) for letter, k, ok in c] for c in coded]


def _named(signals: GitSignals) -> GitSignals:
    """The signals without the stand-ins of paths nobody asked about."""

    def keep(d: dict[str, float]) -> dict[str, float]:
        return {p: v for p, v in d.items() if not p.startswith(_UNNAMED)}

    return GitSignals(
        recency=keep(signals.recency),
        churn=keep(signals.churn),
        cochange={f: kept for f, m in signals.cochange.items() if (kept := keep(m))},
        commits=signals.commits,
    )


def _commits(
    root_abs: str, max_commits: int | None, cache: Cache | None
) -> tuple[list[list[_Coded]], dict[int, str], str] | None:
    """The parsed log, newest first, the names of a log read now ({} from the cache) and
    HEAD: from the cache when HEAD has not moved, extended by the new commits when it
    moved forward, else read whole."""
    head = run_git(root_abs, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    if head.returncode != 0:
        return None  # not a repository, or no commits yet
    sha = os.fsdecode(head.stdout).strip()
    limit = min(max_commits or HISTORY_LIMIT, HISTORY_LIMIT)
    if cache is None or max_commits is not None:
        read = _read_log(root_abs, "HEAD", limit)
        return None if read is None else (*_encode(read), sha)
    k = history_key(root_abs)
    got = cache.get(k)
    if isinstance(got, tuple) and len(got) == 2 and got[0] == sha:
        return list(got[1]), {}, sha
    coded = None
    labels: dict[int, str] = {}
    if isinstance(got, tuple) and len(got) == 2 and _is_ancestor(root_abs, got[0]):
        newer = _read_log(root_abs, f"{got[0]}..HEAD", limit)
        if newer is not None:
            fresh, labels = _encode(newer)
            coded = (fresh + list(got[1]))[:limit]
    if coded is None:
        read = _read_log(root_abs, "HEAD", limit)
        if read is None:
            return None
        coded, labels = _encode(read)
    cache.put(k, (sha, coded))
    return coded, labels, sha


def _is_ancestor(root_abs: str, sha: object) -> bool:
    if not isinstance(sha, str) or not sha:
        return False
    return run_git(root_abs, "merge-base", "--is-ancestor", sha, "HEAD").returncode == 0


def _read_log(root_abs: str, revs: str, limit: int) -> list[list[_Entry]] | None:
    log = [
        "log",
        f"--max-count={limit}",
        "--no-merges",
        "--no-color",
        "--relative",
        "-z",
        "--no-show-signature",  # `log.showSignature` would run `gpg.program`
        "--no-ext-diff",
        "--no-textconv",
        "--name-status",
        "--format=%x01",
        revs,
    ]
    proc = run_git(root_abs, *log, "--find-renames", "--", ".")
    if proc.returncode != 0:
        # A partial clone lacks old blobs, which finding renames would fetch (packer
        # fetches nothing): without renames there is history still.
        proc = run_git(root_abs, *log, "--no-renames", "--", ".")
    if proc.returncode != 0:
        return None
    return _parse_log(proc.stdout)


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
    every: Counter[str] = Counter()  # commits touching each file, in all of history
    together = _Together(focus)
    counted = 0
    for entries in commits:  # newest first
        touched = names.touched(entries)
        if len(entries) > HUGE_COMMIT_FILES or not touched:
            continue
        every.update(touched.keys())
        if counted < RECENT_COMMITS:
            for path in touched:
                newest.setdefault(path, counted)
            churn.update(touched.keys())
            counted += 1
        together.count(touched)
    half_life = max(1.0, counted / 10)
    recency = {path: 0.5 ** (index / half_life) for path, index in newest.items()}
    top = max(churn.values(), default=0)
    churn_share = {path: count / top for path, count in churn.items()}
    cochange = together.strengths(every)
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


class _Together:
    """How strongly each file changes together with each focus entry.

    A commit touching a focus file f and another file j adds 1 / log2(files in the
    commit): a two-file commit adds 1, a sixteen-file sweep 1/4. The strength
    is that sum over the geometric mean of f's and j's commit counts (a cosine), so a file
    that changes in every commit (a version file, a registry of everything) does not
    co-change with everything: it is in [0, 1], 1 when f and j always change alone together.
    """

    def __init__(self, focus: Sequence[str]) -> None:
        self.files = sorted({f for f in focus if f and not f.endswith("/")})
        self.dirs = tuple(sorted({f for f in focus if f.endswith("/")}))
        self.commits: Counter[str] = Counter()  # focus entry -> its commits
        self.sums: dict[str, dict[str, float]] = {}

    def count(self, touched: dict[str, None]) -> None:
        if not (self.files or self.dirs):
            return
        hits = [f for f in self.files if f in touched]
        hits += [d for d in self.dirs if any(p.startswith(d) for p in touched)]
        if not hits:
            return
        weight = 1.0 / math.log2(max(2, len(touched)))
        for f in hits:
            self.commits[f] += 1
            sums = self.sums.setdefault(f, {})
            inside = f if f.endswith("/") else None
            for p in touched:
                if p != f and not (inside and p.startswith(inside)):
                    sums[p] = sums.get(p, 0.0) + weight

    def strengths(self, every: Counter[str]) -> dict[str, dict[str, float]]:
        """Per focus entry, its `COCHANGE_LIMIT` strongest companions, strongest first."""
        out: dict[str, dict[str, float]] = {}
        for f in sorted(self.sums):
            n_f = self.commits[f]
            got = {p: min(1.0, w / math.sqrt(n_f * max(every[p], 1))) for p, w in self.sums[f].items()}
            best = sorted(got.items(), key=lambda kv: (-kv[1], kv[0]))[:COCHANGE_LIMIT]
            if best:
                out[f] = dict(best)
        return out
