"""Bad input: one clear line on stderr, exit code 2, store untouched."""

import subprocess
import sys

import pytest

from generate.cli import main
from tests.conftest import write_config


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


@pytest.mark.parametrize("model, layers, message", [
    ("resnet9000", {"a": "all"}, "unknown model 'resnet9000'; valid: efficientnet_lite0"),
    ("efficientnet_lite0", {"blocks.99.dw": "all"}, "unknown layer 'blocks.99.dw' for efficientnet_lite0; valid layers: stem"),
    ("efficientnet_lite0", {"blocks.1.dw": "90-96"}, "unit 96 out of range for efficientnet_lite0 blocks.1.dw: it has 96 units"),
    ("inceptionv1", {"mixed4a": "all"}, "InceptionV1 weights not found"),
])
def test_bad_model_layer_unit_weights(tmp_path, photo_dir, capsys, monkeypatch, model, layers, message):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    store = tmp_path / "store"
    config = write_config(tmp_path / "c.yaml", photo_dir, store, layers, model=model)
    assert main(["atlas", "--config", str(config), "--quiet", "--out", str(tmp_path / "docs")]) == 2
    assert message in _one_error_line(capsys)
    assert not store.exists() and not (tmp_path / "docs").exists()


def test_bad_dataset_folders(tmp_path, capsys):
    store = tmp_path / "store"
    config = write_config(tmp_path / "c.yaml", tmp_path / "missing", store, {"blocks.1.dw": [0]})
    assert main(["exemplars", "--config", str(config), "--quiet"]) == 2
    assert "dataset folder not found" in _one_error_line(capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.jpg").write_bytes(b"")
    assert main(["exemplars", "--config", str(config), "--dataset", str(empty), "--quiet"]) == 2
    assert "no readable images" in _one_error_line(capsys)
    assert not store.exists()


def test_malformed_config(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [\n  - {model: efficientnet_lite0\n")
    assert main(["atlas", "--config", str(bad)]) == 2
    assert "not valid YAML" in _one_error_line(capsys)


def test_layers_command_lists_units(capsys):
    assert main(["layers", "--model", "efficientnet_lite0"]) == 0
    out = capsys.readouterr().out
    assert "blocks.9.dw" in out and "672" in out


@pytest.mark.parametrize("command", ["atlas", "exemplars", "featurevis", "site", "layers", "bench"])
def test_help_explains_each_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m generate " + command in capsys.readouterr().out


def test_real_process_prints_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "generate", "layers", "--model", "nonet"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "Traceback" not in result.stderr
