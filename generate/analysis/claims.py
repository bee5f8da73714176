"""The claims report: one computed conclusion per seed experiment, per model.

Nothing here is written about results by hand. A claim of "Zoom In" is about a family of units,
so each argument is tested on the whole family at once (generate/analysis/family_tests.py):
the members' agreement with their own predictions against the predictions shuffled across the
family and against the random-init control's same units measured at the same predictions, under
one pre-declared rule (generate/analysis/statistics.py FamilyRule, printed on every page). No
conclusion is drawn from an instrument that failed its calibration on planted ground truth:
such an argument reads "instrument not validated".
"""

from __future__ import annotations

from dataclasses import dataclass

from generate.analysis.census import Census, LayerCensus, ModelCensus
from generate.analysis.family_tests import Member, family_entries
from generate.analysis.statistics import (INCONCLUSIVE, NOT_SUPPORTED, NOT_VALIDATED, SUPPORTED, FamilyRule,
                                          JointTuning, joint_tuning)
from generate.analysis.universality import Sensitivity, UniversalityClaim, sensitivity, universality_claim
from generate.analysis.verdicts import ARGUMENTS, Rules
from generate.records import Calibration, FamilyMeasures, ModelManifest, UnitVerdicts, VariationManifest

LOW_LEVEL = ("line/edge", "colour contrast", "colour/hue", "brightness gradient", "high-low frequency")
LOW_LEVEL_ORIENTED = ("line/edge", "high-low frequency", "brightness gradient")
CURVES = "curve detectors"  # the claim's key in claims.json


def overall(conclusions: list[str]) -> str:
    """A claim made of several arguments holds when each does; it cannot be judged when the
    instrument of any argument is not validated."""
    if any(c == NOT_VALIDATED for c in conclusions):
        return NOT_VALIDATED
    if any(c == NOT_SUPPORTED for c in conclusions):
        return NOT_SUPPORTED
    if conclusions and all(c == SUPPORTED for c in conclusions):
        return SUPPORTED
    return INCONCLUSIVE


@dataclass
class Judge:
    """What the claims are judged with: the verdicts' rules, the pre-declared family rule, and
    which arguments the calibration validated."""

    rules: Rules | None
    rule: FamilyRule
    calibration: Calibration | None

    def validated(self) -> dict[str, bool]:
        return {key: bool(self.calibration and self.calibration.validated(key)) for key, *_ in ARGUMENTS}


@dataclass
class FamilyMember:
    """A unit of a family, with its verdicts (for the figures)."""

    layer: str
    unit: int
    family: str
    score: float
    preferred: dict
    verdicts: UnitVerdicts | None


def members_of(layers: list[LayerCensus], family: str) -> list[FamilyMember]:
    """Every unit of the layers with the label, strongest first."""
    out = [FamilyMember(layer.name, unit, family, record.family.score, record.family.preferred,
                        layer.verdicts.get(unit))
           for layer in layers for unit, record in layer.labels.items() if record.family.label == family]
    return sorted(out, key=lambda m: -(m.score or 0.0))


def family_tests(layers: list[LayerCensus], family: str, judge: Judge) -> dict[str, dict]:
    """claims.json's entries of one family over the given layers (judged members only)."""
    members = [Member(m.layer, m.unit, float(m.preferred["orientation"]), m.verdicts)
               for m in members_of(layers, family) if m.verdicts and m.preferred.get("orientation") is not None]
    if judge.rules is None:
        members = []
    return family_entries(members, judge.rules, judge.rule, family == "curve", judge.validated())


@dataclass
class LayerTuning:
    """The curve family's joint tuning in one layer, as the article shows it."""

    layer: str
    measures: FamilyMeasures
    statistics: JointTuning


@dataclass
class LayerCount:
    layer: str
    trained: int
    control: int | None
    labelled: int
    channels: int  # the layer's units in the network: labelled < channels means a sample


@dataclass
class CurveClaim:
    model: ModelManifest
    tests: dict[str, dict]  # argument -> claims.json entry
    conclusion: str
    members: list[FamilyMember]
    high_low: list[FamilyMember]
    tuning: list[LayerTuning]
    counts: list[LayerCount]


