"""Git signals from real histories: recency, churn, co-change and their bounds."""

import math
from pathlib import Path

import pytest
from conftest import git, write

from packer import history
from packer.cache import Cache, history_key
from packer.history import COCHANGE_LIMIT, HUGE_COMMIT_FILES, git_signals


def commit(repo: Path, files: dict[str, str | bytes], message: str = "c") -> None:
    write(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def bump(repo: Path, *paths: str) -> None:
    """One commit changing each path."""
    commit(repo, {p: (repo / p).read_text() + "x\n" if (repo / p).exists() else "x\n" for p in paths})


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root


def test_no_git_no_commits_no_window_is_none(tmp_path, repo):
    plain = tmp_path / "plain"
    write(plain, {"a.py": "x\n"})
    assert git_signals(plain) is None
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    write(empty, {"a.py": "x\n"})
    assert git_signals(empty) is None
    bump(repo, "a.py")
    assert git_signals(repo, max_commits=0) is None
    assert git_signals(repo) is not None


def test_recency_decays_with_commit_index(repo):
    bump(repo, "a.py", "b.py")
    bump(repo, "b.py")
    bump(repo, "c.py")
    signals = git_signals(repo)
    assert signals is not None and signals.commits == 3
    assert signals.recency == {"c.py": 1.0, "b.py": 0.5, "a.py": 0.25}  # half-life: 1 commit


def test_recency_half_life_is_a_tenth_of_the_window(repo):
    bump(repo, "old.py")
    for _ in range(39):
        bump(repo, "hot.py")
    signals = git_signals(repo)
    assert signals is not None
    assert signals.recency["hot.py"] == 1.0
    assert signals.recency["old.py"] == pytest.approx(0.5 ** (39 / 4))  # 39 back, half-life 40 / 10


def test_churn_is_normalised_by_the_busiest_file(repo):
    bump(repo, "a.py", "b.py", "c.py")
    bump(repo, "a.py", "b.py")
    bump(repo, "a.py")
    bump(repo, "a.py")
    signals = git_signals(repo)
    assert signals is not None
    assert signals.churn == {"a.py": 1.0, "b.py": 0.5, "c.py": 0.25}


def test_cochange_with_a_focus_file_and_a_focus_directory(repo):
    bump(repo, "a.py", "b.py", "pkg/x.py")
    bump(repo, "a.py", "b.py")
    bump(repo, "a.py", "c.py")
    bump(repo, "c.py", "pkg/y.py")
    signals = git_signals(repo, focus=["a.py", "pkg/", "never.py"])
    assert signals is not None
    # a commit of k files adds 1 / log2(k); over sqrt(commits of the focus entry x the file's)
    w3 = 1 / math.log2(3)
    assert signals.cochange == {
        "a.py": {
            "b.py": (1 + w3) / math.sqrt(3 * 2),
            "pkg/x.py": w3 / math.sqrt(3),
            "c.py": 1 / math.sqrt(6),
        },
        "pkg/": {"b.py": w3 / 2, "c.py": 1 / 2, "a.py": w3 / math.sqrt(6)},  # files inside left out
    }
    assert git_signals(repo) is not None and git_signals(repo).cochange == {}  # type: ignore[union-attr]


def test_cochange_keeps_the_strongest(repo):
    bump(repo, "a.py", *(f"once{i:03}.py" for i in range(COCHANGE_LIMIT + 10)))
    bump(repo, "a.py", "twice.py")
    bump(repo, "a.py", "twice.py")
    signals = git_signals(repo, focus=["a.py"])
    assert signals is not None
    shares = signals.cochange["a.py"]
    assert len(shares) == COCHANGE_LIMIT
    assert next(iter(shares.items())) == ("twice.py", 2 / math.sqrt(3 * 2))
    assert "once000.py" in shares and f"once{COCHANGE_LIMIT + 9:03}.py" not in shares


def test_a_file_in_every_commit_cochanges_less_than_a_true_companion(repo):
    bump(repo, "a.py", "twin.py", "version.py")
    bump(repo, "a.py", "twin.py", "version.py")
    for i in range(10):
        bump(repo, f"other{i}.py", "version.py")  # version.py changes with everything
    signals = git_signals(repo, focus=["a.py"])
    assert signals is not None
    shares = signals.cochange["a.py"]
    assert shares["twin.py"] == pytest.approx(1 / math.log2(3))  # always together, in 3-file commits
    assert shares["version.py"] < shares["twin.py"] / 2


def test_huge_commits_count_but_add_no_signal(repo):
    bump(repo, "a.py", "b.py")
    bump(repo, "a.py", "b.py")
    commit(repo, {f"gen/f{i}.py": "x\n" for i in range(HUGE_COMMIT_FILES + 1)} | {"a.py": "reformatted\n"})
    signals = git_signals(repo, focus=["a.py"])
    assert signals is not None
    assert signals.commits == 3
    assert not any(p.startswith("gen/") for p in signals.recency)
    assert signals.recency["a.py"] == 1.0  # the newest counted commit
    assert signals.churn == {"a.py": 1.0, "b.py": 1.0}
    assert signals.cochange == {"a.py": {"b.py": 1.0}}
    commit(repo, {f"gen/f{i}.py": "y\n" for i in range(HUGE_COMMIT_FILES)})  # exactly the limit: counted
    signals = git_signals(repo)
    assert signals is not None and signals.recency["gen/f0.py"] == 1.0


def test_max_commits_bounds_the_window(repo):
    for name in ("a.py", "b.py", "c.py", "d.py", "e.py"):
        bump(repo, name)
    signals = git_signals(repo, max_commits=2)
    assert signals is not None and signals.commits == 2
    assert set(signals.recency) == {"d.py", "e.py"}


def test_renames_carry_history_and_deleted_files_drop_out(repo):
    bump(repo, "old.py", "gone.py")
    bump(repo, "old.py", "gone.py")
    git(repo, "mv", "old.py", "new.py")
    git(repo, "rm", "-q", "gone.py")
    git(repo, "commit", "-q", "-m", "move and delete")
    bump(repo, "other.py")
    signals = git_signals(repo, focus=["new.py"])
    assert signals is not None
    assert set(signals.churn) == {"new.py", "other.py"}
    assert signals.churn["new.py"] == 1.0  # three commits: two under its old name
    assert signals.recency["new.py"] == 0.5
    assert signals.cochange == {}  # "gone.py" no longer exists


def test_root_in_a_subdirectory_gets_relative_paths(repo):
    bump(repo, "top.py", "sub/a.py")
    bump(repo, "top.py")
    signals = git_signals(repo / "sub", focus=["a.py"])
    assert signals is not None
    assert signals.commits == 1
    assert signals.recency == {"a.py": 1.0} and signals.churn == {"a.py": 1.0}


def test_merges_are_skipped(repo):
    bump(repo, "a.py")
    git(repo, "checkout", "-q", "-b", "side")
    bump(repo, "side.py")
    git(repo, "checkout", "-q", "-")
    bump(repo, "main.py")
    git(repo, "merge", "-q", "--no-edit", "side")
    signals = git_signals(repo)
    assert signals is not None and signals.commits == 3
    assert set(signals.churn) == {"a.py", "side.py", "main.py"}


def test_user_config_and_hook_environment_do_not_change_the_signals(repo, tmp_path, monkeypatch):
    bump(repo, "a.py", "b.py")
    git(repo, "mv", "a.py", "c.py")
    git(repo, "commit", "-q", "-m", "move")
    expected = git_signals(repo, focus=["c.py"])
    # the move counts: two commits of c.py, one with b.py
    assert expected is not None and expected.cochange == {"c.py": {"b.py": 1 / math.sqrt(2)}}
    for key, value in [("diff.renames", "false"), ("color.ui", "always"), ("log.showSignature", "true")]:
        git(repo, "config", key, value)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert git_signals(repo, focus=["c.py"]) == expected


def test_cochange_reaches_past_the_recent_window(repo, monkeypatch):
    # recency and churn look at the newest RECENT_COMMITS commits; co-change at all of them
    monkeypatch.setattr(history, "RECENT_COMMITS", 2)
    bump(repo, "a.py", "old.py")  # the oldest commit: outside the recent window
    bump(repo, "b.py")
    bump(repo, "c.py")
    signals = git_signals(repo, focus=["a.py"])
    assert signals is not None
    assert signals.cochange == {"a.py": {"old.py": 1.0}}
    assert "old.py" not in signals.recency and "old.py" not in signals.churn
    assert set(signals.recency) == {"b.py", "c.py"}


def test_the_cache_follows_head_forward_back_and_rewritten(repo, tmp_path):
    store = Cache(tmp_path / "cache")
    bump(repo, "a.py", "b.py")

    def known() -> list[str]:  # the walked files
        return sorted(p.name for p in repo.iterdir() if p.is_file())

    first = git_signals(repo, focus=["a.py"], cache=store, known=known())
    assert first is not None and first.cochange == {"a.py": {"b.py": 1.0}}
    assert store.get(history_key(str(repo))) is not None  # kept by HEAD
    assert git_signals(repo, focus=["a.py"], cache=store, known=known()) == first  # from the cache

    bump(repo, "a.py", "c.py")  # HEAD moved forward: only the new commit is read
    moved = git_signals(repo, focus=["a.py"], cache=store, known=known())
    assert moved == git_signals(repo, focus=["a.py"])  # what an uncached read gives
    half = 1 / math.sqrt(2)
    assert moved is not None and moved.cochange == {"a.py": {"b.py": half, "c.py": half}}

    git(repo, "reset", "-q", "--hard", "HEAD~1")  # back: HEAD is no descendant of the cached one
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    bump(repo, "a.py", "d.py")
    rewritten = git_signals(repo, focus=["a.py"], cache=store, known=known())
    assert rewritten == git_signals(repo, focus=["a.py"])
    assert rewritten is not None and "c.py" not in rewritten.cochange["a.py"]


def test_the_cache_holds_no_file_name(repo, tmp_path):
    # a file's name can hold a secret: the cached log keeps hashes, `known` names them
    secret_name = "AKIAZZZZZZZZZZZZZZZZ.py"
    bump(repo, "a.py", secret_name, "gone.py")
    git(repo, "rm", "-q", "gone.py")
    git(repo, "commit", "-q", "-m", "rm")
    store = Cache(tmp_path / "cache")
    signals = git_signals(repo, focus=["a.py"], cache=store, known=["a.py", secret_name])
    assert signals is not None and set(signals.cochange["a.py"]) == {secret_name}
    store.close()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert b"AKIAZZZZ" not in raw and b"a.py" not in raw
    # a path nobody asked about is left out, not shown as a stand-in
    store = Cache(tmp_path / "cache")
    only = git_signals(repo, focus=["a.py"], cache=store, known=["a.py"])
    assert only is not None and only.cochange == {} and set(only.recency) == {"a.py"}


def test_the_signals_are_kept_by_head_and_the_names_asked_for(repo, tmp_path):
    import xxhash

    from packer.cache import signals_key

    bump(repo, "a.py", "b.py")
    bump(repo, "a.py", "c.py")
    store = Cache(tmp_path / "cache")
    known = ["a.py", "b.py", "c.py"]
    first = git_signals(repo, focus=["a.py"], cache=store, known=known)
    assert first == git_signals(repo, focus=["a.py"], known=known)  # what no cache gives
    assert first is not None and first.source
    head = git(repo, "rev-parse", "HEAD").strip()
    names = "\0".join([*known, "a.py"])
    k = signals_key(str(repo), head, xxhash.xxh3_128_hexdigest(names.encode()), len(known))
    assert k == first.source
    # The entry under that key is what a second run reads: planted, it is returned.
    store.put(k, (7, [(1, 0.25)], [], []))
    again = git_signals(repo, focus=["a.py"], cache=store, known=known)
    assert again is not None and (again.recency, again.commits) == ({"b.py": 0.25}, 7)
    # Other names, another focus, or a new HEAD: worked out afresh, never that entry.
    assert git_signals(repo, focus=["a.py"], cache=store, known=known[:2]) == git_signals(
        repo, focus=["a.py"], known=known[:2]
    )
    assert git_signals(repo, focus=["b.py"], cache=store, known=known) == git_signals(
        repo, focus=["b.py"], known=known
    )
    bump(repo, "c.py")
    assert git_signals(repo, focus=["a.py"], cache=store, known=known) == git_signals(
        repo, focus=["a.py"], known=known
    )
    # A value that is not the kept shape is not trusted: worked out afresh.
    store.put(k, ("not", "signals"))
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert git_signals(repo, focus=["a.py"], cache=store, known=known) == first
