"""Find the files of a codebase: the walker and the rules it follows.

Which files (applied in this order; every file left out is a `Skip` with its reason):

1. Ignore rules (`use_gitignore=True`, the default). Files they exclude are not
   reported at all, as git does not report them.
   - Inside a git work tree (and `git` on PATH) the set is exactly what
     `git ls-files --cached --others --exclude-standard` reports in `root`: tracked
     files plus untracked files that no `.gitignore`, `.git/info/exclude` or
     `core.excludesFile` rule excludes. A tracked file that matches an ignore rule
     stays in; a tracked file deleted from the work tree is dropped; a submodule
     is skipped ("git submodule"), and so is an untracked nested repository
     ("nested git repository").
   - If `root` is ignored by its enclosing repository, or lies inside a `.git`
     directory, the parent's rules would empty the pack: `root` is walked as a
     plain directory instead, with a warning.
   - Otherwise (no git, no repository) the directory is walked and the
     `.gitignore` files at `root` and below are applied with git's semantics: a
     deeper file overrides a shallower one; within a file the last matching line
     wins; `!` negates; `dir/` matches directories only; a pattern without an inner
     `/` matches a name at any depth, one with a `/` is anchored to its file's
     directory; an excluded directory is pruned, so nothing under it can be
     re-included. Below them all, as in git, come the user's global excludes:
     the file `core.excludesFile` names in the system, global or command-line git
     config (`~` expanded; a relative path and the file's rules are relative to
     root, as git takes them relative to the work tree's top), else
     `$XDG_CONFIG_HOME/git/ignore`, else `~/.config/git/ignore` (the default is
     also what applies when git is not on PATH). On a tree where nothing ignored
     is tracked this gives the same set as git, so removing `.git` does not change
     the result (only `.git/info/exclude` is gone with it).
   - `.git` is never entered. Hidden files are included, as git includes them.
   With `use_gitignore=False` no ignore file is read and git is not consulted:
   every file on disk is listed (still skipping `.git`).
2. Vendored directories: a directory named `vendor`, `third_party`, `third-party`,
   `node_modules` or `bower_components` (at any depth below root) is recorded once,
   as `Skip("a/vendor/", "vendored", "N files")`, unless `"vendored"` is in `keep`.
   A file whose `.gitattributes` say `-linguist-vendored` escapes its directory.
3. `.packerignore` files: gitignore syntax, nested like `.gitignore`, applied on
   top of the above in both modes.
4. `exclude` patterns (gitignore syntax, relative to root), then `include`
   patterns: when any are given, only files they match are kept.
5. `.gitattributes` (nested, deeper files override, the last line wins, matched
   like git so the result is the same with or without `.git`):
   `linguist-vendored` and `linguist-generated` skip a file unless `"vendored"` or
   `"generated"` is in `keep`.
6. The file itself, from `lstat`: symlinks are never followed (a link to a file
   inside root is skipped because its target is packed on its own; links to
   directories, outside root, dangling or looping are skipped too); FIFOs,
   sockets and devices are never opened; unreadable, vanished and larger than
   `max_file_size` files are skipped.
7. Secrets: a file made to hold credentials (`secrets.is_secrets_file`: `.env`,
   `*.pem`, SSH identities, cloud credential files, ...) is skipped ("secrets
   file") unless `"secrets-file"` is in `keep`, checked by name after the include
   and exclude patterns. A path that holds a secret itself
   (`keys/AKIA....txt`) is skipped before any other rule ("secret in file
   name"), whatever `keep` says; it is recorded masked (`[REDACTED:<kind>]`), once
   per directory when the secret is in a directory's name, and reported in
   `WalkResult.secrets` (line 0). No path, reason or warning the walk returns
   holds a secret.
8. packer's own outputs: the files this run writes (`outputs`) and the writer's
   temp files (`.NAME.packer-PID-XXXXXXXX.tmp`) are skipped ("packer output"),
   checked before any other rule but the vendored directories. (A pack or manifest
   from an earlier run is recognised by its first bytes when it is read.)

Paths are relative to root with "/" separators, exactly as on disk (no Unicode
normalisation; undecodable bytes are kept with `surrogateescape`). Files and
skips are sorted bytewise by path. Nothing raises for a per-file problem; only a
missing or non-directory root raises `PackerError`.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
from bisect import bisect_right
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from pathspec import GitIgnoreSpec
from pathspec.patterns.gitignore import GitIgnorePatternError

from packer import output, secrets
from packer.errors import ConfigError, PackerError
from packer.ignore import (
    Attributes,
    AttrValue,
    Rules,
    attributes_for,
    is_ignored,
    parse_attributes,
    read_rules_file,
    text_lines,
)
from packer.records import Candidate, Secret, Skip, WalkResult

VENDORED_DIRS = frozenset({"vendor", "third_party", "third-party", "node_modules", "bower_components"})

# Variables a git hook sets to point git at its own repository, not at `root`.
_GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_COMMON_DIR")


def walk(
    root: str | Path,
    *,
    use_gitignore: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    keep: Collection[str] = (),
    max_file_size: int | None = 1_000_000,
    outputs: Collection[str] = (),
) -> WalkResult:
    """List the files under `root` that may be packed, and why the others are not.

    `use_gitignore`: follow git's ignore rules (see the module docstring).
    `include` / `exclude`: gitignore-syntax patterns relative to root.
    `keep`: kinds from `KEEP_KINDS` to pack anyway (here "vendored" and "generated").
    `max_file_size`: larger files (in bytes) are skipped; None for no limit.
    `outputs`: what this run writes (absolute paths, see `output.canonical_paths`); they,
    and the writer's temp files anywhere, are skipped as "packer output".
    Raises `PackerError` only if `root` is missing or not a directory, and
    `ConfigError` for a malformed include/exclude pattern.
    """
    root_abs = _checked_root(root)
    include_spec = _spec("--include", include)
    exclude_spec = _spec("--exclude", exclude)
    warnings: list[str] = []
    skips: list[Skip] = []
    paths: list[str] | None = None
    git_root: str | None = None
    if use_gitignore and shutil.which("git") is not None:
        git_root = _git_work_tree(root_abs, warnings)
        if git_root is not None:
            paths = _git_list(root_abs, skips, warnings)
            if paths is None:
                git_root = None
    if paths is None:
        paths = _plain_list(root_abs, use_gitignore=use_gitignore, skips=skips)
    paths, found = _without_secret_names(paths, skips)
    selector = _Selector(
        root_abs,
        include=include_spec,
        listed_by_git=git_root is not None,
        exclude=exclude_spec,
        exclude_patterns=tuple(exclude),
        keep=frozenset(keep),
        max_file_size=max_file_size,
        outputs=outputs,
    )
    files = selector.select(paths, skips)
    found += _mask_secrets(skips, warnings)
    skips.sort(key=lambda s: (_sort_key(s.path), s.reason))
    return WalkResult(
        files=tuple(sorted(files, key=lambda c: _sort_key(c.path))),
        skipped=tuple(skips),
        warnings=tuple(warnings),
        git_root=git_root,
        secrets=tuple(sorted(found, key=lambda x: (_sort_key(x.path), x.kind))),
    )


def _checked_root(root: str | Path) -> str:
    root_abs = os.path.abspath(os.fspath(root))
    if not os.path.exists(root_abs):
        raise PackerError(f"{root_abs} does not exist; pass the directory to pack")
    if not os.path.isdir(root_abs):
        raise PackerError(f"{root_abs} is not a directory; pass the directory that contains it")
    return root_abs


def _spec(option: str, patterns: Sequence[str]) -> GitIgnoreSpec | None:
    if not patterns:
        return None
    try:
        return GitIgnoreSpec.from_lines(list(patterns))
    except (GitIgnorePatternError, ValueError) as e:
        raise ConfigError(f"invalid {option} pattern: {e}; use gitignore syntax") from e


def _sort_key(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------
# secrets in names: no path, reason or warning the walk returns holds one

Span = tuple[int, int, str]


def secret_spans(texts: Sequence[str]) -> dict[int, list[Span]]:
    """The texts (paths, reasons) that hold a secret, by index, with its spans.

    `secrets.scan` on each path of a large tree would cost seconds: the detectors' own
    regexes run once over all the texts joined, and only the texts they match (and
    those with "=" or ":", where the keyword detector looks) are scanned.
    """
    out: dict[int, list[Span]] = {}
    for i in sorted(_suspects(texts)):
        spans = secrets.scan(texts[i])
        if spans:
            out[i] = spans
    return out


# Where the keyword check (an assignment) and the key-block check look.
_HINTS = ("=", ":", "PRIVATE KEY")


def _suspects(texts: Sequence[str]) -> set[int]:
    """Indices of the texts a detector's regex may match (a superset of those it does)."""
    out: set[int] = set()
    for k, (group, text) in enumerate(_by_script(texts)):
        if not group:
            continue
        spans = _suspect_spans(text, ascii=k == 0)
        if spans:
            starts = list(accumulate((len(texts[i]) + 1 for i in group[:-1]), initial=0))
            for a, b in spans:  # a match may run over a newline into the next text
                first = bisect_right(starts, a) - 1
                out.update(group[first : bisect_right(starts, max(a, b - 1))])
    return out


