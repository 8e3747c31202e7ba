"""Split packs (--parts/--split), --target auto, and estimate-first budgeted packs."""

import json
import re
from pathlib import Path

import pytest
from conftest import git, read_exact, write
from hypothesis import given, settings
from hypothesis import strategies as st

import packer
from packer.errors import ConfigError
from packer.parts import map_lines, part_ranges, partition, sequence
from packer.tokens import Counter

COUNT = Counter().count
FILE_TAG = re.compile(r'<file path="([^"]+)" mode="(full|skeleton)"')


# -- partition, on its own -------------------------------------------------------------

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


# -- split packs through the library ----------------------------------------------------


def _module(name: str, uses: str, n: int) -> str:
    body = "\n".join(f"    value_{k} = {uses}_helper({k}) + {k} * {k}" for k in range(n))
    return f"def {name}_helper(x):\n    return x + 1\n\n\ndef {name}_main():\n{body}\n    return 0\n"


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    files = {"README.md": "# Demo\n" + "Some words about the project.\n" * 20}
    for pkg in ("core", "net", "ui", "db"):
        for k in range(6):
            files[f"{pkg}/mod{k}.py"] = _module(f"{pkg}{k}", f"{pkg}{(k + 1) % 6}", 40 + 7 * k)
    files["ui/copy.py"] = files["core/mod1.py"]  # an exact copy
    write(root, files)
    git(root, "init", "-q")
    for part in ("README.md", "core", "net", "ui", "db"):  # a commit each: co-change stays local
        git(root, "add", part)
        git(root, "commit", "-qm", f"add {part}")
    return root


def _blocks_in(text: str) -> list[tuple[str, str]]:
    return FILE_TAG.findall(text)


def test_split_covers_every_file_exactly_once_within_budget(repo, tmp_path):
    out = tmp_path / "out" / "pack.xml"
    out.parent.mkdir()
    budget = 8_000
    res = packer.pack(repo, budget=budget, split=True, output=out, manifest=tmp_path / "m.json")
    assert len(res.parts) >= 3
    seen: dict[str, int] = {}
    maps = set()
    for part in res.parts:
        assert part.path == str(out.parent / f"pack-{part.index}.xml")
        text = read_exact(Path(part.path))
        assert COUNT(text) == part.total_tokens <= budget
        assert f"Part {part.index} of {len(res.parts)}" in text
        maps.add(text[text.index("<tree>") : text.index("</tree>")])
        for path, _mode in _blocks_in(text):
            assert path not in seen, f"{path} in parts {seen[path]} and {part.index}"
            seen[path] = part.index
    assert len(maps) == 1  # the same map heads every part
    manifest = json.loads((tmp_path / "m.json").read_text())
    packed = {f["path"]: f["part"] for f in manifest["files"] if f["mode"] != "listed"}
    assert packed == seen
    every = {f["path"] for f in manifest["files"]}
    copies = {d["path"] for d in manifest["duplicates"]}
    assert copies == {"ui/copy.py"} or copies == {"core/mod1.py"}
    assert set(seen) == every - copies  # every file but the copy is in some part
    assert [p["part"] for p in manifest["parts"]] == list(range(1, len(res.parts) + 1))
    assert res.total_tokens == sum(p.total_tokens for p in res.parts)


def test_split_keeps_a_package_in_one_part_when_it_fits(repo, tmp_path):
    res = packer.pack(repo, budget=16_000, split=True, output=tmp_path / "p.xml")
    part_of = {f.path: f.part for f in res.files if f.part}
    for pkg in ("core", "net", "db"):
        assert len({part_of[f"{pkg}/mod{k}.py"] for k in range(6) if f"{pkg}/mod{k}.py" in part_of}) == 1


def test_parts_n_writes_n_files_and_degrades_when_they_cannot_hold_everything(repo, tmp_path):
    res = packer.pack(repo, budget=8_000, parts=2, output=tmp_path / "p.xml")
    assert [p.index for p in res.parts] == [1, 2]
    assert not (tmp_path / "p-3.xml").exists()
    for part in res.parts:
        assert COUNT(read_exact(Path(part.path))) == part.total_tokens <= 8_000
    py = [f for f in res.files if f.path.endswith(".py") and not f.reason.startswith("duplicate")]
    degraded = [f for f in py if f.mode != "full"]
    assert degraded and len(degraded) < len(py)
    # What is degraded is the lowest ranked.
    assert min(f.score for f in py if f.mode == "full") >= max(f.score for f in degraded)
    one = packer.pack(repo, budget=1_200, parts=1, output=tmp_path / "one.xml")
    assert len(one.parts) == 1 and one.parts[0].total_tokens <= 1_200
    assert any(f.mode == "listed" and "parts cannot hold it" in f.reason for f in one.files)


