"""Rotation figures, verdict rows, the joint-tuning ridge plot and the trained-versus-control verdict
table, rendered from a hand-written store (no model, no compute) and built with mkdocs --strict."""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urljoin

import pytest

from generate.analysis.verdicts import Rules, criteria
from generate.records import UnitVerdicts
from generate.config import ArcParams, ExemplarParams, FamilyParams, FeatureVisParams, RotationParams, VerdictParams
from generate.site.charts import rounded
from generate.site.views.neuron import TWIN_DIGITS
from tests.conftest import DRAWN_CHARTS, chart_specs, chart_tips, chromium, neuron_page_text, overflow, serve, watched_page
from tests.test_site_families import _png, _text, make_store, render, render_and_build

ANGLES = [float(a) for a in range(0, 360, 15)]
TRAINED, CONTROL = "tiny-abc", "tiny-random-0-def"
# mid.conv: curve units 0-3 (trained), unit 0 only in the control; synthetic orientations chosen so that
# the ridge order (by synthetic orientation) differs from the unit order.
CURVE_ORIENTATIONS = {0: 270.0, 1: 45.0, 2: 180.0, 3: 90.0}
RIDGE_ORDER = [1, 3, 2, 0]
MAX_PAGE_BYTES = 500_000


def _bump(peak: float, period: float = 360.0) -> list[float]:
    return [max(0.05, math.cos(math.radians(a - peak) * 360.0 / period)) for a in ANGLES]


def _rotation_record(unit: int, family: str, synthetic: float | None, rotation: float | None, anchors: int,
                     period: float = 360.0) -> dict:
    curves = [[v * (3 - i) for v in _bump(0.0)] for i in range(3)]
    average = [sum(c[n] for c in curves) / len(curves) for n in range(len(ANGLES))]
    agreement = None
    if synthetic is not None and rotation is not None:
        d = abs(synthetic - rotation) % period
        agreement = min(d, period - d)
    return {"unit": unit, "family": family, "angles": ANGLES, "exemplar_curves": curves, "average": average,
            "aligned_average": average, "rotation_tuning": _bump(rotation, period) if anchors else [],
            "synthetic_orientation": synthetic, "rotation_orientation": rotation, "agreement": agreement,
            "period": period, "anchors": anchors}


def _write(folder: Path, name: str, record: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(record))  # NaN stays NaN, as the store writes it


def _verdict(passed: bool, score, reason: str, criterion: str, control_passed, control_score) -> dict:
    return {"passed": passed, "score": score, "reason": reason, "criterion": criterion,
            "control_score": control_score, "control_passed": control_passed, "moderate_score": None}


TEXTS = criteria(Rules(FamilyParams(), RotationParams(), VerdictParams(), ArcParams(), (0.4, 0.6),
                       FeatureVisParams().neuron_margin))


def _measured(axis: float, expected: float, agrees: bool) -> dict:
    return {"orientation": axis, "coherence": 0.4, "qualifies": True,
            "distance": min(abs(axis - expected) % 180, 180 - abs(axis - expected) % 180), "agrees": agrees}


def _arguments_1_and_2(unit: int, expected: float, fv_passes: bool, examples_pass: bool, control_passes: bool) -> dict:
    """Stored verdicts on Arguments 1 and 2, with per-seed and per-crop measurements."""
    offset = 0.0 if fv_passes else 40.0
    fv = _verdict(fv_passes, 1 - offset / 90, "2 of 2 seeds agree" if fv_passes else "0 of 2 seeds agree",
                  TEXTS["feature_visualization"], control_passes, 0.9 if control_passes else 0.2)
    fv.update(expected=expected, period=180.0, seeds=[{"seed": s, **_measured(expected + offset, expected, fv_passes)}
                                             for s in (0, 1)])
    examples = _verdict(examples_pass, 1.0 if examples_pass else 0.0, "2 of 2 strongest exemplars agree",
                        TEXTS["dataset_examples"], control_passes,
                        1.0 if control_passes else 0.0)
    examples.update(expected=expected, period=180.0, moderate_score=0.5,
                    strong=[_measured(expected, expected, examples_pass)] * 2,
                    moderate=[_measured(expected, expected, True), _measured((expected + 60) % 180, expected, False)])
    return {"feature_visualization": fv, "dataset_examples": examples}


