"""The chunker: exact bytes, exact budgets, whole definitions, structure of text formats."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import git, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import packer
from packer import languages, symbols
from packer.chunker import chunk, chunk_file
from packer.cli import main
from packer.errors import PackerError
from packer.records import Chunk
from packer.tokens import Counter

FIXTURES = Path(__file__).parent / "fixtures" / "chunk"
COUNTER = Counter()
BOM = b"\xef\xbb\xbf"
KEYS = [
    "path",
    "language",
    "start_byte",
    "end_byte",
    "start_line",
    "end_line",
    "tokens",
    "symbol",
    "kind",
    "text",
    "redacted",
    "embed_text",
]
# Definition nodes whose own text must stay in one chunk when it fits the budget.
DEFINITION_TYPES = frozenset(
    {
        "function_definition",
        "class_definition",
        "decorated_definition",
        "function_declaration",
        "class_declaration",
        "method_definition",
        "method_declaration",
        "function_item",
        "impl_item",
        "struct_item",
        "enum_item",
        "trait_item",
        "mod_item",
        "constructor_declaration",
        "interface_declaration",
        "enum_declaration",
        "method",
        "singleton_method",
        "class",
        "module",
        "object_declaration",
        "object_definition",
        "trait_definition",
        "struct_specifier",
        "class_specifier",
        "namespace_definition",
        "namespace_declaration",
        "record_declaration",
        "protocol_declaration",
        "type_declaration",
        "arrow_function",
        "lexical_declaration",
    }
)
# A definition whose own text is this much under the budget always fits as a piece: its
# piece adds the indentation before it and the newlines after it.
PIECE_SLACK = 8


def own_text(data: bytes, c: Chunk) -> str:
    start = max(c.start_byte, len(BOM) if data.startswith(BOM) else 0)
    return data[start : c.end_byte].decode("utf-8", "replace")


def check_chunks(
    data: bytes, chunks: list[Chunk], max_tokens: int, *, context: bool = False, overlap: int = 0
) -> None:
    """Every guarantee that holds for any input."""
    if not data:
        assert chunks == []
        return
    assert chunks[0].start_byte == 0
    assert chunks[-1].end_byte == len(data)
    for before, after in itertools.pairwise(chunks):
        assert before.end_byte == after.start_byte
    assert b"".join(data[c.start_byte : c.end_byte] for c in chunks) == data
    body = data[3:] if data.startswith(BOM) else data
    try:
        body.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    for c in chunks:
        assert c.start_byte < c.end_byte
        assert c.tokens == COUNTER.count(c.text)
        assert c.tokens <= max_tokens
        assert c.start_line == data.count(b"\n", 0, c.start_byte) + 1
        assert c.end_line == data.count(b"\n", 0, c.end_byte - 1) + 1
        assert data[c.start_byte - 1 : c.start_byte + 1] != b"\r\n" or c.start_byte == 0
        own = own_text(data, c)
        assert c.text.endswith(own)
        extra = c.text[: len(c.text) - len(own)]
        if context:
            assert re.match(r"^(# |// |<!-- |/\* |-- |\.\. )?path: ", extra), c.text[:80]
            extra = extra.split("\n", 1)[1]
        if valid:
            data[max(c.start_byte, len(data) - len(body)) : c.end_byte].decode("utf-8")  # whole chars
            prefix = extra.encode("utf-8")
            assert data[c.start_byte - len(prefix) : c.start_byte] == prefix
            assert extra.count("\n") <= overlap
        if not overlap:
            assert extra == ""


def definitions(data: bytes, language: str) -> list[tuple[int, int]]:
    """The byte ranges of the definition nodes of a file, from its syntax tree."""
    tree = symbols.parse(data, language)
    assert tree is not None
    out = []
    stack = list(tree.root_node.children)
    while stack:
        node = stack.pop()
        if node.type in DEFINITION_TYPES and node.end_byte > node.start_byte:
            out.append((node.start_byte, node.end_byte))
        stack.extend(node.children)
    return out


def check_whole(data: bytes, chunks: list[Chunk], language: str, max_tokens: int) -> int:
    """Each definition that fits the budget lies inside one chunk; how many were checked."""
    checked = 0
    for start, end in definitions(data, language):
        if COUNTER.count(data[start:end].decode("utf-8", "replace")) > max_tokens - PIECE_SLACK:
            continue
        checked += 1
        inside = [c for c in chunks if c.start_byte <= start and end <= c.end_byte]
        assert inside, (
            f"{data[start:end][:60]!r} ({start}:{end}) split across "
            f"{[(c.start_byte, c.end_byte) for c in chunks]}"
        )
    return checked


def run(data: bytes, language: str | None, max_tokens: int, **options: object) -> list[Chunk]:
    return list(chunk_file(data, path="f", language=language, max_tokens=max_tokens, **options))  # type: ignore[arg-type]


# -- generated inputs -------------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "value", "parse_all", "x1", "Ünï", "数据", "émoji😀"])
STRINGS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\\n\r'), max_size=30
)


@st.composite
def expressions(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(NAMES)
    if kind == 1:
        return str(draw(st.integers(-(10**6), 10**6)))
    if kind == 2:
        return '"' + draw(STRINGS) + '"'
    args = draw(st.lists(NAMES, max_size=4))
    return f"{draw(NAMES)}({', '.join(args)})"


@st.composite
def python_lines(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kinds = ["assign", "call", "comment", "blank", "return"]
        if depth < 3:
            kinds += ["def", "class", "if", "decorated"]
        kind = draw(st.sampled_from(kinds))
        if kind == "assign":
            lines.append(f"{draw(NAMES)} = {draw(expressions())}")
        elif kind == "call":
            lines.append(draw(expressions()))
        elif kind == "comment":
            lines.append("# " + draw(STRINGS))
        elif kind == "blank":
            lines.append("")
        elif kind == "return":
            lines.append(f"return {draw(expressions())}")
        else:
            if kind == "decorated":
                lines.append(f"@{draw(NAMES)}")
                kind = "def"
            head = {
                "def": f"def {draw(NAMES)}({draw(NAMES)}):",
                "class": f"class {draw(NAMES)}:",
                "if": f"if {draw(expressions())}:",
            }[kind]
            lines.append(head)
            if draw(st.booleans()):
                lines.append('    """' + draw(STRINGS) + '"""')
            lines.extend("    " + line if line else "" for line in draw(python_lines(depth + 1)))
    return lines


@st.composite
def js_lines(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kinds = ["let", "call", "comment", "blank"]
        if depth < 3:
            kinds += ["function", "class", "if"]
        kind = draw(st.sampled_from(kinds))
        if kind == "let":
            lines.append(f"let {draw(NAMES)} = {draw(expressions())};")
        elif kind == "call":
            lines.append(draw(expressions()) + ";")
        elif kind == "comment":
            lines.append("// " + draw(STRINGS))
        elif kind == "blank":
            lines.append("")
        else:
            head = {
                "function": f"function {draw(NAMES)}({draw(NAMES)}) {{",
                "class": f"class {draw(NAMES)} {{",
                "if": f"if ({draw(expressions())}) {{",
            }[kind]
            lines.append(head)
            body = draw(js_lines(depth + 1))
            if kind == "class":
                body = [f"{draw(NAMES)}() {{", *("  " + b for b in body), "}"]
            lines.extend("  " + line if line else "" for line in body)
            lines.append("}")
    return lines


@st.composite
def sources(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """Generated code or text, then damaged: CRLF, tabs, a BOM, invalid bytes, long lines."""
    language = draw(st.sampled_from(["python", "javascript", None, "markdown", "json"]))
    if language == "python":
        lines = draw(python_lines())
    elif language == "javascript":
        lines = draw(js_lines())
    elif language == "markdown":
        lines = []
        for _ in range(draw(st.integers(1, 6))):
            lines += [
                "#" * draw(st.integers(1, 3)) + " " + draw(STRINGS),
                "",
                draw(STRINGS),
                draw(STRINGS),
                "",
            ]
            if draw(st.booleans()):
                lines += ["```", draw(STRINGS), "", draw(STRINGS), "```", ""]
    elif language == "json":
        items = draw(st.lists(st.tuples(NAMES, expressions()), max_size=8))
        lines = ["{", ",\n".join(f'  "{k}": {json.dumps(v)}' for k, v in items), "}"]
    else:
        lines = draw(st.lists(STRINGS, max_size=20))
    if draw(st.booleans()):
        lines = [line.replace("    ", "\t") for line in lines]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    data = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(NAMES).encode() * draw(st.integers(50, 400)) + data[at:]
    if draw(st.integers(0, 3)) == 0:
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.sampled_from([b"\xff", b"\xe2\x82", b"\x80\x80", b"\xc3"])) + data[at:]
    if draw(st.booleans()):
        data = BOM + data
    return data, language


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources(), st.integers(4, 300), st.booleans(), st.integers(0, 3))
def test_generated_inputs_keep_every_guarantee(
    source: tuple[bytes, str | None], max_tokens: int, context: bool, overlap: int
) -> None:
    data, language = source
    if context:
        max_tokens += 60  # room for the header
    chunks = run(data, language, max_tokens, context=context, overlap=overlap)
    check_chunks(data, chunks, max_tokens, context=context, overlap=overlap)
    assert chunks == run(data, language, max_tokens, context=context, overlap=overlap)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["python", "javascript"]), st.data(), st.integers(8, 200))
def test_generated_definitions_that_fit_stay_whole(
    language: str, data_: st.DataObject, max_tokens: int
) -> None:
    lines = data_.draw(python_lines() if language == "python" else js_lines())
    newline = data_.draw(st.sampled_from(["\n", "\r\n"]))
    data = newline.join(lines).encode() + newline.encode()
    chunks = run(data, language, max_tokens)
    check_chunks(data, chunks, max_tokens)
    check_whole(data, chunks, language, max_tokens)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(4, 100), st.sampled_from([None, "python", "json"]))
def test_random_bytes(data: bytes, max_tokens: int, language: str | None) -> None:
    chunks = run(data, language, max_tokens)
    check_chunks(data, chunks, max_tokens)


def test_tiny_budgets_cut_between_characters() -> None:
    data = "añ数😀\r\nb\r\n".encode() * 5 + b"\xff\xfe tail"
    for max_tokens in (1, 2, 3, 4):
        try:
            chunks = run(data, None, max_tokens)
        except PackerError:
            assert max_tokens < 4  # one character can take up to 4 tokens
            continue
        check_chunks(data, chunks, max_tokens)


def test_empty_and_tiny_files() -> None:
    assert run(b"", "python", 10) == []
    for data in (b"\n", b"x", BOM, BOM + b"x", b"\r\n", b"\xff"):
        chunks = run(data, "python", 10)
        check_chunks(data, chunks, 10)
        assert len(chunks) == 1


# -- real files of every language -------------------------------------------------------

FIXTURE_FILES = sorted(p for p in FIXTURES.iterdir() if p.is_file())


def test_a_fixture_for_every_grammar_and_text_format() -> None:
    found = {languages.detect(p.name) for p in FIXTURE_FILES}
    assert set(languages.GRAMMARS) <= found
    assert {"markdown", "json", "yaml", "toml", "text", "rst"} <= found


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("max_tokens", [24, 64, 128, 512])
def test_fixture_files(path: Path, max_tokens: int) -> None:
    data = path.read_bytes()
    language = languages.detect(path.name)
    chunks = list(chunk_file(data, path=path.name, language=language, max_tokens=max_tokens))
    check_chunks(data, chunks, max_tokens)
    assert chunks == list(chunk_file(data, path=path.name, language=language, max_tokens=max_tokens))
    if languages.is_code(language):
        assert language is not None
        checked = check_whole(data, chunks, language, max_tokens)
        if max_tokens >= 128:
            assert checked, "the fixture has definitions that fit"
    variants = {
        "crlf": data.replace(b"\n", b"\r\n"),
        "bom": BOM + data,
        "no final newline": data.rstrip(b"\n"),
        "tabs": data.replace(b"    ", b"\t"),
        "invalid": data.replace(b"e", b"\xe9", 3),
    }
    for variant in variants.values():
        got = list(chunk_file(variant, path=path.name, language=language, max_tokens=max_tokens))
        check_chunks(variant, got, max_tokens)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_files_with_context_and_overlap(path: Path) -> None:
    data = path.read_bytes()
    language = languages.detect(path.name)
    for max_tokens, overlap in ((80, 0), (80, 3), (200, 1)):
        chunks = list(
            chunk_file(
                data,
                path=f"src/{path.name}",
                language=language,
                max_tokens=max_tokens,
                context=True,
                overlap=overlap,
            )
        )
        check_chunks(data, chunks, max_tokens, context=True, overlap=overlap)
        for c in chunks:
            header = c.text.split("\n", 1)[0].removesuffix(" */").removesuffix(" -->")
            assert f"path: src/{path.name}" in header
            scope = header.partition(" · ")[2]
            assert scope == c.symbol or ("…" in scope and c.symbol)


def test_python_symbols_and_kinds() -> None:
    data = (FIXTURES / "python.py").read_bytes()
    chunks = list(chunk_file(data, path="p.py", language="python", max_tokens=100))
    by_symbol = {c.symbol: c.kind for c in chunks}
    assert by_symbol["class Parser > def factor"] == "method"
    assert by_symbol["class Parser"] == "class"
    whole = [c for c in chunks if c.text.lstrip().startswith("def factor")]
    assert len(whole) == 1
    assert whole[0].text.rstrip().endswith('raise ParseError(f"unexpected {token.text!r}")')
    assert all(c.kind in ("code", "function", "class", "method") for c in chunks)


def test_comments_and_decorators_stay_with_their_definition() -> None:
    data = (
        b"import os\n\n"
        + b"x = 1\n" * 40
        + b"\n# Explain f.\n# More.\n@decorator\ndef f():\n    return os.sep\n"
    )
    chunks = run(data, "python", 60)
    check_chunks(data, chunks, 60)
    holder = [c for c in chunks if "def f" in c.text]
    assert len(holder) == 1
    assert "# Explain f.\n# More.\n@decorator\n" in holder[0].text
    alone = run(b"# Explain f.\n@decorator\ndef f():\n    return 1\n", "python", 60)
    assert [(c.symbol, c.kind) for c in alone] == [("def f", "function")]


def test_a_big_definition_starts_and_ends_its_own_chunks() -> None:
    body = "".join(f"    v{i} = compute({i})\n" for i in range(80))
    data = f"a = 1\n\n\ndef big():\n{body}\n\nb = 2\n".encode()
    chunks = run(data, "python", 100)
    check_chunks(data, chunks, 100)
    assert chunks[0].text == "a = 1\n\n\n"
    assert chunks[1].text.startswith("def big():\n")
    assert chunks[-1].text == "b = 2\n"
    assert all(c.symbol == "def big" for c in chunks[1:-1])


# A realistic Rust file: impl blocks with several methods, a trait impl, a struct with
# fields, an enum, a trait with a default method, a mod with functions, nested closures.
RUST = """//! A small expression evaluator.

