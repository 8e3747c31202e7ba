#!/usr/bin/env python3
"""Time `packer pack` against Repomix on the same corpus, side by side.

Plain Python 3.11 standard library. Builds nothing: the corpora come from
`shared/corpora/make_corpora.sh`, Repomix is installed with npm into a scratch
folder (pinned version), packer is whatever `--packer` names.

For each corpus and each row (full / 200k / api / api-query) it runs every
tool variant once untimed to warm the OS page cache, then the timed runs,
alternating variants. packer runs with a cold cache (a fresh, empty
PACKER_CACHE_DIR per run) and/or a warm one (one cache dir per corpus, filled
by an untimed run of each row); Repomix with its security check off and/or on.
Per run it records wall time, CPU time, peak RSS (largest process, and the
sum over the process tree), peak PSS of the tree, files packed, tokens, output
bytes and packer's cache size; the table gives the median over `--repeat`
runs, followed by Repomix/packer ratios computed from those medians.

See benchmarks/README.md for what each column means and for the exact commands.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
README = HERE / "README.md"
DEFAULT_SCRATCH = HERE / ".scratch"
MARK_START = "<!-- bench_pack:start -->"
MARK_END = "<!-- bench_pack:end -->"

REPOMIX_VERSION = "1.18.1"
ENCODING = "o200k_base"
NAMED_CORPORA = {"medium": "medium", "linux": "linux", "large": "linux"}

# o200k_base.tiktoken (uncompressed) as tiktoken pins it; checked before counting.
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
VOCAB_GZ = REPO / "packer" / "vocab" / "o200k_base.tiktoken.gz"


@dataclass(frozen=True)
class Row:
    name: str
    packer_args: tuple[str, ...]
    budget: int | None  # tokens; None = unbudgeted
    label: str


ROWS = {
    "full": Row("full", ("--budget", "none"), None, "full pack, no budget"),
    "200k": Row("200k", ("--budget", "200k"), 200_000, "budget 200k"),
    "api": Row("api", ("--target", "api"), 968_000, "target api (968,000)"),
    "api-query": Row("api-query", ("--target", "api"), 968_000, "target api (968,000) + query"),
}
# The api-query row's task when --query is not given (bench_scale.py uses it too).
DEFAULT_QUERY = (
    "ext4 loses data after a crash while the journal commits a resize; "
    "find where jbd2 and ext4 resize handle the journal transaction"
)
PACKER_CACHE_MODES = ("cold", "warm")
REPOMIX_SECURITY_MODES = ("off", "on")

# Everything Repomix would otherwise do beyond "read, count, write XML" is off here;
# the same settings are also given as CLI flags so the command line documents itself.
REPOMIX_CONFIG = {
    "output": {
        "style": "xml",
        "fileSummary": False,
        "directoryStructure": True,
        "topFilesLength": 0,
        "git": {"sortByChanges": False, "includeDiffs": False, "includeLogs": False},
    },
    "ignore": {"useGitignore": True, "useDotIgnore": True, "useDefaultPatterns": True},
    "security": {"enableSecurityCheck": False},
    "tokenCount": {"encoding": ENCODING},
}
# "--no-security-check" is dropped for the security-check variant (its config turns it on).
REPOMIX_FLAGS = (
    "--style",
    "xml",
    "--token-count-encoding",
    ENCODING,
    "--no-security-check",
    "--no-file-summary",
    "--no-git-sort-by-changes",
)
REPOMIX_CONFIG_NAMES = {"off": "repomix.config.json", "on": "repomix.security.config.json"}

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --------------------------------------------------------------------------- records


@dataclass
class Measure:
    """One run of one tool."""

    tool: str
    corpus: str
    row: str
    variant: str = ""  # the table's tool column, e.g. "packer (cold cache)"
    mode: str = ""  # packer: cold | warm; repomix: off | on (security check)
    status: str = "ok"  # ok | over-budget | failed | timeout | not-run
    rc: int | None = None
    wall: float | None = None  # s, perf_counter around the child
    cpu: float | None = None  # s, user+sys of the whole tree (/usr/bin/time %U+%S)
    max_rss_kb: int | None = None  # /usr/bin/time %M: biggest single process
    tree_rss_kb: int | None = None  # sampled peak of the summed RSS of the process group
    tree_pss_kb: int | None = None  # sampled peak of the summed PSS (shared pages split)
    cache_bytes: int | None = None  # packer: `packer cache info` bytes after the run
    cache_entries: int | None = None
    files: int | None = None  # files whose content is in the output
    listed: int | None = None  # packer: files only named in the tree
    tokens: int | None = None  # the tool's own count of the output
    tiktoken_tokens: int | None = None  # our count of the output file(s), --verify-tokens
    out_bytes: int | None = None
    note: str = ""
    tail: str = ""  # stderr/stdout tail on failure
    warmup: bool = False


@dataclass
class Tool:
    name: str
    argv: list[str]  # command prefix
    version: str
    available: bool = True
    why_not: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Variant:
    """One way of running a tool: packer with a cold or warm cache, Repomix with or
    without its security check. Each is a row of the table."""

    tool: Tool
    mode: str  # packer: cold | warm; repomix: off | on
    label: str  # "packer (cold cache)", "repomix (security check)"
    slug: str  # for file names: packer-cold, repomix-sec-on
    config: Path | None = None  # repomix: the config for this mode
    cache_dir: Path | None = None  # packer warm: this corpus's cache dir


@dataclass
class Context:
    """What every run and the report share."""

    time_bin: str | None
    repomix_config: Path
    machine: dict[str, str]
    tools: dict[str, Tool]
    node: str
    date: str
    cmdline: str
    notes: list[str]
    commit: str = "unknown"
    code: str = ""  # code_digest() at the start
    commands: dict[str, str] = field(default_factory=dict)  # "variant:row" -> command line


# --------------------------------------------------------------------------- helpers


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run_text(argv: list[str], timeout: float = 60, env: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, str(e)
    return p.returncode, (p.stdout + p.stderr).strip()


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = ANSI.sub("", path.read_text(errors="replace"))
    except OSError:
        return ""
    # the spinner redraws one line many times: keep only lines with words in them
    kept = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def fmt_int(v: int | None) -> str:
    return "–" if v is None else f"{v:,}"


def fmt_s(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def fmt_mib(kb: int | None) -> str:
    return "–" if kb is None else f"{kb / 1024:,.0f}"


def fmt_size(nbytes: int | None) -> str:
    if nbytes is None:
        return "–"
    mib = nbytes / 1024**2
    return f"{mib:,.1f} MiB" if mib < 10 else f"{mib:,.0f} MiB"


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": str(nproc),
        "cpu": cpu,
        "ram": ram,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


# --------------------------------------------------------------------------- measuring


class TreeRssSampler(threading.Thread):
    """Peak of the summed RSS of every process in one session, polled from /proc.

    /usr/bin/time's %M is the max RSS of the single biggest process: right for a
    one-process tool (Repomix uses worker *threads*), an undercount for a tool that
    forks workers. This sums the session's processes every `interval` seconds
    (shared pages are counted once per process, so it can overcount forks), and
    also sums their PSS (`/proc/PID/smaps_rollup`: each shared page split between
    the processes that map it), which counts copy-on-write pages of forked workers once.
    """

    def __init__(self, sid: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.sid, self.interval = sid, interval
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self._stop_evt = threading.Event()
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024

    def sample(self) -> tuple[int, int]:
        """(summed RSS KiB, summed PSS KiB) of the session's processes now."""
        rss = pss = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if int(fields[3]) != self.sid:  # field 6 of stat: session id
                    continue
                rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_kb
                with contextlib.suppress(OSError, ValueError, IndexError):
                    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                        if line.startswith("Pss:"):
                            pss += int(line.split()[1])
                            break
            except (OSError, ValueError, IndexError):
                continue
        return rss, pss

    def run(self) -> None:
        while not self._stop_evt.is_set():
            rss, pss = self.sample()
            self.peak_kb = max(self.peak_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._stop_evt.wait(self.interval)

    def stop(self) -> int:
        self._stop_evt.set()
        self.join()
        return self.peak_kb


@dataclass
class Timed:
    """What `timed` measured of one child run."""

    rc: int | None  # None: killed after the timeout
    wall: float  # s
    time: dict[str, float]  # /usr/bin/time: e (wall s), M (max RSS KiB), U, S (CPU s)
    tree_rss_kb: int
    tree_pss_kb: int
    timed_out: bool

    @property
    def cpu(self) -> float | None:
        return self.time["U"] + self.time["S"] if self.time else None

    @property
    def max_rss_kb(self) -> int | None:
        return int(self.time["M"]) if self.time else None


def timed(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log_prefix: Path,
    timeout: float,
    time_bin: str | None,
    interval: float,
) -> Timed:
    """Run argv under /usr/bin/time in its own session; its stdout/stderr go to
    log_prefix.stdout / .stderr."""
    time_file = log_prefix.with_suffix(".time")
    full = [time_bin, "-f", "%e %M %U %S", "-o", str(time_file), *argv] if time_bin else argv
    with (
        open(log_prefix.with_suffix(".stdout"), "wb") as out,
        open(log_prefix.with_suffix(".stderr"), "wb") as err,
    ):
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        sampler = TreeRssSampler(proc.pid, interval)
        sampler.start()
        timed_out = False
        try:
            rc: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)  # only the session this call started
                try:
                    proc.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    continue
            rc = None
        wall = time.perf_counter() - t0
        sampler.stop()
    res: dict[str, float] = {}
    if time_bin:
        with contextlib.suppress(OSError):
            lines = [ln for ln in time_file.read_text().splitlines() if ln.strip()]
            # "Command exited with non-zero status N" may precede the numbers
            for ln in reversed(lines):
                parts = ln.split()
                if len(parts) == 4:
                    with contextlib.suppress(ValueError):
                        res = dict(zip("eMUS", map(float, parts), strict=True))
                        break
    return Timed(rc, wall, res, sampler.peak_kb, sampler.peak_pss_kb, timed_out)


