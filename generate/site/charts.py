"""The small SVG charts. Those of neuron pages (histogram, curve heatmap, polar plots, bar charts) are
specs here: the numbers each draws (rounded to 4 significant digits), which atlas.js lays out in the
browser: 20,000 pages of their inline SVG were a third of a full atlas's bytes. Those of the few
other pages (sparklines, family counts) are drawn here: every coordinate the macros of
templates/_charts.j2 print. Colours come from CSS (atlas.css), so that the dark scheme works."""

from __future__ import annotations

import math
from typing import Any

from generate.records import Stats

QUANTILE_MARKS = (("0.5", "median"), ("0.9", "90%"), ("0.99", "99%"))


def finite_or(value: Any, default: float | None) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else default


def points(values: list[float], angles: list[float], x0: float, width: float, base: float, height: float,
           lo: float, hi: float) -> str:
    """SVG polyline points of a curve over the circle: angle a at x0 + width * a / 360, value lo at
    `base` and hi at `base - height`; the first value is repeated at 360° to close the circle."""
    pairs = list(zip(angles, values))
    if pairs and len(pairs) == len(angles):
        pairs.append((pairs[0][0] + 360.0, pairs[0][1]))
    span = (hi - lo) or 1.0
    return " ".join(f"{x0 + width * float(a) / 360.0:.1f},{base - height * (finite_or(v, lo) - lo) / span:.1f}"
                    for a, v in pairs)


def rounded(value: Any, digits: int = 4) -> Any:
    """Numbers (in lists and dicts too) to `digits` significant digits: 4 for a chart's spec (the
    tooltips print 3). JSON has no infinity, so ±∞ are the strings "inf" and "-inf" and NaN is null
    (atlas.js prints ∞, −∞ and n/a)."""
    kind = type(value)  # one twin holds about 800 values: the common types first
    if kind is float or isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else None if math.isnan(value) else str(value)
    if kind is list:
        return [rounded(v, digits) for v in value]
    if kind is dict:
        return {key: rounded(v, digits) for key, v in value.items()}
    return value


def histogram(stats: Stats) -> dict:
    """The activation histogram (bars on a log scale) with its quantile marks."""
    h = stats.histogram
    return {"kind": "histogram", "counts": list(h.counts), "low": rounded(h.low), "high": rounded(h.high),
            "marks": [[rounded(stats.quantiles[q]), label] for q, label in QUANTILE_MARKS]}


def heatmap(radii: list[float], rows: list[list[float]], thetas: list[float]) -> dict:
    """Drive of standard curves by radius (rows) and orientation (columns), the peak outlined; the
    peak and the colour scale for the caption."""
    values = [[finite_or(v, 0.0) for v in row] for row in rows]
    flat = [(v, r, t) for r, row in enumerate(values) for t, v in enumerate(row)]
    peak, peak_row, peak_col = max(flat, key=lambda cell: cell[0])  # the first of equal maxima, as the labeller picks
    return {"spec": {"kind": "heatmap", "radii": rounded(radii), "thetas": rounded(thetas), "rows": rounded(values)},
            "scale": max(abs(v) for v, _, _ in flat) or 1.0,
            "peak": {"value": peak, "radius": radii[peak_row], "orientation": thetas[peak_col]}}


def polar(title: str, drives: list[float], thetas: list[float], scale: float, stimulus: dict | None = None) -> dict:
    """Drive by orientation on a polar plot (rings at the scale and half of it; drives below the blank
    at the centre), with the family's strongest stimulus in its corner; its peak for the caption."""
    best = max(range(len(drives)), key=lambda i: drives[i])
    spec = {"kind": "polar", "title": title, "drives": rounded(drives), "thetas": rounded(thetas), "scale": rounded(scale)}
    if stimulus:
        spec["stimulus"] = {"href": stimulus["href"], "text": stimulus["text"], "drive": rounded(stimulus["drive"])}
    return {"spec": spec, "title": title, "peak": drives[best], "at": thetas[best]}


