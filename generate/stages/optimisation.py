"""Feature visualization by optimisation, built from lucent's parts and batched.

lucent's `param.image` (by default FFT spectrum + decorrelated colour) and its `channel` / `neuron` /
`diversity` objectives do the work, under lucent's standard transforms in one resampling
(generate/stages/transforms.py); what this module adds is batching (many units optimised at once,
one image, or one diversity group, per unit), a forward pass cut at the layer, the pre-activation
as the objective (no ReLU can block it) with lucid's redirected ReLU in the layers below, and
transforms scaled to small canvases. Every image's loss depends only on that image and Adam
updates each parameter independently, so a batch computes what one-at-a-time runs would compute
under the same random transforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from lucent.optvis import objectives, param
from tqdm import tqdm

from generate.config import FeatureVisParams
from generate.models import LoadedModel
from generate.models.layers import PRE, LayerSpec, capture, redirected_relus, run_until
from generate.stages.transforms import Transforms

_LAYER = "layer"  # lucent objectives look activations up by name; we hand them one tensor
CHANNEL, NEURON = "channel", "neuron"
REDIRECT_STEPS = 32  # optimisation steps with redirected ReLU gradients
# Forward-pass precisions on CUDA (autocast); the optimised image, the loss and the final
# objective stay float32. The atlas uses float32; `make bench` on CUDA compares the others.
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class Visualization:
    images: np.ndarray  # [n, H, W, 3] uint8: one image, or the diversity set
    objective: float  # the objective's pre-activation on the final image(s), framed as in the steps (no random draw)


def _loss(acts: torch.Tensor, channels: torch.Tensor, kind: str, sign: float, group: int,
          diversity_weight: float) -> torch.Tensor:
    """The summed loss of every unit in the batch, in one indexing op (as lucent's `channel` /
    `neuron` objectives, negated, on each unit's images), plus lucent's diversity term per unit."""
    images = torch.arange(acts.shape[0], device=acts.device)
    if kind == NEURON:
        values = acts[images, channels, acts.shape[2] // 2, acts.shape[3] // 2]
    else:
        values = acts[images, channels].mean(dim=(1, 2))
    loss = -sign * values.view(-1, group).mean(dim=1).sum()
    if group > 1:
        diversity = objectives.diversity(_LAYER)
        for start in range(0, acts.shape[0], group):
            loss = loss - diversity_weight * diversity(lambda _name, s=start: acts[s:s + group])
    return loss


def visualize(model: LoadedModel, layer: str, units: list[int], params: FeatureVisParams, sign: float = 1.0,
              group: int = 1, progress: tqdm | None = None, kind: str = CHANNEL,
              size: int | None = None, precision: str = "float32") -> dict[int, Visualization]:
    """Optimise `group` images per unit (sign -1: the negative direction), `params.batch` units at a
    time; `kind` neuron: the unit at the centre of the feature map of a `size` px canvas;
    `precision`: of the forward pass on CUDA (see PRECISIONS)."""
    spec = model.layer(layer)
    results: dict[int, Visualization] = {}
    per_batch = max(1, params.batch // group)
    for start in range(0, len(units), per_batch):
        chunk = units[start:start + per_batch]
        np.random.seed(params.seed)  # lucent's jitter/scale/rotate draw from numpy
        images = _optimise(model, spec, chunk, params, sign, group, progress, kind, size or params.size,
                           PRECISIONS[precision] if model.device.type == "cuda" else None)
        results.update(zip(chunk, images))
    return results


def _value(acts: torch.Tensor, unit: int, kind: str) -> torch.Tensor:
    """What the objective reads of each image: the channel's mean, or the centre position."""
    if kind == NEURON:
        return acts[:, unit, acts.shape[2] // 2, acts.shape[3] // 2]
    return acts[:, unit].mean(dim=(1, 2))


def _optimise(model: LoadedModel, spec: LayerSpec, chunk: list[int], params: FeatureVisParams, sign: float,
              group: int, progress: tqdm | None, kind: str, size: int,
              autocast: torch.dtype | None = None) -> list[Visualization]:
    n = len(chunk) * group
    # lucent places its parameters on CUDA when present, as pick_device() does for the model.
    parameters, image_f = param.image(size, batch=n, fft=params.fft, decorrelate=params.decorrelate)
    _seed_per_unit(parameters[0], chunk, group, params.seed)
    optimizer = torch.optim.Adam(parameters, lr=params.lr)
    augment = Transforms.for_canvas(size)
    channels = torch.tensor(chunk, device=parameters[0].device).repeat_interleave(group)

    def responses(images: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        with torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None), \
                capture([spec], stop_after=spec) as acts:
            run_until(model.module, model.preprocess(images))
        return acts[spec.name + PRE].float()  # the pre-activation: no ReLU(6) of the unit itself blocks it

    def step() -> None:
        optimizer.zero_grad()
        acts = responses(augment(image_f()), autocast)
        _loss(acts, channels, kind, sign, group, params.diversity_weight).backward()
        optimizer.step()
        if progress is not None:
            progress.update(len(chunk))

    # Redirected ReLUs in the first steps only: they rescue a unit silent at the start; once it
    # responds, ordinary gradients flow (and cost less).
    with redirected_relus(model.module, keep=(spec.module,)):
        for _ in range(min(params.steps, REDIRECT_STEPS)):
            step()
    for _ in range(params.steps - min(params.steps, REDIRECT_STEPS)):
        step()
    with torch.no_grad():
        final = image_f()
        acts = responses(augment.framed(final))  # where the steps drove it (Transforms.framed)
    pixels = (final.permute(0, 2, 3, 1).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)
    return [Visualization(images=pixels[i * group:(i + 1) * group],
                          objective=float(_value(acts[i * group:(i + 1) * group], unit, kind).mean()))
            for i, unit in enumerate(chunk)]


def _seed_per_unit(spectrum: torch.Tensor, chunk: list[int], group: int, seed: int) -> None:
    """Start each unit from noise drawn from its own seed (lucent's scale, 0.01), so a unit's
    image does not depend on which other units share its batch."""
    with torch.no_grad():
        for i, unit in enumerate(chunk):
            generator = torch.Generator().manual_seed(seed * 1_000_003 + unit)
            for j in range(group):
                noise = torch.randn(spectrum.shape[1:], generator=generator) * 0.01
                spectrum[i * group + j] = noise.to(spectrum.device)
