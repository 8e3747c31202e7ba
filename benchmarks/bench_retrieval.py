#!/usr/bin/env python3
"""Does `Chunk.embed_text` find the code a change touches better than plain chunk text?

    .venv/bin/python benchmarks/bench_retrieval.py --peers-python /tmp/peers17b/bin/python \
        [--projects click,django,werkzeug,orjson,axios] [--max-tokens 512[,256]] \
        [--budgets 4000,16000] [--json FILE] [--write-readme]

The corpus (`retrieval_corpus.py`, cached under /tmp/corpora/retrieval): consecutive patch
releases of each project, from the package registries (PyPI sdists, npm tarballs), as
commits. For each release pair, the index is the OLD tree's source files (the languages
every tool splits by syntax; docs, built and vendored folders left out, tests kept), the
queries are the entries of the new release's changelog section, and a query's relevant
lines are the old tree's lines that the release changes (every hunk of the release is
relevant to every entry of that release).

Every chunker cuts the same files at the same budget (o200k_base): packer's `text`
(`context=False`), packer's `embed_text` (indexed as embed_text, but its cost counted as
the chunk text's tokens: what a model is handed is the chunk, the contextual text only
serves the index), packer's `context=True` text (the one-line path/scope header opens the
chunk and is counted), chonkie's `CodeChunker` and LangChain's
`RecursiveCharacterTextSplitter.from_language` (both run in `--peers-python`, as in
bench_chunk.py). BM25 (`bm25s`, Lucene's variant, k1 1.5, b 0.75) over each variant's
chunks of one old tree, one tokenizer for all (lower-cased words, identifiers also split
at `_` and camelCase humps, English stop words out); each query ranks the chunks, chunks
are taken in rank order while they fit the token budget (one that would pass it is
skipped and the walk goes on), and recall is the share of the relevant lines inside the
retrieved chunks' line ranges. Means are per query within a project; "mean" is the mean
of the projects' means, so every project weighs the same.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import retrieval_corpus as rc  # noqa: E402 - this folder's own module
from bench_chunk import tiktoken_cache  # noqa: E402
from bench_pack import machine_info, write_readme  # noqa: E402

import packer  # noqa: E402
from packer.chunker import chunk_file  # noqa: E402
from packer.tokens import Counter  # noqa: E402

MARK_START = "<!-- bench_retrieval:start -->"
MARK_END = "<!-- bench_retrieval:end -->"

VARIANTS = (
    "packer text",
    "packer embed_text",
    "packer embed_text, counted whole",
    "packer context",
    "chonkie CodeChunker",
    "LangChain from_language",
)
PACKER_VARIANTS = VARIANTS[:4]

# Runs with --peers-python. argv: job.json tool out.jsonl. Writes, per file, its chunks as
# [start_char, end_char, text] in the text read as UTF-8 (invalid bytes replaced, no BOM).
PEER_RUNNER = r"""
import json, sys
job = json.load(open(sys.argv[1], encoding="utf-8"))
tool, out_path, n = sys.argv[2], sys.argv[3], job["max_tokens"]
import tiktoken
enc = tiktoken.get_encoding("o200k_base")
if tool == "chonkie":
    from chonkie import CodeChunker
    def make(lang):
        c = CodeChunker(tokenizer=enc, chunk_size=n, language=lang[0])
        return lambda text: [(x.start_index, x.end_index, x.text) for x in c.chunk(text)]
else:
    from langchain_text_splitters import Language, RecursiveCharacterTextSplitter
    def make(lang):
        s = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
            encoding_name="o200k_base", chunk_size=n, chunk_overlap=0,
            separators=RecursiveCharacterTextSplitter.get_separators_for_language(Language[lang[1]]),
            is_separator_regex=True, disallowed_special=())
        return lambda text: [(None, None, t) for t in s.split_text(text)]
