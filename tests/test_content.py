"""Reading one file: safe opening, binary and encoding detection, the skip kinds and `keep`."""

import codecs
import os
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import xxhash

import packer.content
from packer.content import (
    LOCKFILE_NAMES,
    MARKER_HEAD_CHARS,
    SNIFF_BYTES,
    has_generated_marker,
    read_again,
    read_source,
)
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
    assert read_source(c) == Skip("latin1.txt", "undecodable")
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
    assert read_source(c) == Skip("gen.src", "generated", "marker")
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


# Headers as the generators write them (protobuf-go, sqlc, uber-go/mock, flatbuffers,
# thrift's t_generator.h and t_py_generator.cc; the others as their templates emit them).
REAL_HEADERS = {
    "go-protoc": [
        "// Code generated by protoc-gen-go. DO NOT EDIT.",
        "// versions:",
        "// \tprotoc-gen-go v1.36.6",
        "// \tprotoc        v5.29.3",
        "// source: a/b.proto",
        "",
        "package b",
    ],
    "go-protoc-under-licence": [
        "// Protocol Buffers - Google's data interchange format",
        *["// Copyright 2008 Google Inc.  All rights reserved.", "//"] * 15,
        "",
        "// Code generated by protoc-gen-go. DO NOT EDIT.",
        "// source: any.proto",
        "",
        "package anypb",
    ],
    "protoc-python": [
        "# -*- coding: utf-8 -*-",
        "# Generated by the protocol buffer compiler.  DO NOT EDIT!",
        "# NO CHECKED-IN PROTOBUF GENCODE",
        "# source: a.proto",
        '"""Generated protocol buffer code."""',
        "from google.protobuf import descriptor",
    ],
    "protoc-cpp": [
        "// Generated by the protocol buffer compiler.  DO NOT EDIT!",
        "// source: a.proto",
        "",
        "#ifndef GOOGLE_PROTOBUF_INCLUDED_a_2eproto",
    ],
    "grpc-cpp": [
        "// Generated by the gRPC C++ plugin.",
        "// If you make any local change, they will be lost.",
        "// source: helloworld.proto",
        "#ifndef GRPC_helloworld_2eproto__INCLUDED",
    ],
    "meta-js": [
        "/**",
        " * Copyright (c) Meta Platforms, Inc. and affiliates.",
        " *",
        " * This source code is licensed under the MIT license.",
        " *",
        " * @generated SignedSource<<0123456789abcdef0123456789abcdef>>",
        " * @flow strict-local",
        " */",
        "",
        "'use strict';",
    ],
    "meta-python": [
        "# Copyright (c) Meta Platforms, Inc. and affiliates.",
        "# @generated",
        "",
        "import typing",
    ],
    "thrift-java": [
        "/**",
        " * Autogenerated by Thrift Compiler (0.22.0)",
        " *",
        " * DO NOT EDIT UNLESS YOU ARE SURE THAT YOU KNOW WHAT YOU ARE DOING",
        " *  @generated",
        " */",
        "package tutorial;",
    ],
    "thrift-python": [
        "#",
        "# Autogenerated by Thrift Compiler (0.22.0)",
        "#",
        "# DO NOT EDIT UNLESS YOU ARE SURE THAT YOU KNOW WHAT YOU ARE DOING",
        "#",
        "#  options string: py",
        "#",
        "",
        "from thrift.Thrift import TType",
    ],
    "flatbuffers-cpp": [
        "// automatically generated by the FlatBuffers compiler, do not modify",
        "",
        "",
        "#ifndef FLATBUFFERS_GENERATED_MONSTERTEST_MYGAME_EXAMPLE_H_",
    ],
    "flatbuffers-python": [
        "# automatically generated by the FlatBuffers compiler, do not modify",
        "",
        "# namespace: Example",
        "",
        "import flatbuffers",
    ],
    "flatbuffers-lua": [
        "--[[ MyGame.Example.Ability",
        "",
        "  Automatically generated by the FlatBuffers compiler, do not modify.",
        "  Or modify. I'm a message, not a cop.",
        "",
        "]]",
        "",
        "local flatbuffers = require('flatbuffers')",
    ],
    "flatbuffers-csharp": [
        "// <auto-generated>",
        "//  automatically generated by the FlatBuffers compiler, do not modify",
        "// </auto-generated>",
        "",
        "namespace MyGame.Example",
        "{",
    ],
    "openapi-java": [
        "/*",
        " * Petstore",
        " * This is a sample server.",
        " *",
        " * The version of the OpenAPI document: 1.0.0",
        " *",
        " *",
        " * NOTE: This class is auto generated by OpenAPI Generator (https://openapi-generator.tech).",
        " * https://openapi-generator.tech",
        " * Do not edit the class manually.",
        " */",
        "",
        "",
        "package org.openapitools.client.model;",
    ],
    "openapi-go": [
        "/*",
        "Petstore",
        "",
        "API version: 1.0.0",
        "*/",
        "",
        "// Code generated by OpenAPI Generator (https://openapi-generator.tech); DO NOT EDIT.",
        "",
        "package openapi",
    ],
    "openapi-python": [
        "# coding: utf-8",
        "",
        '"""',
        "    Petstore",
        "",
        "    The version of the OpenAPI document: 1.0.0",
        "    Generated by OpenAPI Generator (https://openapi-generator.tech)",
        "",
        "    Do not edit the class manually.",
        '"""  # noqa: E501',
        "",
        "",
        "from __future__ import annotations",
    ],
    "openapi-typescript-compiled": [
        '"use strict";',
        "/* tslint:disable */",
        "/* eslint-disable */",
        "/**",
        " * Petstore",
        " * NOTE: This class is auto generated by OpenAPI Generator (https://openapi-generator.tech).",
        " * Do not edit the class manually.",
        " */",
        'Object.defineProperty(exports, "__esModule", { value: true });',
    ],
    "swagger-codegen-java": [
        "/*",
        " * Swagger Petstore",
        " *",
        " * OpenAPI spec version: 1.0.0",
        " *",
        " * NOTE: This class is auto generated by the swagger code generator program.",
        " * https://github.com/swagger-api/swagger-codegen.git",
        " * Do not edit the class manually.",
        " */",
        "",
        "package io.swagger.client.model;",
    ],
    "sqlc-go": [
        "// Code generated by sqlc. DO NOT EDIT.",
        "// versions:",
        "//   sqlc v1.31.1",
        "// source: query.sql",
        "",
        "package booktest",
    ],
    "sqlc-python": [
        "# Code generated by sqlc. DO NOT EDIT.",
        "# versions:",
        "#   sqlc v1.31.1",
        "# source: query.sql",
        "import dataclasses",
    ],
    "mockgen": [
        "// Code generated by MockGen. DO NOT EDIT.",
        "// Source: go.uber.org/mock/sample (interfaces: Index)",
        "//",
        "// Generated by this command:",
        "//",
        "//\tmockgen -destination mock_user_test.go",
        "//",
        "",
        "// Package user_test is a generated GoMock package.",
        "package user_test",
    ],
    "cython": [
        "/* Generated by Cython 3.0.11 */",
        "",
        "/* BEGIN: Cython Metadata",
        "{",
        '    "distutils": {}',
        "}",
        "END: Cython Metadata */",
        "",
        "#ifndef PY_SSIZE_T_CLEAN",
    ],
}


