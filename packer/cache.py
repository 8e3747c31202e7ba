"""A content-addressed cache of per-file work: reads, token counts, secrets, symbols, skeletons.

Every entry is keyed by the xxh3 digest of a file's bytes (plus its size), what was
computed (a "kind" and its parameters: encoding, block frame, language...) and a
namespace that changes with packer's code, its tree-sitter queries and the versions of
the libraries that produce the values. So an entry is never stale: a new packer, a new
grammar or a new vocabulary simply misses. Entries are shared by every repository.

One SQLite file in WAL mode holds them: many packer processes can read and write at
once (SQLite locks; a writer that waits too long skips its write, it never fails a pack).
A file SQLite cannot read is set aside and rebuilt. A cache problem costs time, never a
wrong result: the caller is told (`Cache.warnings`) and goes on without it.

Entries also map a file's stat (path, size, mtime, ctime, inode) to its digest, as git's
index does, so a warm run need not read unchanged files at all. A stat is only recorded
when the file's mtime and ctime are older than `SETTLED_NS`: a file written again within
the clock's granularity could otherwise keep its stat with new bytes.

Trust. What the cache holds decides what a pack says: a secret scan stored as "nothing
found" lets a file through unredacted, a skeleton is written as stored, a stat entry
names the bytes a file is taken to have. So only the user may write it:

- Who can change it. The directory is resolved once (a symlinked cache directory the
  user set up is followed) and the database is opened by that real path. Every directory
  above it must be the user's or root's and writable by no one else unless sticky (/tmp);
  the cache directory must be the user's and writable by neither group nor others; the
  database, its -wal, -shm and -journal files and the key must be regular files (never
  symlinks) of the user's that group and others cannot write. Anything else is refused
  with a warning that names the fix, and the pack runs without a cache (the same output,
  slower). What packer creates is private whatever the umask: directories 0700, the
  database and key 0600 (SQLite gives the -wal and -shm files the database's mode). An
  own file that others can read but not write is made 0600: older packers created them
  0644 under the usual umask, and no one else could have written them.
- What a value may stand for. Each value is stored with a MAC: keyed BLAKE2b over its
  key and bytes, under a random 32-byte secret kept in the directory (`KEY_NAME`, 0600).
  A value that fails it is a miss and is deleted, like a damaged one. So an entry copied
  under another key (file A's empty secret scan under file B's key; a stat entry, or the
  stat index, pointing at another file's outcome), edited by hand, or written by anything
  that lacks the secret is never used, and never reaches `marshal.loads` (which is not
  safe on crafted bytes). A database copied without its key (another user's, another
  machine's) is all misses. xxh3 keys are fine: a forged key is only a miss.

Not covered: whoever can read the key and write the database (the user, root) and
whatever a cache directory copied whole, key included, came from: a CI cache restored
from a shared bucket is as trusted as the bucket. Replaying an older value of the same
key needs the same write access. On Windows the owner and mode checks are skipped
(no POSIX modes or uids); the MAC and the refusal of symlinks stay.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import marshal
import os
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Literal

import xxhash

from packer import languages
from packer.errors import ConfigError

FORMAT = 3  # the layout of the database and of its values
FILE_NAME = f"packer-cache-v{FORMAT}.sqlite3"
KEY_NAME = "packer-cache.key"  # the MAC secret: a new one makes every entry a miss
# Databases of earlier formats, deleted when this one is opened for writing: format 1 kept
# symbols, comment words and skeletons made from unredacted text; format 2 checked
# values with xxh3 only, which anyone can recompute.
_RETIRED = tuple(f"packer-cache-v{n}.sqlite3" for n in range(1, FORMAT))
_KEY_BYTES = 32
_MAC_BYTES = 16
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
    return namespace_of(resources.files("packer"))


def namespace_of(package: Any) -> bytes:
    """`namespace` for packer's files at `package` (a `Traversable` or a `Path`): a test
    shows an edited copy of the code gets another namespace."""
    h = xxhash.xxh3_128()
    h.update(f"{FORMAT} {sys.version_info[:2]}".encode())
    # The grammar wheels by name: listing every installed distribution read ~110 METADATA
    # files on every run (0.04 s alone, more while the vocabulary thread holds the GIL).
    grammars = sorted({g.package for g in languages.GRAMMARS.values()})
    for name in (*_LIBRARIES, *grammars):
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=-".encode())
    for entry in sorted(_code_files(package), key=str):
        h.update(str(entry).rsplit("packer", 1)[-1].encode())
        h.update(entry.read_bytes())
    return h.digest()


def _code_files(root: Any) -> Iterable[Any]:
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in ("__pycache__", "vocab"):
            yield from _code_files(entry)
        elif entry.name.endswith((".py", ".scm")):
            yield entry


# What packer caches, by the kind its key names; every key is made by a function below.
Kind = Literal[
    "count",  # the exact tokens of a file's block (None for a skeleton: none to count)
    "secrets",  # the secret scan: ((start, end, kind), ...)
    "symbols",  # `graph.names_to_plain` of the names in the file's redacted text
    "terms",  # its comment words, redacted
    "fp",  # its `sketch.Fingerprint` as a tuple
    "skeleton-text",  # its skeleton, redacted (None: no skeleton)
    "measure-index",  # a repository's stat index: path -> (stamp, size, outcome)
    "tree-lines",  # a repository's tree lines -> their block cost
    "rank",  # the ranking of a repository for one task
    "rank-index",  # the reference graph and query documents of a set of files, pickled
    "history",  # a repository's parsed `git log`: (HEAD, commits), newest first
    "signals",  # the git signals of a set of paths at a HEAD, paths as their places in the set
    "snapshot",  # a work tree's last walk or measures, under git's view of its state
]


_PENDING_ENTRIES = 20_000  # queued values that make the next `put_many` write the queue first
_PENDING_BYTES = 32 << 20


def key(digest: str, size: int, kind: Kind, *params: object) -> bytes:
    """The key of `kind` computed from the file whose bytes have this digest and size."""
    text = "\0".join([digest, str(size), kind, *map(str, params)])
    return xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass"), seed=0) + namespace()[:8]


def count_key(digest: str, size: int, encoding: str, frame: str, redacted: bool) -> bytes:
    """`frame`: the file's block around empty text (path, mode, language, format)."""
    return key(digest, size, "count", encoding, frame, redacted)


