"""The Batch API layer (`packer.batch`) against the local server, through the real openai SDK:
the input lines, submitting, polling with backoff, collecting answers and errors in any
order, and the state file a resume reads."""

import json
import os
import stat

import openai
import pytest
from fake_openai import FakeOpenAI

from packer import batch
from packer.errors import ApiError, ConfigError


def _client(srv):
    return openai.OpenAI(api_key="sk-test", base_url=srv.base_url, max_retries=0)


def _body(k):
    return {"model": "gpt-5.5", "input": f"part {k}", "max_output_tokens": 100}


REQUESTS = [(f"part-{k}", _body(k)) for k in (1, 2, 3)]


def test_input_lines_are_one_request_each_on_the_apis_endpoint(monkeypatch):
    lines = [json.loads(x) for x in batch.jsonl("responses", REQUESTS).decode().splitlines()]
    assert [x["custom_id"] for x in lines] == ["part-1", "part-2", "part-3"]
    assert {x["url"] for x in lines} == {"/v1/responses"} and {x["method"] for x in lines} == {"POST"}
    assert lines[1]["body"] == _body(2)
    chat = json.loads(batch.jsonl("chat", REQUESTS[:1]))
    assert chat["url"] == "/v1/chat/completions"
    monkeypatch.setattr(batch, "MAX_REQUESTS", 2)
    with pytest.raises(ConfigError, match=r"3 requests .* over the Batch API's 2 requests"):
        batch.jsonl("responses", REQUESTS)


def test_submit_wait_collect_with_backoff_and_answers_in_any_order():
    seen, waits = [], []
    with FakeOpenAI() as srv:
        client = _client(srv)
        batch_id = batch.submit(client, "responses", REQUESTS, "review")
        final = batch.wait(client, batch_id, on_progress=seen.append, poll=(2.0, 4.0), sleep=waits.append)
        outcome = batch.collect(client, final)
        upload = srv.requests[0]
    assert upload["path"] == "/v1/files" and upload["body"]["purpose"] == "batch"
    assert srv.batches[batch_id]["batch"]["metadata"] == {"packer": "review"}
    statuses = [p.status for p in seen]
    assert (
        srv.batches[batch_id]["batch"]["created_at"] and statuses[0] == "in_progress"
    )  # validating at create
    assert statuses[-2:] == ["finalizing", "completed"]
    assert seen[-1].completed == seen[-1].total == 3 and seen[-1].failed == 0
    assert waits == [2.0, 3.0, 4.0, 4.0][: len(waits)] and len(waits) == len(seen) - 1  # grows, capped
    # The output file comes in reverse order; each answer is found by its custom_id.
    assert outcome.answers == {c: srv.batch_answer(c) for c, _ in REQUESTS}
    assert outcome.errors == {} and outcome.status == "completed"
    assert outcome.usage["input_tokens"] > 0 and outcome.usage["output_tokens"] > 0


@pytest.mark.parametrize("style", ["error", "status"])
def test_partial_failures_are_reported_by_request(style):
    with FakeOpenAI() as srv:
        srv.batch_fail_ids = {"part-2"}
        srv.batch_error_style = style
        client = _client(srv)
        batch_id = batch.submit(
            client, "chat", [(c, {"model": "m", "messages": []}) for c, _ in REQUESTS], "x"
        )
        outcome = batch.collect(client, batch.wait(client, batch_id, poll=(0, 0)))
    assert set(outcome.answers) == {"part-1", "part-3"}
    assert outcome.answers["part-1"] == srv.batch_answer("part-1")  # a chat completion's content
    assert list(outcome.errors) == ["part-2"] and outcome.errors["part-2"].startswith("server_error: ")
    batch.require_final(outcome)  # some answered: no error here, the caller reports the rest


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_an_answer_cut_short_is_kept_and_said(api):
    with FakeOpenAI() as srv:
        srv.batch_cut = {"part-2": "max_output_tokens", "part-3": "content_filter"}
        client = _client(srv)
        batch_id = batch.submit(client, api, REQUESTS, "x")
        outcome = batch.collect(client, batch.wait(client, batch_id, poll=(0, 0)))
    assert outcome.answers == {c: srv.batch_answer(c) for c, _ in REQUESTS}  # what arrived is kept
    assert outcome.cut == {"part-2": "max_output_tokens", "part-3": "content_filter"}
    assert outcome.errors == {}


