"""The claims pages: the report of generate/analysis/claims.py, with the links, tiles and sparklines
each page shows beside its conclusions."""

from __future__ import annotations

from generate.analysis import universality
from generate.analysis.census import SEPARATION_MIN, SEPARATION_RATIO
from generate.analysis.claims import FamilyMember as Member
from generate.analysis.claims import Report
from generate.analysis.text import degrees
from generate.analysis.verdicts import ARGUMENTS
from generate.records import ModelManifest, UnitRef
from generate.site import urls
from generate.site.charts import sparkline
from generate.site.views import PageView

TILES = 12  # units shown per family figure
SENSITIVITY_FAMILIES = ("curve", "line/edge", "high-low frequency", "colour contrast")


def _tile(model: ModelManifest, member: Member, label: str, page: urls.Links) -> dict:
    ref = urls.unit(model.slug, member.layer, member.unit)
    return {"layer": member.layer, "unit": member.unit, "label": label, "href": page.unit(ref),
            "thumb": page.thumb(ref)}


def _orientation(member: Member) -> str:
    return degrees(member.preferred.get("orientation"))


def test_row(entry: dict) -> dict:
    """One family test as a table row: counts, effects with their intervals, p-values, conclusion."""
    def effect(null: str) -> str:
        value = (entry.get("effect_size") or {}).get(null)
        interval = (entry.get("interval") or {}).get(null)
        if value is None:
            return "–"
        return f"{value:+.2f} [{interval[0]:+.2f}, {interval[1]:+.2f}]" if interval else f"{value:+.2f}"

    def p(value) -> str:
        return "–" if value is None else ("< 0.001" if value < 0.001 else f"{value:.3f}")

    return {**entry, "effect_permutation": effect("permutation"), "effect_control": effect("control"),
            "p_permutation": p(entry.get("p_value_permutation")), "p_control": p(entry.get("p_value_control")),
            "control_text": "–" if not entry.get("control_units") else
            f"{entry['control_passing']} of {entry['control_units']}"}


def _curve(report: Report, page: urls.Links) -> list[dict]:
    out = []
    for claim in report.curve:
        model = claim.model
        out.append({
            "claim": claim, "model": model, "tests": [test_row(t) for t in claim.tests.values()],
            "coverage": [{"layer": t.layer, "members": len(t.measures.members),
                          "percent": int(round(100 * t.statistics.coverage, 0)) if t.statistics.coverage is not None
                          else None, "coverage_p": t.statistics.coverage_p, "max_gap": t.statistics.largest_gap,
                          "gap_p": t.statistics.largest_gap_p, "order_agreement": t.measures.order_agreement,
                          "agreeing_units": t.measures.agreeing_units} for t in claim.tuning],
            "members": [{"unit": m.unit, "layer": m.layer, "orientation": _orientation(m),
                         "href": page.unit(urls.unit(model.slug, m.layer, m.unit)),
                         "marks": [universality.mark(m.verdicts, key) for key, *_ in ARGUMENTS]}
                        for m in claim.members],
            "seen": _seen(claim.counts),
            "tiles": [_tile(model, m, _orientation(m), page) for m in claim.members[:TILES]],
            "high_low": [_tile(model, m, _orientation(m), page) for m in claim.high_low[:TILES]]})
    return out


def _seen(counts: list) -> dict:
    """Which part of each layer the claim saw: complete layers answer for the network, a sample
    only for itself (the claims atlas, `make claims`, computes every unit)."""
    layers = [{"layer": c.layer, "labelled": c.labelled, "channels": c.channels,
               "percent": int(round(100 * c.labelled / c.channels)) if c.channels else 0} for c in counts]
    return {"layers": layers, "complete": all(c.labelled >= c.channels for c in counts)}


def _first_argument(member: Member) -> str:
    verdict = member.verdicts.feature_visualization if member.verdicts else None
    if verdict is None or verdict.score is None:
        return member.family
    return f"{member.family} · A1 {'✓' if verdict.passed else '✗'}"


def _low_level(report: Report, page: urls.Links) -> list[dict]:
    # an atlas that surveys its early layers (labels only, as the claims atlas) judges none of their units
    return [{"claim": claim, "model": claim.model,
             "judged": any(row.argument_1 and row.argument_1["units"] for row in claim.rows),
             "rows": [{"row": row, "href": page.link(urls.family(row.family)),
                       "test": test_row(row.argument_1) if row.argument_1 else None} for row in claim.rows],
             "tiles": [_tile(claim.model, m, _first_argument(m), page) for m in claim.gallery]}
            for claim in report.low_level]


