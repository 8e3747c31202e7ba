"""Find secrets in text that is about to be packed or sent, and redact them in place.

Detection is detect-secrets' (Yelp): every regex-based detector it ships (AWS, GitHub,
GitLab, Slack, Stripe, Twilio, OpenAI, private keys, basic-auth URLs, JWTs, ...), its
keyword detector (`password = "..."` in the syntax of the file's language) and a
high-entropy check limited to quoted values assigned to a name. Only `analyze_string`
is called, so nothing is ever verified over the network. Patterns for providers it
lacks are added here (`EXTRA`).

A secret's value is replaced by `[REDACTED:<kind>]`; a private key block is replaced
whole, so no line of it survives. Redaction is a pure function of the text: the same
file gives the same output, so token counts made before writing stay exact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from packer.records import Secret

# Providers detect-secrets 1.5 has no detector for, and key shapes it misses.
EXTRA: dict[str, re.Pattern[str]] = {
    "Anthropic API Key": re.compile(r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_\-]{80,}"),
    "OpenAI API Key": re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"),
    "Google API Key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "Hugging Face Token": re.compile(r"\bhf_[A-Za-z]{34}\b"),
    "DigitalOcean Token": re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b"),
    "Azure Connection String": re.compile(r"AccountKey=([A-Za-z0-9+/=]{40,})"),
    "Password In URL": re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@'\"]+:([^\s@/'\"]{3,})@"),
    "Databricks Token": re.compile(r"\bdapi[a-f0-9]{32}\b"),
}
PRIVATE_KEY_BLOCK = re.compile(
    r"-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----.*?(-----END[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.S)
# Lines worth giving the keyword and entropy checks (most lines are not).
_KEYWORDY = re.compile(r"(?i)(pass(word|wd|phrase)?|pwd|secret|token|api[_\-]?key|auth|credential"
                       r"|private[_\-]?key|access[_\-]?key)[\w\-]*['\"]?\s*(:=|=>|=|:)")
_ASSIGNED = re.compile(r"""[\w\-]+['"]?\s*(?::=|=>|=|:)\s*(['"])([A-Za-z0-9+/=_\-.]{24,})\1""")
# The quoted value alone: found in one pass, where `_ASSIGNED` restarts its name at every
# character (most candidate lines have no such value, and are then not tried).
_QUOTED = re.compile(r"""['"][A-Za-z0-9+/=_\-.]{24,}['"]""")
_ENTROPY = 4.5  # bits per character of a base64-alphabet value (random keys: ~5-6)
_NOT_SECRET_NAME = re.compile(r"(?i)(sha\d*|md5|hash|digest|checksum|integrity|uuid|commit|etag|nonce"
                              r"|example|sample|placeholder|fixture)")


_ASSIGN_OP = re.compile(r":=|=>|==|!=|=|:")
# A value that is itself a name mentioning the keyword (a field name, a form key).
_NAME_LIKE = re.compile(r"(?i)[a-z_]*(pass|passwd|password|pwd|secret|token|key|auth)[a-z0-9_]*")


# Files that exist to hold credentials: skipped by default (reason "secrets file"), packed
# redacted only with `keep=["secrets-file"]`. Templates meant to be committed are not.
_SECRETS_FILE = re.compile(
    r"(?i)(?:^|/)(?:"
    r"\.env(?:\.(?!(?:example|sample|template|dist|defaults?)$)[^/]+)?"
    r"|[^/]+\.(?:pem|key|p12|pfx|jks|keystore|ppk|kdbx)"
    r"|id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|[^/]*\.ovpn"
    r"|\.npmrc|\.pypirc|\.netrc|_netrc|\.git-credentials|\.pgpass|\.htpasswd|\.s3cfg|\.boto"
    r"|\.aws/credentials|\.aws/config|\.docker/config\.json|\.kube/config|kubeconfig"
    r"|credentials\.json|client_secrets?\.json|service[-_]account[^/]*\.json|[^/]*firebase-adminsdk[^/]*\.json"
    r"|\.azure/[^/]+\.json|gcloud/[^/]*credentials[^/]*|terraform\.tfvars|[^/]+\.tfstate(?:\.backup)?"
    r")$"
)


