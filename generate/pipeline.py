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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from generate import (__version__, classical, exemplars, families, featuremaps, featurevis, rotation, synthetic,
                      universality, verdicts)
from generate.config import AtlasConfig, FeatureVisParams, ModelEntry, display_path, parse_units, resolve_dataset
from generate.data import ImageSet, scan_images
from generate.errors import AtlasError
from generate.models import LoadedModel, load_model
from generate.receptive_field import ReceptiveField, compute_receptive_field
from generate.store import StageStore, atomic_write, clean_temporaries

STAGES = ("dataset", "synthetic", "rotation", "featurevis", "verdicts")  # in dependency order


@dataclass
class ModelPlan:
    entry: ModelEntry
    model: LoadedModel
    layer_units: dict[str, list[int]]  # in execution order
    images: ImageSet  # its dataset
    control: "ModelPlan | None" = None  # random-init copy: every stage but the atlas's own feature vis
    pages: bool = True  # False for a control: no pages, so no pictures for them


def dataset_of(config: AtlasConfig, entry: ModelEntry | None = None) -> tuple[str, Path | None]:
    """The dataset a model uses: its own, else the atlas's ('auto' resolved)."""
    name = (entry.dataset if entry and entry.dataset else None) or config.dataset
    return name, resolve_dataset(name)


def plan_models(config: AtlasConfig, device: torch.device) -> list[ModelPlan]:
    """Load every model and check every layer, unit and dataset before anything is written.
    An `optional` model whose weights are missing is skipped with a note."""
    plans = []
    scanned: dict[str, ImageSet] = {}
    for entry in config.models:
        name, folder = dataset_of(config, entry)
        try:
            if name not in scanned:
                scanned[name] = scan_images(folder, config.exemplars.max_images)
            model = load_model(entry.model, entry.weights, device)
        except AtlasError as exc:
            if not entry.optional:
                raise
            print(f"note: skipping optional model {entry.model}: {exc}", file=sys.stderr)
            continue
        layer_units = {}
        for layer, spec in entry.layers.items():
            model.layer(layer)  # raises with the list of valid names
            layer_units[layer] = parse_units(spec, f"{entry.model} {layer}", model.infos[layer].channels)
        ordered = sorted(layer_units, key=lambda name: model.infos[name].order)
        layer_units = {name: layer_units[name] for name in ordered}
        control = None
        if entry.control is not None and not model.random_init:
            control_model = load_model(f"{entry.model}@random:{entry.control}", entry.weights, device)
            control = ModelPlan(entry, control_model, layer_units, scanned[name], pages=False)
        plans.append(ModelPlan(entry, model, layer_units, scanned[name], control))
    if not plans:
        raise AtlasError("no model left to compute: every model of the config is optional and missing")
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
    if missing:
        fields = receptive_fields(plan, store_root)
        accumulators = exemplars.scan_dataset(plan.model, missing, images, config.exemplars, progress)
        for layer, accumulator in tqdm(accumulators.items(), desc="exemplar crops and heatmaps", unit="layer",
                                       disable=not progress):
            width = plan.model.infos[layer].width
            records = exemplars.unit_records(accumulator, images, fields[layer], config.exemplars,
                                             plan.model.preprocess.input_size, width)
            if plan.pages:
                featuremaps.add_exemplar_heatmaps(plan.model, layer, records, images, config.exemplars.crop_px)
            for unit, (record, files) in records.items():
                stores[layer].save(unit, record, files)
    if plan.pages:
        for layer, store in featuremap_stores(plan, config, images, store_root).items():
            if not store.has("layer"):
                scale = {u: stores[layer].load(u)["stats"]["max"] for u in plan.layer_units[layer]}
                record, files = featuremaps.layer_mosaics(plan.model, layer, plan.layer_units[layer], images, scale)
                store.save("layer", record, files)


