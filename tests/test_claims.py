"""The claims report: family-level conclusions from verdicts with known answers, the pre-declared
rule printed as the code applies it, claims.json, and the pages rendered from a small store."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generate.analysis import claims, statistics
from generate.analysis.family_tests import Member, agreement_table, family_entries
from generate.analysis.verdicts import ARGUMENTS, Rules
from generate.config import ArcParams, FamilyParams, RotationParams, VerdictParams
from generate.records import UnitVerdicts, Verdict
from tests.test_site_families import _text, make_store, render_and_build
from tests.test_site_rotation import add_rotation_and_verdicts

RULES = Rules(FamilyParams(), RotationParams(), VerdictParams(), ArcParams(), (0.4, 0.6), 1.5)
RULE = statistics.FamilyRule(n_permutations=2000, n_bootstrap=300)
VALIDATED = {key: True for key, *_ in ARGUMENTS}


def _verdicts(expected: float, measured: float, control_passed: bool) -> UnitVerdicts:
    """A curve unit's four verdicts: its pictures and peaks show `measured` where it was predicted
    `expected`; its random-init control passes or fails at the same prediction."""
    row = {"orientation": measured, "qualifies": True}
    distance = abs((measured - expected + 180) % 360 - 180)
    agrees = distance <= 22.5
    common = {"score": 1.0, "reason": "", "control_passed": control_passed, "period": 360.0}
    return UnitVerdicts(
        feature_visualization=Verdict(passed=agrees, expected=expected, seeds=[dict(row, seed=0), dict(row, seed=1)],
                                      **common),
        dataset_examples=Verdict(passed=agrees, expected=expected, strong=[row] * 4, **common),
        synthetic_examples=Verdict(passed=agrees, orientation=measured, qualifies=True, **common),
        joint_tuning=Verdict(passed=distance <= 30, orientation=measured, qualifies=True, **common))


def _family(n: int, shift: float = 0.0, noise: float = 5.0, control: bool = False, seed: int = 0) -> list[Member]:
    rng = np.random.default_rng(seed)
    predicted = rng.uniform(0, 360, n)
    measured = (predicted + shift + rng.normal(0, noise, n)) % 360
    return [Member("layer", i, float(p), _verdicts(float(p), float(m), control))
            for i, (p, m) in enumerate(zip(predicted, measured))]


def test_a_family_with_a_real_effect_is_supported_on_every_argument():
    entries = family_entries(_family(16), RULES, RULE, curve=True, validated=VALIDATED)
    for key, entry in entries.items():
        assert entry["conclusion"] == statistics.SUPPORTED, (key, entry["reason"])
        assert entry["units"] == entry["passing"] == 16 and entry["p_value_permutation"] < 0.01


def test_a_shuffled_family_is_not_supported():
    """Each unit's pictures and peaks show another unit's predicted feature: the family detects
    features of its kind, but not the ones its stimuli predict."""
    family = _family(16)
    shown = [m.verdicts.synthetic_examples.orientation for m in family]
    shuffled = [Member(m.layer, m.unit, m.orientation, _verdicts(m.orientation, shown[(i + 5) % 16], False))
                for i, m in enumerate(family)]
    entries = family_entries(shuffled, RULES, RULE, curve=True, validated=VALIDATED)
    assert all(e["conclusion"] == statistics.NOT_SUPPORTED for e in entries.values()), entries


def test_a_control_as_good_as_the_family_is_not_evidence():
    entries = family_entries(_family(16, control=True), RULES, RULE, curve=True, validated=VALIDATED)
    assert entries["dataset_examples"]["conclusion"] == statistics.NOT_SUPPORTED
    assert entries["dataset_examples"]["p_value_control"] >= RULE.alpha


def test_small_families_and_unvalidated_instruments_conclude_nothing():
    small = family_entries(_family(4), RULES, RULE, curve=True, validated=VALIDATED)
    assert {e["conclusion"] for e in small.values()} == {statistics.INCONCLUSIVE}
    unvalidated = family_entries(_family(16), RULES, RULE, curve=True,
                                 validated={**VALIDATED, "joint_tuning": False})
    assert unvalidated["joint_tuning"]["conclusion"] == statistics.NOT_VALIDATED
    assert claims.overall([e["conclusion"] for e in unvalidated.values()]) == statistics.NOT_VALIDATED
    empty = family_entries([], RULES, RULE, curve=True, validated=VALIDATED)
    assert {e["conclusion"] for e in empty.values()} == {statistics.INCONCLUSIVE}


def test_agreement_is_recomputed_at_other_predictions():
    family = _family(3, noise=0.0)
    table = agreement_table(family, "dataset_examples", RULES, curve=True)
    np.testing.assert_array_equal(np.diag(table.scores), 1.0)
    assert table.scores.sum() < 9  # another unit's prediction is generally not met


def test_overall_needs_every_argument():
    assert claims.overall([statistics.SUPPORTED] * 4) == statistics.SUPPORTED
    assert claims.overall([statistics.SUPPORTED, statistics.NOT_SUPPORTED]) == statistics.NOT_SUPPORTED
    assert claims.overall([statistics.SUPPORTED, statistics.INCONCLUSIVE]) == statistics.INCONCLUSIVE


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    return render_and_build(root, add_rotation_and_verdicts(root / "store", make_store(root / "store")))


def test_claims_json_holds_every_family_test_with_the_printed_rule(site_dir):
    data = json.loads((site_dir / "claims" / "claims.json").read_text())
    curve = data["tiny<b>net</b>"][claims.CURVES]
    assert set(curve) == {key for key, *_ in ARGUMENTS}
    keys = {"units", "passing", "effect_size", "p_value_permutation", "p_value_control", "interval", "conclusion",
            "rule"}
    for entry in curve.values():
        assert keys <= set(entry)
        assert entry["rule"] == statistics.FamilyRule().rule_text()
        # four curve units: fewer than the rule needs; and no calibration in this store
        assert entry["conclusion"] == statistics.NOT_VALIDATED
    text = _text((site_dir / "claims" / "curves" / "index.html").read_text())
    assert statistics.FamilyRule().rule_text() in text  # the rule on the page is the code's
    assert "instrument not validated" in text


def test_low_level_and_universality_claims(site_dir):
    low = _text((site_dir / "claims" / "low-level" / "index.html").read_text())
    assert "Early layers in this atlas: early.conv." in low
    assert "colour contrast 1 0 no orientation – – – – – counted only" in low, low
    universal = _text((site_dir / "claims" / "universality" / "index.html").read_text())
    assert "This atlas has 1 model" in universal and "inconclusive" in universal
    index = _text((site_dir / "claims" / "index.html").read_text())
    assert "Curve detectors: Arguments 1–4 instrument not validated" in index


def test_surveyed_early_layers_say_argument_1_is_not_measured(site_dir):
    """An atlas whose early layers carry labels only (the claims atlas surveys them) says so,
    instead of a gallery of visualizations that were never computed; one that judged them does not."""
    from types import SimpleNamespace

    from generate.analysis.claims import LowLevelClaim, LowLevelRow
    from generate.site import urls
    from generate.site.views.claims import _low_level

    def view(units: int) -> dict:
        row = LowLevelRow("line/edge", 41, 25, {"units": units, "conclusion": "inconclusive"})
        claim = LowLevelClaim(model=None, early=["blocks.1.dw"], rows=[row], conclusion="inconclusive", gallery=[])
        return _low_level(SimpleNamespace(low_level=[claim]), urls.Links("claims/low-level.md"))[0]

    assert not view(0)["judged"] and view(12)["judged"]
    low = _text((site_dir / "claims" / "low-level" / "index.html").read_text())
    assert "These early layers are surveyed in this atlas" not in low  # this store judges its early layer
