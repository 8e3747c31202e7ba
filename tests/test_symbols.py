"""Symbols: every language's fixture yields the definitions, references and imports it must;
bad input (syntax errors, deep nesting, huge lines, no grammar) is a result, never a crash.
"""

import subprocess
import sys
import textwrap
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest
import tree_sitter

from packer import languages, symbols
from packer.records import Definition, FileSymbols, Import

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "symbols"

# (kind, keyword, name, start_line, end_line, scope) of every definition, in order
Def = tuple[str, str, str, int, int, tuple[str, ...]]

EXPECTED: dict[str, dict[str, object]] = {
    "python": {
        "file": "shapes.py",
        "defs": [
            ("constant", "", "SCALE", 6, 6, ()),
            ("class", "class", "Shape", 9, 14, ()),
            ("method", "def", "area", 12, 14, ("class Shape",)),
            ("class", "class", "Circle", 18, 24, ()),
            ("method", "def", "__init__", 19, 20, ("class Circle",)),
            ("method", "def", "area", 23, 24, ("class Circle",)),
            ("function", "def", "square", 27, 29, ()),
            ("function", "def", "total_area", 32, 33, ()),
        ],
        "refs": {
            ("square", "call"),
            ("sum", "call"),
            ("property", "call"),
            ("Shape", "class"),
            ("Sequence", "type"),
            ("float", "type"),
        },
        "imports": [Import("math", (), 3), Import("collections.abc", ("Iterable", "Sequence"), 4)],
    },
    "javascript": {
        "file": "cart.js",
        "defs": [
            ("class", "class", "Cart", 7, 18, ()),
            ("method", "", "constructor", 8, 11, ("class Cart",)),
            ("method", "", "add", 14, 17, ("class Cart",)),
            ("function", "function", "total", 21, 23, ()),
            ("function", "const", "describe", 25, 25, ()),
        ],
        "refs": {
            ("EventEmitter", "class"),
            ("push", "call"),
            ("emit", "call"),
            ("roundTo", "call"),
            ("reduce", "call"),
            ("formatPrice", "call"),
            ("total", "call"),
        },
        "imports": [Import("./money.js", ("formatPrice", "round"), 1), Import("events", (), 2)],
    },
    "typescript": {
        "file": "store.ts",
        "defs": [
            ("interface", "interface", "Storable", 5, 8, ()),
            ("method", "", "save", 7, 7, ("interface Storable",)),
            ("type", "type", "ItemMap", 10, 10, ()),
            ("enum", "enum", "Status", 12, 15, ()),
            ("class", "class", "Store", 18, 26, ()),
            ("method", "", "put", 22, 25, ("class Store",)),
            ("function", "function", "createStore", 28, 30, ()),
            ("function", "const", "count", 32, 32, ()),
        ],
        "refs": {
            ("EventEmitter", "class"),
            ("Storable", "type"),
            ("Item", "type"),
            ("Store", "class"),
            ("set", "call"),
            ("emit", "call"),
            ("listenerCount", "call"),
        },
        "imports": [Import("events", ("EventEmitter",), 1), Import("./item", ("Item",), 2)],
    },
    "tsx": {
        "file": "Button.tsx",
        "defs": [
            ("interface", "interface", "ButtonProps", 3, 6, ()),
            ("function", "function", "Button", 9, 16, ()),
            ("class", "class", "Panel", 18, 22, ()),
            ("method", "", "render", 19, 21, ("class Panel",)),
        ],
        "refs": {
            ("useState", "call"),
            ("setCount", "call"),
            ("Button", "call"),
            ("ButtonProps", "type"),
            ("Component", "class"),
        },
        "imports": [Import("react", ("React", "useState"), 1)],
    },
    "go": {
        "file": "server.go",
        "defs": [
            ("module", "package", "server", 2, 2, ()),
            ("constant", "const", "MaxConns", 10, 10, ()),
            ("interface", "interface", "Greeter", 13, 15, ()),
            ("method", "", "Greet", 14, 14, ("interface Greeter",)),
            ("class", "struct", "Server", 18, 20, ()),
            ("method", "func", "Greet", 23, 25, ()),
            ("function", "func", "NewServer", 28, 31, ()),
        ],
        "refs": {("Sprintf", "call"), ("ListenAndServe", "call"), ("Server", "type"), ("string", "type")},
        "imports": [Import("fmt", (), 5), Import("net/http", (), 6)],
    },
    "rust": {
        "file": "queue.rs",
        "defs": [
            ("constant", "const", "MAX_LEN", 5, 5, ()),
            ("class", "struct", "Queue", 9, 11, ()),
            ("interface", "trait", "Sized2", 14, 16, ()),
            ("method", "fn", "len", 15, 15, ("trait Sized2",)),
            ("method", "fn", "push", 20, 25, ()),
            ("method", "fn", "fmt", 29, 31, ()),
            ("function", "fn", "new_queue", 35, 37, ()),
            ("enum", "enum", "Mode", 39, 42, ()),
        ],
        "refs": {
            ("Queue", "implementation"),
            ("Display", "implementation"),
            ("Queue", "class"),
            ("VecDeque", "type"),
            ("pop_front", "call"),
            ("push_back", "call"),
            ("write", "call"),
            ("new", "call"),
        },
        "imports": [Import("std::collections", ("VecDeque",), 1), Import("std::fmt", ("self", "Display"), 2)],
    },
    "java": {
        "file": "Library.java",
        "defs": [
            ("module", "package", "org.example.books", 1, 1, ()),
            ("class", "class", "Library", 9, 27, ()),
            ("method", "", "add", 15, 18, ("class Library",)),
            ("method", "", "iterator", 20, 22, ("class Library",)),
            ("method", "", "log", 24, 26, ("class Library",)),
            ("interface", "interface", "Shelf", 29, 31, ()),
            ("method", "", "capacity", 30, 30, ("interface Shelf",)),
        ],
        "refs": {
            ("Iterable", "implementation"),
            ("ArrayList", "class"),
            ("Book", "type"),
            ("log", "call"),
            ("title", "call"),
            ("println", "call"),
        },
        "imports": [Import("java.util", ("ArrayList",), 3), Import("java.util", ("List",), 4)],
    },
    "c": {
        "file": "buffer.c",
        "defs": [
            ("constant", "#define", "BUF_MIN", 4, 4, ()),
            ("class", "struct", "buffer", 7, 10, ()),
            ("type", "typedef", "buffer_t", 12, 12, ()),
            ("enum", "enum", "mode", 14, 14, ()),
            ("function", "", "buffer_new", 17, 22, ()),
            ("function", "", "buffer_reset", 24, 28, ()),
        ],
        "refs": {("malloc", "call"), ("buffer_reset", "call"), ("buffer_t", "type")},
        "imports": [Import("stdlib.h", (), 1), Import("buffer.h", (), 2)],
    },
    "cpp": {
        "file": "matrix.cpp",
        "defs": [
            ("module", "namespace", "linalg", 4, 30, ()),
            ("class", "class", "Matrix", 7, 17, ("namespace linalg",)),
            ("method", "", "Matrix", 9, 9, ("namespace linalg", "class Matrix")),
            ("method", "", "at", 12, 12, ("namespace linalg", "class Matrix")),
            ("method", "", "Matrix", 19, 19, ("namespace linalg",)),
            ("function", "", "identity", 22, 26, ("namespace linalg",)),
            ("class", "struct", "Point", 28, 28, ("namespace linalg",)),
        ],
        "refs": {("fill_diagonal", "call"), ("Matrix", "type"), ("vector", "type")},
        "imports": [Import("vector", (), 1), Import("matrix.h", (), 2)],
    },
    "csharp": {
        "file": "Inventory.cs",
        "defs": [
            ("module", "namespace", "Shop.Stock", 4, 38, ()),
            ("class", "class", "Inventory", 7, 19, ("namespace Shop.Stock",)),
            ("method", "", "Add", 12, 16, ("namespace Shop.Stock", "class Inventory")),
            ("method", "", "Count", 18, 18, ("namespace Shop.Stock", "class Inventory")),
            ("interface", "interface", "IInventory", 21, 24, ("namespace Shop.Stock",)),
            ("method", "", "Add", 23, 23, ("namespace Shop.Stock", "interface IInventory")),
            ("class", "struct", "Pallet", 26, 26, ("namespace Shop.Stock",)),
            ("enum", "enum", "Zone", 28, 28, ("namespace Shop.Stock",)),
            ("class", "class", "Util", 30, 37, ("namespace Shop.Stock",)),
            ("method", "", "Twice", 32, 36, ("namespace Shop.Stock", "class Util")),
            ("function", "", "Double", 34, 34, ("namespace Shop.Stock", "class Util", "Twice")),
        ],
        "refs": {
            ("IInventory", "class"),
            ("Dictionary", "class"),
            ("Count", "call"),
            ("Double", "call"),
            ("WriteLine", "send"),
            ("GetValueOrDefault", "send"),
        },
        "imports": [Import("System", (), 1), Import("System.Collections.Generic", (), 2)],
    },
    "ruby": {
        "file": "account.rb",
        "defs": [
            ("module", "module", "Bank", 5, 24, ()),
            ("class", "class", "Account", 7, 19, ("module Bank",)),
            ("constant", "", "MIN_BALANCE", 8, 8, ("module Bank", "class Account")),
            ("method", "def", "deposit", 11, 14, ("module Bank", "class Account")),
            ("method", "def", "open", 16, 18, ("module Bank", "class Account")),
            ("method", "def", "audit", 21, 23, ("module Bank",)),
            ("function", "def", "format_cents", 27, 29, ()),
        ],
        "refs": {
            ("Base", "class"),
            ("Ledger", "class"),
            ("record", "call"),
            ("each", "call"),
            ("format", "call"),
        },
        "imports": [Import("json", (), 1), Import("ledger", (), 2)],
    },
    "php": {
        "file": "UserRepository.php",
        "defs": [
            ("module", "namespace", "App\\Repositories", 3, 3, ()),
            ("class", "class", "UserRepository", 13, 24, ()),
            ("field", "", "cache", 15, 15, ("class UserRepository",)),
            ("method", "function", "find", 20, 23, ("class UserRepository",)),
            ("interface", "interface", "Repository", 26, 29, ()),
            ("method", "function", "find", 28, 28, ("interface Repository",)),
            ("function", "function", "make_repository", 31, 34, ()),
        ],
        "refs": {
            ("Repository", "implementation"),
            ("UserRepository", "class"),
            ("User", "type"),
            ("query", "call"),
            ("find", "call"),
        },
        "imports": [
            Import("App\\Models", ("User",), 5),
            Import("Illuminate\\Support", ("Collection",), 6),
            Import("/helpers.php", (), 8),
        ],
    },
    "kotlin": {
        "file": "Orders.kt",
        "defs": [
            ("module", "package", "com.example.orders", 1, 1, ()),
            ("class", "class", "Line", 7, 7, ()),
            ("class", "class", "OrderBook", 12, 20, ()),
            ("property", "val", "lines", 13, 13, ("class OrderBook",)),
            ("method", "fun", "add", 16, 19, ("class OrderBook",)),
            ("interface", "interface", "Clock", 22, 24, ()),
            ("method", "fun", "now", 23, 23, ("interface Clock",)),
            ("object", "object", "Registry", 26, 28, ()),
            ("constant", "val", "MAX", 27, 27, ("object Registry",)),
            ("function", "fun", "log", 30, 30, ()),
        ],
        "refs": {
            ("mutableListOf", "call"),
            ("log", "call"),
            ("now", "call"),
            ("println", "call"),
            ("Clock", "type"),
            ("Line", "type"),
            ("Instant", "type"),
        },
        "imports": [Import("java.time", ("Instant",), 3), Import("kotlinx.coroutines.flow", ("Flow",), 4)],
    },
    "swift": {
        "file": "Counter.swift",
        "defs": [
            ("interface", "protocol", "Resettable", 4, 6, ()),
            ("method", "func", "reset", 5, 5, ("protocol Resettable",)),
            ("class", "class", "Counter", 9, 21, ()),
            ("property", "var", "count", 10, 10, ("class Counter",)),
            ("method", "func", "increment", 13, 16, ("class Counter",)),
            ("method", "func", "reset", 18, 20, ("class Counter",)),
            ("class", "struct", "Point", 23, 26, ()),
            ("property", "var", "x", 24, 24, ("struct Point",)),
            ("property", "var", "y", 25, 25, ("struct Point",)),
            ("function", "func", "notify", 28, 30, ()),
        ],
        "refs": {("Resettable", "class"), ("notify", "call"), ("print", "call"), ("Double", "type")},
        "imports": [Import("Foundation", (), 1)],
    },
    "scala": {
        "file": "Catalog.scala",
        "defs": [
            ("module", "package", "shop.catalog", 1, 1, ()),
            ("class", "class", "Product", 7, 7, ()),
            ("property", "", "id", 7, 7, ("class Product",)),
            ("property", "", "price", 7, 7, ("class Product",)),
            ("interface", "trait", "Priced", 10, 12, ()),
            ("method", "def", "price", 11, 11, ("trait Priced",)),
            ("class", "class", "Catalog", 15, 25, ()),
            ("variable", "val", "items", 16, 16, ("class Catalog",)),
            ("method", "def", "add", 19, 22, ("class Catalog",)),
            ("method", "def", "price", 24, 24, ("class Catalog",)),
            ("object", "object", "Catalog", 27, 29, ()),
            ("variable", "val", "MaxItems", 28, 28, ("object Catalog",)),
            ("function", "def", "log", 31, 31, ()),
        ],
        "refs": {
            ("Priced", "class"),
            ("log", "call"),
            ("map", "call"),
            ("println", "call"),
            ("Product", "type"),
        },
        "imports": [
            Import("scala.collection", ("mutable",), 3),
            Import("java.time", ("Instant", "Duration"), 4),
        ],
    },
    "bash": {
        "file": "deploy.sh",
        "defs": [
            ("constant", "", "RELEASE_DIR", 8, 8, ()),
            ("function", "", "log", 11, 13, ()),
            ("function", "function", "deploy", 15, 18, ()),
        ],
        "refs": {("log", "call"), ("deploy", "call"), ("rsync", "call"), ("date", "call")},
        "imports": [Import("./lib/common.sh", (), 5), Import("$HOME/.deployrc", (), 6)],
    },
}