use std::collections::HashMap;
use std::fmt::{self, Display};
use std::io::{self, Read};

/// Settings of one evaluation.
#[derive(Debug, Clone)]
pub struct Config {
    /// How deep parentheses may nest.
    pub max_depth: usize,
    /// Whether identifiers may hold non-ASCII letters.
    pub allow_unicode: bool,
    /// Values of the known names.
    pub names: HashMap<String, f64>,
    pub separator: char,
}

/// What the lexer yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Number(f64),
    Ident(String),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
}

pub trait Visitor {
    fn visit_number(&mut self, value: f64) -> f64;

    fn visit_binary(&mut self, op: &Token, left: f64, right: f64) -> f64 {
        match op {
            Token::Plus => left + right,
            Token::Minus => left - right,
            Token::Star => left * right,
            Token::Slash => left / right,
            _ => f64::NAN,
        }
    }
}

pub struct Parser<R: Read> {
    reader: R,
    tokens: Vec<Token>,
    position: usize,
    config: Config,
}

impl<R: Read> Parser<R> {
    pub fn new(reader: R, config: Config) -> Self {
        Parser { reader, tokens: Vec::new(), position: 0, config }
    }

    pub fn parse(&mut self) -> Result<f64, io::Error> {
        let mut input = String::new();
        self.reader.read_to_string(&mut input)?;
        self.tokens = util::lex(&input, self.config.allow_unicode);
        self.position = 0;
        let value = self.expression(0);
        if self.position < self.tokens.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "trailing tokens"));
        }
        Ok(value)
    }

    fn expression(&mut self, depth: usize) -> f64 {
        let mut value = self.term(depth);
        while let Some(op) = self.tokens.get(self.position).cloned() {
            if op != Token::Plus && op != Token::Minus {
                break;
            }
            self.position += 1;
            let right = self.term(depth);
            value = if op == Token::Plus { value + right } else { value - right };
        }
        value
    }

    fn term(&mut self, depth: usize) -> f64 {
        match self.tokens.get(self.position).cloned() {
            Some(Token::Number(n)) => {
                self.position += 1;
                n
            }
            Some(Token::Ident(name)) => {
                self.position += 1;
                self.config.names.get(&name).copied().unwrap_or(f64::NAN)
            }
            Some(Token::LParen) if depth < self.config.max_depth => {
                self.position += 1;
                let inner = self.expression(depth + 1);
                self.position += 1;
                inner
            }
            _ => f64::NAN,
        }
    }
}

