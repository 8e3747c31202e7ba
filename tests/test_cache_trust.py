"""Cache trust (issue 13, point 5): only the user can change what the cache tells a pack.

An attacker here is another user who can write the cache directory or its files, or
anything that edits the database without its key (a tool, a restored or synced copy).
Who can change the files: refused with a warning, and the pack is the uncached one.
What a value stands for: each value is bound to its key by a MAC, so a value copied
under another key, edited, or MAC-ed under any key but this cache's is a miss. Each
planting test also plants through a writer that holds the key (`Cache.put`) to show the
planted value would reach the pack: the refusal is what keeps it out.
"""

from __future__ import annotations

import hashlib
import io
import marshal
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import xxhash
from click.testing import CliRunner, Result
from conftest import write

import packer
from packer import Options, content, discover
from packer import cache as cachelib
from packer.cache import FILE_NAME, KEY_NAME, Cache
from packer.cli import main
from packer.measure import Text, Work, _from_plain, _plain, measure
from packer.records import Candidate, PackResult, Skip, SourceText
from packer.stats import stats

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX owners and modes")
needs_root = pytest.mark.skipif(os.name == "nt" or os.geteuid() != 0, reason="chown needs root")
NOBODY = 65534

AWS = "AKIAZ7XQ3MPLR4TWN6KB"
GITHUB = "ghp_R7tWq2LmZ8xKp4NvB6yHc3JdF9sA1eGu0TiO"
SECRETS = (AWS, GITHUB)


def _module(name: str, n: int) -> str:
    return "".join(
        f"def {name}_{i}(x):\n    '''Scale {name} {i}.'''\n    y = x * {i}\n"
        f"    for k in range(y):\n        y += k * {i}\n    return y\n\n\n"
        for i in range(n)
    )


REPO: dict[str, str | bytes] = {
    "README.md": "# Demo\n\nParse, store, report.\n" + "Usage notes.\n" * 20,
    "src/store.py": _module("store", 30),
    "src/keys.py": f'AWS_ACCESS_KEY_ID = "{AWS}"\n',
    "src/clean.py": 'MODE = "alpha"\n',
}


