import numpy as np

from generate.config import FeatureVisParams
from generate.stages.featurevis import visualize

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
