"""Models a review can be sent to: window, encoding, output limit, prices, image rule and
reasoning settings.

Prices are USD per million tokens, as published; a request's cost estimate is its
exact input tokens at the input price plus `max_output_tokens` at the output price
(an upper bound: the answer may be shorter, and reasoning tokens are output tokens within
that limit). The Batch API bills at `batch_factor` of those prices (half, as OpenAI
publishes for every model). More models can be declared in config
(`[tool.packer.models.NAME]` with the same fields). A repository's config may raise a
cost field (`COST_FIELDS`), never lower one below this table (`packer.config` checks);
the user's own config (`[models.NAME]`) may set any, and a repository cannot go below
that either.

Images are input tokens by the model's rule (`image_tokens`), from OpenAI's "Images and
vision" guide, "Calculating costs" (platform.openai.com/docs/guides/images-vision):
- "tiles" (GPT-4o, GPT-4.1, GPT-5 and its successors): `detail` low costs `image_base`
  tokens; high fits the image in 2048 x 2048, then scales it down so that its short side
  is at most 768 px, and costs `image_base` + `image_tile` per 512 px tile covering it.
  The guide's GPT-5 row is base 70, tile 140; gpt-5.5 is priced by that row here.
- "patches" (the mini and nano models): one token per 32 px patch covering the image,
  scaled down to at most `image_patch_cap` patches, times `image_multiplier`.
`auto` detail is counted as high (the estimate is an upper bound).
"""

from __future__ import annotations

import math
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
    batch_factor: float = 0.5  # the Batch API's price, as a fraction of the prices above
    image_rule: str = "tiles"  # "tiles" or "patches" (see the module's docstring)
    image_base: int = 70  # tiles: every image; low detail costs this alone
    image_tile: int = 140  # tiles: each 512 px tile at high detail
    image_patch_cap: int = 1536  # patches: the most 32 px patches an image is scaled to
    image_multiplier: float = 1.0  # patches: tokens per patch
    # Reasoning effort and verbosity the API takes for this model (empty: it takes none, and
    # none is sent); the default is what packer sends when no option is given.
    efforts: tuple[str, ...] = ()
    default_effort: str | None = None
    verbosities: tuple[str, ...] = ()
    default_verbosity: str | None = None

    def cost(self, input_tokens: int, output_tokens: int, *, batch: bool = False) -> float:
        usd = (input_tokens * self.input_price + output_tokens * self.output_price) / 1e6
        return usd * self.batch_factor if batch else usd

    def image_tokens(self, width: int, height: int, detail: str = "high") -> int:
        """The input tokens of one image of `width` x `height` pixels at `detail`."""
        if self.image_rule == "patches":
            return _patch_tokens(width, height, self.image_patch_cap, self.image_multiplier)
        if detail == "low":
            return self.image_base
        return self.image_base + self.image_tile * _tiles(width, height)


