"""Planted ground truth: `planted:curves` and `planted:curves-small`, two-layer networks built by
hand whose units' preferences are known (generate/models/planted_spec.py lists them; `truth()`).

Layer `edges` (stride 2) filters the luminance with derivative-of-Gaussian pairs at 8 axes and
returns, per axis, the contour energy (phase-invariant: lines and edges of either polarity), the
signed line response (dark line on light: positive) and the signed edge response (light side
along the axis's normal: positive), all divided by the local contrast energy (divisive
normalisation, as in V1: shape, not contrast, drives the units, in photos as on black ink); then
two blurred colour-opponent channels (red-green, blue-yellow) and the energy of fine texture.

Layer `units` (stride 2) is one convolution over those 27 channels, its kernels drawn by hand,
then a smooth ReLU (softplus):

  curve     contour energy along a 90° arc, each point weighting the axis of the arc's tangent
            there, minus its impostors (see `_curve`)
  line      dark-line response along a straight segment through the centre
  angle     contour energy along two straight arms meeting at the centre, minus their bisector
  edge      signed edge response along a segment through the centre
  colour    opponent colour over a disc, along the hue's direction
  high_low  fine-texture energy on one side of a boundary, minus the other side
  random    seeded Gaussian weights over every channel

A contour's orientation weights are zero-mean over the 8 axes (contours across it count against
it). Each hand-drawn kernel is scaled so that the unit's own stimulus, drawn in its field by
`own_stimulus` (not by the battery), gives 1; the bias is -THRESHOLD. The hook `units` is the
softplus, recorded as both pre-activation and activation: feature visualization climbs it, and
since its slope is never zero a silent unit still has a gradient. `@random:SEED` re-initialises
both convolutions (PyTorch's default init): the random control of the same architecture.
"""

from __future__ import annotations

import colorsys

import numpy as np
import torch
from torch import nn

from generate.models import register_model
from generate.models.base import Built, Preprocess
from generate.models.layers import LayerSpec
from generate.models.planted_spec import (AXES, EDGE_KERNEL, EDGE_STRIDE, INPUT_SIZE, NORM_POOL, UNIT_KERNEL,
                                          UNIT_STRIDE, PlantedUnit, units)

PREPROCESS = Preprocess((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), INPUT_SIZE)
LUMA = np.array([0.299, 0.587, 0.114])  # Rec. 601: what the oriented filters see
OPPONENT = np.array([[1.0, -1.0, 0.0], [-0.5, -0.5, 1.0]])  # red-green, blue-yellow
SIGMA_ACROSS, SIGMA_ALONG = 1.0, 2.0  # px: the oriented filters' Gaussian envelope
SIGMA_COLOUR, SIGMA_FINE = 2.0, 0.7  # px: colour blur, fine-texture (Laplacian of Gaussian) scale
STROKE = 1.5  # px: the line width the line filters are normalised on
TUNING = 2.0  # concentration of the orientation weights (von Mises over the doubled angle)
# A curve's arc (weight 1, its ends tapered by CURVE_TAPER) has subtracted: arcs RADIUS_RATIO
# larger and smaller, its tangent line, the corner at its midpoint and the corner around it.
CURVE_TAPER, RADIUS_RATIO = 0.8, 1.5
CURVE_RADII, CURVE_LINE, CURVE_CORNER, CURVE_ENVELOPE = 0.1, 0.4, 0.1, 0.1
ANGLE_BISECTOR = 0.5  # weight of the line along an angle's bisector subtracted from its two arms (1)
THRESHOLD = 0.25  # bias of every hand-built unit, as a fraction of its response to its own stimulus
SHARPNESS = 20.0  # beta of the units' softplus, in units of a unit's response to its own stimulus
EPS = 0.02  # keeps the energy's square root differentiable at zero contrast
SEMI_SATURATION = 0.2  # contrast energy at which the normalisation halves a response
ENERGY, LINE, EDGE = 0, AXES, 2 * AXES  # first channel of each group of the `edges` layer
COLOUR, TEXTURE = 3 * AXES, 3 * AXES + 2
CHANNELS = 3 * AXES + 3
ARM_PX, LINE_PX, EDGE_PX = 7.0, 12.0, 16.0  # lengths of the angle arms, line and edge segments
COLOUR_PX, HIGH_LOW_PX = 8.0, 12.0  # radii of the colour disc and the high-low field


