from pathlib import Path

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
    ("models:\n  - model: m\n    layers: {a: all}\n    dataset: 3\n", "'models[0].dataset' must be a folder path"),
    ("models:\n  - model: m\n    layers: {a: all}\n    optional: maybe\n", "must be true or false"),
    ("models:\n  - model: m\n    layers: {a: all}\nvariations: {name: x}\n", "'variations' must be a list"),
    ("models:\n  - model: m\n    layers: {a: all}\nvariations: [{featurevis: {steps: 3}}]\n", "with a 'name'"),
    ("models:\n  - model: m\n    layers: {a: all}\nvariations: [{name: x}]\n", "(x) changes nothing"),
    ("models:\n  - model: m\n    layers: {a: all}\nvariations: [{name: x, featurevis: {stepz: 3}}]\n",
     "unknown key(s) stepz in 'variations[0].featurevis'"),
    ("models:\n  - model: m\n    layers: {a: all}\nvariations: [{name: x, models: [1]}]\n", "unknown key(s) models"),
    ("models:\n  - model: m\n    layers: {a: all}\nvariations: [{name: x, dataset: d}, {name: x, dataset: e}]\n",
     "names must be unique"),
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


def test_a_variation_changes_only_what_it_names(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("models:\n  - model: m\n    layers: {a: all}\n    dataset: cifar\nfeaturevis: {steps: 64}\n"
                    "variations:\n  - {name: pixels, featurevis: {fft: false}, synthetic: {orientation_step: 30}}\n")
    config = load_config(path)
    assert config.models[0].dataset == "cifar" and not config.models[0].optional
    varied = config.varied(config.variations[0])
    assert varied.featurevis == FeatureVisParams(steps=64, fft=False)
    assert varied.synthetic.orientation_step == 30.0 and varied.variations == ()
    assert varied.exemplars == config.exemplars and varied.dataset == config.dataset


@pytest.mark.parametrize("path", sorted(p for p in (Path(__file__).resolve().parent.parent / "configs").glob("*.yaml")
                                        if p.name != "cifar.yaml"), ids=lambda p: p.name)
def test_every_shipped_atlas_config_loads(path):
    # cifar.yaml holds training settings (`python -m generate train`), not an atlas
    config = load_config(path)
    assert config.models and all(m.model for m in config.models)
