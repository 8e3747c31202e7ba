#!/usr/bin/env python3
"""Measure `packer chunk` on a corpus: throughput, whole definitions, and peers side by side.

    python benchmarks/bench_chunk.py /tmp/corpora/medium [--max-tokens 512] [--repeat 3]
        [--peers-python /tmp/peers/bin/python] [--no-cli]

1. **In process, the whole corpus.** `packer.chunk(corpus)` end to end (walk, read,
   parse, split, count, redact) over every file it chunks: the median wall time of
   `--repeat` runs after one warm-up run, in this process.

2. **Whole definitions.** For every code file chunked, the definitions `packer.symbols`
   finds whose own text fits `--max-tokens` exactly; the share of those inside a single
   chunk. A definition larger than the budget cannot be whole and is not counted.

3. **Side by side, the same files.** The code files of (1) in a language that every tool
   splits along its syntax (Python, JavaScript, TypeScript, Go, Rust, Java, C, C++, C#,
   PHP, Ruby, Kotlin, Scala, Swift), each tool in a child process of its own, runs
   alternated, median of `--repeat` rounds:
   - `packer.chunk(files)` in process (the files named one by one, as the CLI gets them),
     on all CPUs and pinned to one (`taskset -c 0`), and the CLI end to end
     (`python -m packer chunk FILES... -o out.jsonl`, start-up and JSON writing included;
     `--no-cli` leaves it out);
   - with `--peers-python` (a venv holding `chonkie[code]`, `tree-sitter-language-pack`,
     `langchain-text-splitters` and `tiktoken`, never the project's venv): chonkie's
     `CodeChunker` and LangChain's `RecursiveCharacterTextSplitter` with the language's
     separators (`from_language`'s) and its tiktoken length (`from_tiktoken_encoder`).
   Every tool gets the same file list, the same `--max-tokens` and o200k_base through
   tiktoken (the peers' tiktoken cache is filled from packer's bundled vocabulary, so no
   download). In process, a tool's timer covers reading and chunking every file; the
   imports, the vocabulary and one warm-up file per language are before it, for every
   tool alike. After the timer, each tool's chunks are checked with one counter: chunks
   over the budget, and files whose chunks do not join back to their text. A tool that
   cannot run gets a row saying why.

Prints markdown tables. Plain script: standard library plus the installed packer (the
child processes import the same packer, through PYTHONPATH).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import packer
from packer import languages, symbols
from packer.tokens import VOCABS, Counter, load_vocab_bytes

# packer's language -> (chonkie's tree-sitter-language-pack name, LangChain's Language).
PEER_LANGUAGES = {
    "python": ("python", "PYTHON"),
    "javascript": ("javascript", "JS"),
    "typescript": ("typescript", "TS"),
    "tsx": ("tsx", "TS"),
    "go": ("go", "GO"),
    "rust": ("rust", "RUST"),
    "java": ("java", "JAVA"),
    "c": ("c", "C"),
    "cpp": ("cpp", "CPP"),
    "csharp": ("csharp", "CSHARP"),
    "php": ("php", "PHP"),
    "ruby": ("ruby", "RUBY"),
    "kotlin": ("kotlin", "KOTLIN"),
    "scala": ("scala", "SCALA"),
    "swift": ("swift", "SWIFT"),
}

# Runs in a child process, with the project's Python (packer) or the peers' (the rest).
# argv: job.json tool. Prints one JSON object: seconds, chunks, over, failed, broken, errors.
RUNNER = r"""
import json, sys, time
job = json.load(open(sys.argv[1], encoding="utf-8"))
tool, files, n = sys.argv[2], job["files"], job["max_tokens"]
out = {"tool": tool}
try:
    if tool == "packer":
        import packer
        from packer.tokens import get_encoding
        enc = get_encoding("o200k_base")  # tiktoken's, built from packer's bundled file
        def chunk_all(todo):
            got = {}
            for c in packer.chunk([p for p, _ in todo], max_tokens=n):
                got.setdefault(c.path, []).append(c.text)
            return [(p, got.get(p, [])) for p, _ in todo]
    else:
        import tiktoken
        enc = tiktoken.get_encoding("o200k_base")
        if tool == "chonkie":
            from chonkie import CodeChunker
            def make(lang):
                c = CodeChunker(tokenizer=enc, chunk_size=n, language=lang[0])
                return lambda text: [x.text for x in c.chunk(text)]
        else:
            from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
            def make(lang):
                s = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
                    encoding_name="o200k_base", chunk_size=n, chunk_overlap=0,
                    separators=RecursiveCharacterTextSplitter.get_separators_for_language(
                        Language[lang[1]]),
                    is_separator_regex=True, disallowed_special=())
                return s.split_text
        split = {}
        for _, lang in files:
            if tuple(lang) not in split:
                split[tuple(lang)] = make(lang)
        def chunk_all(todo):
            done = []
            for path, lang in todo:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                try:
                    done.append((path, split[tuple(lang)](text)))
                except Exception as exc:
                    done.append((path, exc))
            return done
    warm, seen = [], set()
    for path, lang in files:
        if tuple(lang) not in seen:
            seen.add(tuple(lang))
            warm.append((path, lang))
    chunk_all(warm)
    start = time.perf_counter()
    result = chunk_all(files)
    out["seconds"] = time.perf_counter() - start
