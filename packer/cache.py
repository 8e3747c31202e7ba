"""A content-addressed cache of per-file work: reads, token counts, secrets, symbols, skeletons.

Every entry is keyed by the xxh3 digest of a file's bytes (plus its size), what was
computed (a "kind" and its parameters: encoding, block frame, language...) and a
namespace that changes with packer's code, its tree-sitter queries and the versions of
the libraries that produce the values. So an entry is never stale: a new packer, a new
grammar or a new vocabulary simply misses. Entries are shared by every repository.

One SQLite file in WAL mode holds them: many packer processes can read and write at
once (SQLite locks; a writer that waits too long skips its write, it never fails a pack).
Each value carries an xxh3 checksum; a value that fails it is a miss and is deleted, and
a file SQLite cannot read is set aside and rebuilt. A cache problem costs time, never a
wrong result: the caller is told (`Cache.warnings`) and goes on without it.

Entries also map a file's stat (path, size, mtime, ctime, inode) to its digest, as git's
index does, so a warm run need not read unchanged files at all. A stat is only recorded
when the file's mtime and ctime are older than `SETTLED_NS`: a file written again within
the clock's granularity could otherwise keep its stat with new bytes.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import xxhash

FORMAT = 2  # the layout of the database and of its values
FILE_NAME = f"packer-cache-v{FORMAT}.sqlite3"
# Databases of earlier formats, deleted when this one is opened for writing: format 1 kept
# symbols, comment words and skeletons made from unredacted text.
_RETIRED = tuple(f"packer-cache-v{n}.sqlite3" for n in range(1, FORMAT))
DEFAULT_MAX_BYTES = 2 << 30  # beyond this, the oldest entries are dropped on close
SETTLED_NS = 2_000_000_000
_BATCH = 500  # SQLite's variable limit is 32,766 here, 999 on old builds
_LIBRARIES = ("tiktoken", "tree-sitter", "detect-secrets", "google-re2", "numpy", "scipy", "bm25s")


def default_dir() -> Path:
    """`PACKER_CACHE_DIR`, else the XDG cache directory (`~/.cache/packer`)."""
    env = os.environ.get("PACKER_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    if sys.platform == "darwin" and not base:
        return Path.home() / "Library" / "Caches" / "packer"
    if os.name == "nt" and not base:
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "packer" / "Cache"
    return Path(base or Path.home() / ".cache") / "packer"


@cache
def namespace() -> bytes:
    """A digest of what produces cached values: packer's code and queries, library versions.

    Hashing the package's own files (~0.3 MB) means a development checkout never reads
    a value an older version of the code computed.
    """
    h = xxhash.xxh3_128()
    h.update(f"{FORMAT} {sys.version_info[:2]}".encode())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=-".encode())
    for dist in sorted(d.metadata["Name"] or "" for d in metadata.distributions()):
        if dist.startswith("tree-sitter-"):  # grammar wheels
            h.update(f"{dist}={metadata.version(dist)}".encode())
    root = resources.files("packer")
    for entry in sorted(_code_files(root), key=str):
        h.update(str(entry).rsplit("packer", 1)[-1].encode())
        h.update(entry.read_bytes())
    return h.digest()


def _code_files(root: Any) -> Iterable[Any]:
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in ("__pycache__", "vocab"):
            yield from _code_files(entry)
        elif entry.name.endswith((".py", ".scm")):
            yield entry


def key(digest: str, size: int, kind: str, *params: object) -> bytes:
    """The key of `kind` computed from the file whose bytes have this digest and size."""
    text = "\0".join([digest, str(size), kind, *map(str, params)])
    return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"), seed=0) + namespace()[:8]


def stat_key(abspath: str, size: int, stamp: Sequence[int]) -> bytes:
    text = "\0".join(["stat", abspath, str(size), *map(str, stamp)])
    return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass")) + namespace()[:8]


@dataclass(frozen=True)
class CacheInfo:
    path: str
    exists: bool
    entries: int
    bytes: int  # the database and its WAL and index files
    max_bytes: int


class Cache:
    """The cache in `directory`. Thread-safe; cheap to open; `close` writes what is pending."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, *,
                 max_bytes: int = DEFAULT_MAX_BYTES, readonly: bool = False) -> None:
        self.directory = Path(directory) if directory is not None else default_dir()
        self.path = self.directory / FILE_NAME
        self.max_bytes = max_bytes
        # A reader (a worker process) never writes, deletes or sets anything aside: the
        # process that owns the cache does, so two of them never repair it at once.
        self.readonly = readonly
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._pending: dict[bytes, bytes] = {}
        self._pending_bytes = 0
        self._db: sqlite3.Connection | None = None
        self._broken = False

    # -- reading and writing ---------------------------------------------------------

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, Any]:
        """The values found for `keys` (absent keys are misses)."""
        found: dict[bytes, Any] = {}
        if not keys:
            return found
        with self._lock:
            todo = []
            for k in keys:
                blob = self._pending.get(k)
                if blob is not None:
                    found[k] = marshal.loads(blob)
                else:
                    todo.append(k)
            db = self._connect()
            if db is not None and todo:
                bad: list[bytes] = []
                try:
                    for i in range(0, len(todo), _BATCH):
                        part = todo[i:i + _BATCH]
                        rows = db.execute(
                            f"SELECT key, value, sum FROM entries WHERE key IN ({','.join('?' * len(part))})",
                            part).fetchall()
                        for k, blob, total in rows:
                            value = _decode(blob, total)
                            if value is _CORRUPT:
                                bad.append(k)
                            else:
                                found[k] = value
                except sqlite3.OperationalError as e:  # locked past the timeout: not damage
                    self._disable(f"cache {self.path} not read ({e}); packing without it")
                except sqlite3.DatabaseError as e:
                    self._fail("read", e)
                if bad:
                    self.warnings.append(f"cache: {len(bad)} damaged entries dropped from {self.path}")
                    if not self.readonly:
                        self._delete(bad)
        return found

    def get(self, k: bytes) -> Any:
        return self.get_many([k]).get(k)

    def put_many(self, items: Iterable[tuple[bytes, Any]]) -> None:
        """Queue values; they are written together (`flush`, `close`)."""
        if self.readonly:
            return
        with self._lock:
            for k, value in items:
                blob = self._pending[k] = marshal.dumps(value)
                self._pending_bytes += len(blob)
        if len(self._pending) >= 20_000 or self._pending_bytes >= 32 << 20:
            self.flush()

    def put(self, k: bytes, value: Any) -> None:
        self.put_many([(k, value)])

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._pending_bytes = 0
            if not pending:  # nothing to write: not even a database to create
                return
            db = self._connect()
            if db is None:
                return
            now = int(time.time())
            rows = [(k, blob, _sum(blob), now) for k, blob in pending.items()]
            try:
                with _transaction(db):
                    db.executemany("INSERT OR REPLACE INTO entries (key, value, sum, at) "
                                   "VALUES (?, ?, ?, ?)", rows)
            except sqlite3.OperationalError as e:  # locked past the timeout, disk full, read-only
                self.warnings.append(f"cache: {len(rows)} entries not written to {self.path} ({e})")
            except sqlite3.DatabaseError as e:
                self._fail("written", e)

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    if not self.readonly:
                        self._evict(self._db)
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def take_warnings(self) -> list[str]:
        got, self.warnings = self.warnings, []
        return got

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- management ------------------------------------------------------------------

    def info(self) -> CacheInfo:
        exists = self.path.exists()
        entries = 0
        if exists:  # never creates one
            with self._lock:
                db = self._connect()
                if db is not None:
                    try:
                        entries = db.execute("SELECT count(*) FROM entries").fetchone()[0]
                    except sqlite3.DatabaseError as e:
                        self._fail("read", e)
        return CacheInfo(str(self.path), exists, entries, self._size(), self.max_bytes)

    def clear(self) -> int:
        """Delete the cache's files, damaged copies set aside included; the bytes freed."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            files = [*self._files(), *(p.with_name(p.name + ".damaged") for p in self._files())]
            freed = sum(p.stat().st_size for p in files if p.exists())
            for p in files:
                p.unlink(missing_ok=True)
            self._pending.clear()
            return freed

    # -- internals -------------------------------------------------------------------

    def _files(self) -> list[Path]:
        return [self.path.with_name(self.path.name + s) for s in ("", "-wal", "-shm", "-journal")]

    def _size(self) -> int:
        return sum(p.stat().st_size for p in self._files() if p.exists())

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        try:
            if self.readonly and not self.path.exists():
                self._broken = True  # nothing to read yet
                return None
            self.directory.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
        except sqlite3.OperationalError as e:  # locked past the timeout, read-only: not damage
            self._disable(f"cache {self.path} unusable ({e}); packing without it")
        except sqlite3.DatabaseError as e:
            if self.readonly:
                self._disable(f"cache {self.path} unreadable ({e})")
                return None
            self._set_aside(f"cache {self.path} was damaged ({e}); it was set aside and rebuilt")
            try:
                self._db = self._open()
            except (sqlite3.Error, OSError) as e2:
                self._disable(f"cache {self.path} unusable ({e2}); packing without it")
        except OSError as e:
            self._disable(f"cache directory {self.directory} unusable ({e.strerror}); packing without it")
        return self._db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.text_factory = bytes  # a value damaged into TEXT is then a checksum miss, not an error
        try:
            if self.readonly:
                db.execute("SELECT 1 FROM entries LIMIT 1")  # fails on a file that is no database
                return db
            self._retire_old_formats()
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA mmap_size=268435456")  # pages read from the mapping: no read() each
            db.execute("CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
                       "sum INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID")
            db.execute("CREATE INDEX IF NOT EXISTS entries_at ON entries (at)")
            db.execute(f"PRAGMA user_version={FORMAT}")
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _retire_old_formats(self) -> None:
        for name in _RETIRED:
            for suffix in ("", "-wal", "-shm", ".damaged", "-wal.damaged", "-shm.damaged"):
                with contextlib.suppress(OSError):
                    (self.directory / (name + suffix)).unlink(missing_ok=True)

    def _set_aside(self, warning: str) -> None:
        """Move an unreadable database out of the way (kept for a post-mortem, once)."""
        self.warnings.append(warning)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        for p in self._files():
            if p.exists():
                try:
                    os.replace(p, p.with_name(p.name + ".damaged"))
                except OSError:
                    p.unlink(missing_ok=True)

    def _fail(self, doing: str, error: Exception) -> None:
        """The database failed while being `doing` ("read", "written"): a reader stops using
        it; the owner sets it aside and starts a new one."""
        message = f"cache {self.path} could not be {doing} ({error})"
        if self.readonly:
            self._disable(message)
            return
        self._set_aside(f"{message}; it was set aside and rebuilt")
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as e:
            self._disable(f"cache {self.path} unusable ({e}); packing without it")

    def _disable(self, message: str) -> None:
        self.warnings.append(message)
        self._broken = True
        self._db = None

    def _delete(self, keys: list[bytes]) -> None:
        db = self._db
        if db is None:
            return
        try:
            with _transaction(db):
                db.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in keys])
        except sqlite3.Error:
            pass

    def _evict(self, db: sqlite3.Connection) -> None:
        """Past `max_bytes`, drop the oldest entries down to 3/4 of it."""
        size = self._size()
        if size <= self.max_bytes:
            return
        count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
        drop = int(count * (1 - 0.75 * self.max_bytes / size)) + 1
        with _transaction(db):
            db.execute("DELETE FROM entries WHERE key IN "
                       "(SELECT key FROM entries ORDER BY at LIMIT ?)", (drop,))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("VACUUM")


_CORRUPT = object()


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction (the connection autocommits otherwise: a commit per row)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _sum(blob: bytes) -> int:
    return xxhash.xxh3_64_intdigest(blob) - (1 << 63)  # SQLite integers are signed 64-bit


def _decode(blob: object, total: object) -> Any:
    if not isinstance(blob, bytes) or total != _sum(blob):
        return _CORRUPT
    try:
        return marshal.loads(blob)
    except (EOFError, ValueError, TypeError):
        return _CORRUPT
