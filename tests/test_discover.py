"""The walker against git itself: the same file set with and without `.git`."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unicodedata
from pathlib import Path

import pytest
from conftest import git, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packer.content import read_source
from packer.discover import walk
from packer.errors import ConfigError, PackerError
from packer.records import Skip

ROOT_GITIGNORE = "\n".join(
    [
        "# a comment, then the rules",
        "\\#hash.txt",
        "*.log",
        "!keep.log",
        "build/",
        "cache",
        "/rootonly.txt",
        "docs/**/*.tmp",
        "**/gen/out.txt",
        "trail.txt   ",  # trailing spaces are trimmed
        "space\\  ",  # an escaped trailing space is kept, the one after it is not
        "excluded_dir/",
        "!excluded_dir/inner.txt",  # cannot re-include: its directory is pruned
        "secret/*",
        "!secret/public.txt",
        "foo/**",
        "!foo/keep",
        "data[0-9].csv",
        "?.q",
        "[!a-m]*.z",
        "",
    ]
)

# Every path below, and whether git leaves it in (True) or ignores it (False).
TREE: dict[str, bool] = {
    "a.py": True,
    "keep.log": True,
    "x.log": False,
    "sub/y.log": False,
    "#hash.txt": False,
    "hash.txt": True,
    "build/out.o": False,
    "src/build/y.o": False,
    "lib/build": True,  # a file: "build/" matches directories only
    "cache": False,
    "sub/cache/z.txt": False,
    "rootonly.txt": False,
    "sub/rootonly.txt": True,
    "docs/a/b/c.tmp": False,
    "docs/c.tmp": False,  # "**/" also matches zero directories
    "docs/readme.md": True,
    "other.tmp": True,
    "x/gen/out.txt": False,
    "gen/out.txt": False,
    "gen/other.txt": True,
    "trail.txt": False,
    "space ": False,
    "space": True,
    "excluded_dir/inner.txt": False,
    "secret/a.txt": False,
    "secret/public.txt": True,
    "foo/keep": True,
    "foo/x": False,
    "foo/sub/keep": False,
    "data1.csv": False,
    "dataX.csv": True,
    "a.q": False,
    "ab.q": True,
    "z1.z": False,
    "b1.z": True,
    "nested/y.log": True,  # the deeper file re-includes *.log
    "nested/t.txt": False,
    "nested/important.txt": True,
    "nested/anch": False,
    "nested/deeper/anch": True,  # "/anch" is anchored to nested/
    "nested/deeper/m.py": False,
    "nested/deeper/keep_me.py": True,
    "crlf/a.c": False,  # a CRLF .gitignore
    "crlf/a.h": True,
    "café.py": True,
    unicodedata.normalize("NFD", "café2.py"): True,
    "日本語/ファイル.txt": True,
    "new\nline.txt": True,
    os.fsdecode(b"bad\xff.txt"): True,
    ".hidden/h.py": True,
    ".editorconfig": True,  # a hidden file (".env" is a secrets file, skipped by default)
}
NESTED_RULES = {
    "nested/.gitignore": "!*.log\n*.txt\n!important.txt\n/anch\n",
    "nested/deeper/.gitignore": "*.py\n!keep_*.py\n",
    "crlf/.gitignore": "*.c\r\n",
}
RULE_FILES = [".gitignore", *NESTED_RULES]


def build_tree(root: Path) -> None:
    write(root, {".gitignore": ROOT_GITIGNORE, **NESTED_RULES})
    write(root, {path: f"content of {path!r}\n" for path in TREE})


def ls_files(cwd: Path) -> set[str]:
    """What git itself lists in `cwd`, minus what is gone from the work tree."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=cwd,
        capture_output=True,
        check=True,
    ).stdout
    paths = {os.fsdecode(p) for p in out.split(b"\0") if p}
    return {p for p in paths if os.path.isfile(cwd / p) or os.path.islink(cwd / p)}


def paths(result) -> set[str]:
    return {c.path for c in result.files}


def skipped(result) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


@pytest.fixture
def repo(tmp_path):
    """The tricky tree in a repository, with git-only rules and states on top."""
    root = tmp_path / "repo"
    build_tree(root)
    git(root, "init", "-q")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("info_excluded.txt\n")
    global_ignore = Path(os.environ["HOME"]) / "global_ignore"
    global_ignore.write_text("global_excluded.txt\n")
    git(root, "config", "--global", "core.excludesFile", str(global_ignore))
    write(root, {"info_excluded.txt": "x\n", "global_excluded.txt": "x\n", "tracked.log": "t\n"})
    write(root, {"deleted.py": "gone\n"})
    git(root, "add", "-f", "tracked.log")
    git(root, "add", "deleted.py", "a.py", ".gitignore")
    git(root, "commit", "-q", "-m", "init")
    (root / "deleted.py").unlink()
    return root


