"""The corpus of `bench_retrieval.py`: consecutive releases from package registries as commits.

Git history is not in a registry, so a "commit" here is one release of a project against
the one before it: the old tree is the index (the change is not made yet), the changed
hunks are a line diff of the two trees' source files, and the queries are the entries of
the new release's changelog section, each one like a commit message.

Everything comes from the registries through their own clients (no git clone):
`pip download --no-deps --no-binary NAME NAME==V` for a PyPI sdist, `npm pack NAME@V` for
an npm tarball. Downloads and extracted trees are cached under `--cache`
(/tmp/corpora/retrieval by default), never in the repository.

    python benchmarks/retrieval_corpus.py [--projects click,django] [--cache DIR]

prints what it built (releases, entries, changed lines per release) without chunking.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import itertools
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path("/tmp/corpora/retrieval")

# packer's language -> (chonkie's name, LangChain's Language): the languages every tool
# splits along their syntax, as bench_chunk.py names them.
from bench_chunk import PEER_LANGUAGES  # noqa: E402 - this folder's own script


@dataclass(frozen=True)
class Project:
    name: str
    registry: str  # "pypi" | "npm"
    package: str
    versions: tuple[str, ...]  # consecutive releases, oldest first
    changelog: str  # the new tree's changelog; "{v}" is the new version
    exclude: tuple[str, ...] = ()  # path prefixes left out of the source files (docs, built, vendored)


def _patches(prefix: str, first: int, last: int, zero: str | None = None) -> tuple[str, ...]:
    start = [zero] if zero else []
    return tuple(start + [f"{prefix}.{n}" for n in range(first, last + 1)])


# Each: one minor line's consecutive patch releases (at most 10 pairs, the latest ones).
PROJECTS: dict[str, Project] = {
    p.name: p
    for p in (
        # the project the method was decided on
        Project(
            "click", "pypi", "click", _patches("8.1", 0, 8), "CHANGES.rst", ("docs/", "examples/", "artwork/")
        ),
        Project(
            "django",
            "pypi",
            "Django",
            _patches("5.2", 10, 20),
            "docs/releases/{v}.txt",
            ("docs/", "extras/", "js_tests/"),
        ),
        Project("werkzeug", "pypi", "werkzeug", _patches("3.1", 0, 9), "CHANGES.rst", ("docs/", "examples/")),
        Project(
            "orjson",
            "pypi",
            "orjson",
            _patches("3.10", 8, 18),
            "CHANGELOG.md",
            ("include/", "bench/", "integration/", "script/", "ci/"),
        ),
        Project(
            "axios", "npm", "axios", _patches("1.7", 0, 9), "CHANGELOG.md", ("dist/", "examples/", "sandbox/")
        ),
    )
}


# --------------------------------------------------------------------------- fetching


def fetch(project: Project, version: str, cache: Path = CACHE) -> Path:
    """The extracted tree of one release (downloaded and unpacked once)."""
    tree = cache / "trees" / f"{project.name}-{version}"
    if (tree / ".complete").exists():
        return tree
    dl = cache / "dl" / project.name
    dl.mkdir(parents=True, exist_ok=True)
    archive = _archive(project, version, dl)
    if archive is None:
        if project.registry == "pypi":
            cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", project.package]
            cmd += [f"{project.package}=={version}", "-d", str(dl)]
        else:
            cmd = ["npm", "pack", f"{project.package}@{version}", "--pack-destination", str(dl), "--silent"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=900)
        archive = _archive(project, version, dl)
        if archive is None:
            raise SystemExit(f"could not download {project.package} {version}: {done.stderr.strip()[-500:]}")
    if tree.exists():
        shutil.rmtree(tree)
    tmp = tree.with_name(tree.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    tops = list(tmp.iterdir())
    top = tops[0] if len(tops) == 1 and tops[0].is_dir() else tmp
    top.rename(tree)
    if tmp.exists():
        shutil.rmtree(tmp)
    (tree / ".complete").write_text(str(archive.name))
    return tree


def _archive(project: Project, version: str, dl: Path) -> Path | None:
    stem = re.sub(r"[-_.]+", "[-_.]", re.escape(project.package.lower()).replace("\\", ""))
    pattern = re.compile(rf"^{stem}-{re.escape(version)}\.(tar\.gz|tgz)$", re.IGNORECASE)
    for f in dl.iterdir():
        if pattern.match(f.name):
            return f
    return None


# --------------------------------------------------------------------------- source files


def source_files(project: Project, tree: Path) -> dict[str, str]:
    """root-relative path -> packer language, for the files every tool splits by syntax."""
    from packer import languages

    found: dict[str, str] = {}
    for f in sorted(tree.rglob("*")):
        if not f.is_file() or f.is_symlink():
            continue
        rel = f.relative_to(tree).as_posix()
        if rel.startswith(project.exclude) or "/node_modules/" in f"/{rel}" or rel.endswith(".min.js"):
            continue
        language = languages.detect(rel)
        if language in PEER_LANGUAGES and f.stat().st_size <= 1_000_000:
            found[rel] = language
    return found


def read_text(path: Path) -> str:
    """A file's text as every tool here reads it: UTF-8, invalid bytes replaced, no BOM."""
    return path.read_bytes().decode("utf-8", "replace").lstrip("\ufeff")


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


