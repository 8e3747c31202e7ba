"""`packer.secrets`: planted secrets are found whole in every context, placeholders and code
are left alone, and redaction changes nothing but the secret values."""

import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packer.secrets import _ANY, _candidate_lines, _scan_line, apply, redact, scan

_RNG = random.Random(12)
ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM) -> str:
    """Random characters with at least one digit and one letter (as real keys have)."""
    while True:
        s = "".join(_RNG.choice(alphabet) for _ in range(n))
        if (
            n < 2
            or set(alphabet) <= set(string.digits)
            or (any(c.isdigit() for c in s) and any(c.isalpha() for c in s))
        ):
            return s


def b64url(n: int) -> str:
    return rand(n, ALNUM + "-_")


# (kind, secret): fake but realistically shaped, built at import so no key sits in this file.
PROVIDER_SECRETS = [
    ("AWS Access Key", "AKIA" + rand(16, string.ascii_uppercase + string.digits)),
    ("AWS Access Key", "ASIA" + rand(16, string.ascii_uppercase + string.digits)),
    *[("GitHub Token", p + "_" + rand(36)) for p in ("ghp", "gho", "ghu", "ghs", "ghr")],
    ("GitHub Token", "github_pat_" + rand(22) + "_" + rand(59)),
    ("OpenAI API Key", "sk-proj-" + b64url(74) + "T3BlbkFJ" + b64url(74)),
    ("OpenAI API Key", "sk-svcacct-" + b64url(64)),
    ("OpenAI API Key", "sk-admin-" + b64url(64)),
    ("OpenAI API Key", "sk-" + rand(48)),
    ("Anthropic API Key", "sk-ant-api03-" + b64url(93) + "AA"),
    ("Slack Token", "xoxb-" + rand(11, string.digits) + "-" + rand(13, string.digits) + "-" + rand(24)),
    (
        "Slack Token",
        "xoxp-"
        + rand(11, string.digits)
        + "-"
        + rand(11, string.digits)
        + "-"
        + rand(13, string.digits)
        + "-"
        + rand(32, "abcdef0123456789"),
    ),
    ("Stripe Access Key", "sk_live_" + rand(99)),
    ("Stripe Access Key", "rk_live_" + rand(24)),
    ("Google API Key", "AIza" + b64url(35)),
    ("JSON Web Token", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + b64url(60) + "." + b64url(43)),
]
SLACK_WEBHOOK_PATH = (
    "T"
    + rand(10, string.ascii_uppercase + string.digits)
    + "/B"
    + rand(10, string.ascii_uppercase + string.digits)
    + "/"
    + rand(24)
)
URL_PASSWORD = rand(10) + "!x"
AWS_SECRET = rand(20) + "/" + rand(19)
PASSWORD = rand(6) + "#" + rand(7)


def _contexts(name: str, value: str) -> dict[str, str]:
    """The value assigned to `name` in the syntax of each kind of file: path -> text."""
    env = name.upper()
    return {
        "app/settings.py": f'import os\n\n{name} = "{value}"\nDEBUG = False\n',
        "web/config.js": f"const x = 1;\nconst {name} = '{value}';\nmodule.exports = {{ x }};\n",
        "cmd/main.go": f'package main\n\nfunc main() {{\n\t{name} := "{value}"\n\t_ = {name}\n}}\n',
        "deploy/values.yaml": f"service:\n  {name}: {value}  # prod\n  replicas: 2\n",
        ".env": f"DEBUG=1\n{env}={value}\nPORT=8080\n",
        "config/app.json": json.dumps({"debug": False, name: value}, indent=2) + "\n",
        "scripts/setup.sh": f"#!/bin/sh\nexport {env}={value}\nexec app\n",
        "notebooks/demo.ipynb": json.dumps(
            {
                "cells": [
                    {"cell_type": "code", "source": ["import os\n", f'{name} = "{value}"\n', "print(1)\n"]}
                ]
            },
            indent=1,
        )
        + "\n",
        "lib/docs.py": f'def connect():\n    """Connect.\n\n    {name}: {value}\n    """\n    return 1\n',
        "lib/comment.py": f"# {name} = {value}\nx = 1\n",
    }


