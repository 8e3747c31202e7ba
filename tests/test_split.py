"""Split packs (--parts/--split): every relevant file in exactly one part, each part within
the budget and headed by the same map, packages kept together, degraded when --parts N
cannot hold everything; and the refusals (a stream, both flags, no budget)."""

import json
import re
from pathlib import Path

import pytest
from conftest import packages_repo, read_exact

import packer
from packer import Options
from packer.errors import ConfigError
from packer.tokens import Counter

COUNT = Counter().count
FILE_TAG = re.compile(r'<file path="([^"]+)" mode="(full|skeleton)"')


@pytest.fixture
def repo(tmp_path):
    return packages_repo(tmp_path / "repo")


def _blocks_in(text: str) -> list[tuple[str, str]]:
    return FILE_TAG.findall(text)


def test_split_covers_every_file_exactly_once_within_budget(repo, tmp_path):
    out = tmp_path / "out" / "pack.xml"
    out.parent.mkdir()
    budget = 8_000
    res = packer.pack(repo, Options(budget=budget, split=True), output=out, manifest=tmp_path / "m.json")
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
    res = packer.pack(repo, Options(budget=16_000, split=True), output=tmp_path / "p.xml")
    part_of = {f.path: f.part for f in res.files if f.part}
    for pkg in ("core", "net", "db"):
        assert len({part_of[f"{pkg}/mod{k}.py"] for k in range(6) if f"{pkg}/mod{k}.py" in part_of}) == 1


def test_parts_n_writes_n_files_and_degrades_when_they_cannot_hold_everything(repo, tmp_path):
    res = packer.pack(repo, Options(budget=8_000, parts=2), output=tmp_path / "p.xml")
    assert [p.index for p in res.parts] == [1, 2]
    assert not (tmp_path / "p-3.xml").exists()
    for part in res.parts:
        assert COUNT(read_exact(Path(part.path))) == part.total_tokens <= 8_000
    py = [f for f in res.files if f.path.endswith(".py") and not f.reason.startswith("duplicate")]
    degraded = [f for f in py if f.mode != "full"]
    assert degraded and len(degraded) < len(py)
    # What is degraded is the lowest ranked.
    assert min(f.score for f in py if f.mode == "full") >= max(f.score for f in degraded)
    one = packer.pack(repo, Options(budget=1_200, parts=1), output=tmp_path / "one.xml")
    assert len(one.parts) == 1 and one.parts[0].total_tokens <= 1_200
    assert any(f.mode == "listed" and "parts cannot hold it" in f.reason for f in one.files)


def test_split_with_a_query_covers_what_is_relevant(repo, tmp_path):
    res = packer.pack(repo, Options(budget=8_000, split=True, query="net3_helper"), output=tmp_path / "q.xml")
    packed = {f.path for f in res.files if f.mode != "listed"}
    assert "net/mod3.py" in packed and "net/mod2.py" in packed  # defines / uses net3_helper
    assert len(packed) < 20  # not the whole repository
    assert any(f.reason.endswith("not relevant to the task") for f in res.files)


def test_split_needs_an_output_path_not_a_stream(repo):
    import io

    with pytest.raises(ConfigError, match="output path"):
        packer.pack(repo, Options(budget=8_000, split=True), output=io.StringIO())
    with pytest.raises(ConfigError, match="--parts N or --split"):
        packer.pack(repo, Options(budget=8_000, split=True, parts=3))
    with pytest.raises(ConfigError, match="budget per part"):
        packer.pack(repo, Options(budget="none", parts=3))


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
    assert got.exit_code == 1 and got.output.startswith("error: ") and got.output.count("\n") == 1
