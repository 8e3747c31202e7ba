"""The torture suite: hostile trees and files, each built here in tmp_path.

For every case: no crash, no hang (each run is bounded by a timeout here), a recorded
skip reason for every file left out, and an output within the budget whose exact
o200k_base count is the total the result states. Cases that need root to fail (an
unreadable file) are simulated by patching the system call, since tests may run as root.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import git, read_exact, write

import packer
import packer.chunker
import packer.content
import packer.pipeline
from packer import Options, languages, symbols
from packer.cli import main
from packer.config import resolve
from packer.errors import ConcurrentChangeError, EmptyPackError
from packer.pipeline import Stages
from packer.records import Candidate, PackResult
from packer.render import display_path
from packer.skeleton import skeletonize
from packer.tokens import Counter

COUNT = Counter("o200k_base").count
FORMATS = ("xml", "markdown", "json", "plain")
MB = 1 << 20


# -- harness ------------------------------------------------------------------------------


def bounded(fn: Callable[..., Any], *args: Any, timeout: float = 30, **kw: Any) -> Any:
    """fn(*args, **kw), failing the test if it runs longer than `timeout` seconds.

    A daemon thread, so a call that really hangs cannot keep the test run from ending.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kw)
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} still running after {timeout} s: a hang")
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.fixture(autouse=True)
def _release_fifos(tmp_path: Path) -> Iterator[None]:
    yield
    release_fifos(tmp_path)


def release_fifos(root: Path) -> None:
    """Open every FIFO under root for writing: a reader stuck on one (a bug) is released,
    so a failing test cannot keep the test process from exiting (thread pools join)."""
    for d, _, names in os.walk(root):
        for name in names:
            path = os.path.join(d, name)
            try:
                if stat.S_ISFIFO(os.lstat(path).st_mode):
                    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # ENXIO: nobody is reading it
                pass


def named(path: Any, name: str) -> bool:
    """Whether a path given to a patched system call names `name` (not an fd)."""
    return isinstance(path, (str, os.PathLike)) and os.fspath(path).rstrip("/").endswith(name)


def files_of(fmt: str, text: str) -> dict[str, str]:
    """The file blocks of an output by displayed path, parsed strictly (well-formedness):
    the real delimiters carry the pack's token, which the header names."""
    got: dict[str, str] = {}
    named_token = re.search(r"this pack's token (\d{12})\b", text)
    assert named_token is not None
    token = named_token.group(1)
    if fmt == "xml":
        for f in ET.fromstring(text).iter("file"):
            got[f.get("path") or ""] = (f.text or "")[1:-1]  # CDATA sits between two newlines
    elif fmt == "json":
        for f in json.loads(text)["files"]:
            got[f["path"]] = f["content"]
    elif fmt == "markdown":
        # Each fence (the tree's, each file's) is longer than any backtick run inside it.
        tree = re.search(r"^## Tree\n\n(`{3,})text\n", text, re.M)
        assert tree is not None
        pos = text.index(f"\n{tree.group(1)}\n\n## Files\n", tree.end() - 1)
        assert all(len(r) < len(tree.group(1)) for r in re.findall("`+", text[tree.end() : pos]))
        heading = re.compile(rf"^### (.*?)(?: \(skeleton\))? \[{token}\]\n\n(`{{3,}})[^\n`]* {token}\n", re.M)
        while m := heading.search(text, pos):
            fence = m.group(2)
            end = text.index(f"\n{fence}\n", m.end() - 1)
            body = text[m.end() : end + 1]
            assert all(len(r) < len(fence) for r in re.findall("`+", body))
            got[m.group(1)] = body
            pos = end + len(fence) + 2
    else:
        opening = re.compile(rf"^(={{16,}}) FILE {token}: (.*?)(?: \(skeleton\))?\n", re.M)
        pos = 0
        while m := opening.search(text, pos):
            end = text.index(f"\n{m.group(1)} END FILE {token}\n", m.end() - 1)
            got[m.group(2)] = text[m.end() : end + 1]
            pos = end + 1
    return got


REAL = Stages()  # the real stages, which a fault wraps


def pack_staged(stages: Stages) -> Callable[..., PackResult]:
    """`packer.pack` (no task) with `stages` in place of the real ones: a fault injected
    after the walk (a file deleted, rewritten or swapped for a FIFO) goes in here."""

    def pack(
        root: Path, options: Options, *, output: Any = None, manifest: Any = None, **kw: Any
    ) -> PackResult:
        path = Path(root).resolve()
        assert options.query is None and not options.focus and options.diff is None and not options.staged
        cfg = resolve(path, options)
        return packer.pipeline.run(path, cfg, output=output, manifest=manifest, stages=stages, **kw)

    return pack


