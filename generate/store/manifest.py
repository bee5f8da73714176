"""The manifest: one JSON file per config in `<store>/manifests/`, written after the stages ran,
read by the site. It names the store folder of every stage of every layer, so rendering never
recomputes a store key."""

from __future__ import annotations

from pathlib import Path

from generate.errors import AtlasError
from generate.records import Manifest
from generate.store.integrity import CorruptResult, read_sealed
from generate.store.stage_store import write_sealed


def manifest_path(store_root: Path, source: str) -> Path:
    """Where the manifest of the config file `source` lies."""
    stem = Path(source).stem if source else "atlas"
    return Path(store_root) / "manifests" / f"{stem}.json"


def write_manifest(store_root: Path, source: str, manifest: Manifest) -> Path:
    path = manifest_path(store_root, source)
    write_sealed(path, manifest.to_json())
    return path


def load_manifest(store_root: Path, source: str) -> Manifest:
    path = manifest_path(store_root, source)
    if not path.is_file():
        raise AtlasError(f"no computed results for {source or 'this config'} in {store_root}: "
                         f"run `python -m generate atlas --config {source}` first")
    try:
        return Manifest.from_json(read_sealed(path))
    except CorruptResult as exc:
        raise CorruptResult(f"{exc}: rerun `python -m generate atlas --config {source}` to rewrite it") from None
