"""Options, targets and their layered merge: defaults < config file < the caller's `Options`.

The library does the merge, so an agent calling `packer.pack` gets exactly what the
CLI gets. Config lives in `[tool.packer]` of the root's `pyproject.toml` or in
`.packer.toml` (the latter wins); unknown keys are errors naming the file and key.

Trust: a repository's config (its own files, or the file given with `--config`, which a
hook's arguments in the repository can name too) may tighten safety, never loosen it:
no `allow_secrets` (the caller passes `--allow-secrets`), no `keep = ["secrets-file"]`,
no model price (or other cost field) below the built-in table, `jobs` clamped to the machine's cores, no cost
cap or endpoint. Those
belong to the user's own config file (`user_config_path`), read by `packer review`.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packer.errors import ConfigError
from packer.records import KEEP_KINDS
from packer.tokens import ENCODINGS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMATS = ("xml", "markdown", "json", "plain")


@dataclass(frozen=True)
class Target:
    """A model window and how much of it a pack may use."""

    name: str
    window: int
    headroom: int = 0  # kept free for the agent's tool calls and answers
    reserve: int = 0  # kept free for instructions and the answer
    encoding: str = "o200k_base"
    model: str = "gpt-5.5"

    @property
    def budget(self) -> int:
        return self.window - self.headroom - self.reserve


TARGETS: dict[str, Target] = {
    # Codex works in a 400K window; half stays free for tool calls and answers.
    "codex": Target("codex", window=400_000, headroom=200_000),
    # The raw API window, less a reserve for the instructions and the answer.
    "api": Target("api", window=1_000_000, reserve=32_000),
}


@dataclass(frozen=True)
class Options:
    """What the caller asked for, built once by the CLI or the library call.

    Every field left None comes from `[tool.packer]` in the root's `pyproject.toml` or
    from `.packer.toml` (`config` names another file), else from the defaults: target
    "codex" (budget 200,000), encoding o200k_base, format "xml", gitignore on,
    max_file_size 1 MB. `resolve` is the one place they meet. Sequences are stored as
    tuples (a list is accepted, a lone string is one item), so the record is hashable.

    The pack: `budget` (tokens: 200k, 1m, 350000; "none" packs everything), `target`
    (a window: "codex", "api", one from config, or "auto": the codex budget if
    everything relevant fits it in full, else the api window, else a split into
    api-sized parts), `reserve` (tokens kept free for instructions and the answer),
    `api_window` (the api target's window in tokens, default 1M; `review` sets its model's;
    a smaller `[targets.api]` window in config stays),
    `encoding`, `format` ("xml", "markdown", "json", "plain"), `skeleton` (each code
    file as its skeleton: signatures, docs, declarations; bodies elided). `parts=N` /
    `split=True`: cover the repository (with a task: the relevant files) in N parts / as
    many as needed, each within the budget, grouped by directory and reference graph;
    an output "NAME.xml" becomes NAME-1.xml, NAME-2.xml, ...

    The files: `include` / `exclude` (gitignore-syntax globs), `gitignore` (False:
    ignore .gitignore and the excludes), `max_file_size` (bytes or 500k, 1mb; "none":
    no limit), `keep` (kinds of file skipped by default, `KEEP_KINDS`).

    Safety and speed: secrets found in packed files are replaced by
    `[REDACTED:<kind>]`; `allow_secrets=True` keeps them (still listed, as not
    redacted). `history=False` ranks without git history, so the output depends on the
    files' contents only (generated context files). Counts, secret scans and parses of
    unchanged files are reused from the cache (`cache_dir`, else `PACKER_CACHE_DIR`,
    else the user cache directory); `cache=False` neither reads nor writes it. `jobs`
    sets the worker processes (1: none); the output is the same whatever it is.

    The task: `query` (text, or "@file"), `focus` (files or directories that must be in
    full), `diff` (a git REF: the changes against it, untracked files included, are
    rendered in the pack and the changed files become focus files), `staged` (the
    index against HEAD). With none of these the ranking is global.
    """

    budget: int | str | None = None
    target: str | None = None
    reserve: int | None = None
    api_window: int | None = None  # the api target's window; a review sets its model's
    encoding: str | None = None
    format: str | None = None
    include: Sequence[str] | None = None
    exclude: Sequence[str] | None = None
    gitignore: bool | None = None
    max_file_size: int | str | None = None
    keep: Sequence[str] | None = None
    skeleton: bool | None = None
    parts: int | None = None
    split: bool | None = None
    allow_secrets: bool | None = None
    history: bool | None = None
    cache: bool | None = None
    cache_dir: str | os.PathLike[str] | None = None
    jobs: int | None = None
    config: str | os.PathLike[str] | None = None  # the config file; None: the root's
    query: str | None = None
    focus: Sequence[str] = ()
    diff: str | None = None
    staged: bool = False

    def __post_init__(self) -> None:
        for name in ("include", "exclude", "keep", "focus"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            # Anything but strings stays as given, for `resolve` to name it in its error.
            elif (
                isinstance(value, Sequence)
                and not isinstance(value, tuple)
                and all(isinstance(v, str) for v in value)
            ):
                object.__setattr__(self, name, tuple(value))


@dataclass(frozen=True)
class PackConfig:
    """Every option of a pack, resolved. Stages receive the parts they need."""

    target: Target
    budget: int | None  # None: no budget (pack everything)
    encoding: str = "o200k_base"
    format: str = "xml"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    use_gitignore: bool = True
    max_file_size: int | None = 1_000_000
    keep: frozenset[str] = frozenset()
    skeleton: bool = False
    auto: bool = False  # target "auto": codex if what the task needs fits, else api, else split
    ladder: tuple[Target, ...] = ()  # the targets "auto" tries, smallest first
    parts: int | None = None  # None: one pack; 0: as many parts as needed (--split); N: N parts
    weights: tuple[tuple[str, float], ...] = ()  # ranking weights overriding RankWeights
    allow_secrets: bool = False  # write secrets found in packed files as they are (else redacted)
    history: bool = True  # rank with git history (off: the output depends on file contents only)
    cache: bool = True  # reuse counts, scans and parses of unchanged files (`packer.cache`)
    cache_dir: str | None = None  # None: PACKER_CACHE_DIR, else the user cache directory
    jobs: int | None = None  # worker processes; None: one per core when the work is large, 1: none
    config_files: tuple[str, ...] = field(default=())
    warnings: tuple[str, ...] = ()  # config values that were adjusted (a clamped jobs)


_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000}
_SIZE_SUFFIX = {
    "": 1,
    "b": 1,
    "k": 1_000,
    "kb": 1_000,
    "m": 1_000_000,
    "mb": 1_000_000,
    "kib": 1024,
    "mib": 1024 * 1024,
    "g": 10**9,
    "gb": 10**9,
}


def parse_budget(value: object) -> int | None:
    """`200k`, `1m`, `1.5m`, `350000`, `350_000` -> tokens; `none` -> no budget."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"invalid budget {value!r}: use a token count like 200k, 1m or 350000")
    if isinstance(value, int):
        n = value
    else:
        text = str(value).strip().lower().replace("_", "").replace(",", "")
        if text in ("none", "unlimited"):
            return None
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([km]?)", text)
        if not m:
            raise ConfigError(f"invalid budget {value!r}: use a token count like 200k, 1m or 350000, or none")
        n = int(float(m.group(1)) * _SUFFIX[m.group(2)])
    if n <= 0:
        raise ConfigError(f"invalid budget {value!r}: it must be positive (or none)")
    return n


