"""packer: pack a large codebase into a model's context window, exactly counted.

The public surface is small: `pack`, `chunk`, `stats`, `review` (with `plan_review` and
`send_review`), the `Options` record they take, their result records and the error base.
The library never prints or exits; progress comes through an optional callback.
`import packer` is light: tiktoken, tree-sitter and openai load only when a function
that needs them runs.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from packer.errors import PackerError
from packer.records import PACKER_VERSION as __version__
from packer.records import Chunk, Decision, PackResult, Part, Secret, Skip

if TYPE_CHECKING:
    from packer.chunker import chunk
    from packer.config import Options, PackConfig, Target
    from packer.pipeline import pack
    from packer.review import ReviewPlan, ReviewResult, plan_review, review, send_review
    from packer.stats import StatsResult, stats

__all__ = [
    "Chunk",
    "Decision",
    "Options",
    "PackConfig",
    "PackResult",
    "PackerError",
    "Part",
    "ReviewPlan",
    "ReviewResult",
    "Secret",
    "Skip",
    "StatsResult",
    "Target",
    "__version__",
    "chunk",
    "pack",
    "plan_review",
    "review",
    "send_review",
    "stats",
]

_LAZY = {
    "pack": "packer.pipeline",
    "chunk": "packer.chunker",
    "stats": "packer.stats",
    "StatsResult": "packer.stats",
    "Options": "packer.config",
    "PackConfig": "packer.config",
    "Target": "packer.config",
    "review": "packer.review",
    "plan_review": "packer.review",
    "send_review": "packer.review",
    "ReviewPlan": "packer.review",
    "ReviewResult": "packer.review",
}


def __getattr__(name: str) -> Any:
    # Lazy so `import packer` stays light (tiktoken loads only when a pack runs).
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'packer' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


class _Package(types.ModuleType):
    """`packer.review` and `packer.stats` name both a function and the module holding it.

    Importing a submodule binds it on its package (`packer.review = <module>`), which would
    hide the function for good. The package keeps the function: a module bound under a
    public function's name is not stored, so `__getattr__` answers. Inside packer, import
    from the module (`from packer.review import plan_review`), never `import packer.review as`.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
