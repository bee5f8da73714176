"""Verdicts on the arguments of "Zoom In" that a unit belongs to an oriented family (e.g. is a
curve detector), from stored stage results. Each verdict has a numeric criterion (its text
built from the thresholds in config.py), the unit's score and the same measure on the unit of
the same index in the random-init control.

Implemented: Argument 3 (synthetic examples) and Argument 4 (joint tuning).
"""

from __future__ import annotations

from generate.config import FamilyParams, RotationParams
from generate.families import ORIENTED


def synthetic_examples(family: dict, params: FamilyParams) -> dict:
    """Argument 3: the family's gate (peak, preference over the simpler stimulus, opposite
    orientation, cosmetic invariance), plus for curves a weak response to sharp corners."""
    label = family["label"]
    if label not in ORIENTED:
        return {"passed": False, "score": family["strongest_drive"], "family": label,
                "reason": f"labelled {label}, not an oriented family"}
    gate = family["gates"][label]
    passed = gate["passed"]
    reason = "gate passed" if passed else "gate failed: " + ", ".join(k for k, v in gate["checks"].items() if not v["ok"])
    if label == "curve":
        corner = family["gates"]["angle"]["score"]
        if corner > gate["score"] / params.curve_over_line:
            passed, reason = False, f"sharp corners drive it {corner:.3g} σ, over 1/{params.curve_over_line:g} of its curve peak"
    return {"passed": bool(passed), "score": gate["score"], "family": label, "reason": reason}


def synthetic_criterion(params: FamilyParams) -> str:
    return (f"the unit's oriented family gate passes (peak drive ≥ {params.min_drive:g} σ; for curves: straight "
            f"lines ≤ 1/{params.curve_over_line:g} of the peak, opposite orientation ≤ {params.opposite_ratio:.2g}× "
            f"the peak, ≥ {params.variants_needed} cosmetic variants agreeing) and, for curves, sharp corners "
            f"drive it ≤ 1/{params.curve_over_line:g} of its curve peak")


def joint_tuning(rotation_record: dict | None, measures: dict | None, params: RotationParams) -> dict:
    """Argument 4: the orientation at which the unit peaks while the other members' exemplars
    turn agrees with its synthetic preference, and its family covers the circle."""
    if not rotation_record or rotation_record.get("agreement") is None or not measures:
        return {"passed": False, "score": None, "reason": "no rotation measure (not an oriented family, "
                                                         "or no other member to anchor on)"}
    agreement, coverage = rotation_record["agreement"], measures["coverage"]
    passed = agreement <= params.agreement and coverage >= params.coverage
    half = rotation_record["period"] / 2
    return {"passed": bool(passed), "score": 1 - agreement / half, "agreement_degrees": agreement,
            "family_coverage": coverage,
            "reason": f"rotation peak {agreement:.0f}° from the synthetic preference; family covers "
                      f"{100 * coverage:.0f}% of the circle"}


def joint_tuning_criterion(params: RotationParams) -> str:
    return (f"rotating the other family members' dataset examples, the unit peaks within {params.agreement:g}° "
            f"of its synthetic preferred orientation, and the family covers ≥ {100 * params.coverage:.0f}% of "
            f"the circle (some member above half its peak); score = 1 − distance / half period")


def unit_verdicts(family: dict, rotation_record: dict | None, measures: dict | None,
                  control_family: dict | None, control_rotation: dict | None, control_measures: dict | None,
                  family_params: FamilyParams, rotation_params: RotationParams) -> dict:
    synthetic = synthetic_examples(family, family_params)
    joint = joint_tuning(rotation_record, measures, rotation_params)
    control_synthetic = synthetic_examples(control_family, family_params) if control_family else None
    control_joint = joint_tuning(control_rotation, control_measures, rotation_params) if control_family else None
    return {
        "synthetic_examples": {**synthetic, "criterion": synthetic_criterion(family_params),
                               "control_score": control_synthetic["score"] if control_synthetic else None,
                               "control_passed": control_synthetic["passed"] if control_synthetic else None},
        "joint_tuning": {**joint, "criterion": joint_tuning_criterion(rotation_params),
                         "control_score": control_joint["score"] if control_joint else None,
                         "control_passed": control_joint["passed"] if control_joint else None},
    }