def _by_script(texts: Sequence[str]) -> list[tuple[Sequence[int], str]]:
    """The ASCII texts, then the others: each group's indices and its texts joined by newlines."""
    joined = "\n".join(texts)
    if joined.isascii():
        return [(range(len(texts)), joined)]
    ascii_texts = [i for i, t in enumerate(texts) if t.isascii()]
    other = [i for i, t in enumerate(texts) if not t.isascii()]
    return [
        (ascii_texts, "\n".join(texts[i] for i in ascii_texts)),
        (other, "\n".join(texts[i] for i in other)),
    ]


def _suspect_spans(text: str, *, ascii: bool) -> list[tuple[int, int]]:
    """Where a hint or a detector's regex matches in `text`."""
    spans = [span for needle in _HINTS for span in _finds(text, needle)]
    if ascii:  # RE2 on bytes (same offsets, no conversion per match); Python's re for the rest
        fast, rest = secrets._fast_detector()
        spans += [m.span() for m in fast.finditer(text.encode("ascii"))] if fast is not None else []
        spans += [m.span() for m in rest.finditer(text)] if rest is not None else []
    else:
        spans += [m.span() for m in secrets._any_detector().finditer(text)]
    return spans


def _finds(text: str, needle: str) -> Iterator[tuple[int, int]]:
    i = text.find(needle)
    while i >= 0:
        yield i, i + len(needle)
        i = text.find(needle, i + 1)


