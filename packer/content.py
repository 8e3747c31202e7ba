"""Read one candidate file and decide whether it is source text worth packing.

The checks, in order (each kind can be kept with `keep=`, see `KEEP_KINDS`):
lockfiles and `*.min.*` bundles by name (no read needed); then the bytes: binary
(a NUL in the first 8000 bytes as git decides, or mostly control bytes, unless a
UTF-16/32 BOM says it is text), undecodable (not UTF-8 and no BOM), generated
(an `@generated` or `DO NOT EDIT` marker in a comment near the top) and minified
(very long lines). Text is returned exactly as stored: CRLF and tabs stay, only a
leading BOM is removed.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from collections.abc import Collection
from fnmatch import fnmatchcase

import xxhash

from packer import output
from packer.records import Candidate, Skip, SourceText

LOCKFILE_NAMES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "Cargo.lock",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "composer.lock",
        "Gemfile.lock",
        "go.sum",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "Podfile.lock",
        "packages.lock.json",
        "gradle.lockfile",
    }
)
MINIFIED_GLOBS = ("*.min.js", "*.min.css", "*.min.mjs")

# git's buffer_is_binary() looks this far for a NUL byte.
SNIFF_BYTES = 8000
# Bytes that do not occur in text: C0 controls other than \t \n \v \f \r and ESC, and DEL.
_CONTROL = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])
_CONTROL_RATIO = 0.3
# Minified: lines long on average (wrapped bundles), or most text in lines no one would write.
MINIFIED_MIN_SIZE = 2048
MINIFIED_MEAN_LINE = 300
MINIFIED_LONG_LINE = 1000
MINIFIED_LONG_SHARE = 2 / 3
MINIFIED_SAMPLE_CHARS = 65536
# Where a generated-file marker must appear: the header, in a comment.
MARKER_HEAD_CHARS = 2048
MARKER_HEAD_LINES = 30
_BLOCK_COMMENTS = {"/*": "*/", '"""': '"""', "'''": "'''", "<!--": "-->", "{-": "-}", "(*": "*)"}
# "#" also covers C preprocessor lines (include guards) and shebangs.
_LINE_COMMENTS = ("#", "//", "--", ";", "%", "*")
_PROLOGS = ("<?", "<!DOCTYPE")

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in for the file never blocks
    | getattr(os, "O_NOFOLLOW", 0)  # nor does a symlink swapped in get followed
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_source(
    c: Candidate, *, keep: Collection[str] = (), max_file_size: int | None = 1_000_000
) -> SourceText | Skip:
    """The decoded text of `c`, or a `Skip` saying why it is not packed."""
    reason = skipped_by_name(c.path, keep)
    if reason:
        return Skip(c.path, reason)
    data = _read(c, max_file_size)
    if isinstance(data, Skip):
        return data
    decoded = _decode(data, keep)
    if isinstance(decoded, str):
        return Skip(c.path, decoded)
    text, encoding = decoded
    if output.looks_like_output(text[: output.HEAD_CHARS]):  # an earlier pack or manifest
        return Skip(c.path, output.PACKER_OUTPUT)
    if "generated" not in keep and has_generated_marker(text):
        return Skip(c.path, "generated (marker)")
    if "minified" not in keep and looks_minified(text):
        return Skip(c.path, "minified")
    return SourceText(
        path=c.path,
        abspath=c.abspath,
        text=text,
        size=len(data),
        digest=xxhash.xxh3_64_hexdigest(data),
        encoding=encoding,
    )


def read_again(c: Candidate, digest: str, *, keep: Collection[str] = (),
               max_file_size: int | None = 1_000_000) -> SourceText | None:
    """The text of a file `read_source` accepted before, if its bytes still have `digest`.

    The same bytes get the same verdict, so only the decoding is done again.
    """
    data = _read(c, max_file_size)
    if isinstance(data, Skip) or xxhash.xxh3_64_hexdigest(data) != digest:
        return None
    decoded = _decode(data, keep)
    if isinstance(decoded, str):  # pragma: no cover - read_source accepted these bytes
        return None
    return SourceText(path=c.path, abspath=c.abspath, text=decoded[0], size=len(data), digest=digest,
                      encoding=decoded[1])


def skipped_by_name(path: str, keep: Collection[str]) -> str | None:
    """Why a file is left out by its name alone (lockfiles, `*.min.js`), if it is."""
    name = path.rpartition("/")[2]
    if "lockfile" not in keep and is_lockfile(name):
        return "lockfile"
    if "minified" not in keep and any(fnmatchcase(name, g) for g in MINIFIED_GLOBS):
        return "minified"
    return None


def is_lockfile(name: str) -> bool:
    return name in LOCKFILE_NAMES or name.endswith(".lock")


def read_bytes(c: Candidate, max_file_size: int | None = None) -> bytes | Skip:
    """The file's bytes, opened as `read_source` opens it: a FIFO or a symlink swapped in
    for the file is refused (a `Skip`), never waited on or followed."""
    return _read(c, max_file_size)


def _read(c: Candidate, max_file_size: int | None) -> bytes | Skip:
    try:
        fd = os.open(c.abspath, _OPEN_FLAGS)
    except FileNotFoundError:
        return Skip(c.path, "vanished before it was read")
    except OSError as e:
        if e.errno == errno.ELOOP:
            return Skip(c.path, "not a regular file (symlink)")
        return Skip(c.path, f"unreadable: {e.strerror}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Skip(c.path, "not a regular file")
        limit = None if max_file_size is None else max_file_size + 1
        chunks: list[bytes] = []
        total = 0
        while limit is None or total < limit:
            chunk = os.read(fd, 1 << 20 if limit is None else min(1 << 20, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as e:
        return Skip(c.path, f"unreadable: {e.strerror}")
    finally:
        os.close(fd)
    if max_file_size is not None and total > max_file_size:
        size = max(st.st_size, total)
        return Skip(c.path, f"too large ({size} bytes > {max_file_size})")
    return b"".join(chunks)


def _decode(data: bytes, keep: Collection[str]) -> tuple[str, str] | str:
    """(text, encoding), or the skip reason."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)  # the codec consumes the BOM
            except UnicodeDecodeError:
                break
            if "\x00" not in text:
                return text, encoding
            break  # a NUL decoded from "UTF-16" means the BOM was a coincidence
    if is_binary(data):
        if "binary" not in keep:
            return "binary"
        return data.decode("utf-8", "replace"), "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[len(codecs.BOM_UTF8) :]
    else:
        encoding, body = "utf-8", data
    try:
        return body.decode("utf-8"), encoding
    except UnicodeDecodeError:
        if "undecodable" not in keep:
            return "undecodable (not UTF-8)"
        return body.decode("utf-8", "replace"), encoding


