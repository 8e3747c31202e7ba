"""The HTML report (`packer.report`): one self-contained page, its data escaped so no path
can inject markup, the same bytes for the same result; and, in a real headless Chromium
(marker `browser`; `.ci/run` installs Debian's `chromium`), a box drawn for every file
with the pack's mode, the zoom, and no script error."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import packages_repo, write

import packer
from packer.errors import PackerError
from packer.records import Decision, Duplicate, PackResult, PackStats, Secret, Skip
from packer.report import pack_report, stats_report, write_report

HOSTILE = {
    # Real file names (a "/" makes directories: these nest as "</" and "script><script>...").
    "weird/</script><script>alert(1)</script>.py": "x = '<&>'\n",
    "weird/q\"u'o&te<b>.py": "y = 1\n",
    "weird/ünï cødé 名前.py": "z = 2\n",
    "weird/line\u2028sep\u2029.py": "w = 3\n",
    "weird/<!--comment-->.py": "v = 4\n",
    "__proto__/hasOwnProperty.py": "u = 5\n",  # no plain-object lookup in the script
    "blob.bin": b"\x00\x01\x02binary",
    "package-lock.json": "{}\n",
}
DATA = re.compile(r'<script type="application/json" id="packer-data">(.*?)</script>', re.DOTALL)


def data_of(page: str) -> dict:
    m = DATA.search(page)
    assert m is not None, "no data element"
    return json.loads(m.group(1))


def hand_result(paths_modes, *, skipped=(), duplicates=(), secrets=(), budget=1000) -> PackResult:
    files = tuple(Decision(p, mode, tokens, 0.5, f"reason of {p}") for p, mode, tokens in paths_modes)
    return PackResult(
        root="/repo/demo",
        encoding="o200k_base",
        target="codex",
        budget=budget,
        total_tokens=sum(t for _, _, t in paths_modes) + 10,
        files=files,
        skipped=tuple(skipped),
        warnings=(),
        stats=PackStats(len(files), len(files), 0, len(skipped)),
        duplicates=tuple(duplicates),
        secrets=tuple(secrets),
    )


@pytest.fixture
def packed(tmp_path):
    """A real pack under a budget: full, skeleton and listed files, a duplicate, skips,
    and files with hostile names."""
    root = packages_repo(tmp_path / "repo")
    write(root, HOSTILE)
    result = packer.pack(root, packer.Options(budget=6000, cache=False), output=None)
    return root, result


def expected_modes(result: PackResult) -> dict[str, str]:
    dups = {d.path for d in result.duplicates}
    modes = {d.path: ("duplicate" if d.path in dups else d.mode) for d in result.files}
    return {**modes, **{s.path: "skipped" for s in result.skipped}}


# -- the page as text ----------------------------------------------------------------------


def test_the_page_loads_nothing(packed):
    page = pack_report(packed[1])
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    # Within the first bytes packer reads of a file (output.HEAD_CHARS): a report can be told apart.
    assert '<meta name="generator" content="packer report">' in page[:1024]
    assert not re.search(r"\b(?:src|href|action|srcset|poster)\s*=", page, re.IGNORECASE)
    for network in ("http:", "https:", "//cdn", "@import", "url(", "fetch(", "XMLHttpRequest", "import("):
        assert network not in page
    # Exactly the three inline scripts: the error hook, the data, the treemap.
    assert len(re.findall(r"<script\b", page, re.IGNORECASE)) == 3
    assert len(re.findall(r"</script", page, re.IGNORECASE)) == 3


def test_hostile_paths_and_reasons_round_trip_without_markup():
    paths = [
        "</script><script>alert(1)</script>.py",
        "a/\"double\" & 'single'.py",
        "ünï/cødé 名前.py",
        "line\u2028sep\u2029.py",
        "<!--x-->/y.py",
        "undecodable\udcff.py",
        "__proto__/constructor.py",
    ]
    result = hand_result(
        [(p, "full", 10 + k) for k, p in enumerate(paths)],
        skipped=[Skip("vendor/</script>/", "vendored", "3 files"), Skip("x<y>.bin", "binary")],
    )
    page = pack_report(result, title="</title><script>alert(2)</script> ü")
    assert page.isascii()  # U+2028/9, unicode and lone surrogates all escaped
    assert len(re.findall(r"</script", page, re.IGNORECASE)) == 3  # no path closed a script
    assert len(re.findall(r"<script\b", page, re.IGNORECASE)) == 3
    assert "<!--" not in page and "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)" in page
    assert "<title>&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt; &#252;</title>" in page
    data = data_of(page)
    assert data["title"] == "</title><script>alert(2)</script> ü"
    items = {path: (key, note) for path, key, _tokens, _weight, note in data["items"]}
    assert items == {
        **{p: ("full", f"reason of {p}") for p in paths},
        "vendor/</script>/": ("skipped", "vendored (3 files)"),
        "x<y>.bin": ("skipped", "binary"),
    }


def test_the_same_result_gives_the_same_bytes_whatever_the_order(packed):
    _, result = packed
    page = pack_report(result)
    assert pack_report(result) == page
    shuffled = replace(result, files=tuple(reversed(result.files)))
    assert pack_report(shuffled) == page
    assert pack_report(result, title="other") != page


def test_every_file_has_its_mode_and_the_manifests_reason(packed):
    _, result = packed
    data = data_of(pack_report(result))
    assert data["title"] == "packer pack: repo" and data["lines"][0] == result.root
    got = {path: key for path, key, *_ in data["items"]}
    want = expected_modes(result)
    assert got == want
    assert {"full", "skeleton", "listed", "duplicate", "skipped"} <= set(want.values())
    reasons = {d.path: d.reason for d in result.files} | {s.path: s.reason for s in result.skipped}
    notes = {path: note for path, _key, _tokens, _weight, note in data["items"]}
    assert notes == reasons
    tokens = {path: t for path, _key, t, _w, _n in data["items"]}
    # a packed file is its block; a listed one its own size, not its line in the tree
    sized = {d.path: d.size if d.mode == "listed" and d.size else d.tokens for d in result.files}
    assert any(d.mode == "listed" and d.size and d.size > d.tokens for d in result.files)
    assert tokens == {**sized, **{s.path: 0 for s in result.skipped}}
    legend = {entry["key"]: entry["files"] for entry in data["legend"]}
    assert sum(legend.values()) == len(want)
    assert legend["skipped"] == len(result.skipped) and legend["duplicate"] == len(result.duplicates)


def test_files_that_cost_nothing_are_drawn_at_the_smallest_cost():
    result = hand_result(
        [("a.py", "full", 500), ("b.py", "listed", 7), ("c/d.py", "listed", 0)],
        skipped=[Skip("e.bin", "binary")],
    )
    weights = {path: w for path, _k, _t, w, _n in data_of(pack_report(result))["items"]}
    assert weights == {"a.py": 500, "b.py": 7, "c/d.py": 7, "e.bin": 7}


def test_duplicates_secrets_and_parts_show_on_hover():
    result = hand_result(
        [("a.py", "full", 50), ("b.py", "listed", 3)],
        duplicates=[Duplicate("b.py", "a.py", 1.0), Duplicate("gone.py", "a.py", 0.9)],
        secrets=[Secret("a.py", 3, "AWS key"), Secret("a.py", 9, "password", redacted=False)],
    )
    items = {path: (key, note) for path, key, _t, _w, note in data_of(pack_report(result))["items"]}
    assert items["b.py"] == ("duplicate", "reason of b.py")
    assert items["gone.py"] == ("duplicate", "duplicate of a.py")  # never lost
    assert items["a.py"] == ("full", "reason of a.py; 2 secret(s) not redacted")


def test_stats_report_colours_by_language(packed):
    root, _ = packed
    result = packer.stats(root, packer.Options(cache=False))
    data = data_of(stats_report(result))
    assert data["kind"] == "stats" and data["title"] == "packer stats: repo"
    keys = {path: key for path, key, *_ in data["items"]}
    assert keys["core/mod0.py"] == "python" and keys["README.md"] == "markdown"
    assert {s.path for s in result.skipped} == {p for p, k in keys.items() if k == "skipped"}
    assert {e.path for e in result.largest} == {p for p, k in keys.items() if k != "skipped"}
    legend = {entry["key"]: (entry["files"], entry["tokens"]) for entry in data["legend"]}
    python = [e for e in result.largest if e.language == "python"]
    assert legend["python"] == (len(python), sum(e.tokens for e in python))
    assert "other" not in legend  # every file has a language here: no empty legend entry


def test_stats_languages_past_the_palette_share_other(tmp_path):
    from packer.report import PALETTE

    exts = ["py", "js", "ts", "go", "rs", "java", "c", "rb", "php", "kt", "swift", "scala", "sh"]
    write(tmp_path, {f"f.{ext}": "x\n" * (k + 1) for k, ext in enumerate(exts)})
    result = packer.stats(tmp_path, packer.Options(cache=False))
    languages = {e.language for e in result.largest}
    assert len(languages) > len(PALETTE)
    data = data_of(stats_report(result))
    legend = [entry["key"] for entry in data["legend"]]
    assert len(legend) == len(PALETTE) + 1 and legend[-1] == "other"
    others = {e.language for e in result.largest if e.language not in legend}
    assert len(others) == len(languages) - len(PALETTE)
    assert {p for p, key, *_ in data["items"] if key == "other"} == {
        e.path for e in result.largest if e.language in others
    }


def test_write_report_is_packers_safe_writer(tmp_path):
    page = pack_report(hand_result([("a.py", "full", 5)]))
    target = tmp_path / "report.html"
    write_report(target, page)
    assert target.read_text(encoding="utf-8") == page
    link = tmp_path / "link.html"
    link.symlink_to(tmp_path / "elsewhere.html")
    with pytest.raises(PackerError, match="symbolic link"):
        write_report(link, page)
    assert not (tmp_path / "elsewhere.html").exists()
    with pytest.raises(PackerError, match="is a directory"):
        write_report(tmp_path, page)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# -- the page in a real browser ------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(
            "chromium is not installed: the HTML report is tested in a real browser. Install "
            "Debian's package (apt-get install -y --no-install-recommends chromium); .ci/run does"
        )
    return found


class Boxes(HTMLParser):
    """The treemap's boxes in a dumped DOM, the body's attributes, errors and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: dict[str, str] = {}
        self.dirs: list[str] = []
        self.body: dict[str, str | None] = {}
        self.errors: list[str] = []
        self.scripts = 0
        self._in_error = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "script":
            self.scripts += 1
        if a.get("id") == "report-error":
            self._in_error = True
            self.errors.append("")
        if "data-path" in a:
            assert a["data-path"] not in self.files, f"drawn twice: {a['data-path']}"
            self.files[a["data-path"]] = a["data-mode"]
        if "data-dir" in a:
            self.dirs.append(a["data-dir"])

    def handle_endtag(self, tag):
        self._in_error = False

    def handle_data(self, data):
        if self._in_error:
            self.errors[-1] += data


