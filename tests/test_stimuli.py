import numpy as np
import pytest

from generate.config import BatteryParams
from generate.analysis.stimuli import Canvas, angle, arc_geometry, battery, curve, edge, grating, line, render

CANVAS = Canvas(128, (64.0, 64.0))


def _ink(image: np.ndarray, threshold: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """x, y (mathematical frame, relative to the centre) of dark pixels."""
    x, y = CANVAS.xy
    mask = image.mean(axis=2) < threshold
    return x[mask], y[mask]


@pytest.mark.parametrize("orientation", [0.0, 45.0, 90.0, 210.0, 315.0])
@pytest.mark.parametrize("radius", [15.0, 30.0])
def test_curve_lies_on_its_circle_and_bulges_toward_its_orientation(orientation, radius):
    image = curve(CANVAS, radius, orientation, width=2.0)
    x, y = _ink(image)
    centre, _, _ = arc_geometry(radius, orientation)
    distance = np.hypot(x - centre[0], y - centre[1])
    assert np.all(np.abs(distance - radius) <= 1.5)
    # the arc's midpoint is the canvas centre; its ends bend back toward the circle's centre
    assert image[63:65, 63:65].mean(axis=2).min() < 0.5
    ink = 1 - image.mean(axis=2)  # coverage-weighted centroid of the stroke
    gx, gy = CANVAS.xy
    direction = np.rad2deg(np.arctan2((ink * gy).sum(), (ink * gx).sum())) % 360
    assert min(abs(direction - (orientation + 180) % 360), 360 - abs(direction - (orientation + 180) % 360)) < 1.5
    # a 90 degree arc: its ink spans a chord of r * sqrt(2)
    span = np.hypot(x.max() - x.min(), y.max() - y.min())
    assert radius * np.sqrt(2) - 3 < span < radius * np.sqrt(2) + 4


def test_polarity_variants():
    standard = curve(CANVAS, 20, 30, 2.0, "standard")
    inverted = curve(CANVAS, 20, 30, 2.0, "inverted")
    np.testing.assert_allclose(inverted, 1 - standard)
    grey = curve(CANVAS, 20, 30, 2.0, "grey")
    assert grey[0, 0].tolist() == [0.5, 0.5, 0.5] and grey.min() == 0.0
    fill = curve(CANVAS, 20, 30, 2.0, "fill")
    assert len({tuple(np.round(p, 2)) for p in fill.reshape(-1, 3)}) > 3  # two colours and grey


@pytest.mark.parametrize("orientation", [0.0, 30.0, 90.0, 135.0])
def test_line_and_grating_orientation(orientation):
    x, y = _ink(line(CANVAS, 60, orientation, 2.0))
    # principal axis of the ink
    cov = np.cov(np.stack([x, y]))
    values, vectors = np.linalg.eigh(cov)
    axis = np.rad2deg(np.arctan2(vectors[1, -1], vectors[0, -1])) % 180
    assert min(abs(axis - orientation % 180), 180 - abs(axis - orientation % 180)) < 2
    # a grating does not change along its stripes
    image = grating(CANVAS, orientation, 4, 100)[..., 0]
    step = np.array([np.cos(np.deg2rad(orientation)), -np.sin(np.deg2rad(orientation))]) * 3  # (col, row)
    a = image[64, 64]
    b = image[int(round(64 + step[1])), int(round(64 + step[0]))]
    assert abs(a - b) < 0.08


def test_edge_light_side_and_angle_vertex():
    image = edge(CANVAS, 90.0, 50)  # light side up
    assert image[44, 64].mean() > 0.9 and image[84, 64].mean() < 0.1
    x, y = _ink(angle(CANVAS, 30, 60.0, 90.0, 2.0))  # vertex points up: the arms go down from it
    assert y.max() < 2 and y.min() < -20


def test_battery_is_deterministic_and_complete():
    params = BatteryParams(orientation_step=30.0)
    stimuli = battery(params)
    families = {s.family for s in stimuli}
    assert {"curve", "line", "edge", "angle", "grating", "high_low", "hue", "colour_edge", "centre_surround",
            "gradient", "blank"} <= families
    assert sum(s.family == "curve" and s.params["variant"] == "standard" for s in stimuli) == 12 * len(params.radii)
    a = [render(s, CANVAS, 100, params) for s in stimuli[::37]]
    b = [render(s, CANVAS, 100, params) for s in battery(params)[::37]]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
        assert x.min() >= 0 and x.max() <= 1
