"""Universality and sensitivity: do the families appear in every model of the atlas (against each
model's random-init control), how do the reference model's units match the others', and do the
labels survive changes of the analysis?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from generate.analysis.census import Census, ModelCensus
from generate.analysis.families import ORIENTED
from generate.analysis.verdicts import ARGUMENTS
from generate.records import ModelManifest, UnitVerdicts, VariationManifest

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
def marks(verdicts: UnitVerdicts | None) -> str:
    """A unit's verdicts on Arguments 1-4 in four characters: ✓ passed, ✗ failed, – not computed."""
    return "".join(mark(verdicts, key) for key, *_ in ARGUMENTS)


def mark(verdicts: UnitVerdicts | None, key: str) -> str:
    verdict = verdicts.get(key) if verdicts else None
    return "–" if verdict is None else "✓" if verdict.passed else "✗"


SURVIVES = 0.8  # a variation keeps the labels when at least this fraction of units keep theirs
# The orientation-tuning curve (generate/analysis/tuning.py) that shows each oriented family.
TUNING_OF = {"curve": "curve", "angle": "angle", "high-low frequency": "high_low", "brightness gradient": "gradient"}


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
                     reference: dict[tuple[str, int], str], curve: Callable[[ModelCensus], str]) -> SensitivityRow:
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
                          curve=curve(entry))


def sensitivity(base: ModelCensus, variations: list[tuple[VariationManifest, ModelCensus]],
                curve: Callable[[ModelCensus], str]) -> Sensitivity:
    """The sensitivity table: for the reference model (`base`) and each variation (with its census),
    family counts, how many units keep their label, verdict passes per argument and the curve
    claim's conclusion (`curve`)."""
    reference = _labels(base)
    rows = [_sensitivity_row("reference", None, base, reference, curve)]
    rows += [_sensitivity_row(v.name, v, entry, reference, curve) for v, entry in variations]
    return Sensitivity(rows=rows, threshold=SURVIVES, survived=sum(bool(r.survives) for r in rows[1:]),
                       variations=len(rows) - 1)


