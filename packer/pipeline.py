"""The orchestrator: walk, measure, order, fit, render. It alone knows the stage order."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from packer import content, discover, history, languages, rank, symbols
from packer.config import PackConfig, resolve
from packer.dedup import Fingerprint, find_duplicates, fingerprint
from packer.errors import (
    BudgetError,
    ConcurrentChangeError,
    EmptyPackError,
    PackerError,
)
from packer.fit import Pass, Plan, default_passes, fit
from packer.output import atomic_text, write_json
from packer.records import (
    Candidate,
    Decision,
    FileInfo,
    FileSymbols,
    Mode,
    PackResult,
    PackStats,
    Skip,
    SourceText,
    Task,
)
from packer.render import Header, Renderer, check_block, display_path, make_renderer
from packer.skeleton import skeletonize
from packer.task import build_task
from packer.tokens import Counter
from packer.tree import Tree

Progress = Callable[[str, int, int], None]
SYMBOLS_LIMIT = 20_000  # code files; above it the reference graph is left out
Output = str | os.PathLike[str] | IO[str] | None


@dataclass(frozen=True)
class Measured:
    infos: list[FileInfo]
    candidates: list[Candidate]  # parallel to infos, to re-read at write time
    skipped: list[Skip]
    prints: list[Fingerprint]  # parallel to infos, for deduplication (empty if not asked)
    symbols: list[FileSymbols | None]  # parallel to infos when asked, for ranking


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def measure(
    candidates: Sequence[Candidate],
    *,
    cost: Callable[[SourceText, str | None], int],
    skeleton_cost: Callable[[SourceText, str | None], int | None] | None = None,
    keep: frozenset[str],
    max_file_size: int | None,
    progress: Progress | None = None,
    fingerprints: bool = True,
    with_symbols: bool = False,
) -> Measured:
    """Read, classify and count every candidate. Holds one file's text per worker at a time.

    tiktoken releases the GIL while encoding, so threads count in parallel; map keeps
    the input order, so the result is the same as a serial run.
    """

    def one(c: Candidate) -> tuple[FileInfo, Fingerprint | None, FileSymbols | None] | Skip:
        got = content.read_source(c, keep=keep, max_file_size=max_file_size)
        if isinstance(got, Skip):
            return got
        lang = languages.detect(c.path, got.text[:256])
        tokens = cost(got, lang)
        skel = skeleton_cost(got, lang) if skeleton_cost else None
        info = FileInfo(
            path=c.path,
            abspath=c.abspath,
            size=got.size,
            digest=got.digest,
            encoding=got.encoding,
            language=lang,
            tokens=tokens,
            lines=got.text.count("\n") + (0 if got.text.endswith("\n") or not got.text else 1),
            # A skeleton that costs as much as the file is no rung at all.
            skeleton_tokens=skel if skel is not None and skel < tokens else None,
        )
        syms = None
        if with_symbols and languages.is_code(lang):
            syms = symbols.extract(got.text.encode("utf-8", "surrogatepass"), lang, path=c.path)
        return info, fingerprint(got.text) if fingerprints else None, syms

    infos: list[FileInfo] = []
    kept: list[Candidate] = []
    skipped: list[Skip] = []
    prints: list[Fingerprint] = []
    syms: list[FileSymbols | None] = []
    total = len(candidates)
    with ThreadPoolExecutor(_workers()) as pool:
        for n, (c, got) in enumerate(zip(candidates, pool.map(one, candidates), strict=False), 1):
            if isinstance(got, Skip):
                skipped.append(got)
            else:
                infos.append(got[0])
                if got[1] is not None:
                    prints.append(got[1])
                if with_symbols:
                    syms.append(got[2])
                kept.append(c)
            if progress and (n % 256 == 0 or n == total):
                progress("count", n, total)
    return Measured(infos, kept, skipped, prints, syms)


def _header(cfg: PackConfig, root: Path, plan: Plan | None, total: int, n_listed: int,
            n_skipped: int) -> Header:
    return Header(
        root_name=root.name or str(root),
        target=cfg.target.name,
        model=cfg.target.model,
        encoding=cfg.encoding,
        budget=cfg.budget,
        total_tokens=total,
        files_full=sum(m == "full" for m in plan.modes.values()) if plan else 0,
        files_skeleton=sum(m == "skeleton" for m in plan.modes.values()) if plan else 0,
        files_listed=n_listed,
        files_skipped=n_skipped,
    )


def _settle_header(count: Callable[[str], int], renderer: Renderer, make: Callable[[int], Header],
                   rest: int) -> tuple[Header, int]:
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


def focus_indices(infos: Sequence[FileInfo], task: Task) -> set[int]:
    """Files the task names: focus files, files under focus directories, changed files."""
    wanted = set(task.focus) | set(task.changed)
    dirs = tuple(p for p in wanted if p.endswith("/"))
    return {i for i, f in enumerate(infos) if f.path in wanted or f.path.startswith(dirs)}


def run(
    root: Path,
    cfg: PackConfig,
    *,
    task: Task | None = None,
    output: Output,
    manifest: str | os.PathLike[str] | None,
    progress: Progress | None = None,
    verify: bool | None = None,
) -> PackResult:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    counter = Counter(cfg.encoding)
    walked = discover.walk(
        root,
        use_gitignore=cfg.use_gitignore,
        include=cfg.include,
        exclude=cfg.exclude,
        keep=cfg.keep,
        max_file_size=cfg.max_file_size,
    )
    lap("walk")
    if progress:
        progress("walk", len(walked.files), len(walked.files))

    renderer = make_renderer(cfg.format, names=[c.path for c in walked.files])

    def block_cost(src: SourceText, lang: str | None) -> int:
        return counter.count(check_block(renderer.file_block(src.path, src.text, "full", lang)))

    def skeleton_cost(src: SourceText, lang: str | None) -> int | None:
        skel = skeletonize(src.text, lang)
        if skel is None:
            return None
        return counter.count(check_block(renderer.file_block(src.path, skel, "skeleton", lang)))

    # The reference graph needs every code file parsed. An unbudgeted pack holds every
    # file anyway, and past `SYMBOLS_LIMIT` files parsing costs minutes in this version:
    # then ranking uses text, paths, git and priors only.
    code_files = sum(languages.is_code(languages.detect(c.path)) for c in walked.files)
    with_symbols = cfg.budget is not None and code_files <= SYMBOLS_LIMIT
    measured = measure(
        walked.files, cost=block_cost, skeleton_cost=skeleton_cost if cfg.skeleton else None,
        keep=cfg.keep, max_file_size=cfg.max_file_size, progress=progress,
        with_symbols=with_symbols,
    )
    lap("measure")
    infos = measured.infos
    skipped = sorted([*walked.skipped, *measured.skipped], key=lambda s: s.path)
    if not infos:
        reasons = _top_reasons(skipped)
        raise EmptyPackError(
            f"no packable files under {root}"
            + (f" ({len(skipped):,} skipped: {reasons})" if skipped else "")
            + "; point packer at a directory with text files, or relax --exclude/--include/--keep"
        )

    task = task or Task()
    focus = focus_indices(infos, task)
    signals = history.git_signals(root, focus=task.focus + task.changed)
    ranked = rank.rank(
        infos,
        symbols=measured.symbols if with_symbols else [None] * len(infos),
        task=task,
        signals=signals,
    )
    # Focus and changed files lead the output whatever their score.
    ranked = sorted(ranked, key=lambda r: r.index not in focus)
    lap("rank")
    duplicates = find_duplicates([f.path for f in infos], measured.prints,
                                 order=[r.index for r in ranked])
    # A copy costs no budget: it is a line in the tree that names its canonical file.
    # Focus files are packed even when they copy another file.
    index_of = {f.path: i for i, f in enumerate(infos)}
    dup_of = {index_of[d.path]: d.same_as for d in duplicates if index_of[d.path] not in focus}
    duplicates = [d for d in duplicates if index_of[d.path] in dup_of]
    lap("dedup")

    line_cost_cache: dict[str, int] = {}

    def line_cost(line: str) -> int:
        got = line_cost_cache.get(line)
        if got is None:
            got = counter.count(check_block(renderer.tree_line(line)))
            line_cost_cache[line] = got
        return got

    def block(text: str) -> int:
        return counter.count(check_block(text)) if text else 0

    lazy: dict[int, int | None] = {}

    def file_cost(i: int, mode: Mode) -> int | None:
        """A file's block cost in `mode`; skeletons are made only when the fit asks."""
        info = infos[i]
        if mode != "skeleton":
            return info.tokens
        if cfg.skeleton or not languages.is_code(info.language):
            return info.skeleton_tokens
        if i not in lazy:
            got = content.read_source(measured.candidates[i], keep=cfg.keep,
                                      max_file_size=cfg.max_file_size)
            skel = None
            if not isinstance(got, Skip) and got.digest == info.digest:
                skel = skeleton_cost(got, info.language)
            lazy[i] = skel if skel is not None and skel < info.tokens else None
        return lazy[i]

    tree = Tree(infos, line_cost=line_cost, separator_cost=block(renderer.tree_separator()),
                file_cost=lambda i, mode: file_cost(i, mode) or infos[i].tokens,
                notes={i: f"duplicate of {display_path(p)}" for i, p in dup_of.items()})
    diff = renderer.diff_block(task.diff_ref or "HEAD", task.diff_text) if task.diff_text else ""
    static = sum(
        block(b)
        for b in (renderer.tree_open(), renderer.tree_close(), diff, renderer.files_open(),
                  renderer.footer())
    )
    # Reserve the header at its largest: every number it states can only shrink.
    big = _header(cfg, root, None, cfg.budget or 10**12, len(infos), len(skipped))
    big = Header(**{**big.__dict__, "files_full": len(infos), "files_skeleton": len(infos)})
    header_reserve = block(renderer.header(big))
    if cfg.budget is not None and static + header_reserve + tree.cost > cfg.budget:
        need = static + header_reserve + tree.cost
        raise BudgetError(
            f"budget {cfg.budget:,} tokens cannot hold even the header, tree"
            + (" and diff" if diff else "")
            + f" ({need:,} tokens); use --budget {need + 1000:,} or more"
        )
    plan = fit(
        infos,
        [r for r in ranked if r.index not in dup_of],
        tree=tree,
        budget=cfg.budget,
        fixed_tokens=static + header_reserve,
        file_separator_tokens=block(renderer.file_separator()),
        passes=[Pass(("skeleton", "full"))] if cfg.skeleton else default_passes(focus),
        cost=file_cost,
    )
    lap("fit")
    if not plan.packed:
        smallest = min(f.tokens for f in infos)
        raise EmptyPackError(
            f"no file fits in the budget of {cfg.budget:,} tokens (the smallest file costs "
            f"{smallest:,} tokens plus the header and tree); raise --budget"
        )
    n_listed = len(infos) - len(plan.packed)
    copies = [Decision(infos[i].path, "listed", tree.line_tokens(i), 0.0, f"duplicate of {p}")
              for i, p in sorted(dup_of.items(), key=lambda kv: infos[kv[0]].path)]
    header, total = _settle_header(
        block,
        renderer,
        lambda t: _header(cfg, root, plan, t, n_listed, len(skipped)),
        static + plan.body_tokens,
    )
    if cfg.budget is not None and total > cfg.budget:  # pragma: no cover - guarded by reserve
        raise AssertionError(f"pack of {total} tokens exceeds budget {cfg.budget}")

    blocks = _blocks(renderer, header, tree, diff, plan, infos, measured.candidates, cfg)
    out_path = _write(blocks, output)
    lap("render")
    if verify is None:
        verify = cfg.budget is not None
    if verify and out_path is not None:
        with open(out_path, encoding="utf-8", newline="") as f:
            actual = counter.count(f.read())
        if actual != total:  # pragma: no cover - a renderer bug, never user error
            raise AssertionError(f"written output has {actual} tokens, manifest says {total}")
        lap("verify")

    result = PackResult(
        root=str(root),
        encoding=cfg.encoding,
        target=cfg.target.name,
        budget=cfg.budget,
        total_tokens=total,
        files=plan.decisions + tuple(copies),
        skipped=tuple(skipped),
        duplicates=tuple(duplicates),
        warnings=walked.warnings,
        stats=PackStats(
            files_seen=len(walked.files) + len(walked.skipped),
            files_packed=len(plan.packed),
            files_listed=n_listed,
            files_skipped=len(skipped),
            seconds=timings,
        ),
        output_path=out_path,
    )
    if manifest is not None:
        write_json(manifest, result.manifest())
    return result


