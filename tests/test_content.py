"""Reading one file: safe opening, binary and encoding detection, the skip kinds and `keep`."""

import codecs
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import xxhash

from packer.content import LOCKFILE_NAMES, read_source
from packer.records import Candidate, Skip, SourceText


def candidate(root: Path, rel: str, data: bytes | None = None) -> Candidate:
    path = root / rel
    if data is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    size = path.stat().st_size if path.exists() else 0
    return Candidate(path=rel, abspath=str(path), size=size)


def text_of(result: SourceText | Skip) -> str:
    assert isinstance(result, SourceText), result
    return result.text


def test_plain_utf8_text_is_returned_untouched(tmp_path):
    data = "def f():\r\n\treturn 'é'\r\n\n".encode()
    result = read_source(candidate(tmp_path, "src/a.py", data))
    assert result == SourceText(
        path="src/a.py",
        abspath=str(tmp_path / "src" / "a.py"),
        text="def f():\r\n\treturn 'é'\r\n\n",  # CRLF and tabs exactly as stored
        size=len(data),
        digest=xxhash.xxh3_64_hexdigest(data),
        encoding="utf-8",
    )


def test_utf8_bom_is_removed_but_digest_covers_raw_bytes(tmp_path):
    data = codecs.BOM_UTF8 + b"x = 1\n"
    result = read_source(candidate(tmp_path, "bom.py", data))
    assert isinstance(result, SourceText)
    assert (result.text, result.encoding) == ("x = 1\n", "utf-8-sig")
    assert result.digest == xxhash.xxh3_64_hexdigest(data) != xxhash.xxh3_64_hexdigest(b"x = 1\n")
    assert result.size == len(data)


@pytest.mark.parametrize(
    ("codec", "bom", "label"),
    [
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("utf-32-le", codecs.BOM_UTF32_LE, "utf-32"),
        ("utf-32-be", codecs.BOM_UTF32_BE, "utf-32"),
    ],
)
def test_utf16_and_utf32_with_bom(tmp_path, codec, bom, label):
    text = "héllo\r\nwörld 日本\n"
    result = read_source(candidate(tmp_path, "w.txt", bom + text.encode(codec)))
    assert isinstance(result, SourceText)
    assert (result.text, result.encoding) == (text, label)


