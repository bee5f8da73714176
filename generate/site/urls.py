"""Every path and link of the site, in one place.

Paths are relative to the docs folder (the site root): the writer writes to them and pages link
to them. Unit paths come from generate.records.UnitRef. A Markdown link is relative to the page's
source file (MkDocs resolves it); a link inside raw HTML is relative to the page's published URL
(use_directory_urls: `a/b.md` is published at `a/b/`).
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlencode

from generate.records import UnitRef
from generate.site.published import SUFFIX, published_name

HOME = "index.md"
METHODS = "methods.md"
MODELS = "models.md"
STIMULI = "stimuli.md"
FAMILIES = "families/index.md"
CLAIMS = ("index", "curves", "low-level", "universality", "sensitivity")  # the claims pages
CURVE_UNITS = "claims/curve-units.md"  # the contact sheet of curve units, beside the curve claim
COMPARE = "compare.md"  # two units side by side: compare/?a=MODEL/LAYER/UNIT&b=MODEL/LAYER/UNIT
COMPARE_UNITS = "compare/units.json"  # every unit of the atlas, for the compare page's pickers
CLAIMS_JSON = "claims/claims.json"  # every number of the claims pages, machine-readable
CONFIG_FILE = "config.yaml"  # the config the atlas was computed from, as run: one copy for every page
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


def unit_picture(ref: UnitRef, stored: str) -> str:
    """A unit's picture in the site, published (as WebP) from the stored file `stored`."""
    return ref.image_url(published_name(stored))


def feature_map(slug: str, layer_name: str, stored: str) -> str:
    """A mosaic of a layer's activation maps on a reference photo (or the photo itself)."""
    return f"{slug}/{layer_name}/img/maps/{published_name(stored)}"


def stimulus_strip(stored: str) -> str:
    """A stimulus family's strip on the gallery page, published from the stored file `stored`."""
    return f"img/stimuli/{published_name(stored)}"


def battery_stimulus(index: int) -> str:
    """Stimulus `index` of the battery, drawn once for the whole site (neuron pages show the ones that
    drove each unit most)."""
    return f"img/stimuli/battery/{index}{SUFFIX}"


def claims(page: str) -> str:
    return f"claims/{page}.md"


def unit(slug: str, layer_name: str, number: int) -> UnitRef:
    return UnitRef(slug, layer_name, number)


def bib(ref: UnitRef) -> str:
    """A unit's BibTeX entry, for download."""
    return f"{ref.layer_dir}/{ref.unit}.bib"


def unit_id(ref: UnitRef) -> str:
    """How the compare page names a unit in its query: MODEL/LAYER/UNIT."""
    return f"{ref.model}/{ref.layer}/{ref.unit}"


def compare_link(page: str, a: UnitRef, b: UnitRef) -> str:
    """A link inside raw HTML on `page` to the compare view of two units."""
    query = urlencode({"a": unit_id(a), "b": unit_id(b)}, safe="/")
    return f"{html_link(page, COMPARE)}?{query}"


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


def asset(page: str, target: str) -> str:
    """A link inside raw HTML (an SVG <image>, a data attribute) on `page` to a file of the site."""
    return posixpath.relpath(target, published(page) or ".")


def permalink(site_url: str, source: str) -> str:
    """The citable URL of a page: absolute when the site's URL is known."""
    path = published(source)
    return f"{site_url.rstrip('/')}/{path}" if site_url else path


class Links:
    """Links from one page: `page.link(target)` for Markdown, `page.html_link(target)` for raw HTML.
    A page rendered straight to HTML (`html=True`: neuron pages) gets raw-HTML links from `link` too."""

    def __init__(self, source: str, thumbs: dict[str, str] | None = None, html: bool = False):
        self.source = source
        self.thumbs = thumbs or {}  # each unit page's tile picture (units without one have none)
        self.html = html

    def link(self, target: str, anchor: str = "") -> str:
        if not self.html:
            return link(self.source, target, anchor)
        url = html_link(self.source, target) if target.endswith(".md") else asset(self.source, target)
        return f"{url}#{anchor}" if anchor else url

    def html_link(self, target: str) -> str:
        return html_link(self.source, target)

    def asset(self, target: str) -> str:
        return asset(self.source, target)

    def unit(self, ref: UnitRef) -> str:
        return self.link(ref.page_source)

    def thumb(self, ref: UnitRef) -> str | None:
        """The unit's tile picture, or None where the site has none (no feature visualization stored)."""
        tile = self.thumbs.get(ref.page_source)
        return self.link(tile) if tile else None