def _tiles(width: int, height: int) -> int:
    """512 px tiles covering the image once fitted in 2048 x 2048, short side at most 768."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = int(w * scale), int(h * scale)
    return math.ceil(w / 512) * math.ceil(h / 512)


def _patch_tokens(width: int, height: int, cap: int, multiplier: float) -> int:
    """32 px patches covering the image, scaled down (as the guide shows) to at most `cap`."""
    patches = math.ceil(width / 32) * math.ceil(height / 32)
    if patches > cap:
        shrink = math.sqrt(cap * 32 * 32 / (width * height))
        w, h = width * shrink / 32, height * shrink / 32  # in patches
        shrink *= min(math.floor(w) / w, math.floor(h) / h)  # whole patches along one side
        patches = min(cap, math.ceil(width * shrink / 32) * math.ceil(height * shrink / 32))
    return math.ceil(patches * multiplier)


VERBOSITIES = ("low", "medium", "high")
MODELS: dict[str, Model] = {
    "gpt-5.5": Model(
        "gpt-5.5",
        window=1_000_000,
        max_output=128_000,
        input_price=5.0,
        output_price=30.0,
        efforts=("none", "low", "medium", "high", "xhigh"),
        default_effort="medium",
        verbosities=VERBOSITIES,
        default_verbosity="medium",
    ),
    # The pro model thinks longer on every request: it takes no low or none effort.
    "gpt-5.5-pro": Model(
        "gpt-5.5-pro",
        window=1_000_000,
        max_output=128_000,
        input_price=30.0,
        output_price=180.0,
        efforts=("medium", "high", "xhigh"),
        default_effort="high",
        verbosities=VERBOSITIES,
        default_verbosity="medium",
    ),
}
DEFAULT_MODEL = "gpt-5.5"
# What lowers an estimate: a repository's config may raise these, never lower them.
COST_FIELDS = (
    "input_price",
    "output_price",
    "batch_factor",
    "image_base",
    "image_tile",
    "image_patch_cap",
    "image_multiplier",
)
# Fields that must be above 0 (a divisor, a window), and those that may be 0 but not less.
_POSITIVE = ("window", "max_output", "image_patch_cap", "image_multiplier", "batch_factor")
_NOT_NEGATIVE = ("input_price", "output_price", "image_base", "image_tile")
_NUMBER = (int, float)
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "window": int,
    "max_output": int,
    "input_price": _NUMBER,
    "output_price": _NUMBER,
    "encoding": str,
    "batch_factor": _NUMBER,
    "image_rule": str,
    "image_base": int,
    "image_tile": int,
    "image_patch_cap": int,
    "image_multiplier": _NUMBER,
    "efforts": list,
    "default_effort": str,
    "verbosities": list,
    "default_verbosity": str,
}
_REQUIRED = ("window", "max_output", "input_price", "output_price")


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
        spec[key] = _checked(name, key, value)
    if base is None:
        missing = sorted(set(_REQUIRED) - set(spec))
        if missing:
            raise ConfigError(f"models.{name}: set {', '.join(missing)}")
        model = Model(name=name, **spec)
    else:
        model = Model(**{**base.__dict__, **spec})
    return _consistent(model)


def _checked(name: str, key: str, value: Any) -> Any:
    """A declared field's value, lists as tuples; a ConfigError naming the key otherwise."""
    kind = _FIELDS.get(key)
    if kind is None:
        raise ConfigError(f"models.{name}.{key}: unknown key; known keys: {', '.join(_FIELDS)}")
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if kind is list:
        ok = ok and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    if not ok:
        names: dict[object, str] = {list: "a list of strings", str: "a string", int: "an integer"}
        what = names.get(kind, "a number")
        raise ConfigError(f"models.{name}.{key}: expected {what}, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):  # nan passes every comparison
        raise ConfigError(f"models.{name}.{key}: expected a finite number, not {value!r}")
    if (key in _POSITIVE and value <= 0) or (key in _NOT_NEGATIVE and value < 0):
        least = "above 0" if key in _POSITIVE else "0 or more"
        raise ConfigError(f"models.{name}.{key}: expected a number {least}, not {value!r}")
    return value


def _consistent(m: Model) -> Model:
    """The fields that must agree with each other do, else a ConfigError naming the model."""
    if m.image_rule not in ("tiles", "patches"):
        raise ConfigError(f"models.{m.name}.image_rule: use tiles or patches, not {m.image_rule!r}")
    if not 0 < m.batch_factor <= 1:
        raise ConfigError(f"models.{m.name}.batch_factor: a fraction in (0, 1], not {m.batch_factor!r}")
    for default, allowed, what in (
        (m.default_effort, m.efforts, "effort"),
        (m.default_verbosity, m.verbosities, "verbosity"),
    ):
        if default is not None and default not in allowed:
            raise ConfigError(
                f"models.{m.name}.default_{what}: {default!r} is not one of its "
                f"{'efforts' if what == 'effort' else 'verbosities'} ({', '.join(allowed) or 'none'})"
            )
    return m


def merge_declared(
    user: Mapping[str, Mapping[str, Any]], repo: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Models declared by the user, then by the repository; a repository's cost field below
    the user's own is ignored (a repository can only make the estimate larger)."""
    merged = {name: dict(spec) for name, spec in user.items()}
    for name, spec in repo.items():
        mine = merged.setdefault(name, {})
        for key, value in spec.items():
            floor = mine.get(key)
            if key == "image_rule" and floor is not None:
                continue  # the user's rule decides what an image costs: not the repository's
            if (
                key in COST_FIELDS
                and isinstance(floor, (int, float))
                and isinstance(value, (int, float))
                and value < floor
            ):
                continue
            mine[key] = value
    return merged