@pytest.mark.parametrize("name", sorted(REAL_HEADERS))
def test_real_generator_headers_are_generated(tmp_path, name):
    text = "\n".join(REAL_HEADERS[name]) + "\n" + "x = 1\n" * 50
    assert has_generated_marker(text), name
    c = candidate(tmp_path, "gen.src", text.encode())
    assert read_source(c) == Skip("gen.src", "generated", "marker")


def test_packers_own_content_module_is_not_generated():
    """Its docstring names the markers in backticks, where `has_generated_marker` looks."""
    path = Path(packer.content.__file__)
    text = path.read_text(encoding="utf-8")
    head = text[:MARKER_HEAD_CHARS]
    assert "`@generated`" in head and "`DO NOT EDIT`" in head  # else this test tests nothing
    assert not has_generated_marker(text)
    c = Candidate("packer/content.py", str(path), path.stat().st_size)
    assert isinstance(read_source(c), SourceText)


@pytest.mark.parametrize(
    "text",
    [
        '"""Skip files with an `@generated` or `DO NOT EDIT` marker."""\nimport os\n',
        '"""\nReads files.\n\nA file whose header says "DO NOT EDIT" is left out.\n"""\nimport os\n',
        "// the '@generated' tag tells tools to skip a file\nint x;\n",
        "/*\n * Honours \u201cDO NOT EDIT\u201d headers.\n */\nint x;\n",
        '# a generated file says "do not edit" near the top\nx = 1\n',
        "# This module generated the reports.\n\n# Do not edit the settings below without review.\nX = 1\n",
        "# Generated by Django 4.2 on 2023-05-01 10:00\n\nfrom django.db import migrations\n",
        "/* Generated by hand, from the spec */\nint x;\n",
        'package x\n\nconst header = "// Code generated by x. DO NOT EDIT."\n',
        # An example of a generator's output deep in a docstring (numpy's conv_template.py).
        '"""\nTakes a templated file and produces a file.\n'
        + "More prose.\n" * 40
        + '    ** This file was autogenerated from a template  DO NOT EDIT!!**\n"""\n',
    ],
)
def test_mentions_of_markers_are_not_markers(tmp_path, text):
    assert not has_generated_marker(text)
    assert isinstance(read_source(candidate(tmp_path, "tool.py", text.encode())), SourceText)


