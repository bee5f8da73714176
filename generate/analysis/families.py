"""Family labels from synthetic-stimulus responses: numeric, falsifiable criteria.

A unit's *drive* by a stimulus is its activation minus its activation to a blank field of the
same background, in sigma of its dataset activations. Each family has a gate: a minimum peak
drive, and ratios against the stimuli that would explain the response more simply (a curve
unit must prefer curves to straight lines of the same length, and its preference must
survive cosmetic changes). The label is the passing family with the largest peak drive.
Every threshold lives in `FamilyParams` and is printed on the Methods page.
"""

from __future__ import annotations

import numpy as np

from generate.analysis.angles import circular_distance
from generate.analysis.text import degrees, number
from generate.analysis.stimuli import CURVE_VARIANTS, Stimulus
from generate.config import FamilyParams
from generate.records import Check, FamilyLabel, Gate

FAMILIES = ("curve", "line/edge", "angle", "high-low frequency", "colour/hue", "colour contrast",
            "centre-surround", "brightness gradient", "texture/other", "unresponsive")
ORIENTED = ("curve", "line/edge", "angle", "high-low frequency", "brightness gradient")
BLANK_OF = {"standard": 1.0, "inverted": 0.0, "fill": 0.5, "grey": 0.5}  # background of each curve variant


class Responses:
    """Drives of one unit, indexed by stimulus family and parameters. Which stimuli a query
    selects does not depend on the unit, so a battery is indexed once (per family, each
    parameter as an array) and every query's selection is cached with it: labelling a layer costs
    one lookup per query, not a scan of the battery."""

    def __init__(self, stimuli: list[Stimulus], drive: np.ndarray):
        self.stimuli, self.drive = stimuli, np.asarray(drive)
        self._table, self._index = _indexed(stimuli)

    def select(self, family: str, **match) -> list[int]:
        key = (family, tuple(sorted(match.items())))
        if key not in self._index:
            rows, columns = self._table.get(family, (np.zeros(0, dtype=int), {}))
            keep = np.ones(len(rows), dtype=bool)
            for name, value in match.items():
                column = columns[name]
                keep &= np.isclose(column.astype(float), value) if isinstance(value, float) else column == value
            self._index[key] = rows[keep].tolist()
        return self._index[key]

    def peak(self, family: str, **match) -> tuple[float, dict]:
        index = self.select(family, **match)
        if not index:
            return float("-inf"), {}
        best = index[int(np.argmax(self.drive[index]))]  # the first of equal maxima
        return float(self.drive[best]), dict(self.stimuli[best].params)

    def at(self, family: str, **match) -> float:
        index = self.select(family, **match)
        return float(self.drive[index].max()) if index else float("-inf")


_INDEXED: dict[int, tuple[list[Stimulus], dict, dict]] = {}


def _indexed(stimuli: list[Stimulus]) -> tuple[dict, dict]:
    """A battery's table (family -> (rows, parameter -> values)) and its selection cache, kept
    while a few batteries are in use (a unit's swept radii make a battery of its own)."""
    held = _INDEXED.get(id(stimuli))
    if held is None or held[0] is not stimuli:
        while len(_INDEXED) >= 16:
            _INDEXED.pop(next(iter(_INDEXED)))
        table: dict[str, tuple[list[int], dict[str, list]]] = {}
        for i, s in enumerate(stimuli):
            rows, columns = table.setdefault(s.family, ([], {}))
            rows.append(i)
            for name, value in s.params.items():
                columns.setdefault(name, []).append(value)
        arrays = {family: (np.array(rows), {k: np.array(v, dtype=object) for k, v in columns.items()})
                  for family, (rows, columns) in table.items()}
        held = _INDEXED[id(stimuli)] = (stimuli, arrays, {})
    return held[1], held[2]


