"""MkDocs hooks (mkdocs.yml `hooks:`) that keep `mkdocs build` linear and light at 20,000 neuron pages.

Neuron pages skip Markdown, which would take most of such a build: the render writes each page's body
as HTML (templates/neuron.html.j2) into a sidecar beside the page source (a dot file: MkDocs neither
builds nor copies it), with its headings, and leaves MkDocs its front matter, its title and a marker. MkDocs
still gives the page the theme, its metadata and its place in the sitemap; `on_page_content` gives it
its table of contents, and `on_post_page` puts the body in place of the marker, into the page being
written only: MkDocs holds every page's content until the last is converted, so a 20,000-page build
keeps markers in memory, not bodies.

Pictures: MkDocs copies every picture of the docs folder into the site (a 20,000-unit site has
400,000); `on_files` has it hard-link them instead where the filesystem allows.

Bytes: every page is written with each line break and the whitespace after it cut to one line
break (outside pre, textarea, script and style, where whitespace is content), which renders the same:
the theme's indentation was 4% of a neuron page.

Search: a neuron page is excluded from the theme's full-text index (its front matter says so), and
the sidecar gives it one compact entry instead (model, layer, unit, family: about 100 bytes), which
`on_post_build` appends to the index, so "blocks.9.dw 26" or "curve" still finds the page.

MkDocs loads this file by path, whatever the import path is: it imports only the standard library
and MkDocs.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import MethodType

from mkdocs.structure.toc import get_toc

BODY_MARKER = "<!--atlas-body-->"
HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)<a class="headerlink"')  # as templates/_html.j2 heading
SEARCH_INDEX = "search/search_index.json"
# elements whose whitespace is content, and a line break with the whitespace after it
PRESERVED = re.compile(r"(<(?:pre|textarea|script|style)\b.*?</(?:pre|textarea|script|style)>)", re.S | re.I)
LINE_BREAK = re.compile(r"\n[ \t\r\n]*")

_entries: list[dict] = []  # the compact search entries of this build's pages


def sidecar(source: Path) -> Path:
    """The file beside a page source that holds its body, headings and search entry."""
    return source.with_name(f".{source.stem}.page.json")


def headings(html: str) -> list[dict]:
    """The headings of a body as the table of contents nests them (Markdown's toc tokens)."""
    tokens: list[dict] = []
    open_: list[dict] = []  # the chain of headings the next one may nest under
    for level, anchor, name in HEADING.findall(html):
        token = {"level": int(level), "id": anchor, "name": name, "children": []}
        while open_ and open_[-1]["level"] >= token["level"]:
            open_.pop()
        (open_[-1]["children"] if open_ else tokens).append(token)
        open_.append(token)
    return tokens


def compact(html: str) -> str:
    """`html` with every line break and the whitespace after it cut to one line break, outside pre,
    textarea, script and style: the browser renders it the same (it collapses such runs to one space)."""
    parts = PRESERVED.split(html)  # text, preserved element, text, ...
    parts[::2] = [LINE_BREAK.sub("\n", text) for text in parts[::2]]
    return "".join(parts)


def search_entry(location: str, title: str, text: str) -> dict:
    """A compact entry of the theme's search index (location is the page's URL from the site root)."""
    return {"location": location, "title": title, "text": text}


def on_pre_build(config) -> None:
    _entries.clear()


def on_files(files, config):
    for file in files.media_files():
        if file.abs_src_path:
            file.copy_file = MethodType(_link_or_copy(file.copy_file), file)
    return files


def _link_or_copy(copy):
    """A media file's copy into the site as a hard link (no bytes copied), else MkDocs' own copy.
    The site's file is replaced, never written into: it may be a link to the docs folder's."""
    def link(file, dirty: bool = False) -> None:
        if dirty and not file.is_modified():
            return
        target = Path(file.abs_dest_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        try:
            os.link(file.abs_src_path, target)
        except OSError:  # another filesystem, or one without hard links
            copy(dirty)
    return link


def _sidecar_data(page) -> dict | None:
    path = sidecar(Path(page.file.abs_src_path))
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def on_page_content(html: str, page, config, files) -> str:
    """The body's sections go into the table of contents, under the page's title (the one heading
    MkDocs saw)."""
    data = _sidecar_data(page)
    if data:
        top = page.toc.items
        (top[0].children if top else top).extend(get_toc(data["toc"]).items)
    return html


def on_post_page(output: str, page, config) -> str:
    """The body goes in place of the marker; the same read of the sidecar gives the page's compact
    search entry. Every page is written compact."""
    data = _sidecar_data(page)
    if not data:
        return compact(output)
    if data.get("search"):
        _entries.append(search_entry(page.url, **data["search"]))
    return compact(output.replace(BODY_MARKER, data["body"], 1))


def on_post_build(config) -> None:
    """Append the compact entries to the index the search plugin wrote."""
    path = Path(config["site_dir"]) / SEARCH_INDEX
    if not _entries or not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    index["docs"].extend(_entries)
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
