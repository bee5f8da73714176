"""Synthetic-stimulus stage: the whole battery through one layer, batched.

Each stimulus is centred on the receptive field of the feature map's central position and the
unit's activation is read at that position. Responses are stored raw; pages and labels use
them in sigma of the unit's dataset activations, z = (a - mean) / std.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch

from generate.analysis.stimuli import BatteryParams, Canvas, Stimulus, battery, curve_stimuli, render, render_batches
from generate.analysis.labelling import LabelSettings, UnitResponses, synthetic_records
from generate.config import FamilyParams
from generate.errors import AtlasError
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import DatasetRecord, ReceptiveField, SyntheticRecord
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.fields import RECEPTIVE_FIELDS, receptive_fields
from generate.progress import progress_bar

BATCH = 32


def stimulus_canvas(model: LoadedModel, layer: str, rf: ReceptiveField) -> tuple[Canvas, float, tuple[int, int]]:
    """Canvas centred on the central position's field, the field's size in pixels (clipped to
    the input) and that position."""
    info = model.infos[layer]
    position = (info.height // 2, info.width // 2)
    size = model.preprocess.input_size
    return Canvas(size, rf.centre(*position)), float(min(rf.size, size)), position


def grid_offsets(rf: ReceptiveField, n: int) -> list[tuple[float, float]]:
    """Stimulus offsets (dy, dx) within half a stride of the centre: 1, the centre alone; 2, the
    centre and the four half-stride diagonals (a quincunx); 3, the full 3 x 3 grid."""
    half = rf.stride / 2
    if n <= 1:
        return [(0.0, 0.0)]
    if n == 2:
        return [(0.0, 0.0)] + [(sy * half, sx * half) for sy in (-1, 1) for sx in (-1, 1)]
    steps = np.linspace(-half, half, n)
    return [(float(dy), float(dx)) for dy in steps for dx in steps]


def grid_plan(rf: ReceptiveField, n: int) -> dict[tuple[float, float], list[tuple[int, int]]]:
    """The grid of stimulus offsets as renders and reads: render offset (dy, dx) in [0, stride) ->
    the feature-map steps (ky, kx) to read it at. An offset o is the render d = o mod stride read
    k = (d - o) / stride positions further on, so each render serves every offset it straddles:
    the quincunx costs 2 renders, the 3 x 3 grid 4."""
    stride = rf.stride
    plan: dict[tuple[float, float], list[tuple[int, int]]] = {}
    for oy, ox in grid_offsets(rf, n):
        dy, dx = float(oy % stride), float(ox % stride)
        plan.setdefault((dy, dx), []).append((int(round((dy - oy) / stride)), int(round((dx - ox) / stride))))
    return plan


def respond(model: LoadedModel, layer: str, units: list[int], stimuli: list[Stimulus], rf: ReceptiveField,
            params: BatteryParams, report: Callable[[int], None] = lambda n: None) -> np.ndarray:
    """Responses [n_stimuli, n_units] at the central position: each unit's pre-activation (the
    convention of every stage), the maximum over the grid of stimulus positions. Where the field is
    small only a window around it is drawn and computed (the same values, far fewer pixels).
    `report(n)` is told of every n images shown."""
    spec = model.layer(layer)
    canvas, field_px, (cy, cx) = stimulus_canvas(model, layer, rf)
    window = rf.window((cy, cx), extra=1) if canvas.size == rf.input_size else None
    top, left, side, index = window or (0, 0, canvas.size, None)
    ry, rx = (index, index) if window else (cy, cx)
    best = np.full((len(stimuli), len(units)), -np.inf, dtype=np.float32)
    for (dy, dx), reads in grid_plan(rf, params.position_grid).items():
        shifted = Canvas(side, (canvas.centre[0] - top + dy, canvas.centre[1] - left + dx))
        start = 0
        for images in render_batches(stimuli, shifted, field_px, params, BATCH):
            x = model.preprocess(torch.from_numpy(images).to(model.device))
            with torch.no_grad(), capture([spec], stop_after=spec) as acts:
                run_until(model.module, x)
            response = acts[layer + PRE][:, units].float().cpu().numpy()
            for ky, kx in reads:
                rows = slice(start, start + len(images))
                best[rows] = np.maximum(best[rows], response[:, :, ry + ky, rx + kx])
            start += len(images)
            report(len(images))
    return best


def _peak_radius(stimuli: list[Stimulus], raw: np.ndarray) -> float:
    """The radius of a unit's strongest standard curve."""
    curves = [i for i, s in enumerate(stimuli) if s.family == "curve" and s.params["variant"] == "standard"]
    return stimuli[curves[int(np.argmax(raw[curves]))]].params["radius"]


