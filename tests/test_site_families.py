"""Family labels, synthetic-stimulus figures, family / survey / stimuli pages and the control table,
rendered from a small hand-written store (no model, no compute) and built with mkdocs --strict."""

from __future__ import annotations

import html as html_lib
import json
import math
import re
import shutil
from dataclasses import asdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from generate import site
from generate.config import BatteryParams, FamilyParams
from generate.records import Manifest
from generate.store.integrity import checksums, sums_path
from generate.analysis.families import FAMILIES
from generate.site.charts import rounded
from generate.site.views.neuron import TWIN_DIGITS
from tests.conftest import chart_specs, chart_tips, chromium, neuron_page_text, overflow, serve, watched_page

THETAS = [float(t) for t in range(0, 360, 15)]
STIMULUS_FAMILIES = ("curve", "line", "edge", "angle", "grating", "high_low", "hue", "grey_patch", "colour_edge",
                     "centre_surround", "uniform_disc", "gradient", "blank")
MODEL_NAME = "tiny<b>net</b>"  # names are escaped everywhere
# (layer, order, trained labels by unit, control labels by unit)
LAYERS = (
    ("early.conv", 1, ["line/edge", "line/edge", "line/edge", "colour contrast"],
     ["line/edge", "unresponsive", "unresponsive", "unresponsive"]),
    ("mid.conv", 6, ["curve", "curve", "curve", "curve", "high-low frequency", "high-low frequency"],
     ["curve", "texture/other", "texture/other", "texture/other", "texture/other", "texture/other"]),
)


