"""Find secrets in text that is about to be packed or sent, and redact them in place.

Four detectors, each yielding the exact span of a secret's value (never its name, quotes or
the code around it, never a newline except inside a PEM key body):

- provider-shaped tokens: detect-secrets' (Yelp) regex detectors (AWS, GitHub, GitLab,
  Slack, Stripe, Twilio, JWT, ...) and `PROVIDERS` for what it lacks or cuts short. A match
  is extended to the end of its run of token characters, so no suffix of a key survives.
  These are secrets wherever they appear (tests, comments, docs).
- a keyword detector: `name = value` where the name says secret (`password`, `api_key`,
  `GITHUB_TOKEN`...), quoted or not, in any file (`.env`, YAML, INI, `export`, code). The
  value counts only if it looks like a credential: not an expression, reference, template
  or placeholder (`request.form['password']`, `${VAR}`, `'test'`, `'development key'`).
- passwords in URLs (`scheme://user:pass@host`: only `pass`).
- high-entropy quoted values assigned to a name.

PEM private keys are found over the whole text: only with a BEGIN marker, a base64 body
and the matching END marker; the body is redacted, the markers are kept.

Only detect-secrets' regexes are used (never `analyze_line`, which may verify a secret
over the network). Redaction is a pure function of the text: the same file gives the same
output, so token counts made before writing stay exact.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from packer.records import Secret

Span = tuple[int, int, str]

# Providers detect-secrets 1.5 has no detector for, key shapes it cuts short, and its
# detectors whose span is wrong (a whole URL, `AccountKey=` with the key). The value is
# group 1 when there is one, else the whole match.
PROVIDERS: list[tuple[str, re.Pattern[str]]] = [
    ("Anthropic API Key", re.compile(r"sk-ant-(?:api|admin|sid)\d\d-[A-Za-z0-9_\-]{32,}")),
    ("OpenAI API Key", re.compile(r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,}")),
    ("OpenAI API Key", re.compile(r"sk-[A-Za-z0-9]{48}(?![A-Za-z0-9_\-])")),
    ("GitHub Token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    ("Slack Token", re.compile(r"(?:xoxe\.)?xox[abposer]-\d+-[A-Za-z0-9\-]{8,}")),
    (
        "Slack Webhook",
        re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Za-z0-9_]+/[A-Za-z0-9_/]+)"),
    ),
    ("Stripe Access Key", re.compile(r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{24,}")),
    ("Google API Key", re.compile(r"AIza[0-9A-Za-z_\-]{35}")),
    (
        "AWS Access Key",
        re.compile(
            r"aws_?secret_?(?:access_?)?key\\?['\"]?\s*(?:=|:|=>)\s*\\?['\"]?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
            re.I,
        ),
    ),
    ("Hugging Face Token", re.compile(r"hf_[A-Za-z]{34}")),
    ("DigitalOcean Token", re.compile(r"do[por]_v1_[a-f0-9]{64}")),
    ("Azure Connection String", re.compile(r"AccountKey=([A-Za-z0-9+/=]{40,})")),
    ("Databricks Token", re.compile(r"dapi[a-f0-9]{32}")),
    ("NPM tokens", re.compile(r"npm_[A-Za-z0-9]{36}")),
    ("NPM tokens", re.compile(r"_authToken=\s*['\"]?([A-Fa-f0-9\-]{36})")),
]
# detect-secrets' detectors replaced above (their span takes the text around the value).
_REPLACED = ("Basic Auth Credentials", "Azure Storage Account access key", "NPM tokens")
_REPLACED_PATTERNS = ("hooks",)
_PRIVATE_KEY_KIND = "Private Key"
_URL_KIND = "Basic Auth Credentials"
_KEYWORD_KIND = "Secret Keyword"
_ENTROPY_KIND = "High Entropy String"


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


# ---------------------------------------------------------------------------------------
# Public API


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def scan(text: str, path: str = "") -> list[Span]:
    """Secret spans in `text`: (start, end, kind), sorted and not overlapping. A span holds
    a newline only when it is a PEM key body."""
    if not text.isascii() and _LONE_SURROGATE.search(text):
        # An undecodable byte (a name or text read with surrogateescape) is looked at as
        # one U+FFFD: RE2 cannot take it, and every offset stays the same.
        text = _LONE_SURROGATE.sub("\ufffd", text)
    spans: list[Span] = []
    if "PRIVATE KEY" in text:
        spans.extend(_private_key_bodies(text))
    code = _is_code(path)
    # Jump from candidate line to candidate line: most lines are never looked at in Python.
    for start, end in _candidate_lines(text):
        line = text[start:end]
        spans.extend((start + a, start + b, kind) for a, b, kind in _scan_line(line, code))
    return _merge(spans)


def redact(text: str, path: str = "") -> tuple[str, list[Secret]]:
    """`text` with every secret replaced by `[REDACTED:<kind>]`, and where they were."""
    return apply(text, scan(text, path), path)


def apply(text: str, spans: Sequence[tuple[int, int, str]], path: str = "") -> tuple[str, list[Secret]]:
    """`text` with these spans (from `scan`) redacted, and where they were.

    A span becomes `[REDACTED:<kind>]` followed by the line breaks it held, so the text
    keeps its line count and nothing around a value changes."""
    if not spans:
        return text, []
    parts: list[str] = []
    findings: list[Secret] = []
    last = 0
    line = 1
    for start, end, kind in spans:
        parts.append(text[last:start])
        line += text.count("\n", last, start)
        parts.append(f"[REDACTED:{kind}]" + "".join(_BREAK.findall(text, start, end)))
        findings.append(Secret(path, line, kind))
        line += text.count("\n", start, end)
        last = end
    parts.append(text[last:])
    return "".join(parts), findings


_BREAK = re.compile(r"\r\n|\n|\r")


def _scan_line(line: str, code: bool) -> Iterator[Span]:
    if _may_detect(line):
        yield from _detected(line)
    if "@" in line and "://" in line:
        yield from _url_passwords(line)
    # Each pattern needs one of these characters: a C test first, for the many candidate
    # lines (a long identifier with a digit) that have none.
    if ("=" in line or ":" in line) and _KEYWORDY.search(line):
        yield from _keyword_values(line, code)
    if ('"' in line or "'" in line) and _QUOTED.search(line):
        yield from _high_entropy(line)


_PRIORITY = {_KEYWORD_KIND: 2, _ENTROPY_KIND: 2}


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans as one; where two start together the longer (then a provider's
    kind over a keyword's) names it."""
    out: list[Span] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1], _PRIORITY.get(s[2], 1), s[2])):
        if out and start < out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end, out[-1][2])
            continue
        out.append((start, end, kind))
    return out


