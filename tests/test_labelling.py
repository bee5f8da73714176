"""Pure analysis over worker processes (labels, verdicts) gives exactly the serial results."""

from __future__ import annotations

import numpy as np

from generate.analysis.cores import IN_FLIGHT_PER_WORKER, MIN_ITEMS_PER_WORKER, over_cores
from generate.analysis.labelling import LabelSettings, UnitResponses, synthetic_records
from generate.analysis.stimuli import BatteryParams, battery
from generate.config import FamilyParams


def test_labelling_in_worker_processes_matches_the_serial_records():
    params = BatteryParams()
    stimuli = battery(params)
    rng = np.random.default_rng(0)
    responses = []
    for unit in range(2 * MIN_ITEMS_PER_WORKER):
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


def _square(x: int) -> int:
    return x * x


def test_over_cores_keeps_order_and_reads_items_a_few_ahead():
    """Results come in the items' order, as from `map`; the items are drawn lazily (a loader may
    read each from disk), never more than a few per worker ahead of the results taken."""
    count, workers = 3 * MIN_ITEMS_PER_WORKER, 2
    drawn = []

    def items():
        for i in range(count):
            drawn.append(i)
            yield i

    results = over_cores(_square, items(), count, workers)
    first = next(results)
    assert first == 0 and len(drawn) <= IN_FLIGHT_PER_WORKER * workers
    assert [first, *results] == [i * i for i in range(count)]
    assert list(over_cores(_square, range(5), 5, workers)) == [0, 1, 4, 9, 16]  # too few to spawn: serial
