"""The Batch API: a review's requests sent as one batch, at the batch price, polled and resumed.

`submit` writes the requests as JSON lines (one per request, each under its `custom_id`),
uploads them (`files.create`, purpose "batch") and creates the batch on the endpoint of
the API the requests use (`batches.create`, completion window 24h). `wait` polls it with
backoff until it ends, reporting progress to a callback. `collect` downloads its output
and error files and returns each request's answer or error by `custom_id`: the output file
is in no particular order, and some requests may fail while the others succeed.

What a resume needs (`BatchState`: which batch, which requests under which labels, how the
merge goes) is written to `<cache dir>/batches/<id>.json` (0600, in a 0700 directory) as
soon as the batch exists, and removed once the review is done. It holds no code, no
answer and no key: the requests and their answers stay with the API until collected.
`client` is an `openai.OpenAI`; this module never imports openai itself.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from packer.cache import read_state, state_dir, write_state
from packer.errors import ApiError, ConfigError

ENDPOINTS = {"responses": "/v1/responses", "chat": "/v1/chat/completions"}
COMPLETION_WINDOW = "24h"  # the only window the Batch API offers
MAX_INPUT_BYTES = 200 * 1024 * 1024  # the Batch API's limit on an input file
MAX_REQUESTS = 50_000  # and on the requests in one batch
FINAL = ("completed", "failed", "expired", "cancelled")
STATE_DIR = "batches"
# A batch id names a state file: nothing but the API's own shape may reach a path.
_BATCH_ID = re.compile(r"batch_[A-Za-z0-9_-]{1,200}")


@dataclass(frozen=True)
class BatchState:
    """What resuming a batch review needs; saved while the batch runs."""

    batch_id: str  # the batch running now: the parts', or the merge's
    api: str  # "responses" or "chat"
    model: str
    labels: tuple[tuple[str, str], ...]  # (custom_id, label) of the parts, in order
    max_output_tokens: int
    merge: str | None  # "batch" or "direct"; None: one request, nothing to merge
    endpoint: str  # where it was sent, as shown (no credentials)
    cost_estimate: float  # USD at the batch price
    effort: str | None = None
    verbosity: str | None = None
    stage: str = "parts"  # "merge" once the merge's own batch was created
    parts_batch_id: str = ""  # in the merge stage: the parts' batch

    def to_json(self) -> bytes:
        return json.dumps({"version": 1, **asdict(self)}, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes, where: Path) -> BatchState:
        try:
            raw = json.loads(data)
            if raw.pop("version") != 1:
                raise ValueError("version")
            raw["labels"] = tuple((str(c), str(label)) for c, label in raw["labels"])
            return cls(**raw)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ConfigError(
                f"{where}: not a batch state this packer can read ({exc}); delete it and run the review again"
            ) from exc


@dataclass(frozen=True)
class Progress:
    batch_id: str
    status: str  # validating, in_progress, finalizing, completed, failed, expired, cancelling...
    completed: int
    failed: int
    total: int
    elapsed: float  # seconds since polling began


@dataclass(frozen=True)
class Outcome:
    """A finished batch: its status, each request's answer or error by custom_id."""

    batch_id: str
    status: str
    answers: dict[str, str]
    errors: dict[str, str]  # custom_id -> "code: message"
    usage: dict[str, int]
    problem: str = ""  # why the batch itself failed (its `errors`), or ""
    # custom_id -> why its answer stopped early ("max_output_tokens", "content_filter")
    cut: dict[str, str] = field(default_factory=dict)


def check_id(batch_id: str) -> str:
    if not _BATCH_ID.fullmatch(batch_id):
        raise ConfigError(f"{batch_id!r} is not a batch id: pass the id packer printed (batch_...)")
    return batch_id


def jsonl(api: str, requests: Sequence[tuple[str, dict[str, Any]]]) -> bytes:
    """The batch input: one line per (custom_id, body); refused above the API's limits."""
    url = ENDPOINTS[api]
    lines = [
        json.dumps({"custom_id": cid, "method": "POST", "url": url, "body": body}, ensure_ascii=False)
        for cid, body in requests
    ]
    data = ("\n".join(lines) + "\n").encode()
    if len(lines) > MAX_REQUESTS or len(data) > MAX_INPUT_BYTES:
        raise ConfigError(
            f"the batch would hold {len(lines):,} requests in {len(data):,} bytes, over the Batch "
            f"API's {MAX_REQUESTS:,} requests or {MAX_INPUT_BYTES:,} bytes: use a smaller --target"
        )
    return data


def submit(client: Any, api: str, requests: Sequence[tuple[str, dict[str, Any]]], note: str) -> str:
    """Upload the requests and create their batch; its id. `note` goes in its metadata."""
    data = jsonl(api, requests)
    uploaded = client.files.create(file=("packer-review.jsonl", data), purpose="batch")
    created = client.batches.create(
        input_file_id=uploaded.id,
        endpoint=ENDPOINTS[api],
        completion_window=COMPLETION_WINDOW,
        metadata={"packer": note},
    )
    return str(created.id)


