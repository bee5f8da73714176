"""The built site in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skips, saying why, where Chromium or Playwright is missing (`make test` tries to install
Chromium first). Screenshots of every page kind, at both widths and in both themes, land in
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urljoin

import pytest
from PIL import Image

from tests.conftest import chromium, overflow, serve

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
MAX_PAGE_BYTES = 500_000
NEURON = "/efficientnet_lite0/blocks.6.dw/5/"


@pytest.fixture(scope="module")
def server(built):
    root, _ = built
    with serve(root / "site") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def _watched(browser, width: int, height: int, scheme: str):
    """A page of the given viewport and colour scheme, and the list its console errors and failed requests go to."""
    page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    return page, problems


def _open(browser, url: str, width: int, height: int, scheme: str = "light", ready: str | None = None):
    page, problems = _watched(browser, width, height, scheme)
    page.goto(url, wait_until="networkidle")
    if ready:
        page.wait_for_selector(ready, timeout=10_000)
        page.wait_for_load_state("networkidle")
    # Load lazy images too, then check that every image decoded.
    broken = page.evaluate("""async () => {
        const images = Array.from(document.images);
        images.forEach(img => { img.loading = 'eager'; });
        await Promise.all(images.map(img => img.decode().catch(() => null)));
        return images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src);
    }""")
    return page, problems, broken


PAGES = {
    "home": ("/", None),
    "model": ("/efficientnet_lite0/", None),
    "layer": ("/efficientnet_lite0/blocks.6.dw/", None),
    "neuron": (NEURON, None),
    "compare": ("/compare/?a=efficientnet_lite0/blocks.6.dw/5&b=efficientnet_lite0/blocks.1.dw/0", ".atlas-compare-grid"),
    "universality": ("/claims/universality/", None),
    "curve-units": ("/claims/curve-units/", None),
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width, height, device", [(1280, 900, "desktop"), (390, 844, "phone")])
@pytest.mark.parametrize("name", PAGES)
def test_pages_load_cleanly(browser, server, name, width, height, device, scheme):
    path, ready = PAGES[name]
    page, problems, broken = _open(browser, server + path, width, height, scheme, ready)
    assert not broken, f"images that did not load: {broken}"
    assert not problems, f"console errors / failed requests: {problems}"
    extra = overflow(page)
    assert extra <= 1, f"page is {extra}px wider than a {width}px screen"
    if width >= 1280:  # data tables fit the content column (the page widens for them where needed)
        cut = page.evaluate("""() => Array.from(document.querySelectorAll('.md-typeset__scrollwrap'))
            .filter(w => w.scrollWidth > w.clientWidth + 1).map(w => w.scrollWidth - w.clientWidth)""")
        assert not cut, f"tables wider than the column by {cut} px"
    expected = "slate" if scheme == "dark" else "default"
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == expected
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{name}-{device}-{scheme}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
    page.close()


def test_hover_and_focus_on_a_tuning_curve_show_its_values(browser, server):
    page, problems, _ = _open(browser, server + NEURON, 1280, 900)
    tip = page.locator(".atlas-tip")
    page.hover(".atlas-polar .point >> nth=3")
    assert tip.is_visible() and " at " in tip.inner_text() and "σ" in tip.inner_text()
    page.hover('.atlas-hist rect:not([height="0.0"]) >> nth=0')
    assert "positions" in tip.inner_text() or "position" in tip.inner_text()
    chart = page.locator("svg.atlas-polar").first
    chart.focus()
    first = tip.inner_text()
    page.keyboard.press("ArrowRight")
    assert tip.is_visible() and tip.inner_text() != first and "σ" in tip.inner_text()
    assert page.url.endswith(NEURON)  # arrows inside a chart step through it, not through the atlas
    stimulus = page.locator(".atlas-polar image.atlas-stimulus").first
    assert stimulus.count() and "strongest" in stimulus.get_attribute("data-tip")
    href = stimulus.get_attribute("href")  # the battery's picture, drawn once for the whole site
    assert "/img/stimuli/battery/" in href and page.request.get(urljoin(page.url, href)).status == 200
    assert not problems, problems
    page.close()


def test_arrow_keys_move_through_the_atlas(browser, server):
    page, problems, _ = _open(browser, server + NEURON, 1280, 900)
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**/blocks.6.dw/7/")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**/blocks.6.dw/5/")
    page.keyboard.press("ArrowUp")
    page.wait_for_url("**/blocks.6.dw/")
    assert not problems, problems
    page.close()


def test_the_figure_panel_downloads_as_svg_and_png(browser, server, tmp_path):
    page, problems, _ = _open(browser, server + NEURON, 1280, 900)
    files = {}
    for kind in ("svg", "png"):
        with page.expect_download() as download:
            page.click(f'[data-atlas-panel="{kind}"]')
        files[kind] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[kind])
    assert files["svg"].name == "efficientnet_lite0-blocks.6.dw-5.svg"
    svg = ET.parse(files["svg"]).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    hrefs = [image.get("href") for image in svg.iter("{http://www.w3.org/2000/svg}image")]
    assert len(hrefs) >= 2 and all(href.startswith("data:image/") for href in hrefs)  # self-contained
    text = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "efficientnet_lite0 / blocks.6.dw / unit 5" in text and "efficientnet_lite0/blocks.6.dw/5/" in text
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}polyline"))) == 1  # the main tuning curve
    with Image.open(files["png"]) as png:
        assert png.format == "PNG" and png.size == (2 * 760, 2 * 300)
        colours = png.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is None or len(colours) > 50  # pictures and text, not a blank canvas
    bib = page.evaluate("async () => (await fetch(document.querySelector('a[download$=\".bib\"]').href)).text()")
    assert bib.startswith("@misc{efficientnet_lite0_blocks_6_dw_5,") and "url    = {" in bib
    assert not problems, problems
    page.close()


def test_compare_view_shows_both_units_on_one_axis(browser, server):
    path, ready = PAGES["compare"]
    page, problems, _ = _open(browser, server + path, 1280, 900, ready=ready)
    sides = page.locator(".atlas-compare-side h2")
    assert sides.count() == 2
    assert "blocks.6.dw / 5" in sides.nth(0).inner_text() and "blocks.1.dw / 0" in sides.nth(1).inner_text()
    assert page.locator(".atlas-compare-chart polyline").count() == 2
    page.hover(".atlas-compare-chart circle.hit >> nth=2")
    assert "σ" in page.locator(".atlas-tip").inner_text()
    assert not problems, problems
    page.close()


def test_neuron_page_weighs_under_500_kb(browser, server):
    """The page, its images, the theme's CSS and JS; not the site-wide search index, which the
    search worker fetches once for the whole site (neuron bodies are kept out of it)."""
    page, _, _ = _open(browser, server + NEURON, 1280, 900)
    total = page.evaluate("""() => {
        const entries = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'));
        return entries.filter(e => !e.name.includes('search_index.json'))
                      .reduce((sum, e) => sum + (e.encodedBodySize || 0), 0);
    }""")
    assert 20_000 < total <= MAX_PAGE_BYTES, total
    page.close()


def test_search_finds_a_unit(browser, server):
    page, problems, _ = _open(browser, server + "/", 1280, 900)
    page.keyboard.press("/")  # Material's shortcut to the search box
    page.type("input.md-search__input", "blocks.6.dw 5", delay=20)  # keystrokes: search listens to keys
    page.wait_for_selector(".md-search-result__item a", timeout=15_000)
    first = page.eval_on_selector(".md-search-result__item a", "a => a.getAttribute('href')")
    assert "/efficientnet_lite0/blocks.6.dw/5/" in first, first
    assert not problems, problems
    page.close()


def test_search_finds_units_by_family_label(browser, server, built):
    root, _ = built
    label = json.loads((root / "site" / "efficientnet_lite0" / "blocks.6.dw" / "5.json").read_text())["family"]["label"]
    page, _, _ = _open(browser, server + "/", 1280, 900)
    page.keyboard.press("/")
    page.type("input.md-search__input", label.split("/")[0], delay=20)
    page.wait_for_selector(".md-search-result__item a", timeout=15_000)
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(a => a.getAttribute('href'))")
    assert any("/efficientnet_lite0/blocks.6.dw/5/" in h for h in hrefs), (label, hrefs[:10])
    page.close()


def test_a_pasted_link_shows_the_unit(built):
    """Open Graph / Twitter card tags: the unit's name, what the page holds, its feature visualization."""
    root, _ = built
    html = (root / "site" / NEURON.strip("/") / "index.html").read_text()
    assert '<meta property="og:title" content="efficientnet_lite0 / blocks.6.dw / 5">' in html
    assert '<meta property="og:image" content="../../../efficientnet_lite0/blocks.6.dw/img/5.' in html
    assert '<meta name="twitter:card" content="summary">' in html and 'property="og:description"' in html
    image = html.split('<meta property="og:image" content="../../../')[1].split('"')[0]
    assert (root / "site" / image).is_file()
    assert "Local build" in html  # no site_url: the citation says its permalink is a path
