"""Skeletons: a file's declarations with every body replaced by a marker.

A skeleton keeps, as written in the source: imports, includes and package lines; the
headers of classes, structs, interfaces, traits, impls, modules and namespaces with their
member declarations (fields, constants, method signatures); function and method
signatures with their decorators and annotations; docstrings and the doc comments right
above a definition (no blank line between); top-level constants and simple declarations.

It drops every function, method, constructor, accessor and initializer body (replaced by
a marker saying how many lines went), so no local variable or statement survives; top-level
executable statements (calls, loops, `if __name__ == "__main__":` blocks), one marker per
run; and comments attached to nothing kept (licence headers, section banners). A kept
declaration still longer than `MAX_VALUE_LINES` lines or `MAX_VALUE_CHARS` characters once
its nested functions are elided has its largest bracketed literal (or string) elided too.
Docstrings and doc comments keep their summary: they are cut at the first blank line or
block after it (`<p>`, `@param`, `Args:`, a doctest, an examples heading), and after
`MAX_DOC_LINES` lines.

Markers read as code of the file's language, so a skeleton still parses:

    python    def f(x): ...  # 12 lines elided      (after a docstring: on a line of its own)
              CHOICES = [...  # 40 lines elided
              ]
              # 5 lines elided                       (top-level statements)
    C family  void f(int x) { /* 12 lines elided */ }
              // 5 lines elided                      (JS, TS, Go, Rust, Java, C, C++, C#,
                                                      PHP, Kotlin, Swift, Scala)
    ruby      def f(x)              bash  f() {
                # 12 lines elided           : # 12 lines elided
              end                         }

An expression body (`=> expr`, `= expr`) becomes the block marker. A lambda inside a kept
value keeps a one-line body and loses a longer one; a lambda that is itself the declared
value (`const f = (x) => ...`) counts as a function.

The tree comes from `symbols.parse`, which refuses files that are too large, have very
long lines or parse too slowly. Nothing recurses: member lists are walked with an explicit
stack and nesting is bounded by `MAX_NESTING`. Pure and thread-safe (parsers are per thread).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packer import symbols

if TYPE_CHECKING:
    from tree_sitter import Node, Tree

MAX_VALUE_LINES = 8  # a kept declaration longer than this, nested bodies elided, is cut
MAX_VALUE_CHARS = 1200
MAX_DOC_LINES = 8  # docstrings and doc comments are cut after this many lines
MAX_NESTING = 64  # members nested deeper are elided
MAX_ERROR_SHARE = 0.2  # a larger share of the file under syntax-error nodes: no skeleton
SEARCH_NODES = 20_000  # nodes visited in one kept value to find nested functions and literals

# What a member of a file, class body or block is.
COMMENT = "comment"
PREFIX = "prefix"  # a decorator or attribute: belongs to what follows
FUNCTION = "function"  # signature kept, body elided
CONTAINER = "container"  # header kept, members walked
WRAPPER = "wrapper"  # `export ...`, `template <...> ...`, decorators: the inner item decides
DECL = "decl"  # kept whole (nested function bodies still elided)
VALUE = "value"  # kept, cut when long
TRANSPARENT = "transparent"  # `#ifdef`, `try: import x`: its blocks are member lists
TRIVIAL = "trivial"  # `pass`, `...`: kept, declares nothing
HOLE = "hole"  # an executable statement: elided
_KEPT = frozenset({FUNCTION, CONTAINER, WRAPPER, DECL, VALUE, TRANSPARENT, TRIVIAL})
_DECLARES = frozenset({FUNCTION, CONTAINER, WRAPPER, DECL, VALUE})

_PAIRS = {b"(": b")", b"[": b"]", b"{": b"}"}
_QUOTES = frozenset(b"\"'`")
# What may follow an elided statement on its line: separators and a comment.
_LINE_TAIL = re.compile(rb"[ \t;,]*(?:(?://|#).*|/\*.*?\*/[ \t]*)?\r?$")
_INLINE_HOLES = {"python": b"...", "ruby": b"nil", "bash": b":"}
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\r?\n){2,}")
_INDENT = re.compile(rb"[ \t]*")
# Where a doc comment's summary ends: a block or tag, or a section heading.
_DOC_BLOCKS = (
    b"<p",
    b"<pre",
    b"<ul",
    b"<ol",
    b"<table",
    b"<h",
    b"<param",
    b"<returns",
    b"<remarks",
    b"<example",
    b"<exception",
    b"<typeparam",
    b"<see",
    b"@",
    b":param",
    b":return",
    b":raises",
    b">>>",
    b"```",
    b"#",
)
_DOC_HEADINGS = frozenset(
    {
        b"example",
        b"examples",
        b"args",
        b"arguments",
        b"parameters",
        b"params",
        b"returns",
        b"return",
        b"raises",
        b"yields",
        b"notes",
        b"see also",
        b"references",
        b"attributes",
    }
)
_COMMENT_LEAD = re.compile(rb"[ \t]*(//[/!]?|#)")

# Locators that are field names; any other locator is a child's node type.
_FIELDS = frozenset({"body", "definition", "declaration", "value", "type"})
SELF = "@self"  # locator: the node's own braces

Hook = Callable[["_Skeleton", "Node", bool], "str | None"]
_Entry = tuple["Node", int, tuple["Node", ...]]  # a member list, its depth, comments outside it


@dataclass(frozen=True)
class Rules:
    """How one language's syntax tree maps onto a skeleton.

    A locator says where a body (or a wrapped definition) is: a field name, else a
    child's type, or `SELF` for the node's own braces; no locators means the last named
    child. `hook` classifies what the tables cannot (expression statements, ...): it
    returns a kind, or None to fall through to the tables.
    """

    style: str  # body markers: "brace", "python", "ruby" or "bash"
    line_comment: str  # "//" or "#"
    functions: Mapping[str, tuple[str, ...]]  # type -> body locators
    containers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    wrappers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    decls: frozenset[str] = frozenset()
    values: frozenset[str] = frozenset()
    transparent: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    lambdas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # function values
    binders: frozenset[str] = frozenset()  # a lambda right under one of these is a function
    comments: frozenset[str] = frozenset({"comment"})
    compound: frozenset[str] = frozenset()  # statements the hook may find transparent
    skip_fields: frozenset[str] = frozenset()  # children of transparent nodes that are not members
    hook: Hook | None = None

    def node_types(self) -> set[str]:
        """Every node type the rules name (a test checks that each exists in the grammar)."""
        names = {
            *self.functions,
            *self.containers,
            *self.wrappers,
            *self.decls,
            *self.values,
            *self.transparent,
            *self.prefixes,
            *self.lambdas,
            *self.binders,
            *self.comments,
            *self.compound,
        }
        for locators in (
            *self.functions.values(),
            *self.containers.values(),
            *self.wrappers.values(),
            *self.lambdas.values(),
        ):
            names.update(loc for loc in locators if loc != SELF and loc not in _FIELDS)
        return names


def skeletonize(text: str, language: str | None, *, tree: Tree | None = None) -> str | None:
    """The skeleton of `text` in `language`, or None when there is none worth having.

    None when the language has no grammar, the file cannot be parsed safely (too large,
    too slow, lines too long, or more than `MAX_ERROR_SHARE` of it under syntax errors),
    or the skeleton would not be shorter than the text: the caller then keeps the file
    whole or lists it. `tree`: the file already parsed (`symbols.parse` of the UTF-8
    bytes of `text`), to save parsing it again. Deterministic; never raises for bad input.
    """
    rules = RULES.get(language) if language is not None else None
    if rules is None or language is None:
        return None
    src = text.encode("utf-8", "surrogatepass")
    if tree is None:
        tree = symbols.parse(src, language, text=False)  # read off `src`, never `Node.text`
    if tree is None:
        return None
    root = tree.root_node
    errors = _error_bytes(root) if root.has_error else 0
    if errors and language == "c":  # a `.h` file is often C++
        cpp = symbols.parse(src, "cpp", text=False)
        if cpp is not None and _error_bytes(cpp.root_node) < errors:
            rules, root = RULES["cpp"], cpp.root_node
            errors = _error_bytes(root) if root.has_error else 0
    if errors > MAX_ERROR_SHARE * len(src):
        return None
    out = _Skeleton(src, rules).run(root)
    return out if len(out) < len(text) else None


def _error_bytes(root: Node) -> int:
    total = 0
    stack = [root]
    while stack:
        for child in stack.pop().children:
            if child.is_error:
                total += child.end_byte - child.start_byte
            elif child.has_error:
                stack.append(child)
    return total


def _marker(lines: int) -> bytes:
    return f"{lines} line{'' if lines == 1 else 's'} elided".encode()


def _end_row(node: Node) -> int:
    """The last row holding the node's text (some nodes end at column 0 of the next row)."""
    row, col = node.end_point
    return row - 1 if col == 0 and row > node.start_point.row else row


