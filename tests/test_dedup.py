"""Exact, whitespace-normalised and near copies; canonical choice; no chains."""

import numpy as np
import pytest
from conftest import module
from hypothesis import given, settings
from hypothesis import strategies as st

from packer import dedup, sketch
from packer.dedup import find_duplicates
from packer.records import Duplicate
from packer.sketch import fingerprint


def edit(text: str, lines, tag: str) -> str:
    """Replace the given (0-based) lines with new ones."""
    ls = text.split("\n")
    for k in lines:
        ls[k] = f"    log_{tag}_{k}('changed line {k} of {tag}')"
    return "\n".join(ls)


def dups(files: dict[str, str], order=None, **kw) -> list[Duplicate]:
    paths = list(files)
    prints = [fingerprint(t) for t in files.values()]
    return find_duplicates(paths, prints, order=range(len(paths)) if order is None else order, **kw)


def estimate(x: str, y: str) -> float:
    a, b = fingerprint(x).minhash, fingerprint(y).minhash
    assert a is not None and b is not None
    return float(np.mean(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4")))


def jaccard(x: str, y: str) -> float:
    """The true Jaccard similarity of the two texts' shingle sets (all words)."""
    a = set(sketch.shingles(x.encode().split()).tolist())
    b = set(sketch.shingles(y.encode().split()).tolist())
    return len(a & b) / len(a | b)


A = module("alpha")


# -- grouping -----------------------------------------------------------------------------


def test_exact_copies():
    got = dups({"a/x.py": A, "b/x.py": A, "c/x.py": A, "other.py": module("other")})
    assert got == [Duplicate("b/x.py", "a/x.py", 1.0), Duplicate("c/x.py", "a/x.py", 1.0)]


def test_whitespace_variants_are_copies_with_similarity_one():
    got = dups(
        {
            "a.py": A,
            "crlf.py": A.replace("\n", "\r\n"),
            "trailing.py": A.replace("\n", " \t\n"),
            "blank.py": A.replace("\n", "\n\n"),
        }
    )
    assert got == [Duplicate(p, "a.py", 1.0) for p in ("blank.py", "crlf.py", "trailing.py")]


def test_near_copy_with_a_few_lines_changed():
    near = edit(A, (5, 77, 150), "t")
    got = dups({"a.py": A, "b.py": near})
    assert len(got) == 1 and got[0].path == "b.py" and got[0].same_as == "a.py"
    assert dedup.NEAR_THRESHOLD <= got[0].similarity < 1.0
    assert abs(got[0].similarity - jaccard(A, near)) < 0.1  # an estimate of the real Jaccard


def test_similar_structure_is_not_a_copy():
    config_a = "".join(f"SETTING_{i} = {i * 7919 % 10007}\n" for i in range(200))
    config_b = "".join(f"SETTING_{i} = {i * 104729 % 10009}\n" for i in range(200))
    fifth = edit(A, range(0, 200, 5), "f")  # a fifth of the lines edited
    assert jaccard(config_a, config_b) < 0.85 and jaccard(A, fifth) < 0.85
    assert jaccard(A, module("beta")) < 0.85
    assert dups({"a.py": config_a, "b.py": config_b}) == []
    assert dups({"a.py": A, "b.py": fifth, "c.py": module("beta")}) == []


LICENCE = (
    "/*\n"
    + "".join(
        f" * Permission is hereby granted, clause {i}, to any person obtaining a copy\n" for i in range(20)
    )
    + " */\n"
)


def test_a_shared_licence_header_does_not_make_files_copies():
    x = LICENCE + "#ifndef X_H\n#define X_H\nint x_get_product_info(struct device *dev);\n#endif\n"
    y = LICENCE + "#ifndef Y_H\n#define Y_H\nvoid y_debugfs_init(struct device *dev);\n#endif\n"
    assert jaccard(x, y) > 0.85  # over all the words they would be near copies
    assert fingerprint(x).minhash is None  # the sketch skips the header: too little is left
    assert dups({"x.h": x, "y.h": y}) == []
    assert dups({"x.h": x, "x2.h": x}) == [Duplicate("x2.h", "x.h", 1.0)]  # exact copies still fold
    # Bodies that are near copies still are, under the same header.
    assert [d.path for d in dups({"a.c": LICENCE + A, "b.c": LICENCE + edit(A, (5, 77), "t")})] == ["b.c"]


def test_tiny_and_empty_files_are_never_folded():
    files = {f"pkg{i}/__init__.py": "" for i in range(20)}
    files.update({f"pkg{i}/version.py": '__version__ = "1.0"\n' for i in range(20)})
    assert dups(files) == []
    # "# x\n" is 2 bytes of normalised text (whitespace left out)
    boiler = "# x\n" * (dedup.MIN_FOLD_BYTES // 2 + 1)  # just over the threshold: folded
    assert len(dups({"a.txt": boiler, "b.txt": boiler})) == 1
    short = "# x\n" * (dedup.MIN_FOLD_BYTES // 2 - 1)
    assert dups({"a.txt": short, "b.txt": short}) == []


def test_canonical_is_not_vendored_then_best_ranked_then_by_path():
    files = {"vendor/lib/x.py": A, "src/z.py": A, "src/y.py": A, "src/a.py": A}
    paths = list(files)
    # Ranking: the vendored copy first, then z, y, a. The vendored copy still loses.
    got = dups(files, order=[0, 1, 2, 3])
    assert {d.same_as for d in got} == {"src/z.py"}
    assert [d.path for d in got] == ["src/a.py", "src/y.py", "vendor/lib/x.py"]
    # Files missing from `order` rank last; ties among them go by path.
    got = dups(files, order=[paths.index("src/y.py")])
    assert {d.same_as for d in got} == {"src/y.py"}
    got = dups(files, order=[])
    assert {d.same_as for d in got} == {"src/a.py"}
    # A custom vendored test.
    got = dups(files, order=[], vendored=lambda p: p.startswith("src/"))
    assert {d.same_as for d in got} == {"vendor/lib/x.py"}


def test_is_vendored():
    assert dedup.is_vendored("a/vendor/x.py") and dedup.is_vendored("node_modules/x/y.js")
    assert not dedup.is_vendored("vendor.py") and not dedup.is_vendored("src/vendored/x.py")


def test_near_copies_are_checked_against_the_canonical_not_through_a_chain():
    b = edit(A, range(0, 12, 2), "b")
    c = edit(b, range(100, 112, 2), "c")
    # A ~ B ~ C, but A and C are not near copies: the group links all three.
    assert estimate(A, b) >= 0.85 and estimate(b, c) >= 0.85 and estimate(A, c) < 0.85
    got = dups({"a.py": A, "b.py": b, "c.py": c, "d.py": c})
    # C is not a copy of A; C and its exact copy D then fold among themselves.
    assert [(d.path, d.same_as) for d in got] == [("b.py", "a.py"), ("d.py", "c.py")]
    assert got[1].similarity == 1.0
    # With B ranked first, both A and C are near copies of it.
    got = dups({"a.py": A, "b.py": b, "c.py": c}, order=[1, 0, 2])
    assert [(d.path, d.same_as) for d in got] == [("a.py", "b.py"), ("c.py", "b.py")]


def test_deterministic_whatever_the_input_order():
    files = {
        "a.py": A,
        "b.py": A.replace("\n", "\r\n"),
        "c.py": edit(A, (3, 9), "x"),
        "d.py": module("other"),
        "e.py": module("other"),
        "f.py": "",
    }
    first = dups(files)
    assert first == dups(files)
    rev = dict(reversed(files.items()))
    n = len(rev)
    assert dups(rev, order=list(range(n - 1, -1, -1))) == first  # same ranking, reversed input


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="2 paths but 1 fingerprints"):
        find_duplicates(["a", "b"], [fingerprint(A)], order=[])


# -- properties -----------------------------------------------------------------------------

_WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
_SEP = st.sampled_from([" ", "\n", "\r\n", "\t", "  \n\n"])


@st.composite
def texts(draw) -> str:
    big = draw(st.booleans())  # big enough to fold and to sketch, or anything
    words = draw(st.lists(_WORD, min_size=80 if big else 0, max_size=200 if big else 60))
    seps = draw(st.lists(_SEP, min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(texts(), min_size=1, max_size=6), st.data())
def test_copies_always_fold_together_and_never_chain(base, data):
    copied = data.draw(st.integers(0, len(base) - 1))
    bodies = [*base, base[copied]]
    # Also a near copy of a random text, to give the near path something to do.
    if data.draw(st.booleans()):
        bodies.append(bodies[copied] + " tail")
    paths = [f"f{i:02d}.txt" for i in range(len(bodies))]
    order = data.draw(st.permutations(range(len(paths))))
    prints = [fingerprint(b) for b in bodies]
    got = find_duplicates(paths, prints, order=order)

    assert [d.path for d in got] == sorted({d.path for d in got})
    dup_paths = {d.path for d in got}
    for d in got:
        assert d.path != d.same_as
        assert d.same_as not in dup_paths  # same_as is a canonical copy, never itself a duplicate
        assert dedup.NEAR_THRESHOLD <= d.similarity <= 1.0
    canon = {d.path: d.same_as for d in got}
    orig, copy = paths[copied], paths[len(base)]
    if prints[copied].size >= dedup.MIN_FOLD_BYTES:
        assert canon.get(orig, orig) == canon.get(copy, copy)
    else:
        assert orig not in dup_paths and copy not in dup_paths
    assert find_duplicates(paths, prints, order=order) == got


def test_near_pairs_are_datasketch_lsh_candidates_verified():
    """The numpy banding finds exactly the pairs datasketch's MinHashLSH (same bands) finds."""
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    from packer import dedup

    rng = np.random.default_rng(7)
    base = rng.integers(0, 2**32, size=(40, sketch.NUM_PERM), dtype=np.uint32)
    rows = [base[i % 40].copy() for i in range(200)]
    for k, row in enumerate(rows):  # copies with 0..30 values changed: near, borderline, far
        changed = rng.choice(sketch.NUM_PERM, size=int(rng.integers(0, 31)), replace=False)
        row[changed] = rng.integers(0, 2**32, size=len(changed), dtype=np.uint32)
        rows[k] = row
    got = sorted(dedup._near_pairs(rows))

    matrix = np.stack(rows)
    lsh = MinHashLSH(num_perm=sketch.NUM_PERM, params=dedup.LSH_BANDS)
    lean = [LeanMinHash(seed=sketch.SEED, hashvalues=r, scheme="affine32") for r in matrix]
    for i, m in enumerate(lean):
        lsh.insert(i, m, check_duplication=False)
    want = sorted(
        (i, j)
        for i, m in enumerate(lean)
        for j in lsh.query(m)
        if j > i and np.count_nonzero(matrix[i] == matrix[j]) >= dedup._NEAR_MATCHES
    )
    assert got == want and len(want) > 50