def test_stop_reason():
    assert batch.stop_reason({"status": "completed", "incomplete_details": None}) == ""
    assert batch.stop_reason(
        {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}
    ) == ("max_output_tokens")
    assert batch.stop_reason({"status": "incomplete"}) == "unknown"
    assert batch.stop_reason({"choices": [{"finish_reason": "stop"}]}) == ""
    assert batch.stop_reason({"choices": [{"finish_reason": "length"}]}) == "max_output_tokens"
    assert batch.stop_reason({"choices": [{"finish_reason": "content_filter"}]}) == "content_filter"


def test_a_failed_batch_says_why_and_an_expired_one_keeps_what_finished():
    with FakeOpenAI() as srv:
        client = _client(srv)
        bad = batch.submit(client, "responses", [("part-1", {"input": "no model"})], "x")
        failed = batch.collect(client, batch.wait(client, bad, poll=(0, 0)))
        srv.batch_final = "expired"
        late = batch.submit(client, "responses", [*REQUESTS, ("part-4", _body(4))], "x")
        expired = batch.collect(client, batch.wait(client, late, poll=(0, 0)))
    with pytest.raises(ApiError, match=rf"batch {bad} failed: missing_required_parameter: .*line 1"):
        batch.require_final(failed)
    assert expired.status == "expired" and len(expired.answers) == 2
    assert {e.split(":")[0] for e in expired.errors.values()} == {"batch_expired"}
    assert set(expired.answers) | set(expired.errors) == {"part-1", "part-2", "part-3", "part-4"}


def test_cancel():
    with FakeOpenAI() as srv:
        srv.batch_steps = 5
        client = _client(srv)
        batch_id = batch.submit(client, "responses", REQUESTS, "x")
        batch.cancel(client, batch_id)
        outcome = batch.collect(client, batch.wait(client, batch_id, poll=(0, 0)))
    assert srv.cancelled == [batch_id] and outcome.status == "cancelled"
    with pytest.raises(ApiError, match="cancelled before any request finished"):
        batch.require_final(outcome)


def _state(batch_id="batch_abc"):
    return batch.BatchState(
        batch_id, "responses", "gpt-5.5", (("part-1", "part 1 of 2"), ("part-2", "part 2 of 2")),
        1000, "batch", "http://127.0.0.1:9/v1", 0.25, "medium", None,
    )  # fmt: skip


def test_state_is_private_round_trips_and_is_dropped(tmp_path):
    path = batch.save_state(_state(), tmp_path / "cache")
    assert path == tmp_path / "cache" / "batches" / "batch_abc.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert batch.load_state("batch_abc", tmp_path / "cache") == _state()
    batch.save_state(_state(), tmp_path / "cache", name="batch_other")  # a second id resumes it too
    assert batch.load_state("batch_other", tmp_path / "cache") == _state()
    batch.drop_state("batch_abc", tmp_path / "cache")
    with pytest.raises(ConfigError, match=r"no batch review batch_abc in .*same --cache-dir"):
        batch.load_state("batch_abc", tmp_path / "cache")


@pytest.mark.parametrize("bad", ["../../etc/passwd", "batch_a/../../x", "", "batch_", "file-1", "batch_a b"])
def test_a_batch_id_never_becomes_another_path(tmp_path, bad):
    with pytest.raises(ConfigError, match="is not a batch id"):
        batch.load_state(bad, tmp_path)
    with pytest.raises(ConfigError, match="is not a batch id"):
        batch.save_state(_state(bad), tmp_path)
    assert not (tmp_path / "batches").exists() or not any((tmp_path / "batches").iterdir())


def test_a_planted_or_damaged_state_is_refused(tmp_path):
    where = batch.save_state(_state(), tmp_path).parent
    target = tmp_path / "elsewhere.json"
    target.write_bytes(_state("batch_x").to_json())
    (where / "batch_link.json").symlink_to(target)
    with pytest.raises(ConfigError, match="is a symlink") as refused:
        batch.load_state("batch_link", tmp_path)
    assert "cache clear" not in str(refused.value) and "batch_link.json)" in str(refused.value)  # the fix: rm
    for damaged in ('{"version": 1, "batch_id": 3}', '"x"', "null", "[" * 100_000 + "]" * 100_000):
        (where / "batch_bad.json").write_text(damaged)
        with pytest.raises(ConfigError, match="not a batch state this packer can read"):
            batch.load_state("batch_bad", tmp_path)
    os.chmod(where / "batch_abc.json", 0o666)
    with pytest.raises(ConfigError, match="writable by group and others"):
        batch.load_state("batch_abc", tmp_path)
    os.chmod(where, 0o777)
    with pytest.raises(ConfigError, match="writable by group and others"):
        batch.save_state(_state(), tmp_path)
