"""Languages: detection by file name, extension and shebang, and their tree-sitter grammars.

Grammars come from registry wheels that carry their compiled parser (tree-sitter-python
and friends), so parsing works offline; packs that download grammars at run time fail
on an air-gapped machine. Queries (`tags.scm`, ...) are data under `grammars/<name>/`,
shipped inside the wheel as `packer/grammars`. `load_language`, `get_parser` and
`load_query` are the one place that touches tree-sitter's loading API.
"""

from __future__ import annotations

import importlib
import posixpath
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".ipp": "cpp",
    ".inl": "cpp",
    ".tpp": "cpp",
    ".cs": "csharp",
    ".csx": "csharp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".gemspec": "ruby",
    ".ru": "ruby",
    ".php": "php",
    ".phtml": "php",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".swift": "swift",
    ".scala": "scala",
    ".sc": "scala",
    ".sbt": "scala",
    ".sh": "bash",
    ".bash": "bash",
    ".zsh": "bash",
    ".ksh": "bash",
    ".bats": "bash",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".rst": "rst",
    ".txt": "text",
    ".json": "json",
    ".jsonc": "json",
    ".json5": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".geojson": "json",
    ".ipynb": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".html": "html",
    ".htm": "html",
    ".css": "css",
    ".scss": "scss",
    ".xml": "xml",
    ".sql": "sql",
    ".lua": "lua",
    ".pl": "perl",
    ".pm": "perl",
    ".r": "r",
}
FILENAMES: dict[str, str] = {
    "Makefile": "make",
    "makefile": "make",
    "GNUmakefile": "make",
    "Kbuild": "make",
    "Dockerfile": "dockerfile",
    "CMakeLists.txt": "cmake",
    "Kconfig": "kconfig",
    "Rakefile": "ruby",
    "Gemfile": "ruby",
    "Guardfile": "ruby",
    "Vagrantfile": "ruby",
    "Podfile": "ruby",
    "Fastfile": "ruby",
    "Brewfile": "ruby",
    "Capfile": "ruby",
    "Berksfile": "ruby",
    "Dangerfile": "ruby",
    "SConstruct": "python",
    "SConscript": "python",
    "Pipfile": "toml",
    "Cargo.lock": "toml",
    "poetry.lock": "toml",
    "uv.lock": "toml",
    ".clang-format": "yaml",
    ".clang-tidy": "yaml",
    ".bashrc": "bash",
    ".bash_profile": "bash",
    ".bash_logout": "bash",
    ".profile": "bash",
    ".zshrc": "bash",
    ".zprofile": "bash",
    ".zshenv": "bash",
    ".zlogin": "bash",
    ".envrc": "bash",
    "PKGBUILD": "bash",
    "APKBUILD": "bash",
}
INTERPRETERS: dict[str, str] = {
    "python": "python",
    "python3": "python",
    "python2": "python",
    "pypy": "python",
    "pypy3": "python",
    "node": "javascript",
    "nodejs": "javascript",
    "bun": "javascript",
    "deno": "typescript",
    "ts-node": "typescript",
    "tsx": "typescript",
    "ruby": "ruby",
    "jruby": "ruby",
    "php": "php",
    "bash": "bash",
    "sh": "bash",
    "zsh": "bash",
    "dash": "bash",
    "ksh": "bash",
    "mksh": "bash",
    "ash": "bash",
    "kotlin": "kotlin",
    "kscript": "kotlin",
    "scala": "scala",
    "swift": "swift",
    "perl": "perl",
    "lua": "lua",
}


def detect(path: str, head: str = "") -> str | None:
    """The language of `path`: a well-known file name, then its extension, then a `#!` line.

    `head` is the start of the file (the first line is enough). Shebangs may go through
    `env`, with its options and variable assignments (`#!/usr/bin/env -S VAR=1 node --flag`),
    and name a versioned interpreter (`python3.12`).
    """
    by_name = _by_name(path[path.rfind("/") + 1 :])
    if by_name is not None or not head.startswith("#!"):
        return by_name
    return _shebang(head[2:].split("\n", 1)[0])


@lru_cache(maxsize=65536)
def _by_name(name: str) -> str | None:
    """The language a file name says (78K paths share a few thousand names)."""
    if name in FILENAMES:
        return FILENAMES[name]
    return EXTENSIONS.get(posixpath.splitext(name)[1].lower())


def _shebang(line: str) -> str | None:
    words = line.split()
    if not words:
        return None
    prog = posixpath.basename(words[0])
    if prog == "env":
        # env's own options (-S splits the rest, -i, -u NAME) and NAME=value assignments
        rest = iter(words[1:])
        prog = ""
        for word in rest:
            if word in ("-u", "--unset", "-C", "--chdir"):
                next(rest, None)
            elif word.startswith("-S") and len(word) > 2:  # "-Spython3 -u"
                prog = word[2:]
                break
            elif not word.startswith("-") and "=" not in word:
                prog = word
                break
        prog = posixpath.basename(prog)
    if prog in INTERPRETERS:
        return INTERPRETERS[prog]
    base = prog.rstrip("0123456789.") or prog  # python3.12 -> python
    return INTERPRETERS.get(base)


@dataclass(frozen=True)
class Grammar:
    """Where a language's compiled grammar lives: a module and its language function."""

    module: str
    function: str = "language"
    package: str = ""  # the PyPI distribution: error messages, the cache's namespace


