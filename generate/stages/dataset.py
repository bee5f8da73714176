"""Dataset stage: top-k exemplars and activation statistics, in one pass over the dataset.

A unit's response to an image is its maximum over spatial positions (as in Microscope); the
argmax locates the crop, sized to the unit's receptive field. Where the layer saturates (ReLU6),
images and positions are ranked by the activation before the ceiling, so saturated units still
get their most driven examples, centred where they are most driven. Statistics are over every
spatial position of every image (exact mean, std, max, fraction positive) plus quantiles
estimated from a fixed random sample of positions per image; the synthetic-stimulus and
rotation stages express responses in units of this std (sigma).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from generate.config import ExemplarParams
from generate.data import ImageSet, SquareImages, load_rgb, to_model_input
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import DatasetRecord, Exemplar, Histogram, ImageMaxStats, ReceptiveField, Stats
from generate.stages.base import Context, Input, Stage, Target
from generate.stages.fields import RECEPTIVE_FIELDS, receptive_fields

QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
PAD_GREY = 128  # fill for crop regions outside the image


@dataclass
class _LayerAccumulator:
    """Running top-k and moments for the selected channels of one layer."""

    units: list[int]
    k: int
    top_values: torch.Tensor = field(init=False)
    top_drive: torch.Tensor = field(init=False)  # what ranks them: the pre-activation where there is one
    top_images: torch.Tensor = field(init=False)
    top_positions: torch.Tensor = field(init=False)
    total: torch.Tensor = field(init=False)
    total_sq: torch.Tensor = field(init=False)
    positive: torch.Tensor = field(init=False)
    maximum: torch.Tensor = field(init=False)
    count: int = 0
    samples: list[torch.Tensor] = field(default_factory=list)
    image_max: list[torch.Tensor] = field(default_factory=list)  # per batch: [N, C] each image's maximum
    image_argmax: list[torch.Tensor] = field(default_factory=list)  # ... and where it lies (flat index)

    def __post_init__(self):
        c = len(self.units)
        self.top_values = torch.full((c, 0), -torch.inf, dtype=torch.float64)
        self.top_drive = torch.full((c, 0), -torch.inf, dtype=torch.float64)
        self.top_images = torch.zeros((c, 0), dtype=torch.long)
        self.top_positions = torch.zeros((c, 0), dtype=torch.long)
        self.total = torch.zeros(c, dtype=torch.float64)
        self.total_sq = torch.zeros(c, dtype=torch.float64)
        self.positive = torch.zeros(c, dtype=torch.float64)
        self.maximum = torch.full((c,), -torch.inf, dtype=torch.float64)

    def add(self, acts: torch.Tensor, first_image: int, generator: torch.Generator, n_samples: int,
            pre: torch.Tensor | None = None) -> None:
        """acts: the layer's activations [N, C, H, W]; pre: the same before a saturating
        transform (ReLU6), which ranks images and places the argmax where the activation ties
        at its ceiling (else every saturated map would point at its first, top-left, position)."""
        acts = acts[:, self.units].double().cpu()  # [N, C, H, W]
        n, c, h, w = acts.shape
        flat = acts.reshape(n, c, h * w)
        drive = flat if pre is None else pre[:, self.units].double().cpu().reshape(n, c, h * w)
        per_image_drive, argmax = drive.max(dim=2)  # [N, C]
        per_image_max = flat.gather(2, argmax[..., None])[..., 0]  # the activation there (its maximum)
        self.image_max.append(per_image_max.float())
        self.image_argmax.append(argmax.int())
        images = torch.cat([self.top_images, (torch.arange(n) + first_image).expand(c, n)], dim=1)
        positions = torch.cat([self.top_positions, argmax.T], dim=1)
        ranking = torch.cat([self.top_drive, per_image_drive.T], dim=1)
        values = torch.cat([self.top_values, per_image_max.T], dim=1)
        keep = ranking.topk(min(self.k, ranking.shape[1]), dim=1)
        self.top_drive = keep.values
        self.top_values = values.gather(1, keep.indices)
        self.top_images = images.gather(1, keep.indices)
        self.top_positions = positions.gather(1, keep.indices)
        self.total += flat.sum(dim=(0, 2))
        self.total_sq += (flat ** 2).sum(dim=(0, 2))
        self.positive += (flat > 0).sum(dim=(0, 2))
        self.maximum = torch.maximum(self.maximum, per_image_max.max(dim=0).values)
        self.count += n * h * w
        picks = torch.randint(0, h * w, (n, n_samples), generator=generator)
        self.samples.append(flat.gather(2, picks[:, None, :].expand(n, c, n_samples)).permute(1, 0, 2).reshape(c, -1).float())

    def image_maxima(self, index: int) -> np.ndarray:
        """Every image's maximum activation of one unit, in dataset order."""
        return torch.cat([m[:, index] for m in self.image_max]).numpy()

    def moderate(self, index: int, low: float, high: float, k: int) -> list[tuple[int, int, float]]:
        """Up to k (image, flat position, activation) whose image maximum lies in [low, high] x
        the unit's top activation, evenly spread over that band from its top."""
        maxima = self.image_maxima(index)
        top = float(self.top_values[index].max()) if self.top_values.shape[1] else 0.0
        if top <= 0:
            return []
        band = np.flatnonzero((maxima >= low * top) & (maxima <= high * top))
        band = band[np.argsort(-maxima[band], kind="stable")]
        picks = band[np.unique(np.linspace(0, len(band) - 1, min(k, len(band))).round().astype(int))] if len(band) else []
        positions = torch.cat([a[:, index] for a in self.image_argmax]).numpy()
        return [(int(i), int(positions[i]), float(maxima[i])) for i in picks]

    def stats(self, index: int) -> Stats:
        mean = self.total[index] / self.count
        var = max(float(self.total_sq[index] / self.count - mean ** 2), 0.0)
        sample = torch.cat([s[index] for s in self.samples]).double()
        image_max = torch.cat([m[:, index] for m in self.image_max]).double()
        q = torch.tensor(QUANTILES, dtype=torch.float64)
        return Stats(
            mean=float(mean), std=var ** 0.5, max=float(self.maximum[index]),
            fraction_positive=float(self.positive[index] / self.count), positions=self.count,
            quantiles={str(p): float(v) for p, v in zip(QUANTILES, sample.quantile(q))},
            quantile_sample_size=int(sample.numel()), histogram=_histogram(sample),
            image_max=ImageMaxStats(
                mean=float(image_max.mean()), std=float(image_max.std()) if image_max.numel() > 1 else 0.0,
                quantiles={str(p): float(v) for p, v in zip(QUANTILES, image_max.quantile(q))}))


