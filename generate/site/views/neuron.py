"""Neuron pages: one per unit, with its JSON twin, and the tile each unit gets on layer and family pages."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from generate.analysis.census import LayerCensus
from generate.records import (DatasetRecord, FamilyLabel, FeatureVisRecord, LayerManifest, ModelManifest, Stats,
                              SyntheticRecord, UnitRef, to_jsonable)
from generate.site import urls
from generate.site.charts import histogram, rounded
from generate.site.views import PageView
from generate.site.views.completeness import unit_missing
from generate.site.views.context import Site
from generate.site.views.evidence import Pictures, examples, featurevis, seed_pictures
from generate.site.views.hero import hero
from generate.site.views.panel import bibtex, panel
from generate.site.views.rotation import rotation_section, verdict_rows
from generate.site.views.stimulus import strongest
from generate.site.views.tuning import POLAR, main_curve, preferred_text, tuning_section
from generate.site.writer import THUMB_PX, image_size

MICROSCOPE_IMAGES = 50_000  # OpenAI Microscope's dataset examples come from the ImageNet validation set
RELU6_CEILING = 5.999  # an exemplar at least this strong has reached ReLU6's ceiling of 6

TWIN_DIGITS = 7  # significant digits of a JSON twin's numbers: what a float32 holds


@dataclass
class Cell:
    """A unit as layer and family pages show it: a tile linking to its page."""

    ref: UnitRef
    thumb: str | None  # its tile picture in the site (None: no feature visualization stored)
    stats: Stats | None
    family: FamilyLabel | None
    preferred: str
    seeds: list[str] = field(default_factory=list)  # its neuron visualizations in the site, one per seed
    examples: list[str] = field(default_factory=list)  # its strongest dataset examples in the site


def _meta(model: ModelManifest, layer: LayerManifest, unit: int, family: FamilyLabel | None,
          image: str | None) -> dict:
    """The page's title, description and picture (for search engines and link previews)."""
    labelled = f" (family: {family.label})" if family else ""
    return {"title": f"{model.name} / {layer.name} / {unit}", "image": image,
            "description": f"Unit {unit} of {layer.name} in {model.name}{labelled}: feature visualization, dataset "
                           f"examples, synthetic-stimulus tuning, rotation, verdicts and activation statistics."}


def _statistics(stats: Stats | None) -> dict | None:
    if not stats:
        return None
    return {"record": stats, "histogram": histogram(stats), "positive_percent": 100 * stats.fraction_positive}


def _lede(stats: Stats | None, family: FamilyLabel | None, preferred: str, page: urls.Links) -> dict:
    lede: dict = {"stats": None, "family": None}
    if stats:
        lede["stats"] = {"max": stats.max, "mean": stats.mean, "positive_percent": 100 * stats.fraction_positive,
                         "sigma_above": (stats.max - stats.mean) / stats.std if stats.std > 0 else None}
    if family:
        lede["family"] = {"label": family.label, "href": page.link(urls.family(family.label)), "score": family.score,
                          "none_passed": family.label in ("texture/other", "unresponsive"),
                          "runner_up": family.runner_up, "runner_up_score": family.runner_up_score,
                          "runner_up_passed": family.runner_up_passed, "preferred": preferred}
    return lede


def _nav(ref: UnitRef, units: list[int], position: int, page: urls.Links) -> dict:
    def neighbour(index: int) -> dict | None:
        if not 0 <= index < len(units):
            return None
        return {"unit": units[index], "href": page.unit(UnitRef(ref.model, ref.layer, units[index]))}

    following = neighbour(position + 1) or neighbour(position - 1)
    return {"previous": neighbour(position - 1), "next": neighbour(position + 1),
            "layer": page.link(urls.layer(ref.model, ref.layer)), "model": page.link(urls.model(ref.model)),
            "json": page.link(ref.json_url), "json_name": posixpath.basename(ref.json_url),
            "compare": urls.compare_link(page.source, ref, UnitRef(ref.model, ref.layer, following["unit"]))
            if following else None}


