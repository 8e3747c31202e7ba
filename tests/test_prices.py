"""Models and prices (`packer.prices`): the built-in table, models declared in config, what a
request costs, and the user's prices as a floor a repository cannot go below."""

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
    assert raised == Model("gpt-5.5", 1_000_000, 128_000, input_price=6.5, output_price=30.0)
    assert get_model("local", declared) == Model("local", 8000, 100, 0, 0, encoding="cl100k_base")
    assert get_model("gpt-5.5-pro", declared) == MODELS["gpt-5.5-pro"]  # others are untouched


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
            "models.gpt-5.5.input_price: expected one of window, max_output, input_price, "
            "output_price, encoding with a number, not '6'",
        ),
        ("gpt-5.5", {"gpt-5.5": {"window": True}}, "models.gpt-5.5.window: expected one of window, "),
        (
            "gpt-5.5",
            {"gpt-5.5": {"colour": 1}},
            "models.gpt-5.5.colour: expected one of window, max_output, input_price, "
            "output_price, encoding with a known key, not 1",
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