def add_rotation_and_verdicts(store: Path, manifest: dict) -> dict:
    """Rotation records (trained and control) and verdicts (trained) for both layers of the fake store,
    with moderate exemplars and a second feature-visualization seed where Argument 1 is stored."""
    synthetic_text, joint_text = TEXTS["synthetic_examples"], TEXTS["joint_tuning"]
    manifest["rotation"] = asdict(RotationParams())
    manifest["verdicts"] = asdict(VerdictParams())
    manifest["exemplars"] = asdict(ExemplarParams())
    manifest["arcs"] = asdict(ArcParams())
    manifest["featurevis"] = {**manifest.get("featurevis", {}), "neuron_margin": FeatureVisParams().neuron_margin}
    model = manifest["models"][0]
    for layer, control in zip(model["layers"], model["control"]["layers"]):
        name = layer["name"]
        for entry, key in ((layer, TRAINED), (control, CONTROL)):
            entry["stages"]["rotation"] = f"{key}/{name}/rotation-0"
        layer["stages"]["verdicts"] = f"{TRAINED}/{name}/verdicts-0"
        rot, c_rot = store / layer["stages"]["rotation"], store / control["stages"]["rotation"]
        verdicts = store / layer["stages"]["verdicts"]
        if name == "mid.conv":
            shifts = {0: 0.0, 1: 10.0, 2: -20.0, 3: 90.0}  # units 0-2 agree (within 30°), unit 3 does not
            for unit, theta in CURVE_ORIENTATIONS.items():
                _write(rot, str(unit), _rotation_record(unit, "curve", theta, (theta + shifts[unit]) % 360, 3))
            for unit in (4, 5):
                _write(rot, str(unit), _rotation_record(unit, "high-low frequency", 210.0, 30.0 + unit, 1))
            _write(rot, "layer", {"angles": ANGLES, "families": {
                "curve": {"members": [0, 1, 2, 3], "coverage": 0.95, "max_gap": 120.0, "mean_gap": 90.0,
                          "order_agreement": 0.8, "agreeing_units": 3},
                "high-low frequency": {"members": [4, 5], "coverage": 0.5, "max_gap": 359.0, "mean_gap": 180.0,
                                       "order_agreement": math.nan, "agreeing_units": 0}}})
            _write(c_rot, "0", _rotation_record(0, "curve", 135.0, None, 0))
            _write(c_rot, "layer", {"angles": ANGLES, "families": {
                "curve": {"members": [0], "coverage": 0.25, "max_gap": None, "mean_gap": None,
                          "order_agreement": math.nan, "agreeing_units": 0}}})
            for unit in range(6):
                synthetic = _verdict(True, 5.0 + unit, "gate passed", synthetic_text, unit == 0, 4.5 - unit)
                synthetic["family"] = "curve" if unit < 4 else "high-low frequency"
                record = {"synthetic_examples": synthetic}
                if unit < 4:  # curve units: Argument 1 passes for units 0 and 1, Argument 2 for all
                    record.update(_arguments_1_and_2(unit, (CURVE_ORIENTATIONS[unit] + 90) % 180, unit < 2, True,
                                                     unit == 0))
                if unit < 5:  # unit 5 has only Argument 3 stored
                    agrees = unit < 3
                    record["joint_tuning"] = _verdict(
                        agrees, (0.9 if agrees else 0.5) if unit < 4 else None,
                        "rotation peak 10° from the synthetic preference; family covers 95% of the circle"
                        if unit < 4 else "no rotation measure (not an oriented family, or no other member "
                                         "to anchor on)", joint_text, False, None)
                _write(verdicts, str(unit), {"unit": unit, "verdicts": record})
        else:  # early.conv: line/edge units 0-2 (axial), unit 3 colour contrast (no rotation record)
            for unit, theta in ((0, 0.0), (1, 60.0), (2, 120.0)):
                _write(rot, str(unit), _rotation_record(unit, "line/edge", theta, theta, 2, 180.0))
            _write(rot, "layer", {"angles": ANGLES, "families": {
                "line/edge": {"members": [0, 1, 2], "coverage": 1.0, "max_gap": 60.0, "mean_gap": 60.0,
                              "order_agreement": 1.0, "agreeing_units": 3}}})
            _write(c_rot, "layer", {"angles": ANGLES, "families": {}})  # computed, but no line/edge unit
            for unit in range(4):
                passed = unit < 3
                extra = _arguments_1_and_2(unit, 90.0, True, unit < 2, unit == 0) if passed else {}
                _write(verdicts, str(unit), {"unit": unit, "verdicts": {**extra,
                    "synthetic_examples": {**_verdict(passed, 6.0, "gate passed" if passed else
                                                      "labelled colour contrast, not an oriented family",
                                                      synthetic_text, unit < 2, 5.0), "family": "line/edge"},
                    "joint_tuning": _verdict(passed, 1.0 if passed else None, "agrees" if passed else "none",
                                             joint_text, False, None)}})
        seeds = {}
        for seed in (0, 1):
            folder = f"{TRAINED}/{name}/featurevis-seed{seed}"
            seeds[str(seed)] = folder
            for unit in layer["units"]:
                _png(store / folder / f"{unit}.positive.png", (40 * seed, 200, 90), (16, 16))
                _write(store / folder, str(unit), {"unit": unit, "positive": {"files": [f"{unit}.positive.png"],
                                                                              "objective": 1.0}})
        layer["featurevis_seeds"] = seeds
        data = store / layer["stages"]["dataset"]
        for unit in layer["units"]:
            record = json.loads((data / f"{unit}.json").read_text())
            record["moderate"] = []
            for rank in range(2):
                _png(data / f"{unit}.mod{rank}.jpg", (200, 200, 30 * rank))
                record["moderate"].append({"rank": rank, "file": f"{unit}.mod{rank}.jpg", "source": f"mod{rank}.jpg",
                                           "source_index": 10 + rank, "activation": 1.5, "position": [1, 1], "box": [0, 0, 11, 11]})
            _write(data, str(unit), record)
    return manifest


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("rotation")
    manifest = add_rotation_and_verdicts(root / "store", make_store(root / "store"))
    return render_and_build(root, manifest), manifest


