"""Image datasets: any folder of images, recursively, or photos that ship inside installed packages.

An image counts only once it has been decoded whole. Whatever a folder holds (files cut short,
corrupt data, decompression bombs, absurd sizes, non-images under an image name, unreadable
files) is skipped, counted by reason and named in one warning line; the pixel and aspect
limits (config.py) are checked on the header, before decoding, so memory stays bounded.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from generate.config import MAX_IMAGE_ASPECT, MAX_IMAGE_PIXELS
from generate.errors import AtlasError
from generate.progress import progress_bar

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
# What Pillow may open, whatever a file's name says (JPEG covers MPO, the multi-picture JPEG of cameras).
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")

# Why an image is skipped: the labels counted in the warning and on the Methods page.
EMPTY, UNREADABLE, NOT_AN_IMAGE = "empty file", "unreadable file", "not an image"
TRUNCATED, CORRUPT, TOO_LARGE, PROPORTIONS = "truncated", "corrupt data", "too large", "absurd proportions"
NAMES_SHOWN = 10  # files named in the warning line

# Real photographs shipped by scikit-image and matplotlib (no download needed).
PACKAGED_PHOTOS = {
    "skimage": ["astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png", "coffee.png",
                "coins.png", "grass.png", "gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
                "motorcycle_left.png", "motorcycle_right.png", "page.png", "retina.jpg", "rocket.jpg",
                "text.png", "microaneurysms.png", "clock_motion.png", "color.png"],
    "matplotlib": ["grace_hopper.jpg", "Minduka_Present_Blue_Pack.png"],
}


@dataclass(frozen=True)
class ImageSet:
    """An ordered list of readable images, the files skipped (and why), and a fingerprint of
    the images' identity."""

    name: str
    paths: tuple[Path, ...]
    skipped: tuple[str, ...] = ()
    packaged: bool = False  # the fallback photos shipped in packages: every page must say how few they are
    skip_reasons: dict[str, str] = field(default_factory=dict, hash=False)  # skipped path -> reason
    root: Path | None = None  # the dataset folder (None: the images are named by their file names)
    digests: tuple[str, ...] = ()  # sha256 of each image's bytes, as the scan found them (or computed)

    @functools.cached_property  # stage keys ask for it per layer; without scan digests it reads every file
    def fingerprint(self) -> str:
        """The images' identity: each one's name inside the dataset folder and the hash of its bytes,
        in order. Not where the folder lies nor when it was copied: a dataset moved, re-copied or
        remounted (new modification times) keeps the store's results; an edited image does not."""
        digests = self.digests or tuple(file_digest(path) for path in self.paths)
        text = "".join(f"{self.relative_name(path)}|{digest}\n" for path, digest in zip(self.paths, digests))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def relative_name(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if self.root is not None else path.name

    def skipped_by_reason(self) -> dict[str, int]:
        """How many files were skipped for each reason, most frequent first."""
        return dict(Counter(self.skip_reasons.get(p, CORRUPT) for p in self.skipped).most_common())

    def __len__(self) -> int:
        return len(self.paths)


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (a vanished file is one line, not a traceback)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise AtlasError(f"dataset image {path} vanished during the run ({exc.strerror}): rerun") from None


class ImageReadError(AtlasError):
    """An image that decoded when the dataset was scanned fails now: it changed during the run.

    Torch re-raises an exception from a DataLoader worker with the worker's traceback as its
    message; the last line of that traceback is the original message, and all `str` shows."""

    def __str__(self) -> str:
        text = super().__str__().strip()
        last = text.splitlines()[-1] if text else text
        return last.split(f"{type(self).__name__}: ", 1)[-1]


class _Rejected(Exception):
    """An image refused on its header (size limits), before any pixel is decoded."""


def packaged_photo_paths() -> list[Path]:
    import matplotlib
    import skimage

    roots = {
        "skimage": Path(skimage.__file__).parent / "data",
        "matplotlib": Path(matplotlib.get_data_path()) / "sample_data",
    }
    return [roots[pkg] / f for pkg, files in PACKAGED_PHOTOS.items() for f in files if (roots[pkg] / f).is_file()]


def _size_problem(width: int, height: int) -> str | None:
    if width * height > MAX_IMAGE_PIXELS:
        return TOO_LARGE
    if max(width, height) > MAX_IMAGE_ASPECT * min(width, height):
        return PROPORTIONS
    return None


def _decode_rgb(path: Path, draft: bool = False) -> Image.Image:
    """Decode the first frame whole, as RGB; raises whatever the file provokes. `draft` lets a
    JPEG decode at 1/8 scale: every byte of its compressed stream is still read and decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bomb warnings (the limits below decide) and EXIF chatter
        with Image.open(path, formats=IMAGE_FORMATS) as im:
            problem = _size_problem(*im.size)
            if problem:
                raise _Rejected(problem)
            im.seek(0)
            if draft and im.format in ("JPEG", "MPO"):
                im.draft(None, (max(1, im.width // 8), max(1, im.height // 8)))
            im = ImageOps.exif_transpose(im)  # a decoded copy
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                # Transparent pixels are composited on white so they do not turn black.
                im = im.convert("RGBA")
                background = Image.new("RGBA", im.size, (255, 255, 255, 255))
                return Image.alpha_composite(background, im).convert("RGB")
            return im.convert("RGB")


def _reason(exc: BaseException) -> str:
    """The skip label of an exception raised while decoding."""
    if isinstance(exc, _Rejected):
        return str(exc)
    if isinstance(exc, (Image.DecompressionBombError, MemoryError)):
        return TOO_LARGE
    if isinstance(exc, UnidentifiedImageError):
        return NOT_AN_IMAGE
    if isinstance(exc, (PermissionError, FileNotFoundError, IsADirectoryError)):
        return UNREADABLE
    if isinstance(exc, EOFError) or "truncated" in str(exc).lower() or "broken data stream" in str(exc):
        return TRUNCATED
    return CORRUPT


def image_problem(path: Path) -> str | None:
    """Why the image cannot be used (a skip label), or None when it decodes whole."""
    try:
        if path.stat().st_size == 0:
            return EMPTY
        _decode_rgb(path, draft=True)
    except Exception as exc:  # a hostile file can make Pillow raise any type, MemoryError included
        return _reason(exc)
    return None


def load_rgb(path: Path) -> Image.Image:
    """Open any supported image as RGB (first frame of GIFs; grey, CMYK, palette, alpha converted).
    An image that fails (it must have changed since the scan) raises ImageReadError, one line."""
    try:
        return _decode_rgb(path)
    except Exception as exc:  # any type, as in image_problem
        raise ImageReadError(f"{path} can no longer be decoded ({_reason(exc)}) although it was when the "
                             f"dataset was scanned: it changed during the run; rerun") from None


def _list(folder: Path | None, max_images: int) -> tuple[str, list[Path], list[Path]]:
    """The dataset's name, every image file in it, and those to use (max_images evenly spaced)."""
    if folder is None:
        paths = packaged_photo_paths()
        name = "packaged photos (scikit-image + matplotlib samples)"
        print(f"note: no dataset given and ../shared/datasets absent: using {len(paths)} photos "
              f"that ship inside scikit-image and matplotlib", file=sys.stderr)
    else:
        if not folder.is_dir():
            raise AtlasError(f"dataset folder not found: {folder}")
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        name = str(folder)
    chosen = paths
    if 0 < max_images < len(paths):
        picks = np.linspace(0, len(paths) - 1, max_images).round().astype(int)
        name = f"{name} ({max_images} of {len(paths)} images, evenly spaced)"
        chosen = [paths[i] for i in picks]
    return name, paths, chosen


def _verdicts(paths: list[Path], cache) -> tuple[dict[Path, str], dict[Path, str]]:
    """The skip label of each unusable path and the content hash of each usable one; both come
    from the store's scan cache when the file is unchanged, else from reading it (an unreadable
    file is tried again next time)."""
    bad: dict[Path, str] = {}
    digests: dict[Path, str] = {}
    for path in progress_bar(paths, desc="checking images", unit="img", disable=None, leave=False):
        try:
            stat = path.stat()
        except OSError:
            bad[path] = UNREADABLE
            continue
        known = cache.get(path, stat) if cache else None
        if known:
            verdict, digest = known
        else:
            verdict, digest = image_problem(path) or "", ""
            if not verdict:
                try:
                    digest = file_digest(path)
                except AtlasError:
                    verdict = UNREADABLE
            if cache and verdict != UNREADABLE:
                cache.put(path, stat, verdict, digest)
        if verdict:
            bad[path] = verdict
        else:
            digests[path] = digest
    return bad, digests


def scan_images(folder: Path | None, max_images: int = 0, cache_root: Path | None = None) -> ImageSet:
    """All usable images under `folder`, sorted; None means the packaged photos. With
    max_images, at most that many, evenly spaced in path order (so every class of a dataset
    sorted by class keeps its share). With `cache_root` (a store), verdicts are reused.

    Files that fail are skipped, counted by reason and named in one warning line; only an empty
    result is fatal.
    """
    from generate.store.scan_cache import ScanCache

    name, every, paths = _list(folder, max_images)
    cache = ScanCache(cache_root, folder) if cache_root is not None else None
    bad, digests = _verdicts(paths, cache)
    good = [p for p in paths if p not in bad]
    counts = ", ".join(f"{n} {reason}" for reason, n in Counter(bad.values()).most_common())
    if not good:
        raise AtlasError(f"no readable images in {name}" + (f" ({len(bad)} skipped: {counts})" if bad else ""))
    if cache:
        cache.save(every)  # only a usable dataset leaves its verdicts in the store
    if bad:
        shown = [str(p.relative_to(folder) if folder else p.name) for p in list(bad)[:NAMES_SHOWN]]
        more = f" and {len(bad) - NAMES_SHOWN} more" if len(bad) > NAMES_SHOWN else ""
        print(f"warning: skipped {len(bad)} of {len(paths)} image files in {name} ({counts}): "
              f"{', '.join(shown)}{more}", file=sys.stderr)
    return ImageSet(name, tuple(good), tuple(str(p) for p in bad), skip_reasons={str(p): r for p, r in bad.items()},
                    packaged=folder is None, root=folder, digests=tuple(digests[p] for p in good))


def to_model_input(image: Image.Image, size: int) -> np.ndarray:
    """Resize the short side to `size`, centre-crop a square: uint8 array [size, size, 3]."""
    w, h = image.size
    scale = size / min(w, h)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    image = image.resize(new, Image.BILINEAR)
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


class SquareImages(torch.utils.data.Dataset):
    """Dataset of square uint8 crops, for a DataLoader. Its images passed the scan; one that
    fails now raises ImageReadError, which reads as one line even from a worker process."""

    def __init__(self, images: ImageSet, size: int):
        self.paths, self.size = images.paths, size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        array = to_model_input(load_rgb(self.paths[index]), self.size)
        return torch.from_numpy(array.copy()).permute(2, 0, 1)