def sweep_radii(model: LoadedModel, layer: str, units: list[int], stimuli: list[Stimulus], raw: np.ndarray,
                rf: ReceptiveField, params: BatteryParams) -> dict[int, tuple[list[Stimulus], np.ndarray]]:
    """Per unit, its stimuli and responses with curve radii added beyond the battery's range while
    its curve tuning peaks at an end of what was tried, so the preferred radius is a peak inside
    the range, not the range's edge. The sweep shows standard curves; where a unit's peak lands on
    a new radius, the cosmetic variants are shown there too (its family gate compares them)."""
    out = {unit: (stimuli, raw[:, column]) for column, unit in enumerate(units)}

    def add(radius: float, members: list[int], extra: list[Stimulus]) -> None:
        extra_raw = respond(model, layer, members, extra, rf, params)
        for column, unit in enumerate(members):
            own, values = out[unit]
            out[unit] = (own + extra, np.concatenate([values, extra_raw[:, column]]))

    for _ in range(params.radius_sweeps):
        wanted: dict[float, list[int]] = {}
        for unit, (own, values) in out.items():
            tried = sorted({s.params["radius"] for s in own if s.family == "curve"})
            peak = _peak_radius(own, values)
            if peak == tried[0] and peak / params.radius_factor * rf.field_px >= params.min_radius_px:
                wanted.setdefault(round(peak / params.radius_factor, 4), []).append(unit)
            elif peak == tried[-1] and peak * params.radius_factor <= params.max_radius:
                wanted.setdefault(round(peak * params.radius_factor, 4), []).append(unit)
        for radius, members in wanted.items():
            add(radius, members, [s for s in curve_stimuli(params, radius) if s.params["variant"] == "standard"])
        if not wanted:
            break
    variants: dict[float, list[int]] = {}
    for unit, (own, values) in out.items():
        peak = _peak_radius(own, values)
        if peak not in params.radii:
            variants.setdefault(peak, []).append(unit)
    for radius, members in variants.items():
        add(radius, members, [s for s in curve_stimuli(params, radius) if s.params["variant"] != "standard"])
    return out


class SyntheticStage(Stage):
    """The stimulus battery through each layer; tuning summaries and family labels per unit."""

    name, version = "synthetic", 3

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {**asdict(ctx.config.synthetic), "preprocess": asdict(target.model.preprocess),
                "families": asdict(ctx.config.families)}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(DATASET), Input(RECEPTIVE_FIELDS)]

    def run(self, ctx: Context, target: Target) -> None:
        missing = ctx.missing(self, target)
        if not missing:
            return
        fields, config = receptive_fields(ctx, target), ctx.config
        tasks = []
        for layer, units in missing.items():
            data = ctx.store(DATASET, target, layer)
            lacking = data.missing(units)
            if lacking:
                raise AtlasError(f"{target.model.name} {layer}: no dataset statistics for unit(s) {lacking[:5]}: "
                                 f"run `python -m generate exemplars` first")
            stats = {u: data.load_record(u, DatasetRecord).stats for u in units}
            size = ctx.executor.chunk_units or len(units)  # here one task a layer: each shown image serves all
            tasks += [BatteryTask(layer, tuple(units[i:i + size]), {u: (stats[u].mean, stats[u].std) for u in
                                  units[i:i + size]}, fields[layer], config.synthetic, config.families,
                                  ctx.executor.analysis_workers)
                      for i in range(0, len(units), size)]
        renders = {layer: len(grid_plan(fields[layer], config.synthetic.position_grid)) for layer in missing}
        images = len(battery(config.synthetic))
        with progress_bar(total=sum(images * renders[t.layer] for t in tasks), desc=f"stimuli {target.model.name}",
                          unit="img", disable=not ctx.progress) as bar:
            for index, records in ctx.executor.map(battery_task, target.model, tasks, bar,
                                                   lambda t: images * renders[t.layer]):
                store = ctx.store(self, target, tasks[index].layer)
                for record in records:
                    store.save(record.unit, record)


@dataclass(frozen=True)
class BatteryTask:
    """Some units of one layer to show the battery to, with their dataset mean and sigma."""

    layer: str
    units: tuple[int, ...]
    moments: dict[int, tuple[float, float]]
    rf: ReceptiveField
    params: BatteryParams
    families: FamilyParams
    workers: int = 1  # processes for the labelling (here: the cores; on a cluster each task is one)


def battery_task(model: LoadedModel, task: BatteryTask, report: Callable[[int], None]) -> list[SyntheticRecord]:
    """Responses (radius sweep included), tuning summaries and family labels (runs on a worker)."""
    stimuli, units = battery(task.params), list(task.units)
    raw = respond(model, task.layer, units, stimuli, task.rf, task.params, report)
    swept = sweep_radii(model, task.layer, units, stimuli, raw, task.rf, task.params)
    settings = LabelSettings(task.params, task.families, len(stimuli), model.layer(task.layer).ceiling)
    responses = [UnitResponses(unit, *swept[unit], *task.moments[unit]) for unit in units]
    return synthetic_records(settings, responses, task.workers)


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
