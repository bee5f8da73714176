"""Atlas configuration: every default lives here, YAML files override them.

A config names the models, their layers and units, the dataset and the parameters of each
stage. Unknown keys and wrong types are errors (a typo must not silently fall back to a
default).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generate.config.params import (SECTIONS, ArcParams, BatteryParams, CalibrationParams, ClaimsParams,
                                     ExemplarParams, FamilyParams, FeatureVisParams, RotationParams, VerdictParams)
from generate.errors import AtlasError

__all__ = ["AUTO_DATASET", "AUTO_SOURCE", "REPO_ROOT", "SECTIONS", "SHARED_CIFAR10", "SHARED_IMAGENET",
           "ArcParams", "AtlasConfig", "BatteryParams", "CalibrationParams", "ClaimsParams", "ExemplarParams", "FamilyParams",
           "FeatureVisParams", "ModelEntry", "RotationParams", "Variation", "VerdictParams", "display_path",
           "load_config", "parse_units", "read_yaml"]

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SHARED_IMAGENET = REPO_ROOT.parent / "shared" / "datasets" / "imagenet-sample"
SHARED_CIFAR10 = REPO_ROOT.parent / "shared" / "datasets" / "cifar10"
AUTO_DATASET = "auto"
AUTO_SOURCE = "imagenet-sample"  # what 'auto' downloads where ../shared/datasets is absent

# Dataset images beyond these limits are skipped (named and counted) before any pixel is
# decoded, so memory stays bounded whatever a folder holds.
MAX_IMAGE_PIXELS = 89_478_485  # Pillow's decompression-bomb threshold (about 9500 x 9500 pixels)
MAX_IMAGE_ASPECT = 50  # long side / short side: a model input is a square cut from the middle


@dataclass(frozen=True)
class ModelEntry:
    """One model of the atlas and the units to compute for it."""

    model: str
    layers: dict[str, Any]  # layer name -> "all" | "a-b" | [units]
    weights: str | None = None  # local weights file (e.g. for inceptionv1)
    control: int | None = 0  # seed of the random-init control labelled beside it (None: no control)
    dataset: str | None = None  # this model's images, if not the atlas's (e.g. cifar10 for a CIFAR model)
    optional: bool = False  # skip the model, with a note, when its weights or its dataset are missing
    survey: tuple[str, ...] = ()  # layers that get labels only (dataset and synthetic stages): the census


@dataclass(frozen=True)
class Variation:
    """A change of the analysis, applied to the atlas's first model (the reference) to see
    whether its family labels and verdicts survive it: the sensitivity table."""

    name: str
    dataset: str | None = None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # section -> {key: value}


@dataclass(frozen=True)
class AtlasConfig:
    title: str = "Neuron Atlas"
    dataset: str = AUTO_DATASET
    store: str = "store"
    site_url: str = ""
    executor: str = "local"  # where stage tasks run: local | ray
    ray_address: str = ""  # with ray: 'auto', 'HOST:PORT', or '' for a local cluster
    models: tuple[ModelEntry, ...] = ()
    featurevis: FeatureVisParams = field(default_factory=FeatureVisParams)
    exemplars: ExemplarParams = field(default_factory=ExemplarParams)
    synthetic: BatteryParams = field(default_factory=BatteryParams)
    families: FamilyParams = field(default_factory=FamilyParams)
    rotation: RotationParams = field(default_factory=RotationParams)
    verdicts: VerdictParams = field(default_factory=VerdictParams)
    arcs: ArcParams = field(default_factory=ArcParams)
    claims: ClaimsParams = field(default_factory=ClaimsParams)
    calibration: CalibrationParams = field(default_factory=CalibrationParams)
    variations: tuple[Variation, ...] = ()
    source: str = ""  # the config file this came from (for "Reproduce")

    def with_overrides(self, **changes: Any) -> "AtlasConfig":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def varied(self, variation: Variation) -> "AtlasConfig":
        """This config with a variation's changes applied to its stage parameters."""
        sections = {name: dataclasses.replace(getattr(self, name), **values)
                    for name, values in variation.changes.items()}
        return dataclasses.replace(self, **sections, dataset=variation.dataset or self.dataset, variations=())


VARIABLE = SECTIONS  # a variation may change any section
TOP_LEVEL = ("title", "dataset", "store", "site_url", "executor", "ray_address")