def _blocks(
    renderer: Renderer,
    header: Header,
    tree: Tree,
    diff: str,
    plan: Plan,
    infos: Sequence[FileInfo],
    candidates: Sequence[Candidate],
    cfg: PackConfig,
) -> Iterable[str]:
    yield renderer.header(header)
    yield renderer.tree_open()
    for n, line in enumerate(tree.lines()):
        if n:
            yield renderer.tree_separator()
        yield renderer.tree_line(line)
    yield renderer.tree_close()
    yield diff
    yield renderer.files_open()
    for n, i in enumerate(plan.packed):
        info = infos[i]
        got = content.read_source(candidates[i], keep=cfg.keep, max_file_size=cfg.max_file_size)
        if isinstance(got, Skip) or got.digest != info.digest:
            raise ConcurrentChangeError(
                f"{info.path} changed while packing; nothing was written, run packer again"
            )
        mode = plan.modes[i]
        text = got.text if mode == "full" else skeletonize(got.text, info.language)
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
    config: str | os.PathLike[str] | None = None,
    output: Output = None,
    manifest: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
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

    `output` is a path (written atomically), a text stream (written block by block),
    or None (nothing written; the result still says what would be). `manifest` is a
    path for the JSON manifest. Raises PackerError subclasses for
    problems the caller can fix; never prints or exits.
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
    }
    cfg = resolve(path, explicit=explicit, config_file=Path(config) if config else None)
    task = build_task(path, query=query, focus=focus,
                      diff="HEAD" if staged and diff is None else diff, staged=staged)
    return run(path, cfg, task=task, output=output, manifest=manifest, progress=progress)
