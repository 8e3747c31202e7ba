"""Find exact, whitespace-normalised and near copies, so one copy is packed and the others cost nothing.

Two stages, so the pipeline never holds a file's text for long:

1. `sketch.fingerprint(text)` runs once per file while it is read (inside the thread pool) and
   keeps about 0.6 KB: two hashes and a MinHash sketch.
2. `find_duplicates(paths, prints, order=...)` groups the fingerprints and says which
   files are copies of which canonical copy.

What counts as a copy:

- Exact: the same text (xxh3_64 of its UTF-8).
- Normalised: the same text once ASCII whitespace (space, tab, CR, LF, vertical tab,
  form feed) is left out of its UTF-8. So files that differ only in line endings,
  trailing spaces, indentation, blank lines or where lines break are copies (for
  Python, a statement indented differently is the same words). Reported with
  similarity 1.0, like exact ones.
- Near: estimated Jaccard similarity >= `NEAR_THRESHOLD` (0.85) between the sets of
  `SHINGLE_WORDS`-word shingles (5 consecutive words) of the file *after its leading
  comments* (`sketch_words`: a licence header shared by hundreds of small files must
  not make them copies of each other), estimated by a `NUM_PERM`-value MinHash and
  found by LSH banding (as datasketch's `MinHashLSH` does), each candidate verified. Reported with the
  estimate rounded to 3 places and capped at 0.999, so 1.0 always means "the same words".

Files too small to be worth folding are never copies: under `MIN_FOLD_BYTES` (256) of
normalised text, whitespace left out (an empty `__init__.py`, a one-line re-export; folding them would save
little more than the "duplicate of PATH" note costs), and only files with at least
`MIN_SKETCH_WORDS` (64) words after the leading comments get a sketch (below that one
changed word moves the Jaccard past the threshold, so only exact matching is meaningful).

The fingerprints and their MinHash (datasketch's, computed with numpy) are made in
`packer.sketch`; LSH banding here is datasketch's `MinHashLSH` in numpy (a test checks
the pairs are the same).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from packer.discover import VENDORED_DIRS
from packer.records import Duplicate
from packer.sketch import NUM_PERM, Fingerprint, U32Array

MIN_FOLD_BYTES = 256  # less normalised text: never folded, not even exact copies
NEAR_THRESHOLD = 0.85
# LSH banding: 16 bands of 8 values. A pair at Jaccard 0.85 shares a band with
# probability 0.994 (0.9: >0.9999, 0.7: 0.61, 0.5: 0.06); every candidate is then
# verified, so favouring recall costs only cheap comparisons. datasketch's own choice
# for threshold 0.85 (8 bands of 16) finds a pair at 0.9 only 81% of the time.
LSH_BANDS = (16, 8)
_NEAR_MATCHES = math.ceil(NEAR_THRESHOLD * NUM_PERM)  # equal values needed: 109 of 128


def is_vendored(path: str) -> bool:
    """Whether a path lies under a vendored directory (`vendor/`, `node_modules/`, ...)."""
    return any(part in VENDORED_DIRS for part in path.split("/")[:-1])


def find_duplicates(
    paths: Sequence[str],
    prints: Sequence[Fingerprint],
    *,
    order: Sequence[int],
    vendored: Callable[[str], bool] = is_vendored,
) -> list[Duplicate]:
    """Every file that is a copy of another, with the copy that is packed instead.

    `prints[i]` is the fingerprint of `paths[i]`. `order` lists indices best ranked
    first (indices it leaves out rank last). Files are linked when their normalised
    texts are equal or their sketches agree on at least 85% of values (LSH candidates,
    each verified); each linked group then chooses its canonical copy: not vendored
    first, then best ranked, then by path. Every member that is an exact or normalised
    copy of the canonical one, or a near copy of it (checked against the canonical
    itself, not through a chain), is its duplicate; members left over repeat the
    choice among themselves. So no file is its own `same_as`, and a `same_as` is never
    itself a duplicate. Sorted by path; the same inputs give the same output.
    """
    n = len(paths)
    if len(prints) != n:
        raise ValueError(f"{n} paths but {len(prints)} fingerprints")
    rank = dict.fromkeys(range(n), n)
    rank.update((i, r) for r, i in enumerate(order))
    out: list[Duplicate] = []
    for members in _linked_groups(prints):
        members.sort(key=lambda i: (vendored(paths[i]), rank[i], paths[i]))
        out.extend(_assign(members, paths, prints))
    out.sort(key=lambda d: d.path)
    return out


class _Links:
    """Union-find over file indices; the root of each set is its smallest index."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def _linked_groups(prints: Sequence[Fingerprint]) -> list[list[int]]:
    """The files linked as exact, normalised or near copies: the groups of two or more,
    each in index order."""
    n = len(prints)
    links = _Links(n)
    linked: set[int] = set()  # files a link touched: the rest are alone (most of a tree)
    # Exact and normalised copies: equal normalised hashes. One representative each.
    first: dict[str, int] = {}
    reps: list[int] = []
    for i, fp in enumerate(prints):
        if fp.size < MIN_FOLD_BYTES:
            continue
        j = first.setdefault(fp.normalized, i)
        if j == i:
            reps.append(i)
        else:
            links.union(i, j)
            linked.update((i, j))

    # Near copies: LSH candidates among the representatives, verified.
    sketched = [i for i in reps if prints[i].minhash is not None]
    for i, j in _near_pairs([_values(prints[i]) for i in sketched]):
        links.union(sketched[i], sketched[j])
        linked.update((sketched[i], sketched[j]))

    groups: dict[int, list[int]] = {}
    for i in sorted(linked):
        groups.setdefault(links.find(i), []).append(i)
    return [members for members in groups.values() if len(members) > 1]


