"""Which image folder a `dataset:` value names (a folder, a named source, or 'auto')."""

from __future__ import annotations

from pathlib import Path

from generate import config
from generate.sources.cache import fetch, fetch_if_possible
from generate.sources.catalog import DATASETS


def resolve_dataset(dataset: str) -> Path | None:
    """The image folder a `dataset:` value names: a folder as given; a named source
    (`python -m generate data list`) fetched into the user's cache the first time; for 'auto'
    the first of ../shared/datasets/imagenet-sample, the cached ImageNet sample, a download of
    it (unless offline or unreachable), and None: the packaged photos, flagged on every page."""
    if dataset == config.AUTO_DATASET:
        shared = config.SHARED_IMAGENET
        return shared if shared.is_dir() else fetch_if_possible(config.AUTO_SOURCE)
    if dataset in DATASETS and not Path(dataset).is_dir():
        return fetch(dataset)
    return Path(dataset)
