"""The `packer` command: parse flags, call the library, print, map errors to exit codes."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from packer import __version__
from packer.config import FORMATS, TARGETS, Options
from packer.errors import ConfigError, PackerError
from packer.records import KEEP_KINDS
from packer.tokens import ENCODINGS

if TYPE_CHECKING:
    from packer.records import Chunk, PackResult
    from packer.review import ReviewPlan, ReviewResult
    from packer.stats import StatsResult

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def _errors(verbose: bool) -> Iterator[None]:
    """The one place where exceptions become exit codes."""
    try:
        yield
    except PackerError as exc:
        click.echo(f"error: {_masked(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted; nothing was written", err=True)
        sys.exit(130)
    except BrokenPipeError:  # `packer pack | head`: the reader is gone, which is no error
        _end_quietly_on_closed_pipe()
    except Exception as exc:  # an internal bug: say so, with the traceback on request
        if verbose:
            click.echo(_masked(traceback.format_exc()), err=True, nl=False)
        click.echo(
            f"error: internal error: {type(exc).__name__}: {_masked(str(exc))} (run with --verbose "
            "for the traceback and report it)",
            err=True,
        )
        sys.exit(2)


def _end_quietly_on_closed_pipe() -> None:
    """End as `cat` does when its reader goes: by SIGPIPE, with nothing on stderr."""
    import os
    import signal

    # Python would flush stdout again at exit and fail on the closed pipe: point it elsewhere.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    sys.exit(0)  # pragma: no cover - no SIGPIPE (Windows)


def _masked(text: str) -> str:
    """No message shows an API key or a bearer token (an endpoint may echo them back), nor a
    secret the user typed into an option it quotes (a ref, a path, a name): terminals and
    hook output end up in CI logs."""
    from packer.review import mask_keys
    from packer.secrets import redact

    return mask_keys(redact(text)[0])


class _Cli(click.Group):
    """The `packer` group: a usage error (an unknown option, a bad choice, a missing
    argument) is one `error:` line with exit 1, like every other error, not click's
    multi-line usage with exit 2. `--help` and `--version` are unchanged."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:  # bare `packer`: the help, no error
            click.echo(exc.ctx.get_help() if exc.ctx else "")
            sys.exit(0)
        except click.UsageError as exc:
            click.echo(f"error: {_one_line(exc.format_message()).rstrip('.')}{_help_hint(exc.ctx)}", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            click.echo(f"error: {_one_line(exc.format_message())}", err=True)
            sys.exit(1)
        except click.exceptions.Abort:
            click.echo("error: interrupted; nothing was written", err=True)
            sys.exit(130)
        except OSError as exc:  # stdout closed before click could write (`packer --help | true`)
            if isinstance(exc, BrokenPipeError):
                _end_quietly_on_closed_pipe()
            raise
        sys.exit(code if isinstance(code, int) else 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _help_hint(ctx: click.Context | None) -> str:
    if ctx is None:
        return "; see packer --help"
    words = ["packer", *ctx.command_path.split()[1:]]
    return f"; see {' '.join(words)} --help"


class _Progress:
    """A one-line progress display on stderr, only when stderr is a terminal: the stage
    (its number among a pack's stages) and how far it is."""

    def __init__(self, enabled: bool, steps: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.steps = steps  # number a pack's stages ([4/8]); stats and chunk have one stage
        self._last = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        new_stage = stage != self._stage
        if not self.enabled or (now - self._last < 0.1 and done < total and not new_stage):
            return
        self._last = now
        self._stage = stage
        click.echo(f"\r{_progress_line(stage, done, total, self.steps)}\x1b[K", err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("\r\x1b[K", err=True, nl=False)


def _progress_line(stage: str, done: int, total: int, steps: bool = True) -> str:
    """`[4/8] rank: 1,234 files...`, `[7/8] render: 120/800 files`, `chunk: 3/9 files`."""
    from packer.records import STAGES

    step = f"[{STAGES.index(stage) + 1}/{len(STAGES)}] " if steps and stage in STAGES else ""
    if not total:  # begun, size not known yet (the walk)
        return f"{step}{stage}..."
    if done == 0:  # begun: a stage that reports only its start and end shows this while it runs
        return f"{step}{stage}: {total:,} files..."
    if done < total:
        return f"{step}{stage}: {done:,}/{total:,} files"
    return f"{step}{stage}: {total:,} files"


# Flags shared by `pack` and `stats`: which files are considered, and how.
_COMMON = [
    click.option(
        "--include",
        multiple=True,
        metavar="GLOB",
        help="Only pack files matching GLOB (gitignore syntax). Repeatable.",
    ),
    click.option(
        "--exclude",
        multiple=True,
        metavar="GLOB",
        help="Leave out files matching GLOB (gitignore syntax). Repeatable.",
    ),
    click.option(
        "--no-gitignore",
        "no_gitignore",
        is_flag=True,
        default=None,
        help="Ignore .gitignore, .git/info/exclude and global excludes.",
    ),
    click.option(
        "--max-file-size",
        metavar="SIZE",
        help="Skip files larger than SIZE (default 1mb; 'none' for no limit).",
    ),
    click.option(
        "--keep",
        multiple=True,
        type=click.Choice(KEEP_KINDS),
        help="Keep a kind of file skipped by default. Repeatable.",
    ),
    click.option(
        "--encoding",
        type=click.Choice(ENCODINGS),
        help="Token encoding (default: the target's, o200k_base).",
    ),
    click.option(
        "--config",
        type=click.Path(dir_okay=False),
        help="Config file (default: .packer.toml or pyproject.toml [tool.packer]).",
    ),
    click.option(
        "--cache-dir",
        metavar="DIR",
        type=click.Path(file_okay=False),
        help="Cache directory (default: $PACKER_CACHE_DIR, else ~/.cache/packer).",
    ),
    click.option(
        "--no-cache", "no_cache", is_flag=True, default=None, help="Neither read nor write the cache."
    ),
    click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        metavar="N",
        help="Worker processes (default: one per core for large repositories; 1: none).",
    ),
    click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr."),
    click.option(
        "-v", "--verbose", is_flag=True, help="More detail on stderr; tracebacks for internal errors."
    ),
]


def _common(f: F) -> F:
    """Options shared by `pack` and `stats`: which files are considered."""
    for opt in reversed(_COMMON):
        f = opt(f)
    return f


def _tuple_or_none(values: tuple[str, ...]) -> tuple[str, ...] | None:
    return values or None


def _common_options(
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_gitignore: bool | None,
    max_file_size: str | None,
    keep: tuple[str, ...],
    encoding: str | None,
    cache_dir: str | None,
    no_cache: bool | None,
    jobs: int | None,
    config: str | None,
) -> Options:
    """The `_common` flags as Options; a flag not given is None, for the config to decide."""
    return Options(
        include=_tuple_or_none(include),
        exclude=_tuple_or_none(exclude),
        gitignore=False if no_gitignore else None,
        max_file_size=max_file_size,
        keep=_tuple_or_none(keep),
        encoding=encoding,
        cache=False if no_cache else None,
        cache_dir=cache_dir,
        jobs=jobs,
        config=config,
    )


@contextmanager
def _progress(quiet: bool, steps: bool = True) -> Iterator[_Progress]:
    """A progress display (unless quiet), cleared however the work ends."""
    progress = _Progress(not quiet, steps)
    try:
        yield progress
    finally:
        progress.close()


@click.group(cls=_Cli)
@click.version_option(__version__, prog_name="packer")
def main() -> None:
    """Pack a codebase into a model's context window, exactly counted in tokens."""


# long: 28 flags passed on as Options are most of it; each step is a helper below.
@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=True))
@click.option(
    "-b", "--budget", metavar="TOKENS", help="Token budget for the whole output: 200k, 1m, 350000, or none."
)
@click.option(
    "-t",
    "--target",
    metavar="NAME",
    help=f"Model window to pack for: {', '.join(TARGETS)} (default codex: 200K of "
    "Codex's 400K window), one from config, or auto (codex if everything "
    "relevant fits, else api, else split into api-sized parts).",
)
@click.option(
    "--reserve",
    type=int,
    metavar="TOKENS",
    help="Tokens kept free for instructions and the answer (api default 32000).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: from -o's extension .xml .md .json .txt, else the config's, else xml).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the pack to FILE (atomically); '-' for stdout. Default: stdout, or on a "
    "terminal a file ./packer-REPO.EXT (never replacing a file packer did not write).",
)
@click.option("--manifest", metavar="FILE", help="Write the JSON manifest to FILE.")
@click.option(
    "--report",
    metavar="FILE",
    help="Write an HTML page to FILE: a treemap of the repository by tokens, coloured by what the pack did.",
)
@click.option(
    "--skeleton",
    is_flag=True,
    default=None,
    help="Pack each code file as its skeleton: signatures, docs, declarations.",
)
@click.option(
    "--query", metavar="TEXT", help="The task (an issue, a review request); @FILE reads it from a file."
)
@click.option(
    "--focus",
    multiple=True,
    metavar="PATH",
    help="A file or directory that must be packed in full. Repeatable.",
)
@click.option(
    "--diff",
    "diff",
    is_flag=False,
    flag_value="HEAD",
    default=None,
    metavar="[REF]",
    help="Pack the changes against REF (default HEAD, untracked files included) "
    "and the changed files in full.",
)
@click.option("--staged", is_flag=True, help="Pack the staged changes (the index against HEAD).")
@click.option(
    "--parts",
    type=click.IntRange(min=1),
    metavar="N",
    help="Cover the repository (or, with a task, what is relevant) in N packs, each "
    "within the budget: -o NAME.xml writes NAME-1.xml ... NAME-N.xml.",
)
@click.option("--split", is_flag=True, default=None, help="Like --parts, with as many parts as needed.")
@click.option(
    "--allow-secrets",
    is_flag=True,
    default=None,
    help="Write secrets found in packed files as they are (default: [REDACTED:kind]).",
)
@_common
def pack(
    path: str,
    budget: str | None,
    target: str | None,
    reserve: int | None,
    fmt: str | None,
    output: str | None,
    manifest: str | None,
    report: str | None,
    skeleton: bool | None,
    query: str | None,
    focus: tuple[str, ...],
    diff: str | None,
    staged: bool,
    parts: int | None,
    split: bool | None,
    allow_secrets: bool | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_gitignore: bool | None,
    max_file_size: str | None,
    keep: tuple[str, ...],
    encoding: str | None,
    cache_dir: str | None,
    no_cache: bool | None,
    jobs: int | None,
    config: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Pack the repository at PATH (default: the current directory) into one file.

    The whole output (header, tree, files) fits the budget exactly in o200k_base tokens.
    Files that do not fit stay in the tree as paths; the manifest says what went in and why.
    """
    from packer.output import format_of_path
    from packer.pipeline import pack as run_pack

    options = dataclasses.replace(
        _common_options(
            include, exclude, no_gitignore, max_file_size, keep, encoding, cache_dir, no_cache, jobs, config
        ),
        budget=budget,
        target=target,
        reserve=reserve,
        format=fmt or format_of_path(output),
        skeleton=skeleton,
        query=query,
        focus=focus,
        diff=diff,
        staged=staged,
        parts=parts,
        split=split,
        allow_secrets=allow_secrets,
    )
    with _errors(verbose):
        if output is None:
            output = _terminal_output(path, options) if sys.stdout.isatty() else "-"
        _check_report(report)
        with _progress(quiet) as progress:
            result = run_pack(
                path,
                options,
                output=sys.stdout if output == "-" else output,
                manifest=manifest,
                progress=progress,
                also_written=[report] if report else [],
            )
        if report:
            from packer.report import pack_report, write_report

            write_report(report, pack_report(result))
    if not quiet:
        _pack_summary(result, verbose)
        if report:
            click.echo(f"report: {report}", err=True)


def _check_report(path: str | None) -> None:
    """Refuse a report path that cannot be written, before any work."""
    if path is not None:
        from packer.output import check

        check(path)


def _terminal_output(path: str, options: Options) -> str:
    """Where a pack goes when stdout is a terminal and no -o was given: no screenful of
    XML, a file in the working directory named after the repository. An existing file is
    replaced only if it is an earlier pack or manifest; else the next free name is used."""
    import os
    import re
    from pathlib import Path

    from packer.config import resolve
    from packer.output import EXTENSION_OF_FORMAT, looks_like_output

    root = Path(path).resolve()
    fmt = options.format
    if fmt is None and root.is_dir():
        fmt = resolve(root, options).format
    ext = EXTENSION_OF_FORMAT.get(fmt or "xml", "xml")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", root.name).strip(".-") or "pack"
    for n in range(1, 1000):
        candidate = f"packer-{name}.{ext}" if n == 1 else f"packer-{name}.{n}.{ext}"
        if not os.path.lexists(candidate):
            return candidate
        if os.path.isfile(candidate) and not os.path.islink(candidate):
            with open(candidate, "rb") as f:
                if looks_like_output(f.read(4096).decode("utf-8", "replace")):
                    return candidate
    raise PackerError("no free name for the pack in this directory; pass -o FILE (or -o - for the terminal)")


def _pack_summary(result: PackResult, verbose: bool) -> None:
    """What went in, the largest files, what was left out, the secrets, where it went; on stderr."""
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    budget_text = "no budget" if result.budget is None else f"budget {result.budget:,}"
    n_full = sum(f.mode == "full" for f in result.files)
    n_skel = sum(f.mode == "skeleton" for f in result.files)
    skeletons = f", {n_skel:,} as skeletons" if n_skel else ""
    click.echo(
        f"packed {n_full:,} files in full{skeletons}, {result.stats.files_listed:,} "
        f"listed, {result.stats.files_skipped:,} skipped: {result.total_tokens:,} tokens "
        f"({budget_text}, {result.encoding})",
        err=True,
    )
    for line in _packed_lines(result):
        click.echo(line, err=True)
    _secrets_summary(result.secrets)
    for part in result.parts:
        click.echo(
            f"  part {part.index}: {part.total_tokens:,} tokens, {part.files_full:,} "
            f"full, {part.files_skeleton:,} skeletons -> {part.path or '(not written)'}",
            err=True,
        )
    if result.output_path is not None and not result.parts:
        click.echo(f"wrote {result.output_path}", err=True)
    if verbose:
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.stats.seconds.items())
        click.echo(f"time: {stages}", err=True)
        if result.stats.counted_at_fit:
            click.echo(
                f"estimated first; counted exactly when fitting: {result.stats.counted_at_fit:,} files",
                err=True,
            )


def _packed_lines(result: PackResult, most: int = 5) -> list[str]:
    """The largest packed files; the files left out (listed), by directory with their tokens;
    the skipped files by reason. A few lines at most."""
    from packer.render import display_path

    lines: list[str] = []
    packed = sorted((f for f in result.files if f.mode != "listed"), key=lambda f: (-f.tokens, f.path))
    if packed:
        top = ", ".join(f"{display_path(f.path)} {f.tokens:,}" for f in packed[:most])
        lines.append(f"largest: {top}" + (f" (+{len(packed) - most:,} more)" if len(packed) > most else ""))
    left_out = _left_out_line(result, most)
    if left_out:
        lines.append(left_out)
    if result.skipped:
        reasons: dict[str, int] = {}
        for s in result.skipped:
            reasons[s.label] = reasons.get(s.label, 0) + 1
        top_reasons = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        text = ", ".join(f"{n:,} {label}" for label, n in top_reasons[:most])
        lines.append(f"skipped: {text}" + (", ..." if len(top_reasons) > most else ""))
    return lines


def _left_out_line(result: PackResult, most: int) -> str:
    """The files only listed (copies aside), by directory (two levels) with their own tokens."""
    from packer.render import display_path

    copies = {d.path for d in result.duplicates}  # (reading each file's reason would make it)
    out = [f for f in result.files if f.mode == "listed" and f.path not in copies]
    if not out:
        return ""
    by_dir: dict[str, list[int]] = {}
    for f in out:
        parts = f.path.split("/")[:-1][:2]
        acc = by_dir.setdefault("/".join(parts) + "/" if parts else "./", [0, 0])
        acc[0] += f.size or 0
        acc[1] += 1
    groups = sorted(by_dir.items(), key=lambda kv: (-kv[1][0], kv[0]))
    text = "; ".join(f"{display_path(d)} {n:,} files ~{t:,}" for d, (t, n) in groups[:most])
    more = f" (+{len(groups) - most:,} more directories)" if len(groups) > most else ""
    total = sum(f.size or 0 for f in out)
    return f"left out (listed only): {len(out):,} files, ~{total:,} tokens: {text}{more}"


def _secrets_summary(found: Any) -> None:
    """One stderr line per kind of secret: how many, where (never the value)."""
    if not found:
        return
    by_kind: dict[tuple[str, bool], list[str]] = {}
    for s in found:
        by_kind.setdefault((s.kind, s.redacted), []).append(f"{s.path}:{s.line}")
    for (kind, redacted), where in sorted(by_kind.items()):
        more = f" and {len(where) - 3} more" if len(where) > 3 else ""
        verb = "redacted" if redacted else "LEFT IN (--allow-secrets)"
        click.echo(f"secrets: {len(where)} {kind} {verb}: {', '.join(where[:3])}{more}", err=True)


@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=True))
@click.option(
    "-n", "--top", type=int, default=20, show_default=True, help="How many files and directories to list."
)
@click.option("--depth", type=int, default=2, show_default=True, help="Directory depth to aggregate at.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--html",
    metavar="FILE",
    help="Also write an HTML page to FILE: a zoomable treemap of the repository by tokens.",
)
@_common
def stats(
    path: str,
    top: int,
    depth: int,
    as_json: bool,
    html: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_gitignore: bool | None,
    max_file_size: str | None,
    keep: tuple[str, ...],
    encoding: str | None,
    cache_dir: str | None,
    no_cache: bool | None,
    jobs: int | None,
    config: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Show where the tokens are: by directory and by file, largest first.

    Use it to decide what to --exclude before packing.
    """
    from packer.stats import stats as run_stats
    from packer.stats import summary

    options = _common_options(
        include, exclude, no_gitignore, max_file_size, keep, encoding, cache_dir, no_cache, jobs, config
    )
    with _errors(verbose):
        _check_report(html)
        with _progress(quiet, steps=False) as progress:
            result = run_stats(path, options, depth=depth, progress=progress)
        if html:
            from packer.report import stats_report, write_report

            write_report(html, stats_report(result))
    with _errors(verbose):  # a closed pipe (`packer stats | head`) ends quietly
        if as_json:
            click.echo(json.dumps(summary(result, top), indent=2, ensure_ascii=True))
        else:
            _stats_text(result, top)
    if not quiet:
        for w in result.warnings:
            click.echo(f"warning: {w}", err=True)
        if html:
            click.echo(f"report: {html}", err=True)


def _stats_text(result: StatsResult, top: int) -> None:
    """`stats` as text: the totals, then directories and files, largest first."""
    click.echo(
        f"{result.total_tokens:,} tokens in {result.files:,} files ({result.encoding}); "
        f"{len(result.skipped):,} skipped"
    )
    click.echo("\nby directory:")
    for d in result.directories[:top]:
        share = 100 * d.tokens / result.total_tokens if result.total_tokens else 0.0
        click.echo(f"{d.tokens:>14,}  {share:5.1f}%  {d.files:>7,} files  {d.path}")
    click.echo("\nby file:")
    for f in result.largest[:top]:
        click.echo(f"{f.tokens:>14,}  {f.path}")
    if result.skipped_by_reason:
        click.echo("\nskipped:")
        for reason, n in result.skipped_by_reason:
            click.echo(f"{n:>14,}  {reason}")


@main.group("cache")
def cache_group() -> None:
    """Inspect or empty the cache of token counts, secret scans and parses."""


_CACHE_DIR = click.option(
    "--cache-dir",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Cache directory (default: $PACKER_CACHE_DIR, else ~/.cache/packer).",
)


_QUIET = click.option("-q", "--quiet", is_flag=True, help="Nothing on stderr but errors.")


@cache_group.command("info")
@_CACHE_DIR
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@_QUIET
def cache_info(cache_dir: str | None, as_json: bool, quiet: bool) -> None:
    """Where the cache is, how many entries it holds and its size on disk."""
    from packer.cache import Cache

    with _errors(False):
        c = Cache(cache_dir)
        info = c.info()
        c.close()
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(info), indent=2))
        return
    click.echo(f"path:    {info.path}" + ("" if info.exists else " (not created yet)"))
    click.echo(f"entries: {info.entries:,}")
    click.echo(
        f"size:    {info.bytes / 2**20:,.1f} MiB (oldest entries dropped past "
        f"{info.max_bytes / 2**30:,.0f} GiB)"
    )
    for w in () if quiet else c.warnings:
        click.echo(f"warning: {w}", err=True)