def expected_in_git() -> set[str]:
    keep = {p for p, kept in TREE.items() if kept}
    return keep | set(RULE_FILES) | {"tracked.log"}


def test_fixture_matches_gits_own_verdicts(repo):
    assert ls_files(repo) == expected_in_git()


@pytest.mark.parametrize("sub", ["", "nested", "nested/deeper", "docs", "日本語", "sub", "secret", "foo"])
def test_git_mode_equals_git_ls_files(repo, sub):
    root = repo / sub if sub else repo
    result = walk(root)
    assert result.git_root == str(repo)
    assert paths(result) == ls_files(root)
    assert result.skipped == ()
    assert result.warnings == ()


def test_git_mode_reports_abspath_and_size(repo):
    result = walk(repo / "nested")
    by_path = {c.path: c for c in result.files}
    c = by_path["deeper/keep_me.py"]
    assert c.abspath == str(repo / "nested" / "deeper" / "keep_me.py")
    assert c.size == len("content of 'nested/deeper/keep_me.py'\n")


def test_plain_walker_gives_gits_set_without_dot_git(repo, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    result = walk(copy)
    assert result.git_root is None
    # Only the rules that live in .git differ, and the tracked-but-ignored file; the user's
    # core.excludesFile applies without .git too.
    expected = expected_in_git() - {"tracked.log"} | {"info_excluded.txt"}
    assert paths(result) == expected


def test_plain_walker_without_git_on_path(repo, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    result = walk(repo)
    assert result.git_root is None
    expected = expected_in_git() - {"tracked.log"} | {"info_excluded.txt", "global_excluded.txt"}
    assert paths(result) == expected  # .git is never entered


def test_use_gitignore_false_lists_everything_but_dot_git(repo):
    result = walk(repo, use_gitignore=False)
    assert result.git_root is None
    assert set(TREE) <= paths(result)
    assert {"x.log", "build/out.o", "excluded_dir/inner.txt", "info_excluded.txt"} <= paths(result)
    assert not any(p.startswith(".git/") for p in paths(result))
    assert "deleted.py" not in paths(result)


def test_root_ignored_by_parent_repository_is_walked_with_its_own_rules(repo):
    inner = repo / "build"
    write(inner, {"keep.py": "k\n", "drop.tmp": "d\n", ".gitignore": "*.tmp\n"})
    result = walk(inner)
    assert paths(result) == {"out.o", "keep.py", ".gitignore"}
    assert result.git_root is None
    assert len(result.warnings) == 1
    assert "ignored by the enclosing git repository" in result.warnings[0]
    assert str(repo) in result.warnings[0]


def test_root_inside_dot_git_warns(repo):
    result = walk(repo / ".git" / "info")
    assert paths(result) == {"exclude"}
    assert any("inside a git directory (.git)" in w for w in result.warnings)


def test_hook_environment_does_not_redirect_git(repo, tmp_path, monkeypatch):
    other = tmp_path / "other"
    write(other, {"only_here.py": "x\n"})
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert paths(walk(repo)) == expected_in_git() - {"deleted.py"}


def test_submodule_and_nested_repository_are_skipped(tmp_path):
    root = tmp_path / "top"
    write(root, {"a.py": "a\n", "inner/b.py": "b\n"})
    git(root, "init", "-q")
    git(root / "inner", "init", "-q")
    lib = tmp_path / "lib"
    write(lib, {"lib.py": "l\n"})
    git(lib, "init", "-q")
    git(lib, "add", ".")
    git(lib, "commit", "-q", "-m", "lib")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "deps/lib")
    result = walk(root)
    assert paths(result) == {"a.py", ".gitmodules"}
    assert skipped(result) == {"inner/": "nested git repository", "deps/lib": "git submodule"}


# --- randomised: plain walker == git for generated rules and trees -------------------------

NAMES = ["a", "b", "c.txt", "d.log", "x"]
PATTERNS = [
    "*.txt", "!*.txt", "a", "a/", "/a", "!a", "!a/", "b/**", "!b/c.txt", "**/c.txt", "a/**/d.log",
    "*", "!*/", "x/", "!x/a", "?.log", "[ab]", "[!a]*", "\\!a", "a/*", "!a/b", "**/x/", "x/**/",
    "*.log", "!d.log", "/x/a", "b", "!b/", "c.txt/",
]  # fmt: skip


@st.composite
def trees(draw):
    files = draw(
        st.sets(
            st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map("/".join), min_size=1, max_size=12
        )
    )
    # A path cannot be both a file and a directory.
    files = {f for f in files if not any(g.startswith(f + "/") for g in files)}
    dirs = sorted({f.rsplit("/", 1)[0] + "/" for f in files if "/" in f})
    rules = {".gitignore": draw(st.lists(st.sampled_from(PATTERNS), max_size=6))}
    if dirs:
        where = draw(st.sampled_from(dirs))
        rules[where + ".gitignore"] = draw(st.lists(st.sampled_from(PATTERNS), max_size=4))
    return files, rules


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trees())
def test_random_rules_plain_walker_equals_git(case):
    files, rules = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write(root, {f: "x\n" for f in files})
        write(root, {p: "\n".join(lines) + "\n" for p, lines in rules.items()})
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        expected = ls_files(root)
        assert paths(walk(root)) == expected  # git mode
        shutil.rmtree(root / ".git")
        assert paths(walk(root)) == expected, rules  # plain mode


