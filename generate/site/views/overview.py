"""The pages about the atlas as a whole and each model in it: home, models, model and survey pages.
Home and model pages show the atlas itself: a mosaic of feature visualizations per layer (each
linking to its unit), the family counts as small bars and the claims' conclusions as badges."""

from __future__ import annotations

from generate.analysis.census import EARLY_BELOW, MIDDLE_BELOW, SEPARATION_MIN, SEPARATION_RATIO, ModelCensus
from generate.analysis.claims import Report
from generate.analysis.proportions import layer_proportions
from generate.analysis.survey import survey
from generate.records import ModelManifest
from generate.site import urls
from generate.site.charts import count_bars
from generate.site.views import PageView
from generate.site.views.completeness import atlas_missing
from generate.site.views.context import Site
from generate.site.views.neuron import Cell

SEPARATION = {"ratio": SEPARATION_RATIO, "min": SEPARATION_MIN}
HOME_MOSAIC = 24  # feature visualizations per layer on the home page
MODEL_MOSAIC = 96  # ... and on a model page (the layer page has them all)


def _neurons(model: ModelManifest) -> int:
    return sum(len(layer.units) for layer in model.layers)


def _mosaic(cells: list[Cell], page: urls.Links, limit: int) -> dict:
    """The feature visualizations of a layer's units as small tiles, in unit order."""
    drawn = [cell for cell in cells if cell.thumb]
    tiles = [{"href": page.html_link(cell.ref.page_source), "thumb": page.asset(cell.thumb),
              "title": f"unit {cell.ref.unit}" + (f": {cell.family.label}" if cell.family else "")}
             for cell in drawn[:limit]]
    return {"tiles": tiles, "more": len(drawn) - len(tiles), "missing": len(cells) - len(drawn)}


def _bars(site: Site, entry: ModelCensus) -> dict | None:
    control = entry.control_totals
    return count_bars([(name, entry.totals.get(name, 0), control.get(name, 0) if control is not None else None)
                       for name in site.census.families])


def _badges(report: Report, model: ModelManifest, page: urls.Links) -> list[dict]:
    """The conclusions of the per-model claims about this model, each linking to its page."""
    out = []
    for title, name, claims in (("Low-level features", "low-level", report.low_level),
                                ("Curve detectors", "curves", report.curve)):
        for claim in claims:
            if claim.model.slug == model.slug:
                out.append({"claim": title, "word": claim.conclusion, "href": page.html_link(urls.claims(name))})
    return out


def _universality(report: Report, page: urls.Links) -> list[dict]:
    """Universality's conclusion for each family found in some model."""
    href = page.html_link(urls.claims("universality"))
    return [{"claim": row.family, "word": row.conclusion, "href": href}
            for row in report.universality.rows if row.found_in]


def _models(site: Site, page: urls.Links, report: Report | None = None,
            cells: dict[tuple[str, str], list[Cell]] | None = None, limit: int = HOME_MOSAIC) -> list[dict]:
    out = []
    for model in site.manifest.models:
        entry = next((e for e in site.census.models if e.model.slug == model.slug), None)
        layers = [{"name": layer.name, "href": page.link(urls.layer(model.slug, layer.name)),
                   "html_href": page.html_link(urls.layer(model.slug, layer.name)),
                   "mosaic": _mosaic(cells.get((model.slug, layer.name), []), page, limit) if cells else None}
                  for layer in model.layers]
        out.append({"model": model, "href": page.link(urls.model(model.slug)), "neurons": _neurons(model),
                    "dataset": site.dataset(model), "layers": layers,
                    "bars": _bars(site, entry) if entry else None,
                    "badges": _badges(report, model, page) if report else []})
    return out


def home_page(site: Site, report: Report, cells: dict[tuple[str, str], list[Cell]]) -> PageView:
    page = urls.Links(urls.HOME)
    return PageView(urls.HOME, "home.md.j2", {
        "atlas": site.manifest, "models": _models(site, page, report, cells), "families_href": page.link(urls.FAMILIES),
        "families_html": page.html_link(urls.FAMILIES),
        "stimuli_href": page.link(urls.STIMULI), "methods_href": page.link(urls.METHODS),
        "claims_href": page.link(urls.claims("index")), "compare_href": page.link(urls.COMPARE),
        "universality": _universality(report, page), "missing": atlas_missing(site)})


def models_page(site: Site) -> PageView:
    return PageView(urls.MODELS, "models.md.j2", {"models": _models(site, urls.Links(urls.MODELS))})


def model_page(site: Site, entry: ModelCensus, report: Report, cells: dict[tuple[str, str], list[Cell]]) -> PageView:
    model = entry.model
    source = urls.model(model.slug)
    page = urls.Links(source)
    atlas = next((m for m in _models(site, page, report, cells, MODEL_MOSAIC) if m["model"].slug == model.slug), None)
    layers = []
    for layer, census in zip(model.layers, entry.layers):
        common = sorted((row for row in census.rows if row.trained), key=lambda row: row.trained, reverse=True)
        layers.append({"layer": layer, "href": page.link(urls.layer(model.slug, layer.name)),
                       "common": {"family": common[0].family, "units": common[0].trained,
                                  "href": page.link(urls.family(common[0].family))} if common else None})
    preprocess = model.preprocess
    return PageView(source, "model.md.j2", {
        "model": model, "layers": layers, "survey_href": page.link(urls.survey(model.slug)), "atlas": atlas,
        "families_html": page.html_link(urls.FAMILIES),
        "input_size": preprocess["input_size"], "mean": [round(v, 3) for v in preprocess["mean"]],
        "std": [round(v, 3) for v in preprocess["std"]]})


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def _share(count: int | None, total: int | None, interval: tuple[float, float] | None) -> str:
    """'12/96 = 12% (7–21%)': a count as a proportion with its 95% Wilson interval."""
    if count is None or not total or interval is None:
        return "–"
    return f"{count}/{total} = {_percent(count / total)} ({_percent(interval[0])}–{_percent(interval[1])})"


def _proportion_rows(entry: ModelCensus, families: list[str]) -> list[dict]:
    """One row per (layer, family) that either model has: both proportions with intervals and
    Fisher's exact p-value, every number formatted here."""
    channels = {layer.name: layer.channels for layer in entry.model.layers}
    rows = []
    for name, proportions in layer_proportions(entry, families):
        for p in proportions:
            if p.trained or p.control:
                rows.append({"layer": name, "family": p.family, "trained": _share(p.trained, p.labelled, p.interval),
                             "control": _share(p.control, p.control_labelled, p.control_interval),
                             "p_value": "–" if p.p_value is None else f"{p.p_value:.2g}",
                             "seen": f"{p.labelled} of {channels.get(name, p.labelled)}"})
    return rows


def survey_page(site: Site, entry: ModelCensus) -> PageView:
    model = entry.model
    source = urls.survey(model.slug)
    page = urls.Links(source)
    families = [{"family": name, "href": page.link(urls.family(name)),
                 "cells": [layer.row(name) for layer in entry.layers]} for name in site.census.families]
    return PageView(source, "survey.md.j2", {
        "model": model, "census": entry, "statements": survey(entry), "families": families,
        "layers": [{"census": layer, "href": page.link(urls.layer(model.slug, layer.name))} for layer in entry.layers],
        "hookable": len(model.all_layers) if model.all_layers is not None else "",
        "families_href": page.link(urls.FAMILIES), "bands": {"early": EARLY_BELOW, "middle": MIDDLE_BELOW},
        "separation": SEPARATION, "proportions": _proportion_rows(entry, list(site.census.families))})
