"""Secret-bearing files are skipped by default, and a secret in a file's name never leaves.

Secrets here are fake but shaped like real ones, built by concatenation.
"""

import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import git, write

import packer
from packer import Options
from packer.cli import main
from packer.discover import secret_spans, walk
from packer.errors import ConfigError

FORMATS = ["xml", "markdown", "json", "plain"]
AWS_KEY = "AKIA" + "IOSFODNN7" + "Q2X4Z5W"  # AKIA + 16 uppercase/digits
GITHUB_TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2z4A"  # ghp_ + 36 alnum
SLACK_TOKEN = "xoxb-" + "1234567890123-1234567890123-" + "aBcDeFgHiJkLmNoPqRsTuVwX"

SECRETS_FILES = [
    ".env",
    ".env.local",
    ".env.production",
    "config/.env",
    "server.pem",
    "deploy.key",
    "cert.p12",
    "cert.pfx",
    "id_rsa",
    "home/.ssh/id_ed25519",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".aws/credentials",
    "gcp/service-account-prod.json",
]
TEMPLATES = [".env.example", ".env.sample", ".env.template", "id_rsa.pub", "keys.py", "env.py"]


def _pack(root: Path, fmt: str = "xml", manifest: Path | None = None, **kw) -> tuple[str, packer.PackResult]:
    buf = io.StringIO()
    result = packer.pack(root, Options(format=fmt, budget="none", **kw), output=buf, manifest=manifest)
    return buf.getvalue(), result


def _skips(result) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


# -- secrets files ---------------------------------------------------------------------


@pytest.mark.parametrize("with_git", [True, False])
def test_secrets_files_are_skipped_by_name_and_templates_are_packed(tmp_path, with_git):
    write(tmp_path, {p: "X=1\n" for p in SECRETS_FILES + TEMPLATES})
    if with_git:
        git(tmp_path, "init", "-q")
    result = walk(tmp_path)
    assert {c.path for c in result.files} == set(TEMPLATES)
    assert _skips(result) == dict.fromkeys(SECRETS_FILES, "secrets file")
    assert {s.label for s in result.skipped} == {"secrets file"}
    kept = walk(tmp_path, keep=["secrets-file"])
    assert {c.path for c in kept.files} == set(SECRETS_FILES + TEMPLATES)
    assert kept.skipped == ()


def test_exclude_still_names_its_pattern_for_a_secrets_file(tmp_path):
    write(tmp_path, {".env": "X=1\n", "a.py": "x = 1\n"})
    assert _skips(walk(tmp_path, exclude=[".env"])) == {".env": "excluded by --exclude .env"}


ENV = f'AWS_ACCESS_KEY_ID="{AWS_KEY}"\nDEBUG=true\nGITHUB_TOKEN="{GITHUB_TOKEN}"\n'


@pytest.mark.parametrize("fmt", FORMATS)
def test_env_is_skipped_by_default_and_its_values_never_appear(tmp_path, fmt):
    write(tmp_path, {".env": ENV, ".env.example": "AWS_ACCESS_KEY_ID=\nDEBUG=true\n", "app.py": "x = 1\n"})
    git(tmp_path, "init", "-q")
    text, result = _pack(tmp_path, fmt, manifest=tmp_path.parent / f"{fmt}.json")
    manifest = (tmp_path.parent / f"{fmt}.json").read_text()
    assert {d.path for d in result.files} == {".env.example", "app.py"}
    assert {"path": ".env", "reason": "secrets file"} in json.loads(manifest)["skipped"]
    assert "DEBUG=true" in text  # the template is packed
    for out in (text, manifest):
        assert AWS_KEY not in out and GITHUB_TOKEN not in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_keep_secrets_file_packs_env_redacted(tmp_path, fmt):
    write(tmp_path, {".env": ENV, "app.py": "x = 1\n"})
    text, result = _pack(tmp_path, fmt, keep=["secrets-file"])
    assert {d.path for d in result.files} == {".env", "app.py"}
    assert AWS_KEY not in text and GITHUB_TOKEN not in text
    assert "DEBUG=true" in text and "[REDACTED:AWS Access Key]" in text
    assert {(s.path, s.line, s.kind) for s in result.secrets} >= {
        (".env", 1, "AWS Access Key"),
        (".env", 3, "GitHub Token"),
    }


def test_a_repository_config_cannot_keep_secrets_files(tmp_path):
    write(tmp_path, {".env": ENV, "app.py": "x = 1\n", ".packer.toml": 'keep = ["secrets-file"]\n'})
    with pytest.raises(ConfigError, match=r"\.packer\.toml.*secrets-file.*--keep secrets-file"):
        _pack(tmp_path)


def test_cli_keep_secrets_file(tmp_path):
    write(tmp_path, {".env": ENV, "app.py": "x = 1\n"})
    out = tmp_path.parent / "out.xml"
    skipped = CliRunner().invoke(
        main, ["pack", str(tmp_path), "-o", str(out), "--budget", "none"], catch_exceptions=False
    )
    assert skipped.exit_code == 0, skipped.output
    assert 'path=".env"' not in out.read_text() and AWS_KEY not in out.read_text()
    kept = CliRunner().invoke(
        main,
        ["pack", str(tmp_path), "-o", str(out), "--budget", "none", "--keep", "secrets-file"],
        catch_exceptions=False,
    )
    assert kept.exit_code == 0, kept.output
    assert 'path=".env"' in out.read_text() and AWS_KEY not in out.read_text()
    assert "secrets: 1 AWS Access Key redacted: .env:1" in kept.output