def _tuning(layer: LayerCensus) -> LayerTuning | None:
    measures = layer.rotation_families.get("curve")
    records = [layer.rotation[u] for u in (measures.members if measures else []) if u in layer.rotation]
    records = [r for r in records if r.rotation_tuning]
    if not measures or not records:
        return None
    stats = joint_tuning([r.rotation_tuning for r in records], records[0].angles,
                         [r.synthetic_orientation for r in records], period=records[0].period)
    return LayerTuning(layer.name, measures, stats)


def curve_claim(entry: ModelCensus, judge: Judge) -> CurveClaim:
    """Arguments 1-4 for the curve family of one model, tested as a family, and its joint tuning."""
    tests = family_tests(entry.layers, "curve", judge)
    return CurveClaim(
        model=entry.model, tests=tests, conclusion=overall([t["conclusion"] for t in tests.values()]),
        members=members_of(entry.layers, "curve"), high_low=members_of(entry.layers, "high-low frequency"),
        tuning=[t for layer in entry.layers if (t := _tuning(layer))],
        counts=[LayerCount(layer.name, layer.count("curve"), layer.control_count("curve"), layer.labelled,
                           layer.channels) for layer in entry.layers])


@dataclass
class LowLevelRow:
    family: str
    trained: int
    control: int | None
    argument_1: dict | None  # the family test of Argument 1 (oriented families only)


@dataclass
class LowLevelClaim:
    model: ModelManifest
    early: list[str]
    rows: list[LowLevelRow]
    conclusion: str
    gallery: list[FamilyMember]


def low_level_claim(entry: ModelCensus, judge: Judge) -> LowLevelClaim:
    """Feature visualizations of the early layers show low-level features: Argument 1 tested on
    each oriented low-level family of the early layers, and every family's count beside the control."""
    early = [layer for layer in entry.layers if layer.band == "early"]
    rows = []
    for family in LOW_LEVEL:
        control = sum(layer.control_count(family) or 0 for layer in early) if entry.control is not None else None
        test = family_tests(early, family, judge)["feature_visualization"] if family in LOW_LEVEL_ORIENTED else None
        rows.append(LowLevelRow(family, sum(layer.count(family) for layer in early), control, test))
    judged = [row.argument_1["conclusion"] for row in rows if row.argument_1 and row.argument_1["units"]]
    conclusion = (INCONCLUSIVE if not early or not judged else NOT_VALIDATED if NOT_VALIDATED in judged
                  else SUPPORTED if SUPPORTED in judged else overall(judged))
    gallery = [m for layer in early for family in LOW_LEVEL for m in members_of([layer], family)[:6]]
    return LowLevelClaim(model=entry.model, early=[layer.name for layer in early], rows=rows, conclusion=conclusion,
                         gallery=gallery)


@dataclass
class Report:
    curve: list[CurveClaim]
    low_level: list[LowLevelClaim]
    universality: UniversalityClaim
    sensitivity: Sensitivity | None
    rule: str
    calibration: Calibration | None

    def claims_json(self) -> dict:
        """{model: {claim: {argument: entry}}}: every number the claims pages show."""
        out: dict[str, dict] = {}
        for claim in self.curve:
            out.setdefault(claim.model.name, {})[CURVES] = claim.tests
        for claim in self.low_level:
            for row in claim.rows:
                if row.argument_1 is not None:
                    out.setdefault(claim.model.name, {})[f"low-level features: {row.family}"] = {
                        "feature_visualization": row.argument_1}
        return out


def report(census: Census, judge: Judge, matches: list[dict] | None = None,
           variations: list[tuple[VariationManifest, ModelCensus]] | None = None) -> Report:
    """Everything the claims pages show."""
    return Report(curve=[curve_claim(entry, judge) for entry in census.models],
                  low_level=[low_level_claim(entry, judge) for entry in census.models],
                  universality=universality_claim(census, matches),
                  sensitivity=sensitivity(census.models[0], variations, lambda e: curve_claim(e, judge).conclusion)
                  if variations else None,
                  rule=judge.rule.rule_text(), calibration=judge.calibration)
