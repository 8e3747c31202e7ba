"""The one output writer: streams written through, files replaced atomically, bad paths
refused before any work, and packer's own outputs never packed."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write

import packer
from packer import Options
from packer import output as out_mod
from packer.cli import main
from packer.errors import ConfigError, PackerError
from packer.output import atomic_text


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mknod of a device needs root")
def test_a_device_is_written_through_not_replaced(tmp_path):
    null = tmp_path / "null"  # a node of its own: never the machine's /dev/null
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    write(tmp_path / "repo", {"a.py": "x = 1\n"})
    packer.pack(tmp_path / "repo", Options(cache=False), output=null, manifest=null)
    with atomic_text(null) as f:
        f.write("more\n")
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".null.")]  # no temp file left


def test_a_fifo_is_written_through_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    write(tmp_path / "repo", {"a.py": "x = 1\n"})
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    packer.pack(tmp_path / "repo", Options(cache=False), output=fifo)
    reader.join(timeout=20)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and b"x = 1" in got[0] and got[0].startswith(b"<pack>")


# -- the rest of the output rules (issue 13) ----------------------------------------------

PACKER = [sys.executable, "-m", "packer"]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _cli(
    *args: str, cwd: Path | None = None, stdin: bytes = b"data\n", **kw: object
) -> subprocess.CompletedProcess[bytes]:
    """packer as a user runs it: a process of its own, with data on stdin it must not read."""
    return subprocess.run([*PACKER, *args], cwd=cwd, input=stdin, capture_output=True, timeout=120, **kw)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    write(root, {"a.py": "def f():\n    return 1\n", "b.md": "# notes\n"})
    return root


def test_packer_module_runs_as_a_command():
    assert _cli("--version").returncode == 0


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_output_gets_the_mode_the_umask_gives(repo, tmp_path, umask):
    old = os.umask(umask)
    try:
        packer.pack(repo, Options(cache=False), output=tmp_path / "pack.xml", manifest=tmp_path / "m.json")
    finally:
        os.umask(old)
    for name in ("pack.xml", "m.json"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~umask


def test_an_existing_output_keeps_its_mode(repo, tmp_path):
    target = tmp_path / "pack.xml"
    target.write_text("old")
    os.chmod(target, 0o640)
    packer.pack(repo, Options(cache=False), output=target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640 and target.read_text().startswith("<pack>")


def test_dev_stdout_and_dev_fd_are_written_through(repo, tmp_path):
    piped = _cli("pack", str(repo), "-q", "--no-cache", "-o", "/dev/stdout")
    assert piped.returncode == 0 and piped.stdout.startswith(b"<pack>") and piped.stderr == b""
    # stdout a file opened for appending: what the shell wrote first is kept, the pack follows
    log = tmp_path / "log.txt"
    log.write_text("before\n")
    with open(log, "ab") as f:
        run = subprocess.run(
            [*PACKER, "pack", str(repo), "-q", "--no-cache", "-o", "/dev/stdout"],
            stdin=subprocess.DEVNULL,
            stdout=f,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    assert run.returncode == 0 and log.read_text().startswith("before\n<pack>"), run.stderr
    # `-o >(wc -c)`: a pipe inherited as descriptor N
    r, w = os.pipe()
    proc = subprocess.Popen(
        [*PACKER, "pack", str(repo), "-q", "--no-cache", "-o", f"/dev/fd/{w}"],
        pass_fds=(w,),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(w)
    with os.fdopen(r, "rb") as reader:
        data = reader.read()
    assert proc.wait(timeout=120) == 0 and data.startswith(b"<pack>"), proc.stderr.read()


def test_a_fifo_manifest_is_written_through(repo, tmp_path):
    fifo = tmp_path / "manifest.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    packer.pack(repo, Options(cache=False), output=None, manifest=fifo)
    reader.join(timeout=20)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and b'"files"' in got[0]


@pytest.mark.parametrize("command", ["pack", "manifest", "chunk", "review", "context"])
def test_a_symlink_at_the_output_path_is_refused(repo, tmp_path, command):
    victim = tmp_path / "victim.txt"  # say, ~/.bashrc, which a repository links to
    victim.write_text("keep me\n")
    link = repo / "out.xml"
    link.symlink_to(victim)
    args = {
        "pack": ["pack", str(repo), "-o", str(link)],
        "manifest": ["pack", str(repo), "--manifest", str(link)],
        "chunk": ["chunk", str(repo), "-o", str(link)],
        "review": ["review", str(repo), "--dry-run", "-o", str(link)],
        "context": ["context", str(link), str(repo)],
    }[command]
    extra = {"pack": ["--no-cache"], "manifest": ["--no-cache"], "context": []}.get(command, ["-q"])
    run = _cli(*args, *extra)
    assert run.returncode == 1
    err = run.stderr.decode()
    assert err.startswith(f"error: {link} is a symbolic link") and err.count("\n") == 1
    assert victim.read_text() == "keep me\n" and link.is_symlink()


def test_a_symlink_to_a_fifo_is_written_through(repo, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    packer.pack(repo, Options(cache=False), output=link)
    reader.join(timeout=20)
    assert link.is_symlink() and got[0].startswith(b"<pack>")


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/pack.xml", "missing does not exist; create the directory first"),
        ("adir", "adir is a directory; name a file to write"),
        ("afile/pack.xml", "afile is not a directory"),
    ],
)
def test_a_bad_output_path_is_one_error_line_before_any_work(repo, tmp_path, where, message):
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    for args in (
        ["pack", str(repo), "-o", where],
        ["pack", str(repo), "--manifest", where],
        ["chunk", str(repo), "-o", where],
        ["review", str(repo), "--dry-run", "-o", where],
    ):
        run = _cli(*args, cwd=tmp_path)
        err = run.stderr.decode()
        assert run.returncode == 1, (args, err)
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, (args, err)
        assert "internal error" not in err


def _read_only_dir(tmp_path: Path) -> Path:
    ro = tmp_path / "ro"
    ro.mkdir()
    if not IS_ROOT:
        os.chmod(ro, 0o555)
        return ro
    # root writes through permission bits: a read-only mount is read-only for root too
    import shutil

    mount = ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "none", str(ro)]
    if shutil.which("mount") is None or subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("as root, a read-only directory needs a read-only mount, which is not allowed here")
    return ro


def test_a_read_only_location_is_one_error_line(repo, tmp_path):
    ro = _read_only_dir(tmp_path)
    try:
        run = _cli("pack", str(repo), "-o", str(ro / "pack.xml"))
        err = run.stderr.decode()
        assert run.returncode == 1
        assert err == (
            f"error: cannot write {ro / 'pack.xml'}: {ro} is not writable; choose a writable location\n"
        )
        with pytest.raises(PackerError, match="is not writable"):
            packer.pack(repo, Options(cache=False), output=ro / "pack.xml")
    finally:
        if IS_ROOT:
            subprocess.run(["umount", str(ro)], check=False)
        else:
            os.chmod(ro, 0o755)


def test_a_full_disk_is_an_error_that_leaves_nothing(repo, tmp_path, monkeypatch):
    """ENOSPC in the middle of a write: one clear error, no temp file, the old output kept."""
    target = tmp_path / "pack.xml"
    target.write_text("old pack\n")

    class Full:
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

        def flush(self) -> None:
            pass

    real = out_mod.Sink.__init__

    def full_sink(self, stream, path):
        real(self, Full(), path)

    monkeypatch.setattr(out_mod.Sink, "__init__", full_sink)
    with pytest.raises(PackerError, match=f"cannot write {target}: No space left on device"):
        packer.pack(repo, Options(cache=False), output=target)
    assert target.read_text() == "old pack\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.xml", "repo"]


def test_a_closed_pipe_ends_quietly(repo, tmp_path):
    for i in range(200):  # enough output that the reader leaves before the end
        write(repo, {f"m{i}.py": "".join(f"def f{j}(): return {i * j}\n" for j in range(40))})
    for args in (["pack", str(repo), "--no-cache"], ["chunk", str(repo)], ["stats", str(repo)]):
        proc = subprocess.Popen(
            [*PACKER, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert proc.stdout is not None and proc.stdout.read(10)
        proc.stdout.close()  # `| head -c 10`
        rc = proc.wait(timeout=120)
        err = proc.stderr.read().decode() if proc.stderr else ""
        assert rc in (0, -signal.SIGPIPE), (args, rc, err)
        assert "Traceback" not in err and "error" not in err, (args, err)


def test_output_and_manifest_naming_one_file_is_an_error(repo, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "sub")
    for a, b in (("x.xml", "x.xml"), ("x.xml", "./x.xml"), ("sub/x.xml", "alias/x.xml")):
        run = _cli("pack", str(repo), "-o", a, "--manifest", b, cwd=tmp_path)
        assert run.returncode == 1 and b"-o and --manifest both name" in run.stderr, run.stderr
        assert not (tmp_path / "x.xml").exists() and not (tmp_path / "sub" / "x.xml").exists()
    with pytest.raises(ConfigError, match="both name"):
        packer.pack(
            repo, Options(split=True, cache=False), output=tmp_path / "p.xml", manifest=tmp_path / "p-2.xml"
        )


def _many_files(repo: Path, n: int = 24) -> None:
    for i in range(n):  # distinct files (copies would be deduplicated into the tree)
        write(
            repo,
            {f"d{i % 4}/m{i}.py": "".join(f"def f{i}_{j}(): return {i * 1000 + j}\n" for j in range(60))},
        )


def test_parts_never_overwrite_a_file_packer_did_not_write(repo, tmp_path):
    _many_files(repo)
    mine = tmp_path / "out-2.xml"
    mine.write_text("my notes\n")
    with pytest.raises(PackerError, match=r"out-2\.xml exists and is not a part of a packer pack"):
        packer.pack(repo, Options(parts=3, budget=6000, cache=False), output=tmp_path / "out.xml")
    assert mine.read_text() == "my notes\n"
    assert not (tmp_path / "out-1.xml").exists()  # refused before anything was written


def test_stale_parts_are_removed_only_when_packer_wrote_them(repo, tmp_path):
    _many_files(repo)
    base = tmp_path / "out.xml"
    first = packer.pack(repo, Options(parts=4, budget=6000, cache=False), output=base)
    assert len(first.parts) == 4
    (tmp_path / "out-9.xml").write_text("not a pack\n")
    second = packer.pack(repo, Options(parts=2, budget=200_000, cache=False), output=base)
    assert [os.path.basename(p.path or "") for p in second.parts] == ["out-1.xml", "out-2.xml"]
    assert not (tmp_path / "out-3.xml").exists() and not (tmp_path / "out-4.xml").exists()
    assert (tmp_path / "out-9.xml").read_text() == "not a pack\n"
    assert any("out-9.xml is not a packer part" in w for w in second.warnings)
    # overwriting its own parts is fine
    third = packer.pack(repo, Options(parts=2, budget=200_000, cache=False), output=base)
    assert len(third.parts) == 2


# -- packer never packs its own outputs ---------------------------------------------------


def _packed_paths(result) -> set[str]:
    return {f.path for f in result.files if f.mode != "listed"}


def test_a_second_run_does_not_pack_the_first_runs_outputs(repo):
    """The README's first command, run twice."""
    first = _cli("pack", ".", "-o", "pack.xml", "--manifest", "pack.manifest.json", cwd=repo)
    assert first.returncode == 0, first.stderr
    before = (repo / "pack.xml").read_text()
    second = _cli("pack", ".", "-o", "pack.xml", "--manifest", "pack.manifest.json", cwd=repo)
    assert second.returncode == 0, second.stderr
    after = (repo / "pack.xml").read_text()
    assert "pack.xml" not in after and "pack.manifest.json" not in after
    manifest = json.loads((repo / "pack.manifest.json").read_text())
    assert {s["path"]: s["reason"] for s in manifest["skipped"]} == {
        "pack.manifest.json": "packer output",
        "pack.xml": "packer output",
    }
    assert before.split("</tree>")[1] == after.split("</tree>")[1]  # the same files, byte for byte