@pytest.fixture(autouse=True)
def _settle_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once: stat entries and the index are written and read."""
    monkeypatch.setattr(cachelib, "SETTLED_NS", 0)


def _repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    write(root, REPO if files is None else files)
    t = time.time_ns() - 10 * 10**9
    for p in root.rglob("*"):
        os.utime(p, ns=(t, t))
    return root


def _pack(root: Path, **kw: Any) -> tuple[str, PackResult]:
    buf = io.StringIO()
    result = packer.pack(root, Options(**kw), output=buf)
    return buf.getvalue(), result


def _uncached(root: Path, **kw: Any) -> str:
    return _pack(root, cache=False, **kw)[0]


def _refusals(warnings: Any) -> list[str]:
    return [w for w in warnings if "packing without the cache" in w]


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set the process umask for one test (restored after)."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def _facts(root: Path, path: str) -> tuple[Candidate, SourceText]:
    c = next(c for c in discover.walk(root).files if c.path == path)
    got = content.read_source(c)
    assert not isinstance(got, Skip)
    return c, got


def _row(cache_dir: Path, k: bytes) -> tuple[bytes, bytes]:
    con = sqlite3.connect(cache_dir / FILE_NAME)
    try:
        row = con.execute("SELECT value, mac FROM entries WHERE key = ?", (k,)).fetchone()
    finally:
        con.close()
    assert row is not None, "the entry to copy is in the cache"
    return bytes(row[0]), bytes(row[1])


def _plant(cache_dir: Path, k: bytes, value: bytes, mac: bytes) -> None:
    """Write one row straight into the database, as a tool without the key would."""
    con = sqlite3.connect(cache_dir / FILE_NAME)
    try:
        with con:
            con.execute(
                "INSERT OR REPLACE INTO entries (key, value, mac, at) VALUES (?, ?, ?, ?)",
                (k, value, mac, int(time.time())),
            )
    finally:
        con.close()


def _leaks(cache_dir: Path) -> list[tuple[str, str]]:
    """(file, secret) for each secret, whole or its last 12 characters, in any cache file."""
    found = []
    for p in cache_dir.rglob("*"):
        if p.is_file():
            raw = p.read_bytes()
            for s in SECRETS:
                if any(n.encode(enc) in raw for n in (s, s[-12:]) for enc in ("utf-8", "utf-16-le")):
                    found.append((p.name, s))
    return found


def _filled(tmp_path: Path) -> tuple[Path, Path, str]:
    """A repository, a cache a pack filled, and the uncached pack."""
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    _pack(root, budget="none", cache_dir=cd)
    return root, cd, _uncached(root, budget="none")


# -- 1. who can change the cache: the directory --------------------------------------------


@posix_only
@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757, 0o1777])
def test_a_directory_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    cd.mkdir()
    os.chmod(cd, mode)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == _uncached(root, budget="none")
    [w] = _refusals(result.warnings)
    assert f"cache directory {cd}" in w and "writable by" in w and f"chmod 700 {cd}" in w
    assert list(cd.iterdir()) == [], "nothing read or written there"
    assert _mode(cd) == mode, "not changed behind the user's back"


@posix_only
def test_a_refused_directory_is_a_warning_on_the_cli(tmp_path: Path) -> None:
    root, cd, ref = _filled(tmp_path)
    os.chmod(cd, 0o777)  # a cache that was sound, opened up since
    names = sorted(p.name for p in cd.iterdir())
    for args in (["pack", str(root), "-b", "none"], ["stats", str(root)], ["cache", "info"]):
        res = _cli(*args, "--cache-dir", str(cd))
        assert res.exit_code == 0, res.output
        assert [
            ln
            for ln in res.stderr.splitlines()
            if ln.startswith("warning: cache directory") and "packing without the cache" in ln
        ], args
    assert _cli("pack", str(root), "-b", "none", "--cache-dir", str(cd)).stdout == ref
    assert stats(root, Options(cache_dir=cd)).warnings and not stats(root, Options(cache=False)).warnings
    assert sorted(p.name for p in cd.iterdir()) == names


@posix_only
def test_an_own_directory_others_cannot_write_is_used_as_it_is(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    cd.mkdir()
    os.chmod(cd, 0o755)  # e.g. `--cache-dir /tmp/x` made by the user
    _pack(root, budget="none", cache_dir=cd)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == _uncached(root, budget="none") and not _refusals(result.warnings)
    assert _mode(cd) == 0o755
    assert _mode(cd / FILE_NAME) == _mode(cd / KEY_NAME) == 0o600


@needs_root
def test_a_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    cd.mkdir(mode=0o700)
    os.chown(cd, NOBODY, NOBODY)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == _uncached(root, budget="none")
    [w] = _refusals(result.warnings)
    assert f"owned by uid {NOBODY}" in w
    assert list(cd.iterdir()) == []


@posix_only
def test_a_directory_above_that_others_can_write_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    for name, mode in (("open", 0o777), ("group", 0o770), ("sticky", 0o1777)):
        above = tmp_path / name
        above.mkdir()
        os.chmod(above, mode)
        text, result = _pack(root, budget="none", cache_dir=above / "cache")
        assert text == _uncached(root, budget="none")
        if name == "sticky":  # like /tmp: only an entry's owner can rename or delete it
            assert not result.warnings and (above / "cache" / FILE_NAME).exists()
        else:
            [w] = _refusals(result.warnings)
            assert f"{above}, above the cache directory" in w and "writable by" in w
            assert not (above / "cache" / FILE_NAME).exists()


@needs_root
def test_a_directory_above_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    theirs = tmp_path / "theirs"
    (theirs / "cache").mkdir(parents=True, mode=0o700)
    os.chmod(theirs, 0o755)
    os.chown(theirs, NOBODY, NOBODY)  # they can rename `cache` away and put their own there
    text, result = _pack(root, budget="none", cache_dir=theirs / "cache")
    assert text == _uncached(root, budget="none")
    [w] = _refusals(result.warnings)
    assert f"{theirs}, above the cache directory" in w and f"owned by uid {NOBODY}" in w


@posix_only
def test_a_symlinked_directory_is_followed_to_what_it_names(tmp_path: Path) -> None:
    """A cache directory the user linked elsewhere is theirs to link; what it points at is
    checked, and the database is opened by its real path."""
    root = _repo(tmp_path / "repo")
    real = tmp_path / "disk" / "cache"
    link = tmp_path / "link"
    link.symlink_to(real)  # dangling: packer makes the target
    _pack(root, budget="none", cache_dir=link)
    assert (real / FILE_NAME).is_file() and _mode(real) == 0o700
    assert Cache(link).info().path == str(link / FILE_NAME)
    text, result = _pack(root, budget="none", cache_dir=link)
    assert text == _uncached(root, budget="none") and not result.warnings

    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    link2 = tmp_path / "link2"
    link2.symlink_to(open_dir)
    _, result = _pack(root, budget="none", cache_dir=link2)
    [w] = _refusals(result.warnings)
    assert f"cache directory {open_dir}" in w
    assert list(open_dir.iterdir()) == []


# -- 2. who can change the cache: its files ---------------------------------------------------


@needs_root
@pytest.mark.parametrize("name", [FILE_NAME, FILE_NAME + "-wal", FILE_NAME + "-shm", KEY_NAME])
def test_a_file_of_another_user_is_refused(tmp_path: Path, name: str) -> None:
    root, cd, ref = _filled(tmp_path)
    p = cd / name
    if not p.exists():  # -wal and -shm go when the last connection closes: planted ones
        p.write_bytes(b"")
        os.chmod(p, 0o600)
    os.chown(p, NOBODY, NOBODY)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref
    [w] = _refusals(result.warnings)
    assert f"cache file {p} is owned by uid {NOBODY}" in w and "packer cache clear" in w
    assert os.lstat(p).st_uid == NOBODY, "left for the user to look at"
    # The fix the warning names works.
    assert _cli("cache", "clear", "--cache-dir", str(cd)).exit_code == 0
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref and not result.warnings


@posix_only
@pytest.mark.parametrize("name", [FILE_NAME, KEY_NAME])
@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_file_others_can_write_is_refused(tmp_path: Path, name: str, mode: int) -> None:
    root, cd, ref = _filled(tmp_path)
    os.chmod(cd / name, mode)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref
    [w] = _refusals(result.warnings)
    assert f"cache file {cd / name} is writable by" in w and f"mode {mode:04o}" in w
    assert _mode(cd / name) == mode


@posix_only
def test_an_own_file_others_can_only_read_is_made_private(tmp_path: Path) -> None:
    """Older packers made the database 0644 under the usual umask: no one else could write
    it, so it is kept, and closed to readers."""
    with Cache(tmp_path) as cache:
        cache.put(b"k" * 24, "kept")
    for name in (FILE_NAME, KEY_NAME):
        os.chmod(tmp_path / name, 0o644)
    reader = Cache(tmp_path, readonly=True)  # a worker process: reads, changes nothing
    assert reader.get(b"k" * 24) == "kept" and reader.warnings == []
    reader.close()
    assert _mode(tmp_path / FILE_NAME) == 0o644
    with Cache(tmp_path) as cache:
        assert cache.get(b"k" * 24) == "kept" and cache.warnings == []
    assert _mode(tmp_path / FILE_NAME) == _mode(tmp_path / KEY_NAME) == 0o600


@pytest.mark.parametrize("name", [FILE_NAME, FILE_NAME + "-wal", KEY_NAME])
def test_a_symlinked_file_is_refused(tmp_path: Path, name: str) -> None:
    root, cd, ref = _filled(tmp_path)
    target = tmp_path / "elsewhere"
    p = cd / name
    if p.exists():
        shutil.copy(p, target)  # a sound copy: the link alone is refused
        p.unlink()
    else:
        target.write_bytes(b"")
    os.chmod(target, 0o600)
    before = target.read_bytes()
    p.symlink_to(target)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref
    [w] = _refusals(result.warnings)
    assert f"cache file {p} is a symlink" in w
    assert target.read_bytes() == before and _mode(target) == 0o600


@posix_only
def test_a_fifo_in_place_of_the_database_is_refused_not_opened(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    cd.mkdir(mode=0o700)
    os.mkfifo(cd / FILE_NAME, 0o600)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == _uncached(root, budget="none")
    [w] = _refusals(result.warnings)
    assert "is not a regular file" in w


@posix_only
def test_worker_processes_refuse_it_too_and_it_is_said_once(tmp_path: Path) -> None:
    root, cd, ref = _filled(tmp_path)
    os.chmod(cd / FILE_NAME, 0o666)
    text, result = _pack(root, budget="none", cache_dir=cd, jobs=2)
    assert text == ref
    assert len(_refusals(result.warnings)) == 1


def test_on_windows_modes_are_not_checked_but_symlinks_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cachelib, "_POSIX", False)
    if hasattr(os, "getuid"):
        monkeypatch.delattr(os, "getuid")  # Windows has none: never called there
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    cd.mkdir()
    os.chmod(cd, 0o777)
    _pack(root, budget="none", cache_dir=cd)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == _uncached(root, budget="none") and not result.warnings
    assert (cd / FILE_NAME).exists()
    (cd / KEY_NAME).rename(tmp_path / "key")
    (cd / KEY_NAME).symlink_to(tmp_path / "key")
    _, result = _pack(root, budget="none", cache_dir=cd)
    assert _refusals(result.warnings)


# -- 3. what packer creates is private, whatever the umask -------------------------------------


@posix_only
@pytest.mark.parametrize("mask", [0o022, 0o000, 0o277])
def test_new_directories_are_0700_and_files_0600(tmp_path: Path, umask: Any, mask: int) -> None:
    umask(mask)
    cd = tmp_path / "a" / "b" / "cache"
    cache = Cache(cd)
    cache.put(b"k" * 24, 1)
    cache.flush()  # open: the WAL and its index exist now
    try:
        names = sorted(p.name for p in cd.iterdir())
        assert names == sorted([FILE_NAME, FILE_NAME + "-shm", FILE_NAME + "-wal", KEY_NAME])
        assert {n: _mode(cd / n) for n in names} == dict.fromkeys(names, 0o600)
        assert [_mode(d) for d in (tmp_path / "a", tmp_path / "a" / "b", cd)] == [0o700] * 3
    finally:
        cache.close()
    umask(0o022)
    root = _repo(tmp_path / "repo")
    umask(mask)
    _, result = _pack(root, budget="none", cache_dir=tmp_path / "packed")
    assert not result.warnings and _mode(tmp_path / "packed") == 0o700
    assert _mode(tmp_path / "packed" / FILE_NAME) == _mode(tmp_path / "packed" / KEY_NAME) == 0o600


@posix_only
def test_a_database_set_aside_is_replaced_by_a_private_one(tmp_path: Path, umask: Any) -> None:
    root, cd, ref = _filled(tmp_path)
    (cd / FILE_NAME).write_bytes(b"\xde\xad\xbe\xef" * 4096)
    umask(0o000)
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref and any("set aside" in w for w in result.warnings)
    assert _mode(cd / FILE_NAME) == 0o600


# -- 4. what a value stands for: bound to its key ------------------------------------------------


def _secrets_plant(tmp_path: Path, how: str) -> tuple[str, str, PackResult]:
    """File B holds a secret; plant "nothing found" as B's secret scan. `how`: "copied" (the
    row of clean file A, MAC and all, under B's key), or "put" (a writer holding the key).
    The pack of B's repository (its first: no index), and the uncached pack."""
    cd = tmp_path / "cache"
    a_repo = _repo(tmp_path / "a", {"src/clean.py": REPO["src/clean.py"]})
    b_repo = _repo(tmp_path / "b", {"src/keys.py": REPO["src/keys.py"]})
    _pack(a_repo, budget="none", cache_dir=cd)
    _, a = _facts(a_repo, "src/clean.py")
    _, b = _facts(b_repo, "src/keys.py")
    b_key = cachelib.secrets_key(b.path, b.digest, b.size)
    if how == "copied":
        _plant(cd, b_key, *_row(cd, cachelib.secrets_key(a.path, a.digest, a.size)))
    else:
        with Cache(cd) as cache:
            cache.put(b_key, ())
    text, result = _pack(b_repo, budget="none", cache_dir=cd)
    return text, _uncached(b_repo, budget="none"), result


