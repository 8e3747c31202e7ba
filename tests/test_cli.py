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
    assert res.exit_code == 1 and "p50k" in res.stderr
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: ")


def test_stats_shows_where_tokens_are(repo):
    res = _run("stats", str(repo), "-n", "2")
    assert res.exit_code == 0, res.output
    assert "by directory:" in res.stdout and "src/" in res.stdout
    assert "src/b.py" in res.stdout.split("by file:")[1]


def test_quiet_is_silent_on_stderr(repo, tmp_path):
    res = _run("pack", str(repo), "-o", str(tmp_path / "o"), "-q")
    assert res.exit_code == 0 and res.stderr == ""


# -- usage errors are one line too ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["pack", "{repo}", "-f", "yaml"], "'yaml'"),
        (["pack", "{repo}", "--parts", "0"], "--parts"),
        (["pack", "{repo}", "--keep", "foo"], "'foo'"),
        (["pack", "{repo}", "--no-such-flag"], "--no-such-flag"),
        (["stats", "{repo}", "--json", "extra", "args"], "extra"),
        (["pack", "{repo}", "-o"], "-o"),
        (["no-such-command"], "no-such-command"),
        (["review", "{repo}", "--fail-on", "sometimes"], "sometimes"),
    ],
)
def test_usage_errors_are_one_error_line_with_exit_1(repo, args, names):
    res = _run(*[a.format(repo=repo) for a in args])
    assert res.exit_code == 1, res.output
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: ") and names in res.stderr
    assert "Usage:" not in res.stderr and "--help" in res.stderr  # where to look, in one line


def test_help_and_version_still_work():
    for args in (["--help"], ["pack", "--help"], ["stats", "--help"]):
        res = _run(*args)
        assert res.exit_code == 0 and "Usage:" in res.stdout and res.stderr == ""
    res = _run("--version")
    assert res.exit_code == 0 and "packer, version" in res.stdout
    bare = _run()
    assert bare.exit_code == 0 and "Commands:" in bare.stdout


def test_a_bad_config_value_names_the_config_file(repo, tmp_path):
    (repo / ".packer.toml").write_text('budget = "lots"\n')
    res = _run("pack", str(repo), "-o", str(tmp_path / "o.xml"))
    assert res.exit_code == 1
    assert res.stderr == f"error: {repo / '.packer.toml'}: invalid budget 'lots': " + (
        "use a token count like 200k, 1m or 350000, or none\n"
    )
    # The flag's own bad value is the flag's: no file is blamed.
    (repo / ".packer.toml").write_text('budget = "10k"\n')
    res = _run("pack", str(repo), "-b", "lots", "-o", str(tmp_path / "o.xml"))
    assert res.exit_code == 1 and ".packer.toml" not in res.stderr and "'lots'" in res.stderr


def test_a_missing_focus_path_is_named_once(repo, monkeypatch):
    monkeypatch.chdir(repo)
    res = _run("pack", ".", "--focus", "nonexist.py", "-q")
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    # from the root, the path as given is the one place looked: named once, in one form
    assert res.stderr.count("nonexist.py") == 1 and str(repo) not in res.stderr
    elsewhere = repo.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # two places looked: each named once
    res = _run("pack", str(repo), "--focus", "nonexist.py", "-q")
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert res.stderr.count(str(repo / "nonexist.py")) == 1
    assert res.stderr.count(str(elsewhere / "nonexist.py")) == 1


# -- output: the format from -o, the summary, stats --json -----------------------------------


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("o.md", "# Packed repository"),
        ("o.json", '{"packer": '),
        ("o.txt", "Packed repository"),
        ("o.XML", "<pack>"),
    ],
)
def test_the_format_follows_the_output_extension(repo, tmp_path, name, starts):
    res = _run("pack", str(repo), "-o", str(tmp_path / name), "-q")
    assert res.exit_code == 0, res.output
    assert read_exact(tmp_path / name).startswith(starts)


