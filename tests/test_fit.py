"""The fitter's guarantees, on synthetic file sets: never over the budget, the tree's
cost exact as it grows, focus first, skeletons in what full files leave, estimates safe."""

import pytest
from conftest import file_infos, tree_cost, tree_of
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from packer.fit import fit
from packer.rank import default_order
from packer.render import make_renderer
from packer.tokens import Counter
from packer.tree import Tree

COUNTER = Counter()


paths = st.lists(
    st.lists(st.sampled_from(["a", "b", "src", "deep", "x.py", "y.md", "日本"]), min_size=1, max_size=4).map(
        "/".join
    ),
    min_size=1,
    max_size=25,
    unique=True,
).filter(lambda ps: not any(p + "/" in q for p in ps for q in ps))


@settings(max_examples=80, deadline=None)
@given(
    paths=paths,
    sizes=st.lists(st.integers(1, 400), min_size=25, max_size=25),
    budget=st.integers(60, 3000),
    fmt=st.sampled_from(["xml", "json"]),
    list_limit=st.sampled_from([0, 1, 2, 256]),
)
def test_delta_is_exact_and_fit_never_exceeds_budget(paths, sizes, budget, fmt, list_limit):
    infos = file_infos(dict(zip(paths, sizes, strict=False)))
    tree, r = tree_of(infos, fmt, list_limit)
    assert tree.cost == tree_cost(tree, r)
    assume(50 + tree.cost <= budget)  # else the pipeline refuses the budget up front
    plan = fit(
        infos, default_order(infos), tree=tree, budget=budget, fixed_tokens=50, file_separator_tokens=2
    )
    assert tree.cost == tree_cost(tree, r)
    files = sum(infos[i].tokens for i in plan.packed) + 2 * max(len(plan.packed) - 1, 0)
    assert plan.body_tokens == tree.cost + files
    assert 50 + plan.body_tokens <= budget
    assert {d.path for d in plan.decisions} == {f.path for f in infos}
    # greedy never leaves out a file that would still have fitted at the end
    left = budget - 50 - plan.body_tokens
    for i, f in enumerate(infos):
        if i not in plan.packed:
            assert f.tokens + tree.delta(i, "full") + 2 > left


def test_no_budget_packs_everything():
    infos = file_infos({f"d{k}/f{k}.py": 100 for k in range(10)})
    tree, _ = tree_of(infos)
    plan = fit(infos, default_order(infos), tree=tree, budget=None, fixed_tokens=0, file_separator_tokens=0)
    assert len(plan.packed) == 10
    assert all(d.mode == "full" for d in plan.decisions)


@settings(max_examples=60, deadline=None)
@given(
    paths=paths,
    sizes=st.lists(st.integers(1, 400), min_size=25, max_size=25),
    skel=st.lists(st.one_of(st.none(), st.integers(1, 100)), min_size=25, max_size=25),
    budget=st.integers(60, 3000),
    focus_n=st.integers(0, 3),
)
def test_default_passes_stay_in_budget_and_pack_focus_first(paths, sizes, skel, budget, focus_n):
    from packer.fit import FULL_ENOUGH, default_passes

    infos = file_infos(dict(zip(paths, sizes, strict=False)))
    skel_cost = {
        i: (None if s is None else min(s, infos[i].tokens)) for i, s in enumerate(skel[: len(infos)])
    }

    def cost(i, mode):
        return infos[i].tokens if mode == "full" else skel_cost[i]

    tree, r = tree_of(infos)
    assume(50 + tree.cost <= budget)
    ranked = default_order(infos)
    focus = {x.index for x in ranked[-focus_n:]} if focus_n else set()
    plan = fit(
        infos,
        ranked,
        tree=tree,
        budget=budget,
        fixed_tokens=50,
        file_separator_tokens=2,
        passes=default_passes(focus),
        cost=cost,
    )
    assert tree.cost == tree_cost(tree, r)
    files = sum(cost(i, plan.modes[i]) for i in plan.packed) + 2 * max(len(plan.packed) - 1, 0)
    assert plan.body_tokens == tree.cost + files
    assert 50 + plan.body_tokens <= budget
    assert all(plan.modes[i] != "skeleton" or skel_cost[i] is not None for i in plan.packed)
    # output order is rank order, whatever pass packed a file
    order = [x.index for x in ranked if x.index in plan.modes]
    assert list(plan.packed) == order
    # the fill leaves no step up that still fits (no skeleton that could be full, no
    # listed file that could be a skeleton or full), unless it stopped where it is made
    # to: with FULL_ENOUGH of the budget used
    if 50 + plan.body_tokens >= FULL_ENOUGH * budget:
        return
    left = budget - 50 - plan.body_tokens
    for i in range(len(infos)):
        mode = plan.modes.get(i)
        if mode == "skeleton":
            assert cost(i, "full") - cost(i, "skeleton") + tree.delta(i, "full") > left
        elif mode is None:
            for m in ("skeleton", "full"):
                if cost(i, m) is not None:
                    assert cost(i, m) + tree.delta(i, m) + (2 if plan.packed else 0) > left


