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
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import markdown
import numpy as np
import pytest
from PIL import Image

from generate import site
from generate.bench.site import SEARCH_INDEX, PeakMemory, SiteRun, resident_kb, report
from generate.bench import site_bytes
from generate.bench.site_bytes import bytes_by_kind, deployed_bytes, savings
from generate.analysis.stimuli import battery
from generate.bench.site_records import generate_store
from generate.config import BatteryParams
from generate.records import UnitRef
from generate.site.environment import environment
from generate.site.hooks import BODY_MARKER, compact, headings, sidecar
from generate.site import published
from generate.site.published import Encoded, published_name
from generate.site.views.neuron import _tile_picture
from generate.site.writer import THUMB_PX, Writer
from generate.store.stage_store import StoreWriteError
from tests.conftest import DRAWN_CHARTS, chart_tips, chromium, serve, watched_page

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
    assert BODY_MARKER not in html and compact(body).strip() in html
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


def test_neuron_charts_are_drawn_in_the_browser_with_the_numbers_python_prints(bench_site):
    root, manifest = bench_site
    layer = manifest.models[0].layers[0].name
    source = (root / "site" / "benchnet" / layer / "3" / "index.html").read_text()
    assert re.search(r"<svg [^>]*data-chart='[^']+'></svg>", source)  # the page holds specs, not marks
    with serve(root / "site") as base, chromium() as browser:
        page, problems = watched_page(browser, 1280, 900)
        page.goto(f"{base}/benchnet/{layer}/3/", wait_until="networkidle")
        drawn = page.evaluate(DRAWN_CHARTS)
        page.close()
    assert {"histogram", "heatmap", "polar", "bars"} <= {chart["spec"]["kind"] for chart in drawn}
    for chart in drawn:
        assert chart["width"] and chart["tips"] == chart_tips(chart["spec"]), chart["spec"]["kind"]
    assert not problems, problems


def test_site_bytes_by_kind_counts_every_unit(bench_site):
    root, _ = bench_site
    sizes, units = bytes_by_kind(root / "site")
    assert units == PAGES
    for kind in ("neuron page (HTML)", "neuron JSON twin", "exemplar crops", "exemplar heatmaps",
                 "feature visualization", "stimulus pictures", "search index", "theme assets"):
        assert sizes[kind] > 0, kind
    assert not sizes["tile thumbnails"] and not sizes["preferred stimuli (per unit, before they were shared)"]
    assert sum(sizes.values()) == sum(p.stat().st_size for p in (root / "site").rglob("*") if p.is_file())


def test_savings_measure_each_option_on_the_site(bench_site):
    root, _ = bench_site
    rows = dict((option, (before, after)) for option, before, after, _ in savings(root / "site"))
    twins = rows["JSON twins written compact"]
    assert twins[0] == twins[1] > 0  # the render already writes them compact
    charts = rows["neuron pages' inline SVG (axis tiles, figure panel) drawn in the browser"]
    shells = rows["neuron pages as thin shells: the theme's frame, the body drawn from the twin"]
    assert 0 < shells[1] < charts[1] < charts[0] == shells[0]  # a shell drops the charts too
    assert not any(option.startswith("pictures published as PNG") for option in rows)  # published as WebP
    assert not [p for p in (root / "site" / "benchnet").rglob("img/*") if p.suffix in (".png", ".jpg")]


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


def test_pages_are_written_compact_where_whitespace_is_not_content():
    page = ("<div>\n    <p>a  b</p>\n\n   <span>c</span>\n  <span>d</span></div>\n"
            "<pre><code>x\n    y\n</code></pre>\n  <script>var a = 1;\n    // note\n</script>\n   <TEXTAREA>\n  k</TEXTAREA>")
    assert compact(page) == ("<div>\n<p>a  b</p>\n<span>c</span>\n<span>d</span></div>\n"
                             "<pre><code>x\n    y\n</code></pre>\n<script>var a = 1;\n    // note\n</script>\n"
                             "<TEXTAREA>\n  k</TEXTAREA>")


def test_built_pages_are_compact(bench_site):
    root, _ = bench_site
    page = next((root / "site" / "benchnet").rglob("index.html")).read_text()
    assert "\n  " not in re.sub(r"<(pre|script|textarea|style)\b.*?</\1>", "", page, flags=re.S)
    assert page == compact(page)


def test_published_names_swap_stored_formats_for_webp():
    assert published_name("3.ex0.jpg") == "3.ex0.webp" and published_name("3.positive.png") == "3.positive.webp"
    assert published_name("maps/a<1>.JPEG") == "maps/a<1>.webp" and published_name("3.json") == "3.json"


