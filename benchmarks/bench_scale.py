#!/usr/bin/env python3
"""Time `packer pack --target api --query Q` on growing samples of LARGE, cold and warm cache.

Plain Python 3.11 standard library. For each size N (default 1000, 10000, 30000 and
all files) it takes an evenly spread, deterministic sample of the source corpus's
`git ls-files` (sorted; path number floor(i * total / N) for i < N, i.e. every
(total/N)-th path), hard-links those files (copies them when it cannot) into
SCRATCH/scale-N, and commits them into a fresh git repository there. A corpus that
already holds exactly that sample is reused; N = all (or N >= the corpus's file count)
is the source corpus itself, untouched.

On each corpus it runs packer once untimed (fresh cache dir, to warm the OS page
cache), then `--repeat` cold runs (each with a fresh, empty PACKER_CACHE_DIR), then
`--repeat` warm runs in the last cold run's cache dir. Per run: wall, CPU, peak RSS of
the largest process (/usr/bin/time %M) and of the process tree (RSS and PSS summed
over the tree, sampled from /proc: packer forks its workers), packed files, tokens and
the cache's size. The table gives medians, per-1K-file figures and, under it, a
least-squares fit of wall time and memory against the file count.

See benchmarks/README.md ("Scaling") for the exact commands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shlex
import shutil
import stat
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bench_pack as bp  # same folder: the script's own directory is on sys.path

HERE, REPO = bp.HERE, bp.REPO
MARK_START = "<!-- bench_scale:start -->"
MARK_END = "<!-- bench_scale:end -->"
DEFAULT_SOURCE = Path("/tmp/corpora/linux")
DEFAULT_SCRATCH = Path("/tmp/corpora/scale")
DEFAULT_SIZES = "1000,10000,30000,all"
BUDGET = 968_000  # --target api
GIT_CONFIG = (
    "-c",
    "core.autocrlf=false",
    "-c",
    "init.defaultBranch=main",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "core.hooksPath=/dev/null",
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
}

log = bp.log


# --------------------------------------------------------------------------- records


@dataclass
class Corpus:
    size: str  # as asked: "1000", "all"
    path: Path
    files: int  # tracked paths
    nbytes: int  # their sizes (lstat)
    how: str  # source | reused | built (N hard links, M copies, K symlinks)


@dataclass
class Run:
    size: str
    files: int
    mode: str  # cold | warm | warm-up
    status: str = "ok"  # ok | over-budget | failed | timeout
    rc: int | None = None
    wall: float | None = None
    cpu: float | None = None
    max_rss_kb: int | None = None
    tree_rss_kb: int | None = None
    tree_pss_kb: int | None = None
    packed: int | None = None  # full + skeleton
    listed: int | None = None
    tokens: int | None = None
    out_bytes: int | None = None
    out_sha256: str = ""
    cache_bytes: int | None = None
    cache_entries: int | None = None
    note: str = ""
    tail: str = ""


@dataclass
class Row:
    """Medians of one size and cache mode."""

    corpus: Corpus
    mode: str
    runs: list[Run] = field(default_factory=list)

    def med(self, name: str) -> float | None:
        return bp.median([getattr(r, name) for r in self.runs])

    @property
    def status(self) -> str:
        order = ["ok", "over-budget", "failed", "timeout"]
        return max((r.status for r in self.runs), key=order.index) if self.runs else "not-run"


# --------------------------------------------------------------------------- corpora


def git(*argv: str, cwd: Path, stdin: bytes | None = None, timeout: float = 1800) -> bytes:
    p = subprocess.run(
        ["git", *GIT_CONFIG, *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **GIT_ENV},
    )
    if p.returncode != 0:
        raise RuntimeError(f"git {' '.join(argv)} in {cwd}: {p.stderr.decode(errors='replace')[-500:]}")
    return p.stdout


def ls_files(repo: Path) -> list[str]:
    """Tracked paths, sorted by their bytes (git's own order)."""
    out = git("ls-files", "-z", cwd=repo)
    raw = sorted(set(p for p in out.split(b"\0") if p))
    return [os.fsdecode(p) for p in raw]


def sample(paths: list[str], n: int) -> list[str]:
    """n paths spread evenly over the sorted list: every (total/n)-th, starting at the first."""
    total = len(paths)
    return [paths[i * total // n] for i in range(n)]


def sizes_of(root: Path, paths: list[str]) -> tuple[list[str], int]:
    """The paths that exist under root (as regular files or symlinks) and their summed size."""
    kept, nbytes = [], 0
    for rel in paths:
        try:
            st = os.lstat(root / rel)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode):
            kept.append(rel)
            nbytes += st.st_size
    return kept, nbytes


def is_sample_repo(dest: Path, paths: list[str]) -> bool:
    if not (dest / ".git").is_dir():
        return False
    try:
        git("rev-parse", "--verify", "-q", "HEAD", cwd=dest)
        return ls_files(dest) == sorted(paths, key=os.fsencode)
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        return False


def build_sample(source: Path, paths: list[str], dest: Path, copy: bool) -> str:
    """Hard-link (else copy) paths from source into a fresh git repository at dest."""
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    linked = copied = links = 0
    can_link = not copy
    made: set[Path] = set()
    for rel in paths:
        src, dst = source / rel, tmp / rel
        if dst.parent not in made:
            dst.parent.mkdir(parents=True, exist_ok=True)
            made.add(dst.parent)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
            links += 1
            continue
        if can_link:
            try:
                os.link(src, dst, follow_symlinks=False)
                linked += 1
                continue
            except OSError as e:  # another filesystem, no permission: copy from now on
                log(f"hard link failed ({e}); copying instead")
                can_link = False
        shutil.copy2(src, dst)  # keeps mtimes
        copied += 1
    git("init", "-q", cwd=tmp)
    git("add", "-A", "-f", cwd=tmp)  # -f: tracked files that an ignore rule matches stay in
    git("commit", "-q", "-m", f"sample of {len(paths):,} files of {source}", cwd=tmp)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return f"built ({linked:,} hard links, {copied:,} copies, {links:,} symlinks)"


def prepare(size: str, source: Path, all_paths: list[str], scratch: Path, copy: bool) -> Corpus:
    n = len(all_paths) if size == "all" else int(size)
    if n >= len(all_paths):
        kept, nbytes = sizes_of(source, all_paths)
        return Corpus(size, source, len(kept), nbytes, "source")
    kept, nbytes = sizes_of(source, sample(all_paths, n))
    dest = scratch / f"scale-{n}"
    if is_sample_repo(dest, kept):
        return Corpus(size, dest, len(kept), nbytes, "reused")
    log(f"building {dest} ({len(kept):,} files from {source})")
    how = build_sample(source, kept, dest, copy)
    if not is_sample_repo(dest, kept):
        raise SystemExit(f"{dest}: git ls-files differs from the sample just built")
    return Corpus(size, dest, len(kept), nbytes, how)


# --------------------------------------------------------------------------- runs


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pack_argv(tool: bp.Tool, corpus: Path, query: str, out: Path, man: Path, extra: list[str]) -> list[str]:
    return [
        *tool.argv,
        "pack",
        str(corpus),
        "--target",
        "api",
        "--query",
        query,
        "-o",
        str(out),
        "--manifest",
        str(man),
        "--quiet",
        *extra,
    ]


def run_pack(
    tool: bp.Tool,
    corpus: Corpus,
    mode: str,
    cache_dir: Path,
    args: argparse.Namespace,
    time_bin: str | None,
) -> Run:
    scratch: Path = args.scratch
    outdir, logdir = scratch / "out", scratch / "logs"
    outdir.mkdir(parents=True, exist_ok=True)
    logdir.mkdir(parents=True, exist_ok=True)
    name = f"scale-{corpus.size}-{mode}"
    out, man = outdir / f"{name}.xml", outdir / f"{name}.manifest.json"
    for p in (out, man):
        p.unlink(missing_ok=True)
    argv = pack_argv(tool, corpus.path, args.query, out, man, shlex.split(args.packer_args))
    env = {**os.environ, "PACKER_CACHE_DIR": str(cache_dir)}
    log(f"{corpus.size}: {mode} ...")
    t = bp.timed(
        argv,
        cwd=scratch,
        env=env,
        log_prefix=logdir / name,
        timeout=args.timeout,
        time_bin=time_bin,
        interval=args.sample_interval,
    )
    r = Run(corpus.size, corpus.files, mode, rc=t.rc, wall=t.wall, cpu=t.cpu, max_rss_kb=t.max_rss_kb)
    r.tree_rss_kb, r.tree_pss_kb = t.tree_rss_kb or None, t.tree_pss_kb or None
    info = bp.packer_cache_info(tool, cache_dir)
    r.cache_bytes, r.cache_entries = info.get("bytes"), info.get("entries")
    if t.timed_out:
        r.status, r.note = "timeout", f"killed after {args.timeout:.0f} s"
    elif t.rc != 0:
        r.status = "failed"
        r.tail = bp.tail((logdir / name).with_suffix(".stderr")) or bp.tail(
            (logdir / name).with_suffix(".stdout")
        )
    else:
        try:
            data = json.loads(man.read_text())
            files = data.get("files", [])
            r.tokens = data.get("total_tokens")
            r.packed = sum(1 for f in files if f.get("mode") in ("full", "skeleton"))
            r.listed = sum(1 for f in files if f.get("mode") == "listed")
        except (OSError, ValueError) as e:
            r.status, r.note = "failed", f"manifest unreadable: {e}"
        if out.exists():
            r.out_bytes = out.stat().st_size
            r.out_sha256 = sha256(out)
        if r.tokens is not None and r.tokens > BUDGET:
            r.status, r.note = "over-budget", f"{r.tokens:,} tokens > {BUDGET:,}"
    if args.code and bp.code_digest() != args.code:
        r.note = (r.note + "; " if r.note else "") + "packer/ was edited during the benchmark"
    if not args.keep_outputs:
        out.unlink(missing_ok=True)
    log(
        f"{corpus.size}: {mode}: {r.status} wall={bp.fmt_s(r.wall)}s cpu={bp.fmt_s(r.cpu)}s "
        f"rss={bp.fmt_mib(r.max_rss_kb)}MiB tree={bp.fmt_mib(r.tree_rss_kb)}MiB "
        f"pss={bp.fmt_mib(r.tree_pss_kb)}MiB packed={bp.fmt_int(r.packed)} tokens={bp.fmt_int(r.tokens)} "
        f"cache={bp.fmt_size(r.cache_bytes)}"
    )
    return r


def measure_corpus(
    tool: bp.Tool, corpus: Corpus, args: argparse.Namespace, time_bin: str | None, all_runs: list[Run]
) -> list[Row]:
    cold, warm = Row(corpus, "cold"), Row(corpus, "warm")
    warm_dir: Path | None = None
    try:
        if not args.no_warmup:
            d = bp.new_cache_dir(args.scratch, f"{corpus.size}-warmup-")
            try:
                all_runs.append(run_pack(tool, corpus, "warm-up", d, args, time_bin))
            finally:
                bp.remove_dir(d)
        for i in range(args.repeat):
            d = bp.new_cache_dir(args.scratch, f"{corpus.size}-cold-")
            try:
                cold.runs.append(run_pack(tool, corpus, "cold", d, args, time_bin))
            finally:
                if i < args.repeat - 1:
                    bp.remove_dir(d)
                else:
                    warm_dir = d  # the last cold run filled it: the warm runs use it
        assert warm_dir is not None
        for _ in range(args.repeat):
            warm.runs.append(run_pack(tool, corpus, "warm", warm_dir, args, time_bin))
    finally:
        bp.remove_dir(warm_dir)
    all_runs += cold.runs + warm.runs
    ref = next((r.out_sha256 for r in cold.runs if r.out_sha256), "")
    for r in cold.runs + warm.runs:
        if ref and r.out_sha256 and r.out_sha256 != ref:
            r.note = (r.note + "; " if r.note else "") + "output differs from the first cold run's"
    return [cold, warm]


# --------------------------------------------------------------------------- reporting


def fit(xs: list[float], ys: list[float]) -> tuple[float, float, float] | None:
    """Least squares y = slope * x + intercept; (slope, intercept, R²)."""
    if len(xs) < 2 or len(set(xs)) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys, strict=True))
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    return slope, intercept, r2


