import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# CI (`.ci/run` sets CI) replays the same examples on every run, so a red run is
# reproducible; anywhere else Hypothesis explores new ones (and keeps what fails in
# .hypothesis/). HYPOTHESIS_PROFILE picks a profile by name.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore"))


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path_factory, monkeypatch):
    """Keep the user's git config out of every test; tests that need some set it here."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # The cache goes to $HOME/.cache/packer: a fresh one for every test.
    # The user config (packer.config.user_config_path) goes to $HOME/.config/packer: none.
    for var in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "PACKER_CACHE_DIR",
        "XDG_CACHE_HOME",
        "PACKER_CONFIG",
        "XDG_CONFIG_HOME",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data, encoding="utf-8", newline="")


def read_exact(path: Path) -> str:
    """The file's text with newlines untranslated (what was counted)."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def git_repo(root: Path, files: dict[str, str | bytes], message: str | None = "init") -> Path:
    """`files` written under `root` in a new git repository, all committed as `message`
    (None: only initialised, nothing committed). Returns `root`."""
    write(root, files)
    git(root, "init", "-q")
    if message is not None:
        git(root, "add", "-A")
        git(root, "commit", "-qm", message)
    return root


def pack_text(root, **kw):
    """What `packer.pack` writes to a stream with `Options(**kw)`, and its result."""
    import io

    import packer

    buf = io.StringIO()
    result = packer.pack(root, packer.Options(**kw), output=buf)
    return buf.getvalue(), result


def module(name: str, n: int = 50) -> str:
    """200 lines of plausible Python: n functions of 4 lines, numbered."""
    out = []
    for i in range(n):
        out += [
            f"def {name}_step_{i}(value, factor={i}):",
            f'    """Scale value number {i} of {name} by its factor."""',
            f"    result = value * factor + {(i * 37) % 101}",
            "    return result",
        ]
    return "\n".join(out) + "\n"


def module_using(name: str, uses: str, n: int) -> str:
    """A Python module defining `{name}_helper` and a function calling `{uses}_helper` n times."""
    body = "\n".join(f"    value_{k} = {uses}_helper({k}) + {k} * {k}" for k in range(n))
    return f"def {name}_helper(x):\n    return x + 1\n\n\ndef {name}_main():\n{body}\n    return 0\n"


def packages_repo(root: Path) -> Path:
    """A README and four packages of six modules that call each other, plus an exact copy
    (ui/copy.py of core/mod1.py); a commit per package, so co-change stays local."""
    files: dict[str, str | bytes] = {"README.md": "# Demo\n" + "Some words about the project.\n" * 20}
    for pkg in ("core", "net", "ui", "db"):
        for k in range(6):
            files[f"{pkg}/mod{k}.py"] = module_using(f"{pkg}{k}", f"{pkg}{(k + 1) % 6}", 40 + 7 * k)
    files["ui/copy.py"] = files["core/mod1.py"]  # an exact copy
    write(root, files)
    git(root, "init", "-q")
    for part in ("README.md", "core", "net", "ui", "db"):  # a commit each: co-change stays local
        git(root, "add", part)
        git(root, "commit", "-qm", f"add {part}")
    return root


def file_infos(spec):
    """Synthetic FileInfos (no files on disk) for {path: tokens}, sorted by path."""
    from packer.records import FileInfo

    return [FileInfo(p, "/x/" + p, 1, "d", "utf-8", "python", t, 1) for p, t in sorted(spec.items())]


def tree_of(infos, fmt="xml", list_limit=256):
    """The pack's tree of `infos` with its exact line costs in `fmt`, and the renderer."""
    from packer.render import make_renderer
    from packer.tokens import Counter
    from packer.tree import Tree

    counter = Counter()
    r = make_renderer(fmt)
    sep = counter.count(r.tree_separator()) if r.tree_separator() else 0
    return Tree(
        infos,
        line_cost=lambda line: counter.count(r.tree_line(line)),
        separator_cost=sep,
        list_limit=list_limit,
    ), r


def tree_cost(tree, r):
    """The tokens the tree's lines cost when rendered by `r`, counted from scratch."""
    from packer.tokens import Counter

    counter = Counter()
    lines = list(tree.lines())
    sep = r.tree_separator()
    return sum(counter.count(r.tree_line(x)) for x in lines) + (len(lines) - 1) * (
        counter.count(sep) if sep else 0
    )


def measure_work(cache: Any = None, **kw: Any) -> Any:
    """What an unbudgeted pack measures (exact counts, skeletons, secrets, symbols, terms),
    on one process, with `cache` (a `packer.cache.Cache` or None); `kw` overrides."""
    from packer.measure import Work

    args: dict[str, Any] = {
        "keep": frozenset(),
        "max_file_size": 1_000_000,
        "count": True,
        "skeleton": True,
        "redact": True,
        "symbols": True,
        "terms": True,
        "cache_dir": str(cache.directory) if cache is not None else None,
        "jobs": 1,
    }
    return Work(**{**args, **kw})
