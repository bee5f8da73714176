"""`make bench`: the batched stages against their plain baselines, measured side by side in one run.

Feature visualization: lucent's `render_vis`, one neuron at a time (the model as a user loads
it: weights require grad, whole network run) against `featurevis.visualize` (channels batched,
forward pass cut after the layer, weights frozen), at the same steps, image size and
transforms. Dataset pass: a plain full forward pass over the same images against
`exemplars.scan_dataset` (cut forward + top-k + statistics). Peak memory is the resident set
high-water mark of each phase (Linux: reset through /proc/self/clear_refs). Each method runs
twice, interleaved with the others, and its faster run counts.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from generate.config import AUTO_DATASET, ExemplarParams, FeatureVisParams
from generate.sources import resolve_dataset
from generate.data import ImageSet, SquareImages, scan_images
from generate.models import LoadedModel, build_model, load_model


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


REPEATS = 2  # each method runs this often, interleaved with the others; the fastest run counts


def _timed_once(fn) -> tuple[float, float]:
    _reset_peak()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start, _peak_mb()


def _compare(methods: list[tuple[str, object]]) -> list[tuple[str, float, float]]:
    """(name, best seconds, peak MB) per method; runs are interleaved so that load on the
    machine hits every method alike."""
    best = {name: (float("inf"), 0.0) for name, _ in methods}
    for _ in range(REPEATS):
        for name, fn in methods:
            seconds, peak = _timed_once(fn)
            best[name] = (min(best[name][0], seconds), max(best[name][1], peak))
    return [(name, *best[name]) for name, _ in methods]


def _plain(name: str, device: torch.device) -> torch.nn.Module:
    """The baseline model as a user loads it: nothing folded, weights requiring grad, NCHW.
    A fresh copy per comparison: lucent's render_vis leaves its hooks (and the activations
    they hold) on every module of the model it was given."""
    return build_model(name)[0].module.to(device)


def _lucent_layer_name(model: LoadedModel, layer: str) -> str:
    """lucent names every submodule by its path joined with '_'; our objective is on the
    pre-activation, i.e. the output of the module we hook."""
    module = model.layer(layer).module
    for name, sub in model.module.named_modules():
        if sub is module:
            return name.replace(".", "_")
    raise ValueError(layer)


def bench_featurevis(model: LoadedModel, plain: torch.nn.Module, layer: str, units: list[int], steps: int,
                     size: int) -> list[tuple]:
    from lucent.optvis import objectives, param, render, transform

    from generate.stages.optimisation import visualize

    lucent_layer = _lucent_layer_name(model, layer)
    padded = size + 24  # lucent's standard transforms pad 12 px a side; feed that size to both

    def lucent_one_at_a_time():
        for unit in units:
            render.render_vis(plain, objectives.channel(lucent_layer, unit), lambda: param.image(size),
                              transforms=transform.standard_transforms + [model.preprocess], thresholds=(steps,),
                              preprocess=False, progress=False, show_image=False, fixed_image_size=padded)

    one, batched = (FeatureVisParams(size=size, steps=steps, batch=b) for b in (1, len(units)))
    return _compare([
        ("lucent render_vis, 1 unit at a time", lucent_one_at_a_time),
        ("ours, 1 unit at a time (cut, frozen, folded BN, NHWC)", lambda: visualize(model, layer, units, one)),
        (f"ours, {len(units)} units batched", lambda: visualize(model, layer, units, batched)),
    ])


def bench_dataset(model: LoadedModel, plain: torch.nn.Module, layer: str, images: ImageSet,
                  batch: int) -> list[tuple]:
    from generate.stages.dataset import scan_dataset

    def plain_forward():
        loader = torch.utils.data.DataLoader(SquareImages(images, model.preprocess.input_size),
                                             batch_size=batch, num_workers=1)
        with torch.no_grad():
            for x in loader:
                plain(model.preprocess(x.to(model.device).float() / 255).contiguous())

    units = list(range(model.infos[layer].channels))
    return _compare([
        ("plain forward pass (whole network)", plain_forward),
        (f"ours: cut after {layer}, top-k + stats of all {len(units)} units",
         lambda: scan_dataset(model, {layer: units}, images, ExemplarParams(batch=batch), False)),
    ])


def run_bench(args: argparse.Namespace, device: torch.device) -> None:
    model = load_model(args.model, device=device)
    units = list(range(args.units))
    print(f"device: {device}; torch threads: {torch.get_num_threads()}; model {args.model}, layer {args.layer}")
    print(f"\nFeature visualization: {len(units)} units, {args.steps} steps, {args.size} px")
    rows = bench_featurevis(model, _plain(args.model, device), args.layer, units, args.steps, args.size)
    base = rows[0][1]
    print(f"{'method':<58} {'s':>8} {'units/min':>10} {'speed-up':>9} {'peak MB':>8}")
    for name, seconds, peak in rows:
        print(f"{name:<58} {seconds:>8.2f} {len(units) * 60 / seconds:>10.1f} {base / seconds:>8.2f}x {peak:>8.0f}")

    images = scan_images(resolve_dataset(args.dataset or AUTO_DATASET))
    images = ImageSet(images.name, images.paths[:args.images])
    print(f"\nDataset pass: {len(images)} images from {images.name}")
    rows = bench_dataset(model, _plain(args.model, device), args.layer, images, batch=32)
    base = rows[0][1]
    print(f"{'method':<58} {'s':>8} {'images/s':>10} {'ratio':>9} {'peak MB':>8}")
    for name, seconds, peak in rows:
        print(f"{name:<58} {seconds:>8.2f} {len(images) / seconds:>10.1f} {base / seconds:>8.2f}x {peak:>8.0f}")