def pack_checked(
    root: Path,
    out_dir: Path,
    *,
    budget: int | str = 20_000,
    fmt: str = "xml",
    timeout: float = 30,
    stages: Stages | None = None,
    **kw: Any,
) -> tuple[PackResult, str, dict[str, str]]:
    """Pack under a timeout (with `stages` if given); check the exact count, the budget,
    the manifest, the format.

    Returns the result, the output text and its file blocks by displayed path.
    """
    out = out_dir / f"out.{fmt}"
    man = out_dir / "manifest.json"
    pack = packer.pack if stages is None else pack_staged(stages)
    result: PackResult = bounded(
        pack, root, Options(budget=budget, format=fmt, **kw), output=out, manifest=man, timeout=timeout
    )
    text = out.read_bytes().decode("utf-8")  # strict: the output is valid UTF-8
    assert text == read_exact(out)
    assert COUNT(text) == result.total_tokens
    if isinstance(budget, int):
        assert result.total_tokens <= budget
    manifest = json.loads(man.read_bytes().decode("utf-8"))
    assert manifest["total_tokens"] == result.total_tokens
    assert [f["path"] for f in manifest["files"]] == [d.path for d in result.files]
    assert [(s["path"], s["reason"]) for s in manifest["skipped"]] == [
        (s.path, s.reason) for s in result.skipped
    ]
    blocks = files_of(fmt, text)
    packed = [d for d in result.files if d.mode in ("full", "skeleton")]
    assert sorted(blocks) == sorted(display_path(d.path) for d in packed)
    return result, text, blocks


def modes(result: PackResult) -> dict[str, str]:
    return {d.path: d.mode for d in result.files}


def reasons(result: PackResult) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def on_disk(root: Path) -> set[str]:
    """Every non-directory entry under root (symlinks, FIFOs included), as packer names it."""
    found: set[str] = set()
    for d, dirs, names in os.walk(os.fsencode(root)):
        dirs[:] = [x for x in dirs if x != b".git"]
        rel = os.path.relpath(d, os.fsencode(root))
        prefix = b"" if rel == b"." else rel + b"/"
        found.update(os.fsdecode(prefix + n) for n in names if n != b".git")
    return found


def assert_accounted(result: PackResult, expected: Iterable[str]) -> None:
    """Every file is in the pack's decisions or its skips, none in both."""
    decided = {d.path for d in result.files}
    skipped = {s.path for s in result.skipped}
    assert not decided & skipped
    assert set(expected) <= decided | skipped, set(expected) - decided - skipped


