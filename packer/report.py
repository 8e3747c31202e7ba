"""The HTML report: one self-contained page with a zoomable treemap of the repository.

`pack_report` colours each file by what the pack did with it (full, skeleton, listed,
duplicate, skipped) with the manifest's reason on hover; `stats_report` colours the files
by language. Box areas are tokens: a file's cost in the pack, or its content tokens for
`stats`. A file that costs nothing (skipped, or listed in a folded directory) is drawn at
the size of the smallest file that costs something, so it can still be seen and hovered.

The page loads nothing: its style and script are inline, and the data is JSON in a
`<script type="application/json">` element with `<`, `>` and `&` escaped, so no path
(`</script>` included) can end the element or inject markup; the script sets text with
`textContent` and `title`, never as HTML. The same result gives the same bytes.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packer import output as outputs
from packer.records import Decision, PackResult, Skip
from packer.stats import StatsResult

__all__ = ["pack_report", "stats_report", "write_report"]

# (key, label, colour) of what a pack does with a file, in the legend's order.
PACK_KEYS = (
    ("full", "full", "#2e7d32"),
    ("skeleton", "skeleton", "#3f7fd0"),
    ("listed", "listed", "#e0a526"),
    ("duplicate", "duplicate", "#8e5cc8"),
    ("skipped", "skipped", "#9e9e9e"),
)
# Languages of a stats report, most tokens first; the rest share "other".
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
OTHER = ("other", "other", "#c9c3bd")
SKIPPED = PACK_KEYS[-1]


@dataclass(frozen=True)
class Box:
    """One file (or pruned directory, path ending in "/") of the treemap."""

    path: str
    key: str  # the legend entry it belongs to
    tokens: int
    note: str  # the reason, shown on hover


def _decision_box(d: Decision, duplicate: bool, secrets: int, unredacted: int) -> Box:
    """One packed or listed file's box: its mode, size and the reason on hover."""
    notes = [d.reason]
    if d.part is not None:
        notes.append(f"part {d.part}")
    if secrets:
        notes.append(f"{secrets} secret(s) {'not redacted' if unredacted else 'redacted'}")
    # A listed file's own size, not its line in the tree: the map is of the repository.
    tokens = d.size if d.mode == "listed" and d.size else d.tokens
    return Box(d.path, "duplicate" if duplicate else d.mode, tokens, "; ".join(n for n in notes if n))


def pack_report(result: PackResult, *, title: str | None = None) -> str:
    """The report of a pack: each file coloured by its mode, the manifest's reason on hover."""
    dups = {d.path: d for d in result.duplicates}
    secrets = Counter(s.path for s in result.secrets)
    unredacted = Counter(s.path for s in result.secrets if not s.redacted)
    boxes = [_decision_box(d, d.path in dups, secrets[d.path], unredacted[d.path]) for d in result.files]
    listed = {d.path for d in result.files}
    for dup in result.duplicates:
        if dup.path not in listed:  # every duplicate is listed today; never lose one if not
            boxes.append(Box(dup.path, "duplicate", 0, f"duplicate of {dup.same_as}"))
    boxes += _skipped(result.skipped)
    lines = [
        result.root,
        f"{result.total_tokens:,} tokens"
        + (f" of a {result.budget:,} budget" if result.budget is not None else "")
        + f" \u00b7 {result.encoding} \u00b7 target {result.target}",
    ]
    if result.output_path:
        lines.append(f"written to {result.output_path}")
    lines += [f"{p.path or f'part {p.index}'}: {p.total_tokens:,} tokens" for p in result.parts]
    name = title if title is not None else f"packer pack: {_base(result.root)}"
    return _page(name, "pack", _base(result.root), lines, PACK_KEYS, boxes)


