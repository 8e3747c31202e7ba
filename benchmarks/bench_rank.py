#!/usr/bin/env python3
"""Ranking quality: does packer keep the files a commit touched when told what the commit is for?

Commits are sampled at random (seeded) from the first-parent history of REV: non-merge
commits whose source changes are only modifications of 1..--max-files existing source
files. The repository at the commit's parent is packed with a task, and recall at a
budget is the fraction of the files to be found that are packed in full. Three modes:

- `query`: the commit message is the query; the files to find are the modified files.
- `focus`: a seeded random half (at least 1) of the modified files is given as focus,
  no message; the files to find are the other half (commits with 2+ modified files).
- `none`: no task at all; the files to find are the modified files (the quality of the
  task-free prior: does it keep the files that are about to change?).

Budgets are shares of the repository's tokens (`total_tokens` of an unbudgeted pack at
the parent) or absolute counts. MRR is 1 / the rank of the first file to find in each
method's order (focus files left out of every order). Rows: packer with the task, packer
without it, and baselines fitted by packer's own fitter in their own order: BM25 over file
text (query: the message, or the focus files' terms), BM25 over path + file text, same
directory as a focus file, path order, random order (mean of 3 seeds).

Several repositories (`--set tuning|heldout` from benchmarks/rank_repos.toml, or several
paths) give a macro average (mean over repositories of per-repository means) with 95%
bootstrap intervals. The repository is cloned once into a scratch folder and checked out
at each parent; the scratch folder is removed at the end, on error and on Ctrl-C. The
source repository is only read (`git clone` from it; a bare git dir is fine).

Needs packer installed (`pip install -e .`) and bm25s + numpy for the BM25 rows.
See benchmarks/RANKING.md for what is measured and how to run it.
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
from packer import Options, languages
from packer.config import parse_budget

RANDOM_SEEDS = 3
BOOTSTRAP = 1000  # resamples for the 95% intervals
MIN_MESSAGE = 10  # characters; shorter messages ("wip", "fix") are no task description
TRAILER = re.compile(r"(?im)^(signed-off-by|co-authored-by|reviewed-by|acked-by|change-id):.*$")
MERGE_SUBJECT = re.compile(r"^Merge (branch|pull request|commit|remote-tracking branch|tag) ")
MODES = ("query", "focus", "none")
METHODS = {
    "query": ("packer", "packer-no-task", "bm25", "bm25-path", "path", "random", "oracle"),
    "focus": ("packer", "packer-no-task", "bm25", "bm25-path", "same-dir", "path", "random", "oracle"),
    "none": ("packer", "path", "random", "oracle"),
}
LABELS = {
    "packer": {"query": "packer `--query`", "focus": "packer `--focus`", "none": "packer (no task)"},
    "packer-no-task": "packer, no task",
    "bm25": "BM25 (file text)",
    "bm25-path": "BM25 (path + file text)",
    "same-dir": "same directory",
    "path": "path order",
    "random": f"random ({RANDOM_SEEDS} seeds)",
    "oracle": "oracle (files to find first, smallest first)",
}
REPOS_FILE = Path(__file__).resolve().parent / "rank_repos.toml"


def row_label(method: str, mode: str) -> str:
    got = LABELS[method]
    return got[mode] if isinstance(got, dict) else got


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


def _bump(why: dict[str, int], reason: str) -> None:
    why[reason] = why.get(reason, 0) + 1


def _source_changes(body: str) -> tuple[list[str], bool]:
    """Source files with status M, and whether any source file changed otherwise."""
    modified: list[str] = []
    bad = False
    for line in body.splitlines():
        if not line.strip():
            continue
        status, *paths = line.split("\t")
        if any(source_file(p) for p in paths):
            if status == "M" and len(paths) == 1:
                modified.append(paths[0])
            else:
                bad = True
    return modified, bad


def eligible_commits(
    git_dir: Path, rev: str, max_files: int, *, min_files: int = 1, with_message: bool = True
) -> tuple[list[Commit], dict[str, int]]:
    """Every eligible commit of REV's first-parent history, newest first, and why others were not.

    Eligible: not a merge; every source file it touches (by `packer.languages`: a language
    with a grammar, tests included) has status M (no source file added, deleted, renamed,
    copied or retyped); min_files..max_files such files. With `with_message` (query mode)
    also a message of at least MIN_MESSAGE characters once trailers are removed, and not a
    merge subject ("Merge commit from fork" is how GitHub squashes a security fix: one
    parent, no description). Changes to non-source files (docs, config) are allowed and
    are not targets.
    """
    out = git(
        "log", "--first-parent", "--no-merges", "-M", "--name-status",
        "--format=%x01%H %P%x02%s", rev, git_dir=git_dir,
    )  # fmt: skip
    why: dict[str, int] = {}
    commits: list[Commit] = []
    for chunk in out.split("\x01")[1:]:
        head, _, body = chunk.partition("\n")
        shas, _, subject = head.partition("\x02")
        sha, *parents = shas.split()
        modified, bad = _source_changes(body)
        if not parents:
            _bump(why, "root commit")
        elif bad:
            _bump(why, "adds, deletes or renames a source file")
        elif not modified:
            _bump(why, "modifies no source file")
        elif len(modified) > max_files:
            _bump(why, f"modifies more than {max_files} source files")
        elif len(modified) < min_files:
            _bump(why, f"modifies fewer than {min_files} source files")
        else:
            other = sum(1 for line in body.splitlines() if line.strip()) - len(modified)
            commits.append(Commit(sha, parents[0], subject, subject, tuple(sorted(modified)), other))
    return (_with_messages(git_dir, commits, why) if with_message else commits), why


def _with_messages(git_dir: Path, commits: list[Commit], why: dict[str, int]) -> list[Commit]:
    """The commits whose message is a task description, each with its message."""
    kept: list[Commit] = []
    for c in commits:
        raw = git("show", "-s", "--format=%B", c.sha, git_dir=git_dir)
        message = TRAILER.sub("", raw).strip()
        if len(message) < MIN_MESSAGE:
            _bump(why, f"message under {MIN_MESSAGE} characters")
        elif MERGE_SUBJECT.match(message):  # squashed "Merge commit from fork" and the like
            _bump(why, "message is a merge subject")
        else:
            kept.append(dataclasses.replace(c, message=message))
    return kept


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


def copy_tree(tree: Any, infos: Any) -> Any:
    """A copy of the tree the fitter grows, sharing what it only reads: the files and the
    tree's functions (a bound method of the costs would drag in a lock, which cannot be copied)."""
    shared = [infos, *(v for v in vars(tree).values() if callable(v))]
    return copy.deepcopy(tree, {id(v): v for v in shared})


