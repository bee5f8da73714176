"""Feature visualization by optimisation, built from lucent's parts and batched.

lucent's image parameterisation (by default FFT spectrum + decorrelated colour) and its `channel` /
`neuron` / `diversity` objectives do the work, under lucent's standard transforms in one resampling
(generate/stages/transforms.py); what this module adds is batching (many units optimised at once,
one image, or one diversity group, per unit), a forward pass cut at the layer (and, where the
model offers a layer's `ChannelTail`, only each image's own channel in the layer's block), the
pre-activation as the objective (no ReLU can block it) with lucid's redirected ReLU in the layers
below, rectifiers clamping in place where the model allows it, and transforms scaled to small
canvases. Every image's loss depends only on that image and Adam
updates each parameter independently, so a batch computes what one-at-a-time runs would compute
under the same random transforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from lucent.optvis import objectives
from lucent.optvis.param import color, spatial
from tqdm import tqdm

from generate.config import FeatureVisParams
from generate.models import LoadedModel
from generate.models.layers import PRE, LayerSpec, capture, rectifiers_in_place, redirected_relus, run_until
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


def _own(acts: torch.Tensor, channels: torch.Tensor) -> torch.Tensor:
    """[n, H, W]: each image's own unit's map, from the whole layer [n, C, H, W] in one indexing op,
    or from a layer's tail, which computed that channel alone [n, 1, H, W]."""
    if acts.shape[1] == 1:
        return acts[:, 0]
    return acts[torch.arange(acts.shape[0], device=acts.device), channels]


def _values(own: torch.Tensor, kind: str) -> torch.Tensor:
    """What the objective reads of each image's map: the centre position, or the channel's mean."""
    if kind == NEURON:
        return own[:, own.shape[1] // 2, own.shape[2] // 2]
    return own.mean(dim=(1, 2))


def _loss(acts: torch.Tensor, channels: torch.Tensor, kind: str, sign: float, group: int,
          diversity_weight: float) -> torch.Tensor:
    """The summed loss of every unit in the batch (as lucent's `channel` / `neuron` objectives,
    negated, on each unit's images), plus lucent's diversity term per unit."""
    loss = -sign * _values(_own(acts, channels), kind).view(-1, group).mean(dim=1).sum()
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
        # lucent's jitter/scale/rotate draws: the sequence numpy's global generator, seeded so, gives
        draws = np.random.RandomState(params.seed)
        images = _optimise(model, spec, chunk, params, sign, group, progress, kind, size or params.size, draws,
                           PRECISIONS[precision] if model.device.type == "cuda" else None)
        results.update(zip(chunk, images))
    return results


def _optimise(model: LoadedModel, spec: LayerSpec, chunk: list[int], params: FeatureVisParams, sign: float,
              group: int, progress: tqdm | None, kind: str, size: int, draws: np.random.RandomState,
              autocast: torch.dtype | None = None) -> list[Visualization]:
    n = len(chunk) * group
    # lucent places its parameters on CUDA when present, as pick_device() does for the model.
    parameters, image_f = _image(size, n, params.fft, params.decorrelate)
    _seed_per_unit(parameters[0], chunk, group, params.seed)
    optimizer = torch.optim.Adam(parameters, lr=params.lr)
    augment = Transforms.for_canvas(size)
    channels = torch.tensor(chunk, device=parameters[0].device).repeat_interleave(group)

    # Where the model offers one, each image's own channel through the layer's tail, not the whole
    # layer; not for diversity, whose term compares every channel of a unit's images.
    tail = spec.tail if group == 1 else None
    stop = model.layer(tail.source) if tail is not None else spec

    def responses(images: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        with torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None):
            with capture([stop], stop_after=stop) as acts:
                run_until(model.module, model.preprocess(images))
            if tail is not None:
                return tail.forward(acts[stop.name], channels).float()
        return acts[spec.name + PRE].float()  # the pre-activation: no ReLU(6) of the unit itself blocks it

    def step() -> None:
        optimizer.zero_grad()
        acts = responses(augment(image_f(), draws), autocast)
        _loss(acts, channels, kind, sign, group, params.diversity_weight).backward()
        optimizer.step()
        if progress is not None:
            progress.update(len(chunk))

    # Redirected ReLUs in the first steps only: they rescue a unit silent at the start; once it
    # responds, ordinary gradients flow (and cost less).
    keep, inplace = (spec.module,), model.rectifiers_in_place
    with redirected_relus(model.module, keep, inplace):
        for _ in range(min(params.steps, REDIRECT_STEPS)):
            step()
    with rectifiers_in_place(model.module, keep, inplace):
        for _ in range(params.steps - min(params.steps, REDIRECT_STEPS)):
            step()
    with torch.no_grad():
        final = image_f()
        values = _values(_own(responses(augment.framed(final)), channels), kind)  # where the steps drove it
    pixels = (final.permute(0, 2, 3, 1).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)
    return [Visualization(images=pixels[i * group:(i + 1) * group],
                          objective=float(values[i * group:(i + 1) * group].mean()))
            for i, unit in enumerate(chunk)]


def _image(size: int, n: int, fft: bool, decorrelate: bool) -> tuple[list[torch.Tensor], Callable[[], torch.Tensor]]:
    """lucent's `param.image`: its FFT (or pixel) parameterisation and its colour decorrelation
    matrix, then a sigmoid. lucent applies the 3x3 matrix as a batched matmul over every pixel row
    ([n*H, W, 3] @ [3, 3]), which costs more than the FFT; as one [3, 3] @ [n, 3, H*W] product
    it is the same map, over ten times cheaper (forward and backward)."""
    parameters, image_f = (spatial.fft_image if fft else spatial.pixel_image)([n, 3, size, size])
    matrix = torch.tensor(color.color_correlation_normalized, device=parameters[0].device)

    def rgb() -> torch.Tensor:
        image = image_f()
        if decorrelate:
            image = (matrix @ image.flatten(2)).view_as(image)
        return torch.sigmoid(image)
    return parameters, rgb


def _seed_per_unit(spectrum: torch.Tensor, chunk: list[int], group: int, seed: int) -> None:
    """Start each unit from noise drawn from its own seed (lucent's scale, 0.01), so a unit's
    image does not depend on which other units share its batch."""
    with torch.no_grad():
        for i, unit in enumerate(chunk):
            generator = torch.Generator().manual_seed(seed * 1_000_003 + unit)
            for j in range(group):
                noise = torch.randn(spectrum.shape[1:], generator=generator) * 0.01
                spectrum[i * group + j] = noise.to(spectrum.device)
