"""The records passed between stages (`packer.records`): the manifest's documented shape,
a file's cost by mode, and what makes a task empty. Skip reasons are tested in test_measure,
rank weights in test_rank."""

import json
from dataclasses import replace

import packer
from packer.records import (
    Decision,
    DiffSection,
    Duplicate,
    FileInfo,
    PackResult,
    PackStats,
    Part,
    Secret,
    Skip,
    Task,
)

STATS = PackStats(files_seen=4, files_packed=2, files_listed=1, files_skipped=1, seconds={"walk": 0.1})


def _result(**kw) -> PackResult:
    return PackResult(
        root="/r",
        encoding="o200k_base",
        target="codex",
        budget=8000,
        total_tokens=1234,
        files=(
            Decision("a.py", "full", 100, 0.9, "focus", part=kw.get("part_a")),
            Decision("b.py", "skeleton", 40, 0.5, "ranked", part=kw.get("part_b")),
            Decision("c.py", "listed", 3, 0.0, "duplicate of a.py"),
        ),
        skipped=(Skip("blob.bin", "binary"), Skip("big.txt", "too-large", "5 bytes > 4")),
        warnings=("a warning is not in the manifest",),
        stats=STATS,
        duplicates=(Duplicate("c.py", "a.py", 1.0),),
        parts=kw.get("parts", ()),
        secrets=(Secret("a.py", 3, "GitHub Token"),),
    )


def test_the_manifest_of_one_pack():
    manifest = _result().manifest()
    assert json.dumps(manifest) == json.dumps(
        {
            "version": 1,
            "root": "/r",
            "encoding": "o200k_base",
            "target": "codex",
            "budget": 8000,
            "total_tokens": 1234,
            "packer_version": packer.__version__,
            "task": {"query": "", "focus": [], "diff": None, "staged": False},
            "files": [
                {"path": "a.py", "mode": "full", "tokens": 100, "score": 0.9, "reason": "focus"},
                {"path": "b.py", "mode": "skeleton", "tokens": 40, "score": 0.5, "reason": "ranked"},
                {"path": "c.py", "mode": "listed", "tokens": 3, "score": 0.0, "reason": "duplicate of a.py"},
            ],
            "skipped": [
                {"path": "blob.bin", "reason": "binary"},
                {"path": "big.txt", "reason": "too large (5 bytes > 4)"},
            ],
            "duplicates": [{"path": "c.py", "same_as": "a.py", "similarity": 1.0}],
            "secrets": [{"path": "a.py", "line": 3, "kind": "GitHub Token", "redacted": True}],
        }
    )  # key order included: the manifest's bytes are part of the output


def test_a_split_manifest_gives_each_file_its_part_and_lists_the_parts():
    parts = (Part(1, "/o/p-1.xml", 7000, 1, 0), Part(2, None, 900, 0, 1))
    manifest = _result(parts=parts, part_a=1, part_b=2).manifest()
    assert list(manifest) == [
        "version",
        "root",
        "encoding",
        "target",
        "budget",
        "total_tokens",
        "packer_version",
        "task",
        "files",
        "parts",
        "skipped",
        "duplicates",
        "secrets",
    ]
    assert [f["part"] for f in manifest["files"]] == [1, 2, None]  # a path in no part: null
    assert list(manifest["files"][0]) == ["path", "mode", "tokens", "score", "reason", "part"]
    assert manifest["parts"] == [
        {"part": 1, "path": "/o/p-1.xml", "total_tokens": 7000, "files_full": 1, "files_skeleton": 0},
        {"part": 2, "path": None, "total_tokens": 900, "files_full": 0, "files_skeleton": 1},
    ]


def test_a_files_cost_by_mode():
    info = FileInfo("a.py", "/r/a.py", 10, "d", "utf-8", "python", tokens=120, lines=9)
    assert (info.cost("full"), info.cost("skeleton")) == (120, 120)  # no skeleton measured: full
    measured = replace(info, skeleton_tokens=30)
    assert (measured.cost("full"), measured.cost("skeleton")) == (120, 30)


def test_a_task_is_empty_without_query_focus_or_changes():
    assert Task().empty and Task(staged=True).empty and Task(diff_ref="HEAD").empty  # nothing changed
    assert not Task(query="why").empty and not Task(focus=("a.py",)).empty
    assert not Task(changed=("a.py",)).empty
    sections = (DiffSection("a.py", "diff --git a/a.py b/a.py\n+x\n"), DiffSection(None, "odd\n"))
    task = Task(diff_ref="HEAD", diff_sections=sections)
    assert not task.empty and task.raw_diff == "diff --git a/a.py b/a.py\n+x\nodd\n"


def test_a_reason_given_as_a_function_is_made_once_when_first_read():
    import copy
    import dataclasses
    import pickle

    calls = []

    def why() -> str:
        calls.append(1)
        return "over budget"

    lazy = Decision("c.py", "listed", 3, 0.0, why, size=9)
    assert calls == []  # made only when read
    assert lazy.reason == "over budget" and lazy.reason == "over budget"
    assert calls == [1]
    assert lazy == Decision("c.py", "listed", 3, 0.0, "over budget", size=9)
    assert hash(lazy) == hash(Decision("c.py", "listed", 3, 0.0, "over budget", size=9))
    # A copy, a pickle and asdict hold the words, never the function.
    fresh = Decision("d.py", "listed", 3, 0.0, lambda: "folded")
    assert pickle.loads(pickle.dumps(fresh)).reason == "folded"
    assert copy.deepcopy(Decision("d.py", "listed", 3, 0.0, lambda: "x")).__dict__["_reason"] == "x"
    assert dataclasses.asdict(Decision("e.py", "listed", 3, 0.0, lambda: "y"))["reason"] == "y"
    assert json.dumps(replace(_result(), files=(lazy,)).manifest()["files"]) == json.dumps(
        [{"path": "c.py", "mode": "listed", "tokens": 3, "score": 0.0, "reason": "over budget"}]
    )


def test_a_decision_needs_its_reason():
    import pytest

    with pytest.raises(TypeError, match="reason"):
        Decision("a.py", "full", 1, 0.5)  # type: ignore[call-arg]