FIT_HOME = "packer.single"  # the module whose `fit` one pack calls


@contextlib.contextmanager
def spy_fit(calls: list[FitCall]) -> Iterator[None]:
    """Record the fitter's arguments while a pack runs (packer has no order injection).

    Nothing is changed: the real fitter runs with the real arguments. If FIT_HOME no
    longer calls `fit` through its module global, nothing is recorded and the commit
    fails with a message saying so (every row needs packer's own fitter).
    """
    home = sys.modules.get(FIT_HOME) or __import__(FIT_HOME, fromlist=["fit"])
    real = getattr(home, "fit", None)
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
                arguments["tree"] = copy_tree(arguments["tree"], arguments.get("infos"))
            calls.append(FitCall(real, arguments))
        except Exception:  # a spy must never break the pack it watches
            pass
        return real(*args, **kwargs)

    home.fit = spy
    try:
        yield
    finally:
        home.fit = real


def recorded_pack(wt: Path, options: Options) -> tuple[Any, FitCall]:
    """packer's pack of `wt` and the fitter call that made it."""
    calls: list[FitCall] = []
    with spy_fit(calls):
        result = packer.pack(wt, options, output=None)
    if not calls or not {"infos", "ranked", "tree"} <= calls[-1].arguments.keys():
        raise RuntimeError(f"{FIT_HOME}.fit was not recorded: the benchmark needs packer's fitter")
    return result, calls[-1]


@dataclass(frozen=True)
class _Ranked:
    index: int
    score: float
    reason: str


