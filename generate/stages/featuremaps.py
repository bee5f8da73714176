"""Feature maps: where in an image a unit fires.

Two products: a heatmap of the unit's activation overlaid on each of its exemplar crops
(same box as the crop), and per layer a mosaic of every atlas unit's activation map on a few
reference photos of the dataset.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image

from generate.data import ImageSet, load_rgb, to_model_input
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import DatasetRecord, FeatureMapsRecord, MosaicPhoto
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.dataset import DATASET, crop_box, crop_receptive_field, jpeg_bytes

REFERENCE_PHOTOS = 3
BATCH = 16
HEAT = colormaps["inferno"]


def activation_maps(model: LoadedModel, layer: str, pixels: list[np.ndarray]) -> torch.Tensor:
    """[n, C, H, W] activations of `layer` for uint8 images [S, S, 3], batched."""
    spec = model.layer(layer)
    out = []
    for start in range(0, len(pixels), BATCH):
        batch = torch.from_numpy(np.stack(pixels[start:start + BATCH])).permute(0, 3, 1, 2).float() / 255
        with torch.no_grad(), capture([spec], stop_after=spec) as acts:
            run_until(model.module, model.preprocess(batch.to(model.device)))
        out.append(acts[layer + PRE].float().cpu())  # responses: pre-activations, as every stage
    return torch.cat(out)


def _upsampled(act_map: torch.Tensor, size: int) -> np.ndarray:
    return torch.nn.functional.interpolate(act_map[None, None], size=(size, size), mode="bilinear",
                                           align_corners=False)[0, 0].numpy()


def overlay(crop_pixels: np.ndarray, heat: np.ndarray, scale: float) -> Image.Image:
    """Blend a heat map (same shape as the crop, values 0..scale) over the crop."""
    level = np.clip(heat / max(scale, 1e-8), 0, 1)
    coloured = HEAT(level)[..., :3] * 255
    alpha = 0.15 + 0.6 * level[..., None]  # strong activation: mostly heat; none: mostly photo
    return Image.fromarray((crop_pixels * (1 - alpha) + coloured * alpha).round().astype(np.uint8))


def add_exemplar_heatmaps(model: LoadedModel, layer: str, records: dict[int, tuple[DatasetRecord, dict[str, bytes]]],
                          images: ImageSet, crop_px: int) -> None:
    """For every exemplar in `records`, store `<unit>.ex<k>.heat.jpg` and name it in the record."""
    size = model.preprocess.input_size
    needed = sorted({e.source_index for record, _ in records.values() for e in record.exemplars})
    position = {index: i for i, index in enumerate(needed)}
    pixels = [to_model_input(load_rgb(images.paths[index]), size) for index in needed]
    for start in range(0, len(needed), BATCH * 4):  # bound memory: a few batches of maps at a time
        chunk = needed[start:start + BATCH * 4]
        maps = activation_maps(model, layer, [pixels[position[i]] for i in chunk])
        local = {index: row for row, index in enumerate(chunk)}
        for unit, (record, files) in records.items():
            scale = max(e.activation for e in record.exemplars) if record.exemplars else 1.0
            for exemplar in record.exemplars:
                index = exemplar.source_index
                if index not in local:
                    continue
                heat = crop_box(_upsampled(maps[local[index], unit], size), exemplar.box, 0.0)
                heat_crop = np.asarray(Image.fromarray(heat.astype(np.float32)).resize(
                    (crop_px, crop_px), Image.BILINEAR))
                crop = np.asarray(crop_receptive_field(pixels[position[index]], exemplar.box, crop_px)).astype(float)
                name = exemplar.file.replace(".jpg", ".heat.jpg")
                files[name] = jpeg_bytes(overlay(crop, heat_crop, scale))
                exemplar.heatmap = name


def layer_mosaics(model: LoadedModel, layer: str, units: list[int], images: ImageSet,
                  unit_scale: dict[int, float], tile: int = 48) -> tuple[FeatureMapsRecord, dict[str, bytes]]:
    """Per reference photo, a grid of every unit's activation map (each scaled by the unit's
    dataset maximum, so a bright tile means near that unit's strongest response)."""
    size = model.preprocess.input_size
    picks = [int(i) for i in np.linspace(0, len(images) - 1, min(REFERENCE_PHOTOS, len(images)))]
    pixels = [to_model_input(load_rgb(images.paths[i]), size) for i in picks]
    maps = activation_maps(model, layer, pixels)
    columns = max(1, math.ceil(math.sqrt(len(units) * 1.5)))
    rows = math.ceil(len(units) / columns)
    record = FeatureMapsRecord(units=units, columns=columns, tile=tile, photos=[])
    files = {}
    for k, (index, photo) in enumerate(zip(picks, pixels)):
        canvas = np.full((rows * (tile + 2), columns * (tile + 2), 3), 255, dtype=np.uint8)
        for n, unit in enumerate(units):
            level = np.clip(maps[k, unit].numpy() / max(unit_scale.get(unit, 1.0), 1e-8), 0, 1)
            tile_image = Image.fromarray((HEAT(level)[..., :3] * 255).astype(np.uint8)).resize((tile, tile), Image.NEAREST)
            r, c = divmod(n, columns)
            canvas[r * (tile + 2):r * (tile + 2) + tile, c * (tile + 2):c * (tile + 2) + tile] = np.asarray(tile_image)
        mosaic, thumb = f"featuremap-{k}.png", f"featuremap-{k}-photo.jpg"
        buffer = io.BytesIO()
        Image.fromarray(canvas).save(buffer, format="PNG", optimize=True)
        files[mosaic] = buffer.getvalue()
        files[thumb] = jpeg_bytes(Image.fromarray(photo).resize((160, 160), Image.BICUBIC))
        record.photos.append(MosaicPhoto(source=images.paths[index].name, file=mosaic, photo=thumb))
    return record, files


class FeatureMapsStage(Stage):
    """Per layer, mosaics of every atlas unit's activation map on reference photos (pages only)."""

    name, version = "featuremaps", 1

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        return {"units": target.layer_units[layer]}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(DATASET)]

    def run(self, ctx: Context, target: Target) -> None:
        if not target.pages:
            return
        for layer, units in target.layer_units.items():
            store = ctx.store(self, target, layer)
            if store.has("layer"):
                continue
            data = ctx.store(DATASET, target, layer)
            scale = {u: data.load_record(u, DatasetRecord).stats.max for u in units}
            record, files = layer_mosaics(target.model, layer, units, target.images, scale)
            store.save("layer", record, files)


FEATURE_MAPS = FeatureMapsStage()
