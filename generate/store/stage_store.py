"""On-disk results store.

Layout: <root>/<model key>/<layer>/<stage>-<params hash>/<unit>.json (+ <unit>.<name> files).
The model key holds the weights' hash and the params hash covers every parameter of the
stage (dataset fingerprint included), so a changed input can never reuse an old result.

Writes are atomic: each file goes to a temporary name in the same folder and is renamed
into place; a unit's JSON is written last and marks the unit complete. A run killed at any
moment leaves at most stray temporaries (removed on the next open) and the next run
resumes with the units that are missing.

Every JSON is sealed: a sidecar `<unit>.sums` holds the checksums of the JSON and of the
unit's files (integrity.py). A unit whose JSON or files were cut short or altered afterwards
counts as missing, is reported in one line and recomputed; it is never read as a result. A write that fails (disk full,
read-only folder) stops the run with one `error:` line naming the file, the store consistent.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sys
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from generate.errors import AtlasError
from generate.records import Record
from generate.store.integrity import CorruptResult, checksums, problem, read_checked, sums_path

R = TypeVar("R", bound=Record)
TMP_PREFIX = ".tmp-"
REPORT_LIMIT = 10  # corrupt results named one per line; beyond that, one line for the rest

_WHY = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted"}
_reported: set[Path] = set()


class StoreWriteError(AtlasError):
    """A store file could not be written; what was finished before it is intact."""


def write_error(path: Path, exc: OSError) -> StoreWriteError:
    why = _WHY.get(exc.errno, exc.strerror or str(exc))
    return StoreWriteError(f"cannot write {path}: {why}; every result finished before it is kept, "
                           f"rerun once that is fixed")


def params_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all; StoreWriteError (one line) when it cannot."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(path, exc) from None
        raise


def remove(path: Path) -> None:
    """Delete a store file if present; StoreWriteError (one line) when it cannot."""
    try:
        Path(path).unlink(missing_ok=True)
    except OSError as exc:
        raise write_error(path, exc) from None


def write_sealed(path: Path, record: dict[str, Any], files: dict[str, bytes] | None = None) -> None:
    """A JSON and the files it vouches for (written beside it), with their checksums. The old
    JSON goes first and the new one comes last, so a write cut short leaves no JSON at all."""
    path, files = Path(path), files or {}
    data = json.dumps(record, indent=1).encode()
    remove(path)
    for name, content in files.items():
        atomic_write(path.parent / name, content)
    atomic_write(sums_path(path), checksums(data, files))
    atomic_write(path, data)


def report_corrupt(path: Path, why: str) -> None:
    """One line per corrupt result met in this process (the first REPORT_LIMIT of them)."""
    if path in _reported:
        return
    _reported.add(path)
    if len(_reported) <= REPORT_LIMIT:
        print(f"warning: stored result {path} is corrupt ({why}): treated as missing, so it is recomputed",
              file=sys.stderr)
    elif len(_reported) == REPORT_LIMIT + 1:
        print("warning: more stored results are corrupt and are recomputed; "
              "`python -m generate store verify` lists them all", file=sys.stderr)


class StageStore:
    """Results of one stage for one (model, layer, params)."""

    def __init__(self, root: Path, model_key: str, layer: str, stage: str, params: dict[str, Any]):
        self.params = params
        self.dir = Path(root) / model_key / layer / f"{stage}-{params_hash(params)}"
        self._params_written = False

    def _json(self, unit: int | str) -> Path:
        return self.dir / f"{unit}.json"

    def problem(self, unit: int | str) -> str | None:
        """Why the stored unit cannot be used (absent, or corrupt), or None when it is sound."""
        return problem(self._json(unit))

    def has(self, unit: int | str) -> bool:
        """Whether the unit is stored and passes its checksums (a corrupt one is reported)."""
        path = self._json(unit)
        if not path.is_file():
            return False
        problem = self.problem(unit)
        if problem:
            report_corrupt(path, problem)
        return problem is None

    def missing(self, units: list[int]) -> list[int]:
        return [u for u in units if not self.has(u)]

    def load(self, unit: int | str) -> dict[str, Any]:
        """The stored record (its own checksum verified; its files are checked by `has`)."""
        path = self._json(unit)
        try:
            record = read_checked(path)
        except FileNotFoundError:
            raise AtlasError(f"no stored result {path}: rerun to compute it") from None
        except CorruptResult as exc:
            raise CorruptResult(f"stored result {path} is corrupt ({exc}): rerun to recompute it") from None
        return record

    def file(self, name: str) -> Path:
        return self.dir / name

    def load_record(self, unit: int | str, cls: type[R]) -> R:
        """A stored record, typed."""
        return cls.from_json(self.load(unit))

    def save(self, unit: int | str, record: dict[str, Any] | Record, files: dict[str, bytes] | None = None) -> None:
        """Write the unit's files, then its sealed JSON (the completion marker); a save cut short
        leaves the unit missing, never half old, half new."""
        self._write_params()
        marker = self._json(unit)
        write_sealed(marker, record.to_json() if isinstance(record, Record) else record, files)
        _reported.discard(marker)

    def _write_params(self) -> None:
        """params.json: what the folder's hash stands for (rewritten when absent or corrupt)."""
        if not self._params_written and problem(self.dir / "params.json"):
            write_sealed(self.dir / "params.json", self.params)
        self._params_written = True


def clean_temporaries(root: Path) -> int:
    """Remove temporaries left by a killed run; returns how many."""
    root = Path(root)
    if not root.is_dir():
        return 0
    stray = list(root.rglob(f"{TMP_PREFIX}*"))
    for path in stray:
        remove(path)
    return len(stray)