# --- .packerignore, --include, --exclude ------------------------------------------------------


@pytest.fixture(params=["git", "plain"])
def mode(request):
    return request.param


def make_root(tmp_path: Path, files: dict[str, str | bytes], mode: str) -> Path:
    root = tmp_path / "r"
    write(root, files)
    if mode == "git":
        git(root, "init", "-q")
    return root


def test_packerignore_nested_rules(tmp_path, mode):
    root = make_root(
        tmp_path,
        {
            ".packerignore": "*.md\nsecrets/\n!secrets/ok.py\n",
            "sub/.packerignore": "!README.md\n",
            "a.md": "a\n",
            "a.py": "a\n",
            "sub/README.md": "r\n",
            "sub/other.md": "o\n",
            "secrets/key.py": "k\n",
            "secrets/ok.py": "k\n",
            "secrets/.packerignore": "!*.py\n",  # never read: its directory is excluded
        },
        mode,
    )
    result = walk(root)
    assert paths(result) == {".packerignore", "a.py", "sub/.packerignore", "sub/README.md"}
    assert skipped(result) == {
        "a.md": ".packerignore",
        "sub/other.md": ".packerignore",
        "secrets/key.py": ".packerignore",
        "secrets/ok.py": ".packerignore",
        "secrets/.packerignore": ".packerignore",
    }
    assert result.git_root == (str(root) if mode == "git" else None)


def test_exclude_and_include(tmp_path, mode):
    files = {"a.py": "", "b.txt": "", "docs/c.py": "", "docs/d.md": "", "src/e.py": ""}
    root = make_root(tmp_path, files, mode)
    result = walk(root, exclude=["*.txt", "docs/"], include=["*.py"])
    assert paths(result) == {"a.py", "src/e.py"}
    assert skipped(result) == {
        "b.txt": "excluded by --exclude *.txt",
        "docs/c.py": "excluded by --exclude docs/",
        "docs/d.md": "excluded by --exclude docs/",
    }
    result = walk(root, include=["src/", "b.txt"])
    assert paths(result) == {"src/e.py", "b.txt"}
    assert skipped(result)["a.py"] == "not matched by --include"


def test_exclude_negation_and_bad_pattern(tmp_path):
    root = make_root(tmp_path, {"a.log": "", "keep.log": ""}, "plain")
    assert paths(walk(root, exclude=["*.log", "!keep.log"])) == {"keep.log"}
    with pytest.raises(ConfigError, match="--exclude"):
        walk(root, exclude=["ok", "trailing\\"])


# --- vendored and .gitattributes -------------------------------------------------------------


def test_vendored_directories_recorded_once(tmp_path, mode):
    files = {
        "app.js": "",
        "node_modules/a/b.js": "",
        "node_modules/c.js": "",
        "src/vendor/x.go": "",
        "lib/third_party/y.c": "",
        "lib/third-party/y.c": "",
        "bower_components/z.js": "",
        "notvendor/ok.py": "",
    }
    root = make_root(tmp_path, files, mode)
    result = walk(root)
    assert paths(result) == {"app.js", "notvendor/ok.py"}
    assert result.skipped == (
        Skip("bower_components/", "vendored", "1 file"),
        Skip("lib/third-party/", "vendored", "1 file"),
        Skip("lib/third_party/", "vendored", "1 file"),
        Skip("node_modules/", "vendored", "2 files"),
        Skip("src/vendor/", "vendored", "1 file"),
    )
    assert paths(walk(root, keep=["vendored"])) == set(files)