def stats_report(result: StatsResult, *, title: str | None = None) -> str:
    """The report of `packer stats`: each file coloured by its language, sized by its tokens."""
    by_language = Counter[str]()
    for e in result.largest:
        by_language[e.language or "other"] += e.tokens
    ranked = sorted((lang for lang in by_language if lang != "other"), key=lambda k: (-by_language[k], k))
    shown = ranked[: len(PALETTE)]
    keys = [(lang, lang, colour) for lang, colour in zip(shown, PALETTE, strict=False)]
    named = set(shown)
    if any(e.language not in named for e in result.largest):
        keys.append(OTHER)
    if result.skipped:
        keys.append(SKIPPED)
    boxes = [
        Box(e.path, e.language if e.language in named else "other", e.tokens, e.language or "")
        for e in result.largest
    ]
    boxes += _skipped(result.skipped)
    lines = [
        result.root,
        f"{result.total_tokens:,} tokens in {result.files:,} files \u00b7 {result.encoding}",
    ]
    name = title if title is not None else f"packer stats: {_base(result.root)}"
    return _page(name, "stats", _base(result.root), lines, keys, boxes)


def write_report(path: str | os.PathLike[str], html_text: str) -> None:
    """Write a report by packer's rules (`packer.output`): atomically, never through a
    symlink, never over a directory; a PackerError names the path and the fix."""
    outputs.write_text(path, html_text)


def _skipped(skips: Iterable[Skip]) -> list[Box]:
    return [Box(s.path, "skipped", 0, s.reason) for s in skips]


def _base(root: str) -> str:
    return os.path.basename(root.rstrip("/\\")) or root


def _page(
    title: str,
    kind: str,
    root_name: str,
    lines: Sequence[str],
    keys: Sequence[tuple[str, str, str]],
    boxes: Sequence[Box],
) -> str:
    ordered = sorted(boxes, key=lambda b: b.path)
    # Zero-cost files get the smallest positive cost as their area (see the module docstring).
    floor = min((b.tokens for b in ordered if b.tokens > 0), default=1)
    count = Counter(b.key for b in ordered)
    tokens = Counter[str]()
    for b in ordered:
        tokens[b.key] += b.tokens
    data = {
        "kind": kind,
        "title": title,
        "root": root_name,
        "lines": list(lines),
        "legend": [
            {"key": k, "label": label, "color": colour, "files": count[k], "tokens": tokens[k]}
            for k, label, colour in keys
        ],
        "items": [[b.path, b.key, b.tokens, max(b.tokens, floor), b.note] for b in ordered],
    }
    return _HEAD.replace("{title}", _html_text(title)) + _script_json(data) + _BODY


def _script_json(data: object) -> str:
    """JSON safe inside a script element: ASCII only (U+2028/9 and lone surrogates escaped
    too), and no `<`, `>` or `&`, so nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _html_text(text: str) -> str:
    """Text for an HTML element, ASCII only; a lone surrogate (an undecodable file name)
    becomes U+FFFD rather than an encoding error."""
    clean = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return html.escape(clean).encode("ascii", "xmlcharrefreplace").decode("ascii")


_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="packer report">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script>
window.onerror = function (message, source, line) {
  var d = document.createElement("pre");
  d.id = "report-error";
  d.textContent = "report error: " + message + " (line " + line + ")";
  (document.body || document.documentElement).appendChild(d);
};
</script>
<style>
html, body { margin: 0; height: 100%; font: 13px/1.35 system-ui, sans-serif; color: #222; }
body { display: flex; flex-direction: column; }
#bar { padding: 6px 10px; background: #f3f3f3; border-bottom: 1px solid #ccc; cursor: zoom-out; }
#bar h1 { font-size: 15px; margin: 0 0 2px; }
#lines { color: #555; }
#crumbs span { cursor: pointer; color: #1a5fb4; }
#crumbs span:hover { text-decoration: underline; }
#legend { margin-top: 3px; }
#legend span.key { display: inline-block; margin-right: 14px; white-space: nowrap; }
#legend i { display: inline-block; width: 11px; height: 11px; margin-right: 4px; vertical-align: -1px;
  border: 1px solid #0003; }
#info { color: #333; min-height: 1.35em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#map { position: relative; flex: 1; min-height: 240px; overflow: hidden; background: #fff; }
#map div { position: absolute; box-sizing: border-box; overflow: hidden; }
#map .dir { background: #e8e8e8; border: 1px solid #bbb; cursor: zoom-in; }
#map .dir > b { display: block; padding: 0 3px; font-weight: 600; font-size: 11px; line-height: 15px;
  white-space: nowrap; color: #333; }
#map .file { border: 1px solid #fff8; color: #fff; font-size: 11px; line-height: 14px; padding: 1px 3px;
  white-space: nowrap; text-shadow: 0 0 2px #000; }
#map .file:hover, #map .dir:hover { outline: 2px solid #000; outline-offset: -2px; z-index: 1; }
#map .file[data-mode="skipped"] {
  background-image: repeating-linear-gradient(45deg, #fff6 0 3px, transparent 3px 7px); }
#report-error { color: #b00; background: #fee; margin: 0; padding: 6px 10px; }
</style>
</head>
<body>
<div id="bar" title="click to zoom out">
<h1 id="title"></h1>
<div id="lines"></div>
<div id="crumbs"></div>
<div id="legend"></div>
<div id="info"></div>
</div>
<div id="map"></div>
<script type="application/json" id="packer-data">"""

