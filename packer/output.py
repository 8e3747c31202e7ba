"""The one writer of everything packer writes: packs, parts, manifests, chunks, reviews.

A regular file (or a new path) is written to a temp file beside it and renamed into
place only when complete, so a reader never sees half a pack; the new file gets the
mode the umask gives a new file, or keeps the mode of the file it replaces. Anything
else at the path (a character device, a FIFO, a socket, `/dev/stdout`, `/dev/fd/N`)
is opened and written through: a rename would replace it (as root, `-o /dev/null`
once replaced the machine's /dev/null). A symlink is refused unless it leads to such
a stream: a repository must not be able to redirect packer's writes. Every problem
with the path is a `PackerError` naming the path and the fix, raised before any work.

The temp files are named `.NAME.packer-PID-XXXXXXXX.tmp`. The walker skips them, and
the next write of NAME removes those whose process is gone (a killed run). Packs and
manifests are also recognised by their first bytes (`looks_like_output`), so a pack
never packs an earlier one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO

from packer.errors import PackerError

# Where a pack goes: a path (written atomically), a text stream (written through, block by
# block), or None (nothing written). A writer takes the pack's blocks in order.
Output = str | os.PathLike[str] | IO[str] | None


def is_stream(output: Output) -> bool:
    """Whether the blocks go to the caller's text stream: written as they come, so what
    went out before an error stays out (a path is written whole or not at all)."""
    return output is not None and not isinstance(output, (str, os.PathLike))


Writer = Callable[[Iterable[str], Output], str | None]

PathArg = str | os.PathLike[str]

TEMP_NAME = re.compile(r"\A\.(?P<name>.+)\.packer-(?P<pid>\d+)-[0-9a-f]{8}\.tmp\Z", re.DOTALL)
# The first bytes of what packer writes (see render.header_lines, JsonRenderer.header and
# PackResult.manifest; a test renders each and checks it is recognised).
_PACK_HEAD = re.compile(
    r"\A(?:<pack>\n<header>\n|# )?Packed repository: [^\n]*\n\n?(?:- )?Target: [^\n]*\n"
    r"(?:- )?This output: [\d,]+ tokens, exactly counted in "
    r"|\A\{\"packer\": \{\"root\": "
)
_MANIFEST_HEAD = re.compile(r'\A\{\n "version": \d+,\n "root": "[^\n]*",\n "encoding": "[^"\n]*",\n')
# `packer.report`'s page (stats --html, pack --report): its head up to the generator line.
_REPORT_HEAD = re.compile(
    r'\A<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    r'<meta name="generator" content="packer report">\n'
)
_PART_LINE = re.compile(r'\n(?:- )?Part \d+ of \d+: |\A\{"packer": \{[^\n]*"part": \d+, "parts": \d+')
HEAD_CHARS = 1024  # enough for any header line above
_WRITE_FLAGS = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_FD_PATH = re.compile(r"\A/(?:dev/fd|proc/self/fd)/(\d+)\Z")
_STD_PATHS = {"/dev/stdout": 1, "/dev/stderr": 2}


# What an output path's extension says the format is, when no format is given.
_FORMAT_OF_EXTENSION = {
    ".xml": "xml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".txt": "plain",
}
EXTENSION_OF_FORMAT = {"xml": "xml", "markdown": "md", "json": "json", "plain": "txt"}


def format_of_path(output: str | os.PathLike[str] | None) -> str | None:
    """The format a path's extension names (`-o pack.md`: markdown); None for none or "-"."""
    if output is None or os.fspath(output) == "-":
        return None
    return _FORMAT_OF_EXTENSION.get(os.path.splitext(os.fspath(output))[1].lower())


def looks_like_output(head: str) -> bool:
    """Whether text starting with `head` is a pack (any format, any part), a manifest or a
    report page: what packer wrote, never to be packed again."""
    return bool(_PACK_HEAD.match(head) or _MANIFEST_HEAD.match(head) or _REPORT_HEAD.match(head))


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of the writer's temp files."""
    return TEMP_NAME.match(name) is not None


def is_packer_part(path: PathArg) -> bool:
    """Whether the regular file at `path` is one part of a split pack."""
    head = _head(path)
    return head is not None and bool(_PACK_HEAD.match(head)) and bool(_PART_LINE.search(head))


def _head(path: PathArg) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, HEAD_CHARS * 4).decode("utf-8", "replace")
    finally:
        os.close(fd)


# -- checking a path ---------------------------------------------------------------------


