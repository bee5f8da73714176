"""The synthetic-stimulus section of a neuron page: its tuning figures, cosmetic variants and family gates,
arranged from the stored record (no response is computed here)."""

from __future__ import annotations

import math

from generate.analysis.angles import circular_distance
from generate.analysis.stimuli import GREY_LEVELS
from generate.analysis.text import degrees, number
from generate.analysis.universality import TUNING_OF
from generate.config import FamilyParams
from generate.records import CurveTuning, FamilyLabel, HueTuning, SyntheticRecord, TuningSummary
from generate.site import charts, urls
from generate.site.charts import finite_or

# The orientation-tuning curves drawn as polar plots, with their titles.
POLAR = {"curve": "curve", "line": "line", "edge": "edge", "angle": "angle", "high_low": "high-low",
         "gradient": "gradient"}
OPERATORS = {">=": "≥", "<=": "≤"}
VARIANT_NOUN = {"angle": "vertex toward", "brightness gradient": "brightest toward",
                "high-low frequency": "textured side toward"}  # how an orientation reads, by family


def preferred_text(family: FamilyLabel | None, field_px: float) -> str:
    """The preferred stimulus of a unit's family in words, e.g. 'preferred orientation 135°, radius 0.2 × field'."""
    if not family:
        return ""
    pref = family.preferred
    parts = []
    if "a" in pref and "b" in pref:
        parts.append(f"{pref['a']}/{pref['b']} edge")
    if "centre" in pref and "surround" in pref:
        parts.append(f"{pref['centre']} centre in a {pref['surround']} surround")
    if "colour" in pref:
        parts.append(f"{pref['colour']}")
    if pref.get("hue") is not None:
        parts.append(f"hue {degrees(360 * float(pref['hue']))}")
    if pref.get("orientation") is not None:
        kind = f" ({pref['kind']})" if pref.get("kind") else ""
        noun = VARIANT_NOUN.get(family.label, "preferred orientation")
        if family.label == "colour contrast":
            noun = f"{pref.get('a', 'first colour')} side toward"
        parts.append(f"{noun} {degrees(pref['orientation'])}{kind}")
    if pref.get("opening") is not None:
        parts.append(f"opening {degrees(pref['opening'])}")
    if pref.get("radius") is not None:
        parts.append(f"radius {number(float(pref['radius']))} × receptive field "
                     f"(≈ {float(pref['radius']) * field_px:.0f} px)")
    return ", ".join(parts)


def main_curve(record: SyntheticRecord | None) -> str | None:
    """The orientation-tuning curve that shows a unit best: its family's (a line/edge unit's by the kind
    it prefers), else the one that peaks highest; None without any."""
    if not record:
        return None
    tuning = record.synthetic.orientation_tuning
    family = record.family
    key = TUNING_OF.get(family.label) if family else None
    if family and family.label == "line/edge":
        key = family.preferred.get("kind") or "line"
    if key in tuning and tuning[key]:
        return key
    peaks = {k: max(finite_or(v, -math.inf) for v in values) for k, values in tuning.items() if values and k in POLAR}
    return max(peaks, key=peaks.get) if peaks else None


def _polar(summary: TuningSummary, stimuli: dict[str, dict]) -> tuple[list[dict], float]:
    """One polar plot per stored orientation-tuning curve, all on one scale, each with the stimulus of
    its family that drove the unit most."""
    thetas = summary.orientations
    curves = {key: [finite_or(v, 0.0) for v in values]
              for key in POLAR if (values := summary.orientation_tuning.get(key))}
    peaks = [max(values) for values in curves.values()]
    scale = max(peaks + [0.0]) or 1.0
    return [charts.polar(POLAR[key], values, thetas, scale, stimuli.get(key)) for key, values in curves.items()], scale


