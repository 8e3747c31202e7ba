"""measure's records: what measuring makes of each file (`Text` with its `Values`, or a
`Skip`), the skip kinds packer produces with their reasons and labels, and a cached run
giving the same records as a cold one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, get_args

import pytest
from conftest import git, measure_work, write

from packer import cache as cachelib
from packer import discover
from packer.cache import Cache
from packer.graph import names_of, names_to_plain
from packer.measure import (
    Costs,
    Measured,
    Text,
    Values,
    Work,
    _from_plain,
    _index_key,
    _one,
    _plain,
    _Tools,
    measure,
)
from packer.records import _SKIP_TEXTS, Candidate, FileInfo, Secret, Skip, SkipKind
from packer.render import make_renderer
from packer.skeleton import skeletonize
from packer.sketch import fingerprint
from packer.symbols import comment_words, extract
from packer.tokens import Counter

AWS_KEY = "AKIA" + "IOSFODNN7" + "Q2X4Z5W"  # AKIA + 16 uppercase/digits
SOURCE = '"""Totals."""\n\n\ndef total(xs):\n    # add them up\n    return sum(xs)\n'
SECRET = f'# settings\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n\n\ndef region():\n    return "eu"\n'


def _candidate(root: Path, rel: str) -> Candidate:
    p = root / rel
    st = os.lstat(p)
    return Candidate(rel, str(p), st.st_size, (st.st_mtime_ns, st.st_ctime_ns, st.st_ino))


def _outcome(root: Path, rel: str, work: Work | None = None) -> Text | Skip:
    work = work or measure_work()
    return _one(work, _Tools(work, None), _candidate(root, rel)).outcome


def _block(path: str, text: str, mode: str = "full") -> int:
    renderer = make_renderer("xml")
    return Counter("o200k_base").count(renderer.file_block(path, text, mode, "python"))


# -- one file's outcome -------------------------------------------------------------------


def test_a_text_file_is_measured_whole(tmp_path: Path) -> None:
    write(tmp_path, {"src/total.py": SOURCE})
    got = _outcome(tmp_path, "src/total.py")
    assert isinstance(got, Text)
    data = SOURCE.encode()
    assert (got.path, got.size, got.encoding, got.lines, got.language) == (
        "src/total.py",
        len(data),
        "utf-8",
        6,
        "python",
    )
    skel = skeletonize(SOURCE, "python")
    assert skel is not None
    assert got.values == Values(
        count=_block("src/total.py", SOURCE),
        skeleton=_block("src/total.py", skel, "skeleton"),
        secrets=(),
        symbols=names_to_plain(names_of(extract(data, "python", path="src/total.py", detail=False))),
        terms=comment_words(SOURCE),
        fingerprint=fingerprint(SOURCE),
    )


def test_only_what_work_asks_for_is_measured(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": SOURCE})
    got = _outcome(tmp_path, "a.py", Work(keep=frozenset(), max_file_size=None, fingerprints=False))
    assert isinstance(got, Text)
    assert got.values == Values()  # an estimate is made of the size alone
    m = measure([_candidate(tmp_path, "a.py")], work=Work(keep=frozenset(), max_file_size=None))
    assert m.infos[0].estimated and m.infos[0].skeleton_tokens is None
    assert m.prints == [fingerprint(SOURCE)] and m.symbols == [] and m.terms == [] and not m.clean


def test_a_binary_and_an_oversized_file_are_skips(tmp_path: Path) -> None:
    write(tmp_path, {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "big.txt": "x" * 11})
    binary = _outcome(tmp_path, "logo.png")
    assert binary == Skip("logo.png", "binary")
    assert (binary.reason, binary.label) == ("binary", "binary")
    big = _outcome(tmp_path, "big.txt", measure_work(max_file_size=10))
    assert big == Skip("big.txt", "too-large", "11 bytes > 10")
    assert (big.reason, big.label) == ("too large (11 bytes > 10)", "too large")


def test_a_secret_is_redacted_before_anything_is_measured_and_listed(tmp_path: Path) -> None:
    write(tmp_path, {"settings.py": SECRET, "clean.py": SOURCE})
    got = _outcome(tmp_path, "settings.py")
    assert isinstance(got, Text) and got.values.secrets
    assert [kind for _, _, kind in got.values.secrets] == ["AWS Access Key"]
    start, end, _ = got.values.secrets[0]
    assert SECRET[start:end] == AWS_KEY
    redacted = SECRET.replace(AWS_KEY, "[REDACTED:AWS Access Key]")
    assert got.values.count == _block("settings.py", redacted)  # counted as it will be written
    assert AWS_KEY not in repr(got.values.symbols) and AWS_KEY not in repr(got.values.terms)
    assert got.values.fingerprint == fingerprint(redacted)

    work = measure_work()
    m = measure([_candidate(tmp_path, p) for p in ("clean.py", "settings.py")], work=work)
    assert [i.path for i in m.infos] == ["clean.py", "settings.py"]
    assert m.clean == frozenset({0})  # scanned and clean: never scanned again
    renderer = make_renderer("xml")
    costs = Costs(m, counter=Counter("o200k_base"), renderer=renderer, work=work)
    assert costs.source(1).text == redacted
    assert costs.found([0, 1]) == [Secret("settings.py", 2, "AWS Access Key")]
    assert costs.full(1) == m.infos[1].tokens == got.values.count


def test_measured_records_become_file_infos(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": SOURCE, "b.bin": b"\x00\x01\x02"})
    m = measure([_candidate(tmp_path, p) for p in ("a.py", "b.bin")], work=measure_work())
    got = _outcome(tmp_path, "a.py")
    assert isinstance(got, Text)
    assert m.infos == [
        FileInfo(
            path="a.py",
            abspath=str(tmp_path / "a.py"),
            size=got.size,
            digest=got.digest,
            encoding="utf-8",
            language="python",
            tokens=got.values.count,
            lines=6,
            skeleton_tokens=got.values.skeleton,
            estimated=False,
        )
    ]
    assert m.skipped == [Skip("b.bin", "binary")]
    assert m.terms == [got.values.terms] and m.prints == [got.values.fingerprint]


# -- every kind of skip, from real files ----------------------------------------------------


def test_each_kind_of_skip_measuring_makes(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(
        root,
        {
            "poetry.lock": "x = 1\n",
            "app.min.js": "var a;\n",
            "bundle.js": "var x=1;" * 300 + "\n",
            "blob.bin": b"\x00\x01\x02\x03",
            "latin1.txt": b"caf\xe9\n",
            "gen.go": "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage x\n",
            "old.json": '{\n "version": 1,\n "root": "/x",\n "encoding": "o200k_base",\n',
            "big.txt": "x" * 5001,
            "file": "a file, not a directory\n",
        },
    )
    os.symlink("app.min.js", root / "link.js")
    os.mkfifo(root / "pipe")
    names = [p.name for p in root.iterdir() if p.name != "file"] + ["file/x", "gone.txt"]
    m = measure([Candidate(n, str(root / n), 0) for n in names], work=measure_work(max_file_size=5000))
    assert m.infos == []
    got = {s.path: (s.kind, s.detail, s.reason, s.label) for s in m.skipped}
    assert got == {
        "poetry.lock": ("lockfile", "", "lockfile", "lockfile"),
        "app.min.js": ("minified", "", "minified", "minified"),
        "bundle.js": ("minified", "", "minified", "minified"),
        "blob.bin": ("binary", "", "binary", "binary"),
        "latin1.txt": ("undecodable", "", "undecodable (not UTF-8)", "undecodable"),
        "gen.go": ("generated", "marker", "generated (marker)", "generated"),
        "old.json": ("packer-output", "", "packer output", "packer output"),
        "big.txt": ("too-large", "5001 bytes > 5000", "too large (5001 bytes > 5000)", "too large"),
        "link.js": ("not-regular", "symlink", "not a regular file (symlink)", "not a regular file"),
        "pipe": ("not-regular", "", "not a regular file", "not a regular file"),
        "file/x": ("unreadable", "Not a directory", "unreadable: Not a directory", "unreadable"),
        "gone.txt": (
            "vanished-before-read",
            "",
            "vanished before it was read",
            "vanished before it was read",
        ),
    }


def _walk_skips(root: Path, **kw: Any) -> dict[str, tuple[str, str, str, str]]:
    return {s.path: (s.kind, s.detail, s.reason, s.label) for s in discover.walk(root, **kw).skipped}


def test_each_kind_of_skip_the_walk_makes(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(
        root,
        {
            "a.py": "x = 1\n",
            "node_modules/x.js": "x\n",
            "node_modules/y.js": "y\n",
            "docs/guide.md": "# guide\n",
            "api.pb.go": "package api\n",
            ".gitattributes": "docs/guide.md linguist-vendored\napi.pb.go linguist-generated\n",
            ".env": "X=1\n",
            f"keys/{AWS_KEY}/one.txt": "1\n",
            f"keys/{AWS_KEY}/two.txt": "2\n",
            f"{AWS_KEY}.txt": "k\n",
            ".packerignore": "ignored.txt\n",
            "ignored.txt": "i\n",
            "debug.log": "l\n",
            "big.txt": "x" * 101,
            "pack.xml": "p\n",
        },
    )
    (root / "dir").mkdir()
    os.mkfifo(root / "pipe")
    os.mkfifo(root / "fifo-target")
    for name, target in {
        "loop-a": "loop-b",
        "loop-b": "loop-a",
        "broken": "missing",
        "outside": str(tmp_path),
        "to-dir": "dir",
        "to-fifo": "fifo-target",
        "to-file": "a.py",
        "to-key": f"{AWS_KEY}.txt",
    }.items():
        os.symlink(target, root / name)
    got = _walk_skips(
        root,
        use_gitignore=False,
        exclude=["*.log"],
        max_file_size=100,
        outputs=[str(root / "pack.xml")],
    )
    masked, in_name = "[REDACTED:AWS Access Key]", "secret in file name"
    assert got == {
        "node_modules/": ("vendored", "2 files", "vendored (2 files)", "vendored"),
        "docs/guide.md": (
            "vendored",
            ".gitattributes linguist-vendored",
            "vendored (.gitattributes linguist-vendored)",
            "vendored",
        ),
        "api.pb.go": (
            "generated",
            ".gitattributes linguist-generated",
            "generated (.gitattributes linguist-generated)",
            "generated",
        ),
        ".env": ("secrets-file", "", "secrets file", "secrets file"),
        f"keys/{masked}/": (
            "secret-in-name",
            "2 files",
            "secret in file name (2 files)",
            "secret in file name",
        ),
        f"{masked}.txt": ("secret-in-name", "", "secret in file name", in_name),
        "ignored.txt": ("packerignore", "", ".packerignore", ".packerignore"),
        "debug.log": ("excluded", "*.log", "excluded by --exclude *.log", "excluded by"),
        "big.txt": ("too-large", "101 bytes > 100", "too large (101 bytes > 100)", "too large"),
        "pack.xml": ("packer-output", "", "packer output", "packer output"),
        "pipe": ("not-regular", "fifo", "not a regular file (fifo)", "not a regular file"),
        "fifo-target": ("not-regular", "fifo", "not a regular file (fifo)", "not a regular file"),
        "loop-a": ("symlink-loop", "", "symlink loop", "symlink"),
        "loop-b": ("symlink-loop", "", "symlink loop", "symlink"),
        "broken": ("broken-symlink", "", "broken symlink", "broken symlink"),
        "outside": ("symlink-outside-root", "", "symlink outside root", "symlink"),
        "to-dir": ("symlink-to-directory", "", "symlink to directory", "symlink"),
        "to-fifo": ("symlink-to-special", "fifo", "symlink to a special file (fifo)", "symlink"),
        "to-file": ("symlink", "a.py", "symlink to a.py", "symlink"),
        # The target's name holds a secret: the reason is masked, in its detail.
        "to-key": ("symlink", f"{masked}.txt", f"symlink to {masked}.txt", "symlink"),
    }
    only_py = _walk_skips(root / "docs", use_gitignore=False, include=["*.py"])
    assert only_py == {"guide.md": ("not-included", "", "not matched by --include", "not matched by")}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_nested_repositories_and_submodules_are_skips(tmp_path: Path) -> None:
    root, inner = tmp_path / "r", tmp_path / "inner"
    write(root, {"a.py": "x = 1\n", "nested/b.py": "y = 2\n"})
    write(inner, {"c.py": "z = 3\n"})
    for repo in (root, root / "nested", inner):
        git(repo, "init", "-q")
    git(inner, "add", ".")
    git(inner, "commit", "-qm", "c")
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner), "sub")
    got = _walk_skips(root)
    assert got["nested/"] == ("nested-repository", "", "nested git repository", "nested git repository")
    assert got["sub"] == ("submodule", "", "git submodule", "git submodule")


# -- every kind renders a reason and a label --------------------------------------------------


def _old_skip_kind(reason: str) -> str:
    """`pipeline.skip_kind` as it was: the label, parsed out of the reason text."""
    kind = reason.split(" (")[0].split(":")[0]
    for prefix in ("symlink", "excluded by", "not matched by", "too large"):
        if kind.startswith(prefix):
            return prefix
    return kind


# A detail each kind takes (none for most), and the reason packer wrote for it before
# skips had kinds.
REASONS: dict[str, tuple[str, str]] = {
    "lockfile": ("", "lockfile"),
    "minified": ("", "minified"),
    "binary": ("", "binary"),
    "undecodable": ("", "undecodable (not UTF-8)"),
    "generated": ("marker", "generated (marker)"),
    "vendored": ("3 files", "vendored (3 files)"),
    "secrets-file": ("", "secrets file"),
    "secret-in-name": ("1 file", "secret in file name (1 file)"),
    "packer-output": ("", "packer output"),
    "packerignore": ("", ".packerignore"),
    "excluded": ("build/:x (y)", "excluded by --exclude build/:x (y)"),
    "not-included": ("", "not matched by --include"),
    "nested-repository": ("", "nested git repository"),
    "submodule": ("", "git submodule"),
    "too-large": ("2000001 bytes > 1000000", "too large (2000001 bytes > 1000000)"),
    "unreadable": ("Permission denied", "unreadable: Permission denied"),
    "vanished-before-read": ("", "vanished before it was read"),
    "vanished-during-walk": ("", "vanished during walk"),
    "not-regular": ("socket", "not a regular file (socket)"),
    "symlink": ("a (b):c.py", "symlink to a (b):c.py"),
    "symlink-loop": ("", "symlink loop"),
    "broken-symlink": ("", "broken symlink"),
    "symlink-outside-root": ("", "symlink outside root"),
    "symlink-to-directory": ("", "symlink to directory"),
    "symlink-to-special": ("device", "symlink to a special file (device)"),
}


def test_every_kind_renders_its_reason_and_the_label_the_old_parser_gave() -> None:
    assert set(get_args(SkipKind)) == set(_SKIP_TEXTS) == set(REASONS)
    for kind, (detail, reason) in REASONS.items():
        s = Skip("p", kind, detail)
        assert s.reason == reason, kind
        assert s.label == _old_skip_kind(reason), kind
        assert s.with_reason(s.reason) == s, kind


@pytest.mark.parametrize("kind", ["not-regular", "too-large", "vendored", "symlink-to-special", "generated"])
def test_a_kind_with_and_without_a_detail(kind: str) -> None:
    bare = Skip("p", kind)
    detailed = Skip("p", kind, "x")
    assert bare.label == detailed.label == _old_skip_kind(bare.reason) == _old_skip_kind(detailed.reason)
    assert detailed.reason == f"{bare.reason} (x)"


def test_a_masked_reason_is_a_masked_detail() -> None:
    s = Skip("link", "symlink", f"keys/{AWS_KEY}.txt")
    masked = s.with_reason(s.reason.replace(AWS_KEY, "[REDACTED:AWS Access Key]"))
    assert masked == Skip("link", "symlink", "keys/[REDACTED:AWS Access Key].txt")
    e = Skip("x.py", "excluded", f"{AWS_KEY}/*")
    assert e.with_reason("excluded by --exclude [REDACTED:k]/*").detail == "[REDACTED:k]/*"


# -- the cache gives the same records ----------------------------------------------------------


def _essence(m: Measured) -> tuple[Any, ...]:
    return (m.infos, m.skipped, m.prints, m.symbols, m.terms, m.clean)


def test_a_cached_run_returns_the_same_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cachelib, "SETTLED_NS", 0)  # every stat is settled: the index is used
    root = tmp_path / "r"
    write(root, {"a.py": SOURCE, "settings.py": SECRET, "b.bin": b"\x00", "big.txt": "x" * 200})
    files = discover.walk(root, max_file_size=None).files
    cd = tmp_path / "cache"
    work = measure_work(cache_dir=str(cd), max_file_size=100)
    uncached = measure(files, work=work)
    with Cache(cd) as cache:
        cold = measure(files, work=work, cache=cache)
    with Cache(cd) as cache:
        warm = measure(files, work=work, cache=cache)  # the stat index: symbols deferred
        assert warm.read == 0 and warm.deferred
        warm.complete(cache, work)
    assert cold.read == 4
    assert _essence(cold) == _essence(warm) == _essence(uncached)
    assert warm.skipped == [Skip("b.bin", "binary"), Skip("big.txt", "too-large", "200 bytes > 100")]

    with Cache(cd) as cache:  # no index: every file from its stat, read verdict and values
        cache.put(_index_key(work, files), {})
        by_stat = measure(files, work=work, cache=cache)
    assert by_stat.read == 2  # the skips are known to the index only: read again
    assert _essence(by_stat) == _essence(uncached)


def test_an_outcome_survives_the_index(tmp_path: Path) -> None:
    write(tmp_path, {"settings.py": SECRET})
    got = _outcome(tmp_path, "settings.py")
    assert isinstance(got, Text)
    back = _from_plain("settings.py", _plain(got))
    # The index leaves the large values out: they are read when ranking needs them.
    assert back == Text(
        got.path,
        got.size,
        got.digest,
        got.encoding,
        got.lines,
        got.language,
        Values(
            count=got.values.count,
            skeleton=got.values.skeleton,
            secrets=got.values.secrets,
            fingerprint=got.values.fingerprint,
        ),
    )
    for skip in (Skip("a", "binary"), Skip("b", "too-large", "5 bytes > 4")):
        assert _from_plain(skip.path, _plain(skip)) == skip


def test_batches_keep_order_and_end_at_either_bound():
    from packer.measure import batches

    sizes = [5, 5, 30, 1, 1, 1, 1, 50]
    got = batches(range(len(sizes)), sizes.__getitem__, files=3, nbytes=40)
    assert got == [[0, 1, 2], [3, 4, 5], [6, 7]]  # three files; then 40 bytes reached at item 7
    assert [i for b in got for i in b] == list(range(len(sizes)))
    assert batches([], len, files=2, nbytes=1) == []
    assert batches(["abc", "d"], len, files=9, nbytes=3) == [["abc"], ["d"]]


def _gc_state() -> tuple[bool, int]:
    import gc

    return gc.isenabled(), gc.get_freeze_count()


def test_forked_workers_collect_only_what_they_make():
    # A worker's collector never visits what it inherited (each page it wrote would become
    # the worker's own copy), and does collect what the worker makes.
    import gc

    from packer.measure import fork_pool

    frozen_here = gc.get_freeze_count()
    with fork_pool(1) as pool:
        enabled, frozen = pool.submit(_gc_state).result()
    assert enabled and frozen > 10_000  # this test process's objects, at least
    assert gc.get_freeze_count() == frozen_here  # the parent's collector is untouched
