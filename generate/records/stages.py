"""What each stage stores per unit or per layer."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from generate.records.base import Record, optional


# ------------------------------------------------------------------------------ dataset stage

@dataclass
class Histogram(Record):
    low: float
    high: float
    counts: list[int]


@dataclass
class ImageMaxStats(Record):
    mean: float
    std: float
    quantiles: dict[str, float]


@dataclass
class Stats(Record):
    """A unit's responses (its pre-activation: the one convention of every stage) over every
    position of every dataset image."""

    mean: float
    std: float
    max: float
    fraction_positive: float
    positions: int
    quantiles: dict[str, float]
    quantile_sample_size: int
    histogram: Histogram
    image_max: ImageMaxStats
    fraction_saturated: float = 0.0  # positions where the activation sits at its ceiling (ReLU6 at 6)


@dataclass
class Exemplar(Record):
    rank: int
    file: str
    source: str  # the image's file name
    source_index: int  # its index in the dataset
    activation: float
    position: list[int]  # feature-map (y, x) of the maximum
    box: list[int]  # (top, left, bottom, right) in input pixels: what the crop shows (the effective field)
    saturated: bool = False  # the activation there sits at its ceiling (ReLU6 at 6)
    heatmap: str | None = optional()


@dataclass
class DatasetRecord(Record):
    unit: int
    exemplars: list[Exemplar]
    moderate: list[Exemplar]
    image_maxima: str  # file of every image's maximum (float32 .npy)
    stats: Stats


# ------------------------------------------------------------------------------ synthetic stage

@dataclass
class Check(Record):
    value: float
    limit: float
    op: str  # "<=" or ">="
    ok: bool


@dataclass
class Gate(Record):
    passed: bool
    score: float
    checks: dict[str, Check]


@dataclass
class FamilyLabel(Record):
    """A unit's family: the passing gate with the largest peak drive, and every gate's numbers."""

    label: str
    score: float
    runner_up: str
    runner_up_score: float
    runner_up_passed: bool
    preferred: dict[str, Any]  # the preferred stimulus' parameters (orientation, radius, kind...)
    strongest_drive: float
    gates: dict[str, Gate]

    @property
    def orientation(self) -> float | None:
        value = self.preferred.get("orientation")
        return None if value is None else float(value)


@dataclass
class VariantPeak(Record):
    peak: float
    orientation: float | None
    radius: float | None


@dataclass
class CurveTuning(Record):
    radii: list[float]
    heatmap: list[list[float]]  # [radius][orientation] drive of standard curves
    variants: dict[str, VariantPeak]


@dataclass
class FrequencyTuning(Record):
    frequencies: list[float]
    drive: list[float]


@dataclass
class HueTuning(Record):
    hues: list[float]
    drive: list[float]
    grey: list[float]


@dataclass
class TuningSummary(Record):
    """The tuning curves a neuron page draws, in sigma of drive."""

    sigma: float
    orientations: list[float]
    curve: CurveTuning
    orientation_tuning: dict[str, list[float]]
    frequency_tuning: FrequencyTuning
    hue: HueTuning
    colour_edge: dict[str, float]
    centre_surround: dict[str, float]


@dataclass
class SyntheticRecord(Record):
    unit: int
    synthetic: TuningSummary
    drive: list[float]  # the whole battery, for matching units across models
    family: FamilyLabel
    saturated: int = 0  # stimuli (radius sweep included) whose response reached the activation's ceiling


# ------------------------------------------------------------------------------ rotation stage

@dataclass
class RotationRecord(Record):
    unit: int
    family: str
    angles: list[float]
    exemplar_curves: list[list[float]]
    average: list[float]
    aligned_average: list[float]
    rotation_tuning: list[float]
    synthetic_orientation: float | None
    rotation_orientation: float | None
    agreement: float | None
    period: float
    anchors: int


@dataclass
class FamilyMeasures(Record):
    """Joint tuning of one family in one layer."""

    members: list[int]
    coverage: float
    max_gap: float | None
    mean_gap: float | None
    order_agreement: float | None
    agreeing_units: int


@dataclass
class RotationLayer(Record):
    families: dict[str, FamilyMeasures]
    angles: list[float]


# ------------------------------------------------------------------------------ feature visualization

@dataclass
class FeatureVisImages(Record):
    files: list[str]
    objective: float


@dataclass
class FeatureVisRecord(Record):
    unit: int
    positive: FeatureVisImages
    negative: FeatureVisImages | None = optional()
    diversity: FeatureVisImages | None = optional()


# ------------------------------------------------------------------------------ verdicts

@dataclass
class Verdict(Record):
    """One argument's verdict on one unit against a hypothesis (a family and the orientation its
    stimuli predict), beside the same measure on its random-init control at the same prediction.
    Fields after `control_orientation` hold the argument's own details and are written only when set."""

    passed: bool
    score: float | None
    reason: str
    criterion: str = ""
    control_score: float | None = None
    control_passed: bool | None = None
    control_orientation: float | None = None
    orientation: float | None = optional()  # the unit's orientation as this argument measures it
    period: float | None = optional()  # 360 for a direction (curves), 180 for an axis
    expected: float | None = optional()  # what the hypothesis predicts the pictures show
    qualifies: bool | None = optional()  # the orientation-free part of the criterion holds
    seeds: list[dict[str, Any]] | None = optional()
    shared: dict[str, Any] | None = optional()  # Argument 1 on curves: the seeds' mean contour field
    strong: list[dict[str, Any]] | None = optional()
    moderate: list[dict[str, Any]] | None = optional()
    moderate_score: float | None = optional()
    family: str | None = optional()
    agreement_degrees: float | None = optional()
    family_coverage: float | None = optional()


@dataclass
class UnitVerdicts(Record):
    feature_visualization: Verdict | None = None
    dataset_examples: Verdict | None = None
    synthetic_examples: Verdict | None = None
    joint_tuning: Verdict | None = None

    def get(self, key: str) -> Verdict | None:
        return getattr(self, key)

    def items(self) -> list[tuple[str, Verdict]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if getattr(self, f.name)]


@dataclass
class VerdictRecord(Record):
    unit: int
    verdicts: UnitVerdicts  # under the unit's own family
    curve: UnitVerdicts | None = optional()  # under the curve its stimuli prefer, where it is not labelled curve

    def as_curve(self) -> UnitVerdicts:
        """The verdicts on "this unit is a curve detector", whatever its label."""
        return self.curve or self.verdicts


# ------------------------------------------------------------------------------ feature maps

@dataclass
class MosaicPhoto(Record):
    source: str
    file: str
    photo: str


@dataclass
class FeatureMapsRecord(Record):
    units: list[int]
    columns: int
    tile: int
    photos: list[MosaicPhoto]
