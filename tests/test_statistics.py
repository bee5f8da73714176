"""Family-level statistics on synthetic tables whose answers are known."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from generate.analysis import statistics as st
from generate.errors import AtlasError

RULE = st.FamilyRule()
FAST = st.FamilyRule(n_permutations=500, n_bootstrap=500)  # for simulations over many datasets


def planted(n: int = 20, seed: int = 0, noise: float = 5.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted orientations, measurements equal to them plus noise, and a control measured at random."""
    rng = np.random.default_rng(seed)
    predicted = rng.uniform(0, 360, n)
    return predicted, predicted + rng.normal(0, noise, n), rng.uniform(0, 360, n)


def entry(measured, predicted, control, validated: bool = True, rule: st.FamilyRule = RULE, **kwargs) -> dict:
    table = st.AgreementTable.from_orientations(measured, predicted, period=360.0, tolerance=22.5,
                                                control=control, **kwargs)
    return st.claims_entry(st.analyse_argument(table, rule), rule, validated)


@pytest.mark.parametrize("continuous", [False, True])
def test_planted_family_is_supported(continuous):
    predicted, measured, control = planted()
    result = entry(measured, predicted, control, continuous=continuous)
    assert result["conclusion"] == st.SUPPORTED, result["reason"]
    assert result["p_value_permutation"] < 0.01 and result["p_value_control"] < 0.01
    assert result["units"] == result["passing"] == 20 and result["control_units"] == 20
    low, high = result["interval"]["control"]
    assert 0 < low <= result["effect_size"]["control"] <= high


@pytest.mark.parametrize("continuous", [False, True])
def test_shuffled_family_is_not_supported(continuous):
    predicted, measured, control = planted()
    result = entry(np.roll(measured, 7), predicted, control, continuous=continuous)
    assert result["conclusion"] == st.NOT_SUPPORTED
    assert result["p_value_permutation"] > 0.05
    low, high = result["interval"]["permutation"]
    assert low < 0 < high  # no effect beyond chance


def test_control_as_good_as_the_family_is_not_supported():
    predicted, measured, _ = planted()
    result = entry(measured, predicted, control=predicted + 3.0)
    assert result["p_value_permutation"] < 0.01 and result["p_value_control"] == 1.0
    assert result["conclusion"] == st.NOT_SUPPORTED and "control" in result["reason"]


def test_two_units_are_inconclusive():
    predicted, measured, control = planted(n=2)
    assert entry(measured, predicted, control)["conclusion"] == st.INCONCLUSIVE


def test_a_missing_or_empty_control_is_never_supported():
    predicted, measured, _ = planted()
    missing = entry(measured, predicted, control=None)
    assert missing["conclusion"] == st.INCONCLUSIVE and missing["p_value_control"] is None
    assert missing["effect_size"]["control"] is None and missing["interval"]["control"] is None
    table = st.AgreementTable.from_orientations(measured, predicted, period=360.0, tolerance=22.5)
    unmeasured = st.AgreementTable(table.scores, control=np.full(20, np.nan))
    thin = st.AgreementTable(table.scores, control=np.r_[np.zeros(3), np.full(17, np.nan)])
    for control_table in (unmeasured, thin):
        result = st.claims_entry(st.analyse_argument(control_table, RULE), RULE, True)
        assert result["conclusion"] == st.INCONCLUSIVE, result
    assert st.analyse_argument(unmeasured, RULE).p_value_control is None
    assert st.analyse_argument(thin, RULE).control_units == 3


def test_an_uncalibrated_instrument_decides_nothing():
    predicted, measured, control = planted()
    assert entry(measured, predicted, control, validated=False)["conclusion"] == st.NOT_VALIDATED


def test_an_empty_family_is_inconclusive_and_serialisable():
    result = st.analyse_argument(st.AgreementTable(np.zeros((0, 0))), RULE)
    out = st.claims_entry(result, RULE, True)
    assert out["conclusion"] == st.INCONCLUSIVE and out["units"] == 0
    json.dumps(out, allow_nan=False)