def output_files(out: Path) -> list[Path]:
    """The output file, or its numbered parts (Repomix --split-output: name.1.xml, ...)."""
    if out.exists():
        return [out]
    parts = sorted(out.parent.glob(f"{out.stem}.*{out.suffix}"))
    return [p for p in parts if re.fullmatch(rf"{re.escape(out.stem)}\.\d+", p.stem)]


# --------------------------------------------------------------------------- tools


def ensure_time_bin() -> tuple[str | None, str]:
    if os.access("/usr/bin/time", os.X_OK):
        return "/usr/bin/time", ""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("/usr/bin/time missing: installing Debian package 'time' with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        rc, _ = run_text(["apt-get", "install", "-y", "-q", "time"], timeout=600, env=env)
        if rc != 0:
            run_text(["apt-get", "update", "-q"], timeout=600, env=env)
            rc, _ = run_text(["apt-get", "install", "-y", "-q", "time"], timeout=600, env=env)
        if rc == 0 and os.access("/usr/bin/time", os.X_OK):
            return "/usr/bin/time", "installed Debian `time` with apt-get"
    return None, "/usr/bin/time unavailable: max-process RSS and CPU columns are empty"


def setup_repomix(scratch: Path, version: str, token_cache: bool) -> Tool:
    prefix = scratch / f"repomix-{version}"
    binp = prefix / "node_modules" / ".bin" / "repomix"
    node = shutil.which("node")
    if not node:
        return Tool("repomix", [], "", False, "node not found on PATH")
    if not (binp.exists() and run_text([str(binp), "--version"])[1].strip() == version):
        npm = shutil.which("npm")
        if not npm:
            return Tool("repomix", [], "", False, "npm not found on PATH")
        log(f"installing repomix@{version} into {prefix}")
        prefix.mkdir(parents=True, exist_ok=True)
        rc, out = run_text(
            [
                npm,
                "install",
                "--prefix",
                str(prefix),
                f"repomix@{version}",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ],
            timeout=900,
        )
        if rc != 0:
            return Tool("repomix", [], "", False, f"npm install failed: {out[-500:]}")
    rc, ver = run_text([str(binp), "--version"])
    if rc != 0:
        return Tool("repomix", [], "", False, f"repomix --version failed: {ver[-300:]}")
    env = {"NO_COLOR": "1", "FORCE_COLOR": "0"}
    if token_cache:
        # persistent cache of per-file counts, kept in scratch rather than /tmp/repomix
        env["REPOMIX_TOKEN_CACHE_PATH"] = str(scratch / "repomix-token-cache.json")
    else:
        env["REPOMIX_TOKEN_CACHE"] = "0"
    return Tool("repomix", [str(binp)], ver.strip(), env=env)


def setup_packer(cmd: str | None) -> Tool:
    if cmd:
        argv = shlex.split(cmd)
    else:
        found = shutil.which("packer") or (
            "/tmp/venv/bin/packer" if os.access("/tmp/venv/bin/packer", os.X_OK) else None
        )
        if not found:
            return Tool("packer", [], "", False, "no `packer` on PATH nor /tmp/venv/bin/packer")
        argv = [found]
    if not shutil.which(argv[0]) and not os.access(argv[0], os.X_OK):
        return Tool("packer", argv, "", False, f"{argv[0]!r} is not an executable")
    rc, out = run_text([*argv, "--version"])
    mt = re.search(r"\d+\.\d+\S*", out) if rc == 0 else None
    version = mt.group(0) if mt else "unknown (--version failed)"
    rc, out = run_text([*argv, "pack", "--help"])
    if rc != 0:
        return Tool("packer", argv, version, False, f"`packer pack --help` failed: {out[-400:]}")
    return Tool("packer", argv, version)


def node_version() -> str:
    return run_text(["node", "--version"])[1] if shutil.which("node") else "none"


def repo_commit() -> str:
    """`git rev-parse --short HEAD` of this checkout, flagged when packer's code differs from it."""
    rc, head = run_text(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    if rc != 0:
        return "unknown (not a git checkout)"
    rc, dirty = run_text(["git", "-C", str(REPO), "status", "--porcelain", "--", "packer", "pyproject.toml"])
    if rc == 0 and dirty:
        return f"{head} + uncommitted changes to packer/"
    return head


def code_digest() -> str:
    """A digest of this checkout's packer/ code and queries. packer's cache namespace hashes
    them too: an edit during a benchmark makes every later "warm" run a cold one."""
    import hashlib

    h = hashlib.sha256()
    root = REPO / "packer"
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".scm") and "__pycache__" not in path.parts:
            with contextlib.suppress(OSError):
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def packer_cache_info(tool: Tool, cache_dir: Path) -> dict[str, Any]:
    """`packer cache info --json --cache-dir DIR` ({} when it fails)."""
    rc, out = run_text([*tool.argv, "cache", "info", "--json", "--cache-dir", str(cache_dir)])
    if rc != 0:
        log(f"packer cache info failed: {out[-300:]}")
        return {}
    try:
        return json.loads(out[out.index("{") :])
    except ValueError:
        return {}


def new_cache_dir(scratch: Path, prefix: str) -> Path:
    """A fresh, empty temporary directory under scratch/cache for a packer cache."""
    parent = scratch / "cache"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def remove_dir(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


def make_variants(
    tools: dict[str, Tool], args: argparse.Namespace, configs: dict[str, Path]
) -> list[Variant]:
    variants: list[Variant] = []
    if "packer" in tools:
        for mode in modes(args.packer_cache, PACKER_CACHE_MODES):
            variants.append(Variant(tools["packer"], mode, f"packer ({mode} cache)", f"packer-{mode}"))
    if "repomix" in tools:
        for mode in modes(args.repomix_security, REPOMIX_SECURITY_MODES):
            label = "repomix (security check)" if mode == "on" else "repomix (no security check)"
            variants.append(
                Variant(tools["repomix"], mode, label, f"repomix-sec-{mode}", config=configs[mode])
            )
    return variants


def modes(choice: str, all_modes: tuple[str, ...]) -> tuple[str, ...]:
    return all_modes if choice == "both" else (choice,)


# --------------------------------------------------------------------------- one run


def packer_query(row: Row, args: argparse.Namespace) -> str | None:
    """The --query packer gets in this row: api-query always, other budgeted rows with --query."""
    if row.name == "api-query":
        return args.query or DEFAULT_QUERY
    return args.query if row.budget else None


def packer_cmd(
    tool: Tool, corpus: Path, row: Row, out: Path, man: Path, extra: list[str], query: str | None = None
) -> list[str]:
    return [
        *tool.argv,
        "pack",
        str(corpus),
        *row.packer_args,
        *(["--query", query] if query else []),
        "--format",
        "xml",
        "-o",
        str(out),
        "--manifest",
        str(man),
        "--quiet",
        *extra,
    ]


def repomix_cmd(
    tool: Tool, corpus: Path, row: Row, out: Path, config: Path, extra: list[str], security: bool = False
) -> list[str]:
    budget = ["--token-budget", str(row.budget)] if row.budget else []
    flags = [f for f in REPOMIX_FLAGS if not (security and f == "--no-security-check")]
    return [*tool.argv, str(corpus), "-c", str(config), "-o", str(out), *flags, *budget, *extra]


def read_packer_manifest(man: Path, m: Measure) -> None:
    try:
        data = json.loads(man.read_text())
    except (OSError, ValueError) as e:
        m.note = f"manifest unreadable: {e}"
        return
    files = data.get("files", [])
    m.tokens = data.get("total_tokens")
    m.files = sum(1 for f in files if f.get("mode") in ("full", "skeleton"))
    m.listed = sum(1 for f in files if f.get("mode") == "listed")
    skel = sum(1 for f in files if f.get("mode") == "skeleton")
    m.note = f"{skel:,} skeleton, {len(data.get('skipped', [])):,} skipped"
    if secrets := data.get("secrets"):
        m.note += f", {len(secrets):,} secrets found"


def read_repomix_summary(stdout: Path, outs: list[Path], m: Measure) -> None:
    text = ANSI.sub("", stdout.read_text(errors="replace")) if stdout.exists() else ""
    if mt := re.search(r"Total Files:\s*([\d,]+)", text):
        m.files = int(mt.group(1).replace(",", ""))
    if mt := re.search(r"Total Tokens:\s*([\d,]+)", text):
        m.tokens = int(mt.group(1).replace(",", ""))
    if m.files is None and outs:  # fall back to counting the file blocks
        m.files = sum(sum(1 for ln in p.open("rb") if ln.startswith(b'<file path="')) for p in outs)
    if len(outs) > 1:
        m.note = f"{len(outs)} output parts"
    if mt := re.search(r"([\d,]+) suspicious file\(s\) detected and excluded", text):
        m.note = (m.note + "; " if m.note else "") + f"{mt.group(1)} suspicious files excluded"


def run_one(
    v: Variant,
    corpus_name: str,
    corpus: Path,
    row: Row,
    args: argparse.Namespace,
    ctx: Context,
    *,
    warmup: bool,
    verify: bool = False,
) -> Measure:
    tool = v.tool
    scratch: Path = args.scratch
    outdir = scratch / "out" / corpus_name
    logdir = scratch / "logs" / corpus_name
    outdir.mkdir(parents=True, exist_ok=True)
    logdir.mkdir(parents=True, exist_ok=True)
    out = outdir / f"{v.slug}-{row.name}.xml"
    man = outdir / f"{v.slug}-{row.name}.manifest.json"
    for p in [*output_files(out), man]:
        p.unlink(missing_ok=True)
    env = {**os.environ, **tool.env}
    shown_env = ""
    cache_dir: Path | None = None
    info: dict[str, Any] = {}
    query = packer_query(row, args)
    if tool.name == "packer":
        argv = packer_cmd(tool, corpus, row, out, man, shlex.split(args.packer_args), query)
        if v.mode == "cold":
            cache_dir = new_cache_dir(scratch, f"{corpus_name}-cold-")
            shown_env = "PACKER_CACHE_DIR=<fresh empty temp dir> "
        else:
            cache_dir = v.cache_dir
            shown_env = "PACKER_CACHE_DIR=<this corpus's warm cache dir> "
        if cache_dir is not None:
            env["PACKER_CACHE_DIR"] = str(cache_dir)
    else:
        extra = shlex.split(args.repomix_args)
        assert v.config is not None
        argv = repomix_cmd(tool, corpus, row, out, v.config, extra, security=v.mode == "on")
    ctx.commands[f"{v.label}:{row.name}"] = shown_env + shlex.join(argv)
    tag = f"{v.slug}-{row.name}{'-warmup' if warmup else ''}"
    log(f"{corpus_name}: {tag} ...")
    try:
        t = timed(
            argv,
            cwd=scratch,
            env=env,
            log_prefix=logdir / tag,
            timeout=args.timeout,
            time_bin=ctx.time_bin,
            interval=args.sample_interval,
        )
        if cache_dir is not None:
            info = packer_cache_info(tool, cache_dir)
    finally:
        if v.mode == "cold" and tool.name == "packer":
            remove_dir(cache_dir)
    m = Measure(tool.name, corpus_name, row.name, v.label, v.mode, rc=t.rc, wall=t.wall, warmup=warmup)
    m.tree_rss_kb = t.tree_rss_kb or None
    m.tree_pss_kb = t.tree_pss_kb or None
    m.cpu, m.max_rss_kb = t.cpu, t.max_rss_kb
    if cache_dir is not None and info:
        m.cache_bytes, m.cache_entries = info.get("bytes"), info.get("entries")
    outs = output_files(out)
    m.out_bytes = sum(p.stat().st_size for p in outs) if outs else None
    stdout, stderr = (logdir / tag).with_suffix(".stdout"), (logdir / tag).with_suffix(".stderr")
    if tool.name == "packer" and man.exists():
        read_packer_manifest(man, m)
    elif tool.name == "repomix":
        read_repomix_summary(stdout, outs, m)
    both = tail(stdout, 400) + "\n" + tail(stderr, 400)
    rc = t.rc
    if t.timed_out:
        m.status, m.note = "timeout", f"killed after {args.timeout:.0f} s"
    elif rc != 0:
        if tool.name == "repomix" and row.budget and "exceeds the token budget" in both:
            m.status = "over-budget"
            m.note = f"--token-budget {row.budget:,} only sets the exit code ({rc}); output is the full pack"
        else:
            m.status = "failed"
            m.tail = tail(stderr) or tail(stdout)
            if "exceeds JavaScript string limit" in both:
                m.note = "output exceeds the JavaScript string limit (~512 Mi chars)"
            elif tool.name == "repomix" and "Invalid string length" in both:
                m.note = "Invalid string length (JavaScript string limit)"
            elif "heap out of memory" in both:
                m.note = "JavaScript heap out of memory"
    if m.status in ("failed", "timeout"):  # whatever it left behind is not a result
        m.files = m.listed = m.tokens = m.out_bytes = m.cache_bytes = m.cache_entries = None
    if tool.name == "repomix" and row.budget and m.status == "ok" and m.tokens:
        m.note = f"fits: {m.tokens:,} <= {row.budget:,} (Repomix never trims)"
    if tool.name == "repomix" and query:
        m.note = (m.note + "; " if m.note else "") + "no query in Repomix"
    if tool.name == "packer" and ctx.code and code_digest() != ctx.code:
        m.note = (m.note + "; " if m.note else "") + "packer/ was edited during the benchmark"
    if verify and outs and m.status in ("ok", "over-budget"):
        m.tiktoken_tokens = count_tokens_external(outs, args)
    if not args.keep_outputs and not warmup:
        for p in outs:
            p.unlink(missing_ok=True)
    cache = f" cache={fmt_size(m.cache_bytes)}" if m.cache_bytes is not None else ""
    log(
        f"{corpus_name}: {tag}: {m.status} wall={fmt_s(m.wall)}s rss={fmt_mib(m.max_rss_kb)}MiB "
        f"tree={fmt_mib(m.tree_rss_kb)}MiB pss={fmt_mib(m.tree_pss_kb)}MiB "
        f"files={fmt_int(m.files)} tokens={fmt_int(m.tokens)} bytes={fmt_int(m.out_bytes)}{cache}"
    )
    return m


# --------------------------------------------------------------------------- token check


def count_tokens_external(paths: list[Path], args: argparse.Namespace) -> int | None:
    """Count o200k tokens of the files with an interpreter that has tiktoken."""
    py = args.tiktoken_python
    rc, out = run_text(
        [py, str(Path(__file__).resolve()), "--count-tokens", *map(str, paths)], timeout=args.timeout
    )
    if rc != 0:
        log(f"token count failed ({py}): {out[-400:]}")
        return None
    try:
        return int(out.splitlines()[-1])
    except (ValueError, IndexError):
        return None


def find_tiktoken_python() -> str | None:
    for py in (sys.executable, "/tmp/venv/bin/python", shutil.which("python3")):
        if py and run_text([py, "-c", "import tiktoken"])[0] == 0:
            return py
    return None


def load_o200k() -> Any:
    """o200k_base from packer's bundled vocabulary (no network), else tiktoken's cache."""
    import base64
    import gzip
    import hashlib
    import importlib

    tiktoken: Any = importlib.import_module("tiktoken")  # run by --tiktoken-python only
    if not VOCAB_GZ.exists():
        return tiktoken.get_encoding(ENCODING)
    raw = gzip.decompress(VOCAB_GZ.read_bytes())
    if hashlib.sha256(raw).hexdigest() != O200K_SHA256:
        raise SystemExit(f"{VOCAB_GZ} does not match tiktoken's o200k_base hash")
    ranks = {base64.b64decode(t): int(r) for t, r in (ln.split() for ln in raw.splitlines() if ln)}
    openai_public: Any = importlib.import_module("tiktoken_ext.openai_public")
    openai_public.load_tiktoken_bpe = lambda *a, **k: ranks  # its only download
    return tiktoken.Encoding(**openai_public.o200k_base())


def count_tokens_main(paths: list[str]) -> int:
    """Exact count of a large text: cut only between a newline and an ASCII letter.

    No o200k pre-token spans such a point (letters never take a leading newline; runs
    of whitespace/newlines and punctuation+newlines end before a letter), so the sum
    over chunks equals the count of the whole text.
    """
    enc = load_o200k()
    cut = re.compile(r"\n(?=[A-Za-z])")
    total = 0
    for p in paths:
        text = Path(p).read_bytes().decode("utf-8", errors="replace")
        chunks, pos, step = [], 0, 1 << 20
        while pos < len(text):
            mt = cut.search(text, pos + step)
            end = mt.start() + 1 if mt else len(text)
            chunks.append(text[pos:end])
            pos = end
        del text
        threads = os.cpu_count() or 1
        for i in range(0, len(chunks), 8 * threads):  # token lists cost ~36 B/token: keep few
            batch = enc.encode_ordinary_batch(chunks[i : i + 8 * threads], num_threads=threads)
            total += sum(map(len, batch))
    print(total)
    return 0


# --------------------------------------------------------------------------- corpus guard


def corpus_state(corpus: Path) -> set[str] | None:
    if not (corpus / ".git").exists():
        return None
    rc, out = run_text(["git", "-C", str(corpus), "status", "--porcelain", "--ignored"], timeout=300)
    return set(out.splitlines()) if rc == 0 else None


# --------------------------------------------------------------------------- reporting


def median(vals: list[float | int | None]) -> float | None:
    xs = [v for v in vals if v is not None]
    return statistics.median(xs) if xs else None


def aggregate(runs: list[Measure]) -> Measure:
    first = runs[0]
    agg = Measure(first.tool, first.corpus, first.row, first.variant, first.mode)
    order = ["ok", "over-budget", "failed", "timeout", "not-run"]
    agg.status = max((r.status for r in runs), key=order.index)
    for f in ("wall", "cpu"):
        setattr(agg, f, median([getattr(r, f) for r in runs]))
    ints = ("max_rss_kb", "tree_rss_kb", "tree_pss_kb", "files", "listed", "tokens", "tiktoken_tokens")
    for f in (*ints, "out_bytes", "cache_bytes", "cache_entries"):
        v = median([getattr(r, f) for r in runs])
        setattr(agg, f, None if v is None else int(v))
    agg.rc = runs[-1].rc
    agg.note = "; ".join(dict.fromkeys(r.note for r in runs if r.note))
    agg.tail = next((r.tail for r in runs if r.tail), "")
    agg.warmup = all(r.warmup for r in runs)
    return agg


def render_table(results: list[Measure], repeat: int) -> str:
    head = (
        f"| corpus | run | tool | status | wall s (median of {repeat}) | CPU s | peak RSS MiB "
        "(max process) | peak RSS MiB (tree sum) | peak PSS MiB (tree sum) | files packed "
        "| tokens (tool) | tokens (tiktoken) | output bytes | notes |"
    )
    lines = [head, "|" + "---|" * 14]
    for m in results:
        files = fmt_int(m.files)
        if m.listed:
            files += f" (+{m.listed:,} listed)"
        check = fmt_int(m.tiktoken_tokens)
        if m.tiktoken_tokens is not None and m.tokens is not None and m.tiktoken_tokens != m.tokens:
            check += f" (Δ {m.tiktoken_tokens - m.tokens:+,})"
        status = m.status + (" (warm-up run)" if m.warmup and m.status != "not-run" else "")
        notes = [m.note] if m.note else []
        if m.cache_bytes is not None:
            notes.append(f"cache {fmt_size(m.cache_bytes)}, {fmt_int(m.cache_entries)} entries")
        note = "; ".join(notes).replace("|", "\\|")
        lines.append(
            f"| {m.corpus} | {ROWS[m.row].label} | {m.variant or m.tool} | {status} | {fmt_s(m.wall)} "
            f"| {fmt_s(m.cpu)} | {fmt_mib(m.max_rss_kb)} | {fmt_mib(m.tree_rss_kb)} "
            f"| {fmt_mib(m.tree_pss_kb)} | {files} | {fmt_int(m.tokens)} | {check} "
            f"| {fmt_int(m.out_bytes)} | {note} |"
        )
    return "\n".join(lines)


def ratio(num: float | int | None, den: float | int | None, fmt: str = "{:.2f}") -> str:
    return "–" if num is None or not den else fmt.format(num / den)


def render_ratios(results: list[Measure]) -> str:
    """Repomix wall / packer wall and packer memory / Repomix memory, per corpus and row,
    for each packer cache mode against each Repomix security mode (medians of this run)."""
    head = (
        "| corpus | run | packer | Repomix | Repomix wall / packer wall | packer / Repomix peak RSS "
        "(tree sum) | packer / Repomix peak RSS (max process) | packer / Repomix peak PSS (tree sum) "
        "| files packed (packer / Repomix) |"
    )
    lines = [head, "|" + "---|" * 9]
    groups: dict[tuple[str, str], list[Measure]] = {}
    for m in results:
        groups.setdefault((m.corpus, m.row), []).append(m)
    for (corpus, row), ms in groups.items():
        ps = [m for m in ms if m.tool == "packer" and m.status == "ok"]
        rs = [m for m in ms if m.tool == "repomix" and m.status in ("ok", "over-budget")]
        for pm in ps:
            for rm in rs:
                lines.append(
                    f"| {corpus} | {ROWS[row].label} | {pm.variant} | {rm.variant} "
                    f"| {ratio(rm.wall, pm.wall, '{:.2f}×')} | {ratio(pm.tree_rss_kb, rm.tree_rss_kb)} "
                    f"| {ratio(pm.max_rss_kb, rm.max_rss_kb)} | {ratio(pm.tree_pss_kb, rm.tree_pss_kb)} "
                    f"| {fmt_int(pm.files)} / {fmt_int(rm.files)} |"
                )
    return "\n".join(lines) if len(lines) > 2 else ""


def render_report(results: list[Measure], ctx: Context, args: argparse.Namespace) -> str:
    mi = ctx.machine
    vers = ", ".join(f"{n} {t.version or 'n/a'}" for n, t in ctx.tools.items())
    method = [
        "No OS-page-cache warm-up runs (`--no-warmup`)."
        if args.no_warmup
        else "Each tool variant ran once untimed per corpus (first row) to warm the OS page cache "
        "(not dropped).",
        "Timed runs alternated variants.",
    ]
    if "repomix" in ctx.tools:
        method.append(
            "Repomix's persistent token-count cache was "
            + ("on." if args.repomix_token_cache else "off (`REPOMIX_TOKEN_CACHE=0`).")
        )
    if "packer" in ctx.tools:
        cache_modes = modes(args.packer_cache, PACKER_CACHE_MODES)
        if "cold" in cache_modes:
            method.append(
                "packer (cold cache): a fresh, empty `PACKER_CACHE_DIR` for every run, warm-up included."
            )
        if "warm" in cache_modes:
            method.append(
                "packer (warm cache): one `PACKER_CACHE_DIR` per corpus, filled by one untimed run of "
                "each row before the timed runs."
            )
        method.append("Cache size: `packer cache info --json` after the run.")
    if "repomix" in ctx.tools:
        method.append(
            "Repomix's security check (secretlint) is "
            + {"off": "off", "on": "on", "both": "run both off and on"}[args.repomix_security]
            + "; packer always scans for secrets (detect-secrets + RE2), so the security-check "
            "rows are the equal-work comparison."
        )
    queried = {packer_query(ROWS[r], args) for r in args.rows} - {None}
    if queried:
        method.append(
            "packer's query (`--query`) in "
            + ", ".join(f"`{r}`" for r in args.rows if packer_query(ROWS[r], args))
            + ": "
            + "; ".join(f"“{q}”" for q in sorted(q for q in queried if q))
            + ". Repomix has no query: its rows are full packs."
        )
    out = [
        f"Measured {ctx.date} at commit {ctx.commit} on {mi['nproc']} × {mi['cpu']}, {mi['ram']} RAM, "
        f"Linux {mi['kernel']}, Python {mi['python']}, node {ctx.node}; {vers}.",
        "",
        f"Command: `{ctx.cmdline}`",
        "",
        " ".join(method),
        "",
        render_table(results, args.repeat),
        "",
    ]
    ratios = render_ratios(results)
    if ratios:
        out += [
            "Ratios, from the medians above (wall: above 1 means packer is faster; memory: below 1 "
            "means packer uses less). Only the full-pack row is the same job for both tools: in "
            "budgeted rows Repomix still packs everything.",
            "",
            ratios,
            "",
        ]
    out += [f"- {n}" for n in ctx.notes]
    if ctx.commands:
        out += ["", "Tool command lines (last corpus):", ""]
        out += [f"- {k}: `{v.replace(f'{REPO}/', '')}`" for k, v in ctx.commands.items()]
    return "\n".join(out).rstrip() + "\n"


def write_readme(
    report: str, start: str = MARK_START, end: str = MARK_END, readme: Path | None = None
) -> None:
    """Replace what lies between the markers `start` and `end` in readme (default README)."""
    readme = readme or README
    text = readme.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{readme} lacks the markers {start} / {end}")
    pre, rest = text.split(start, 1)
    _, post = rest.split(end, 1)
    readme.write_text(f"{pre}{start}\n{report}{end}{post}")
    log(f"updated {readme}")


# --------------------------------------------------------------------------- main


def resolve_corpus(spec: str, base: Path) -> tuple[str, Path]:
    if spec in NAMED_CORPORA:
        return spec, base / NAMED_CORPORA[spec]
    p = Path(spec).resolve()
    return p.name, p


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--corpus", action="append", default=None, help="medium | linux | PATH (repeatable; default medium)"
    )
    ap.add_argument(
        "--corpora-dir",
        type=Path,
        default=Path("/tmp/corpora"),
        help="where make_corpora.sh put the named corpora (default /tmp/corpora)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="timed runs per tool and row (median)")
    ap.add_argument(
        "--rows",
        default="full,200k,api",
        help="comma list of rows: full, 200k, api, api-query (default full,200k,api)",
    )
    ap.add_argument(
        "--query",
        default=None,
        help="task given to packer with --query in its budgeted rows (200k, api) and the api-query "
        "row; the api-query row uses a built-in query without it. Repomix has no query.",
    )
    ap.add_argument(
        "--packer-cache",
        choices=("cold", "warm", "both"),
        default="both",
        help="cold: a fresh empty PACKER_CACHE_DIR per run; warm: one cache dir per corpus filled "
        "by an untimed run of each row; both (default): one packer row per mode",
    )
    ap.add_argument(
        "--repomix-security",
        choices=("off", "on", "both"),
        default="both",
        help="Repomix's security check (secretlint): off, on, or both (default; one row per mode)",
    )
    ap.add_argument(
        "--packer", default=None, help="packer command (default `packer` on PATH, else /tmp/venv/bin/packer)"
    )
    ap.add_argument("--packer-args", default="", help="extra args appended to `packer pack`")
    ap.add_argument("--only", choices=("packer", "repomix"), help="run one tool only")
    ap.add_argument("--repomix-version", default=REPOMIX_VERSION)
    ap.add_argument(
        "--repomix-args", default="", help="extra args for repomix, e.g. '--split-output 400mb' for LARGE"
    )
    ap.add_argument(
        "--repomix-budget",
        choices=("flag", "reuse"),
        default="flag",
        help="budgeted rows: run Repomix's full pack with --token-budget N (flag, "
        "default) or reuse the full row's figures (reuse)",
    )
    ap.add_argument(
        "--repomix-token-cache",
        action="store_true",
        help="leave Repomix's persistent token-count cache on (off by default)",
    )
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run (default 1800)")
    ap.add_argument(
        "--verify-tokens", action="store_true", help="count o200k tokens of every output file with tiktoken"
    )
    ap.add_argument(
        "--tiktoken-python",
        default=None,
        help="interpreter with tiktoken for --verify-tokens (auto-detected)",
    )
    ap.add_argument(
        "--sample-interval",
        type=float,
        default=0.1,
        help="seconds between /proc samples for the tree RSS (default 0.1)",
    )
    ap.add_argument(
        "--scratch",
        type=Path,
        default=DEFAULT_SCRATCH,
        help=f"npm prefix, outputs and logs (default {DEFAULT_SCRATCH})",
    )
    ap.add_argument("--keep-outputs", action="store_true", help="keep the packed files")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up runs")
    ap.add_argument("--json", type=Path, help="also write every run as JSON here")
    ap.add_argument(
        "--write-readme", action="store_true", help="replace the results block of benchmarks/README.md"
    )
    ap.add_argument(
        "--readme-block",
        default="bench_pack",
        metavar="NAME",
        help="with --write-readme: the block between <!-- NAME:start --> and <!-- NAME:end --> "
        "(default bench_pack; the LARGE api-query block is bench_pack_large)",
    )
    ap.add_argument("--count-tokens", nargs="+", metavar="FILE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.corpus = args.corpus or ["medium"]
    args.rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    if bad := [r for r in args.rows if r not in ROWS]:
        ap.error(f"unknown row(s) {bad}; choose from {list(ROWS)}")
    if not args.rows:
        ap.error("--rows is empty")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    args.scratch = args.scratch.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.count_tokens:
        return count_tokens_main(args.count_tokens)

    args.scratch.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    time_bin, note = ensure_time_bin()
    if note:
        notes.append(note)
    if args.verify_tokens:
        args.tiktoken_python = args.tiktoken_python or find_tiktoken_python()
        if not args.tiktoken_python:
            notes.append("--verify-tokens: no interpreter with tiktoken found; column empty")
            args.verify_tokens = False

    wanted = [args.only] if args.only else ["packer", "repomix"]
    tools: dict[str, Tool] = {}
    if "packer" in wanted:
        tools["packer"] = setup_packer(args.packer)
    if "repomix" in wanted:
        tools["repomix"] = setup_repomix(args.scratch, args.repomix_version, args.repomix_token_cache)
    configs: dict[str, Path] = {}
    for mode, name in REPOMIX_CONFIG_NAMES.items():
        config = {**REPOMIX_CONFIG, "security": {"enableSecurityCheck": mode == "on"}}
        configs[mode] = args.scratch / name
        configs[mode].write_text(json.dumps(config, indent=2) + "\n")

    ctx = Context(
        time_bin=time_bin,
        repomix_config=configs["off"],
        machine=machine_info(),
        tools=tools,
        node=node_version(),
        date=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        cmdline=shlex.join(["python3", os.path.relpath(Path(__file__).resolve()), *sys.argv[1:]]),
        notes=notes,
        commit=repo_commit(),
        code=code_digest() if "packer" in tools else "",
    )
    for t in tools.values():
        if not t.available:
            log(f"{t.name} not available: {t.why_not}")
    rows = [ROWS[r] for r in args.rows]
    variants = make_variants(tools, args, configs)
    live = [v for v in variants if v.tool.available]
    all_runs: list[Measure] = []
    results: list[Measure] = []
    try:
        for spec in args.corpus:
            run_corpus(spec, rows, variants, live, args, ctx, all_runs, results)
    finally:
        for v in variants:
            remove_dir(v.cache_dir)
            v.cache_dir = None
    if ctx.code and code_digest() != ctx.code:
        notes.append(
            "packer/ (this checkout) was edited while the benchmark ran: packer's cache namespace "
            "hashes its code, so runs after the edit (noted in the table) met an empty cache and "
            "ran other code. Rerun when nobody edits packer/."
        )

    report = render_report(results, ctx, args)
    print(report)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in all_runs], indent=1) + "\n")
    if args.write_readme:
        write_readme(report, f"<!-- {args.readme_block}:start -->", f"<!-- {args.readme_block}:end -->")

    bad = [r for r in results if r.status in ("failed", "timeout", "not-run")]
    shown: set[tuple[str, str, str]] = set()
    for r in bad:
        print(
            f"\n{r.variant or r.tool} on {r.corpus} ({r.row}): {r.status} rc={r.rc} {r.note}", file=sys.stderr
        )
        if r.tail and (r.tool, r.corpus, r.tail) not in shown:
            shown.add((r.tool, r.corpus, r.tail))
            print(r.tail, file=sys.stderr)
    return 1 if bad else 0