# (kind, secret, name): secrets that a name makes (no provider shape).
NAMED_SECRETS = [
    ("Secret Keyword", PASSWORD, "db_password"),
    ("AWS Access Key", AWS_SECRET, "aws_secret_access_key"),
]
CASES = [
    *[
        (kind, secret, path, text)
        for kind, secret in PROVIDER_SECRETS
        for path, text in _contexts("setting", secret).items()
    ],
    *[
        (kind, secret, path, text)
        for kind, secret, name in NAMED_SECRETS
        for path, text in _contexts(name, secret).items()
    ],
    *[
        ("Basic Auth Credentials", URL_PASSWORD, path, text)
        for path, text in _contexts(
            "database_url", f"postgres://app:{URL_PASSWORD}@db.internal:5432/app"
        ).items()
    ],
    *[
        ("Slack Webhook", SLACK_WEBHOOK_PATH, path, text)
        for path, text in _contexts("hook", f"https://hooks.slack.com/services/{SLACK_WEBHOOK_PATH}").items()
    ],
]


def _assert_gone(out: str, secret: str) -> None:
    assert secret not in out
    assert secret[-12:] not in out  # no suffix of the key survives
    assert secret[:12] not in out or secret.startswith(("sk-", "github_pat_", "eyJhbGci"))


@pytest.mark.parametrize(
    ("kind", "secret", "path", "text"), CASES, ids=[f"{c[0]}-{c[2]}-{k}" for k, c in enumerate(CASES)]
)
def test_planted_secret_is_found_and_redacted_whole(kind, secret, path, text):
    spans = scan(text, path)
    assert kind in {k for _, _, k in spans}, spans
    out, found = redact(text, path)
    _assert_gone(out, secret)
    assert out.count("\n") == text.count("\n")
    assert found and all(f.path == path for f in found)
    # The value and nothing else: what the spans cover is the secret (or holds it whole).
    covered = [text[a:b] for a, b, _ in spans]
    assert secret in covered or any(secret in c and len(c) - len(secret) <= 1 for c in covered), covered


def test_a_long_stripe_key_jwt_and_fine_grained_token_leave_nothing_behind():
    stripe = "sk_live_" + rand(99)
    assert len(stripe) == 107
    jwt = "eyJhbGciOiJIUzI1NiJ9." + b64url(40) + "." + b64url(43)
    pat = "github_pat_" + rand(22) + "_" + rand(59)
    text = f'STRIPE = "{stripe}"\nauth = "Bearer {jwt}"\ntoken: {pat}\n'
    out, _ = redact(text, "x.py")
    assert out == (
        'STRIPE = "[REDACTED:Stripe Access Key]"\nauth = "Bearer [REDACTED:JSON Web Token]"\n'
        "token: [REDACTED:GitHub Token]\n"
    )


def test_password_in_url_redacts_only_the_password():
    text = f"DATABASE_URL=postgres://app:{URL_PASSWORD}@db:5432/app\nREDIS=redis://:{URL_PASSWORD}@cache:6379/0\n"
    out, found = redact(text, ".env")
    assert out == (
        "DATABASE_URL=postgres://app:[REDACTED:Basic Auth Credentials]@db:5432/app\n"
        "REDIS=redis://:[REDACTED:Basic Auth Credentials]@cache:6379/0\n"
    )
    assert [f.line for f in found] == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "DB_PASSWORD=hunter2xyz!\n",
        f"export GITHUB_TOKEN=github_pat_{rand(22)}_{rand(59)}\n",
        "password: s3cr3tP4ss\n",
        "[db]\nsecret_key = a8f5f167f44f4964e6c998dee827110c ; local\n",
        'secret_key = "Zx81-Qw93-Lp27"\n',
        "API_KEY='r4nd0m-V4lue-9QX' # set by ops\n",
    ],
)
def test_unquoted_and_env_style_assignments_are_found_without_quotes_or_comment(text):
    spans = scan(text, "settings.env")
    assert len(spans) == 1
    ((a, b, _),) = spans
    value = text[a:b]
    assert value and not value.startswith(("'", '"', " ")) and not value.endswith(("'", '"', " ", "\n"))
    assert "#" not in value and ";" not in value and "=" not in value.replace("==", "")