def test_split_with_a_query_covers_what_is_relevant(repo, tmp_path):
    res = packer.pack(repo, budget=8_000, split=True, query="net3_helper", output=tmp_path / "q.xml")
    packed = {f.path for f in res.files if f.mode != "listed"}
    assert "net/mod3.py" in packed and "net/mod2.py" in packed  # defines / uses net3_helper
    assert len(packed) < 20  # not the whole repository
    assert any(f.reason.endswith("not relevant to the task") for f in res.files)


def test_split_needs_an_output_path_not_a_stream(repo):
    import io

    with pytest.raises(ConfigError, match="output path"):
        packer.pack(repo, budget=8_000, split=True, output=io.StringIO())
    with pytest.raises(ConfigError, match="--parts N or --split"):
        packer.pack(repo, budget=8_000, split=True, parts=3)
    with pytest.raises(ConfigError, match="budget per part"):
        packer.pack(repo, budget="none", parts=3)


# -- --target auto ------------------------------------------------------------------------


def _targets(root: Path, codex: int, api: int) -> None:
    (root / ".packer.toml").write_text(
        f"[targets.codex]\nwindow = {codex}\nheadroom = 0\n[targets.api]\nwindow = {api}\nreserve = 0\n"
    )


def test_auto_chooses_the_smallest_target_that_holds_everything(repo, tmp_path):
    whole = packer.pack(repo, budget="none").total_tokens
    _targets(repo, codex=whole + 2_000, api=10 * whole)
    assert packer.pack(repo, target="auto").target == "codex"
    _targets(repo, codex=whole // 2, api=whole + 2_000)
    res = packer.pack(repo, target="auto", output=tmp_path / "a.xml")
    assert res.target == "api" and not res.parts
    assert all(f.mode == "full" for f in res.files if not f.reason.startswith("duplicate"))
    _targets(repo, codex=whole // 8, api=whole // 3)
    res = packer.pack(repo, target="auto", output=tmp_path / "s.xml")
    assert res.target == "api" and len(res.parts) >= 3
    with pytest.raises(ConfigError, match="auto chooses the budget"):
        packer.pack(repo, target="auto", budget=5000)


def test_auto_with_a_task_uses_codex_when_what_is_relevant_fits(repo, tmp_path):
    whole = packer.pack(repo, budget="none").total_tokens
    _targets(repo, codex=whole // 2, api=whole * 4)
    res = packer.pack(repo, target="auto", focus=["db/mod2.py"], output=tmp_path / "f.xml")
    assert res.target == "codex"
    modes = {f.path: f.mode for f in res.files}
    assert modes["db/mod2.py"] == "full"


# -- estimate first, count what the fit touches --------------------------------------------


def test_budgeted_pack_counts_only_what_the_fit_touches(tmp_path):
    root = tmp_path / "big"
    write(root, {f"d{k % 7}/f{k}.py": _module(f"m{k}", f"m{k + 1}", 30 + k % 50) for k in range(300)})
    out = tmp_path / "b.xml"
    res = packer.pack(root, budget=20_000, output=out)
    text = read_exact(out)
    assert COUNT(text) == res.total_tokens <= 20_000
    assert res.total_tokens >= 0.97 * 20_000
    assert 0 < res.stats.counted_at_fit < 150  # of 300 files
    # Every packed file's stated cost is exact; unpacked ones may say "~".
    for f in res.files:
        if f.mode == "full":
            assert f"{f.path.split('/')[-1]} [full {f.tokens:,}]" in text
    assert "~" in text[: text.index("</tree>")]
    whole = packer.pack(root, budget="none")
    exact = {f.path: f.tokens for f in whole.files}
    for f in res.files:
        if f.mode == "full":
            assert f.tokens == exact[f.path]


def test_cli_split_and_parts(repo, tmp_path):
    from click.testing import CliRunner

    from packer.cli import main

    out = tmp_path / "cli.xml"
    got = CliRunner().invoke(
        main,
        ["pack", str(repo), "-b", "8000", "--split", "-o", str(out), "--manifest", str(tmp_path / "m.json")],
        catch_exceptions=False,
    )
    assert got.exit_code == 0, got.output
    n = len(json.loads((tmp_path / "m.json").read_text())["parts"])
    assert n >= 3 and f"part {n}:" in got.output and (tmp_path / f"cli-{n}.xml").exists()
    got = CliRunner().invoke(main, ["pack", str(repo), "-b", "8000", "--parts", "2"])
    assert got.exit_code == 1 and "output path" in got.output
    got = CliRunner().invoke(main, ["pack", str(repo), "--parts", "0", "-o", str(out)])
    assert got.exit_code == 2
