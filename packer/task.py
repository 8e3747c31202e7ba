"""Task inputs: the query, the focus paths and the diff, turned into a `Task`.

- **query** (and `--instructions` of `review`): text, or `@file` to read it from a
  UTF-8 file (looked up relative to the current directory, then to root; a relative
  name must resolve inside root); `@@text` stands for the literal `@text`.
  Surrounding whitespace is stripped; more than `MAX_QUERY_BYTES` is an error.
  Secrets in it are redacted before anything (ranking, cache, request) sees it.
- **focus**: files or directories relative to the current directory or to root, or
  absolute; each must exist inside root. Stored root-relative with "/"
  separators, a directory as "dir/" (the ranker expands it against the file list).
- **diff**: `git diff REF` of the work tree against REF (a commit, a branch, a tag;
  "HEAD" for a bare `--diff`), plus every untracked, not ignored file as a new
  file, rendered after git's part. With `staged`, the index against REF (HEAD by
  default) and no untracked files. A range (`A..B`, `A...B`) diffs two commits and
  leaves the work tree out. Before the first commit, HEAD is the empty tree.
  Paths are relative to root, also when root is a subdirectory of the repository.
  `changed` lists every path the diff touches, bytewise sorted: a rename's new
  path, deleted files too (the ranker ignores files that no longer exist).
  The diff is kept as git wrote it, one `DiffSection` per file; what a pack shows is
  `gate_diff`'s text: the section of a file the pack leaves out (excluded, ignored,
  skipped) replaced by one line saying so, every other one redacted. The text is
  capped at `max_diff_bytes` (UTF-8), cut at a line end and marked.

Errors the user can fix raise `ConfigError` with the fix in the message.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from packer import secrets
from packer.discover import filters_off, git_command, git_env, run_git
from packer.errors import ConfigError
from packer.records import DiffSection, Secret, Task
from packer.render import display_path

MAX_QUERY_BYTES = 100_000
MAX_DIFF_BYTES = 2_000_000

_BINARY_SNIFF = 8000  # git's own heuristic: a NUL in the first 8000 bytes means binary


def read_text_arg(value: str | None, *, root: Path, option: str) -> tuple[str, list[Secret]]:
    """The text of an option that takes text or `@file` (`@@text` for "@text"), redacted.

    A relative `@file` is looked up relative to the current directory, then to root, and
    must resolve (`..` and symlinks followed) inside root: a repository cannot point it
    at a file elsewhere. An absolute path is the user's own choice and is read as given.
    Secrets become `[REDACTED:<kind>]`; each is returned with the path "<query>" (for
    `--query`) and its line in the text.
    """
    if value is None:
        return "", []
    if value.startswith("@@"):
        text = value[1:]
    elif value.startswith("@"):
        text = _read_text_file(value[1:], root, option)
    else:
        text = value
    data = text.strip().encode("utf-8", "surrogatepass")
    text = data.decode("utf-8", "replace")  # undecodable argv bytes would break the output later
    size = len(data)
    if size > MAX_QUERY_BYTES:
        raise ConfigError(
            f"{option}: the text is {size} bytes, more than the {MAX_QUERY_BYTES} byte limit; "
            "shorten it" + (", or pass the files it is about with --focus" if option == "--query" else "")
        )
    return secrets.redact(text, f"<{option.lstrip('-')}>")


def read_query(value: str | None, *, root: Path) -> str:
    """The query text for `--query VALUE` (see `read_text_arg`), secrets redacted."""
    return read_text_arg(value, root=root, option="--query")[0]


def build_task(
    root: Path,
    *,
    query: str | None = None,
    focus: Sequence[str] = (),
    diff: str | None = None,
    staged: bool = False,
    max_diff_bytes: int = MAX_DIFF_BYTES,
) -> Task:
    """The task for a pack of `root`; an empty `Task` when no input is given.

    `query`: the raw `--query` value; `@file` and `@@` are handled here (`read_text_arg`).
    `focus`: `--focus` paths. `diff`: the REF of `--diff` ("HEAD" for a bare flag).
    `staged`: the index against `diff` or HEAD (`--staged`).
    `max_diff_bytes`: cap on the diff text; the rest is cut and the cut is marked.
    """
    root_abs = os.path.abspath(root)
    text, found = read_text_arg(query, root=Path(root_abs), option="--query")
    focus_paths = _normalise_focus(root_abs, focus)
    if diff is None and not staged:
        return Task(query=text, focus=focus_paths, query_secrets=tuple(found))
    ref = diff if diff is not None else "HEAD"
    sections, changed, cut = _diff(root_abs, ref, staged=staged, max_bytes=max_diff_bytes)
    return Task(
        query=text,
        focus=focus_paths,
        # Shown in the pack and the manifest only (git was given the ref itself): a ref can
        # be named like a key, as a path can.
        diff_ref=None if diff is None else secrets.apply(diff, secrets.scan(diff))[0],
        staged=staged,
        diff_sections=sections,
        diff_cap=max_diff_bytes,
        diff_cut=cut,
        changed=changed,
        query_secrets=tuple(found),
    )


# ---------------------------------------------------------------------------
# query and focus


def _read_text_file(name: str, root: Path, option: str) -> str:
    arg = f"{option} @{name}"
    if not name:
        raise ConfigError(f"{option} @ needs a file name after the @; write @@ for text starting with @")
    candidates = [Path(name)] if os.path.isabs(name) else [Path.cwd() / name, root / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        where = " or ".join(str(p) for p in candidates)
        raise ConfigError(
            f"{arg}: no such file ({where}); pass an existing file, or write @@ for text that starts with @"
        )
    real = os.path.realpath(path)
    if not os.path.isabs(name):
        # Compared resolved: a repository may ship `issue.md -> ~/.aws/credentials`.
        home = os.path.realpath(root)
        if os.path.commonpath([home, real]) != home:
            raise ConfigError(
                f"{arg}: {path} resolves to {real}, outside the repository {home}; "
                "copy it into the repository or pass an absolute path"
            )
    try:
        if os.stat(real).st_size > 16 * MAX_QUERY_BYTES:
            raise ConfigError(
                f"{arg}: the file is larger than the {MAX_QUERY_BYTES} byte limit; shorten it"
                + (", or pass the files it is about with --focus" if option == "--query" else "")
            )
        with open(real, "rb") as f:  # the checked path, not one a symlink swap could redirect
            data = f.read()
    except OSError as e:
        raise ConfigError(f"{arg}: cannot read {path} ({e.strerror}); check its permissions") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{arg}: {path} is not UTF-8 text; save it as UTF-8") from e


def _normalise_focus(root_abs: str, focus: Sequence[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for given in focus:
        out[_focus_path(root_abs, given)] = None
    return tuple(out)


def _focus_path(root_abs: str, given: str) -> str:
    if not given:
        raise ConfigError("--focus needs a path; pass a file or directory inside the root")
    if os.path.isabs(given):
        candidates = [os.path.normpath(given)]
    else:
        # Once each: from the root, both name the same path.
        candidates = list(
            dict.fromkeys([os.path.abspath(given), os.path.normpath(os.path.join(root_abs, given))])
        )
    existing = [c for c in candidates if os.path.lexists(c)]
    if not existing:
        # Where it looked, unless that is just the path as given (one place, said once).
        shown = [c for c in candidates if c != os.path.abspath(given)] if len(candidates) == 1 else candidates
        where = f" (looked in {' and '.join(shown)})" if shown else ""
        raise ConfigError(
            f"--focus {given}: no such file or directory{where}; pass a path that exists inside the root"
        )
    for path in existing:
        rel = _inside(root_abs, path)
        if rel is None:
            continue
        if rel == "":
            raise ConfigError(f"--focus {given} is the whole root; name files or directories inside it")
        return rel + "/" if os.path.isdir(path) and not os.path.islink(path) else rel
    raise ConfigError(f"--focus {given} is outside the root {root_abs}; pass a path inside it")


def _inside(root_abs: str, path: str) -> str | None:
    """`path` relative to root with "/" separators ("" for root itself), or None if outside."""
    for base, target in ((root_abs, path), (os.path.realpath(root_abs), _real_parent(path))):
        try:
            rel = os.path.relpath(target, base)
        except ValueError:  # another drive on Windows
            continue
        if rel == os.curdir:
            return ""
        if rel != os.pardir and not rel.startswith(os.pardir + os.sep):
            return rel.replace(os.sep, "/")
    return None


def _real_parent(path: str) -> str:
    """The path with its directories' symlinks resolved and its own name kept as written."""
    head, tail = os.path.split(path)
    return os.path.join(os.path.realpath(head), tail) if tail else os.path.realpath(path)


