"""Skeletons: golden outputs per language, what they keep and drop, and their safety."""

from __future__ import annotations

import ast
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from packer import languages, symbols
from packer.skeleton import RULES, SELF, skeletonize
from packer.tokens import Counter

FIXTURES = Path(__file__).parent / "fixtures" / "skeleton"
LANGUAGES = sorted(RULES)
# Every local variable, loop variable and block parameter in the fixtures starts "tmp_"
# or "tmpX"; nothing else does.
LOCAL = re.compile(r"\btmp(?:_|[A-Z])\w*")


def fixture(language: str) -> tuple[str, str, Path]:
    folder = FIXTURES / language
    source = next(folder.glob("input.*"))
    expected = folder / f"expected{source.suffix}"
    return source.read_text(encoding="utf-8"), expected.read_text(encoding="utf-8"), expected


def test_every_language_has_a_fixture() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == LANGUAGES
    assert set(LANGUAGES) == set(languages.GRAMMARS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_golden(language: str) -> None:
    source, expected, path = fixture(language)
    assert skeletonize(source, language) == expected, f"differs from {path}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_local_variable_survives(language: str) -> None:
    source, expected, _ = fixture(language)
    assert len(set(LOCAL.findall(source))) >= 2, "the fixture needs local variables to test"
    assert LOCAL.findall(expected) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_skeleton_is_smaller(language: str) -> None:
    source, expected, _ = fixture(language)
    counter = Counter()
    assert counter.count(expected) < 0.9 * counter.count(source)
    assert "elided" in expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_skeleton_parses_cleanly_and_keeps_no_statement_in_bodies(language: str) -> None:
    _, expected, _ = fixture(language)
    tree = symbols.parse(expected.encode(), language)
    assert tree is not None
    assert not tree.root_node.has_error
    rules = RULES[language]
    if rules.style not in ("brace", "python"):
        return  # ruby and bash bodies are a comment (checked by the goldens)
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type not in rules.functions:
            continue
        body = _body(node, rules.functions[node.type])
        if body is None:
            continue
        inside = [c for c in body.named_children if c.type not in rules.comments]
        if rules.style == "python":  # a docstring, `...` or `pass` only
            inside = [
                c
                for c in inside
                if c.type != "pass_statement"
                and not (
                    c.type == "expression_statement" and c.named_children[0].type in ("string", "ellipsis")
                )
            ]
        elif len(inside) == 1 and not [c for c in inside[0].named_children if c.type not in rules.comments]:
            inside = []  # Kotlin's function_body > block, Swift's statements
        assert inside == [], f"statements left in {node.type} at {node.start_point}"


def _body(node: object, locators: tuple[str, ...]) -> object:
    for loc in locators:
        if loc == SELF:
            return node
        found = node.child_by_field_name(loc) or next(  # type: ignore[attr-defined]
            (c for c in node.children if c.type == loc), None
        )  # type: ignore[attr-defined]
        if found is not None:
            return found
    return None


def test_python_skeletons_are_python() -> None:
    source, expected, _ = fixture("python")
    ast.parse(source)
    ast.parse(expected)


@pytest.mark.parametrize("language", LANGUAGES)
def test_rules_name_real_node_types(language: str) -> None:
    rules = RULES[language]
    grammar = languages.load_language(language)
    assert not grammar.id_for_node_kind("no_such_node_type", True)
    missing = sorted(t for t in rules.node_types() if not grammar.id_for_node_kind(t, True))
    assert missing == []
    tables = (
        *rules.functions.values(),
        *rules.containers.values(),
        *rules.wrappers.values(),
        *rules.lambdas.values(),
    )
    for loc in {loc for locators in tables for loc in locators}:
        assert (
            loc == SELF or grammar.field_id_for_name(loc) is not None or grammar.id_for_node_kind(loc, True)
        ), loc


# -- what is kept and what goes -------------------------------------------------------------

PYTHON = '''\
"""Module docstring."""

import os

LIMIT = 10


def helper(path: str) -> str:
    """Return the path, checked.

    Args:
        path: where to look.

    Returns:
        The same path.

    >>> helper("x")
    'x'
    """
    tmp_full = os.path.abspath(path)
    if not os.path.exists(tmp_full):
        raise FileNotFoundError(tmp_full)
    return tmp_full


def stub(): ...


TABLE = [
    1, 2, 3,
    4, 5, 6,
    7, 8, 9,
    10, 11, 12,
    13, 14, 15,
    16, 17, 18,
    19, 20, 21,
    22, 23, 24,
]

print(helper("."))
for tmp_i in range(3):
    print(tmp_i)

if __name__ == "__main__":
    helper(".")
'''


def test_python_markers() -> None:
    out = skeletonize(PYTHON, "python")
    assert (
        out
        == '''\
"""Module docstring."""

import os

LIMIT = 10

def helper(path: str) -> str:
    """Return the path, checked.
    ... 9 lines elided
    """
    ...  # 4 lines elided

def stub(): ...

TABLE = [...  # 8 lines elided
]

# 6 lines elided
'''
    )
    ast.parse(out)


def test_block_of_only_statements_gets_an_ellipsis() -> None:
    source = "class A:\n    print('side effect')\n    for tmp_i in range(10):\n        print(tmp_i)\n" * 3
    out = skeletonize(source, "python")
    assert out is not None
    assert "...  # 3 lines elided" in out
    ast.parse(out)


def test_conditional_imports_stay() -> None:
    source = (
        "try:\n    import numpy\nexcept ImportError:\n    numpy = None\n\n"
        "if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    print('old')\n    tomllib = None\n\n"
        "def f():\n    tmp_a = 1\n    tmp_b = 2\n    return tmp_a + tmp_b\n"
    )
    out = skeletonize(source, "python")
    assert out is not None
    assert "try:\n    import numpy\nexcept ImportError:\n    numpy = None\n" in out
    assert "else:\n    # 1 line elided\n    tomllib = None\n" in out
    ast.parse(out)


def test_javascript_function_values_and_calls() -> None:
    source = (
        "const double = (x) => x * 2;\n"
        "const table = { a: 1, handler: () => 1 };\n"
        "const order = names.slice().sort((a, b) => a.localeCompare(b));\n"
        "module.exports = function () {\n  const tmpA = 1;\n  return tmpA;\n};\n"
        "describe('suite', () => {\n  it('works', () => {\n    expect(1).toBe(1);\n  });\n});\n"
    )
    out = skeletonize(source, "javascript")
    assert out == (
        "const double = (x) => { /* 1 line elided */ };\n"
        "const table = { a: 1, handler: () => { /* 1 line elided */ } };\n"
        "const order = names.slice().sort((a, b) => a.localeCompare(b));\n"
        "module.exports = function () { /* 2 lines elided */ };\n"
        "// 5 lines elided\n"
    )


def test_brace_on_its_own_line_joins_the_signature() -> None:
    source = "int add(int a, int b)\n{\n    int tmp_sum = a + b;\n    return tmp_sum;\n}\n"
    assert skeletonize(source, "c") == "int add(int a, int b) { /* 2 lines elided */ }\n"


def test_long_doc_comment_is_cut_after_its_summary() -> None:
    doc = "\n".join(
        [
            "/**",
            " * Adds two numbers.",
            " *",
            *[f" * Detail {i}." for i in range(10)],
            " * @param a the first",
            " */",
        ]
    )
    source = doc + "\nint add(int a, int b) {\n    int tmp_sum = a + b;\n    return tmp_sum;\n}\n"
    assert skeletonize(source, "java") == (
        "/**\n * Adds two numbers.\n * ... 12 lines elided\n */\n"
        "int add(int a, int b) { /* 2 lines elided */ }\n"
    )


def test_go_const_groups_are_cut_per_spec() -> None:
    rows = "".join(f'\t"k{i}": {i},\n' for i in range(12))
    source = f"package p\n\nconst (\n\tA = 1\n\tB = 2\n)\n\nvar table = map[string]int{{\n{rows}}}\n"
    assert skeletonize(source, "go") == (
        "package p\n\nconst (\n\tA = 1\n\tB = 2\n)\n\nvar table = map[string]int{ /* 12 lines elided */ }\n"
    )


def test_crlf_is_kept() -> None:
    source = "def f(x):\r\n    tmp_y = x + 1\r\n    return tmp_y\r\n\r\nprint(f(1))\r\n"
    out = skeletonize(source, "python")
    assert out == "def f(x): ...  # 2 lines elided\r\n\r\n# 1 line elided\r\n"


def test_header_with_cpp_is_read_as_cpp() -> None:
    source = (
        "namespace geo {\ntemplate <typename T>\nclass Box {\npublic:\n"
        "  T area() const {\n    T tmp_a = w * h;\n    return tmp_a;\n  }\nprivate:\n  T w, h;\n};\n}\n"
    )
    out = skeletonize(source, "c")
    assert out is not None
    assert "T area() const { /* 2 lines elided */ }" in out
    assert LOCAL.findall(out) == []


# -- when there is no skeleton --------------------------------------------------------------


@pytest.mark.parametrize("language", [None, "markdown", "json", "perl", "no-such-language"])
def test_languages_without_grammar_give_none(language: str | None) -> None:
    assert skeletonize("def f():\n    return 1\n" * 20, language) is None


def test_nothing_to_elide_gives_none() -> None:
    assert skeletonize("import os\nimport sys\n\nX = 1\n", "python") is None
    assert skeletonize("", "python") is None


def test_mostly_syntax_errors_gives_none() -> None:
    assert skeletonize("def (((( ]]] class :: ->\n" * 50, "python") is None


def test_a_tree_already_parsed_gives_the_same_skeleton() -> None:
    source, expected, _ = fixture("go")
    tree = symbols.parse(source.encode(), "go")
    assert skeletonize(source, "go", tree=tree) == expected


# -- robustness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("python", "x = " + "[" * 10_000 + "]" * 10_000 + "\n"),
        (
            "python",
            "".join(" " * i + "if x:\n" for i in range(500))
            + " " * 500
            + "def f():\n"
            + " " * 501
            + "return 1\n",
        ),
        ("python", "".join("    " * i + f"class C{i}:\n" for i in range(200)) + "    " * 200 + "pass\n"),
        ("javascript", "function f() {" * 10_000 + "}" * 10_000 + "\n"),
        ("javascript", "(function(){" * 3_000 + "var a = 1;" + "})();" * 3_000 + "\n"),
        ("c", "#ifdef A\n" * 3_000 + "int x;\n" + "#endif\n" * 3_000),
        ("cpp", "namespace a {\n" * 5_000 + "int f() { return 1; }\n" + "}\n" * 5_000),
        ("ruby", "module A\n" * 3_000 + "def f\n  1\nend\n" + "end\n" * 3_000),
        ("python", "x = '" + "a" * 5_000_000 + "'\n"),
        ("javascript", "var x = [" + "1," * 2_500_000 + "];\n"),
        ("python", "DATA = {\n" + "".join(f"    'k{i}': [{i}, {i + 1}],\n" for i in range(40_000)) + "}\n"),
    ],
)
def test_deep_or_huge_input_is_bounded(language: str, source: str) -> None:
    start = time.perf_counter()
    out = skeletonize(source, language)
    assert time.perf_counter() - start < 10
    assert out is None or len(out) < len(source)


def test_deterministic_and_thread_safe() -> None:
    jobs = [(fixture(lang)[0], lang) for lang in LANGUAGES] * 4
    serial = [skeletonize(text, lang) for text, lang in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda job: skeletonize(*job), jobs))
    assert parallel == serial
