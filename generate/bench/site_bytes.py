"""What a built site weighs per unit, by kind of file, and what a full atlas would weigh: GitHub Pages
refuses published sites over 1 GB."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from PIL import Image

from generate.site.published import ENCODED, QUALITY, webp
from generate.site.writer import THUMB_PX, image_size

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


def savings(site_dir: Path) -> list[tuple[str, int, int, str]]:
    """(option, bytes before, bytes after, what it cuts) for each way of cutting bytes per unit, measured
    on the site; options that cut the same thing overlap (the report counts the largest of them)."""
    site_dir = Path(site_dir)
    pages = list(site_dir.glob("*/*/[0-9]*/index.html"))
    twins = list(site_dir.glob("*/*/[0-9]*.json"))
    rows = [("JSON twins written compact", sum(p.stat().st_size for p in twins),
             sum(len(json.dumps(json.loads(p.read_bytes()), separators=(",", ":"), ensure_ascii=False).encode())
                 for p in twins), "twins")]
    old = [p for suffix in ENCODED for p in site_dir.glob(f"*/*/img/**/*{suffix}")]  # a site built before WebP
    if old:
        rows.append((f"pictures published as PNG or JPEG, as WebP q{QUALITY}", sum(p.stat().st_size for p in old),
                     _recoded(old), "pictures"))
    texts = [p.read_text() for p in pages]
    html = sum(len(text.encode()) for text in texts)
    inline = re.compile(r"<svg\b(?![^>]*data-chart=).*?</svg>", re.S)  # not the specs atlas.js draws from
    charts = sum(len(chart.encode()) for text in texts for chart in inline.findall(text))
    rows.append(("neuron pages' inline SVG (axis tiles, figure panel) drawn in the browser", html, html - charts,
                 "pages"))
    article = re.compile(r"<article\b.*?</article>", re.S)
    body = sum(len(match.encode()) for text in texts for match in article.findall(text))
    rows.append(("neuron pages as thin shells: the theme's frame, the body drawn from the twin", html, html - body,
                 "pages"))
    thumbs = [(p, p.with_name(p.name.replace(".thumb.", ".positive."))) for p in site_dir.glob("*/*/img/*.thumb.*")]
    reused = [thumb for thumb, hero in thumbs if hero.is_file() and max(image_size(hero)) <= THUMB_PX]
    thumb_bytes = sum(p.stat().st_size for p, _ in thumbs)
    rows.append(("tile thumbnails: the feature visualization itself where it is no larger", thumb_bytes,
                 thumb_bytes - sum(p.stat().st_size for p in reused), "thumbnails"))
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
    cuts: dict[str, int] = {}  # per thing cut, the largest saving of the options on it
    print(f"{'what each option saves, measured on this site':<78} {'KB/unit before':>14} {'after':>7}")
    for option, before, after, cut in savings(site_dir):
        cuts[cut] = max(cuts.get(cut, 0), before - after)
        print(f"{option:<78} {before / units / 1024:>14.1f} {after / units / 1024:>7.1f}")
    print("all of them (overlapping options counted once): "
          + projection((total - fixed - sum(cuts.values())) / units, fixed))
