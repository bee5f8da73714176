"""The built site in a real browser: headless Chromium (Debian's package) driven by Playwright.

Skips, saying why, where Chromium or Playwright is missing (`make test` tries to install
Chromium first). Screenshots land in test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import chromium, overflow, serve, watched_page

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
MAX_PAGE_BYTES = 500_000


@pytest.fixture(scope="module")
def server(built):
    root, _ = built
    with serve(root / "site") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def _open(browser, url: str, width: int, height: int):
    page, problems = watched_page(browser, width, height)
    page.goto(url, wait_until="networkidle")
    # Load lazy images too, then check that every image decoded.
    broken = page.evaluate("""async () => {
        const images = Array.from(document.images);
        images.forEach(img => { img.loading = 'eager'; });
        await Promise.all(images.map(img => img.decode().catch(() => null)));
        return images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src);
    }""")
    return page, problems, broken


PAGES = {
    "home": "/",
    "layer": "/efficientnet_lite0/blocks.6.dw/",
    "neuron": "/efficientnet_lite0/blocks.6.dw/5/",
}


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width, height, device", [(1280, 900, "desktop"), (390, 844, "phone")])
def test_pages_load_cleanly(browser, server, name, width, height, device):
    page, problems, broken = _open(browser, server + PAGES[name], width, height)
    assert not broken, f"images that did not load: {broken}"
    assert not problems, f"console errors / failed requests: {problems}"
    extra = overflow(page)
    assert extra <= 1, f"page is {extra}px wider than a {width}px screen"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{name}-{device}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
    page.close()


def test_neuron_page_weighs_under_500_kb(browser, server):
    """The page, its images, the theme's CSS and JS; not the site-wide search index, which the
    search worker fetches once for the whole site (neuron bodies are kept out of it)."""
    page, _, _ = _open(browser, server + PAGES["neuron"], 1280, 900)
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
    import json

    label = json.loads((root / "site" / "efficientnet_lite0" / "blocks.6.dw" / "5.json").read_text())["family"]["label"]
    page, _, _ = _open(browser, server + "/", 1280, 900)
    page.keyboard.press("/")
    page.type("input.md-search__input", label.split("/")[0], delay=20)
    page.wait_for_selector(".md-search-result__item a", timeout=15_000)
    hrefs = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(a => a.getAttribute('href'))")
    assert any("/efficientnet_lite0/blocks.6.dw/5/" in h for h in hrefs), (label, hrefs[:10])
    page.close()
