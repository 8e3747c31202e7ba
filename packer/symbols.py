"""Symbols: the definitions, references and imports of one file, from tree-sitter queries.

`grammars/<language>/tags.scm` says what is a definition (`@definition.<kind>` on the
whole node, `@name` on its name) and what is a reference (`@reference.<kind>`, `@name`);
`imports.scm` says what is imported (`@import` on the statement, `@import.module`,
`@import.name`, or `@import.path` on each segment of a dotted path). Both run as one
query, in one pass over the tree; everything else (keyword, signature, doc comment,
scope) is read off the definition's node. `grammars/README.md` has the conventions.

Safety: a file is parsed only if it is at most `MAX_BYTES` long and has no line longer
than `MAX_LINE` (minified or generated code, whose symbols are noise); a parse that runs
longer than `TIMEOUT` seconds is abandoned; so is a tree whose syntax errors left a run of
more than `MAX_TOKEN_RUN` loose tokens side by side (tree-sitter's query cursor is
quadratic in that run). Each of these gives `FileSymbols.fallback`, never an exception.
Nothing here recurses, so deep nesting cannot exhaust the Python stack; definitions
nested more than `MAX_DEPTH` deep are left out (their scopes would grow quadratically).

Thread-safe: parsers are per thread (`languages.get_parser`), queries are shared and
their cursors are per call.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from packer import languages
from packer.records import Definition, FileSymbols, Import, Reference

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    import tree_sitter

    # (pattern index, kind, definition node, first name node, end of the last name node)
    _Found = tuple[int, str, tree_sitter.Node, tree_sitter.Node, int]
    # (statement node, module nodes, name nodes, path segment nodes)
    _FoundImport = tuple[
        tree_sitter.Node, list[tree_sitter.Node], list[tree_sitter.Node], list[tree_sitter.Node]
    ]

MAX_BYTES = 2 * 1024 * 1024  # larger files are not parsed ("too large to parse")
MAX_LINE = 200 * 1024  # a longer line marks minified or generated code
TIMEOUT = 5.0  # seconds of parsing per file
MAX_TOKEN_RUN = 5_000  # loose tokens side by side under one error node
SIGNATURE_CHARS = 200  # longer signatures are cut and end in "..."
MAX_DEPTH = 100  # definitions nested deeper than this are left out

# Leading words of a definition that are modifiers, not its keyword.
_MODIFIERS = frozenset(
    {
        "abstract",
        "async",
        "case",
        "declare",
        "default",
        "export",
        "extern",
        "final",
        "inline",
        "internal",
        "open",
        "override",
        "partial",
        "private",
        "protected",
        "pub",
        "public",
        "readonly",
        "sealed",
        "static",
        "unsafe",
        "virtual",
    }
)
# Nodes that wrap a definition without being one: the doc comment sits before them and
# (for declarations) their first word is the keyword: `const f = () => 1`, `type T struct`.
_WRAPPERS = frozenset(
    {
        "export_statement",
        "decorated_definition",
        "template_declaration",
        "ambient_declaration",
        "lexical_declaration",
        "variable_declaration",
        "type_declaration",
        "const_declaration",
        "var_declaration",
        "expression_statement",
        "field_declaration",
        "body_statement",  # Ruby: a comment before the first definition of a class body
    }
)
_DECLARATIONS = frozenset(
    {
        "lexical_declaration",
        "variable_declaration",
        "type_declaration",
        "const_declaration",
        "var_declaration",
    }
)
# The value or type of a definition whose keyword says what is defined.
_KEYWORD_VALUES = frozenset(
    {
        "struct_type",
        "interface_type",
        "function_expression",
        "function",
        "generator_function",
        "class",
    }
)
# Siblings allowed between a definition and its doc comment.
_ATTRIBUTES = frozenset({"attribute_item", "decorator", "attribute", "annotation"})
_BODIES = frozenset(
    {
        "block",
        "body_statement",
        "class_body",
        "compound_statement",
        "declaration_list",
        "enum_body",
        "enum_class_body",
        "enum_member_declaration_list",
        "enum_variant_list",
        "field_declaration_list",
        "function_body",
        "interface_body",
        "object_type",
        "protocol_body",
        "statement_block",
        "template_body",
        "enum_declaration_list",
    }
)
_WORD = re.compile(r"#?[A-Za-z_]+!?\Z")
_XML_DOC_TAGS = re.compile(r"</?(?:summary|remarks)>")  # C# `/// <summary>...</summary>`
_COMMENT_MARKS = re.compile(r"^\s*(?:///?!?|/\*+!?|\*+/?|#+!?|--|;+|%+)?[ \t]?")


@dataclass(frozen=True)
class _Role:
    what: str  # "definition", "reference", "import" or "" (a pattern that yields nothing)
    kind: str  # "function", "call", ...
    capture: str  # the capture holding the whole node


def parse(
    source: bytes, language: str, *, timeout: float = TIMEOUT, text: bool = True
) -> tree_sitter.Tree | None:
    """The syntax tree of `source`, or None if `language` has no grammar or parsing it is unsafe.

    Never raises: too large, a line too long, a parse past `timeout` seconds, or a grammar
    that does not load all give None (`extract` says which in `FileSymbols.fallback`).
    `text=False` saves a fifth of the time but gives a tree that holds no source: reading
    a node's `.text`, or running a query with a text predicate on it, crashes the process.
    Only for callers that read the text off `source` themselves.
    """
    return _parse(source, language, timeout, text)[0]


def extract(
    source: bytes,
    language: str | None,
    *,
    path: str = "",
    timeout: float = TIMEOUT,
    tree: tree_sitter.Tree | None = None,
    detail: bool = True,
) -> FileSymbols:
    """The definitions, references and imports of one file. Never raises for bad input.

    Definitions come in source order with their enclosing definitions as `scope`;
    references are the names used for calls and types (a definition's own name is not a
    reference to it); a file with syntax errors gives what tree-sitter recovered and
    `has_errors=True`. A file that is not parsed gives empty tuples and `fallback`.
    `tree`, if given, is `parse(source, language)` done already; it is not parsed again.

    `detail=False` is what the reference graph needs, in about half the time and memory:
    the same definitions, references and imports, but definitions have no keyword,
    signature, doc or scope (all empty), and names and kinds are interned strings shared
    between records.
    """

    def fallback(reason: str) -> FileSymbols:
        return FileSymbols(path, language, (), (), (), fallback=reason)

    if language is None:
        return fallback("unknown language")
    if language in languages.TEXT_FORMATS:
        return fallback("text format")
    if language not in languages.GRAMMARS:
        return fallback(f"no grammar for {language}")
    try:
        query = languages.load_query(language, "tags", "imports")
    except (LookupError, ValueError) as exc:  # grammar or query broken (QueryError)
        return fallback(f"query does not load: {exc}")
    if query is None:
        return fallback(f"no queries for {language}")
    if tree is None:
        # Only a text predicate (#eq?, #match?) needs the tree to hold its source.
        tree, reason = _parse(source, language, timeout, needs_text(language))
        if tree is None:
            return fallback(reason or "parse failed")
    root = tree.root_node
    has_errors = root.has_error

    import tree_sitter

    matches = tree_sitter.QueryCursor(query).matches(root)
    roles = _roles_by_query.setdefault(query, {})
    return _Extractor(source, language, roles, detail).run(path, matches, has_errors)


def definitions(source: bytes, language: str, *, tree: tree_sitter.Tree) -> tuple[Definition, ...]:
    """`extract(source, language, tree=tree).definitions` with every signature and doc
    "": what names a chunk's scopes, from the tags query's definition patterns alone (the
    references are most matches) in about half the time. `tree` is `parse(source,
    language, text=needs_text(language))`. Gives () for a language without a grammar or
    whose query does not load."""
    try:
        query = languages.definitions_query(language) if language in languages.GRAMMARS else None
    except (LookupError, ValueError):  # grammar or query broken (QueryError): extract says which
        return ()
    if query is None:
        return ()
    import tree_sitter

    matches = tree_sitter.QueryCursor(query).matches(tree.root_node)
    roles = _roles_by_query.setdefault(query, {})
    extractor = _Extractor(source, language, roles, docs=False)
    return extractor.run("", matches, tree.root_node.has_error).definitions


def scopes(source: bytes, language: str, *, tree: tree_sitter.Tree) -> tuple[Definition, ...]:
    """What names a chunk's scope: `definitions(...)`, plus the blocks that hold
    definitions without defining a name (`grammars/<language>/scopes.scm`, e.g. a Rust
    `impl Display for Parser`, labelled "impl Display for Parser"). In source order; each
    one's `scope` counts both (`("impl Parser",)` for its methods). Not symbols: `extract`
    never reads `scopes.scm`, so the reference graph and skeletons do not see them."""
    found = definitions(source, language, tree=tree)
    try:
        query = languages.load_query(language, "scopes") if language in languages.GRAMMARS else None
    except (LookupError, ValueError):
        return found
    if query is None:
        return found
    import tree_sitter

    matches = tree_sitter.QueryCursor(query).matches(tree.root_node)
    blocks = _Extractor(source, language, _roles_by_query.setdefault(query, {}), docs=False)
    extra = blocks.run("", matches, False).definitions
    if not extra:
        return found
    out: list[Definition] = []
    stack: list[Definition] = []
    for d in sorted((*found, *extra), key=lambda d: (d.start_byte, -d.end_byte)):
        while stack and not (stack[-1].start_byte <= d.start_byte and d.end_byte <= stack[-1].end_byte):
            stack.pop()
        if len(stack) >= MAX_DEPTH:
            continue
        scope = (*stack[-1].scope, stack[-1].label) if stack else ()
        d = d if d.scope == scope else replace(d, scope=scope)
        out.append(d)
        stack.append(d)
    return tuple(out)


def imports(
    source: bytes,
    language: str,
    *,
    tree: tree_sitter.Tree,
    text: Callable[[int, int], str] | None = None,
    max_depth: int | None = None,
) -> tuple[Import, ...]:
    """`extract(...).imports` alone, from the imports query (one short pass over the tree).

    `text(start, end)`, if given, is the text of that byte range of `source` that the
    modules and names are read from (by default the bytes decoded as UTF-8): the chunker
    passes one that redacts secrets. `max_depth` leaves out the import statements deeper
    in the tree than that (the root is 0; 3 takes in those under a conditional or in a
    module block, in a seventh of the time). Gives () for a language without an imports
    query."""
    try:
        query = languages.load_query(language, "imports") if language in languages.GRAMMARS else None
    except (LookupError, ValueError):
        return ()
    if query is None:
        return ()
    import tree_sitter

    cursor = tree_sitter.QueryCursor(query)
    if max_depth is not None:
        cursor.set_max_start_depth(max_depth)
    matches = cursor.matches(tree.root_node)
    extractor = _Extractor(source, language, _roles_by_query.setdefault(query, {}), docs=False)
    if text is not None:
        extractor.span = text
    return extractor.run("", matches, False).imports


def header_end(node: tree_sitter.Node, source: bytes) -> int:
    """Where a definition's header ends: after its body's opening brace (`fn f() {`), at
    its body when the body is not braced (`def f():`), else at the end of its first line."""
    body = _body(node)
    if body is not None and body.start_byte > node.start_byte:
        end = body.start_byte
        return end + 1 if source[end : end + 1] == b"{" else end
    nl = source.find(b"\n", node.start_byte, node.end_byte)
    return node.end_byte if nl < 0 else nl


@functools.cache
def needs_text(language: str) -> bool:
    """Whether the language's queries test a capture's text (`(#eq? ...)`, `(#match? ...)`)."""
    texts = (languages.query_text(language, kind) for kind in ("tags", "imports"))
    return any(_PREDICATE.search(t) for t in texts if t is not None)


_PREDICATE = re.compile(r"\(#[\w-]+[?!]", re.M)


def _parse(
    source: bytes, language: str, timeout: float, text: bool = True
) -> tuple[tree_sitter.Tree | None, str | None]:
    if language not in languages.GRAMMARS:
        return None, f"no grammar for {language}"
    if len(source) > MAX_BYTES:
        return None, f"too large to parse ({len(source):,} bytes, limit {MAX_BYTES:,})"
    if len(source) > MAX_LINE and _longest_line(source) > MAX_LINE:
        return None, f"a line longer than {MAX_LINE:,} bytes (minified or generated)"
    try:
        parser = languages.get_parser(language)
    except LookupError as exc:
        return None, str(exc)
    # py-tree-sitter 0.26 never releases what a read callback returns: slices of `source`
    # would keep every parsed file in memory (100 MB over 7K C files). Slices of one
    # buffer per thread, which the file is copied into, leave only the small slice objects.
    view = _buffer()
    size = len(source)
    view[:size] = source
    deadline = time.monotonic() + timeout

    def read(offset: int, _point: object) -> memoryview:
        return view[offset:size]

    def too_long(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        tree = parser.parse(read, progress_callback=too_long)
    except ValueError:  # cancelled by the callback
        parser.reset()  # otherwise the next parse would resume this one
        return None, f"parse took longer than {timeout:g} s"
    if tree is None:
        parser.reset()
        return None, "parse failed"
    # A tree parsed through a callback has no source attached, and py-tree-sitter 0.26
    # crashes when a query predicate (#match?, #eq?) or `Node.text` reads a node's text
    # from it. Parsing the bytes again with the first tree as the old tree reuses it and
    # gives a tree that holds its source, for a fifth more time: only when asked.
    if text:
        tree = parser.parse(source, old_tree=tree)
    if tree.root_node.has_error and _loose_token_run(tree.root_node) > MAX_TOKEN_RUN:
        return None, f"syntax errors left more than {MAX_TOKEN_RUN:,} loose tokens in a row"
    return tree, None


_buffers = threading.local()


def _buffer() -> memoryview:
    """This thread's parse buffer: `MAX_BYTES` long, made once (pages are touched as used)."""
    view: memoryview | None = getattr(_buffers, "view", None)
    if view is None:
        view = _buffers.view = memoryview(bytearray(MAX_BYTES))
    return view


