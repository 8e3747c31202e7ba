"""The `packer` command: parse flags, call the library, print, map errors to exit codes."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from packer import __version__
from packer.config import FORMATS, TARGETS
from packer.errors import PackerError
from packer.records import KEEP_KINDS
from packer.tokens import ENCODINGS

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def _errors(verbose: bool) -> Iterator[None]:
    """The one place where exceptions become exit codes."""
    try:
        yield
    except PackerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted; nothing was written", err=True)
        sys.exit(130)
    except Exception as exc:  # an internal bug: say so, with the traceback on request
        if verbose:
            traceback.print_exc()
        click.echo(
            f"error: internal error: {type(exc).__name__}: {exc} (run with --verbose for the "
            "traceback and report it)",
            err=True,
        )
        sys.exit(2)


class _Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        click.echo(f"\r{stage}: {done:,}/{total:,} files\x1b[K", err=True, nl=False)

    def close(self) -> None:
        if self.enabled:
            click.echo("\r\x1b[K", err=True, nl=False)


def _common(f: F) -> F:
    """Options shared by `pack` and `stats`: which files are considered."""
    for opt in reversed(
        [
            click.option("--include", multiple=True, metavar="GLOB",
                         help="Only pack files matching GLOB (gitignore syntax). Repeatable."),
            click.option("--exclude", multiple=True, metavar="GLOB",
                         help="Leave out files matching GLOB (gitignore syntax). Repeatable."),
            click.option("--no-gitignore", "no_gitignore", is_flag=True, default=None,
                         help="Ignore .gitignore, .git/info/exclude and global excludes."),
            click.option("--max-file-size", metavar="SIZE",
                         help="Skip files larger than SIZE (default 1mb; 'none' for no limit)."),
            click.option("--keep", multiple=True, type=click.Choice(KEEP_KINDS),
                         help="Keep a kind of file skipped by default. Repeatable."),
            click.option("--encoding", type=click.Choice(ENCODINGS),
                         help="Token encoding (default: the target's, o200k_base)."),
            click.option("--config", type=click.Path(dir_okay=False),
                         help="Config file (default: .packer.toml or pyproject.toml [tool.packer])."),
            click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr."),
            click.option("-v", "--verbose", is_flag=True,
                         help="More detail on stderr; tracebacks for internal errors."),
        ]
    ):
        f = opt(f)
    return f


def _tuple_or_none(values: tuple[str, ...]) -> tuple[str, ...] | None:
    return values or None


@click.group()
@click.version_option(__version__, prog_name="packer")
def main() -> None:
    """Pack a codebase into a model's context window, exactly counted in tokens."""


@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=True))
@click.option("-b", "--budget", metavar="TOKENS",
              help="Token budget for the whole output: 200k, 1m, 350000, or none.")
@click.option("-t", "--target", metavar="NAME",
              help=f"Model window to pack for: {', '.join(TARGETS)} (default codex: 200K of "
                   "Codex's 400K window) or one from config.")
@click.option("--reserve", type=int, metavar="TOKENS",
              help="Tokens kept free for instructions and the answer (api default 32000).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), help="Output format (default xml).")
@click.option("-o", "--output", metavar="FILE", default="-",
              help="Write the pack to FILE (atomically); '-' for stdout (default).")
@click.option("--manifest", metavar="FILE", help="Write the JSON manifest to FILE.")
@_common
def pack(path: str, budget: str | None, target: str | None, reserve: int | None, fmt: str | None,
         output: str, manifest: str | None, include: tuple[str, ...], exclude: tuple[str, ...],
         no_gitignore: bool | None, max_file_size: str | None, keep: tuple[str, ...],
         encoding: str | None, config: str | None, quiet: bool, verbose: bool) -> None:
    """Pack the repository at PATH (default: the current directory) into one file.

    The whole output (header, tree, files) fits the budget exactly in o200k_base tokens.
    Files that do not fit stay in the tree as paths; the manifest says what went in and why.
    """
    from packer.pipeline import pack as run_pack

    progress = _Progress(not quiet)
    with _errors(verbose):
        try:
            result = run_pack(
                path,
                budget=budget,
                target=target,
                reserve=reserve,
                encoding=encoding,
                format=fmt,
                include=_tuple_or_none(include),
                exclude=_tuple_or_none(exclude),
                gitignore=False if no_gitignore else None,
                max_file_size=max_file_size,
                keep=_tuple_or_none(keep),
                config=config,
                output=sys.stdout if output == "-" else output,
                manifest=manifest,
                progress=progress,
            )
        finally:
            progress.close()
    if not quiet:
        for w in result.warnings:
            click.echo(f"warning: {w}", err=True)
        budget_text = "no budget" if result.budget is None else f"budget {result.budget:,}"
        click.echo(
            f"packed {result.stats.files_packed:,} files in full, {result.stats.files_listed:,} "
            f"listed, {result.stats.files_skipped:,} skipped: {result.total_tokens:,} tokens "
            f"({budget_text}, {result.encoding})",
            err=True,
        )
        if verbose:
            stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.stats.seconds.items())
            click.echo(f"time: {stages}", err=True)


@main.command()
@click.argument("path", default=".", type=click.Path(file_okay=True))
@click.option("-n", "--top", type=int, default=20, show_default=True,
              help="How many files and directories to list.")
@click.option("--depth", type=int, default=2, show_default=True,
              help="Directory depth to aggregate at.")
@_common
def stats(path: str, top: int, depth: int, include: tuple[str, ...], exclude: tuple[str, ...],
          no_gitignore: bool | None, max_file_size: str | None, keep: tuple[str, ...],
          encoding: str | None, config: str | None, quiet: bool, verbose: bool) -> None:
    """Show where the tokens are: by directory and by file, largest first.

    Use it to decide what to --exclude before packing.
    """
    from packer.tally import stats as run_stats

    progress = _Progress(not quiet)
    with _errors(verbose):
        try:
            result = run_stats(
                path,
                depth=depth,
                encoding=encoding,
                include=_tuple_or_none(include),
                exclude=_tuple_or_none(exclude),
                gitignore=False if no_gitignore else None,
                max_file_size=max_file_size,
                keep=_tuple_or_none(keep),
                config=config,
                progress=progress,
            )
        finally:
            progress.close()
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
