"""Choose what goes in, and in what form, under an exact budget.

The fitter runs passes over the ranked files, best first. Each pass offers every file
not yet packed a ladder of modes and takes the first whose block, the separator before
it and the exact growth of the tree fit under the pass's limit; a file that fits in no
mode stays a path in the tree and the pass moves on, so smaller files further down
still fill the budget. The default policy (`default_passes`):

1. focus and diff files: full, else skeleton;
2. every file in full, up to the budget less a share kept for skeletons;
3. what is left: skeleton (or full, for a file without one) up to the whole budget.

Then `fit` fills what the passes left (`fill`): best first, a skeleton becomes full text
and a listed file a skeleton (or full) wherever the change fits, so a pack that could hold
more never stops short (the skeleton share and the passes' limits no longer bind there).

So the best files go in whole, the next ones as signatures, the rest as paths. Output
order is rank order whatever the pass, so the most relevant content comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial

from packer.rank import Ranked
from packer.records import Decision, FileInfo, Mode
from packer.tree import Tree

Cost = Callable[[int, Mode], "int | None"]  # a file's block cost in a mode; None: no such mode


@dataclass(frozen=True)
class Pass:
    modes: tuple[Mode, ...]  # tried in order
    share: float = 1.0  # this pass fills at most this share of the budget
    only: Collection[int] | None = None  # the files it considers (FileInfo indices); None: all
    # A pass that gives up (a search: each try may make a skeleton) stops after this many
    # files in a row fit in no mode, or once FULL_ENOUGH of its room is used (0: never).
    give_up_after: int = 0


def default_passes(focus: Collection[int], *, skeleton_share: float = 0.15) -> list[Pass]:
    first = [Pass(("full", "skeleton"), only=focus)] if focus else []
    # The skeleton pass makes skeletons on demand, so it stops once files keep missing or
    # the pack is full enough.
    return [
        *first,
        Pass(("full",), share=1.0 - skeleton_share),
        Pass(("skeleton", "full"), give_up_after=500),
    ]


_LINE_SLACK = 16
# A fill sweep gives up after counting this many bytes of files that did not fit in a row:
# a few seconds of tokenizing at most, however many small files a tight room lets it try.
_FILL_GIVE_UP_BYTES = 4_000_000
# The fill stops here: the last half percent is not worth counting more files for.
FULL_ENOUGH = 0.995


@dataclass(frozen=True)
class Plan:
    packed: tuple[int, ...]  # FileInfo indices, in output order
    modes: dict[int, Mode]  # the mode of each packed file
    decisions: tuple[Decision, ...]
    body_tokens: int  # everything but the header
    # Files not packed in full though full was tried: the tokens left when it first was.
    short: dict[int, int] = field(default_factory=dict)


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
    fill: tuple[Mode, ...] | None = None,
    upgrade: bool = True,
) -> Plan:
    """`fixed_tokens`: the header's reserve plus every block that is always written.

    `floor(i)`, if given, is a cheap lower bound of file i's full cost: a file whose
    floor does not fit is passed over without asking `cost`, so a budgeted pack counts
    exactly only the files that could go in.

    Once the passes are done, a budgeted fit fills what they left (`_Fitter.fill`): a
    listed file may take the modes of `fill` (None: the last pass's), in order, and a
    skeleton becomes full text if `upgrade` and a pass offers full text. No file takes a
    mode no pass offers.
    """
    cost_of: Cost = cost or (
        lambda i, mode: infos[i].cost(mode) if mode == "full" else infos[i].skeleton_tokens
    )
    fitter = _Fitter(infos, tree, cost_of, floor, file_separator_tokens, used=fixed_tokens + tree.cost)
    for p in passes:
        limit = None if budget is None else budget - round((1.0 - p.share) * budget)
        fitter.run(p, ranked, limit)
    offered = {m for p in passes for m in p.modes}
    fill = tuple(m for m in (passes[-1].modes if fill is None and passes else fill or ()) if m in offered)
    upgrade = upgrade and "full" in offered
    if budget is not None and (fill or upgrade):
        fitter.fill(ranked, budget, fill, upgrade)
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
    # file -> (mode, tokens it needs, whether that is a floor, tokens left): words in `plan`
    why_not: dict[int, tuple[Mode, int, bool, int]] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)  # file -> tokens left when full first did not fit
    tried: set[tuple[int, Mode]] = field(default_factory=set)  # costs asked for (counted, for an estimate)

    def run(self, p: Pass, ranked: Sequence[Ranked], limit: int | None) -> None:
        """One pass over the files it considers, best first, up to `limit` tokens."""
        misses = 0
        # A full-only pass refuses most of a large tree by its floor: that test is made here,
        # as `place` would make it, without the rest of `place` per file (78K files).
        floor = self.floor if p.modes == ("full",) and limit is not None else None
        modes, only, short, why_not = self.modes, p.only, self.short, self.why_not
        cap = limit if limit is not None else 0  # with a floor only: then there is a limit
        for r in ranked:
            i = r.index
            if i in modes or (only is not None and i not in only):
                continue
            if limit is not None and (
                limit - self.used < self.separator + 1  # nothing more can fit in this pass
                # a searching pass (each try a skeleton made) stops as the fill would
                or (p.give_up_after and self.used >= FULL_ENOUGH * limit)
            ):
                break
            if floor is not None and floor(i) + (self.separator if modes else 0) > cap - self.used:
                short.setdefault(i, max(cap - self.used, 0))  # `place`'s first refusal
                why_not[i] = ("full", self.infos[i].tokens, True, cap - self.used)
            elif self.place(i, p.modes, limit):
                misses = 0
                continue
            misses += 1
            if p.give_up_after and misses >= p.give_up_after:
                break

    # complex: one rung of the ladder, with the cheap refusals before the costly counts
    def place(self, i: int, modes: Sequence[Mode], limit: int | None) -> bool:
        """Put file i in the first of `modes` whose block, separator and tree growth fit
        (in place of its current block, if it is packed)."""
        old = self.modes.get(i)
        freed = (self.cost_of(i, old) or 0) if old else 0
        sep = 0 if old else self.separator if self.modes else 0
        left = None if limit is None else limit - self.used
        for mode in modes:
            if (
                self.floor is not None
                and mode == "full"
                and left is not None
                and self.floor(i) + sep - freed > left
            ):
                self._refused(i, old, "full", self.infos[i].tokens, left + freed, about=True)
                continue
            block = self.cost_of(i, mode)
            self.tried.add((i, mode))
            if block is None:
                continue
            # A file's own tree line shrinks by a few tokens at most: past that, no tree delta
            # (which may price a directory's lines) is needed to refuse it.
            if left is not None and block + sep - freed > left + _LINE_SLACK:
                self._refused(i, old, mode, block + sep, left + freed)
                continue
            need = block - freed + self.tree.delta(i, mode) + sep
            if left is None or need <= left:
                self.tree.apply(i, mode)
                self.used += need
                self.modes[i] = mode
                self.why_not.pop(i, None)
                return True
            self._refused(i, old, mode, need + freed, left + freed)
        return False

    def _refused(
        self, i: int, old: Mode | None, mode: Mode, need: int, left: int, about: bool = False
    ) -> None:
        """File i did not fit in `mode`: `left` tokens were free for it (its current block's
        included)."""
        if mode == "full":
            self.short.setdefault(i, max(left, 0))
        if old is None:
            self.why_not[i] = (mode, need, about, left)

    def fill(self, ranked: Sequence[Ranked], budget: int, fill: Sequence[Mode], upgrade: bool) -> None:
        """Best first, give each file the next mode up that still fits the whole budget: a
        skeleton full text (if `upgrade`), a listed file the first of `fill` that fits.

        Room only shrinks, so a file refused here stays refused, save that a directory
        another file opened makes its line cheaper: a second sweep runs if the first moved
        anything. A cost not asked for before may be an exact count (a read and a
        tokenization), and the files of a large tree are not all worth counting for the
        last few tokens: the fill stops once the pack holds `FULL_ENOUGH` of the budget, and
        a sweep after `_FILL_GIVE_UP_BYTES` of files newly counted in a row that did not fit
        (a few seconds of counting at most). The bound is in bytes, not files: with a few
        dozen tokens left, only small files pass the floor, and trying a thousand of them
        costs less than one large one.
        """
        for _ in range(2):
            moved = misses = 0
            for r in ranked:
                i = r.index
                if self.used >= FULL_ENOUGH * budget:
                    return
                old = self.modes.get(i)
                modes: Sequence[Mode] = (
                    fill if old is None else ("full",) if upgrade and old == "skeleton" else ()
                )
                if not modes:
                    continue
                asked = len(self.tried)
                if self.place(i, modes, budget):
                    moved += 1
                    misses = 0
                elif len(self.tried) > asked:
                    misses += self.infos[i].size
                    if misses >= _FILL_GIVE_UP_BYTES:
                        break
            if not moved:
                return

    def plan(self, ranked: Sequence[Ranked], fixed_tokens: int) -> Plan:
        """The packed files in rank order, and a decision for every file, packed or listed."""
        infos, tree, modes = self.infos, self.tree, self.modes
        packed = tuple(r.index for r in ranked if r.index in modes)
        decisions = [
            Decision(infos[i].path, modes[i], self.cost_of(i, modes[i]) or 0, r.score, r.reason)
            for r in ranked
            if (i := r.index) in modes
        ]
        # A listed file's words are made when read (`Decision.reason`): most never are.
        decisions += [
            Decision(
                infos[i].path,
                "listed",
                tree.line_tokens(i) if (shown := tree.visible(i)) else 0,
                r.score,
                partial(_listed_reason, r.reason, self.why_not.get(i), shown),
                size=infos[i].tokens,
            )
            for r in ranked
            if (i := r.index) not in modes
        ]
        short = {i: left for i, left in self.short.items() if modes.get(i) != "full"}
        return Plan(packed, modes, tuple(decisions), self.used - fixed_tokens, short)


def _listed_reason(ranked: str, refused: tuple[Mode, int, bool, int] | None, shown: bool) -> str:
    return f"{ranked}; {_why_not(refused)}" + ("" if shown else "; in a folded directory")


def _why_not(refused: tuple[Mode, int, bool, int] | None) -> str:
    if refused is None:
        return "over budget"
    mode, need, about, left = refused
    return f"over budget: {mode} needs {'about ' if about else ''}{need:,} tokens, {max(left, 0):,} left"
