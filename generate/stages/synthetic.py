"""Synthetic-stimulus stage: the whole battery through one layer, batched.

Each stimulus is centred on the receptive field of the feature map's central position and the
unit's activation is read at that position. Responses are stored raw; pages and labels use
them in sigma of the unit's dataset activations, z = (a - mean) / std.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch
from tqdm import tqdm

from generate.analysis import families
from generate.analysis.stimuli import BatteryParams, Canvas, Stimulus, battery, render, render_batches
from generate.analysis.tuning import summarise
from generate.errors import AtlasError
from generate.models import LoadedModel
from generate.models.layers import capture, run_until
from generate.records import DatasetRecord, ReceptiveField, SyntheticRecord
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.fields import RECEPTIVE_FIELDS, receptive_fields

BATCH = 32


def stimulus_canvas(model: LoadedModel, layer: str, rf: ReceptiveField) -> tuple[Canvas, float, tuple[int, int]]:
    """Canvas centred on the central position's field, the field's size in pixels (clipped to
    the input) and that position."""
    info = model.infos[layer]
    position = (info.height // 2, info.width // 2)
    size = model.preprocess.input_size
    return Canvas(size, rf.centre(*position)), float(min(rf.size, size)), position


def respond(model: LoadedModel, layer: str, units: list[int], stimuli: list[Stimulus], rf: ReceptiveField,
            params: BatteryParams, progress: bool = False) -> np.ndarray:
    """Raw activations [n_stimuli, n_units] at the central position."""
    spec = model.layer(layer)
    canvas, field_px, (cy, cx) = stimulus_canvas(model, layer, rf)
    rows = []
    with tqdm(total=len(stimuli), desc=f"stimuli {model.name} {layer}", unit="img", disable=not progress) as bar:
        for images in render_batches(stimuli, canvas, field_px, params, BATCH):
            x = model.preprocess(torch.from_numpy(images).to(model.device))
            with torch.no_grad(), capture([spec], stop_after=spec) as acts:
                run_until(model.module, x)
            rows.append(acts[layer][:, units, cy, cx].float().cpu().numpy())
            bar.update(len(images))
    return np.concatenate(rows)


class SyntheticStage(Stage):
    """The stimulus battery through each layer; tuning summaries and family labels per unit."""

    name, version = "synthetic", 2

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {**asdict(ctx.config.synthetic), "preprocess": asdict(target.model.preprocess),
                "families": asdict(ctx.config.families)}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(DATASET), Input(RECEPTIVE_FIELDS)]

    def run(self, ctx: Context, target: Target) -> None:
        missing = ctx.missing(self, target)
        if not missing:
            return
        fields = receptive_fields(ctx, target)
        params = ctx.config.synthetic
        stimuli = battery(params)
        for layer, units in missing.items():
            data = ctx.store(DATASET, target, layer)
            lacking = data.missing(units)
            if lacking:
                raise AtlasError(f"{target.model.name} {layer}: no dataset statistics for unit(s) {lacking[:5]}: "
                                 f"run `python -m generate exemplars` first")
            raw = respond(target.model, layer, units, stimuli, fields[layer], params, ctx.progress)
            store = ctx.store(self, target, layer)
            for column, unit in enumerate(units):
                stats = data.load_record(unit, DatasetRecord).stats
                drive = families.drives(stimuli, raw[:, column], stats.mean, stats.std)
                store.save(unit, SyntheticRecord(
                    unit=unit, synthetic=summarise(stimuli, drive, params, stats.std),
                    drive=[round(float(d), 4) for d in drive],
                    family=families.label(stimuli, raw[:, column], stats.mean, stats.std, ctx.config.families)))


SYNTHETIC = SyntheticStage()


def gallery(params: BatteryParams, tile: int = 72, per_family: int = 12) -> dict[str, bytes]:
    """PNG strips of evenly spaced examples of each stimulus family, for the gallery page."""
    import io

    from PIL import Image

    stimuli = battery(params)
    canvas = Canvas(tile, (tile / 2, tile / 2))
    strips = {}
    for family in dict.fromkeys(s.family for s in stimuli):
        members = [s for s in stimuli if s.family == family]
        picks = [members[int(i)] for i in np.linspace(0, len(members) - 1, min(per_family, len(members)))]
        images = [render(s, canvas, tile * 0.9, params) for s in picks]
        strip = np.concatenate([np.pad(im, ((2, 2), (2, 2), (0, 0)), constant_values=1.0) for im in images], axis=1)
        buffer = io.BytesIO()
        Image.fromarray((strip * 255).round().astype(np.uint8)).save(buffer, format="PNG", optimize=True)
        strips[family] = buffer.getvalue()
    return strips
