"""Secrets never leave through `packer chunk` and are never kept in the cache (issue 12).

Chunks: every chunk's text, symbol and path are searched for each planted secret and for
its last 12 characters, while the chunk contract still holds (byte ranges join to the
source, `tokens` is the exact count of `text` and within budget, lines are the source's).
Cache: packs of a repository holding secrets in a signature default, a docstring and a
comment, then every byte of every file under the cache directory, and every decoded
value, is searched the same way.
"""

from __future__ import annotations

import io
import json
import marshal
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import write

import packer
from packer import Options
from packer import cache as cachelib
from packer.chunker import chunk_file
from packer.cli import main
from packer.records import Chunk
from packer.tokens import Counter

# Fake, realistically shaped secrets (built by concatenation: no committed-key lookalikes).
AWS = "AKIA" + "QX7Z2M4N6P8R3T5V"
GITHUB = "ghp_" + "Zk4Rw9Tq2Lm7Vb3Nx8Pc5Hj1Df6Gs0Ya2Ue4"
PASSWORD = "nV7#qLp2$Wx9!tZr" + "Hq3m"
DB_PASSWORD = "Qm9vZ3FwLk8xYnR6" + "Wd3Hs5Jk"
PEM_LINES = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
    "9z+tRHMwqGrFEpQP5Y6IrN4mVMn9GZYd3dN4NphTrKpUcm0eCiWNTpg4FQqhvGvt",
]
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_LINES) + "\n-----END RSA PRIVATE KEY-----\n"
SECRETS = {
    "aws": AWS,
    "github": GITHUB,
    "password": PASSWORD,
    "db_password": DB_PASSWORD,
    **{f"pem{i}": line for i, line in enumerate(PEM_LINES)},
}

APP = f'''"""Service settings."""

import os

AWS_ACCESS_KEY_ID = "{AWS}"
GITHUB_TOKEN = "{GITHUB}"
password = "{PASSWORD}"

SIGNING_KEY = """{PEM}"""


class Client:
    """A client of the service."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get(self, path: str) -> str:
        return self.host + path


def main() -> None:
    print(Client(os.environ.get("HOST", "localhost")).get("/"))
'''
NOTES = f"""# Setup

Install the tool, then log in.

## Token {GITHUB}

Paste the token above into the form; it is valid for a day.

## Usage

Run it.
"""
DB = f'''"""Database helpers.

Deploy with the token {GITHUB} on CI.
"""


def connect(host: str, password="{DB_PASSWORD}") -> None:
    """Open a connection; the service key is {AWS} for now."""
    # fallback credential: {GITHUB}
    return None


def close() -> None:
    """Close the connection."""
    return None
'''


def leaks(text: str) -> list[str]:
    """The planted secrets found in `text`, whole or by their last 12 characters."""
    return [name for name, s in SECRETS.items() if s in text or s[-12:] in text]


def check_chunks(chunks: list[Chunk], data: bytes, max_tokens: int) -> None:
    counter = Counter("o200k_base")
    assert chunks
    assert b"".join(data[c.start_byte : c.end_byte] for c in chunks) == data
    for c in chunks:
        assert leaks(c.text) == [] and leaks(c.symbol) == [] and leaks(c.path) == [], c
        assert c.tokens == counter.count(c.text) <= max_tokens
        assert c.start_line == data.count(b"\n", 0, c.start_byte) + 1
        assert c.end_line == c.start_line + data.count(b"\n", c.start_byte, c.end_byte - 1)
    assert sum(c.redacted for c in chunks) >= 1


# -- chunks ---------------------------------------------------------------------------


@pytest.mark.parametrize("max_tokens", [16, 40, 128, 512])
@pytest.mark.parametrize(("context", "overlap"), [(False, 0), (True, 0), (False, 3), (True, 2)])
@pytest.mark.parametrize(
    ("name", "source", "language"),
    [
        ("app.py", APP, "python"),
        ("notes.md", NOTES, "markdown"),
        ("db.py", DB, "python"),
        ("app.txt", APP, None),
    ],
)
def test_chunks_hold_no_secret(
    name: str, source: str, language: str | None, max_tokens: int, context: bool, overlap: int
) -> None:
    data = source.encode()
    chunks = list(
        chunk_file(
            data, path=name, language=language, max_tokens=max_tokens, context=context, overlap=overlap
        )
    )
    check_chunks(chunks, data, max_tokens)


