"""Matching units across models: the similarity measures and assignment on small arrays, then
the check that matching finds every unit of a real CNN in a copy of it whose channels are
permuted, with a different random model as the control."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from generate.stages import synthetic
from generate.config import BatteryParams, ExemplarParams
from generate.data import scan_images
from generate.stages.accumulate import unit_stats
from generate.stages.dataset import scan_dataset
from generate.analysis.families import drives
from generate.models.layers import capture, run_until
from generate.analysis.matching import (Match, best_matches, combined, informative, match, mean_similarity,
                               permutation_recovery, similarity, tuning_profile)
from generate.models import load_model
from generate.models.receptive_field import compute_receptive_field
from generate.analysis.stimuli import battery


# ---------------------------------------------------------------- small arrays

def test_similarity_is_pearson_and_ignores_scale_and_offset():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 4))
    b = rng.normal(size=(40, 3))
    sim = similarity(a, b)
    assert sim.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            assert sim[i, j] == pytest.approx(np.corrcoef(a[:, i], b[:, j])[0, 1], abs=1e-12)
    # Another model's units may have a different scale and baseline: the same unit still scores 1.
    np.testing.assert_allclose(np.diag(similarity(a, 5.0 * a - 3.0)), 1.0, atol=1e-12)


def test_known_permutation_is_recovered():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(30, 8))
    perm = rng.permutation(8)  # column j of b is unit perm[j] of a
    b = a[:, perm] * rng.uniform(0.5, 2.0, 8) + rng.normal(size=8) + rng.normal(scale=0.05, size=(30, 8))
    truth = {int(unit): int(j) for j, unit in enumerate(perm)}
    matches = match(similarity(a, b))
    assert permutation_recovery(matches, truth) == 1.0
    assert [m.similarity for m in matches] == sorted((m.similarity for m in matches), reverse=True)
    assert all(m.similarity > 0.95 for m in matches)
    assert permutation_recovery(matches[:4], truth) == 0.5, "unmatched units count as wrong"


def test_constant_columns_have_zero_similarity_not_nan():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(20, 3))
    a[:, 1] = 0.0  # a dead unit
    b = rng.normal(size=(20, 2))
    b[:, 0] = np.float32(0.3)  # constant, with float32 rounding after the cast
    a[:, 2] = np.float32(7.0) + np.spacing(np.float32(7.0)) * rng.integers(-2, 3, 20)  # float32 rounding jitter
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a division by a zero spread would warn before giving NaN
        sim = similarity(a, b)
        flat = tuning_profile(np.full(20, 2.5))
    assert np.all(np.isfinite(sim))
    assert np.all(sim[1:] == 0.0) and np.all(sim[:, 0] == 0.0)
    assert np.all(flat == 0.0)
    np.testing.assert_array_equal(informative(a), [True, False, False])
    np.testing.assert_array_equal(informative(b), [False, True])
    assert np.all(similarity(np.zeros((1, 2)), np.zeros((1, 3))) == 0.0), "one item: nothing to correlate"


def test_similarity_refuses_mismatched_items_and_non_finite_values():
    with pytest.raises(ValueError, match="same items"):
        similarity(np.zeros((5, 2)), np.zeros((6, 2)))
    with pytest.raises(ValueError, match="NaN"):
        similarity(np.array([[1.0], [np.nan], [2.0]]), np.ones((3, 1)))


def test_tuning_profile_is_z_scored_per_unit():
    rng = np.random.default_rng(3)
    drive = rng.normal(loc=3.0, scale=4.0, size=(50, 3))
    profile = tuning_profile(drive)
    assert profile.shape == drive.shape
    np.testing.assert_allclose(profile.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(profile.std(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(tuning_profile(drive[:, 1]), profile[:, 1])


def test_match_maximises_the_total_not_greedily():
    # Greedy best-first would take (0, 0) = 0.9 and be left with (1, 1) = 0.1: total 1.0.
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    pairs = match(sim)
    assert {(m.unit_a, m.unit_b) for m in pairs} == {(0, 1), (1, 0)}
    assert pairs[0] == Match(1, 0, 0.85)
    # best_matches is not one-to-one: both units of A are nearest to unit 0 of B.
    assert [(m.unit_a, m.unit_b) for m in best_matches(sim)] == [(0, 0), (1, 0)]


def test_rectangular_matrices_threshold_and_unit_ids():
    rng = np.random.default_rng(4)
    sim = rng.uniform(-1, 1, size=(3, 5))
    for matrix in (sim, sim.T):
        pairs = match(matrix)
        assert len(pairs) == 3
        assert len({m.unit_a for m in pairs}) == len({m.unit_b for m in pairs}) == 3
    kept = match(sim, min_similarity=0.0)
    assert all(m.similarity >= 0.0 for m in kept)
    assert {m.unit_a for m in kept} <= {m.unit_a for m in match(sim)}
    named = match(sim, units_a=[10, 20, 30], units_b=[5, 6, 7, 8, 9])
    assert [(m.unit_a, m.unit_b) for m in named] == [(10 * (m.unit_a + 1), m.unit_b + 5) for m in match(sim)]
    assert [m.unit_a for m in best_matches(sim, units_a=[10, 20, 30])] == [10, 20, 30]
    with pytest.raises(ValueError, match="units_a"):
        match(sim, units_a=[1, 2])


def test_combined_and_match_record():
    p, a = np.array([[1.0, -0.2]]), np.array([[0.6, 0.4]])
    np.testing.assert_allclose(combined(p, a), [[0.8, 0.1]])
    np.testing.assert_allclose(combined(p, a, weight=1.0), p)
    np.testing.assert_allclose(combined(p, a, weight=0.0), a)
    with pytest.raises(ValueError, match="shape"):
        combined(p, a.T)
    with pytest.raises(ValueError, match="weight"):
        combined(p, a, weight=1.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Match(0, 1, 0.5).similarity = 1.0
    assert mean_similarity([Match(0, 0, 0.5), Match(1, 1, 1.0)]) == 0.75 and mean_similarity([]) == 0.0


# ---------------------------------------------------------------- a real CNN and its permuted copy

LAYER = "relu2"  # the matched layer
CHANNELS = 16
PERM = torch.randperm(CHANNELS, generator=torch.Generator().manual_seed(7))  # copy channel j = original unit PERM[j]
DEAD = (3, 11)  # units silenced in the original: dead ReLUs are common and must not be "recovered" by luck
PREPROCESS = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "input_size": 96}
BATTERY = BatteryParams(orientation_step=45.0)
EXEMPLARS = ExemplarParams(batch=8)


class SmallCNN(nn.Module):
    """Three random conv layers (fixed seed); relu2 has a 15 px receptive field, enough for the
    battery's strokes and curves to differ."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng():  # a fixed init without touching the caller's RNG
            torch.manual_seed(0)
            self.conv1 = nn.Conv2d(3, CHANNELS, 7, stride=2, padding=3)
            self.relu1 = nn.ReLU()
            self.conv2 = nn.Conv2d(CHANNELS, CHANNELS, 5, padding=2)
            self.relu2 = nn.ReLU()
            self.conv3 = nn.Conv2d(CHANNELS, 8, 3, stride=2, padding=1)
            self.relu3 = nn.ReLU()
        with torch.no_grad():  # constant before the ReLU too (the atlas reads pre-activations)
            self.conv2.weight[list(DEAD)] = 0.0
            self.conv2.bias[list(DEAD)] = -1e3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu3(self.conv3(self.relu2(self.conv2(self.relu1(self.conv1(x))))))


