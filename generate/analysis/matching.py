"""Matching units across models ("universality"): which unit of model B does the same job as a
unit of model A? Pure functions on arrays; the stages that produce the arrays live elsewhere.

Two similarity measures, both Pearson correlations between units (columns), so both lie in
[-1, 1] and ignore each unit's offset and scale (models differ in activation scale):

* Tuning-profile similarity: items are the stimuli of the synthetic battery, values each unit's
  drive in sigma (generate/families.py `drives`). It compares what the units are selective for
  under controlled conditions, at the central position. Limits: both models must have been
  shown the same battery (same BatteryParams, stimuli in the same order, each drawn at its own
  receptive field's scale); it only sees features the battery spans (units tuned to something
  else look flat or alike); and the battery is unbalanced (curves are ~40% of the stimuli), so
  the correlation is dominated by the largest families.
* Activation correlation: items are images, values each image's spatial-max activation (the
  `image_max` of generate/exemplars.py). It compares behaviour on natural images, wherever in
  the image the feature occurs. Limits: both models must have seen the same images in the same
  order; features that co-occur in photos (an edge and the curve it belongs to) correlate
  without being the same feature; and with few images chance correlations are large (their
  spread is about 1/sqrt(n_images - 1)).

Matched similarities are biased upwards: each unit keeps the best of many candidates. Compare
them with the same matching against a control (e.g. a random-init model), never against 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

# A column whose RMS spread is below this fraction of its magnitude is constant up to rounding
# (activations are float32, eps 1.2e-7): its correlations would be correlations of rounding
# noise, so they are 0.
_CONSTANT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Match:
    """A unit of model A paired with a unit of model B, and their similarity."""

    unit_a: int
    unit_b: int
    similarity: float


def _columns(x: np.ndarray, name: str) -> np.ndarray:
    """float64 [n_items, n_units]; a 1-D array is one unit. Non-finite values are refused:
    they would silently turn whole rows of the similarity matrix into NaN."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name}: expected [n_items] or [n_items, n_units], got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns centred and scaled to unit Euclidean norm, constant columns set to 0; and the
    mask of informative (non-constant) columns."""
    if len(x) == 0:  # no items: nothing varies (and a mean over nothing would be NaN)
        return np.zeros_like(x), np.zeros(x.shape[1], dtype=bool)
    centred = x - x.mean(axis=0)
    norm = np.linalg.norm(centred, axis=0)
    magnitude = np.abs(x).max(axis=0, initial=0.0) * np.sqrt(len(x))
    varies = norm > _CONSTANT_TOLERANCE * np.maximum(magnitude, np.finfo(np.float64).tiny)
    scale = np.divide(1.0, norm, out=np.zeros_like(norm), where=varies)
    return centred * scale, varies


def informative(x: np.ndarray) -> np.ndarray:
    """Boolean mask of the units (columns) that vary over the items. A constant unit (dead on
    every image, or flat over the battery) has similarity 0 to everything, so any partner the
    assignment gives it is arbitrary: report or test matches only where this is True."""
    return _standardise(_columns(x, "x"))[1]


def tuning_profile(drive: np.ndarray) -> np.ndarray:
    """A unit's tuning profile for comparison: its drive per stimulus, z-scored over the battery
    (zero mean, unit standard deviation), so units of models with different activation scales
    and baselines are comparable. drive: [n_stimuli] or [n_stimuli, n_units], same shape out.
    A flat profile becomes all zeros, never NaN."""
    drive = np.asarray(drive, dtype=np.float64)
    columns = _columns(drive, "drive")
    unit_norm, _ = _standardise(columns)
    profile = unit_norm * np.sqrt(len(columns))  # unit norm -> unit (population) std
    return profile.reshape(drive.shape)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation between every column of a [n_items, n_a] and every column of
    b [n_items, n_b] -> [n_a, n_b]. The items (stimuli or images) must be the same, in the same
    order, in both. Constant columns have similarity 0 to everything, never NaN."""
    a, b = _columns(a, "a"), _columns(b, "b")
    if len(a) != len(b):
        raise ValueError(f"a has {len(a)} items and b has {len(b)}: correlations need the same items")
    za, _ = _standardise(a)
    zb, _ = _standardise(b)
    return np.clip(za.T @ zb, -1.0, 1.0)


