import pytest

from generate.config import AtlasConfig, FeatureVisParams, load_config, parse_units
from generate.errors import AtlasError


def test_defaults_come_from_one_place(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("models:\n  - model: efficientnet_lite0\n    layers: {blocks.1.dw: all}\n")
    config = load_config(path)
    assert config.featurevis == FeatureVisParams()
    assert config.dataset == AtlasConfig().dataset
    assert config.models[0].layers == {"blocks.1.dw": "all"}


@pytest.mark.parametrize("text, message", [
    ("models: [\n", "not valid YAML"),
    ("- a\n- b\n", "must be a YAML mapping"),
    ("models: []\n", "non-empty list"),
    ("modles: []\n", "unknown key(s) modles"),
    ("models:\n  - model: m\n    layers: {a: all}\nfeaturevis: {stepz: 3}\n", "unknown key(s) stepz"),
    ("models:\n  - model: m\n    layers: {a: all}\nfeaturevis: {steps: many}\n", "'featurevis.steps' must be int"),
    ("models:\n  - model: m\n    layers: {a: all}\nfeaturevis: {steps: -1}\n", "must not be negative"),
    ("models:\n  - model: m\n    layers: {a: sideways}\n", "must be 'all', 'a-b' or a list"),
    ("models:\n  - model: m\n", "must map layer names to units"),
])
def test_malformed_configs_give_one_clear_line(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(AtlasError, match=None) as info:
        load_config(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(AtlasError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_parse_units():
    assert parse_units("all", "x", 4) == [0, 1, 2, 3]
    assert parse_units("2-4", "x", 10) == [2, 3, 4]
    assert parse_units([5, 1, 5], "x", 10) == [1, 5]
    assert parse_units(3, "x", 10) == [3]
    with pytest.raises(AtlasError, match="unit 10 out of range .* 10 units"):
        parse_units("8-10", "x", 10)
    with pytest.raises(AtlasError, match="empty"):
        parse_units("4-2", "x", 10)
