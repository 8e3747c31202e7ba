#!/usr/bin/env python3
"""Ranking quality: does packer keep the files a commit touched when told what the commit is for?

For the most recent non-merge commits (first-parent history of REV) whose source changes
are only modifications of 1..--max-files existing source files, the repository at the
commit's parent is packed with the commit message as the query; recall at a budget is the
fraction of the modified files packed in full. Budgets are shares of the repository's
tokens (`total_tokens` of an unbudgeted pack at the parent) or absolute counts.

Rows: packer with the query (in-process `packer.pack(..., Options(query=MESSAGE))`), packer without
a query (its task-free order), and three baselines packed in full in their own order with
packer's own fitter and accounting: BM25 over path + file text, path order, random order
(mean of 3 seeds).

The repository is cloned once into a scratch folder (default under /tmp) and checked out
at each parent, so the walker sees a git work tree whose history is the parent's. The
scratch folder is removed at the end, on error and on Ctrl-C. The source repository is
only read (`git clone` from it).

Needs packer installed (`pip install -e .`) and bm25s + numpy for the BM25 row.
See benchmarks/RANKING.md for what is measured and the results.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import datetime as dt
import inspect
import json
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import packer
import packer.pipeline
from packer import Options, languages
from packer.config import parse_budget

RANDOM_SEEDS = 3
MIN_MESSAGE = 10  # characters; shorter messages ("wip", "fix") are no task description
TRAILER = re.compile(r"(?im)^(signed-off-by|co-authored-by|reviewed-by|acked-by|change-id):.*$")
MERGE_SUBJECT = re.compile(r"^Merge (branch|pull request|commit|remote-tracking branch|tag) ")
METHODS = ("packer", "packer-no-query", "bm25", "bm25-path", "path", "random")
LABELS = {
    "packer": "packer `--query`",
    "packer-no-query": "packer, no query",
    "bm25": "BM25 (file text)",
    "bm25-path": "BM25 (path + file text)",
    "path": "path order",
    "random": f"random ({RANDOM_SEEDS} seeds)",
}


def log(msg: str) -> None:
    print(f"[bench_rank] {msg}", file=sys.stderr, flush=True)


def git(*args: str, cwd: Path | None = None, git_dir: Path | None = None) -> str:
    argv = ["git", "-c", "core.quotePath=false"]
    if git_dir is not None:
        argv += ["--git-dir", str(git_dir)]
    p = subprocess.run([*argv, *args], cwd=cwd, capture_output=True, text=True, errors="surrogateescape")
    if p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {p.stderr.strip()[-400:]}")
    return p.stdout


# --------------------------------------------------------------------------- commits


@dataclass(frozen=True)
class Commit:
    sha: str
    parent: str
    subject: str
    message: str  # trailers removed
    modified: tuple[str, ...]  # source files with status M
    other_changes: int  # non-source files the commit also changed (any status)


def source_file(path: str) -> bool:
    return languages.is_code(languages.detect(path))


def eligible_commits(git_dir: Path, rev: str, max_files: int) -> tuple[list[Commit], dict[str, int]]:
    """Every eligible commit of REV's first-parent history, newest first, and why others were not.

    Eligible: not a merge; every source file it touches (by `packer.languages`: a language
    with a grammar, tests included) has status M (no source file added, deleted, renamed,
    copied or retyped); 1..max_files such files; message of at least MIN_MESSAGE characters
    once trailers are removed, and not a merge subject ("Merge commit from fork" is how
    GitHub squashes a security fix: one parent, no description). Changes to non-source
    files (docs, config) are allowed and are not targets.
    """
    out = git(
        "log",
        "--first-parent",
        "--no-merges",
        "-M",
        "--name-status",
        "--format=%x01%H %P",
        rev,
        git_dir=git_dir,
    )
    why: dict[str, int] = {}
    picked: list[tuple[str, str, tuple[str, ...], int]] = []
    for chunk in out.split("\x01")[1:]:
        head, _, body = chunk.partition("\n")
        sha, *parents = head.split()
        if not parents:
            why["root commit"] = why.get("root commit", 0) + 1
            continue
        modified: list[str] = []
        bad = False
        other = 0
        for line in body.splitlines():
            if not line.strip():
                continue
            status, *paths = line.split("\t")
            if any(source_file(p) for p in paths):
                if status == "M" and len(paths) == 1:
                    modified.append(paths[0])
                else:
                    bad = True
            else:
                other += 1
        if bad:
            why["adds, deletes or renames a source file"] = (
                why.get("adds, deletes or renames a source file", 0) + 1
            )
        elif not modified:
            why["modifies no source file"] = why.get("modifies no source file", 0) + 1
        elif len(modified) > max_files:
            why[f"modifies more than {max_files} source files"] = (
                why.get(f"modifies more than {max_files} source files", 0) + 1
            )
        else:
            picked.append((sha, parents[0], tuple(sorted(modified)), other))
    commits: list[Commit] = []
    for sha, parent, modified, other in picked:
        raw = git("show", "-s", "--format=%B", sha, git_dir=git_dir)
        message = TRAILER.sub("", raw).strip()
        if len(message) < MIN_MESSAGE:
            why[f"message under {MIN_MESSAGE} characters"] = (
                why.get(f"message under {MIN_MESSAGE} characters", 0) + 1
            )
            continue
        if MERGE_SUBJECT.match(message):  # squashed "Merge commit from fork" and the like
            why["message is a merge subject"] = why.get("message is a merge subject", 0) + 1
            continue
        commits.append(Commit(sha, parent, message.splitlines()[0], message, modified, other))
    return commits, why


# --------------------------------------------------------------------------- scratch clone


@contextlib.contextmanager
def scratch_clone(source: Path, scratch: Path | None) -> Iterator[Path]:
    """A clone of `source` in a fresh temporary folder, removed on exit (Ctrl-C included)."""
    base = scratch or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench_rank-", dir=base))
    try:
        wt = tmp / "repo"
        subprocess.run(
            ["git", "clone", "--quiet", "--no-checkout", str(source), str(wt)],
            check=True,
            capture_output=True,
        )
        yield wt
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def checkout(wt: Path, rev: str) -> None:
    git("checkout", "--quiet", "--detach", "--force", rev, cwd=wt)
    git("clean", "-qfdx", cwd=wt)


# --------------------------------------------------------------------------- packer's fitter


@dataclass
class FitCall:
    """One call of `packer.pipeline.fit`, kept so other orders can be fitted the same way."""

    fit: Callable[..., Any]
    arguments: dict[str, Any]  # bound arguments; "tree" is a copy taken before fitting


@contextlib.contextmanager
def spy_fit(calls: list[FitCall]) -> Iterator[None]:
    """Record `pipeline.fit`'s arguments while a pack runs (packer has no order injection).

    Nothing is changed: the real fitter runs with the real arguments. If the pipeline no
    longer calls `fit` through `packer.pipeline.fit`, nothing is recorded and the caller
    falls back to an approximation.
    """
    real = getattr(packer.pipeline, "fit", None)
    if real is None:
        yield
        return
    sig = inspect.signature(real)

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = dict(bound.arguments)
            if "tree" in arguments:
                arguments["tree"] = copy.deepcopy(arguments["tree"])
            calls.append(FitCall(real, arguments))
        except Exception:  # a spy must never break the pack it watches
            pass
        return real(*args, **kwargs)

    packer.pipeline.fit = spy  # type: ignore[attr-defined]
    try:
        yield
    finally:
        packer.pipeline.fit = real  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Ranked:
    index: int
    score: float
    reason: str


def refit(call: FitCall, order: Sequence[int], reason: str) -> dict[str, str]:
    """path -> mode when the files of `call` are fitted in `order` (indices into its infos).

    Everything but the order is packer's own call: the same files, costs, tree, fixed
    tokens, budget and policy (passes: full up to the budget less the skeleton share,
    then skeletons), so rows differ only by their order.
    """
    args = dict(call.arguments)
    infos = args["infos"]
    template = args["ranked"][0] if args.get("ranked") else None
    n = len(order)
    if template is not None and dataclasses.is_dataclass(template):
        ranked = [
            dataclasses.replace(template, index=i, score=(n - k) / n, reason=reason)  # type: ignore[type-var]
            for k, i in enumerate(order)
        ]
    else:
        ranked = [_Ranked(i, (n - k) / n, reason) for k, i in enumerate(order)]
    args["ranked"] = ranked
    args["tree"] = copy.deepcopy(call.arguments["tree"])
    plan = call.fit(**args)
    return {infos[i].path: plan.modes[i] for i in plan.modes}


def approx_fit(tokens: dict[str, int], order: Sequence[str], room: int) -> dict[str, str]:
    """Fallback: greedy in order, each file's full block cost, while the sum stays in `room`."""
    used = 0
    modes: dict[str, str] = {}
    for path in order:
        cost = tokens[path]
        if used + cost <= room:
            used += cost
            modes[path] = "full"
    return modes


