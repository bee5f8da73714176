"""This atlas beside the authors' own family lists: Distill's Circuits articles name, unit by unit,
which InceptionV1 units belong to which family (the Curve Detectors article's curve family of
mixed3b, the Early Vision article's families of conv2d0 to mixed3b). The cross-check puts our
family labels and verdicts beside those lists, unit by unit: which of the article's units we label
as it does (recall), and which units we label so that the article does not list (with the family
the article puts them in instead).

The lists are facts copied verbatim from the articles' source repositories at pinned commits
(distill_families.json, beside this file, cites each). They describe InceptionV1 with its
published weights, so the comparison is shown only when the atlas verified that its weights file
is that one (ModelManifest.weights_verified, from the file's git blob id; random or altered
weights cannot pass), and never for another model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Mapping

from generate.analysis.universality import marks
from generate.analysis.verdicts import ARGUMENTS
from generate.records import FamilyLabel, Record, UnitVerdicts, VerdictRecord

DATA = Path(__file__).with_name("distill_families.json")
MODEL = "inceptionv1"  # the registry name of the articles' model (its random-init copies do not qualify)

# Which of our family labels each article family corresponds to: our reading of the article's own
# description of the family (the page names both). Article families not listed here have no
# counterpart among our labels (textures, fur, eyes, boundaries, "Other Units"...).
COUNTERPARTS: dict[str, str] = {
    "Curves": "curve",  # Curve Detectors; Early Vision mixed3a and mixed3b
    "Tiny Curves": "curve",  # Early Vision conv2d2
    "Gabor Filters": "line/edge",  # conv2d0: oriented edges and lines
    "Complex Gabor": "line/edge",  # conv2d1: the same orientation whatever the phase
    "Line": "line/edge",  # conv2d2
    "Lines": "line/edge",  # mixed3a, mixed3b
    "Angles": "angle",
    "High-Low Frequency": "high-low frequency",
    "Early Brightness Gradient": "brightness gradient",
    "Brightness Gradient": "brightness gradient",
    "Brightness Gradients": "brightness gradient",
    "Color": "colour/hue",  # conv2d1
    "Color Contrast": "colour contrast",
    "Color Center-Surround": "centre-surround",
}


@dataclass(frozen=True)
class Article(Record):
    key: str
    title: str
    authors: str
    url: str
    repository: str  # owner/name on GitHub
    commit: str
    path: str  # the file the lists come from, LAYER standing for the layer's name

    def source(self, layer: str) -> str:
        """Where one layer's list lies: the repository, the file and the commit."""
        return f"{self.repository}/{self.path.replace('LAYER', layer)} @ {self.commit[:8]}"


@dataclass(frozen=True)
class ArticleFamily:
    """One family as the articles list it: its units, in the first article's order (a list that
    two articles publish alike is one family, citing both)."""

    articles: tuple[Article, ...]
    layer: str
    name: str  # as the article names it
    label: str  # our counterpart family label
    units: tuple[int, ...]


@dataclass
class UnitComparison(Record):
    """One unit of a family comparison: the article's units first (its order), then ours it omits."""

    unit: int
    in_article: bool  # the article lists it in this family
    article_group: str | None  # the Early Vision family the unit belongs to (its lists cover each layer)
    label: str | None  # our family label (None: this atlas did not compute the unit)
    agrees: bool  # our label is the family's counterpart
    gate_passed: bool | None  # our gate for the counterpart passed, even where another family won the label
    verdicts: dict[str, bool]  # Arguments 1-4 under the counterpart's hypothesis, where they were judged
    marks: str  # the same as four characters: ✓ passed, ✗ failed, – not judged


@dataclass
class FamilyComparison(Record):
    articles: list[str]  # Article.key of every article that publishes this list
    sources: list[str]  # repository/path @ commit of each
    layer: str
    family: str  # the article's name
    label: str  # our counterpart
    listed: int  # units the article lists
    computed: int  # ... of which this atlas computed
    agreed: int  # ... of which we label as the counterpart
    gate_agreed: int  # ... of which pass our counterpart's gate (label or not)
    supported: int  # ... of which pass all four arguments under the counterpart's hypothesis
    recall: float | None  # agreed / computed (None: none computed)
    ours: int  # units of the layer we label as the counterpart
    precision: float | None  # of those, the fraction the article lists (None: we label none)
    extra: list[int]  # units we label as the counterpart that the article does not list here
    missing: list[int]  # units the article lists that this atlas did not compute
    units: list[UnitComparison]


@dataclass
class CrossCheck(Record):
    model: str
    shown: bool  # False: the lists do not describe this model or these weights
    reason: str
    articles: list[Article]
    families: list[FamilyComparison]


@cache
def articles() -> dict[str, Article]:
    data = json.loads(DATA.read_text())
    return {key: Article(key=key, **{f: entry[f] for f in ("title", "authors", "url", "repository", "commit", "path")})
            for key, entry in data["articles"].items()}


@cache
def published_lists() -> dict[str, dict[str, dict[str, tuple[int, ...]]]]:
    """article key -> layer -> family name -> units, exactly as published."""
    families = json.loads(DATA.read_text())["families"]
    return {key: {layer: {name: tuple(units) for name, units in groups.items()} for layer, groups in layers.items()}
            for key, layers in families.items()}


