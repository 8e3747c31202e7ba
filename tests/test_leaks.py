"""Issue 12's acceptance: planted secrets of every kind, in every channel, leave in no output.

Each secret is a realistically shaped fake, generated from a seeded RNG so the suite is
stable. It is planted in a committed file, a staged diff, an untracked file, the query,
an `@file` query (through a symlink) and a file name; then every way packer lets text
out is searched for the secret and for its last 12 characters (a partial redaction
that leaves a key's tail is a leak too): each output format, the manifest, `packer
chunk`, the review dry-run body, the body a local OpenAI-compatible server receives,
and the bytes of the cache database. (Nothing staged sends nothing: tests/test_review.py.)
"""

from __future__ import annotations

import dataclasses
import json
import random
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import git, write
from fake_openai import FakeOpenAI

import packer
from packer import Options
from packer.cli import main

_RNG = random.Random(12)
_ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _b64url(n: int) -> str:
    return _rand(n, _ALNUM + "-_")


PEM_BODY = "\n".join(_rand(64, _ALNUM + "+/") for _ in range(6)) + "\n" + _rand(24, _ALNUM + "+/") + "=="
SECRETS: dict[str, str] = {
    "aws_access_key": "AKIA" + _rand(16, string.ascii_uppercase + "234567"),
    "aws_secret_key": _rand(40, _ALNUM + "/+"),
    "github_classic": "ghp_" + _rand(36),
    "github_fine": "github_pat_" + _rand(22) + "_" + _rand(59),
    "openai_project": "sk-proj-" + _b64url(74) + "T3BlbkFJ" + _b64url(74),
    "anthropic": "sk-ant-api03-" + _b64url(93) + "AA",
    "slack": "xoxb-" + _rand(12, string.digits) + "-" + _rand(13, string.digits) + "-" + _rand(24),
    "stripe_live": "sk_live_" + _rand(99),
    "google_api": "AIza" + _rand(35, _ALNUM + "-_"),
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJ" + _b64url(60) + "." + _b64url(43),
    "pem_body": PEM_BODY,
    "url_password": "Pw" + _rand(14) + "9",
    "env_unquoted": "Zq" + _rand(22) + "7x",
    "export_token": "github_pat_" + _rand(22) + "_" + _rand(59),
    "json_config": "sk-proj-" + _b64url(60) + "T3BlbkFJ" + _b64url(60),
    "notebook": "sk_live_" + _rand(60),
    "docstring": "ghp_" + _rand(36),
    "staged_aws": "AKIA" + _rand(16, string.ascii_uppercase + "234567"),
    "staged_github": "ghp_" + _rand(36),
    "untracked": "xoxp-"
    + _rand(12, string.digits)
    + "-"
    + _rand(12, string.digits)
    + "-"
    + _rand(32, "0123456789abcdef"),
    "query": "ghp_" + _rand(36),
    "query_file": "sk-ant-api03-" + _b64url(93) + "AA",
    "file_name": "AKIA" + _rand(16, string.ascii_uppercase + "234567"),
}
S = SECRETS


