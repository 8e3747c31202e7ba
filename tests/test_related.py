"""What a task's own files say about the others: neighbours, companions, names, proximity."""

from __future__ import annotations

import textwrap

import pytest

from packer import graph as graphs
from packer import languages, related, symbols
from packer.records import DiffSection, FileSymbols


def _graph(files: dict[str, str]) -> tuple[list[str], graphs.FileGraph]:
    paths = sorted(files)
    syms: list[FileSymbols | None] = []
    for p in paths:
        text = textwrap.dedent(files[p])
        lang = languages.detect(p, text[:256])
        syms.append(symbols.extract(text.encode(), lang, path=p) if languages.is_code(lang) else None)
    return paths, graphs.build_graph(paths, syms)


SHOP = {
    "shop/money.py": """\
        def format_price(cents):
            return str(cents)
        """,
    "shop/cart.py": """\
        from shop.money import format_price

        def cart_total(items):
            return format_price(sum(items))
        """,
    "shop/checkout.py": """\
        from shop.cart import cart_total

        def checkout(items):
            return cart_total(items)
        """,
    "shop/stock.py": """\
        def restock_shelves(n):
            return n
        """,
    "shop/audit.py": """\
        def audit_stock(shelves):
            return restock_shelves(shelves) + cart_total([])
        """,
    "tools/lint.py": """\
        def lint(path):
            return path
        """,
}


def test_neighbours_go_both_ways_one_step():
    paths, g = _graph(SHOP)
    cart = paths.index("shop/cart.py")
    got = related.neighbours(g, len(paths), [cart])
    score = dict(zip(paths, got.tolist(), strict=True))
    assert score["shop/money.py"] > 0  # what cart uses
    assert score["shop/checkout.py"] > 0  # what uses cart
    assert score["shop/cart.py"] == 0  # the task file itself
    assert score["shop/stock.py"] == 0 and score["tools/lint.py"] == 0
    assert related.neighbours(None, len(paths), [cart]).tolist() == [0.0] * len(paths)


def test_companions_pair_tests_and_the_files_they_test_both_ways():
    paths = [
        "pkg/nodes.py",
        "pkg/util.py",
        "tests/test_nodes.py",
        "tests/test_util.py",
        "other/nodes.py",
        "src/FooBar.java",
        "test/FooBarTest.java",
    ]
    kinds = ["source", "source", "test", "test", "source", "source", "test"]
    # a source file's test
    assert related.companions(paths, kinds, [0]) == {2: 0}
    # a test's source: both files named "nodes", neither nearer than the other
    assert related.companions(paths, kinds, [2]) == {0: 2, 4: 2}
    # generic names (util, __init__, index) pair nothing
    assert related.companions(paths, kinds, [1]) == {}
    assert related.companions(paths, kinds, [5]) == {6: 5}
    # a companion that is itself a task file is not listed
    assert related.companions(paths, kinds, [0, 2]) == {4: 2}


def test_companions_prefer_the_nearest_directory():
    paths = ["a/x/parser.go", "a/x/parser_test.go", "b/parser_test.go"]
    kinds = ["source", "test", "test"]
    assert related.companions(paths, kinds, [0]) == {1: 0}


def test_diff_names_are_the_identifiers_of_added_and_removed_lines():
    text = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n"
        " unchanged_context = 1\n-old_name(x)\n+new_name(x, flag)\n"
    )
    got = related.diff_names([DiffSection("a.py", text)])
    assert got == ["old_name", "x", "new_name", "x", "flag"]
    assert "unchanged_context" not in got and "py" not in got


def test_names_score_files_sharing_the_task_files_identifiers():
    paths, g = _graph(SHOP)
    audit = paths.index("shop/audit.py")
    got = dict(zip(paths, related.names(g, len(paths), [audit]).tolist(), strict=True))
    # audit uses restock_shelves (defined in stock.py) and cart_total (defined in cart.py, used by checkout)
    assert got["shop/stock.py"] > 0 and got["shop/cart.py"] > 0 and got["shop/checkout.py"] > 0
    assert got["tools/lint.py"] == 0 and got["shop/money.py"] == 0
    assert got["shop/audit.py"] == 0
    assert max(got.values()) == pytest.approx(1.0)


def test_names_the_diff_touches_count_more():
    paths, g = _graph(SHOP)
    audit = paths.index("shop/audit.py")
    plain = dict(zip(paths, related.names(g, len(paths), [audit]).tolist(), strict=True))
    diff = related.names(g, len(paths), [audit], ["restock_shelves"])
    tilted = dict(zip(paths, diff.tolist(), strict=True))
    assert tilted["shop/stock.py"] / tilted["shop/cart.py"] > plain["shop/stock.py"] / plain["shop/cart.py"]


def test_proximity_is_the_share_of_directories_shared():
    paths = ["a/b/c/x.py", "a/b/c/y.py", "a/b/z.py", "a/q.py", "r.py", "s/t.py"]
    got = related.proximity(paths, [0]).tolist()
    assert got[0] == 0.0  # the task file itself
    assert got[1] == 1.0  # same directory
    assert got[2] > got[3] > got[4] == got[5] == 0.0
    assert related.proximity(["r.py", "q.py"], [0]).tolist() == [0.0, 1.0]  # both at the top


def test_tested_is_what_a_task_file_uses_one_way():
    paths, g = _graph(SHOP)
    cart = paths.index("shop/cart.py")
    got = dict(zip(paths, related.neighbours(g, len(paths), [cart], "uses").tolist(), strict=True))
    assert got["shop/money.py"] > 0  # cart uses it
    assert got["shop/checkout.py"] == 0  # it uses cart: the other way