# ---------------------------------------------------------------------------------------
# Provider-shaped tokens


@cache
def _detectors() -> list[tuple[str, Any]]:
    """detect-secrets' regex detectors, as (kind, plugin): not the public-IP one (no
    secret), the private-key one (see `_private_key_bodies`) or those in `_REPLACED`.

    Their `denylist` regexes are run here (not `analyze_line`, which may verify a
    secret over the network), so a match's span is known and can be redacted.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    out = []
    mapping: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
    for kind, cls in sorted(mapping.items()):
        if (
            issubclass(cls, RegexBasedDetector)
            and "IP" not in kind
            and "Private Key" not in kind
            and kind not in _REPLACED
        ):
            out.append((kind, cls()))
    return out


@cache
def _provider_patterns() -> list[tuple[str, re.Pattern[str], bool]]:
    """(kind, regex, ours): detect-secrets' regexes and `PROVIDERS`."""
    theirs = [
        (kind, rx, False)
        for kind, plugin in _detectors()
        for rx in plugin.denylist
        if not any(p in rx.pattern for p in _REPLACED_PATTERNS)
    ]
    return theirs + [(kind, rx, True) for kind, rx in PROVIDERS]


@cache
def _any_detector() -> re.Pattern[str]:
    """One regex that matches where any provider regex does."""
    return _combined([rx for _, rx, _ in _provider_patterns()])