FALSE_POSITIVES = [
    (
        "auth.go",
        '\tfor user, password := range accounts {\n\t\tassert1(user != "", "User can not be empty")\n',
    ),
    ("tests/test_auth.py", "        def login(self, username='test', password='test'):\n"),
    ("src/flask/config.py", "    SECRET_KEY = 'development key'\n"),
    ("tests/conftest.py", '        SECRET_KEY="test key",\n'),
    ("tests/static/config.json", '{\n    "TEST_KEY": "foo",\n    "SECRET_KEY": "config"\n}\n'),
    ("gin/doc.md", '      c.JSON(http.StatusOK, gin.H{"user": user, "secret": "NO SECRET :("})\n'),
    ("recovery_test.go", '\tpassword := "my-super-secret-password"\n'),
    ("a.py", 'password = "test"\npassword = "password"\npassword = "changeme"\nsecret = "secret"\n'),
    ("a.py", 'api_key = "config"\ntoken = "dev"\napi_key = "example"\npassword = "xxx"\n'),
    ("a.py", 'api_key = "<your-key-here>"\napi_key = "your_api_key"\npassword = "***"\n'),
    ("a.py", 'password = "%s"\npassword = "{}"\npassword = "{password}"\ntoken = "${VAR}"\n'),
    ("a.sh", 'TOKEN=$VAR\nPASSWORD=${DB_PASSWORD}\nexport API_KEY="$(cat key)"\n'),
    (
        "chart.yaml",
        "password: {{ .Values.x }}\ntoken: ${{ secrets.GITHUB_TOKEN }}\nsecretName: my-tls-secret\n",
    ),
    ("a.py", "password = request.form['password']\ntoken = get_token()\napi_key = os.environ[\"X\"]\n"),
    ("a.py", "password = self.password\ntoken = None\nsecret = null\npassword = \"\"\npassword = ''\n"),
    ("a.py", "def f(password: str, token: Optional[str] = None) -> None:\n    password: str\n"),
    ("a.py", "def login(username, password):\n    return check(username=username, password=password)\n"),
    ("a.js", "const password = user.password;\ndollarToken = +dollarToken;\nlet token = await getToken();\n"),
    ("a.py", 'if token == self.reset_url_token:\n    pass\nTOKEN_URL = "https://oauth2.example.com/token"\n'),
    ("a.py", "max_tokens = 4096\npassword_min_length = 12\nauthor = 'Jane Smith 1990'\n"),
    ("a.py", 'token = "%HOMEPATH%\\\\" + token[2:]\npassword_file = "/run/secrets/db_password"\n'),
    ("a.py", 'User.objects.filter(password__startswith="bcrypt$$")\n"password1": "FORBIDDEN_VALUE2",\n'),
    ("a.py", 'ADMIN_PASSWORD = "pbkdf2_sha256$30000$Vo0VlMnkR4Bk$qEvtdyZRWTcOsCnI/oQ7fVOu1XAURIZY="\n'),
    ("a.py", '"token": "1111-aaaaa",\nSECRET = "1bcdefghij2bcdefghij3bcdefghij4bcdefghij"\n'),
    ("a.py", 'reset_url_token = "set-passwordcustom"\npassword = "correct horse battery staple"\n'),
    ("a.md", "Set `password: <your password>` and `token: YOUR_TOKEN_HERE` in the config.\n"),
    ("a.py", 'url = "http://user:pass@proxy:8080"\nurl = "http://{}:{}@{}:9000".format(a, b, c)\n'),
    ("a.py", 'url = f"http://{USER}:{PASSWORD}@host/"\nproxy = "http://user:password@host/"\n'),
    (
        "pem.py",
        'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    kind = "rsa"\n'
        + "".join(f"line_{k} = {k}\n" for k in range(40)),
    ),
    ("pem.py", 'BEGIN = "-----BEGIN PRIVATE KEY-----"\nEND = "-----END PRIVATE KEY-----"\n'),
    (
        "pem.py",
        'def load(text):\n    if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n'
        '        body = text.split("\\n")[1:-1]\n'
        '    assert text.endswith("-----END RSA PRIVATE KEY-----")\n',
    ),
    # A name about how a secret is shown, not what it holds (httpie's tests).
    ("test_json.py", "TEST_PREFIX_TOKEN_COLOR = '\\x1b[04m\\x1b[91m'\n"),
]


