"""What the verdicts judge: a unit's hypothesis (what its synthetic stimuli say it is) and the
pictures that should show it, measured without the network.

A curve hypothesis is tested with oriented arc templates (generate/analysis/arcs.py): the picture
must show a curve bulging the predicted way, not a straight line, the opposite bulge or a corner.
Every other oriented family (line/edge, high-low frequency boundary, brightness gradient) predicts
a contour axis, tested with the colour structure tensor (generate/analysis/classical.py) in a
Gaussian window at the picture's centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from generate.analysis import arcs, classical
from generate.analysis.angles import axis_distance, circular_distance
from generate.analysis.families import ORIENTED
from generate.config import ArcParams, VerdictParams
from generate.records import FamilyLabel, FamilyMeasures, RotationRecord, Stats, TuningSummary


@dataclass(frozen=True)
class Hypothesis:
    """What a unit is claimed to be: a family, and the orientation (and for curves the radius, as
    a fraction of the receptive field) its preferred synthetic stimulus predicts."""

    label: str
    orientation: float | None
    radius: float | None = None
    kind: str | None = None  # line/edge: "line" or "edge"

    @property
    def curve(self) -> bool:
        return self.label == "curve"

    @property
    def period(self) -> float:
        """A curve has a direction (360°); the others predict a contour axis (180°)."""
        return 360.0 if self.curve else 180.0

    @property
    def expected(self) -> float | None:
        """The bulge direction of a curve; the contour axis of any other oriented family."""
        if self.orientation is None:
            return None
        if self.curve:
            return float(self.orientation % 360.0)
        return classical.expected_axis(self.label, {"orientation": self.orientation, "kind": self.kind})

    def why_untestable(self) -> str | None:
        if self.label not in ORIENTED:
            return f"labelled {self.label}, not an oriented family"
        if self.expected is None:
            return f"a {self.label} has no single contour axis to measure"
        return None


def own_hypothesis(family: FamilyLabel) -> Hypothesis:
    preferred = family.preferred
    return Hypothesis(family.label, family.orientation, preferred.get("radius"), preferred.get("kind"))


def curve_hypothesis(tuning: TuningSummary) -> Hypothesis:
    """The curve the unit's synthetic responses prefer, whatever its label: what calibration tests
    every planted unit against (a distractor must fail it)."""
    standard = tuning.curve.variants["standard"]
    return Hypothesis("curve", standard.orientation, standard.radius)


@dataclass
class Picture:
    """An image that should show the unit's feature at its centre."""

    pixels: np.ndarray  # [H, W, 3] uint8
    mask: np.ndarray | None = None  # where it is content (False on grey padding); None: everywhere
    scale: float = 1.0  # picture pixels per input pixel (a crop is resized for display)
    objective: float | None = None  # a feature visualization's response on it (pre-activation)


@dataclass
class Evidence:
    """Everything the verdicts judge about one unit, read from the store by the verdict stage."""

    family: FamilyLabel
    tuning: TuningSummary | None = None
    stats: Stats | None = None
    field_px: float = 0.0  # the receptive field the stimuli were drawn at, input pixels
    rotation: RotationRecord | None = None
    measures: FamilyMeasures | None = None  # joint tuning of the unit's family in its layer
    featurevis: dict[int, Picture] = field(default_factory=dict)  # neuron visualizations, by seed
    strong: list[Picture] = field(default_factory=list)
    moderate: list[Picture] = field(default_factory=list)


def visualization_failed(picture: Picture, stats: Stats | None, params: VerdictParams) -> bool:
    """A visualization whose response stayed near the unit's typical level shows nothing: it is
    flagged, never taken as evidence."""
    if picture.objective is None or stats is None:
        return False
    return picture.objective < stats.mean + params.featurevis_min_sigma * stats.std


def measure(picture: Picture, hypothesis: Hypothesis, field_px: float, verdicts: VerdictParams,
            arc_params: ArcParams) -> dict:
    """One picture against a hypothesis: what it shows at its centre and whether that agrees."""
    expected = hypothesis.expected
    if hypothesis.curve:
        radius = _radius(hypothesis, field_px, picture)
        edges = arcs.edge_map(picture.pixels, picture.mask, arc_params, radius)
        return _curve_row(arcs.measure(edges, radius, params=arc_params), expected, arc_params)
    window = _window(picture, verdicts.window)
    found = classical.structure_orientation(picture.pixels, window)
    qualifies = found.coherence >= verdicts.min_coherence
    distance = axis_distance(found.axis, expected)
    return {"orientation": round(found.axis, 1), "coherence": round(found.coherence, 3), "qualifies": qualifies,
            "distance": round(distance, 1), "agrees": bool(qualifies and distance <= verdicts.tolerance)}


def predicted_radius(hypothesis: Hypothesis, field_px: float) -> float:
    """The predicted curve's radius in input pixels (a fifth of the field where none is preferred)."""
    return float(hypothesis.radius or 0.2) * field_px


