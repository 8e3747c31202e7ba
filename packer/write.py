"""Writing a pack: its blocks in order, to a path (atomically), a stream, or nowhere, and
the check that the written file holds the tokens its header states."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from packer import output as outputs
from packer.config import PackConfig
from packer.errors import ConfigError
from packer.output import Output, atomic_text
from packer.prepared import Prepared
from packer.records import Mode
from packer.render import Header

__all__ = ["Output", "check_outputs", "render_blocks", "verify_written", "write_blocks"]


def check_outputs(
    root: Path,
    cfg: PackConfig,
    output: Output,
    manifest: str | os.PathLike[str] | None,
    also: Sequence[str | os.PathLike[str]],
) -> frozenset[str]:
    """Refuse a bad output path before any work; the paths this run writes."""
    for p in (output, manifest, *also):
        if isinstance(p, (str, os.PathLike)):
            outputs.check_no_link_below(p, root)
    paths: list[str | os.PathLike[str]] = [*also]
    to_file: str | os.PathLike[str] | None = None
    if isinstance(output, (str, os.PathLike)):
        to_file = None if outputs.check(output) else output
        paths.append(output)
        if cfg.parts is not None or cfg.auto:  # parts of this split, or of an earlier one
            paths += [p for _, p in outputs.existing_parts(output)]
    if manifest is not None:
        # Both to one stream (/dev/null) is fine; both to one file loses the pack.
        if (
            not outputs.check(manifest)
            and to_file is not None
            and (
                outputs.same_file(to_file, manifest)
                or ((cfg.parts is not None or cfg.auto) and outputs.is_part_path(to_file, manifest))
            )
        ):
            raise ConfigError(
                f"-o and --manifest both name {os.fspath(manifest)}; the manifest "
                "would replace the pack: give it another name"
            )
        paths.append(manifest)
    return outputs.canonical_paths(paths)


def render_blocks(
    prep: Prepared, header: Header, lines: Sequence[str], diff: str, files: Sequence[tuple[int, Mode]]
) -> Iterable[str]:
    renderer, costs = prep.renderer, prep.costs
    yield renderer.header(header)
    yield renderer.tree_open()
    for n, line in enumerate(lines):
        if n:
            yield renderer.tree_separator()
        yield renderer.tree_line(line)
    yield renderer.tree_close()
    yield diff
    yield renderer.files_open()
    prep.report("render", 0, len(files))
    for n, (i, mode) in enumerate(files):
        info = prep.infos[i]
        text = costs.written_text(i, mode)
        if n:
            yield renderer.file_separator()
        yield renderer.file_block(info.path, text, mode, info.language)
        prep.report("render", n + 1, len(files))
    yield renderer.footer()


def write_blocks(blocks: Iterable[str], output: Output) -> str | None:
    if output is None:
        for _ in blocks:  # still re-read files, so a vanished file is reported
            pass
        return None
    if isinstance(output, (str, os.PathLike)):
        with atomic_text(output) as f:
            for b in blocks:
                f.write(b)
        return os.fspath(output)
    for b in blocks:
        output.write(b)
    return None


def verify_written(prep: Prepared, path: str, total: int) -> None:
    """Re-count a written pack: the stated total must be the file's real count (a stream
    written through, such as a FIFO or a device, cannot be read back)."""
    if outputs.check(path):  # written through: /dev/stdout may be a file another wrote to first
        return
    prep.report("verify", 0, 1)
    with open(path, encoding="utf-8", newline="") as f:
        actual = prep.costs.count_long(f.read())
    prep.report("verify", 1, 1)
    if actual != total:  # pragma: no cover - a renderer bug, never user error
        raise AssertionError(f"{path} has {actual} tokens, the manifest says {total}")
