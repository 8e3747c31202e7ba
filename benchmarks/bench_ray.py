"""`packer chunk --repos` on a local 2-worker Ray against the process pool (issue 19).

MEDIUM and LARGE (built by ../shared/corpora/make_corpora.sh) are the two repositories of
one list. Alternated in every round, each into a fresh, empty output directory:

- pool: `packer chunk --repos LIST -o OUT -j 2` (two forked worker processes);
- ray:  `packer chunk --repos LIST -o OUT -j 2 --ray` (a local Ray started for the run on
  127.0.0.1 with 2 CPUs: Ray Data lists the repositories' batches in a `flat_map` and
  chunks each in a `map`);

then, once each, the same command again on its own output (every shard found done: what a
rerun with nothing changed costs). Wall time, MB/s of source chunked (the bytes of the
files the manifest lists), peak RSS and PSS summed over the process tree (Ray's own
processes included: GCS, raylet, workers), and whether the two engines wrote the same
shard bytes.

    python3 benchmarks/bench_ray.py --repeat 2 [--packer PATH] [--write-readme]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pack import machine_info, timed, write_readme

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench_ray:start -->", "<!-- bench_ray:end -->"


def run(packer: str, listed: Path, out: Path, ray: bool, scratch: Path, name: str) -> dict[str, float]:
    argv = [packer, "chunk", "--repos", str(listed), "-o", str(out), "-j", "2", *(["--ray"] if ray else [])]
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    t = timed(
        argv,
        cwd=scratch,
        env=env,
        log_prefix=scratch / name,
        timeout=3600,
        time_bin="/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None,
        interval=0.1,
    )
    if t.rc != 0:
        err = (scratch / f"{name}.stderr").read_text(errors="replace")
        raise SystemExit(f"{name} failed (rc {t.rc}):\n{err[-3000:]}")
    return {"wall": t.wall, "rss": t.tree_rss_kb / 1024, "pss": t.tree_pss_kb / 1024}


def source_bytes(out: Path) -> int:
    """The bytes of the files the run chunked (a shard's name holds its repository's place)."""
    manifest = json.loads((out / "manifest.json").read_text())
    roots = [Path(r["path"]) for r in manifest["repos"]]
    total = 0
    for shard in manifest["shards"]:
        root = roots[int(shard["name"].split("-")[1])]
        meta = json.loads((out / "shards" / f"{shard['name']}.meta.json").read_text())
        total += sum((root / ident.split(" ", 1)[1]).stat().st_size for ident in meta["digests"])
    return total


def digest_of(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((out / "shards").iterdir()):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="/tmp/corpora", help="holds medium/ and linux/")
    ap.add_argument("--packer", default=str(ROOT / ".venv" / "bin" / "packer"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    corpora = Path(args.corpora)
    scratch = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    listed = scratch / "repos.txt"
    listed.write_text(f"{corpora / 'medium'}\n{corpora / 'linux'}\n")
    results: dict[str, list[dict[str, float]]] = {"pool": [], "ray": []}
    digests: dict[str, str] = {}
    nbytes = 0
    for k in range(args.repeat):
        for engine in ("pool", "ray") if k % 2 == 0 else ("ray", "pool"):
            out = scratch / f"out-{engine}"
            shutil.rmtree(out, ignore_errors=True)
            print(f"round {k + 1}: {engine}", file=sys.stderr, flush=True)
            results[engine].append(run(args.packer, listed, out, engine == "ray", scratch, f"{engine}-{k}"))
            digests[engine] = digest_of(out)
            nbytes = nbytes or source_bytes(out)
    rerun = {
        e: run(args.packer, listed, scratch / f"out-{e}", e == "ray", scratch, f"{e}-again") for e in results
    }
    manifest = json.loads((scratch / "out-pool" / "manifest.json").read_text())
    text = render(args, results, rerun, nbytes, manifest, digests)
    print(text)
    if args.write_readme:
        write_readme(text, START, END, ROOT / "benchmarks" / "README.md")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


def render(args, results, rerun, nbytes, manifest, digests) -> str:  # type: ignore[no-untyped-def]
    info = machine_info()
    lines = [
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on {info.get('cpu', '?')}, "
        f"Python {sys.version.split()[0]}.",
        "",
        f"Command: `python3 benchmarks/bench_ray.py --repeat {args.repeat}`. Repositories: MEDIUM and LARGE; "
        f"{manifest['files']:,} files chunked ({nbytes / 1e6:,.0f} MB), {manifest['chunks']:,} chunks, "
        f"{len(manifest['shards']):,} shards. Median of {args.repeat}.",
        "",
        "| engine | wall s | MB/s | peak RSS MiB (tree) | peak PSS MiB (tree) | rerun (all done): wall s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for engine, runs in results.items():
        wall = statistics.median(r["wall"] for r in runs)
        rss = max(r["rss"] for r in runs)
        pss = max(r["pss"] for r in runs)
        name = "process pool, 2 workers" if engine == "pool" else "local Ray, 2 CPUs (Ray Data)"
        lines.append(
            f"| {name} | {wall:.1f} | {nbytes / 1e6 / wall:.2f} | {rss:,.0f} | {pss:,.0f} | "
            f"{rerun[engine]['wall']:.1f} |"
        )
    pool = statistics.median(r["wall"] for r in results["pool"])
    ray = statistics.median(r["wall"] for r in results["ray"])
    same = "the same bytes" if digests["pool"] == digests["ray"] else "DIFFERENT bytes"
    lines += [
        "",
        f"Ray / pool wall time: {ray / pool:.2f}x. The two engines wrote {same} (every shard, sha256).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