def full_text(text: str, fmt: str) -> str:
    """How a file's text appears in a block: the text formats end it with a newline."""
    return text if fmt == "json" or text.endswith("\n") else text + "\n"


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed console script, in its own process (a real hang guard, real forks)."""
    script = Path(sys.executable).with_name("packer")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from packer.cli import main; main()"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, check=False)


def write_repeated(path: Path, chunk: bytes, size: int) -> None:
    with open(path, "wb") as f:
        written = 0
        while written < size:
            f.write(chunk)
            written += len(chunk)


# -- content ------------------------------------------------------------------------------


def test_binary_files_without_extension(tmp_path):
    root = tmp_path / "r"
    write(
        root,
        {
            "blob": bytes(range(256)) * 8,
            "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x90" * 200,
            "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
            "controls": bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16]) * 100,  # no NUL at all
            "README": "a text file without extension\n",
        },
    )
    result, _, blocks = pack_checked(root, tmp_path)
    for name in ("blob", "elf", "png", "controls"):
        assert reasons(result)[name] == "binary"
    assert blocks["README"] == "a text file without extension\n"
    assert_accounted(result, on_disk(root))

    # Kept on request: decoded with U+FFFD, and the XML still parses.
    for fmt in FORMATS:
        result, _, blocks = pack_checked(root, tmp_path, keep=["binary"], fmt=fmt)
        assert {"blob", "elf", "png", "controls"} <= set(blocks)
        assert not result.skipped


def test_invalid_utf8(tmp_path):
    root = tmp_path / "r"
    write(
        root,
        {
            "latin1.py": "s = 'caf\xe9'\n".encode("latin-1"),
            "truncated.py": "s = '日本'\n".encode()[:-3] + b"\n",
            "overlong.txt": b"x = '\xc0\xaf'\n",
            "surrogate.txt": b"x = '\xed\xa0\x80'\n",  # an encoded surrogate is not UTF-8
            "ok.py": "s = 'fine'\n",
        },
    )
    result, _, _ = pack_checked(root, tmp_path)
    for name in ("latin1.py", "truncated.py", "overlong.txt", "surrogate.txt"):
        assert reasons(result)[name] == "undecodable (not UTF-8)"
    assert modes(result)["ok.py"] == "full"
    for fmt in FORMATS:
        result, _, blocks = pack_checked(root, tmp_path, keep=["undecodable"], fmt=fmt)
        assert blocks["latin1.py"] == "s = 'caf\ufffd'\n"
        assert not result.skipped


def test_utf16_and_utf32_with_bom(tmp_path):
    root = tmp_path / "r"
    text = "héllo 日本 </file> ]]>\nsecond line\n"
    write(
        root,
        {
            "le16.txt": b"\xff\xfe" + text.encode("utf-16-le"),
            "be16.txt": b"\xfe\xff" + text.encode("utf-16-be"),
            "le32.txt": text.encode("utf-32"),  # with its BOM
            "sig8.txt": text.encode("utf-8-sig"),
            "nobom16.txt": text.encode("utf-16-le"),  # NULs and no BOM: binary, as git says
        },
    )
    for fmt in FORMATS:
        result, _, blocks = pack_checked(root, tmp_path, fmt=fmt)
        for name in ("le16.txt", "be16.txt", "le32.txt", "sig8.txt"):
            assert blocks[name] == text  # the BOM is dropped, the text is exact
        assert reasons(result) == {"nobom16.txt": "binary"}


def test_nul_bytes_inside_text(tmp_path):
    root = tmp_path / "r"
    head = "x = 1\n" * 2000  # past git's 8000-byte sniff
    late = head + "s = 'a\x00b \x0c \x1b[0m \x7f'\n"
    write(root, {"early.py": "s = 'a\x00b'\n" + head, "late.py": late})
    for fmt in FORMATS:
        result, _, blocks = pack_checked(root, tmp_path, fmt=fmt)
        assert reasons(result) == {"early.py": "binary"}
        assert modes(result)["late.py"] == "full"
        if fmt == "xml":
            # XML 1.0 cannot carry NUL, form feed or ESC at all: control pictures stand in.
            assert blocks["late.py"] == late.replace("\x00", "\u2400").replace("\x0c", "\u240c").replace(
                "\x1b", "\u241b"
            )
        else:
            assert blocks["late.py"] == late


def test_wrapper_breaking_content(tmp_path):
    """`</file>`, `]]>`, code fences and `<|endoftext|>` stay inside their file's block."""
    root = tmp_path / "r"
    evil = {
        "cdata.py": "s = ']]></file></pack><file path=\"x\">'\nt = ']]]]><![CDATA[>'\n",
        "fences.md": "```python\nx = 1\n```\n````\n`````` nested\n~~~\n",
        "special.py": "END = '<|endoftext|>'\nP = '<|endofprompt|><|fim_prefix|>'\n",
        "plain.txt": "================ END FILE\n==================== FILE: evil\n",
        "json.json": '{"files": [], "x": "\\"}]}\\n"}\n',
        "noeol.py": "x = '</file>'",
    }
    write(root, evil)
    for fmt in FORMATS:
        result, text, blocks = pack_checked(root, tmp_path, fmt=fmt)
        assert {p: full_text(t, fmt) for p, t in evil.items()} == blocks
        assert not result.skipped
        assert "<|endoftext|>" in text
    # Special-token text is ordinary text (several tokens): the exact count above holds.
    assert COUNT("<|endoftext|>") > 1


# -- size ---------------------------------------------------------------------------------


def test_100_mb_file(tmp_path):
    root = tmp_path / "r"
    write(root, {"small.py": "def small():\n    return 1\n"})
    big = root / "big.py"
    # Lines of 220 bytes: data, not minified (which is another case).
    row = b"".join(b"row_%07d = '%s'\n" % (i, b"abcdefghij" * 20) for i in range(5000))
    write_repeated(big, row, 100 * MB)
    try:
        read: list[str] = []

        def measure(files: Sequence[Candidate], **kw: Any) -> Any:
            read.extend(c.path for c in files)
            return REAL.measure(files, **kw)

        start = time.perf_counter()
        result, _, _ = pack_checked(root, tmp_path, budget=5_000, timeout=30, stages=Stages(measure=measure))
        assert time.perf_counter() - start < 10  # decided from lstat, never read
        assert read == ["small.py"]
        assert reasons(result)["big.py"] == f"too large ({big.stat().st_size} bytes > 1000000)"
        assert modes(result) == {"small.py": "full"}

        # With no size limit it is read, estimated and listed (it cannot fit): no crash.
        result, _, _ = pack_checked(
            root, tmp_path, budget=5_000, max_file_size="none", timeout=120, cache=False
        )
        assert modes(result) == {"small.py": "full", "big.py": "listed"}
        assert not result.skipped
    finally:
        big.unlink()


