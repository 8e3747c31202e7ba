"""`packer stats` as a library call (`packer.stats`): every packable file's content counted
exactly, sums by directory down to a depth, largest first, and the skipped files by reason.
What the command prints is tested in test_cli; warm and cold runs agree in test_cache."""

import pytest
from conftest import write

from packer import Options
from packer.errors import ConfigError, PackerError
from packer.stats import Entry, stats
from packer.tokens import Counter

TEXTS = {
    "a/one.py": "x = 1\n",
    "a/b/two.py": "def f():\n    return 2\n",
    "a/b/c/three.py": 'print("hello world")\n',
    "d/four.txt": "zzz\n",
    "top.md": "# Title\n\nSome words here.\n",
}
SKIPPED = {"blob.bin": b"\x00\x01bin", "d/blob2.bin": b"\x00\x02bin", "package-lock.json": "{}\n"}


@pytest.fixture
def root(tmp_path):
    write(tmp_path / "r", {**TEXTS, **SKIPPED})
    return tmp_path / "r"


def test_every_file_is_counted_exactly_largest_first(root):
    got = stats(root, Options(cache=False))
    exact = {path: Counter().count(text) for path, text in TEXTS.items()}
    assert {e.path: e.tokens for e in got.largest} == exact
    assert all(e.files == 1 for e in got.largest)
    assert [e.path for e in got.largest] == sorted(exact, key=lambda p: (-exact[p], p))
    assert (got.files, got.total_tokens) == (len(exact), sum(exact.values()))
    assert (got.root, got.encoding, got.warnings) == (str(root.resolve()), "o200k_base", ())


def test_directories_sum_their_files_down_to_the_depth(root):
    got = stats(root, Options(cache=False), depth=2)
    tokens = {e.path: e.tokens for e in got.largest}
    a = tokens["a/one.py"] + tokens["a/b/two.py"] + tokens["a/b/c/three.py"]
    ab = tokens["a/b/two.py"] + tokens["a/b/c/three.py"]
    assert got.directories == (Entry("a/", a, 3), Entry("a/b/", ab, 2), Entry("d/", tokens["d/four.txt"], 1))
    assert [e.path for e in stats(root, Options(cache=False), depth=1).directories] == ["a/", "d/"]
    assert stats(root, Options(cache=False), depth=0).directories == ()


def test_skipped_files_are_listed_and_counted_by_label(root):
    got = stats(root, Options(cache=False))
    assert [(s.path, s.label) for s in got.skipped] == [
        ("blob.bin", "binary"),
        ("d/blob2.bin", "binary"),
        ("package-lock.json", "lockfile"),
    ]
    assert got.skipped_by_reason == (("binary", 2), ("lockfile", 1))
    kept = stats(root, Options(cache=False, keep=["lockfile"], exclude=["d/"]))
    assert "package-lock.json" in {e.path for e in kept.largest}
    assert kept.skipped_by_reason == (("excluded by", 2), ("binary", 1))  # most first


def test_the_encoding_counts_and_the_options_are_checked_as_for_a_pack(root):
    got = stats(root, Options(cache=False, encoding="cl100k_base"))
    assert got.encoding == "cl100k_base"
    assert {e.path: e.tokens for e in got.largest} == {
        path: Counter("cl100k_base").count(text) for path, text in TEXTS.items()
    }
    with pytest.raises(ConfigError, match="unknown format 'html'"):
        stats(root, Options(format="html"))  # unused by stats, yet still refused
    with pytest.raises(PackerError, match=r"is not a directory; pass the repository's directory"):
        stats(root / "top.md")