def browse(chromium: str, page: Path, tmp: Path, fragment: str = "") -> tuple[Boxes, list[str]]:
    """The DOM headless Chromium has after loading `page`, and the console lines it logged."""
    run = subprocess.run(
        [
            chromium,
            "--headless=new",
            "--no-sandbox",  # as root (CI containers); the page is ours and loads nothing
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={tmp / 'profile'}",
            "--window-size=1200,800",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    boxes = Boxes()
    boxes.feed(run.stdout)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return boxes, console


@pytest.mark.browser
def test_the_browser_draws_a_box_per_file_with_its_mode(packed, chromium, tmp_path):
    _, result = packed
    page = tmp_path / "report.html"
    write_report(page, pack_report(result))
    boxes, console = browse(chromium, page, tmp_path)
    assert console == [] and boxes.errors == []
    want = expected_modes(result)
    assert boxes.files == want  # hostile names included, each drawn once with its mode
    assert boxes.body.get("data-ready") == "1" and boxes.body.get("data-drawn") == str(len(want))
    assert boxes.scripts == 3  # no path became a script
    assert {"core/", "weird/", "weird/</", "__proto__/"} <= set(boxes.dirs)


@pytest.mark.browser
def test_the_browser_zooms_into_a_directory(packed, chromium, tmp_path):
    _, result = packed
    page = tmp_path / "report.html"
    write_report(page, pack_report(result))
    boxes, console = browse(chromium, page, tmp_path, "#" + quote("weird/</", safe=""))
    assert console == [] and boxes.errors == []
    under = {p: m for p, m in expected_modes(result).items() if p.startswith("weird/</")}
    assert boxes.files == under and len(under) == 1
    assert boxes.body.get("data-view") == "weird/</"
    boxes, _ = browse(chromium, page, tmp_path, "#no-such-dir%2F%E0")  # a bad fragment: the root
    assert len(boxes.files) == len(expected_modes(result)) and boxes.errors == []


@pytest.mark.browser
def test_the_browser_draws_the_stats_report(packed, chromium, tmp_path):
    root, _ = packed
    result = packer.stats(root, packer.Options(cache=False))
    page = tmp_path / "stats.html"
    write_report(page, stats_report(result))
    boxes, console = browse(chromium, page, tmp_path)
    assert console == [] and boxes.errors == []
    want = {e.path: e.language for e in result.largest} | {s.path: "skipped" for s in result.skipped}
    assert boxes.files == want


@pytest.mark.browser
def test_the_browser_check_sees_a_script_error(chromium, tmp_path):
    """The error checks are not vacuous: a page whose data is broken is caught both ways."""
    page = tmp_path / "broken.html"
    text = pack_report(hand_result([("a.py", "full", 5)]))
    write_report(page, DATA.sub('<script type="application/json" id="packer-data">{</script>', text))
    boxes, console = browse(chromium, page, tmp_path)
    assert boxes.files == {} and boxes.body.get("data-ready") is None
    assert len(boxes.errors) == 1 and "report error" in boxes.errors[0]
    assert any("Uncaught" in line for line in console)