def parse_size(value: object) -> int | None:
    """`1mb`, `500k`, `2MiB`, `1048576` -> bytes; `none`/`0` -> no limit."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value or None
    text = str(value).strip().lower().replace("_", "")
    if text in ("none", "0", "unlimited"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text)
    if not m or m.group(2) not in _SIZE_SUFFIX:
        raise ConfigError(f"invalid size {value!r}: use bytes or a size like 500k, 1mb, 2mib")
    return int(float(m.group(1)) * _SIZE_SUFFIX[m.group(2)])


# Config-file keys and the type each must have.
_KEYS: dict[str, tuple[type, ...]] = {
    "budget": (int, str),
    "target": (str,),
    "reserve": (int,),
    "encoding": (str,),
    "format": (str,),
    "include": (list,),
    "exclude": (list,),
    "gitignore": (bool,),
    "max_file_size": (int, str),
    "keep": (list,),
    "skeleton": (bool,),
    "parts": (int,),
    "split": (bool,),
    "weights": (dict,),
    "history": (bool,),
    "cache": (bool,),
    "jobs": (int,),
    "models": (dict,),  # [tool.packer.models.NAME]: models for `packer review` (packer.prices)
    "targets": (dict,),
}
_TARGET_KEYS = {"window": int, "headroom": int, "reserve": int, "encoding": str, "model": str}
# Keys that would loosen safety or spend the user's money: never from a repository's config.
_NOT_IN_REPO = {
    "allow_secrets": "pass --allow-secrets on the command line (allow_secrets=True in the library) "
    "instead: a repository's config cannot turn redaction off",
    "max_cost": "set it with --max-cost, or as max_cost under [review] in your user config",
    "base_url": "set it with --base-url or OPENAI_BASE_URL, or under [review] in your user config",
    "api_key_env": "set it with --api-key-env, or under [review] in your user config",
    "review": "[review] settings belong in your user config",
}


def load_config_files(root: Path, config_file: Path | None = None) -> tuple[dict[str, Any], list[str]]:
    """The merged `[tool.packer]` / `.packer.toml` settings found for `root`."""
    sources: list[tuple[Path, bool]] = []
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file {config_file} does not exist; check --config")
        sources.append((config_file, config_file.name == "pyproject.toml"))
    else:
        sources += [(root / "pyproject.toml", True), (root / ".packer.toml", False)]
    merged: dict[str, Any] = {}
    used: list[str] = []
    for path, is_pyproject in sources:
        if not path.is_file():
            continue
        try:
            with path.open("rb") as f:
                data = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}; fix the TOML syntax") from exc
        section = data.get("tool", {}).get("packer") if is_pyproject else data
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [tool.packer] must be a table")
        _check_keys(section, path)
        merged.update(section)
        used.append(str(path))
    return merged, used


@dataclass(frozen=True)
class UserConfig:
    """The user's own settings: trusted, unlike a repository's config.

    ```toml
    [review]
    max_cost = 5.0                 # USD; the cap when --max-cost is not given
    base_url = "https://..."       # an OpenAI-compatible endpoint
    api_key_env = "MY_OPENAI_KEY"  # the variable holding the key
    [models.my-model]              # models, any price (the repository's floor does not apply)
    window = 128000
    max_output = 8000
    input_price = 0.5
    output_price = 1.5
    ```
    """

    path: str | None = None  # the file read; None when there is none
    max_cost: float | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    models: dict[str, dict[str, Any]] = field(default_factory=dict)


_USER_REVIEW_KEYS: dict[str, tuple[type, ...]] = {
    "max_cost": (int, float),
    "base_url": (str,),
    "api_key_env": (str,),
}


def user_config_path() -> Path:
    """`$PACKER_CONFIG`, else `$XDG_CONFIG_HOME/packer/config.toml`, else `~/.config/packer/config.toml`."""
    named = os.environ.get("PACKER_CONFIG")
    if named:
        return Path(named).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".config"
    return base / "packer" / "config.toml"


def load_user_config() -> UserConfig:
    """The user's config file (`user_config_path`), or an empty one when there is none."""
    path = user_config_path()
    if not path.is_file():
        if os.environ.get("PACKER_CONFIG"):
            raise ConfigError(f"PACKER_CONFIG names {path}, which is not a file; fix or unset it")
        return UserConfig()
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read user config {path}: {exc}; fix the TOML syntax") from exc
    unknown = sorted(set(data) - {"review", "models"})
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r}; known keys: models, review")
    review = data.get("review", {})
    models = data.get("models", {})
    if not isinstance(review, dict) or not isinstance(models, dict):
        raise ConfigError(f"{path}: [review] and [models] must be tables")
    for key, value in review.items():
        kinds = _USER_REVIEW_KEYS.get(key)
        if kinds is None:
            raise ConfigError(f"{path}: unknown key review.{key}; known keys: {', '.join(_USER_REVIEW_KEYS)}")
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise ConfigError(
                f"{path}: review.{key} must be {' or '.join(k.__name__ for k in kinds)}, not {value!r}"
            )
    if not math.isfinite(review.get("max_cost", 0)) or review.get("max_cost", 0) < 0:
        raise ConfigError(f"{path}: review.max_cost must be a number of dollars, 0 or more")
    cost = review.get("max_cost")
    return UserConfig(
        path=str(path),
        max_cost=float(cost) if cost is not None else None,
        base_url=review.get("base_url"),
        api_key_env=review.get("api_key_env"),
        models=models,
    )


