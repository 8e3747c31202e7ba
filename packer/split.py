"""Split packs: every relevant file in one of several packs, each within the budget,
grouped by directory and reference graph, with a map of where each file went."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from packer import output as outputs
from packer.config import PackConfig
from packer.errors import BudgetError, ConfigError
from packer.measure import Costs
from packer.parts import map_lines, partition
from packer.prepared import Clock, Prepared, copy_decisions, make_header, pack_result, settle_header
from packer.records import Decision, Mode, PackResult, Part
from packer.write import Output, render_blocks, verify_written

MAP_SHARE = 0.02  # a split pack's map may use this share of a part (at most MAP_MAX tokens)
MAP_MAX = 6_000


@dataclass(frozen=True)
class _Room:
    """What a part holds besides files, and what is left for them."""

    sep: int  # between two files
    frame: int  # tree and files open/close, footer
    map_room: int  # the map of where every file went
    capacity: int  # for files, in every part
    first: int  # for files, in part 1 (which also holds the diff)


@dataclass
class _Placement:
    """How each covered file goes in (full or skeleton) and why the others stay paths."""

    costs: Costs
    sep: int
    modes: dict[int, Mode] = field(default_factory=dict)
    why: dict[int, str] = field(default_factory=dict)

    def cost(self, i: int) -> int:
        c = self.costs(i, self.modes[i])
        assert c is not None
        return c + self.sep


def split(
    prep: Prepared, cfg: PackConfig, output: Output, verify: bool, only: set[int] | None = None
) -> PackResult:
    """Every relevant file in one of several packs, each within the budget.

    Covered: every file but copies (without a task), or the relevant ones (with a task,
    or `only`). A file larger than a part goes in as its skeleton, else stays a path.
    With a fixed number of parts that cannot hold everything, the lowest-ranked files
    are degraded (skeleton, then path) until they fit.
    """
    assert cfg.budget is not None and cfg.parts is not None
    if outputs.is_stream(output):
        raise ConfigError(
            "this pack is split into parts, written to several files: give an "
            "output path (NAME.xml becomes NAME-1.xml, NAME-2.xml, ...)"
        )
    clock = Clock(prep.timings)
    n = len(prep.infos)
    prep.report("fit", 0, n)
    if only is None:
        only = {r.index for r in prep.ranked if r.relevant}
    order = [r.index for r in prep.ranked if r.index in only and r.index not in prep.dup_of]
    prep.costs.prefetch(order)
    room = _room(prep, cfg, cfg.budget)
    placed = _place(order, prep.costs, room)
    groups = _group(prep, order, placed, room, n_parts=cfg.parts or None)
    clock.lap("fit")
    prep.report("fit", n, n)
    groups = _order_parts(prep, groups)
    part_of: dict[int, int] = {i: k + 1 for k, g in enumerate(groups) for i in g}
    written = _write_parts(prep, cfg, groups, placed, room, part_of, output, verify)
    clock.lap("render")
    result = pack_result(
        prep,
        cfg,
        sum(p.total_tokens for p in written),
        _decisions(prep, placed, part_of, only) + tuple(copy_decisions(prep, None)),
        list(part_of),
        written[0].path if written else None,
        tuple(written),
    )
    if isinstance(output, (str, os.PathLike)) and groups:  # an earlier, longer split's parts would
        # read as this one's
        kept = outputs.remove_stale_parts(os.fspath(output), len(groups))
        warnings = (
            f"{p} is not a packer part; it was left as it is, beside this pack's {len(groups)} parts"
            for p in kept
        )
        result = replace(result, warnings=(*result.warnings, *warnings))
    return result


def _room(prep: Prepared, cfg: PackConfig, budget: int) -> _Room:
    """Each part: its header (at its largest), the map, the fixed blocks; part 1 also the diff."""
    costs, renderer = prep.costs, prep.renderer
    map_room = min(MAP_MAX, int(budget * MAP_SHARE))
    frame = sum(
        costs.block(b)
        for b in (renderer.tree_open(), renderer.tree_close(), renderer.files_open(), renderer.footer())
    )
    n = len(prep.infos)
    header_reserve = costs.block(
        renderer.header(
            make_header(prep, cfg, None, budget, n, files_full=n, files_skeleton=n, part=10**6, parts=10**6)
        )
    )
    capacity = budget - header_reserve - map_room - frame
    first = capacity - costs.block(prep.diff)
    if first <= 0:
        raise BudgetError(
            f"a part of {budget:,} tokens cannot hold its header, map"
            + (" and the diff" if prep.diff else "")
            + f"; use --budget {budget - first + 10_000:,} or more"
        )
    sep = costs.block(renderer.file_separator())
    return _Room(sep, frame, map_room, capacity, first)


def _place(order: Sequence[int], costs: Costs, room: _Room) -> _Placement:
    """Full where a part holds it, else the skeleton where one holds that, else a path."""
    placed = _Placement(costs, room.sep)
    for i in order:
        full = costs.full(i) + room.sep
        if full <= room.capacity:
            placed.modes[i] = "full"
            continue
        skel = costs.skeleton(i)
        if skel is not None and skel + room.sep <= room.capacity:
            placed.modes[i] = "skeleton"
        else:
            placed.why[i] = f"larger than a part: full needs {full:,} tokens, a part holds {room.capacity:,}"
    return placed


def _group(
    prep: Prepared, order: Sequence[int], placed: _Placement, room: _Room, *, n_parts: int | None
) -> list[list[int]]:
    """The files in parts; with a fixed number of parts, degraded until they fit."""
    while True:
        items = [i for i in order if i in placed.modes]
        groups = partition(
            [prep.infos[i].path for i in items],
            [placed.cost(i) for i in items],
            capacity=room.capacity,
            first_capacity=room.first,
            parts=n_parts,
            edges=_local_edges(prep.edges, items),
            pinned=[k for k, i in enumerate(items) if i in prep.focus],
        )
        if groups is not None:
            return [[items[k] for k in g] for g in groups]
        if n_parts is None:  # pragma: no cover - every item fits a part by construction
            raise AssertionError("split could not place files that each fit a part")
        _degrade(
            items,
            placed.modes,
            placed.why,
            placed.costs,
            placed.cost,
            room=room.first + (n_parts - 1) * room.capacity,
            n_parts=n_parts,
        )


def _order_parts(prep: Prepared, groups: list[list[int]]) -> list[list[int]]:
    """Parts follow the rank of their best file; with a diff, part 1 (holding it) leads."""
    rank_of = {r.index: k for k, r in enumerate(prep.ranked)}
    lead = groups[:1] if prep.diff else []
    groups = lead + sorted(
        groups[len(lead) :], key=lambda g: min((rank_of[i] for i in g), default=len(rank_of))
    )
    return [sorted(g, key=rank_of.__getitem__) for g in groups]


def _write_parts(
    prep: Prepared,
    cfg: PackConfig,
    groups: list[list[int]],
    placed: _Placement,
    room: _Room,
    part_of: dict[int, int],
    output: Output,
    verify: bool,
) -> list[Part]:
    """Each part with its settled header, written (and re-counted) in turn."""
    assert cfg.budget is not None
    costs, modes = prep.costs, placed.modes
    lines, map_block = _map(prep, part_of, room.map_room)
    written: list[Part] = []
    out_paths = _part_paths(output, len(groups))
    if out_paths:  # before anything is written: a part never replaces another program's file
        outputs.check_parts(out_paths)
    for k, g in enumerate(groups):
        body = (
            map_block
            + room.frame
            + (costs.block(prep.diff) if k == 0 else 0)
            + sum(placed.cost(i) for i in g)
            - (room.sep if g else 0)
        )
        n_full = sum(modes[i] == "full" for i in g)
        make = partial(
            make_header,
            prep,
            cfg,
            None,
            n_listed=len(prep.infos) - len(g),
            files_full=n_full,
            files_skeleton=len(g) - n_full,
            part=k + 1,
            parts=len(groups),
        )
        header, total = settle_header(costs.block, prep.renderer, make, body)
        if total > cfg.budget:  # pragma: no cover - guarded by the reserves
            raise AssertionError(f"part {k + 1} of {total} tokens exceeds budget {cfg.budget}")
        blocks = render_blocks(prep, header, lines, prep.diff if k == 0 else "", [(i, modes[i]) for i in g])
        path = out_paths[k] if out_paths else None
        prep.write(blocks, path)
        if path is not None and verify:
            verify_written(prep, path, total)
        written.append(Part(k + 1, path, total, n_full, len(g) - n_full))
    return written


def _decisions(
    prep: Prepared, placed: _Placement, part_of: dict[int, int], only: set[int]
) -> tuple[Decision, ...]:
    """Every ranked file but the copies: the part it went to, or why it stayed a path."""
    infos = prep.infos
    return tuple(
        Decision(
            infos[i].path, placed.modes[i], placed.cost(i) - placed.sep, r.score, r.reason, part=part_of[i]
        )
        if i in part_of
        else Decision(
            infos[i].path,
            "listed",
            0,
            r.score,
            f"{r.reason}; "
            + placed.why.get(i, "not relevant to the task" if i not in only else "over budget"),
        )
        for r in prep.ranked
        if (i := r.index) not in prep.dup_of
    )


def _degrade(
    items: list[int],
    modes: dict[int, Mode],
    why: dict[int, str],
    costs: Costs,
    cost: Callable[[int], int],
    *,
    room: int,
    n_parts: int,
) -> None:
    """Make the lowest-ranked files cheaper until what is left fills 97% of the room.

    Called again (with a little less each time) while the grouping cannot place them.
    """
    used = sum(cost(i) for i in items)
    goal = min(int(room * 0.97), used - max(1, used // 50))
    for target_mode in ("skeleton", "listed"):
        for i in reversed(items):
            if used <= goal:
                return
            if modes.get(i) != "full" and not (target_mode == "listed" and modes.get(i)):
                continue
            before = cost(i)
            if target_mode == "skeleton":
                skel = costs.skeleton(i)
                if skel is None:
                    continue
                modes[i] = "skeleton"
            else:
                del modes[i]
                why[i] = f"over budget: {n_parts} parts cannot hold it"
            used -= before - (cost(i) if i in modes else 0)


def _local_edges(edges: Sequence[tuple[int, int]], items: Sequence[int]) -> list[tuple[int, int]]:
    at = {i: k for k, i in enumerate(items)}
    return [(at[a], at[b]) for a, b in edges if a in at and b in at]


def _map(prep: Prepared, part_of: dict[int, int], room: int) -> tuple[list[str], int]:
    """The deepest map whose lines fit `room`, and their cost."""
    paths = [f.path for f in prep.infos]
    held = [part_of.get(i) for i in range(len(paths))]
    costs, renderer = prep.costs, prep.renderer
    sep = costs.block(renderer.tree_separator())
    best: list[str] = []
    best_cost = 0
    deepest = max(p.count("/") for p in paths)
    for depth in range(0, deepest + 1):
        lines = map_lines(paths, held, depth)
        c = sum(costs.line(x) for x in lines) + sep * (len(lines) - 1)
        if c > room and best:
            break
        best, best_cost = lines, c
        if c > room:  # even the root line is over: keep it (room is at least one line)
            break
    return best, best_cost


def _part_paths(output: Output, n: int) -> list[str]:
    if not isinstance(output, (str, os.PathLike)):
        return []
    return outputs.part_paths(output, n)
