"""Exact token counting, offline.

tiktoken is the engine, but its own loader downloads the vocabulary on first use,
which fails on an air-gapped machine. So the vocabularies ship inside this package
(gzip-compressed, the same files OpenAI publishes) and are loaded from, in order:

1. tiktoken's cache (`TIKTOKEN_CACHE_DIR`, else `DATA_GYM_CACHE_DIR`, else tiktoken's
   default temp folder), when it holds the file with the right sha256;
2. the copy bundled in `packer/vocab/`.

Either way the bytes are checked against the sha256 tiktoken itself expects, and a
mismatch is an error: counts are never silently estimated.

Parsing a file's 200K base64 lines takes 0.2 s, with the GIL, on every run. So each
vocabulary also ships as the ranks dict pickled (`NAME.ranks.pickle`, `pack_ranks` of the
published file; a test checks it still is), checked against its own sha256 and loaded in a
fifth of that time. If that copy is missing or fails its check, the published file is read.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import itertools
import os
import pickle
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources

import tiktoken

from packer.errors import EncodingError

# Pattern and special tokens as in tiktoken_ext/openai_public.py (MIT). A test checks
# they still equal tiktoken's own definitions.
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)


@dataclass(frozen=True)
class VocabSpec:
    name: str
    url: str  # tiktoken's download address: its cache is keyed by sha1 of this
    sha256: str
    ranks_sha256: str  # of `NAME.ranks.pickle`: `pack_ranks` of the published file
    pat_str: str
    special_tokens: dict[str, int]


VOCABS: dict[str, VocabSpec] = {
    "o200k_base": VocabSpec(
        name="o200k_base",
        url="https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        ranks_sha256="4e362c23b38cc503499f84a366758c43c3a05d7af0025d03f724b65736e24ca7",
        pat_str=_O200K_PAT,
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": VocabSpec(
        name="cl100k_base",
        url="https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        ranks_sha256="58b794836343087333beb21952dd8145732ea81364aeb287af3bba6b38351658",
        pat_str=_CL100K_PAT,
        special_tokens={
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}

ENCODINGS = tuple(VOCABS)


def _tiktoken_cache_path(url: str) -> str | None:
    """Where tiktoken would have cached `url`, following its own rules."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not cache_dir:  # tiktoken treats "" as "caching disabled"
        return None
    return os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())


