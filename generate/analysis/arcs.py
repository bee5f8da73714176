"""Oriented arc templates: does an image show a curve here, bulging this way?

The structure tensor of classical.py measures an axis (mod 180): a straight line, or a curve
bulging the other way, passes as well as the curve itself. Here an image's contours are matched
against 90° arcs drawn exactly as stimuli.curve draws them (the arc's midpoint at the window
centre, bulging toward θ, every few degrees over 360°) and against what a curve detector must
tell a curve from, each of the arc's length: the same contour unbent (the straight segment on
the arc's midpoint tangent), the arc bulging the opposite way, and sharp corners (90° and 45°)
turning the arc's way with their vertex at the centre. An image shows a curve when its best arc
beats each of these by a declared ratio and carries enough contrast and alignment. The rivals
are this contour drawn otherwise, not any contour of the window: a neuron visualization lays
many concentric gentle arcs and cross-hatching over its curve, where a straight stretch at
another place or orientation is always found and says nothing about whether this one bends.

Edge map: each pixel's contour (Di Zenzo colour gradient after Gaussian smoothing, turned by
90°) is a double-angle vector (cos 2ψ, sin 2ψ) scaled by the gradient magnitude, so both
polarities add and orthogonal contours subtract. Blurred across a band of a few pixels and
multiplied by √(2π)·σ, the field is in contrast units: a straight step of contrast c scores
about c on its own line, a 3 px black curve on white about 0.9. A template's score is the
mean, along its path, of the field projected on the path's tangent; isotropic texture and
noise average to 0. Its alignment, the score over the mean edge energy along the path (the
magnitude, blurred alike), is near 1 for a clean contour and low for clutter at any contrast.

Orientations follow stimuli.py: degrees counter-clockwise from "right", "up" positive, image
rows pointing down; positions are (row, col) with pixel centres at +0.5, as stimuli.Canvas.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage, sparse

from generate.analysis.angles import circular_distance
from generate.config import ArcParams

VERSION = 3  # part of a store key: a change of measurement recomputes what depends on it
CORNERS = {"angle90": 90.0, "angle45": 45.0}  # corner templates: opening in degrees


def criterion(params: ArcParams) -> str:
    """The rule `ArcMeasurement.passed` applies, in words, with its numbers."""
    scales = f"{min(params.radius_scales):g}–{max(params.radius_scales):g}"
    return (f"of 90° arc templates bulging every {params.orientation_step:g}° over 360° (radii {scales}× the "
            f"unit's preferred radius, midpoint within max({params.min_shift_px:g} px, {params.shift:g} × radius) "
            f"of the centre), scored as the mean along the arc of the image's contours aligned with the arc "
            f"(colour gradient, smoothed σ = max({params.smoothing_px:g} px, {params.scale_fraction:g} × radius), in contrast units: a 3 px black curve on "
            f"white ≈ 0.9, texture and noise ≈ 0), the best bulges within {params.tolerance:g}° of the unit's "
            f"preferred bulge direction, scores ≥ {params.min_contrast:g} and ≥ {params.min_alignment:g} of "
            f"the edge energy along it (its alignment; noise ≈ 0.2), and scores ≥ {params.over_line:g}× "
            f"the straight segment along its own midpoint tangent (the arc unbent), ≥ {params.over_opposite:g}× "
            f"the arc bulging the opposite way and ≥ {params.over_angle:g}× the best 90° or 45° corner turning "
            f"its way (vertex pointing within {params.corner_spread:g}° of its bulge); every competitor has the "
            f"arc's length, the opposite arc and the corners its positional freedom")


# ------------------------------------------------------------------------------ edge map

@dataclass(frozen=True)
class EdgeMap:
    """One image's contours, band-blurred, in contrast units: `field` [2, H, W] double-angle
    vectors (cos 2ψ, sin 2ψ) × magnitude, `energy` [H, W] the magnitude alone."""

    field: np.ndarray
    energy: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.field.shape[1:]


def _float_image(image: np.ndarray) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.float64)
    if np.issubdtype(np.asarray(image).dtype, np.integer) or pixels.max(initial=0.0) > 1.0:
        pixels = pixels / 255.0  # 8-bit values, as classical.structure_orientation reads them
    return pixels[..., None] if pixels.ndim == 2 else pixels


def scales(radius: float | None, params: ArcParams = ArcParams()) -> tuple[float, float]:
    """(smoothing, band) σ in px for curves of `radius` px: at least the declared pixel scales,
    and at least `scale_fraction` × the radius (None: the pixel scales alone)."""
    least = params.scale_fraction * radius if radius else 0.0
    return max(params.smoothing_px, least), max(params.band_px, least)


def edge_map(image: np.ndarray, weights: np.ndarray | None = None, params: ArcParams = ArcParams(),
             radius: float | None = None) -> EdgeMap:
    """The contour field of an [H, W, 3] (or [H, W]) image, uint8 or float in [0, 1], at the scale
    of curves of `radius` px (see `scales`).

    `weights` ([H, W], 0..1) scales each pixel's contour: 0 on grey padding and next to it
    (classical.crop_window's mask), so the padding's own border is not taken for content."""
    pixels = _float_image(image)
    smoothing, band_px = scales(radius, params)
    jxx, jyy, jxy = (np.zeros(pixels.shape[:2]) for _ in range(3))
    for channel in np.moveaxis(pixels, -1, 0):
        rows, cols = np.gradient(ndimage.gaussian_filter(channel, smoothing))
        gx, gy = cols, -rows  # y up
        jxx += gx * gx
        jyy += gy * gy
        jxy += gx * gy
    diff, cross = (jxx - jyy) / pixels.shape[2], 2 * jxy / pixels.shape[2]
    anisotropy = np.hypot(diff, cross)  # λ1 − λ2 of the per-channel mean tensor: |∇I|² for one channel
    # the double-angle unit vector of the gradient is (diff, cross) / anisotropy; the contour's is
    # its opposite (a 90° turn); scaled by √anisotropy, the gradient magnitude
    scale = -np.divide(1.0, np.sqrt(anisotropy), out=np.zeros_like(anisotropy), where=anisotropy > 1e-20)
    energy = np.sqrt((jxx + jyy) / pixels.shape[2])  # ≥ the field's magnitude: alignment ≤ 1
    maps = np.stack([diff * scale, cross * scale, energy])
    if weights is not None:
        maps = maps * np.asarray(weights, dtype=np.float64)[None]
    # a step of contrast c, blurred twice, peaks at c / (√(2π)·σ): rescale to contrast units
    band = np.sqrt(2 * np.pi) * np.hypot(smoothing, band_px)
    blurred = np.stack([ndimage.gaussian_filter(m, band_px) * band for m in maps])
    return EdgeMap(field=blurred[:2], energy=blurred[2])


# ------------------------------------------------------------------------------ templates

@dataclass(frozen=True)
class Templates:
    """Paths of one radius for every bulge direction: kind -> [n, samples, 2] arrays of points
    (x, y) relative to the centre and of their tangents' double angles (cos 2φ, sin 2φ)."""

    radius: float
    orientations: np.ndarray  # [n] bulge directions, degrees
    points: dict[str, np.ndarray]
    tangents: dict[str, np.ndarray]


def _unit(degrees: np.ndarray) -> np.ndarray:
    rad = np.deg2rad(degrees)
    return np.stack([np.cos(rad), np.sin(rad)], axis=-1)


def _double(degrees: np.ndarray) -> np.ndarray:
    return _unit(2 * np.asarray(degrees))


def _fractions(samples: int) -> np.ndarray:
    return (np.arange(samples) + 0.5) / samples  # midpoints of equal pieces


def _arc(theta: np.ndarray, radius: float, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """stimuli.arc_geometry's arc: circle centre −r·u(θ), from θ − 45° to θ + 45°."""
    alpha = theta[:, None] + 90.0 * (_fractions(samples) - 0.5)[None]
    points = radius * (_unit(alpha) - _unit(theta)[:, None])
    return points, _double(alpha + 90.0)


def _segment(theta: np.ndarray, length: float, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """The straight segment through the centre along the arc's midpoint tangent (θ + 90°)."""
    along = length * (_fractions(samples) - 0.5)
    direction = theta + 90.0
    points = along[None, :, None] * _unit(direction)[:, None]
    return points, np.repeat(_double(direction)[:, None], samples, axis=1)


def _corner(theta: np.ndarray, length: float, opening: float, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """Two arms of length/2 meeting at the centre at `opening` degrees, the vertex pointing to θ."""
    half = samples // 2
    along = length / 2 * _fractions(half)
    points, tangents = [], []
    for side in (-1.0, 1.0):
        direction = theta + 180.0 + side * opening / 2
        points.append(along[None, :, None] * _unit(direction)[:, None])
        tangents.append(np.repeat(_double(direction)[:, None], half, axis=1))
    return np.concatenate(points, axis=1), np.concatenate(tangents, axis=1)


@lru_cache(maxsize=64)
def templates(radius: float, step: float) -> Templates:
    """Every path of `radius` px for bulge directions 0, step, ... < 360 (cached: build once)."""
    theta = np.arange(0.0, 360.0, step)
    length = radius * np.pi / 2  # the 90° arc's length, shared by every competitor
    samples = 2 * max(6, int(np.ceil(length / 2)))  # about one per pixel, even for the corners
    paths = {"curve": _arc(theta, radius, samples), "line": _segment(theta, length, samples)}
    paths.update({kind: _corner(theta, length, opening, samples) for kind, opening in CORNERS.items()})
    return Templates(radius, theta, {k: p for k, (p, _) in paths.items()}, {k: t for k, (_, t) in paths.items()})


# ------------------------------------------------------------------------------ scoring

def _half(radius: float) -> int:
    """Half the side of a patch holding every path of `radius` (≤ 0.79 r from the centre) with
    room for bilinear interpolation at any sub-pixel centre."""
    return int(np.ceil(0.8 * radius)) + 2


@lru_cache(maxsize=256)
def _matrix(radius: float, step: float, kind: str, frac: tuple[float, float], half: int) -> sparse.csr_matrix:
    """The paths of one kind as a sparse [paths, 2·side²] matrix over a patch of the field (its two
    maps, flattened; side = 2·half + 1) around a centre of sub-pixel part `frac`: bilinear weights
    × the path's tangent / its samples, so that matrix @ patch is each path's score."""
    points, tangents = templates(radius, step).points[kind], templates(radius, step).tangents[kind]
    side = 2 * half + 1
    rows, cols = half + frac[0] - points[..., 1], half + frac[1] + points[..., 0]  # y up -> rows
    top, left = np.floor(rows), np.floor(cols)
    index, value = [], []
    for row, row_weight in ((top, 1 - (rows - top)), (top + 1, rows - top)):
        for col, col_weight in ((left, 1 - (cols - left)), (left + 1, cols - left)):
            for component in (0, 1):
                index.append(component * side * side + (row * side + col).astype(int))
                value.append(row_weight * col_weight * tangents[..., component] / points.shape[1])
    paths = np.broadcast_to(np.arange(points.shape[0])[:, None], points.shape[:2]).ravel()
    matrix = sparse.coo_matrix((np.concatenate([v.ravel() for v in value]),
                                (np.tile(paths, len(value)), np.concatenate([i.ravel() for i in index]))),
                               shape=(points.shape[0], 2 * side * side))
    return matrix.tocsr()


def _split(centre: tuple[float, float]) -> tuple[np.ndarray, tuple[float, float]]:
    """A (row, col) centre as its pixel (integers) and sub-pixel part, to 1/8 px (a cache key)."""
    index = np.round((np.asarray(centre, dtype=float) - 0.5) * 8) / 8  # pixel centres at integers
    base = np.floor(index)
    return base.astype(int), (float(index[0] - base[0]), float(index[1] - base[1]))


def _patches(edges: EdgeMap, bases: np.ndarray, half: int) -> np.ndarray:
    """The field around each centre pixel of `bases` [k, 2], flattened: [2·side², k]; zeros off
    the image."""
    side = 2 * half + 1
    pad = half + max(0, -int(bases.min()), int((bases - np.array(edges.shape) + 1).max()))
    padded = np.pad(edges.field, ((0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (side, side), axis=(1, 2))
    patches = windows[:, bases[:, 0] + pad - half, bases[:, 1] + pad - half]  # [2, k, side, side]
    return patches.transpose(1, 0, 2, 3).reshape(len(bases), -1).T


def _sample(image: np.ndarray, points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """`image` at `points` [s, 2] (x, y) around a (row, col) centre, bilinear; 0 off the image."""
    coords = np.stack([centre[0] - points[:, 1] - 0.5, centre[1] + points[:, 0] - 0.5])
    return ndimage.map_coordinates(image, coords, order=1, mode="constant")


def _offsets(radius: float, params: ArcParams) -> np.ndarray:
    """Whole-pixel positions the arc's midpoint may take around the centre, [k, 2]: a disc of
    `reach` px, every pixel up to 3 px, then at most 7 across (the field is blurred ~2 px)."""
    reach = max(params.min_shift_px, params.shift * radius)
    spacing = int(np.ceil(reach / 3))
    span = int(reach // spacing) * spacing
    grid = np.mgrid[-span:span + 1:spacing, -span:span + 1:spacing].reshape(2, -1).T
    return grid[(grid ** 2).sum(axis=1) <= reach ** 2]


def _refine(scores: np.ndarray, index: int, step: float) -> float:
    """Bulge direction at the parabola's peak through the best orientation and its neighbours."""
    n = len(scores)
    before, best, after = scores[(index - 1) % n], scores[index], scores[(index + 1) % n]
    curvature = before - 2 * best + after
    delta = 0.5 * (before - after) / curvature if curvature < 0 else 0.0
    return float(round((index + np.clip(delta, -0.5, 0.5)) * step, 6) % 360.0)


# ------------------------------------------------------------------------------ measurement

@dataclass(frozen=True)
class ArcMeasurement:
    """The best arc of an image and the scores of its competitors, in contrast units."""

    orientation: float  # bulge direction of the best arc, degrees in [0, 360)
    radius: float  # its radius, px
    centre: tuple[float, float]  # (row, col) of its midpoint
    curve: float
    alignment: float  # the curve score over the mean edge energy along the arc, 0..1
    line: float  # the straight segment along the arc's midpoint tangent (the arc unbent)
    opposite: float  # the arc bulging the other way
    angle: float  # the best sharp corner turning its way (vertex pointing near its bulge)
    angle_opening: float  # ... and that corner's opening, degrees

    def failures(self, params: ArcParams = ArcParams()) -> list[str]:
        """Why the best arc is not a curve (empty: it is one)."""
        out = []
        if self.curve < params.min_contrast:
            out.append(f"contrast {self.curve:.2f} < {params.min_contrast:g}")
        if self.alignment < params.min_alignment:
            out.append(f"alignment {self.alignment:.2f} < {params.min_alignment:g}")
        for name, score, ratio in (("the straight segment", self.line, params.over_line),
                                   ("the opposite arc", self.opposite, params.over_opposite),
                                   (f"a {self.angle_opening:.0f}° corner", self.angle, params.over_angle)):
            if self.curve < ratio * score:
                out.append(f"{name} scores {score:.2f} against the arc's {self.curve:.2f}")
        return out

    def is_curve(self, params: ArcParams = ArcParams()) -> bool:
        return not self.failures(params)

    def error(self, expected: float) -> float:
        """Distance of the measured bulge direction from `expected`, degrees (0..180)."""
        return circular_distance(self.orientation, expected)

    def passed(self, expected: float, params: ArcParams = ArcParams()) -> bool:
        """A curve, bulging within the tolerance of `expected` (see `criterion`)."""
        return self.is_curve(params) and self.error(expected) <= params.tolerance

    def headline(self, expected: float) -> str:
        """Where the best arc bulges, against `expected`."""
        return f"best arc bulges {self.orientation:.0f}° ({self.error(expected):.0f}° from {expected:.0f}°)"

    def reason(self, expected: float, params: ArcParams = ArcParams()) -> str:
        """One line for a verdict: where the best arc bulges, and what it failed, if anything."""
        failures = self.failures(params)
        if failures:
            return "; ".join([self.headline(expected), *failures])
        return self.headline(expected) + f", contrast {self.curve:.2f}, alignment {self.alignment:.2f}, beats its competitors"


def _radii(radius: float, params: ArcParams) -> list[float]:
    return [round(radius * scale, 1) for scale in params.radius_scales]


def measure(edges: EdgeMap, radius: float, centre: tuple[float, float] | None = None,
            params: ArcParams = ArcParams()) -> ArcMeasurement:
    """The best 90° arc with its midpoint at `centre` (default: the image centre) for a unit whose
    preferred curve radius is `radius` px, and its competitors of the same length: the straight
    segment along its midpoint tangent, the arc bulging the opposite way, and the best sharp corners
    turning its way with their vertex near the centre, the last two with the arc's positional freedom."""
    height, width = edges.shape
    base, frac = _split(centre if centre is not None else (height / 2, width / 2))
    bases, step, radii = base + _offsets(radius, params), params.orientation_step, _radii(radius, params)
    half = _half(max(radii))
    patches = _patches(edges, bases, half)

    def scores(r: float, kind: str) -> np.ndarray:  # [paths, k]
        return _matrix(r, step, kind, frac, half) @ patches

    curves = np.stack([scores(r, "curve") for r in radii])  # [radii, paths, k]
    # radii compete as matched filters in noise, by mean × √length: by the mean alone a smaller arc
    # inside a curve would win (it misses the blurred ends), by the sum a larger one
    r, i, k = np.unravel_index(int(np.argmax(curves * np.sqrt(radii)[:, None, None])), curves.shape)
    chosen, n = radii[r], curves.shape[1]
    # rivals are this contour drawn otherwise, not any contour of the window: in a texture a straight
    # or cornered stretch elsewhere, or across the curve, says nothing about whether this contour
    # bends. The straight segment is the arc unbent (on its midpoint tangent); corners turn its way
    # (vertex pointing within corner_spread of its bulge), anywhere the arc may lie, since on a real
    # corner the best arc's midpoint sits off the vertex, inside it
    bulges = templates(chosen, step).orientations
    turn = np.abs((bulges - bulges[i] + 180.0) % 360.0 - 180.0)  # each corner's direction vs the arc's bulge
    rivals = {"line": float(scores(chosen, "line")[i, k]),
              **{kind: float(scores(chosen, kind)[turn <= params.corner_spread].max()) for kind in CORNERS}}
    sharpest = max(CORNERS, key=rivals.get)
    where = bases[k] + 0.5 + np.array(frac)
    energy = float(_sample(edges.energy, templates(chosen, step).points["curve"][i], where).mean())
    curve = float(curves[r, i, k])
    return ArcMeasurement(
        orientation=_refine(curves[r, :, k], i, step), radius=chosen, centre=(float(where[0]), float(where[1])),
        curve=curve, alignment=curve / energy if energy > 0 else 0.0, line=rivals["line"],
        opposite=float(curves[r, (i + n // 2) % n].max()), angle=rivals[sharpest], angle_opening=CORNERS[sharpest])


def _path(found: ArcMeasurement, params: ArcParams, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """The points and tangents of `found`'s arc (its radius, the template nearest its bulge), or of
    its straight rival there (`kind` "line")."""
    t = templates(found.radius, params.orientation_step)
    index = int(np.argmin(np.abs((t.orientations - found.orientation + 180.0) % 360.0 - 180.0)))
    return t.points[kind][index], t.tangents[kind][index]


def along(edges: EdgeMap, found: ArcMeasurement, params: ArcParams = ArcParams(), kind: str = "curve") -> float:
    """The score in `edges` of the arc `found` in another map of the same canvas (its radius, its
    midpoint and the template nearest its bulge), or of its straight rival there (`kind` "line"):
    how strongly, and how bent, this picture draws that contour."""
    points, tangents = _path(found, params, kind)
    centre = np.asarray(found.centre)
    field = np.stack([_sample(edges.field[c], points, centre) for c in (0, 1)], axis=-1)
    return float((field * tangents).sum(axis=-1).mean())


def alignment_along(edges: EdgeMap, found: ArcMeasurement, params: ArcParams = ArcParams()) -> float:
    """`along` over the mean edge energy of `edges` on the same arc: how much of what this picture
    draws there runs along the arc (near 1 for a clean contour, low for clutter)."""
    energy = float(_sample(edges.energy, _path(found, params, "curve")[0], np.asarray(found.centre)).mean())
    return along(edges, found, params) / energy if energy > 0 else 0.0


def scan(edges: EdgeMap, radius: float, params: ArcParams = ArcParams(), stride: int | None = None,
         chunk: int = 128) -> ArcMeasurement:
    """`measure` where some arc of the image scores best, searched on a grid of `stride` px
    (default: a quarter of the radius): for feature visualizations, whose curve need not sit at
    the exact centre."""
    height, width = edges.shape
    base, frac = _split((height / 2, width / 2))
    every = stride or max(2, int(round(radius / 4)))
    rows, cols = np.arange(base[0] % every, height, every), np.arange(base[1] % every, width, every)
    bases = np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).reshape(-1, 2)
    best, radii = np.full(len(bases), -np.inf), _radii(radius, params)
    half = _half(max(radii))
    for start in range(0, len(bases), chunk):
        part = slice(start, start + chunk)
        patches = _patches(edges, bases[part], half)
        for r in radii:
            scores = _matrix(r, params.orientation_step, "curve", frac, half) @ patches
            best[part] = np.maximum(best[part], scores.max(axis=0) * np.sqrt(r))
    row, col = bases[int(np.argmax(best))] + 0.5 + np.array(frac)
    return measure(edges, radius, (float(row), float(col)), params)
