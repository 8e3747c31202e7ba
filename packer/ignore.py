"""Gitignore and gitattributes rules, matched entry by entry the way git matches them.

pathspec's GitIgnoreSpec matches whole paths, descendants included, which disagrees
with git in cases that matter here (`build/` then `!build/keep.txt` re-includes the
file; `foo/**` excludes `foo` itself). So the wildmatch globs are translated here and
every directory entry is checked as git checks it, with excluded directories pruned
by the walker. `.gitattributes` uses the same matcher (checked against
`git check-attr` in the tests).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

RULES_FILE_LIMIT = 10_000_000

def _glob_regex(glob: str) -> str | None:
    """Translate a wildmatch glob (git's WM_PATHNAME) to a regex; None if it can never match."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        c = glob[i]
        if c == "\\":
            if i + 1 >= n:
                return None  # a trailing backslash makes git's wildmatch fail
            out.append(re.escape(glob[i + 1]))
            i += 2
        elif c == "*":
            j = i
            while j < n and glob[j] == "*":
                j += 1
            if j - i >= 2 and (i == 0 or glob[i - 1] == "/"):
                if j == n:  # "**" at the end: everything inside
                    out.append(".*")
                    i = j
                    continue
                if glob[j] == "/":  # "**/": zero or more directories
                    out.append("(?:.*/)?")
                    i = j + 1
                    continue
            out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            bracket = _bracket_regex(glob, i)
            if bracket is None:
                return None
            out.append(bracket[0])
            i = bracket[1]
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _bracket_regex(glob: str, start: int) -> tuple[str, int] | None:
    """A `[...]` expression at `start` as a regex class and the index after it (git's rules)."""
    i, n = start + 1, len(glob)
    negated = i < n and glob[i] in "!^"
    if negated:
        i += 1
    items: list[str] = []
    prev: str | None = None
    first = True
    while True:
        if i >= n:
            return None  # unterminated: git's wildmatch aborts
        c = glob[i]
        if c == "]" and not first:
            break
        first = False
        if c == "\\":
            if i + 1 >= n:
                return None
            c = glob[i + 1]
            items.append(re.escape(c))
            prev, i = c, i + 2
        elif c == "-" and prev is not None and i + 1 < n and glob[i + 1] != "]":
            hi = glob[i + 1]
            i += 2
            if hi == "\\":
                if i >= n:
                    return None
                hi, i = glob[i], i + 1
            items.pop()
            if prev <= hi:
                items.append(f"{re.escape(prev)}-{re.escape(hi)}")
            prev = None
        elif c == "[" and i + 1 < n and glob[i + 1] == ":":
            end = glob.find("]", i + 2)
            if end < 0:
                return None
            if glob[end - 1] != ":" or end - 1 < i + 2:
                items.append(re.escape(c))  # no ":]": an ordinary "["
                prev, i = c, i + 1
                continue
            cls = _CLASSES.get(glob[i + 2 : end - 1])
            if cls is None:
                return None
            items.append(cls)
            prev, i = None, end + 1
        else:
            items.append(re.escape(c))
            prev, i = c, i + 1
    body = "".join(items)
    if negated:
        return f"[^/{body}]", i + 1
    return (f"(?!/)[{body}]" if body else "(?!)"), i + 1


def _trim_trailing_spaces(line: str) -> str:
    """Git's rule: trailing spaces go unless the first of them is escaped with a backslash."""
    last_space: int | None = None
    i = 0
    while i < len(line):
        c = line[i]
        if c == " ":
            if last_space is None:
                last_space = i
        elif c == "\\":
            i += 1
            if i >= len(line):
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


@dataclass(frozen=True)
class _Pattern:
    regex: str
    negated: bool
    dir_only: bool
    basename: bool  # no inner "/": matches the name at any depth


def _parse_pattern(text: str) -> _Pattern | None:
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    dir_only = text.endswith("/")
    if dir_only:
        text = text[:-1]
    basename = "/" not in text
    if not basename and text.startswith("/"):
        text = text[1:]
    if not text:
        return None
    regex = _glob_regex(text)
    if regex is None:
        return None
    return _Pattern(regex, negated, dir_only, basename)


def _alternation(patterns: Sequence[_Pattern], chosen: Iterable[int]) -> re.Pattern[str] | None:
    # Later lines first: the first alternative that matches is the last matching line.
    parts = [f"(?P<p{i}>{patterns[i].regex})" for i in sorted(chosen, reverse=True)]
    return re.compile("|".join(parts), re.DOTALL) if parts else None


def text_lines(data: bytes) -> list[str]:
    # Paths are str with surrogateescape, so rule files are decoded the same way.
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def read_rules_file(path: str) -> bytes | None:
    # O_NOFOLLOW: git does not follow a symlinked .gitignore or .gitattributes either.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, RULES_FILE_LIMIT)
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Rules:
    """One ignore file: its directory ("" or "a/b/") and its lines compiled for matching."""

    base: str
    negated: tuple[bool, ...]
    file_names: re.Pattern[str] | None
    file_paths: re.Pattern[str] | None
    dir_names: re.Pattern[str] | None
    dir_paths: re.Pattern[str] | None

    @classmethod
    def read(cls, path: str, base: str) -> Rules | None:
        data = read_rules_file(path)
        return None if data is None else cls.parse(text_lines(data), base)

    @classmethod
    def parse(cls, lines: Iterable[str], base: str) -> Rules | None:
        patterns: list[_Pattern] = []
        for line in lines:
            if not line or line.startswith("#"):
                continue
            pattern = _parse_pattern(_trim_trailing_spaces(line))
            if pattern is not None:
                patterns.append(pattern)
        if not patterns:
            return None
        names = [i for i, p in enumerate(patterns) if p.basename]
        paths = [i for i, p in enumerate(patterns) if not p.basename]
        return cls(
            base=base,
            negated=tuple(p.negated for p in patterns),
            file_names=_alternation(patterns, (i for i in names if not patterns[i].dir_only)),
            file_paths=_alternation(patterns, (i for i in paths if not patterns[i].dir_only)),
            dir_names=_alternation(patterns, names),
            dir_paths=_alternation(patterns, paths),
        )

    def decide(self, rel: str, name: str, *, is_dir: bool) -> bool | None:
        """True if the last matching line excludes the entry, False if it re-includes it."""
        by_name, by_path = (self.dir_names, self.dir_paths) if is_dir else (self.file_names, self.file_paths)
        best = -1
        if by_name is not None and (m := by_name.fullmatch(name)) and m.lastgroup:
            best = int(m.lastgroup[1:])
        if by_path is not None and (m := by_path.fullmatch(rel[len(self.base) :])) and m.lastgroup:
            best = max(best, int(m.lastgroup[1:]))
        return None if best < 0 else not self.negated[best]


def is_ignored(rules: Sequence[Rules], rel: str, name: str, *, is_dir: bool) -> bool:
    for r in reversed(rules):  # the deepest file decides first
        decision = r.decide(rel, name, is_dir=is_dir)
        if decision is not None:
            return decision
    return False


# ---------------------------------------------------------------------------
# .gitattributes (only the linguist attributes matter here)

_ATTRS = ("linguist-vendored", "linguist-generated")
AttrValue = bool | None


@dataclass(frozen=True)
class _AttrLine:
    pattern: _Pattern
    regex: re.Pattern[str]
    states: tuple[tuple[str, AttrValue], ...]  # None = back to unspecified ("!attr")


def _attr_state(token: str) -> tuple[str, AttrValue] | None:
    if token.startswith("-"):
        name, value = token[1:], False
    elif token.startswith("!"):
        name, value = token[1:], None
    elif "=" in token:
        name, _, raw = token.partition("=")
        value = {"true": True, "false": False}.get(raw.lower())
    else:
        name, value = token, True
    return (name, value) if name in _ATTRS else None


def parse_attributes(lines: Iterable[str]) -> tuple[_AttrLine, ...]:
    out: list[_AttrLine] = []
    for line in lines:
        line = line.strip(" \t\r\n")
        if not line or line.startswith("#") or line.startswith("[attr]"):
            continue
        if "linguist-" not in line:
            continue
        if line.startswith('"'):
            quoted = _unquote(line)
            if quoted is None:
                continue
            glob, rest = quoted
        else:
            glob, _, rest = line.replace("\t", " ").partition(" ")
        states = tuple(s for t in rest.split() if (s := _attr_state(t)) is not None)
        pattern = _parse_pattern(glob)
        if not states or pattern is None or pattern.negated:
            continue  # git ignores negative patterns in attributes
        if pattern.dir_only:
            continue  # attributes of a directory are not inherited by its files
        out.append(_AttrLine(pattern, re.compile(pattern.regex, re.DOTALL), states))
    return tuple(out)


_C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(line: str) -> tuple[str, str] | None:
    """A C-style quoted pattern at the start of `line`, and the rest of the line."""
    out: list[str] = []
    raw = bytearray()
    i = 1
    while i < len(line):
        c = line[i]
        if c == '"':
            out.append(raw.decode("utf-8", "surrogateescape"))
            return "".join(out), line[i + 1 :]
        if c == "\\" and i + 1 < len(line):
            nxt = line[i + 1]
            digits = line[i + 1 : i + 4]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                raw.append(int(digits, 8) & 0xFF)
                i += 4
                continue
            out.append(raw.decode("utf-8", "surrogateescape"))
            raw.clear()
            out.append(_C_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(raw.decode("utf-8", "surrogateescape"))
        raw.clear()
        out.append(c)
        i += 1
    return None


@dataclass(frozen=True)
class Attributes:
    base: str
    lines: tuple[_AttrLine, ...]


def attributes_for(stack: Sequence[Attributes], rel: str, name: str) -> dict[str, AttrValue]:
    found: dict[str, AttrValue] = {}
    for attrs in stack:  # shallow to deep, line by line: the last assignment wins
        sub = rel[len(attrs.base) :]
        for line in attrs.lines:
            if line.regex.fullmatch(name if line.pattern.basename else sub):
                found.update(line.states)
    return found