def test_20_mb_single_line_minified_bundle(tmp_path):
    root = tmp_path / "r"
    write(root, {"app.js": "export function main() {\n  return 1;\n}\n", "vendor.min.js": "var a=1;\n"})
    bundle = root / "bundle.js"
    piece = b"".join(b"var a%d=function(b){return b+%d};" % (i, i) for i in range(20_000))
    write_repeated(bundle, piece, 20 * MB)
    try:
        size = bundle.stat().st_size
        result, _, _ = pack_checked(root, tmp_path, budget=5_000)
        assert reasons(result) == {
            "bundle.js": f"too large ({size} bytes > 1000000)",
            "vendor.min.js": "minified",
        }
        start = time.perf_counter()
        result, _, _ = pack_checked(root, tmp_path, budget=5_000, max_file_size="none")
        assert time.perf_counter() - start < 10
        assert reasons(result) == {"bundle.js": "minified", "vendor.min.js": "minified"}

        # Kept: too large to pack or skeletonize, it is listed; the pack stays in budget.
        result, _, _ = pack_checked(
            root, tmp_path, budget=5_000, max_file_size="none", keep=["minified"], timeout=120, cache=False
        )
        assert modes(result) == {"app.js": "full", "bundle.js": "listed", "vendor.min.js": "full"}
        assert not result.skipped
    finally:
        bundle.unlink()


DEPTH = 10_000


def _deep_files() -> dict[str, str]:
    n = DEPTH
    return {
        "deep.py": (
            "def f():\n    return "
            + "(\n" * n
            + "1"
            + ")\n" * n
            + "\n\nclass A:\n    def g(self):\n        return "
            + "[\n" * n
            + "]\n" * n
        ),
        "deep.js": (
            "function f() {\n  return "
            + "[\n" * n
            + "1"
            + "]\n" * n
            + ";\n}\n"
            + "const g = "
            + "{a:\n" * n
            + "1"
            + "}\n" * n
            + ";\n"
        ),
        "nested.js": "".join(f"function f{i}() {{\n" for i in range(n)) + "return 1;\n" + "}\n" * n,
        "deep.json": "[\n" * n + "]\n" * n,
        "deep.c": "int f(void) {\n  return " + "(\n" * n + "1" + ")\n" * n + ";\n}\n",
        "oneline.py": "x = " + "(" * n + "1" + ")" * n + "\n",  # 20,000 characters: minified
    }


def test_10000_level_nesting(tmp_path):
    root = tmp_path / "r"
    files = _deep_files()
    write(root, files)
    for name, text in files.items():
        data = text.encode()
        lang = languages.detect(name)
        syms = bounded(symbols.extract, data, lang, path=name, timeout=30)
        assert syms.fallback in (None, "text format")
        bounded(skeletonize, text, lang, timeout=30)
        chunks = bounded(
            lambda *a, **kw: list(packer.chunker.chunk_file(*a, **kw)),
            data,
            path=name,
            language=lang,
            max_tokens=256,
            timeout=60,
        )
        assert b"".join(data[c.start_byte : c.end_byte] for c in chunks) == data
        assert all(c.tokens == COUNT(c.text) <= 256 for c in chunks)

    result, _, _ = pack_checked(root, tmp_path, skeleton=True, timeout=60)
    assert reasons(result) == {"oneline.py": "minified"}
    assert {m for p, m in modes(result).items() if p != "deep.json"} <= {"skeleton", "full"}
    result, _, _ = pack_checked(root, tmp_path, budget=3_000, keep=["minified"], timeout=60)
    assert set(modes(result)) == set(files) and not result.skipped
    result = bounded(packer.pack, root, Options(budget="none", skeleton=True), output=None, timeout=60)
    assert len(result.files) == len(files) - 1

    chunks = bounded(lambda: list(packer.chunk(root, max_tokens=300)), timeout=60)
    assert {c.path.rpartition("/")[2] for c in chunks} == set(files) - {"oneline.py"}
    assert all(c.tokens <= 300 for c in chunks)


# -- the walk -----------------------------------------------------------------------------


def test_symlink_loops(tmp_path):
    root = tmp_path / "r"
    write(root, {"a.py": "A = 1\n", "sub/b.py": "B = 2\n"})
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    os.symlink("c2", root / "c1")
    os.symlink("c3", root / "c2")
    os.symlink("c1", root / "c3")
    os.symlink(".", root / "self")
    os.symlink("..", root / "sub" / "up")
    os.symlink("self/self/self/a.py", root / "through")
    for use_git in (False, True):
        if use_git:
            git(root, "init", "-q")
        result, _, blocks = pack_checked(root, tmp_path)
        assert {"loop_a", "loop_b", "c1", "c2", "c3"} <= {
            p for p, r in reasons(result).items() if r == "symlink loop"
        }
        assert reasons(result)["self"] == reasons(result)["sub/up"] == "symlink to directory"
        assert reasons(result)["through"] == "symlink to a.py"
        assert sorted(blocks) == ["a.py", "sub/b.py"]
        assert_accounted(result, on_disk(root))
    chunks = bounded(lambda: list(packer.chunk(root)), timeout=30)
    assert {c.path.rpartition("/")[2] for c in chunks} == {"a.py", "b.py"}


