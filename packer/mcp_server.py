"""`packer mcp`: a Model Context Protocol server over stdio, on the official `mcp` SDK.

The tools are thin calls into the library: `pack`, `chunk`, `stats`, `languages` and
`plan_review`. What an agent may touch is fenced here, not in the library:

- Every path (a repository, a file to chunk, an output or manifest) must resolve, `..`
  and symlinks followed, inside an allowed root: the working directory, and each
  `--root DIR`. The walker never follows symlinks, so a pack stays inside its root.
- `query` is the task's text, always: the CLI's `@file` would read any absolute path.
- `plan_review` prices the review and sends nothing unless the call says `send=true`;
  a send is then capped at `DEFAULT_SEND_CAP` USD unless `max_cost` (or the user
  config's `max_cost`) says otherwise. Repository secrets are redacted as in a pack.
- A bad argument, and any `PackerError`, is a tool error (`isError`) whose text says
  how to fix it; the server keeps running.

stdout is the transport: the SDK points file descriptor 1 at stderr while it serves,
and the server logs to stderr only. `mcp` (and the pydantic it brings) is an optional
dependency, `packer[mcp]`: packer imports it only with this module, which without it
raises a `PackerError` naming the extra.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, TypeVar, get_args

from packer import __version__
from packer.config import FORMATS, Options
from packer.errors import NothingToReview, PackerError

INSTALL_HINT = "pip install 'packer[mcp]'"
try:  # pydantic comes with mcp; the tools' argument types are built from it
    import mcp  # noqa: F401
    from pydantic import Field, StrictBool, StrictInt, StrictStr
except ImportError as exc:  # pragma: no cover - packer without its mcp extra
    raise PackerError(f"the MCP server needs the mcp package: {INSTALL_HINT}") from exc

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from packer.records import PackResult
    from packer.review import ReviewPlan

DEFAULT_SEND_CAP = 1.00  # USD a `send=true` review may cost when no cap was chosen

Format = Literal["xml", "markdown", "json", "plain"]
assert get_args(Format) == FORMATS, "Format must list packer.config.FORMATS"

T = TypeVar("T")


@dataclass(frozen=True)
class Roots:
    """The directories the server may read and write under, resolved."""

    paths: tuple[Path, ...]

    @classmethod
    def of(cls, extra: Sequence[str | os.PathLike[str]] = ()) -> Roots:
        """The working directory and `extra`; each must be an existing directory.

        A working directory that is the file system's root (some clients start servers
        there) is not taken implicitly: it would allow every path. `--root /` still can."""
        cwd = Path.cwd().resolve()
        found: dict[Path, None] = {} if cwd == Path(cwd.anchor) else {cwd: None}
        for given in extra:
            real = Path(os.path.realpath(given))
            if not real.is_dir():
                raise PackerError(f"--root {os.fspath(given)}: not a directory; pass an existing directory")
            found[real] = None
        if not found:
            raise PackerError(
                f"the working directory is {cwd}, which would allow every path; start the server "
                "in the repository's directory or pass --root DIR"
            )
        return cls(tuple(found))

    def check(self, value: str, what: str) -> Path:
        """`value` resolved (relative to the working directory); refused unless inside a root."""
        if not value or "\0" in value:
            raise PackerError(f"{what}: give a path (got {value!r})")
        real = Path(os.path.realpath(value))
        if not any(real == root or root in real.parents for root in self.paths):
            shown = "" if str(real) == value else f" (it resolves to {real})"
            allowed = ", ".join(str(r) for r in self.paths)
            raise PackerError(
                f"{what} {value!r} is outside the allowed roots{shown}; use a path under {allowed}, "
                "or start the server with --root DIR"
            )
        return real


def _tool_errors(fn: Callable[..., T]) -> Callable[..., T]:
    """A `PackerError` becomes the SDK's `ToolError`: the agent reads its text, the server
    carries on. Anything else is the SDK's "internal error", logged to stderr."""
    from mcp.server.mcpserver.exceptions import ToolError

    from packer.review import mask_keys

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except PackerError as exc:
            raise ToolError(mask_keys(str(exc))) from exc

    return wrapper


def _literal(query: str | None) -> str | None:
    """The query as text: a leading "@" stays text instead of naming a file to read."""
    return "@" + query if query is not None and query.startswith("@") else query


