"""Family-level statistics for the claims report: does a family of units agree with its
predictions more than chance, and more than a random-init network does?

One argument for one family is an `AgreementTable`: `scores[i, j]` is how well unit i agrees
with unit j's prediction (its own on the diagonal), and `control[i]` is the random-init copy's
unit i measured at unit i's prediction. The statistic is the mean own agreement, tested
against two nulls:

- permutation: shuffle which prediction goes with which unit. All permutations are drawn, the
  identity included: under the null the observed pairing is one draw among them, so
  (1 + #null >= observed) / (1 + B) is an exact p-value. Derangements would leave out exactly
  the pairings that keep some units right, skewing the null below the observed kind of data.
- control: a paired sign-flip test on trained - control per unit, exact under the null that
  training made unit i no better than its random-init copy at the same prediction.

Families small enough are enumerated exactly instead of sampled. Intervals are percentile
bootstraps over units. A `FamilyRule` declares the thresholds before any data is seen and
turns a result into a conclusion; its `rule_text()` is the sentence the page prints.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from generate.config import ClaimsParams
from generate.errors import AtlasError

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
NOT_VALIDATED = "instrument not validated"
_TIE = 1e-9  # null statistics this close to the observed one are ties: sums differ only by rounding
_CHUNK = 1000  # null draws computed at once, to bound memory on large families
Interval = tuple[float, float]


def circular_distances(a: Any, b: Any, period: float = 360.0) -> np.ndarray:
    """Elementwise distance between angles (degrees) on a circle of `period`, 0..period/2."""
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) % period
    return np.minimum(d, period - d)


def cohen_kappa(first: list[bool], second: list[bool]) -> float | None:
    """Agreement of two yes/no judges beyond what their yes rates give by chance (1: always agree,
    0: as chance); None where chance alone agrees always (both say only yes, or only no)."""
    a, b = np.asarray(first, dtype=bool), np.asarray(second, dtype=bool)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("two judgements of the same items expected")
    observed = float(np.mean(a == b))
    chance = float(a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean()))
    return None if chance >= 1.0 else (observed - chance) / (1.0 - chance)


def decisive_units(alpha: float) -> int:
    """The smallest family in which both tests can reach p < alpha at all (1/2^n and 1/n!)."""
    n = 1
    while 0.5 ** n >= alpha or 1 / math.factorial(n) >= alpha:
        n += 1
    return n


@dataclass(frozen=True)
class AgreementTable:
    """One argument's measurements for one family (rows: units; columns: predictions)."""

    scores: np.ndarray  # (n, n): unit i's agreement with unit j's prediction
    pass_level: float = 1.0  # a unit passes when its agreement with its own prediction reaches this
    control: np.ndarray | None = None  # (n,): control unit i at prediction i; NaN where unmeasured

    def __post_init__(self) -> None:
        scores = np.asarray(self.scores, dtype=float)
        if scores.ndim != 2 or scores.shape[0] != scores.shape[1] or not np.isfinite(scores).all():
            raise AtlasError(f"statistics: scores must be a finite square matrix, got shape {scores.shape}")
        object.__setattr__(self, "scores", scores)
        if self.control is not None:
            control = np.asarray(self.control, dtype=float)
            if control.shape != (len(scores),):
                raise AtlasError(f"statistics: control needs one value per unit ({len(scores)}), "
                                 f"got shape {control.shape}")
            object.__setattr__(self, "control", control)

    @classmethod
    def from_orientations(cls, measured: Any, predicted: Any, *, period: float, tolerance: float,
                          control: Any = None, continuous: bool = False) -> AgreementTable:
        """Measured vs predicted orientations (degrees; NaN: no orientation found, agrees with
        nothing). Agreement is 1 within `tolerance`, else 0; or, if `continuous`, (1 + cos)/2 of
        the difference on the circle, passing where the binary one would. `control`: the
        random-init units' orientations at the same indices, or None if not measured."""
        def agreement(m: np.ndarray, p: np.ndarray) -> np.ndarray:
            d = circular_distances(m, p, period)
            score = (1 + np.cos(2 * np.pi * d / period)) / 2 if continuous else (d <= tolerance).astype(float)
            return np.nan_to_num(score, nan=0.0)

        predicted = np.asarray(predicted, dtype=float)
        measured = np.asarray(measured, dtype=float)
        level = (1 + math.cos(2 * math.pi * tolerance / period)) / 2 if continuous else 1.0
        return cls(scores=agreement(measured[:, None], predicted[None, :]), pass_level=level,
                   control=None if control is None else agreement(np.asarray(control, dtype=float), predicted))

    @classmethod
    def from_tuning(cls, curves: Any, angles: Any, predicted: Any, *, period: float = 360.0,
                    level: float = 0.5, control_curves: Any = None) -> AgreementTable:
        """Per-unit tuning curves over `angles` (one period): agreement is the unit's tuning,
        normalised to its peak, at the predicted orientation (interpolated around the circle); a
        unit passes at `level` or above. Control rows of NaN are unmeasured units."""
        predicted = np.asarray(predicted, dtype=float)
        trained = _tuning_at(np.asarray(curves, dtype=float), angles, predicted, period)
        control = None
        if control_curves is not None:
            at = _tuning_at(np.asarray(control_curves, dtype=float), angles, predicted, period)
            control = np.diagonal(at).copy()
        return cls(scores=trained, pass_level=level, control=control)


