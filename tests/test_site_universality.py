"""The universality page of a two-model atlas with matched units (hand-written store): every matched
pair links to the compare view, and the matched-units table fits the page at 1280 px."""

from __future__ import annotations

import copy
import json

from tests.conftest import chromium, overflow, serve
from tests.test_site_families import LAYERS, _text, make_store, render_and_build


def _pairs(manifest: dict) -> dict:
    """A matching stage's record: every unit of the first model matched to the same unit of the second."""
    units = []
    for layer, (name, _, labels, control_labels) in zip(manifest["models"][0]["layers"], LAYERS):
        for unit, (label, control_label) in enumerate(zip(labels, control_labels)):
            units.append({"layer": name, "unit": unit, "label": label,
                          "match": {"layer": name, "unit": unit, "label": label, "similarity": 0.9 - 0.01 * unit},
                          "control": {"layer": name, "unit": (unit + 1) % len(labels), "label": control_label,
                                      "similarity": 0.3}})
    first, second = manifest["models"]
    return {"reference": first["name"], "other": second["name"], "other_slug": second["slug"],
            "control": second["control"]["name"], "measures": ["synthetic tuning", "image maxima"], "units": units,
            "mean_similarity": 0.87, "control_mean_similarity": 0.3}


def test_matched_units_link_to_compare_and_fit_the_page(tmp_path):
    store = tmp_path / "store"
    manifest = make_store(store)
    other = copy.deepcopy(manifest["models"][0])
    other.update(name="second net with a long name", slug="second-net", key="second-abc")
    manifest["models"].append(other)
    folder = store / "matching" / "pairs-0"
    folder.mkdir(parents=True)
    (folder / "pairs.json").write_text(json.dumps(_pairs(manifest)))
    manifest["matching"] = ["matching/pairs-0"]
    site = render_and_build(tmp_path, manifest)
    html = (site / "claims" / "universality" / "index.html").read_text()
    assert "best matches are also curve" in _text(html)
    assert 'href="../../compare/?a=tiny-net/mid.conv/0&amp;b=second-net/mid.conv/0"' in html
    with serve(site) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/claims/universality/", wait_until="networkidle")
        assert overflow(page) <= 1
        cut = page.evaluate("""() => Array.from(document.querySelectorAll('.md-typeset__scrollwrap'))
            .filter(w => w.scrollWidth > w.clientWidth + 1).map(w => w.scrollWidth - w.clientWidth)""")
        assert not cut, f"tables wider than the page by {cut} px"
        page.screenshot(path=str(tmp_path / "universality.png"), full_page=True)
        page.close()
