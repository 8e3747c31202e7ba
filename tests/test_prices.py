"""Models and prices (`packer.prices`): the built-in table, models declared in config, what a
request costs, and the user's prices as a floor a repository cannot go below."""

import dataclasses

import pytest

from packer.errors import ConfigError
from packer.prices import DEFAULT_MODEL, MODELS, Model, get_model, merge_declared


def test_the_table_and_what_a_request_costs():
    assert DEFAULT_MODEL in MODELS and get_model(DEFAULT_MODEL) == MODELS[DEFAULT_MODEL]
    m = get_model("gpt-5.5")
    assert (m.window, m.max_output, m.encoding) == (1_000_000, 128_000, "o200k_base")
    # USD per million tokens: input at the input price, output at the output price.
    assert m.cost(1_000_000, 0) == pytest.approx(5.0)
    assert m.cost(200_000, 10_000) == pytest.approx(200_000 * 5.0 / 1e6 + 10_000 * 30.0 / 1e6)
    assert get_model("gpt-5.5-pro").cost(0, 1_000_000) == pytest.approx(180.0)


def test_a_declared_model_overrides_only_the_fields_it_sets():
    declared = {"gpt-5.5": {"input_price": 6.5}, "local": {"window": 8000, "max_output": 100,
                "input_price": 0, "output_price": 0, "encoding": "cl100k_base"}}  # fmt: skip
    raised = get_model("gpt-5.5", declared)
    assert raised == dataclasses.replace(MODELS["gpt-5.5"], input_price=6.5)
    assert get_model("local", declared) == Model("local", 8000, 100, 0, 0, encoding="cl100k_base")
    assert get_model("gpt-5.5-pro", declared) == MODELS["gpt-5.5-pro"]  # others are untouched


LOCAL = {"window": 10, "max_output": 5, "input_price": 1, "output_price": 1}


@pytest.mark.parametrize(
    ("name", "declared", "message"),
    [
        (
            "nope",
            {"other": {}},
            "unknown model 'nope'; use one of: gpt-5.5, gpt-5.5-pro, other, or declare it under "
            "[tool.packer.models.nope] with window, max_output, input_price, output_price",
        ),
        ("local", {"local": {"window": 10}}, "models.local: set input_price, max_output, output_price"),
        (
            "gpt-5.5",
            {"gpt-5.5": {"input_price": "6"}},
            "models.gpt-5.5.input_price: expected a number, not '6'",
        ),
        ("gpt-5.5", {"gpt-5.5": {"window": True}}, "models.gpt-5.5.window: expected an integer, not True"),
        (
            "gpt-5.5",
            {"gpt-5.5": {"colour": 1}},
            "models.gpt-5.5.colour: unknown key; known keys: window, max_output, input_price, ",
        ),
        (
            "gpt-5.5",
            {"gpt-5.5": {"efforts": ["low", 2]}},
            "models.gpt-5.5.efforts: expected a list of strings",
        ),
        ("gpt-5.5", {"gpt-5.5": {"image_rule": "pixels"}}, "models.gpt-5.5.image_rule: use tiles or patches"),
        (
            "gpt-5.5",
            {"gpt-5.5": {"batch_factor": 0}},
            "models.gpt-5.5.batch_factor: expected a number above 0",
        ),
        ("gpt-5.5", {"gpt-5.5": {"batch_factor": 2}}, "models.gpt-5.5.batch_factor: a fraction in (0, 1]"),
        (
            "gpt-5.5",
            {"gpt-5.5": {"image_patch_cap": 0}},
            "models.gpt-5.5.image_patch_cap: expected a number above 0",
        ),
        (
            "gpt-5.5",
            {"gpt-5.5": {"image_tile": -5}},
            "models.gpt-5.5.image_tile: expected a number 0 or more",
        ),
        (
            "gpt-5.5",
            {"gpt-5.5": {"input_price": float("nan")}},
            "models.gpt-5.5.input_price: expected a finite",
        ),
        ("local", {"local": {**LOCAL, "window": 0}}, "models.local.window: expected a number above 0"),
        (
            "gpt-5.5",
            {"gpt-5.5": {"default_effort": "ludicrous"}},
            "models.gpt-5.5.default_effort: 'ludicrous' is not one of its efforts (none, low, medium",
        ),
        (
            "local",
            {"local": {**LOCAL, "default_verbosity": "low"}},
            "models.local.default_verbosity: 'low' is not one of its verbosities (none)",
        ),
    ],
)
def test_bad_declarations_name_the_model_and_key(name, declared, message):
    with pytest.raises(ConfigError) as err:
        get_model(name, declared)
    assert str(err.value).startswith(message)


