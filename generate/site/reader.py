"""Reading stored results as typed records, through the folders the manifest names.

A stage the manifest does not list, or a unit the stage did not store (a control has feature
visualizations only for its oriented units), reads as missing: None or an empty mapping. So does a
record that fails its checksums (generate/store/integrity.py), or whose files do: a corrupt result is
never rendered; `report()` says once how many were left out.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TypeVar

from generate.analysis.census import LayerResults, ModelResults
from generate.records import (Calibration, LayerManifest, Manifest, ModelManifest, Record, RotationLayer,
                              RotationRecord, SyntheticRecord, VerdictRecord)
from generate.store.integrity import CorruptResult, read_sealed

R = TypeVar("R", bound=Record)


class StoreReader:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.corrupt: dict[Path, str] = {}  # records left out, and why

    def read(self, path: Path) -> dict[str, Any] | None:
        """A stored JSON checked against its checksums (and its files'); None where it is missing or
        corrupt (remembered for `report`)."""
        if not path.is_file():
            return None
        if path in self.corrupt:
            return None
        try:
            return read_sealed(path)
        except CorruptResult as exc:
            self.corrupt[path] = str(exc)
            return None

    def report(self) -> None:
        """One warning for every record a render left out because it failed its checksums."""
        if self.corrupt:
            path, why = next(iter(self.corrupt.items()))
            print(f"warning: {len(self.corrupt)} stored result(s) failed their checksums and are not shown "
                  f"(first: {why}); `python -m generate store verify --repair` removes them and the next run "
                  f"recomputes them", file=sys.stderr)

    def path(self, folder: str, name: str) -> Path:
        return self.root / folder / name

    def folder(self, layer: LayerManifest, stage: str) -> Path | None:
        """Where a stage's results for a layer lie; None where the manifest lists no such stage."""
        name = layer.stages.get(stage)
        return self.root / name if name else None

    def load(self, folder: str | None, name: str | int, kind: type[R]) -> R | None:
        """The record `name` of a stage folder, or None where there is none."""
        data = self.read(self.root / folder / f"{name}.json") if folder else None
        return kind.from_json(data) if data is not None else None

    def unit(self, layer: LayerManifest, stage: str, unit: int, kind: type[R]) -> R | None:
        return self.load(layer.stages.get(stage), unit, kind)

    def units(self, layer: LayerManifest, stage: str, kind: type[R]) -> dict[int, R]:
        """The records of a stage for the units of a layer that have one."""
        folder = layer.stages.get(stage)
        if not folder or not (self.root / folder).is_dir():
            return {}
        return {unit: record for unit in layer.units if (record := self.load(folder, unit, kind)) is not None}

    def layer_results(self, layer: LayerManifest, control: bool = False) -> LayerResults:
        """What the census counts in a layer (for a control: its labels and rotation measures)."""
        rotation = self.load(layer.stages.get("rotation"), "layer", RotationLayer)
        if control:
            return LayerResults(layer=layer, labels=self.units(layer, "synthetic", SyntheticRecord), rotation=rotation)
        return LayerResults(
            layer=layer, labels=self.units(layer, "synthetic", SyntheticRecord), rotation=rotation,
            rotation_units=self.units(layer, "rotation", RotationRecord) if rotation else {},
            verdicts={unit: record.verdicts for unit, record in self.units(layer, "verdicts", VerdictRecord).items()})

    def model_results(self, model: ModelManifest) -> ModelResults:
        control = {layer.name: self.layer_results(layer, control=True)
                   for layer in (model.control.layers if model.control else [])}
        return ModelResults(model=model, layers=[self.layer_results(layer) for layer in model.layers], control=control)

    def matches(self, manifest: Manifest) -> list[dict]:
        """The matching stage's `pairs` records (the reference model's units matched to each other model's)."""
        records = [self.read(self.root / folder / "pairs.json") for folder in manifest.matching]
        return [record for record in records if record is not None]

    def calibration(self, manifest: Manifest) -> Calibration | None:
        """The instrument's calibration on planted ground truth, where the run computed one."""
        return self.load(manifest.calibration, "layer", Calibration) if manifest.calibration else None