def _first_named(node: Node) -> Node | None:
    return node.named_children[0] if node.named_child_count else None


def _attach(nodes: list[Node], kinds: list[str]) -> tuple[list[bool], list[list[Node]]]:
    """Which members belong to a kept member: the comments and prefixes right above it (doc
    comments, decorators) and a comment on its last line; and each kept member's run of
    doc comments above it, in order."""
    n = len(nodes)
    attached = [False] * n
    docs: list[list[Node]] = []
    for i, k in enumerate(kinds):
        if k not in _KEPT:
            continue
        top_row = nodes[i].start_point.row
        j = i - 1
        run: list[Node] = []
        while j >= 0 and kinds[j] in (COMMENT, PREFIX) and _end_row(nodes[j]) >= top_row - 1:
            attached[j] = True
            top_row = nodes[j].start_point.row
            if kinds[j] == COMMENT:
                run.append(nodes[j])
            j -= 1
        if run:
            docs.append(run[::-1])
        if i + 1 < n and kinds[i + 1] == COMMENT and nodes[i + 1].start_point.row == _end_row(nodes[i]):
            attached[i + 1] = True
    return attached, docs


def _loose_comments_to_holes(nodes: list[Node], kinds: list[str], attached: list[bool]) -> None:
    """Loose comments right above an elided statement go with it: they become holes, in place."""
    for i in range(len(nodes) - 1, 0, -1):
        if (
            kinds[i] == HOLE
            and kinds[i - 1] in (COMMENT, PREFIX)
            and not attached[i - 1]
            and _end_row(nodes[i - 1]) >= nodes[i].start_point.row - 1
        ):
            kinds[i - 1] = HOLE


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: bytes


