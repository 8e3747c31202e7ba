"""The file graph: def/ref edges weighted like Aider's repository map, imports resolved to files."""

from __future__ import annotations

import marshal
import pickle
import textwrap

import networkx as nx
import numpy as np
import pytest

from packer import languages, symbols
from packer.graph import (
    Names,
    build_graph,
    identifier_weight,
    name_table,
    names_from_plain,
    names_of,
    names_to_plain,
    pagerank,
)
from packer.records import FileSymbols


def _graph(files: dict[str, str]):
    paths = sorted(files)
    syms: list[FileSymbols | None] = []
    for p in paths:
        lang = languages.detect(p)
        src = textwrap.dedent(files[p]).encode()
        syms.append(symbols.extract(src, lang, path=p) if languages.is_code(lang) else None)
    return paths, build_graph(paths, syms)


def _edge(paths, g, src, dst):
    return g.edge(paths.index(src), paths.index(dst))


def test_references_point_at_the_defining_file():
    paths, g = _graph(
        {
            "config.py": "def parse_config(text):\n    return text\n",
            "a.py": "def a():\n    return parse_config('x')\n",
            "b.py": "def b():\n    parse_config('y')\n    parse_config('z')\n",
            "README.md": "# hi\n",
        }
    )
    e = _edge(paths, g, "a.py", "config.py")
    assert e is not None and e.name == "parse_config" and not e.imports
    eb = _edge(paths, g, "b.py", "config.py")
    assert eb is not None and eb.weight > e.weight  # sqrt(2 uses) > sqrt(1 use)
    assert eb.weight == pytest.approx(np.sqrt(2) * e.weight)
    assert _edge(paths, g, "config.py", "a.py") is None  # no edge back
    assert g.out_edges(paths.index("README.md")) == []


def test_local_references_make_no_edge():
    _, g = _graph(
        {
            "a.py": "def helper_function():\n    pass\n\ndef main():\n    helper_function()\n",
            "b.py": "def helper_function():\n    pass\n",
        }
    )
    # a.py uses its own helper_function; b.py defining the same name is not a dependency
    assert g.edge_count == 0


def test_identifier_weighting():
    distinctive = identifier_weight("parse_config", 1, 3, 100)
    short = identifier_weight("run", 1, 3, 100)
    assert distinctive == pytest.approx(10 * short)
    assert identifier_weight("_parse_config", 1, 3, 100) == pytest.approx(distinctive * 0.1)
    assert identifier_weight("parseConfig", 4, 5, 100) == pytest.approx(distinctive / 4)
    assert identifier_weight("Parser", 1, 3, 100) == short  # 6 characters: not distinctive
    # a name in more than 5% of the files (and more than 20 files) says little
    assert identifier_weight("parse_config", 1, 30, 200) == pytest.approx(distinctive * 0.1)
    assert identifier_weight("parse_config", 1, 15, 200) == pytest.approx(distinctive)


def test_long_distinctive_name_outweighs_short_common_one():
    paths, g = _graph(
        {
            "tokenizer.py": "class TokenizerState:\n    pass\n",
            "util.py": "def get():\n    pass\n",
            "user.py": "def f():\n    s = TokenizerState()\n    get()\n    return s\n",
        }
    )
    user = paths.index("user.py")
    weights = {paths[e.dst]: e.weight for e in g.out_edges(user)}
    assert weights["tokenizer.py"] == pytest.approx(10 * weights["util.py"])


def test_private_names_weigh_less():
    paths, g = _graph(
        {
            "a.py": "def _internal_helper():\n    pass\n",
            "b.py": "def public_helper():\n    pass\n",
            "c.py": "def f():\n    _internal_helper()\n    public_helper()\n",
        }
    )
    c = paths.index("c.py")
    w = {paths[e.dst]: e.weight for e in g.out_edges(c)}
    assert w["a.py"] == pytest.approx(0.1 * w["b.py"])


