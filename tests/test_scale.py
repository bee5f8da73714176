"""Scaling out: shards merged, and a Ray cluster, compute what one serial run computes (floats to
the last bits a different thread count may round)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from generate.cli import main
from generate.config import load_config
from generate.stages.base import Context
from tests.conftest import write_config

LAYERS = {"blocks.1.dw": "0-5"}  # one layer: the layer-level stages still run after the merge
# One unit per optimisation batch: a unit's image does not depend on the units beside it, but a
# convolution over another batch size may round differently (measured: objectives equal to 2e-6,
# relative), and shards batch different units together. Compared exactly, then.
FEATUREVIS = {"steps": 2, "neuron_steps": 4, "batch": 1}


def _twins(site: Path) -> dict[str, dict]:
    """Every JSON twin of the rendered pages (--out; mkdocs copies them unchanged), without the
    fields that name the run rather than its results."""
    out = {}
    for path in sorted(site.rglob("*.json")):
        if "search" in path.parts or path.name in ("claims.json", "calibration.json"):
            continue
        record = json.loads(path.read_text())
        record.pop("atlas_version", None)
        out[str(path.relative_to(site))] = record
    return out


def _differences(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ, leaf by leaf (for a readable failure)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for key in sorted(set(a) | set(b)) for d in _differences(a.get(key), b.get(key), f"{path}/{key}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        # a Ray worker runs torch on its own thread count: sums may round differently in the last bits
        return [] if math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-7) else [f"{path}: {a!r} != {b!r}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"[:300]]


@pytest.fixture(scope="module")
def serial(tmp_path_factory, photo_dir):
    root = tmp_path_factory.mktemp("serial")
    config = write_config(root / "c.yaml", photo_dir, root / "store", LAYERS, featurevis=FEATUREVIS)
    assert main(["atlas", "--config", str(config), "--out", str(root / "docs"), "--no-build", "--quiet"]) == 0
    return root, config


def test_shards_are_deterministic_balanced_and_cover_every_unit_once(serial):
    root, config = serial
    from generate.stages.runner import plan_targets
    import torch

    targets = plan_targets(load_config(config), torch.device("cpu"))
    owned = []
    for k in range(3):
        ctx = Context(load_config(config), root / "store", shard=(k, 3))
        ctx.assign_shards(targets)
        owned.append({(layer, u) for t in targets for layer, units in t.layer_units.items()
                      for u in ctx.owned(t, layer, units)})
    every = {(layer, u) for t in targets for layer, units in t.layer_units.items() for u in units}
    assert set().union(*owned) == every and sum(len(o) for o in owned) == len(every)  # each unit exactly once
    assert max(len(o) for o in owned) - min(len(o) for o in owned) <= 1  # balanced
    again = Context(load_config(config), root / "store", shard=(0, 3))
    again.assign_shards(targets)
    assert {(layer, u) for t in targets for layer, units in t.layer_units.items()
            for u in again.owned(t, layer, units)} == owned[0]  # deterministic


def test_two_shards_merged_give_the_serial_twins(serial, tmp_path, photo_dir):
    root, _ = serial
    stores = []
    for k in (1, 2):
        store = tmp_path / f"shard{k}"
        config = write_config(tmp_path / f"c{k}.yaml", photo_dir, store, LAYERS, featurevis=FEATUREVIS)
        assert main(["atlas", "--config", str(config), "--shard", f"{k}/2", "--quiet"]) == 0
        stores.append(store)
    merged = tmp_path / "store"
    assert main(["merge", *map(str, stores), "--into", str(merged), "--quiet"]) == 0
    assert main(["merge", *map(str, stores), "--into", str(merged), "--quiet"]) == 0  # idempotent
    config = write_config(tmp_path / "c.yaml", photo_dir, merged, LAYERS, featurevis=FEATUREVIS)
    assert main(["atlas", "--config", str(config), "--out", str(tmp_path / "docs"), "--no-build", "--quiet"]) == 0
    assert not _differences(_twins(tmp_path / "docs"), _twins(root / "docs"))
    assert main(["store", "verify", "--store", str(merged)]) == 0


def test_a_rerun_from_an_empty_store_gives_byte_identical_twins(serial, tmp_path, photo_dir):
    """Determinism: the same config, data and seeds, computed again from nothing on this machine,
    write the same bytes into every JSON twin (its version field included)."""
    root, _ = serial
    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", LAYERS, featurevis=FEATUREVIS)
    assert main(["atlas", "--config", str(config), "--out", str(tmp_path / "docs"), "--no-build", "--quiet"]) == 0
    twins = sorted(path.relative_to(root / "docs") for path in (root / "docs").rglob("*.json"))
    assert len(twins) >= 7
    assert [p for p in twins if (tmp_path / "docs" / p).read_bytes() != (root / "docs" / p).read_bytes()] == []


def test_labels_and_verdicts_over_worker_processes_give_the_serial_twins(serial, tmp_path, photo_dir, monkeypatch):
    """The pure analysis of many units (family labels, verdicts) spread over spawned processes
    writes exactly what one process writes: here with a worker for as little as one unit."""
    from generate.analysis import cores
    from generate.stages.executor import Executor

    root, _ = serial
    monkeypatch.setattr(cores, "MIN_ITEMS_PER_WORKER", 1)
    monkeypatch.setattr(Executor, "analysis_workers", 2)
    spawned = []
    real_pool = cores.ProcessPoolExecutor
    monkeypatch.setattr(cores, "ProcessPoolExecutor", lambda *a, **k: spawned.append(a) or real_pool(*a, **k))
    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", LAYERS, featurevis=FEATUREVIS)
    assert main(["atlas", "--config", str(config), "--out", str(tmp_path / "docs"), "--no-build", "--quiet"]) == 0
    assert len(spawned) >= 2  # the labelling and the verdicts at least
    assert not _differences(_twins(tmp_path / "docs"), _twins(root / "docs"))


def test_merge_reports_a_conflict_and_keeps_the_destination(tmp_path, capsys):
    for name, content in (("a", b"one"), ("b", b"two")):
        (tmp_path / name / "m" / "l" / "s-1").mkdir(parents=True)
        (tmp_path / name / "m" / "l" / "s-1" / "0.png").write_bytes(content)
    assert main(["merge", str(tmp_path / "b"), "--into", str(tmp_path / "a"), "--quiet"]) == 1
    assert "conflict: m/l/s-1/0.png differs" in capsys.readouterr().out
    assert (tmp_path / "a" / "m" / "l" / "s-1" / "0.png").read_bytes() == b"one"


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


def test_a_ray_cluster_gives_the_serial_twins(serial, ray_cluster, tmp_path, photo_dir):
    root, _ = serial
    config = write_config(tmp_path / "c.yaml", photo_dir, tmp_path / "store", LAYERS, featurevis=FEATUREVIS)
    assert main(["atlas", "--config", str(config), "--executor", "ray", "--ray-address", "auto",
                 "--out", str(tmp_path / "docs"), "--no-build", "--quiet"]) == 0
    assert not _differences(_twins(tmp_path / "docs"), _twins(root / "docs"))


def _dies_once(shared, task, report):
    """A task whose worker process dies the first time it runs it (a lost machine)."""
    marker = Path(task)
    if not marker.exists():
        marker.write_text("died")
        os._exit(1)
    return shared * 2


def test_a_killed_ray_worker_costs_only_its_task(ray_cluster, tmp_path):
    from generate.stages.executor import RayExecutor

    executor = RayExecutor("auto")
    tasks = [str(tmp_path / f"task{i}") for i in range(3)]
    results = dict(executor.map(_dies_once, 21, tasks))
    assert results == {0: 42, 1: 42, 2: 42}
    assert all(Path(t).read_text() == "died" for t in tasks)  # each died once and was retried