def test_focus_goes_in_before_better_ranked_files():
    from packer.fit import default_passes

    infos = file_infos({"README.md": 300, "src/a.py": 300, "tests/test_z.py": 300})
    tree, _ = tree_of(infos)
    ranked = default_order(infos)
    focus = {next(x.index for x in ranked if infos[x.index].path == "tests/test_z.py")}
    plan = fit(
        infos,
        ranked,
        tree=tree,
        budget=420,
        fixed_tokens=0,
        file_separator_tokens=0,
        passes=default_passes(focus),
    )
    assert [infos[i].path for i in plan.packed] == ["tests/test_z.py"]


def test_skeletons_fill_what_full_files_leave():
    from packer.fit import default_passes

    infos = file_infos({f"src/m{k}.py": 1000 for k in range(10)})
    tree, _ = tree_of(infos)
    plan = fit(
        infos,
        default_order(infos),
        tree=tree,
        budget=5000,
        fixed_tokens=0,
        file_separator_tokens=0,
        passes=default_passes(()),
        cost=lambda i, mode: 1000 if mode == "full" else 150,
    )
    modes = [plan.modes.get(i) for i in range(10)]
    assert modes.count("full") == 4 and modes.count("skeleton") >= 3
    # the best-ranked files are the full ones
    assert modes[:4] == ["full"] * 4


def _skeleton_repo(n: int, full: int, skel: int):
    infos = file_infos({f"src/m{k:02}.py": full for k in range(n)})
    tree, r = tree_of(infos)
    return infos, tree, r, (lambda i, mode: full if mode == "full" else skel)


def _all_full_tree_cost(infos):
    tree, _ = tree_of(infos)
    for i in range(len(infos)):
        tree.apply(i, "full")
    return tree.cost


def test_fill_upgrades_skeletons_the_passes_left_best_first():
    """Everything fits in full, but the full pass stops at 85% and the skeleton pass takes
    the rest as skeletons: the fill makes them full, best ranked first."""
    from packer.fit import default_passes

    infos, tree, r, cost = _skeleton_repo(12, 100, 30)
    ranked = default_order(infos)
    need = 50 + _all_full_tree_cost(infos) + 12 * 100 + 11 * 2
    kwargs = dict(tree=tree, budget=need + 5, fixed_tokens=50, file_separator_tokens=2, cost=cost)
    plan = fit(infos, ranked, passes=default_passes(()), **kwargs)
    assert all(plan.modes[i] == "full" for i in range(12))
    assert tree.cost == tree_cost(tree, r)
    assert 50 + plan.body_tokens == need
    # without the fill, the passes leave skeletons
    infos, tree, r, cost = _skeleton_repo(12, 100, 30)
    kwargs["tree"] = tree
    plan = fit(infos, ranked, passes=default_passes(()), upgrade=False, fill=(), **kwargs)
    assert "skeleton" in plan.modes.values()