# --------------------------------------------------------------------------- diffs

# A changed line that only bumps the version is not part of any entry's change.
_VERSION_LINE = re.compile(r"^\s*(__version__|VERSION)\s*[:=]|\bversion\s*[:=]\s*['\"]\d", re.IGNORECASE)


@dataclass(frozen=True)
class Hunk:
    path: str
    lines: frozenset[int]  # the old tree's lines it touches (1-based)
    text: str  # its removed and added lines: what the entries are matched against


def changed_hunks(
    old: Path, new: Path, old_files: dict[str, str], new_files: dict[str, str], old_version: str
) -> list[Hunk]:
    """The hunks of the change to the old tree's source files, with the old lines each touches.

    A deleted or replaced line counts as itself; a pure insertion counts the old line it
    follows (line 1 for an insertion at the top), so every hunk has at least one old line.
    Changes fewer than 7 unchanged lines apart are one hunk (git's, with 3 lines of
    context). A file deleted in the new release counts all its lines; a file the new
    release adds has no old line and is left out (it cannot be retrieved from the old
    tree). Lines that only bump the version (holding the old version string, or
    `__version__`/`VERSION =`) are dropped, and a hunk left with none with them.
    """
    out: list[Hunk] = []
    for path in sorted(old_files):
        a = (old / path).read_bytes()
        b = (new / path).read_bytes() if path in new_files else b""
        if a == b:
            continue
        a_lines = read_text(old / path).splitlines()
        b_lines = read_text(new / path).splitlines() if path in new_files else []
        groups: list[list[tuple[str, int, int, int, int]]] = []
        last_end = None
        matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
        for op in matcher.get_opcodes():
            if op[0] == "equal":
                continue
            if last_end is not None and op[1] - last_end < 7:
                groups[-1].append(op)
            else:
                groups.append([op])
            last_end = op[2]
        for group in groups:
            lines: set[int] = set()
            text: list[str] = []
            for tag, i1, i2, j1, j2 in group:
                if tag in ("replace", "delete"):
                    lines.update(
                        n for n in range(i1 + 1, i2 + 1) if not _is_version_line(a_lines[n - 1], old_version)
                    )
                elif not any(_is_version_line(x, old_version) for x in b_lines[j1:j2]):
                    lines.add(max(i1, 1))
                text += a_lines[i1:i2] + b_lines[j1:j2]
            lines = {n for n in lines if 1 <= n <= max(len(a_lines), 1)}
            if lines:
                out.append(Hunk(path, frozenset(lines), "\n".join(text)))
    return out


def lines_of(hunks: list[Hunk]) -> dict[str, set[int]]:
    """The old lines of some hunks, by path."""
    out: dict[str, set[int]] = {}
    for h in hunks:
        out.setdefault(h.path, set()).update(h.lines)
    return out


def _is_version_line(line: str, version: str) -> bool:
    return version in line or bool(_VERSION_LINE.search(line))


# --------------------------------------------------------------------------- changelogs

_HEADING_MD = re.compile(r"^(#{1,6})\s+(.*)$")
_UNDERLINE = re.compile(r"^([-=~^*+#])\1{2,}\s*$")
_BULLET = re.compile(r"^( {0,3})([-*+])\s+(.*)$")
_VERSIONISH = re.compile(r"(?<![\w.])v?\d+\.\d+(\.\d+)?(?![\w])")


def changelog_entries(project: Project, new_tree: Path, version: str) -> list[str]:
    """The new release's changelog entries, each cleaned into one query."""
    path = new_tree / project.changelog.format(v=version)
    if not path.exists():
        return []
    lines = read_text(path).splitlines()
    # a file per release (Django's release notes) is all one section
    section = lines if "{v}" in project.changelog else _version_section(lines, version)
    return [e for e in (clean_entry(t) for t in _entries(section)) if len(e.split()) >= 3]


def _version_section(lines: list[str], version: str) -> list[str]:
    """The lines under the heading naming `version`, up to the next version's heading."""
    mine = re.compile(rf"(?<![\w.]){re.escape(version)}(?![\w]|\.\d)")
    headings = [i for i in range(len(lines)) if _is_heading(lines, i)]
    start = next((i for i in headings if mine.search(lines[i])), None)
    if start is None:
        return []
    level = _level(lines, start)
    end = len(lines)
    for i in headings:
        if i > start and _level(lines, i) <= level and _VERSIONISH.search(lines[i]):
            end = i
            break
    return lines[start + 1 : end]


def _is_heading(lines: list[str], i: int) -> bool:
    if _HEADING_MD.match(lines[i]):
        return True
    return (
        bool(lines[i].strip())
        and i + 1 < len(lines)
        and bool(_UNDERLINE.match(lines[i + 1]))
        and not _UNDERLINE.match(lines[i])
    )


