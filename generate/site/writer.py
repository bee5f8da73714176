"""Writing the docs folder: only files whose content changed, and removing those a render no longer writes."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

GENERATED_LIST = ".generated"  # every file the last render wrote, one per line
THUMB_PX = 96


class Writer:
    """Writes files under the docs folder, only when their content changed, and records them."""

    def __init__(self, docs: Path):
        self.docs = docs
        self.written: set[str] = set()

    def write(self, relative: str, data: bytes | str) -> None:
        data = data.encode() if isinstance(data, str) else data
        path = self.docs / relative
        self.written.add(relative)
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def copy(self, source: Path, relative: str) -> None:
        self.write(relative, source.read_bytes())

    def thumbnail(self, png: Path, relative: str) -> None:
        """A small JPEG of a picture (the tiles of layer and family pages)."""
        image = Image.open(png).convert("RGB").resize((THUMB_PX, THUMB_PX), Image.BICUBIC)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80, optimize=True)
        self.write(relative, buffer.getvalue())

    def remove_stale(self) -> int:
        """Remove the files an earlier render wrote and this one did not; returns how many."""
        listing = self.docs / GENERATED_LIST
        previous = set(listing.read_text().split("\n")) if listing.is_file() else set()
        stale = [name for name in previous - self.written if name]
        for name in stale:
            (self.docs / name).unlink(missing_ok=True)
        listing.write_text("\n".join(sorted(self.written)) + "\n")
        return len(stale)


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size
