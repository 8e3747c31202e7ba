"""The orchestrator: walk, measure, rank, deduplicate, fit, render. It alone knows the stage order.

`prepare` runs the stages every pack shares; `run` then fits one pack (`_single`), or
chooses the target (`--target auto`), or splits the files over several packs (`_split`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import IO, Any

import xxhash

from packer import discover, history, languages, rank, secrets
from packer import graph as graphs
from packer import output as outputs
from packer.cache import Cache
from packer.cache import key as cache_key
from packer.config import PackConfig, resolve
from packer.dedup import find_duplicates
from packer.errors import BudgetError, ConfigError, EmptyPackError, PackerError
from packer.fit import Pass, Plan, default_passes, fit
from packer.measure import Costs, Measured, Progress, Work, measure, workers
from packer.output import atomic_text, write_json
from packer.parts import map_lines, partition
from packer.records import (
    Decision,
    Duplicate,
    FileInfo,
    GitSignals,
    Mode,
    PackResult,
    PackStats,
    Part,
    RankWeights,
    Secret,
    Skip,
    Task,
    WalkResult,
)
from packer.render import Header, Renderer, display_path, make_renderer, pack_token
from packer.sketch import Fingerprint
from packer.task import build_task, gate_diff
from packer.tokens import Counter
from packer.tree import Tree

__all__ = ["Progress", "measure", "pack", "run", "skip_kind"]

# Code files; above it the reference graph is left out: parsing 20K C files cold takes
# 90 s on 2 cores and their symbols take ~100 MB per 1,000 files in memory.
SYMBOLS_LIMIT = 8_000
SKETCH_SPAN = 3  # a budgeted pack sketches (near-dup) the best files worth this many budgets
MAP_SHARE = 0.02  # a split pack's map may use this share of a part (at most MAP_MAX tokens)
MAP_MAX = 6_000
Output = str | os.PathLike[str] | IO[str] | None


@dataclass
class Prepared:
    """What every pack of one repository and task shares, whatever its budget or shape."""

    root: Path
    cfg: PackConfig
    task: Task
    walked: WalkResult
    measured: Measured
    costs: Costs
    renderer: Renderer
    skipped: list[Skip]
    ranked: list[rank.Ranked]  # best first; focus and changed files lead
    focus: set[int]
    dup_of: dict[int, str]  # copies (never focus files) -> the canonical path
    duplicates: list[Duplicate]
    diff: str  # the rendered diff block, "" without one
    edges: list[tuple[int, int]]  # file reference pairs (empty without the graph)
    timings: dict[str, float] = field(default_factory=dict)
    diff_secrets: tuple[Secret, ...] = ()  # found in the diff's sections

    @property
    def infos(self) -> list[FileInfo]:
        return self.measured.infos


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - self.t, 3)
        self.t = now


def focus_indices(infos: Sequence[FileInfo], task: Task) -> set[int]:
    """Files the task names: focus files, files under focus directories, changed files."""
    wanted = set(task.focus) | set(task.changed)
    dirs = tuple(p for p in wanted if p.endswith("/"))
    return {i for i, f in enumerate(infos) if f.path in wanted or f.path.startswith(dirs)}


def prepare(
    root: Path,
    cfg: PackConfig,
    task: Task,
    *,
    progress: Progress | None = None,
    cache: Cache | None = None,
    written: frozenset[str] = frozenset(),
) -> Prepared:
    """Walk, measure, rank and deduplicate.

    An unbudgeted pack counts every file exactly while reading it (it packs them all).
    A budgeted one only estimates while reading; `Costs` counts a file when the fit
    touches it, so a 1M pack of a 400M-token tree counts a few thousand files.
    """
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    counter = Counter(cfg.encoding)
    walked = discover.walk(
        root,
        use_gitignore=cfg.use_gitignore,
        include=cfg.include,
        exclude=cfg.exclude,
        keep=cfg.keep,
        max_file_size=cfg.max_file_size,
        outputs=written,
    )
    clock.lap("walk")
    if progress:
        progress("walk", len(walked.files), len(walked.files))
    exact = cfg.budget is None
    # The reference graph needs every code file parsed. An unbudgeted pack holds every
    # file anyway, and past `SYMBOLS_LIMIT` files a cold parse costs minutes in this
    # version: then ranking uses text, paths, git and priors only.
    code_files = sum(map(languages.is_code, map(languages.detect, (c.path for c in walked.files))))
    with_symbols = not exact and code_files <= SYMBOLS_LIMIT
    work = Work(
        keep=cfg.keep,
        max_file_size=cfg.max_file_size,
        encoding=cfg.encoding,
        format=cfg.format,
        count=exact,
        skeleton=cfg.skeleton and exact,
        redact=not cfg.allow_secrets,
        symbols=with_symbols,
        terms=with_symbols and bool(task.query),
        sketches=exact,
        cache_dir=str(cache.directory) if cache is not None else None,
        jobs=cfg.jobs,
    )
    measured = measure(walked.files, work=work, cache=cache, progress=progress)
    clock.lap("measure")
    infos = measured.infos
    skipped = sorted([*walked.skipped, *measured.skipped], key=lambda s: s.path)
    if not infos:
        reasons = _top_reasons(skipped)
        raise EmptyPackError(
            f"no packable files under {root}"
            + (f" ({len(skipped):,} skipped: {reasons})" if skipped else "")
            + "; point packer at a directory with text files, or relax --exclude/--include/--keep"
        )
    # The delimiters' token, from the content: measure counted with a placeholder token,
    # which costs the same (see `packer.render`).
    token = pack_token(((f.path, f.digest) for f in infos), cfg.format, cfg.encoding)
    renderer = make_renderer(cfg.format, names=[c.path for c in walked.files], token=token)
    costs = Costs(
        measured, counter=counter, renderer=renderer, work=work, redact=not cfg.allow_secrets, cache=cache
    )
    costs.load_lines(cache_key("tree-lines", 0, str(root), cfg.encoding, renderer.tree_line("\x00")))

    focus = focus_indices(infos, task)
    signals = history.git_signals(root, focus=task.focus + task.changed) if cfg.history else None
    # Ranking is a pure function of these; a run with the same files, task and history
    # (a second run) takes it from the cache instead of rebuilding graph and index.
    memo_key = _rank_key(infos, task, signals, cfg, with_symbols)
    memo = cache.get(memo_key) if cache is not None else None
    if memo is not None:
        ranked = [rank.Ranked(*r) for r in memo[0]]
        edges: list[tuple[int, int]] = [(a, b) for a, b in memo[1]]
    else:
        measured.complete(cache, work)
        syms = measured.symbols if with_symbols else [None] * len(infos)
        graph = graphs.build_graph([f.path for f in infos], syms) if with_symbols else None
        ranked = rank.rank(
            infos,
            symbols=syms,
            task=task,
            signals=signals,
            graph=graph,
            weights=RankWeights(**dict(cfg.weights)),
            terms=measured.terms or None,
        )
        # Focus and changed files lead the output whatever their score.
        ranked = sorted(ranked, key=lambda r: r.index not in focus)
        edges = []
        if graph is not None and graph.edge_count:
            rows, cols = graph.matrix.nonzero()
            edges = list(zip(rows.tolist(), cols.tolist(), strict=True))
        if cache is not None:
            cache.put(memo_key, ([(r.index, r.score, r.reason, r.relevant) for r in ranked], edges))
    clock.lap("rank")

    prints = measured.prints
    if not exact:
        prints = _sketch_contenders(measured, ranked, focus, costs, cfg)
    duplicates = find_duplicates([f.path for f in infos], prints, order=[r.index for r in ranked])
    # A copy costs no budget: it is a line in the tree that names its canonical file.
    # Focus files are packed even when they copy another file.
    index_of = {f.path: i for i, f in enumerate(infos)}
    dup_of = {index_of[d.path]: d.same_as for d in duplicates if index_of[d.path] not in focus}
    duplicates = [d for d in duplicates if index_of[d.path] in dup_of]
    clock.lap("dedup")
    # The diff obeys the file rules: a file the pack leaves out shows no hunk, the rest is redacted.
    diff: str = ""
    diff_secrets: tuple[Secret, ...] = ()
    if task.diff_sections:
        left_out = _diff_rules(root, cfg, infos, skipped, [s.path for s in task.diff_sections if s.path])
        text, diff_secrets = gate_diff(task, left_out.get, redact=not cfg.allow_secrets)
        diff = renderer.diff_block(task.diff_ref or "HEAD", text)
    return Prepared(
        root,
        cfg,
        task,
        walked,
        measured,
        costs,
        renderer,
        skipped,
        ranked,
        focus,
        dup_of,
        duplicates,
        diff,
        edges,
        timings,
        diff_secrets,
    )


def _diff_rules(
    root: Path, cfg: PackConfig, infos: Sequence[FileInfo], skipped: Sequence[Skip], paths: Iterable[str]
) -> dict[str, str]:
    """Why the pack leaves each of the diff's files out (those it packs are absent)."""
    packed = {f.path for f in infos}
    why = {s.path: s.reason for s in skipped}
    dirs = [(s.path, s.reason) for s in skipped if s.path.endswith("/")]
    out: dict[str, str] = {}
    gone: list[str] = []
    for path in dict.fromkeys(paths):
        if "secrets-file" not in cfg.keep and secrets.is_secrets_file(path):
            out[path] = "secrets file"
        elif secrets.scan(path):
            out[path] = "secret in file name"
        elif path in packed:
            continue
        elif path in why:
            out[path] = why[path]
        elif under := next((reason for d, reason in dirs if path.startswith(d)), None):
            out[path] = under
        elif os.path.lexists(root / path):
            out[path] = "left out by the ignore rules"
        else:
            gone.append(path)  # deleted: judged by the rules that go by name
    out.update(discover.left_out_by_name(root, gone, include=cfg.include, exclude=cfg.exclude, keep=cfg.keep))
    return out


