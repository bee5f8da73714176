"""Faults met by whole runs: a truncated photo in the dataset, corrupt stored results, a disk
that fills up, two runs on one store. Every run ends cleanly and the store verifies."""

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generate.cli import main
from generate.data import packaged_photo_paths
from generate.store.verify import verify_store
from tests.conftest import write_config

REPO = Path(__file__).resolve().parent.parent
LAYERS = {"blocks.1.dw": "0-1"}


def _main(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, err.getvalue()


@pytest.fixture(scope="module")
def atlas(tmp_path_factory, photo_dir):
    """A tiny atlas whose dataset holds a JPEG cut off partway (valid header, broken data)."""
    root = tmp_path_factory.mktemp("faults")
    photos = root / "photos"
    shutil.copytree(photo_dir, photos)
    jpeg = next(p for p in packaged_photo_paths() if p.suffix == ".jpg")
    (photos / "nested" / "cut-photo.jpg").write_bytes(jpeg.read_bytes()[:jpeg.stat().st_size * 2 // 3])
    config = write_config(root / "tiny.yaml", photos, root / "store", LAYERS)
    code, err = _main("atlas", "--config", str(config), "--out", str(root / "docs"), "--no-build", "--quiet")
    return root, config, code, err


def _manifest(root: Path) -> dict:
    return json.loads((root / "store" / "manifests" / "tiny.json").read_text())


def test_a_truncated_jpeg_gives_a_complete_atlas_and_a_warning_naming_it(atlas):
    root, _, code, err = atlas
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning: skipped")]
    assert warnings == [f"warning: skipped 1 of 9 image files in {root / 'photos'} (1 truncated): "
                        f"nested/cut-photo.jpg"]
    assert _manifest(root)["dataset"] | {"fingerprint": None} == {
        "name": str(root / "photos"), "images": 8, "skipped": 1, "fingerprint": None,
        "skipped_by_reason": {"truncated": 1}, "packaged": False, "source": None, "sha256": None, "url": None}
    pages = sorted(p.name for p in (root / "docs").rglob("*.md") if p.parent.name == "blocks.1.dw" and p.stem.isdigit())
    assert pages == ["0.md", "1.md"]
    assert verify_store(root / "store") == 0


def test_a_corrupt_stored_json_and_png_are_detected_and_recomputed(atlas):
    root, config, _, _ = atlas
    folder = root / "store" / _manifest(root)["models"][0]["layers"][0]["stages"]["featurevis"]
    record, image = folder / "0.json", folder / "1.positive.png"
    intact_png = image.read_bytes()
    record.write_bytes(record.read_bytes()[:100])
    image.write_bytes(intact_png[:50] + bytes([intact_png[50] ^ 0xFF]) + intact_png[51:])
    assert verify_store(root / "store") == 1
    code, err = _main("atlas", "--config", str(config), "--out", str(root / "docs"), "--no-build", "--quiet")
    assert code == 0, err
    assert f"warning: stored result {record} is corrupt (its content does not match its checksum" in err
    assert f"warning: stored result {folder / '1.json'} is corrupt (its file 1.positive.png does not match" in err
    assert json.loads(record.read_text())["unit"] == 0
    assert image.read_bytes() != intact_png[:50] + bytes([intact_png[50] ^ 0xFF]) + intact_png[51:]
    assert verify_store(root / "store") == 0


def test_a_full_disk_ends_with_one_error_line_naming_the_file_and_a_sound_store(atlas, tmp_path, monkeypatch):
    root, _, _, _ = atlas
    config = write_config(tmp_path / "more.yaml", root / "photos", root / "store", {"blocks.1.dw": "0-2"})
    real_replace = os.replace
    failed = []

    def disk_full(src, dst):
        if str(dst).endswith("2.positive.png"):
            failed.append(dst)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr("generate.store.stage_store.os.replace", disk_full)
    code, err = _main("featurevis", "--config", str(config), "--quiet")
    monkeypatch.undo()
    assert code == 2 and len(failed) == 1
    assert err.strip().splitlines()[-1] == (f"error: cannot write {failed[0]}: no space left on the device; "
                                            f"every result finished before it is kept, rerun once that is fixed")
    assert "Traceback" not in err
    assert verify_store(root / "store") == 0
    assert _main("featurevis", "--config", str(config), "--quiet")[0] == 0
    assert (Path(failed[0]).parent / "2.json").is_file()


def test_two_concurrent_atlases_on_one_store_both_end_cleanly(atlas, tmp_path):
    root, _, _, _ = atlas
    config = write_config(tmp_path / "both.yaml", root / "photos", root / "store", {"blocks.1.dw": "0-2"})
    runs = [subprocess.Popen([sys.executable, "-m", "generate", "atlas", "--config", str(config), "--out",
                              str(tmp_path / f"docs{i}"), "--no-build", "--quiet"],
                             cwd=REPO, stderr=subprocess.PIPE, text=True) for i in range(2)]
    errs = [run.communicate(timeout=600)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errs
    assert sum(f"holds the store {root / 'store'}; waiting" in err for err in errs) == 1, errs
    for i in range(2):
        assert sorted(p.name for p in (tmp_path / f"docs{i}").rglob("[0-9].md")) == ["0.md", "1.md", "2.md"]
    assert verify_store(root / "store") == 0
