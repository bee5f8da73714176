"""Shared fixtures. Tests needing ../shared/datasets skip cleanly where it is absent."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import torch

from generate.config import SHARED_IMAGENET
from generate.data import packaged_photo_paths

torch.set_num_threads(2)


@pytest.fixture(scope="session", autouse=True)
def no_downloads(tmp_path_factory) -> Iterator[None]:
    """No test touches the internet or the user's download cache: downloads are off and the
    cache is empty (tests of generate/sources serve their files from 127.0.0.1)."""
    from generate.sources import CACHE_ENV, OFFLINE_ENV

    patch = pytest.MonkeyPatch()
    patch.setenv(OFFLINE_ENV, "1")
    patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("download-cache")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def lite0():
    from generate.models import load_model

    return load_model("efficientnet_lite0")


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory) -> Path:
    """Eight real photos (shipped in scikit-image / matplotlib), in a nested folder."""
    root = tmp_path_factory.mktemp("photos")
    (root / "nested").mkdir()
    for i, path in enumerate(packaged_photo_paths()[:8]):
        shutil.copy(path, (root / "nested" if i % 2 else root) / path.name)
    return root


@pytest.fixture(scope="session")
def imagenet_sample() -> Path:
    if not SHARED_IMAGENET.is_dir():
        pytest.skip("../shared/datasets/imagenet-sample not present (fresh clone)")
    return SHARED_IMAGENET


def write_config(path: Path, dataset: Path | str, store: Path, layers: dict, model: str = "efficientnet_lite0",
                 **stages) -> Path:
    import yaml

    data = {"title": "Test atlas", "dataset": str(dataset), "store": str(store),
            "models": [{"model": model, "layers": layers}],
            "featurevis": {"size": 32, "steps": 4, "batch": 4, **stages.get("featurevis", {})},
            "exemplars": {"k": 3, "batch": 4, **stages.get("exemplars", {})},
            # no calibration unless a test asks for one (the `built` atlas does, on the small planted model)
            "calibration": stages.get("calibration", {"model": ""})}
    path.write_text(yaml.safe_dump(data))
    return path


LAYERS = {"blocks.1.dw": "0-2", "blocks.6.dw": [5, 7]}


@pytest.fixture(scope="session")
def built(tmp_path_factory, photo_dir):
    """A tiny atlas on real Lite0 weights, computed, rendered and built once per session."""
    from generate.cli import main

    root = tmp_path_factory.mktemp("atlas")
    config = write_config(root / "tiny.yaml", photo_dir, root / "store", LAYERS,
                          calibration={"model": "planted:curves-small", "images": 8})
    code = main(["atlas", "--config", str(config), "--out", str(root / "docs"), "--site", str(root / "site"), "--quiet"])
    assert code == 0
    return root, config


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        """No request log on the test output."""


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a built site on a free loopback port; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


@contextlib.contextmanager
def chromium():
    """Debian's headless Chromium through Playwright; skips, saying why, where either is missing."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip("Chromium not found (Debian package 'chromium'; `make test` installs it where apt-get works)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed in this environment")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def watched_page(browser, width: int, height: int = 844):
    """A page of the given viewport, and the list its console errors and failed requests go to."""
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    return page, problems


def overflow(page) -> int:
    """How many pixels the page is wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def neuron_page_text(source: Path) -> str:
    """A rendered neuron page's whole text: its Markdown (front matter and title) with the body that
    generate/site/hooks.py puts in place of the marker."""
    from generate.site.hooks import BODY_MARKER, sidecar
    body = json.loads(sidecar(source).read_text(encoding="utf-8"))["body"]
    return source.read_text(encoding="utf-8").replace(BODY_MARKER, body)


DRAWN_CHARTS = """() => Array.from(document.querySelectorAll('svg[data-chart]')).map(svg => ({
    spec: JSON.parse(svg.getAttribute('data-chart')), width: svg.getAttribute('width'),
    tips: Array.from(svg.querySelectorAll('[data-tip]')).map(mark => mark.getAttribute('data-tip'))}))"""


def chart_specs(html: str) -> list[dict]:
    """The specs of the charts atlas.js draws on a page (data-chart attributes, JSON)."""
    return [json.loads(spec) for spec in re.findall(r"data-chart='([^']*)'", html)]


def chart_tips(spec: dict) -> list[str] | None:
    """The tooltips a chart drawn by atlas.js must show, as Python prints its numbers (None: a kind
    not checked here)."""
    from generate.analysis.text import degrees, number

    def num(value):  # JSON has no float type of its own: 2.0 comes back as 2; ±∞ as strings
        return {"inf": "∞", "-inf": "−∞"}.get(value) if isinstance(value, str) else number(
            None if value is None else float(value))

    kind = spec["kind"]
    if kind == "histogram":
        low, high, counts = float(spec["low"]), float(spec["high"]), spec["counts"]
        step = (high - low) / len(counts)
        return [f"activation {num(low + i * step)} to {num(low + (i + 1) * step)}: {count} position"
                f"{'s' if count != 1 else ''}" for i, count in enumerate(counts)]
    if kind == "heatmap":
        return [f"radius {num(r)}, {degrees(t)}: {num(v)} σ"
                for r, row in zip(spec["radii"], spec["rows"]) for t, v in zip(spec["thetas"], row)]
    if kind == "polar":
        tips = []
        if spec.get("stimulus"):
            s = spec["stimulus"]
            tips.append(f"strongest {spec['title']} stimulus: {s['text']}, {num(s['drive'])} σ")
        return tips + [f"{spec['title']} at {degrees(t)}: {num(v)} σ" for t, v in zip(spec["thetas"], spec["drives"])]
    if kind == "bars":
        return [f"{name}: {num(v)} {spec.get('unit', 'σ')}"
                for name, v in zip(spec.get("names", spec["labels"]), spec["values"])]
    if kind == "rotation":
        n, average = len(spec["curves"]), spec["average"]
        tips = [f"example {i + 1}: peak {num(p[0])} at {degrees(p[1])}" for i, p in enumerate(spec["peaks"])]
        if average:
            tips.append(f"average of the {n} examples: {num(average[0])} unrotated, peak {num(max(average))}")
            tips += [f"turned {degrees(a)}: {num(v)} (average of the {n} examples)" for a, v in zip(spec["angles"], average)]
        return tips
    if kind == "tuning":
        anchors, rotation = spec["anchors"], degrees(spec["rotation"])
        return ([f"joint tuning over {anchors} other member{'s' if anchors != 1 else ''}; peak at {rotation}"]
                + [f"feature at {degrees(a)}: {num(v)} of the peak" for a, v in zip(spec["angles"], spec["tuning"])]
                + [f"synthetic preferred orientation {degrees(spec['synthetic'])}"] * len(spec["synthetic_marks"])
                + [f"rotation peak {rotation}"] * len(spec["rotation_marks"]))
    return None

