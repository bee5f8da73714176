"""The Jinja2 environment of the page templates, and the filters that format what views give them."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown.extensions.toc import slugify
from markupsafe import Markup

from generate.analysis.text import degrees, number
from generate.config import REPO_ROOT

TEMPLATES = REPO_ROOT / "templates"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("md", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.policies["json.dumps_kwargs"] = {"separators": (",", ":"), "ensure_ascii": False}  # chart specs: compact
    env.filters["num"] = number
    env.filters["deg"] = degrees
    env.filters["short"] = short_number
    env.filters["fenced"] = fenced
    env.filters["meta"] = front_matter
    env.filters["code"] = code_block
    env.filters["slug"] = heading_id
    return env


def short_number(value: float) -> str:
    """A bar label: few characters, enough digits for its size."""
    size = abs(value)
    return f"{value:.0f}" if size >= 10 else f"{value:.1f}" if size >= 1 else f"{value:.2f}" if size > 0 else "0"


def fenced(text: str, language: str = "", indent: int = 0) -> Markup:
    """A fenced code block holding `text` verbatim (Markdown escapes code, so no HTML
    escaping here); the fence is longer than any backtick run inside, so it cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    block = f"{fence}{language}\n{text.rstrip()}\n{fence}"
    pad = " " * indent
    return Markup("\n".join(pad + line if line else line for line in block.split("\n")))


def code_block(text: str) -> Markup:
    """A code block in the theme's markup (as Markdown's fenced code writes it, so the copy button
    works) for pages rendered straight to HTML; not coloured: a citation and one command, thousands
    of times over, are lighter without a span per token."""
    return Markup(f'<div class="highlight"><pre><span></span><code>{html.escape(text.rstrip(), quote=False)}'
                  f'</code></pre></div>')


def heading_id(text: Any) -> str:
    """A heading's anchor as Markdown's toc extension makes it, so links and citations to sections
    are the same whichever way a page is rendered."""
    return slugify(html.unescape(str(text)), "-")


def front_matter(value: Any) -> Markup:
    """A front-matter value: Material prints page.meta.title unescaped, so escape HTML here,
    and JSON-quote so that YAML reads the string back verbatim."""
    text = value.unescape() if isinstance(value, Markup) else str(value)
    return Markup(json.dumps(html.escape(text)))
