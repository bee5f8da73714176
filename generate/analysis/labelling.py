"""A layer's tuning summaries and family labels, from its units' responses to the battery, over
the machine's cores (cores.py). Pure analysis (no torch), so worker processes start light; the battery's
forward passes stay in the synthetic stage."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from generate.analysis import families
from generate.analysis.cores import over_cores
from generate.analysis.stimuli import BatteryParams, Stimulus
from generate.analysis.tuning import summarise
from generate.config import FamilyParams
from generate.records import SyntheticRecord

@dataclass(frozen=True)
class UnitResponses:
    """One unit's responses: the stimuli it was shown (its radius sweep included) and its
    pre-activations to each, with its dataset mean and sigma."""

    unit: int
    stimuli: list[Stimulus]
    values: np.ndarray
    mean: float
    std: float


@dataclass(frozen=True)
class LabelSettings:
    battery: BatteryParams
    families: FamilyParams
    battery_size: int  # the battery's own stimuli, stored for matching units across models
    ceiling: float | None  # the activation's ceiling (ReLU6: 6), for counting saturated responses


def synthetic_record(settings: LabelSettings, r: UnitResponses) -> SyntheticRecord:
    """Tuning summary and family label of one unit."""
    drive = families.drives(r.stimuli, r.values, r.mean, r.std)
    return SyntheticRecord(
        unit=r.unit, synthetic=summarise(r.stimuli, drive, settings.battery, r.std),
        drive=[round(float(d), 4) for d in drive[:settings.battery_size]],
        family=families.label(r.stimuli, r.values, r.mean, r.std, settings.families),
        saturated=int((r.values >= settings.ceiling).sum()) if settings.ceiling is not None else 0)


def synthetic_records(settings: LabelSettings, responses: list[UnitResponses], workers: int = 1) -> list[SyntheticRecord]:
    """Every unit's record, in order; over up to `workers` processes when the layer is large
    enough to repay starting them."""
    return list(over_cores(partial(synthetic_record, settings), responses, len(responses), workers))