def test_python_imports_absolute_and_relative():
    paths, g = _graph(
        {
            "pkg/__init__.py": "",
            "pkg/core.py": "X = 1\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/leaf.py": "from ..core import X\nfrom . import sibling\n",
            "pkg/sub/sibling.py": "",
            "app.py": "import pkg.core\nfrom pkg.sub import leaf\nimport os\n",
        }
    )
    assert _edge(paths, g, "app.py", "pkg/core.py").imports
    assert _edge(paths, g, "app.py", "pkg/sub/leaf.py").imports
    assert _edge(paths, g, "pkg/sub/leaf.py", "pkg/core.py").imports
    assert _edge(paths, g, "pkg/sub/leaf.py", "pkg/sub/sibling.py").imports
    assert {paths[e.dst] for e in g.out_edges(paths.index("app.py"))} == {"pkg/core.py", "pkg/sub/leaf.py"}


def test_python_absolute_import_under_a_source_root():
    paths, g = _graph(
        {
            "src/mylib/__init__.py": "",
            "src/mylib/io.py": "",
            "tests/test_io.py": "from mylib import io\nimport mylib.io\n",
        }
    )
    assert _edge(paths, g, "tests/test_io.py", "src/mylib/io.py").imports


def test_javascript_relative_imports():
    paths, g = _graph(
        {
            "src/app.ts": 'import { a } from "./util";\nimport b from "./lib";\nimport x from "react";\n',
            "src/util.ts": "export const a = 1;\n",
            "src/lib/index.js": "export default 2;\n",
            "src/old.js": 'const u = require("./util.js");\n',
        }
    )
    assert _edge(paths, g, "src/app.ts", "src/util.ts").imports
    assert _edge(paths, g, "src/app.ts", "src/lib/index.js").imports
    assert _edge(paths, g, "src/old.js", "src/util.ts").imports  # "./util.js" is util.ts in TS


def test_c_includes():
    paths, g = _graph(
        {
            "src/main.c": '#include "buffer.h"\n#include <stdio.h>\n#include "net/sock.h"\n'
            "int main(void) { return 0; }\n",
            "src/buffer.h": "int buf;\n",
            "include/net/sock.h": "int sock;\n",
        }
    )
    assert _edge(paths, g, "src/main.c", "src/buffer.h").imports
    assert _edge(paths, g, "src/main.c", "include/net/sock.h").imports
    assert len(g.out_edges(paths.index("src/main.c"))) == 2


def test_go_package_imports():
    paths, g = _graph(
        {
            "go.mod": "module github.com/acme/app\n",
            "cmd/app/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"github.com/acme/app/internal/store"\n)\n\n'  # noqa: E501
            "func main() { fmt.Println(store.Open()) }\n",
            "internal/store/store.go": "package store\n\nfunc Open() int { return 1 }\n",
            "internal/store/cache.go": "package store\n\nfunc cache() {}\n",
            "internal/store/store_test.go": "package store\n",
        }
    )
    targets = {paths[e.dst] for e in g.out_edges(paths.index("cmd/app/main.go")) if e.imports}
    assert targets == {"internal/store/store.go", "internal/store/cache.go"}


def test_java_and_kotlin_imports():
    paths, g = _graph(
        {
            "src/main/java/com/acme/App.java": "package com.acme;\nimport com.acme.util.Strings;\nclass App {}\n",  # noqa: E501
            "src/main/java/com/acme/util/Strings.java": "package com.acme.util;\npublic class Strings {}\n",
            "app/src/main/kotlin/com/acme/Main.kt": "package com.acme\nimport com.acme.model.User\nfun main() {}\n",  # noqa: E501
            "app/src/main/kotlin/com/acme/model/User.kt": "package com.acme.model\nclass User\n",
        }
    )
    java = "src/main/java/com/acme/"
    assert _edge(paths, g, java + "App.java", java + "util/Strings.java").imports
    assert _edge(
        paths, g, "app/src/main/kotlin/com/acme/Main.kt", "app/src/main/kotlin/com/acme/model/User.kt"
    ).imports


