#!/usr/bin/env python3
"""Stage timings of budgeted packs: where the time goes, and how much was counted exactly.

For each corpus and budget it runs `packer pack` once in a fresh process (so peak RSS
is the pack's own) with `--manifest` and `-v`, then reports the pipeline's stage times
(walk, measure, rank, dedup, fit, render, verify), the wall time and peak RSS, the fill
(total / budget), how many files the fit counted exactly after estimating them, and a
re-count of the written file with tiktoken (must equal the manifest's total).

    python benchmarks/bench_stages.py /tmp/corpora/linux --budget 1m --budget 200k
    python benchmarks/bench_stages.py /tmp/corpora/medium --budget 200k --query "migrations autodetector"

Needs packer installed (`pip install .`). Corpora: `shared/corpora/make_corpora.sh`.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("walk", "measure", "rank", "dedup", "fit", "render", "verify")


def run(corpus: Path, budget: str, extra: list[str], packer: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out, manifest = Path(tmp) / "pack.xml", Path(tmp) / "pack.json"
        cmd = [
            packer,
            "pack",
            str(corpus),
            "-b",
            budget,
            "-o",
            str(out),
            "--manifest",
            str(manifest),
            "-v",
            *extra,
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{shlex.join(cmd)} failed:\n{proc.stderr}")
        data = json.loads(manifest.read_text())
        times = dict(re.findall(r"(\w+) ([\d.]+)s", _line(proc.stderr, "time:")))
        counted = re.search(r"counted exactly when fitting: ([\d,]+) files", proc.stderr)
        from packer.tokens import Counter  # tiktoken on packer's bundled, hash-checked vocab

        with out.open(encoding="utf-8", newline="") as f:
            recount = Counter(data["encoding"]).count(f.read())
    files = data["files"]
    return {
        "command": shlex.join(["packer", "pack", str(corpus), "-b", budget, *extra]),
        "budget": data["budget"],
        "total": data["total_tokens"],
        "recount": recount,
        "fill": data["total_tokens"] / data["budget"],
        "files": len(files),
        "full": sum(f["mode"] == "full" for f in files),
        "skeleton": sum(f["mode"] == "skeleton" for f in files),
        "counted": int(counted.group(1).replace(",", "")) if counted else 0,
        "wall": wall,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rss_mib": after.ru_maxrss / 1024,
        **{s: float(times.get(s, 0.0)) for s in STAGES},
    }


def _line(text: str, prefix: str) -> str:
    return next((x for x in text.splitlines() if x.startswith(prefix)), "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--budget", action="append", default=[], help="repeatable; default 1m")
    ap.add_argument("--query", help="pass as --query")
    ap.add_argument("--packer", default=str(Path(sys.executable).with_name("packer")))
    args = ap.parse_args()
    extra = ["--query", args.query] if args.query else []
    print(
        "| command | stages (s): " + " / ".join(STAGES) + " | wall s | CPU s | peak RSS MiB | "
        "fill | full / skeleton / files | counted at fit | re-count = total |"
    )
    print("|---|---|---:|---:|---:|---:|---|---:|---|")
    for budget in args.budget or ["1m"]:
        r = run(args.corpus, budget, extra, args.packer)
        stages = " / ".join(f"{r[s]:.2f}" for s in STAGES)
        print(
            f"| `{r['command']}` | {stages} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss_mib']:.0f} | "
            f"{r['fill']:.4%} | {r['full']:,} / {r['skeleton']:,} / {r['files']:,} | {r['counted']:,} | "
            f"{'yes' if r['recount'] == r['total'] else 'NO'} ({r['total']:,}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
