"""Fetching a named source into the cache once, and what the cache holds.

    ROOT/downloads/FILE.part   a download in progress (resumed by the next attempt)
    ROOT/downloads/FILE        a complete download not yet unpacked, or a file placed there by hand
    ROOT/NAME/                 the unpacked source: present only when complete
    ROOT/registry.json         the SHA-256 and date of each file as first downloaded
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from generate.errors import AtlasError
from generate.sources.catalog import SOURCES, Source, lookup
from generate.sources.download import OFFLINE_ENV, Unavailable, cache_root, download, offline
from generate.sources.ledger import Fetched, read_ledger, record, verify
from generate.sources.unpack import install

_given_up: set[str] = set()  # sources this process could not fetch: not tried (or noted) twice
STATES = {"cached": "cached", "downloaded": "downloaded, not unpacked", "partial": "partly downloaded",
          "absent": "not cached"}


def installed(name: str) -> Path | None:
    """What the atlas reads of a source (its image folder, its weights file), if cached."""
    source = lookup(name)
    target = cache_root() / source.name
    return target / source.reads if target.is_dir() else None


def fetch(name: str, progress: bool = True) -> Path:
    """What the atlas reads of a source: downloaded, verified and unpacked the first time, read
    from the cache afterwards (no network). AtlasError when the file is refused (its hash does
    not match) or unreadable; Unavailable, an AtlasError too, when downloads are off or fail."""
    source = lookup(name)
    root = cache_root()
    target = root / source.name
    if target.is_dir():
        return target / source.reads
    archive = root / "downloads" / source.file
    if not archive.is_file():
        if offline():
            raise Unavailable(offline_message(source, root))
        archive = download(source, archive.parent, progress)
    try:
        entry = verify(archive, source, root)
        install(archive, source, target, progress)
    except AtlasError:
        archive.unlink(missing_ok=True)  # refused or unreadable: never reused, fetched afresh next time
        raise
    record(root, entry)
    archive.unlink(missing_ok=True)  # unpacked: its hash stays recorded, its bytes are not needed
    if progress:
        print(f"{source.title}: saved in {target}; sha256 of {source.file} recorded: {entry.sha256}",
              file=sys.stderr)
    return target / source.reads


def fetch_if_possible(name: str, progress: bool = True) -> Path | None:
    """Like fetch, but None (after one note) when downloads are off or the network fails, for
    defaults that have a fallback. A refused file still raises."""
    found = installed(name)
    if found is not None or name in _given_up:
        return found
    try:
        return fetch(name, progress)
    except Unavailable as exc:
        _given_up.add(name)
        print(f"note: {exc}", file=sys.stderr)
        return None


def offline_message(source: Source, root: Path) -> str:
    return (f"{source.title} not found in {root / source.name} and downloads are off (--offline or "
            f"{OFFLINE_ENV}): download {source.url} to {root / 'downloads' / source.file} and rerun"
            f"{source.manual}")


def provenance(path: str | Path) -> Fetched | None:
    """The download a cached folder or file came from (URL, SHA-256, size, date), for the
    Reproduce block and the Methods page; None for anything outside the cache."""
    root = cache_root().resolve()
    try:
        relative = Path(path).resolve().relative_to(root)
    except ValueError:
        return None
    return read_ledger(root).get(relative.parts[0]) if relative.parts else None


@dataclass(frozen=True)
class Status:
    source: Source
    state: str  # "cached", "downloaded", "partial" or "absent"
    bytes: int  # on disk
    fetched: Fetched | None


def status(name: str) -> Status:
    source, root = lookup(name), cache_root()
    fetched = read_ledger(root).get(name)
    download_path = root / "downloads" / source.file
    for state, path in (("cached", root / name), ("downloaded", download_path),
                        ("partial", download_path.with_name(f"{source.file}.part"))):
        if path.exists():
            return Status(source, state, _size(path), fetched)
    return Status(source, "absent", 0, fetched)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def describe(statuses: list[Status]) -> str:
    """`data list`: per source, a line with its state and size, and a line with its hash."""
    lines = [f"cache: {cache_root()}  (NEURON_ATLAS_CACHE moves it; --offline or {OFFLINE_ENV}=1 forbids downloads)"]
    width = max(len(name) for name in SOURCES)
    for item in statuses:
        size = f"{item.bytes / 2 ** 20:,.1f} MiB" if item.bytes else "-"
        lines.append(f"{item.source.name:<{width}}  {STATES[item.state]:<24} {size:>12}  {item.source.title}")
        if item.fetched:
            check = f" (and the publisher's {item.fetched.published_hash})" if item.fetched.published_hash else ""
            detail = (f"sha256 {item.fetched.sha256}{check}, {item.fetched.bytes:,} bytes fetched "
                      f"{item.fetched.fetched} from {item.fetched.url}")
        else:
            check = f"must match {item.source.published_hash}" if item.source.published_hash else \
                "sha256 recorded on first download"
            detail = f"from {item.source.url}; {check}"
        lines.append(f"{'':<{width}}  {detail}")
    return "\n".join(lines)
