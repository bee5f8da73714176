"""Pure analysis over the machine's cores: a function mapped over items in spawned worker
processes, results in order, when there are enough items to repay starting them."""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item, Result = TypeVar("Item"), TypeVar("Result")

MIN_ITEMS_PER_WORKER = 32  # below this a worker's start-up (about a second) costs more than it saves
IN_FLIGHT_PER_WORKER = 4  # items handed out ahead per worker: busy workers, bounded memory


def over_cores(function: Callable[[Item], Result], items: Iterable[Item], count: int, workers: int = 1,
               initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> Iterator[Result]:
    """`map(function, items)` over up to `workers` processes, yielding each result in order as it
    is ready, so a caller can store and count results as they come. `items` is read lazily (a
    few per worker ahead), so it may load each item as it is asked for; `count` is how many it
    yields. `function` must be picklable: a module-level function or a partial of one.
    `initializer(*initargs)` runs once in each worker (in this process when it runs serially):
    state every item needs, sent once rather than with each item."""
    workers = min(workers, count // MIN_ITEMS_PER_WORKER)
    if workers <= 1:
        if initializer:
            initializer(*initargs)
        yield from map(function, items)
        return
    # spawn, not fork: the parent holds torch's thread pools, which a forked child must not inherit
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
