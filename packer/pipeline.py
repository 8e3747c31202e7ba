"""The orchestrator: walk, measure, rank, deduplicate, fit, render. It alone knows the stage order.

`prepare` runs the stages every pack shares; `run` then fits one pack (`single`), or
chooses the target (`--target auto`), or splits the files over several packs (`split`).
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import xxhash

from packer import discover, history, languages, rank, secrets, snapshot, usage
from packer import graph as graphs
from packer.cache import Cache, rank_index_key, rank_key, tree_lines_key
from packer.config import Options, PackConfig, resolve
from packer.dedup import find_duplicates
from packer.errors import ConcurrentChangeError, ConfigError, EmptyPackError, PackerError
from packer.measure import Costs, Measured, Progress, Work, measure, workers
from packer.output import Writer, is_stream, write_json
from packer.prepared import Clock, Prepared
from packer.records import (
    Duplicate,
    FileInfo,
    GitSignals,
    PackResult,
    RankWeights,
    Secret,
    Skip,
    Stage,
    Task,
    WalkResult,
)
from packer.render import Renderer, make_renderer, pack_token
from packer.single import auto, single
from packer.sketch import Fingerprint
from packer.split import split as split_packs
from packer.task import build_task, gate_diff
from packer.tokens import Counter, get_encoding
from packer.write import Output, check_outputs, write_blocks

__all__ = ["Progress", "Stages", "measure", "pack", "run", "walk"]

# Code files; above it the reference graph is left out: parsing 20K C files cold takes
# 90 s on 2 cores and their symbols take ~100 MB per 1,000 files in memory.
SYMBOLS_LIMIT = 8_000
SKETCH_SPAN = 3  # a budgeted pack sketches (near-dup) the best files worth this many budgets
# A budgeted pack of a tree of at most this many bytes counts every file exactly as it
# reads it (in the measure workers), as an unbudgeted one does. Larger trees are estimated
# and counted as the fit touches them: LARGE is 1.3 GB, 401M tokens, minutes to count.
# Below it, counting is a few CPU seconds more on the first pack (MEDIUM, 68 MB: 15.5 ->
# 16.1 s cold, its fit 1.4 -> 0.4 s) and spares every later query its counts (a new query
# on MEDIUM counted ~2,300 files for the fit and the tree's listed lines: 3.1-5.2 s ->
# 2.0-2.5 s). The pack can differ: exact floors let the fill place a file more, and
# folded directories state their tokens rather than their bytes.
COUNT_AT_READ_BYTES = 128 << 20


def walk(root: Path, cfg: PackConfig, outputs: frozenset[str] = frozenset()) -> WalkResult:
    """The files `cfg`'s rules let in under `root`; `outputs` (this run's own files) left out."""
    return discover.walk(
        root,
        use_gitignore=cfg.use_gitignore,
        include=cfg.include,
        exclude=cfg.exclude,
        keep=cfg.keep,
        max_file_size=cfg.max_file_size,
        outputs=outputs,
    )


@dataclass(frozen=True)
class Stages:
    """The stages that touch the file system, each replaceable.

    A test injects a fault into one stage through this seam (a file deleted or swapped
    for a FIFO after the walk, a file rewritten before the pack is written, a write cut
    short) instead of patching packer's private functions.
    """

    walk: Callable[[Path, PackConfig, frozenset[str]], WalkResult] = walk
    measure: Callable[..., Measured] = measure
    write: Writer = write_blocks


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
    stages: Stages = Stages(),
    reuse: bool = True,
) -> Prepared:
    """Walk, measure, rank and deduplicate; `reuse`: take the walk and measures from the
    last run's snapshot if git sees no change since (`packer.snapshot`).

    An unbudgeted pack counts every file exactly while reading it (it packs them all), and
    so does a budgeted pack of a tree of at most `COUNT_AT_READ_BYTES`. A budgeted pack of
    a larger tree only estimates while reading; `Costs` counts a file when the fit touches
    it, so a 1M pack of a 400M-token tree counts a few thousand files.
    """
    timings: dict[str, float] = {}
    clock = Clock(timings)
    report = progress or _silent
    walked, work, measured = _walk_and_measure(root, cfg, task, cache, written, stages, report, clock, reuse)
    skipped = _skipped(root, walked, measured)
    # A budgeted pack counts exactly only what the fit touches: this stage prepares the
    # counter (and the tree's counted lines) for it.
    n = len(measured.infos)
    renderer, costs = _reported("count", n, report, lambda: _costs(root, cfg, walked, measured, work, cache))
    focus = focus_indices(measured.infos, task)
    ranked, edges = _reported("rank", n, report, lambda: _rank(root, cfg, task, measured, focus, work, cache))
    clock.lap("rank")
    dup_of, duplicates = _reported("dedup", n, report, lambda: _dedup(cfg, measured, ranked, focus, costs))
    clock.lap("dedup")
    diff, diff_secrets, diff_shown = _diff(root, cfg, task, measured.infos, skipped, renderer)
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
        stages.write,
        timings,
        diff_secrets,
        progress,
        diff_shown,
    )


def _walk_and_measure(
    root: Path,
    cfg: PackConfig,
    task: Task,
    cache: Cache | None,
    written: frozenset[str],
    stages: Stages,
    report: Progress,
    clock: Clock,
    reuse: bool,
) -> tuple[WalkResult, Work, Measured]:
    """Walk and measure, or take either from the last run's snapshot when git sees no
    change since (`packer.snapshot`); a test's own stages always run."""
    # The vocabulary takes 0.3 s to load: it loads while git and the walk run, and before
    # measuring forks its workers (which then share it; fork wants this one thread alone).
    vocab = threading.Thread(target=_load_vocab, args=(cfg.encoding,), daemon=True)
    vocab.start()
    usable = cache is not None and cfg.use_gitignore and stages.walk is walk and stages.measure is measure
    state = snapshot.fingerprint(root, written) if usable else None
    options = _snapshot_options(cfg, root, written)
    report("walk", 0, 0)
    walked = None
    if reuse and state is not None and cache is not None:
        walked = snapshot.load_walk(cache, root, options, state)
    from_snapshot = walked is not None
    if walked is None:
        walked = stages.walk(root, cfg, written)
        if state is not None and cache is not None:
            snapshot.save_walk(cache, root, options, state, walked)
    clock.lap("walk")
    n = len(walked.files)
    report("walk", n, n)
    vocab.join()
    work = _work(cfg, task, walked, cache)
    measured = None
    if from_snapshot and state is not None and cache is not None:
        measured = snapshot.load_measured(cache, root, options, state, work, walked)
    if measured is None:
        # Measuring reads every file (and counts it exactly when the pack has no budget).
        measured = stages.measure(
            walked.files,
            work=work,
            cache=cache,
            progress=lambda _stage, done, total: report("read", done, total),
        )
        if state is not None and cache is not None and walked.git_root is not None:
            snapshot.save_measured(cache, root, options, state, work, walked, measured)
    else:
        report("read", n, n)
    clock.lap("measure")
    return walked, work, measured


