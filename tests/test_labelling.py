"""The synthetic stage's labelling over several processes gives exactly the serial records."""

from __future__ import annotations

import numpy as np

from generate.analysis.labelling import MIN_UNITS_PER_WORKER, LabelSettings, UnitResponses, synthetic_records
from generate.analysis.stimuli import BatteryParams, battery
from generate.config import FamilyParams


def test_labelling_in_worker_processes_matches_the_serial_records():
    params = BatteryParams()
    stimuli = battery(params)
    rng = np.random.default_rng(0)
    responses = []
    for unit in range(2 * MIN_UNITS_PER_WORKER):
        values = rng.normal(size=len(stimuli))
        line = [i for i, s in enumerate(stimuli) if s.family == "line"]
        values[line[unit % len(line)]] += 8.0  # a spread of preferences, so labels differ
        responses.append(UnitResponses(unit, stimuli, values.astype(np.float32), 0.0, 1.0))
    settings = LabelSettings(params, FamilyParams(), len(stimuli), 6.0)
    serial = synthetic_records(settings, responses, workers=1)
    parallel = synthetic_records(settings, responses, workers=2)
    assert [r.unit for r in parallel] == list(range(len(responses)))
    assert [r.to_json() for r in parallel] == [r.to_json() for r in serial]
    assert len({repr(r.synthetic.to_json()) for r in serial}) == len(serial)  # no two units alike
