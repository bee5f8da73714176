"""Runs the stages for a config: validate everything first, then compute only what is missing.

Each stage is a function of (model, units, data, params) whose results go to the store; the
manifest written at the end tells the renderer where every result lies, so rendering only
reads stored results.
"""

from __future__ import annotations

import io
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from generate import __version__, exemplars, featurevis
from generate.config import AtlasConfig, ModelEntry, display_path, parse_units, resolve_dataset
from generate.data import ImageSet, scan_images
from generate.errors import AtlasError
from generate.models import LoadedModel, load_model
from generate.receptive_field import ReceptiveField, compute_receptive_field
from generate.store import StageStore, atomic_write, clean_temporaries

STAGES = ("dataset", "featurevis")


@dataclass
class ModelPlan:
    entry: ModelEntry
    model: LoadedModel
    layer_units: dict[str, list[int]]  # in execution order


def plan_models(config: AtlasConfig, device: torch.device) -> list[ModelPlan]:
    """Load every model and check every layer and unit before anything is written."""
    plans = []
    for entry in config.models:
        model = load_model(entry.model, entry.weights, device)
        layer_units = {}
        for layer, spec in entry.layers.items():
            model.layer(layer)  # raises with the list of valid names
            layer_units[layer] = parse_units(spec, f"{entry.model} {layer}", model.infos[layer].channels)
        ordered = sorted(layer_units, key=lambda name: model.infos[name].order)
        plans.append(ModelPlan(entry, model, {name: layer_units[name] for name in ordered}))
    return plans


def receptive_fields(plan: ModelPlan, store_root: Path) -> dict[str, ReceptiveField]:
    fields = {}
    for layer in plan.layer_units:
        store = StageStore(store_root, plan.model.key, layer, "rf", {"stage": "rf", "version": 1,
                           "input_size": plan.model.preprocess.input_size})
        if not store.has("layer"):
            store.save("layer", compute_receptive_field(plan.model, layer).to_dict())
        fields[layer] = ReceptiveField(**store.load("layer"))
    return fields