def pack_summary(result: PackResult) -> dict[str, Any]:
    """The manifest's head: what went in and where, without the per-file lists."""
    modes = Tally(d.mode for d in result.files)
    return {
        "output": result.output_path,
        "total_tokens": result.total_tokens,
        "budget": result.budget,
        "target": result.target,
        "encoding": result.encoding,
        "files_full": modes["full"],
        "files_skeleton": modes["skeleton"],
        "files_listed": result.stats.files_listed,
        "files_skipped": result.stats.files_skipped,
        "duplicates": len(result.duplicates),
        "parts": [
            {"part": p.index, "path": p.path, "total_tokens": p.total_tokens, "files_full": p.files_full}
            for p in result.parts
        ],
        "secrets": [
            {"path": s.path, "line": s.line, "kind": s.kind, "redacted": s.redacted} for s in result.secrets
        ],
        "warnings": list(result.warnings),
    }


# -- the tools' argument types: their descriptions become the schema an agent reads ----------

Path_ = Annotated[StrictStr, Field(description="The repository's directory (inside an allowed root).")]
Query = Annotated[
    StrictStr | None, Field(description="The task in words (an issue, a question); ranks the files.")
]
Focus = Annotated[
    list[StrictStr], Field(description="Files or directories (inside the repository) packed in full.")
]
Diff = Annotated[
    StrictStr | None, Field(description="A git ref: pack the changes against it and the changed files.")
]
Staged = Annotated[StrictBool, Field(description="Pack the staged changes (the index against HEAD).")]
Budget = Annotated[
    StrictInt | StrictStr | None,
    Field(description="Token budget: 200000, '200k', '1m', or 'none'. Default: the target's."),
]
TargetName = Annotated[
    StrictStr | None,
    Field(description="Window to pack for: 'codex' (200K, the default), 'api' (1M), 'auto', or a config's."),
]
Globs = Annotated[list[StrictStr], Field(description="Gitignore-syntax globs.")]
OutputPath = Annotated[
    StrictStr | None,
    Field(description="Write to this file (inside an allowed root) and return a summary instead."),
]


