"""`make bench`: the atlas's stages against their plain baselines, measured side by side in one
run, plus the measurements at scale. Sections (choose with --sections):

  featurevis  lucent's render_vis against ours per unit, equal steps and size, per layer; the
              neuron objective on the effective-field canvas apart; mixed precision on CUDA
  dataset     a plain forward pass against the dataset stage's pass
  scale       the dataset pass over --scale N,N,... generated images: images/s and memory
  stages      units per second per stage of --config, on its first --units-per-layer units
  site        render + mkdocs build of --site-pages N,N,... generated neuron pages: seconds and
              memory per 1,000 pages, search-index bytes per neuron, bytes per unit; with --site-dir,
              a built atlas's bytes per unit by kind of file and the projected size of a full one

Another section registers itself in SECTIONS: a function (args, device) -> None that prints
its own table (`make bench ARGS="--sections NAME"` runs it)."""

from __future__ import annotations

import argparse
from typing import Callable

import torch

from generate.bench.timing import machine_load, print_rates
from generate.errors import AtlasError

DEFAULT_SECTIONS = ("featurevis", "dataset", "site")


def _featurevis(args: argparse.Namespace, device: torch.device) -> None:
    from generate.bench import featurevis
    from generate.models import load_model

    featurevis.run(args, load_model(args.model, device=device), device)


def _dataset(args: argparse.Namespace, device: torch.device) -> None:
    from generate.bench.dataset import plain_vs_scan
    from generate.bench.featurevis import plain_model
    from generate.config import AUTO_DATASET
    from generate.data import ImageSet, scan_images
    from generate.models import load_model
    from generate.sources import resolve_dataset

    model = load_model(args.model, device=device)
    images = scan_images(resolve_dataset(args.dataset or AUTO_DATASET))
    images = ImageSet(images.name, images.paths[:args.images])
    layer = args.layers[len(args.layers) // 2]
    print(f"\nDataset pass: {len(images)} images from {images.name}, batches of {args.dataset_batch}")
    print_rates(plain_vs_scan(model, plain_model(args.model, device), layer, images, args.dataset_batch,
                              args.repeats), "images", per="image", ratio="ratio")


def _scale(args: argparse.Namespace, device: torch.device) -> None:
    from generate.bench.dataset import scale
    from generate.models import load_model

    layer = args.layers[len(args.layers) // 2]
    print(f"\nDataset pass at scale: {layer}, all units, generated 64 px JPEGs, batches of {args.dataset_batch}")
    scale(load_model(args.model, device=device), layer, args.scale, args.scale_folder, args.dataset_batch)


def _stages(args: argparse.Namespace, device: torch.device) -> None:
    from generate.bench.stages import run

    run(args, device)


def _site(args: argparse.Namespace, device: torch.device) -> None:
    from generate.bench import site

    site.run(args.site_pages, args.site_folder, args.site_dir)


SECTIONS: dict[str, Callable[[argparse.Namespace, torch.device], None]] = {
    "featurevis": _featurevis, "dataset": _dataset, "scale": _scale, "stages": _stages, "site": _site}


def run_bench(args: argparse.Namespace, device: torch.device) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)
    sections = args.sections or list(DEFAULT_SECTIONS) + (["scale"] if args.scale else [])
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise AtlasError(f"unknown bench section '{unknown[0]}'; valid: {', '.join(SECTIONS)}")
    if "scale" in sections and not args.scale:
        raise AtlasError("the scale section needs --scale N[,N...], e.g. --scale 5000,20000,50000")
    print(f"device: {device}; torch threads: {torch.get_num_threads()}; {machine_load()}; model {args.model}")
    for name in sections:
        SECTIONS[name](args, device)
    print(f"\nafter: {machine_load()}")