def _unit_vector(degrees: float) -> np.ndarray:
    rad = np.deg2rad(degrees)
    return np.array([np.cos(rad), np.sin(rad)])


def axis_of(k: int) -> float:
    """The contour axis (degrees, mod 180) of orientation channel k."""
    return k * 180.0 / AXES


# ---------------------------------------------------------------- layer 1: oriented filters

def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """x right, y up, in px from the centre pixel of a size x size kernel."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    return cols - size // 2, size // 2 - rows


def _oriented_pair(axis: float) -> tuple[np.ndarray, np.ndarray]:
    """Even (dark line: +1) and odd (light on the side of axis + 90°: +1) filters on luminance."""
    x, y = _grid(EDGE_KERNEL)
    normal = _unit_vector(axis + 90.0)
    u = x * normal[0] + y * normal[1]  # across the contour
    v = -x * normal[1] + y * normal[0]  # along it
    envelope = np.exp(-u ** 2 / (2 * SIGMA_ACROSS ** 2) - v ** 2 / (2 * SIGMA_ALONG ** 2))
    even = (u ** 2 / SIGMA_ACROSS ** 2 - 1.0) * envelope
    even -= even.mean()
    odd = u * envelope
    line = np.clip(STROKE / 2 + 0.5 - np.abs(u), 0.0, 1.0)  # ink coverage of a line on the axis
    step = np.clip(u + 0.5, 0.0, 1.0)
    return even / -(even * line).sum(), odd / (odd * step).sum()


def _gaussian(sigma: float) -> np.ndarray:
    x, y = _grid(EDGE_KERNEL)
    g = np.exp(-(x ** 2 + y ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def edge_filters() -> tuple[np.ndarray, np.ndarray]:
    """Weights [2 AXES + 3, 3, k, k] and biases of the `edges` convolution, on preprocessed input."""
    pairs = [_oriented_pair(axis_of(k)) for k in range(AXES)]
    luminance = [even for even, _ in pairs] + [odd for _, odd in pairs]
    blur = _gaussian(SIGMA_COLOUR)
    fine = _gaussian(SIGMA_FINE)
    x, y = _grid(EDGE_KERNEL)
    fine = fine * ((x ** 2 + y ** 2) / SIGMA_FINE ** 2 - 2.0)  # Laplacian of Gaussian
    fine -= fine.mean()
    fine /= np.abs(fine).sum()
    per_rgb = ([np.einsum("hw,c->chw", f, LUMA) for f in luminance]
               + [np.einsum("hw,c->chw", blur, rgb) for rgb in OPPONENT]
               + [np.einsum("hw,c->chw", fine, LUMA)])
    weights = np.stack(per_rgb)  # [F, 3, k, k], acting on images in [0, 1]
    mean, std = np.array(PREPROCESS.mean), np.array(PREPROCESS.std)
    bias = np.einsum("fchw,c->f", weights, mean)  # (x - mean) / std in, same output
    return weights * std[None, :, None, None], bias


def _soft_abs(*parts: torch.Tensor) -> torch.Tensor:
    """sqrt(sum of squares), smoothed at zero so that gradients flow everywhere."""
    return torch.sqrt(sum(p * p for p in parts) + EPS ** 2) - EPS


class EdgeLayer(nn.Module):
    """[energy x AXES, line x AXES, edge x AXES, red-green, blue-yellow, fine texture]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2 * AXES + 3, EDGE_KERNEL, stride=EDGE_STRIDE, padding=EDGE_KERNEL // 2,
                              padding_mode="replicate")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        even, odd, colour, fine = self.conv(x).split([AXES, AXES, 2, 1], dim=1)
        energy = _soft_abs(even, odd)
        # Divisive normalisation by the local contrast energy (as in V1): a contour's shape, not
        # its contrast, drives the units, in photos as on the stimuli's black ink.
        pooled = nn.functional.avg_pool2d(energy.mean(1, keepdim=True), NORM_POOL, 1, NORM_POOL // 2,
                                          count_include_pad=False)
        gain = 1.0 / (pooled + SEMI_SATURATION)
        texture = _soft_abs(fine)
        return torch.cat([energy * gain, even * gain, odd * gain, colour, texture / (texture + SEMI_SATURATION)],
                         dim=1)