def test_format_flag_beats_the_extension_and_unknown_extensions_keep_the_default(repo, tmp_path):
    assert _run("pack", str(repo), "-o", str(tmp_path / "o.md"), "-f", "xml", "-q").exit_code == 0
    assert read_exact(tmp_path / "o.md").startswith("<pack>")
    assert _run("pack", str(repo), "-o", str(tmp_path / "o.pack"), "-q").exit_code == 0
    assert read_exact(tmp_path / "o.pack").startswith("<pack>")


def test_the_summary_names_the_largest_files_what_was_left_out_the_secrets_and_the_file(tmp_path):
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    write(
        tmp_path / "r",
        {
            "src/keys.py": f"KEY = '{token}'\n",
            "src/small.py": "A = 1\n",
            "docs/huge/guide.md": "words and more words\n" * 3000,
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
        },
    )
    out = tmp_path / "p.xml"
    res = _run("pack", str(tmp_path / "r"), "-b", "2k", "-o", str(out))
    assert res.exit_code == 0, res.output
    lines = res.stderr.splitlines()
    assert lines[0].startswith("packed 2 files in full, 1 listed, 1 skipped")
    largest = next(x for x in lines if x.startswith("largest: "))
    assert largest.index("src/keys.py") < largest.index("src/small.py")  # largest first
    left = next(x for x in lines if x.startswith("left out"))
    assert "1 files" in left and "docs/huge/" in left and "~" in left
    size = int(left.split("docs/huge/ 1 files ~")[1].split()[0].replace(",", ""))
    assert size > 10_000  # the file's own tokens, not its line in the tree
    assert "skipped: 1 binary" in lines
    assert any(x.startswith("secrets: 1 GitHub Token redacted: src/keys.py:1") for x in lines)
    assert lines[-1] == f"wrote {out}" and token not in res.stderr
    assert len(lines) <= 6


def test_no_progress_when_stderr_is_not_a_terminal(repo, tmp_path):
    res = _run("pack", str(repo), "-o", str(tmp_path / "o.xml"))
    assert "\r" not in res.stderr and "[1/8]" not in res.stderr


def test_stats_json_has_the_figures_of_the_text_report(repo):
    res = _run("stats", str(repo), "--json", "-n", "2")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    text = _run("stats", str(repo)).stdout
    assert f"{data['total_tokens']:,} tokens in {data['files']:,} files" in text
    assert data["files"] == 4 and len(data["largest"]) == 2 and len(data["directories"]) <= 2
    assert data["largest"][0] == {"path": "src/b.py", "tokens": data["largest"][0]["tokens"]}
    assert data["largest"][0]["tokens"] >= data["largest"][1]["tokens"]
    assert {"path": "src/", "tokens": data["directories"][0]["tokens"], "files": 2} in data["directories"]
    assert data["skipped"] == 0 and data["skipped_by_reason"] == {} and data["encoding"] == "o200k_base"


# -- -q: nothing on stderr but errors, for every command -------------------------------------


def test_quiet_silences_every_command_but_errors(repo, tmp_path):
    (repo / "src/keys.py").write_text("KEY = 'ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'\n")
    for args in (
        ["pack", str(repo), "-o", str(tmp_path / "o.xml"), "-q"],
        ["stats", str(repo), "-q"],
        ["chunk", str(repo / "src"), "-q"],
        ["languages", "-q"],
        ["cache", "info", "-q", "--cache-dir", str(tmp_path / "c")],
        [
            "review",
            str(repo),
            "--dry-run",
            "-o",
            str(tmp_path / "r.json"),
            "-q",
            "--focus",
            str(repo / "src"),
        ],
    ):
        res = _run(*args)
        assert res.exit_code == 0 and res.stderr == "", (args, res.stderr)
    loud = _run(
        "review", str(repo), "--dry-run", "-o", str(tmp_path / "r.json"), "--focus", str(repo / "src")
    )
    assert "secrets: 1 GitHub Token redacted" in loud.stderr  # what -q silenced
    res = _run("pack", str(repo), "-q", "-b", "10", "-o", str(tmp_path / "o.xml"))
    assert res.exit_code == 1 and res.stderr.startswith("error: ")  # errors still show


