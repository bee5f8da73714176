"""Classical orientation measurement (Arguments 1 and 2): checked on the battery's own analytic stimuli."""

from __future__ import annotations

import numpy as np
import pytest

from generate.analysis import stimuli
from generate.analysis.classical import (axis_distance, crop_window, expected_axis, featurevis_window,
                                structure_orientation)

SIZE = 96
CANVAS = stimuli.Canvas(SIZE, (SIZE / 2, SIZE / 2))
CENTRE = crop_window((0, 0, SIZE, SIZE), SIZE, SIZE, 0.15)


@pytest.mark.parametrize("theta", [0.0, 30.0, 75.0, 90.0, 150.0])
def test_a_line_and_an_edge_give_their_contour_axis(theta):
    line = structure_orientation(stimuli.line(CANVAS, 60, theta, 3), CENTRE)
    assert axis_distance(line.axis, expected_axis("line/edge", {"orientation": theta, "kind": "line"})) < 3
    assert line.coherence > 0.8
    edge = structure_orientation(stimuli.edge(CANVAS, theta, 40), CENTRE)
    assert axis_distance(edge.axis, expected_axis("line/edge", {"orientation": theta, "kind": "edge"})) < 3
    # the two opposite polarities of an edge share one axis
    flipped = structure_orientation(stimuli.edge(CANVAS, theta + 180.0, 40), CENTRE)
    assert axis_distance(edge.axis, flipped.axis) < 1


@pytest.mark.parametrize("theta", [0.0, 45.0, 100.0, 200.0, 315.0])
def test_a_curve_gives_the_tangent_at_its_midpoint(theta):
    curve = structure_orientation(stimuli.curve(CANVAS, 20, theta, 3), CENTRE)
    assert axis_distance(curve.axis, (theta + 90.0) % 180.0) < 10
    assert axis_distance(curve.axis, theta % 180.0) > 60  # not its bulge direction


def test_noise_and_blank_have_no_orientation():
    noise = np.random.default_rng(0).random((SIZE, SIZE, 3))
    assert structure_orientation(noise, featurevis_window(SIZE)).coherence < 0.1
    assert structure_orientation(np.full((SIZE, SIZE, 3), 0.5)).coherence == 0.0


def test_crop_window_ignores_padding_outside_the_image():
    # a box hanging 50 px off the left and top of a 224 px image, shown at 100 px
    window = crop_window((-50, -50, 150, 150), 224, 100, 0.15)
    assert window[:25, :].max() == 0 and window[:, :25].max() == 0  # the padded quarter and its border
    assert window[50, 50] == pytest.approx(window.max(), rel=0.05)
    # an image whose only contour is the padding boundary reads as no orientation at all
    crop = np.full((100, 100, 3), 0.5)
    crop[25:, 25:] = 0.9
    assert structure_orientation(crop, window).coherence == 0.0


def test_expected_axis_by_family():
    assert expected_axis("curve", {"orientation": 90.0}) == 0.0  # bulging up: a horizontal tangent
    assert expected_axis("high-low frequency", {"orientation": 0.0}) == 90.0
    assert expected_axis("angle", {"orientation": 0.0, "opening": 90.0}) is None
    assert expected_axis("colour/hue", {"hue": 0.1}) is None
    assert axis_distance(170.0, 10.0) == 20.0
