"""The pictures of a neuron page: feature visualizations (with Argument 1's measured axes) and dataset
examples (with Argument 2's), the files they are copied from, and what the JSON twin lists of them."""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from generate.records import DatasetRecord, Exemplar, FeatureVisRecord, LayerManifest, Stats, UnitRef, UnitVerdicts
from generate.site import urls
from generate.site.charts import glyph
from generate.site.reader import StoreReader


@dataclass
class Pictures:
    """A unit's pictures in the site: where each comes from, and its link from the unit's page (raw
    HTML: neuron pages skip Markdown)."""

    ref: UnitRef
    page: urls.Links
    copies: dict[str, Path] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # link from the page -> path in the site

    def add(self, source: Path, name: str) -> str:
        """Publish a stored picture next to the unit's page (as `name`, in the site's picture format);
        returns its link from the page."""
        target = urls.unit_picture(self.ref, name)
        self.copies[target] = source
        link = self.page.link(target)
        self.targets[link] = target
        return link

    def twin(self, link: str) -> str:
        """A picture `add` linked from the page, as the unit's JSON twin names it: relative to the twin."""
        return posixpath.relpath(self.targets[link], posixpath.dirname(self.ref.json_url))


def _overlays(images: list[dict], rows: list[dict], expected: float | None, period: float | None) -> list[dict]:
    """Pair each image with its network-free measurement: what it shows (a curve's bulge, or a
    contour axis) drawn over it, beside what the hypothesis predicts."""
    return [{**image, **row, "measured": glyph(row.get("orientation"), period), "expected_glyph": glyph(expected, period)}
            for image, row in zip(images, rows)]


def featurevis(vis: FeatureVisRecord | None, folder: Path | None, seeds: dict[int, str], stats: Stats | None,
               verdicts: UnitVerdicts | None, pictures: Pictures) -> tuple[dict | None, dict | None]:
    """The feature-visualization section, and the twin's entry: each image kind with its objective.
    `seeds` links the positive image of each feature-visualization seed (those Argument 1 measures)."""
    if not vis or not folder:
        return None, None
    kinds = {kind: images for kind in ("positive", "negative", "diversity") if (images := getattr(vis, kind))}
    hrefs = {kind: [pictures.add(folder / file, file) for file in images.files] for kind, images in kinds.items()}
    twin = {kind: {"files": [pictures.twin(href) for href in hrefs[kind]], "objective": images.objective}
            for kind, images in kinds.items()}
    section = {
        "positive": {"href": hrefs["positive"][0], "objective": vis.positive.objective,
                     "sigma": vis.positive.objective / stats.std if stats and stats.std > 0 else None},
        "negative": {"href": hrefs["negative"][0], "objective": vis.negative.objective} if vis.negative else None,
        "diversity": {"hrefs": hrefs["diversity"], "objective": vis.diversity.objective} if vis.diversity else None,
        "argument": None,
    }
    verdict = verdicts.feature_visualization if verdicts else None
    if verdict and verdict.seeds:
        images = {seed: {"seed": seed, "href": href} for seed, href in seeds.items()}
        rows = [row for row in verdict.seeds if row["seed"] in images]
        section["argument"] = {"tiles": _overlays([images[row["seed"]] for row in rows], rows, verdict.expected,
                                                  verdict.period),
                               "expected": verdict.expected, "curve": verdict.period == 360.0,
                               "shared": verdict.shared, "passed": verdict.passed}
    return section, twin


def _exemplars(data: DatasetRecord, folder: Path, pictures: Pictures) -> tuple[list[Exemplar], list[Exemplar]]:
    """The strongest and the moderate exemplars with their files as linked from the page (heatmaps
    only where stored)."""
    strong = []
    for ex in data.exemplars:
        heatmap = pictures.add(folder / ex.heatmap, ex.heatmap) if ex.heatmap and (folder / ex.heatmap).is_file() \
            else None
        strong.append(dataclasses.replace(ex, file=pictures.add(folder / ex.file, ex.file), heatmap=heatmap))
    moderate = [dataclasses.replace(ex, file=pictures.add(folder / ex.file, ex.file)) for ex in data.moderate]
    return strong, moderate


def _tile(ex: Exemplar) -> dict:
    return {"href": ex.file, "source": ex.source, "activation": ex.activation, "rank": ex.rank + 1,
            "position": ex.position, "box": ex.box}


def examples(data: DatasetRecord | None, folder: Path | None, verdicts: UnitVerdicts | None,
             band: tuple[int, int] | None, pictures: Pictures) -> tuple[dict | None, list | None, list | None]:
    """The dataset-examples section, and the twin's strongest and moderate exemplars."""
    if not data or not folder:
        return None, None, None
    strong, moderate = _exemplars(data, folder, pictures)
    tiles, moderate_tiles = [_tile(ex) for ex in strong], [_tile(ex) for ex in moderate]
    section = {"tiles": tiles, "moderate": moderate_tiles, "band": band, "argument": None,
               "heatmaps": [{**_tile(ex), "href": ex.heatmap} for ex in strong if ex.heatmap]}
    verdict = verdicts.dataset_examples if verdicts else None
    if verdict and verdict.strong:
        section["argument"] = {
            "strong": _overlays(tiles, verdict.strong, verdict.expected, verdict.period),
            "moderate": _overlays(moderate_tiles, verdict.moderate or [], verdict.expected, verdict.period),
            "curve": verdict.period == 360.0,
            "strong_percent": int(round(100 * verdict.score, 0)),
            "moderate_percent": int(round(100 * verdict.moderate_score, 0)) if verdict.moderate_score is not None
            else None}
    def twin(exemplars: list[Exemplar]) -> list[Exemplar] | None:
        return [dataclasses.replace(ex, file=pictures.twin(ex.file), heatmap=ex.heatmap and pictures.twin(ex.heatmap))
                for ex in exemplars] or None
    return (section if tiles else None), twin(strong), twin(moderate)


def seed_pictures(reader: StoreReader, layer: LayerManifest, pictures: Pictures) -> dict[int, str]:
    """The positive image of each feature-visualization seed stored for a unit, copied next to its page."""
    unit = pictures.ref.unit
    out = {}
    for seed, folder in layer.featurevis_seeds.items():
        record = reader.load(folder, unit, FeatureVisRecord)
        if record:
            out[int(seed)] = pictures.add(reader.path(folder, record.positive.files[0]), f"{unit}.seed{seed}.png")
    return out
