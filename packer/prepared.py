"""What every pack shape shares: the prepared repository, and how a pack's header and
result are made from it.

`pipeline.prepare` walks, measures, ranks and deduplicates once; the shapes (`single`,
`split`) then fit and write one or several packs from the same `Prepared`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packer import rank
from packer.config import PackConfig
from packer.fit import Plan
from packer.measure import Costs, Measured
from packer.output import Writer
from packer.records import (
    Decision,
    Duplicate,
    FileInfo,
    PackResult,
    PackStats,
    Part,
    Secret,
    Skip,
    Stage,
    Task,
    WalkResult,
)
from packer.render import Header, Renderer
from packer.tree import Tree


@dataclass
class Prepared:
    """What every pack of one repository and task shares, whatever its budget or shape."""

    root: Path
    cfg: PackConfig
    task: Task
    walked: WalkResult
    measured: Measured
    costs: Costs
    renderer: Renderer
    skipped: list[Skip]
    ranked: list[rank.Ranked]  # best first; focus and changed files lead
    focus: set[int]
    dup_of: dict[int, str]  # copies (never focus files) -> the canonical path
    duplicates: list[Duplicate]
    diff: str  # the rendered diff block, "" without one
    edges: list[tuple[int, int]]  # file reference pairs (empty without the graph)
    write: Writer  # how each pack is written (`write.write_blocks`, or a test's fault)
    timings: dict[str, float] = field(default_factory=dict)
    diff_secrets: tuple[Secret, ...] = ()  # found in the diff's sections
    progress: Callable[[str, int, int], None] | None = None  # the caller's, for fit, render, verify
    diff_shown: int = 0  # the diff's sections shown (not omitted for a file the pack leaves out)

    @property
    def infos(self) -> list[FileInfo]:
        return self.measured.infos

    def report(self, stage: Stage, done: int, total: int) -> None:
        """Tell the caller's progress callback, if any, where the pack is."""
        if self.progress is not None:
            self.progress(stage, done, total)


class Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - self.t, 3)
        self.t = now


def make_header(
    prep: Prepared,
    cfg: PackConfig,
    plan: Plan | None,
    total: int,
    n_listed: int,
    *,
    files_full: int | None = None,
    files_skeleton: int | None = None,
    part: int = 0,
    parts: int = 0,
) -> Header:
    modes = plan.modes.values() if plan else ()
    return Header(
        root_name=prep.root.name or str(prep.root),
        target=cfg.target.name,
        model=cfg.target.model,
        encoding=cfg.encoding,
        budget=cfg.budget,
        total_tokens=total,
        files_full=files_full if files_full is not None else sum(m == "full" for m in modes),
        files_skeleton=(
            files_skeleton if files_skeleton is not None else sum(m == "skeleton" for m in modes)
        ),
        files_listed=n_listed,
        files_skipped=len(prep.skipped),
        part=part,
        parts=parts,
    )


def settle_header(
    count: Callable[[str], int], renderer: Renderer, make: Callable[[int], Header], rest: int
) -> tuple[Header, int]:
    """Find the header whose stated total equals the real total (header included).

    A number's token count only grows with its digits, so this converges in a few steps.
    """
    total = rest
    for _ in range(16):
        header = make(total)
        new_total = rest + count(renderer.header(header))
        if new_total == total:
            return header, total
        total = new_total
    raise AssertionError("header total did not settle")  # pragma: no cover


def copy_decisions(prep: Prepared, tree: Tree | None) -> list[Decision]:
    infos = prep.infos
    return [
        Decision(
            infos[i].path,
            "listed",
            tree.line_tokens(i) if tree else 0,
            0.0,
            f"duplicate of {p}",
            size=infos[i].tokens,
        )
        for i, p in sorted(prep.dup_of.items(), key=lambda kv: infos[kv[0]].path)
    ]


def pack_result(
    prep: Prepared,
    cfg: PackConfig,
    total: int,
    decisions: tuple[Decision, ...],
    packed: Sequence[int],
    out_path: str | None,
    parts: tuple[Part, ...],
    warnings: Sequence[str] = (),
) -> PackResult:
    walked = prep.walked
    n_packed = len(packed)
    task = prep.task
    return PackResult(
        root=str(prep.root),
        encoding=cfg.encoding,
        target=cfg.target.name,
        budget=cfg.budget,
        total_tokens=total,
        files=_sized(prep, decisions),
        skipped=tuple(prep.skipped),
        duplicates=tuple(prep.duplicates),
        warnings=(*walked.warnings, *warnings),
        stats=PackStats(
            files_seen=len(walked.files) + len(walked.skipped),
            files_packed=n_packed,
            files_listed=len(prep.infos) - n_packed,
            files_skipped=len(prep.skipped),
            seconds=prep.timings,
            counted_at_fit=prep.costs.counted,
        ),
        output_path=out_path,
        parts=parts,
        secrets=_secrets(prep, packed),
        query=task.query,
        focus=task.focus,
        diff=task.diff_ref,
        staged=task.staged,
        diff_shown=prep.diff_shown,
    )


def _sized(prep: Prepared, decisions: tuple[Decision, ...]) -> tuple[Decision, ...]:
    """The decisions, each listed file with its own size (what leaving it out saved)."""
    missing = [k for k, d in enumerate(decisions) if d.size is None and d.mode == "listed"]
    if not missing:  # the fitter's own decisions have their sizes (a large repository lists 77K)
        return decisions
    size = {f.path: f.tokens for f in prep.infos}
    out = list(decisions)
    for k in missing:
        d = out[k]
        out[k] = Decision(d.path, d.mode, d.tokens, d.score, d.reason, d.part, size.get(d.path))
    return tuple(out)


def _secrets(prep: Prepared, packed: Sequence[int]) -> tuple[Secret, ...]:
    found = (*prep.walked.secrets, *prep.costs.found(packed))
    seen = set(found)  # a diff line of a packed file names the same secret as the file: once
    return (*found, *(s for s in prep.diff_secrets if s not in seen), *prep.task.query_secrets)
