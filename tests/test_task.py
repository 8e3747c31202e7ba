"""Task inputs against real git repositories: query files, focus paths, diffs."""

import os
import subprocess
from pathlib import Path

import pytest
from conftest import git, write

from packer.errors import ConfigError
from packer.records import Task
from packer.task import MAX_QUERY_BYTES, build_task, read_query


def commit(repo: Path, message: str = "c") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, {
        "a.py": "one\ntwo\nthree\n",
        "old.py": "def moved():\n    return 'a body long enough to be found as a rename'\n" * 3,
        "gone.py": "bye\n",
        "sub/s.py": "s = 1\n",
        "sub/t.py": "t = 1\n",
        ".gitignore": "*.log\n",
    })  # fmt: skip
    commit(root, "first")
    return root


# -- query ------------------------------------------------------------------


def test_query_inline_is_stripped(tmp_path):
    assert read_query("  fix the parser \n", root=tmp_path) == "fix the parser"
    assert read_query(None, root=tmp_path) == ""
    assert read_query("caf\udce9", root=tmp_path) == "caf\ufffd\ufffd\ufffd"  # undecodable argv bytes


def test_query_at_file_from_cwd_then_root(tmp_path, monkeypatch):
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    write(root, {"issue.md": "from root\n", "both.md": "root copy"})
    write(cwd, {"both.md": "\ufeffcwd copy\n"})  # a BOM is not part of the text
    monkeypatch.chdir(cwd)
    assert read_query("@issue.md", root=root) == "from root"
    assert read_query("@both.md", root=root) == "cwd copy"
    assert read_query(f"@{root / 'issue.md'}", root=tmp_path) == "from root"


def test_query_double_at_is_a_literal_at(tmp_path):
    assert read_query("@@alice please review", root=tmp_path) == "@alice please review"


def test_query_missing_file_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"--query @nope\.md: no such file.*@@"):
        read_query("@nope.md", root=tmp_path)
    with pytest.raises(ConfigError, match="needs a file name"):
        read_query("@", root=tmp_path)


def test_query_too_large_or_not_utf8(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"big.txt": "x" * (MAX_QUERY_BYTES + 1), "latin.txt": b"caf\xe9\n"})
    with pytest.raises(ConfigError, match="byte limit"):
        read_query("@big.txt", root=tmp_path)
    with pytest.raises(ConfigError, match="byte limit"):
        read_query("y" * (MAX_QUERY_BYTES + 1), root=tmp_path)
    assert read_query(" " + "y" * MAX_QUERY_BYTES + "\n", root=tmp_path) == "y" * MAX_QUERY_BYTES
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_query("@latin.txt", root=tmp_path)


def test_build_task_reads_the_query_and_is_empty_without_inputs(repo, monkeypatch):
    monkeypatch.chdir(repo)
    write(repo, {"q.txt": "the task\n"})
    assert build_task(repo, query="@q.txt") == Task(query="the task")
    assert build_task(repo).empty


# -- focus ------------------------------------------------------------------


def test_focus_file_dir_absolute_and_cwd_relative(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    task = build_task(repo, focus=["a.py", "sub", str(repo / "sub" / "s.py"), "./sub/../a.py", "sub/"])
    assert task.focus == ("a.py", "sub/", "sub/s.py")
    monkeypatch.chdir(repo / "sub")
    assert build_task(repo, focus=["t.py", "."]).focus == ("sub/t.py", "sub/")
    assert build_task(repo, focus=["a.py"]).focus == ("a.py",)  # not in cwd: from root


def test_focus_outside_root_or_missing_is_an_error(repo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"outside.py": "x\n"})
    with pytest.raises(ConfigError, match=r"--focus outside\.py is outside the root"):
        build_task(repo, focus=["outside.py"])
    with pytest.raises(ConfigError, match="outside the root"):
        build_task(repo / "sub", focus=[str(repo / "a.py")])
    with pytest.raises(ConfigError, match=r"--focus missing\.py: no such file or directory"):
        build_task(repo, focus=["missing.py"])
    with pytest.raises(ConfigError, match="whole root"):
        build_task(repo, focus=[str(repo)])