def combined(profile_sim: np.ndarray, activation_sim: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """Weighted mean of the tuning-profile and activation similarities (weight on the profile).

    Averaging, because the measures fail in different ways (the battery misses features it does
    not span; photos conflate features that co-occur) and a pair should score high on both to
    score high overall. Both are correlations on the same [-1, 1] scale, so their mean needs no
    rescaling and stays on it; a product would not (two negative correlations would multiply to
    a positive one)."""
    profile_sim = np.asarray(profile_sim, dtype=np.float64)
    activation_sim = np.asarray(activation_sim, dtype=np.float64)
    if profile_sim.shape != activation_sim.shape:
        raise ValueError(f"similarity matrices differ in shape: {profile_sim.shape} vs {activation_sim.shape}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    return weight * profile_sim + (1.0 - weight) * activation_sim


def _unit_ids(units: Sequence[int] | None, n: int, name: str) -> Sequence[int]:
    if units is None:
        return range(n)
    if len(units) != n:
        raise ValueError(f"{name} has {len(units)} units for {n} similarity {'rows' if name == 'units_a' else 'columns'}")
    return units


def match(sim: np.ndarray, min_similarity: float | None = None,
          units_a: Sequence[int] | None = None, units_b: Sequence[int] | None = None) -> list[Match]:
    """One-to-one pairing of the units of A (rows) with those of B (columns) that maximises the
    total similarity (Hungarian algorithm); with a rectangular matrix the surplus units stay
    unpaired. Best pair first. Pairs below `min_similarity` are dropped after the assignment
    (dropping one does not free its partner for another unit). `units_a`/`units_b` name the
    rows/columns (unit ids of each model); by default they are the indices."""
    sim = np.asarray(sim, dtype=np.float64)
    if sim.ndim != 2:
        raise ValueError(f"sim: expected a [n_a, n_b] matrix, got shape {sim.shape}")
    ids_a, ids_b = _unit_ids(units_a, sim.shape[0], "units_a"), _unit_ids(units_b, sim.shape[1], "units_b")
    rows, cols = linear_sum_assignment(sim, maximize=True)
    pairs = [Match(int(ids_a[r]), int(ids_b[c]), float(sim[r, c])) for r, c in zip(rows, cols)]
    if min_similarity is not None:
        pairs = [p for p in pairs if p.similarity >= min_similarity]
    return sorted(pairs, key=lambda p: (-p.similarity, p.unit_a))


def best_matches(sim: np.ndarray, min_similarity: float | None = None,
                 units_a: Sequence[int] | None = None, units_b: Sequence[int] | None = None) -> list[Match]:
    """For each unit of A (rows, in order), its most similar unit of B: the "nearest unit in
    model B" shown beside it. Not one-to-one: several units of A may share a nearest unit (a
    hint that B has fewer units of that kind). Units below `min_similarity` are left out."""
    sim = np.asarray(sim, dtype=np.float64)
    if sim.ndim != 2 or sim.shape[1] == 0:
        raise ValueError(f"sim: expected a [n_a, n_b] matrix with n_b > 0, got shape {sim.shape}")
    ids_a, ids_b = _unit_ids(units_a, sim.shape[0], "units_a"), _unit_ids(units_b, sim.shape[1], "units_b")
    best = sim.argmax(axis=1)
    pairs = [Match(int(ids_a[r]), int(ids_b[c]), float(sim[r, c])) for r, c in enumerate(best)]
    if min_similarity is not None:
        pairs = [p for p in pairs if p.similarity >= min_similarity]
    return pairs


def permutation_recovery(matches: Sequence[Match], truth: Mapping[int, int]) -> float:
    """Fraction of the units of A in `truth` (unit of A -> its true counterpart in B) whose match
    is that counterpart; a unit left unmatched counts as wrong. The check of a matching method
    against a model whose channel permutation is known."""
    if not truth:
        raise ValueError("truth is empty: nothing to recover")
    found = {m.unit_a: m.unit_b for m in matches}
    return sum(found.get(a) == b for a, b in truth.items()) / len(truth)


def mean_similarity(matches: Sequence[Match]) -> float:
    """Mean similarity of the matched pairs (0 for no pairs): one number per model pair, to set
    beside the same number for a control."""
    return float(np.mean([m.similarity for m in matches])) if matches else 0.0


__all__ = ["Match", "best_matches", "combined", "informative", "match", "mean_similarity",
           "permutation_recovery", "similarity", "tuning_profile"]