@pytest.mark.parametrize(
    ("path", "text"), FALSE_POSITIVES, ids=[f"fp{k}" for k in range(len(FALSE_POSITIVES))]
)
def test_placeholders_expressions_and_code_are_not_secrets(path, text):
    assert scan(text, path) == []
    assert redact(text, path) == (text, [])


def _pem(kind: str = "RSA ", lines: int = 6, nl: str = "\n") -> tuple[str, str]:
    body = nl.join(rand(64, ALNUM + "+/") for _ in range(lines)) + nl + rand(20, ALNUM + "+/") + "=="
    return f"-----BEGIN {kind}PRIVATE KEY-----{nl}{body}{nl}-----END {kind}PRIVATE KEY-----{nl}", body


@pytest.mark.parametrize("kind", ["RSA ", "", "EC ", "OPENSSH ", "ENCRYPTED "])
def test_pem_block_body_is_redacted_markers_and_lines_kept(kind):
    key, body = _pem(kind)
    text = "before = 1\n" + key + "after = 2\n"
    out, found = redact(text, "deploy/key.txt")
    assert out == (
        f"before = 1\n-----BEGIN {kind}PRIVATE KEY-----\n[REDACTED:Private Key]"
        + "\n" * body.count("\n")
        + f"\n-----END {kind}PRIVATE KEY-----\nafter = 2\n"
    )
    assert [(f.line, f.kind) for f in found] == [(3, "Private Key")]
    assert out.count("\n") == text.count("\n")
    for line in body.split("\n"):
        assert line[-12:] not in out


def test_pem_block_with_crlf_and_headers_and_one_in_a_json_string():
    key, body = _pem("RSA ", nl="\r\n")
    headers = "Proc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,0A1B\r\n\r\n"
    key = key.replace("KEY-----\r\n", "KEY-----\r\n" + headers, 1)
    out, _ = redact("x\r\n" + key, "k.pem")
    assert out.count("\r\n") == ("x\r\n" + key).count("\r\n") and body[-12:] not in out
    assert "-----BEGIN RSA PRIVATE KEY-----" in out and "-----END RSA PRIVATE KEY-----" in out
    inline, body = _pem("", nl="\\n")
    text = json.dumps({"type": "service_account", "private_key": "X"}).replace("X", inline.replace('"', ""))
    out, found = redact(text + "\n", "sa.json")
    assert "-----BEGIN PRIVATE KEY-----\\n[REDACTED:Private Key]\\n-----END PRIVATE KEY-----" in out
    assert len(found) == 1 and all(part[-12:] not in out for part in body.split("\\n"))


def test_a_lone_begin_marker_does_not_swallow_the_file():
    text = 'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    x = 1\n' * 3
    assert redact(text, "a.py") == (text, [])
    key, _ = _pem()
    text2 = text + key  # a real key after the lone markers: only its body goes
    out, found = redact(text2, "a.py")
    assert out.startswith(text) and len(found) == 1 and out.count("\n") == text2.count("\n")


def test_provider_tokens_are_secrets_anywhere_and_inside_longer_words_are_not():
    token = "ghp_" + rand(36)
    for text in (f"# see {token}\n", f"{token}\n", f"[{token}](x)\n", f"<{token}>\n"):
        out, found = redact(text, "tests/test_x.py")
        assert token not in out and len(found) == 1, text
    # An AWS-shaped run inside a longer base64 word is no access key id.
    blob = "x" + "AKIA" + rand(16, string.ascii_uppercase + string.digits) + "abc"
    assert scan(f"integrity = {blob}\n", "package-lock.json") == []


def test_apply_keeps_newlines_of_a_span_and_reports_lines():
    text = "a\nb-SECRET\nLINES-c\nd\n"
    start, end = text.index("SECRET"), text.index("-c")
    out, found = apply(text, [(start, end, "Private Key")], "f")
    assert out == "a\nb-[REDACTED:Private Key]\n-c\nd\n"
    assert [(f.path, f.line, f.kind) for f in found] == [("f", 2, "Private Key")]


# --- properties ---------------------------------------------------------------------------

