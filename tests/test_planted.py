"""Planted ground truth (generate/models/planted.py): every hand-built unit answers the synthetic
battery (generate/analysis/stimuli.py, drawn there and not in the model) the way its spec says,
the model loads like any registry model, and its random-init copy is a genuine control."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generate.analysis.angles import circular_distance
from generate.analysis.families import drives
from generate.analysis.stimuli import battery
from generate.config import BatteryParams
from generate.errors import AtlasError
from generate.models import load_model
from generate.models.layers import PRE, capture, run_until
from generate.models.planted_spec import FIELD_PX, KINDS, VARIANTS, truth, units
from generate.models.receptive_field import compute_receptive_field
from generate.stages.synthetic import respond

PARAMS = BatteryParams()  # the battery every atlas runs: 15° steps, radii 0.12 / 0.2 / 0.3


@pytest.fixture(scope="module", params=["curves-small", "curves"])
def answers(request):
    """(ground truth, stimuli, drive [n_stimuli, n_units]): activation minus the blank of the
    stimulus's background, as the family labels measure it (here in raw units, not sigma)."""
    name = request.param
    model = load_model(f"planted:{name}")
    stimuli = battery(PARAMS)
    n = model.infos["units"].channels
    raw = respond(model, "units", list(range(n)), stimuli, compute_receptive_field(model, "units"), PARAMS)
    drive = np.stack([drives(stimuli, raw[:, u], 0.0, 1.0) for u in range(n)], axis=1)
    return truth(name), stimuli, drive


def _best(stimuli, drive, unit, family, keep=lambda p: True) -> tuple[float, dict]:
    index = [i for i, s in enumerate(stimuli) if s.family == family and keep(s.params)]
    top = max(index, key=lambda i: drive[i, unit])
    return float(drive[top, unit]), stimuli[top].params


def _near(a: float, b: float, period: float = 360.0) -> bool:
    """Within one battery step."""
    return circular_distance(a, b, period) <= PARAMS.orientation_step


def test_truth_lists_every_unit_in_channel_order():
    for name, variant in VARIANTS.items():
        rows = truth(name)
        model = load_model(f"planted:{name}")
        assert len(rows) == model.infos["units"].channels == len(units(name))
        assert [r["unit"] for r in rows] == list(range(len(rows)))
        assert {r["kind"] for r in rows} == set(KINDS)
        curves = [r for r in rows if r["kind"] == "curve"]
        assert len(curves) == variant.curve_orientations * len(variant.radii)
        assert rows[:len(curves)] == curves  # curves first
        assert all(r["radius_px"] == pytest.approx(r["radius"] * FIELD_PX) for r in curves)
        assert all(r["radius"] is None and r["orientation"] is not None for r in rows if r["kind"] == "line")


def test_loads_like_any_model_with_its_random_control():
    planted = load_model("planted:curves-small")
    control = load_model("planted:curves-small@random:0")
    assert list(planted.infos) == list(control.infos) == ["edges", "units"]
    assert planted.infos["units"].channels == len(truth("curves-small"))
    assert control.random_init and planted.weights_hash != control.weights_hash
    # the field the stimuli are drawn at, measured from gradients, is the one the spec's radii assume
    assert compute_receptive_field(planted, "units").size == FIELD_PX
    assert compute_receptive_field(control, "units").size == FIELD_PX
    # PyTorch's default init replaced every hand-drawn weight: nothing of the templates is left
    for layer in ("edges.conv.weight", "units.weight"):
        hand = planted.module.state_dict()[layer].flatten()
        fresh = control.module.state_dict()[layer].flatten()
        assert abs(float(torch.corrcoef(torch.stack([hand, fresh]))[0, 1])) < 0.1, layer
    with pytest.raises(AtlasError, match="unknown planted model 'planted:curve'; valid: planted:curves"):
        load_model("planted:curve")


def test_curve_units_prefer_their_own_arc(answers):
    """Own orientation (within one battery step) and radius; at least twice the drive of the best
    straight line, of the opposite curve and of a 90° corner pointing the same way."""
    rows, stimuli, drive = answers
    for row in (r for r in rows if r["kind"] == "curve"):
        unit, theta = row["unit"], row["orientation"]
        peak, best = _best(stimuli, drive, unit, "curve", lambda p: p["variant"] == "standard")
        assert _near(best["orientation"], theta) and best["radius"] == row["radius"], (row, best)
        line = _best(stimuli, drive, unit, "line")[0]
        opposite = _best(stimuli, drive, unit, "curve", lambda p: p["variant"] == "standard"
                         and p["radius"] == row["radius"] and _near(p["orientation"], theta + 180.0))[0]
        corner = _best(stimuli, drive, unit, "angle", lambda p: p["opening"] == 90.0 and _near(p["orientation"], theta))[0]
        assert peak > 0 and max(line, opposite, corner) <= peak / 2, (row, peak, line, opposite, corner)


def test_distractors_peak_on_their_own_stimulus(answers):
    """Over the whole battery, each line, angle, edge, colour and high-low unit is driven most by
    its own kind of stimulus at its own orientation (opening, hue). A line unit sums edge energy
    along its axis, so a grating at that orientation (lines side by side) counts as its kind."""
    rows, stimuli, drive = answers
    family = {"line": ("line", "grating"), "angle": ("angle",), "edge": ("edge",), "colour": ("hue",),
              "high_low": ("high_low",)}
    for row in (r for r in rows if r["kind"] in family):
        top = stimuli[int(np.argmax(drive[:, row["unit"]]))]
        assert top.family in family[row["kind"]], (row, top)
        if row["kind"] == "colour":
            assert circular_distance(top.params["hue"], row["hue"], 1.0) <= 1 / PARAMS.hues, (row, top)
        else:
            assert _near(top.params["orientation"], row["orientation"], 180.0 if row["kind"] == "line" else 360.0)
        if row["kind"] == "angle":
            assert top.params["opening"] == row["opening"], (row, top)


def test_silent_units_still_have_a_gradient():
    """Feature visualization climbs the units' smooth ReLU: on a blank image every hand-built
    unit rests at its floor, yet the input gradient that would wake it up is there."""
    model = load_model("planted:curves-small")
    spec = model.layer("units")
    x = torch.full((1, 3, 96, 96), 0.5, requires_grad=True)
    with capture([spec], stop_after=spec) as acts:
        run_until(model.module, model.preprocess(x))
    hand = [r["unit"] for r in truth("curves-small") if r["kind"] != "random"]
    assert float(acts["units"][0, hand].detach().max()) < 1e-3
    acts["units" + PRE][0, hand].sum().backward()
    assert float(x.grad.abs().sum()) > 0


def test_units_are_selective_on_photos():
    """On real photos each hand-built unit fires somewhere (its own stimulus gives 0.75) and
    rests at its floor at most positions (measured medians 2-5e-4); random units do not
    (measured 0.024)."""
    from generate.config import ExemplarParams
    from generate.data import scan_images
    from generate.stages.accumulate import unit_stats
    from generate.stages.dataset import scan_dataset

    model = load_model("planted:curves-small")
    n = model.infos["units"].channels
    stats = scan_dataset(model, {"units": list(range(n))}, scan_images(None), ExemplarParams(batch=8), progress=False)
    for row in truth("curves-small"):
        summary = unit_stats(stats["units"], row["unit"])
        median = summary.quantiles["0.5"]
        if row["kind"] == "random":
            assert median > 0.01, (row, median)
        else:
            assert summary.max > 0.1 and median < 0.01, (row, summary.max, median)
