"""Dataset stage: top-k exemplars and response statistics, in one streaming pass over the dataset.

A unit's response to an image is its maximum over spatial positions (as in Microscope); the
argmax locates the crop, cut to the layer's effective receptive field (the square holding most
of the input-gradient mass: what a reader should see). Responses are pre-activations, the one
convention of every stage: they do not saturate, so a ReLU6 unit's strongest examples still rank
and centre where it is most driven, while the share of positions at the ceiling is counted. The
pass runs as tasks over chunks of images (generate/stages/executor.py) whose partial statistics
merge exactly (generate/stages/accumulate.py), in memory that does not grow with the dataset.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
import torch
from PIL import Image

from generate.config import ExemplarParams
from generate.data import ImageSet, load_rgb, to_model_input
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import DatasetRecord, Exemplar, ReceptiveField
from generate.stages.accumulate import LayerAccumulator, Partial, batch_partial, combine, moderate, unit_stats
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.executor import Executor
from generate.stages.fields import RECEPTIVE_FIELDS, receptive_fields
from generate.progress import progress_bar

PAD_GREY = 128  # fill for crop regions outside the image


@dataclass(frozen=True)
class ImageChunk:
    """A dataset task: consecutive images, by path or (for workers without the files) by bytes."""

    first: int  # dataset index of its first image
    paths: tuple[str, ...]
    data: tuple[bytes, ...] | None
    layer_units: dict[str, list[int]]
    params: ExemplarParams


class _ChunkImages(torch.utils.data.Dataset):
    def __init__(self, chunk: ImageChunk, size: int):
        self.chunk, self.size = chunk, size

    def __len__(self) -> int:
        return len(self.chunk.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        source = io.BytesIO(self.chunk.data[index]) if self.chunk.data else self.chunk.paths[index]
        array = to_model_input(load_rgb(source), self.size)
        return torch.from_numpy(array.copy()).permute(2, 0, 1)


def scan_chunk(model: LoadedModel, chunk: ImageChunk, report=lambda n: None) -> dict[str, Partial]:
    """The partial statistics of one chunk for every requested layer (runs on a worker)."""
    params = chunk.params
    specs = [model.layer(name) for name in chunk.layer_units]
    deepest = max(specs, key=lambda spec: model.infos[spec.name].order)
    loader = torch.utils.data.DataLoader(_ChunkImages(chunk, model.preprocess.input_size), batch_size=params.batch,
                                         num_workers=0 if chunk.data else 1)
    out: dict[str, Partial] = {}
    first = chunk.first
    for batch in loader:
        x = model.preprocess(batch.to(model.device).float() / 255)
        with torch.no_grad(), capture(specs, stop_after=deepest) as acts:
            run_until(model.module, x)
        for spec in specs:
            part = batch_partial(acts[spec.name + PRE], spec.ceiling, chunk.layer_units[spec.name], first, params.k,
                                 params.stat_samples, params.stat_capacity, params.seed)
            out[spec.name] = combine(out[spec.name], part, params.k, params.stat_capacity) \
                if spec.name in out else part
        first += len(batch)
        report(len(batch))
    return out


def scan_dataset(model: LoadedModel, layer_units: dict[str, list[int]], images: ImageSet, params: ExemplarParams,
                 progress: bool = True, executor: Executor | None = None) -> dict[str, LayerAccumulator]:
    """One pass over `images` for every requested layer, as chunks on the executor."""
    executor = executor or Executor()
    size = max(params.batch, executor.chunk_images // params.batch * params.batch)  # whole batches per chunk
    ship = executor.name != "local"  # remote workers get the bytes, not paths they cannot read

    def chunks():
        for start in range(0, len(images), size):
            paths = images.paths[start:start + size]
            data = tuple(p.read_bytes() for p in paths) if ship else None
            yield ImageChunk(start, tuple(str(p) for p in paths), data, layer_units, params)

    accumulators = {name: LayerAccumulator(units, params.k, len(images), params.stat_capacity)
                    for name, units in layer_units.items()}
    with progress_bar(total=len(images), desc=f"dataset pass {model.name}", unit="img", disable=not progress) as bar:
        for _, partials in executor.map(scan_chunk, model, chunks(), bar, weight=lambda chunk: len(chunk.paths)):
            for name, partial in partials.items():
                accumulators[name].add(partial)
    return accumulators


def crop_box(array: np.ndarray, box: tuple[int, int, int, int], fill) -> np.ndarray:
    """Crop (top, left, bottom, right) from an array [H, W, ...], `fill` where the box leaves it."""
    top, left, bottom, right = box
    h, w = array.shape[:2]
    canvas = np.full((bottom - top, right - left) + array.shape[2:], fill, dtype=array.dtype)
    src_t, src_l, src_b, src_r = max(top, 0), max(left, 0), min(bottom, h), min(right, w)
    canvas[src_t - top:src_b - top, src_l - left:src_r - left] = array[src_t:src_b, src_l:src_r]
    return canvas


def crop_receptive_field(array: np.ndarray, box: tuple[int, int, int, int], out_px: int) -> Image.Image:
    """The exemplar crop: an [H, W, 3] uint8 image cut to the box, grey outside, resized."""
    return Image.fromarray(crop_box(array, box, PAD_GREY)).resize((out_px, out_px), Image.BICUBIC)


def jpeg_bytes(image: Image.Image, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def unit_records(accumulator: LayerAccumulator, images: ImageSet, rf: ReceptiveField, params: ExemplarParams,
                 width: int, ceiling: float | None = None) -> dict[int, tuple[DatasetRecord, dict[str, bytes]]]:
    """Per unit: its record (exemplars + stats) and the crop files to store beside it."""
    cache: dict[int, np.ndarray] = {}

    def pixels(index: int) -> np.ndarray:
        if index not in cache:
            cache[index] = to_model_input(load_rgb(images.paths[index]), rf.input_size)
        return cache[index]

    def example(rank: int, name: str, index: int, flat_position: int, value: float) -> tuple[Exemplar, bytes]:
        y, x = divmod(flat_position, width)
        box = rf.effective_box(y, x)
        crop = jpeg_bytes(crop_receptive_field(pixels(index), box, params.crop_px))
        return Exemplar(rank=rank, file=name, source=images.paths[index].name, source_index=index, activation=value,
                        position=[y, x], box=list(box), saturated=ceiling is not None and value >= ceiling), crop

    out = {}
    for row, unit in enumerate(accumulator.units):
        exemplars, moderates, files = [], [], {}
        for rank in range(accumulator.top_values.shape[1]):
            entry, files[f"{unit}.ex{rank}.jpg"] = example(
                rank, f"{unit}.ex{rank}.jpg", int(accumulator.top_images[row, rank]),
                int(accumulator.top_positions[row, rank]), float(accumulator.top_values[row, rank]))
            exemplars.append(entry)
        for rank, (index, flat_position, value) in enumerate(
                moderate(accumulator, row, params.moderate_low, params.moderate_high, params.k)):
            entry, files[f"{unit}.mod{rank}.jpg"] = example(rank, f"{unit}.mod{rank}.jpg", index, flat_position,
                                                            value)
            moderates.append(entry)
        buffer = io.BytesIO()  # every image's maximum, for comparing units across models on the same images
        np.save(buffer, accumulator.image_maxima(row).astype(np.float32))
        files[f"{unit}.imax.npy"] = buffer.getvalue()
        out[unit] = (DatasetRecord(unit=unit, exemplars=exemplars, moderate=moderates, image_maxima=f"{unit}.imax.npy",
                                   stats=unit_stats(accumulator, row)), files)
    return out


class DatasetStage(Stage):
    """Top-k exemplars (with heatmaps where the target gets pages) and response statistics for
    the units that have none yet, in one pass over the dataset for all layers."""

    name, version = "dataset", 6

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        values = {k: v for k, v in asdict(ctx.config.exemplars).items() if k != "max_images"}  # the list says it
        images = target.images
        # the images by content and name inside their folder, not by where the folder lies: a moved or
        # re-copied dataset keeps its results, an edited one does not
        return {**values, "preprocess": asdict(target.model.preprocess),
                "dataset_fingerprint": images.fingerprint, "images": len(images)}

    def inputs(self, ctx: Context, target: Target, layer: str) -> list[Input]:
        return [Input(RECEPTIVE_FIELDS)]

    def run(self, ctx: Context, target: Target) -> None:
        from generate.stages.featuremaps import add_exemplar_heatmaps

        missing = ctx.missing(self, target)
        if not missing:
            return
        fields = receptive_fields(ctx, target)
        params = ctx.config.exemplars
        accumulators = scan_dataset(target.model, missing, target.images, params, ctx.progress, ctx.executor)
        for layer, accumulator in progress_bar(accumulators.items(), desc="exemplar crops and heatmaps",
                                               unit="layer", disable=not ctx.progress):
            records = unit_records(accumulator, target.images, fields[layer], params, target.model.infos[layer].width,
                                   target.model.layer(layer).ceiling)
            accumulator.close()
            if target.pages:
                add_exemplar_heatmaps(target.model, layer, records, target.images, params.crop_px)
            store = ctx.store(self, target, layer)
            for unit, (record, files) in records.items():
                store.save(unit, record, files)


DATASET = DatasetStage()