def _values(fp: Fingerprint) -> U32Array:
    assert fp.minhash is not None
    return np.frombuffer(fp.minhash, "<u4")


def _near_pairs(sketches: Sequence[U32Array]) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, whose sketches agree on at least `_NEAR_MATCHES` values.

    LSH banding as datasketch's `MinHashLSH(params=LSH_BANDS)` does it: two sketches are
    candidates when all values of one band are equal. Done with one numpy sort per band
    (datasketch inserts and queries file by file, and importing it costs 0.4 s).
    """
    if len(sketches) < 2:
        return []
    matrix = np.stack(sketches)
    bands, rows = LSH_BANDS
    candidates: set[tuple[int, int]] = set()
    for b in range(bands):
        part = np.ascontiguousarray(matrix[:, b * rows : (b + 1) * rows])
        band = part.view(np.dtype((np.void, 4 * rows))).ravel()  # a band's values as one key
        order = np.argsort(band, kind="stable")
        sorted_band = band[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_band[1:] != sorted_band[:-1])))
        ends = np.append(starts[1:], len(order))
        for s, e in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(), strict=True):
            group = sorted(order[s:e].tolist())
            candidates.update(itertools.combinations(group, 2))
    pairs: list[tuple[int, int]] = []
    by_first: dict[int, list[int]] = {}
    for i, j in candidates:
        by_first.setdefault(i, []).append(j)
    for i in sorted(by_first):
        cands = np.array(sorted(by_first[i]), dtype=np.intp)
        # The same estimate as MinHash.jaccard, for all candidates at once.
        agree = np.count_nonzero(matrix[cands] == matrix[i], axis=1)
        pairs.extend((i, int(j)) for j in cands[agree >= _NEAR_MATCHES])
    return pairs


def _assign(members: list[int], paths: Sequence[str], prints: Sequence[Fingerprint]) -> list[Duplicate]:
    """Fold a linked group, best first, onto canonical copies checked directly."""
    sketches = np.stack(
        [
            _values(prints[i]) if prints[i].minhash is not None else np.zeros(NUM_PERM, np.uint32)
            for i in members
        ]
    )
    has = np.array([prints[i].minhash is not None for i in members])
    out: list[Duplicate] = []
    left = np.arange(len(members))
    while len(left) >= 2:
        head, rest = int(left[0]), left[1:]
        canon = prints[members[head]]
        same = np.array([prints[members[k]].normalized == canon.normalized for k in rest], dtype=bool)
        agree = np.count_nonzero(sketches[rest] == sketches[head], axis=1)
        fold = same | (has[rest] & has[head] & (agree >= _NEAR_MATCHES))
        for k, s, a in zip(rest[fold], same[fold], agree[fold], strict=True):
            sim = 1.0 if s else min(round(int(a) / NUM_PERM, 3), 0.999)
            out.append(Duplicate(paths[members[k]], same_as=paths[members[head]], similarity=sim))
        left = rest[~fold]
    return out