class Tools:
    """The tool functions, bound to the allowed roots."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots

    def pack(
        self,
        path: Path_ = ".",
        query: Query = None,
        focus: Focus = [],  # noqa: B006 - never mutated; the schema shows the default
        diff: Diff = None,
        staged: Staged = False,
        budget: Budget = None,
        target: TargetName = None,
        format: Annotated[Format | None, Field(description="Output format (default xml).")] = None,
        skeleton: Annotated[
            StrictBool | None, Field(description="Code files as skeletons: signatures and docs.")
        ] = None,
        include: Globs = [],  # noqa: B006
        exclude: Globs = [],  # noqa: B006
        output: OutputPath = None,
        manifest: Annotated[
            StrictStr | None, Field(description="Also write the JSON manifest to this file.")
        ] = None,
    ) -> str:
        """Pack a repository into one text under an exact o200k_base token budget, ranked for
        the task (query, focus, diff). Returns the pack text; with `output`, writes the file and
        returns a JSON summary (tokens, files full/skeleton/listed, secrets, warnings)."""
        import io

        from packer.output import format_of_path
        from packer.pipeline import pack

        root = self.roots.check(path, "path")
        out_path = self.roots.check(output, "output") if output is not None else None
        manifest_path = self.roots.check(manifest, "manifest") if manifest is not None else None
        options = Options(
            budget=budget,
            target=target,
            format=format or format_of_path(out_path),  # `output="x.md"`: markdown, as the CLI does
            skeleton=skeleton,
            include=tuple(include) or None,
            exclude=tuple(exclude) or None,
            query=_literal(query),
            focus=tuple(focus),
            diff=diff,
            staged=staged,
        )
        stream = io.StringIO() if out_path is None else None
        result = pack(root, options, output=out_path or stream, manifest=manifest_path)
        if stream is not None:
            return stream.getvalue()
        return json.dumps({**pack_summary(result), "manifest": str(manifest_path) if manifest_path else None})

    def chunk(
        self,
        paths: Annotated[list[StrictStr], Field(min_length=1, description="Files or directories to split.")],
        max_tokens: Annotated[StrictInt, Field(description="Most tokens in one chunk.")] = 512,
        overlap: Annotated[StrictInt, Field(description="Lines repeated before each chunk.")] = 0,
        context: Annotated[
            StrictBool, Field(description="Open each chunk with a line naming its path and scope.")
        ] = False,
        include: Globs = [],  # noqa: B006
        exclude: Globs = [],  # noqa: B006
        offset: Annotated[StrictInt, Field(ge=0, description="Skip this many chunks (paging).")] = 0,
        limit: Annotated[StrictInt, Field(ge=1, le=10_000, description="Return at most this many.")] = 500,
    ) -> dict[str, Any]:
        """Split files into chunks of at most `max_tokens` tokens along their syntax (a function
        that fits stays whole), for retrieval. Secrets are redacted. Returns a page of chunks
        (path, lines, bytes, tokens, symbol, kind, text), the total and the next offset."""
        from packer.chunker import chunk

        for p in paths:
            self.roots.check(p, "path")
        found = list(
            chunk(
                paths,
                max_tokens=max_tokens,
                overlap=overlap,
                context=context,
                include=include,
                exclude=exclude,
            )
        )
        page = found[offset : offset + limit]
        end = offset + len(page)
        return {
            "total": len(found),
            "files": len({c.path for c in found}),
            "next_offset": end if end < len(found) else None,
            "chunks": [_chunk_record(c) for c in page],
        }

    def stats(
        self,
        path: Path_ = ".",
        include: Globs = [],  # noqa: B006
        exclude: Globs = [],  # noqa: B006
        depth: Annotated[StrictInt, Field(ge=0, description="Directory depth to aggregate at.")] = 2,
        top: Annotated[StrictInt, Field(ge=1, description="How many directories and files.")] = 20,
    ) -> dict[str, Any]:
        """Where the tokens are: exact o200k_base tokens by directory and by file, largest first,
        and what is skipped by reason. Use it to choose what to exclude before packing."""
        from packer.stats import stats, summary

        root = self.roots.check(path, "path")
        options = Options(include=tuple(include) or None, exclude=tuple(exclude) or None)
        return summary(stats(root, options, depth=depth), top)

    def languages(self) -> dict[str, Any]:
        """The languages packer recognises: "code" (parsed with a tree-sitter grammar; grammar
        "ok" when it loads), "text" (a text format) or "other", with extensions and file names."""
        from packer.languages import languages_table

        return {
            "languages": [
                {
                    "name": r.name,
                    "kind": r.kind,
                    "grammar": r.grammar,
                    "extensions": list(r.extensions),
                    "filenames": list(r.filenames),
                }
                for r in languages_table()
            ]
        }

    def plan_review(
        self,
        path: Path_ = ".",
        query: Query = None,
        focus: Focus = [],  # noqa: B006
        diff: Diff = None,
        staged: Staged = False,
        target: Annotated[
            Literal["auto", "codex", "api"], Field(description="Pack size; auto: the smaller that holds it.")
        ] = "auto",
        budget: Budget = None,
        model: Annotated[StrictStr, Field(description="gpt-5.5, gpt-5.5-pro, or one in config.")] = "gpt-5.5",
        max_output_tokens: Annotated[StrictInt, Field(ge=1)] = 16_000,
        api: Literal["responses", "chat"] = "responses",
        max_cost: Annotated[
            float | None, Field(ge=0, description="Refuse above this estimate (USD).")
        ] = None,
        send: Annotated[
            StrictBool,
            Field(description="Send the review (OPENAI_API_KEY). Default false: plan and price only."),
        ] = False,
    ) -> dict[str, Any]:
        """Plan a code review of the repository for the task: pack it, build the exact requests
        and estimate their cost, without sending. Only `send=true` sends them (capped at $1.00
        unless `max_cost` or the user config's max_cost says otherwise) and returns the review."""
        root = self.roots.check(path, "path")
        options = Options(
            query=_literal(query), focus=tuple(focus), diff=diff, staged=staged, target=target, budget=budget
        )
        try:
            return _review(root, options, model, max_output_tokens, api, max_cost, send)
        except NothingToReview as exc:
            return {"sent": False, "nothing_to_review": str(exc)}


def _chunk_record(c: Any) -> dict[str, Any]:
    """A chunk as `packer chunk` writes it (embed_text included)."""
    return dict(c.row())


def _review(
    root: Path,
    options: Options,
    model: str,
    max_output_tokens: int,
    api: str,
    max_cost: float | None,
    send: bool,
) -> dict[str, Any]:
    """Plan (and, with `send`, send) as `packer review --dry-run` (or `--yes`) does."""
    from packer.config import load_user_config
    from packer.review import (
        check_endpoint,
        map_reduce_cap_error,
        plan_review,
        resolve_api_key,
        resolve_endpoint,
        send_review,
    )

    cap = max_cost if max_cost is not None else load_user_config().max_cost
    key = endpoint = ""
    if send:  # checked before packing: nothing is walked for a review that cannot go
        endpoint = resolve_endpoint(None)
        check_endpoint(endpoint)
        key = resolve_api_key(None)
    plan = plan_review(
        root,
        options,
        model=model,
        max_output_tokens=max_output_tokens,
        api=api,
        max_cost=DEFAULT_SEND_CAP if send and cap is None else cap,
    )
    planned = _plan_record(plan)
    if not send:
        return planned
    if plan.merge and cap is None:  # the default cap does not count, as for `review --yes`
        raise map_reduce_cap_error(plan)
    result = send_review(plan, api_key=key, base_url=endpoint)
    return {
        **planned,
        "sent": True,
        "requests_sent": result.requests_sent,
        "severity": result.severity(),
        "usage": result.usage,
        "review": result.text,
        # An agent must not read a partial review as a clean one.
        "complete": result.complete(),
        "cut_short": list(result.cut_short),
    }


def _plan_record(plan: ReviewPlan) -> dict[str, Any]:
    """The dry run without the request bodies (the pack itself), and the pack's summary."""
    return {
        "sent": False,
        "model": plan.model.name,
        "api": plan.api,
        "route": plan.route,
        "reasoning_effort": plan.effort,
        "verbosity": plan.verbosity,
        "requests": [{"label": r.label, "input_tokens": r.input_tokens} for r in plan.requests],
        "request_count": plan.request_count,
        "merge_request": plan.merge,
        "input_tokens": plan.input_tokens,
        "max_output_tokens": plan.max_output_tokens,
        "cost_estimate_usd": round(plan.cost_estimate, 4),
        "max_cost_usd": plan.max_cost,
        "secrets_redacted": [{"path": s.path, "line": s.line, "kind": s.kind} for s in plan.secrets],
        "pack": pack_summary(plan.pack),
    }


class _KnownArguments:
    """Middleware: a `tools/call` naming an argument the tool does not take is an error,
    not silently ignored (a misspelt `budjet` would pack at the default budget)."""

    def __init__(self, params: Mapping[str, frozenset[str]]) -> None:
        self.params = params

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Any]) -> Any:
        raw = ctx.params if ctx.method == "tools/call" else None
        if isinstance(raw, Mapping) and isinstance(raw.get("arguments"), Mapping):
            known = self.params.get(raw.get("name", ""))
            unknown = sorted(set(raw["arguments"]) - known) if known is not None else []
            if unknown and known is not None:
                from mcp_types import CallToolResult, TextContent

                text = (
                    f"Error executing tool {raw['name']}: unknown argument(s) {', '.join(unknown)}; "
                    f"it takes: {', '.join(sorted(known)) or 'none'}"
                )
                return CallToolResult(content=[TextContent(text=text)], is_error=True)
        return await call_next(ctx)


