"""What a built site weighs per unit, by kind of file, and what a full atlas would weigh: GitHub Pages
refuses published sites over 1 GB."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

LITE0_UNITS = 21_008  # configs/full.yaml: every hookable layer of EfficientNet-Lite0
INCEPTION_UNITS = 1_056  # configs/published.yaml: InceptionV1 conv2d0 to mixed3b
PAGES_LIMIT_BYTES = 1 << 30

# (kind, pattern on the path from the site root), first match wins
KINDS = (
    ("neuron page (HTML)", r"^[^/]+/[^/]+/\d+/index\.html$"),
    ("neuron JSON twin", r"^[^/]+/[^/]+/\d+\.json$"),
    ("exemplar crops", r"/img/\d+\.ex\d+\.jpg$"),
    ("exemplar heatmaps", r"/img/\d+\.ex\d+\.heat\.jpg$"),
    ("moderate examples", r"/img/\d+\.mod\d+\.jpg$"),
    ("feature visualization", r"/img/\d+\.positive\.(png|jpg|webp)$"),
    ("feature visualization seeds", r"/img/\d+\.seed\d+\.(png|jpg|webp)$"),
    ("preferred stimuli", r"/img/\d+\.stim\d+\.png$"),
    ("tile thumbnails", r"/img/\d+\.thumb\.jpg$"),
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


def projection(per_unit: float) -> str:
    """The size of a full Lite0 atlas beside the published InceptionV1 layers at `per_unit` bytes."""
    total = per_unit * (LITE0_UNITS + INCEPTION_UNITS)
    verdict = "under" if total < PAGES_LIMIT_BYTES else "OVER"
    return (f"projected: full Lite0 ({LITE0_UNITS:,} units) + InceptionV1 conv2d0-mixed3b ({INCEPTION_UNITS:,}) "
            f"= {total / 2**30:.2f} GB at {per_unit / 1024:.1f} KB per unit ({verdict} the 1 GB GitHub Pages limit)")


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
    print(projection(total / units))