def dataset_stores(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> dict[str, StageStore]:
    params = exemplars.stage_params(config.exemplars, plan.model, images)
    return {layer: StageStore(store_root, plan.model.key, layer, "dataset", params) for layer in plan.layer_units}


def run_dataset_stage(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path,
                      progress: bool = True) -> None:
    """Exemplars + statistics for the units that have none yet, in one pass for all layers."""
    stores = dataset_stores(plan, config, images, store_root)
    missing = {layer: stores[layer].missing(units) for layer, units in plan.layer_units.items()}
    missing = {layer: units for layer, units in missing.items() if units}
    if not missing:
        return
    fields = receptive_fields(plan, store_root)
    accumulators = exemplars.scan_dataset(plan.model, missing, images, config.exemplars, progress)
    for layer, accumulator in accumulators.items():
        width = plan.model.infos[layer].width
        records = exemplars.unit_records(accumulator, images, fields[layer], config.exemplars,
                                         plan.model.preprocess.input_size, width)
        for unit, (record, files) in tqdm(records.items(), desc=f"exemplar crops {layer}",
                                          unit="unit", disable=not progress):
            stores[layer].save(unit, record, files)


def featurevis_stores(plan: ModelPlan, config: AtlasConfig, store_root: Path) -> dict[str, StageStore]:
    params = featurevis.stage_params(config.featurevis, plan.model)
    return {layer: StageStore(store_root, plan.model.key, layer, "featurevis", params) for layer in plan.layer_units}


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def run_featurevis_stage(plan: ModelPlan, config: AtlasConfig, store_root: Path, progress: bool = True) -> None:
    """Feature visualizations (and per config the negative and diversity sets) for missing units."""
    params = config.featurevis
    stores = featurevis_stores(plan, config, store_root)
    passes = [("positive", 1.0, 1)]
    if params.negative:
        passes.append(("negative", -1.0, 1))
    if params.diversity > 1:
        passes.append(("diversity", 1.0, params.diversity))
    missing = {layer: stores[layer].missing(units) for layer, units in plan.layer_units.items()}
    total = sum(len(units) for units in missing.values()) * params.steps * sum(g for _, _, g in passes)
    if not total:
        return
    with tqdm(total=total, desc=f"featurevis {plan.model.name}", unit="img-step", disable=not progress,
              smoothing=0.05) as bar:
        for layer, units in missing.items():
            if not units:
                continue
            bar.set_postfix_str(f"{layer}: {len(units)} units")
            # Store in chunks so a killed run keeps what is done.
            chunk_size = max(1, params.batch // max(g for _, _, g in passes))
            for start in range(0, len(units), chunk_size):
                chunk = units[start:start + chunk_size]
                results = {name: featurevis.visualize(plan.model, layer, chunk, params, sign, group,
                                                      progress=_GroupBar(bar, group))
                           for name, sign, group in passes}
                for unit in chunk:
                    record, files = {"unit": unit}, {}
                    for name, _, _ in passes:
                        vis = results[name][unit]
                        names = [f"{unit}.{name}{i}.png" if name == "diversity" else f"{unit}.{name}.png"
                                 for i in range(len(vis.images))]
                        for file, pixels in zip(names, vis.images):
                            files[file] = _png(pixels)
                        record[name] = {"files": names, "objective": vis.objective}
                    stores[layer].save(unit, record, files)


class _GroupBar:
    """Counts image-steps on a shared bar: featurevis reports units, each with `group` images."""

    def __init__(self, bar: tqdm, group: int):
        self.bar, self.group = bar, group

    def update(self, n: int) -> None:
        self.bar.update(n * self.group)


def manifest_path(store_root: Path, config: AtlasConfig) -> Path:
    stem = Path(config.source).stem if config.source else "atlas"
    return Path(store_root) / "manifests" / f"{stem}.json"


def write_manifest(plans: list[ModelPlan], config: AtlasConfig, images: ImageSet, store_root: Path,
                   overrides: dict[str, str] | None = None) -> Path:
    """Where each stage's results lie, plus what the pages show about the run itself."""
    models = []
    for plan in plans:
        fields = receptive_fields(plan, store_root)
        data = dataset_stores(plan, config, images, store_root)
        vis = featurevis_stores(plan, config, store_root)
        layers = []
        for layer, units in plan.layer_units.items():
            info = plan.model.infos[layer]
            layers.append({
                **asdict(info), "units": units, "rf": fields[layer].to_dict(),
                "stages": {"dataset": str(data[layer].dir.relative_to(store_root)),
                           "featurevis": str(vis[layer].dir.relative_to(store_root))},
            })
        models.append({
            "name": plan.model.name, "slug": plan.model.slug, "key": plan.model.key,
            "weights_hash": plan.model.weights_hash, "random_init": plan.model.random_init,
            "preprocess": asdict(plan.model.preprocess), "layers": layers,
            "all_layers": {name: asdict(info) for name, info in plan.model.infos.items()},
        })
    manifest = {
        "title": config.title, "site_url": config.site_url, "atlas_version": __version__,
        "config": display_path(config.source) if config.source else "",
        "config_text": Path(config.source).read_text() if config.source else "",
        "overrides": overrides or {}, "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "dataset": {"name": display_path(images.name) if Path(images.name).exists() else images.name, "images": len(images), "skipped": len(images.skipped),
                    "fingerprint": images.fingerprint},
        "featurevis": asdict(config.featurevis), "exemplars": asdict(config.exemplars),
        "versions": package_versions(), "models": models,
    }
    path = manifest_path(store_root, config)
    atomic_write(path, json.dumps(manifest, indent=1).encode())
    return path


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in ("torch", "torchvision", "torch-lucent", "kornia", "efficientnet-lite-pytorch", "numpy", "mkdocs",
                 "mkdocs-material"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def compute(config: AtlasConfig, store_root: Path, device: torch.device, stages: tuple[str, ...] = STAGES,
            progress: bool = True, overrides: dict[str, str] | None = None) -> Path:
    """Validate, then run the requested stages; returns the manifest path."""
    images = scan_images(resolve_dataset(config.dataset))
    plans = plan_models(config, device)
    removed = clean_temporaries(store_root)
    if removed:
        print(f"note: removed {removed} temporary file(s) left by an interrupted run", file=sys.stderr)
    started = time.time()
    for plan in plans:
        if "dataset" in stages:
            run_dataset_stage(plan, config, images, store_root, progress)
        if "featurevis" in stages:
            run_featurevis_stage(plan, config, store_root, progress)
    path = write_manifest(plans, config, images, store_root, overrides)
    n_units = sum(len(u) for p in plans for u in p.layer_units.values())
    print(f"computed {n_units} units in {len(plans)} model(s) in {time.time() - started:.1f} s; "
          f"results in {store_root}", file=sys.stderr)
    return path


def load_manifest(store_root: Path, config: AtlasConfig) -> dict:
    path = manifest_path(store_root, config)
    if not path.is_file():
        raise AtlasError(f"no computed results for {config.source or 'this config'} in {store_root}: "
                         f"run `python -m generate atlas --config {config.source}` first")
    return json.loads(path.read_text())
