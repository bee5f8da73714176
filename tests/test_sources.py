"""Named sources (generate/sources): fetched from a local HTTP server, never from the internet.

The server speaks HTTP Range, records every request and can cut a response midway, so the
tests can watch a download resume where it broke off."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import threading
import time
import zipfile
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from PIL import Image

from generate import config, sources
from generate.cli import main
from generate.data import scan_images
from generate.errors import AtlasError
from generate.sources import catalog, unpack
from generate.sources.download import ResumingDownloader


class Files:
    """What the test server holds and what it was asked."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.cuts: list[int] = []  # each response breaks off after this many bytes (0: no answer at all)
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.sent = 0


def _handler(state: Files):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append((self.path, self.headers.get("Range")))
            cut = state.cuts.pop(0) if state.cuts else None
            if cut == 0:
                self.close_connection = True  # the connection drops before any answer
                return
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            stop = len(body) if cut is None else min(start + cut, len(body))
            self.wfile.write(body[start:stop])
            state.sent += stop - start
            self.close_connection = stop < len(body)

        def log_message(self, *args):
            """No request log on the test output."""

    return Handler


@contextlib.contextmanager
def serving(state: Files) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _png(value: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (value, 255 - value, 7)).save(out, format="PNG")
    return out.getvalue()


def _zip(folder: str, count: int, salt: int = 0) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        bundle.writestr(f"{folder}/README.md", "three photos")
        for i in range(count):
            bundle.writestr(f"{folder}/photo{i}.png", _png(40 * i + salt))
        bundle.writestr(f"{folder}/padding.bin", np.random.default_rng(salt).bytes(200_000))  # room for a cut
    return out.getvalue()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache with downloads allowed (the session default forbids them)."""
    monkeypatch.setenv(sources.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(sources.OFFLINE_ENV, raising=False)
    monkeypatch.setattr(sources.cache, "_given_up", set())  # what this process gave up on: a fresh run
    return tmp_path / "cache"


@pytest.fixture
def tiny(monkeypatch) -> Iterator[tuple[Files, str]]:
    """A source 'tiny' (a zip of three photos) served locally; yields the server's state and URL."""
    state = Files({"/tiny.zip": _zip("tiny-master", 3)})
    with serving(state) as base:
        monkeypatch.setitem(catalog.SOURCES, "tiny", catalog.Source(
            "tiny", "Tiny test photos", f"{base}/tiny.zip", "tiny.zip", "zip", reads="tiny-master"))
        yield state, base


def test_fetch_shows_progress_records_the_hash_and_is_reused_offline(cache, tiny, capsys, monkeypatch):
    state, _ = tiny
    folder = sources.fetch("tiny")
    assert folder == cache / "tiny" / "tiny-master"
    assert sorted(p.name for p in folder.glob("*.png")) == ["photo0.png", "photo1.png", "photo2.png"]
    assert "100%" in capsys.readouterr().err  # the tqdm bar, with size and rate
    fetched = sources.provenance(folder)
    assert fetched.sha256 == hashlib.sha256(state.files["/tiny.zip"]).hexdigest()
    assert fetched.bytes == len(state.files["/tiny.zip"]) and fetched.url.endswith("/tiny.zip")
    assert not (cache / "downloads" / "tiny.zip").exists()  # unpacked: the archive is not kept
    monkeypatch.setenv(sources.OFFLINE_ENV, "1")
    assert sources.fetch("tiny") == folder and len(state.requests) == 1  # reused, no request
    assert sources.provenance(cache.parent) is None  # outside the cache: no provenance