_CODE_LINES = [
    "def f(x):",
    "    return x + 1",
    "for user, password := range accounts {",
    "x = {'a': 1}",
    "password = request.form['password']",
    "token = get_token()",
    "    # a comment",
    "",
    "const y = `template ${v}`;",
    "SECRET_KEY = 'development key'",
    "if a == b:",
    "\t}",
    'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):',
    "-----END RSA PRIVATE KEY-----",
    "url = 'http://{}:{}@{}'.format(a, b, c)",
    "auth: basic",
    "api_key: ${API_KEY}",
]
_PLANTED = [f"value = '{s}'" for _, s in PROVIDER_SECRETS] + [
    f"DB_PASSWORD={PASSWORD}",
    f"aws_secret_access_key = {AWS_SECRET}",
    f"db = 'postgres://u:{URL_PASSWORD}@h/db'",
    f'"password": "{PASSWORD}",',
]
_IDENT = st.text(alphabet=string.ascii_letters + string.digits + "_ ", min_size=0, max_size=30)
_SOME_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=40
)
_LINE = st.one_of(
    st.sampled_from(_CODE_LINES),
    st.sampled_from(_PLANTED),
    st.builds(lambda a, b: f"{a} = {b}", _IDENT, _IDENT),
    _SOME_TEXT,
    st.builds(
        lambda a, s: f"{a}{s}", st.sampled_from(["x = ", "# ", "key: ", "  - "]), st.sampled_from(_PLANTED)
    ),
)
_BLOCK = st.one_of(_LINE.map(lambda s: s + "\n"), st.just(None).map(lambda _: _pem()[0]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_BLOCK, max_size=25).map("".join), st.sampled_from(["a.py", "b.go", ".env", "c.yaml", "d.md"])
)
def test_redaction_changes_only_the_spans(text, path):
    spans = scan(text, path)
    out, found = redact(text, path)
    assert out.count("\n") == text.count("\n") and len(found) == len(spans)
    pos = opos = 0
    for start, end, kind in spans:
        assert pos <= start < end
        if "\n" in text[start:end] or "\r" in text[start:end]:
            assert kind == "Private Key"
        # Outside the spans, byte for byte; each span is its marker and its newlines.
        assert out[opos : opos + start - pos] == text[pos:start]
        opos += start - pos
        marker = f"[REDACTED:{kind}]" + "\n" * text.count("\n", start, end)
        assert out[opos : opos + len(marker)] == marker
        opos += len(marker)
        pos = end
    assert out[opos:] == text[pos:]
    for line in _PLANTED:
        if line in text:
            secret = line.split("=", 1)[-1].split(":")[-1].strip("'\", ").split("@")[0]
            assert secret[-12:] not in out


# Characters and words where RE2's and Python's classes or case folding differ, around
# the parts the candidate-line patterns look for.
_TRICKY = st.sampled_from(
    [
        "a",
        "Z",
        "0",
        "7",
        "_",
        "-",
        ".",
        "/",
        "+",
        "=",
        ":",
        "'",
        '"',
        "`",
        "\\",
        "]",
        " ",
        "\t",
        "\n",
        "\r",
        "\x0b",
        "\x1c",
        "\x85",
        "\u00a0",
        "\u3000",
        "é",
        "ı",
        "İ",
        "ſ",
        "\u212a",
        "٣",
        "²",
        "password",
        "PASS",
        "pwd",
        "secret",
        "TOKEN",
        "api_key",
        "APİ-KEY",
        "auth",
        "credentİal",
        "private.key",
        "access-key",
        "client_key",
        "sİgnİng-key",
        "encryptıon_key",
        "Master.Key",
        "consumer_key",
        "AKIA",
        "asİa",
        "AIza",
        "ghp_",
        "gho_",
        "gİthub_pat_",
        "hf_",
        "sk_lİve_",
        "rk_test_",
        "sk-admİn-",
        "sk-ant-",
        "EYJ",
        "npm_",
        "glİmt-",
        "glpat-",
        "hooks.slack.com",
        "://u:p@",
        "0123456789",
        "abcdefghij",
        "=>",
        ":=",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TRICKY, max_size=60).map("".join))
def test_fast_candidate_lines_are_the_lines_python_re_finds(text):
    expect, start = [], 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        if _ANY.search(text, start, end):
            expect.append((start, end))
        start = end
    assert list(_candidate_lines(text)) == expect