except Exception as exc:
    print(json.dumps({"tool": tool, "error": f"{type(exc).__name__}: {exc}"[:300]}))
    sys.exit(0)
over = failed = chunks = broken = 0
errors = []
for path, got in result:
    if isinstance(got, Exception):
        failed += 1
        if len(errors) < 3:
            errors.append(f"{path}: {type(got).__name__}: {got}"[:200])
        continue
    chunks += len(got)
    over += sum(len(enc.encode_ordinary(t)) > n for t in got)
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    broken += "".join(got) != text.lstrip("\ufeff") and "".join(got) != text
out.update(chunks=chunks, over=over, failed=failed, broken=broken, errors=errors)
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peers-python", help="a Python with chonkie and langchain-text-splitters")
    ap.add_argument("--no-cli", action="store_true", help="leave out the CLI run")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds for one child run")
    args = ap.parse_args()
    corpus = args.corpus.resolve()
    print(
        f"corpus: {corpus}; python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"packer {packer.__version__}, --max-tokens {args.max_tokens}\n"
    )
    sizes = whole_corpus(corpus, args.max_tokens, args.repeat)
    side_by_side(corpus, sizes, args)
    return 0


def whole_corpus(corpus: Path, max_tokens: int, repeat: int) -> dict[str, int]:
    """Tables 1 and 2; returns the size of every file chunked, by its path."""
    packer_chunk = packer.chunk
    list(packer_chunk(corpus, max_tokens=max_tokens))  # warm-up: page cache, grammars
    times: list[float] = []
    chunks: list[packer.Chunk] = []
    for _ in range(repeat):
        start = time.perf_counter()
        chunks = list(packer_chunk(corpus, max_tokens=max_tokens))
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)

    by_path: dict[str, list[tuple[int, int]]] = collections.defaultdict(list)
    sizes: dict[str, int] = {}
    kinds: collections.Counter[str] = collections.Counter()
    for c in chunks:
        by_path[c.path].append((c.start_byte, c.end_byte))
        sizes[c.path] = c.end_byte
        kinds[c.kind] += 1
    total_bytes = sum(sizes.values())

    counter = Counter()
    fitting = whole = too_big = 0
    split_examples: list[str] = []
    for path, spans in by_path.items():
        language = languages.detect(path)
        if not languages.is_code(language):
            continue
        data = (corpus / path).read_bytes()
        found = symbols.extract(data, language, path=path)
        starts = [s for s, _ in spans]
        for d in found.definitions:
            text = data[d.start_byte : d.end_byte].decode("utf-8", "replace")
            if counter.count(text) > max_tokens:
                too_big += 1
                continue
            fitting += 1
            i = max(0, _bisect(starts, d.start_byte))
            if spans[i][0] <= d.start_byte and d.end_byte <= spans[i][1]:
                whole += 1
            elif len(split_examples) < 5:
                split_examples.append(f"{path}:{d.start_line} {d.label}")

    share = 100.0 * whole / fitting if fitting else 100.0
    print(f"In process, the whole corpus (`packer.chunk(corpus)`, {len(sizes):,} files chunked):\n")
    print(
        "| max tokens | files | MB | chunks | seconds | MB/s | definitions that fit | kept whole | whole % |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {max_tokens} | {len(sizes):,} | {total_bytes / 1e6:.1f} | {len(chunks):,} | "
        f"{seconds:.2f} | {total_bytes / 1e6 / seconds:.2f} | {fitting:,} | {whole:,} | "
        f"{share:.2f} |"
    )
    print(
        f"\nruns: {', '.join(f'{t:.2f}s' for t in times)}; definitions over the budget: "
        f"{too_big:,}; chunk kinds: " + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common())
    )
    if split_examples:
        print("split although they fit (first few): " + "; ".join(split_examples))
    return sizes