def _radius(hypothesis: Hypothesis, field_px: float, picture: Picture) -> float:
    """The predicted curve's radius in the picture's pixels."""
    return predicted_radius(hypothesis, field_px) * picture.scale


def _curve_row(found: arcs.ArcMeasurement, expected: float, arc_params: ArcParams) -> dict:
    return {"orientation": round(found.orientation, 1), "radius": round(found.radius, 1),
            "contrast": round(found.curve, 3), "alignment": round(found.alignment, 3),
            "qualifies": found.is_curve(arc_params), "distance": round(found.error(expected), 1),
            "agrees": found.passed(expected, arc_params), "reason": found.reason(expected, arc_params)}


def measure_shared(pictures: list[Picture], hypothesis: Hypothesis, field_px: float,
                   arc_params: ArcParams) -> dict:
    """The curve that several pictures of one canvas draw together (a unit's neuron visualizations
    from different seeds): the arc measurement on the mean of their contour fields, where a contour
    the seeds share adds up and the texture each optimisation lays around it partly cancels (the
    alignment still divides by every seed's edge energy). On the mean the arc needs
    `shared_alignment` and no contrast of its own; every picture must draw the arc found there at
    ≥ `seed_share` × the contrast a curve needs and ≥ `seed_alignment` of its own edge energy, and
    bent: at least as strongly as the straight segment in its place. One seed's curve over another's
    clutter, or over another's straight line, is not a shared curve."""
    if not hypothesis.curve:
        raise ValueError("measure_shared measures curves")
    shapes = {p.pixels.shape for p in pictures}
    if len(shapes) != 1:
        raise ValueError(f"pictures of one canvas expected, got shapes {sorted(shapes)}")
    radius = _radius(hypothesis, field_px, pictures[0])
    maps = [arcs.edge_map(p.pixels, p.mask, arc_params, radius) for p in pictures]
    shared = arcs.EdgeMap(field=np.mean([m.field for m in maps], axis=0),
                          energy=np.mean([m.energy for m in maps], axis=0))
    found = arcs.measure(shared, radius, params=arc_params)
    on_mean = replace(arc_params, min_contrast=0.0, min_alignment=arc_params.shared_alignment)
    row = _curve_row(found, hypothesis.expected, on_mean)
    drawn = [round(arcs.along(m, found, arc_params), 3) for m in maps]
    straight = [round(arcs.along(m, found, arc_params, "line"), 3) for m in maps]
    aligned = [round(arcs.alignment_along(m, found, arc_params), 3) for m in maps]
    row.update(drawn=drawn, straight=straight, aligned=aligned)
    floor = arc_params.seed_share * arc_params.min_contrast
    listed = lambda values: ", ".join(f"{v:.2f}" for v in values)  # noqa: E731
    missing = []
    if min(drawn) < floor:
        missing.append(f"the pictures draw it at contrast {listed(drawn)} (each must reach {floor:g})")
    if min(aligned) < arc_params.seed_alignment:
        missing.append(f"the pictures draw it with alignment {listed(aligned)} (each must reach {arc_params.seed_alignment:g})")
    if any(c < s for c, s in zip(drawn, straight)):
        missing.append(f"not every picture bends it (arc {listed(drawn)} against straight {listed(straight)})")
    if missing:
        row.update(qualifies=False, agrees=False)
        row["reason"] = "; ".join([found.headline(hypothesis.expected), *found.failures(on_mean), *missing])
    return row


def _window(picture: Picture, sigma: float) -> np.ndarray:
    """Gaussian weights at the picture's centre (σ a fraction of its side), zero off its content."""
    size = picture.pixels.shape[0]
    centre = (size - 1) / 2
    yy, xx = np.mgrid[0:size, 0:picture.pixels.shape[1]]
    gauss = np.exp(-((yy - centre) ** 2 + (xx - centre) ** 2) / (2 * (sigma * size) ** 2))
    return gauss * picture.mask if picture.mask is not None else gauss


def agrees_at(row: dict, prediction: float, hypothesis: Hypothesis, verdicts: VerdictParams,
              arc_params: ArcParams) -> bool:
    """Would this measured picture agree with another prediction? (the permutation null's question)"""
    tolerance = arc_params.tolerance if hypothesis.curve else verdicts.tolerance
    return bool(row["qualifies"]) and circular_distance(row["orientation"], prediction, hypothesis.period) <= tolerance


def circular_mean(degrees: list[float], period: float) -> float | None:
    """Mean direction of angles on a circle of `period` degrees (None for none)."""
    if not degrees:
        return None
    phase = np.deg2rad(np.asarray(degrees)) * (360.0 / period)
    mean = np.rad2deg(np.arctan2(np.sin(phase).mean(), np.cos(phase).mean())) * (period / 360.0)
    return float(mean % period)
