"""The claims report: one computed conclusion per seed experiment, per model, from the census.

Nothing here is written about results by hand: every statement is counted from the stored
family labels and verdicts (via generate/analysis/census.py), and each conclusion follows one
rule, printed on its page, with the census's separation thresholds:

- an argument is **supported** for a family in a model when at least SEPARATION_MIN units carry
  the label, at least half of them pass it, and the passes are at least SEPARATION_RATIO x those
  of the random-init control's units with the same label (and at least SEPARATION_MIN);
- **not supported** when enough units carry the label but that fails;
- **inconclusive** when too few units carry the label, or the verdict was not computed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from generate.analysis.census import SEPARATION_MIN, SEPARATION_RATIO, Census, LayerCensus, ModelCensus
from generate.analysis.families import ORIENTED
from generate.analysis.verdicts import ARGUMENTS
from generate.records import FamilyMeasures, ModelManifest, UnitVerdicts, VariationManifest

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
LOW_LEVEL = ("line/edge", "colour contrast", "colour/hue", "brightness gradient", "high-low frequency")
SURVIVES = 0.8  # a variation keeps the labels when at least this fraction of units keep theirs
# The orientation-tuning curve (generate/analysis/tuning.py) that shows each oriented family.
TUNING_OF = {"curve": "curve", "angle": "angle", "high-low frequency": "high_low", "brightness gradient": "gradient"}


def rule_text() -> str:
    return (f"supported when at least {SEPARATION_MIN} units carry the label, at least half of them pass, and they "
            f"pass at least {SEPARATION_RATIO}× as often as the random-init control's units with the same label "
            f"(and at least {SEPARATION_MIN} times); not supported when enough units carry the label but that fails; "
            f"inconclusive when fewer than {SEPARATION_MIN} units carry it or the verdict was not computed")


def conclude(units: int, passed: int, control_passed: int | None, computed: bool = True) -> str:
    if not computed or units < SEPARATION_MIN:
        return INCONCLUSIVE
    separates = control_passed is None or (passed >= SEPARATION_MIN and passed >= SEPARATION_RATIO * control_passed)
    return SUPPORTED if passed * 2 >= units and separates else NOT_SUPPORTED


def overall(conclusions: list[str]) -> str:
    """A claim made of several arguments holds when each does."""
    if any(c == NOT_SUPPORTED for c in conclusions):
        return NOT_SUPPORTED
    if conclusions and all(c == SUPPORTED for c in conclusions):
        return SUPPORTED
    return INCONCLUSIVE


def marks(verdicts: UnitVerdicts | None) -> str:
    """A unit's verdicts on Arguments 1-4 in four characters: ✓ passed, ✗ failed, – not computed."""
    return "".join(mark(verdicts, key) for key, *_ in ARGUMENTS)


def mark(verdicts: UnitVerdicts | None, key: str) -> str:
    verdict = verdicts.get(key) if verdicts else None
    return "–" if verdict is None else "✓" if verdict.passed else "✗"


# ------------------------------------------------------------------------------ per-argument tallies

@dataclass
class ArgumentTally:
    """Units of a family passing one argument, trained against the control's units of the same label."""

    key: str
    units: int
    passed: int
    control_units: int | None  # None: no control
    control_passed: int | None
    computed: bool
    conclusion: str
    number: int = 0
    title: str = ""


def argument_tally(entry: ModelCensus, family: str, key: str, layers: list[str] | None = None) -> ArgumentTally:
    trained = control = n = control_n = 0
    computed = False
    for layer in entry.layers:
        if layers is not None and layer.name not in layers:
            continue
        for unit, verdicts in layer.verdicts.items():
            verdict = verdicts.get(key)
            if verdict is None:
                continue
            computed = True
            if layer.label(unit) == family:
                n += 1
                trained += bool(verdict.passed)
            if layer.control_label(unit) == family:
                control_n += 1
                control += bool(verdict.control_passed)
    has_control = entry.control is not None
    return ArgumentTally(key=key, units=n, passed=trained, control_units=control_n if has_control else None,
                         control_passed=control if has_control else None, computed=computed,
                         conclusion=conclude(n, trained, control if has_control else None, computed))


