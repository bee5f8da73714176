"""Train the project's own small CNNs on CIFAR-10, so they can be put in an atlas.

A model is named by its settings (configs/cifar.yaml, one `TrainSettings` per entry) and lands
in `<store>/trained/<name>-<hash of settings>/`: weights.pt, settings.json, then metrics.json,
written last as the completion marker. A folder with metrics.json is reused, never retrained.

Recipe (the same for every model; RECIPE is part of the folder hash, bump it when it changes):
SGD with Nesterov momentum 0.9 and weight decay 5e-4 under a one-cycle learning-rate schedule
(peak `lr`), cross-entropy with label smoothing 0.1. SGD rather than Adam: the usual choice for
BatchNorm CNNs on CIFAR-10, and the one-cycle schedule leaves a single number to tune (`lr`).
Augmentation runs batched on tensors, not per image in DataLoader workers, which on two CPU
cores would cost more than the network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from generate.config import SHARED_CIFAR10
from generate.errors import AtlasError
from generate.models.cifar import (CIFAR10_MEAN, CIFAR10_STD, CLASSES, INPUT_SIZE, RECIPE, SmallCNN, TrainSettings,
                                   folder_settings, trained_folder)
from generate.store import atomic_write
from generate.store.stage_store import write_sealed

MOMENTUM, WEIGHT_DECAY, LABEL_SMOOTHING = 0.9, 5e-4, 0.1
EVAL_BATCH = 500


# ---------------------------------------------------------------- data

def _decode_split(root: Path, split: str, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image
    from generate.progress import progress_bar

    files = [(label, path) for label, name in enumerate(CLASSES)
             for path in sorted((root / split / name).glob("*.jpg"))]
    if not files:
        raise AtlasError(f"no CIFAR-10 images in {root / split}: expected {split}/<class>/*.jpg")
    images = np.empty((len(files), INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
    labels = np.empty(len(files), dtype=np.int64)
    for index, (label, path) in enumerate(progress_bar(files, desc=f"decoding CIFAR-10 {split}", unit="img",
                                                       disable=not progress, leave=False)):
        try:
            with Image.open(path) as image:
                array = np.asarray(image.convert("RGB"))
        except Exception as exc:  # PIL raises many types for broken files
            raise AtlasError(f"cannot read {path}: {exc}") from None
        if array.shape != images.shape[1:]:
            raise AtlasError(f"{path} is {array.shape[1]}x{array.shape[0]}, expected 32x32 like CIFAR-10")
        images[index], labels[index] = array, label
    return images, labels


def _fingerprint(root: Path) -> str:
    """Identity of the dataset folder: every file's path, size and mtime."""
    digest = hashlib.sha256(str(root.resolve()).encode())
    for path in sorted(root.rglob("*.jpg")):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}|{stat.st_size}|{int(stat.st_mtime)}\n".encode())
    return digest.hexdigest()[:12]


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def load_cifar10(root: Path | None, store_root: Path, progress: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'train': (uint8 [N,32,32,3], int64 [N]), 'test': ...}, decoded once and cached as .npy
    in `<store>/datasets/cifar10-<fingerprint>/` (about 180 MB) so later runs load in a second."""
    root = Path(root or SHARED_CIFAR10)
    missing = [split for split in ("train", "test") if not (root / split).is_dir()]
    if missing:
        raise AtlasError(f"CIFAR-10 not found at {root} (no {missing[0]}/ folder): expected "
                         f"train/<class>/*.jpg and test/<class>/*.jpg, e.g. ../shared/datasets/cifar10")
    found = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    if found != sorted(CLASSES):
        raise AtlasError(f"{root / 'train'} must hold one folder per CIFAR-10 class ({', '.join(CLASSES)}), "
                         f"found: {', '.join(found) or 'none'}")
    cache = Path(store_root) / "datasets" / f"cifar10-{_fingerprint(root)}"
    splits = {}
    for split in ("train", "test"):
        images_file, labels_file = cache / f"{split}-images.npy", cache / f"{split}-labels.npy"
        if images_file.is_file() and labels_file.is_file():
            splits[split] = (np.load(images_file), np.load(labels_file))
            continue
        images, labels = _decode_split(root, split, progress)
        atomic_write(images_file, _npy_bytes(images))
        atomic_write(labels_file, _npy_bytes(labels))  # written last: marks the split complete
        splits[split] = (images, labels)
    return splits


def _subset(count: int, settings: TrainSettings) -> np.ndarray:
    """Indices of the training images used: all, or a seeded random subset (sorted)."""
    if settings.subset is None or settings.subset >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(settings.seed).permutation(count)[:settings.subset])


# ---------------------------------------------------------------- training

def _normalise(batch: torch.Tensor) -> torch.Tensor:
    """uint8 [N,32,32,3] -> normalised float [N,3,32,32], channels_last."""
    mean = torch.tensor(CIFAR10_MEAN, device=batch.device).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD, device=batch.device).view(1, 3, 1, 1)
    x = batch.permute(0, 3, 1, 2).float().div_(255)
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


def augment_batch(x: torch.Tensor, mode: str, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips ('flip'), plus rotations by a uniform angle in [-180, 180)
    degrees ('rotation'). Random numbers come from a CPU generator, so a seed gives the same
    augmentation on every device. Rotated-in corners are 0, the dataset mean after normalising."""
    if mode == "none":
        return x
    n = x.shape[0]
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device).view(n, 1, 1, 1)
    x = torch.where(flip, x.flip(3), x)
    if mode == "rotation":
        angle = (torch.rand(n, generator=generator) * 2 - 1) * math.pi
        cos, sin, zero = angle.cos(), angle.sin(), torch.zeros(n)
        theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
        grid = nn.functional.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
        x = nn.functional.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return x.contiguous(memory_format=torch.channels_last)


