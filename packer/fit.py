"""Choose what goes in under an exact budget.

Greedy in rank order: a file is packed in full when its block, the separator before it
and the exact growth of the tree all fit in what is left; otherwise it stays a path in
the tree and the fitter moves on, so smaller files further down still fill the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packer.rank import Ranked
from packer.records import Decision, FileInfo
from packer.tree import Tree


@dataclass(frozen=True)
class Plan:
    packed: tuple[int, ...]  # FileInfo indices, in output order
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
) -> Plan:
    """`fixed_tokens`: the header's reserve plus every block that is always written."""
    used = fixed_tokens + tree.cost
    packed: list[int] = []
    why_not: dict[int, str] = {}
    for r in ranked:
        cost = infos[r.index].tokens + tree.delta(r.index, "full")
        if packed:
            cost += file_separator_tokens
        if budget is None or used + cost <= budget:
            tree.apply(r.index, "full")
            used += cost
            packed.append(r.index)
        else:
            left = max(budget - used, 0)
            why_not[r.index] = f"over budget: needs {cost:,} tokens, {left:,} left"
    decisions = [
        Decision(infos[r.index].path, "full", infos[r.index].tokens, r.score, r.reason)
        for r in ranked
        if r.index not in why_not
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
    return Plan(tuple(packed), tuple(decisions), used - fixed_tokens)