def secrets_key(path: str, digest: str, size: int) -> bytes:
    # detect-secrets' keyword patterns depend on the file's extension.
    return key(digest, size, "secrets", os.path.splitext(path)[1])


def symbols_key(digest: str, size: int, language: str | None) -> bytes:
    return key(digest, size, "symbols", language)


def terms_key(digest: str, size: int) -> bytes:
    return key(digest, size, "terms")


def fp_key(digest: str, size: int, sketch: bool, redacted: bool) -> bytes:
    return key(digest, size, "fp", sketch, redacted)


def skeleton_text_key(digest: str, size: int, language: str | None) -> bytes:
    return key(digest, size, "skeleton-text", language)


def index_key(root: str, keep: Iterable[str], work: str) -> bytes:
    """`work`: what was measured, as text that does not vary between processes."""
    return key("", 0, "measure-index", root, sorted(keep), work)


def tree_lines_key(root: str, encoding: str, frame: str) -> bytes:
    return key("", 0, "tree-lines", root, encoding, frame)


def history_key(root: str) -> bytes:
    """One per repository root: its newest log, extended when HEAD moves on."""
    return key("", 0, "history", root)


def signals_key(root: str, head: str, names: str, known: int) -> bytes:
    """`names`: a digest of the paths the signals name (the walked files, then the focus),
    `known` of them walked."""
    return key(names, known, "signals", root, head)


def snapshot_key(root: str, stage: str, options: str) -> bytes:
    """One per root, stage and options: the last run's, replaced by the next."""
    return key("", 0, "snapshot", root, stage, options)


def rank_index_key(digest: str, files: int, symbols: bool, terms: bool) -> bytes:
    """`digest`: of the files' paths, contents and languages."""
    return key(digest, files, "rank-index", symbols, terms)


