"""A verified download becomes its cache folder atomically: it is unpacked into a hidden
staging folder beside the target and renamed into place only when complete, so the cache
never holds a half-extracted folder. A run killed midway leaves only a staging folder, which
the next attempt removes."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from tqdm import tqdm

from generate.errors import AtlasError
from generate.progress import progress_bar
from generate.sources.catalog import Source

STAGING = ".staging-"
CIFAR_SPLITS = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
CIFAR_RECORD = 1 + 3 * 32 * 32  # a label byte, then the red, green and blue planes


def install(archive: Path, source: Source, target: Path, progress: bool = True) -> None:
    """Unpack `archive` into `target` (which must not exist yet), all or nothing."""
    root = target.parent
    for stale in root.glob(f"{STAGING}{source.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{source.name}-", dir=root))
    try:
        UNPACKERS[source.unpack](archive, staging, progress)
        if not (staging / source.reads).exists():
            raise AtlasError(f"{archive.name} has no '{source.reads}': it is not the expected {source.title}")
        os.replace(staging, target)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError, OSError) as exc:
        raise AtlasError(f"cannot unpack {archive.name}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _bar(progress: bool, **kwargs) -> tqdm:
    return progress_bar(unit="B", unit_scale=True, unit_divisor=1024, disable=not progress, file=sys.stderr,
                        dynamic_ncols=True, **kwargs)


def _unzip(archive: Path, into: Path, progress: bool) -> None:
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        with _bar(progress, total=sum(m.file_size for m in members), desc=f"unpacking {archive.name}") as bar:
            for member in members:
                bundle.extract(member, into)  # zipfile drops absolute paths and '..' parts
                bar.update(member.file_size)


def _untar(archive: Path, into: Path, progress: bool) -> None:
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(open(archive, "rb"))
        # progress in compressed bytes read: a compressed stream has no member count up front
        bar = stack.enter_context(_bar(progress, total=archive.stat().st_size, desc=f"unpacking {archive.name}"))
        bundle = stack.enter_context(tarfile.open(fileobj=_Counting(raw, bar), mode="r|*"))
        bundle.extractall(into, filter="data")  # no links out of `into`, no absolute paths, no devices


class _Counting:
    """A readable file that advances a progress bar by the bytes read from it."""

    def __init__(self, raw, bar: tqdm):
        self.raw, self.bar = raw, bar

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.bar.update(len(data))
        return data


def _cifar_binary(archive: Path, into: Path, progress: bool) -> None:
    """The CIFAR-10 binary records as PNG files, train/<class>/NNNNN.png and test/<class>/NNNNN.png:
    lossless, and readable by any image tool (no pickle is ever loaded)."""
    raw = into / ".records"
    _untar(archive, raw, progress)
    meta = next(raw.rglob("batches.meta.txt"), None)
    if meta is None:
        raise AtlasError(f"{archive.name} has no batches.meta.txt: it is not the CIFAR-10 binary version")
    classes = [line.strip() for line in meta.read_text().splitlines() if line.strip()]
    for split, files in CIFAR_SPLITS.items():
        records = np.concatenate([np.fromfile(meta.parent / f, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
                                  for f in files])
        for label in classes:
            (into / split / label).mkdir(parents=True)
        for index, record in enumerate(progress_bar(records, desc=f"CIFAR-10 {split} images to PNG", unit="img",
                                                    disable=not progress, file=sys.stderr, dynamic_ncols=True)):
            pixels = record[1:].reshape(3, 32, 32).transpose(1, 2, 0)
            Image.fromarray(pixels).save(into / split / classes[record[0]] / f"{index:05d}.png")
    shutil.rmtree(raw)


def _keep(download: Path, into: Path, progress: bool) -> None:
    os.replace(download, into / download.name)


UNPACKERS: dict[str, Callable[[Path, Path, bool], None]] = {
    "zip": _unzip, "tar": _untar, "cifar-binary": _cifar_binary, "file": _keep}
