"""The rotation charts (curves over the circle, 0–360°). A neuron page's two, the activation of the unit
while its examples turn and its joint tuning, are specs that atlas.js draws (generate/site/charts.py
says why); the family page's ridge plot of its members' joint tunings is drawn here: the macros of
templates/_rotation.j2 print exactly these coordinates."""

from __future__ import annotations

from generate.site.charts import points, rounded

GRID = (90, 180, 270)  # vertical grid lines, degrees
TICKS = (0, 90, 180, 270, 360)  # labelled angles under the axis


def _x(x0: float, width: float, theta: float) -> float:
    return x0 + width * theta / 360


def circle_axis(x0: float, width: float, y: float) -> list[dict]:
    return [{"x": f"{_x(x0, width, t):.1f}", "y": y, "degrees": t} for t in TICKS]


def activation_chart(view: dict) -> dict:
    """The activation of a unit while each of its dataset examples turns, and their average."""
    return {"kind": "rotation", "angles": rounded(view["angles"]), "curves": rounded(view["curves"]),
            "average": rounded(view["average"]), "lo": rounded(view["lo"]), "hi": rounded(view["hi"]),
            "peaks": [[rounded(p["value"]), rounded(p["at"])] for p in view["peaks"]]}


def tuning_chart(view: dict) -> dict:
    """A unit's joint tuning over absolute orientation, with its synthetic preference and rotation peak."""
    return {"kind": "tuning", "angles": rounded(view["angles"]), "tuning": rounded(view["tuning"]),
            "synthetic_marks": rounded(view["synthetic_marks"]), "rotation_marks": rounded(view["rotation_marks"]),
            "synthetic": rounded(view["synthetic"]), "rotation": rounded(view["rotation"]), "anchors": view["anchors"]}


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