@pytest.mark.parametrize("fmt", ["xml", "markdown", "json", "plain"])
def test_an_earlier_pack_in_any_format_is_recognised_and_skipped(repo, tmp_path, fmt):
    (repo / "docs").mkdir()
    packer.pack(
        repo,
        Options(format=fmt, cache=False),
        output=repo / "docs" / "old-context.txt",
        manifest=repo / "old.json",
    )
    result = packer.pack(repo, Options(cache=False), output=None)
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped.get("docs/old-context.txt") == "packer output"
    assert skipped.get("old.json") == "packer output"
    assert _packed_paths(result) == {"a.py", "b.md"}


def test_an_earlier_report_page_is_recognised_and_skipped(repo):
    # pack --report / stats --html write a page that can be megabytes: never packed again
    from packer import report

    first = packer.pack(repo, Options(cache=False), output=None)
    report.write_report(repo / "report.html", report.pack_report(first))
    stats_page = report.stats_report(packer.stats(repo, Options(cache=False)))
    report.write_report(repo / "docs-stats.html", stats_page)
    (repo / "page.html").write_text('<!DOCTYPE html>\n<html lang="en">\n<head>\n<title>mine</title>\n')
    result = packer.pack(repo, Options(cache=False), output=None)
    skipped = {s.path: s.reason for s in result.skipped}
    assert skipped.get("report.html") == "packer output"
    assert skipped.get("docs-stats.html") == "packer output"
    assert "page.html" in _packed_paths(result)  # a page of one's own is packed