def _combined(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    parts = []
    for rx in patterns:
        flags = (
            ("i" if rx.flags & re.I else "")
            + ("x" if rx.flags & re.X else "")
            + ("m" if rx.flags & re.M else "")
            + ("s" if rx.flags & re.S else "")
        )
        parts.append(f"(?{flags}:{rx.pattern})" if flags else f"(?:{rx.pattern})")
    return re.compile("|".join(parts))


def _detected(line: str) -> Iterator[Span]:
    """Spans of the line's provider-shaped tokens, each extended to its token's end."""
    for kind, rx, ours in _provider_patterns():
        for m in rx.finditer(line):
            span = _value_span(line, m, ours)
            if span is not None:
                yield span[0], _token_end(line, *span), kind


def _value_span(line: str, m: re.Match[str], ours: bool) -> tuple[int, int] | None:
    """The value in a provider match: group 1 of ours; for detect-secrets' regexes the
    longest group of 8+ characters (a prefix such as "AccountKey=" is kept), else the match
    without the separators, quotes or spaces around it. None for a match that starts inside
    a longer word (not a token of that shape) or is too short to be a key."""
    if ours:
        a, b = m.span(1 if m.lastindex else 0)
        grouped = bool(m.lastindex)
    else:
        groups = [
            (m.start(g), m.end(g))
            for g in range(1, (m.lastindex or 0) + 1)
            if m.start(g) >= 0 and m.end(g) - m.start(g) >= 8
        ]
        grouped = bool(groups)
        a, b = max(groups, key=lambda s: s[1] - s[0]) if groups else m.span()
        if not grouped:
            while a < b and not line[a].isalnum():
                a += 1
            while b > a and line[b - 1] not in _TOKEN_PUNCT and not line[b - 1].isalnum():
                b -= 1
    if b - a < 8 or (not grouped and a > 0 and line[a - 1].isascii() and line[a - 1].isalnum()):
        return None
    return a, b


_TOKEN_PUNCT = frozenset("_-.+/=")


def _token_end(line: str, a: int, b: int) -> int:
    """Where the token holding line[a:b] ends: letters, digits, `_`, `-` and whichever of
    `. + / =` the matched value itself holds (a JWT's dots, a base64 key's `+/=`)."""
    extra = {c for c in line[a:b] if c in ".+/="} | {"_", "-"}
    end = b
    while end < len(line) and ((line[end].isascii() and line[end].isalnum()) or line[end] in extra):
        end += 1
    while end > b and line[end - 1] in ".-":  # a sentence's full stop, a dash after a key
        end -= 1
    return end


# ---------------------------------------------------------------------------------------
# Passwords in URLs

_URL_PASSWORD = re.compile(
    r"(?i)(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]*://[^\s:/?#\[\]@'\"`<>{}()]*:([^\s/?#\[\]@'\"`<>]+)@"
)


def _url_passwords(line: str) -> Iterator[Span]:
    for m in _URL_PASSWORD.finditer(line):
        if _looks_secret(m.group(1), min_len=6):
            yield m.start(1), m.end(1), _URL_KIND


# ---------------------------------------------------------------------------------------
# `name = value` where the name says secret

# A name (dotted, dashed, maybe quoted or subscripted: `config['SECRET_KEY']`), an optional
# type annotation (`password: str = ...`), then the operator. A name starts where a run of
# name characters does (or after a `-`/`--` flag prefix), never inside one: linear time.
_NAME_OP = re.compile(
    r"(?:(?<![\w.\-])|(?<=-)(?<![\w.\-]-)|(?<=--)(?<![\w.\-]--))"
    r"(?P<name>[A-Za-z_][\w.\-]*)(?:\\?['\"`])?\]?[ \t]*"
    r"(?:(?::[ \t]+[\w.\[\]|, ]{1,40}?[ \t]+)?(?P<eq>===?|=>|=(?!=))|(?P<op>:=|:(?![:=])))[ \t]*"
)
# Names that say secret: whole words (`db_pass`, not `bypass`), or a kind of key.
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "pass",
        "passw",
        "passwords",
        "secret",
        "secretkey",
        "token",
        "apikey",
        "apitoken",
        "authtoken",
        "accesstoken",
        "refreshtoken",
        "credential",
        "credentials",
        "privatekey",
        "accesskey",
        "clientsecret",
        "authkey",
        "masterkey",
    }
)
_KEY_NAME = re.compile(
    r"(?i)(?:api|private|access|secret|encryption|signing|master|auth|client|consumer)[_\-.]?key(?![a-z])"
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# A name that is about a secret but does not hold one (`token_url`, `password_min_length`).
_NOT_VALUE_WORDS = frozenset(
    {
        "url",
        "uri",
        "urls",
        "endpoint",
        "path",
        "file",
        "filename",
        "dir",
        "name",
        "names",
        "type",
        "types",
        "length",
        "len",
        "size",
        "count",
        "id",
        "ids",
        "field",
        "fields",
        "label",
        "header",
        "prefix",
        "suffix",
        "pattern",
        "regex",
        "format",
        "env",
        "var",
        "hash",
        "hashed",
        "digest",
        "sha",
        "md5",
        "expiry",
        "expires",
        "expiration",
        "ttl",
        "timeout",
        "lifetime",
        "age",
        "version",
        "mode",
        "method",
        "policy",
        "provider",
        "class",
        "required",
        "enabled",
        "enable",
        "disabled",
        "min",
        "max",
        "limit",
        "hint",
        "placeholder",
        "help",
        "message",
        "msg",
        "text",
        "title",
        "description",
        "error",
        "errors",
        "ref",
        "store",
        "location",
        "algorithm",
        "alg",
        "scheme",
        "kind",
        "validator",
        "validators",
        "strength",
        "icon",
        "column",
        "index",
        "param",
        "params",
        "option",
        "options",
        "input",
        "form",
        "widget",
        "button",
        "link",
        "route",
        "view",
        "template",
        "module",
        "reset",
        "changed",
        "change",
        "confirm",
        "confirmation",
        "check",
        "rotation",
        "backend",
        "backends",
        "handler",
        "manager",
        "source",
        "generator",
        # how something is shown, not what it holds (`TOKEN_COLOR = '\x1b[04m'`)
        "color",
        "colour",
        "style",
        "theme",
        "font",
        "width",
        "height",
        "position",
        "offset",
        "separator",
        "delimiter",
        "prompt",
        "display",
        "status",
        "state",
        "callback",
        "func",
    }
)
# A code file: an unquoted identifier there is a reference (`password = user_password`).
_CODE_EXT = frozenset(
    {
        "py",
        "pyi",
        "pyx",
        "js",
        "jsx",
        "mjs",
        "cjs",
        "ts",
        "tsx",
        "mts",
        "cts",
        "go",
        "java",
        "kt",
        "kts",
        "scala",
        "c",
        "h",
        "cc",
        "cpp",
        "cxx",
        "hpp",
        "hh",
        "cs",
        "rb",
        "php",
        "rs",
        "swift",
        "m",
        "mm",
        "lua",
        "dart",
        "ex",
        "exs",
        "erl",
        "hs",
        "ml",
        "clj",
        "groovy",
        "gradle",
        "r",
        "jl",
        "pl",
        "pm",
        "vue",
        "svelte",
        "coffee",
        "fs",
        "vb",
        "zig",
        "nim",
        "cr",
        "sol",
    }
)
_QUOTE_OPEN = re.compile(r"([bBrRuUfF]{0,2})(\\?)(['\"`])")
_UNQUOTED = re.compile(r"[^\s'\"`\\]+")
_ENV_LINE = re.compile(r"[ \t]*(?:export[ \t]+|set[ \t]+)?(?:[-*][ \t]+)?")
_NEXT_ASSIGNMENT = re.compile(r"[\w.\-]+[ \t]*[=:]")  # `user=a password=b host=c`
_LOOKUP = re.compile(r"[A-Za-z0-9]__[a-z]")  # an ORM lookup: `password__startswith=`
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def _is_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[1].lower() in _CODE_EXT


def _keyword_values(line: str, code: bool) -> Iterator[Span]:
    """Values assigned to secret-named keys that look like credentials."""
    for m in _NAME_OP.finditer(line):
        if not _secret_name(m.group("name")):
            continue
        value = _value_after(line, m.end())
        if value is None:
            continue
        a, b, quoted = value
        v = line[a:b]
        if not quoted and (
            m.group("eq") in ("==", "===")
            or (code and not _env_style(line, m) and (_IDENTIFIER.fullmatch(v) or v[0] in "+-!~*&@:"))
        ):
            continue  # a comparison or an expression in code: `password = user_password`
        if "-----" not in v and _looks_secret(v, min_len=8):
            yield a, b, _KEYWORD_KIND


def _secret_name(name: str) -> bool:
    words = [w.lower() for w in _WORD.findall(name)]
    if not words or words[-1] in _NOT_VALUE_WORDS or _LOOKUP.search(name):
        return False
    return (
        any(w in _SECRET_WORDS or w.startswith("password") for w in words)
        or _KEY_NAME.search(name) is not None
    )


def _env_style(line: str, m: re.Match[str]) -> bool:
    """`NAME=value` (an `.env` line, `export NAME=value`): a literal even in a code file."""
    return (
        m.group("eq") == "="
        and line[m.end("name") : m.start("eq")] == ""
        and m.group("name").isupper()
        and _ENV_LINE.fullmatch(line, 0, m.start()) is not None
    )


def _value_after(line: str, pos: int) -> tuple[int, int, bool] | None:
    """(start, end, quoted) of the literal at `pos`: inside its quotes, or an unquoted run
    that ends the statement (what follows is nothing, a comment or a closing quote)."""
    q = _QUOTE_OPEN.match(line, pos)
    if q:
        return _quoted(line, q)
    u = _UNQUOTED.match(line, pos)
    if not u:
        return None
    a, b = u.span()
    while b > a and line[b - 1] in ",;":
        b -= 1
    rest = line[b:].lstrip(" \t")
    if b == a or not (
        rest.strip() == ""
        or rest.startswith(("#", ";", ",", "//", "--", "'", '"', "`", "\\"))
        or _NEXT_ASSIGNMENT.match(rest)
    ):
        return None  # `range accounts {`: an expression, not a value
    if any(c in line[a:b] for c in "()[]{}<>"):
        return None
    return a, b, False


def _quoted(line: str, q: re.Match[str]) -> tuple[int, int, bool] | None:
    close = q.group(2) + q.group(3)
    a = q.end()
    if line.startswith(q.group(3) * 2, a):
        return None  # a triple-quoted string, or ""
    b = a
    while True:
        b = line.find(close, b)
        if b < 0:
            return None  # the string goes on past this line
        if not close.startswith("\\") and _escaped(line, b):
            b += 1
            continue
        break
    if "f" in q.group(1).lower() and "{" in line[a:b]:
        return None  # an f-string: a template
    return a, b, True


def _escaped(line: str, i: int) -> bool:
    k = i
    while k > 0 and line[k - 1] == "\\":
        k -= 1
    return (i - k) % 2 == 1


# Values that are not credentials: placeholders and the words they are made of.
_PLACEHOLDER_TEXT = """
test tests testing password passwords passwd pass pwd secret secrets token tokens key keys api
apikey changeme change me example examples sample samples dummy fake mock mocked placeholder
your my our the a an here there xxx xxxx foo bar baz qux quux default defaults dev develop
development prod production staging stage local localhost config configuration configured value
values string str none null nil undefined true false yes no empty todo fixme insert enter put
replace set some any real not this that admin administrator root user username login guest demo
hello world super top private public access auth client app application service db database
mysql postgres postgresql redis mongo sqlite letmein qwerty abc abcd abcdef asdf welcome new old
temp tmp random generated generate salt session cookie jwt bearer basic oauth github aws stripe
openai slack google for and or of to in is it be on with do dont use only just very long short
word unsafe insecure invalid valid wrong right correct bad good hidden redacted masked ignored
required optional unknown sensitive confidential mysecret mypassword secretkey secret_key
"""
_PLACEHOLDER_WORDS = frozenset(_PLACEHOLDER_TEXT.split())
_TEMPLATE = re.compile(
    r"\$\{|\$\(|^\$\w|%\w+%|\{\{|\{%|\{[\w.\-]*\}|%\(|%[sdrif]\b|<[^>]*>|#\{|@@|^__\w+__$|^\*+$|\.\.\."
)
_PATH_LIKE = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)|://|^/?[a-z0-9_.\-]+(?:/[a-z0-9_.\-]+)+/?$")
# A password's hash (Django, bcrypt, crypt(3)): stored in fixtures, not a credential to use.
_PASSWORD_HASH = re.compile(
    r"^(?:(?:pbkdf2_sha\d+|bcrypt(?:_sha256)?|argon2|scrypt|sha1|md5|crypt)\$|\$(?:2[abxy]?|argon2(?:id|i|d)|[156])\$)"
)
_SNAKE_NAME = re.compile(r"[A-Za-z]+\d*(?:_[A-Za-z]+\d*)+")  # `FORBIDDEN_VALUE2`: a constant's name
_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+$")
_DOTTED_NAME = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z_]+)+")
_ALPHA_RUN = re.compile(r"[A-Za-z]+")


