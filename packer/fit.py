"""Choose what goes in, and in what form, under an exact budget.

The fitter runs passes over the ranked files, best first. Each pass offers every file
not yet packed a ladder of modes and takes the first whose block, the separator before
it and the exact growth of the tree fit under the pass's limit; a file that fits in no
mode stays a path in the tree and the pass moves on, so smaller files further down
still fill the budget. The default policy (`default_passes`):

1. focus and diff files: full, else skeleton;
2. every file in full, up to the budget less a share kept for skeletons;
3. what is left: skeleton (or full, for a file without one) up to the whole budget.

So the best files go in whole, the next ones as signatures, the rest as paths. Output
order is rank order whatever the pass, so the most relevant content comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from packer.rank import Ranked
from packer.records import Decision, FileInfo, Mode
from packer.tree import Tree

Cost = Callable[[int, Mode], "int | None"]  # a file's block cost in a mode; None: no such mode


@dataclass(frozen=True)
class Pass:
    modes: tuple[Mode, ...]  # tried in order
    share: float = 1.0  # this pass fills at most this share of the budget
    only: Collection[int] | None = None  # the files it considers (FileInfo indices); None: all
    give_up_after: int = 0  # stop after this many files in a row fit in no mode (0: never)


def default_passes(focus: Collection[int], *, skeleton_share: float = 0.15) -> list[Pass]:
    first = [Pass(("full", "skeleton"), only=focus)] if focus else []
    # The skeleton pass makes skeletons on demand, so it stops once files keep missing.
    return [
        *first,
        Pass(("full",), share=1.0 - skeleton_share),
        Pass(("skeleton", "full"), give_up_after=500),
    ]


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
    passes: Sequence[Pass] = (Pass(("full",)),),
    cost: Cost | None = None,
    floor: Callable[[int], int] | None = None,
) -> Plan:
    """`fixed_tokens`: the header's reserve plus every block that is always written.

    `floor(i)`, if given, is a cheap lower bound of file i's full cost: a file whose
    floor does not fit is passed over without asking `cost`, so a budgeted pack counts
    exactly only the files that could go in.
    """
    cost_of: Cost = cost or (
        lambda i, mode: infos[i].cost(mode) if mode == "full" else infos[i].skeleton_tokens
    )
    fitter = _Fitter(infos, tree, cost_of, floor, file_separator_tokens, used=fixed_tokens + tree.cost)
    for p in passes:
        limit = None if budget is None else budget - round((1.0 - p.share) * budget)
        fitter.run(p, ranked, limit)
    return fitter.plan(ranked, fixed_tokens)


@dataclass
class _Fitter:
    """One fit as its passes run: the tokens used, the mode of each packed file, and why
    each file tried and left out did not fit."""

    infos: Sequence[FileInfo]
    tree: Tree
    cost_of: Cost
    floor: Callable[[int], int] | None
    separator: int  # tokens between two blocks
    used: int
    modes: dict[int, Mode] = field(default_factory=dict)
    why_not: dict[int, str] = field(default_factory=dict)

    def run(self, p: Pass, ranked: Sequence[Ranked], limit: int | None) -> None:
        """One pass over the files it considers, best first, up to `limit` tokens."""
        misses = 0
        for r in ranked:
            i = r.index
            if i in self.modes or (p.only is not None and i not in p.only):
                continue
            if limit is not None and limit - self.used < self.separator + 1:
                break  # nothing more can fit in this pass
            if self.place(i, p.modes, limit):
                misses = 0
                continue
            misses += 1
            if p.give_up_after and misses >= p.give_up_after:
                break

    def place(self, i: int, modes: Sequence[Mode], limit: int | None) -> bool:
        """Pack file i in the first of `modes` whose block, separator and tree growth fit."""
        sep = self.separator if self.modes else 0
        for mode in modes:
            if (
                self.floor is not None
                and mode == "full"
                and limit is not None
                and self.floor(i) + sep > limit - self.used
            ):
                self.why_not[i] = (
                    f"over budget: full needs about {self.infos[i].tokens:,} tokens, "
                    f"{max(limit - self.used, 0):,} left"
                )
                continue
            block = self.cost_of(i, mode)
            if block is None:
                continue
            need = block + self.tree.delta(i, mode) + sep
            if limit is None or self.used + need <= limit:
                self.tree.apply(i, mode)
                self.used += need
                self.modes[i] = mode
                self.why_not.pop(i, None)
                return True
            self.why_not[i] = f"over budget: {mode} needs {need:,} tokens, {max(limit - self.used, 0):,} left"
        return False

    def plan(self, ranked: Sequence[Ranked], fixed_tokens: int) -> Plan:
        """The packed files in rank order, and a decision for every file, packed or listed."""
        infos, tree, modes = self.infos, self.tree, self.modes
        packed = tuple(r.index for r in ranked if r.index in modes)
        decisions = [
            Decision(infos[i].path, modes[i], self.cost_of(i, modes[i]) or 0, r.score, r.reason)
            for r in ranked
            if (i := r.index) in modes
        ]
        decisions += [
            Decision(
                infos[i].path,
                "listed",
                tree.line_tokens(i),
                r.score,
                f"{r.reason}; {self.why_not.get(i, 'over budget')}"
                + ("" if tree.visible(i) else "; in a folded directory"),
            )
            for r in ranked
            if (i := r.index) not in modes
        ]
        return Plan(packed, modes, tuple(decisions), self.used - fixed_tokens)