def test_recognising_packs_matches_every_renderer_and_part(repo, tmp_path):
    _many_files(repo)
    for fmt in ("xml", "markdown", "json", "plain"):
        one = tmp_path / f"one.{fmt}"
        packer.pack(repo, Options(format=fmt, cache=False), output=one, manifest=tmp_path / f"m.{fmt}.json")
        head = one.read_text(encoding="utf-8")[: out_mod.HEAD_CHARS]
        assert out_mod.looks_like_output(head), fmt
        assert out_mod.looks_like_output((tmp_path / f"m.{fmt}.json").read_text()[: out_mod.HEAD_CHARS])
        assert not out_mod.is_packer_part(one)
        split = packer.pack(
            repo, Options(parts=3, budget=6000, format=fmt, cache=False), output=tmp_path / f"s.{fmt}"
        )
        assert split.parts and all(out_mod.is_packer_part(p.path) for p in split.parts if p.path), fmt
        packer.pack(repo, Options(budget="none", format=fmt, cache=False), output=tmp_path / f"u.{fmt}")
        assert out_mod.looks_like_output((tmp_path / f"u.{fmt}").read_text()[: out_mod.HEAD_CHARS])


@pytest.mark.parametrize(
    "text",
    [
        "Notes on the format.\nPacked repository: x\nTarget: y\nThis output: 5 tokens, exactly counted in z\n",  # noqa: E501
        "# Packed repository: how to read one\n\nIt is long.\n",
        '{"packer": "a name we like"}\n',
        '{\n "version": 1,\n "name": "not a manifest"\n}\n',
    ],
)
def test_a_file_that_only_mentions_packs_is_packed(repo, text):
    write(repo, {"notes.txt": text})
    assert "notes.txt" in _packed_paths(packer.pack(repo, Options(cache=False), output=None))


