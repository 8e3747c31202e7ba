"""Fingerprints: the exact and whitespace-normalised hashes, and a MinHash sketch that is
datasketch's bit for bit, of the words after the leading comments, the same in any process."""

import os
import subprocess
import sys

import xxhash
from conftest import module

from packer import sketch
from packer.sketch import Fingerprint, fingerprint

A = module("alpha")


def test_fingerprint_fields():
    fp = fingerprint(A)
    assert fp.exact == xxhash.xxh3_64_hexdigest(A.encode())
    assert fp.normalized == xxhash.xxh3_64_hexdigest("".join(A.split()).encode())
    assert fp.size == len("".join(A.split()).encode())
    assert fp.minhash is not None and len(fp.minhash) == 4 * sketch.NUM_PERM
    small = fingerprint("x = 1\n" * 10)  # 30 words: exact matching only
    assert small.minhash is None
    assert fingerprint("").size == 0


def test_normalisation_ignores_line_endings_trailing_space_blank_lines_and_indentation():
    variants = [
        A.replace("\n", "\r\n"),
        A.replace("\n", "   \n"),
        A.replace("\n", "\n\n\n"),
        A.replace("    ", "\t"),
        "\n\n" + A + "\n  \n",
    ]
    fp = fingerprint(A)
    for v in variants:
        got = fingerprint(v)
        assert got.exact != fp.exact
        assert (got.normalized, got.size, got.minhash) == (fp.normalized, fp.size, fp.minhash)
    assert fingerprint(A.replace("value", "val")).normalized != fp.normalized


def test_sketch_words_skip_leading_comments_only():
    header = b"/* a */\n// b\n# c\n#!x\n"
    assert sketch.sketch_words(header + b"#include <y.h>\nint z;") == [b"#include", b"<y.h>", b"int", b"z;"]
    assert sketch.sketch_words(b"int z; /* a */") == [b"int", b"z;", b"/*", b"a", b"*/"]
    assert sketch.sketch_words(b"/* never closed\nint z;") == [b"/*", b"never", b"closed", b"int", b"z;"]
    data = b"<!-- a -->\n-- b\n;c\n%d\n(* e *){- f -}x y"
    assert sketch.sketch_words(data) == sketch.sketch_words(data, data.split()) == [b"x", b"y"]
    assert sketch.sketch_words(b"/*a*/x y", [b"/*a*/x", b"y"]) == [b"x", b"y"]


def test_sketch_is_datasketch_minhash_bit_for_bit():
    from datasketch import MinHash

    m = MinHash(num_perm=sketch.NUM_PERM, seed=sketch.SEED, hashfunc=int, scheme="affine32")
    a, b = sketch._permutations()
    assert (m.permutations[0] == a[:, 0]).all() and (m.permutations[1] == b[:, 0]).all()
    m.update_batch(sketch.shingles(sketch.sketch_words(A.encode())))
    assert fingerprint(A).minhash == m.hashvalues.astype("<u4").tobytes()
    big = module("big", 3000)  # more shingles than one numpy chunk
    m.clear()
    m.update_batch(sketch.shingles(sketch.sketch_words(big.encode())))
    assert fingerprint(big).minhash == m.hashvalues.astype("<u4").tobytes()


def test_fingerprint_is_the_same_in_another_process():
    code = (
        "import sys; from packer.sketch import fingerprint; "
        "sys.stdout.write(repr(fingerprint(sys.stdin.read())))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], input=A, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out == repr(fingerprint(A))


def test_fingerprint_is_small():
    fp = fingerprint(A)
    assert isinstance(fp, Fingerprint) and not hasattr(fp, "__dict__")  # slots
