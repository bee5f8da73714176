"""Synthetic stimulus battery: deterministic, parameterised, anti-aliased images.

Every stimulus is drawn analytically (distance fields, no random draws except the fixed-seed
texture of high-low frequency stimuli) around a centre pixel, at a scale given by the unit's
receptive field. Conventions: orientations in degrees, counter-clockwise from "right" with
"up" positive (mathematical convention, image rows pointing down). A curve's orientation is
the direction in which its 90° arc bulges; an edge's is the direction of its light side; a
line's is its direction (mod 180); an angle's is the direction its vertex points.
"""

from __future__ import annotations

import colorsys
import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from generate.analysis.angles import orientations
from generate.analysis.text import degrees, number
from generate.config import BatteryParams

INK, PAPER, GREY = 0.0, 1.0, 0.5
CURVE_VARIANTS = ("standard", "inverted", "fill", "grey")  # the cosmetic variants of a curve
COLOUR_PAIRS = (("red", "cyan"), ("yellow", "blue"), ("green", "magenta"))  # opponent hues
CENTRE_SURROUND = (("white", "black"), ("black", "white"), ("red", "green"), ("green", "red"),
                   ("blue", "yellow"), ("yellow", "blue"))
NAMED = {"white": (1.0, 1.0, 1.0), "black": (0.0, 0.0, 0.0), "grey": (GREY,) * 3}
GREY_LEVELS = (0.0, 0.25, 0.75, 1.0)  # the grey patches: the colourless control for hue
# The stimulus families in the order the gallery shows them.
FAMILY_ORDER = ("curve", "line", "edge", "angle", "grating", "high_low", "hue", "grey_patch", "colour_edge",
                "centre_surround", "uniform_disc", "gradient", "blank")


def hue_rgb(hue: float) -> tuple[float, float, float]:
    return colorsys.hsv_to_rgb(hue % 1.0, 1.0, 1.0)


def colour(name: str) -> tuple[float, float, float]:
    hues = {"red": 0.0, "yellow": 1 / 6, "green": 1 / 3, "cyan": 0.5, "blue": 2 / 3, "magenta": 5 / 6}
    return NAMED[name] if name in NAMED else hue_rgb(hues[name])


@dataclass(frozen=True)
class Canvas:
    """Pixel coordinates relative to the centre, in the mathematical frame (y up)."""

    size: int
    centre: tuple[float, float]  # (row, col) of the centre, in pixels

    @property
    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        rows, cols = np.mgrid[0:self.size, 0:self.size].astype(np.float64) + 0.5  # pixel centres
        return cols - self.centre[1], self.centre[0] - rows


def _unit(theta: float) -> np.ndarray:
    rad = np.deg2rad(theta)
    return np.array([np.cos(rad), np.sin(rad)])


def _coverage(distance: np.ndarray, width: float) -> np.ndarray:
    """Anti-aliased ink coverage of a stroke of `width` px at `distance` px from its centre line."""
    return np.clip(width / 2 + 0.5 - distance, 0.0, 1.0)


def _side(signed: np.ndarray) -> np.ndarray:
    """Anti-aliased 0..1 step across a boundary at signed distance 0."""
    return np.clip(signed + 0.5, 0.0, 1.0)


def _paint(alpha: np.ndarray, ink, background) -> np.ndarray:
    ink, background = np.asarray(ink, float), np.asarray(background, float)
    return background * (1 - alpha[..., None]) + ink * alpha[..., None]


def _window(canvas: Canvas, radius: float) -> np.ndarray:
    x, y = canvas.xy
    return _side(radius - np.hypot(x, y))


def _segment_distance(x, y, start, end) -> np.ndarray:
    d = end - start
    t = np.clip(((x - start[0]) * d[0] + (y - start[1]) * d[1]) / (d @ d), 0, 1)
    return np.hypot(x - start[0] - t * d[0], y - start[1] - t * d[1])


def arc_geometry(radius: float, orientation: float) -> tuple[np.ndarray, float, float]:
    """Circle centre and angular range of the 90° arc through the origin bulging to `orientation`."""
    centre = -radius * _unit(orientation)
    return centre, orientation - 45.0, orientation + 45.0