def original() -> tuple[nn.Module, dict]:
    return SmallCNN(), PREPROCESS


def permuted() -> tuple[nn.Module, dict]:
    """The same function with relu2's channels reordered: conv2's output channels are permuted
    and conv3 reads its input channels in the same new order."""
    net = SmallCNN()
    with torch.no_grad():
        net.conv2.weight.copy_(net.conv2.weight[PERM])
        net.conv2.bias.copy_(net.conv2.bias[PERM])
        net.conv3.weight.copy_(net.conv3.weight[:, PERM])
    return net, PREPROCESS


# Original unit u is unit TRUTH[u] of the permuted copy.
TRUTH = {int(unit): j for j, unit in enumerate(PERM)}
NAMES = {"original": "tests.test_matching:original", "permuted": "tests.test_matching:permuted",
         "control": "tests.test_matching:original@random:1"}  # a different random model, via the registry


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, np.ndarray]]:
    """Per model: per-image max activations [n_images, 16] on the packaged photos, and tuning
    profiles [n_stimuli, 16] from the battery, in sigma of the same pass's statistics."""
    images = scan_images(None)
    stimuli = battery(BATTERY)
    out = {}
    for key, name in NAMES.items():
        model = load_model(name)
        units = list(range(CHANNELS))
        accumulator = scan_dataset(model, {LAYER: units}, images, EXEMPLARS, progress=False)[LAYER]
        raw = synthetic.respond(model, LAYER, units, stimuli, compute_receptive_field(model, LAYER), BATTERY)
        stats = [unit_stats(accumulator, i) for i in range(len(units))]
        drive = np.stack([drives(stimuli, raw[:, i], s.mean, s.std) for i, s in enumerate(stats)], axis=1)
        maxima = np.stack([accumulator.image_maxima(i) for i in range(len(units))], axis=1)
        out[key] = {"activation": maxima.astype(np.float64), "profile": tuning_profile(drive)}
    return out