class _Skeleton:
    """One file: member lists walked with a stack, edits collected, spliced at the end."""

    def __init__(self, src: bytes, rules: Rules) -> None:
        self.src = src
        self.rules = rules
        self.nl = b"\r\n" if b"\r\n" in src else b"\n"
        self.edits: list[_Edit] = []

    def run(self, root: Node) -> str:
        stack: list[_Entry] = [(root, 0, ())]
        while stack:
            parent, depth, extra = stack.pop()
            self.members(parent, depth, extra, stack)
        data = self.apply()
        try:
            out = data.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            # A lone surrogate in the text is invalid UTF-8 to tree-sitter, which may cut
            # inside its three bytes: such a cut cannot decode back, so it is replaced.
            out = data.decode("utf-8", "replace")
        out = _BLANK_RUN.sub(lambda m: "\r\n\r\n" if "\r" in m.group() else "\n\n", out)
        out = out.lstrip("\r\n")
        if out and not out.endswith("\n"):
            out += self.nl.decode()
        return out

    # -- member lists ---------------------------------------------------------------------

    def members(self, parent: Node, depth: int, extra: tuple[Node, ...], stack: list[_Entry]) -> None:
        """Classify the members of one list (a file, a class body, a block) and edit them.

        `extra` holds comments that belong to the list but sit outside its node (between a
        container's header and its body, as tree-sitter-ruby puts them).
        """
        nodes = self.children(parent)
        if extra:
            nodes = sorted([*extra, *nodes], key=lambda n: n.start_byte)
        if depth >= MAX_NESTING:
            kinds = [COMMENT if n.type in self.rules.comments else HOLE for n in nodes]
        else:
            kinds = [self.kind(n, depth == 0) for n in nodes]
        attached, docs = _attach(nodes, kinds)
        _loose_comments_to_holes(nodes, kinds, attached)
        for run in docs:
            self.doc_comment_run(run)
        for i, k in enumerate(kinds):
            if k == PREFIX and attached[i]:
                self.value(nodes[i], cap=True)
        self.edit_members(nodes, kinds, attached, depth, stack)

    def doc_comment_run(self, run: list[Node]) -> None:
        """Cut the doc comments above one member: each block comment on its own,
        consecutive line comments together."""
        group: list[Node] = []
        for c in run:
            if self.src.startswith(b"/*", c.start_byte):
                if group:
                    self.doc_comments(group)
                self.doc_comments([c])
                group = []
            else:
                group.append(c)
        if group:
            self.doc_comments(group)

    def edit_members(
        self, nodes: list[Node], kinds: list[str], attached: list[bool], depth: int, stack: list[_Entry]
    ) -> None:
        """Keep the kept members, elide each run of statements (with the loose comments
        inside it) under one marker, and drop comments attached to nothing."""
        n = len(nodes)
        empty = not any(k in _KEPT for k in kinds)
        i = 0
        while i < n:
            k = kinds[i]
            if k in _KEPT:
                self.item(nodes[i], k, depth, stack)
            elif k == HOLE:
                last = j = i
                while j + 1 < n and kinds[j + 1] in (HOLE, COMMENT, PREFIX) and not attached[j + 1]:
                    j += 1
                    if kinds[j] == HOLE:
                        last = j
                self.hole(nodes[i], nodes[last], empty)
                for d in range(last + 1, j + 1):
                    self.drop(nodes[d])
                i = j
            elif not attached[i]:
                self.drop(nodes[i])
            i += 1

    def children(self, parent: Node) -> list[Node]:
        skip = self.rules.skip_fields
        return [
            c
            for i, c in enumerate(parent.children)
            if c.is_named and not (skip and parent.field_name_for_child(i) in skip)
        ]

    def kind(self, node: Node, top: bool) -> str:
        r = self.rules
        t = node.type
        if r.hook is not None:
            k = r.hook(self, node, top)
            if k is not None:
                return k
        if t in r.comments:
            return COMMENT
        for kind, table in (
            (FUNCTION, r.functions),
            (CONTAINER, r.containers),
            (WRAPPER, r.wrappers),
            (DECL, r.decls),
            (VALUE, r.values),
            (TRANSPARENT, r.transparent),
            (PREFIX, r.prefixes),
        ):
            if t in table:
                return kind
        return HOLE

    def item(self, node: Node, kind: str, depth: int, stack: list[_Entry]) -> None:
        """Edit one kept member and push the member lists it holds."""
        for _ in range(8):  # a wrapper may wrap a wrapper: export > declare > namespace
            if kind not in (CONTAINER, WRAPPER):
                self.declaration(node, kind, depth, stack)
                return
            inside = self.unwrap(node, kind, depth, stack)
            if inside is None:
                return
            node, kind = inside

    def unwrap(self, node: Node, kind: str, depth: int, stack: list[_Entry]) -> tuple[Node, str] | None:
        """One step into a container or wrapper: what to edit next and its kind, or None once
        the member list it holds is pushed onto the stack."""
        table = self.rules.containers if kind == CONTAINER else self.rules.wrappers
        inner = self.locate(node, table.get(node.type, ()))
        if kind == WRAPPER and inner is not None:
            self.decorators(node, inner)
        if inner is None:
            return node, VALUE if kind == WRAPPER else TRIVIAL
        if inner == node:  # its own children are the members: Go `const ( ... )`
            stack.append((node, depth + 1, ()))
            return None
        inner_kind = self.kind(inner, False)
        if inner_kind in (FUNCTION, CONTAINER, WRAPPER, TRANSPARENT) or (
            kind == CONTAINER and inner_kind in _KEPT
        ):
            return inner, inner_kind
        if kind == CONTAINER:
            outside = tuple(
                c
                for c in node.children
                if c.type in self.rules.comments
                and (c.end_byte <= inner.start_byte or c.start_byte >= inner.end_byte)
            )
            stack.append((inner, depth + 1, outside))
            return None
        # `export const x = ...`: the whole statement is the declaration
        return node, DECL if inner_kind == DECL else VALUE

    def decorators(self, wrapper: Node, inner: Node) -> None:
        """Keep a wrapper's decorators beside what it wraps: their arguments can be data."""
        for child in wrapper.children:
            if child.is_named and child != inner and child.type in self.rules.prefixes:
                self.value(child, cap=True)

    def declaration(self, node: Node, kind: str, depth: int, stack: list[_Entry]) -> None:
        """Edit a kept member that wraps nothing: elide a function's body, cut a long value,
        or push the blocks of a transparent statement."""
        if kind == FUNCTION:
            self.function(node)
        elif node.type == "heredoc_body":
            self.heredoc(node)
        elif kind == TRANSPARENT:
            stack.extend((block, depth + 1, ()) for block in self.blocks(node))
        elif kind in (DECL, VALUE):
            if self.rules.style == "python" and _is_docstring(node):
                self.docstring(node)
            else:
                self.value(node, cap=kind == VALUE)

    def blocks(self, node: Node) -> list[Node]:
        """The member lists of a transparent node."""
        if self.rules.style == "python":
            out = []
            for child in node.children:
                if child.type == "block":
                    out.append(child)
                elif child.type.endswith("_clause"):
                    out.extend(c for c in child.children if c.type == "block")
            return out
        if node.type == "expression_statement":  # a JS IIFE, and the factory of a UMD wrapper
            call = _first_named(node)
            body = _iife_body(call) if call is not None else None
            out = [body] if body is not None else []
            args = call.child_by_field_name("arguments") if call is not None else None
            for arg in args.named_children if args is not None else ():
                fbody = arg.child_by_field_name("body") if arg.type in _JS_LAMBDAS else None
                if fbody is not None and fbody.type == "statement_block":
                    out.append(fbody)
            return out
        return [node]

    def has_declarations(self, node: Node) -> bool:
        """Whether a compound statement holds anything a skeleton keeps."""
        stack = [node]
        seen = 0
        while stack and seen < SEARCH_NODES:
            for block in self.blocks(stack.pop()):
                for member in self.children(block):
                    seen += 1
                    if member.type in self.rules.compound:
                        stack.append(member)
                    elif self.kind(member, False) in _DECLARES:
                        return True
        return False

    def locate(self, node: Node, locators: tuple[str, ...]) -> Node | None:
        if not locators:
            named = [c for c in node.children if c.is_named and c.type not in self.rules.comments]
            return named[-1] if named else None
        for loc in locators:
            if loc == SELF:
                return node
            found = node.child_by_field_name(loc) if loc in _FIELDS else None
            if found is None:
                found = next((c for c in node.children if c.type == loc), None)
            if found is not None:
                return found
        return None

    # -- bodies -------------------------------------------------------------------------

    def function(self, node: Node) -> None:
        body = self.locate(node, self.rules.functions[node.type])
        if body is not None:
            self.body(node, body)
            if body != node:  # a default argument can be a lambda, a return type a struct
                self.nested_functions(node, skip=body)

    def body(self, owner: Node, body: Node) -> None:
        style = self.rules.style
        if style == "python":
            self.python_body(body)
        elif style == "ruby":
            self.ruby_body(owner, body)
        elif style == "bash":
            self.bash_body(owner, body)
        else:
            self.brace_body(owner, body)

    def brace_body(self, owner: Node, body: Node) -> None:
        tokens = self.braces(body)
        if tokens is not None:
            open_, close = tokens
            lines = self.content_rows(open_.end_byte, close.start_byte)
            if lines:
                # Own braces (`macro_rules! m { ... }`, Java `{ ... }` initializers) join
                # onto what precedes the brace; a body node onto what precedes the body.
                anchor = open_ if body == owner else body
                start, join = self.join_point(anchor, open_.start_byte)
                text = b"{ /* " + _marker(lines) + b" */ }"
                self.edits.append(_Edit(start, close.end_byte, (b" " if join else b"") + text))
            return
        # An expression body (`=> expr`, `= expr`): the block marker instead.
        end = self.trim_end(body.start_byte, body.end_byte)
        lines = self.content_rows(body.start_byte, end)
        if not lines:
            return
        text = b"{ /* " + _marker(lines) + b" */ }"
        if body.type == "arrow_expression_clause":  # C#: `=> expr;` becomes a block
            nxt = body.next_sibling
            if nxt is not None and nxt.type == ";":
                end = nxt.end_byte
            parent = body.parent
            if parent is not None and parent.type in ("property_declaration", "indexer_declaration"):
                text = b"{ get " + text + b" }"
        start, join = self.join_point(body, body.start_byte)
        self.edits.append(_Edit(start, end, (b" " if join else b"") + text))

    def braces(self, body: Node) -> tuple[Node, Node] | None:
        """The `{` and `}` tokens of a body, or of its only named child."""
        candidates = [body]
        if body.named_child_count == 1 and body.children[0] == body.named_children[0]:
            candidates.append(body.named_children[0])
        for node in candidates:
            kids = node.children
            opens = [k for k in kids if k.type == "{"]
            if opens and kids[-1].type == "}" and kids[-1] != opens[0]:
                return opens[0], kids[-1]
        return None

    def join_point(self, anchor: Node, start: int) -> tuple[int, bool]:
        """Pull a body marker up onto the signature's line when it starts on a line of its own."""
        prev = anchor.prev_sibling
        if prev is None or prev.type in self.rules.comments:
            return start, False
        gap = self.src[prev.end_byte : start]
        if b"\n" in gap and not gap.strip():
            return prev.end_byte, True
        return start, False

    def python_body(self, body: Node) -> None:
        stmts = [c for c in body.children if c.is_named]
        doc = stmts[0] if stmts and _is_docstring(stmts[0]) else None
        rest = stmts[1:] if doc is not None else stmts
        if doc is not None:
            self.docstring(doc)
        if (
            not rest
            or all(r.type == "comment" for r in rest)
            or (len(rest) == 1 and _is_trivial_python(rest[0]))
        ):
            return
        mark = b"...  # " + _marker(_end_row(body) - rest[0].start_point.row + 1)
        if doc is not None:
            text = self.nl + self.indent(doc.start_byte) + mark
            self.edits.append(_Edit(doc.end_byte, body.end_byte, text))
            return
        colon = body.prev_sibling
        while colon is not None and colon.type != ":":
            colon = colon.prev_sibling
        start = colon.end_byte if colon is not None else body.start_byte
        self.edits.append(_Edit(start, body.end_byte, b" " + mark))

    def ruby_body(self, owner: Node, body: Node) -> None:
        kids = owner.children
        if owner.type in ("do_block", "block"):  # a block passed to a kept call
            head = owner.child_by_field_name("parameters") or kids[0]
            close = kids[-1]
            lines = self.content_rows(head.end_byte, close.start_byte)
            if lines:
                ind = self.indent(close.start_byte)
                text = self.nl + ind + b"  # " + _marker(lines) + self.nl + ind
                self.edits.append(_Edit(head.end_byte, close.start_byte, text))
            return
        signature = owner.child_by_field_name("parameters") or owner.child_by_field_name("name")
        if signature is None:
            return
        end = kids[-1].start_byte if kids[-1].type == "end" else owner.end_byte
        lines = self.content_rows(signature.end_byte, end)
        if body.start_byte >= signature.end_byte and lines:
            ind = self.indent(owner.start_byte)
            text = self.nl + ind + b"  # " + _marker(lines) + self.nl + ind + b"end"
            self.edits.append(_Edit(signature.end_byte, owner.end_byte, text))

    def bash_body(self, owner: Node, body: Node) -> None:
        kids = body.children
        if len(kids) < 2 or kids[0].type not in ("{", "("):
            return
        lines = self.content_rows(kids[0].end_byte, kids[-1].start_byte)
        if lines:
            ind = self.indent(owner.start_byte)
            text = self.nl + ind + b"  : # " + _marker(lines) + self.nl + ind
            self.edits.append(_Edit(kids[0].end_byte, kids[-1].start_byte, text))

    # -- kept declarations --------------------------------------------------------------

    def value(self, node: Node, *, cap: bool) -> None:
        """Keep a declaration: elide the functions inside it, and cut it when still long.

        A value too big to search (a data table) has its largest literal cut first; one
        that stays too big, or cannot be searched, is elided whole.
        """
        first = len(self.edits)
        rows = _end_row(node) - node.start_point.row + 1
        size = node.end_byte - node.start_byte
        if cap and (rows > 20 * MAX_VALUE_LINES or size > 20 * MAX_VALUE_CHARS):
            if self.cut(node, first, rows, size) and self.nested_functions(
                node, ranges=[(e.start, e.end) for e in self.edits[first:]]
            ):
                return
        elif self.nested_functions(node):
            if cap:
                self.cut(node, first, rows, size)  # as far as its literals go
            return
        del self.edits[first:]
        self.hole(node, node, empty=False)

    def cut(self, node: Node, first: int, rows: int, size: int) -> bool:
        """Collapse the largest literals in `node` until it is short; False if it stays long."""
        for _ in range(5):
            nested = self.edits[first:]
            left_rows = rows - sum(
                self.src.count(b"\n", e.start, e.end) - e.text.count(b"\n") for e in nested
            )
            left_size = size - sum(e.end - e.start - len(e.text) for e in nested)
            if left_rows <= MAX_VALUE_LINES and left_size <= MAX_VALUE_CHARS:
                return True
            target = self.largest_literal(node, nested)
            if target is None:
                return False
            start, end, is_string = target
            del self.edits[first:]
            self.edits.extend(e for e in nested if e.end <= start or e.start >= end)
            self.collapse(start, end, is_string)
        return False

    def nested_functions(
        self, node: Node, skip: Node | None = None, ranges: list[tuple[int, int]] | None = None
    ) -> bool:
        """Elide the bodies of the functions inside a kept node; False if it is too big to search.

        `skip` (a body already elided) and nodes inside `ranges` (literals cut) are not searched.
        """
        r = self.rules
        stack = [node]
        seen = 0
        while stack:
            if seen > SEARCH_NODES:
                return False
            current = stack.pop()
            for child in current.children:
                seen += 1
                t = child.type
                if (skip is not None and child == skip) or (
                    ranges and any(lo <= child.start_byte and child.end_byte <= hi for lo, hi in ranges)
                ):
                    continue
                if t in r.functions:
                    self.function(child)
                elif t in r.lambdas:
                    body = self.locate(child, r.lambdas[t])
                    if body is None:
                        continue
                    if current.type in r.binders or _end_row(body) > body.start_point.row:
                        self.body(child, body)
                    else:
                        stack.append(child)
                elif child.child_count:
                    stack.append(child)
        return True

    def largest_literal(self, node: Node, nested: list[_Edit]) -> tuple[int, int, bool] | None:
        """The interior of the bracketed literal or string in `node` that spans the most."""
        best: tuple[int, int, int] | None = None
        found: tuple[int, int, bool] | None = None
        queue = deque([(node, 0)])  # breadth first: the outermost literals are seen first
        seen = 0
        while queue and seen < SEARCH_NODES:
            current, depth = queue.popleft()
            seen += 1
            interior = self.literal_interior(current, nested)
            if interior is not None:
                start, end, _ = interior
                score = (self.content_rows(start, end), end - start, depth)
                if score[0] and (best is None or score > best):
                    best, found = score, interior
            queue.extend((c, depth + 1) for c in current.children if c.child_count)
        return found

    def literal_interior(self, node: Node, nested: list[_Edit]) -> tuple[int, int, bool] | None:
        """(start, end, is a string) of what lies between a literal's brackets or quotes, if
        `node` is one and no edit in `nested` cuts across its ends."""
        kids = node.children
        if len(kids) < 2 or kids[0].child_count != 0 or kids[-1].child_count != 0:
            return None
        a, b = kids[0], kids[-1]
        open_ = self.src[a.start_byte : a.end_byte]
        close = self.src[b.start_byte : b.end_byte]
        is_pair = _PAIRS.get(open_) == close and (
            open_ != b"(" or self.rules.style != "brace" or "argument" in node.type
        )
        is_string = bool(not is_pair and open_ and close and open_[-1] in _QUOTES and close[0] in _QUOTES)
        start, end = a.end_byte, b.start_byte
        if (
            (is_pair or is_string)
            and end > start
            and not any(e.start < start < e.end or e.start < end < e.end for e in nested)
        ):
            return start, end, is_string
        return None

    def collapse(self, start: int, end: int, is_string: bool) -> None:
        mark = _marker(self.content_rows(start, end))
        style = self.rules.style
        if is_string:
            text = b"... " + mark + b" ..."
        elif style == "brace":
            text = b" /* " + mark + b" */ "
        else:  # a comment must end its line: the closing bracket moves to the next one
            lead = b"...  # " if style == "python" else b" # "
            text = lead + mark + self.nl + self.indent(end)
        self.edits.append(_Edit(start, end, text))

    def heredoc(self, node: Node) -> None:
        content = node.children[0] if node.children and node.children[0].type == "heredoc_content" else None
        if content is None:
            return
        lines = self.content_rows(content.start_byte, content.end_byte)
        if lines > MAX_VALUE_LINES:
            ind = self.indent(content.end_byte)
            text = self.nl + ind + b"... " + _marker(lines) + b" ..." + self.nl + ind
            self.edits.append(_Edit(content.start_byte, content.end_byte, text))

    # -- comments, docstrings and holes ---------------------------------------------------

    def doc_comments(self, run: list[Node]) -> None:
        """Cut the doc comments above a definition after MAX_DOC_LINES lines."""
        first, last = run[0], run[-1]
        end = self.trim_end(first.start_byte, last.end_byte)
        block = len(run) == 1 and self.src.startswith(b"/*", first.start_byte)
        keep = self.doc_rows(first.start_byte, end, closer_line=block)
        if keep is None:
            return
        cut, removed = keep
        ind = self.indent(first.start_byte)
        if block:
            text = ind + b" * ... " + _marker(removed) + self.nl + ind + b" */"
        else:
            m = _COMMENT_LEAD.match(self.src, cut, end)
            lead = m.group(1) if m else self.rules.line_comment.encode()
            text = ind + lead + b" ... " + _marker(removed)
        self.edits.append(_Edit(cut, end, text))

    def docstring(self, stmt: Node) -> None:
        """Cut a Python docstring before its examples, or after MAX_DOC_LINES lines."""
        string = _first_named(stmt)
        if string is None or string.type != "string" or string.child_count < 2:
            return
        close = string.children[-1]
        keep = self.doc_rows(stmt.start_byte, close.start_byte, closer_line=False)
        if keep is None:
            return
        cut, removed = keep
        ind = self.indent(stmt.start_byte)
        closer = self.src[close.start_byte : close.end_byte]
        text = ind + b"... " + _marker(removed) + self.nl + ind + closer
        self.edits.append(_Edit(cut, close.end_byte, text))

    def doc_rows(self, start: int, end: int, *, closer_line: bool) -> tuple[int, int] | None:
        """Where to cut the documentation in [start, end), and how many lines go.

        Documentation keeps its summary: it is cut at the first blank line or block after
        some text (a `<p>`, `<pre>`, `@param`, `:param`, `Args:`, a doctest, an examples
        heading), and after MAX_DOC_LINES lines, when that drops two lines of text or more.
        The closing line of a block comment (` */`) stays.
        """
        lines = self.src[start:end].split(b"\n")
        if closer_line and len(lines) > 1 and lines[-1].strip() in (b"*/", b"**/"):
            lines.pop()
        while lines and not _doc_words(lines[-1]):
            lines.pop()
        keep = min(MAX_DOC_LINES, len(lines))
        text_seen = bool(_doc_words(lines[0])) if lines else False
        for i in range(1, keep):
            words = _doc_words(lines[i])
            if text_seen and (
                not words or words.startswith(_DOC_BLOCKS) or words.rstrip(b":").lower() in _DOC_HEADINGS
            ):
                keep = i
                break
            text_seen = text_seen or bool(words)
        if sum(1 for line in lines[keep:] if _doc_words(line)) < 2:
            return None
        return self.row_start(start, keep), len(lines) - keep

    def hole(self, first: Node, last: Node, empty: bool) -> None:
        """Replace a run of elided statements with one marker line."""
        start, end = first.start_byte, last.end_byte
        lines = _end_row(last) - first.start_point.row + 1
        line_start = self.src.rfind(b"\n", 0, start) + 1
        line_end = self.src.find(b"\n", end)
        line_end = len(self.src) if line_end < 0 else line_end
        style = self.rules.style
        if self.src[line_start:start].strip() or not _LINE_TAIL.match(self.src, end, line_end):
            # The statement shares a line with something kept: an inline placeholder.
            inline = _INLINE_HOLES.get(style, b"/* " + _marker(lines) + b" */")
            self.edits.append(_Edit(start, end, inline))
            return
        lead = b"...  # " if style == "python" and empty else self.rules.line_comment.encode() + b" "
        if self.src[line_end - 1 : line_end] == b"\r":
            line_end -= 1
        self.edits.append(_Edit(line_start, line_end, self.src[line_start:start] + lead + _marker(lines)))

    def drop(self, node: Node) -> None:
        """Remove a comment attached to nothing kept, with its line when it has one."""
        start, end = node.start_byte, self.trim_end(node.start_byte, node.end_byte)
        line_start = self.src.rfind(b"\n", 0, start) + 1
        line_end = self.src.find(b"\n", end)
        line_end = len(self.src) if line_end < 0 else line_end
        if not self.src[line_start:start].strip() and not self.src[end:line_end].strip():
            self.edits.append(_Edit(line_start, min(line_end + 1, len(self.src)), b""))
        else:
            self.edits.append(_Edit(start, end, b""))

    # -- helpers ------------------------------------------------------------------------

    def indent(self, pos: int) -> bytes:
        line_start = self.src.rfind(b"\n", 0, pos) + 1
        m = _INDENT.match(self.src, line_start, pos)
        return m.group() if m else b""

    def row_start(self, pos: int, rows: int) -> int:
        """Where the line `rows` lines below the one holding `pos` starts."""
        for _ in range(rows):
            pos = self.src.index(b"\n", pos) + 1
        return pos

    def content_rows(self, start: int, end: int) -> int:
        """Rows from the first to the last non-blank character in [start, end)."""
        chunk = self.src[start:end]
        stripped = chunk.strip()
        if not stripped:
            return 0
        lead = len(chunk) - len(chunk.lstrip())
        return chunk.count(b"\n", lead, lead + len(stripped)) + 1

    def trim_end(self, start: int, end: int) -> int:
        while end > start and self.src[end - 1] in b" \t\r\n":
            end -= 1
        return end

    def apply(self) -> bytes:
        parts: list[bytes] = []
        pos = 0
        for e in sorted(self.edits, key=lambda e: (e.start, -e.end)):
            if e.start < pos:  # inside an earlier, wider edit
                continue
            parts += (self.src[pos : e.start], e.text)
            pos = e.end
        parts.append(self.src[pos:])
        return b"".join(parts)


