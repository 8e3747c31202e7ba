"""The CLI through click's CliRunner: flags reach the library, errors are one clear line."""

import json

import pytest
from click.testing import CliRunner
from conftest import read_exact, write

from packer.cli import main
from packer.tokens import Counter


@pytest.fixture
def repo(tmp_path):
    write(
        tmp_path / "r",
        {
            "README.md": "# hi\n",
            "src/a.py": "def a():\n    return 1\n",
            "src/b.py": "B = 2\n" * 50,
            "tests/test_a.py": "def test(): pass\n",
        },
    )
    return tmp_path / "r"


def _run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_pack_to_stdout_and_manifest(repo, tmp_path):
    man = tmp_path / "m.json"
    res = _run("pack", str(repo), "--manifest", str(man), "--quiet")
    assert res.exit_code == 0, res.output
    data = json.loads(man.read_text())
    assert Counter().count(res.stdout) == data["total_tokens"]
    assert res.stdout.startswith("<pack>")


@pytest.mark.parametrize("fmt", ["xml", "markdown", "json", "plain"])
def test_formats_and_output_file(repo, tmp_path, fmt):
    out = tmp_path / f"out.{fmt}"
    res = _run("pack", str(repo), "-f", fmt, "-o", str(out), "--budget", "5k")
    assert res.exit_code == 0, res.output
    assert "packed 4 files in full" in res.stderr
    assert Counter().count(read_exact(out)) <= 5000


def test_include_exclude_and_encoding(repo, tmp_path):
    man = tmp_path / "m.json"
    res = _run(
        "pack",
        str(repo),
        "--include",
        "src/**",
        "--exclude",
        "b.py",
        "--encoding",
        "cl100k_base",
        "--manifest",
        str(man),
        "-o",
        str(tmp_path / "o"),
        "-q",
    )
    assert res.exit_code == 0, res.output
    data = json.loads(man.read_text())
    assert data["encoding"] == "cl100k_base"
    assert [f["path"] for f in data["files"]] == ["src/a.py"]


def test_target_api_budget(repo, tmp_path):
    man = tmp_path / "m.json"
    assert _run("pack", str(repo), "-t", "api", "--manifest", str(man), "-q").exit_code == 0
    assert json.loads(man.read_text())["budget"] == 968_000
    assert _run("pack", str(repo), "-t", "api", "--reserve", "0", "--manifest", str(man), "-q").exit_code == 0
    assert json.loads(man.read_text())["budget"] == 1_000_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pack", "/no/such/dir"], "does not exist"),
        (["pack", "{repo}", "--budget", "10"], "cannot hold even the header"),
        (["pack", "{repo}", "--budget", "lots"], "invalid budget 'lots'"),
        (["pack", "{repo}", "--target", "gpt9"], "unknown target 'gpt9'"),
        (["pack", "{repo}", "--config", "{repo}/cfg.toml"], "unknown key 'bogus'"),
    ],
)
def test_user_errors_are_one_line_exit_1(repo, args, message):
    (repo / "cfg.toml").write_text("bogus = 1\n")
    res = _run(*[a.format(repo=repo) for a in args])
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_unknown_encoding_is_rejected_by_the_cli(repo):
    res = _run("pack", str(repo), "--encoding", "p50k")
    assert res.exit_code == 2 and "p50k" in res.stderr


def test_stats_shows_where_tokens_are(repo):
    res = _run("stats", str(repo), "-n", "2")
    assert res.exit_code == 0, res.output
    assert "by directory:" in res.stdout and "src/" in res.stdout
    assert "src/b.py" in res.stdout.split("by file:")[1]


def test_quiet_is_silent_on_stderr(repo, tmp_path):
    res = _run("pack", str(repo), "-o", str(tmp_path / "o"), "-q")
    assert res.exit_code == 0 and res.stderr == ""