def test_a_secret_scan_copied_from_another_file_is_not_used(tmp_path: Path) -> None:
    text, ref, result = _secrets_plant(tmp_path / "copied", "copied")
    assert text == ref and AWS not in text
    assert any("failed their check" in w for w in result.warnings), result.warnings
    # What the check stops: the same value, stored by a writer holding the key, reaches the pack.
    text, ref, _ = _secrets_plant(tmp_path / "put", "put")
    assert AWS in text and text != ref


def _other_mac(k: bytes, blob: bytes) -> bytes:
    """The MAC of another cache's key (another user's, another machine's)."""
    return hashlib.blake2b(len(k).to_bytes(4, "little") + k + blob, key=b"\x01" * 32, digest_size=16).digest()


@pytest.mark.parametrize("forged", ["kept", "xxh3", "other-key", "right-key"])
def test_an_edited_skeleton_is_not_used(tmp_path: Path, forged: str) -> None:
    root = _repo(tmp_path / "repo", {"src/mod.py": _module("real", 60), "src/keys.py": REPO["src/keys.py"]})
    cd = tmp_path / "cache"
    kw: dict[str, Any] = {"budget": 2500, "skeleton": True}
    first, result = _pack(root, cache_dir=cd, **kw)
    assert [(d.path, d.mode) for d in result.files if d.path == "src/mod.py"] == [("src/mod.py", "skeleton")]
    _, got = _facts(root, "src/mod.py")
    k = cachelib.key(got.digest, got.size, "skeleton-text", "python")
    old, mac = _row(cd, k)
    assert marshal.loads(old).startswith("def real_0")
    value = marshal.dumps("def injected(): ...\n")
    if forged == "right-key":  # the control: what a writer holding the key can do
        with Cache(cd) as cache:
            cache.put(k, "def injected(): ...\n")
    else:
        mac = {"kept": mac, "xxh3": xxhash.xxh3_128_digest(value), "other-key": _other_mac(k, value)}[forged]
        _plant(cd, k, value, mac)
    text, result = _pack(root, cache_dir=cd, **kw)
    if forged == "right-key":
        assert "injected" in text
        return
    assert "injected" not in text
    assert text == first == _uncached(root, **kw)
    assert any("failed their check" in w for w in result.warnings)
    assert marshal.loads(_row(cd, k)[0]).startswith("def real_0"), "made again and stored"


