"""Fuzzing the parts that read untrusted bytes: renderers, decoding, skeletons, symbols, chunks.

Each target is a function of one byte string (and a language), so a crash is stored as
the raw input under `fuzz_regressions/` and replayed here as a test:
`<target>--<language, none or any>--<slug>.bin`. Inputs mix real code from the fixtures with
mutations and hostile pieces: unbalanced brackets, deep nesting, NULs, invalid UTF-8
and surrogate escapes, BOMs, CR/LF mixtures, `]]>`, `</file>`, backtick runs,
`<|endoftext|>`.

CI runs a few examples per target; fuzz for real with, e.g.,
`PACKER_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py -k render -p no:cacheprovider`.
"""

from __future__ import annotations

import codecs
import itertools
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packer import languages, skeleton, symbols
from packer.chunker import chunk_file
from packer.content import read_source
from packer.errors import ConfigError
from packer.records import KEEP_KINDS, Candidate, Skip
from packer.render import Header, check_block, display_path, make_renderer
from packer.tokens import Counter

COUNTER = Counter("o200k_base")
FIXTURES = Path(__file__).parent / "fixtures"
REGRESSIONS = Path(__file__).parent / "fuzz_regressions"
EXAMPLES = int(os.environ.get("PACKER_FUZZ_EXAMPLES", "20"))
FORMATS = ("xml", "markdown", "json", "plain")
CODE = sorted(languages.GRAMMARS)
TEXT = sorted(languages.TEXT_FORMATS)
BOM = codecs.BOM_UTF8

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# -- inputs ------------------------------------------------------------------------------

_HOSTILE = [
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xff\xfe\x00\x00",
    b"\xff",
    b"\xc3",
    b"\x80",
    b"\xed\xa0\x80",
    b"\xed\xb3\xbf",
    b"\xf0\x9f\x98",
    b"\xf4\x90\x80\x80",
    b"\xe2\x80\xa8",
    b"\xc2\x85",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\r",
    b"\r\r\n",
    b"\t",
    b"\x0b",
    b"\x0c",
    b" ",
    b"    ",
    b"\x1b[31m",
    b"]]>",
    b"<![CDATA[",
    b"</file>",
    b"<file path='x'>",
    b"```",
    b"````````",
    b"~~~",
    b"<|endoftext|>",
    b"<|fim_prefix|>",
    b"================ END FILE",
    b"---\n",
    b"\\",
    b'"',
    b"'",
    b"`",
    b'"""',
    b"'''",
    b"/*",
    b"*/",
    b"//",
    b"#",
    b"<!--",
    b"-->",
    b"<<EOF\n",
    b"EOF\n",
    b"@",
    b"$",
    b"${",
    b"#{",
    b"%",
]
_TOKENS = [
    b"def ",
    b"class ",
    b"fn ",
    b"func ",
    b"function ",
    b"fun ",
    b"struct ",
    b"impl ",
    b"trait ",
    b"interface ",
    b"enum ",
    b"module ",
    b"namespace ",
    b"package ",
    b"import ",
    b"from ",
    b"return ",
    b"if ",
    b"else",
    b"elif ",
    b"end",
    b"do",
    b"then",
    b"fi",
    b"esac",
    b"case ",
    b"while ",
    b"=>",
    b"->",
    b"::",
    b":",
    b";",
    b",",
    b".",
    b"=",
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"<",
    b">",
    b"x",
    b"foo",
    b"Bar",
    b"_",
    b"0",
    b"123",
    b"1.5e3",
    b"0x1f",
    b"self",
    b"this",
    b"pub ",
    b"async ",
    b"static ",
    b"const ",
    b"let ",
    b"var ",
    b"val ",
    b"template <typename T>",
    b"#include <a.h>\n",
    b"#define X(a) a\n",
    b"<?php",
    b"?>",
    b"#!/bin/sh\n",
    b"#!/usr/bin/env python3\n",
]
_OPENERS = [
    b"(",
    b"[",
    b"{",
    b"<",
    b"{\n",
    b"  ",
    b"\t",
    b"def f():\n",
    b"if x {\n",
    b"class A {\n",
    b"f(",
    b"[[",
    b"/*",
    b'"',
    b"#",
    b"- ",
    b"> ",
]