def rank_key(digest: str, files: int) -> bytes:
    """`digest`: of everything the ranking depends on."""
    return key(digest, files, "rank")


def stat_key(abspath: str, size: int, stamp: Sequence[int], keep: Iterable[str]) -> bytes:
    """The key of what reading the file at `abspath` with this size and stamp found, under
    `keep` (which decides whether a file is read as text): (digest, encoding, lines, `#!` line)."""
    text = "\0".join(["stat", abspath, str(size), *map(str, stamp), *sorted(keep)])
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

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        readonly: bool = False,
    ) -> None:
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
        self._real = self.path  # the database by its resolved path, once checked (`_trust`)
        self._secret = b""  # the MAC key, once loaded (`_trust`)

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
                        part = todo[i : i + _BATCH]
                        rows = db.execute(
                            f"SELECT key, value, mac FROM entries WHERE key IN ({','.join('?' * len(part))})",
                            part,
                        ).fetchall()
                        for k, blob, mac in rows:
                            value = self._decode(k, blob, mac)
                            if value is _CORRUPT:
                                bad.append(k)
                            else:
                                found[k] = value
                except sqlite3.OperationalError as e:  # locked past the timeout: not damage
                    self._disable(f"cache {self.path} not read ({e}); packing without it")
                except sqlite3.DatabaseError as e:
                    self._fail("read", e)
                if bad:
                    self.warnings.append(
                        f"cache: {len(bad)} entries failed their check (damaged, or "
                        f"not written under this cache's key) and were dropped "
                        f"from {self.path}"
                    )
                    if not self.readonly:
                        self._delete(bad)
        return found

    def get(self, k: bytes) -> Any:
        return self.get_many([k]).get(k)

    def put_many(self, items: Iterable[tuple[bytes, Any]]) -> None:
        """Queue values; they are written together (`flush`, `close`)."""
        if self.readonly:
            return
        # What is queued already goes first, not these: a large value (the rank index) is
        # written at the next call or `close`, once its caller has let go of its own copy.
        if len(self._pending) >= _PENDING_ENTRIES or self._pending_bytes >= _PENDING_BYTES:
            self.flush()
        with self._lock:
            for k, value in items:
                blob = self._pending[k] = marshal.dumps(value)
                self._pending_bytes += len(blob)

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
            # In key order: each insert lands beside the last in the clustered table.
            rows = [(k, blob, self._mac(k, blob), now) for k, blob in sorted(pending.items())]
            try:
                with _transaction(db):
                    db.executemany(
                        "INSERT OR REPLACE INTO entries (key, value, mac, at) VALUES (?, ?, ?, ?)", rows
                    )
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
        """Delete the cache's files, damaged copies set aside and the key included; the
        bytes freed. Refused files too: deleting them is the fix the warnings name."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            files = [
                *self._files(),
                *(p.with_name(p.name + ".damaged") for p in self._files()),
                self.directory / KEY_NAME,
            ]
            freed = _lsize(files)
            for p in files:
                p.unlink(missing_ok=True)
            self._pending.clear()
            return freed

    # -- internals -------------------------------------------------------------------

    def _files(self) -> list[Path]:
        return [self.path.with_name(self.path.name + s) for s in ("", "-wal", "-shm", "-journal")]

    def _size(self) -> int:
        return _lsize(self._files())

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None or self._broken:
            return self._db
        try:
            if (self.readonly and not self.path.exists()) or not self._trust():
                self._broken = True  # nothing to read yet
                return None
            self._db = self._open()
        except _Refused as e:
            self._disable(str(e))
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

    def _trust(self) -> bool:
        """Check that only the user can change the cache (making what is missing, privately)
        and load its key; raise `_Refused` if not. False: a reader found no key yet."""
        real = Path(os.path.realpath(self.directory))  # a link the user set up is followed
        if not self.readonly:
            _make_dirs(real)
        _check_directory(real)
        for p in _siblings(real / FILE_NAME):
            _check_file(p, tighten=not self.readonly)
        secret = self._load_key(real / KEY_NAME)
        if secret is None:
            return False
        self._real, self._secret = real / FILE_NAME, secret
        return True

    def _load_key(self, path: Path) -> bytes | None:
        """The MAC key at `path`, made if missing (a reader makes nothing: None)."""
        _check_file(path, tighten=not self.readonly)
        try:
            secret = _read_key(path)
        except FileNotFoundError:
            if self.readonly:
                return None
            _make_key(path)
            secret = _read_key(path)
        if len(secret) == _KEY_BYTES:
            return secret
        if self.readonly:
            raise _Refused(f"cache key {path} is damaged", _CLEAR)
        # Cut short (a crash before it reached the disk): nothing under it can be checked.
        self.warnings.append(
            f"cache key {path} was damaged and was replaced: the entries "
            "written under it will be dropped as they are met"
        )
        path.unlink()
        _make_key(path)
        return _read_key(path)

    def _open(self) -> sqlite3.Connection:
        if not self.readonly:
            _create_private(self._real)  # else SQLite makes it with the umask's mode
        db = sqlite3.connect(self._real, timeout=30, isolation_level=None, check_same_thread=False)
        db.text_factory = bytes  # a value damaged into TEXT is then a MAC miss, not an error
        try:
            if self.readonly:
                db.execute("SELECT 1 FROM entries LIMIT 1")  # fails on a file that is no database
                return db
            self._retire_old_formats()
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA mmap_size=268435456")  # pages read from the mapping: no read() each
            # Pages of the key-ordered table stay in memory across a run's inserts: a cold
            # 78K-file run writes 230K entries, twice as slow with the default 2 MB.
            db.execute("PRAGMA cache_size=-65536")
            # A checkpoint (and its fsync) per 64 MB of log, not per 4 MB: a cold run's
            # writer waited a second on them.
            db.execute("PRAGMA wal_autocheckpoint=16384")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
                "mac BLOB NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID"
            )
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

    def _mac(self, k: bytes, blob: bytes) -> bytes:
        """What binds `blob` to `k` under this cache's key (the key's length first: no two
        (key, value) pairs give the same bytes)."""
        h = hashlib.blake2b(len(k).to_bytes(4, "little"), key=self._secret, digest_size=_MAC_BYTES)
        h.update(k)
        h.update(blob)  # not joined first: a copy of a 100 MB value (the rank index) at its peak
        return h.digest()

    def _decode(self, k: bytes, blob: object, mac: object) -> Any:
        """The value stored as `blob`, or `_CORRUPT` unless its MAC says this cache wrote it
        under `k` (checked first: `marshal` must never see bytes anyone else made)."""
        if (
            not isinstance(blob, bytes)
            or not isinstance(mac, bytes)
            or not hmac.compare_digest(mac, self._mac(k, blob))
        ):
            return _CORRUPT
        try:
            return marshal.loads(blob)
        except (EOFError, ValueError, TypeError):
            return _CORRUPT

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
            db.execute(
                "DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY at LIMIT ?)", (drop,)
            )
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


# -- trust: who can change the cache's files -----------------------------------------------

_POSIX = os.name != "nt"  # Windows has no POSIX owners or modes to check
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows would translate newlines otherwise
_CLEAR = "`packer cache clear` deletes it"
_ELSEWHERE = "or use another directory (--cache-dir, PACKER_CACHE_DIR)"


class _Refused(Exception):
    """Someone other than the user could change the cache: it is not used."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"{what}: packing without the cache; {fix}")


