"""Arc templates (Arguments 1 and 2): a curve passes at its bulge direction; a line, the opposite
curve, sharp angles, blank images and noise fail; cosmetic variants and distortions pass."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from generate.analysis import arcs, stimuli
from generate.analysis.classical import crop_window
from generate.errors import AtlasError

SIZE = 96
CANVAS = stimuli.Canvas(SIZE, (SIZE / 2, SIZE / 2))
WIDTH = 3.0
RADII = (12.0, 24.0)
ROUND = [float(t) for t in range(0, 360, 30)]


def measure(image: np.ndarray, radius: float, weights: np.ndarray | None = None) -> arcs.ArcMeasurement:
    return arcs.measure(arcs.edge_map(image, weights, radius=radius), radius)  # as evidence.measure does


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer))


@pytest.mark.parametrize("kind", ["curve", "line", "angle90", "angle45"])
def test_templates_trace_the_stimuli_they_stand_for(kind):
    # every sample of a template lies on the ink of the stimulus it is drawn after (stimuli.py)
    radius, theta = 20.0, 130.0
    length = radius * np.pi / 2
    image = {"curve": lambda: stimuli.curve(CANVAS, radius, theta, WIDTH),
             "line": lambda: stimuli.line(CANVAS, length, theta + 90.0, WIDTH),
             "angle90": lambda: stimuli.angle(CANVAS, length / 2, 90.0, theta, WIDTH),
             "angle45": lambda: stimuli.angle(CANVAS, length / 2, 45.0, theta, WIDTH)}[kind]()
    t = arcs.templates(radius, 5.0)
    points = t.points[kind][list(t.orientations).index(theta)]
    ink = 1 - arcs._sample(image[..., 0], points, np.array([SIZE / 2, SIZE / 2]))
    assert ink.min() > 0.9


@pytest.mark.parametrize("radius", RADII)
def test_a_curve_passes_at_its_bulge_direction_and_nowhere_else(radius):
    for theta in ROUND:
        m = measure(stimuli.curve(CANVAS, radius, theta, WIDTH), radius)
        assert m.error(theta) <= 15, (theta, m)
        assert m.passed(theta), (theta, m.reason(theta))
        assert m.alignment > 0.8
        assert not any(m.passed(theta + d) for d in range(30, 360, 30))


@pytest.mark.parametrize("theta", [0.0, 45.0, 120.0, 250.0])
def test_the_opposite_curve_fails(theta):
    m = measure(stimuli.curve(CANVAS, 18.0, theta + 180.0, WIDTH), 18.0)
    assert m.error(theta + 180.0) <= 15
    assert not m.passed(theta)
    assert m.curve > 1.25 * m.opposite  # the arc bulging the other way is its weakest competitor


@pytest.mark.parametrize("radius", RADII)
def test_a_straight_line_fails(radius):
    for theta in (0.0, 30.0, 75.0, 90.0, 150.0):
        m = measure(stimuli.line(CANVAS, radius * np.pi / 2, theta, WIDTH), radius)
        assert not m.is_curve(), m
        assert m.line > m.curve


@pytest.mark.parametrize("opening", [45.0, 90.0])
def test_sharp_angles_fail(opening):
    for radius in RADII:
        for theta in ROUND:
            m = measure(stimuli.angle(CANVAS, radius * np.pi / 4, opening, theta, WIDTH), radius)
            assert not m.is_curve(), (opening, radius, theta, m)
            assert any("corner" in why for why in m.failures())  # failed as a corner


def test_blank_images_and_noise_fail():
    rng = np.random.default_rng(0)
    images = [np.full((SIZE, SIZE, 3), level) for level in (0.0, 0.5, 1.0)]
    images += [np.clip(rng.normal(0.5, 0.3, (SIZE, SIZE, 3)), 0, 1) for _ in range(5)]
    images += [rng.random((SIZE, SIZE, 3)) for _ in range(5)]
    for image in images:
        for radius in RADII:
            m = measure(image, radius)
            assert not m.is_curve(), m
            assert m.curve < 0.15 and m.alignment < 0.6
    assert measure(images[1], 20.0).curve == 0.0


def test_high_contrast_texture_fails_on_alignment():
    # colour blobs (feature-visualization-like clutter) have contrast enough; what rejects them
    # is that little of the edge energy along the best arc follows it
    from scipy import ndimage

    measured = []
    for seed in range(30):
        noise = np.random.default_rng(seed).normal(0, 0.5, (SIZE, SIZE, 3))
        blobs = np.clip(0.5 + 3 * ndimage.gaussian_filter(noise, (1.5, 1.5, 0)), 0, 1)
        measured += [measure(blobs, radius) for radius in RADII]
    assert not any(m.is_curve() for m in measured)
    assert np.median([m.curve for m in measured]) > 0.15
    assert any(m.is_curve(arcs.ArcParams(min_alignment=0.0)) for m in measured)


@pytest.mark.parametrize("variant", ["inverted", "grey", "fill"])
def test_cosmetic_variants_pass(variant):
    for theta in (0.0, 100.0, 225.0):
        m = measure(stimuli.curve(CANVAS, 20.0, theta, WIDTH, variant), 20.0)
        assert m.passed(theta), (variant, theta, m.reason(theta))


def test_a_compressed_noisy_curve_still_passes():
    rng = np.random.default_rng(1)
    for theta in (15.0, 160.0, 290.0):
        noisy = stimuli.curve(CANVAS, 20.0, theta, WIDTH) + rng.normal(0, 0.05, (SIZE, SIZE, 3))
        m = measure(jpeg(noisy, quality=30), 20.0)  # uint8, as read from disk
        assert m.passed(theta), (theta, m.reason(theta))


def test_a_high_contrast_curve_on_a_photo_passes_and_the_photo_alone_does_not():
    from generate.data import packaged_photo_paths

    photos = packaged_photo_paths()[:8]
    if not photos:
        pytest.skip("no packaged photos")
    alone = 0
    for path in photos:
        photo = np.asarray(Image.open(path).convert("RGB").resize((SIZE, SIZE), Image.BICUBIC)) / 255.0
        background = 0.5 + 0.5 * (photo - photo.mean())  # the photo's texture, at half contrast
        for theta in (0.0, 90.0, 200.0, 315.0):
            ink = 1 - stimuli.curve(CANVAS, 20.0, theta, WIDTH)[..., :1]
            m = measure(background * (1 - ink), 20.0)
            assert m.passed(theta), (path.name, theta, m.reason(theta))
            alone += measure(background, 20.0).passed(theta)
    assert alone <= 0.1 * 4 * len(photos)


@pytest.mark.parametrize("method", [Image.BICUBIC, Image.NEAREST])
def test_a_small_curve_shown_enlarged_passes(method):
    small = 24  # as a neuron's visualization is shown at 4x
    canvas = stimuli.Canvas(small, (small / 2, small / 2))
    for theta in (0.0, 60.0, 135.0, 270.0):
        image = Image.fromarray(to_uint8(stimuli.curve(canvas, 5.0, theta, 1.5)))
        enlarged = np.asarray(image.resize((4 * small, 4 * small), method))
        m = measure(enlarged, 20.0)
        assert m.error(theta) <= 15 and m.passed(theta), (theta, m.reason(theta))


def test_grey_padding_is_masked_out():
    # an exemplar crop whose receptive field hangs 30 px (of 96) over the top of a 224 px image
    box = (-30, 0, 66, 96)
    inside = crop_window(box, 224, SIZE, sigma=1e9)  # a flat window: just the padding mask
    padding_only = np.ones((SIZE, SIZE, 3))
    padding_only[:30] = 0.5
    assert arcs.edge_map(padding_only).energy.max() > 0.3  # the padding's border is an edge ...
    assert arcs.edge_map(padding_only, inside).energy.max() == 0.0  # ... which the mask removes
    clean = stimuli.curve(CANVAS, 18.0, 270.0, WIDTH)
    padded = clean.copy()
    padded[:30] = 0.5
    m = measure(padded, 18.0, inside)
    assert m.passed(270.0)
    assert m.curve == pytest.approx(measure(clean, 18.0).curve, rel=0.01)


def test_scan_finds_an_off_centre_curve():
    canvas = stimuli.Canvas(SIZE, (30.0, 62.0))
    image = stimuli.curve(canvas, 15.0, 120.0, WIDTH)
    assert not measure(image, 15.0).passed(120.0)  # nothing at the centre
    m = arcs.scan(arcs.edge_map(image), 15.0)
    assert m.passed(120.0) and m.error(120.0) <= 15
    assert np.hypot(m.centre[0] - 30.0, m.centre[1] - 62.0) <= 3


def test_thresholds_live_in_params_and_the_criterion_states_them():
    strict = arcs.ArcParams(over_line=1.9, tolerance=10.0)
    text = arcs.criterion(strict)
    assert "1.9×" in text and "10°" in text and f"≥ {strict.min_contrast:g}" in text
    m = measure(stimuli.curve(CANVAS, 20.0, 40.0, WIDTH), 20.0)
    assert m.passed(40.0) and not m.passed(40.0, strict)  # a curve's line ratio is ~1.5
    assert "straight segment" in m.reason(40.0, strict)
    with pytest.raises(AtlasError):
        arcs.ArcParams(orientation_step=7.0)


def textured(shape: np.ndarray, seed: int) -> np.ndarray:
    """A broad low-contrast shape under fine colour noise, as a feature visualization lays
    texture over its curve."""
    noise = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=shape.shape), (0.7, 0.7, 0))
    return np.clip(0.55 + 0.3 * (shape - 1) + 0.12 * noise / noise.std(), 0, 1)


def test_a_textured_curve_is_measured_at_its_own_scale():
    # at the pixel scale the texture's edges dilute the alignment (the Lite0 curve units' failure);
    # smoothed in proportion to the radius, the curve passes, and a line or the opposite curve under
    # the same texture still fails
    canvas, radius = stimuli.Canvas(128, (64, 64)), 45.0
    for seed, theta in enumerate((0.0, 100.0, 225.0, 300.0)):
        image = textured(stimuli.curve(canvas, radius, theta, 0.2 * radius), seed)
        pixel = arcs.measure(arcs.edge_map(image), radius)
        scaled = measure(image, radius)
        assert scaled.passed(theta), scaled.reason(theta)
        assert scaled.alignment > pixel.alignment + 0.1
        assert not scaled.passed(theta + 180.0)
        line = textured(stimuli.line(canvas, radius * np.pi / 2, theta + 90.0, 0.2 * radius), seed)
        assert not measure(line, radius).passed(theta)


def _coordinates() -> tuple[np.ndarray, np.ndarray]:
    """x (right) and y (up) of each pixel centre of a SIZE canvas, from its centre."""
    rows, cols = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    return cols - SIZE / 2, SIZE / 2 - rows


def striped(level: np.ndarray, period: float = 8.0) -> np.ndarray:
    """Black strokes of WIDTH px on white along the level sets of `level` (px), `period` apart,
    one through the centre's level."""
    phase = np.abs((level + period / 2) % period - period / 2)
    ink = np.clip(WIDTH / 2 + 0.5 - phase, 0, 1)
    return np.repeat((1 - ink)[..., None], 3, axis=2)