def _masked(text: str, spans: Sequence[Span]) -> str:
    return secrets.apply(text, spans)[0]


def _without_secret_names(paths: list[str], skips: list[Skip]) -> tuple[list[str], list[Secret]]:
    """`paths` less those that hold a secret: each becomes a masked skip and a finding, and
    a directory whose name holds one is skipped whole, once."""
    flagged = secret_spans(paths)
    if not flagged:
        return paths, []
    found: list[Secret] = []
    dirs: dict[str, tuple[str, int]] = {}  # directory -> (masked, files under it)
    for i, spans in flagged.items():
        path = paths[i]
        cut = path.find("/", spans[0][1])  # the first secret ends in a directory's name
        if cut < 0:
            masked = _masked(path, spans)
            skips.append(Skip(masked, "secret-in-name"))
            found.extend(Secret(masked, 0, kind) for _, _, kind in spans)
            continue
        d = path[: cut + 1]
        if d not in dirs:
            inside = [s for s in spans if s[1] <= cut]
            dirs[d] = (_masked(d, inside), 0)
            found.extend(Secret(dirs[d][0], 0, kind) for _, _, kind in inside)
        dirs[d] = (dirs[d][0], dirs[d][1] + 1)
    skips.extend(
        Skip(masked, "secret-in-name", f"{n} file{'' if n == 1 else 's'}") for masked, n in dirs.values()
    )
    return [p for i, p in enumerate(paths) if i not in flagged], found


def _mask_secrets(skips: list[Skip], warnings: list[str]) -> list[Secret]:
    """Mask what is left: a skipped directory's name (from the listing), a reason naming
    another path (a symlink's target), a warning quoting git."""
    n = len(skips)
    texts = [s.path for s in skips] + [s.reason for s in skips] + warnings
    found: list[Secret] = []
    # Last to first, so a path's verdict replaces its masked reason.
    for i, spans in sorted(secret_spans(texts).items(), reverse=True):
        if i >= 2 * n:
            warnings[i - 2 * n] = _masked(warnings[i - 2 * n], spans)
        elif i >= n:
            skips[i - n] = skips[i - n].with_reason(_masked(skips[i - n].reason, spans))
        else:
            masked = _masked(skips[i].path, spans)
            skips[i] = Skip(masked, "secret-in-name")
            found.extend(Secret(masked, 0, kind) for _, _, kind in spans)
    return found


