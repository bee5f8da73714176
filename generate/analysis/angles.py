"""Angles, in degrees, counter-clockwise from "right" with "up" positive (as the stimuli draw them)."""

from __future__ import annotations

import numpy as np


def circular_distance(a: float, b: float, period: float = 360.0) -> float:
    """Distance between two angles on a circle of `period` degrees (180 for axes), 0..period/2."""
    d = abs(a - b) % period
    return min(d, period - d)


def axis_distance(a: float, b: float) -> float:
    """Distance between two contour axes (180-periodic), 0..90."""
    return circular_distance(a, b, 180.0)


def signed_angle(a: float) -> float:
    """Angle in (-180, 180]."""
    return (a + 180.0) % 360.0 - 180.0


def circular_mean(degrees: np.ndarray, weights: np.ndarray | None = None) -> float:
    rad = np.deg2rad(degrees)
    w = np.ones_like(rad) if weights is None else weights
    return float(np.rad2deg(np.arctan2((w * np.sin(rad)).sum(), (w * np.cos(rad)).sum())) % 360)


def orientations(step: float, full: float = 360.0) -> list[float]:
    """0, step, 2 step, ... below `full`."""
    return [float(a) for a in np.arange(0.0, full, step)]
