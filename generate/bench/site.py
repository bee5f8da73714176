"""The site at scale: render + `mkdocs build` of generated stores of N neuron pages (site_records.py),
each run in a fresh interpreter so that its peak memory is its own. Prints seconds and peak memory
per 1,000 pages, the search index's bytes per neuron, the published bytes per unit and what a full
EfficientNet-Lite0 atlas beside the published InceptionV1 layers would weigh."""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generate.analysis.cores import MIN_ITEMS_PER_WORKER
from generate.bench import site_bytes
from generate.bench.site_records import generate_store

SEARCH_INDEX = "search/search_index.json"


@dataclass
class SiteRun:
    pages: int
    render_s: float
    build_s: float
    peak_mb: float
    search_bytes: int
    site_bytes: int

    @property
    def total_s(self) -> float:
        return self.render_s + self.build_s


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def resident_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, KB, from /proc (Linux; 0 elsewhere)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    own = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return own + sum(resident_kb(int(child)) for child in children)


class PeakMemory:
    """The largest resident memory of this process and its render workers together, sampled every
    `interval` seconds while the block runs (0 where /proc cannot be read)."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak_kb = interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(self.interval):
            self.peak_kb = max(self.peak_kb, resident_kb(os.getpid()))

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


def _render_and_build(manifest: str, store: str, docs: str, site_dir: str) -> tuple[float, float, float]:
    """In a fresh interpreter: render (neuron pages over the cores), then build; (render s, build s,
    peak resident MB of this process and its render workers together, sampled; where /proc is missing,
    this process's peak plus each worker at the largest one's peak, an upper bound)."""
    from generate import site
    from generate.cores import usable_cores
    from generate.records import Manifest

    with PeakMemory() as memory:
        start = time.perf_counter()
        pages = site.render(Manifest.from_json(json.loads(Path(manifest).read_text())), Path(store), Path(docs),
                            progress=False)
        rendered = time.perf_counter()
        site.build(Path(docs), Path(site_dir))
        built = time.perf_counter()
    if memory.peak_kb:
        return rendered - start, built - rendered, memory.peak_kb / 1024
    workers = min(usable_cores(), pages // MIN_ITEMS_PER_WORKER)
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if workers > 1 else 0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + workers * worker_kb
    return rendered - start, built - rendered, peak_kb / 1024


def measure(pages: int, folder: Path) -> SiteRun:
    """Generate a store of `pages` units under `folder`, then render and build it in a subprocess."""
    store, docs, site_dir, manifest = folder / "store", folder / "docs", folder / "site", folder / "manifest.json"
    manifest.write_text(json.dumps(generate_store(store, pages).to_json()))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        render_s, build_s, peak = pool.submit(_render_and_build, *map(str, (manifest, store, docs, site_dir))).result()
    return SiteRun(pages, render_s, build_s, peak, (site_dir / SEARCH_INDEX).stat().st_size, folder_bytes(site_dir))


def report(runs: list[SiteRun]) -> None:
    print(f"{'pages':>7} {'render s':>9} {'build s':>8} {'total s':>8} {'s/1k pages':>11} {'peak MB':>8} "
          f"{'MB/1k pages':>12} {'search B/neuron':>16} {'site KB/unit':>13}")
    for run in runs:
        thousands = run.pages / 1000
        print(f"{run.pages:>7} {run.render_s:>9.1f} {run.build_s:>8.1f} {run.total_s:>8.1f} "
              f"{run.total_s / thousands:>11.1f} {run.peak_mb:>8.0f} {run.peak_mb / thousands:>12.0f} "
              f"{run.search_bytes / run.pages:>16.0f} {run.site_bytes / run.pages / 1024:>13.1f}")
    rates = [run.total_s / run.pages for run in runs]
    if len(rates) > 1:
        print(f"seconds per page, slowest over fastest: {max(rates) / min(rates):.2f}x (linear: near 1)")
    print(site_bytes.projection(runs[-1].site_bytes / runs[-1].pages)
          + "; generated pictures: --site-dir SITE measures a real atlas")


def run(pages: list[int], keep: Path | None = None, real_site: Path | None = None) -> list[SiteRun]:
    if real_site:
        site_bytes.report(real_site)
    print(f"\nSite at scale: render + mkdocs build of generated neuron pages ({', '.join(map(str, pages))}), "
          f"each in a fresh interpreter")
    runs = []
    for count in pages:
        folder = Path(tempfile.mkdtemp(prefix=f"site-bench-{count}-", dir=keep))
        try:
            runs.append(measure(count, folder))
        finally:
            if keep is None:
                shutil.rmtree(folder, ignore_errors=True)
        print(json.dumps(runs[-1].__dict__))
    report(runs)
    return runs
