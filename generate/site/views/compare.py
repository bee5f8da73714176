"""The compare page: two units side by side (compare/?a=MODEL/LAYER/UNIT&b=MODEL/LAYER/UNIT), drawn in
the browser by atlas.js from the units' JSON twins; and the list of every unit for its pickers."""

from __future__ import annotations

import json

from generate.site import urls
from generate.site.views import PageView
from generate.site.views.context import Site
from generate.site.views.neuron import Cell


def _unit(cell: Cell, model: str) -> dict:
    return {"id": urls.unit_id(cell.ref), "model": model, "label": cell.family.label if cell.family else None,
            "twin": cell.ref.json_url, "page": cell.ref.page_url, "thumb": cell.thumb}


def compare_page(site: Site, cells: dict[tuple[str, str], list[Cell]]) -> PageView:
    """The page and the units it can compare (paths relative to the site root)."""
    names = {model.slug: model.name for model in site.manifest.models}
    units = [_unit(cell, names.get(slug, slug)) for (slug, _), layer in cells.items() for cell in layer]
    page = urls.Links(urls.COMPARE)
    context = {"root": page.html_link(urls.HOME), "units_href": page.asset(urls.COMPARE_UNITS),
               "first": units[0]["id"] if units else "", "second": units[1]["id"] if len(units) > 1 else "",
               "count": len(units)}
    return PageView(urls.COMPARE, "compare.md.j2", context,
                    files={urls.COMPARE_UNITS: json.dumps({"units": units}, indent=0)})
