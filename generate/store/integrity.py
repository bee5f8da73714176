"""Checksums that let the store check itself.

Every JSON the store writes (`X.json`) has a sidecar `X.sums` holding the sha256 of its bytes
and of each companion file written with it. The JSON itself stays exactly the record, for
any reader. A JSON cut short, a flipped byte, a file replaced, truncated or missing changes a
checksum: the result reads as corrupt (so it is recomputed), never as a result.

Write order (stage_store.write_sealed): the old JSON goes, then the companion files, the
sums, and the JSON last, so a JSON present means its sums were written before it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from generate.errors import AtlasError

SUMS_SUFFIX = ".sums"


class CorruptResult(AtlasError):
    """A stored file that fails its checksums (or is not the JSON it should be)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sums_path(path: Path) -> Path:
    """The sidecar holding the checksums of the JSON `path` and of its companions."""
    return Path(path).with_suffix(SUMS_SUFFIX)


def checksums(json_bytes: bytes, files: dict[str, bytes]) -> bytes:
    """The sidecar's content for a JSON and its companion files."""
    return json.dumps({"json": sha256(json_bytes),
                       "files": {name: sha256(data) for name, data in sorted(files.items())}}, indent=1).encode()


def companions(path: Path) -> dict[str, str]:
    """The companion files the sidecar of `path` vouches for, with their checksums ({} if none)."""
    try:
        sums = json.loads(sums_path(path).read_bytes())
        return dict(sums["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def read_checked(path: Path) -> dict[str, Any]:
    """The record of the JSON `path`, checked against its sidecar (not its companions);
    CorruptResult says why it fails."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CorruptResult(f"cannot be read: {exc.strerror or exc}") from None
    try:
        expected = json.loads(sums_path(path).read_bytes())["json"]
    except FileNotFoundError:
        raise CorruptResult("no checksum (written by an older version, or its .sums file is gone)") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise CorruptResult(f"its {SUMS_SUFFIX} file is damaged") from None
    if sha256(data) != expected:
        raise CorruptResult("its content does not match its checksum (cut short or altered)")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CorruptResult("not valid JSON") from None


def companion_problem(folder: Path, sums: dict[str, str]) -> str | None:
    """Why companion files are not as written, or None."""
    for name, expected in sums.items():
        try:
            actual = file_sha256(Path(folder) / name)
        except FileNotFoundError:
            return f"its file {name} is missing"
        except OSError as exc:
            return f"its file {name} cannot be read ({exc.strerror or exc})"
        if actual != expected:
            return f"its file {name} does not match its checksum"
    return None


def problem(path: Path) -> str | None:
    """Why the sealed JSON `path` or one of its companions is not as written, or None."""
    try:
        read_checked(path)
    except FileNotFoundError:
        return "it is missing"
    except CorruptResult as exc:
        return str(exc)
    return companion_problem(Path(path).parent, companions(path))


def read_sealed(path: Path) -> dict[str, Any]:
    """A sealed JSON's record, its companions checked too; CorruptResult naming the file."""
    try:
        record = read_checked(path)
        why = companion_problem(Path(path).parent, companions(path))
    except FileNotFoundError:
        why = "it is missing"
    except CorruptResult as exc:
        why = str(exc)
    if why:
        raise CorruptResult(f"{path} is corrupt: {why}")
    return record