# ---------------------------------------------------------------------------
# git mode


def git_env() -> dict[str, str]:
    """The environment for running git on `root`: no hook's location variables, no index
    writes where git allows it, no fetch."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_LOCATION_VARS}
    env["GIT_OPTIONAL_LOCKS"] = "0"  # read-only: never refresh the user's index behind their back
    # A partial clone fetches missing objects on demand, over a transport the repository
    # configures (`core.sshCommand`, `remote.*.uploadpack`): no protocol is allowed, which
    # overrides any `protocol.*.allow` (and git 2.44+ does not even try).
    env["GIT_ALLOW_PROTOCOL"] = ""
    env["GIT_NO_LAZY_FETCH"] = "1"
    return env


def git_command(root_abs: str, *args: str) -> list[str]:
    """git in `root_abs`, with nothing the repository configures run as a program: its
    `core.fsmonitor`, or a hook (`git diff` writes the refreshed index, which runs
    `post-index-change`). Diffs also take `--no-ext-diff --no-textconv`, and a diff of
    the work tree turns off the repository's filter drivers (`task._filters_off`)."""
    return [
        "git",
        "--no-pager",
        "-C",
        root_abs,
        "-c",
        "core.fsmonitor=false",
        "-c",
        "core.hooksPath=/dev/null",
        *args,
    ]


