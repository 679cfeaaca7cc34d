"""The walk along one parameter's likelihood profile, and the interval read off it.

For a parameter fixed at v, `refit(v, start)` minimizes the deviance over all the other parameters
(warm-started at the neighbouring point's optimum) and gives ζ(v) = sign(v − v̂)·√(deviance(v) − min).
The walk steps out from the estimate in each direction, choosing each step from the slope of ζ so that
ζ moves by about `zeta_step`, until |ζ| passes `zeta_max` or the parameter's bound is reached.
The interval at level 1 − α inverts a monotone cubic spline of v against ζ at ±z(1 − α/2), as lme4's
confint of a profile does with its back-spline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nlopt
import numpy as np
from scipy import interpolate, stats

#: ζ moves by about this much between the points of a profile (lme4: cutoff/8 ≈ 0.3–0.5; 0.75 puts our
#: intervals within 0.05% of the width of a 0.5 grid's)
ZETA_STEP = 0.75
MAX_POINTS_PER_SIDE = 30


@dataclass(frozen=True)
class ProfileCurve:
    """ζ against the value of one parameter; `hit_lower`/`hit_upper` when the walk stopped at a bound."""

    parameter: str
    estimate: float
    values: np.ndarray
    zetas: np.ndarray
    lower_bound: float
    upper_bound: float
    hit_lower: bool
    hit_upper: bool

    def interval(self, level: float) -> tuple[float, float]:
        """The profile interval at `level`: the values where ζ = ∓z(1 − α/2)."""
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        order = np.argsort(self.values)
        v, zeta = self.values[order], self.zetas[order]
        keep = np.concatenate([[True], np.diff(zeta) > 0])  # a profile is increasing in v; drop noise
        v, zeta = v[keep], zeta[keep]
        lower = self._end(v, zeta, -z, self.hit_lower, self.lower_bound)
        upper = self._end(v, zeta, z, self.hit_upper, self.upper_bound)
        return lower, upper

    @staticmethod
    def _end(v: np.ndarray, zeta: np.ndarray, target: float, hit_bound: bool, bound: float) -> float:
        if zeta[0] <= target <= zeta[-1] and len(v) >= 2:
            return float(interpolate.PchipInterpolator(zeta, v)(target))
        return float(bound) if hit_bound else np.nan


def minimize_box(
    fun: Callable[[np.ndarray], float],
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    step: np.ndarray,
    ftol_abs: float = 1e-7,
) -> tuple[np.ndarray, float]:
    """BOBYQA in a box; returns the best point seen and its value."""
    x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
    if x0.size == 0:
        return x0, float(fun(x0))
    opt = nlopt.opt(nlopt.LN_BOBYQA, x0.size)
    opt.set_lower_bounds(lower)
    opt.set_upper_bounds(upper)
    opt.set_initial_step(np.minimum(step, np.maximum((upper - lower) / 2, 1e-12)))
    opt.set_ftol_abs(ftol_abs)
    opt.set_xtol_abs(1e-9)
    opt.set_maxeval(2_000)
    best: dict[str, Any] = {"f": np.inf, "x": x0.copy()}

    def wrapped(x, grad):
        value = float(fun(np.array(x)))
        if not np.isfinite(value):
            return 1e100
        if value < best["f"]:
            best["f"], best["x"] = value, np.array(x)
        return value

    opt.set_min_objective(wrapped)
    try:
        opt.optimize(x0)
    except (nlopt.RoundoffLimited, ValueError):
        pass
    return best["x"], best["f"]


def walk_profile(
    name: str,
    estimate: float,
    bounds: tuple[float, float],
    first_step: float,
    dev_min: float,
    refit: Callable[[float, np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    zeta_max: float,
) -> ProfileCurve:
    """Both halves of one parameter's profile, as a ProfileCurve."""
    values, zetas, hits = [estimate], [0.0], []
    for direction, bound in ((-1.0, bounds[0]), (1.0, bounds[1])):
        side_v, side_z, hit = _walk_side(estimate, direction, bound, first_step, dev_min, refit, start, zeta_max)
        values += side_v
        zetas += side_z
        hits.append(hit)
    return ProfileCurve(name, estimate, np.array(values), np.array(zetas), bounds[0], bounds[1], hits[0], hits[1])


def _walk_side(estimate, direction, bound, step, dev_min, refit, start, zeta_max):
    values, zetas = [], []
    previous_v, previous_z = estimate, 0.0
    if abs(bound - estimate) < 1e-12 * max(1.0, abs(estimate)):
        return values, zetas, True
    for _ in range(MAX_POINTS_PER_SIDE):
        v = previous_v + direction * step
        at_bound = (v - bound) * direction >= 0
        if at_bound:
            v = bound
        deviance, optimum = refit(v, start)
        if not np.isfinite(deviance):
            if at_bound:
                return values, zetas, True
            step /= 2.0
            continue
        start = optimum
        zeta = direction * np.sqrt(max(deviance - dev_min, 0.0))
        values.append(v)
        zetas.append(zeta)
        if abs(zeta) >= zeta_max or at_bound:
            return values, zetas, at_bound and abs(zeta) < zeta_max
        slope = (abs(zeta) - abs(previous_z)) / abs(v - previous_v)
        step = min(ZETA_STEP / slope, 3.0 * step) if slope > 0 else 2.0 * step
        previous_v, previous_z = v, zeta
    return values, zetas, False
