"""Ignore and attribute rules: a pathological glob and very large rule files.

Builds its inputs in a temporary directory, then times each case in a child process
(with a timeout, so a backtracking matcher shows as "> N s" instead of hanging):

- `**/**/**/**/*a*a*a*a*a*b` (a line that backtracks in a regex engine) against one
  file 8, 9 and 10 directories deep, directory names of 30 "a", the file's of 60 "a":
  in a `.gitignore` (`is_ignored`), in a `.gitattributes` (`attributes_for`), and a
  plain walk of the three files with the line in `.gitignore`, `.packerignore` and
  `.gitattributes` at once;
- a root `.gitignore` (and, for the largest N, a `.packerignore`) of N rules in 10
  shapes (literal paths and names, `*.extN`, `dirN/`, `/outN/*.o`, `**/cacheN/**`,
  `logN-?.txt`, `[Tt]empN*`, `!keepN.py`, `docs/**/draftN.md`) over 300 files, some of
  which they match: a plain walk with the file minus the same walk without it (what the
  rules cost);
- 2,000 directories with a 4-line `.gitignore` each (no two the same), over 10,000
  files: many small rule files, the common case.

Targets (issue 13): the glob ≤ 0.1 s per path; 100,000 rules on 300 files ≤ 5 s.

    python benchmarks/bench_ignore.py [--rules 10000,20000,100000] [--timeout 120]
    # before/after: the same cases with another checkout's packer, side by side
    mkdir /tmp/before && git archive HEAD | tar -x -C /tmp/before
    python benchmarks/bench_ignore.py --before /tmp/before
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from packer.records import Candidate

HERE = Path(__file__).resolve().parent.parent
GLOB = "**/**/**/**/*a*a*a*a*a*b"
DEPTHS = (8, 9, 10)


def deep_path(depth: int) -> str:
    return "/".join(["a" * 30] * depth + ["a" * 60])


def rule(i: int) -> str:
    shapes = [
        f"src/mod{i}/file{i}.py",
        f"name{i}.tmp",
        f"*.ext{i}",
        f"build{i}/",
        f"/out{i}/*.o",
        f"**/cache{i}/**",
        f"log{i}-?.txt",
        f"[Tt]emp{i}*",
        f"!keep{i}.py",
        f"docs/**/draft{i}.md",
    ]
    return shapes[i % 10]


def tree_files(n: int) -> list[str]:
    """n files; with N rules, those whose number is a rule's (same shape) match it."""
    shapes = [
        lambda j: f"src/mod{j}/file{j}.py",
        lambda j: f"pkg{j % 9}/name{j}.tmp",
        lambda j: f"x/y/z{j}.ext{j}",
        lambda j: f"build{j}/a.c",
        lambda j: f"out{j}/m.o",
        lambda j: f"a/b/cache{j}/c/d.h",
        lambda j: f"logs/log{j}-1.txt",
        lambda j: f"t/Temp{j}.bak",
        lambda j: f"k/keep{j}.py",
        lambda j: f"docs/x/y/draft{j}.md",
    ]
    # Every 7th file takes a number past the rules: a file no rule matches.
    return [shapes[j % 10](j * 37 % 100_000 if j % 7 else 10**6 + j) for j in range(n)]


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


# ---------------------------------------------------------------------------
# child: one case, timed, printed as JSON


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def child(case: str, arg: str, work: Path) -> dict[str, object]:
    from packer.discover import walk
    from packer.ignore import Attributes, Rules, attributes_for, is_ignored, parse_attributes

    if case == "glob-ignore":
        path = deep_path(int(arg))
        rules = Rules.parse([GLOB], "")
        assert rules is not None
        seconds, verdict = _timed(lambda: is_ignored([rules], path, path.rpartition("/")[2], is_dir=False))
        return {"seconds": seconds, "result": verdict}
    if case == "glob-attributes":
        path = deep_path(int(arg))
        attrs = Attributes("", parse_attributes([f"{GLOB} linguist-generated"]))
        seconds, found = _timed(lambda: attributes_for([attrs], path, path.rpartition("/")[2]))
        return {"seconds": seconds, "result": found}
    root = work / arg
    walk(work / "warm")  # the first walk pays for lazy imports and compiled detectors
    if case == "walk-pair":  # root/with and root/without differ only by their rule files
        base, _ = _timed(lambda: walk(root / "without"))
        seconds, result = _timed(lambda: walk(root / "with"))
        return {"seconds": seconds - base, "walk": seconds, "baseline": base, "result": kept(result.files)}
    seconds, result = _timed(lambda: walk(root))
    return {"seconds": seconds, "result": kept(result.files)}


def kept(files: Sequence[Candidate]) -> str:
    """How many files the walk kept, rule files aside (the same before and after)."""
    return f"{sum(not c.path.rpartition('/')[2].startswith('.') for c in files)} files kept"