# A squarified treemap (Bruls, Huizing and van Wijk, 2000) of the directory in view, all
# levels below it drawn nested; the zoomed directory is the URL's fragment.
_BODY = """</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("packer-data").textContent);
  var map = document.getElementById("map"), info = document.getElementById("info");
  var colors = {}, labels = {};
  data.legend.forEach(function (l) { colors[l.key] = l.color; labels[l.key] = l.label; });

  function fmt(n) { return String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ","); }
  function dir(name, path, parent) {
    return { name: name, path: path, parent: parent, sub: new Map(), kids: [],
             weight: 0, tokens: 0, files: 0 };
  }
  var root = dir(data.root, "", null);
  data.items.forEach(function (it) {
    var path = it[0], segs = path.split("/"), node = root, prefix = "";
    var name = path.charAt(path.length - 1) === "/" ? (segs.pop(), segs.pop() + "/") : segs.pop();
    segs.forEach(function (s) {
      prefix += s + "/";
      if (!node.sub.has(s)) { var d = dir(s, prefix, node); node.sub.set(s, d); node.kids.push(d); }
      node = node.sub.get(s);
    });
    node.kids.push({ name: name, path: path, parent: node,
                     key: it[1], tokens: it[2], weight: it[3], note: it[4] });
  });
  (function total(d) {
    d.kids.forEach(function (k) {
      if (k.kids) { total(k); d.files += k.files; } else { d.files += 1; }
      d.weight += k.weight; d.tokens += k.tokens;
    });
    d.kids.sort(function (a, b) {
      return b.weight - a.weight || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
  })(root);

  function worst(sum, min, max, side) {
    var s2 = sum * sum, w2 = side * side;
    return Math.max(w2 * max / s2, s2 / (w2 * min));
  }
  function squarify(kids, x, y, w, h) {
    var out = [], total = 0, i = 0;
    kids.forEach(function (k) { total += k.weight; });
    var scale = total > 0 ? (w * h) / total : 0;
    while (i < kids.length) {
      var side = Math.min(w, h), start = i, sum = 0, min = Infinity, max = 0, best = Infinity;
      while (i < kids.length) {
        var a = kids[i].weight * scale, s = sum + a, lo = Math.min(min, a), hi = Math.max(max, a);
        var r = side > 0 && s > 0 ? worst(s, lo, hi, side) : 0;
        if (i > start && r > best) break;
        sum = s; min = lo; max = hi; best = r; i++;
      }
      var along = w >= h, thick = side > 0 ? sum / side : 0, pos = along ? y : x;
      for (var j = start; j < i; j++) {
        var len = thick > 0 ? (kids[j].weight * scale) / thick : 0;
        out.push(along ? [kids[j], x, pos, thick, len] : [kids[j], pos, y, len, thick]);
        pos += len;
      }
      if (along) { x += thick; w = Math.max(0, w - thick); } else { y += thick; h = Math.max(0, h - thick); }
    }
    return out;
  }

  var current = root, drawn = 0;
  function place(el, x, y, w, h) {
    el.style.cssText = "left:" + x.toFixed(1) + "px;top:" + y.toFixed(1) + "px;width:" +
      Math.max(0, w).toFixed(1) + "px;height:" + Math.max(0, h).toFixed(1) + "px";
  }
  function describe(n) {
    if (n.kids) return n.path + " \\u2014 " + fmt(n.tokens) + " tokens, " + fmt(n.files) + " files";
    var what = n.path + " \\u2014 " + labels[n.key] + ", " + fmt(n.tokens) + " tokens";
    return n.note ? what + " \\u2014 " + n.note : what;
  }
  // One handler each on the map for every box (a repository can have 100K): the box's
  // node is its `node` property; its tooltip is set when the pointer first reaches it.
  var sink = null;
  function box(n, x, y, w, h) {
    var el = document.createElement("div");
    place(el, x, y, w, h);
    el.node = n;
    if (n.kids) {
      el.className = "dir";
      el.setAttribute("data-dir", n.path);
      var head = h > 34 && w > 40 ? 15 : 0, pad = w > 6 && h > 6 ? 2 : 0;
      if (head) { var b = document.createElement("b"); b.textContent = n.name + "/"; el.appendChild(b); }
      sink.appendChild(el);
      layout(n, x + pad, y + head + pad, w - 2 * pad, h - head - 2 * pad);
      return;
    }
    el.className = "file";
    el.setAttribute("data-path", n.path);
    el.setAttribute("data-mode", n.key);
    el.setAttribute("data-tokens", String(n.tokens));
    el.style.backgroundColor = colors[n.key] || "#888";
    if (w > 40 && h > 15) el.textContent = n.name;
    sink.appendChild(el);
    drawn++;
  }
  function target(e) {
    var el = e.target;
    while (el && el !== map && !el.node) el = el.parentNode;
    return el && el.node ? el : null;
  }
  map.addEventListener("mouseover", function (e) {
    var el = target(e);
    if (!el) return;
    if (!el.title) el.title = describe(el.node);
    info.textContent = el.title;
  });
  map.addEventListener("click", function (e) {
    var el = target(e);
    if (!el) return;
    e.stopPropagation();
    var n = el.node;
    zoom(n.kids ? n : n.parent);
  });
  function layout(d, x, y, w, h) {
    squarify(d.kids, x, y, Math.max(0, w), Math.max(0, h)).forEach(function (r) {
      box(r[0], r[1], r[2], r[3], r[4]);
    });
  }
  function crumbs() {
    var c = document.getElementById("crumbs"), chain = [];
    c.textContent = "";
    for (var n = current; n; n = n.parent) chain.unshift(n);
    chain.forEach(function (n, k) {
      if (k) c.appendChild(document.createTextNode(" / "));
      var s = document.createElement("span");
      s.textContent = k ? n.name : n.name + " (" + fmt(n.tokens) + " tokens in files)";
      s.addEventListener("click", function (e) { e.stopPropagation(); zoom(n); });
      c.appendChild(s);
    });
  }
  function draw() {
    map.textContent = "";
    drawn = 0;
    sink = document.createDocumentFragment();
    layout(current, 0, 0, map.clientWidth, map.clientHeight);
    map.appendChild(sink);
    crumbs();
    document.body.setAttribute("data-view", current.path);
    document.body.setAttribute("data-drawn", String(drawn));
  }
  function find(path) {
    var node = root;
    path.split("/").forEach(function (s) { if (s && node && node.sub) node = node.sub.get(s); });
    return node && node.kids ? node : root;
  }
  function fromHash() {
    var path = "";
    try { path = decodeURIComponent(location.hash.slice(1)); } catch (e) { path = ""; }
    current = find(path);
    draw();
  }
  function zoom(n) {
    if (n === current) return;
    current = n;
    location.hash = n.path ? encodeURIComponent(n.path) : "";
  }

  document.getElementById("title").textContent = data.title;
  document.getElementById("lines").textContent = data.lines.join(" \\u00b7 ");
  var legend = document.getElementById("legend");
  data.legend.forEach(function (l) {
    var s = document.createElement("span"), i = document.createElement("i");
    s.className = "key";
    i.style.backgroundColor = l.color;
    s.appendChild(i);
    var files = fmt(l.files) + (l.files === 1 ? " file, " : " files, ");
    var text = l.label + " " + files + fmt(l.tokens) + " tokens";
    s.appendChild(document.createTextNode(text));
    legend.appendChild(s);
  });
  document.getElementById("bar").addEventListener("click", function () {
    if (current.parent) zoom(current.parent);
  });
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Escape" || e.key === "Backspace") && current.parent) zoom(current.parent);
  });
  window.addEventListener("hashchange", fromHash);
  window.addEventListener("resize", draw);
  fromHash();
  document.body.setAttribute("data-ready", "1");
})();
</script>
</body>
</html>
"""
