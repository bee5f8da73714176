"""Feature-visualization stages: the channel objective on a fixed canvas (the hero image of a
neuron page) and the neuron objective on a canvas the size of the unit's effective receptive
field (what Argument 1 measures, as in the Curve Detectors figures), at the verdicts' seeds.
The optimisation itself is generate/stages/optimisation.py."""

from __future__ import annotations

import io
import math
from dataclasses import asdict, replace

import numpy as np
from PIL import Image
from tqdm import tqdm

from generate.config import AtlasConfig, FeatureVisParams
from generate.records import FeatureVisImages, FeatureVisRecord, ReceptiveField
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.fields import RECEPTIVE_FIELDS, receptive_fields
from generate.stages.optimisation import CHANNEL, NEURON, visualize

MIN_CANVAS = 24  # px: below this the optimised image is too small to read, even enlarged


def neuron_canvas(rf: ReceptiveField, margin: float) -> int:
    """The canvas of a neuron visualization: the effective field with a margin, at least
    MIN_CANVAS and at most the model's input, in whole strides (the centre position then sits on
    the canvas centre)."""
    stride = max(1, int(round(rf.stride)))
    side = max(MIN_CANVAS, margin * (rf.effective_size or rf.size))
    return int(min(rf.input_size, math.ceil(side / stride) * stride))


class FeatureVisStage(Stage):
    """Feature visualizations (and per its params the negative and diversity sets) for the units
    that have none yet: by default the atlas's own, for every unit."""

    name, version = "featurevis", 2

    def __init__(self, params: FeatureVisParams | None = None):
        self.params = params  # None: the config's

    def settings(self, ctx: Context) -> FeatureVisParams:
        return self.params or ctx.config.featurevis

    kind = CHANNEL

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        values = asdict(self.settings(ctx))
        parameterisation = ("fft" if values.pop("fft") else "pixel") + ("+decorrelate" if values.pop("decorrelate") else "")
        return {**values, "preprocess": asdict(target.model.preprocess), "transforms": "lucent, scaled to the canvas",
                "param": parameterisation, "objective": "pre-activation, redirected ReLU below"}

    def canvas(self, ctx: Context, target: Target, layer: str) -> int:
        return self.settings(ctx).size

    def run(self, ctx: Context, target: Target, layer_units: dict[str, list[int]] | None = None) -> None:
        params = self.settings(ctx)
        passes = [("positive", 1.0, 1)]
        if params.negative:
            passes.append(("negative", -1.0, 1))
        if params.diversity > 1:
            passes.append(("diversity", 1.0, params.diversity))
        missing = ctx.missing(self, target, layer_units)
        total = sum(len(units) for units in missing.values()) * params.steps * sum(g for _, _, g in passes)
        if not total:
            return
        with tqdm(total=total, desc=f"featurevis ({self.kind}) {target.model.name} seed {params.seed}", unit="img-step",
                  disable=not ctx.progress, smoothing=0.05) as bar:
            for layer, units in missing.items():
                bar.set_postfix_str(f"{layer}: {len(units)} units")
                store, size = ctx.store(self, target, layer), self.canvas(ctx, target, layer)
                # Store in chunks so a killed run keeps what is done.
                chunk_size = max(1, params.batch // max(g for _, _, g in passes))
                for start in range(0, len(units), chunk_size):
                    chunk = units[start:start + chunk_size]
                    results = {name: visualize(target.model, layer, chunk, params, sign, group,
                                               _GroupBar(bar, group), self.kind, size)
                               for name, sign, group in passes}
                    for unit in chunk:
                        record, files = _unit_files(unit, results, passes)
                        store.save(unit, record, files)


def _unit_files(unit: int, results: dict, passes: list) -> tuple[FeatureVisRecord, dict[str, bytes]]:
    images, files = {}, {}
    for name, _, _ in passes:
        vis = results[name][unit]
        names = [f"{unit}.{name}{i}.png" if name == "diversity" else f"{unit}.{name}.png"
                 for i in range(len(vis.images))]
        for file, pixels in zip(names, vis.images):
            files[file] = _png(pixels)
        images[name] = FeatureVisImages(files=names, objective=vis.objective)
    return FeatureVisRecord(unit=unit, **images), files


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class _GroupBar:
    """Counts image-steps on a shared bar: featurevis reports units, each with `group` images."""

    def __init__(self, bar: tqdm, group: int):
        self.bar, self.group = bar, group

    def update(self, n: int) -> None:
        self.bar.update(n * self.group)


class NeuronFeatureVisStage(FeatureVisStage):
    """The neuron objective (the unit at the centre of the feature map) on a canvas the size of
    its effective receptive field, positive direction only: what Argument 1 measures."""

    name, version, kind = "featurevis_neuron", 1, NEURON

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {**super().parameters(ctx, target, layer), "canvas": self.canvas(ctx, target, layer)}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(RECEPTIVE_FIELDS)]

    def canvas(self, ctx: Context, target: Target, layer: str) -> int:
        return neuron_canvas(receptive_fields(ctx, target)[layer], ctx.config.featurevis.neuron_margin)


FEATURE_VIS = FeatureVisStage()


def verdict_seeds(config: AtlasConfig) -> list[int]:
    return [config.featurevis.seed + i for i in range(config.verdicts.seeds)]


def seed_stages(config: AtlasConfig) -> dict[int, NeuronFeatureVisStage]:
    """The neuron visualizations Argument 1 measures, one stage per verdict seed."""
    return {seed: NeuronFeatureVisStage(replace(config.featurevis, seed=seed, negative=False, diversity=0))
            for seed in verdict_seeds(config)}