def _doc_words(line: bytes) -> bytes:
    """A documentation line without its comment marks or quotes."""
    return line.strip().lstrip(b"/*!#").rstrip(b"*/").strip().strip(b"\"'").strip()


def _is_docstring(stmt: Node) -> bool:
    first = _first_named(stmt)
    return (
        stmt.type == "expression_statement"
        and stmt.named_child_count == 1
        and first is not None
        and first.type in ("string", "concatenated_string")
    )


def _is_trivial_python(stmt: Node) -> bool:
    first = _first_named(stmt)
    return stmt.type == "pass_statement" or (
        stmt.type == "expression_statement" and first is not None and first.type == "ellipsis"
    )


def _iife_body(call: Node) -> Node | None:
    """The body of `(function () { ... })()` or `(() => { ... })()`."""
    if call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    while callee is not None and callee.type == "parenthesized_expression":
        callee = _first_named(callee)
    if callee is None or callee.type not in ("function_expression", "function", "arrow_function"):
        return None
    body = callee.child_by_field_name("body")
    return body if body is not None and body.type == "statement_block" else None


def _text(sk: _Skeleton, node: Node | None) -> bytes:
    return sk.src[node.start_byte : node.end_byte] if node is not None else b""


# -- per-language hooks -------------------------------------------------------------------