@pytest.mark.parametrize(
    ("name", "source", "language"), [("app.py", APP, "python"), ("notes.md", NOTES, "markdown")]
)
def test_chunk_text_equals_the_source_outside_the_secrets(
    name: str, source: str, language: str | None
) -> None:
    """Without header and overlap the texts join to the source line for line: a line
    differs only where a secret was replaced, and no line is lost or joined."""
    data = source.encode()
    for max_tokens in (24, 512):
        chunks = list(chunk_file(data, path=name, language=language, max_tokens=max_tokens))
        for c in chunks:
            assert c.text.count("\n") == data.count(b"\n", c.start_byte, c.end_byte)
        got = "".join(c.text for c in chunks).split("\n")
        want = source.split("\n")
        assert len(got) == len(want)
        changed = [(g, w) for g, w in zip(got, want, strict=True) if g != w]
        # A line that changed holds a marker, or is left empty by a key body's marker.
        assert changed and all("[REDACTED:" in g or g == "" for g, _ in changed)
        assert all(leaks(w) for _, w in changed)  # only lines that held a secret changed


def test_a_secret_cut_by_a_chunk_boundary_is_redacted_on_both_sides() -> None:
    # One long line: it is cut by tokens, wherever the budget ends.
    words = " ".join(f"w{i}" for i in range(60))
    data = f'x = "{words} {GITHUB} {words} {AWS} {words}"\n'.encode()
    for max_tokens in range(12, 40, 3):
        chunks = list(chunk_file(data, path="a.py", language="python", max_tokens=max_tokens))
        check_chunks(chunks, data, max_tokens)


def test_invalid_utf8_before_a_secret_keeps_offsets_and_redacts() -> None:
    data = (
        b"# caf\xe9 \xff\xfe r\xc3\xa9sum\xc3\xa9\n"
        + f'token = "{GITHUB}"\n'.encode()
        + "# ünïcode ✓\n".encode()
        + f'key = "{AWS}"\n'.encode()
    )
    for max_tokens in (12, 20, 512):
        chunks = list(chunk_file(data, path="a.py", language="python", max_tokens=max_tokens))
        check_chunks(chunks, data, max_tokens)
    (whole,) = chunk_file(data, path="a.py", language="python", max_tokens=512)
    assert whole.text.startswith('# caf\ufffd \ufffd\ufffd r\u00e9sum\u00e9\ntoken = "[REDACTED:')
    assert whole.text.endswith('"\n# ünïcode ✓\nkey = "[REDACTED:AWS Access Key]"\n')
    assert whole.redacted == 2


def test_a_secret_in_the_path_is_masked() -> None:
    (c,) = chunk_file(b"x = 1\n", path=f"keys/{AWS}.py", language="python", context=True)
    assert leaks(c.path) == [] and leaks(c.text) == []
    assert c.path.startswith("keys/[REDACTED:")


def test_a_budget_too_small_for_the_marker_says_so() -> None:
    with pytest.raises(packer.PackerError, match=r"marker that replaces a secret in a\.py at line 1"):
        list(chunk_file(f'k = "{AWS}"\n'.encode(), path="a.py", language="python", max_tokens=4))


def _tree(root: Path) -> Path:
    write(
        root,
        {
            "src/app.py": APP,
            "docs/notes.md": NOTES,
            "src/db.py": DB,
            ".env": f"GITHUB_TOKEN={GITHUB}\nDEBUG=1\n",
            f"keys/{AWS}.txt": "harmless\n",
            "src/plain.py": "def f():\n    return 1\n",
        },
    )
    return root