impl<R: Read> Display for Parser<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.tokens.iter().map(|t| format!("{:?}", t)).collect();
        write!(f, "Parser at {} of [{}]", self.position, shown.join(", "))
    }
}

mod util {
    use super::Token;

    pub fn lex(input: &str, allow_unicode: bool) -> Vec<Token> {
        let is_start = |c: char| c.is_ascii_alphabetic() || (allow_unicode && c.is_alphabetic());
        let mut out = Vec::new();
        let mut chars = input.chars().peekable();
        while let Some(&c) = chars.peek() {
            let token = match c {
                '+' => Some(Token::Plus),
                '-' => Some(Token::Minus),
                '*' => Some(Token::Star),
                '/' => Some(Token::Slash),
                '(' => Some(Token::LParen),
                ')' => Some(Token::RParen),
                _ => None,
            };
            if let Some(t) = token {
                chars.next();
                out.push(t);
            } else if c.is_ascii_digit() {
                let digits: String = std::iter::from_fn(|| chars.next_if(|d| d.is_ascii_digit() || *d == '.'))
                    .collect();
                out.push(Token::Number(digits.parse().unwrap_or(0.0)));
            } else if is_start(c) {
                let name: String = std::iter::from_fn(|| chars.next_if(|d| d.is_alphanumeric())).collect();
                out.push(Token::Ident(name));
            } else {
                chars.next();
            }
        }
        out
    }

