"""Gitignore and gitattributes rules, matched entry by entry the way git matches them.

pathspec's GitIgnoreSpec matches whole paths, descendants included, which disagrees
with git in cases that matter here (`build/` then `!build/keep.txt` re-includes the
file; `foo/**` excludes `foo` itself). So the wildmatch globs are translated here and
every directory entry is checked as git checks it, with excluded directories pruned
by the walker. `.gitattributes` uses the same matcher (checked against
`git check-attr` in the tests).

Globs are matched as git's wildmatch matches them: on bytes (`?` is one byte of a
UTF-8 "é", `[[:space:]]` is git's own ASCII class), with `**` special only at the start
of the pattern or after a "/" (git 2.52's fix of a prefix quirk: `foo**/bar` does not
match `foobar`). Matching takes time linear in the path whatever the pattern: each
glob becomes a regex for RE2 (no backtracking), and the globs of one file are matched
together by RE2 sets, so `**/**/*a*a*a*b` or a 100,000-line file cost a pass over the
path per set, not a search per line.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

try:
    import re2 as _re2
except ImportError:  # pragma: no cover - a platform without its wheel: every glob runs on _Automaton
    _re2 = None

RULES_FILE_LIMIT = 10_000_000

# ---------------------------------------------------------------------------
# globs as tokens: fixed bytes, one byte of a set, or a run


_STAR = -1  # `*`: any bytes but "/"
_ANY = -2  # `**` at the end (or before `\/`): any bytes
_DIRS = -3  # `**/`: nothing, or any bytes ending in "/"
_RDIRS = -4  # `**/` in a reversed glob: nothing, or "/" and any bytes
_Token = int | bytes | frozenset[int]  # a run above, these bytes, or one byte of the set

_SLASH, _BACKSLASH = ord("/"), ord("\\")
_NOT_SLASH = frozenset(range(256)) - {_SLASH}


def _class(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(b for lo, hi in ranges for b in range(lo, hi + 1))


# git's sane_ctype (ASCII only): its space is tab, LF, CR and " ", not \f or \v.
_CLASSES = {
    b"alnum": _class((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    b"alpha": _class((0x41, 0x5A), (0x61, 0x7A)),
    b"blank": _class((0x20, 0x20), (0x09, 0x09)),
    b"cntrl": _class((0x00, 0x1F), (0x7F, 0x7F)),
    b"digit": _class((0x30, 0x39)),
    b"graph": _class((0x21, 0x7E)),
    b"lower": _class((0x61, 0x7A)),
    b"print": _class((0x20, 0x7E)),
    b"punct": _class((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    b"space": _class((0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x20)),
    b"upper": _class((0x41, 0x5A)),
    b"xdigit": _class((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}


# A literal run, a run of "*", an escape (a lone "\\" at the end too), or one byte.
_PIECE = re.compile(rb"[^*?\[\\]+|\*+|\\.?|.", re.DOTALL)


def _glob_tokens(glob: bytes) -> list[_Token] | None:
    """A wildmatch glob (git's WM_PATHNAME) as tokens; None if it can never match."""
    out: list[_Token] = []
    i, n = 0, len(glob)
    while i < n:
        m = _PIECE.match(glob, i)
        assert m is not None  # "." takes any byte
        piece = m.group()
        first = piece[0]
        if first == 0x5B:  # "["
            bracket = _bracket(glob, i)
            if bracket is None:
                return None
            members, i = bracket
            members -= {_SLASH}  # no class matches "/" under WM_PATHNAME
            if not members:
                return None
            out.append(members)
            continue
        start, i = i, m.end()
        if first == _BACKSLASH:
            if len(piece) == 1:
                return None  # a trailing backslash makes git's wildmatch fail
            _append_literal(out, piece[1:])
        elif first == 0x2A:  # "*"
            run = _STAR
            if len(piece) >= 2 and (start == 0 or glob[start - 1] == _SLASH):
                if i == n or glob[i : i + 2] == b"\\/":
                    run = _ANY  # "**" at the end, or before an escaped "/": anything
                elif glob[i] == _SLASH:
                    run, i = _DIRS, i + 1  # "**/": zero or more directories
            _append_run(out, run)
        elif first == 0x3F:  # "?"
            out.append(_NOT_SLASH)
        else:
            _append_literal(out, piece)
    return out


def _append_literal(out: list[_Token], piece: bytes) -> None:
    if out and type(out[-1]) is bytes:
        out[-1] += piece
    else:
        out.append(piece)


def _append_run(out: list[_Token], run: int) -> None:
    # `**/**/` is `**/`, and `**/**` is `**`: fewer tokens, the same language.
    if out and out[-1] == _DIRS and run in (_DIRS, _ANY):
        out[-1] = run
    else:
        out.append(run)


def _bracket(glob: bytes, start: int) -> tuple[frozenset[int], int] | None:
    """The bytes a `[...]` at `start` matches and the index after it (wildmatch's loop)."""
    i, n = start + 1, len(glob)
    negated = i < n and glob[i] in b"!^"
    if negated:
        i += 1
    members: set[int] = set()
    prev = 0  # git's prev_ch: 0 after a range or a class, when "-" is literal
    while True:  # git's do { ... } while (*++p != ']'): the first "]" is a member
        if i >= n:
            return None  # unterminated: git's wildmatch aborts
        step = _bracket_member(glob, i, prev, members)
        if step is None:
            return None
        prev, i = step
        i += 1
        if i >= n:
            return None
        if glob[i] == 0x5D:
            break
    found = frozenset(members)
    return (frozenset(range(256)) - found if negated else found), i + 1


def _bracket_member(glob: bytes, i: int, prev: int, members: set[int]) -> tuple[int, int] | None:
    """Add the member at `i` (an escaped byte, a range, a class or a byte) to `members`:
    git's prev_ch after it and the index of its last byte, or None where wildmatch aborts."""
    c = glob[i]
    if c == _BACKSLASH:
        i += 1
        if i >= len(glob):
            return None
        members.add(glob[i])
        return glob[i], i
    if c == 0x2D and prev and i + 1 < len(glob) and glob[i + 1] != 0x5D:  # "a-z"
        return _bracket_range(glob, i + 1, prev, members)
    if c == 0x5B and glob[i + 1 : i + 2] == b":":  # "[:class:]"
        return _bracket_class(glob, i, members)
    members.add(c)
    return c, i


def _bracket_range(glob: bytes, i: int, lo: int, members: set[int]) -> tuple[int, int] | None:
    """The range from `lo` to the byte at `i` (after the "-"), which may be escaped."""
    hi = glob[i]
    if hi == _BACKSLASH:
        i += 1
        if i >= len(glob):
            return None
        hi = glob[i]
    members.update(range(lo, hi + 1))  # empty when lo > hi
    return 0, i


def _bracket_class(glob: bytes, i: int, members: set[int]) -> tuple[int, int] | None:
    """A "[:class:]" at `i`; without its ":]", an ordinary "[" (then ":" on the next turn)."""
    end = glob.find(b"]", i + 2)
    if end < 0:
        return None
    if end - 1 < i + 2 or glob[end - 1] != 0x3A:
        members.add(0x5B)
        return 0x5B, i
    cls = _CLASSES.get(glob[i + 2 : end - 1])
    if cls is None:
        return None  # an unknown class: git's wildmatch aborts
    members |= cls
    return 0, end


# ---------------------------------------------------------------------------
# patterns


class _Pattern(NamedTuple):
    tokens: tuple[_Token, ...]
    literal: bytes | None  # the bytes it matches when it has no wildcard
    negated: bool
    dir_only: bool
    basename: bool  # no inner "/": matches the name at any depth


_SPECIAL = frozenset(b"*?[\\")


def _parse_pattern(text: str) -> _Pattern | None:
    raw = text.encode("utf-8", "surrogateescape")
    negated = raw.startswith(b"!")
    if negated:
        raw = raw[1:]
    dir_only = raw.endswith(b"/")
    if dir_only:
        raw = raw[:-1]
    basename = b"/" not in raw
    if not basename and raw.startswith(b"/"):
        raw = raw[1:]
    if not raw:
        return None
    if _SPECIAL.isdisjoint(raw):
        return _Pattern((), raw, negated, dir_only, basename)
    tokens = _glob_tokens(raw)
    if tokens is None:
        return None
    literal = tokens[0] if len(tokens) == 1 and type(tokens[0]) is bytes else None  # "\#x"
    return _Pattern(tuple(tokens), literal, negated, dir_only, basename)


def _trim_trailing_spaces(line: str) -> str:
    """Git's rule: trailing spaces go unless the first of them is escaped with a backslash."""
    if not line.endswith(" "):
        return line
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


# ---------------------------------------------------------------------------
# matching many globs at once


class _Automaton:
    """One glob matched by running its automaton: O(len(text) * len(tokens)), no backtracking.

    For a glob RE2 refuses (a line too large for its memory budget), or every glob when
    RE2 is missing. Each token but a run takes one byte, and at most two runs stand
    together (`**/*`), so a glob has at most three tokens per fixed byte; a text shorter
    than the fixed bytes is refused at once. The work is bounded by the path's length
    squared, however long the line.
    """

    def __init__(self, tokens: Sequence[_Token]) -> None:
        steps: list[int | frozenset[int]] = []
        for t in tokens:
            if isinstance(t, bytes):
                steps.extend(frozenset((b,)) for b in t)
            else:
                steps.append(t)
        self.tokens = tuple(steps)
        self.fixed = sum(type(t) is frozenset for t in steps)

    def match(self, text: bytes) -> bool:
        if len(text) < self.fixed:
            return False
        end = len(self.tokens)
        states = self._closure({0})
        for c in text:
            following: set[int] = set()
            for s in states:
                if s < 0:  # inside `**/`, which may end at any "/"
                    following.add(s)
                    if c == _SLASH:
                        following.add(-s)
                    continue
                if s == end:
                    continue
                t = self.tokens[s]
                if type(t) is frozenset:
                    if c in t:
                        following.add(s + 1)
                elif t == _ANY or (t == _STAR and c != _SLASH):
                    following.add(s)
                elif t == _DIRS:
                    following.add(-(s + 1))
                    if c == _SLASH:
                        following.add(s + 1)
            if not following:
                return False
            states = self._closure(following)
        return end in states

    def _closure(self, states: set[int]) -> set[int]:
        todo = list(states)
        while todo:
            s = todo.pop()
            if 0 <= s < len(self.tokens) and type(self.tokens[s]) is int and s + 1 not in states:
                states.add(s + 1)  # a run may be empty
                todo.append(s + 1)
        return states


_FORWARD, _REVERSED, _ANY_DEPTH = 0, 1, 2  # how a set's texts are shown to it

_RUN_REGEX = {
    _STAR: rb"[^/]*",
    _ANY: rb"[\x00-\xff]*",
    _DIRS: rb"(?:[\x00-\xff]*/)?",
    _RDIRS: rb"(?:/[\x00-\xff]*)?",
}
_BYTE_REGEX = [bytes((b,)) if chr(b).isascii() and chr(b).isalnum() else b"\\x%02x" % b for b in range(256)]


@lru_cache(maxsize=1024)
def _set_regex(members: frozenset[int]) -> bytes:
    if len(members) == 1:
        return _BYTE_REGEX[next(iter(members))]
    negated = len(members) > 128
    chosen = sorted(frozenset(range(256)) - members if negated else members)
    parts: list[bytes] = []
    i = 0
    while i < len(chosen):
        j = i
        while j + 1 < len(chosen) and chosen[j + 1] == chosen[j] + 1:
            j += 1
        parts.append(b"\\x%02x" % chosen[i] if i == j else b"\\x%02x-\\x%02x" % (chosen[i], chosen[j]))
        i = j + 1
    return b"[" + (b"^" if negated else b"") + b"".join(parts) + b"]"


def _regex(tokens: Sequence[_Token]) -> bytes:
    # re.escape puts a backslash before each of RE2's metacharacters (and some other
    # ASCII punctuation, which RE2 takes as itself); bytes above 0x7f are Latin-1 letters.
    return b"".join(
        _RUN_REGEX[t] if type(t) is int else re.escape(t) if type(t) is bytes else _set_regex(t)
        for t in tokens
    )


def _witness(tokens: Sequence[_Token]) -> bytes:
    """A text the tokens match: their bytes, the smallest byte of each set, every run empty."""
    return b"".join(t if isinstance(t, bytes) else bytes((min(t),)) for t in tokens if not isinstance(t, int))


@lru_cache(maxsize=2)
def _options(max_mem: int) -> Any:
    assert _re2 is not None
    options = _re2.Options()
    options.encoding = _re2.Options.Encoding.LATIN1  # one byte, one character: git's matching
    options.log_errors = False
    options.max_mem = max_mem
    return options


# A set's program may take a quarter of max_mem and its DFA the rest. RE2::Set cannot
# fall back to another engine, and its DFA refuses to start (every match then comes
# back empty) without room for 20 states of the program's size: a set stays far
# below that, and each set is checked on a text it must match (`_witness`).
_MAX_MEM = 32 << 20
_SET_PATTERNS = 2048
_SET_REGEX_BYTES = 128 << 10


@dataclass(frozen=True)
class _Compiled:
    top: int  # the highest rule index in the set
    how: int  # _FORWARD, _REVERSED or _ANY_DEPTH
    matcher: Any  # re2.Set
    indices: tuple[int, ...]  # rule index of each of the set's patterns


class _Entry(NamedTuple):
    rule: int
    how: int
    tokens: tuple[_Token, ...]  # as the set sees them (reversed, or without the leading `**/`)
    regex: bytes
    original: tuple[_Token, ...]


def _entry(index: int, tokens: tuple[_Token, ...]) -> _Entry:
    """A glob arranged so that RE2's DFA keeps few states alive.

    A set matched forward carries every glob that begins with `*` through the whole
    text (20,000 `*.extN` lines: 0.5 ms a path). A glob that ends with a fixed byte
    is matched backwards on the reversed text instead, and one like `**/cache/**` is
    matched from the start of each path component, so every glob starts with bytes
    that rule it out at once.
    """
    how, shown = _FORWARD, tokens
    if type(tokens[0]) is int:
        if type(tokens[-1]) is not int:
            how = _REVERSED
            shown = tuple(
                _RDIRS if t == _DIRS else t[::-1] if isinstance(t, bytes) else t for t in reversed(tokens)
            )
        elif tokens[0] == _DIRS and len(tokens) > 1 and type(tokens[1]) is not int:
            how, shown = _ANY_DEPTH, tokens[1:]
    return _Entry(index, how, shown, _regex(shown), tokens)


def _batches(entries: Sequence[_Entry]) -> Iterator[list[_Entry]]:
    batch: list[_Entry] = []
    size = 0
    for e in entries:
        if batch and (len(batch) >= _SET_PATTERNS or size + len(e.regex) > _SET_REGEX_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(e)
        size += len(e.regex)
    if batch:
        yield batch


def _compile(batch: list[_Entry], sets: list[_Compiled], slow: list[tuple[int, _Automaton]]) -> None:
    """Compile `batch` into one RE2 set, or halves of it; a glob RE2 refuses goes to `slow`."""
    if _re2 is None:
        slow.extend((e.rule, _Automaton(e.original)) for e in batch)
        return
    matcher = _re2.Set.FullMatchSet(_options(_MAX_MEM))
    kept: list[_Entry] = []
    for e in batch:
        try:
            matcher.Add(e.regex)
        except _re2.error:
            slow.append((e.rule, _Automaton(e.original)))
            continue
        kept.append(e)
    if not kept:
        return
    try:
        matcher.Compile()
        ok = 0 in (matcher.Match(_witness(kept[0].tokens)) or ())
    except _re2.error:
        ok = False
    if ok:
        sets.append(_Compiled(max(e.rule for e in kept), kept[0].how, matcher, tuple(e.rule for e in kept)))
    elif len(kept) == 1:
        slow.append((kept[0].rule, _Automaton(kept[0].original)))
    else:
        half = len(kept) // 2
        _compile(kept[:half], sets, slow)
        _compile(kept[half:], sets, slow)


class _Matcher:
    """Globs with rule indices: which of them fully match a text."""

    def __init__(self, patterns: Iterable[tuple[int, _Pattern]]) -> None:
        self.exact: dict[bytes, list[int]] = {}  # no wildcard: a dictionary, as git does
        entries: dict[int, list[_Entry]] = {_FORWARD: [], _REVERSED: [], _ANY_DEPTH: []}
        for index, p in patterns:
            if p.literal is not None:
                self.exact.setdefault(p.literal, []).append(index)
            else:
                e = _entry(index, p.tokens)
                entries[e.how].append(e)
        sets: list[_Compiled] = []
        slow: list[tuple[int, _Automaton]] = []
        for group in entries.values():
            for batch in _batches(group):
                _compile(batch, sets, slow)
        self.sets = sorted(sets, key=lambda s: -s.top)  # the last rules first
        self.slow = sorted(slow, key=lambda s: -s[0])

    def __bool__(self) -> bool:
        return bool(self.exact or self.sets or self.slow)

    def _hits(self, compiled: _Compiled, text: bytes, reversed_text: list[bytes]) -> Iterable[int]:
        if compiled.how == _FORWARD:
            found = compiled.matcher.Match(text)
        elif compiled.how == _REVERSED:
            if not reversed_text:
                reversed_text.append(text[::-1])
            found = compiled.matcher.Match(reversed_text[0])
        else:
            found = set()
            start = 0
            while start >= 0:  # each component's start, where `**/` may end
                found.update(compiled.matcher.Match(text[start:]) or ())
                start = text.find(b"/", start) + 1 or -1
        return (compiled.indices[i] for i in found or ())

    def last(self, text: bytes, *, allowed: Sequence[bool] | None = None, above: int = -1) -> int:
        """The highest rule index above `above` that matches (and is `allowed`), else `above`."""
        best = above
        for index in reversed(self.exact.get(text, ())):
            if index <= best:
                break
            if allowed is None or allowed[index]:
                best = index
                break
        reversed_text: list[bytes] = []
        for compiled in self.sets:
            if compiled.top <= best:
                break  # sorted by top: no later set holds a higher rule
            for index in self._hits(compiled, text, reversed_text):
                if index > best and (allowed is None or allowed[index]):
                    best = index
        for index, automaton in self.slow:
            if index <= best:
                break
            if (allowed is None or allowed[index]) and automaton.match(text):
                best = index
                break
        return best

    def every(self, text: bytes) -> set[int]:
        """Every rule index that matches."""
        found = set(self.exact.get(text, ()))
        reversed_text: list[bytes] = []
        for compiled in self.sets:
            found.update(self._hits(compiled, text, reversed_text))
        found.update(index for index, automaton in self.slow if automaton.match(text))
        return found


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------
# ignore files


def text_lines(data: bytes) -> list[str]:
    # Paths are str with surrogateescape, so rule files are decoded the same way.
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def read_rules_file(path: str, *, follow_symlinks: bool = False) -> bytes | None:
    # O_NOFOLLOW: git does not follow a symlinked .gitignore or .gitattributes either
    # (it does follow core.excludesFile: `follow_symlinks`).
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
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


class _CompiledRules(NamedTuple):
    negated: tuple[bool, ...]
    files: tuple[bool, ...]  # the rules a file may match (not "dir/")
    names: _Matcher
    paths: _Matcher


def _compiled_rules(patterns: Sequence[_Pattern]) -> _CompiledRules:
    return _CompiledRules(
        tuple(p.negated for p in patterns),
        tuple(not p.dir_only for p in patterns),
        _Matcher((i, p) for i, p in enumerate(patterns) if p.basename),
        _Matcher((i, p) for i, p in enumerate(patterns) if not p.basename),
    )


# Small rule files are often the same in many directories (a template's ".gitignore"):
# their compiled sets, which do not depend on the directory, are shared.
_SHARED_RULES = 64
_shared_rules = lru_cache(maxsize=1024)(_compiled_rules)


class Rules:
    """One ignore file: its directory ("" or "a/b/") and its lines compiled for matching."""

    __slots__ = ("_base_len", "_files", "_names", "_negated", "_paths", "base")

    def __init__(self, base: str, patterns: Sequence[_Pattern]) -> None:
        self.base = base
        self._base_len = len(_encode(base))
        compiled = (
            _shared_rules(tuple(patterns)) if len(patterns) <= _SHARED_RULES else _compiled_rules(patterns)
        )
        self._negated, self._files, self._names, self._paths = compiled

    @classmethod
    def read(cls, path: str, base: str, *, follow_symlinks: bool = False) -> Rules | None:
        data = read_rules_file(path, follow_symlinks=follow_symlinks)
        return None if data is None else cls.parse(text_lines(data), base)

    @classmethod
    def parse(cls, lines: Iterable[str], base: str) -> Rules | None:
        patterns: list[_Pattern] = []
        for line in lines:
            line = line.partition("\0")[0]  # git reads each line as a C string
            if not line or line.startswith("#"):
                continue
            pattern = _parse_pattern(_trim_trailing_spaces(line))
            if pattern is not None:
                patterns.append(pattern)
        return cls(base, patterns) if patterns else None

    def decide(self, rel: str, name: str, *, is_dir: bool) -> bool | None:
        """True if the last matching line excludes the entry, False if it re-includes it."""
        return self._decide(_encode(rel), _encode(name), is_dir)

    def _decide(self, rel: bytes, name: bytes, is_dir: bool) -> bool | None:
        allowed = None if is_dir else self._files
        best = self._names.last(name, allowed=allowed) if self._names else -1
        if self._paths:
            best = self._paths.last(rel[self._base_len :], allowed=allowed, above=best)
        return None if best < 0 else not self._negated[best]


def is_ignored(rules: Sequence[Rules], rel: str, name: str, *, is_dir: bool) -> bool:
    rel_bytes, name_bytes = _encode(rel), _encode(name)
    for r in reversed(rules):  # the deepest file decides first
        decision = r._decide(rel_bytes, name_bytes, is_dir)
        if decision is not None:
            return decision
    return False


# ---------------------------------------------------------------------------
# .gitattributes (only the linguist attributes matter here)

_ATTRS = ("linguist-vendored", "linguist-generated")
AttrValue = bool | None
_ATTR_MAX_LINE_LENGTH = 2048  # git ignores longer lines (attr.c, since 2.39.1)


@dataclass(frozen=True)
class _AttrLine:
    pattern: _Pattern
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
        if "linguist-" not in line or len(_encode(line)) >= _ATTR_MAX_LINE_LENGTH:
            continue
        line = line.strip(" \t\r\n")
        if not line or line.startswith("#") or line.startswith("[attr]"):
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
        out.append(_AttrLine(pattern, states))
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
    """One `.gitattributes`: its directory ("" or "a/b/") and its linguist lines."""

    base: str
    lines: tuple[_AttrLine, ...]
    _base_len: int = field(init=False, repr=False, compare=False)
    _names: _Matcher = field(init=False, repr=False, compare=False)
    _paths: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines = list(enumerate(line.pattern for line in self.lines))
        object.__setattr__(self, "_base_len", len(_encode(self.base)))
        object.__setattr__(self, "_names", _Matcher((i, p) for i, p in lines if p.basename))
        object.__setattr__(self, "_paths", _Matcher((i, p) for i, p in lines if not p.basename))

    def matching(self, rel: bytes, name: bytes) -> list[int]:
        """The indices of the lines that match, in file order."""
        found = self._names.every(name) if self._names else set()
        if self._paths:
            found |= self._paths.every(rel[self._base_len :])
        return sorted(found)


def attributes_for(stack: Sequence[Attributes], rel: str, name: str) -> dict[str, AttrValue]:
    found: dict[str, AttrValue] = {}
    rel_bytes, name_bytes = _encode(rel), _encode(name)
    for attrs in stack:  # shallow to deep, line by line: the last assignment wins
        for i in attrs.matching(rel_bytes, name_bytes):
            found.update(attrs.lines[i].states)
    return found
