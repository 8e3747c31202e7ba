"""The diff, the query and `@file` inputs go through the same gate as the files:
what the pack leaves out stays out of the diff, and no secret leaves in any of them."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import git, write

import packer
from packer import Options
from packer.cli import main
from packer.errors import ConfigError

FORMATS = ["xml", "markdown", "json", "plain"]
# Fake, realistically shaped: AWS access key id, AWS secret key, GitHub classic token.
AWS_KEY = "AKIA" + "Q3EGRT7BZK5XW2MN"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "Q3EGRT7BZK"
GH_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tV9wX1yZ3bC5"
LEAKS = (AWS_KEY, AWS_SECRET, GH_TOKEN)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    write(root, {
        "app/config.py": "DEBUG = False\n",
        "app/main.py": "def main():\n    return 1\n",
        "private/notes.py": "x = 1\n",
        "private/old.py": "old = 1\n",
        "internal/y.py": "y = 1\n",
        "internal/gone.py": "gone = 1\n",
        ".packerignore": "internal/\n",
        "README.md": "# Demo\n",
    })  # fmt: skip
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def stage_secrets(root: Path) -> None:
    """Secrets on `+` lines of staged changes; the work tree no longer holds the config ones."""
    write(root, {
        "app/config.py": (f'DEBUG = False\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
                          f'AWS_SECRET_ACCESS_KEY="{AWS_SECRET}"\ntoken = "{GH_TOKEN}"\n'),
        "private/notes.py": "x = 1\nPRIVATE_HUNK_MARKER = 2\n",
        "internal/y.py": "y = 1\nINTERNAL_HUNK_MARKER = 2\n",
        ".env": f"ENV_HUNK_MARKER=1\nGITHUB_TOKEN={GH_TOKEN}\n",
    })  # fmt: skip
    (root / "private" / "old.py").unlink()
    (root / "internal" / "gone.py").unlink()
    git(root, "add", "-A")
    write(root, {"app/config.py": "DEBUG = False\n"})  # unstaged: the secrets are only in the diff


def _pack(root: Path, tmp_path: Path, fmt: str, **kw):
    out, manifest = tmp_path / f"pack.{fmt}", tmp_path / f"manifest-{fmt}.json"
    result = packer.pack(root, Options(format=fmt, **kw), output=out, manifest=manifest)
    return out.read_text(encoding="utf-8"), manifest.read_text(encoding="utf-8"), result


@pytest.mark.parametrize("fmt", FORMATS)
def test_staged_secrets_never_reach_the_pack_or_the_manifest(repo, tmp_path, fmt):
    stage_secrets(repo)
    text, manifest, result = _pack(repo, tmp_path, fmt, staged=True, exclude=["private/"])
    for leak in LEAKS:
        assert leak not in text and leak not in manifest
    assert "AWS_ACCESS_KEY_ID = " in text and "[REDACTED:" in text  # the hunk is there, redacted
    found = {(s.path, s.line, s.redacted) for s in result.secrets}
    assert {("app/config.py", 2, True), ("app/config.py", 3, True), ("app/config.py", 4, True)} <= found
    listed = json.loads(manifest)["secrets"]
    assert {(x["path"], x["line"]) for x in listed} >= {("app/config.py", 2), ("app/config.py", 4)}


def test_left_out_files_show_one_line_instead_of_their_hunks(repo, tmp_path):
    stage_secrets(repo)
    text, _, _ = _pack(repo, tmp_path, "plain", staged=True, exclude=["private/"])
    for marker in ("PRIVATE_HUNK_MARKER", "INTERNAL_HUNK_MARKER", "ENV_HUNK_MARKER", "old = 1", "gone = 1"):
        assert marker not in text
    assert "[packer: diff of private/notes.py omitted: excluded by --exclude private/]" in text
    assert "[packer: diff of private/old.py omitted: excluded by --exclude private/]" in text  # deleted
    assert "[packer: diff of internal/y.py omitted: .packerignore]" in text
    assert "[packer: diff of internal/gone.py omitted: .packerignore]" in text  # deleted
    assert "[packer: diff of .env omitted: secrets file]" in text
    assert "diff --git a/app/config.py b/app/config.py" in text  # a packed file keeps its hunks
    # Without the exclusion the file is packed, and so is its hunk.
    text, _, _ = _pack(repo, tmp_path, "plain", staged=True)
    assert "PRIVATE_HUNK_MARKER" in text and "private/notes.py omitted" not in text


def test_include_and_skipped_files_are_left_out_of_the_diff(repo, tmp_path):
    write(
        repo,
        {
            "app/main.py": "def main():\n    return 2\n",
            "data.bin": b"\x00\x01BIN_MARKER\x00",
            "big.txt": "BIG_MARKER\n" * 200,
        },
    )
    git(repo, "add", "-A")
    text, _, _ = _pack(repo, tmp_path, "plain", staged=True, max_file_size=1000)
    assert "BIG_MARKER" not in text and "[packer: diff of big.txt omitted: too large" in text
    assert "[packer: diff of data.bin omitted: binary" in text
    text, _, _ = _pack(repo, tmp_path, "plain", staged=True, include=["app/"])
    assert "+    return 2" in text
    assert "[packer: diff of big.txt omitted: not matched by --include]" in text


def test_untracked_file_with_a_secret_is_redacted_in_the_diff(repo, tmp_path):
    write(
        repo,
        {
            "app/new.py": f'API_TOKEN = "{GH_TOKEN}"\nUNTRACKED_MARKER = 1\n',
            "private/new.py": "PRIVATE_UNTRACKED = 1\n",
        },
    )
    text, manifest, result = _pack(repo, tmp_path, "xml", diff="HEAD", exclude=["private/"])
    assert "+UNTRACKED_MARKER = 1" in text and GH_TOKEN not in text and GH_TOKEN not in manifest
    assert "PRIVATE_UNTRACKED" not in text
    assert "[packer: diff of private/new.py omitted: excluded by --exclude private/]" in text
    assert ("app/new.py", 1) in {(s.path, s.line) for s in result.secrets}


def test_allowed_secrets_stay_in_the_diff_and_are_listed_as_such(repo, tmp_path):
    stage_secrets(repo)
    text, _, result = _pack(repo, tmp_path, "plain", staged=True, allow_secrets=True)
    assert GH_TOKEN in text
    assert ("app/config.py", 4, False) in {(s.path, s.line, s.redacted) for s in result.secrets}
    assert "ENV_HUNK_MARKER" not in text  # the file rules still hold


@pytest.mark.parametrize("how", ["inline", "file"])
def test_a_secret_in_the_query_is_redacted(repo, tmp_path, monkeypatch, how):
    monkeypatch.chdir(repo)
    write(repo, {"issue.md": f"login fails\nreproduce with {GH_TOKEN}\n"})
    query = "@issue.md" if how == "file" else f"login fails, reproduce with {GH_TOKEN}"
    text, manifest, result = _pack(repo, tmp_path, "xml", query=query, exclude=["issue.md"])
    assert GH_TOKEN not in text and GH_TOKEN not in manifest
    assert any(s.path == "<query>" and s.kind == "GitHub Token" for s in result.secrets)
    assert {
        "path": "<query>",
        "line": 2 if how == "file" else 1,
        "kind": "GitHub Token",
        "redacted": True,
    } in json.loads(manifest)["secrets"]


def test_review_dry_run_body_holds_no_secret_from_query_instructions_or_diff(repo, tmp_path, monkeypatch):
    stage_secrets(repo)
    monkeypatch.chdir(repo)
    write(repo, {"prompt.md": f"Review it. Our CI token is {AWS_KEY}.\n"})
    out = tmp_path / "x.json"
    got = CliRunner().invoke(
        main,
        [
            "review",
            str(repo),
            "--staged",
            "--dry-run",
            "-o",
            str(out),
            "--query",
            f"check the token {GH_TOKEN}",
            "--instructions",
            "@prompt.md",
        ],
    )
    assert got.exit_code == 0, got.output
    body = out.read_text(encoding="utf-8")
    for leak in LEAKS:
        assert leak not in body and leak not in got.output
    assert "check the token [REDACTED:GitHub Token]" in body
    assert "Our CI token is [REDACTED:AWS Access Key]" in body
    assert "AWS_SECRET_ACCESS_KEY" in body  # the staged hunk is in, redacted


def test_at_file_outside_the_repository_is_refused(repo, tmp_path, monkeypatch):
    outside = tmp_path / "outside.md"
    outside.write_text(f"aws_secret_access_key = {AWS_SECRET}\n", encoding="utf-8")
    (repo / "issue.md").symlink_to(outside)  # a repository can ship this link
    monkeypatch.chdir(repo)
    for query in ("@issue.md", "@../outside.md"):
        with pytest.raises(
            ConfigError,
            match=r"outside the repository.*copy it into the repository "
            r"or pass an absolute path",
        ):
            packer.pack(repo, Options(query=query))
    got = CliRunner().invoke(main, ["review", str(repo), "--dry-run", "--instructions", "@issue.md"])
    assert got.exit_code != 0 and "outside the repository" in got.output
    assert AWS_SECRET not in got.output
    # An absolute path is the user's own choice; what it holds is still redacted.
    text, manifest, result = _pack(repo, tmp_path, "xml", query=f"@{outside}")
    assert AWS_SECRET not in text and AWS_SECRET not in manifest
    assert [s.path for s in result.secrets] == ["<query>"]
