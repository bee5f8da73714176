"""What a built site weighs per unit, by kind of file, and what a full atlas would weigh: GitHub Pages
supports published sites up to 1 GB, and actions/deploy-pages checks the artifact it deploys (the
site as a tar, zipped) against that limit."""

from __future__ import annotations

import io
import json
import re
import tarfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Callable

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
    ("preferred stimuli (per unit, before they were shared)", r"/img/\d+\.stim\d+\.(png|webp)$"),
    ("stimulus pictures", r"^img/stimuli/"),
    ("tile thumbnails", r"/img/\d+\.thumb\.(jpg|webp)$"),
    ("layer activation maps", r"/img/maps/"),
    ("search index", r"^search/"),
    ("theme assets", r"^assets/"),
    ("other pages and files", r""),
)


def _kind(relative: str) -> str:
    return next(name for name, pattern in KINDS if re.search(pattern, relative))


def bytes_by_kind(site_dir: Path) -> tuple[Counter, int]:
    """Bytes of each kind of file in a built site, and its number of neuron pages."""
    sizes: Counter = Counter()
    units = 0
    for path in Path(site_dir).rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(site_dir).as_posix()
        kind = _kind(relative)
        sizes[kind] += path.stat().st_size
        units += kind == KINDS[0][0]
    return sizes, units


FIXED = ("theme assets", "stimulus pictures", "other pages and files")  # one per site, whatever its number of units


def projection(per_unit: float, fixed: float = 0.0, measure: str = "on disk") -> str:
    """The size of a full Lite0 atlas beside the published InceptionV1 layers at `per_unit` bytes
    (plus `fixed` bytes for the whole site), `measure` saying which bytes."""
    total = fixed + per_unit * (LITE0_UNITS + INCEPTION_UNITS)
    verdict = "under" if total < PAGES_LIMIT_BYTES else "OVER"
    return (f"projected {measure}: full Lite0 ({LITE0_UNITS:,} units) + InceptionV1 conv2d0-mixed3b "
            f"({INCEPTION_UNITS:,}) = {total / 2**30:.2f} GB at {per_unit / 1024:.1f} KB per unit ({verdict} 1 GB)")


class _Deflated(io.RawIOBase):
    """A write-only stream that counts the bytes its input deflates to."""

    def __init__(self, level: int):
        super().__init__()
        self.compressor, self.size = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(self.compressor.compress(bytes(data)))
        return len(data)

    def finish(self) -> int:
        self.size += len(self.compressor.flush())
        return self.size


ARTIFACT_LEVEL = 6  # actions/upload-artifact v4's default compression level


def deployed_bytes(site_dir: Path, include: Callable[[str], bool] = lambda relative: True) -> int:
    """Bytes of the artifact GitHub's Pages workflow deploys, for the files `include` accepts: the site
    as a tar with every link dereferenced (actions/upload-pages-artifact), zipped at deflate level 6
    (actions/upload-artifact v4); actions/deploy-pages checks this size against 1 GB."""
    sink = _Deflated(ARTIFACT_LEVEL)
    with tarfile.open(fileobj=sink, mode="w|", dereference=True, format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(Path(site_dir).rglob("*")):
            relative = path.relative_to(site_dir).as_posix()
            if path.is_file() and include(relative):
                tar.add(path, arcname=relative, recursive=False)
    return sink.finish()


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
    deployed = deployed_bytes(site_dir)
    deployed_fixed = deployed_bytes(site_dir, lambda relative: _kind(relative) in FIXED)
    print(f"deployed artifact (tar, zipped at level {ARTIFACT_LEVEL}, as GitHub's Pages actions upload it): "
          f"{deployed / 1e6:.1f} MB, {(deployed - deployed_fixed) / units / 1024:.1f} KB per unit without the "
          f"fixed {deployed_fixed / 1e6:.1f} MB")
    print(projection((deployed - deployed_fixed) / units, deployed_fixed, "deployed"))
    cuts: dict[str, int] = {}  # per thing cut, the largest saving of the options on it
    print(f"{'what each option saves, measured on this site':<78} {'KB/unit before':>14} {'after':>7}")
    for option, before, after, cut in savings(site_dir):
        cuts[cut] = max(cuts.get(cut, 0), before - after)
        print(f"{option:<78} {before / units / 1024:>14.1f} {after / units / 1024:>7.1f}")
    print("all of them (overlapping options counted once): "
          + projection((total - fixed - sum(cuts.values())) / units, fixed))
