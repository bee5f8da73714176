"""Streaming statistics of a layer's units over a dataset, in memory that does not grow with it.

Per unit: the top-k images (ranked by the response, the pre-activation, which does not saturate),
exact moments, the share of positions where the activation saturates (ReLU6 at its ceiling), a
uniform sample of a fixed size for quantiles (bottom-k of random keys, so partial samples merge
exactly), and every image's maximum and where it lies, streamed to a memory-mapped file. A chunk
of images gives a `Partial`; partials merge in any order into the same result, which is what lets
the dataset pass run in pieces (shards, a Ray cluster) and still write identical records.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np
import torch

from generate.records import Histogram, ImageMaxStats, Stats

QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


@dataclass
class Partial:
    """One chunk of images' contribution to the statistics of one layer's selected units."""

    first_image: int
    top_values: np.ndarray  # [C, <=k] responses, best first
    top_images: np.ndarray  # [C, <=k] image indices
    top_positions: np.ndarray  # [C, <=k] flat feature-map positions
    total: np.ndarray  # [C] sums over positions
    total_sq: np.ndarray
    positive: np.ndarray  # [C] positions with a positive response
    saturated: np.ndarray  # [C] positions where the activation is clipped from above (ReLU6 at 6)
    maximum: np.ndarray  # [C]
    count: int  # positions per unit
    sample_values: np.ndarray  # [C, <=capacity]
    sample_keys: np.ndarray  # [C, <=capacity] the random keys that chose them
    image_max: np.ndarray  # [n, C] each image's largest response
    image_argmax: np.ndarray  # [n, C] where it lies (flat position)


def batch_partial(response: torch.Tensor, ceiling: float | None, units: list[int], first_image: int,
                  k: int, per_image_samples: int, capacity: int, seed: int) -> Partial:
    """The partial of one batch. response: the layer's pre-activation [N, C_all, H, W];
    ceiling: where its activation saturates (6 for ReLU6; None: never)."""
    values = response[:, units].double().cpu()
    n, c, h, w = values.shape
    flat = values.reshape(n, c, h * w)
    per_image, argmax = flat.max(dim=2)  # [N, C]
    saturated = (flat >= ceiling).sum(dim=(0, 2)).double() if ceiling is not None else torch.zeros(c, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed * 1_000_003 + first_image)
    picks = torch.randint(0, h * w, (n, per_image_samples), generator=generator)
    sampled = flat.gather(2, picks[:, None, :].expand(n, c, per_image_samples)).permute(1, 0, 2).reshape(c, -1)
    keys = torch.rand(sampled.shape, generator=generator, dtype=torch.float64)
    order = per_image.T.argsort(dim=1, descending=True, stable=True)[:, :k]
    partial = Partial(
        first_image=first_image,
        top_values=per_image.T.gather(1, order).numpy(), top_images=(order + first_image).numpy(),
        top_positions=argmax.T.gather(1, order).numpy(),
        total=flat.sum(dim=(0, 2)).numpy(), total_sq=(flat ** 2).sum(dim=(0, 2)).numpy(),
        positive=(flat > 0).sum(dim=(0, 2)).double().numpy(), saturated=saturated.numpy(),
        maximum=per_image.max(dim=0).values.numpy(), count=n * h * w,
        sample_values=sampled.float().numpy(), sample_keys=keys.numpy(),
        image_max=per_image.float().numpy(), image_argmax=argmax.int().numpy())
    partial.sample_values, partial.sample_keys = _bottom_keys(partial.sample_values, partial.sample_keys, capacity)
    return partial


def _bottom_keys(values: np.ndarray, keys: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray]:
    """The `capacity` values with the smallest keys per row: a uniform sample without replacement
    of everything seen, whatever the order in which the pieces arrive."""
    if keys.shape[1] <= capacity:
        return values, keys
    keep = np.argsort(keys, axis=1, kind="stable")[:, :capacity]
    return np.take_along_axis(values, keep, 1), np.take_along_axis(keys, keep, 1)


def _top(values: np.ndarray, images: np.ndarray, positions: np.ndarray, k: int):
    """The k best per row; ties go to the earlier image, so any merge order gives the same top."""
    order = np.lexsort((images, -values), axis=1)[:, :k] if values.size else np.zeros(values.shape, int)
    return (np.take_along_axis(values, order, 1), np.take_along_axis(images, order, 1),
            np.take_along_axis(positions, order, 1))


def combine(a: Partial, b: Partial, k: int, capacity: int) -> Partial:
    """Two partials of consecutive image chunks as one."""
    top = _top(np.concatenate([a.top_values, b.top_values], 1), np.concatenate([a.top_images, b.top_images], 1),
               np.concatenate([a.top_positions, b.top_positions], 1), k)
    sample = _bottom_keys(np.concatenate([a.sample_values, b.sample_values], 1),
                          np.concatenate([a.sample_keys, b.sample_keys], 1), capacity)
    return Partial(min(a.first_image, b.first_image), *top, a.total + b.total, a.total_sq + b.total_sq,
                   a.positive + b.positive, a.saturated + b.saturated, np.maximum(a.maximum, b.maximum),
                   a.count + b.count, *sample, np.concatenate([a.image_max, b.image_max]),
                   np.concatenate([a.image_argmax, b.image_argmax]))


class LayerAccumulator:
    """The merged statistics of one layer's units; image maxima go to a memory-mapped file."""

    def __init__(self, units: list[int], k: int, n_images: int, capacity: int):
        self.units, self.k, self.capacity, self.n_images = units, k, capacity, n_images
        c = len(units)
        self.top_values = np.zeros((c, 0))
        self.top_images = np.zeros((c, 0), dtype=np.int64)
        self.top_positions = np.zeros((c, 0), dtype=np.int64)
        self.total, self.total_sq = np.zeros(c), np.zeros(c)
        self.positive, self.saturated = np.zeros(c), np.zeros(c)
        self.maximum = np.full(c, -np.inf)
        self.count = 0
        self.sample_values = np.zeros((c, 0), dtype=np.float32)
        self.sample_keys = np.zeros((c, 0))
        fd, self._path = tempfile.mkstemp(prefix="neuron-atlas-maxima-", suffix=".npy")
        os.close(fd)
        shape = (max(n_images, 1), max(c, 1))
        self.image_max = np.lib.format.open_memmap(self._path, mode="w+", dtype=np.float32, shape=shape)
        self.image_argmax = np.lib.format.open_memmap(self._path + ".arg.npy", mode="w+", dtype=np.int32,
                                                      shape=shape)

    def add(self, partial: Partial) -> None:
        """Merge a partial (any order); its image rows go to the memory-mapped maxima."""
        rows = slice(partial.first_image, partial.first_image + len(partial.image_max))
        self.image_max[rows], self.image_argmax[rows] = partial.image_max, partial.image_argmax
        self.top_values, self.top_images, self.top_positions = _top(
            np.concatenate([self.top_values, partial.top_values], 1),
            np.concatenate([self.top_images, partial.top_images], 1),
            np.concatenate([self.top_positions, partial.top_positions], 1), self.k)
        self.total += partial.total
        self.total_sq += partial.total_sq
        self.positive += partial.positive
        self.saturated += partial.saturated
        self.maximum = np.maximum(self.maximum, partial.maximum)
        self.count += partial.count
        self.sample_values, self.sample_keys = _bottom_keys(
            np.concatenate([self.sample_values, partial.sample_values], 1),
            np.concatenate([self.sample_keys, partial.sample_keys], 1), self.capacity)

    def image_maxima(self, index: int) -> np.ndarray:
        """Every image's largest response of one unit, in dataset order."""
        return np.asarray(self.image_max[:self.n_images, index])

    def positions(self, index: int) -> np.ndarray:
        return np.asarray(self.image_argmax[:self.n_images, index])

    def close(self) -> None:
        """Remove the memory-mapped files."""
        for path in (self._path, self._path + ".arg.npy"):
            if os.path.exists(path):
                os.unlink(path)

    def __del__(self) -> None:
        self.close()


