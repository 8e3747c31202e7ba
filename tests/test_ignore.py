"""packer.ignore against git: the matcher's semantics, its speed on hostile rules, and the
user's global excludes file in a walk without `.git`.

The oracle is git itself: a tree is walked without `.git`, then copied, `git init`-ed and
listed with `git ls-files --cached --others --exclude-standard` (and `git check-attr`).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import git

import packer.ignore as ignore
from packer.discover import walk
from packer.ignore import Attributes, Rules, attributes_for, is_ignored, parse_attributes

HOSTILE = "**/**/**/**/*a*a*a*a*a*b"  # minutes per path for a backtracking regex engine


def deep(depth: int) -> str:
    return "/".join(["a" * 30] * depth + ["a" * 60])


def make(root: Path, files: dict[bytes, bytes]) -> None:
    """Files by raw byte path (names need not be UTF-8)."""
    for rel, data in files.items():
        path = os.path.join(os.fsencode(root), rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def git_listing(root: Path) -> set[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return {os.fsdecode(p) for p in out.split(b"\0") if p}


def walked(root: Path) -> set[str]:
    result = walk(root, max_file_size=None)
    assert result.git_root is None
    assert not result.skipped, result.skipped  # nothing here is a secret, link or special file
    return {c.path for c in result.files}


def listed_by_git(tree: Path, tmp: Path) -> set[str]:
    """What git lists for a copy of `tree` made a repository."""
    copy = tmp / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(tree, copy, symlinks=True)
    git(copy, "init", "-q")
    return git_listing(copy)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user with no git config but what a test writes: $HOME/.gitconfig is git's own."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return home


@pytest.fixture(params=["re2", "automaton"])
def engine(request, monkeypatch):
    """Every glob in RE2 sets, or every glob on the fallback automaton."""
    ignore._shared_rules.cache_clear()  # small files' compiled rules are shared
    if request.param == "automaton":
        monkeypatch.setattr(ignore, "_re2", None)
    yield request.param
    ignore._shared_rules.cache_clear()


# --- speed: linear in the path, and in the rules ------------------------------------------


@pytest.mark.parametrize("depth", [8, 9, 10])
def test_hostile_glob_is_matched_in_linear_time(depth, engine):
    path, name = deep(depth), "a" * 60
    rules = Rules.parse([HOSTILE], "")
    attrs = Attributes("", parse_attributes([f"{HOSTILE} linguist-generated"]))
    assert rules is not None
    start = time.perf_counter()
    assert not is_ignored([rules], path, name, is_dir=False)
    assert attributes_for([attrs], path, name) == {}
    assert is_ignored([rules], path + "b", name + "b", is_dir=False)  # it does match: "...ab"
    assert attributes_for([attrs], path + "b", name + "b") == {"linguist-generated": True}
    # The target is 0.1 s a path (benchmarks/bench_ignore.py); backtracking took 40-80 s.
    assert time.perf_counter() - start < 2


def test_hostile_glob_in_every_rule_file_walks_like_git(tmp_path, home):
    tree = tmp_path / "tree"
    make(tree, {deep(d).encode(): b"x\n" for d in (8, 9, 10)})
    make(tree, {deep(9).encode() + b"b": b"y\n"})
    make(tree, {b".gitignore": HOSTILE.encode() + b"\n", b".gitattributes": b"* -linguist-generated\n"})
    start = time.perf_counter()
    plain = walked(tree)
    assert time.perf_counter() - start < 20  # a sanity bound: seconds, where it took minutes
    assert plain == listed_by_git(tree, tmp_path)
    assert deep(9) + "b" not in plain and deep(9) in plain
    (tree / ".packerignore").write_text(HOSTILE + "\n")
    (tree / ".gitattributes").write_text(HOSTILE + " linguist-generated\n")
    result = walk(tree)
    assert {s.path for s in result.skipped} == set()  # the one it matches is gitignored already
    assert {c.path for c in result.files} == plain | {".packerignore"}


def rule(i: int) -> str:
    """Rule i of a large file: ten shapes, every RE2 set kind and the dictionary."""
    shapes = [
        f"src/m{i}/f{i}.py",
        f"n{i}.tmp",
        f"*.e{i}",
        f"b{i}/",
        f"/o{i}/*.o",
        f"**/c{i}/**",
        f"l{i}-?.txt",
        f"[Tt]{i}*",
        f"!k{i}.py",
        f"docs/**/d{i}.md",
    ]
    return shapes[i % 10]


def file_for(j: int) -> str:
    shapes = [
        f"src/m{j}/f{j}.py",
        f"p/n{j}.tmp",
        f"x/z.e{j}",
        f"b{j}/a.c",
        f"o{j}/m.o",
        f"a/c{j}/d.h",
        f"q/l{j}-1.txt",
        f"t/T{j}.bak",
        f"k{j}.py",
        f"docs/x/d{j}.md",
    ]
    return shapes[j % 10]


def test_twenty_thousand_rules_match_git_and_scale(tmp_path, home):
    n = 20_000  # ten RE2 sets of 2,048 globs: rules on both sides of every set boundary
    tree = tmp_path / "tree"
    numbers = sorted({*range(0, n, 97), *range(2040, 2060), 2, 8, 12, 18, *range(n, n + 30)})  # n+: no rule
    files = {file_for(j).encode(): b"x\n" for j in numbers}
    # Later lines override earlier ones held in other sets (and the dictionary).
    lines = [rule(i) for i in range(n)] + ["!x/z.e12", "k8.py", "*.bak", "!t/T2047.bak"]
    make(tree, {**files, b".gitignore": "\n".join(lines).encode()})
    start = time.perf_counter()
    plain = walked(tree)
    # About 0.3 s here (benchmarks/bench_ignore.py: 100,000 rules in about a second).
    assert time.perf_counter() - start < 10
    expected = listed_by_git(tree, tmp_path)
    assert plain == expected
    assert 30 < len(expected) < len(files)  # some files kept, some ignored
    assert {"x/z.e12", "t/T2047.bak", "k18.py"} <= plain
    assert not {"x/z.e2", "k8.py", "t/T2057.bak", "b2043/a.c", "src/m2040/f2040.py"} & plain


# --- semantics against git ----------------------------------------------------------------

SEMANTICS = {
    "negation after a directory rule": (
        "build/\n!build/keep.txt\n*.txt\n!keep.txt\n",
        ["build/keep.txt", "build/x", "keep.txt", "a.txt", "d/keep.txt"],
    ),
    "foo/** leaves foo": ("foo/**\n!foo/in.c\n", ["foo/a", "foo/b/c", "foo/in.c", "xfoo/a", "foo.c"]),
    "**/foo at any depth": ("**/foo\n**/bar/\n", ["foo", "a/foo", "a/b/foo/x", "a/foox", "b/bar", "c/bar/d"]),
    "a/**/b": ("a/**/b\n", ["a/b", "a/x/b", "a/x/y/b", "ab", "a/xb", "x/a/b"]),
    "**\\/ needs a directory": ("a/**\\/b\n", ["a/b", "a/x/b", "a/x/y/b"]),
    "** inside a name is *": ("a**b\nc/d**e\n", ["ab", "axb", "ax/b", "c/de", "c/dxe", "c/dx/e"]),
    "negated class": ("[!a-c]*\n", ["a1", "d1", "c", "z", "é"]),
    "character classes": (
        "[[:alpha:]]1\n[[:digit:][:upper:]]q\n[[:punct:]]p\n",
        ["a1", "Z1", "11", "_1", "1q", "Aq", "aq", "-p", "ap"],
    ),
    "git's space class has no \\v or \\f": ("[[:space:]]x\n", ["\vx", "\fx", "\tx", " x", "ax"]),
    "classes with ] and -": ("[a-]x\n[]]y\n[!]]z\n", ["ax", "-x", "bx", "]y", "az", "]z"]),
    "a [ without :]": ("[[a]v\n", ["[v", "av", "bv"]),
    "an unknown class never matches": ("[[:foo:]]w\n[z\n*.o\n", ["fw", "[w", "[z", "z", "a.o"]),
    "escapes": ("\\*x\n\\#h\n\\!b\n\\[c]\n", ["*x", "ax", "#h", "!b", "b", "[c]", "c"]),
    "trailing spaces": ("sp\\ \nts  \nq\\  \n", ["sp ", "sp", "ts", "ts  ", "q ", "q  ", "q"]),
    "? and [] are one byte": ("?\n[!a]b\n", ["é", "a", "ab", "éb", "bb"]),
    "* stops at /": ("d/*\n!d/*/\n*.c\n", ["d/a", "d/e/f", "x/y.c", "d/g.c"]),
    "anchored and dir-only": ("/top\nsub/\n/dir/\n", ["top", "x/top", "sub", "x/sub/f", "dir/f", "x/dir/f"]),
    "a NUL ends the line": ("a.t\0xt\n*.c\0\n\0b\n", ["a.t", "a.txt", "x.c", "b"]),
}


@pytest.mark.parametrize("name", sorted(SEMANTICS))
def test_rule_semantics_match_git(name, tmp_path, home, engine):
    rules, paths = SEMANTICS[name]
    tree = tmp_path / "tree"
    make(tree, {p.encode(): b"x\n" for p in paths})
    make(tree, {b".gitignore": rules.encode()})
    expected = listed_by_git(tree, tmp_path)
    assert walked(tree) == expected
    assert set() < expected & set(paths) < set(paths)  # the rules keep some, drop some
    compiled = Rules.parse(rules.split("\n"), "")
    assert compiled is not None
    matchers = (compiled._names, compiled._paths)
    if engine == "automaton":
        assert not any(m.sets for m in matchers)
    else:
        assert not any(m.slow for m in matchers)


def test_a_leading_prefix_does_not_make_double_star_special():
    """git 2.52's fix (t0008 "** not confused by matching leading prefix"): before it, the
    literal prefix was cut off and `**` matched as if at the start; older gits differ."""
    rules = Rules.parse(["foo**/bar", "a/b**"], "")
    assert rules is not None
    assert is_ignored([rules], "foo/bar", "bar", is_dir=False)
    assert is_ignored([rules], "fooo/bar", "bar", is_dir=False)
    assert not is_ignored([rules], "foobar", "foobar", is_dir=False)
    assert is_ignored([rules], "a/bc", "bc", is_dir=False)
    assert not is_ignored([rules], "a/b/c", "c", is_dir=False)


def test_sets_split_and_fall_back_when_re2_refuses(monkeypatch):
    """A set too large for RE2's memory budget is split; a glob too large alone runs on the
    automaton. The answers stay those of the automaton alone."""
    lines = [rule(i) for i in range(300)] + ["*" + "a?" * 5000]
    paths = [(file_for(j), False) for j in range(320)] + [("a/c41", True), ("p", True), ("x" * 12, False)]

    def answers() -> list[bool]:
        r = Rules.parse(lines, "")
        assert r is not None
        return [is_ignored([r], p, p.rpartition("/")[2], is_dir=d) for p, d in paths]

    reference = answers()
    assert 20 < sum(reference) < len(paths) - 20
    usual = Rules.parse(lines, "")
    assert usual is not None and not usual._names.slow
    monkeypatch.setattr(ignore, "_MAX_MEM", 128 << 10)
    small = Rules.parse(lines, "")
    assert small is not None
    assert len(small._names.sets) > len(usual._names.sets)  # split
    assert len(small._names.slow) == 1  # the huge glob, alone
    assert answers() == reference
    monkeypatch.setattr(ignore, "_re2", None)
    assert answers() == reference


# --- random trees against git, global excludes included -------------------------------------

NAMES = [
    "a",
    "b",
    "ab",
    "x.py",
    "y.log",
    "é",
    "ü.txt",
    "sp ",
    "Temp",
    "[q]",
    "#h",
    "!n",
    "v\vw",
    "c1",
    "d-2",
    os.fsdecode(b"r\xff"),
]
PIECES = [
    "*",
    "?",
    "[a-c]",
    "[!a]",
    "[[:alpha:]]",
    "[[:space:]]",
    "\\*",
    "\\!",
    "\\#",
    "\\[q]",
    ".py",
    ".log",
    ".txt",
    "a",
    "b",
    "x",
    "T",
    "é",
    "ü",
    "?.*",
]


def random_glob(rnd: random.Random, paths: list[str]) -> str:
    """A glob shaped after one of `paths` (relative to the rule file's directory), or not."""
    parts = rnd.choice(paths).split("/") if paths and rnd.random() < 0.8 else ["x"]
    roll = rnd.random()
    if roll < 0.35:
        parts = parts[-1:]  # a name at any depth
    elif roll < 0.5:
        parts = ["**", *parts[rnd.randrange(len(parts)) :]]
    elif roll < 0.65:
        parts = [*parts[: rnd.randrange(len(parts)) + 1], "**"]
    if rnd.random() < 0.6:
        k = rnd.randrange(len(parts))
        parts[k] = mutated(rnd, parts[k])
    if rnd.random() < 0.15:
        parts.append("".join(rnd.choice(PIECES) for _ in range(rnd.choice([1, 2]))))
    # `**` only as a whole component: before git 2.52 a `**` after a literal prefix ("x**/")
    # was read as if it began the pattern.
    glob = "/".join(p if p == "**" else re.sub(r"(?<!\\)\*+", "*", p) for p in parts)
    glob = rnd.choice(["", "", "", "/", "!", "!/"]) + glob + rnd.choice(["", "", "", "/"])
    return glob + rnd.choice(["", "", "", "  ", "\\ "])


def mutated(rnd: random.Random, name: str) -> str:
    """`name` with one character made a wildcard, a class or an escape: a glob that matches it
    (or nearly)."""
    if name == "**" or not name:
        return name
    i = rnd.randrange(len(name))
    c = name[i]
    swap = rnd.choice(["?", "*", f"[{c}-z]", "[!x]", "[[:alpha:]]", "[[:space:]]", "\\" + c, "[!" + c + "]"])
    return name[:i] + swap + name[i + 1 :]


def random_tree(rnd: random.Random) -> list[str]:
    files: list[str] = []
    for _ in range(rnd.randint(6, 30)):
        path = "/".join(rnd.choice(NAMES) for _ in range(rnd.randint(1, 4)))
        if not any(f == path or f.startswith(path + "/") or path.startswith(f + "/") for f in files):
            files.append(path)  # a name is a file or a directory, not both
    return files


def under(files: list[str], d: str) -> list[str]:
    """The files and directories below directory `d` ("" or "a/b/"), relative to it."""
    found = set()
    for f in files:
        if f.startswith(d):
            rest = f[len(d) :].split("/")
            found.update("/".join(rest[: k + 1]) for k in range(len(rest)))
    return sorted(found)


def random_rules(rnd: random.Random, paths: list[str]) -> str:
    return "".join(random_glob(rnd, paths) + "\n" for _ in range(rnd.randint(1, 8)))


GLOBAL_MODES = ["config-absolute", "config-tilde", "config-relative", "xdg", "home-default", "none"]


def set_global_excludes(mode: str, home: Path, tree: Path, rules: str, monkeypatch) -> None:
    data = rules.encode("utf-8", "surrogateescape")
    if mode == "config-absolute":
        (home / "ignore-file").write_bytes(data)
        (home / ".gitconfig").write_text(f"[core]\n\texcludesFile = {home / 'ignore-file'}\n")
    elif mode == "config-tilde":
        (home / "dots").mkdir()
        (home / "dots" / "gi").write_bytes(data)
        os.symlink(home / "dots" / "gi", home / "linked")  # git follows it; so must packer
        (home / ".gitconfig").write_text("[core]\n\texcludesFile = ~/linked\n")
    elif mode == "config-relative":  # relative to the top of the tree, in git and here
        (tree / "rel.ignore").write_bytes(data)
        (home / ".gitconfig").write_text("[core]\n\texcludesFile = rel.ignore\n")
    elif mode == "xdg":
        xdg = home / "xdg"
        (xdg / "git").mkdir(parents=True)
        (xdg / "git" / "ignore").write_bytes(data)
        (home / ".config" / "git").mkdir(parents=True)
        (home / ".config" / "git" / "ignore").write_text("*\n")  # shadowed by XDG_CONFIG_HOME
        monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    elif mode == "home-default":
        (home / ".config" / "git").mkdir(parents=True)
        (home / ".config" / "git" / "ignore").write_bytes(data)


def build_random_tree(seed: int, tree: Path, home: Path, monkeypatch) -> str:
    """Files, `.gitignore`s (at the root more often than not), a global excludes file
    found one of six ways, and `.gitattributes`; the way the excludes file is found."""
    rnd = random.Random(seed)
    files = random_tree(rnd)
    dirs = sorted({f[: i + 1] for f in files for i, c in enumerate(f) if c == "/"})
    make(tree, {os.fsencode(f): b"x\n" for f in files})
    rule_dirs = rnd.sample(dirs, k=min(len(dirs), rnd.randint(0, 2))) + [""] * (rnd.random() < 0.7)
    for d in rule_dirs:
        rules = random_rules(rnd, under(files, d))
        (tree / d / ".gitignore").write_bytes(rules.encode("utf-8", "surrogateescape"))
    mode = GLOBAL_MODES[seed % len(GLOBAL_MODES)]
    set_global_excludes(mode, home, tree, random_rules(rnd, under(files, "")), monkeypatch)
    for d in rnd.sample(["", *dirs], k=min(len(dirs) + 1, 2)):
        globs = [random_glob(rnd, under(files, d)).lstrip("!") for _ in range(3)]
        text = "".join(f"{g} {rnd.choice(['', '-'])}linguist-generated\n" for g in globs)
        (tree / d / ".gitattributes").write_bytes(text.encode("utf-8", "surrogateescape"))
    return mode


@pytest.mark.parametrize("seed", range(48))
def test_random_trees_walk_like_git_with_global_excludes(seed, tmp_path, home, monkeypatch):
    tree = tmp_path / "tree"
    mode = build_random_tree(seed, tree, home, monkeypatch)
    plain = walk(tree, max_file_size=None, keep=("generated",))
    assert plain.git_root is None and not plain.skipped
    expected = listed_by_git(tree, tmp_path)
    assert {c.path for c in plain.files} == expected, mode
    check_attributes_like_git(tree, tmp_path / "copy", sorted(expected))


def check_attributes_like_git(tree: Path, copy: Path, paths: list[str]) -> None:
    """attributes_for, with the files' .gitattributes stacks, against `git check-attr`."""
    out = subprocess.run(
        ["git", "check-attr", "-z", "--stdin", "linguist-generated"],
        cwd=copy,
        input=b"".join(os.fsencode(p) + b"\0" for p in paths),
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    theirs = {os.fsdecode(out[i]): out[i + 2].decode() for i in range(0, len(out) - 2, 3)}
    for path in paths:
        stack = []
        parts = path.split("/")
        for k in range(len(parts)):
            base = "/".join(parts[:k]) + "/" if k else ""
            attrs_file = tree / base / ".gitattributes"
            if attrs_file.exists():
                lines = parse_attributes(ignore.text_lines(attrs_file.read_bytes()))
                if lines:
                    stack.append(Attributes(base, lines))
        mine = attributes_for(stack, path, parts[-1]).get("linguist-generated", "unspecified")
        expected = {"set": True, "unset": False}.get(theirs[path], theirs[path])
        assert mine == expected, path


# --- the global excludes file outside git --------------------------------------------------


def test_global_excludes_are_the_lowest_rules(tmp_path, home):
    (home / ".gitconfig").write_text("[core]\n\texcludesFile = ~/global\n")
    (home / "global").write_text("*.log\nout/\n!keep.tmp\n/top.txt\n")
    tree = tmp_path / "tree"
    make(
        tree,
        {
            b"a.log": b"",
            b"keep.log": b"",
            b"x.tmp": b"",
            b"keep.tmp": b"",
            b"out/o": b"",
            b"top.txt": b"",
            b"sub/top.txt": b"",
            b"sub/b.log": b"",
            b".gitignore": b"!keep.log\n*.tmp\n",
        },
    )
    plain = walked(tree)
    assert plain == listed_by_git(tree, tmp_path)
    # .gitignore overrides the global file both ways; "/top.txt" is anchored to root.
    assert plain == {".gitignore", "keep.log", "sub/top.txt"}
    assert {c.path for c in walk(tree, use_gitignore=False).files} >= {"a.log", "out/o", "top.txt"}


def test_global_excludes_without_git_on_path_use_the_xdg_default(tmp_path, home, monkeypatch):
    (home / ".gitconfig").write_text("[core]\n\texcludesFile = ~/global\n")  # unreadable without git
    (home / "global").write_text("*.a\n")
    xdg = tmp_path / "xdg"
    (xdg / "git").mkdir(parents=True)
    (xdg / "git" / "ignore").write_text("*.b\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    tree = tmp_path / "tree"
    make(tree, {b"f.a": b"", b"f.b": b"", b"f.c": b""})
    assert walked(tree) == {"f.b", "f.c"}
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert walked(tree) == {"f.a", "f.c"}
    monkeypatch.setenv("XDG_CONFIG_HOME", "")  # empty: $HOME/.config, as git does
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("*.c\n")
    assert walked(tree) == {"f.a", "f.b"}


def test_an_empty_excludes_file_setting_means_none(tmp_path, home):
    (home / ".gitconfig").write_text('[core]\n\texcludesFile = ""\n')
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "ignore").write_text("*\n")  # not the default once set
    tree = tmp_path / "tree"
    make(tree, {b"f.a": b"", b"d/g": b""})
    assert walked(tree) == listed_by_git(tree, tmp_path) == {"f.a", "d/g"}


def test_an_enclosing_repositorys_own_config_is_not_the_users(tmp_path, home):
    """A root ignored by its repository is walked as a plain directory: the user's
    excludes apply there, the repository's local core.excludesFile does not."""
    (home / "global").write_text("*.user\n")
    (home / ".gitconfig").write_text("[core]\n\texcludesFile = ~/global\n")
    top = tmp_path / "top"
    make(top, {b".gitignore": b"build/\n", b"build/a.user": b"", b"build/a.repo": b"", b"build/a.c": b""})
    git(top, "init", "-q")
    (tmp_path / "repo-ignore").write_text("*.repo\n")
    git(top, "config", "core.excludesFile", str(tmp_path / "repo-ignore"))
    result = walk(top / "build")
    assert result.git_root is None and result.warnings  # walked as a plain directory
    assert {c.path for c in result.files} == {"a.repo", "a.c"}


def test_a_fifo_as_the_excludes_file_is_not_opened_for_reading(tmp_path, home):
    os.mkfifo(home / "fifo")
    (home / ".gitconfig").write_text("[core]\n\texcludesFile = ~/fifo\n")
    tree = tmp_path / "tree"
    make(tree, {b"f": b""})
    assert walked(tree) == {"f"}  # would block forever if read


def test_overlong_attribute_lines_are_ignored_like_git(tmp_path):
    """git (2.39.1+) skips a .gitattributes line of 2,048 bytes or more."""
    tree = tmp_path / "tree"
    pad = "*" * 2025
    lines = [f"{pad}a.c linguist-generated", f"{pad}bb.c linguist-generated", "*.h linguist-generated"]
    assert [len(line) for line in lines[:2]] == [2047, 2048]
    make(tree, {b"a.c": b"", b"bb.c": b"", b"x.h": b"", b".gitattributes": "\n".join(lines).encode() + b"\n"})
    git(tree, "init", "-q")
    stack = [Attributes("", parse_attributes(lines))]
    for name in ("a.c", "bb.c", "x.h"):
        out = git(tree, "check-attr", "linguist-generated", "--", name).strip()
        mine = attributes_for(stack, name, name).get("linguist-generated")
        assert (mine is True) == out.endswith(": set"), (name, out)
    assert attributes_for(stack, "a.c", "a.c") == {"linguist-generated": True}
    assert attributes_for(stack, "bb.c", "bb.c") == {}
