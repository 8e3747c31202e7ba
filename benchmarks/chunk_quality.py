"""Issue 19 point 3: symbol rate and clean-boundary rate of `packer chunk`.

usage: chunk_quality.py ROOT {symbols|clean} SET MAX_TOKENS [MAX_TOKENS...] [--show N]

  ROOT: a directory holding the packer/ and grammars/ to measure: `new` for this
        checkout, or an older commit's (`git archive da73ac5~1 packer grammars | tar -x -C DIR`
        gave the "before" figures of issue 19). Corpora: $PACKER_CORPORA, else /tmp/corpora
        (../shared/corpora/make_corpora.sh builds them).

Sets (file lists are deterministic; random samples use random.Random(19)):
  rust       every .rs file under /tmp/corpora/linux
  django     every .py file of django-5.2.19
  heldout    rust + 300 random django .py + 300 random linux .c   (measured once, at the end)
  dev        sympy: 300 random .py; linux/drivers: 300 random .c not in the held-out sample;
             plus the Linux .rs files (the only Rust there is; so the held-out set's Rust
             part was seen during development: only its Python and C parts are unseen)

Symbol rate: a chunk is "inside a definition" when its byte range, stripped of surrounding
whitespace, lies within a definition node of the tree-sitter parse (DEF_TYPES). It
"names" it when `symbol` is not empty, and names the innermost one when one of the
symbol's labels holds the innermost definition's name (an impl's: its type's name).

Clean boundary: see CLEAN_RULE below.
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections import Counter as Tally

WHICH = sys.argv[1]
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, HERE if WHICH == "new" else os.path.abspath(WHICH))

from packer import symbols  # noqa: E402
from packer.chunker import chunk_file  # noqa: E402
from packer.tokens import Counter  # noqa: E402

COUNT = Counter()

packer_path = symbols.__file__
CORPORA = os.environ.get("PACKER_CORPORA", "/tmp/corpora")
LINUX = os.path.join(CORPORA, "linux")
DJANGO = os.path.join(CORPORA, "medium", "django-5.2.19")
SYMPY = os.path.join(CORPORA, "medium", "sympy-1.14.0")

DEF_TYPES = frozenset(
    {
        # Rust
        "function_item",
        "impl_item",
        "struct_item",
        "enum_item",
        "trait_item",
        "mod_item",
        "union_item",
        # Python
        "function_definition",
        "class_definition",
        # C
        "struct_specifier",
        "enum_specifier",
        "union_specifier",
    }
)

CLEAN_RULE = """\
A boundary is the end of a chunk that is not the end of the file, at byte b. A named
node N is "around" b when N.start_byte < b < N.end_byte. A statement sequence is a node
whose children are statements, items or members (CONTAINERS: the file's root, a block or
body, a struct's field list, an enum's variant list, a match's arms, a C switch case, a C
preprocessor conditional). The boundary is clean unless
  (1) a node around b is not a statement sequence and fits in one chunk by itself
      (its text counts at most max_tokens): a statement, declaration, expression,
      string, comment, parameter or argument list that could have stayed whole; or
  (2) b is in the header of a node around it: after the node's start and at or before
      the start of its body (its first child -- or grandchild through a wrapper such
      as a decorated definition -- that is a statement sequence): `fn parse(..)` | `{`,
      `def f():` | body, `if (x)` | `{`, `@property` | `def f`, whatever the node's size.
