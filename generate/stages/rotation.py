"""Rotation stage: dataset exemplars rotated about the unit's strongest position.

For an oriented family (curve, line/edge, ...) in a layer, every member's top exemplars are
rotated about the position where that member fired most, and every member's activation is
read at that position. Unit j's response to unit i's exemplars peaks at the rotation that
turns i's feature into j's preferred orientation, so these curves show joint tuning: as the
input turns, one unit stops firing and the next starts. A unit's own curves ("each exemplar's
curve and their aligned average") come from the same pass.
"""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from generate.analysis import joint_tuning
from generate.analysis.angles import orientations
from generate.analysis.families import ORIENTED
from generate.analysis.joint_tuning import Exemplar
from generate.data import ImageSet, load_rgb, to_model_input
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import DatasetRecord, ReceptiveField, RotationLayer, SyntheticRecord
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.fields import receptive_fields
from generate.stages.synthetic import SYNTHETIC

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
    """A stride-aligned square of input pixels around `position`'s receptive field, and where
    the position sits in its feature map: (top, left, side, index). Inside it the network
    computes exactly what it computes on the whole image (the field lies inside, away from the
    window's borders). None when it would leave the image: then the whole image is used."""
    stride = int(round(rf.stride))
    margin = math.ceil(rf.size / (2 * stride)) + 1  # feature positions on each side
    side = 2 * margin * stride
    top, left = (position[0] - margin) * stride, (position[1] - margin) * stride
    if top < 0 or left < 0 or top + side > size or left + side > size or side >= size:
        return None
    return top, left, side, margin


def rotation_responses(model: LoadedModel, layer: str, units: list[int], exemplars: list[Exemplar],
                       images: ImageSet, rf: ReceptiveField, angles: list[float],
                       progress: bool = False, aperture: float | None = None) -> np.ndarray:
    """[n_exemplars, n_angles, n_units]: every unit's activation at the exemplar's position
    while the exemplar turns about that position. Where the receptive field is small, only a
    window around it goes through the network (same values, far fewer pixels)."""
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
    with tqdm(total=len(exemplars), desc=f"rotation {model.name} {layer}", unit="exemplar", disable=not progress) as bar:
        for side, members in groups.items():
            per_batch = max(1, (BATCH * (size // side) ** 2 if side else BATCH) // len(angles))
            for start in range(0, len(members), per_batch):
                chunk = members[start:start + per_batch]
                batch, reads = [], []
                for e in (exemplars[n] for n in chunk):
                    if e.image not in cache:
                        cache[e.image] = torch.from_numpy(to_model_input(load_rgb(images.paths[e.image]), size).copy()
                                                          ).permute(2, 0, 1).float() / 255
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
                bar.update(len(chunk))
    return out


class RotationStage(Stage):
    """Per layer and oriented family: every member's top exemplars turned about its strongest
    position, every member's activation read there (joint tuning). Units of other families get
    no rotation record."""

    name, version = "rotation", 3

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {**asdict(ctx.config.rotation), "units": target.layer_units[layer]}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(SYNTHETIC), Input(DATASET)]

    def run(self, ctx: Context, target: Target) -> None:
        params = ctx.config.rotation
        angles = orientations(params.step)
        fields = receptive_fields(ctx, target)
        for layer, units in target.layer_units.items():
            store = ctx.store(self, target, layer)
            if store.has("layer"):
                continue
            made, data = ctx.store(SYNTHETIC, target, layer), ctx.store(DATASET, target, layer)
            labels = {u: made.load_record(u, SyntheticRecord).family for u in units}
            by_family: dict[str, list[int]] = {}
            for unit, family in labels.items():
                if family.label in ORIENTED:
                    by_family.setdefault(family.label, []).append(unit)
            summary = {}
            for family, members in by_family.items():
                chosen = [Exemplar(u, e.source_index, tuple(e.position))
                          for u in members for e in data.load_record(u, DatasetRecord).exemplars[:params.k]]
                aperture = params.aperture * (fields[layer].effective_size or fields[layer].size) / 2
                responses = rotation_responses(target.model, layer, members, chosen, target.images, fields[layer],
                                               angles, ctx.progress, aperture)
                records = [joint_tuning.unit_record(unit, members, chosen, responses, angles, labels)
                           for unit in members]
                for record in records:
                    store.save(record.unit, record)
                summary[family] = joint_tuning.family_measures(records, params.agreement, params.clear_peak)
            store.save("layer", RotationLayer(families=summary, angles=angles))


ROTATION = RotationStage()
