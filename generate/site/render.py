"""Render stored results into MkDocs Markdown (Jinja2 templates) and build the site.

Reads only the manifest and the stage results it points to (generate/site/reader.py), counts them
(generate/analysis/census.py), lets each view arrange what its pages show (generate/site/views/)
and writes the pages and their pictures. Every generated file is listed in `<docs>/.generated`;
files from an earlier render that are not written again are removed, so the site never shows stale
neurons. Unchanged files are not rewritten.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from generate.analysis import claims
from generate.analysis.census import census
from generate.analysis.cores import over_cores
from generate.config import REPO_ROOT
from generate.cores import usable_cores
from generate.errors import AtlasError
from generate.records import Manifest, to_jsonable
from generate.site import urls
from generate.site.environment import environment
from generate.site.hooks import BODY_MARKER, headings, sidecar
from generate.site.privacy import public_manifest
from generate.site.published import Encoded
from generate.site.reader import StoreReader
from generate.site.views import PageView
from generate.site.views.claims import claims_pages
from generate.site.views.compare import compare_page
from generate.site.views.contact import curve_units_page
from generate.site.views.context import Site, site_notes
from generate.site.views.family import families_index, family_page
from generate.site.views.gallery import stimuli_page
from generate.site.views.layer import layer_page
from generate.site.views.neuron import Cell, neuron_page
from generate.site.views.methods import methods_page
from generate.site.views.overview import home_page, model_page, models_page, survey_page
from generate.site.writer import Writer
from generate.progress import progress_bar

DEFAULT_DOCS = REPO_ROOT / "site_src"
HAND_WRITTEN = ("about.md", "assets")  # committed in site_src/, copied when rendering elsewhere
SITE_NOTES = ".atlas.json"  # what every page's theme shows about the atlas (MkDocs skips dot files)


def _hand_written(docs: Path) -> None:
    if docs.resolve() == DEFAULT_DOCS.resolve():
        return
    for name in HAND_WRITTEN:
        source = DEFAULT_DOCS / name
        if source.is_dir():
            shutil.copytree(source, docs / name, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, docs / name)


def _write(env: Environment, writer: Writer, view: PageView) -> None:
    for target, source in view.copies.items():
        writer.copy(source, target)
    for target, source in view.thumbnails.items():
        writer.thumbnail(source, target)
    for target, text in view.files.items():
        writer.write(target, text)
    context = view.context
    if view.body:  # a page straight to HTML (neuron pages, thousands of them): MkDocs only wraps it
        body = env.get_template(view.body).render(**context)
        data = {"body": body, "toc": headings(body), "search": view.search}
        writer.write(str(sidecar(Path(view.source))), json.dumps(data, ensure_ascii=False))
        context = {**context, "body_marker": Markup(BODY_MARKER)}
    writer.write(view.source, env.get_template(view.template).render(**context))


_worker: dict = {}  # what a render worker keeps for every page it writes (set by _start_worker)


def _start_worker(site: Site, docs: Path) -> None:
    """In each render worker, once (in this process when rendering serially)."""
    _worker.update(site=site, env=environment(), writer=Writer(docs, Encoded(site.reader.root)))


def _neuron_page(where: tuple[int, int, int]) -> tuple[Cell, list[str], dict]:
    """Write the page and files of the unit at (model, layer, position) of the census; returns its tile,
    the files written and the records left out, for the parent to list and report."""
    site, writer = _worker["site"], _worker["writer"]
    model_index, layer_index, position = where
    entry = site.census.models[model_index]
    view, cell = neuron_page(site, entry.model, entry.model.layers[layer_index], entry.layers[layer_index], position)
    _write(_worker["env"], writer, view)
    written, corrupt = list(writer.written), dict(site.reader.corrupt)
    writer.written.clear()
    site.reader.corrupt.clear()
    return cell, written, corrupt


def _neuron_pages(site: Site, docs: Path, writer: Writer, progress: bool,
                  workers: int) -> dict[tuple[int, int], list[Cell]]:
    """Every neuron page, over the cores (Jinja and the pictures take most of a large render); returns
    each layer's tiles, in order."""
    where = [(model, layer, position) for model, entry in enumerate(site.census.models)
             for layer, manifest_layer in enumerate(entry.model.layers)
             for position in range(len(manifest_layer.units))]
    cells: dict[tuple[int, int], list[Cell]] = {}
    bar = progress_bar(total=len(where), desc="rendering pages", unit="page", disable=not progress)
    pages = over_cores(_neuron_page, where, len(where), workers, _start_worker, (site, docs))
    for (model, layer, _), (cell, written, corrupt) in zip(where, pages):
        cells.setdefault((model, layer), []).append(cell)
        writer.written.update(written)
        site.reader.corrupt.update(corrupt)
        bar.update(1)
    bar.close()
    _worker.clear()  # rendered serially, this process kept the site there
    return cells