# -- secrets in file names ----------------------------------------------------------------

NAMED = {
    f"keys/{AWS_KEY}.txt": "key file\n",
    f"tokens/{GITHUB_TOKEN}.json": "{}\n",
    f"{SLACK_TOKEN}/a.py": "a = 1\n",  # a directory whose name is a secret: all under it
    f"{SLACK_TOKEN}/sub/b.py": "b = 2\n",
    "src/app.py": "def main():\n    return 1\n",
}
RAW = (AWS_KEY, GITHUB_TOKEN, SLACK_TOKEN)


def _no_raw_secret(text: str) -> None:
    for raw in RAW:
        assert raw not in text


@pytest.mark.parametrize("with_git", [True, False])
def test_a_secret_in_a_path_is_skipped_masked_and_reported(tmp_path, with_git):
    write(tmp_path, NAMED)
    os.symlink(f"keys/{AWS_KEY}.txt", tmp_path / "link.txt")
    if with_git:
        git(tmp_path, "init", "-q")
    result = walk(tmp_path)
    assert [c.path for c in result.files] == ["src/app.py"]
    assert _skips(result) == {
        "keys/[REDACTED:AWS Access Key].txt": "secret in file name",
        "tokens/[REDACTED:GitHub Token].json": "secret in file name",
        "[REDACTED:Slack Token]/": "secret in file name (2 files)",
        "link.txt": "symlink to keys/[REDACTED:AWS Access Key].txt",
    }
    assert [(s.path, s.line, s.kind) for s in result.secrets] == [
        ("[REDACTED:Slack Token]/", 0, "Slack Token"),
        ("keys/[REDACTED:AWS Access Key].txt", 0, "AWS Access Key"),
        ("tokens/[REDACTED:GitHub Token].json", 0, "GitHub Token"),
    ]
    _no_raw_secret(repr(result))
    # Keeping secrets files does not let a secret in a name out.
    _no_raw_secret(repr(walk(tmp_path, keep=["secrets-file"])))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_secret_in_a_file_name_is_in_no_output(tmp_path, fmt):
    root = tmp_path / "repo"
    write(root, NAMED)
    git(root, "init", "-q")
    manifest = tmp_path / "m.json"
    text, result = _pack(root, fmt, manifest=manifest)
    _no_raw_secret(text)
    _no_raw_secret(manifest.read_text())
    _no_raw_secret(repr(result))
    assert [d.path for d in result.files] == ["src/app.py"]
    found = json.loads(manifest.read_text())["secrets"]
    assert {
        "path": "keys/[REDACTED:AWS Access Key].txt",
        "line": 0,
        "kind": "AWS Access Key",
        "redacted": True,
    } in found
    # Budgeted packs and split packs walk the same way.
    text, _ = (
        _pack(root, fmt) if fmt != "xml" else ("".join(p.read_text() for p in _split(root, tmp_path)), None)
    )
    _no_raw_secret(text)


def _split(root: Path, out: Path) -> list[Path]:
    result = packer.pack(root, Options(budget=3000, split=True), output=out / "part.xml")
    return [Path(p.path) for p in result.parts if p.path]


def test_cli_pack_masks_a_secret_in_a_file_name(tmp_path):
    root = tmp_path / "repo"
    write(root, NAMED)
    git(root, "init", "-q")
    got = CliRunner().invoke(
        main,
        ["pack", str(root), "--budget", "none", "--manifest", str(tmp_path / "m.json")],
        catch_exceptions=False,
    )
    assert got.exit_code == 0, got.output
    _no_raw_secret(got.output)
    _no_raw_secret((tmp_path / "m.json").read_text())
    assert "secrets: 1 AWS Access Key redacted: keys/[REDACTED:AWS Access Key].txt" in got.output
    assert 'path="src/app.py"' in got.output


def test_ordinary_names_are_not_taken_for_secrets():
    names = [
        "src/app.py",
        "tests/test_settings.py",
        "docs/api_keys.md",
        "password_reset.html",
        "objects/3f/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "migrations/0042_auth_token.py",
        "build/main.3f9a1c2e7b8d4f60.bundle.js",
        "a=b/c:d.txt",
        "secret_santa.rb",
        "ImageNet2012_train_00001234.JPEG",
        "k8s/configmap-1f2e3d4c5b.yaml",
        "weird\ud8ffname=1.txt",
        "日本語/token=設定.txt",
    ]
    assert secret_spans(names) == {}


def test_the_precheck_finds_what_scan_finds():
    names = [
        "ok.py",
        f"x/{AWS_KEY}",
        f"é/{GITHUB_TOKEN}.json",
        f"two\nlines/{SLACK_TOKEN}",
        "bad\udcff/" + AWS_KEY,
        f"{AWS_KEY[:10]}\n{AWS_KEY[10:]}",
    ]
    found = secret_spans(names)
    assert sorted(found) == [1, 2, 3, 4]
    assert found[1] == [(2, 22, "AWS Access Key")]
