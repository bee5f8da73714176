"""The store checks itself: checksums, failed writes, the lock, `store verify`."""

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from generate.cli import main
from generate.errors import AtlasError
from generate.store import TMP_PREFIX, StageStore
from generate.store.integrity import CorruptResult, problem, read_sealed, sums_path
from generate.store.lock import LOCK_NAME, store_lock
from generate.store.stage_store import StoreWriteError, write_sealed
from generate.store.verify import verify_store

REPO = Path(__file__).resolve().parent.parent


def _store(root: Path) -> StageStore:
    store = StageStore(root, "model-abc", "layer", "stage", {"x": 1})
    for unit in range(3):
        store.save(unit, {"unit": unit, "values": [0.5, float("nan")], "nested": {"1": unit}},
                   {f"{unit}.png": bytes(range(unit, 200)), f"{unit}.npy": b"numbers"})
    return store


def test_a_sealed_json_stays_the_plain_record_and_any_change_breaks_it(tmp_path):
    record = {"b": [1.5, None], "a": {"z": 1, "y": "text"}}
    path = tmp_path / "r.json"
    write_sealed(path, record, {"f.png": b"png"})
    assert json.loads(path.read_text()) == record, "readers of the store see the record, nothing else"
    assert read_sealed(path) == record and problem(path) is None
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"1.5", b"1.6"))
    assert "does not match its checksum" in problem(path)
    path.write_bytes(raw)
    (tmp_path / "f.png").write_bytes(b"PNG")
    assert problem(path) == "its file f.png does not match its checksum"
    sums_path(path).unlink()
    with pytest.raises(CorruptResult, match=f"{path} is corrupt: no checksum"):
        read_sealed(path)
    assert problem(tmp_path / "absent.json") == "it is missing"


@pytest.mark.parametrize("damage", ["cut json", "flip json", "old json", "cut sums", "cut file", "flip file",
                                    "delete file"])