def _longest_line(source: bytes) -> int:
    longest = start = 0
    while True:
        end = source.find(b"\n", start)
        if end < 0:
            return max(longest, len(source) - start)
        longest = max(longest, end - start)
        start = end + 1


def _loose_token_run(root: tree_sitter.Node) -> int:
    """The longest run of anonymous sibling tokens under the error nodes of `root`."""
    longest = 0
    stack = [root]
    while stack:
        node = stack.pop()
        run = 0
        for child in node.children:
            if child.is_named:
                run = 0
                if child.has_error:
                    stack.append(child)
            else:
                run += 1
                longest = max(longest, run)
    return longest


_roles_by_query: dict[tree_sitter.Query, dict[int, _Role]] = {}


def _role(roles: dict[int, _Role], index: int, caps: dict[str, list[tree_sitter.Node]]) -> _Role:
    """What pattern `index` yields, read off the capture names of its first match."""
    role = roles.get(index)
    if role is None:
        role = _Role("", "", "")
        for name in caps:
            if name == "import":
                role = _Role("import", "", name)
                break
            what, _, kind = name.partition(".")
            if what in ("definition", "reference") and kind:
                role = _Role(what, kind, name)
                break
        roles[index] = role
    return role


class _Extractor:
    """Turns one file's query matches into records."""

    def __init__(
        self, source: bytes, language: str, roles: dict[int, _Role], detail: bool = True, *, docs: bool = True
    ) -> None:
        self.source = source
        self.language = language
        self.roles = roles
        self.detail = detail
        self.docs = docs  # with detail: signatures and docs too
        self.names: dict[bytes, str] = {}  # without detail: each distinct name decoded once
        self.span: Callable[[int, int], str] = self.decode  # the text of an import's byte range

    def decode(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "replace")

    def text(self, node: tree_sitter.Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def name(self, node: tree_sitter.Node) -> str:
        """An identifier's text; without detail, interned (a repository's records share it)."""
        if self.detail:
            return self.text(node)
        raw = self.source[node.start_byte : node.end_byte]
        got = self.names.get(raw)
        if got is None:
            got = self.names[raw] = sys.intern(raw.decode("utf-8", "replace"))
        return got

    def name_span(self, first: tree_sitter.Node, end: int) -> str:
        """A definition's name: its one `@name`, or the text from the first `@name` to the
        end of the last, on one line (`Display for Parser<T>`)."""
        if end == first.end_byte:
            return self.text(first)
        return " ".join(self.source[first.start_byte : end].decode("utf-8", "replace").split())

    def run(
        self,
        path: str,
        matches: list[tuple[int, dict[str, list[tree_sitter.Node]]]],
        has_errors: bool,
    ) -> FileSymbols:
        roles = self.roles
        defs: dict[tuple[int, int, int], _Found] = {}
        refs: dict[tuple[int, int], tuple[int, str, tree_sitter.Node]] = {}
        imports: dict[tuple[int, int, int], _FoundImport] = {}
        for index, caps in matches:
            role = roles.get(index) or _role(roles, index, caps)
            what = role.what
            if what == "reference":  # most matches: the shortest way
                names = caps.get("name")
                if names:
                    name = names[0]
                    key2 = name.byte_range
                    old = refs.get(key2)
                    if old is None or old[0] > index:
                        refs[key2] = (index, role.kind, name)
                continue
            if not what:
                continue
            if what == "import":
                stmt = caps[role.capture][0]
                modules = caps.get("import.module", [])
                key = (stmt.start_byte, *(modules[0].byte_range if modules else (-1, -1)))
                entry = imports.get(key)
                if entry is None:
                    entry = imports[key] = (stmt, list(modules), [], [])
                entry[2].extend(caps.get("import.name", ()))
                entry[3].extend(caps.get("import.path", ()))
                continue
            names = caps.get("name")
            if not names:
                continue
            name = min(names, key=lambda n: n.start_byte)  # several: the name spans them all
            node = caps[role.capture][0]
            key3 = (node.start_byte, node.end_byte, name.start_byte)
            if key3 not in defs or defs[key3][0] > index:
                defs[key3] = (index, role.kind, node, name, max(n.end_byte for n in names))

        definitions = self.definitions(defs.values())
        own_names = {k[2] for k in defs}
        references = tuple(
            Reference(self.name(name), name.start_point.row + 1, kind)
            for (start, _end), (_i, kind, name) in sorted(refs.items())
            if start not in own_names
        )
        return FileSymbols(
            path=path,
            language=self.language,
            definitions=definitions,
            references=references,
            imports=self.imports(imports.values()),
            has_errors=has_errors,
        )

    # -- definitions -------------------------------------------------------------------

    def definitions(self, found: Iterable[_Found]) -> tuple[Definition, ...]:
        items = sorted(found, key=lambda d: (d[2].start_byte, -d[2].end_byte, d[0]))
        if not self.detail:
            return self.bare_definitions(items)
        out: list[Definition] = []
        stack: list[Definition] = []  # enclosing definitions of the current one
        for _index, kind, node, name_node, name_end in items:
            start, end = node.start_byte, node.end_byte
            while stack and not (stack[-1].start_byte <= start and end <= stack[-1].end_byte):
                stack.pop()
            if len(stack) >= MAX_DEPTH:
                continue  # scopes would grow quadratically; no real code nests this deep
            name = self.name_span(name_node, name_end)
            d = Definition(
                name=name,
                kind=kind,
                keyword=self.keyword(node, name_node),
                start_line=node.start_point.row + 1,
                end_line=_last_row(node) + 1,
                start_byte=start,
                end_byte=end,
                signature=self.signature(node) if self.docs else "",
                doc=self.doc(node) if self.docs else "",
                scope=(*stack[-1].scope, stack[-1].label) if stack else (),
            )
            out.append(d)
            stack.append(d)
        return tuple(out)

    def bare_definitions(self, items: list[_Found]) -> tuple[Definition, ...]:
        """The same definitions as `definitions`, without keyword, signature, doc and scope."""
        out: list[Definition] = []
        ends: list[int] = []  # end bytes of the enclosing definitions
        for _index, kind, node, name_node, name_end in items:
            start, end = node.start_byte, node.end_byte
            while ends and end > ends[-1]:  # sorted by start: only the end can leave a scope
                ends.pop()
            if len(ends) >= MAX_DEPTH:
                continue
            row = node.start_point.row
            last = _last_row(node)
            name = (
                self.name(name_node)
                if name_end == name_node.end_byte
                else self.name_span(name_node, name_end)
            )
            out.append(Definition(name, kind, "", row + 1, last + 1, start, end, "", "", ()))
            ends.append(end)
        return tuple(out)

    def keyword(self, node: tree_sitter.Node, name: tree_sitter.Node) -> str:
        """The word that introduces the definition: "def", "class", "fn", "struct", ..."""
        word = _keyword_token(node, name.start_byte, _MODIFIERS)
        if word:
            return word
        for field in ("type", "value"):  # Go `type T struct`, JS `f = function () {}`
            child = node.child_by_field_name(field)
            if child is not None and child.type in _KEYWORD_VALUES:
                word = _keyword_token(child, child.end_byte, _MODIFIERS)
                if word:
                    return word
        for child in node.named_children:
            if child.type == "value_binding_pattern":  # Swift `var x`, `let y`
                return _keyword_token(child, child.end_byte, _MODIFIERS)
        parent = node.parent
        if parent is not None and parent.type in _DECLARATIONS:  # `const f = () => 1`
            return _keyword_token(parent, node.start_byte, frozenset())
        return ""

    def signature(self, node: tree_sitter.Node) -> str:
        """The definition's header, up to its body, on one line."""
        start = node.start_byte
        parent = node.parent
        if (
            parent is not None
            and parent.type in _DECLARATIONS
            and parent.named_child_count
            and parent.named_children[0] == node
        ):
            start = parent.start_byte  # `type T struct`, `const f = ...`
        body = _body(node)
        end = body.start_byte if body is not None else node.end_byte
        end = min(end, start + SIGNATURE_CHARS * 4)
        pieces = []
        for child in node.children:  # leave out comments between the header's parts
            if child.start_byte >= end:
                break
            if "comment" in child.type and child.start_byte > start:
                pieces.append(self.source[start : child.start_byte])
                start = child.end_byte
        pieces.append(self.source[start:end])
        text = " ".join(b"".join(pieces).decode("utf-8", "replace").split())
        if body is None and text.endswith(";"):
            text = text[:-1].rstrip()
        if len(text) > SIGNATURE_CHARS:
            text = text[: SIGNATURE_CHARS - 3].rstrip() + "..."
        return text

    def doc(self, node: tree_sitter.Node) -> str:
        """The docstring (Python) or the comment block right before the definition."""
        if self.language == "python":
            doc = self._docstring(node)
            if doc:
                return doc
        anchor = node
        while True:
            comments = self._leading_comments(anchor)
            if comments:
                return _clean_comments(self.text(c) for c in comments)
            parent = anchor.parent
            if (
                parent is None
                or parent.type not in _WRAPPERS
                or parent.named_child_count == 0
                or parent.named_children[0] != anchor
            ):
                return ""
            anchor = parent

    def _leading_comments(self, node: tree_sitter.Node) -> list[tree_sitter.Node]:
        found: list[tree_sitter.Node] = []
        below = node
        sibling = node.prev_sibling
        while sibling is not None:
            if "comment" not in sibling.type:
                if sibling.type in _ATTRIBUTES and not found:
                    below = sibling
                    sibling = sibling.prev_sibling
                    continue
                break
            if _last_row(sibling) + 1 < below.start_point.row:
                break  # a blank line between them
            before = sibling.prev_sibling
            if before is not None and _last_row(before) == sibling.start_point.row:
                break  # a trailing comment of the line before
            found.append(sibling)
            below = sibling
            sibling = before
        found.reverse()
        return found

    def _docstring(self, node: tree_sitter.Node) -> str:
        body = node.child_by_field_name("body")
        if body is None or body.named_child_count == 0:
            return ""
        first = body.named_children[0]
        if first.type != "expression_statement" or first.named_child_count != 1:
            return ""
        string = first.named_children[0]
        if string.type != "string":
            return ""
        kids = string.children
        if len(kids) < 2 or kids[0].type != "string_start" or kids[-1].type != "string_end":
            return ""
        raw = self.source[kids[0].end_byte : kids[-1].start_byte].decode("utf-8", "replace")
        return inspect.cleandoc(raw)

    # -- imports -----------------------------------------------------------------------

    def imports(self, found: Iterable[_FoundImport]) -> tuple[Import, ...]:
        out: list[Import] = []
        for stmt, modules, names, path in sorted(found, key=lambda e: e[0].start_byte):
            module = ""
            if modules:
                m = modules[0]
                inner = [n.start_byte for n in names if m.start_byte < n.start_byte < m.end_byte]
                if inner:  # `a.b.C` captured whole, C as the name: the module is `a.b`
                    module = self.span(m.start_byte, min(inner)).rstrip(".:\\/ \t")
                else:
                    module = _unquote(self.span(m.start_byte, m.end_byte))
            elif path:  # segments `a`, `b`, `C`: the module is `a.b`, the name `C`
                path = sorted(set(path), key=lambda n: n.start_byte)
                if not names and len(path) > 1:
                    names = [path.pop()]
                module = self.span(path[0].start_byte, path[-1].end_byte)
            seen: dict[str, None] = {}
            for n in sorted(names, key=lambda n: n.start_byte):
                seen.setdefault(_unquote(self.span(n.start_byte, n.end_byte)), None)
            out.append(Import(module, tuple(seen), stmt.start_point.row + 1))
        return tuple(out)


def _last_row(node: tree_sitter.Node) -> int:
    """The last row `node` has text on (a line comment may end at column 0 of the next)."""
    end = node.end_point
    return end.row - 1 if end.column == 0 and end.row > node.start_point.row else end.row


def _keyword_token(node: tree_sitter.Node, stop: int, skip: frozenset[str]) -> str:
    """The last keyword token among `node`'s children before byte `stop`, modifiers skipped.

    The last, so that `async def` gives "def" and `export default class` gives "class".
    """
    word = ""
    for child in node.children:
        if child.start_byte >= stop:
            break
        if not child.is_named and _WORD.match(child.type) and child.type not in skip:
            word = child.type
    return word


def _body(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The body of a definition: its `body` field or a body-like child (or grandchild)."""
    body = node.child_by_field_name("body")
    if body is not None:
        return body
    children = node.named_children
    for child in children:
        if child.type in _BODIES:
            return child
    for child in children:
        body = child.child_by_field_name("body")
        if body is not None:
            return body
        if child.type == "interface_type":  # Go: the methods sit right inside the braces
            return next((c for c in child.children if c.type == "{"), None)
        for grandchild in child.named_children:
            if grandchild.type in _BODIES:
                return grandchild
    return None


def _clean_comments(texts: Iterable[str]) -> str:
    lines: list[str] = []
    for text in texts:
        for line in text.splitlines():
            line = line.rstrip()
            if line.endswith("*/"):
                line = line[:-2].rstrip()
            lines.append(_COMMENT_MARKS.sub("", line, count=1).rstrip())
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    text = textwrap.dedent("\n".join(lines)) if lines else ""
    return _XML_DOC_TAGS.sub("", text) if "<" in text else text


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        return text[1:-1]
    if len(text) >= 2 and text[0] == "<" and text[-1] == ">":
        return text[1:-1]
    return text


# -- words, for text relevance ------------------------------------------------------

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # an identifier-like word, as rank splits text
# Comments and docstrings, in any language: a line from "//" or "#", a /* block */, a
# Python docstring. Loose on purpose (a "#include" line or a URL's "//" adds a few
# words); what matters is the prose a commit message or an issue is written in.
_COMMENTS = re.compile(r'(?://|#)[^\n]*|/\*.*?\*/|""".*?"""', re.S)
COMMENT_WORDS = 4000  # per file, so one huge comment block cannot dominate memory


def comment_words(text: str) -> tuple[str, ...]:
    """The words of a file's comments and docstrings, for BM25 (`rank.rank(terms=...)`).

    Identifiers say what code is; comments say what it is for, in the words people use
    in issues and commit messages. Adding them to the documents raised Recall@10% by
    7-10 points on three of four repositories (RANKING.md).
    """
    out: list[str] = []
    for m in _COMMENTS.finditer(text):
        out.extend(map(sys.intern, WORD.findall(m.group())))
        if len(out) >= COMMENT_WORDS:
            break
    return tuple(out[:COMMENT_WORDS])
