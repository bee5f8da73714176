"""The pages about the atlas as a whole and each model in it: home, models, model and survey pages."""

from __future__ import annotations

from generate.analysis.census import EARLY_BELOW, MIDDLE_BELOW, SEPARATION_MIN, SEPARATION_RATIO, ModelCensus
from generate.analysis.survey import survey
from generate.records import ModelManifest
from generate.site import urls
from generate.site.views import PageView
from generate.site.views.context import Site

SEPARATION = {"ratio": SEPARATION_RATIO, "min": SEPARATION_MIN}


def _neurons(model: ModelManifest) -> int:
    return sum(len(layer.units) for layer in model.layers)


def _models(site: Site, page: urls.Links) -> list[dict]:
    return [{"model": model, "href": page.link(urls.model(model.slug)), "neurons": _neurons(model),
             "dataset": site.dataset(model),
             "layers": [{"name": layer.name, "href": page.link(urls.layer(model.slug, layer.name))}
                        for layer in model.layers]} for model in site.manifest.models]


def home_page(site: Site) -> PageView:
    page = urls.Links(urls.HOME)
    return PageView(urls.HOME, "home.md.j2", {
        "atlas": site.manifest, "models": _models(site, page), "families_href": page.link(urls.FAMILIES),
        "stimuli_href": page.link(urls.STIMULI), "methods_href": page.link(urls.METHODS)})


def models_page(site: Site) -> PageView:
    return PageView(urls.MODELS, "models.md.j2", {"models": _models(site, urls.Links(urls.MODELS))})


def model_page(site: Site, entry: ModelCensus) -> PageView:
    model = entry.model
    source = urls.model(model.slug)
    page = urls.Links(source)
    layers = []
    for layer, census in zip(model.layers, entry.layers):
        common = sorted((row for row in census.rows if row.trained), key=lambda row: row.trained, reverse=True)
        layers.append({"layer": layer, "href": page.link(urls.layer(model.slug, layer.name)),
                       "common": {"family": common[0].family, "units": common[0].trained,
                                  "href": page.link(urls.family(common[0].family))} if common else None})
    preprocess = model.preprocess
    return PageView(source, "model.md.j2", {
        "model": model, "layers": layers, "survey_href": page.link(urls.survey(model.slug)),
        "input_size": preprocess["input_size"], "mean": [round(v, 3) for v in preprocess["mean"]],
        "std": [round(v, 3) for v in preprocess["std"]]})


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
        "separation": SEPARATION})
