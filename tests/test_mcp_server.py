"""`packer mcp`: the server runs as a subprocess and the SDK's real client drives it over stdio.

One server serves the whole module (starting one costs a second). Its working directory
`work/` is the default root; `--root extra/` adds one; `outside/` is never allowed. Reviews
go to a local fake OpenAI endpoint, which records every request it gets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from conftest import git, pack_text, read_exact, write
from fake_openai import FakeOpenAI
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from packer.config import Options
from packer.errors import PackerError
from packer.mcp_server import Roots, main
from packer.prices import get_model
from packer.stats import stats
from packer.tokens import Counter

PLANTED = "AKIAIOSFODNN7EXAMPLE"
OUTSIDE_TEXT = "this line lives outside every allowed root"
COUNT = Counter().count
APP = (
    "def greet(name):\n"
    '    """Say hello."""\n'
    '    return "hello " + name\n'
    "\n\n"
    "class Greeter:\n"
    "    def __init__(self, who):\n"
    "        self.who = who\n"
    "\n"
    "    def run(self):\n"
    "        return greet(self.who)\n"
)
FILES = {
    "README.md": "# Demo\n\nA small repository for the MCP server's tests.\n",
    "app/main.py": APP,
    "app/settings.py": f'AWS_KEY = "{PLANTED}"\nDEBUG = False\n',
    "lib/util.py": "".join(f"def f{j}(x):\n    return x + {j}\n\n" for j in range(80)),
}
TOOLS = {"pack", "chunk", "stats", "languages", "plan_review"}


@dataclass
class Server:
    portal: BlockingPortal
    session: ClientSession
    work: Path
    repo: Path
    extra: Path
    outside: Path
    fake: FakeOpenAI
    stderr: Path

    def call(self, name: str, **arguments: Any) -> Any:
        return self.portal.call(self.session.call_tool, name, arguments)

    def ok(self, name: str, **arguments: Any) -> Any:
        """A successful call's structured result (or its text, for `pack`)."""
        result = self.call(name, **arguments)
        assert not result.is_error, result.content[0].text
        if result.structured_content is not None:
            return result.structured_content
        (content,) = result.content
        return content.text

    def error(self, name: str, **arguments: Any) -> str:
        """A failed call's message; the server must still answer afterwards."""
        result = self.call(name, **arguments)
        assert result.is_error, result.content
        assert self.ok("languages")["languages"]
        return str(result.content[0].text)


def _world(base: Path) -> tuple[Path, Path, Path, Path]:
    work, extra, outside = base / "work", base / "extra", base / "outside"
    repo = work / "repo"
    write(repo, FILES)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    (repo / "app" / "main.py").write_text(APP + "\n\ndef danger(x):\n    return eval(x)\n", encoding="utf-8")
    git(repo, "add", "app/main.py")  # a staged change to review
    clean = work / "clean"  # committed, nothing changed
    write(clean, {"ok.py": "def ok():\n    return True\n"})
    git(clean, "init", "-q")
    git(clean, "add", "-A")
    git(clean, "commit", "-qm", "init")
    write(extra, {"notes.md": "# Extra\n\nAllowed with --root.\n", "tool.py": "def tool():\n    return 1\n"})
    write(outside, {"secret.py": f'TEXT = "{OUTSIDE_TEXT}"\n'})
    (work / "escape").symlink_to(outside, target_is_directory=True)
    (work / "link.py").symlink_to(outside / "secret.py")
    return work, repo, extra, outside


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("mcp")
    work, repo, extra, outside = _world(base)
    home = base / "home"
    home.mkdir()
    with FakeOpenAI() as fake, open(base / "stderr.txt", "w") as errlog:
        env = {
            "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "PACKER_CACHE_DIR": str(base / "cache"),
            "OPENAI_API_KEY": "test-key",
            "OPENAI_BASE_URL": fake.base_url,
        }
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "packer.mcp_server", "--root", str(extra)],
            env=env,
            cwd=str(work),
        )
        with (
            start_blocking_portal() as portal,
            portal.wrap_async_context_manager(stdio_client(params, errlog=errlog)) as (read, send),
            portal.wrap_async_context_manager(ClientSession(read, send)) as session,
        ):
            portal.call(session.initialize)
            yield Server(portal, session, work, repo, extra, outside, fake, base / "stderr.txt")


def test_lists_the_tools_with_their_arguments(server):
    listed = {t.name: t for t in server.portal.call(server.session.list_tools).tools}
    assert set(listed) == TOOLS
    pack = listed["pack"].input_schema["properties"]
    assert {"path", "query", "focus", "diff", "staged", "budget", "target", "format", "skeleton"} <= set(pack)
    assert {"output", "manifest"} <= set(pack)
    assert "send" in listed["plan_review"].input_schema["properties"]
    assert all(t.description for t in listed.values())