def test_binary_by_content_not_extension(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    assert read_source(candidate(tmp_path, "image", png)) == Skip("image", "binary")
    assert read_source(candidate(tmp_path, "looks.py", png)) == Skip("looks.py", "binary")
    kept = read_source(candidate(tmp_path, "image"), keep={"binary"})
    assert isinstance(kept, SourceText)
    assert kept.text.startswith("\ufffdPNG\r\n\x1a\n\x00")


def test_nul_only_after_the_first_8000_bytes_is_text(tmp_path):
    lines = b"a\n" * 4000  # 8000 bytes
    assert isinstance(read_source(candidate(tmp_path, "late.txt", lines + b"\x00tail")), SourceText)
    early = lines[:-1] + b"\x00"
    assert read_source(candidate(tmp_path, "early.txt", early)) == Skip("early.txt", "binary")


def test_mostly_control_bytes_is_binary(tmp_path):
    data = bytes([1, 2, 3, 4, 5, 6, 0x10, 0x7F, ord("a")]) * 100
    assert read_source(candidate(tmp_path, "ctl", data)) == Skip("ctl", "binary")
    ansi = b"\x1b[31mred\x1b[0m text\n\x0c page\n" * 50  # escapes and form feeds are text
    assert isinstance(read_source(candidate(tmp_path, "log.txt", ansi)), SourceText)


def test_bom_lookalike_with_nul_is_binary(tmp_path):
    data = codecs.BOM_UTF16_LE + b"\x00\x00\x00\x00" + b"\x01" * 20
    assert read_source(candidate(tmp_path, "blob", data)) == Skip("blob", "binary")


def test_invalid_utf8_is_undecodable_unless_kept(tmp_path):
    c = candidate(tmp_path, "latin1.txt", b"caf\xe9 au lait\n")
    assert read_source(c) == Skip("latin1.txt", "undecodable (not UTF-8)")
    assert text_of(read_source(c, keep=["undecodable"])) == "caf\ufffd au lait\n"


def test_empty_file_is_text(tmp_path):
    result = read_source(candidate(tmp_path, "empty.py", b""))
    assert isinstance(result, SourceText)
    assert (result.text, result.size) == ("", 0)


@pytest.mark.parametrize("name", [*sorted(LOCKFILE_NAMES), "custom.lock"])
def test_lockfiles_by_name(tmp_path, name):
    c = candidate(tmp_path, f"sub/{name}", b"locked = 1\n")
    assert read_source(c) == Skip(f"sub/{name}", "lockfile")
    assert text_of(read_source(c, keep=("lockfile",))) == "locked = 1\n"


def test_lockfile_lookalikes_are_kept(tmp_path):
    for name in ("lock.py", "Cargo.lock.md", "package-lock.json.bak", "yarn.locked"):
        assert isinstance(read_source(candidate(tmp_path, name, b"x\n")), SourceText), name


@pytest.mark.parametrize("name", ["app.min.js", "style.min.css", "mod.min.mjs"])
def test_minified_by_name(tmp_path, name):
    c = candidate(tmp_path, f"static/{name}", b"a{}\n")
    assert read_source(c) == Skip(f"static/{name}", "minified")
    assert isinstance(read_source(c, keep=["minified"]), SourceText)


def test_minified_by_content(tmp_path):
    one_line = ("var a=function(b){return b+1};" * 300).encode()  # 9 KB on one line
    c = candidate(tmp_path, "bundle.js", one_line)
    assert read_source(c) == Skip("bundle.js", "minified")
    assert isinstance(read_source(c, keep=["minified"]), SourceText)
    wrapped = b"\n".join([b"x" * 400] * 20)  # long lines on average
    assert read_source(candidate(tmp_path, "wrapped.css", wrapped)) == Skip("wrapped.css", "minified")
    with_header = b"/*! license */\n" + one_line
    assert read_source(candidate(tmp_path, "hdr.js", with_header)) == Skip("hdr.js", "minified")


def test_normal_source_with_one_long_literal_is_not_minified(tmp_path):
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(600))
    literal = "BIG = " + "7" * 6000 + "\n"
    c = candidate(tmp_path, "test_big.py", (body + literal + body).encode())
    assert isinstance(read_source(c), SourceText)
    small = "x = '" + "a" * 1900 + "'\n"  # under the size floor
    assert isinstance(read_source(candidate(tmp_path, "small.js", small.encode())), SourceText)


@pytest.mark.parametrize(
    "header",
    [
        "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage x\n",
        "# @generated by tool\nX = 1\n",
        "/*\n * Copyright\n *\n * This file is generated: DO NOT EDIT\n */\nint x;\n",
        "/* SPDX */\n\n/*\n Autogenerated, DO NOT EDIT\n*/\nint y;\n",
        '#!/usr/bin/env python\n"""\nGenerated by the builder.\nDO NOT EDIT.\n"""\nx = 1\n',
        "<?xml version='1.0'?>\n<!-- @generated -->\n<a/>\n",
        "#ifndef X_H\n#define X_H\n/* Autogenerated file, DO NOT EDIT manually! */\n",
    ],
)
def test_generated_marker_in_header(tmp_path, header):
    c = candidate(tmp_path, "gen.src", header.encode())
    assert read_source(c) == Skip("gen.src", "generated (marker)")
    assert text_of(read_source(c, keep={"generated"})) == header


