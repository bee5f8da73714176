"""The census: family counts per model and layer, trained against the random-init control, and
how many units pass each verdict; pure functions on the typed records the stages stored.

A count says something about training only where the trained network clearly has more than its
control: a criterion **separates** the two in a layer when the trained layer has at least
SEPARATION_RATIO times the control's count and at least SEPARATION_MIN units. The claims report
(generate/analysis/claims.py) applies the same rule to verdicts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from generate.analysis.families import FAMILIES
from generate.analysis.verdicts import ARGUMENTS
from generate.records import (FamilyMeasures, LayerManifest, ModelManifest, RotationLayer, RotationRecord,
                              SyntheticRecord, UnitVerdicts)

SEPARATION_RATIO = 2  # the trained count must be at least this many times the control's ...
SEPARATION_MIN = 3  # ... and at least this many units: fewer decide nothing
# Depth bands of the survey, as a fraction of the model's hookable layers (0 = input side).
EARLY_BELOW, MIDDLE_BELOW = 0.25, 0.7


# ------------------------------------------------------------------------------ what is counted

@dataclass
class LayerResults:
    """What the store holds for one layer of one model: the input of the census."""

    layer: LayerManifest
    labels: dict[int, SyntheticRecord]  # units with a family label
    rotation: RotationLayer | None = None  # None where the rotation stage was not computed
    rotation_units: dict[int, RotationRecord] = field(default_factory=dict)
    verdicts: dict[int, UnitVerdicts] = field(default_factory=dict)


@dataclass
class ModelResults:
    model: ModelManifest
    layers: list[LayerResults]
    control: dict[str, LayerResults]  # the random-init control's layers, by name


# ------------------------------------------------------------------------------ the separation rule

@dataclass(frozen=True)
class Separation:
    separates: bool | None  # None: no control to compare with
    text: str


def separation(trained: int, control: int | None) -> Separation:
    if control is None:
        return Separation(None, "no control")
    if trained >= SEPARATION_MIN and trained >= SEPARATION_RATIO * control:
        return Separation(True, "separates")
    return Separation(False, "does not separate: not evidence")


class Separated:
    """A trained count beside its control's, judged by the separation rule."""

    trained: int
    control: int | None

    @property
    def separates(self) -> bool | None:
        return separation(self.trained, self.control).separates

    @property
    def text(self) -> str:
        return separation(self.trained, self.control).text


@dataclass
class FamilyRow(Separated):
    family: str
    trained: int
    control: int | None


@dataclass
class VerdictRow(Separated):
    """How many units of a layer pass one argument, and how many of the same control units do."""

    key: str
    number: int
    title: str
    units: int
    trained: int
    control: int | None  # None where no unit has a control verdict
    control_units: int


def band(depth: float | None) -> str | None:
    if depth is None:
        return None
    return "early" if depth < EARLY_BELOW else "middle" if depth < MIDDLE_BELOW else "late"


# ------------------------------------------------------------------------------ the census

@dataclass
class LayerCensus:
    name: str
    depth: float | None
    band: str | None
    units: int
    channels: int  # the layer's units in the network, whether or not this atlas computed them
    labels: dict[int, SyntheticRecord]
    counts: Counter
    control_units: int | None
    control_labels: dict[int, SyntheticRecord]
    control_counts: Counter | None  # None: no control labels to compare with
    rotation_computed: bool
    rotation: dict[int, RotationRecord]
    rotation_families: dict[str, FamilyMeasures]
    control_rotation_families: dict[str, FamilyMeasures] | None
    verdicts: dict[int, UnitVerdicts]
    verdict_rows: list[VerdictRow]
    rows: list[FamilyRow] = field(default_factory=list)

    @property
    def labelled(self) -> int:
        return len(self.labels)

    @property
    def control_labelled(self) -> int | None:
        return len(self.control_labels) if self.control_labels else None

    def count(self, names: tuple[str, ...] | str) -> int:
        names = (names,) if isinstance(names, str) else names
        return sum(self.counts.get(name, 0) for name in names)

    def control_count(self, names: tuple[str, ...] | str) -> int | None:
        if self.control_counts is None:
            return None
        names = (names,) if isinstance(names, str) else names
        return sum(self.control_counts.get(name, 0) for name in names)

    def row(self, family: str) -> FamilyRow:
        return next(row for row in self.rows if row.family == family)

    def label(self, unit: int) -> str | None:
        record = self.labels.get(unit)
        return record.family.label if record else None

    def control_label(self, unit: int) -> str | None:
        record = self.control_labels.get(unit)
        return record.family.label if record else None