@cache_group.command("clear")
@_CACHE_DIR
@_QUIET
def cache_clear(cache_dir: str | None, quiet: bool) -> None:
    """Delete the cache (the next pack reads and counts every file again)."""
    from packer.cache import Cache

    with _errors(False):
        freed = Cache(cache_dir).clear()
    click.echo(f"cleared {freed / 2**20:,.1f} MiB")


@main.command("mcp")
@click.option(
    "--root",
    "roots",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Also allow paths under DIR (the working directory always is). Repeatable.",
)
def mcp_command(roots: tuple[str, ...]) -> None:
    """Serve packer's tools (pack, chunk, stats, languages, plan_review) to an agent over
    the Model Context Protocol, on stdin and stdout. Needs the `mcp` extra."""
    with _errors(False):
        try:
            from packer.mcp_server import main as serve
        except ImportError as exc:
            raise PackerError(
                f"packer mcp needs the MCP SDK ({exc}); install it: pip install 'packer[mcp]'"
            ) from exc
        code = serve([arg for r in roots for arg in ("--root", r)])
    sys.exit(code)


@main.command("languages")
@_QUIET
def languages_command(quiet: bool) -> None:
    """List the languages packer recognises, how it treats them and whether grammars load.

    "code" is parsed with its tree-sitter grammar (grammar "ok" when it loads), "text" is
    a text format split by its structure, "other" is recognised but kept as plain text.
    """
    from packer.languages import languages_table

    rows = [
        (r.name, r.kind, r.grammar, " ".join((*r.extensions, *r.filenames)) or "-") for r in languages_table()
    ]
    header = ("language", "kind", "grammar", "extensions and file names")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(3)]
    for row in (header, *rows):
        cells = [row[i].ljust(widths[i]) for i in range(3)]
        click.echo("  ".join((*cells, row[3])))


