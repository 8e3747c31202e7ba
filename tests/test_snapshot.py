"""Snapshots: a git work tree's walk and measures, reused only while git sees no change."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import git, git_repo, module, pack_text, write

import packer
from packer import cache as cachelib
from packer import discover, snapshot
from packer.cache import Cache
from packer.errors import ConcurrentChangeError
from packer.measure import Measured, Work, measure, measured_from_plain, measured_to_plain

SECRET = 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'


@pytest.fixture(autouse=True)
def _settled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cachelib, "SETTLED_NS", 0)  # every stat is settled at once


def _repo(tmp_path: Path) -> Path:
    return git_repo(
        tmp_path / "r",
        {"a.py": module("a"), "pkg/b.py": module("b"), "notes.md": "# notes\n", ".gitignore": "*.log\n"},
    )


def test_no_fingerprint_outside_a_work_tree_or_inside_git(tmp_path: Path) -> None:
    write(tmp_path / "plain", {"a.py": "x = 1\n"})
    assert snapshot.fingerprint(tmp_path / "plain") is None
    root = _repo(tmp_path)
    assert snapshot.fingerprint(root / ".git") is None


def test_the_fingerprint_is_stable_and_sees_every_change_git_sees(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    first = snapshot.fingerprint(root)
    assert first is not None and snapshot.fingerprint(root) == first
    seen = {first}

    def changed() -> str:
        now = snapshot.fingerprint(root)
        assert now is not None and now not in seen
        seen.add(now)
        return now

    (root / "a.py").write_text(module("a") + "# edited\n")  # a tracked file edited
    changed()
    (root / "new.py").write_text("x = 1\n")  # a file git does not track yet
    changed()
    (root / "new.py").write_text("x = 2\n")  # edited again: git's listing stays the same
    changed()
    os.remove(root / "notes.md")
    changed()
    git(root, "add", "-A")  # the index changes, the work tree does not
    changed()
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("pkg/\n")  # a rule from outside the tree
    changed()
    (root / "debug.log").write_text("ignored\n")  # what git ignores is no change
    assert snapshot.fingerprint(root) in seen


def test_this_runs_own_output_is_left_out(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    out = str(root / "pack.xml")
    before = snapshot.fingerprint(root, frozenset({out}))
    (root / "pack.xml").write_text("<pack/>\n")
    assert snapshot.fingerprint(root, frozenset({out})) == before
    assert snapshot.fingerprint(root) != before


def _measured(tmp_path: Path, work: Work, cache: Cache) -> tuple[discover.WalkResult, Measured]:
    root = git_repo(
        tmp_path / "m",
        {
            "a.py": module("a"),
            "settings.py": SECRET,
            "b.bin": b"\x00\x01",
            "big.txt": "x" * 20_000,
            "c.md": "hi\n",
        },
    )
    walked = discover.walk(root, max_file_size=10_000)
    return walked, measure(walked.files, work=work, cache=cache)


@pytest.mark.parametrize("symbols", [False, True])
def test_measures_come_back_the_same(tmp_path: Path, symbols: bool) -> None:
    work = Work(keep=frozenset(), max_file_size=10_000, symbols=symbols, terms=symbols, redact=True)
    with Cache(tmp_path / "cache") as cache:
        walked, m = _measured(tmp_path, work, cache)
        again = measured_from_plain(measured_to_plain(m, walked.files), walked.files, work)
        assert [i.path for i in m.infos] == ["a.py", "c.md", "settings.py"]
        assert again.infos == m.infos and again.candidates == m.candidates
        assert again.skipped == m.skipped and again.prints == m.prints and again.clean == m.clean
        # Symbols and comment words are deferred, as the stat index defers them: from the cache.
        assert sorted(again.deferred) == ([0, 1, 2] if symbols else [])
        again.complete(cache, work)
    assert again.symbols == m.symbols and again.terms == m.terms
    assert symbols == bool(m.symbols) == bool(m.symbols and m.symbols[0] is not None)
    assert snapshot.walk_from_plain(snapshot.walk_to_plain(walked)) == walked


def _pack(root: Path, cache_dir: Path, **kw: Any) -> tuple[str, packer.PackResult]:
    return pack_text(root, cache_dir=str(cache_dir), budget=None, **kw)


def test_a_second_pack_takes_the_snapshot_and_writes_the_same(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    cd = tmp_path / "cache"
    first, r1 = _pack(root, cd)
    with Cache(cd) as cache:
        state = snapshot.fingerprint(root)
        assert state is not None
        kept = [v for _, v in _snapshot_entries(cache) if v[0] == state]
    assert len(kept) == 2  # the walk and the measures
    second, r2 = _pack(root, cd)
    assert second == first and r2.files == r1.files


def _snapshot_entries(cache: Cache) -> list[tuple[bytes, Any]]:
    """Every snapshot entry of a test's own cache, read whole."""
    db = cache._connect()
    assert db is not None
    rows = db.execute("SELECT key FROM entries").fetchall()
    got = cache.get_many([r[0] for r in rows])
    return [(k, v) for k, v in got.items() if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str)]