def _looks_secret(v: str, *, min_len: int) -> bool:
    """Whether a literal in a secret position looks like a credential: long enough, no
    spaces, not a template, reference, path, e-mail or placeholder, and either letters
    mixed with digits or symbols, or random-looking letters."""
    if len(v) < min_len or any(c.isspace() for c in v) or not _varied(v):
        return False
    if (
        _TEMPLATE.search(v)
        or _PATH_LIKE.search(v)
        or _EMAIL.match(v)
        or _PASSWORD_HASH.match(v)
        or _DOTTED_NAME.fullmatch(v)
        or _SNAKE_NAME.fullmatch(v)
    ):
        return False
    if _placeholder(v) or _is_sequential(v):
        return False
    letters = any(c.isalpha() for c in v)
    mixed = any(c.isdigit() or not (c.isalnum() or c in "_-.") for c in v)
    if letters and mixed:
        return True
    return letters and _random_letters(v)


def _varied(v: str) -> bool:
    """Not a run of few characters (`1111-aaaaa`) or a repeated pattern
    (`1bcdefghij2bcdefghij...`): a key's characters vary."""
    if _entropy(v) < (3.0 if len(v) >= 16 else 2.3):
        return False
    grams = [v[i : i + 3] for i in range(len(v) - 2)]
    return len(v) < 16 or len(set(grams)) >= 0.6 * len(grams)