def refit(call: FitCall, order: Sequence[str], reason: str) -> dict[str, str]:
    """path -> mode when the files of `call` are fitted in `order` (paths).

    Everything but the order is packer's own call: the same files, costs, tree, fixed
    tokens, budget and passes (focus files first, then full up to the budget less the
    skeleton share, then skeletons), so rows differ only by their order. Paths packer
    did not rank (duplicates) are left out, as packer leaves them out.
    """
    args = dict(call.arguments)
    infos = args["infos"]
    index = {f.path: i for i, f in enumerate(infos)}
    allowed = {r.index for r in args["ranked"]}
    picked = [index[p] for p in order if index.get(p) in allowed]
    template = args["ranked"][0] if args["ranked"] else None
    n = max(len(picked), 1)
    if template is not None and dataclasses.is_dataclass(template):
        ranked = [
            dataclasses.replace(template, index=i, score=(n - k) / n, reason=reason)  # type: ignore[type-var]
            for k, i in enumerate(picked)
        ]
    else:
        ranked = [_Ranked(i, (n - k) / n, reason) for k, i in enumerate(picked)]
    args["ranked"] = ranked
    args["tree"] = copy_tree(call.arguments["tree"], infos)
    plan = call.fit(**args)
    return {infos[i].path: plan.modes[i] for i in plan.modes}


def packer_order(call: FitCall) -> list[str]:
    """The paths in the order packer's ranking gave the fitter."""
    infos = call.arguments["infos"]
    return [infos[r.index].path for r in call.arguments["ranked"]]


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


def stopwords() -> frozenset[str]:
    import bm25s

    return frozenset(bm25s.stopwords.STOPWORDS_EN)


