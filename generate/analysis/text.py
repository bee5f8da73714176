"""How numbers read in rule texts and on pages: one formatting, wherever a number is printed."""

from __future__ import annotations

import math
from typing import Any


def number(value: Any, digits: int = 3) -> str:
    """3 significant digits, thousands separators for counts, n/a for missing or NaN."""
    if value is None:
        return "n/a"
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("−∞" if value < 0 else "∞")
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


def degrees(value: Any) -> str:
    if value is None:
        return "n/a"
    value = float(value)
    return f"{value:.0f}°" if value == round(value) else f"{value:.1f}°"
