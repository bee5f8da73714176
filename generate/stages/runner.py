"""Plans and runs the stages for a config: validate everything first, then compute only what
is missing, then write the manifest that tells the renderer where every result lies."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from generate.config import AtlasConfig, ModelEntry, parse_units
from generate.sources import resolve_dataset
from generate.data import ImageSet, scan_images
from generate.errors import AtlasError
from generate.models import load_model
from generate.stages.base import Context, Target
from generate.stages.calibration import CALIBRATION
from generate.stages.executor import Executor
from generate.stages.dataset import DATASET
from generate.stages.featuremaps import FEATURE_MAPS
from generate.stages.featurevis import FEATURE_VIS
from generate.stages.manifest import build_manifest, variation_manifest
from generate.stages.matching import run_matching_stage
from generate.stages.rotation import ROTATION
from generate.stages.synthetic import SYNTHETIC
from generate.stages.verdicts import VERDICTS, run_seed_featurevis, visualized_units
from generate.store import clean_temporaries
from generate.store.manifest import write_manifest

STAGES = ("dataset", "synthetic", "rotation", "featurevis", "verdicts")  # in dependency order


def dataset_of(config: AtlasConfig, entry: ModelEntry | None = None) -> tuple[str, Path | None]:
    """The dataset a model uses: its own, else the atlas's ('auto' resolved)."""
    name = (entry.dataset if entry and entry.dataset else None) or config.dataset
    return name, resolve_dataset(name)


def _layer_units(entry: ModelEntry, model) -> dict[str, list[int]]:
    """The entry's units per layer, checked against the model, in execution order."""
    layer_units = {}
    for layer, spec in entry.layers.items():
        model.layer(layer)  # raises with the list of valid names
        layer_units[layer] = parse_units(spec, f"{entry.model} {layer}", model.infos[layer].channels)
    return {name: layer_units[name] for name in sorted(layer_units, key=lambda n: model.infos[n].order)}


def plan_targets(config: AtlasConfig, device: torch.device) -> list[Target]:
    """Load every model and check every layer, unit and dataset before anything is written (the
    image scan, which caches its verdicts in the store, comes last). An `optional` model whose
    weights or images are missing is skipped with a note."""
    loaded = []
    for entry in config.models:
        try:
            name, folder = dataset_of(config, entry)
            if folder is not None and not folder.is_dir():
                raise AtlasError(f"dataset folder not found: {folder}")
            model = load_model(entry.model, entry.weights, device, config.store)
        except AtlasError as exc:
            if not entry.optional:
                raise
            print(f"note: skipping optional model {entry.model}: {exc}", file=sys.stderr)
            continue
        control = None
        if entry.control is not None and not model.random_init:
            control = load_model(f"{entry.model}@random:{entry.control}", entry.weights, device, config.store)
        loaded.append((entry, name, folder, model, control, _layer_units(entry, model)))
    if not loaded:
        raise AtlasError("no model left to compute: every model of the config is optional and missing")
    scanned: dict[str, ImageSet] = {}
    targets = []
    for entry, name, folder, model, control_model, layer_units in loaded:
        if name not in scanned:
            scanned[name] = scan_images(folder, config.exemplars.max_images, Path(config.store))
        control = Target(entry, control_model, layer_units, scanned[name], pages=False) if control_model else None
        targets.append(Target(entry, model, layer_units, scanned[name], control))
        if control is not None:
            control.reference = targets[-1]
    return targets


def run_target(ctx: Context, target: Target, stages: tuple[str, ...], atlas_featurevis: bool = True,
               every_unit: bool = False) -> None:
    """Every requested stage for one model and its control, in dependency order; `every_unit`:
    neuron visualizations for every unit, not only the oriented ones (a calibration model). A shard
    runs the unit-level stages only: the layer-level ones (feature-map mosaics, rotation, and the
    verdicts that need it) wait for every unit of the layer."""
    whole = ctx.shard is None
    for who in (target, target.control):
        if who is None:
            continue
        if "dataset" in stages:
            DATASET.run(ctx, who)
            if whole:
                FEATURE_MAPS.run(ctx, who)
        if "synthetic" in stages:
            SYNTHETIC.run(ctx, who)
        if "rotation" in stages and whole:
            ROTATION.run(ctx, who)
    if "featurevis" in stages:
        if atlas_featurevis:
            units = target.judged if ctx.config.featurevis.units == "all" else visualized_units(ctx, target)
            FEATURE_VIS.run(ctx, target, units)
        if "verdicts" in stages:
            run_seed_featurevis(ctx, target, every_unit)
    if "verdicts" in stages and whole:
        VERDICTS.run(ctx, target)