def _python_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    t = node.type
    if t == "expression_statement":
        first = _first_named(node)
        ft = first.type if first is not None else ""
        if ft in ("assignment", "augmented_assignment"):
            return VALUE
        if ft in ("string", "concatenated_string"):
            return DECL  # a docstring
        return TRIVIAL if ft == "ellipsis" else HOLE
    if t == "pass_statement":
        return TRIVIAL
    if t == "if_statement" and b"__name__" in _text(sk, node.child_by_field_name("condition")):
        return HOLE
    if t in ("if_statement", "try_statement"):
        return TRANSPARENT if sk.has_declarations(node) else HOLE
    return None


def _js_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    t = node.type
    if t == "expression_statement":
        first = _first_named(node)
        ft = first.type if first is not None else ""
        if ft == "string":
            return DECL  # "use strict"
        if ft in ("internal_module", "module"):
            return WRAPPER  # a TypeScript namespace
        if ft == "assignment_expression":
            return VALUE  # module.exports = ..., Foo.prototype.bar = function () {...}
        if first is not None and ft == "call_expression":
            if _text(sk, first.child_by_field_name("function")) == b"require":
                return DECL
            if _iife_body(first) is not None:
                return TRANSPARENT
        return HOLE
    if t == "statement_block":  # a bare block, as in `'use strict'; { ... }`
        return TRANSPARENT if top else HOLE
    return None


