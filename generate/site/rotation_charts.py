"""Geometry of the rotation charts (curves over the circle, 0–360°): the activation of a unit while its
examples turn, its joint tuning, and the ridge plot of a family's joint tunings. The macros of
templates/_rotation.j2 draw exactly these coordinates."""

from __future__ import annotations

from generate.site.charts import hit_points, points

GRID = (90, 180, 270)  # vertical grid lines, degrees
TICKS = (0, 90, 180, 270, 360)  # labelled angles under the axis


def _x(x0: float, width: float, theta: float) -> float:
    return x0 + width * theta / 360


def circle_axis(x0: float, width: float, y: float) -> list[dict]:
    return [{"x": f"{_x(x0, width, t):.1f}", "y": y, "degrees": t} for t in TICKS]


def _frame(x0: int, width: int, top: int, height: int) -> dict:
    base = top + height
    return {"x0": x0, "x1": x0 + width, "w": width, "top": top, "h": height, "base": base,
            "width": x0 + width + 14, "height": base + 36,
            "grid": [_x(x0, width, t) for t in GRID], "label_x": x0 - 4, "top_label_y": top + 8,
            "axis": circle_axis(x0, width, base + 13), "x_label": {"x": x0 + width / 2, "y": base + 29}}


def activation_chart(view: dict) -> dict:
    """The activation of a unit while each of its dataset examples turns, and their average."""
    frame = _frame(44, 360, 8, 120)
    x0, w, base, h = frame["x0"], frame["w"], frame["base"], frame["h"]
    lo, hi, angles = view["lo"], view["hi"], view["angles"]
    return {**frame, "mid_y": frame["top"] + h / 2,
            "zero": f"{base - h * (0 - lo) / (hi - lo):.1f}" if lo < 0 else None,
            "curves": [points(curve, angles, x0, w, base, h, lo, hi) for curve in view["curves"]],
            "average": points(view["average"], angles, x0, w, base, h, lo, hi) if view["average"] else None,
            "average_hits": hit_points(view["average"], angles, x0, w, base, h, lo, hi) if view["average"] else []}


def tuning_chart(view: dict) -> dict:
    """A unit's joint tuning over absolute orientation, with its synthetic preference and rotation peak."""
    frame = _frame(44, 360, 20, 96)
    x0, w, base, h = frame["x0"], frame["w"], frame["base"], frame["h"]
    return {**frame, "half_y": base - h / 2, "half_label_y": base - h / 2 + 4,
            "points": points(view["tuning"], view["angles"], x0, w, base, h, 0, 1),
            "hits": hit_points(view["tuning"], view["angles"], x0, w, base, h, 0, 1),
            "synthetic_marks": [f"{_x(x0, w, t):.1f}" for t in view["synthetic_marks"]],
            "rotation_marks": [f"{_x(x0, w, t):.1f}" for t in view["rotation_marks"]],
            "legend": {"synthetic": (x0, x0 + 16, x0 + 20), "rotation": (x0 + 150, x0 + 166, x0 + 170)}}


def ridge_chart(rows: list[dict]) -> dict:
    """One row per family member (in the given order): its joint tuning over absolute orientation,
    ▼ at its synthetic preference and ● at its rotation peak."""
    x0, w, step, amp, top = 132, 360, 28, 42, 24
    height = top + amp + step * (max(len(rows), 1) - 1) + 44
    drawn = []
    for i, row in enumerate(rows):
        base = top + amp + step * i
        line = points(row["tuning"], row["angles"], x0, w, base, amp, 0, 1) if row["tuning"] else None
        drawn.append({**row, "base": base, "label_y": base - 2, "empty_y": base - 4, "points": line,
                      "area": f"{x0},{base} {line} {x0 + w},{base}" if line else None,
                      "synthetic_marks": [{"d": f"M{_x(x0, w, t) - 4:.1f},{base - 7} h8 l-4,7 z"}
                                          for t in row["synthetic_marks"]],
                      "rotation_marks": [{"cx": f"{_x(x0, w, t):.1f}", "cy": base - amp}
                                         for t in row["rotation_marks"]] if line else []})
    return {"width": x0 + w + 18, "height": height, "x0": x0, "x1": x0 + w, "label_x": x0 - 6, "empty_x": x0 + 4,
            "grid": [_x(x0, w, t) for t in GRID], "grid_top": top, "grid_bottom": height - 30, "rows": drawn,
            "axis": circle_axis(x0, w, height - 17), "x_label": {"x": x0 + w / 2, "y": height - 2}}