# What a language cannot have: C has no methods, Java no functions outside a class, Bash
# neither types nor methods.
NOT_IN_LANGUAGE = {"c": {"method"}, "java": {"function"}, "bash": {"class", "method"}}
CLASS_KINDS = {"class", "interface", "enum", "type", "object"}


def _extract(language: str) -> FileSymbols:
    path = FIXTURES / language / str(EXPECTED[language]["file"])
    return symbols.extract(path.read_bytes(), language, path=str(path))


def _by_name(fs: FileSymbols, name: str, kind: str | None = None) -> Definition:
    found = [d for d in fs.definitions if d.name == name and (kind is None or d.kind == kind)]
    assert len(found) == 1, found
    return found[0]


def test_every_grammar_language_has_a_fixture():
    assert set(EXPECTED) == set(languages.GRAMMARS)


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_fixture_symbols(language):
    fs = _extract(language)
    want = EXPECTED[language]
    assert fs.fallback is None and not fs.has_errors
    assert fs.language == language
    got: list[Def] = [(d.kind, d.keyword, d.name, d.start_line, d.end_line, d.scope) for d in fs.definitions]
    assert got == want["defs"]
    refs = {(r.name, r.kind) for r in fs.references}
    assert want["refs"] <= refs, sorted(want["refs"] - refs)
    assert list(fs.imports) == want["imports"]


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_each_language_yields_the_required_kinds(language):
    fs = _extract(language)
    kinds = {d.kind for d in fs.definitions}
    missing = NOT_IN_LANGUAGE.get(language, set())
    if "class" not in missing:
        assert kinds & CLASS_KINDS
    if "function" not in missing:
        assert "function" in kinds
    if "method" not in missing:
        assert "method" in kinds
        method = next(d for d in fs.definitions if d.kind == "method" and d.scope)
        assert method.scope  # a method knows its class
    assert fs.imports and fs.references


