"""Training the project's CIFAR-10 CNNs. A tiny synthetic CIFAR-10 folder (10 classes of
32x32 JPEGs) keeps these tests fast and independent of ../shared, so they never skip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from generate import train as train_module
from generate.cli import main
from generate.errors import AtlasError
from generate.models import load_model
from generate.models import cifar as cifar_module
from generate.models.cifar import CLASSES, SmallCNN, TrainSettings, load_settings
from generate.train import load_cifar10, load_trained, train

TINY = TrainSettings("tiny", width=4, depth=3, kernel=3, augment="rotation", seed=0, epochs=2, batch=16, lr=0.05)


@pytest.fixture(scope="module")
def tiny_cifar(tmp_path_factory) -> Path:
    """6 training and 2 test images per class: a class colour plus noise."""
    root = tmp_path_factory.mktemp("cifar10")
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("test", 2)):
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            colour = np.array([label * 25, 255 - label * 25, (label * 70) % 256])
            for i in range(count):
                pixels = np.clip(colour + rng.normal(0, 30, (32, 32, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i:04d}.jpg")
    return root


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_cifar) -> Path:
    """A working directory with store/ holding TINY, trained, and a settings file naming it."""
    root = tmp_path_factory.mktemp("work")
    (root / "cifar.yaml").write_text(yaml.safe_dump([dataclasses.asdict(TINY), {"name": "untrained", "width": 4}]))
    train(TINY, root / "store", "cpu", progress=False, data_root=tiny_cifar)
    return root


@pytest.fixture
def in_workdir(workdir, monkeypatch) -> Path:
    """Run from `workdir`, as the registry finds store/ and the settings file from there."""
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(cifar_module, "DEFAULT_SETTINGS", workdir / "cifar.yaml")
    return workdir


def _batch() -> torch.Tensor:
    return torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))


def test_small_cnn_layers_are_readable_and_fire_once():
    model = SmallCNN(TrainSettings("x", width=8, depth=5))
    names = [name for name, _ in model.named_modules()]
    assert ["features.conv1", "features.bn1", "features.relu1", "features.conv2"] == names[2:6]
    assert "features.pool2" in names and "features.pool3" not in names  # no pool after the last conv
    relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    assert len(relus) == 5 and not any(r.inplace for r in relus)
    assert model(_batch()).shape == (4, 10)
    assert model.features.conv5.out_channels == 8 * 4  # doubled every 2 conv layers


def test_training_writes_a_complete_folder(workdir, tiny_cifar):
    done = load_trained(workdir / "store" / "trained" / TINY.folder_name)
    assert {p.name for p in done.folder.iterdir()} == {"weights.pt", "settings.json", "metrics.json", "metrics.sums"}
    assert json.loads((done.folder / "settings.json").read_text()) == dataclasses.asdict(TINY)
    metrics = done.metrics
    assert len(metrics["train_loss"]) == TINY.epochs and all(np.isfinite(metrics["train_loss"]))
    assert 0 <= metrics["test_accuracy"] <= 1 and metrics["train_images"] == 60 and metrics["test_images"] == 20
    assert metrics["torch"] == torch.__version__ and metrics["seconds"] >= 0
    assert list(metrics["class_accuracy"]) == list(CLASSES)


def test_weights_reload_exactly_and_training_is_deterministic(tmp_path, tiny_cifar):
    settings = dataclasses.replace(TINY, augment="flip", seed=3)
    fresh = train(settings, tmp_path / "a", "cpu", progress=False, data_root=tiny_cifar)
    reloaded = load_trained(fresh.folder)
    again = train(settings, tmp_path / "b", "cpu", progress=False, data_root=tiny_cifar)
    for name, tensor in fresh.model.state_dict().items():
        assert torch.equal(tensor, reloaded.model.state_dict()[name]), name
        assert torch.equal(tensor, again.model.state_dict()[name]), f"not deterministic: {name}"
    with torch.no_grad():
        assert torch.equal(fresh.model(_batch()), reloaded.model(_batch()))
    other_seed = train(dataclasses.replace(settings, seed=4), tmp_path / "a", "cpu", progress=False,
                       data_root=tiny_cifar)
    assert other_seed.folder != fresh.folder
    assert not torch.equal(other_seed.model.features.conv1.weight, fresh.model.features.conv1.weight)


def test_second_call_reuses_without_training(workdir, monkeypatch, capsys):
    first = load_trained(workdir / "store" / "trained" / TINY.folder_name)

    def refuse(*args, **kwargs):
        raise AssertionError("must not decode the dataset or train again")

    monkeypatch.setattr(train_module, "load_cifar10", refuse)
    monkeypatch.setattr(train_module, "_fit", refuse)
    again = train(TINY, workdir / "store", "cpu", progress=False)
    assert again.reused and again.metrics == first.metrics and again.folder == first.folder
    assert "already trained" in capsys.readouterr().err


def test_decoded_dataset_is_cached_in_the_store(workdir, tiny_cifar, monkeypatch):
    assert len(list((workdir / "store" / "datasets").glob("cifar10-*/train-images.npy"))) == 1
    monkeypatch.setattr(train_module, "_decode_split", lambda *args: pytest.fail("decoded again"))
    splits = load_cifar10(tiny_cifar, workdir / "store", progress=False)
    images, labels = splits["train"]
    assert images.shape == (60, 32, 32, 3) and images.dtype == np.uint8
    assert list(np.bincount(labels)) == [6] * 10


def test_subset_uses_a_seeded_part_of_the_training_images(tmp_path, tiny_cifar):
    done = train(dataclasses.replace(TINY, subset=20, epochs=1), tmp_path, "cpu", progress=False,
                 data_root=tiny_cifar)
    assert done.metrics["train_images"] == 20


def test_missing_dataset_is_one_clear_error(tmp_path):
    with pytest.raises(AtlasError, match="CIFAR-10 not found at .*expected train/<class>/\\*.jpg"):
        train(TINY, tmp_path / "store", "cpu", progress=False, data_root=tmp_path / "nothing")
    assert not (tmp_path / "store").exists()


def test_registry_loads_trained_model(in_workdir):
    trained = load_trained(in_workdir / "store" / "trained" / TINY.folder_name)
    model = load_model("cifar:tiny")
    assert not model.random_init and model.preprocess.input_size == 32
    assert model.preprocess.mean == cifar_module.CIFAR10_MEAN
    assert ["features.conv1", "features.bn1", "features.relu1"] == list(model.infos)[:3]
    assert {"features.relu2", "features.pool1", "features.relu3"} <= set(model.infos)
    assert model.infos["features.relu3"].channels == 8 and model.infos["features.relu3"].height == 16
    with torch.no_grad():
        torch.testing.assert_close(model.module(_batch()), trained.model(_batch()))
    by_folder = load_model("cifar:tiny", weights=str(trained.folder))
    by_file = load_model("cifar:tiny", weights=str(trained.weights))
    assert model.weights_hash == by_folder.weights_hash == by_file.weights_hash


def test_registry_errors_are_one_line(in_workdir):
    with pytest.raises(AtlasError, match="cifar:untrained is not trained yet: run `python -m generate train "
                                         "--name untrained`"):
        load_model("cifar:untrained")
    with pytest.raises(AtlasError, match="unknown CIFAR-10 model 'nonet'"):
        load_model("cifar:nonet")
    with pytest.raises(AtlasError, match="holds the trained model 'tiny', not 'other'"):
        load_model("cifar:other", weights=str(in_workdir / "store" / "trained" / TINY.folder_name))


def test_random_init_needs_no_trained_weights(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no store/ here
    name = next(iter(load_settings()))  # the project's configs/cifar.yaml
    random0 = load_model(f"cifar:{name}@random:0")
    again = load_model(f"cifar:{name}@random:0")
    assert random0.random_init and random0.weights_hash == again.weights_hash
    assert "features.relu2" in random0.infos
    with pytest.raises(AtlasError, match="is not trained yet"):
        load_model(f"cifar:{name}")


def test_project_settings_file_is_valid():
    settings = load_settings()
    assert len(settings) >= 3
    assert len({s.width for s in settings.values()}) > 1 and len({s.seed for s in settings.values()}) == len(settings)
    assert any(s.augment == "rotation" for s in settings.values())


@pytest.mark.parametrize("content, message", [
    ("- {name: a, widht: 8}", "unknown key\\(s\\) widht in cifar.yaml\\[0\\]; valid: name, width"),
    ("- {name: a, width: wide}", "cifar.yaml\\[0\\].width must be int, got 'wide'"),
    ("- {name: a, epochs: true}", "cifar.yaml\\[0\\].epochs must be int, got True"),
    ("- {name: a, subset: 1.5}", "cifar.yaml\\[0\\].subset must be int or null, got 1.5"),
    ("- {name: a, augment: mirror}", "cifar.yaml\\[0\\].augment must be one of none, flip, rotation"),
    ("- {name: a, kernel: 4}", "kernel must be odd"),
    ("- {name: 'a b'}", "name must use only letters"),
    ("- {width: 8}", "'name' is required"),
    ("- {name: a}\n- {name: a}", "duplicate name 'a'"),
    ("name: a", "must be a non-empty YAML list"),
    ("- {name: a", "not valid YAML"),
])
def test_bad_settings_file_is_one_line_error(tmp_path, content, message):
    path = tmp_path / "cifar.yaml"
    path.write_text(content)
    with pytest.raises(AtlasError, match=message) as error:
        load_settings(path)
    assert "\n" not in str(error.value)


def test_cli_trains_and_prints_a_table(tmp_path, workdir, tiny_cifar, capsys):
    settings = str(workdir / "cifar.yaml")
    assert main(["train", "--settings", settings, "--name", "tiny", "--dataset", str(tiny_cifar),
                 "--store", str(tmp_path), "--epochs", "1", "--subset", "30", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["name", "test", "acc", "seconds", "status", "folder"]
    assert out[1].split()[0] == "tiny" and "trained" in out[1]
    assert main(["train", "--settings", settings, "--name", "nope", "--store", str(tmp_path), "--quiet"]) == 2
    assert "error: unknown training name 'nope'" in capsys.readouterr().err


def test_cli_train_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m generate train" in out and "--epochs" in out and "cifar:NAME" in out