def test_temp_files_of_a_killed_write_are_skipped_then_removed(repo, tmp_path):
    """SIGKILL in the middle of writing the pack, then a second run."""
    _many_files(repo, 60)
    target = repo / "pack.xml"
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from packer import Options, config, pipeline, write\n"
        "def dying(blocks, output):\n"
        "    def gen():\n"
        "        for k, b in enumerate(blocks):\n"
        "            if k == 3:\n"
        "                sys.stdout.flush()\n"
        "                os.kill(os.getpid(), signal.SIGKILL)\n"
        "            yield b\n"
        "    return write.write_blocks(gen(), output)\n"
        f"root = Path({str(repo)!r}).resolve()\n"
        "cfg = config.resolve(root, Options(budget='none', cache=False))\n"
        "stages = pipeline.Stages(write=dying)\n"
        f"pipeline.run(root, cfg, output={str(target)!r}, manifest=None, stages=stages)\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=120, stdin=subprocess.DEVNULL
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    temps = [p.name for p in repo.iterdir() if out_mod.is_temp_name(p.name)]
    assert len(temps) == 1 and not target.exists()
    # another run (another output) does not pack the temp file; the next write of pack.xml removes it
    other = packer.pack(repo, Options(cache=False), output=None)
    assert {s.path: s.reason for s in other.skipped}[temps[0]] == "packer output"
    run = _cli("pack", ".", "-o", "pack.xml", "--no-cache", cwd=repo)
    assert run.returncode == 0, run.stderr
    assert not [p for p in repo.iterdir() if out_mod.is_temp_name(p.name)]
    assert target.read_text().startswith("<pack>")


