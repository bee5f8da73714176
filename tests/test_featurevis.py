import numpy as np
import torch

from generate.config import FeatureVisParams
from generate.models.layers import PRE, capture, run_until
from generate.stages.optimisation import visualize
from generate.stages.transforms import Transforms

PARAMS = FeatureVisParams(size=32, steps=12, batch=8, lr=0.05)


def test_batched_channels_equal_one_at_a_time(lite0):
    batched = visualize(lite0, "blocks.2.dw", [3, 17, 40], PARAMS)
    alone = visualize(lite0, "blocks.2.dw", [17], PARAMS)
    a, b = batched[17].images.astype(int), alone[17].images.astype(int)
    assert a.shape == b.shape == (1, 32, 32, 3)
    assert np.abs(a - b).max() <= 2, "batching must not change a unit's image beyond float noise"
    assert abs(batched[17].objective - alone[17].objective) < 1e-3 * max(1.0, abs(alone[17].objective))
    assert not np.array_equal(batched[3].images, batched[17].images)


def test_optimisation_raises_the_unit_above_its_starting_point(lite0):
    start = visualize(lite0, "blocks.6.dw", [5, 7], FeatureVisParams(size=48, steps=0, batch=8))
    after = visualize(lite0, "blocks.6.dw", [5, 7], FeatureVisParams(size=48, steps=24, batch=8))
    for unit in (5, 7):
        assert after[unit].objective > start[unit].objective + 0.1


def test_negative_and_diversity_sets(lite0):
    params = FeatureVisParams(size=32, steps=16, batch=8)
    positive = visualize(lite0, "blocks.6.dw", [5], params)
    negative = visualize(lite0, "blocks.6.dw", [5], params, sign=-1.0)
    assert negative[5].objective < positive[5].objective
    diverse = visualize(lite0, "blocks.6.dw", [5, 7], params, group=3)
    assert diverse[5].images.shape == (3, 32, 32, 3)
    assert not np.array_equal(diverse[5].images[0], diverse[5].images[1])


def test_neuron_objective_raises_the_centre_position(lite0):
    params = FeatureVisParams(size=48, steps=0, batch=8)
    start = visualize(lite0, "blocks.6.dw", [5, 7], params, kind="neuron", size=48)
    after = visualize(lite0, "blocks.6.dw", [5, 7], FeatureVisParams(size=48, steps=24, batch=8), kind="neuron",
                      size=48)
    for unit in (5, 7):
        assert after[unit].objective > start[unit].objective + 0.5


class SilentBelow(torch.nn.Module):
    """conv -> ReLU that is off everywhere at the start (bias -50) -> conv: the unit above gets no
    ordinary gradient, so without redirection its visualization stays the grey it started from."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.relu = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(4, 2, 3, padding=1)
        with torch.no_grad():
            self.conv1.weight.normal_(0, 0.2, generator=torch.Generator().manual_seed(0))
            self.conv1.bias.fill_(-50.0)
            self.conv2.weight.fill_(0.1)

    def forward(self, x):
        return self.conv2(self.relu(self.conv1(x)))


def silent_below():
    return SilentBelow(), {"mean": [0.5] * 3, "std": [0.5] * 3, "input_size": 32}


def test_a_unit_silent_at_the_start_still_gets_a_visualization():
    from generate.models import load_model
    from generate.models.layers import redirected_relus

    model = load_model("tests.test_featurevis:silent_below")
    params = FeatureVisParams(size=32, steps=30, batch=4, lr=0.2)
    result = visualize(model, "conv2", [0], params)[0]
    spread = result.images.astype(float).std()
    assert spread > 5, f"the image stayed flat grey (std {spread:.2f}): no gradient reached it"
    with redirected_relus(model.module):
        assert not any(isinstance(m, torch.nn.ReLU) for m in model.module.modules())
    assert isinstance(model.module.relu, torch.nn.ReLU), "the original ReLU is restored afterwards"


def _centre_response(model, layer: str, unit: int, image: torch.Tensor) -> float:
    spec = model.layer(layer)
    with torch.no_grad(), capture([spec], stop_after=spec) as acts:
        run_until(model.module, model.preprocess(image))
    response = acts[spec.name + PRE]
    return float(response[0, unit, response.shape[2] // 2, response.shape[3] // 2])


def test_the_objective_is_read_where_the_steps_drove_it(lite0):
    """Every step sees the canvas padded (6 px a side on 64 px): at blocks.6.dw (stride 16) the centre
    position of that frame lies 2 px from the canvas centre, that of the bare canvas 8 px, another
    position. Read on the bare canvas, unit 309's visualization measured -2.7 and was flagged as failed."""
    params = FeatureVisParams(size=64, steps=32, batch=8)
    result = visualize(lite0, "blocks.6.dw", [309, 50, 5], params, kind="neuron", size=64)
    framing = Transforms.for_canvas(64)
    for unit, vis in result.items():
        image = torch.tensor(vis.images[0] / 255.0, dtype=torch.float32).permute(2, 0, 1)[None]
        bare = _centre_response(lite0, "blocks.6.dw", unit, image)
        framed = _centre_response(lite0, "blocks.6.dw", unit, framing.framed(image))
        assert abs(vis.objective - framed) < 0.05 * abs(framed) + 0.05  # the image as saved (8 bits)
        assert vis.objective > bare + 2 and vis.objective > 0, (unit, vis.objective, bare)