    pub fn is_operator(token: &Token) -> bool {
        matches!(token, Token::Plus | Token::Minus | Token::Star | Token::Slash)
    }
}
"""
# The Rust nodes a chunk lies inside of, and how chunks name them.
RUST_SCOPES = {
    "function_item": "fn",
    "function_signature_item": "fn",
    "struct_item": "struct",
    "enum_item": "enum",
    "trait_item": "trait",
    "mod_item": "mod",
    "impl_item": "impl",
}


def rust_label(data: bytes, node: object) -> str:
    """How a chunk names a Rust definition: `fn parse`, `impl Display for Parser<R>`."""

    def text(n: object) -> str:
        return " ".join(data[n.start_byte : n.end_byte].decode().split())  # type: ignore[attr-defined]

    if node.type == "impl_item":  # type: ignore[attr-defined]
        trait = node.child_by_field_name("trait")  # type: ignore[attr-defined]
        kind = node.child_by_field_name("type")  # type: ignore[attr-defined]
        return "impl " + (f"{text(trait)} for " if trait is not None else "") + text(kind)
    return f"{RUST_SCOPES[node.type]} {text(node.child_by_field_name('name'))}"  # type: ignore[attr-defined]


def innermost_scope(data: bytes, root: object, start: int, end: int) -> str:
    """The scope path ("impl Parser<R> > fn parse") of the innermost Rust definition node
    around data[start:end], from the syntax tree; "" if there is none."""
    path: list[str] = []
    node = root
    while True:
        inside = [c for c in node.children if c.start_byte <= start and end <= c.end_byte]  # type: ignore[attr-defined]
        if not inside:
            return " > ".join(path)
        node = inside[0]
        if node.type in RUST_SCOPES:  # type: ignore[attr-defined]
            path.append(rust_label(data, node))


def test_rust_chunks_name_their_innermost_definition() -> None:
    """Every chunk inside a Rust definition names the innermost one (its scope path, or
    that of the one definition the chunk holds): methods of impl blocks and trait impls,
    fields of a struct, variants of an enum, functions of a mod, closures in them."""
    data = RUST.encode()
    tree = symbols.parse(data, "rust")
    assert tree is not None
    named: set[str] = set()
    for max_tokens in (48, 56, 64):
        chunks = run(data, "rust", max_tokens)
        check_chunks(data, chunks, max_tokens)
        inside = 0
        for c in chunks:
            own = data[c.start_byte : c.end_byte]
            start = c.start_byte + len(own) - len(own.lstrip())
            end = c.end_byte - (len(own) - len(own.rstrip()))
            path = innermost_scope(data, tree.root_node, start, end)
            if path:
                inside += 1
                assert c.symbol == path or c.symbol.startswith(path + " > "), (path, c.symbol, c.text)
            named.add(c.symbol)
        assert inside >= len(chunks) // 2
    assert {
        "struct Config",
        "enum Token",
        "trait Visitor > fn visit_binary",
        "impl Parser<R> > fn parse",
        "impl Parser<R> > fn term",
        "impl Display for Parser<R>",
        "mod util > fn lex",
    } <= named


def test_rust_scopes_are_not_symbols() -> None:
    """An impl block names chunks but is no definition of `extract` (no symbol)."""
    data = RUST.encode()
    names = {d.name for d in symbols.extract(data, "rust").definitions}
    assert "parse" in names and not any("Parser<R>" in n for n in names)
    tree = symbols.parse(data, "rust")
    assert tree is not None
    scopes = {(d.kind, d.label, d.scope) for d in symbols.scopes(data, "rust", tree=tree)}
    assert ("impl", "impl Display for Parser<R>", ()) in scopes
    assert ("method", "fn fmt", ("impl Display for Parser<R>",)) in scopes


# Statements, and compound statements whose bodies are a few statements long.
COMPOUND = {
    "python": (
        "def run(items, limit):\n    total = 0\n",
        "    {kw} item_{i} in items:\n"
        + "".join(f"        total += check(item_{{i}}, {j})\n" for j in range(6)),
        "    return total\n",
        ("for", "if", "while"),
    ),
    "c": (
        "int run(int *items, int limit)\n{\n\tint total = 0;\n",
        "\t{kw} (items[{i}] > limit)\n\t{{\n"
        + "".join(f"\t\ttotal += check(items[{{i}}], {j});\n" for j in range(6))
        + "\t}}\n",
        "\treturn total;\n}\n",
        ("if", "while"),
    ),
    "rust": (
        "fn run(items: &[i32], limit: i32) -> i32 {\n    let mut total = 0;\n",
        "    {kw} items[{i}] > limit {{\n"
        + "".join(f"        total += check(items[{{i}}], {j});\n" for j in range(6))
        + "    }}\n",
        "    total\n}\n",
        ("if", "while"),
    ),
}


@pytest.mark.parametrize("language", sorted(COMPOUND))
def test_a_chunk_does_not_end_in_a_header(language: str) -> None:
    """A chunk boundary never falls between a compound statement's header and its body
    (`if (x)` | `{`, `for x in y:` | body): the header goes to the next chunk with it."""
    head, middle, tail, keywords = COMPOUND[language]
    body = "".join(middle.format(kw=keywords[i % len(keywords)], i=i) for i in range(12))
    data = (head + body + tail).encode()
    tree = symbols.parse(data, language)
    assert tree is not None
    headers = []  # (start, body start) of every compound statement
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        block = next((c for c in node.children if c.type in ("block", "compound_statement")), None)
        if block is not None and node.type != "function_definition" and node.type != "function_item":
            headers.append((node.start_byte, block.start_byte))
    assert len(headers) == 12
    for max_tokens in range(40, 130, 6):
        chunks = run(data, language, max_tokens)
        check_chunks(data, chunks, max_tokens)
        for c in chunks[:-1]:
            assert not any(start < c.end_byte <= body for start, body in headers), (max_tokens, c.text)


# A definition of about 50 tokens, split at 48: its signature goes with the body's `{`.
SIGNATURES = {
    "rust": b"""pub fn parse(&mut self, input: &str, limit: usize) -> Result<Ast, Error> {
    let tokens = self.lex(input)?;
    let tree = self.build(tokens, limit)?;
    self.check(&tree)?;
    Ok(tree)
}
""",
    "c": b"""static int parse_input(struct parser *p, const char *input, size_t limit)
{
	int tokens = lex(p, input);
	int tree = build(p, tokens, limit);
	check(p, tree);
	report(p, tree, limit);
	return tree;
}
""",
    "go": b"""func (p *Parser) Parse(input string, limit int) (*Ast, error) {
	tokens, err := p.lex(input)
	tree, err := p.build(tokens, limit)
	p.check(tree)
	p.report(tree, limit)
	return tree, err
}
""",
    "java": b"""class Parser {
    public Ast parse(String input, int limit) throws ParseError {
        List<Token> tokens = this.lex(input);
        Ast tree = this.build(tokens, limit);
        this.check(tree);
        this.report(tree, limit);
        return tree;
    }
}
""",
}
BODIES = {"block", "compound_statement"}


@pytest.mark.parametrize("language", sorted(SIGNATURES))
def test_a_split_definition_keeps_its_signature_with_its_opening_brace(language: str) -> None:
    data = SIGNATURES[language]
    tree = symbols.parse(data, language)
    assert tree is not None
    stack = [tree.root_node]
    while stack:  # the function: the outermost node with a body block
        node = stack.pop(0)
        body = next((c for c in node.children if c.type in BODIES), None)
        if body is not None:
            break
        stack.extend(node.children)
    assert body is not None
    assert 48 < COUNTER.count(data[node.start_byte : node.end_byte].decode()) < 60  # it must be split
    for max_tokens in (40, 44, 48):
        chunks = run(data, language, max_tokens)
        check_chunks(data, chunks, max_tokens)
        (holder,) = [c for c in chunks if c.start_byte <= body.start_byte < c.end_byte]
        signature = data[node.start_byte : body.start_byte].decode().strip()
        assert holder.start_byte <= node.start_byte, (signature, [c.text for c in chunks])
        assert signature in holder.text and holder.text.rstrip().count("\n") >= 1


def test_embed_text_says_where_the_chunk_is() -> None:
    """embed_text: the path, the file's imports and the headers of the definitions around
    the chunk (outermost first, up to their bodies), then the chunk's text; `text`, the
    offsets and `tokens` are those of the chunk alone."""
    lines = "".join(f"        let v{i} = self.step({i}, input)?;\n" for i in range(40))
    source = (
        "use std::io::{self, Read};\nuse serde::Deserialize;\nuse crate::ast;\n\n"
        "impl<T: Read> Parser<T> {\n"
        "    pub fn parse(&mut self, input: &str) -> Result<ast::Ast> {\n"
        f"{lines}        Ok(v0)\n    }}\n}}\n"
    )
    data = source.encode()
    chunks = run(data, "rust", 200)
    check_chunks(data, chunks, 200)
    assert len(chunks) >= 3
    prefix = (
        "// path: f\n"
        "// imports: std::io::{self, Read}, serde::Deserialize, crate::ast\n"
        "impl<T: Read> Parser<T> {\n"
        "    pub fn parse(&mut self, input: &str) -> Result<ast::Ast> {\n"
    )
    inner = [
        c for c in chunks if c.symbol == "impl Parser<T> > fn parse" and c.text.startswith("        let")
    ]
    assert inner and all(c.embed_text == prefix + c.text for c in inner)
    assert (
        chunks[0].embed_text
        == "// path: f\n// imports: std::io::{self, Read}, serde::Deserialize, crate::ast\n" + chunks[0].text
    )
    # With --context, embed_text holds the text without its header line (the prefix says it).
    for c in run(data, "rust", 200, context=True, overlap=1):
        assert c.embed_text.endswith(c.text.split("\n", 1)[1])
        assert c.tokens == COUNTER.count(c.text)
    # Markdown: the path, then the headings of the sections around the chunk.
    md = b"# Guide\n\nIntro.\n\n## Install\n\n" + b"Run the installer and wait.\n\n" * 30
    last = run(md, "markdown", 40)[-1]
    assert last.embed_text == "<!-- path: f -->\n# Guide\n## Install\n" + last.text


# Fake secrets, built by concatenation (no committed-key lookalikes).
AWS_KEY = "AKIA" + "QX7Z2M4N6P8R3T5V"
GITHUB_TOKEN = "ghp_" + "Zk4Rw9Tq2Lm7Vb3Nx8Pc5Hj1Df6Gs0Ya2Ue4"
DB_PASSWORD = "Qm9vZ3FwLk8xYnR6" + "Wd3Hs5Jk"


@pytest.mark.parametrize(
    ("name", "source", "language"),
    [
        (
            "db.py",
            f"from vendor.{AWS_KEY} import client\nimport os\n\n\n"
            f'def connect(host, password="{DB_PASSWORD}", retries=3):\n'
            + "".join(f"    step_{i} = client.call(host, {i})\n" for i in range(40))
            + "    return step_0\n",
            "python",
        ),
        (
            "app.js",
            f'import fetchAll from "https://ci:{GITHUB_TOKEN}@example.com/lib.js";\n\n'
            f'function connect(host, token = "{GITHUB_TOKEN}") {{\n'
            + "".join(f"  const step{i} = fetchAll(host, {i});\n" for i in range(40))
            + "  return step0;\n}\n",
            "javascript",
        ),
    ],
)
def test_embed_text_redacts_secrets_in_signatures_and_imports(name: str, source: str, language: str) -> None:
    """A secret in an import path or in a signature's default value is redacted in the
    prefix of embed_text, as it is in `text`: the prefix is built from redacted text."""
    data = source.encode()
    secrets_ = [s for s in (AWS_KEY, GITHUB_TOKEN, DB_PASSWORD) if s in source]
    for max_tokens in (48, 160, 256):
        chunks = list(chunk_file(data, path=name, language=language, max_tokens=max_tokens))
        assert b"".join(data[c.start_byte : c.end_byte] for c in chunks) == data
        for c in chunks:
            assert c.tokens == COUNTER.count(c.text) <= max_tokens and c.embed_text.endswith(c.text)
            for secret in secrets_:
                assert secret not in c.embed_text and secret[-12:] not in c.embed_text, c.embed_text
        if max_tokens < 160:
            continue  # the imports do not fit the prefix
        inner = [c for c in chunks if "step" in c.text and "connect(" not in c.text]
        prefix = inner[0].embed_text[: len(inner[0].embed_text) - len(inner[0].text)]
        # the import and the signature are there, with their secrets replaced
        assert "imports: " in prefix and "[REDACTED:" in prefix.split("imports: ", 1)[1].split("\n")[0]
        assert "connect(host, " in prefix and "[REDACTED:" in prefix.split("connect(host, ", 1)[1]


def test_embed_text_stays_bounded() -> None:
    """Hundreds of imports and deep nesting with long headers: the prefix before the text
    stays within half the budget (at most 256 tokens); the imports go first, then the
    outer headers, and the innermost header stays."""
    imports = "".join(f"use crate::module_{i}::Item{i};\n" for i in range(300))
    params = ", ".join(f"argument_{i}: u32" for i in range(12))
    body = "".join(f"            let v{i} = helper_{i}({i});\n" for i in range(200))
    mods = "".join(f"mod level_{i} {{\n" for i in range(6))
    source = (
        f"{imports}\n{mods}impl Worker {{\n    pub fn run(&self, {params}) -> u32 {{\n        loop {{\n"
        f"{body}        }}\n    }}\n}}\n" + "}\n" * 6
    )
    data = source.encode()
    for max_tokens in (64, 256, 512, 2000):
        cap = min(256, max(32, max_tokens // 2))
        chunks = run(data, "rust", max_tokens)
        check_chunks(data, chunks, max_tokens)
        for c in chunks:
            prefix = c.embed_text[: len(c.embed_text) - len(c.text)]
            assert c.embed_text.endswith(c.text) and prefix.startswith("// path: f\n")
            assert COUNTER.count(prefix) <= cap
        if max_tokens == 2000:
            continue  # `run` is in one chunk with its headers
        (deep, *_) = [c for c in chunks if c.symbol.endswith("impl Worker > fn run") and "let v" in c.text]
        prefix = deep.embed_text[: len(deep.embed_text) - len(deep.text)]
        assert "    pub fn run(&self, argument_0: u32," in prefix  # the innermost header stays
        if max_tokens == 512:
            assert "// imports: crate::module_0::Item0, crate::module_1::Item1, " in prefix
            assert ", …\n" in prefix  # the imports that did not fit
            assert "mod level_0 {\nmod level_1 {\n" in prefix and "impl Worker {\n" in prefix
            assert prefix.endswith(f"pub fn run(&self, {params}) -> u32 {{\n")
        if max_tokens == 64:
            assert "imports:" not in prefix and "\n…\n" in prefix and "mod level_0 {" not in prefix
    assert list(chunk_file(data, path="f", language="rust", max_tokens=512)) == run(data, "rust", 512)


def test_unknown_language_and_parse_refusal_fall_back_to_lines() -> None:
    data = b"".join(b"line %d of something\n" % i for i in range(200))
    for language in (None, "python"):
        chunks = run(data, language, 50)
        check_chunks(data, chunks, 50)
    # Python with a line over the parser's limit is not parsed: text, language kept.
    data = b"x = '" + b"a " * 150_000 + b"'\n"
    chunks = list(chunk_file(data, path="big.py", language="python", max_tokens=500))
    check_chunks(data, chunks, 500)
    assert {c.kind for c in chunks} == {"text"} and {c.language for c in chunks} == {"python"}


# -- text formats -----------------------------------------------------------------------


def test_markdown_splits_by_headings_and_keeps_fences() -> None:
    data = (FIXTURES / "markdown.md").read_bytes()
    chunks = list(chunk_file(data, path="g.md", language="markdown", max_tokens=60))
    check_chunks(data, chunks, 60)
    starts = {c.start_byte for c in chunks}
    for m in re.finditer(rb"^## ", data, re.M):  # each second-level section starts a chunk
        assert m.start() in starts
    for m in re.finditer(rb"^```\w*\n.*?^```\n", data, re.M | re.S):
        assert any(c.start_byte <= m.start() and m.end() <= c.end_byte for c in chunks)
    symbols_ = [c.symbol for c in chunks]
    assert "# Fixture guide > ## Install" in symbols_
    assert "# Fixture guide > ## Usage > ### As a library" in symbols_
    assert {c.kind for c in chunks} <= {"section", "paragraph", "text"}


def check_blocks(data: bytes, chunks: list[Chunk], pattern: bytes, max_tokens: int) -> list[str]:
    """Every block `pattern` finds that fits lies inside one chunk; a chunk that starts a
    new block starts at the block's start. Returns the chunks' symbols."""
    for m in re.finditer(pattern, data, re.M | re.S):
        if COUNTER.count(m.group().decode()) <= max_tokens - PIECE_SLACK:
            assert any(c.start_byte <= m.start() and m.end() <= c.end_byte for c in chunks), m
    return [c.symbol for c in chunks]


def test_json_splits_by_top_level_keys() -> None:
    data = (FIXTURES / "data.json").read_bytes()
    member = rb'^  "[^"]+": (?:\{.*?^  \}|[^\n]*),?\n'
    for max_tokens in (30, 60, 100):
        chunks = list(chunk_file(data, path="d.json", language="json", max_tokens=max_tokens))
        check_chunks(data, chunks, max_tokens)
        found = check_blocks(data, chunks, member, max_tokens)
        assert set(found) <= {
            "",
            "name",
            "version",
            "description",
            "scripts",
            "dependencies",
            "devDependencies",
            "keywords",
            "private",
        }
    chunks = list(chunk_file(data, path="d.json", language="json", max_tokens=40))
    assert next(c.text for c in chunks if c.symbol == "scripts").startswith('  "scripts": {')


def test_yaml_and_toml_split_by_keys_and_tables() -> None:
    data = (FIXTURES / "config.yaml").read_bytes()
    key = rb"^(?:#[^\n]*\n)*[a-z]+:.*?(?=^[a-z#]|\Z)"
    for max_tokens in (20, 40, 80):
        chunks = list(chunk_file(data, path="c.yaml", language="yaml", max_tokens=max_tokens))
        check_chunks(data, chunks, max_tokens)
        found = check_blocks(data, chunks, key, max_tokens)
        assert set(found) <= {"", "version", "server", "database", "features", "logging"}
    chunks = list(chunk_file(data, path="c.yaml", language="yaml", max_tokens=40))
    server = next(c for c in chunks if c.symbol == "server")
    assert server.text.startswith("# The HTTP server.\nserver:")
    assert any("- search" in c.text and "- audit" in c.text for c in chunks)  # `key:\n- a` whole

    data = (FIXTURES / "pyproject.toml").read_bytes()
    table = rb"^(?:#[^\n]*\n)*\[(?!not).*?(?=^\[(?!not)|^#|\Z)"
    for max_tokens in (20, 40, 80):
        chunks = list(chunk_file(data, path="p.toml", language="toml", max_tokens=max_tokens))
        check_chunks(data, chunks, max_tokens)
        found = check_blocks(data, chunks, table, max_tokens)
        assert "[not-a-table]" not in found
    chunks = list(chunk_file(data, path="p.toml", language="toml", max_tokens=20))
    symbols_ = [c.symbol for c in chunks]
    assert "[project]" in symbols_ and "[[tool.mypy.overrides]]" in symbols_
    ruff = next(c for c in chunks if c.symbol == "[tool.ruff]")
    assert ruff.text.startswith("# Tool settings.\n[tool.ruff]")


def test_plain_text_splits_by_paragraphs() -> None:
    paragraphs = [" ".join(f"word{i}x{j}" for j in range(12)) for i in range(6)]
    data = ("\n\n".join(paragraphs) + "\n").encode()
    chunks = run(data, "text", 80)
    check_chunks(data, chunks, 80)
    for c in chunks:  # each paragraph fits, so each chunk is whole paragraphs
        assert c.start_byte == 0 or data[c.start_byte - 2 : c.start_byte] == b"\n\n"
    assert {c.kind for c in chunks} <= {"paragraph", "text"}


# -- limits -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "language"),
    [
        ("nested lists", b"x = " + b"[" * 10_000 + b"]" * 10_000 + b"\n", "python"),
        ("nested json", b"[" * 10_000 + b"]" * 10_000, "json"),
        ("nested calls", b"f(" + b"(" * 10_000 + b"1" + b")" * 10_000 + b");\n", "javascript"),
        (
            "nested blocks",
            b"".join(b" " * i + b"if x:\n" for i in range(400)) + b" " * 400 + b"y\n",
            "python",
        ),
    ],
)
def test_deep_nesting_terminates(name: str, data: bytes, language: str) -> None:
    start = time.monotonic()
    chunks = run(data, language, 64)
    assert time.monotonic() - start < 30
    check_chunks(data, chunks, 64)


@pytest.mark.parametrize("language", [None, "python", "json"])
def test_a_5mb_single_line_terminates(language: str | None) -> None:
    data = b"aa, " * (5 * 1024 * 1024 // 4)
    start = time.monotonic()
    chunks = list(chunk_file(data, path="one-line", language=language, max_tokens=512))
    assert time.monotonic() - start < 60
    assert b"".join(data[c.start_byte : c.end_byte] for c in chunks) == data
    assert all(c.tokens <= 512 for c in chunks)
    sample = chunks[:: max(1, len(chunks) // 50)]
    assert all(c.tokens == COUNTER.count(c.text) for c in sample)


def test_options_are_checked() -> None:
    for bad in (0, -1, True):
        with pytest.raises(PackerError, match="--max-tokens"):
            chunk_file(b"x", path="f", language=None, max_tokens=bad)  # type: ignore[arg-type]
    with pytest.raises(PackerError, match="--overlap"):
        chunk_file(b"x", path="f", language=None, overlap=-1)
    with pytest.raises(PackerError, match="--context"):
        list(
            chunk_file(
                b"x = 1\n",
                path="a/very/long/path/to/some/file.py",
                language="python",
                max_tokens=8,
                context=True,
            )
        )
    with pytest.raises(PackerError, match="unknown encoding"):
        chunk(".", encoding="nope")
    with pytest.raises(PackerError, match="--jobs is a number"):
        chunk(".", jobs=0)


def test_threads_give_the_same_chunks() -> None:
    files = [(p.read_bytes(), languages.detect(p.name)) for p in FIXTURE_FILES]
    expected = [list(chunk_file(d, path="f", language=lang, max_tokens=64)) for d, lang in files]
    results: list[list[list[Chunk]]] = []

    def work() -> None:
        results.append([list(chunk_file(d, path="f", language=lang, max_tokens=64)) for d, lang in files])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


# Run in a child: fork is used only while the process has one thread, which a test
# process may not. Each parse's scopes are logged with the pid that made them.
_PROCESSES_SCRIPT = """
import os, sys, threading
import packer
from packer import symbols
from packer.errors import PackerError
root, log = sys.argv[1], sys.argv[2]
real = symbols.definitions
def logged(*a, **k):
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\\n")
    return real(*a, **k)