def test_definitions_are_in_source_order_and_byte_ranges_match_lines():
    for language in EXPECTED:
        fs = _extract(language)
        source = (FIXTURES / language / str(EXPECTED[language]["file"])).read_bytes()
        starts = [(d.start_byte, -d.end_byte) for d in fs.definitions]
        assert starts == sorted(starts), language
        for d in fs.definitions:
            assert source.count(b"\n", 0, d.start_byte) + 1 == d.start_line
            assert d.name.encode() in source[d.start_byte : d.end_byte] or d.name == "init"


def test_references_never_name_a_definition_at_its_own_place():
    fs = _extract("go")
    own = {(d.name, d.start_line) for d in fs.definitions}
    # `type Server struct` defines Server on line 18; no type reference there
    assert ("Server", 18) in own
    assert not [r for r in fs.references if (r.name, r.line) == ("Server", 18)]


def test_python_signature_doc_scope():
    fs = _extract("python")
    area = fs.definitions[2]
    assert area.label == "def area"
    assert area.signature == "def area(self) -> float:"
    assert area.doc == "The area of the shape."
    assert area.scope == ("class Shape",)
    circle = _by_name(fs, "Circle")
    assert circle.signature == "class Circle(Shape):"
    assert circle.doc == "A circle, centred on the origin."  # the leading comment, no docstring
    assert _by_name(fs, "square").doc == "Multiply x by itself."
    assert _by_name(fs, "total_area").signature == ("async def total_area(shapes: Sequence[Shape]) -> float:")
    assert _by_name(fs, "SCALE").signature == "SCALE = 2"
    assert _by_name(fs, "__init__").doc == ""