def unit_stats(acc: LayerAccumulator, index: int) -> Stats:
    """One unit's statistics over every position of every image (responses: pre-activations)."""
    mean = acc.total[index] / acc.count
    var = max(float(acc.total_sq[index] / acc.count - mean ** 2), 0.0)
    sample = acc.sample_values[index].astype(np.float64)
    image_max = acc.image_maxima(index).astype(np.float64)
    return Stats(
        mean=float(mean), std=var ** 0.5, max=float(acc.maximum[index]),
        fraction_positive=float(acc.positive[index] / acc.count),
        fraction_saturated=float(acc.saturated[index] / acc.count), positions=acc.count,
        quantiles={str(q): float(v) for q, v in zip(QUANTILES, np.quantile(sample, QUANTILES))},
        quantile_sample_size=int(sample.size), histogram=histogram(sample),
        image_max=ImageMaxStats(
            mean=float(image_max.mean()), std=float(image_max.std(ddof=1)) if image_max.size > 1 else 0.0,
            quantiles={str(q): float(v) for q, v in zip(QUANTILES, np.quantile(image_max, QUANTILES))}))


def histogram(sample: np.ndarray, bins: int = 30) -> Histogram:
    """Counts of the sampled responses in equal bins from the smallest to the largest value."""
    low, high = float(sample.min()), float(sample.max())
    if high <= low:
        high = low + 1.0
    counts, _ = np.histogram(sample, bins=bins, range=(low, high))
    return Histogram(low=low, high=high, counts=[int(c) for c in counts])


def moderate(acc: LayerAccumulator, index: int, low: float, high: float, k: int) -> list[tuple[int, int, float]]:
    """Up to k (image, flat position, response) whose image maximum lies in [low, high] x the
    unit's top response, evenly spread over that band from its top (Argument 2's moderate stratum)."""
    maxima = acc.image_maxima(index)
    top = float(acc.top_values[index].max()) if acc.top_values.shape[1] else 0.0
    if top <= 0:
        return []
    band = np.flatnonzero((maxima >= low * top) & (maxima <= high * top))
    band = band[np.argsort(-maxima[band], kind="stable")]
    picks = band[np.unique(np.linspace(0, len(band) - 1, min(k, len(band))).round().astype(int))] if len(band) else []
    positions = acc.positions(index)
    return [(int(i), int(positions[i]), float(maxima[i])) for i in picks]
