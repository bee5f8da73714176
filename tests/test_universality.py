"""Universality through the pipeline: two models (one a channel-permuted copy of the other),
a variation of the analysis, the matching stage, and the universality and sensitivity pages."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from generate.analysis.families import ORIENTED
from generate.cli import main
from tests.test_matching import DEAD, NAMES, TRUTH
from tests.test_site_families import _text


@pytest.fixture(scope="module")
def atlas(tmp_path_factory, photo_dir):
    root = tmp_path_factory.mktemp("universality")
    config = {
        "title": "Universality test", "dataset": str(photo_dir), "store": str(root / "store"),
        # control seed 3: seed 0 would re-create the test model's own random weights
        "models": [{"model": NAMES["original"], "layers": {"relu2": "all"}, "control": 3},
                   {"model": NAMES["permuted"], "layers": {"relu2": "all"}, "control": 3},
                   {"model": "cifar:no_such_model", "layers": {"features.relu2": "all"}, "optional": True}],
        "featurevis": {"size": 32, "steps": 4, "batch": 8},
        "exemplars": {"k": 3, "batch": 8},
        "synthetic": {"orientation_step": 45.0},
        "rotation": {"step": 45.0, "k": 2},
        "variations": [{"name": "coarser stimuli", "synthetic": {"orientation_step": 90.0}},
                       {"name": "fewer images", "exemplars": {"max_images": 5}}],
        "calibration": {"model": ""},  # the planted calibration has tests of its own
    }
    path = root / "universality.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    code = main(["atlas", "--config", str(path), "--out", str(root / "docs"), "--site", str(root / "site"), "--quiet"])
    assert code == 0
    manifest = json.loads((root / "store" / "manifests" / "universality.json").read_text())
    return root, manifest


def test_optional_model_is_skipped_and_variations_are_computed(atlas):
    _, manifest = atlas
    assert [m["name"] for m in manifest["models"]] == [NAMES["original"], NAMES["permuted"]]
    assert [v["name"] for v in manifest["variations"]] == ["coarser stimuli", "fewer images"]
    fewer = manifest["variations"][1]["model"]
    assert fewer["dataset"]["images"] == 5 and manifest["models"][0]["dataset"]["images"] > 5
    assert fewer["control"] is not None and fewer["layers"][0]["stages"]["verdicts"]


def test_matching_stage_recovers_the_permuted_copy(atlas):
    root, manifest = atlas
    (folder,) = manifest["matching"]
    record = json.loads((root / "store" / folder / "pairs.json").read_text())
    assert record["measures"] == ["profile", "activation"]  # same images: both similarities
    live = [u for u in record["units"] if u["unit"] not in DEAD]
    assert all(u["match"]["unit"] == TRUTH[u["unit"]] and u["match"]["similarity"] > 0.99 for u in live)
    # the permuted copy's random-init control is the baseline, and it is far below
    assert record["control_mean_similarity"] < record["mean_similarity"] - 0.2


def test_universality_and_sensitivity_pages(atlas):
    root, _ = atlas
    universality = _text((root / "site" / "claims" / "universality" / "index.html").read_text())
    assert "This atlas has 2 models" in universality
    assert "Every unit of tests.test_matching:original (the reference) is matched" in universality
    # each matched family: both units' thumbnails and tuning curves, and a computed summary against the control
    html = (root / "site" / "claims" / "universality" / "index.html").read_text()
    assert re.search(r"\d+ of \d+ best matches are also [a-z/ -]+ \(control: \d+\)", universality)
    assert "for the control" in universality
    assert 'tests.test_matching-permuted-' not in html
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if ">compare</a>" in row]
    assert len(rows) >= 4 and all(row.count("<img") == 2 for row in rows)
    for row in rows:  # an oriented family's units show their orientation tuning on both sides
        labels = re.findall(r"\(([^()]+)\)", _text(row))
        assert row.count('class="atlas-spark"') == (2 if labels[0] in ORIENTED else 0), row
    assert 'src="../../tests.test_matching-permuted/relu2/img/' in html
    sensitivity = _text((root / "site" / "claims" / "sensitivity" / "index.html").read_text())
    assert "reference as configured" in sensitivity
    assert "coarser stimuli synthetic.orientation_step = 90.0" in sensitivity
    assert "fewer images exemplars.max_images = 5" in sensitivity
    assert "variations keep the labels" in sensitivity