ATTRIBUTES = "\n".join(
    [
        "# linguist attributes, as GitHub reads them",
        "*.pb.go linguist-generated",
        "gen/** linguist-generated=true",
        "gen/keep.go -linguist-generated",
        "docs/*.md linguist-vendored",
        "docs/own.md !linguist-vendored",
        "dirpat/ linguist-generated",  # a directory pattern gives nothing to its files
        "src/vendor/** linguist-vendored=false",
        '"with space.txt" linguist-generated',
        '"caf\\303\\251.txt" linguist-generated',  # C-quoted, octal UTF-8
        "/anchored.txt linguist-generated",
        "*.txt diff=text",
        "",
    ]
)


def test_gitattributes_like_git_check_attr(tmp_path):
    files = {
        ".gitattributes": ATTRIBUTES,
        "sub/.gitattributes": "*.txt linguist-generated\nkeep.txt linguist-generated=false\n",
        "api.pb.go": "",
        "deep/api.pb.go": "",
        "gen/a.go": "",
        "gen/sub/b.go": "",
        "gen/keep.go": "",
        "docs/guide.md": "",
        "docs/own.md": "",
        "docs/deeper/x.md": "",
        "dirpat/f.py": "",
        "src/vendor/mine.go": "",
        "with space.txt": "",
        "café.txt": "",
        "anchored.txt": "",
        "sub/anchored.txt": "",
        "sub/keep.txt": "",
        "main.py": "",
    }
    root = make_root(tmp_path, files, "git")
    out = subprocess.run(
        ["git", "check-attr", "-z", "linguist-generated", "linguist-vendored", "--", *files],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    git_set = {
        (os.fsdecode(p), os.fsdecode(a))
        for p, a, v in zip(out[0::3], out[1::3], out[2::3], strict=False)
        if v in (b"set", b"true")
    }
    generated = {p for p, a in git_set if a == "linguist-generated"}
    vendored = {p for p, a in git_set if a == "linguist-vendored"}
    # What git says, spelled out so the test cannot pass vacuously.
    assert generated == {
        "api.pb.go",
        "deep/api.pb.go",
        "gen/a.go",
        "gen/sub/b.go",
        "with space.txt",
        "café.txt",
        "anchored.txt",
        "sub/anchored.txt",
    }
    assert vendored == {"docs/guide.md"}
    for m in ("git", "plain"):
        if m == "plain":
            shutil.rmtree(root / ".git")
        result = walk(root)
        reasons = skipped(result)
        assert {p for p, r in reasons.items() if r.startswith("generated")} == generated
        assert {p for p, r in reasons.items() if r.startswith("vendored")} == vendored
        assert reasons["api.pb.go"] == "generated (.gitattributes linguist-generated)"
        assert reasons["docs/guide.md"] == "vendored (.gitattributes linguist-vendored)"
        # -linguist-vendored rescues a file from a vendored directory.
        assert "src/vendor/mine.go" in paths(result)
        kept = walk(root, keep=["generated", "vendored"])
        assert paths(kept) == set(files)


# --- size, symlinks, special files -----------------------------------------------------------


def test_size_limit(tmp_path, mode):
    root = make_root(tmp_path, {"big.txt": "x" * 101, "ok.txt": "x" * 100}, mode)
    result = walk(root, max_file_size=100)
    assert paths(result) == {"ok.txt"}
    assert skipped(result) == {"big.txt": "too large (101 bytes > 100)"}
    assert paths(walk(root, max_file_size=None)) == {"big.txt", "ok.txt"}


def test_symlinks_are_never_followed(tmp_path, mode):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    root = make_root(tmp_path, {"sub/f.txt": "f\n", "d/g.txt": "g\n"}, mode)
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    os.symlink("self", root / "self")
    os.symlink(str(outside), root / "escape")
    os.symlink("../outside.txt", root / "escape_rel")
    os.symlink("..", root / "d" / "up")  # a directory loop back to root
    os.symlink("sub", root / "dirlink")
    os.symlink("sub/f.txt", root / "filelink")
    os.symlink("missing.txt", root / "dangling")
    os.symlink(str(tmp_path), root / "d" / "parent")
    result = walk(root)
    assert paths(result) == {"sub/f.txt", "d/g.txt"}
    assert skipped(result) == {
        "loop_a": "symlink loop",
        "loop_b": "symlink loop",
        "self": "symlink loop",
        "escape": "symlink outside root",
        "escape_rel": "symlink outside root",
        "d/up": "symlink to directory",
        "dirlink": "symlink to directory",
        "filelink": "symlink to sub/f.txt",
        "dangling": "broken symlink",
        "d/parent": "symlink outside root",
    }


def test_root_given_through_a_symlink(tmp_path):
    real = make_root(tmp_path, {"a.py": "", "sub/b.py": ""}, "plain")
    os.symlink("sub/b.py", real / "link")
    alias = tmp_path / "alias"
    os.symlink(real, alias)
    result = walk(alias)
    assert paths(result) == {"a.py", "sub/b.py"}
    assert skipped(result) == {"link": "symlink to sub/b.py"}
    assert result.files[0].abspath == str(alias / "a.py")


def test_fifo_socket_and_device_are_never_opened(tmp_path, mode):
    root = make_root(tmp_path, {"a.py": "", "fifo": ""}, mode)
    if mode == "git":  # git lists only files and symlinks: track the name, then swap in a FIFO
        git(root, "add", "fifo")
    (root / "fifo").unlink()
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    expected = {"fifo": "not a regular file (fifo)", "sock": "not a regular file (socket)"}
    try:
        os.mknod(root / "dev", 0o600 | 0o020000, os.makedev(1, 3))  # S_IFCHR: /dev/null
        expected["dev"] = "not a regular file (device)"
    except (PermissionError, AttributeError, OSError):
        pass
    if mode == "git":
        expected = {"fifo": expected["fifo"]}
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(walk(root)), daemon=True)
    thread.start()
    thread.join(timeout=20)
    sock.close()
    assert not thread.is_alive(), "walk blocked on a special file"
    (result,) = box
    assert paths(result) == {"a.py"}
    assert skipped(result) == expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_and_directory(tmp_path):
    root = make_root(tmp_path, {"a.py": "", "locked.py": "", "closed/x.py": ""}, "plain")
    (root / "locked.py").chmod(0)
    (root / "closed").chmod(0)
    try:
        result = walk(root)
    finally:
        (root / "closed").chmod(0o755)
    assert paths(result) == {"a.py"}
    assert skipped(result) == {
        "locked.py": "unreadable: Permission denied",
        "closed/": "unreadable: Permission denied",
    }


