"""Family pages: the units of one family label across the atlas, the counts beside the control's, and
the joint tuning of its members; and the index of all families."""

from __future__ import annotations

import math

from generate.analysis.families import ORIENTED
from generate.analysis.text import degrees, number
from generate.site import urls
from generate.site.charts import finite_or
from generate.site.views import PageView
from generate.site.views.context import Site
from generate.site.views.neuron import Cell
from generate.site.views.rotation import joint_tuning


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _tile(cell: Cell, name: str, page: urls.Links) -> dict:
    family = cell.family
    orientation = f" · {degrees(family.orientation)}" if family.preferred and family.orientation is not None else ""
    return {"href": page.unit(cell.ref), "thumb": page.link(cell.thumb) if cell.thumb else None,
            "alt": f"unit {cell.ref.unit} of {cell.ref.layer}", "label": f"unit {cell.ref.unit}",
            "small": f"{number(family.score)} σ{orientation}", "slug": urls.family_slug(name),
            "tip": f"unit {cell.ref.unit}: {name}, score {number(family.score)} σ"
                   + (f", {cell.preferred}" if cell.preferred else "")
                   + f"; runner-up {family.runner_up} {number(family.runner_up_score)} σ"}


def _counts(site: Site, name: str, page: urls.Links) -> list[dict]:
    """Per model and layer: the family's units, trained and control."""
    rows = []
    for entry in site.census.models:
        for layer in entry.layers:
            row = layer.row(name)
            rows.append({"model": entry.model, "model_href": page.link(urls.model(entry.model.slug)),
                         "layer": layer.name, "layer_href": page.link(urls.layer(entry.model.slug, layer.name)),
                         "trained": row.trained, "labelled": layer.labelled, "control": row.control,
                         "control_labelled": layer.control_labelled, "text": row.text})
    return rows


def _units(site: Site, name: str, members: list[Cell], page: urls.Links) -> list[dict]:
    """The family's units as tiles, strongest first, per model and layer."""
    ranked = sorted(members, key=lambda cell: -finite_or(cell.family.score, -math.inf))
    groups = []
    for entry in site.census.models:
        for layer in entry.layers:
            here = [cell for cell in ranked if cell.ref.model == entry.model.slug and cell.ref.layer == layer.name]
            if here:
                groups.append({"model": entry.model, "layer": layer.name,
                               "tiles": [_tile(cell, name, page) for cell in here]})
    return groups


def _table(site: Site, members: list[Cell], page: urls.Links) -> list[dict]:
    names = {entry.model.slug: entry.model.name for entry in site.census.models}
    ranked = sorted(members, key=lambda cell: -finite_or(cell.family.score, -math.inf))
    return [{"model": names.get(cell.ref.model, cell.ref.model), "layer": cell.ref.layer, "unit": cell.ref.unit,
             "href": page.unit(cell.ref), "score": cell.family.score, "preferred": cell.preferred,
             "runner_up": cell.family.runner_up, "runner_up_score": cell.family.runner_up_score} for cell in ranked]


def family_page(site: Site, name: str, members: list[Cell]) -> PageView:
    source = urls.family(name)
    page = urls.Links(source)
    census = site.census
    joint = name in ORIENTED and census.rotation_computed
    context = {
        "family": name, "criterion": _sentence(site.family_criteria.get(name, "")),
        "methods_href": page.link(urls.METHODS, "synthetic-stimuli-and-family-labels"),
        "rotation_methods_href": page.link(urls.METHODS, "rotation-and-verdicts"),
        "census": census, "total": census.totals[name], "control_total": census.control_totals[name],
        "counts": _counts(site, name, page), "joint": joint_tuning(name, census, page) if joint else None,
        "agreement": site.rotation.agreement if site.rotation else None,
        "units": _units(site, name, members, page), "table": _table(site, members, page),
        "any_preferred": any(cell.preferred for cell in members),
        "index_href": page.link(urls.FAMILIES), "stimuli_href": page.link(urls.STIMULI),
    }
    return PageView(source, "family.md.j2", context)


def families_index(site: Site) -> PageView:
    page = urls.Links(urls.FAMILIES)
    census = site.census
    rows = [{"family": name, "href": page.link(urls.family(name)), "trained": census.totals[name],
             "control": census.control_totals[name], "criterion": site.family_criteria[name]}
            for name in census.families]
    context = {"census": census, "rows": rows, "stimuli_href": page.link(urls.STIMULI),
               "methods_href": page.link(urls.METHODS, "synthetic-stimuli-and-family-labels"),
               "surveys": [{"name": entry.model.name, "href": page.link(urls.survey(entry.model.slug))}
                           for entry in census.models]}
    return PageView(urls.FAMILIES, "families.md.j2", context)