def _stat_plant(tmp_path: Path, how: str) -> tuple[Any, Any, list[str]]:
    """Point file B's stat entry at file A's digest (same size, other bytes and counts)."""
    cd = tmp_path / "cache"
    a_repo = _repo(tmp_path / "a", {"notes.txt": "one two three four five six\n" * 40})
    b_repo = _repo(tmp_path / "b", {"notes.txt": "zqxjkvbwpfmg zqxjkvbwpfmghl\n" * 40})
    a_c, a = _facts(a_repo, "notes.txt")
    b_c, b = _facts(b_repo, "notes.txt")
    assert a.size == b.size and a.digest != b.digest
    stats(a_repo, Options(cache_dir=cd))  # A's stat entry (digest, encoding, lines) and count
    assert a_c.stamp is not None and b_c.stamp is not None
    b_key = cachelib.stat_key(b_c.abspath, b_c.size, b_c.stamp, ())
    a_key = cachelib.stat_key(a_c.abspath, a_c.size, a_c.stamp, ())
    if how == "copied":
        _plant(cd, b_key, *_row(cd, a_key))
    else:
        with Cache(cd) as cache:
            a_entry = cache.get(a_key)
            assert a_entry[0] == a.digest
            cache.put(b_key, a_entry)
    got = stats(b_repo, Options(cache_dir=cd))
    return got, stats(b_repo, Options(cache=False)), list(got.warnings)