@settings(max_examples=400, deadline=None)
@given(st.lists(_TRICKY, max_size=60).map("".join).filter(str.isascii))
def test_an_ascii_text_scans_as_it_does_behind_a_non_ascii_line(text):
    """An ASCII text's candidate lines come from RE2 over its bytes; behind a line holding
    "é" the same lines take the str path: the same spans, two characters on."""
    key = "AKIA" + "QWERTYUIOPASDFGH"
    for t in (text, f'{text}\naws = "{key}"\n'):
        assert [(a + 2, b + 2, k) for a, b, k in scan(t)] == scan("é\n" + t)


_BITS = st.sampled_from(
    [
        "password",
        "DB_PASS",
        "apiKey",
        "client-secret",
        "x.token",
        "SIGNING_KEY",
        "credentials",
        "export ",
        "=",
        " = ",
        ": ",
        ":=",
        "=>",
        "==",
        "'",
        '"',
        "`",
        '\\"',
        "]",
        "[",
        " ",
        "#",
        "\t",
        "hunter2xyz!",
        "Zx81-Qw93",
        "s3cr3tP4ss",
        "AKIA",
        "ASIA",
        "ghp_",
        "github_pat_",
        "hf_",
        "AIza",
        "sk_live_",
        "sk-proj-",
        "sk-ant-api03-",
        "xoxb-",
        "eyJ",
        "://",
        "@",
        "u:",
        "pw!9x",
        "ABCDEFGHJK",
        "glpat-",
        "npm_",
        "hooks.slack.com/services/T",
        "/B",
        "sk_test_",
        "sk-admin-",
        "eyJhbGciOiJub25lIn0.",
        "abcdefghjk",
        "0123456789",
        "QWxhZGRpbjpvcGVu",
        "-",
        "_",
        ".",
        "/",
        "+",
    ]
)


@settings(max_examples=800, deadline=None)
@given(st.lists(_BITS, max_size=30).map("".join), st.booleans())
def test_every_line_a_detector_finds_is_a_candidate_line(line, code):
    """The prefilter lets through every line holding something to redact: none is missed."""
    if list(_scan_line(line + "\n", code)):
        assert _ANY.search(line + "\n")
        assert list(_candidate_lines(line + "\n")) == [(0, len(line) + 1)]


_DETECTOR_BITS = st.sampled_from(
    [
        "AKIA",
        "ASIA",
        "A3TX",
        "0123456789ABCDEF",
        "abcdef0123456789",
        "ghp_",
        "glpat-",
        "glagent-",
        "xoxb-",
        "sk_live_",
        "rk_live_",
        "sq0csp-",
        "SG.",
        "eyJ",
        "hf_",
        "AIza",
        "dapi",
        "sk-proj-",
        "sk-ant-api03-",
        "T3BlbkFJ",
        "pypi-AgEIcHlwaS5vcmc",
        "AccountKey=",
        "https://",
        "://",
        "@",
        ":",
        "=",
        '"',
        "'",
        " ",
        "\t",
        "\x0b",
        "\x1c",
        "\n",
        "-us1",
        "AC",
        "SK",
        "cloudant",
        "ibm",
        "cos",
        "softlayer",
        "_authToken=",
        "//",
        "hooks.slack.com/services/T",
        "/B",
        "aws",
        "key",
        "pwd",
        "12345678:",
        "MNO",
        ".",
        "-",
        "_",
        "a",
        "Z",
        "9",
        "x" * 8,
        "Q" * 20,
        "7" * 10,
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_DETECTOR_BITS, max_size=40).map("".join))
def test_fast_detector_gate_passes_every_line_a_detector_matches(line):
    """RE2 decides which ASCII lines reach the detectors: it may let more through, never fewer."""
    from packer.secrets import _any_detector, _may_detect

    if _any_detector().search(line):
        assert _may_detect(line)


def test_undecodable_bytes_are_scanned_with_their_offsets_kept():
    """A name or text read with surrogateescape: RE2 cannot take a lone surrogate."""
    key = "AKIA" + "QWERTYUIOPASDFGH"
    text = f"keys/\udcff{key}.txt"
    assert scan(text) == [(6, 6 + len(key), "AWS Access Key")]
    assert redact(text)[0] == "keys/\udcff[REDACTED:AWS Access Key].txt"