def _hue(hue: HueTuning) -> dict | None:
    """Bars of the hue drives (in their colour) and of the grey patches (the colourless control)."""
    if not hue.drive:
        return None
    levels = GREY_LEVELS[:len(hue.grey)]
    labels = [degrees(360 * float(h)) for h in hue.hues] + [number(level) for level in levels]
    fills = [f"hsl({360 * float(h):.0f}, 100%, 50%)" for h in hue.hues]
    fills += [f"rgb({255 * level:.0f}, {255 * level:.0f}, {255 * level:.0f})" for level in levels]
    names = labels[:len(hue.hues)] + [f"grey {number(level)}" for level in levels]
    return charts.bars(labels, hue.drive + hue.grey, fills, slot=25, names=names)


def _variants(curve: CurveTuning, params: FamilyParams | None) -> dict | None:
    """Each cosmetic variant's peak beside the standard curve's: share, orientation offset, agreement."""
    if not curve.variants:
        return None
    standard = curve.variants.get("standard")
    reference = finite_or(standard.peak, 0.0) if standard else 0.0
    rows = []
    for name, v in curve.variants.items():
        delta = None
        if v.orientation is not None and standard and standard.orientation is not None:
            delta = circular_distance(float(v.orientation), float(standard.orientation))
        share = v.peak / reference if reference > 0 and finite_or(v.peak, None) is not None else None
        agrees = None
        if name != "standard" and share is not None and delta is not None and params is not None:
            agrees = share >= params.variant_ratio and delta <= params.variant_tolerance
        drives = v.peak is not None and v.peak > 0
        word = "reference" if name == "standard" else (
            ("yes" if agrees else "no" if agrees is not None else "–") if drives else "no")
        rows.append({"name": name, "peak": v.peak, "orientation": v.orientation, "radius": v.radius, "delta": delta,
                     "share": share, "drives": drives, "reference": name == "standard", "agrees": word})
    rule = {"ratio": params.variant_ratio, "tolerance": params.variant_tolerance} if params else None
    return {"rows": rows, "rule": rule,
            "chart": charts.bars([r["name"] for r in rows], [r["peak"] for r in rows], slot=60)}


def _gates(family: FamilyLabel, families: list[str], page: urls.Links) -> list[dict]:
    """Every gate's checks, in the order of the families."""
    order = [name for name in families if name in family.gates] + [n for n in family.gates if n not in families]
    return [{"family": name, "href": page.link(urls.family(name)), "passed": family.gates[name].passed,
             "checks": [{"name": check_name, "value": check.value, "op": OPERATORS.get(check.op, check.op),
                         "limit": check.limit, "ok": check.ok}
                        for check_name, check in family.gates[name].checks.items()]}
            for name in order]


def tuning_section(record: SyntheticRecord | None, params: FamilyParams | None, families: list[str],
                   page: urls.Links, stimuli: dict[str, dict]) -> dict | None:
    """Everything the synthetic-stimulus section of a neuron page shows; None without a record.
    `stimuli`: the strongest stimulus overall ('all') and of each curve's family, with their pictures."""
    if not record:
        return None
    summary = record.synthetic
    thetas = summary.orientations
    polar, scale = _polar(summary, stimuli)
    frequency = summary.frequency_tuning
    return {
        "stimuli_href": page.link(urls.STIMULI),
        "methods_href": page.link(urls.METHODS, "synthetic-stimuli-and-family-labels"),
        "sigma": summary.sigma,
        "heatmap": charts.heatmap(summary.curve.radii, summary.curve.heatmap, thetas)
        if summary.curve.heatmap and thetas else None,
        "polar": polar, "polar_scale": scale,
        "frequency": charts.bars([number(float(f)) for f in frequency.frequencies], frequency.drive, slot=48)
        if frequency.drive else None,
        "hue": _hue(summary.hue), "variants": _variants(summary.curve, params),
        "colour_edge": summary.colour_edge, "centre_surround": summary.centre_surround,
        "family": record.family, "gates": _gates(record.family, families, page), "strongest": stimuli.get("all"),
    }
