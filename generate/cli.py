"""Command line: `python -m generate COMMAND --help` explains each command."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from generate.config import FeatureVisParams
from generate.errors import AtlasError

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.yaml"
DEFAULT_TRAIN_SETTINGS = DEFAULT_CONFIG.parent / "cifar.yaml"

DESCRIPTION = """\
Neuron Atlas: precompute per-neuron evidence (feature visualizations, dataset examples,
activation statistics) for a CNN and render it as a MkDocs Material site.

Typical use:
  python -m generate atlas                      # the default atlas, computed and built
  python -m generate atlas --config my.yaml     # your own models, layers, units, dataset
  python -m generate layers --model efficientnet_lite0
  python -m generate train                      # train the small CIFAR-10 CNNs (configs/cifar.yaml)
  python -m generate data list                  # named datasets and weights: what is cached
Results are cached in the store: a rerun recomputes only what changed.
"""


def _common(parser: argparse.ArgumentParser, outputs: bool = False) -> None:
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="YAML config naming models, layers, units and stage parameters "
                             "(default: configs/default.yaml)")
    parser.add_argument("--dataset", help="folder of images, searched recursively, or a named source fetched once "
                                          "into the cache (see `data list`); overrides the config")
    parser.add_argument("--store", type=Path, help="results cache folder (overrides the config; default: store/)")
    _offline(parser)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="where to compute (default: CUDA when present, else CPU)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if outputs:
        parser.add_argument("--out", type=Path, help="folder for the generated Markdown pages (default: site_src/)")
        parser.add_argument("--site", type=Path, help="folder for the built HTML site (default: site/)")
        parser.add_argument("--site-url", help="public URL of the site, for canonical links and citations "
                                               "(overrides site_url in the config)")


def _offline(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offline", action="store_true",
                        help="never download (as NEURON_ATLAS_OFFLINE=1): use only what is cached or given")


def _store_command(commands) -> None:
    store = commands.add_parser("store", help="check a results store: checksums, leftovers; --repair fixes it",
                                description="Check every stored result against its checksums (and trained models, "
                                            "dataset caches) and list what is corrupt; exit code 1 if anything is.")
    store.add_argument("action", choices=["verify"])
    store.add_argument("--store", type=Path, default=Path("store"), help="the store folder (default: store/)")
    store.add_argument("--repair", action="store_true",
                       help="remove what is corrupt and leftover temporaries: the next run recomputes them")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generate", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    atlas = commands.add_parser("atlas", help="compute every stage, render the pages and build the site",
                                description="Compute every stage for the config (only what is missing from "
                                            "the store), render the Markdown pages and build the site.")
    _common(atlas, outputs=True)
    atlas.add_argument("--no-build", action="store_true", help="render the Markdown but do not run mkdocs build")

    for name, text in (("exemplars", "dataset stage only: top-k exemplars and activation statistics"),
                       ("synthetic", "synthetic-stimulus stage only: tuning curves and family labels "
                                     "(needs the dataset stage's statistics)"),
                       ("featurevis", "feature-visualization stage only")):
        stage = commands.add_parser(name, help=text, description=text.capitalize() + ", for units missing from the store.")
        _common(stage)

    site = commands.add_parser("site", help="render pages from stored results and build the site (no compute)",
                               description="Render the Markdown pages from the store and build the site with mkdocs.")
    _common(site, outputs=True)
    site.add_argument("--no-build", action="store_true", help="render the Markdown but do not run mkdocs build")

    layers = commands.add_parser("layers", help="list a model's hookable layers and their unit counts",
                                 description="List the layers of a model that can be put in an atlas, in execution order.")
    layers.add_argument("--model", required=True, help="registry name, e.g. efficientnet_lite0, inceptionv1, "
                                                       "torchvision:resnet18, cifar:NAME, pkg.module:factory, "
                                                       "NAME@random:SEED")
    layers.add_argument("--weights", help="local weights file (inceptionv1), or a trained folder (cifar:NAME)")
    layers.add_argument("--store", type=Path, default=Path("store"),
                        help="store where `cifar:NAME` models were trained (default: store/)")
    _offline(layers)

    data = commands.add_parser(
        "data", help="list the named datasets and weights, or fetch one into the cache",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Named sources are downloaded once into the user's cache folder (resumed if cut, checked\n"
                    "against the SHA-256 recorded on first download, unpacked atomically) and read from\n"
                    "there afterwards, offline too. Use one with `--dataset NAME` or `dataset: NAME`.",
        epilog="examples:\n"
               "  python -m generate data list                 # what is cached, its size and hash\n"
               "  python -m generate data fetch imagenet-sample")
    data.add_argument("action", choices=["list", "fetch"])
    data.add_argument("name", nargs="?", help="the source to fetch (see `data list`)")
    _offline(data)

    train = commands.add_parser(
        "train", help="train the project's small CNNs on CIFAR-10, for atlases of cifar:NAME",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train small CNNs on CIFAR-10 (../shared/datasets/cifar10) from a settings file\n"
                    "and measure their test accuracy. Each lands in STORE/trained/NAME-HASH/\n"
                    "(weights.pt, settings.json, metrics.json); one already there is reused, not\n"
                    "retrained. Put one in an atlas as `model: cifar:NAME`.",
        epilog="examples:\n"
               "  python -m generate train                           # every model of configs/cifar.yaml\n"
               "  python -m generate train --name cifar_w32_s0       # just one\n"
               "  python -m generate train --epochs 1 --subset 5000  # a quick try (a separate folder)")
    train.add_argument("--settings", type=Path, default=DEFAULT_TRAIN_SETTINGS,
                       help="YAML list of training settings (default: configs/cifar.yaml)")
    train.add_argument("--name", nargs="+", action="extend", metavar="NAME",
                       help="train only these settings (default: all of them, in file order)")
    train.add_argument("--dataset", type=Path,
                       help="CIFAR-10 folder with train/<class>/*.jpg and test/<class>/*.jpg "
                            "(default: ../shared/datasets/cifar10)")
    train.add_argument("--store", type=Path, default=Path("store"),
                       help="store folder: weights go to STORE/trained/, the decoded dataset cache to "
                            "STORE/datasets/ (default: store/)")
    train.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                       help="where to train (default: CUDA when present, else CPU)")
    train.add_argument("--epochs", type=int, help="override every setting's epochs (gives a separate folder)")
    train.add_argument("--subset", type=int,
                       help="train on this many images, a seeded random subset (gives a separate folder)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")

    _store_command(commands)

    bench = commands.add_parser("bench", help="benchmark the batched stages against plain lucent / plain forward",
                                description="Measure, side by side in one run, the feature-visualization and "
                                            "dataset stages against their naive baselines; print ratios.")
    bench.add_argument("--model", default="efficientnet_lite0")
    bench.add_argument("--layer", default="blocks.6.dw")
    bench.add_argument("--units", type=int, default=FeatureVisParams().batch,
                       help="units to visualise with each method (default: the featurevis batch size)")
    bench.add_argument("--steps", type=int, default=32)
    bench.add_argument("--size", type=int, default=96)
    bench.add_argument("--images", type=int, default=64, help="dataset images for the exemplar-pass comparison")
    bench.add_argument("--dataset", help="image folder (default: as for atlas)")
    bench.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    _offline(bench)
    return parser


def _config(args):
    from generate.config import load_config

    config = load_config(args.config)
    return config.with_overrides(dataset=args.dataset, store=str(args.store) if args.store else None,
                                 site_url=getattr(args, "site_url", None))


def _run(args) -> int:
    from generate.models import pick_device

    if args.command == "store":
        from generate.store.verify import verify_store

        return verify_store(args.store, repair=args.repair)
    if args.command == "layers":
        from generate.models import load_model

        model = load_model(args.model, args.weights, store_root=args.store)
        print(f"{'layer':<40} {'units':>6} {'map':>9}  description")
        for info in model.infos.values():
            print(f"{info.name:<40} {info.channels:>6} {info.height:>4}x{info.width:<4}  {info.description}")
        return
    if args.command == "bench":
        from generate.bench import run_bench

        run_bench(args, pick_device(args.device))
        return
    if args.command == "train":
        _train(args, pick_device(args.device))
        return
    if args.command == "data":
        _data(args)
        return

    from generate import site
    from generate.stages import runner
    from generate.store.lock import store_lock
    from generate.store.manifest import load_manifest

    config = _config(args)
    store = Path(config.store)
    progress = not args.quiet
    if args.command in ("atlas", "exemplars", "synthetic", "featurevis"):
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        stages = runner.STAGES if args.command == "atlas" else \
            {"exemplars": ("dataset",), "synthetic": ("synthetic",), "featurevis": ("featurevis",)}[args.command]
        overrides = {"--dataset": args.dataset, "--device": args.device if args.device != "auto" else None}
        with store_lock(store):
            runner.compute(config, store, pick_device(args.device), stages, progress,
                           {k: v for k, v in overrides.items() if v})
    if args.command in ("atlas", "site"):
        manifest = load_manifest(store, config.source)
        manifest.site_url = config.site_url  # a rendering choice, not a computed result
        docs = args.out or site.DEFAULT_DOCS
        pages = site.render(manifest, store, docs, progress)
        if not args.no_build:
            site_dir = args.site or (site.REPO_ROOT / "site")
            site.build(docs, site_dir, site_url=config.site_url)
            print(f"built {pages} neuron pages: open {Path(site_dir) / 'index.html'} or run `make serve`",
                  file=sys.stderr)
        else:
            print(f"rendered {pages} neuron pages into {docs}", file=sys.stderr)


def _data(args) -> None:
    from generate import sources

    if args.action == "fetch":
        if not args.name:
            raise AtlasError(f"data fetch needs a source name; valid: {', '.join(sources.SOURCES)}")
        print(f"{args.name}: {sources.fetch(args.name)}")
    names = [args.name] if args.name else list(sources.SOURCES)
    print(sources.describe([sources.status(name) for name in names]))


def _train(args, device) -> None:
    """Train the chosen settings (all validated first), then print one row per model."""
    import dataclasses

    import torch

    from generate.models.cifar import load_settings
    from generate.store.lock import store_lock
    from generate.train import train

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
    torch.set_num_threads(os.cpu_count() or 1)
    with store_lock(args.store, purpose="train"):
        results = [train(dataclasses.replace(settings[n], **overrides), args.store, device,
                         progress=not args.quiet, data_root=args.dataset) for n in names]
    width = max(len("name"), *(len(n) for n in names))
    print(f"{'name':<{width}}  {'test acc':>8}  {'seconds':>7}  {'status':<7}  folder")
    for result in results:
        status = "reused" if result.reused else "trained"
        print(f"{result.settings.name:<{width}}  {result.test_accuracy:>8.1%}  {result.seconds:>7.0f}  "
              f"{status:<7}  {result.folder}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # efficientnet_lite_pytorch / kornia call torch.jit.script at import; the deprecation is theirs.
    warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=FutureWarning)
    if getattr(args, "offline", False):
        from generate.sources import OFFLINE_ENV

        os.environ[OFFLINE_ENV] = "1"  # read wherever a download would start, in this process and its children
    if getattr(args, "device", None) == "cpu":
        # lucent places tensors on CUDA whenever it sees one; hide it before torch is imported.
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    try:
        code = _run(args)
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished units are kept in the store; rerun to resume", file=sys.stderr)
        return 130
    return code or 0
