"""The stimuli that drove a unit most, drawn for its page: the strongest of the whole battery and the
strongest of each orientation-tuning curve's family, shown beside the curve.

The synthetic stage stores the drive of every battery stimulus in battery order (SyntheticRecord.drive),
so the stimulus is found, not recomputed: the battery is rebuilt from the run's parameters and drawn
with the same code the stage drew it with (generate/analysis/stimuli.py).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image

from generate.analysis.stimuli import Canvas, Stimulus, battery, family_title, render
from generate.analysis.text import degrees, number
from generate.config import BatteryParams
from generate.records import SyntheticRecord
from generate.site.published import webp

PX = 64  # side of a drawn stimulus, pixels; the receptive field fills it
# The battery family drawn in each orientation-tuning curve (the polar plots' keys).
CURVE_FAMILY = {"curve": "curve", "line": "line", "edge": "edge", "angle": "angle", "high_low": "high_low",
                "gradient": "gradient"}


@functools.lru_cache(maxsize=4)
def _battery(params: BatteryParams) -> tuple[Stimulus, ...]:
    return tuple(battery(params))


def describe(stimulus: Stimulus) -> str:
    """A stimulus in words: its family and parameters, e.g. 'curve, 135°, radius 0.2, standard'."""
    parts = [family_title(stimulus.family)]
    for key, value in stimulus.params.items():
        if key in ("orientation", "opening"):
            parts.append(f"{key} {degrees(value)}")
        elif key == "hue":
            parts.append(f"hue {degrees(360 * float(value))}")
        elif key == "variant":
            parts.append(f"{value} variant")
        elif key == "phase":
            continue  # one of two phases of a grating: not what a reader compares
        elif key != "pair":
            parts.append(f"{key} {number(value) if isinstance(value, float) else value}")
    return ", ".join(parts)


def drawing(stimulus: Stimulus, params: BatteryParams) -> bytes:
    """The stimulus drawn for a receptive field of PX pixels, as the site publishes pictures."""
    pixels = render(stimulus, Canvas(PX, (PX / 2, PX / 2)), float(PX), params)
    return webp(Image.fromarray(np.clip(np.round(pixels * 255), 0, 255).astype(np.uint8)))


def drawings(params: BatteryParams) -> list[bytes]:
    """Every stimulus of the battery drawn, in battery order."""
    return [drawing(stimulus, params) for stimulus in _battery(params)]


def _best(stimuli: tuple[Stimulus, ...], drive: list[float], family: str | None) -> int | None:
    best = None
    for i, (stimulus, value) in enumerate(zip(stimuli, drive)):
        if (family is None or stimulus.family == family) and math.isfinite(value) \
                and (best is None or value > drive[best]):
            best = i
    return best


def strongest(record: SyntheticRecord | None, params: BatteryParams | None) -> dict[str, dict]:
    """The strongest stimulus overall (key 'all') and of each tuning curve's family, each with its
    description, drive (σ) and picture; {} where the record's drives do not match this battery."""
    if record is None or params is None:
        return {}
    stimuli = _battery(params)
    if len(record.drive) != len(stimuli):
        return {}
    out = {}
    for key, family in {"all": None, **CURVE_FAMILY}.items():
        index = _best(stimuli, record.drive, family)
        if index is not None and record.drive[index] > 0:
            stimulus = stimuli[index]
            out[key] = {"index": index, "stimulus": stimulus, "text": describe(stimulus), "drive": record.drive[index]}
    return out