# ---------------------------------------------------------------------------
# the diff


def _diff(
    root_abs: str, ref: str, *, staged: bool, max_bytes: int
) -> tuple[tuple[DiffSection, ...], tuple[str, ...], bool]:
    """The diff's sections (git's, then the untracked files'), the paths it touches, and
    whether it was cut at `max_bytes`."""
    flag = "--staged" if staged and ref == "HEAD" else f"--diff {ref}"
    _check_work_tree(root_abs, ref, flag)
    is_range = ".." in ref
    base = ref
    if ref == "HEAD" and run_git(root_abs, "rev-parse", "-q", "--verify", "HEAD^{commit}").returncode != 0:
        base = _git_ok(root_abs, flag, "hash-object", "-t", "tree", "--stdin").decode().strip()  # empty tree
    select = ["--cached"] if staged else []
    buf = _Capped(max_bytes)
    filters_off = _filters_off(root_abs, flag) if not staged and not is_range else []  # the work tree's
    entries = _stream_diff(root_abs, flag, [*select, base], buf, filters_off)
    sections = _split_sections(b"".join(buf.parts), entries)
    changed = {paths[-1] for paths in entries}
    if not staged and not is_range:
        untracked = _untracked(root_abs, flag)
        changed.update(untracked)
        sections.extend(_untracked_sections(root_abs, untracked, buf))
    ordered = tuple(sorted(changed, key=lambda p: p.encode("utf-8", "surrogateescape")))
    return tuple(sections), ordered, buf.full


