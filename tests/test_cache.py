"""The cache: warm runs equal cold ones, unchanged files are not read, damage costs time only.

Stat entries are recorded only for files whose mtime is `SETTLED_NS` old, so tests that
want the warm no-read path back-date their files (`_backdate`).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import measure_work, write

import packer
import packer.cache
import packer.pipeline
from packer import Options, discover
from packer import cache as cachelib
from packer.cache import Cache
from packer.cli import main
from packer.config import resolve
from packer.measure import Measured, measure
from packer.pipeline import Stages
from packer.records import PackResult
from packer.stats import stats
from packer.task import build_task
from packer.tokens import Counter

COUNT = Counter().count
DB_NAME = cachelib.FILE_NAME


@pytest.fixture(autouse=True)
def _settle_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back-dating a file's mtime renews its ctime: let files count as settled at once here
    (a file with a future mtime still never does)."""
    monkeypatch.setattr(packer.cache, "SETTLED_NS", 0)


def _module(name: str, n: int) -> str:
    """A Python module with docstrings and bodies: skeletons, symbols and terms have work to do."""
    parts = [f'"""The {name} module: helpers for the demo service."""\n\nimport os\n']
    for i in range(n):
        parts.append(
            f"\n\ndef {name}_{i}(value: int, scale: float = {i}.5) -> float:\n"
            f'    """Scale {name} value number {i}."""\n'
            f"    total = value * scale\n"
            f"    for step in range({i + 2}):\n"
            f"        total += step * {i + 1}\n"
            f"    return total / {i + 3}\n"
        )
    parts.append(
        f'\n\nclass {name.title()}Store:\n    """Keeps {name} records."""\n\n'
        f"    def __init__(self) -> None:\n        self.items: list[int] = []\n\n"
        f"    def add(self, item: int) -> None:\n        self.items.append(item)\n"
    )
    return "".join(parts)


# Code, prose, a secret (redaction), an exact copy (dedup) and a file whose bytes tests swap.
REPO: dict[str, str | bytes] = {
    "README.md": "# Demo\n\nA small service: parse, store, report.\n\n" + "Usage notes.\n" * 20,
    "src/store.py": _module("store", 12),
    "src/parse.py": _module("parse", 10),
    "src/report.py": _module("report", 14),
    "src/copy_of_parse.py": _module("parse", 10),
    "src/keys.py": 'AWS_ACCESS_KEY_ID = "AKIAZ7XQ3MPLR4TWN6KB"\n',
    "src/mode.py": 'MODE = "alpha"\n',
    "web/ui.js": "export function render(items) {\n"
    "  return items.map((i) => `<li>${i}</li>`).join('');\n}\n" * 5,
    "docs/guide.md": "## Guide\n\n" + "Run the report after storing values.\n" * 40,
}
QUERY = "report store values"
BUDGET = 3000  # holds some files in full, some as skeletons, lists the rest


# -- helpers -----------------------------------------------------------------------------


def _repo(root: Path, files: dict[str, str | bytes] | None = None, *, settled: bool = True) -> Path:
    write(root, files if files is not None else REPO)
    if settled:
        _backdate(root)
    return root


def _backdate(root: Path, seconds: float = 10.0) -> None:
    """Move every file's mtime into the past, so its stat counts as settled and is recorded."""
    t = time.time_ns() - int(seconds * 1e9)
    for p in root.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(t, t))


def _pack(root: Path, stages: Stages | None = None, **kw: Any) -> tuple[str, PackResult]:
    """`packer.pack` to a string, through `stages` if given."""
    buf = io.StringIO()
    options = Options(**kw)
    if stages is None:
        result = packer.pack(root, options, output=buf)
    else:  # what `packer.pack` does, with these stages
        path = root.resolve()
        task = build_task(path, query=options.query)
        result = packer.pipeline.run(
            path, resolve(path, options), task=task, output=buf, manifest=None, stages=stages
        )
    return buf.getvalue(), result


def _cache_warnings(result: PackResult) -> list[str]:
    return [w for w in result.warnings if "cache" in w]


def _db(cache_dir: Path) -> Path:
    return cache_dir / DB_NAME


def _checkpoint(db: Path) -> None:
    """Move the WAL into the database file: damage to the file must hit what is read."""
    con = sqlite3.connect(db)
    try:
        busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        con.close()


