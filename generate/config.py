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

from generate.errors import AtlasError

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_IMAGENET = REPO_ROOT.parent / "shared" / "datasets" / "imagenet-sample"
SHARED_CIFAR10 = REPO_ROOT.parent / "shared" / "datasets" / "cifar10"
AUTO_DATASET = "auto"

# Dataset images beyond these limits are skipped (named and counted) before any pixel is
# decoded, so memory stays bounded whatever a folder holds.
MAX_IMAGE_PIXELS = 89_478_485  # Pillow's decompression-bomb threshold (about 9500 x 9500 pixels)
MAX_IMAGE_ASPECT = 50  # long side / short side: a model input is a square cut from the middle


@dataclass(frozen=True)
class FeatureVisParams:
    """Feature visualization (lucent): channel objective, FFT + decorrelated colour."""

    size: int = 96  # side of the optimised image, before lucent's 12 px padding
    steps: int = 256
    lr: float = 0.05
    batch: int = 16  # channels optimised together (on 2 CPU cores 8-16 is fastest per image)
    seed: int = 0
    negative: bool = False  # also optimise the negative direction
    diversity: int = 0  # images in the diversity set (0: none)
    diversity_weight: float = 100.0  # weight of lucent's diversity objective
    fft: bool = True  # parameterise the image by its Fourier spectrum (False: plain pixels)
    decorrelate: bool = True  # ... and its colours by ImageNet's decorrelated colour basis


@dataclass(frozen=True)
class ExemplarParams:
    """Dataset exemplars and activation statistics, computed in one pass over the dataset."""

    k: int = 9  # top-k images per unit
    image_size: int = 224  # images are resized (short side) and centre-cropped to this
    batch: int = 32
    crop_px: int = 96  # side of each stored exemplar crop
    stat_samples: int = 16  # random positions per image kept for quantile estimates
    seed: int = 0
    # The "moderate" stratum of Argument 2: images whose maximum activation lies in this band,
    # as fractions of the unit's largest activation over the dataset (the article's strata).
    moderate_low: float = 0.4
    moderate_high: float = 0.6
    max_images: int = 0  # use at most this many images, evenly spaced in path order (0: all)


@dataclass(frozen=True)
class BatteryParams:
    """Synthetic stimulus battery (generate/stimuli.py)."""

    orientation_step: float = 15.0  # degrees, over 360
    radii: tuple[float, ...] = (0.12, 0.2, 0.3)  # curve radii as fractions of the receptive field
    stroke: float = 0.03  # stroke width as a fraction of the receptive field (at least 1.5 px)
    frequencies: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)  # grating cycles per receptive field
    openings: tuple[float, ...] = (45.0, 90.0, 135.0)  # angle openings, degrees
    hues: int = 12


@dataclass(frozen=True)
class FamilyParams:
    """Family-label criteria (generate/families.py), printed on the Methods page."""

    min_drive: float = 4.0  # sigma: a family's peak drive must reach this
    curve_over_line: float = 2.0  # curve peak >= this x straight-line peak (same stroke length)
    opposite_ratio: float = 1 / 3  # drive at the opposite orientation <= this x peak
    orthogonal_ratio: float = 0.5  # for lines/edges: drive at the orthogonal orientation <= this x peak
    variant_ratio: float = 1 / 3  # a cosmetic variant's peak >= this x the standard peak ...
    variant_tolerance: float = 45.0  # ... at an orientation within this many degrees ...
    variants_needed: int = 2  # ... for at least this many of the 3 variants
    specificity: float = 1.5  # a family's peak >= this x the peak of its simpler explanation
    selectivity_ratio: float = 0.5  # hue: worst hue <= this x best; gradient: opposite <= this x peak


@dataclass(frozen=True)
class RotationParams:
    """Rotation of dataset exemplars (generate/rotation.py) and the verdicts built on it."""

    step: float = 5.0  # degrees between rotations, over 360
    k: int = 3  # exemplars per unit that are rotated
    agreement: float = 30.0  # degrees: rotation peak vs synthetic preference, for the joint-tuning verdict
    coverage: float = 0.9  # fraction of 360 degrees a family must cover (some unit above half its peak)


@dataclass(frozen=True)
class VerdictParams:
    """Classical (network-free) measurements behind the verdicts on Arguments 1 and 2
    (generate/classical.py, generate/verdicts.py), printed on the Methods page."""

    seeds: int = 2  # feature visualizations per unit (seeds featurevis.seed, +1, ...) that must all agree
    tolerance: float = 22.5  # degrees: measured contour axis vs the unit's synthetic preference (chance: 25%)
    min_coherence: float = 0.1  # structure-tensor coherence below which an image has no orientation
    examples_fraction: float = 0.5  # Argument 2: fraction of the strongest exemplars that must agree
    window: float = 0.15  # Gaussian window on an exemplar crop, sigma as a fraction of the crop side