def _rank_key(
    infos: Sequence[FileInfo], task: Task, signals: GitSignals | None, cfg: PackConfig, with_symbols: bool
) -> bytes:
    h = xxhash.xxh3_128()
    for f in infos:  # symbols and comment words follow from the digests
        h.update(
            f"{f.path}\x00{f.digest}\x00{f.language}\x00{f.tokens}\x00{f.estimated}\x01".encode(
                "utf-8", "surrogatepass"
            )
        )
    h.update(repr((task, signals, cfg.weights, with_symbols)).encode("utf-8", "surrogatepass"))
    return cache_key(h.hexdigest(), len(infos), "rank")


def _sketch_contenders(
    measured: Measured, ranked: Sequence[rank.Ranked], focus: set[int], costs: Costs, cfg: PackConfig
) -> list[Fingerprint]:
    """Fingerprints with MinHash sketches for the files a budgeted pack could hold.

    Near copies matter only where they would cost budget: among the best-ranked files
    worth `SKETCH_SPAN` budgets (and focus files). Others match exact and whitespace-
    normalised copies only, which every fingerprint supports.
    """
    assert cfg.budget is not None
    room = SKETCH_SPAN * cfg.budget
    chosen: list[int] = []
    for r in ranked:
        if room <= 0 and r.index not in focus:
            continue
        chosen.append(r.index)
        room -= measured.infos[r.index].tokens

    costs.preload(chosen)

    def one(i: int) -> tuple[int, Fingerprint]:
        return i, costs.fingerprint(i)

    prints = list(measured.prints)
    with ThreadPoolExecutor(workers()) as pool:
        for i, fp in pool.map(one, chosen):
            prints[i] = fp
    return prints


