"""The dataset scan's verdicts, kept in the store so that a rerun decodes no image again.

`<store>/scans/<hash of the folder>.json` maps each image's path to [size, mtime in ns,
verdict, sha256], the verdict being "" for a usable image or why it was skipped, the hash that
of a usable image's bytes (the dataset's fingerprint is made of them). An image whose size or
modification time changed is decoded and hashed again. The file is sealed like every store JSON; a
corrupt one is ignored (every image is decoded again) and rewritten.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from generate.store.integrity import CorruptResult, read_sealed
from generate.store.stage_store import write_sealed

SCANS = "scans"


def _signature(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns]


class ScanCache:
    """Verdicts of one image folder (None: the packaged photos), read once, written by `save`."""

    def __init__(self, store_root: Path, folder: Path | None):
        key = str(Path(folder).resolve()) if folder is not None else "packaged photos"
        self.path = Path(store_root) / SCANS / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
        self.entries: dict[str, list] = {}
        self.changed = False
        if self.path.is_file():
            try:
                self.entries = read_sealed(self.path).get("images", {})
            except CorruptResult:
                self.changed = True  # rewritten by `save`

    def get(self, path: Path, stat: os.stat_result) -> tuple[str, str] | None:
        """(verdict, content hash) of an unchanged image (verdict "" when usable, hash "" when
        not), None when unknown."""
        entry = self.entries.get(str(path))
        if isinstance(entry, list) and len(entry) == 4 and entry[:2] == _signature(stat):
            return entry[2], entry[3]
        return None

    def put(self, path: Path, stat: os.stat_result, verdict: str, digest: str) -> None:
        self.entries[str(path)] = [*_signature(stat), verdict, digest]
        self.changed = True

    def save(self, present: list[Path]) -> None:
        """Write the verdicts of the images still present (others are forgotten)."""
        keep = {str(p) for p in present}
        stale = [name for name in self.entries if name not in keep]
        for name in stale:
            del self.entries[name]
        if self.changed or stale:
            write_sealed(self.path, {"images": self.entries})