def evaluate(model: nn.Module, images: np.ndarray, device: torch.device) -> np.ndarray:
    """Predicted class of every image (eval mode, no augmentation)."""
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, len(images), EVAL_BATCH):
            batch = torch.from_numpy(images[start:start + EVAL_BATCH]).to(device)
            predictions.append(model(_normalise(batch)).argmax(1).cpu())
    return torch.cat(predictions).numpy()


def _fit(settings: TrainSettings, images: np.ndarray, labels: np.ndarray, device: torch.device,
         progress: bool) -> tuple[SmallCNN, list[float], list[float]]:
    """Train from the seed; returns the model and each epoch's mean loss and accuracy."""
    from generate.progress import progress_bar

    torch.manual_seed(settings.seed)
    model = SmallCNN(settings).to(device, memory_format=torch.channels_last)
    generator = torch.Generator().manual_seed(settings.seed)  # shuffling and augmentation
    data = torch.from_numpy(images).to(device)
    targets = torch.from_numpy(labels).to(device)
    batch = min(settings.batch, len(data))
    steps = len(data) // batch  # the last partial batch is dropped: tiny batches upset BatchNorm
    optimiser = torch.optim.SGD(model.parameters(), lr=settings.lr, momentum=MOMENTUM, nesterov=True,
                                weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.lr,
                                                   total_steps=settings.epochs * steps, pct_start=0.25)
    losses, accuracies = [], []
    for epoch in range(settings.epochs):
        model.train()
        order = torch.randperm(len(data), generator=generator).to(device)
        loss_sum, correct, seen = 0.0, 0, 0
        bar = progress_bar(range(steps), desc=f"{settings.name} epoch {epoch + 1}/{settings.epochs}", unit="batch",
                           disable=not progress, leave=True, file=sys.stderr)
        for step in bar:
            index = order[step * batch:(step + 1) * batch]
            x = augment_batch(_normalise(data[index]), settings.augment, generator)
            y = targets[index]
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y, label_smoothing=LABEL_SMOOTHING)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_sum += loss.item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.1%}", refresh=False)
        losses.append(loss_sum / seen)
        accuracies.append(correct / seen)
    return model.eval(), losses, accuracies