def _png(path: Path, colour=(120, 60, 30), size=(8, 8)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def _family(label: str, unit: int) -> dict:
    score = 5.0 + unit
    passed = label not in ("texture/other", "unresponsive")
    gates = {}
    for name in FAMILIES[:8]:
        mine = name == label
        gates[name] = {"passed": mine, "score": score if mine else 1.0,
                       "checks": {"peak": {"value": score if mine else 1.0, "limit": 4.0, "op": ">=", "ok": mine},
                                  "opposite orientation": {"value": 0.5, "limit": 1.5, "op": "<=", "ok": True}}}
    gates["colour/hue"]["score"] = -math.inf  # a gate with no stimulus of its kind: stored as -Infinity
    gates["colour/hue"]["checks"]["peak"]["value"] = -math.inf
    preferred = {"orientation": 135.0, "radius": 0.2} if label == "curve" else \
        {"orientation": 90.0, "kind": "line"} if label == "line/edge" else \
        {"pair": 0, "orientation": 30.0, "a": "red", "b": "cyan"} if label == "colour contrast" else \
        {"orientation": 210.0} if passed else {}
    return {"label": label, "score": score, "runner_up": "angle", "runner_up_score": 1.0, "runner_up_passed": False,
            "preferred": preferred, "strongest_drive": score, "gates": gates}


def _synthetic() -> dict:
    bump = [max(0.0, 3.0 * math.cos(math.radians(t - 135.0))) for t in THETAS]
    return {
        "sigma": 0.5, "orientations": THETAS,
        "curve": {"radii": [0.12, 0.2, 0.3], "heatmap": [[v * k for v in bump] for k in (0.5, 1.0, 0.25)],
                  "variants": {"standard": {"peak": 3.0, "orientation": 135.0, "radius": 0.2},
                               "inverted": {"peak": 2.0, "orientation": 150.0, "radius": 0.2},
                               "fill": {"peak": 0.5, "orientation": 300.0, "radius": 0.3},
                               "grey": {"peak": -0.2, "orientation": 0.0, "radius": 0.12}}},
        "orientation_tuning": {key: [v * (i + 1) / 3 for v in bump]
                               for i, key in enumerate(("curve", "line", "edge", "angle", "high_low", "gradient"))},
        "frequency_tuning": {"frequencies": [2.0, 4.0, 8.0, 16.0], "drive": [0.5, 2.0, -0.3, 0.1]},
        "hue": {"hues": [h / 12 for h in range(12)], "drive": [0.1 * h for h in range(12)], "grey": [0.0, 0.1, 0.2, 0.3]},
        "colour_edge": {"red/cyan": 1.5, "yellow/blue": 0.2, "green/magenta": 0.0},
        "centre_surround": {"white in black": 0.3, "black in white": 0.0},
    }


def _layer_store(root: Path, key: str, name: str, units: list[int], labels: list[str], featurevis: bool,
                 heatmaps: bool = False) -> dict:
    stages = {"dataset": f"{key}/{name}/dataset-0", "synthetic": f"{key}/{name}/synthetic-0"}
    if featurevis:
        stages["featurevis"] = f"{key}/{name}/featurevis-0"
    for unit, label in zip(units, labels):
        data_dir = root / stages["dataset"]
        exemplars = []
        for rank in range(2):
            _png(data_dir / f"{unit}.ex{rank}.jpg", (30 * rank, 90, 200))
            exemplar = {"rank": rank, "file": f"{unit}.ex{rank}.jpg", "source": f"photo<{rank}>.jpg",
                        "source_index": rank, "activation": 3.0 - rank, "position": [1, 2], "box": [0, 0, 11, 11]}
            if heatmaps:
                _png(data_dir / f"{unit}.ex{rank}.heat.jpg", (250, 0, 0))
                exemplar["heatmap"] = f"{unit}.ex{rank}.heat.jpg"
            exemplars.append(exemplar)
        stats = {"mean": 0.2, "std": 0.5, "max": 3.0, "fraction_positive": 0.3, "positions": 1000,
                 "quantiles": {"0.5": 0.0, "0.9": 0.9, "0.99": 2.2}, "quantile_sample_size": 100,
                 "histogram": {"low": 0.0, "high": 3.0, "counts": [50, 20, 5, 1]},
                 "image_max": {"mean": 2.0, "std": 0.5, "quantiles": {"0.5": 2.0}}}
        (data_dir / f"{unit}.json").write_text(json.dumps({"unit": unit, "exemplars": exemplars, "moderate": [],
                                                           "image_maxima": f"{unit}.maxima.npy", "stats": stats}))
        synth_dir = root / stages["synthetic"]
        synth_dir.mkdir(parents=True, exist_ok=True)
        (synth_dir / f"{unit}.json").write_text(json.dumps(
            {"unit": unit, "synthetic": _synthetic(), "drive": [], "family": _family(label, unit)}))
        if featurevis:
            fv_dir = root / stages["featurevis"]
            _png(fv_dir / f"{unit}.positive.png", (unit * 40 % 255, 100, 50), (16, 16))
            (fv_dir / f"{unit}.json").write_text(json.dumps(
                {"unit": unit, "positive": {"files": [f"{unit}.positive.png"], "objective": 1.5}}))
    rf = {"size": 11, "stride": 4.0, "offset_y": 3.5, "offset_x": 3.5, "input_size": 64}
    return {"name": name, "channels": 16, "height": 8, "width": 8, "description": "a test layer",
            "units": units, "rf": rf, "stages": stages, "featurevis_seeds": {}}


def make_store(root: Path, with_synthetic: bool = True, gallery_families=STIMULUS_FAMILIES,
               heatmaps: bool = False) -> dict:
    """A manifest and store on disk with the pipeline's schema, written by hand."""
    layers, control_layers = [], []
    all_layers = {f"l{i}": {"name": f"l{i}", "channels": 16, "height": 8, "width": 8, "order": i,
                            "description": "layer"} for i in range(10)}
    for name, order, labels, control_labels in LAYERS:
        units = list(range(len(labels)))
        layer = _layer_store(root, "tiny-abc", name, units, labels, True, heatmaps)
        control = _layer_store(root, "tiny-random-0-def", name, units, control_labels, False)
        for entry in (layer, control):
            entry["order"] = order
        all_layers[name] = {**all_layers.pop(f"l{order}"), "name": name}
        if not with_synthetic:
            del layer["stages"]["synthetic"]
        layers.append(layer)
        control_layers.append(control)
    preprocess = {"mean": [0.5] * 3, "std": [0.5] * 3, "input_size": 64}
    model = {"name": MODEL_NAME, "slug": "tiny-net", "key": "tiny-abc", "weights_hash": "ab" * 32,
             "random_init": False, "preprocess": preprocess, "layers": layers,
             "all_layers": {v["name"]: v for v in all_layers.values()},
             "control": {"name": "tiny@random:0", "slug": "tiny-random-0", "key": "tiny-random-0-def",
                         "weights_hash": "cd" * 32, "random_init": True, "preprocess": preprocess,
                         "layers": control_layers} if with_synthetic else None}
    manifest = {
        "title": "Family test atlas", "site_url": "", "atlas_version": "0.1.0", "config": "configs/test.yaml",
        "config_text": "title: test\n", "overrides": {}, "created": "2026-01-01 00:00:00 UTC",
        "dataset": {"name": "photos", "images": 8, "skipped": 0, "fingerprint": "0123456789abcdef"},
        "featurevis": {"size": 16, "steps": 4, "lr": 0.05, "batch": 4, "seed": 0, "negative": False,
                       "diversity": 0, "diversity_weight": 100.0},
        "exemplars": {"k": 2, "image_size": 64, "batch": 4, "crop_px": 16, "stat_samples": 4, "seed": 0},
        "versions": {"python": "3.11"}, "models": [model],
        # a run without the synthetic stage: no battery, no family gates, no gallery (the rotation and
        # verdict parameters are added with their stages, in tests/test_site_rotation.py)
        "synthetic": {}, "families": {}, "rotation": {}, "verdicts": {}, "gallery": "",
    }
    if with_synthetic:
        gallery = root / "stimuli" / "gallery" / "gallery-0"
        gallery.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(gallery_families):
            _png(gallery / f"{name}.png", (i * 18, 200 - i * 10, 90), (152, 40))
        (gallery / "gallery.json").write_text(json.dumps({"families": sorted(gallery_families)}))
        manifest.update({"synthetic": asdict(BatteryParams()), "families": asdict(FamilyParams()),
                         "gallery": "stimuli/gallery/gallery-0"})
        layers[1]["feature_maps"] = {"dir": "tiny-abc/mid.conv/maps-0", "columns": 6, "files": [
            {"source": "astronaut<1>.png", "file": "astronaut.png", "photo": "astronaut.photo.jpg"}]}
        _png(root / "tiny-abc" / "mid.conv" / "maps-0" / "astronaut.png", (10, 10, 10), (64, 32))
        _png(root / "tiny-abc" / "mid.conv" / "maps-0" / "astronaut.photo.jpg", (90, 90, 90), (16, 16))
        (root / "tiny-abc" / "mid.conv" / "maps-0" / "layer.json").write_text(json.dumps(
            {"units": layers[1]["units"], "columns": 6, "tile": 8, "photos": layers[1]["feature_maps"]["files"]}))
    return manifest


def seal(store: Path) -> None:
    """Checksums for the hand-written records that have none, as the pipeline writes them (the site
    shows no record that fails its checksums)."""
    for path in store.rglob("*.json"):
        if not sums_path(path).exists():
            sums_path(path).write_bytes(checksums(path.read_bytes(), {}))


def render(manifest: dict, store: Path, docs: Path) -> None:
    """Render a hand-written manifest, read as the pipeline's typed manifest."""
    seal(store)
    site.render(Manifest.from_json(manifest), store, docs, progress=False)


def render_and_build(root: Path, manifest: dict) -> Path:
    render(manifest, root / "store", root / "docs")
    site.build(root / "docs", root / "site", strict=True)
    return root / "site"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("families")
    manifest = make_store(root / "store", heatmaps=True)
    return render_and_build(root, manifest), manifest


class _Links(HTMLParser):
    """Every <a class="atlas-cell">'s data-family and href, and the data-family of each group, in order."""

    def __init__(self):
        super().__init__()
        self.cells: list[tuple[str, str]] = []
        self.groups: list[str] = []
        self.buttons: list[str] = []
        self.filter_hidden: bool | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "a" and "atlas-cell" in classes:
            self.cells.append((attrs.get("data-family"), attrs.get("href")))
        if "atlas-group" in classes:
            self.groups.append(attrs.get("data-family"))
        if "atlas-filter" in classes:
            self.filter_hidden = "hidden" in attrs
        if tag == "button" and "data-family" in attrs:
            self.buttons.append(attrs["data-family"])


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _text(html: str) -> str:
    """Visible text: tags removed, entities decoded, whitespace collapsed (for sentence assertions)."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text).replace(" .", ".").replace(" ,", ",")


def test_neuron_json_has_synthetic_and_family(built_site):
    site_dir, manifest = built_site
    store = site_dir.parent / "store"
    stored = json.loads((store / "tiny-abc/mid.conv/synthetic-0/2.json").read_text(), parse_constant=float)

    def strict(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    twin = json.loads((site_dir / "tiny-net" / "mid.conv" / "2.json").read_text(), parse_constant=strict)
    assert twin["synthetic"] == rounded(stored["synthetic"], TWIN_DIGITS)  # the 7 digits of float32
    assert twin["family"]["label"] == "curve" and twin["family"]["score"] == stored["family"]["score"]
    assert twin["family"]["gates"]["curve"] == rounded(stored["family"]["gates"]["curve"], TWIN_DIGITS)
    assert twin["family"]["gates"]["colour/hue"]["score"] is None  # -inf stored, null in strict JSON
    assert {"model", "layer", "unit", "featurevis", "exemplars", "stats"} <= set(twin)


def test_neuron_page_shows_family_figures_and_gates(built_site):
    site_dir, _ = built_site
    html = (site_dir / "tiny-net" / "mid.conv" / "2" / "index.html").read_text()
    text = _text(html)
    assert "Family: curve (score 7 σ; runner-up angle 1 σ, which did not pass its gate)" in text
    assert "preferred orientation 135°, radius 0.2 × receptive field" in text
    assert 'href="../../../families/curve/"' in html
    for figure in ("Figure 4.", "Figure 5.", "Figure 6.", "Figure 7.", "Figure 8."):
        assert figure in text
    specs = chart_specs(html)  # drawn by atlas.js (tests/test_site_scale.py draws them in a browser)
    kinds = [spec["kind"] for spec in specs]
    assert (kinds.count("heatmap"), kinds.count("polar"), kinds.count("bars")) == (1, 6, 3)
    heatmap = next(spec for spec in specs if spec["kind"] == "heatmap")
    assert "radius 0.2, 135°: 3 σ" in chart_tips(heatmap)  # every mark has its number
    assert "How the family was decided" in text
    assert "opposite orientation" in text and "≥" in html and "≤" in html
    assert "−∞" in text  # a non-finite check value is printed, not crashed on
    assert "Figure 2b." in text and "img/2.ex0.heat.webp" in html  # exemplar heatmaps when present
    assert (site_dir / "tiny-net" / "mid.conv" / "img" / "2.ex0.heat.webp").is_file()


def test_layer_page_groups_tiles_by_family(built_site):
    site_dir, _ = built_site
    html = (site_dir / "tiny-net" / "mid.conv" / "index.html").read_text()
    links = _parse(html)
    assert links.groups == ["curve", "high-low-frequency"]  # in the order of generate.families.FAMILIES
    assert links.cells == [("curve", f"{u}/") for u in range(4)] + [("high-low-frequency", f"{u}/") for u in (4, 5)]
    assert links.filter_hidden is True  # shown by atlas.js; without JS every tile stays visible
    assert links.buttons == ["", "curve", "high-low-frequency"]
    text = _text(html)
    # trained vs control counts for this layer, side by side
    assert re.search(r"curve 4 1 separates", text), text
    assert re.search(r"texture/other 0 5 does not separate: not evidence", text)
    assert 'src="img/maps/astronaut.webp"' in html and "astronaut&lt;1&gt;.png" in html and "astronaut<1>" not in html
    early = _parse((site_dir / "tiny-net" / "early.conv" / "index.html").read_text())
    assert early.groups == ["line-edge", "colour-contrast"]


def test_family_page_lists_units_with_counts(built_site):
    site_dir, _ = built_site
    html = (site_dir / "families" / "curve" / "index.html").read_text()
    text = _text(html)
    assert "4 of the 10 labelled units of this atlas carry this label" in text
    assert "the random-init controls of the same units: 1" in text
    assert re.search(r"mid\.conv 4 of 6 1 of 6 separates", text), text
    assert re.search(r"early\.conv 0 of 4 0 of 4", text)
    links = _parse(html)
    hrefs = [href for _, href in links.cells]
    assert hrefs == [f"../../tiny-net/mid.conv/{u}/" for u in (3, 2, 1, 0)]  # strongest first
    assert all(family == "curve" for family, _ in links.cells)
    assert "8 σ · 135°" in text  # unit 3: score and preferred orientation
    assert html.count('src="../../tiny-net/mid.conv/img/') == 4
    high_low = (site_dir / "families" / "high-low-frequency" / "index.html").read_text()
    assert re.search(r"mid\.conv 2 of 6 0 of 6 does not separate: not evidence", _text(high_low))
    index = _text((site_dir / "families" / "index.html").read_text())
    for name in FAMILIES:
        assert name in index
    assert (site_dir / "families" / "line-edge" / "index.html").is_file()
    assert (site_dir / "families" / "brightness-gradient" / "index.html").is_file()


def test_survey_page_states_the_progression_from_counts(built_site):
    site_dir, _ = built_site
    model_page = (site_dir / "tiny-net" / "index.html").read_text()
    assert 'href="survey/"' in model_page
    text = _text((site_dir / "tiny-net" / "survey" / "index.html").read_text())
    assert "Curves first appear in mid.conv (4 of 6 labelled units, a middle layer)" in text
    assert "Curves (expected in middle layers): matches: present in middle layers, more often than in the " \
           "random-init control" in text
    assert "Line/edge units first appear in early.conv (3 of 4 labelled units, an early layer)" in text
    assert "Brightness-gradient units: not found in any layer of this atlas" in text
    assert "High-low frequency (expected in middle layers): present in middle layers, but the criterion does " \
           "not separate them from the random-init control there: not evidence" in text
    assert "Reference, not our measurement: in InceptionV1, Distill's Early Vision overview lists 15 " \
           "high-low frequency units in mixed3a" in text
    assert "curve detectors in mixed3b" in text
    assert re.search(r"curve 0 4 / 1 ✓", text), text  # early.conv: none; mid.conv: 4 trained / 1 control
    # proportions with 95% Wilson intervals (4 of 6: 30-90%, by hand) and Fisher's test against the control
    assert re.search(r"mid\.conv curve 6 of \d+ 4/6 = 67% \(30%–90%\) 1/\d+ = \d+% \(\d+%–\d+%\) [\d.e-]+", text), text
    survey = (site_dir / "tiny-net" / "survey" / "index.html").read_text()
    assert "tiny&lt;b&gt;net&lt;/b&gt;" in survey and "<b>net</b>" not in survey


def test_methods_page_has_thresholds_and_control_table(built_site):
    site_dir, _ = built_site
    html = (site_dir / "methods" / "index.html").read_text()
    text = _text(html)
    assert "Synthetic stimuli and family labels" in text
    params = FamilyParams()
    for name in ("min_drive", "curve_over_line", "opposite_ratio", "orthogonal_ratio", "variant_ratio",
                 "variant_tolerance", "variants_needed", "specificity"):
        assert name in text
    assert f"peak drive ≥ {params.min_drive:g} σ" in text
    assert f"at most 1/{params.curve_over_line:g} of the curve peak" in text
    assert f"{params.opposite_ratio:.3g}" in text and f"{params.specificity:g}×" in text
    assert "minus its activation to a blank field" in text and "standard deviation" in text
    assert re.search(r"tiny<b>net</b> mid\.conv curve 4 of 6 1 of 6 separates", text), text
    assert re.search(r"mid\.conv texture/other 0 of 6 5 of 6 does not separate: not evidence", text)
    assert "<b>net</b>" not in html  # the model name is escaped


def test_stimuli_page_shows_every_strip(built_site):
    site_dir, manifest = built_site
    html = (site_dir / "stimuli" / "index.html").read_text()
    for name in STIMULUS_FAMILIES:
        assert f'src="../img/stimuli/{name}.webp"' in html
        assert (site_dir / "img" / "stimuli" / f"{name}.webp").is_file()
    text = _text(html)
    assert "radius 0.12, 0.2, 0.3 × the receptive field" in text
    assert "every 15°" in text and "2, 4, 8, 16 cycles per receptive field" in text
    assert "288 stimuli in the battery" in text  # 4 variants x 3 radii x 24 orientations


def test_nav_has_families_and_stimuli(built_site):
    site_dir, _ = built_site
    home = (site_dir / "index.html").read_text()
    assert 'href="families/"' in home and 'href="stimuli/"' in home
    assert "assets/atlas.js" in home


def test_stale_strip_is_removed_and_old_manifest_still_builds(tmp_path):
    manifest = make_store(tmp_path / "store")
    render(manifest, tmp_path / "store", tmp_path / "docs")
    assert (tmp_path / "docs" / "img" / "stimuli" / "blank.webp").is_file()
    # A store from before the synthetic stage: no labels, no gallery, no control. Every page still
    # renders, the family pages say so, and no gallery file is left behind.
    shutil.rmtree(tmp_path / "store" / "stimuli")
    old = make_store(tmp_path / "store", with_synthetic=False)
    assert not old["synthetic"] and not old["families"] and not old["gallery"] and old["models"][0]["control"] is None
    assert all("synthetic" not in layer["stages"] for layer in old["models"][0]["layers"])
    site_dir = render_and_build(tmp_path, old)
    assert not (tmp_path / "docs" / "img" / "stimuli" / "blank.webp").exists()
    assert "not been computed" in (site_dir / "families" / "curve" / "index.html").read_text()
    assert "not been computed" in (site_dir / "stimuli" / "index.html").read_text()
    neuron = json.loads((site_dir / "tiny-net" / "mid.conv" / "2.json").read_text())
    assert neuron["synthetic"] is None and neuron["family"] is None
    layer = _parse((site_dir / "tiny-net" / "mid.conv" / "index.html").read_text())
    assert layer.groups == [] and len(layer.cells) == 6 and layer.filter_hidden is None


def test_family_filter_in_a_browser(built_site):
    """The filter shows one family's tiles; no console errors; no overflow on a phone."""
    site_dir, _ = built_site
    with serve(site_dir) as base, chromium() as browser:
        for width in (1280, 390):
            page, problems = watched_page(browser, width)
            for path in ("/tiny-net/mid.conv/2/", "/families/curve/", "/tiny-net/survey/", "/stimuli/",
                         "/methods/"):
                page.goto(base + path, wait_until="networkidle")
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                extra = overflow(page)
                assert extra <= 1, f"{path} is {extra}px wider than {width}px"
            page.goto(base + "/tiny-net/mid.conv/", wait_until="networkidle")
            assert page.is_visible(".atlas-filter")
            visible = lambda: page.eval_on_selector_all(  # noqa: E731
                ".atlas-cell", "cells => cells.filter(c => c.offsetParent !== null).map(c => c.dataset.family)")
            assert len(visible()) == 6
            page.click('.atlas-filter button[data-family="high-low-frequency"]')
            assert visible() == ["high-low-frequency", "high-low-frequency"]
            assert not page.is_visible('.atlas-group[data-family="curve"]')
            page.click('.atlas-filter button[data-family=""]')
            assert len(visible()) == 6
            assert overflow(page) <= 1
            assert not problems, problems
            page.close()



def test_control_without_labels_is_never_compared(tmp_path):
    manifest = make_store(tmp_path / "store")
    for folder in (tmp_path / "store" / "tiny-random-0-def").rglob("synthetic-0"):
        shutil.rmtree(folder)  # the control's synthetic stage not computed
    render(manifest, tmp_path / "store", tmp_path / "docs")
    methods = (tmp_path / "docs" / "methods.md").read_text()
    assert "| tiny&lt;b&gt;net&lt;/b&gt; | mid.conv | curve | 4 of 6 | – | no control |" in methods
    assert "separates |" not in methods
    survey = (tmp_path / "docs" / "tiny-net" / "survey.md").read_text()
    assert "no random-init control in this atlas" in survey and "Against the random-init control" not in survey
    neuron = neuron_page_text(tmp_path / "docs" / "tiny-net" / "mid.conv" / "2.md")
    assert "Figure 2b." not in neuron  # no exemplar heatmaps in this store