@dataclass(frozen=True)
class ModelEntry:
    """One model of the atlas and the units to compute for it."""

    model: str
    layers: dict[str, Any]  # layer name -> "all" | "a-b" | [units]
    weights: str | None = None  # local weights file (e.g. for inceptionv1)
    control: int | None = 0  # seed of the random-init control labelled beside it (None: no control)
    dataset: str | None = None  # this model's images, if not the atlas's (e.g. CIFAR-10 for a CIFAR model)
    optional: bool = False  # skip the model, with a note, when its weights or its dataset are missing


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
    models: tuple[ModelEntry, ...] = ()
    featurevis: FeatureVisParams = field(default_factory=FeatureVisParams)
    exemplars: ExemplarParams = field(default_factory=ExemplarParams)
    synthetic: BatteryParams = field(default_factory=BatteryParams)
    families: FamilyParams = field(default_factory=FamilyParams)
    rotation: RotationParams = field(default_factory=RotationParams)
    verdicts: VerdictParams = field(default_factory=VerdictParams)
    variations: tuple[Variation, ...] = ()
    source: str = ""  # the config file this came from (for "Reproduce")

    def with_overrides(self, **changes: Any) -> "AtlasConfig":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def varied(self, variation: Variation) -> "AtlasConfig":
        """This config with a variation's changes applied to its stage parameters."""
        sections = {name: dataclasses.replace(getattr(self, name), **values)
                    for name, values in variation.changes.items()}
        return dataclasses.replace(self, **sections, dataset=variation.dataset or self.dataset, variations=())


# Sections a variation may change, and their parameter classes.
VARIABLE = {"featurevis": FeatureVisParams, "exemplars": ExemplarParams, "synthetic": BatteryParams,
            "families": FamilyParams, "rotation": RotationParams, "verdicts": VerdictParams}


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
    unknown = sorted(set(data) - {"model", "layers", "weights", "control", "dataset", "optional"})
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
        raise AtlasError(f"config: '{where}.dataset' must be a folder path")
    optional = data.get("optional", False)
    if not isinstance(optional, bool):
        raise AtlasError(f"config: '{where}.optional' must be true or false")
    return ModelEntry(model=str(data["model"]), layers=dict(layers), weights=weights, control=control,
                      dataset=dataset, optional=optional)


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
        raise AtlasError(f"config: '{where}.dataset' must be a folder path")
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
    known = {"title", "dataset", "store", "site_url", "models", "featurevis", "exemplars", "synthetic", "families", "rotation",
             "verdicts", "variations"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise AtlasError(f"config: unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    models = data.get("models")
    if not isinstance(models, list) or not models:
        raise AtlasError("config: 'models' must be a non-empty list")
    for key in ("title", "dataset", "store", "site_url"):
        if key in data and not isinstance(data[key], str):
            raise AtlasError(f"config: '{key}' must be a string")
    top = {k: data[k] for k in ("title", "dataset", "store", "site_url") if k in data}
    return AtlasConfig(
        **top,
        models=tuple(_model_entry(m, i) for i, m in enumerate(models)),
        featurevis=_build(FeatureVisParams, data.get("featurevis"), "featurevis"),
        exemplars=_build(ExemplarParams, data.get("exemplars"), "exemplars"),
        synthetic=_build(BatteryParams, data.get("synthetic"), "synthetic"),
        families=_build(FamilyParams, data.get("families"), "families"),
        rotation=_build(RotationParams, data.get("rotation"), "rotation"),
        verdicts=_build(VerdictParams, data.get("verdicts"), "verdicts"),
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


def resolve_dataset(dataset: str) -> Path | None:
    """'auto' -> the shared ImageNet sample when present, else None (packaged photos)."""
    if dataset == AUTO_DATASET:
        return SHARED_IMAGENET if SHARED_IMAGENET.is_dir() else None
    return Path(dataset)


def display_path(path: str | Path) -> str:
    """Paths as a reader of the site should see them: relative to the repository when they
    are beside or inside it (configs/default.yaml, ../shared/datasets/...), else as given."""
    resolved = Path(path).resolve()
    try:
        resolved.relative_to(REPO_ROOT.parent)
    except ValueError:
        return str(path)
    return os.path.relpath(resolved, REPO_ROOT)
