"""Writing a pack (`packer.write`): bad output paths refused before any work, the blocks in
order to a path (atomically), a stream or nowhere, and the re-count of what was written.
The writer underneath (`packer.output`) is tested in test_output."""

import io
import os

import pytest
from conftest import read_exact, write

from packer import Options
from packer.config import resolve
from packer.errors import ConcurrentChangeError, ConfigError, PackerError
from packer.pipeline import prepare
from packer.records import Task
from packer.single import fit_pack
from packer.write import check_outputs, render_blocks, verify_written, write_blocks


def _blocks(log: list[str], fail_after: int | None = None):
    """Three blocks, noting each one made; raising after `fail_after` of them (as a file
    that changed since it was counted does)."""
    for k, b in enumerate(["<pack>\n", "a\r\nb\n", "</pack>\n"]):
        if k == fail_after:
            raise ConcurrentChangeError("b.py")
        log.append(b)
        yield b


def test_blocks_go_to_a_path_whole_and_replace_it_only_on_success(tmp_path):
    out = tmp_path / "pack.xml"
    log: list[str] = []
    assert write_blocks(_blocks(log), out) == str(out)
    assert read_exact(out) == "<pack>\na\r\nb\n</pack>\n"  # newlines untranslated
    out.write_text("previous pack\n")
    with pytest.raises(ConcurrentChangeError):
        write_blocks(_blocks([], fail_after=2), out)
    assert out.read_text() == "previous pack\n"
    assert sorted(os.listdir(tmp_path)) == ["pack.xml"]  # no temp file left


def test_blocks_go_to_a_stream_in_order_or_nowhere_yet_all_are_made():
    stream = io.StringIO()
    assert write_blocks(_blocks([]), stream) is None
    assert stream.getvalue() == "<pack>\na\r\nb\n</pack>\n"
    log: list[str] = []
    assert write_blocks(_blocks(log), None) is None
    assert len(log) == 3  # nothing written, yet every block was made: files are re-read
    with pytest.raises(ConcurrentChangeError):  # so a change is still reported
        write_blocks(_blocks([], fail_after=1), None)


@pytest.fixture
def dirs(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path / "repo", tmp_path / "out"


def test_check_outputs_names_every_path_this_run_writes(dirs):
    root, out = dirs
    write(out, {"p-1.xml": "x", "p-7.xml": "x"})  # parts of an earlier split
    one = resolve(root, Options())
    got = check_outputs(root, one, out / "p.xml", out / "m.json", [out / "answer.md"])
    assert got == {str(out / "p.xml"), str(out / "m.json"), str(out / "answer.md")}
    assert check_outputs(root, one, io.StringIO(), out / "m.json", []) == {str(out / "m.json")}
    split = resolve(root, Options(split=True, budget="8k"))
    got = check_outputs(root, split, out / "p.xml", None, [])
    assert got == {str(out / "p.xml"), str(out / "p-1.xml"), str(out / "p-7.xml")}  # overwritten or removed


def test_check_outputs_refuses_a_manifest_that_would_replace_the_pack(dirs):
    root, out = dirs
    (out.parent / "alias").symlink_to(out)
    one = resolve(root, Options())
    split = resolve(root, Options(split=True, budget="8k"))
    for cfg, manifest in [
        (one, out / "p.xml"),
        (one, out.parent / "alias" / "p.xml"),  # the same file by another path
        (split, out / "p-2.xml"),  # a part's name
    ]:
        with pytest.raises(ConfigError) as err:
            check_outputs(root, cfg, out / "p.xml", manifest, [])
        assert str(err.value) == (
            f"-o and --manifest both name {manifest}; the manifest would replace the pack: "
            "give it another name"
        )
    assert check_outputs(root, one, out / "p.xml", out / "p-2.xml", [])  # one pack has no parts


def test_check_outputs_refuses_bad_paths_before_any_work(dirs):
    root, out = dirs
    (root / "real").mkdir()
    (root / "link").symlink_to("real")
    one = resolve(root, Options())
    with pytest.raises(PackerError, match=r"link is a symbolic link inside the repository"):
        check_outputs(root, one, root / "link" / "p.xml", None, [])
    with pytest.raises(PackerError, match=r"is a directory; name a file to write"):
        check_outputs(root, one, out, None, [])
    with pytest.raises(PackerError, match=r"link is a symbolic link inside the repository"):
        check_outputs(root, one, None, None, [root / "link" / "answer.md"])  # what else is written, too
    assert check_outputs(root, one, root / "real" / "p.xml", None, []) == {str(root / "real" / "p.xml")}


def test_rendered_blocks_hold_the_fitted_total_and_the_written_file_is_recounted(tmp_path):
    root = tmp_path / "r"
    write(root, {"README.md": "# r\n", "src/a.py": "def a():\n    return 1\n", "src/b.py": "B = 2\n" * 40})
    cfg = resolve(root, Options(budget="3k", cache=False))
    prep = prepare(root, cfg, Task())
    fitted = fit_pack(prep, cfg)
    plan = fitted.plan
    files = [(i, plan.modes[i]) for i in plan.packed]
    out = tmp_path / "pack.xml"
    path = write_blocks(render_blocks(prep, fitted.header, list(fitted.tree.lines()), prep.diff, files), out)
    text = read_exact(out)
    assert prep.costs.count(text) == fitted.total
    assert f"This output: {fitted.total:,} tokens, exactly counted in o200k_base\n" in text
    verify_written(prep, path, fitted.total)
    with open(out, "a", encoding="utf-8") as f:
        f.write("tampered\n")
    with pytest.raises(AssertionError, match=r"pack\.xml has \d+ tokens, the manifest says"):
        verify_written(prep, path, fitted.total)


def test_a_concurrent_change_error_keeps_its_path_and_wording_through_pickle():
    import pickle

    for streamed in (False, True):
        e = ConcurrentChangeError("src/a.py", streamed=streamed)
        back = pickle.loads(pickle.dumps(e))  # as from a worker process
        assert (back.path, back.streamed, str(back)) == ("src/a.py", streamed, str(e))
    assert "nothing was written" in str(ConcurrentChangeError("a.py"))
    assert "output stream may hold part" in str(ConcurrentChangeError("a.py", streamed=True))
