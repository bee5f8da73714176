"""Hostile image folders: whatever a file holds, the scan skips it with a reason, and nothing
raises from the loader."""

import builtins
import io
import random
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from generate import data
from generate.data import (CORRUPT, EMPTY, NOT_AN_IMAGE, PROPORTIONS, TOO_LARGE, TRUNCATED, UNREADABLE,
                           ImageReadError, SquareImages, image_problem, scan_images)

FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "tif": "TIFF"}
REASONS = {EMPTY, UNREADABLE, NOT_AN_IMAGE, TRUNCATED, CORRUPT, TOO_LARGE, PROPORTIONS}


def _picture(seed: int, size=(48, 40)) -> Image.Image:
    """A small picture with structure (gradients and noise), so every codec has work to do."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size[1], 0:size[0]]
    base = np.stack([x * 5, y * 6, (x + y) * 3], axis=-1) % 256
    return Image.fromarray((base + rng.integers(0, 40, base.shape)).clip(0, 255).astype(np.uint8))


def _encoded(fmt: str, seed: int) -> bytes:
    buffer = io.BytesIO()
    _picture(seed).save(buffer, FORMATS[fmt], **({"quality": 90} if fmt in ("jpg", "webp") else {}))
    return buffer.getvalue()


def _mutate(original: bytes, rng: random.Random) -> tuple[str, bytes]:
    """Bytes cut, flipped or inserted, at seeded random places."""
    kind = rng.choice(["cut", "flip", "insert"])
    raw = bytearray(original)
    if kind == "cut":
        return kind, bytes(raw[:rng.randrange(1, len(raw))])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return kind, bytes(raw)
    at = rng.randrange(len(raw))
    return kind, bytes(raw[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + raw[at:])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """300 mutated JPEG, PNG, WebP, GIF and TIFF files (seeded), beside 5 intact ones."""
    root = tmp_path_factory.mktemp("hostile")
    rng = random.Random(20240601)
    for fmt in FORMATS:
        (root / f"intact.{fmt}").write_bytes(_encoded(fmt, 0))
    for index in range(300):
        fmt = list(FORMATS)[index % len(FORMATS)]
        kind, raw = _mutate(_encoded(fmt, index), rng)
        (root / f"{index:03d}-{kind}.{fmt}").write_bytes(raw)
    return root


def test_mutated_corpus_never_raises_from_scan_or_loader(corpus, capsys):
    images = scan_images(corpus)
    err = capsys.readouterr().err
    assert len(images) + len(images.skipped) == 305
    assert all(corpus / f"intact.{fmt}" in images.paths for fmt in FORMATS)
    assert set(images.skip_reasons.values()) <= REASONS
    by_reason = images.skipped_by_reason()
    assert by_reason.get(TRUNCATED, 0) > 20 and sum(by_reason.values()) == len(images.skipped) > 100
    assert len(images) > 20, "mutations that leave a decodable image (flipped pixel data) are kept"
    warning = [line for line in err.splitlines() if line.startswith("warning: skipped")]
    assert len(warning) == 1 and f"skipped {len(images.skipped)} of 305" in warning[0]
    loader = torch.utils.data.DataLoader(SquareImages(images, 32), batch_size=16, num_workers=1)
    seen = sum(len(batch) for batch in loader)
    assert seen == len(images)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with no pixel data behind it."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_each_kind_of_bad_file_gets_its_reason(tmp_path, monkeypatch):
    good = _encoded("jpg", 1)
    cases = {
        "empty.jpg": b"",
        "text.jpg": b"<html>not a picture</html>",
        "cut.jpg": good[:len(good) // 2],
        "bomb.png": _png_header_only(100_000, 100_000),  # 10^10 pixels claimed: refused on the header
        "bomb-small.png": _png_header_only(12_000, 9_000),  # over the limit, under Pillow's hard error
        "locked.png": _encoded("png", 2),
    }
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
    Image.new("RGB", (1000, 10)).save(tmp_path / "strip.png")
    (tmp_path / "png-named.jpg").write_bytes(_encoded("png", 3))  # content decides, not the name
    real_open = builtins.open

    def deny(file, *args, **kwargs):  # the tests run as root, whom chmod does not stop
        if str(file).endswith("locked.png"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    found = {path.name: image_problem(path) for path in sorted(tmp_path.iterdir())}
    assert found == {"empty.jpg": EMPTY, "text.jpg": NOT_AN_IMAGE, "cut.jpg": TRUNCATED, "bomb.png": TOO_LARGE,
                     "bomb-small.png": TOO_LARGE, "locked.png": UNREADABLE, "strip.png": PROPORTIONS,
                     "png-named.jpg": None}


def test_warning_names_the_skipped_files_in_one_line(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    for index in range(3):
        (tmp_path / f"ok{index}.png").write_bytes(_encoded("png", index))
    good = _encoded("jpg", 9)
    (tmp_path / "sub" / "cut.jpg").write_bytes(good[:200])
    (tmp_path / "notes.jpg").write_bytes(b"hello")
    images = scan_images(tmp_path)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [f"warning: skipped 2 of 5 image files in {tmp_path} (1 not an image, 1 truncated): "
                     f"notes.jpg, sub/cut.jpg"]
    assert images.skip_reasons == {str(tmp_path / "notes.jpg"): NOT_AN_IMAGE, str(tmp_path / "sub" / "cut.jpg"): TRUNCATED}
    assert images.skipped_by_reason() == {NOT_AN_IMAGE: 1, TRUNCATED: 1}
    assert hash(images) is not None


def test_an_image_broken_after_the_scan_is_one_error_line_even_from_a_worker(tmp_path):
    for index in range(4):
        (tmp_path / f"{index}.jpg").write_bytes(_encoded("jpg", index))
    images = scan_images(tmp_path)
    (tmp_path / "2.jpg").write_bytes(_encoded("jpg", 2)[:300])  # replaced by a cut copy mid-run
    loader = torch.utils.data.DataLoader(SquareImages(images, 32), batch_size=2, num_workers=1)
    with pytest.raises(ImageReadError) as caught:
        list(loader)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / '2.jpg'} can no longer be decoded (truncated)")


def test_scan_cache_skips_decoding_unchanged_files(tmp_path, monkeypatch):
    folder, store = tmp_path / "images", tmp_path / "store"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index}.png").write_bytes(_encoded("png", index))
    (folder / "bad.jpg").write_bytes(b"junk")
    first = scan_images(folder, cache_root=store)
    decoded = []
    real = data.image_problem
    monkeypatch.setattr(data, "image_problem", lambda path: decoded.append(path.name) or real(path))
    assert scan_images(folder, cache_root=store) == first and decoded == []
    (folder / "1.png").write_bytes(_encoded("png", 1)[:100])  # changed: decoded again, now skipped
    again = scan_images(folder, cache_root=store)
    assert decoded == ["1.png"] and again.skip_reasons[str(folder / "1.png")] == TRUNCATED
    cache = next((store / "scans").glob("*.json"))
    cache.write_bytes(cache.read_bytes()[:-20])  # a corrupt cache is ignored: everything is decoded again
    decoded.clear()
    assert scan_images(folder, cache_root=store) == again and sorted(decoded) == ["0.png", "1.png", "2.png", "bad.jpg"]