def concentric_arcs(theta: float, radius: float) -> np.ndarray:
    """Concentric arcs, the middle one through the centre bulging toward θ (a neuron
    visualization's texture of parallel curves)."""
    x, y = _coordinates()
    t = np.deg2rad(theta)
    return striped(np.hypot(x + radius * np.cos(t), y + radius * np.sin(t)) - radius)


def nested_corners(theta: float, opening: float) -> np.ndarray:
    """Nested corners of `opening` degrees, vertices pointing toward θ, one at the centre."""
    x, y = _coordinates()
    t, half = np.deg2rad(theta), np.deg2rad(opening / 2)
    along, across = x * np.cos(t) + y * np.sin(t), y * np.cos(t) - x * np.sin(t)
    return striped((along + np.abs(across) / np.tan(half)) * np.sin(half))


@pytest.mark.parametrize("radius", RADII)
def test_a_texture_of_gentle_concentric_arcs_passes_at_its_bulge(radius):
    # arcs twice as gentle as the unit's: the texture's straight stretches (a chord elsewhere, a
    # tangent of the next arc) are no rivals; the contour's own tangent, unbent, is
    for theta in ROUND:
        image = concentric_arcs(theta, 2 * radius)
        m = measure(image, radius)
        assert m.passed(theta), (theta, m.reason(theta))
        assert not m.passed(theta + 180.0)
        assert not measure(concentric_arcs(theta + 180.0, 2 * radius), radius).passed(theta)


def test_textures_of_parallel_lines_and_of_corners_fail():
    for radius in RADII:
        for angle in range(0, 180, 15):
            x, y = _coordinates()
            t = np.deg2rad(angle)
            m = measure(striped(y * np.cos(t) - x * np.sin(t)), radius)
            assert not m.is_curve(), (radius, angle, m)
        for opening in (45.0, 90.0):
            for theta in ROUND:
                m = measure(nested_corners(theta, opening), radius)
                assert not m.is_curve(), (radius, opening, theta, m)
                # explained by a rival: a corner, or for 45° an arm the best arc lies along
                assert any("corner" in why or "straight" in why for why in m.failures())
        for period, angle in ((8.0, 0.0), (16.0, 30.0)):  # a checkerboard: corners everywhere
            x, y = _coordinates()
            t = np.deg2rad(angle)
            board = (np.floor((x * np.cos(t) + y * np.sin(t)) / period)
                     + np.floor((y * np.cos(t) - x * np.sin(t)) / period)) % 2
            assert not measure(np.repeat(board[..., None], 3, axis=2), radius).is_curve()
