"""Calibration: how the instrument (labels and verdicts) scores on a model whose answers are known."""

from __future__ import annotations

from dataclasses import dataclass, field

from generate.records.base import Record


@dataclass(frozen=True)
class UnitTruth(Record):
    """What a planted unit is, known before any measurement."""

    unit: int
    kind: str  # curve, or a distractor kind: line, angle, edge, colour, high_low, random
    orientation: float | None = None  # the stimuli's convention (a curve's bulge direction)
    radius: float | None = None  # curves: fraction of the receptive field


@dataclass
class CalibrationRow(Record):
    """One measurement (an argument's verdict, or the family label) on the planted units."""

    measurement: str  # feature_visualization, dataset_examples, synthetic_examples, joint_tuning, family
    curve_units: int
    curve_pass_rate: float
    median_orientation_error: float | None  # degrees, over planted curves the measurement passed
    distractor_units: dict[str, int]
    distractor_pass_rate: dict[str, float]  # keyed by distractor kind
    passed: bool
    failures: list[str] = field(default_factory=list)  # which target it missed, in words


@dataclass
class Calibration(Record):
    """The instrument's record on planted ground truth; the claims rest on it."""

    model: str
    layer: str
    targets: dict[str, float]  # the declared targets (CalibrationParams)
    rows: list[CalibrationRow]
    passed: bool

    def row(self, measurement: str) -> CalibrationRow | None:
        return next((r for r in self.rows if r.measurement == measurement), None)

    def validated(self, measurement: str) -> bool:
        """Did the instrument pass its calibration for this measurement?"""
        row = self.row(measurement)
        return bool(row and row.passed)
