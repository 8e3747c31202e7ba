"""The fake OpenAI server (tests/fake_openai.py) driven by the real `openai` SDK: files, batches, images."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from fake_openai import FakeOpenAI
from openai.types import Batch
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

FINAL = ("completed", "failed", "expired", "cancelled")


def _png() -> bytes:
    """A valid 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x80")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = _png()
GOOD_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()
BAD_URLS = {
    "wrong mime": "data:image/jpeg;base64," + base64.b64encode(PNG).decode(),
    "broken base64": "data:image/png;base64,iVBORw0KGgo*not-base64*",
    "not a data url": "https://example.com/cat.png",
    "unsupported type": "data:image/bmp;base64," + base64.b64encode(b"BM\x00\x00").decode(),
}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def client(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=fake.base_url, max_retries=0)


def _line(cid: str, url: str = "/v1/responses", body: dict[str, Any] | None = None) -> dict[str, Any]:
    if body is None:
        body = {"model": "gpt-test", "input": f"review {cid}"}
        if url.endswith("/chat/completions"):
            body = {"model": "gpt-test", "messages": [{"role": "user", "content": f"review {cid}"}]}
    return {"custom_id": cid, "method": "POST", "url": url, "body": body}


def _upload(client: openai.OpenAI, lines: list[Any]) -> str:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return client.files.create(file=("batch.jsonl", text.encode()), purpose="batch").id


def _start(client: openai.OpenAI, lines: list[Any], endpoint: str = "/v1/responses") -> Batch:
    file_id = _upload(client, lines)
    return client.batches.create(input_file_id=file_id, endpoint=endpoint, completion_window="24h")  # type: ignore[arg-type]


def _poll(client: openai.OpenAI, batch_id: str) -> tuple[list[Batch], Batch]:
    """Retrieve until the batch is final: every state seen, and the last."""
    seen: list[Batch] = []
    for _ in range(20):
        seen.append(client.batches.retrieve(batch_id))
        if seen[-1].status in FINAL:
            return seen, seen[-1]
    raise AssertionError("the batch never ended")


