#!/usr/bin/env python3
"""The reference graph, cold, on a 10,000-file sample of LARGE: this packer against packer 0.1.

Plain Python 3.11 standard library (plus the installed packer, only to count the sample's
code files). The sample is `bench_scale.py`'s: every (total/N)-th path of the sorted
`git ls-files` of `--source` (default /tmp/corpora/linux), hard-linked into
SCRATCH/scale-N and committed into its own git repository (reused when it is there).
Packer 0.1 (commit 5cbb21f) is exported with `git archive` into SCRATCH/packer01 and
installed into its own venv (SCRATCH/venv01, the project venv's dependency versions as
constraints) unless `--old` names a packer 0.1 command already.

Both run the same command line, a budgeted pack with a task:

    packer pack SAMPLE --target api --query Q -o OUT --manifest MAN -v

Budgeted, because an unbudgeted pack never builds the graph; the sample's 7.2K code
files are under `SYMBOLS_LIMIT` (8,000 in both versions), so both parse every code file
and build the graph (the script checks the count). Every run is cold (a fresh, empty
PACKER_CACHE_DIR); one untimed run of each first warms the OS page cache; then `--repeat`
rounds, alternating which tool goes first. Per run: wall, CPU (user+sys of the tree),
peak RSS of the largest process, peak RSS and PSS summed over the process tree (sampled
from /proc as `bench_pack.py` does), and the stage times `-v` prints. The table gives
medians and the ratio new/old of the medians; the targets are <= 0.5x and <= 600 MB.

`--profile` also times, in this process on one thread, what the measure stage does per
file (secrets scan, parse, symbol queries, comment words, fingerprint) for the sample's
files, and the graph build from those symbols.

    nice -n 5 python3.11 benchmarks/bench_graph.py --scratch /tmp/g17 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import bench_pack as bp  # same folder: the script's own directory is on sys.path
import bench_scale as bs

OLD_COMMIT = "5cbb21f"
TARGET_RATIO = 0.5
TARGET_MIB = 600
STAGES = re.compile(r"time: (.*)")


@dataclass
class Run:
    tool: str
    wall: float | None = None
    cpu: float | None = None
    max_rss_kb: int | None = None
    tree_rss_kb: int | None = None
    tree_pss_kb: int | None = None
    stages: dict[str, float] = field(default_factory=dict)
    tokens: int | None = None
    packed: int | None = None
    status: str = "ok"


def log(msg: str) -> None:
    bp.log(msg)


def setup_old(scratch: Path) -> list[str]:
    """packer 0.1 in its own venv (made once): the command that runs it."""
    venv, src = scratch / "venv01", scratch / "packer01"
    exe = venv / "bin" / "packer"
    if exe.exists():
        return [str(exe)]
    if not (src / "pyproject.toml").exists():
        src.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(bp.REPO), "archive", OLD_COMMIT], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    here = Path(sys.executable).parent
    pip_freeze = subprocess.run(
        [str(bp.REPO / ".venv" / "bin" / "pip"), "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
    ).stdout
    constraints = scratch / "venv01-constraints.txt"
    constraints.write_text("".join(ln + "\n" for ln in pip_freeze.splitlines() if "packer" not in ln))
    log(f"installing packer {OLD_COMMIT} into {venv}")
    subprocess.run([str(here / "python3"), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-c", str(constraints), str(src)], check=True)
    return [str(exe)]


def code_files(root: Path) -> tuple[int, int]:
    """(code files of the sample as packer detects them, packer's SYMBOLS_LIMIT)."""
    from packer import languages, pipeline

    paths = bs.ls_files(root)
    return sum(languages.is_code(languages.detect(p)) for p in paths), pipeline.SYMBOLS_LIMIT


def run_one(name: str, argv: list[str], corpus: Path, args: argparse.Namespace, tag: str) -> Run:
    scratch: Path = args.scratch
    out_dir = scratch / "graph-out"
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = "v" + name.replace(".", "_")  # no dot: `log_prefix.with_suffix` would cut at it
    out, man = out_dir / f"{slug}.xml", out_dir / f"{slug}.json"
    cache = bp.new_cache_dir(scratch, f"graph-{name}-")
    cmd = [*argv, "pack", str(corpus), "--target", "api", "--query", args.query]
    cmd += ["-o", str(out), "--manifest", str(man), "-v"]
    try:
        t = bp.timed(
            cmd,
            cwd=scratch,
            env={**os.environ, "PACKER_CACHE_DIR": str(cache)},
            log_prefix=out_dir / f"{slug}-{tag}",
            timeout=args.timeout,
            time_bin=args.time_bin,
            interval=args.sample_interval,
        )
    finally:
        bp.remove_dir(cache)
    r = Run(name, t.wall, t.cpu, t.max_rss_kb, t.tree_rss_kb or None, t.tree_pss_kb or None)
    if t.rc != 0:
        r.status = "timeout" if t.timed_out else f"failed rc={t.rc}"
    err = (out_dir / f"{slug}-{tag}.stderr").read_text(errors="replace")
    found = STAGES.findall(err)
    if found:
        for part in found[-1].split(","):
            stage, _, secs = part.strip().partition(" ")
            r.stages[stage] = float(secs.rstrip("s"))
    try:
        data = json.loads(man.read_text())
        r.tokens = data.get("total_tokens")
        r.packed = sum(1 for f in data.get("files", []) if f.get("mode") in ("full", "skeleton"))
    except (OSError, ValueError):
        r.status = r.status if r.status != "ok" else "no manifest"
    log(
        f"{tag} {name}: {r.status} wall={bp.fmt_s(r.wall)} cpu={bp.fmt_s(r.cpu)} "
        f"rss={bp.fmt_mib(r.max_rss_kb)} tree={bp.fmt_mib(r.tree_rss_kb)} pss={bp.fmt_mib(r.tree_pss_kb)} "
        f"stages={r.stages}"
    )
    return r


def med(runs: list[Run], attr: str) -> float | None:
    return bp.median([getattr(r, attr) for r in runs])


def table(runs: dict[str, list[Run]], repeat: int) -> str:
    lines = [
        f"| packer | wall s (median of {repeat}) | CPU s | peak RSS MiB (max process) "
        "| peak RSS MiB (tree sum) | peak PSS MiB (tree sum) | files packed | tokens | stages (median s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, rs in runs.items():
        stages = sorted({s for r in rs for s in r.stages}, key=lambda s: -max(r.stages.get(s, 0) for r in rs))
        st = ", ".join(f"{s} {bp.median([r.stages.get(s) for r in rs]):.2f}" for s in stages)
        packed = med(rs, "packed")
        tokens = med(rs, "tokens")
        lines.append(
            f"| {name} | {bp.fmt_s(med(rs, 'wall'))} | {bp.fmt_s(med(rs, 'cpu'))} "
            f"| {bp.fmt_mib(med(rs, 'max_rss_kb'))} | {bp.fmt_mib(med(rs, 'tree_rss_kb'))} "
            f"| {bp.fmt_mib(med(rs, 'tree_pss_kb'))} | {bp.fmt_int(None if packed is None else int(packed))} "
            f"| {bp.fmt_int(None if tokens is None else int(tokens))} | {st} |"
        )
    return "\n".join(lines)


def ratios(runs: dict[str, list[Run]]) -> str:
    old = runs.get("0.1")
    out: list[str] = []
    for name, new in runs.items():
        if name == "0.1" or not new:
            continue
        for attr, what in (("wall", "wall"), ("cpu", "CPU")):
            a, b = med(new, attr), med(old, attr) if old else None
            if a and b:
                verdict = "meets" if a / b <= TARGET_RATIO else "misses"
                tail = f" ({verdict} the <= {TARGET_RATIO}x target)" if attr == "wall" else ""
                out.append(f"- {name}: {what} / 0.1's = {a / b:.2f}x{tail}")
        peak = max((r.tree_rss_kb or 0) for r in new) / 1024
        peak_pss = max((r.tree_pss_kb or 0) for r in new) / 1024
        verdict = "meets" if peak <= TARGET_MIB else "misses"
        out.append(
            f"- {name}: peak RSS (tree sum, worst run) {peak:,.0f} MiB, PSS {peak_pss:,.0f} MiB "
            f"({verdict} the <= {TARGET_MIB} MB target)"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------- profile


def profile(corpus: Path) -> str:  # long: one loop timing each step of the measure stage
    """Where a cold pack's per-file time goes, file by file on one thread, as the measure
    stage does it (symbols without detail, kept as `graph.Names`), and the graph."""
    from packer import graph, languages, secrets, symbols
    from packer.sketch import fingerprint

    steps = ("read", "secrets", "fingerprint", "parse alone", "parse + symbols", "comment words")
    cost = dict.fromkeys(steps, 0.0)
    names: list[object] = []
    paths: list[str] = []
    nbytes = 0
    for path in bs.ls_files(corpus):
        full = corpus / path
        if full.is_symlink() or not full.is_file():
            continue
        t = time.perf_counter()
        data = full.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(data) > 1 << 20:
            continue
        lang = languages.detect(path, text[:256])
        t1 = time.perf_counter()
        secrets.scan(text, path)
        t2 = time.perf_counter()
        fingerprint(text, sketch=False)
        t3 = time.perf_counter()
        cost["read"] += t1 - t
        cost["secrets"] += t2 - t1
        cost["fingerprint"] += t3 - t2
        paths.append(path)
        if not languages.is_code(lang):
            names.append(None)
            continue
        nbytes += len(data)
        symbols.parse(data, lang, text=False)  # only to show parsing's share: extract parses again
        t4 = time.perf_counter()
        names.append(graph.names_of(symbols.extract(data, lang, path=path, detail=False)))
        t5 = time.perf_counter()
        symbols.comment_words(text)
        t6 = time.perf_counter()
        cost["parse alone"] += t4 - t3
        cost["parse + symbols"] += t5 - t4
        cost["comment words"] += t6 - t5
    t = time.perf_counter()
    g = graph.build_graph(paths, names)  # type: ignore[arg-type]
    cost["graph"] = time.perf_counter() - t
    t = time.perf_counter()
    graph.pagerank(g)
    cost["pagerank"] = time.perf_counter() - t
    code = sum(s is not None for s in names)
    lines = [
        f"One thread, {len(paths):,} files read, {code:,} code files ({nbytes / 1e6:,.1f} MB) parsed; "
        f"graph: {g.edge_count:,} edges. (`parse alone` is an extra parse, to show its share of "
        "`parse + symbols`, which is what the measure stage runs.)",
        "",
        "| step | s |",
        "|---|---:|",
        *(f"| {k} | {v:.2f} |" for k, v in cost.items()),
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=bs.DEFAULT_SOURCE, help="the corpus to sample")
    ap.add_argument("--scratch", type=Path, default=bs.DEFAULT_SCRATCH, help="sample, venv, outputs")
    ap.add_argument("--size", type=int, default=10_000, help="files in the sample (default 10000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed rounds (median; default 3)")
    ap.add_argument("--query", default=bp.DEFAULT_QUERY, help="the task given with --query")
    ap.add_argument(
        "--packer", help="current packer command (default: `python -m packer`, this interpreter's)"
    )
    ap.add_argument("--old", help="packer 0.1 command (default: SCRATCH/venv01/bin/packer, made once)")
    ap.add_argument("--only", choices=("current", "0.1"), help="run one side only")
    ap.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="LABEL=CMD",
        help="another packer to run alongside (e.g. a frozen copy before a change); repeatable",
    )
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed run of each")
    ap.add_argument("--profile", action="store_true", help="also time each step in this process")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    ap.add_argument("--sample-interval", type=float, default=0.05, help="seconds between /proc samples")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    args.time_bin, note = bp.ensure_time_bin()
    if note:
        log(note)
    all_paths = bs.ls_files(args.source)
    corpus = bs.prepare(str(args.size), args.source, all_paths, args.scratch, False)
    n_code, limit = code_files(corpus.path)
    log(f"sample {corpus.path}: {corpus.files:,} files ({corpus.how}), {n_code:,} code files")
    if n_code > limit:
        log(f"{n_code:,} code files > SYMBOLS_LIMIT {limit:,}: no graph would be built")
        return 2
    tools: dict[str, list[str]] = {}
    if args.only != "0.1":
        tools["current"] = shlex.split(args.packer) if args.packer else [sys.executable, "-m", "packer"]
    if args.only != "current":
        tools["0.1"] = shlex.split(args.old) if args.old else setup_old(args.scratch)
    for extra in args.extra:
        label, _, cmd = extra.partition("=")
        tools[label] = shlex.split(cmd)
    runs: dict[str, list[Run]] = {name: [] for name in tools}
    if not args.no_warmup:
        for name, argv_ in tools.items():
            run_one(name, argv_, corpus.path, args, "warmup")
    names = list(tools)
    for i in range(args.repeat):
        for name in names if i % 2 == 0 else names[::-1]:
            runs[name].append(run_one(name, tools[name], corpus.path, args, f"round{i + 1}"))
    cmd = f"packer pack {corpus.path} --target api --query '{args.query}' -o OUT --manifest MAN -v"
    report = [
        f"Sample: {corpus.path}, {corpus.files:,} files ({corpus.nbytes / 1e6:,.0f} MB), "
        f"{n_code:,} code files (SYMBOLS_LIMIT {limit:,}); cold (empty PACKER_CACHE_DIR) each run.",
        f"Command: `{cmd}`",
        *(f"- {name}: `{' '.join(a)}`" for name, a in tools.items()),
        "",
        table(runs, args.repeat),
        "",
        ratios(runs),
    ]
    if args.profile:
        report += ["", profile(corpus.path)]
    print("\n".join(report))
    return 0 if all(r.status == "ok" for rs in runs.values() for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