So a cut inside a statement too big for one chunk is clean when it falls between two
whole parts of it (two elements of a huge table, two lines of a huge string): the
chunker had to cut that statement. STRICT counts those as not clean too: a boundary is
strictly clean when the innermost named node around b is a statement sequence (or
there is none). "at most" is the strict rate no chunker within the budget can pass at
the same number of boundaries (`forced_cuts`)."""
CONTAINERS = frozenset(
    {
        # roots
        "module",
        "source_file",
        "translation_unit",
        # bodies
        "block",
        "declaration_list",
        "field_declaration_list",
        "enum_variant_list",
        "match_block",
        "compound_statement",
        "enumerator_list",
        "case_statement",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
    }
)


def listed(pattern: str, root: str) -> list[str]:
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        out += [os.path.join(d, f) for f in sorted(files) if re.search(pattern, f)]
    return out


def heldout_c() -> list[str]:
    return sorted(random.Random(19).sample(listed(r"\.c$", LINUX), 300))


def file_set(name: str) -> list[str]:
    rust = listed(r"\.rs$", LINUX)
    if name == "rust":
        return rust
    if name == "django":
        return listed(r"\.py$", DJANGO)
    if name == "heldout":
        return rust + sorted(random.Random(19).sample(listed(r"\.py$", DJANGO), 300)) + heldout_c()
    if name == "dev":
        held = set(heldout_c())
        drivers = [f for f in listed(r"\.c$", LINUX + "/drivers") if f not in held]
        return (
            rust
            + sorted(random.Random(7).sample(listed(r"\.py$", SYMPY), 300))
            + sorted(random.Random(7).sample(drivers, 300))
        )
    raise SystemExit(f"unknown set {name}")


def language_of(path: str) -> str:
    return {".rs": "rust", ".py": "python", ".c": "c"}[os.path.splitext(path)[1]]


def nodes(root):
    stack = [root]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def innermost(root, a: int, b: int, keep) -> object | None:
    """The deepest node passing `keep` with start <= a and b <= end."""
    found = None
    n = root
    while True:
        for c in n.children:
            if c.start_byte <= a and b <= c.end_byte and c.end_byte > c.start_byte:
                n = c
                if keep(n):
                    found = n
                break
        else:
            return found


def def_name(data: bytes, n) -> str:
    """The name a symbol must hold for definition node n: its name; an impl's type as written."""
    target = n.child_by_field_name("type") if n.type == "impl_item" else n.child_by_field_name("name")
    if target is None:
        return ""
    return " ".join(data[target.start_byte : target.end_byte].decode("utf-8", "replace").split())


def stripped(data: bytes, a: int, b: int) -> tuple[int, int]:
    while a < b and data[a] in b" \t\r\n\f\v":
        a += 1
    while b > a and data[b - 1] in b" \t\r\n\f\v":
        b -= 1
    return a, b


def deepest_strict(root, b: int):
    """The deepest named node with start < b < end (None if there is none)."""
    found = None
    n = root
    while True:
        for c in n.children:
            if c.start_byte < b < c.end_byte:
                n = c
                if c.is_named:
                    found = c
                break
        else:
            return found


def body_start(n) -> int:
    """Where n's body (a statement sequence child, or grandchild through a wrapper) starts; -1 if none."""
    for c in n.children:
        if c.type in CONTAINERS:
            return c.start_byte
    for c in n.named_children:
        for g in c.children:
            if g.type in CONTAINERS:
                return g.start_byte
    return -1


