"""The benchmark's side-by-side timing: wall-clock and CPU time per item, ratios to the first row."""

import time

from generate.bench.timing import compare, print_rates


def _busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        sum(range(1000))


def test_cpu_time_is_measured_apart_from_waiting(capsys):
    rows = compare([("sleeps", 1, lambda: time.sleep(0.2)), ("works", 2, lambda: _busy(0.1))], repeats=2)
    sleeps, works = rows
    assert sleeps.seconds >= 0.2 and sleeps.cpu_seconds < 0.05, "a wait costs wall-clock time, not CPU time"
    assert works.cpu_seconds >= 0.1
    print_rates(rows, "units")
    header, first, second = capsys.readouterr().out.splitlines()
    assert "CPU s/unit" in header and "CPU speed-up" in header
    assert first.split()[-2] == "1.00x" and second.split()[-2] != "1.00x"