def run_variations(ctx: Context, reference: Target, stages: tuple[str, ...]) -> list:
    """The sensitivity analysis: every variation's stages on the reference model (no pages, so
    no feature visualization beyond the verdicts' seeds); returns their manifest entries."""
    config = ctx.config
    out = []
    scanned = {(dataset_of(config, reference.entry)[0], config.exemplars.max_images): reference.images}
    for variation in config.variations:
        varied = config.varied(variation)
        entry = replace(reference.entry, dataset=variation.dataset) if variation.dataset else reference.entry
        name, folder = dataset_of(varied, entry)
        key = (name, varied.exemplars.max_images)
        if key not in scanned:
            scanned[key] = scan_images(folder, varied.exemplars.max_images, Path(varied.store))
        images = scanned[key]
        control = replace(reference.control, images=images) if reference.control else None
        target = replace(reference, images=images, control=control)
        if control is not None:
            control.reference = target
        if ctx.progress:
            print(f"variation '{variation.name}'", file=sys.stderr)
        varied_ctx = Context(varied, ctx.store_root, ctx.progress)
        run_target(varied_ctx, target, stages, atlas_featurevis=False)
        out.append(variation_manifest(varied_ctx, target, variation))
    return out


def run_calibration(ctx: Context, device: torch.device, stages: tuple[str, ...]) -> str | None:
    """The instrument on the planted model, with this atlas's parameters on a sample of its images;
    returns the calibration's store folder (None when the config skips it or a stage is missing)."""
    params = ctx.config.calibration
    if not params.model or not {"dataset", "synthetic", "rotation", "featurevis", "verdicts"} <= set(stages):
        return None
    config = replace(ctx.config, models=(ModelEntry(params.model, {params.layer: "all"}),), variations=(),
                     exemplars=replace(ctx.config.exemplars, max_images=params.images))
    (target,) = plan_targets(config, device)
    target.pages = False
    if ctx.progress:
        print(f"calibration on {params.model}", file=sys.stderr)
    calibration_ctx = Context(config, ctx.store_root, ctx.progress, ctx.executor)
    run_target(calibration_ctx, target, stages, atlas_featurevis=False, every_unit=True)
    CALIBRATION.run(calibration_ctx, target)
    result, folder = CALIBRATION.result(calibration_ctx, target)
    print(f"calibration: {'passed' if result.passed else 'failed'} "
          f"({', '.join(f'{r.measurement} {100 * r.curve_pass_rate:.0f}%' for r in result.rows)} of planted curves)",
          file=sys.stderr)
    return folder


def compute(config: AtlasConfig, store_root: Path, device: torch.device, stages: tuple[str, ...] = STAGES,
            progress: bool = True, overrides: dict[str, str] | None = None, executor: Executor | None = None,
            shard: tuple[int, int] | None = None) -> Path | None:
    """Validate, then run the requested stages; returns the manifest path. With `shard` (k, n), only
    the unit-level stages of the k-th part of the units run (no manifest: the run after the merge
    completes the layer-level stages and writes it)."""
    targets = plan_targets(config, device)
    removed = clean_temporaries(store_root)
    if removed:
        print(f"note: removed {removed} temporary file(s) left by an interrupted run", file=sys.stderr)
    started = time.time()
    ctx = Context(config, Path(store_root), progress, executor or Executor(), shard)
    ctx.assign_shards(targets)
    for target in targets:
        run_target(ctx, target, stages)
    n_units = sum(len(ctx.owned(t, layer, units)) for t in targets for layer, units in t.layer_units.items())
    print(f"computed {n_units} units in {len(targets)} model(s) in {time.time() - started:.1f} s"
          + (f" (shard {shard[0] + 1} of {shard[1]})" if shard else "") + f"; results in {store_root}",
          file=sys.stderr)
    if shard:
        return None
    variations = run_variations(ctx, targets[0], stages) if config.variations else []
    matched = run_matching_stage(ctx, targets) if len(targets) > 1 and "synthetic" in stages else []
    manifest = build_manifest(ctx, targets, overrides, variations, matched)
    manifest.calibration = run_calibration(ctx, device, stages)
    return write_manifest(store_root, config.source, manifest)