def is_secrets_file(path: str) -> bool:
    """Whether `path` (root-relative, "/" separators) names a file made to hold credentials:
    `.env` and `.env.*` (not `.env.example`/`.sample`/`.template`), keys and certificates'
    private halves, SSH identities, package-manager and cloud credential files."""
    return _SECRETS_FILE.search(path) is not None


def _is_sequential(value: str) -> bool:
    from detect_secrets.filters.heuristic import is_sequential_string

    return bool(is_sequential_string(value))


@cache
def _detectors() -> list[tuple[str, Any]]:
    """detect-secrets' regex detectors, as (kind, plugin); the public-IP one is no secret.

    Their `denylist` regexes are run here (not `analyze_line`, which may verify a
    secret over the network), so a match's span is known and can be redacted.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    out = []
    mapping: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
    for kind, cls in sorted(mapping.items()):
        if issubclass(cls, RegexBasedDetector) and "IP" not in kind and "Private Key" not in kind:
            out.append((kind, cls()))
    return out


@cache
def _any_detector() -> re.Pattern[str]:
    """One regex that matches where any detector's (or `EXTRA`'s) regex does."""
    return _combined([r for _, plugin in _detectors() for r in plugin.denylist] + list(EXTRA.values()))


def _combined(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    parts = []
    for rx in patterns:
        flags = ("i" if rx.flags & re.I else "") + ("x" if rx.flags & re.X else "") \
            + ("m" if rx.flags & re.M else "") + ("s" if rx.flags & re.S else "")
        parts.append(f"(?{flags}:{rx.pattern})" if flags else f"(?:{rx.pattern})")
    return re.compile("|".join(parts))


# Python's \s on ASCII text, for RE2 (whose \s lacks \v and \x1c-\x1f).
_ASCII_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f "


def _for_re2(pattern: str) -> str | None:
    r"""An RE2 pattern matching, on ASCII text, wherever `pattern` (Python) matches.

    Lookarounds are dropped (the result only gets looser), `\s` is spelled out and `$`
    may take the final newline, as Python's does. None if the pattern has constructs
    this does not handle (backreferences, verbose whitespace).
    """
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1: i + 2]
            if nxt.isdigit():
                return None  # a backreference
            out.append(_ASCII_SPACE if in_class and nxt == "s" else f"[{_ASCII_SPACE}]" if nxt == "s"
                       else c + nxt)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1: i + 2] == "]":  # "[]...]": a literal "]" first
                out.append("]")
                i += 1
        elif pattern.startswith(("(?<=", "(?<!", "(?=", "(?!"), i):
            i = _group_end(pattern, i)
            continue
        elif c == "$":
            out.append("(?:\\n?$)")
        else:
            out.append(c)
        i += 1
    # RE2 caps a repetition at 1000: a larger one becomes unbounded (looser still).
    return re.sub(r"\{(\d+),(\d+)\}", lambda m: m.group() if int(m.group(2)) <= 1000
                  else "{" + str(min(int(m.group(1)), 1000)) + ",}", "".join(out))


def _group_end(pattern: str, i: int) -> int:
    """The index after the group that opens at `pattern[i]`."""
    depth, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


@cache
def _fast_detector() -> tuple[Any, re.Pattern[str] | None]:
    """For ASCII lines: RE2 over the detectors' regexes it can take (see `_for_re2`), and
    Python's re over the others (None when there are none)."""
    fast: list[str] = []
    slow: list[re.Pattern[str]] = []
    for rx in [r for _, plugin in _detectors() for r in plugin.denylist] + list(EXTRA.values()):
        converted = None if rx.flags & re.X and re.search(r"\s|#", rx.pattern) else _for_re2(rx.pattern)
        flags = ("i" if rx.flags & re.I else "") + ("s" if rx.flags & re.S else "")
        if converted is not None and _FAST is not None:
            converted = f"(?{flags}:{converted})" if flags else f"(?:{converted})"
            try:
                re2.compile(converted, options=_options)
            except re2.error:
                converted = None
        if converted is None or _FAST is None:
            slow.append(rx)
        else:
            fast.append(converted)
    rest = _combined(slow) if slow else None
    return (re2.compile("|".join(fast), options=_options) if fast else None), rest