@pytest.mark.parametrize("room", [900, 1300, 1700, 1950])
def test_fill_fills_the_budget_or_leaves_no_step_that_fits(room):
    """20 files that do not all fit in full: the passes leave room the skeletons cannot
    use, and the fill upgrades them best first until the budget is full (99.5%) or no
    remaining skeleton's full text fits."""
    from packer.fit import default_passes

    def run(upgrade: bool):
        infos, tree, r, cost = _skeleton_repo(20, 100, 30)
        budget = 50 + _all_full_tree_cost(infos) + room
        kwargs = dict(tree=tree, budget=budget, fixed_tokens=50, file_separator_tokens=2, cost=cost)
        plan = fit(infos, default_order(infos), passes=default_passes(()), upgrade=upgrade, **kwargs)
        assert tree.cost == tree_cost(tree, r)
        return plan, tree, cost, budget

    plan, tree, cost, budget = run(True)
    total = 50 + plan.body_tokens
    assert total <= budget
    modes = [plan.modes.get(i) for i in range(20)]
    # best first: full files, then skeletons, then listed ones, in rank order
    assert modes == sorted(modes, key=lambda m: ["full", "skeleton", None].index(m))
    assert "full" in modes and "skeleton" in modes  # content remains...
    left = budget - total
    assert total >= 0.995 * budget or all(  # ...so the budget is full, or no step up fits
        cost(i, "full") - cost(i, "skeleton") + tree.delta(i, "full") > left
        for i, m in plan.modes.items()
        if m == "skeleton"
    )
    # without the fill: where the passes left a step up that fits, the fill took it
    before, tree0, _, _ = run(False)
    left0 = budget - 50 - before.body_tokens
    could = any(m == "skeleton" and 70 + tree0.delta(i, "full") <= left0 for i, m in before.modes.items())
    assert could == (room >= 1700)  # the cases this test is about
    assert plan.body_tokens > before.body_tokens if could else plan.body_tokens == before.body_tokens


def test_a_searching_pass_stops_once_the_pack_is_full_enough():
    """Each try of the skeleton pass may make a skeleton (a parse): once the pack holds
    FULL_ENOUGH of its room, as the fill would, it asks for no more, though 500 misses in a
    row have not come; a pass that does not search (no give-up) goes on."""
    from packer.fit import FULL_ENOUGH, Pass

    asked: list[int] = []
    infos, tree, _, _ = _skeleton_repo(60, 1000, 99)

    def cost(i, mode):
        asked.append(i)
        return 10_000 if mode == "full" else 99 if i < 10 else 500

    ranked = default_order(infos)
    kwargs = dict(tree=tree, budget=10**6, fixed_tokens=50, file_separator_tokens=2, cost=cost)
    ten = fit(infos, ranked, passes=[Pass(("skeleton",), only=range(10))], fill=(), upgrade=False, **kwargs)
    budget = 50 + ten.body_tokens + 3  # the ten small skeletons fill it (99.5%+)
    infos, tree, _, _ = _skeleton_repo(60, 1000, 99)
    kwargs.update(tree=tree, budget=budget)
    asked.clear()
    plan = fit(
        infos, ranked, passes=[Pass(("skeleton",), give_up_after=500)], fill=(), upgrade=False, **kwargs
    )
    assert 50 + plan.body_tokens >= FULL_ENOUGH * budget
    assert sorted(plan.modes) == [r.index for r in ranked if r.index < 10]
    assert len(set(asked)) == 10  # nothing asked after the room was used
    asked.clear()
    infos, tree, _, _ = _skeleton_repo(60, 1000, 99)
    kwargs["tree"] = tree
    fit(infos, default_order(infos), passes=[Pass(("skeleton",))], fill=(), upgrade=False, **kwargs)
    assert len(set(asked)) == 60


def test_no_upgrade_keeps_skeletons_and_fill_takes_listed_files():
    """`--skeleton` asks for skeletons: the fill adds listed files, never upgrades one."""
    from packer.fit import Pass

    infos, tree, _, cost = _skeleton_repo(12, 100, 30)
    ranked = default_order(infos)
    budget = 50 + _all_full_tree_cost(infos) + 12 * 100 + 11 * 2
    kwargs = dict(tree=tree, budget=budget, fixed_tokens=50, file_separator_tokens=2, cost=cost)
    only_three = Pass(("skeleton",), only={x.index for x in ranked[:3]})
    plan = fit(infos, ranked, passes=[only_three], upgrade=False, fill=("skeleton",), **kwargs)
    assert set(plan.modes.values()) == {"skeleton"} and len(plan.modes) == 12