def _snapshot_options(cfg: PackConfig, root: Path, written: frozenset[str]) -> str:
    """What the walk depends on besides the tree: a snapshot is kept per value. Of this
    run's outputs, only those inside the tree (which the walk leaves out) count: a pack
    written to a new path elsewhere (`-o /tmp/pack-2.xml`) is still a warm run."""
    inside = os.path.join(os.path.realpath(root), "")
    outputs = sorted(w for w in written if w.startswith(inside))
    return repr((cfg.include, cfg.exclude, sorted(cfg.keep), cfg.max_file_size, outputs, cfg.use_gitignore))


def _load_vocab(encoding: str) -> None:
    with contextlib.suppress(PackerError):  # an unknown or broken vocabulary is reported where it is used
        get_encoding(encoding)


def _silent(stage: str, done: int, total: int) -> None:
    """No progress callback was given."""


T = TypeVar("T")


def _reported(stage: Stage, n: int, report: Progress, step: Callable[[], T]) -> T:
    """Run one stage over `n` files, telling `report` when it starts and ends."""
    report(stage, 0, n)
    out = step()
    report(stage, n, n)
    return out


def _work(cfg: PackConfig, task: Task, walked: WalkResult, cache: Cache | None) -> Work:
    """What measuring each file computes for this pack."""
    exact = cfg.budget is None
    count = exact or sum(c.size for c in walked.files) <= COUNT_AT_READ_BYTES
    # The reference graph needs every code file parsed. An unbudgeted pack holds every
    # file anyway, and past `SYMBOLS_LIMIT` files a cold parse costs minutes in this
    # version: then ranking uses text, paths, git and priors only.
    with_symbols = not exact and _few_code_files(c.path for c in walked.files)
    return Work(
        keep=cfg.keep,
        max_file_size=cfg.max_file_size,
        encoding=cfg.encoding,
        format=cfg.format,
        count=count,
        skeleton=cfg.skeleton and exact,
        redact=not cfg.allow_secrets,
        symbols=with_symbols,
        terms=with_symbols and bool(task.query),
        sketches=exact,
        cache_dir=str(cache.directory) if cache is not None else None,
        jobs=cfg.jobs,
    )


