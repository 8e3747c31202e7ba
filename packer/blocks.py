"""The structure of text formats, found without a parser: nested byte ranges ("blocks").

The chunker splits along these the way it splits code along a syntax tree, so text
formats are never parsed as code:

- Markdown: sections by ATX heading (`#` .. `######`, nested by level), then blocks
  separated by blank lines; a fenced code block (```` ``` ```` / `~~~`) and YAML front
  matter are one block each, blank lines inside included.
- JSON: the members of the top-level object or array (a member keeps its comma), then
  lines. Strings and `//` / `/* */` comments are skipped when matching brackets; a file
  whose brackets do not balance falls back to paragraphs.
- YAML: top-level keys (and top-level `- ` items, and `---` separators) with the
  comment lines right before them, then lines.
- TOML: tables (`[a.b]`, `[[a]]`) and the keys before the first table, each with the
  comment lines right before it, then lines.
- Everything else (plain text, reStructuredText, unknown languages): paragraphs
  separated by blank lines, then lines.

A block's range is where its content starts and ends; what lies between blocks (blank
lines) is handed out by the chunker. Labelled blocks (a heading, a key, a table) name
the scope of the chunks inside them. Nothing here recurses; all offsets are byte offsets
into the file, and any bytes (invalid UTF-8, CRLF, a BOM) are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(eq=False)
class Block:
    """A byte range of a text file and the blocks inside it, in order."""

    start_byte: int
    end_byte: int
    type: str  # "document", "section", "heading", "fence", "paragraph", "member", "key", "table"
    children: list[Block] = field(default_factory=list)
    label: str = ""  # "## Install", a key or a table name; "" when unnamed

    @property
    def is_named(self) -> bool:
        """False for the parts that open or close a block (a heading, a bracket): they are
        kept with what they introduce, as anonymous tokens are in a syntax tree."""
        return self.type not in ("heading", "punctuation")


def outline(data: bytes, language: str | None) -> Block:
    """The block structure of `data` as a `language` text file; the root covers all of it."""
    root = Block(0, len(data), "document")
    if language == "markdown":
        root.children = _markdown(data)
    elif language == "json":
        members = _json(data)
        root.children = members if members is not None else _paragraphs(data, 0, len(data))
    elif language == "yaml":
        root.children = _yaml(data)
    elif language == "toml":
        root.children = _toml(data)
    else:
        root.children = _paragraphs(data, 0, len(data))
    return root


def labelled(root: Block) -> list[tuple[Block, tuple[str, ...]]]:
    """Every labelled block under `root` with the labels of its labelled ancestors."""
    found: list[tuple[Block, tuple[str, ...]]] = []
    stack: list[tuple[Block, tuple[str, ...]]] = [(root, ())]
    while stack:
        block, scope = stack.pop()
        if block.label:
            found.append((block, scope))
            scope = (*scope, block.label)
        stack.extend((child, scope) for child in reversed(block.children))
    return found


# -- lines ------------------------------------------------------------------------------

_BLANK = frozenset(b" \t\r\f\v")


def _lines(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each line in data[start:end], the end after its newline."""
    end = len(data) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        nl = data.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        out.append((pos, stop))
        pos = stop
    return out


def _is_blank(data: bytes, start: int, end: int) -> bool:
    return all(b in _BLANK for b in data[start:end].rstrip(b"\n"))


# A run of lines that are not blank (`_is_blank`), each through its newline. Scanning
# never starts a match inside a line: a blank line fails at each of its positions, and a
# match ends at a line's end.
_PARAGRAPH = re.compile(rb"(?:(?![ \t\r\f\v]*(?:\n|\Z))[^\n]*(?:\n|\Z))+")


def _paragraphs(data: bytes, start: int, end: int) -> list[Block]:
    """Runs of non-blank lines in data[start:end] (one regex pass: a locale or text file
    is tens of thousands of lines)."""
    if start and data[start - 1 : start] != b"\n":  # mid-line: a line starts at `start` all the same
        inner = _paragraphs(data[start:end], 0, end - start)
        return [Block(b.start_byte + start, b.end_byte + start, "paragraph") for b in inner]
    return [Block(m.start(), m.end(), "paragraph") for m in _PARAGRAPH.finditer(data, start, end)]


# -- markdown ---------------------------------------------------------------------------

_HEADING = re.compile(rb" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*\r?\n?\Z")
_FENCE = re.compile(rb" {0,3}(`{3,}|~{3,})")
_FRONT_MATTER = re.compile(rb"---[ \t]*\r?\n")
_FRONT_MATTER_END = re.compile(rb"(?:---|\.\.\.)[ \t]*\r?\n?\Z")