def _committed_files() -> dict[str, str]:
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": 1,
                "source": ["import stripe\n", f'stripe.api_key = "{S["notebook"]}"\n'],
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return {
        "README.md": "# Shop\n\nA small shop service.\n",
        "shop/aws.py": (
            "import boto3\n\n"
            f'AWS_ACCESS_KEY_ID = "{S["aws_access_key"]}"\n'
            f'aws_secret_access_key = "{S["aws_secret_key"]}"\n\n'
            "def client():\n    return boto3.client('s3')\n"
        ),
        "shop/tokens.js": (
            f'const GITHUB = "{S["github_classic"]}";\n'
            f"const GITHUB_FINE = '{S['github_fine']}';\n"
            f'const OPENAI = "{S["openai_project"]}";\n'
            f'const ANTHROPIC = "{S["anthropic"]}";\n'
            f'const SLACK = "{S["slack"]}";\n'
            f'const STRIPE = "{S["stripe_live"]}";\n'
            f'const GOOGLE = "{S["google_api"]}";\n'
            f'const SESSION = "{S["jwt"]}";\n'
            "module.exports = { GITHUB };\n"
        ),
        "shop/db.go": (
            "package shop\n\n"
            f'const dsn = "postgres://admin:{S["url_password"]}@db.internal:5432/shop"\n\n'
            "func Connect() string { return dsn }\n"
        ),
        "deploy/id_key.txt": (
            "-----BEGIN RSA PRIVATE KEY-----\n" + S["pem_body"] + "\n-----END RSA PRIVATE KEY-----\n"
        ),
        "deploy/settings.ini": f"[db]\nhost = db.internal\nDB_PASSWORD={S['env_unquoted']}\n",
        "deploy/env.sh": f"#!/bin/sh\nexport GITHUB_TOKEN={S['export_token']}\nexec ./run\n",
        "config/app.json": json.dumps({"name": "shop", "api_key": S["json_config"]}, indent=2) + "\n",
        "notebooks/explore.ipynb": json.dumps(notebook, indent=1) + "\n",
        "shop/client.py": (
            f'def fetch(url):\n    """Fetch `url` with the token {S["docstring"]} (the CI bot\'s)."""\n'
            "    return url\n"
        ),
        f"keys/{S['file_name']}.txt": "rotated\n",
    }


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A repository holding every kind, with a staged diff and an untracked file; and an
    outside file holding a secret (the target of a symlink)."""
    root = tmp_path / "repo"
    write(root, _committed_files())
    for k in range(6):  # some ordinary code so ranking and budgets have work
        write(
            root, {f"shop/mod{k}.py": "".join(f"def f{k}_{j}(x):\n    return x * {j}\n\n" for j in range(30))}
        )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    write(
        root,
        {
            "shop/mod0.py": (
                f'AWS_KEY = "{S["staged_aws"]}"\ntoken = "{S["staged_github"]}"\n\n'
                "def f0_0(x):\n    return x\n"
            )
        },
    )
    git(root, "add", "shop/mod0.py")
    write(root, {"notes/todo.py": f'SLACK_USER_TOKEN = "{S["untracked"]}"\n'})
    outside = tmp_path / "outside" / "credentials.md"
    write(tmp_path, {"outside/credentials.md": f"Use the key {S['query_file']} for the fix.\n"})
    (root / "issue.md").symlink_to(outside)
    return root, outside


def _leaks(text: str | bytes, what: str) -> list[str]:
    """The planted secrets (or their 12-character tails) found in `text`."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    found = []
    for name, value in SECRETS.items():
        for line in value.splitlines():  # a PEM body is judged line by line
            for needle in {line, line[-12:]}:
                if needle.encode() in data:
                    found.append(f"{what}: {name} ({needle[:6]}…)")
    return found


def _pack_all_formats(root: Path, out: Path, **task: object) -> list[str]:
    leaks: list[str] = []
    cache_dir = out / "cache"
    for fmt in ("xml", "markdown", "json", "plain"):
        for budget in ("none", "200k"):
            dest = out / f"pack-{fmt}-{budget}.txt"
            manifest = out / f"manifest-{fmt}-{budget}.json"
            result = packer.pack(
                root,
                Options(format=fmt, budget=budget, cache_dir=cache_dir, **task),
                output=dest,
                manifest=manifest,
            )  # type: ignore[arg-type]
            leaks += _leaks(dest.read_bytes(), f"{fmt} {budget} pack")
            leaks += _leaks(manifest.read_bytes(), f"{fmt} {budget} manifest")
            leaks += _leaks(json.dumps(result.manifest(), ensure_ascii=False), f"{fmt} result")
            leaks += _leaks(repr(result), f"{fmt} PackResult")
    for f in sorted(cache_dir.rglob("*")):
        if f.is_file():
            leaks += _leaks(f.read_bytes(), f"cache {f.name}")
    return leaks


