"""Choose what goes in under an exact budget.

Greedy in rank order: a file is packed in the first mode of its ladder (full, or its
skeleton with `--skeleton`) whose block, the separator before it and the exact growth of
the tree all fit in what is left; otherwise it stays a path in the tree and the fitter
moves on, so smaller files further down still fill the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from packer.rank import Ranked
from packer.records import Decision, FileInfo, Mode
from packer.tree import Tree


@dataclass(frozen=True)
class Plan:
    packed: tuple[int, ...]  # FileInfo indices, in output order
    modes: dict[int, Mode]  # the mode of each packed file
    decisions: tuple[Decision, ...]
    body_tokens: int  # everything but the header


def fit(
    infos: Sequence[FileInfo],
    ranked: Sequence[Ranked],
    *,
    tree: Tree,
    budget: int | None,
    fixed_tokens: int,
    file_separator_tokens: int,
    ladder: Callable[[FileInfo], Sequence[Mode]] = lambda info: ("full",),
) -> Plan:
    """`fixed_tokens`: the header's reserve plus every block that is always written."""
    used = fixed_tokens + tree.cost
    packed: list[int] = []
    modes: dict[int, Mode] = {}
    why_not: dict[int, str] = {}
    for r in ranked:
        info = infos[r.index]
        sep = file_separator_tokens if packed else 0
        cost = 0
        for mode in ladder(info):
            cost = info.cost(mode) + tree.delta(r.index, mode) + sep
            if budget is None or used + cost <= budget:
                tree.apply(r.index, mode)
                used += cost
                packed.append(r.index)
                modes[r.index] = mode
                break
        else:
            left = max((budget or 0) - used, 0)
            why_not[r.index] = f"over budget: needs {cost:,} tokens, {left:,} left"
    decisions = [
        Decision(infos[i].path, modes[i], infos[i].cost(modes[i]), r.score, r.reason)
        for r in ranked
        if (i := r.index) in modes
    ]
    decisions += [
        Decision(
            infos[r.index].path,
            "listed",
            tree.line_tokens(r.index),
            r.score,
            f"{r.reason}; {why_not[r.index]}"
            + ("" if tree.visible(r.index) else "; in a folded directory"),
        )
        for r in ranked
        if r.index in why_not
    ]
    return Plan(tuple(packed), modes, tuple(decisions), used - fixed_tokens)
