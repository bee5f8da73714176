"""What every model family shares: preprocessing, the loaded model, weights hashing, random
re-initialisation and the small helpers the family files use. The registry (generate/models/
__init__.py) picks a family by name; each family file registers itself there."""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from generate.errors import AtlasError
from generate.models.layers import LayerSpec
from generate.records import LayerInfo

@dataclass(frozen=True)
class Preprocess:
    """Maps an image in [0, 1] to the model's input: (x - mean) / std at input_size pixels."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    input_size: int = 224

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(self.mean, device=x.device, dtype=x.dtype)[:, None, None]
        std = torch.tensor(self.std, device=x.device, dtype=x.dtype)[:, None, None]
        return (x - mean) / std


IMAGENET = Preprocess((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# EfficientNet-Lite was trained on (x*255 - 127) / 128. Measured on 200 imagenet-sample photos:
# 85% top-1 with this, 76% with the torchvision ImageNet normalisation.
TF_LITE = Preprocess((127 / 255,) * 3, (128 / 255,) * 3)
# lucid's InceptionV1 takes x*255 - 117.
INCEPTION = Preprocess((117 / 255,) * 3, (1 / 255,) * 3)


@dataclass
class LoadedModel:
    name: str  # as the user wrote it
    module: nn.Module
    preprocess: Preprocess
    weights_hash: str
    random_init: bool
    specs: dict[str, LayerSpec] = field(default_factory=dict)  # hookable layers, execution order
    infos: dict[str, LayerInfo] = field(default_factory=dict)
    weights_verified: bool | None = None  # the weights are the published file (None: nothing to check against)
    rectifiers_in_place: bool = False  # its ReLUs may clamp their input in place (layers.rectifiers_in_place)

    @property
    def slug(self) -> str:
        return model_slug(self.name)

    @property
    def key(self) -> str:
        """Store key: the name plus the weights' hash, so new weights never reuse old results."""
        return f"{self.slug}-{self.weights_hash[:12]}"

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def layer(self, name: str) -> LayerSpec:
        if name not in self.specs:
            raise AtlasError(
                f"unknown layer '{name}' for {self.name}; valid layers: {', '.join(self.specs)}"
            )
        return self.specs[name]


def model_slug(name: str) -> str:
    """URL- and path-safe form of a model name (efficientnet_lite0@random:1 -> efficientnet_lite0-random-1)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.replace("@", "-")).strip("-")


@dataclass
class Built:
    """A family's answer to a registry name: the architecture with its weights, as published."""

    module: nn.Module  # eval mode, nothing folded
    preprocess: Preprocess
    candidates: Callable[[nn.Module], list[LayerSpec]]  # hook points to probe
    prepare: Callable[[nn.Module], None] | None = None  # exact speed-up applied after hashing
    weights_verified: bool | None = None  # the weights file is the published one (None: no published hash)
    rectifiers_in_place: bool = False  # every ReLU reads a tensor nothing else reads (layers.rectifiers_in_place)


def quiet(fn: Callable, *args, **kwargs):
    # efficientnet_lite_pytorch prints to stdout while loading; keep stdout clean.
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold an eval-mode BatchNorm into the convolution before it (exact up to rounding)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight.data.mul_(scale.view(-1, 1, 1, 1))
    bias = conv.bias.data if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=False)


def hub_checkpoint(filename: str) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def load_state_dict(module: nn.Module, path: Path) -> None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    except Exception as exc:  # corrupt file, wrong architecture: one line, not a traceback
        raise AtlasError(f"cannot load weights from {path}: {str(exc).splitlines()[0]}") from None


def reinitialise(module: nn.Module, seed: int) -> None:
    """Fresh default initialisation of every parameter, BatchNorm statistics included."""
    torch.manual_seed(seed)
    for sub in module.modules():
        if hasattr(sub, "reset_parameters"):
            sub.reset_parameters()
        if hasattr(sub, "reset_running_stats"):
            sub.reset_running_stats()


def weights_hash(module: nn.Module) -> str:
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def parse_name(name: str) -> tuple[str, int | None]:
    """'base@random:SEED' -> (base, SEED); 'base' -> (base, None)."""
    base, sep, rest = name.partition("@")
    if not sep:
        return name, None
    match = re.fullmatch(r"random:(\d+)", rest)
    if not match:
        raise AtlasError(f"bad model suffix in '{name}': use NAME@random:SEED, e.g. efficientnet_lite0@random:0")
    return base, int(match.group(1))


def pick_device(requested: str | None) -> torch.device:
    """CUDA when present, CPU otherwise; an explicit request is honoured or refused clearly."""
    if requested in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise AtlasError("--device cuda requested but no CUDA device is available")
    if requested not in ("cpu", "cuda"):
        raise AtlasError(f"unknown device '{requested}'; use cpu or cuda")
    return torch.device(requested)
