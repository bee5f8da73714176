"""A claim about a family of units, tested as a family (generate/analysis/statistics.py): per
argument, every member's agreement with its own prediction against (a) the predictions shuffled
across the family and (b) the random-init control's same units measured at the same predictions.

The agreement of unit i with unit j's prediction is recomputed from what the verdicts stored:
each measured picture's orientation (Arguments 1 and 2), the unit's tuning peak (3) or rotation
peak (4), so the permutation null asks whether the pictures show *this* unit's predicted feature
or just any feature of the family. Argument 3's orientation is read from the very responses the
prediction comes from, so its permutation null says little; its control null is the test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generate.analysis.angles import circular_distance
from generate.analysis.statistics import AgreementTable, FamilyRule, analyse_argument, claims_entry
from generate.analysis.verdicts import ARGUMENTS, Rules, seeds_show_curve
from generate.records import UnitVerdicts, Verdict

PICTURES = {"feature_visualization": "seeds", "dataset_examples": "strong"}


@dataclass
class Member:
    """A unit of the family: its prediction and its verdicts."""

    layer: str
    unit: int
    orientation: float  # what its synthetic stimuli predict (a curve's bulge direction)
    verdicts: UnitVerdicts


def _prediction(verdict: Verdict, member: Member) -> float | None:
    """What the argument compares with: the picture-level expectation (a curve's bulge, another
    family's contour axis) for Arguments 1 and 2, the unit's orientation for 3 and 4."""
    return verdict.expected if verdict.expected is not None else member.orientation


def _agrees(verdict: Verdict | None, key: str, prediction: float | None, rules: Rules, curve: bool) -> float:
    """Would this verdict pass with `prediction` in place of its own?"""
    if verdict is None or prediction is None or verdict.score is None:
        return 0.0
    period = verdict.period or 360.0
    tolerance = rules.rotation.agreement if key == "joint_tuning" else (
        rules.arcs.tolerance if curve else rules.verdicts.tolerance)
    rows = getattr(verdict, PICTURES[key]) if key in PICTURES else None
    if rows is not None:
        hits = [_hit(r, prediction, period, tolerance) for r in rows]
        if key == "feature_visualization":  # as in the verdict (a contour has no shared picture)
            shared = bool(verdict.shared) and _hit(verdict.shared, prediction, period, tolerance)
            return float(seeds_show_curve(hits, shared, rules.verdicts.seeds))
        return float(bool(hits) and np.mean(hits) >= rules.verdicts.examples_fraction)
    if not verdict.qualifies or verdict.orientation is None:
        return 0.0
    return float(circular_distance(verdict.orientation, prediction, period) <= tolerance)


def _hit(row: dict, prediction: float, period: float, tolerance: float) -> bool:
    """Does one measured picture show a qualifying feature within `tolerance` of `prediction`?"""
    return bool(row.get("qualifies")) and row.get("orientation") is not None \
        and circular_distance(row["orientation"], prediction, period) <= tolerance


def agreement_table(members: list[Member], key: str, rules: Rules, curve: bool) -> AgreementTable:
    """scores[i, j]: member i judged at member j's prediction; control[i]: the control's unit i at
    member i's prediction (NaN where it was not measured)."""
    verdicts = [m.verdicts.get(key) for m in members]
    predictions = [_prediction(v, m) if v else None for v, m in zip(verdicts, members)]
    scores = np.array([[_agrees(v, key, p, rules, curve) for p in predictions] for v in verdicts]).reshape(
        len(members), len(members))
    control = np.array([np.nan if v is None or v.control_passed is None else float(v.control_passed)
                        for v in verdicts])
    return AgreementTable(scores=scores, control=control)


def family_entries(members: list[Member], rules: Rules, rule: FamilyRule, curve: bool,
                   validated: dict[str, bool]) -> dict[str, dict]:
    """claims.json's entries for one family: per argument, the family-level test and its conclusion."""
    out = {}
    for key, number, title, _ in ARGUMENTS:
        result = analyse_argument(agreement_table(members, key, rules, curve), rule) if members else None
        entry = claims_entry(result, rule, validated.get(key, False)) if result else {
            "units": 0, "passing": 0, "effect_size": None, "p_value_permutation": None, "p_value_control": None,
            "interval": None, "conclusion": "inconclusive", "reason": "no judged unit carries the label",
            "rule": rule.rule_text()}
        out[key] = {"number": number, "title": title, **entry}
    return out
