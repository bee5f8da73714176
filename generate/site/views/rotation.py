"""Rotation and verdicts: a neuron page's rotation figures and verdict rows, and a family page's joint
tuning per layer, arranged from the stored records."""

from __future__ import annotations

from generate.analysis.census import Census
from generate.analysis.families import ORIENTED
from generate.analysis.verdicts import ARGUMENTS
from generate.config import RotationParams
from generate.records import FamilyMeasures, RotationRecord, UnitVerdicts
from generate.site import urls
from generate.site.charts import finite_or
from generate.site.rotation_charts import activation_chart, ridge_chart, tuning_chart


def _marks(theta: float | None, period: float) -> list[float]:
    """Where an orientation is drawn on a 0–360° axis: twice for an axial (180°-periodic) one."""
    if theta is None:
        return []
    theta = float(theta) % 360.0
    return sorted({theta % 180.0, theta % 180.0 + 180.0}) if period == 180 else [theta]


def rotation_view(record: RotationRecord) -> dict:
    """What the rotation figures draw, arranged from the stored record."""
    angles = [float(a) for a in record.angles]
    curves = [[finite_or(v, 0.0) for v in curve] for curve in record.exemplar_curves]
    average = [finite_or(v, 0.0) for v in record.average]
    values = [v for curve in curves for v in curve] + average
    hi, lo = max(values + [0.0]), min(values + [0.0])
    period = float(record.period or 360.0)
    tuning = [finite_or(v, 0.0) for v in record.rotation_tuning]
    peaks = []
    for curve in curves:
        best = max(range(len(curve)), key=lambda i: curve[i]) if curve else None
        peaks.append({"value": curve[best] if best is not None else None,
                      "at": angles[best] if best is not None and best < len(angles) else None})
    return {
        "family": record.family or "family", "angles": angles, "curves": curves, "average": average,
        "average_start": average[0] if average else None, "average_peak": max(average) if average else None,
        "peaks": peaks, "hi": hi if hi > lo else lo + 1.0, "lo": lo, "period": period, "axial": period == 180,
        "step": angles[1] - angles[0] if len(angles) > 1 else None,
        "tuning": tuning if len(tuning) == len(angles) else [],
        "synthetic": record.synthetic_orientation, "rotation": record.rotation_orientation,
        "agreement": record.agreement, "anchors": record.anchors or 0,
        "synthetic_marks": _marks(record.synthetic_orientation, period),
        "rotation_marks": _marks(record.rotation_orientation, period),
    }


def rotation_section(record: RotationRecord | None, computed: bool, label: str | None,
                     params: RotationParams | None, page: urls.Links) -> dict:
    """The rotation section of a neuron page: the figures where the unit was turned, else why not."""
    view = rotation_view(record) if record else None
    return {"view": view, "computed": computed, "label": label, "oriented": ORIENTED,
            "methods_href": page.link(urls.METHODS, "rotation-and-verdicts"),
            "tolerance": params.agreement if params else None,
            "activation_chart": activation_chart(view) if view else None,
            "tuning_chart": tuning_chart(view) if view and view["tuning"] else None}


def verdict_rows(verdicts: UnitVerdicts | None) -> list[dict]:
    """One row per stored argument, in the order of the arguments."""
    rows = []
    for key, number, title, unit in ARGUMENTS:
        verdict = verdicts.get(key) if verdicts else None
        if verdict is not None:
            rows.append({"key": key, "number": number, "title": title, "unit": unit, "passed": verdict.passed,
                         "score": verdict.score, "reason": verdict.reason, "criterion": verdict.criterion,
                         "control_passed": verdict.control_passed, "control_score": verdict.control_score})
    return rows


def joint_tuning(name: str, census: Census, page: urls.Links) -> list[dict]:
    """Per model and layer where the family has rotation data: its members' joint-tuning curves,
    ordered by synthetic preferred orientation, and the layer measures beside the control's."""
    if name not in ORIENTED:
        return []
    out = []
    for entry in census.models:
        for layer in entry.layers:
            measures = layer.rotation_families.get(name)
            if not measures:
                continue
            rows = []
            for unit in measures.members:
                record = layer.rotation.get(unit)
                if record:
                    ref = urls.unit(entry.model.slug, layer.name, unit)
                    rows.append({"unit": unit, "href": page.html_link(ref.page_source), **rotation_view(record)})
            rows.sort(key=lambda r: (r["synthetic"] is None, finite_or(r["synthetic"], 0.0), r["unit"]))
            control = layer.control_rotation_families
            out.append({"model": entry.model, "layer": layer.name, "chart": ridge_chart(rows), "rows": rows,
                        "axial": any(r["period"] == 180 for r in rows), "measures": _measures(measures),
                        "control": _measures(control.get(name)) if control else None,
                        "control_computed": control is not None})
    return out


def _measures(measures: FamilyMeasures | None) -> dict | None:
    """A family's joint-tuning measures in one layer, as the family page's table shows them."""
    if not measures:
        return None
    return {"coverage_percent": 100 * measures.coverage, "max_gap": measures.max_gap, "mean_gap": measures.mean_gap,
            "order_agreement": measures.order_agreement, "agreeing_units": measures.agreeing_units,
            "members": len(measures.members)}