def _check_work_tree(root_abs: str, ref: str, flag: str) -> None:
    """Refuse, saying how to fix it: a ref that is empty or looks like an option, a root
    that is not a directory, no git on PATH, a root outside a git work tree."""
    if ref.startswith("-") or not ref.strip():
        raise ConfigError(f"{flag}: not a git revision; pass a commit, branch or tag")
    if not os.path.isdir(root_abs):
        raise ConfigError(f"{flag}: {root_abs} is not a directory; pass the directory to pack")
    if shutil.which("git") is None:
        raise ConfigError(f"{flag} needs git on PATH; install git or drop {flag.split()[0]}")
    try:
        inside = run_git(root_abs, "rev-parse", "--is-inside-work-tree")
    except OSError as e:
        raise ConfigError(f"{flag}: cannot run git ({e.strerror}); check that git is installed") from e
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise ConfigError(
            f"{flag}: {root_abs} is not in a git work tree; "
            f"run git init (and commit) or drop {flag.split()[0]}"
        )


def _untracked_sections(root_abs: str, untracked: Sequence[str], buf: _Capped) -> list[DiffSection]:
    """The untracked files as new-file sections, added to `buf` until it is full."""
    sections: list[DiffSection] = []
    for path in untracked:
        if buf.full:
            break
        kept = buf.add(_new_file_patch(root_abs, path, buf.room))
        if kept:
            sections.append(DiffSection(path, kept.decode("utf-8", "replace")))
    return sections


# A section starts at git's header line; a conflicted path in the index has one line only.
_SECTION_START = re.compile(rb"^(?:diff --git |\* Unmerged path )", re.M)


