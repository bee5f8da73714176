"""Feature-visualization stages: the channel objective on a fixed canvas (the hero image of a
neuron page) and the neuron objective on a canvas the size of the unit's effective receptive
field (what Argument 1 measures, as in the Curve Detectors figures), at the verdicts' seeds.
The optimisation itself is generate/stages/optimisation.py."""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass, replace

import numpy as np
from PIL import Image

from generate.config import AtlasConfig, FeatureVisParams
from generate.models import LoadedModel
from generate.records import FeatureVisImages, FeatureVisRecord, ReceptiveField
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.fields import RECEPTIVE_FIELDS, receptive_fields
from generate.stages.optimisation import CHANNEL, NEURON, visualize
from generate.progress import progress_bar

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

    name, version = "featurevis", 4  # 4: the objective measured in the steps' frame

    def __init__(self, params: FeatureVisParams | None = None):
        self.params = params  # None: the config's

    def settings(self, ctx: Context) -> FeatureVisParams:
        return self.params or ctx.config.featurevis

    kind = CHANNEL

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        values = asdict(self.settings(ctx))
        parameterisation = ("fft" if values.pop("fft") else "pixel") + ("+decorrelate" if values.pop("decorrelate") else "")
        return {**values, "preprocess": asdict(target.model.preprocess), "transforms": "lucent's, in one resampling, scaled to the canvas",
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
        # Tasks of a few units, stored as each finishes: a killed run keeps what is done.
        chunk_size = max(1, params.batch // max(g for _, _, g in passes))
        tasks = [VisTask(layer, tuple(units[start:start + chunk_size]), params, tuple(passes), self.kind,
                         self.canvas(ctx, target, layer))
                 for layer, units in missing.items() for start in range(0, len(units), chunk_size)]
        if not tasks:
            return
        with progress_bar(total=sum(t.weight for t in tasks),
                          desc=f"featurevis ({self.kind}) {target.model.name} seed {params.seed}", unit="img-step",
                          disable=not ctx.progress, smoothing=0.05) as bar:
            for index, results in ctx.executor.map(visualize_task, target.model, tasks, bar, lambda t: t.weight):
                task = tasks[index]
                store = ctx.store(self, target, task.layer)
                for unit in task.units:
                    record, files = _unit_files(unit, results, task.passes)
                    store.save(unit, record, files)


@dataclass(frozen=True)
class VisTask:
    """A few units of one layer to visualize, in every pass (positive, negative, diversity)."""

    layer: str
    units: tuple[int, ...]
    params: FeatureVisParams
    passes: tuple[tuple[str, float, int], ...]  # (name, sign, images per unit)
    kind: str
    size: int

    @property
    def weight(self) -> int:
        """Image-steps: what the progress bar counts."""
        return len(self.units) * self.params.steps * sum(group for _, _, group in self.passes)


def visualize_task(model: LoadedModel, task: VisTask, report) -> dict[str, dict]:
    """One task's visualizations per pass (runs on a worker)."""
    return {name: visualize(model, task.layer, list(task.units), task.params, sign, group,
                            _Reporter(report, group), task.kind, task.size)
            for name, sign, group in task.passes}


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


class _Reporter:
    """Counts image-steps: the optimisation reports units, each with `group` images."""

    def __init__(self, report, group: int):
        self.report, self.group = report, group

    def update(self, n: int) -> None:
        self.report(n * self.group)


class NeuronFeatureVisStage(FeatureVisStage):
    """The neuron objective (the unit at the centre of the feature map) on a canvas the size of
    its effective receptive field, positive direction only: what Argument 1 measures."""

    name, version, kind = "featurevis_neuron", 3, NEURON  # 3: the objective measured in the steps' frame

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
    params = config.featurevis
    return {seed: NeuronFeatureVisStage(replace(params, seed=seed, negative=False, diversity=0,
                                                steps=params.neuron_steps))
            for seed in verdict_seeds(config)}
