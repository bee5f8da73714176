"""Every path and link of the site, in one place.

Paths are relative to the docs folder (the site root): the writer writes to them and pages link
to them. Unit paths come from generate.records.UnitRef. A Markdown link is relative to the page's
source file (MkDocs resolves it); a link inside raw HTML is relative to the page's published URL
(use_directory_urls: `a/b.md` is published at `a/b/`).
"""

from __future__ import annotations

import posixpath
import re

from generate.records import UnitRef

HOME = "index.md"
METHODS = "methods.md"
MODELS = "models.md"
STIMULI = "stimuli.md"
FAMILIES = "families/index.md"
CLAIMS = ("index", "curves", "low-level", "universality", "sensitivity")  # the claims pages
CLAIMS_JSON = "claims/claims.json"  # every number of the claims pages, machine-readable
CALIBRATION_JSON = "calibration.json"  # the instrument's calibration on planted ground truth


def family_slug(name: str) -> str:
    """URL-safe name of a family label: 'line/edge' -> 'line-edge'."""
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "family"


def family(name: str) -> str:
    return f"families/{family_slug(name)}.md"


def model(slug: str) -> str:
    return f"{slug}/index.md"


def survey(slug: str) -> str:
    return f"{slug}/survey.md"


def layer(slug: str, name: str) -> str:
    return f"{slug}/{name}/index.md"


def feature_map(slug: str, layer_name: str, file: str) -> str:
    """A mosaic of a layer's activation maps on a reference photo (or the photo itself)."""
    return f"{slug}/{layer_name}/img/maps/{file}"


def stimulus_strip(family_name: str) -> str:
    return f"img/stimuli/{family_name}.png"


def claims(page: str) -> str:
    return f"claims/{page}.md"


def unit(slug: str, layer_name: str, number: int) -> UnitRef:
    return UnitRef(slug, layer_name, number)


def link(page: str, target: str, anchor: str = "") -> str:
    """A Markdown link from the source file `page` to the source file (or picture) `target`."""
    relative = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return f"{relative}#{anchor}" if anchor else relative


def published(source: str) -> str:
    """The URL path (from the site root) at which MkDocs publishes a Markdown source."""
    stem = source.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        stem = stem.removesuffix("index")
    return stem.rstrip("/") + "/" if stem else ""


def html_link(page: str, target: str) -> str:
    """A link inside raw HTML on `page` to the page whose source is `target`."""
    relative = posixpath.relpath(published(target) or ".", published(page) or ".")
    return relative + "/" if relative != "." else "./"


def permalink(site_url: str, source: str) -> str:
    """The citable URL of a page: absolute when the site's URL is known."""
    path = published(source)
    return f"{site_url.rstrip('/')}/{path}" if site_url else path


class Links:
    """Links from one page: `page.link(target)` for Markdown, `page.html_link(target)` for raw HTML."""

    def __init__(self, source: str):
        self.source = source

    def link(self, target: str, anchor: str = "") -> str:
        return link(self.source, target, anchor)

    def html_link(self, target: str) -> str:
        return html_link(self.source, target)

    def unit(self, ref: UnitRef) -> str:
        return link(self.source, ref.page_source)

    def thumb(self, ref: UnitRef) -> str:
        return link(self.source, ref.thumb_url)