symbols.definitions = logged
def run(jobs):
    open(log, "w").close()
    got = list(packer.chunk(root, max_tokens=64, jobs=jobs))
    return got, set(open(log).read().split())
one, pids1 = run(1)
two, pids2 = run(2)
stop = threading.Event()
other = threading.Thread(target=stop.wait)
other.start()  # another thread: fork is not safe, threads chunk instead
held, pids3 = run(2)
stop.set()
other.join()
me = str(os.getpid())
assert one and pids1 == {me} and pids3 == {me}, (pids1, pids3)
assert len(pids2) == 2 and me not in pids2, pids2
assert two == one and held == one
gen = packer.chunk(root, max_tokens=64, jobs=2)
next(gen)
gen.close()  # an abandoned generator stops its workers
try:
    list(packer.chunk(root, max_tokens=8, context=True, jobs=2))
except PackerError as e:  # raised in a worker, re-raised here
    assert "--context" in str(e), e
else:
    raise AssertionError("no error")
print("ok", len(one))
"""


def test_worker_processes_give_the_same_chunks(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {}
    for k in range(3):  # several batches of files for each worker
        for p in FIXTURE_FILES:
            files[f"d{k}/{p.name}"] = p.read_bytes()
    files["keys.py"] = 'TOKEN = "ghp_' + "a1B2c3D4e5" * 4 + '"\n'
    files["bad.py"] = b"x = '\xff\xfe'\n" * 50
    write(tmp_path / "repo", files)
    res = subprocess.run(
        [sys.executable, "-c", _PROCESSES_SCRIPT, str(tmp_path / "repo"), str(tmp_path / "log")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0 and res.stdout.startswith("ok"), res.stderr
    assert int(res.stdout.split()[1]) > 3 * len(FIXTURE_FILES)


# -- the library over files and directories ---------------------------------------------


def test_chunk_walks_directories_like_pack(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/a.py": "def f():\n    return 1\n",
            "src/b.md": "# Title\n\ntext\n",
            "ignored.py": "x = 1\n",
            ".gitignore": "ignored.py\n",
            "image.bin": b"\x00\x01\x02" * 100,
            "package-lock.json": "{}\n",
            "vendor/lib.py": "y = 2\n",
        },
    )
    git(tmp_path, "init", "-q")
    got = list(packer.chunk(tmp_path, max_tokens=100))
    assert sorted({c.path.rsplit("/", 2)[-2] + "/" + c.path.rsplit("/", 1)[-1] for c in got}) == [
        "src/a.py",
        "src/b.md",
        tmp_path.name + "/.gitignore",
    ]
    progress: list[tuple[str, int, int]] = []
    rel = list(
        chunk(
            [tmp_path / "src", tmp_path / "ignored.py", tmp_path / "image.bin"],
            exclude=["*.md"],
            progress=lambda *a: progress.append(a),
        )
    )
    names = [c.path.split("/")[-1] for c in rel]
    assert names == ["a.py", "ignored.py"]  # named files are chunked, binaries never
    assert progress[-1] == ("chunk", 3, 3)
    with pytest.raises(PackerError, match="does not exist"):
        chunk(tmp_path / "missing")


def test_chunk_paths_are_relative_to_the_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"pkg/m.py": "x = 1\n", "top.txt": "hello\n"})
    monkeypatch.chdir(tmp_path)
    assert [c.path for c in chunk(["pkg", "top.txt", "./pkg/m.py"])] == ["pkg/m.py", "top.txt"]
    assert [c.path for c in chunk(".")] == ["pkg/m.py", "top.txt"]


def test_import_stays_light() -> None:
    code = (
        "import sys, packer; assert callable(packer.chunk); "
        "import packer.chunker; assert packer.chunk is packer.chunker.chunk"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    code = (
        "import sys, packer; assert not any(m.startswith(('tiktoken', 'tree_sitter')) for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the command ------------------------------------------------------------------------


def test_cli_writes_json_lines(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": (FIXTURES / "python.py").read_text(), "b.json": '{"k": "é"}\n'})
    result = CliRunner().invoke(
        main,
        [
            "chunk",
            str(tmp_path / "a.py"),
            str(tmp_path / "b.json"),
            "--max-tokens",
            "100",
            "--context",
            "--overlap",
            "2",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert all(list(r) == KEYS for r in records)
    assert all(r["tokens"] <= 100 for r in records)
    assert '"text": "# path: ' in lines[0] or '"text": "// path: ' in lines[0]
    assert "é" in lines[-1]  # not escaped
    data = (tmp_path / "a.py").read_bytes()
    spans = [(r["start_byte"], r["end_byte"]) for r in records if r["path"].endswith("a.py")]
    assert b"".join(data[s:e] for s, e in spans) == data


def test_cli_output_file_and_errors(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "def f():\n    pass\n"})
    out = tmp_path / "chunks.jsonl"
    runner = CliRunner()
    result = runner.invoke(main, ["chunk", str(tmp_path / "a.py"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "chunked 1 files into 1 chunks" in result.stderr
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["symbol"] == "def f" and record["kind"] == "function"
    assert record["start_line"] == 1 and record["end_line"] == 2
    for args, message in (
        (["--max-tokens", "0"], "--max-tokens must be a positive"),
        (["--overlap", "-2"], "--overlap is a number of lines"),
        (["--max-tokens", "5", "--context"], "leaves no room"),
    ):
        result = runner.invoke(main, ["chunk", str(tmp_path / "a.py"), "-o", str(out), *args])
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ") and message in result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == record  # left as it was
    result = runner.invoke(main, ["chunk", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "does not exist" in result.stderr


# -- counts read off the whole file's tokens --------------------------------------------

# Pieces that meet at newlines in every way the tokenizers' split treats differently:
# blank and indented lines, CRLF, a "/" right after a newline ("}\n/*" is one piece of
# o200k_base), Unicode spaces, combining marks, contractions, digit runs.
TRICKY = [
    *["\n"] * 4,
    " ",
    "  ",
    "\t",
    "\r\n",
    "/",
    "//",
    "}\n/*",
    "a",
    "Ab",
    "ABC",
    "'s",
    "'",
    "1",
    "12345",
    "(",
    ");",
    "{",
    "}",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\x85",
    "\x0b",
    "é",
    "日本",
    "\u0301",
    "#",
    "\n\n",
    " \n",
    "\t\n",
]


class TallyCounter(Counter):
    """A Counter that adds up how many characters it was asked to encode."""

    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.chars = 0

    def count(self, text: str) -> int:
        self.chars += len(text)
        return super().count(text)


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_every_range_counts_exactly(encoding: str) -> None:
    """The count of any range, read off the file's tokens between safe positions and
    encoded at the ends, is the count of its text encoded alone."""
    import random

    from packer.chunker import _Chunker

    rng = random.Random(17)
    exact = Counter(encoding)
    checked = 0
    for n in range(60):
        text = "".join(rng.choice(TRICKY) for _ in range(rng.randint(1, 70)))
        data = (BOM if n % 5 == 0 else b"") + text.encode("utf-8")
        chunker = _Chunker(
            data,
            path="f",
            language=None,
            max_tokens=10_000,
            counter=Counter(encoding),
            context=False,
            overlap=0,
        )
        chunker.run()  # reads the file's tokens
        assert chunker.derive
        bounds = [i for i in range(len(data) + 1) if i == len(data) or data[i] & 0xC0 != 0x80]
        for a, b in itertools.combinations(bounds, 2):
            want = exact.count(data[max(a, chunker.bom) : b].decode("utf-8"))
            assert chunker.count(a, b) == want, (data[a:b], encoding)
            checked += 1
    assert checked > 10_000


def test_counts_come_off_the_file_s_tokens_not_a_new_encoding() -> None:
    """Chunking a Python file encodes it once; each chunk's count comes off those tokens."""
    data = (FIXTURES / "python.py").read_bytes() * 8
    counter = TallyCounter("o200k_base")
    from packer.chunker import _Chunker

    chunks = _Chunker(
        data, path="f.py", language="python", max_tokens=64, counter=counter, context=False, overlap=0
    ).run()
    check_chunks(data, chunks, 64)
    assert len(chunks) > 20
    assert counter.chars < len(data) // 4  # before: every chunk's text, at least once