def _notes(site: Site, model: ModelManifest, layer: LayerManifest, stats: Stats | None,
           exemplars: list | None) -> dict:
    relu6 = isinstance(layer.description, str) and "ReLU6" in layer.description
    saturated = sum(1 for ex in exemplars or [] if ex.activation >= RELU6_CEILING) if relu6 else 0
    return {"small_dataset": site.dataset(model).images < MICROSCOPE_IMAGES, "saturated": saturated,
            "examples": len(exemplars or []), "sparse": bool(stats and stats.fraction_positive < 0.01),
            "field_exceeds_input": layer.rf.size > layer.rf.input_size}


def _cite(site: Site, model: ModelManifest, ref: UnitRef, page: urls.Links) -> dict:
    """The citation block: BibTeX (also as a download) and plain text; `local` where the site has no
    public URL, so its permalink is only a path."""
    manifest = site.manifest
    permalink = urls.permalink(manifest.site_url, ref.page_source)
    title = f"{model.name} / {ref.layer} / unit {ref.unit}"
    return {"bibtex": bibtex(f"{model.slug.replace('-', '_')}_{ref.layer.replace('.', '_')}_{ref.unit}", title,
                             manifest.created[:4], f"Neuron Atlas {manifest.atlas_version}, weights "
                             f"{model.weights_hash[:12]}", permalink),
            "title": title, "permalink": permalink, "local": not manifest.site_url,
            "bib_href_html": page.asset(urls.bib(ref)), "bib_name": posixpath.basename(urls.bib(ref)),
            "file_stem": f"{model.slug}-{ref.layer}-{ref.unit}"}


def _reproduce(site: Site, page: urls.Links) -> dict:
    manifest = site.manifest
    overrides = " ".join(f"{key} {value}" for key, value in manifest.overrides.items())
    command = f"python -m generate atlas --config {manifest.config}" + (f" {overrides}" if overrides else "")
    return {"command": command, "methods_href": page.link(urls.METHODS),
            "config_href": page.asset(urls.CONFIG_FILE) if manifest.config_text else None,
            "config_name": posixpath.basename(manifest.config)}


def _twin(site: Site, model: ModelManifest, layer: LayerManifest, ref: UnitRef, parts: dict) -> str:
    """The machine-readable twin of a neuron page: every stored result the page shows."""
    labelled = parts["synthetic"]
    record = {"model": model.name, "layer": layer.name, "unit": ref.unit, "featurevis": parts["featurevis"],
              "exemplars": parts["exemplars"], "moderate": parts["moderate"], "stats": parts["stats"],
              "synthetic": labelled.synthetic if labelled else None, "family": labelled.family if labelled else None,
              "main_tuning": main_curve(labelled),  # the orientation-tuning curve that shows the unit best
              "rotation": parts["rotation"], "verdicts": parts["verdicts"], "receptive_field": layer.rf,
              "weights_hash": model.weights_hash, "atlas_version": site.manifest.atlas_version}
    # compact, UTF-8, and numbers to the 7 significant digits of the float32 the network computes in
    # (Python prints 17): together half the bytes, and one twin per unit
    return json.dumps(rounded(to_jsonable(record), TWIN_DIGITS), separators=(",", ":"), ensure_ascii=False)


def _tile_picture(ref: UnitRef, vis: FeatureVisRecord | None, folder: Path | None) -> tuple[str | None, dict]:
    """The unit's tile picture on layer, family and claims pages, and the thumbnail to make for it:
    the feature visualization itself where it is no larger than a thumbnail (a second, identical
    file would only add bytes to the published site)."""
    if not vis or not folder:
        return None, {}
    source = folder / vis.positive.files[0]
    if source.is_file() and max(image_size(source)) <= THUMB_PX:
        return urls.unit_picture(ref, vis.positive.files[0]), {}
    return ref.thumb_url, {ref.thumb_url: source}


def _stimuli(synthetic: SyntheticRecord | None, site: Site, page: urls.Links) -> dict[str, dict]:
    """The strongest stimuli (generate/site/views/stimulus.py), linked to the battery's pictures that
    the Stimuli page publishes once for the whole site."""
    return {key: {**best, "href": page.asset(urls.battery_stimulus(best["index"]))}
            for key, best in strongest(synthetic, site.battery).items()}


