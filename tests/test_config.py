import pytest

from packer.config import TARGETS, parse_budget, parse_size, resolve
from packer.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("200k", 200_000), ("1m", 1_000_000), ("350000", 350_000), ("1.5M", 1_500_000),
     ("350_000", 350_000), (" 64K ", 64_000), (12, 12), ("none", None)],
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
    assert resolve(tmp_path, explicit={}).budget == 200_000
    assert resolve(tmp_path, explicit={"target": "api"}).budget == 1_000_000 - 32_000
    assert resolve(tmp_path, explicit={"target": "api", "reserve": 100_000}).budget == 900_000
    assert resolve(tmp_path, explicit={"budget": "none"}).budget is None
    assert TARGETS["codex"].window == 400_000


def test_layering_defaults_file_explicit(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.packer]\nformat = "markdown"\nbudget = "50k"\nexclude = ["*.log"]\n'
    )
    cfg = resolve(tmp_path, explicit={})
    assert (cfg.format, cfg.budget, cfg.exclude) == ("markdown", 50_000, ("*.log",))
    (tmp_path / ".packer.toml").write_text('format = "json"\n')
    cfg = resolve(tmp_path, explicit={"budget": "10k"})
    assert (cfg.format, cfg.budget) == ("json", 10_000)  # .packer.toml beats pyproject


def test_targets_are_extendable_from_config(tmp_path):
    (tmp_path / ".packer.toml").write_text(
        "[targets.small]\nwindow = 128000\nreserve = 8000\nmodel = \"mini\"\n"
        '[targets.api]\nreserve = 0\n'
    )
    cfg = resolve(tmp_path, explicit={"target": "small"})
    assert (cfg.budget, cfg.target.model) == (120_000, "mini")
    assert resolve(tmp_path, explicit={"target": "api"}).budget == 1_000_000


@pytest.mark.parametrize(
    ("text", "match"),
    [("colour = 1\n", r"\.packer\.toml: unknown key 'colour'"),
     ('budget = true\n', "key 'budget' must be"),
     ("[targets.x]\nwidth = 3\n", "unknown key targets.x.width"),
     ("budget = [\n", "cannot read config")],
)
def test_bad_config_names_file_and_key(tmp_path, text, match):
    (tmp_path / ".packer.toml").write_text(text)
    with pytest.raises(ConfigError, match=match):
        resolve(tmp_path, explicit={})


@pytest.mark.parametrize(
    ("explicit", "match"),
    [({"target": "gpt9"}, "unknown target 'gpt9'; use one of: api, auto, codex"),
     ({"encoding": "p50k"}, "unknown encoding 'p50k'"),
     ({"format": "html"}, "unknown format 'html'"),
     ({"keep": ["pdf"]}, "unknown keep kind 'pdf'")],
)
def test_bad_options(tmp_path, explicit, match):
    with pytest.raises(ConfigError, match=match):
        resolve(tmp_path, explicit=explicit)
