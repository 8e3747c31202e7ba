"""The tree's exact cost model and the fitter's guarantees, on synthetic file sets."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from packer.fit import fit
from packer.rank import default_order
from packer.records import FileInfo
from packer.render import make_renderer
from packer.tokens import Counter
from packer.tree import Tree

COUNTER = Counter()


def _infos(spec):
    return [FileInfo(p, "/x/" + p, 1, "d", "utf-8", "python", t, 1) for p, t in sorted(spec.items())]


def _tree(infos, fmt="xml"):
    r = make_renderer(fmt)
    sep = COUNTER.count(r.tree_separator()) if r.tree_separator() else 0
    return Tree(infos, line_cost=lambda line: COUNTER.count(r.tree_line(line)), separator_cost=sep), r


def _actual_cost(tree, r):
    lines = list(tree.lines())
    sep = r.tree_separator()
    return sum(COUNTER.count(r.tree_line(x)) for x in lines) + (len(lines) - 1) * (
        COUNTER.count(sep) if sep else 0)


def test_folded_directories_show_counts_and_packed_ones_expand():
    infos = _infos({"README.md": 10, "src/a.py": 20, "src/b.py": 30, "docs/x/y.md": 5,
                    "docs/z.md": 7})
    tree, _ = _tree(infos)
    assert list(tree.lines()) == [". [5 files, 72 tokens: none packed]"]
    tree.apply(3, "full")  # src/a.py
    assert list(tree.lines()) == [
        ".",
        "├── docs/ [2 files, 12 tokens: none packed]",
        "├── src/",
        "│   ├── a.py [full 20]",
        "│   └── b.py [listed 30]",
        "└── README.md [listed 10]",
    ]


paths = st.lists(
    st.lists(st.sampled_from(["a", "b", "src", "deep", "x.py", "y.md", "日本"]), min_size=1,
             max_size=4).map("/".join),
    min_size=1, max_size=25, unique=True,
).filter(lambda ps: not any(p + "/" in q for p in ps for q in ps))


@settings(max_examples=60, deadline=None)
@given(paths=paths, sizes=st.lists(st.integers(1, 400), min_size=25, max_size=25),
       budget=st.integers(60, 3000), fmt=st.sampled_from(["xml", "json"]))
def test_delta_is_exact_and_fit_never_exceeds_budget(paths, sizes, budget, fmt):
    infos = _infos(dict(zip(paths, sizes, strict=False)))
    tree, r = _tree(infos, fmt)
    assert tree.cost == _actual_cost(tree, r)
    assume(50 + tree.cost <= budget)  # else the pipeline refuses the budget up front
    plan = fit(infos, default_order(infos), tree=tree, budget=budget, fixed_tokens=50,
               file_separator_tokens=2)
    assert tree.cost == _actual_cost(tree, r)
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
    infos = _infos({f"d{k}/f{k}.py": 100 for k in range(10)})
    tree, _ = _tree(infos)
    plan = fit(infos, default_order(infos), tree=tree, budget=None, fixed_tokens=0,
               file_separator_tokens=0)
    assert len(plan.packed) == 10
    assert all(d.mode == "full" for d in plan.decisions)