def run(
    root: Path,
    cfg: PackConfig,
    *,
    task: Task | None = None,
    output: Output,
    manifest: str | os.PathLike[str] | None,
    progress: Progress | None = None,
    verify: bool | None = None,
    also_written: Sequence[str | os.PathLike[str]] = (),
) -> PackResult:
    task = task or Task()
    if cfg.parts is not None and output is not None and not isinstance(output, (str, os.PathLike)):
        raise ConfigError(
            "a split pack is written to several files: give an output path "
            "(NAME.xml becomes NAME-1.xml, NAME-2.xml, ...)"
        )
    written = _check_outputs(root, cfg, output, manifest, also_written)
    cache = Cache(cfg.cache_dir) if cfg.cache else None
    # A large repository's records are millions of objects and none forms a cycle:
    # collections would walk them all, again and again (a third of a warm run's time).
    try:
        with graphs.gc_paused():
            prep = prepare(root, cfg, task, progress=progress, cache=cache, written=written)
            verify = cfg.budget is not None if verify is None else verify
            if cfg.auto:
                result = _auto(prep, output, verify)
            elif cfg.parts is not None:
                result = _split(prep, cfg, output, verify)
            else:
                result = _single(prep, cfg, output, verify)
            prep.costs.save_lines()
    finally:
        if cache is not None:
            cache.close()
    if cache is not None and cache.warnings:
        result = replace(result, warnings=(*result.warnings, *cache.warnings))
    if cfg.warnings:
        result = replace(result, warnings=(*cfg.warnings, *result.warnings))
    if manifest is not None:
        write_json(manifest, result.manifest())
    return result


def _check_outputs(
    root: Path,
    cfg: PackConfig,
    output: Output,
    manifest: str | os.PathLike[str] | None,
    also: Sequence[str | os.PathLike[str]],
) -> frozenset[str]:
    """Refuse a bad output path before any work; the paths this run writes."""
    for p in (output, manifest, *also):
        if isinstance(p, (str, os.PathLike)):
            outputs.check_no_link_below(p, root)
    paths: list[str | os.PathLike[str]] = [*also]
    to_file: str | os.PathLike[str] | None = None
    if isinstance(output, (str, os.PathLike)):
        to_file = None if outputs.check(output) else output
        paths.append(output)
        if cfg.parts is not None or cfg.auto:  # parts of this split, or of an earlier one
            paths += [p for _, p in outputs.existing_parts(output)]
    if manifest is not None:
        # Both to one stream (/dev/null) is fine; both to one file loses the pack.
        if (
            not outputs.check(manifest)
            and to_file is not None
            and (
                outputs.same_file(to_file, manifest)
                or ((cfg.parts is not None or cfg.auto) and outputs.is_part_path(to_file, manifest))
            )
        ):
            raise ConfigError(
                f"-o and --manifest both name {os.fspath(manifest)}; the manifest "
                "would replace the pack: give it another name"
            )
        paths.append(manifest)
    return outputs.canonical_paths(paths)


