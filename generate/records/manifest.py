"""The manifest of a run: where each stage's results lie, and what the pages say about the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generate.records.base import Record, optional
from generate.records.units import LayerInfo, ReceptiveField, UnitRef
from generate.records.stages import MosaicPhoto



@dataclass
class DatasetInfo(Record):
    name: str
    images: int
    skipped: int
    fingerprint: str
    skipped_by_reason: dict[str, int] = field(default_factory=dict)  # why files were skipped, most frequent first
    packaged: bool = False  # the few photos shipped in packages, not a dataset: every page says so
    source: str | None = None  # the named download the images come from (generate/sources), if any
    sha256: str | None = None  # ... the SHA-256 of its archive
    url: str | None = None  # ... and where it was downloaded from


@dataclass
class FeatureMapsRef(Record):
    dir: str
    columns: int
    files: list[MosaicPhoto]


@dataclass
class LayerManifest(Record):
    """One layer of one model in the atlas: its units and where each stage's results lie."""

    name: str
    channels: int
    height: int
    width: int
    order: int
    description: str
    units: list[int]
    rf: ReceptiveField
    stages: dict[str, str]  # stage -> store folder, relative to the store root
    featurevis_seeds: dict[str, str]
    feature_maps: FeatureMapsRef | None = optional()


@dataclass
class ModelManifest(Record):
    name: str
    slug: str
    key: str
    weights_hash: str
    random_init: bool
    preprocess: dict[str, Any]
    layers: list[LayerManifest]
    all_layers: dict[str, LayerInfo] | None = optional()
    dataset: DatasetInfo | None = optional()
    control: ModelManifest | None = optional()
    weights_verified: bool | None = optional()  # the weights file is the published one (None: not checked)

    def unit(self, layer: str, unit: int) -> UnitRef:
        return UnitRef(self.slug, layer, unit)


@dataclass
class VariationManifest(Record):
    name: str
    dataset: str | None
    changes: dict[str, dict[str, Any]]
    model: ModelManifest


@dataclass
class Manifest(Record):
    """Where every result of an atlas lies, and what the pages say about the run itself."""

    title: str
    site_url: str
    atlas_version: str
    config: str
    config_text: str
    overrides: dict[str, str]
    created: str
    dataset: DatasetInfo
    featurevis: dict[str, Any]
    exemplars: dict[str, Any]
    synthetic: dict[str, Any]
    families: dict[str, Any]
    rotation: dict[str, Any]
    verdicts: dict[str, Any]
    gallery: str
    versions: dict[str, str]
    models: list[ModelManifest]
    variations: list[VariationManifest] = field(default_factory=list)
    matching: list[str] = field(default_factory=list)
    arcs: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    calibration: str | None = None  # store folder of the instrument's calibration record
