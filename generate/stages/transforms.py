"""lucent's standard transforms (pad, jitter, scale, rotate, jitter) in one resampling.

lucent applies them one after the other: a constant pad, an integer translation, a bilinear
upsample, a rotation and another integer translation, i.e. three `grid_sample` calls and an
upsample per step, each with its backward pass. The translations are whole pixels and the rest is
affine, so the chain is one affine map with zero fill: here the pad and the first translation are
two pads, and scale, rotation and the second translation one `grid_sample` whose grid is built
once per step and shared by the batch. The random draws are lucent's, in its order (numpy's
global generator), so a seed gives the same sequence of transforms; the image differs from
lucent's chain only by interpolating once instead of twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

LUCENT_CANVAS = 128  # the image size lucent's standard transforms were made for
SCALES = [1 + (i - 5) / 50.0 for i in range(11)]  # lucent's random_scale: 0.9 to 1.1
ANGLES = list(range(-10, 11)) + 5 * [0]  # lucent's random_rotate, in degrees
PAD_VALUE = 0.5  # lucent's constant pad


@dataclass(frozen=True)
class Transforms:
    """Pad `pad` px, jitter by up to `jitter` px, scale, rotate, jitter by up to `jitter_after`."""

    pad: int = 12
    jitter: int = 8
    jitter_after: int = 4

    @classmethod
    def for_canvas(cls, size: int) -> "Transforms":
        """lucent's amounts, scaled to the canvas: on a canvas the size of a small receptive field,
        an 8 px jitter would move the feature out of the field."""
        if size >= LUCENT_CANVAS * 3 // 4:
            return cls()
        px = lambda n: max(2, round(n * size / LUCENT_CANVAS))  # noqa: E731  (lucent needs jitter > 1)
        return cls(px(12), px(8), px(4))

    def framed(self, images: torch.Tensor) -> torch.Tensor:
        """The frame every step sees, without a random draw: the canvas padded `pad` px with lucent's
        grey. Its centre position is the one the steps drove; the bare canvas's centre position can
        be another (at a stride of 16, 64 px bare: 8 px from the canvas centre; framed: 2 px)."""
        return F.pad(images, [self.pad] * 4, value=PAD_VALUE)

    def __call__(self, images: torch.Tensor, draws=np.random) -> torch.Tensor:
        """`draws`: numpy's global generator (lucent's), or a RandomState of the caller's."""
        dx, dy = draws.choice(self.jitter), draws.choice(self.jitter)
        scale, angle = draws.choice(SCALES), draws.choice(ANGLES)
        dx2, dy2 = draws.choice(self.jitter_after), draws.choice(self.jitter_after)
        # Padding with 0.5 then translating by (dx, dy) with zero fill: pads on each side.
        p = self.pad
        canvas = F.pad(F.pad(images, [p, p - dx, p, p - dy], value=PAD_VALUE), [dx, 0, dy, 0])
        grid = _grid(canvas.shape[-1], float(scale), float(angle), int(dx2), int(dy2), images.device)
        # One grid for the whole batch: the images' channels go through as the channels of one
        # image, so each pixel's weights are computed once, not once per image (forward and
        # backward; the same numbers, 1.6x cheaper on the CPU).
        n, c, side = canvas.shape[0], canvas.shape[1], canvas.shape[-1]
        out = F.grid_sample(canvas.reshape(1, n * c, side, side), grid, mode="bilinear",
                            padding_mode="zeros", align_corners=True)
        return out.view(n, c, *out.shape[-2:])


def _grid(side: int, scale: float, degrees: float, dx: int, dy: int, device: torch.device) -> torch.Tensor:
    """[1, N, N, 2]: for each output pixel, where it reads the (square) canvas, in grid_sample's
    coordinates. lucent's chain: upsample to S = ceil(scale * side) (corners aligned), zero-pad to
    at least `side` when smaller, rotate by `degrees` about the centre (OpenCV's sense, zero fill),
    translate by (dx, dy) (zero fill)."""
    scaled = int(np.ceil(scale * side))
    margin = max(0, int(np.ceil((side - scaled) / 2)))
    out = scaled + 2 * margin
    centre = (out - 1) / 2
    j = torch.arange(out, dtype=torch.float64)
    y, x = torch.meshgrid(j - dy - centre, j - dx - centre, indexing="ij")
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    # the inverse rotation takes each output pixel back to the rotated image's source pixel
    src_x, src_y = cos * x - sin * y + centre, sin * x + cos * y + centre
    to_canvas = (side - 1) / (scaled - 1)
    grid = torch.stack([(src_x - margin) * to_canvas, (src_y - margin) * to_canvas], dim=-1) * (2 / (side - 1)) - 1
    # pixels the second translation uncovered read nothing (zero), as in lucent
    blank = (x + centre < 0) | (y + centre < 0)
    grid[blank] = -4.0
    return grid.float().unsqueeze(0).to(device)
