"""MkDocs hooks (mkdocs.yml `hooks:`) that keep `mkdocs build` linear and light at 20,000 neuron pages.

Raw blocks: most of a generated page's bytes are SVG charts, raw HTML that Python-Markdown would only
scan and stash again. The render lifts them out (`stash`) into a sidecar beside the page source
(a dot file: MkDocs neither builds nor copies it), leaving an HTML comment in their place, which
Markdown passes through untouched; `on_post_page` puts them back, so the page is the same.

Search: a neuron page is excluded from the theme's full-text index (its front matter says so), and
the sidecar gives it one compact entry instead (model, layer, unit, family: about 100 bytes), which
`on_post_build` appends to the index, so "blocks.9.dw 26" or "curve" still finds the page.

Standard library only: MkDocs loads this file by path, whatever the import path is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

RAW_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S)
PLACEHOLDER = "<!--atlas-raw-{}-->"
PLACEHOLDERS = re.compile(r"<!--atlas-raw-(\d+)-->")
SEARCH_INDEX = "search/search_index.json"

_entries: list[dict] = []  # the compact search entries of this build's pages


def sidecar(source: Path) -> Path:
    """The file beside a page source that holds its raw blocks and its search entry."""
    return source.with_name(f".{source.stem}.raw.json")


def stash(markdown: str) -> tuple[str, list[str]]:
    """The page with every SVG block replaced by a placeholder, and the blocks in order."""
    blocks: list[str] = []

    def lift(match: re.Match) -> str:
        blocks.append(match.group(0))
        return PLACEHOLDER.format(len(blocks) - 1)

    return RAW_BLOCK.sub(lift, markdown), blocks


def restore(html: str, blocks: list[str]) -> str:
    return PLACEHOLDERS.sub(lambda match: blocks[int(match.group(1))], html)


def search_entry(location: str, title: str, text: str) -> dict:
    """A compact entry of the theme's search index (location is the page's URL from the site root)."""
    return {"location": location, "title": title, "text": text}


def on_pre_build(config) -> None:
    _entries.clear()


def _sidecar_data(page) -> dict | None:
    path = sidecar(Path(page.file.abs_src_path))
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def on_post_page(output: str, page, config) -> str:
    """The raw blocks go back only into the page being written: MkDocs holds every page's content
    until the last is converted, so a 20,000-page build keeps placeholders in memory, not charts.
    The same read of the sidecar gives the page's compact search entry."""
    data = _sidecar_data(page)
    if not data:
        return output
    if data.get("search"):
        _entries.append(search_entry(page.url, **data["search"]))
    return restore(output, data["raw"])


def on_post_build(config) -> None:
    """Append the compact entries to the index the search plugin wrote."""
    path = Path(config["site_dir"]) / SEARCH_INDEX
    if not _entries or not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    index["docs"].extend(_entries)
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