def read_text(wt: Path, path: str) -> str:
    try:
        return (wt / path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def task_terms(wt: Path, query: str | None, focus: Sequence[str], *, with_path: bool) -> list[str]:
    """The BM25 query: the message's terms, or each distinct term of the focus files
    (their text, and their paths when `with_path`), in order of first appearance."""
    stop = stopwords()
    if query is not None:
        return terms(query, stop)
    out: list[str] = []
    for p in focus:
        out += (terms(p, stop) if with_path else []) + terms(read_text(wt, p), stop)
    return list(dict.fromkeys(out))


def bm25_order(wt: Path, paths: Sequence[str], query: Sequence[str], *, with_path: bool) -> list[str]:
    """`paths`, best BM25 score for the `query` terms first (ties by path).

    A document is the file's text (decoded as UTF-8, errors replaced), with its path's
    terms in front when `with_path`. bm25s defaults (Lucene variant, k1=1.5, b=0.75).
    """
    import bm25s

    stop = stopwords()
    docs = [(terms(p, stop) if with_path else []) + terms(read_text(wt, p), stop) for p in paths]
    retriever = bm25s.BM25()
    retriever.index(docs, show_progress=False)
    vocab = retriever.vocab_dict
    q = [t for t in query if t in vocab]
    if not q:
        return path_order(paths)
    scores = retriever.get_scores(q)
    return [paths[i] for i in sorted(range(len(paths)), key=lambda i: (-float(scores[i]), paths[i]))]


def file_size(wt: Path, path: str) -> int:
    try:
        return (wt / path).stat().st_size
    except OSError:
        return 0


def same_dir_order(paths: Sequence[str], focus: Sequence[str]) -> list[str]:
    """Files in a focus file's directory first, then the rest; each group in path order."""
    dirs = {p.rpartition("/")[0] for p in focus}
    return sorted(path_order(paths), key=lambda p: p.rpartition("/")[0] not in dirs)


def path_order(paths: Sequence[str]) -> list[str]:
    return sorted(paths, key=lambda p: p.encode("utf-8", "surrogateescape"))


def random_order(paths: Sequence[str], seed: str) -> list[str]:
    order = list(paths)
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


@dataclass(frozen=True)
class Case:
    """One commit's task and the files to find."""

    query: str | None
    focus: tuple[str, ...]
    targets: tuple[str, ...]


def make_case(c: Commit, mode: str, packable: set[str], seed: int) -> Case | None:
    """None when the commit has too few modified files packer packs at the parent."""
    files = [p for p in c.modified if p in packable]
    if mode == "focus":
        if len(files) < 2:
            return None
        focus = sorted(random.Random(f"{seed}:{c.sha}").sample(files, len(files) // 2))
        return Case(None, tuple(focus), tuple(p for p in files if p not in focus))
    if not files:
        return None
    return Case(c.message if mode == "query" else None, (), tuple(files))


@dataclass
class CommitResult:
    sha: str
    parent: str
    subject: str
    targets: list[str]  # files to find: modified source files packer packs at the parent
    unpackable: list[str]  # modified source files packer skips at the parent
    focus: list[str] = field(default_factory=list)  # focus mode: the given half
    repo_tokens: int = 0
    budgets: dict[str, int] = field(default_factory=dict)
    # method -> budget label -> recall (fraction of targets packed in full)
    recall: dict[str, dict[str, float]] = field(default_factory=dict)
    # method -> budget label -> fraction of targets packed as skeleton
    skeleton: dict[str, dict[str, float]] = field(default_factory=dict)
    mrr: dict[str, float] = field(default_factory=dict)  # method -> 1 / rank of the first target
    seconds: dict[str, float] = field(default_factory=dict)  # packer calls with the task, per budget
    # per budget: the pack's tokens / the budget, and whether a file left out of full text
    # would have fitted, tree growth included (`could_fit`: a fill below 99.5% then is the
    # fitter's failure)
    fill: dict[str, float] = field(default_factory=dict)
    left_over: dict[str, bool] = field(default_factory=dict)
    self_check: str = ""  # refit of packer's own order reproduces its pack?
    error: str = ""


def modes_of(result: Any) -> dict[str, str]:
    return {d.path: d.mode for d in result.files if d.mode != "listed"}


def put(res: CommitResult, method: str, label: str, fits: Sequence[dict[str, str]]) -> None:
    """Recall and skeleton share of one method at one budget, averaged over `fits`."""
    n = len(res.targets)
    res.recall.setdefault(method, {})[label] = statistics.fmean(
        sum(m.get(t) == "full" for t in res.targets) / n for m in fits
    )
    res.skeleton.setdefault(method, {})[label] = statistics.fmean(
        sum(m.get(t) == "skeleton" for t in res.targets) / n for m in fits
    )


def could_fit(result: Any, call: FitCall, budget: int) -> bool:
    """Whether a file left out of full text (duplicates aside) had a next rung whose block,
    separator and tree growth fit in what the pack left of the budget: then a fill below
    99.5% is the fitter's failure, else nothing more could go in.

    The recorded fit is replayed on a copy of its tree, which leaves the tree as the pack
    has it, so each growth is exact."""
    room = budget - result.total_tokens
    args = dict(call.arguments)
    infos = args["infos"]
    tree = args["tree"] = copy_tree(call.arguments["tree"], infos)
    plan = call.fit(**args)
    cost = args.get("cost") or (lambda i, mode: infos[i].cost(mode))
    separator = args.get("file_separator_tokens", 0)
    copies = {d.path for d in result.duplicates}
    for i, info in enumerate(infos):
        old = plan.modes.get(i)
        if old == "full" or info.path in copies:
            continue
        freed = (cost(i, old) or 0) if old else 0
        for mode in ["full"] if old == "skeleton" else ["skeleton", "full"]:
            block = cost(i, mode)
            if block is None or block - freed > room:
                continue
            if block - freed + (0 if old else separator) + tree.delta(i, mode) <= room:
                return True
    return False


def reciprocal_rank(order: Sequence[str], case: Case) -> float:
    """1 / the rank of the first file to find in `order`, focus files not counted; 0 if none."""
    rank = 0
    for p in order:
        if p in case.focus:
            continue
        rank += 1
        if p in case.targets:
            return 1 / rank
    return 0.0


def baseline_orders(
    wt: Path, case: Case, paths: Sequence[str], mode: str, seed: int, sha: str
) -> dict[str, list[list[str]]]:
    """method -> its orders of the packable files (one, or one per random seed), focus files left out."""
    cand = [p for p in paths if p not in case.focus]
    # The ceiling at each budget: what the fitter holds when the files to find lead.
    found = sorted(case.targets, key=lambda p: (file_size(wt, p), p))
    out = {
        "oracle": [found + [p for p in path_order(cand) if p not in case.targets]],
        "path": [path_order(cand)],
        "random": [random_order(cand, f"{seed + k}:{sha}") for k in range(RANDOM_SEEDS)],
    }
    if mode != "none":
        for method, with_path in (("bm25", False), ("bm25-path", True)):
            query = task_terms(wt, case.query, case.focus, with_path=with_path)
            out[method] = [bm25_order(wt, cand, query, with_path=with_path)]
    if mode == "focus":
        out["same-dir"] = [same_dir_order(cand, case.focus)]
    return out


def task_options(case: Case, budget: int) -> Options:
    query = case.query
    if query is not None and query.startswith("@"):
        query = "@" + query  # "@x" would name a query file; "@@" escapes it
    return Options(budget=budget, query=query, focus=case.focus)


def one_budget(
    wt: Path, res: CommitResult, case: Case, mode: str, label: str, orders: dict[str, list[list[str]]]
) -> str:
    """Every row at one budget; returns the self-check ("ok" or what differed)."""
    budget = res.budgets[label]
    t0 = time.perf_counter()
    got, call = recorded_pack(wt, task_options(case, budget))
    res.seconds[label] = round(time.perf_counter() - t0, 3)
    res.fill[label] = round(got.total_tokens / budget, 5)
    res.left_over[label] = could_fit(got, call, budget)
    put(res, "packer", label, [modes_of(got)])
    res.mrr.setdefault("packer", reciprocal_rank(packer_order(call), case))
    if mode != "none":
        base, base_call = recorded_pack(wt, Options(budget=budget))
        put(res, "packer-no-task", label, [modes_of(base)])
        res.mrr.setdefault("packer-no-task", reciprocal_rank(packer_order(base_call), case))
    for method, several in orders.items():
        # Focus files lead every order: packer's first pass places them whatever the order.
        put(res, method, label, [refit(call, [*case.focus, *o], method) for o in several])
    again = refit(call, packer_order(call), "self-check")
    return "ok" if again == modes_of(got) else f"mismatch at {label}"


def evaluate(wt: Path, c: Commit, budgets: Sequence[Budget], seed: int, mode: str) -> CommitResult | None:
    """None when the commit has too few files packer packs at the parent (not eligible)."""
    checkout(wt, c.parent)
    full = packer.pack(wt, Options(budget="none"), output=None)
    packable = {d.path for d in full.files}
    case = make_case(c, mode, packable, seed)
    if case is None:
        return None
    unpackable = [p for p in c.modified if p not in packable]
    res = CommitResult(c.sha, c.parent, c.subject, list(case.targets), unpackable, list(case.focus))
    res.repo_tokens = full.total_tokens
    orders = baseline_orders(wt, case, sorted(packable), mode, seed, c.sha)
    for method, several in orders.items():
        res.mrr[method] = statistics.fmean(reciprocal_rank(o, case) for o in several)
    checks = []
    for b in budgets:
        res.budgets[b.label] = b.resolve(res.repo_tokens)
        checks.append(one_budget(wt, res, case, mode, b.label, orders))
    bad = [x for x in checks if x != "ok"]
    res.self_check = "; ".join(bad) if bad else "ok"
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


@dataclass
class RepoRun:
    """One repository's evaluated commits."""

    name: str
    head: str
    results: list[CommitResult]
    eligible: int
    why: dict[str, int]
    failed: int

    @property
    def ok(self) -> list[CommitResult]:
        return [r for r in self.results if not r.error]


def value(r: CommitResult, method: str, metric: str) -> float:
    return r.mrr[method] if metric == "MRR" else r.recall[method][metric]


def bootstrap(groups: Sequence[Sequence[float]], seed: int) -> tuple[float, float, float]:
    """The macro mean (mean over groups of each group's mean) and its 95% interval.

    Percentile bootstrap: BOOTSTRAP resamples, each drawing every group's values (one
    repository's commits) with replacement; the repositories themselves are fixed. The
    same seed gives the same draws for every row of a table (paired resamples).
    """
    point = statistics.fmean(statistics.fmean(g) for g in groups)
    rng = random.Random(seed)
    stats = sorted(
        statistics.fmean(statistics.fmean(rng.choices(g, k=len(g))) for g in groups) for _ in range(BOOTSTRAP)
    )
    return point, stats[int(0.025 * BOOTSTRAP)], stats[int(0.975 * BOOTSTRAP) - 1]


def table(runs: Sequence[RepoRun], budgets: Sequence[Budget], mode: str, seed: int) -> list[str]:
    """Macro R@budget and MRR with 95% intervals, and the skeleton shares, per method."""
    metrics = [*(b.label for b in budgets), "MRR"]
    lines = [
        "| method | "
        + " | ".join(m if m == "MRR" else f"R@{m}" for m in metrics)
        + " | as skeleton @"
        + " / ".join(b.label for b in budgets)
        + " |",
        "|---|" + "---:|" * (len(metrics) + 1),
    ]
    for m in METHODS[mode]:
        if not all(m in r.recall for run in runs for r in run.ok):
            continue  # a row added since these runs were saved
        cells = []
        for metric in metrics:
            point, lo, hi = bootstrap([[value(r, m, metric) for r in run.ok] for run in runs], seed)
            cells.append(f"{point:.3f} [{lo:.2f}, {hi:.2f}]")
        skel = " / ".join(
            f"{statistics.fmean(statistics.fmean(r.skeleton[m][b] for r in run.ok) for run in runs):.2f}"
            for b in (b.label for b in budgets)
        )
        lines.append(f"| {row_label(m, mode)} | " + " | ".join(cells) + f" | {skel} |")
    return lines


def render(run: RepoRun, budgets: Sequence[Budget], mode: str, seed: int, version: str) -> str:
    ok = run.ok
    lines = [f"### {run.name} @ {run.head[:8]} ({mode} mode)", "", f"packer {version}.", ""]
    if not ok:
        return "\n".join([*lines, "No commit evaluated.", ""])
    tok = [r.repo_tokens for r in ok]
    per_call = [s for r in ok for s in r.seconds.values()]
    lines += [
        f"{len(ok)} commits evaluated ({run.eligible} eligible in the history, {run.failed} failed); "
        f"repository tokens {min(tok):,}–{max(tok):,} (mean {statistics.fmean(tok):,.0f}); "
        + ", ".join(
            f"{b.label} = {statistics.fmean(r.budgets[b.label] for r in ok):,.0f} tokens"
            + (" (whole repository)" if all(r.budgets[b.label] >= r.repo_tokens for r in ok) else "")
            for b in budgets
        )
        + "; mean time per packer call: "
        + (f"{statistics.fmean(per_call):.2f} s" if per_call else "n/a")
        + f"; files to find per commit: {statistics.fmean(len(r.targets) for r in ok):.2f}"
        + (
            f"; focus files per commit: {statistics.fmean(len(r.focus) for r in ok):.2f}"
            if mode == "focus"
            else ""
        )
        + ".",
        "",
        *table([run], budgets, mode, seed),
    ]
    checks = [r.self_check for r in ok if r.self_check != "ok"]
    lines += [
        "",
        "Self-check (packer's order refitted gives packer's pack): "
        + ("ok on every commit" if not checks else f"failed on {len(checks)} commits")
        + ". Not eligible: "
        + ", ".join(f"{n:,} {k}" for k, n in sorted(run.why.items(), key=lambda kv: -kv[1]))
        + ".",
        "",
    ]
    return "\n".join(lines)


def render_macro(runs: Sequence[RepoRun], budgets: Sequence[Budget], mode: str, seed: int) -> str:
    runs = [r for r in runs if r.ok]
    if not runs:
        return "No repository has an evaluated commit.\n"
    lines = [
        f"### Macro average over {len(runs)} repositories ({mode} mode)",
        "",
        "Repositories (commits): " + ", ".join(f"{r.name} ({len(r.ok)})" for r in runs) + ".",
        f"Each cell: mean over repositories of the per-repository mean, [95% interval: {BOOTSTRAP} "
        "bootstrap resamples of the commits within each repository].",
        "",
        *table(runs, budgets, mode, seed),
        "",
        fill_line(runs, budgets),
        "",
    ]
    return "\n".join(lines)


def fill_line(runs: Sequence[RepoRun], budgets: Sequence[Budget]) -> str:
    """How much of the budget packer's own packs used where a file left out could have fitted."""
    parts = []
    for b in budgets:
        fills = [r.fill[b.label] for run in runs for r in run.ok if r.left_over.get(b.label)]
        if fills:
            good = sum(f >= 0.995 for f in fills)
            parts.append(f"{b.label}: {good}/{len(fills)} packs at >= 99.5%, lowest {min(fills):.2%}")
    if not parts:
        return "Fill: not recorded in these runs."
    return (
        "Fill of packer's packs (tokens / budget) where a file left out had a block that fitted the room: "
        + "; ".join(parts)
        + "."
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("repo", type=Path, nargs="*", help="git repositories: bare git dirs or work trees")
    ap.add_argument("--mode", choices=MODES, default="query", help="the task given to packer (default query)")
    ap.add_argument(
        "--set", dest="repo_set", choices=("tuning", "heldout", "all"), help="repositories of --repos"
    )
    ap.add_argument(
        "--repos", type=Path, default=REPOS_FILE, help="repository list (default rank_repos.toml)"
    )
    ap.add_argument(
        "--mirrors",
        type=Path,
        default=Path("/work/.mirror"),
        help="folder of OWNER+NAME git mirrors for --set",
    )
    ap.add_argument("--combine", type=Path, nargs="+", help="only print the tables of earlier --json files")
    ap.add_argument("--commits", type=int, default=30, help="commits per repository (default 30)")
    ap.add_argument(
        "--max-files", type=int, default=6, help="most modified source files a commit may have (default 6)"
    )
    ap.add_argument(
        "--budgets",
        default="5%,10%,200k",
        help="comma list: N%% of the repository's tokens, or a count like 200k",
    )
    ap.add_argument(
        "--seed", type=int, default=0, help="seed of the commit sample, focus halves, random rows"
    )
    ap.add_argument("--rev", default="HEAD", help="history to take commits from (default HEAD)")
    ap.add_argument(
        "--scratch", type=Path, default=None, help="folder for the temporary clone (default: temp)"
    )
    ap.add_argument("--name", default=None, help="repository name in the table (one repository)")
    ap.add_argument("--json", type=Path, default=None, help="write per-commit details here")
    args = ap.parse_args(argv)
    if sum(bool(x) for x in (args.repo, args.repo_set, args.combine)) != 1:
        ap.error("give repositories, or --set, or --combine")
    if args.commits < 1 or args.max_files < 1:
        ap.error("--commits and --max-files must be at least 1")
    try:
        args.budgets = parse_budgets(args.budgets)
    except (ValueError, packer.PackerError) as e:
        ap.error(f"--budgets: {e}")
    return args


def repo_list(path: Path, which: str, mirrors: Path) -> list[tuple[str, Path]]:
    """(OWNER/NAME, git dir) of the repositories of set `which` ("all": both sets).

    A repository is looked up as MIRRORS/OWNER+NAME/repo, else MIRRORS/OWNER+NAME (what
    the fetch tool or `git clone --mirror` made).
    """
    import tomllib

    out = []
    for entry in tomllib.loads(path.read_text(encoding="utf-8"))["repo"]:
        if which in ("all", entry["set"]):
            folder = mirrors / entry["name"].replace("/", "+", 1)
            out.append((entry["name"], folder / "repo" if (folder / "repo").exists() else folder))
    return out


NOT_PACKABLE = "too few modified files packable at the parent"


def evaluate_logged(wt: Path, c: Commit, args: argparse.Namespace, run: RepoRun) -> None:
    """Evaluate one commit into `run`; a failure is recorded, never raised."""
    t0 = time.perf_counter()
    try:
        res = evaluate(wt, c, args.budgets, args.seed, args.mode)
    except Exception as e:  # one bad commit never stops the run
        run.failed += 1
        res = CommitResult(
            c.sha, c.parent, c.subject, list(c.modified), [], error=f"{type(e).__name__}: {e}"[:500]
        )
        log(f"{c.sha[:8]} failed: {res.error}")
    if res is None:
        _bump(run.why, NOT_PACKABLE)
        return
    run.results.append(res)
    if not res.error:
        summary = " ".join(
            f"{m}={'/'.join(f'{v:.2f}' for v in res.recall[m].values())}" for m in METHODS[args.mode]
        )
        took = time.perf_counter() - t0
        log(f"[{len(run.ok)}] {c.sha[:8]} {len(res.targets)} file(s) {took:.1f}s {summary}")


def run_repo(source: Path, name: str | None, args: argparse.Namespace) -> tuple[RepoRun | None, bool]:
    """One repository's run, and whether it was interrupted (partial results kept)."""
    try:
        git_dir = Path(git("rev-parse", "--absolute-git-dir", cwd=source).strip())
    except (RuntimeError, OSError) as e:
        log(f"{source} is not a git repository ({e}); skipped")
        return None, False
    head = git("rev-parse", args.rev, git_dir=git_dir).strip()
    commits, why = eligible_commits(
        git_dir,
        head,
        args.max_files,
        min_files=2 if args.mode == "focus" else 1,
        with_message=args.mode == "query",
    )
    random.Random(args.seed).shuffle(commits)  # a random sample, not the newest
    run = RepoRun(name or repo_name(source), head, [], len(commits), why, 0)
    log(f"{run.name} @ {head[:12]}: {len(commits)} eligible commits; evaluating up to {args.commits}")
    try:
        with scratch_clone(git_dir, args.scratch) as wt:
            for c in commits:
                if len(run.ok) >= args.commits:
                    break
                evaluate_logged(wt, c, args, run)
    except KeyboardInterrupt:
        log("interrupted: scratch clone removed; partial results follow")
        return run, True
    finally:
        run.eligible = len(commits) - why.get(NOT_PACKABLE, 0)
    return run, False


def save(
    path: Path, args: argparse.Namespace, runs: Sequence[RepoRun], version: str, argv: Sequence[str]
) -> None:
    doc = {
        "mode": args.mode,
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join(["python", "benchmarks/bench_rank.py", *argv]),
        "packer": version,
        "seed": args.seed,
        "budgets": [dataclasses.asdict(b) for b in args.budgets],
        "repositories": [dataclasses.asdict(r) for r in runs],
    }
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def load(paths: Sequence[Path]) -> tuple[str, list[Budget], list[RepoRun]]:
    """The mode, budgets and repository runs of earlier --json files (same mode and budgets)."""
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    if len({(d["mode"], json.dumps(d["budgets"])) for d in docs}) != 1:
        raise SystemExit("error: --combine needs files of one mode and one set of budgets")
    runs = []
    for d in docs:
        for r in d["repositories"]:
            results = [CommitResult(**c) for c in r.pop("results")]
            runs.append(RepoRun(results=results, **r))
    return docs[0]["mode"], [Budget(**b) for b in docs[0]["budgets"]], runs


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.combine:
        mode, budgets, runs = load(args.combine)
        print(render_macro(runs, budgets, mode, args.seed))
        return 0
    version = packer_source()  # now: the code imported is the code at start, not at the end
    if args.repo:
        name = args.name if len(args.repo) == 1 else None
        todo: list[tuple[str | None, Path]] = [(name, p.resolve()) for p in args.repo]
    else:
        todo = list(repo_list(args.repos, args.repo_set, args.mirrors))

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the same clean-up as Ctrl-C

    signal.signal(signal.SIGTERM, on_term)
    started = time.perf_counter()
    runs: list[RepoRun] = []
    interrupted = False
    for name, source in todo:
        if not source.exists():
            log(f"{name}: no repository at {source} (fetch it first); skipped")
            continue
        run, interrupted = run_repo(source, name, args)
        if run is not None:
            runs.append(run)
            print(render(run, args.budgets, args.mode, args.seed, version), flush=True)
        if interrupted:
            break
    if len(runs) > 1:
        print(render_macro(runs, args.budgets, args.mode, args.seed))
    log(f"done in {time.perf_counter() - started:.0f}s")
    if args.json:
        save(args.json, args, runs, version, argv)
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
