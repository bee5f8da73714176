"""Calibration stage: the instrument's verdicts and labels on a planted model, scored against
what its hand-built units are (generate/models/planted_spec.py). Run on every atlas, with the
atlas's own parameters, before any claim is concluded."""

from __future__ import annotations

from dataclasses import asdict

from generate.analysis.calibration import calibrate
from generate.models.planted_spec import units as planted_units
from generate.records import Calibration, SyntheticRecord, UnitTruth, VerdictRecord
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.synthetic import SYNTHETIC
from generate.stages.verdicts import VERDICTS


def truth_of(model_name: str) -> list[UnitTruth]:
    """The planted units of `planted:NAME` (or its random-init copy: the same architecture)."""
    name = model_name.split("@")[0].split(":", 1)[1]
    return [UnitTruth(unit=i, kind=u.kind, orientation=u.orientation, radius=u.radius)
            for i, u in enumerate(planted_units(name))]


class CalibrationStage(Stage):
    name, version = "calibration", 1

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return asdict(ctx.config.calibration)

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(SYNTHETIC), Input(VERDICTS)]

    def run(self, ctx: Context, target: Target) -> None:
        params = ctx.config.calibration
        for layer, units in target.layer_units.items():
            store = ctx.store(self, target, layer)
            if store.has("layer"):
                continue
            made, judged = ctx.store(SYNTHETIC, target, layer), ctx.store(VERDICTS, target, layer)
            labels = {u: made.load_record(u, SyntheticRecord).family for u in units}
            verdicts = {u: judged.load_record(u, VerdictRecord).as_curve() for u in units}
            store.save("layer", calibrate(target.model.name, layer, truth_of(target.model.name), labels, verdicts,
                                          params))

    def result(self, ctx: Context, target: Target) -> tuple[Calibration, str]:
        """The stored calibration of the target's (single) layer, and its store folder."""
        store = ctx.store(self, target, target.layers[0])
        return store.load_record("layer", Calibration), str(store.dir.relative_to(ctx.store_root))


CALIBRATION = CalibrationStage()
