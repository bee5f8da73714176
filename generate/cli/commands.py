"""What each command does, once its arguments are parsed."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from generate.cores import usable_cores
from generate.errors import AtlasError

STAGE_COMMANDS = {"exemplars": ("dataset",), "synthetic": ("synthetic",), "featurevis": ("featurevis",)}


def _config(args: argparse.Namespace):
    from generate.config import load_config

    config = load_config(args.config)
    return config.with_overrides(dataset=getattr(args, "dataset", None), store=str(args.store) if args.store else None,
                                 site_url=getattr(args, "site_url", None), executor=getattr(args, "executor", None),
                                 ray_address=getattr(args, "ray_address", None))


def compute(args: argparse.Namespace) -> int:
    """atlas, exemplars, synthetic, featurevis: every missing result; then, for atlas, the site."""
    import torch

    from generate.models import pick_device
    from generate.stages import runner
    from generate.stages.executor import make_executor
    from generate.store import runlog
    from generate.store.lock import store_lock

    config = _config(args)
    store = Path(config.store)
    torch.set_num_threads(usable_cores())
    stages = runner.STAGES if args.command == "atlas" else STAGE_COMMANDS[args.command]
    overrides = {"--dataset": args.dataset, "--device": args.device if args.device != "auto" else None,
                 "--shard": f"{args.shard[0] + 1}/{args.shard[1]}" if args.shard else None}
    executor = make_executor(config.executor, config.ray_address)
    try:
        # the lock inside: a store that bad input left empty is gone before the cost would be logged
        with runlog.measured(store, " ".join(sys.argv[1:]) or args.command) as cost, store_lock(store):
            runner.compute(config, store, pick_device(args.device), stages, not args.quiet,
                           {k: v for k, v in overrides.items() if v}, executor=executor, shard=args.shard)
    finally:
        executor.close()
    print(runlog.summary(cost, runlog.history(store)), file=sys.stderr)
    if args.command == "atlas" and not args.shard:
        return site(args)
    return 0


def site(args: argparse.Namespace) -> int:
    """Render the pages from the store and build the site."""
    from generate import site as pages
    from generate.store.manifest import load_manifest

    config = _config(args)
    store = Path(config.store)
    manifest = load_manifest(store, config.source)
    manifest.site_url = config.site_url  # a rendering choice, not a computed result
    docs = args.out or pages.DEFAULT_DOCS
    count = pages.render(manifest, store, docs, not args.quiet)
    if args.no_build:
        print(f"rendered {count} neuron pages into {docs}", file=sys.stderr)
        return 0
    site_dir = args.site or (pages.REPO_ROOT / "site")
    pages.build(docs, site_dir, site_url=config.site_url)
    print(f"built {count} neuron pages: open {Path(site_dir) / 'index.html'} or run `make serve`", file=sys.stderr)
    return 0


def layers(args: argparse.Namespace) -> int:
    from generate.models import load_model

    model = load_model(args.model, args.weights, store_root=args.store)
    print(f"{'layer':<40} {'units':>6} {'map':>9}  description")
    for info in model.infos.values():
        print(f"{info.name:<40} {info.channels:>6} {info.height:>4}x{info.width:<4}  {info.description}")
    return 0


def data(args: argparse.Namespace) -> int:
    from generate import sources

    if args.action == "fetch":
        if not args.name:
            raise AtlasError(f"data fetch needs a source name; valid: {', '.join(sources.SOURCES)}")
        print(f"{args.name}: {sources.fetch(args.name)}")
    names = [args.name] if args.name else list(sources.SOURCES)
    print(sources.describe([sources.status(name) for name in names]))
    return 0


def store(args: argparse.Namespace) -> int:
    from generate.store.verify import verify_store

    return verify_store(args.store, repair=args.repair)


def merge(args: argparse.Namespace) -> int:
    from generate.store.lock import store_lock
    from generate.store.merge import MergeReport, merge_store

    missing = [str(s) for s in args.stores if not s.is_dir()]
    if missing:
        raise AtlasError(f"store not found: {missing[0]}")
    report = MergeReport()
    with store_lock(args.into, purpose="merge"):
        for source in args.stores:
            merge_store(source, args.into, report, progress=not args.quiet)
    print(f"merged {len(args.stores)} store(s) into {args.into}: {report.summary()}")
    for conflict in report.conflicts[:20]:
        print(f"conflict: {conflict} differs between the stores; kept {args.into}'s")
    return 1 if report.conflicts else 0


def bench(args: argparse.Namespace) -> int:
    from generate.bench import run_bench
    from generate.models import pick_device

    run_bench(args, pick_device(args.device))
    return 0


def train(args: argparse.Namespace) -> int:
    """Train the chosen settings (all validated first), then print one row per model."""
    import torch

    from generate.models import pick_device
    from generate.models.cifar import load_settings
    from generate.store.lock import store_lock
    from generate.train import train as fit

    settings = load_settings(args.settings)
    names = args.name or list(settings)
    unknown = [n for n in names if n not in settings]
    if unknown:
        raise AtlasError(f"unknown training name '{unknown[0]}' in {args.settings}; valid: {', '.join(settings)}")
    if args.epochs is not None and args.epochs < 1:
        raise AtlasError(f"--epochs must be at least 1, got {args.epochs}")
    if args.subset is not None and args.subset < 2:
        raise AtlasError(f"--subset must be at least 2, got {args.subset}")
    overrides = {k: v for k, v in (("epochs", args.epochs), ("subset", args.subset)) if v is not None}
    torch.set_num_threads(usable_cores())
    device = pick_device(args.device)
    with store_lock(args.store, purpose="train"):
        results = [fit(dataclasses.replace(settings[n], **overrides), args.store, device,
                       progress=not args.quiet, data_root=args.dataset) for n in names]
    width = max(len("name"), *(len(n) for n in names))
    print(f"{'name':<{width}}  {'test acc':>8}  {'seconds':>7}  {'status':<7}  folder")
    for result in results:
        status = "reused" if result.reused else "trained"
        print(f"{result.settings.name:<{width}}  {result.test_accuracy:>8.1%}  {result.seconds:>7.0f}  "
              f"{status:<7}  {result.folder}")
    return 0


def audit(args: argparse.Namespace) -> int:
    """make: the sheets, instructions and key of a blind audit; score: the raters beside the verdicts."""
    from generate.audit import make_audit, read_ratings, score

    if args.action == "score":
        missing = [str(path) for path in args.ratings if not path.is_file()]
        if missing:
            raise AtlasError(f"ratings not found: {missing[0]}")
        print(score(args.out, {path.stem: read_ratings(path) for path in args.ratings}))
        return 0
    from generate.store.manifest import load_manifest

    config = _config(args)
    counts = make_audit(load_manifest(Path(config.store), config.source), Path(config.store), args.out,
                        config.arcs, config.verdicts, args.seed)
    print(f"audit of {counts.get('featurevis', 0)} neuron-visualization items and {counts.get('examples', 0)} "
          f"exemplar items in {args.out}: raters read {args.out / 'RATERS.md'}", file=sys.stderr)
    return 0


RUN = {"atlas": compute, "exemplars": compute, "synthetic": compute, "featurevis": compute, "site": site,
       "layers": layers, "data": data, "store": store, "merge": merge, "bench": bench, "train": train,
       "audit": audit}