GRAMMARS: dict[str, Grammar] = {
    "python": Grammar("tree_sitter_python", package="tree-sitter-python"),
    "javascript": Grammar("tree_sitter_javascript", package="tree-sitter-javascript"),
    "typescript": Grammar("tree_sitter_typescript", "language_typescript", "tree-sitter-typescript"),
    "tsx": Grammar("tree_sitter_typescript", "language_tsx", "tree-sitter-typescript"),
    "go": Grammar("tree_sitter_go", package="tree-sitter-go"),
    "rust": Grammar("tree_sitter_rust", package="tree-sitter-rust"),
    "java": Grammar("tree_sitter_java", package="tree-sitter-java"),
    "c": Grammar("tree_sitter_c", package="tree-sitter-c"),
    "cpp": Grammar("tree_sitter_cpp", package="tree-sitter-cpp"),
    "csharp": Grammar("tree_sitter_c_sharp", package="tree-sitter-c-sharp"),
    "ruby": Grammar("tree_sitter_ruby", package="tree-sitter-ruby"),
    "php": Grammar("tree_sitter_php", "language_php", "tree-sitter-php"),
    "kotlin": Grammar("tree_sitter_kotlin", package="tree-sitter-kotlin"),
    "swift": Grammar("tree_sitter_swift", package="tree-sitter-swift"),
    "scala": Grammar("tree_sitter_scala", package="tree-sitter-scala"),
    "bash": Grammar("tree_sitter_bash", package="tree-sitter-bash"),
}

# Recognised as text: chunked by structure or paragraphs, never parsed as code.
TEXT_FORMATS = frozenset({"markdown", "json", "yaml", "toml", "rst", "text"})


def is_code(language: str | None) -> bool:
    """True for a language parsed as code (one with a grammar); text formats are not."""
    return language in GRAMMARS


_load_lock = threading.Lock()


@cache
def load_language(name: str) -> tree_sitter.Language:
    """The compiled grammar for `name`. Raises LookupError naming the missing wheel."""
    import tree_sitter

    grammar = GRAMMARS.get(name)
    if grammar is None:
        raise LookupError(f"no tree-sitter grammar for {name!r}")
    with _load_lock:
        try:
            module = importlib.import_module(grammar.module)
            return tree_sitter.Language(getattr(module, grammar.function)())
        except (ImportError, AttributeError, ValueError, OSError) as exc:
            raise LookupError(
                f"grammar for {name} does not load ({exc}); reinstall packer so that "
                f"{grammar.package} is installed"
            ) from exc


_parsers = threading.local()


def get_parser(name: str) -> tree_sitter.Parser:
    """A parser for `name`, one per thread (tree-sitter parsers are not thread-safe)."""
    import tree_sitter

    cache: dict[str, tree_sitter.Parser] | None = getattr(_parsers, "cache", None)
    if cache is None:
        cache = _parsers.cache = {}
    parser = cache.get(name)
    if parser is None:
        parser = cache[name] = tree_sitter.Parser(load_language(name))
    return parser


def grammars_dir() -> Traversable:
    """The installed query files; falls back to the source tree in a development checkout."""
    installed = resources.files("packer") / "grammars"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "grammars"


@cache
def query_text(name: str, kind: str = "tags") -> str | None:
    """The text of `grammars/<name>/<kind>.scm`, or None if the language has none."""
    f = grammars_dir() / name / f"{kind}.scm"
    return f.read_text(encoding="utf-8") if f.is_file() else None


@cache
def load_query(name: str, kind: str = "tags", *more: str) -> tree_sitter.Query | None:
    """The compiled query `grammars/<name>/<kind>.scm`, or None if the language has none.

    With more kinds (`load_query("go", "tags", "imports")`) their files are joined into
    one query, in that order, so one pass over a tree runs them all; missing files are
    left out. Raises LookupError if the grammar does not load and tree_sitter.QueryError
    if a file does not compile against it.
    """
    import tree_sitter

    texts = [t for t in (query_text(name, k) for k in (kind, *more)) if t is not None]
    if not texts:
        return None
    return tree_sitter.Query(load_language(name), "\n".join(texts))


@cache
def definitions_query(name: str) -> tree_sitter.Query | None:
    """The tags query of `name` with only its definition patterns enabled (a capture named
    `@definition.<kind>`): its own compiled copy, as `load_query`'s is shared. Pattern
    indexes are those of `load_query(name, "tags", ...)`, whose tags come first."""
    import tree_sitter

    text = query_text(name, "tags")
    if text is None:
        return None
    query = tree_sitter.Query(load_language(name), text)
    raw = text.encode("utf-8")  # pattern offsets are byte offsets
    for i in range(query.pattern_count):
        if b"@definition." not in raw[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]:
            query.disable_pattern(i)
    return query


@dataclass(frozen=True)
class LanguageInfo:
    """One row of `packer languages`."""

    name: str
    kind: str  # "code" (parsed with a grammar), "text" (a text format) or "other"
    extensions: tuple[str, ...]
    filenames: tuple[str, ...]
    grammar: str  # "ok", the reason it does not load, or "-" when none is needed


def languages_table() -> list[LanguageInfo]:
    """Every language `detect` can return, code first, with whether its grammar loads."""
    names = [*GRAMMARS, *sorted(TEXT_FORMATS)]
    names += sorted({*EXTENSIONS.values(), *FILENAMES.values(), *INTERPRETERS.values()} - set(names))
    rows = []
    for name in names:
        if name in GRAMMARS:
            kind = "code"
            try:
                load_language(name)
                grammar = "ok"
            except LookupError as exc:
                grammar = str(exc)
        else:
            kind = "text" if name in TEXT_FORMATS else "other"
            grammar = "-"
        rows.append(
            LanguageInfo(
                name=name,
                kind=kind,
                extensions=tuple(sorted(e for e, lang in EXTENSIONS.items() if lang == name)),
                filenames=tuple(sorted(f for f, lang in FILENAMES.items() if lang == name)),
                grammar=grammar,
            )
        )
    return rows
