"""Synthetic-stimulus stage: the whole battery through one layer, batched.

Each stimulus is centred on the receptive field of the feature map's central position and the
unit's activation is read at that position. Responses are stored raw; pages and labels use
them in sigma of the unit's dataset activations, z = (a - mean) / std.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch
from tqdm import tqdm

from generate.layers import capture, run_until
from generate.models import LoadedModel
from generate.receptive_field import ReceptiveField
from generate.stimuli import COLOUR_PAIRS, BatteryParams, Canvas, Stimulus, battery, render, render_batches

BATCH = 32


def stimulus_canvas(model: LoadedModel, layer: str, rf: ReceptiveField) -> tuple[Canvas, float, tuple[int, int]]:
    """Canvas centred on the central position's field, the field's size in pixels (clipped to
    the input) and that position."""
    info = model.infos[layer]
    position = (info.height // 2, info.width // 2)
    size = model.preprocess.input_size
    return Canvas(size, rf.centre(*position)), float(min(rf.size, size)), position


def respond(model: LoadedModel, layer: str, units: list[int], stimuli: list[Stimulus], rf: ReceptiveField,
            params: BatteryParams, progress: bool = False) -> np.ndarray:
    """Raw activations [n_stimuli, n_units] at the central position."""
    spec = model.layer(layer)
    canvas, field_px, (cy, cx) = stimulus_canvas(model, layer, rf)
    rows = []
    with tqdm(total=len(stimuli), desc=f"stimuli {model.name} {layer}", unit="img", disable=not progress) as bar:
        for images in render_batches(stimuli, canvas, field_px, params, BATCH):
            x = model.preprocess(torch.from_numpy(images).to(model.device))
            with torch.no_grad(), capture([spec], stop_after=spec) as acts:
                run_until(model.module, x)
            rows.append(acts[layer][:, units, cy, cx].float().cpu().numpy())
            bar.update(len(images))
    return np.concatenate(rows)


def stage_params(params: BatteryParams, model: LoadedModel) -> dict:
    return {"stage": "synthetic", "version": 2, **asdict(params), "preprocess": asdict(model.preprocess)}


__all__ = ["battery", "gallery", "respond", "stage_params", "stimulus_canvas", "summarise"]


def summarise(stimuli: list[Stimulus], drive: np.ndarray, params: BatteryParams) -> dict:
    """The tuning curves shown on a neuron page, in sigma of drive (activation minus blank)."""
    from generate.families import Responses
    from generate.stimuli import CURVE_VARIANTS, orientations

    r = Responses(stimuli, drive)
    thetas = orientations(params.orientation_step)
    half = orientations(params.orientation_step, 180.0)

    def curve_at(variant: str, radius: float) -> list[float]:
        return [r.at("curve", variant=variant, radius=radius, orientation=t) for t in thetas]

    variants = {}
    for variant in CURVE_VARIANTS:
        peak, best = r.peak("curve", variant=variant)
        variants[variant] = {"peak": peak, "orientation": best.get("orientation"), "radius": best.get("radius")}
    return {
        "orientations": thetas,
        "curve": {
            "radii": list(params.radii),
            "heatmap": [curve_at("standard", radius) for radius in params.radii],
            "variants": variants,
        },
        "orientation_tuning": {
            "curve": [max(r.at("curve", variant="standard", radius=rad, orientation=t) for rad in params.radii) for t in thetas],
            "line": [r.at("line", orientation=t) for t in thetas],
            "edge": [r.at("edge", orientation=t) for t in thetas],
            "angle": [max(r.at("angle", opening=o, orientation=t) for o in params.openings) for t in thetas],
            "high_low": [r.at("high_low", orientation=t) for t in thetas],
            "gradient": [r.at("gradient", orientation=t) for t in thetas],
        },
        "frequency_tuning": {
            "frequencies": list(params.frequencies),
            "drive": [max(r.at("grating", frequency=f, orientation=t) for t in half) for f in params.frequencies],
        },
        "hue": {
            "hues": [s.params["hue"] for s in stimuli if s.family == "hue"],
            "drive": [float(drive[i]) for i in r.select("hue")],
            "grey": [float(drive[i]) for i in r.select("grey_patch")],
        },
        "colour_edge": {f"{a}/{b}": r.peak("colour_edge", pair=i)[0] for i, (a, b) in enumerate(COLOUR_PAIRS)},
        "centre_surround": {f"{s.params['centre']} in {s.params['surround']}": float(drive[i])
                            for i, s in enumerate(stimuli) if s.family == "centre_surround"},
    }


def gallery(params: BatteryParams, tile: int = 72, per_family: int = 12) -> dict[str, bytes]:
    """PNG strips of evenly spaced examples of each stimulus family, for the gallery page."""
    import io

    from PIL import Image

    stimuli = battery(params)
    canvas = Canvas(tile, (tile / 2, tile / 2))
    strips = {}
    for family in dict.fromkeys(s.family for s in stimuli):
        members = [s for s in stimuli if s.family == family]
        picks = [members[int(i)] for i in np.linspace(0, len(members) - 1, min(per_family, len(members)))]
        images = [render(s, canvas, tile * 0.9, params) for s in picks]
        strip = np.concatenate([np.pad(im, ((2, 2), (2, 2), (0, 0)), constant_values=1.0) for im in images], axis=1)
        buffer = io.BytesIO()
        Image.fromarray((strip * 255).round().astype(np.uint8)).save(buffer, format="PNG", optimize=True)
        strips[family] = buffer.getvalue()
    return strips
