"""Atomic, streaming writes: a reader never sees a partial output file."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_text(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Write to a temp file beside `path`, rename over it only on success; a device,
    FIFO or socket at `path` is written through instead (issue 13 owns the rest of the
    output rules).

    On any exception (Ctrl-C included) the temp file is removed and `path` is left as
    it was. Newlines are written untranslated so the bytes are what was counted.
    """
    target = Path(path)
    if _is_stream(target):  # /dev/null, a FIFO, /dev/stdout: written through, never replaced
        with open(target, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_stream(path: Path) -> bool:
    """Whether `path` is something other than a regular file or a new path: a device, a
    FIFO or a socket, which a rename would replace (as root, /dev/null itself)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def write_json(path: str | os.PathLike[str], data: object) -> None:
    with atomic_text(path) as f:
        f.write(dumps_lines(data))
        f.write("\n")


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
