"""`packer chunk --repos LIST`: many repositories chunked into one retrieval index, on a
local process pool or on Ray Data.

The list names one repository a line (a clone on local or shared storage; blank lines and
`#` comments skipped). Each repository's files are listed as `pack` walks them
(`chunker.walk_files`) and cut into batches in that order; a batch is the unit of work
and of output. Each batch is chunked by packer's own chunker (`chunker.chunk_walked`) and
written as one shard: JSON lines, and Parquet when pyarrow is installed (the `ray`
extra), with the chunk schema plus `repo`, `commit` and the file's `digest`. At the end
`manifest.json` lists the shards, the repositories with their HEAD commits, and the
options; shards no longer listed are deleted.

Resumable and incremental. A shard's name holds its batch's key: packer's code (the
cache's namespace: a new packer, or new secret rules, chunks anew), the options, the
repository and its commit, and each file's path and stamp (size, mtime, ctime, inode, as
git's index keeps them: a copy that keeps the mtime still gets a new ctime). A run that
stops midway leaves the shards it finished; the next run finds them by name and does not
redo them, once their files' sizes and digests, kept in the shard's `.meta.json`, are
checked (a truncated, emptied or edited shard is made again), and unless a file of the
batch changed less than `cache.SETTLED_NS` before the shard was written: a change then
may not have moved its stamp (git's "racy" files), so that shard is made again. A batch
whose key changed is chunked again, but a file whose content digest and path are those of
a file the previous run chunked in the same repository takes its chunks from that run's
(checked) shard. Each `.meta.json` lists its files' digests; the manifest lists only the
shards, so it stays small at any number of repositories, and a worker reads the digests
of one repository's previous shards at a time.

The output directory. A directory packer did not write is refused unless empty: packer's
holds `.packer-chunks`, and only there are files replaced, and only shard files (by their
exact names) deleted. One run at a time writes it (a lock on `.packer-chunks.lock`). What
packer reads there is read only if it is a regular file (a FIFO, a device or a symlink
planted at a shard's name is never opened), and a FIFO or device in place of a file it
writes is refused, never replaced. `shards` must be a real directory, not a symlink.
A repository is listed by its real path (symlinks resolved), so the output is never inside
a repository it reads, whichever way either is named; a secret in a repository's name or
path is masked in the rows and the manifest.

Engines. `engine="local"` runs the batches on a pool of forked processes (`jobs`, default
one per core); `engine="ray"` on Ray Data: the repositories become a dataset, a
`flat_map` lists their batches on the workers, a `map` chunks and writes each one. Both
run the same two functions, so their shards are the same bytes. A local Ray (no address)
is started for the run on the loopback address only and with usage statistics off
(Ray's own switches, set before it is imported: `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`
makes it a single-machine Ray whose node address is 127.0.0.1, and every socket it opens
listens there; `RAY_USAGE_STATS_ENABLED=0`). `address="auto"` (or `RAY_ADDRESS`) joins an
existing cluster, where packer must be installed on every node and the repositories and
the output directory must be on storage every node sees.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import xxhash

from packer.errors import ConfigError, PackerError
from packer.records import Chunk

MANIFEST = "manifest.json"
SHARDS = "shards"
MARKER = ".packer-chunks"  # the output directory is packer's: only then is anything in it replaced
LOCK = ".packer-chunks.lock"
# A shard's files and their temporary names: the only names ever deleted.
_SHARD_FILE = re.compile(r"\.?(part-\d{5}-\d{6}-[0-9a-f]{16})\.(?:jsonl|parquet|meta\.json)(\.\d+\.tmp)?")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
FORMAT = 1  # the layout of the output directory and its rows
SHARD_FILES = 256  # files a batch holds at most ...
SHARD_BYTES = 8 << 20  # ... and bytes
# The columns of a shard, in order: the chunk schema, then where it came from.
COLUMNS = (
    "repo",
    "commit",
    "path",
    "language",
    "start_byte",
    "end_byte",
    "start_line",
    "end_line",
    "tokens",
    "symbol",
    "kind",
    "text",
    "redacted",
    "embed_text",
    "digest",
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Spec:
    """The chunking options every batch of a run shares (part of every batch's key)."""

    max_tokens: int = 512
    encoding: str = "o200k_base"
    context: bool = False
    overlap: int = 0
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    gitignore: bool = True
    keep: tuple[str, ...] = ()
    embed_text: bool = True


@dataclass(frozen=True)
class Repo:
    name: str  # as the list gives it, a secret in it masked
    path: str  # absolute and real (symlinks resolved)
    commit: str  # HEAD, or "" outside git


@dataclass(frozen=True)
class Batch:
    repo: int  # its place in the list
    number: int  # its place in the repository's batches
    files: tuple[tuple[str, str, int, str], ...]  # (path, abspath, size, stamp)
    key: str

    @property
    def name(self) -> str:
        return f"part-{self.repo:05d}-{self.number:06d}-{self.key}"


@dataclass(frozen=True)
class Shard:
    name: str
    rows: int
    files: int
    digests: tuple[str, ...]  # "digest path" of each file chunked, for the next run's reuse
    reused: int = 0  # files whose chunks came from the previous run
    resumed: bool = False  # found finished on disk: nothing was done


@dataclass(frozen=True)
class CorpusResult:
    out_dir: str
    engine: str
    repos: tuple[Repo, ...]
    shards: tuple[Shard, ...]
    chunks: int
    files: int
    reused_files: int
    resumed_shards: int
    warnings: tuple[str, ...] = field(default=())


# -- the list and the batches ------------------------------------------------------------------


def read_repos(list_file: str | os.PathLike[str]) -> list[Repo]:
    """The repositories a list file names (a relative path is relative to the list's own
    directory), each checked to be a directory, by its real path, with its HEAD; one named
    twice (through a symlink too) is listed once."""
    from packer.chunker import mask_path
    from packer.discover import run_git

    where = Path(list_file)
    try:
        lines = where.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read the repository list ({exc}); pass a text file") from exc
    repos: list[Repo] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        path = os.path.realpath(os.path.join(where.parent, os.path.expanduser(name)))
        if not os.path.isdir(path):
            shown = "" if os.path.isabs(os.path.expanduser(name)) else f" ({path}: relative to the list)"
            raise ConfigError(
                f"{where}:{number}: {name}{shown} is not a directory; list one repository path a line"
            )
        if path in seen:
            continue
        seen.add(path)
        got = run_git(path, "rev-parse", "--verify", "-q", "HEAD")
        commit = got.stdout.decode().strip() if got.returncode == 0 else ""
        repos.append(Repo(mask_path(name), path, commit))
    if not repos:
        raise ConfigError(f"{where}: no repositories listed; write one path a line")
    return repos


def list_batches(
    index: int, repo: Repo, spec: Spec, *, files: int, nbytes: int, code: str = ""
) -> list[Batch]:
    """A repository's files as `pack` walks them, in batches of at most `files` files and
    `nbytes` bytes, each keyed by what decides its output (`code`: packer's, `code_key`)."""
    from packer.chunker import walk_files

    walked = walk_files(
        repo.path, include=spec.include, exclude=spec.exclude, gitignore=spec.gitignore, keep=spec.keep
    )
    batches: list[Batch] = []
    current: list[tuple[str, str, int, str]] = []
    size = 0
    for path, abspath, nb in walked:
        if current and (len(current) >= files or size + nb > nbytes):
            batches.append(_batch(index, len(batches), repo, spec, current, code))
            current, size = [], 0
        current.append((path, abspath, nb, _stamp(abspath)))
        size += nb
    if current:
        batches.append(_batch(index, len(batches), repo, spec, current, code))
    return batches


def code_key() -> str:
    """packer's code and libraries (`cache.namespace`): chunks made by another packer are
    never taken for this one's."""
    from packer import cache

    return cache.namespace().hex()


def _stamp(abspath: str) -> str:
    """What says a file is unchanged, as git's index does: size, mtime, ctime, inode."""
    try:
        st = os.stat(abspath)
    except OSError:
        return "-"
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def _settled(batch: Batch, written_ns: int) -> bool:
    """Whether every file of the batch last changed `SETTLED_NS` or more before its shard
    was written: else a change since may have left its stamp as it was."""
    from packer import cache

    for *_, stamp in batch.files:
        fields = stamp.split()
        if len(fields) != 4 or written_ns - max(int(fields[1]), int(fields[2])) < cache.SETTLED_NS:
            return False
    return True


def _batch(
    index: int, number: int, repo: Repo, spec: Spec, files: list[tuple[str, str, int, str]], code: str
) -> Batch:
    key = xxhash.xxh3_64()
    key.update(json.dumps([FORMAT, code, asdict(spec), repo.name, repo.commit]).encode())
    for path, _, size, stamp in files:
        key.update(f"\0{path}\0{size}\0{stamp}".encode("utf-8", "surrogateescape"))
    return Batch(index, number, tuple(files), key.hexdigest())


# -- one batch: chunk it, write its shard ------------------------------------------------------


def run_batch(
    batch: Batch, repo: Repo, spec: Spec, out_dir: str, previous: dict[str, tuple[str, ...]]
) -> Shard:
    """Chunk a batch and write its shard, unless a finished one is there already (resumed).
    `previous`: the previous run's shards, by repository name."""
    shards = Path(out_dir) / SHARDS
    meta = shards / f"{batch.name}.meta.json"
    done = _finished(shards, batch.name, batch)
    if done is not None:
        return Shard(batch.name, done["rows"], done["files"], tuple(done["digests"]), resumed=True)
    rows: list[dict[str, Any]] = []
    digests: list[str] = []
    reused = 0
    index = _reuse_index(shards, repo.name, previous.get(repo.name, ()))
    loaded: dict[str, list[dict[str, Any]]] = {}
    for path, abspath, size, _ in batch.files:
        digest = _digest(abspath)
        if digest is None:
            continue
        ident = f"{digest} {path}"
        old = _reused(ident, index, shards, loaded)
        if old is not None:
            reused += 1
            got = [{**r, "repo": repo.name, "commit": repo.commit} for r in old]
        else:
            got = [_row(c, repo, digest) for c in _chunk(path, abspath, size, spec)]
        if got:
            digests.append(ident)
            rows.extend(got)
    written = _write_shard(shards, batch.name, rows)
    shard = Shard(batch.name, len(rows), len(digests), tuple(digests), reused)
    record = {"rows": shard.rows, "files": shard.files, "digests": digests, "written": written}
    _atomic(meta, json.dumps(record).encode())
    return shard


def _finished(shards: Path, name: str, batch: Batch) -> dict[str, Any] | None:
    """A shard's `.meta.json` record if the shard is finished and whole (`_whole`), and
    was written once its batch's files had settled (`_settled`)."""
    done = _record(shards, name, batch)
    return done if done is not None and _whole(shards, name, done) is not None else None


def _record(shards: Path, name: str, batch: Batch | None = None) -> dict[str, Any] | None:
    """A shard's `.meta.json` record, if well formed (and, given its `batch`, written once
    its files had settled); its files are not read here (`_whole`)."""
    found = _regular(shards / f"{name}.meta.json")
    if found is None or (batch is not None and not _settled(batch, found[1].st_mtime_ns)):
        return None
    try:
        done = json.loads(found[0])
    except ValueError:
        return None  # a damaged record of a shard: made again
    well_formed = (
        isinstance(done, dict)
        and isinstance(done.get("written"), dict)
        and bool(done["written"])
        and all(isinstance(v, list) and len(v) == 2 for v in done["written"].values())
        and isinstance(done.get("rows"), int)
        and isinstance(done.get("files"), int)
        and isinstance(done.get("digests"), list)
        and all(isinstance(d, str) for d in done["digests"])
    )
    return done if well_formed else None


def _whole(shards: Path, name: str, record: dict[str, Any]) -> dict[str, bytes] | None:
    """Each file the shard wrote, by suffix, if every one is there with the size and
    digest its record gives (a shard truncated, emptied or edited since is not), else None."""
    files: dict[str, bytes] = {}
    for suffix, sealed in record["written"].items():
        data = _read_regular(shards / f"{name}{suffix}")
        if data is None or _seal(data) != tuple(sealed):
            return None
        files[suffix] = data
    return files


def _seal(data: bytes) -> tuple[int, str]:
    """What a shard file's record holds of it: its size and content digest."""
    return len(data), xxhash.xxh3_128_hexdigest(data)


def _read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file, else None: a FIFO, a device or a
    symlink planted at a name packer reads is never opened, and never waited on."""
    found = _regular(path)
    return None if found is None else found[0]


def _regular(path: Path) -> tuple[bytes, os.stat_result] | None:
    """`_read_regular`, with what fstat said of the file."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        return (f.read(), st) if stat.S_ISREG(st.st_mode) else None


def _digest(abspath: str) -> str | None:
    try:
        with open(abspath, "rb") as f:
            return xxhash.xxh3_64_hexdigest(f.read())
    except OSError:
        return None  # gone since the listing: not chunked, as `chunk` would skip it


def _chunk(path: str, abspath: str, size: int, spec: Spec) -> list[Chunk]:
    from packer.chunker import chunk_walked

    return chunk_walked(
        path,
        abspath,
        size,
        max_tokens=spec.max_tokens,
        encoding=spec.encoding,
        context=spec.context,
        overlap=spec.overlap,
        keep=spec.keep,
        embed_text=spec.embed_text,
    )


def _row(c: Chunk, repo: Repo, digest: str) -> dict[str, Any]:
    return {"repo": repo.name, "commit": repo.commit, **c.row(), "digest": digest}


_index: dict[tuple[str, str, tuple[str, ...]], dict[str, str]] = {}  # a worker's last reuse index


def _reuse_index(shards: Path, repo: str, names: tuple[str, ...]) -> dict[str, str]:
    """ "digest path" -> the previous shard holding that file's rows, for one repository:
    read from its shards' meta files once per worker process and repository."""
    key = (str(shards), repo, names)  # the names: another run, or other options, is another index
    if key not in _index:
        _index.clear()  # one repository's at a time: memory stays bounded
        found: dict[str, str] = {}
        for name in names:
            meta = _record(shards, name)  # its shard is checked whole once it is read
            if meta is not None:
                found.update(dict.fromkeys(meta["digests"], name))
        _index[key] = found
    return _index[key]


def _reused(
    ident: str, index: dict[str, str], shards: Path, loaded: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]] | None:
    """The previous run's rows of this file (same digest and path), or None."""
    name = index.get(ident)
    if name is None:
        return None
    if name not in loaded:
        # Used only if whole: a shard damaged since its record was written is not.
        meta = _record(shards, name)
        files = _whole(shards, name, meta) if meta is not None else None
        data = files.get(".jsonl", b"") if files is not None else b""
        try:
            loaded[name] = [json.loads(line) for line in data.splitlines()]
        except ValueError:
            loaded[name] = []
    digest, _, path = ident.partition(" ")
    rows = [r for r in loaded[name] if r.get("digest") == digest and r.get("path") == path]
    return rows or None


