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
from generate.models.layers import PRE, capture, run_until
from generate.records import ReceptiveField


EFFECTIVE_MASS = 0.9  # the effective field is the centred square holding this share of the gradient


def _gradients(model: LoadedModel, layer: str, size: int, trials: int, seed: int):
    """Where the centre position's units look, at a given input size: the support of the input
    gradient (any unit) and the per-pixel gradient energy summed over units (by random-sign
    combinations of the channels, whose squared gradients add up to the channels' in expectation)."""
    spec = model.layer(layer)
    generator = torch.Generator().manual_seed(seed)
    support, energy = torch.zeros(size, size), torch.zeros(size, size)
    for _ in range(trials):
        x = torch.randn(1, 3, size, size, generator=generator).to(model.device).requires_grad_(True)
        with capture([spec], stop_after=spec) as acts:
            run_until(model.module, x)
        act = acts[layer + PRE]  # before any ReLU: every unit contributes, active or not
        cy, cx = act.shape[2] // 2, act.shape[3] // 2
        signs = (torch.randint(0, 2, (act.shape[1],), generator=generator) * 2 - 1).to(act)
        (act[0, :, cy, cx] * signs).sum().backward()
        grad = x.grad[0].cpu()
        support += grad.abs().sum(0)
        energy += (grad ** 2).sum(0)
    rows = torch.nonzero(support.sum(1) > 0).flatten()
    cols = torch.nonzero(support.sum(0) > 0).flatten()
    box = (int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1)
    return box, energy.sqrt(), (cy, cx), size / act.shape[2]


def _effective_side(magnitude: torch.Tensor, centre: tuple[float, float], limit: int) -> int:
    """Side of the smallest square centred on `centre` holding EFFECTIVE_MASS of `magnitude`."""
    total = float(magnitude.sum())
    rows = torch.arange(magnitude.shape[0], dtype=torch.float32)[:, None] + 0.5
    cols = torch.arange(magnitude.shape[1], dtype=torch.float32)[None, :] + 0.5
    distance = torch.maximum((rows - centre[0]).abs(), (cols - centre[1]).abs())  # Chebyshev: squares
    order = torch.argsort(distance.flatten())
    cumulative = torch.cumsum(magnitude.flatten()[order], 0)
    reach = int(torch.searchsorted(cumulative, torch.tensor(EFFECTIVE_MASS * total)).clamp(max=len(order) - 1))
    return min(limit, max(1, int(round(2 * float(distance.flatten()[order][reach])))))


def compute_receptive_field(model: LoadedModel, layer: str, trials: int = 4, seed: int = 0) -> ReceptiveField:
    """Measure at the model's input size; if the field touches the border, measure again on a
    larger input (the layers are convolutional) so that its true extent and centre show."""
    size = model.preprocess.input_size
    for scale in (1, 2, 4):
        (top, left, bottom, right), magnitude, (cy, cx), stride = _gradients(model, layer, size * scale, trials, seed)
        if top > 0 and left > 0 and bottom < size * scale and right < size * scale:
            break
    side = max(bottom - top, right - left)
    centre = ((top + bottom) / 2, (left + right) / 2)
    return ReceptiveField(
        size=side,
        stride=stride,
        offset_y=centre[0] - cy * stride,
        offset_x=centre[1] - cx * stride,
        input_size=size,
        effective_size=_effective_side(magnitude, centre, side),
    )
