"""Atomic, streaming writes: a reader never sees a partial output file."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_text(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Write to a temp file beside `path`, rename over it only on success.

    On any exception (Ctrl-C included) the temp file is removed and `path` is left as
    it was. Newlines are written untranslated so the bytes are what was counted.
    """
    target = Path(path)
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


def write_json(path: str | os.PathLike[str], data: object) -> None:
    with atomic_text(path) as f:
        # ASCII escapes keep names with undecodable bytes (lone surrogates) valid JSON.
        json.dump(data, f, ensure_ascii=True, indent=1)
        f.write("\n")