def test_claims_entry_has_the_issue_keys_and_is_strict_json():
    predicted, measured, control = planted()
    out = entry(measured, predicted, control)
    assert {"units", "passing", "effect_size", "p_value_permutation", "p_value_control", "interval",
            "conclusion", "rule"} <= set(out)
    assert out["rule"] == RULE.rule_text()
    json.dumps(out, allow_nan=False)


def test_small_families_are_enumerated_exactly():
    # unit i agrees only with its own prediction: only the identity of 5! pairings scores 1
    result = st.analyse_argument(st.AgreementTable(np.eye(5), control=np.zeros(5)), RULE)
    assert result.p_value_permutation == pytest.approx(1 / math.factorial(5))
    assert result.p_value_control == pytest.approx(1 / 2 ** 5)  # only all-positive signs reach 1
    assert result.chance == pytest.approx(1 / 5)


def test_period_180_wraps_axes():
    table = st.AgreementTable.from_orientations([179.0, 10.0], [1.0, 100.0], period=180.0, tolerance=5.0)
    assert np.diagonal(table.scores).tolist() == [1.0, 0.0]
    np.testing.assert_allclose(st.circular_distances([350.0, 10.0], [10.0, 350.0]), [20.0, 20.0])


def test_tuning_curves_read_at_the_predictions():
    angles = np.arange(0, 360, 15.0)
    predicted, _, _ = planted()
    curves = np.exp(-st.circular_distances(angles[None], predicted[:, None]) ** 2 / (2 * 20.0 ** 2))
    flat = np.ones_like(curves)  # an unselective control agrees with everything at half-max or more
    table = st.AgreementTable.from_tuning(3 * curves, angles, predicted, control_curves=flat)
    assert np.diagonal(table.scores).min() > 0.8 and table.control.tolist() == [1.0] * 20
    result = st.analyse_argument(table, RULE)
    assert result.p_value_permutation < 0.01 and result.p_value_control > 0.5  # a flat control ties


def test_same_seed_same_numbers():
    predicted, measured, control = planted()
    assert entry(measured, predicted, control) == entry(measured, predicted, control)
    other = entry(measured, predicted, control, rule=st.FamilyRule(seed=1))
    assert other["interval"] != entry(measured, predicted, control)["interval"]


def test_p_values_are_uniform_under_the_null():
    rng = np.random.default_rng(7)
    p_perm, p_control = [], []
    for _ in range(200):
        predicted, measured, control = rng.uniform(0, 360, (3, 15))
        result = st.analyse_argument(st.AgreementTable.from_orientations(
            measured, predicted, period=360.0, tolerance=22.5, control=control, continuous=True), FAST)
        p_perm.append(result.p_value_permutation)
        p_control.append(result.p_value_control)
    for p in (np.array(p_perm), np.array(p_control)):
        assert 0.01 <= (p < 0.05).mean() <= 0.10
        assert 0.4 <= (p < 0.5).mean() <= 0.6


def test_intervals_cover_the_true_effect():
    # each unit passes with probability 0.7, its control with 0.3: true effect 0.4, true pass rate 0.7
    rng = np.random.default_rng(3)
    n, hits_control, hits_pass = 30, 0, 0
    for _ in range(200):
        own = (rng.random(n) < 0.7).astype(float)
        table = st.AgreementTable(np.diag(own), control=(rng.random(n) < 0.3).astype(float))
        result = st.analyse_argument(table, FAST)
        hits_control += result.interval_control[0] <= 0.4 <= result.interval_control[1]
        hits_pass += result.pass_interval[0] <= 0.7 <= result.pass_interval[1]
    assert hits_control >= 0.88 * 200 and hits_pass >= 0.88 * 200


