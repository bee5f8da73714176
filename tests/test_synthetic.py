"""The synthetic stage's fast paths compute exactly what the plain computation would."""

import numpy as np
import pytest
import torch

from generate.analysis.stimuli import Canvas, battery, render
from generate.config import BatteryParams
from generate.models.layers import PRE, capture, run_until
from generate.models.receptive_field import compute_receptive_field
from generate.stages import synthetic


@pytest.mark.parametrize("grid, renders", [(2, 2), (3, 4)])
def test_planned_windowed_grid_equals_every_offset_on_the_whole_image(lite0, grid, renders):
    """A few renders read at the positions they straddle, in a window around the field, give the
    maximum over the grid of offsets within half a stride (the quincunx, or 3 x 3), each drawn on
    the whole image."""
    params = BatteryParams(position_grid=grid)
    stimuli = battery(params)[::37]  # every family, high-low texture included
    for layer in ("blocks.1.dw", "blocks.6.dw"):
        rf = compute_receptive_field(lite0, layer)
        canvas, field_px, (cy, cx) = synthetic.stimulus_canvas(lite0, layer, rf)
        assert rf.window((cy, cx), extra=1) is not None, "the fast path must be the one tested"
        assert len(synthetic.grid_plan(rf, grid)) == renders
        fast = synthetic.respond(lite0, layer, [0, 3, 7], stimuli, rf, params)
        brute = np.full_like(fast, -np.inf)
        for dy, dx in synthetic.grid_offsets(rf, grid):
            assert max(abs(dy), abs(dx)) <= rf.stride / 2
            shifted = Canvas(canvas.size, (canvas.centre[0] + dy, canvas.centre[1] + dx))
            images = np.stack([render(s, shifted, field_px, params) for s in stimuli])
            x = torch.from_numpy(images.transpose(0, 3, 1, 2).astype(np.float32))
            with torch.no_grad(), capture([lite0.layer(layer)], stop_after=lite0.layer(layer)) as acts:
                run_until(lite0.module, lite0.preprocess(x))
            brute = np.maximum(brute, acts[layer + PRE][:, [0, 3, 7], cy, cx].numpy())
        np.testing.assert_allclose(fast, brute, rtol=1e-5, atol=1e-5)


def test_high_low_texture_is_fixed_to_the_stimulus():
    params = BatteryParams()
    stimulus = next(s for s in battery(params) if s.family == "high_low")
    big = render(stimulus, Canvas(96, (48.0, 48.0)), 60.0, params)
    small = render(stimulus, Canvas(40, (20.0, 20.0)), 60.0, params)
    np.testing.assert_array_equal(big[28:68, 28:68], small)