def test_focus_through_a_symlinked_root(repo, tmp_path, monkeypatch):
    link = tmp_path / "link"
    link.symlink_to(repo)
    monkeypatch.chdir(repo)
    assert build_task(link, focus=[str(repo / "a.py"), "sub"]).focus == ("a.py", "sub/")


# -- diff -------------------------------------------------------------------


def make_changes(repo: Path) -> None:
    write(repo, {
        "a.py": "one\nTWO\nthree\n",
        "new.txt": "brand\nnew",
        "img.bin": b"\x89PNG\0\0data",
        "debug.log": "ignored\n",
    })  # fmt: skip
    (repo / "gone.py").unlink()
    git(repo, "mv", "old.py", "renamed.py")


def test_diff_head_with_modified_untracked_deleted_and_renamed(repo):
    make_changes(repo)
    task = build_task(repo, diff="HEAD")
    assert task.diff_ref == "HEAD" and not task.staged
    assert task.changed == ("a.py", "gone.py", "img.bin", "new.txt", "renamed.py")
    text = task.diff_text
    assert "diff --git a/a.py b/a.py\n" in text and "-two\n+TWO\n" in text
    assert "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n" in text
    assert "rename from old.py\nrename to renamed.py\n" in text
    assert "+++ b/new.txt\n@@ -0,0 +1,2 @@\n+brand\n+new\n\\ No newline at end of file\n" in text
    assert "Binary files /dev/null and b/img.bin differ\n" in text
    assert "debug.log" not in text and "debug.log" not in task.changed
    order = [text.index(f"b/{name}") for name in ("a.py", "gone.py", "renamed.py", "img.bin", "new.txt")]
    assert order == sorted(order)  # git's part first, then untracked files by path
    assert build_task(repo, diff="HEAD") == task  # deterministic


def test_untracked_files_render_as_git_renders_them(repo):
    files: dict[str, str | bytes] = {
        "n1.txt": "a\nb\n",
        "n2.txt": "single line\n",
        "n3.txt": "no newline",
        "n4.txt": "",
        "d i r/we ird\"name.txt": "x\n",
        "caf\u00e9.txt": "x\r\ny\r\n",
    }
    write(repo, files)
    os.chmod(repo / "n2.txt", 0o755)
    text = build_task(repo, diff="HEAD").diff_text
    for name in files:
        proc = subprocess.run(
            ["git", "-c", "core.quotePath=false", "diff", "--no-index", "/dev/null", name],
            cwd=repo, capture_output=True, check=False,
        )  # fmt: skip
        expected = "".join(
            line for line in proc.stdout.decode().splitlines(keepends=True) if not line.startswith("index ")
        )
        assert expected and expected in text, name


def test_diff_against_an_older_commit(repo):
    write(repo, {"sub/s.py": "s = 2\n"})
    commit(repo, "second")
    write(repo, {"a.py": "changed\n"})
    task = build_task(repo, diff="HEAD~1")
    assert task.changed == ("a.py", "sub/s.py")
    assert "-s = 1\n+s = 2\n" in task.diff_text and "+changed\n" in task.diff_text
    assert build_task(repo, diff="HEAD").changed == ("a.py",)


def test_diff_range_leaves_the_work_tree_out(repo):
    write(repo, {"sub/s.py": "s = 2\n"})
    commit(repo, "second")
    write(repo, {"a.py": "changed\n", "untracked.txt": "u\n"})
    task = build_task(repo, diff="HEAD~1..HEAD")
    assert task.changed == ("sub/s.py",)
    assert "untracked" not in task.diff_text


