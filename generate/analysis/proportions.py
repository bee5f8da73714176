"""Family counts per layer as proportions with intervals, trained against the random-init control:
the survey of complete layers ("lines and colour early, curves in the middle") answered with
every unit and a measure of its uncertainty, not a count in a sample."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import fisher_exact

from generate.analysis.census import LayerCensus, ModelCensus

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal: 95% intervals


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (well behaved at 0 and at small counts)."""
    if trials <= 0:
        return None
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    # at 0 and n successes the interval touches the bound exactly (rounding would leave it a hair off)
    return (0.0 if successes == 0 else max(0.0, centre - half)), (1.0 if successes == trials else min(1.0, centre + half))


@dataclass
class Proportion:
    """How many of a layer's labelled units carry a family, in the trained model and its control."""

    family: str
    trained: int
    labelled: int
    fraction: float | None
    interval: tuple[float, float] | None
    control: int | None
    control_labelled: int | None
    control_fraction: float | None
    control_interval: tuple[float, float] | None
    p_value: float | None  # Fisher's exact test, two-sided: trained and control proportions equal


def proportion(layer: LayerCensus, family: str) -> Proportion:
    trained, labelled = layer.count(family), layer.labelled
    control, control_labelled = layer.control_count(family), layer.control_labelled
    p_value = None
    if control is not None and control_labelled and labelled:
        table = [[trained, labelled - trained], [control, control_labelled - control]]
        p_value = float(fisher_exact(table).pvalue)
    return Proportion(
        family=family, trained=trained, labelled=labelled, fraction=trained / labelled if labelled else None,
        interval=wilson(trained, labelled), control=control, control_labelled=control_labelled,
        control_fraction=control / control_labelled if control is not None and control_labelled else None,
        control_interval=wilson(control, control_labelled) if control is not None and control_labelled else None,
        p_value=p_value)


def layer_proportions(entry: ModelCensus, families: list[str]) -> list[tuple[str, list[Proportion]]]:
    """(layer, each family's proportion) for every layer of a model, in depth order."""
    return [(layer.name, [proportion(layer, family) for family in families]) for layer in entry.layers]