def test_symlinks_pointing_outside_root(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"secret.py": "OUTSIDE_MARKER = 1\n", "dir/x.py": "OUTSIDE_MARKER = 2\n"})
    root = tmp_path / "r"
    write(root, {"a.py": "A = 1\n"})
    os.symlink(outside / "secret.py", root / "abs_file")
    os.symlink("../outside/secret.py", root / "rel_file")
    os.symlink(outside / "dir", root / "abs_dir")
    os.symlink("/", root / "slash")
    os.symlink("/nonexistent/nowhere", root / "dangling")
    for use_git in (False, True):
        if use_git:
            git(root, "init", "-q")
        result, text, _ = pack_checked(root, tmp_path)
        assert "OUTSIDE_MARKER" not in text
        r = reasons(result)
        assert r["abs_file"] == r["rel_file"] == r["abs_dir"] == r["slash"] == "symlink outside root"
        assert r["dangling"] == "broken symlink"
        assert modes(result) == {"a.py": "full"}


def test_file_vanishing_during_the_walk(tmp_path, monkeypatch):
    root = tmp_path / "r"
    write(
        root,
        {
            "keep.py": "K = 1\n",
            "listed_then_gone.py": "L = 1\n",
            "read_then_gone.py": "R = 1\n",
            "gone_dir/x.py": "X = 1\n",
        },
    )

    real_lstat, real_scandir = os.lstat, os.scandir

    def gone_at_lstat(name: str) -> None:
        """`name`, listed, is deleted just before the walker's lstat of it."""
        pending = [name]

        def lstat(path: Any, *a: Any, **kw: Any) -> os.stat_result:
            if pending and named(path, name):
                pending.clear()
                os.unlink(path)
            return real_lstat(path, *a, **kw)

        monkeypatch.setattr(os, "lstat", lstat)

    def scandir(path: Any = ".") -> Any:
        if named(path, "gone_dir"):
            shutil.rmtree(path)  # listed by its parent, gone when entered
        return real_scandir(path)

    def measure(files: Sequence[Candidate], **kw: Any) -> Any:
        os.unlink(root / "read_then_gone.py")  # passed the walk's lstat, gone when opened
        return REAL.measure(files, **kw)

    gone_at_lstat("listed_then_gone.py")
    monkeypatch.setattr(os, "scandir", scandir)
    result, _, _ = pack_checked(root, tmp_path, cache=False, stages=Stages(measure=measure))
    assert reasons(result) == {
        "gone_dir/": "vanished during walk",
        "listed_then_gone.py": "vanished during walk",
        "read_then_gone.py": "vanished before it was read",
    }
    assert modes(result) == {"keep.py": "full"}

    # Under git a listed path that is gone is a tracked file deleted from the work tree:
    # it is dropped, as `git ls-files` without --deleted would. The read still reports.
    monkeypatch.undo()
    write(root, {"read_then_gone.py": "R = 1\n", "untracked_gone.py": "U = 1\n"})
    git(root, "init", "-q")
    gone_at_lstat("untracked_gone.py")  # listed by git, then gone
    result, _, _ = pack_checked(root, tmp_path, cache=False, stages=Stages(measure=measure))
    assert reasons(result) == {"read_then_gone.py": "vanished before it was read"}
    assert modes(result) == {"keep.py": "full"}