def _check_keys(section: Mapping[str, Any], path: Path) -> None:
    where = f"{path}" + (" [tool.packer]" if path.name == "pyproject.toml" else "")
    for key, value in section.items():
        if key in _NOT_IN_REPO:
            raise ConfigError(
                f"{where}: {key!r} cannot be set in a repository's config; "
                f"{_NOT_IN_REPO[key]} ({user_config_path()})"
            )
        kinds = _KEYS.get(key)
        if kinds is None:
            raise ConfigError(f"{where}: unknown key {key!r}; known keys: {', '.join(sorted(_KEYS))}")
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise ConfigError(f"{where}: key {key!r} must be {names}, not {value!r}")
    keep = section.get("keep", ())
    if isinstance(keep, list) and "secrets-file" in keep:
        raise ConfigError(
            f"{where}: keep 'secrets-file' cannot be set in a repository's config; pass "
            "--keep secrets-file on the command line: a repository cannot ship its "
            "credential files into a pack"
        )
    _check_prices(section.get("models", {}), where)
    for name, spec in section.get("targets", {}).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: targets.{name} must be a table")
        for key, value in spec.items():
            kind = _TARGET_KEYS.get(key)
            if kind is None:
                raise ConfigError(
                    f"{where}: unknown key targets.{name}.{key}; known keys: {', '.join(_TARGET_KEYS)}"
                )
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(f"{where}: targets.{name}.{key} must be {kind.__name__}, not {value!r}")