def test_staged_shows_only_the_index(repo):
    write(repo, {"a.py": "staged\n", "sub/s.py": "unstaged\n", "untracked.txt": "u\n"})
    git(repo, "add", "a.py")
    task = build_task(repo, staged=True)
    assert task.staged and task.diff_ref is None
    assert task.changed == ("a.py",)
    assert "+staged\n" in task.diff_text and "unstaged" not in task.diff_text
    assert "untracked" not in task.diff_text


def test_root_in_a_subdirectory_gets_relative_paths(repo):
    write(repo, {"sub/s.py": "s = 2\n", "sub/new.py": "n\n", "a.py": "outside root\n"})
    task = build_task(repo / "sub", diff="HEAD", focus=["t.py"])
    assert task.focus == ("t.py",)
    assert task.changed == ("new.py", "s.py")
    assert "diff --git a/s.py b/s.py\n" in task.diff_text and "+++ b/new.py\n" in task.diff_text
    assert "outside root" not in task.diff_text


def test_repository_without_commits_diffs_against_the_empty_tree(tmp_path):
    git(tmp_path, "init", "-q")
    write(tmp_path, {"staged.py": "s\n", "loose.py": "l\n"})
    git(tmp_path, "add", "staged.py")
    task = build_task(tmp_path, diff="HEAD")
    assert task.changed == ("loose.py", "staged.py")
    assert "+++ b/staged.py\n" in task.diff_text and "+++ b/loose.py\n" in task.diff_text
    staged = build_task(tmp_path, staged=True)
    assert staged.changed == ("staged.py",)


def test_not_a_repository_is_an_error(tmp_path):
    write(tmp_path, {"a.py": "x\n"})
    with pytest.raises(ConfigError, match=r"--diff HEAD: .* not in a git work tree; run git init"):
        build_task(tmp_path, diff="HEAD")
    with pytest.raises(ConfigError, match="--staged"):
        build_task(tmp_path, staged=True)


def test_bad_ref_quotes_git(repo):
    with pytest.raises(ConfigError, match=r"--diff nope: git says: fatal: .*nope"):
        build_task(repo, diff="nope")
    with pytest.raises(ConfigError, match="not a git revision"):
        build_task(repo, diff="--output=/tmp/x")


def test_diff_text_is_capped_but_changed_is_complete(repo):
    write(repo, {"a.py": "".join(f"line {i}\n" for i in range(2000)), "z1.txt": "z\n" * 500})
    marker = "[packer: diff truncated at {} bytes; every changed file is still listed and ranked]\n"
    full = build_task(repo, diff="HEAD").diff_text
    assert "truncated" not in full
    tiny = build_task(repo, diff="HEAD", max_diff_bytes=1000)
    assert tiny.changed == ("a.py", "z1.txt")
    assert tiny.diff_text.endswith(marker.format(1000))
    head = tiny.diff_text.removesuffix(marker.format(1000))
    assert full.startswith(head) and head.endswith("\n") and 900 < len(head) <= 1000
    cap = full.index("+++ b/z1.txt") + 50  # inside the untracked file's patch
    cut = build_task(repo, diff="HEAD", max_diff_bytes=cap)
    head = cut.diff_text.removesuffix(marker.format(cap))
    assert full.startswith(head) and head.endswith("+z\n") and cap - 3 <= len(head) <= cap


def test_user_config_and_hook_environment_do_not_change_the_diff(repo, tmp_path, monkeypatch):
    make_changes(repo)
    write(repo, {"we ird\nname.py": "x\n"})
    expected = build_task(repo, diff="HEAD")
    assert "we ird\nname.py" in expected.changed
    assert 'diff --git "a/we ird\\nname.py" "b/we ird\\nname.py"\n' in expected.diff_text
    for key, value in [("diff.noprefix", "true"), ("diff.renames", "false"), ("color.ui", "always"),
                       ("core.quotePath", "true"), ("diff.external", "false")]:  # fmt: skip
        git(repo, "config", key, value)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert build_task(repo, diff="HEAD") == expected