def _keyword_values(path: str, line: str) -> Iterator[str]:
    from detect_secrets.plugins.keyword import (
        QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
        REGEX_BY_FILETYPE,
        KeywordDetector,
    )
    from detect_secrets.util.filetype import determine_file_type

    groups = REGEX_BY_FILETYPE.get(determine_file_type(path), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)
    for value in KeywordDetector().analyze_string(line, denylist_regex_to_group=groups):
        if value and _plausible(value, line):
            yield value


def _plausible(value: str, line: str) -> bool:
    """Drop what detect-secrets' own filters drop: templates, references, placeholders."""
    from detect_secrets.filters.heuristic import (
        is_indirect_reference,
        is_prefixed_with_dollar_sign,
        is_sequential_string,
        is_templated_secret,
    )

    v = value.strip().strip("'\"").strip()
    if _NAME_LIKE.fullmatch(v):  # "password1", "usable_password": a name, not a secret
        return False
    return (len(v) >= 4 and not is_templated_secret(v) and not is_prefixed_with_dollar_sign(v)
            and not is_indirect_reference(line) and not is_sequential_string(v)
            and v.lower() not in {"none", "null", "true", "false", "changeme", "password", "secret"})


def _entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


# A line can hold a secret only if it has a long key-like run, a URL with credentials
# or a secret-sounding name: the detectors run on those lines only.
# Keys mix letters and digits; a long identifier without a digit is no candidate.
_CANDIDATE = re.compile(r"(?<![\w+/=\-.])(?=[\w+/=\-.]*\d)(?=[\w+/=\-.]*[A-Za-z])[\w+/=\-.]{20,}|://\S*@")
_ANY = re.compile(f"{_KEYWORDY.pattern}|{_CANDIDATE.pattern}")
# RE2 (linear time, no backtracking) finds the lines worth checking with `_ANY`, a line
# at a time. Its pattern matches on every line `_ANY` matches on: Unicode classes at
# least as wide as Python's \w, \d and \s (never a newline, so no match spans two
# lines), every "i" Python's (?i) accepts, and a 20-character run holding a digit has
# 10 run characters before or after that digit. 15x faster than `_ANY` over a corpus.
_RUN = r"[\p{L}\p{N}_+/=\-.]"
_I = "[iIıİ]"
_FAST_PATTERN = (
    rf"(?i)(?:pass|pwd|secret|token|ap{_I}[_\-]?key|auth|credent{_I}al|pr{_I}vate[_\-]?key"
    rf"|access[_\-]?key)[\p{{L}}\p{{N}}_\-]*['\"]?[\t\x0b\x0c\r\x1c-\x1f\x85\p{{Z}}]*(?::=|=>|=|:)"
    rf"|{_RUN}{{10}}\p{{N}}|\p{{N}}{_RUN}{{10}}|://\S*@"
)
try:
    import re2
except ImportError:  # pragma: no cover - a platform without its wheel: same lines, slower
    _FAST = None
else:
    _options = re2.Options()
    _options.max_mem = 256 << 20  # the Unicode classes need a large DFA (built lazily)
    _options.log_errors = False
    _options.never_capture = True
    _FAST = re2.compile(_FAST_PATTERN, options=_options)