def fit_lines(rows: list[Row]) -> list[str]:
    lines = []
    for mode in ("cold", "warm"):
        ok = [r for r in rows if r.mode == mode and r.status in ("ok", "over-budget")]
        parts = []
        for name, what, unit, scale in (
            ("wall", "wall", "s", 1.0),
            ("cpu", "CPU", "s", 1.0),
            ("tree_rss_kb", "peak RSS (tree sum)", "MiB", 1 / 1024),
            ("tree_pss_kb", "peak PSS (tree sum)", "MiB", 1 / 1024),
            ("max_rss_kb", "peak RSS (max process)", "MiB", 1 / 1024),
        ):
            pts = [(r.corpus.files, r.med(name)) for r in ok]
            xs = [float(x) for x, y in pts if y is not None]
            ys = [float(y) * scale for _, y in pts if y is not None]
            f = fit(xs, ys)
            if f:
                slope, icpt, r2 = f
                parts.append(
                    f"  - {what} ≈ {icpt:,.2f} {unit} + {slope * 1000:,.3f} {unit} per 1K files "
                    f"(R² = {r2:.4f})"
                )
        if parts:
            lines += [f"- {mode} cache, least-squares fit over {len(ok)} sizes (medians):", *parts]
    return lines


def render_table(rows: list[Row], repeat: int) -> str:
    head = (
        f"| files | corpus MB | cache | status | wall s (median of {repeat}) | CPU s | peak RSS MiB "
        "(max process) | peak RSS MiB (tree sum) | peak PSS MiB (tree sum) | s / 1K files "
        "| RSS MiB (tree sum) / 1K files | files packed | tokens | cache size | notes |"
    )
    lines = [head, "|" + "---:|" * 2 + "---|" * 2 + "---:|" * 9 + "---|" * 2]
    for r in rows:
        k = r.corpus.files / 1000
        wall, tree = r.med("wall"), r.med("tree_rss_kb")
        packed, listed = r.med("packed"), r.med("listed")
        packed_s = bp.fmt_int(None if packed is None else int(packed))
        if listed:
            packed_s += f" (+{int(listed):,} listed)"
        notes = list(dict.fromkeys(x.note for x in r.runs if x.note))
        if r.corpus.how == "source":
            notes.insert(0, f"all of {r.corpus.path}")
        tokens, cache = r.med("tokens"), r.med("cache_bytes")
        lines.append(
            f"| {r.corpus.files:,} | {r.corpus.nbytes / 1e6:,.1f} | {r.mode} | {r.status} | {bp.fmt_s(wall)} "
            f"| {bp.fmt_s(r.med('cpu'))} | {bp.fmt_mib(_int(r.med('max_rss_kb')))} "
            f"| {bp.fmt_mib(_int(tree))} | {bp.fmt_mib(_int(r.med('tree_pss_kb')))} "
            f"| {'–' if wall is None else f'{wall / k:.3f}'} "
            f"| {'–' if tree is None else f'{tree / 1024 / k:,.1f}'} | {packed_s} "
            f"| {bp.fmt_int(_int(tokens))} | {bp.fmt_size(_int(cache))} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def render_report(
    rows: list[Row], corpora: list[Corpus], args: argparse.Namespace, tool: bp.Tool, meta: dict[str, str]
) -> str:
    mi = bp.machine_info()
    built = "; ".join(f"{c.size}: {c.path} ({c.how})" for c in corpora)
    template = shlex.join(
        pack_argv(
            tool, Path("CORPUS"), args.query, Path("OUT.xml"), Path("MAN.json"), shlex.split(args.packer_args)
        )
    )
    out = [
        f"Measured {meta['date']} at commit {meta['commit']} on {mi['nproc']} × {mi['cpu']}, "
        f"{mi['ram']} RAM, Linux {mi['kernel']}, Python {mi['python']}; packer {tool.version}.",
        "",
        f"Command: `{meta['cmdline']}`",
        "",
        f"Each run: `PACKER_CACHE_DIR=DIR {template.replace(f'{REPO}/', '')}`. "
        + ("" if args.no_warmup else "One untimed run per size (fresh cache dir) warmed the OS page cache. ")
        + f"Cold: a fresh, empty cache dir per run; warm: the cache dir the last cold run filled; "
        f"{args.repeat} run(s) each, medians. Corpora: evenly spread samples of `git ls-files` of "
        f"{args.source} (every (total/N)-th sorted path), hard-linked (else copied) into their own "
        f"git repositories; {built}.",
        "",
        render_table(rows, args.repeat),
        "",
        *fit_lines(rows),
    ]
    if meta.get("note"):
        out += [f"- {meta['note']}"]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"comma list of file counts and/or 'all' (default {DEFAULT_SIZES})",
    )
    ap.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help=f"git corpus to sample (default {DEFAULT_SOURCE})"
    )
    ap.add_argument(
        "--scratch",
        type=Path,
        default=DEFAULT_SCRATCH,
        help=f"where the sampled corpora, outputs, logs and cache dirs go (default {DEFAULT_SCRATCH}; "
        "never inside the source corpus or this repository)",
    )
    ap.add_argument("--query", default=bp.DEFAULT_QUERY, help="the task given with --query")
    ap.add_argument(
        "--packer", default=None, help="packer command (default `packer` on PATH, else /tmp/venv/bin/packer)"
    )
    ap.add_argument("--packer-args", default="", help="extra args appended to `packer pack`")
    ap.add_argument("--repeat", type=int, default=1, help="cold runs and warm runs per size (median)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    ap.add_argument("--copy", action="store_true", help="copy the sampled files instead of hard-linking them")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed run per size")
    ap.add_argument("--sample-interval", type=float, default=0.1, help="seconds between /proc samples")
    ap.add_argument("--keep-outputs", action="store_true", help="keep the packed files")
    ap.add_argument("--json", type=Path, help="also write every run and the corpora as JSON here")
    ap.add_argument(
        "--write-readme", action="store_true", help="replace the bench_scale block of benchmarks/README.md"
    )
    args = ap.parse_args(argv)
    sizes = []
    for s in (x.strip() for x in args.sizes.split(",")):
        if s == "all" or (s.isdigit() and int(s) > 0):
            sizes.append(s)
        elif s:
            ap.error(f"--sizes: {s!r} is neither a positive file count nor 'all'")
    if not sizes:
        ap.error("--sizes is empty")
    args.sizes = sizes
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    args.source = args.source.resolve()
    args.scratch = args.scratch.resolve()
    for inside in (args.source, REPO):
        if args.scratch == inside or args.scratch.is_relative_to(inside):
            ap.error(f"--scratch {args.scratch} is inside {inside}: choose a directory outside it")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not (args.source / ".git").exists():
        raise SystemExit(f"{args.source} is not a git repository (build it with make_corpora.sh)")
    tool = bp.setup_packer(args.packer)
    if not tool.available:
        raise SystemExit(f"packer not available: {tool.why_not}")
    time_bin, note = bp.ensure_time_bin()
    args.scratch.mkdir(parents=True, exist_ok=True)
    meta = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "commit": bp.repo_commit(),
        "cmdline": shlex.join(["python3", os.path.relpath(Path(__file__).resolve()), *sys.argv[1:]]),
        "note": note,
    }
    code = args.code = bp.code_digest()
    all_paths = ls_files(args.source)
    log(f"{args.source}: {len(all_paths):,} tracked paths")
    corpora: list[Corpus] = []
    rows: list[Row] = []
    all_runs: list[Run] = []
    for size in args.sizes:
        corpus = prepare(size, args.source, all_paths, args.scratch, args.copy)
        if any(c.path == corpus.path for c in corpora):
            log(f"size {size}: same corpus as an earlier size, skipped")
            continue
        corpora.append(corpus)
        rows += measure_corpus(tool, corpus, args, time_bin, all_runs)
    if bp.code_digest() != code:
        extra = (
            "packer/ (this checkout) was edited while the benchmark ran: packer's cache namespace "
            "hashes its code, so warm runs after the edit met an empty cache. Rerun."
        )
        meta["note"] = f"{meta['note']} {extra}".strip()
    rows.sort(key=lambda r: (r.mode, r.corpus.files))
    report = render_report(rows, corpora, args, tool, meta)
    print(report)
    if args.json:
        data = {
            "meta": meta,
            "corpora": [{**asdict(c), "path": str(c.path)} for c in corpora],
            "runs": [asdict(r) for r in all_runs],
        }
        args.json.write_text(json.dumps(data, indent=1) + "\n")
    if args.write_readme:
        bp.write_readme(report, MARK_START, MARK_END)
    bad = [r for r in all_runs if r.status in ("failed", "timeout")]
    for r in bad:
        print(f"\n{r.size} ({r.mode}): {r.status} rc={r.rc} {r.note}\n{r.tail}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
