#!/usr/bin/env python3
"""packer's speed as ratios to a floor measured in the same run (issue 17).

Plain Python 3.11 standard library; runs whatever `--packer` names. Per corpus, alternating
in every round:

- floors: `git status --porcelain` (what a warm tool should be near), and reading every
  tracked file once (`git ls-files -z | xargs -0 cat`, its output counted by `wc -c`);
- packer warm: the same `--target api --query Q` again, on a cache it filled itself;
- packer new query: a query not asked before, on that same warm cache;
- packer cold: an empty `PACKER_CACHE_DIR` (the OS page cache stays warm, as for the
  floors: every row reads from memory);
- `packer --version` (start-up).

The ratios are packer / floor and new / warm, from medians. Per packer row the stage times
come from `-v` ("time: walk ..s, measure ..s, ..."), so the table says where time goes;
"other" is start-up, the manifest and what no stage counts. Peak RSS and PSS are summed
over each run's process tree (see bench_pack.py).

    python3 benchmarks/bench_speed.py --corpus linux --repeat 3 --write-readme
    python3 benchmarks/bench_speed.py --corpus medium --repeat 3 --write-readme
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_pack import machine_info, timed, write_readme  # noqa: E402 - this folder's own script

README = HERE / "README.md"

# Per corpus: the query the warm and cold rows ask, then the new queries (one per round).
QUERIES = {
    "linux": [
        "ext4 loses data after a crash while the journal commits a resize; find where jbd2 and ext4 "
        "resize handle the journal transaction",
        "usb gadget mass storage stalls the bulk endpoint after a reset",
        "scheduler load balancing migrates tasks across numa nodes too often",
        "tcp retransmission timer backs off wrongly after a zero window probe",
        "page cache writeback of dirty pages throttles the wrong cgroup",
        "bpf verifier rejects a bounded loop over a map value",
    ],
    "medium": [
        "database migration autodetector renames a field and loses its default",
        "sympy solves polynomial equations with radicals for cubic roots",
        "django admin changelist filters by a date hierarchy",
        "template engine escapes html in a filter's output",
        "sympy matrix eigenvalues and jordan normal form",
        "orm queryset prefetch_related caches related objects",
    ],
}
STAGES = ("walk", "measure", "rank", "dedup", "fit", "render", "verify")


@dataclass
class Run:
    row: str
    wall: float
    cpu: float | None
    rss_mb: float
    pss_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    query: str = ""


def log(msg: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def measure_cmd(
    argv: list[str], *, cwd: Path, env: dict[str, str], scratch: Path, name: str
) -> tuple[Run, str]:
    t = timed(
        argv,
        cwd=cwd,
        env=env,
        log_prefix=scratch / name,
        timeout=900,
        time_bin="/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None,
        interval=0.05,
    )
    err = (scratch / f"{name}.stderr").read_text(errors="replace")
    if t.rc != 0:
        raise SystemExit(f"{name} failed (rc {t.rc}): {shlex.join(argv)}\n{err[-2000:]}")
    return Run(name, t.wall, t.cpu, t.tree_rss_kb / 1024, t.tree_pss_kb / 1024), err


def stage_times(stderr: str) -> dict[str, float]:
    m = re.search(r"^time: (.*)$", stderr, re.M)
    if not m:
        return {}
    return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)s", m.group(1))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="linux", help="linux | medium | PATH (default linux)")
    ap.add_argument("--corpora-dir", type=Path, default=Path("/tmp/corpora"))
    ap.add_argument("--packer", default=shutil.which("packer") or "packer", help="the packer command")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", default="status,cat,warm,new,cold,version")
    ap.add_argument("--scratch", type=Path, default=HERE / ".scratch" / "speed")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    name = args.corpus if args.corpus in QUERIES else Path(args.corpus).name
    corpus = (args.corpora_dir / name) if args.corpus in QUERIES else Path(args.corpus).resolve()
    queries = QUERIES.get(name, QUERIES["linux"])
    if args.repeat + 1 > len(queries):
        raise SystemExit(f"--repeat {args.repeat}: only {len(queries) - 1} new queries for {name}")
    rows = args.rows.split(",")
    packer = shlex.split(args.packer)
    scratch = args.scratch / name
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    out = scratch / "pack.xml"
    base_env = {k: v for k, v in os.environ.items() if k != "PACKER_CACHE_DIR"}
    warm_dir = Path(tempfile.mkdtemp(prefix="packer-warm-"))
    warm_env = {**base_env, "PACKER_CACHE_DIR": str(warm_dir)}

    def pack(query: str, env: dict[str, str], tag: str) -> Run:
        argv = [*packer, "pack", str(corpus), "--target", "api", "--query", query, "-o", str(out), "-v"]
        run, err = measure_cmd(argv, cwd=HERE, env=env, scratch=scratch, name=tag)
        run.stages, run.query = stage_times(err), query
        return run

    # Warm-ups, untimed: the OS page cache for every row, the warm cache for the first query.
    log(f"warming up on {corpus}")
    subprocess.run(["git", "-C", str(corpus), "status", "--porcelain"], capture_output=True, check=True)
    cat_sh = "git ls-files -z | xargs -0 cat -- 2>&1 | wc -c"
    subprocess.run(["sh", "-c", cat_sh], cwd=corpus, capture_output=True, check=False)
    pack(queries[0], warm_env, "warmup")
    runs: list[Run] = []
    for k in range(args.repeat):
        log(f"round {k + 1} of {args.repeat}")
        for row in rows:
            if row == "status":
                runs.append(
                    measure_cmd(
                        ["git", "status", "--porcelain"],
                        cwd=corpus,
                        env=base_env,
                        scratch=scratch,
                        name="status",
                    )[0]
                )
            elif row == "cat":
                runs.append(
                    measure_cmd(["sh", "-c", cat_sh], cwd=corpus, env=base_env, scratch=scratch, name="cat")[
                        0
                    ]
                )
            elif row == "warm":
                runs.append(pack(queries[0], warm_env, "warm"))
            elif row == "new":
                runs.append(pack(queries[1 + k], warm_env, "new"))
            elif row == "cold":
                cold_dir = Path(tempfile.mkdtemp(prefix="packer-cold-"))
                try:
                    runs.append(pack(queries[0], {**base_env, "PACKER_CACHE_DIR": str(cold_dir)}, "cold"))
                finally:
                    shutil.rmtree(cold_dir, ignore_errors=True)
            elif row == "version":
                runs.append(
                    measure_cmd(
                        [*packer, "--version"], cwd=HERE, env=base_env, scratch=scratch, name="version"
                    )[0]
                )
            else:
                raise SystemExit(f"unknown row {row!r}")
    shutil.rmtree(warm_dir, ignore_errors=True)
    report = render(name, corpus, args, runs, queries)
    print(report)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    if args.write_readme:
        write_readme(report, f"<!-- bench_speed_{name}:start -->", f"<!-- bench_speed_{name}:end -->", README)
    return 0


def med(runs: list[Run], row: str, attr: str = "wall") -> float | None:
    vals = [getattr(r, attr) for r in runs if r.row == row and getattr(r, attr) is not None]
    return statistics.median(vals) if vals else None


def render(name: str, corpus: Path, args: argparse.Namespace, runs: list[Run], queries: list[str]) -> str:
    info = machine_info()
    head = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(HERE), "status", "--porcelain", "--", "../packer"], capture_output=True, text=True
    ).stdout.strip()
    changed = " + uncommitted changes to packer/" if dirty else ""
    when = dt.datetime.now(dt.timezone.utc)
    lines = [
        f"Measured {when:%Y-%m-%d %H:%M} UTC at commit {head}{changed} on {info['nproc']} × "
        f"{info['cpu']}, {info['ram']}, Python {info['python']}; load average before: "
        f"{os.getloadavg()[0]:.2f}.",
        "",
        f"Command: `python3 benchmarks/bench_speed.py --corpus {args.corpus} --repeat {args.repeat}`"
        f" (packer: `{args.packer}`). Median of {args.repeat} alternated rounds.",
        "",
        "| row | wall s | CPU s | peak RSS MiB (tree) | peak PSS MiB (tree) | "
        + " | ".join(STAGES)
        + " | other |",
        "|---|---:|---:|---:|---:|" + "---:|" * (len(STAGES) + 1),
    ]
    labels = {
        "status": "`git status --porcelain`",
        "cat": "`git ls-files -z \\| xargs -0 cat`",
        "warm": "packer, warm (the same query again)",
        "new": "packer, a new query on the warm cache",
        "cold": "packer, cold (empty cache)",
        "version": "`packer --version`",
    }
    for row, label in labels.items():
        wall = med(runs, row)
        if wall is None:
            continue
        cpu = med(runs, row, "cpu")
        stages = [statistics.median([r.stages.get(s, 0.0) for r in runs if r.row == row]) for s in STAGES]
        has = any(r.stages for r in runs if r.row == row)
        cells = (
            [f"{v:.2f}" for v in stages] + [f"{wall - sum(stages):.2f}"] if has else [""] * (len(STAGES) + 1)
        )
        lines.append(
            f"| {label} | {wall:.2f} | {'' if cpu is None else f'{cpu:.2f}'} | "
            f"{med(runs, row, 'rss_mb'):.0f} | {med(runs, row, 'pss_mb'):.0f} | " + " | ".join(cells) + " |"
        )
    lines += ["", "| ratio (medians) | value |", "|---|---:|"]
    for label, a, b in (
        ("warm / `git status`", "warm", "status"),
        ("cold / reading every tracked file", "cold", "cat"),
        ("new query / warm (repeated query)", "new", "warm"),
    ):
        x, y = med(runs, a), med(runs, b)
        if x is not None and y:
            lines.append(f"| {label} | {x / y:.1f}× |")
    lines += [
        "",
        f"Warm and cold query: “{queries[0]}”. New queries, one per round: "
        + "; ".join(f"“{q}”" for q in queries[1 : 1 + args.repeat])
        + ".",
        "",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