def _histogram(sample: torch.Tensor, bins: int = 30) -> Histogram:
    """Counts of the sampled activations in equal bins from the smallest to the largest value."""
    low, high = float(sample.min()), float(sample.max())
    if high <= low:
        high = low + 1.0
    counts = torch.histc(sample.float(), bins=bins, min=low, max=high)
    return Histogram(low=low, high=high, counts=[int(c) for c in counts])


def scan_dataset(
    model: LoadedModel,
    layer_units: dict[str, list[int]],
    images: ImageSet,
    params: ExemplarParams,
    progress: bool = True,
) -> dict[str, _LayerAccumulator]:
    """One batched pass over `images`, stopping at the deepest requested layer."""
    specs = [model.layer(name) for name in layer_units]
    deepest = max(specs, key=lambda spec: model.infos[spec.name].order)
    accumulators = {name: _LayerAccumulator(units, params.k) for name, units in layer_units.items()}
    loader = torch.utils.data.DataLoader(
        SquareImages(images, model.preprocess.input_size), batch_size=params.batch, num_workers=1
    )
    generator = torch.Generator().manual_seed(params.seed)
    seen = 0
    with tqdm(total=len(images), desc=f"dataset pass {model.name}", unit="img", disable=not progress) as bar:
        for batch in loader:
            x = model.preprocess(batch.to(model.device).float() / 255)
            with torch.no_grad(), capture(specs, stop_after=deepest) as acts:
                run_until(model.module, x)
            for name, accumulator in accumulators.items():
                accumulator.add(acts[name], seen, generator, params.stat_samples, acts[name + PRE])
            seen += len(batch)
            bar.update(len(batch))
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