def _candidate_lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line where `_ANY` matches, in order."""
    pos = 0  # the first line not looked at yet
    for m in (_FAST or _ANY).finditer(text):
        if m.start() < pos:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start())
        pos = end = len(text) if end < 0 else end + 1
        if _ANY.search(text, start, end):
            yield start, end


def scan(text: str, path: str = "") -> list[tuple[int, int, str]]:
    """Secret spans in `text`: (start, end, kind), sorted and not overlapping."""
    spans: list[tuple[int, int, str]] = []
    if "PRIVATE KEY" in text:
        spans.extend((m.start(), m.end(), "Private Key") for m in PRIVATE_KEY_BLOCK.finditer(text))
    # Jump from candidate line to candidate line: most lines are never looked at in Python.
    for start, end in _candidate_lines(text):
        line = text[start:end]
        found = _scan_line(line, path, _KEYWORDY.search(line) is not None)
        spans.extend((start + a, start + b, kind) for a, b, kind in found)
    return _merge(spans)


def _scan_line(line: str, path: str, keywordy: bool) -> Iterator[tuple[int, int, str]]:
    if _may_detect(line):
        yield from _detected(line)
    if keywordy:
        # The value is after the assignment, never inside the name ("password1_field_name").
        assign = _ASSIGN_OP.search(line)
        after = assign.end() if assign else 0
        for value in _keyword_values(path, line):
            k = line.find(value, after)
            if k >= 0:
                yield k, k + len(value), "Secret Keyword"
    for m in _ASSIGNED.finditer(line) if _QUOTED.search(line) else ():
        value = m.group(2)
        name = line[max(0, m.start(2) - 40): m.start(2)]
        if _entropy(value) >= _ENTROPY and not _NOT_SECRET_NAME.search(name) \
                and not _is_sequential(value):
            yield m.start(2), m.end(2), "High Entropy String"


def _may_detect(line: str) -> bool:
    """Whether a detector's regex may match: one pass over the line instead of 45."""
    if not line.isascii():
        return _any_detector().search(line) is not None
    fast, rest = _fast_detector()
    return (fast is not None and fast.search(line) is not None) or (
        rest is not None and rest.search(line) is not None)


def _detected(line: str) -> Iterator[tuple[int, int, str]]:
    """Spans of the line that a detector's (or `EXTRA`'s) regex matches."""
    for kind, plugin in _detectors():
        for rx in plugin.denylist:
            for m in rx.finditer(line):
                # The secret is the longest group when there is a long one (a prefix such as
                # "AccountKey=" is kept), else the whole match ("ghp_..." whose group is "ghp").
                spans = [(m.start(g), m.end(g)) for g in range(1, (m.lastindex or 0) + 1)
                         if m.start(g) >= 0 and m.end(g) - m.start(g) >= 8]
                a, b = max(spans, key=lambda s: s[1] - s[0]) if spans else m.span()
                if b - a >= 8:
                    yield a, b, kind
    for kind, rx in EXTRA.items():
        for m in rx.finditer(line):
            g = 1 if m.lastindex else 0
            yield m.start(g), m.end(g), kind


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end, out[-1][2])
            continue
        out.append((start, end, kind))
    return out


def redact(text: str, path: str = "") -> tuple[str, list[Secret]]:
    """`text` with every secret replaced by `[REDACTED:<kind>]`, and where they were."""
    return apply(text, scan(text, path), path)


def apply(text: str, spans: Sequence[tuple[int, int, str]], path: str = "") -> tuple[str, list[Secret]]:
    """`text` with these spans (from `scan`) redacted, and where they were."""
    if not spans:
        return text, []
    parts: list[str] = []
    findings: list[Secret] = []
    last = 0
    for start, end, kind in spans:
        parts.append(text[last:start])
        parts.append(f"[REDACTED:{kind}]")
        findings.append(Secret(path, text.count("\n", 0, start) + 1, kind))
        last = end
    parts.append(text[last:])
    return "".join(parts), findings