def drives(stimuli: list[Stimulus], raw: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Activation minus the blank of the stimulus's background, in sigma. raw: [n_stimuli]."""
    blanks = {s.params["level"]: raw[i] for i, s in enumerate(stimuli) if s.family == "blank"}
    background = np.array([_background(s) for s in stimuli])
    baseline = np.array([blanks[b] for b in background], dtype=np.float64)
    return (raw.astype(np.float64) - baseline) / max(std, 1e-8)


def _background(stimulus: Stimulus) -> float:
    if stimulus.family == "blank":
        return stimulus.params["level"]
    if stimulus.family == "curve":
        return BLANK_OF[stimulus.params["variant"]]
    if stimulus.family in ("line", "angle"):
        return 1.0
    return 0.5


def _gate(name: str, peak: float, checks: dict[str, tuple[float, float, str]], params: FamilyParams,
          preferred: dict | None = None) -> dict:
    """checks: label -> (value, limit, '<=' or '>='). The gate passes when the peak reaches
    min_drive and every check holds."""
    results = {"peak": {"value": peak, "limit": params.min_drive, "op": ">=", "ok": bool(peak >= params.min_drive)}}
    for label, (value, limit, op) in checks.items():
        ok = value <= limit if op == "<=" else value >= limit
        results[label] = {"value": float(value), "limit": float(limit), "op": op, "ok": bool(ok)}
    return {"family": name, "score": float(peak), "passed": all(r["ok"] for r in results.values()),
            "checks": results, "preferred": preferred or {}}


def _curve(r: Responses, p: FamilyParams) -> dict:
    peak, best = r.peak("curve", variant="standard")
    theta = best.get("orientation", 0.0)
    line = r.peak("line")[0]
    opposite = r.at("curve", variant="standard", orientation=(theta + 180.0) % 360.0)
    agreeing = 0
    for variant in CURVE_VARIANTS[1:]:
        v_peak, v_best = r.peak("curve", variant=variant)
        if v_peak > 0 and v_peak >= p.variant_ratio * peak and \
                circular_distance(v_best["orientation"], theta) <= p.variant_tolerance:
            agreeing += 1
    checks = {
        "straight line": (line, peak / p.curve_over_line, "<="),
        "opposite orientation": (opposite, p.opposite_ratio * peak, "<="),
        "cosmetic variants agreeing": (agreeing, p.variants_needed, ">="),
    }
    return _gate("curve", peak, checks, p, {"orientation": theta, "radius": best.get("radius")})


def _line_edge(r: Responses, p: FamilyParams) -> dict:
    line, line_best = r.peak("line")
    edge, edge_best = r.peak("edge")
    kind, peak, best = ("line", line, line_best) if line >= edge else ("edge", edge, edge_best)
    theta = best.get("orientation", 0.0)
    orthogonal = max(r.at(kind, orientation=(theta + 90.0) % 360.0), r.at(kind, orientation=(theta + 270.0) % 360.0))
    checks = {"orthogonal orientation": (orthogonal, p.orthogonal_ratio * peak, "<=")}
    return _gate("line/edge", peak, checks, p, {"orientation": theta % 180.0 if kind == "line" else theta, "kind": kind})


def _oriented_specific(name: str, family: str, simpler: float, r: Responses, p: FamilyParams, **match) -> dict:
    peak, best = r.peak(family, **match)
    theta = best.get("orientation", 0.0)
    opposite = r.at(family, **{**{k: v for k, v in best.items() if k != "orientation"}, "orientation": (theta + 180.0) % 360.0})
    checks = {"simpler explanation": (peak, p.specificity * simpler, ">="),
              "opposite orientation": (opposite, (p.selectivity_ratio if name == "brightness gradient" else p.opposite_ratio) * peak, "<=")}
    return _gate(name, peak, checks, p, {"orientation": theta, **{k: v for k, v in best.items() if k != "orientation"}})


def _specific(name: str, family: str, simpler: float, r: Responses, p: FamilyParams, extra=None) -> dict:
    peak, best = r.peak(family)
    checks = {"simpler explanation": (peak, p.specificity * simpler, ">=")}
    checks.update(extra or {})
    return _gate(name, peak, checks, p, best)


def gates(r: Responses, p: FamilyParams) -> list[dict]:
    """Every family's gate for one unit."""
    curve = r.peak("curve", variant="standard")[0]
    line = r.peak("line")[0]
    edge = r.peak("edge")[0]
    grating = r.peak("grating")[0]
    grey = r.peak("grey_patch")[0]
    hue_peak = r.peak("hue")[0]
    hue_worst = min(r.drive[i] for i in r.select("hue")) if r.select("hue") else float("-inf")
    discs = max(r.peak("uniform_disc")[0], hue_peak, grey)
    return [
        _curve(r, p),
        _line_edge(r, p),
        _oriented_specific("angle", "angle", max(curve, line), r, p),
        _oriented_specific("high-low frequency", "high_low", max(edge, grating), r, p),
        _specific("colour/hue", "hue", grey, r, p, {"hue selectivity": (hue_worst, p.selectivity_ratio * hue_peak, "<=")}),
        _specific("colour contrast", "colour_edge", edge, r, p),
        _specific("centre-surround", "centre_surround", discs, r, p),
        _oriented_specific("brightness gradient", "gradient", edge, r, p),
    ]


def label(stimuli: list[Stimulus], raw: np.ndarray, mean: float, std: float, params: FamilyParams) -> FamilyLabel:
    """The family record of one unit: label, score, runner-up, preferred parameters, every gate."""
    r = Responses(stimuli, drives(stimuli, raw, mean, std))
    results = gates(r, params)
    passed = sorted((g for g in results if g["passed"]), key=lambda g: -g["score"])
    ranked = passed + sorted((g for g in results if not g["passed"]), key=lambda g: -g["score"])
    strongest = float(np.max(r.drive)) if len(r.drive) else 0.0
    if passed:
        name, score, preferred = passed[0]["family"], passed[0]["score"], passed[0]["preferred"]
        runner = ranked[1]
    else:
        name = "texture/other" if strongest >= params.min_drive else "unresponsive"
        score, preferred, runner = strongest, {}, ranked[0]
    return FamilyLabel(
        label=name, score=score, runner_up=runner["family"], runner_up_score=runner["score"],
        runner_up_passed=runner["passed"], preferred=preferred, strongest_drive=strongest,
        gates={g["family"]: Gate(passed=g["passed"], score=g["score"],
                                 checks={k: Check(**c) for k, c in g["checks"].items()}) for g in results})


def criterion_text(name: str, p: FamilyParams) -> str:
    """The gate of a family in words, with these thresholds (printed on the Methods and family pages)."""
    n = lambda value: number(float(value))  # noqa: E731
    peak = f"peak drive ≥ {n(p.min_drive)} σ"
    spec = f"≥ {n(p.specificity)}× the peak of"
    text = {
        "curve": (f"{peak} over curves (standard variant); the best straight line of the same stroke length at most "
                  f"1/{n(p.curve_over_line)} of the curve peak; the drive at the opposite orientation ≤ "
                  f"{n(p.opposite_ratio)}× the peak; and at least {p.variants_needed} of the 3 cosmetic variants "
                  f"(inverted, fill, grey) reaching ≥ {n(p.variant_ratio)}× the peak within "
                  f"{degrees(p.variant_tolerance)} of the preferred orientation"),
        "line/edge": (f"{peak} over straight lines or step edges (whichever is stronger); the drive at the "
                      f"orthogonal orientation ≤ {n(p.orthogonal_ratio)}× the peak"),
        "angle": (f"{peak} over angles; {spec} curves and of lines; the drive at the opposite orientation ≤ "
                  f"{n(p.opposite_ratio)}× the peak"),
        "high-low frequency": (f"{peak} over high-low frequency boundaries; {spec} step edges and of gratings; "
                               f"the drive at the opposite orientation ≤ {n(p.opposite_ratio)}× the peak"),
        "colour/hue": (f"{peak} over hue patches; {spec} grey patches; the least preferred hue ≤ "
                       f"{n(p.selectivity_ratio)}× the most preferred"),
        "colour contrast": f"{peak} over opponent-colour edges; {spec} luminance step edges",
        "centre-surround": f"{peak} over centre-surround discs; {spec} uniform discs, hue and grey patches",
        "brightness gradient": (f"{peak} over brightness ramps; {spec} step edges; the drive at the opposite "
                                f"orientation ≤ {n(p.selectivity_ratio)}× the peak"),
        "texture/other": f"no family gate passed, but some stimulus drives the unit ≥ {n(p.min_drive)} σ",
        "unresponsive": f"no stimulus of the battery drives the unit ≥ {n(p.min_drive)} σ",
    }
    return text.get(name, "")