def test_pack_returns_the_pack_text_redacted(server):
    text = server.ok("pack", path="repo")
    assert text.startswith("<pack>")
    assert 'return "hello " + name' in text and "# Demo" in text
    assert PLANTED not in text and "[REDACTED:AWS Access Key]" in text
    assert OUTSIDE_TEXT not in text


def test_pack_options_reach_the_library(server):
    asked = {"format": "markdown", "skeleton": True, "budget": "3k", "query": "greet"}
    md = server.ok("pack", path="repo", focus=["lib/util.py"], **asked)
    assert md.startswith("# ") and "lib/util.py" in md and COUNT(md) <= 3000
    want, _ = pack_text(server.repo, focus=[str(server.repo / "lib/util.py")], **asked)
    assert md == want  # byte for byte what the library writes
    assert "budget: 3,000 tokens" in md


def test_pack_of_the_staged_diff_with_a_query(server):
    text = server.ok("pack", path="repo", staged=True, query="is eval safe?")
    assert '<diff against="HEAD"' in text and "+    return eval(x)" in text
    assert text == pack_text(server.repo, staged=True, query="is eval safe?")[0]


def test_query_is_text_never_a_file_to_read(server):
    secret = server.outside / "secret.py"
    text = server.ok("pack", path="repo", query=f"@{secret}")
    assert OUTSIDE_TEXT not in text
    # The library reads "@file" (an absolute one from anywhere); here it is the text itself.
    assert server.ok("pack", path="repo", query="@no-such-file.md").startswith("<pack>")


def test_pack_to_a_file_returns_the_summary(server):
    out = server.work / "out" / "pack.xml"
    out.parent.mkdir(exist_ok=True)
    summary = json.loads(server.ok("pack", path="repo", output="out/pack.xml", manifest="out/manifest.json"))
    assert summary["output"] == str(out) and summary["manifest"] == str(server.work / "out/manifest.json")
    assert summary["total_tokens"] == COUNT(read_exact(out))
    manifest = json.loads((server.work / "out" / "manifest.json").read_text())
    modes = [f["mode"] for f in manifest["files"]]
    assert summary["files_full"] == modes.count("full") == len(FILES)
    assert summary["files_skeleton"] == modes.count("skeleton") == 0
    assert summary["secrets"] == [
        {"path": "app/settings.py", "line": 1, "kind": "AWS Access Key", "redacted": True}
    ]
    assert summary["budget"] == manifest["budget"] and summary["encoding"] == "o200k_base"
    # the format from the output's extension, as the CLI takes it; a given format wins
    json.loads(server.ok("pack", path="repo", output="out/pack.md"))
    assert (server.work / "out" / "pack.md").read_text().startswith("# Packed repository")
    json.loads(server.ok("pack", path="repo", output="out/plain.md", format="plain"))
    assert (server.work / "out" / "plain.md").read_text().startswith("Packed repository")


def test_an_added_root_is_allowed(server):
    text = server.ok("pack", path=str(server.extra))
    assert "def tool():" in text and "Allowed with --root." in text


def test_stats_match_the_library(server):
    got = server.ok("stats", path="repo", top=2)
    want = stats(server.repo, Options())
    assert got["files"] == want.files == len(FILES)
    assert got["total_tokens"] == want.total_tokens == sum(COUNT(read_exact(server.repo / p)) for p in FILES)
    assert got["largest"] == [{"path": e.path, "tokens": e.tokens} for e in want.largest[:2]]
    assert got["largest"][0] == {"path": "lib/util.py", "tokens": COUNT(FILES["lib/util.py"])}
    dirs = {d["path"]: d for d in server.ok("stats", path="repo")["directories"]}
    assert dirs["app/"]["files"] == 2
    assert dirs["app/"]["tokens"] == COUNT(read_exact(server.repo / "app/main.py")) + COUNT(
        FILES["app/settings.py"]
    )


def test_chunk_covers_the_file_exactly(server):
    got = server.ok("chunk", paths=["repo/lib/util.py"], max_tokens=64)
    chunks = got["chunks"]
    assert got["files"] == 1 and got["total"] == len(chunks) > 1 and got["next_offset"] is None
    assert all(c["path"] == "repo/lib/util.py" and c["tokens"] <= 64 for c in chunks)
    assert all(c["tokens"] == COUNT(c["text"]) for c in chunks)
    assert "".join(c["text"] for c in chunks) == FILES["lib/util.py"]
    assert [c["start_byte"] for c in chunks[1:]] == [c["end_byte"] for c in chunks[:-1]]
    assert chunks[0]["symbol"] == "def f0" or chunks[0]["kind"] in ("function", "code")


