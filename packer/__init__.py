"""packer: pack a large codebase into a model's context window, exactly counted.

The public surface is small: `pack`, `stats`, the result records and the error base.
The library never prints or exits; progress comes through an optional callback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from packer.errors import PackerError
from packer.records import Chunk, Decision, PackResult, Skip

if TYPE_CHECKING:
    from packer.chunker import chunk
    from packer.pipeline import pack
    from packer.tally import StatsResult, stats

__all__ = ["Chunk", "Decision", "PackResult", "PackerError", "Skip", "StatsResult", "__version__",
           "chunk", "pack", "stats"]


def __getattr__(name: str) -> Any:
    # Lazy so `import packer` stays light (tiktoken loads only when a pack runs).
    if name == "pack":
        from packer.pipeline import pack

        return pack
    if name == "chunk":
        from packer.chunker import chunk

        return chunk
    if name in ("stats", "StatsResult"):
        from packer import tally as _stats

        return getattr(_stats, name)
    raise AttributeError(f"module 'packer' has no attribute {name!r}")