def _similarities(measured: dict, other: str) -> dict[str, np.ndarray]:
    a, b = measured["original"], measured[other]
    sims = {kind: similarity(a[kind], b[kind]) for kind in ("activation", "profile")}
    sims["combined"] = combined(sims["profile"], sims["activation"])
    return sims


def test_permuted_copy_computes_the_same_function():
    """The fixture itself: the copy's relu2 is the original's, reordered, and its output is unchanged."""
    a, b = load_model(NAMES["original"]), load_model(NAMES["permuted"])
    x = torch.randn(2, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    outputs = []
    for model in (a, b):
        with torch.no_grad(), capture([model.layer(LAYER), model.layer("relu3")]) as acts:
            run_until(model.module, x)
        outputs.append(acts)
    torch.testing.assert_close(outputs[1][LAYER], outputs[0][LAYER][:, PERM])
    torch.testing.assert_close(outputs[1]["relu3"], outputs[0]["relu3"])


@pytest.mark.parametrize("kind", ["activation", "profile", "combined"])
def test_matching_recovers_units_of_a_permuted_copy(measured, kind):
    """Every unit that varies is matched to its own copy, with similarity 1. The two dead units
    are constant on both measures, so similarity 0 to everything: the data cannot tell them
    apart, and they are reported as such, not counted as recovered."""
    alive = informative(measured["original"]["activation"]) & informative(measured["original"]["profile"])
    assert sorted(np.flatnonzero(~alive)) == list(DEAD)
    matches = match(_similarities(measured, "permuted")[kind])
    assert permutation_recovery(matches, {u: v for u, v in TRUTH.items() if alive[u]}) == 1.0
    by_unit = {m.unit_a: m for m in matches}
    assert all(by_unit[u].similarity > 0.999 for u in np.flatnonzero(alive))
    assert all(by_unit[u].similarity == 0.0 for u in DEAD)
    assert [m.unit_a for m in match(_similarities(measured, "permuted")[kind], min_similarity=0.5)] \
        == [m.unit_a for m in matches if alive[m.unit_a]], "a threshold drops the dead units"


def test_different_random_model_matches_much_worse(measured):
    """Control: the same matching against another random model. Measured (14 live units, 23
    photos, battery at 45 degrees): mean matched similarity 0.87 on activations, 0.29 on
    profiles, 0.53 combined, against 1.0 for the permuted copy, and no unit "recovered". Activation correlation stays high because
    with few images every random unit follows the photo's overall contrast: profile similarity
    is the sharper test, and any matched similarity needs a control like this one."""
    alive = np.flatnonzero(informative(measured["original"]["activation"]) & informative(measured["original"]["profile"]))
    ceilings = {"activation": 0.95, "profile": 0.6, "combined": 0.75}
    for kind, ceiling in ceilings.items():
        same = match(_similarities(measured, "permuted")[kind][alive], units_a=alive.tolist())
        other = match(_similarities(measured, "control")[kind][alive], units_a=alive.tolist())
        assert mean_similarity(same) > 0.999, kind
        assert mean_similarity(other) < ceiling, (kind, mean_similarity(other))
        assert permutation_recovery(other, {int(u): TRUTH[int(u)] for u in alive}) <= 0.25, kind