def test_chunk_walk_redacts_and_skips_secret_files(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo")
    chunks = list(packer.chunk(root, max_tokens=64, context=True, overlap=2))
    paths = {c.path.rsplit("/", 2)[-2] + "/" + c.path.rsplit("/", 1)[-1] for c in chunks}
    assert paths == {"src/app.py", "docs/notes.md", "src/db.py", "src/plain.py"}
    for c in chunks:
        assert leaks(c.text) == [] and leaks(c.symbol) == [] and leaks(c.path) == []
    # Named directly: a secrets file needs the keep kind; a secret-named file never goes.
    assert list(packer.chunk([root / ".env", root / "keys" / f"{AWS}.txt"])) == []
    kept = list(packer.chunk([root / ".env"], keep=["secrets-file"]))
    assert kept and all(leaks(c.text) == [] for c in kept)
    assert "DEBUG=1" in kept[0].text and kept[0].redacted == 1
    kept_walk = list(packer.chunk(root, keep=["secrets-file"]))
    assert any(c.path.endswith(".env") for c in kept_walk)
    assert all(leaks(c.text) == [] for c in kept_walk)


@pytest.mark.parametrize(
    "args",
    [
        ["--max-tokens", "512"],
        ["--max-tokens", "48", "--context"],
        ["--max-tokens", "40", "--context", "--overlap", "3"],
        ["--keep", "secrets-file", "--max-tokens", "64"],
    ],
)
def test_cli_chunk_output_holds_no_secret(tmp_path: Path, args: list[str]) -> None:
    root = _tree(tmp_path / "repo")
    files = [root / "src/app.py", root / "src/db.py"]
    result = CliRunner().invoke(main, ["chunk", str(root), *map(str, files), "-q", *args])
    assert result.exit_code == 0, result.output
    assert leaks(result.stdout) == [] and leaks(result.stderr) == []
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sum(r["redacted"] for r in records) >= 5
    for f in files:
        data = f.read_bytes()
        mine = [r for r in records if r["path"] == str(f)]
        assert b"".join(data[r["start_byte"] : r["end_byte"]] for r in mine) == data
        assert all(r["tokens"] == Counter("o200k_base").count(r["text"]) for r in mine)


# -- the cache ------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    """Every str and bytes inside a decoded cache value (bytes as latin-1)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("latin-1")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for v in value:
            yield from _strings(v)


def _cache_leaks(cache_dir: Path) -> list[tuple[str, str]]:
    """(where, secret) for every planted secret in the cache's files or decoded values."""
    found: list[tuple[str, str]] = []
    files = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files), files
    for p in files:
        raw = p.read_bytes()
        for name, s in SECRETS.items():
            for needle in (s, s[-12:]):
                if needle.encode() in raw or needle.encode("utf-16-le") in raw:
                    found.append((p.name, name))
    for db_path in [p for p in files if p.name.endswith(".sqlite3")]:
        db = sqlite3.connect(db_path)
        try:
            rows = db.execute("SELECT value FROM entries").fetchall()
        finally:
            db.close()
        assert rows
        for (blob,) in rows:
            for text in _strings(marshal.loads(blob)):
                found.extend(("value", name) for name in leaks(text))
    return sorted(set(found))


def _repo(root: Path) -> Path:
    write(
        root,
        {
            "src/db.py": DB,
            "src/app.py": APP,
            "README.md": NOTES,
            "src/util.py": "".join(
                f'def helper_{i}(x):\n    """Helper {i}."""\n    return x + {i}\n\n\n' for i in range(40)
            ),
        },
    )
    t = time.time_ns() - 10_000_000_000  # settled: stat entries and the index are written
    for p in root.rglob("*"):
        os.utime(p, ns=(t, t))
    return root


PACKS: dict[str, dict[str, Any]] = {
    "budgeted-query": {"budget": 1500, "query": "connect to the database"},
    "budgeted-skeleton": {"budget": 900, "skeleton": True, "query": "database helpers"},
    "budgeted-tight-skeleton": {"budget": 400, "skeleton": True},
    "unbudgeted": {"budget": "none"},
    "unbudgeted-skeleton": {"budget": "none", "skeleton": True},
    "secrets-allowed-skeleton": {"budget": 900, "skeleton": True, "allow_secrets": True, "query": "connect"},
}