def _markdown(data: bytes) -> list[Block]:
    """Sections nested by heading level; inside each, its heading and content blocks."""
    out = _Sections()
    lines = _lines(data)
    i = 0
    front = _front_matter(data, lines)
    if front is not None:
        block, i = front
        out.add(block)
    while i < len(lines):
        s, e = lines[i]
        line = data[s:e]
        fence = _FENCE.match(line)
        if fence:
            out.end_paragraph()
            j = _fence_end(data, lines, i, fence.group(1))
            out.add(Block(s, lines[j][1], "fence"))
            i = j + 1
            continue
        heading = _HEADING.match(line)
        if heading:
            out.heading(s, e, heading)
        elif _is_blank(data, s, e):
            out.end_paragraph()
        else:
            out.paragraph_line(s, e)
        i += 1
    out.end_paragraph()
    out.close(0)
    return out.top


class _Sections:
    """A Markdown file's blocks as its lines are read: each goes into the innermost open
    section, and runs of text lines become paragraphs."""

    def __init__(self) -> None:
        self.top: list[Block] = []
        self.stack: list[tuple[int, Block]] = []  # open sections with their levels
        self.para_start = -1
        self.para_end = 0

    def add(self, block: Block) -> None:
        (self.stack[-1][1].children if self.stack else self.top).append(block)

    def close(self, level: int) -> None:
        """Close the open sections at `level` or deeper, each ending at its last block."""
        stack = self.stack
        while stack and stack[-1][0] >= level:
            _, section = stack.pop()
            section.end_byte = max(section.end_byte, section.children[-1].end_byte)
            if stack:
                parent = stack[-1][1]
                parent.end_byte = max(parent.end_byte, section.end_byte)

    def heading(self, s: int, e: int, heading: re.Match[bytes]) -> None:
        """Open the section the heading on line [s, e) starts."""
        self.end_paragraph()
        level = len(heading.group(1))
        self.close(level)
        text = (heading.group(2) or b"").decode("utf-8", "replace").strip()
        section = Block(s, e, "section", [Block(s, e, "heading")], label=f"{'#' * level} {text}".rstrip())
        self.add(section)
        self.stack.append((level, section))

    def paragraph_line(self, s: int, e: int) -> None:
        if self.para_start < 0:
            self.para_start = s
        self.para_end = e

    def end_paragraph(self) -> None:
        if self.para_start >= 0:
            self.add(Block(self.para_start, self.para_end, "paragraph"))
            self.para_start = -1


def _front_matter(data: bytes, lines: list[tuple[int, int]]) -> tuple[Block, int] | None:
    """YAML front matter (from a first `---` line to a `---` or `...` line) and the index
    of the line after it; None without it."""
    if lines and _FRONT_MATTER.match(data, 0, lines[0][1]):
        for j in range(1, len(lines)):
            if _FRONT_MATTER_END.match(data, lines[j][0], lines[j][1]):
                return Block(0, lines[j][1], "front_matter"), j + 1
    return None


def _fence_end(data: bytes, lines: list[tuple[int, int]], i: int, mark: bytes) -> int:
    """The index of the line closing the fence that line i opens with `mark` (the last
    line when none does)."""
    j = i + 1
    while j < len(lines):
        closing = data[lines[j][0] : lines[j][1]].strip()
        if closing.startswith(mark[:1] * len(mark)) and not closing.strip(mark[:1]):
            break
        j += 1
    return min(j, len(lines) - 1)


# -- JSON -------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"?|//[^\n]*|/\*.*?(?:\*/|\Z)|[\[\]{},]', re.DOTALL)
_JSON_KEY = re.compile(rb'\s*"((?:[^"\\\n]|\\.)*)"\s*:')


def _json(data: bytes) -> list[Block] | None:
    """The members of the top-level container, or None if this is not bracketed JSON."""
    found = _json_container(data)
    if found is None:
        return None
    for outside in (data[: found.open_at].strip(), data[found.close_at + 1 :].strip()):
        if outside and not outside.startswith((b"//", b"/*", b"\xef\xbb\xbf")):
            return None
    return _json_members(data, found)


@dataclass(frozen=True)
class _Container:
    """Where JSON's top-level container opens and closes, and the commas between its members."""

    open_at: int
    close_at: int
    array: bool
    commas: list[int]


def _json_container(data: bytes) -> _Container | None:
    """Match the brackets, strings and comments skipped; None unless they balance around
    exactly one top-level container."""
    depth = 0
    open_at = close_at = -1
    array = False
    commas: list[int] = []  # the commas between top-level members
    for m in _JSON_TOKEN.finditer(data):
        tok = m.group()
        if tok[:1] in (b'"', b"/"):
            if depth == 0 and tok[:1] == b'"':
                return None  # a bare string, or text that is not JSON
            continue
        if tok in (b"[", b"{"):
            if depth == 0:
                if open_at >= 0:
                    return None  # two top-level values
                open_at = m.start()
                array = tok == b"["
            depth += 1
        elif tok in (b"]", b"}"):
            depth -= 1
            if depth < 0:
                return None
            if depth == 0:
                close_at = m.start()
        elif depth == 1:
            commas.append(m.start())
    if depth != 0 or open_at < 0 or close_at < 0:
        return None
    return _Container(open_at, close_at, array, commas)


