import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from packer import tokens
from packer.errors import EncodingError
from packer.tokens import VOCABS, Counter


def test_known_ids_match_openai():
    # Published token ids, independent of how the vocabulary was loaded.
    assert Counter("o200k_base").encode("hello world") == [24912, 2375]
    assert Counter("cl100k_base").encode("hello world") == [15339, 1917]


def test_special_token_text_is_ordinary_text():
    c = Counter()
    text = "a <|endoftext|> b <|endofprompt|>"
    ids = c.encode(text)
    assert 199999 not in ids and 200018 not in ids
    assert c.decode(ids) == text
    assert c.count(text) == len(ids) > 4


def test_pattern_and_specials_equal_tiktokens_own(monkeypatch):
    import tiktoken_ext.openai_public as op

    monkeypatch.setattr(op, "load_tiktoken_bpe", lambda *a, **k: {})
    for name, ctor in (("o200k_base", op.o200k_base), ("cl100k_base", op.cl100k_base)):
        theirs = ctor()
        assert theirs["pat_str"] == VOCABS[name].pat_str
        assert theirs["special_tokens"] == VOCABS[name].special_tokens


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_token_sizes_are_each_tokens_bytes_and_the_python_ranks_are_let_go(name):
    enc = tokens.get_encoding(name)
    sizes = tokens.token_sizes(name)
    assert len(sizes) == enc.max_token_value + 1
    special = set(VOCABS[name].special_tokens.values())
    for i in range(len(sizes)):
        if i in special:
            assert sizes[i] == 0
        else:
            try:
                assert sizes[i] == len(enc.decode_single_token_bytes(i)), i
            except KeyError:  # an id no token has (cl100k_base skips a few)
                assert sizes[i] == 0
    # tiktoken's own copy of the ranks (kept only to pickle the Encoding) is emptied: its
    # Rust core encodes and decodes from its own maps, ~45 MB less in every process
    assert not enc._mergeable_ranks
    text = "def parse(x):\n    return x + 1  # ünïcode ✓\n"
    assert enc.decode(enc.encode_ordinary(text)) == text
    assert sum(sizes[t] for t in enc.encode_ordinary(text)) == len(text.encode())


def test_unknown_encoding_is_a_clear_error():
    with pytest.raises(EncodingError, match=r"unknown encoding 'p50k'.*o200k_base"):
        tokens.get_encoding("p50k")


def test_valid_tiktoken_cache_is_used_and_corrupt_one_ignored(tmp_path, monkeypatch):
    spec = VOCABS["cl100k_base"]
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    key = tmp_path / hashlib.sha1(spec.url.encode()).hexdigest()
    bundled = gzip.decompress(
        (tokens.resources.files("packer") / "vocab" / "cl100k_base.tiktoken.gz").read_bytes()
    )
    key.write_bytes(bundled)
    data, source = tokens.load_vocab_bytes(spec)
    assert source == str(key) and hashlib.sha256(data).hexdigest() == spec.sha256
    key.write_bytes(bundled[:-100])  # truncated: fails the sha256, so not trusted
    data, source = tokens.load_vocab_bytes(spec)
    assert source != str(key) and hashlib.sha256(data).hexdigest() == spec.sha256


@pytest.mark.parametrize("name", list(VOCABS))
def test_the_shipped_ranks_are_the_published_vocabulary_packed(name):
    # The pickled ranks a run loads are trusted by their own sha256; this holds them to the
    # published file (itself held to the sha256 tiktoken expects).
    spec = VOCABS[name]
    shipped = (tokens.resources.files("packer") / "vocab" / f"{name}.ranks.pickle").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == spec.ranks_sha256
    published, _ = tokens.load_vocab_bytes(spec)
    assert tokens.pack_ranks(published) == shipped
    ranks, lengths = tokens.load_ranks(spec)
    assert ranks == tokens._parse_ranks(published)
    assert lengths == [len(t) for t in sorted(ranks, key=ranks.__getitem__)]


def test_shipped_ranks_that_fail_their_check_are_not_loaded():
    from dataclasses import replace

    spec = replace(VOCABS["cl100k_base"], ranks_sha256="0" * 64)  # as if the file were altered
    assert tokens._bundled_ranks(VOCABS["cl100k_base"]) is not None
    assert tokens._bundled_ranks(spec) is None
    ranks, lengths = tokens.load_ranks(spec)  # from the published file instead
    published, _ = tokens.load_vocab_bytes(spec)
    assert ranks == tokens._parse_ranks(published) and len(lengths) == len(ranks)
    with pytest.raises(ValueError, match="not in order"):
        tokens.pack_ranks(b"YQ== 1\nYg== 0\n")  # ranks out of order: no such file is made


_OFFLINE = textwrap.dedent(
    """
    import socket, sys
    def refuse(*a, **k):
        raise OSError("network disabled by test")
    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    from packer.tokens import Counter
    print(Counter("o200k_base").count("def f(x):\\n    return x  # <|endoftext|>\\n"))
    print(Counter("cl100k_base").count("hello world"))
    """
)


def _expected() -> str:
    return (
        f"{Counter('o200k_base').count('def f(x):' + chr(10) + '    return x  # <|endoftext|>' + chr(10))}\n"
        f"{Counter('cl100k_base').count('hello world')}\n"
    )


def test_counts_with_network_refused_and_empty_cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache), "HTTPS_PROXY": "http://127.0.0.1:9"}
    out = subprocess.run(
        [sys.executable, "-c", _OFFLINE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == _expected()
    assert list(cache.iterdir()) == []  # nothing downloaded, nothing cached


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_counts_in_a_network_namespace_with_no_network(tmp_path):
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged network namespaces are not available here")
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path)}
    out = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", _OFFLINE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == _expected()


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_a_text_counts_as_its_pieces_cut_at_safe_positions(encoding):
    """At every safe position (`tokens.SAFE_CUT`) of adversarial text the two sides'
    counts add up to the whole's; a whole pack counted in pieces on threads is counted
    exactly, and a text with no safe position is counted whole."""
    import random

    pieces = ["\n", "\n\n", " ", "  ", "\t", "\r\n", "/", "//", "}\n/*", "a", "Ab", "ABC", "'s", "é", "1234"]
    pieces += ["\u00a0", "\u3000", "\u2028", "\x85", " \n", "\n ", "\n\t/", "'", "\n'", "x\n"]
    pieces += ["日本", "\U0001f600", "\u0301", ".", ":", "\n-", "\n#", "(", ");"]
    rng = random.Random(23)
    counter = Counter(encoding)
    cuts = 0
    for _ in range(150):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 80)))
        whole = counter.count(text)
        for m in tokens.SAFE_CUT.finditer(text):
            assert counter.count(text[: m.end()]) + counter.count(text[m.end() :]) == whole, (text, m.end())
            cuts += 1
        for parts in (2, 3, 5):
            assert counter.count_long(text, parts) == whole
    assert cuts > 1000
    code = textwrap.dedent(
        """\
        def f(x):
            return x  # a comment
        /* c */
        """
    )
    assert counter.count_long(code * 5000, 2) == counter.count(code * 5000)
    assert counter.count_long("\n \n\t" * 1000, 2) == counter.count("\n \n\t" * 1000)  # no cut
