"""Geometry of the small inline SVG charts: every coordinate a chart macro (templates/_charts.j2)
draws, computed here. Coordinates printed with one decimal are strings; the others are numbers.
Colours come from CSS (atlas.css), so that the dark scheme works."""

from __future__ import annotations

import math
from typing import Any

from generate.analysis.text import number
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
    drawn = hit_points([v for _, v in pairs], [a for a, _ in pairs], x0, width, base, height, lo, hi)
    return " ".join(f"{p['x']},{p['y']}" for p in drawn)


def histogram(stats: Stats) -> dict:
    """Bars of the activation histogram (height on a log scale) and the quantile marks."""
    h = stats.histogram
    left, plot_width, base, plot_height = 40, 500, 140, 125
    n = len(h.counts)
    top = math.log1p(max(h.counts))
    bars = []
    for i, count in enumerate(h.counts):
        tall = plot_height * math.log1p(count) / top
        bars.append({"x": f"{left + i * plot_width / n:.1f}", "y": f"{base - tall:.1f}",
                     "width": f"{plot_width / n - 1:.1f}", "height": f"{tall:.1f}", "count": count,
                     "low": h.low + i * (h.high - h.low) / n, "high": h.low + (i + 1) * (h.high - h.low) / n})
    marks = []
    for i, (q, label) in enumerate(QUANTILE_MARKS):
        x = left + plot_width * (stats.quantiles[q] - h.low) / (h.high - h.low)
        marks.append({"x": f"{x:.1f}", "text_x": f"{x + 3:.1f}", "text_y": 22 + 13 * i, "label": label})
    return {"bars": bars, "marks": marks, "low": h.low, "high": h.high, "width": left + plot_width + 20,
            "height": base + 30, "left": left, "right": left + plot_width, "top": 10, "base": base,
            "label_y": base + 18, "axis_x": left + plot_width // 2, "axis_y": base + 28}


def heatmap(radii: list[float], rows: list[list[float]], thetas: list[float]) -> dict:
    """Drive of standard curves by radius (rows) and orientation (columns); the peak outlined."""
    cw, ch, x0, y0 = 16, 22, 50, 6
    values = [[finite_or(v, 0.0) for v in row] for row in rows]
    flat = [(v, r, t) for r, row in enumerate(values) for t, v in enumerate(row)]
    peak, peak_row, peak_col = max(flat, key=lambda cell: cell[0])  # the first of equal maxima, as the labeller picks
    scale = max(abs(v) for v, _, _ in flat) or 1.0
    n, height = len(thetas), len(values) * ch
    rows = [{"radius": radii[r], "label_x": x0 - 4, "label_y": y0 + r * ch + ch / 2 + 4,
             "cells": [{"positive": v >= 0, "x": x0 + c * cw, "y": y0 + r * ch, "opacity": f"{abs(v) / scale:.2f}",
                        "orientation": thetas[c], "value": v} for c, v in enumerate(row)]}
            for r, row in enumerate(values)]
    return {
        "width": x0 + n * cw + 10, "height": y0 + height + 36, "x0": x0, "y0": y0,
        "plot_width": n * cw - 1, "plot_height": height - 1, "cell_width": cw - 1, "cell_height": ch - 1,
        "rows": rows, "scale": scale,
        "peak": {"value": peak, "radius": radii[peak_row], "orientation": thetas[peak_col],
                 "x": x0 + peak_col * cw - 0.5, "y": y0 + peak_row * ch - 0.5, "width": cw, "height": ch},
        "ticks": [{"x": x0 + c * cw + cw / 2, "y": y0 + height + 12, "orientation": t}
                  for c, t in enumerate(thetas) if t % 90 == 0],
        "x_label": {"x": x0 + n * cw / 2, "y": y0 + height + 30}, "y_label": y0 + len(values) * ch / 2,
    }


def polar(title: str, drives: list[float], thetas: list[float], scale: float) -> dict:
    """Drive by orientation on a polar plot (rings at the scale and half of it); drives below the
    blank are drawn at the centre."""
    cx, cy, radius = 85, 86, 54
    best = max(range(len(drives)), key=lambda i: drives[i])
    marks = []
    for v, theta in zip(drives, thetas):
        r = radius * max(v, 0) / scale
        marks.append({"x": f"{cx + r * math.cos(math.radians(theta)):.1f}",
                      "y": f"{cy - r * math.sin(math.radians(theta)):.1f}", "orientation": theta, "value": v})
    frame = {"cx": cx, "cy": cy, "r": radius, "half": radius / 2, "left": cx - radius, "right": cx + radius,
             "top": cy - radius, "bottom": cy + radius, "east": cx + radius + 3, "north": cy - radius - 4,
             "west": cx - radius - 3, "middle": cy + 4, "south": cy + radius + 12}
    return {"title": title, "peak": drives[best], "at": thetas[best], "marks": marks, "frame": frame,
            "trace": "".join(f"{m['x']},{m['y']} " for m in marks)}


def bars(labels: list[str], values: list[float], fills: list[str | None] | None = None, unit: str = "σ",
         slot: int = 28, names: list[str] | None = None) -> dict:
    """A bar chart around zero: one slot per value, the value over its bar and its label under it;
    a tooltip names each bar (`names`, else its label) and its value (a non-finite value is drawn as zero)."""
    drawn = [finite_or(v, 0.0) for v in values]
    fills = fills or [None] * len(values)
    names = names or labels
    hi, lo = max(max(drawn), 0), min(min(drawn), 0)
    if hi == lo:
        hi = 1
    span = hi - lo
    top, plot, x0 = 16, 96, 6
    zero = top + plot * hi / span
    width = 2 * x0 + len(values) * slot
    items = []
    for i, (label, name, raw, value, fill) in enumerate(zip(labels, names, values, drawn, fills)):
        y = top + plot * (hi - max(value, 0)) / span
        x = x0 + i * slot
        items.append({"label": label, "value": value, "fill": fill, "title": f"{name}: {number(raw)} {unit}",
                      "x": x + 3, "y": f"{y:.1f}", "width": slot - 6, "height": f"{plot * abs(value) / span:.1f}",
                      "centre": x + slot / 2, "value_y": f"{(y - 3) if value >= 0 else (zero - 3):.1f}"})
    return {"items": items, "width": width, "height": top + plot + 36, "label_y": top + plot + 13,
            "zero": f"{zero:.1f}", "x0": x0, "x1": width - x0, "axis_x": width / 2, "axis_y": top + plot + 31}


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


def hit_points(values: list[float], angles: list[float], x0: float, width: float, base: float, height: float,
               lo: float, hi: float) -> list[dict]:
    """Where each value of a curve over the circle is drawn: one hover target per angle."""
    span = (hi - lo) or 1.0
    return [{"x": f"{x0 + width * float(a) / 360.0:.1f}",
             "y": f"{base - height * (finite_or(v, lo) - lo) / span:.1f}", "angle": float(a), "value": v}
            for a, v in zip(angles, values)]
