"""Verdict stage: "Zoom In"'s four arguments for every unit, beside the same measures on its
random-init control. This stage only gathers the evidence from the store and measures images
(generate/analysis/classical.py); the rules are in generate/analysis/verdicts.py."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from generate.analysis import classical, verdicts
from generate.analysis.families import ORIENTED
from generate.analysis.verdicts import Evidence
from generate.errors import AtlasError
from generate.records import (DatasetRecord, Exemplar, FeatureVisRecord, RotationLayer, RotationRecord,
                              SyntheticRecord, VerdictRecord)
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.featurevis import FeatureVisStage, seed_stages
from generate.stages.rotation import ROTATION
from generate.stages.synthetic import SYNTHETIC


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


class VerdictStage(Stage):
    name, version = "verdicts", 3

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        config = ctx.config
        return {"classical": classical.VERSION, "control": target.control.model.key if target.control else None,
                "families": asdict(config.families), "rotation": asdict(config.rotation),
                "verdicts": asdict(config.verdicts),
                "moderate": [config.exemplars.moderate_low, config.exemplars.moderate_high]}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        out = []
        for who in (target, target.control):
            if who is not None:
                out += [Input(ROTATION, who), Input(DATASET, who), Input(SYNTHETIC, who)]
                out += [Input(stage, who) for stage in seed_stages(ctx.config).values()]
        return out

    def run(self, ctx: Context, target: Target) -> None:
        config = ctx.config
        moderate = (config.exemplars.moderate_low, config.exemplars.moderate_high)
        for layer, units in ctx.missing(self, target).items():
            own = _evidence(ctx, target, layer)
            control = _evidence(ctx, target.control, layer) if target.control else (lambda unit: None)
            store = ctx.store(self, target, layer)
            for unit in units:
                evidence = own(unit)
                if evidence is None:
                    raise AtlasError(f"{target.model.name} {layer}: unit {unit} has no family label yet: "
                                     f"run `python -m generate synthetic` first")
                record = verdicts.unit_verdicts(evidence, control(unit), config.families, config.rotation,
                                                config.verdicts, moderate)
                store.save(unit, VerdictRecord(unit=unit, verdicts=record))


VERDICTS = VerdictStage()


def _crop_orientations(folder: Path, exemplars: list[Exemplar], input_size: int, window: float
                       ) -> list[classical.Orientation]:
    out = []
    for exemplar in exemplars:
        pixels = read_rgb(folder / exemplar.file)
        weights = classical.crop_window(tuple(exemplar.box), input_size, pixels.shape[0], window)
        out.append(classical.structure_orientation(pixels, weights))
    return out


def _featurevis_orientations(stages: dict[int, FeatureVisStage], ctx: Context, target: Target, layer: str,
                             unit: int) -> dict[int, classical.Orientation]:
    out = {}
    for seed, stage in stages.items():
        store = ctx.store(stage, target, layer)
        if store.has(unit):
            pixels = read_rgb(store.file(store.load_record(unit, FeatureVisRecord).positive.files[0]))
            out[seed] = classical.structure_orientation(pixels, classical.featurevis_window(pixels.shape[0]))
    return out


def _evidence(ctx: Context, target: Target, layer: str) -> Callable[[int], Evidence | None]:
    """A function unit -> everything the verdicts judge for that unit of `target`, from the store."""
    made, turned = ctx.store(SYNTHETIC, target, layer), ctx.store(ROTATION, target, layer)
    data = ctx.store(DATASET, target, layer)
    stages = seed_stages(ctx.config)
    measures = turned.load_record("layer", RotationLayer).families if turned.has("layer") else {}
    input_size, window = target.model.preprocess.input_size, ctx.config.verdicts.window

    def gather(unit: int) -> Evidence | None:
        if not made.has(unit):
            return None
        family = made.load_record(unit, SyntheticRecord).family
        evidence = Evidence(family=family, measures=measures.get(family.label),
                            rotation=turned.load_record(unit, RotationRecord) if turned.has(unit) else None)
        if family.label in ORIENTED:
            record = data.load_record(unit, DatasetRecord)
            evidence.featurevis = _featurevis_orientations(stages, ctx, target, layer, unit)
            evidence.strong = _crop_orientations(data.dir, record.exemplars, input_size, window)
            evidence.moderate = _crop_orientations(data.dir, record.moderate, input_size, window)
        return evidence

    return gather


def oriented_units(ctx: Context, target: Target) -> dict[str, list[int]]:
    """Per layer, the units labelled with an oriented family: those that get Arguments 1 and 2."""
    out = {}
    for layer, units in target.layer_units.items():
        made = ctx.store(SYNTHETIC, target, layer)
        out[layer] = [u for u in units if made.has(u) and made.load_record(u, SyntheticRecord).family.label in ORIENTED]
    return out


def run_seed_featurevis(ctx: Context, target: Target) -> None:
    """Feature visualizations at every verdict seed for the oriented units of the model and of
    its random-init control (Argument 1 needs both)."""
    for who in (target, target.control):
        if who is None:
            continue
        units = oriented_units(ctx, who)
        for stage in seed_stages(ctx.config).values():
            stage.run(ctx, who, units)