def _c_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    t = node.type
    if t in ("declaration", "field_declaration", "type_definition"):
        spec = node.child_by_field_name("type")
        if spec is not None and spec.type in _C_RECORDS and spec.child_by_field_name("body") is not None:
            return WRAPPER  # struct s { ... } x;  typedef struct { ... } t;
        return DECL if t == "type_definition" else VALUE
    if t == "expression_statement":
        return VALUE if top else HOLE  # at file scope, a macro: EXPORT_SYMBOL(x);
    return None


_C_RECORDS = frozenset({"struct_specifier", "class_specifier", "union_specifier", "enum_specifier"})
_RUBY_LOADS = frozenset({b"require", b"require_relative", b"load", b"autoload", b"using"})


def _ruby_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    if node.type == "heredoc_body":
        return TRIVIAL  # the text of a `<<~EOS` in the statement above it
    if node.type not in ("call", "identifier"):
        return None
    if not top:
        return VALUE  # in a class body, a declaration: attr_reader, include, has_many, private
    method = node.child_by_field_name("method") if node.type == "call" else node
    loads = _text(sk, method) in _RUBY_LOADS and node.child_by_field_name("receiver") is None
    return DECL if loads else HOLE


def _php_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    if node.type != "expression_statement":
        return None
    first = _first_named(node)
    if first is None:
        return HOLE
    if first.type in (
        "require_expression",
        "require_once_expression",
        "include_expression",
        "include_once_expression",
    ):
        return DECL
    if (
        first.type == "function_call_expression"
        and _text(sk, first.child_by_field_name("function")).lower() == b"define"
    ):
        return VALUE
    return HOLE


