"""The command line's parsers: one function per command, each with its help."""

from __future__ import annotations

import argparse
from pathlib import Path

from generate.config import REPO_ROOT, FeatureVisParams

DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"
DEFAULT_TRAIN_SETTINGS = REPO_ROOT / "configs" / "cifar.yaml"
RAW = argparse.RawDescriptionHelpFormatter


def _offline(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--offline", action="store_true",
                        help="never download (as NEURON_ATLAS_OFFLINE=1): use only what is cached or given")


def _device(parser: argparse.ArgumentParser, what: str = "compute") -> None:
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help=f"where to {what} (default: CUDA when present, else CPU)")


def _shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K - 1, N): the K-th of N shards, counted from 1 as batch schedulers do."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes K/N, e.g. 2/8, not {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"--shard {text}: K must lie in 1..N")
    return k - 1, n


def _common(parser: argparse.ArgumentParser, compute: bool = True, outputs: bool = False) -> None:
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="YAML config naming models, layers, units and stage parameters "
                             "(default: configs/default.yaml)")
    parser.add_argument("--dataset", help="folder of images, searched recursively, or a named source fetched once "
                                          "into the cache (see `data list`); overrides the config")
    parser.add_argument("--store", type=Path, help="results cache folder (overrides the config; default: store/)")
    _offline(parser)
    _device(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    if compute:
        parser.add_argument("--executor", choices=["local", "ray"],
                            help="where the stages' tasks run: this process (default) or a Ray cluster "
                                 "(overrides `executor:` in the config)")
        parser.add_argument("--ray-address", metavar="auto|HOST:PORT",
                            help="the Ray cluster to join ('auto': the one this machine belongs to; "
                                 "default: start a local one)")
        parser.add_argument("--shard", type=_shard, metavar="K/N",
                            help="compute only the K-th of N parts of the units (deterministic, balanced); "
                                 "merge the stores with `merge`, then run `atlas` once to finish")
    if outputs:
        parser.add_argument("--out", type=Path, help="folder for the generated Markdown pages (default: site_src/)")
        parser.add_argument("--site", type=Path, help="folder for the built HTML site (default: site/)")
        parser.add_argument("--site-url", help="public URL of the site, for canonical links and citations "
                                               "(overrides site_url in the config)")
        parser.add_argument("--no-build", action="store_true", help="render the Markdown but do not run mkdocs build")


def add_atlas(commands) -> None:
    atlas = commands.add_parser("atlas", help="compute every stage, render the pages and build the site",
                                description="Compute every stage for the config (only what is missing from "
                                            "the store), render the Markdown pages and build the site.")
    _common(atlas, outputs=True)
    for name, text in (("exemplars", "dataset stage only: top-k exemplars and response statistics"),
                       ("synthetic", "synthetic-stimulus stage only: tuning curves and family labels "
                                     "(needs the dataset stage's statistics)"),
                       ("featurevis", "feature-visualization stage only")):
        stage = commands.add_parser(name, help=text, description=text.capitalize() + ", for units missing from the store.")
        _common(stage)
    site = commands.add_parser("site", help="render pages from stored results and build the site (no compute)",
                               description="Render the Markdown pages from the store and build the site with mkdocs.")
    _common(site, compute=False, outputs=True)


def add_layers(commands) -> None:
    layers = commands.add_parser("layers", help="list a model's hookable layers and their unit counts",
                                 description="List the layers of a model that can be put in an atlas, in execution order.")
    layers.add_argument("--model", required=True, help="registry name, e.g. efficientnet_lite0, inceptionv1, "
                                                       "torchvision:resnet18, cifar:NAME, planted:curves, "
                                                       "pkg.module:factory, NAME@random:SEED")
    layers.add_argument("--weights", help="local weights file (inceptionv1), or a trained folder (cifar:NAME)")
    layers.add_argument("--store", type=Path, default=Path("store"),
                        help="store where `cifar:NAME` models were trained (default: store/)")
    _offline(layers)


def add_data(commands) -> None:
    data = commands.add_parser(
        "data", help="list the named datasets and weights, or fetch one into the cache", formatter_class=RAW,
        description="Named sources are downloaded once into the user's cache folder (resumed if cut, checked\n"
                    "against the SHA-256 recorded on first download, unpacked atomically) and read from\n"
                    "there afterwards, offline too. Use one with `--dataset NAME` or `dataset: NAME`.",
        epilog="examples:\n"
               "  python -m generate data list                 # what is cached, its size and hash\n"
               "  python -m generate data fetch imagenet-sample")
    data.add_argument("action", choices=["list", "fetch"])
    data.add_argument("name", nargs="?", help="the source to fetch (see `data list`)")
    _offline(data)


def add_train(commands) -> None:
    train = commands.add_parser(
        "train", help="train the project's small CNNs on CIFAR-10, for atlases of cifar:NAME", formatter_class=RAW,
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
    train.add_argument("--dataset", type=Path, help="CIFAR-10 folder with train/<class>/*.jpg and test/<class>/*.jpg "
                                                    "(default: ../shared/datasets/cifar10)")
    train.add_argument("--store", type=Path, default=Path("store"),
                       help="store folder: weights go to STORE/trained/, the decoded dataset cache to "
                            "STORE/datasets/ (default: store/)")
    _device(train, "train")
    train.add_argument("--epochs", type=int, help="override every setting's epochs (gives a separate folder)")
    train.add_argument("--subset", type=int,
                       help="train on this many images, a seeded random subset (gives a separate folder)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")


def add_store(commands) -> None:
    store = commands.add_parser("store", help="check a results store: checksums, leftovers; --repair fixes it",
                                description="Check every stored result against its checksums (and trained models, "
                                            "dataset caches) and list what is corrupt; exit code 1 if anything is.")
    store.add_argument("action", choices=["verify"])
    store.add_argument("--store", type=Path, default=Path("store"), help="the store folder (default: store/)")
    store.add_argument("--repair", action="store_true",
                       help="remove what is corrupt and leftover temporaries: the next run recomputes them")


def add_merge(commands) -> None:
    merge = commands.add_parser(
        "merge", help="merge stores computed apart (shards, CI legs) into one", formatter_class=RAW,
        description="Copy into --into every result it lacks from the given stores. Results are\n"
                    "content-addressed, so merging is idempotent: a file present on both sides must be\n"
                    "identical, else it is reported as a conflict (exit code 1) and never overwritten.",
        epilog="example:\n"
               "  python -m generate atlas --shard 1/2 --store s1 --no-build   # on one machine\n"
               "  python -m generate atlas --shard 2/2 --store s2 --no-build   # on another\n"
               "  python -m generate merge s1 s2 --into store && python -m generate atlas")
    merge.add_argument("stores", nargs="+", type=Path, metavar="STORE")
    merge.add_argument("--into", type=Path, default=Path("store"), help="the store to merge into (default: store/)")
    merge.add_argument("--quiet", action="store_true", help="no progress bars")


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in _names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, e.g. 5000,20000; not {text!r}")
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"expected positive numbers, not {text!r}")
    return counts


def add_bench(commands) -> None:
    bench = commands.add_parser(
        "bench", help="benchmark the stages against plain lucent / plain forward passes, and at scale",
        formatter_class=RAW,
        description="Measure, side by side in one run (interleaved, best of --repeats), feature visualization\n"
                    "against lucent's render_vis per unit and the dataset pass against a plain forward pass;\n"
                    "optionally the dataset pass at scale and units/s per stage of a config.",
        epilog="examples:\n"
               "  python -m generate bench                                   # featurevis + dataset + site\n"
               "  python -m generate bench --sections scale --scale 5000,20000,50000\n"
               "  python -m generate bench --sections stages --config configs/full.yaml --device cuda\n"
               "  python -m generate bench --sections site --site-pages 1000,5000,20000")
    bench.add_argument("--sections", type=_names, help="comma-separated: featurevis, dataset, scale, stages, site "
                                                      "(default: featurevis,dataset,site, and scale with --scale)")
    bench.add_argument("--model", default="efficientnet_lite0")
    bench.add_argument("--layers", "--layer", type=_names, default=["blocks.1.dw", "blocks.6.dw", "blocks.9.dw"],
                       help="comma-separated layers for feature visualization (the middle one for the dataset "
                            "pass; default: blocks.1.dw,blocks.6.dw,blocks.9.dw, the default atlas's)")
    bench.add_argument("--units", type=int, default=FeatureVisParams().batch, help="units to visualise (ours)")
    bench.add_argument("--lucent-units", type=int, default=4,
                       help="of which lucent (and ours one at a time) visualise this many, one at a time")
    bench.add_argument("--batch", type=int, default=FeatureVisParams().batch, help="our units per batch")
    bench.add_argument("--steps", type=int, default=32)
    bench.add_argument("--size", type=int, default=96, help="canvas side for the equal-size comparison")
    bench.add_argument("--neuron-layer", default="blocks.2.dw",
                       help="layer for the neuron objective on its effective-field canvas")
    bench.add_argument("--images", type=int, default=64, help="dataset images for the dataset-pass comparison")
    bench.add_argument("--dataset-batch", type=int, default=32)
    bench.add_argument("--dataset", help="image folder (default: as for atlas)")
    bench.add_argument("--scale", type=_counts, help="image counts for the dataset pass at scale, e.g. "
                                                     "5000,20000,50000 (generated JPEGs; takes a while)")
    bench.add_argument("--scale-folder", type=Path, help="keep the generated images here, for the next run")
    bench.add_argument("--config", type=Path, default=REPO_ROOT / "configs" / "full.yaml",
                       help="config for --sections stages (default: configs/full.yaml)")
    bench.add_argument("--units-per-layer", type=int, default=4,
                       help="stages section: the first N units of every layer (0: all)")
    bench.add_argument("--store", type=Path, help="stages section: store to fill (default: a temporary one)")
    bench.add_argument("--site-pages", type=_counts, default=[1000, 5000, 20000],
                       help="site section: neuron pages to generate, render and build (default: 1000,5000,20000)")
    bench.add_argument("--site-folder", type=Path, help="site section: keep each generated store and site here")
    bench.add_argument("--site-dir", type=Path, help="site section: also weigh this built atlas, by kind of file")
    bench.add_argument("--repeats", type=int, default=2, help="runs per method, interleaved; the fastest counts")
    bench.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    _device(bench)
    _offline(bench)


def add_audit(commands) -> None:
    audit = commands.add_parser(
        "audit", help="a blind visual audit of the curve verdicts: sheets for raters, then their agreement",
        formatter_class=RAW,
        description="make: for every unit labelled curve and the same unit of its random-init control,\n"
                    "shuffled under anonymous ids, sheets of its neuron visualizations (Argument 1) and of\n"
                    "its strongest exemplar crops (Argument 2) beside a drawing of the predicted curve, and\n"
                    "RATERS.md, the raters' instructions; the key is kept apart (.key.json).\n"
                    "score: each rater's answers (JSON lines, see RATERS.md) beside the verdicts: how many\n"
                    "units each says show the curve, trained and control, agreement and Cohen's kappa with\n"
                    "the verdict and between raters.",
        epilog="example:\n"
               "  python -m generate audit make --config configs/claims.yaml --out audit\n"
               "  (two people rate audit/featurevis/*.png and audit/examples/*.png, blind)\n"
               "  python -m generate audit score --out audit ann.jsonl bob.jsonl")
    actions = audit.add_subparsers(dest="action", metavar="ACTION", required=True)
    make = actions.add_parser("make", help="write the sheets, RATERS.md and the key (.key.json) into --out")
    make.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                      help="the atlas's config (default: configs/default.yaml)")
    make.add_argument("--store", type=Path, help="results store (overrides the config)")
    make.add_argument("--out", type=Path, default=Path("audit"), help="the audit's folder (default: audit/)")
    make.add_argument("--seed", type=int, default=0, help="the shuffle's seed (default: 0)")
    score = actions.add_parser("score", help="the raters' answers beside the verdicts")
    score.add_argument("ratings", nargs="+", type=Path, metavar="RATINGS.jsonl", help="each rater's answers")
    score.add_argument("--out", type=Path, default=Path("audit"), help="the audit's folder (default: audit/)")


PARSERS = (add_atlas, add_layers, add_data, add_train, add_store, add_merge, add_bench, add_audit)
