"""One pack: fit the ranked files under the budget, full first, then skeletons, then
paths in the tree. `--target auto` tries the codex budget, then the API window, and
splits (`packer.split`) when neither holds everything relevant in full."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from packer.config import PackConfig
from packer.errors import BudgetError, EmptyPackError
from packer.fit import FULL_ENOUGH, Pass, Plan, default_passes, fit
from packer.measure import Costs
from packer.prepared import Clock, Prepared, copy_decisions, make_header, pack_result, settle_header
from packer.records import PackResult
from packer.render import Header, display_path
from packer.split import split
from packer.tree import Tree, list_limit
from packer.write import Output, render_blocks, verify_written


@dataclass
class Fitted:
    cfg: PackConfig
    tree: Tree
    plan: Plan
    header: Header
    total: int


def _tree(prep: Prepared, cfg: PackConfig) -> Tree:
    """The pack's tree, nothing packed yet, priced in the pack's format."""
    costs = prep.costs
    return Tree(
        prep.infos,
        line_cost=costs.line,
        separator_cost=costs.block(prep.renderer.tree_separator()),
        file_cost=lambda i, mode: costs(i, mode) or costs.full(i),
        notes={i: f"duplicate of {display_path(p)}" for i, p in prep.dup_of.items()},
        list_limit=list_limit(len(prep.infos), cfg.budget),
        exact=costs.full,  # a listed file's line shows its exact size
        count_many=costs.prefetch,
    )


# What a settled header may gain when a refit packs more files (a count gaining a digit):
# the refit tries these margins in turn until its own settled header fits.
HEADER_GROWTH = (0, 2, 8)


def fit_pack(prep: Prepared, cfg: PackConfig, first: Sequence[Pass] = ()) -> Fitted:
    """One pack's plan; `first` passes run before the default ones.

    The header is reserved at its largest (every number it states can only shrink), so a
    fit can stop short by what the real header did not need: a few tokens, and a file that
    needed one more. A pack below `FULL_ENOUGH` of its budget is fitted again with the
    settled header's cost (plus a margin of `HEADER_GROWTH`) as the reserve; the first
    refit whose own settled header fits is kept if it is fuller.
    """
    costs, renderer = prep.costs, prep.renderer
    clock = Clock(prep.timings)
    n = len(prep.infos)
    prep.report("fit", 0, n)
    static = sum(
        costs.block(b)
        for b in (
            renderer.tree_open(),
            renderer.tree_close(),
            prep.diff,
            renderer.files_open(),
            renderer.footer(),
        )
    )
    reserve = costs.block(
        renderer.header(make_header(prep, cfg, None, cfg.budget or 10**12, n, files_full=n, files_skeleton=n))
    )
    fitted = _fit_once(prep, cfg, first, static, reserve)
    budget = cfg.budget
    if budget is not None and fitted.total < FULL_ENOUGH * budget:
        settled = fitted.total - static - fitted.plan.body_tokens
        for growth in HEADER_GROWTH:
            if settled + growth >= reserve:
                break
            again = _fit_once(prep, cfg, first, static, settled + growth)
            if again.total <= budget:
                fitted = again if again.total > fitted.total else fitted
                break
    clock.lap("fit")
    prep.report("fit", n, n)
    if budget is not None and fitted.total > budget:  # pragma: no cover - guarded by reserve
        raise AssertionError(f"pack of {fitted.total} tokens exceeds budget {budget}")
    return fitted


def _fit_once(prep: Prepared, cfg: PackConfig, first: Sequence[Pass], static: int, reserve: int) -> Fitted:
    """A plan with `reserve` tokens kept for the header, and its settled header."""
    infos, costs, renderer = prep.infos, prep.costs, prep.renderer
    tree = _tree(prep, cfg)
    if cfg.budget is not None and static + reserve + tree.cost > cfg.budget:
        need = static + reserve + tree.cost
        raise BudgetError(
            f"budget {cfg.budget:,} tokens cannot hold even the header, tree"
            + (" and diff" if prep.diff else "")
            + f" ({need:,} tokens); use --budget {need + 1000:,} or more"
        )
    ranked = [r for r in prep.ranked if r.index not in prep.dup_of]
    if cfg.budget is not None:
        costs.preload(_likely_counted(prep, costs, cfg.budget))
    with costs.ahead([r.index for r in ranked], cfg.budget):
        plan = fit(
            infos,
            ranked,
            tree=tree,
            budget=cfg.budget,
            fixed_tokens=static + reserve,
            file_separator_tokens=costs.block(renderer.file_separator()),
            passes=[*first, *([Pass(("skeleton", "full"))] if cfg.skeleton else default_passes(prep.focus))],
            cost=costs,
            floor=costs.floor,
            upgrade=not cfg.skeleton,  # --skeleton: every code file as its skeleton, never upgraded
        )
    n_listed = len(infos) - len(plan.packed)
    header, total = settle_header(
        costs.block,
        renderer,
        lambda t: make_header(prep, cfg, plan, t, n_listed),
        static + plan.body_tokens,
    )
    return Fitted(cfg, tree, plan, header, total)


def _likely_counted(prep: Prepared, costs: Costs, budget: int) -> list[int]:
    """The files the fitter will most likely ask about: best ranked first, each small enough,
    worth a few budgets (their cached counts are read in one query)."""
    out: list[int] = []
    room = 3 * budget
    for r in prep.ranked:
        i = r.index
        if i in prep.dup_of or costs.floor(i) > budget:
            continue
        out.append(i)
        room -= prep.infos[i].tokens
        if room <= 0 or len(out) >= 8000:
            break
    return out


def single(
    prep: Prepared, cfg: PackConfig, output: Output, verify: bool, fitted: Fitted | None = None
) -> PackResult:
    fitted = fitted or fit_pack(prep, cfg)
    plan = fitted.plan
    if not plan.packed:
        smallest = min(f.tokens for f in prep.infos)
        raise EmptyPackError(
            f"no file fits in the budget of {cfg.budget:,} tokens (the smallest file costs "
            f"about {smallest:,} tokens plus the header and tree); raise --budget"
        )
    clock = Clock(prep.timings)
    blocks = render_blocks(
        prep, fitted.header, _tree_lines(fitted.tree), prep.diff, [(i, plan.modes[i]) for i in plan.packed]
    )
    out_path = prep.write(blocks, output)
    clock.lap("render")
    if verify and out_path is not None:
        verify_written(prep, out_path, fitted.total)
        clock.lap("verify")
    copies = copy_decisions(prep, fitted.tree)
    warnings = short_warnings(prep, plan, cfg.budget)
    return pack_result(
        prep, cfg, fitted.total, plan.decisions + tuple(copies), plan.packed, out_path, (), warnings
    )


def short_warnings(prep: Prepared, plan: Plan, budget: int | None, most: int = 5) -> list[str]:
    """A warning for each focus or changed file whose full text was tried and did not fit
    (the first `most`, then how many more): the pack does not hold what the task named."""
    changed = set(prep.task.changed)
    out: list[str] = []
    missed = [r.index for r in prep.ranked if r.index in prep.focus and r.index in plan.short]
    for i in missed[:most]:
        path = prep.infos[i].path
        kind = "changed file" if path in changed else "focus file"
        form = "packed as its skeleton" if plan.modes.get(i) == "skeleton" else "only listed"
        out.append(
            f"{kind} {display_path(path)} is {form}: its full text needs {prep.costs.full(i):,} tokens, "
            f"the budget of {budget or 0:,} leaves {plan.short[i]:,}; raise --budget"
        )
    if len(missed) > most:
        out.append(
            f"{len(missed) - most:,} more focus or changed files are not packed in full; raise --budget"
        )
    return out


def _tree_lines(tree: Tree) -> list[str]:
    return list(tree.lines())


def auto(prep: Prepared, output: Output, verify: bool) -> PackResult:
    """Codex if everything relevant fits it in full, else the API window, else split.

    "Relevant" is the ranker's: every file without a task, else the files the task
    names and those its signals put near the best. A target is tried only when the
    estimate of what is relevant is within reach of its budget; the fit then decides.
    The result's `route` says which and why.
    """
    cfg = prep.cfg
    wanted = [r.index for r in prep.ranked if r.relevant and r.index not in prep.dup_of]
    guess = sum(prep.infos[i].tokens for i in wanted)
    need = f"the {len(wanted):,} relevant files (~{guess:,} tokens)"
    targets = cfg.ladder
    missed: list[str] = []
    for target in targets:
        tcfg = replace(cfg, target=target, budget=target.budget, auto=False)
        if guess <= 2 * target.budget:
            # Everything relevant in full first; the default passes then fill what is left.
            fitted = fit_pack(prep, tcfg, [Pass(("full",), only=set(wanted))])
            if all(fitted.plan.modes.get(i) == "full" for i in wanted):
                why = f"{need} fit in full in its {target.budget:,}-token budget"
                if missed:
                    why += f", not in {' or '.join(missed)}"
                return replace(single(prep, tcfg, output, verify, fitted), route=f"{target.name}: {why}")
        missed.append(f"{target.name}'s {target.budget:,}")
    api = targets[-1]
    result = split(
        prep,
        replace(cfg, target=api, budget=api.budget, auto=False, parts=0),
        output,
        verify,
        only=set(wanted),
    )
    why = f"{need} do not fit in full in {' or '.join(missed)}-token budget"
    return replace(result, route=f"{len(result.parts)} parts of the {api.name} window: {why}")