def _few_code_files(paths: Iterable[str]) -> bool:
    """Whether at most `SYMBOLS_LIMIT` of `paths` are code: counted only that far (LARGE's
    78K paths cost 0.1 s to classify, on every run)."""
    n = 0
    for path in paths:
        n += languages.is_code(languages.detect(path))
        if n > SYMBOLS_LIMIT:
            return False
    return True


def _skipped(root: Path, walked: WalkResult, measured: Measured) -> list[Skip]:
    """Every file left out, by path; an error when that is every file."""
    skipped = sorted([*walked.skipped, *measured.skipped], key=lambda s: s.path)
    if not measured.infos:
        raise EmptyPackError(
            f"no packable files under {root}"
            + (f" ({len(skipped):,} skipped: {_top_reasons(skipped)})" if skipped else "")
            + "; point packer at a directory with text files, or relax --exclude/--include/--keep"
        )
    return skipped


def _costs(
    root: Path, cfg: PackConfig, walked: WalkResult, measured: Measured, work: Work, cache: Cache | None
) -> tuple[Renderer, Costs]:
    """The renderer and what each file costs in it, exactly, counted when first asked."""
    infos = measured.infos
    # The delimiters' token, from the content: measure counted with a placeholder token,
    # which costs the same (see `packer.render`).
    token = pack_token(((f.path, f.digest) for f in infos), cfg.format, cfg.encoding)
    renderer = make_renderer(cfg.format, names=[c.path for c in walked.files], token=token)
    costs = Costs(
        measured,
        counter=Counter(cfg.encoding),
        renderer=renderer,
        work=work,
        redact=not cfg.allow_secrets,
        cache=cache,
    )
    costs.load_lines(tree_lines_key(str(root), cfg.encoding, renderer.tree_line("\x00")))
    return renderer, costs


def _history(
    root: Path, cfg: PackConfig, task: Task, infos: Sequence[FileInfo], cache: Cache | None
) -> GitSignals | None:
    """The git signals of the walked files, co-change with the task's files; None without history."""
    if not cfg.history:
        return None
    return history.git_signals(
        root, focus=task.focus + task.changed, cache=cache, known=[f.path for f in infos]
    )


def _rank(
    root: Path,
    cfg: PackConfig,
    task: Task,
    measured: Measured,
    focus: set[int],
    work: Work,
    cache: Cache | None,
) -> tuple[list[rank.Ranked], list[tuple[int, int]]]:
    """Files best first (focus and changed files lead), and the reference graph's edges."""
    infos = measured.infos
    with_symbols = work.symbols
    signals = _history(root, cfg, task, infos, cache)
    # Without the graph, an overview (no task) of a budgeted pack ranks by how often each
    # file is included or imported, a lexical scan of the files' heads (seconds on 78K files).
    scan = (
        not with_symbols and cfg.budget is not None and not (task.query.strip() or task.focus or task.changed)
    )
    # Ranking is a pure function of these; a run with the same files, task and history
    # (a second run) takes it from the cache instead of rebuilding graph and index.
    memo_key = _rank_key(infos, task, signals, cfg, (with_symbols, scan))
    memo = cache.get(memo_key) if cache is not None else None
    if memo is not None:
        return [rank.Ranked(*r) for r in memo[0]], [(a, b) for a, b in memo[1]]
    graph, docs, kinds = _rank_index(measured, work, cache, with_text=bool(task.query.strip()))
    uses = usage.count_uses(root, [f.path for f in infos], jobs=cfg.jobs) if scan else None
    ranked = rank.rank(
        infos,
        symbols=[None] * len(infos),
        task=task,
        signals=signals,
        graph=graph,
        weights=RankWeights(**dict(cfg.weights)),
        terms=None,
        uses=uses,
        docs=docs,
        kinds=kinds,
    )
    # Focus and changed files lead the output whatever their score.
    ranked = sorted(ranked, key=lambda r: r.index not in focus)
    edges: list[tuple[int, int]] = []
    if graph is not None and graph.edge_count:
        rows, cols = graph.matrix.nonzero()
        edges = list(zip(rows.tolist(), cols.tolist(), strict=True))
    if cache is not None:
        cache.put(memo_key, ([(r.index, r.score, r.reason, r.relevant) for r in ranked], edges))
    return ranked, edges


