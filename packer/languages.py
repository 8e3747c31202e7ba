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
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".kt": "kotlin", ".kts": "kotlin", ".swift": "swift", ".scala": "scala", ".sc": "scala",
    ".sh": "bash", ".bash": "bash", ".zsh": "bash",
    ".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".txt": "text",
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml",
    ".html": "html", ".htm": "html", ".css": "css", ".scss": "scss", ".xml": "xml",
    ".sql": "sql", ".lua": "lua", ".pl": "perl", ".pm": "perl", ".r": "r",
}
FILENAMES: dict[str, str] = {
    "Makefile": "make", "makefile": "make", "GNUmakefile": "make", "Kbuild": "make",
    "Dockerfile": "dockerfile", "Rakefile": "ruby", "Gemfile": "ruby",
    "CMakeLists.txt": "cmake", "Kconfig": "kconfig",
    ".bashrc": "bash", ".bash_profile": "bash", ".profile": "bash", ".zshrc": "bash",
}
INTERPRETERS: dict[str, str] = {
    "python": "python", "python3": "python", "python2": "python",
    "node": "javascript", "deno": "typescript", "ruby": "ruby", "php": "php",
    "bash": "bash", "sh": "bash", "zsh": "bash", "dash": "bash", "ksh": "bash",
    "perl": "perl",
}


def detect(path: str, head: str = "") -> str | None:
    """The language of `path`, from its name, extension, then a `#!` line in `head`."""
    name = posixpath.basename(path)
    if name in FILENAMES:
        return FILENAMES[name]
    ext = posixpath.splitext(name)[1].lower()
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if head.startswith("#!"):
        words = head[2:].split("\n", 1)[0].split()
        if words:
            prog = posixpath.basename(words[0])
            if prog == "env" and len(words) > 1:
                prog = words[2] if words[1] == "-S" and len(words) > 2 else words[1]
            prog = prog.rstrip("0123456789.") or prog
            return INTERPRETERS.get(prog) or INTERPRETERS.get(prog + "3")
    return None


@dataclass(frozen=True)
class Grammar:
    """Where a language's compiled grammar lives: a module and its language function."""

    module: str
    function: str = "language"
    package: str = ""  # the PyPI distribution, for error messages


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
def load_query(name: str, kind: str = "tags") -> tree_sitter.Query | None:
    import tree_sitter

    text = query_text(name, kind)
    if text is None:
        return None
    return tree_sitter.Query(load_language(name), text)
