"""Survey proportions: intervals that hold at the edges, and a test that separates only real differences."""

from collections import Counter

from generate.analysis.census import LayerCensus
from generate.analysis.proportions import proportion, wilson


def _layer(trained: dict[str, int], control: dict[str, int], units: int = 100) -> LayerCensus:
    labels = {i: None for i in range(units)}
    return LayerCensus(name="l", depth=0.5, band="middle", units=units, channels=units, labels=labels, counts=Counter(trained),
                       control_units=units, control_labels=dict(labels), control_counts=Counter(control),
                       rotation_computed=False, rotation={}, rotation_families={}, control_rotation_families=None,
                       verdicts={}, verdict_rows=[])


def test_wilson_interval_contains_the_proportion_and_stays_in_0_1():
    for k, n in ((0, 10), (3, 10), (10, 10), (7, 32), (500, 1000)):
        low, high = wilson(k, n)
        assert 0.0 <= low <= k / n <= high <= 1.0
    assert wilson(0, 0) is None
    low, high = wilson(50, 100)
    assert abs(low - 0.404) < 0.001 and abs(high - 0.596) < 0.001  # the textbook value


def test_a_family_far_more_common_than_in_the_control_has_a_small_p_value():
    layer = _layer({"curve": 30}, {"curve": 2})
    p = proportion(layer, "curve")
    assert p.fraction == 0.3 and p.control_fraction == 0.02 and p.p_value < 1e-6
    assert p.interval[0] > p.control_interval[1]  # the intervals do not overlap
    same = proportion(_layer({"curve": 10}, {"curve": 9}), "curve")
    assert same.p_value > 0.5
