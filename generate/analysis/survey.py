"""The low-level feature survey: per expected family, where in a model it appears, set against the
progression of Distill's Early Vision overview, each statement computed from the census counts."""

from __future__ import annotations

from dataclasses import dataclass

from generate.analysis.census import LayerCensus, ModelCensus, Separated

# The low-level progression of Distill's Early Vision overview (InceptionV1), as expectations:
# (title, subject of the sentences, families counted together, band where they are expected).
EXPECTATIONS = (
    ("Lines and edges", "Line/edge units", ("line/edge",), "early"),
    ("Colour (hue or colour contrast)", "Colour units", ("colour/hue", "colour contrast"), "early"),
    ("Brightness gradients", "Brightness-gradient units", ("brightness gradient",), "early"),
    ("Curves", "Curves", ("curve",), "middle"),
    ("Texture (responsive, no family gate passed)", "Texture/other units", ("texture/other",), "middle"),
    ("High-low frequency", "High-low frequency units", ("high-low frequency",), "middle"),
)
# InceptionV1 reference counts quoted from Distill's Early Vision overview (Olah et al. 2020),
# shown as context and labelled as the reference, never as a measurement of this atlas.
REFERENCE = {
    "High-low frequency": "in InceptionV1, Distill's Early Vision overview lists 15 high-low frequency "
                          "units in mixed3a",
    "Curves": "in InceptionV1, Distill's Early Vision overview places the curve detectors in mixed3b",
}


@dataclass
class Found(Separated):
    """The units of one expectation's families in one layer, trained and control."""

    layer: str
    band: str | None
    trained: int
    control: int | None
    labelled: int


@dataclass
class Statement:
    title: str
    families: tuple[str, ...]
    band: str
    verdict: str
    sentences: list[str]
    reference: str | None
    layers: list[Found]


def _found(layer: LayerCensus, names: tuple[str, ...]) -> Found:
    return Found(layer=layer.name, band=layer.band, trained=layer.count(names), control=layer.control_count(names),
                 labelled=layer.labelled)


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _where(subject: str, present: list[Found]) -> list[str]:
    """Where the families first appear, where they are most common, and where else."""
    first = present[0]
    sentences = [f"{subject} first appear in {first.layer} ({first.trained} of {first.labelled} labelled units"
                 f"{', ' + _article(first.band) + ' layer' if first.band else ''})."]
    best = max(present, key=lambda f: f.trained / max(f.labelled, 1))
    if best is not first:
        sentences.append(f"Most common in {best.layer} ({best.trained} of {best.labelled}, "
                         f"{100 * best.trained / max(best.labelled, 1):.0f}%).")
    others = [f for f in present[1:] if f is not best]
    if others:
        sentences.append("Also in " + ", ".join(f"{f.layer} ({f.trained})" for f in others) + ".")
    return sentences


def _verdict(found: list[Found], band: str, has_control: bool) -> str:
    """Whether the families are where the progression expects them."""
    present = [f for f in found if f.trained > 0]
    in_band = [f for f in found if f.band == band]
    here = [f for f in in_band if f.trained > 0]
    if not in_band:
        verdict = f"cannot be tested: this atlas has no {band} layer"
    elif not here:
        verdict = f"does not match: none in the {band} layers of this atlas"
    elif has_control and not any(f.separates for f in here):
        verdict = (f"present in {band} layers, but the criterion does not separate them from the "
                   f"random-init control there: not evidence")
    else:
        verdict = f"matches: present in {band} layers" + (
            ", more often than in the random-init control" if has_control else "")
    if band == "middle" and any(f.band == "early" for f in present):
        verdict += "; already present in early layers"
    return verdict


def _against_control(found: list[Found]) -> list[str]:
    present = [f for f in found if f.trained > 0]
    if present:
        parts = [f"{f.layer}: {f.trained} trained vs {f.control} control ({f.text})"
                 for f in present if f.control is not None]
        return ["Against the random-init control, " + "; ".join(parts) + "."] if parts else []
    if any(f.control for f in found):
        return ["The random-init control has " + ", ".join(
            f"{f.control} in {f.layer}" for f in found if f.control) + "."]
    return []


def statement(entry: ModelCensus, title: str, subject: str, names: tuple[str, ...], band: str) -> Statement:
    """One expectation, judged from the counts of this model's layers."""
    found = [_found(layer, names) for layer in entry.layers]
    present = [f for f in found if f.trained > 0]
    labelled = entry.labelled
    layers = len(entry.layers)
    if not labelled:
        sentences = ["No unit of this model has a family label yet (synthetic stage not computed)."]
        verdict = "not tested"
    elif not present:
        sentences = [f"{subject}: not found in any layer of this atlas ({labelled} labelled units in "
                     f"{layers} layer{'s' if layers != 1 else ''})."]
        verdict = "not found"
    else:
        sentences = _where(subject, present)
        verdict = _verdict(found, band, entry.control is not None)
    if entry.control is not None:
        sentences += _against_control(found)
    return Statement(title=title, families=names, band=band, verdict=verdict, sentences=sentences,
                     reference=REFERENCE.get(title), layers=found)


def survey(entry: ModelCensus) -> list[Statement]:
    """One computed statement per expected family, from the counts of this model's layers."""
    return [statement(entry, *expectation) for expectation in EXPECTATIONS]