def test_a_stat_entry_pointing_at_another_file_is_not_used(tmp_path: Path) -> None:
    got, ref, warnings = _stat_plant(tmp_path / "copied", "copied")
    assert got.total_tokens == ref.total_tokens and got.largest == ref.largest
    assert any("failed their check" in w for w in warnings)
    got, ref, _ = _stat_plant(tmp_path / "put", "put")  # the control
    assert got.total_tokens != ref.total_tokens


@pytest.mark.parametrize("forged", ["kept", "other-key", "right-key"])
def test_an_edited_stat_index_is_not_used(tmp_path: Path, forged: str) -> None:
    """The per-repository index holds whole outcomes, secret scans included: B's own index
    with the scan of its secret emptied is not used."""
    root = _repo(tmp_path / "repo", {"src/keys.py": REPO["src/keys.py"]})
    cd = tmp_path / "cache"
    first, _ = _pack(root, budget="none", cache_dir=cd)
    con = sqlite3.connect(cd / FILE_NAME)
    try:
        rows = [
            (bytes(k), bytes(v), bytes(m)) for k, v, m in con.execute("SELECT key, value, mac FROM entries")
        ]
    finally:
        con.close()
    [(k, blob, mac)] = [
        r for r in rows if isinstance(marshal.loads(r[1]), dict) and "src/keys.py" in marshal.loads(r[1])
    ]
    index = marshal.loads(blob)
    stamp, size, plain = index["src/keys.py"]
    outcome = _from_plain("src/keys.py", plain)
    assert isinstance(outcome, Text) and outcome.values.secrets, "the scan found the key"
    emptied = replace(outcome, values=replace(outcome.values, secrets=()))
    index["src/keys.py"] = (stamp, size, _plain(emptied))
    if forged == "right-key":  # the control: what a writer holding the key can do
        with Cache(cd) as cache:
            cache.put(k, index)
    else:
        edited = marshal.dumps(index)
        _plant(cd, k, edited, mac if forged == "kept" else _other_mac(k, edited))
    text, result = _pack(root, budget="none", cache_dir=cd)
    if forged == "right-key":
        assert AWS in text
        return
    assert text == first == _uncached(root, budget="none") and AWS not in text
    assert any("failed their check" in w for w in result.warnings)