def check(path: PathArg) -> bool:
    """Whether `path` can be written: True for a stream written through, False for a file
    written by rename. Raises PackerError (one line: the path and the fix) otherwise."""
    p = os.fspath(path)
    if p in _STD_PATHS or _FD_PATH.match(p):
        return True
    try:
        st = os.lstat(p)
    except (FileNotFoundError, NotADirectoryError):  # the directory is checked below
        st = None
    except OSError as e:
        raise PackerError(f"cannot write {p}: {e.strerror}; choose another output path") from e
    if st is not None and stat.S_ISLNK(st.st_mode):
        try:
            target = os.stat(p)
        except OSError:
            target = None
        if target is None or not _is_stream_mode(target.st_mode):
            raise PackerError(
                f"{p} is a symbolic link; packer does not write through links "
                "(a repository could point one anywhere): remove it or name the file it "
                "points to"
            )
        return True
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            example = os.path.join(p, "pack.xml")
            raise PackerError(f"{p} is a directory; name a file to write, such as {example}")
        if stat.S_ISBLK(st.st_mode):
            raise PackerError(
                f"{p} is a block device; packer writes only to files, pipes and character devices"
            )
        if _is_stream_mode(st.st_mode):
            return True
    parent = os.path.dirname(p) or "."
    if not os.path.isdir(parent):
        what = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise PackerError(f"cannot write {p}: {parent} {what}; create the directory first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PackerError(f"cannot write {p}: {parent} is not writable; choose a writable location")
    return False


def check_no_link_below(path: PathArg, root: PathArg) -> None:
    """Refuse an output inside `root` (the repository being packed) whose directories pass
    through a symlink inside it: the repository's `out -> /etc/cron.d` would otherwise
    take `-o out/pack.xml` wherever it points. (Links above the repository, such as a
    symlinked home directory, are the user's own and are followed.)"""
    top = os.path.realpath(os.fspath(root))
    parts = os.path.dirname(os.path.abspath(os.fspath(path))).split(os.sep)
    for k in range(1, len(parts) + 1):  # the lexical prefix that is the repository
        if os.path.realpath(os.sep.join(parts[:k]) or os.sep) != top:
            continue
        current = os.sep.join(parts[:k]) or os.sep
        for part in parts[k:]:
            current = os.path.join(current, part)
            if os.path.islink(current):
                raise PackerError(
                    f"cannot write {os.fspath(path)}: {current} is a symbolic link inside "
                    "the repository; packer does not write through links (a repository "
                    "could point one anywhere): name the real directory"
                )
        return


def _is_stream_mode(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def same_file(a: PathArg, b: PathArg) -> bool:
    """Whether two output paths name one file (existing or not)."""
    if _canonical(a) == _canonical(b):
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def _canonical(path: PathArg) -> str:
    p = os.path.abspath(os.fspath(path))
    return os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))


def canonical_paths(paths: Sequence[PathArg]) -> frozenset[str]:
    """Absolute paths with their directories resolved, for comparing with a walk's files."""
    return frozenset(_canonical(p) for p in paths)


# -- writing ----------------------------------------------------------------------------


class Sink:
    """The text stream the writer yields: an OS error while writing becomes a PackerError
    naming the output (a full disk, a quota), while errors of the caller's own code inside
    the `with` (reading a repository file) pass through untouched."""

    def __init__(self, stream: IO[str], path: str) -> None:
        self._stream = stream
        self.path = path

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as e:
            raise _write_error(self.path, e) from e

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as e:
            raise _write_error(self.path, e) from e


def _write_error(path: str, e: OSError) -> Exception:
    if e.errno == errno.EPIPE:
        return e  # a closed pipe ends quietly; the CLI knows how
    return PackerError(f"cannot write {path}: {e.strerror}; choose a writable location with free space")


@contextlib.contextmanager
def atomic_text(path: PathArg, *, keep_partial: bool = False) -> Iterator[Sink]:
    """A text stream to `path`, by the rules in the module docstring.

    A file is renamed into place only on success: on an exception (Ctrl-C included) the
    temp file is removed and `path` is left as it was, unless `keep_partial` (a review's
    answer: what arrived is worth keeping). Newlines are written untranslated so the bytes
    are what was counted.
    """
    p = os.fspath(path)
    opened = _open_stream(p) if check(p) else _replacing(p, keep_partial)
    try:
        stream = opened.__enter__()
    except OSError as e:
        raise _write_error(p, e) from e
    try:
        yield Sink(stream, p)
    except BaseException:
        if not opened.__exit__(*sys.exc_info()):
            raise
    else:
        try:
            opened.__exit__(None, None, None)
        except OSError as e:
            raise _write_error(p, e) from e


@contextlib.contextmanager
def _open_stream(p: str) -> Iterator[IO[str]]:
    m = _FD_PATH.match(p)
    fd_number = _STD_PATHS.get(p, int(m.group(1)) if m else None)
    if fd_number is not None:
        # The descriptor itself, shared: /dev/stdout redirected to a file keeps its offset
        # (opening the path anew would truncate what the shell appended).
        fd = os.dup(fd_number)
    else:
        fd = os.open(p, _WRITE_FLAGS)
        if stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a file after the check
            os.close(fd)
            raise PackerError(f"{p} changed while it was opened; run again")
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        yield stream


