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


def test_a_listed_file_shows_its_exact_size_once_its_directory_opens():
    """With `exact`, an estimated file's line states its exact cost (counted when its
    directory opens, a whole directory at once by `count_many`), and the line, once made,
    never changes: the tree's cost stays exact."""
    from dataclasses import replace

    from packer.render import make_renderer
    from packer.tokens import Counter
    from packer.tree import Tree

    truth = {"README.md": 10, "src/a.py": 20, "src/b.py": 3_000, "src/c.py": 999, "docs/z.md": 7}
    infos = [replace(f, tokens=round(f.tokens * 1.35), estimated=True) for f in file_infos(truth)]
    exact = {i: truth[f.path] for i, f in enumerate(infos)}
    asked: list[int] = []
    batches: list[list[int]] = []
    counter, r = Counter(), make_renderer("xml")

    def count(i: int) -> int:
        asked.append(i)
        return exact[i]

    tree = Tree(
        infos,
        line_cost=lambda line: counter.count(r.tree_line(line)),
        exact=count,
        count_many=lambda ids: batches.append(sorted(infos[i].path for i in ids)),
    )
    a = next(i for i, f in enumerate(infos) if f.path == "src/a.py")
    need = tree.delta(a, "full")
    assert batches == [["README.md"], ["src/a.py", "src/b.py", "src/c.py"]]  # one per directory opened
    tree.apply(a, "full")
    assert tree.cost == tree_cost(tree, r)
    lines = list(tree.lines())
    assert "│   ├── b.py [listed 3,000]" in lines and "│   └── c.py [listed 999]" in lines
    assert "└── README.md [listed 10]" in lines
    # folded, and only estimated: its bytes, which are exact, never a guessed token count
    assert "├── docs/ [1 file, 1 bytes: none packed]" in lines
    assert need > 0 and sorted(set(asked)) == sorted(asked)  # each counted once


def test_folded_folders_state_bytes_when_their_tokens_are_estimated():
    from dataclasses import replace

    from packer.tree import Tree, list_limit

    infos = [
        replace(f, size=size, estimated=True)
        for f, size in zip(
            file_infos({"big/a.c": 900_000, "big/b.c": 600_000, "small/x.py": 30, "top.md": 5}),
            [3 << 20, 1 << 20, 700, 20],
            strict=True,
        )
    ]
    tree = Tree(infos, line_cost=len)
    tree.apply(3, "full")
    lines = list(tree.lines())
    assert "├── big/ [2 files, 4.0 MB: none packed]" in lines
    assert "├── small/ [1 file, 700 bytes: none packed]" in lines
    assert not any("~" in line for line in lines)  # no estimate is stated
    counted = Tree([replace(f, estimated=False) for f in infos], line_cost=len)
    counted.apply(3, "full")
    assert "├── big/ [2 files, 1,500,000 tokens: none packed]" in list(counted.lines())  # counted: exact
    # a repository whose every file line fits in a tenth of the budget lists them all
    assert list_limit(1_000, 200_000) == 256 and list_limit(78_000, 200_000) == 16
    assert list_limit(78_000, None) == 256


def test_every_folded_directory_states_the_sums_of_all_files_beneath_it():
    # Directories nested to different depths, met out of order, some holding files and
    # subdirectories both: each folded line must sum exactly the files under it.
    import random

    rng = random.Random(7)
    names = ["a", "b", "c", "d"]
    spec = {}
    for k in range(400):
        depth = rng.randrange(0, 5)
        spec["/".join(rng.choice(names) for _ in range(depth)) + ("/" if depth else "") + f"f{k}.py"] = k + 1
    infos = file_infos(spec)
    tree, _ = tree_of(infos)
    for node in _all_dirs(tree.root):
        under = [f for f in infos if f.path.startswith(node.path)]
        assert (node.n_files, node.tokens, node.size) == (
            len(under),
            sum(f.tokens for f in under),
            len(under),
        )
        own = [infos[i].path for i in node.files]
        assert own == sorted(f.path for f in under if "/" not in f.path[len(node.path) :])
        rests = [f.path[len(node.path) :] for f in under]
        assert [d.name for d in node.dirs] == sorted({r.split("/")[0] for r in rests if "/" in r})


def _all_dirs(node):
    yield node
    for d in node.dirs:
        yield from _all_dirs(d)
