"""The pre-commit hooks, installed from this project by the pre-commit framework itself.

Slow on a cold cache (pre-commit builds a virtualenv and pip-installs packer and its
dependencies from the package index); skipped when pre-commit is not installed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, write
from fake_openai import FakeOpenAI

PROJECT = Path(__file__).resolve().parents[1]
PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).with_name("pre-commit"))
needs_pre_commit = pytest.mark.skipif(not Path(PRE_COMMIT).exists(), reason="pre-commit is not installed")


def test_review_hook_output_is_shown_when_it_passes():
    """pre-commit hides a passing hook's output unless `verbose`: "review skipped" would vanish."""
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["packer-review"]["verbose"] is True
    assert hooks["packer-review"]["entry"].split()[:4] == ["packer", "review", "--staged", "--yes"]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def _run(args, cwd, env):
    return subprocess.run([PRE_COMMIT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@needs_pre_commit
def test_hooks_through_pre_commit(tmp_path, pre_commit_home):
    repo = tmp_path / "proj"
    write(repo, {"app.py": "def handler(req):\n    return eval(req.body)\n", "README.md": "# proj\n"})
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    (repo / "app.py").write_text("def handler(req):\n    return eval(req.body) + 1\n")
    git(repo, "add", "app.py")
    with FakeOpenAI() as srv:
        env = {
            **os.environ,
            "PRE_COMMIT_HOME": str(pre_commit_home),
            "OPENAI_API_KEY": "k",
            "OPENAI_BASE_URL": srv.base_url,
        }
        first = _run(["try-repo", str(PROJECT), "--verbose"], repo, env)
        out = first.stdout + first.stderr
        # packer-context created the file, so the run fails; packer-review printed the findings.
        assert first.returncode == 1, out
        assert (repo / "packer-context.xml").exists() and "regenerated" in out, out
        assert "[high] a.py:1" in out
        review = next(r for r in srv.requests if r["path"].endswith("/responses"))
        assert "eval(req.body) + 1" in str(review["body"])  # the staged change was sent
        git(repo, "add", "packer-context.xml")
        second = _run(["try-repo", str(PROJECT), "--verbose"], repo, env)
        assert second.returncode == 0, second.stdout + second.stderr
        # Without a key the review hook warns and passes, and the warning shows without --verbose.
        offline = _run(
            ["try-repo", str(PROJECT), "packer-review"],
            repo,
            {k: v for k, v in env.items() if k != "OPENAI_API_KEY"},
        )
        assert offline.returncode == 0 and "review skipped: no API key" in offline.stdout + offline.stderr
        # Nothing staged: nothing is sent, and the hook says so.
        git(repo, "commit", "-qm", "change")
        sent = len(srv.requests)
        idle = _run(["try-repo", str(PROJECT), "packer-review"], repo, env)
        assert idle.returncode == 0, idle.stdout + idle.stderr
        assert "nothing to review: no staged changes" in idle.stdout + idle.stderr
        assert len(srv.requests) == sent
