"""Where a stage's work runs: here, one batch after another, or spread over a Ray cluster.

A stage cuts its work into tasks (a chunk of units, or of images) and hands them with one shared
object (the model) to `Executor.map`, which yields each task's result as it completes; the driver
writes every result to the store itself, so workers need no shared filesystem. A task function is
`fn(shared, task, report)`; here `report(n)` advances the progress bar as the work goes, on a
cluster the bar advances by each finished task's weight. With Ray the shared
object travels once through the object store, a worker lost mid-run costs only its task (Ray
retries it), and the progress bar shows the cluster's throughput. Without `--executor ray`, Ray is
never imported.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Iterator, TypeVar

from tqdm import tqdm

from generate.allocator import keep_freed_memory
from generate.cores import usable_cores
from generate.errors import AtlasError

Task = TypeVar("Task")
Result = TypeVar("Result")
RETRIES = 3  # attempts after a worker dies mid-task


class Executor:
    """Runs tasks in this process, in order."""

    name = "local"
    chunk_images = 1024  # images per dataset task: bounds memory, keeps the decode worker warm
    chunk_units: int | None = None  # units per battery task (None: a layer's, each image serving all)
    analysis_workers = usable_cores()  # processes for pure analysis of many units (labels, verdicts): one core each

    def map(self, fn: Callable[[Any, Task, Callable[[int], None]], Result], shared: Any, tasks: Iterable[Task],
            bar: tqdm | None = None, weight: Callable[[Task], int] = lambda task: 1) -> Iterator[tuple[int, Result]]:
        """(index of the task, its result) for every task, in order here; `bar` advances as the
        tasks report (on a cluster: by each finished task's weight)."""
        report = bar.update if bar is not None else _ignore
        for index, task in enumerate(tasks):
            yield index, fn(shared, task, report)

    def close(self) -> None:
        """Nothing to release here."""


def _ignore(n: int) -> None:
    """Progress nobody watches (a worker's, or without a bar)."""


def _remote_call(fn: Callable, shared: Any, task: Any) -> Any:
    keep_freed_memory()  # a worker is a process of its own (once per process)
    return fn(shared, task, _ignore)


class RayExecutor(Executor):
    """Runs tasks on a Ray cluster (`address`: 'auto', 'HOST:PORT', or '' for a local one)."""

    name = "ray"
    chunk_images = 256  # smaller tasks: they travel with their images' bytes
    chunk_units = 32  # spread a layer's units over the workers
    analysis_workers = 1  # the cluster's workers are the parallelism

    def __init__(self, address: str = "", num_cpus: int | None = None):
        try:
            import ray
        except ImportError:
            raise AtlasError("--executor ray needs the ray package: pip install ray") from None
        self.ray = ray
        self._owns = not ray.is_initialized()  # shut down only the connection this executor made
        try:
            if self._owns:
                ray.init(address=address or None, num_cpus=num_cpus if not address else None,
                         include_dashboard=False, logging_level="ERROR", log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise AtlasError(f"cannot reach the Ray cluster at {address or 'a new local cluster'}: "
                             f"{str(exc).splitlines()[0]}") from None
        self._remote: dict[str, Any] = {}
        self._shared: dict[int, Any] = {}

    def map(self, fn, shared, tasks, bar=None, weight=lambda task: 1):
        ray = self.ray
        remote = self._remote.setdefault("call", ray.remote(max_retries=RETRIES)(_remote_call))
        if id(shared) not in self._shared:  # the model goes to the object store once per run
            self._shared[id(shared)] = (shared, ray.put(shared))
        reference = self._shared[id(shared)][1]
        tasks = list(tasks)
        pending = {remote.remote(fn, reference, task): index for index, task in enumerate(tasks)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayError as exc:
                raise AtlasError(f"a Ray task failed after {RETRIES} retries: {str(exc).splitlines()[0]}") from None
            if bar is not None:
                bar.update(weight(tasks[index]))
            yield index, result

    def close(self) -> None:
        self._shared.clear()
        if self._owns:
            self.ray.shutdown()


def make_executor(kind: str, address: str = "") -> Executor:
    """The executor a config or command line names."""
    if kind == "local":
        return Executor()
    if kind == "ray":
        print(f"note: running stages on Ray ({address or 'a local cluster'})", file=sys.stderr)
        return RayExecutor(address)
    raise AtlasError(f"unknown executor '{kind}'; use local or ray")
