"""Layer pages: the family counts of a layer beside its control's, its units as tiles grouped by family,
and the activation maps of its units on reference photos."""

from __future__ import annotations

from generate.analysis.census import LayerCensus
from generate.analysis.text import number
from generate.records import LayerManifest, ModelManifest
from generate.site import urls
from generate.site.views import PageView
from generate.site.views.completeness import missing
from generate.site.views.context import Site
from generate.site.views.neuron import Cell
from generate.site.writer import image_size


def tip(cell: Cell) -> str:
    """A tile's tooltip: the unit's family and preferred stimulus, and its activation statistics."""
    text = f"unit {cell.ref.unit}"
    family, stats = cell.family, cell.stats
    if family:
        text += f": {family.label}, score {number(family.score)} σ" + (f", {cell.preferred}" if cell.preferred else "")
    if stats:
        text += (("; " if family else ": ") + f"mean activation {number(stats.mean)}, σ {number(stats.std)}, "
                 f"max {number(stats.max)}, positive at {number(100 * stats.fraction_positive)}% of positions")
    return text


def layer_tile(cell: Cell, slug: str, page: urls.Links) -> dict:
    return {"href": page.unit(cell.ref), "thumb": page.link(cell.thumb) if cell.thumb else None,
            "alt": f"unit {cell.ref.unit}", "label": cell.ref.unit, "tip": tip(cell), "slug": slug,
            "small": f"{number(cell.family.score)} σ" if cell.family else ""}


def _groups(cells: list[Cell], families: list[str], page: urls.Links) -> list[dict]:
    """The tiles grouped by family label, in the order of the families (none when no unit is labelled)."""
    if not any(cell.family for cell in cells):
        return []
    groups = []
    for name in families + [None]:
        members = [c for c in cells if (c.family.label if c.family else None) == name]
        if members:
            slug = urls.family_slug(name) if name else "unlabelled"
            groups.append({"family": name, "slug": slug, "href": page.link(urls.family(name)) if name else None,
                           "tiles": [layer_tile(cell, slug, page) for cell in members]})
    return groups


def _feature_maps(site: Site, model: ModelManifest, layer: LayerManifest, page: urls.Links,
                  copies: dict) -> list[dict]:
    """Mosaics of every atlas unit's activation map on reference photos, when the layer has them."""
    maps = layer.feature_maps
    if maps and site.reader.read(site.reader.path(maps.dir, "layer.json")) is None:
        return []  # missing, or failing its checksums (or its mosaics do)
    out = []
    for photo in maps.files if maps else []:
        source = site.reader.path(maps.dir, photo.file)
        if not source.is_file():
            continue
        target = urls.feature_map(model.slug, layer.name, photo.file)
        copies[target] = source
        width, height = image_size(source)
        thumb = None
        if photo.photo and site.reader.path(maps.dir, photo.photo).is_file():
            thumb = urls.feature_map(model.slug, layer.name, photo.photo)
            copies[thumb] = site.reader.path(maps.dir, photo.photo)
        out.append({"source": photo.source, "href": page.link(target), "thumb": page.link(thumb) if thumb else None,
                    "width": width, "height": height, "columns": maps.columns})
    return out


def _family_rows(census: LayerCensus, page: urls.Links) -> list[dict]:
    return [{"family": row.family, "href": page.link(urls.family(row.family)), "trained": row.trained,
             "control": row.control, "text": row.text} for row in census.rows if row.trained or row.control]


def layer_page(site: Site, model: ModelManifest, layer: LayerManifest, census: LayerCensus,
               cells: list[Cell]) -> PageView:
    """A layer's own page: its units' tiles (`cells`, from their neuron pages), families and feature maps."""
    source = urls.layer(model.slug, layer.name)
    page = urls.Links(source)
    copies: dict = {}
    context = {
        "model": model, "layer": layer, "census": census, "model_href": page.link(urls.model(model.slug)),
        "stimuli_href": page.link(urls.STIMULI),
        "methods_href": page.link(urls.METHODS, "synthetic-stimuli-and-family-labels"),
        "family_rows": _family_rows(census, page), "groups": _groups(cells, site.census.families, page),
        "tiles": [layer_tile(cell, "unlabelled", page) for cell in cells],
        "feature_maps": _feature_maps(site, model, layer, page, copies), "missing": missing(site, model, layer),
    }
    return PageView(source, "layer.md.j2", context, copies=copies)