def test_neuron_json_has_rotation_and_verdicts(built):
    site_dir, _ = built
    store = site_dir.parent / "store"

    def strict(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    twin = json.loads((site_dir / "tiny-net" / "mid.conv" / "1.json").read_text(), parse_constant=strict)
    # as the pipeline stored them, to the 7 significant digits of float32
    rotation = json.loads((store / TRAINED / "mid.conv" / "rotation-0" / "1.json").read_text())
    assert twin["rotation"] == rounded(rotation, TWIN_DIGITS) and twin["rotation"] != rotation  # 17 digits stored
    stored = json.loads((store / TRAINED / "mid.conv" / "verdicts-0" / "1.json").read_text())
    assert twin["verdicts"] == rounded(UnitVerdicts.from_json(stored["verdicts"]).to_json(), TWIN_DIGITS)
    colour = json.loads((site_dir / "tiny-net" / "early.conv" / "3.json").read_text())
    assert colour["rotation"] is None and colour["verdicts"]["synthetic_examples"]["passed"] is False


def test_rotation_charts_are_drawn_in_the_browser_with_their_numbers(built):
    site_dir, _ = built
    with serve(site_dir) as base, chromium() as browser:
        page, problems = watched_page(browser, 1280, 900)
        page.goto(f"{base}/tiny-net/mid.conv/1/", wait_until="networkidle")
        drawn = page.evaluate(DRAWN_CHARTS)
        page.close()
    assert {"rotation", "tuning"} <= {chart["spec"]["kind"] for chart in drawn}
    for chart in drawn:
        assert chart["width"] and chart["tips"] == chart_tips(chart["spec"]), chart["spec"]["kind"]
    assert not problems, problems


def test_neuron_page_shows_rotation_and_both_verdicts(built):
    site_dir, _ = built
    page = site_dir / "tiny-net" / "mid.conv" / "1" / "index.html"
    assert page.stat().st_size < MAX_PAGE_BYTES
    html = page.read_text()
    text = _text(html)
    assert "Figure 9." in text and "Figure 9b." in text
    (rotation,) = [spec for spec in chart_specs(html) if spec["kind"] == "rotation"]
    assert len(rotation["curves"]) == 3 and len(rotation["average"]) == len(rotation["angles"])
    assert "Synthetic preferred orientation 45° (dashed), rotation peak 55° (solid): 10° apart" in text
    assert "3 anchor units" in text
    assert re.search(r"Argument 3 : synthetic examples passed 6 σ gate passed failed, score 3\.5 σ", text), text
    assert re.search(r"Argument 4 : joint tuning passed 0\.9 rotation peak 10° from the synthetic preference; "
                     r"family covers 95% of the circle failed, score n/a", text), text
    assert f"Criterion: {TEXTS['synthetic_examples']}." in text
    assert f"Criterion: {TEXTS['joint_tuning']}." in text
    assert "Arguments 1 and 2 are measured on images with classical image processing" in text
    # Arguments 1 and 2: every seed and every crop with its measured axis drawn over it
    assert "Figure 1d." in text and "Figure 2c." in text and "Moderate activations (40–60% of the largest)" in text
    assert html.count('class="atlas-axis-expected"') == 2 + 2 + 2  # two seeds, two strong, two moderate crops
    assert "seed 1 · 135° ✓" in text and "1.5 · 15° ✗" in text  # unit 1: expected axis 135°, a moderate crop off by 60°
    for name in ("1.seed0.webp", "1.seed1.webp", "1.mod0.webp", "1.mod1.webp"):
        assert (site_dir / "tiny-net" / "mid.conv" / "img" / name).is_file()
    assert 'href="../../../methods/#rotation-and-verdicts"' in html
    # only the arguments that are stored; a unit without a rotation record says why
    only_three = (site_dir / "tiny-net" / "mid.conv" / "5" / "index.html").read_text()
    assert re.findall(r'<tbody data-argument="(\d)">', only_three) == ["3"]
    assert re.findall(r'<tbody data-argument="(\d)">', html) == ["1", "2", "3", "4"]
    colour = _text((site_dir / "tiny-net" / "early.conv" / "3" / "index.html").read_text())
    assert "Not measured for this unit: rotation is measured only for units of an oriented family" in colour
    assert "this unit is labelled colour contrast" in colour
    line = _text((site_dir / "tiny-net" / "early.conv" / "1" / "index.html").read_text())
    assert "Period 180°" in line


def test_family_page_has_ridge_in_synthetic_order_and_measures(built):
    site_dir, _ = built
    html = (site_dir / "families" / "curve" / "index.html").read_text()
    rows = re.findall(r'<g class="atlas-ridge-row" data-unit="(\d+)">', html)
    assert [int(u) for u in rows] == RIDGE_ORDER
    labels = re.findall(r'<text class="label"[^>]*>(unit \d+ · [^<]+)</text>', html)
    assert labels == [f"unit {u} · {CURVE_ORIENTATIONS[u]:.0f}°" for u in RIDGE_ORDER]
    page_url = "http://x/families/curve/"
    for href in re.findall(r'<a href="([^"]+)"><text class="label"', html):
        target = urljoin(page_url, href).removeprefix("http://x/")
        assert (site_dir / target / "index.html").is_file(), href
    text = _text(html)
    assert "Joint tuning" in text
    assert re.search(r"orientations covered \(some member ≥ half its peak\) 95% 25%", text), text
    assert re.search(r"largest gap between rotation peaks 120° n/a", text)
    assert re.search(r"mean gap between rotation peaks 90° n/a", text)
    assert re.search(r"order agreement \(circular correlation, rotation vs synthetic\) 0\.8 n/a", text)
    assert re.search(r"units whose rotation peak agrees \(within 30°\) 3 of 4 0 of 1", text)
    # a family the control lacks in that layer, and an axial family
    line = _text((site_dir / "families" / "line-edge" / "index.html").read_text())
    assert "The random-init control has no line/edge unit in early.conv" in line
    assert re.search(r"orientations covered \(some member ≥ half its peak\) 100% –", line), line
    assert "axial (period 180°)" in line
    # a family without rotation (not oriented) has no joint-tuning section
    assert "Joint tuning" not in _text((site_dir / "families" / "colour-contrast" / "index.html").read_text())


def test_methods_page_has_trained_vs_control_verdict_table(built):
    site_dir, manifest = built
    html = (site_dir / "methods" / "index.html").read_text()
    text = _text(html)
    assert "Rotation and verdicts" in text and 'id="rotation-and-verdicts"' in html
    assert "top 3 dataset examples are turned counter-clockwise through 360° in steps of 5°" in text
    assert TEXTS["synthetic_examples"] in text and TEXTS["joint_tuning"] in text
    assert TEXTS["feature_visualization"] in text
    assert TEXTS["dataset_examples"] in text
    rows = [
        r"early\.conv Argument 3: synthetic examples 3 of 4 2 of 4 does not separate: not evidence",
        r"early\.conv Argument 4: joint tuning 3 of 4 0 of 4 separates",
        r"mid\.conv Argument 3: synthetic examples 6 of 6 1 of 6 separates",
        r"mid\.conv Argument 4: joint tuning 3 of 5 0 of 5 separates",
    ]
    for row in rows:
        assert re.search(r"tiny<b>net</b> " + row, text), (row, text)
    assert "<b>net</b>" not in html


def test_criteria_are_rebuilt_when_no_verdict_is_stored(tmp_path):
    manifest = add_rotation_and_verdicts(tmp_path / "store", make_store(tmp_path / "store"))
    for folder in (tmp_path / "store" / TRAINED).rglob("verdicts-0"):
        shutil.rmtree(folder)
    render(manifest, tmp_path / "store", tmp_path / "docs")
    methods = (tmp_path / "docs" / "methods.md").read_text()
    assert TEXTS["joint_tuning"].replace("'", "&#39;") in methods
    assert "No verdict has been computed for this atlas." in methods
    neuron = neuron_page_text(tmp_path / "docs" / "tiny-net" / "mid.conv" / "1.md")
    assert "No verdict has been computed for this unit." in neuron and "Figure 9b." in neuron


def test_rotation_pages_in_a_browser(built):
    """No console errors and no horizontal overflow on a phone, verdict rows stacked there."""
    site_dir, _ = built
    with serve(site_dir) as base, chromium() as browser:
        for width in (1280, 390):
            page, problems = watched_page(browser, width)
            for path in ("/tiny-net/mid.conv/1/", "/families/curve/", "/families/line-edge/", "/methods/"):
                page.goto(base + path, wait_until="networkidle")
                extra = overflow(page)
                assert extra <= 1, f"{path} is {extra}px wider than {width}px"
            page.goto(base + "/tiny-net/mid.conv/1/", wait_until="networkidle")
            head = page.eval_on_selector(".atlas-verdicts thead", "e => getComputedStyle(e).display")
            assert (head == "none") == (width == 390)
            assert not problems, problems
            page.close()
