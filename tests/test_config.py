import dataclasses
import os
from pathlib import Path

import pytest

from packer import Options
from packer.config import TARGETS, parse_budget, parse_size, resolve
from packer.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("200k", 200_000),
        ("1m", 1_000_000),
        ("350000", 350_000),
        ("1.5M", 1_500_000),
        ("350_000", 350_000),
        (" 64K ", 64_000),
        (12, 12),
        ("none", None),
    ],
)
def test_budget_forms(text, tokens):
    assert parse_budget(text) == tokens


@pytest.mark.parametrize("bad", ["abc", "-5", "0", "12q", True, "1e6"])
def test_bad_budget_says_how_to_fix(bad):
    with pytest.raises(ConfigError, match="budget"):
        parse_budget(bad)


def test_sizes():
    assert parse_size("1mb") == 1_000_000
    assert parse_size("2MiB") == 2 * 1024 * 1024
    assert parse_size("none") is None
    with pytest.raises(ConfigError, match="invalid size"):
        parse_size("big")


def test_targets_give_the_documented_budgets(tmp_path):
    assert resolve(tmp_path, Options()).budget == 200_000
    assert resolve(tmp_path, Options(target="api")).budget == 1_000_000 - 32_000
    assert resolve(tmp_path, Options(target="api", reserve=100_000)).budget == 900_000
    assert resolve(tmp_path, Options(budget="none")).budget is None
    assert TARGETS["codex"].window == 400_000


def test_layering_defaults_file_options(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.packer]\nformat = "markdown"\nbudget = "50k"\nexclude = ["*.log"]\n'
    )
    cfg = resolve(tmp_path, Options())
    assert (cfg.format, cfg.budget, cfg.exclude) == ("markdown", 50_000, ("*.log",))
    (tmp_path / ".packer.toml").write_text('format = "json"\n')
    cfg = resolve(tmp_path, Options(budget="10k"))
    assert (cfg.format, cfg.budget) == ("json", 10_000)  # .packer.toml beats pyproject


