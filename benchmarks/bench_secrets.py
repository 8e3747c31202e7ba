"""Redaction on real trees: how many values packer rewrites, a sample to judge by hand, and
proof that nothing else changed.

For each repository it packs everything (`--budget none`, JSON, default rules) and then,
independently of packer's own span bookkeeping, checks every packed file against its
source: splitting the packed text at each `[REDACTED:<kind>]` marker, the pieces must
appear in the source in order, each gap (the value that was removed) must be non-empty,
a gap may hold newlines only if the marker is followed by exactly as many (so the
line count is the source's), and a gap never holds quotes, brackets, separators or
spaces (code around a value) unless it is the whole inside of one quoted literal. Any
other difference is corruption.

Beside it, optionally, Repomix's security check (secretlint) on the same tree.

    python benchmarks/bench_secrets.py /tmp/eval/flask /tmp/eval/gin /tmp/corpora/medium \\
        [--repomix /path/to/node_modules/.bin/repomix] [--sample 40] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import packer
from packer import Options
from packer.secrets import redact

MARKER = re.compile(r"\[REDACTED:[^\]\n]+\]")
# What a removed value never holds: quotes, brackets, separators and spaces are code
# around it (a multi-line value, a PEM body, may hold newlines only).
_CODE = re.compile(r"[\"'`()\[\]{}<>;,\t \r]")


def check_file(source: str, packed: str) -> str | None:
    """None when `packed` is `source` with some values replaced by markers (newlines kept)."""
    if source.count("\n") != packed.count("\n"):
        return f"line count {packed.count(chr(10))} != {source.count(chr(10))}"
    pieces = MARKER.split(packed)
    if not source.startswith(pieces[0]):
        return "text before the first marker differs"
    pos = len(pieces[0])
    for k, piece in enumerate(pieces[1:], 1):
        pos = _match_piece(source, pos, piece, last=k == len(pieces) - 1)
        if pos < 0:
            return f"text after marker {k} differs"
    return None if pos == len(source) else "the packed text ends early"


def _match_piece(source: str, pos: int, piece: str, *, last: bool) -> int:
    """Where `piece` (after a marker) ends in `source`, or -1: the marker replaced a
    non-empty gap, and the newlines that gap held lead `piece`."""
    lead = len(piece) - len(piece.lstrip("\n"))
    for nl in range(lead + 1):
        rest = piece[nl:]
        start = pos + 1
        while True:
            at = (len(source) - len(rest)) if last else source.find(rest, start)
            if at < start or (last and not source.endswith(rest)):
                break
            if source.count("\n", pos, at) == nl and _value_only(source, pos, at):
                return at + len(rest)
            if last or not rest:
                break
            start = at + 1
            if source.count("\n", pos, start) > nl:
                break
    return -1


def _value_only(source: str, a: int, b: int) -> bool:
    """Whether source[a:b] can be a value alone: no code characters, or the whole inside of
    one quoted literal (a key such as b'_5#y2L"F4Q8z]/' may hold quotes and brackets)."""
    if not _CODE.search(source, a, b):
        return True
    quote = source[a - 1 : a]
    return quote in ("'", '"', "`") and source[b : b + 1] == quote and "\n" not in source[a:b]


def measure_packer(root: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pack.json"
        t0 = time.perf_counter()
        result = packer.pack(root, Options(budget="none", format="json", cache=False), output=out)
        seconds = time.perf_counter() - t0
        files = json.loads(out.read_text(encoding="utf-8"))["files"]
    corrupt, changed = [], 0
    for f in files:
        try:
            with open(root / f["path"], encoding="utf-8-sig", newline="") as fh:
                source = fh.read()
        except (OSError, UnicodeDecodeError):
            continue  # UTF-16 and the like: packer decoded them its own way
        if f["content"] == source:
            continue
        changed += 1
        problem = check_file(source, f["content"])
        if problem:
            corrupt.append(f"{f['path']}: {problem}")
    findings = [s for s in result.secrets if s.line > 0]
    return {
        "files_packed": len(files),
        "files_changed": changed,
        "corrupt": corrupt,
        "redactions": len(findings),
        "by_kind": dict(Counter(s.kind for s in findings).most_common()),
        "findings": [(s.path, s.line, s.kind) for s in findings],
        "seconds": round(seconds, 1),
    }


def sample(root: Path, findings: list[tuple[str, int, str]], n: int, show: bool) -> list[str]:
    """Up to n findings, spread over the list, each with its source line (as packed, unless
    `show`: then as in the source, to judge by hand whether the value is a secret)."""
    step = max(1, len(findings) // max(1, n))
    out = []
    for path, line, kind in findings[::step][:n]:
        try:
            text = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()[line - 1]
        except (OSError, IndexError):
            text = "?"
        shown = text if show else redact(text, path)[0]
        out.append(f"{path}:{line} [{kind}] {shown.strip()[:160]}")
    return out


def measure_repomix(root: Path, repomix: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [repomix, "--style", "plain", "-o", str(Path(tmp) / "out.txt"), "--no-color"]
        proc = subprocess.run(
            cmd, cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800
        )
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", proc.stdout)
    section = text.split("Security Check:", 1)[-1].split("Pack Summary", 1)[0]
    suspicious = re.findall(r"^\s*\d+\.\s+(\S.*)$", section, re.M)
    return {"suspicious_files": len(suspicious), "files": suspicious[:50], "exit": proc.returncode}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="+", type=Path)
    ap.add_argument("--repomix", help="the repomix executable, to run its security check beside packer's")
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--show-values", action="store_true", help="show sampled lines unredacted")
    ap.add_argument("--json", type=Path, help="write every figure here")
    args = ap.parse_args()

    report: dict[str, object] = {}
    for root in args.roots:
        got = measure_packer(root.resolve())
        got["sample"] = sample(root, got["findings"], args.sample, args.show_values)  # type: ignore[arg-type]
        if args.repomix:
            got["repomix"] = measure_repomix(root, args.repomix)
        report[str(root)] = got
        print(
            f"## {root}\npacked {got['files_packed']} files in {got['seconds']} s; "
            f"{got['redactions']} redactions in {got['files_changed']} files; by kind {got['by_kind']}; "
            f"corrupt: {len(got['corrupt'])}"
        )  # type: ignore[arg-type]
        for c in got["corrupt"][:20]:  # type: ignore[index]
            print("  CORRUPT", c)
        if args.repomix:
            print(f"repomix: {got['repomix']['suspicious_files']} suspicious files")  # type: ignore[index]
        for line in got["sample"]:  # type: ignore[union-attr]
            print("  ", line)
        sys.stdout.flush()
    if args.json:
        for v in report.values():
            v.pop("findings", None)  # type: ignore[union-attr]
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
