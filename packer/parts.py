"""Split packs: cut the files into parts that each fit a budget, and the map every part opens with.

The files are laid out in one sequence that keeps neighbourhoods together
(`sequence`): a depth-first walk of the directory tree, so a directory's files are
contiguous, where the children of each directory follow the reference graph: after
a child comes the unvisited sibling it shares most references with (path order when
none). Parts are then contiguous runs of that sequence, and each cut is placed where
it separates the least: at the shallowest directory boundary near an even share of
what is left (a fixed number of parts, or the fewest parts the total allows), or,
when no balanced cut fits, where a part is nearly full. So a directory spans
consecutive parts, and files that reference each other across directories sit side
by side. Deterministic: ties break by path.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from itertools import accumulate

FILL = 0.9  # an open-ended split cuts where a part is at least this full
SLACK = 0.1  # a fixed-count split cuts within this share of a part around the even point


def sequence(paths: Sequence[str], edges: Iterable[tuple[int, int]] = ()) -> list[int]:
    """Indices of `paths` in directory order, siblings chained along the reference graph."""
    children: dict[str, list[str]] = defaultdict(list)  # dir -> units: "d/sub/" or file index
    seen: set[str] = set()
    for i in sorted(range(len(paths)), key=lambda i: paths[i]):
        segs = paths[i].split("/")
        for k in range(len(segs) - 1):
            unit = "/".join(segs[: k + 1]) + "/"
            if unit not in seen:
                seen.add(unit)
                children["/".join(segs[:k]) + "/" if k else ""].append(unit)
        children["/".join(segs[:-1]) + "/" if len(segs) > 1 else ""].append(str(i))
    links: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a, b in edges:
        ua, ub = _sibling_units(paths, a, b)
        if ua != ub:
            links[ua][ub] += 1
            links[ub][ua] += 1
    out: list[int] = []
    stack: list[str] = [""]
    while stack:
        unit = stack.pop()
        if not unit.endswith("/") and unit:
            out.append(int(unit))
            continue
        order = _chain(children[unit], links)
        stack.extend(reversed(order))
    return out


def _sibling_units(paths: Sequence[str], a: int, b: int) -> tuple[str, str]:
    """The children of the deepest directory holding both a and b that hold each."""
    sa, sb = paths[a].split("/"), paths[b].split("/")
    k = 0
    while k < len(sa) - 1 and k < len(sb) - 1 and sa[k] == sb[k]:
        k += 1
    ua = "/".join(sa[: k + 1]) + "/" if k < len(sa) - 1 else str(a)
    ub = "/".join(sb[: k + 1]) + "/" if k < len(sb) - 1 else str(b)
    return ua, ub


def _chain(units: list[str], links: dict[str, dict[str, int]]) -> list[str]:
    """Units in path order, except that each is followed by its most-linked unvisited sibling."""
    if not any(u in links for u in units):
        return units
    position = {u: k for k, u in enumerate(units)}
    done: set[str] = set()
    out: list[str] = []
    nxt = 0
    current: str | None = None
    while len(out) < len(units):
        pick = None
        if current is not None:
            near = [
                (-w, position[v])
                for v, w in links.get(current, {}).items()
                if v in position and v not in done
            ]
            if near:
                pick = units[min(near)[1]]
        if pick is None:
            while units[nxt] in done:
                nxt += 1
            pick = units[nxt]
        done.add(pick)
        out.append(pick)
        current = pick
    return out


def partition(
    paths: Sequence[str],
    costs: Sequence[int],
    *,
    capacity: int,
    first_capacity: int | None = None,
    parts: int | None = None,
    edges: Iterable[tuple[int, int]] = (),
    pinned: Collection[int] = (),
) -> list[list[int]] | None:
    """Indices 0..len(paths)-1 cut into parts whose costs sum to at most the capacity.

    `first_capacity` (default `capacity`) is the room of part 1 (it may carry a diff);
    `pinned` items (the diff's files) lead the sequence, so they land in part 1.
    `parts`: exactly that many parts (balanced; some may be empty when items are few);
    None: as many as needed. `edges`: pairs of indices that reference each other.
    Returns None when the items cannot be placed (an item larger than a part, or more
    than `parts` parts' worth); the caller then packs less.
    """
    first_cap = capacity if first_capacity is None else first_capacity
    if any(c > capacity for c in costs):
        return None
    pin = list(pinned)
    pinned_set = set(pin)
    seq = pin + [i for i in sequence(paths, edges) if i not in pinned_set]
    cum = [0, *accumulate(costs[i] for i in seq)]
    depth = [0] + [_boundary_depth(paths[seq[k - 1]], paths[seq[k]]) for k in range(1, len(seq))]
    if parts is None:
        # As few parts as possible: try each count from the least the total needs,
        # balanced cuts first (they find the better boundaries), then a greedy fill.
        greedy = _cuts_open(cum, depth, capacity, first_cap)
        least = 1 if cum[-1] <= first_cap else 2 + int((cum[-1] - first_cap - 1) // capacity)
        cuts: list[int] | None = greedy
        for count in range(least, len(greedy) + 2):
            balanced = _cuts_fixed(cum, depth, capacity, first_cap, count)
            if balanced is not None:
                cuts = balanced
                break
    else:
        cuts = _cuts_fixed(cum, depth, capacity, first_cap, parts)
    if cuts is None:
        return None
    bounds = [0, *cuts, len(seq)]
    return [seq[bounds[k] : bounds[k + 1]] for k in range(len(bounds) - 1)]


def _boundary_depth(a: str, b: str) -> int:
    """How many leading directories two neighbouring files share (0: top-level boundary)."""
    da, db = a.split("/")[:-1], b.split("/")[:-1]
    k = 0
    while k < len(da) and k < len(db) and da[k] == db[k]:
        k += 1
    return k


def _best_cut(lo: int, hi: int, depth: Sequence[int], prefer: int) -> int:
    """A cut position in [lo, hi]: the shallowest boundary, then the nearest to `prefer`."""
    return min(range(lo, hi + 1), key=lambda c: (depth[c], abs(c - prefer), c))


def _last_fitting(cum: Sequence[int], start: int, room: float) -> int:
    """The largest end such that items [start, end) fit in `room`."""
    return max(start, bisect_right(cum, cum[start] + room) - 1)


def _cuts_open(cum: Sequence[int], depth: Sequence[int], capacity: int, first_cap: int) -> list[int]:
    n = len(cum) - 1
    cuts: list[int] = []
    start, room = 0, first_cap
    while True:
        end = _last_fitting(cum, start, room)
        if end >= n:
            return cuts
        if end == start:  # part 1 too small for the first item: it keeps only what fits
            cuts.append(start)
            room = capacity
            continue
        full_enough = _last_fitting(cum, start, room * FILL)
        lo = max(start + 1, full_enough)
        cut = _best_cut(lo, end, depth, end)
        cuts.append(cut)
        start, room = cut, capacity


def _cuts_fixed(
    cum: Sequence[int], depth: Sequence[int], capacity: int, first_cap: int, parts: int
) -> list[int] | None:
    n = len(cum) - 1
    total = cum[-1]
    share = total / parts
    cuts: list[int] = []
    start = 0
    for k in range(1, parts):
        room = first_cap if k == 1 else capacity
        end = _last_fitting(cum, start, room)
        # Aim at an even share of what is left, so a short part early is made up later.
        left = parts - k + 1
        goal = cum[start] + (total - cum[start]) / left
        lo_v, hi_v = goal - SLACK * share, goal + SLACK * share
        lo = max(start, bisect_left(cum, lo_v))
        hi = min(end, bisect_right(cum, hi_v) - 1)
        ideal = min(range(start, end + 1), key=lambda c: abs(cum[c] - goal))
        cut = _best_cut(lo, hi, depth, ideal) if lo <= hi else min(end, max(start, ideal))
        cuts.append(cut)
        start = cut
    if cum[n] - cum[start] > (first_cap if parts == 1 else capacity):
        return None
    return cuts


# -- the map at the head of every part ------------------------------------------------


def part_ranges(numbers: Iterable[int], limit: int = 4) -> str:
    """{1, 2, 3, 5} -> "parts 1-3, 5"; long lists end in "…" after `limit` ranges."""
    nums = sorted(set(numbers))
    if not nums:
        return "in no part"
    ranges: list[str] = []
    start = prev = nums[0]
    for x in [*nums[1:], None]:
        if x is not None and x == prev + 1:
            prev = x
            continue
        ranges.append(str(start) if start == prev else f"{start}-{prev}")
        if x is not None:
            start = prev = x
    word = "part" if len(nums) == 1 else "parts"
    shown = ", ".join(ranges[:limit]) + (", …" if len(ranges) > limit else "")
    return f"{word} {shown}"


def map_lines(paths: Sequence[str], part_of: Sequence[int | None], depth: int) -> list[str]:
    """Directory lines (tree-style) down to `depth`, each saying which parts hold its files.

    `part_of[i]` is the part (1-based) holding file i, or None when it is only listed.
    Files at the top level are summarised on the root line.
    """
    files: dict[str, int] = defaultdict(int)
    held: dict[str, set[int]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    for path, part in zip(paths, part_of, strict=True):
        segs = path.split("/")[:-1]
        for k in range(0, min(len(segs), depth) + 1):
            d = "/".join(segs[:k])
            files[d] += 1
            if part is not None:
                held[d].add(part)
            if k:
                children["/".join(segs[: k - 1])].add(d)

    def describe(d: str) -> str:
        n = files[d]
        return f"[{n:,} file{'' if n == 1 else 's'}; {part_ranges(held[d])}]"

    lines = [f". {describe('')}"]
    stack: list[tuple[str, str]] = [(d, "") for d in sorted(children[""], reverse=True)]
    while stack:
        d, prefix = stack.pop()
        parent = d.rpartition("/")[0]
        siblings = sorted(children[parent])
        last = siblings[-1] == d
        name = d.rpartition("/")[2]
        lines.append(f"{prefix}{'└── ' if last else '├── '}{name}/ {describe(d)}")
        below = prefix + ("    " if last else "│   ")
        stack.extend((c, below) for c in sorted(children[d], reverse=True))
    return lines
