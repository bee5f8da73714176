"""Views: everything a page shows (numbers, links, chart coordinates), computed from typed records.

Each view returns `PageView`s: which template lays the page out, with what, and which files the
page needs beside it. Views read the store but never write; generate/site/render.py writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PageView:
    source: str  # the page's Markdown source, relative to the docs folder
    template: str
    context: dict
    copies: dict[str, Path] = field(default_factory=dict)  # docs path -> stored file to copy there
    thumbnails: dict[str, Path] = field(default_factory=dict)  # docs path -> picture to shrink there
    files: dict[str, str | bytes] = field(default_factory=dict)  # docs path -> content (JSON twins, drawn pictures)
    search: dict[str, str] | None = None  # the page's one compact search entry (title, text) instead of its text
    # a page rendered straight to HTML (neuron pages): the template of its body, which
    # generate/site/hooks.py puts into the page MkDocs builds from `template` (front matter only)
    body: str | None = None
