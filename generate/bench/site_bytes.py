"""What a built site weighs per unit, by kind of file, and what a full atlas would weigh: GitHub Pages
refuses published sites over 1 GB."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from PIL import Image

from generate.site.published import ENCODED, QUALITY, webp

LITE0_UNITS = 21_008  # configs/full.yaml: every hookable layer of EfficientNet-Lite0
INCEPTION_UNITS = 1_056  # configs/published.yaml: InceptionV1 conv2d0 to mixed3b
PAGES_LIMIT_BYTES = 1 << 30

# (kind, pattern on the path from the site root), first match wins
KINDS = (
    ("neuron page (HTML)", r"^[^/]+/[^/]+/\d+/index\.html$"),
    ("neuron JSON twin", r"^[^/]+/[^/]+/\d+\.json$"),
    ("exemplar crops", r"/img/\d+\.ex\d+\.(jpg|webp)$"),
    ("exemplar heatmaps", r"/img/\d+\.ex\d+\.heat\.(jpg|webp)$"),
    ("moderate examples", r"/img/\d+\.mod\d+\.(jpg|webp)$"),
    ("feature visualization", r"/img/\d+\.positive\.(png|jpg|webp)$"),
    ("feature visualization seeds", r"/img/\d+\.seed\d+\.(png|jpg|webp)$"),
    ("preferred stimuli", r"/img/\d+\.stim\d+\.(png|webp)$"),
    ("tile thumbnails", r"/img/\d+\.thumb\.(jpg|webp)$"),
    ("layer activation maps", r"/img/maps/"),
    ("search index", r"^search/"),
    ("theme assets", r"^assets/"),
    ("other pages and files", r""),
)


def bytes_by_kind(site_dir: Path) -> tuple[Counter, int]:
    """Bytes of each kind of file in a built site, and its number of neuron pages."""
    sizes: Counter = Counter()
    units = 0
    for path in Path(site_dir).rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(site_dir).as_posix()
        kind = next(name for name, pattern in KINDS if re.search(pattern, relative))
        sizes[kind] += path.stat().st_size
        units += kind == KINDS[0][0]
    return sizes, units


FIXED = ("theme assets", "other pages and files")  # one per site, whatever its number of units


def projection(per_unit: float, fixed: float = 0.0) -> str:
    """The size of a full Lite0 atlas beside the published InceptionV1 layers at `per_unit` bytes
    (plus `fixed` bytes for the whole site)."""
    total = fixed + per_unit * (LITE0_UNITS + INCEPTION_UNITS)
    verdict = "under" if total < PAGES_LIMIT_BYTES else "OVER"
    return (f"projected: full Lite0 ({LITE0_UNITS:,} units) + InceptionV1 conv2d0-mixed3b ({INCEPTION_UNITS:,}) "
            f"= {total / 2**30:.2f} GB at {per_unit / 1024:.1f} KB per unit ({verdict} the 1 GB GitHub Pages limit)")


def _recoded(paths: list[Path]) -> int:
    """Bytes of the pictures encoded (in memory) as the site publishes pictures."""
    total = 0
    for path in paths:
        with Image.open(path) as image:
            total += len(webp(image))
    return total


def savings(site_dir: Path) -> list[tuple[str, int, int]]:
    """(option, bytes before, bytes after) for each way of cutting bytes per unit, measured on the site."""
    site_dir = Path(site_dir)
    pages = list(site_dir.glob("*/*/[0-9]*/index.html"))
    twins = list(site_dir.glob("*/*/[0-9]*.json"))
    rows = [("JSON twins written compact", sum(p.stat().st_size for p in twins),
             sum(len(json.dumps(json.loads(p.read_bytes()), separators=(",", ":"), ensure_ascii=False).encode())
                 for p in twins))]
    old = [p for suffix in ENCODED for p in site_dir.glob(f"*/*/img/**/*{suffix}")]  # a site built before WebP
    if old:
        rows.append((f"pictures published as PNG or JPEG, as WebP q{QUALITY}", sum(p.stat().st_size for p in old),
                     _recoded(old)))
    html = sum(p.stat().st_size for p in pages)
    inline = re.compile(r"<svg\b(?![^>]*data-chart=).*?</svg>", re.S)  # not the specs atlas.js draws from
    charts = sum(len(chart.encode()) for p in pages for chart in inline.findall(p.read_text()))
    rows.append(("neuron pages' inline SVG (axis tiles, figure panel) drawn in the browser", html, html - charts))
    return rows


def report(site_dir: Path) -> None:
    sizes, units = bytes_by_kind(site_dir)
    if not units:
        print(f"{site_dir}: no neuron pages found")
        return
    total = sum(sizes.values())
    print(f"\nPublished bytes of {site_dir}: {total / 1e6:.1f} MB, {units} neuron pages")
    print(f"{'kind':<30} {'MB':>8} {'KB/unit':>8} {'share':>6}")
    for kind, size in sizes.most_common():
        print(f"{kind:<30} {size / 1e6:>8.2f} {size / units / 1024:>8.1f} {100 * size / total:>5.0f}%")
    fixed = sum(sizes[kind] for kind in FIXED)
    print(f"per unit, without the site's fixed {fixed / 1e6:.1f} MB ({', '.join(FIXED)}): "
          f"{(total - fixed) / units / 1024:.1f} KB")
    print(projection((total - fixed) / units, fixed))
    cut = 0
    print(f"{'what each option saves, measured on this site':<75} {'KB/unit before':>14} {'after':>7}")
    for option, before, after in savings(site_dir):
        cut += before - after
        print(f"{option:<75} {before / units / 1024:>14.1f} {after / units / 1024:>7.1f}")
    print("all of them: " + projection((total - fixed - cut) / units, fixed))
