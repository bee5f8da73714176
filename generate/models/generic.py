"""Hook points of models the atlas knows nothing special about, and the families built on
them: torchvision classifiers from the local hub cache, and your own `package.module:factory`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from torch import nn

from generate.errors import AtlasError
from generate.models import register_model
from generate.models.base import Built, Preprocess, hub_checkpoint, load_state_dict
from generate.models.layers import LayerSpec

IMAGENET = Preprocess((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def module_paths(module: nn.Module) -> list[LayerSpec]:
    """Every named submodule; the probe keeps those that fire once with a 4-D output. Names
    are module paths, made URL-safe (they become folders and URLs of the site)."""
    return [LayerSpec(re.sub(r"[^A-Za-z0-9._-]+", "-", name), sub, None, type(sub).__name__,
                      6.0 if isinstance(sub, nn.ReLU6) else None)
            for name, sub in module.named_modules() if name]


@register_model("torchvision:", prefix=True)
def torchvision_model(arch: str, pretrained: bool, context) -> Built:
    """A torchvision classifier; its weights only from the local torch hub cache (no download)."""
    import torchvision

    try:
        builder = torchvision.models.get_model_builder(arch)
        weights_enum = torchvision.models.get_model_weights(arch).DEFAULT
    except (ValueError, KeyError):
        names = ", ".join(torchvision.models.list_models(module=torchvision.models))
        raise AtlasError(f"unknown torchvision classifier '{arch}'; valid: {names}") from None
    transforms = weights_enum.transforms()
    preprocess = Preprocess(tuple(transforms.mean), tuple(transforms.std), int(transforms.crop_size[0]))
    module = builder(weights=None)
    if pretrained:
        path = hub_checkpoint(Path(weights_enum.url).name)
        if not path.is_file():
            raise AtlasError(
                f"torchvision:{arch} weights are not in the local torch hub cache ({path}); "
                f"this tool never downloads: fetch {weights_enum.url} there first"
            )
        load_state_dict(module, path)
    return Built(module, preprocess, module_paths)


CUSTOM = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


@register_model(CUSTOM, pattern=True)
def custom_model(target: str, pretrained: bool, context) -> Built:
    """`package.module:factory`: factory() returns an nn.Module, or (module, {mean, std, input_size}).
    With @random:SEED the registry re-initialises what it returns."""
    module_name, _, factory_name = target.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as exc:
        raise AtlasError(f"cannot load model factory '{target}': {exc}") from None
    result = factory()
    module, pre_dict = result if isinstance(result, tuple) else (result, getattr(result, "atlas_preprocess", None))
    if not isinstance(module, nn.Module):
        raise AtlasError(f"model factory '{target}' must return an nn.Module, got {type(module).__name__}")
    preprocess = IMAGENET
    if pre_dict:
        preprocess = Preprocess(tuple(pre_dict.get("mean", IMAGENET.mean)), tuple(pre_dict.get("std", IMAGENET.std)),
                                int(pre_dict.get("input_size", 224)))
    return Built(module, preprocess, module_paths)