def test_interval_on_agreement_beyond_chance_covers_the_true_effect():
    # 60% of units measure their prediction exactly, the rest at random; a random pairing agrees
    # 2 x 22.5 / 360 of the time, so the true effect is 0.6 x (1 - 0.125)
    rng = np.random.default_rng(5)
    truth, n, hits = 0.6 * (1 - 45 / 360), 25, 0
    for _ in range(200):
        predicted = rng.uniform(0, 360, n)
        measured = np.where(rng.random(n) < 0.6, predicted, rng.uniform(0, 360, n))
        table = st.AgreementTable.from_orientations(measured, predicted, period=360.0, tolerance=22.5)
        low, high = st.analyse_argument(table, FAST).interval_permutation
        hits += low <= truth <= high
    assert hits >= 0.88 * 200


def test_rule_text_states_the_thresholds_the_code_applies():
    rule = st.FamilyRule(alpha=0.05, min_units=12, n_permutations=2000, n_bootstrap=300, confidence=0.9, seed=4)
    text = rule.rule_text()
    for shown in ("p < 0.05", "at least 12 ", "fewer than 12 units", "2,000 shuffles", "2,000 flips",
                  "90% percentile bootstrap", "300 resamples", "seed 4"):
        assert shown in text, shown
    assert re.findall(r"p < ([0-9.]+)", RULE.rule_text()) == [str(RULE.alpha)]
    # the same family, a p-value between the two alphas: the looser printed rule supports it
    result = st.analyse_argument(st.AgreementTable(np.eye(12), control=np.r_[np.zeros(5), np.ones(7)]), rule)
    assert 0.01 < result.p_value_control < 0.05
    assert rule.conclude(result, True).verdict == st.SUPPORTED
    strict = st.FamilyRule(min_units=12)
    assert strict.conclude(result, True).verdict == st.NOT_SUPPORTED
    assert strict.conclude(st.analyse_argument(st.AgreementTable(np.eye(11)), strict), True).verdict == (
        st.INCONCLUSIVE)


@pytest.mark.parametrize("kwargs", [{"min_units": 6}, {"n_permutations": 50}, {"alpha": 0}, {"n_bootstrap": 10}])
def test_rules_that_could_never_decide_are_refused(kwargs):
    with pytest.raises(AtlasError, match="statistics"):
        st.FamilyRule(**kwargs)


def test_bad_tables_are_refused():
    with pytest.raises(AtlasError, match="square"):
        st.AgreementTable(np.zeros((3, 2)))
    with pytest.raises(AtlasError, match="one value per unit"):
        st.AgreementTable(np.eye(3), control=np.zeros(2))


def gaussian_curves(preferred, angles, width: float = 20.0, period: float = 360.0) -> np.ndarray:
    d = st.circular_distances(np.asarray(angles)[None], np.asarray(preferred)[:, None], period)
    return np.exp(-d ** 2 / (2 * width ** 2))


def test_joint_tuning_even_family_covers_the_circle():
    angles = np.arange(0, 360, 5.0)
    even = st.joint_tuning(gaussian_curves(np.arange(0, 360, 30.0), angles), angles, draws=2000)
    assert even.coverage == 1.0 and even.largest_gap == 30.0
    assert even.largest_gap_p < 0.01 and even.coverage_p < 0.01
    clustered = st.joint_tuning(gaussian_curves(np.linspace(80, 110, 12), angles), angles, draws=2000)
    assert clustered.coverage < 0.3 and clustered.largest_gap > 300 and clustered.largest_gap_p > 0.5


def test_joint_tuning_period_180_and_given_preferences():
    angles = np.arange(0, 180, 5.0)
    lines = st.joint_tuning(gaussian_curves(np.arange(0, 180, 30.0), angles, 15.0, 180.0), angles,
                            preferred=[0.0, 30.0, 60.0, 90.0, 120.0, 175.0], period=180.0, draws=1000)
    assert lines.period == 180.0 and lines.largest_gap == 55.0  # 120 -> 175
    assert st.joint_tuning(np.zeros((0, 36)), angles, period=180.0).coverage is None