@pytest.mark.parametrize(
    "shape",
    [
        "    x = 1  # indented lines: windows cut at a safe newline\n",
        "\n \n\t\n",  # blank lines only: no safe cut
        "a" * 70 + " ",  # one long line: cut at a space
    ],
)
def test_files_encoded_in_windows_count_exactly(shape: str) -> None:
    data = ("def f():\n" + shape * (150_000 // len(shape)) + "y = 2\n").encode()
    chunks = run(data, "python", 300)
    check_chunks(data, chunks, 300)  # every count equals its text's, across the windows


# -- what is chunked ---------------------------------------------------------------------

GENERATED_GO = (
    "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage test\n\ntype M struct {\n\tA int\n}\n"
)


def test_a_file_named_directly_is_chunked_whatever_its_class(tmp_path: Path) -> None:
    """Generated, over 1 MB, ignored: named on the command line, each is chunked; the walk
    leaves them out unless `keep` names their kind, as `pack` does."""
    icons = "".join(
        f'export const Icon{i} = () => <svg viewBox="0 0 24 24"><path d="M{i} 0L{i} 24Z"/></svg>;\n'
        for i in range(12_000)
    )
    assert len(icons) > 1_000_000
    write(
        tmp_path,
        {
            "test.pb.go": GENERATED_GO,
            "Icons.tsx": icons,
            "app.py": "x = 1\n",
            ".env": "API_KEY=sk-live-0123456789abcdefghijklmnopqrstuv\n",
        },
    )
    named = list(chunk([tmp_path / "test.pb.go", tmp_path / "Icons.tsx", tmp_path / ".env"]))
    by_file: dict[str, list[Chunk]] = {}
    for c in named:
        by_file.setdefault(c.path.rsplit("/", 1)[-1], []).append(c)
    assert sorted(by_file) == ["Icons.tsx", "test.pb.go"]  # a credentials file needs keep
    for name, got in by_file.items():
        check_chunks((tmp_path / name).read_bytes(), got, 512)
    assert by_file["test.pb.go"][0].language == "go"

    walked = {c.path.rsplit("/", 1)[-1] for c in chunk(tmp_path)}
    assert walked == {"app.py"}
    kept = {c.path.rsplit("/", 1)[-1] for c in chunk(tmp_path, keep=["generated", "secrets-file"])}
    assert kept == {"app.py", "test.pb.go", ".env"}  # over 1 MB stays out of a walk
    env = list(chunk(tmp_path / ".env", keep=["secrets-file"]))
    assert len(env) == 1 and "sk-live" not in env[0].text and env[0].redacted == 1
    with pytest.raises(PackerError, match="unknown keep kind"):
        chunk(tmp_path, keep=["large"])


def test_cli_keep_and_named_files(tmp_path: Path) -> None:
    write(tmp_path, {"test.pb.go": GENERATED_GO, "app.py": "x = 1\n"})
    runner = CliRunner()

    def paths(*args: str) -> list[str]:
        result = runner.invoke(main, ["chunk", *args, "-q"])
        assert result.exit_code == 0, result.output
        return [json.loads(line)["path"].rsplit("/", 1)[-1] for line in result.stdout.splitlines()]

    assert paths(str(tmp_path)) == ["app.py"]
    assert sorted(paths(str(tmp_path), "--keep", "generated")) == ["app.py", "test.pb.go"]
    assert paths(str(tmp_path / "test.pb.go")) == ["test.pb.go"]
    assert paths(str(tmp_path), "-j", "2") == paths(str(tmp_path), "-j", "1") == ["app.py"]
    bad = runner.invoke(main, ["chunk", str(tmp_path), "-j", "0"])
    assert bad.exit_code == 1 and "'--jobs': 0 is not in the range" in bad.output


def test_embed_text_can_be_left_out_and_nothing_else_changes(tmp_path) -> None:
    import dataclasses

    from click.testing import CliRunner

    from packer.chunker import chunk
    from packer.cli import main

    src = tmp_path / "lib.rs"
    src.write_text(
        "use std::fmt;\n\nimpl Parser {\n"
        + "".join(f"    fn f{k}(&self) -> usize {{\n        {k} + self.pos\n    }}\n" for k in range(30))
        + "}\n"
    )
    full = list(chunk([src], max_tokens=48, jobs=1))
    bare = list(chunk([src], max_tokens=48, jobs=1, embed_text=False))
    assert all(c.embed_text for c in full) and all(c.embed_text == "" for c in bare)
    assert [dataclasses.replace(c, embed_text="") for c in full] == bare
    got = CliRunner().invoke(main, ["chunk", str(src), "--max-tokens", "48", "--no-embed-text", "-q"])
    lines = [json.loads(line) for line in got.output.splitlines()]
    assert got.exit_code == 0 and lines and {line["embed_text"] for line in lines} == {""}