def test_a_cut_connection_resumes_where_it_broke_off(cache, tiny):
    state, _ = tiny
    size = len(state.files["/tiny.zip"])
    state.cuts = [size // 2]
    folder = sources.fetch("tiny", progress=False)
    (_, first), (_, second) = state.requests
    kept = int(second.removeprefix("bytes=").rstrip("-"))  # what was stored: the last chunk in flight is lost
    assert first is None and 0 < kept <= size // 2 and state.sent == size // 2 + size - kept
    assert sources.provenance(folder).sha256 == hashlib.sha256(state.files["/tiny.zip"]).hexdigest()


def test_a_partial_download_survives_the_run_and_the_next_one_finishes_it(tmp_path):
    body = _zip("x", 2)
    state = Files({"/x.zip": body})
    part, out = tmp_path / "x.zip.part", tmp_path / "x.zip"
    with serving(state) as base:
        url = f"{base}/x.zip"
        state.cuts = [150_000, 0]  # 150 kB, then the server stops answering
        with pytest.raises(sources.Unavailable, match="what arrived is kept and the next run resumes it"):
            ResumingDownloader(part, progress=False, stalls=1)(url, str(out))
        kept = part.stat().st_size
        assert 0 < kept <= 150_000 and not out.exists()
        ResumingDownloader(part, progress=False)(url, str(out))  # the next run
    assert out.read_bytes() == body and not part.exists()
    assert state.requests[-1] == ("/x.zip", f"bytes={kept}-")
    started = time.monotonic()
    with pytest.raises(sources.Unavailable, match="could not download .*: Failed to establish a new connection"):
        ResumingDownloader(part, progress=False)(url, str(out))  # the server is gone
    assert time.monotonic() - started < 1 and not part.exists()  # no network: given up at once


def test_a_changed_file_is_refused(cache, tiny):
    state, _ = tiny
    first = sources.fetch("tiny", progress=False)
    recorded = json.loads((cache / "registry.json").read_text())
    shutil.rmtree(cache / "tiny")
    state.files["/tiny.zip"] = _zip("tiny-master", 3, salt=1)  # the server now has another file
    with pytest.raises(AtlasError, match="refused tiny.zip .* not .* as recorded on"):
        sources.fetch("tiny", progress=False)
    assert not first.exists() and not (cache / "downloads" / "tiny.zip").exists()
    assert json.loads((cache / "registry.json").read_text()) == recorded


def test_a_file_not_matching_the_published_hash_is_refused_and_not_recorded(cache, tiny, monkeypatch):
    source = catalog.SOURCES["tiny"]
    monkeypatch.setitem(catalog.SOURCES, "tiny", replace(source, published_hash="md5:" + "0" * 32))
    with pytest.raises(AtlasError, match="its md5 is .* the publisher's is 0000"):
        sources.fetch("tiny", progress=False)
    assert sources.installed("tiny") is None and not (cache / "registry.json").exists()


def test_offline_refuses_every_download_in_one_line(cache, tiny, capsys, monkeypatch):
    state, base = tiny
    assert main(["data", "fetch", "tiny", "--offline"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Tiny test photos not found in ")
    assert f"download {base}/tiny.zip to {cache / 'downloads' / 'tiny.zip'} and rerun" in err[0]
    assert state.requests == []
    # Put there by hand, the file is used (and checked) without a download.
    monkeypatch.setenv(sources.OFFLINE_ENV, "1")
    (cache / "downloads").mkdir(parents=True)
    (cache / "downloads" / "tiny.zip").write_bytes(state.files["/tiny.zip"])
    assert sources.fetch("tiny", progress=False).is_dir() and state.requests == []


def test_extraction_is_atomic(cache, tiny, monkeypatch):
    def extract_then_die(archive, into, progress):
        unzip(archive, into, progress)
        assert any(into.rglob("*.png"))
        raise KeyboardInterrupt  # Ctrl-C with the files already there

    unzip = unpack.UNPACKERS["zip"]
    monkeypatch.setitem(unpack.UNPACKERS, "zip", extract_then_die)
    with pytest.raises(KeyboardInterrupt):
        sources.fetch("tiny", progress=False)
    assert sources.installed("tiny") is None and [p.name for p in cache.iterdir()] == ["downloads"]
    assert (cache / "downloads" / "tiny.zip").is_file()  # the complete download is kept...
    monkeypatch.setitem(unpack.UNPACKERS, "zip", unzip)
    stale = cache / ".staging-tiny-killed"  # ...and so would be a staging folder of a killed process
    (stale / "tiny-master").mkdir(parents=True)
    monkeypatch.setenv(sources.OFFLINE_ENV, "1")
    assert len(list(sources.fetch("tiny", progress=False).glob("*.png"))) == 3  # no second download
    assert not stale.exists() and len(tiny[0].requests) == 1


def test_a_damaged_archive_is_not_unpacked(cache, tiny):
    state, _ = tiny
    state.files["/tiny.zip"] = b"<html>not a zip</html>"
    with pytest.raises(AtlasError, match="cannot unpack tiny.zip"):
        sources.fetch("tiny", progress=False)
    assert [p.name for p in cache.iterdir() if p.name != "downloads"] == []


def test_dataset_order_shared_then_cache_then_download_then_packaged(cache, tiny, tmp_path, monkeypatch, capsys):
    state, base = tiny
    monkeypatch.setitem(catalog.SOURCES, "imagenet-sample", replace(catalog.SOURCES["tiny"], name="imagenet-sample"))
    monkeypatch.setattr(config, "SHARED_IMAGENET", tmp_path)
    assert sources.resolve_dataset("auto") == tmp_path
    monkeypatch.setattr(config, "SHARED_IMAGENET", tmp_path / "absent")
    monkeypatch.setenv(sources.OFFLINE_ENV, "1")
    assert sources.resolve_dataset("auto") is None  # offline, nothing cached: the packaged photos
    assert "downloads are off" in capsys.readouterr().err
    monkeypatch.setattr(sources.cache, "_given_up", set())  # a new run
    monkeypatch.delenv(sources.OFFLINE_ENV)
    assert sources.resolve_dataset("auto") == cache / "imagenet-sample" / "tiny-master"  # downloaded
    monkeypatch.setenv(sources.OFFLINE_ENV, "1")
    assert sources.resolve_dataset("auto") == cache / "imagenet-sample" / "tiny-master"  # cached
    assert sources.resolve_dataset("imagenet-sample") == cache / "imagenet-sample" / "tiny-master"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "imagenet-sample").mkdir()
    assert sources.resolve_dataset("imagenet-sample") == Path("imagenet-sample")  # a folder wins over a name
    assert len(state.requests) == 1


def test_no_network_falls_back_to_the_packaged_photos_with_one_note(cache, tmp_path, monkeypatch, capsys):
    with serving(Files({})) as base:
        unreachable = f"{base}/gone.zip"  # the server is shut: connections are refused
    monkeypatch.setitem(catalog.SOURCES, "imagenet-sample",
                        replace(catalog.SOURCES["imagenet-sample"], url=unreachable))
    monkeypatch.setattr(config, "SHARED_IMAGENET", tmp_path / "absent")
    assert sources.resolve_dataset("auto") is None and sources.resolve_dataset("auto") is None
    notes = capsys.readouterr().err.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith(f"note: could not download {unreachable}")
    assert scan_images(None).packaged  # what the pages flag with a banner


def test_cifar10_records_become_png_folders(cache, monkeypatch):
    rng = np.random.default_rng(0)
    records = {name: rng.integers(0, 256, (n, 3073), dtype=np.uint8)
               for name, n in [*((f"data_batch_{i}.bin", 2) for i in range(1, 6)), ("test_batch.bin", 3)]}
    for batch in records.values():
        batch[:, 0] %= 10
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as bundle:
        members = {**{k: v.tobytes() for k, v in records.items()},
                   "batches.meta.txt": "\n".join(f"class{i}" for i in range(10)).encode() + b"\n\n"}
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    body = out.getvalue()
    with serving(Files({"/c.tgz": body})) as base:
        monkeypatch.setitem(catalog.SOURCES, "cifar10", replace(
            catalog.SOURCES["cifar10"], url=f"{base}/c.tgz", published_hash="md5:" + hashlib.md5(body).hexdigest()))
        test = sources.fetch("cifar10", progress=False)
    assert test == cache / "cifar10" / "test" and len(list((cache / "cifar10" / "train").rglob("*.png"))) == 10
    first = records["test_batch.bin"][0]
    image = np.asarray(Image.open(test / f"class{first[0]}" / "00000.png"))
    assert np.array_equal(image, first[1:].reshape(3, 32, 32).transpose(1, 2, 0))  # lossless, right order
    assert not (cache / "cifar10" / ".records").exists()


@pytest.mark.skipif(shutil.which("git") is None, reason="git computes the reference blob id")
def test_inceptionv1_weights_are_fetched_and_checked_against_the_git_blob_id(cache, tmp_path, monkeypatch):
    """A random state dict stands in for inception5h.pth: fetched when missing, refused when its
    git blob id differs from the published one, read from the cache afterwards."""
    import torch

    from generate.models import load_model
    from generate.models.inceptionv1 import weights_file

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no copy in torch's hub cache
    control = load_model("inceptionv1@random:3")
    saved = tmp_path / "fake.pth"
    torch.save(control.module.state_dict(), saved)
    blob = subprocess.run(["git", "hash-object", str(saved)], capture_output=True, text=True, check=True).stdout.strip()
    with serving(Files({"/inception5h.pth": saved.read_bytes()})) as base:
        source = replace(catalog.SOURCES["inceptionv1"], url=f"{base}/inception5h.pth")
        monkeypatch.setitem(catalog.SOURCES, "inceptionv1", replace(source, published_hash="gitblob:" + "1" * 40))
        with pytest.raises(AtlasError, match="refused inception5h.pth .* its gitblob is " + blob):
            weights_file(None)
        monkeypatch.setitem(catalog.SOURCES, "inceptionv1", replace(source, published_hash=f"gitblob:{blob}"))
        loaded = load_model("inceptionv1")
    assert loaded.weights_hash == control.weights_hash and not loaded.random_init
    monkeypatch.setenv(sources.OFFLINE_ENV, "1")
    assert weights_file(None) == cache / "inceptionv1" / "inception5h.pth"  # from the cache, offline
    assert sources.provenance(weights_file(None)).published_hash == f"gitblob:{blob}"


def test_data_list_shows_state_size_and_hash(cache, tiny, capsys):
    state, _ = tiny
    assert main(["data", "fetch", "tiny"]) == 0
    out = capsys.readouterr().out
    assert f"tiny: {cache / 'tiny' / 'tiny-master'}" in out
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert f"cache: {cache}" in out
    row = next(line for line in out.splitlines() if line.startswith("tiny "))
    assert "cached" in row and "MiB" in row
    assert f"sha256 {hashlib.sha256(state.files['/tiny.zip']).hexdigest()}" in out
    assert "imagenet-sample" in out and "not cached" in out
    assert main(["data", "fetch", "nonesuch"]) == 2
    assert "unknown source 'nonesuch'; valid: imagenet-sample" in capsys.readouterr().err
