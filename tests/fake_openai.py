"""A local OpenAI-compatible HTTP server for tests: real HTTP, real SDK on the other side.

Model requests (`POST /v1/responses`, `POST /v1/chat/completions`; any other POST that is
not a Files or Batch route is treated as a Responses request, as before):

`FakeOpenAI().script` is a list of what to do with the next requests: "ok" (stream an
answer), an HTTP status (429, 500, 401, 404), "context" (a 400 context-length error),
"cut" (start streaming, then drop the connection), "echo" (a 400 whose message quotes
the Authorization header and the key), "short" or "filtered" (the answer, then the model
stops early: a Responses object `"status": "incomplete"` with `incomplete_details.reason`
"max_output_tokens" or "content_filter", streamed as a `response.incomplete` event; a
chat completion's `finish_reason` "length" or "content_filter"). When the script is empty every
request gets "ok". A request with `"stream": true` gets the answer as server-sent
events; one without gets a whole `response` / `chat.completion` object ("cut" then
drops the connection half-way through the body). The answer is `fake.answer`.

Image parts are checked in every model request and in every batch input line: a
Responses `{"type": "input_image", "image_url": URL, "detail"?}` part and a Chat
`{"type": "image_url", "image_url": {"url": URL, "detail"?}}` part must carry a data URL
`data:image/(png|jpeg|webp|gif);base64,...` whose strictly decoded bytes start with the
magic number of that MIME type, and a `detail`, if any, of "low", "high", "auto" or
"original". Images are allowed in user messages only: not in Responses `instructions`,
not in system or developer messages. A bad image gets a 400 `invalid_image` error
("Invalid image in content[K]: why", K the part's index in its message) before the
script is consulted (no script action is used up); in a batch it fails that line only.
Every image part seen is appended to `fake.images` as `{"mime", "bytes", "detail",
"where", "error"}` (`where` is "responses", "chat" or "batch:<custom_id>"; `error` is
None for a good one; `mime` and `bytes` are None when they could not be read).
Other body fields (`reasoning`, `text`, `reasoning_effort`, `verbosity`, ...) are
accepted and recorded as sent.

Files: `POST /v1/files` (multipart: `purpose`, `file`), `GET /v1/files`,
`GET /v1/files/{id}`, `GET /v1/files/{id}/content` (the raw bytes), `DELETE
/v1/files/{id}`. Stored in `fake.files[id] = {"object": FileObject dict, "data": bytes}`.

Batches: `POST /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`,
`GET /v1/batches`. A create checks its parameters (HTTP 400/404 when wrong), then the
input file's lines (unique `custom_id`, `method` "POST", `url` equal to the endpoint, a
`body` with a `model`, no `"stream": true`): a bad file makes the batch end `failed`,
with `errors.data` one `{"code", "message", "line", "param"}` per bad line. The batch
starts `validating` and every retrieve moves it one step on: `in_progress` for
`fake.batch_steps` retrieves (request_counts growing), then `finalizing`, then
`completed`. Knobs, read when a batch is created:

- `batch_steps` (2): how many retrieves the batch stays `in_progress`.
- `batch_final` ("completed"): or "failed" (straight from `validating`, `errors`
  filled, no files) or "expired" (after `in_progress`; the first half of the lines, in
  input order, done, the rest `batch_expired` in the error file; counted as failed).
- `batch_fail_ids` (empty set): custom_ids whose requests fail (error file).
- `batch_error_style` ("error"): failed lines as `{"id", "custom_id", "response": None,
  "error": {"code", "message"}}`; or "status": `{"id", "custom_id", "response":
  {"status_code": 500 (400 for a bad image), "request_id", "body": {"error": {...}}},
  "error": None}`. `batch_expired` lines always have the "error" shape.
- `batch_answer(custom_id)`: the answer text of one request (override to change it).
- `batch_echo` (False): a failed line's message quotes the Authorization header the batch
  was created with (a careless server, as the "echo" action).
- `batch_cut` (empty dict): custom_id -> "max_output_tokens" or "content_filter": that
  request's answer stops early, as the "short" and "filtered" script actions.

Output lines are `{"id": "batch_req_N", "custom_id", "response": {"status_code": 200,
"request_id": "req_N", "body": BODY}, "error": None}`, BODY a Responses or
`chat.completion` object, in reverse input order (the real API keeps no order). A
cancel makes the batch `cancelling`, and `cancelled` on the next retrieve, with the
lines already done in the output / error files; lines never run appear in neither.
`fake.cancelled` lists the cancelled batch ids; `fake.batches[id]` is `{"batch": the
Batch dict, "lines": the input lines parsed (a line that is not JSON stays a str), ...}`.

Every request is recorded in `fake.requests` as `{"method", "path", "headers", "body"}`
(body: the JSON sent, None for a GET or DELETE, and for an upload the multipart fields:
`{"purpose": str, "file": {"filename", "content_type", "bytes"}}`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ENDPOINTS = ("/v1/responses", "/v1/chat/completions")
FINAL = ("completed", "failed", "expired", "cancelled")
DETAILS = ("low", "high", "auto", "original")
DATA_URL = re.compile(r"data:image/(png|jpeg|webp|gif);base64,(.*)", re.DOTALL)
FILE_ROUTE = re.compile(r"/v1/files(?:/([^/]+)(/content)?)?")
BATCH_ROUTE = re.compile(r"/v1/batches(?:/([^/]+)(/cancel)?)?")
USAGE = {"input_tokens": 1234, "output_tokens": 56}
STOPS = {"short": "max_output_tokens", "filtered": "content_filter"}  # script action -> reason


class FakeOpenAI:
    def __init__(self, answer: str = "[high] a.py:1: something is wrong.\nFix it.") -> None:
        self.answer = answer
        self.script: list[str | int] = []
        self.requests: list[dict[str, Any]] = []
        self.images: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.cancelled: list[str] = []
        self.batch_steps = 2
        self.batch_final = "completed"
        self.batch_fail_ids: set[str] = set()
        self.batch_error_style = "error"
        self.batch_cut: dict[str, str] = {}
        self.batch_echo = False
        self.lock = threading.RLock()
        self._counters: dict[str, int] = {}
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def next_action(self) -> str | int:
        with self.lock:
            return self.script.pop(0) if self.script else "ok"

    def batch_answer(self, custom_id: str) -> str:
        """The answer of one batch request; override to change it."""
        return f"[medium] {custom_id}.py:1: finding from {custom_id}.\n"

    def new_id(self, prefix: str) -> str:
        """The next id with this prefix: "file-1", "batch_1", "batch_req_1", ..."""
        with self.lock:
            n = self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return f"{prefix}{n}"

    def add_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        """Store a file, as an upload would; its File object."""
        obj = {
            "id": self.new_id("file-"),
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self.lock:
            self.files[obj["id"]] = {"object": obj, "data": data}
        return obj


def _error(status: int) -> dict[str, Any]:
    kinds = {
        429: ("rate_limit_exceeded", "Rate limit reached"),
        500: ("server_error", "boom"),
        401: ("invalid_api_key", "Incorrect API key provided"),
        404: ("model_not_found", "The model does not exist"),
    }
    code, message = kinds.get(status, ("error", "error"))
    return {"error": {"message": message, "type": code, "code": code, "param": None}}


def _invalid(message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code, "param": param}}


class _HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status, self.body = status, body


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # -- routing ---------------------------------------------------------------

    def do_GET(self) -> None:
        self._record(None)
        self._route("GET")

    def do_DELETE(self) -> None:
        self._read()
        self._record(None)
        self._route("DELETE")

    def do_POST(self) -> None:
        path = self._path()
        if path == "/v1/files":
            self._upload()
            return
        raw = self._read()
        if BATCH_ROUTE.fullmatch(path) or FILE_ROUTE.fullmatch(path):
            body = json.loads(raw or b"{}")
            self._record(body)
            self._route("POST", body)
            return
        self._model(json.loads(raw or b"{}"))

    def _route(self, method: str, body: Any = None) -> None:
        path = self._path()
        try:
            if m := FILE_ROUTE.fullmatch(path):
                self._files(method, m.group(1), bool(m.group(2)))
            elif m := BATCH_ROUTE.fullmatch(path):
                self._batches(method, m.group(1), bool(m.group(2)), body)
            else:
                raise _HttpError(404, _invalid(f"Invalid URL ({method} {path})"))
        except _HttpError as exc:
            self._json(exc.status, exc.body)

    def _path(self) -> str:
        return urlsplit(self.path).path

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def _read(self) -> bytes:
        return self.rfile.read(int(self.headers.get("content-length", 0)))

    def _record(self, body: Any) -> None:
        entry = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        with self.fake.lock:
            self.fake.requests.append(entry)

    # -- files -----------------------------------------------------------------

    def _upload(self) -> None:
        try:
            fields = _multipart(self.headers.get("content-type", ""), self._read())
        except ValueError as exc:
            self._record(None)
            self._json(400, _invalid(f"Invalid multipart body: {exc}"))
            return
        file = fields.get("file")
        purpose = fields.get("purpose")
        self._record(_upload_record(fields))
        if file is None or file[0] is None:
            self._json(400, _invalid("Missing file", "missing_required_parameter", "file"))
        elif purpose is None:
            self._json(400, _invalid("Missing purpose", "missing_required_parameter", "purpose"))
        else:
            self._json(200, self.fake.add_file(file[2], file[0], purpose[2].decode()))

    def _files(self, method: str, file_id: str | None, content: bool) -> None:
        if file_id is None and method == "GET":
            purpose = self._query().get("purpose")
            with self.fake.lock:
                objs = [f["object"] for f in self.fake.files.values()]
            self._json(200, _page([o for o in objs if purpose in (None, o["purpose"])][::-1], self._query()))
            return
        if file_id is None:
            raise _HttpError(404, _invalid(f"Invalid URL ({method} {self._path()})"))
        stored = self._file(file_id)
        if method == "DELETE" and not content:
            with self.fake.lock:
                del self.fake.files[file_id]
            self._json(200, {"id": file_id, "object": "file", "deleted": True})
        elif method == "GET" and content:
            self._bytes(200, stored["data"])
        elif method == "GET":
            self._json(200, stored["object"])
        else:
            raise _HttpError(404, _invalid(f"Invalid URL ({method} {self._path()})"))

    def _file(self, file_id: str) -> dict[str, Any]:
        with self.fake.lock:
            stored = self.fake.files.get(file_id)
        if stored is None:
            raise _HttpError(404, _invalid(f"No such File object: {file_id}", None, "id"))
        return stored

    # -- batches ---------------------------------------------------------------

    def _batches(self, method: str, batch_id: str | None, cancel: bool, body: Any) -> None:
        if batch_id is None and method == "POST":
            self._json(200, _create_batch(self.fake, body))
        elif batch_id is None and method == "GET":
            with self.fake.lock:
                objs = [dict(b["batch"]) for b in self.fake.batches.values()]
            self._json(200, _page(objs[::-1], self._query()))
        elif batch_id is not None and cancel and method == "POST":
            self._json(200, _cancel_batch(self.fake, batch_id))
        elif batch_id is not None and not cancel and method == "GET":
            self._json(200, _retrieve_batch(self.fake, batch_id))
        else:
            raise _HttpError(404, _invalid(f"Invalid URL ({method} {self._path()})"))

    # -- model requests --------------------------------------------------------

    def _model(self, body: Any) -> None:
        self._record(body)
        chat = self.path.endswith("/chat/completions")
        bad = _image_problem(self.fake, body, chat, "chat" if chat else "responses")
        if bad is not None:
            self._json(400, _invalid(bad[0], "invalid_image", bad[1]))
            return
        action = self.fake.next_action()
        if isinstance(action, int):
            self._json(action, _error(action), {"retry-after-ms": "5"})
            return
        if action == "echo":  # a careless server that quotes the credentials back in its error
            auth = self.headers.get("authorization", "")
            self._json(400, _invalid(f"malformed request; you sent {auth} (key {auth.split()[-1]})", "bad"))
            return
        if action == "context":
            message = "This model's maximum context length is 1000000 tokens"
            self._json(400, _invalid(message, "context_length_exceeded", "input"))
            return
        if isinstance(body, dict) and body.get("stream") is True:
            self._stream(body, chat, action)
        else:
            self._whole(body, chat, action)

    def _whole(self, body: dict[str, Any], chat: bool, action: str) -> None:
        answer, stop = self.fake.answer, STOPS.get(action, "")
        data = (
            _chat_completion(body, answer, "chatcmpl-1", stop) if chat else _response(body, answer, "1", stop)
        )
        if action != "cut":
            self._json(200, data)
            return
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw[: len(raw) // 2])
        self.wfile.flush()
        self.close_connection = True

    def _stream(self, body: dict[str, Any], chat: bool, action: str) -> None:
        stop = STOPS.get(action, "")
        events = (
            _chat_events(body, self.fake.answer, stop)
            if chat
            else _responses_events(body, self.fake.answer, stop)
        )
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        if action != "cut":
            self.send_header("content-length", str(sum(len(e.encode()) for e in events)))
        self.end_headers()
        for k, event in enumerate(events):
            if action == "cut" and k == 3:
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(event.encode())
            self.wfile.flush()
            time.sleep(0.001)

    # -- answers ---------------------------------------------------------------

    def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._bytes(status, json.dumps(data).encode(), "application/json", headers)

    def _bytes(
        self,
        status: int,
        raw: bytes,
        content_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)


def _page(objs: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """A cursor page, newest first, honouring `after` and `limit`."""
    ids = [o["id"] for o in objs]
    after = query.get("after")
    start = ids.index(after) + 1 if after in ids else 0
    limit = int(query.get("limit", 20))
    data = objs[start : start + limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(objs),
    }


# -- multipart ---------------------------------------------------------------------


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, str, bytes]]:
    """The fields of a multipart/form-data body: name -> (filename, content type, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        raise ValueError(f"expected multipart/form-data, got {content_type or 'nothing'}")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        raise ValueError("no parts")
    fields: dict[str, tuple[str | None, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a part without a name")
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        fields[name] = (part.get_filename(), part.get_content_type(), data)
    return fields


def _upload_record(fields: dict[str, tuple[str | None, str, bytes]]) -> dict[str, Any]:
    """What an upload is recorded as: the text fields, and the file described, not its bytes."""
    out: dict[str, Any] = {}
    for name, (filename, content_type, data) in fields.items():
        if filename is None:
            out[name] = data.decode(errors="replace")
        else:
            out[name] = {"filename": filename, "content_type": content_type, "bytes": len(data)}
    return out


# -- images ------------------------------------------------------------------------

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
}


def _magic_ok(mime: str, data: bytes) -> bool:
    if mime == "webp":
        return len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return data.startswith(_MAGIC[mime])


def _check_image(url: Any, detail: Any) -> tuple[dict[str, Any], str | None]:
    """What is known of one image (mime, bytes, detail) and why it is bad, or None."""
    info: dict[str, Any] = {"mime": None, "bytes": None, "detail": detail}
    if not isinstance(url, str):
        return info, "the image URL is missing or not a string"
    m = DATA_URL.fullmatch(url)
    if m is None:
        return info, "expected a data URL data:image/(png|jpeg|webp|gif);base64,..."
    info["mime"] = f"image/{m.group(1)}"
    try:
        data = base64.b64decode(m.group(2), validate=True)
    except (binascii.Error, ValueError):
        return info, "the base64 data does not decode"
    info["bytes"] = len(data)
    if not _magic_ok(m.group(1), data):
        return info, f"the bytes are not a {info['mime']} image"
    if detail is not None and detail not in DETAILS:
        return info, f"detail must be one of {', '.join(DETAILS)}, not {detail!r}"
    return info, None


def _image_parts(body: dict[str, Any], chat: bool) -> Iterator[tuple[str, int, str, Any, Any]]:
    """Every image part in a body: (where it is, index in its content, role, url, detail)."""
    if chat:
        messages = body.get("messages")
        for msg in messages if isinstance(messages, list) else []:
            for k, part in _content(msg):
                if part.get("type") == "image_url":
                    image = part.get("image_url")
                    image = image if isinstance(image, dict) else {"url": image}
                    yield "messages", k, str(msg.get("role")), image.get("url"), image.get("detail")
        return
    for param in ("instructions", "input"):
        items = body.get(param)
        for item in items if isinstance(items, list) else []:
            parts = [(0, item)] if isinstance(item, dict) and item.get("type") == "input_image" else []
            for k, part in parts or _content(item):
                if part.get("type") == "input_image":
                    role = str(item.get("role", "user")) if param == "input" else "instructions"
                    yield param, k, role, part.get("image_url"), part.get("detail")


def _content(message: Any) -> list[tuple[int, dict[str, Any]]]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [(k, part) for k, part in enumerate(content) if isinstance(part, dict)]


def _image_problem(fake: FakeOpenAI, body: Any, chat: bool, where: str) -> tuple[str, str] | None:
    """Check and record every image of a body; the first problem as (message, param), or None."""
    if not isinstance(body, dict):
        return None
    first: tuple[str, str] | None = None
    for param, k, role, url, detail in _image_parts(body, chat):
        info, why = _check_image(url, detail)
        if why is None and role == "instructions":
            why = "input_image is not allowed in instructions"
        elif why is None and role != "user":
            why = f"images are only allowed in user messages, not in a {role} message"
        with fake.lock:
            fake.images.append({**info, "where": where, "error": why})
        if why is not None and first is None:
            first = (f"Invalid image in content[{k}]: {why}", param)
    return first


# -- batches -----------------------------------------------------------------------


def _create_batch(fake: FakeOpenAI, body: Any) -> dict[str, Any]:
    endpoint, _, file_id = _batch_params(body)
    with fake.lock:
        stored = fake.files.get(file_id)
    if stored is None:
        raise _HttpError(404, _invalid(f"No such File object: {file_id}", None, "input_file_id"))
    if stored["object"]["purpose"] != "batch":
        message = f"The input file must have purpose 'batch', not {stored['object']['purpose']!r}"
        raise _HttpError(400, _invalid(message, "invalid_file_purpose", "input_file_id"))
    lines, problems = _read_lines(stored["data"], endpoint)
    batch_id = fake.new_id("batch_")
    now = int(time.time())
    record = {
        "batch": _batch_object(batch_id, body, now, _model_of(lines)),
        "lines": lines,
        "problems": problems,
        "failures": _line_failures(fake, lines, problems, endpoint),
        "steps": fake.batch_steps,
        "final": fake.batch_final,
        "style": fake.batch_error_style,
        "ticks": 0,
        "done": 0,
    }
    with fake.lock:
        fake.batches[batch_id] = record
        return dict(record["batch"])


def _batch_params(body: Any) -> tuple[str, str, str]:
    if not isinstance(body, dict):
        raise _HttpError(400, _invalid("The body must be a JSON object"))
    endpoint, window, file_id = body.get("endpoint"), body.get("completion_window"), body.get("input_file_id")
    if endpoint not in ENDPOINTS:
        raise _HttpError(400, _invalid(f"Unsupported endpoint {endpoint!r}", "invalid_value", "endpoint"))
    if window != "24h":
        message = f"completion_window must be '24h', not {window!r}"
        raise _HttpError(400, _invalid(message, "invalid_value", "completion_window"))
    if not isinstance(file_id, str):
        message = "input_file_id is required"
        raise _HttpError(400, _invalid(message, "missing_required_parameter", "input_file_id"))
    metadata = body.get("metadata")
    if metadata is not None and not (
        isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())
    ):
        raise _HttpError(400, _invalid("metadata must map strings to strings", "invalid_value", "metadata"))
    return endpoint, window, file_id


def _batch_object(batch_id: str, body: dict[str, Any], now: int, model: str | None) -> dict[str, Any]:
    return {
        "id": batch_id,
        "object": "batch",
        "endpoint": body["endpoint"],
        "model": model,
        "errors": None,
        "input_file_id": body["input_file_id"],
        "completion_window": body["completion_window"],
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": now,
        "in_progress_at": None,
        "expires_at": now + 24 * 3600,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
        "usage": None,
    }


def _model_of(lines: list[Any]) -> str | None:
    for line in lines:
        body = line.get("body") if isinstance(line, dict) else None
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            return str(body["model"])
    return None


def _read_lines(data: bytes, endpoint: str) -> tuple[list[Any], list[dict[str, Any]]]:
    """The input file's lines (parsed; a line that is not JSON kept as its text) and its problems."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [], [_problem("invalid_file", "The input file is not UTF-8", None, None)]
    lines: list[Any] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            lines.append(raw)
            problems.append(_problem("invalid_json_line", f"Line {n} is not valid JSON", n, None))
            continue
        lines.append(line)
        why = _line_problem(line, endpoint, seen)
        if why is not None:
            problems.append(_problem(why[0], why[1], n, why[2]))
    if not lines:
        problems.append(_problem("empty_file", "The input file is empty", None, None))
    return lines, problems


def _problem(code: str, message: str, line: int | None, param: str | None) -> dict[str, Any]:
    return {"code": code, "message": message, "line": line, "param": param}


def _line_problem(line: Any, endpoint: str, seen: set[str]) -> tuple[str, str, str | None] | None:
    """Why one parsed input line is invalid, as (code, message, param), or None."""
    if not isinstance(line, dict):
        return "invalid_json_line", "The line is not a JSON object", None
    cid = line.get("custom_id")
    if not isinstance(cid, str) or not cid:
        return "missing_required_parameter", "The line has no custom_id", "custom_id"
    if cid in seen:
        return "duplicate_custom_id", f"The custom_id {cid!r} is used more than once", "custom_id"
    seen.add(cid)
    if line.get("method") != "POST":
        return "invalid_method", f"method must be 'POST', not {line.get('method')!r}", "method"
    if line.get("url") != endpoint:
        return "invalid_url", f"url must be the batch's endpoint {endpoint}, not {line.get('url')!r}", "url"
    body = line.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return "missing_required_parameter", "The line's body has no model", "body.model"
    if body.get("stream") is True:
        return "invalid_value", "Streaming is not supported in a batch", "body.stream"
    return None


def _line_failures(
    fake: FakeOpenAI, lines: list[Any], problems: list[dict[str, Any]], endpoint: str
) -> dict[str, tuple[int, dict[str, Any]]]:
    """The requests that will fail: custom_id -> (HTTP status, error), for a file that validated."""
    if problems:
        return {}
    chat = endpoint.endswith("/chat/completions")
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    for line in lines:
        cid = line["custom_id"]
        bad = _image_problem(fake, line["body"], chat, f"batch:{cid}")
        if bad is not None:
            out[cid] = (400, _invalid(bad[0], "invalid_image", bad[1])["error"])
        elif cid in fake.batch_fail_ids:
            message = f"The request {cid} failed (server_error)"
            if fake.batch_echo:  # the batch create's Authorization header, quoted back
                headers = fake.requests[-1]["headers"] if fake.requests else {}
                auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
                message += f"; you sent Authorization: {auth}"
            out[cid] = (500, _error(500)["error"] | {"message": message})
    return out


def _retrieve_batch(fake: FakeOpenAI, batch_id: str) -> dict[str, Any]:
    with fake.lock:
        record = fake.batches.get(batch_id)
        if record is None:
            raise _HttpError(404, _invalid(f"No such Batch object: {batch_id}", None, "batch_id"))
        _advance(fake, record)
        return dict(record["batch"])


def _cancel_batch(fake: FakeOpenAI, batch_id: str) -> dict[str, Any]:
    with fake.lock:
        record = fake.batches.get(batch_id)
        if record is None:
            raise _HttpError(404, _invalid(f"No such Batch object: {batch_id}", None, "batch_id"))
        batch = record["batch"]
        if batch["status"] in FINAL:
            message = f"Cannot cancel a batch with status {batch['status']!r}"
            raise _HttpError(409, _invalid(message, "batch_not_cancellable", None))
        if batch["status"] != "cancelling":
            batch["status"], batch["cancelling_at"] = "cancelling", int(time.time())
            fake.cancelled.append(batch_id)
        return dict(batch)


def _advance(fake: FakeOpenAI, record: dict[str, Any]) -> None:
    """Move a batch one step on (the caller holds the lock)."""
    batch = record["batch"]
    now = int(time.time())
    if batch["status"] in FINAL:
        return
    if batch["status"] == "cancelling":
        _finish(fake, record, "cancelled")
        return
    if record["problems"] or record["final"] == "failed":
        _fail(record, now)
        return
    record["ticks"] += 1
    steps, total = record["steps"], len(record["lines"])
    target = total if record["final"] == "completed" else total // 2
    if record["ticks"] <= steps:
        batch["status"] = "in_progress"
        batch["in_progress_at"] = batch["in_progress_at"] or now
        record["done"] = target * record["ticks"] // (steps + 1)
        _count(record)
    elif record["final"] == "expired":
        record["done"] = target
        _finish(fake, record, "expired")
    elif record["ticks"] == steps + 1:
        batch["status"], batch["finalizing_at"] = "finalizing", now
        batch["in_progress_at"] = batch["in_progress_at"] or now
        record["done"] = total
        _count(record)
    else:
        _finish(fake, record, "completed")


def _fail(record: dict[str, Any], now: int) -> None:
    problems = record["problems"] or [
        _problem("batch_failed", "The batch failed (FakeOpenAI.batch_final = 'failed')", None, None)
    ]
    batch = record["batch"]
    batch["status"], batch["failed_at"] = "failed", now
    batch["errors"] = {"object": "list", "data": problems}


def _count(record: dict[str, Any]) -> None:
    done = record["lines"][: record["done"]]
    failed = sum(1 for line in done if line["custom_id"] in record["failures"])
    record["batch"]["request_counts"] = {
        "total": len(record["lines"]),
        "completed": len(done) - failed,
        "failed": failed,
    }


def _finish(fake: FakeOpenAI, record: dict[str, Any], status: str) -> None:
    """End a batch: write its output and error files, set its counts and time."""
    batch = record["batch"]
    endpoint = batch["endpoint"]
    outputs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for line in record["lines"][: record["done"]]:
        failure = record["failures"].get(line["custom_id"])
        if failure is None:
            outputs.append(_output_line(fake, line, endpoint))
        else:
            errors.append(_error_line(fake, line["custom_id"], failure, record["style"]))
    if status == "expired":
        expired = record["lines"][record["done"] :]
        errors += [_expired_line(fake, line["custom_id"]) for line in expired]
    _count(record)
    if status == "expired":
        batch["request_counts"]["failed"] += len(record["lines"]) - record["done"]
    batch["output_file_id"] = _result_file(fake, batch["id"], "output", outputs)
    batch["error_file_id"] = _result_file(fake, batch["id"], "error", errors)
    batch["usage"] = _batch_usage(len(outputs)) if outputs else None
    batch["status"], batch[f"{status}_at"] = status, int(time.time())


def _result_file(fake: FakeOpenAI, batch_id: str, kind: str, lines: list[dict[str, Any]]) -> str | None:
    if not lines:
        return None
    data = "".join(json.dumps(line) + "\n" for line in reversed(lines)).encode()
    return str(fake.add_file(data, f"{batch_id}_{kind}.jsonl", "batch_output")["id"])


def _output_line(fake: FakeOpenAI, line: dict[str, Any], endpoint: str) -> dict[str, Any]:
    cid, body = line["custom_id"], line["body"]
    answer, stop = fake.batch_answer(cid), fake.batch_cut.get(cid, "")
    if endpoint.endswith("/chat/completions"):
        result = _chat_completion(body, answer, fake.new_id("chatcmpl-batch-"), stop)
    else:
        result = _response(body, answer, fake.new_id("b"), stop)  # resp_bN, msg_bN
    response = {"status_code": 200, "request_id": fake.new_id("req_"), "body": result}
    return {"id": fake.new_id("batch_req_"), "custom_id": cid, "response": response, "error": None}


def _error_line(
    fake: FakeOpenAI, cid: str, failure: tuple[int, dict[str, Any]], style: str
) -> dict[str, Any]:
    status, error = failure
    line_id = fake.new_id("batch_req_")
    if style == "status":
        response = {"status_code": status, "request_id": fake.new_id("req_"), "body": {"error": error}}
        return {"id": line_id, "custom_id": cid, "response": response, "error": None}
    brief = {"code": error["code"], "message": error["message"]}
    return {"id": line_id, "custom_id": cid, "response": None, "error": brief}


def _expired_line(fake: FakeOpenAI, cid: str) -> dict[str, Any]:
    message = "This request could not be executed before the completion window expired."
    error = {"code": "batch_expired", "message": message}
    return {"id": fake.new_id("batch_req_"), "custom_id": cid, "response": None, "error": error}


def _batch_usage(n: int) -> dict[str, Any]:
    return {
        "input_tokens": USAGE["input_tokens"] * n,
        "output_tokens": USAGE["output_tokens"] * n,
        "total_tokens": (USAGE["input_tokens"] + USAGE["output_tokens"]) * n,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }


# -- answer bodies -----------------------------------------------------------------


def _words(answer: str) -> list[str]:
    return [answer[i : i + 7] for i in range(0, len(answer), 7)]


def _response_started(body: dict[str, Any], n: str) -> dict[str, Any]:
    return {
        "id": f"resp_{n}",
        "object": "response",
        "created_at": 1,
        "model": body.get("model"),
        "status": "in_progress",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": None,
    }


def _response_done(body: dict[str, Any], answer: str, n: str, stop: str = "") -> dict[str, Any]:
    """The finished Responses object: "completed", or "incomplete" for `stop`'s reason."""
    return {
        **_response_started(body, n),
        "status": "incomplete" if stop else "completed",
        "incomplete_details": {"reason": stop} if stop else None,
        "usage": _batch_usage(1),
        "output": [
            {
                "type": "message",
                "id": f"msg_{n}",
                "status": "incomplete" if stop else "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer, "annotations": []}],
            }
        ],
    }


def _response(body: dict[str, Any], answer: str, n: str, stop: str = "") -> dict[str, Any]:
    """A whole (non-streamed) Responses object, echoing the request's `reasoning` and `text`."""
    echo = {k: body[k] for k in ("reasoning", "text", "instructions") if k in body}
    usage = _batch_usage(1)
    usage["input_tokens_details"]["cache_write_tokens"] = 0  # required by the SDK's ResponseUsage
    return {**_response_done(body, answer, n, stop), "usage": usage, **echo}


def _finish_reason(stop: str) -> str:
    return {"": "stop", "max_output_tokens": "length"}.get(stop, stop)


def _chat_completion(body: dict[str, Any], answer: str, completion_id: str, stop: str = "") -> dict[str, Any]:
    message = {"role": "assistant", "content": answer, "refusal": None}
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": 1,
        "model": body.get("model"),
        "choices": [
            {"index": 0, "message": message, "finish_reason": _finish_reason(stop), "logprobs": None}
        ],
        "usage": {
            "prompt_tokens": USAGE["input_tokens"],
            "completion_tokens": USAGE["output_tokens"],
            "total_tokens": USAGE["input_tokens"] + USAGE["output_tokens"],
        },
    }


def _responses_events(body: dict[str, Any], answer: str, stop: str = "") -> list[str]:
    response = _response_started(body, "1")
    out = [_sse("response.created", {"type": "response.created", "sequence_number": 0, "response": response})]
    for n, piece in enumerate(_words(answer), 1):
        out.append(
            _sse(
                "response.output_text.delta",
                {
                    "type": "response.output_text.delta",
                    "sequence_number": n,
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": piece,
                    "logprobs": [],
                },
            )
        )
    done = _response_done(body, answer, "1", stop)
    kind = "response.incomplete" if stop else "response.completed"
    out.append(_sse(kind, {"type": kind, "sequence_number": len(out), "response": done}))
    return out


def _chat_events(body: dict[str, Any], answer: str, stop: str = "") -> list[str]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": body.get("model")}
    out = [
        _data(
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                ],
            }
        )
    ]
    for piece in _words(answer):
        out.append(
            _data({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
        )
    out.append(_data({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": _finish_reason(stop)}]}))
    out.append(
        _data(
            {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 1234, "completion_tokens": 56, "total_tokens": 1290},
            }
        )
    )
    out.append("data: [DONE]\n\n")
    return out


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _data(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data)}\n\n"
