"""Languages: detection by file name, extension and shebang; the table behind `packer languages`."""

import pytest
from click.testing import CliRunner

from packer import languages
from packer.cli import main
from packer.languages import detect, is_code, languages_table


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("a.py", "python"),
        ("pkg/stubs.pyi", "python"),
        ("a.js", "javascript"),
        ("a.mjs", "javascript"),
        ("a.cjs", "javascript"),
        ("a.jsx", "javascript"),
        ("a.ts", "typescript"),
        ("types.d.ts", "typescript"),
        ("a.mts", "typescript"),
        ("a.tsx", "tsx"),
        ("main.go", "go"),
        ("lib.rs", "rust"),
        ("A.java", "java"),
        ("a.c", "c"),
        ("a.h", "c"),
        ("a.cc", "cpp"),
        ("a.cpp", "cpp"),
        ("a.hpp", "cpp"),
        ("a.inl", "cpp"),
        ("a.cs", "csharp"),
        ("a.rb", "ruby"),
        ("tasks.rake", "ruby"),
        ("x.gemspec", "ruby"),
        ("index.php", "php"),
        ("a.kt", "kotlin"),
        ("build.gradle.kts", "kotlin"),
        ("a.swift", "swift"),
        ("a.scala", "scala"),
        ("build.sbt", "scala"),
        ("a.sh", "bash"),
        ("a.bash", "bash"),
        ("a.zsh", "bash"),
        ("t.bats", "bash"),
        ("README.md", "markdown"),
        ("doc.rst", "rst"),
        ("notes.txt", "text"),
        ("a.json", "json"),
        ("nb.ipynb", "json"),
        ("a.yaml", "yaml"),
        ("a.yml", "yaml"),
        ("pyproject.toml", "toml"),
        ("page.html", "html"),
        ("A.PY", "python"),
        ("dir.d/x.C", "c"),
    ],
)
def test_extensions(path, language):
    assert detect(path) == language


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("Makefile", "make"),
        ("sub/GNUmakefile", "make"),
        ("Dockerfile", "dockerfile"),
        ("Gemfile", "ruby"),
        ("Rakefile", "ruby"),
        ("Vagrantfile", "ruby"),
        ("Podfile", "ruby"),
        ("SConstruct", "python"),
        ("Pipfile", "toml"),
        ("Cargo.lock", "toml"),
        (".bashrc", "bash"),
        ("home/.zshrc", "bash"),
        (".envrc", "bash"),
        ("PKGBUILD", "bash"),
        ("CMakeLists.txt", "cmake"),  # a well-known name wins over its extension
    ],
)
def test_well_known_file_names(path, language):
    assert detect(path) == language


@pytest.mark.parametrize(
    ("head", "language"),
    [
        ("#!/usr/bin/env python3\nprint(1)\n", "python"),
        ("#!/usr/bin/python3.12 -u\n", "python"),
        ("#!/usr/bin/env pypy3\n", "python"),
        ("#! /bin/sh\n", "bash"),
        ("#!/bin/bash -e\n", "bash"),
        ("#!/usr/bin/env -S node --experimental-vm-modules\n", "javascript"),
        ("#!/usr/bin/env -S deno run --allow-net\n", "typescript"),
        ("#!/usr/bin/env -S VAR=1 OTHER=2 ruby -w\n", "ruby"),
        ("#!/usr/bin/env -i PATH=/bin bash\n", "bash"),
        ("#!/usr/bin/env -u HOME python\n", "python"),
        ("#!/usr/bin/env -Spython3 -u\n", "python"),
        ("#!/usr/local/bin/php\n<?php\n", "php"),
        ("#!/usr/bin/env kscript\n", "kotlin"),
        ("#!/usr/bin/env perl\n", "perl"),
        ("#!/usr/bin/env fish\n", None),
        ("#!\n", None),
        ("#!/usr/bin/env\n", None),
        ("# not a shebang\n", None),
        ("", None),
    ],
)
def test_shebangs(head, language):
    assert detect("bin/tool", head) == language


def test_extension_wins_over_shebang():
    assert detect("script.py", "#!/bin/sh\n") == "python"
    assert detect("notes.txt", "#!/usr/bin/env python\n") == "text"


def test_text_formats_are_languages_but_not_code():
    for name in ("markdown", "json", "yaml", "toml"):
        assert name in languages.TEXT_FORMATS
        assert not is_code(name)
    for name in languages.GRAMMARS:
        assert is_code(name)
    assert not is_code(None) and not is_code("html")


def test_at_least_these_languages_have_grammars():
    assert set(languages.GRAMMARS) >= {
        "python",
        "javascript",
        "typescript",
        "tsx",
        "go",
        "rust",
        "java",
        "c",
        "cpp",
        "csharp",
        "ruby",
        "php",
        "kotlin",
        "swift",
        "scala",
        "bash",
    }


def test_languages_table():
    rows = {r.name: r for r in languages_table()}
    names = [r.name for r in languages_table()]
    assert names[: len(languages.GRAMMARS)] == list(languages.GRAMMARS)  # code first
    assert set(names) == {
        *languages.EXTENSIONS.values(),
        *languages.FILENAMES.values(),
        *languages.INTERPRETERS.values(),
    }
    assert all(rows[n].kind == "code" and rows[n].grammar == "ok" for n in languages.GRAMMARS)
    assert rows["python"].extensions == (".py", ".pyi", ".pyw")
    assert "SConstruct" in rows["python"].filenames
    assert rows["json"].kind == "text" and rows["json"].grammar == "-"
    assert rows["markdown"].extensions == (".markdown", ".md", ".mdx")
    assert rows["html"].kind == "other"
    assert rows["perl"].extensions == (".pl", ".pm")


def test_languages_table_reports_a_grammar_that_does_not_load(monkeypatch):
    monkeypatch.setitem(
        languages.GRAMMARS, "python", languages.Grammar("no_such_module", package="tree-sitter-python")
    )
    languages.load_language.cache_clear()
    try:
        row = next(r for r in languages_table() if r.name == "python")
    finally:
        languages.load_language.cache_clear()
    assert row.kind == "code"
    assert row.grammar.startswith("grammar for python does not load")
    assert "tree-sitter-python" in row.grammar


def test_cli_languages():
    res = CliRunner().invoke(main, ["languages"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split() == ["language", "kind", "grammar", "extensions", "and", "file", "names"]
    python = next(line for line in lines if line.startswith("python "))
    assert python.split() == ["python", "code", "ok", ".py", ".pyi", ".pyw", "SConscript", "SConstruct"]
    tsx = next(line for line in lines if line.startswith("tsx "))
    assert tsx.split() == ["tsx", "code", "ok", ".tsx"]
    yaml = next(line for line in lines if line.startswith("yaml "))
    assert yaml.split()[:3] == ["yaml", "text", "-"]
    assert len(lines) == 1 + len(languages_table())