def test_chunk_pages_and_redacts(server):
    first = server.ok("chunk", paths=["repo/app"], max_tokens=40, limit=1)
    assert len(first["chunks"]) == 1 and first["next_offset"] == 1 and first["total"] > 1
    rest = server.ok("chunk", paths=["repo/app"], max_tokens=40, offset=1, limit=10_000)
    assert rest["next_offset"] is None and len(rest["chunks"]) == first["total"] - 1
    texts = "".join(c["text"] for c in first["chunks"] + rest["chunks"])
    assert PLANTED not in texts and "[REDACTED:AWS Access Key]" in texts


def test_languages(server):
    rows = {r["name"]: r for r in server.ok("languages")["languages"]}
    assert rows["python"]["kind"] == "code" and rows["python"]["grammar"] == "ok"
    assert ".py" in rows["python"]["extensions"]
    assert rows["markdown"]["kind"] == "text"


def test_plan_review_prices_and_sends_nothing(server):
    before = len(server.fake.requests)
    plan = server.ok("plan_review", path="repo", staged=True, query="is eval safe?")
    assert plan["sent"] is False and "review" not in plan
    assert len(server.fake.requests) == before  # nothing reached the endpoint
    (request,) = plan["requests"]
    m = get_model("gpt-5.5")
    assert plan["model"] == "gpt-5.5" and plan["request_count"] == 1
    assert plan["cost_estimate_usd"] == pytest.approx(m.cost(request["input_tokens"], 16_000), abs=1e-4)
    assert plan["cost_estimate_usd"] > 0
    assert plan["secrets_redacted"] == [{"path": "app/settings.py", "line": 1, "kind": "AWS Access Key"}]
    assert PLANTED not in json.dumps(plan)
    assert plan["pack"]["total_tokens"] > 0


def test_plan_review_sends_only_when_told(server):
    before = len(server.fake.requests)
    done = server.ok("plan_review", path="repo", staged=True, send=True)
    assert len(server.fake.requests) == before + 1
    assert done["sent"] is True and done["review"] == server.fake.answer and done["severity"] == "high"
    assert done["complete"] is True and done["cut_short"] == []
    body = server.fake.requests[-1]["body"]
    assert "eval(x)" in json.dumps(body) and PLANTED not in json.dumps(body)
    server.fake.script = ["short"]  # the model stops early: the agent is told
    cut = server.ok("plan_review", path="repo", staged=True, send=True)
    assert cut["complete"] is False and cut["cut_short"] == ["review (max_output_tokens)"]


def test_plan_review_with_no_changes_says_so(server):
    before = len(server.fake.requests)
    got = server.ok("plan_review", path="clean", staged=True, send=True)
    assert got["sent"] is False and "no staged changes" in got["nothing_to_review"].lower()
    assert len(server.fake.requests) == before


def test_plan_review_send_is_capped(server):
    before = len(server.fake.requests)
    message = server.error("plan_review", path="repo", staged=True, send=True, max_cost=0.000001)
    assert "max" in message.lower() and len(server.fake.requests) == before