@contextlib.contextmanager
def _replacing(p: str, keep_partial: bool) -> Iterator[IO[str]]:
    directory, name = os.path.split(p)
    directory = directory or "."
    remove_stale_temps(directory, name)
    try:
        old = os.lstat(p)
    except FileNotFoundError:
        old = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(directory, f".{name}.packer-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            # 0o666 through the umask is the mode any new file gets; an existing file's mode
            # (and, as root, its owner) is kept.
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
    done = False
    try:
        if old is not None and stat.S_ISREG(old.st_mode):
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                with contextlib.suppress(OSError):
                    os.fchown(fd, old.st_uid, old.st_gid)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:  # closed (flushed) on errors too
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                if keep_partial:
                    os.replace(tmp, p)
                else:
                    os.unlink(tmp)


def remove_stale_temps(directory: str, name: str) -> list[str]:
    """Remove temp files of `name` left by a writer that no longer runs (killed mid-write);
    returns their names. A live writer's temp file, another process's, is left alone."""
    removed: list[str] = []
    prefix = f".{name}.packer-"
    try:
        entries = [e.name for e in os.scandir(directory) if e.name.startswith(prefix)]
    except OSError:
        return removed
    for entry in entries:
        m = TEMP_NAME.match(entry)
        if m is None or m.group("name") != name or _alive(int(m.group("pid"))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or no way to tell: keep its file
    return True


def write_text(path: PathArg, text: str) -> None:
    with atomic_text(path) as f:
        f.write(text)


def write_json(path: PathArg, data: object) -> None:
    write_text(path, dumps_lines(data) + "\n")


def dumps_lines(data: object) -> str:
    """JSON with a top-level object's keys and each element of its lists on their own line.

    A 78K-file manifest: json's indenting encoder is pure Python (1.3 s); this runs the C
    encoder once per element. ASCII escapes keep names with undecodable bytes (lone
    surrogates) valid JSON.
    """
    if not isinstance(data, dict):
        return json.dumps(data, ensure_ascii=True)
    parts = []
    for k, v in data.items():
        key = json.dumps(k, ensure_ascii=True)
        if isinstance(v, list) and v:
            items = ",\n  ".join(json.dumps(x, ensure_ascii=True) for x in v)
            parts.append(f" {key}: [\n  {items}\n ]")
        else:
            parts.append(f" {key}: {json.dumps(v, ensure_ascii=True)}")
    return "{\n" + ",\n".join(parts) + "\n}"


def part_paths(base: PathArg, n: int) -> list[str]:
    """NAME.xml -> NAME-1.xml ... NAME-n.xml."""
    stem, ext = os.path.splitext(os.fspath(base))
    return [f"{stem}-{k}{ext}" for k in range(1, n + 1)]


def _part_number(base_name: str, name: str) -> int | None:
    """K if `name` is part K of `base_name` (NAME.ext -> NAME-K.ext), else None."""
    stem, ext = os.path.splitext(base_name)
    m = re.fullmatch(re.escape(stem) + r"-([1-9]\d*)" + re.escape(ext), name)
    return int(m.group(1)) if m else None


def existing_parts(base: PathArg) -> list[tuple[int, str]]:
    """(K, path) of the NAME-K.ext files now beside `base` (any K), sorted by K."""
    directory, base_name = os.path.split(os.fspath(base))
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    found = sorted((k, n) for n in names if (k := _part_number(base_name, n)) is not None)
    return [(k, os.path.join(directory, n)) for k, n in found]


def is_part_path(base: PathArg, path: PathArg) -> bool:
    """Whether `path` is one of the part names of `base` (NAME-K.ext)."""
    base_dir, base_name = os.path.split(_canonical(base))
    path_dir, name = os.path.split(_canonical(path))
    return base_dir == path_dir and _part_number(base_name, name) is not None


def check_parts(paths: Sequence[PathArg]) -> None:
    """Raise before writing if a part path holds a file packer did not write."""
    for p in paths:
        if check(p):
            continue
        if os.path.lexists(p) and not is_packer_part(p):
            raise PackerError(
                f"{os.fspath(p)} exists and is not a part of a packer pack; move it, "
                "or choose another -o name for the parts"
            )


def remove_stale_parts(base: PathArg, n: int) -> list[str]:
    """After writing n parts: remove higher-numbered parts an earlier split left; returns
    those kept because packer did not write them."""
    kept: list[str] = []
    for k, p in existing_parts(base):
        if k <= n:
            continue
        if is_packer_part(p):
            with contextlib.suppress(OSError):
                os.unlink(p)
        else:
            kept.append(p)
    return kept


def ensure_new_placeholder(path: PathArg) -> bool:
    """Create `path` empty if nothing is there (never through a symlink); True if created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except FileExistsError:
        return False
    os.close(fd)
    return True