def test_every_kind_is_found_and_every_format_is_clean(planted, tmp_path):
    root, outside = planted
    out = tmp_path / "out"
    out.mkdir()
    assert _pack_all_formats(root, out, staged=True, query=f"why does {S['query']} fail?") == []
    assert _pack_all_formats(root, out, diff="HEAD", query=f"@{outside}") == []  # absolute: the user's choice
    result = packer.pack(root, Options(budget="none", diff="HEAD", cache=False), output=None)
    kinds = {s.kind for s in result.secrets}
    paths = {s.path for s in result.secrets}
    # Everything planted in a committed file was found there (not merely absent from output).
    for path in (
        "shop/aws.py",
        "shop/tokens.js",
        "shop/db.go",
        "deploy/id_key.txt",
        "deploy/settings.ini",
        "deploy/env.sh",
        "config/app.json",
        "notebooks/explore.ipynb",
        "shop/client.py",
    ):
        assert path in paths, (path, sorted(paths))
    assert len(kinds) >= 5, kinds
    # The file whose name holds a key is reported under its masked name only.
    assert not any(S["file_name"] in s.path for s in result.secrets)


def test_redacted_pack_keeps_the_code_around_secrets(planted, tmp_path):
    root, _ = planted
    dest = tmp_path / "pack.json"
    packer.pack(root, Options(format="json", budget="none", cache=False), output=dest)
    files = {f["path"]: f["content"] for f in json.loads(dest.read_text(encoding="utf-8"))["files"]}
    aws = files["shop/aws.py"]
    assert aws.count("\n") == _committed_files()["shop/aws.py"].count("\n")
    assert "def client():\n    return boto3.client('s3')\n" in aws
    assert aws.startswith('import boto3\n\nAWS_ACCESS_KEY_ID = "[REDACTED:')
    pem = files["deploy/id_key.txt"]
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n") and pem.endswith(
        "-----END RSA PRIVATE KEY-----\n"
    )
    assert pem.count("\n") == _committed_files()["deploy/id_key.txt"].count("\n")


def test_symlinked_query_file_outside_the_repository_is_refused(planted, tmp_path, monkeypatch):
    root, _ = planted
    monkeypatch.chdir(root)
    with pytest.raises(packer.PackerError, match="outside"):
        packer.pack(root, Options(query="@issue.md", cache=False), output=None)
    got = CliRunner().invoke(main, ["pack", str(root), "--query", "@issue.md", "-o", str(tmp_path / "p.xml")])
    assert got.exit_code == 1 and "outside" in got.output
    assert _leaks(got.output, "cli") == [] and not (tmp_path / "p.xml").exists()


def test_chunk_output_is_clean(planted, tmp_path):
    root, _ = planted
    got = CliRunner().invoke(main, ["chunk", str(root), "--max-tokens", "200", "--context"])
    assert got.exit_code == 0, got.output
    chunks = [json.loads(line) for line in got.stdout.splitlines() if line.strip()]
    named = {c["path"].removeprefix(str(root) + "/") for c in chunks}
    assert named >= {"shop/aws.py", "shop/tokens.js", "deploy/env.sh"}
    assert _leaks(got.stdout, "chunk") == []
    lib = packer.chunk([root], max_tokens=200)
    assert _leaks(json.dumps([dataclasses.asdict(c) for c in lib]), "library chunk") == []


def test_review_dry_run_and_sent_bodies_are_clean(planted, tmp_path, monkeypatch):
    root, outside = planted
    monkeypatch.chdir(root)
    query = f"the token {S['query']} is rejected"
    dry = tmp_path / "request.json"
    got = CliRunner().invoke(
        main, ["review", str(root), "--staged", "--query", query, "--dry-run", "-o", str(dry)]
    )
    assert got.exit_code == 0, got.output
    assert _leaks(dry.read_bytes(), "dry run") == [] and _leaks(got.output, "dry-run cli") == []
    assert "[REDACTED:" in dry.read_text(encoding="utf-8")
    with FakeOpenAI(answer="No findings.") as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-" + "x" * 20)
        sends = {
            "sent body": ["--staged", "--query", query],
            "sent body (@file)": [
                "--diff",
                "HEAD",
                "--query",
                f"@{outside}",
                "--instructions",
                f"@{outside}",
            ],
        }
        for k, (what, args) in enumerate(sends.items(), 1):
            send = ["review", str(root), *args, "--yes", "--base-url", srv.base_url, "--max-cost", "50"]
            got = CliRunner().invoke(main, send)
            assert got.exit_code == 0, got.output
            assert len(srv.requests) == k
            assert _leaks(json.dumps(srv.requests[-1]["body"]), what) == []
