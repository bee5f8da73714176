"""On-disk results store.

Layout: <root>/<model key>/<layer>/<stage>-<params hash>/<unit>.json (+ <unit>.<name> files).
The model key holds the weights' hash and the params hash covers every parameter of the
stage (dataset fingerprint included), so a changed input can never reuse an old result.

Writes are atomic: each file goes to a temporary name in the same folder and is renamed
into place; a unit's JSON is written last and marks the unit complete. A run killed at any
moment leaves at most stray temporaries (removed on the next open) and the next run
resumes with the units that are missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from generate.records import Record

R = TypeVar("R", bound=Record)
TMP_PREFIX = ".tmp-"


def params_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StageStore:
    """Results of one stage for one (model, layer, params)."""

    def __init__(self, root: Path, model_key: str, layer: str, stage: str, params: dict[str, Any]):
        self.params = params
        self.dir = Path(root) / model_key / layer / f"{stage}-{params_hash(params)}"

    def _json(self, unit: int | str) -> Path:
        return self.dir / f"{unit}.json"

    def has(self, unit: int | str) -> bool:
        return self._json(unit).is_file()

    def missing(self, units: list[int]) -> list[int]:
        return [u for u in units if not self.has(u)]

    def load(self, unit: int | str) -> dict[str, Any]:
        return json.loads(self._json(unit).read_text())

    def file(self, name: str) -> Path:
        return self.dir / name

    def load_record(self, unit: int | str, cls: type[R]) -> R:
        """A stored record, typed."""
        return cls.from_json(self.load(unit))

    def save(self, unit: int | str, record: dict[str, Any] | Record, files: dict[str, bytes] | None = None) -> None:
        """Write the unit's files, then its JSON (the completion marker)."""
        if not (self.dir / "params.json").is_file():
            atomic_write(self.dir / "params.json", json.dumps(self.params, indent=1, sort_keys=True).encode())
        for name, data in (files or {}).items():
            atomic_write(self.dir / name, data)
        data = record.to_json() if isinstance(record, Record) else record
        atomic_write(self._json(unit), json.dumps(data, indent=1).encode())


def clean_temporaries(root: Path) -> int:
    """Remove temporaries left by a killed run; returns how many."""
    root = Path(root)
    if not root.is_dir():
        return 0
    stray = list(root.rglob(f"{TMP_PREFIX}*"))
    for path in stray:
        path.unlink(missing_ok=True)
    return len(stray)