def forced_cuts(data: bytes, root, max_tokens: int) -> int:
    """The fewest strictly unclean boundaries any chunker within the budget makes in a file:
    a statement with no statement sequence inside it (a table, a docstring, a comment), of
    t tokens over the budget, spans at least ceil(t / max_tokens) chunks, and every cut
    inside it is strictly unclean. Such statements never nest, so their cuts add up."""
    has_sequence: dict[int, bool] = {}  # node id -> a statement sequence is in it or is it
    total = 0
    stack = [(root, False)]
    while stack:
        n, done = stack.pop()
        if not done:
            stack.append((n, True))
            stack.extend((c, False) for c in n.children)
            continue
        inner = n.type in CONTAINERS or any(has_sequence[c.id] for c in n.children)
        has_sequence[n.id] = inner
        parent = n.parent
        if inner or not n.is_named or n.end_byte - n.start_byte <= max_tokens:
            continue  # a token is at least a byte: a node of fewer bytes fits
        if parent is not None and parent.type not in CONTAINERS:
            continue  # part of a statement: counted with it
        tokens = COUNT.count(data[n.start_byte : n.end_byte].decode("utf-8", "replace"))
        total += max(0, -(-tokens // max_tokens) - 1)
    return total


def unclean(data: bytes, root, b: int, max_tokens: int, counts) -> str:
    """Why the boundary at b is not clean ("" if it is)."""
    n = root
    while True:
        for c in n.children:
            if c.start_byte < b < c.end_byte:
                n = c
                break
        else:
            return ""
        if not n.is_named or n.type in CONTAINERS:
            continue
        s = body_start(n)
        if s >= 0 and b <= s:
            return f"header of {n.type}"
        key = (n.start_byte, n.end_byte)
        got = counts.get(key)
        if got is None:
            got = counts[key] = COUNT.count(data[n.start_byte : n.end_byte].decode("utf-8", "replace"))
        if got <= max_tokens:
            return f"inside {n.type}"


def main() -> None:
    what, name = sys.argv[2], sys.argv[3]
    show = 0
    args = sys.argv[4:]
    if "--show" in args:
        i = args.index("--show")
        show = int(args[i + 1])
        del args[i : i + 2]
    budgets = [int(x) for x in args]
    files = file_set(name)
    print(f"{WHICH} ({os.path.dirname(os.path.dirname(packer_path))}) {what} on {name}: {len(files)} files")
    for max_tokens in budgets:
        t0 = time.perf_counter()
        by_lang: dict[str, Tally] = {}
        bad: Tally = Tally()
        examples: list[str] = []
        for path in files:
            with open(path, "rb") as f:
                data = f.read()
            lang = language_of(path)
            tree = symbols.parse(data, lang)
            if tree is None:
                continue
            root = tree.root_node
            chunks = list(chunk_file(data, path=path, language=lang, max_tokens=max_tokens))
            tally = by_lang.setdefault(lang, Tally())
            if what == "symbols":
                for c in chunks:
                    a, b = stripped(data, c.start_byte, c.end_byte)
                    if a == b:
                        continue
                    d = innermost(root, a, b, lambda n: n.type in DEF_TYPES)
                    tally["chunks"] += 1
                    if d is None:
                        continue
                    tally["inside"] += 1
                    tally["named"] += bool(c.symbol)
                    nm = def_name(data, d)
                    ok = bool(nm) and any(
                        nm in re.split(r"[^\w]+", label)
                        or (d.type == "impl_item" and label.endswith(" " + nm))
                        for label in c.symbol.split(" > ")
                    )
                    tally["innermost"] += ok
                    if not ok and len(examples) < show:
                        examples.append(
                            f"{path}:{c.start_line}-{c.end_line} in {d.type} {nm!r}: symbol {c.symbol!r}"
                        )
            else:
                counts: dict[tuple[int, int], int] = {}
                tally["forced"] += forced_cuts(data, root, max_tokens)
                for c in chunks[:-1]:
                    b = c.end_byte
                    tally["boundaries"] += 1
                    n = deepest_strict(root, b)
                    tally["strict"] += n is None or n.type in CONTAINERS
                    why = unclean(data, root, b, max_tokens, counts)
                    tally["clean"] += not why
                    if why:
                        bad[(lang, why)] += 1
                        if len(examples) < show:
                            line = data.count(b"\n", 0, b) + 1
                            examples.append(
                                f"{path}:{line} {why} {data[max(0, b - 50) : b]!r} | {data[b : b + 50]!r}"
                            )
        dt = time.perf_counter() - t0
        total = Tally()
        for t in by_lang.values():
            total.update(t)
        if what == "symbols":

            def fmt(t):
                inside = max(t["inside"], 1)
                return (
                    f"chunks {t['chunks']:6d} inside {t['inside']:6d} named {t['named'] / inside:.4f} "
                    f"innermost {t['innermost'] / inside:.4f}"
                )
        else:

            def fmt(t):
                n = max(t["boundaries"], 1)
                return (
                    f"boundaries {t['boundaries']:6d} clean {t['clean'] / n:.4f} strict {t['strict'] / n:.4f}"
                    f" (at most {1 - t['forced'] / n:.4f}: {t['forced']} forced)"
                )

        for lang, t in sorted(by_lang.items()):
            print(f"  max_tokens {max_tokens:4d} {lang:7s} {fmt(t)}")
        print(f"  max_tokens {max_tokens:4d} {'all':7s} {fmt(total)}   ({dt:.1f} s)")
        if bad:
            print("   unclean by node:", ", ".join(f"{lg}:{t}={n}" for (lg, t), n in bad.most_common(12)))
        for e in examples:
            print("   ", e)


if __name__ == "__main__":
    main()