# ---------------------------------------------------------------------------
# parent: build inputs, run the cases


def build(work: Path, rule_counts: list[int]) -> list[tuple[str, str, str]]:
    """The cases as (label, child case, argument); their inputs under `work`."""
    cases: list[tuple[str, str, str]] = []
    write(work / "warm", {"f.py": "x = 1\n"})
    for d in DEPTHS:
        cases.append((f"glob in .gitignore, 1 path {d} dirs deep (is_ignored)", "glob-ignore", str(d)))
    cases.append(
        (
            f"glob in .gitattributes, 1 path {DEPTHS[-1]} dirs deep (attributes_for)",
            "glob-attributes",
            str(DEPTHS[-1]),
        )
    )
    deep = work / "deep"
    write(deep, {deep_path(d): "x\n" for d in DEPTHS})
    write(
        deep,
        {
            ".gitignore": GLOB + "\n",
            ".packerignore": GLOB + "\n",
            ".gitattributes": GLOB + " linguist-generated\n",
        },
    )
    cases.append(("glob in all three files: walk of the 3 deep files", "walk", "deep"))
    files = {f: "x\n" for f in tree_files(300)}
    rule_files = [(n, ".gitignore") for n in rule_counts] + [(max(rule_counts), ".packerignore")]
    for n, rule_file in rule_files if rule_counts else []:
        pair = work / f"rules-{n}{rule_file}"
        write(pair / "without", files)
        write(pair / "with", files)
        (pair / "with" / rule_file).write_text("".join(rule(i) + "\n" for i in range(n)))
        cases.append(
            (f"{n:,} rules in {rule_file}, 300 files: walk minus walk without", "walk-pair", pair.name)
        )
    small = work / "small"
    many = {
        f"d{k // 50}/e{k % 50}/f{j}.{('py', 'log', 'tmp', 'txt', 'c')[j % 5]}": "x\n"
        for k in range(2000)
        for j in range(5)
    }
    write(small / "without", many)
    write(small / "with", many)
    rules = "*.log\n!f1.log\n/*.tmp\nout{}/\n"  # each file different: nothing shared
    write(small / "with", {f"d{k // 50}/e{k % 50}/.gitignore": rules.format(k) for k in range(2000)})
    cases.append(
        ("2,000 four-line .gitignore files, 10,000 files: walk minus walk without", "walk-pair", small.name)
    )
    return cases


def run(src: Path, case: str, arg: str, work: Path, timeout: float) -> dict[str, object]:
    home = work / "home"  # no user config: only the rules built here apply
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(src),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
    }
    env.pop("XDG_CONFIG_HOME", None)
    cmd = [sys.executable, __file__, "--child", case, arg, str(work)]
    try:
        proc = subprocess.run(
            cmd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}
    out: dict[str, object] = json.loads(proc.stdout)
    return out


def cell(r: dict[str, object]) -> str:
    if "timeout" in r:
        return f"> {r['timeout']:.0f} s (timed out)"
    if "error" in r:
        return f"error: {r['error']}"
    seconds = r["seconds"]
    assert isinstance(seconds, float)
    if seconds < 0.01:
        return f"{seconds * 1e6:,.0f} µs"
    return f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", default="10000,20000,100000", help="rule counts, comma-separated")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case and checkout")
    ap.add_argument("--before", type=Path, help="another checkout (the directory holding packer/)")
    ap.add_argument("--only", help="run only the cases whose label contains this text")
    ap.add_argument("--json", type=Path, help="write the results here too")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        case, arg, work = args.child
        print(json.dumps(child(case, arg, Path(work)), default=str))
        return
    sources = ([("before", args.before.resolve())] if args.before else []) + [("after", HERE)]
    with tempfile.TemporaryDirectory(prefix="bench-ignore-") as tmp:
        work = Path(tmp)
        cases = build(work, [int(n) for n in args.rules.split(",") if n])
        results: list[dict[str, object]] = []
        header = "| case | " + " | ".join(name for name, _ in sources) + " | result |"
        print(header)
        print("|---|" + "---:|" * len(sources) + "---|")
        for label, case, arg in cases:
            if args.only and args.only not in label:
                continue
            row: dict[str, object] = {"case": label}
            cells = []
            shown: dict[str, str] = {}
            for name, src in sources:
                r = run(src, case, arg, work, args.timeout)
                row[name] = r
                cells.append(cell(r))
                if "result" in r:
                    shown[name] = str(r["result"])
            results.append(row)
            if len(set(shown.values())) > 1:  # the checkouts disagree: show each
                shown = {"": "; ".join(f"{k}: {v}" for k, v in shown.items())}
            print(f"| {label} | " + " | ".join(cells) + f" | {next(iter(shown.values()), '')} |", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