def _bash_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    if node.type == "command":
        return DECL if _text(sk, node.child_by_field_name("name")) in _BASH_DECLARATIONS else HOLE
    return None


_BASH_DECLARATIONS = frozenset({b"source", b".", b"set", b"shopt", b"alias"})


def _rust_hook(sk: _Skeleton, node: Node, top: bool) -> str | None:
    if node.type in ("line_comment", "block_comment") and sk.src.startswith(
        (b"//!", b"/*!"), node.start_byte
    ):
        return DECL  # the module's own documentation
    return None


# -- the languages -----------------------------------------------------------------------

_BODY = ("body",)
_JS_LAMBDAS = {"arrow_function": _BODY, "function_expression": _BODY, "generator_function": _BODY}
_JS = Rules(
    style="brace",
    line_comment="//",
    functions={
        "function_declaration": _BODY,
        "generator_function_declaration": _BODY,
        "method_definition": _BODY,
        "class_static_block": _BODY,
    },
    containers={"class_declaration": _BODY, "class": _BODY},
    wrappers={"export_statement": ("declaration", "value"), "expression_statement": ()},
    decls=frozenset({"import_statement", "empty_statement"}),
    values=frozenset({"lexical_declaration", "variable_declaration", "field_definition"}),
    prefixes=frozenset({"decorator"}),
    lambdas=_JS_LAMBDAS,
    binders=frozenset({"variable_declarator", "field_definition", "assignment_expression", "pair"}),
    hook=_js_hook,
)
_TS = Rules(
    style="brace",
    line_comment="//",
    functions=_JS.functions,
    containers={
        "class_declaration": _BODY,
        "class": _BODY,
        "abstract_class_declaration": _BODY,
        "internal_module": _BODY,
        "module": _BODY,
        "interface_declaration": _BODY,
    },
    wrappers=_JS.wrappers,
    decls=frozenset(
        {
            "import_statement",
            "empty_statement",
            "type_alias_declaration",
            "enum_declaration",
            "function_signature",
            "ambient_declaration",
            "abstract_method_signature",
            "method_signature",
            "property_signature",
            "index_signature",
            "construct_signature",
            "call_signature",
            "import_alias",
        }
    ),
    values=frozenset({"lexical_declaration", "variable_declaration", "public_field_definition"}),
    prefixes=frozenset({"decorator"}),
    lambdas=_JS_LAMBDAS,
    binders=frozenset({"variable_declarator", "public_field_definition", "assignment_expression", "pair"}),
    hook=_js_hook,
)
_C = Rules(
    style="brace",
    line_comment="//",
    functions={"function_definition": _BODY},
    wrappers={"declaration": ("type",), "field_declaration": ("type",), "type_definition": ("type",)},
    decls=frozenset(
        {
            "preproc_include",
            "preproc_def",
            "preproc_function_def",
            "preproc_call",
            "struct_specifier",
            "union_specifier",
            "enum_specifier",
        }
    ),
    transparent=frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"}),
    skip_fields=frozenset({"name", "condition"}),
    hook=_c_hook,
)
_CPP = Rules(
    style="brace",
    line_comment="//",
    functions=_C.functions,
    containers={
        "class_specifier": _BODY,
        "struct_specifier": _BODY,
        "union_specifier": _BODY,
        "namespace_definition": _BODY,
        "linkage_specification": _BODY,
    },
    wrappers={**_C.wrappers, "template_declaration": ()},
    decls=frozenset(
        {
            "preproc_include",
            "preproc_def",
            "preproc_function_def",
            "preproc_call",
            "enum_specifier",
            "alias_declaration",
            "using_declaration",
            "namespace_alias_definition",
            "static_assert_declaration",
            "concept_definition",
            "template_instantiation",
            "friend_declaration",
            "access_specifier",
        }
    ),
    transparent=_C.transparent,
    lambdas={"lambda_expression": _BODY},
    binders=frozenset({"init_declarator"}),
    skip_fields=_C.skip_fields,
    hook=_c_hook,
)

