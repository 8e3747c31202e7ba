"""A local OpenAI-compatible HTTP server for tests: real HTTP, real SDK on the other side.

`FakeOpenAI().script` is a list of what to do with the next requests: "ok" (stream an
answer), an HTTP status (429, 500, 401, 404), "context" (a 400 context-length error),
"cut" (start streaming, then drop the connection), "echo" (a 400 whose message quotes
the Authorization header and the key). When the script is empty every
request gets "ok". Every request is recorded with its path, headers and JSON body.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self, answer: str = "[high] a.py:1: something is wrong.\nFix it.") -> None:
        self.answer = answer
        self.script: list[str | int] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
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


def _error(status: int) -> dict[str, Any]:
    kinds = {
        429: ("rate_limit_exceeded", "Rate limit reached"),
        500: ("server_error", "boom"),
        401: ("invalid_api_key", "Incorrect API key provided"),
        404: ("model_not_found", "The model does not exist"),
    }
    code, message = kinds.get(status, ("error", "error"))
    return {"error": {"message": message, "type": code, "code": code, "param": None}}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        with self.fake.lock:
            self.fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        action = self.fake.next_action()
        if isinstance(action, int):
            self._json(action, _error(action), {"retry-after-ms": "5"})
            return
        if action == "echo":  # a careless server that quotes the credentials back in its error
            auth = self.headers.get("authorization", "")
            self._json(
                400,
                {
                    "error": {
                        "message": f"malformed request; you sent {auth} (key {auth.split()[-1]})",
                        "type": "invalid_request_error",
                        "code": "bad",
                        "param": None,
                    }
                },
            )
            return
        if action == "context":
            self._json(
                400,
                {
                    "error": {
                        "message": "This model's maximum context length is 1000000 tokens",
                        "type": "invalid_request_error",
                        "code": "context_length_exceeded",
                        "param": "input",
                    }
                },
            )
            return
        chat = self.path.endswith("/chat/completions")
        events = _chat_events(body, self.fake.answer) if chat else _responses_events(body, self.fake.answer)
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

    def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)


def _words(answer: str) -> list[str]:
    return [answer[i : i + 7] for i in range(0, len(answer), 7)]


def _responses_events(body: dict[str, Any], answer: str) -> list[str]:
    usage = {
        "input_tokens": 1234,
        "output_tokens": 56,
        "total_tokens": 1290,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    response = {
        "id": "resp_1",
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
    done = {
        **response,
        "status": "completed",
        "usage": usage,
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer, "annotations": []}],
            }
        ],
    }
    out.append(
        _sse(
            "response.completed",
            {"type": "response.completed", "sequence_number": len(out), "response": done},
        )
    )
    return out


def _chat_events(body: dict[str, Any], answer: str) -> list[str]:
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
    out.append(_data({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
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