def normalised(curves: np.ndarray) -> np.ndarray:
    """Each curve over its own peak, floored at 0; a curve that never rises above 0 stays 0."""
    peaks = curves.max(axis=1, keepdims=True)
    return np.where(peaks > 0, np.clip(curves, 0, None) / np.where(peaks > 0, peaks, 1), 0.0)


def _tuning_at(curves: np.ndarray, angles: Any, at: np.ndarray, period: float) -> np.ndarray:
    """(units, len(at)): each normalised curve read at each angle of `at`; NaN rows stay NaN."""
    unit_curves = normalised(np.nan_to_num(curves))
    table = np.stack([np.interp(at, angles, c, period=period) for c in unit_curves])
    return np.where(np.isnan(curves).all(axis=1, keepdims=True), np.nan, table)


@dataclass(frozen=True)
class ArgumentResult:
    """One argument tested on one family; None where there was nothing to measure."""

    units: int
    passing: int
    pass_fraction: float | None
    pass_interval: Interval | None
    observed: float | None  # mean agreement of each unit with its own prediction
    chance: float | None  # its mean under shuffled predictions (every pairing equally likely)
    effect_permutation: float | None  # observed - chance
    interval_permutation: Interval | None
    p_value_permutation: float | None
    control_units: int  # units whose random-init copy was measured
    control_passing: int | None
    effect_control: float | None  # mean over measured pairs of trained - control agreement
    interval_control: Interval | None
    p_value_control: float | None


@dataclass(frozen=True)
class Conclusion:
    verdict: str  # SUPPORTED | NOT_SUPPORTED | INCONCLUSIVE | NOT_VALIDATED
    reason: str


@dataclass(frozen=True)
class FamilyRule(ClaimsParams):
    """The pre-declared rule: thresholds fixed before the data (their defaults are the config's
    `claims:` section), printed with every conclusion."""

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or not 0 < self.confidence < 1:
            raise AtlasError("statistics: alpha and confidence must lie strictly between 0 and 1")
        if self.min_units < decisive_units(self.alpha):
            raise AtlasError(f"statistics: min_units {self.min_units} is too few to ever reach p < {self.alpha} "
                             f"(at least {decisive_units(self.alpha)})")
        if (1 + self.n_permutations) * self.alpha <= 1:
            raise AtlasError(f"statistics: {self.n_permutations} permutations cannot reach p < {self.alpha}")
        if self.n_bootstrap < 100:
            raise AtlasError("statistics: n_bootstrap must be at least 100")

    def rule_text(self) -> str:
        return (f"An argument is supported for a family when the measuring instrument passed its calibration, "
                f"at least {self.min_units} of the family's units were measured, and their agreement with "
                f"their predicted orientations beats both nulls at p < {self.alpha:g}: predictions shuffled "
                f"across the family's units ({self.n_permutations:,} shuffles, or every one in small families), "
                f"and the random-init control's same units measured at the same predictions (paired sign-flip "
                f"test, {self.n_permutations:,} flips); not supported when it fails either null; inconclusive "
                f"when fewer than {self.min_units} units, or fewer than {self.min_units} control units, were "
                f"measured; instrument not validated when the calibration failed. Intervals: "
                f"{self.confidence:.0%} percentile bootstrap over units ({self.n_bootstrap:,} resamples, "
                f"seed {self.seed}).")

    def conclude(self, result: ArgumentResult, instrument_validated: bool) -> Conclusion:
        if not instrument_validated:
            return Conclusion(NOT_VALIDATED, "the instrument failed its calibration on planted stimuli")
        if result.units < self.min_units:
            return Conclusion(INCONCLUSIVE, f"{result.units} units measured; the rule needs {self.min_units}")
        if result.p_value_permutation >= self.alpha:
            return Conclusion(NOT_SUPPORTED, f"agreement {result.observed:.2f} against {result.chance:.2f} by "
                                             f"chance: p = {result.p_value_permutation:.3g} ≥ {self.alpha:g}")
        if result.control_units < self.min_units:
            return Conclusion(INCONCLUSIVE, f"the control was measured on {result.control_units} units; "
                                            f"the rule needs {self.min_units}")
        if result.p_value_control >= self.alpha:
            return Conclusion(NOT_SUPPORTED, f"no better than the random-init control: "
                                             f"p = {result.p_value_control:.3g} ≥ {self.alpha:g}")
        return Conclusion(SUPPORTED, f"beats shuffled predictions (p = {result.p_value_permutation:.3g}) and "
                                     f"the control (p = {result.p_value_control:.3g})")