def state_dir(name: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """`<cache dir>/<name>`, made 0700 and checked as the cache directory is: a private
    place for state that must outlive the cache's entries (a batch review's, which a new
    packer, whose namespace misses every entry, must still resume). Raises ConfigError
    naming the fix when someone else could change it."""
    base = Path(directory) if directory is not None else default_dir()
    real = base.resolve() / name
    try:
        _make_dirs(real)
        _check_directory(real)
    except _Refused as exc:
        raise ConfigError(str(exc).replace("packing without the cache; ", "")) from exc
    except OSError as exc:
        raise ConfigError(f"cannot make {real}: {exc.strerror}; {_ELSEWHERE.removeprefix('or ')}") from exc
    return real


def write_state(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, 0600, never through a symlink."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    _write_private(tmp, data)
    os.replace(tmp, path)


def read_state(path: Path) -> bytes | None:
    """The bytes of a state file `write_state` made, or None when there is none. A
    symlink, or a file someone else could write, is refused (ConfigError)."""
    try:
        _check_file(path, tighten=False)
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
    except FileNotFoundError:
        return None
    except _Refused as exc:
        # `packer cache clear` leaves state alone (a batch's must outlive the cache): say so.
        why = str(exc).replace("packing without the cache; ", "").replace(_CLEAR, f"delete it (rm {path})")
        raise ConfigError(why) from exc
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _siblings(db: Path) -> list[Path]:
    return [db.with_name(db.name + s) for s in ("", "-wal", "-shm", "-journal")]


def _lsize(files: Iterable[Path]) -> int:
    total = 0
    for p in files:
        with contextlib.suppress(OSError):
            total += os.lstat(p).st_size
    return total


def _make_dirs(directory: Path) -> None:
    """Make `directory` (absolute) and its missing parents, 0700 whatever the umask."""
    missing: list[Path] = []
    p = directory
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue  # made meanwhile (another packer): checked like any other
        if _POSIX and stat.S_IMODE(os.lstat(d).st_mode) != 0o700:
            os.chmod(d, 0o700)  # a umask that took the owner's own bits


def _loose(st: os.stat_result, *, root_too: bool = False) -> str | None:
    """Why someone else could write what has this lstat, or None. `root_too`: root may own
    it; a sticky directory (/tmp) may be writable by all, as only an entry's owner can
    rename or delete it."""
    uid = os.getuid()
    if st.st_uid != uid and not (root_too and st.st_uid == 0):
        return f"is owned by uid {st.st_uid}, not by you (uid {uid})"
    if st.st_mode & 0o022 and not (root_too and st.st_mode & stat.S_ISVTX):
        who = " and ".join(w for bit, w in ((0o020, "group"), (0o002, "others")) if st.st_mode & bit)
        return f"is writable by {who} (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _check_directory(real: Path) -> None:
    """Raise `_Refused` unless only the user can change the cache directory `real` (a
    resolved path) and only the user or root any directory above it."""
    st = os.lstat(real)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(real))
    if not _POSIX:
        return
    problem = _loose(st)
    if problem:
        raise _Refused(
            f"cache directory {real} {problem}", f"make it yours alone (chmod 700 {real}) {_ELSEWHERE}"
        )
    for parent in real.parents:
        # Whoever can write a directory above could rename the cache away and put theirs
        # in its place.
        problem = _loose(os.lstat(parent), root_too=True)
        if problem:
            raise _Refused(
                f"{parent}, above the cache directory {real}, {problem}", _ELSEWHERE.removeprefix("or ")
            )


def _check_file(path: Path, *, tighten: bool) -> None:
    """Raise `_Refused` unless `path` is absent or a regular file of the user's that no one
    else can write; one others can read is made 0600 (`tighten`)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a regular file"
        raise _Refused(f"cache file {path} is {kind}", _CLEAR)
    if not _POSIX:
        return
    problem = _loose(st)
    if problem:
        raise _Refused(f"cache file {path} {problem}", _CLEAR)
    if tighten and st.st_mode & 0o077:
        os.chmod(path, 0o600)


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, 0600 whatever the umask; FileExistsError if it is there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
    with os.fdopen(fd, "wb") as f:
        if _POSIX:
            os.fchmod(f.fileno(), 0o600)
        if data:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def _create_private(path: Path) -> None:
    with contextlib.suppress(FileExistsError):  # checked by `_check_file`, or just made by another packer
        _write_private(path, b"")


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
    with os.fdopen(fd, "rb") as f:
        return f.read(_KEY_BYTES + 1)


def _make_key(path: Path) -> None:
    """Put a new random key at `path` unless one appears first: packers racing to make it
    all end up reading the one that won."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        _write_private(tmp, os.urandom(_KEY_BYTES))
        try:
            os.link(tmp, path)  # whole or absent, never replaced
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links: renamed (Windows never replaces)
            with contextlib.suppress(FileExistsError):
                os.rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