def test_file_turning_unreadable_during_the_walk(tmp_path, monkeypatch):
    root = tmp_path / "r"
    write(
        root,
        {
            "ok.py": "O = 1\n",
            "at_open.py": "A = 1\n",
            "at_lstat.py": "L = 1\n",
            "at_read.py": "R = 1\n",
            "locked_dir/x.py": "X = 1\n",
            "mode000.py": "M = 1\n",
        },
    )
    real_open, real_lstat, real_read, real_scandir = os.open, os.lstat, os.read, os.scandir
    read_fds: set[int] = set()

    def denied(path: Any) -> OSError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))

    def fake_open(path: Any, flags: int, *a: Any, **kw: Any) -> int:
        if named(path, "at_open.py"):
            raise denied(path)
        fd = real_open(path, flags, *a, **kw)
        if named(path, "at_read.py"):
            read_fds.add(fd)
        return fd

    def fake_read(fd: int, n: int) -> bytes:
        if fd in read_fds:
            read_fds.discard(fd)
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_read(fd, n)

    def fake_lstat(path: Any, *a: Any, **kw: Any) -> os.stat_result:
        if named(path, "at_lstat.py"):
            raise denied(path)
        return real_lstat(path, *a, **kw)

    def fake_scandir(path: Any = ".") -> Any:
        if named(path, "locked_dir"):
            raise denied(path)
        return real_scandir(path)

    os.chmod(root / "mode000.py", 0)
    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "read", fake_read)
    monkeypatch.setattr(os, "lstat", fake_lstat)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    # Root reads a mode-000 file anyway; as another user the walker's permission check
    # must refuse it (its owner, root, is not us; its group is ours and may not read).
    monkeypatch.setattr(os, "geteuid", lambda: 4242)
    result, _, _ = pack_checked(root, tmp_path, cache=False)
    assert reasons(result) == {
        "at_lstat.py": "unreadable: Permission denied",
        "at_open.py": "unreadable: Permission denied",
        "at_read.py": "unreadable: Input/output error",
        "locked_dir/": "unreadable: Permission denied",
        "mode000.py": "unreadable: Permission denied",
    }
    assert modes(result) == {"ok.py": "full"}


def test_file_changed_between_walk_and_write(tmp_path, monkeypatch):
    root = tmp_path / "r"
    write(root, {"a.py": "A = 1\n", "b.py": "B = 2\n"})
    out = tmp_path / "out.xml"

    def write_after(change: Callable[[], None]) -> Stages:
        def wrapped(blocks: Iterable[str], output: Any) -> str | None:
            change()
            return REAL.write(blocks, output)

        return Stages(write=wrapped)

    changes = {
        "deleted": lambda: (root / "a.py").unlink(),
        "rewritten": lambda: (root / "a.py").write_text("A = 9\n"),  # same size, other bytes
        "fifo": lambda: ((root / "a.py").unlink(), os.mkfifo(root / "a.py")),
    }
    for budget in (20_000, "none"):
        for what, change in changes.items():
            if os.path.lexists(root / "a.py"):
                (root / "a.py").unlink()
            write(root, {"a.py": "A = 1\n"})
            out.write_text("an earlier pack\n")
            pack = pack_staged(write_after(change))
            with pytest.raises(ConcurrentChangeError, match=r"a\.py changed while packing"):
                bounded(pack, root, Options(budget=budget, cache=False), output=out, timeout=30)
            assert out.read_text() == "an earlier pack\n", (budget, what)
            assert sorted(os.listdir(tmp_path)) == ["out.xml", "r"]  # no temp file left
    (root / "a.py").unlink()
    write(root, {"a.py": "A = 1\n"})
    # Through the CLI (which packs with `packer.pipeline.pack`): one line on stderr, exit
    # status 1, nothing written.
    monkeypatch.setattr(packer.pipeline, "pack", pack_staged(write_after(changes["deleted"])))
    res = CliRunner().invoke(main, ["pack", str(root), "-o", str(out), "-q", "--no-cache"])
    assert res.exit_code == 1
    assert res.stderr.startswith("error: a.py changed while packing; nothing was written")
    assert out.read_text() == "an earlier pack\n"
    # To a stream the blocks before the change may be out already: the error says so.
    write(root, {"a.py": "A = 1\n"})
    stream = io.StringIO()
    with pytest.raises(ConcurrentChangeError, match=r"a\.py changed .* the output stream may hold part"):
        pack_staged(write_after(changes["rewritten"]))(
            root, Options(budget="none", cache=False), output=stream
        )
    assert stream.getvalue().startswith("<pack>")  # part of it, indeed


def test_fifo(tmp_path):
    root = tmp_path / "r"
    write(root, {"a.py": "A = 1\n", "swapped.py": "S = 1\n", "sub/b.py": "B = 1\n"})
    os.mkfifo(root / "pipe")
    os.mkfifo(root / "sub" / "pipe.py")
    os.symlink("pipe", root / "to_pipe")

    def swap(files: Sequence[Candidate], **kw: Any) -> Any:
        assert "swapped.py" in [c.path for c in files]
        os.unlink(root / "swapped.py")
        os.mkfifo(root / "swapped.py")  # a FIFO where the walker saw a file: never opened blocking
        return REAL.measure(files, **kw)

    result, _, _ = pack_checked(root, tmp_path, gitignore=False, cache=False, stages=Stages(measure=swap))
    assert reasons(result) == {
        "pipe": "not a regular file (fifo)",
        "sub/pipe.py": "not a regular file (fifo)",
        "swapped.py": "not a regular file",
        "to_pipe": "symlink to a special file (fifo)",
    }
    assert_accounted(result, on_disk(root))

    # git never lists a FIFO (it cannot be added): under git it is as if ignored.
    git(root, "init", "-q")
    result, _, _ = pack_checked(root, tmp_path, cache=False)
    assert "pipe" not in reasons(result) and "pipe" not in modes(result)
    assert reasons(result)["to_pipe"] == "symlink to a special file (fifo)"
    assert modes(result) == {"a.py": "full", "sub/b.py": "full"}

    # Chunking a FIFO named on the command line gives nothing, at once.
    chunks = bounded(lambda: list(packer.chunk([root / "pipe", root / "a.py"])), timeout=10)
    assert [c.text for c in chunks] == ["A = 1\n"]