split = {}
with open(out_path, "w", encoding="utf-8") as out:
    for key, path, lang in job["files"]:
        lang = tuple(lang)
        if lang not in split:
            split[lang] = make(lang)
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace").lstrip("\ufeff")
        try:
            got = split[lang](text)
        except Exception as exc:
            out.write(json.dumps({"key": key, "error": f"{type(exc).__name__}: {exc}"[:200]}) + "\n")
            continue
        chunks, cursor, lost = [], 0, 0
        for s, e, t in got:
            if s is None or text[s:e] != t:  # no offsets, or offsets that do not hold: find the text
                at = text.find(t, cursor)
                if at < 0:
                    at = text.find(t)
                if at < 0:
                    lost += 1
                    at = cursor
                s, e = at, at + len(t)
            cursor = max(cursor, e)
            chunks.append([s, e, t])
        out.write(json.dumps({"key": key, "chunks": chunks, "lost": lost}) + "\n")
"""


@dataclass(slots=True)
class Piece:
    """One chunk as retrieval sees it."""

    path: str
    start_line: int
    end_line: int
    cost: int  # o200k_base tokens a model is handed for it
    words: list[str]  # what BM25 indexes


# --------------------------------------------------------------------------- tokenizer

_STOP_WORDS = (
    "a an and are as at be but by for from has have if in into is it its not of on or "
    "that the their then there these they this to was were when where which while will "
    "with no can does do did so such than too very also only own same other any all both "
    "each few more most some we you he she them our your his her been being had having "
    "would should could now new fix fixed fixes issue bug add added adds use used uses "
    "using"
)
STOP = frozenset(_STOP_WORDS.split())
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_HUMP = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


SPLIT_IDENTIFIERS = True  # --tokenizer words: False


def words(text: str) -> list[str]:
    """Lower-cased words; an identifier also gives its parts (`bulk_create` → bulk, create)."""
    if not SPLIT_IDENTIFIERS:
        return [w for w in re.findall(r"(?u)\b\w\w+\b", text.lower()) if w not in STOP]
    out: list[str] = []
    for w in _WORD.findall(text):
        low = w.lower().strip("_")
        if len(low) < 2 or low in STOP:
            continue
        out.append(low)
        if "_" in low or not (w.islower() or w.isupper()):
            parts = [p.lower() for p in _HUMP.findall(w)]
            if len(parts) > 1:
                out.extend(p for p in parts if len(p) > 1 and p not in STOP)
    return out


# --------------------------------------------------------------------------- chunking


def line_starts(text: str) -> list[int]:
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def span_lines(starts: list[int], s: int, e: int) -> tuple[int, int]:
    """1-based first and last line of the characters [s, e)."""
    first = bisect.bisect_right(starts, s)
    last = bisect.bisect_right(starts, max(s, e - 1))
    return first, last


def chunk_packer(
    files: dict[tuple[str, str], tuple[Path, str]], max_tokens: int, counter: Counter, log
) -> tuple[dict[str, dict], dict[str, object]]:
    """packer's three variants for every unique file: {variant: {key: [Piece]}}."""
    out: dict[str, dict] = {v: {} for v in PACKER_VARIANTS}
    start = time.perf_counter()
    has_embed = False
    for key, (abspath, language) in files.items():
        data = abspath.read_bytes()
        path = key[0]
        plain, embed, whole = [], [], []
        for c in chunk_file(data, path=path, language=language, max_tokens=max_tokens, context=False):
            plain.append(Piece(path, c.start_line, c.end_line, c.tokens, words(c.text)))
            et = getattr(c, "embed_text", None)
            if et:
                has_embed = True
                ew = words(et)
                embed.append(Piece(path, c.start_line, c.end_line, c.tokens, ew))
                whole.append(Piece(path, c.start_line, c.end_line, counter.count(et), ew))
        out["packer text"][key] = plain
        out["packer embed_text"][key] = embed
        out["packer embed_text, counted whole"][key] = whole
        out["packer context"][key] = [
            Piece(path, c.start_line, c.end_line, c.tokens, words(c.text))
            for c in chunk_file(data, path=path, language=language, max_tokens=max_tokens, context=True)
        ]
    if not has_embed:
        out.pop("packer embed_text")
        out.pop("packer embed_text, counted whole")
    info = {"seconds": round(time.perf_counter() - start, 1), "embed_text": has_embed}
    log(
        f"    packer: {len(files)} files, {info['seconds']} s"
        + ("" if has_embed else " (no embed_text: its variants left out)")
    )
    return out, info