def _rank_index(
    measured: Measured, work: Work, cache: Cache | None, *, with_text: bool
) -> tuple[graphs.FileGraph | None, rank.Documents | None, rank.Priors]:
    """The reference graph, each file's kind and, for a query, the documents it is matched
    against: the same for every task on the same files, so kept across runs. A new query on
    a warm MEDIUM then skips loading 4K files' symbols and comment words, the graph and the
    documents; on LARGE, classifying 78K paths.

    Kept pickled (numpy and scipy arrays) inside a cache value, which the cache checks
    against its key's MAC before anything unpickles it: only this user's runs wrote it."""
    infos = measured.infos
    h = xxhash.xxh3_128()
    for f in infos:
        h.update(f"{f.path}\0{f.digest}\0{f.language}\0".encode("utf-8", "surrogatepass"))
    key = rank_index_key(h.hexdigest(), len(infos), work.symbols, work.terms)
    got = cache.get(key) if cache is not None else None
    if isinstance(got, bytes):
        with graphs.gc_paused():
            graph, docs, kinds = pickle.loads(got)
        if docs is not None or not with_text:
            return graph, docs, kinds
    else:
        measured.complete(cache, work)
        graph = graphs.build_graph([f.path for f in infos], measured.symbols) if work.symbols else None
        docs, kinds = None, rank.kinds(infos)
    if with_text:
        measured.complete(cache, work)
        docs = rank.documents([f.path for f in infos], graph, measured.terms or None)
    # The graph and the documents hold what ranking needs of them; nothing else reads them.
    measured.symbols[:] = [None] * len(measured.symbols)
    measured.terms[:] = [()] * len(measured.terms)
    if cache is not None:
        cache.put(key, pickle.dumps((graph, docs, kinds), protocol=pickle.HIGHEST_PROTOCOL))
        # Written now, its pickle gone: not queued through ranking, whose own arrays would
        # then sit beside the queued copy and SQLite's (the C sample's peak, 813 MB).
        cache.flush()
    return graph, docs, kinds


def _dedup(
    cfg: PackConfig, measured: Measured, ranked: Sequence[rank.Ranked], focus: set[int], costs: Costs
) -> tuple[dict[int, str], list[Duplicate]]:
    """Copies (never focus files) mapped to their canonical path, and the copies kept as such."""
    infos = measured.infos
    prints = measured.prints
    if cfg.budget is not None:
        prints = _sketch_contenders(measured, ranked, focus, costs, cfg)
    duplicates = find_duplicates([f.path for f in infos], prints, order=[r.index for r in ranked])
    # A copy costs no budget: it is a line in the tree that names its canonical file.
    # Focus files are packed even when they copy another file.
    index_of = {f.path: i for i, f in enumerate(infos)}
    dup_of = {index_of[d.path]: d.same_as for d in duplicates if index_of[d.path] not in focus}
    return dup_of, [d for d in duplicates if index_of[d.path] in dup_of]


def _diff(
    root: Path,
    cfg: PackConfig,
    task: Task,
    infos: Sequence[FileInfo],
    skipped: Sequence[Skip],
    renderer: Renderer,
) -> tuple[str, tuple[Secret, ...], int]:
    """The rendered diff block ("" without a diff), the secrets found in its sections, and
    how many sections it shows (the others are one line: omitted, and why).

    The diff obeys the file rules: a file the pack leaves out shows no hunk, the rest is redacted.
    """
    if not task.diff_sections:
        return "", (), 0
    left_out = _diff_rules(root, cfg, infos, skipped, [s.path for s in task.diff_sections if s.path])
    text, diff_secrets = gate_diff(task, left_out.get, redact=not cfg.allow_secrets)
    shown = sum(1 for s in task.diff_sections if s.path is not None and s.path not in left_out)
    return renderer.diff_block(task.diff_ref or "HEAD", text), diff_secrets, shown


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
    infos: Sequence[FileInfo],
    task: Task,
    signals: GitSignals | None,
    cfg: PackConfig,
    inputs: tuple[bool, bool],  # with symbols, with the usage scan
) -> bytes:
    h = xxhash.xxh3_128()
    for f in infos:  # symbols and comment words follow from the digests
        h.update(
            f"{f.path}\x00{f.digest}\x00{f.language}\x00{f.tokens}\x00{f.estimated}\x01".encode(
                "utf-8", "surrogatepass"
            )
        )
    # Signals with a source are named by it: their repr is two entries per file of history.
    said = signals.source if signals is not None and signals.source else signals
    h.update(repr((task, said, cfg.weights, inputs)).encode("utf-8", "surrogatepass"))
    return rank_key(h.hexdigest(), len(infos))


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
    stages: Stages = Stages(),
) -> PackResult:
    """Pack the repository at `root` (resolved) with `cfg` for `task`: the stages in order.

    `pipeline.pack` is the library's entry (it resolves the options); `stages` replaces
    the stages that touch the file system (see `Stages`).
    """
    task = task or Task()
    if cfg.parts is not None and is_stream(output):
        raise ConfigError(
            "a split pack is written to several files: give an output path "
            "(NAME.xml becomes NAME-1.xml, NAME-2.xml, ...)"
        )
    written = check_outputs(root, cfg, output, manifest, also_written)
    cache = Cache(cfg.cache_dir) if cfg.cache else None
    verify = cfg.budget is not None if verify is None else verify

    def once(reuse: bool, seen: list[Prepared]) -> PackResult:
        prep = prepare(
            root, cfg, task, progress=progress, cache=cache, written=written, stages=stages, reuse=reuse
        )
        seen.append(prep)
        if cfg.auto:
            got = auto(prep, output, verify)
        elif cfg.parts is not None:
            got = split_packs(prep, cfg, output, verify)
        else:
            got = single(prep, cfg, output, verify)
        prep.costs.save_lines()
        return got

    try:
        # A large repository's records are millions of objects and none forms a cycle:
        # collections would walk them all, again and again (a third of a warm run's time).
        with graphs.gc_paused(), _said_for_streams(output):
            result = _afresh_if_stale(once, cache, root, _snapshot_options(cfg, root, written), output)
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


