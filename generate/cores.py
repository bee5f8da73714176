"""How many CPU cores this process may use: one place, for torch's threads, the labelling workers
and the run log."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which `taskset` and container cpusets
    narrow), not the machine's count: threads beyond them only contend."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # platforms without affinity (macOS)
        return os.cpu_count() or 1
