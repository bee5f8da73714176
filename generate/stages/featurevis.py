"""Feature visualization stage, built from lucent's parts.

lucent's `param.image` (by default FFT spectrum + decorrelated colour), `transform.standard_transforms`
and its `channel` / `diversity` objectives do the work; what this module adds is batching:
many channels are optimised at once, one image (or one group, for diversity) per channel, and
the forward pass stops at the layer being visualised. Because every image's loss depends only
on that image, and Adam updates each parameter independently, a batch computes what one-at-a-
time runs would compute under the same random transforms.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from lucent.optvis import objectives, param, transform
from PIL import Image
from tqdm import tqdm

from generate.config import AtlasConfig, FeatureVisParams
from generate.models import LoadedModel
from generate.models.layers import PRE, capture, run_until
from generate.records import FeatureVisImages, FeatureVisRecord
from generate.stages.base import Context, Stage, Target

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


class FeatureVisStage(Stage):
    """Feature visualizations (and per its params the negative and diversity sets) for the units
    that have none yet: by default the atlas's own, for every unit."""

    name, version = "featurevis", 2

    def __init__(self, params: FeatureVisParams | None = None):
        self.params = params  # None: the config's

    def settings(self, ctx: Context) -> FeatureVisParams:
        return self.params or ctx.config.featurevis

    def parameters(self, ctx: Context, target: Target, layer: str) -> dict:
        values = asdict(self.settings(ctx))
        parameterisation = ("fft" if values.pop("fft") else "pixel") + ("+decorrelate" if values.pop("decorrelate") else "")
        return {**values, "preprocess": asdict(target.model.preprocess), "transforms": "lucent.standard_transforms",
                "param": parameterisation}

    def run(self, ctx: Context, target: Target, layer_units: dict[str, list[int]] | None = None) -> None:
        params = self.settings(ctx)
        passes = [("positive", 1.0, 1)]
        if params.negative:
            passes.append(("negative", -1.0, 1))
        if params.diversity > 1:
            passes.append(("diversity", 1.0, params.diversity))
        missing = ctx.missing(self, target, layer_units)
        total = sum(len(units) for units in missing.values()) * params.steps * sum(g for _, _, g in passes)
        if not total:
            return
        with tqdm(total=total, desc=f"featurevis {target.model.name} seed {params.seed}", unit="img-step",
                  disable=not ctx.progress, smoothing=0.05) as bar:
            for layer, units in missing.items():
                bar.set_postfix_str(f"{layer}: {len(units)} units")
                store = ctx.store(self, target, layer)
                # Store in chunks so a killed run keeps what is done.
                chunk_size = max(1, params.batch // max(g for _, _, g in passes))
                for start in range(0, len(units), chunk_size):
                    chunk = units[start:start + chunk_size]
                    results = {name: visualize(target.model, layer, chunk, params, sign, group,
                                               progress=_GroupBar(bar, group))
                               for name, sign, group in passes}
                    for unit in chunk:
                        record, files = _unit_files(unit, results, passes)
                        store.save(unit, record, files)


def _unit_files(unit: int, results: dict, passes: list) -> tuple[FeatureVisRecord, dict[str, bytes]]:
    images, files = {}, {}
    for name, _, _ in passes:
        vis = results[name][unit]
        names = [f"{unit}.{name}{i}.png" if name == "diversity" else f"{unit}.{name}.png"
                 for i in range(len(vis.images))]
        for file, pixels in zip(names, vis.images):
            files[file] = _png(pixels)
        images[name] = FeatureVisImages(files=names, objective=vis.objective)
    return FeatureVisRecord(unit=unit, **images), files


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class _GroupBar:
    """Counts image-steps on a shared bar: featurevis reports units, each with `group` images."""

    def __init__(self, bar: tqdm, group: int):
        self.bar, self.group = bar, group

    def update(self, n: int) -> None:
        self.bar.update(n * self.group)


FEATURE_VIS = FeatureVisStage()


def seed_params(config: AtlasConfig, seed: int) -> FeatureVisParams:
    """The feature visualization Argument 1 measures: the configured one at another seed,
    positive direction only. With the defaults, seed 0 is the atlas's own image."""
    params = config.featurevis
    if seed == params.seed and not params.negative and params.diversity <= 1:
        return params
    return replace(params, seed=seed, negative=False, diversity=0)


def verdict_seeds(config: AtlasConfig) -> list[int]:
    return [config.featurevis.seed + i for i in range(config.verdicts.seeds)]


def seed_stages(config: AtlasConfig) -> dict[int, FeatureVisStage]:
    """One feature-visualization stage per verdict seed."""
    return {seed: FeatureVisStage(seed_params(config, seed)) for seed in verdict_seeds(config)}
