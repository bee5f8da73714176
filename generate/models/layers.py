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
class LayerSpec:
    name: str  # stable, readable, appears in URLs
    module: nn.Module
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None
    description: str = ""


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
        def hook(_module, _inputs, output, spec=spec):
            acts[spec.name] = spec.transform(output) if spec.transform else output
            acts[spec.name + PRE] = output  # before the transform, e.g. before ReLU6
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
    try:
        model(x.contiguous(memory_format=torch.channels_last))
    except _StopForward:
        pass


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