def test_fifo_swapped_in_while_chunking_does_not_block(tmp_path, monkeypatch):
    """The chunker re-reads a file whose text does not rebuild its bytes (invalid UTF-8)."""
    path = tmp_path / "latin1.py"
    path.write_bytes(b"s = 'caf\xe9'\n")
    real_source = packer.content.read_source

    def swap(c: Any, **kw: Any) -> Any:
        got = real_source(c, **kw)
        os.unlink(c.abspath)
        os.mkfifo(c.abspath)
        return got

    monkeypatch.setattr(packer.content, "read_source", swap)
    chunks = bounded(lambda: list(packer.chunk(path)), timeout=10)
    assert chunks == []


def test_names_with_newlines_and_invalid_bytes(tmp_path):
    root = tmp_path / "r"
    write(
        root,
        {
            "ok.py": "O = 1\n",
            "new\nline.py": "N = 1\n",
            "tab\tcr\r.py": "T = 1\n",
            "<file>]]>&'\".py": "X = 1\n",
            "```.md": "fence\n",
            "<|endoftext|>.md": "eot\n",
            "dir\nwith newline/inner.py": "I = 1\n",
            " lead space.py": "S = 1\n",
        },
    )
    for raw in (b"bad\xff.py", b"caf\xe9/latin1.py", b"\xed\xa0\x80surrogate.py"):
        full = os.fsencode(root) + b"/" + raw
        os.makedirs(os.path.dirname(full), exist_ok=True)
        fd = os.open(full, os.O_CREAT | os.O_WRONLY, 0o644)
        os.write(fd, b"V = 1\n")
        os.close(fd)
    names = on_disk(root)
    assert "bad\udcff.py" in names and "caf\udce9/latin1.py" in names
    for use_git in (False, True):
        if use_git:
            git(root, "init", "-q")
        for fmt in FORMATS:
            result, text, blocks = pack_checked(root, tmp_path, fmt=fmt)
            assert not result.skipped
            assert set(modes(result)) == names and set(modes(result).values()) == {"full"}
            assert blocks[display_path("bad\udcff.py")] == "V = 1\n"
            assert blocks["bad\\xff.py"] == "V = 1\n" and blocks["new\\nline.py"] == "N = 1\n"
            assert "\ud800" not in text and "new\nline" not in text
            # The manifest keeps the real name (ASCII escapes): it maps back to the bytes.
            manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="ascii"))
            assert {os.fsencode(f["path"]) for f in manifest["files"]} >= {
                b"bad\xff.py",
                b"new\nline.py",
                b"caf\xe9/latin1.py",
            }
    chunks = bounded(lambda: list(packer.chunk(root)), timeout=30)
    assert len({c.path for c in chunks}) == len(names)


# -- scale and git --------------------------------------------------------------------------

N_SMALL = 50_000


@pytest.fixture(scope="module")
def many_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("many") / "r"
    (root / "many").mkdir(parents=True)
    write(root, {"README.md": "# Many files\nSee many/.\n", "main.py": "def main():\n    pass\n"})
    for i in range(N_SMALL):
        with open(root / "many" / f"f{i:05d}.txt", "w") as f:
            f.write("same small file\n" if i % 1000 == 0 else f"small file number {i}\n")
    yield root
    shutil.rmtree(root)


def test_directory_of_50000_small_files(many_files, tmp_path):
    start = time.perf_counter()
    result, _, _ = pack_checked(many_files, tmp_path, budget=20_000, timeout=120, cache=False)
    assert time.perf_counter() - start < 120
    assert modes(result)["README.md"] == modes(result)["main.py"] == "full"
    names = {f"many/f{i:05d}.txt" for i in range(N_SMALL)}
    assert_accounted(result, names)
    assert result.stats.files_seen == N_SMALL + 2
    listed = [d for d in result.files if d.path.startswith("many/")]
    assert len(listed) == N_SMALL and {d.mode for d in listed} <= {"listed", "full", "skeleton"}
    assert {d.path for d in result.duplicates} <= {d.path for d in listed}


