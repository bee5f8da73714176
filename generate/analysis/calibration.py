"""Calibration of the instrument on planted ground truth: does each argument (and the family
label) pass the planted curve detectors, at their true orientation, and fail every distractor?

Each measurement is asked the same question of every planted unit: "is this a curve detector?"
(generate/records VerdictRecord.as_curve: a unit not labelled curve is judged against the curve
its stimuli prefer). The rates are compared with declared targets (CalibrationParams); a claim
may conclude "not supported" only where the instrument passed.
"""

from __future__ import annotations

from statistics import median

from generate.analysis.angles import circular_distance
from generate.analysis.verdicts import ARGUMENTS
from generate.config import CalibrationParams
from generate.records import Calibration, CalibrationRow, FamilyLabel, UnitTruth, UnitVerdicts

DISTRACTORS = ("line", "angle", "edge", "colour", "high_low", "random")
FAMILY = "family"  # the family label, calibrated beside the four arguments


def _row(measurement: str, truth: list[UnitTruth], passes: dict[int, bool], orientations: dict[int, float | None],
         params: CalibrationParams) -> CalibrationRow:
    curves = [t for t in truth if t.kind == "curve"]
    passed_curves = [t for t in curves if passes.get(t.unit)]
    errors = [circular_distance(orientations[t.unit], t.orientation) for t in passed_curves
              if orientations.get(t.unit) is not None and t.orientation is not None]
    kinds = {kind: [t for t in truth if t.kind == kind] for kind in DISTRACTORS}
    rates = {kind: sum(bool(passes.get(t.unit)) for t in units) / len(units) for kind, units in kinds.items() if units}
    row = CalibrationRow(
        measurement=measurement, curve_units=len(curves),
        curve_pass_rate=len(passed_curves) / len(curves) if curves else 0.0,
        median_orientation_error=float(median(errors)) if errors else None,
        distractor_units={kind: len(units) for kind, units in kinds.items() if units},
        distractor_pass_rate=rates, passed=False)
    row.failures = _failures(row, params)
    row.passed = not row.failures
    return row


def _failures(row: CalibrationRow, params: CalibrationParams) -> list[str]:
    out = []
    if row.curve_pass_rate < params.min_curve_pass:
        out.append(f"passes {100 * row.curve_pass_rate:.0f}% of planted curves (target ≥ {100 * params.min_curve_pass:.0f}%)")
    error = row.median_orientation_error
    if error is None or error > params.max_orientation_error:
        out.append(f"median orientation error {'n/a' if error is None else f'{error:.0f}°'} "
                   f"(target ≤ {params.max_orientation_error:g}°)")
    for kind, rate in row.distractor_pass_rate.items():
        limit = params.max_random_pass if kind == "random" else params.max_distractor_pass
        if rate > limit:
            out.append(f"passes {100 * rate:.0f}% of {kind} distractors (target ≤ {100 * limit:.0f}%)")
    return out


def calibrate(model: str, layer: str, truth: list[UnitTruth], labels: dict[int, FamilyLabel],
              verdicts: dict[int, UnitVerdicts], params: CalibrationParams) -> Calibration:
    """Every argument's curve verdicts and the family labels of a planted model, against its truth."""
    rows = []
    for key, _, _, _ in ARGUMENTS:
        judged = {unit: v.get(key) for unit, v in verdicts.items()}
        rows.append(_row(key, truth, {u: bool(v and v.passed) for u, v in judged.items()},
                         {u: v.orientation if v else None for u, v in judged.items()}, params))
    rows.append(_row(FAMILY, truth, {u: f.label == "curve" for u, f in labels.items()},
                     {u: f.orientation for u, f in labels.items()}, params))
    targets = {"min_curve_pass": params.min_curve_pass, "max_orientation_error": params.max_orientation_error,
               "max_distractor_pass": params.max_distractor_pass, "max_random_pass": params.max_random_pass}
    return Calibration(model=model, layer=layer, targets=targets, rows=rows, passed=all(r.passed for r in rows))


def criterion(params: CalibrationParams) -> str:
    """The calibration rule in words."""
    return (f"on the planted model, a measurement is validated when it passes ≥ {100 * params.min_curve_pass:.0f}% "
            f"of the planted curve detectors with a median orientation error ≤ {params.max_orientation_error:g}°, "
            f"≤ {100 * params.max_distractor_pass:.0f}% of each kind of distractor (straight lines, sharp angles, "
            f"edges, colour blobs, high-low frequency boundaries) and ≤ {100 * params.max_random_pass:.0f}% of "
            f"units with random weights")
