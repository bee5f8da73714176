"""Tuning summaries: the curves a neuron page draws, arranged from a unit's drives (sigma)."""

from __future__ import annotations

import numpy as np

from generate.analysis.angles import orientations
from generate.analysis.families import Responses
from generate.analysis.stimuli import COLOUR_PAIRS, CURVE_VARIANTS, Stimulus
from generate.config import BatteryParams
from generate.records import CurveTuning, FrequencyTuning, HueTuning, TuningSummary, VariantPeak





def summarise(stimuli: list[Stimulus], drive: np.ndarray, params: BatteryParams, sigma: float) -> TuningSummary:
    """The tuning curves shown on a neuron page, in sigma of drive (activation minus blank)."""
    r = Responses(stimuli, drive)
    thetas = orientations(params.orientation_step)
    radii = sorted({s.params["radius"] for s in stimuli if s.family == "curve"})  # the battery's, plus any swept
    half = orientations(params.orientation_step, 180.0)

    def curve_at(variant: str, radius: float) -> list[float]:
        return [r.at("curve", variant=variant, radius=radius, orientation=t) for t in thetas]

    variants = {}
    for variant in CURVE_VARIANTS:
        peak, best = r.peak("curve", variant=variant)
        variants[variant] = VariantPeak(peak=peak, orientation=best.get("orientation"), radius=best.get("radius"))
    tuning = {
        "curve": [max(r.at("curve", variant="standard", radius=rad, orientation=t) for rad in radii)
                  for t in thetas],
        "line": [r.at("line", orientation=t) for t in thetas],
        "edge": [r.at("edge", orientation=t) for t in thetas],
        "angle": [max(r.at("angle", opening=o, orientation=t) for o in params.openings) for t in thetas],
        "high_low": [r.at("high_low", orientation=t) for t in thetas],
        "gradient": [r.at("gradient", orientation=t) for t in thetas],
    }
    return TuningSummary(
        sigma=sigma,
        orientations=thetas,
        curve=CurveTuning(radii=radii, heatmap=[curve_at("standard", radius) for radius in radii], variants=variants),
        orientation_tuning=tuning,
        frequency_tuning=FrequencyTuning(
            frequencies=list(params.frequencies),
            drive=[max(r.at("grating", frequency=f, orientation=t) for t in half) for f in params.frequencies]),
        hue=HueTuning(hues=[s.params["hue"] for s in stimuli if s.family == "hue"],
                      drive=[float(drive[i]) for i in r.select("hue")],
                      grey=[float(drive[i]) for i in r.select("grey_patch")]),
        colour_edge={f"{a}/{b}": r.peak("colour_edge", pair=i)[0] for i, (a, b) in enumerate(COLOUR_PAIRS)},
        centre_surround={f"{s.params['centre']} in {s.params['surround']}": float(drive[i])
                         for i, s in enumerate(stimuli) if s.family == "centre_surround"},
    )
