"""Family labels: hand-built units with a known preference, batching, and the random-init control."""

import collections

import numpy as np
import torch
from torch import nn

from generate.config import BatteryParams, ExemplarParams, FamilyParams
from generate.data import scan_images
from generate.stages.accumulate import unit_stats
from generate.stages.dataset import scan_dataset
from generate.analysis.families import label
from generate.models import load_model
from generate.models.receptive_field import compute_receptive_field
from generate.analysis.stimuli import battery
from generate.stages import synthetic

PARAMS = BatteryParams(orientation_step=30.0)


class EdgeNet(nn.Module):
    """Unit 0: a vertical edge detector, light on the right (edge orientation 0 degrees).
    Unit 1: a red detector (red minus the mean of green and blue), 1x1 after a 9x9 blur."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 9, padding=4)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.bias.zero_()
            self.conv.weight[0, :, :, 5:] = 1.0
            self.conv.weight[0, :, :, :4] = -1.0
            self.conv.weight[1, 0] = 1.0 / 81
            self.conv.weight[1, 1:] = -0.5 / 81
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


def edge_net():
    return EdgeNet(), {"mean": [0, 0, 0], "std": [1, 1, 1], "input_size": 64}


def _labels(model, layer, units, images, params=PARAMS):
    stimuli = battery(params)
    field = compute_receptive_field(model, layer)
    raw = synthetic.respond(model, layer, units, stimuli, field, params)
    stats = scan_dataset(model, {layer: units}, images, ExemplarParams(), progress=False)[layer]
    return [label(stimuli, raw[:, i], unit_stats(stats, i).mean, unit_stats(stats, i).std, FamilyParams())
            for i in range(len(units))], raw


def test_hand_built_units_get_their_family_and_orientation(photo_dir):
    model = load_model("tests.test_families:edge_net")
    (edge_unit, red_unit), _ = _labels(model, "relu", [0, 1], scan_images(photo_dir))
    assert edge_unit.label == "line/edge", edge_unit.label
    assert edge_unit.preferred["kind"] == "edge" and edge_unit.preferred["orientation"] == 0.0
    assert red_unit.label == "colour/hue", red_unit.label
    assert red_unit.preferred["hue"] == 0.0


def test_batched_responses_equal_one_at_a_time(lite0):
    stimuli = battery(PARAMS)[::25]
    field = compute_receptive_field(lite0, "blocks.6.dw")
    batched = synthetic.respond(lite0, "blocks.6.dw", [3, 5, 9], stimuli, field, PARAMS)
    single = np.concatenate([synthetic.respond(lite0, "blocks.6.dw", [3, 5, 9], [s], field, PARAMS) for s in stimuli])
    np.testing.assert_allclose(batched, single, rtol=1e-4, atol=1e-5)


def test_curve_label_separates_trained_from_random_init():
    """On 96 units of blocks.9.dw, statistics from the packaged photos: measured 11 curve units
    in the trained network and 0 in its random-init copy."""
    images = scan_images(None)
    counts = {}
    for name in ("efficientnet_lite0", "efficientnet_lite0@random:0"):
        labels, _ = _labels(load_model(name), "blocks.9.dw", list(range(96)), images, BatteryParams())
        counts[name] = collections.Counter(l.label for l in labels)["curve"]
    assert counts["efficientnet_lite0"] >= 5, counts
    assert counts["efficientnet_lite0@random:0"] <= 1, counts