def build_server(roots: Roots) -> MCPServer[Any]:
    """The server with its tools; `run()` serves it over stdio."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.tools import Tool

    tools = Tools(roots)
    registered = [
        Tool.from_function(_tool_errors(tools.pack), name="pack", structured_output=False),
        Tool.from_function(_tool_errors(tools.chunk), name="chunk"),
        Tool.from_function(_tool_errors(tools.stats), name="stats"),
        Tool.from_function(_tool_errors(tools.languages), name="languages"),
        Tool.from_function(_tool_errors(tools.plan_review), name="plan_review"),
    ]
    params = {t.name: frozenset(t.parameters.get("properties", {})) for t in registered}
    return MCPServer(
        "packer",
        version=__version__,
        instructions="Pack a codebase into a context window, exactly counted in o200k_base tokens.",
        tools=registered,
        log_level="WARNING",
        middleware=[_KnownArguments(params)],
    )


class _Parser(argparse.ArgumentParser):
    """A usage error is one `error:` line and exit status 1, as everywhere in packer."""

    def error(self, message: str) -> NoReturn:
        raise PackerError(f"{message}; see packer mcp --help")


def main(argv: Sequence[str] | None = None) -> int:
    """`packer mcp [--root DIR]...`: serve the tools over stdio until the client hangs up."""
    parser = _Parser(
        prog="packer mcp",
        description="Serve packer's tools over MCP (stdio). Paths must be inside the working "
        "directory or a --root.",
    )
    parser.add_argument(
        "--root", action="append", default=[], metavar="DIR", help="Also allow DIR. Repeatable."
    )
    try:
        server = build_server(Roots.of(parser.parse_args(argv).root))
    except PackerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # bm25s logs every index it builds, at DEBUG (a level it sets when imported): keep warnings.
    logging.getLogger("bm25s").addFilter(lambda record: record.levelno >= logging.WARNING)
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