def _side(summary, slug: str, layer: str, unit: int, page: urls.Links) -> dict:
    """One side of a matched pair: the unit's page, thumbnail, tuning sparkline and verdict marks."""
    ref = UnitRef(slug, layer, unit)
    return {"href": page.unit(ref), "thumb": page.thumb(ref),
            "sparkline": sparkline(summary.tuning, summary.angles) if summary else None,
            "marks": summary.marks if summary else ""}


def _matched(matched: list[dict], reference: ModelManifest, page: urls.Links) -> list[dict]:
    out = []
    for m in matched:
        rows = [{**u, "own": _side(u["own"], reference.slug, u["layer"], u["unit"], page),
                 "theirs": _side(u["theirs"], m["other_slug"], u["match"]["layer"], u["match"]["unit"], page),
                 "compare": urls.compare_link(page.source, UnitRef(reference.slug, u["layer"], u["unit"]),
                                              UnitRef(m["other_slug"], u["match"]["layer"], u["match"]["unit"]))}
                for u in m["rows"]]
        out.append({**m, "rows": rows, "measures": " + ".join(m["measures"])})
    return out


def _universality(report: Report, page: urls.Links) -> dict:
    claim = report.universality
    rows = [{"row": row, "href": page.link(urls.family(row.family)),
             "models": [{"present": f.present, "control": f.control, "separates": f.separates,
                         "degrees": int(round(360 * f.coverage, 0)) if f.coverage is not None else None}
                        for f in row.models],
             "matched": _matched(row.matched, claim.reference, page) if row.matched else []}
            for row in claim.rows]
    return {"claim": claim, "rows": rows, "any_matched": any(row.matched for row in claim.rows)}


def _change(row: universality.SensitivityRow) -> str:
    """What a variation changes, in words."""
    if row.variation is None:
        return "as configured"
    parts = [f"dataset {row.variation.dataset}"] if row.variation.dataset else []
    parts += [f"{section}.{key} = {value}" for section, values in row.variation.changes.items()
              for key, value in values.items()]
    return "; ".join(parts)


def _sensitivity(report: Report) -> dict | None:
    sens = report.sensitivity
    if not sens:
        return None
    rows = [{"row": row, "change": _change(row),
             "percent": int(round(100 * row.agreement, 0)) if row.agreement is not None else "–",
             "counts": [row.counts[family] for family in SENSITIVITY_FAMILIES],
             "passes": [row.passes[key] for key, *_ in ARGUMENTS]} for row in sens.rows]
    return {"sens": sens, "rows": rows, "threshold_percent": int(round(100 * sens.threshold, 0))}


def claims_pages(report: Report, thumbs: dict[str, str]) -> list[PageView]:
    """The claims pages; `thumbs`: each unit page's tile picture (urls.Links)."""
    pages = []
    for name in urls.CLAIMS:
        source = urls.claims(name)
        page = urls.Links(source, thumbs)
        context = {
            "report": report, "separation": {"ratio": SEPARATION_RATIO, "min": SEPARATION_MIN},
            "links": {key: page.link(urls.claims(key)) for key in urls.CLAIMS},
            "methods_href": page.link(urls.METHODS),
            "calibration_href": page.link(urls.METHODS, "calibration-on-planted-ground-truth"),
            "claims_json_href": page.link(urls.CLAIMS_JSON),
            "calibration_json_href": page.link(urls.CALIBRATION_JSON),
            "verdicts_href": page.link(urls.METHODS, "rotation-and-verdicts"),
            "curve_href": page.link(urls.family("curve")), "contact_href": page.link(urls.CURVE_UNITS),
            "high_low_href": page.html_link(urls.family("high-low frequency")),
            "curve": _curve(report, page) if name == "curves" else None,
            "low_level": _low_level(report, page) if name == "low-level" else None,
            "universality": _universality(report, page) if name == "universality" else None,
            "sensitivity": _sensitivity(report) if name == "sensitivity" else None,
        }
        pages.append(PageView(source, f"claims_{name.replace('-', '_')}.md.j2", context))
    return pages