def article_families(layers: list[str] | None = None) -> list[ArticleFamily]:
    """Every published family with a counterpart among our labels (in `layers`, when given)."""
    found: dict[tuple[str, str, frozenset[int]], ArticleFamily] = {}
    for key, by_layer in published_lists().items():
        for layer, groups in by_layer.items():
            for name, units in groups.items():
                if name not in COUNTERPARTS or (layers is not None and layer not in layers):
                    continue
                same = (layer, COUNTERPARTS[name], frozenset(units))
                earlier = found.get(same)
                cited = (earlier.articles if earlier else ()) + (articles()[key],)
                found[same] = ArticleFamily(cited, layer, earlier.name if earlier else name, COUNTERPARTS[name],
                                            earlier.units if earlier else units)
    order = list(published_lists()["early-vision"])  # conv2d0 ... mixed3b, the network's order
    return sorted(found.values(), key=lambda family: order.index(family.layer))


def early_vision_groups(layer: str) -> dict[int, str]:
    """unit -> its Early Vision family: that article sorts every unit of conv2d0 to mixed3b into one."""
    groups = published_lists()["early-vision"].get(layer, {})
    return {unit: name for name, units in groups.items() for unit in units}


def weights_reason(model: str, weights_verified: bool | None) -> tuple[bool, str]:
    """Whether the articles' lists describe this model: (shown, why)."""
    if model != MODEL:
        return False, f"the articles describe InceptionV1 with its published weights, not {model}"
    if weights_verified is None:
        return False, ("this atlas did not record whether its InceptionV1 weights are the published ones "
                       "(computed before the check existed): recompute the atlas to check them")
    if not weights_verified:
        return False, ("the InceptionV1 weights this atlas used are not the published inception5h.pth (their "
                       "git blob id differs from the one its repository publishes): the articles' lists describe "
                       "other weights, so they are not compared")
    return True, ("the weights file is the published inception5h.pth: its git blob id equals the one its "
                  "repository publishes")


def _judged(label: str, own: str | None, record: VerdictRecord | None) -> UnitVerdicts | None:
    """The unit's verdicts under the family's hypothesis: its own where we label it so; for curves,
    the verdicts under the curve its stimuli prefer, judged for every unit; else none."""
    if record is None:
        return None
    if own == label:
        return record.verdicts
    return record.curve if label == "curve" else None


def _unit(family: ArticleFamily, unit: int, group: str | None, labels: Mapping[int, FamilyLabel],
          verdicts: Mapping[int, VerdictRecord]) -> UnitComparison:
    found = labels.get(unit)
    own = found.label if found else None
    gate = found.gates.get(family.label) if found else None
    judged = _judged(family.label, own, verdicts.get(unit))
    passes = {key: judged.get(key).passed for key, *_ in ARGUMENTS if judged and judged.get(key)}
    return UnitComparison(unit=unit, in_article=unit in family.units, article_group=group, label=own,
                          agrees=own == family.label, gate_passed=gate.passed if gate else None,
                          verdicts=passes, marks=marks(judged) if judged else "")


def compare_family(family: ArticleFamily, labels: Mapping[int, FamilyLabel],
                   verdicts: Mapping[int, VerdictRecord]) -> FamilyComparison:
    """One article family against our labels (unit -> FamilyLabel, i.e. SyntheticRecord.family) and
    verdicts (unit -> VerdictRecord) of the same layer."""
    groups = early_vision_groups(family.layer)
    listed = set(family.units)
    extra = sorted(u for u, found in labels.items() if found.label == family.label and u not in listed)
    rows = [_unit(family, u, groups.get(u), labels, verdicts) for u in (*family.units, *extra)]
    article_rows = [row for row in rows if row.in_article and row.label is not None]
    agreed = sum(row.agrees for row in article_rows)
    ours = agreed + len(extra)
    return FamilyComparison(
        articles=[a.key for a in family.articles], sources=[a.source(family.layer) for a in family.articles],
        layer=family.layer,
        family=family.name, label=family.label, listed=len(family.units), computed=len(article_rows),
        agreed=agreed, gate_agreed=sum(bool(row.gate_passed) for row in article_rows),
        supported=sum(len(row.verdicts) == len(ARGUMENTS) and all(row.verdicts.values()) for row in article_rows),
        recall=agreed / len(article_rows) if article_rows else None, ours=ours,
        precision=agreed / ours if ours else None, extra=extra,
        missing=[u for u in family.units if u not in labels], units=rows)


def cross_check(model: str, weights_verified: bool | None, labels: Mapping[str, Mapping[int, FamilyLabel]],
                verdicts: Mapping[str, Mapping[int, VerdictRecord]]) -> CrossCheck:
    """Every published family of the layers this atlas computed, against our labels and verdicts
    (layer -> unit -> record); nothing is compared unless the weights are the published ones."""
    shown, reason = weights_reason(model, weights_verified)
    if not shown:
        return CrossCheck(model=model, shown=False, reason=reason, articles=[], families=[])
    families = [compare_family(family, labels[family.layer], verdicts.get(family.layer, {}))
                for family in article_families([layer for layer, found in labels.items() if found])]
    used = sorted({key for family in families for key in family.articles})
    return CrossCheck(model=model, shown=True, reason=reason, articles=[articles()[key] for key in used],
                      families=families)
