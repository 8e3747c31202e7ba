"""Models a review can be sent to: window, encoding, output limit and prices.

Prices are USD per million tokens, as published; a request's cost estimate is its
exact input tokens at the input price plus `max_output_tokens` at the output price
(an upper bound: the answer may be shorter). More models can be declared in config
(`[tool.packer.models.NAME]` with the same fields). A repository's config may raise a
price, never lower one below this table (`packer.config` checks); the user's own config
(`[models.NAME]`) may set any price, and a repository cannot go below that either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packer.errors import ConfigError


@dataclass(frozen=True)
class Model:
    name: str
    window: int  # tokens of input and output together
    max_output: int  # the most output tokens one request may ask for
    input_price: float  # USD per 1M input tokens
    output_price: float  # USD per 1M output tokens
    encoding: str = "o200k_base"

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6


MODELS: dict[str, Model] = {
    "gpt-5.5": Model("gpt-5.5", window=1_000_000, max_output=128_000, input_price=5.0, output_price=30.0),
    "gpt-5.5-pro": Model(
        "gpt-5.5-pro", window=1_000_000, max_output=128_000, input_price=30.0, output_price=180.0
    ),
}
DEFAULT_MODEL = "gpt-5.5"
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "window": int,
    "max_output": int,
    "input_price": (int, float),
    "output_price": (int, float),
    "encoding": str,
}


def get_model(name: str, declared: Mapping[str, Mapping[str, Any]] | None = None) -> Model:
    """The model `name` from the table, or as declared in config (which may override it)."""
    spec = dict((declared or {}).get(name, {}))
    base = MODELS.get(name)
    if base is None and not spec:
        known = ", ".join(sorted({*MODELS, *(declared or {})}))
        raise ConfigError(
            f"unknown model {name!r}; use one of: {known}, or declare it under "
            f"[tool.packer.models.{name}] with window, max_output, input_price, output_price"
        )
    for key, value in spec.items():
        kind = _FIELDS.get(key)
        if kind is None or not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(
                f"models.{name}.{key}: expected one of {', '.join(_FIELDS)} with a "
                f"{'number' if key in _FIELDS else 'known key'}, not {value!r}"
            )
    if base is None:
        missing = sorted(set(_FIELDS) - {"encoding"} - set(spec))
        if missing:
            raise ConfigError(f"models.{name}: set {', '.join(missing)}")
        return Model(name=name, **spec)
    return Model(**{**base.__dict__, **spec})


def merge_declared(
    user: Mapping[str, Mapping[str, Any]], repo: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Models declared by the user, then by the repository; a repository's price below the
    user's own is ignored (a repository can only make the estimate larger)."""
    merged = {name: dict(spec) for name, spec in user.items()}
    for name, spec in repo.items():
        mine = merged.setdefault(name, {})
        for key, value in spec.items():
            floor = mine.get(key)
            if (
                key in ("input_price", "output_price")
                and isinstance(floor, (int, float))
                and isinstance(value, (int, float))
                and value < floor
            ):
                continue
            mine[key] = value
    return merged