# --- names, order, errors --------------------------------------------------------------------


def test_output_sorted_bytewise_and_deterministic(tmp_path, mode):
    names = ["B", "a0", "a-b", "a.b", "a/b", "a/c", "é", "！", "z", os.fsdecode(b"\xff"), "ab", "~"]
    files = {n: "" for n in names}
    root = make_root(tmp_path, files, mode)
    result = walk(root)
    got = [c.path for c in result.files]
    assert got == sorted(names, key=lambda p: p.encode("utf-8", "surrogateescape"))
    assert walk(root) == result


def test_unicode_names_are_kept_as_on_disk(tmp_path, mode):
    nfc, nfd = "é.py", unicodedata.normalize("NFD", "é.py")
    root = make_root(tmp_path, {nfc: "", nfd: "", "new\nline.py": ""}, mode)
    assert paths(walk(root)) == {nfc, nfd, "new\nline.py"}


def test_missing_or_file_root_raises(tmp_path):
    with pytest.raises(PackerError, match="does not exist"):
        walk(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(PackerError, match="not a directory"):
        walk(tmp_path / "f.txt")


def test_dot_git_file_and_directory_skipped_in_plain_mode(tmp_path):
    root = make_root(tmp_path, {"a.py": "", ".git": "gitdir: elsewhere\n", "sub/.git/config": ""}, "plain")
    assert paths(walk(root, use_gitignore=False)) == {"a.py"}


def test_lstat_errors_become_skips(tmp_path, mode, monkeypatch):
    """Root bypasses permissions, so the errors are injected where the walker meets them."""
    root = make_root(tmp_path, {"a.py": "", "denied.py": "", "gone.py": ""}, mode)
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        name = os.path.basename(os.fspath(path))
        if name == "denied.py":
            raise PermissionError(13, "Permission denied", path)
        if name == "gone.py":
            raise FileNotFoundError(2, "No such file or directory", path)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat)
    result = walk(root)
    assert paths(result) == {"a.py"}
    expected = {"denied.py": "unreadable: Permission denied"}
    if mode == "plain":  # with git, a listed file missing from disk is a deleted tracked file
        expected["gone.py"] = "vanished during walk"
    assert skipped(result) == expected


def test_file_vanishing_between_walk_and_read(tmp_path, mode):
    root = make_root(tmp_path, {"a.py": "a\n", "b.py": "b\n"}, mode)
    result = walk(root)
    os.unlink(root / "b.py")
    got = {c.path: read_source(c) for c in result.files}
    assert got["b.py"] == Skip("b.py", "vanished-before-read")
    assert got["a.py"].text == "a\n"