# ------------------------------------------------------------------------------ the curve claim

@dataclass
class Member:
    """A unit of a family, with its verdicts."""

    layer: str
    unit: int
    family: str
    score: float
    preferred: dict[str, Any]
    verdicts: UnitVerdicts | None


@dataclass
class LayerCount:
    layer: str
    trained: int
    control: int | None
    labelled: int


@dataclass
class CurveClaim:
    model: ModelManifest
    arguments: list[ArgumentTally]
    conclusion: str
    members: list[Member]
    high_low: list[Member]
    coverage: list[tuple[str, FamilyMeasures]]  # (layer, joint tuning of its curve units)
    counts: list[LayerCount]


def _members(layer: LayerCensus, family: str) -> list[Member]:
    return [Member(layer=layer.name, unit=unit, family=family, score=record.family.score,
                   preferred=record.family.preferred, verdicts=layer.verdicts.get(unit))
            for unit, record in layer.labels.items() if record.family.label == family]


def family_members(entry: ModelCensus, family: str) -> list[Member]:
    """Every unit of a model with the label, strongest first, with its verdicts."""
    members = [member for layer in entry.layers for member in _members(layer, family)]
    return sorted(members, key=lambda m: -(m.score or 0.0))


def curve_claim(entry: ModelCensus) -> CurveClaim:
    """Arguments 1-4 for the curve family of one model, and the joint-tuning measures per layer."""
    tallies = [dataclasses.replace(argument_tally(entry, "curve", key), number=number, title=title)
               for key, number, title, _ in ARGUMENTS]
    return CurveClaim(
        model=entry.model, arguments=tallies, conclusion=overall([t.conclusion for t in tallies]),
        members=family_members(entry, "curve"), high_low=family_members(entry, "high-low frequency"),
        coverage=[(layer.name, layer.rotation_families["curve"]) for layer in entry.layers
                  if "curve" in layer.rotation_families],
        counts=[LayerCount(layer.name, layer.count("curve"), layer.control_count("curve"), layer.labelled)
                for layer in entry.layers])


# ------------------------------------------------------------------------------ the low-level claim

@dataclass
class LowLevelRow:
    family: str
    trained: int
    control: int | None
    argument_1: ArgumentTally | None  # oriented families only


@dataclass
class LowLevelClaim:
    model: ModelManifest
    early: list[str]
    rows: list[LowLevelRow]
    conclusion: str
    gallery: list[Member]


def low_level_claim(entry: ModelCensus) -> LowLevelClaim:
    """Feature visualizations of the early layers show low-level features: Argument 1 over the
    oriented low-level families of the early layers, and the family counts beside the control."""
    early = [layer for layer in entry.layers if layer.band == "early"]
    names = [layer.name for layer in early]
    rows = []
    for family in LOW_LEVEL:
        control = sum(layer.control_count(family) or 0 for layer in early) if entry.control is not None else None
        tally = argument_tally(entry, family, "feature_visualization", names) if family in ORIENTED else None
        rows.append(LowLevelRow(family, sum(layer.count(family) for layer in early), control, tally))
    judged = [row.argument_1.conclusion for row in rows
              if row.argument_1 and row.argument_1.conclusion != INCONCLUSIVE]
    conclusion = INCONCLUSIVE if not early or not judged else (SUPPORTED if SUPPORTED in judged else NOT_SUPPORTED)
    gallery = [member for layer in early for member in _strongest_of_each(layer)]
    return LowLevelClaim(model=entry.model, early=names, rows=rows, conclusion=conclusion, gallery=gallery)


def _strongest_of_each(layer: LayerCensus, per_family: int = 6) -> list[Member]:
    """Up to `per_family` strongest units of each low-level family in a layer, for the figure."""
    return [member for family in LOW_LEVEL
            for member in sorted(_members(layer, family), key=lambda m: -(m.score or 0.0))[:per_family]]


