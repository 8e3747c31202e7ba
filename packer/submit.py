"""`packer review`: pack for a task, then send the review request through the openai SDK.

The stages: `plan_review` packs (one pack, or parts above the API window), checks for
unredacted secrets, builds the exact request bodies and prices them; `send_review`
sends them, streaming the answer to a callback and to a file. A split pack is reviewed
map-reduce: one request per part, then one that merges the findings.

Request layout, stable part first so the provider's prompt cache can reuse it across
requests: the instructions, then the pack (its header and repository map lead), then
the task (query, focus) last. Nothing here prints, exits or logs a key or a body.
`openai` is imported only when a request is sent.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from packer.errors import ApiError, ConfigError, CostError, SecretsError
from packer.models import DEFAULT_MODEL, Model, get_model
from packer.records import PackResult, Secret
from packer.task import read_query
from packer.tokens import Counter

APIS = ("responses", "chat")
DEFAULT_MAX_OUTPUT = 16_000
INSTRUCTIONS = """\
You are reviewing a code change or a codebase, given below as a packed repository
(a header, a map of the tree, then files; a diff when there is one). Review for:
correctness bugs, security problems (injection, secrets, unsafe input handling, auth),
risky or breaking changes, and missing tests for what changed. For each finding give
its severity in brackets ([critical], [high], [medium] or [low]), the file and line
(path:line), what is wrong and the fix. Findings first, most severe first; no praise,
no restating the code. If there is nothing to report, say "No findings."
"""
MERGE_INSTRUCTIONS = """\
The same review was run on each part of a repository that was too large for one
request. Below are the findings of every part. Merge them into one review: remove
duplicates, keep each finding's severity, file and line, order by severity.
"""
SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Request:
    label: str  # "review", "part 2 of 5", "merge"
    body: dict[str, Any]  # the keyword arguments of the SDK call, exactly
    input_tokens: int  # exact o200k count of the text content (message framing adds a few)


@dataclass(frozen=True)
class ReviewPlan:
    model: Model
    api: str
    pack: PackResult
    requests: tuple[Request, ...]  # without the merge request of a map-reduce review
    merge: bool  # a final request merges the parts' findings
    max_output_tokens: int
    input_tokens: int  # of every request, the merge one estimated at its largest
    cost_estimate: float  # USD, an upper bound (every request answers at max_output_tokens)
    secrets: tuple[Secret, ...]

    @property
    def request_count(self) -> int:
        return len(self.requests) + (1 if self.merge else 0)

    def dry_run(self) -> dict[str, Any]:
        """What would be sent, as JSON-able data (no key, no headers)."""
        return {
            "model": self.model.name,
            "api": self.api,
            "requests": [{"label": r.label, "input_tokens": r.input_tokens, "body": r.body}
                         for r in self.requests],
            "merge_request": self.merge,
            "cost_estimate_usd": round(self.cost_estimate, 4),
            "secrets_redacted": [{"path": s.path, "line": s.line, "kind": s.kind} for s in self.secrets],
        }


@dataclass(frozen=True)
class ReviewResult:
    plan: ReviewPlan
    text: str
    requests_sent: int
    usage: dict[str, int] = field(default_factory=dict)
    output_path: str | None = None

    def severity(self) -> str | None:
        """The most severe `[level]` tag in the review, or None."""
        lower = self.text.lower()
        found = [s for s in SEVERITIES if f"[{s}]" in lower]
        return found[-1] if found else None


def _read_arg(value: str | None, default: str) -> str:
    if not value:
        return default
    if value.startswith("@"):
        try:
            return Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {value[1:]}: {exc.strerror}; check the path after @") from exc
    return value


def plan_review(
    root: str | os.PathLike[str] = ".",
    *,
    query: str | None = None,
    focus: Sequence[str] = (),
    diff: str | None = None,
    staged: bool = False,
    instructions: str | None = None,
    target: str = "auto",
    model: str = DEFAULT_MODEL,
    max_output_tokens: int = DEFAULT_MAX_OUTPUT,
    api: str = "responses",
    allow_secrets: bool = False,
    max_cost: float | None = None,
    config: str | os.PathLike[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ReviewPlan:
    """Pack for the task and build the exact requests, without sending anything.

    `target`: codex (200K pack), api (the window less the answer), or auto (the smaller
    that holds what the task needs, else parts of the api size and a map-reduce review).
    Raises SecretsError when secrets were allowed into the pack and `allow_secrets` is
    not set, CostError above `max_cost` (USD).
    """
    from packer.pipeline import pack

    if api not in APIS:
        raise ConfigError(f"unknown api {api!r}; use one of: {', '.join(APIS)}")
    if target not in ("auto", "codex", "api"):
        raise ConfigError(f"unknown review target {target!r}; use auto, codex or api")
    from packer.config import load_config_files

    declared = load_config_files(Path(root), Path(config) if config else None)[0].get("models", {})
    m = get_model(model, declared)
    if not 0 < max_output_tokens <= m.max_output:
        raise ConfigError(f"--max-output-tokens must be 1..{m.max_output:,} for {m.name}")
    counter = Counter(m.encoding)
    instr = _read_arg(instructions, INSTRUCTIONS)
    task = _task_text(Path(root), query, focus, diff, staged)
    # What the window must hold besides the pack: instructions, task, the answer.
    room = counter.count(instr) + counter.count(task) + max_output_tokens + 1_000
    with tempfile.TemporaryDirectory(prefix="packer-review-") as tmp:
        out = Path(tmp) / "pack.xml"
        result = pack(root, target=target, reserve=room if target != "codex" else None, query=query,
                      focus=focus, diff=diff, staged=staged, output=out, config=config,
                      progress=progress, allow_secrets=allow_secrets or None)
        paths = [p.path for p in result.parts] if result.parts else [str(out)]
        texts = [Path(p).read_text(encoding="utf-8") for p in paths if p]
    unredacted = [s for s in result.secrets if not s.redacted]
    if unredacted and not allow_secrets:
        first = unredacted[0]
        raise SecretsError(f"{len(unredacted)} unredacted secret(s) in the pack (first: {first.kind} at "
                           f"{first.path}:{first.line}); remove them, let packer redact them, or pass "
                           "--allow-secrets")
    requests = []
    for k, text in enumerate(texts, 1):
        label = "review" if len(texts) == 1 else f"part {k} of {len(texts)}"
        body = _body(api, m.name, instr, text, task, max_output_tokens)
        tokens = counter.count(instr) + counter.count(text) + counter.count(task)
        requests.append(Request(label, body, tokens))
    merge = len(requests) > 1
    total_in = sum(r.input_tokens for r in requests)
    cost = sum(m.cost(r.input_tokens, max_output_tokens) for r in requests)
    if merge:
        merge_in = counter.count(MERGE_INSTRUCTIONS) + len(requests) * max_output_tokens
        total_in += merge_in
        cost += m.cost(merge_in, max_output_tokens)
    plan = ReviewPlan(m, api, result, tuple(requests), merge, max_output_tokens, total_in, cost,
                      tuple(s for s in result.secrets if s.redacted))
    if max_cost is not None and cost > max_cost:
        raise CostError(f"this review may cost up to ${cost:,.2f} ({plan.request_count} request(s), "
                        f"{total_in:,} input tokens), over --max-cost ${max_cost:,.2f}; use a smaller "
                        "--target, --focus the task, or lower --max-output-tokens")
    return plan


def _task_text(root: Path, query: str | None, focus: Sequence[str], diff: str | None,
               staged: bool) -> str:
    lines = ["Task:"]
    if query:
        lines.append(read_query(query, root=root))  # @file and @@text, as `pack` reads them
    if diff is not None or staged:
        lines.append("Review the " + ("staged changes" if staged else f"changes against {diff}")
                     + " (the diff is in the pack) and their effect on the code around them.")
    if focus:
        lines.append("Focus on: " + ", ".join(focus))
    if len(lines) == 1:
        lines.append("Review the repository.")
    return "\n".join(lines) + "\n"


def _body(api: str, model: str, instructions: str, pack_text: str, task: str, max_out: int) -> dict[str, Any]:
    if api == "responses":
        return {
            "model": model,
            "instructions": instructions,
            "input": [{"role": "user", "content": [{"type": "input_text", "text": pack_text},
                                                   {"type": "input_text", "text": task}]}],
            "max_output_tokens": max_out,
        }
    return {
        "model": model,
        "messages": [{"role": "system", "content": instructions},
                     {"role": "user", "content": pack_text + "\n" + task}],
        "max_completion_tokens": max_out,
    }


def send_review(
    plan: ReviewPlan,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    output: str | os.PathLike[str] | None = None,
    on_text: Callable[[str], None] | None = None,
    max_retries: int = 5,
    timeout: float = 600.0,
) -> ReviewResult:
    """Send the planned requests; stream the answer to `on_text` and to `output`.

    Rate limits, 5xx and timeouts are retried by the SDK with exponential backoff before
    a stream starts; a request that succeeded is never sent again. If a request fails
    mid-way, what arrived stays in `output` and the error says so.
    """
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if not key:
        raise ApiError("no API key: set OPENAI_API_KEY (or pass --api-key-env NAME)")
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ApiError("the openai package is missing; pip install openai") from exc
    client = openai.OpenAI(api_key=key, base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
                           max_retries=max_retries, timeout=timeout)
    sink: IO[str] | None = open(output, "w", encoding="utf-8") if output is not None else None  # noqa: SIM115
    usage: dict[str, int] = {}
    answers: list[str] = []
    sent = 0
    received = [0]

    def emit(text: str) -> None:
        received[0] += len(text)
        if on_text:
            on_text(text)
        if sink:
            sink.write(text)
            sink.flush()

    try:
        requests = list(plan.requests)
        for req in requests:
            if len(requests) > 1:
                emit(f"\n## {req.label}\n\n")
            answers.append(_stream(client, plan.api, req.body, emit, usage, openai))
            sent += 1
        if plan.merge:
            emit("\n## merged review\n\n")
            findings = "\n\n".join(f"### {r.label}\n{a}" for r, a in zip(requests, answers, strict=True))
            body = _body(plan.api, plan.model.name, MERGE_INSTRUCTIONS, findings, "Merge these findings.\n",
                         plan.max_output_tokens)
            answers.append(_stream(client, plan.api, body, emit, usage, openai))
            sent += 1
    except ApiError as exc:
        kept = f"; what arrived ({received[0]:,} characters) is in {output}" if output else ""
        raise ApiError(f"{exc} (request {sent + 1} of {plan.request_count}){kept}") from exc
    finally:
        if sink:
            sink.close()
    return ReviewResult(plan, answers[-1] if answers else "", sent, usage,
                        os.fspath(output) if output is not None else None)


def _stream(client: Any, api: str, body: dict[str, Any], emit: Callable[[str], None],
            usage: dict[str, int], openai: Any) -> str:
    parts: list[str] = []
    finished = False
    try:
        if api == "responses":
            for event in client.responses.create(**body, stream=True):
                kind = getattr(event, "type", "")
                if kind == "response.output_text.delta":
                    parts.append(event.delta)
                    emit(event.delta)
                elif kind in ("response.completed", "response.incomplete"):
                    finished = True
                    if event.response.usage is not None:
                        _add(usage, "input_tokens", event.response.usage.input_tokens)
                        _add(usage, "output_tokens", event.response.usage.output_tokens)
                elif kind in ("response.failed", "error"):
                    raise ApiError(f"the model failed mid-answer: {_short(Exception(str(event)))}")
        else:
            stream = client.chat.completions.create(**body, stream=True,
                                                    stream_options={"include_usage": True})
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
                    emit(chunk.choices[0].delta.content)
                if chunk.choices and chunk.choices[0].finish_reason:
                    finished = True
                if getattr(chunk, "usage", None):
                    _add(usage, "input_tokens", chunk.usage.prompt_tokens)
                    _add(usage, "output_tokens", chunk.usage.completion_tokens)
    except openai.AuthenticationError as exc:
        raise ApiError("the API key was refused (401): check OPENAI_API_KEY") from exc
    except openai.NotFoundError as exc:
        raise ApiError(f"model {body['model']!r} not found at this endpoint: pass --model with one it "
                       "serves") from exc
    except openai.BadRequestError as exc:
        if "context" in str(exc).lower():
            raise ApiError("the request is longer than the model's context: use --target codex, a "
                           "smaller --budget in config, or --focus the task") from exc
        raise ApiError(f"the API rejected the request: {_short(exc)}") from exc
    except openai.RateLimitError as exc:
        raise ApiError("rate limited (429) after every retry: wait and run again") from exc
    except openai.APITimeoutError as exc:
        raise ApiError("the request timed out after every retry: run again later") from exc
    except openai.APIConnectionError as exc:
        raise ApiError("cannot reach the API (network down or wrong --base-url)") from exc
    except openai.APIStatusError as exc:
        raise ApiError(f"the API failed ({exc.status_code}) after every retry: run again later") from exc
    except ApiError:
        raise
    except (OSError, ValueError) as exc:  # the stream broke after it started: kept, never resent
        raise ApiError(f"the connection broke mid-answer ({type(exc).__name__})") from exc
    if not finished:
        raise ApiError("the answer stopped before it was complete (the stream ended early)")
    return "".join(parts)


def _add(usage: dict[str, int], key: str, value: int | None) -> None:
    if value:
        usage[key] = usage.get(key, 0) + int(value)


def _short(exc: Exception) -> str:
    text = str(exc).replace("\n", " ")
    return text[:200]


def write_dry_run(plan: ReviewPlan, output: str | os.PathLike[str] | IO[str]) -> None:
    data = json.dumps(plan.dry_run(), ensure_ascii=False, indent=2) + "\n"
    if isinstance(output, (str, os.PathLike)):
        from packer.output import atomic_text

        with atomic_text(output) as f:
            f.write(data)
    else:
        output.write(data)


def review(
    root: str | os.PathLike[str] = ".",
    *,
    query: str | None = None,
    focus: Sequence[str] = (),
    diff: str | None = None,
    staged: bool = False,
    instructions: str | None = None,
    target: str = "auto",
    model: str = DEFAULT_MODEL,
    max_output_tokens: int = DEFAULT_MAX_OUTPUT,
    api: str = "responses",
    allow_secrets: bool = False,
    max_cost: float | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    output: str | os.PathLike[str] | None = None,
    on_text: Callable[[str], None] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> ReviewResult:
    """Pack for the task and send the review: `plan_review` then `send_review`.

    For agents: no confirmation (bound the spend with `max_cost`), no printing; the
    answer streams to `on_text` and `output`. Raises PackerError subclasses.
    """
    plan = plan_review(root, query=query, focus=focus, diff=diff, staged=staged,
                       instructions=instructions, target=target, model=model,
                       max_output_tokens=max_output_tokens, api=api, allow_secrets=allow_secrets,
                       max_cost=max_cost, config=config)
    return send_review(plan, api_key=api_key, base_url=base_url, output=output, on_text=on_text)