def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent generator per quantity, so adding one never shifts another's numbers."""
    return np.random.default_rng([seed, stream])


def _p_value(null: np.ndarray, observed: float, exact: bool) -> float:
    """Upper-tail p-value; an exact null already holds the observed arrangement."""
    hits = int(np.count_nonzero(null >= observed - _TIE))
    return hits / len(null) if exact else (1 + hits) / (1 + len(null))


def _chunked(draws: int, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    return np.concatenate([draw(min(_CHUNK, draws - start)) for start in range(0, draws, _CHUNK)])


def permutation_null(scores: np.ndarray, draws: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Mean agreement under shuffled predictions: every permutation if there are at most
    `draws`, else `draws` random ones. Returns (null, exact)."""
    n = len(scores)
    rows = np.arange(n)
    if math.factorial(n) <= draws:
        return scores[rows, np.array(list(itertools.permutations(rows)))].mean(axis=1), True
    return _chunked(draws, lambda size: scores[rows, rng.permuted(np.tile(rows, (size, 1)), axis=1)]
                    .mean(axis=1)), False


def sign_flip_null(diffs: np.ndarray, draws: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Mean paired difference under random signs: all 2^n if at most `draws`. (null, exact)."""
    n = len(diffs)
    if 2 ** n <= draws:
        signs = 1 - 2 * ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1)
        return (signs * diffs).mean(axis=1), True
    return _chunked(draws, lambda size: (rng.choice([-1.0, 1.0], size=(size, n)) * diffs).mean(axis=1)), False


def _percentile(samples: np.ndarray, confidence: float) -> Interval:
    low, high = np.quantile(samples, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def _resample_weights(n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """(draws, n): how often each unit appears in each bootstrap resample of the n units."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=draws).astype(float)


def _family_part(table: AgreementTable, rule: FamilyRule) -> dict[str, Any]:
    """Pass fraction, observed vs chance, the permutation p-value and their intervals."""
    scores, n = table.scores, len(table.scores)
    own = np.diagonal(scores)
    passed = own >= table.pass_level - _TIE
    observed, chance = float(own.mean()), float(scores.mean())  # a uniform pairing's mean is the matrix mean
    null, exact = permutation_null(scores, rule.n_permutations, _rng(rule.seed, 0))
    weights = _resample_weights(n, rule.n_bootstrap, _rng(rule.seed, 1))
    # A resampled family's chance pairs each drawn unit with every other draw's prediction;
    # two copies of one unit are not a chance pairing (that is its own score), so they are left out.
    copies = weights * (weights - 1)
    chances = (((weights @ scores) * weights).sum(axis=1) - copies @ own) / (n ** 2 - copies.sum(axis=1))
    effects = weights @ own / n - chances
    return {"units": n, "passing": int(passed.sum()), "pass_fraction": float(passed.mean()),
            "pass_interval": _percentile(weights @ passed / n, rule.confidence), "observed": observed,
            "chance": chance, "effect_permutation": observed - chance,
            "interval_permutation": _percentile(effects, rule.confidence),
            "p_value_permutation": _p_value(null, observed, exact)}


def _control_part(table: AgreementTable, rule: FamilyRule) -> dict[str, Any]:
    """The paired comparison with the random-init control over the units it was measured on."""
    empty = {"control_units": 0, "control_passing": None, "effect_control": None,
             "interval_control": None, "p_value_control": None}
    if table.control is None or not np.isfinite(table.control).any():
        return empty
    measured = np.isfinite(table.control)
    control = table.control[measured]
    diffs = np.diagonal(table.scores)[measured] - control
    null, exact = sign_flip_null(diffs, rule.n_permutations, _rng(rule.seed, 2))
    weights = _resample_weights(len(diffs), rule.n_bootstrap, _rng(rule.seed, 3))
    return {"control_units": len(diffs), "control_passing": int((control >= table.pass_level - _TIE).sum()),
            "effect_control": float(diffs.mean()),
            "interval_control": _percentile(weights @ diffs / len(diffs), rule.confidence),
            "p_value_control": _p_value(null, float(diffs.mean()), exact)}


def analyse_argument(table: AgreementTable, rule: FamilyRule) -> ArgumentResult:
    """Both nulls, effect sizes and intervals for one argument on one family."""
    if len(table.scores) == 0:
        family = {"units": 0, "passing": 0, "pass_fraction": None, "pass_interval": None, "observed": None,
                  "chance": None, "effect_permutation": None, "interval_permutation": None,
                  "p_value_permutation": None}
    else:
        family = _family_part(table, rule)
    return ArgumentResult(**family, **_control_part(table, rule))


def claims_entry(result: ArgumentResult, rule: FamilyRule, instrument_validated: bool) -> dict[str, Any]:
    """One argument's entry of claims.json; each effect and interval is keyed by its null."""
    conclusion = rule.conclude(result, instrument_validated)

    def pair(interval: Interval | None) -> list[float] | None:
        return list(interval) if interval is not None else None

    return {"units": result.units, "passing": result.passing,
            "effect_size": {"permutation": result.effect_permutation, "control": result.effect_control},
            "p_value_permutation": result.p_value_permutation, "p_value_control": result.p_value_control,
            "interval": {"permutation": pair(result.interval_permutation),
                         "control": pair(result.interval_control), "pass_fraction": pair(result.pass_interval)},
            "pass_fraction": result.pass_fraction, "agreement": result.observed, "chance": result.chance,
            "control_units": result.control_units, "control_passing": result.control_passing,
            "conclusion": conclusion.verdict, "reason": conclusion.reason, "rule": rule.rule_text()}


@dataclass(frozen=True)
class JointTuning:
    """How a family's members share the circle of orientations."""

    units: int
    period: float
    coverage: float | None  # fraction of the circle where some member's normalised tuning >= level
    coverage_p: float | None  # ... reached as often by the same curves turned by random angles
    largest_gap: float | None  # degrees between neighbouring preferred orientations
    largest_gap_p: float | None  # ... as small for as many orientations drawn on the same grid


def coverage(curves: np.ndarray, level: float = 0.5) -> float:
    return float((normalised(curves).max(axis=0) >= level).mean())


def largest_gaps(preferred: np.ndarray, period: float = 360.0) -> np.ndarray:
    """Largest circular gap between neighbouring angles, for each row of `preferred` (.., n)."""
    ordered = np.sort(np.asarray(preferred, dtype=float) % period, axis=-1)
    wrap = ordered[..., :1] + period - ordered[..., -1:]
    return np.concatenate([np.diff(ordered, axis=-1), wrap], axis=-1).max(axis=-1)


def joint_tuning(curves: Any, angles: Any, preferred: Any = None, *, period: float = 360.0,
                 level: float = 0.5, draws: int = 10_000, seed: int = 0) -> JointTuning:
    """Coverage and spacing of a family's tuning curves over `angles` (evenly spaced over one
    `period`); `preferred` defaults to each curve's peak. Small p-values: the family covers the
    circle better, or more evenly, than the same number of randomly oriented units."""
    curves = np.asarray(curves, dtype=float).reshape(-1, len(angles))
    n, grid = len(curves), np.asarray(angles, dtype=float)
    if n == 0:
        return JointTuning(0, period, None, None, None, None)
    if preferred is None:
        preferred = grid[np.argmax(curves, axis=1)]
    shape = normalised(curves)
    observed_coverage = coverage(shape, level)
    observed_gap = float(largest_gaps(np.asarray(preferred), period))
    rows, steps = np.arange(n)[:, None], np.arange(len(grid))
    rng_turns, rng_angles = _rng(seed, 4), _rng(seed, 5)

    def turned(size: int) -> np.ndarray:
        shifts = rng_turns.integers(0, len(grid), size=(size, n, 1))
        return (shape[rows, (steps - shifts) % len(grid)].max(axis=1) >= level).mean(axis=1)

    null_coverage = _chunked(draws, turned)
    null_gaps = largest_gaps(rng_angles.choice(grid, size=(draws, n)), period)
    return JointTuning(units=n, period=period, coverage=observed_coverage,
                       coverage_p=_p_value(null_coverage, observed_coverage, exact=False),
                       largest_gap=observed_gap,
                       largest_gap_p=_p_value(-null_gaps, -observed_gap, exact=False))
