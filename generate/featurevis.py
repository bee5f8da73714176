"""Feature visualization stage, built from lucent's parts.

lucent's `param.image` (by default FFT spectrum + decorrelated colour), `transform.standard_transforms`
and its `channel` / `diversity` objectives do the work; what this module adds is batching:
many channels are optimised at once, one image (or one group, for diversity) per channel, and
the forward pass stops at the layer being visualised. Because every image's loss depends only
on that image, and Adam updates each parameter independently, a batch computes what one-at-a-
time runs would compute under the same random transforms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
import numpy as np
import torch
from lucent.optvis import objectives, param, transform
from tqdm import tqdm

from generate.config import FeatureVisParams
from generate.layers import PRE, capture, run_until
from generate.models import LoadedModel

_LAYER = "layer"  # lucent objectives look activations up by name; we hand them one tensor


@dataclass
class Visualization:
    images: np.ndarray  # [n, H, W, 3] uint8: one image, or the diversity set
    objective: float  # mean activation (after the layer's ReLU) on the final image(s), no transforms


def _objective(unit: int, sign: float, group: int, diversity_weight: float) -> objectives.Objective:
    objective = sign * objectives.channel(_LAYER, unit)
    if group > 1:
        objective = objective - diversity_weight * objectives.diversity(_LAYER)
    return objective


def visualize(
    model: LoadedModel,
    layer: str,
    units: list[int],
    params: FeatureVisParams,
    sign: float = 1.0,
    group: int = 1,
    progress: tqdm | None = None,
) -> dict[int, Visualization]:
    """Optimise `group` images per unit (sign -1: the negative direction), `params.batch` units at a time."""
    spec = model.layer(layer)
    results: dict[int, Visualization] = {}
    per_batch = max(1, params.batch // group)
    for start in range(0, len(units), per_batch):
        chunk = units[start:start + per_batch]
        np.random.seed(params.seed)  # lucent's jitter/scale/rotate draw from numpy
        images = _optimise(model, spec, chunk, params, sign, group, progress)
        for i, unit in enumerate(chunk):
            results[unit] = images[i]
    return results


def _optimise(model, spec, chunk, params, sign, group, progress) -> list[Visualization]:
    n = len(chunk) * group
    # lucent places its parameters on CUDA when present, as pick_device() does for the model.
    parameters, image_f = param.image(params.size, batch=n, fft=params.fft, decorrelate=params.decorrelate)
    _seed_per_unit(parameters[0], chunk, group, params.seed)
    optimizer = torch.optim.Adam(parameters, lr=params.lr)
    augment = transform.compose(transform.standard_transforms)
    losses = [_objective(u, sign, group, params.diversity_weight) for u in chunk]

    def activations(images: torch.Tensor, pre: bool) -> torch.Tensor:
        with capture([spec], stop_after=spec) as acts:
            run_until(model.module, model.preprocess(images))
        return acts[spec.name + PRE] if pre else acts[spec.name]

    for _ in range(params.steps):
        optimizer.zero_grad()
        # Optimise the pre-activation: a ReLU(6) has no gradient where it is off or saturated.
        acts = activations(augment(image_f()), pre=True)
        loss = sum(
            objective(lambda _name, i=i: acts[i * group:(i + 1) * group])
            for i, objective in enumerate(losses)
        )
        loss.backward()
        optimizer.step()
        if progress is not None:
            progress.update(len(chunk))
    with torch.no_grad():
        final = image_f()
        acts = activations(final, pre=False)
    pixels = (final.permute(0, 2, 3, 1).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)
    return [
        Visualization(
            images=pixels[i * group:(i + 1) * group],
            objective=float(acts[i * group:(i + 1) * group, unit].mean()),
        )
        for i, unit in enumerate(chunk)
    ]


def _seed_per_unit(spectrum: torch.Tensor, chunk: list[int], group: int, seed: int) -> None:
    """Start each unit from noise drawn from its own seed (lucent's scale, 0.01), so a unit's
    image does not depend on which other units share its batch."""
    with torch.no_grad():
        for i, unit in enumerate(chunk):
            generator = torch.Generator().manual_seed(seed * 1_000_003 + unit)
            for j in range(group):
                noise = torch.randn(spectrum.shape[1:], generator=generator) * 0.01
                spectrum[i * group + j] = noise.to(spectrum.device)


def stage_params(params: FeatureVisParams, model: LoadedModel) -> dict:
    """Everything that determines the result (the store key)."""
    values = asdict(params)
    parameterisation = ("fft" if values.pop("fft") else "pixel") + ("+decorrelate" if values.pop("decorrelate") else "")
    return {"stage": "featurevis", "version": 2, **values, "preprocess": asdict(model.preprocess),
            "transforms": "lucent.standard_transforms", "param": parameterisation}

