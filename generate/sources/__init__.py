"""Named sources (datasets and model weights), fetched once into the user's cache folder.

    from generate import sources
    folder = sources.fetch("imagenet-sample")   # downloads, verifies, unpacks the first time only

Downloads go through pooch, with a progress bar, resumed after a cut connection, checked
against the publisher's hash where there is one and against the SHA-256 recorded on first
download always, and unpacked atomically. `--offline` or NEURON_ATLAS_OFFLINE=1 forbids every
download; NEURON_ATLAS_CACHE moves the cache. `python -m generate data list` shows it.
"""

from generate.sources.cache import (Status, describe, fetch, fetch_if_possible, installed, offline_message,
                                    provenance, status)
from generate.sources.catalog import DATASETS, SOURCES, Source, lookup
from generate.sources.download import CACHE_ENV, OFFLINE_ENV, Unavailable, cache_root, offline
from generate.sources.ledger import Fetched
from generate.sources.resolve import resolve_dataset

__all__ = ["CACHE_ENV", "DATASETS", "OFFLINE_ENV", "SOURCES", "Fetched", "Source", "Status", "Unavailable",
           "cache_root", "describe", "fetch", "fetch_if_possible", "installed", "lookup", "offline",
           "offline_message", "provenance", "resolve_dataset", "status"]
