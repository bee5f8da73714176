"""What the planted models' units are, as plain data (no torch): the ground truth of calibration.

`planted:curves` and `planted:curves-small` (generate/models/planted.py builds them from these
tables) are networks whose every unit was placed by hand, so what each one detects is known
before any measurement. Orientations follow generate/analysis/stimuli.py: degrees counter-
clockwise from "right", "up" positive; a curve's is the direction its 90° arc bulges, a line's
its direction (mod 180), an angle's the direction its vertex points, an edge's or a high-low
boundary's the direction of its light (or textured) side.

Unit order, in both variants: curves (radius by radius, each over its orientations from 0°),
then lines, angles, edges, colour blobs, high-low boundaries and random units, each kind in the
order of its table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from generate.errors import AtlasError

INPUT_SIZE = 128  # px: photos and stimuli are seen at this size
EDGE_KERNEL = 11  # px: the oriented filters of the `edges` layer
EDGE_STRIDE = 2
NORM_POOL = 3  # positions of the `edges` grid its divisive normalisation pools over
UNIT_KERNEL = 23  # positions of the `edges` grid each unit sums over
UNIT_STRIDE = 2
FIELD_PX = EDGE_KERNEL + (NORM_POOL - 1 + UNIT_KERNEL - 1) * EDGE_STRIDE  # 59 px: a unit's receptive field
AXES = 8  # orientation axes of the `edges` layer, every 22.5° over 180°
KINDS = ("curve", "line", "angle", "edge", "colour", "high_low", "random")
HUES = {"red": 0.0, "yellow": 1 / 6, "green": 1 / 3, "cyan": 0.5, "blue": 2 / 3, "magenta": 5 / 6}


@dataclass(frozen=True)
class PlantedUnit:
    """One hand-built unit. Fields that do not apply to its kind are None."""

    kind: str
    orientation: float | None = None  # degrees, the stimuli's convention (see the module docstring)
    radius: float | None = None  # curves: arc radius as a fraction of the receptive field
    opening: float | None = None  # angles: degrees between the two arms
    hue: float | None = None  # colour blobs: hue in [0, 1) (0 red, 1/3 green, 2/3 blue)
    seed: int | None = None  # random units: the seed of their weights

    @property
    def radius_px(self) -> float | None:
        return None if self.radius is None else self.radius * FIELD_PX


@dataclass(frozen=True)
class Variant:
    """A planted model: its curve detectors and its distractors."""

    curve_orientations: int
    radii: tuple[float, ...]
    lines: tuple[float, ...]
    angles: tuple[tuple[float, float], ...]  # (opening, orientation)
    edges: tuple[float, ...]
    colours: tuple[str, ...]
    high_low: tuple[float, ...]
    random: int


VARIANTS = {
    "curves": Variant(curve_orientations=16, radii=(0.2, 0.3), lines=(0.0, 45.0, 90.0, 135.0),
                      angles=((90.0, 0.0), (90.0, 135.0), (45.0, 90.0), (45.0, 225.0)),
                      edges=(0.0, 90.0, 180.0, 270.0), colours=("red", "yellow", "green", "blue"),
                      high_low=(0.0, 90.0, 180.0, 270.0), random=4),
    "curves-small": Variant(curve_orientations=16, radii=(0.3,), lines=(0.0, 90.0), angles=((90.0, 0.0), (45.0, 90.0)),
                            edges=(0.0, 180.0), colours=("red", "blue"), high_low=(90.0, 270.0), random=2),
}


def variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise AtlasError(f"unknown planted model 'planted:{name}'; valid: "
                         + ", ".join(f"planted:{v}" for v in VARIANTS))
    return VARIANTS[name]


def units(name: str) -> list[PlantedUnit]:
    """Every unit of `planted:NAME`, in channel order."""
    v = variant(name)
    step = 360.0 / v.curve_orientations
    out = [PlantedUnit("curve", orientation=i * step, radius=r) for r in v.radii for i in range(v.curve_orientations)]
    out += [PlantedUnit("line", orientation=t) for t in v.lines]
    out += [PlantedUnit("angle", orientation=t, opening=o) for o, t in v.angles]
    out += [PlantedUnit("edge", orientation=t) for t in v.edges]
    out += [PlantedUnit("colour", hue=HUES[c]) for c in v.colours]
    out += [PlantedUnit("high_low", orientation=t) for t in v.high_low]
    out += [PlantedUnit("random", seed=i) for i in range(v.random)]
    return out


def truth(name: str) -> list[dict]:
    """The ground truth of `planted:NAME` (e.g. 'curves-small'), one dict per unit in channel
    order: unit, kind, orientation, radius (fraction of the field), radius_px, opening, hue, seed."""
    return [{"unit": i, **asdict(u), "radius_px": u.radius_px} for i, u in enumerate(units(name))]