def load_vocab_bytes(spec: VocabSpec) -> tuple[bytes, str]:
    """The verified vocabulary file and where it came from."""
    cached = _tiktoken_cache_path(spec.url)
    if cached and os.path.isfile(cached):
        try:
            with open(cached, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        if hashlib.sha256(data).hexdigest() == spec.sha256:
            return data, cached
        # A stale or corrupt cache entry is not trusted; the bundled copy is used.
    bundled = resources.files("packer") / "vocab" / f"{spec.name}.tiktoken.gz"
    try:
        data = gzip.decompress(bundled.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise EncodingError(
            f"the bundled {spec.name} vocabulary at {bundled} is unreadable ({exc}); reinstall packer"
        ) from exc
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise EncodingError(
            f"the bundled {spec.name} vocabulary at {bundled} fails its sha256 check; reinstall packer"
        )
    return data, str(bundled)


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    # Same file format tiktoken.load.load_tiktoken_bpe reads: "base64token rank" lines.
    a2b = binascii.a2b_base64  # base64.b64decode's checks cost twice as much
    return {a2b(token): int(rank) for token, rank in (line.split() for line in data.splitlines() if line)}


def pack_ranks(data: bytes) -> bytes:
    """A published vocabulary file's ranks as `NAME.ranks.pickle` holds them: the dict
    tiktoken takes, in rank order, pickled (a format every later Python reads)."""
    ranks = _parse_ranks(data)
    if list(ranks.values()) != list(range(len(ranks))):
        raise ValueError("the ranks are not in order from 0 without a gap")
    return pickle.dumps(ranks, protocol=5)


def _bundled_ranks(spec: VocabSpec) -> tuple[dict[bytes, int], list[int]] | None:
    """The shipped `NAME.ranks.pickle` and each token's length by rank, if the file is
    there and passes its sha256 check (then it is this package's own data to load)."""
    try:
        data = (resources.files("packer") / "vocab" / f"{spec.name}.ranks.pickle").read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != spec.ranks_sha256:
        return None
    ranks = pickle.loads(data)
    return ranks, list(map(len, ranks))  # in rank order (`pack_ranks`)


def load_ranks(spec: VocabSpec) -> tuple[dict[bytes, int], list[int]]:
    """Vocabulary `spec`'s ranks, verified, and each token's byte length by rank."""
    got = _bundled_ranks(spec)
    if got is not None:
        return got
    ranks = _parse_ranks(load_vocab_bytes(spec)[0])
    lengths = [0] * (max(ranks.values()) + 1)
    for token, rank in ranks.items():
        lengths[rank] = len(token)
    return ranks, lengths


_lock = threading.Lock()
_loaded: dict[str, tiktoken.Encoding] = {}
_sizes: dict[str, list[int]] = {}


def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken Encoding for `name`, built offline; cached per process."""
    enc = _loaded.get(name)
    if enc is not None:
        return enc
    spec = VOCABS.get(name)
    if spec is None:
        raise EncodingError(f"unknown encoding {name!r}; use one of: {', '.join(ENCODINGS)}")
    with _lock:
        enc = _loaded.get(name)
        if enc is None:
            ranks, sizes = load_ranks(spec)
            enc = tiktoken.Encoding(
                name, pat_str=spec.pat_str, mergeable_ranks=ranks, special_tokens=spec.special_tokens
            )
            sizes += [0] * (enc.max_token_value + 1 - len(sizes))  # special tokens: 0
            # tiktoken keeps `mergeable_ranks` only to pickle the Encoding, which packer never
            # does (worker processes fork); its Rust core holds its own copy. Emptied, ~45 MB
            # less in this process and every worker forked from it.
            ranks.clear()
            _sizes[name] = sizes
            _loaded[name] = enc  # last: a reader without the lock sees both or neither
    return enc


def token_sizes(name: str) -> list[int]:
    """The byte length of every token of encoding `name`, by id (0 for a special token)."""
    get_encoding(name)
    return _sizes[name]


# A "safe" position for both encodings: right after a newline, before [ \t]* and a
# printable ASCII character, not a "/" right after the newline. No pre-token spans one
# (only whitespace and `[\r\n/]*` tails hold a newline, and the whitespace pieces end at
# the run's last newline), so a text splits into the same tokens at it as the parts on
# either side do alone: its count is their counts' sum (see chunker._Tokens).
_SAFE_AFTER = r"[ \t]+[!-~]|[!-.0-~]"  # what follows the newline
SAFE_CUT = re.compile(rf"\n(?={_SAFE_AFTER})")
SAFE_AFTER_NEWLINE = re.compile(_SAFE_AFTER.encode())  # over bytes, at the position itself


def last_safe_cut(text: str, lo: int, hi: int) -> int:
    """The last safe position in text[lo:hi], else -1."""
    found = -1
    step = 4096
    while hi > lo and found < 0:  # scan backwards a block at a time: the last one is near
        start = max(lo, hi - step)
        for m in SAFE_CUT.finditer(text, start, hi):
            found = m.end()
        hi = start
    return found


class Counter:
    """Counts tokens exactly. Special-token text such as <|endoftext|> is ordinary text."""

    def __init__(self, encoding: str = "o200k_base") -> None:
        self.name = encoding
        self._enc = get_encoding(encoding)

    def count(self, text: str) -> int:
        # encode_ordinary never treats special-token text as special and releases
        # the GIL, so threads count in parallel.
        return len(self._enc.encode_ordinary(text))

    def count_long(self, text: str, parts: int) -> int:
        """`count` of a long text (a whole pack), cut at safe positions into up to `parts`
        pieces counted in threads at once."""
        cuts = [0]
        for k in range(1, parts):
            cut = last_safe_cut(text, cuts[-1] + 1, len(text) * k // parts)
            if cut > cuts[-1]:
                cuts.append(cut)
        cuts.append(len(text))
        if parts < 2 or len(cuts) < 3:
            return self.count(text)
        with ThreadPoolExecutor(len(cuts) - 1) as pool:
            return sum(pool.map(self.count, [text[a:b] for a, b in itertools.pairwise(cuts)]))

    def encode(self, text: str) -> list[int]:
        return self._enc.encode_ordinary(text)

    def decode(self, tokens: list[int]) -> str:
        return self._enc.decode(tokens)