def test_rust_use_paths():
    paths, g = _graph(
        {
            "src/main.rs": "mod config;\nuse crate::config::Settings;\nuse crate::net::client;\nfn main() {}\n",  # noqa: E501
            "src/config.rs": "pub struct Settings;\n",
            "src/net/mod.rs": "pub mod client;\nuse super::config::Settings;\n",
            "src/net/client.rs": "pub fn get() {}\n",
        }
    )
    assert _edge(paths, g, "src/main.rs", "src/config.rs").imports
    assert _edge(paths, g, "src/main.rs", "src/net/client.rs").imports
    assert _edge(paths, g, "src/net/mod.rs", "src/config.rs").imports


def test_ruby_require_relative():
    paths, g = _graph(
        {
            "lib/app.rb": "require_relative 'helpers/format'\nrequire 'json'\n",
            "lib/helpers/format.rb": "module Format; end\n",
        }
    )
    assert _edge(paths, g, "lib/app.rb", "lib/helpers/format.rb").imports
    assert len(g.out_edges(paths.index("lib/app.rb"))) == 1


def test_name_table_counts_uses():
    paths = ["a.py", "b.py"]
    syms = [
        symbols.extract(b"def f():\n    g()\n    g()\n", "python", path="a.py"),
        symbols.extract(b"def g():\n    pass\n", "python", path="b.py"),
    ]
    t = name_table(2, syms)
    k = t.names.index("g")
    assert t.defined_in(k) == (1,)
    uses = {
        (int(f), t.names[int(n)]): int(c) for f, n, c in zip(t.ref_file, t.ref_name, t.ref_count, strict=True)
    }
    assert uses[(0, "g")] == 2
    with pytest.raises(ValueError):
        build_graph(paths, syms[:1])


def _random_graph(n: int, seed: int):
    rng = np.random.default_rng(seed)
    paths = [f"f{i}.py" for i in range(n)]
    g = build_graph(paths, [None] * n)
    import scipy.sparse as sp

    dense = rng.random((n, n)) * (rng.random((n, n)) < 0.15)
    np.fill_diagonal(dense, 0)
    dense[3, :] = 0  # a dangling file
    m = sp.csr_array(dense)
    return g.__class__(
        paths=g.paths, matrix=m, label=np.full(m.nnz, -1), imports=np.zeros(m.nnz, bool), table=g.table
    ), dense


@pytest.mark.parametrize("personal", [None, {0: 1.0, 5: 3.0}])
def test_pagerank_matches_networkx(personal):
    g, dense = _random_graph(30, 1)
    ours = pagerank(g, personal)
    G = nx.from_numpy_array(dense, create_using=nx.DiGraph)
    theirs = nx.pagerank(G, alpha=0.85, personalization=personal, tol=1e-12, max_iter=1000)
    assert ours.sum() == pytest.approx(1.0)
    assert np.allclose(ours, [theirs[i] for i in range(30)], atol=1e-7)


@pytest.mark.parametrize("info", [0, -10])
def test_pagerank_survives_a_solver_breakdown(monkeypatch, info):
    # BiCGSTAB can break down and still report success (info 0) with NaNs; read as is, the
    # rank would be uniform, every file equal. The direct solve must give the true rank.
    import scipy.sparse.linalg as spla

    g, dense = _random_graph(30, 1)
    monkeypatch.setattr(spla, "bicgstab", lambda a, b, **kw: (np.full(len(b), np.nan), info))
    ours = pagerank(g, {0: 1.0})
    theirs = nx.pagerank(
        nx.from_numpy_array(dense, create_using=nx.DiGraph), personalization={0: 1.0}, tol=1e-12
    )
    assert np.allclose(ours, [theirs[i] for i in range(30)], atol=1e-7)


def test_pagerank_is_deterministic_and_handles_empty_graphs():
    g, _ = _random_graph(25, 2)
    assert np.array_equal(pagerank(g, {1: 1.0}), pagerank(g, {1: 1.0}))
    empty = build_graph(["a.py", "b.py"], [None, None])
    assert np.allclose(pagerank(empty), [0.5, 0.5])
    assert pagerank(build_graph([], [])).shape == (0,)


