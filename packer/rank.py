"""Which files matter most. For now a fixed, sensible order (the ranking issue replaces it):
README and top-level docs, package manifests, source by path, other docs, tests last."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from packer.records import FileInfo

_README = re.compile(r"(?i)^readme(\.[a-z0-9]+)?$")
_DOC_EXT = {".md", ".rst", ".txt", ".adoc", ".markdown", ".org"}
_LEGAL = re.compile(r"(?i)^(license|licence|copying|notice|changelog|changes|history|news|authors)")
_MANIFESTS = {
    "pyproject.toml", "setup.py", "setup.cfg", "package.json", "Cargo.toml", "go.mod",
    "pom.xml", "build.gradle", "build.gradle.kts", "Gemfile", "composer.json",
    "Makefile", "CMakeLists.txt", "tsconfig.json", "deno.json", "mix.exs",
}
_TEST_DIRS = {"test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "fixtures"}
_TEST_FILE = re.compile(
    r"(?i)(^test_.*|.*_test\.[a-z]+$|.*\.(test|spec)\.[a-z]+$|.*_spec\.rb$|^conftest\.py$|.*Tests?\.(java|kt|cs|swift)$)"
)
_DOC_DIRS = {"doc", "docs", "documentation"}
_EXAMPLE_DIRS = {"example", "examples", "samples", "demo", "demos"}


@dataclass(frozen=True)
class Ranked:
    index: int  # into the FileInfo list
    score: float
    reason: str


def classify(path: str, language: str | None) -> tuple[float, str]:
    """(score, reason) of a file by its place and kind."""
    parts = path.split("/")
    name = parts[-1]
    ext = posixpath.splitext(name)[1].lower()
    top = len(parts) == 1
    dirs = {p.lower() for p in parts[:-1]}
    if top and _README.match(name):
        return 1.0, "readme"
    if top and _LEGAL.match(name):
        return 0.35, "license or changelog"
    if top and ext in _DOC_EXT:
        return 0.9, "top-level doc"
    if top and name in _MANIFESTS:
        return 0.85, "package manifest"
    if dirs & _TEST_DIRS or _TEST_FILE.match(name):
        return 0.1, "test"
    if dirs & _DOC_DIRS:
        return 0.3, "docs"
    if dirs & _EXAMPLE_DIRS:
        return 0.25, "example"
    if language is not None and language not in {"markdown", "rst", "text", "json", "yaml", "toml"}:
        return 0.5, "source"
    if ext in _DOC_EXT:
        return 0.3, "docs"
    return 0.2, "other"


def default_order(infos: Sequence[FileInfo]) -> list[Ranked]:
    """Files best first; ties broken by path so the order is deterministic."""
    ranked = [Ranked(i, *classify(f.path, f.language)) for i, f in enumerate(infos)]
    ranked.sort(key=lambda r: (-r.score, infos[r.index].path))
    return ranked