def is_binary(data: bytes) -> bool:
    """Git's test (a NUL near the start) plus a majority of control bytes."""
    head = data[:SNIFF_BYTES]
    if b"\x00" in head:
        return True
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls > _CONTROL_RATIO * len(head)


def has_generated_marker(text: str) -> bool:
    """An `@generated` / `DO NOT EDIT` marker in the header comments, as Go's rule has it.

    Only comments before the first line of code count, so a generator that writes
    the marker into its output (`header = "# DO NOT EDIT"`) is not taken for one.
    """
    head = text[:MARKER_HEAD_CHARS]
    if "DO NOT EDIT" not in head and "@generated" not in head:
        return False
    closer: str | None = None  # inside a block comment, the text that ends it
    for line in head.splitlines()[:MARKER_HEAD_LINES]:
        stripped = line.strip()
        if closer is not None:
            if _has_marker(stripped):
                return True
            if closer in stripped:
                closer = None
            continue
        if not stripped or stripped.startswith(_PROLOGS):
            continue
        opener = next((o for o in _BLOCK_COMMENTS if stripped.startswith(o)), None)
        if opener is None and not stripped.startswith(_LINE_COMMENTS):
            return False  # the first line of code: the header is over
        if _has_marker(stripped):
            return True
        if opener is not None and _BLOCK_COMMENTS[opener] not in stripped[len(opener) :]:
            closer = _BLOCK_COMMENTS[opener]
    return False


def _has_marker(line: str) -> bool:
    return "DO NOT EDIT" in line or "@generated" in line


def looks_minified(text: str) -> bool:
    """Bundler output: lines long on average, or most of the text in very long lines.

    One long literal in otherwise normal source (a big number in a test) does not count.
    """
    if len(text) <= MINIFIED_MIN_SIZE:
        return False
    sample = min(len(text), MINIFIED_SAMPLE_CHARS)  # counting newlines costs ~1 ns a char
    if sample / (text.count("\n", 0, sample) + 1) > MINIFIED_MEAN_LINE:
        return True
    return _chars_in_long_lines(text, MINIFIED_LONG_LINE) >= MINIFIED_LONG_SHARE * len(text)


def _chars_in_long_lines(text: str, limit: int) -> int:
    """How many characters sit in lines longer than `limit`.

    A line longer than `limit` covers a whole window of `limit // 2` characters, so
    only windows without a newline need a closer look: no split of every file.
    """
    step = max(limit // 2, 1)
    total = 0
    start = 0
    while start < len(text):
        if text.find("\n", start, start + step) >= 0:
            start += step
            continue
        first = text.rfind("\n", 0, start) + 1
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if end - first > limit:
            total += end - first
        start = end + 1
    return total
