"""What every pack shape shares (`packer.prepared`): a header whose stated total is the real
count, header numbers from the plan, copies listed after the fit, and the result's counts
and secrets. The shapes themselves are tested in test_single and test_split."""

import pytest
from conftest import git_repo, module, module_using, write

import packer
from packer import Options, measure
from packer.config import resolve
from packer.pipeline import prepare
from packer.prepared import copy_decisions, make_header, pack_result, settle_header
from packer.records import Task
from packer.render import Header, make_renderer
from packer.single import fit_pack
from packer.tokens import Counter

COUNT = Counter().count
# Totals near the points where a number gains a digit (and a comma): the header's own
# count changes there, so the total it states must be found, not guessed.
NEAR_BOUNDARIES = [*range(0, 40), *range(9_950, 10_030), *range(99_950, 100_030), *range(999_950, 1_000_030)]


def _header(total: int) -> Header:
    return Header("repo", "codex", "gpt-5.5", "o200k_base", 200_000, total, 3, 0, 2, 1)


@pytest.mark.parametrize("fmt", ["xml", "markdown", "json", "plain"])
def test_the_settled_header_states_the_real_total(fmt):
    renderer = make_renderer(fmt)
    one_guess_wrong = 0
    for rest in NEAR_BOUNDARIES:
        header, total = settle_header(COUNT, renderer, _header, rest)
        assert header == _header(total)
        assert total == rest + COUNT(renderer.header(header))  # header included
        guess = rest + COUNT(renderer.header(_header(rest)))
        one_guess_wrong += guess != rest + COUNT(renderer.header(_header(guess)))
    assert one_guess_wrong  # correcting once is not enough: the loop is needed


@pytest.fixture
def prep(tmp_path):
    body = module("alpha")
    root = tmp_path / "r"
    write(
        root,
        {
            "README.md": "# r\n",
            "lib/z.py": body,
            "src/a.py": body,  # copies of lib/z.py, the canonical one (best ranked, by path)
            "vendor/a.py": body,
            "src/b.py": "x = 1\n" * 300,
            "blob.bin": b"\x00\x01",
        },
    )
    cfg = resolve(root, Options(budget="2k", cache=False, keep=["vendored"]))
    return prepare(root, cfg, Task())


def test_header_numbers_come_from_the_plan_unless_given(prep):
    fitted = fit_pack(prep, prep.cfg)
    modes = list(fitted.plan.modes.values())
    header = make_header(prep, prep.cfg, fitted.plan, 1234, 3)
    assert header == Header(
        root_name=prep.root.name,
        target="codex",
        model="gpt-5.5",
        encoding="o200k_base",
        budget=2000,
        total_tokens=1234,
        files_full=modes.count("full"),
        files_skeleton=modes.count("skeleton"),
        files_listed=3,
        files_skipped=1,  # blob.bin
    )
    assert modes.count("full") >= 1
    # The upper bounds a shape reserves room for before it knows the plan.
    bound = make_header(
        prep, prep.cfg, None, 10**12, 5, files_full=5, files_skeleton=5, part=10**6, parts=10**6
    )
    assert (bound.files_full, bound.files_skeleton, bound.part, bound.parts) == (5, 5, 10**6, 10**6)


def test_copies_are_listed_by_path_with_their_tree_line_cost(prep):
    assert sorted(d.path for d in prep.duplicates) == ["src/a.py", "vendor/a.py"]
    fitted = fit_pack(prep, prep.cfg)
    copies = copy_decisions(prep, fitted.tree)
    assert [(d.path, d.mode, d.score, d.reason) for d in copies] == [
        ("src/a.py", "listed", 0.0, "duplicate of lib/z.py"),
        ("vendor/a.py", "listed", 0.0, "duplicate of lib/z.py"),
    ]
    index = {f.path: i for i, f in enumerate(prep.infos)}
    assert [d.tokens for d in copies] == [fitted.tree.line_tokens(index[d.path]) for d in copies]
    assert [d.tokens for d in copy_decisions(prep, None)] == [0, 0]  # no tree: no line


def test_the_result_counts_every_file_once(prep):
    fitted = fit_pack(prep, prep.cfg)
    plan = fitted.plan
    result = pack_result(prep, prep.cfg, fitted.total, plan.decisions, plan.packed, None, ())
    walked = prep.walked
    assert result.stats.files_seen == len(walked.files) + len(walked.skipped) == 6
    assert result.stats.files_packed == len(plan.packed)
    assert result.stats.files_packed + result.stats.files_listed == len(prep.infos) == 5
    assert result.stats.files_skipped == len(result.skipped) == 1
    assert (result.total_tokens, result.budget, result.target) == (fitted.total, 2000, "codex")
    assert result.duplicates == tuple(prep.duplicates) and result.parts == ()


def _pack(root, **kw):
    out = root.parent / "pack.xml"
    result = packer.pack(root, Options(**kw), output=out)
    return out.read_text(encoding="utf-8"), result


def test_a_secret_in_a_packed_file_and_its_diff_line_is_listed_once(tmp_path):
    key = "AKIA" + "Q3EGRT7BZK5XW2MN"
    repo = git_repo(tmp_path / "repo", {"app.py": "DEBUG = False\n", "README.md": "# r\n"})
    write(repo, {"app.py": f'DEBUG = False\nAWS_ACCESS_KEY_ID = "{key}"\n'})
    text, result = _pack(repo, diff="HEAD")
    assert key not in text and "+AWS_ACCESS_KEY_ID = " in text  # the file and its hunk, redacted
    assert [(s.path, s.line, s.redacted) for s in result.secrets] == [("app.py", 2, True)]


def test_skeletons_made_ahead_in_workers_are_those_made_one_at_a_time(tmp_path):
    # Inside `Costs.ahead` a missing skeleton is made in forked workers with those of the
    # next files of the order; every value must be the one made one at a time, from the
    # redacted text, and none made twice.
    root = tmp_path / "r"
    files = {
        f"pkg{k}/mod{j}.py": module_using(f"m{k}{j}", f"m{k}{(j + 1) % 8}", 20 + j)
        for k in range(5)
        for j in range(8)
    }
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    files["pkg0/settings.py"] = module("settings") + f'AWS_SECRET_ACCESS_KEY = "{secret}"\n'
    files["notes.md"] = "# notes\n" * 40
    write(root, files)
    cfg = resolve(root, Options(budget="4k", cache=False))
    ahead, alone = prepare(root, cfg, Task()).costs, prepare(root, cfg, Task()).costs
    everything = list(range(len(files)))
    code = [i for i in everything if ahead.infos[i].language == "python"]
    with ahead.ahead(everything, 10**9):
        first = ahead.skeleton(code[0])
        made = [i for i in code if ahead._lacks_skeleton(i) is False]
        assert len(made) == measure.AHEAD_BATCH  # the first batch, made by the workers
        assert first == alone.skeleton(code[0])
        for i in everything:
            assert ahead.skeleton(i) == alone.skeleton(i) and ahead.full(i) == alone.full(i)
    for i in everything:
        if ahead.skeleton(i) is not None:
            assert ahead.written_text(i, "skeleton") == alone.written_text(i, "skeleton")
            assert secret not in ahead.written_text(i, "skeleton")
    assert any(ahead.skeleton(i) is not None for i in everything)
