"""No program a repository configures runs when packer runs git, and git never reads
packer's stdin.

A repository's own config (.git/config and what it includes) can name programs git runs:
`core.fsmonitor`, `core.pager`, `diff.external`, a textconv or filter driver, hooks
(`core.hooksPath`; `git diff` writes the index, which runs `post-index-change`),
`gpg.program` (with `log.showSignature`) and, in a partial clone, the transport of the
on-demand fetch (`remote.*.uploadpack`, `core.sshCommand`). Every command is run through
the CLI in a subprocess, with data piped on its stdin.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, write

from packer.history import git_signals

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

HOOKS = (
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "post-index-change",
)
STDIN = b"data on stdin\n" * 100


def packer_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """The installed `packer` entry point (else the CLI module), data piped on its stdin."""
    entry = Path(sys.executable).with_name("packer")
    cmd = [str(entry)] if entry.exists() else [sys.executable, "-c", "from packer.cli import main; main()"]
    return subprocess.run([*cmd, *args], input=STDIN, capture_output=True, cwd=cwd, check=False, timeout=300)


def script(path: Path, body: str) -> str:
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def marker_script(bin_dir: Path, ran: Path, name: str) -> str:
    """A program that records that it ran and fails (it never reads its stdin)."""
    return script(bin_dir / name, f'echo "$0 $*" >> "{ran / name}"\nexit 1')


def ran(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


def signed_commit(root: Path, message: str) -> None:
    """Commit the index with a (fake) signature header: `log.showSignature` would verify it."""
    tree = git(root, "write-tree").strip()
    parent = git(root, "rev-parse", "HEAD").strip()
    body = (
        f"tree {tree}\nparent {parent}\nauthor t <t@example.invalid> 1700000000 +0000\n"
        f"committer t <t@example.invalid> 1700000000 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n"
        f"\n{message}\n"
    )
    proc = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=root,
        input=body.encode(),
        capture_output=True,
        check=True,
    )
    git(root, "update-ref", "HEAD", proc.stdout.decode().strip())


@pytest.fixture
def hostile(tmp_path):
    """A repository whose config points every program it can at a marker script; its
    changes: a.py modified, b.py staged, c.py untracked, d.py touched but unchanged, and a
    user-trusted filter on *.dat (the user's global config, as git-lfs installs itself)."""
    root, bin_dir, markers = tmp_path / "repo", tmp_path / "bin", tmp_path / "ran"
    bin_dir.mkdir()
    markers.mkdir()
    write(
        root,
        {
            "a.py": "def alpha():\n    return 1\n",
            "b.py": "def beta():\n    return 2\n",
            "d.py": "D = 4\n",
            "e.dat": "data\n",
            "old_name.py": "def moved():\n    return 'x'\n" * 20,
        },
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    os.rename(root / "old_name.py", root / "new_name.py")
    write(root, {"new_name.py": "def moved():\n    return 'x'\n" * 19 + "def moved():\n    return 'y'\n"})
    git(root, "add", "-A")
    signed_commit(root, "renamed, signed")  # a rename for `log --find-renames`, a signature to check
    write(root, {"b.py": "def beta():\n    return 22\n"})
    git(root, "add", "b.py")
    write(root, {"a.py": "def alpha():\n    return 11\n", "c.py": "def gamma():\n    return 3\n"})
    future = (root / "d.py").stat().st_mtime + 100  # stat-dirty: git must look at the content
    for name in ("d.py", "e.dat"):
        os.utime(root / name, (future, future))

    user_filter_ran = tmp_path / "user-filter-ran"
    git(
        root,
        "config",
        "--global",
        "filter.userf.clean",
        script(bin_dir / "user-clean", f'touch "{user_filter_ran}"\ncat'),
    )
    inc_clean = marker_script(bin_dir, markers, "inc-clean")  # set by a file the config includes
    write(
        root,
        {
            ".gitattributes": "* diff=x filter=f\nd.py filter=inc\n*.dat filter=userf\n",
            "inc.cfg": f'[filter "inc"]\n\tclean = {inc_clean}\n',
        },
    )
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in HOOKS:  # where core.hooksPath points, and where git looks without it
        script(hooks / hook, f'echo "$0" >> "{markers / ("hook-" + hook)}"')
        script(root / ".git" / "hooks" / hook, f'echo "$0" >> "{markers / ("git-dir-hook-" + hook)}"')
    config = {
        "core.fsmonitor": "fsmonitor",
        "core.pager": "pager",
        "diff.external": "external-diff",
        "diff.x.textconv": "textconv",
        "diff.x.command": "diff-command",
        "filter.f.clean": "clean",
        "filter.f.smudge": "smudge",
        "filter.f.process": "process",
        "gpg.program": "gpg",
        "core.sshCommand": "ssh",
        "core.editor": "editor",
        "core.askPass": "askpass",
    }
    for key, name in config.items():
        git(root, "config", key, marker_script(bin_dir, markers, name))
    git(root, "config", "filter.f.required", "true")
    git(root, "config", "log.showSignature", "true")
    git(root, "config", "core.hooksPath", str(hooks))
    git(root, "config", "include.path", "../inc.cfg")
    return root, markers, user_filter_ran


def test_no_program_a_repository_configures_is_run(hostile, tmp_path):
    root, markers, user_filter_ran = hostile
    out = tmp_path / "out"
    out.mkdir()

    diff = packer_cli("pack", str(root), "--diff", "--no-cache", "-o", str(out / "diff.xml"))
    assert diff.returncode == 0, diff.stderr.decode()
    text = (out / "diff.xml").read_text(encoding="utf-8")
    assert "+    return 11" in text and "+    return 22" in text and "+    return 3" in text
    assert "diff --git a/d.py" not in text  # touched, unchanged: not a change
    assert "diff --git a/e.dat" not in text  # the user's filter ran: cleaned, it is unchanged
    assert user_filter_ran.exists()
    assert ran(markers) == [], "pack --diff"

    staged = packer_cli("pack", str(root), "--staged", "--no-cache", "-o", str(out / "staged.xml"))
    assert staged.returncode == 0, staged.stderr.decode()
    text = (out / "staged.xml").read_text(encoding="utf-8")
    assert "+    return 22" in text and "+    return 11" not in text
    assert ran(markers) == [], "pack --staged"

    for name, args in {
        "query": ["pack", str(root), "--query", "why beta", "--no-cache", "-o", str(out / "query.xml")],
        "default": ["pack", str(root), "--no-cache", "-o", str(out / "default.xml")],  # history on
        "review": ["review", str(root), "--dry-run", "--staged", "-o", str(out / "review.json")],
    }.items():
        proc = packer_cli(*args)
        assert proc.returncode == 0, (name, proc.stderr.decode())
        assert ran(markers) == [], name
    first = (out / "query.xml").read_text(encoding="utf-8").split('<file path="')[1]
    assert first.startswith('b.py"')  # ranked by the query
    assert "new_name.py" in (out / "default.xml").read_text(encoding="utf-8")
    assert "+    return 22" in (out / "review.json").read_text(encoding="utf-8")

    chunk = packer_cli("chunk", str(root / "a.py"))
    assert chunk.returncode == 0, chunk.stderr.decode()
    assert b'"path": "' in chunk.stdout and b"return 11" in chunk.stdout
    context = packer_cli("context", str(out / "context.xml"), str(root))
    assert context.returncode in (0, 1), context.stderr.decode()  # 1: written, it changed
    assert "def alpha" in (out / "context.xml").read_text(encoding="utf-8")
    assert ran(markers) == [], "chunk, context"


def test_a_partial_clone_never_fetches(tmp_path):
    """Missing objects would be fetched by running the remote's upload-pack, a program the
    clone's config names: packer's git calls fetch nothing (the history without renames)."""
    origin, clone, markers = tmp_path / "origin", tmp_path / "clone", tmp_path / "ran"
    markers.mkdir()
    write(origin, {"a.py": "def a():\n    return 1\n" * 30})
    git(origin, "init", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "one")
    os.rename(origin / "a.py", origin / "b.py")
    write(origin, {"b.py": "def a():\n    return 1\n" * 29 + "def a():\n    return 2\n"})
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "inexact rename: needs the blobs")
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{origin}", str(clone))
    upload_pack = shutil.which("git-upload-pack") or "git-upload-pack"
    git(
        clone,
        "config",
        "remote.origin.uploadpack",
        script(tmp_path / "upload-pack", f'touch "{markers / "upload-pack"}"\nexec git upload-pack "$@"'),
    )
    git(clone, "config", "protocol.file.allow", "always")  # the clone's own say: overridden
    assert upload_pack  # the clone works: only HEAD's blobs are here
    out = tmp_path / "out.xml"
    proc = packer_cli("pack", str(clone), "--no-cache", "-o", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "return 2" in out.read_text(encoding="utf-8")
    signals = git_signals(clone)  # without renames, which would need the old blob
    assert signals is not None and signals.commits == 2 and "b.py" in signals.churn
    proc = packer_cli("pack", str(clone), "--diff", "HEAD~1", "--no-cache", "-o", str(out))
    assert proc.returncode != 0  # the old blob is not here and is not fetched
    assert b"--diff HEAD~1: git says:" in proc.stderr
    assert ran(markers) == []