# -- one pack ------------------------------------------------------------------------


@dataclass
class _Fitted:
    cfg: PackConfig
    tree: Tree
    plan: Plan
    header: Header
    total: int


def _fit(prep: Prepared, cfg: PackConfig, first: Sequence[Pass] = ()) -> _Fitted:
    """One pack's plan; `first` passes run before the default ones."""
    infos, costs, renderer = prep.infos, prep.costs, prep.renderer
    clock = _Clock(prep.timings)
    tree = Tree(
        infos,
        line_cost=costs.line,
        separator_cost=costs.block(renderer.tree_separator()),
        file_cost=lambda i, mode: costs(i, mode) or costs.full(i),
        notes={i: f"duplicate of {display_path(p)}" for i, p in prep.dup_of.items()},
    )
    static = sum(
        costs.block(b)
        for b in (
            renderer.tree_open(),
            renderer.tree_close(),
            prep.diff,
            renderer.files_open(),
            renderer.footer(),
        )
    )
    # Reserve the header at its largest: every number it states can only shrink.
    n = len(infos)
    header_reserve = costs.block(
        renderer.header(_header(prep, cfg, None, cfg.budget or 10**12, n, files_full=n, files_skeleton=n))
    )
    if cfg.budget is not None and static + header_reserve + tree.cost > cfg.budget:
        need = static + header_reserve + tree.cost
        raise BudgetError(
            f"budget {cfg.budget:,} tokens cannot hold even the header, tree"
            + (" and diff" if prep.diff else "")
            + f" ({need:,} tokens); use --budget {need + 1000:,} or more"
        )
    if cfg.budget is not None:
        costs.preload(_likely_counted(prep, costs, cfg.budget))
    plan = fit(
        infos,
        [r for r in prep.ranked if r.index not in prep.dup_of],
        tree=tree,
        budget=cfg.budget,
        fixed_tokens=static + header_reserve,
        file_separator_tokens=costs.block(renderer.file_separator()),
        passes=[*first, *([Pass(("skeleton", "full"))] if cfg.skeleton else default_passes(prep.focus))],
        cost=costs,
        floor=costs.floor,
    )
    clock.lap("fit")
    n_listed = n - len(plan.packed)
    header, total = _settle_header(
        costs.block,
        renderer,
        lambda t: _header(prep, cfg, plan, t, n_listed),
        static + plan.body_tokens,
    )
    if cfg.budget is not None and total > cfg.budget:  # pragma: no cover - guarded by reserve
        raise AssertionError(f"pack of {total} tokens exceeds budget {cfg.budget}")
    return _Fitted(cfg, tree, plan, header, total)


def _likely_counted(prep: Prepared, costs: Costs, budget: int) -> list[int]:
    """The files the fitter will most likely ask about: best ranked first, each small enough,
    worth a few budgets (their cached counts are read in one query)."""
    out: list[int] = []
    room = 3 * budget
    for r in prep.ranked:
        i = r.index
        if i in prep.dup_of or costs.floor(i) > budget:
            continue
        out.append(i)
        room -= prep.infos[i].tokens
        if room <= 0 or len(out) >= 8000:
            break
    return out


def _single(
    prep: Prepared, cfg: PackConfig, output: Output, verify: bool, fitted: _Fitted | None = None
) -> PackResult:
    fitted = fitted or _fit(prep, cfg)
    plan = fitted.plan
    if not plan.packed:
        smallest = min(f.tokens for f in prep.infos)
        raise EmptyPackError(
            f"no file fits in the budget of {cfg.budget:,} tokens (the smallest file costs "
            f"about {smallest:,} tokens plus the header and tree); raise --budget"
        )
    clock = _Clock(prep.timings)
    blocks = _blocks(
        prep, fitted.header, _tree_lines(fitted.tree), prep.diff, [(i, plan.modes[i]) for i in plan.packed]
    )
    out_path = _write(blocks, output)
    clock.lap("render")
    if verify and out_path is not None:
        _verify(prep, out_path, fitted.total)
        clock.lap("verify")
    copies = _copies(prep, fitted.tree)
    return _result(prep, cfg, fitted.total, plan.decisions + tuple(copies), plan.packed, out_path, ())


def _copies(prep: Prepared, tree: Tree | None) -> list[Decision]:
    infos = prep.infos
    return [
        Decision(infos[i].path, "listed", tree.line_tokens(i) if tree else 0, 0.0, f"duplicate of {p}")
        for i, p in sorted(prep.dup_of.items(), key=lambda kv: infos[kv[0]].path)
    ]