def _level(lines: list[str], i: int) -> int:
    m = _HEADING_MD.match(lines[i])
    if m:
        return len(m.group(1))
    return {"=": 1, "-": 2, "~": 3, "^": 4}.get(lines[i + 1].strip()[:1], 2)


def _entries(section: list[str]) -> list[str]:
    """Top-level bullet items (with their continuation lines), and sections under a
    `CVE-...` heading (a security fix told as a paragraph) as one entry each. Bullets under
    a heading about contributors are no entries."""
    entries: list[str] = []
    current: list[str] | None = None
    cve: list[str] | None = None
    skip = False
    i = 0
    while i < len(section):
        line = section[i]
        if _is_heading(section, i):
            if current:
                entries.append(" ".join(current))
            if cve:
                entries.append(" ".join(cve))
            current = None
            title = _HEADING_MD.match(line).group(2) if _HEADING_MD.match(line) else line.strip()
            skip = "contributor" in title.lower()
            cve = [title] if title.upper().startswith("CVE-") else None
            i += 1 if _HEADING_MD.match(line) else 2
            continue
        if _UNDERLINE.match(line):  # an overline
            i += 1
            continue
        if cve is not None:
            if line.strip():
                cve.append(line.strip())
            i += 1
            continue
        m = _BULLET.match(line)
        blank = i > 0 and not section[i - 1].strip()
        if m and not skip:
            if current:
                entries.append(" ".join(current))
            current = [m.group(3).strip()]
        elif current is not None and line.strip() and (line[:1].isspace() or not blank):
            current.append(line.strip())  # indented, or straight after the item (lazy continuation)
        elif not line.strip():
            pass  # a blank line inside an item keeps it open until a non-indented line
        else:
            if current:
                entries.append(" ".join(current))
            current = None
        i += 1
    if current:
        entries.append(" ".join(current))
    if cve:
        entries.append(" ".join(cve))
    return entries


_ROLE_DROP = re.compile(r":(issue|pr|ticket|ghsa|cve|user|commit|bpo|gh):`[^`]*`", re.IGNORECASE)
_ROLE_LABEL = re.compile(r":[\w:.-]+:`([^`<]*?)\s*<[^`>]*>`")  # :ref:`label <target>` -> label
_ROLE_KEEP = re.compile(r":[\w:.-]+:`[~.]?([^`]*)`")
_BOILERPLATE = re.compile(r"This issue has severity \"[^\"]*\" according to the Django security policy\.?")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_HASH = re.compile(r"\(\s*[0-9a-f]{7,40}\s*\)")
_ISSUE_REF = re.compile(r"\(\s*#\d+\s*\)|#\d+")


def clean_entry(text: str) -> str:
    """An entry as a commit-message-like query: markup, links, issue numbers and hashes out."""
    text = _BOILERPLATE.sub("", text)
    text = _ROLE_DROP.sub("", text)
    text = _ROLE_LABEL.sub(r"\1", text)
    text = _ROLE_KEEP.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _HASH.sub("", text)
    text = _ISSUE_REF.sub("", text)
    text = re.sub(r"<img[^>]*>|<[^>]+>", "", text)
    text = text.replace("``", "").replace("`", "").replace("**", "")
    text = re.sub(r"\(\s*\)", "", text)
    return re.sub(r"\s+", " ", text).strip(" .")


# --------------------------------------------------------------------------- releases


@dataclass
class Release:
    project: str
    old: str
    new: str
    old_tree: Path
    files: dict[str, str]  # the old tree's source files: path -> language
    entries: list[str]
    hunks: list[Hunk]
    relevant: dict[str, set[int]]  # old-tree lines changed, by path: all the hunks'
    added_files: int = 0  # source files the new release adds (not retrievable, not counted)
    notes: list[str] = field(default_factory=list)


def build(project: Project, cache: Path = CACHE, log=print) -> list[Release]:
    """Every consecutive pair of the project's releases, with its entries and changed lines."""
    trees = {}
    for v in project.versions:
        trees[v] = fetch(project, v, cache)
    files = {v: source_files(project, t) for v, t in trees.items()}
    out = []
    for old, new in itertools.pairwise(project.versions):
        hunks = changed_hunks(trees[old], trees[new], files[old], files[new], old)
        rel = lines_of(hunks)
        entries = changelog_entries(project, trees[new], new)
        r = Release(project.name, old, new, trees[old], files[old], entries, hunks, rel)
        r.added_files = len(set(files[new]) - set(files[old]))
        out.append(r)
        log(
            f"  {project.name} {old} -> {new}: {len(entries)} entries, "
            f"{sum(map(len, rel.values()))} changed lines in {len(hunks)} hunks, {len(rel)} files"
            + (f", {r.added_files} files added" if r.added_files else "")
        )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", default=",".join(PROJECTS))
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--show", action="store_true", help="print every entry too")
    args = ap.parse_args()
    for name in args.projects.split(","):
        print(name)
        for r in build(PROJECTS[name], args.cache):
            if args.show:
                for e in r.entries:
                    print(f"    - {e[:200]}")
                for p, ls in r.relevant.items():
                    print(f"    * {p}: {len(ls)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
