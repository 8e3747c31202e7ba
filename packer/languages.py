"""Language detection by file name, extension and shebang.

Used for code-fence tags now; the tree-sitter layer hangs its grammars off the same names.
"""

from __future__ import annotations

import posixpath

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
