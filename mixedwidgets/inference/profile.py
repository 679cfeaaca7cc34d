"""Likelihood profiles of every parameter of a fitted mixed model, as lme4's profile().

LMM: the ML deviance (a REML fit is first refitted by ML, as lme4's profile does) on lme4's scale —
the random effects' standard deviations and correlations, σ, then the fixed effects. A variance
parameter is profiled by minimizing the deviance of (sd/cor, σ) over the others (lme4's devfun2); a
fixed effect β_j by minimizing over θ with β_j held (σ and the other β profiled out in closed form).
GLMM: the Laplace (or quadrature) deviance of (sd/cor, β), every other parameter re-optimized, with
PIRLS warm-started from the previous conditional modes.
Every refit works on the cross-products formed once, and starts from the neighbouring point's optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..backend.agq import agq_deviance
from ..backend.glmm import make_problem
from ..backend.pirls import laplace_deviance, pirls
from ..backend.threads import single_blas_thread
from .lmm_problem import LmmProblem
from .profile_walk import ProfileCurve, minimize_box, walk_profile
from .sdcor import is_correlation, sdcor_names, sdcor_to_theta, theta_to_sdcor

#: how far each profile goes by default: |ζ| up to √χ²₁(0.99) ≈ 2.58 (enough for 99% intervals)
DEFAULT_ZETA_MAX = float(np.sqrt(stats.chi2.ppf(0.99, 1)))


@dataclass(frozen=True)
class Profile:
    """The profiles of all parameters, in lme4's confint order, and the ML estimates they centre on."""

    curves: tuple[ProfileCurve, ...]
    deviance: float

    def frame(self) -> pd.DataFrame:
        """parameter, value, zeta: one row per point of every profile, sorted by value within a parameter."""
        parts = []
        for c in self.curves:
            order = np.argsort(c.values)
            parts.append(pd.DataFrame({"parameter": c.parameter, "value": c.values[order], "zeta": c.zetas[order]}))
        return pd.concat(parts, ignore_index=True)

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        rows = [c.interval(level) for c in self.curves]
        return pd.DataFrame(rows, columns=["lower", "upper"], index=[c.parameter for c in self.curves])


def profile_lmm(design, theta: np.ndarray, zeta_max: float = DEFAULT_ZETA_MAX) -> Profile:
    """Profiles of sd/cor, σ and β of an LMM on the ML deviance."""
    with single_blas_thread():
        problem = LmmProblem.from_design(design)
        theta_ml, dev_min = problem.optimize(theta, reml=False)
        curves = _lmm_variance_curves(problem, theta_ml, dev_min, zeta_max)
        curves += _lmm_fixed_curves(problem, theta_ml, dev_min, zeta_max)
    return Profile(tuple(curves), dev_min)


def _sdcor_bounds(structure, sigma: float | None) -> tuple[np.ndarray, np.ndarray]:
    corr = is_correlation(structure)
    lower, upper = np.where(corr, -1.0, 0.0), np.where(corr, 1.0, np.inf)
    if sigma is None:
        return lower, upper
    return np.append(lower, 1e-8 * sigma), np.append(upper, np.inf)


def _sdcor_steps(structure, x_hat: np.ndarray, scale: float) -> np.ndarray:
    """Starting trust-region steps: 5% of an sd (at least 1% of the scale), 0.05 for a correlation."""
    corr = is_correlation(structure)
    k = len(corr)
    steps = np.where(corr, 0.05, np.maximum(0.05 * np.abs(x_hat[:k]), 0.01 * scale))
    return np.concatenate([steps, 0.05 * np.abs(x_hat[k:]) + 1e-3 * scale])


def _first_steps(structure, x_hat: np.ndarray, scale: float, n: int) -> np.ndarray:
    """A guess at the step that moves ζ by ZETA_STEP (√ of the information in 2·levels per sd)."""
    out: list[float] = []
    for term in structure.terms:
        for r, c in zip(term.rows, term.cols):
            root = np.sqrt(max(term.n_levels, 2))
            out.append(0.5 / root if r != c else 0.5 * max(x_hat[len(out)], 0.1 * scale) / np.sqrt(2.0) / root)
    return np.array(out + [0.5 * x / np.sqrt(2.0 * n) for x in x_hat[len(out) :]])