def _integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def _flip_values(db: Path, spare: Collection[bytes] = ()) -> int:
    """Damage every stored value but `spare`, keeping its old MAC (bit rot SQLite cannot see)."""
    con = sqlite3.connect(db)
    try:
        rows = [(k, v) for k, v in con.execute("SELECT key, value FROM entries") if k not in spare]
        with con:
            con.executemany(
                "UPDATE entries SET value = ? WHERE key = ?",
                [(bytes([v[0] ^ 0xFF]) + v[1:], k) for k, v in rows],
            )
        return len(rows)
    finally:
        con.close()


def _all_keys(db: Path) -> list[bytes]:
    con = sqlite3.connect(db)
    try:
        return [k for (k,) in con.execute("SELECT key FROM entries")]
    finally:
        con.close()


def _cache_files(cache_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in cache_dir.iterdir()} if cache_dir.is_dir() else {}


def _measure(root: Path, cache: Cache | None, **kw: Any) -> Measured:
    work = measure_work(cache, **kw)
    m = measure(discover.walk(root).files, work=work, cache=cache)
    # A warm measure leaves symbols and comment words in the cache until ranking asks.
    m.complete(cache, work)
    return m


def _essence(m: Measured) -> tuple[Any, ...]:
    """Everything measured, without how (`read`, `processes`)."""
    return (m.infos, m.skipped, m.prints, m.symbols, m.terms, m.clean)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -- 1. a warm run is the cold run ----------------------------------------------------------

CONFIGS: dict[str, dict[str, Any]] = {
    "unbudgeted": {"budget": "none"},
    "unbudgeted-skeleton": {"budget": "none", "skeleton": True},
    "budget-query": {"budget": BUDGET, "query": QUERY},
    "budget-query-skeleton": {"budget": BUDGET, "query": QUERY, "skeleton": True},
}


