"""Cutting files into parts (`packer.parts`): every file once within each part's capacity,
directories and referencing files kept together, and the map each part opens with.
Split packs themselves are tested in test_split."""

from hypothesis import given, settings
from hypothesis import strategies as st

from packer.parts import map_lines, part_ranges, partition, sequence

_segment = st.sampled_from(["a", "b", "c", "src", "lib", "x"])
_paths = st.lists(
    st.lists(_segment, min_size=0, max_size=3).map(lambda d: "/".join(d)), min_size=1, max_size=40
).map(lambda dirs: [f"{d}/f{k}.py" if d else f"f{k}.py" for k, d in enumerate(dirs)])


@settings(max_examples=150, deadline=None)
@given(paths=_paths, data=st.data())
def test_partition_places_every_item_once_within_capacity(paths, data):
    costs = data.draw(st.lists(st.integers(1, 60), min_size=len(paths), max_size=len(paths)))
    capacity = data.draw(st.integers(max(costs), 200))
    first = data.draw(st.integers(0, capacity))
    parts = data.draw(st.none() | st.integers(1, 8))
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, len(paths) - 1), st.integers(0, len(paths) - 1)), max_size=20)
    )
    got = partition(paths, costs, capacity=capacity, first_capacity=first, parts=parts, edges=edges)
    if got is None:
        # Refusal only when a fixed count cannot hold it all.
        assert parts is not None
        return
    assert sorted(i for p in got for i in p) == list(range(len(paths)))
    for k, p in enumerate(got):
        assert sum(costs[i] for i in p) <= (first if k == 0 else capacity)
    if parts is not None:
        assert len(got) == parts


def test_partition_refuses_items_larger_than_a_part_and_too_little_room():
    assert partition(["a.py", "b.py"], [10, 50], capacity=40) is None
    assert partition(["a.py", "b.py", "c.py"], [30, 30, 30], capacity=40, parts=2) is None


def test_partition_keeps_directories_together_and_cuts_at_the_top_boundary():
    paths = [f"{d}/m{k}.py" for d in ("alpha", "beta", "gamma") for k in range(4)]
    got = partition(paths, [10] * len(paths), capacity=45)
    # Three directories of 40 tokens and parts of 45: one directory a part, not 45/45/30.
    assert [sorted({paths[i].split("/")[0] for i in p}) for p in got] == [["alpha"], ["beta"], ["gamma"]]


def test_sequence_chains_siblings_that_reference_each_other():
    paths = ["a/x.py", "b/y.py", "c/z.py", "d/w.py"]
    assert sequence(paths) == [0, 1, 2, 3]
    # a/x.py uses d/w.py: d/ follows a/ so a cut is less likely to separate them.
    assert sequence(paths, [(0, 3)]) == [0, 3, 1, 2]


def test_partition_fixed_count_is_balanced():
    paths = [f"pkg{k // 5}/f{k}.py" for k in range(40)]
    got = partition(paths, [10] * 40, capacity=1000, parts=4)
    assert [sum(10 for _ in p) for p in got] == [100, 100, 100, 100]


def test_map_lines_and_part_ranges():
    assert part_ranges([3, 1, 2, 5]) == "parts 1-3, 5"
    assert part_ranges([4]) == "part 4"
    assert part_ranges([]) == "in no part"
    assert part_ranges(range(1, 40, 2), limit=2) == "parts 1, 3, …"
    lines = map_lines(["a/x.py", "a/b/y.py", "c/z.py", "r.md"], [1, 2, None, 1], depth=1)
    assert lines == [". [4 files; parts 1-2]", "├── a/ [2 files; parts 1-2]", "└── c/ [1 file; in no part]"]