# -- on a terminal: no pack on the screen, progress for every stage ---------------------------


def _on_a_terminal(args, cwd, *, stdout_tty=True):
    """Run the CLI in a subprocess with stderr (and stdout, unless not `stdout_tty`) on a pty."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    out = tmp_out = None
    if not stdout_tty:
        tmp_out = open(cwd / "stdout.txt", "wb")  # noqa: SIM115 - closed below
    out = slave if stdout_tty else tmp_out
    proc = subprocess.Popen(
        [sys.executable, "-c", "from packer.cli import main; main()", *args],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=slave,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=300)
    if tmp_out is not None:
        tmp_out.close()
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_file_not_the_pack(repo, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "packer-r.xml").write_text("my own notes, not a pack\n")
    code, screen = _on_a_terminal(["pack", str(repo), "-b", "5k"], work)
    assert code == 0, screen
    assert "<pack>" not in screen and "def a():" not in screen  # nothing of the pack on screen
    assert (work / "packer-r.xml").read_text() == "my own notes, not a pack\n"  # never replaced
    written = work / "packer-r.2.xml"
    assert read_exact(written).startswith("<pack>") and "wrote packer-r.2.xml" in screen
    for n, stage in enumerate(["walk", "read", "count", "rank", "dedup", "fit", "render", "verify"], 1):
        assert f"[{n}/8] {stage}" in screen  # progress for every stage
    # A second run replaces its own earlier pack, and takes the format's extension.
    code, screen = _on_a_terminal(["pack", str(repo), "-b", "5k"], work)
    assert code == 0 and "wrote packer-r.2.xml" in screen
    code, screen = _on_a_terminal(["pack", str(repo), "-f", "markdown", "-q"], work)
    assert code == 0 and screen == "" and read_exact(work / "packer-r.md").startswith("# Packed")


def test_a_pipe_still_gets_the_pack_on_stdout(repo, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    code, screen = _on_a_terminal(["pack", str(repo), "-b", "5k"], work, stdout_tty=False)
    assert code == 0, screen
    assert read_exact(work / "stdout.txt").startswith("<pack>")
    assert not list(work.glob("packer-*")) and "wrote" not in screen


# -- the HTML reports and the MCP server, reached from the CLI --------------------------------


def test_pack_report_and_stats_html_write_a_page(repo, tmp_path):
    page = repo / "report.html"  # inside the repository: this run's own output is not packed
    man = tmp_path / "m.json"
    res = _run(
        "pack", str(repo), "-o", str(tmp_path / "o.xml"), "--report", str(page), "--manifest", str(man)
    )
    assert res.exit_code == 0, res.output
    html = page.read_text()
    assert "<html" in html.lower() and "src/a.py" in html
    assert "report.html" not in [f["path"] for f in json.loads(man.read_text())["files"]]
    assert f"report: {page}" in res.stderr
    res = _run("stats", str(repo), "--html", str(tmp_path / "s.html"), "-q")
    assert res.exit_code == 0 and res.stderr == "" and "src/b.py" in (tmp_path / "s.html").read_text()


def test_a_report_path_that_cannot_be_written_fails_before_any_work(repo, tmp_path):
    res = _run("pack", str(repo), "-o", str(tmp_path / "o.xml"), "--report", str(tmp_path / "no/such/r.html"))
    assert res.exit_code == 1 and res.stderr.count("\n") == 1 and "does not exist" in res.stderr
    assert not (tmp_path / "o.xml").exists()


def test_mcp_command_has_help():
    res = _run("mcp", "--help")
    assert res.exit_code == 0 and "--root" in res.stdout


def test_an_error_never_quotes_a_secret_typed_into_an_option(repo):
    key = "AKIAIOSFODNN7EXAMPLE"
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    for args in (
        ["pack", str(repo), "--focus", f"src/{key}.py"],
        ["review", str(repo), "--diff", token, "--dry-run"],
    ):
        got = CliRunner().invoke(main, args)
        assert got.exit_code == 1 and got.output.startswith("error: "), got.output
        assert key not in got.output and token not in got.output and "[REDACTED:" in got.output