@pytest.mark.parametrize("counted", ["as read", "at fit"])
@pytest.mark.parametrize("fmt", ["xml", "markdown"])
@pytest.mark.parametrize("config", list(CONFIGS))
def test_warm_run_is_byte_identical_to_cold_and_uncached(
    tmp_path: Path, fmt: str, config: str, counted: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if counted == "at fit":  # a budgeted pack of a tree over the limit estimates, then counts
        monkeypatch.setattr(packer.pipeline, "COUNT_AT_READ_BYTES", 0)
    root = _repo(tmp_path / "repo")
    kw = {**CONFIGS[config], "format": fmt, "cache_dir": tmp_path / "cache"}
    uncached, r0 = _pack(root, **{**kw, "cache": False})
    cold, r1 = _pack(root, **kw)
    warm, r2 = _pack(root, **kw)
    assert cold == uncached
    assert warm == uncached
    assert r0.manifest() == r1.manifest() == r2.manifest()
    assert r2.total_tokens == COUNT(warm)
    assert not _cache_warnings(r1) and not _cache_warnings(r2)
    if "query" in kw:
        # Over the limit, a budgeted pack counts at fit time what it packs; warm, every count
        # is cached. Under it, every file is counted as it is read, none at fit.
        assert r1.stats.counted_at_fit > 0 if counted == "at fit" else r1.stats.counted_at_fit == 0
        assert r2.stats.counted_at_fit == 0


# -- 2. a warm run reads no unchanged file ---------------------------------------------------


def test_warm_measure_reads_nothing_and_rereads_only_a_changed_file(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    n = len(REPO)
    uncached = _measure(root, None)
    with Cache(tmp_path / "cache") as cache:
        cold = _measure(root, cache)
        warm = _measure(root, cache)
    assert (cold.read, warm.read) == (n, 0)
    assert _essence(cold) == _essence(warm) == _essence(uncached)
    with Cache(tmp_path / "cache") as cache:  # from the database, not from pending writes
        again = _measure(root, cache)
    assert again.read == 0 and _essence(again) == _essence(uncached)

    changed = root / "src" / "report.py"
    changed.write_text(_module("report", 20), encoding="utf-8")
    t = time.time_ns() - 5 * 10**9  # settled, but another mtime than before
    os.utime(changed, ns=(t, t))
    fresh = _measure(root, None)
    with Cache(tmp_path / "cache") as cache:
        after = _measure(root, cache)
    assert after.read == 1
    assert _essence(after) == _essence(fresh)
    by_path = {i.path: i.tokens for i in after.infos}
    assert by_path["src/report.py"] == {i.path: i.tokens for i in fresh.infos}["src/report.py"]
    assert by_path["src/report.py"] != {i.path: i.tokens for i in uncached.infos}["src/report.py"]


def test_another_work_reads_nothing_through_the_stat_entries(tmp_path: Path) -> None:
    # Another `Work` has another index; its files are found by their stat entries (digest,
    # encoding, lines, `#!` line) and values. The entries are kept per `keep`: a `keep`
    # that could read a file differently reads it again.
    root = _repo(tmp_path / "repo", {**REPO, "run": "#!/usr/bin/env python3\nprint(1)\n"})
    n = len(REPO) + 1
    with Cache(tmp_path / "cache") as cache:
        full = _measure(root, cache)
    lean = {"skeleton": False, "symbols": False, "terms": False}
    with Cache(tmp_path / "cache") as cache:
        assert full.read == n
        subset = _measure(root, cache, **lean)
        kept = _measure(root, cache, keep=frozenset({"generated"}), **lean)
    uncached = _measure(root, None, **lean)
    assert (subset.read, kept.read) == (0, n)
    assert subset.infos == kept.infos == uncached.infos
    assert {i.path: i.language for i in subset.infos}["run"] == "python"  # from the `#!` line


# -- 3. same size, restored mtime: a new ctime/inode is a new file ----------------------------


@pytest.mark.parametrize("how", ["in-place", "new-inode"])
@pytest.mark.parametrize("budget", ["none", 100_000])
def test_same_size_rewrite_with_restored_mtime_is_never_trusted(
    tmp_path: Path, how: str, budget: str | int
) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    before, _ = _pack(root, budget=budget, cache_dir=cd)
    stats(root, Options(cache_dir=cd))  # its counts too: `stats` has no write-time re-read to catch staleness
    assert 'MODE = "alpha"' in before

    p = root / "src" / "mode.py"
    old = p.stat()
    new = b'MODE = "omega"\n'
    assert len(new) == old.st_size
    if how == "in-place":
        p.write_bytes(new)
        os.utime(p, ns=(old.st_atime_ns, old.st_mtime_ns))
    else:
        tmp = p.with_name("mode.py.tmp")
        tmp.write_bytes(new)
        os.utime(tmp, ns=(old.st_atime_ns, old.st_mtime_ns))
        os.replace(tmp, p)
    now = p.stat()
    assert (now.st_size, now.st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    assert (now.st_ino == old.st_ino) == (how == "in-place")

    # The change happened before the run, not during it: the pack must succeed (a
    # ConcurrentChangeError here would mean a stale stat entry was trusted) with the new bytes.
    text, result = _pack(root, budget=budget, cache_dir=cd)
    assert 'MODE = "omega"' in text and 'MODE = "alpha"' not in text
    assert result.total_tokens == COUNT(text)
    assert text == _pack(root, budget=budget, cache=False)[0]
    assert stats(root, Options(cache_dir=cd)) == stats(root, Options(cache=False))


# -- 4. entries are shared between repositories ----------------------------------------------


def test_entries_are_shared_between_repositories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = "SHARED_MARKER = 'one file, two repositories'\n" * 30
    a = _repo(tmp_path / "a", {"src/shared.py": shared, "src/a_only.py": _module("alpha", 3)})
    b = _repo(tmp_path / "b", {"src/shared.py": shared, "src/b_only.py": _module("beta", 3)})
    cd = tmp_path / "cache"
    _pack(a, budget="none", cache_dir=cd, jobs=1)

    counted: list[str] = []
    real = Counter.count

    def spy(self: Counter, text: str) -> int:
        counted.append(text)
        return real(self, text)

    monkeypatch.setattr(Counter, "count", spy)
    text, _ = _pack(b, budget="none", cache_dir=cd, jobs=1)
    assert "SHARED_MARKER" in text
    assert not [t for t in counted if "SHARED_MARKER" in t], "B counted the file A had counted"
    assert [t for t in counted if "beta_0" in t], "B's own file is counted"
    counted.clear()
    assert _pack(b, budget="none", cache=False, jobs=1)[0] == text
    assert [t for t in counted if "SHARED_MARKER" in t], "without the cache it is counted"


# -- 5. damage costs time, never a wrong result ----------------------------------------------


def _damage(db: Path, how: str) -> None:
    size = db.stat().st_size
    if how == "truncate":
        os.truncate(db, size // 2)
    else:
        db.write_bytes(b"\xde\xad\xbe\xef" * (size // 4))


@pytest.mark.parametrize("how", ["truncate", "garbage"])
def test_damaged_database_file_is_set_aside_and_rebuilt(tmp_path: Path, how: str) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    ref, _ = _pack(root, budget="none", cache=False)
    _pack(root, budget="none", cache_dir=cd)
    db = _db(cd)
    _checkpoint(db)
    _damage(db, how)

    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref
    assert _cache_warnings(result), result.warnings
    assert db.with_name(DB_NAME + ".damaged").exists()

    # The rebuilt database works: no warning, the same output, a sound file with entries.
    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref and not _cache_warnings(result)
    assert _integrity(db) == "ok"
    assert Cache(cd).info().entries > 0


def test_damaged_values_are_dropped_and_recomputed(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    ref, _ = _pack(root, budget="none", cache=False)
    _pack(root, budget="none", cache_dir=cd)
    assert _flip_values(_db(cd)) > 0

    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref
    assert _cache_warnings(result), result.warnings

    text, result = _pack(root, budget="none", cache_dir=cd)
    assert text == ref and not _cache_warnings(result)
    with Cache(cd) as cache:  # every value left passes its MAC
        keys = _all_keys(_db(cd))
        assert len(cache.get_many(keys)) == len(keys) > 0
        assert cache.warnings == []


def test_a_damaged_value_is_a_miss_and_is_deleted(tmp_path: Path) -> None:
    with Cache(tmp_path) as cache:
        cache.put_many([(b"a" * 24, ("text", 1)), (b"b" * 24, 2), (b"c" * 24, "three")])
    con = sqlite3.connect(_db(tmp_path))
    (blob,) = con.execute("SELECT value FROM entries WHERE key = ?", (b"b" * 24,)).fetchone()
    with con:  # still valid marshal data, but not what the MAC was made of
        con.execute("UPDATE entries SET value = ? WHERE key = ?", (blob[:-1] + b"\x07", b"b" * 24))
    con.close()
    with Cache(tmp_path) as cache:
        got = cache.get_many([b"a" * 24, b"b" * 24, b"c" * 24])
        assert got == {b"a" * 24: ("text", 1), b"c" * 24: "three"}
        assert any("damaged" in w for w in cache.warnings)
    assert sorted(_all_keys(_db(tmp_path))) == [b"a" * 24, b"c" * 24]
    with Cache(tmp_path) as cache:
        assert cache.get(b"b" * 24) is None and cache.warnings == []


@pytest.mark.parametrize("where", ["is-a-file", "under-a-file"])
def test_unusable_cache_directory_still_packs(tmp_path: Path, where: str) -> None:
    # Running as root, chmod would not block writes: a regular file in the way does.
    root = _repo(tmp_path / "repo")
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory\n")
    cd = blocker if where == "is-a-file" else blocker / "cache"
    ref, _ = _pack(root, budget=BUDGET, query=QUERY, cache=False)
    text, result = _pack(root, budget=BUDGET, query=QUERY, cache_dir=cd, jobs=1)
    assert text == ref
    assert _cache_warnings(result), result.warnings
    assert blocker.read_text() == "not a directory\n"


def test_unusable_cache_directory_is_a_warning_on_the_cli(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    (tmp_path / "blocker").write_text("x")
    res = _cli("pack", str(root), "-b", "none", "--cache-dir", str(tmp_path / "blocker" / "cache"))
    assert res.exit_code == 0, res.output
    assert res.stdout == _pack(root, budget="none", cache=False)[0]
    assert any(line.startswith("warning:") and "cache" in line for line in res.stderr.splitlines())


# -- 6. many processes, one cache --------------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from packer.cli import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUTF8": "1"},
    )


def test_concurrent_packs_share_one_cache(tmp_path: Path) -> None:
    a = _repo(tmp_path / "a")
    b = _repo(tmp_path / "b", {**REPO, "src/extra.py": _module("extra", 4)})
    cd = tmp_path / "cache"
    runs = [(a, ["-b", "none"]), (a, ["-j", "2"]), (b, ["-b", "none", "-j", "2"]), (b, [])]
    refs = {
        (str(r), tuple(x)): _pack(r, budget="none" if "none" in x else None, cache=False)[0] for r, x in runs
    }
    for _ in range(2):  # on an empty cache (racing to create it), then warm
        procs = [(r, x, _spawn("pack", str(r), "--cache-dir", str(cd), *x)) for r, x in runs]
        for r, x, p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()
            assert out.decode() == refs[(str(r), tuple(x))]
            assert not [w for w in err.decode().splitlines() if w.startswith("warning:")], err.decode()
    res = _cli("cache", "info", "--json", "--cache-dir", str(cd))
    assert res.exit_code == 0
    info = json.loads(res.stdout)
    assert info["exists"] and info["entries"] > 0 and info["path"] == str(_db(cd))
    assert _integrity(_db(cd)) == "ok"
    assert not [n for n in _cache_files(cd) if n.endswith(".damaged")]


# -- 7. switches, commands and where the cache lives -------------------------------------------


def test_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path / "repo")
    default = Path.home() / ".cache" / "packer"
    assert _cli("pack", str(root), "-q", "--no-cache").exit_code == 0
    assert _cli("stats", str(root), "--no-cache").exit_code == 0
    _pack(root, cache=False, cache_dir=tmp_path / "explicit")
    monkeypatch.setenv("PACKER_CACHE_DIR", str(tmp_path / "env"))
    assert _cli("pack", str(root), "-q", "--no-cache", "-b", "none").exit_code == 0
    assert not default.exists()
    assert not (tmp_path / "explicit").exists() and not (tmp_path / "env").exists()


def test_cache_info_and_clear(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    db = Path.home() / ".cache" / "packer" / DB_NAME
    assert _cli("pack", str(root), "-q").exit_code == 0
    info = json.loads(_cli("cache", "info", "--json").stdout)
    assert info["path"] == str(db) and info["exists"]
    assert info["entries"] > 0 and info["bytes"] > 0 and info["max_bytes"] == cachelib.DEFAULT_MAX_BYTES
    text = _cli("cache", "info").stdout
    assert f"path:    {db}\n" in text
    assert f"entries: {info['entries']:,}\n" in text
    assert "size:" in text

    with Cache() as cache:  # enough bytes for the MiB figure to show
        cache.put_many((f"big{i}".encode(), os.urandom(4096)) for i in range(500))
    before = sum(_cache_files(db.parent).values())
    assert before > 2 * 2**20
    res = _cli("cache", "clear")
    assert res.exit_code == 0
    assert res.stdout == f"cleared {before / 2**20:,.1f} MiB\n"
    assert _cache_files(db.parent) == {}
    assert json.loads(_cli("cache", "info", "--json").stdout)["exists"] is False


def test_cache_dir_env_and_option_are_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path / "repo")
    default = Path.home() / ".cache" / "packer"
    env, opt = tmp_path / "env", tmp_path / "opt"
    monkeypatch.setenv("PACKER_CACHE_DIR", str(env))
    _pack(root)
    assert _db(env).exists() and not default.exists()

    assert _cli("pack", str(root), "-q", "--cache-dir", str(opt)).exit_code == 0
    info = json.loads(_cli("cache", "info", "--json", "--cache-dir", str(opt)).stdout)
    assert info["path"] == str(_db(opt)) and info["entries"] > 0
    assert json.loads(_cli("cache", "info", "--json").stdout)["path"] == str(_db(env))
    assert _cli("cache", "clear", "--cache-dir", str(opt)).exit_code == 0
    assert not _db(opt).exists() and _db(env).exists()


def test_default_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cachelib.default_dir() == Path.home() / ".cache" / "packer"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cachelib.default_dir() == tmp_path / "xdg" / "packer"
    assert Cache().path == tmp_path / "xdg" / "packer" / DB_NAME
    monkeypatch.setenv("PACKER_CACHE_DIR", "~/elsewhere")  # wins over XDG; "~" is expanded
    assert cachelib.default_dir() == Path.home() / "elsewhere"


# -- 8. worker processes change nothing but speed ----------------------------------------------


def _needs_fork() -> None:
    # `_can_fork`: fork only while this is the process's one thread (else threads are used).
    assert threading.active_count() == 1, f"pytest runs {threading.active_count()} threads: no fork"


class _Processes(list[int]):
    """The worker processes each `measure` call chose (`Measured.processes`; 0: measured
    in this process)."""

    def measure(self, *args: Any, **kw: Any) -> Measured:
        measured = measure(*args, **kw)
        self.append(measured.processes)
        return measured


@pytest.fixture
def processes_used(monkeypatch: pytest.MonkeyPatch) -> _Processes:
    """Records what each pack's measure stage (given as `Stages(measure=processes_used.measure)`)
    and each `packer stats` chose."""
    _needs_fork()
    used = _Processes()
    # `packer.stats` the attribute is the function: the module is patched by its name.
    monkeypatch.setattr(importlib.import_module("packer.stats"), "measure", used.measure)
    return used


@pytest.mark.parametrize("config", ["unbudgeted", "budget-query"])
def test_two_jobs_pack_what_one_job_packs(tmp_path: Path, processes_used: _Processes, config: str) -> None:
    root = _repo(tmp_path / "repo")
    kw = CONFIGS[config]
    spy = Stages(measure=processes_used.measure)
    one, r1 = _pack(root, spy, jobs=1, cache_dir=tmp_path / "c1", **kw)
    two, r2 = _pack(root, spy, jobs=2, cache_dir=tmp_path / "c2", **kw)  # cold: the workers count
    two_uncached, r3 = _pack(root, spy, jobs=2, cache=False, **kw)
    assert processes_used == [0, 2, 2]
    assert one == two == two_uncached
    assert r1.manifest() == r2.manifest() == r3.manifest()


def test_two_jobs_stats_what_one_job_stats(tmp_path: Path, processes_used: _Processes) -> None:
    root = _repo(tmp_path / "repo")
    one = _cli("stats", str(root), "-j", "1", "--cache-dir", str(tmp_path / "c1"))
    two = _cli("stats", str(root), "-j", "2", "--cache-dir", str(tmp_path / "c2"))
    two_uncached = _cli("stats", str(root), "-j", "2", "--no-cache")
    assert one.exit_code == two.exit_code == two_uncached.exit_code == 0
    assert processes_used == [0, 2, 2]
    assert one.stdout == two.stdout == two_uncached.stdout
    assert f"in {len(REPO)} files" in one.stdout


def test_measure_uses_worker_processes_only_when_asked(tmp_path: Path) -> None:
    _needs_fork()
    root = _repo(tmp_path / "repo")
    one = _measure(root, None, jobs=1)
    two = _measure(root, None, jobs=2)
    assert (one.processes, two.processes) == (0, 2)
    assert _essence(one) == _essence(two)
    with Cache(tmp_path / "cache") as cache:  # workers read the cache themselves
        cached = _measure(root, cache, jobs=2)
    assert cached.processes == 2 and _essence(cached) == _essence(one)


# -- 9. another packer never reads these entries -----------------------------------------------


@pytest.fixture
def fresh_namespace() -> Iterator[None]:
    real = cachelib.namespace  # the test may replace it: clear the real one's memo
    real.cache_clear()
    yield
    real.cache_clear()  # recomputed from the real code on next use


def test_namespace_follows_code_and_library_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_namespace: None
) -> None:
    real = cachelib.namespace()
    code = tmp_path / "packer"  # a copy of packer's code, then one more source file
    shutil.copytree(Path(packer.__file__).parent, code, ignore=shutil.ignore_patterns("__pycache__", "vocab"))
    assert cachelib.namespace_of(code) == real  # where the code lives does not count
    (code / "edited.py").write_text("EDITED = True\n")
    edited = cachelib.namespace_of(code)
    version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "999.0" if name == "tiktoken" else version(name))
    cachelib.namespace.cache_clear()
    upgraded = cachelib.namespace()
    # a grammar wheel's version counts too: it decides every tree, symbol and skeleton
    monkeypatch.setattr(metadata, "version", lambda name: "9.9" if name == "tree-sitter-c" else version(name))
    cachelib.namespace.cache_clear()
    grammar = cachelib.namespace()
    assert len({real, edited, upgraded, grammar}) == 4

    keys = set()
    for ns in (real, edited, upgraded):
        monkeypatch.setattr(cachelib, "namespace", lambda ns=ns: ns)
        keys.add((cachelib.key("abc", 3, "count", "o200k_base"), cachelib.stat_key("/x", 3, (1, 2, 3), ())))
    assert len(keys) == 3


def test_entries_of_another_namespace_are_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path / "repo")
    with Cache(tmp_path / "cache") as cache:
        assert _measure(root, cache).read == len(REPO)
    with Cache(tmp_path / "cache") as cache:
        assert _measure(root, cache).read == 0
    real = cachelib.namespace()
    monkeypatch.setattr(cachelib, "namespace", lambda: bytes(b ^ 0xFF for b in real))
    with Cache(tmp_path / "cache") as cache:
        other = _measure(root, cache)
    assert other.read == len(REPO)  # nothing reused from the other version
    assert _essence(other) == _essence(_measure(root, None))
    monkeypatch.setattr(cachelib, "namespace", lambda: real)
    with Cache(tmp_path / "cache") as cache:  # both versions' entries live side by side
        assert _measure(root, cache).read == 0


# -- 10. eviction ---------------------------------------------------------------------------------


def test_eviction_shrinks_to_max_bytes_keeping_the_newest(tmp_path: Path) -> None:
    old = {f"old{i:03d}".encode(): os.urandom(2000) for i in range(400)}
    new = {f"new{i:03d}".encode(): os.urandom(2000) for i in range(30)}  # ~140 KB on disk
    with Cache(tmp_path) as cache:
        cache.put_many(old.items())
    con = sqlite3.connect(_db(tmp_path))
    with con:  # `at` has one-second resolution: make the old entries clearly older
        con.execute("UPDATE entries SET at = at - 3600")
    con.close()
    assert sum(_cache_files(tmp_path).values()) > 800_000

    limit = 400_000
    cache = Cache(tmp_path, max_bytes=limit)
    cache.put_many(new.items())
    cache.close()
    assert sum(_cache_files(tmp_path).values()) <= limit
    with Cache(tmp_path) as cache:
        got = cache.get_many([*old, *new])
    assert {k: got.get(k) for k in new} == new  # every new entry kept, intact
    assert 0 < len(got) - len(new) < len(old) // 4  # old ones dropped, down to about 3/4 of max
    assert all(got[k] == old[k] for k in got if k in old)


# -- bugs found while writing these tests (fixed) ------------------------------------------------


class _Asked(Cache):
    """A Cache that remembers the keys it was asked for."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.asked: set[bytes] = set()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, Any]:
        self.asked.update(keys)
        return super().get_many(keys)


@pytest.mark.parametrize("jobs", [2])  # with jobs=1 the caller's Cache does all reads itself
def test_damage_found_while_reading_files_is_reported(tmp_path: Path, jobs: int) -> None:
    root = _repo(tmp_path / "repo", settled=False)
    future = time.time_ns() + 3600 * 10**9  # never settled: no stat entry, every file is read
    for p in root.rglob("*"):
        os.utime(p, ns=(future, future))
    cd = tmp_path / "cache"
    with Cache(cd) as cache:
        _measure(root, cache, jobs=jobs)
    with _Asked(cd) as asking:  # what the caller's Cache itself reads (an index, stat entries)
        _measure(root, asking, jobs=jobs)
    # Damage only what is read while files are measured, by measure's own Cache objects.
    damaged = _flip_values(_db(cd), spare=asking.asked)
    assert damaged > 0
    before = len(_all_keys(_db(cd)))
    with Cache(cd) as cache:
        m = _measure(root, cache, jobs=jobs)
        assert _essence(m) == _essence(_measure(root, None))  # the damaged values were not used
        assert cache.warnings, "the caller's Cache was told"
    assert len(_all_keys(_db(cd))) == before  # recomputed in place by the owning process
    with Cache(cd) as cache:
        keys = _all_keys(_db(cd))
        assert len(cache.get_many(keys)) == len(keys) and cache.warnings == []


def test_recovery_run_keeps_what_it_computed(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    _pack(root, budget="none", cache_dir=cd)  # in this process, as a library caller would
    _checkpoint(_db(cd))
    _damage(_db(cd), "truncate")
    _, result = _pack(root, budget="none", cache_dir=cd)
    assert _cache_warnings(result)
    assert Cache(cd).info().entries > 0


def test_cache_info_creates_nothing() -> None:
    default = Path.home() / ".cache" / "packer"
    res = _cli("cache", "info")
    assert res.exit_code == 0 and "(not created yet)" in res.stdout
    assert not default.exists()


def test_a_locked_database_is_not_set_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Cache(tmp_path) as cache:
        cache.put(b"k" * 24, 42)
    connect = sqlite3.connect
    holder = connect(_db(tmp_path), isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # blocks readers too, even in WAL mode
    holder.execute("BEGIN EXCLUSIVE")
    # Another process holding the lock past the 30 s timeout, made quick here.
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **kw: connect(*a, **{**kw, "timeout": 0.1}))
    try:
        with Cache(tmp_path) as cache:
            cache.get(b"k" * 24)  # may miss while locked; must not discard the database
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert not [n for n in _cache_files(tmp_path) if n.endswith(".damaged")]
    assert Cache(tmp_path).get(b"k" * 24) == 42


def test_clear_removes_set_aside_copies(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    _pack(root, budget="none", cache_dir=cd)
    _checkpoint(_db(cd))
    _damage(_db(cd), "garbage")
    _pack(root, budget="none", cache_dir=cd)
    assert [n for n in _cache_files(cd) if n.endswith(".damaged")]
    assert _cli("cache", "clear", "--cache-dir", str(cd)).exit_code == 0
    assert _cache_files(cd) == {}


def test_deferred_symbols_are_made_again_when_the_cache_lost_them(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    cd = tmp_path / "cache"
    with Cache(cd) as cache:
        _measure(root, cache, symbols=True, terms=True)
    with Cache(cd) as cache:
        work = measure_work(cache, symbols=True, terms=True)
        warm = measure(discover.walk(root).files, work=work, cache=cache)
        assert warm.read == 0 and warm.deferred  # left in the cache, not loaded
    warm.complete(None, work)  # as if evicted: parsed again
    assert not warm.deferred
    assert _essence(warm) == _essence(_measure(root, None, symbols=True, terms=True))


def test_opening_the_cache_deletes_databases_of_earlier_formats(tmp_path):
    """Format 1 kept symbols and skeletons made from unredacted text, format 2 values anyone
    could re-checksum: none of it may stay."""
    assert cachelib.FORMAT >= 3
    old = [
        tmp_path / f"packer-cache-v{n}.sqlite3{s}" for n in (1, 2) for s in ("", "-wal", "-shm", ".damaged")
    ]
    for p in old:
        p.write_bytes(b"AKIA" + b"Q" * 16)
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept", encoding="utf-8")
    reader = cachelib.Cache(tmp_path, readonly=True)
    reader.get_many([b"k"])  # a worker's read-only view deletes nothing
    reader.close()
    assert all(p.exists() for p in old)
    c = cachelib.Cache(tmp_path)
    c.put(b"k", 1)
    c.close()
    assert not any(p.exists() for p in old)
    assert unrelated.exists() and (tmp_path / cachelib.FILE_NAME).exists()


def test_a_large_value_waits_in_the_queue_until_the_next_write(tmp_path: Path) -> None:
    # Writing the queue goes first in `put_many`: a value over the queue's size is not
    # written while its caller still holds its own copy (the rank index, ~100 MB), but at
    # the next call or on close. Nothing is lost either way.
    big = os.urandom(33 << 20)
    with Cache(tmp_path) as cache:
        cache.put(b"k1", b"small")
        cache.put(b"big", big)
        with Cache(tmp_path, readonly=True) as reader:
            assert reader.get(b"big") is None and reader.get(b"k1") is None  # all still queued
        cache.put(b"k2", b"next")  # the queue is over its size: written before k2 joins it
        with Cache(tmp_path, readonly=True) as reader:
            assert reader.get(b"big") == big and reader.get(b"k1") == b"small"
            assert reader.get(b"k2") is None
    with Cache(tmp_path, readonly=True) as reader:
        assert reader.get(b"k2") == b"next"
