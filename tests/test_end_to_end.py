"""The whole pipeline on real EfficientNet-Lite0 weights, a tiny config and eight photos."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from generate.stages import dataset as exemplars, featurevis, synthetic
from generate.cli import main
from generate.analysis.families import FAMILIES, ORIENTED
from generate.store import TMP_PREFIX
from generate.store import runlog
from generate.store.lock import LOCK_NAME
from generate.store.runlog import RUNS_NAME
from tests.conftest import LAYERS, write_config


def _store_files(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime_ns for p in (root / "store").rglob("*")
            if p.is_file() and "manifests" not in p.parts and p.name not in (LOCK_NAME, RUNS_NAME)}  # run bookkeeping


def test_site_has_every_page_and_json(built):
    root, _ = built
    site = root / "site"
    assert (site / "index.html").is_file() and (site / "methods" / "index.html").is_file()
    assert (site / "efficientnet_lite0" / "index.html").is_file()
    for layer, units in (("blocks.1.dw", [0, 1, 2]), ("blocks.6.dw", [5, 7])):
        layer_page = (site / "efficientnet_lite0" / layer / "index.html").read_text()
        for unit in units:
            assert f'href="{unit}/"' in layer_page
            page = (site / "efficientnet_lite0" / layer / str(unit) / "index.html").read_text()
            assert f"efficientnet_lite0 / {layer} / {unit}" in page
            record = json.loads((site / "efficientnet_lite0" / layer / f"{unit}.json").read_text())
            assert {"model", "layer", "unit", "featurevis", "exemplars", "stats"} <= set(record)
            assert (record["model"], record["layer"], record["unit"]) == ("efficientnet_lite0", layer, unit)
            assert len(record["exemplars"]) == 3
            assert record["stats"]["std"] > 0
            for exemplar in record["exemplars"]:
                assert (site / "efficientnet_lite0" / layer / exemplar["file"]).is_file()
            fv_image = site / "efficientnet_lite0" / layer / record["featurevis"]["positive"]["files"][0]
            assert fv_image.is_file()
            # every number shown on the page is in the JSON
            assert f'{record["stats"]["max"]:.3g}' in page
            for exemplar in record["exemplars"]:
                assert (site / "efficientnet_lite0" / layer / exemplar["heatmap"]).is_file()
            assert record["family"]["label"] in FAMILIES
            assert set(record["synthetic"]["curve"]["variants"]) == {"standard", "inverted", "fill", "grey"}


def test_control_and_feature_maps_are_stored(built):
    root, config = built
    manifest = json.loads((root / "store" / "manifests" / "tiny.json").read_text())
    model = manifest["models"][0]
    assert model["control"]["name"] == "efficientnet_lite0@random:0"
    trained = {layer["name"]: layer for layer in model["layers"]}
    for layer in model["control"]["layers"]:
        stored = sorted((root / "store" / layer["stages"]["synthetic"]).glob("*.json"))
        assert len([p for p in stored if p.stem.isdigit()]) == len(layer["units"])
        # Argument 1 visualizes the trained model's oriented units, and the control's same units
        # (measured at the trained units' predictions), at every seed
        own = trained[layer["name"]]
        labels = {int(p.stem): json.loads(p.read_text())["family"]["label"]
                  for p in (root / "store" / own["stages"]["synthetic"]).glob("*.json") if p.stem.isdigit()}
        oriented = {unit for unit, label in labels.items() if label in ORIENTED}
        for who in (layer, own):
            for folder in who["featurevis_seeds"].values():
                drawn = {int(p.stem) for p in (root / "store" / folder).glob("*.json") if p.stem.isdigit()}
                assert drawn == oriented
    for layer in model["layers"]:
        maps = layer["feature_maps"]
        assert len(maps["files"]) == 3
        for photo in maps["files"]:
            assert (root / "store" / maps["dir"] / photo["file"]).is_file()


def test_neuron_pages_stay_out_of_the_nav(built):
    root, _ = built
    home = (root / "site" / "index.html").read_text()
    # the navigation: the tabs and the primary sidebar, up to the page's own table of contents
    nav = home[home.index('<nav class="md-tabs"'):home.index('<div class="md-sidebar md-sidebar--secondary"')]
    assert "blocks.6.dw/5/" in home and "blocks.6.dw/5/" not in nav  # the home mosaic links units; the nav does not


def test_rerun_recomputes_nothing(built, monkeypatch):
    root, config = built
    before = _store_files(root)

    def forbidden(*args, **kwargs):
        raise AssertionError("a stage ran although every result is stored")

    monkeypatch.setattr(featurevis, "visualize", forbidden)
    monkeypatch.setattr(exemplars, "scan_dataset", forbidden)
    monkeypatch.setattr(synthetic, "respond", forbidden)
    assert main(["atlas", "--config", str(config), "--out", str(root / "docs"), "--site", str(root / "site"), "--quiet"]) == 0
    assert _store_files(root) == before


def test_new_unit_computes_only_that_unit(built, monkeypatch, tmp_path, photo_dir):
    root, _ = built
    config = write_config(tmp_path / "more.yaml", photo_dir, root / "store", {**LAYERS, "blocks.6.dw": [5, 7, 9]})
    calls = []
    real = featurevis.visualize
    monkeypatch.setattr(featurevis, "visualize", lambda m, layer, units, *a, **k: calls.append((layer, list(units))) or real(m, layer, units, *a, **k))
    assert main(["featurevis", "--config", str(config), "--quiet"]) == 0
    assert calls == [("blocks.6.dw", [9])]


def test_interrupted_run_resumes(tmp_path, photo_dir, monkeypatch, capsys):
    from generate.store import StageStore

    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", {"blocks.1.dw": "0-5"},
                          featurevis={"batch": 2})
    real_save = StageStore.save
    saved = []

    def save_then_die(self, unit, record, files=None):
        if len(saved) == 3:
            (self.dir / f"{TMP_PREFIX}half-written").write_bytes(b"x")  # what a kill mid-write leaves
            raise KeyboardInterrupt
        real_save(self, unit, record, files)
        saved.append(unit)

    monkeypatch.setattr(StageStore, "save", save_then_die)
    assert main(["featurevis", "--config", str(config), "--quiet"]) == 130
    monkeypatch.setattr(StageStore, "save", real_save)
    done = {p: p.stat().st_mtime_ns for p in (tmp_path / "store").rglob("*.json") if p.stem.isdigit()}
    assert len(done) == 3
    capsys.readouterr()
    assert main(["featurevis", "--config", str(config), "--quiet"]) == 0
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "store").rglob("*.json") if p.stem.isdigit()}
    assert len(after) == 6
    assert all(after[p] == t for p, t in done.items()), "finished units must not be recomputed"
    assert not list((tmp_path / "store").rglob(f"{TMP_PREFIX}*"))
    # each run's cost is logged, the interrupted one too, so the whole computation's time can be stated
    runs = runlog.history(tmp_path / "store")
    assert [r.finished for r in runs] == [False, True] and all(r.cpu_s > 0 and r.wall_s > 0 for r in runs)
    total = runlog.hms(sum(r.cpu_s for r in runs))
    assert "this store took 2 runs: " in capsys.readouterr().err and total in runlog.summary(runs[-1], runs)


def test_killed_process_resumes(tmp_path, photo_dir):
    """SIGKILL a real run once its first unit is stored; the next run completes the rest."""
    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", {"blocks.1.dw": "0-7"},
                          featurevis={"batch": 1, "steps": 30})
    command = [sys.executable, "-m", "generate", "featurevis", "--config", str(config), "--quiet"]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "store").rglob("0.json")):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    units = lambda: sorted(int(p.stem) for p in (tmp_path / "store").rglob("*.json") if p.stem.isdigit())
    assert 1 <= len(units()) < 8
    for path in (tmp_path / "store").rglob("*.json"):
        json.loads(path.read_text())  # every stored record is whole
    result = subprocess.run(command, cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert units() == list(range(8))


def test_names_are_escaped(tmp_path, photo_dir):
    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", {"blocks.1.dw": [0]})
    text = config.read_text().replace("Test atlas", "<script>alert(1)</script>")
    config.write_text(text)
    assert main(["atlas", "--config", str(config), "--out", str(tmp_path / "docs"), "--site", str(tmp_path / "site"), "--quiet"]) == 0
    home = (tmp_path / "site" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in home
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home