@dataclass(frozen=True)
class TrainedModel:
    """A finished training: its settings, folder, metrics.json and the network (eval mode, CPU)."""

    settings: TrainSettings
    folder: Path
    metrics: dict[str, Any]
    reused: bool  # found complete in the store, not trained by this call
    model: SmallCNN = field(repr=False, compare=False)

    @property
    def weights(self) -> Path:
        return self.folder / "weights.pt"

    @property
    def test_accuracy(self) -> float:
        return float(self.metrics["test_accuracy"])

    @property
    def seconds(self) -> float:
        return float(self.metrics["seconds"])




def train(settings: TrainSettings, store_root: str | Path, device: str | torch.device = "cpu",
          progress: bool = True, data_root: str | Path | None = None) -> TrainedModel:
    """Train one model on CIFAR-10 (`data_root`, default ../shared/datasets/cifar10), measure
    its test accuracy and save it in the store; reuse it if the store already has it."""
    folder = trained_folder(settings, store_root)
    if (folder / "metrics.json").is_file():
        done = load_trained(folder)
        print(f"{settings.name}: already trained ({done.test_accuracy:.1%} test accuracy), reusing {folder}",
              file=sys.stderr)
        return done
    device = torch.device(device)
    splits = load_cifar10(Path(data_root) if data_root else None, Path(store_root), progress)
    train_images, train_labels = splits["train"]
    chosen = _subset(len(train_images), settings)
    start = time.perf_counter()
    model, losses, accuracies = _fit(settings, train_images[chosen], train_labels[chosen], device, progress)
    test_images, test_labels = splits["test"]
    predictions = evaluate(model, test_images, device)
    seconds = time.perf_counter() - start
    metrics = {
        "test_accuracy": float((predictions == test_labels).mean()),
        "class_accuracy": {name: float((predictions[test_labels == c] == c).mean()) if (test_labels == c).any()
                           else None for c, name in enumerate(CLASSES)},
        "train_loss": losses,
        "train_accuracy": accuracies,  # running, on augmented batches, while the weights changed
        "seconds": round(seconds, 1),  # training and test evaluation, not decoding the dataset
        "train_images": int(len(chosen)),
        "test_images": int(len(test_images)),
        "dataset": str(Path(data_root or SHARED_CIFAR10)),
        "device": str(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "recipe": {"version": RECIPE, "optimiser": "SGD nesterov", "momentum": MOMENTUM,
                   "weight_decay": WEIGHT_DECAY, "schedule": "one-cycle", "label_smoothing": LABEL_SMOOTHING},
        "preprocess": {"mean": list(CIFAR10_MEAN), "std": list(CIFAR10_STD), "input_size": INPUT_SIZE},
    }
    buffer = io.BytesIO()
    torch.save({k: v.cpu() for k, v in model.state_dict().items()}, buffer)
    # metrics.json last, with the checksums of the weights and settings: it marks the training complete
    write_sealed(folder / "metrics.json", metrics, {
        "weights.pt": buffer.getvalue(),
        "settings.json": json.dumps(dataclasses.asdict(settings), indent=1).encode()})
    # As load_trained gives it: on the CPU in the default memory format, so outputs match exactly.
    model = model.cpu().to(memory_format=torch.contiguous_format)
    return TrainedModel(settings, folder, metrics, reused=False, model=model)


def load_trained(folder: str | Path) -> TrainedModel:
    """A finished training from its folder, the network loaded on the CPU in eval mode."""
    folder = Path(folder)
    settings = folder_settings(folder)
    if not (folder / "metrics.json").is_file():
        raise AtlasError(f"{folder} is an unfinished training (no metrics.json)")
    model = SmallCNN(settings)
    model.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu", weights_only=True))
    metrics = json.loads((folder / "metrics.json").read_text())
    return TrainedModel(settings, folder, metrics, reused=True, model=model.eval())