@dataclass
class ModelCensus:
    model: ModelManifest
    control: ModelManifest | None  # None where no control layer has labels
    layers: list[LayerCensus]
    totals: dict[str, int] = field(default_factory=dict)
    control_totals: dict[str, int] | None = None

    @property
    def labelled(self) -> int:
        return sum(layer.labelled for layer in self.layers)


@dataclass
class Census:
    models: list[ModelCensus]
    families: list[str]
    totals: dict[str, int]
    control_totals: dict[str, int]

    @property
    def has_control(self) -> bool:
        return any(entry.control for entry in self.models)

    @property
    def labelled(self) -> int:
        return sum(entry.labelled for entry in self.models)

    def layers(self) -> list[LayerCensus]:
        return [layer for entry in self.models for layer in entry.layers]

    @property
    def rotation_computed(self) -> bool:
        return any(layer.rotation_computed for layer in self.layers())

    @property
    def has_verdicts(self) -> bool:
        return any(layer.verdict_rows for layer in self.layers())

    @property
    def verdict_control(self) -> bool:
        return any(row.control is not None for layer in self.layers() for row in layer.verdict_rows)


def verdict_rows(verdicts: dict[int, UnitVerdicts]) -> list[VerdictRow]:
    """Per argument with any stored verdict: units passing it, trained and control."""
    rows = []
    for key, number, title, _ in ARGUMENTS:
        judged = [verdict for record in verdicts.values() if (verdict := record.get(key)) is not None]
        if not judged:
            continue
        controls = [v.control_passed for v in judged if v.control_passed is not None]
        rows.append(VerdictRow(key=key, number=number, title=title, units=len(judged),
                               trained=sum(1 for v in judged if v.passed),
                               control=sum(1 for c in controls if c) if controls else None,
                               control_units=len(controls)))
    return rows


def _tally(labels: dict[int, SyntheticRecord]) -> Counter:
    return Counter(record.family.label for record in labels.values())


def depths(model: ModelManifest) -> tuple[int, int]:
    """The lowest and highest execution order among the model's hookable layers."""
    orders = [info.order for info in (model.all_layers.values() if model.all_layers else model.layers)]
    return min(orders), max(orders)


def layer_census(results: LayerResults, control: LayerResults | None, orders: tuple[int, int]) -> LayerCensus:
    """One layer's counts beside its control's. A control without labels (its synthetic stage not
    computed) is no control: it is never compared with."""
    low, high = orders
    depth = None if high == low else (results.layer.order - low) / (high - low)
    control_labels = control.labels if control else {}
    rotation = results.rotation
    return LayerCensus(
        name=results.layer.name, depth=depth, band=band(depth), units=len(results.layer.units),
        channels=results.layer.channels,
        labels=results.labels, counts=_tally(results.labels),
        control_units=len(control.layer.units) if control else None, control_labels=control_labels,
        control_counts=_tally(control_labels) if control_labels else None,
        rotation_computed=rotation is not None, rotation=results.rotation_units if rotation else {},
        rotation_families=rotation.families if rotation else {},
        control_rotation_families=control.rotation.families if control and control.rotation else None,
        verdicts=results.verdicts, verdict_rows=verdict_rows(results.verdicts))


def model_census(results: ModelResults) -> ModelCensus:
    orders = depths(results.model)
    layers = [layer_census(layer, results.control.get(layer.layer.name), orders) for layer in results.layers]
    has_control = any(layer.control_counts is not None for layer in layers)
    return ModelCensus(model=results.model, control=results.model.control if has_control else None, layers=layers)


def census(models: list[ModelResults]) -> Census:
    """Family counts per model and layer, for each trained model and its random-init control."""
    entries = [model_census(results) for results in models]
    seen = [name for entry in entries for layer in entry.layers
            for name in list(layer.counts) + list(layer.control_counts or [])]
    families = list(FAMILIES) + [name for name in dict.fromkeys(seen) if name not in FAMILIES]
    for entry in entries:
        for layer in entry.layers:
            layer.rows = [FamilyRow(name, layer.count(name), layer.control_count(name)) for name in families]
        entry.totals = {name: sum(layer.count(name) for layer in entry.layers) for name in families}
        if entry.control:
            entry.control_totals = {name: sum(layer.control_count(name) or 0 for layer in entry.layers)
                                    for name in families}
    return Census(models=entries, families=families,
                  totals={name: sum(entry.totals[name] for entry in entries) for name in families},
                  control_totals={name: sum(entry.control_totals[name] for entry in entries if entry.control_totals)
                                  for name in families})