def _corpus() -> dict[str, list[bytes]]:
    """Real files per language from the fixtures: mutated, they reach deep into grammars."""
    out: dict[str, list[bytes]] = {}
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file():
            continue
        language = languages.detect(path.name)
        if language is not None:
            out.setdefault(language, []).append(path.read_bytes())
    return out


CORPUS = _corpus()
_ALL_CORPUS = [data for files in CORPUS.values() for data in files]

_piece = st.one_of(
    st.sampled_from(_TOKENS),
    st.sampled_from(_HOSTILE),
    st.binary(max_size=8),
    st.text(max_size=6).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.builds(
        lambda p, n: p * n,
        st.sampled_from([*_OPENERS, b"x", b"`", b"=", b"\n", b"]]>"]),
        st.integers(1, 3000),
    ),
)


@st.composite
def fuzz_bytes(draw: st.DrawFn, language: str | None = None) -> bytes:
    """Bytes built from pieces, from mutated real code, or wrapped in deep nesting."""
    how = draw(st.integers(0, 4))
    if how == 0:
        return b"".join(draw(st.lists(_piece, max_size=40)))
    if how == 1:
        return draw(st.binary(max_size=400))
    corpus = CORPUS.get(language or "", []) or _ALL_CORPUS
    src = draw(st.sampled_from(corpus))
    start = draw(st.integers(0, len(src)))
    data = bytearray(src[start : start + draw(st.integers(0, 4000))])
    if how == 4:  # lines of several files of the language, shuffled
        lines = [ln for f in corpus for ln in f.splitlines(keepends=True)]
        data = bytearray(b"".join(draw(st.lists(st.sampled_from(lines), max_size=60))))
    for _ in range(draw(st.integers(0, 6))):  # mutations: insert, delete, duplicate
        pos = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 2))
        if op == 0:
            data[pos:pos] = draw(_piece)
        elif op == 1:
            del data[pos : pos + draw(st.integers(1, 50))]
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 200))]
    if how == 3:  # nest it deep: brackets, or blocks indented one more level each
        opener = draw(st.sampled_from(_OPENERS))
        depth = draw(st.integers(1, 2000))
        if draw(st.booleans()):
            closer = draw(st.sampled_from([b"", b")", b"}", b"]", b"end\n"]))
            data = bytearray(opener * depth + data + closer * depth)
        else:
            indent = draw(st.sampled_from([b" ", b"\t", b"  "]))
            data = bytearray(b"".join(indent * k + opener + b"\n" for k in range(depth // 4)) + data)
    return bytes(data)


# -- targets -----------------------------------------------------------------------------
# Each takes the raw input and a language and raises AssertionError (or crashes) on a bug.


def _header(root: str) -> Header:
    return Header(root, "codex", "gpt-5.5", "o200k_base", 200_000, 12_345, 3, 1, 2, 4)


def target_render(data: bytes, _language: str | None = None) -> None:
    """Every format's blocks keep the additivity shape and counts add up, whatever the
    path (undecodable bytes, controls) and the content; JSON holds the content exactly."""
    text = data.decode("utf-8", "replace")  # file content is valid Unicode once read
    path = data.decode("utf-8", "surrogateescape").replace("\x00", "")  # paths may not be
    name = path.rpartition("/")[2] or "x"
    shown = display_path(path)
    shown.encode("utf-8")
    assert "\n" not in shown and "\r" not in shown
    for fmt in FORMATS:
        r = make_renderer(fmt, names=[path])
        blocks = [
            r.header(_header(path)),
            r.tree_open(),
            r.tree_line(". [1 file, 2 tokens: none packed]"),
            r.tree_separator(),
            r.tree_line(f"├── {display_path(name)}/ [1 file, 3 bytes: none packed]"),
            r.tree_separator(),
            r.tree_line(f"    └── {display_path(name)} [full 1,234]"),
            r.tree_close(),
            r.diff_block("HEAD~1", text),
            r.files_open(),
            r.file_block(path, text, "full", None),
            r.file_separator(),
            r.file_block(name, text[::-1], "skeleton", "python"),
            r.footer(),
        ]
        blocks = [check_block(b) for b in blocks if b]
        counts = [COUNTER.count(b) for b in blocks]
        for (a, ca), (b, cb) in itertools.pairwise(zip(blocks, counts, strict=True)):
            assert COUNTER.count(a + b) == ca + cb, (fmt, a[-40:], b[:40])
        if fmt == "json":
            doc = json.loads("".join(blocks))
            assert [f["content"] for f in doc["files"]] == [text, text[::-1]]
            assert doc["files"][0]["path"] == shown


_scratch = tempfile.TemporaryDirectory(prefix="packer-fuzz-")


def target_read_source(data: bytes, language: str | None = None) -> None:
    """Decoding: a verdict for every input, the text exactly what the bytes say, never a
    lone surrogate; keeping every kind, every regular file is read."""
    ext = {"python": ".py", "markdown": ".md", "json": ".json"}.get(language or "", ".txt")
    path = Path(_scratch.name) / f"f{ext}"
    path.write_bytes(data)
    c = Candidate(path.name, str(path), len(data))
    for keep in ((), KEEP_KINDS):
        got = read_source(c, keep=keep, max_file_size=None)
        if isinstance(got, Skip):
            assert not keep, got
            continue
        got.text.encode("utf-8")  # strict: no surrogates
        assert got.size == len(data) and got.digest == xxhash.xxh3_64_hexdigest(data)
        if got.encoding in ("utf-16", "utf-32"):
            assert got.text == data.decode(got.encoding) and "\x00" not in got.text
        elif got.encoding == "utf-8-sig":
            assert data.startswith(BOM)
            assert got.text == data[3:].decode("utf-8", "replace" if keep else "strict")
        else:
            assert got.encoding == "utf-8"
            assert got.text == data.decode("utf-8", "replace" if keep else "strict")
        languages.detect(c.path, got.text[:256])
        languages.detect("script", got.text[:256])


def target_skeleton(data: bytes, language: str | None) -> None:
    """A skeleton or None, shorter than the text, the same twice; never an exception."""
    for text in (data.decode("utf-8", "replace"), data.decode("utf-8", "surrogateescape")):
        got = skeleton.skeletonize(text, language)
        assert got == skeleton.skeletonize(text, language)
        if got is not None:
            assert len(got) < len(text)
            skeleton.skeletonize(got, language)


def target_symbols(data: bytes, language: str | None) -> None:
    """Definitions in source order with sane ranges and lines; the same twice."""
    got = symbols.extract(data, language, path="f")
    again = symbols.extract(data, language, path="f")
    assert got == again or "longer than" in f"{got.fallback}{again.fallback}"  # a timeout may vary
    lines = data.count(b"\n") + 1
    starts = [d.start_byte for d in got.definitions]
    assert starts == sorted(starts)
    for d in got.definitions:
        assert 0 <= d.start_byte <= d.end_byte <= len(data)
        assert 1 <= d.start_line <= d.end_line <= lines
        assert "\n" not in d.signature
    for ref in got.references:
        assert 1 <= ref.line <= lines
    for imp in got.imports:
        assert 1 <= imp.line <= lines


CHUNK_GRID = [(m, ctx, ov) for m in (1, 3, 4, 8, 16, 64, 512) for ctx in (False, True) for ov in (0, 2)]
# Paths for the --context header: undecodable bytes, newlines, a long one.
CHUNK_PATHS = ["dir/f", "a b/日本.py", "bad\udcff/x", "new\nline/\r.c", "d/" + "x" * 300]


def may_refuse(path: str, max_tokens: int, context: bool) -> bool:
    """Whether the chunker may refuse the budget: one character (at most 4 tokens) must
    fit, after a --context header of at most a quarter of the budget or the path alone
    (counted here with the longest comment syntax, plus slack for the joint count)."""
    if max_tokens < 4:
        return True
    if not context:
        return False
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    shown = shown.replace("\n", " ").replace("\r", " ")
    base = COUNTER.count(f"<!-- path: {shown} -->\n")
    return max_tokens - max(max_tokens // 4, base) < 12


def check_chunk(
    data: bytes, language: str | None, max_tokens: int, context: bool, overlap: int, path: str = "dir/f"
) -> None:
    try:
        chunks = list(
            chunk_file(
                data, path=path, language=language, max_tokens=max_tokens, context=context, overlap=overlap
            )
        )
    except ConfigError:
        assert may_refuse(path, max_tokens, context)
        return
    if not data:
        assert chunks == []
        return
    assert b"".join(data[c.start_byte : c.end_byte] for c in chunks) == data
    pos = 0
    bom = len(BOM) if data.startswith(BOM) else 0
    for c in chunks:
        assert c.start_byte == pos < c.end_byte
        pos = c.end_byte
        assert c.tokens == COUNTER.count(c.text) <= max_tokens
        assert c.start_line == data.count(b"\n", 0, c.start_byte) + 1
        if not context and not overlap:
            assert c.text == data[max(c.start_byte, bom) : c.end_byte].decode("utf-8", "replace")


def target_chunk(data: bytes, language: str | None) -> None:
    """Every guarantee of the chunker on a grid of budgets and options."""
    for max_tokens, context, overlap in CHUNK_GRID:
        for path in CHUNK_PATHS if context else CHUNK_PATHS[:1]:
            check_chunk(data, language, max_tokens, context, overlap, path)


TARGETS: dict[str, Callable[[bytes, str | None], None]] = {
    "render": target_render,
    "read_source": target_read_source,
    "skeleton": target_skeleton,
    "symbols": target_symbols,
    "chunk": target_chunk,
}
# The languages each target is fuzzed in ("any" in a regression's name means all of them).
LANGUAGES: dict[str, list[str | None]] = {
    "render": [None],
    "read_source": [None, "python", "markdown"],
    "skeleton": list(CODE),
    "symbols": list(CODE),
    "chunk": [*CODE, *TEXT, None],
}

# -- the fuzzers -------------------------------------------------------------------------


@FUZZ
@given(data=fuzz_bytes())
def test_fuzz_render(data: bytes) -> None:
    target_render(data)


@FUZZ
@given(data=fuzz_bytes(), language=st.sampled_from(LANGUAGES["read_source"]))
def test_fuzz_read_source(data: bytes, language: str | None) -> None:
    target_read_source(data, language)


@pytest.mark.parametrize("language", CODE)
@FUZZ
@given(data=st.data())
def test_fuzz_skeleton(language: str, data: st.DataObject) -> None:
    target_skeleton(data.draw(fuzz_bytes(language)), language)


@pytest.mark.parametrize("language", CODE)
@FUZZ
@given(data=st.data())
def test_fuzz_symbols(language: str, data: st.DataObject) -> None:
    target_symbols(data.draw(fuzz_bytes(language)), language)


@pytest.mark.parametrize("language", LANGUAGES["chunk"])
@FUZZ
@given(
    data=st.data(),
    max_tokens=st.one_of(st.integers(1, 40), st.integers(40, 1200)),
    context=st.booleans(),
    overlap=st.sampled_from([0, 0, 1, 2, 5]),
    path=st.sampled_from(CHUNK_PATHS),
)
def test_fuzz_chunk(
    language: str | None, data: st.DataObject, max_tokens: int, context: bool, overlap: int, path: str
) -> None:
    check_chunk(data.draw(fuzz_bytes(language)), language, max_tokens, context, overlap, path)


# -- saved crashes -----------------------------------------------------------------------

_NAME = re.compile(r"(?P<target>[a-z_]+)--(?P<language>[a-z]+)--(?P<slug>[\w.-]+)\.bin")
# Inputs that still crash in a module this work may not change: name -> reason.
KNOWN: dict[str, str] = {}


def _regressions() -> list[object]:
    cases: list[object] = []
    for path in sorted(REGRESSIONS.glob("*.bin")) if REGRESSIONS.is_dir() else []:
        m = _NAME.fullmatch(path.name)
        assert m and m["target"] in TARGETS, f"unexpected regression file name {path.name}"
        named = None if m["language"] == "none" else m["language"]
        langs = LANGUAGES[m["target"]] if m["language"] == "any" else [named]
        marks = [pytest.mark.xfail(reason=KNOWN[path.name], strict=True)] if path.name in KNOWN else []
        cases += [pytest.param(path, lang, id=f"{path.name}-{lang}", marks=marks) for lang in langs]
    return cases


@pytest.mark.parametrize(("path", "language"), _regressions())
def test_saved_crash_stays_fixed(path: Path, language: str | None) -> None:
    target = _NAME.fullmatch(path.name)
    assert target is not None
    TARGETS[target["target"]](path.read_bytes(), language)