def test_go_signature_doc():
    fs = _extract("go")
    greet = fs.definitions[5]
    assert (greet.name, greet.scope) == ("Greet", ())
    assert greet.signature == "func (s *Server) Greet(name string) string"
    assert greet.doc == "Greet returns a greeting for name."
    server = _by_name(fs, "Server")
    assert server.signature == "type Server struct"
    assert server.doc == "Server holds the listener state."
    assert _by_name(fs, "Greeter").signature == "type Greeter interface"
    assert _by_name(fs, "MaxConns").doc == "MaxConns is the connection limit."


def test_java_signature_doc():
    fs = _extract("java")
    add = _by_name(fs, "add")
    assert add.signature == "public void add(Book book)"
    assert add.doc == "Add a book to the library."
    library = _by_name(fs, "Library")
    assert library.signature == "public class Library implements Iterable<Book>"
    assert library.doc == "A collection of books."
    assert _by_name(fs, "log").signature == "private static void log(String message)"


def test_rust_signature_doc():
    fs = _extract("rust")
    push = _by_name(fs, "push")
    assert push.signature == "pub fn push(&mut self, item: T)"
    assert push.doc == "Push an item, dropping the oldest when full."
    queue = _by_name(fs, "Queue")
    assert queue.signature == "pub struct Queue<T>"
    assert queue.doc == "A bounded FIFO queue."  # through the #[derive] attribute
    assert _by_name(fs, "fmt").signature == ("fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result")
    assert _by_name(fs, "MAX_LEN").signature == "pub const MAX_LEN: usize = 64"