def test_targets_are_extendable_from_config(tmp_path):
    (tmp_path / ".packer.toml").write_text(
        '[targets.small]\nwindow = 128000\nreserve = 8000\nmodel = "mini"\n[targets.api]\nreserve = 0\n'
    )
    cfg = resolve(tmp_path, Options(target="small"))
    assert (cfg.budget, cfg.target.model) == (120_000, "mini")
    assert resolve(tmp_path, Options(target="api")).budget == 1_000_000


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("colour = 1\n", r"\.packer\.toml: unknown key 'colour'"),
        ("budget = true\n", "key 'budget' must be"),
        ("[targets.x]\nwidth = 3\n", "unknown key targets.x.width"),
        ("budget = [\n", "cannot read config"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, match):
    (tmp_path / ".packer.toml").write_text(text)
    with pytest.raises(ConfigError, match=match):
        resolve(tmp_path, Options())


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (Options(target="gpt9"), "unknown target 'gpt9'; use one of: api, auto, codex"),
        (Options(encoding="p50k"), "unknown encoding 'p50k'"),
        (Options(format="html"), "unknown format 'html'"),
        (Options(keep=["pdf"]), "unknown keep kind 'pdf'"),
    ],
)
def test_bad_options(tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        resolve(tmp_path, options)


def test_options_store_sequences_as_tuples_and_are_frozen():
    opts = Options(include=["src/**"], exclude="*.log", keep=["binary"], focus=["a.py"])
    assert (opts.include, opts.exclude, opts.keep, opts.focus) == (
        ("src/**",),
        ("*.log",),
        ("binary",),
        ("a.py",),
    )
    same = Options(include=("src/**",), exclude=("*.log",), keep=("binary",), focus=("a.py",))
    assert opts == same and hash(opts) == hash(same)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.budget = "10k"  # type: ignore[misc]
    assert dataclasses.replace(opts, budget="10k").include == ("src/**",)


def test_an_option_given_beats_the_config_file_and_one_left_none_takes_it(tmp_path):
    (tmp_path / ".packer.toml").write_text('format = "json"\nbudget = "50k"\nexclude = ["*.log"]\njobs = 1\n')
    cfg = resolve(tmp_path, Options(format="markdown", exclude=["docs/**"]))
    assert (cfg.format, cfg.exclude, cfg.budget, cfg.jobs) == ("markdown", ("docs/**",), 50_000, 1)
    assert resolve(tmp_path, Options(budget="none", gitignore=False)).budget is None
    other = tmp_path / "other.toml"
    other.write_text('format = "plain"\n')
    assert resolve(tmp_path, Options(config=other)).format == "plain"  # instead of .packer.toml


@pytest.mark.parametrize(
    ("options", "config", "message"),
    [
        (Options(include=[1]), "", "include must be a list of strings, not [1]"),
        (Options(target="api", reserve=-1), "", "invalid reserve -1: it must be 0 or more"),
        (Options(parts=0), "", "invalid parts 0: give the number of parts, 1 or more"),
        (Options(parts=2), "split = true\n", "give --parts N or --split, not both"),
        (Options(jobs=0), "jobs = 2\n", "invalid jobs 0: give the number of worker processes, 1 or more"),
        (Options(cache_dir=""), "", "invalid cache_dir '': give a directory path"),
        (
            Options(budget="10k"),
            'target = "auto"\n',
            "--target auto chooses the budget itself; drop --budget (or the config's budget), "
            "or name a target",
        ),
        (Options(encoding="p50k"), 'encoding = "cl100k_base"\n', "unknown encoding 'p50k'; use one of: "),
    ],
)
def test_invalid_options_raise_the_same_errors(tmp_path, options, config, message):
    (tmp_path / ".packer.toml").write_text(config)
    with pytest.raises(ConfigError) as err:
        resolve(tmp_path, options)
    assert str(err.value).startswith(message) and (message.endswith(": ") or str(err.value) == message)


def test_options_is_exported_by_the_package():
    import packer
    import packer.config

    assert packer.Options is packer.config.Options is Options and "Options" in packer.__all__


# A repository's config may tighten safety, never loosen it.


@pytest.mark.parametrize(
    ("file", "text", "match"),
    [
        (
            ".packer.toml",
            "allow_secrets = true\n",
            r"\.packer\.toml: 'allow_secrets' cannot be set in a repository's config; pass --allow-secrets",
        ),
        (
            "pyproject.toml",
            "[tool.packer]\nallow_secrets = false\n",
            r"pyproject\.toml \[tool\.packer\]: 'allow_secrets' cannot be set",
        ),
        (
            ".packer.toml",
            '[models."gpt-5.5"]\ninput_price = 0\n',
            r"\.packer\.toml: models\.gpt-5\.5\.input_price = 0 is below the built-in price \$5 per 1M",
        ),
        (
            ".packer.toml",
            '[models."gpt-5.5-pro"]\noutput_price = 179.99\n',
            r"models\.gpt-5\.5-pro\.output_price = 179\.99 is below the built-in price \$180",
        ),
        # nan passes every comparison: it would turn the cost cap off
        (
            ".packer.toml",
            '[models."gpt-5.5"]\ninput_price = nan\n',
            r"models\.gpt-5\.5\.input_price = nan is not a",
        ),
        (
            ".packer.toml",
            "[models.local]\noutput_price = inf\n",
            r"models\.local\.output_price = inf is not a",
        ),
        # the patch rule makes a 2048 px image cost 1 token at a cap of 1
        (
            ".packer.toml",
            '[models."gpt-5.5"]\nimage_rule = "patches"\n',
            r"models\.gpt-5\.5\.image_rule cannot be set in a repository's config",
        ),
        (
            ".packer.toml",
            '[models."gpt-5.5"]\nimage_patch_cap = 1\n',
            r"models\.gpt-5\.5\.image_patch_cap = 1 is below the built-in 1536",
        ),
        (".packer.toml", "max_cost = 1000\n", "'max_cost' cannot be set.*user config"),
        (".packer.toml", 'base_url = "http://evil.example/v1"\n', "'base_url' cannot be set"),
        (".packer.toml", "[review]\nmax_cost = 1000\n", "'review' cannot be set"),
    ],
)
def test_repo_config_cannot_loosen_safety(tmp_path, file, text, match):
    (tmp_path / file).write_text(text)
    with pytest.raises(ConfigError, match=match):
        resolve(tmp_path, Options())


def test_repo_config_may_raise_prices_and_declare_models(tmp_path):
    from packer.config import load_config_files
    from packer.prices import get_model

    (tmp_path / ".packer.toml").write_text(
        '[models."gpt-5.5"]\ninput_price = 6.5\n[models.local]\nwindow = 8000\nmax_output = 100\n'
        "input_price = 0\noutput_price = 0\n"
    )
    declared = load_config_files(tmp_path)[0]["models"]
    assert get_model("gpt-5.5", declared).input_price == 6.5
    assert get_model("local", declared).input_price == 0
    # The explicit argument is the caller's choice.
    assert resolve(tmp_path, Options(allow_secrets=True)).allow_secrets is True


def test_jobs_from_a_repository_are_capped_at_the_cores(tmp_path):
    import packer

    cores = os.cpu_count() or 1
    (tmp_path / ".packer.toml").write_text("jobs = 512\n")
    cfg = resolve(tmp_path, Options())
    assert cfg.jobs == cores
    assert cfg.warnings == (
        f"jobs = 512 in {tmp_path / '.packer.toml'} is more than this machine's "
        f"{cores} core(s): using {cores}",
    )
    assert resolve(tmp_path, Options(jobs=3)).jobs == 3  # the caller's own choice stands
    (tmp_path / "a.py").write_text("x = 1\n")
    result = packer.pack(tmp_path, Options(cache=False), output=None)
    assert cfg.warnings[0] in result.warnings


def test_user_config_file(tmp_path, monkeypatch):
    from packer.config import load_user_config, user_config_path

    assert user_config_path() == Path.home() / ".config" / "packer" / "config.toml"
    assert load_user_config().max_cost is None  # no file: nothing set
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert user_config_path() == tmp_path / "xdg" / "packer" / "config.toml"
    user_config_path().parent.mkdir(parents=True)
    user_config_path().write_text(
        '[review]\nmax_cost = 2\nbase_url = "https://gw.example/v1"\n'
        'api_key_env = "GW_KEY"\n[models."gpt-5.5"]\ninput_price = 1.0\n'
    )
    cfg = load_user_config()
    assert (cfg.max_cost, cfg.base_url, cfg.api_key_env) == (2.0, "https://gw.example/v1", "GW_KEY")
    assert cfg.models == {"gpt-5.5": {"input_price": 1.0}}
    named = tmp_path / "mine.toml"
    monkeypatch.setenv("PACKER_CONFIG", str(named))
    with pytest.raises(ConfigError, match=r"PACKER_CONFIG names .*mine\.toml, which is not a file"):
        load_user_config()
    for text, match in [
        ("budget = 5\n", "unknown key 'budget'"),
        ("[review]\ncap = 1\n", "review.cap"),
        ('[review]\nmax_cost = "lots"\n', "review.max_cost must be"),
    ]:
        named.write_text(text)
        with pytest.raises(ConfigError, match=match):
            load_user_config()
