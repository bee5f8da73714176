"""The Methods page: how every number is computed, with this run's parameters, the family gates and
verdict criteria in words, and the census of trained units against the random-init control."""

from __future__ import annotations

from generate.analysis import calibration as calibration_rules
from generate.analysis.claims import Report
from generate.analysis.families import FAMILIES, ORIENTED
from generate.analysis.universality import SURVIVES
from generate.config import CalibrationParams
from generate.records import Calibration
from generate.site import urls
from generate.site.views import PageView
from generate.site.views.context import Site
from generate.site.views.overview import SEPARATION


def _battery(site: Site) -> dict | None:
    """The battery's parameters as the page lists them."""
    battery = site.battery
    if not battery:
        return None
    return {"params": battery, "radii": ", ".join(str(r) for r in battery.radii),
            "openings": "°, ".join(str(o) for o in battery.openings),
            "frequencies": ", ".join(str(round(f, 1)) for f in battery.frequencies)}


def _calibration(calibration: Calibration | None, page: urls.Links) -> dict | None:
    """The calibration table: each measurement's rates on the planted units, against its targets."""
    if calibration is None:
        return None
    params = CalibrationParams(model=calibration.model, layer=calibration.layer, **calibration.targets)
    kinds = [kind for kind in calibration_rules.DISTRACTORS
             if any(kind in row.distractor_pass_rate for row in calibration.rows)]
    rows = [{"row": row, "curve": f"{100 * row.curve_pass_rate:.0f}%",
             "error": "–" if row.median_orientation_error is None else f"{row.median_orientation_error:.0f}°",
             "distractors": [f"{100 * row.distractor_pass_rate[k]:.0f}%" if k in row.distractor_pass_rate else "–"
                             for k in kinds]} for row in calibration.rows]
    return {"calibration": calibration, "rows": rows, "kinds": kinds, "criterion": calibration_rules.criterion(params),
            "json_href": page.link(urls.CALIBRATION_JSON)}


def methods_page(site: Site, report: Report) -> PageView:
    page = urls.Links(urls.METHODS)
    census = site.census
    gates = [{"family": name, "href": page.link(urls.family(name)), "criterion": site.family_criteria[name]}
             for name in FAMILIES if site.family_criteria.get(name)]
    models = [{"model": model, "dataset": site.dataset(model)} for model in site.manifest.models]
    return PageView(urls.METHODS, "methods.md.j2", {
        "atlas": site.manifest, "census": census, "models": models, "stimuli_href": page.link(urls.STIMULI),
        "battery": _battery(site) if site.families else None, "families": site.families, "gates": gates,
        "rotation": site.rotation if census.rotation_computed else None, "oriented": ORIENTED,
        "verdict_criteria": site.verdict_criteria(), "separation": SEPARATION, "claims_rule": report.rule,
        "survives_percent": int(round(100 * SURVIVES, 0)), "calibration": _calibration(report.calibration, page)})