def test_reverse_edges_reach_the_users_of_a_seed():
    paths, g = _graph(
        {
            "core.py": "def parse_config():\n    pass\n",
            "user.py": "def f():\n    parse_config()\n",
            "other.py": "def g():\n    pass\n",
        }
    )
    core, user = paths.index("core.py"), paths.index("user.py")
    forward = pagerank(g, {core: 1.0})
    both = pagerank(g, {core: 1.0}, reverse=0.5)
    assert forward[user] < both[user]


# -- the compact records the pack pipeline keeps ----------------------------------------

_MIXED = {
    "lib/config.py": "def parse_config(text):\n    return text\n\nclass Loader:\n    pass\n",
    "app/main.py": (
        "from lib.config import parse_config\n\ndef run():\n    parse_config(1)\n    parse_config(2)\n"
    ),
    "src/util.h": "struct buffer_head { int x; };\nint read_block(struct buffer_head *bh);\n",
    "src/util.c": '#include "util.h"\nint read_block(struct buffer_head *bh) { return helper(bh); }\n',
    "src/main.c": '#include "util.h"\nint main(void) { read_block(0); read_block(0); return 0; }\n',
    "web/a.ts": "import { b } from './b';\nexport function a() { return b(); }\n",
    "web/b.ts": "export function b() { return 1; }\n",
    "notes.md": "# read_block\n",
}


def _symbols(files: dict[str, str], **kw) -> tuple[list[str], list[FileSymbols | None]]:
    paths = sorted(files)
    out: list[FileSymbols | None] = []
    for p in paths:
        lang = languages.detect(p)
        code = languages.is_code(lang)
        out.append(symbols.extract(files[p].encode(), lang, path=p, **kw) if code else None)
    return paths, out


def _same(g, h) -> None:
    assert (g.matrix != h.matrix).nnz == 0 and g.matrix.nnz == h.matrix.nnz
    assert np.array_equal(g.matrix.indptr, h.matrix.indptr) and np.array_equal(g.matrix.data, h.matrix.data)
    assert [g.table.names[k] if k >= 0 else "" for k in g.label] == [
        h.table.names[k] if k >= 0 else "" for k in h.label
    ]
    assert np.array_equal(g.imports, h.imports)


def test_the_graph_of_names_is_the_graph_of_symbols():
    paths, full = _symbols(_MIXED)
    g = build_graph(paths, full)
    assert g.edge_count >= 4 and g.imports.any()  # references and imports both make edges
    _, bare = _symbols(_MIXED, detail=False)
    plain = [None if fs is None else names_to_plain(names_of(fs)) for fs in bare]
    back = [None if t is None else names_from_plain(marshal.loads(marshal.dumps(t))) for t in plain]
    _same(g, build_graph(paths, back))
    _same(g, build_graph(paths, [None if fs is None else names_of(fs) for fs in full]))
    main = back[paths.index("src/main.c")]
    assert main is not None and dict(zip(main.used, main.uses, strict=True))["read_block"] == 2


def test_names_from_the_cache_share_their_strings():
    fs = symbols.extract(b"int f(void) { return g() + g(); }\n", "c", detail=False)
    one, two = (names_from_plain(pickle.loads(pickle.dumps(names_to_plain(names_of(fs))))) for _ in range(2))
    assert one == two and one.used == ("g",) and one.uses == (2,) and one.defined == ("f",)
    assert one.used[0] is two.used[0] and one.defined[0] is two.defined[0]


def test_names_of_a_file_without_symbols_make_no_edges():
    empty = names_of(FileSymbols("x.c", "c", (), (), (), fallback="too large to parse"))
    assert empty == Names("c", (), (), (), ())
    g = build_graph(["x.c", "y.c"], [empty, None])
    assert g.edge_count == 0 and g.table.files_with_symbols == 0
