"""Task inputs against real git repositories: query files, focus paths, diffs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, write

from packer.errors import ConfigError
from packer.records import DiffSection, Secret, Task
from packer.task import MAX_QUERY_BYTES, build_task, gate_diff, read_query, read_text_arg


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
    root, cwd = tmp_path / "root", tmp_path / "root" / "cwd"
    write(root, {"issue.md": "from root\n", "both.md": "root copy"})
    write(cwd, {"both.md": "\ufeffcwd copy\n"})  # a BOM is not part of the text
    monkeypatch.chdir(cwd)
    assert read_query("@issue.md", root=root) == "from root"
    assert read_query("@both.md", root=root) == "cwd copy"
    assert read_query(f"@{root / 'issue.md'}", root=tmp_path) == "from root"


def test_query_at_relative_file_outside_root_is_refused(tmp_path, monkeypatch):
    root, cwd = tmp_path / "root", tmp_path / "cwd"
    write(root, {"issue.md": "in root\n"})
    write(tmp_path, {"outside.md": "aws_secret\n", "cwd/both.md": "cwd copy\n"})
    (root / "link.md").symlink_to(tmp_path / "outside.md")  # a repository can ship this
    (root / "d").symlink_to(tmp_path)  # a link to a directory along the path
    monkeypatch.chdir(root)
    fix = "copy it into the repository or pass an absolute path"
    for name in ("link.md", "../outside.md", "d/outside.md"):
        with pytest.raises(
            ConfigError, match=rf"--query @{re.escape(name)}: .*outside the repository.*{fix}"
        ):
            read_query(f"@{name}", root=root)
    monkeypatch.chdir(cwd)  # relative to a current directory outside root: outside too
    with pytest.raises(ConfigError, match="outside the repository"):
        read_query("@both.md", root=root)
    assert read_query("@issue.md", root=root) == "in root"  # not in cwd: from root
    # An absolute path is the user's own choice, through a link or not.
    assert read_query(f"@{tmp_path / 'outside.md'}", root=root) == "aws_secret"
    assert read_query(f"@{root / 'link.md'}", root=root) == "aws_secret"
    link_root = tmp_path / "link-root"  # a symlinked root is compared resolved
    link_root.symlink_to(root)
    assert read_query("@issue.md", root=link_root) == "in root"


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
    text = task.raw_diff
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
        'd i r/we ird"name.txt': "x\n",
        "caf\u00e9.txt": "x\r\ny\r\n",
    }
    write(repo, files)
    os.chmod(repo / "n2.txt", 0o755)
    text = build_task(repo, diff="HEAD").raw_diff
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
    assert "-s = 1\n+s = 2\n" in task.raw_diff and "+changed\n" in task.raw_diff
    assert build_task(repo, diff="HEAD").changed == ("a.py",)


def test_diff_range_leaves_the_work_tree_out(repo):
    write(repo, {"sub/s.py": "s = 2\n"})
    commit(repo, "second")
    write(repo, {"a.py": "changed\n", "untracked.txt": "u\n"})
    task = build_task(repo, diff="HEAD~1..HEAD")
    assert task.changed == ("sub/s.py",)
    assert "untracked" not in task.raw_diff


def test_staged_shows_only_the_index(repo):
    write(repo, {"a.py": "staged\n", "sub/s.py": "unstaged\n", "untracked.txt": "u\n"})
    git(repo, "add", "a.py")
    task = build_task(repo, staged=True)
    assert task.staged and task.diff_ref is None
    assert task.changed == ("a.py",)
    assert "+staged\n" in task.raw_diff and "unstaged" not in task.raw_diff
    assert "untracked" not in task.raw_diff


def test_root_in_a_subdirectory_gets_relative_paths(repo):
    write(repo, {"sub/s.py": "s = 2\n", "sub/new.py": "n\n", "a.py": "outside root\n"})
    task = build_task(repo / "sub", diff="HEAD", focus=["t.py"])
    assert task.focus == ("t.py",)
    assert task.changed == ("new.py", "s.py")
    assert "diff --git a/s.py b/s.py\n" in task.raw_diff and "+++ b/new.py\n" in task.raw_diff
    assert "outside root" not in task.raw_diff


def test_repository_without_commits_diffs_against_the_empty_tree(tmp_path):
    git(tmp_path, "init", "-q")
    write(tmp_path, {"staged.py": "s\n", "loose.py": "l\n"})
    git(tmp_path, "add", "staged.py")
    task = build_task(tmp_path, diff="HEAD")
    assert task.changed == ("loose.py", "staged.py")
    assert "+++ b/staged.py\n" in task.raw_diff and "+++ b/loose.py\n" in task.raw_diff
    staged = build_task(tmp_path, staged=True)
    assert staged.changed == ("staged.py",)


def test_git_never_reads_packers_stdin(tmp_path):
    """A hook or CI may feed packer data on stdin; `git hash-object --stdin` (the empty tree
    of a repository without commits) must not hash it, for --staged or --diff."""
    git(tmp_path, "init", "-q")
    write(tmp_path, {"staged.py": "s = 1\n", "loose.py": "l = 1\n"})
    git(tmp_path, "add", "staged.py")
    code = "from packer.cli import main; main()"
    cases = (("--staged", [b"+s = 1"], [b"+l = 1"]), ("--diff", [b"+s = 1", b"+l = 1"], []))
    for flag, shown, not_shown in cases:
        proc = subprocess.run(
            [sys.executable, "-c", code, "pack", str(tmp_path), flag, "--no-cache"],
            input=b"data on stdin\n" * 100,
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 0, (flag, proc.stderr.decode())
        assert all(s in proc.stdout for s in shown) and not any(s in proc.stdout for s in not_shown), flag
        assert b"data on stdin" not in proc.stdout


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


def shown(task: Task) -> str:
    """The diff text a pack of every changed file shows."""
    return gate_diff(task, lambda path: None)[0]


def test_diff_text_is_capped_but_changed_is_complete(repo):
    write(repo, {"a.py": "".join(f"line {i}\n" for i in range(2000)), "z1.txt": "z\n" * 500})
    marker = "[packer: diff truncated at {} bytes; every changed file is still listed and ranked]\n"
    task = build_task(repo, diff="HEAD")
    full = shown(task)
    assert full == task.raw_diff and not task.diff_cut
    tiny = build_task(repo, diff="HEAD", max_diff_bytes=1000)
    assert tiny.changed == ("a.py", "z1.txt") and tiny.diff_cut
    assert shown(tiny).endswith(marker.format(1000))
    head = shown(tiny).removesuffix(marker.format(1000))
    assert head == tiny.raw_diff
    assert full.startswith(head) and head.endswith("\n") and 900 < len(head) <= 1000
    cap = full.index("+++ b/z1.txt") + 50  # inside the untracked file's patch
    cut = build_task(repo, diff="HEAD", max_diff_bytes=cap)
    head = shown(cut).removesuffix(marker.format(cap))
    assert full.startswith(head) and head.endswith("+z\n") and cap - 3 <= len(head) <= cap
    assert [s.path for s in cut.diff_sections] == ["a.py", "z1.txt"]


def test_user_config_and_hook_environment_do_not_change_the_diff(repo, tmp_path, monkeypatch):
    make_changes(repo)
    write(repo, {"we ird\nname.py": "x\n"})
    expected = build_task(repo, diff="HEAD")
    assert "we ird\nname.py" in expected.changed
    assert 'diff --git "a/we ird\\nname.py" "b/we ird\\nname.py"\n' in expected.raw_diff
    for key, value in [("diff.noprefix", "true"), ("diff.renames", "false"), ("color.ui", "always"),
                       ("core.quotePath", "true"), ("diff.external", "false")]:  # fmt: skip
        git(repo, "config", key, value)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert build_task(repo, diff="HEAD") == expected


# -- the diff's sections and the gate ----------------------------------------

AWS_KEY = "AKIA" + "Q3EGRT7BZK5XW2MN"
GH_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tV9wX1yZ3bC5"


def test_each_section_is_named_by_its_file(repo):
    write(repo, {'we"ird\tname.py': "a\n", "caf\u00e9 x.py": "a\n", "link": "target\n"})
    commit(repo, "names")
    make_changes(repo)
    write(repo, {'we"ird\tname.py': "b\n", "caf\u00e9 x.py": "b\n"})
    (repo / "link").unlink()
    (repo / "link").symlink_to("a.py")  # a type change: git shows a deletion and a creation
    task = build_task(repo, diff="HEAD")
    paths = [s.path for s in task.diff_sections]
    assert paths == [
        "a.py",
        "caf\u00e9 x.py",
        "gone.py",
        "link",
        "link",
        "renamed.py",
        'we"ird\tname.py',
        "img.bin",
        "new.txt",
    ]
    for section in task.diff_sections:
        assert section.text.startswith("diff --git ")
        assert section.text.count("diff --git ") == 1
    assert "".join(s.text for s in task.diff_sections) == task.raw_diff
    assert '"a/we\\"ird\\tname.py"' in task.diff_sections[6].text


def test_a_conflicted_path_is_a_section_of_its_own(repo):
    git(repo, "checkout", "-q", "-b", "other")
    write(repo, {"a.py": "theirs\n"})
    commit(repo, "theirs")
    git(repo, "checkout", "-q", "-")
    write(repo, {"a.py": "ours\n", "sub/s.py": "s = 2\n"})
    commit(repo, "ours")
    with pytest.raises(subprocess.CalledProcessError):  # a conflict
        git(repo, "merge", "-q", "other")
    write(repo, {"sub/t.py": "t = 2\n"})
    git(repo, "add", "sub/t.py")
    task = build_task(repo, staged=True)
    assert [(s.path, s.text.split("\n")[0]) for s in task.diff_sections] == [
        ("a.py", "* Unmerged path a.py"),
        ("sub/t.py", "diff --git a/sub/t.py b/sub/t.py"),
    ]


def test_gate_omits_left_out_files_and_redacts_the_rest(repo):
    write(
        repo,
        {
            "a.py": f'one\nTOKEN = "{GH_TOKEN}"\nthree\n',
            "new.cfg": f"x\nkey={AWS_KEY}\n",
            "skip/me.py": f"k = '{AWS_KEY}'\n",
        },
    )
    (repo / "gone.py").unlink()
    task = build_task(repo, diff="HEAD")
    assert GH_TOKEN in task.raw_diff and AWS_KEY in task.raw_diff  # git's text, kept as is
    reasons = {"skip/me.py": "excluded by --exclude skip/", "gone.py": "secret\nin\nreason " + GH_TOKEN}
    text, found = gate_diff(task, reasons.get)
    assert GH_TOKEN not in text and AWS_KEY not in text
    assert "[packer: diff of skip/me.py omitted: excluded by --exclude skip/]\n" in text
    assert "[packer: diff of gone.py omitted: secret\\nin\\nreason [REDACTED:GitHub Token]]\n" in text
    assert "-bye" not in text and "k = '" not in text
    assert '+TOKEN = "[REDACTED:GitHub Token]"\n' in text and "+key=[REDACTED:AWS Access Key]\n" in text
    kept_lines = sum(s.text.count("\n") for s in task.diff_sections if s.path not in reasons)
    assert text.count("\n") == kept_lines + 2  # redaction keeps lines; an omitted section is one
    # Each secret at its line in the new file.
    assert sorted((s.path, s.line, s.kind, s.redacted) for s in found) == [
        ("a.py", 2, "GitHub Token", True),
        ("new.cfg", 2, "AWS Access Key", True),
    ]
    kept, listed = gate_diff(task, reasons.get, redact=False)
    assert GH_TOKEN in kept and [s.redacted for s in listed] == [False, False]


def test_gate_masks_a_secret_in_an_omitted_path_and_omits_unknown_sections():
    name = f"keys/{GH_TOKEN}.txt"
    task = Task(
        diff_ref="HEAD",
        diff_sections=(
            DiffSection(name, f"diff --git a/{name} b/{name}\n+x\n"),
            DiffSection(None, "diff --git a/odd b/odd\n+y\n"),
            DiffSection("bad\nname", 'diff --git "a/bad\\nname" "b/bad\\nname"\n+z\n'),
        ),
        changed=(name,),
    )
    text, _ = gate_diff(task, lambda path: "secret in file name" if "keys/" in path else "skipped")
    assert text == (
        "[packer: diff of keys/[REDACTED:GitHub Token].txt omitted: secret in file name]\n"
        "[packer: diff of a section omitted: no changed file matches its header]\n"
        "[packer: diff of bad\\nname omitted: skipped]\n"
    )


def test_removed_and_context_lines_report_their_own_file_lines():
    section = (
        f"diff --git a/c.py b/c.py\n--- a/c.py\n+++ b/c.py\n@@ -10,3 +20,3 @@ def f():\n"
        f" ctx = 1\n-old = '{AWS_KEY}'\n+new = '{GH_TOKEN}'\n"
    )
    task = Task(diff_ref="HEAD", diff_sections=(DiffSection("c.py", section),), changed=("c.py",))
    _, found = gate_diff(task, lambda path: None)
    assert [(s.line, s.kind) for s in found] == [(11, "AWS Access Key"), (21, "GitHub Token")]


def test_query_and_instructions_are_redacted(repo, monkeypatch):
    monkeypatch.chdir(repo)
    write(repo, {"issue.md": f"fix the login\nuse {GH_TOKEN} to test\n"})
    text, found = read_text_arg(f"see {AWS_KEY}", root=repo, option="--query")
    assert text == "see [REDACTED:AWS Access Key]" and found == [Secret("<query>", 1, "AWS Access Key")]
    task = build_task(repo, query="@issue.md")
    assert GH_TOKEN not in task.query and "[REDACTED:GitHub Token]" in task.query
    assert task.query_secrets == (Secret("<query>", 2, "GitHub Token"),)
    assert read_query(f"@@{GH_TOKEN}", root=repo) == "@[REDACTED:GitHub Token]"
    text, found = read_text_arg("@issue.md", root=repo, option="--instructions")
    assert GH_TOKEN not in text and found[0].path == "<instructions>"
    with pytest.raises(ConfigError, match=r"--instructions @\.\./x\.md: .*outside the repository"):
        write(repo.parent, {"x.md": "x\n"})
        read_text_arg("@../x.md", root=repo, option="--instructions")


def test_a_repositorys_fsmonitor_command_is_never_run(tmp_path):
    """`core.fsmonitor` names a program git would execute on index reads: a repository
    must not get packer to run it (walk, history, --diff, --staged, review)."""
    marker = tmp_path / "ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    root = tmp_path / "repo"
    write(root, {"a.py": "x = 1\n", "b.py": "y = 2\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    write(root, {"a.py": "x = 3\n"})
    git(root, "add", "a.py")
    write(root, {"b.py": "y = 4\n"})
    git(root, "config", "core.fsmonitor", str(hook))  # after the fixture's own git calls
    code = "from packer.cli import main; main()"
    for args in (
        ["pack", str(root)],
        ["pack", str(root), "--diff"],
        ["pack", str(root), "--staged"],
        ["review", str(root), "--staged", "--dry-run", "-o", str(tmp_path / "req.json")],
    ):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args, "--no-cache"]
            if args[0] == "pack"
            else [sys.executable, "-c", code, *args],
            input=b"stdin data\n",
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 0, (args, proc.stderr.decode())
        assert not marker.exists(), args


def test_an_untracked_file_swapped_for_a_fifo_is_not_waited_on(tmp_path, monkeypatch):
    """Between git listing an untracked file and packer reading it, a FIFO takes its place:
    the read is refused at once, never blocked on a writer that does not come."""
    import stat as stat_mod
    import threading

    from packer import task as task_mod

    write(tmp_path, {"real.py": "x = 1\n"})
    os.mkfifo(tmp_path / "c.py")
    regular = os.lstat(tmp_path / "real.py")
    real_lstat = os.lstat
    monkeypatch.setattr(task_mod.os, "lstat", lambda p: regular if str(p).endswith("c.py") else real_lstat(p))
    got: list[bytes] = []
    patch = task_mod._new_file_patch
    reader = threading.Thread(target=lambda: got.append(patch(str(tmp_path), "c.py", 1000)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert got == [b""] and stat_mod.S_ISFIFO(real_lstat(tmp_path / "c.py").st_mode)