RULES: dict[str, Rules] = {
    "python": Rules(
        style="python",
        line_comment="#",
        functions={"function_definition": _BODY},
        containers={"class_definition": _BODY},
        wrappers={"decorated_definition": ("definition",)},
        prefixes=frozenset({"decorator"}),
        decls=frozenset(
            {"import_statement", "import_from_statement", "future_import_statement", "type_alias_statement"}
        ),
        compound=frozenset({"if_statement", "try_statement"}),
        hook=_python_hook,
    ),
    "javascript": _JS,
    "typescript": _TS,
    "tsx": _TS,
    "go": Rules(
        style="brace",
        line_comment="//",
        functions={"function_declaration": _BODY, "method_declaration": _BODY},
        containers={"var_declaration": ("var_spec_list", SELF), "const_declaration": (SELF,)},
        decls=frozenset({"package_clause", "import_declaration", "type_declaration"}),
        values=frozenset({"var_spec", "const_spec"}),
        lambdas={"func_literal": _BODY},
        binders=frozenset({"expression_list"}),
    ),
    "rust": Rules(
        style="brace",
        line_comment="//",
        functions={"function_item": _BODY, "macro_definition": (SELF,)},
        containers={"impl_item": _BODY, "trait_item": _BODY, "mod_item": _BODY, "foreign_mod_item": _BODY},
        decls=frozenset(
            {
                "use_declaration",
                "extern_crate_declaration",
                "struct_item",
                "enum_item",
                "union_item",
                "type_item",
                "function_signature_item",
                "inner_attribute_item",
                "associated_type",
                "empty_statement",
            }
        ),
        values=frozenset({"const_item", "static_item", "macro_invocation"}),
        prefixes=frozenset({"attribute_item"}),
        lambdas={"closure_expression": _BODY},
        binders=frozenset({"const_item", "static_item"}),
        comments=frozenset({"line_comment", "block_comment"}),
        hook=_rust_hook,
    ),
    "java": Rules(
        style="brace",
        line_comment="//",
        functions={
            "method_declaration": _BODY,
            "constructor_declaration": _BODY,
            "compact_constructor_declaration": _BODY,
            "static_initializer": ("block",),
            "block": (SELF,),
        },
        containers={
            "class_declaration": _BODY,
            "interface_declaration": _BODY,
            "enum_declaration": _BODY,
            "record_declaration": _BODY,
            "annotation_type_declaration": _BODY,
        },
        decls=frozenset(
            {
                "package_declaration",
                "import_declaration",
                "module_declaration",
                "annotation_type_element_declaration",
            }
        ),
        values=frozenset({"field_declaration", "constant_declaration", "enum_constant"}),
        transparent=frozenset({"enum_body_declarations"}),
        lambdas={"lambda_expression": _BODY},
        binders=frozenset({"variable_declarator"}),
        comments=frozenset({"line_comment", "block_comment"}),
    ),
    "c": _C,
    "cpp": _CPP,
    "csharp": Rules(
        style="brace",
        line_comment="//",
        functions={
            "method_declaration": _BODY,
            "constructor_declaration": _BODY,
            "destructor_declaration": _BODY,
            "operator_declaration": _BODY,
            "conversion_operator_declaration": _BODY,
            "accessor_declaration": _BODY,
            "local_function_statement": _BODY,
        },
        containers={
            "class_declaration": _BODY,
            "struct_declaration": _BODY,
            "interface_declaration": _BODY,
            "record_declaration": _BODY,
            "namespace_declaration": _BODY,
        },
        decls=frozenset(
            {"using_directive", "extern_alias_directive", "enum_declaration", "delegate_declaration"}
        ),
        values=frozenset(
            {
                "field_declaration",
                "event_field_declaration",
                "property_declaration",
                "indexer_declaration",
                "event_declaration",
            }
        ),
        transparent=frozenset({"file_scoped_namespace_declaration"}),
        lambdas={
            "lambda_expression": _BODY,
            "anonymous_method_expression": ("block",),
            "arrow_expression_clause": (SELF,),
        },
        binders=frozenset({"variable_declarator", "property_declaration", "indexer_declaration"}),
        skip_fields=frozenset({"name"}),
    ),
    "ruby": Rules(
        style="ruby",
        line_comment="#",
        functions={"method": _BODY, "singleton_method": _BODY},
        containers={"class": _BODY, "module": _BODY, "singleton_class": _BODY},
        values=frozenset({"assignment", "operator_assignment"}),
        lambdas={"do_block": (SELF,), "block": (SELF,)},
        hook=_ruby_hook,
    ),
    "php": Rules(
        style="brace",
        line_comment="//",
        functions={"function_definition": _BODY, "method_declaration": _BODY},
        containers={
            "class_declaration": _BODY,
            "interface_declaration": _BODY,
            "trait_declaration": _BODY,
            "enum_declaration": _BODY,
            "namespace_definition": _BODY,
        },
        decls=frozenset(
            {"php_tag", "namespace_use_declaration", "declare_statement", "use_declaration", "enum_case"}
        ),
        values=frozenset({"const_declaration", "property_declaration"}),
        lambdas={"anonymous_function": _BODY, "arrow_function": _BODY},
        binders=frozenset({"property_element", "const_element"}),
        hook=_php_hook,
    ),
    "kotlin": Rules(
        style="brace",
        line_comment="//",
        functions={
            "function_declaration": ("function_body",),
            "secondary_constructor": ("block",),
            "anonymous_initializer": ("block",),
            "getter": ("function_body",),
            "setter": ("function_body",),
        },
        containers={
            "class_declaration": ("class_body", "enum_class_body"),
            "object_declaration": ("class_body",),
            "companion_object": ("class_body",),
        },
        decls=frozenset({"package_header", "import", "type_alias", "file_annotation"}),
        values=frozenset({"property_declaration", "enum_entry"}),
        lambdas={"lambda_literal": (SELF,), "anonymous_function": ("function_body",)},
        binders=frozenset({"property_declaration"}),
        comments=frozenset({"line_comment", "block_comment"}),
    ),
    "swift": Rules(
        style="brace",
        line_comment="//",
        functions={
            "function_declaration": _BODY,
            "init_declaration": _BODY,
            "deinit_declaration": _BODY,
            "subscript_declaration": ("computed_property",),
            "computed_property": (SELF,),
            "willset_didset_block": (SELF,),
        },
        containers={"class_declaration": _BODY, "protocol_declaration": _BODY},
        decls=frozenset(
            {
                "import_declaration",
                "typealias_declaration",
                "protocol_function_declaration",
                "protocol_property_declaration",
                "operator_declaration",
                "precedence_group_declaration",
                "associatedtype_declaration",
                "enum_entry",
            }
        ),
        values=frozenset({"property_declaration"}),
        lambdas={"lambda_literal": (SELF,)},
        binders=frozenset({"property_declaration"}),
        comments=frozenset({"comment", "multiline_comment"}),
    ),
    "scala": Rules(
        style="brace",
        line_comment="//",
        functions={"function_definition": _BODY},
        containers={
            "class_definition": _BODY,
            "object_definition": _BODY,
            "trait_definition": _BODY,
            "enum_definition": _BODY,
        },
        decls=frozenset(
            {
                "package_clause",
                "import_declaration",
                "export_declaration",
                "function_declaration",
                "type_definition",
                "val_declaration",
                "var_declaration",
            }
        ),
        values=frozenset({"val_definition", "var_definition", "enum_case_definitions"}),
        lambdas={"lambda_expression": ()},
        binders=frozenset({"val_definition", "var_definition"}),
        comments=frozenset({"comment", "block_comment"}),
    ),
    "bash": Rules(
        style="bash",
        line_comment="#",
        functions={"function_definition": _BODY},
        values=frozenset({"variable_assignment", "declaration_command"}),
        hook=_bash_hook,
    ),
}