def curve(canvas: Canvas, radius: float, orientation: float, width: float, variant: str = "standard") -> np.ndarray:
    """A 90° arc of `radius` whose midpoint is the canvas centre, bulging toward `orientation`."""
    x, y = canvas.xy
    centre, start, end = arc_geometry(radius, orientation)
    px, py = x - centre[0], y - centre[1]
    angle = np.rad2deg(np.arctan2(py, px))
    delta = (angle - orientation + 180.0) % 360.0 - 180.0  # angle from the arc's midpoint direction
    rho = np.hypot(px, py)
    ends = [centre + radius * _unit(a) for a in (start, end)]
    to_ends = np.minimum(*(np.hypot(x - e[0], y - e[1]) for e in ends))
    distance = np.where(np.abs(delta) <= 45.0, np.abs(rho - radius), to_ends)
    if variant == "fill":
        # Two colours meet along the arc: inside the circle one, outside the other, limited to
        # the arc's wedge; elsewhere grey.
        inside = _side(radius - rho)
        wedge = np.clip((45.0 - np.abs(delta)) * radius * np.pi / 180 + 0.5, 0, 1) * _window(canvas, radius * 1.2)
        two = _paint(inside, colour("blue"), colour("yellow"))
        return two * wedge[..., None] + GREY * (1 - wedge[..., None])
    alpha = _coverage(distance, width)
    ink, background = {"standard": (INK, PAPER), "inverted": (PAPER, INK), "grey": (INK, GREY)}[variant]
    return _paint(alpha, (ink,) * 3, (background,) * 3)


def line(canvas: Canvas, length: float, orientation: float, width: float) -> np.ndarray:
    """A straight dark stroke of `length` px through the centre (the curve's straight control)."""
    x, y = canvas.xy
    half = length / 2 * _unit(orientation)
    alpha = _coverage(_segment_distance(x, y, -half, half), width)
    return _paint(alpha, (INK,) * 3, (PAPER,) * 3)


def angle(canvas: Canvas, arm: float, opening: float, orientation: float, width: float) -> np.ndarray:
    """Two strokes of `arm` px meeting at the centre at `opening` degrees; the vertex points to `orientation`."""
    x, y = canvas.xy
    origin = np.zeros(2)
    arms = [arm * _unit(orientation + 180.0 + s * opening / 2) for s in (-1, 1)]
    distance = np.minimum(*(_segment_distance(x, y, origin, a) for a in arms))
    return _paint(_coverage(distance, width), (INK,) * 3, (PAPER,) * 3)


def edge(canvas: Canvas, orientation: float, radius: float) -> np.ndarray:
    """Step edge through the centre, light on the `orientation` side, in a soft window."""
    x, y = canvas.xy
    n = _unit(orientation)
    light = _side(x * n[0] + y * n[1])
    return _in_window(canvas, _paint(light, (PAPER,) * 3, (INK,) * 3), radius)


def _in_window(canvas: Canvas, image: np.ndarray, radius: float) -> np.ndarray:
    window = _window(canvas, radius)[..., None]
    return image * window + GREY * (1 - window)


def grating(canvas: Canvas, orientation: float, cycles_per_field: float, field_px: float, phase: float = 0.0) -> np.ndarray:
    """Sinusoidal grating whose stripes run along `orientation` (mod 180), in a window of the field."""
    x, y = canvas.xy
    n = _unit(orientation + 90.0)
    value = 0.5 + 0.5 * np.sin(2 * np.pi * cycles_per_field * (x * n[0] + y * n[1]) / field_px + phase)
    return _in_window(canvas, np.repeat(value[..., None], 3, axis=2), field_px / 2)


TEXTURE_CELLS = 1024  # the fixed texture of high-low stimuli: 2-px cells, centred on the stimulus