def run_git(root_abs: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git in `root_abs` and capture its output; raises only OSError (no git on PATH).

    Never packer's stdin: `hash-object --stdin` would hash whatever a hook or CI feeds us."""
    return subprocess.run(
        git_command(root_abs, *args),
        capture_output=True,
        env=git_env(),
        check=False,
        stdin=subprocess.DEVNULL,
    )


# Whose filter drivers run: the user's config and command-line options, not the repository's.
_TRUSTED_SCOPES = (b"system", b"global", b"command")


def filters_off(root_abs: str) -> tuple[list[str], subprocess.CompletedProcess[bytes] | None]:
    """`-c` options that turn off the filter drivers the repository's own config sets
    (.git/config, the files it includes, config.worktree), and git's failed call if it
    failed. Raises only OSError (no git on PATH).

    `git diff` and `git status` run a driver's clean or process command on work-tree files,
    and a repository's config is not the user's to trust. The user's own drivers (git-lfs's,
    in the global config) still run: without them a stat-dirty LFS file would show as
    changed. Before git 2.26 (no `--show-scope`) every driver is turned off.
    """
    proc = run_git(root_abs, "config", "--show-scope", "-z", "--get-regexp", r"^filter\.")
    if proc.returncode in (0, 1):  # 1: none set
        tokens = proc.stdout.split(b"\0")
        records = list(zip(tokens[0::2], tokens[1::2], strict=False))
    else:
        proc = run_git(root_abs, "config", "-z", "--get-regexp", r"^filter\.")
        records = [(b"", token) for token in proc.stdout.split(b"\0") if token]
    if proc.returncode not in (0, 1):
        return [], proc
    names: set[str] = set()
    for scope, record in records:
        key = os.fsdecode(record.split(b"\n", 1)[0])  # filter.<driver>.<variable>
        name = key[len("filter.") :].rpartition(".")[0]
        if scope not in _TRUSTED_SCOPES and name:
            names.add(name)
    options = [
        option
        for name in sorted(names)
        for variable in ("clean=", "smudge=", "process=", "required=false")
        for option in ("-c", f"filter.{name}.{variable}")
    ]
    return options, None


def _git_work_tree(root_abs: str, warnings: list[str]) -> str | None:
    """The work tree whose rules apply to root, or None to walk root as a plain directory."""
    try:
        proc = run_git(root_abs, "rev-parse", "--is-inside-git-dir", "--show-toplevel", "--show-prefix")
    except OSError:
        return None
    lines = os.fsdecode(proc.stdout).split("\n")
    if lines and lines[0] == "true":
        warnings.append(f"{root_abs} is inside a git directory (.git); walked it as a plain directory")
        return None
    if proc.returncode != 0 or len(lines) < 3 or not lines[1]:
        return None  # not in a repository, or a bare one
    top, prefix = lines[1], lines[2]
    if prefix:
        # From the top and without a trailing "/": "." would read as "dir/", which "dir/*" matches.
        ignored = run_git(top, "check-ignore", "-q", "--", prefix.rstrip("/"))
        if ignored.returncode == 0:
            warnings.append(
                f"root is ignored by the enclosing git repository at {top}; "
                "using only ignore files inside root"
            )
            return None
    return top


def _git_list(root_abs: str, skips: list[Skip], warnings: list[str]) -> list[str] | None:
    try:
        proc = run_git(root_abs, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except OSError as e:
        warnings.append(f"git ls-files failed ({e.strerror}); walked the directory instead")
        return None
    if proc.returncode != 0:
        message = os.fsdecode(proc.stderr).strip().splitlines()
        detail = message[-1] if message else f"exit status {proc.returncode}"
        warnings.append(f"git ls-files failed ({detail}); walked the directory instead")
        return None
    warnings.extend(f"git: {line}" for line in os.fsdecode(proc.stderr).splitlines() if line.strip())
    paths: list[str] = []
    for raw in set(proc.stdout.split(b"\0")):  # a conflicted path is listed once per stage
        if not raw:
            continue
        path = os.fsdecode(raw)
        if path.endswith("/"):
            skips.append(Skip(path, "nested-repository"))
        else:
            paths.append(path)
    return paths


# ---------------------------------------------------------------------------
# plain mode


def _global_excludes_file(root_abs: str) -> str | None:
    """The user's global excludes file as git finds it outside any repository, or None.

    `--git-dir` names a directory that cannot be a repository, so git reads only the
    system, global and command-line config: a plain walk may lie inside a `.git` or an
    enclosing work tree, whose own config is not the user's."""
    nowhere = os.path.join(root_abs, ".git", "packer-no-repository")
    try:
        proc = run_git(
            root_abs, f"--git-dir={nowhere}", "config", "-z", "--path", "--get", "core.excludesFile"
        )
    except OSError:  # no git on PATH
        proc = None
    if proc is not None and proc.returncode == 0:
        value = os.fsdecode(proc.stdout.split(b"\0", 1)[0])
        return os.path.join(root_abs, value) if value else None  # "": set to nothing
    # Unset (or a config git cannot read): git's default, from xdg_config_home().
    config_home = os.environ.get("XDG_CONFIG_HOME")
    if config_home:
        return os.path.join(config_home, "git", "ignore")
    home = os.environ.get("HOME")
    return None if home is None else os.path.join(home, ".config", "git", "ignore")


def _plain_list(root_abs: str, *, use_gitignore: bool, skips: list[Skip]) -> list[str]:
    paths: list[str] = []
    stack: list[tuple[str, tuple[Rules, ...]]] = [("", ())]
    excludes = _global_excludes_file(root_abs) if use_gitignore else None
    # git follows a symlinked excludes file (dotfiles often are), unlike a .gitignore.
    global_rules = None if excludes is None else Rules.read(excludes, "", follow_symlinks=True)
    if global_rules is not None:
        stack = [("", (global_rules,))]  # the lowest priority: every .gitignore overrides it
    while stack:
        prefix, rules = stack.pop()
        try:
            with os.scandir(os.path.join(root_abs, prefix) if prefix else root_abs) as it:
                entries = list(it)
        except FileNotFoundError:
            skips.append(Skip(prefix or "./", "vanished-during-walk"))
            continue
        except OSError as e:
            skips.append(Skip(prefix or "./", "unreadable", str(e.strerror)))
            continue
        if use_gitignore and any(e.name == ".gitignore" for e in entries):
            own = Rules.read(os.path.join(root_abs, prefix, ".gitignore"), prefix)
            if own is not None:
                rules = (*rules, own)
        for entry in entries:
            name = entry.name
            if name == ".git":
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            rel = prefix + name
            if rules and is_ignored(rules, rel, name, is_dir=is_dir):
                continue
            if is_dir:
                stack.append((rel + "/", rules))
            else:
                paths.append(rel)
    return paths


# ---------------------------------------------------------------------------
# selection: the rules after the listing, the same in both modes


@dataclass(frozen=True)
class _DirState:
    vendored: str | None  # the vendored directory ("a/vendor/") this one is inside
    packer_ignored: bool
    packer_rules: tuple[Rules, ...]
    attributes: tuple[Attributes, ...]


class _Selector:
    def __init__(
        self,
        root_abs: str,
        *,
        include: GitIgnoreSpec | None,
        listed_by_git: bool,
        exclude: GitIgnoreSpec | None,
        exclude_patterns: tuple[str, ...],
        keep: frozenset[str],
        max_file_size: int | None,
        outputs: Collection[str] = (),
    ) -> None:
        self.root_abs = root_abs
        self.root_real = os.path.realpath(root_abs)
        inside = os.path.join(self.root_real, "")
        self.outputs = frozenset(
            os.path.relpath(o, self.root_real).replace(os.sep, "/") for o in outputs if o.startswith(inside)
        )
        self.root_prefix = os.path.join(root_abs, "")
        self.uid = os.geteuid() if hasattr(os, "geteuid") else None
        self.gids = {os.getegid(), *os.getgroups()} if hasattr(os, "getegid") else set()
        self.include = include
        self.listed_by_git = listed_by_git
        self.exclude = exclude
        self.exclude_patterns = exclude_patterns
        self.keep = keep
        self.max_file_size = max_file_size
        self.dirs: dict[str, _DirState] = {}

    def select(self, paths: Iterable[str], skips: list[Skip]) -> list[Candidate]:
        files: list[Candidate] = []
        vendored: dict[str, int] = {}
        for rel in paths:
            result = self.judge(rel)
            if isinstance(result, str):
                vendored[result] = vendored.get(result, 0) + 1
            elif isinstance(result, Skip):
                skips.append(result)
            elif result is not None:
                files.append(result)
        skips.extend(Skip(d, "vendored", f"{n} file{'' if n == 1 else 's'}") for d, n in vendored.items())
        return files

    def judge(self, rel: str) -> Candidate | Skip | str | None:
        """A file to read, a skip, None (not a regular file), or the vendored directory
        `rel` is under (counted there, not listed)."""
        parent, _, name = rel.rpartition("/")
        state = self._dir_state(parent)
        attrs = attributes_for(state.attributes, rel, name) if state.attributes else {}
        if state.vendored is not None and attrs.get("linguist-vendored") is not False:
            return state.vendored
        return self._check(rel, name, state, attrs)

    def _check(
        self, rel: str, name: str, state: _DirState, attrs: dict[str, AttrValue]
    ) -> Candidate | Skip | None:
        if rel in self.outputs or output.is_temp_name(name):
            return Skip(rel, "packer-output")
        if state.packer_ignored or (
            state.packer_rules and is_ignored(state.packer_rules, rel, name, is_dir=False)
        ):
            return Skip(rel, "packerignore")
        if self.exclude is not None:
            check = self.exclude.check_file(rel)
            if check.include and check.index is not None:
                return Skip(rel, "excluded", self.exclude_patterns[check.index])
        if self.include is not None and not self.include.match_file(rel):
            return Skip(rel, "not-included")
        if "secrets-file" not in self.keep and secrets.is_secrets_file(rel):
            return Skip(rel, "secrets-file")
        if attrs.get("linguist-vendored") and "vendored" not in self.keep:
            return Skip(rel, "vendored", ".gitattributes linguist-vendored")
        if attrs.get("linguist-generated") and "generated" not in self.keep:
            return Skip(rel, "generated", ".gitattributes linguist-generated")
        return self._inspect(rel)

    def _inspect(self, rel: str) -> Candidate | Skip | None:
        """The file's verdict from lstat; None for a tracked file deleted from the work tree."""
        abspath = self.root_prefix + (rel if os.sep == "/" else rel.replace("/", os.sep))
        try:
            st = os.lstat(abspath)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                return None if self.listed_by_git else Skip(rel, "vanished-during-walk")
            return Skip(rel, "unreadable", str(e.strerror))
        mode = st.st_mode
        if stat.S_ISLNK(mode):
            return self._symlink_skip(rel, abspath)
        if stat.S_ISDIR(mode):
            return Skip(rel, "submodule")  # only git lists a directory
        if not stat.S_ISREG(mode):
            return Skip(rel, "not-regular", _special_kind(mode))
        if self.max_file_size is not None and st.st_size > self.max_file_size:
            return Skip(rel, "too-large", f"{st.st_size} bytes > {self.max_file_size}")
        if not self._may_read(st):
            return Skip(rel, "unreadable", os.strerror(errno.EACCES))
        return Candidate(
            path=rel, abspath=abspath, size=st.st_size, stamp=(st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        )

    def _may_read(self, st: os.stat_result) -> bool:
        """The permission bits' verdict, without a syscall per file (ACLs are left to the reader)."""
        if self.uid is None or self.uid == 0:
            return True
        if st.st_uid == self.uid:
            return bool(st.st_mode & stat.S_IRUSR)
        if st.st_gid in self.gids:
            return bool(st.st_mode & stat.S_IRGRP)
        return bool(st.st_mode & stat.S_IROTH)

    def _symlink_skip(self, rel: str, abspath: str) -> Skip:
        try:
            st = os.stat(abspath)
        except OSError as e:
            if e.errno == errno.ELOOP:
                return Skip(rel, "symlink-loop")
            if e.errno in (errno.ENOENT, errno.ENOTDIR):
                return Skip(rel, "broken-symlink")
            return Skip(rel, "unreadable", str(e.strerror))
        target = os.path.realpath(abspath)
        if os.path.commonpath([self.root_real, target]) != self.root_real:
            return Skip(rel, "symlink-outside-root")
        if stat.S_ISDIR(st.st_mode):
            return Skip(rel, "symlink-to-directory")
        if not stat.S_ISREG(st.st_mode):
            return Skip(rel, "symlink-to-special", _special_kind(st.st_mode))
        return Skip(rel, "symlink", os.path.relpath(target, self.root_real).replace(os.sep, "/"))

    def _dir_state(self, d: str) -> _DirState:
        state = self.dirs.get(d)
        if state is not None:
            return state
        missing = [d]  # fill the chain top-down without recursion: trees can be deep
        while True:
            parent = missing[-1].rpartition("/")[0]
            if missing[-1] == "" or parent in self.dirs:
                break
            missing.append(parent)
        for directory in reversed(missing):
            self.dirs[directory] = self._new_state(directory)
        return self.dirs[d]

    def _new_state(self, d: str) -> _DirState:
        if d == "":
            parent = _DirState(None, False, (), ())
            vendored: str | None = None
            ignored = False
        else:
            up, _, name = d.rpartition("/")
            parent = self.dirs[up]
            vendored = parent.vendored
            if vendored is None and name in VENDORED_DIRS and "vendored" not in self.keep:
                vendored = d + "/"
            ignored = parent.packer_ignored or (
                bool(parent.packer_rules) and is_ignored(parent.packer_rules, d, name, is_dir=True)
            )
        base = d + "/" if d else ""
        here = os.path.join(self.root_abs, d.replace("/", os.sep))
        packer_rules = parent.packer_rules
        if not ignored:
            own = Rules.read(os.path.join(here, ".packerignore"), base)
            if own is not None:
                packer_rules = (*packer_rules, own)
        attributes = parent.attributes
        data = read_rules_file(os.path.join(here, ".gitattributes"))
        if data is not None:
            lines = parse_attributes(text_lines(data))
            if lines:
                attributes = (*attributes, Attributes(base, lines))
        return _DirState(vendored, ignored, packer_rules, attributes)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "unknown type"


def left_out_by_name(
    root: str | Path,
    paths: Iterable[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    keep: Collection[str] = (),
) -> dict[str, str]:
    """Why the rules that go by name alone would leave each of `paths` out: vendored
    directories, `.packerignore`, `exclude`/`include`, `.gitattributes`. For files that
    are not on disk (a deleted file in a diff); those the rules keep are absent."""
    selector = _ByName(
        os.path.abspath(os.fspath(root)),
        include=_spec("--include", include),
        listed_by_git=True,
        exclude=_spec("--exclude", exclude),
        exclude_patterns=tuple(exclude),
        keep=frozenset(keep),
        max_file_size=None,
    )
    out: dict[str, str] = {}
    for rel in paths:
        verdict = selector.judge(rel)
        if isinstance(verdict, str):
            out[rel] = Skip(rel, "vendored", verdict).reason
        elif isinstance(verdict, Skip):
            out[rel] = verdict.reason
    return out


class _ByName(_Selector):
    def _inspect(self, rel: str) -> Candidate | Skip | None:
        return None  # the file is not there: only its name is judged