def bars(labels: list[str], values: list[float], fills: list[str | None] | None = None, unit: str = "σ",
         slot: int = 28, names: list[str] | None = None) -> dict:
    """A bar chart around zero: one slot per value, the value over its bar and its label under it;
    a tooltip names each bar (`names`, else its label) and its value (a non-finite value is drawn as zero)."""
    spec = {"kind": "bars", "labels": labels, "values": rounded([float(v) for v in values]), "slot": slot}
    if any(fills or []):
        spec["fills"] = fills
    if names and names != labels:
        spec["names"] = names
    if unit != "σ":
        spec["unit"] = unit
    return spec


def sparkline(tuning: list[float] | None, angles: list[float] | None) -> str | None:
    """Points of a 96 x 24 drive-by-orientation sparkline, or None without a whole curve."""
    if not tuning or not angles or len(tuning) != len(angles):
        return None
    lo = min(min(tuning), 0)
    hi = max(max(tuning), lo + 0.001)
    return points(tuning, angles, 0, 96, 22, 20, lo, hi)


def axis_line(axis: Any, length: float = 84.0) -> dict | None:
    """SVG endpoints (100 x 100 box, y down) of a contour axis in degrees (counter-clockwise, y up)."""
    if axis is None:
        return None
    rad = math.radians(float(axis))
    dx, dy = length / 2 * math.cos(rad), -length / 2 * math.sin(rad)
    return {"x1": round(50 - dx, 1), "y1": round(50 - dy, 1), "x2": round(50 + dx, 1), "y2": round(50 + dy, 1)}


def glyph(orientation: Any, period: float | None, radius: float = 30.0) -> str | None:
    """An SVG path (100 x 100 box, y down) drawing what an orientation means: for a direction
    (period 360: a curve's bulge) the 90° arc through the centre bulging that way, for an axis
    (period 180) a line through the centre."""
    if orientation is None:
        return None
    if period != 360.0:
        line = axis_line(orientation)
        return f"M{line['x1']} {line['y1']}L{line['x2']} {line['y2']}"
    theta = math.radians(float(orientation))
    cx, cy = 50 - radius * math.cos(theta), 50 + radius * math.sin(theta)  # the arc's circle centre
    ends = [(cx + radius * math.cos(theta + s), cy - radius * math.sin(theta + s)) for s in (-math.pi / 4, math.pi / 4)]
    (x1, y1), (x2, y2) = ends
    return f"M{x1:.1f} {y1:.1f}A{radius:g} {radius:g} 0 0 0 {x2:.1f} {y2:.1f}"


def count_bars(rows: list[tuple[str, int, int | None]], width: int = 300) -> dict | None:
    """Small horizontal bars of family counts: one row per family with a unit, the trained count
    as a bar and the random-init control's as a tick on the same scale (None without any unit)."""
    rows = [row for row in rows if row[1] or row[2]]
    if not rows:
        return None
    label_w, row_h, gap = 128, 14, 4
    plot = width - label_w - 34
    top = max(max(trained, control or 0) for _, trained, control in rows)
    items = []
    for i, (family, trained, control) in enumerate(rows):
        y = i * (row_h + gap)
        items.append({"family": family, "trained": trained, "control": control, "y": y, "label_y": y + row_h - 3,
                      "width": f"{plot * trained / top:.1f}", "value_x": f"{label_w + plot * trained / top + 4:.1f}",
                      "tick_x": f"{label_w + plot * control / top:.1f}" if control is not None else None,
                      "title": f"{family}: {trained} unit{'s' if trained != 1 else ''}"
                               + (f", random-init control {control}" if control is not None else "")})
    return {"items": items, "width": width, "height": len(rows) * (row_h + gap), "label_x": label_w - 6,
            "x0": label_w, "bar_h": row_h}