def test_a_damaged_unit_counts_as_missing_is_reported_once_and_recomputed(tmp_path, capsys, damage):
    store = _store(tmp_path)
    target = store.file("1.json") if "json" in damage else store.file("1.sums" if "sums" in damage else "1.png")
    raw = bytearray(target.read_bytes())
    if damage.startswith("cut"):
        target.write_bytes(raw[:len(raw) // 2])
    elif damage.startswith("flip"):
        raw[len(raw) // 2] ^= 0x04
        target.write_bytes(raw)
    elif damage == "old json":
        store.file("1.sums").unlink()  # as versions without checksums left it
    else:
        target.unlink()
    capsys.readouterr()
    assert store.missing([0, 1, 2]) == [1] and store.missing([0, 1, 2]) == [1]
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"warning: stored result {store.file('1.json')} is corrupt (")
    if "json" in damage:
        with pytest.raises(CorruptResult, match="rerun to recompute it"):
            store.load(1)
    assert verify_store(tmp_path) == 1
    store.save(1, {"unit": 1}, {"1.png": b"again"})
    assert store.missing([0, 1, 2]) == [] and store.load(1) == {"unit": 1}
    assert verify_store(tmp_path) == 0


def test_verify_lists_problems_and_repair_leaves_a_sound_store(tmp_path, capsys):
    store = _store(tmp_path)
    store.file("0.png").write_bytes(b"altered")
    store.file("2.json").write_bytes(store.file("2.json").read_bytes()[:40])
    (store.dir / f"{TMP_PREFIX}half").write_bytes(b"x")
    write_sealed(tmp_path / "manifests" / "atlas.json", {"title": "t"})
    (tmp_path / "manifests" / "atlas.json").write_text("{")
    assert main(["store", "verify", "--store", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"corrupt: {store.file('0.json')}: its file 0.png does not match its checksum" in out
    assert f"corrupt: {store.file('2.json')}: its content does not match its checksum" in out
    assert f"corrupt: {store.dir / (TMP_PREFIX + 'half')}: temporary file" in out
    assert f"corrupt: {tmp_path / 'manifests' / 'atlas.json'}: its content does not match" in out
    assert "4 problem(s)" in out
    assert main(["store", "verify", "--store", str(tmp_path), "--repair"]) == 0
    assert "repaired 4 problem(s)" in capsys.readouterr().out
    assert main(["store", "verify", "--store", str(tmp_path)]) == 0
    assert "the store is sound" in capsys.readouterr().out
    assert store.missing([0, 1, 2]) == [0, 2]
    assert main(["store", "verify", "--store", str(tmp_path / "absent")]) == 2


def test_verify_checks_trained_models_by_their_checksums(tmp_path, capsys):
    """A flipped byte in weights.pt still loads in torch: only the checksums written with
    metrics.json (the completion marker of a training) can catch it."""
    import io

    import torch

    from generate.store.stage_store import write_sealed

    folder = tmp_path / "trained" / "cnn-0123456789ab"
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(3)}, buffer)
    write_sealed(folder / "metrics.json", {"test_accuracy": 0.5}, {"weights.pt": buffer.getvalue(),
                                                                   "settings.json": b"{}"})
    assert verify_store(tmp_path) == 0
    weights = bytearray((folder / "weights.pt").read_bytes())
    weights[-20] ^= 0xFF
    (folder / "weights.pt").write_bytes(bytes(weights))
    assert verify_store(tmp_path) == 1
    assert f"corrupt: {folder / 'metrics.json'}: " in capsys.readouterr().out
    assert verify_store(tmp_path, repair=True) == 0 and not (folder / "metrics.json").exists()


@pytest.mark.parametrize("code, why", [(errno.ENOSPC, "no space left on the device"),
                                       (errno.EROFS, "the file system is read-only"),
                                       (errno.EACCES, "permission denied")])
def test_a_failed_write_is_one_line_naming_the_file_and_leaves_the_store_sound(tmp_path, monkeypatch, code, why):
    store = _store(tmp_path)
    real_replace = os.replace

    def failing(src, dst):
        if str(dst).endswith("5.npy"):
            raise OSError(code, os.strerror(code))
        real_replace(src, dst)

    monkeypatch.setattr("generate.store.stage_store.os.replace", failing)
    with pytest.raises(StoreWriteError) as caught:
        store.save(5, {"unit": 5}, {"5.png": b"p", "5.npy": b"n"})
    assert str(caught.value).startswith(f"cannot write {store.file('5.npy')}: {why};")
    assert "\n" not in str(caught.value) and isinstance(caught.value, AtlasError)
    assert not store.has(5) and not list(tmp_path.rglob(f"{TMP_PREFIX}*"))
    monkeypatch.setattr("generate.store.stage_store.tempfile.mkstemp",
                        lambda **kw: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied")))
    with pytest.raises(StoreWriteError, match=f"cannot write {store.file('1.sums')}: permission denied"):
        store.save(1, {"unit": 1})
    monkeypatch.undo()
    assert verify_store(tmp_path) == 0 and store.missing([0, 1, 2, 5]) == [1, 5]


def _hold_lock(root: Path, then: str) -> subprocess.Popen:
    """A separate process that takes the store's lock, says so, then runs `then`."""
    code = textwrap.dedent(f"""
        import os, signal, sys, time
        from generate.store.lock import store_lock
        with store_lock({str(root)!r}):
            print("held", flush=True)
            {then}
    """)
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_waits_for_the_lock_saying_who_holds_it(tmp_path, capsys):
    holder = _hold_lock(tmp_path, "time.sleep(1.5)")
    started = time.monotonic()
    with store_lock(tmp_path):
        waited = time.monotonic() - started
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    holder.wait()
    err = capsys.readouterr().err
    assert waited > 0.5 and f"note: run {holder.pid} on " in err and f"holds the store {tmp_path}; waiting" in err
    assert (tmp_path / LOCK_NAME).read_text() == "", "released cleanly: nothing to clear next time"


def test_a_run_that_leaves_a_new_store_empty_removes_it_and_a_waiting_run_still_gets_the_lock(tmp_path):
    fresh = tmp_path / "fresh"
    holder = _hold_lock(fresh, "time.sleep(1)")  # created the store; leaves it empty, so removes it
    with store_lock(fresh):
        assert json.loads((fresh / LOCK_NAME).read_text())["pid"] == os.getpid()
        (fresh / "result.json").write_text("{}")
    holder.wait()
    assert sorted(p.name for p in fresh.iterdir()) == [LOCK_NAME, "result.json"], "a store with results stays"
    with pytest.raises(KeyboardInterrupt):
        with store_lock(tmp_path / "other"):
            raise KeyboardInterrupt
    assert not (tmp_path / "other").exists()


def _take_and_release(root: Path) -> None:
    """Take the store's lock and let it go at once, as a run with nothing to compute does."""
    with store_lock(root):
        return


def test_the_lock_of_a_killed_run_is_cleared_with_a_note(tmp_path, capsys):
    killed = _hold_lock(tmp_path, "os.kill(os.getpid(), signal.SIGKILL)")
    assert killed.wait() == -signal.SIGKILL
    _take_and_release(tmp_path)
    err = capsys.readouterr().err
    assert f"note: cleared the lock of run {killed.pid} on " in err and "waiting" not in err


def test_a_store_that_cannot_be_locked_is_one_error_line(tmp_path, monkeypatch):
    real_open = open

    def refuse(file, *args, **kwargs):
        if str(file).endswith(LOCK_NAME):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(StoreWriteError, match=f"cannot write {tmp_path / LOCK_NAME}: the file system is read-only"):
        _take_and_release(tmp_path)


def test_manifest_read_checks_its_checksum(tmp_path):
    from generate.store.manifest import load_manifest, manifest_path

    path = manifest_path(tmp_path, "configs/tiny.yaml")
    write_sealed(path, {"title": "x"})
    path.write_text(path.read_text().replace('"x"', '"y"'))
    with pytest.raises(CorruptResult, match=r"tiny.json is corrupt: .*rerun `python -m generate atlas"):
        load_manifest(tmp_path, "configs/tiny.yaml")