def chunk_peers(
    files: dict[tuple[str, str], tuple[Path, str]], max_tokens: int, counter: Counter, peers_python: str, log
) -> tuple[dict[str, dict], dict[str, object]]:
    out: dict[str, dict] = {}
    info: dict[str, object] = {}
    keys = list(files)
    with tempfile.TemporaryDirectory(prefix="bench_retrieval-") as tmp:
        runner = Path(tmp, "runner.py")
        runner.write_text(PEER_RUNNER, encoding="utf-8")
        job = Path(tmp, "job.json")
        job.write_text(
            json.dumps(
                {
                    "max_tokens": max_tokens,
                    "files": [
                        [i, str(files[k][0]), rc.PEER_LANGUAGES[files[k][1]]] for i, k in enumerate(keys)
                    ],
                }
            ),
            encoding="utf-8",
        )
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env["TIKTOKEN_CACHE_DIR"] = str(tiktoken_cache(Path(tmp)))
        for name, tool in (("chonkie CodeChunker", "chonkie"), ("LangChain from_language", "langchain")):
            result = Path(tmp, f"{tool}.jsonl")
            start = time.perf_counter()
            done = subprocess.run(
                [peers_python, str(runner), str(job), tool, str(result)],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            seconds = time.perf_counter() - start
            if done.returncode != 0:
                log(f"    {name}: failed: {done.stderr.strip()[-400:]}")
                info[name] = {"error": done.stderr.strip()[-400:]}
                continue
            got: dict = {}
            failed = lost = 0
            for line in result.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                key = keys[rec["key"]]
                if "error" in rec:
                    failed += 1
                    got[key] = []
                    continue
                lost += rec["lost"]
                starts = line_starts(rc.read_text(files[key][0]))
                pieces = []
                for s, e, t in rec["chunks"]:
                    first, last = span_lines(starts, s, e)
                    pieces.append(Piece(key[0], first, last, counter.count(t), words(t)))
                got[key] = pieces
            out[name] = got
            info[name] = {"seconds": round(seconds, 1), "failed_files": failed, "chunks_not_located": lost}
            log(f"    {name}: {seconds:.1f} s, {failed} files failed, {lost} chunks not located")
    return out, info


# --------------------------------------------------------------------------- retrieval


def retrieve(pieces: list[Piece], queries: list[list[str]], budgets: list[int]) -> list[dict[int, list[int]]]:
    """For each query and budget, the indexes of the chunks taken (rank order, fitting)."""
    import bm25s
    import numpy as np

    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index([p.words for p in pieces], show_progress=False)
    vocab = retriever.vocab_dict
    costs = np.array([p.cost for p in pieces])
    out = []
    for q in queries:
        terms = [t for t in q if t in vocab]
        taken: dict[int, list[int]] = {b: [] for b in budgets}
        if terms:
            scores = retriever.get_scores(terms)
            order = np.argsort(-scores, kind="stable")
            order = order[scores[order] > 0]
            for b in budgets:
                total = 0
                small = int(costs.min()) if len(costs) else 1
                for i in order:
                    c = int(costs[i])
                    if total + c <= b:
                        taken[b].append(int(i))
                        total += c
                        if b - total < small:
                            break
        out.append(taken)
    return out


def recall(pieces: list[Piece], taken: list[int], relevant: dict[str, set[int]]) -> float:
    total = sum(map(len, relevant.values()))
    covered: dict[str, set[int]] = collections.defaultdict(set)
    for i in taken:
        p = pieces[i]
        lines = relevant.get(p.path)
        if lines:
            covered[p.path].update(n for n in lines if p.start_line <= n <= p.end_line)
    return sum(map(len, covered.values())) / total if total else 0.0


# --------------------------------------------------------------------------- one project


def matched_hunks(entry: str, hunks: list[rc.Hunk], hunk_words: list[set[str]]) -> list[rc.Hunk]:
    """The hunks an entry names: those whose changed lines share a word with it.

    Words of 3 letters or more (identifiers also split into parts), left out when more than
    half of the release's hunks hold them (`self`, `request`, ...); an entry that matches
    no hunk keeps them all.
    """
    df = collections.Counter(w for ws in hunk_words for w in ws)
    limit = max(1, len(hunks) // 2)
    mine = {w for w in words(entry) if len(w) >= 3 and df[w] <= limit}
    got = [h for h, ws in zip(hunks, hunk_words, strict=True) if mine & ws]
    return got or hunks


def run_project(name: str, args: argparse.Namespace, counter: Counter, log) -> dict:
    project = rc.PROJECTS[name]
    log(f"{name}: {project.package} {project.versions[0]} … {project.versions[-1]} ({project.registry})")
    releases = rc.build(project, args.cache, log=log)
    used = [r for r in releases if r.entries and r.relevant]
    skipped = [f"{r.old}→{r.new}" for r in releases if r not in used]
    files: dict[tuple[str, str], tuple[Path, str]] = {}
    keys_of: dict[str, list[tuple[str, str]]] = {}
    for r in used:
        keys = []
        for path, language in r.files.items():
            key = (path, rc.digest((r.old_tree / path).read_bytes()))
            files.setdefault(key, (r.old_tree / path, language))
            keys.append(key)
        keys_of[r.old] = keys
    # Relevance: "all" = every hunk of the release for each of its entries; "matched" = the
    # hunks sharing a word with the entry (all of them if none does).
    relevance: dict[str, list[tuple[dict[str, set[int]], dict[str, set[int]]]]] = {}
    fallback = kept = 0.0
    for r in used:
        hunk_words = [{w for w in words(h.text) if len(w) >= 3} for h in r.hunks]
        pairs = []
        for e in r.entries:
            m = matched_hunks(e, r.hunks, hunk_words)
            fallback += m is r.hunks
            kept += sum(len(h.lines) for h in m) / sum(len(h.lines) for h in r.hunks)
            pairs.append((r.relevant, rc.lines_of(m)))
        relevance[r.old] = pairs
    n_queries = sum(len(r.entries) for r in used)
    result: dict = {
        "project": name,
        "package": project.package,
        "registry": project.registry,
        "versions": [project.versions[0], project.versions[-1]],
        "releases": len(used),
        "skipped_releases": skipped,
        "queries": n_queries,
        "entries_per_release": round(statistics.mean(len(r.entries) for r in used), 2) if used else 0,
        "single_entry_releases": sum(len(r.entries) == 1 for r in used),
        "files_per_tree": round(statistics.mean(len(r.files) for r in used)) if used else 0,
        "changed_lines_per_release": round(statistics.mean(sum(map(len, r.relevant.values())) for r in used))
        if used
        else 0,
        "hunks_per_release": round(statistics.mean(len(r.hunks) for r in used), 1) if used else 0,
        "matched_fallback_share": round(fallback / n_queries, 3) if n_queries else 0,
        "matched_lines_share": round(kept / n_queries, 3) if n_queries else 0,
        "sizes": {},
    }
    for size in args.max_tokens:
        log(f"  --max-tokens {size}: chunking {len(files)} unique files")
        chunks, info = chunk_packer(files, size, counter, log)
        if args.peers_python:
            peer_chunks, peer_info = chunk_peers(files, size, counter, args.peers_python, log)
            chunks.update(peer_chunks)
            info.update(peer_info)
        per_variant: dict = {}
        for variant, by_key in chunks.items():
            start = time.perf_counter()
            queries_out = []
            n_chunks = []
            for r in used:
                pieces = [p for k in keys_of[r.old] for p in by_key.get(k, [])]
                n_chunks.append(len(pieces))
                qs = [words(e) for e in r.entries]
                got = retrieve(pieces, qs, args.budgets)
                for entry, taken, (rel_all, rel_matched) in zip(
                    r.entries, got, relevance[r.old], strict=True
                ):
                    row = {"release": f"{r.old}→{r.new}", "entry": entry, "entries": len(r.entries)}
                    for b in args.budgets:
                        row[f"all@{b}"] = round(recall(pieces, taken[b], rel_all), 4)
                        row[f"matched@{b}"] = round(recall(pieces, taken[b], rel_matched), 4)
                        row[f"tokens@{b}"] = sum(pieces[i].cost for i in taken[b])
                    queries_out.append(row)
            summary: dict = {}
            for b in args.budgets:
                for rule in RULES:
                    summary[f"{rule}@{b}"] = round(statistics.mean(q[f"{rule}@{b}"] for q in queries_out), 4)
                summary[f"single@{b}"] = _mean([q[f"all@{b}"] for q in queries_out if q["entries"] == 1])
                summary[f"tokens@{b}"] = round(statistics.mean(q[f"tokens@{b}"] for q in queries_out))
            summary["chunks_per_tree"] = round(statistics.mean(n_chunks))
            summary["queries"] = queries_out
            per_variant[variant] = summary
            log(
                f"    {variant}: "
                + ", ".join(
                    f"{rule}@{b} {summary[f'{rule}@{b}']:.3f}" for rule in RULES for b in args.budgets
                )
                + f" ({summary['chunks_per_tree']} chunks/tree, {time.perf_counter() - start:.1f} s)"
            )
        result["sizes"][str(size)] = {"variants": per_variant, "chunking": info}
    return result


RULES = ("all", "matched")


def _mean(xs: list[float]) -> float | None:
    return round(statistics.mean(xs), 4) if xs else None


# --------------------------------------------------------------------------- report


def _k(b: int) -> str:
    return f"{b // 1000}K" if b % 1000 == 0 else str(b)


def report(results: list[dict], args: argparse.Namespace, command: str, seconds: float) -> str:
    from bench_pack import REPO

    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "packer", "grammars"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if dirty:
        commit += " (with uncommitted changes to packer)"
    m = machine_info()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    budgets = " / ".join(_k(b) for b in args.budgets)
    lines = [
        f"Measured {now} at commit {commit} on {m['nproc']} × {m['cpu']}, Python {m['python']}, "
        f"packer {packer.__version__}; {seconds / 60:.1f} min end to end (downloads cached).",
        "",
        f"Command: `{command}`",
        "",
        "| project (releases) | registry | release pairs | queries | entries per release | single-entry "
        "releases | source files per tree | hunks per release | changed old lines per release | matched: "
        "lines kept, fell back |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['project']} {r['versions'][0]}…{r['versions'][1]} | {r['registry']} | {r['releases']} | "
            f"{r['queries']} | {r['entries_per_release']} | {r['single_entry_releases']} | "
            f"{r['files_per_tree']} | "
            f"{r['hunks_per_release']} | {r['changed_lines_per_release']} | "
            f"{r['matched_lines_share']:.0%}, {r['matched_fallback_share']:.0%} |"
        )
    total_q = sum(r["queries"] for r in results)
    total_rel = sum(r["releases"] for r in results)
    lines += ["", f"{total_rel} release pairs, {total_q} queries in all."]
    skipped = [f"{r['project']} {', '.join(r['skipped_releases'])}" for r in results if r["skipped_releases"]]
    if skipped:
        lines += [
            "",
            "Release pairs left out (no changelog entry, or no source line changed): "
            + "; ".join(skipped)
            + ".",
        ]
    titles = {
        "all": "every hunk of the release relevant to each of its entries",
        "matched": "only the hunks sharing a word with the entry (all of them when none does)",
    }
    for size in map(str, args.max_tokens):
        variants = [v for v in VARIANTS if any(v in r["sizes"][size]["variants"] for r in results)]
        for rule in RULES:
            lines += [
                "",
                f"Recall at {budgets} retrieved tokens, chunks of at most {size} tokens; relevant lines: "
                f"{titles[rule]}. Mean over a project's queries; mean = the projects' mean:",
                "",
                "| variant | "
                + " | ".join(r["project"] for r in results)
                + " | mean | tokens taken"
                + (" | single-entry releases |" if rule == "all" else " |"),
                "|---|" + "---:|" * (len(results) + 2 + (rule == "all")),
            ]
            for v in variants:
                cells, toks = [], []
                singles: dict[int, list[float]] = {b: [] for b in args.budgets}
                for r in results:
                    got = r["sizes"][size]["variants"].get(v)
                    cells.append(
                        " / ".join(f"{got[f'{rule}@{b}']:.3f}" for b in args.budgets) if got else "—"
                    )
                    if got:
                        toks.append([got[f"tokens@{b}"] for b in args.budgets])
                        for b in args.budgets:
                            singles[b] += [q[f"all@{b}"] for q in got["queries"] if q["entries"] == 1]
                have = [r["sizes"][size]["variants"][v] for r in results if v in r["sizes"][size]["variants"]]
                mean = (
                    "**"
                    + " / ".join(
                        f"{statistics.mean(h[f'{rule}@{b}'] for h in have):.3f}" for b in args.budgets
                    )
                    + "**"
                    if len(have) == len(results)
                    else "—"
                )
                tok = " / ".join(
                    f"{statistics.mean(t[k] for t in toks):,.0f}" for k in range(len(args.budgets))
                )
                row = f"| {v} | " + " | ".join(cells) + f" | {mean} | {tok} |"
                if rule == "all":
                    n = len(singles[args.budgets[0]])
                    row += (
                        " "
                        + " / ".join(f"{statistics.mean(singles[b]):.3f}" for b in args.budgets)
                        + f" ({n}) |"
                        if n
                        else " — |"
                    )
                lines.append(row)
            if "packer embed_text" in variants:
                lines.append(_difference(results, size, rule, args.budgets, rule == "all"))
                lines += [
                    "",
                    "embed_text − text, the projects' mean with a 95% interval from resampling each "
                    "project's releases (2,000 draws): "
                    + "; ".join(f"{_k(b)} {_interval(results, size, rule, b)}" for b in args.budgets)
                    + ".",
                ]
    lines += [
        "",
        "Chunks per old tree (mean over the releases): "
        + "; ".join(
            f"{r['project']} "
            + ", ".join(
                f"{v.split()[0] if v.startswith(('chonkie', 'LangChain')) else v} {d['chunks_per_tree']:,}"
                for v, d in r["sizes"][str(args.max_tokens[0])]["variants"].items()
            )
            for r in results
        )
        + f" (at {args.max_tokens[0]} tokens).",
    ]
    return "\n".join(lines) + "\n"


def _interval(results: list[dict], size: str, rule: str, budget: int, draws: int = 2000) -> str:
    """The mean over projects of embed_text − text, and its 95% release-bootstrap interval.

    Queries of one release share their relevant lines, so releases, not queries, are drawn.
    """
    import numpy as np

    rng = np.random.default_rng(19)
    key = f"{rule}@{budget}"
    per_project = []
    for r in results:
        vs = r["sizes"][size]["variants"]
        by_release: dict[str, list[float]] = collections.defaultdict(list)
        for qa, qt in zip(vs["packer embed_text"]["queries"], vs["packer text"]["queries"], strict=True):
            by_release[qa["release"]].append(qa[key] - qt[key])
        per_project.append([np.array(d) for d in by_release.values()])
    point = statistics.mean(float(np.concatenate(p).mean()) for p in per_project)
    means = np.zeros(draws)
    for k in range(draws):
        total = 0.0
        for releases in per_project:
            pick = rng.integers(0, len(releases), len(releases))
            total += float(np.concatenate([releases[i] for i in pick]).mean())
        means[k] = total / len(per_project)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return f"{point:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def _difference(results: list[dict], size: str, rule: str, budgets: list[int], extra: bool) -> str:
    """The `embed_text − text` row: per project, the mean, and queries better/same/worse."""
    per_budget = []
    wins = collections.Counter()
    for b in budgets:
        diffs = []
        for r in results:
            vs = r["sizes"][size]["variants"]
            a, t = vs["packer embed_text"], vs["packer text"]
            diffs.append(a[f"{rule}@{b}"] - t[f"{rule}@{b}"])
            if b == budgets[0]:
                for qa, qt in zip(a["queries"], t["queries"], strict=True):
                    d = qa[f"{rule}@{b}"] - qt[f"{rule}@{b}"]
                    wins["better" if d > 1e-9 else "worse" if d < -1e-9 else "same"] += 1
        per_budget.append(diffs)
    cells = [" / ".join(f"{per_budget[k][i]:+.3f}" for k in range(len(budgets))) for i in range(len(results))]
    mean = " / ".join(f"{statistics.mean(d):+.3f}" for d in per_budget)
    note = f"queries better/same/worse at {_k(budgets[0])}: {wins['better']}/{wins['same']}/{wins['worse']}"
    return (
        "| embed_text − text | " + " | ".join(cells) + f" | **{mean}** | {note} |" + (" |" if extra else "")
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--projects", default=",".join(rc.PROJECTS), help="comma-separated: " + ", ".join(rc.PROJECTS)
    )
    ap.add_argument("--max-tokens", default="512", help="chunk budgets, comma-separated (default 512)")
    ap.add_argument("--budgets", default="4000,16000", help="retrieved tokens, comma-separated")
    ap.add_argument("--peers-python", help="a Python with chonkie 1.5.6, langchain-text-splitters, tiktoken")
    ap.add_argument(
        "--cache", type=Path, default=rc.CACHE, help="downloads and trees (default /tmp/corpora/retrieval)"
    )
    ap.add_argument("--json", type=Path, help="write every query's result here")
    ap.add_argument(
        "--write-readme", action="store_true", help="replace the bench_retrieval block of README.md"
    )
    ap.add_argument(
        "--tokenizer",
        choices=("split", "words"),
        default="split",
        help="split: identifiers also give their parts",
    )
    args = ap.parse_args()
    global SPLIT_IDENTIFIERS
    SPLIT_IDENTIFIERS = args.tokenizer == "split"
    args.max_tokens = [int(x) for x in args.max_tokens.split(",")]
    args.budgets = [int(x) for x in args.budgets.split(",")]
    names = args.projects.split(",")
    unknown = [n for n in names if n not in rc.PROJECTS]
    if unknown:
        ap.error(f"unknown project(s) {', '.join(unknown)}; known: {', '.join(rc.PROJECTS)}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    start = time.perf_counter()
    counter = Counter("o200k_base")
    results = [run_project(n, args, counter, log) for n in names]
    seconds = time.perf_counter() - start
    command = "python benchmarks/bench_retrieval.py " + " ".join(
        a if not a.startswith("/work/") else os.path.relpath(a) for a in sys.argv[1:]
    )
    text = report(results, args, command, seconds)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps({"command": command, "seconds": round(seconds), "projects": results}, indent=1)
        )
    if args.write_readme:
        write_readme(text, MARK_START, MARK_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
