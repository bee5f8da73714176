"""Dataset stage: top-k exemplars and activation statistics, in one pass over the dataset.

A unit's response to an image is its maximum over spatial positions (as in Microscope); the
argmax locates the crop, sized to the unit's receptive field. Statistics are over every
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
from generate.layers import capture, run_until
from generate.models import LoadedModel
from generate.receptive_field import ReceptiveField

QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
PAD_GREY = 128  # fill for crop regions outside the image


@dataclass
class _LayerAccumulator:
    """Running top-k and moments for the selected channels of one layer."""

    units: list[int]
    k: int
    top_values: torch.Tensor = field(init=False)
    top_images: torch.Tensor = field(init=False)
    top_positions: torch.Tensor = field(init=False)
    total: torch.Tensor = field(init=False)
    total_sq: torch.Tensor = field(init=False)
    positive: torch.Tensor = field(init=False)
    maximum: torch.Tensor = field(init=False)
    count: int = 0
    samples: list[torch.Tensor] = field(default_factory=list)
    image_max: list[torch.Tensor] = field(default_factory=list)

    def __post_init__(self):
        c = len(self.units)
        self.top_values = torch.full((c, 0), -torch.inf, dtype=torch.float64)
        self.top_images = torch.zeros((c, 0), dtype=torch.long)
        self.top_positions = torch.zeros((c, 0), dtype=torch.long)
        self.total = torch.zeros(c, dtype=torch.float64)
        self.total_sq = torch.zeros(c, dtype=torch.float64)
        self.positive = torch.zeros(c, dtype=torch.float64)
        self.maximum = torch.full((c,), -torch.inf, dtype=torch.float64)

    def add(self, acts: torch.Tensor, first_image: int, generator: torch.Generator, n_samples: int) -> None:
        acts = acts[:, self.units].double().cpu()  # [N, C, H, W]
        n, c, h, w = acts.shape
        flat = acts.reshape(n, c, h * w)
        per_image_max, argmax = flat.max(dim=2)  # [N, C]
        self.image_max.append(per_image_max.float())
        values = torch.cat([self.top_values, per_image_max.T], dim=1)
        images = torch.cat([self.top_images, (torch.arange(n) + first_image).expand(c, n)], dim=1)
        positions = torch.cat([self.top_positions, argmax.T], dim=1)
        keep = values.topk(min(self.k, values.shape[1]), dim=1)
        self.top_values = keep.values
        self.top_images = images.gather(1, keep.indices)
        self.top_positions = positions.gather(1, keep.indices)
        self.total += flat.sum(dim=(0, 2))
        self.total_sq += (flat ** 2).sum(dim=(0, 2))
        self.positive += (flat > 0).sum(dim=(0, 2))
        self.maximum = torch.maximum(self.maximum, per_image_max.max(dim=0).values)
        self.count += n * h * w
        picks = torch.randint(0, h * w, (n, n_samples), generator=generator)
        self.samples.append(flat.gather(2, picks[:, None, :].expand(n, c, n_samples)).permute(1, 0, 2).reshape(c, -1).float())

    def stats(self, index: int) -> dict:
        mean = self.total[index] / self.count
        var = max(float(self.total_sq[index] / self.count - mean ** 2), 0.0)
        sample = torch.cat([s[index] for s in self.samples]).double()
        image_max = torch.cat([m[:, index] for m in self.image_max]).double()
        q = torch.tensor(QUANTILES, dtype=torch.float64)
        return {
            "mean": float(mean),
            "std": var ** 0.5,
            "max": float(self.maximum[index]),
            "fraction_positive": float(self.positive[index] / self.count),
            "positions": self.count,
            "quantiles": {str(p): float(v) for p, v in zip(QUANTILES, sample.quantile(q))},
            "quantile_sample_size": int(sample.numel()),
            "histogram": _histogram(sample),
            "image_max": {
                "mean": float(image_max.mean()),
                "std": float(image_max.std()) if image_max.numel() > 1 else 0.0,
                "quantiles": {str(p): float(v) for p, v in zip(QUANTILES, image_max.quantile(q))},
            },
        }


def _histogram(sample: torch.Tensor, bins: int = 30) -> dict:
    """Counts of the sampled activations in equal bins from the smallest to the largest value."""
    low, high = float(sample.min()), float(sample.max())
    if high <= low:
        high = low + 1.0
    counts = torch.histc(sample.float(), bins=bins, min=low, max=high)
    return {"low": low, "high": high, "counts": [int(c) for c in counts]}


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
                accumulator.add(acts[name], seen, generator, params.stat_samples)
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
) -> dict[int, tuple[dict, dict[str, bytes]]]:
    """Per unit: its record (exemplars + stats) and the crop files to store beside it."""
    cache: dict[int, np.ndarray] = {}

    def pixels(index: int) -> np.ndarray:
        if index not in cache:
            cache[index] = to_model_input(load_rgb(images.paths[index]), input_size)
        return cache[index]

    out = {}
    for row, unit in enumerate(accumulator.units):
        exemplars, files = [], {}
        for rank in range(accumulator.top_values.shape[1]):
            index = int(accumulator.top_images[row, rank])
            y, x = divmod(int(accumulator.top_positions[row, rank]), width)
            box = rf.box(y, x)
            name = f"{unit}.ex{rank}.jpg"
            files[name] = jpeg_bytes(crop_receptive_field(pixels(index), box, params.crop_px))
            exemplars.append({
                "rank": rank,
                "file": name,
                "source": images.paths[index].name,
                "source_index": index,
                "activation": float(accumulator.top_values[row, rank]),
                "position": [y, x],
                "box": list(box),
            })
        record = {"unit": unit, "exemplars": exemplars, "stats": accumulator.stats(row)}
        out[unit] = (record, files)
    return out


def stage_params(params: ExemplarParams, model: LoadedModel, images: ImageSet) -> dict:
    return {"stage": "dataset", "version": 3, **asdict(params), "preprocess": asdict(model.preprocess),
            "dataset": images.name, "dataset_fingerprint": images.fingerprint, "images": len(images)}