def test_user_prices_are_a_floor_for_the_repository():
    user = {"local": {"window": 8000, "max_output": 100, "input_price": 2.0, "output_price": 2.0}}
    merged = merge_declared(user, {"local": {"input_price": 0.0, "output_price": 3.0, "window": 4000}})
    assert merged["local"] == {"window": 4000, "max_output": 100, "input_price": 2.0, "output_price": 3.0}
    # A price above the user's stands, and a model only one of them declares is kept whole.
    merged = merge_declared({"a": {"input_price": 1.0}}, {"a": {"input_price": 2}, "b": {"window": 5}})
    assert merged == {"a": {"input_price": 2}, "b": {"window": 5}}


def test_a_batch_costs_the_batch_factor_of_the_prices():
    m = get_model("gpt-5.5")
    assert m.batch_factor == 0.5
    assert m.cost(200_000, 16_000, batch=True) == pytest.approx(m.cost(200_000, 16_000) / 2)
    assert get_model("gpt-5.5", {"gpt-5.5": {"batch_factor": 1}}).cost(10, 10, batch=True) == m.cost(10, 10)


@pytest.mark.parametrize(
    ("size", "detail", "expected"),
    [
        # The guide's worked examples for the tile rule at base 85, tile 170.
        ((1024, 1024), "high", 765),  # scaled to 768 x 768: 4 tiles
        ((2048, 4096), "high", 1105),  # 1024 x 2048, then 768 x 1536: 6 tiles
        ((4096, 8192), "low", 85),  # low detail: the base alone, whatever the size
        ((512, 512), "high", 255),  # never scaled up: 1 tile
        ((100, 3000), "auto", 85 + 170 * 4),  # auto is counted as high; 68 x 2048: 1 x 4 tiles
    ],
)
def test_tile_rule_matches_the_guides_examples(size, detail, expected):
    m = Model("tiles", 1, 1, 0, 0, image_base=85, image_tile=170)
    assert m.image_tokens(*size, detail) == expected


def test_gpt_5_5_images_and_the_patch_rule():
    assert get_model("gpt-5.5").image_tokens(1024, 1024) == 70 + 140 * 4
    assert get_model("gpt-5.5").image_tokens(1920, 1080, "low") == 70
    patches = Model("mini", 1, 1, 0, 0, image_rule="patches", image_multiplier=1.62)
    # The guide's examples: 1024 x 1024 is 32 x 32 patches; 1800 x 2400 is scaled to 1,452.
    assert Model("p", 1, 1, 0, 0, image_rule="patches").image_tokens(1024, 1024) == 1024
    assert Model("p", 1, 1, 0, 0, image_rule="patches").image_tokens(1800, 2400) == 1452
    assert patches.image_tokens(1024, 1024) == 1659  # 1,024 patches x 1.62, rounded up
    assert patches.image_tokens(8000, 8000, "low") <= 1536 * 1.62 + 1  # the cap holds at any size


def test_a_repository_cannot_lower_any_cost_field_below_the_users():
    user = {"gpt-5.5": {"batch_factor": 0.5, "image_tile": 140, "image_base": 70, "image_multiplier": 1.0,
                        "image_patch_cap": 1536, "image_rule": "tiles"}}  # fmt: skip
    repo = {"gpt-5.5": {"batch_factor": 0.01, "image_tile": 1, "image_base": 0, "image_multiplier": 0.1,
                        "image_patch_cap": 1, "image_rule": "patches"}}  # fmt: skip
    assert merge_declared(user, repo)["gpt-5.5"] == user["gpt-5.5"]
