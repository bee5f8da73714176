"""Units per second per stage for a config, the stages run here one by one (as the runner runs
them, in its order) on the first units of every layer, into a fresh store: what `make atlas`
with that config would cost, stage by stage, and a linear estimate for all of its units."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import torch

from generate.config import AtlasConfig, load_config
from generate.stages import runner
from generate.stages.base import Context, Target
from generate.stages.dataset import DATASET
from generate.stages.featuremaps import FEATURE_MAPS
from generate.stages.featurevis import FEATURE_VIS, verdict_seeds
from generate.stages.rotation import ROTATION
from generate.stages.synthetic import SYNTHETIC
from generate.stages.verdicts import VERDICTS, run_seed_featurevis, visualized_units


@dataclass
class StageTime:
    name: str
    seconds: float
    units: int  # (model, layer, unit) triples the stage computed
    full_units: int  # ... and would compute for every unit of the config

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds > 0 else float("inf")

    @property
    def estimate(self) -> float:
        """Seconds for every unit of the config: linear in the units (a fixed cost without units)."""
        return self.full_units / self.rate if self.units else self.seconds


def _count(layer_units: dict[str, list[int]]) -> int:
    return sum(len(units) for units in layer_units.values())


def _limit(target: Target, per_layer: int) -> None:
    """Keep the first `per_layer` units of every layer (0: all), in the target and its control."""
    if per_layer:
        for who in (target, target.control):
            if who is not None:
                who.layer_units = {layer: units[:per_layer] for layer, units in who.layer_units.items()}


def _plan(target: Target, ctx: Context, full: int) -> list[tuple[str, Callable[[], None], Callable[[], int], int]]:
    """(stage, run, units it computed, units for the whole config), in the runner's order."""
    both = [w for w in (target, target.control) if w is not None]
    n = _count(target.layer_units) * len(both)
    seeds = len(verdict_seeds(ctx.config))

    def seed_units() -> int:
        return _count(visualized_units(ctx, target)) * seeds * len(both)

    return [
        ("dataset (top-k, statistics, crops)", lambda: [DATASET.run(ctx, w) for w in both], lambda: n, full * len(both)),
        ("feature-map mosaics", lambda: [FEATURE_MAPS.run(ctx, w) for w in both], lambda: n, full * len(both)),
        ("synthetic stimuli", lambda: [SYNTHETIC.run(ctx, w) for w in both], lambda: n, full * len(both)),
        ("rotation", lambda: [ROTATION.run(ctx, w) for w in both], lambda: n, full * len(both)),
        ("feature visualization (channel)", lambda: FEATURE_VIS.run(ctx, target),
         lambda: _count(target.layer_units), full),
        ("feature visualization (neuron, verdict seeds)", lambda: run_seed_featurevis(ctx, target), seed_units,
         0),
        ("verdicts", lambda: VERDICTS.run(ctx, target), lambda: _count(target.layer_units), full),
    ]


def time_stages(config: AtlasConfig, device: torch.device, per_layer: int, store: Path) -> list[StageTime]:
    """Every stage of every model of the config on its first `per_layer` units per layer."""
    targets = runner.plan_targets(config, device)
    ctx = Context(config, store, progress=True)
    rows: list[StageTime] = []
    for target in targets:
        full = _count(target.layer_units)
        _limit(target, per_layer)
        for name, run, units, full_units in _plan(target, ctx, full):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            run()
            if device.type == "cuda":
                torch.cuda.synchronize()
            done = units()
            # the neuron visualizations' share of all units is that of the sample
            rows.append(StageTime(f"{target.model.name}: {name}", time.perf_counter() - start, done,
                                  full_units or round(done * full / max(1, _count(target.layer_units)))))
    start = time.perf_counter()
    if runner.run_calibration(ctx, device, runner.STAGES) is not None:
        rows.append(StageTime(f"calibration ({config.calibration.model}, every stage; size fixed)",
                              time.perf_counter() - start, 0, 0))
    return rows


def report(rows: list[StageTime]) -> None:
    print(f"{'stage':<72} {'units':>7} {'s':>9} {'units/s':>9} {'all units':>10} {'est. s':>9}")
    for row in rows:
        rate = f"{row.rate:>9.2f}" if row.units else f"{'-':>9}"
        print(f"{row.name:<72} {row.units:>7} {row.seconds:>9.1f} {rate} {row.full_units:>10} {row.estimate:>9.0f}")
    total, estimate = sum(r.seconds for r in rows), sum(r.estimate for r in rows)
    print(f"{'total':<72} {'':>7} {total:>9.1f} {'':>9} {'':>10} {estimate:>9.0f}")
    print("(est. s: linear in the units; an upper bound for the dataset pass, whose forward pass is shared)")


def run(args, device: torch.device) -> None:
    config = load_config(args.config)
    if args.dataset:
        config = replace(config, dataset=args.dataset)
    store = args.store or Path(tempfile.mkdtemp(prefix="neuron-atlas-bench-store-"))
    print(f"\nStages of {args.config} on {device}, the first {args.units_per_layer or 'all'} units of every layer, "
          f"store {store}")
    try:
        report(time_stages(config, device, args.units_per_layer, store))
    finally:
        if not args.store:
            shutil.rmtree(store, ignore_errors=True)