def _check_prices(models: Mapping[str, Any], where: str) -> None:
    """A repository may raise a known model's cost fields or declare new models, never lower
    one: a price of 0 (or an image at no tokens) would let any review pass the cost cap."""
    from packer.prices import COST_FIELDS, MODELS

    for name, spec in models.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: models.{name} must be a table")
        base = MODELS.get(name)
        for key, value in spec.items():
            if isinstance(value, float) and not math.isfinite(value):  # nan passes every comparison
                raise ConfigError(f"{where}: models.{name}.{key} = {value} is not a number; remove it")
        if base is not None and spec.get("image_rule", base.image_rule) != base.image_rule:
            raise ConfigError(
                f"{where}: models.{name}.image_rule cannot be set in a repository's config: it "
                f"decides what an image costs (set it in {user_config_path()})"
            )
        for key in COST_FIELDS:
            value = spec.get(key)
            if base is None or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            floor = float(getattr(base, key))
            if value < floor:
                raise ConfigError(
                    f"{where}: models.{name}.{key} = {value} is below the built-in "
                    + (f"price ${floor:g} per 1M tokens" if key.endswith("_price") else f"{floor:g}")
                    + "; a repository's config may raise what a review costs, not lower it "
                    f"(remove the key, or set your own prices in {user_config_path()})"
                )


