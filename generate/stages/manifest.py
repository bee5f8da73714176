"""The manifest of a run: where each stage's results lie for every layer of every model, plus
what the pages say about the run itself (config, dataset, versions)."""

from __future__ import annotations

import sys
import time
from dataclasses import asdict
from pathlib import Path

from generate import __version__
from generate.config import Variation, display_path
from generate.data import ImageSet
from generate.records import (DatasetInfo, FeatureMapsRecord, FeatureMapsRef, LayerManifest, Manifest,
                              ModelManifest, VariationManifest)
from generate.sources import provenance
from generate.stages.base import Context, Stage, Target
from generate.stages.dataset import DATASET
from generate.stages.featuremaps import FEATURE_MAPS
from generate.stages.featurevis import FEATURE_VIS, seed_stages
from generate.stages.fields import receptive_fields
from generate.stages.rotation import ROTATION
from generate.stages.synthetic import SYNTHETIC, gallery
from generate.stages.verdicts import VERDICTS
from generate.store import StageStore

GALLERY_VERSION = 1
PACKAGES = ("torch", "torchvision", "torch-lucent", "kornia", "efficientnet-lite-pytorch", "numpy", "mkdocs",
            "mkdocs-material")


def dataset_info(images: ImageSet) -> DatasetInfo:
    fetched = provenance(images.paths[0]) if images.paths and not images.packaged else None  # downloaded?
    return DatasetInfo(name=display_path(images.name) if Path(images.name).exists() else images.name,
                       images=len(images), skipped=len(images.skipped), fingerprint=images.fingerprint,
                       skipped_by_reason=images.skipped_by_reason(), packaged=images.packaged,
                       source=fetched.name if fetched else None, sha256=fetched.sha256 if fetched else None,
                       url=fetched.url if fetched else None)


def _layer_manifest(ctx: Context, target: Target, layer: str, stages: dict[str, Stage]) -> LayerManifest:
    folder = lambda stage: str(ctx.store(stage, target, layer).dir.relative_to(ctx.store_root))  # noqa: E731
    info = target.model.infos[layer]
    entry = LayerManifest(
        name=info.name, channels=info.channels, height=info.height, width=info.width, order=info.order,
        description=info.description, units=target.layer_units[layer], rf=receptive_fields(ctx, target)[layer],
        stages={name: folder(stage) for name, stage in stages.items()},
        featurevis_seeds={str(seed): folder(stage) for seed, stage in seed_stages(ctx.config).items()})
    maps = ctx.store(FEATURE_MAPS, target, layer)
    if target.pages and maps.has("layer"):
        mosaics = maps.load_record("layer", FeatureMapsRecord)
        entry.feature_maps = FeatureMapsRef(dir=folder(FEATURE_MAPS), columns=mosaics.columns, files=mosaics.photos)
    return entry


def model_manifest(ctx: Context, target: Target, with_featurevis: bool) -> ModelManifest:
    stages: dict[str, Stage] = {"dataset": DATASET, "synthetic": SYNTHETIC, "rotation": ROTATION}
    # A control has feature visualizations only for its oriented units (for Argument 1), at the seeds.
    stages["featurevis"] = FEATURE_VIS if with_featurevis else seed_stages(ctx.config)[ctx.config.featurevis.seed]
    if with_featurevis:
        stages["verdicts"] = VERDICTS
    model = target.model
    return ModelManifest(name=model.name, slug=model.slug, key=model.key, weights_hash=model.weights_hash,
                         random_init=model.random_init, weights_verified=model.weights_verified,
                         preprocess=asdict(model.preprocess),
                         layers=[_layer_manifest(ctx, target, layer, stages) for layer in target.layers])


def full_model_manifest(ctx: Context, target: Target) -> ModelManifest:
    entry = model_manifest(ctx, target, with_featurevis=True)
    entry.all_layers = dict(target.model.infos)
    entry.dataset = dataset_info(target.images)
    entry.control = model_manifest(ctx, target.control, with_featurevis=False) if target.control else None
    return entry


def variation_manifest(ctx: Context, target: Target, variation: Variation) -> VariationManifest:
    return VariationManifest(name=variation.name, dataset=variation.dataset, changes=variation.changes,
                             model=full_model_manifest(ctx, target))


def gallery_folder(ctx: Context) -> Path:
    """Example images of every stimulus family (model-independent), stored once."""
    store = StageStore(ctx.store_root, "stimuli", "gallery", "gallery",
                       {"version": GALLERY_VERSION, **asdict(ctx.config.synthetic)})
    if not store.has("gallery"):
        files = gallery(ctx.config.synthetic)
        store.save("gallery", {"families": sorted(files)}, {f"{name}.png": data for name, data in files.items()})
    return store.dir


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue  # not installed: nothing to report
    return out


def build_manifest(ctx: Context, targets: list[Target], overrides: dict[str, str] | None,
                   variations: list[VariationManifest], matching: list[str]) -> Manifest:
    """Where each stage's results lie, plus what the pages show about the run itself."""
    config = ctx.config
    return Manifest(
        title=config.title, site_url=config.site_url, atlas_version=__version__,
        config=display_path(config.source) if config.source else "",
        config_text=Path(config.source).read_text() if config.source else "",
        overrides=overrides or {}, created=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        dataset=dataset_info(targets[0].images),
        featurevis=asdict(config.featurevis), exemplars=asdict(config.exemplars), synthetic=asdict(config.synthetic),
        families=asdict(config.families), rotation=asdict(config.rotation), verdicts=asdict(config.verdicts),
        arcs=asdict(config.arcs), claims=asdict(config.claims),
        gallery=str(gallery_folder(ctx).relative_to(ctx.store_root)), versions=package_versions(),
        models=[full_model_manifest(ctx, target) for target in targets],
        variations=variations, matching=matching)
