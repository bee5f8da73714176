"""Verdicts on the four arguments of "Zoom In" that a unit belongs to an oriented family (e.g.
is a curve detector), from stored stage results. Each verdict has a numeric criterion (its text
built from the thresholds in config.py), the unit's score and the same measure on the unit of
the same index in the random-init control.

1. feature visualization: the classical contour axis of its feature visualizations (every seed)
   matches the orientation its synthetic stimuli prefer;
2. dataset examples: the classical contour axis at the centre of its strongest exemplars does,
   reported beside the moderate-activation stratum;
3. synthetic examples: its family gate, and for curves weak responses to sharp corners;
4. joint tuning: rotated dataset examples agree with the synthetic preference, and the family
   covers the circle.
Arguments 1 and 2 measure images with generate/classical.py, never with the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generate.analysis.angles import axis_distance
from generate.analysis.classical import Orientation, expected_axis
from generate.analysis.families import ORIENTED
from generate.config import FamilyParams, RotationParams, VerdictParams
from generate.records import FamilyLabel, FamilyMeasures, RotationRecord, UnitVerdicts, Verdict

# The four arguments of "Zoom In", in order: (verdict key, number, title, unit of its score).
ARGUMENTS = (("feature_visualization", 1, "feature visualization", ""),
             ("dataset_examples", 2, "dataset examples", ""),
             ("synthetic_examples", 3, "synthetic examples", "σ"),
             ("joint_tuning", 4, "joint tuning", ""))

CHANCE = "chance: 25% of random axes fall within 22.5° of a given one"


@dataclass
class Evidence:
    """Everything the verdicts judge about one unit, read from the store by the verdict stage."""

    family: FamilyLabel
    rotation: RotationRecord | None = None
    measures: FamilyMeasures | None = None  # joint tuning of the unit's family in its layer
    featurevis: dict[int, Orientation] = field(default_factory=dict)  # by seed
    strong: list[Orientation] = field(default_factory=list)
    moderate: list[Orientation] = field(default_factory=list)


def _oriented(family: FamilyLabel) -> tuple[float | None, str | None]:
    """The expected contour axis of a unit, or why there is none."""
    label = family.label
    if label not in ORIENTED:
        return None, f"labelled {label}, not an oriented family"
    axis = expected_axis(label, family.preferred)
    if axis is None:
        return None, f"a {label} has no single contour axis to measure"
    return axis, None


def _agrees(measured: Orientation, axis: float, params: VerdictParams) -> bool:
    return measured.coherence >= params.min_coherence and axis_distance(measured.axis, axis) <= params.tolerance


def _measurement(measured: Orientation, axis: float) -> dict:
    return {"axis": round(measured.axis, 1), "coherence": round(measured.coherence, 3),
            "distance": round(axis_distance(measured.axis, axis), 1)}


def feature_visualization(family: FamilyLabel, by_seed: dict[int, Orientation], params: VerdictParams) -> dict:
    """Argument 1: every seed's feature visualization shows contours along the axis the unit's
    synthetic preference predicts. Score: 1 - worst distance / 90 (1: all exactly on axis)."""
    axis, why = _oriented(family)
    if axis is None:
        return {"passed": False, "score": None, "reason": why}
    if len(by_seed) < params.seeds:
        return {"passed": False, "score": None, "reason": f"{len(by_seed)} of {params.seeds} feature visualizations"}
    seeds = [{"seed": seed, **_measurement(m, axis), "agrees": _agrees(m, axis, params)} for seed, m in by_seed.items()]
    worst = max(s["distance"] if s["coherence"] >= params.min_coherence else 90.0 for s in seeds)
    passed = all(s["agrees"] for s in seeds)
    measured = ", ".join(f"{s['axis']:.0f}°" for s in seeds)
    agreeing = sum(s["agrees"] for s in seeds)
    return {"passed": passed, "score": 1 - worst / 90.0, "expected_axis": round(axis, 1), "seeds": seeds,
            "reason": f"{agreeing} of {len(seeds)} seeds show contours within {params.tolerance:g}° of "
                      f"{axis:.0f}° (measured: {measured})"}


def feature_visualization_criterion(params: VerdictParams) -> str:
    return (f"for each of {params.seeds} seeds, the colour structure tensor of the feature visualization (whole "
            f"image less a 10% margin) has coherence ≥ {params.min_coherence:g} and a contour axis within "
            f"{params.tolerance:g}° of the axis of the unit's preferred synthetic stimulus (a curve's tangent at its "
            f"midpoint, a line's direction, an edge's or boundary's run); score = 1 − worst distance / 90° ({CHANCE})")


def dataset_examples(family: FamilyLabel, strong: list[Orientation], moderate: list[Orientation],
                     params: VerdictParams) -> dict:
    """Argument 2: the strongest exemplars show contours along the predicted axis at the unit's
    receptive-field centre; the moderate stratum is measured the same way and reported beside."""
    axis, why = _oriented(family)
    if axis is None:
        return {"passed": False, "score": None, "reason": why}
    if not strong:
        return {"passed": False, "score": None, "reason": "no exemplars"}
    strong_rows = [{**_measurement(m, axis), "agrees": _agrees(m, axis, params)} for m in strong]
    moderate_rows = [{**_measurement(m, axis), "agrees": _agrees(m, axis, params)} for m in moderate]
    score = float(np.mean([r["agrees"] for r in strong_rows]))
    moderate_score = float(np.mean([r["agrees"] for r in moderate_rows])) if moderate_rows else None
    passed = score >= params.examples_fraction
    text = f"{sum(r['agrees'] for r in strong_rows)} of {len(strong_rows)} strongest exemplars agree"
    if moderate_rows:
        text += f"; {sum(r['agrees'] for r in moderate_rows)} of {len(moderate_rows)} moderate ones"
    return {"passed": passed, "score": score, "moderate_score": moderate_score, "expected_axis": round(axis, 1),
            "strong": strong_rows, "moderate": moderate_rows, "reason": text}


def dataset_examples_criterion(params: VerdictParams, moderate_low: float, moderate_high: float) -> str:
    return (f"at least {100 * params.examples_fraction:.0f}% of the strongest exemplar crops have, in a Gaussian "
            f"window (σ = {params.window:g} of the crop) at the receptive-field centre, structure-tensor "
            f"coherence ≥ {params.min_coherence:g} and a contour axis within {params.tolerance:g}° of the unit's "
            f"preferred axis; score = that fraction ({CHANCE}). The moderate stratum (images whose maximum is "
            f"{100 * moderate_low:.0f}–{100 * moderate_high:.0f}% of the unit's largest) is measured and shown, "
            f"not required")


def synthetic_examples(family: FamilyLabel, params: FamilyParams) -> dict:
    """Argument 3: the family's gate (peak, preference over the simpler stimulus, opposite
    orientation, cosmetic invariance), plus for curves a weak response to sharp corners."""
    label = family.label
    if label not in ORIENTED:
        return {"passed": False, "score": family.strongest_drive, "family": label,
                "reason": f"labelled {label}, not an oriented family"}
    gate = family.gates[label]
    passed = gate.passed
    reason = "gate passed" if passed else "gate failed: " + ", ".join(k for k, v in gate.checks.items() if not v.ok)
    if label == "curve":
        corner = family.gates["angle"].score
        if corner > gate.score / params.curve_over_line:
            passed, reason = False, f"sharp corners drive it {corner:.3g} σ, over 1/{params.curve_over_line:g} of its curve peak"
    return {"passed": bool(passed), "score": gate.score, "family": label, "reason": reason}


def synthetic_criterion(params: FamilyParams) -> str:
    return (f"the unit's oriented family gate passes (peak drive ≥ {params.min_drive:g} σ; for curves: straight "
            f"lines ≤ 1/{params.curve_over_line:g} of the peak, opposite orientation ≤ {params.opposite_ratio:.2g}× "
            f"the peak, ≥ {params.variants_needed} cosmetic variants agreeing) and, for curves, sharp corners "
            f"drive it ≤ 1/{params.curve_over_line:g} of its curve peak")


def joint_tuning(rotation_record: RotationRecord | None, measures: FamilyMeasures | None,
                 params: RotationParams) -> dict:
    """Argument 4: the orientation at which the unit peaks while the other members' exemplars
    turn agrees with its synthetic preference, and its family covers the circle."""
    if not rotation_record or rotation_record.agreement is None or not measures:
        return {"passed": False, "score": None, "reason": "no rotation measure (not an oriented family, "
                                                         "or no other member to anchor on)"}
    agreement, coverage = rotation_record.agreement, measures.coverage
    passed = agreement <= params.agreement and coverage >= params.coverage
    half = rotation_record.period / 2
    return {"passed": bool(passed), "score": 1 - agreement / half, "agreement_degrees": agreement,
            "family_coverage": coverage,
            "reason": f"rotation peak {agreement:.0f}° from the synthetic preference; family covers "
                      f"{100 * coverage:.0f}% of the circle"}


def joint_tuning_criterion(params: RotationParams) -> str:
    return (f"rotating the other family members' dataset examples, the unit peaks within {params.agreement:g}° "
            f"of its synthetic preferred orientation, and the family covers ≥ {100 * params.coverage:.0f}% of "
            f"the circle (some member above half its peak); score = 1 − distance / half period")


def criteria(families: FamilyParams, rotation: RotationParams, verdicts: VerdictParams,
             moderate: tuple[float, float]) -> dict[str, str]:
    """The text of each argument's criterion, with these thresholds."""
    return {
        "feature_visualization": feature_visualization_criterion(verdicts),
        "dataset_examples": dataset_examples_criterion(verdicts, *moderate),
        "synthetic_examples": synthetic_criterion(families),
        "joint_tuning": joint_tuning_criterion(rotation),
    }


def unit_verdicts(evidence: Evidence, control: Evidence | None, families: FamilyParams, rotation: RotationParams,
                  verdicts: VerdictParams, moderate: tuple[float, float]) -> UnitVerdicts:
    """All four verdicts of one unit beside its control's (the unit of the same index in the
    random-init copy); `moderate` is the band (low, high) of the moderate exemplars."""
    def judge(e: Evidence) -> dict[str, dict]:
        return {
            "feature_visualization": feature_visualization(e.family, e.featurevis, verdicts),
            "dataset_examples": dataset_examples(e.family, e.strong, e.moderate, verdicts),
            "synthetic_examples": synthetic_examples(e.family, families),
            "joint_tuning": joint_tuning(e.rotation, e.measures, rotation),
        }

    own, theirs = judge(evidence), judge(control) if control else {}
    texts = criteria(families, rotation, verdicts, moderate)
    return UnitVerdicts(**{
        key: Verdict(**own[key], criterion=texts[key],
                     control_score=theirs[key]["score"] if key in theirs else None,
                     control_passed=theirs[key]["passed"] if key in theirs else None)
        for key in texts})
