"""Argument 1 on curves: the seeds' neuron visualizations are measured together, on the mean of
their contour fields, and each seed must draw the arc found there (evidence.measure_shared)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from generate.analysis import stimuli
from generate.analysis.evidence import Evidence, Hypothesis, Picture, measure, measure_shared
from generate.analysis.family_tests import _agrees
from generate.analysis.verdicts import Rules, feature_visualization
from generate.config import ArcParams, FamilyParams, RotationParams, VerdictParams
from generate.records import Verdict

SIZE, RADIUS, BULGE = 96, 24.0, 60.0
CANVAS = stimuli.Canvas(SIZE, (SIZE / 2, SIZE / 2))
HYPOTHESIS = Hypothesis("curve", BULGE, RADIUS / SIZE)  # radius as a fraction of the field (SIZE px)
RULES = Rules(FamilyParams(), RotationParams(), VerdictParams(), ArcParams(), (0.5, 0.7), 1.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def clutter(seed: int, amount: float) -> np.ndarray:
    """Colour blobs, as a feature visualization lays around its curve (zero mean)."""
    noise = np.random.default_rng(seed).normal(0, 0.5, (SIZE, SIZE, 3))
    return amount * ndimage.gaussian_filter(noise, (1.5, 1.5, 0))


def seed_picture(seed: int, amount: float, bulge: float | None = BULGE) -> Picture:
    """A 3 px curve at half contrast (or none) under `amount` of clutter."""
    curve = 0.5 * (stimuli.curve(CANVAS, RADIUS, bulge, 3.0) - 1) if bulge is not None else 0.0
    return Picture(to_uint8(0.5 + curve + clutter(seed, amount)))


def alone(picture: Picture) -> bool:
    return measure(picture, HYPOTHESIS, SIZE, VerdictParams(), ArcParams())["agrees"]


def test_one_picture_measures_as_itself():
    picture = seed_picture(0, 1.0)
    single, shared = measure(picture, HYPOTHESIS, SIZE, VerdictParams(), ArcParams()), \
        measure_shared([picture], HYPOTHESIS, SIZE, ArcParams())
    assert {k: shared[k] for k in single} == single
    assert shared["drawn"] == [pytest.approx(single["contrast"], abs=0.01)]


def test_a_curve_both_seeds_draw_under_clutter_passes_more_often_together():
    # each seed alone must pass every check through its own clutter; together, the clutter partly
    # cancels: at this amount both seeds alone pass in 7 of 10 pairs, together in all 10
    pairs = [(seed_picture(2 * i, 2.0), seed_picture(2 * i + 1, 2.0)) for i in range(10)]
    together = [measure_shared(list(pair), HYPOTHESIS, SIZE, ArcParams()) for pair in pairs]
    assert sum(row["agrees"] for row in together) == 10
    assert sum(alone(a) and alone(b) for a, b in pairs) <= 8
    assert all(abs(row["distance"]) <= 15 and min(row["drawn"]) >= 0.05 for row in together)


@pytest.mark.parametrize("other", ["blank", "opposite", "line"])
def test_a_curve_only_one_seed_draws_is_not_shared(other):
    first = seed_picture(0, 1.0)
    assert alone(first)
    second = {"blank": lambda: Picture(to_uint8(np.full((SIZE, SIZE, 3), 0.5))),
              "opposite": lambda: seed_picture(1, 1.0, BULGE + 180.0),
              "line": lambda: Picture(to_uint8(0.5 + 0.5 * (stimuli.line(CANVAS, RADIUS * np.pi / 2, BULGE + 90.0, 3.0)
                                                             - 1) + clutter(1, 1.0)))}[other]()
    row = measure_shared([first, second], HYPOTHESIS, SIZE, ArcParams())
    assert not row["agrees"], row["reason"]


def test_a_curve_over_another_seeds_clutter_rarely_passes():
    # the clutter draws some arc by chance: measured, not ruled out (on the claims atlas the
    # random-init control, whose seeds show such clutter, passes 0 of 119)
    passed = [measure_shared([seed_picture(2 * i, 1.0), seed_picture(2 * i + 1, 2.0, None)], HYPOTHESIS, SIZE,
                             ArcParams())["agrees"] for i in range(10)]
    assert sum(passed) <= 2


def test_a_faint_curve_both_seeds_draw_needs_no_contrast_of_its_own():
    # a curve drawn faintly (as a band of texture draws it) under light clutter: every picture alone
    # fails on the single-picture contrast floor (0.1); together the arc is aligned, and each seed
    # draws it at >= seed_share x that floor, which is the contrast Argument 1 requires
    faint = [Picture(to_uint8(0.5 + 0.1 * (stimuli.curve(CANVAS, RADIUS, BULGE, 3.0) - 1) + clutter(i, 0.3)))
             for i in range(10)]
    assert not any(alone(picture) for picture in faint)
    rows = [measure_shared(faint[i:i + 2], HYPOTHESIS, SIZE, ArcParams()) for i in range(0, 10, 2)]
    assert all(row["agrees"] and row["contrast"] < ArcParams().min_contrast for row in rows), [r["reason"] for r in rows]


def test_a_seed_that_buries_the_arc_in_clutter_fails_on_its_alignment():
    # the second seed draws the arc at ample contrast, but inside clutter that carries most of its
    # edge energy there: without the per-seed alignment 6 of 10 such pairs pass, with it 2
    pairs = [[seed_picture(2 * i, 1.0), seed_picture(2 * i + 1, 4.0)] for i in range(10)]
    loose = [measure_shared(pair, HYPOTHESIS, SIZE, ArcParams(seed_alignment=0.0)) for pair in pairs]
    rows = [measure_shared(pair, HYPOTHESIS, SIZE, ArcParams()) for pair in pairs]
    assert sum(row["agrees"] for row in loose) >= 5
    assert sum(row["agrees"] for row in rows) <= 2
    assert all(min(row["drawn"]) >= 0.1 for row in rows)  # not a contrast failure
    assert all("with alignment" in row["reason"] for row in rows if not row["agrees"])


def test_pictures_of_different_canvases_are_refused():
    with pytest.raises(ValueError, match="one canvas"):
        measure_shared([seed_picture(0, 1.0), Picture(np.zeros((64, 64, 3), np.uint8))], HYPOTHESIS, SIZE,
                       ArcParams())


def test_the_verdict_and_the_family_test_decide_on_the_shared_curve():
    pictures = {0: seed_picture(8, 2.0), 1: seed_picture(9, 2.0)}
    assert alone(pictures[0]) and not alone(pictures[1])  # the old rule, every seed alone, fails it
    result = feature_visualization(Evidence(family=None, field_px=SIZE, featurevis=pictures), HYPOTHESIS, RULES)
    assert result["passed"] and result["score"] == 1.0 and result["shared"]["agrees"]
    assert result["reason"].startswith("the 2 seeds together: best arc bulges")
    assert [s["seed"] for s in result["seeds"]] == [0, 1]  # every seed's own measurement is still shown
    verdict = Verdict(**result)
    # the permutation null asks the same question at another unit's prediction
    assert _agrees(verdict, "feature_visualization", BULGE, RULES, curve=True) == 1.0
    assert _agrees(verdict, "feature_visualization", BULGE + 90.0, RULES, curve=True) == 0.0


def test_seeds_that_each_show_the_curve_a_few_pixels_apart_pass():
    # each seed draws the curve 4 px off the centre, on opposite sides along its bulge: each alone
    # passes, but on their mean the arc found is drawn by one seed only; the verdict and the
    # permutation null still pass the unit, since every seed shows the curve by the stricter rule
    bulge = np.deg2rad(BULGE)
    step = 4 * np.array([-np.sin(bulge), np.cos(bulge)])  # (row, col) toward the bulge: rows point down
    pictures = {seed: Picture(to_uint8(0.5 + 0.5 * (stimuli.curve(stimuli.Canvas(SIZE, tuple(
        np.array([SIZE / 2, SIZE / 2]) + sign * step)), RADIUS, BULGE, 3.0) - 1) + clutter(seed, 0.5)))
        for seed, sign in ((0, 1), (1, -1))}
    assert alone(pictures[0]) and alone(pictures[1])
    result = feature_visualization(Evidence(family=None, field_px=SIZE, featurevis=pictures), HYPOTHESIS, RULES)
    assert not result["shared"]["agrees"]
    assert result["passed"] and result["reason"].startswith("2 of 2 seeds alone show a curve"), result["reason"]
    assert abs(result["orientation"] - BULGE) <= 10
    verdict = Verdict(**result)
    assert _agrees(verdict, "feature_visualization", BULGE, RULES, curve=True) == 1.0
    assert _agrees(verdict, "feature_visualization", BULGE + 90.0, RULES, curve=True) == 0.0


def test_other_families_are_still_judged_seed_by_seed():
    edge = Hypothesis("line/edge", 30.0, kind="edge")
    pictures = {0: seed_picture(0, 1.0), 1: seed_picture(1, 1.0)}
    result = feature_visualization(Evidence(family=None, field_px=SIZE, featurevis=pictures), edge, RULES)
    assert "shared" not in result and len(result["seeds"]) == 2
    assert result["score"] == sum(s["agrees"] for s in result["seeds"]) / 2
