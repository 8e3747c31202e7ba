"""A file's fingerprint for finding copies: two hashes and a MinHash sketch of its words.

Made once per file while it is read (`measure`, inside the thread pool), about 0.6 KB;
`dedup` compares them after ranking. See `packer.dedup` for what counts as a copy.

The MinHash values are bit-for-bit those of datasketch's
`MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32")` updated with the shingle
hashes (a test checks it), but are computed here with one vectorised numpy pass per
file: datasketch's `update_batch` hashes each value in a Python loop and ran at about
15 MB/s on MEDIUM, this whole function at 30-45 MB/s per core. datasketch itself is
not imported (it costs 0.4 s): tests use it as the reference.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import xxhash

NUM_PERM = 128  # MinHash values per sketch: 512 bytes; estimate's sd at J=0.85 is ~0.03
SEED = 1  # fixed, so sketches from different runs and processes compare
SHINGLE_WORDS = 5
MIN_SKETCH_WORDS = 64  # fewer words: no sketch, exact matching only

_CHUNK = 8192  # shingles per numpy pass: a 4 MB scratch array
_U32 = np.uint32
_U64 = np.uint64
_SHINGLE_MUL = _U64(0x9E3779B97F4A7C15)  # odd: combines word hashes position-sensitively

U32Array = npt.NDArray[np.uint32]

# Whitespace and comments at the top of a file: block comments (/* */, <!-- -->, (* *),
# {- -}) and lines starting with //, --, ;, % or "#" followed by a space, "!" or "#"
# (so C's #include and #define are not comments).
_LEADING_COMMENTS = re.compile(
    rb"(?:\s+|/\*.*?\*/|<!--.*?-->|\(\*.*?\*\)|\{-.*?-\}|(?://|--|;|%|\#(?=[\s!\#]))[^\n]*)*",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup keeps of one file (~0.6 KB with a sketch, ~0.2 KB without)."""

    exact: str  # xxh3_64 hex of the text's UTF-8
    normalized: str  # xxh3_64 hex of the text's UTF-8 without ASCII whitespace
    size: int  # bytes of that normalised text
    minhash: bytes | None  # NUM_PERM little-endian uint32 values; None below MIN_SKETCH_WORDS


_WHITESPACE = b" \t\n\r\x0b\x0c"  # what bytes.split() splits on


def fingerprint(text: str, *, sketch: bool = True) -> Fingerprint:
    """The fingerprint of one file's text. Thread-safe; numpy releases the GIL in its loops.

    `sketch=False` leaves out the MinHash (then the file only matches exact and
    normalised copies): the sketch is most of the cost, and a budgeted pack needs it
    only for the files that can be packed.
    """
    data = text.encode("utf-8", "surrogatepass")
    # Whitespace deleted, not runs joined by one space: one C pass, no list of every word
    # (splitting was a third of a cold 1.3 GB read). Copies that differ only in layout match.
    norm = data.translate(None, _WHITESPACE)
    body = sketch_words(data) if sketch else []
    minhash = _sketch(body).astype("<u4").tobytes() if sketch and len(body) >= MIN_SKETCH_WORDS else None
    return Fingerprint(
        exact=xxhash.xxh3_64_hexdigest(data),
        normalized=xxhash.xxh3_64_hexdigest(norm),
        size=len(norm),
        minhash=minhash,
    )


def sketch_words(data: bytes, words: list[bytes] | None = None) -> list[bytes]:
    """The words the sketch is made of: those after the leading comments.

    A licence header is the same in hundreds of files and often most of a small one
    (an amdgpu header is 170 words of MIT licence and one declaration), so comparing
    it would make such files near copies of each other and fold away the only lines
    that differ. `words` is `data.split()`, if already made.
    """
    m = _LEADING_COMMENTS.match(data)
    k = m.end() if m else 0
    if words is None or (k and not data[k - 1 : k].isspace()):
        return data[k:].split()
    return words[len(data[:k].split()) :] if k else words


def shingles(words: Sequence[bytes]) -> U32Array:
    """32-bit hashes of every SHINGLE_WORDS-word window of a file's words.

    Each word is hashed with xxh3_64; a window's hash is the polynomial
    sum(h[i+j] * MUL**(k-1-j)) mod 2**64, folded to 32 bits by xor of its halves.
    """
    h = np.fromiter(map(xxhash.xxh3_64_intdigest, words), _U64, len(words))
    n = len(h) - SHINGLE_WORDS + 1
    if n <= 0:
        return np.zeros(0, _U32)
    s = h[:n].copy()
    for j in range(1, SHINGLE_WORDS):
        s *= _SHINGLE_MUL
        s += h[j : j + n]
    folded: U32Array = (s ^ (s >> _U64(32))).astype(_U32)
    return folded


def _sketch(words: Sequence[bytes]) -> U32Array:
    """The MinHash of the shingle set, as datasketch's affine32 scheme computes it."""
    hv = _fmix32(shingles(words))
    a, b = _permutations()
    out = np.full(NUM_PERM, np.iinfo(_U32).max, _U32)
    if not len(hv):
        return out
    scratch = np.empty((NUM_PERM, min(_CHUNK, len(hv))), _U32)
    for start in range(0, len(hv), _CHUNK):
        chunk = hv[None, start : start + _CHUNK]
        t = scratch[:, : chunk.shape[1]]
        np.multiply(a, chunk, out=t)  # a * h + b mod 2**32: a bijection, as a is odd
        t += b
        np.minimum(out, t.min(axis=1), out=out)
    return out


def _fmix32(h: U32Array) -> U32Array:
    """MurmurHash3's 32-bit finalizer, which datasketch applies to every input hash."""
    h = h ^ (h >> _U32(16))
    h *= _U32(0x85EBCA6B)
    h ^= h >> _U32(13)
    h *= _U32(0xC2B2AE35)
    h ^= h >> _U32(16)
    return h


@cache
def _permutations() -> tuple[U32Array, U32Array]:
    """datasketch's affine32 permutation parameters for (NUM_PERM, SEED), as columns.

    Generated the way `datasketch.MinHash._init_permutations` does (a test checks they
    are equal), so that this module does not import datasketch, and scipy with it, in
    every worker thread.
    """
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=_U32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=_U32)
    return a[:, None], b[:, None]
