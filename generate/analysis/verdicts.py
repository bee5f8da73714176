"""Verdicts on the four arguments of "Zoom In" that a unit belongs to an oriented family (e.g. is
a curve detector), each against a hypothesis: the family and orientation its synthetic stimuli
predict. Every verdict has a numeric criterion (its text built from the thresholds in
generate/config), the unit's score, the orientation the argument itself measures, and the same
measure on the random-init control's unit of the same index, taken at the *trained* unit's
prediction (so the control is never empty).

1. feature visualization: the neuron visualizations show the predicted feature at their centre
   (curves: arc templates on the seeds' mean contour field; other families: every seed's contour axis);
2. dataset examples: so do most of its strongest exemplars (the moderate stratum is reported);
3. synthetic examples: the family's gate passes, tuned to the prediction, and for curves sharp
   corners do not drive it as much;
4. joint tuning: rotated dataset examples of the other family members peak at the prediction,
   and the family's clear peaks cover the circle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generate.analysis import arcs
from generate.analysis.angles import circular_distance
from generate.analysis.evidence import (Evidence, Hypothesis, circular_mean, curve_hypothesis, measure,
                                        measure_shared, own_hypothesis, visualization_failed)
from generate.config import ArcParams, FamilyParams, RotationParams, VerdictParams
from generate.records import UnitVerdicts, Verdict, VerdictRecord

# The four arguments of "Zoom In", in order: (verdict key, number, title, unit of its score).
ARGUMENTS = (("feature_visualization", 1, "feature visualization", ""),
             ("dataset_examples", 2, "dataset examples", ""),
             ("synthetic_examples", 3, "synthetic examples", "σ"),
             ("joint_tuning", 4, "joint tuning", ""))
# The orientation-tuning curve of the synthetic summary that shows each family's preference.
TUNING_CURVE = {"curve": "curve", "angle": "angle", "high-low frequency": "high_low",
                "brightness gradient": "gradient"}


@dataclass(frozen=True)
class Rules:
    """Every parameter the verdicts use."""

    families: FamilyParams
    rotation: RotationParams
    verdicts: VerdictParams
    arcs: ArcParams
    moderate: tuple[float, float]  # the band of the moderate exemplars, fractions of the top response
    canvas_margin: float  # neuron visualizations: canvas = this x the effective receptive field

    def tolerance(self, hypothesis: Hypothesis) -> float:
        return self.arcs.tolerance if hypothesis.curve else self.verdicts.tolerance


def _untestable(hypothesis: Hypothesis, **extra) -> dict | None:
    why = hypothesis.why_untestable()
    return {"passed": False, "score": None, "reason": why, **extra} if why else None


def seeds_show_curve(seed_hits: list[bool], shared_hit: bool, seeds: int) -> bool:
    """Argument 1's rule for a curve: the seeds' shared picture shows it, or every one of at least
    `seeds` seeds shows it alone (the stricter single-picture rule: seeds whose arcs sit a few
    pixels apart can miss each other's arc on their mean)."""
    return shared_hit or (len(seed_hits) >= seeds and all(seed_hits))


def feature_visualization(e: Evidence, h: Hypothesis, rules: Rules) -> dict:
    """Argument 1: the neuron visualizations show the predicted feature at their centre. A curve is
    measured on the seeds' mean contour field (`measure_shared`: the curve they draw together), or in
    every seed's picture alone; other families' contour axis in every seed's picture. A failed
    visualization is no evidence."""
    if (out := _untestable(h)) is not None:
        return out
    if len(e.featurevis) < rules.verdicts.seeds:
        return {"passed": False, "score": None, "reason": f"{len(e.featurevis)} of {rules.verdicts.seeds} "
                                                          f"neuron visualizations computed"}
    seeds = []
    for seed, picture in sorted(e.featurevis.items()):
        if visualization_failed(picture, e.stats, rules.verdicts):
            seeds.append({"seed": seed, "failed": True, "qualifies": False, "agrees": False, "orientation": None,
                          "distance": None, "reason": "the optimisation did not drive the unit: no evidence"})
        else:
            seeds.append({"seed": seed, "failed": False,
                          **measure(picture, h, e.field_px, rules.verdicts, rules.arcs)})
    failed, agreeing = sum(s["failed"] for s in seeds), sum(s["agrees"] for s in seeds)
    measured = [s["orientation"] for s in seeds if s["qualifies"]]
    alone = (f"{agreeing} of {len(seeds)} seeds {'alone ' if h.curve else ''}show a "
             f"{'curve' if h.curve else 'contour'} within {rules.tolerance(h):g}° of {h.expected:.0f}°")
    failures = f"failed visualizations: {failed} of {len(seeds)}, no evidence; " if failed else ""
    common = {"seeds": seeds, "expected": h.expected, "period": h.period}
    if not h.curve:
        return {**common, "passed": agreeing == len(seeds), "score": agreeing / len(seeds),
                "orientation": circular_mean(measured, h.period), "reason": failures + alone}
    if failed:
        return {**common, "passed": False, "score": 0.0, "shared": None,
                "orientation": circular_mean(measured, h.period), "reason": failures + alone}
    shared = measure_shared([e.featurevis[s["seed"]] for s in seeds], h, e.field_px, rules.arcs)
    passed = seeds_show_curve([s["agrees"] for s in seeds], shared["agrees"], rules.verdicts.seeds)
    by_seeds = passed and not shared["agrees"]
    together = f"the {len(seeds)} seeds together: {shared['reason']}"
    return {**common, "passed": passed, "score": float(passed), "shared": shared,
            "orientation": shared["orientation"] if shared["qualifies"] and not by_seeds
            else circular_mean(measured, h.period),
            "reason": f"{alone}, each passing alone; {together}" if by_seeds else f"{together}; {alone}"}


def dataset_examples(e: Evidence, h: Hypothesis, rules: Rules) -> dict:
    """Argument 2: most of the strongest exemplars show the predicted feature at the centre of the
    unit's effective field; the moderate stratum is measured the same way and reported beside."""
    if (out := _untestable(h)) is not None:
        return out
    if not e.strong:
        return {"passed": False, "score": None, "reason": "no exemplars"}
    strong = [measure(p, h, e.field_px, rules.verdicts, rules.arcs) for p in e.strong]
    moderate = [measure(p, h, e.field_px, rules.verdicts, rules.arcs) for p in e.moderate]
    score = float(np.mean([r["agrees"] for r in strong]))
    measured = [r["orientation"] for r in strong if r["qualifies"]]
    text = f"{sum(r['agrees'] for r in strong)} of {len(strong)} strongest exemplars agree"
    if moderate:
        text += f"; {sum(r['agrees'] for r in moderate)} of {len(moderate)} moderate ones"
    return {"passed": score >= rules.verdicts.examples_fraction, "score": score,
            "moderate_score": float(np.mean([r["agrees"] for r in moderate])) if moderate else None,
            "expected": h.expected, "orientation": circular_mean(measured, h.period), "period": h.period,
            "strong": strong, "moderate": moderate, "reason": text}


def synthetic_examples(e: Evidence, h: Hypothesis, rules: Rules) -> dict:
    """Argument 3: the gate of the hypothesis' family passes, the unit's tuning for that family
    peaks at the prediction, and for curves sharp corners drive it ≤ 1/curve_over_line of its peak."""
    if (out := _untestable(h, family=h.label)) is not None:
        return out
    gate = e.family.gates[h.label]
    checks = [name for name, check in gate.checks.items() if not check.ok]
    peak = _tuning_peak(e, h)
    off = peak is None or circular_distance(peak, h.orientation, 360.0) > rules.tolerance(h)
    corner = e.family.gates["angle"].score if h.curve else None
    cornered = corner is not None and corner > gate.score / rules.families.curve_over_line
    passed = gate.passed and not off and not cornered
    reasons = ([f"gate failed: {', '.join(checks)}"] if not gate.passed else []) + (
        [f"tuning peaks at {peak:.0f}°, not {h.orientation:.0f}°"] if off and peak is not None else []) + (
        [f"sharp corners drive it {corner:.3g} σ, over 1/{rules.families.curve_over_line:g} of its curve peak"]
        if cornered else [])
    return {"passed": bool(passed), "score": gate.score, "family": h.label, "orientation": peak, "period": 360.0,
            "qualifies": bool(gate.passed and not cornered), "reason": "; ".join(reasons) or "gate passed"}


def _tuning_peak(e: Evidence, h: Hypothesis) -> float | None:
    """Where the unit's tuning for the hypothesis' family peaks (degrees)."""
    if e.tuning is None:
        return None
    key = TUNING_CURVE.get(h.label) or (h.kind or "line")
    values = e.tuning.orientation_tuning.get(key)
    if not values:
        return None
    return float(e.tuning.orientations[int(np.argmax(values))])


def joint_tuning(e: Evidence, h: Hypothesis, rules: Rules) -> dict:
    """Argument 4: turning the other members' dataset examples, the unit peaks at the prediction,
    and the family's members with a clear peak cover the circle."""
    record, measures = e.rotation, e.measures
    if record is None or record.rotation_orientation is None or measures is None or record.family != h.label:
        return {"passed": False, "score": None, "reason": f"no rotation measure in the {h.label} family "
                                                          f"(not a member, or no other member to anchor on)"}
    distance = circular_distance(record.rotation_orientation, h.orientation, record.period)
    passed = distance <= rules.rotation.agreement and measures.coverage >= rules.rotation.coverage
    return {"passed": bool(passed), "score": 1 - distance / (record.period / 2), "agreement_degrees": distance,
            "family_coverage": measures.coverage, "orientation": record.rotation_orientation,
            "period": record.period, "qualifies": measures.coverage >= rules.rotation.coverage,
            "reason": f"rotation peak {distance:.0f}° from the prediction; members with a clear peak cover "
                      f"{100 * measures.coverage:.0f}% of the circle"}


JUDGES = {"feature_visualization": feature_visualization, "dataset_examples": dataset_examples,
          "synthetic_examples": synthetic_examples, "joint_tuning": joint_tuning}


def criteria(rules: Rules) -> dict[str, str]:
    """The text of each argument's criterion, with these thresholds."""
    v, f, r = rules.verdicts, rules.families, rules.rotation
    contour = (f"other oriented families: the colour structure tensor in a Gaussian window (σ = {v.window:g} of "
               f"the picture) at its centre has coherence ≥ {v.min_coherence:g} and a contour axis within "
               f"{v.tolerance:g}° of the predicted one (chance 25%)")
    curve = f"curves: {arcs.criterion(rules.arcs)}"
    return {
        "feature_visualization": (
            f"the neuron visualizations of {v.seeds} seeds (the unit at the centre of a canvas "
            f"{rules.canvas_margin:g}× its effective receptive field) show the predicted feature at their centre — "
            f"{curve}, measured on the mean of the seeds' contour fields (the curve they draw together; the "
            f"texture each seed lays around it partly cancels), where in place of those two floors the arc needs alignment ≥ "
            f"{rules.arcs.shared_alignment:g} and no contrast of its own, and every seed draws that arc at contrast ≥ "
            f"{rules.arcs.seed_share * rules.arcs.min_contrast:g} with alignment ≥ {rules.arcs.seed_alignment:g} "
            f"and no weaker than the straight segment in its place (or every seed shows the curve alone); "
            f"{contour}, in every seed. A visualization whose "
            f"response stays below the unit's mean + {v.featurevis_min_sigma:g} σ failed and counts as no "
            f"evidence"),
        "dataset_examples": (
            f"at least {100 * v.examples_fraction:.0f}% of the strongest exemplar crops (cut to the effective "
            f"receptive field around the unit's strongest position) show the predicted feature at their centre, "
            f"measured as for Argument 1; the moderate stratum (images whose maximum is "
            f"{100 * rules.moderate[0]:.0f}–{100 * rules.moderate[1]:.0f}% of the unit's largest) is measured "
            f"and shown, not required"),
        "synthetic_examples": (
            f"the family's gate passes (peak drive ≥ {f.min_drive:g} σ; for curves: straight lines ≤ "
            f"1/{f.curve_over_line:g} of the peak, opposite orientation ≤ {f.opposite_ratio:.2g}× the peak, ≥ "
            f"{f.variants_needed} cosmetic variants agreeing), the unit's tuning for the family peaks within "
            f"the tolerance of the prediction, and for curves sharp corners (≤ 90°) drive it ≤ "
            f"1/{f.curve_over_line:g} of its curve peak"),
        "joint_tuning": (
            f"rotating the other family members' dataset examples inside a fixed disc of "
            f"{r.aperture:g}× the effective field (each anchor weighted by the response it evokes), the unit "
            f"peaks within {r.agreement:g}° of its prediction, and the members whose tuning has a clear peak "
            f"(resultant length ≥ {r.clear_peak:g}) cover ≥ {100 * r.coverage:.0f}% of the circle"),
    }


def judge(evidence: Evidence, control: Evidence | None, hypothesis: Hypothesis, rules: Rules,
          texts: dict[str, str]) -> UnitVerdicts:
    """The four verdicts of one unit against a hypothesis, beside its control's at the same one."""
    out = {}
    for key, rule in JUDGES.items():
        own = rule(evidence, hypothesis, rules)
        theirs = rule(control, hypothesis, rules) if control is not None else None
        out[key] = Verdict(**own, criterion=texts[key],
                           control_score=theirs["score"] if theirs else None,
                           control_passed=theirs["passed"] if theirs else None,
                           control_orientation=theirs.get("orientation") if theirs else None)
    return UnitVerdicts(**out)


def judged(rules: Rules, item: tuple[int, Evidence, Evidence | None]) -> VerdictRecord:
    """`unit_verdicts` of one (unit, its evidence, its control's evidence): what worker processes map."""
    return unit_verdicts(*item, rules)


def unit_verdicts(unit: int, evidence: Evidence, control: Evidence | None, rules: Rules) -> VerdictRecord:
    """A unit's verdicts under its own family, and, where that is not "curve", under the curve its
    stimuli prefer (what calibration and the curve claim count)."""
    texts = criteria(rules)
    own = own_hypothesis(evidence.family)
    verdicts = judge(evidence, control, own, rules, texts)
    curve = None
    if not own.curve and evidence.tuning is not None:
        curve = judge(evidence, control, curve_hypothesis(evidence.tuning), rules, texts)
    return VerdictRecord(unit=unit, verdicts=verdicts, curve=curve)