@pytest.mark.parametrize(
    "text",
    [
        'import os\nHEADER = """\\\n# *** GENERATED, DO NOT EDIT ***\n"""\n',  # a generator's template
        "x = 1\n# DO NOT EDIT below this line\n",  # after code: not a file header
        "# Do not edit lightly\nx = 1\n",  # case matters
        "# header\n" + "y = 2\n" * 10 + "# @generated\n",
        "\n" * 3000 + "// DO NOT EDIT\n",  # beyond the head
    ],
)
def test_generated_marker_false_positives(tmp_path, text):
    assert isinstance(read_source(candidate(tmp_path, "tool.py", text.encode())), SourceText)


def test_size_limit_while_reading(tmp_path):
    c = candidate(tmp_path, "big.txt", b"x" * 101)
    assert read_source(c, max_file_size=100) == Skip("big.txt", "too large (101 bytes > 100)")
    assert text_of(read_source(c, max_file_size=101)) == "x" * 101
    assert len(text_of(read_source(c, max_file_size=None))) == 101


def test_file_grown_since_the_walk_is_still_limited(tmp_path):
    c = candidate(tmp_path, "grow.txt", b"x" * 10)
    (tmp_path / "grow.txt").write_bytes(b"x\n" * 2500)
    assert read_source(c, max_file_size=100) == Skip("grow.txt", "too large (5000 bytes > 100)")
    assert text_of(read_source(c, max_file_size=None)) == "x\n" * 2500  # content, not the old size


def test_vanished_file(tmp_path):
    c = candidate(tmp_path, "gone.py", b"x\n")
    os.unlink(c.abspath)
    assert read_source(c) == Skip("gone.py", "vanished before it was read")


def test_fifo_swapped_in_does_not_block(tmp_path):
    c = candidate(tmp_path, "pipe.py", b"x\n")
    os.unlink(c.abspath)
    os.mkfifo(c.abspath)
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(read_source(c)), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "read_source blocked on a FIFO"
    assert box == [Skip("pipe.py", "not a regular file")]


def test_symlink_swapped_in_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret\n")
    c = candidate(tmp_path, "root/a.py", b"x\n")
    os.unlink(c.abspath)
    os.symlink(secret, c.abspath)
    assert read_source(c) == Skip("root/a.py", "not a regular file (symlink)")


def test_directory_swapped_in(tmp_path):
    c = candidate(tmp_path, "d.py", b"x\n")
    os.unlink(c.abspath)
    os.mkdir(c.abspath)
    assert read_source(c) == Skip("d.py", "not a regular file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    c = candidate(tmp_path, "locked.py", b"x\n")
    os.chmod(c.abspath, 0)
    assert read_source(c) == Skip("locked.py", "unreadable: Permission denied")


def test_keep_one_kind_does_not_keep_another(tmp_path):
    c = candidate(tmp_path, "data.lock", b"\x00\x01binary lock")
    assert read_source(c) == Skip("data.lock", "lockfile")
    assert read_source(c, keep=["lockfile"]) == Skip("data.lock", "binary")
    assert isinstance(read_source(c, keep=["lockfile", "binary"]), SourceText)


def test_concurrent_reads_agree_with_serial(tmp_path):
    cands = []
    for i in range(200):
        kind = i % 4
        data = [
            f"x = {i}\n".encode(),
            b"\x00bin" * i,
            f"# @generated {i}\n".encode(),
            codecs.BOM_UTF16_LE + f"u{i}\n".encode("utf-16-le"),
        ][kind]
        cands.append(candidate(tmp_path, f"f{i}", data))
    serial = [read_source(c) for c in cands]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(read_source, cands)) == serial
    assert {type(r) for r in serial} == {SourceText, Skip}


def test_open_errors_become_skips(tmp_path, monkeypatch):
    c = candidate(tmp_path, "denied.py", b"x\n")
    real_open = os.open

    def fake_open(path, *args, **kwargs):
        if os.fspath(path) == c.abspath:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    assert read_source(c) == Skip("denied.py", "unreadable: Permission denied")


def test_undecodable_file_name(tmp_path):
    name = os.fsdecode(b"bad\xff.py")
    c = candidate(tmp_path, name, b"x = 1\n")
    assert text_of(read_source(c)) == "x = 1\n"
