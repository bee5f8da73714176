"""A generated atlas store for the site benchmark: N neuron pages' worth of schema-valid records,
written through the real record classes and StageStore, with small generated pictures. No model
and no compute: the numbers are plausible, not measured, and the site says nothing true about them."""

from __future__ import annotations

import io
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from generate.analysis.families import FAMILIES
from generate.config import BatteryParams, ExemplarParams, FamilyParams, FeatureVisParams
from generate.records import (DatasetInfo, LayerInfo, LayerManifest, Manifest, ModelManifest, ReceptiveField, SyntheticRecord)
from generate.records.stages import (CurveTuning, DatasetRecord, Exemplar, FamilyLabel, FeatureVisImages,
                                     FeatureVisRecord, FrequencyTuning, Gate, Histogram, HueTuning, ImageMaxStats, Stats, TuningSummary, VariantPeak)
from generate.store.stage_store import StageStore

MODEL_KEY = "benchnet-000000000000"
UNITS_PER_LAYER = 1000  # a Lite0 layer holds up to 1,152 channels
EXEMPLARS = 9  # the default atlas's k
CROP_PX = 96  # the default atlas's exemplar crop
PICTURE_POOL = 64  # distinct pictures, reused across units (encoding them is not what is measured)
ORIENTATIONS = [float(t) for t in range(0, 360, 15)]


