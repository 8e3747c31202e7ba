"""`packer stats`: where the tokens are, so a user sees what to exclude."""

from __future__ import annotations

import os
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packer.cache import Cache
from packer.config import Options, resolve
from packer.errors import PackerError
from packer.measure import Work
from packer.pipeline import Progress, measure, walk
from packer.records import FileInfo


@dataclass(frozen=True)
class Entry:
    path: str
    tokens: int
    files: int = 1
    language: str | None = None  # a file's language (None for directories): colours the HTML report


@dataclass(frozen=True)
class StatsResult:
    root: str
    encoding: str
    files: int
    total_tokens: int
    directories: tuple[Entry, ...]  # largest first
    largest: tuple[Entry, ...]  # files, largest first
    skipped: tuple[Any, ...]
    skipped_by_reason: tuple[tuple[str, int], ...]
    warnings: tuple[str, ...] = ()  # e.g. a cache that was refused or damaged


def stats(
    root: str | os.PathLike[str] = ".",
    options: Options | None = None,
    *,
    depth: int = 2,
    progress: Progress | None = None,
) -> StatsResult:
    """Exact content tokens of every packable file, by directory (down to `depth`) and file.

    Of `options` only the file selection (`include`, `exclude`, `gitignore`,
    `max_file_size`, `keep`), `encoding`, the cache (`cache`, `cache_dir`), `jobs` and
    `config` count; the rest is resolved (and checked) as for a pack, then unused.
    """
    path = Path(root)
    if not path.is_dir():
        raise PackerError(f"{os.fspath(root)!r} is not a directory; pass the repository's directory")
    path = path.resolve()
    cfg = resolve(path, options or Options())
    walked = walk(path, cfg)

    store = Cache(cfg.cache_dir) if cfg.cache else None
    work = Work(
        keep=cfg.keep,
        max_file_size=cfg.max_file_size,
        encoding=cfg.encoding,
        format=None,
        count=True,
        fingerprints=False,
        jobs=cfg.jobs,
        cache_dir=str(store.directory) if store is not None else None,
    )
    try:
        measured = measure(walked.files, work=work, cache=store, progress=progress)
    finally:
        if store is not None:
            store.close()
    skipped = sorted([*walked.skipped, *measured.skipped], key=lambda s: s.path)
    reasons = Tally(s.label for s in skipped)
    return StatsResult(
        root=str(path),
        encoding=cfg.encoding,
        files=len(measured.infos),
        total_tokens=sum(i.tokens for i in measured.infos),
        directories=_by_directory(measured.infos, depth),
        largest=tuple(
            sorted(
                (Entry(i.path, i.tokens, language=i.language) for i in measured.infos),
                key=lambda e: (-e.tokens, e.path),
            )
        ),
        skipped=tuple(skipped),
        skipped_by_reason=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        warnings=tuple(store.warnings) if store is not None else (),
    )


def _by_directory(infos: Sequence[FileInfo], depth: int) -> tuple[Entry, ...]:
    """Tokens and files of each directory down to `depth`, largest first."""
    dirs: dict[str, list[int]] = {}
    for info in infos:
        parts = info.path.split("/")[:-1][: max(depth, 0)]
        for k in range(1, len(parts) + 1):
            acc = dirs.setdefault("/".join(parts[:k]) + "/", [0, 0])
            acc[0] += info.tokens
            acc[1] += 1
    return tuple(sorted((Entry(p, t, n) for p, (t, n) in dirs.items()), key=lambda e: (-e.tokens, e.path)))


def summary(result: StatsResult, top: int) -> dict[str, object]:
    """The figures as data (`stats --json`, the MCP `stats` tool): the first `top`
    directories and files, and the skipped files counted by reason."""
    top = max(top, 0)
    return {
        "root": result.root,
        "encoding": result.encoding,
        "files": result.files,
        "total_tokens": result.total_tokens,
        "directories": [
            {"path": d.path, "tokens": d.tokens, "files": d.files} for d in result.directories[:top]
        ],
        "largest": [{"path": f.path, "tokens": f.tokens} for f in result.largest[:top]],
        "skipped": len(result.skipped),
        "skipped_by_reason": dict(result.skipped_by_reason),
        "warnings": list(result.warnings),
    }