def _result(
    prep: Prepared,
    cfg: PackConfig,
    total: int,
    decisions: tuple[Decision, ...],
    packed: Sequence[int],
    out_path: str | None,
    parts: tuple[Part, ...],
) -> PackResult:
    walked = prep.walked
    n_packed = len(packed)
    return PackResult(
        root=str(prep.root),
        encoding=cfg.encoding,
        target=cfg.target.name,
        budget=cfg.budget,
        total_tokens=total,
        files=decisions,
        skipped=tuple(prep.skipped),
        duplicates=tuple(prep.duplicates),
        warnings=walked.warnings,
        stats=PackStats(
            files_seen=len(walked.files) + len(walked.skipped),
            files_packed=n_packed,
            files_listed=len(prep.infos) - n_packed,
            files_skipped=len(prep.skipped),
            seconds=prep.timings,
            counted_at_fit=prep.costs.counted,
        ),
        output_path=out_path,
        parts=parts,
        secrets=_secrets(prep, packed),
    )


def _secrets(prep: Prepared, packed: Sequence[int]) -> tuple[Secret, ...]:
    found = (*prep.walked.secrets, *prep.costs.found(packed))
    seen = set(found)  # a diff line of a packed file names the same secret as the file: once
    return (*found, *(s for s in prep.diff_secrets if s not in seen), *prep.task.query_secrets)


# -- --target auto ----------------------------------------------------------------------


def _auto(prep: Prepared, output: Output, verify: bool) -> PackResult:
    """Codex if everything relevant fits it in full, else the API window, else split.

    "Relevant" is the ranker's: every file without a task, else the files the task
    names and those its signals put near the best. A target is tried only when the
    estimate of what is relevant is within reach of its budget; the fit then decides.
    """
    cfg = prep.cfg
    wanted = [r.index for r in prep.ranked if r.relevant and r.index not in prep.dup_of]
    guess = sum(prep.infos[i].tokens for i in wanted)
    targets = cfg.ladder
    for target in targets:
        tcfg = replace(cfg, target=target, budget=target.budget, auto=False)
        if guess > 2 * target.budget:
            continue
        # Everything relevant in full first; the default passes then fill what is left.
        fitted = _fit(prep, tcfg, [Pass(("full",), only=set(wanted))])
        if all(fitted.plan.modes.get(i) == "full" for i in wanted):
            return _single(prep, tcfg, output, verify, fitted)
    api = targets[-1]
    return _split(
        prep,
        replace(cfg, target=api, budget=api.budget, auto=False, parts=0),
        output,
        verify,
        only=set(wanted),
    )


# -- split packs ------------------------------------------------------------------------


