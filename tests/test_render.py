"""Renderers: every block keeps the additivity shape, and content never breaks structure."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packer.render import (
    Header,
    check_block,
    display_path,
    make_renderer,
)
from packer.tokens import Counter

FORMATS = ["xml", "markdown", "json", "plain"]
COUNTERS = {name: Counter(name) for name in ("o200k_base", "cl100k_base")}

# Text that stresses both the tokenizer boundaries and the wrappers.
_PIECES = ["\n", "\r\n", "\r", " ", "\t", "/", "//", "]]>", "</file>", "```", "````", "~~~",
           "=====", "===== END FILE", "<|endoftext|>", '"', "\\", "{", "}", ",", "é", "\u0301",
           "日本", "x", "foo", "Bar", "123", "(", ")", "<![CDATA[", "\ufeff", "# ", "##", "\u2028"]
content_st = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=5)), max_size=40).map(
    "".join
)
name_st = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
    min_size=1, max_size=12,
).filter(lambda s: s not in (".", ".."))


def _header(total: int = 1234) -> Header:
    return Header("repo", "codex", "gpt-5.5", "o200k_base", 200_000, total, 3, 0, 2, 1)


def _render(fmt, files, tree_lines):
    r = make_renderer(fmt, names=[p for p, _ in files])
    blocks = [r.header(_header()), r.tree_open()]
    for n, line in enumerate(tree_lines):
        if n:
            blocks.append(r.tree_separator())
        blocks.append(r.tree_line(line))
    blocks += [r.tree_close(), r.diff_block("HEAD~1", files[0][1]), r.files_open()]
    for n, (path, text) in enumerate(files):
        if n:
            blocks.append(r.file_separator())
        blocks.append(r.file_block(path, text, "full", "python"))
    blocks.append(r.footer())
    return [b for b in blocks if b]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("enc", sorted(COUNTERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(st.tuples(name_st, content_st), min_size=1, max_size=5),
       tree=st.lists(name_st, min_size=1, max_size=5))
def test_total_is_exactly_the_sum_of_blocks(fmt, enc, files, tree):
    counter = COUNTERS[enc]
    tree_lines = ["."] + [f"├── {name} [full 12]" for name in tree]
    blocks = _render(fmt, files, tree_lines)
    for b in blocks:
        check_block(b)
    assert counter.count("".join(blocks)) == sum(counter.count(b) for b in blocks)


@pytest.mark.parametrize("bad", ["  \nx\n", "\nx\n", "/x\n", "x", "x\r"])
def test_check_block_rejects_unsafe_shapes(bad):
    with pytest.raises(AssertionError):
        check_block(bad)


def _xml_files(out: str) -> list[tuple[str, str]]:
    root = ET.fromstring(out)
    # The CDATA sits on its own line between the tags: drop those two newlines.
    return [(f.get("path"), f.text[1:-1]) for f in root.iter("file")]


def _markdown_files(out: str) -> list[tuple[str, str]]:
    got = []
    pos = out.index("## Files")
    heading = re.compile(r"^### (.*)\n\n(`{3,})[^\n]*\n", re.M)
    while m := heading.search(out, pos):
        fence = m.group(2)
        end = re.compile(rf"^{fence}$", re.M).search(out, m.end())
        got.append((m.group(1), out[m.end(): end.start()]))
        pos = end.end()
    return got


def _plain_files(out: str) -> list[tuple[str, str]]:
    got = []
    opening = re.compile(r"^(={16,}) FILE: (.*)\n", re.M)
    pos = 0
    while m := opening.search(out, pos):
        end = re.compile(rf"^{m.group(1)} END FILE$", re.M).search(out, m.end())
        got.append((m.group(2), out[m.end(): end.start()]))
        pos = end.end()
    return got


def _json_files(out: str) -> list[tuple[str, str]]:
    return [(f["path"], f["content"]) for f in json.loads(out)["files"]]


PARSERS = {"xml": _xml_files, "markdown": _markdown_files, "plain": _plain_files,
           "json": _json_files}

# XML 1.0 cannot carry most C0 controls even in CDATA, and parsers fold CR; keep those out
# of the XML round trip (the token-sum test above still covers them).
xml_safe = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00\ufffe\uffff"),
    max_size=60,
).filter(lambda s: not re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f]", s))


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=200, deadline=None)
@given(files=st.lists(st.tuples(name_st, st.one_of(content_st, xml_safe)), min_size=1, max_size=4))
def test_content_round_trips_through_every_format(fmt, files):
    if fmt == "xml":
        files = [(p, t) for p, t in files
                 if not re.search(r"[\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", t + p)]
        if not files:
            return
    out = "".join(_render(fmt, files, ["."]))
    got = PARSERS[fmt](out)
    # JSON strings are exact; the text formats end every file with a newline.
    want = [(display_path(p), t if fmt == "json" or t.endswith("\n") else t + "\n")
            for p, t in files]
    assert got == want


def test_wrapper_breaking_content_stays_inside_its_file():
    evil = "x = 1\n]]></file><file path='evil'>\n```\n````\n================ END FILE\n"
    for fmt in FORMATS:
        out = "".join(_render(fmt, [("a.py", evil), ("b.py", "ok\n")], ["."]))
        assert PARSERS[fmt](out) == [("a.py", evil), ("b.py", "ok\n")], fmt


def test_display_path_escapes_newlines_and_undecodable_bytes():
    assert display_path("a\nb") == "a\\nb"
    assert display_path("caf\udce9.py") == "caf\\xe9.py"
    assert display_path("日本.py") == "日本.py"
