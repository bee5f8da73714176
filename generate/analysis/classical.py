"""Classical, network-free image measurements behind the verdicts on Arguments 1 and 2.

"Zoom In" checks a curve detector's feature visualization and dataset examples by eye. Here a
person's eye is replaced by the colour structure tensor (Di Zenzo): in a window w, summed over
the RGB channels, J = sum w * [[gx*gx, gx*gy], [gx*gy, gy*gy]] of the image's gradients. Its
dominant eigenvector is the main gradient axis, and contours run perpendicular to it.
Coherence, (l1 - l2) / (l1 + l2), is 1 for a single straight contour and 0 for isotropic
texture or noise. Nothing here looks at the network, so it cannot inherit its biases.

Orientations follow generate/stimuli.py: degrees counter-clockwise from "right", "up" positive.
A contour axis is 180-periodic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from generate.analysis.angles import axis_distance  # noqa: F401  (re-exported for the verdicts)

VERSION = 2  # part of the verdict stage's store key: a change of measurement recomputes the verdicts
SMOOTHING_PX = 1.0  # Gaussian pre-smoothing before the gradient: suppresses pixel and JPEG noise
# Pixels next to a crop's grey padding are left out, the padding's own edge not being content:
# the smoothing's reach (4 sigma) plus the gradient's, plus 2 source pixels of bicubic resizing.
BORDER_PX = 5


@dataclass(frozen=True)
class Orientation:
    axis: float  # the contour axis, degrees in [0, 180)
    coherence: float  # 0 (no dominant orientation) .. 1 (one straight contour)


def structure_orientation(image: np.ndarray, weights: np.ndarray | None = None) -> Orientation:
    """Dominant contour axis of an [H, W, 3] (or [H, W]) image, uint8 or float, in a window."""
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.max() > 1.0:
        pixels = pixels / 255.0
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    jxx = jyy = jxy = 0.0
    w = np.ones(pixels.shape[:2]) if weights is None else weights
    for channel in range(pixels.shape[2]):
        smooth = ndimage.gaussian_filter(pixels[..., channel], SMOOTHING_PX)
        rows, cols = np.gradient(smooth)
        gx, gy = cols, -rows  # y up, as in the stimuli
        jxx += float((w * gx * gx).sum())
        jyy += float((w * gy * gy).sum())
        jxy += float((w * gx * gy).sum())
    energy = jxx + jyy
    if energy <= 1e-12:
        return Orientation(axis=0.0, coherence=0.0)
    gradient_axis = 0.5 * np.degrees(np.arctan2(2 * jxy, jxx - jyy))
    coherence = float(np.hypot(jxx - jyy, 2 * jxy) / energy)
    return Orientation(axis=float((gradient_axis + 90.0) % 180.0), coherence=coherence)


def expected_axis(label: str, preferred: dict) -> float | None:
    """The contour axis a unit's preferred stimulus draws, from its family label and preferred
    orientation; None where one axis does not describe the stimulus (an angle has two arms)."""
    theta = preferred.get("orientation")
    if theta is None:
        return None
    if label == "line/edge":
        # a line's orientation is its direction; an edge's is the direction of its light side
        return float(theta % 180.0) if preferred.get("kind") == "line" else float((theta + 90.0) % 180.0)
    if label in ("curve", "high-low frequency", "brightness gradient"):
        # a curve bulges toward theta (tangent at its midpoint: theta + 90); a boundary or ramp
        # has its normal at theta
        return float((theta + 90.0) % 180.0)
    return None


def featurevis_window(size: int, margin: float = 0.1) -> np.ndarray:
    """Uniform weights over a feature visualization, less a margin: the channel objective
    averages every position, so the feature fills the image, while its edge has artefacts."""
    weights = np.zeros((size, size))
    cut = int(round(margin * size))
    weights[cut:size - cut, cut:size - cut] = 1.0
    return weights


def crop_window(box: tuple[int, int, int, int], input_size: int, crop_px: int, sigma: float) -> np.ndarray:
    """Gaussian weights centred on an exemplar crop (the unit's receptive-field centre), zero on
    and next to the grey padding where the receptive field leaves the image."""
    top, left, bottom, right = box
    scale_y, scale_x = crop_px / (bottom - top), crop_px / (right - left)
    rows = (np.arange(crop_px) + 0.5) / scale_y + top
    cols = (np.arange(crop_px) + 0.5) / scale_x + left
    inside = ((rows >= 0) & (rows < input_size))[:, None] & ((cols >= 0) & (cols < input_size))[None, :]
    border = BORDER_PX + int(np.ceil(2 * max(scale_y, scale_x)))
    inside = ndimage.binary_erosion(inside, iterations=border, border_value=1)
    centre = (crop_px - 1) / 2
    yy, xx = np.mgrid[0:crop_px, 0:crop_px]
    gauss = np.exp(-((yy - centre) ** 2 + (xx - centre) ** 2) / (2 * (sigma * crop_px) ** 2))
    return gauss * inside