def _noise_png(path: Path, seed: int) -> np.ndarray:
    pixels = np.random.default_rng(seed).integers(0, 256, (8, 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return pixels


def test_stored_pictures_are_published_as_webp_encoded_once(tmp_path, monkeypatch):
    pixels = _noise_png(tmp_path / "store" / "unit" / "3.positive.png", 0)
    twin = tmp_path / "store" / "other" / "3.positive.png"  # the same bytes stored twice: one encoding
    twin.parent.mkdir()
    twin.write_bytes((tmp_path / "store" / "unit" / "3.positive.png").read_bytes())
    encoded = Encoded(tmp_path / "store")
    writer = Writer(tmp_path / "docs", encoded)
    writer.copy(tmp_path / "store" / "unit" / "3.positive.png", "img/3.positive.webp")
    writer.copy(twin, "img/4.positive.webp")
    out = tmp_path / "docs" / "img" / "3.positive.webp"
    with Image.open(out) as image:
        assert image.format == "WEBP" and image.size == (64, 64)
        assert np.abs(np.asarray(image.convert("RGB"), float) - pixels).mean() < 12  # the same picture, lossy
    cached = list(encoded.folder.rglob("*.webp"))
    assert len(cached) == 1 and out.samefile(cached[0]) and (tmp_path / "docs" / "img" / "4.positive.webp").samefile(out)

    def refuse(*args, **kwargs):
        raise AssertionError("encoded again")
    monkeypatch.setattr(published, "webp", refuse)  # a second render only links the cached encoding
    Writer(tmp_path / "docs2", Encoded(tmp_path / "store")).copy(twin, "img/3.positive.webp")
    assert (tmp_path / "docs2" / "img" / "3.positive.webp").samefile(cached[0])
    edited = _noise_png(twin, 1)  # another picture under the same name: a new encoding, never the stale one
    monkeypatch.undo()
    Writer(tmp_path / "docs2", Encoded(tmp_path / "store")).copy(twin, "img/3.positive.webp")
    with Image.open(tmp_path / "docs2" / "img" / "3.positive.webp") as image:
        assert np.abs(np.asarray(image.convert("RGB"), float) - edited).mean() < 12
    assert len(list(encoded.folder.rglob("*.webp"))) == 2

    def read_only(path, data):
        raise StoreWriteError(f"cannot write {path}: the file system is read-only")
    monkeypatch.setattr(published, "atomic_write", read_only)  # a read-only store: encoded, not cached
    fresh = _noise_png(tmp_path / "store" / "unit" / "5.positive.png", 2)
    Writer(tmp_path / "docs3", Encoded(tmp_path / "store")).copy(tmp_path / "store" / "unit" / "5.positive.png",
                                                                 "img/5.positive.webp")
    with Image.open(tmp_path / "docs3" / "img" / "5.positive.webp") as image:
        assert image.format == "WEBP" and np.abs(np.asarray(image.convert("RGB"), float) - fresh).mean() < 12
    assert len(list(encoded.folder.rglob("*.webp"))) == 2


def test_the_build_copies_pictures_where_it_cannot_link_them(bench_site, tmp_path, monkeypatch):
    root, _ = bench_site
    monkeypatch.setattr(os, "link", _refuse_links)
    site.build(root / "docs", tmp_path / "site", strict=True)
    picture = next((root / "docs" / "benchnet").rglob("*.ex0.webp"))
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


def test_tiles_show_the_feature_visualization_itself_where_it_is_no_larger_than_a_tile(bench_site, tmp_path):
    root, manifest = bench_site
    layer = manifest.models[0].layers[0].name
    tiles = (root / "site" / "benchnet" / layer / "index.html").read_text()
    assert 'src="img/3.positive.webp"' in tiles and ".thumb." not in tiles
    assert not list((root / "site").rglob("*.thumb.*"))
    vis = SimpleNamespace(positive=SimpleNamespace(files=["3.positive.png"]))
    ref = UnitRef("m", "l", 3)
    Image.new("RGB", (THUMB_PX, THUMB_PX)).save(tmp_path / "3.positive.png")
    assert _tile_picture(ref, vis, tmp_path) == ("m/l/img/3.positive.webp", {})
    Image.new("RGB", (THUMB_PX + 1, THUMB_PX + 1)).save(tmp_path / "3.positive.png")  # larger: shrunk for tiles
    assert _tile_picture(ref, vis, tmp_path) == (ref.thumb_url, {ref.thumb_url: tmp_path / "3.positive.png"})


def test_the_battery_is_drawn_once_for_the_site(bench_site):
    root, _ = bench_site
    drawn = sorted((root / "site" / "img" / "stimuli" / "battery").glob("*.webp"))
    assert len(drawn) == len(battery(BatteryParams())) and all(p.stat().st_size for p in drawn)
    assert not list((root / "site" / "benchnet").rglob("*.stim*"))


def test_the_deployed_artifact_is_weighed_as_githubs_pages_actions_pack_it(tmp_path):
    site_dir = tmp_path / "site"
    (site_dir / "img").mkdir(parents=True)
    picture = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes()  # incompressible
    (site_dir / "img" / "a.webp").write_bytes(picture)
    os.link(site_dir / "img" / "a.webp", site_dir / "img" / "b.webp")  # packed twice: links are dereferenced
    (site_dir / "index.html").write_text("<p>the same paragraph</p>\n" * 5_000)  # 130 KB that deflate shrinks
    size = deployed_bytes(site_dir)
    assert 2 * len(picture) < size < 2 * len(picture) + 5_000
    # as actions/upload-pages-artifact and actions/upload-artifact v4 do it: GNU tar, then a zip at level 6
    subprocess.run(["tar", "--dereference", "--hard-dereference", "--directory", str(site_dir), "-cf",
                    str(tmp_path / "artifact.tar"), "."], check=True)
    with zipfile.ZipFile(tmp_path / "artifact.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(tmp_path / "artifact.tar", "artifact.tar")
        packed = archive.getinfo("artifact.tar").compress_size
    assert abs(size - packed) < 0.01 * packed


def test_a_built_site_is_weighed_on_disk_and_as_deployed(bench_site, capsys):
    root, _ = bench_site
    site_bytes.report(root / "site")
    out = capsys.readouterr().out
    disk, deployed = (float(re.search(rf"projected {what}: .*? = ([\d.]+) GB", out).group(1))
                      for what in ("on disk", "deployed"))
    assert 0 < deployed < disk  # the artifact is the site compressed
    assert f"{PAGES} neuron pages" in out and "deployed artifact (tar, zipped at level 6" in out