def featuremap_stores(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> dict[str, StageStore]:
    data = dataset_stores(plan, config, images, store_root)
    return {layer: StageStore(store_root, plan.model.key, layer, "featuremaps",
                              {"stage": "featuremaps", "version": 1, "dataset": data[layer].dir.name, "units": units})
            for layer, units in plan.layer_units.items()}


def synthetic_stores(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> dict[str, StageStore]:
    data = dataset_stores(plan, config, images, store_root)
    params = {**synthetic.stage_params(config.synthetic, plan.model), "families": asdict(config.families)}
    return {layer: StageStore(store_root, plan.model.key, layer, "synthetic",
                              {**params, "dataset": data[layer].dir.name}) for layer in plan.layer_units}


def run_synthetic_stage(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path,
                        progress: bool = True) -> None:
    """The stimulus battery through each layer; tuning summaries and family labels per unit."""
    stores = synthetic_stores(plan, config, images, store_root)
    data = dataset_stores(plan, config, images, store_root)
    missing = {layer: stores[layer].missing(units) for layer, units in plan.layer_units.items()}
    missing = {layer: units for layer, units in missing.items() if units}
    if not missing:
        return
    fields = receptive_fields(plan, store_root)
    stimuli = synthetic.battery(config.synthetic)
    for layer, units in missing.items():
        lacking = data[layer].missing(units)
        if lacking:
            raise AtlasError(f"{plan.model.name} {layer}: no dataset statistics for unit(s) {lacking[:5]}: "
                             f"run `python -m generate exemplars` first")
        raw = synthetic.respond(plan.model, layer, units, stimuli, fields[layer], config.synthetic, progress)
        for column, unit in enumerate(units):
            stats = data[layer].load(unit)["stats"]
            drive = families.drives(stimuli, raw[:, column], stats["mean"], stats["std"])
            record = {"unit": unit,
                      "synthetic": {"sigma": stats["std"], **synthetic.summarise(stimuli, drive, config.synthetic)},
                      "drive": [round(float(d), 4) for d in drive],  # the whole battery, for matching units
                      "family": families.label(stimuli, raw[:, column], stats["mean"], stats["std"], config.families)}
            stores[layer].save(unit, record)


def rotation_stores(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> dict[str, StageStore]:
    made = synthetic_stores(plan, config, images, store_root)
    return {layer: StageStore(store_root, plan.model.key, layer, "rotation",
                              {"stage": "rotation", "version": 2, **asdict(config.rotation),
                               "synthetic": made[layer].dir.name, "units": units})
            for layer, units in plan.layer_units.items()}


def run_rotation_stage(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path,
                       progress: bool = True) -> None:
    """Per layer and oriented family: every member's top exemplars turned about its strongest
    position, every member's activation read there (joint tuning). Units of other families
    get no rotation record."""
    stores = rotation_stores(plan, config, images, store_root)
    data = dataset_stores(plan, config, images, store_root)
    made = synthetic_stores(plan, config, images, store_root)
    fields = receptive_fields(plan, store_root)
    angles = rotation.angles_for(config.rotation.step)
    for layer, units in plan.layer_units.items():
        store = stores[layer]
        if store.has("layer"):
            continue
        labels = {u: made[layer].load(u)["family"] for u in units}
        by_family: dict[str, list[int]] = {}
        for unit, family in labels.items():
            if family["label"] in families.ORIENTED:
                by_family.setdefault(family["label"], []).append(unit)
        summary = {}
        for family, members in by_family.items():
            exemplars_of = {u: data[layer].load(u)["exemplars"][:config.rotation.k] for u in members}
            chosen = [rotation.Exemplar(u, e["source_index"], tuple(e["position"]))
                      for u in members for e in exemplars_of[u]]
            responses = rotation.rotation_responses(plan.model, layer, members, chosen, images, fields[layer],
                                                    angles, progress)
            records = [rotation.unit_record(unit, members, chosen, responses, angles, labels) for unit in members]
            for record in records:
                store.save(record["unit"], record)
            summary[family] = rotation.family_measures(records, config.rotation.agreement)
        store.save("layer", {"families": summary, "angles": angles})


def featurevis_params(config: AtlasConfig, seed: int) -> FeatureVisParams:
    """The feature visualization Argument 1 measures: the configured one at another seed,
    positive direction only. With the defaults, seed 0 is the atlas's own image."""
    params = config.featurevis
    if seed == params.seed and not params.negative and params.diversity <= 1:
        return params
    return replace(params, seed=seed, negative=False, diversity=0)


def verdict_seeds(config: AtlasConfig) -> list[int]:
    return [config.featurevis.seed + i for i in range(config.verdicts.seeds)]


def oriented_units(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> dict[str, list[int]]:
    """Per layer, the units labelled with an oriented family: those that get Arguments 1 and 2."""
    made = synthetic_stores(plan, config, images, store_root)
    return {layer: [u for u in units if made[layer].has(u)
                    and made[layer].load(u)["family"]["label"] in families.ORIENTED]
            for layer, units in plan.layer_units.items()}


def run_seed_featurevis(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path,
                        progress: bool = True) -> None:
    """Feature visualizations at every verdict seed for the oriented units of the model and of
    its random-init control (Argument 1 needs both)."""
    for target in (plan, plan.control):
        if target is None:
            continue
        units = oriented_units(target, config, images, store_root)
        for seed in verdict_seeds(config):
            run_featurevis_stage(target, config, store_root, progress, featurevis_params(config, seed), units)


def verdict_stores(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> dict[str, StageStore]:
    # The verdicts read, for the model and its control: rotation, dataset and seed feature vis.
    inputs = []
    for target in (p for p in (plan, plan.control) if p is not None):
        inputs += [rotation_stores(target, config, images, store_root),
                   dataset_stores(target, config, images, store_root)]
        inputs += [featurevis_stores(target, featurevis_params(config, seed), store_root)
                   for seed in verdict_seeds(config)]
    return {layer: StageStore(store_root, plan.model.key, layer, "verdicts",
                              {"stage": "verdicts", "version": 2, "classical": classical.VERSION,
                               "from": sorted({stores[layer].dir.name for stores in inputs}),
                               "control": plan.control.model.key if plan.control else None,
                               "families": asdict(config.families), "rotation": asdict(config.rotation),
                               "verdicts": asdict(config.verdicts)})
            for layer in plan.layer_units}


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _crop_orientations(data: StageStore, record: dict, key: str, config: AtlasConfig, input_size: int) -> list:
    out = []
    for exemplar in record.get(key) or []:
        pixels = _rgb(data.file(exemplar["file"]))
        window = classical.crop_window(tuple(exemplar["box"]), input_size, pixels.shape[0], config.verdicts.window)
        out.append(classical.structure_orientation(pixels, window))
    return out


def _evidence(target: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path, layer: str):
    """A function unit -> everything the verdicts judge for that unit of `target`, from the store."""
    made = synthetic_stores(target, config, images, store_root)[layer]
    turned = rotation_stores(target, config, images, store_root)[layer]
    data = dataset_stores(target, config, images, store_root)[layer]
    visuals = {seed: featurevis_stores(target, featurevis_params(config, seed), store_root)[layer]
               for seed in verdict_seeds(config)}
    measures = turned.load("layer")["families"] if turned.has("layer") else {}
    input_size = target.model.preprocess.input_size

    def gather(unit: int) -> dict | None:
        if not made.has(unit):
            return None
        family = made.load(unit)["family"]
        by_seed, strong, moderate = {}, [], []
        if family["label"] in families.ORIENTED:
            for seed, store in visuals.items():
                if store.has(unit):
                    pixels = _rgb(store.file(store.load(unit)["positive"]["files"][0]))
                    by_seed[seed] = classical.structure_orientation(
                        pixels, classical.featurevis_window(pixels.shape[0]))
            record = data.load(unit)
            strong = _crop_orientations(data, record, "exemplars", config, input_size)
            moderate = _crop_orientations(data, record, "moderate", config, input_size)
        return {"family": family, "rotation": turned.load(unit) if turned.has(unit) else None,
                "measures": measures.get(family["label"]), "featurevis": by_seed, "strong": strong,
                "moderate": moderate}

    return gather


def run_verdict_stage(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path) -> None:
    """All four arguments for every unit, beside the same measures on its random-init control."""
    stores = verdict_stores(plan, config, images, store_root)
    params = {"families": config.families, "rotation": config.rotation, "verdicts": config.verdicts,
              "moderate": (config.exemplars.moderate_low, config.exemplars.moderate_high)}
    for layer, units in plan.layer_units.items():
        missing = stores[layer].missing(units)
        if not missing:
            continue
        own = _evidence(plan, config, images, store_root, layer)
        control = _evidence(plan.control, config, images, store_root, layer) if plan.control else (lambda unit: None)
        for unit in missing:
            evidence = own(unit)
            if evidence is None:
                raise AtlasError(f"{plan.model.name} {layer}: unit {unit} has no family label yet: "
                                 f"run `python -m generate synthetic` first")
            record = verdicts.unit_verdicts(evidence, control(unit), params)
            stores[layer].save(unit, {"unit": unit, "verdicts": record})


def featurevis_stores(plan: ModelPlan, params: FeatureVisParams, store_root: Path) -> dict[str, StageStore]:
    key = featurevis.stage_params(params, plan.model)
    return {layer: StageStore(store_root, plan.model.key, layer, "featurevis", key) for layer in plan.layer_units}


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def run_featurevis_stage(plan: ModelPlan, config: AtlasConfig, store_root: Path, progress: bool = True,
                         params: FeatureVisParams | None = None, layer_units: dict[str, list[int]] | None = None) -> None:
    """Feature visualizations (and per config the negative and diversity sets) for missing
    units: by default the atlas's own, for every unit."""
    params = params or config.featurevis
    layer_units = plan.layer_units if layer_units is None else layer_units
    stores = featurevis_stores(plan, params, store_root)
    passes = [("positive", 1.0, 1)]
    if params.negative:
        passes.append(("negative", -1.0, 1))
    if params.diversity > 1:
        passes.append(("diversity", 1.0, params.diversity))
    missing = {layer: stores[layer].missing(units) for layer, units in layer_units.items()}
    total = sum(len(units) for units in missing.values()) * params.steps * sum(g for _, _, g in passes)
    if not total:
        return
    with tqdm(total=total, desc=f"featurevis {plan.model.name} seed {params.seed}", unit="img-step", disable=not progress,
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


def _dataset_manifest(images: ImageSet) -> dict:
    return {"name": display_path(images.name) if Path(images.name).exists() else images.name,
            "images": len(images), "skipped": len(images.skipped), "fingerprint": images.fingerprint}


def _full_model_manifest(plan: ModelPlan, config: AtlasConfig, store_root: Path) -> dict:
    entry = _model_manifest(plan, config, plan.images, store_root, with_featurevis=True)
    entry["all_layers"] = {name: asdict(info) for name, info in plan.model.infos.items()}
    entry["dataset"] = _dataset_manifest(plan.images)
    entry["control"] = (_model_manifest(plan.control, config, plan.images, store_root, with_featurevis=False)
                        if plan.control else None)
    return entry


def write_manifest(plans: list[ModelPlan], config: AtlasConfig, store_root: Path,
                   overrides: dict[str, str] | None = None, variations: list[dict] | None = None,
                   matching: list[str] | None = None) -> Path:
    """Where each stage's results lie, plus what the pages show about the run itself."""
    models = [_full_model_manifest(plan, config, store_root) for plan in plans]
    images = plans[0].images
    manifest = {
        "title": config.title, "site_url": config.site_url, "atlas_version": __version__,
        "config": display_path(config.source) if config.source else "",
        "config_text": Path(config.source).read_text() if config.source else "",
        "overrides": overrides or {}, "created": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "dataset": _dataset_manifest(images),
        "featurevis": asdict(config.featurevis), "exemplars": asdict(config.exemplars),
        "synthetic": asdict(config.synthetic), "families": asdict(config.families),
        "rotation": asdict(config.rotation), "verdicts": asdict(config.verdicts),
        "gallery": str(_gallery(config, store_root).relative_to(store_root)),
        "versions": package_versions(), "models": models,
        "variations": variations or [], "matching": matching or [],
    }
    path = manifest_path(store_root, config)
    atomic_write(path, json.dumps(manifest, indent=1).encode())
    return path


def _model_manifest(plan: ModelPlan, config: AtlasConfig, images: ImageSet, store_root: Path,
                    with_featurevis: bool) -> dict:
    fields = receptive_fields(plan, store_root)
    stores = {"dataset": dataset_stores(plan, config, images, store_root),
              "synthetic": synthetic_stores(plan, config, images, store_root),
              "rotation": rotation_stores(plan, config, images, store_root)}
    # A control has feature visualizations only for its oriented units (for Argument 1).
    stores["featurevis"] = featurevis_stores(
        plan, config.featurevis if with_featurevis else featurevis_params(config, config.featurevis.seed), store_root)
    if with_featurevis:
        stores["verdicts"] = verdict_stores(plan, config, images, store_root)
    seeds = {seed: featurevis_stores(plan, featurevis_params(config, seed), store_root) for seed in verdict_seeds(config)}
    maps = featuremap_stores(plan, config, images, store_root) if plan.pages else {}
    layers = []
    for layer, units in plan.layer_units.items():
        entry = {
            **asdict(plan.model.infos[layer]), "units": units, "rf": fields[layer].to_dict(),
            "stages": {stage: str(by_layer[layer].dir.relative_to(store_root)) for stage, by_layer in stores.items()},
            "featurevis_seeds": {str(seed): str(by_layer[layer].dir.relative_to(store_root))
                                 for seed, by_layer in seeds.items()},
        }
        if layer in maps and maps[layer].has("layer"):
            mosaics = maps[layer].load("layer")
            entry["feature_maps"] = {"dir": str(maps[layer].dir.relative_to(store_root)),
                                     "columns": mosaics["columns"], "files": mosaics["photos"]}
        layers.append(entry)
    return {"name": plan.model.name, "slug": plan.model.slug, "key": plan.model.key,
            "weights_hash": plan.model.weights_hash, "random_init": plan.model.random_init,
            "preprocess": asdict(plan.model.preprocess), "layers": layers}


def _gallery(config: AtlasConfig, store_root: Path) -> Path:
    """Example images of every stimulus family (model-independent), stored once."""
    store = StageStore(store_root, "stimuli", "gallery", "gallery", {"version": 1, **asdict(config.synthetic)})
    if not store.has("gallery"):
        files = synthetic.gallery(config.synthetic)
        store.save("gallery", {"families": sorted(files)}, {f"{name}.png": data for name, data in files.items()})
    return store.dir


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in ("torch", "torchvision", "torch-lucent", "kornia", "efficientnet-lite-pytorch", "numpy", "mkdocs",
                 "mkdocs-material"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue  # not installed: nothing to report
    return out


def run_model_stages(plan: ModelPlan, config: AtlasConfig, store_root: Path, stages: tuple[str, ...],
                     progress: bool = True, atlas_featurevis: bool = True) -> None:
    """Every requested stage for one model and its control, in dependency order."""
    for target in (plan, plan.control):
        if target is None:
            continue
        if "dataset" in stages:
            run_dataset_stage(target, config, plan.images, store_root, progress)
        if "synthetic" in stages:
            run_synthetic_stage(target, config, plan.images, store_root, progress)
        if "rotation" in stages:
            run_rotation_stage(target, config, plan.images, store_root, progress)
    if "featurevis" in stages:
        if atlas_featurevis:
            run_featurevis_stage(plan, config, store_root, progress)
        if "verdicts" in stages:
            run_seed_featurevis(plan, config, plan.images, store_root, progress)
    if "verdicts" in stages:
        run_verdict_stage(plan, config, plan.images, store_root)


def run_variations(reference: ModelPlan, config: AtlasConfig, store_root: Path, stages: tuple[str, ...],
                   progress: bool = True) -> list[dict]:
    """The sensitivity analysis: every variation's stages on the reference model (no pages, so
    no feature visualization beyond the verdicts' seeds); returns their manifest entries."""
    out = []
    scanned = {(dataset_of(config, reference.entry)[0], config.exemplars.max_images): reference.images}
    for variation in config.variations:
        varied = config.varied(variation)
        entry = replace(reference.entry, dataset=variation.dataset) if variation.dataset else reference.entry
        name, folder = dataset_of(varied, entry)
        key = (name, varied.exemplars.max_images)
        if key not in scanned:
            scanned[key] = scan_images(folder, varied.exemplars.max_images)
        images = scanned[key]
        control = replace(reference.control, images=images) if reference.control else None
        plan = replace(reference, images=images, control=control)
        if progress:
            print(f"variation '{variation.name}'", file=sys.stderr)
        run_model_stages(plan, varied, store_root, stages, progress, atlas_featurevis=False)
        entry = _full_model_manifest(plan, varied, store_root)
        out.append({"name": variation.name, "dataset": variation.dataset, "changes": variation.changes,
                    "model": entry})
    return out


def compute(config: AtlasConfig, store_root: Path, device: torch.device, stages: tuple[str, ...] = STAGES,
            progress: bool = True, overrides: dict[str, str] | None = None) -> Path:
    """Validate, then run the requested stages; returns the manifest path."""
    plans = plan_models(config, device)
    removed = clean_temporaries(store_root)
    if removed:
        print(f"note: removed {removed} temporary file(s) left by an interrupted run", file=sys.stderr)
    started = time.time()
    for plan in plans:
        run_model_stages(plan, config, store_root, stages, progress)
    variations = run_variations(plans[0], config, store_root, stages, progress) if config.variations else []
    matched = universality.run_matching_stage(plans, config, store_root) \
        if len(plans) > 1 and "synthetic" in stages else []
    path = write_manifest(plans, config, store_root, overrides, variations, matched)
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
