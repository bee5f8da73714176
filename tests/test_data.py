import os
import shutil

import numpy as np
import pytest
from PIL import Image

from generate.data import load_rgb, packaged_photo_paths, scan_images, to_model_input
from generate.errors import AtlasError


def _save(path, mode, fmt=None, **kwargs):
    size = (40, 30)
    colour = {"RGB": (200, 10, 10), "L": 120, "CMYK": (0, 255, 255, 0), "RGBA": (10, 200, 10, 0),
              "P": 3, "LA": (50, 255)}[mode]
    Image.new(mode, size, colour).save(path, fmt, **kwargs)


def test_scan_reads_every_format_recursively_and_skips_broken_files(tmp_path, capsys):
    (tmp_path / "a" / "b").mkdir(parents=True)
    _save(tmp_path / "rgb.jpg", "RGB")
    _save(tmp_path / "a" / "grey.png", "L")
    _save(tmp_path / "a" / "cmyk.jpg", "CMYK")
    _save(tmp_path / "a" / "b" / "alpha.png", "RGBA")
    _save(tmp_path / "a" / "b" / "pic.webp", "RGB")
    _save(tmp_path / "a" / "b" / "pic.bmp", "RGB")
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "notes.txt").write_text("not an image")
    images = scan_images(tmp_path)
    assert len(images) == 7
    assert sorted(images.skipped) == sorted([str(tmp_path / "broken.png"), str(tmp_path / "empty.jpg")])
    assert images.skipped_by_reason() == {"not an image": 1, "empty file": 1}
    assert "warning: skipped 2 of 9 image files" in capsys.readouterr().err
    for path in images.paths:
        image = load_rgb(path)
        assert image.mode == "RGB"
    # transparent pixels become white, not black; the GIF's first frame is red
    assert load_rgb(tmp_path / "a" / "b" / "alpha.png").getpixel((0, 0)) == (255, 255, 255)
    assert load_rgb(tmp_path / "anim.gif").getpixel((0, 0))[0] > 200


def test_missing_and_empty_folders_are_clear_errors(tmp_path):
    with pytest.raises(AtlasError, match="dataset folder not found"):
        scan_images(tmp_path / "absent")
    (tmp_path / "bad.jpg").write_bytes(b"junk")
    with pytest.raises(AtlasError, match=r"no readable images in .* \(1 skipped: 1 not an image\)"):
        scan_images(tmp_path)


def test_packaged_photos_fallback(capsys):
    images = scan_images(None)
    assert len(images) >= 15 and len(images) == len(packaged_photo_paths())
    assert "photos that ship inside" in capsys.readouterr().err


def test_square_crop_keeps_the_centre():
    image = Image.new("RGB", (300, 100), (0, 0, 0))
    image.paste((255, 255, 255), (140, 0, 160, 100))
    array = to_model_input(image, 50)
    assert array.shape == (50, 50, 3)
    assert array[25, 25].min() > 200 and array[25, 2].max() < 30


def test_fingerprint_changes_with_the_file_list(tmp_path):
    _save(tmp_path / "a.jpg", "RGB")
    first = scan_images(tmp_path).fingerprint
    _save(tmp_path / "b.jpg", "RGB")
    assert scan_images(tmp_path).fingerprint != first
    assert np.all(scan_images(tmp_path).fingerprint == scan_images(tmp_path).fingerprint)


def test_fingerprint_follows_content_not_location_or_mtime(tmp_path):
    """A dataset copied elsewhere, or remounted with new modification times, is the same dataset
    (the store's results stay valid); one edited image makes it another."""
    first, second = tmp_path / "one" / "photos", tmp_path / "two" / "photos"
    first.mkdir(parents=True)
    for index in range(3):
        _save(first / f"{index}.jpg", "RGB")
    shutil.copytree(first, second)
    for path in second.iterdir():
        os.utime(path, (1_000_000_000, 1_000_000_000))
    store = tmp_path / "store"
    original = scan_images(first, cache_root=store)
    assert scan_images(second, cache_root=store).fingerprint == original.fingerprint == scan_images(first).fingerprint
    Image.new("RGB", (40, 30), (10, 200, 10)).save(second / "1.jpg")
    edited = scan_images(second, cache_root=store)
    assert len(edited) == 3 and edited.fingerprint != original.fingerprint
    (first / "2.jpg").rename(first / "9.jpg")  # same bytes under another name: another dataset
    assert scan_images(first, cache_root=store).fingerprint != original.fingerprint
