"""Image datasets: any folder of images, recursively, or photos that ship inside installed packages."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from generate.errors import AtlasError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}

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
    """An ordered list of readable images and a fingerprint of their contents' identity."""

    name: str
    paths: tuple[Path, ...]
    skipped: tuple[str, ...] = ()
    packaged: bool = False  # the fallback photos shipped in packages: every page must say how few they are

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in self.paths:
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{int(stat.st_mtime)}\n".encode())
        return digest.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.paths)


def packaged_photo_paths() -> list[Path]:
    import matplotlib
    import skimage

    roots = {
        "skimage": Path(skimage.__file__).parent / "data",
        "matplotlib": Path(matplotlib.get_data_path()) / "sample_data",
    }
    return [roots[pkg] / f for pkg, files in PACKAGED_PHOTOS.items() for f in files if (roots[pkg] / f).is_file()]


def load_rgb(path: Path) -> Image.Image:
    """Open any supported image as RGB (first frame of GIFs; grey, CMYK, palette, alpha converted).
    Transparent pixels are composited on white so they do not turn black."""
    with Image.open(path) as im:
        im.seek(0)
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            im = im.convert("RGBA")
            background = Image.new("RGBA", im.size, (255, 255, 255, 255))
            return Image.alpha_composite(background, im).convert("RGB")
        return im.convert("RGB")


def _readable(path: Path) -> bool:
    try:
        if path.stat().st_size == 0:
            return False
        with Image.open(path) as im:
            im.verify()
        return True
    except Exception:  # PIL raises many types for broken files
        return False


def scan_images(folder: Path | None, max_images: int = 0) -> ImageSet:
    """All readable images under `folder`, sorted; None means the packaged photos. With
    max_images, at most that many, evenly spaced in path order (so every class of a dataset
    sorted by class keeps its share).

    Unreadable or empty files are skipped, counted and reported; only an empty result is fatal.
    """
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
    if 0 < max_images < len(paths):
        picks = np.linspace(0, len(paths) - 1, max_images).round().astype(int)
        name = f"{name} ({max_images} of {len(paths)} images, evenly spaced)"
        paths = [paths[i] for i in picks]
    good, bad = [], []
    for path in paths:
        (good if _readable(path) else bad).append(path)
    if not good:
        detail = f" ({len(bad)} unreadable or empty file(s))" if bad else ""
        raise AtlasError(f"no readable images in {name}{detail}")
    if bad:
        shown = ", ".join(str(p) for p in bad[:5]) + (" ..." if len(bad) > 5 else "")
        print(f"warning: skipped {len(bad)} unreadable or empty image file(s): {shown}", file=sys.stderr)
    return ImageSet(name, tuple(good), tuple(str(p) for p in bad), packaged=folder is None)


def to_model_input(image: Image.Image, size: int) -> np.ndarray:
    """Resize the short side to `size`, centre-crop a square: uint8 array [size, size, 3]."""
    w, h = image.size
    scale = size / min(w, h)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    image = image.resize(new, Image.BILINEAR)
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


class SquareImages(torch.utils.data.Dataset):
    """Dataset of square uint8 crops, for a DataLoader."""

    def __init__(self, images: ImageSet, size: int):
        self.paths, self.size = images.paths, size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        array = to_model_input(load_rgb(self.paths[index]), self.size)
        return torch.from_numpy(array.copy()).permute(2, 0, 1)
