"""The project's small CIFAR-10 CNNs (`cifar:NAME`): their settings, architecture and where a
finished training lies. Training itself is `python -m generate train` (generate/train.py).

A model is named by its settings (configs/cifar.yaml, one `TrainSettings` per entry) and lands
in `<store>/trained/<name>-<hash of settings>/`: weights.pt, settings.json, then metrics.json,
written last as the completion marker.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from generate.config import REPO_ROOT, read_yaml
from generate.errors import AtlasError
from generate.models import register_model
from generate.models.base import Built, Preprocess, load_state_dict
from generate.models.generic import module_paths
from generate.store import params_hash
from generate.store.integrity import problem, sums_path

DEFAULT_SETTINGS = REPO_ROOT / "configs" / "cifar.yaml"
DEFAULT_STORE = Path("store")  # relative to the current directory, as for the atlas
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# Per-channel statistics of the CIFAR-10 training images (the values commonly used with it).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
INPUT_SIZE = 32
AUGMENTS = ("none", "flip", "rotation")
RECIPE = 1
_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class TrainSettings:
    """One CIFAR-10 model: architecture, augmentation and optimisation."""

    name: str  # letters, digits, '_', '.', '-': becomes a folder and part of `cifar:NAME`
    width: int = 32  # channels of conv1, doubled every 2 conv layers
    depth: int = 4  # conv layers; a 2x2 max-pool after every second one but the last
    kernel: int = 3  # odd kernel size of every conv
    augment: str = "flip"  # none | flip (horizontal) | rotation (uniform +-180 degrees, plus flips)
    seed: int = 0
    epochs: int = 5
    batch: int = 128
    lr: float = 0.1  # peak learning rate of the one-cycle schedule
    subset: int | None = None  # training images used (a seeded random subset); None: all 50,000

    @property
    def digest(self) -> str:
        """Hash of every setting and the recipe version: names the trained folder."""
        return params_hash({**dataclasses.asdict(self), "recipe": RECIPE})

    @property
    def folder_name(self) -> str:
        return f"{self.name}-{self.digest}"



def _allowed(annotation: Any) -> tuple[type, ...]:
    """`int | None` -> (int, NoneType); `str` -> (str,)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return typing.get_args(annotation)
    return (annotation,)


def settings_from_dict(data: Any, where: str) -> TrainSettings:
    """Validate one mapping (YAML entry or settings.json) into TrainSettings; one-line errors."""
    if not isinstance(data, dict):
        raise AtlasError(f"{where} must be a mapping of settings, got {type(data).__name__}")
    hints = typing.get_type_hints(TrainSettings)
    unknown = sorted(set(data) - set(hints))
    if unknown:
        raise AtlasError(f"unknown key(s) {', '.join(map(str, unknown))} in {where}; valid: {', '.join(hints)}")
    if "name" not in data:
        raise AtlasError(f"{where}: 'name' is required")
    values = {}
    for key, value in data.items():
        allowed = _allowed(hints[key])
        if float in allowed and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
            raise AtlasError(f"{where}.{key} must be {names}, got {value!r}")
        values[key] = value
    settings = TrainSettings(**values)
    checks = [
        ("name", not _NAME.fullmatch(settings.name), "must use only letters, digits, '_', '.', '-'"),
        ("width", settings.width < 1, "must be at least 1"),
        ("depth", settings.depth < 1, "must be at least 1"),
        ("kernel", settings.kernel < 1 or settings.kernel % 2 == 0, "must be odd, e.g. 3 or 5"),
        ("augment", settings.augment not in AUGMENTS, f"must be one of {', '.join(AUGMENTS)}"),
        ("seed", settings.seed < 0, "must not be negative"),
        ("epochs", settings.epochs < 1, "must be at least 1"),
        ("batch", settings.batch < 2, "must be at least 2 (BatchNorm)"),
        ("lr", settings.lr <= 0, "must be positive"),
        ("subset", settings.subset is not None and settings.subset < 2, "must be at least 2, or null for all"),
    ]
    for key, bad, message in checks:
        if bad:
            raise AtlasError(f"{where}.{key} {message}, got {getattr(settings, key)!r}")
    return settings


def load_settings(path: str | Path | None = None) -> dict[str, TrainSettings]:
    """Read a settings file (a YAML list of mappings); name -> settings, in file order."""
    path = Path(path or DEFAULT_SETTINGS)
    data = read_yaml(path, "training settings file")
    if not isinstance(data, list) or not data:
        raise AtlasError(f"{path} must be a non-empty YAML list of training settings")
    found: dict[str, TrainSettings] = {}
    for index, entry in enumerate(data):
        settings = settings_from_dict(entry, f"{path.name}[{index}]")
        if settings.name in found:
            raise AtlasError(f"{path.name}[{index}]: duplicate name '{settings.name}'")
        found[settings.name] = settings
    return found



