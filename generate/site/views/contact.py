"""The contact sheet of curve units (claims/curve-units.md, linked from the curve claim): for every unit
labelled curve in each model, its neuron visualizations (one per seed, what Argument 1 measures), its
strongest dataset examples (Argument 2's), its verdict on each argument and a link to its page."""

from __future__ import annotations

from generate.analysis import universality
from generate.analysis.claims import Report
from generate.analysis.text import degrees
from generate.analysis.verdicts import ARGUMENTS
from generate.site import urls
from generate.site.views import PageView
from generate.site.views.neuron import Cell

EXAMPLES = 6  # strongest examples per unit on the sheet


def _marks(verdicts) -> list[dict]:
    out = []
    for key, number, title, _ in ARGUMENTS:
        mark = universality.mark(verdicts, key)
        verdict = verdicts.get(key) if verdicts else None
        out.append({"number": number, "mark": mark, "state": {"✓": "pass", "✗": "fail"}.get(mark, "none"),
                    "title": f"Argument {number}, {title}: {verdict.reason if verdict else 'no verdict'}"})
    return out


def curve_units_page(report: Report, cells: dict[tuple[str, str], list[Cell]]) -> PageView:
    source = urls.CURVE_UNITS
    page = urls.Links(source)
    by_ref = {cell.ref: cell for layer in cells.values() for cell in layer}
    models = []
    for claim in report.curve:
        units = []
        for member in claim.members:
            ref = urls.unit(claim.model.slug, member.layer, member.unit)
            cell = by_ref.get(ref)
            units.append({"layer": member.layer, "unit": member.unit, "href": page.html_link(ref.page_source),
                          "orientation": degrees(member.preferred.get("orientation")), "marks": _marks(member.verdicts),
                          "seeds": [page.asset(target) for target in cell.seeds] if cell else [],
                          "examples": [page.asset(target) for target in cell.examples[:EXAMPLES]] if cell else []})
        models.append({"model": claim.model, "conclusion": claim.conclusion, "units": units})
    return PageView(source, "claims_curve_units.md.j2", {
        "models": models, "curves_href": page.link(urls.claims("curves")),
        "family_href": page.link(urls.family("curve")), "methods_href": page.link(urls.METHODS, "rotation-and-verdicts")})