# long: 15 options and the --help text; --repos goes to `_chunk_repos`.
@main.command("chunk")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--repos",
    metavar="LIST",
    type=click.Path(dir_okay=False),
    help="Chunk every repository LIST names (one path a line) into shards in the -o directory.",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="With --repos: run on Ray Data; alone, a local Ray on 127.0.0.1; auto (or RAY_ADDRESS) "
    "or an address joins a cluster. Needs packer[ray].",
)
@click.option(
    "--max-tokens",
    type=int,
    default=512,
    show_default=True,
    metavar="TOKENS",
    help="Most tokens in one chunk, header and overlap included.",
)
@click.option(
    "--context", is_flag=True, help="Open each chunk with a comment line naming its path and scope."
)
@click.option(
    "--overlap",
    type=int,
    default=0,
    show_default=True,
    metavar="LINES",
    help="Repeat up to LINES lines before each chunk at its start.",
)
@click.option(
    "--no-embed-text",
    "no_embed_text",
    is_flag=True,
    help="Leave embed_text empty (about half the output, ~10% faster).",
)
@click.option(
    "--encoding",
    type=click.Choice(ENCODINGS),
    default="o200k_base",
    show_default=True,
    help="Token encoding.",
)
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="In directories, only chunk files matching GLOB (gitignore syntax). Repeatable.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="In directories, leave out files matching GLOB (gitignore syntax). Repeatable.",
)
@click.option(
    "--no-gitignore",
    "no_gitignore",
    is_flag=True,
    help="Ignore .gitignore, .git/info/exclude and global excludes.",
)
@click.option(
    "--keep",
    "keep",
    multiple=True,
    type=click.Choice(KEEP_KINDS),
    metavar="KIND",
    help="Chunk files of a kind skipped by default (secrets-file: "
    ".env, keys, credential files, redacted). Repeatable.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    default="-",
    help="Write the JSON lines to FILE (atomically); '-' for stdout (default).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes (default: one per core for 4 MB or more; 1: none).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Tracebacks for internal errors.")