def _split_sections(patch: bytes, entries: Sequence[tuple[str, ...]]) -> list[DiffSection]:
    """git's patch cut at each file's header line, each part named by its raw entry.

    Sections come in the order of the raw entries, so each header is matched against
    the header the next entries would have (paths quoted as git quotes them) rather
    than parsed: a type change has two sections for one entry, a conflicted path a line
    of its own. A part that matches no entry keeps the path None (the gate omits it).
    """
    starts = [m.start() for m in _SECTION_START.finditer(patch)]
    if patch and (not starts or starts[0] != 0):
        starts.insert(0, 0)  # text before the first header: git writes none
    expected = [_headers(paths) for paths in entries]
    sections: list[DiffSection] = []
    nxt = 0  # the first entry no section has matched yet
    for start, end in zip(starts, [*starts[1:], len(patch)], strict=False):
        chunk = patch[start:end]
        header = chunk.split(b"\n", 1)[0]
        match = next((k for k in range(nxt, len(entries)) if header in expected[k]), None)
        if match is not None:
            nxt = match + 1
        elif nxt and header in expected[nxt - 1]:
            match = nxt - 1  # the second half of a type change
        path = entries[match][-1] if match is not None else None
        sections.append(DiffSection(path, chunk.decode("utf-8", "replace")))
    return sections


def _headers(paths: tuple[str, ...]) -> tuple[bytes, bytes]:
    """The first line of the section an entry (old path first, new path last) gets."""
    old, new = paths[0], paths[-1]
    return (
        f"diff --git {_quote('a/' + old)} {_quote('b/' + new)}".encode("utf-8", "surrogateescape"),
        f"* Unmerged path {_quote(new)}".encode("utf-8", "surrogateescape"),
    )


# ---------------------------------------------------------------------------
# the gate: what of the diff may go out


def gate_diff(
    task: Task, left_out: Callable[[str], str | None], *, redact: bool = True
) -> tuple[str, tuple[Secret, ...]]:
    """The diff text a pack may show, and the secrets found in it.

    `left_out(path)` says why the pack leaves a file out (None: it is packed). A section
    of such a file becomes one line `[packer: diff of PATH omitted: REASON]`; every other
    section is scanned, and its secrets replaced (`redact`) or only listed. The text is
    capped at `task.diff_cap` bytes as `build_task` capped it, the cut marked.
    """
    buf = _Capped(task.diff_cap)
    found: list[Secret] = []
    for section in task.diff_sections:
        reason = "no changed file matches its header" if section.path is None else left_out(section.path)
        if reason is not None:
            text = _omitted(section.path, reason)
        else:
            text, secs = _scanned(section.text, section.path or "", redact=redact)
            found.extend(secs)
        buf.add(text.encode("utf-8", "surrogateescape"))
    buf.full = buf.full or task.diff_cut
    return buf.text(), tuple(found)


def _omitted(path: str | None, reason: str) -> str:
    shown = display_path(secrets.redact(path)[0]) if path is not None else "a section"
    return f"[packer: diff of {shown} omitted: {display_path(secrets.redact(reason)[0])}]\n"


def _scanned(text: str, path: str, *, redact: bool) -> tuple[str, list[Secret]]:
    """The section with its secrets redacted (or kept), each at its line in the file."""
    spans = secrets.scan(text, path)
    if not spans:
        return text, []
    out, found = secrets.apply(text, spans, path)
    lines = _file_lines(text)
    found = [replace(s, line=lines[s.line - 1], redacted=redact) for s in found]
    return (out if redact else text), found


_HUNK = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def _file_lines(section: str) -> list[int]:
    """For each line of a section, the line of the file it shows: the new file's for
    added and context lines, the old file's for removed ones, 1 for the headers."""
    out: list[int] = []
    old = new = 1
    in_hunk = False
    for line in section.split("\n"):
        m = _HUNK.match(line)
        if m:
            old, new, in_hunk = int(m[1]), int(m[2]), True
            out.append(max(new, 1))
        elif in_hunk and line[:1] == "-":
            out.append(old)
            old += 1
        elif in_hunk and line[:1] in ("+", " "):
            out.append(new)
            new += 1
            old += line[:1] == " "
        else:
            out.append(max(new - 1, 1) if in_hunk else 1)
    return out


