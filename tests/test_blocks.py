"""The structure of text formats (`packer.blocks`): Markdown sections nested by heading,
JSON members, YAML keys, TOML tables, paragraphs for the rest; any bytes accepted.
How the chunker cuts along these blocks is tested in test_chunker."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packer.blocks import Block, labelled, outline


def _shape(data: bytes, block: Block) -> list[tuple[str, str, bytes]]:
    """(type, label, bytes) of each child of `block`."""
    return [(c.type, c.label, data[c.start_byte : c.end_byte]) for c in block.children]


def _check_nesting(block: Block) -> None:
    """Children lie inside their parent, in order, without overlapping."""
    end = block.start_byte
    for child in block.children:
        assert block.start_byte <= end <= child.start_byte <= child.end_byte <= block.end_byte
        end = child.end_byte
        _check_nesting(child)


def test_markdown_sections_nest_by_heading_level_and_fences_stay_whole():
    data = (
        b"---\ntitle: x\n---\nIntro\n\n# Top\n\ntext one\ntext two\n\n```py\ncode\n\n# not a heading\n```\n"
        b"## Sub A\npara\n### Deep\nd\n## Sub B\nb\n# Second\nz\n"
    )
    root = outline(data, "markdown")
    assert (root.start_byte, root.end_byte) == (0, len(data))
    top = root.children
    assert [(b.type, b.label) for b in top] == [
        ("front_matter", ""),
        ("paragraph", ""),
        ("section", "# Top"),
        ("section", "# Second"),
    ]
    assert _shape(data, top[2]) == [
        ("heading", "", b"# Top\n"),
        ("paragraph", "", b"text one\ntext two\n"),
        ("fence", "", b"```py\ncode\n\n# not a heading\n```\n"),  # blank line and `#` inside
        ("section", "## Sub A", b"## Sub A\npara\n### Deep\nd\n"),  # ends where its last child does
        ("section", "## Sub B", b"## Sub B\nb\n"),
    ]
    scopes = [(b.label, scope) for b, scope in labelled(root)]
    assert scopes == [
        ("# Top", ()),
        ("## Sub A", ("# Top",)),
        ("### Deep", ("# Top", "## Sub A")),
        ("## Sub B", ("# Top",)),
        ("# Second", ()),
    ]
    assert [b.is_named for b in top[2].children[:2]] == [False, True]  # a heading goes with its section


def test_json_members_keep_their_commas_and_skip_brackets_in_strings():
    data = b'{\n  "a": 1,\n  "b": {"x": "}, ]", "y": [1, 2]},\n  "c": "d"\n}\n'
    assert _shape(data, outline(data, "json")) == [
        ("punctuation", "", b"{"),
        ("member", "a", b'"a": 1,'),
        ("member", "b", b'"b": {"x": "}, ]", "y": [1, 2]},'),
        ("member", "c", b'"c": "d"'),  # the last member ends at its content
        ("punctuation", "", b"}"),
    ]
    array = b'[1, {"a": 2}, "s"]'
    assert [(b.type, b.label) for b in outline(array, "json").children] == [
        ("punctuation", ""),
        ("member", "[0]"),
        ("member", "[1]"),
        ("member", "[2]"),
        ("punctuation", ""),
    ]


@pytest.mark.parametrize("data", [b'{"a": 1\n\nnot json\n', b'{"a": 1}\n{"b": 2}\n', b'"just a string"\n'])
def test_what_is_not_one_bracketed_json_value_falls_back_to_paragraphs(data):
    children = outline(data, "json").children
    assert children and {b.type for b in children} == {"paragraph"}


def test_yaml_keys_take_the_comments_before_them_and_their_items():
    data = b"# lead\nversion: 1\n\n# The server.\nserver:\n  port: 80\nitems:\n- a\n- b\n"
    assert _shape(data, outline(data, "yaml")) == [
        ("key", "version", b"# lead\nversion: 1\n\n"),
        ("key", "server", b"# The server.\nserver:\n  port: 80\n"),
        ("key", "items", b"items:\n- a\n- b\n"),  # `key:` then `- a` at column 0: one block
    ]
    sequence = b"- name: a\n  x: 1\n- name: b\n"
    assert [b.end_byte - b.start_byte for b in outline(sequence, "yaml").children] == [17, 10]


def test_toml_tables_and_the_keys_before_them():
    data = b'name = "x"\n# Tool.\n[tool.a]\nk = 1\ns = """\n[not]\n"""\n[[arr]]\nv = 2\n'
    assert _shape(data, outline(data, "toml")) == [
        ("table", "name", b'name = "x"\n'),
        ("table", "[tool.a]", b'# Tool.\n[tool.a]\nk = 1\ns = """\n[not]\n"""\n'),  # in a string
        ("table", "[[arr]]", b"[[arr]]\nv = 2\n"),
    ]


def test_other_text_is_paragraphs_whatever_the_bytes():
    data = b"one\ntwo\n\n \t\nthree\xff\r\n\r\nfour"
    assert _shape(data, outline(data, "restructuredtext")) == [
        ("paragraph", "", b"one\ntwo\n"),
        ("paragraph", "", b"three\xff\r\n"),  # invalid UTF-8 and CRLF are just bytes
        ("paragraph", "", b"four"),
    ]
    assert outline(b"", None).children == []


# Pieces of every format's syntax, and bytes that are not UTF-8.
PIECES = [b"# h\n", b"## h2\n", b"```\n", b"---\n", b"\n", b"  ", b"- ", b"key: v\n", b"[t]\n", b'"', b"{",
          b"}", b"[", b"]", b",", b"//", b"/*", b'"""', b"x", b"\r\n", b"\xff"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join),
    language=st.sampled_from(["markdown", "json", "yaml", "toml", None]),
)
def test_blocks_nest_in_order_within_the_file(data, language):
    root = outline(data, language)
    assert (root.start_byte, root.end_byte) == (0, len(data))
    _check_nesting(root)


def _paragraphs_by_line(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """The definition: each maximal run of lines (through their newline) in data[start:end]
    holding a byte other than space, tab, CR, FF or VT."""
    out: list[tuple[int, int]] = []
    pos, run = start, None
    while pos < end:
        nl = data.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        blank = not data[pos:stop].rstrip(b"\n").strip(b" \t\r\f\v")
        if blank and run is not None:
            out.append(run)
            run = None
        elif not blank:
            run = (pos if run is None else run[0], stop)
        pos = stop
    return out + ([run] if run is not None else [])


@settings(max_examples=500, deadline=None)
@given(
    data=st.lists(
        st.sampled_from([b"a", b" ", b"\t", b"\r", b"\n", b"\f", b"\v", b"\xff", b"\r\n"]), max_size=40
    ).map(b"".join),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_paragraphs_are_the_runs_of_lines_that_are_not_blank(data, cut):
    from packer.blocks import _paragraphs

    start = int(min(cut) * len(data))
    end = int(max(cut) * len(data))
    for a, b in ((0, len(data)), (start, end)):  # a range may start inside a line
        assert [(p.start_byte, p.end_byte) for p in _paragraphs(data, a, b)] == _paragraphs_by_line(
            data, a, b
        )