def _build(cls: type, data: Any, where: str) -> Any:
    """Instantiate a flat dataclass from a mapping, type-checking each value."""
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise AtlasError(f"config: '{where}' must be a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise AtlasError(
            f"config: unknown key(s) {', '.join(unknown)} in '{where}'; valid: {', '.join(fields)}"
        )
    values = {}
    for name, value in data.items():
        expected = type(getattr(cls(), name))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if expected is tuple and isinstance(value, list) and value and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            value = tuple(float(v) for v in value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise AtlasError(
                f"config: '{where}.{name}' must be {expected.__name__}, got {value!r}"
            )
        if expected in (int, float) and value < 0:
            raise AtlasError(f"config: '{where}.{name}' must not be negative, got {value!r}")
        values[name] = value
    return cls(**values)


def _model_entry(data: Any, index: int) -> ModelEntry:
    where = f"models[{index}]"
    if not isinstance(data, dict) or "model" not in data:
        raise AtlasError(f"config: '{where}' must be a mapping with a 'model' key")
    unknown = sorted(set(data) - {"model", "layers", "weights", "control", "dataset", "optional", "survey"})
    if unknown:
        raise AtlasError(f"config: unknown key(s) {', '.join(unknown)} in '{where}'")
    layers = data.get("layers") or {}
    if not isinstance(layers, dict) or not layers:
        raise AtlasError(f"config: '{where}.layers' must map layer names to units, e.g. {{blocks.6.dw: all}}")
    for layer, units in layers.items():
        parse_units(units, where=f"{where}.layers.{layer}")  # syntax only; range checked later
    weights = data.get("weights")
    if weights is not None and not isinstance(weights, str):
        raise AtlasError(f"config: '{where}.weights' must be a file path")
    control = data.get("control", 0)
    if control is not None and (not isinstance(control, int) or isinstance(control, bool) or control < 0):
        raise AtlasError(f"config: '{where}.control' must be a seed (0, 1, ...) or null")
    dataset = data.get("dataset")
    if dataset is not None and not isinstance(dataset, str):
        raise AtlasError(f"config: '{where}.dataset' must be a folder path or a source name")
    optional = data.get("optional", False)
    if not isinstance(optional, bool):
        raise AtlasError(f"config: '{where}.optional' must be true or false")
    survey = data.get("survey") or []
    if not isinstance(survey, list) or any(layer not in layers for layer in survey):
        raise AtlasError(f"config: '{where}.survey' must list layers of '{where}.layers' (labels only for them)")
    return ModelEntry(model=str(data["model"]), layers=dict(layers), weights=weights, control=control,
                      dataset=dataset, optional=optional, survey=tuple(survey))


def _variation(data: Any, index: int) -> Variation:
    where = f"variations[{index}]"
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise AtlasError(f"config: '{where}' must be a mapping with a 'name', e.g. {{name: fewer steps, "
                         f"featurevis: {{steps: 128}}}}")
    unknown = sorted(set(data) - {"name", "dataset"} - set(VARIABLE))
    if unknown:
        raise AtlasError(f"config: unknown key(s) {', '.join(unknown)} in '{where}'; valid: name, dataset, "
                         f"{', '.join(VARIABLE)}")
    if data.get("dataset") is not None and not isinstance(data["dataset"], str):
        raise AtlasError(f"config: '{where}.dataset' must be a folder path or a source name")
    changes = {}
    for section, cls in VARIABLE.items():
        if section in data:
            checked = _build(cls, data[section], f"{where}.{section}")  # types checked against the schema
            changes[section] = {key: getattr(checked, key) for key in data[section]}
    if not changes and not data.get("dataset"):
        raise AtlasError(f"config: '{where}' ({data['name']}) changes nothing")
    return Variation(name=data["name"], dataset=data.get("dataset"), changes=changes)


def read_yaml(path: Path, what: str = "config file") -> Any:
    """A YAML file's contents; AtlasError with one line if it is missing or malformed."""
    if not path.is_file():
        raise AtlasError(f"{what} not found: {path}")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise AtlasError(f"{path} is not valid YAML{at}") from None


def load_config(path: str | Path) -> AtlasConfig:
    """Read and validate a YAML config; raise AtlasError with one clear line on any problem."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise AtlasError(f"config: {path} must be a YAML mapping")
    known = {*TOP_LEVEL, "models", *SECTIONS, "variations"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise AtlasError(f"config: unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise AtlasError("config: 'models' must be a non-empty list")
    for key in TOP_LEVEL:
        if key in data and not isinstance(data[key], str):
            raise AtlasError(f"config: '{key}' must be a string")
    return AtlasConfig(
        **{k: data[k] for k in TOP_LEVEL if k in data},
        models=tuple(_model_entry(m, i) for i, m in enumerate(models)),
        **{name: _build(cls, data.get(name), name) for name, cls in SECTIONS.items()},
        variations=_variations(data.get("variations")),
        source=str(path),
    )


def _variations(data: Any) -> tuple[Variation, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise AtlasError("config: 'variations' must be a list of {name: ..., <section>: {...}}")
    variations = tuple(_variation(v, i) for i, v in enumerate(data))
    names = [v.name for v in variations]
    if len(set(names)) != len(names):
        raise AtlasError("config: variation names must be unique")
    return variations


_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def parse_units(spec: Any, where: str, n_units: int | None = None) -> list[int]:
    """Units spec -> sorted unit indices. Accepts 'all', 'a-b' (inclusive), an int or a list.

    With n_units given, indices are checked against the layer's channel count.
    """
    if spec == "all":
        units = list(range(n_units)) if n_units is not None else []
    elif isinstance(spec, bool):
        raise AtlasError(f"config: '{where}' must be 'all', 'a-b' or a list of units")
    elif isinstance(spec, int):
        units = [spec]
    elif isinstance(spec, str) and _RANGE.match(spec):
        lo, hi = map(int, _RANGE.match(spec).groups())
        if hi < lo:
            raise AtlasError(f"config: '{where}' range {spec!r} is empty")
        units = list(range(lo, hi + 1))
    elif isinstance(spec, list) and spec and all(isinstance(u, int) and not isinstance(u, bool) for u in spec):
        units = sorted(set(spec))
    else:
        raise AtlasError(f"config: '{where}' must be 'all', 'a-b' or a list of units, got {spec!r}")
    if n_units is not None:
        bad = [u for u in units if u < 0 or u >= n_units]
        if bad:
            raise AtlasError(
                f"unit {bad[0]} out of range for {where}: it has {n_units} units (0-{n_units - 1})"
            )
    return units


def display_path(path: str | Path) -> str:
    """Paths as a reader of the site should see them: relative to the repository when they
    are beside or inside it (configs/default.yaml, ../shared/datasets/...), else as given."""
    resolved = Path(path).resolve()
    try:
        resolved.relative_to(REPO_ROOT.parent)
    except ValueError:
        return str(path)
    return os.path.relpath(resolved, REPO_ROOT)
