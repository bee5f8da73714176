"""The site at scale: the benchmark's generated store renders and builds; neuron pages' SVG charts skip
Markdown and come back whole; neuron pages have one compact search entry each; the layer page's
family filter works without JavaScript."""

from __future__ import annotations

import json
import re

import pytest

from generate import site
from generate.bench.site import SEARCH_INDEX, SiteRun, report
from generate.bench.site_bytes import bytes_by_kind, savings
from generate.bench.site_records import generate_store
from generate.site.hooks import restore, sidecar, stash
from tests.conftest import chromium, serve, watched_page

PAGES = 24
ENTRY_BYTES = 160  # a compact entry: location, title (model / layer / unit) and family


@pytest.fixture(scope="module")
def bench_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site-scale")
    manifest = generate_store(root / "store", PAGES, progress=False)
    site.render(manifest, root / "store", root / "docs", progress=False)
    site.build(root / "docs", root / "site", strict=True)
    return root, manifest


def test_stash_lifts_svg_blocks_and_restores_them_verbatim():
    text = 'a\n<figure>\n<svg viewBox="0 0 1 1"><title>x *y* _z_</title></svg>\n</figure>\n<svg></svg> b'
    lifted, blocks = stash(text)
    assert "<svg" not in lifted and len(blocks) == 2
    assert restore(lifted, blocks) == text


def test_generated_store_renders_every_neuron_page(bench_site):
    root, manifest = bench_site
    layer = manifest.models[0].layers[0]
    assert len(layer.units) == PAGES
    for unit in layer.units:
        assert (root / "docs" / "benchnet" / layer.name / f"{unit}.md").is_file()
        assert (root / "site" / "benchnet" / layer.name / str(unit) / "index.html").is_file()


def test_neuron_page_html_has_its_sections_and_charts(bench_site):
    root, manifest = bench_site
    name = manifest.models[0].layers[0].name
    source = root / "docs" / "benchnet" / name / "3.md"
    assert "<svg" not in source.read_text()  # the charts went to the sidecar, past Markdown
    charts = json.loads(sidecar(source).read_text())["raw"]
    html = (root / "site" / "benchnet" / name / "3" / "index.html").read_text()
    for section in ("dataset-examples", "activation-statistics", "synthetic-stimuli", "cite-this-neuron",
                    "feature-visualization"):
        assert f'id="{section}"' in html, section
    assert "atlas-raw" not in html
    assert html.count("<svg") >= len(charts) > 3
    assert all(chart.replace("data-search-exclude ", "") in html or chart in html for chart in charts)
    assert not list((root / "site").rglob(".*.raw.json"))  # sidecars are not published


def test_search_index_has_one_compact_entry_per_neuron(bench_site):
    root, manifest = bench_site
    docs = json.loads((root / "site" / SEARCH_INDEX).read_text())["docs"]
    neuron = re.compile(r"^benchnet/[^/]+/\d+/")
    entries = [d for d in docs if neuron.match(d["location"])]
    assert len(entries) == PAGES  # one each: no section of a neuron page is indexed
    for entry in entries:
        assert set(entry) == {"location", "title", "text"}
        assert re.fullmatch(r"benchnet/blocks\.0\.dw/\d+/", entry["location"])
        assert entry["title"] == f"benchnet / blocks.0.dw / {entry['location'].split('/')[2]}"
        assert len(json.dumps(entry, ensure_ascii=False).encode()) <= ENTRY_BYTES
    labels = {entry["text"] for entry in entries}
    assert "curve" in labels and len(labels) > 3


def test_bench_report_prints_rates_and_projection(capsys):
    runs = [SiteRun(1000, 10.0, 20.0, 500.0, 120_000, 60_000_000),
            SiteRun(5000, 50.0, 110.0, 600.0, 560_000, 300_000_000)]
    report(runs)
    out = capsys.readouterr().out
    assert "30.0" in out and "32.0" in out  # seconds per 1,000 pages
    assert "1.07x" in out
    assert "projected" in out and "GB" in out and "InceptionV1" in out


def test_search_and_the_filter_without_javascript_in_a_browser(bench_site):
    root, _ = bench_site
    with serve(root / "site") as base, chromium() as browser:
        page, problems = watched_page(browser, 1280, 900)
        page.goto(base + "/", wait_until="networkidle")
        page.keyboard.press("/")
        page.type("input.md-search__input", "blocks.0.dw 17", delay=20)
        page.wait_for_selector(".md-search-result__item a", timeout=15_000)
        first = page.eval_on_selector(".md-search-result__item a", "a => a.getAttribute('href')")
        assert "/benchnet/blocks.0.dw/17/" in first, first
        assert not problems, problems
        page.close()
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(base + "/benchnet/blocks.0.dw/")
        assert page.is_visible(".atlas-filter-links") and not page.is_visible(".atlas-filter")
        page.click('.atlas-filter-links a[href="#family-curve"]')
        shown = page.eval_on_selector_all(".atlas-group", "gs => gs.filter(g => g.offsetParent !== null)"
                                                          ".map(g => g.dataset.family)")
        assert shown == ["curve"]
        page.click('.atlas-filter-links a[href="#units"]')
        assert page.eval_on_selector_all(".atlas-group", "gs => gs.filter(g => g.offsetParent).length") > 3
        lazy = page.eval_on_selector_all(".atlas-cell img", "imgs => imgs.map(i => i.loading)")
        assert lazy and set(lazy) == {"lazy"}
        context.close()


def test_site_bytes_by_kind_counts_every_unit(bench_site):
    root, _ = bench_site
    sizes, units = bytes_by_kind(root / "site")
    assert units == PAGES
    for kind in ("neuron page (HTML)", "neuron JSON twin", "exemplar crops", "exemplar heatmaps",
                 "feature visualization", "tile thumbnails", "search index", "theme assets"):
        assert sizes[kind] > 0, kind
    assert sum(sizes.values()) == sum(p.stat().st_size for p in (root / "site").rglob("*") if p.is_file())


def test_savings_measure_each_option_on_the_site(bench_site):
    root, _ = bench_site
    rows = dict((option, (before, after)) for option, before, after in savings(root / "site"))
    twins = rows["JSON twins written compact"]
    assert twins[0] == twins[1] > 0  # the render already writes them compact
    charts = rows["neuron pages' SVG charts drawn in the browser from the JSON twin"]
    assert 0 < charts[1] < charts[0]
    for option in ("feature visualizations and seeds (PNG) as WebP q75",
                   "exemplar crops and moderate examples (JPEG) as WebP q75", "exemplar heatmaps (JPEG) as WebP q75"):
        assert rows[option][0] > 0 and rows[option][1] > 0, option
    assert rows["preferred stimuli (PNG) as WebP q75"] == (0, 0)  # the generated store draws none
