"""packer: pack a large codebase into a model's context window, exactly counted.

The public surface is small: `pack`, `chunk`, `stats`, `review` (with `plan_review` and
`send_review`), their result records and the error base. The library never prints or
exits; progress comes through an optional callback. `import packer` is light: tiktoken,
tree-sitter and openai load only when a function that needs them runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from packer.errors import PackerError
from packer.records import Chunk, Decision, PackResult, Part, Secret, Skip

if TYPE_CHECKING:
    from packer.chunker import chunk
    from packer.config import PackConfig, Target
    from packer.pipeline import pack
    from packer.submit import ReviewPlan, ReviewResult, plan_review, review, send_review
    from packer.tally import StatsResult, stats

__all__ = ["Chunk", "Decision", "PackConfig", "PackResult", "PackerError", "Part", "ReviewPlan",
           "ReviewResult", "Secret", "Skip", "StatsResult", "Target", "__version__", "chunk", "pack",
           "plan_review", "review", "send_review", "stats"]

_LAZY = {
    "pack": "packer.pipeline",
    "chunk": "packer.chunker",
    "stats": "packer.tally",
    "StatsResult": "packer.tally",
    "PackConfig": "packer.config",
    "Target": "packer.config",
    "review": "packer.submit",
    "plan_review": "packer.submit",
    "send_review": "packer.submit",
    "ReviewPlan": "packer.submit",
    "ReviewResult": "packer.submit",
}


def __getattr__(name: str) -> Any:
    # Lazy so `import packer` stays light (tiktoken loads only when a pack runs).
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'packer' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
