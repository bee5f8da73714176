"""Hook points and activation capture.

A layer is a readable name bound to a module whose forward output (optionally transformed,
e.g. ReLU6 after a BatchNorm) is the activation tensor [N, C, H, W]. Capturing stops the
forward pass right after the deepest requested layer: the rest of the network is never run,
which is most of the speed-up of every stage.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn

from generate.records import LayerInfo


@dataclass(frozen=True)
class ChannelTail:
    """One channel per image of a layer, computed from an earlier layer's output: for a layer whose
    channel c depends on a single channel path from `source` (a depthwise convolution after a 1x1
    expansion), feature visualization runs the network to `source` and then only each image's own
    channel, not the whole block. `forward(x, channels)` takes `source`'s output [n, C, H, W] and
    each image's channel [n] and returns that channel's pre-activation [n, 1, H', W'], the numbers
    the layer itself computes there."""

    source: str
    forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class LayerSpec:
    name: str  # stable, readable, appears in URLs
    module: nn.Module
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None
    description: str = ""
    ceiling: float | None = None  # where the transform saturates (6 for ReLU6), for counting saturation
    tail: ChannelTail | None = None  # a cheaper way to one channel per image, where the model has one


PRE = ":pre"  # suffix of the pre-activation entry in `capture`'s dict


class _StopForward(Exception):
    """Raised by the hook of the deepest layer to cut the forward pass short."""


@contextlib.contextmanager
def capture(specs: list[LayerSpec], stop_after: LayerSpec | None = None) -> Iterator[dict[str, torch.Tensor]]:
    """Record the activations of `specs` into a dict while inside the block.

    If `stop_after` is given, the forward pass is aborted once that layer has run; call the
    model through `run_until` so the abort is swallowed.
    """
    acts: dict[str, torch.Tensor] = {}
    handles = []
    for spec in specs:
        def hook(module, inputs, output, spec=spec):
            acts[spec.name] = spec.transform(output) if spec.transform else output
            # The response every stage measures is the pre-activation: before our transform, or
            # the input of a hooked (not in-place) ReLU, which has no gradient where it is off.
            rectifier = isinstance(module, (nn.ReLU, nn.ReLU6)) and not module.inplace and inputs
            acts[spec.name + PRE] = inputs[0] if rectifier and spec.transform is None else output
            if stop_after is not None and spec.name == stop_after.name:
                raise _StopForward
        handles.append(spec.module.register_forward_hook(hook))
    try:
        yield acts
    finally:
        for handle in handles:
            handle.remove()


def run_until(model: nn.Module, x: torch.Tensor) -> None:
    """Forward pass that tolerates being cut short by `capture(stop_after=...)`."""
    with contextlib.suppress(_StopForward):
        model(x.contiguous(memory_format=torch.channels_last))


def probe_layers(
    model: nn.Module, candidates: list[LayerSpec], input_size: int
) -> dict[str, LayerInfo]:
    """Run one forward pass and keep the candidates that fire exactly once with a 4-D output.

    Modules called more than once per pass (a shared ReLU, say) have no single activation
    to show, so they are not offered as layers.
    """
    calls: dict[str, list[torch.Size]] = {spec.name: [] for spec in candidates}
    order: dict[str, int] = {}
    handles = []
    for spec in candidates:
        def hook(_module, _inputs, output, spec=spec):
            if isinstance(output, torch.Tensor):
                calls[spec.name].append(output.shape)
                order.setdefault(spec.name, len(order))
        handles.append(spec.module.register_forward_hook(hook))
    device = next(model.parameters()).device
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, input_size, input_size, device=device))
    finally:
        for handle in handles:
            handle.remove()
    infos = {}
    for spec in candidates:
        shapes = calls[spec.name]
        if len(shapes) == 1 and len(shapes[0]) == 4:
            _, c, h, w = shapes[0]
            infos[spec.name] = LayerInfo(spec.name, c, h, w, order[spec.name], spec.description)
    return dict(sorted(infos.items(), key=lambda item: item[1].order))


class _RedirectedReLU(torch.autograd.Function):
    """ReLU (or ReLU6) whose gradient, where the ordinary one vanishes for a whole image, still
    flows wherever it would raise the input (lucid's "redirected ReLU"): a unit silent at the start
    of feature visualization then gets a gradient instead of a blank grey image. `inplace`: clamp
    the input itself (see `rectifiers_in_place`) and keep the output for the backward pass."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, ceiling: float | None, inplace: bool = False) -> torch.Tensor:
        ctx.ceiling, ctx.inplace = ceiling, inplace
        if inplace:
            ctx.mark_dirty(x)
            y = x.clamp_(0, ceiling) if ceiling is not None else x.clamp_(min=0)
            ctx.save_for_backward(y)
            return y
        ctx.save_for_backward(x)
        return x.clamp(0, ceiling) if ceiling is not None else x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        # The input, or in place the clamped output: inside (0, ceiling) at the same places; the
        # output is 0 where the input is at most 0 (so an input of exactly 0.0, no longer told
        # apart, counts as dead there: it gets the redirected gradient only upwards).
        (x,) = ctx.saved_tensors
        # The ordinary gradient in one fused op (no bool masks, no copies of channels_last tensors).
        if ctx.ceiling is None:
            ordinary = torch.ops.aten.threshold_backward(grad, x, 0.0)
        else:
            ordinary = torch.ops.aten.hardtanh_backward(grad, x, 0.0, ctx.ceiling)
        vanished = _all_zero(ordinary).nonzero().squeeze(1)
        if len(vanished):
            # descent moves x by -grad: keep the gradient except where it pushes a dead input lower
            g = grad[vanished]
            dead = x[vanished] <= 0 if ctx.inplace else x[vanished] < 0
            ordinary[vanished] = g.masked_fill(dead & (g > 0), 0.0)
        return ordinary, None, None


def _all_zero(t: torch.Tensor) -> torch.Tensor:
    """Per image [N]: whether `t` is zero everywhere. Reads one row of each image first: an image
    with a non-zero there (nearly all of them) is settled without reading the rest."""
    dims = tuple(range(1, t.dim()))
    if t.dim() != 4:
        return ~t.any(dim=dims)
    zero = ~t[:, :, t.shape[2] // 2].any(dim=(1, 2))
    unsettled = zero.nonzero().squeeze(1)
    if len(unsettled):
        zero[unsettled] = ~t[unsettled].any(dim=dims)
    return zero


class RedirectedReLU(nn.Module):
    def __init__(self, ceiling: float | None, inplace: bool = False):
        super().__init__()
        self.ceiling, self.inplace = ceiling, inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _RedirectedReLU.apply(x, self.ceiling, self.inplace)


def _rectifiers(model: nn.Module, keep: tuple[nn.Module, ...]) -> list[tuple[nn.Module, str, nn.Module]]:
    """(owner, attribute, module) of every nn.ReLU / nn.ReLU6 of `model` but the modules in `keep`."""
    return [(owner, name, child) for owner in model.modules() for name, child in owner.named_children()
            if isinstance(child, (nn.ReLU, nn.ReLU6)) and not any(child is k for k in keep)]


@contextlib.contextmanager
def redirected_relus(model: nn.Module, keep: tuple[nn.Module, ...] = (), inplace: bool = False) -> Iterator[None]:
    """Swap every nn.ReLU / nn.ReLU6 of `model` (but the hooked modules in `keep`) for its
    redirected form while inside the block (`inplace`: see `rectifiers_in_place`)."""
    swapped = _rectifiers(model, keep)
    for owner, name, child in swapped:
        setattr(owner, name, RedirectedReLU(6.0 if isinstance(child, nn.ReLU6) else None, inplace))
    try:
        yield
    finally:
        for owner, name, child in swapped:
            setattr(owner, name, child)


@contextlib.contextmanager
def rectifiers_in_place(model: nn.Module, keep: tuple[nn.Module, ...] = (), enabled: bool = True) -> Iterator[None]:
    """Every nn.ReLU / nn.ReLU6 of `model` but `keep` clamps its input in place while inside the
    block: no new tensor per rectifier, about a tenth of a feature-visualization step on the CPU.
    Only for models whose rectifiers read a tensor nothing else reads (a convolution's output),
    and only in a forward pass cut at a hooked layer, before any rectifier could clamp the
    captured pre-activation (`LoadedModel.rectifiers_in_place` says which models qualify)."""
    changed = [child for _, _, child in _rectifiers(model, keep) if enabled and not child.inplace]
    for child in changed:
        child.inplace = True
    try:
        yield
    finally:
        for child in changed:
            child.inplace = False