# ------------------------------------------------------------------------------ universality

@dataclass
class UnitSummary:
    """What the universality page shows beside a matched unit."""

    slug: str
    tuning: list[float] | None  # the orientation tuning of its family's stimulus
    angles: list[float]
    marks: str


def _unit_index(census: Census) -> dict[tuple[str, str, int], UnitSummary]:
    """(model name, layer, unit) -> the unit's summary."""
    index = {}
    for entry in census.models:
        for layer in entry.layers:
            for unit, record in layer.labels.items():
                family = record.family
                kind = TUNING_OF.get(family.label) or (
                    family.preferred.get("kind") if family.label == "line/edge" else None)
                index[(entry.model.name, layer.name, unit)] = UnitSummary(
                    slug=entry.model.slug, angles=record.synthetic.orientations,
                    tuning=record.synthetic.orientation_tuning.get(kind) if kind else None,
                    marks=marks(layer.verdicts.get(unit)))
    return index


def _coverage(entry: ModelCensus, family: str) -> float | None:
    """The best coverage of the circle by the family's members in any layer of the model."""
    values = [layer.rotation_families[family].coverage for layer in entry.layers
              if family in layer.rotation_families]
    return max(values) if values else None


def _matched(matches: list[dict], family: str, index: dict[tuple[str, str, int], UnitSummary]) -> list[dict]:
    """Per other model: the reference model's units of `family` beside their best matches (the
    matching stage's `pairs` records), with each side's summary where the census has one."""
    out = []
    for record in matches:
        rows = [{**u, "own": index.get((record["reference"], u["layer"], u["unit"])),
                 "theirs": index.get((record["other"], u["match"]["layer"], u["match"]["unit"]))}
                for u in record["units"] if u["label"] == family]
        if not rows:
            continue
        has_control = record["control"] is not None
        out.append({"other": record["other"], "other_slug": record["other_slug"], "control": record["control"],
                    "measures": record["measures"], "rows": rows,
                    "same_label": sum(u["match"]["label"] == family for u in rows),
                    "control_same_label": sum(bool(u["control"]) and u["control"]["label"] == family for u in rows)
                    if has_control else None,
                    "mean": sum(u["match"]["similarity"] for u in rows) / len(rows),
                    "control_mean": sum(u["control"]["similarity"] for u in rows) / len(rows)
                    if has_control else None})
    return out


@dataclass
class Presence:
    """A family in one model: units over its layers, whether it separates somewhere, its coverage."""

    model: ModelManifest
    present: int
    control: int | None
    separates: bool
    coverage: float | None


@dataclass
class UniversalityRow:
    family: str
    models: list[Presence]
    found_in: int
    conclusion: str
    summary: str
    matched: list[dict]


@dataclass
class UniversalityClaim:
    models: list[ModelManifest]
    rows: list[UniversalityRow]
    reference: ModelManifest | None


def _presence(entry: ModelCensus, family: str) -> Presence:
    return Presence(model=entry.model, present=sum(layer.count(family) for layer in entry.layers),
                    control=sum(layer.control_count(family) or 0 for layer in entry.layers)
                    if entry.control is not None else None,
                    separates=any(layer.row(family).separates for layer in entry.layers),
                    coverage=_coverage(entry, family) if family in ORIENTED else None)


