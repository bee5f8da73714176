"""How pictures are published: as WebP, whatever format the store keeps them in.

The store keeps what the stages measure (lossless PNG feature visualizations, JPEG crops); the site
publishes WebP, about a fifth of the PNGs' bytes and two fifths of the JPEGs' (GitHub Pages refuses
sites over 1 GB). A stored picture is encoded once: its WebP is cached under the store by the hash
of its bytes, so a re-render only hard-links it into the docs folder."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path, PurePosixPath

from PIL import Image

from generate.store import atomic_write
from generate.store.stage_store import StoreWriteError

SUFFIX = ".webp"
QUALITY = 80  # mean pixel change 1-6 of 255 on the atlas's pictures (noisiest: feature visualizations)
ENCODED = (".png", ".jpg", ".jpeg")  # what the site republishes as WebP
CACHE = "published"  # under the store: <store>/published/webp-q80/<hash>.webp


def published_name(name: str) -> str:
    """The name a picture is published under: `3.ex0.jpg` -> `3.ex0.webp`."""
    path = PurePosixPath(name)
    return str(path.with_suffix(SUFFIX)) if path.suffix.lower() in ENCODED else name


def webp(image: Image.Image) -> bytes:
    """A picture as the site publishes it (transparency kept where it has any)."""
    image = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=QUALITY, method=4)
    return buffer.getvalue()


class Encoded:
    """Stored pictures as WebP, cached by content under `<store>/published/` (never stale: the key is
    the hash of the source's bytes and the encoding). Without a store, or with one that cannot be
    written (read-only), nothing is cached: pictures are encoded on every render."""

    def __init__(self, store_root: Path | None):
        self.folder = Path(store_root) / CACHE / f"webp-q{QUALITY}" if store_root is not None else None
        self.writable = self.folder is not None  # until a write fails

    def path(self, source: Path) -> Path | bytes:
        """The cached WebP of `source` (encoded now if no render encoded it before), or its bytes where
        the cache cannot be written."""
        data = Path(source).read_bytes()
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        cached = self.folder / digest[:2] / f"{digest}{SUFFIX}" if self.folder else None
        if cached and cached.is_file():  # a read-only store still serves what an earlier render cached
            return cached
        with Image.open(io.BytesIO(data)) as image:
            encoded = webp(image)
        if self.writable:
            try:
                atomic_write(cached, encoded)  # whole or not at all: render workers may encode the same picture
                return cached
            except StoreWriteError:
                self.writable = False
        return encoded