def test_a_full_attempt_that_did_not_fit_is_reported_short():
    from packer.fit import default_passes

    infos = file_infos({"a.py": 900, "b.py": 100})
    tree, _ = tree_of(infos)
    focus = {0}
    plan = fit(
        infos,
        default_order(infos),
        tree=tree,
        budget=600,
        fixed_tokens=0,
        file_separator_tokens=0,
        passes=default_passes(focus),
        cost=lambda i, mode: infos[i].tokens if mode == "full" else 80,
    )
    assert plan.modes[0] == "skeleton"
    assert plan.short[0] == 600 - tree_of(infos)[0].cost  # the room when it was tried
    assert 1 not in plan.short and plan.modes[1] == "full"


# 25 files' sizes, and a factor per file (an estimate's error, a floor's distance to the truth)
sizes25 = st.lists(st.integers(1, 400), min_size=25, max_size=25)


def factors25(lo: float, hi: float) -> st.SearchStrategy[list[float]]:
    return st.lists(st.floats(lo, hi), min_size=25, max_size=25)


@settings(max_examples=60, deadline=None)
@given(paths=paths, sizes=sizes25, guess=factors25(0.3, 3.0), budget=st.integers(60, 3000))
def test_estimated_sizes_never_break_the_budget_and_an_honest_floor_loses_nothing(
    paths, sizes, guess, budget
):
    """Infos carry estimates (off by up to 3x either way); the fit asks `cost` for exact
    counts only of files whose floor fits, stays within budget, and with a floor at or
    below the truth still leaves out no file that would have fitted."""
    from dataclasses import replace

    from packer.fit import default_passes

    exact = file_infos(dict(zip(paths, sizes, strict=False)))
    infos = [
        replace(f, tokens=max(1, round(f.tokens * g)), estimated=True)
        for f, g in zip(exact, guess, strict=False)
    ]
    asked: set[int] = set()

    def cost(i, mode):
        if mode != "full":
            return None
        asked.add(i)
        return exact[i].tokens

    def floor(i):
        return exact[i].tokens // 2

    tree = Tree(
        infos,
        line_cost=lambda line: COUNTER.count(make_renderer("xml").tree_line(line)),
        file_cost=lambda i, mode: exact[i].tokens,
    )
    assume(50 + tree.cost <= budget)
    plan = fit(
        infos,
        default_order(infos),
        tree=tree,
        budget=budget,
        fixed_tokens=50,
        file_separator_tokens=2,
        passes=default_passes(()),
        cost=cost,
        floor=floor,
    )
    files = sum(exact[i].tokens for i in plan.packed) + 2 * max(len(plan.packed) - 1, 0)
    assert plan.body_tokens == tree.cost + files
    assert 50 + plan.body_tokens <= budget
    assert set(plan.packed) <= asked
    left = budget - 50 - plan.body_tokens
    for i in range(len(infos)):
        if i not in plan.modes:
            assert exact[i].tokens + tree.delta(i, "full") + 2 > left


@settings(max_examples=60, deadline=None)
@given(paths=paths, sizes=sizes25, under=factors25(0.2, 1.5), budget=st.integers(60, 3000))
@example(paths=[f"f{k}.py" for k in range(25)], sizes=[100] * 25, under=[1.0] * 25, budget=700)
def test_a_full_only_pass_refuses_by_floor_as_place_does(paths, sizes, under, budget):
    """A full-only pass makes the floor test itself (78K files, most refused by it): its
    plan, reasons and rooms are those of a pass that leaves every try to `place` (a pass
    offering full twice asks `place` the same question twice), with floors below and
    above the truth."""
    from packer.fit import Pass

    infos = file_infos(dict(zip(paths, sizes, strict=False)))

    def cost(i, mode):
        return infos[i].tokens if mode == "full" else max(1, infos[i].tokens // 3)

    def floor(i):
        return int(infos[i].tokens * under[i])

    def plan_of(modes):
        kwargs = dict(tree=tree_of(infos)[0], budget=budget, fixed_tokens=50, file_separator_tokens=2)
        passes = [Pass(modes, share=0.8)]
        return fit(infos, default_order(infos), passes=passes, fill=(), cost=cost, floor=floor, **kwargs)

    quick, slow = plan_of(("full",)), plan_of(("full", "full"))
    assert quick.modes == slow.modes and quick.short == slow.short
    assert quick.decisions == slow.decisions and quick.body_tokens == slow.body_tokens