def _profile_each(names, x_hat, lower, upper, steps, first, deviance, dev_min, zeta_max) -> list[ProfileCurve]:
    """Profile each coordinate of x in turn, minimizing `deviance` over the others."""
    curves = []
    for i, name in enumerate(names):
        others = np.delete(np.arange(len(x_hat)), i)

        def refit(v, start, i=i, others=others):
            def over_others(z):
                x = np.empty(len(x_hat))
                x[i], x[others] = v, z
                return deviance(x)

            return minimize_box(over_others, start, lower[others], upper[others], steps[others])[::-1]

        curves.append(
            walk_profile(name, float(x_hat[i]), (lower[i], upper[i]), first[i], dev_min, refit, x_hat[others], zeta_max)
        )
    return curves


def _lmm_variance_curves(problem: LmmProblem, theta_ml, dev_min, zeta_max) -> list[ProfileCurve]:
    s, k = problem.structure, problem.structure.n_theta
    _, sigma = problem.estimates(theta_ml, reml=False)
    x_hat = np.append(theta_to_sdcor(s, theta_ml, sigma), sigma)
    lower, upper = _sdcor_bounds(s, sigma)

    def deviance(x):
        theta = sdcor_to_theta(s, x[:k], x[k])
        return np.inf if theta is None else problem.ml_deviance(theta, x[k])

    names = sdcor_names(s) + ["sigma"]
    return _profile_each(
        names,
        x_hat,
        lower,
        upper,
        _sdcor_steps(s, x_hat, sigma),
        _first_steps(s, x_hat, sigma, problem.n),
        deviance,
        dev_min,
        zeta_max,
    )


def _lmm_fixed_curves(problem: LmmProblem, theta_ml, dev_min, zeta_max) -> list[ProfileCurve]:
    s = problem.structure
    beta, sigma = problem.estimates(theta_ml, reml=False)
    se = _ml_standard_errors(problem, theta_ml, sigma)
    steps = np.full(s.n_theta, 0.02)
    curves = []
    for j, name in enumerate(problem.design.fixed_names):

        def refit(v, start, j=j):
            return minimize_box(
                lambda t: problem.ml_deviance_fixed(t, j, v), start, s.lower, np.full(s.n_theta, np.inf), steps
            )[::-1]

        curves.append(
            walk_profile(name, float(beta[j]), (-np.inf, np.inf), 0.5 * se[j], dev_min, refit, theta_ml, zeta_max)
        )
    return curves


def _ml_standard_errors(problem: LmmProblem, theta: np.ndarray, sigma: float) -> np.ndarray:
    f = problem.factor(theta)
    assert f is not None
    rx_inv = np.linalg.inv(f.fixed_factor)
    return sigma * np.sqrt(np.einsum("ij,ij->j", rx_inv, rx_inv))


def profile_glmm(
    design,
    family,
    nagq: int,
    theta: np.ndarray,
    beta: np.ndarray,
    std_errors: np.ndarray,
    zeta_max: float = DEFAULT_ZETA_MAX,
) -> Profile:
    """Profiles of sd/cor and β of a GLMM on its Laplace (or quadrature) deviance."""
    with single_blas_thread():
        problem = make_problem(design, family, scale_columns=False)
        s, k = problem.structure, problem.structure.n_theta
        deviance = _glmm_deviance(problem, nagq, k, beta)
        x_hat = np.concatenate([theta_to_sdcor(s, theta), beta])
        dev_min = deviance(x_hat)
        lower, upper = _sdcor_bounds(s, None)
        lower = np.concatenate([lower, np.full(len(beta), -np.inf)])
        upper = np.concatenate([upper, np.full(len(beta), np.inf)])
        steps = np.concatenate([_sdcor_steps(s, x_hat[:k], 1.0), 0.1 * std_errors])
        first = np.concatenate([_first_steps(s, x_hat[:k], 1.0, problem.n), 0.5 * std_errors])
        names = sdcor_names(s) + list(design.fixed_names)
        curves = _profile_each(names, x_hat, lower, upper, steps, first, deviance, dev_min, zeta_max)
    return Profile(tuple(curves), dev_min)


def _glmm_deviance(problem, nagq: int, k: int, beta0: np.ndarray):
    state = {"u": np.zeros(problem.structure.q_total)}

    def deviance(x):
        theta = sdcor_to_theta(problem.structure, x[:k])
        if theta is None:
            return np.inf
        try:
            modes = pirls(problem, theta, x[k:], state["u"], modes_only=True)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return np.inf
        if not modes.converged:
            return np.inf
        state["u"] = modes.u
        return agq_deviance(problem, theta, x[k:], modes, nagq) if nagq > 1 else laplace_deviance(problem, modes)

    return deviance
