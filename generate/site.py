"""Render stored results into MkDocs Markdown (Jinja2 templates) and build the site.

Reads only the manifest and the stage results it points to. Every generated file is listed
in `<docs>/.generated`; files from an earlier render that are not written again are removed,
so the site never shows stale neurons. Unchanged files are not rewritten.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from PIL import Image
from tqdm import tqdm

from generate.config import REPO_ROOT
from generate.errors import AtlasError

TEMPLATES = REPO_ROOT / "templates"
DEFAULT_DOCS = REPO_ROOT / "site_src"
HAND_WRITTEN = ("about.md", "assets")  # committed in site_src/, copied when rendering elsewhere
GENERATED_LIST = ".generated"
THUMB_PX = 96


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("md", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _format_number
    env.filters["log1p"] = math.log1p
    env.filters["fenced"] = _fenced
    # Front-matter values: Material prints page.meta.title unescaped, so escape HTML here,
    # and JSON-quote so that YAML reads the string back verbatim.
    env.filters["meta"] = _front_matter
    return env


def _fenced(text: str, language: str = "", indent: int = 0) -> Markup:
    """A fenced code block holding `text` verbatim (Markdown escapes code, so no HTML
    escaping here); the fence is longer than any backtick run inside, so it cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    block = f"{fence}{language}\n{text.rstrip()}\n{fence}"
    pad = " " * indent
    return Markup("\n".join(pad + line if line else line for line in block.split("\n")))


def _front_matter(value: Any) -> Markup:
    text = value.unescape() if isinstance(value, Markup) else str(value)
    return Markup(json.dumps(html.escape(text)))


def _format_number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}"


class _Writer:
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

    def remove_stale(self) -> int:
        listing = self.docs / GENERATED_LIST
        previous = set(listing.read_text().split("\n")) if listing.is_file() else set()
        stale = [name for name in previous - self.written if name]
        for name in stale:
            (self.docs / name).unlink(missing_ok=True)
        listing.write_text("\n".join(sorted(self.written)) + "\n")
        return len(stale)


def _thumbnail(png: Path) -> bytes:
    image = Image.open(png).convert("RGB").resize((THUMB_PX, THUMB_PX), Image.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def _load(stage_dir: Path, unit: int) -> dict | None:
    path = stage_dir / f"{unit}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def render(manifest: dict, store_root: Path, docs: Path = DEFAULT_DOCS, progress: bool = True) -> int:
    """Write every page of the atlas into `docs`; returns the number of neuron pages."""
    docs = Path(docs)
    docs.mkdir(parents=True, exist_ok=True)
    if docs.resolve() != DEFAULT_DOCS.resolve():
        for name in HAND_WRITTEN:
            source = DEFAULT_DOCS / name
            if source.is_dir():
                shutil.copytree(source, docs / name, dirs_exist_ok=True)
            elif source.is_file():
                shutil.copy2(source, docs / name)
    env = environment()
    writer = _Writer(docs)
    neuron_pages = 0
    total = sum(len(layer["units"]) for model in manifest["models"] for layer in model["layers"])
    bar = tqdm(total=total, desc="rendering pages", unit="page", disable=not progress)
    for model in manifest["models"]:
        for layer in model["layers"]:
            neuron_pages += _render_layer(env, writer, manifest, model, layer, Path(store_root), bar)
        writer.write(f"{model['slug']}/index.md", env.get_template("model.md.j2").render(
            atlas=manifest, model=model))
    bar.close()
    writer.write("index.md", env.get_template("home.md.j2").render(atlas=manifest))
    writer.write("methods.md", env.get_template("methods.md.j2").render(atlas=manifest))
    writer.write("models.md", env.get_template("models.md.j2").render(atlas=manifest))
    stale = writer.remove_stale()
    if stale:
        print(f"note: removed {stale} page file(s) no longer in the atlas", file=sys.stderr)
    return neuron_pages


def _render_layer(env, writer, manifest, model, layer, store_root, bar) -> int:
    base = f"{model['slug']}/{layer['name']}"
    fv_dir = store_root / layer["stages"]["featurevis"]
    data_dir = store_root / layer["stages"]["dataset"]
    units = layer["units"]
    cells = []
    for position, unit in enumerate(units):
        vis, data = _load(fv_dir, unit), _load(data_dir, unit)
        images: dict[str, Any] = {"featurevis": {}, "exemplars": []}
        if vis:
            for kind in ("positive", "negative", "diversity"):
                if kind in vis:
                    names = []
                    for file in vis[kind]["files"]:
                        writer.copy(fv_dir / file, f"{base}/img/{file}")
                        names.append(f"img/{file}")
                    images["featurevis"][kind] = {"files": names, "objective": vis[kind]["objective"]}
            thumb = f"img/{unit}.thumb.jpg"
            writer.write(f"{base}/{thumb}", _thumbnail(fv_dir / vis["positive"]["files"][0]))
        else:
            thumb = None
        if data:
            for exemplar in data["exemplars"]:
                writer.copy(data_dir / exemplar["file"], f"{base}/img/{exemplar['file']}")
                images["exemplars"].append({**exemplar, "file": f"img/{exemplar['file']}"})
        stats = data["stats"] if data else None
        record = {
            "model": model["name"], "layer": layer["name"], "unit": unit,
            "featurevis": images["featurevis"] or None,
            "exemplars": images["exemplars"] or None,
            "stats": stats,
            "receptive_field": layer["rf"],
            "weights_hash": model["weights_hash"],
            "atlas_version": manifest["atlas_version"],
        }
        neighbours = {
            "previous": units[position - 1] if position > 0 else None,
            "next": units[position + 1] if position + 1 < len(units) else None,
        }
        writer.write(f"{base}/{unit}.json", json.dumps(record, indent=1))
        writer.write(f"{base}/{unit}.md", env.get_template("neuron.md.j2").render(
            atlas=manifest, model=model, layer=layer, unit=unit, record=record, **neighbours))
        cells.append({"unit": unit, "thumb": thumb, "stats": stats,
                      "objective": vis["positive"]["objective"] if vis else None})
        bar.update(1)
    writer.write(f"{base}/index.md", env.get_template("layer.md.j2").render(
        atlas=manifest, model=model, layer=layer, cells=cells))
    return len(units)


def build(docs: Path, site_dir: Path, strict: bool = True, site_url: str = "") -> None:
    """mkdocs build with this repo's mkdocs.yml, pointed at `docs` and `site_dir`."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    overrides = {"docs_dir": str(Path(docs).resolve()), "site_dir": str(Path(site_dir).resolve()), "strict": strict}
    if site_url:
        overrides["site_url"] = site_url
    try:
        config = load_config(str(REPO_ROOT / "mkdocs.yml"), **overrides)
        mkdocs_build(config)
    except MkDocsException as exc:
        raise AtlasError(f"mkdocs build failed: {exc}") from None
