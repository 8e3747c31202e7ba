"""Ranking on small repositories where the right answer is known."""

from __future__ import annotations

import textwrap

import pytest

from packer import languages, symbols
from packer.errors import ConfigError
from packer.rank import (
    Ranked,
    RankWeights,
    classify,
    default_order,
    path_terms,
    rank,
    split_identifier,
    split_identifiers,
)
from packer.records import DiffSection, FileInfo, FileSymbols, GitSignals, Task


def _repo(files: dict[str, str]) -> tuple[list[FileInfo], list[FileSymbols | None]]:
    infos: list[FileInfo] = []
    syms: list[FileSymbols | None] = []
    for path in sorted(files):
        text = textwrap.dedent(files[path])
        lang = languages.detect(path, text[:256])
        infos.append(
            FileInfo(path, "/r/" + path, len(text), "0", "utf-8", lang, len(text) // 4 + 1, text.count("\n"))
        )
        syms.append(symbols.extract(text.encode(), lang, path=path) if languages.is_code(lang) else None)
    return infos, syms


def _order(infos: list[FileInfo], ranked: list[Ranked]) -> list[str]:
    return [infos[r.index].path for r in ranked]


def _by_path(infos: list[FileInfo], ranked: list[Ranked]) -> dict[str, Ranked]:
    return {infos[r.index].path: r for r in ranked}


APP = {
    "README.md": "# Shop\n\nA small shop.\n",
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/config.py": """\
        def parse_config(text):
            return dict(line.split("=") for line in text.splitlines())
        """,
    "shop/cart.py": """\
        from shop.config import parse_config
        from shop.money import format_price

        def load_cart(text):
            return parse_config(text)

        def show(cart):
            return format_price(cart)
        """,
    "shop/orders.py": """\
        from shop.config import parse_config
        from shop.money import format_price

        def load_orders(text):
            return parse_config(text), format_price(1)
        """,
    "shop/money.py": """\
        def format_price(cents):
            return f"{cents / 100:.2f}"
        """,
    "shop/inventory.py": """\
        def count_items(stock):
            return len(stock)
        """,
    "shop/report.py": """\
        from shop.money import format_price

        def render_report(rows):
            return [format_price(r) for r in rows]
        """,
    "shop/__main__.py": """\
        from shop.cart import load_cart

        def main():
            print(load_cart(""))
        """,
    "tests/test_money.py": """\
        from shop.money import format_price

        def test_format_price():
            assert format_price(100) == "1.00"
        """,
    "tests/test_inventory.py": """\
        from shop.inventory import count_items

        def test_count_items():
            assert count_items([]) == 0
        """,
    "docs/guide.md": "# Guide\n\nHow to use the shop.\n",
}


def test_query_names_a_function_defined_in_one_file_and_used_in_two():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(query="parse_config crashes on blank lines"))
    order = _order(infos, ranked)
    assert order[0] == "shop/config.py"
    assert set(order[1:3]) == {"shop/cart.py", "shop/orders.py"}
    reasons = _by_path(infos, ranked)
    assert "parse_config" in reasons["shop/config.py"].reason
    assert "config.py" in reasons["shop/cart.py"].reason  # "uses parse_config from ... config.py"


def test_focus_file_first_then_the_files_it_shares_code_with():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(focus=("shop/cart.py",)))
    order = _order(infos, ranked)
    assert order[0] == "shop/cart.py"
    # what cart uses, what uses it, and the sibling using the same two functions lead;
    # files sharing nothing with it come last
    assert set(order[1:5]) == {"shop/config.py", "shop/money.py", "shop/__main__.py", "shop/orders.py"}
    assert order.index("shop/inventory.py") > order.index("tests/test_money.py")
    by = _by_path(infos, ranked)
    assert by["shop/cart.py"].reason == "focus"
    assert by["shop/cart.py"].score > 1.0 > by["shop/config.py"].score
    assert "used by focus file shop/cart.py" in by["shop/config.py"].reason
    assert "imports focus file shop/cart.py" in by["shop/__main__.py"].reason


def test_focus_directory_and_changed_files_lead():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(focus=("tests/",), changed=("shop/report.py",)))
    by = _by_path(infos, ranked)
    top = _order(infos, ranked)[:3]
    assert set(top) == {"tests/test_money.py", "tests/test_inventory.py", "shop/report.py"}
    assert by["shop/report.py"].reason == "changed in diff"
    assert by["tests/test_money.py"].reason == "focus"


def test_priors_and_when_the_task_points_at_tests():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(query="format_price rounding"))
    by = _by_path(infos, ranked)
    assert _order(infos, ranked)[0] == "shop/money.py"
    plain = by["tests/test_money.py"].score
    ranked = rank(infos, symbols=syms, task=Task(query="format_price rounding in the tests"))
    assert _by_path(infos, ranked)["tests/test_money.py"].score > plain


@pytest.mark.parametrize(
    "task",
    [
        Task(query="format_price rounding in the tests"),
        Task(focus=("tests/test_money.py",)),
        Task(query="shop cart", focus=("shop/cart.py",)),
        Task(),
    ],
)
def test_kinds_kept_from_an_earlier_run_rank_as_classifying_again(task):
    """The kinds (`classify` of every path) are kept with the graph across runs: ranking
    with them is ranking without them, scores and reasons too, whatever kinds the task
    points at."""
    from packer.rank import kinds

    infos, syms = _repo(APP)
    kept = kinds(infos)
    assert kept.reason == [classify(f.path, f.language)[1] for f in infos]
    assert rank(infos, symbols=syms, task=task, kinds=kept) == rank(infos, symbols=syms, task=task)
    assert kept.score.tolist() == [classify(f.path, f.language)[0] for f in infos]  # not raised in place


def test_test_named_after_a_top_file_follows_it():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(query="count_items is wrong for empty stock"))
    order = _order(infos, ranked)
    assert order[:2] == ["shop/inventory.py", "tests/test_inventory.py"]
    assert "shop/inventory.py" in _by_path(infos, ranked)["tests/test_inventory.py"].reason
    no = rank(
        infos,
        symbols=syms,
        task=Task(query="count_items is wrong for empty stock"),
        weights=RankWeights(tests=0.0),
    )
    assert _order(infos, no).index("tests/test_inventory.py") >= order.index("tests/test_inventory.py")


def test_cochange_raises_a_file():
    infos, syms = _repo(APP)
    task = Task(focus=("shop/cart.py",))
    before = _order(infos, rank(infos, symbols=syms, task=task))
    signals = GitSignals(recency={}, churn={}, cochange={"shop/cart.py": {"docs/guide.md": 0.9}}, commits=10)
    ranked = rank(infos, symbols=syms, task=task, signals=signals)
    after = _order(infos, ranked)
    assert after.index("docs/guide.md") < before.index("docs/guide.md")
    assert "co-changes with shop/cart.py" in _by_path(infos, ranked)["docs/guide.md"].reason


def test_recency_and_churn_break_ties():
    infos, syms = _repo({"a/x.py": "X = 1\n", "a/y.py": "Y = 1\n"})
    plain = _order(infos, rank(infos, symbols=syms, task=Task()))
    assert plain == ["a/x.py", "a/y.py"]  # by path
    sig = GitSignals(recency={"a/y.py": 1.0}, churn={"a/y.py": 1.0}, cochange={}, commits=3)
    assert _order(infos, rank(infos, symbols=syms, task=Task(), signals=sig))[0] == "a/y.py"


def test_global_ranking_without_a_task():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task())
    order = _order(infos, ranked)
    assert order[0] == "README.md"
    assert order.index("shop/money.py") < order.index("shop/inventory.py")  # most used
    assert order.index("pyproject.toml") < 5 and order.index("shop/__main__.py") < 6
    assert order.index("shop/money.py") < order.index("tests/test_money.py")
    by = _by_path(infos, ranked)
    assert "global rank" in by["shop/money.py"].reason
    assert by["README.md"].reason == "readme"


def test_ranking_is_deterministic_and_total():
    infos, syms = _repo(APP)
    task = Task(query="format price for the cart report", focus=("shop/cart.py",))
    a = rank(infos, symbols=syms, task=task)
    b = rank(infos, symbols=list(syms), task=task)
    assert a == b
    assert sorted(r.index for r in a) == list(range(len(infos)))
    scores = [r.score for r in a]
    assert scores == sorted(scores, reverse=True)
    for r in a:  # ties by path
        same = [x for x in a if x.score == r.score]
        assert [infos[x.index].path for x in same] == sorted(infos[x.index].path for x in same)


def test_reasons_are_short_readable_text():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(query="format_price in report"))
    for r in ranked:
        assert r.reason and "\n" not in r.reason and len(r.reason.split("; ")) <= 2
    by = _by_path(infos, ranked)
    assert "defines format_price" in by["shop/money.py"].reason
    assert "shop/money.py" in by["shop/report.py"].reason


def test_query_naming_a_path():
    infos, syms = _repo(APP)
    ranked = rank(infos, symbols=syms, task=Task(query="tidy up shop/inventory.py"))
    assert _order(infos, ranked)[0] == "shop/inventory.py"
    assert "query names shop/inventory.py" in ranked[0].reason


def test_without_symbols_text_and_paths_still_rank():
    infos, _ = _repo(APP)
    ranked = rank(infos, symbols=[None] * len(infos), task=Task(query="inventory"))
    assert _order(infos, ranked)[0] in ("shop/inventory.py", "tests/test_inventory.py")
    terms = [["rounding", "cents"] if i.path == "docs/guide.md" else [] for i in infos]
    ranked = rank(infos, symbols=[None] * len(infos), task=Task(query="rounding of cents"), terms=terms)
    assert _order(infos, ranked)[0] == "docs/guide.md"
    assert rank([], symbols=[], task=Task()) == []
    with pytest.raises(ValueError):
        rank(infos, symbols=[], task=Task())


def test_rank_weights_from_config():
    w = RankWeights.from_config({"bm25": 0.5, "focus": 2})
    assert w.bm25 == 0.5 and w.focus == 2.0 and w.pagerank == RankWeights().pagerank
    with pytest.raises(ConfigError, match="unknown key 'pagernak'"):
        RankWeights.from_config({"pagernak": 1.0}, source="pyproject.toml [tool.packer.rank]")
    with pytest.raises(ConfigError, match="bm25"):
        RankWeights.from_config({"bm25": "high"})
    with pytest.raises(ConfigError):
        RankWeights(prior=-1.0)


def test_classify_priors():
    assert classify("README.md", "markdown") == (1.0, "readme")
    assert classify("Cargo.toml", "toml")[1] == "package manifest"
    assert classify("src/main.rs", "rust")[1] == "entry point"
    assert classify("cmd/tool/main.go", "go")[1] == "entry point"
    assert classify("pkg/__main__.py", "python")[1] == "entry point"
    assert classify("src/lib/util.ts", "typescript")[1] == "source"
    assert classify("tests/test_a.py", "python")[1] == "test"
    assert classify("a/b_test.go", "go")[1] == "test"
    assert classify("vendor/x/y.go", "go")[1] == "vendored"
    assert classify("api/v1/service_pb2.py", "python")[1] == "generated"
    assert classify("docs/guide.md", "markdown")[1] == "docs"
    assert classify("examples/demo.py", "python")[1] == "example"
    src = classify("src/lib/util.ts", "typescript")[0]
    assert all(
        classify(p, lang)[0] < src
        for p, lang in [
            ("tests/test_a.py", "python"),
            ("vendor/x/y.go", "go"),
            ("docs/guide.md", "markdown"),
            ("examples/demo.py", "python"),
            ("api/v1/service_pb2.py", "python"),
        ]
    )


def test_default_order_is_the_prior_order():
    infos, _ = _repo(APP)
    order = _order(infos, default_order(infos))
    assert order[0] == "README.md" and order[-1].startswith("tests/")


def test_identifier_and_path_terms():
    assert split_identifier("parseConfig") == ["parse", "config", "parseconfig"]
    assert split_identifier("HTTPServer_v2") == ["http", "server", "httpserver_v2"]
    assert split_identifier("lookups") == ["lookup"]
    assert split_identifier("x") == []
    names = ["parseConfig", "HTTPServer_v2", "get_all_items", "x", "__init__", "ABC123def"]
    assert split_identifiers(names) == [split_identifier(n) for n in names]
    assert path_terms("src/query_utils/QuerySet.py") == [
        "src",
        "query",
        "util",
        "query_utils",
        "query",
        "set",
        "queryset",
    ]


def test_comment_words_let_a_query_in_plain_words_find_the_file():
    from packer.symbols import comment_words

    files = {
        "pkg/a.py": '"""Retry with exponential backoff when the upstream times out."""\n'
        "def go(x):\n    return x\n",
        "pkg/b.py": "def run(y):\n    # plain helper\n    return y\n",
        "pkg/c.go": "package c\n// Render the sidebar widget.\nfunc Draw() {}\n",
    }
    infos, syms = _repo(files)
    texts = [textwrap.dedent(files[f.path]) for f in infos]
    terms = [comment_words(t) for t in texts]
    assert "backoff" in terms[0] and "sidebar" in terms[2] and "return" not in terms[1]
    task = Task(query="backoff on upstream timeout")
    without = rank(infos, symbols=syms, task=task)
    with_terms = rank(infos, symbols=syms, task=task, terms=terms)
    assert _order(infos, with_terms)[0] == "pkg/a.py"
    assert _by_path(infos, with_terms)["pkg/a.py"].score > _by_path(infos, without)["pkg/a.py"].score
    assert "query:" in _by_path(infos, with_terms)["pkg/a.py"].reason


def test_bm25_of_the_query_terms_alone_is_bm25s_over_the_whole_vocabulary():
    """`_bm25` indexes only the query's terms; the scores must be bm25s' own, exactly."""
    import random

    import bm25s
    import numpy as np

    from packer import rank as rk

    rnd = random.Random(3)
    for _ in range(30):
        words = [f"t{i}" for i in range(rnd.randint(3, 300))]
        docs_words = [
            [rnd.choice(words) for _ in range(rnd.randint(0, 40))] for _ in range(rnd.randint(1, 400))
        ]
        vocab = rk._Vocab()
        docs = [vocab(d) for d in docs_words]
        query = rnd.sample(words, k=min(len(words), rnd.randint(1, 6)))
        got, _ = rk._bm25(*rk._flatten(docs), vocab.ids, query)
        ids = dict(vocab.ids)
        ids.setdefault("", len(ids))
        known = [t for t in query if t in vocab.ids]
        full = bm25s.BM25()
        full.index(([list(d) for d in docs], ids), show_progress=False)
        want = (
            np.asarray(full.get_scores([ids[t] for t in known]), dtype=np.float64)
            if known
            else np.zeros(len(docs))
        )
        assert np.array_equal(got, want)


# -- without a graph: usage counts and the spread over directories ------------------------


def _big_repo() -> dict[str, str]:
    """A C tree whose alphabetically first directory is its largest, and a header all of
    it includes next to one nothing includes."""
    files = {
        "README.md": "# Tree\n\nWhat the tree is.\n",
        "Makefile": "all:\n\tcc -o tree */*.c\n",
        "Kconfig": "config TREE\n\tbool\n",
        "include/used.h": "int used(void);\n",
        "include/unused.h": "int unused(void);\n",
    }
    for k in range(30):
        files[f"aaa/part{k:02}.c"] = f"#include <used.h>\nint part{k}(void) {{ return used(); }}\n"
    for top in ("core", "lib", "net", "zzz"):
        for k in range(4):
            files[f"{top}/{top}{k}.c"] = f'#include "../include/used.h"\nint {top}{k}(void) {{ return 1; }}\n'
    return files


def test_without_a_graph_usage_ranks_and_a_task_ignores_it():
    infos, _ = _repo(_big_repo())
    paths = [f.path for f in infos]
    uses = [34.0 if p == "include/used.h" else 0.0 for p in paths]
    ranked = rank(infos, symbols=[None] * len(infos), task=Task(), uses=uses)
    order = _order(infos, ranked)
    assert set(order[:3]) == {"README.md", "Makefile", "Kconfig"}
    assert order.index("include/used.h") < order.index("include/unused.h")
    assert "used by 34 files" in _by_path(infos, ranked)["include/used.h"].reason
    assert order != sorted(order, key=lambda p: ("/" in p, p))  # not the path order
    tops = [p.split("/")[0] for p in order[3:13]]
    assert len(set(tops)) >= 4 and tops.count("aaa") <= 4  # spread, not the first directory
    # Scores follow the order after the leading top-level files.
    scores = [r.score for r in ranked[3:]]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(ValueError):
        rank(infos, symbols=[None] * len(infos), uses=[0.0])
    task = rank(infos, symbols=[None] * len(infos), task=Task(query="part07"), uses=uses)
    assert not any("used by" in r.reason for r in task)


def test_an_overview_prefers_small_files_and_a_huge_makefile_leads_nothing():
    from dataclasses import replace

    from packer.rank import LEAD_TOKENS, OVERVIEW_TOKENS

    infos, _ = _repo(_big_repo())
    sizes = {"Makefile": LEAD_TOKENS + 1, "include/used.h": OVERVIEW_TOKENS * 16}
    infos = [replace(f, tokens=sizes.get(f.path, f.tokens)) for f in infos]
    paths = [f.path for f in infos]
    uses = [30.0 if p == "include/used.h" else 8.0 if p == "include/unused.h" else 0.0 for p in paths]
    ranked = rank(infos, symbols=[None] * len(infos), task=Task(), uses=uses)
    order = _order(infos, ranked)
    assert set(order[:2]) == {"README.md", "Kconfig"}  # the large Makefile is no introduction
    # used by 30 but 16x the size: worth 30 / 4 per token, against 8 for the small header
    assert order.index("include/unused.h") < order.index("include/used.h")


def test_overview_of_a_repository_above_the_graph_limit(tmp_path, monkeypatch):
    from conftest import write

    import packer
    from packer import pipeline

    write(tmp_path, _big_repo())
    # The public limit, lowered: this tree of 48 code files stands for one of 80,000.
    monkeypatch.setattr(pipeline, "SYMBOLS_LIMIT", 10)
    result = packer.pack(tmp_path, packer.Options(budget=1500, history=False))
    files = result.manifest()["files"]
    assert isinstance(files, list)
    order = [f["path"] for f in files]
    assert set(order[:3]) == {"README.md", "Makefile", "Kconfig"}
    assert order.index("include/used.h") < order.index("include/unused.h")
    assert order[3] == "include/used.h"
    packed = [f["path"] for f in files if f["mode"] in ("full", "skeleton")]
    assert {"README.md", "Makefile", "Kconfig", "include/used.h"} <= set(packed)
    assert len({p.split("/")[0] for p in packed if "/" in p}) >= 4
    assert sum(p.startswith("aaa/") for p in packed) < len(packed) / 2


def test_focus_mode_finds_the_test_and_the_cochanging_file():
    infos, syms = _repo(APP)
    together = {"shop/inventory.py": {"docs/guide.md": 0.9}}
    signals = GitSignals(recency={}, churn={}, cochange=together, commits=10)
    ranked = rank(infos, symbols=syms, task=Task(focus=("shop/inventory.py",)), signals=signals)
    by = _by_path(infos, ranked)
    order = _order(infos, ranked)
    # the test named after the focus file, and the doc that always changes with it, lead
    assert set(order[1:3]) == {"tests/test_inventory.py", "docs/guide.md"}
    assert "co-changes with shop/inventory.py" in by["docs/guide.md"].reason
    assert "goes with shop/inventory.py" in by["tests/test_inventory.py"].reason


def test_a_diff_that_removes_a_call_points_at_its_definition():
    infos, syms = _repo(APP)
    diff = DiffSection(
        "shop/report.py",
        "--- a/shop/report.py\n+++ b/shop/report.py\n@@ -1 +1 @@\n"
        "-    return [format_price(r) for r in rows]\n"
        "+    return [count_items(r) for r in rows]\n",
    )
    plain = _by_path(infos, rank(infos, symbols=syms, task=Task(changed=("shop/report.py",))))
    told = _by_path(
        infos, rank(infos, symbols=syms, task=Task(changed=("shop/report.py",), diff_sections=(diff,)))
    )
    # count_items is new to report.py: only the diff says inventory.py matters
    assert told["shop/inventory.py"].score > plain["shop/inventory.py"].score


def test_comment_words_give_the_same_documents_however_often_they_repeat():
    # `_documents` splits each distinct word once; the documents and the term ids must be
    # those of splitting every occurrence, in first-seen order.
    from packer.rank import _documents, _Vocab

    words = [["parse_config", "HTTPServer", "x", "parse_config"], ["HTTPServer", "getValue", "a_b"], []]
    paths = ["a.py", "b/c.py", "d.md"]
    docs, _, vocab = _documents(paths, None, words)
    ref_vocab = _Vocab()
    ref = [ref_vocab(path_terms(p)) * 3 for p in paths]
    for i, extra in enumerate(words):
        for w in extra:
            ref[i].extend(ref_vocab(split_identifier(w) or ([w.lower()] if len(w) > 1 else [])))
    assert docs == ref and vocab.ids == ref_vocab.ids
    assert docs[0].count(vocab.ids["parse"]) == 2  # from parse_config, said twice


def test_kept_documents_hold_each_term_id_in_four_bytes():
    # The index kept across runs is mostly the documents' term ids (9M on the C sample):
    # int32, with the same ids and lengths as the documents they flatten.
    from packer.rank import _documents, documents

    words = [["parse_config", "HTTPServer"], ["getValue"], []]
    paths = ["a.py", "b/c.py", "d.md"]
    kept = documents(paths, None, words)
    docs, _, _ = _documents(paths, None, words)
    assert kept.terms.dtype.itemsize == 4
    assert kept.terms.tolist() == [t for d in docs for t in d]
    assert kept.lengths.tolist() == [len(d) for d in docs]