def _git_ok(root_abs: str, flag: str, *args: str) -> bytes:
    try:
        proc = run_git(root_abs, *args)
    except OSError as e:
        raise ConfigError(f"{flag}: cannot run git ({e.strerror}); check that git is installed") from e
    if proc.returncode != 0:
        raise ConfigError(f"{flag}: {_git_message(proc.stderr, proc.returncode)}")
    return proc.stdout


def _git_message(stderr: bytes, returncode: int) -> str:
    lines = [line.strip() for line in os.fsdecode(stderr).splitlines() if line.strip()]
    detail = lines[0] if lines else f"git exited with status {returncode}"
    return f"git says: {detail}; check the revision (git log --oneline) and that root is in the repository"


def _filters_off(root_abs: str, flag: str) -> list[str]:
    """`discover.filters_off`, or an error naming `flag` when git cannot say."""
    try:
        options, failed = filters_off(root_abs)
    except OSError as e:
        raise ConfigError(f"{flag}: cannot run git ({e.strerror}); check that git is installed") from e
    if failed is not None:
        raise ConfigError(f"{flag}: {_git_message(failed.stderr, failed.returncode)}")
    return options


def _untracked(root_abs: str, flag: str) -> list[str]:
    out = _git_ok(root_abs, flag, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    paths = {os.fsdecode(raw) for raw in out.split(b"\0") if raw and not raw.endswith(b"/")}
    return sorted(paths, key=lambda p: p.encode("utf-8", "surrogateescape"))  # "dir/": a nested repo


class _Capped:
    """The diff's bytes up to a cap; past it, a line-end cut and a marker saying so."""

    def __init__(self, cap: int) -> None:
        self.cap = max(0, cap)
        self.parts: list[bytes] = []
        self.size = 0
        self.full = False

    @property
    def room(self) -> int:
        return self.cap - self.size

    def add(self, data: bytes) -> bytes:
        """Append `data`, cut at the last line end that fits; what was kept."""
        if self.full:
            return b""
        if len(data) > self.room:
            cut = data[: self.room]
            end = cut.rfind(b"\n")
            data = cut[: end + 1] if end >= 0 else b""
            self.full = True
        self.parts.append(data)
        self.size += len(data)
        return data

    def text(self) -> str:
        text = b"".join(self.parts).decode("utf-8", "replace")
        if self.full:
            if text and not text.endswith("\n"):
                text += "\n"
            text += (
                f"[packer: diff truncated at {self.cap} bytes; "
                "every changed file is still listed and ranked]\n"
            )
        return text


def _stream_diff(
    root_abs: str, flag: str, args: list[str], buf: _Capped, config: Sequence[str] = ()
) -> list[tuple[str, ...]]:
    """One `git diff` for both its raw entries (each entry's paths, old first) and its
    patch, the patch read up to the cap.

    `--patch-with-raw -z` writes the raw entries first (":modes hashes STATUS", then one
    path, two for a rename or copy, NUL-terminated), a NUL, then the patch. Past the cap
    git is stopped, not waited for.
    """
    cmd = [
        *git_command(root_abs, "-c", "core.quotePath=false", *config), "diff", "--patch-with-raw", "-z",
        "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames", "--relative",
        "--src-prefix=a/", "--dst-prefix=b/", *args, "--", ".",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=git_env()
            )
        except OSError as e:
            raise ConfigError(f"{flag}: cannot run git ({e.strerror}); check that git is installed") from e
        assert proc.stdout is not None
        with proc:
            entries, patch_start = _raw_entries(proc.stdout)
            buf.add(patch_start)
            while not buf.full:
                chunk = proc.stdout.read(65536)
                if not chunk:
                    break
                buf.add(chunk)
            if buf.full:
                proc.kill()
            returncode = proc.wait()
        if returncode != 0 and not buf.full:
            err.seek(0)
            raise ConfigError(f"{flag}: {_git_message(err.read(), returncode)}")
    return entries


def _raw_entries(stream: IO[bytes]) -> tuple[list[tuple[str, ...]], bytes]:
    """Read the raw entries `--patch-with-raw -z` writes first: each entry's paths (old
    first), and the bytes read past them, where the patch starts."""
    entries: list[tuple[str, ...]] = []
    paths: list[str] = []
    pending, pos, need = b"", 0, 0  # need: paths still to read for the current entry
    while True:
        end = pending.find(b"\0", pos)
        if end < 0:
            chunk = stream.read(65536)
            if not chunk:
                break
            pending, pos = pending[pos:] + chunk, 0
            continue
        token, pos = pending[pos:end], end + 1
        if need:
            need -= 1
            paths.append(os.fsdecode(token))
            if need == 0:  # the last path of an entry: a rename's or copy's new path
                entries.append(tuple(paths))
                paths = []
        elif token.startswith(b":"):
            need = 2 if token.rsplit(b" ", 1)[-1][:1] in (b"R", b"C") else 1
        else:
            break  # the empty token between the raw entries and the patch
    return entries, pending[pos:]


def _new_file_patch(root_abs: str, path: str, limit: int) -> bytes:
    """An untracked file as git shows a new file (without the index line).

    Only the first `limit` + 1 bytes are kept (the rest would be cut); the rest of a
    larger file is read only to count its lines, so the hunk header is still git's.
    """
    a, b = _quote("a/" + path), _quote("b/" + path)
    head = f"diff --git {a} {b}\n".encode("utf-8", "surrogateescape")
    try:
        got = _read_untracked(os.path.join(root_abs, path.replace("/", os.sep)), limit)
    except OSError as e:
        return head + f"[packer: untracked file not read: {e.strerror}]\n".encode()
    if got is None:
        return b""
    head += f"new file mode {got.mode}\n".encode()
    data, last = got.data, got.last
    if not data:
        return head
    if b"\0" in data[:_BINARY_SNIFF]:
        return head + f"Binary files /dev/null and {b} differ\n".encode("utf-8", "surrogateescape")
    count = got.newlines + (last != b"\n")
    hunk = "@@ -0,0 +1 @@\n" if count == 1 else f"@@ -0,0 +1,{count} @@\n"
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    body = b"".join(b"+" + line + b"\n" for line in lines)
    if last != b"\n":
        body += b"\\ No newline at end of file\n"
    tab = "\t" if " " in path else ""  # git marks where a name with spaces ends
    tail = f"--- /dev/null\n+++ {b}{tab}\n{hunk}".encode("utf-8", "surrogateescape")
    return head + tail + body


@dataclass(frozen=True)
class _Untracked:
    """What a new-file patch needs of an untracked file."""

    mode: str  # as git writes it: 100644, 100755, 120000
    data: bytes  # its first `limit` + 1 bytes; a symlink's target
    newlines: int  # in the whole file
    last: bytes  # its last byte


def _read_untracked(full: str, limit: int) -> _Untracked | None:
    """Read an untracked file or symlink; None for anything else (a FIFO, a socket, or a
    file swapped for one since the lstat, which is refused, never waited on)."""
    st = os.lstat(full)
    if stat.S_ISLNK(st.st_mode):
        data = os.fsencode(os.readlink(full))
        return _Untracked("120000", data, data.count(b"\n"), data[-1:])
    if not stat.S_ISREG(st.st_mode):
        return None
    mode = "100755" if st.st_mode & 0o111 else "100644"
    fd = os.open(full, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as f:
        data = f.read(max(0, limit) + 1)
        newlines, last = data.count(b"\n"), data[-1:]
        if len(data) > limit and b"\0" not in data[:_BINARY_SNIFF]:
            while chunk := f.read(1 << 20):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
    return _Untracked(mode, data, newlines, last)


def _quote(path: str) -> str:
    """The path as git writes it in a diff header with core.quotePath off."""
    if not any(c in path for c in '"\\') and all(ord(c) >= 0x20 and ord(c) != 0x7F for c in path):
        return path
    escapes = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n",
               "\v": "\\v", "\f": "\\f", "\r": "\\r"}  # fmt: skip
    out = []
    for c in path:
        if c in escapes:
            out.append(escapes[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\{ord(c):03o}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'
