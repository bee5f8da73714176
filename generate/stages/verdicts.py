"""Verdict stage: "Zoom In"'s four arguments for every unit, beside the same measures on its
random-init control taken at the trained unit's prediction. This stage only gathers the evidence
from the store (pictures, records); the measurements and rules are generate/analysis/evidence.py
and generate/analysis/verdicts.py."""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
import zlib
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image

from generate.analysis import arcs, classical, verdicts
from generate.analysis.cores import over_cores
from generate.analysis.evidence import Evidence, Picture
from generate.analysis.families import ORIENTED
from generate.analysis.verdicts import Rules
from generate.errors import AtlasError
from generate.progress import progress_bar
from generate.records import DatasetRecord, Exemplar, FeatureVisRecord, RotationLayer, RotationRecord, SyntheticRecord
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.featurevis import seed_stages
from generate.stages.fields import receptive_fields
from generate.stages.rotation import ROTATION
from generate.stages.synthetic import SYNTHETIC


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def rules_of(ctx: Context) -> Rules:
    config = ctx.config
    return Rules(config.families, config.rotation, config.verdicts, config.arcs,
                 (config.exemplars.moderate_low, config.exemplars.moderate_high), config.featurevis.neuron_margin)


class VerdictStage(Stage):
    name, version = "verdicts", 6

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        config = ctx.config
        return {"classical": classical.VERSION, "arcs": arcs.VERSION,
                "control": target.control.model.key if target.control else None,
                "families": asdict(config.families), "rotation": asdict(config.rotation),
                "verdicts": asdict(config.verdicts), "arc_params": asdict(config.arcs),
                "moderate": [config.exemplars.moderate_low, config.exemplars.moderate_high]}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        out = []
        for who in (target, target.control):
            if who is not None:
                out += [Input(ROTATION, who), Input(DATASET, who), Input(SYNTHETIC, who)]
                out += [Input(stage, who) for stage in seed_stages(ctx.config).values()]
        return out

    def run(self, ctx: Context, target: Target) -> None:
        rules = rules_of(ctx)
        missing = ctx.missing(self, target, target.judged)
        with progress_bar(total=sum(map(len, missing.values())), desc=f"verdicts {target.model.name}", unit="unit",
                          disable=not ctx.progress or not missing) as bar:
            for layer, units in missing.items():
                store = ctx.store(self, target, layer)
                # loaded here a few units ahead, measured over the cores, stored as each is judged
                for record in over_cores(partial(verdicts.judged, rules), _evidence_items(ctx, target, layer, units),
                                         len(units), ctx.executor.analysis_workers):
                    store.save(record.unit, record)
                    bar.update()


def _evidence_items(ctx: Context, target: Target, layer: str,
                    units: list[int]) -> Iterator[tuple[int, Evidence, Evidence | None]]:
    """(unit, its evidence, its control's evidence) for each unit, read from the store as asked for."""
    own = _evidence(ctx, target, layer)
    control = _evidence(ctx, target.control, layer) if target.control else (lambda unit: None)
    for unit in units:
        evidence = own(unit)
        if evidence is None:
            raise AtlasError(f"{target.model.name} {layer}: unit {unit} has no family label yet: "
                             f"run `python -m generate synthetic` first")
        yield unit, evidence, control(unit)


VERDICTS = VerdictStage()


def crop_picture(folder: Path, exemplar: Exemplar, input_size: int) -> Picture:
    """An exemplar crop, its content mask (False on the grey padding outside the image) and scale."""
    pixels = read_rgb(folder / exemplar.file)
    top, left, bottom, right = exemplar.box
    mask = classical.crop_window(tuple(exemplar.box), input_size, pixels.shape[0], sigma=1e9) > 0
    return Picture(pixels, mask, pixels.shape[0] / (bottom - top))


def _evidence(ctx: Context, target: Target, layer: str) -> Callable[[int], Evidence | None]:
    """A function unit -> everything the verdicts judge for that unit of `target`, from the store."""
    made, turned = ctx.store(SYNTHETIC, target, layer), ctx.store(ROTATION, target, layer)
    data = ctx.store(DATASET, target, layer)
    visuals = {seed: ctx.store(stage, target, layer) for seed, stage in seed_stages(ctx.config).items()}
    measures = turned.load_record("layer", RotationLayer).families if turned.has("layer") else {}
    rf = receptive_fields(ctx, target)[layer]

    def gather(unit: int) -> Evidence | None:
        if not made.has(unit):
            return None
        synthetic = made.load_record(unit, SyntheticRecord)
        record = data.load_record(unit, DatasetRecord)
        evidence = Evidence(family=synthetic.family, tuning=synthetic.synthetic, stats=record.stats,
                            field_px=rf.field_px, measures=measures.get(synthetic.family.label),
                            rotation=turned.load_record(unit, RotationRecord) if turned.has(unit) else None)
        for seed, store in visuals.items():
            if store.has(unit):
                vis = store.load_record(unit, FeatureVisRecord).positive
                evidence.featurevis[seed] = Picture(read_rgb(store.file(vis.files[0])), objective=vis.objective)
        evidence.strong = [crop_picture(data.dir, e, rf.input_size) for e in record.exemplars]
        evidence.moderate = [crop_picture(data.dir, e, rf.input_size) for e in record.moderate]
        return evidence

    return gather


def visualized_units(ctx: Context, target: Target, every_unit: bool = False) -> dict[str, list[int]]:
    """Per layer, the units whose visualizations are measured (and, with featurevis.units: sample,
    the only ones drawn): every unit of a calibration model; else the units of an oriented family,
    or with `sample` the curve units and as many other oriented units drawn at random (seeded)."""
    if every_unit:
        return dict(target.judged)
    sample = ctx.config.featurevis.units == "sample"
    out = {}
    for layer, units in target.judged.items():
        made = ctx.store(SYNTHETIC, target, layer)
        labels = {u: made.load_record(u, SyntheticRecord).family.label for u in units if made.has(u)}
        oriented = [u for u, label in labels.items() if label in ORIENTED]
        if not sample:
            out[layer] = oriented
            continue
        curves = [u for u in oriented if labels[u] == "curve"]
        others = [u for u in oriented if labels[u] != "curve"]
        rng = np.random.default_rng([ctx.config.featurevis.seed, zlib.crc32(layer.encode())])
        drawn = rng.choice(others, size=min(len(curves), len(others)), replace=False).tolist() if others else []
        out[layer] = sorted(curves + [int(u) for u in drawn])
    return out


def run_seed_featurevis(ctx: Context, target: Target, every_unit: bool = False) -> None:
    """Neuron visualizations at every verdict seed for the trained model's visualized units, and
    for the same units of its random-init control (Argument 1 measures both at the same predictions)."""
    units = visualized_units(ctx, target, every_unit)
    for who in (target, target.control):
        if who is not None:
            for stage in seed_stages(ctx.config).values():
                stage.run(ctx, who, units)