def test_size_limit_while_reading(tmp_path):
    c = candidate(tmp_path, "big.txt", b"x" * 101)
    assert read_source(c, max_file_size=100) == Skip("big.txt", "too-large", "101 bytes > 100")
    assert text_of(read_source(c, max_file_size=101)) == "x" * 101
    assert len(text_of(read_source(c, max_file_size=None))) == 101


def test_file_grown_since_the_walk_is_still_limited(tmp_path):
    c = candidate(tmp_path, "grow.txt", b"x" * 10)
    (tmp_path / "grow.txt").write_bytes(b"x\n" * 2500)
    assert read_source(c, max_file_size=100) == Skip("grow.txt", "too-large", "5000 bytes > 100")
    assert text_of(read_source(c, max_file_size=None)) == "x\n" * 2500  # content, not the old size


def _fstat_says(monkeypatch, size):
    """fstat reports `size` for regular files: the file changed size since."""
    real = os.fstat

    def fstat(fd):
        st = real(fd)
        if not stat.S_ISREG(st.st_mode):
            return st
        fields = list(st[:10])
        fields[stat.ST_SIZE] = size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", fstat)


@pytest.mark.parametrize("limit", [None, 100_000])
def test_file_that_grew_or_shrank_since_fstat_is_read_as_it_is(tmp_path, monkeypatch, limit):
    data = b"line of text\n" * 5000  # 65000 bytes: past the sniffed head
    c = candidate(tmp_path, "f.txt", data)
    for said in (10, 9000, 64999, 65000, 65001, 10_000_000 if limit is None else 99_000):
        _fstat_says(monkeypatch, said)
        assert text_of(read_source(c, max_file_size=limit)).encode() == data, said
        got = packer.content.read_bytes(c, limit)
        assert got == data, said
    _fstat_says(monkeypatch, 10)  # grown past the limit since fstat: still refused
    assert read_source(c, max_file_size=60_000) == Skip("f.txt", "too-large", "60001 bytes > 60000")


def test_binary_file_is_told_from_its_head_and_read_no_further(tmp_path, monkeypatch):
    c = candidate(tmp_path, "blob.dat", b"\x00\x01" + b"x\n" * (2 << 20))
    returned: list[int] = []
    real_read = os.read

    def counting_read(fd, n):
        chunk = real_read(fd, n)
        returned.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counting_read)
    for limit in (None, 10 << 20):
        returned.clear()
        assert read_source(c, max_file_size=limit) == Skip("blob.dat", "binary")
        assert sum(returned) <= SNIFF_BYTES
    kept = read_source(c, keep={"binary"}, max_file_size=None)  # kept: read whole
    assert isinstance(kept, SourceText) and kept.size == (4 << 20) + 2
    assert read_again(c, kept.digest, keep={"binary"}, max_file_size=None) == kept


def _verdict(data: bytes, keep: frozenset[str]) -> object:
    """What `_decode` says of the whole file: the verdict reading the head first must keep."""
    decoded = packer.content._decode(data, keep)
    return Skip("f.src", decoded).reason if isinstance(decoded, str) else decoded[0]


