"""Receptive fields, computed from the network itself rather than guessed.

The gradient of one spatial position's activations (summed over channels) with respect to the
input is non-zero exactly on the pixels that can influence it. The bounding box of that
support, over a few random inputs (so that no dead ReLU hides part of it), is the receptive
field; its offset from the position times the stride maps any feature-map position to pixels.
Works for any architecture: padding, dilation and branches included.
"""

from __future__ import annotations

import torch

from generate.models.base import LoadedModel
from generate.models.layers import capture, run_until
from generate.records import ReceptiveField


def _support_box(model: LoadedModel, layer: str, size: int, trials: int, seed: int):
    """Bounding box of the input gradient of the centre position, at a given input size."""
    spec = model.layer(layer)
    generator = torch.Generator().manual_seed(seed)
    support = torch.zeros(size, size)
    for _ in range(trials):
        x = torch.randn(1, 3, size, size, generator=generator).to(model.device).requires_grad_(True)
        with capture([spec], stop_after=spec) as acts:
            run_until(model.module, x)
        act = acts[layer]
        cy, cx = act.shape[2] // 2, act.shape[3] // 2
        act[0, :, cy, cx].sum().backward()
        support += x.grad[0].abs().sum(0).cpu()
    rows = torch.nonzero(support.sum(1) > 0).flatten()
    cols = torch.nonzero(support.sum(0) > 0).flatten()
    box = (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    return box, (cy, cx), size / act.shape[2]


def compute_receptive_field(model: LoadedModel, layer: str, trials: int = 4, seed: int = 0) -> ReceptiveField:
    """Measure at the model's input size; if the field touches the border, measure again on a
    larger input (the layers are convolutional) so that its true extent and centre show."""
    size = model.preprocess.input_size
    for scale in (1, 2, 4):
        (top, left, bottom, right), (cy, cx), stride = _support_box(model, layer, size * scale, trials, seed)
        if top > 0 and left > 0 and bottom < size * scale and right < size * scale:
            break
    return ReceptiveField(
        size=max(bottom - top, right - left),
        stride=stride,
        offset_y=(top + bottom) / 2 - cy * stride,
        offset_x=(left + right) / 2 - cx * stride,
        input_size=size,
    )
