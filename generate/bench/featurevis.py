"""Feature visualization against plain lucent, per unit.

Equal steps and size: lucent's `render_vis` one unit at a time, on the model as a user loads it
(weights requiring grad, BatchNorm unfolded, NCHW, the whole network run), against
`optimisation.visualize` as the atlas calls it (units batched, forward cut at the layer, each
image's own channel only in the layer's block where the model offers that, weights frozen,
BatchNorm folded, paddings inside the convolutions, NHWC, rectifiers clamping in place, lucent's
transforms with lucent's random draws in one resampling, glibc's allocator keeping freed memory):
the same channel objective, steps, canvas and transforms.
Reported apart, since its canvas is not lucent's: the neuron objective on a canvas the size of
the unit's effective receptive field (what the verdicts measure) against lucent's neuron
objective at 96 and 128 px. On CUDA, also the images under mixed precision against float32.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from generate.bench.timing import Measured, compare, print_rates
from generate.config import FeatureVisParams
from generate.models import LoadedModel, build_model
from generate.models.receptive_field import compute_receptive_field
from generate.stages.featurevis import neuron_canvas
from generate.stages.optimisation import CHANNEL, NEURON, visualize

LUCENT_PAD = 24  # lucent's standard transforms pad 12 px a side: both methods see canvas + 24 px


def plain_model(name: str, device: torch.device) -> torch.nn.Module:
    """The baseline model as a user loads it: nothing folded, weights requiring grad, NCHW."""
    return build_model(name)[0].module.to(device)


def lucent_layer_name(model: LoadedModel, layer: str) -> str:
    """lucent names every submodule by its path joined with '_'; our objective is on the
    pre-activation, i.e. the output of the module we hook."""
    module = model.layer(layer).module
    for name, sub in model.module.named_modules():
        if sub is module:
            return name.replace(".", "_")
    raise ValueError(layer)


def lucent_run(model: LoadedModel, plain: torch.nn.Module, layer: str, units: list[int], kind: str, size: int,
               steps: int) -> Callable[[], None]:
    """lucent's render_vis, one unit at a time. Its hooks stay on every module after each call
    (holding the last activations): removed after each, so no run pays for the ones before."""
    from lucent.optvis import objectives, param, render, transform

    name = lucent_layer_name(model, layer)
    objective = objectives.neuron if kind == NEURON else objectives.channel

    def run() -> None:
        for unit in units:
            try:
                render.render_vis(plain, objective(name, unit), lambda: param.image(size),
                                  transforms=transform.standard_transforms + [model.preprocess],
                                  thresholds=(steps,), preprocess=False, progress=False, show_image=False,
                                  fixed_image_size=size + LUCENT_PAD)
            finally:
                for module in plain.modules():
                    module._forward_hooks.clear()
    return run


def equal_size(model: LoadedModel, plain: torch.nn.Module, layer: str, units: list[int], lucent_units: int,
               steps: int, size: int, batch: int, repeats: int) -> list[Measured]:
    """lucent, ours one unit at a time, ours batched: channel objective, same steps and canvas."""
    few = units[:lucent_units]
    one, batched = (FeatureVisParams(size=size, steps=steps, batch=b) for b in (1, batch))
    return compare([
        ("lucent render_vis, 1 unit at a time", len(few), lucent_run(model, plain, layer, few, CHANNEL, size, steps)),
        ("ours, 1 unit at a time (cut, frozen, folded BN, NHWC)", len(few),
         lambda: visualize(model, layer, few, one)),
        (f"ours, {min(batch, len(units))} units per batch", len(units), lambda: visualize(model, layer, units, batched)),
    ], repeats)


def receptive_canvas(model: LoadedModel, plain: torch.nn.Module, layer: str, units: list[int],
                     lucent_units: int, steps: int, batch: int, margin: float,
                     repeats: int) -> tuple[int, list[Measured]]:
    """The neuron objective: ours on the effective-field canvas, lucent at 96 and 128 px."""
    canvas = neuron_canvas(compute_receptive_field(model, layer), margin)
    few = units[:lucent_units]
    params = FeatureVisParams(size=canvas, steps=steps, batch=batch)
    return canvas, compare([
        *[(f"lucent render_vis, neuron objective, {px} px", len(few),
           lucent_run(model, plain, layer, few, NEURON, px, steps)) for px in (96, 128)],
        (f"ours, neuron objective, effective-field canvas {canvas} px", len(units),
         lambda: visualize(model, layer, units, params, kind=NEURON, size=canvas)),
    ], repeats)


def precision_check(model: LoadedModel, layer: str, units: list[int], steps: int, size: int,
                    batch: int) -> None:
    """CUDA: each reduced precision against float32 on the same units: time and image change."""
    params = FeatureVisParams(size=size, steps=steps, batch=batch)
    reference = None
    print(f"{'precision':<10} {'s':>8} {'max |dpixel|':>13} {'mean |dpixel|':>14} {'objective change':>17}")
    for precision in ("float32", "bfloat16", "float16"):
        result: dict = {}
        (row,) = compare([(precision, len(units), lambda p=precision: result.update(
            visualize(model, layer, units, params, precision=p)))], 1)
        pixels = np.stack([result[u].images for u in units]).astype(int)
        objective = np.array([result[u].objective for u in units])
        if reference is None:
            reference = pixels, objective
        diff = np.abs(pixels - reference[0])
        change = np.abs(objective - reference[1]).max() / max(1e-9, np.abs(reference[1]).max())
        print(f"{precision:<10} {row.seconds:>8.2f} {diff.max():>13d} {diff.mean():>14.2f} {change:>16.1%}")


def run(args, model: LoadedModel, device: torch.device) -> None:
    units = list(range(args.units))
    for layer in args.layers:
        print(f"\nFeature visualization, equal steps and size: {layer}, channel objective, {args.steps} steps, "
              f"{args.size} px canvas (+{LUCENT_PAD} px pad)")
        rows = equal_size(model, plain_model(args.model, device), layer, units, args.lucent_units, args.steps,
                          args.size, args.batch, args.repeats)
        print_rates(rows, "units")
    layer = args.neuron_layer
    canvas, rows = receptive_canvas(model, plain_model(args.model, device), layer, units, args.lucent_units,
                                    args.steps, args.batch, FeatureVisParams().neuron_margin, args.repeats)
    print(f"\nNeuron objective on the effective-field canvas ({canvas} px) against lucent at 96 and 128 px: "
          f"{layer}, {args.steps} steps (NOT equal size: reported apart)")
    print_rates(rows, "units")
    if device.type == "cuda":
        print(f"\nMixed precision on CUDA: {args.layers[0]}, {len(units)} units, {args.steps} steps, {args.size} px")
        precision_check(model, args.layers[0], units, args.steps, args.size, args.batch)
