"""Measuring side by side on a shared machine: methods run interleaved (load hits them alike),
each a few times, its fastest run counting; memory is the resident set, read from /proc."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from generate.cores import usable_cores

REPEATS = 2  # each method runs this often, interleaved with the others; the fastest run counts


def machine_load() -> str:
    """One line on what else the machine is doing: the load averages against its cores."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return f"{usable_cores()} CPU cores"
    return f"load average {one:.1f} (5 min: {five:.1f}) on {usable_cores()} CPU cores"


def _status_kb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak() -> None:
    """Start a new resident-set high-water mark (Linux; elsewhere the peak is since start)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024


class MemorySampler:
    """Peak anonymous and file-backed resident memory over a block, sampled every `period` s:
    anonymous memory is what the process holds; file-backed is mapped files (a memory-mapped
    array among them), which the kernel can drop at any time."""

    def __init__(self, period: float = 0.2):
        self.period, self.anon_mb, self.file_mb = period, 0.0, 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        anon, file = _status_kb("RssAnon"), _status_kb("RssFile")
        self.anon_mb = max(self.anon_mb, (anon or 0) / 1024)
        self.file_mb = max(self.file_mb, (file or 0) / 1024)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self._sample()

    def __enter__(self) -> "MemorySampler":
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


@dataclass
class Measured:
    name: str
    seconds: float  # the fastest run
    cpu_seconds: float  # the least process CPU time of its runs (all threads): steadier than
    #                     wall-clock time when other jobs share the cores
    peak_mb: float  # the largest resident-set high-water mark of its runs
    count: int  # what one run processes (units, images): rates are count / seconds


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn: Callable[[], object]) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak MB) of one call."""
    reset_peak()
    _sync()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    _sync()
    return time.perf_counter() - start, time.process_time() - cpu, peak_mb()


def compare(methods: list[tuple[str, int, Callable[[], object]]], repeats: int = REPEATS) -> list[Measured]:
    """Each (name, count, fn) run `repeats` times, interleaved; the fastest run of each counts."""
    best = {name: Measured(name, float("inf"), float("inf"), 0.0, count) for name, count, _ in methods}
    for _ in range(repeats):
        for name, _, fn in methods:
            seconds, cpu, peak = timed(fn)
            best[name].seconds = min(best[name].seconds, seconds)
            best[name].cpu_seconds = min(best[name].cpu_seconds, cpu)
            best[name].peak_mb = max(best[name].peak_mb, peak)
    return [best[name] for name, _, _ in methods]


def print_rates(rows: list[Measured], what: str, per: str = "unit", ratio: str = "speed-up") -> None:
    """A table of seconds per item, items per minute and the ratio to the first row (per item), in
    wall-clock time and in CPU time."""
    base, cpu_base = rows[0].seconds / rows[0].count, rows[0].cpu_seconds / rows[0].count
    print(f"{'method':<64} {'n':>5} {'s':>8} {f's/{per}':>8} {f'{what}/min':>10} {ratio:>9} "
          f"{f'CPU s/{per}':>10} {'CPU ' + ratio:>13} {'peak MB':>8}")
    for row in rows:
        each, cpu_each = row.seconds / row.count, row.cpu_seconds / row.count
        print(f"{row.name:<64} {row.count:>5} {row.seconds:>8.2f} {each:>8.3f} {60 / each:>10.1f} "
              f"{base / each:>8.2f}x {cpu_each:>10.3f} {cpu_base / max(cpu_each, 1e-9):>12.2f}x {row.peak_mb:>8.0f}")
