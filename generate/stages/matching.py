"""Universality stage: every atlas unit of the reference model (the config's first) matched to
its most similar unit of each other model, and of that model's random-init control.

Similarity (generate/matching.py) is the correlation of synthetic tuning profiles (the whole
battery's drives) and, where both models saw the same images, the correlation of per-image
maximum activations; with both, their average. A match means something only against the
control column: a random network's units also resemble some trained unit by chance. Units are
pooled over the atlas's layers, so a match may lie at another depth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from generate.analysis import matching
from generate.records import SyntheticRecord
from generate.stages.base import Context, Target
from generate.stages.dataset import DATASET
from generate.stages.synthetic import SYNTHETIC
from generate.store import StageStore

VERSION = 1


@dataclass
class UnitTable:
    """The atlas units of one model, pooled over layers, with what matching compares."""

    keys: list[tuple[str, int]]  # (layer, unit) per column
    labels: list[str]
    profiles: np.ndarray  # [n_stimuli, n_units] tuning profiles
    maxima: np.ndarray | None  # [n_images, n_units] per-image maxima, where stored
    fingerprint: str  # of the images behind `maxima`
    sources: list[str]  # the store folders read


def unit_table(ctx: Context, target: Target) -> UnitTable:
    made, data = ctx.stores(SYNTHETIC, target), ctx.stores(DATASET, target)
    keys, labels, drives, maxima = [], [], [], []
    for layer, units in target.layer_units.items():
        for unit in units:
            record = made[layer].load_record(unit, SyntheticRecord)
            keys.append((layer, unit))
            labels.append(record.family.label)
            drives.append(record.drive)
            maxima.append(np.load(data[layer].file(f"{unit}.imax.npy")))
    sources = sorted({made[layer].dir.name for layer in target.layers} | {data[layer].dir.name for layer in target.layers})
    return UnitTable(keys, labels, matching.tuning_profile(np.array(drives, dtype=np.float64).T),
                     np.array(maxima, dtype=np.float64).T, target.images.fingerprint, sources)


def similarity(a: UnitTable, b: UnitTable) -> tuple[np.ndarray, list[str]]:
    """Profile similarity, averaged with activation similarity where the images are the same."""
    profile = matching.similarity(a.profiles, b.profiles)
    if a.maxima is not None and b.maxima is not None and a.fingerprint == b.fingerprint:
        return matching.combined(profile, matching.similarity(a.maxima, b.maxima)), ["profile", "activation"]
    return profile, ["profile"]


def _best(sim: np.ndarray, table: UnitTable) -> list[dict]:
    return [{"layer": table.keys[m.unit_b][0], "unit": table.keys[m.unit_b][1], "label": table.labels[m.unit_b],
             "similarity": round(float(m.similarity), 4)} for m in matching.best_matches(sim)]


def match_tables(reference: UnitTable, other: UnitTable, control: UnitTable | None) -> dict:
    """Per reference unit: its best match in the other model and in that model's control."""
    sim, measures = similarity(reference, other)
    best = _best(sim, other)
    control_best = _best(similarity(reference, control)[0], control) if control else [None] * len(best)
    units = [{"layer": layer, "unit": unit, "label": label, "match": match, "control": control_match}
             for (layer, unit), label, match, control_match in zip(reference.keys, reference.labels, best, control_best)]
    mean = float(np.mean([u["match"]["similarity"] for u in units]))
    control_mean = float(np.mean([u["control"]["similarity"] for u in units])) if control else None
    return {"measures": measures, "units": units, "mean_similarity": mean, "control_mean_similarity": control_mean}


def run_matching_stage(ctx: Context, targets: list[Target]) -> list[str]:
    """Match the reference model's units to every other model's; returns the stored folders.
    Its key covers the folders of every table it reads (a cross-model stage: no single target)."""
    reference = unit_table(ctx, targets[0])
    folders = []
    for target in targets[1:]:
        other = unit_table(ctx, target)
        control = unit_table(ctx, target.control) if target.control else None
        params = {"stage": "matching", "version": VERSION, "reference": reference.sources, "other": other.sources,
                  "control": control.sources if control else None, "battery": asdict(ctx.config.synthetic)}
        store = StageStore(ctx.store_root, "matching", f"{targets[0].model.key}--{target.model.key}", "matching",
                           params)
        if not store.has("pairs"):
            store.save("pairs", {"reference": targets[0].model.name, "other": target.model.name,
                                 "other_slug": target.model.slug,
                                 "control": target.control.model.name if target.control else None,
                                 **match_tables(reference, other, control)})
        folders.append(str(store.dir.relative_to(ctx.store_root)))
    return folders