def chunk(
    paths: tuple[str, ...],
    repos: str | None,
    ray_address: str | None,
    max_tokens: int,
    context: bool,
    overlap: int,
    no_embed_text: bool,
    encoding: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    no_gitignore: bool,
    keep: tuple[str, ...],
    output: str,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Split files into chunks of at most --max-tokens tokens, for retrieval.

    Writes one JSON object per line and per chunk, with the keys path, language,
    start_byte, end_byte, start_line, end_line, tokens, symbol, kind, text, redacted and
    embed_text (the text after its path, the file's imports and the headers of the
    definitions around it, for embedding; not counted in tokens). Code is split along its
    syntax tree and a function or class that fits stays whole; a file's byte ranges join
    back to its exact bytes. Secrets in the text and embed_text are redacted.
    Directories are walked as `pack` walks them.
    """
    from packer.chunker import chunk as run_chunk
    from packer.output import check

    if repos is not None or ray_address is not None:
        embed = not no_embed_text
        spec = (max_tokens, encoding, context, overlap, include, exclude, not no_gitignore, keep, embed)
        return _chunk_repos(paths, repos, ray_address, output, spec, jobs, quiet, verbose)
    if not paths:
        raise click.UsageError("pass files or directories to chunk, or --repos LIST")
    stats: dict[str, int] = {}

    def lines() -> Iterator[str]:
        for c in run_chunk(
            paths,
            max_tokens=max_tokens,
            encoding=encoding,
            context=context,
            overlap=overlap,
            include=include,
            exclude=exclude,
            gitignore=not no_gitignore,
            keep=keep,
            progress=progress,
            also_written=[] if output == "-" else [output],
            jobs=jobs,
            embed_text=not no_embed_text,
        ):
            stats[c.path] = stats.get(c.path, 0) + 1
            yield _chunk_line(c)

    with _errors(verbose), _progress(quiet, steps=False) as progress:
        if output != "-":
            check(output)  # before any work
        _write_lines(output, lines())
    if not quiet:
        click.echo(
            f"chunked {len(stats):,} files into {sum(stats.values()):,} chunks of at most "
            f"{max_tokens:,} tokens ({encoding})",
            err=True,
        )


def _chunk_repos(
    paths: tuple[str, ...],
    repos: str | None,
    ray_address: str | None,
    output: str,
    spec_args: tuple[Any, ...],
    jobs: int | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """`chunk --repos LIST -o DIR [--ray [ADDRESS]]`: the shards and their manifest."""
    from packer.corpus import Spec, chunk_repos

    with _errors(verbose), _progress(quiet, steps=False) as progress:
        if repos is None:
            raise ConfigError("--ray is for --repos LIST: pass the list of repositories to chunk")
        if paths:
            raise ConfigError("--repos takes its repositories from the list: drop the paths")
        if output == "-":
            raise ConfigError("--repos writes shards: pass -o DIR, a directory for them")
        engine = "local" if ray_address is None else "ray"
        address = None if ray_address in (None, "local") else ray_address
        try:
            result = chunk_repos(
                repos,
                output,
                spec=Spec(*spec_args),
                engine=engine,
                address=address,
                jobs=jobs,
                progress=progress,
            )
        except KeyboardInterrupt:
            click.echo(
                f"error: interrupted; the shards finished so far are kept in {output}: "
                "run the same command again to resume",
                err=True,
            )
            sys.exit(130)
    if not quiet:
        click.echo(
            f"chunked {result.files:,} files of {len(result.repos)} repositories into {result.chunks:,} "
            f"chunks, {len(result.shards):,} shards ({result.reused_files:,} files reused, "
            f"{result.resumed_shards:,} shards found done) on {engine}: {result.out_dir}",
            err=True,
        )


def _chunk_line(c: Chunk) -> str:
    """A chunk as one JSON line."""
    import json

    record = c.row()
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a path with undecodable bytes: escape it
        line = json.dumps(record, ensure_ascii=True)
    return line + "\n"


def _write_lines(output: str, lines: Iterable[str]) -> None:
    """To stdout ('-') as UTF-8 whatever the locale says, else to the file, atomically."""
    from packer.output import atomic_text

    if output == "-":
        stdout = sys.stdout.buffer
        for line in lines:
            stdout.write(line.encode("utf-8"))
        stdout.flush()
    else:
        with atomic_text(output) as f:
            for line in lines:
                f.write(line)


SEVERITY_CHOICES = ("low", "medium", "high", "critical", "never")
DEFAULT_YES_CAP = 1.00  # USD: what --yes may spend when no cap was chosen


# long: 24 flags and the --help text are two thirds of it; each step is a helper below.
@main.command("review")
@click.argument("path", default=".", type=click.Path(file_okay=True))
@click.option("--query", metavar="TEXT", help="What to review for; @FILE reads it from a file.")
@click.option("--focus", multiple=True, metavar="PATH", help="A file or directory to review. Repeatable.")
@click.option(
    "--diff",
    "diff",
    is_flag=False,
    flag_value="HEAD",
    default=None,
    metavar="[REF]",
    help="Review the changes against REF (default HEAD).",
)
@click.option("--staged", is_flag=True, help="Review the staged changes (what a pre-commit hook sees).")
@click.option(
    "--instructions",
    metavar="TEXT",
    help="The review prompt (default: correctness, "
    "security, risky changes, with path:line); @FILE reads it from a file.",
)
@click.option(
    "-t",
    "--target",
    type=click.Choice(["auto", "codex", "api"]),
    default="auto",
    show_default=True,
    help="Pack size: codex 200K, api the 1M window less the answer; "
    "auto the smaller that holds the task, else map-reduce.",
)
@click.option(
    "-b",
    "--budget",
    metavar="TOKENS",
    help="Pack to this many tokens (200k, 50000) instead of --target (default: the config's budget, if any).",
)
@click.option(
    "--model", default="gpt-5.5", show_default=True, help="gpt-5.5, gpt-5.5-pro, or one declared in config."
)
@click.option("--max-output-tokens", type=click.IntRange(min=1), default=16_000, show_default=True)
@click.option("--api", type=click.Choice(["responses", "chat"]), default="responses", show_default=True)
@click.option(
    "--base-url",
    metavar="URL",
    help="An OpenAI-compatible endpoint (or OPENAI_BASE_URL, "
    "or base_url in the user config); plain http only to loopback.",
)
@click.option("--allow-insecure", is_flag=True, help="Allow a plain-http --base-url on another host.")
@click.option(
    "--api-key-env",
    metavar="NAME",
    help="The environment variable holding the key "
    "(default OPENAI_API_KEY, or api_key_env in the user config).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write the review (or, with --dry-run, the request bodies) to FILE.",
)
@click.option("--dry-run", is_flag=True, help="Write the exact request body JSON; send nothing.")
@click.option(
    "-y",
    "--yes",
    is_flag=True,
    help="Send without asking (capped at $1.00 unless "
    "--max-cost or the user config's max_cost says otherwise).",
)
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0),
    metavar="USD",
    help="Refuse if the estimate is above USD (default: max_cost in the user config). "
    "Required for a map-reduce review.",
)
@click.option("--allow-secrets", is_flag=True, help="Send even if secrets are left unredacted.")
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_CHOICES),
    default="never",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is reported (for hooks).",
)
@click.option("--strict", is_flag=True, help="With no key or no network, fail instead of warning.")
@click.option(
    "--image",
    "images",
    multiple=True,
    metavar="PATH",
    help="Attach a PNG, JPEG, WebP or still GIF (a directory: all its images) after the pack. Repeatable.",
)
@click.option(
    "--image-detail",
    type=click.Choice(["low", "high", "auto"]),
    default="high",
    show_default=True,
    help="The images' detail (auto is priced as high).",
)
@click.option(
    "--reasoning-effort",
    metavar="LEVEL",
    help="none, low, medium, high or xhigh, as the model takes (default: the model's; gpt-5.5 medium, "
    "gpt-5.5-pro high).",
)
@click.option(
    "--verbosity",
    type=click.Choice(["low", "medium", "high"]),
    help="How long the answer is (default: the model's; medium).",
)
@click.option(
    "--batch", is_flag=True, help="Send through the Batch API: half price, answered within 24h; resumable."
)
@click.option(
    "--batch-merge",
    type=click.Choice(["batch", "direct"]),
    default="batch",
    show_default=True,
    help="A batch map-reduce review's merge: a second batch, or one direct request.",
)
@click.option(
    "--batch-poll",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="The first wait between polls of a batch; each wait is half again as long, up to a minute.",
)
@click.option(
    "--resume",
    metavar="BATCH_ID",
    help="Pick up a batch review started earlier (nothing is packed again).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Cache directory, where a batch review's state is kept too "
    "(default: $PACKER_CACHE_DIR, else ~/.cache/packer).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="Project config file (default: "
    ".packer.toml or pyproject.toml [tool.packer]); it may tighten, never loosen, safety.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Nothing on stderr but errors and why no review ran (nothing staged, no key, no "
    "network); the answer still goes to stdout.",
)
@click.option("-v", "--verbose", is_flag=True)
def review_cmd(
    path: str,
    query: str | None,
    focus: tuple[str, ...],
    diff: str | None,
    staged: bool,
    instructions: str | None,
    target: str,
    budget: str | None,
    model: str,
    max_output_tokens: int,
    api: str,
    base_url: str | None,
    allow_insecure: bool,
    api_key_env: str | None,
    output: str | None,
    dry_run: bool,
    yes: bool,
    max_cost: float | None,
    allow_secrets: bool,
    fail_on: str,
    strict: bool,
    images: tuple[str, ...],
    image_detail: str,
    reasoning_effort: str | None,
    verbosity: str | None,
    batch: bool,
    batch_merge: str,
    batch_poll: float,
    resume: str | None,
    cache_dir: str | None,
    config: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Pack PATH for the task and send a review request through the openai SDK.

    Shows the route (codex, api, map-reduce in N parts, batch) and why, the requests,
    exact input tokens, the endpoint and the cost estimate first, and asks on a terminal
    unless --yes (which caps the spend at $1.00 unless --max-cost or the user config sets
    a cap). A map-reduce review needs an explicit --max-cost. With --staged or --diff and
    no changes, nothing is sent. The answer streams to the terminal and to -o. With
    --batch it goes through the Batch API; Ctrl-C while it runs asks whether to cancel
    it, and --resume BATCH_ID picks it up later.
    """
    from packer.config import load_user_config
    from packer.review import map_reduce_cap_error, write_dry_run

    options = Options(
        query=query,
        focus=focus,
        diff=diff,
        staged=staged,
        target=target,
        budget=budget,
        allow_secrets=allow_secrets,
        cache_dir=cache_dir,
        config=config,
    )
    with _errors(verbose):
        if resume is not None:
            _resume_alone()
            watch = _BatchWatch(quiet, allow_insecure, cache_dir, (batch_poll, max(60.0, batch_poll)))
            _resume(resume, watch, output, base_url, api_key_env, fail_on)
            return
        cap = max_cost if max_cost is not None else load_user_config().max_cost
        default_cap = cap is None and yes and not dry_run
        endpoint = shown = key = ""
        if not dry_run:  # checked before packing: nothing is walked for a review that cannot go
            access = _review_access(base_url, allow_insecure, api_key_env, strict, quiet)
            if access is None:
                return
            endpoint, shown, key = access
        plan = _review_plan(
            path,
            options,
            instructions=instructions,
            model=model,
            max_output_tokens=max_output_tokens,
            api=api,
            max_cost=DEFAULT_YES_CAP if default_cap else cap,
            output=output,
            quiet=quiet,
            default_cap=default_cap,
            images=images,
            image_detail=image_detail,
            reasoning_effort=reasoning_effort,
            verbosity=verbosity,
            batch=batch,
            batch_merge=batch_merge,
        )
        if plan is None:
            return
        if dry_run:
            write_dry_run(plan, output if output else sys.stdout)
            return
        if plan.merge and cap is None:  # the default cap of --yes does not count
            raise map_reduce_cap_error(plan)
        if not _confirmed(plan, shown, yes, quiet):
            return
        watch = _BatchWatch(quiet, allow_insecure, cache_dir, (batch_poll, max(60.0, batch_poll)))
        result = _sent(plan, key, endpoint, watch, output=output, strict=strict)
        if result is not None:
            _fail_on(result, fail_on)


def _review_access(
    base_url: str | None, allow_insecure: bool, api_key_env: str | None, strict: bool, quiet: bool
) -> tuple[str, str, str] | None:
    """The endpoint, how it is shown, and the key; None when there is no key and not --strict
    (said on stderr unless --quiet: the review is skipped)."""
    from packer.errors import ApiError
    from packer.review import check_endpoint, resolve_api_key, resolve_endpoint

    endpoint = resolve_endpoint(base_url)
    shown = check_endpoint(endpoint, allow_insecure=allow_insecure)
    try:
        key = resolve_api_key(None, env=api_key_env)
    except ApiError as exc:
        if strict:
            raise
        if not quiet:
            click.echo(f"warning: review skipped: {exc}", err=True)
        return None
    return endpoint, shown, key


def _review_plan(
    path: str,
    options: Options,
    *,
    instructions: str | None,
    model: str,
    max_output_tokens: int,
    api: str,
    max_cost: float | None,
    output: str | None,
    quiet: bool,
    default_cap: bool,
    **more: Any,
) -> ReviewPlan | None:
    """The plan, its warnings and secrets said on stderr; None when there is nothing to review.
    `more`: plan_review's image, reasoning and batch options."""
    from packer.errors import CostError, NothingToReview
    from packer.review import plan_review

    try:
        with _progress(quiet) as progress:
            plan = plan_review(
                path,
                options,
                instructions=instructions,
                model=model,
                max_output_tokens=max_output_tokens,
                api=api,
                max_cost=max_cost,
                progress=progress,
                output=output,
                **more,
            )
    except NothingToReview as exc:  # the pre-commit hook, without -q, shows why no review ran
        if not quiet:
            click.echo(f"review: {exc}", err=True)
        return None
    except CostError as exc:
        if default_cap:
            raise CostError(
                f"{exc} (--yes caps a review at ${DEFAULT_YES_CAP:.2f} unless --max-cost is given)"
            ) from exc
        raise
    if not quiet:
        for w in plan.pack.warnings:
            click.echo(f"warning: {w}", err=True)
        _secrets_summary(plan.secrets)
    return plan


def _confirmed(plan: ReviewPlan, shown: str, yes: bool, quiet: bool) -> bool:
    """Say what will be sent, where and at what cost (unless --quiet with --yes: nothing
    is asked); ask unless --yes."""
    if quiet and yes:
        return True
    click.echo(f"review: route: {plan.route}", err=True)
    if plan.images:
        click.echo(
            f"review: {len(plan.images)} image(s), {plan.image_tokens:,} tokens at {plan.image_detail} detail"
            + (" in each part's request" if plan.merge else ""),
            err=True,
        )
    reasoning = ", ".join(
        f"{name} {value}" for name, value in (("effort", plan.effort), ("verbosity", plan.verbosity)) if value
    )
    click.echo(
        f"review: {plan.request_count} request(s) to {plan.model.name} ({plan.api} API"
        + (f"; {reasoning}" if reasoning else "")
        + f") at {shown}, {plan.input_tokens:,} input tokens, estimate up to "
        f"${plan.cost_estimate:,.2f}"
        + (" at the batch price" if plan.batch else "")
        + (" (map-reduce: one per part, then a merge)" if plan.merge else ""),
        err=True,
    )
    if yes:
        return True
    if not sys.stdin.isatty():
        raise PackerError("not a terminal, so cannot ask: pass --yes to send (or --dry-run)")
    if not click.confirm("send?", default=False, err=True):
        if not quiet:
            click.echo("not sent", err=True)
        return False
    return True


def _sent(
    plan: ReviewPlan, key: str, endpoint: str, watch: _BatchWatch, *, output: str | None, strict: bool
) -> ReviewResult | None:
    """Send, streaming the answer to stdout; None when the endpoint cannot be reached and not
    --strict (said on stderr). A batch review reports its progress, and Ctrl-C asks whether
    to cancel its batch (`watch`)."""
    from packer.errors import ApiError
    from packer.review import send_review

    watch.key, watch.endpoint = key, endpoint
    try:
        with watch.interruptible():
            result = send_review(plan, output=output, **watch.sending())
    except ApiError as exc:
        if "cannot reach" in str(exc) and not strict and not plan.batch:
            if not watch.quiet:
                click.echo(f"warning: review skipped: {exc}", err=True)
            return None
        raise
    click.echo("")
    watch.said_gaps(result)
    return result


class _BatchWatch:
    """A batch review's progress line on stderr, and what Ctrl-C does while it runs."""

    def __init__(
        self, quiet: bool, allow_insecure: bool, cache_dir: str | None, poll: tuple[float, float]
    ) -> None:
        self.quiet, self.allow_insecure, self.cache_dir, self.poll = quiet, allow_insecure, cache_dir, poll
        self.key = self.endpoint = ""
        self.batch_id: str | None = None
        self.last = ""
        self.tty = sys.stderr.isatty()

    def sending(self) -> dict[str, Any]:
        """What `send_review` and `resume_review` take from here: where to send, how to
        poll, and the answer streamed to stdout."""
        return {
            "api_key": self.key,
            "base_url": self.endpoint,
            "allow_insecure": self.allow_insecure,
            "on_text": lambda t: click.echo(t, nl=False),
            "on_progress": self,
            "poll": self.poll,
            "cache_dir": self.cache_dir,
        }

    def __call__(self, p: Any) -> None:  # a `batch.Progress`
        if p.status == "submitted":
            self.batch_id = p.batch_id
            if not self.quiet:
                click.echo(
                    f"review: batch {p.batch_id} created ({p.total} request(s)); if this stops, "
                    f"resume with: packer review --resume {p.batch_id}",
                    err=True,
                )
            return
        line = f"batch {p.batch_id}: {p.status}, {p.completed}/{p.total} done, {p.failed} failed"
        if self.quiet or line == self.last:
            return
        self.last = line
        minutes, seconds = divmod(int(p.elapsed), 60)
        shown = f"{line} ({minutes}m{seconds:02d}s)"
        click.echo(("\r" if self.tty else "") + shown, err=True, nl=not self.tty)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        try:
            yield
        except KeyboardInterrupt:
            if self.batch_id is None:
                raise
            self._interrupted(self.batch_id)
            sys.exit(130)
        finally:
            if self.tty and self.last and not self.quiet:
                click.echo("", err=True)

    def _interrupted(self, batch_id: str) -> None:
        from packer.review import cancel_review

        click.echo("", err=True)
        if sys.stdin.isatty() and click.confirm(f"cancel batch {batch_id}?", default=False, err=True):
            cancel_review(
                batch_id,
                api_key=self.key,
                base_url=self.endpoint,
                allow_insecure=self.allow_insecure,
                cache_dir=self.cache_dir,
            )
            click.echo(f"review: batch {batch_id} cancelled", err=True)
            return
        click.echo(
            f"review: batch {batch_id} goes on; resume with: packer review --resume {batch_id}", err=True
        )

    def said_gaps(self, result: ReviewResult) -> None:
        """What the review lacks: parts that failed, answers the model stopped early."""
        for m in result.missing:
            click.echo(f"warning: no review of {m}; the merged review says so", err=True)
        for c in result.cut_short:
            fix = "raise --max-output-tokens" if "max_output_tokens" in c else "findings may be missing"
            click.echo(
                f"warning: the answer of {c} was cut short: what follows is not reviewed; {fix}", err=True
            )


# What --resume still takes: where the batch is, where its answer goes, how to wait for it.
_RESUME_OPTIONS = frozenset(
    {"resume", "output", "base_url", "api_key_env", "allow_insecure", "cache_dir", "batch_poll", "fail_on",
     "quiet", "verbose", "strict", "yes"}
)  # fmt: skip


def _resume_alone() -> None:
    """--resume takes no option that would change the review (what is packed, the model,
    the answer's length, the cap): it was planned and sent already, as it was."""
    ctx = click.get_current_context()
    named = [
        max(p.opts, key=len)
        for p in ctx.command.params
        if p.name not in _RESUME_OPTIONS
        and p.name is not None
        and ctx.get_parameter_source(p.name) not in (None, click.core.ParameterSource.DEFAULT)
    ]
    if named:
        raise ConfigError(f"--resume picks up a batch review as it was sent: drop {', '.join(named)}")


def _resume(
    batch_id: str,
    watch: _BatchWatch,
    output: str | None,
    base_url: str | None,
    api_key_env: str | None,
    fail_on: str,
) -> None:
    """`review --resume BATCH_ID`: wait for the batch review, write its answer."""
    from packer.review import resume_review

    access = _review_access(base_url, watch.allow_insecure, api_key_env, True, watch.quiet)
    assert access is not None  # strict: no key raises
    watch.endpoint, _, watch.key = access
    watch.batch_id = batch_id
    with watch.interruptible():
        result = resume_review(batch_id, output=output, **watch.sending())
    click.echo("")
    watch.said_gaps(result)
    _fail_on(result, fail_on)


def _fail_on(result: ReviewResult, fail_on: str) -> None:
    """Exit 1 when the review's worst finding is at least --fail-on; 3 (`ApiError`) when,
    short of that, the review is incomplete (a part failed, an answer was cut short)."""
    from packer.errors import ApiError
    from packer.review import SEVERITIES

    worst = result.severity()
    if fail_on != "never" and worst is not None and SEVERITIES.index(worst) >= SEVERITIES.index(fail_on):
        click.echo(f"error: review found [{worst}] findings (--fail-on {fail_on})", err=True)
        sys.exit(1)
    if fail_on != "never" and not result.text.strip():
        raise ApiError(f"the review's answer is empty: --fail-on {fail_on} cannot pass it")
    if fail_on != "never" and not result.complete():
        # A gate never passes on a partial review: what was not reviewed may hold the finding.
        gaps = "; ".join((*result.missing, *(f"{c}, cut short" for c in result.cut_short)))
        raise ApiError(f"the review is incomplete ({gaps}): --fail-on {fail_on} cannot pass it")


@main.command("context")
@click.argument("output", default="packer-context.xml", type=click.Path(dir_okay=False))
@click.argument("path", default=".", type=click.Path(file_okay=False))
@click.option("-b", "--budget", metavar="TOKENS", help="Token budget (default: the target's).")
@click.option("-t", "--target", metavar="NAME", help="Target (default codex).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS))
@click.option("--skeleton", is_flag=True, default=None, help="Skeletons only: a repository map.")
@click.option("--include", multiple=True, metavar="GLOB")
@click.option("--exclude", multiple=True, metavar="GLOB")
@click.option("--config", type=click.Path(dir_okay=False))
@click.option("-q", "--quiet", is_flag=True, help="Nothing on stderr but errors (and the exit-1 line).")
@click.option("-v", "--verbose", is_flag=True)
def context_cmd(
    output: str,
    path: str,
    budget: str | None,
    target: str | None,
    fmt: str | None,
    skeleton: bool | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    config: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Regenerate the committed context file OUTPUT (default packer-context.xml); exit 1 if it
    changed (a pre-commit hook).

    The pack leaves OUTPUT itself out and ranks without git history, so the file changes
    only when the code it describes does.
    """
    import os

    from packer.output import check, ensure_new_placeholder, write_text

    options = Options(
        budget=budget,
        target=target,
        format=fmt,
        skeleton=skeleton,
        include=_tuple_or_none(include),
        exclude=_tuple_or_none(exclude),
        history=False,
        config=config,
    )
    with _errors(verbose):
        root = os.path.abspath(path)
        if check(output):
            raise PackerError(
                f"{output} is not a regular file; the context file is committed: name a "
                "file in the repository"
            )
        # Present while packing, as on every later run: the header counts it as skipped.
        created = ensure_new_placeholder(output)
        old: str | None = None
        if not created:
            with open(output, encoding="utf-8", newline="") as f:
                old = f.read()
        new = _context_text(root, options, output, created)
        if old == new:
            return
        write_text(output, new)
        click.echo(
            f"{output} was {'created' if old is None else 'out of date'} and has been "
            "regenerated; stage it and commit again",
            err=True,
        )
        sys.exit(1)


def _context_text(root: str, options: Options, output: str, created: bool) -> str:
    """The pack for the context file; a placeholder `output` created for it goes if it fails."""
    import io
    import os

    from packer.pipeline import pack as run_pack

    buf = io.StringIO()
    try:
        run_pack(root, options, output=buf, also_written=[output])
    except BaseException:
        if created:
            os.unlink(output)
        raise
    return buf.getvalue()