def universality_claim(census: Census, matches: list[dict] | None = None) -> UniversalityClaim:
    """Across the models of this atlas: for each family, in how many models it separates from
    the control in some layer, how much of the circle oriented families cover, and how the
    reference model's units match the other models' (and their controls')."""
    models = census.models
    index = _unit_index(census)
    rows = []
    for family in census.families:
        if family in ("texture/other", "unresponsive"):
            continue
        found = [_presence(entry, family) for entry in models]
        n_found = sum(f.separates for f in found)
        conclusion = INCONCLUSIVE if len(models) < 2 else (SUPPORTED if n_found == len(models) else (
            NOT_SUPPORTED if n_found < len(models) / 2 else INCONCLUSIVE))
        covering = [f.coverage for f in found if f.separates and f.coverage is not None]
        summary = f"{family}: found in {n_found} of {len(models)} model{'s' if len(models) != 1 else ''}"
        if covering:
            summary += f", covering {360 * sum(covering) / len(covering):.0f}° of orientation on average"
        rows.append(UniversalityRow(family=family, models=found, found_in=n_found, conclusion=conclusion,
                                    summary=summary, matched=_matched(matches or [], family, index)))
    return UniversalityClaim(models=[entry.model for entry in models], rows=rows,
                             reference=models[0].model if models else None)


# ------------------------------------------------------------------------------ sensitivity

@dataclass
class SensitivityRow:
    name: str
    variation: VariationManifest | None  # None: the reference row
    counts: dict[str, tuple[int, int]]  # family -> (trained, control)
    passes: dict[str, dict[str, int]]  # argument -> {"trained": n, "control": n}
    units: int
    kept: int
    agreement: float | None
    survives: bool | None
    curve: str


@dataclass
class Sensitivity:
    rows: list[SensitivityRow]
    threshold: float
    survived: int
    variations: int


def _labels(entry: ModelCensus) -> dict[tuple[str, int], str]:
    return {(layer.name, unit): r.family.label for layer in entry.layers for unit, r in layer.labels.items()}


def _passes(entry: ModelCensus, key: str) -> dict[str, int]:
    judged = [v for layer in entry.layers for record in layer.verdicts.values() if (v := record.get(key))]
    return {"trained": sum(bool(v.passed) for v in judged), "control": sum(bool(v.control_passed) for v in judged)}


def _sensitivity_row(name: str, variation: VariationManifest | None, entry: ModelCensus,
                     reference: dict[tuple[str, int], str]) -> SensitivityRow:
    own = _labels(entry)
    shared = [key for key in own if key in reference]
    kept = sum(own[key] == reference[key] for key in shared)
    agreement = kept / len(shared) if shared else None
    counts = {family: (sum(layer.count(family) for layer in entry.layers),
                       sum(layer.control_count(family) or 0 for layer in entry.layers))
              for family in ("curve", "line/edge", "high-low frequency", "colour contrast", "angle")}
    return SensitivityRow(name=name, variation=variation, counts=counts,
                          passes={key: _passes(entry, key) for key, *_ in ARGUMENTS}, units=len(shared), kept=kept,
                          agreement=agreement,
                          survives=None if variation is None else (agreement is not None and agreement >= SURVIVES),
                          curve=curve_claim(entry).conclusion)


def sensitivity(base: ModelCensus, variations: list[tuple[VariationManifest, ModelCensus]]) -> Sensitivity:
    """The sensitivity table: for the reference model (`base`) and each variation (with its census),
    family counts, how many units keep their label, verdict passes per argument and the curve
    claim's conclusion."""
    reference = _labels(base)
    rows = [_sensitivity_row("reference", None, base, reference)]
    rows += [_sensitivity_row(v.name, v, entry, reference) for v, entry in variations]
    return Sensitivity(rows=rows, threshold=SURVIVES, survived=sum(bool(r.survives) for r in rows[1:]),
                       variations=len(rows) - 1)


@dataclass
class Report:
    curve: list[CurveClaim]
    low_level: list[LowLevelClaim]
    universality: UniversalityClaim
    sensitivity: Sensitivity | None
    rule: str


def report(census: Census, matches: list[dict] | None = None,
           variations: list[tuple[VariationManifest, ModelCensus]] | None = None) -> Report:
    """Everything the claims pages show."""
    return Report(curve=[curve_claim(entry) for entry in census.models],
                  low_level=[low_level_claim(entry) for entry in census.models],
                  universality=universality_claim(census, matches),
                  sensitivity=sensitivity(census.models[0], variations) if variations else None, rule=rule_text())