def unit_records(
    accumulator: _LayerAccumulator,
    images: ImageSet,
    rf: ReceptiveField,
    params: ExemplarParams,
    input_size: int,
    width: int,
) -> dict[int, tuple[DatasetRecord, dict[str, bytes]]]:
    """Per unit: its record (exemplars + stats) and the crop files to store beside it."""
    cache: dict[int, np.ndarray] = {}

    def pixels(index: int) -> np.ndarray:
        if index not in cache:
            cache[index] = to_model_input(load_rgb(images.paths[index]), input_size)
        return cache[index]

    def example(rank: int, name: str, index: int, flat_position: int, activation: float) -> tuple[Exemplar, bytes]:
        y, x = divmod(flat_position, width)
        box = rf.box(y, x)
        crop = jpeg_bytes(crop_receptive_field(pixels(index), box, params.crop_px))
        return Exemplar(rank=rank, file=name, source=images.paths[index].name, source_index=index,
                        activation=activation, position=[y, x], box=list(box)), crop

    out = {}
    for row, unit in enumerate(accumulator.units):
        exemplars, moderate, files = [], [], {}
        for rank in range(accumulator.top_values.shape[1]):
            entry, files[f"{unit}.ex{rank}.jpg"] = example(
                rank, f"{unit}.ex{rank}.jpg", int(accumulator.top_images[row, rank]),
                int(accumulator.top_positions[row, rank]), float(accumulator.top_values[row, rank]))
            exemplars.append(entry)
        picks = accumulator.moderate(row, params.moderate_low, params.moderate_high, params.k)
        for rank, (index, flat_position, activation) in enumerate(picks):
            entry, files[f"{unit}.mod{rank}.jpg"] = example(rank, f"{unit}.mod{rank}.jpg", index, flat_position,
                                                            activation)
            moderate.append(entry)
        # Every image's maximum, for comparing units across models on the same images.
        buffer = io.BytesIO()
        np.save(buffer, accumulator.image_maxima(row).astype(np.float32))
        files[f"{unit}.imax.npy"] = buffer.getvalue()
        record = DatasetRecord(unit=unit, exemplars=exemplars, moderate=moderate, image_maxima=f"{unit}.imax.npy",
                               stats=accumulator.stats(row))
        out[unit] = (record, files)
    return out


class DatasetStage(Stage):
    """Top-k exemplars (with heatmaps where the target gets pages) and activation statistics for
    the units that have none yet, in one pass over the dataset for all layers."""

    name, version = "dataset", 5

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        values = {k: v for k, v in asdict(ctx.config.exemplars).items() if k != "max_images"}  # the list says it
        images = target.images
        return {**values, "preprocess": asdict(target.model.preprocess), "dataset": images.name,
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
        accumulators = scan_dataset(target.model, missing, target.images, params, ctx.progress)
        for layer, accumulator in tqdm(accumulators.items(), desc="exemplar crops and heatmaps", unit="layer",
                                       disable=not ctx.progress):
            records = unit_records(accumulator, target.images, fields[layer], params,
                                   target.model.preprocess.input_size, target.model.infos[layer].width)
            if target.pages:
                add_exemplar_heatmaps(target.model, layer, records, target.images, params.crop_px)
            store = ctx.store(self, target, layer)
            for unit, (record, files) in records.items():
                store.save(unit, record, files)


DATASET = DatasetStage()