@contextlib.contextmanager
def _said_for_streams(output: Output) -> Iterator[None]:
    """A file changed mid-pack: a file output is untouched, but to a stream the blocks
    before the change may be out already, and the error says so."""
    try:
        yield
    except ConcurrentChangeError as e:
        if not is_stream(output):
            raise
        raise ConcurrentChangeError(e.path, streamed=True) from e


def _afresh_if_stale(
    once: Callable[[bool, list[Prepared]], PackResult],
    cache: Cache | None,
    root: Path,
    options: str,
    output: Output,
) -> PackResult:
    """`once` with the last run's snapshot; if a file read contradicts it, without.

    A snapshot can be stale where git sees no change (a clean filter, a line-ending edit
    some git versions call clean): it goes, and the pack is made afresh, unless part of it
    is in the caller's stream already (then the error stands, and the next run is right).
    """
    seen: list[Prepared] = []
    try:
        return once(True, seen)
    except ConcurrentChangeError:
        if cache is None or not (seen and seen[-1].measured.from_snapshot):
            raise
        snapshot.forget(cache, root, options)
        if is_stream(output):
            raise
    return once(False, seen)


def _top_reasons(skipped: Sequence[Skip]) -> str:
    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.label] = counts.get(s.label, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return ", ".join(f"{n:,} {k}" for k, n in top)


def pack(
    root: str | os.PathLike[str] = ".",
    options: Options | None = None,
    *,
    output: Output = None,
    manifest: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    also_written: Sequence[str | os.PathLike[str]] = (),
) -> PackResult:
    """Pack the repository at `root` under an exact token budget.

    `options` (see `Options`) says what to pack and for which task; what it leaves as
    None comes from the root's config file, else the defaults. A split pack's `output`
    "NAME.xml" becomes NAME-1.xml, NAME-2.xml, ... and `PackResult.parts` lists them.
    Secrets found in packed files are listed in `PackResult.secrets`.

    `output` is a path (written atomically, see `packer.output`), a text stream (written
    block by block), or None: nothing is written and `PackResult.text` holds the pack
    (kept in memory only then; a split pack's parts are not kept: give a path).
    `progress(stage, done, total)` is called for each stage in `records.STAGES` order.
    `manifest` is a path for the JSON manifest. Neither is packed, nor are the files in
    `also_written` (what the caller writes from this pack, such as a review's answer), nor
    any earlier pack or manifest. Raises PackerError subclasses for problems the caller
    can fix, a bad output path among them, before any work; never prints or exits.
    """
    options = options or Options()
    path = Path(root)
    if not path.exists():
        raise PackerError(f"path {os.fspath(root)!r} does not exist; pass an existing directory")
    if not path.is_dir():
        raise PackerError(f"{os.fspath(root)!r} is not a directory; pass the repository's directory")
    path = path.resolve()
    cfg = resolve(path, options)
    diff = "HEAD" if options.staged and options.diff is None else options.diff
    task = build_task(path, query=options.query, focus=options.focus, diff=diff, staged=options.staged)
    # No output: the pack is kept as text, unless it is split (parts need paths).
    buffer = io.StringIO() if output is None and cfg.parts is None and not cfg.auto else None
    result = run(
        path,
        cfg,
        task=task,
        output=buffer if buffer is not None else output,
        manifest=manifest,
        progress=progress,
        also_written=also_written,
    )
    return replace(result, text=buffer.getvalue()) if buffer is not None else result