def _split(
    prep: Prepared, cfg: PackConfig, output: Output, verify: bool, only: set[int] | None = None
) -> PackResult:
    """Every relevant file in one of several packs, each within the budget.

    Covered: every file but copies (without a task), or the relevant ones (with a task,
    or `only`). A file larger than a part goes in as its skeleton, else stays a path.
    With a fixed number of parts that cannot hold everything, the lowest-ranked files
    are degraded (skeleton, then path) until they fit.
    """
    assert cfg.budget is not None and cfg.parts is not None
    if output is not None and not isinstance(output, (str, os.PathLike)):
        raise ConfigError(
            "this pack is split into parts, written to several files: give an "
            "output path (NAME.xml becomes NAME-1.xml, NAME-2.xml, ...)"
        )
    clock = _Clock(prep.timings)
    infos, costs, renderer = prep.infos, prep.costs, prep.renderer
    budget = cfg.budget
    if only is None:
        only = {r.index for r in prep.ranked if r.relevant}
    order = [r.index for r in prep.ranked if r.index in only and r.index not in prep.dup_of]
    costs.prefetch(order)
    sep = costs.block(renderer.file_separator())
    n_parts = cfg.parts or None
    map_room = min(MAP_MAX, int(budget * MAP_SHARE))
    # Each part: header (at its largest), map, the fixed blocks; part 1 also the diff.
    frame = sum(
        costs.block(b)
        for b in (renderer.tree_open(), renderer.tree_close(), renderer.files_open(), renderer.footer())
    )
    n = len(infos)
    header_reserve = costs.block(
        renderer.header(
            _header(prep, cfg, None, budget, n, files_full=n, files_skeleton=n, part=10**6, parts=10**6)
        )
    )
    capacity = budget - header_reserve - map_room - frame
    first = capacity - costs.block(prep.diff)
    if first <= 0:
        raise BudgetError(
            f"a part of {budget:,} tokens cannot hold its header, map"
            + (" and the diff" if prep.diff else "")
            + f"; use --budget {budget - first + 10_000:,} or more"
        )

    modes: dict[int, Mode] = {}
    why: dict[int, str] = {}
    for i in order:
        full = costs.full(i) + sep
        if full <= capacity:
            modes[i] = "full"
            continue
        skel = costs.skeleton(i)
        if skel is not None and skel + sep <= capacity:
            modes[i] = "skeleton"
        else:
            why[i] = f"larger than a part: full needs {full:,} tokens, a part holds {capacity:,}"

    def cost(i: int) -> int:
        c = costs(i, modes[i])
        assert c is not None
        return c + sep

    groups: list[list[int]] | None = None
    while True:
        items = [i for i in order if i in modes]
        groups = partition(
            [infos[i].path for i in items],
            [cost(i) for i in items],
            capacity=capacity,
            first_capacity=first,
            parts=n_parts,
            edges=_local_edges(prep.edges, items),
            pinned=[k for k, i in enumerate(items) if i in prep.focus],
        )
        if groups is not None:
            groups = [[items[k] for k in g] for g in groups]
            break
        if n_parts is None:  # pragma: no cover - every item fits a part by construction
            raise AssertionError("split could not place files that each fit a part")
        _degrade(items, modes, why, costs, cost, room=first + (n_parts - 1) * capacity, n_parts=n_parts)
    clock.lap("fit")

    # Parts follow the rank of their best file; with a diff, part 1 (holding it) leads.
    rank_of = {r.index: k for k, r in enumerate(prep.ranked)}
    lead = groups[:1] if prep.diff else []
    groups = lead + sorted(
        groups[len(lead) :], key=lambda g: min((rank_of[i] for i in g), default=len(rank_of))
    )
    groups = [sorted(g, key=rank_of.__getitem__) for g in groups]
    part_of: dict[int, int] = {i: k + 1 for k, g in enumerate(groups) for i in g}

    lines, map_block = _map(prep, part_of, map_room)
    written: list[Part] = []
    out_paths = _part_paths(output, len(groups))
    if out_paths:  # before anything is written: a part never replaces another program's file
        outputs.check_parts(out_paths)
    for k, g in enumerate(groups):
        body = (
            map_block
            + frame
            + (costs.block(prep.diff) if k == 0 else 0)
            + sum(cost(i) for i in g)
            - (sep if g else 0)
        )
        n_full = sum(modes[i] == "full" for i in g)
        make = partial(
            _header,
            prep,
            cfg,
            None,
            n_listed=n - len(g),
            files_full=n_full,
            files_skeleton=len(g) - n_full,
            part=k + 1,
            parts=len(groups),
        )
        header, total = _settle_header(costs.block, renderer, make, body)
        if total > budget:  # pragma: no cover - guarded by the reserves
            raise AssertionError(f"part {k + 1} of {total} tokens exceeds budget {budget}")
        blocks = _blocks(prep, header, lines, prep.diff if k == 0 else "", [(i, modes[i]) for i in g])
        path = out_paths[k] if out_paths else None
        if path is not None:
            _write(blocks, path)
            if verify:
                _verify(prep, path, total)
        else:
            _write(blocks, None)
        written.append(Part(k + 1, path, total, n_full, len(g) - n_full))
    clock.lap("render")

    decisions = [
        Decision(infos[i].path, modes[i], cost(i) - sep, r.score, r.reason, part=part_of[i])
        if i in part_of
        else Decision(
            infos[i].path,
            "listed",
            0,
            r.score,
            f"{r.reason}; " + why.get(i, "not relevant to the task" if i not in only else "over budget"),
        )
        for r in prep.ranked
        if (i := r.index) not in prep.dup_of
    ]
    result = _result(
        prep,
        cfg,
        sum(p.total_tokens for p in written),
        tuple(decisions) + tuple(_copies(prep, None)),
        list(part_of),
        written[0].path if written else None,
        tuple(written),
    )
    if out_paths:  # parts of an earlier, longer split would read as part of this one
        kept = outputs.remove_stale_parts(os.fspath(output), len(groups))  # type: ignore[arg-type]
        result = replace(
            result,
            warnings=(
                *result.warnings,
                *(
                    f"{p} is not a packer part; it was left as it is, beside this pack's {len(groups)} parts"
                    for p in kept
                ),
            ),
        )
    return result