def test_root_of_50000_small_files_packs_under_the_default_budget(many_files, tmp_path):
    # A big directory lists only its packed files and one line for the rest (tree.LIST_LIMIT).
    result, text, _ = pack_checked(many_files / "many", tmp_path, budget=200_000, timeout=120, cache=False)
    assert result.stats.files_packed > 1000
    assert "more files of 50,000 here" in text


def test_git_submodule_and_worktree(tmp_path):
    lib = tmp_path / "lib"
    write(lib, {"lib.py": "def lib():\n    return 1\n"})
    git(lib, "init", "-q")
    git(lib, "add", ".")
    git(lib, "commit", "-qm", "lib")
    sup = tmp_path / "super"
    write(sup, {"main.py": "from deps.lib.lib import lib\n"})
    git(sup, "init", "-q")
    git(sup, "add", ".")
    git(sup, "commit", "-qm", "super")
    git(sup, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "deps/lib")
    git(sup, "commit", "-qm", "submodule")
    git(sup, "worktree", "add", "-q", str(tmp_path / "wt"))
    assert (sup / "deps" / "lib" / ".git").is_file() and (tmp_path / "wt" / ".git").is_file()
    out = tmp_path / "out"
    out.mkdir()

    result, _, blocks = pack_checked(sup, out)
    assert reasons(result) == {"deps/lib": "git submodule"}
    assert sorted(blocks) == [".gitmodules", "main.py"]
    # The submodule is a work tree of its own: its files, never its `.git` file.
    result, _, blocks = pack_checked(sup / "deps" / "lib", out)
    assert sorted(blocks) == ["lib.py"] and not result.skipped
    # A worktree: the same files; its submodule is not checked out (an empty gitlink dir).
    result, _, blocks = pack_checked(tmp_path / "wt", out)
    assert sorted(blocks) == [".gitmodules", "main.py"]
    assert reasons(result) == {"deps/lib": "git submodule"}
    # Without git, the submodule's files are plain files; `.git` files are never packed.
    result, _, blocks = pack_checked(sup, out, gitignore=False)
    assert sorted(blocks) == [".gitmodules", "deps/lib/lib.py", "main.py"]
    # A directory holding only the submodule has nothing to pack: an error, not an empty pack.
    with pytest.raises(EmptyPackError, match="1 git submodule"):
        packer.pack(sup / "deps", output=None)
    res = run_cli("pack", str(sup), "-o", str(out / "cli.xml"), "--budget", "10k", "-q")
    assert res.returncode == 0, res.stderr
    assert COUNT(read_exact(out / "cli.xml")) <= 10_000


# -- everything at once, through the console script ----------------------------------------


def test_cli_on_a_tree_holding_every_case(tmp_path):
    outside = tmp_path / "outside.py"
    outside.write_text("OUTSIDE_MARKER = 1\n")
    root = tmp_path / "r"
    write(
        root,
        {
            "blob": bytes(range(256)) * 4,
            "latin1.py": b"s = 'caf\xe9'\n",
            "utf16.txt": "hello\n".encode("utf-16"),
            "nul.py": "x = 1\n" * 2000 + "s = '\x00'\n",
            "evil.py": "s = ']]></file>```<|endoftext|>'\n",
            "new\nline.py": "N = 1\n",
            "deep.py": "x = " + "[\n" * DEPTH + "]\n" * DEPTH,
            "bundle.js": "var a=1;" * 50_000,
        },
    )
    write_repeated(root / "large.txt", b"a line of text\n", 3 * MB)
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    os.symlink(outside, root / "escape")
    os.mkfifo(root / "pipe")
    fd = os.open(os.fsencode(root) + b"/bad\xff.py", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"B = 1\n")
    os.close(fd)
    out, man = tmp_path / "out.xml", tmp_path / "manifest.json"
    res = run_cli(
        "pack", str(root), "-o", str(out), "--manifest", str(man), "--budget", "8k", "--no-gitignore"
    )
    assert res.returncode == 0, res.stderr
    text = read_exact(out)
    manifest = json.loads(man.read_text(encoding="ascii"))
    assert COUNT(text) == manifest["total_tokens"] <= 8_000
    assert "OUTSIDE_MARKER" not in text
    ET.fromstring(text)
    skipped = {s["path"]: s["reason"] for s in manifest["skipped"]}
    large = (root / "large.txt").stat().st_size
    assert skipped == {
        "blob": "binary",
        "latin1.py": "undecodable (not UTF-8)",
        "bundle.js": "minified",
        "large.txt": f"too large ({large} bytes > 1000000)",
        "loop1": "symlink loop",
        "loop2": "symlink loop",
        "escape": "symlink outside root",
        "pipe": "not a regular file (fifo)",
    }
    decided = {f["path"] for f in manifest["files"]}
    assert decided | set(skipped) == on_disk(root)
