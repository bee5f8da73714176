"""The Stimuli page: one strip of examples per stimulus family, with what the family is and how many
stimuli of it the battery holds."""

from __future__ import annotations

from generate.analysis.stimuli import FAMILY_ORDER, battery_counts, family_text, family_title
from generate.site import urls
from generate.site.views import PageView
from generate.site.views.context import Site
from generate.site.views.stimulus import drawings
from generate.site.writer import image_size


def _order(name: str) -> tuple[int, str]:
    return FAMILY_ORDER.index(name) if name in FAMILY_ORDER else len(FAMILY_ORDER), name


def stimuli_page(site: Site) -> PageView:
    """The gallery of the stimulus battery, from the strips the pipeline stored (none without them, or
    where they fail their checksums)."""
    page = urls.Links(urls.STIMULI)
    folder = site.reader.root / site.manifest.gallery if site.manifest.gallery else None
    strips, copies = [], {}
    listing = site.reader.read(folder / "gallery.json") if folder else None
    if listing:
        names = listing["families"]
        counts = battery_counts(site.battery) if site.battery else {}
        for name in sorted(names, key=_order):
            png = folder / f"{name}.png"
            if not png.is_file():
                continue
            copies[urls.stimulus_strip(png.name)] = png
            width, height = image_size(png)
            text = family_text(name, site.battery) if site.battery else ""
            strips.append({"title": family_title(name), "href": page.link(urls.stimulus_strip(png.name)), "width": width,
                           "height": height, "count": counts.get(name), "caption": text[:1].upper() + text[1:]})
    drawn = {urls.battery_stimulus(index): picture for index, picture in enumerate(drawings(site.battery))} \
        if site.battery else {}
    return PageView(urls.STIMULI, "stimuli.md.j2", {"strips": strips, "families_href": page.link(urls.FAMILIES)},
                    copies=copies, files=drawn)