CJK = "\u6f22\u5b57"  # no zero byte in UTF-16


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + ("text " * 4000).encode("utf-16-le"),
        codecs.BOM_UTF16_LE + "a\x00b".encode("utf-16-le") + ("text " * 4000).encode("utf-16-le"),
        codecs.BOM_UTF16_LE + ("text " * 2000 + "\x00" + "more " * 2000).encode("utf-16-le"),
        codecs.BOM_UTF16_LE + (CJK * 3000 + "\x00" + CJK * 10).encode("utf-16-le"),  # NUL past the head
        codecs.BOM_UTF16_LE + (CJK * 3000).encode("utf-16-le") + b"\x00\xd8" * 10,  # bad surrogates late
        codecs.BOM_UTF16_LE + b"\x00\xd8a\x00" + ("t" * 9000).encode("utf-16-le"),  # bad surrogate early
        codecs.BOM_UTF32_LE + ("text " * 3000).encode("utf-32-le"),
        codecs.BOM_UTF16_BE + ("text " * 3000).encode("utf-16-be")[:-1],  # odd length
        b"x" * 9000 + b"\x00" * 100,  # NUL past git's 8000 bytes: text
        b"x" * 7999 + b"\x01" * 9000,  # control bytes past the head: text
        bytes(range(256)) * 100,
        codecs.BOM_UTF8 + "caf\u00e9\n".encode() * 3000,
        b"\xff\xfe" + b"\xff" * 20000,
    ],
)
def test_head_first_reading_keeps_the_whole_file_verdict(tmp_path, data):
    c = candidate(tmp_path, "f.src", data)
    for keep in (frozenset(), frozenset({"binary"}), frozenset({"binary", "undecodable"})):
        got = read_source(c, keep=keep | {"minified"}, max_file_size=None)
        expected = _verdict(data, keep)
        assert (got.reason if isinstance(got, Skip) else got.text) == expected


# Peak memory of a subprocess reading one file: VmHWM before and after, in KiB.
_PEAK = """
import sys
from packer import content
from packer.records import Candidate
def peak():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
path, how, limit = sys.argv[1], sys.argv[2], None if sys.argv[3] == "none" else int(sys.argv[3])
c = Candidate("f", path, 0)
before = peak()
got = content.read_source(c, max_file_size=limit) if how == "source" else content.read_bytes(c, limit)
print(got.reason if isinstance(got, content.Skip) else len(got), peak() - before)
"""


def _peak(path: Path, how: str, limit: str) -> tuple[str, int]:
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), how, limit],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    result, grown = proc.stdout.decode().split()
    return result, int(grown)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc for peak memory")
def test_sparse_2_gib_file_with_no_size_limit_costs_no_memory(tmp_path):
    """Read whole before it was classified, it took 4 GiB of memory to be called binary."""
    path = tmp_path / "sparse.bin"
    with open(path, "wb") as f:
        f.truncate(2 << 30)
    result, grown = _peak(path, "source", "none")
    assert result == "binary"
    assert grown < 200 * 1024, f"peak memory grew by {grown} KiB"


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc for peak memory")
@pytest.mark.parametrize("limit", ["none", str(200 << 20)])
def test_a_file_is_read_into_one_buffer(tmp_path, limit):
    """Chunks joined held every byte twice."""
    size = 64 << 20
    path = tmp_path / "big.txt"
    path.write_bytes(b"x = 'a line of text'\n" * (size // 21))
    result, grown = _peak(path, "bytes", limit)
    assert int(result) == path.stat().st_size
    assert grown < 1.5 * size / 1024, f"peak memory grew by {grown} KiB for {size >> 10} KiB"


def test_vanished_file(tmp_path):
    c = candidate(tmp_path, "gone.py", b"x\n")
    os.unlink(c.abspath)
    assert read_source(c) == Skip("gone.py", "vanished-before-read")


def test_fifo_swapped_in_does_not_block(tmp_path):
    c = candidate(tmp_path, "pipe.py", b"x\n")
    os.unlink(c.abspath)
    os.mkfifo(c.abspath)
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(read_source(c)), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "read_source blocked on a FIFO"
    assert box == [Skip("pipe.py", "not-regular")]


def test_symlink_swapped_in_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret\n")
    c = candidate(tmp_path, "root/a.py", b"x\n")
    os.unlink(c.abspath)
    os.symlink(secret, c.abspath)
    assert read_source(c) == Skip("root/a.py", "not-regular", "symlink")


def test_directory_swapped_in(tmp_path):
    c = candidate(tmp_path, "d.py", b"x\n")
    os.unlink(c.abspath)
    os.mkdir(c.abspath)
    assert read_source(c) == Skip("d.py", "not-regular")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    c = candidate(tmp_path, "locked.py", b"x\n")
    os.chmod(c.abspath, 0)
    assert read_source(c) == Skip("locked.py", "unreadable", "Permission denied")


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
    assert read_source(c) == Skip("denied.py", "unreadable", "Permission denied")


def test_undecodable_file_name(tmp_path):
    name = os.fsdecode(b"bad\xff.py")
    c = candidate(tmp_path, name, b"x = 1\n")
    assert text_of(read_source(c)) == "x = 1\n"
