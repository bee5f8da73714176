"""Rotation stage: dataset exemplars rotated about the unit's strongest position.

For an oriented family (curve, line/edge, ...) in a layer, every member's top exemplars are
rotated about the position where that member fired most, and every member's activation is
read at that position. Unit j's response to unit i's exemplars peaks at the rotation that
turns i's feature into j's preferred orientation, so these curves show joint tuning: as the
input turns, one unit stops firing and the next starts. A unit's own curves ("each exemplar's
curve and their aligned average") come from the same pass.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from generate.analysis import joint_tuning
from generate.analysis.angles import orientations
from generate.analysis.families import ORIENTED
from generate.analysis.joint_tuning import Exemplar
from generate.data import load_rgb, to_model_input
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import DatasetRecord, ReceptiveField, RotationLayer, SyntheticRecord
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.fields import receptive_fields
from generate.stages.synthetic import SYNTHETIC
from generate.progress import progress_bar

FILL = 0.5  # grey where rotation brings in pixels from outside the image
BATCH = 32


def rotate_about(image: torch.Tensor, centre: tuple[float, float], angles: list[float],
                 aperture: float | None = None) -> torch.Tensor:
    """[A, 3, S, S]: `image` [3, S, S] rotated counter-clockwise by each angle (degrees) about
    `centre` (row, col in pixels, pixel centres at +0.5), grey outside the image and, with
    `aperture` (a radius in pixels), outside a disc about the centre: the same disc at every
    angle, so no straight boundary turns with the image inside the receptive field."""
    size = image.shape[-1]
    theta = torch.tensor(np.deg2rad(angles), dtype=torch.float32)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # normalised coordinates (align_corners=False): u = (2 * col + 1 - size) / size ... with pixel
    # centres at col + 0.5, a point at pixel coordinate c maps to 2 * c / size - 1.
    cy, cx = (2 * centre[0] / size - 1), (2 * centre[1] / size - 1)
    # Output pixel (x, y) samples the input at R(-angle) (x - c) + c; image rows point down, so
    # a counter-clockwise turn on screen is a clockwise one in (col, row) coordinates.
    matrix = torch.zeros(len(angles), 2, 3)
    matrix[:, 0, 0], matrix[:, 0, 1] = cos, -sin
    matrix[:, 1, 0], matrix[:, 1, 1] = sin, cos
    matrix[:, 0, 2] = cx - (cos * cx - sin * cy)
    matrix[:, 1, 2] = cy - (sin * cx + cos * cy)
    grid = F.affine_grid(matrix, (len(angles), 3, size, size), align_corners=False)
    shifted = image.unsqueeze(0).expand(len(angles), -1, -1, -1) - FILL
    turned = F.grid_sample(shifted, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if aperture is not None:
        rows = torch.arange(size, dtype=torch.float32)[:, None] + 0.5
        cols = torch.arange(size, dtype=torch.float32)[None, :] + 0.5
        inside = ((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2).sqrt() - aperture
        turned = turned * (0.5 - inside).clamp(0, 1)  # anti-aliased edge of the disc
    return turned + FILL


def window_for(rf: ReceptiveField, position: tuple[int, int], size: int) -> tuple[int, int, int, int] | None:
    """The window of input pixels that computes `position` exactly (ReceptiveField.window)."""
    return rf.window(position) if size == rf.input_size else None


def rotation_responses(model: LoadedModel, layer: str, units: list[int], exemplars: list[Exemplar],
                       sources: dict[int, str | bytes], rf: ReceptiveField, angles: list[float],
                       report: Callable[[int], None] = lambda n: None, aperture: float | None = None) -> np.ndarray:
    """[n_exemplars, n_angles, n_units]: every unit's response at the exemplar's position while
    the exemplar turns about that position (`sources`: each image's path, or bytes). Where the
    receptive field is small, only a window around it goes through the network (same values, far
    fewer pixels)."""
    spec = model.layer(layer)
    size = model.preprocess.input_size
    cache: dict[int, torch.Tensor] = {}
    out = np.zeros((len(exemplars), len(angles), len(units)), dtype=np.float32)

    def forward(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), capture([spec], stop_after=spec) as acts:
            run_until(model.module, model.preprocess(x.to(model.device)))
        return acts[layer + PRE].float().cpu()  # responses: pre-activations, as every stage

    groups: dict[int | None, list[int]] = {}  # exemplars with the same window side go together
    for n, e in enumerate(exemplars):
        window = window_for(rf, e.position, size)
        groups.setdefault(window[2] if window else None, []).append(n)
    for side, members in groups.items():
        per_batch = max(1, (BATCH * (size // side) ** 2 if side else BATCH) // len(angles))
        for start in range(0, len(members), per_batch):
            chunk = members[start:start + per_batch]
            batch, reads = [], []
            for e in (exemplars[n] for n in chunk):
                if e.image not in cache:
                    source = sources[e.image]
                    pixels = to_model_input(load_rgb(io.BytesIO(source) if isinstance(source, bytes) else source),
                                            size)
                    cache[e.image] = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255
                turned = rotate_about(cache[e.image], rf.centre(*e.position), angles, aperture)
                window = window_for(rf, e.position, size)
                if window:
                    top, left, side_px, index = window
                    batch.append(turned[:, :, top:top + side_px, left:left + side_px])
                    reads.append((index, index))
                else:
                    batch.append(turned)
                    reads.append(e.position)
            act = forward(torch.cat(batch))
            for row, (n, (y, x)) in enumerate(zip(chunk, reads)):
                out[n] = act[row * len(angles):(row + 1) * len(angles), units, y, x].numpy()
            report(len(chunk))
    return out


class RotationStage(Stage):
    """Per layer and oriented family: every member's top exemplars turned about its strongest
    position, every member's response read there (joint tuning). Units of other families get no
    rotation record. A random-init control is grouped into the trained model's families and
    anchored at the trained units' predictions, so its units are measured where the trained
    ones are."""

    name, version = "rotation", 3

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {**asdict(ctx.config.rotation), "units": target.layer_units[layer]}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        own = [Input(SYNTHETIC), Input(DATASET)]
        return own + [Input(SYNTHETIC, target.reference)] if target.reference is not None else own

    def run(self, ctx: Context, target: Target) -> None:
        params = ctx.config.rotation
        angles = orientations(params.step)
        fields = receptive_fields(ctx, target)
        tasks, labels = [], {}
        for layer, units in (target.reference or target).judged.items():
            if ctx.store(self, target, layer).has("layer"):
                continue
            # A control is grouped and anchored as its trained model: measured at the trained predictions.
            made, data = ctx.store(SYNTHETIC, target.reference or target, layer), ctx.store(DATASET, target, layer)
            labels[layer] = {u: made.load_record(u, SyntheticRecord).family for u in units}
            by_family: dict[str, list[int]] = {}
            for unit, family in labels[layer].items():
                if family.label in ORIENTED:
                    by_family.setdefault(family.label, []).append(unit)
            aperture = params.aperture * (fields[layer].effective_size or fields[layer].size) / 2
            for family, members in by_family.items():
                chosen = tuple(Exemplar(u, e.source_index, tuple(e.position))
                               for u in members for e in data.load_record(u, DatasetRecord).exemplars[:params.k])
                tasks.append(TurnTask(layer, family, tuple(members), chosen, _sources(target, chosen, ctx),
                                      fields[layer], tuple(angles), aperture))
            if not by_family:
                ctx.store(self, target, layer).save("layer", RotationLayer(families={}, angles=angles))
        self._run_tasks(ctx, target, tasks, labels, angles)

    def _run_tasks(self, ctx: Context, target: Target, tasks: list["TurnTask"], labels: dict, angles: list[float]):
        summaries: dict[str, dict] = {}
        remaining = {layer: sum(t.layer == layer for t in tasks) for layer in labels}
        with progress_bar(total=sum(len(t.chosen) for t in tasks), desc=f"rotation {target.model.name}",
                          unit="exemplar", disable=not ctx.progress or not tasks) as bar:
            for index, responses in ctx.executor.map(turn_task, target.model, tasks, bar, lambda t: len(t.chosen)):
                task = tasks[index]
                store = ctx.store(self, target, task.layer)
                records = [joint_tuning.unit_record(unit, list(task.members), list(task.chosen), responses, angles,
                                                    labels[task.layer]) for unit in task.members]
                for record in records:
                    store.save(record.unit, record)
                params = ctx.config.rotation
                summaries.setdefault(task.layer, {})[task.family] = joint_tuning.family_measures(
                    records, params.agreement, params.clear_peak)
                remaining[task.layer] -= 1
                if not remaining[task.layer]:  # the layer record, written last, marks the layer complete
                    store.save("layer", RotationLayer(families=summaries[task.layer], angles=angles))


@dataclass(frozen=True)
class TurnTask:
    """One family of one layer: its members' exemplars to turn, and the images they come from."""

    layer: str
    family: str
    members: tuple[int, ...]
    chosen: tuple[Exemplar, ...]
    sources: dict[int, str | bytes]
    rf: ReceptiveField
    angles: tuple[float, ...]
    aperture: float


def _sources(target: Target, chosen: tuple[Exemplar, ...], ctx: Context) -> dict[int, str | bytes]:
    """The images a task needs: paths here, their bytes for workers without the files."""
    ship = ctx.executor.name != "local"
    return {e.image: (target.images.paths[e.image].read_bytes() if ship else str(target.images.paths[e.image]))
            for e in chosen}


def turn_task(model: LoadedModel, task: TurnTask, report: Callable[[int], None]) -> np.ndarray:
    """Every member's responses to every exemplar turned through every angle (runs on a worker)."""
    return rotation_responses(model, task.layer, list(task.members), list(task.chosen), task.sources, task.rf,
                              list(task.angles), report, task.aperture)


ROTATION = RotationStage()