def _panel(site: Site, ref: UnitRef, parts: dict, cite: dict) -> dict:
    """The figure panel for write-ups: visualization, strongest examples, main tuning curve."""
    synthetic, fv, shown = parts["synthetic"], parts["fv"], parts["examples"]
    key = main_curve(synthetic)
    curve = (f"{POLAR[key]} tuning, σ of drive", synthetic.synthetic.orientation_tuning[key],
             synthetic.synthetic.orientations) if key else None
    family = synthetic.family.label if synthetic else "no family label"
    return panel(cite["title"], f"family: {family}" + (f"; {parts['preferred']}" if parts["preferred"] else ""),
                 f"Neuron Atlas {site.manifest.atlas_version} · {cite['permalink']}",
                 fv["positive"]["href"] if fv else None,
                 [tile["href"] for tile in shown["tiles"]] if shown else [], curve,
                 parts["stimuli"].get(key) if key else None)


def neuron_page(site: Site, model: ModelManifest, layer: LayerManifest, census: LayerCensus,
                position: int) -> tuple[PageView, Cell]:
    """The page of the unit at `position` in its layer, and its tile."""
    reader, unit = site.reader, layer.units[position]
    ref = urls.unit(model.slug, layer.name, unit)
    page = urls.Links(ref.page_source, html=True)  # its body skips Markdown (generate/site/hooks.py)
    pictures = Pictures(ref, page)
    vis = reader.unit(layer, "featurevis", unit, FeatureVisRecord)
    data = reader.unit(layer, "dataset", unit, DatasetRecord)
    synthetic, rotation, verdicts = census.labels.get(unit), census.rotation.get(unit), census.verdicts.get(unit)
    stats = data.stats if data else None
    family = synthetic.family if synthetic else None
    preferred = preferred_text(family, layer.rf.field_px)
    fv_folder = reader.folder(layer, "featurevis")
    seeds = seed_pictures(reader, layer, pictures)
    fv, fv_twin = featurevis(vis, fv_folder, seeds, stats, verdicts, pictures)
    shown, strong, moderate = examples(data, reader.folder(layer, "dataset"), verdicts, site.moderate_band(), pictures)
    stimuli = _stimuli(synthetic, site, page)
    cite = _cite(site, model, ref, page)
    neuron_seed = site.manifest.featurevis.get("seed", 0)
    context = {
        "atlas": site.manifest, "model": model, "layer": layer, "unit": unit, "dataset": site.dataset(model),
        "page": _meta(model, layer, unit, family, urls.unit_picture(ref, vis.positive.files[0]) if vis else None),
        "lede": _lede(stats, family, preferred, page), "nav": _nav(ref, layer.units, position, page),
        "hero": hero(fv, seeds.get(neuron_seed) or next(iter(seeds.values()), None), shown, family, verdicts, page),
        "fv": fv, "examples": shown, "stats": _statistics(stats),
        "tuning": tuning_section(synthetic, site.families, site.census.families, page, stimuli),
        "rotation": rotation_section(rotation, census.rotation_computed, family.label if family else None,
                                     site.rotation, page),
        "verdicts": {"rows": verdict_rows(verdicts), "methods_href": page.link(urls.METHODS, "rotation-and-verdicts")},
        "notes": _notes(site, model, layer, stats, strong), "cite": cite, "reproduce": _reproduce(site, page),
        "missing": unit_missing(site, {"dataset": data is not None, "featurevis": vis is not None,
                                       "synthetic": synthetic is not None}),
        "panel": _panel(site, ref, {"synthetic": synthetic, "fv": fv, "examples": shown, "preferred": preferred,
                                    "stimuli": stimuli}, cite),
    }
    thumb, thumbnails = _tile_picture(ref, vis, fv_folder)
    twin = _twin(site, model, layer, ref, {"featurevis": fv_twin, "exemplars": strong, "moderate": moderate,
                                           "stats": stats, "synthetic": synthetic, "rotation": rotation,
                                           "verdicts": verdicts})
    view = PageView(ref.page_source, "neuron.md.j2", context, copies=pictures.copies, thumbnails=thumbnails,
                    files={ref.json_url: twin, urls.bib(ref): cite["bibtex"]},
                    search={"title": f"{model.name} / {layer.name} / {unit}", "text": family.label if family else ""},
                    body="neuron.html.j2")
    return view, Cell(ref=ref, thumb=thumb, stats=stats, family=family, preferred=preferred,
                      seeds=[urls.unit_picture(ref, f"{unit}.seed{seed}.png") for seed in sorted(seeds)],
                      examples=[urls.unit_picture(ref, ex.file) for ex in data.exemplars] if data else [])
