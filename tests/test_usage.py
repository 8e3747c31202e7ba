"""The lexical include/import scan and the spread over directories."""

from __future__ import annotations

from pathlib import Path

from conftest import write

from packer.usage import count_uses, family, half_life, references, spread, top_dir


def _counts(root: Path, files: dict[str, str]) -> dict[str, float]:
    write(root, files)
    paths = sorted(files)
    return dict(zip(paths, count_uses(root, paths), strict=True))


def test_references_of_each_language_family():
    assert family("a/b.c") == "c" and family("x.dtsi") == "c" and family("m.py") == "py"
    assert family("w.tsx") == "js" and family("g.go") == "go" and family("l.rs") == "rs"
    assert family("J.java") == "java" and family("README.md") is None
    c = b'/* x */\n#include <linux/a.h>\n#  include "b.h"\nint x;\n'
    assert references("c", c) == [("global", "linux/a.h"), ("local", "b.h")]
    py = b"import os, pkg.mod\nfrom . import sib\nfrom ..up.x import (y, z)\n"
    assert references("py", py) == [
        ("py", "os"),
        ("py", "pkg.mod"),
        ("py", "."),
        ("py?", ".sib"),
        ("py", "..up.x"),
        ("py?", "..up.x.y"),
        ("py?", "..up.x.z"),
    ]
    js = b"import a from './a';\nconst b = require(\"../b\");\nimport './side.css';\nimport x from 'react';\n"
    assert references("js", js) == [("js", "./a"), ("js", "../b"), ("js", "./side.css"), ("js", "react")]
    go = b'package m\n\nimport (\n\t"fmt"\n\tx "example.com/m/pkg/util"\n)\n'
    go += b'\nfunc f() {\n\t"not/an/import"\n}\n'
    assert references("go", go) == [("go", "fmt"), ("go", "example.com/m/pkg/util")]
    assert references("rs", b"pub mod parse;\nmod tests {\n}\nmod lex;\n") == [("rs", "parse"), ("rs", "lex")]
    assert references("java", b"import static a.b.C.f;\nimport a.b.D;\n") == [
        ("java", "a.b.C.f"),
        ("java", "a.b.D"),
    ]


def test_c_includes_resolve_near_the_includer(tmp_path):
    files = {
        "include/linux/list.h": "struct list;\n",
        "tools/include/linux/list.h": "struct list;\n",
        "include/linux/unused.h": "int unused;\n",
        "kernel/sched.h": "int s;\n",
        "kernel/sched.c": '#include "sched.h"\n#include <linux/list.h>\n',
        "kernel/fork.c": '#include "sched.h"\n#include <linux/list.h>\n#include <linux/list.h>\n',
        "mm/page.c": "#include <linux/list.h>\n#include <linux/missing.h>\n",
        "tools/perf/main.c": "#include <linux/list.h>\n",
    }
    got = _counts(tmp_path, files)
    assert got["include/linux/list.h"] == 3  # once per includer, tools/ aside
    assert got["tools/include/linux/list.h"] == 1  # nearest to tools/perf/main.c
    assert got["include/linux/unused.h"] == 0
    assert got["kernel/sched.h"] == 2
    assert got["kernel/sched.c"] == 1  # half its header's: it implements what the includers use


def test_python_js_go_rust_java_imports(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "X = 1\n",
        "pkg/cli.py": "from pkg.core import X\nfrom . import util\n",
        "pkg/util.py": "import pkg.core\n",
        "web/src/a.ts": "export const a = 1;\n",
        "web/src/lib/index.ts": "export const l = 1;\n",
        "web/src/main.ts": "import { a } from './a';\nimport { l } from './lib';\nimport r from 'react';\n",
        "go/pkg/util/u.go": "package util\n",
        "go/pkg/util/v.go": "package util\n",
        "go/cmd/main.go": 'package main\n\nimport "example.com/m/pkg/util"\n\nfunc main() {}\n',
        "rs/src/lib.rs": "mod parse;\n",
        "rs/src/parse.rs": "mod lex;\n",
        "rs/src/parse/lex.rs": "",
        "j/src/a/b/C.java": "package a.b;\n",
        "j/src/a/b/D.java": "package a.b;\nimport a.b.C;\n",
    }
    got = _counts(tmp_path, files)
    assert got["pkg/core.py"] == 2 and got["pkg/util.py"] == 1 and got["pkg/cli.py"] == 0
    assert got["pkg/__init__.py"] == 1  # `from . import util`: the package, and util if a module
    assert got["web/src/a.ts"] == 1 and got["web/src/lib/index.ts"] == 1
    assert got["go/pkg/util/u.go"] == got["go/pkg/util/v.go"] == 0.5  # a package: shared by its files
    assert got["rs/src/parse.rs"] == 1 and got["rs/src/parse/lex.rs"] == 1
    assert got["j/src/a/b/C.java"] == 1 and got["j/src/a/b/D.java"] == 0


def test_spread_gives_every_directory_a_turn():
    keys = [(1.0 - k / 1000, f"big/sub/f{k:03}.c") for k in range(200)]
    keys += [(0.5, "small/a.c"), (0.5, "other/b.c"), (0.9, "README.md")]
    out = spread(keys)
    order = sorted(range(len(keys)), key=lambda k: -out[k])
    tops = [top_dir(keys[k][1]) for k in order]
    assert tops.index("small") < 6 and tops.index("other") < 6 and tops.index("") < 3
    assert out[0] == keys[0][0]  # the best file of a directory keeps its score
    assert all(0 <= o <= s for o, (s, _) in zip(out, keys, strict=True))
    assert half_life(10_000) > half_life(100) > half_life(1) >= 1.0
