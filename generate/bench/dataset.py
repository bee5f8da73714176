"""The dataset pass: against a plain forward pass over the same images, and at scale, where its
memory must not grow with the number of images (streaming top-k and statistics; each image's
maximum goes to a memory-mapped file, which shows as file-backed, not anonymous, memory)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from generate.bench.timing import MemorySampler, compare, peak_mb, reset_peak
from generate.config import ExemplarParams
from generate.data import ImageSet, SquareImages
from generate.models import LoadedModel
from generate.stages.dataset import scan_dataset

FOLDER_FILES = 1000  # generated images per sub-folder


def plain_vs_scan(model: LoadedModel, plain: torch.nn.Module, layer: str, images: ImageSet, batch: int,
                  repeats: int) -> list:
    """A plain whole-network forward pass over the images against the dataset stage's pass."""

    def plain_forward() -> None:
        loader = torch.utils.data.DataLoader(SquareImages(images, model.preprocess.input_size),
                                             batch_size=batch, num_workers=1)
        with torch.no_grad():
            for x in loader:
                plain(model.preprocess(x.to(model.device).float() / 255).contiguous())

    units = list(range(model.infos[layer].channels))
    return compare([
        ("plain forward pass (whole network)", len(images), plain_forward),
        (f"ours: cut after {layer}, top-k + stats of all {len(units)} units", len(images),
         lambda: scan_dataset(model, {layer: units}, images, ExemplarParams(batch=batch), False)),
    ], repeats)


def generated_images(folder: Path, count: int, side: int = 64, seed: int = 0) -> list[Path]:
    """`count` small random JPEGs under `folder` (smooth colour fields with noise, so each decodes
    like a photo, not a flat block), made once and reused while the folder is kept."""
    paths = [folder / f"{i // FOLDER_FILES:03d}" / f"{i:06d}.jpg" for i in range(count)]
    missing = [i for i, path in enumerate(paths) if not path.is_file()]
    rng = np.random.default_rng(seed)
    for i in tqdm(missing, desc="generating images", unit="img", disable=not missing):
        paths[i].parent.mkdir(parents=True, exist_ok=True)
        coarse = Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((side, side),
                                                                                          Image.BILINEAR)
        noisy = np.asarray(coarse, dtype=np.int16) + rng.integers(-24, 25, (side, side, 3))
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(paths[i], quality=85)
    return paths


def scale(model: LoadedModel, layer: str, counts: list[int], folder: Path | None, batch: int) -> None:
    """One dataset pass per count over that many generated images: images per second and memory."""
    keep = folder is not None
    folder = folder or Path(tempfile.mkdtemp(prefix="neuron-atlas-bench-images-"))
    try:
        paths = generated_images(folder, max(counts))
        units = list(range(model.infos[layer].channels))
        print(f"{'images':>8} {'s':>8} {'images/s':>9} {'peak anon MB':>13} {'peak file MB':>13} {'peak RSS MB':>12}")
        for count in counts:
            images = ImageSet(f"generated:{count}", tuple(paths[:count]))
            reset_peak()
            start = time.perf_counter()
            with MemorySampler() as memory:
                accumulators = scan_dataset(model, {layer: units}, images, ExemplarParams(batch=batch), True)
            seconds = time.perf_counter() - start
            for accumulator in accumulators.values():
                accumulator.close()
            print(f"{count:>8} {seconds:>8.1f} {count / seconds:>9.1f} {memory.anon_mb:>13.0f} "
                  f"{memory.file_mb:>13.0f} {peak_mb():>12.0f}", flush=True)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