@functools.lru_cache(maxsize=4)
def _cells(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((TEXTURE_CELLS, TEXTURE_CELLS)) > 0.5


def _texture(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """2-px binary noise fixed to the stimulus (indexed by position relative to its centre), so
    the same stimulus drawn on any canvas, or shifted, shows the same texture."""
    cells = _cells(seed)
    rows = np.clip(np.floor(-y / 2).astype(int) + TEXTURE_CELLS // 2, 0, TEXTURE_CELLS - 1)
    cols = np.clip(np.floor(x / 2).astype(int) + TEXTURE_CELLS // 2, 0, TEXTURE_CELLS - 1)
    return cells[rows, cols].astype(float)


def high_low(canvas: Canvas, orientation: float, radius: float, seed: int = 0) -> np.ndarray:
    """Fine texture on the `orientation` side of a boundary through the centre, smooth grey on the other."""
    x, y = canvas.xy
    texture = _texture(x, y, seed)
    n = _unit(orientation)
    side = _side(x * n[0] + y * n[1])
    value = texture * side + GREY * (1 - side)
    return _in_window(canvas, np.repeat(value[..., None], 3, axis=2), radius)


def patch(canvas: Canvas, rgb, radius: float) -> np.ndarray:
    """A uniform disc of colour `rgb` on grey."""
    return _paint(_window(canvas, radius), rgb, NAMED["grey"])


def colour_edge(canvas: Canvas, orientation: float, rgb_a, rgb_b, radius: float) -> np.ndarray:
    """Two colours meeting along a line through the centre; `rgb_a` on the `orientation` side."""
    x, y = canvas.xy
    n = _unit(orientation)
    return _in_window(canvas, _paint(_side(x * n[0] + y * n[1]), rgb_a, rgb_b), radius)


def centre_surround(canvas: Canvas, centre_rgb, surround_rgb, radius: float) -> np.ndarray:
    """A disc of `centre_rgb` (radius/2) inside an annulus of `surround_rgb` (to `radius`), on grey."""
    inner = _window(canvas, radius / 2)
    disc = _paint(inner, centre_rgb, surround_rgb)
    return _in_window(canvas, disc, radius)


def gradient(canvas: Canvas, orientation: float, radius: float) -> np.ndarray:
    """Linear brightness ramp across the field, brightest toward `orientation`."""
    x, y = canvas.xy
    n = _unit(orientation)
    value = np.clip(0.5 + (x * n[0] + y * n[1]) / (2 * radius), 0, 1)
    return _in_window(canvas, np.repeat(value[..., None], 3, axis=2), radius)


# ------------------------------------------------------------------------------ the battery

@dataclass(frozen=True)
class Stimulus:
    family: str  # curve, line, edge, angle, grating, high_low, hue, grey_patch, colour_edge,
    #              centre_surround, uniform_disc, gradient, blank
    params: dict = field(default_factory=dict)


def curve_stimuli(params: BatteryParams, radius: float) -> list[Stimulus]:
    """Every variant of the curve of one radius at every orientation."""
    return [Stimulus("curve", {"radius": radius, "orientation": t, "variant": v})
            for v in CURVE_VARIANTS for t in orientations(params.orientation_step)]


def battery(params: BatteryParams) -> list[Stimulus]:
    """The list of stimuli (family + parameters); `render` draws them for a given field."""
    thetas = orientations(params.orientation_step)
    out = [s for r in params.radii for s in curve_stimuli(params, r)]
    out += [Stimulus("line", {"orientation": t}) for t in thetas]
    out += [Stimulus("edge", {"orientation": t}) for t in thetas]
    out += [Stimulus("angle", {"opening": o, "orientation": t}) for o in params.openings for t in thetas]
    out += [Stimulus("grating", {"orientation": t, "frequency": f, "phase": p})
            for f in params.frequencies for t in orientations(params.orientation_step, 180.0) for p in (0.0, np.pi / 2)]
    out += [Stimulus("high_low", {"orientation": t}) for t in thetas]
    out += [Stimulus("hue", {"hue": h / params.hues}) for h in range(params.hues)]
    out += [Stimulus("grey_patch", {"level": level}) for level in GREY_LEVELS]
    out += [Stimulus("colour_edge", {"pair": i, "orientation": t, "a": a, "b": b})
            for i, (a, b) in enumerate(COLOUR_PAIRS) for t in thetas]
    out += [Stimulus("centre_surround", {"centre": c, "surround": s}) for c, s in CENTRE_SURROUND]
    out += [Stimulus("uniform_disc", {"colour": c}) for c in sorted({c for c, _ in CENTRE_SURROUND})]
    out += [Stimulus("gradient", {"orientation": t}) for t in thetas]
    out += [Stimulus("blank", {"level": level}) for level in (INK, GREY, PAPER)]  # baselines
    return out


def render(stimulus: Stimulus, canvas: Canvas, field_px: float, params: BatteryParams) -> np.ndarray:
    """Draw one stimulus as float [H, W, 3] in [0, 1] for a receptive field of `field_px` pixels."""
    p, half = stimulus.params, field_px / 2
    width = max(1.5, params.stroke * field_px)
    kind = stimulus.family
    if kind == "curve":
        return curve(canvas, p["radius"] * field_px, p["orientation"], width, p["variant"])
    if kind == "line":
        # same stroke length as the middle-radius curve's arc
        length = params.radii[len(params.radii) // 2] * field_px * np.pi / 2
        return line(canvas, length, p["orientation"], width)
    if kind == "edge":
        return edge(canvas, p["orientation"], half)
    if kind == "angle":
        arm = params.radii[len(params.radii) // 2] * field_px * np.pi / 4
        return angle(canvas, arm, p["opening"], p["orientation"], width)
    if kind == "grating":
        return grating(canvas, p["orientation"], p["frequency"], field_px, p["phase"])
    if kind == "high_low":
        return high_low(canvas, p["orientation"], half)
    if kind == "hue":
        return patch(canvas, hue_rgb(p["hue"]), half)
    if kind == "grey_patch":
        return patch(canvas, (p["level"],) * 3, half)
    if kind == "colour_edge":
        return colour_edge(canvas, p["orientation"], colour(p["a"]), colour(p["b"]), half)
    if kind == "centre_surround":
        return centre_surround(canvas, colour(p["centre"]), colour(p["surround"]), half)
    if kind == "uniform_disc":
        return patch(canvas, colour(p["colour"]), half / 2)
    if kind == "gradient":
        return gradient(canvas, p["orientation"], half)
    if kind == "blank":
        return np.full((canvas.size, canvas.size, 3), p["level"])
    raise ValueError(kind)


def render_batches(stimuli: list[Stimulus], canvas: Canvas, field_px: float, params: BatteryParams,
                   batch: int) -> Iterator[np.ndarray]:
    """[n, 3, H, W] float32 batches, in order."""
    for start in range(0, len(stimuli), batch):
        images = [render(s, canvas, field_px, params) for s in stimuli[start:start + batch]]
        yield np.stack(images).transpose(0, 3, 1, 2).astype(np.float32)


# ------------------------------------------------------------------------------ the battery in words

def battery_counts(params: BatteryParams) -> dict[str, int]:
    """How many stimuli of each family the battery holds."""
    return dict(Counter(s.family for s in battery(params)))


def family_title(name: str) -> str:
    return {"high_low": "high-low frequency"}.get(name, name.replace("_", " "))


def family_text(name: str, p: BatteryParams) -> str:
    """What the stimuli of one family are, with these parameters (printed on the Stimuli page)."""
    step = degrees(p.orientation_step)
    joined = lambda values, suffix="": ", ".join(f"{number(float(v))}{suffix}" for v in values)  # noqa: E731
    mid = p.radii[len(p.radii) // 2]
    text = {
        "curve": (f"90° arcs of radius {joined(p.radii)} × the receptive field, bulging toward each orientation every "
                  f"{step}, stroke {number(float(p.stroke))} × the field (at least 1.5 px), in "
                  f"{len(CURVE_VARIANTS)} cosmetic variants: standard (dark on white), inverted (white on black), "
                  f"fill (blue/yellow regions meeting along the arc, on grey) and grey (dark on grey)"),
        "line": (f"straight dark strokes as long as the arc of the middle curve radius ({number(float(mid))} × "
                 f"field × π/2), every {step}: the straight control for curves"),
        "edge": (f"light/dark step edges in a disc the size of the field, light side toward each orientation, "
                 f"every {step}"),
        "angle": (f"two strokes meeting at the centre with openings {joined(p.openings, '°')}, the vertex pointing "
                  f"toward each orientation, every {step}"),
        "grating": (f"sinusoidal gratings of {joined(p.frequencies)} cycles per receptive field, every {step} over "
                    f"180°, in two phases; a unit's frequency drive is its best orientation and phase"),
        "high_low": f"fine 2-px binary texture on one side of a boundary and smooth grey on the other, every {step}",
        "hue": f"{p.hues} fully saturated hues, as discs the size of the field on grey",
        "grey_patch": (f"grey discs of levels {joined(GREY_LEVELS[:-1])} and {number(GREY_LEVELS[-1])} on grey: "
                       f"the colourless control for hue"),
        "colour_edge": ("opponent-colour edges (" + ", ".join(f"{a}/{b}" for a, b in COLOUR_PAIRS)
                        + f") in a disc the size of the field, every {step}"),
        "centre_surround": ("a disc of one colour inside an annulus of another (" + ", ".join(
            f"{c} in {s}" for c, s in CENTRE_SURROUND) + "), on grey"),
        "uniform_disc": ("uniform discs of each centre colour alone (a quarter of the field wide): the control for "
                         "centre-surround"),
        "gradient": f"linear brightness ramps across the field, brightest toward each orientation, every {step}",
        "blank": "uniform fields of black, grey and white: the baselines every drive is measured from",
    }
    return text.get(name, "")
