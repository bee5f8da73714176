"""What each compute run on a store cost: `<store>/runs.jsonl`, one JSON line per run (wall and CPU
seconds, cores, whether it finished), so that a run resumed after interruptions can still state
what the whole computation took. A run killed outright (SIGKILL, power) leaves no line; one
interrupted by Ctrl-C or an error does, marked unfinished."""

from __future__ import annotations

import contextlib
import json
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from generate.cores import usable_cores

RUNS_NAME = "runs.jsonl"


@dataclass
class RunCost:
    started: str  # UTC
    command: str
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process and its workers that have ended (user + system)
    cores: int = 1
    finished: bool = False


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@contextlib.contextmanager
def measured(store: Path, command: str) -> Iterator[RunCost]:
    """Time the block and append its cost to the store's run log, however the block ends."""
    cost = RunCost(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), command, cores=usable_cores())
    wall, cpu = time.perf_counter(), _cpu_seconds()
    try:
        yield cost
        cost.finished = True
    finally:
        cost.wall_s, cost.cpu_s = round(time.perf_counter() - wall, 1), round(_cpu_seconds() - cpu, 1)
        if Path(store).is_dir():  # a run refused before it computed anything leaves no store behind
            with open(Path(store) / RUNS_NAME, "a", encoding="utf-8") as log:
                log.write(json.dumps(asdict(cost)) + "\n")


def history(store: Path) -> list[RunCost]:
    """Every logged run of the store, oldest first (lines that do not parse are skipped)."""
    path = Path(store) / RUNS_NAME
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        with contextlib.suppress(ValueError, TypeError):
            runs.append(RunCost(**json.loads(line)))
    return runs


def summary(cost: RunCost, runs: list[RunCost]) -> str:
    """One line: this run's wall and CPU time, and the store's totals when it took several runs."""
    line = f"computed in {hms(cost.wall_s)} wall, {hms(cost.cpu_s)} CPU on {cost.cores} cores"
    if len(runs) > 1:
        line += (f"; this store took {len(runs)} runs: {hms(sum(r.wall_s for r in runs))} wall, "
                 f"{hms(sum(r.cpu_s for r in runs))} CPU in all ({RUNS_NAME})")
    return line