class SmallCNN(nn.Module):
    """conv -> BatchNorm -> ReLU blocks with max-pooling, global average pool, linear.

    Every module is a named attribute of `features` (conv1, bn1, relu1, pool1, ...), each
    called once per pass, so the atlas offers readable layers such as `features.relu2`.
    """

    def __init__(self, settings: TrainSettings, classes: int = len(CLASSES)):
        super().__init__()
        blocks: OrderedDict[str, nn.Module] = OrderedDict()
        channels = 3
        for i in range(1, settings.depth + 1):
            out = settings.width * 2 ** ((i - 1) // 2)
            # No conv bias: the BatchNorm after it has one.
            blocks[f"conv{i}"] = nn.Conv2d(channels, out, settings.kernel, padding=settings.kernel // 2, bias=False)
            blocks[f"bn{i}"] = nn.BatchNorm2d(out)
            blocks[f"relu{i}"] = nn.ReLU()
            if i % 2 == 0 and i < settings.depth:
                blocks[f"pool{i // 2}"] = nn.MaxPool2d(2)
            channels = out
        self.features = nn.Sequential(blocks)
        self.classifier = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean(dim=(2, 3)))


def trained_folder(settings: TrainSettings, store_root: str | Path) -> Path:
    return Path(store_root) / "trained" / settings.folder_name


def _completed(store_root: Path, name: str) -> list[Path]:
    """Finished trainings of `name` in the store, whatever their settings."""
    return sorted(p.parent for p in (store_root / "trained").glob(f"{name}-*/metrics.json")
                  if re.fullmatch(r"[0-9a-f]{12}", p.parent.name[len(name) + 1:]))


def folder_settings(folder: Path) -> TrainSettings:
    path = folder / "settings.json"
    if not path.is_file():
        raise AtlasError(f"{folder} is not a trained CIFAR-10 model folder (no settings.json)")
    return settings_from_dict(json.loads(path.read_text()), str(path))


def _finished(folder: Path) -> bool:
    """A training whose metrics.json (the completion marker) and the files it vouches for are intact."""
    metrics = folder / "metrics.json"
    return metrics.is_file() and (not sums_path(metrics).is_file() or problem(metrics) is None)


def locate(name: str, weights: str | None = None, store_root: str | Path | None = None,
           need_weights: bool = True) -> tuple[TrainSettings, Path | None]:
    """Settings and weights file of `cifar:NAME`.

    `weights` (a trained folder or its weights.pt) wins; else the settings of NAME in
    configs/cifar.yaml and their folder in the store; else, for a name not in that file, the
    one trained folder of that name in the store. The weights file is None when not needed
    (a random-init control needs only the architecture).
    """
    store_root = Path(store_root or DEFAULT_STORE)
    if not _NAME.fullmatch(name):
        raise AtlasError(f"bad CIFAR-10 model name 'cifar:{name}': use letters, digits, '_', '.', '-'")
    if weights:
        path = Path(weights)
        folder = path if path.is_dir() else path.parent
        if not path.exists():
            raise AtlasError(f"weights for cifar:{name} not found: {path}")
        settings = folder_settings(folder)
        if settings.name != name:
            raise AtlasError(f"{folder} holds the trained model '{settings.name}', not '{name}'")
        file = path if path.is_file() else folder / "weights.pt"
        if need_weights and not _finished(folder):
            raise AtlasError(f"{folder} is an unfinished or damaged training: rerun "
                             f"`python -m generate train --name {name}`")
        return settings, file if need_weights else None
    listed = load_settings(DEFAULT_SETTINGS) if DEFAULT_SETTINGS.is_file() else {}
    completed = _completed(store_root, name)
    if name in listed:
        settings = listed[name]
        folder = trained_folder(settings, store_root)
        if not need_weights:
            return settings, None
        if _finished(folder):
            return settings, folder / "weights.pt"
        others = f"; or set weights: to a trained folder of it: {', '.join(map(str, completed))}" if completed else ""
        raise AtlasError(f"cifar:{name} is not trained yet: run `python -m generate train --name {name}`{others}")
    if len(completed) == 1:
        return folder_settings(completed[0]), completed[0] / "weights.pt" if need_weights else None
    if len(completed) > 1:
        raise AtlasError(f"cifar:{name} has {len(completed)} trained folders in {store_root / 'trained'}: "
                         f"set weights: to one of {', '.join(p.name for p in completed)}")
    raise AtlasError(f"unknown CIFAR-10 model '{name}': not in {DEFAULT_SETTINGS.name} "
                     f"({', '.join(listed) or 'no settings'}) and not trained in {store_root / 'trained'}")


@register_model("cifar:", prefix=True)
def build(name: str, pretrained: bool, context) -> Built:
    """A SmallCNN from its training settings; its trained weights unless a random init is wanted."""
    settings, path = locate(name, context.weights, context.store_root, need_weights=pretrained)
    module = SmallCNN(settings)
    if path is not None:
        load_state_dict(module, path)
    return Built(module, Preprocess(CIFAR10_MEAN, CIFAR10_STD, INPUT_SIZE), module_paths)