# --------------------------------------------------------------------------- baselines

_IDENT = re.compile(r"[A-Za-z0-9_]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def terms(text: str, stop: frozenset[str]) -> list[str]:
    """Identifier-aware terms: each alphanumeric run, lowercased, plus its snake/camel parts."""
    out: list[str] = []
    for word in _IDENT.findall(text):
        parts = [p.lower() for chunk in word.split("_") if chunk for p in _CAMEL.findall(chunk)]
        whole = word.strip("_").lower()
        for t in ([whole] if whole else []) + (parts if len(parts) > 1 else []):
            if len(t) > 1 and t not in stop:
                out.append(t)
    return out


def bm25_order(wt: Path, paths: Sequence[str], query: str, *, with_path: bool) -> list[int]:
    """Indices of `paths`, best BM25 score for `query` first (ties by path).

    A document is the file's text (decoded as UTF-8, errors replaced), with its path's
    terms in front when `with_path`. bm25s defaults (Lucene variant, k1=1.5, b=0.75).
    """
    import bm25s

    stop = frozenset(bm25s.stopwords.STOPWORDS_EN)
    docs = []
    for p in paths:
        try:
            text = (wt / p).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        docs.append((terms(p, stop) if with_path else []) + terms(text, stop))
    retriever = bm25s.BM25()
    retriever.index(docs, show_progress=False)
    vocab = retriever.vocab_dict
    q = [t for t in terms(query, stop) if t in vocab]
    if not q:
        return sorted(range(len(paths)), key=lambda i: paths[i])
    scores = retriever.get_scores(q)
    return sorted(range(len(paths)), key=lambda i: (-float(scores[i]), paths[i]))


def path_order(paths: Sequence[str]) -> list[int]:
    return sorted(range(len(paths)), key=lambda i: paths[i].encode("utf-8", "surrogateescape"))


def random_order(paths: Sequence[str], seed: str) -> list[int]:
    order = list(range(len(paths)))
    random.Random(seed).shuffle(order)
    return order


# --------------------------------------------------------------------------- one commit


@dataclass(frozen=True)
class Budget:
    label: str  # "5%", "200k"
    share: float | None  # of the repository's tokens
    tokens: int | None  # absolute

    def resolve(self, repo_tokens: int) -> int:
        return int(repo_tokens * self.share) if self.share is not None else int(self.tokens or 0)


def parse_budgets(text: str) -> list[Budget]:
    out = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        if item.endswith("%"):
            out.append(Budget(item, float(item[:-1]) / 100, None))
        else:
            out.append(Budget(item, None, parse_budget(item)))
    return out


@dataclass
class CommitResult:
    sha: str
    parent: str
    subject: str
    targets: list[str]  # modified source files packer can pack at the parent
    unpackable: list[str]  # modified source files packer skips at the parent
    repo_tokens: int = 0
    budgets: dict[str, int] = field(default_factory=dict)
    # method -> budget label -> recall (fraction of targets packed in full)
    recall: dict[str, dict[str, float]] = field(default_factory=dict)
    # method -> budget label -> fraction of targets packed as skeleton
    skeleton: dict[str, dict[str, float]] = field(default_factory=dict)
    hits: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # packer calls, per budget
    fitter: str = ""  # "exact" or "approximate"
    self_check: str = ""  # refit of packer's own order reproduces its pack?
    error: str = ""


def modes_of(result: Any) -> dict[str, str]:
    return {d.path: d.mode for d in result.files}


def score(modes: dict[str, str], targets: Sequence[str], mode: str = "full") -> tuple[float, list[str]]:
    hits = [t for t in targets if modes.get(t) == mode]
    return len(hits) / len(targets), hits


def evaluate(
    wt: Path, c: Commit, budgets: Sequence[Budget], seed: int, has_query: bool
) -> CommitResult | None:
    """None when no modified file is packable at the parent (not an eligible commit)."""
    checkout(wt, c.parent)
    full = packer.pack(wt, Options(budget="none"), output=None)
    packable = {d.path: d.tokens for d in full.files}
    targets = [p for p in c.modified if p in packable]
    if not targets:
        return None
    res = CommitResult(c.sha, c.parent, c.subject, targets, [p for p in c.modified if p not in packable])
    res.repo_tokens = full.total_tokens
    paths_sorted = sorted(packable)
    bm25_cache: dict[tuple[tuple[str, ...], bool], list[int]] = {}
    fitters: set[str] = set()
    checks: list[str] = []

    def put(method: str, label: str, modes: dict[str, str]) -> None:
        r, hits = score(modes, targets)
        res.recall.setdefault(method, {})[label] = r
        res.hits.setdefault(method, {})[label] = hits
        res.skeleton.setdefault(method, {})[label] = score(modes, targets, "skeleton")[0]

    for b in budgets:
        budget = b.resolve(res.repo_tokens)
        res.budgets[b.label] = budget
        calls: list[FitCall] = []
        with spy_fit(calls):
            base = packer.pack(wt, Options(budget=budget), output=None)
        put("packer-no-query", b.label, modes_of(base))

        if calls and {"infos", "ranked", "tree"} <= calls[-1].arguments.keys():
            call = calls[-1]
            infos = call.arguments["infos"]
            paths = [i.path for i in infos]
            # The refit of packer's own order must give packer's own pack.
            own = [r.index for r in call.arguments["ranked"]]
            again = refit(call, own, "self-check")
            checks.append(
                "ok"
                if again == {d.path: d.mode for d in base.files if d.mode != "listed"}
                else f"mismatch at {b.label}"
            )

            def fitted(order: Sequence[int], reason: str, call: FitCall = call) -> dict[str, str]:
                return refit(call, order, reason)

            fitters.add("exact")
        else:
            # Approximation: what packer's own pack at this budget spent on everything but
            # file blocks (header, tree, separators) is taken as fixed.
            paths = paths_sorted
            body = sum(d.tokens for d in base.files if d.mode != "listed")
            room = budget - (base.total_tokens - body)
            by_path = dict(packable)

            def fitted(
                order: Sequence[int],
                reason: str,
                paths: list[str] = paths,
                room: int = room,
                by_path: dict[str, int] = by_path,
            ) -> dict[str, str]:
                return approx_fit(by_path, [paths[i] for i in order], room)

            fitters.add("approximate")

        for method, with_path in (("bm25", False), ("bm25-path", True)):
            key = (tuple(paths), with_path)
            if key not in bm25_cache:
                bm25_cache[key] = bm25_order(wt, paths, c.message, with_path=with_path)
            put(method, b.label, fitted(bm25_cache[key], method))
        put("path", b.label, fitted(path_order(paths), "path"))
        rs, sk = [], []
        for k in range(RANDOM_SEEDS):
            modes = fitted(random_order(paths, f"{seed + k}:{c.sha}"), "random")
            rs.append(score(modes, targets)[0])
            sk.append(score(modes, targets, "skeleton")[0])
        res.recall.setdefault("random", {})[b.label] = statistics.fmean(rs)
        res.skeleton.setdefault("random", {})[b.label] = statistics.fmean(sk)

        if has_query:
            t0 = time.perf_counter()
            # "@x" would name a query file; "@@" escapes it.
            query = "@" + c.message if c.message.startswith("@") else c.message
            got = packer.pack(wt, Options(budget=budget, query=query), output=None)
            res.seconds[b.label] = round(time.perf_counter() - t0, 3)
            put("packer", b.label, modes_of(got))
    res.fitter = "+".join(sorted(fitters))
    res.self_check = (
        "ok"
        if checks and all(x == "ok" for x in checks)
        else "; ".join(x for x in checks if x != "ok") or "n/a"
    )
    return res


# --------------------------------------------------------------------------- report


def packer_source() -> str:
    """packer's version, and the commit of its checkout when it runs from one."""
    where = Path(packer.__file__).resolve().parent
    try:
        head = git("rev-parse", "--short", "HEAD", cwd=where).strip()
        dirty = git("status", "--porcelain", "--", ".", cwd=where).strip()
    except (RuntimeError, OSError):
        return packer.__version__
    return f"{packer.__version__} ({head}{', packer/ modified' if dirty else ''})"


def repo_name(source: Path) -> str:
    parts = source.resolve().parts
    for p in reversed(parts):
        if "+" in p:  # /work/.mirror/owner+name/repo
            return p.replace("+", "/", 1)
    name = source.resolve().name
    return name[:-4] if name.endswith(".git") else name


def render(
    name: str,
    head: str,
    budgets: Sequence[Budget],
    results: Sequence[CommitResult],
    has_query: bool,
    eligible: int,
    why: dict[str, int],
    failed: int,
    version: str,
) -> str:
    ok = [r for r in results if not r.error]
    lines = [f"### {name} @ {head[:8]}", "", f"packer {version}.", ""]
    if not ok:
        return "\n".join([*lines, "No commit evaluated.", ""])
    tok = [r.repo_tokens for r in ok]
    per_call = [s for r in ok for s in r.seconds.values()]
    lines.append(
        f"{len(ok)} commits evaluated ({eligible} eligible in the history, {failed} failed); "
        f"repository tokens {min(tok):,}–{max(tok):,} (mean {statistics.fmean(tok):,.0f}); "
        + ", ".join(
            f"{b.label} = {statistics.fmean(r.budgets[b.label] for r in ok):,.0f} tokens"
            + (" (whole repository)" if all(r.budgets[b.label] >= r.repo_tokens for r in ok) else "")
            for b in budgets
        )
        + "; mean time per packer call: "
        + (f"{statistics.fmean(per_call):.2f} s" if per_call else "n/a")
        + "; targets per commit: "
        + f"{statistics.fmean(len(r.targets) for r in ok):.2f}."
    )
    lines.append("")
    head_row = (
        "| method | "
        + " | ".join(f"Recall@{b.label}" for b in budgets)
        + " | as skeleton @"
        + " / ".join(b.label for b in budgets)
        + " |"
    )
    lines += [head_row, "|---|" + "---:|" * (len(budgets) + 1)]
    for m in METHODS:
        if m == "packer" and not has_query:
            lines.append(
                f"| {LABELS[m]} | " + " | ".join("n/a" for _ in budgets) + " | packer has no --query yet |"
            )
            continue
        cells = [f"{statistics.fmean(r.recall[m][b.label] for r in ok):.3f}" for b in budgets]
        skel = " / ".join(f"{statistics.fmean(r.skeleton[m][b.label] for r in ok):.2f}" for b in budgets)
        lines.append(f"| {LABELS[m]} | " + " | ".join(cells) + f" | {skel} |")
    fit = sorted({r.fitter for r in ok})
    checks = [r.self_check for r in ok if r.self_check not in ("ok", "n/a")]
    lines += [
        "",
        f"Fitter for the baselines: {', '.join(fit)}; self-check "
        + ("ok on every commit" if not checks else f"failed on {len(checks)} commits")
        + ". Not eligible: "
        + ", ".join(f"{n:,} {k}" for k, n in sorted(why.items(), key=lambda kv: -kv[1]))
        + ".",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("repo", type=Path, help="a git repository: bare git dir or work tree")
    ap.add_argument("--commits", type=int, default=30, help="commits to evaluate (default 30)")
    ap.add_argument(
        "--max-files", type=int, default=6, help="most modified source files a commit may have (default 6)"
    )
    ap.add_argument(
        "--budgets",
        default="5%,10%,200k",
        help="comma list: N%% of the repository's tokens, or a count like 200k",
    )
    ap.add_argument("--seed", type=int, default=0, help="first seed of the random baseline")
    ap.add_argument("--rev", default="HEAD", help="history to take commits from (default HEAD)")
    ap.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="folder for the temporary clone (default: the system temp folder)",
    )
    ap.add_argument("--name", default=None, help="repository name in the table")
    ap.add_argument("--json", type=Path, default=None, help="write per-commit details here")
    args = ap.parse_args(argv)
    if args.commits < 1 or args.max_files < 1:
        ap.error("--commits and --max-files must be at least 1")
    try:
        args.budgets = parse_budgets(args.budgets)
    except (ValueError, packer.PackerError) as e:
        ap.error(f"--budgets: {e}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    source = args.repo.resolve()
    try:
        git_dir = Path(git("rev-parse", "--absolute-git-dir", cwd=source).strip())
    except RuntimeError as e:
        print(f"error: {source} is not a git repository ({e})", file=sys.stderr)
        return 1
    head = git("rev-parse", args.rev, git_dir=git_dir).strip()
    name = args.name or repo_name(source)
    version = packer_source()  # now: the code imported is the code at start, not at the end
    has_query = "query" in {f.name for f in dataclasses.fields(Options)}
    if not has_query:
        log("packer has no --query yet (packer.Options has no query): packer row is n/a")

    commits, why = eligible_commits(git_dir, head, args.max_files)
    log(f"{name} @ {head[:12]}: {len(commits)} eligible commits; evaluating up to {args.commits}")
    results: list[CommitResult] = []
    failed = 0
    interrupted = False

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the same clean-up as Ctrl-C

    signal.signal(signal.SIGTERM, on_term)
    started = time.perf_counter()
    try:
        with scratch_clone(git_dir, args.scratch) as wt:
            for c in commits:
                if len([r for r in results if not r.error]) >= args.commits:
                    break
                t0 = time.perf_counter()
                try:
                    res = evaluate(wt, c, args.budgets, args.seed, has_query)
                except Exception as e:  # one bad commit never stops the run
                    failed += 1
                    res = CommitResult(
                        c.sha,
                        c.parent,
                        c.subject,
                        list(c.modified),
                        [],
                        error=f"{type(e).__name__}: {e}"[:500],
                    )
                    log(f"{c.sha[:8]} failed: {res.error}")
                if res is None:
                    why["no modified file packable at the parent"] = (
                        why.get("no modified file packable at the parent", 0) + 1
                    )
                    continue
                results.append(res)
                if not res.error:
                    summary = " ".join(
                        f"{m}={'/'.join(f'{v:.2f}' for v in res.recall[m].values())}"
                        for m in METHODS
                        if m in res.recall
                    )
                    log(
                        f"[{len(results)}] {c.sha[:8]} {len(res.targets)} file(s) "
                        f"{time.perf_counter() - t0:.1f}s {summary}"
                    )
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: scratch clone removed; partial results follow")

    eligible = len(commits) - why.get("no modified file packable at the parent", 0)
    report = render(name, head, args.budgets, results, has_query, eligible, why, failed, version)
    print(report)
    log(f"done in {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "repository": name,
                    "head": head,
                    "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "command": shlex.join(
                        ["python", "benchmarks/bench_rank.py", *(sys.argv[1:] if argv is None else argv)]
                    ),
                    "packer": version,
                    "has_query": has_query,
                    "budgets": [dataclasses.asdict(b) for b in args.budgets],
                    "not_eligible": why,
                    "eligible": eligible,
                    "commits": [dataclasses.asdict(r) for r in results],
                },
                indent=1,
            )
            + "\n"
        )
    if interrupted:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