def _placeholder(v: str) -> bool:
    """Every word of three letters or more is a placeholder's (`your_api_key`,
    `password123`, `my-super-secret-password`)."""
    words = [w.lower() for run in _ALPHA_RUN.findall(v) for w in _WORD.findall(run)]
    long_words = [w for w in words if len(w) >= 3]
    return bool(long_words) and all(w in _PLACEHOLDER_WORDS for w in long_words)


def _random_letters(v: str) -> bool:
    """Letters only (maybe with `_ - .`): random when long, varied and switching case
    often, unlike an identifier (`authorizationHeader`) or words (`set-password`)."""
    flips = sum(
        1 for x, y in itertools.pairwise(v) if x.isalpha() and y.isalpha() and x.isupper() != y.isupper()
    )
    return len(v) >= 16 and _entropy(v) >= 3.5 and flips >= len(v) / 3


def _is_sequential(value: str) -> bool:
    from detect_secrets.filters.heuristic import is_sequential_string

    return bool(is_sequential_string(value))


# ---------------------------------------------------------------------------------------
# High-entropy quoted values assigned to a name

_ASSIGNED = re.compile(r"""(?<![\w\-])[\w\-]+['"]?\]?\s*(?::=|=>|=|:)\s*(['"])([A-Za-z0-9+/=_\-.]{24,})\1""")
# The quoted value alone: found in one pass, where `_ASSIGNED` restarts its name at every
# character (most candidate lines have no such value, and are then not tried).
_QUOTED = re.compile(r"""['"][A-Za-z0-9+/=_\-.]{24,}['"]""")
_ENTROPY = 4.5  # bits per character of a base64-alphabet value (random keys: ~5-6)
_NOT_SECRET_NAME = re.compile(
    r"(?i)(sha\d*|md5|hash|digest|checksum|integrity|uuid|commit|etag|nonce"
    r"|example|sample|placeholder|fixture)"
)