def test_javascript_signature_doc():
    fs = _extract("javascript")
    cart = _by_name(fs, "Cart")
    assert cart.signature == "class Cart extends EventEmitter"
    assert cart.doc == "A shopping cart."  # before `export`
    add = _by_name(fs, "add")
    assert (add.signature, add.doc) == ("add(item)", "Add an item and notify listeners.")
    assert _by_name(fs, "total").doc == "Sum of the prices of all items."
    assert _by_name(fs, "describe").signature == "const describe = (cart) =>"


@pytest.mark.parametrize(
    ("language", "name", "doc"),
    [
        ("typescript", "Store", "An in-memory store."),
        ("typescript", "put", "Put a value in the store."),
        ("c", "buffer_new", "Create an empty buffer."),
        ("cpp", "at", "The element at (r, c)."),
        ("csharp", "Inventory", "Tracks items in stock."),
        ("ruby", "Account", "An account with a balance."),
        ("ruby", "format_cents", "Format an amount in cents."),
        ("php", "find", "Find a user by id."),
        ("kotlin", "OrderBook", "Keeps orders in memory."),
        ("swift", "increment", "Increment by one."),
        ("scala", "add", "Add a product."),
        ("bash", "log", "Print a message with a timestamp."),
    ],
)
def test_leading_doc_comments(language, name, doc):
    fs = _extract(language)
    assert next(d.doc for d in fs.definitions if d.name == name) == doc


def test_doc_comment_rules():
    src = textwrap.dedent("""\
        x = 1  # trailing, not a doc

        # detached by a blank line

        # first line
        #   indented second line
        def f():
            pass
        """).encode()
    fs = symbols.extract(src, "python")
    assert _by_name(fs, "f").doc == "first line\n  indented second line"
    src = b"/**\n * Sum.\n *\n * @param a first\n */\nfunction sum(a) {}\n"
    assert symbols.extract(src, "javascript").definitions[0].doc == "Sum.\n\n@param a first"
    src = b"x = 1  # a trailing comment\ndef g():\n    pass\n"
    assert _by_name(symbols.extract(src, "python"), "g").doc == ""


def test_long_signature_is_cut():
    params = ", ".join(f"p{i}: int" for i in range(100))
    d = symbols.extract(f"def f({params}):\n    pass\n".encode(), "python").definitions[0]
    assert len(d.signature) == symbols.SIGNATURE_CHARS and d.signature.endswith("...")
    assert d.signature.startswith("def f(p0: int, p1: int")


def test_more_imports():
    py = (
        b"import os, sys\nimport a.b as ab\nfrom . import views\nfrom .m import *\n"
        b"from __future__ import annotations\nfrom x import (y as z,\n    w)\n"
    )
    assert list(symbols.extract(py, "python").imports) == [
        Import("os", (), 1),
        Import("sys", (), 1),
        Import("a.b", (), 2),
        Import(".", ("views",), 3),
        Import(".m", ("*",), 4),
        Import("__future__", ("annotations",), 5),
        Import("x", ("y", "w"), 6),
    ]
    js = (
        b'import D, * as ns from "d";\nexport { a } from "./a";\nconst c = require(\'c\');\n'
        b'import("./lazy");\nimport "side-effect";\n'
    )
    assert list(symbols.extract(js, "javascript").imports) == [
        Import("d", ("D", "*"), 1),
        Import("./a", (), 2),
        Import("c", (), 3),
        Import("./lazy", (), 4),
        Import("side-effect", (), 5),
    ]
    rs = b"use a::b::{c, d as e, f::g};\nuse h::*;\nuse i;\nextern crate j;\n"
    assert list(symbols.extract(rs, "rust").imports) == [
        Import("a::b", ("c", "d", "f::g"), 1),
        Import("h", ("*",), 2),
        Import("i", (), 3),
        Import("j", (), 4),
    ]
    java = b"import static java.lang.Math.max;\nimport java.util.*;\nclass A {}\n"
    assert list(symbols.extract(java, "java").imports) == [
        Import("java.lang.Math", ("max",), 1),
        Import("java.util", ("*",), 2),
    ]
    kt = b"import a.b.*\nimport c.D as E\nclass A\n"
    assert list(symbols.extract(kt, "kotlin").imports) == [Import("a.b", ("*",), 1), Import("c", ("D",), 2)]
    scala = b"import a.b._\nimport x.y.{Z => W}\n"
    assert list(symbols.extract(scala, "scala").imports) == [
        Import("a.b", ("_",), 1),
        Import("x.y", ("Z",), 2),
    ]
    cs = b"using Foo = A.B.C;\nusing static System.Math;\nclass K {}\n"
    assert list(symbols.extract(cs, "csharp").imports) == [
        Import("A.B.C", (), 1),
        Import("System.Math", (), 2),
    ]
    cpp = b"#include <map>\nusing namespace std;\nusing std::string;\n"
    assert list(symbols.extract(cpp, "cpp").imports) == [
        Import("map", (), 1),
        Import("std", (), 2),
        Import("std", ("string",), 3),
    ]
    php = b"<?php\nuse App\\{A, B\\C as D};\ninclude 'x.php';\n"
    assert list(symbols.extract(php, "php").imports) == [
        Import("App", ("A", "B\\C"), 2),
        Import("x.php", (), 3),
    ]
    rb = b"require 'a'\nload 'b.rb'\nfoo 'c'\n"
    assert list(symbols.extract(rb, "ruby").imports) == [Import("a", (), 1), Import("b.rb", (), 2)]
    sh = b"source a.sh\n. b.sh\necho c.sh\n"
    assert list(symbols.extract(sh, "bash").imports) == [Import("a.sh", (), 1), Import("b.sh", (), 2)]