def _not_run(v: Any, cname: str, row: Any, note: str) -> Measure:
    """The row of a variant that could not run on a corpus, and why."""
    return Measure(v.tool.name, cname, row.name, v.label, v.mode, status="not-run", note=note)


def run_corpus(
    spec: str,
    rows: list[Row],
    variants: list[Variant],
    live: list[Variant],
    args: argparse.Namespace,
    ctx: Context,
    all_runs: list[Measure],
    results: list[Measure],
) -> None:
    """Warm-ups, then the timed runs of every live variant and row on one corpus."""
    cname, corpus = resolve_corpus(spec, args.corpora_dir)
    if not corpus.is_dir():
        log(f"corpus {spec!r}: {corpus} is not a directory (build it with make_corpora.sh)")
        results.extend(_not_run(v, cname, row, f"corpus {corpus} missing") for v in variants for row in rows)
        return
    before = corpus_state(corpus)
    runs: dict[tuple[str, str], list[Measure]] = {}
    failed_warmup: dict[str, Measure] = {}
    try:
        for v in live:
            if v.tool.name == "packer" and v.mode == "warm":
                v.cache_dir = new_cache_dir(args.scratch, f"{cname}-warm-")
                warm_rows = rows  # fill the cache with what every timed row needs
            elif args.no_warmup:
                continue
            else:
                warm_rows = rows[:1]  # the OS page cache only
            for row in warm_rows:
                m = run_one(v, cname, corpus, row, args, ctx, warmup=True)
                all_runs.append(m)
                if m.status in ("failed", "timeout"):
                    failed_warmup[v.slug] = m
                    break
        for rep in range(args.repeat):
            for row in rows:
                order = live if rep % 2 == 0 else live[::-1]
                for v in order:
                    if v.slug in failed_warmup:
                        continue
                    reuse = args.repomix_budget == "reuse" and "full" in args.rows
                    if v.tool.name == "repomix" and row.budget and reuse:
                        continue
                    verify = args.verify_tokens and rep == 0  # outputs are deterministic
                    m = run_one(v, cname, corpus, row, args, ctx, warmup=False, verify=verify)
                    all_runs.append(m)
                    runs.setdefault((v.slug, row.name), []).append(m)
    finally:
        for v in live:
            remove_dir(v.cache_dir)
            v.cache_dir = None
    after = corpus_state(corpus)
    if before is not None and after is not None and before != after:
        changed = sorted(after ^ before)
        ctx.notes.append(f"{cname}: the corpus changed during the runs: {changed[:10]}")

    for v in variants:
        for row in rows:
            if not v.tool.available:
                results.append(_not_run(v, cname, row, v.tool.why_not[:200]))
            elif v.slug in failed_warmup:
                w = failed_warmup[v.slug]
                agg = aggregate([w])
                agg.row = row.name
                agg.note = (agg.note + "; " if agg.note else "") + "failed in warm-up, not repeated"
                results.append(agg)
            elif (v.slug, row.name) in runs:
                results.append(aggregate(runs[(v.slug, row.name)]))
            elif v.tool.name == "repomix" and row.budget and (v.slug, "full") in runs:
                agg = aggregate(runs[(v.slug, "full")])
                agg.row = row.name
                agg.note = "no budget in Repomix: figures of the full-pack row"
                if packer_query(row, args):
                    agg.note += "; no query in Repomix"
                results.append(agg)


if __name__ == "__main__":
    sys.exit(main())