def _write_shard(shards: Path, name: str, rows: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
    """Write the shard's files; what its record keeps of each (`_sealed`), by suffix."""
    lines = "".join(_line(r) for r in rows).encode()
    _atomic(shards / f"{name}.jsonl", lines)
    written = {".jsonl": _seal(lines)}
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written  # the core install writes JSON lines only; Parquet comes with `ray`
    try:
        table = pa.Table.from_pylist(rows, schema=_schema(pa))
    except (UnicodeEncodeError, pa.ArrowException):  # rare: a name that is not UTF-8
        table = pa.Table.from_pylist([_parquet_safe(r) for r in rows], schema=_schema(pa))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    data = sink.getvalue().to_pybytes()
    _atomic(shards / f"{name}.parquet", data)
    written[".parquet"] = _seal(data)
    return written


def _line(row: dict[str, Any]) -> str:
    line = json.dumps(row, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a path with undecodable bytes: escaped, as `packer chunk` does
        line = json.dumps(row, ensure_ascii=True)
    return line + "\n"


def _parquet_safe(row: dict[str, Any]) -> dict[str, Any]:
    """Parquet strings are UTF-8: a path's undecodable bytes are written as \\xNN there."""
    return {k: _utf8(v) if isinstance(v, str) else v for k, v in row.items()}


def _utf8(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _schema(pa: Any) -> Any:
    ints = ("start_byte", "end_byte", "start_line", "end_line", "tokens", "redacted")
    return pa.schema([(c, pa.int64() if c in ints else pa.string()) for c in COLUMNS])


def _atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: written beside it, then renamed over it (a symlink
    there is replaced, never followed). A FIFO, device, socket or directory in its place
    is refused: it is not a file packer wrote."""
    _check_replaceable(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # a crashed run's, or something planted there: never written through
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _check_replaceable(path: Path) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise ConfigError(
            f"{path} is not a regular file (a FIFO, device, socket or directory): packer does not "
            "replace it; remove it, or write the chunks to another directory"
        )


# -- the run -------------------------------------------------------------------------------------


def chunk_repos(
    repos: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    spec: Spec | None = None,
    engine: str = "local",
    address: str | None = None,
    jobs: int | None = None,
    shard_files: int = SHARD_FILES,
    shard_bytes: int = SHARD_BYTES,
    progress: Progress | None = None,
) -> CorpusResult:
    """Chunk every repository `repos` (a list file) names into `out_dir`: shards of JSON
    lines (and Parquet with pyarrow) and `manifest.json`. `engine`: "local" (a process pool
    of `jobs`, default one per core) or "ray" (Ray Data; `address` None starts a local
    Ray on 127.0.0.1 with `jobs` CPUs, "auto" or a cluster address joins one). The rows
    are the same whatever the engine. Raises ConfigError for a bad list, option or
    output directory."""
    spec = spec or Spec()
    _check_spec(spec, engine, shard_files, shard_bytes)
    listed = read_repos(repos)
    out = Path(out_dir).resolve()
    _check_out_dir(out, listed)
    code = code_key()
    with _claimed(out):
        previous = _previous(out, spec, code)
        run = _run_ray if engine == "ray" else _run_local
        sizes = (shard_files, shard_bytes)
        shards = run(listed, spec, str(out), previous, jobs, address, sizes, code, progress)
        shards.sort(key=lambda s: s.name)
        _write_manifest(out, listed, spec, shards, code)
        _drop_stale(out, shards)
    return CorpusResult(
        str(out),
        engine,
        tuple(listed),
        tuple(shards),
        sum(s.rows for s in shards),
        sum(s.files for s in shards),
        sum(s.reused for s in shards),
        sum(s.resumed for s in shards),
    )


def _check_spec(spec: Spec, engine: str, shard_files: int, shard_bytes: int) -> None:
    from packer.chunker import check_options

    check_options(spec.max_tokens, spec.overlap, keep=spec.keep)
    if engine not in ("local", "ray"):
        raise ConfigError(f"unknown engine {engine!r}; use local or ray")
    if shard_files < 1 or shard_bytes < 1:
        raise ConfigError("a shard holds at least one file: pass positive shard sizes")


def _check_out_dir(out: Path, repos: Sequence[Repo]) -> None:
    """The output is never inside a repository it chunks (a rerun would chunk it: both
    paths are real ones), and an existing directory is packer's (`MARKER`) or empty:
    nothing else in it is ever replaced or deleted."""
    for r in repos:
        if out == Path(r.path) or Path(r.path) in out.parents:
            raise ConfigError(f"{out} is inside the repository {r.name}; write the chunks outside it")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is not a directory; pass a directory for the shards")
    if out.is_dir() and any(out.iterdir()) and not _ours(out):
        raise ConfigError(
            f"{out} holds files packer did not write (no {MARKER} in it); pass an empty or new directory"
        )
    shards = out / SHARDS
    if os.path.lexists(shards) and (shards.is_symlink() or not shards.is_dir()):
        raise ConfigError(f"{shards} is not a directory packer made (a symlink or a file); remove it")


def _ours(out: Path) -> bool:
    """Whether `out` is an output directory packer wrote: it holds the marker (or, from
    before the marker, a manifest of packer's own format)."""
    marker = _read_regular(out / MARKER)
    if marker is not None:
        return marker == _marker()
    try:
        manifest = json.loads(_read_regular(out / MANIFEST) or b"null")
    except ValueError:
        return False
    return (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(manifest.get("options"), dict)
        and isinstance(manifest.get("shards"), list)
    )


def _marker() -> bytes:
    return json.dumps({"packer": "chunk --repos", "format": FORMAT}).encode() + b"\n"


@contextlib.contextmanager
def _claimed(out: Path) -> Iterator[None]:
    """The output directory, marked as packer's and locked for this run: a second run
    into it is refused while this one writes (each would delete the other's shards)."""
    import fcntl

    (out / SHARDS).mkdir(parents=True, exist_ok=True)
    if _read_regular(out / MARKER) != _marker():
        _atomic(out / MARKER, _marker())
    lock = out / LOCK
    _check_replaceable(lock)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ConfigError(
                f"another packer chunk --repos is writing to {out}; wait for it to finish, or write elsewhere"
            ) from exc
        yield
    finally:
        os.close(fd)  # releases the lock


def _previous(out: Path, spec: Spec, code: str) -> dict[str, tuple[str, ...]]:
    """The shards of the last finished run of this packer with the same options, by
    repository name."""
    try:
        manifest = json.loads(_read_regular(out / MANIFEST) or b"null")
    except ValueError:
        return {}
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("code") != code:
        return {}
    if manifest.get("options") != json.loads(json.dumps(asdict(spec))):
        return {}
    found: dict[str, list[str]] = {}
    for shard in manifest.get("shards") or []:
        if isinstance(shard, dict) and isinstance(shard.get("name"), str):
            found.setdefault(str(shard.get("repo", "")), []).append(shard["name"])
    return {repo: tuple(names) for repo, names in found.items()}


def _write_manifest(out: Path, repos: Sequence[Repo], spec: Spec, shards: Sequence[Shard], code: str) -> None:
    from packer.chunker import mask_path

    data = {
        "format": FORMAT,
        "code": code,
        "options": asdict(spec),
        "repos": [{"name": r.name, "path": mask_path(r.path), "commit": r.commit} for r in repos],
        "chunks": sum(s.rows for s in shards),
        "files": sum(s.files for s in shards),
        "shards": [
            {"name": s.name, "repo": repos[int(s.name.split("-")[1])].name, "rows": s.rows, "files": s.files}
            for s in shards
        ],
    }
    _atomic(out / MANIFEST, (json.dumps(data, indent=1) + "\n").encode())


def _drop_stale(out: Path, shards: Sequence[Shard]) -> None:
    """Shards of earlier runs that this run's manifest does not list, and the temporary
    files of writes that never finished: files named as a shard's exactly, nothing else."""
    keep = {s.name for s in shards}
    for entry in os.scandir(out / SHARDS):
        found = _SHARD_FILE.fullmatch(entry.name)
        if found is None or entry.is_dir(follow_symlinks=False):
            continue
        if found.group(1) not in keep or found.group(2):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


# -- engines -------------------------------------------------------------------------------------


def _run_local(
    repos: Sequence[Repo],
    spec: Spec,
    out: str,
    previous: dict[str, tuple[str, ...]],
    jobs: int | None,
    address: str | None,
    sizes: tuple[int, int],
    code: str,
    progress: Progress | None,
) -> list[Shard]:
    """The batches on a pool of forked processes (none with one job)."""
    from packer import measure

    if address is not None:
        raise ConfigError("an address is for --ray; drop it, or pass --ray")
    batches = [
        b
        for i, r in enumerate(repos)
        for b in list_batches(i, r, spec, files=sizes[0], nbytes=sizes[1], code=code)
    ]
    workers = jobs or measure.workers()
    work = [(b, repos[b.repo], spec, out, previous) for b in batches]
    if workers <= 1 or len(batches) <= 1 or not measure.can_fork():
        results: Iterable[Shard] = (run_batch(*w) for w in work)
        return _reported(results, len(batches), progress)
    pool = measure.fork_pool(workers)
    try:
        return _reported(pool.map(_run_packed, work), len(batches), progress)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_packed(args: tuple[Batch, Repo, Spec, str, dict[str, tuple[str, ...]]]) -> Shard:
    return run_batch(*args)


def _reported(results: Iterable[Shard], total: int, progress: Progress | None) -> list[Shard]:
    shards = []
    for shard in results:
        shards.append(shard)
        if progress is not None:
            progress("chunk", len(shards), total)
    return shards


def _run_ray(
    repos: Sequence[Repo],
    spec: Spec,
    out: str,
    previous: dict[str, tuple[str, ...]],
    jobs: int | None,
    address: str | None,
    sizes: tuple[int, int],
    code: str,
    progress: Progress | None,
) -> list[Shard]:
    """Ray Data: the repositories as a dataset, their batches listed by a `flat_map` on the
    workers, each batch chunked and written by a `map`; the driver gathers the shards."""
    ray = _start_ray(address, jobs)
    try:
        # The driver's code key: every batch is keyed as this packer keys it.
        items = [{"repo": i, "spec": asdict(spec), "code": code, **asdict(r)} for i, r in enumerate(repos)]
        ds = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
        ds = ds.flat_map(lambda item: _listed(item, sizes))
        # One batch a block: else the map is fused with the listing, one task a repository.
        ds = ds.repartition(target_num_rows_per_block=1)
        ds = ds.map(lambda item: _chunked(item, out, previous))
        shards = []
        for row in ds.iter_rows():
            shards.append(Shard(row["name"], row["rows"], row["files"], tuple(row["digests"]), row["reused"],
                                row["resumed"]))  # fmt: skip
            if progress is not None:
                progress("chunk", len(shards), 0)
        return shards
    finally:
        ray.shutdown()  # stops the local Ray; from a cluster, only this driver disconnects


def _listed(item: dict[str, Any], sizes: tuple[int, int]) -> list[dict[str, Any]]:
    repo = Repo(item["name"], item["path"], item["commit"])
    spec = _spec(item["spec"])
    batches = list_batches(item["repo"], repo, spec, files=sizes[0], nbytes=sizes[1], code=item["code"])
    return [
        {"batch": json.dumps(asdict(b)), "repo": json.dumps(asdict(repo)), "spec": item["spec"]}
        for b in batches
    ]


def _chunked(item: dict[str, Any], out: str, previous: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    raw = json.loads(item["batch"])
    batch = Batch(raw["repo"], raw["number"], tuple(tuple(f) for f in raw["files"]), raw["key"])
    shard = run_batch(batch, Repo(**json.loads(item["repo"])), _spec(item["spec"]), out, previous)
    return {**asdict(shard), "digests": list(shard.digests)}


def _spec(raw: dict[str, Any]) -> Spec:
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    return Spec(**fields)


def _start_ray(address: str | None, jobs: int | None) -> Any:
    """Ray, connected: to `address` (or RAY_ADDRESS), else a local Ray started for this run
    on 127.0.0.1 only, without usage statistics."""
    local = address is None and not os.environ.get("RAY_ADDRESS")
    if local:
        # Read when ray is imported: set first. See the module docstring.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ConfigError(
            "--ray needs Ray: pip install 'packer[ray]' (or drop --ray for the local pool)"
        ) from exc
    if local:
        from ray._private import ray_constants

        if ray_constants.ENABLE_RAY_CLUSTER:  # imported before packer could set the switch
            raise ConfigError(
                "ray was imported before packer could start it on 127.0.0.1 only; set "
                "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 and RAY_USAGE_STATS_ENABLED=0 before it is imported"
            )
        ray.init(num_cpus=jobs or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)  # fmt: skip
    else:
        ray.init(address=address or "auto", log_to_driver=False)
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # packer reports its own progress
    return ray


def rows(out_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every row of a finished output directory, shard by shard as its manifest lists them."""
    out = Path(out_dir)
    if not _ours(out):
        raise PackerError(f"{out}: no manifest.json of packer's; run packer chunk --repos first")
    try:
        manifest = json.loads(_read_regular(out / MANIFEST) or b"null")
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), list):
        raise PackerError(f"{out}: its manifest.json is missing or damaged; run packer chunk --repos again")
    for s in manifest["shards"]:
        meta = _record(out / SHARDS, s["name"])
        files = _whole(out / SHARDS, s["name"], meta) if meta is not None else None
        if files is None or ".jsonl" not in files:
            raise PackerError(
                f"{out}: shard {s['name']} is missing or damaged; run packer chunk --repos again"
            )
        for line in files[".jsonl"].splitlines():
            yield json.loads(line)