def test_syntax_errors_yield_what_is_recovered():
    src = b"def good(a):\n    return a\n\ndef broken(:\n    pass\n\nclass After:\n    def m(self): ...\n"
    fs = symbols.extract(src, "python", path="bad.py")
    assert fs.has_errors and fs.fallback is None
    names = [d.name for d in fs.definitions]
    assert "good" in names and "After" in names and "m" in names
    assert fs.path == "bad.py"


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (None, "unknown language"),
        ("markdown", "text format"),
        ("json", "text format"),
        ("yaml", "text format"),
        ("toml", "text format"),
        ("html", "no grammar for html"),
        ("cobol", "no grammar for cobol"),
    ],
)
def test_unparsed_languages_fall_back(language, reason):
    fs = symbols.extract(b"x = 1\n", language, path="f")
    assert fs == FileSymbols("f", language, (), (), (), fallback=reason)
    if language is not None:
        assert symbols.parse(b"x = 1\n", language) is None


def test_parse_returns_a_tree_that_extract_can_reuse():
    src = (FIXTURES / "python" / "shapes.py").read_bytes()
    tree = symbols.parse(src, "python")
    assert tree is not None and tree.root_node.type == "module"
    assert symbols.extract(src, "python", tree=tree) == symbols.extract(src, "python")