def side_by_side(corpus: Path, sizes: dict[str, int], args: argparse.Namespace) -> None:
    """Table 3: every tool on the same code files, alternated."""
    files: list[tuple[str, tuple[str, str]]] = []
    by_language: collections.Counter[str] = collections.Counter()
    for path in sorted(sizes):
        language = languages.detect(path)
        if language in PEER_LANGUAGES:
            files.append((str(corpus / path), PEER_LANGUAGES[language]))
            by_language[language] += 1
    total = sum(os.path.getsize(p) for p, _ in files)
    if not files:
        print("\nNo code file in a language every tool splits: no side-by-side table.")
        return
    with tempfile.TemporaryDirectory(prefix="bench_chunk-") as tmp:
        runner = Path(tmp, "runner.py")
        runner.write_text(RUNNER, encoding="utf-8")
        job = Path(tmp, "job.json")
        job.write_text(json.dumps({"files": files, "max_tokens": args.max_tokens}), encoding="utf-8")
        tools = tool_commands(runner, job, files, Path(tmp), args)
        rows: dict[str, list[dict[str, object]]] = {name: [] for name in tools}
        for r in range(args.repeat):
            names = list(tools)
            names = names[r % len(names) :] + names[: r % len(names)]  # alternate the order
            for name in names:
                rows[name].append(run_tool(name, tools[name], job, args.timeout))
    print(
        f"\nSide by side on the same {len(files):,} code files ({total / 1e6:.1f} MB: "
        + ", ".join(f"{lang} {n:,}" for lang, n in by_language.most_common())
        + f"), --max-tokens {args.max_tokens}, median of {args.repeat} alternated rounds:\n"
    )
    print("| tool | seconds | MB/s | × fastest peer | chunks | over budget | not rejoining | failed files |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    medians: dict[str, float] = {}
    for name, got in rows.items():
        ok = [g for g in got if "seconds" in g]
        if ok:
            medians[name] = statistics.median(float(str(g["seconds"])) for g in ok)
    peers = [medians[n] for n in medians if n in ("chonkie CodeChunker", "LangChain from_language")]
    fastest = min(peers) if peers else None
    for name, got in rows.items():
        if name not in medians:
            why = next((str(g.get("error")) for g in got if "error" in g), "no run finished")
            print(f"| {name} | — | — | — | — | — | — | could not run: {why} |")
            continue
        last = next(g for g in reversed(got) if "seconds" in g)
        s = medians[name]
        ratio = f"{fastest / s:.2f}" if fastest else "—"
        errors = last.get("errors") or []
        failed = f"{last.get('failed', 0)}" + (
            f" ({errors[0]})" if isinstance(errors, list) and errors else ""
        )
        print(
            f"| {name} | {s:.2f} | {total / 1e6 / s:.2f} | {ratio} | {last.get('chunks', '—')} | "
            f"{last.get('over', '—')} | {last.get('broken', '—')} | {failed} |"
        )
    print(
        "\nruns (s): "
        + "; ".join(
            f"{n} " + ", ".join(f"{float(str(g['seconds'])):.2f}" for g in got if "seconds" in g)
            for n, got in rows.items()
        )
    )
    print(
        "\npacker also scans every file for secrets and redacts them, counts every chunk "
        "exactly (never over the budget) and keeps byte offsets that rejoin each file; "
        "LangChain strips whitespace at chunk edges (so its chunks do not rejoin) and can "
        "exceed the budget where no separator is left. packer's 'packer.chunk' row uses its "
        f"worker processes ({os.cpu_count()} CPUs here; tree-sitter holds the GIL while it "
        "parses, so threads would not overlap); its '1 CPU' row is the same run pinned to one "
        "CPU; the peers run on one thread."
    )


def tool_commands(
    runner: Path, job: Path, files: list[tuple[str, tuple[str, str]]], tmp: Path, args: argparse.Namespace
) -> dict[str, list[str] | str]:
    """Each tool's command line, or the reason it cannot run."""
    py = sys.executable
    tools: dict[str, list[str] | str] = {"packer.chunk": [py, str(runner), str(job), "packer"]}
    if shutil.which("taskset"):  # the same process on one CPU: its threads cannot overlap
        tools["packer.chunk, 1 CPU"] = ["taskset", "-c", "0", py, str(runner), str(job), "packer"]
    if not args.no_cli:
        out = str(tmp / "out.jsonl")
        tools["packer chunk (CLI)"] = [py, "-m", "packer", "chunk", *(p for p, _ in files), "-o", out, "-q"]
    if args.peers_python:
        for name, tool in (("chonkie CodeChunker", "chonkie"), ("LangChain from_language", "langchain")):
            tools[name] = [args.peers_python, str(runner), str(job), tool]
    else:
        for name in ("chonkie CodeChunker", "LangChain from_language"):
            tools[name] = "no --peers-python given"
    return tools


def run_tool(name: str, cmd: list[str] | str, job: Path, timeout: float) -> dict[str, object]:
    if isinstance(cmd, str):
        return {"error": cmd}
    env = dict(os.environ)
    if cmd[-1] in ("chonkie", "langchain"):  # a peer: its own venv; tiktoken's cache filled offline
        env.pop("PYTHONPATH", None)
        env["TIKTOKEN_CACHE_DIR"] = str(tiktoken_cache(job.parent))
    else:  # packer: the same packer as this process
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-300:]}"}
    if name.endswith("(CLI)"):
        return {"seconds": wall}
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {"error": f"no result: {done.stderr.strip()[-300:]}"}


def tiktoken_cache(tmp: Path) -> Path:
    """A tiktoken cache holding packer's bundled o200k_base, under tiktoken's own key."""
    cache = tmp / "tiktoken-cache"
    spec = VOCABS["o200k_base"]
    key = cache / hashlib.sha1(spec.url.encode()).hexdigest()
    if not key.exists():
        cache.mkdir(exist_ok=True)
        key.write_bytes(load_vocab_bytes(spec)[0])
    return cache


def _bisect(starts: list[int], pos: int) -> int:
    """The index of the last chunk starting at or before pos."""
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


if __name__ == "__main__":
    sys.exit(main())