def _jsonl(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def _counts(batch: Batch) -> tuple[int, int, int]:
    assert batch.request_counts is not None
    c = batch.request_counts
    return c.total, c.completed, c.failed


def _image_body(url: str, detail: str | None = "high") -> dict[str, Any]:
    part: dict[str, Any] = {"type": "input_image", "image_url": url}
    if detail is not None:
        part["detail"] = detail
    content = [{"type": "input_text", "text": "what is this?"}, part]
    return {"model": "gpt-test", "input": [{"role": "user", "content": content}]}


def _chat_image_body(url: str, detail: str | None = "low") -> dict[str, Any]:
    image: dict[str, Any] = {"url": url}
    if detail is not None:
        image["detail"] = detail
    content = [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": image}]
    return {"model": "gpt-test", "messages": [{"role": "user", "content": content}]}


# -- files -------------------------------------------------------------------------


def test_upload_retrieve_download_delete(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    data = "é\r\nline two\n".encode() + bytes(range(256))
    created = client.files.create(file=("x.jsonl", data), purpose="batch")
    assert (created.id, created.object, created.bytes) == ("file-1", "file", len(data))
    assert (created.filename, created.purpose, created.status) == ("x.jsonl", "batch", "processed")
    upload = fake.requests[-1]
    assert upload["method"] == "POST" and upload["path"] == "/v1/files"
    assert upload["body"]["purpose"] == "batch"
    assert upload["body"]["file"]["filename"] == "x.jsonl" and upload["body"]["file"]["bytes"] == len(data)
    assert client.files.retrieve("file-1") == created
    assert client.files.content("file-1").content == data
    assert fake.requests[-1]["method"] == "GET" and fake.requests[-1]["body"] is None
    assert [f.id for f in client.files.list(purpose="batch")] == ["file-1"]
    assert client.files.delete("file-1").deleted is True
    with pytest.raises(openai.NotFoundError) as err:
        client.files.retrieve("file-1")
    assert isinstance(err.value.body, dict) and "file-1" in err.value.body["message"]
    with pytest.raises(openai.NotFoundError):
        client.files.content("file-9")


# -- batches -----------------------------------------------------------------------


def test_batch_completes(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    lines = [_line(cid) for cid in ("a", "b", "c")]
    batch = _start(client, lines)
    assert batch.status == "validating" and batch.id == "batch_1" and batch.in_progress_at is None
    seen, done = _poll(client, batch.id)
    assert [b.status for b in seen] == ["in_progress", "in_progress", "finalizing", "completed"]
    assert [_counts(b) for b in seen] == [(3, 1, 0), (3, 2, 0), (3, 3, 0), (3, 3, 0)]
    assert seen[0].in_progress_at and seen[2].finalizing_at and done.completed_at
    assert done.error_file_id is None and done.errors is None and done.failed_at is None
    out = _jsonl(client, done.output_file_id)
    assert [o["custom_id"] for o in out] == ["c", "b", "a"]  # not in input order
    for o in out:
        assert o["error"] is None and o["id"].startswith("batch_req_")
        assert o["response"]["status_code"] == 200 and o["response"]["request_id"].startswith("req_")
        response = Response.model_validate(o["response"]["body"])
        assert response.output_text == fake.batch_answer(o["custom_id"])
        assert response.model == "gpt-test" and response.usage is not None
    assert fake.batches[batch.id]["lines"] == lines
    assert fake.batches[batch.id]["batch"]["status"] == "completed"
    assert client.files.retrieve(done.output_file_id or "").purpose == "batch_output"
    assert [b.id for b in client.batches.list()] == [batch.id]
    assert client.batches.retrieve(batch.id).status == "completed"  # a final batch stays final


def test_batch_steps_and_answer_can_be_changed(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.batch_steps = 0
    fake.batch_answer = lambda cid: f"No findings for {cid}."  # type: ignore[method-assign]
    batch = _start(client, [_line("x")])
    seen, done = _poll(client, batch.id)
    assert [b.status for b in seen] == ["finalizing", "completed"]
    [out] = _jsonl(client, done.output_file_id)
    assert Response.model_validate(out["response"]["body"]).output_text == "No findings for x."


@pytest.mark.parametrize("style", ["error", "status"])
def test_batch_partial_failure(fake: FakeOpenAI, client: openai.OpenAI, style: str) -> None:
    fake.batch_fail_ids = {"b"}
    fake.batch_error_style = style
    _, done = _poll(client, _start(client, [_line(cid) for cid in ("a", "b", "c")]).id)
    assert done.status == "completed" and _counts(done) == (3, 2, 1)
    assert sorted(o["custom_id"] for o in _jsonl(client, done.output_file_id)) == ["a", "c"]
    [err] = _jsonl(client, done.error_file_id)
    assert err["custom_id"] == "b" and err["id"].startswith("batch_req_")
    if style == "error":
        assert err["response"] is None and err["error"]["code"] == "server_error"
        assert err["error"]["message"]
    else:
        assert err["error"] is None and err["response"]["status_code"] == 500
        assert err["response"]["request_id"].startswith("req_")
        assert err["response"]["body"]["error"]["code"] == "server_error"


def test_batch_all_failed_has_no_output_file(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.batch_fail_ids = {"a", "b"}
    _, done = _poll(client, _start(client, [_line("a"), _line("b")]).id)
    assert done.status == "completed" and done.output_file_id is None and _counts(done) == (2, 0, 2)
    assert len(_jsonl(client, done.error_file_id)) == 2


def test_batch_expired(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.batch_final = "expired"
    seen, done = _poll(client, _start(client, [_line(cid) for cid in "abcd"]).id)
    assert [b.status for b in seen] == ["in_progress", "in_progress", "expired"]
    assert done.expired_at and done.completed_at is None and _counts(done) == (4, 2, 2)
    assert sorted(o["custom_id"] for o in _jsonl(client, done.output_file_id)) == ["a", "b"]
    errors = _jsonl(client, done.error_file_id)
    assert sorted(e["custom_id"] for e in errors) == ["c", "d"]
    assert {e["error"]["code"] for e in errors} == {"batch_expired"}
    assert all(e["response"] is None for e in errors)


BAD_LINES: dict[str, tuple[Any, str]] = {
    "no custom_id": ({"method": "POST", "url": "/v1/responses", "body": {"model": "m"}}, "custom_id"),
    "wrong url": (_line("b", url="/v1/chat/completions"), "url"),
    "duplicate": (_line("a"), "custom_id"),
    "not json": ("{not json", None),
    "GET": ({**_line("b"), "method": "GET"}, "method"),
    "no model": (_line("b", body={"input": "x"}), "body.model"),
    "streaming": (_line("b", body={"model": "m", "input": "x", "stream": True}), "body.stream"),
}


@pytest.mark.parametrize("kind", BAD_LINES)
def test_batch_with_a_bad_line_fails(fake: FakeOpenAI, client: openai.OpenAI, kind: str) -> None:
    bad, param = BAD_LINES[kind]
    batch = _start(client, [_line("a"), bad, _line("c")])
    assert batch.status == "validating"
    seen, done = _poll(client, batch.id)
    assert [b.status for b in seen] == ["failed"] and done.failed_at
    assert done.output_file_id is None and done.error_file_id is None
    assert done.errors is not None and done.errors.object == "list" and done.errors.data
    [error] = done.errors.data
    assert error.line == 2 and error.code and error.message and error.param == param
    assert fake.batches[batch.id]["lines"][1] == bad


def test_batch_final_failed_knob(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.batch_final = "failed"
    _, done = _poll(client, _start(client, [_line("a")]).id)
    assert done.status == "failed" and done.errors is not None and done.errors.data
    assert done.output_file_id is None


def test_batch_create_rejects_bad_parameters(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.batches.create(input_file_id="file-9", endpoint="/v1/responses", completion_window="24h")
    file_id = _upload(client, [_line("a")])
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=file_id, endpoint="/v1/embeddings", completion_window="24h")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=file_id, endpoint="/v1/responses", completion_window="1h")  # type: ignore[arg-type]
    other = client.files.create(file=("x.jsonl", b"{}\n"), purpose="user_data").id
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=other, endpoint="/v1/responses", completion_window="24h")
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_9")
    assert fake.batches == {}


def test_batch_cancel(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    batch = _start(client, [_line(cid) for cid in ("a", "b", "c")])
    assert client.batches.retrieve(batch.id).status == "in_progress"
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling" and cancelling.cancelling_at
    assert fake.cancelled == [batch.id]
    assert fake.requests[-1]["method"] == "POST" and fake.requests[-1]["path"].endswith("/cancel")
    seen, done = _poll(client, batch.id)
    assert [b.status for b in seen] == ["cancelled"] and done.cancelled_at
    assert _counts(done) == (3, 1, 0) and done.error_file_id is None
    assert [o["custom_id"] for o in _jsonl(client, done.output_file_id)] == ["a"]
    with pytest.raises(openai.ConflictError):
        client.batches.cancel(batch.id)


def test_batch_cancel_before_anything_ran(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    batch = _start(client, [_line("a")])
    assert client.batches.cancel(batch.id).status == "cancelling"
    _, done = _poll(client, batch.id)
    assert done.status == "cancelled" and done.output_file_id is None and done.error_file_id is None


def test_chat_batch(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    url = "/v1/chat/completions"
    batch = _start(client, [_line("a", url), _line("b", url)], endpoint=url)
    _, done = _poll(client, batch.id)
    assert done.status == "completed" and done.endpoint == url
    for out in _jsonl(client, done.output_file_id):
        completion = ChatCompletion.model_validate(out["response"]["body"])
        assert completion.choices[0].message.content == fake.batch_answer(out["custom_id"])
        assert completion.usage is not None and completion.usage.prompt_tokens == 1234


def test_batches_list_pages(client: openai.OpenAI) -> None:
    ids = [_start(client, [_line("a")]).id for _ in range(3)]
    page = client.batches.list(limit=2)
    assert [b.id for b in page.data] == ids[::-1][:2] and page.has_more
    assert [b.id for b in client.batches.list(limit=2)] == ids[::-1]  # auto-paginated


def test_batch_line_with_bad_image_fails_alone(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    lines = [
        _line("good", body=_image_body(GOOD_URL)),
        _line("bad", body=_image_body(BAD_URLS["wrong mime"])),
    ]
    _, done = _poll(client, _start(client, lines).id)
    assert done.status == "completed" and _counts(done) == (2, 1, 1)
    assert [o["custom_id"] for o in _jsonl(client, done.output_file_id)] == ["good"]
    [err] = _jsonl(client, done.error_file_id)
    assert err["custom_id"] == "bad" and err["error"]["code"] == "invalid_image"
    assert [(i["where"], i["error"] is None) for i in fake.images] == [
        ("batch:good", True),
        ("batch:bad", False),
    ]


# -- images in direct requests -----------------------------------------------------


def test_responses_image_non_stream_and_stream(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    response = client.responses.create(**_image_body(GOOD_URL))
    assert response.output_text == fake.answer
    events = list(client.responses.create(**_image_body(GOOD_URL, detail=None), stream=True))
    assert events[-1].type == "response.completed"
    assert fake.images == [
        {"mime": "image/png", "bytes": len(PNG), "detail": "high", "where": "responses", "error": None},
        {"mime": "image/png", "bytes": len(PNG), "detail": None, "where": "responses", "error": None},
    ]
    assert fake.requests[-1]["body"]["input"][0]["content"][1]["image_url"] == GOOD_URL


@pytest.mark.parametrize("kind", BAD_URLS)
@pytest.mark.parametrize("stream", [False, True])
def test_responses_bad_image(fake: FakeOpenAI, client: openai.OpenAI, kind: str, stream: bool) -> None:
    fake.script = ["ok"]
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(**_image_body(BAD_URLS[kind]), stream=stream)
    assert err.value.code == "invalid_image" and err.value.param == "input"
    assert "Invalid image in content[1]" in err.value.message
    assert fake.script == ["ok"]  # the script is not used up by a refused image
    assert fake.images[-1]["error"] and fake.images[-1]["where"] == "responses"


IN_INSTRUCTIONS = [{"role": "system", "content": [{"type": "input_image", "image_url": GOOD_URL}]}]
IN_DEVELOPER = [{"role": "developer", "content": [{"type": "input_image", "image_url": GOOD_URL}]}]


@pytest.mark.parametrize(
    "body",
    [
        _image_body(GOOD_URL, detail="huge"),
        {"model": "m", "input": "x", "instructions": IN_INSTRUCTIONS},
        {"model": "m", "input": IN_DEVELOPER},
    ],
    ids=["bad detail", "in instructions", "developer message"],
)
def test_responses_image_misplaced(client: openai.OpenAI, body: dict[str, Any]) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(**body)
    assert err.value.code == "invalid_image"


def test_other_image_types_pass(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    images = {
        "jpeg": b"\xff\xd8\xff\xe0rest",
        "gif": b"GIF89a\x01\x00",
        "webp": b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    }
    for mime, data in images.items():
        url = f"data:image/{mime};base64," + base64.b64encode(data).decode()
        client.responses.create(**_image_body(url, detail="original"))
    assert [(i["mime"], i["bytes"]) for i in fake.images] == [
        (f"image/{m}", len(d)) for m, d in images.items()
    ]


def test_chat_image(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(**_chat_image_body(GOOD_URL))
    assert completion.choices[0].message.content == fake.answer
    chunks = list(client.chat.completions.create(**_chat_image_body(GOOD_URL), stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == fake.answer
    assert [(i["where"], i["detail"], i["error"]) for i in fake.images] == [("chat", "low", None)] * 2
    for url in BAD_URLS.values():
        with pytest.raises(openai.BadRequestError) as err:
            client.chat.completions.create(**_chat_image_body(url))
        assert err.value.code == "invalid_image" and "content[1]" in err.value.message
    system = {"role": "system", "content": [{"type": "image_url", "image_url": {"url": GOOD_URL}}]}
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="m", messages=[system, {"role": "user", "content": "x"}])  # type: ignore[list-item]


# -- other request fields and actions ----------------------------------------------


def test_reasoning_and_verbosity_fields_are_recorded(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    response = client.responses.create(
        model="m", input="x", reasoning={"effort": "high"}, text={"verbosity": "low"}
    )
    assert response.reasoning is not None and response.reasoning.effort == "high"
    assert fake.requests[-1]["body"]["reasoning"] == {"effort": "high"}
    assert fake.requests[-1]["body"]["text"] == {"verbosity": "low"}
    client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}], reasoning_effort="low", verbosity="high"
    )
    body = fake.requests[-1]["body"]
    assert (body["reasoning_effort"], body["verbosity"]) == ("low", "high")
    assert fake.requests[-1]["method"] == "POST" and fake.requests[-1]["path"] == "/v1/chat/completions"


def test_script_applies_to_whole_answers(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.script = [500, "context", "cut"]
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="m", input="x")
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model="m", input="x")
    assert err.value.code == "context_length_exceeded"
    with pytest.raises(openai.APIConnectionError):
        client.responses.create(model="m", input="x")
    assert client.responses.create(model="m", input="x").output_text == fake.answer
