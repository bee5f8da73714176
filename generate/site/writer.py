"""Writing the docs folder: only files whose content changed, and removing those a render no longer writes.

Stored pictures are published as WebP (generate/site/published.py), encoded once into a cache
under the store, and hard-linked into the docs folder where it shares a filesystem with the store (a
20,000-unit site has 400,000 of them), else copied. So no file is ever rewritten in place: a changed
file is written beside and renamed over, leaving the store's file, linked or not, untouched."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from generate.site.published import SUFFIX, Encoded, webp

GENERATED_LIST = ".generated"  # every file the last render wrote, one per line
THUMB_PX = 96


class Writer:
    """Writes files under the docs folder, only when their content changed, and records them."""

    def __init__(self, docs: Path, encoded: Encoded | None = None):
        self.docs = docs
        self.encoded = encoded or Encoded(None)  # where stored pictures' WebPs are cached (None: nowhere)
        self.written: set[str] = set()

    def write(self, relative: str, data: bytes | str) -> None:
        data = data.encode() if isinstance(data, str) else data
        path = self.docs / relative
        self.written.add(relative)
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return
        partial = _beside(path)
        partial.write_bytes(data)
        os.replace(partial, path)

    def copy(self, source: Path, relative: str) -> None:
        """A stored file at `relative`: hard-linked (no bytes copied) where the filesystem allows; a
        picture published under another format (`relative` ends in .webp) is its cached encoding."""
        if relative.endswith(SUFFIX) and source.suffix != SUFFIX:
            published = self.encoded.path(source)
            if isinstance(published, bytes):  # nowhere to cache it (no store, or a read-only one)
                self.write(relative, published)
                return
            source = published
        path = self.docs / relative
        self.written.add(relative)
        if path.is_file() and path.samefile(source):
            return
        partial = _beside(path)
        partial.unlink(missing_ok=True)
        try:
            os.link(source, partial)
        except OSError:  # another filesystem, or one without hard links
            self.write(relative, source.read_bytes())
            return
        os.replace(partial, path)

    def thumbnail(self, png: Path, relative: str) -> None:
        """A small picture of a picture (the tiles of layer and family pages), as published."""
        with Image.open(png) as image:
            self.write(relative, webp(image.convert("RGB").resize((THUMB_PX, THUMB_PX), Image.BICUBIC)))

    def remove_stale(self) -> int:
        """Remove the files an earlier render wrote and this one did not; returns how many."""
        listing = self.docs / GENERATED_LIST
        previous = set(listing.read_text().split("\n")) if listing.is_file() else set()
        stale = [name for name in previous - self.written if name]
        for name in stale:
            (self.docs / name).unlink(missing_ok=True)
        listing.write_text("\n".join(sorted(self.written)) + "\n")
        return len(stale)


def _beside(path: Path) -> Path:
    """Where a file of the docs folder is written before it is renamed over `path` (a dot file: MkDocs
    skips it), its folder made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.partial")


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size