def _high_entropy(line: str) -> Iterator[Span]:
    for m in _ASSIGNED.finditer(line):
        value = m.group(2)
        name = line[max(0, m.start(2) - 40) : m.start(2)]
        # A digit too: the candidate-line prefilter looks for runs holding one.
        if (
            _entropy(value) >= _ENTROPY
            and any(c.isdigit() for c in value)
            and not _NOT_SECRET_NAME.search(name)
            and not _is_sequential(value)
            and not _PATH_LIKE.search(value)
        ):
            yield m.start(2), m.end(2), _ENTROPY_KIND


def _entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


# ---------------------------------------------------------------------------------------
# PEM private keys

_PEM_BEGIN = re.compile(r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----")
_PEM_WINDOW = 1 << 16  # the END marker is looked for this far after BEGIN
# A body written as lines: base64, maybe `Proc-Type:`/`DEK-Info:` headers and blank lines.
_PEM_LINES = re.compile(r"[ \t]*\r?\n(?:[ \t]*(?:[A-Za-z0-9+/=]+|[A-Za-z][\w\-]*:[^\n]*)?[ \t]*\r?\n)+[ \t]*")
_B64_LINE = re.compile(r"[A-Za-z0-9+/=]{16,}")
# A body inside string literals (`"...\n"` lines, a JSON value): base64 runs, escapes,
# quotes, spaces and the punctuation that joins strings; never code such as `x.endswith(`.
_PEM_QUOTED = re.compile(r"[A-Za-z0-9+/=\s\"'`\\,;()]*")
_B64_RUN = re.compile(
    r"(?:(?<=\\[nrt])|(?<![A-Za-z0-9+/=\\]))[A-Za-z0-9+/=]{16,}(?:(?:\\[nr])+[A-Za-z0-9+/=]+)*"
)


def _private_key_bodies(text: str) -> Iterator[Span]:
    """The body of each complete PEM private key: BEGIN, a base64 body, the same END."""
    pos = 0
    while (m := _PEM_BEGIN.search(text, pos)) is not None:
        pos = m.end()
        end_marker = f"-----END {m.group(1)}PRIVATE KEY{m.group(2) or ''}-----"
        stop = text.find(end_marker, m.end(), m.end() + _PEM_WINDOW)
        if stop < 0 or "-----BEGIN" in text[m.end() : stop]:
            continue  # a lone marker (code that looks for one), not a key
        yield from _pem_body(text, m.end(), stop)
        pos = stop + len(end_marker)


def _pem_body(text: str, a: int, b: int) -> Iterator[Span]:
    """Spans of the key body between the markers: one span over the lines of a plain PEM
    (newlines kept by `apply`), else each base64 run inside string literals."""
    if _PEM_LINES.fullmatch(text, a, b) and _B64_LINE.search(text, a, b):
        first = a + len(text[a:b]) - len(text[a:b].lstrip())
        last = b - (len(text[a:b]) - len(text[a:b].rstrip()))
        yield first, last, _PRIVATE_KEY_KIND
    elif _PEM_QUOTED.fullmatch(text, a, b):
        for r in _B64_RUN.finditer(text, a, b):
            yield r.start(), r.end(), _PRIVATE_KEY_KIND


# ---------------------------------------------------------------------------------------
# Candidate lines: a linear-time prefilter


# A line can hold a secret only if it has a long key-like run, a URL with credentials, a
# provider prefix or a secret-sounding name before an assignment: the detectors run on
# those lines only. Keys mix letters and digits; a long identifier without a digit is no
# candidate.
_KEYWORDY = re.compile(
    r"(?i)(pass|pwd|secret|token|credential|auth"
    r"|(?:api|private|access|encryption|signing|master|client|consumer)[_\-.]?key)"
    r"[\w\-.]*\\?['\"`]?\]?\s*(:=|=>|=|:)"
)
# Prefixes of keys that may hold no digit (matched case-sensitively, as RE2 does them).
_PREFIXES = (
    r"AKIA|ASIA|AIza|gh[pousr]_|github_pat_|hf_|[sr]k_(?:live|test)_"
    r"|sk-(?:proj|svcacct|admin|ant|None)-|eyJ|npm_|gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|hooks\.slack\.com"
)
_CANDIDATE = re.compile(
    r"(?<![\w+/=\-.])(?=[\w+/=\-.]*\d)(?=[\w+/=\-.]*[A-Za-z])[\w+/=\-.]{20,}|://\S*@"
    r"|(?-i:" + _PREFIXES + ")"
)
_ANY = re.compile(f"{_KEYWORDY.pattern}|{_CANDIDATE.pattern}")
# RE2 (linear time, no backtracking) finds the lines worth checking with `_ANY`, a line
# at a time. Its pattern matches on every line `_ANY` matches on: Unicode classes at
# least as wide as Python's \w, \d and \s (never a newline, so no match spans two
# lines), every "i" Python's (?i) accepts, and a 20-character run holding a digit has
# 10 run characters before or after that digit. 15x faster than `_ANY` over a corpus.
_RUN = r"[\p{L}\p{N}_+/=\-.]"
_I = "[iIıİ]"
_FAST_PATTERN = (
    rf"(?i)(?:pass|pwd|secret|token|credent{_I}al|auth"
    rf"|(?:ap{_I}|pr{_I}vate|access|encrypt{_I}on|s{_I}gn{_I}ng|master|cl{_I}ent|consumer)[_\-.]?key)"
    rf"[\p{{L}}\p{{N}}_\-.]*\\?['\"`]?\]?[\t\x0b\x0c\r\x1c-\x1f\x85\p{{Z}}]*(?::=|=>|=|:)"
    rf"|{_RUN}{{10}}\p{{N}}|\p{{N}}{_RUN}{{10}}|://\S*@"
    rf"|(?-i:{_PREFIXES})"
)
try:
    import re2
except ImportError:  # pragma: no cover - a platform without its wheel: same lines, slower
    _FAST = _FAST_BYTES = None
else:
    _options = re2.Options()
    _options.max_mem = 256 << 20  # the Unicode classes need a large DFA (built lazily)
    _options.log_errors = False
    _options.never_capture = True
    _FAST = re2.compile(_FAST_PATTERN, options=_options)
    # The same program over bytes: for ASCII text (offsets are the str's), a search from a
    # position costs no re-encoding of the whole text, as one over a str does.
    _FAST_BYTES = re2.compile(_FAST_PATTERN.encode(), options=_options)


def _candidate_lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line where `_ANY` matches, in order."""
    if _FAST_BYTES is not None and text.isascii():
        # One search per candidate line, from the next line on: a line of code may hold
        # many matches (every long name with a digit), each a match object to make.
        data = text.encode("ascii")
        pos = 0
        while (m := _FAST_BYTES.search(data, pos)) is not None:
            start = data.rfind(b"\n", 0, m.start()) + 1
            end = data.find(b"\n", m.start())
            pos = end = len(data) if end < 0 else end + 1
            if _ANY.search(text, start, end):
                yield start, end
        return
    pos = 0  # the first line not looked at yet
    for m in (_FAST or _ANY).finditer(text):
        if m.start() < pos:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.start())
        pos = end = len(text) if end < 0 else end + 1
        if _ANY.search(text, start, end):
            yield start, end


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
            nxt = pattern[i + 1 : i + 2]
            if nxt.isdigit():
                return None  # a backreference
            out.append(
                _ASCII_SPACE if in_class and nxt == "s" else f"[{_ASCII_SPACE}]" if nxt == "s" else c + nxt
            )
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "]":  # "[]...]": a literal "]" first
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
    return re.sub(
        r"\{(\d+),(\d+)\}",
        lambda m: m.group() if int(m.group(2)) <= 1000 else "{" + str(min(int(m.group(1)), 1000)) + ",}",
        "".join(out),
    )


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
    """For ASCII lines: RE2 over the provider regexes it can take (see `_for_re2`), and
    Python's re over the others (None when there are none)."""
    fast: list[str] = []
    slow: list[re.Pattern[str]] = []
    for _, rx, _ in _provider_patterns():
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


def _may_detect(line: str) -> bool:
    """Whether a provider regex may match: one pass over the line instead of 50."""
    if not line.isascii():
        return _any_detector().search(line) is not None
    rest = _fast_detector()[1]
    fast_bytes = _fast_detector_bytes()
    return (fast_bytes is not None and fast_bytes.search(line.encode("ascii")) is not None) or (
        rest is not None and rest.search(line) is not None
    )


@cache
def _fast_detector_bytes() -> Any:
    """`_fast_detector`'s RE2 program over bytes: an ASCII line's search without the str
    path's offset bookkeeping (a third of the scan on kernel C, 330K candidate lines per
    54 MB)."""
    fast = _fast_detector()[0]
    return None if fast is None else re2.compile(fast.pattern.encode(), options=_options)
