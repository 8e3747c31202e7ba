"""The fitter's guarantees, on synthetic file sets: never over the budget, the tree's
cost exact as it grows, focus first, skeletons in what full files leave, estimates safe."""

from conftest import file_infos, tree_cost, tree_of
from hypothesis import assume, given, settings
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
    from packer.fit import default_passes

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


@settings(max_examples=60, deadline=None)
@given(
    paths=paths,
    sizes=st.lists(st.integers(1, 400), min_size=25, max_size=25),
    guess=st.lists(st.floats(0.3, 3.0), min_size=25, max_size=25),
    budget=st.integers(60, 3000),
)
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
