"""The manifest: one JSON file per config in `<store>/manifests/`, written after the stages ran,
read by the site. It names the store folder of every stage of every layer, so rendering never
recomputes a store key."""

from __future__ import annotations

import json
from pathlib import Path

from generate.errors import AtlasError
from generate.records import Manifest
from generate.store.stage_store import atomic_write


def manifest_path(store_root: Path, source: str) -> Path:
    """Where the manifest of the config file `source` lies."""
    stem = Path(source).stem if source else "atlas"
    return Path(store_root) / "manifests" / f"{stem}.json"


def write_manifest(store_root: Path, source: str, manifest: Manifest) -> Path:
    path = manifest_path(store_root, source)
    atomic_write(path, json.dumps(manifest.to_json(), indent=1).encode())
    return path


def load_manifest(store_root: Path, source: str) -> Manifest:
    path = manifest_path(store_root, source)
    if not path.is_file():
        raise AtlasError(f"no computed results for {source or 'this config'} in {store_root}: "
                         f"run `python -m generate atlas --config {source}` first")
    return Manifest.from_json(json.loads(path.read_text()))