def test_a_live_writers_temp_file_is_left_alone(tmp_path):
    live = tmp_path / f".pack.xml.packer-{os.getppid()}-0123abcd.tmp"  # our parent: alive
    dead_pid = _a_dead_pid()
    dead = tmp_path / f".pack.xml.packer-{dead_pid}-0123abcd.tmp"
    other = tmp_path / f".other.xml.packer-{dead_pid}-0123abcd.tmp"
    for p in (live, dead, other):
        p.write_text("partial")
    assert out_mod.remove_stale_temps(str(tmp_path), "pack.xml") == [dead.name]
    assert live.exists() and other.exists() and not dead.exists()


def _a_dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_review_answer_is_not_packed_into_the_next_review(repo, tmp_path):
    write(repo, {"review.md": "Earlier findings: a.py:1 is wrong.\n"})
    from packer.review import plan_review

    plan = plan_review(repo, output=repo / "review.md")
    assert "Earlier findings" not in json.dumps(plan.requests[0].body)
    assert {s.path: s.reason for s in plan.pack.skipped}["review.md"] == "packer output"


def test_chunk_does_not_chunk_its_own_output(repo):
    first = _cli("chunk", ".", "-o", "chunks.jsonl", "-q", cwd=repo)
    assert first.returncode == 0, first.stderr
    second = _cli("chunk", ".", "-o", "chunks.jsonl", "-q", cwd=repo)
    assert second.returncode == 0
    paths = {json.loads(line)["path"] for line in (repo / "chunks.jsonl").read_text().splitlines()}
    assert paths == {"a.py", "b.md"}


def test_cli_errors_name_the_path_in_process(repo, tmp_path):
    res = CliRunner().invoke(main, ["pack", str(repo), "-o", str(tmp_path / "nope" / "x.xml")])
    assert res.exit_code == 1 and "nope does not exist" in res.output


def test_a_directory_symlink_inside_the_repository_does_not_redirect_writes(repo, tmp_path):
    """The repository's `out -> elsewhere`: `-o out/pack.xml` would land wherever it points."""
    elsewhere = tmp_path / "elsewhere"  # say, /etc/cron.d
    elsewhere.mkdir()
    (repo / "out").symlink_to(elsewhere)
    for args in (
        ["pack", ".", "-o", "out/pack.xml"],
        ["pack", ".", "--manifest", "out/m.json"],
        ["review", ".", "--dry-run", "-o", "out/review.json"],
    ):
        run = _cli(*args, cwd=repo)
        err = run.stderr.decode()
        assert run.returncode == 1 and "is a symbolic link inside the repository" in err, (args, err)
    assert list(elsewhere.iterdir()) == []
    # links above the repository are the user's own (a symlinked home): followed
    (tmp_path / "alias").symlink_to(tmp_path)
    packer.pack(
        tmp_path / "alias" / "repo", Options(cache=False), output=tmp_path / "alias" / "repo" / "pack.xml"
    )
    assert (repo / "pack.xml").read_text().startswith("<pack>")


def test_the_format_an_output_path_names():
    cases = {
        "p.xml": "xml",
        "p.MD": "markdown",
        "a/p.markdown": "markdown",
        "p.json": "json",
        "p.txt": "plain",
    }
    for path, fmt in cases.items():
        assert out_mod.format_of_path(path) == fmt
        assert out_mod.EXTENSION_OF_FORMAT[fmt] in ("xml", "md", "json", "txt")
    for path in ("p", "p.html", "-", None, "dir.md/p"):
        assert out_mod.format_of_path(path) is None


def test_only_a_text_stream_is_a_stream():
    import io
    from pathlib import Path

    from packer.output import is_stream

    assert is_stream(io.StringIO())
    assert not is_stream(None) and not is_stream("pack.xml") and not is_stream(Path("pack.xml"))