def resolve(root: Path, options: Options) -> PackConfig:
    """Merge defaults < config files < options (the fields the caller gave, not None).

    A bad value that comes from a config file is an error naming the file."""
    files, used = load_config_files(root, Path(options.config) if options.config else None)
    try:
        return _resolve(options, files, used)
    except ConfigError as exc:
        if not used or any(u in str(exc) for u in used):
            raise
        try:  # the same error from the files alone: theirs
            _resolve(Options(config=options.config), files, used)
        except ConfigError as again:
            if str(again) == str(exc):
                raise ConfigError(f"{', '.join(used)}: {exc}") from exc
        raise


def _resolve(options: Options, files: Mapping[str, Any], used: Sequence[str]) -> PackConfig:
    target, ladder = _target(options, files, _targets(files, used))
    encoding = _given(options.encoding, files, "encoding", target.encoding)
    if encoding not in ENCODINGS:
        raise ConfigError(f"unknown encoding {encoding!r}; use one of: {', '.join(ENCODINGS)}")
    budget = _budget(options, files, target)
    fmt = _given(options.format, files, "format", "xml")
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    keep = _keep(_given(options.keep, files, "keep", ()))
    jobs, notes = _clamped_jobs(options.jobs, files, used)
    parts = _parts(_given(options.parts, files, "parts"), _given(options.split, files, "split"))
    if parts is not None and budget is None:
        raise ConfigError("a split pack needs a budget per part; drop budget 'none' or --parts/--split")
    return PackConfig(
        target=target,
        budget=budget,
        encoding=encoding,
        format=fmt,
        include=tuple(_str_list(_given(options.include, files, "include", ()), "include")),
        exclude=tuple(_str_list(_given(options.exclude, files, "exclude", ()), "exclude")),
        use_gitignore=bool(_given(options.gitignore, files, "gitignore", True)),
        max_file_size=parse_size(_given(options.max_file_size, files, "max_file_size", 1_000_000)),
        keep=keep,
        skeleton=bool(_given(options.skeleton, files, "skeleton", False)),
        auto=bool(ladder),
        ladder=ladder,
        parts=parts,
        weights=_weights(files.get("weights", {}), used),
        allow_secrets=bool(options.allow_secrets),  # never from a repository's config
        history=bool(_given(options.history, files, "history", True)),
        cache=bool(_given(options.cache, files, "cache", True)),
        cache_dir=_cache_dir(options.cache_dir),  # not a config key
        jobs=jobs,
        config_files=tuple(used),
        warnings=tuple(notes),
    )


def _given(value: object, files: Mapping[str, Any], key: str, default: object = None) -> Any:
    """The caller's value, else the config files' `key`, else the default."""
    return files.get(key, default) if value is None else value


def _targets(files: Mapping[str, Any], used: Sequence[str]) -> dict[str, Target]:
    """The built-in targets, with the config's `[targets.NAME]` tables over them."""
    targets = dict(TARGETS)
    for name, spec in files.get("targets", {}).items():
        base = targets.get(name, Target(name, window=0))
        targets[name] = replace(base, name=name, **spec)
        if targets[name].window <= 0:
            raise ConfigError(f"targets.{name}: set a positive window in {', '.join(used)}")
    return targets