def render(manifest: Manifest, store_root: Path, docs: Path = DEFAULT_DOCS, progress: bool = True,
           workers: int | None = None) -> int:
    """Write every page of the atlas into `docs`, neuron pages over `workers` processes (default: the
    usable cores); returns the number of neuron pages."""
    docs = Path(docs)
    docs.mkdir(parents=True, exist_ok=True)
    _hand_written(docs)
    manifest = public_manifest(manifest)
    if not manifest.site_url:
        print("warning: site_url is empty: permalinks and citations are paths within the site, marked as a local "
              "build; set site_url in the config or pass --site-url", file=sys.stderr)
    reader = StoreReader(store_root)
    site = Site.of(manifest, reader, census([reader.model_results(model) for model in manifest.models]))
    env, writer = environment(), Writer(docs, Encoded(store_root))
    cells = _neuron_pages(site, docs, writer, progress, workers or usable_cores())
    members: dict[str, list] = {name: [] for name in site.census.families}
    layer_cells: dict[tuple[str, str], list] = {}
    for model_index, entry in enumerate(site.census.models):
        for layer_index, (layer, layer_census) in enumerate(zip(entry.model.layers, entry.layers)):
            tiles = cells.get((model_index, layer_index), [])
            layer_cells[(entry.model.slug, layer.name)] = tiles
            _write(env, writer, layer_page(site, entry.model, layer, layer_census, tiles))
            for cell in tiles:
                if cell.family:
                    members.setdefault(cell.family.label, []).append(cell)
        _write(env, writer, survey_page(site, entry))
    variations = [(v, census([reader.model_results(v.model)]).models[0]) for v in manifest.variations]
    report = claims.report(site.census, site.judge(), reader.matches(manifest), variations)
    if site.manifest.config_text:
        writer.write(urls.CONFIG_FILE, site.manifest.config_text)
    writer.write(urls.CLAIMS_JSON, json.dumps(to_jsonable(report.claims_json()), indent=1))
    if report.calibration:
        writer.write(urls.CALIBRATION_JSON, json.dumps(report.calibration.to_json(), indent=1))
    thumbs = {cell.ref.page_source: cell.thumb for cells in layer_cells.values() for cell in cells if cell.thumb}
    pages = [model_page(site, entry, report, layer_cells) for entry in site.census.models]
    pages += [family_page(site, name, members.get(name, [])) for name in site.census.families]
    pages += [families_index(site), stimuli_page(site), home_page(site, report, layer_cells), models_page(site),
              compare_page(site, layer_cells)]
    pages += [curve_units_page(report, layer_cells)]
    for view in pages + claims_pages(report, thumbs) + [methods_page(site, report)]:
        _write(env, writer, view)
    writer.write(SITE_NOTES, json.dumps(site_notes(site)))
    reader.report()
    stale = writer.remove_stale()
    if stale:
        print(f"note: removed {stale} page file(s) no longer in the atlas", file=sys.stderr)
    return sum(len(units) for units in cells.values())


def build(docs: Path, site_dir: Path, strict: bool = True, site_url: str = "") -> None:
    """mkdocs build with this repo's mkdocs.yml, pointed at `docs` and `site_dir`; what the render
    says about the whole site (the banner of an atlas on packaged photos) goes to the theme."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    overrides = {"docs_dir": str(Path(docs).resolve()), "site_dir": str(Path(site_dir).resolve()), "strict": strict}
    notes = Path(docs) / SITE_NOTES
    if notes.is_file():
        overrides["extra"] = {"atlas": json.loads(notes.read_text())}
    if site_url:
        overrides["site_url"] = site_url
    try:
        config = load_config(str(REPO_ROOT / "mkdocs.yml"), **overrides)
        mkdocs_build(config)
    except MkDocsException as exc:
        raise AtlasError(f"mkdocs build failed: {exc}") from None