class PlantedNet(nn.Module):
    def __init__(self, n_units: int):
        super().__init__()
        self.edges = EdgeLayer()
        self.units = nn.Conv2d(CHANNELS, n_units, UNIT_KERNEL, stride=UNIT_STRIDE, padding=UNIT_KERNEL // 2)
        # Feature visualization climbs this smooth ReLU. Its slope is never zero, so a silent
        # unit still has a gradient; and it makes the objective (the mean over positions)
        # nonlinear: the mean of the convolution alone depends only on the `edges` channels'
        # means (a texture would do), the mean of its rectified output needs the unit's shape.
        self.rectify = nn.Softplus(beta=SHARPNESS)
        # Not weights, but they shape every response: in the state dict, so that the weights'
        # hash (which keys the store) changes with them.
        self.register_buffer("design", torch.tensor([EPS, SEMI_SATURATION, NORM_POOL, SHARPNESS, THRESHOLD],
                                                    dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rectify(self.units(self.edges(x)))


# ---------------------------------------------------------------- layer 2: the units, drawn by hand

def orientation_weights(axis: float, across: bool = True) -> np.ndarray:
    """Weights over the AXES orientation channels for a contour along `axis`: peaked there and
    zero-mean, so that contours across it count against it (`across`), or only the peak."""
    delta = np.deg2rad(2 * (np.array([axis_of(k) for k in range(AXES)]) - axis))
    tuned = np.exp(TUNING * (np.cos(delta) - 1.0))
    weights = tuned - tuned.mean()
    return weights if across else np.clip(weights, 0.0, None)


def direction_weights(direction: float) -> np.ndarray:
    """Weights over the AXES signed edge channels for an edge whose light side faces `direction`."""
    delta = np.deg2rad(direction - np.array([axis_of(k) + 90.0 for k in range(AXES)]))
    return np.cos(delta) * np.exp(TUNING * (np.cos(2 * delta) - 1.0))


def _splat(kernel: np.ndarray, point: np.ndarray, channels: slice, weights: np.ndarray) -> None:
    """Add `weights` at `point` (px from the field's centre, y up) into the kernel, bilinearly."""
    centre = UNIT_KERNEL // 2
    row, col = centre - point[1] / EDGE_STRIDE, centre + point[0] / EDGE_STRIDE
    r0, c0 = int(np.floor(row)), int(np.floor(col))
    for r, wr in ((r0, 1 - (row - r0)), (r0 + 1, row - r0)):
        for c, wc in ((c0, 1 - (col - c0)), (c0 + 1, col - c0)):
            if 0 <= r < UNIT_KERNEL and 0 <= c < UNIT_KERNEL:
                kernel[channels, r, c] += wr * wc * weights


def _path(kernel: np.ndarray, channels: slice, points: np.ndarray, axes, total: float,
          profile: np.ndarray | None = None) -> None:
    """Splat orientation weights along a contour (axis per point, or one for all); `total` is
    the weight of the whole contour, shared by its points in proportion to `profile` (default:
    equally). Contours across a positive one count against it; a subtracted contour weighs its
    own orientations only, lest it reward whatever runs across it (feature visualization would
    draw that)."""
    axes = np.broadcast_to(np.asarray(axes, dtype=np.float64), (len(points),))
    profile = np.ones(len(points)) if profile is None else np.asarray(profile, dtype=np.float64)
    for point, axis, share in zip(points, axes, profile / profile.sum()):
        _splat(kernel, point, channels, total * share * orientation_weights(axis, across=total > 0))


def arc_points(radius: float, orientation: float, spacing: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Points (px, every ~`spacing` px) of the 90° arc through the centre bulging toward
    `orientation`, and the contour axis at each (as generate/analysis/stimuli.py draws curves)."""
    count = max(3, int(np.ceil(radius * np.pi / 2 / spacing)) + 1)
    angles = np.linspace(orientation - 45.0, orientation + 45.0, count)
    centre = -radius * _unit_vector(orientation)
    return np.array([centre + radius * _unit_vector(a) for a in angles]), angles + 90.0


def segment_points(direction: float, start: float, end: float, spacing: float = 1.0,
                   origin: np.ndarray = np.zeros(2)) -> np.ndarray:
    """Points every ~`spacing` px from `start` to `end` px along `direction` through `origin`
    (default: the centre)."""
    count = int(np.ceil((end - start) / spacing)) + 1
    return np.array([origin + t * _unit_vector(direction) for t in np.linspace(start, end, count)])


def disc_points(radius: float) -> np.ndarray:
    """The kernel's grid points (px) within `radius` of the centre."""
    offsets = np.arange(-(UNIT_KERNEL // 2), UNIT_KERNEL // 2 + 1) * EDGE_STRIDE
    grid = np.array([(x, y) for y in offsets for x in offsets], dtype=np.float64)
    return grid[np.hypot(grid[:, 0], grid[:, 1]) <= radius]


ENERGY_AXES, LINE_AXES, EDGE_AXES = (slice(first, first + AXES) for first in (ENERGY, LINE, EDGE))


def _curve(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """Contour energy along the arc, its middle weighing most (an arc's ends look like the arms
    of a corner), minus its neighbours in curvature: arcs RADIUS_RATIO larger and smaller, the
    tangent line at its midpoint (radius infinite), the sharp corner whose vertex is there
    (radius zero) and the corner that circumscribes it (arms tangent to its ends, vertex
    (sqrt 2 - 1) r ahead: in photos, a rounded corner is an arc's likeliest impostor)."""
    radius, theta = unit.radius_px, unit.orientation
    points, axes = arc_points(radius, theta)
    taper = 1.0 - CURVE_TAPER * np.linspace(-1.0, 1.0, len(points)) ** 2
    _path(kernel, ENERGY_AXES, points, axes, 1.0, taper)
    for other in (radius * RADIUS_RATIO, radius / RADIUS_RATIO):
        _path(kernel, ENERGY_AXES, *arc_points(other, theta), -CURVE_RADII / 2)
    half = radius * np.pi / 4
    _path(kernel, ENERGY_AXES, segment_points(theta + 90.0, -half, half), theta + 90.0, -CURVE_LINE)
    vertex = (np.sqrt(2.0) - 1.0) * radius * _unit_vector(theta)
    for arm in (theta + 135.0, theta + 225.0):
        _path(kernel, ENERGY_AXES, segment_points(arm, 0.0, half), arm, -CURVE_CORNER / 2)
        _path(kernel, ENERGY_AXES, segment_points(arm, 0.0, 1.5 * radius, origin=vertex), arm, -CURVE_ENVELOPE / 2)


def _line(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """The dark-line response along a segment through the centre."""
    theta = unit.orientation
    _path(kernel, LINE_AXES, segment_points(theta, -LINE_PX / 2, LINE_PX / 2), theta, 1.0)


def _angle(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """Contour energy along two arms from the centre, minus the line along their bisector (what
    a narrow angle resembles most)."""
    theta = unit.orientation
    for arm in (theta + 180.0 - unit.opening / 2, theta + 180.0 + unit.opening / 2):
        _path(kernel, ENERGY_AXES, segment_points(arm, 0.0, ARM_PX), arm, 0.5)
    _path(kernel, ENERGY_AXES, segment_points(theta, -ARM_PX, ARM_PX), theta, -ANGLE_BISECTOR)


def _edge(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """The signed edge response along a segment through the centre: polarity-specific."""
    theta = unit.orientation
    for point in segment_points(theta + 90.0, -EDGE_PX / 2, EDGE_PX / 2):
        _splat(kernel, point, EDGE_AXES, direction_weights(theta))


def _colour(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """The colour-opponent channels over a disc, projected on the hue's opponent direction."""
    direction = OPPONENT @ np.array(colorsys.hsv_to_rgb(unit.hue, 1.0, 1.0))
    for point in disc_points(COLOUR_PX):
        _splat(kernel, point, slice(COLOUR, COLOUR + 2), direction / np.linalg.norm(direction))


def _high_low(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """Fine-texture energy on the `orientation` side of the boundary, minus the other side."""
    normal = _unit_vector(unit.orientation)
    for point in disc_points(HIGH_LOW_PX):
        _splat(kernel, point, slice(TEXTURE, TEXTURE + 1), np.array([np.sign(point @ normal)]))


def _random(kernel: np.ndarray, unit: PlantedUnit) -> None:
    """Seeded Gaussian weights over every channel (variance 1 / fan-in), no bias: the distractor
    that detects nothing in particular."""
    kernel += np.random.default_rng(unit.seed).standard_normal(kernel.shape) / np.sqrt(kernel.size)


TEMPLATES = {"curve": _curve, "line": _line, "angle": _angle, "edge": _edge, "colour": _colour,
             "high_low": _high_low, "random": _random}


def template(unit: PlantedUnit) -> np.ndarray:
    """The kernel [CHANNELS, k, k] of a hand-built unit, before scaling."""
    kernel = np.zeros((CHANNELS, UNIT_KERNEL, UNIT_KERNEL))
    TEMPLATES[unit.kind](kernel, unit)
    return kernel


# ---------------------------------------------------------------- calibration: each unit's own stimulus

CALIBRATION_SIZE = 64  # px; the field of the central unit position (8, 8) is centred on pixel 32
GREY = 0.5


def _strokes(paths: list[np.ndarray]) -> np.ndarray:
    """Dark strokes (STROKE px wide) through dense points, on white: [H, W] in [0, 1]."""
    x, y = _grid(CALIBRATION_SIZE)
    points = np.concatenate(paths)
    distance = np.min(np.hypot(x[..., None] - points[:, 0], y[..., None] - points[:, 1]), axis=-1)
    return 1.0 - np.clip(STROKE / 2 + 0.5 - distance, 0.0, 1.0)


def own_stimulus(unit: PlantedUnit) -> np.ndarray:
    """The stimulus a hand-built unit is made for, centred on the calibration field: [H, W, 3]."""
    x, y = _grid(CALIBRATION_SIZE)
    theta, fine = unit.orientation, 0.25
    if unit.kind == "curve":
        grey = _strokes([arc_points(unit.radius_px, theta, fine)[0]])
    elif unit.kind == "line":
        grey = _strokes([segment_points(theta, -LINE_PX / 2, LINE_PX / 2, fine)])
    elif unit.kind == "angle":
        grey = _strokes([segment_points(theta + 180.0 + s * unit.opening / 2, 0.0, ARM_PX, fine) for s in (-1, 1)])
    elif unit.kind == "edge":
        normal = _unit_vector(theta)
        grey = np.clip(x * normal[0] + y * normal[1] + 0.5, 0.0, 1.0)
    elif unit.kind == "colour":
        inside = (np.hypot(x, y) <= 1.5 * COLOUR_PX)[..., None]
        return np.where(inside, np.array(colorsys.hsv_to_rgb(unit.hue, 1.0, 1.0)), GREY)
    else:  # high_low: 2-px binary noise on the `theta` side, smooth grey on the other
        normal = _unit_vector(theta)
        noise = np.random.default_rng(0).random((CALIBRATION_SIZE // 2,) * 2).repeat(2, 0).repeat(2, 1) > 0.5
        textured = (x * normal[0] + y * normal[1] > 0) & (np.hypot(x, y) <= 1.5 * HIGH_LOW_PX)
        grey = np.where(textured, noise.astype(float), GREY)
    return np.repeat(grey[..., None], 3, axis=2)


def _centre_response(net: PlantedNet, images: np.ndarray) -> np.ndarray:
    """Pre-activations [n_images, n_units] at the calibration field's position."""
    x = PREPROCESS(torch.from_numpy(images.transpose(0, 3, 1, 2)).float())
    middle = CALIBRATION_SIZE // 2 // (EDGE_STRIDE * UNIT_STRIDE)
    with torch.no_grad():
        return net.units(net.edges(x))[:, :, middle, middle].numpy()


def build(name: str) -> PlantedNet:
    """`planted:NAME` with its hand-drawn weights, every hand-built unit calibrated on its stimulus."""
    spec = units(name)
    net = PlantedNet(len(spec))
    weights, bias = edge_filters()
    kernels = np.stack([template(u) for u in spec])
    hand = [i for i, u in enumerate(spec) if u.kind != "random"]
    with torch.no_grad():
        net.edges.conv.weight.copy_(torch.from_numpy(weights))
        net.edges.conv.bias.copy_(torch.from_numpy(bias))
        net.units.weight.copy_(torch.from_numpy(kernels))
        net.units.bias.zero_()
        own = _centre_response(net, np.stack([own_stimulus(spec[i]) for i in hand]))
        for row, i in enumerate(hand):
            net.units.weight[i] /= float(own[row, i])
            net.units.bias[i] = -THRESHOLD
    return net.eval()


def hook_points(module: PlantedNet) -> list[LayerSpec]:
    return [LayerSpec("edges", module.edges, None, "oriented energy, line, edge, colour and texture channels"),
            LayerSpec("units", module.rectify, None, "hand-built units (curves and distractors), smooth ReLU")]


@register_model("planted:", prefix=True)
def planted_model(name: str, pretrained: bool, context) -> Built:
    """Hand-built units whose answers are known; with @random:SEED the registry re-initialises them."""
    return Built(build(name), PREPROCESS, hook_points)