@pytest.mark.parametrize("config", sorted(PACKS))
def test_the_cache_holds_no_secret(tmp_path: Path, config: str) -> None:
    root = _repo(tmp_path / "repo")
    cache_dir = tmp_path / "cache"
    outputs = []
    for _ in range(2):  # cold, then warm
        buf = io.StringIO()
        packer.pack(root, Options(cache_dir=cache_dir, **PACKS[config]), output=buf)
        outputs.append(buf.getvalue())
    assert outputs[0] == outputs[1]
    if not PACKS[config].get("allow_secrets"):
        assert leaks(outputs[0]) == []
    assert _cache_leaks(cache_dir) == []


def test_the_cache_check_finds_a_planted_value(tmp_path: Path) -> None:
    """The search above can fail: a value holding a secret is found in the bytes."""
    cache_dir = tmp_path / "cache"
    with cachelib.Cache(cache_dir) as cache:
        cache.put(cachelib.key("0", 0, "test"), ("signature", f"def f(p={DB_PASSWORD!r})"))
    assert ("value", "db_password") in _cache_leaks(cache_dir)
    assert any(where.endswith((".sqlite3", ".sqlite3-wal")) for where, _ in _cache_leaks(cache_dir))


def test_budgeted_symbols_come_from_redacted_text(tmp_path: Path) -> None:
    """What ranking reads of a budgeted pack's files (signatures, docstrings) is redacted,
    and the file still ranks by its names."""
    root = _repo(tmp_path / "repo")
    buf = io.StringIO()
    result = packer.pack(root, Options(budget=1500, query="connect", cache_dir=tmp_path / "c"), output=buf)
    assert result.files[0].path == "src/db.py"
    assert re.search(r"\bconnect\b", result.files[0].reason)


def test_a_skeletons_secrets_are_listed_warm_or_cold(tmp_path: Path) -> None:
    """A file packed as its skeleton lists its secrets whether the skeleton was made now
    or taken from the cache; both runs write the same pack and the same manifest."""
    root = tmp_path / "repo"
    write(root, {"db.py": DB, "app.py": APP, "notes.md": NOTES})
    options = Options(skeleton=True, budget=50_000, cache_dir=str(tmp_path / "cache"))
    runs = []
    for n in range(2):  # cold, then warm
        out, manifest = tmp_path / f"pack{n}.xml", tmp_path / f"m{n}.json"
        result = packer.pack(root, options, output=out, manifest=manifest)
        assert {f.path: f.mode for f in result.files}["db.py"] == "skeleton"
        runs.append((result.secrets, out.read_text(), manifest.read_text().replace(f"pack{n}", "pack")))
    assert runs[0] == runs[1]
    listed = {(s.path, s.line) for s in runs[0][0]}
    assert (
        "db.py",
        DB.splitlines().index(next(x for x in DB.splitlines() if DB_PASSWORD in x)) + 1,
    ) in listed
    assert leaks(runs[0][1]) == []


def test_a_cached_skeleton_of_a_file_changed_before_writing_is_refused(tmp_path: Path) -> None:
    """The skeleton in the cache is the measured file's: a file rewritten after it was
    measured is caught when the pack is written, as a file packed in full is."""
    from packer import pipeline
    from packer.config import resolve
    from packer.errors import ConcurrentChangeError

    root = (tmp_path / "repo").resolve()
    write(root, {"db.py": DB, "app.py": APP})
    options = Options(skeleton=True, budget=50_000, cache_dir=str(tmp_path / "cache"))
    packer.pack(root, options, output=None)  # the skeletons are in the cache now

    def rewrite_then_write(blocks: Any, output: Any) -> Any:
        (root / "db.py").write_text(DB.replace("Open a connection", "Open one connection"))
        return pipeline.Stages().write(blocks, output)

    out = tmp_path / "pack.xml"
    with pytest.raises(ConcurrentChangeError, match=r"db\.py changed while packing"):
        pipeline.run(
            root,
            resolve(root, options),
            output=out,
            manifest=None,
            stages=pipeline.Stages(write=rewrite_then_write),
        )
    assert not out.exists()
