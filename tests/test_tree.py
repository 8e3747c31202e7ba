"""The tree's exact cost model: folded directories with their counts, packed files
expanded, a big directory listing only what is packed."""

from conftest import file_infos, tree_cost, tree_of

from packer.fit import fit
from packer.rank import default_order


def test_folded_directories_show_counts_and_packed_ones_expand():
    infos = file_infos({"README.md": 10, "src/a.py": 20, "src/b.py": 30, "docs/x/y.md": 5, "docs/z.md": 7})
    tree, _ = tree_of(infos)
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


def test_a_big_directory_lists_only_its_packed_files_and_sums_up_the_rest():
    infos = file_infos({**{f"many/f{k:05}.json": 12 for k in range(3000)}, "README.md": 40})
    tree, r = tree_of(infos)
    collapsed = tree.cost
    k = next(i for i, f in enumerate(infos) if f.path == "many/f01500.json")
    need = tree.delta(k, "full")
    assert need < 120  # not 3,000 lines
    tree.apply(k, "full")
    assert tree.cost == collapsed + need == tree_cost(tree, r)
    lines = list(tree.lines())
    assert lines[1:] == [
        "├── many/",
        "│   ├── f01500.json [full 12]",
        "│   └── [2,999 more files of 3,000 here, 35,988 tokens: not packed]",
        "└── README.md [listed 40]",
    ]
    assert not tree.visible(k - 1) and tree.visible(k)
    plan = fit(
        infos,
        default_order(infos),
        tree=tree_of(infos)[0],
        budget=2000,
        fixed_tokens=0,
        file_separator_tokens=0,
    )
    assert 50 < len(plan.packed) < 3000  # many packed within a small budget