def _json_members(data: bytes, found: _Container) -> list[Block]:
    """The container's brackets and its members (each with its comma), labelled by key or
    by index."""
    open_at, close_at = found.open_at, found.close_at
    out = [Block(open_at, open_at + 1, "punctuation")]
    bounds = [open_at + 1, *(c + 1 for c in found.commas), close_at]
    for i in range(len(bounds) - 1):
        start = _skip_space(data, bounds[i], bounds[i + 1])
        end = bounds[i + 1]
        if i == len(bounds) - 2:  # the last member has no comma: end at its content
            end = start + len(data[start:end].rstrip())
        if end <= start:
            continue
        key = _JSON_KEY.match(data, start)
        label = f"[{len(out) - 1}]" if found.array else ""
        if key:
            label = key.group(1).decode("utf-8", "replace")
        out.append(Block(start, end, "member", label=label))
    out.append(Block(close_at, close_at + 1, "punctuation"))
    return out


def _skip_space(data: bytes, lo: int, hi: int) -> int:
    """The first byte in [lo, hi) that is not whitespace, else hi."""
    while lo < hi and data[lo] in b" \t\r\n":
        lo += 1
    return lo


# -- YAML and TOML ----------------------------------------------------------------------

_YAML_KEY = re.compile(rb"""((?:"[^"\n]*"|'[^'\n]*'|[^\s#:'"][^:#\n]*?))[ \t]*:(?:[ \t]|\r?\n|\Z)""")
_TOML_TABLE = re.compile(rb"[ \t]*(\[\[?)[ \t]*([^\]\n]+?)[ \t]*\]\]?[ \t]*(?:#.*)?\r?\n?\Z")
_TOML_KEY = re.compile(rb"""[ \t]*((?:"[^"\n]*"|'[^'\n]*'|[A-Za-z0-9_.\- \t"']+?))[ \t]*=""")


def _yaml(data: bytes) -> list[Block]:
    lines = _lines(data)
    sequence = False  # a top-level sequence: `- ` items at column 0 are its entries
    for s, e in lines:
        line = data[s:e]
        if line.strip() and not line.startswith((b"#", b"---", b"%")):
            sequence = line.startswith((b"- ", b"-\n", b"-\r")) or line.rstrip() == b"-"
            break
    starts: list[tuple[int, str]] = []
    comment_run = -1  # start of the comment lines right before the current line
    for s, e in lines:
        line = data[s:e]
        if _is_blank(data, s, e):
            comment_run = -1
            continue
        if line.startswith(b"#"):
            if comment_run < 0:
                comment_run = s
            continue
        first = line[:1]
        boundary = first not in (b" ", b"\t")
        if boundary and first == b"-" and not line.startswith(b"---") and not sequence:
            boundary = False  # `key:\n- a` keeps its items
        if boundary:
            key = _YAML_KEY.match(line)
            label = key.group(1).decode("utf-8", "replace").strip("\"'") if key else ""
            starts.append((comment_run if comment_run >= 0 else s, label))
        comment_run = -1
    return _cut(data, starts, "key")


def _toml(data: bytes) -> list[Block]:
    starts: list[tuple[int, str]] = []
    comment_run = -1
    in_table = False
    in_string: bytes | None = None  # inside a multi-line string opened by this quote
    for s, e in _lines(data):
        line = data[s:e]
        if in_string is not None:
            if line.count(in_string) % 2:
                in_string = None
            continue
        if _is_blank(data, s, e):
            comment_run = -1
            continue
        stripped = line.lstrip()
        if stripped.startswith(b"#"):
            if comment_run < 0:
                comment_run = s
            continue
        table = _TOML_TABLE.match(line)
        label = ""
        boundary = False
        if table and not _TOML_KEY.match(line):
            in_table = True
            boundary = True
            label = (table.group(1) + table.group(2) + table.group(1).replace(b"[", b"]")).decode(
                "utf-8", "replace"
            )
        elif not in_table and line[:1] not in (b" ", b"\t"):
            key = _TOML_KEY.match(line)
            if key:
                boundary = True
                label = key.group(1).decode("utf-8", "replace").strip()
        if boundary:
            starts.append((comment_run if comment_run >= 0 else s, label))
        comment_run = -1
        for quote in (b'"""', b"'''"):
            if line.count(quote) % 2:
                in_string = quote
                break
    return _cut(data, starts, "table")


def _cut(data: bytes, starts: list[tuple[int, str]], kind: str) -> list[Block]:
    """Blocks from each start to the next; text before the first start is its own block."""
    out: list[Block] = []
    if not starts:
        return _paragraphs(data, 0, len(data))
    if starts[0][0] > 0 and data[: starts[0][0]].strip():
        out.extend(_paragraphs(data, 0, starts[0][0]))
    for i, (s, label) in enumerate(starts):
        e = starts[i + 1][0] if i + 1 < len(starts) else len(data)
        out.append(Block(s, e, kind if label else "block", label=label))
    return out