def _target(
    options: Options, files: Mapping[str, Any], targets: dict[str, Target]
) -> tuple[Target, tuple[Target, ...]]:
    """The target named (default codex) with the reserve applied, and the ladder of "auto"
    (empty for any other target)."""
    name = _given(options.target, files, "target", "codex")
    auto = name == "auto"
    if options.api_window is not None:
        if options.api_window <= 0:
            raise ConfigError(f"invalid api_window {options.api_window!r}: it must be positive")
        # The model's window, unless the config's own api window is smaller (a tighter cap).
        configured = files.get("targets", {}).get("api", {}).get("window")
        window = min(configured, options.api_window) if configured else options.api_window
        targets = {**targets, "api": replace(targets["api"], window=window)}
    if auto:
        if options.budget is not None or "budget" in files:
            raise ConfigError(
                "--target auto chooses the budget itself; drop --budget (or the "
                "config's budget), or name a target"
            )
        name = "codex"
    if name not in targets:
        raise ConfigError(f"unknown target {name!r}; use one of: {', '.join(sorted([*targets, 'auto']))}")
    target = targets[name]
    reserve = _given(options.reserve, files, "reserve")
    if reserve is not None:
        if reserve < 0:
            raise ConfigError(f"invalid reserve {reserve!r}: it must be 0 or more")
        if auto:  # the reserve is the API window's; codex keeps its headroom
            targets = {**targets, "api": replace(targets["api"], reserve=int(reserve))}
        else:
            target = replace(target, reserve=int(reserve))
    if auto and options.api_window is not None and targets["codex"].budget > targets["api"].budget:
        # A model whose window is smaller than codex's pack: codex's rung is capped to it,
        # else auto would pick a pack the model cannot take.
        codex = targets["codex"]
        headroom = codex.window - codex.reserve - max(targets["api"].budget, 0)
        targets = {**targets, "codex": replace(codex, headroom=headroom)}
    return target, (targets["codex"], targets["api"]) if auto else ()


def _budget(options: Options, files: Mapping[str, Any], target: Target) -> int | None:
    """The budget given (by the caller or the config), else the target's."""
    if options.budget is not None or "budget" in files:
        return parse_budget(_given(options.budget, files, "budget"))
    if target.budget <= 0:
        raise ConfigError(
            f"target {target.name!r} leaves no budget (window {target.window:,} minus "
            f"headroom and reserve); lower --reserve or pass --budget"
        )
    return target.budget


def _keep(value: object) -> frozenset[str]:
    keep = frozenset(_str_list(value, "keep"))
    bad = keep - set(KEEP_KINDS)
    if bad:
        raise ConfigError(f"unknown keep kind {sorted(bad)[0]!r}; use any of: {', '.join(KEEP_KINDS)}")
    return keep


def _clamped_jobs(
    given: int | None, files: Mapping[str, Any], used: Sequence[str]
) -> tuple[int | None, list[str]]:
    """The worker processes, and a note when the config asked for more than the machine's
    cores (a repository's config may not; the caller may)."""
    jobs = _jobs(_given(given, files, "jobs"))
    cores = os.cpu_count() or 1
    if given is None and jobs is not None and jobs > cores:
        note = (
            f"jobs = {jobs} in {', '.join(used)} is more than this machine's {cores} core(s): using {cores}"
        )
        return cores, [note]
    return jobs, []


def _cache_dir(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ConfigError(f"invalid cache_dir {value!r}: give a directory path")
    return os.fspath(value)


def _jobs(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"invalid jobs {value!r}: give the number of worker processes, 1 or more")
    return value


def _parts(n: object, split: object) -> int | None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ConfigError(f"invalid parts {n!r}: give the number of parts, 1 or more")
    if split:
        if n is not None:
            raise ConfigError("give --parts N or --split, not both")
        return 0
    return n


def _weights(spec: object, used: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """`[tool.packer.weights]`: ranking weights, checked by RankWeights itself."""
    from packer.records import RankWeights

    where = ", ".join(used) or "weights"
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: weights must be a table of numbers")
    RankWeights.from_config(spec, source=f"{where} [weights]")
    return tuple(sorted((str(k), float(v)) for k, v in spec.items()))


def _str_list(value: object, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings, not {value!r}")
    return list(value)
