"""Joint tuning from rotation responses: pure functions on the arrays the rotation stage
measures (generate/stages/rotation.py) and on the records it stores.

Unit j's response to unit i's exemplars peaks at the rotation that turns i's feature into j's
preferred orientation, so these curves show joint tuning: as the input turns, one unit stops
firing and the next starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from generate.analysis.angles import circular_distance
from generate.records import FamilyLabel, FamilyMeasures, RotationRecord


@dataclass(frozen=True)
class Exemplar:
    unit: int  # whose exemplar it is
    image: int  # index into the image set
    position: tuple[int, int]  # feature-map (y, x) of the unit's maximum


def peak_angle(curve: np.ndarray, angles: list[float]) -> float:
    return float(angles[int(np.argmax(curve))])


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


def period_of(family: FamilyLabel) -> float:
    """A line's orientation is an axis (180-periodic); every other oriented feature has a direction."""
    return 180.0 if family.preferred.get("kind") == "line" else 360.0


def unit_record(unit: int, members: list[int], chosen: list[Exemplar], responses: np.ndarray,
                angles: list[float], labels: dict[int, FamilyLabel]) -> RotationRecord:
    """What one unit's rotation shows: its own exemplars' curves, and its tuning over absolute
    orientation measured on the *other* members' exemplars: an exemplar of unit i turned by
    phi shows i's feature at (i's synthetic orientation + phi). Anchoring on the others, never
    on the unit itself, keeps the comparison with its own synthetic preference fair."""
    column = members.index(unit)
    step = angles[1] - angles[0] if len(angles) > 1 else 360.0
    own = [n for n, e in enumerate(chosen) if e.unit == unit]
    curves = responses[own, :, column]
    aligned = np.stack([np.roll(c, -int(np.argmax(c))) for c in curves]) if own else np.zeros((0, len(angles)))
    period = period_of(labels[unit])
    tuning = np.zeros(len(angles))
    anchors = 0
    for other in members:
        anchor = labels[other].orientation
        rows = [n for n, e in enumerate(chosen) if e.unit == other]
        if other == unit or anchor is None or not rows:
            continue
        curve = responses[rows, :, column].mean(axis=0)
        weight = curve.max()  # how strongly the other member's examples drive this unit at best
        if weight <= 0 or curve.max() <= curve.min():
            continue
        shape = (curve - curve.min()) / (curve.max() - curve.min())
        # index = absolute orientation; an anchor the unit barely responds to weighs little
        tuning += weight * np.roll(shape, int(round(anchor / step)))
        anchors += 1
    if period == 180.0:  # a line's orientation is axial: fold the two halves together
        half = len(angles) // 2
        tuning = np.concatenate([tuning[:half] + tuning[half:]] * 2)
    synthetic_orientation = labels[unit].orientation
    rotation_orientation = peak_angle(tuning, angles) % period if anchors else None
    agreement = (circular_distance(rotation_orientation, synthetic_orientation, period)
                 if rotation_orientation is not None and synthetic_orientation is not None else None)
    return RotationRecord(
        unit=unit, family=labels[unit].label, angles=angles, exemplar_curves=curves.tolist(),
        average=curves.mean(axis=0).tolist() if own else [],
        aligned_average=aligned.mean(axis=0).tolist() if own else [],
        rotation_tuning=(tuning / tuning.max()).tolist() if anchors and tuning.max() > 0 else [],
        synthetic_orientation=synthetic_orientation, rotation_orientation=rotation_orientation,
        agreement=agreement, period=period, anchors=anchors)


def peakedness(tuning: list[float], angles: list[float], period: float) -> float:
    """Resultant length of a tuning curve as a distribution over the circle: 0 for a flat curve,
    1 for a single spike. A member counts for coverage only with a clear peak."""
    values = np.clip(np.asarray(tuning, dtype=float), 0, None)
    if values.sum() <= 0:
        return 0.0
    phase = np.deg2rad(np.asarray(angles)) * (360.0 / period)
    return float(np.abs((values * np.exp(1j * phase)).sum()) / values.sum())


def family_measures(records: list[RotationRecord], tolerance: float, clear_peak: float = 0.0) -> FamilyMeasures:
    """Joint tuning of one family in one layer: how much of the circle its members with a clear
    peak cover, how evenly their peaks are spaced, and whether rotation orders them as the
    synthetic stimuli do."""
    tunings = np.array([r.rotation_tuning for r in records if r.rotation_tuning
                        and peakedness(r.rotation_tuning, r.angles, r.period) >= clear_peak])
    coverage = float((tunings.max(axis=0) >= 0.5).mean()) if len(tunings) else 0.0
    peaks = sorted(r.rotation_orientation for r in records if r.rotation_orientation is not None)
    gaps = np.diff(peaks + [peaks[0] + 360.0]) if peaks else np.array([])
    paired = [(r.rotation_orientation, r.synthetic_orientation) for r in records
              if r.rotation_orientation is not None and r.synthetic_orientation is not None]
    return FamilyMeasures(
        members=[r.unit for r in records], coverage=coverage,
        max_gap=float(gaps.max()) if len(gaps) else None, mean_gap=float(gaps.mean()) if len(gaps) else None,
        order_agreement=circular_rank_agreement([a for a, _ in paired], [b for _, b in paired]),
        agreeing_units=sum(1 for r in records if r.agreement is not None and r.agreement <= tolerance))