def test_too_large_and_minified_files_fall_back():
    fs = symbols.extract(b"x=1;" * (symbols.MAX_BYTES // 4 + 1), "javascript")
    assert fs.fallback is not None and fs.fallback.startswith("too large to parse")
    line = b"var a=" + b"1+" * (symbols.MAX_LINE // 2) + b"1;\n"
    fs = symbols.extract(b"function f() {}\n" + line, "javascript")
    assert fs.fallback is not None and fs.fallback.startswith("a line longer than")


def test_parse_time_limit_and_parser_still_works_after():
    src = b"def f(x):\n    return g(x)\n" * 20_000
    fs = symbols.extract(src, "python", timeout=0.0)
    assert fs.fallback == "parse took longer than 0 s"
    assert symbols.parse(src, "python", timeout=0.0) is None
    # the cancelled parse is not resumed by the next one on this thread
    fs = symbols.extract(b"def h():\n    pass\n", "python")
    assert [d.name for d in fs.definitions] == ["h"] and not fs.has_errors


def test_runs_of_loose_tokens_fall_back_fast():
    fs = symbols.extract(b"x = " + b"(" * 100_000 + b"\n", "python")
    assert fs.fallback is not None and "loose tokens" in fs.fallback


def test_definitions_nested_too_deep_are_left_out():
    src = b"function a(){" * 300 + b"}" * 300
    fs = symbols.extract(src, "javascript")
    assert len(fs.definitions) == symbols.MAX_DEPTH
    assert fs.definitions[-1].scope == ("function a",) * (symbols.MAX_DEPTH - 1)


_PATHOLOGICAL = textwrap.dedent("""\
    import sys, time
    from packer import symbols
    cases = [
        ("python", b"x = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b"\\n"),
        ("javascript", b"x = " + b"[" * 10_000 + b"1" + b"]" * 10_000 + b";\\n"),
        ("c", b"int x = " + b"(" * 10_000 + b"1" + b")" * 10_000 + b";\\n"),
        ("javascript", b"function a(){" * 10_000 + b"}" * 10_000),
        ("rust", b"fn a(){" * 10_000 + b"}" * 10_000),
        ("javascript", b"x=1;" * 1_250_000),
        ("python", b"x = [" + b"1," * 2_500_000 + b"]"),
        ("python", b"x = " + b"(" * 1_000_000),
        ("ruby", b"[" * 10_000),
    ]
    for language, src in cases:
        t = time.perf_counter()
        fs = symbols.extract(src, language)
        symbols.parse(src, language)
        print(language, len(src), fs.fallback, len(fs.definitions), round(time.perf_counter() - t, 2))
    print("done")
""")


def test_deep_nesting_and_huge_lines_neither_crash_nor_hang():
    # In a child process: a crash in C would kill pytest; a hang is cut by the timeout.
    res = subprocess.run(
        [sys.executable, "-c", _PATHOLOGICAL], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[-1] == "done"
    assert lines[0].split()[:3] == ["python", "20006", "None"]  # parsed, not a fallback
    assert "too large to parse" in lines[5]


def test_thread_safe_and_same_as_serial():
    jobs = [(FIXTURES / lang / str(want["file"]), lang) for lang, want in EXPECTED.items()] * 8
    serial = [symbols.extract(p.read_bytes(), lang) for p, lang in jobs]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda j: symbols.extract(j[0].read_bytes(), j[1]), jobs))
    assert parallel == serial


# -- the queries -----------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(languages.GRAMMARS))
def test_every_query_compiles_against_its_grammar(language):
    for kind in ("tags", "imports"):
        query = languages.load_query(language, kind)
        assert query is not None and query.pattern_count > 0, (language, kind)
    joined = languages.load_query(language, "tags", "imports")
    assert joined is not None
    tags = languages.query_text(language, "tags") or ""
    assert "@definition." in tags and "@reference." in tags and "@name" in tags


def _installed_packer_grammars() -> Path | None:
    installed = resources.files("packer") / "grammars"
    return Path(str(installed)) if installed.is_dir() else None


def test_queries_are_loaded_from_the_installed_package(tmp_path):
    installed = _installed_packer_grammars()
    if installed is not None:
        # A regular install (CI: `pip install '.[test]'`): the queries are package data.
        assert Path(str(languages.grammars_dir())) == installed
        assert installed.parent.name == "packer" and installed.parent.parent.name == "site-packages"
        for language in languages.GRAMMARS:
            assert (installed / language / "tags.scm").is_file()
            assert (installed / language / "imports.scm").is_file()
        return
    # An editable install has no packer/grammars: build the wheel and check what it
    # carries, then load the queries from the unpacked wheel, not from the source tree.
    out = tmp_path / "wheel"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
    try:
        import hatchling  # noqa: F401

        cmd.insert(4, "--no-build-isolation")
    except ImportError:
        pass
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    (wheel,) = out.glob("packer-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for language in languages.GRAMMARS:
            assert f"packer/grammars/{language}/tags.scm" in names
            assert f"packer/grammars/{language}/imports.scm" in names
        assert "packer/grammars/README.md" in names
        site = tmp_path / "site"
        z.extractall(site)
    check = textwrap.dedent("""\
        import sys
        from pathlib import Path
        import packer
        from packer import languages, symbols
        site = Path(sys.argv[1]).resolve()
        assert Path(packer.__file__).resolve().is_relative_to(site), packer.__file__
        where = Path(str(languages.grammars_dir())).resolve()
        assert where == site / "packer" / "grammars", where
        for language in languages.GRAMMARS:
            assert languages.load_query(language, "tags", "imports") is not None
        fs = symbols.extract(b"def f():\\n    pass\\n", "python")
        assert [d.name for d in fs.definitions] == ["f"]
        print("ok")
    """)
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    res = subprocess.run(
        [sys.executable, "-c", check, str(site)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


# -- without detail: what the reference graph needs ------------------------------------


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_bare_symbols_are_the_detailed_ones_less_the_detail(language):
    path = FIXTURES / language / str(EXPECTED[language]["file"])
    full = symbols.extract(path.read_bytes(), language, path=str(path))
    bare = symbols.extract(path.read_bytes(), language, path=str(path), detail=False)
    assert bare.definitions and bare.references

    def where(fs: FileSymbols) -> list[tuple[object, ...]]:
        return [(d.name, d.kind, d.start_line, d.end_line, d.start_byte, d.end_byte) for d in fs.definitions]

    assert where(bare) == where(full)
    assert bare.references == full.references and bare.imports == full.imports
    assert (bare.language, bare.has_errors, bare.fallback) == (full.language, full.has_errors, full.fallback)
    assert {(d.keyword, d.signature, d.doc, d.scope) for d in bare.definitions} == {("", "", "", ())}


CHUNK_FIXTURES = FIXTURES.parent / "chunk"


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_scope_definitions_are_extracts_less_signatures_and_docs(language):
    """`definitions` (what the chunker names scopes with) runs the definition patterns
    alone, and finds what `extract` finds, nested scopes included, on two files each."""
    sources = [(FIXTURES / language / str(EXPECTED[language]["file"])).read_bytes()]
    sources += [f.read_bytes() for f in CHUNK_FIXTURES.iterdir() if languages.detect(f.name) == language]
    assert len(sources) == 2
    for src in sources:
        tree = symbols.parse(src, language)
        assert tree is not None
        got = symbols.definitions(src, language, tree=tree)
        want = symbols.extract(src, language, tree=tree).definitions
        assert got and got == tuple(replace(d, signature="", doc="") for d in want)
    query = languages.definitions_query(language)
    assert query is not None and query is not languages.load_query(language, "tags", "imports")
    names = {name for _i, caps in tree_sitter.QueryCursor(query).matches(tree.root_node) for name in caps}
    assert any(n.startswith("definition.") for n in names), names
    assert not any(n.startswith(("reference.", "import")) for n in names), names
    # the shared query still finds references
    assert symbols.extract(sources[0], language).references


def test_scope_definitions_without_a_grammar_or_query(monkeypatch):
    tree = symbols.parse(b"x = 1\n", "python")
    assert tree is not None
    assert symbols.definitions(b"x = 1\n", "markdown", tree=tree) == ()
    monkeypatch.setattr(languages, "query_text", lambda name, kind="tags": None)
    languages.definitions_query.cache_clear()
    try:
        assert symbols.definitions(b"X = 1\n", "python", tree=tree) == ()
    finally:
        monkeypatch.undo()
        languages.definitions_query.cache_clear()


def test_bare_symbols_share_their_names_between_files():
    a = symbols.extract(b"int shared_name(void) { return other_fn(); }\n", "c", detail=False)
    b = symbols.extract(b"void g(void) { shared_name(); other_fn(); }\n", "c", detail=False)
    assert a.definitions[0].name is next(r.name for r in b.references if r.name == "shared_name")
    assert a.references[0].name is b.references[-1].name == "other_fn"
    # with detail, each record has its own string (nothing is kept alive across files)
    c = symbols.extract(b"int shared_name(void) { return 1; }\n", "c")
    assert c.definitions[0].name == "shared_name"


def test_bare_symbols_leave_out_the_same_deep_definitions():
    src = b"function a(){" * 300 + b"}" * 300
    full, bare = symbols.extract(src, "javascript"), symbols.extract(src, "javascript", detail=False)
    assert len(bare.definitions) == symbols.MAX_DEPTH
    assert [d.start_byte for d in bare.definitions] == [d.start_byte for d in full.definitions]
    # siblings after a nested run are not taken for its children
    src = b"void a(void) { }\nvoid b(void) { }\n" * 150
    bare = symbols.extract(src, "c", detail=False)
    assert len(bare.definitions) == 300


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_a_tree_without_its_text_is_the_same_tree(language):
    src = (FIXTURES / language / str(EXPECTED[language]["file"])).read_bytes()
    with_text, without = symbols.parse(src, language), symbols.parse(src, language, text=False)
    assert with_text is not None and without is not None
    assert str(without.root_node) == str(with_text.root_node)  # node types and fields, not text
    big = src * (symbols.MAX_BYTES // 2 // len(src))  # under the size limit: the time limit holds
    assert symbols.parse(big, language, text=False, timeout=0.0) is None
    assert symbols.parse(big, language, text=False) is not None


def test_extract_on_a_tree_without_text_when_the_queries_test_no_text():
    src = (FIXTURES / "c" / str(EXPECTED["c"]["file"])).read_bytes()
    tree = symbols.parse(src, "c", text=False)
    assert symbols.extract(src, "c", tree=tree) == symbols.extract(src, "c")


def test_a_parse_reads_only_its_own_file_from_the_reused_buffer():
    # Each thread copies files into one buffer; a short file after a long one must not
    # see the long one's leftover bytes past its end.
    long = b"int a_long_function_name(void) { return 1; }\n" * 200
    short = b"int x;\n"
    assert symbols.parse(long, "c") is not None
    for text in (True, False):
        tree = symbols.parse(short, "c", text=text)
        assert tree is not None and tree.root_node.end_byte == len(short)
        assert (
            str(tree.root_node)
            == "(translation_unit (declaration type: (primitive_type) declarator: (identifier)))"
        )
    fs = symbols.extract(short, "c")
    assert fs.definitions == () and not fs.has_errors
    assert [d.name for d in symbols.extract(long[:46], "c").definitions] == ["a_long_function_name"]