def pictures(count: int = PICTURE_POOL, side: int = CROP_PX, seed: int = 0, kind: str = "JPEG") -> list[bytes]:
    """Photo-like pictures (smooth colour fields with noise, so they compress like exemplar crops)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        coarse = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).resize((side, side), Image.BILINEAR)
        noisy = np.asarray(coarse, dtype=np.int16) + rng.integers(-12, 13, (side, side, 3))
        buffer = io.BytesIO()
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(buffer, format=kind)
        out.append(buffer.getvalue())
    return out


def _tuning(rng: np.random.Generator, preferred: float) -> TuningSummary:
    bump = [round(max(0.0, 3.0 * math.cos(math.radians(t - preferred))), 3) for t in ORIENTATIONS]
    return TuningSummary(
        sigma=0.5, orientations=ORIENTATIONS,
        curve=CurveTuning(radii=[0.12, 0.2, 0.3], heatmap=[[v * k for v in bump] for k in (0.5, 1.0, 0.25)],
                          variants={name: VariantPeak(peak=float(peak), orientation=preferred, radius=0.2)
                                    for name, peak in (("standard", 3.0), ("inverted", 2.0), ("fill", 0.5))}),
        orientation_tuning={kind: [v * (i + 1) / 3 for v in bump] for i, kind in enumerate(("curve", "line", "edge"))},
        frequency_tuning=FrequencyTuning(frequencies=[2.0, 4.0, 8.0, 16.0], drive=rng.normal(0, 1, 4).round(3).tolist()),
        hue=HueTuning(hues=[h / 12 for h in range(12)], drive=rng.normal(0, 1, 12).round(3).tolist(),
                      grey=[0.0, 0.1, 0.2, 0.3]),
        colour_edge={"red/cyan": 1.5, "yellow/blue": 0.2}, centre_surround={"white in black": 0.3})


def synthetic_record(unit: int, rng: np.random.Generator) -> SyntheticRecord:
    label = FAMILIES[unit % len(FAMILIES)]
    preferred = float(ORIENTATIONS[unit % len(ORIENTATIONS)])
    score = float(rng.uniform(4.0, 12.0))
    gates = {name: Gate(passed=name == label, score=score if name == label else 1.0, checks={})
             for name in FAMILIES}
    family = FamilyLabel(label=label, score=score, runner_up="angle", runner_up_score=1.0, runner_up_passed=False,
                         preferred={"orientation": preferred, "radius": 0.2}, strongest_drive=score, gates=gates)
    return SyntheticRecord(unit=unit, synthetic=_tuning(rng, preferred), drive=[], family=family)


def dataset_record(unit: int, rng: np.random.Generator, pool: list[bytes]) -> tuple[DatasetRecord, dict[str, bytes]]:
    files: dict[str, bytes] = {}
    exemplars = []
    for rank in range(EXEMPLARS):
        crop, heat = f"{unit}.ex{rank}.jpg", f"{unit}.ex{rank}.heat.jpg"
        files[crop] = pool[(unit + rank) % len(pool)]
        files[heat] = pool[(unit + rank + 1) % len(pool)]
        exemplars.append(Exemplar(rank=rank, file=crop, source=f"photo{rank}.jpg", source_index=rank,
                                  activation=float(9 - rank), position=[3, 4], box=[0, 0, CROP_PX, CROP_PX],
                                  heatmap=heat))
    counts = rng.integers(0, 500, 16).tolist()
    stats = Stats(mean=0.2, std=0.5, max=9.0, fraction_positive=0.3, positions=100_000,
                  quantiles={"0.5": 0.0, "0.9": 0.9, "0.99": 2.2}, quantile_sample_size=4096,
                  histogram=Histogram(low=-3.0, high=9.0, counts=counts),
                  image_max=ImageMaxStats(mean=2.0, std=0.5, quantiles={"0.5": 2.0}))
    return DatasetRecord(unit=unit, exemplars=exemplars, moderate=[], image_maxima=f"{unit}.imax.npy",
                         stats=stats), files


def _layer(store: Path, name: str, order: int, units: list[int], rng, pool, bar) -> LayerManifest:
    stages = {stage: StageStore(store, MODEL_KEY, name, stage, {"bench": stage})
              for stage in ("dataset", "synthetic", "featurevis")}
    for unit in units:
        record, files = dataset_record(unit, rng, pool["JPEG"])
        stages["dataset"].save(unit, record, files)
        stages["synthetic"].save(unit, synthetic_record(unit, rng))
        visualization = f"{unit}.positive.png"
        stages["featurevis"].save(unit, FeatureVisRecord(unit=unit, positive=FeatureVisImages([visualization], 1.5)),
                                  {visualization: pool["PNG"][unit % len(pool["PNG"])]})
        bar.update(1)
    rf = ReceptiveField(size=99, stride=16.0, offset_y=7.5, offset_x=7.5, input_size=224, effective_size=60)
    return LayerManifest(name=name, channels=len(units), height=14, width=14, order=order,
                         description="a generated layer", units=units, rf=rf,
                         stages={stage: str(s.dir.relative_to(store)) for stage, s in stages.items()},
                         featurevis_seeds={})


def generate_store(store: Path, pages: int, seed: int = 0, progress: bool = True) -> Manifest:
    """Write `pages` units' records (layers of UNITS_PER_LAYER) under `store`; returns their manifest."""
    rng = np.random.default_rng(seed)
    pool = {"JPEG": pictures(seed=seed), "PNG": pictures(seed=seed, kind="PNG")}  # crops; feature visualizations
    layers = []
    with tqdm(total=pages, desc="generating records", unit="unit", disable=not progress) as bar:
        for order, start in enumerate(range(0, pages, UNITS_PER_LAYER)):
            units = list(range(min(UNITS_PER_LAYER, pages - start)))
            layers.append(_layer(store, f"blocks.{order}.dw", order, units, rng, pool, bar))
    dataset = DatasetInfo(name="generated records (site benchmark)", images=1000, skipped=0,
                          fingerprint="0000000000000000")
    preprocess = {"mean": [0.5] * 3, "std": [0.5] * 3, "input_size": 224}
    model = ModelManifest(name="benchnet", slug="benchnet", key=MODEL_KEY, weights_hash="0" * 64, random_init=False,
                          preprocess=preprocess, layers=layers, dataset=dataset,
                          all_layers={layer.name: LayerInfo(layer.name, layer.channels, layer.height, layer.width,
                                                            layer.order) for layer in layers})
    return Manifest(title="Site benchmark", site_url="", atlas_version="0.1.0", config="generated",
                    config_text="", overrides={}, created="2026-01-01 00:00:00 UTC", dataset=dataset,
                    featurevis=asdict(FeatureVisParams()),
                    exemplars=asdict(ExemplarParams(k=EXEMPLARS, crop_px=CROP_PX)),
                    synthetic=asdict(BatteryParams()), families=asdict(FamilyParams()), rotation={}, verdicts={},
                    gallery="", versions={}, models=[model])
