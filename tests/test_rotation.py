"""Rotation about a point, joint tuning and the verdicts of Arguments 3 and 4."""

import json

import numpy as np
import torch
from torch import nn

from generate.stages import rotation
from generate.cli import main
from generate.data import scan_images
from generate.models.receptive_field import compute_receptive_field
from generate.analysis.stimuli import Canvas, edge
from tests.conftest import write_config


def test_rotation_is_exact_for_quarter_turns_and_counter_clockwise():
    image = torch.rand(3, 64, 64)
    turned = rotation.rotate_about(image, (32.0, 32.0), [0.0, 90.0, 180.0, 270.0])
    for k in range(4):
        torch.testing.assert_close(turned[k], torch.rot90(image, k, dims=(1, 2)), atol=1e-5, rtol=0)
    canvas = Canvas(64, (32.0, 32.0))
    light_right = torch.from_numpy(edge(canvas, 0.0, 30)).permute(2, 0, 1).float()
    light_up = torch.from_numpy(edge(canvas, 90.0, 30)).permute(2, 0, 1).float()
    torch.testing.assert_close(rotation.rotate_about(light_right, (32.0, 32.0), [90.0])[0], light_up, atol=1e-5, rtol=0)


def test_windowed_rotation_equals_the_whole_image(lite0, photo_dir):
    images = scan_images(photo_dir)
    for layer, position in (("blocks.1.dw", (20, 30)), ("blocks.6.dw", (6, 7))):
        field = compute_receptive_field(lite0, layer)
        assert rotation.window_for(field, position, 224) is not None
        exemplars = [rotation.Exemplar(0, 1, position)]
        sources = {1: str(images.paths[1])}
        windowed = rotation.rotation_responses(lite0, layer, [0, 4], exemplars, sources, field, [0.0, 30.0])
        full = rotation.rotation_responses(lite0, layer, [0, 4], exemplars, sources, _huge(field), [0.0, 30.0])
        np.testing.assert_allclose(windowed, full, rtol=1e-5, atol=1e-6)
        as_bytes = rotation.rotation_responses(lite0, layer, [0, 4], exemplars, {1: images.paths[1].read_bytes()},
                                               field, [0.0, 30.0])
        np.testing.assert_array_equal(windowed, as_bytes)  # what a worker without the files computes


def _huge(field):
    """The same field declared larger than the image: forces the whole-image path."""
    from dataclasses import replace

    return replace(field, size=10_000)


class EdgeBank(nn.Module):
    """Eight step-edge detectors, light side toward 0, 45, ..., 315 degrees."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 9, padding=4, bias=False)
        y, x = np.mgrid[-4:5, -4:5]
        with torch.no_grad():
            for k in range(8):
                theta = np.deg2rad(45 * k)
                along = x * np.cos(theta) - y * np.sin(theta)  # image rows point down
                kernel = np.clip(along, -1, 1) * (np.hypot(x, y) <= 4.5)
                self.conv.weight[k] = torch.from_numpy(kernel).float().expand(3, 9, 9) / 40
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


def edge_bank():
    return EdgeBank(), {"mean": [0, 0, 0], "std": [1, 1, 1], "input_size": 96}


def test_hand_built_family_passes_all_four_arguments(tmp_path, photo_dir):
    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", {"relu": "all"},
                          model="tests.test_rotation:edge_bank", exemplars={"k": 4},
                          featurevis={"size": 48, "steps": 48, "batch": 8})
    text = config.read_text() + "rotation: {step: 15.0, k: 4}\n"
    config.write_text(text)
    assert main(["atlas", "--config", str(config), "--no-build", "--out", str(tmp_path / "docs"), "--quiet"]) == 0
    verdicts = {int(p.stem): json.loads(p.read_text())["verdicts"]
                for p in (tmp_path / "store").glob("tests.test_rotation-edge_bank-*/relu/verdicts-*/*.json")
                if p.stem.isdigit()}
    assert len(verdicts) == 8
    families = {int(p.stem): json.loads(p.read_text())["family"]
                for p in (tmp_path / "store").glob("tests.test_rotation-edge_bank-*/relu/synthetic-*/*.json")
                if p.stem.isdigit()}
    for unit, family in families.items():
        assert family["label"] == "line/edge" and family["preferred"]["orientation"] == 45.0 * unit
    assert all(v["synthetic_examples"]["passed"] for v in verdicts.values())
    joint = [v["joint_tuning"] for v in verdicts.values()]
    assert sum(j["passed"] for j in joint) >= 6, [j["reason"] for j in joint]
    # the random-init control of the same architecture: its units mostly fail Argument 4
    assert sum(bool(j["control_passed"]) for j in joint) <= 2
    # Arguments 1 and 2, measured on images without the network: each seed's feature
    # visualization and most strongest exemplars show contours along the edge (45 k + 90 degrees)
    for unit, v in verdicts.items():
        assert v["feature_visualization"]["expected"] == (45.0 * unit + 90.0) % 180.0
        assert len(v["feature_visualization"]["seeds"]) == 2 and v["dataset_examples"]["strong"]
    for key in ("feature_visualization", "dataset_examples"):
        assert sum(v[key]["passed"] for v in verdicts.values()) >= 6, [v[key]["reason"] for v in verdicts.values()]
        assert all(set(v[key]) >= {"passed", "score", "criterion", "control_score"} for v in verdicts.values())