def test_an_output_outside_the_tree_keeps_the_snapshot(tmp_path: Path) -> None:
    # Outputs the walk leaves out are part of a snapshot's options; one outside the tree
    # changes no walk, so a pack to a new path there is still served from the snapshot.
    root = _repo(tmp_path)
    cd = tmp_path / "cache"

    def run(out: Path) -> set[bytes]:
        packer.pack(root, packer.Options(cache_dir=str(cd), budget=None), output=str(out))
        with Cache(cd) as cache:
            return {k for k, _ in _snapshot_entries(cache)}

    kept = run(tmp_path / "one.xml")
    assert run(tmp_path / "two.xml") == kept  # taken, not walked and kept again
    assert (tmp_path / "two.xml").read_text() == (tmp_path / "one.xml").read_text()
    more = run(root / "inside.xml") - kept  # inside: this walk leaves it out, another one
    assert len(more) == 2  # its walk and its measures
    assert "inside.xml" not in (root / "inside.xml").read_text()  # the pack does not hold itself


def test_an_edit_between_packs_is_packed(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    cd = tmp_path / "cache"
    _pack(root, cd)
    (root / "a.py").write_text("def edited():\n    return 'new text'\n")
    (root / "fresh.py").write_text("FRESH = 1\n")
    text, _ = _pack(root, cd)
    assert "new text" in text and "FRESH = 1" in text
    (root / "fresh.py").write_text("FRESH = 2\n")  # untracked, edited: git status reads the same
    text, _ = _pack(root, cd)
    assert "FRESH = 2" in text and "FRESH = 1" not in text


def test_an_assume_unchanged_file_means_no_snapshot(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    git(root, "update-index", "--assume-unchanged", "a.py")
    cd = tmp_path / "cache"
    _pack(root, cd)
    (root / "a.py").write_text("HIDDEN_FROM_GIT_STATUS = 1\n")
    assert snapshot.fingerprint(root) is not None  # git status does not show the edit...
    text, _ = _pack(root, cd)
    assert "HIDDEN_FROM_GIT_STATUS" in text  # ...but no snapshot was kept to hide it


def test_a_changed_option_is_another_snapshot(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    cd = tmp_path / "cache"
    _pack(root, cd)
    _, result = _pack(root, cd, exclude=["pkg/"])
    assert "pkg/b.py" not in {f.path for f in result.files if f.mode == "full"}
    _, result = _pack(root, cd)
    assert "pkg/b.py" in {f.path for f in result.files if f.mode == "full"}


def test_a_stale_snapshot_is_caught_when_a_file_is_read_and_the_pack_starts_afresh(tmp_path: Path) -> None:
    # Git may see no change where the bytes did change (a line-ending edit under
    # `text=auto` with some git versions, a clean filter): the snapshot then holds the
    # old digest. Made here by filing the old snapshot under the new state.
    root = _repo(tmp_path)
    cd = tmp_path / "cache"
    _pack(root, cd)
    old = snapshot.fingerprint(root)
    (root / "a.py").write_text("def rewritten():\n    return 'the new text'\n")
    new = snapshot.fingerprint(root)
    assert old is not None and new is not None and new != old
    with Cache(cd) as cache:
        stale = [(k, v) for k, v in _snapshot_entries(cache) if v[0] == old]
        assert len(stale) == 2
        cache.put_many([(k, (new, v[1])) for k, v in stale])
    out = tmp_path / "pack.xml"  # a file: written whole or not at all, so the pack starts afresh
    packer.pack(root, packer.Options(budget=None, cache_dir=str(cd)), output=str(out))
    fresh, _ = pack_text(root, budget=None, cache=False)
    assert out.read_text() == fresh and "the new text" in fresh
    # To a stream part of the pack may be out already: an error, and the stale snapshot
    # goes. (The pack above replaced it: the same options, its output being outside.)
    with Cache(cd) as cache:
        cache.put_many([(k, (new, v[1])) for k, v in stale])
    with pytest.raises(ConcurrentChangeError):
        _pack(root, cd)
    assert _pack(root, cd)[0] == fresh