def _measured(root: Path, cd: Path) -> int:
    """How many files a measure read (the others came from the cache)."""
    work = Work(keep=frozenset(), max_file_size=1_000_000, count=True, redact=True, cache_dir=str(cd), jobs=1)
    with Cache(cd) as cache:
        return measure(discover.walk(root).files, work=work, cache=cache).read


def test_a_database_copied_from_another_cache_is_all_misses(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    theirs = tmp_path / "theirs"
    _pack(root, budget="none", cache_dir=theirs)
    _measured(root, theirs)
    assert _measured(root, theirs) == 0
    for name in ("measured", "packed"):
        with Cache(tmp_path / name) as cache:  # a cache with its own key
            cache.put(b"k" * 24, 1)
        shutil.copy(theirs / FILE_NAME, tmp_path / name / FILE_NAME)
    assert _measured(root, tmp_path / "measured") == len(REPO)  # nothing taken from the copy
    assert _measured(root, tmp_path / "measured") == 0  # rebuilt under this cache's key
    text, result = _pack(root, budget="none", cache_dir=tmp_path / "packed")
    assert text == _uncached(root, budget="none")
    assert any("failed their check" in w for w in result.warnings)
    # A directory copied whole carries its key, and with it the trust (see the docstring).
    shutil.copytree(theirs, tmp_path / "whole")
    assert _measured(root, tmp_path / "whole") == 0


def test_a_damaged_key_is_replaced(tmp_path: Path) -> None:
    root, cd, ref = _filled(tmp_path)
    key = (cd / KEY_NAME).read_bytes()
    (cd / KEY_NAME).write_bytes(key[:10])  # cut short by a crash
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref
    assert any("was damaged and was replaced" in w for w in result.warnings)
    new = (cd / KEY_NAME).read_bytes()
    assert len(new) == 32 and new != key
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref and not result.warnings


def test_clear_deletes_the_key(tmp_path: Path) -> None:
    _, cd, _ = _filled(tmp_path)
    key = (cd / KEY_NAME).read_bytes()
    assert _cli("cache", "clear", "--cache-dir", str(cd)).exit_code == 0
    assert list(cd.iterdir()) == []
    with Cache(cd) as cache:
        cache.put(b"k" * 24, 1)
    assert (cd / KEY_NAME).read_bytes() != key


# -- 5. nothing in the cache is more sensitive than the pack ----------------------------------


def test_default_packs_keep_no_secret_in_the_cache(tmp_path: Path) -> None:
    """The defaults (library and CLI), a query holding a secret, `stats`, and a path holding
    one: no cache file holds any of the secrets, whole or in part."""
    files = {
        **REPO,
        "src/db.py": f'def connect(token="{GITHUB}"):\n    """Use {AWS}."""\n    return token\n',
        f"conf/{GITHUB}.txt": "x\n",
    }
    root = _repo(tmp_path / "repo", files)
    cd = tmp_path / "cache"
    for _ in range(2):  # cold, then warm
        text, _ = _pack(root, cache_dir=cd)
        assert AWS not in text and GITHUB not in text
        _pack(root, cache_dir=cd, query=f"where is {AWS} used")
        res = _cli("pack", str(root), "--cache-dir", str(cd), "-q")
        assert res.exit_code == 0 and AWS not in res.stdout
        assert _cli("stats", str(root), "--cache-dir", str(cd)).exit_code == 0
    assert Cache(cd).info().entries > 0
    assert _leaks(cd) == []
    # The search can fail: a value holding a secret is found.
    with Cache(cd) as cache:
        cache.put(b"k" * 24, ("signature", f"def f(p={GITHUB!r})"))
    assert GITHUB in [s for _, s in _leaks(cd)]
