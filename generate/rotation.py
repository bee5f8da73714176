"""Rotation stage: dataset exemplars rotated about the unit's strongest position.

For an oriented family (curve, line/edge, ...) in a layer, every member's top exemplars are
rotated about the position where that member fired most, and every member's activation is
read at that position. Unit j's response to unit i's exemplars peaks at the rotation that
turns i's feature into j's preferred orientation, so these curves show joint tuning: as the
input turns, one unit stops firing and the next starts. A unit's own curves ("each exemplar's
curve and their aligned average") come from the same pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from generate.data import ImageSet, load_rgb, to_model_input
from generate.layers import capture, run_until
from generate.models import LoadedModel
from generate.receptive_field import ReceptiveField

FILL = 0.5  # grey where rotation brings in pixels from outside the image
BATCH = 32


@dataclass(frozen=True)
class Exemplar:
    unit: int  # whose exemplar it is
    image: int  # index into the image set
    position: tuple[int, int]  # feature-map (y, x) of the unit's maximum


def rotate_about(image: torch.Tensor, centre: tuple[float, float], angles: list[float]) -> torch.Tensor:
    """[A, 3, S, S]: `image` [3, S, S] rotated counter-clockwise by each angle (degrees) about
    `centre` (row, col in pixels, pixel centres at +0.5), grey outside."""
    size = image.shape[-1]
    theta = torch.tensor(np.deg2rad(angles), dtype=torch.float32)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # normalised coordinates (align_corners=False): u = (2 * col + 1 - size) / size ... with pixel
    # centres at col + 0.5, a point at pixel coordinate c maps to 2 * c / size - 1.
    cy, cx = (2 * centre[0] / size - 1), (2 * centre[1] / size - 1)
    # Output pixel (x, y) samples the input at R(-angle) (x - c) + c; image rows point down, so
    # a counter-clockwise turn on screen is a clockwise one in (col, row) coordinates.
    matrix = torch.zeros(len(angles), 2, 3)
    matrix[:, 0, 0], matrix[:, 0, 1] = cos, -sin
    matrix[:, 1, 0], matrix[:, 1, 1] = sin, cos
    matrix[:, 0, 2] = cx - (cos * cx - sin * cy)
    matrix[:, 1, 2] = cy - (sin * cx + cos * cy)
    grid = F.affine_grid(matrix, (len(angles), 3, size, size), align_corners=False)
    shifted = image.unsqueeze(0).expand(len(angles), -1, -1, -1) - FILL
    return F.grid_sample(shifted, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + FILL


def window_for(rf: ReceptiveField, position: tuple[int, int], size: int) -> tuple[int, int, int, int] | None:
    """A stride-aligned square of input pixels around `position`'s receptive field, and where
    the position sits in its feature map: (top, left, side, index). Inside it the network
    computes exactly what it computes on the whole image (the field lies inside, away from the
    window's borders). None when it would leave the image: then the whole image is used."""
    stride = int(round(rf.stride))
    margin = math.ceil(rf.size / (2 * stride)) + 1  # feature positions on each side
    side = 2 * margin * stride
    top, left = (position[0] - margin) * stride, (position[1] - margin) * stride
    if top < 0 or left < 0 or top + side > size or left + side > size or side >= size:
        return None
    return top, left, side, margin


def rotation_responses(model: LoadedModel, layer: str, units: list[int], exemplars: list[Exemplar],
                       images: ImageSet, rf: ReceptiveField, angles: list[float],
                       progress: bool = False) -> np.ndarray:
    """[n_exemplars, n_angles, n_units]: every unit's activation at the exemplar's position
    while the exemplar turns about that position. Where the receptive field is small, only a
    window around it goes through the network (same values, far fewer pixels)."""
    spec = model.layer(layer)
    size = model.preprocess.input_size
    cache: dict[int, torch.Tensor] = {}
    out = np.zeros((len(exemplars), len(angles), len(units)), dtype=np.float32)

    def forward(x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad(), capture([spec], stop_after=spec) as acts:
            run_until(model.module, model.preprocess(x.to(model.device)))
        return acts[layer].float().cpu()

    groups: dict[int | None, list[int]] = {}  # exemplars with the same window side go together
    for n, e in enumerate(exemplars):
        window = window_for(rf, e.position, size)
        groups.setdefault(window[2] if window else None, []).append(n)
    with tqdm(total=len(exemplars), desc=f"rotation {model.name} {layer}", unit="exemplar", disable=not progress) as bar:
        for side, members in groups.items():
            per_batch = max(1, (BATCH * (size // side) ** 2 if side else BATCH) // len(angles))
            for start in range(0, len(members), per_batch):
                chunk = members[start:start + per_batch]
                batch, reads = [], []
                for e in (exemplars[n] for n in chunk):
                    if e.image not in cache:
                        cache[e.image] = torch.from_numpy(to_model_input(load_rgb(images.paths[e.image]), size).copy()
                                                          ).permute(2, 0, 1).float() / 255
                    turned = rotate_about(cache[e.image], rf.centre(*e.position), angles)
                    window = window_for(rf, e.position, size)
                    if window:
                        top, left, side_px, index = window
                        batch.append(turned[:, :, top:top + side_px, left:left + side_px])
                        reads.append((index, index))
                    else:
                        batch.append(turned)
                        reads.append(e.position)
                act = forward(torch.cat(batch))
                for row, (n, (y, x)) in enumerate(zip(chunk, reads)):
                    out[n] = act[row * len(angles):(row + 1) * len(angles), units, y, x].numpy()
                bar.update(len(chunk))
    return out


def circular_mean(degrees: np.ndarray, weights: np.ndarray | None = None) -> float:
    rad = np.deg2rad(degrees)
    w = np.ones_like(rad) if weights is None else weights
    return float(np.rad2deg(np.arctan2((w * np.sin(rad)).sum(), (w * np.cos(rad)).sum())) % 360)


def peak_angle(curve: np.ndarray, angles: list[float]) -> float:
    return float(angles[int(np.argmax(curve))])


def signed_angle(a: float) -> float:
    """Angle in (-180, 180]."""
    return (a + 180.0) % 360.0 - 180.0


def angles_for(step: float) -> list[float]:
    return [float(a) for a in np.arange(0.0, 360.0, step)]


def circular_rank_agreement(a: list[float], b: list[float]) -> float:
    """Agreement between two circular orderings: the circular correlation coefficient
    (Fisher & Lee) of the two sets of angles, in [-1, 1]."""
    if len(a) < 3:
        return float("nan")
    x, y = np.deg2rad(np.asarray(a)), np.deg2rad(np.asarray(b))
    n = len(x)
    num = den_x = den_y = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            num += math.sin(x[i] - x[j]) * math.sin(y[i] - y[j])
            den_x += math.sin(x[i] - x[j]) ** 2
            den_y += math.sin(y[i] - y[j]) ** 2
    return float(num / math.sqrt(den_x * den_y)) if den_x > 0 and den_y > 0 else float("nan")


def _period(family_record: dict) -> float:
    return 180.0 if family_record.get("preferred", {}).get("kind") == "line" else 360.0


def _circular_distance(a: float, b: float, period: float) -> float:
    d = abs(a - b) % period
    return min(d, period - d)


def unit_record(unit: int, members: list[int], chosen: list[Exemplar], responses: np.ndarray,
                angles: list[float], labels: dict[int, dict]) -> dict:
    """What one unit's rotation shows: its own exemplars' curves, and its tuning over absolute
    orientation measured on the *other* members' exemplars: an exemplar of unit i turned by
    phi shows i's feature at (i's synthetic orientation + phi). Anchoring on the others, never
    on the unit itself, keeps the comparison with its own synthetic preference fair."""
    column = members.index(unit)
    step = angles[1] - angles[0] if len(angles) > 1 else 360.0
    own = [n for n, e in enumerate(chosen) if e.unit == unit]
    curves = responses[own, :, column]
    aligned = np.stack([np.roll(c, -int(np.argmax(c))) for c in curves]) if own else np.zeros((0, len(angles)))
    period = _period(labels[unit])
    tuning = np.zeros(len(angles))
    anchors = 0
    for other in members:
        anchor = labels[other]["preferred"].get("orientation")
        rows = [n for n, e in enumerate(chosen) if e.unit == other]
        if other == unit or anchor is None or not rows:
            continue
        curve = responses[rows, :, column].mean(axis=0)
        if curve.max() <= 0:
            continue
        tuning += np.roll(curve / curve.max(), int(round(anchor / step)))  # index = absolute orientation
        anchors += 1
    if period == 180.0:  # a line's orientation is axial: fold the two halves together
        half = len(angles) // 2
        tuning = np.concatenate([tuning[:half] + tuning[half:]] * 2)
    synthetic_orientation = labels[unit]["preferred"].get("orientation")
    rotation_orientation = peak_angle(tuning, angles) % period if anchors else None
    agreement = (_circular_distance(rotation_orientation, synthetic_orientation, period)
                 if rotation_orientation is not None and synthetic_orientation is not None else None)
    return {
        "unit": unit,
        "family": labels[unit]["label"],
        "angles": angles,
        "exemplar_curves": curves.tolist(),
        "average": curves.mean(axis=0).tolist() if own else [],
        "aligned_average": aligned.mean(axis=0).tolist() if own else [],
        "rotation_tuning": (tuning / tuning.max()).tolist() if anchors and tuning.max() > 0 else [],
        "synthetic_orientation": synthetic_orientation,
        "rotation_orientation": rotation_orientation,
        "agreement": agreement,
        "period": period,
        "anchors": anchors,
    }


def family_measures(records: list[dict], tolerance: float) -> dict:
    """Joint tuning of one family in one layer: how much of the circle its members cover, how
    evenly their peaks are spaced, and whether rotation orders them as the synthetic stimuli do."""
    tunings = np.array([r["rotation_tuning"] for r in records if r["rotation_tuning"]])
    coverage = float((tunings.max(axis=0) >= 0.5).mean()) if len(tunings) else 0.0
    peaks = sorted(r["rotation_orientation"] for r in records if r["rotation_orientation"] is not None)
    gaps = np.diff(peaks + [peaks[0] + 360.0]) if peaks else np.array([])
    paired = [(r["rotation_orientation"], r["synthetic_orientation"]) for r in records
              if r["rotation_orientation"] is not None and r["synthetic_orientation"] is not None]
    return {
        "members": [r["unit"] for r in records],
        "coverage": coverage,
        "max_gap": float(gaps.max()) if len(gaps) else None,
        "mean_gap": float(gaps.mean()) if len(gaps) else None,
        "order_agreement": circular_rank_agreement([a for a, _ in paired], [b for _, b in paired]),
        "agreeing_units": sum(1 for r in records if r["agreement"] is not None and r["agreement"] <= tolerance),
    }
