"""The site at scale: the benchmark's generated store renders and builds; neuron pages skip Markdown
(their bodies rendered straight to HTML, with the anchors and table of contents Markdown would give),
their links resolve, and rendering over worker processes writes the same files; pictures are
hard-linked where the filesystem allows and copied where not, never written into; neuron pages have one
compact search entry each; the layer page's family filter works without JavaScript."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
import pytest

from generate import site
from generate.bench.site import SEARCH_INDEX, PeakMemory, SiteRun, resident_kb, report
from generate.bench.site_bytes import bytes_by_kind, savings
from generate.bench.site_records import generate_store
from generate.site.environment import environment
from generate.site.hooks import BODY_MARKER, headings, sidecar
from generate.site.writer import Writer
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


def test_headings_and_anchors_are_those_markdown_makes():
    titles = ["benchnet / blocks.0.dw / 5", "Feature visualization", "Cite this neuron", "A & B <c>"]
    macro = environment().from_string('{% from "_html.j2" import heading %}'
                                      '{% for t in titles %}{{ heading(2 if loop.index0 else 1, t) }}\n{% endfor %}')
    ours = headings(macro.render(titles=titles))
    md = markdown.Markdown(extensions=["toc"], extension_configs={"toc": {"permalink": True}})
    md.convert("\n\n".join(("## " if i else "# ") + title.replace("<", "&lt;") for i, title in enumerate(titles)))

    def shape(tokens):
        return [(t["level"], t["id"], t["name"], shape(t["children"])) for t in tokens]
    assert shape(ours) == shape(md.toc_tokens)
    assert len(ours) == 1 and len(ours[0]["children"]) == 3  # sections nest under the title


def test_generated_store_renders_every_neuron_page(bench_site):
    root, manifest = bench_site
    layer = manifest.models[0].layers[0]
    assert len(layer.units) == PAGES
    for unit in layer.units:
        assert (root / "docs" / "benchnet" / layer.name / f"{unit}.md").is_file()
        assert (root / "site" / "benchnet" / layer.name / str(unit) / "index.html").is_file()


SECTIONS = ("feature-visualization", "dataset-examples", "activation-statistics", "synthetic-stimuli", "rotation",
            "verdicts", "notes", "cite-this-neuron", "reproduce")


def test_neuron_page_body_skips_markdown_and_gets_its_table_of_contents(bench_site):
    root, manifest = bench_site
    name = manifest.models[0].layers[0].name
    source = root / "docs" / "benchnet" / name / "3.md"
    assert "<svg" not in source.read_text() and "Dataset examples" not in source.read_text()  # front matter, title
    body = json.loads(sidecar(source).read_text())["body"]
    html = (root / "site" / "benchnet" / name / "3" / "index.html").read_text()
    assert BODY_MARKER not in html and body in html
    assert html.count('id="benchnet-blocks0dw-3"') == 1  # the one title, from the page's Markdown
    toc = html[html.index('data-md-component="toc"'):]
    for section in SECTIONS:
        assert f'id="{section}"' in body, section
        assert f'href="#{section}"' in toc, section  # Material's table of contents lists every section
    assert html.count("<svg") > 3
    assert not list((root / "site").rglob(".*.page.json"))  # sidecars are not published


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src") and value and not value.startswith(("#", "http", "data:", "mailto:")):
                self.targets.append(value)


def test_every_link_of_a_neuron_page_resolves(bench_site):
    """MkDocs no longer sees a neuron page's links (its body skips Markdown), so check them here."""
    root, manifest = bench_site
    name = manifest.models[0].layers[0].name
    checked = 0
    for unit in (0, 3, PAGES - 1):
        page = root / "site" / "benchnet" / name / str(unit) / "index.html"
        parser = _Links()
        parser.feed(page.read_text())
        for target in parser.targets:
            path = (page.parent / unquote(urlsplit(target).path)).resolve()
            assert path.is_file() or (path / "index.html").is_file(), (unit, target)
            checked += 1
    assert checked > 60


def test_rendering_over_workers_writes_what_a_serial_render_writes(tmp_path):
    manifest = generate_store(tmp_path / "store", 72, progress=False)  # enough for two workers
    written = {}
    for workers in (1, 2):
        docs = tmp_path / f"docs{workers}"
        site.render(manifest, tmp_path / "store", docs, progress=False, workers=workers)
        written[workers] = {str(p.relative_to(docs)): p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    assert written[1].keys() == written[2].keys() and len(written[1]) > 72 * 10
    assert written[1] == written[2]


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


def _refuse_links(*args, **kwargs):
    raise OSError("Invalid cross-device link")  # as os.link says when docs and store are on two filesystems


def test_pictures_are_linked_where_possible_and_copied_where_not(tmp_path, monkeypatch):
    source = tmp_path / "store" / "a.png"
    source.parent.mkdir()
    source.write_bytes(b"stored picture")
    writer = Writer(tmp_path / "docs")
    writer.copy(source, "img/a.png")
    linked = tmp_path / "docs" / "img" / "a.png"
    assert linked.samefile(source)
    writer.write("img/a.png", b"another picture")  # replaced, never written into: the store keeps its bytes
    assert source.read_bytes() == b"stored picture" and linked.read_bytes() == b"another picture"
    monkeypatch.setattr(os, "link", _refuse_links)
    writer.copy(source, "img/b.png")
    copied = tmp_path / "docs" / "img" / "b.png"
    assert copied.read_bytes() == b"stored picture" and not copied.samefile(source)
    assert {"img/a.png", "img/b.png"} <= writer.written


def test_the_build_copies_pictures_where_it_cannot_link_them(bench_site, tmp_path, monkeypatch):
    root, _ = bench_site
    monkeypatch.setattr(os, "link", _refuse_links)
    site.build(root / "docs", tmp_path / "site", strict=True)
    picture = next((root / "docs" / "benchnet").rglob("*.ex0.jpg"))
    built = tmp_path / "site" / picture.relative_to(root / "docs")
    assert built.read_bytes() == picture.read_bytes() and not built.samefile(picture)
    linked = root / "site" / picture.relative_to(root / "docs")
    assert linked.samefile(picture)  # the fixture's build, where linking works


def test_peak_memory_counts_the_render_workers_too():
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("no /proc children list on this system")
    child = "import time; data = b'x' * 200_000_000; time.sleep(1.5)"
    with PeakMemory(interval=0.05) as memory:
        alone = resident_kb(os.getpid())
        subprocess.run([sys.executable, "-c", child], check=True)
    assert memory.peak_kb >= alone + 190_000  # the child's 200 MB, counted with this process