def test_symlinks_inside_a_root_are_not_followed(server):
    text = server.ok("pack", path=".", budget="none")
    assert 'return "hello " + name' in text and OUTSIDE_TEXT not in text
    chunks = server.ok("chunk", paths=["."], limit=10_000)
    assert chunks["files"] >= len(FILES) and OUTSIDE_TEXT not in json.dumps(chunks)


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("pack", {"path": "../outside"}, "outside the allowed roots"),
        ("stats", {"path": "/"}, "outside the allowed roots"),
        ("pack", {"path": "repo/../../outside"}, "outside the allowed roots"),
        ("pack", {"path": "escape"}, "resolves to"),  # a symlink to a directory outside
        ("chunk", {"paths": ["repo", "link.py"]}, "resolves to"),  # a symlink to a file outside
        ("pack", {"path": "repo", "output": "../outside/pack.xml"}, "outside the allowed roots"),
        ("pack", {"path": "repo", "manifest": "escape/m.json"}, "outside the allowed roots"),
        ("plan_review", {"path": "escape"}, "outside the allowed roots"),
        ("pack", {"path": ""}, "give a path"),
    ],
)
def test_paths_outside_the_roots_are_refused(server, tool, arguments, message):
    assert message in server.error(tool, **arguments)
    assert not (server.outside / "pack.xml").exists() and not (server.outside / "m.json").exists()


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("pack", {"path": "repo", "budget": "lots"}, "invalid budget 'lots'"),
        ("pack", {"path": "repo", "budget": -5}, "it must be positive"),
        ("pack", {"path": "repo", "format": "yaml"}, "format"),
        ("pack", {"path": "repo", "target": "huge"}, "huge"),
        ("pack", {"path": "repo", "staged": "yes"}, "staged"),
        ("pack", {"path": "repo", "focus": "app/main.py"}, "focus"),
        ("pack", {"path": "repo", "focus": ["nope.py"]}, "no such file"),
        ("pack", {"path": "repo", "budjet": 1000}, "unknown argument(s) budjet"),
        ("pack", {"path": "repo/README.md"}, "not a directory"),
        ("pack", {"path": "repo", "diff": "--output=x"}, "diff"),
        ("chunk", {"paths": []}, "paths"),
        ("chunk", {"paths": ["repo"], "max_tokens": 0}, "max"),
        ("stats", {"path": "repo", "top": 0}, "top"),
        ("plan_review", {"path": "repo", "target": "huge"}, "target"),
        ("plan_review", {"path": "repo", "send": "true please"}, "send"),
    ],
)
def test_bad_arguments_are_clear_tool_errors(server, tool, arguments, message):
    assert message in server.error(tool, **arguments)


def test_errors_are_not_crashes(server):
    server.error("pack", path="../outside")
    server.error("pack", path="repo", budget="lots")
    assert "Traceback" not in server.stderr.read_text()


def test_bad_command_lines_are_one_error_line(tmp_path, capsys):
    assert main(["--root", str(tmp_path / "nope")]) == 1
    assert (
        capsys.readouterr().err
        == f"error: --root {tmp_path / 'nope'}: not a directory; pass an existing directory\n"
    )
    (tmp_path / "file").write_text("x")
    assert main(["--root", str(tmp_path / "file")]) == 1
    assert "not a directory" in capsys.readouterr().err
    assert main(["--bogus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unrecognized arguments: --bogus") and err.count("\n") == 1


def test_roots_resolve_symlinks_and_dotdot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "up").symlink_to(tmp_path.parent, target_is_directory=True)
    roots = Roots.of([])
    assert roots.check("in", "path") == (tmp_path / "in").resolve()
    for bad in ("in/up", "in/../..", str(tmp_path.parent)):
        with pytest.raises(PackerError, match="outside the allowed roots"):
            roots.check(bad, "path")


def test_the_file_system_root_is_never_a_default_root(tmp_path, monkeypatch):
    monkeypatch.chdir("/")
    with pytest.raises(PackerError, match="would allow every path"):
        Roots.of([])
    assert Roots.of([tmp_path]).paths == (tmp_path.resolve(),)
    assert Roots.of(["/"]).paths == (Path("/"),)  # said explicitly


def test_without_the_mcp_package_the_error_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['mcp'] = None\n"
        "from packer.errors import PackerError\n"
        "try:\n    import packer.mcp_server\nexcept PackerError as e:\n    print(e)\n"
    )
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert "pip install 'packer[mcp]'" in got.stdout, got.stderr


def test_stdout_carries_only_protocol_messages(tmp_path):
    """Raw JSON-RPC over the pipes: every stdout line is a protocol message, even while a
    pack runs (its worker processes and libraries write nothing there)."""
    write(tmp_path / "repo", {"a.py": "print('to stdout?')\n", "b.md": "# B\n"})
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "pack", "arguments": {"path": "repo"}},
        },
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "pack", "arguments": {"path": "/"}},
        },
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "packer.mcp_server"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PACKER_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.stdin is not None and proc.stdout is not None
    replies: dict[int, Any] = {}
    for m in messages:
        proc.stdin.write(json.dumps(m) + "\n")
        proc.stdin.flush()
        while "id" in m and m["id"] not in replies:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            reply = json.loads(line)  # a stray print would fail here
            assert reply["jsonrpc"] == "2.0"
            if "id" in reply:
                replies[reply["id"]] = reply
    rest, _ = proc.communicate(timeout=30)  # closes stdin: the client hangs up
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in rest.splitlines())
    assert proc.returncode == 0
    packed = replies[2]["result"]
    assert not packed["isError"] and "print('to stdout?')" in packed["content"][0]["text"]
    assert (
        replies[3]["result"]["isError"]
        and "outside the allowed roots" in replies[3]["result"]["content"][0]["text"]
    )