def wait(
    client: Any,
    batch_id: str,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    poll: tuple[float, float] = (5.0, 60.0),
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Poll until the batch ends; the batch. The wait starts at `poll[0]` seconds and grows
    by half each time up to `poll[1]`: a batch takes minutes to hours."""
    start = time.monotonic()
    delay = poll[0]
    while True:
        batch = client.batches.retrieve(batch_id)
        if on_progress is not None:
            counts = batch.request_counts
            on_progress(
                Progress(
                    batch_id,
                    str(batch.status),
                    int(counts.completed) if counts else 0,
                    int(counts.failed) if counts else 0,
                    int(counts.total) if counts else 0,
                    time.monotonic() - start,
                )
            )
        if batch.status in FINAL:
            return batch
        sleep(delay)
        delay = min(poll[1], delay * 1.5)


def collect(client: Any, batch: Any) -> Outcome:
    """Each request's answer (the output file) or error (the error file, or a line of the
    output whose status is not 200), and the tokens used."""
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    usage: dict[str, int] = {}
    cut: dict[str, str] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        for line in client.files.content(file_id).text.splitlines():
            if line.strip():
                _read_line(json.loads(line), answers, errors, usage, cut)
    problem = ""
    if batch.status == "failed" and batch.errors and batch.errors.data:
        first = batch.errors.data[0]
        problem = f"{first.code}: {first.message}" + (f" (line {first.line})" if first.line else "")
    return Outcome(str(batch.id), str(batch.status), answers, errors, usage, problem, cut)


_USAGE = (
    ("input_tokens", ("input_tokens", "prompt_tokens")),
    ("output_tokens", ("output_tokens", "completion_tokens")),
)


def _read_line(
    line: dict[str, Any],
    answers: dict[str, str],
    errors: dict[str, str],
    usage: dict[str, int],
    cut: dict[str, str],
) -> None:
    cid = str(line.get("custom_id", ""))
    response = line.get("response") or {}
    body = response.get("body") or {}
    if line.get("error"):
        errors[cid] = _error_text(line["error"])
    elif response.get("status_code") != 200:
        errors[cid] = _error_text(body.get("error") or {"message": f"status {response.get('status_code')}"})
    else:
        answers[cid] = _answer_text(body)
        why = stop_reason(body)
        if why:
            cut[cid] = why
        used = body.get("usage") or {}
        for mine, theirs in _USAGE:  # Responses' names, then Chat Completions'
            value = next((used[k] for k in theirs if used.get(k)), 0)
            if value:
                usage[mine] = usage.get(mine, 0) + int(value)


def _error_text(error: dict[str, Any]) -> str:
    code = error.get("code") or error.get("type") or "error"
    return f"{code}: {str(error.get('message', ''))[:200]}"


def stop_reason(body: dict[str, Any]) -> str:
    """Why a Responses object or chat completion stopped before its answer's end ("" if it
    did not): "max_output_tokens" (a chat's "length"), "content_filter", or the API's word."""
    if "choices" in body:
        return chat_stop(str(((body.get("choices") or [{}])[0]).get("finish_reason") or ""))
    if body.get("status") != "incomplete":
        return ""
    return str((body.get("incomplete_details") or {}).get("reason") or "unknown")


def chat_stop(finish_reason: str) -> str:
    """A chat completion's `finish_reason` as `stop_reason` says it ("" for a whole answer)."""
    return {"stop": "", "tool_calls": "", "function_call": "", "length": "max_output_tokens"}.get(
        finish_reason, finish_reason
    )


def _answer_text(body: dict[str, Any]) -> str:
    """The text of a Responses object, or of a chat completion."""
    if "choices" in body:
        choices = body.get("choices") or [{}]
        return str((choices[0].get("message") or {}).get("content") or "")
    parts = [
        c.get("text", "")
        for item in body.get("output") or []
        if item.get("type") == "message"
        for c in item.get("content") or []
        if c.get("type") == "output_text"
    ]
    return "".join(parts)


def cancel(client: Any, batch_id: str) -> None:
    client.batches.cancel(batch_id)


def save_state(
    state: BatchState, directory: str | os.PathLike[str] | None = None, *, name: str | None = None
) -> Path:
    """Write `state` under its batch id (or `name`, another id that must resume it)."""
    path = state_dir(STATE_DIR, directory) / f"{check_id(name or state.batch_id)}.json"
    write_state(path, state.to_json())
    return path


def load_state(batch_id: str, directory: str | os.PathLike[str] | None = None) -> BatchState:
    path = state_dir(STATE_DIR, directory) / f"{check_id(batch_id)}.json"
    data = read_state(path)
    if data is None:
        raise ConfigError(
            f"no batch review {batch_id} in {path.parent}: resume with the id packer printed, "
            "and the same --cache-dir (or PACKER_CACHE_DIR)"
        )
    return BatchState.from_json(data, path)


def drop_state(batch_id: str, directory: str | os.PathLike[str] | None = None) -> None:
    path = state_dir(STATE_DIR, directory) / f"{check_id(batch_id)}.json"
    path.unlink(missing_ok=True)


class BatchEnded(ApiError):
    """The batch ended without what the review needs: waiting again, or resuming, cannot
    change that (unlike a network error while waiting), so its state is dropped."""


def require_final(outcome: Outcome) -> None:
    """A batch that failed whole, or was cancelled, answers nothing: say so."""
    if outcome.status == "failed":
        raise BatchEnded(f"batch {outcome.batch_id} failed: {outcome.problem or 'no reason given'}")
    if outcome.status == "cancelled" and not outcome.answers:
        raise BatchEnded(f"batch {outcome.batch_id} was cancelled before any request finished")