def _degrade(
    items: list[int],
    modes: dict[int, Mode],
    why: dict[int, str],
    costs: Costs,
    cost: Callable[[int], int],
    *,
    room: int,
    n_parts: int,
) -> None:
    """Make the lowest-ranked files cheaper until what is left fills 97% of the room.

    Called again (with a little less each time) while the grouping cannot place them.
    """
    used = sum(cost(i) for i in items)
    goal = min(int(room * 0.97), used - max(1, used // 50))
    for target_mode in ("skeleton", "listed"):
        for i in reversed(items):
            if used <= goal:
                return
            if modes.get(i) != "full" and not (target_mode == "listed" and modes.get(i)):
                continue
            before = cost(i)
            if target_mode == "skeleton":
                skel = costs.skeleton(i)
                if skel is None:
                    continue
                modes[i] = "skeleton"
            else:
                del modes[i]
                why[i] = f"over budget: {n_parts} parts cannot hold it"
            used -= before - (cost(i) if i in modes else 0)


def _local_edges(edges: Sequence[tuple[int, int]], items: Sequence[int]) -> list[tuple[int, int]]:
    at = {i: k for k, i in enumerate(items)}
    return [(at[a], at[b]) for a, b in edges if a in at and b in at]


def _map(prep: Prepared, part_of: dict[int, int], room: int) -> tuple[list[str], int]:
    """The deepest map whose lines fit `room`, and their cost."""
    paths = [f.path for f in prep.infos]
    held = [part_of.get(i) for i in range(len(paths))]
    costs, renderer = prep.costs, prep.renderer
    sep = costs.block(renderer.tree_separator())
    best: list[str] = []
    best_cost = 0
    deepest = max(p.count("/") for p in paths)
    for depth in range(0, deepest + 1):
        lines = map_lines(paths, held, depth)
        c = sum(costs.line(x) for x in lines) + sep * (len(lines) - 1)
        if c > room and best:
            break
        best, best_cost = lines, c
        if c > room:  # even the root line is over: keep it (room is at least one line)
            break
    return best, best_cost


def _part_paths(output: Output, n: int) -> list[str]:
    if not isinstance(output, (str, os.PathLike)):
        return []
    return outputs.part_paths(output, n)


# -- rendering ----------------------------------------------------------------------------


def _header(
    prep: Prepared,
    cfg: PackConfig,
    plan: Plan | None,
    total: int,
    n_listed: int,
    *,
    files_full: int | None = None,
    files_skeleton: int | None = None,
    part: int = 0,
    parts: int = 0,
) -> Header:
    modes = plan.modes.values() if plan else ()
    return Header(
        root_name=prep.root.name or str(prep.root),
        target=cfg.target.name,
        model=cfg.target.model,
        encoding=cfg.encoding,
        budget=cfg.budget,
        total_tokens=total,
        files_full=files_full if files_full is not None else sum(m == "full" for m in modes),
        files_skeleton=(
            files_skeleton if files_skeleton is not None else sum(m == "skeleton" for m in modes)
        ),
        files_listed=n_listed,
        files_skipped=len(prep.skipped),
        part=part,
        parts=parts,
    )


def _settle_header(
    count: Callable[[str], int], renderer: Renderer, make: Callable[[int], Header], rest: int
) -> tuple[Header, int]:
    """Find the header whose stated total equals the real total (header included).

    A number's token count only grows with its digits, so this converges in a few steps.
    """
    total = rest
    for _ in range(16):
        header = make(total)
        new_total = rest + count(renderer.header(header))
        if new_total == total:
            return header, total
        total = new_total
    raise AssertionError("header total did not settle")  # pragma: no cover


def _tree_lines(tree: Tree) -> list[str]:
    return list(tree.lines())


def _blocks(
    prep: Prepared, header: Header, lines: Sequence[str], diff: str, files: Sequence[tuple[int, Mode]]
) -> Iterable[str]:
    renderer, costs = prep.renderer, prep.costs
    yield renderer.header(header)
    yield renderer.tree_open()
    for n, line in enumerate(lines):
        if n:
            yield renderer.tree_separator()
        yield renderer.tree_line(line)
    yield renderer.tree_close()
    yield diff
    yield renderer.files_open()
    for n, (i, mode) in enumerate(files):
        info = prep.infos[i]
        text = costs.source(i).text if mode == "full" else costs.skeleton_text(i)
        if text is None:  # pragma: no cover - skeletonize is deterministic
            raise AssertionError(f"{info.path}: skeleton vanished between measure and write")
        if n:
            yield renderer.file_separator()
        yield renderer.file_block(info.path, text, mode, info.language)
    yield renderer.footer()


def _write(blocks: Iterable[str], output: Output) -> str | None:
    if output is None:
        for _ in blocks:  # still re-read files, so a vanished file is reported
            pass
        return None
    if isinstance(output, (str, os.PathLike)):
        with atomic_text(output) as f:
            for b in blocks:
                f.write(b)
        return os.fspath(output)
    for b in blocks:
        output.write(b)
    return None


def _verify(prep: Prepared, path: str, total: int) -> None:
    """Re-count a written pack: the stated total must be the file's real count (a stream
    written through, such as a FIFO or a device, cannot be read back)."""
    if outputs.check(path):  # written through: /dev/stdout may be a file another wrote to first
        return
    with open(path, encoding="utf-8", newline="") as f:
        actual = prep.costs.count(f.read())
    if actual != total:  # pragma: no cover - a renderer bug, never user error
        raise AssertionError(f"{path} has {actual} tokens, the manifest says {total}")


def skip_kind(reason: str) -> str:
    """The kind of a skip reason, for summaries ("symlink to a/b" -> "symlink")."""
    kind = reason.split(" (")[0].split(":")[0]
    for prefix in ("symlink", "excluded by", "not matched by", "too large"):
        if kind.startswith(prefix):
            return prefix
    return kind


def _top_reasons(skipped: Sequence[Skip]) -> str:
    counts: dict[str, int] = {}
    for s in skipped:
        key = skip_kind(s.reason)
        counts[key] = counts.get(key, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return ", ".join(f"{n:,} {k}" for k, n in top)


def pack(
    root: str | os.PathLike[str] = ".",
    *,
    budget: int | str | None = None,
    target: str | None = None,
    reserve: int | None = None,
    encoding: str | None = None,
    format: str | None = None,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    gitignore: bool | None = None,
    max_file_size: int | str | None = None,
    keep: Sequence[str] | None = None,
    skeleton: bool | None = None,
    query: str | None = None,
    focus: Sequence[str] = (),
    diff: str | None = None,
    staged: bool = False,
    parts: int | None = None,
    split: bool | None = None,
    allow_secrets: bool | None = None,
    history: bool | None = None,
    cache: bool | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    config: str | os.PathLike[str] | None = None,
    output: Output = None,
    manifest: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    also_written: Sequence[str | os.PathLike[str]] = (),
) -> PackResult:
    """Pack the repository at `root` under an exact token budget.

    Options left as None come from `[tool.packer]` in the root's `pyproject.toml` or
    from `.packer.toml`, else from the defaults: target "codex" (budget 200,000),
    encoding o200k_base, format "xml", gitignore on, max_file_size 1 MB. `budget="none"`
    packs everything. `skeleton=True` packs each code file as its skeleton (signatures,
    docs, declarations; bodies elided).

    The task: `query` (text, or "@file"), `focus` (files or directories that must be in
    full), `diff` (a git REF: the changes against it, untracked files included, are
    rendered in the pack and the changed files become focus files), `staged` (the index
    against HEAD). With none of these the ranking is global.

    `target="auto"`: the codex budget if everything relevant fits it in full, else the
    api window, else a split into api-sized parts. `parts=N` / `split=True`: cover the
    repository (with a task: the relevant files) in N parts / as many as needed, each
    within the budget, grouped by directory and reference graph; `output` "NAME.xml"
    becomes NAME-1.xml, NAME-2.xml, ... and `PackResult.parts` lists them.

    Secrets found in packed files (keys, tokens, private keys, passwords) are replaced by
    `[REDACTED:<kind>]` and listed in `PackResult.secrets`; `allow_secrets=True` keeps
    them (still listed, as not redacted). `history=False` ranks without git history, so
    the output depends on the files' contents only (generated context files).

    Counts, secret scans and parses of unchanged files are reused from the cache
    (`cache_dir`, else `PACKER_CACHE_DIR`, else the user cache directory); `cache=False`
    neither reads nor writes it. `jobs` sets the worker processes (1: none); the output
    is the same whatever it is.

    `output` is a path (written atomically, see `packer.output`), a text stream (written
    block by block), or None (nothing written; the result still says what would be).
    `manifest` is a path for the JSON manifest. Neither is packed, nor are the files in
    `also_written` (what the caller writes from this pack, such as a review's answer), nor
    any earlier pack or manifest. Raises PackerError subclasses for problems the caller
    can fix, a bad output path among them, before any work; never prints or exits.
    """
    path = Path(root)
    if not path.exists():
        raise PackerError(f"path {os.fspath(root)!r} does not exist; pass an existing directory")
    if not path.is_dir():
        raise PackerError(f"{os.fspath(root)!r} is not a directory; pass the repository's directory")
    path = path.resolve()
    explicit: dict[str, Any] = {
        "budget": budget,
        "target": target,
        "reserve": reserve,
        "encoding": encoding,
        "format": format,
        "include": include,
        "exclude": exclude,
        "gitignore": gitignore,
        "max_file_size": max_file_size,
        "keep": keep,
        "skeleton": skeleton,
        "parts": parts,
        "split": split,
        "allow_secrets": allow_secrets,
        "history": history,
        "cache": cache,
        "cache_dir": cache_dir,
        "jobs": jobs,
    }
    cfg = resolve(path, explicit=explicit, config_file=Path(config) if config else None)
    task = build_task(
        path, query=query, focus=focus, diff="HEAD" if staged and diff is None else diff, staged=staged
    )
    return run(
        path, cfg, task=task, output=output, manifest=manifest, progress=progress, also_written=also_written
    )
