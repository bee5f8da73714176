"""The site from stores that are not whole: a stage that has not run, a record that fails its
checksums; and what pages say about the build: nothing of the build machine's folders, how many
images were used and skipped, the archive's SHA-256, the packaged-photos banner. Hand-written
stores (tests/test_site_families.py), built with mkdocs --strict."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.test_site_families import _text, make_store, render_and_build, seal

TRAINED = Path("tiny-abc")


def test_a_store_without_feature_visualizations_renders_and_says_what_is_missing(tmp_path):
    store = tmp_path / "store"
    manifest = make_store(store)
    for layer in manifest["models"][0]["layers"]:
        shutil.rmtree(store / layer["stages"]["featurevis"])  # the manifest names it; the stage never ran
    site = render_and_build(tmp_path, manifest)  # strict: no broken thumbnail anywhere
    home = _text((site / "index.html").read_text())
    assert "Not computed yet" in home and "feature visualizations 0 of 6" in home
    assert "python -m generate featurevis --config configs/test.yaml" in home
    neuron = _text((site / "tiny-net" / "mid.conv" / "1" / "index.html").read_text())
    assert "Not in the store for this unit: feature visualizations (compute with python -m generate featurevis" \
        in " ".join(neuron.split())
    assert "Figure 2." in neuron  # what the store holds is still shown
    curves = (site / "claims" / "curves" / "index.html").read_text()
    assert "thumb.webp" not in curves and "not computed" in curves


def test_a_record_that_fails_its_checksum_is_never_rendered(tmp_path, capsys):
    store = tmp_path / "store"
    manifest = make_store(store)
    seal(store)
    record = store / manifest["models"][0]["layers"][1]["stages"]["synthetic"] / "2.json"
    record.write_bytes(record.read_bytes().replace(b'"curve"', b'"angle"', 1))  # altered after it was sealed
    site = render_and_build(tmp_path, manifest)
    neuron = _text((site / "tiny-net" / "mid.conv" / "2" / "index.html").read_text())
    assert "synthetic stimuli and family labels (compute with python -m generate synthetic" in " ".join(neuron.split())
    assert "Figure 4." not in neuron and "angle" not in _text(
        (site / "tiny-net" / "mid.conv" / "2.json").read_text())
    warnings = [line for line in capsys.readouterr().err.splitlines() if "failed their checksums" in line]
    assert len(warnings) == 1 and "1 stored result(s)" in warnings[0] and str(record) in warnings[0]


def test_pages_name_the_dataset_never_a_folder_of_the_build_machine(tmp_path):
    store = tmp_path / "store"
    manifest = make_store(store)
    private = tmp_path / "home" / "someone" / "imagenet-sample"
    manifest["dataset"] = {"name": f"{private} (120 of 1000 images, evenly spaced)", "images": 120, "skipped": 3,
                           "fingerprint": "0123456789abcdef", "skipped_by_reason": {"truncated": 2, "not an image": 1},
                           "packaged": False, "source": "imagenette", "sha256": "9" * 64,
                           "url": "https://example.org/imagenette.tgz"}
    manifest["config"] = str(tmp_path / "configs" / "mine.yaml")
    manifest["config_text"] = f"dataset: {private}\nstore: {store}\nmodels:\n  - model: x\n    weights: {tmp_path}/w.pth\n"
    manifest["overrides"] = {"--dataset": str(private)}
    site = render_and_build(tmp_path, manifest)
    for path in site.rglob("*"):
        if path.suffix in (".html", ".json", ".bib", ".xml", ".js", ".yaml"):
            assert str(tmp_path) not in path.read_text(), path
    methods = _text((site / "methods" / "index.html").read_text())
    assert "Dataset: imagenet-sample (120 of 1000 images, evenly spaced) : 120 images used, 3 skipped (2 truncated, " \
           "1 not an image)" in methods
    assert f"archive SHA-256 {'9' * 64}" in methods and "https://example.org/imagenette.tgz" in methods
    neuron = _text((site / "tiny-net" / "mid.conv" / "1" / "index.html").read_text())
    assert f"archive SHA-256 {'9' * 64}" in neuron  # the Reproduce block
    assert "--config mine.yaml --dataset …/imagenet-sample" in neuron and "The config file as it was run: mine.yaml" in neuron
    config = (site / "config.yaml").read_text()  # one copy for every page, linked from each
    assert "…/w.pth" in config and "…/store" in config and "weights: […/w.pth]" not in config  # folders shortened
    html = (site / "tiny-net" / "mid.conv" / "1" / "index.html").read_text()
    assert 'href="../../../config.yaml"' in html


def test_an_atlas_on_the_packaged_photos_says_so_on_every_page(tmp_path):
    store = tmp_path / "store"
    manifest = make_store(store)
    manifest["dataset"].update({"name": "packaged photos", "images": 23, "packaged": True})
    site = render_and_build(tmp_path, manifest)
    for page in ("index.html", "about/index.html", "tiny-net/mid.conv/1/index.html", "claims/curves/index.html"):
        html = (site / page).read_text()
        assert 'class="atlas-banner"' in html and "Only 23 photos." in html, page
    clean = render_and_build(tmp_path / "clean", make_store(tmp_path / "clean" / "store"))
    assert "atlas-banner" not in (clean / "index.html").read_text()
