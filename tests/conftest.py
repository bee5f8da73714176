"""Shared fixtures. Tests needing ../shared/datasets skip cleanly where it is absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from generate.config import SHARED_IMAGENET
from generate.data import packaged_photo_paths

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def lite0():
    from generate.models import load_model

    return load_model("efficientnet_lite0")


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory) -> Path:
    """Eight real photos (shipped in scikit-image / matplotlib), in a nested folder."""
    root = tmp_path_factory.mktemp("photos")
    (root / "nested").mkdir()
    for i, path in enumerate(packaged_photo_paths()[:8]):
        shutil.copy(path, (root / "nested" if i % 2 else root) / path.name)
    return root


@pytest.fixture(scope="session")
def imagenet_sample() -> Path:
    if not SHARED_IMAGENET.is_dir():
        pytest.skip("../shared/datasets/imagenet-sample not present (fresh clone)")
    return SHARED_IMAGENET


def write_config(path: Path, dataset: Path | str, store: Path, layers: dict, model: str = "efficientnet_lite0",
                 **stages) -> Path:
    import yaml

    data = {"title": "Test atlas", "dataset": str(dataset), "store": str(store),
            "models": [{"model": model, "layers": layers}],
            "featurevis": {"size": 32, "steps": 4, "batch": 4, **stages.get("featurevis", {})},
            "exemplars": {"k": 3, "batch": 4, **stages.get("exemplars", {})}}
    path.write_text(yaml.safe_dump(data))
    return path


LAYERS = {"blocks.1.dw": "0-2", "blocks.6.dw": [5, 7]}


@pytest.fixture(scope="session")
def built(tmp_path_factory, photo_dir):
    """A tiny atlas on real Lite0 weights, computed, rendered and built once per session."""
    from generate.cli import main

    root = tmp_path_factory.mktemp("atlas")
    config = write_config(root / "tiny.yaml", photo_dir, root / "store", LAYERS)
    code = main(["atlas", "--config", str(config), "--out", str(root / "docs"), "--site", str(root / "site"), "--quiet"])
    assert code == 0
    return root, config
