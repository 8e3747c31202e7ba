"""Snapshots: a git work tree's last walk and measures, reused while git sees no change.

A warm pack of a 78K-file tree spent two seconds redoing what the last run knew: the walk
(`git ls-files`, 78K lstat and ignore checks) and the records rebuilt from the measure
index. Git already knows whether any of it changed: its index holds every tracked file's
blob and stat, and `git status` lists what differs from it and what is untracked. The
fingerprint of a tree is a digest of the index file, that listing, the lstat of each file
it names (an untracked or modified file can change again without changing the listing),
the ignore and attribute files git reads from outside the tree, and the walk's options.
A run whose fingerprint matches the last one's takes the walk and measures from the cache;
any other walks and measures, then stores them under the new fingerprint.

Only a walk that followed git's rules has one, and never for a repository with
assume-unchanged or skip-worktree entries (git status does not show their edits), or
with a file changed in the last `SETTLED_NS` (a change within the clock's resolution
could leave its stat unchanged).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import xxhash

from packer import cache as cachelib
from packer import discover, output
from packer.measure import Measured, Work, measured_from_plain, measured_to_plain
from packer.records import Candidate, Secret, Skip, WalkResult

# Ignore and attribute files git reads from outside the tree, where git has no setting:
# their stat is part of the fingerprint.
_DEFAULT_USER_FILES = ("git/ignore", "git/attributes")


def fingerprint(root: Path, outputs: frozenset[str] = frozenset()) -> str | None:
    """The state of the git work tree holding `root` as git sees it, or None: not in a
    work tree, git failed, or a file git lists changed too recently to trust its stat.

    `outputs` (this run's own files, absolute) are left out: a pack written inside the tree
    changes with every run.
    """
    root_abs = os.path.abspath(root)
    view = _ask_git(root_abs)
    if view is None:
        return None
    top, index, outside, status = view
    h = xxhash.xxh3_128()
    now = time.time_ns()
    h.update(_file_digest(index).encode())
    for record, path in _status_records(status):
        full = os.path.join(top, path)
        if full in outputs or output.canonical_paths([full]) & outputs:
            continue
        stamp = _stamp(full, now)
        if stamp is None:
            return None
        h.update(record)
        h.update(f"\0{stamp}\0".encode())
    for path in outside:
        stamp = _stamp(path, now)
        if stamp is None:
            return None
        h.update(f"\0{path}\0{stamp}".encode("utf-8", "surrogateescape"))
    h.update(f"\0{top}\0{root_abs}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _ask_git(root_abs: str) -> tuple[str, str, list[str], bytes] | None:
    """The work tree's top, its index file, the rule files git reads from outside the
    tree, and `git status`; None outside a work tree or when git fails."""
    paths = ("index", "info/exclude", "info/attributes")
    try:
        git_paths = [arg for p in paths for arg in ("--git-path", p)]
        where = discover.run_git(root_abs, "rev-parse", "--is-inside-git-dir", "--show-toplevel", *git_paths)
        lines = os.fsdecode(where.stdout).split("\n")
        if where.returncode != 0 or len(lines) < 5 or lines[0] != "false" or not lines[1]:
            return None  # inside .git (walked as a plain directory), or a bare repository
        top = lines[1]
        off, failed = discover.filters_off(top)  # git status runs clean filters: not the repository's
        if failed is not None:
            return None
        status = discover.run_git(
            top,
            *off,
            "status",
            "--porcelain=v2",
            "-z",
            "--untracked-files=all",
            "--no-renames",
            "--ignore-submodules=none",
        )
        config = discover.run_git(
            top, "config", "-z", "--path", "--get-regexp", r"^core\.(excludesfile|attributesfile)$"
        )
    except OSError:
        return None
    if status.returncode != 0:
        return None
    index, *rules = (os.path.join(root_abs, line) for line in lines[2:5])
    return top, index, [*rules, *_user_files(config.stdout)], status.stdout


def _file_digest(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return xxhash.xxh3_128_hexdigest(f.read())
    except OSError:
        return "-"


def _stamp(path: str, now: int) -> str | None:
    """What lstat says of `path` ("-" if it is missing); None if it changed too recently."""
    try:
        st = os.lstat(path)
    except OSError:
        return "-"
    if now - max(st.st_mtime_ns, st.st_ctime_ns) < cachelib.SETTLED_NS:
        return None
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {st.st_mode}"


# Fields before the path in `git status --porcelain=v2` records, by their first letter:
# "1 XY sub mH mI mW hH hI path", "u XY sub m1 m2 m3 mW h1 h2 h3 path", "? path".
_PATH_FIELD = {b"1": 8, b"u": 10, b"?": 1}


def _status_records(out: bytes) -> list[tuple[bytes, str]]:
    """Each record of `git status --porcelain=v2 -z --no-renames`, and the path it names
    from the top of the work tree."""
    found: list[tuple[bytes, str]] = []
    for record in out.split(b"\0"):
        field = _PATH_FIELD.get(record[:1])
        if field is None:
            if record:  # a kind this version does not know: hashed whole, never skipped
                found.append((record, ""))
            continue
        found.append((record, os.fsdecode(record.split(b" ", field)[field])))
    return found


def _user_files(config: bytes) -> list[str]:
    """The global excludes and attributes files git reads: configured, else its defaults."""
    named = [os.fsdecode(item.split(b"\n", 1)[1]) for item in config.split(b"\0") if b"\n" in item]
    home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.environ.get("HOME", "/"), ".config")
    return [*named, *(os.path.join(home, name) for name in _DEFAULT_USER_FILES)]


def _assume_unchanged(top: str) -> bool:
    """Whether the index marks any file assume-unchanged or skip-worktree: git status
    would not show its edits (`git ls-files -v`: a lowercase tag, or "S")."""
    try:
        proc = discover.run_git(top, "ls-files", "-v", "-z")
    except OSError:
        return True
    if proc.returncode != 0:
        return True
    return any(r[:1].islower() or r[:2] == b"S " for r in proc.stdout.split(b"\0") if r)


# -- the cache entries -----------------------------------------------------------------


def _walk_key(root: Path, options: str) -> bytes:
    return cachelib.snapshot_key(str(os.path.abspath(root)), "walk", options)


def _measure_key(root: Path, options: str, work: Work) -> bytes:
    sig = repr(_work_sig(work))
    return cachelib.snapshot_key(str(os.path.abspath(root)), "measure", options + "\0" + sig)


def _work_sig(work: Work) -> tuple[Any, ...]:
    # repr of a frozenset depends on the process's hash seed: the keep kinds go sorted.
    return (sorted(work.keep), repr(replace(work, keep=frozenset(), cache_dir=None, jobs=None)))


def load_walk(cache: cachelib.Cache, root: Path, options: str, state: str) -> WalkResult | None:
    """The walk stored under `state`, if the last one stored for `root` was."""
    got = cache.get(_walk_key(root, options))
    if not isinstance(got, tuple) or len(got) != 2 or got[0] != state:
        return None
    try:
        return walk_from_plain(got[1])
    except (TypeError, ValueError):
        return None


def forget(cache: cachelib.Cache, root: Path, options: str) -> None:
    """Drop `root`'s walk (its measures go with it: they are used only after it)."""
    cache.put(_walk_key(root, options), None)


def save_walk(cache: cachelib.Cache, root: Path, options: str, state: str, walked: WalkResult) -> None:
    """Store `walked` as `root`'s walk in `state`, unless git would hide an edit from it."""
    if walked.git_root is None or _assume_unchanged(walked.git_root):
        return
    cache.put(_walk_key(root, options), (state, walk_to_plain(walked)))


def load_measured(
    cache: cachelib.Cache, root: Path, options: str, state: str, work: Work, walked: WalkResult
) -> Measured | None:
    got = cache.get(_measure_key(root, options, work))
    if not isinstance(got, tuple) or len(got) != 2 or got[0] != state:
        return None
    try:
        return measured_from_plain(got[1], walked.files, work)
    except (TypeError, ValueError, IndexError):
        return None


def save_measured(
    cache: cachelib.Cache,
    root: Path,
    options: str,
    state: str,
    work: Work,
    walked: WalkResult,
    measured: Measured,
) -> None:
    cache.put(_measure_key(root, options, work), (state, measured_to_plain(measured, walked.files)))


def walk_to_plain(w: WalkResult) -> tuple[Any, ...]:
    """`w` as values `marshal` takes, by column."""
    return (
        tuple(c.path for c in w.files),
        tuple(c.abspath for c in w.files),
        tuple(c.size for c in w.files),
        tuple(c.stamp for c in w.files),
        tuple((s.path, s.kind, s.detail) for s in w.skipped),
        w.warnings,
        w.git_root,
        tuple((s.path, s.line, s.kind, s.redacted) for s in w.secrets),
    )


def walk_from_plain(t: tuple[Any, ...]) -> WalkResult:
    paths, abspaths, sizes, stamps, skipped, warnings, git_root, secrets = t
    return WalkResult(
        files=tuple(map(Candidate, paths, abspaths, sizes, stamps)),
        skipped=tuple(Skip(*s) for s in skipped),
        warnings=tuple(warnings),
        git_root=git_root,
        secrets=tuple(Secret(*s) for s in secrets),
    )
